"""Atomic outputs: a result file or a directory of results appears whole, or not at all.

Every writer of the package goes through here, so an error (bad input found late, a full disk, Ctrl-C)
never leaves a partial file that looks complete, and outputs get the user's usual permissions.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from secretome.errors import SecretomeInputError


def _usual_mode(path: Path) -> None:
    """Give a temporary file or directory the mode a plain ``open``/``mkdir`` would (umask applied)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise SecretomeInputError("the output directory does not exist", file=parent, expected="an existing directory")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=parent)
    except OSError as error:
        raise SecretomeInputError(f"cannot write here ({error.strerror or error})", file=path) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _usual_mode(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_directory(out: str | Path, *, replace_existing: bool = False) -> Iterator[Path]:
    """Yield a staging directory beside ``out``; on success its content moves into ``out``.

    A new ``out`` appears by one rename. An existing ``out`` is swapped whole when ``replace_existing``
    (the caller has checked it is its own earlier output), otherwise each file is replaced one by one and
    the directory's other files are kept. On error the staging directory is removed and ``out`` untouched.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SecretomeInputError("the output path exists and is not a directory", file=out, expected="a directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as error:
        raise SecretomeInputError(
            f"cannot create the output directory here ({error.strerror or error})", file=out,
            expected="a directory path whose parent exists or can be created, and is writable",
        ) from None
    try:
        yield staging
        _usual_mode(staging)
        for path in staging.iterdir():
            _usual_mode(path)
        if not out.exists():
            staging.rename(out)
        elif replace_existing:
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old)
        else:
            for path in staging.iterdir():
                os.replace(path, out / path.name)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_files(out: str | Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (name -> text or bytes) into the directory ``out`` atomically; returns ``out``."""
    out = Path(out)
    with atomic_directory(out) as staging:
        for name, content in files.items():
            target = staging / Path(name).name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    return out
