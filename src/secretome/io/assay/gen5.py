"""Agilent BioTek Gen5 plate-reader exports (text): a ``Layout`` grid and a ``Results`` grid.

The layout gives each well's ID (``STD3``, ``BLK``, ``SPL1`` or ``SPL1:2``) and its ``Conc/Dil`` value: the
expected concentration of a standard, or the dilution of a sample. Gen5 writes sample dilutions as the
fraction of neat sample (``0.5`` = diluted 1:2; the example's responses halve with it), so a value below 1
becomes the factor ``1/value``. Results rows carry one line per data set, labelled in the last column:
the blank-subtracted read (``Blank ...``) is the fitted signal when present, ``[Concentration]`` is Gen5's
own back-calculated result (with ``<0.000``/``>40.000`` out-of-range strings).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, finish_wells, parse_value
from secretome.io.assay.text import read_text

FORMAT = "gen5"
_ROW = re.compile(r"^[A-P]$")


def detect_score(path: Path, head: str) -> int:
    """10 for a Gen5 export (``Experiment File Path:`` and ``Protocol File Path:`` header lines), else 0."""
    return 10 if "Experiment File Path:" in head and "Protocol File Path:" in head else 0


def _grid(lines: list[str], start: int) -> tuple[dict[str, dict[str, list[str]]], int]:
    """A labelled grid from ``start`` (the column-number line): {label: {well: cell}}, next line index."""
    columns = [c.strip() for c in lines[start].split("\t")[1:] if c.strip()]
    grid: dict[str, dict[str, str]] = {}
    row_letter = ""
    i = start + 1
    while i < len(lines) and lines[i].strip():
        cells = lines[i].split("\t")
        if _ROW.match(cells[0].strip()):
            row_letter = cells[0].strip()
        label = cells[len(columns) + 1].strip() if len(cells) > len(columns) + 1 else ""
        for number, cell in zip(columns, cells[1:len(columns) + 1]):
            grid.setdefault(label, {})[f"{row_letter}{number}"] = cell.strip()
        i += 1
    return grid, i


def _kind(well_id: str) -> tuple[str, str, str]:
    """(kind, level, sample) of a Gen5 well ID."""
    text = well_id.strip()
    upper = text.upper()
    if upper.startswith("STD"):
        return "standard", f"Standard{text[3:]}", text
    if upper.startswith("BLK"):
        return "blank", "", text
    if upper.startswith("CTL") or upper.startswith("CTRL"):
        return "control", text, text
    return "unknown", "", text.split(":")[0]


def read(path: Path, analyte: str = "ELISA") -> AssayRead:
    """Parse a Gen5 export into the well table."""
    lines = read_text(path).splitlines()
    marks = {line.strip(): i for i, line in enumerate(lines) if line.strip() in {"Layout", "Results"}}
    if "Results" not in marks:
        raise SecretomeInputError("no 'Results' block", file=path, expected="a Gen5 export with a Results grid")
    layout, _ = _grid(lines, marks["Layout"] + 1) if "Layout" in marks else ({}, 0)
    results, _ = _grid(lines, marks["Results"] + 1)
    labels = [label for label in results if label != "[Concentration]"]
    signal_label = next((label for label in labels if label.startswith("Blank ")), labels[0] if labels else None)
    if signal_label is None:
        raise SecretomeInputError("the Results grid has no measurement rows", file=path)
    raw_label = signal_label[len("Blank "):] if signal_label.startswith("Blank ") else None
    ids, conc = layout.get("Well ID", {}), layout.get("Conc/Dil", {})
    rows: list[dict[str, Any]] = []
    for well, cell in results[signal_label].items():
        well_id = ids.get(well, "")
        if not well_id and not cell:
            continue
        kind, level, sample = _kind(well_id) if well_id else ("unknown", "", well)
        value = parse_value(conc.get(well, ""))[0]
        dilution = 1.0
        if kind == "unknown" and np.isfinite(value) and value > 0:
            dilution = 1.0 / value if value < 1 else value
        vendor, flag = parse_value(results.get("[Concentration]", {}).get(well, ""))
        rows.append({
            "well": well, "sample": sample, "kind": kind, "level": level, "analyte": analyte,
            "signal": parse_value(cell)[0], "raw_signal": parse_value(results.get(raw_label, {}).get(well, ""))[0] if raw_label else np.nan,
            "expected": value if kind == "standard" else np.nan, "dilution": dilution,
            "vendor_concentration": vendor * dilution if np.isfinite(vendor) else np.nan, "vendor_flag": flag,
        })
    version = next((line.split("\t")[1].strip() for line in lines if line.startswith("Software Version")), "")
    curve = {}
    for i, line in enumerate(lines):
        if line.startswith("Curve Name") and i + 1 < len(lines):
            curve = dict(zip(line.split("\t"), lines[i + 1].split("\t")))
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=version, signal_name=signal_label, blank_subtracted=signal_label.startswith("Blank "), wells=finish_wells(rows, Path(path)),
        vendor_curves={analyte: curve} if curve else {},
    )
