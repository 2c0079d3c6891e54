"""Compiled page templates kept between processes, so a command does not compile them again each run.

Jinja compiles each template (parse, generate Python source, ``compile``) on first use in a process: about
0.1 s for the report's templates, a tenth of a small ``profile``. :func:`template_cache` gives an environment a
:class:`jinja2.FileSystemBytecodeCache` in the user's cache folder (``$XDG_CACHE_HOME/secretome``, the same
folder as the knowledge-base cache), one subfolder per environment and jinja/Python version: jinja keys a
compiled template by its name and the SHA-1 of its source only, not by the environment's options
(``trim_blocks`` and the like change the generated code), so environments with different options must not
share a folder. An edited template has another checksum and is compiled again; a damaged file is ignored by
jinja (it checks a magic header and the checksum); a folder that cannot be created or written only costs the
compile, never the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache


class _QuietFileSystemCache(FileSystemBytecodeCache):
    """A :class:`~jinja2.FileSystemBytecodeCache` whose folder is created on first write and whose failures to
    read or write (a read-only home, a full disk) leave the template compiled in memory, nothing more."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True, mode=0o700)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache(environment_name: str) -> FileSystemBytecodeCache:
    """The bytecode cache for the jinja environment called ``environment_name`` (one folder per environment,
    jinja version and Python version)."""
    from secretome.kb.cache import cache_dir

    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    folder = cache_dir() / "templates" / f"{environment_name}-jinja{jinja2.__version__}-py{python}"
    return _QuietFileSystemCache(str(folder), "%s.cache")
