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
lines count); a thousands-point number beside decimal points is refused by the quantity parser, naming
its cell. A declared mark (``decimal=``) is checked against the file the same way. In a comma-separated
file a comma inside a number only occurs in a quoted field (``"1,5"``); such cells are converted after
the parse (:mod:`secretome.io.table`). The search costs a few percent of the parse: numpy finds the marks
between digits, and only the fields around them are classified, stopping at the first telling one.

When the whole file mixes conventions (a ``Cluster ID`` list ``1162867,1493882039380``, a ``PEP`` or
p-value column written with a decimal comma beside decimal points elsewhere), :func:`decide` raises
:class:`MixedConventions` and the table is parsed as text and decided per column instead
(:func:`column_marks`, :func:`convert`): the quantity columns' cells together then decide the file's
convention (``secretome.io.table.settle_numbers``), a file whose quantity cells mix conventions is still
refused naming a cell of each, and other columns written in the other convention stay text, said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError

_EXP = rb"(?:[eE][-+]?\d+)?"
#: Each class of number texts as alternatives (a whole field holding a comma is quoted in a
#: comma-separated file). Unambiguous decimal comma (optional point thousands), or points as thousands:
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
_MARKED = rb"\d+(?:[.,]\d+)+" + _EXP

#: A number valid under each convention (thousands groups of three, one decimal mark, optional exponent).
_VALID = {
    (",", "."): rb"(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?" + _EXP,
    (".", ","): rb"(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?" + _EXP,
}

#: How messages name a decimal mark.
MARK_NAMES = {".": "a decimal point", ",": "a decimal comma"}


class MixedConventions(SecretomeInputError):
    """The file's numbers show both conventions, or a number off the one they show (or off the declared
    one): decided from the quantity columns instead."""


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
    how = {"declared": "declared", "quantity cells": "decided from the quantity cells"}.get(
        str(record.get("decided")), "decided from the file")
    evidence = record.get("evidence", "")
    return f"{mark}, {thousands} ({how}{': ' + evidence if evidence else ''})"


class _Hit:
    """A whole field holding a number: where it starts in the data and its text (quotes removed)."""

    __slots__ = ("start", "text")

    def __init__(self, start: int, text: bytes) -> None:
        self.start, self.text = start, text


def _compile(alternatives: tuple[bytes, ...]) -> re.Pattern:
    return re.compile(rb"-?(?:" + b"|".join(alternatives) + rb")")


_CLASSES = {name: _compile(alternatives) for name, alternatives in (
    ("comma", _COMMA_DECIMAL), ("point", _POINT_DECIMAL), ("groups", _COMMA_GROUPS), ("ambiguous", _AMBIGUOUS),
)}
_VALID_PATTERNS = {key: re.compile(rb"-?" + pattern) for key, pattern in _VALID.items()}
_BLOCK = 1 << 20


class _Scanner:
    """The file's marked numbers, found without a regular-expression pass over the whole file: numpy finds
    the marks between digits (and the quoted fields that start with a digit) block by block; only the
    fields holding them are looked at, in file order, and a search stops at its first hit."""

    def __init__(self, data: bytes, delimiter: str) -> None:
        self.data, self.delimiter = data, delimiter
        self.d = delimiter.encode()
        self.array = np.frombuffer(data, dtype=np.uint8)
        self.point_groups = False  # whether ``1.234.567`` is looked for (see :func:`decide`)
        self._commas = delimiter != "," and _comma_between_digits(data)  # few files have any
        self._quotes = b'"' in data

    def _between_digits(self, mark: int, lo: int, hi: int) -> np.ndarray:
        offset = max(lo - 1, 0)
        a = self.array[offset:min(hi + 1, len(self.array))]
        if len(a) < 3:
            return np.empty(0, dtype=np.int64)
        digit = (a >= 48) & (a <= 57)
        return np.flatnonzero((a[1:-1] == mark) & digit[:-2] & digit[2:]) + 1 + offset

    def _candidates(self, kinds: tuple[str, ...], lo: int, hi: int) -> np.ndarray:
        """Sorted positions in ``[lo, hi)`` of the fields a search of ``kinds`` looks at: ``point`` (points
        that can show a decimal point), ``points`` (every point between digits), ``comma`` (commas that can
        show a decimal comma, thousands points if enabled, quoted numbers) or ``groups`` (commas followed by
        three digits, quoted numbers)."""
        parts = []
        if "point" in kinds or "points" in kinds:
            dots = self._between_digits(ord("."), lo, hi)
            parts.append(dots[_telling(self.array, dots, ord("."), ord(","))] if "point" in kinds else dots)
        if ("comma" in kinds or "groups" in kinds) and self._commas:
            commas = self._between_digits(ord(","), lo, hi)
            telling = _telling(self.array, commas, ord(","), ord("."))
            if "comma" in kinds:
                parts.append(commas[telling])
            if "groups" in kinds:
                parts.append(commas[~telling])
        if "comma" in kinds and self.point_groups:
            parts.append(_point_group_positions(self.array, lo, hi))
        if ("comma" in kinds or "groups" in kinds) and self._quotes:
            parts.append(self._quoted_number_starts(lo, hi))
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.sort(np.concatenate(parts).astype(np.int64)) if len(parts) > 1 else parts[0].astype(np.int64)

    def _quoted_number_starts(self, lo: int, hi: int) -> np.ndarray:
        """Positions just inside a quote that opens a field and is followed by a digit or a minus sign."""
        data, d = self.data, self.d
        starts = [m.start() + 1 for m in _QUOTED_DIGIT.finditer(data, lo, hi)
                  if m.start() == 0 or data[m.start() - 1:m.start()] in (d, b"\n", b"\r")]
        return np.asarray(starts, dtype=np.int64)

    def field(self, position: int) -> _Hit | None:
        """The whole field around ``position`` (a quoted one without its quotes), None if not a field."""
        data, d = self.data, self.d
        start = max(data.rfind(d, 0, position), data.rfind(b"\n", 0, position)) + 1
        if start < len(data) and data[start:start + 1] == b'"':
            close = data.find(b'"', start + 1)
            if close == -1 or data[close + 1:close + 2] not in (d, b"\n", b"\r", b""):
                return None
            return _Hit(start, data[start + 1:close])
        line_end = data.find(b"\n", position)
        line_end = len(data) if line_end == -1 else line_end
        end = data.find(d, position, line_end)
        return _Hit(start, data[start:line_end if end == -1 else end].rstrip(b"\r"))

    def first(self, name: str, kinds: tuple[str, ...], test: Callable[[bytes], bool] | None = None) -> _Hit | None:
        """The first field (in file order) among the candidates of ``kinds`` that is a number of class
        ``name`` (or passes ``test``); small blocks first, as the first hit is usually in the first lines."""
        check = test or _CLASSES[name].fullmatch
        lo, size, seen = 0, 1 << 14, -1
        while lo < len(self.array):
            for position in self._candidates(kinds, lo, lo + size).tolist():
                if position <= seen:
                    continue
                hit = self.field(position)
                if hit is None:
                    continue
                seen = hit.start + len(hit.text) + 1
                if check(hit.text):
                    return hit
            lo, size = lo + size, min(size * 4, _BLOCK)
        return None

    def first_invalid(self, numbers: "Numbers") -> _Hit | None:
        """The first field with two or more marks that is not a number of the convention (pandas would drop
        a thousands mark anywhere: ``1.2.3`` -> 123); fields with one mark are judged by the classes. numpy
        keeps only the marks that break the convention's shape (a thousands mark not followed by another
        mark four bytes on, a mark after the decimal mark, a first group of four digits or a leading zero)."""
        valid = _VALID_PATTERNS[_key(numbers)]
        thousands = ord(numbers.thousands or ("." if numbers.decimal == "," else ","))
        decimal = ord(numbers.decimal)
        array, seen = self.array, -1
        for lo in range(0, len(array), _BLOCK):
            hi = min(lo + _BLOCK, len(array))
            parts = [self._between_digits(ord("."), lo, hi)]
            if self.delimiter != ",":
                parts.append(self._between_digits(ord(","), lo, hi))
            # (a comma-separated file's quoted numbers are converted after the parse, where a cell off the
            # convention stays text and is refused by the quantity parser)
            marks = np.sort(np.concatenate(parts))
            if marks.size < 2:
                continue
            stops = np.flatnonzero((array[lo:hi] == ord(self.delimiter)) | (array[lo:hi] == 10)) + lo
            field = np.searchsorted(stops, marks)
            same_next = np.append(field[1:] == field[:-1], False)
            same_previous = np.insert(field[1:] == field[:-1], 0, False)
            kind = array[marks]
            gap = np.append(np.diff(marks), 0)
            before = lambda k: array[np.maximum(marks - k, 0)]  # noqa: E731
            digit = lambda v: (v >= 48) & (v <= 57)  # noqa: E731
            breaks = same_next & (((kind == thousands) & (gap != 4)) | (kind == decimal))
            four_digits = digit(before(1)) & digit(before(2)) & digit(before(3)) & digit(before(4))
            lead = (kind == thousands) & ~same_previous & (four_digits | ((before(1) == 48) & ~digit(before(2))))
            suspects = marks[breaks | (lead & same_next)]
            for position in suspects.tolist():
                if position <= seen:
                    continue
                hit = self.field(position)
                if hit is None:
                    continue
                seen = hit.start + len(hit.text) + 1
                text = hit.text
                if text.count(b".") + text.count(b",") > 1 and _MARKED_PATTERN.fullmatch(text) and not valid.fullmatch(text):
                    return hit
        return None


_MARKED_PATTERN = re.compile(rb"-?" + _MARKED)


def _point_group_positions(array: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Positions in ``[lo, hi)`` of ``d.ddd.d`` (points as thousands marks): points four bytes apart, digits around."""
    offset = max(lo - 1, 0)
    a = array[offset:min(hi + 5, len(array))]
    if len(a) < 7:
        return np.empty(0, dtype=np.int64)
    dots = a == ord(".")
    points = np.flatnonzero(dots[1:-5] & dots[5:-1]) + 1
    if points.size:
        digit = lambda k: (a[points + k] >= 48) & (a[points + k] <= 57)  # noqa: E731
        points = points[digit(-1) & digit(1) & digit(2) & digit(3) & digit(5)]
    points = points + offset
    return points[(points >= lo) & (points < hi)]


_COMMA_DIGIT = re.compile(rb",(?<=\d,)\d")
#: Commas looked at one by one (``bytes.find``: memchr) before the rest is left to :data:`_COMMA_DIGIT`.
_COMMA_FIND_LIMIT = 2_000


def _comma_between_digits(data: bytes) -> bool:
    """Whether a comma has a digit on both sides (a search of :data:`_COMMA_DIGIT`): the first commas are
    found by ``bytes.find``, so a file with few or none (most tab-separated tables) is not read byte by
    byte by the regular expression (30 ms on 50 MB without a comma)."""
    position = data.find(b",", 1)  # (a comma at offset 0 has no digit before it)
    for _ in range(_COMMA_FIND_LIMIT):
        if position < 0:
            return False
        if 48 <= data[position - 1] <= 57 and position + 1 < len(data) and 48 <= data[position + 1] <= 57:
            return True
        position = data.find(b",", position + 1)
    return position >= 0 and bool(_COMMA_DIGIT.search(data, position - 1))  # (from the digit before it)
_QUOTED_DIGIT = re.compile(rb'"(?=[-\d])')


def _telling(array: np.ndarray, positions: np.ndarray, mark: int, other: int) -> np.ndarray:
    """Which ``mark`` positions (between digits) can show ``mark`` as the decimal mark: not followed by
    exactly three digits, or with an integer part of ``0`` or of four or more digits, after an ``other``
    group, or before an exponent. A mark followed by exactly three digits after one to three digits is
    a thousands mark or ambiguous, never by itself evidence (vectorised; the fields kept are classified)."""
    if positions.size == 0:
        return np.zeros(0, dtype=bool)
    n = len(array)
    inner = bool(positions[0] >= 4 and positions[-1] < n - 4)  # sorted: no index can leave the data

    def at(offset: int) -> np.ndarray:
        if inner:
            return array[positions + offset]
        index = positions + offset
        return np.where((index >= 0) & (index < n), array[np.clip(index, 0, n - 1)], 0)

    near = {k: at(k) for k in (-4, -3, -2, -1, 1, 2, 3, 4)}  # each neighbour once
    digit = {k: (v >= 48) & (v <= 57) for k, v in near.items()}
    three = digit[1] & digit[2] & digit[3] & ~digit[4]
    exponent = (near[4] == ord("e")) | (near[4] == ord("E"))
    zero = (near[-1] == ord("0")) & ~digit[-2]
    long_integer = digit[-1] & digit[-2] & digit[-3] & digit[-4]
    after_group = digit[-1] & digit[-2] & digit[-3] & (near[-4] == other)
    return ~three | exponent | zero | long_integer | after_group


def decide(data: bytes, delimiter: str, path: Path, declared: str | None, skipped: int = 0,
           header: list[str] | None = None) -> Numbers:
    """The file's :class:`Numbers`, declared (``"."`` or ``","``, checked against the file) or decided from
    every whole-field number in it (see the module docstring). ``skipped``: blank lines removed before
    ``data`` (so rows in messages are file lines); ``header``: the column names, so messages name the column."""
    if declared is not None and declared not in (".", ","):
        raise SecretomeInputError(f"unknown decimal mark {declared!r}", file=path, expected="'.' or ','")
    where = _Where(skipped, tuple(header or ()))
    scan = _Scanner(data, delimiter)
    point = scan.first("point", ("point", "groups")) if declared is None or declared == "," else None
    # with a decimal point shown, a thousands-point number (1.234.567) cannot be parsed as a number and is
    # refused by the quantity parser naming its cell, so the point-group screen is only needed without one
    scan.point_groups = point is None and declared != "."
    comma = scan.first("comma", ("comma",))
    if declared == ".":
        if comma:
            raise MixedConventions(
                f"decimal='.' was declared but {_cell(data, comma, delimiter, where)} is written with a "
                "decimal comma or thousands points", file=path, parameters=("decimal",), expected="one convention in the whole file",
            )
        groups = scan.first("groups", ("groups",))
        return Numbers(".", "," if groups else None, "declared", _evidence(data, groups, delimiter, where, "thousands mark"))
    if declared == ",":
        if point:
            raise MixedConventions(
                f"decimal=',' was declared but {_cell(data, point, delimiter, where)} is written with a "
                "decimal point or thousands commas", file=path, parameters=("decimal",), expected="one convention in the whole file",
            )
        numbers = Numbers(",", ".", "declared", "")
        _check_valid(scan, path, numbers, where)
        return numbers
    if comma and point:
        raise MixedConventions(
            f"the file mixes number conventions: {_cell(data, comma, delimiter, where)} is written with a decimal "
            f"comma or thousands points, {_cell(data, point, delimiter, where)} with a decimal point",
            file=path, parameters=("decimal",), expected="one convention in the whole file (declare it with decimal='.' or ',')",
        )
    if comma:
        numbers = Numbers(",", ".", "file", _evidence(data, comma, delimiter, where, "decimal comma"))
        _check_valid(scan, path, numbers, where)
        return numbers
    groups = scan.first("groups", ("groups",))
    if point:
        if groups:
            evidence = _evidence(data, point, delimiter, where, "decimal point")
            if "thousands" not in evidence:
                evidence += f", {_evidence(data, groups, delimiter, where, 'decimal point')}"
            numbers = Numbers(".", ",", "file", evidence)
            _check_valid(scan, path, numbers, where)
            return numbers
        return Numbers(".", None, "file", _evidence(data, point, delimiter, where, "decimal point"))
    ambiguous = scan.first("ambiguous", ("points", "groups"))
    if ambiguous:
        text = ambiguous.text.decode("ascii")
        mark = "," if "," in text else "."
        other = "." if mark == "," else ","
        raise SecretomeInputError(
            f"the decimal mark cannot be decided: {_cell(data, ambiguous, delimiter, where)} is "
            f"{text.replace(mark, '')} with {mark!r} as a thousands mark or {text.replace(mark, '.')} with "
            f"{mark!r} as the decimal mark, and no other number in the file tells which",
            file=path, parameters=("decimal",), expected=f"decimal='{mark}' if {mark!r} is the decimal mark, decimal='{other}' if it is not",
        )
    return Numbers(".", None, "file", "no number in the file has a decimal or thousands mark")


def _check_valid(scan: _Scanner, path: Path, numbers: Numbers, where: "_Where") -> None:
    """With a thousands mark, pandas drops it wherever it stands (``1.2.3`` would become 123): every marked
    whole-field number must be a number of the convention, else the cell is refused."""
    bad = scan.first_invalid(numbers)
    if bad:
        raise MixedConventions(
            f"{_cell(scan.data, bad, scan.delimiter, where)} is not a number written with {MARK_NAMES[numbers.decimal]} "
            f"and {numbers.thousands or 'no'!r} thousands marks, the convention of the file's other numbers"
            f"{' (' + numbers.evidence + ')' if numbers.evidence else ''}",
            file=path, expected="one convention in the whole file",
        )


def _key(numbers: Numbers) -> tuple[str, str]:
    return numbers.decimal, numbers.thousands or ("." if numbers.decimal == "," else ",")


def _evidence(data: bytes, match: _Hit | None, delimiter: str, where: "_Where", what: str) -> str:
    """'row R field F ('text') has a decimal comma' (or what the cell shows: thousands marks, or both)."""
    if not match:
        return ""
    text = match.text.split(b"e")[0].split(b"E")[0]
    decimal = "," if what == "decimal comma" else "."
    thousands = "." if decimal == "," else ","
    shows = [f"a decimal {'comma' if decimal == ',' else 'point'}"] if decimal.encode() in text else []
    shows += [f"{'points' if thousands == '.' else 'commas'} as thousands marks"] if thousands.encode() in text else []
    return f"{_cell(data, match, delimiter, where)} has {' and '.join(shows) or what}"


def _cell(data: bytes, match: _Hit, delimiter: str, where: "_Where") -> str:
    """'row R field F ('text') in column 'name'' of a hit in the raw data (rows as file lines)."""
    start = match.start
    line_start = data.rfind(b"\n", 0, start) + 1
    row = data.count(b"\n", 0, start) + 1 + where.skipped
    field = data.count(delimiter.encode(), line_start, start) + 1
    text = match.text.decode("ascii", "replace")
    column = f" in column {where.header[field - 1]!r}" if 0 < field <= len(where.header) else ""
    return f"row {row} field {field} ({text!r}){column}"


class _Where(NamedTuple):
    """What cell references in messages need: blank lines skipped before the data, the header."""

    skipped: int
    header: tuple[str, ...]


#: The classes of :data:`_CLASSES` as text patterns, for a column's cells (:func:`column_marks`).
_TEXT_CLASSES = {name: r"-?(?:" + "|".join(a.decode() for a in alternatives) + ")" for name, alternatives in (
    ("comma", _COMMA_DECIMAL), ("point", _POINT_DECIMAL), ("ambiguous", _AMBIGUOUS),
)}


@dataclass(frozen=True)
class ColumnMarks:
    """What a column's cells show: the row index of its first cell with a decimal comma (or thousands
    points), of its first with a decimal point (or thousands commas), and whether a cell could be either."""

    comma: int | None
    point: int | None
    ambiguous: bool
    marked: bool  # whether any cell has a mark between digits (``1.2.3`` too)

    @property
    def kind(self) -> str:
        """``","`` or ``"."`` (one convention shown), ``"both"``, ``"ambiguous"`` (a mark either way),
        ``"other"`` (marks in no number of either convention) or ``""`` (no mark)."""
        if self.comma is not None and self.point is not None:
            return "both"
        if self.comma is not None or self.point is not None:
            return "," if self.comma is not None else "."
        return "ambiguous" if self.ambiguous else "other" if self.marked else ""


def column_marks(text: pd.Series) -> ColumnMarks:
    """The :class:`ColumnMarks` of one column's cells (stripped text, missing cells NaN)."""
    filled = text.dropna()
    filled = filled[filled.str.contains(r"\d[.,]\d", regex=True)]
    first = {}
    for name, pattern in _TEXT_CLASSES.items():
        hits = filled.str.fullmatch(pattern).to_numpy(dtype=bool) if len(filled) else np.zeros(0, dtype=bool)
        first[name] = int(filled.index[int(np.argmax(hits))]) if hits.any() else None
    return ColumnMarks(first["comma"], first["point"], first["ambiguous"] is not None, bool(len(filled)))


def for_mark(decimal: str, decided: str = "file", evidence: str = "") -> Numbers:
    """The convention of a decimal mark, with the other mark as thousands mark (both accepted when converting)."""
    return Numbers(decimal, "." if decimal == "," else ",", decided, evidence)


def convert(text: pd.Series, decimal: str) -> pd.Series | None:
    """A column's text cells as numbers written with ``decimal`` (int64 when whole and complete, as
    pandas parses them, else float64); None when a filled cell is not such a number."""
    values = pd.to_numeric(to_point(text.astype("string"), for_mark(decimal)), errors="coerce")
    present = values.notna().to_numpy(dtype=bool)
    if not present.any() or not (present | text.isna().to_numpy(dtype=bool)).all():
        return None
    if present.all() and values.dtype.kind in "iu":
        return pd.Series(values.to_numpy(dtype=np.int64), index=text.index)
    return pd.Series(values.to_numpy(dtype=np.float64, na_value=np.nan), index=text.index)


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


def decide_cells(cells: list[tuple[str, str]], path: Path, declared: str | None) -> Numbers | None:
    """The convention of the numbers a workbook stores as text, decided from all of them together as
    :func:`decide` does for a text file: ``cells`` are (cell reference, text) of every text cell of the
    quantity columns. None when no cell shows a mark (nothing to convert). A workbook whose text numbers
    mix conventions, or show only a mark that could be either, is refused naming its cells; ``declared``
    (``decimal=``) settles the ambiguous case and is checked against the cells."""
    if declared is not None and declared not in (".", ","):
        raise SecretomeInputError(f"unknown decimal mark {declared!r}", file=path, expected="'.' or ','")
    first: dict[str, tuple[str, str]] = {}
    for ref, text in cells:
        data = text.strip().encode("ascii", "replace")
        for name in ("comma", "point", "ambiguous"):  # (a lone '12,345' is ambiguous, not comma groups)
            if name not in first and _CLASSES[name].fullmatch(data):
                first[name] = (ref, text.strip())
                break
    point, comma = first.get("point"), first.get("comma")
    comma_groups = any("," in text for _, text in cells) and (point is not None or declared == ".")
    shown = lambda hit: f"cell {hit[0]} ({hit[1]!r})"  # noqa: E731
    if declared == "." and comma or declared == "," and point:
        hit = comma if declared == "." else point
        raise SecretomeInputError(
            f"decimal={declared!r} was declared but the number stored as text in {shown(hit)} is written with "
            f"{'a decimal comma' if declared == '.' else 'a decimal point'}", file=path, parameters=("decimal",),
            expected="one convention in the whole workbook",
        )
    if comma and point:
        raise SecretomeInputError(
            f"the numbers stored as text mix conventions: {shown(comma)} is written with a decimal comma or "
            f"thousands points, {shown(point)} with a decimal point", file=path, parameters=("decimal",),
            expected="one convention in the whole workbook (declare it with decimal='.' or ',')",
        )
    if declared is not None:
        return Numbers(declared, "." if declared == "," else ("," if comma_groups else None), "declared", "") if first else None
    if comma:
        return Numbers(",", ".", "file", f"{shown(comma)}, a number stored as text, has a decimal comma")
    if point:
        return Numbers(".", "," if comma_groups else None, "file", f"{shown(point)}, a number stored as text, has a decimal point")
    if "ambiguous" in first:
        ref, text = first["ambiguous"]
        mark = "," if "," in text else "."
        other = "." if mark == "," else ","
        raise SecretomeInputError(
            f"the decimal mark of the numbers stored as text cannot be decided: {shown(first['ambiguous'])} is "
            f"{text.replace(mark, '')} with {mark!r} as a thousands mark or {text.replace(mark, '.')} with {mark!r} "
            "as the decimal mark, and no other text-stored number tells which", file=path, parameters=("decimal",),
            expected=f"decimal='{mark}' if {mark!r} is the decimal mark, decimal='{other}' if it is not",
        )
    return None

