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
from secretome.io.assay.summary import assay_summary, assay_summary_lines

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


def potency_results(
    adata: AnnData, specification: str | Path | pd.DataFrame | list[dict[str, Any]], lot: str | None = None, lot_column: str = "lot"
) -> list[dict[str, Any]]:
    """A lot's potency/release results as plain records (for the registry's lot page); all lots when ``lot`` is None."""
    table = lot_potency(adata, specification, lot_column=lot_column)
    if lot is not None:
        table = table[table["lot"] == str(lot)]
    return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in row.items()} for row in table.to_dict("records")]
