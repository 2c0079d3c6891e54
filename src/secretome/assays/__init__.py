"""Immunoassays (ELISA, multiplex bead and electrochemiluminescence panels, Olink NPX) beside the proteome.

Export -> :func:`secretome.io.assay.read_assay` (a well table) -> :func:`quantify` (standard curves,
limits of quantification, flags) -> :func:`to_anndata` (samples x analytes, the engine's container) ->
QC (:mod:`secretome.assays.qc`), cytokine balance, potency as a lot attribute, agreement with proteomics.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.assays.agreement import assay_proteome_agreement
from secretome.assays.balance import cytokine_balance
from secretome.assays.container import to_anndata
from secretome.assays.curves import CurveFit, fit_curve
from secretome.assays.potency import lot_potency, read_specification
from secretome.assays.quantify import FLAGS, AssayResult, quantify

__all__ = [
    "AssayResult", "CurveFit", "FLAGS", "assay_proteome_agreement", "assay_summary", "assay_summary_lines", "cytokine_balance",
    "fit_curve", "is_assay", "lot_potency", "potency_results", "quantify", "read_assay_data", "read_specification", "to_anndata",
]


def read_assay_data(
    path: str | Path,
    samples: str | Path | pd.DataFrame | None = None,
    *,
    format: str | None = None,
    layout: str | Path | pd.DataFrame | None = None,
    model: str = "5pl",
    weights: str = "1/y^2",
    blank: str = "auto",
    substitution: str = "none",
    decimal: str = "exclude",
    sample_column: str | None = None,
) -> AnnData:
    """An immunoassay export as a samples x analytes AnnData (curves fitted where the export has standards).

    ``samples`` is a sample sheet (as for :func:`secretome.read`) joined on the sample names; the other
    parameters are those of :func:`secretome.io.assay.read_assay` and :func:`quantify`.
    """
    from secretome.io.assay import read_assay
    from secretome.io.samples import match_samples, read_samples

    read = read_assay(path, format=format, layout=layout)
    has_standards = ((read.wells["kind"] == "standard") & np.isfinite(read.wells["expected"]) & (read.wells["expected"] > 0)).any()
    if read.quantity == "signal" and has_standards:
        adata = to_anndata(quantify(read, model=model, weights=weights, blank=blank, substitution=substitution, decimal=decimal))
    else:
        adata = to_anndata(read)
    if samples is not None:
        sheet = read_samples(samples, name_column=sample_column)
        names = list(map(str, adata.obs_names))
        rows = match_samples(sheet, names, names, data_file=path)
        for column in sheet.columns:
            adata.obs[column] = sheet.loc[rows, column].to_numpy()
    return adata


def is_assay(adata: AnnData) -> bool:
    """Whether ``adata`` holds an immunoassay panel (made by :func:`to_anndata`)."""
    return adata.uns.get("source", {}).get("kind") == "immunoassay"


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


def potency_results(
    adata: AnnData, specification: str | Path | pd.DataFrame | list[dict[str, Any]], lot: str | None = None, lot_column: str = "lot"
) -> list[dict[str, Any]]:
    """A lot's potency/release results as plain records (for the registry's lot page); all lots when ``lot`` is None."""
    table = lot_potency(adata, specification, lot_column=lot_column)
    if lot is not None:
        table = table[table["lot"] == str(lot)]
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()} for row in table.to_dict("records")]
