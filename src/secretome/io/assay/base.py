"""What every immunoassay reader returns: one long table of wells x analytes, plus the export's metadata.

One row per (plate, well, analyte). Columns (:data:`WELL_COLUMNS`):

- ``plate``, ``well`` (``A1`` form), ``sample`` (the name in the export), ``kind`` (standard, blank,
  control, unknown), ``level`` (standard/control level name, e.g. ``Standard3``), ``analyte``;
- ``signal`` (the response fitted: net MFI, OD, ECL counts, NPX), ``raw_signal`` (before blank subtraction,
  where the export has both), ``count`` (beads, multiplex only);
- ``expected`` (standard/control expected concentration), ``control_low``/``control_high`` (control range),
  ``dilution`` (factor, 1 when not given), ``unit``;
- ``vendor_concentration`` / ``vendor_flag`` (the instrument software's own result and its ``<``/``>``
  out-of-range marker), ``masked`` (excluded by the operator in the export).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError

WELL_COLUMNS = (
    "plate", "well", "sample", "kind", "level", "analyte", "signal", "raw_signal", "count", "expected",
    "control_low", "control_high", "dilution", "unit", "vendor_concentration", "vendor_flag", "masked",
)
KINDS = ("standard", "blank", "control", "unknown")


@dataclass
class AssayRead:
    """A parsed immunoassay export: the well table and what the export says about itself."""

    path: Path
    format: str
    format_version: str
    signal_name: str  # e.g. "Net MFI", "OD 450-620", "ECL signal", "NPX"
    wells: pd.DataFrame
    instrument: str = ""
    #: what ``signal`` holds: "signal" (a response to fit against standards), "concentration" (values
    #: already in concentration or activity units, e.g. a generic long table) or "relative" (NPX: log2
    #: relative units, never fitted).
    quantity: str = "signal"
    blank_subtracted: bool = False  # the export's signal is already net of the blank (xPONENT Net MFI ...)
    vendor_curves: dict[str, dict[str, Any]] = field(default_factory=dict)  # analyte -> vendor fit
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def relative(self) -> bool:
        return self.quantity == "relative"

    @property
    def analytes(self) -> list[str]:
        return list(dict.fromkeys(self.wells["analyte"]))

    @property
    def plates(self) -> list[str]:
        return list(dict.fromkeys(self.wells["plate"]))


_WELL = re.compile(r"^\s*([A-Pa-p]{1,2})\s*0*(\d{1,2})\s*$")


def normalize_well(text: object) -> str | None:
    """``A01``/``a1``/`` A1 `` -> ``A1``; None when it is not a well name (rows A..AF, columns 1..48)."""
    match = _WELL.match(str(text))
    if not match:
        return None
    return f"{match.group(1).upper()}{int(match.group(2))}"


_STANDARD = re.compile(r"^(?:standard|std|st|s|cal|calibrator)\s*[-_ ]?\s*(\d+)$", re.I)
_BLANK = re.compile(r"^(?:background|blank|blk|bkgd|bg|buffer|zero)\s*[-_ ]?\s*\d*$", re.I)
_CONTROL = re.compile(r"^(?:control|ctrl|ctl|qc|c)\s*[-_ ]?\s*(\d+|low|mid|high|l|m|h)$", re.I)


def classify_sample(name: str) -> tuple[str, str]:
    """(kind, level) from a well's sample name as instrument software writes it (Standard3, S3, STD3,
    Background0, BLK, Control1, QC-high ...); everything else is an unknown sample."""
    text = str(name).strip()
    match = _STANDARD.match(text)
    if match:
        return "standard", f"Standard{int(match.group(1))}"
    if _BLANK.match(text):
        return "blank", ""
    match = _CONTROL.match(text)
    if match:
        return "control", f"Control{match.group(1)}"
    return "unknown", ""


_OUT_OF_RANGE = re.compile(r"^\s*([<>])\s*([-+0-9.eE]+)\s*$")


def parse_value(text: object) -> tuple[float, str]:
    """A result cell -> (number, flag): ``'< 0.105'`` -> (0.105, '<'), ``'NaN'``/``''`` -> (nan, ''),
    ``'***'``/``'Range?'``/``'OOR >'`` -> (nan, '>' or '<' or '?')."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return float("nan"), ""
    if isinstance(text, (int, float, np.number)):
        return float(text), ""
    value = str(text).strip()
    if value == "" or value.casefold() in {"nan", "na", "n/a", "none", "null", "-"}:
        return float("nan"), ""
    match = _OUT_OF_RANGE.match(value)
    if match:
        return float(match.group(2)), match.group(1)
    lowered = value.casefold()
    if "oor" in lowered or "range" in lowered or set(value) <= {"*"}:
        return float("nan"), ">" if ">" in value else "<" if "<" in value else "?"
    try:
        return float(value.replace(",", "")) if value.count(",") and "." in value else float(value), ""
    except ValueError:
        return float("nan"), "?"


def finish_wells(rows: list[dict[str, Any]] | pd.DataFrame, path: Path) -> pd.DataFrame:
    """The well table in column order with defaults, checked for repeated (plate, well, analyte) rows."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise SecretomeInputError("no wells with measurements found", file=path, expected="an immunoassay export with well rows")
    defaults: dict[str, Any] = {
        "plate": "1", "level": "", "raw_signal": np.nan, "count": np.nan, "expected": np.nan, "control_low": np.nan,
        "control_high": np.nan, "dilution": 1.0, "unit": "", "vendor_concentration": np.nan, "vendor_flag": "",
        "masked": False,
    }
    for column, default in defaults.items():
        if column not in frame:
            frame[column] = default
    for column in ("sample", "kind", "analyte"):
        if column not in frame:
            raise SecretomeInputError(f"reader produced no {column!r} column", file=path)
    frame["dilution"] = pd.to_numeric(frame["dilution"], errors="coerce").fillna(1.0)
    for column in ("signal", "raw_signal", "count", "expected", "control_low", "control_high", "vendor_concentration"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["masked"] = frame["masked"].fillna(False).astype(bool)
    frame["plate"] = frame["plate"].astype(str)
    frame["vendor_flag"] = frame["vendor_flag"].fillna("").astype(str)
    frame["unit"] = frame["unit"].fillna("").astype(str)
    frame["level"] = frame["level"].fillna("").astype(str)
    repeated = frame.duplicated(["plate", "well", "analyte"], keep=False)
    if repeated.any():
        first = frame[repeated].iloc[0]
        raise SecretomeInputError(
            f"well {first['well']} of plate {first['plate']} appears more than once for analyte {first['analyte']!r}",
            file=path, row=f"well {first['well']}", expected="each well once per analyte and plate",
        )
    return frame[list(WELL_COLUMNS)].reset_index(drop=True)
