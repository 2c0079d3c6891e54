"""Luminex xPONENT CSV exports (3.x and 4.x; LX100/LX200, FLEXMAP 3D, MAGPIX).

The file is a header of ``key,value`` rows, then ``DataType:,<name>`` sections: per-well tables (Median,
Net MFI, Count, Result, Dilution Factor ...; ``Location`` like ``"2(1,B1)"`` = acquisition order, plate,
well) and per-analyte tables (Units, Standard/Control Expected Concentration, Control Range - Low/High,
Analysis Coefficients, R^2). The fitted response is Net MFI (Median when the export has no Net MFI).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, classify_sample, finish_wells, parse_value
from secretome.io.assay.text import read_text

FORMAT = "xponent"
_LOCATION = re.compile(r"^\s*\d+\s*\(\s*(\d+)\s*,\s*([A-Za-z]+\d+)\s*\)\s*$")
_WELL_SECTIONS = {"Median", "Net MFI", "Count", "Result", "Dilution Factor"}


def detect_score(path: Path, head: str) -> int:
    """10 for an xPONENT export (``Program,xPONENT`` first row), else 0."""
    first = head.lstrip("\ufeff").splitlines()[0] if head else ""
    return 10 if first.replace('"', "").startswith("Program,xPONENT") else 0


def _sections(rows: list[list[str]]) -> tuple[dict[str, str], dict[str, list[list[str]]]]:
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current: str | None = None
    for row in rows:
        cells = [cell.strip() for cell in row]
        while cells and cells[-1] == "":
            cells.pop()
        if cells and cells[0] == "DataType:":
            current = cells[1] if len(cells) > 1 else ""
            sections[current] = []
            continue
        if current is None:
            if len(cells) >= 2 and cells[0] and cells[0] not in header:
                header[cells[0]] = ",".join(cells[1:])
            continue
        if not cells:
            current = None if current in _WELL_SECTIONS and sections[current] else current
            continue
        sections[current].append(cells)
    return header, sections


def _well_table(section: list[list[str]], path: Path, name: str) -> tuple[list[str], list[tuple[str, str, str, list[str]]]]:
    """(columns after Location and Sample, [(plate, well, sample, values)])."""
    if not section or section[0][:2] != ["Location", "Sample"]:
        raise SecretomeInputError(f"section {name!r} has no 'Location,Sample,...' header", file=path, expected="an xPONENT CSV export")
    columns = section[0][2:]
    rows = []
    seen: set[tuple[str, str]] = set()
    for cells in section[1:]:
        match = _LOCATION.match(cells[0])
        if not match:
            if cells[0].startswith("DataType"):
                break
            raise SecretomeInputError(f"section {name!r}: location {cells[0]!r} is not like '2(1,B1)'", file=path, row=cells[0])
        values = cells[2:] + [""] * (len(columns) - len(cells[2:]))
        key = (match.group(1), match.group(2).upper())
        if key in seen:
            raise SecretomeInputError(
                f"section {name!r}: well {key[1]} of plate {key[0]} appears more than once", file=path, row=cells[0],
                expected="each well once per section",
            )
        seen.add(key)
        rows.append((key[0], key[1], cells[1] if len(cells) > 1 else "", values))
    return columns, rows


def _analyte_table(section: list[list[str]]) -> tuple[list[str], dict[str, list[str]]]:
    if not section:
        return [], {}
    analytes = section[0][1:]
    return analytes, {cells[0].rstrip(":"): cells[1:] for cells in section[1:] if cells}


def read(path: Path) -> AssayRead:
    """Parse an xPONENT CSV into the well table (see :mod:`secretome.io.assay.base`)."""
    rows = list(csv.reader(read_text(path).splitlines()))
    header, sections = _sections(rows)
    signal_section = "Net MFI" if "Net MFI" in sections else "Median"
    if signal_section not in sections:
        raise SecretomeInputError("no 'DataType:,Median' or 'DataType:,Net MFI' section", file=path, expected="an xPONENT CSV export with results")
    analytes, signal_rows = _well_table(sections[signal_section], path, signal_section)
    analytes = [a for a in analytes if a and a != "Total Events"]
    tables: dict[str, dict[tuple[str, str], dict[str, str]]] = {}
    for name in ("Median", "Count", "Result", "Net MFI"):
        if name in sections:
            columns, body = _well_table(sections[name], path, name)
            tables[name] = {(plate, well): dict(zip(columns, values)) for plate, well, _, values in body}
    dilution: dict[tuple[str, str], float] = {}
    if "Dilution Factor" in sections:
        _, body = _well_table(sections["Dilution Factor"], path, "Dilution Factor")
        for plate, well, _, values in body:
            value, _flag = parse_value(values[0] if values else "")
            dilution[(plate, well)] = value if np.isfinite(value) and value > 0 else 1.0
    units_analytes, units = _analyte_table(sections.get("Units", []))
    unit_of = dict(zip(units_analytes, units.get("Units", [])))
    expected: dict[str, dict[str, str]] = {}
    for key in ("Standard Expected Concentration", "Control Expected Concentration", "Control Range - Low", "Control Range - High"):
        names, body = _analyte_table(sections.get(key, []))
        expected[key] = {f"{level}|{analyte}": value for level, values in body.items() for analyte, value in zip(names, values)}
    out: list[dict[str, Any]] = []
    for plate, well, sample, values in signal_rows:
        kind, level = classify_sample(sample)
        for analyte, value in zip(tables.get(signal_section, {}).get((plate, well), {}).keys(), values):
            if analyte not in analytes:
                continue
            signal, _ = parse_value(value)
            raw, _ = parse_value(tables.get("Median", {}).get((plate, well), {}).get(analyte, ""))
            count, _ = parse_value(tables.get("Count", {}).get((plate, well), {}).get(analyte, ""))
            vendor, flag = parse_value(tables.get("Result", {}).get((plate, well), {}).get(analyte, ""))
            key = f"{level}|{analyte}"
            if kind == "standard":
                exp = parse_value(expected["Standard Expected Concentration"].get(key, ""))[0]
            elif kind == "control":
                exp = parse_value(expected["Control Expected Concentration"].get(key, ""))[0]
            else:
                exp = np.nan
            out.append({
                "plate": plate, "well": well, "sample": sample, "kind": kind, "level": level, "analyte": analyte,
                "signal": signal, "raw_signal": raw, "count": count, "expected": exp,
                "control_low": parse_value(expected["Control Range - Low"].get(key, ""))[0] if kind == "control" else np.nan,
                "control_high": parse_value(expected["Control Range - High"].get(key, ""))[0] if kind == "control" else np.nan,
                "dilution": dilution.get((plate, well), 1.0), "unit": unit_of.get(analyte, ""),
                "vendor_concentration": vendor, "vendor_flag": flag,
            })
    vendor_curves: dict[str, dict[str, Any]] = {}
    coefficient_analytes, coefficients = _analyte_table(sections.get("Analysis Coefficients", []))
    r2_analytes, r2 = _analyte_table(sections.get("R^2", []))
    types_analytes, types = _analyte_table(sections.get("Analysis Types", []))
    for i, analyte in enumerate(coefficient_analytes):
        if not analyte:
            continue
        fit = {name.replace("Coefficient ", ""): parse_value(values[i] if i < len(values) else "")[0] for name, values in coefficients.items()}
        fit["type"] = types.get("AnalysisType", [""] * len(types_analytes))[types_analytes.index(analyte)] if analyte in types_analytes else ""
        if analyte in r2_analytes:
            fit["r_squared"] = parse_value(r2.get("Value", [""] * len(r2_analytes))[r2_analytes.index(analyte)])[0]
        vendor_curves[analyte] = fit
    program = header.get("Program", "")
    return AssayRead(
        path=path, format=FORMAT, format_version=header.get("Build", ""), signal_name=signal_section,
        wells=finish_wells(out, path), instrument=program.split(",")[-1] if program else "",
        blank_subtracted=signal_section == "Net MFI", vendor_curves=vendor_curves, meta={"batch": header.get("Batch", ""), "protocol": header.get("ProtocolName", "")},
    )
