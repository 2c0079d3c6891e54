"""The content-addressed file store: every uploaded file is kept once under its sha256, never overwritten.

A file's name in the store is its sha256 (two-character fan-out folders) plus a suffix from a fixed
list (the readers need ``.xlsx``/``.gz``/... to open it); the uploader's own file name is only ever
shown, never used as a path. Files are written to a temporary name and renamed into place, so a crash
leaves either the whole file or nothing under the hash name.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from secretome.errors import SecretomeInputError

ALLOWED_SUFFIXES = (".txt", ".tsv", ".csv", ".tab", ".xlsx", ".xls")
COMPRESSIONS = (".gz", ".xz", ".zip")
_CHUNK = 1 << 20


def safe_suffix(filename: str) -> str:
    """The suffix the store keeps for ``filename`` (e.g. ``.tsv.gz``): a known table suffix, optionally compressed.

    Anything else is refused: the store only holds tables the readers can open.
    """
    name = os.path.basename(filename.replace("\\", "/")).lower()
    compression = next((c for c in COMPRESSIONS if name.endswith(c)), "")
    stem = name[: len(name) - len(compression)] if compression else name
    table = next((s for s in ALLOWED_SUFFIXES if stem.endswith(s)), "")
    if not table and not compression:
        raise SecretomeInputError(
            "unsupported file type", file=filename or "(upload)",
            expected="a table ending in " + ", ".join(ALLOWED_SUFFIXES) + " (optionally .gz, .xz or .zip)",
        )
    return table + compression


def display_name(filename: str) -> str:
    """The uploader's file name reduced to its last component and printable characters, for display only."""
    base = os.path.basename((filename or "").replace("\\", "/"))
    return re.sub(r"[^\w.\- ()\[\]+]", "_", base)[:200] or "upload"


@dataclass(frozen=True)
class Staged:
    """An upload written to the staging folder and hashed, not yet in the store."""

    path: Path
    sha256: str
    size: int
    suffix: str


def stage(folder: Path, source: BinaryIO, filename: str, max_bytes: int) -> Staged:
    """Copy ``source`` into ``folder`` (under ``staging/``) while hashing it; refuse (and delete) it beyond ``max_bytes``."""
    suffix = safe_suffix(filename)
    digest = hashlib.sha256()
    size = 0
    handle, name = tempfile.mkstemp(dir=folder, suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise SecretomeInputError(
                        f"upload larger than the limit of {max_bytes // (1 << 20)} MiB", file=display_name(filename),
                        expected="a smaller file (the server's --max-upload-mb)",
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0:
        path.unlink(missing_ok=True)
        raise SecretomeInputError("the uploaded file is empty", file=display_name(filename), expected="a result table")
    return Staged(path=path, sha256=digest.hexdigest(), size=size, suffix=suffix)


def store_path(data_dir: Path, sha256: str, suffix: str) -> Path:
    """Where the file with this hash lives in the store."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a sha256: {sha256!r}")
    return data_dir / "store" / sha256[:2] / f"{sha256}{suffix}"


def commit(data_dir: Path, staged: Staged) -> Path:
    """Move a staged upload into the store under its hash (kept as is when the same content is already there)."""
    target = store_path(data_dir, staged.sha256, staged.suffix)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        staged.path.unlink(missing_ok=True)
    else:
        os.replace(staged.path, target)
        os.chmod(target, 0o444)
    return target


def clean_staging(data_dir: Path, older_than_seconds: float = 24 * 3600) -> int:
    """Remove staged uploads older than ``older_than_seconds`` (left by an interrupted upload); returns how many."""
    removed = 0
    limit = time.time() - older_than_seconds
    for path in (data_dir / "staging").iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
        elif path.is_dir() and path.stat().st_mtime < limit:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed
