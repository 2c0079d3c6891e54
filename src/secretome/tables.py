"""The one writer of tabular outputs (TSV, CSV, XLSX), spreadsheet-safe by construction.

Lab users open ``proteins.tsv`` or a compare table in Excel or LibreOffice first. A gene description,
sample name or protein name from an input file that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would be run as a formula there (``=HYPERLINK("http://...")``, ``=1+1``): CSV
injection. Following the OWASP CSV-injection guidance, every *text* cell (and every header or index
label) that starts with one of those characters is written with a leading apostrophe ``'`` in TSV/CSV,
so the spreadsheet shows it as text. Numbers are never touched, nor text that is a plain number such as
``-1.5`` (a spreadsheet reads it as that number, never as a formula). In XLSX the text is kept exactly
and stored as a text cell with Excel's own "quote prefix" flag, so it can neither be read nor later
edited into a formula; a cell longer than Excel's 32,767-character limit is cut there, ending in an
ellipsis.

Invisible control characters are made visible first, in every format (:mod:`secretome.textsafety`):
a bidi override or isolate (``U+202A``-``U+202E``, ``U+2066``-``U+2069``), a zero-width or other
invisible format character, or a control character other than tab, line feed and carriage return is
replaced by its code point in brackets, ``[U+202E]``, so no name can reorder or hide text in a
spreadsheet; the formula rule is then applied to the result. (The two non-characters ``U+FFFE`` and
``U+FFFF``, which XML cannot hold, become ``U+FFFD`` in XLSX.)

Numbers in TSV/CSV are written at full precision as the shortest text that parses back to the same
float64 (Python's ``repr``: ``0.1``, ``1e-05``, ``inf``), missing values as empty cells, unless the caller
gives a ``float_format``; the text is byte for byte what ``pandas.DataFrame.to_csv`` writes for the same
frame, only built column by column (several times faster for the large result tables).

Every table the package writes for users goes through this module, so the rule holds in one place.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from secretome.textsafety import has_invisible, make_visible

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a cell as a formula (OWASP CSV injection)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XLSX_CELL_LIMIT = 32_767
"""Excel's limit on characters in one cell."""
_SHEET_NAME_ILLEGAL = re.compile(r"[\[\]:*?/\\]")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula: it starts with a trigger character
    and is not a plain number."""
    return text.startswith(FORMULA_TRIGGERS) and _PLAIN_NUMBER.fullmatch(text) is None


def neutralise(value: Any) -> Any:
    """``value`` safe for a text spreadsheet cell: invisible control characters made visible, then
    formula-like text given a leading ``'``; anything else (numbers, missing values, harmless text) is
    returned unchanged."""
    if isinstance(value, str):
        value = make_visible(value)
        if is_formula_like(value):
            return "'" + value
    return value


def _needs_change(value: Any) -> bool:
    return isinstance(value, str) and (has_invisible(value) or is_formula_like(value))


_VISIBLE_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _change_mask(text: pd.Series) -> np.ndarray:
    """Which cells of a text column :func:`neutralise` changes. A column where no cell starts with a trigger
    character and whose text holds no invisible character needs no change: checked for the whole column at
    once (for ASCII text by one byte-level pass), each cell only when the column may need it."""
    strings = [cell for cell in text.tolist() if isinstance(cell, str)]
    if not {cell[:1] for cell in strings}.intersection(FORMULA_TRIGGERS):
        joined = "".join(strings)
        if not (joined.encode("ascii").translate(None, _VISIBLE_ASCII) if joined.isascii() else has_invisible(joined)):
            return np.zeros(len(text), dtype=bool)
    return text.map(_needs_change).to_numpy(dtype=bool)


def _safe_labels(labels: pd.Index) -> pd.Index:
    """Header or index labels with :func:`neutralise` applied (a MultiIndex level by level)."""
    if isinstance(labels, pd.MultiIndex):
        return labels.set_levels([_safe_labels(level) for level in labels.levels])
    if labels.dtype == object or isinstance(labels.dtype, (pd.StringDtype, pd.CategoricalDtype)):
        return pd.Index([neutralise(label) for label in labels], name=neutralise(labels.name))
    return labels.rename(neutralise(labels.name))


def _is_text_column(values: pd.Series) -> bool:
    return values.dtype == object or isinstance(values.dtype, (pd.StringDtype, pd.CategoricalDtype))


def spreadsheet_safe(frame: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column labels (and index labels, when written) carry no
    formula: see the module docstring for the rule. Numeric columns are shared, not copied."""
    columns = {}
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if _is_text_column(values):
            text = values.astype(object)
            mask = _change_mask(text)
            if mask.any():
                text = text.copy()
                text[mask] = text[mask].map(neutralise)
            values = text
        columns[position] = values
    safe = pd.DataFrame(columns, index=frame.index, copy=False) if columns else pd.DataFrame(index=frame.index)
    safe.columns = _safe_labels(frame.columns)
    if index:
        safe.index = _safe_labels(frame.index)
    return safe


def write_tsv(
    frame: pd.DataFrame,
    target: str | Path | IO[str],
    *,
    index: bool = False,
    float_format: str | None = None,
) -> None:
    """Write ``frame`` as tab-separated text with ``\\n`` line ends and empty cells for missing values,
    spreadsheet-safe (:func:`spreadsheet_safe`). Floats are written as their shortest round-trip text
    (``repr``: it parses back to the same float64) unless ``float_format`` (e.g. ``"%.3f"``) is given."""
    _write_delimited(frame, target, "\t", index=index, float_format=float_format)


def tsv_text(frame: pd.DataFrame, *, index: bool = False, float_format: str | None = None) -> str:
    """The text :func:`write_tsv` would write, for callers that assemble files in memory."""
    return _delimited_text(spreadsheet_safe(frame, index=index), "\t", index=index, float_format=float_format)


def write_csv(
    frame: pd.DataFrame,
    target: str | Path | IO[str],
    *,
    index: bool = False,
    float_format: str | None = None,
) -> None:
    """Write ``frame`` as comma-separated text (fields holding commas, quotes or line breaks quoted),
    spreadsheet-safe like :func:`write_tsv`."""
    _write_delimited(frame, target, ",", index=index, float_format=float_format)


_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".tgz", ".tbz", ".txz")
"""File name endings pandas' writer compresses for (its ``compression="infer"``), kept by handing such paths to it."""


def _write_delimited(frame: pd.DataFrame, target: str | Path | IO[str], sep: str, *, index: bool,
                     float_format: str | None) -> None:
    safe = spreadsheet_safe(frame, index=index)
    if isinstance(target, (str, Path)) and str(target).lower().endswith(_COMPRESSED_SUFFIXES):
        safe.to_csv(target, sep=sep, index=index, float_format=float_format, na_rep="", lineterminator="\n")
        return
    text = _delimited_text(safe, sep, index=index, float_format=float_format)
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        target.write(text)


def _delimited_text(safe: pd.DataFrame, sep: str, *, index: bool, float_format: str | None) -> str:
    """``safe`` (already :func:`spreadsheet_safe`) as delimited text, exactly as ``DataFrame.to_csv(sep=sep,
    na_rep="", lineterminator="\\n")`` writes it (quoting by the ``csv`` module's minimal rule).

    A frame of plain columns (float, integer, boolean, text) is written column by column: each float64 through
    ``repr`` (the shortest text that parses back to the same float, which is also what pandas writes, via
    numpy's slower formatter), each text cell as it is unless it holds the separator, a quote or a line break
    (then quoted by the ``csv`` module itself). Anything else (a ``float_format``, a MultiIndex, dates, one
    column alone, non-text labels) goes to pandas' writer."""
    columns = _plain_columns(safe, index=index) if float_format is None else None
    if columns is None:
        return safe.to_csv(sep=sep, index=index, float_format=float_format, na_rep="", lineterminator="\n")
    header = [_csv_field(label, sep) if _needs_quotes(label, sep) else label for label, _ in columns]
    cells = [_column_cells(values, sep) for _, values in columns]
    lines = [sep.join(header)]
    lines.extend(map(sep.join, zip(*cells)))
    return "\n".join(lines) + "\n"


def _plain_columns(safe: pd.DataFrame, *, index: bool) -> list[tuple[str, pd.Series | pd.Index]] | None:
    """(header label, values) of every column written (the index first when ``index``), or None when the
    frame needs pandas' own writer (see :func:`_delimited_text`)."""
    if isinstance(safe.columns, pd.MultiIndex) or not all(isinstance(label, str) for label in safe.columns):
        return None
    columns: list[tuple[str, pd.Series | pd.Index]] = []
    if index:
        if isinstance(safe.index, pd.MultiIndex) or not (safe.index.name is None or isinstance(safe.index.name, str)):
            return None
        columns.append((safe.index.name or "", safe.index))
    columns.extend((str(label), safe.iloc[:, position]) for position, label in enumerate(safe.columns))
    if len(columns) < 2 or not all(_is_plain(values) for _, values in columns):
        return None  # pandas quotes an empty cell of a one-field row; keep its writer for that case
    return columns


def _is_plain(values: pd.Series | pd.Index) -> bool:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return dtype.categories.dtype == object
    return isinstance(dtype, np.dtype) and (dtype.kind in "fiubO" and dtype.itemsize <= 8) or isinstance(dtype, pd.StringDtype)


def _column_cells(values: pd.Series | pd.Index, sep: str) -> list[str]:
    """The text of each cell of one plain column (missing values empty)."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        array = values.to_numpy()
        cells = list(map(repr, array.tolist())) if dtype == np.float64 else array.astype(str).tolist()
        for position in np.flatnonzero(np.isnan(array)).tolist():
            cells[position] = ""
        return cells
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return list(map(str, values.to_numpy().tolist()))
    array = np.asarray(values, dtype=object)
    cells = array.tolist()
    for position in np.flatnonzero(pd.isna(array)).tolist():
        cells[position] = ""
    try:
        if not _needs_quotes("".join(cells), sep):  # all text, none to quote: the common case, one pass
            return cells
    except TypeError:  # a cell that is not text (a number or other object in a text column)
        pass
    return [cell if isinstance(cell, str) and not _needs_quotes(cell, sep) else _csv_field(cell, sep) for cell in cells]


def _needs_quotes(text: str, sep: str) -> bool:
    """True when the csv module's minimal quoting might quote ``text`` (separator, quote or line break in it)."""
    return sep in text or '"' in text or "\n" in text or "\r" in text


def _csv_field(value: Any, sep: str) -> str:
    """One cell as the ``csv`` module writes it (quoted when needed), for the rare cells plain text is not."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\n").writerow([value, ""])
    return buffer.getvalue()[: -len(sep) - 1]


# ------------------------------------------------------------------------------------------- XLSX
def _xlsx_text(text: str) -> str:
    text = _XML_ILLEGAL.sub("\ufffd", make_visible(text))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "\u2026"
    return text


def _xlsx_value(value: Any) -> tuple[Any, bool]:
    """(cell value, is text) for one pandas value; missing -> None, infinities -> text ``inf``/``-inf``."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None, False
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value, False
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return None, False
        if isinstance(value, float) and math.isinf(value):
            return ("inf" if value > 0 else "-inf"), True
        if isinstance(value, int) and abs(value) >= 2**53:
            return str(value), True
        return value, False
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat(), True
    if isinstance(value, date):
        return value, False
    return _xlsx_text(str(value)), True


def _sheet_titles(names: list[str]) -> list[str]:
    """Valid, distinct worksheet titles (31 characters, none of ``[]:*?/\\``) for ``names``."""
    titles: list[str] = []
    for name in names:
        base = _SHEET_NAME_ILLEGAL.sub("_", _XML_ILLEGAL.sub("_", make_visible(str(name)))).strip("'") or "Sheet"
        title, n = base[:31], 1
        while title.lower() in {t.lower() for t in titles}:
            n += 1
            suffix = f" ({n})"
            title = base[: 31 - len(suffix)] + suffix
        titles.append(title)
    return titles


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path, *, index: bool = False) -> None:
    """Write each frame of ``sheets`` (sheet name -> table) as a formatted worksheet of one XLSX file.

    Each sheet has a bold, frozen header row with an autofilter and column widths fitted to the
    content (capped). Text is stored as text cells with Excel's quote prefix, so no input text can
    become a formula (see the module docstring); numbers stay numbers, missing values stay empty.
    Sheet names are made valid (31 characters, no ``[]:*?/\\``) and distinct.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    header_alignment = Alignment(vertical="top", wrap_text=True)
    for title, frame in zip(_sheet_titles(list(sheets)), sheets.values()):
        sheet = workbook.create_sheet(title)
        table = frame.reset_index() if index else frame
        labels = [str(label) if not isinstance(label, tuple) else " / ".join(map(str, label)) for label in table.columns]
        widths = [min(max(len(label), 6), 60) for label in labels]
        text_columns = [_is_text_column(table.iloc[:, i]) for i in range(table.shape[1])]
        for i in range(table.shape[1]):
            if text_columns[i] and len(table):
                sample = table.iloc[:200, i].dropna().astype(str)
                if len(sample):
                    widths[i] = min(max(widths[i], int(sample.str.len().max())), 60)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width + 2
        if table.shape[1]:
            sheet.freeze_panes = "A2"
            last = get_column_letter(table.shape[1])
            sheet.auto_filter.ref = f"A1:{last}{len(table) + 1}"

        header = []
        for label in labels:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(label))
            cell.data_type = "s"
            cell.quotePrefix = True
            cell.font = bold
            cell.alignment = header_alignment
            header.append(cell)
        sheet.append(header)
        for row in table.itertuples(index=False, name=None):
            cells = []
            for value in row:
                content, is_text = _xlsx_value(value)
                if is_text:
                    cell = WriteOnlyCell(sheet, value=content)
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    cells.append(cell)
                else:
                    cells.append(content)
            sheet.append(cells)
    if not sheets:
        workbook.create_sheet("Sheet")
    workbook.save(str(path))
