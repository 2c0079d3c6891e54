"""Compiled page templates kept between processes, beside the templates, as Python keeps its own bytecode.

Jinja compiles each template (parse, generate Python source, ``compile``) on first use in a process: about
0.1 s for the report's templates, a tenth of a small ``profile``. :func:`template_cache` gives an environment a
:class:`jinja2.FileSystemBytecodeCache` in the ``__pycache__`` folder of the package's own template folder:
compiled code is read back only from where Python reads the package's ``.pyc`` files, with the same trust,
never from the user's cache folder (which the knowledge-base cache reads only as plain arrays, so a file
planted there cannot run code). One subfolder per environment and jinja/Python version: jinja keys a
compiled template by its name and the SHA-1 of its source only, not by the environment's options
(``trim_blocks`` and the like change the generated code), so environments with different options must not
share a folder. An edited template has another checksum and is compiled again; a damaged file is ignored by
jinja (it checks a magic header and the checksum); a package folder that cannot be written (a system-wide
install) only costs the compile, never the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache


class _QuietFileSystemCache(FileSystemBytecodeCache):
    """A :class:`~jinja2.FileSystemBytecodeCache` whose folder is created on first write and whose failures to
    read or write (a read-only install, a full disk) leave the template compiled in memory, nothing more."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def template_cache(templates: Path, environment_name: str) -> FileSystemBytecodeCache:
    """The bytecode cache for the jinja environment ``environment_name`` loading from the folder ``templates``
    (one subfolder of its ``__pycache__`` per environment, jinja version and Python version)."""
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    folder = templates / "__pycache__" / f"jinja-{environment_name}-{jinja2.__version__}-py{python}"
    return _QuietFileSystemCache(str(folder), "%s.cache")
