"""The immunoassay section of a profile report: a targeted panel beside the proteome.

Purity is not assessable from a targeted panel (it measures no serum, lysis or handling proteins); the
section shows the panel per lot with flags, the cytokine balance (rules as data), potency results and the
agreement with the proteome for every shared factor (MS detection limit noted)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.assays.agreement import assay_proteome_agreement
from secretome.assays.balance import cytokine_balance
from secretome.assays.config import rule
from secretome.assays.plots import balance_figure
from secretome.assays.potency import lot_potency
from secretome.assays.quantify import FLAGS

#: The tables the demo's immunoassay section writes beside a profile report.
DEMO_ASSAY_FILES = ("assay_panel.tsv", "assay_balance.tsv", "assay_potency.tsv", "assay_agreement.tsv")


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    """A result table as the section partial draws it: column names and rows (NaN -> None, numbers as numbers)."""
    rows = [{str(column): (None if isinstance(value, (float, np.floating)) and not np.isfinite(value)
                           else value.item() if isinstance(value, np.generic) else value)
             for column, value in row.items()} for row in frame.to_dict("records")]
    return {"columns": [str(column) for column in frame.columns], "rows": rows}


def panel_by_lot(assay: AnnData, lot_column: str) -> pd.DataFrame:
    """Per analyte: median quantified concentration per lot and the share of values outside the range."""
    lots = assay.obs[lot_column].astype(str) if lot_column in assay.obs else pd.Series("all", index=assay.obs_names)
    flags = np.asarray(assay.layers["flags"])
    rows = []
    for j, analyte in enumerate(assay.var_names):
        row: dict[str, Any] = {"analyte": analyte, "gene": assay.var["gene"].iloc[j], "unit": assay.var["unit"].iloc[j]}
        for lot in dict.fromkeys(lots):
            mask = (lots == lot).to_numpy()
            ok = mask & (flags[:, j] == 0)
            values = np.asarray(assay.X[ok, j], dtype=float)
            row[f"{lot} median"] = float(np.median(values)) if values.size else float("nan")
        codes = flags[:, j]
        row["not quantified"] = ", ".join(f"{FLAGS[c]} {int((codes == c).sum())}" for c in np.unique(codes) if c != 0) or "none"
        rows.append(row)
    return pd.DataFrame(rows)


def assay_section(
    assay: AnnData, proteome: AnnData | None = None, *, lot_column: str = "lot", potency: Any = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """(report section, files): the section is data for the report's ``immunoassay`` partial
    (``report/templates/sections/immunoassay.html.j2``): the curve settings and the result tables, no HTML."""
    from secretome.tables import tsv_text

    params = assay.uns["assay"]["params"]
    data: dict[str, Any] = {"model": str(params.get("model", "")), "weights": str(params.get("weights", ""))}
    panel = panel_by_lot(assay, lot_column)
    data["panel"] = _table(panel)
    files = {"assay_panel.tsv": tsv_text(panel)}
    figures = []
    balance = cytokine_balance(assay)
    if not balance.empty:
        data["balance_rules"] = _table(balance.drop_duplicates("ratio")[["ratio", "favourable", "rule", "source"]])
        figures.append(balance_figure(balance))
        files["assay_balance.tsv"] = tsv_text(balance)
    if potency is not None:
        results = lot_potency(assay, potency, lot_column=lot_column)
        data["potency"] = _table(results[["lot", "analyte", "kind", "value", "unit", "low", "high", "result", "note", "source"]])
        files["assay_potency.tsv"] = tsv_text(results)
    if proteome is not None:
        unit = lot_column
        min_lots = rule("agreement", "min_lots")
        if lot_column in assay.obs and assay.obs[lot_column].nunique() < min_lots:
            unit = "sample"  # too few lots for a rank correlation: compare preparations (samples) instead
        a, p = assay.copy(), proteome.copy()
        a.obs["sample"], p.obs["sample"] = list(map(str, a.obs_names)), list(map(str, p.obs_names))
        agreement = assay_proteome_agreement(a, p, lot_column=unit)
        data["agreement"] = _table(agreement)
        data["agreement_across"] = "lots" if unit == lot_column else f"samples: fewer lots than {min_lots:g}"
        files["assay_agreement.tsv"] = tsv_text(agreement)
    section = {"id": "immunoassay", "title": "Immunoassay panel", "partial": "immunoassay", "data": data, "figures": figures}
    return section, files


def profile_assay_section(
    proteome: AnnData, assay_path: Any = None, *, demo: bool = False, lot_column: str = "lot"
) -> tuple[dict[str, Any], dict[str, str]]:
    """The profile's immunoassay section: ``assay_path`` read and fitted (the demo's simulated panel when
    ``demo`` and no path), its samples given the proteome's sample sheet columns (lot ...) by name."""
    import tempfile
    from pathlib import Path

    from secretome.assays import read_assay_data
    from secretome.assays.demo import DEMO_POTENCY, write_demo_assay

    with tempfile.TemporaryDirectory() as folder:
        path = Path(assay_path) if assay_path is not None else write_demo_assay(folder, proteome)
        assay = read_assay_data(path)
    shared = [name for name in assay.obs_names if name in proteome.obs_names]
    for column in proteome.obs.columns:
        if column not in assay.obs:
            assay.obs[column] = proteome.obs[column].reindex(assay.obs_names).astype(object).where(assay.obs_names.isin(shared), "").to_numpy()
    return assay_section(assay, proteome, lot_column=lot_column, potency=DEMO_POTENCY if demo and assay_path is None else None)
