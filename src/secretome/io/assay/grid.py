"""Generic plate-reader grids (96 or 384 wells) as plate readers export them: a header row of column numbers
1..12 (or 1..24) and one row per plate row A..H (or A..P); several grids in one file are several plates.
A layout sheet (``layout=``) says what each well holds."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, finish_wells, parse_value
from secretome.io.assay.text import read_text

FORMAT = "grid"
_SPLIT = re.compile(r"[\t,;]")


def _cells(line: str) -> list[str]:
    return [c.strip().strip('"') for c in _SPLIT.split(line)]


def _is_header(cells: list[str]) -> bool:
    numbers = [c for c in cells if c]
    return len(numbers) in (12, 24) and numbers == [str(i) for i in range(1, len(numbers) + 1)]


def detect_score(path: Path, head: str) -> int:
    """3 when a line is a 1..12 or 1..24 column header (a weak hint: specific formats win), else 0."""
    return 3 if any(_is_header(_cells(line)) for line in head.splitlines()[:40]) else 0


def read(path: Path, analyte: str = "ELISA") -> AssayRead:
    """Parse every grid in the file; each well becomes an ``unknown`` until a layout says otherwise."""
    lines = read_text(path).splitlines()
    rows: list[dict[str, Any]] = []
    plate = 0
    i = 0
    while i < len(lines):
        cells = _cells(lines[i])
        if _is_header(cells):
            plate += 1
            n_columns = len([c for c in cells if c])
            first = cells.index("1")
            n_rows = 8 if n_columns == 12 else 16
            for r in range(n_rows):
                i += 1
                row = _cells(lines[i]) if i < len(lines) else []
                letter = chr(ord("A") + r)
                if not row or row[first - 1 if first > 0 else 0].upper() != letter:
                    raise SecretomeInputError(f"plate {plate}: row {letter} missing", file=path, row=i + 1, expected=f"{n_rows} rows A..{chr(ord('A') + n_rows - 1)}")
                for c in range(n_columns):
                    text = row[first + c] if first + c < len(row) else ""
                    value, flag = parse_value(text)
                    if flag == "?":
                        raise SecretomeInputError(f"well {letter}{c + 1}: {text!r} is not a number", file=path, row=i + 1)
                    rows.append({"plate": str(plate), "well": f"{letter}{c + 1}", "sample": f"P{plate}-{letter}{c + 1}", "kind": "unknown",
                                 "analyte": analyte, "signal": value, "vendor_flag": flag})
        i += 1
    if plate == 0:
        raise SecretomeInputError("no plate grid (a header row 1..12 or 1..24)", file=path, expected="a 96- or 384-well grid")
    return AssayRead(path=Path(path), format=FORMAT, format_version="", signal_name="OD", wells=finish_wells(rows, Path(path)))
