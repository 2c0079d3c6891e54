"""The number convention of a text table: its decimal mark and thousands mark, decided once per file.

Every number in a file is written by one writer with one locale, so the convention is decided from all
the file's whole-field numbers together, before the table is parsed (the parse then happens once):

- ``0,5``, ``1,25``, ``1234,5``, ``0,123`` or ``1.234,5`` show a decimal comma; ``1.234.567`` shows points
  as thousands marks (so, again, a decimal comma);
- ``0.5``, ``1.25``, ``1234.5``, ``0.123``, ``1.5e6`` or ``1,234.5`` show a decimal point; ``1,234,567``
  shows commas as thousands marks (so, again, a decimal point);
- a single mark followed by exactly three digits after a non-zero lead (``12,345``, ``12.345``) could be
  either (twelve thousand or twelve) and decides nothing by itself: with the file's other numbers it
  follows their convention; alone it is ambiguous and refused, asking for ``decimal=``.

A file showing both conventions is refused naming one cell of each (file row and field, as the file's
lines count). In a comma-separated file a comma inside a number only occurs in a quoted field
(``"1,5"``); those cells are read and converted by :func:`secretome.io.table.numeric_block`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError

_EXP = rb"(?:[eE][-+]?\d+)?"
#: Each class of number texts as alternatives (those holding a comma are only whole fields when quoted in
#: a comma-separated file). Unambiguous decimal comma (optional point thousands), or points as thousands:
_COMMA_DECIMAL = (
    rb"[1-9]\d{0,2}(?:\.\d{3})+,\d+" + _EXP, rb"\d+,(?:\d{1,2}|\d{4,})" + _EXP, rb"0,\d+" + _EXP,
    rb"\d{4,},\d+" + _EXP, rb"\d+,\d+[eE][-+]?\d+", rb"[1-9]\d{0,2}(?:\.\d{3}){2,}",
)
#: Unambiguous decimal point (optional comma thousands), or commas as thousands marks.
_POINT_DECIMAL = (
    rb"[1-9]\d{0,2}(?:,\d{3})+\.\d+" + _EXP, rb"\d+\.(?:\d{1,2}|\d{4,})" + _EXP, rb"0\.\d+" + _EXP,
    rb"\d{4,}\.\d+" + _EXP, rb"\d+\.\d+[eE][-+]?\d+", rb"[1-9]\d{0,2}(?:,\d{3}){2,}",
)
#: Comma thousands marks under a decimal point (``1,234,567``, ``12,345``, ``1,234.5``).
_COMMA_GROUPS = (rb"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?" + _EXP,)
#: A single mark followed by exactly three digits: either convention.
_AMBIGUOUS = (rb"[1-9]\d{0,2},\d{3}", rb"[1-9]\d{0,2}\.\d{3}")
#: Any whole field of digits with marks; under a chosen convention each must be one of its numbers.
_MARKED = (rb"\d+(?:[.,]\d+)+" + _EXP, rb"\d+(?:\.\d+)+" + _EXP)

#: A number valid under each convention (thousands groups of three, one decimal mark, optional exponent).
_VALID = {
    (",", "."): rb"(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?" + _EXP,
    (".", ","): rb"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?" + _EXP,
}

_NAMES = {".": "a decimal point", ",": "a decimal comma"}


@dataclass(frozen=True)
class Numbers:
    """A file's number convention and why: ``decided`` is ``"declared"`` or ``"file"``; ``evidence`` names
    the cell that decided it (or says that no number shows a mark)."""

    decimal: str
    thousands: str | None
    decided: str
    evidence: str

    def record(self) -> dict[str, str]:
        """The convention as ``uns['source']['numbers']`` stores it."""
        return {"decimal": self.decimal, "thousands": self.thousands or "", "decided": self.decided,
                "evidence": self.evidence}


def describe(record: dict[str, str]) -> str:
    """One line for ``info``: ``decimal comma, '.' thousands marks (decided from the file: row 2 ...)``."""
    mark = "decimal comma" if record.get("decimal") == "," else "decimal point"
    thousands = f"{record['thousands']!r} thousands marks" if record.get("thousands") else "no thousands marks"
    how = "declared" if record.get("decided") == "declared" else "decided from the file"
    evidence = record.get("evidence", "")
    return f"{mark}, {thousands} ({how}{': ' + evidence if evidence else ''})"


def _field(alternatives: tuple[bytes, ...], delimiter: str, *, quoted: bool = False,
           invalid: bytes | None = None) -> re.Pattern | None:
    """A whole field (between delimiters or line ends) that is one of ``alternatives`` (signed), optionally
    inside double quotes, optionally not a whole ``invalid``-excluded number; None if no alternative can be
    a bare field (those with a comma in a comma-separated file)."""
    if delimiter == "," and not quoted:
        alternatives = tuple(a for a in alternatives if b"," not in a)
    if not alternatives:
        return None
    d = re.escape(delimiter.encode())
    q = rb'"' if quoted else b""
    end = q + rb"(?=" + d + rb"|\r?\n|$)"
    guard = rb"(?!" + q + rb"-?" + invalid + end + rb")" if invalid else b""
    body = guard + q + rb"-?(?:" + b"|".join(alternatives) + rb")" + end
    return re.compile(rb"(?:(?<=" + d + rb")|(?<=^))" + body, re.MULTILINE)


def _first(data: bytes, alternatives: tuple[bytes, ...], delimiter: str, invalid: bytes | None = None) -> re.Match | None:
    """The first whole field that is one of ``alternatives``: bare, or quoted (a comma-separated file must
    quote numbers holding commas), whichever comes first."""
    bare = _field(alternatives, delimiter, invalid=invalid)
    match = bare.search(data) if bare is not None else None
    if b'"' in data:
        quoted = _field(alternatives, delimiter, quoted=True, invalid=invalid)
        earlier = quoted.search(data, 0, match.start() if match else len(data)) if quoted is not None else None
        match = earlier or match
    return match


def _digit_mark_digit(array: np.ndarray, mark: str) -> bool:
    """Whether some ``mark`` has a digit on both sides (a vectorised screen before the exact patterns)."""
    positions = np.flatnonzero(array[1:-1] == ord(mark)) + 1
    before, after = array[positions - 1], array[positions + 1]
    return bool(((before >= 48) & (before <= 57) & (after >= 48) & (after <= 57)).any())


def _point_groups(array: np.ndarray) -> bool:
    """Whether some ``d.ddd.d`` occurs (points as thousands marks are possible): a vectorised screen
    (points four bytes apart first, which plain decimals never give; then the digits around them)."""
    dots = array == ord(".")
    points = np.flatnonzero(dots[1:-5] & dots[5:-1]) + 1
    if points.size == 0:
        return False
    digit = lambda offset: (array[points + offset] >= 48) & (array[points + offset] <= 57)  # noqa: E731
    return bool((digit(-1) & digit(1) & digit(2) & digit(3) & digit(5)).any())


def decide(data: bytes, delimiter: str, path: Path, declared: str | None, skipped: int = 0) -> Numbers:
    """The file's :class:`Numbers`, declared (``"."`` or ``","``, checked against the file) or decided from
    every whole-field number in it (see the module docstring). ``skipped``: blank lines removed before
    ``data`` (so rows in messages are file lines)."""
    if declared is not None and declared not in (".", ","):
        raise SecretomeInputError(f"unknown decimal mark {declared!r}", file=path, expected="'.' or ','")
    array = np.frombuffer(data, dtype=np.uint8)
    has_comma = b"," in data and _digit_mark_digit(array, ",")
    has_groups = _point_groups(array)
    comma = _first(data, _COMMA_DECIMAL, delimiter) if has_comma or has_groups else None
    if declared is None or declared == ",":
        point = _first(data, _POINT_DECIMAL, delimiter)
    else:
        point = None
    if declared == ".":
        if comma:
            raise SecretomeInputError(
                f"decimal='.' was declared but {_cell(data, comma, delimiter, skipped)} is written with a "
                "decimal comma or thousands points", file=path, parameters=("decimal",), expected="one convention in the whole file",
            )
        groups = _first(data, _COMMA_GROUPS, delimiter) if has_comma else None
        return Numbers(".", "," if groups else None, "declared", _evidence(data, groups, delimiter, skipped, "thousands mark"))
    if declared == ",":
        if point:
            raise SecretomeInputError(
                f"decimal=',' was declared but {_cell(data, point, delimiter, skipped)} is written with a "
                "decimal point or thousands commas", file=path, parameters=("decimal",), expected="one convention in the whole file",
            )
        numbers = Numbers(",", ".", "declared", "")
        _check_valid(data, delimiter, path, numbers, skipped)
        return numbers
    if comma and point:
        raise SecretomeInputError(
            f"the file mixes number conventions: {_cell(data, comma, delimiter, skipped)} is written with a decimal "
            f"comma or thousands points, {_cell(data, point, delimiter, skipped)} with a decimal point",
            file=path, parameters=("decimal",), expected="one convention in the whole file (declare it with decimal='.' or ',')",
        )
    if comma:
        numbers = Numbers(",", ".", "file", _evidence(data, comma, delimiter, skipped, "decimal comma"))
        _check_valid(data, delimiter, path, numbers, skipped)
        return numbers
    groups = _first(data, _COMMA_GROUPS, delimiter) if has_comma else None
    if point:
        if groups:
            evidence = _evidence(data, point, delimiter, skipped, "decimal point")
            if "thousands" not in evidence:
                evidence += f", {_evidence(data, groups, delimiter, skipped, 'decimal point')}"
            numbers = Numbers(".", ",", "file", evidence)
            _check_valid(data, delimiter, path, numbers, skipped)
            return numbers
        return Numbers(".", None, "file", _evidence(data, point, delimiter, skipped, "decimal point"))
    ambiguous = _first(data, _AMBIGUOUS, delimiter) if has_comma or b"." in data else None
    if ambiguous:
        text = ambiguous.group().strip(b'"').decode("ascii")
        mark = "," if "," in text else "."
        other = "." if mark == "," else ","
        raise SecretomeInputError(
            f"the decimal mark cannot be decided: {_cell(data, ambiguous, delimiter, skipped)} is "
            f"{text.replace(mark, '')} with {mark!r} as a thousands mark or {text.replace(mark, '.')} with "
            f"{mark!r} as the decimal mark, and no other number in the file tells which",
            file=path, parameters=("decimal",), expected=f"decimal='{mark}' if {mark!r} is the decimal mark, decimal='{other}' if it is not",
        )
    return Numbers(".", None, "file", "no number in the file has a decimal or thousands mark")


def _check_valid(data: bytes, delimiter: str, path: Path, numbers: Numbers, skipped: int) -> None:
    """With a thousands mark, pandas drops it wherever it stands (``1.2.3`` would become 123): every marked
    whole-field number must be a number of the convention, else the cell is refused."""
    bad = _first(data, _MARKED, delimiter, invalid=_VALID[_key(numbers)])
    if bad:
        raise SecretomeInputError(
            f"{_cell(data, bad, delimiter, skipped)} is not a number written with {_NAMES[numbers.decimal]} and "
            f"{numbers.thousands or 'no'!r} thousands marks, the convention of the file's other numbers"
            f"{' (' + numbers.evidence + ')' if numbers.evidence else ''}",
            file=path, expected="one convention in the whole file",
        )


def _key(numbers: Numbers) -> tuple[str, str]:
    return numbers.decimal, numbers.thousands or ("." if numbers.decimal == "," else ",")


def _evidence(data: bytes, match: re.Match | None, delimiter: str, skipped: int, what: str) -> str:
    """'row R field F ('text') has a decimal comma' (or what the cell shows: thousands marks, or both)."""
    if not match:
        return ""
    text = match.group().strip(b'"').split(b"e")[0].split(b"E")[0]
    decimal = "," if what == "decimal comma" else "."
    thousands = "." if decimal == "," else ","
    shows = [f"a decimal {'comma' if decimal == ',' else 'point'}"] if decimal.encode() in text else []
    shows += [f"{'points' if thousands == '.' else 'commas'} as thousands marks"] if thousands.encode() in text else []
    return f"{_cell(data, match, delimiter, skipped)} has {' and '.join(shows) or what}"


def _cell(data: bytes, match: re.Match, delimiter: str, skipped: int) -> str:
    """'row R field F ('text')' of a regex match in the raw data (rows as file lines)."""
    start = match.start()
    line_start = data.rfind(b"\n", 0, start) + 1
    row = data.count(b"\n", 0, start) + 1 + skipped
    field = data.count(delimiter.encode(), line_start, start) + 1
    text = match.group().strip(b'"').decode("ascii", "replace")
    return f"row {row} field {field} ({text!r})"


def to_point(text: pd.Series, numbers: Numbers | None) -> pd.Series:
    """Cell texts of one convention rewritten with a decimal point and no thousands marks (cells that are
    not numbers of the convention are left as they are, so the caller's check names them)."""
    if numbers is None or (numbers.decimal == "." and numbers.thousands is None):
        return text
    valid = rb"-?" + _VALID[_key(numbers)]
    fits = text.str.fullmatch(valid.decode()).fillna(False).astype(bool)
    if not fits.any():
        return text
    converted = text.where(~fits, text.str.replace(numbers.thousands or "\x00", "", regex=False))
    if numbers.decimal == ",":
        converted = converted.where(~fits, converted.str.replace(",", ".", regex=False))
    return converted
