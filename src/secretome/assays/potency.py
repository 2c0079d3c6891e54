"""Potency and release assays as a lot attribute: a measured factor (an ELISA concentration, or an activity
readout such as IDO kynurenine or T-cell suppression %) declared with acceptance limits, judged per lot.

A declaration is data (a TSV/CSV or a list of dicts): ``analyte``, ``kind`` (potency or release), ``low``
and/or ``high`` (acceptance limits in ``unit``), ``unit``, ``source`` (the specification it comes from).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.assays.quantify import FLAG_CODES
from secretome.errors import SecretomeInputError

SPEC_COLUMNS = ("analyte", "kind", "low", "high", "unit", "source")


def read_specification(source: str | Path | pd.DataFrame | list[dict[str, Any]]) -> pd.DataFrame:
    """Potency/release declarations, checked: every row names an analyte and at least one limit."""
    if isinstance(source, pd.DataFrame):
        frame, path = source.copy(), "<specification>"
    elif isinstance(source, list):
        frame, path = pd.DataFrame(source), "<specification>"
    else:
        from secretome.io.table import read_table

        path = Path(source)
        frame = read_table(path).frame
    frame.columns = [str(c).strip().casefold() for c in frame.columns]
    if "analyte" not in frame:
        raise SecretomeInputError("missing column", file=path, column="analyte", expected=f"columns {list(SPEC_COLUMNS)}")
    for column in SPEC_COLUMNS:
        if column not in frame:
            frame[column] = np.nan if column in ("low", "high") else ""
    frame["low"] = pd.to_numeric(frame["low"], errors="coerce")
    frame["high"] = pd.to_numeric(frame["high"], errors="coerce")
    for i, row in frame.iterrows():
        if not np.isfinite(row["low"]) and not np.isfinite(row["high"]):
            raise SecretomeInputError(f"{row['analyte']}: no acceptance limit", file=path, row=int(i) + 2, expected="a low and/or high limit")
        if str(row["kind"]).strip().casefold() not in ("potency", "release", ""):
            raise SecretomeInputError(f"{row['analyte']}: kind {row['kind']!r}", file=path, row=int(i) + 2, column="kind", expected="potency or release")
    frame["kind"] = frame["kind"].replace("", "potency").fillna("potency")
    return frame[list(SPEC_COLUMNS)]


def lot_potency(adata: AnnData, specification: pd.DataFrame | str | Path | list[dict[str, Any]], lot_column: str = "lot") -> pd.DataFrame:
    """One row per lot and declared assay: the lot's mean value, its flag, the limits and pass/fail.

    Only quantified values (flag ``ok``) are averaged. A lot with no quantified value but values below LLOQ
    fails a ``low`` limit (it cannot be shown to reach it) and passes a ``high``-only one; above ULOQ, the
    reverse. The note says so."""
    spec = read_specification(specification)
    lots = adata.obs[lot_column].astype(str) if lot_column in adata.obs else pd.Series(adata.obs_names, index=adata.obs_names)
    names = {str(a).casefold(): i for i, a in enumerate(adata.var_names)}
    genes = {str(g).casefold(): i for i, g in enumerate(adata.var.get("gene", pd.Series(dtype=str)))} if "gene" in adata.var else {}
    flags = adata.layers["flags"] if "flags" in adata.layers else np.zeros(adata.shape, dtype=int)
    rows = []
    for _, row in spec.iterrows():
        key = str(row["analyte"]).casefold()
        j = names.get(key, genes.get(key))
        if j is None:
            raise SecretomeInputError(f"declared assay {row['analyte']!r} is not on the panel", expected=f"one of {list(adata.var_names)}")
        for lot in dict.fromkeys(lots):
            mask = (lots == lot).to_numpy()
            values = np.asarray(adata.X[mask, j], dtype=float)
            codes = flags[mask, j]
            quantified = values[(codes == FLAG_CODES["ok"]) & np.isfinite(values)]
            value = float(np.mean(quantified)) if quantified.size else float("nan")
            below = bool(np.any(np.isin(codes, [FLAG_CODES["<LLOQ"], FLAG_CODES["<curve"]])))
            above = bool(np.any(np.isin(codes, [FLAG_CODES[">ULOQ"], FLAG_CODES[">curve"]])))
            if np.isfinite(value):
                passed = (not np.isfinite(row["low"]) or value >= row["low"]) and (not np.isfinite(row["high"]) or value <= row["high"])
                note = ""
            elif below:
                passed = not np.isfinite(row["low"])
                note = "below LLOQ"
            elif above:  # at least the ULOQ: it reaches a low limit, it cannot be shown to stay under a high one
                passed = not np.isfinite(row["high"])
                note = "above ULOQ"
            else:
                passed, note = False, "not measured"
            rows.append({
                "lot": lot, "analyte": adata.var_names[j], "gene": adata.var["gene"].iloc[j] if "gene" in adata.var else "",
                "kind": row["kind"], "value": value, "unit": row["unit"] or (adata.var["unit"].iloc[j] if "unit" in adata.var else ""),
                "low": row["low"], "high": row["high"], "result": "pass" if passed else "fail", "note": note, "source": row["source"],
            })
    return pd.DataFrame(rows)
