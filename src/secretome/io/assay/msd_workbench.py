"""MSD Discovery Workbench result exports (CSV/TXT): one row per well and spot with Sample, Assay, Well,
Dilution, Concentration (standards' expected), Signal and Workbench's ``Calc. Concentration``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, classify_sample, finish_wells, normalize_well, parse_value
from secretome.io.assay.text import read_text

FORMAT = "msd_workbench"
REQUIRED = ("Sample", "Assay", "Well", "Signal")


def detect_score(path: Path, head: str) -> int:
    """10 when the first or second line is a Workbench header (Sample, Assay, Well, Spot ... Signal), else 0."""
    for line in head.splitlines()[:3]:
        cells = [c.strip() for c in line.replace("\t", ",").split(",")]
        if all(name in cells for name in REQUIRED) and "Spot" in cells:
            return 10
    return 0


def read(path: Path) -> AssayRead:
    """Parse a Discovery Workbench export into the well table (one analyte per Assay, spot kept in the name
    when a well has several spots of the same assay)."""
    lines = read_text(path).splitlines()
    start = next((i for i, line in enumerate(lines[:5]) if "Sample" in line and "Signal" in line), None)
    if start is None:
        raise SecretomeInputError("no 'Sample,Assay,Well,...,Signal' header", file=path, expected="an MSD Discovery Workbench export")
    separator = "\t" if "\t" in lines[start] else ","
    table = pd.read_csv(io.StringIO("\n".join(lines[start:])), sep=separator, dtype=str, keep_default_na=False)
    for column in REQUIRED:
        if column not in table:
            raise SecretomeInputError("missing column", file=path, column=column, expected="an MSD Discovery Workbench export")
    plate = lines[0].strip().strip(",") if start > 0 else "1"
    rows: list[dict[str, Any]] = []
    for number, row in table.iterrows():
        well = normalize_well(row["Well"])
        if well is None:
            raise SecretomeInputError(f"{row['Well']!r} is not a well name", file=path, row=start + number + 2, column="Well")
        kind, level = classify_sample(row["Sample"])
        vendor, flag = parse_value(row.get("Calc. Concentration", ""))
        rows.append({
            "plate": plate, "well": well, "sample": row["Sample"], "kind": kind, "level": level,
            "analyte": row["Assay"] if str(row.get("Spot", "1")) in ("", "1") else f"{row['Assay']} spot {row['Spot']}",
            "signal": row["Signal"], "expected": row.get("Concentration", "") if kind == "standard" else None,
            "dilution": row.get("Dilution", "") or 1.0, "vendor_concentration": vendor, "vendor_flag": flag,
        })
    return AssayRead(path=Path(path), format=FORMAT, format_version="", signal_name="ECL signal", wells=finish_wells(rows, Path(path)))
