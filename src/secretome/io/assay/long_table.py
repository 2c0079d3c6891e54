"""A generic long immunoassay table: one row per sample and analyte (CSV/TSV/XLSX).

Required columns: ``sample``, ``analyte``, ``value`` (or ``concentration``), optional ``unit``, ``plate``,
``well``, ``dilution``, ``flag`` (``<``/``>`` as an instrument wrote it). Values are concentrations or
activity readouts as measured (e.g. HGF pg/mL, IDO kynurenine uM, T-cell suppression %); with a ``signal``
column and ``kind``/``expected`` columns (standards) the table is fitted like any plate export instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, classify_sample, finish_wells, normalize_well, parse_value

FORMAT = "long"


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    return {str(c).strip().casefold(): c for c in frame.columns}


def detect_score(path: Path, head: str) -> int:
    """5 when the header has sample, analyte and value/concentration/signal columns, else 0."""
    first = head.splitlines()[0].casefold() if head else ""
    cells = {c.strip().strip('"') for c in first.replace(";", ",").replace("\t", ",").split(",")}
    return 5 if {"sample", "analyte"} <= cells and cells & {"value", "concentration", "signal"} else 0


def read(path: Path) -> AssayRead:
    """Parse a long table into the well table."""
    from secretome.io.table import read_table

    frame = read_table(Path(path)).frame
    columns = _columns(frame)
    for name in ("sample", "analyte"):
        if name not in columns:
            raise SecretomeInputError("missing column", file=path, column=name, expected="a long table: sample, analyte, value, unit")
    fitted = "signal" in columns
    value_column = columns.get("signal") or columns.get("value") or columns.get("concentration")
    if value_column is None:
        raise SecretomeInputError("missing column", file=path, column="value", expected="a value, concentration or signal column")
    rows: list[dict[str, Any]] = []
    for i, row in frame.iterrows():
        sample = str(row[columns["sample"]]).strip()
        value, flag = parse_value(row[value_column])
        if flag == "?":
            raise SecretomeInputError(f"value {row[value_column]!r} is not a number", file=path, row=i + 2, column=str(value_column))
        given_flag = str(row[columns["flag"]]).strip() if "flag" in columns and pd.notna(row[columns["flag"]]) else ""
        kind = str(row[columns["kind"]]).strip().casefold() if "kind" in columns else ""
        guessed, level = classify_sample(sample)
        kind = kind if kind in ("standard", "blank", "control", "unknown") else guessed
        if kind == "standard" and "level" in columns:
            level = str(row[columns["level"]])
        well = normalize_well(row[columns["well"]]) if "well" in columns else None
        rows.append({
            "plate": str(row[columns["plate"]]) if "plate" in columns else "1",
            "well": well or f"row{i + 2}", "sample": sample, "kind": kind, "level": level,
            "analyte": str(row[columns["analyte"]]).strip(), "signal": value,
            "expected": parse_value(row[columns["expected"]])[0] if "expected" in columns else np.nan,
            "dilution": parse_value(row[columns["dilution"]])[0] if "dilution" in columns else 1.0,
            "unit": str(row[columns["unit"]]).strip() if "unit" in columns and pd.notna(row[columns["unit"]]) else "",
            "vendor_flag": flag or given_flag,
        })
    return AssayRead(
        path=Path(path), format=FORMAT, format_version="", signal_name="signal" if fitted else "value",
        wells=finish_wells(rows, Path(path)), quantity="signal" if fitted else "concentration",
    )
