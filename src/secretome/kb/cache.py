"""An on-disk cache of what every process would otherwise derive again from the shipped knowledge base.

Applying the curated rules to all entries (:func:`secretome.kb.store.load_kb`) and indexing the gene sets
(:func:`secretome.stats.enrichment.set_index`) take about a second per process; both results depend only on
the shipped files and the code that derives them. They are stored as ``.npz`` archives of plain arrays
(strings joined by NUL; never pickles, so a planted file cannot run code) in the user's cache folder
(``$XDG_CACHE_HOME/secretome``, else ``~/.cache/secretome``), under a name holding :func:`fingerprint`: the
SHA-256 of the knowledge-base files and of the modules that derive from them. An edited rule file, a rebuilt
knowledge base or changed code gives a new name, so a stale result is never read.

Safe by construction: a file is written under a temporary name in the same folder and renamed into place
(readers see a whole file or none; concurrent writers of the same content just replace each other); it is
read only if its stored fingerprint equals the expected one and zip's CRC-32 of every member checks, else it
is ignored and rebuilt. A cache folder that cannot be written only costs the rebuild: nothing fails.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np

FORMAT = "1"
"""Bumped when the layout of the cached archives changes."""

SEPARATOR = "\x00"
"""Joins a column of strings into one UTF-8 array (no knowledge-base text holds it; checked when packing)."""


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/secretome`` (the XDG base-directory rule), else ``~/.cache/secretome``."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "secretome"


def sources() -> list[Path]:
    """The files a cached result depends on: the shipped knowledge base (data and curated rules) and the
    modules that derive from it."""
    from secretome.kb.store import CURATED_FILES, data_dir

    here = Path(__file__).resolve().parent
    files = [data_dir() / name for name in ("manifest.json", "proteins.tsv.gz", "gene_sets.gmt.gz")]
    files += [data_dir() / "curated" / name for name in CURATED_FILES]
    return files + [here / "cache.py", here / "store.py", here / "vocab.py", here.parent / "stats" / "enrichment.py"]


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """SHA-256 of :func:`sources` (names and contents) and of the cache :data:`FORMAT`."""
    digest = hashlib.sha256(FORMAT.encode())
    for path in sources():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def pack_strings(values: object) -> np.ndarray | None:
    """A sequence of strings as one UTF-8 byte array (NUL-joined); None when a value holds NUL itself."""
    items = [str(value) for value in values]  # type: ignore[union-attr]
    if any(SEPARATOR in item for item in items):
        return None
    return np.frombuffer(SEPARATOR.join(items).encode("utf-8"), dtype=np.uint8)


def unpack_strings(data: np.ndarray, count: int) -> np.ndarray:
    """The object array of ``count`` strings that :func:`pack_strings` packed."""
    items = data.tobytes().decode("utf-8").split(SEPARATOR) if count else []
    if len(items) != count:
        raise ValueError(f"expected {count} strings, found {len(items)}")
    out = np.empty(count, dtype=object)
    out[:] = items
    return out


def _path(name: str) -> Path:
    return cache_dir() / f"{name}-{fingerprint()[:20]}.npz"


def load(name: str) -> dict[str, np.ndarray] | None:
    """The arrays cached under ``name`` for this knowledge base and code, or None (absent, foreign or damaged)."""
    path = _path(name)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}  # reading a member checks its CRC-32
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    stored = arrays.pop("__fingerprint__", None)
    if stored is None or stored.tobytes().decode("ascii", "replace") != fingerprint():
        return None
    return arrays


def store(name: str, arrays: Mapping[str, np.ndarray]) -> None:
    """Cache ``arrays`` under ``name``: written beside the target and renamed into place; errors are ignored."""
    path = _path(name)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            np.savez(file, __fingerprint__=np.frombuffer(fingerprint().encode("ascii"), dtype=np.uint8), **arrays)
        os.replace(temporary, path)
        temporary = None
    except OSError:
        pass
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
