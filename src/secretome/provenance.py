"""Provenance: every stage records what it did in ``adata.uns['provenance']`` so reports can trace numbers."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretome import __version__

if TYPE_CHECKING:
    from anndata import AnnData


def record_step(adata: AnnData, step: str, function: str, params: dict[str, Any] | None = None) -> None:
    """Append one step (name, function, parameters, package version, UTC time) to the dataset's provenance."""
    steps = provenance_steps(adata)
    steps.append(
        {
            "step": step,
            "function": function,
            "params": {key: _plain(value) for key, value in (params or {}).items()},
            "secretome_version": __version__,
            "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )
    adata.uns["provenance"] = steps


def provenance_steps(adata: AnnData) -> list[dict[str, Any]]:
    """The recorded steps in order, whether held as a list or as read back from h5ad (dict keyed '000', '001', ...)."""
    stored = adata.uns.get("provenance", [])
    if isinstance(stored, dict):
        return [stored[key] for key in sorted(stored)]
    return list(stored)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """Make a parameter storable in h5ad (strings, numbers, bools, lists of those)."""
    if value is None:
        return "None"
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)
