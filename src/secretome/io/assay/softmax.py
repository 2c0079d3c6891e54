"""Molecular Devices SoftMax Pro plate exports (text, ``##BLOCKS=``): plate blocks and group tables.

Each ``Plate:`` block is one plate (numbered in file order: exports often repeat a plate name); the
``Group:`` tables after it belong to it. The ``Standards`` group gives each level's concentration (unit
from its header, e.g. ``Concentration pg/mL``) and SoftMax's back-calculated ``BackCalcConc``; unknown
groups give wells, values, SoftMax's ``Result`` and the ``Dilution``; ``Masked`` wells are kept as masked.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, finish_wells, normalize_well, parse_value
from secretome.io.assay.text import read_text

FORMAT = "softmax"


def detect_score(path: Path, head: str) -> int:
    """10 for a SoftMax Pro text export (``##BLOCKS=`` first line), else 0."""
    return 10 if head.lstrip("\ufeff").startswith("##BLOCKS") else 0


def _column(header: list[str], *names: str) -> int | None:
    for i, cell in enumerate(header):
        if any(cell.strip().casefold().startswith(name.casefold()) for name in names):
            return i
    return None


def _kind(group: str) -> str:
    lowered = group.casefold()
    if "standard" in lowered or lowered.startswith("std"):
        return "standard"
    if "blank" in lowered:
        return "blank"
    if "control" in lowered:
        return "control"
    return "unknown"


def read(path: Path, analyte: str = "ELISA") -> AssayRead:
    """Parse a SoftMax Pro export into the well table (signal = the plate's reduced OD ``Value``)."""
    rows = list(csv.reader(read_text(path).splitlines(), delimiter="\t"))
    plate = 0
    wells: list[dict[str, Any]] = []
    unit = ""
    empty: list[str] = []
    i = 0
    while i < len(rows):
        cells = rows[i]
        first = cells[0].strip() if cells else ""
        if first == "Plate:":
            plate += 1
        elif first.startswith("Group:"):
            group = first.split(":", 1)[1].strip()
            kind = _kind(group)
            header = [cell.strip() for cell in rows[i + 1]] if i + 1 < len(rows) else []
            c_sample, c_well = _column(header, "Sample"), _column(header, "Well")
            c_value = _column(header, "Value")
            c_conc = _column(header, "Concentration")
            c_result = _column(header, "BackCalcConc", "Result")
            c_dilution = _column(header, "Dilution")
            if c_well is None or c_value is None:
                raise SecretomeInputError(f"group {group!r} has no Wells/Value columns", file=path, row=i + 2, expected="a SoftMax Pro group table")
            if c_conc is not None and not unit:
                unit = header[c_conc].split(" ", 1)[1].strip() if " " in header[c_conc] else ""
            sample = concentration = dilution = ""
            i += 2
            while i < len(rows) and any(cell.strip() for cell in rows[i]):
                row = rows[i] + [""] * len(header)
                if row[0].strip() in {"Group Column", "~End"}:
                    break
                if row[c_sample].strip():
                    sample = row[c_sample].strip()
                    concentration = row[c_conc].strip() if c_conc is not None else ""
                    dilution = row[c_dilution].strip() if c_dilution is not None else ""
                if not row[c_well].strip():  # a sample defined in the group with no wells assigned
                    empty.append(f"{group}:{sample}")
                    i += 1
                    continue
                well = normalize_well(row[c_well])
                if well is None:
                    raise SecretomeInputError(f"group {group!r}: {row[c_well]!r} is not a well name", file=path, row=i + 1, column=header[c_well])
                value = row[c_value].strip()
                masked = value.casefold() == "masked"
                signal, _ = parse_value("" if masked else value)
                result, flag = parse_value(row[c_result].strip() if c_result is not None else "")
                factor = parse_value(dilution)[0]
                factor = factor if np.isfinite(factor) and factor > 0 else 1.0
                level = f"Standard{sample}" if kind == "standard" and sample.isdigit() else (sample if kind in ("standard", "control") else "")
                wells.append({
                    "plate": str(plate), "well": well, "sample": f"{group}:{sample}" if kind != "unknown" else sample,
                    "kind": kind, "level": level, "analyte": analyte, "signal": signal,
                    "expected": parse_value(concentration)[0] if kind == "standard" else np.nan,
                    "dilution": factor, "unit": unit, "masked": masked,
                    "vendor_concentration": result * factor if np.isfinite(result) else np.nan,
                    "vendor_flag": "" if masked else flag,
                })
                i += 1
            continue
        i += 1
    if plate == 0:
        raise SecretomeInputError("no 'Plate:' block", file=path, expected="a SoftMax Pro plate export")
    for well in wells:
        well["unit"] = unit
    header = rows[1] if len(rows) > 1 else []
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=header[2].strip() if len(header) > 2 else "",
        signal_name="OD " + (header[15].strip() if len(header) > 15 else ""), wells=finish_wells(wells, Path(path)),
        meta={"plates": plate, "samples_without_wells": empty},
    )
