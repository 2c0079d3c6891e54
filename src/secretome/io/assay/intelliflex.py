"""Luminex INTELLIFLEX CSV exports (one row per well; per region ``Rnn: RP1 <statistic>`` columns).

Read natively with pandas rather than through allotropy, because allotropy's ASM keeps only the median and
the fitted response here is the NET MEDIAN (blank-subtracted) with its bead COUNT and the well type.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, classify_sample, finish_wells, normalize_well
from secretome.io.assay.text import read_text

FORMAT = "intelliflex"
_REGION = re.compile(r"^(R\d+): RP1 ANALYTE NAME$")
#: INTELLIFLEX well types: U unknown, S standard, C control, B background.
_WELL_TYPES = {"U": "unknown", "S": "standard", "C": "control", "B": "blank"}


def detect_score(path: Path, head: str) -> int:
    """10 for an INTELLIFLEX CSV (``INSTRUMENT TYPE`` and ``RP1 ANALYTE NAME`` columns), else 0."""
    return 10 if "INSTRUMENT TYPE" in head and "RP1 ANALYTE NAME" in head else 0


def read(path: Path) -> AssayRead:
    """Parse an INTELLIFLEX CSV into the well table (signal = NET MEDIAN, Median as raw signal)."""
    text = read_text(path).split("--DOCUMENT SIGNATURE--")[0]
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise SecretomeInputError(f"not a readable INTELLIFLEX CSV ({error})", file=path) from None
    regions = [m.group(1) for c in table.columns if (m := _REGION.match(c))]
    for column in ("WELL LOCATION", "WELL TYPE", "SAMPLE ID"):
        if column not in table:
            raise SecretomeInputError("missing column", file=path, column=column, expected="an INTELLIFLEX CSV export")
    rows: list[dict[str, Any]] = []
    for number, row in table.iterrows():
        well = normalize_well(row["WELL LOCATION"])
        if well is None:
            raise SecretomeInputError(f"well {row['WELL LOCATION']!r} is not a well name", file=path, row=number + 2, column="WELL LOCATION")
        well_type = str(row["WELL TYPE"]).strip()
        kind = _WELL_TYPES.get(well_type[:1].upper(), "") or classify_sample(row["SAMPLE ID"])[0]
        level = f"Standard{well_type[1:]}" if kind == "standard" else f"Control{well_type[1:]}" if kind == "control" else ""
        for region in regions:
            analyte = str(row[f"{region}: RP1 ANALYTE NAME"]).strip()
            if analyte.casefold() in {"", "nan"}:  # region not used in this well
                continue
            rows.append({
                "plate": row.get("PLATE NAME", "1") or "1", "well": well, "sample": row["SAMPLE ID"], "kind": kind, "level": level,
                "analyte": analyte, "signal": row.get(f"{region}: RP1 NET MEDIAN"), "raw_signal": row.get(f"{region}: RP1 MEDIAN"),
                "count": row.get(f"{region}: RP1 COUNT"), "dilution": row.get("DILUTION") or 1.0,
            })
    first = table.iloc[0] if len(table) else {}
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=str(first.get("SOFTWARE VERSION", "")).split("/")[0],
        signal_name="Net MFI", blank_subtracted=True, wells=finish_wells(rows, Path(path)), instrument=str(first.get("MODEL NAME", "")),
    )
