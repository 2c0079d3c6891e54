"""Outputs that never destroy what they did not write, and appear whole or not at all.

Every writer of the package goes through here (:func:`atomic_directory`, :func:`write_files`,
:func:`atomic_file`), so a late input error, a full disk, Ctrl-C, a kill or a second run on the same
output never leaves a partial output that looks complete, nor a mix of two runs, nor deletes a user's
file.

An output directory is *owned* by the run that made it: it holds a marker file
(:data:`MARKER`) with the run's id, the kind of output (``profile``, ``compare``, ...), the package
version, the input checksums and the names of the files the run wrote. A later run:

- builds the new output in a hidden staging directory beside ``out`` (``.NAME.r<id>.partial``);
- replaces ``out`` only when it owns it (a marker of the same kind) or it is empty; otherwise it
  refuses, unless ``force``, which moves the foreign directory aside to a visible ``NAME.before-<time>``
  and deletes nothing;
- swaps old for new in one atomic rename (Linux ``renameat2(RENAME_EXCHANGE)``), so ``out`` always
  holds either the old complete output or the new complete one, then moves any file the user had put
  into the old output (not in its marker) into the new one, and only then deletes the old output;
- holds a lock (``.NAME.lock``, removed afterwards) so that a second run on the same ``out`` is
  refused instead of racing;
- first cleans up after killed runs: their staging directories are deleted and a swapped-out old
  output still waiting beside ``out`` gives its user files back to ``out`` before it is deleted.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeOutputError, from_os_error

MARKER = ".secretome-output.json"
"""The ownership marker inside every output directory the package writes."""

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputWarning(UserWarning):
    """Something about the outputs the user should know (e.g. where a replaced folder was moved)."""


def _usual_mode(path: Path) -> None:
    """Give a temporary file or directory the mode a plain ``open``/``mkdir`` would (umask applied)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _run_id() -> str:
    return secrets.token_hex(6)


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S")


# ------------------------------------------------------------------------------ path checks
def _check_target(out: Path, *, directory: bool) -> Path:
    """The absolute output path after refusing what cannot be an output: a symbolic link (also a
    dangling one), the current directory or one of its parents (it would be replaced whole), a file
    where a directory is expected or the reverse, a missing parent of a file output."""
    if out.is_symlink():
        raise SecretomeOutputError(
            f"the output path is a symbolic link (to {os.readlink(out)}); it is not followed or replaced",
            file=out, expected="the real path of the output",
        )
    absolute = Path(os.path.abspath(out))
    if directory:
        if out.exists() and not out.is_dir():
            raise SecretomeOutputError("the output path exists and is not a directory", file=out, expected="a directory")
        here = Path(os.path.abspath(os.getcwd()))
        if absolute == here or absolute in here.parents or absolute.parent == absolute:
            raise SecretomeOutputError(
                "the output directory is replaced whole and this one holds the current directory",
                file=out, expected="a new sub-directory, e.g. ./secretome-out",
            )
    else:
        if out.is_dir():
            raise SecretomeOutputError("the output path is a directory", file=out, expected="a file path")
        if out.exists() and not out.is_file():
            raise SecretomeOutputError("the output path is a special file (device, FIFO or socket)", file=out,
                                       expected="a regular file path")
        if not absolute.parent.is_dir():
            raise SecretomeOutputError("the output directory does not exist", file=absolute.parent,
                                       expected="an existing directory")
    return absolute


def _check_inputs_outside(out: Path, inputs: Mapping[str, str | Path | None]) -> None:
    """The output directory is replaced whole: an input inside it (or the output itself) would go."""
    if not out.exists():
        return
    root = out.resolve()
    for label, path in inputs.items():
        if path is None or str(path) == "-":
            continue
        resolved = Path(path).resolve()
        if resolved == root or root in resolved.parents:
            raise SecretomeOutputError(
                f"the file given as {label} lies inside the output directory, which is replaced whole",
                file=path, expected="input files outside the output directory", parameters=(label,),
            )


def file_checksums(inputs: Mapping[str, str | Path | None]) -> dict[str, dict[str, Any]]:
    """SHA-256 and size of each regular input file (label -> path), for the ownership marker."""
    result: dict[str, dict[str, Any]] = {}
    for label, path in inputs.items():
        if path is None:
            continue
        entry: dict[str, Any] = {"path": str(path)}
        try:
            if Path(path).is_file():
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(block)
                entry.update(sha256=digest.hexdigest(), size=Path(path).stat().st_size)
        except OSError as error:
            raise from_os_error(error, path) from None
        result[label] = entry
    return result


def read_marker(directory: str | Path) -> dict[str, Any] | None:
    """The ownership marker of an output directory, or None when it has none (or an unreadable one)."""
    try:
        marker = json.loads((Path(directory) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and isinstance(marker.get("run_id"), str) else None


def _foreign_entries(directory: Path, marker: dict[str, Any] | None) -> list[str]:
    """Names in ``directory`` its marker does not list as written by its run (the user's files)."""
    ours = set(marker.get("files") or []) if marker else set()
    ours.add(MARKER)
    try:
        return sorted(name for name in os.listdir(directory) if name not in ours)
    except OSError:
        return []


def _ownership(out: Path, kind: str) -> str:
    """``absent``, ``empty``, ``owned`` (marker of this kind), ``other-kind`` or ``foreign``."""
    if not out.exists():
        return "absent"
    try:
        if not any(out.iterdir()):
            return "empty"
    except OSError as error:
        raise from_os_error(error, out, output=True) from None
    marker = read_marker(out)
    if marker is None:
        return "foreign"
    return "owned" if marker.get("kind") == kind else "other-kind"


def check_directory(
    out: str | Path, *, kind: str, inputs: Mapping[str, str | Path | None] | None = None, force: bool = False
) -> None:
    """Refuse early (before any work) an ``out`` that :func:`atomic_directory` would refuse."""
    out = Path(out)
    _check_target(out, directory=True)
    _check_inputs_outside(out, inputs or {})
    state = _ownership(out, kind)
    if force or state in ("absent", "empty", "owned"):
        return
    if state == "other-kind":
        marker = read_marker(out) or {}
        raise SecretomeOutputError(
            f"the output directory holds a secretome {marker.get('kind')} output, not a {kind} output; refusing to overwrite it",
            file=out, expected="another output directory, or force=True (--force) to move it aside",
        )
    raise SecretomeOutputError(
        "the output directory holds files secretome did not write; refusing to overwrite it",
        file=out, expected="a new or empty directory, one written by this command, or force=True (--force), "
        "which moves it aside and deletes nothing",
    )


# ------------------------------------------------------------------------------ the swap
@functools.cache
def _renameat2() -> Any:
    return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); False where the system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _give_back(old: Path, out: Path) -> None:
    """Move the user's files of an old output ``old`` (those its marker does not list) into ``out``;
    one whose name the new output also uses is kept as ``NAME.user-<time>``."""
    for name in _foreign_entries(old, read_marker(old)):
        target = out / name
        if target.exists() or target.is_symlink():
            target = out / f"{name}.user-{_stamp()}"
        os.rename(old / name, target)


def _move_aside(path: Path, name: str) -> Path:
    """Rename a foreign directory to a visible, unused ``NAME.before-<time>`` beside it."""
    target = path.parent / f"{name}.before-{_stamp()}"
    n = 1
    while target.exists():
        n += 1
        target = path.parent / f"{name}.before-{_stamp()}-{n}"
    os.rename(path, target)
    warnings.warn(OutputWarning(f"the earlier content of {path.parent / name} was moved to {target}"), stacklevel=4)
    return target


def _leftover_pattern(name: str) -> re.Pattern[str]:
    """Hidden names of this output's staging, swapped-out and being-deleted (``.trash``) folders, also those of
    older versions (``.NAME.xxxxxxxx.partial`` from ``mkdtemp`` and ``.NAME.old-PID``)."""
    escaped = re.escape(name)
    return re.compile(rf"^\.{escaped}\.(?:r[0-9a-f]{{12}}\.(?:partial|old|trash)|[a-z0-9_]{{8}}\.partial|old-\d+)$")


def _recover(parent: Path, name: str) -> None:
    """Clean up after killed runs on ``parent/name`` (called with the lock held, so none is running).

    A ``.trash`` folder (an old output being deleted) and a staging folder holding its own marker (same run id as
    its name) or no files are deleted. A folder
    holding an older output (swapped out, not yet deleted) gives the user's files back to ``out``, or
    becomes ``out`` again if ``out`` is missing, then goes. One holding a foreign directory moved out
    under ``force`` is renamed to a visible ``NAME.before-<time>``.
    """
    out = parent / name
    pattern = _leftover_pattern(name)
    try:
        leftovers = [entry for entry in os.listdir(parent) if pattern.match(entry)]
    except OSError:
        return
    for entry in leftovers:
        path = parent / entry
        if not path.is_dir() or path.is_symlink():
            path.unlink(missing_ok=True)
            continue
        if entry.endswith(".trash"):  # an old output whose user files were given back: only deleting was left
            shutil.rmtree(path, ignore_errors=True)
            continue
        marker = read_marker(path)
        own_staging = marker is not None and entry == f".{name}.r{marker['run_id']}.partial"
        legacy_staging = entry.endswith(".partial") and not entry.startswith(f".{name}.r")
        if own_staging or legacy_staging or not any(path.iterdir()):
            shutil.rmtree(path, ignore_errors=True)
        elif not out.exists():
            os.rename(path, out)  # killed between two renames: the old output comes back
        elif marker is None:
            _move_aside(path, name)  # a foreign folder replaced under force, or an older version's
        else:
            _give_back(path, out)
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(parent: Path, name: str, out: Path) -> Iterator[None]:
    """Hold ``parent/.NAME.lock`` for the block; refuse when another live process holds it."""
    path = parent / f".{name}.lock"
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise from_os_error(OSError(error.errno, error.strerror), out, output=True) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(handle)
            raise SecretomeOutputError(
                f"another secretome run (process {holder}) is writing this output", file=out,
                expected="one run per output at a time; wait for it or choose another output",
            ) from None
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)  # the previous holder removed the lock file between our open and lock
    try:
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)


def _prepare_parent(absolute: Path, out: Path) -> None:
    try:
        absolute.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise from_os_error(error, out, output=True) from None
    if not os.access(absolute.parent, os.W_OK | os.X_OK):
        raise SecretomeOutputError("cannot write the output: permission denied", file=absolute.parent)


def _as_output_error(error: OSError, out: Path, staging: Path | None) -> Exception:
    """An OS error met while writing ``out`` as the project's error, naming ``out`` (not the hidden
    staging folder); an error about a path elsewhere (an input read inside the block) is left neutral."""
    filename = None if error.filename is None else str(error.filename)
    if filename is not None and staging is not None and filename.startswith(str(staging)):
        filename = str(out) + filename[len(str(staging)):]
    renamed = OSError(error.errno, error.strerror, filename)
    parent = str(Path(os.path.abspath(out)).parent)
    writing = filename is None or os.path.abspath(filename).startswith(parent)
    return from_os_error(renamed, out, output=True if writing else None)


def _renamed(error: SecretomeOutputError, out: Path, staging: Path | None) -> SecretomeOutputError:
    """``error`` naming ``out`` where it names the hidden staging path (as :func:`_as_output_error` does)."""
    if error.file is None or staging is None or not error.file.startswith(str(staging)):
        return error
    return SecretomeOutputError(error.message, file=str(out) + error.file[len(str(staging)):], column=error.column,
                                row=error.row, expected=error.expected, parameters=error.parameters)


def _write_marker(directory: Path, record: dict[str, Any]) -> None:
    (directory / MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


@contextmanager
def atomic_directory(
    out: str | Path,
    *,
    kind: str = "output",
    inputs: Mapping[str, str | Path | None] | None = None,
    force: bool = False,
) -> Iterator[Path]:
    """Yield a staging directory for a ``kind`` output; on success it becomes ``out`` in one swap.

    ``inputs`` (label -> path) are checksummed into the ownership marker and must lie outside ``out``.
    An existing ``out`` is replaced only when this package wrote it for the same ``kind`` (or it is
    empty); otherwise :class:`~secretome.errors.SecretomeOutputError`, unless ``force``, which moves it
    aside to ``NAME.before-<time>``. Files a user added to an owned ``out`` are kept in the new one. On
    any error the staging directory is removed and ``out`` is untouched. See the module docstring.
    """
    from secretome import __version__

    out = Path(out)
    absolute = _check_target(out, directory=True)
    _prepare_parent(absolute, out)
    parent, name = absolute.parent, absolute.name
    staging: Path | None = None
    try:
        with _locked(parent, name, out):
            _recover(parent, name)
            check_directory(out, kind=kind, inputs=inputs, force=force)
            run_id = _run_id()
            record: dict[str, Any] = {
                "run_id": run_id, "kind": kind, "version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "pid": os.getpid(), "inputs": file_checksums(inputs or {}), "files": None,
            }
            staging = parent / f".{name}.r{run_id}.partial"
            staging.mkdir()
            swapped = False
            try:
                _write_marker(staging, record)
                yield staging
                record["files"] = sorted(entry for entry in os.listdir(staging) if entry != MARKER)
                _write_marker(staging, record)
                _usual_mode(staging)
                for path in staging.iterdir():
                    _usual_mode(path)
                state = _ownership(absolute, kind)
                if state == "absent":
                    os.rename(staging, absolute)
                    swapped = True
                    return
                if _exchange(staging, absolute):
                    swapped, old = True, staging
                else:  # no atomic exchange here: two renames; a kill in between is undone by _recover
                    old = parent / f".{name}.r{run_id}.old"
                    os.rename(absolute, old)
                    os.rename(staging, absolute)
                    swapped = True
                if state in ("owned", "empty"):
                    _give_back(old, absolute)
                    # renamed before it is deleted: a kill inside rmtree (its marker may go first) leaves a folder
                    # the next run deletes, not one it would take for a foreign folder and move aside
                    trash = parent / f".{name}.r{run_id}.trash"
                    os.rename(old, trash)
                    shutil.rmtree(trash, ignore_errors=True)
                else:
                    _move_aside(old, name)
            finally:
                if not swapped:
                    shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise _as_output_error(error, out, staging) from None
    except SecretomeOutputError as error:
        raise _renamed(error, out, staging) from None


def write_files(
    out: str | Path,
    files: Mapping[str, str | bytes],
    *,
    kind: str = "output",
    inputs: Mapping[str, str | Path | None] | None = None,
    force: bool = False,
) -> Path:
    """Write ``files`` (name -> text or bytes) as the directory ``out`` through :func:`atomic_directory`;
    returns ``out``."""
    out = Path(out)
    with atomic_directory(out, kind=kind, inputs=inputs, force=force) as staging:
        for name, content in files.items():
            target = staging / Path(name).name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    return out


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed.

    A user names an output file explicitly, so an existing regular file there is replaced (a
    directory, special file or symbolic link is refused). A lock refuses a second run on the same file
    and leftovers of killed runs (``.NAME.r<id>.partial``) are removed first.
    """
    path = Path(path)
    absolute = _check_target(path, directory=False)
    parent, name = absolute.parent, absolute.name
    temporary: Path | None = None
    try:
        with _locked(parent, name, path):
            _recover(parent, name)
            temporary = parent / f".{name}.r{_run_id()}.partial"
            try:
                temporary.touch(exist_ok=False)
                yield temporary
                _usual_mode(temporary)
                os.replace(temporary, absolute)
            finally:
                temporary.unlink(missing_ok=True)
    except OSError as error:
        raise _as_output_error(error, path, temporary) from None
    except SecretomeOutputError as error:
        raise _renamed(error, path, temporary) from None


SPOOL_LIMIT = 32 << 20
"""HDF5 files up to this estimated size are built in memory and then written by plain Python I/O; larger ones are
written in place after their disk space is reserved, so that no file is ever held in memory beside the matrix
it is made of (a 20,000 x 2,000 dataset would be 305 MiB more)."""


def _h5ad_estimate(adata: Any) -> int:
    """Bytes an ``.h5ad`` of ``adata`` takes uncompressed, roughly (arrays plus tables plus 1 MB)."""
    total = 1 << 20
    for array in [adata.X, *adata.layers.values(), *adata.obsm.values(), *adata.varm.values()]:
        total += int(getattr(array, "nbytes", 0) or getattr(getattr(array, "data", None), "nbytes", 0))
    for frame in (adata.obs, adata.var):
        total += int(frame.memory_usage(deep=True).sum())
    return total


def write_h5ad(adata: Any, path: str | Path, *, compression: str | None = None) -> None:
    """Write ``adata`` (an AnnData) as ``.h5ad`` to ``path`` (a staging or temporary path) so that a full
    disk is an :class:`~secretome.errors.SecretomeOutputError`, never a crash.

    libhdf5 does not survive a failed write: a full disk mid-file leaves it printing errors at every
    object's release and then crashing the process (a segfault at exit, compressed or not). So libhdf5
    must never see a failed write. Up to :data:`SPOOL_LIMIT` (estimated) the file is built in memory
    (h5py on a ``BytesIO``) and written by plain Python I/O, whose failure is an ordinary ``OSError``.
    Above it, the disk space for the uncompressed size (plus a margin: lzf may not shrink the data) is
    reserved in the file before libhdf5 writes anything (:func:`_reserve_space`), so a disk too full is
    refused first and the writes that follow cannot run out of space; the unused reservation is freed
    afterwards. Text columns become categoricals, as ``AnnData.write_h5ad`` does.
    """
    import io

    import h5py
    from anndata.io import write_elem

    path = Path(path)
    estimate = _h5ad_estimate(adata)
    strings_to_categoricals(adata)
    kwargs = {"compression": compression} if compression else {}
    if estimate > SPOOL_LIMIT:
        with h5py.File(path, "w") as handle:
            _reserve_space(path, estimate + estimate // 10 + (1 << 20))
            write_elem(handle, "/", adata, dataset_kwargs=kwargs)
        _release_reservation(path)
        return
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        write_elem(handle, "/", adata, dataset_kwargs=kwargs)
    with open(path, "wb") as target:
        target.write(buffer.getbuffer())


def strings_to_categoricals(adata: Any) -> None:
    """``AnnData.strings_to_categoricals`` (which ``AnnData.write_h5ad`` calls) with the same result: each text column
    of ``obs`` and ``var`` with fewer distinct values than rows becomes a categorical, its categories in natural order
    (``natsort.natsorted``). Categories that are all ASCII are ordered by :func:`_natural_key`, natsort's own key
    for them (natsort builds it through several layers of Python per string: 1.7 s for a 20,000-protein table)."""
    import pandas as pd
    from natsort import natsorted
    from pandas.api.types import infer_dtype

    for frame in (adata.obs, adata.var):
        for column in [name for name in frame.columns if infer_dtype(frame[name]) == "string"]:
            values = pd.Categorical(frame[column])
            if len(values.categories) >= len(values):
                continue
            categories = list(values.categories)
            ordered = (sorted(categories, key=_natural_key) if all(text.isascii() for text in categories)
                       else natsorted(categories))
            if ordered != categories:
                values = values.reorder_categories(ordered)
            frame[column] = values


_DIGITS = re.compile(r"([0-9]+)")


def _natural_key(text: str) -> tuple[str | int, ...]:
    """natsort's default key (``ns.INT``: unsigned integers) of an ASCII text: its digit runs as integers between
    the text runs, empty runs left out, and ``""`` first when the text starts with a number."""
    parts = _DIGITS.split(text)  # text, digits, text, digits, ..., text
    key: list[str | int] = [""] if not parts[0] and len(parts) > 1 else []
    for i, part in enumerate(parts):
        if part:
            key.append(int(part) if i % 2 else part)
    return tuple(key)


_FALLOC_FL_KEEP_SIZE = 1


@functools.cache
def _fallocate() -> Any:
    """Linux ``fallocate(2)`` (which can reserve space without changing a file's size), or None."""
    function = getattr(ctypes.CDLL(None, use_errno=True), "fallocate", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        function.restype = ctypes.c_int
    return function


def _reserve_space(path: Path, size: int) -> None:
    """Reserve ``size`` bytes of disk for ``path`` without changing its size (``FALLOC_FL_KEEP_SIZE``), so
    writes into them cannot fail for want of space; where the file system cannot reserve, check the free
    space instead. Not enough space is a :class:`~secretome.errors.SecretomeOutputError` saying how much."""
    limit = _file_size_limit(path)
    if size > limit:  # the reservation below would not see it (it keeps the file's size), libhdf5 would
        raise SecretomeOutputError(f"the file would be too large: it needs up to {size / 1e6:.0f} MB, the file system "
                                   f"or this process's file-size limit allows {limit / 1e6:.0f} MB", file=path)
    fallocate = _fallocate()
    code = 0
    if fallocate is not None:
        descriptor = os.open(path, os.O_WRONLY)
        try:
            code = 0 if fallocate(descriptor, _FALLOC_FL_KEEP_SIZE, 0, size) == 0 else ctypes.get_errno()
        finally:
            os.close(descriptor)
    if code == errno.EFBIG:
        raise SecretomeOutputError(
            f"the file would be too large for the file system (it needs up to {size / 1e6:.0f} MB)", file=path)
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = shutil.disk_usage(path.parent).free
    elif fallocate is None or code:  # no fallocate, or not on this file system: check instead
        free = shutil.disk_usage(path.parent).free
        if free >= size:
            return
    else:
        return
    raise SecretomeOutputError(
        f"not enough space: the file needs up to {size / 1e6:.0f} MB, {free / 1e6:.0f} MB are free", file=path)


def _file_size_limit(path: Path) -> int:
    """The largest file ``path`` may become: the file system's (``FILESIZEBITS``) and the process's
    ``RLIMIT_FSIZE``, whichever is smaller."""
    import resource

    limits = [resource.getrlimit(resource.RLIMIT_FSIZE)[0]]
    try:
        bits = os.pathconf(path, "PC_FILESIZEBITS")
        if bits > 0:
            limits.append((1 << (bits - 1)) - 1)
    except (OSError, ValueError):  # the file system does not say
        pass
    return min((limit for limit in limits if limit >= 0), default=1 << 62)  # RLIM_INFINITY is negative


def _release_reservation(path: Path) -> None:
    """Give back the part of :func:`_reserve_space`'s reservation beyond the end of the written file
    (growing it by one byte and cutting it back frees the blocks past its end on every file system)."""
    size = path.stat().st_size
    os.truncate(path, size + 1)
    os.truncate(path, size)
