"""What ``secretome info`` prints for an immunoassay panel, read from the container (``uns['assay']`` and the
``flags`` layer) alone: no curve fitting, so the readers need not import the assay engine."""

from __future__ import annotations

from typing import Any

import numpy as np
from anndata import AnnData


def assay_summary(adata: AnnData) -> dict[str, Any]:
    """The facts ``secretome info`` prints for an assay: format, signal, counts, flags, fitted curves."""
    info = adata.uns["assay"]
    codes = np.asarray(adata.layers["flags"]).ravel()
    names = info["flags"]
    curves = info.get("curves", {})
    statuses = curves.get("status", []) if isinstance(curves, dict) else []
    return {
        "kind": "immunoassay", "path": info["path"], "format": info["format"], "format_version": info["format_version"],
        "instrument": info["instrument"], "signal": info["signal"], "quantity": info["quantity"],
        "n_analytes": int(adata.n_vars), "n_samples": int(adata.n_obs),
        "n_mapped_genes": int((adata.var["gene"] != "").sum()),
        "n_curves": len(statuses), "n_fitted": sum(1 for s in statuses if str(s).startswith("fitted")),
        "flags": {names[c]: int((codes == c).sum()) for c in np.unique(codes)},
    }


def assay_summary_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Human-readable (label, value) pairs of :func:`assay_summary`, in print order."""
    return [
        ("file", summary["path"]),
        ("format", f"{summary['format']} ({summary['format_version'] or 'version not stated'}) {summary['instrument']}".strip()),
        ("signal", f"{summary['signal']} ({summary['quantity']})"),
        ("analytes", f"{summary['n_analytes']} ({summary['n_mapped_genes']} mapped to genes)"),
        ("samples", str(summary["n_samples"])),
        ("standard curves", f"{summary['n_fitted']} fitted of {summary['n_curves']}"),
        ("sample values", ", ".join(f"{flag} {n}" for flag, n in summary["flags"].items())),
    ]
