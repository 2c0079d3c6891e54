"""Plate layout sheets: which well holds which sample, standard, blank or control, at what dilution.

A layout is a long table (CSV/TSV/XLSX), one row per well: ``well`` (required), optional ``plate``,
``sample``, ``kind`` (standard, blank, control, unknown), ``level``, ``expected`` (a standard's or a
control's expected concentration), ``control_low``/``control_high`` (a control's accepted range),
``dilution``, ``unit``, ``analyte`` (when expected concentrations differ per analyte). A layout row
overrides what the export says for that well; errors name the well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import KINDS, AssayRead, classify_sample, finish_wells, normalize_well

COLUMNS = ("plate", "sample", "kind", "level", "expected", "control_low", "control_high", "dilution", "unit", "analyte")


def read_layout(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The layout as a frame with normalised ``well`` names, checked for unknown kinds and repeated wells."""
    if isinstance(source, pd.DataFrame):
        frame, path = source.copy(), "<layout>"
    else:
        from secretome.io.table import read_table

        path = Path(source)
        frame = read_table(path).frame
    frame.columns = [str(c).strip().casefold() for c in frame.columns]
    if "well" not in frame:
        raise SecretomeInputError("missing column", file=path, column="well", expected="a layout sheet with one row per well")
    wells = []
    for i, value in enumerate(frame["well"]):
        well = normalize_well(value)
        if well is None:
            raise SecretomeInputError(f"{value!r} is not a well name", file=path, row=i + 2, column="well", expected="a well like A1 or B12")
        wells.append(well)
    frame["well"] = wells
    if "plate" in frame:
        frame["plate"] = frame["plate"].astype(str)
    if "kind" in frame:
        kinds = frame["kind"].fillna("").astype(str).str.strip().str.casefold()
        bad = ~kinds.isin(KINDS) & (kinds != "")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SecretomeInputError(f"well {frame['well'].iloc[i]}: kind {frame['kind'].iloc[i]!r}", file=path, row=i + 2, column="kind", expected=f"one of {list(KINDS)}")
        frame["kind"] = kinds.replace("", np.nan)
    key = [c for c in ("plate", "well", "analyte") if c in frame]
    repeated = frame.duplicated(key, keep=False)
    if repeated.any():
        well = frame.loc[repeated, "well"].iloc[0]
        raise SecretomeInputError(f"well {well} appears more than once", file=path, row=int(np.flatnonzero(repeated.to_numpy())[1]) + 2, column="well", expected="each well once (per plate and analyte)")
    for column in ("expected", "control_low", "control_high", "dilution"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def apply_layout(read: AssayRead, layout: str | Path | pd.DataFrame) -> AssayRead:
    """``read`` with its wells' sample, kind, level, expected concentration and dilution taken from ``layout``."""
    sheet = read_layout(layout)
    wells = read.wells.copy()
    keys = [c for c in ("plate", "well", "analyte") if c in sheet]
    known = set(map(tuple, wells[keys].astype(str).to_numpy()))
    for _, row in sheet.iterrows():
        key = tuple(str(row[c]) for c in keys)
        if key not in known:
            raise SecretomeInputError(
                f"layout well {row['well']}{' of plate ' + str(row['plate']) if 'plate' in keys else ''} is not in the export",
                file=read.path, row=f"well {row['well']}", expected=f"wells of the export ({len(known)} found)",
            )
    merged = wells.merge(sheet, on=keys, how="left", suffixes=("", "_layout"))
    for column in COLUMNS:
        layout_column = f"{column}_layout" if f"{column}_layout" in merged else column if column not in wells and column in merged else None
        if layout_column is None or column not in wells:
            continue
        given = merged[layout_column]
        present = given.notna() & (given.astype(str).str.strip() != "")
        merged.loc[present, column] = given[present]
    if "sample" in sheet and "kind" not in sheet:
        for i in merged.index[merged["sample_layout"].notna()] if "sample_layout" in merged else []:
            merged.loc[i, "kind"], level = classify_sample(merged.at[i, "sample"])
            merged.loc[i, "level"] = level or merged.at[i, "level"]
    standard = merged["kind"] == "standard"
    merged.loc[standard & (merged["level"].astype(str) == ""), "level"] = merged.loc[standard, "sample"]
    read.wells = finish_wells(merged[[c for c in wells.columns]], read.path)
    read.meta["layout"] = str(layout) if not isinstance(layout, pd.DataFrame) else "<DataFrame>"
    return read
