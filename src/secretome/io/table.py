"""Shared table parsing for every reader: bytes in, one pandas DataFrame out, or one clear error.

One pass over the file: the bytes are read once (and hashed), decompressed if gzip/xz/zip, checked for
being empty, binary or truncated, the delimiter is sniffed from the first lines, and the whole table is
parsed once (by pyarrow or pandas' C parser, below). Quantity columns are turned into float64 by :func:`numeric_block`, which
names the first bad cell (file row and column) instead of silently producing NaN.

Numbers of a plain text table (no quotes, a decimal point, no thousands mark, no trimmed rows, UTF-8) are
parsed by pyarrow (:mod:`secretome.io.fastcsv`), correctly rounded and at about half pandas' CPU time, where
it reads every cell as pandas does; any other table, or one where pyarrow may read a cell otherwise, is
parsed by pandas' C parser with its fast float converter, which may differ from the decimal text in the
last binary digit (relative error below 1e-15; the exact "round_trip" converter costs about 1.5-2x).

Row numbers in messages count the header as row 1, so they equal the line number in a text file and
the row number Excel shows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
import re
import threading
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io import fastcsv, report_frame, source, trailing_list
from secretome.io.numbers import (
    MARK_NAMES, MixedConventions, Numbers, column_marks, convert, decide_cells, for_mark, to_point,
)
from secretome.io.numbers import decide as number_convention
from secretome.io.quoting import decide as quoting_decide

#: Cell texts read as missing values in every table (engines write these for "no value").
NA_TOKENS: tuple[str, ...] = (
    "", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "#N/A", "NULL", "null", "None", "Filtered", "filtered",
)

_DELIMITERS: tuple[str, ...] = ("\t", ",", ";")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
_SNIFF_BYTES = 1 << 16
_SNIFF_LINES = 60


class ReaderWarning(UserWarning):
    """Something the reader did that the user should know about (e.g. repeated gene identifiers suffixed)."""


#: Values Excel shows for a formula that failed (``#N/A`` is read as missing, as engines write it).
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})


@dataclass(frozen=True)
class TextFacts:
    """What was decided about a text table's text: its number convention, how its quotes were read and
    whether its lines lost their trailing whitespace (no line ends with the delimiter, see
    :func:`_trimmed_by_stripping`)."""

    numbers: Numbers
    quoting: str
    stripped: bool
    #: a trailing list column whose items continued over extra fields and were joined (io/trailing_list.py)
    list_column: str = ""
    #: a file whose numbers mix conventions, converted column by column until its quantity columns decide
    columns: "ColumnNumbers | None" = None
    #: a report frame (settings above the header, a closing line) that was not read (io/report_frame.py)
    report_frame: str = ""
    #: carriage returns inside the fields of LF-ended lines, read as spaces (see :func:`_lone_carriage_returns`)
    carriage_returns: str = ""
    #: a title line above the header, not read as a row (see :func:`_without_title_line`)
    title: str = ""


#: The :class:`TextFacts` said in ``uns['source']`` (and by ``info``) where present: what the text reader did
#: beyond parsing (CRs inside fields, a report frame set aside, a trailing list column joined).
TEXT_FACTS: tuple[str, ...] = ("carriage_returns", "report_frame", "list_column", "title")


@dataclass
class ColumnNumbers:
    """A text table whose numbers mix conventions, parsed as text and converted column by column (see
    :mod:`secretome.io.numbers`) until its quantity columns settle the file's convention
    (:func:`settle_numbers`). Columns are keyed by their index in the parsed frame (``RawTable.positions``)."""

    raw: pd.DataFrame  # the stripped cells, as written, of every column with a decimal or thousands mark
    kinds: dict[int, str]  # column -> :attr:`secretome.io.numbers.ColumnMarks.kind` (never "")
    parsed: dict[int, str]  # column -> the decimal mark it was converted with ("" when left as text)
    majority: str  # the declared mark, else the mark most marked columns show (ties: ".")
    declared: str | None = None  # ``decimal=``: the quantity cells must be written with it
    settled: Numbers | None = None
    #: column -> why it stays text: written in the other convention than the quantity cells, or in both
    as_text: dict[str, str] = field(default_factory=dict)


@dataclass
class RawTable:
    """A parsed table and where it came from.

    ``row_numbers[i]`` is the 1-based file row (header = row 1) of ``frame.iloc[i]``, used in messages.
    """

    frame: pd.DataFrame
    path: Path
    sha256: str
    row_numbers: np.ndarray
    delimiter: str | None = None  # None for XLSX
    sheet: str | None = None  # the worksheet read, None for text
    #: rows whose trailing empty fields the writer trimmed: (file row, fields it has); padded with missing
    #: values, which :func:`numeric_block` accepts only when every missing field is after its columns
    short_rows: tuple[tuple[int, int], ...] = ()
    width: int = 0  # the header's number of fields (text tables)
    positions: dict[str, int] | None = None  # column -> its field position in the file (text tables)
    text: TextFacts | None = None  # number convention and quoting of a text table
    padded_rows: tuple[int, ...] = ()  # file rows whose trimmed quantity fields were read as missing
    #: columns whose name the header repeats, renamed ``'<name> (column <n>)'``: distinct name -> (name, 1-based
    #: column); only with ``read_table(repeated_names=True)``, and only readers that say so accept them
    repeated: dict[str, tuple[str, int]] = field(default_factory=dict)
    #: XLSX: the declared decimal mark, and the convention of the numbers the workbook stores as text in
    #: the quantity columns (decided by :func:`numeric_block` from all of them, :func:`numbers.decide_cells`)
    decimal: str | None = None
    cell_numbers: Numbers | None = None
    #: file rows (sheet rows of a workbook) whose every field was empty, skipped as pandas and R skip them
    empty_rows: tuple[int, ...] = ()
    #: XLSX cells read as empty that held no number (``read_table(defer_cells=True)``): (cell, what it held: an
    #: Excel error value or ``"formula without a saved value"``), judged by :func:`refuse_unread_cells` once a
    #: reader has chosen its columns
    unread_cells: tuple[tuple[str, str], ...] = ()
    #: XLSX read without sheet=: why a sheet other than the first was read (an engine's cover sheet first)
    sheet_chosen: str = ""
    #: XLSX: the title row above the header, said (a supplementary table's caption)
    sheet_title: str = ""
    #: quantity cells holding an Excel error value (``#DIV/0!``, ``#NUM!``: a failed formula has no number),
    #: read as missing and reported by cell (``"AF1546 '#NUM!'"``; text tables: ``"row 12 of 'S1' '#DIV/0!'"``)
    error_values: list[str] = field(default_factory=list)
    #: quantity cells holding -inf (R's log2 of a zero), read as missing: their count and first cells
    minus_infinity: dict[str, object] = field(default_factory=dict)

    def subset_rows(self, mask: np.ndarray) -> "RawTable":
        """The same table restricted to rows where ``mask`` is true (row numbers follow)."""
        text = self.text
        if text is not None and text.columns is not None:
            text = replace(text, columns=replace(text.columns, raw=text.columns.raw.loc[mask].reset_index(drop=True)))
        return replace(self, frame=self.frame.loc[mask].reset_index(drop=True), row_numbers=self.row_numbers[mask],
                       text=text)

    def facts(self) -> dict[str, object]:
        """What was decided about the text, for ``uns['source']``: ``numbers`` (decimal and thousands marks
        and the cell that decided them), ``quoting`` and the empty rows skipped; XLSX: its numbers only."""
        facts: dict[str, object] = {}
        if self.text is not None:
            facts.update(numbers=self.text.numbers.record(), quoting=self.text.quoting)
            if self.padded_rows:
                facts["padded_rows"] = [int(row) for row in self.padded_rows]
            facts.update({fact: getattr(self.text, fact) for fact in TEXT_FACTS if getattr(self.text, fact)})
        elif self.cell_numbers is not None:
            facts["numbers"] = self.cell_numbers.record()
        if self.empty_rows:
            facts["empty_rows_skipped"] = list(self.empty_rows)
        if self.sheet_chosen:
            facts["sheet_chosen"] = self.sheet_chosen
        if self.sheet_title:
            facts["title"] = self.sheet_title
        if self.error_values:
            facts["error_values_read_as_missing"] = list(self.error_values)
        if self.minus_infinity:
            facts["minus_infinity_read_as_missing"] = dict(self.minus_infinity)
        return facts


def read_table(
    path: str | Path, *, sheet: str | int | None = None, min_columns: int = 2, as_text: bool = False,
    decimal: str | None = None, check_header: Callable[[list[str], Path], None] | None = None,
    repeated_names: bool = False, defer_cells: bool = False,
) -> RawTable:
    """Read a CSV/TSV (optionally gz/xz/zip-compressed) or XLSX table into a :class:`RawTable`.

    ``min_columns``: 2 for result tables (identifier + quantities); 1 allows a single column (sample sheets).
    ``decimal``: the decimal mark of a text table (``"."`` or ``","``), declared; None decides it from the
    file (:func:`secretome.io.numbers.decide`; the decision is in ``RawTable.facts()``). A file whose
    numbers mix conventions is decided from its quantity columns when a reader names them
    (:func:`settle_numbers`, called by :func:`numeric_block`).
    ``check_header``: called with a text table's header before its body is parsed (the readers refuse
    known non-protein tables there, before any cell of theirs is judged).
    ``as_text``: keep every cell of a text table as written (sample sheets: a name ``001`` stays ``001``;
    the caller converts numeric columns). XLSX cells keep the types Excel stored.
    ``repeated_names``: keep columns whose name the header repeats, renamed (see ``RawTable.repeated``), for
    the caller to refuse or set aside; by default they are refused here.
    ``defer_cells``: XLSX error cells and formulas without a saved value are kept in ``RawTable.unread_cells``
    for :func:`refuse_unread_cells` to judge against the columns a reader takes (a p-value ``#DIV/0!`` of a
    result table is not a reason to refuse it as such); by default they are refused here.

    Raises :class:`SecretomeInputError` for a missing, empty, binary, truncated or undelimited file,
    duplicated column names, or a table without data rows.
    """
    path = Path(path)
    _refuse_known_binary(path)  # after source.check_regular_file: missing, special files, symlink loops
    raw = source.read_input(path)
    if _blank(raw):
        raise SecretomeInputError("the file is empty", file=path, expected="a table with a header row and data rows")
    with _Digest(raw) as digest:
        data, is_xlsx = _decompress(raw, path)
        del raw  # a compressed file's bytes are not needed past here: not held through the parse
        table = _parsed_table(data, path, is_xlsx, sheet=sheet, min_columns=min_columns, as_text=as_text,
                              decimal=decimal, check_header=check_header, defer_cells=defer_cells)
    table.sha256 = digest.value
    return _finish(table, min_columns, repeated_names)


class _Digest:
    """The SHA-256 of a file's bytes, computed in a thread beside the parse when they are large (hashlib
    releases the GIL): ``value`` (the hex digest) is set when the ``with`` block ends, after the hash
    thread is joined, so a read costs its parse's wall time, not the parse's and the hash's."""

    THREAD_MIN_BYTES = 1 << 22

    def __init__(self, data: bytes) -> None:
        self.data: bytes | None = data
        self.value = ""
        self.thread: threading.Thread | None = None

    def _run(self) -> None:
        self.value = hashlib.sha256(self.data).hexdigest()
        self.data = None

    def __enter__(self) -> "_Digest":
        if len(self.data) >= self.THREAD_MIN_BYTES:
            self.thread = threading.Thread(target=self._run, name="secretome-sha256", daemon=True)
            self.thread.start()
        else:
            self._run()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.thread.join()


def _parsed_table(
    data: bytes, path: Path, is_xlsx: bool, *, sheet: str | int | None, min_columns: int, as_text: bool,
    decimal: str | None, check_header: Callable[[list[str], Path], None] | None, defer_cells: bool = False,
) -> RawTable:
    """The :class:`RawTable` of decompressed bytes (its ``sha256`` is filled in by :func:`read_table`)."""
    sha256 = ""
    if is_xlsx:
        frame, sheet_name, skipped, columns, unread, title = _parse_xlsx(data, path, sheet, defer_cells)
        if decimal is not None and decimal not in (".", ","):
            raise SecretomeInputError(f"unknown decimal mark {decimal!r}", file=path, expected="'.' or ','")
        table = RawTable(frame, path, sha256, np.arange(len(frame)) + 2 + skipped, sheet=sheet_name, positions=columns,
                         decimal=decimal, unread_cells=unread,
                         sheet_title=f"the title {title[:80]!r} above the header is not a row" if title else "")
    else:
        if sheet is not None:  # ignoring it would silently read something other than what was asked for
            raise SecretomeInputError(
                f"a worksheet ({sheet!r}) was given but this is a text table, not an Excel workbook", file=path,
                expected="sheet= only with .xlsx input",
            )
        frame, delimiter, skipped, short, facts = _parse_text(
            data, path, single_column_ok=min_columns < 2, as_text=as_text, decimal=decimal, check_header=check_header
        )
        table = RawTable(
            frame, path, sha256, np.arange(len(frame)) + 2 + skipped, delimiter=delimiter, short_rows=short,
            width=frame.shape[1], positions={str(name): i for i, name in enumerate(frame.columns)}, text=facts,
        )
    return table


#: Binary formats of non-protein engine outputs: (magic bytes, what the file is, which file to give instead).
_KNOWN_BINARY = (
    (b"PAR1", "a Parquet file (DIA-NN 1.9+/2.x main report report.parquet: one row per precursor and run)",
     "report.pg_matrix.tsv from the same DIA-NN run (or the protein table of the engine that wrote it)"),
)
_PARAMETER_LINE = re.compile(r"^\s*[A-Za-z_][\w.\-]*\s*=")
"""A settings line of a program's parameter file (Comet's ``comet.params``, Crux's ``percolator.params``)."""
#: A line of FragPipe's isobaric annotation file: a TMT/iTRAQ reporter channel, a space, the sample name
#: (FragPipe documentation, TMT-Integrator "annotation file"; channels 126-135N/C of TMT 6- to 18-plex,
#: 113-121 of iTRAQ).
_ISOBARIC_ANNOTATION_LINE = re.compile(r"^\s*(?:1[1-3]\d[NC]?|11[3-9]|121)\s+\S+\s*$")
#: Text formats recognised by their first bytes: (start, what the file is, which file to give instead).
_KNOWN_TEXT = (
    (b"MTD\t", "an mzTab file (metadata, protein, peptide and PSM sections in one file)",
     "the engine's protein table (e.g. proteinGroups.txt), or the PRT section saved as a table"),
    (b"Search Name:", "a Protein Prospector report (search settings above a peptide table)",
     "a protein-level table (summarise the peptides to proteins first)"),
    (b"COM\t", "an mzTab file (metadata, protein, peptide and PSM sections in one file)",
     "the engine's protein table (e.g. proteinGroups.txt), or the PRT section saved as a table"),
    (b"# Feature Intensity Report", "a Proteios feature intensity report (peptide-level: one row per MS1 feature, "
     "'#' lines of run and sample names above the header)",
     "a protein-level table (summarise the features to proteins first, e.g. with NormalyzerDE or MSstats)"),
)


#: XML files engines write, by their root element: what the file is.
_XML_KINDS = (
    ("MaxQuantParams", "a MaxQuant parameters file (mqpar.xml: the run's settings, no quantities)"),
    ("MzIdentML", "an mzIdentML identification file (peptide-spectrum matches)"),
    ("msms_pipeline_analysis", "a pepXML identification file (peptide-spectrum matches)"),
    ("protein_summary", "a protXML protein inference file (protein probabilities, no quantities)"),
    ("mzML", "an mzML spectrum file"),
    ("indexedmzML", "an mzML spectrum file"),
    ("MzQuantML", "an mzQuantML quantification file (its tables are not read; export the protein table)"),
)


def _refuse_known_binary(path: Path) -> None:
    """Refuse a binary engine output by its magic bytes, naming what it is (before the generic binary check)."""
    source.check_regular_file(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return  # read_input reports it
    for magic, kind, give in _KNOWN_BINARY:
        if head.startswith(magic):
            raise SecretomeInputError(f"this is {kind}, not a protein-level quantity table", file=path, expected=give)


#: What a table without data rows lacks (the same reader reads result tables and sample sheets).
_ROWS_EXPECTED = "one row per protein (per sample in a sample sheet)"


#: Single-stream compressions: (magic bytes, decompress, errors of a damaged stream, name, file suffix).
_STREAMS = (
    (b"\x1f\x8b", source.decompress, (EOFError, OSError, zlib.error), "gzip", ".gz"),
    (b"\xfd7zXZ\x00", source.decompress, (EOFError, lzma.LZMAError), "xz", ".xz"),
)


def _decompress(raw: bytes, path: Path) -> tuple[bytes, bool]:
    """Undo gzip/xz/zip wrapping (up to three layers, e.g. a .csv.gz inside a .zip); report whether the
    payload is an XLSX workbook."""
    data = raw
    for _ in range(3):
        stream = next((s for s in _STREAMS if data.startswith(s[0])), None)
        if stream is not None:
            _, decompress, errors, name, suffix = stream
            try:
                data = decompress(data, name, path=path, compressed_size=len(raw))
            except errors as error:
                raise SecretomeInputError(
                    f"the {name} stream is truncated or damaged ({error})", file=path, expected=f"a complete {suffix} file"
                ) from None
            continue
        if data[:4] == b"PK\x03\x04":
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
                source.check_zip(archive, path, len(raw))
                names = [info.filename for info in archive.infolist() if not info.is_dir()]
                if "xl/workbook.xml" in names:
                    return data, True
                if len(names) != 1:
                    raise SecretomeInputError(
                        f"the zip archive holds {len(names)} files", file=path, expected="exactly one table inside a .zip"
                    )
                data = archive.read(names[0])
            except (zipfile.BadZipFile, EOFError, zlib.error, KeyError, RuntimeError, NotImplementedError) as error:
                raise SecretomeInputError(
                    f"the zip archive is truncated or damaged ({error})", file=path, expected="a complete .zip or .xlsx file"
                ) from None
            continue
        break
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise SecretomeInputError(
            "legacy Excel .xls workbooks are not read", file=path, expected="save it as .xlsx, CSV or TSV"
        )
    if _blank(data):
        raise SecretomeInputError("the file is empty", file=path, expected="a table with a header row and data rows")
    return data, False


def _blank(data: bytes) -> bool:
    """True for empty or whitespace-only content (looks at the start first; no copy of large files)."""
    if data[:_SNIFF_BYTES].strip():
        return False
    return not data.strip()


def _parse_xlsx(
    data: bytes, path: Path, sheet: str | int | None, defer_cells: bool = False,
) -> tuple[pd.DataFrame, str, int, dict[str, int], tuple[tuple[str, str], ...], str]:
    """Parse one worksheet (the first unless ``sheet`` names another) with calamine.

    calamine (pandas ``engine="calamine"``) reads the cells openpyxl reads, with the same values and types
    (each formula's saved value, numbers stored as text kept as text, whole numbers as int), about ten
    times faster; what neither reports (formulas without a saved value, error cells) is found in the
    sheet's XML by :func:`_unread_cells`.

    The header is the first non-empty row; returns the body, the sheet name, the number of empty rows
    above the header (so that row numbers in messages are the rows Excel shows), each column's
    position in the sheet (0 = column A, for cell references in messages) and, with ``defer_cells``, the
    unread cells of the body by column (see ``RawTable.unread_cells``; a cell in the header row or in a
    column holding nothing else is refused here all the same: no reader could judge it).
    """
    try:
        workbook = pd.ExcelFile(io.BytesIO(data), engine="calamine")
    except Exception as error:  # calamine raises many types for damaged workbooks
        raise SecretomeInputError(
            f"the XLSX workbook cannot be opened ({type(error).__name__}: {error})", file=path, expected="a valid .xlsx file"
        ) from None
    names = workbook.sheet_names
    if isinstance(sheet, str) and sheet not in names and sheet.strip().isdigit():
        sheet = int(sheet)  # "1" from the command line means the second sheet unless a sheet is named "1"
    if sheet is None:
        sheet_name = names[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise SecretomeInputError(f"the workbook has no sheet number {sheet}", file=path, expected=f"one of {names}")
        sheet_name = names[sheet]
    else:
        if sheet not in names:
            raise SecretomeInputError(f"the workbook has no sheet {sheet!r}", file=path, expected=f"one of {names}")
        sheet_name = sheet
    try:
        frame = workbook.parse(sheet_name, header=None, dtype=object, na_values=list(NA_TOKENS), keep_default_na=False)
    except Exception as error:
        raise SecretomeInputError(
            f"sheet {sheet_name!r} cannot be read ({type(error).__name__}: {error})", file=path
        ) from None
    uncached, errors = _unread_cells(data, names.index(sheet_name))
    kept = frame.notna().any(axis=0)
    first = int(np.argmax(frame.notna().any(axis=1).to_numpy())) if kept.any() else 0  # rows above the header are empty
    header_row = frame.index[first] if len(frame) else 0
    cells = [(ref, value) for ref, value in errors] + [(ref, UNCACHED) for ref in uncached]
    if cells and (not defer_cells or any(
            not kept.get(column, False) or row <= header_row for column, row in map(_cell_position, (ref for ref, _ in cells)))):
        refuse_cells(path, sheet_name, errors, uncached)
    frame = frame.loc[:, kept]
    if frame.empty:
        raise SecretomeInputError(f"sheet {sheet_name!r} is empty", file=path, expected="a header row and data rows")
    first, title = _below_title(frame, first)
    header = [_header_name(value, i) for i, value in enumerate(frame.iloc[first].tolist())]
    sheet_columns = [int(position) for position in frame.columns]
    body = frame.iloc[first + 1:].reset_index(drop=True)
    body.columns = header
    body = body.infer_objects()
    # Excel stores numbers as numbers; columns mixing numbers and text stay object and are checked later.
    return body, sheet_name, first, dict(zip(header, sheet_columns)), tuple(cells), title


def _below_title(frame: pd.DataFrame, first: int) -> tuple[int, str]:
    """(header row, title) of a sheet whose first filled row is a title: one filled cell, then (after empty
    rows at most) a row of three or more distinct filled cells (a supplementary table's caption above its
    header). ``(first, "")`` otherwise."""
    filled = frame.iloc[first].dropna()
    if len(filled) != 1 or not isinstance(filled.iloc[0], str):
        return first, ""
    for below in range(first + 1, min(first + 4, len(frame))):
        cells = frame.iloc[below].dropna()
        if len(cells) == 0:
            continue
        names = [str(v).strip() for v in cells]
        if len(cells) >= 3 and all(isinstance(v, str) for v in cells) and len(set(names)) >= 3:
            return below, filled.iloc[0].strip()
        return first, ""
    return first, ""


#: What a formula cell without a saved value holds, in ``RawTable.unread_cells``.
UNCACHED = "formula without a saved value"


def _cell_position(ref: str) -> tuple[int, int]:
    """(0-based column, 0-based row) of an A1 reference (``C5`` -> (2, 4))."""
    letters = ref.rstrip("0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column - 1, int(ref[len(letters):]) - 1


def refuse_cells(path: Path, sheet_name: str | None, errors: list[tuple[str, str]], uncached: list[str]) -> None:
    """Refuse Excel error cells (read as missing without a word) or formulas without a saved value."""
    if errors:
        raise SecretomeInputError(
            f"{len(errors)} cell(s) of sheet {sheet_name!r} hold an Excel error value (first: "
            f"{', '.join(f'{ref} {value!r}' for ref, value in errors[:5])}), which would be read as missing",
            file=path, expected="numbers or empty cells (fix or clear the failed formulas)",
        )
    if uncached:
        raise SecretomeInputError(
            f"{len(uncached)} formula cell(s) of sheet {sheet_name!r} have no saved value (first: "
            f"{', '.join(uncached[:5])}): the workbook was written by a program that does not compute formulas",
            file=path, expected="a workbook saved by Excel or LibreOffice (which store each formula's value), or CSV",
        )


def refuse_unread_cells(table: RawTable, read: set[str]) -> tuple[list[str], list[str]]:
    """Judge the table's unread cells (``RawTable.unread_cells``) against the columns a reader reads: a
    formula without a saved value there is refused (its number exists but was never stored); an error value
    there is read as missing (a failed formula has no number). Returns (the error cells of the columns read,
    as ``"C5 '#DIV/0!'"``; the cells of the columns not read, as ``"C5 '#DIV/0!' (column 'p')"``)."""
    names = {position: name for name, position in (table.positions or {}).items()}
    located = [(names.get(_cell_position(ref)[0], ""), ref, value) for ref, value in table.unread_cells]
    uncached = [ref for column, ref, value in located if (column in read or not column) and value == UNCACHED]
    if uncached:
        refuse_cells(table.path, table.sheet, [], uncached)
    return ([f"{ref} {value!r}" for column, ref, value in located if column in read and value != UNCACHED],
            [f"{ref} {value!r} (column {column!r})" for column, ref, value in located if column not in read])


def warn_error_values(table: RawTable, cells: list[str], what: str = "quantity cell(s)", stacklevel: int = 4) -> None:
    """Say that ``what`` (quantity cells) holding an Excel error value were read as missing (they are in
    ``uns['source']``); ``stacklevel`` counts from the caller of the caller."""
    warnings.warn(
        f"{table.path}: {len(cells)} {what} hold an Excel error value (a failed formula: "
        f"{', '.join(cells[:3])}{' ...' if len(cells) > 3 else ''}), read as missing; listed in "
        "uns['source']['error_values_read_as_missing']", ReaderWarning, stacklevel=stacklevel,
    )


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)(?:/>|>(.*?)</c>)', re.S)


def _unread_cells(data: bytes, index: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Cells of the ``index``-th worksheet that the parser would read as empty without a word: formulas
    without a cached value (``C5``), and Excel error values (``("C5", "#DIV/0!")``; ``#N/A`` is a missing
    value, as engines write it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile):
        return [], []
    ids = re.findall(rb'<(?:\w+:)?sheet\b[^>]*?r:id="([^"]+)"', workbook)
    if index >= len(ids):
        return [], []
    target = re.search(rb'<Relationship\b[^>]*?Id="' + re.escape(ids[index]) + rb'"[^>]*?Target="([^"]+)"', rels) or re.search(
        rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="' + re.escape(ids[index]) + rb'"', rels
    )
    if target is None:
        return [], []
    name = target.group(1).decode().lstrip("/")
    name = name if name.startswith("xl/") else f"xl/{name}"
    try:
        sheet = archive.read(name)
    except KeyError:
        return [], []
    if b"<f" not in sheet and b't="e"' not in sheet:
        return [], []
    uncached, errors = [], []
    for ref, attributes, body in _CELL.findall(sheet):
        value = re.search(rb"<v>([^<]*)</v>", body or b"")
        if b't="e"' in attributes and value and value.group(1).decode() != "#N/A":
            errors.append((ref.decode(), value.group(1).decode()))
        elif body and b"<f" in body and not (value and value.group(1)):
            uncached.append(ref.decode())
    return uncached, errors


def _header_name(value: object, index: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sniff_size(data: bytes) -> int:
    """How many leading bytes to sniff: at least :data:`_SNIFF_BYTES`, and always past the
    :data:`_SNIFF_LINES`-th line end (a header wider than 64 KiB: 160 MaxQuant samples, 700 DIA-NN runs)."""
    position = 0
    for n_lines in range(1, _SNIFF_LINES + 2):
        end = data.find(b"\n", position)
        if end == -1:
            return len(data)
        position = end + 1
        if position >= _SNIFF_BYTES and n_lines >= 3:
            break
    return max(position, _SNIFF_BYTES)


def _decode_sample(data: bytes, size: int = _SNIFF_BYTES) -> tuple[str, str]:
    """Decode the first ``size`` bytes for sniffing; return (text, encoding for pandas)."""
    head = data[:size]
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return head.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 4:  # a multi-byte character cut by the sample boundary
            return head[: error.start].decode("utf-8"), "utf-8"
        return head.decode("cp1252", errors="replace"), "cp1252"


def _looks_binary(data: bytes) -> bool:
    return source.looks_binary(data[:_SNIFF_BYTES])


def _skip_leading_blank_lines(data: bytes) -> tuple[bytes, int]:
    """Drop blank lines before the header (keeping a UTF-8 BOM); return the data and how many were dropped."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom):]
    position = skipped = 0
    while True:
        end = body.find(b"\n", position)
        if end == -1 or body[position:end].strip():
            break
        position, skipped = end + 1, skipped + 1
    return (bom + body[position:], skipped) if skipped else (data, 0)


def _without_title_line(data: bytes) -> tuple[bytes, str]:
    """``data`` without a title line above its header, and the title ("" when there is none): a first line of one
    filled field (padded with empty fields to the header's width, like a supplementary table's caption, or with no
    delimiter at all) above a line of three or more distinct filled fields under a delimiter (tab, comma, semicolon)."""
    first_end = data.find(b"\n")
    second_end = data.find(b"\n", first_end + 1) if first_end >= 0 else -1
    if first_end < 0 or second_end < 0:
        return data, ""
    third_end = data.find(b"\n", second_end + 1)
    first = data[:first_end].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    second = data[first_end + 1:second_end].decode("utf-8", errors="replace").rstrip("\r")
    third = data[second_end + 1:third_end if third_end >= 0 else len(data)].decode("utf-8", errors="replace").rstrip("\r")
    for delimiter in ("\t", ",", ";"):
        above, below = first.split(delimiter), second.split(delimiter)
        filled = [field.strip() for field in below if field.strip()]
        if (len(filled) >= 3 and len(set(filled)) == len(filled) and above[0].strip()
                and len(third.split(delimiter)) == len(below)  # a table below it, not a list of ';'-joined groups
                and not any(field.strip() for field in above[1:])
                and (len(above) == len(below) or not any(mark in first for mark in "\t,;"))):
            return data[first_end + 1:], above[0].strip()
    return data, ""


def _parse_text(
    data: bytes, path: Path, *, single_column_ok: bool = False, as_text: bool = False, decimal: str | None = None,
    check_header: Callable[[list[str], Path], None] | None = None, arrow: bool = True,
) -> tuple[pd.DataFrame, str, int, tuple[tuple[int, int], ...], "TextFacts"]:
    """Sniff the delimiter and parse a delimited text table once with pandas' C parser (or pyarrow's where
    it reads as pandas, :mod:`secretome.io.fastcsv`; not with ``arrow=False``: for a few lines of a wide
    table pyarrow's fixed cost per column makes it 3x dearer than pandas').

    Returns the frame, the delimiter, the number of blank lines skipped before the header, the rows
    whose trailing empty fields were trimmed (file row, fields) and what was decided about the text
    (number convention, quoting).
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 "Unicode text" as Excel saves it
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise SecretomeInputError("the UTF-16 text cannot be decoded", file=path) from None
    # (a search for one byte is memchr, 8x faster than one for b"\r\r\n": 5 vs 40 ms on 50 MB without CR)
    if b"\r" in data and b"\r\r\n" in data:  # CRLF text saved again in text mode on Windows: one line end, as pandas and R read it
        data = _DOUBLED_CR.sub(b"\r\n", data)
    carriage_returns = ""
    if b"\r" in data and _LONE_CR.search(data):
        data, carriage_returns = _lone_carriage_returns(data)
    data, skipped = _skip_leading_blank_lines(data)
    data, framed, frame_writer = report_frame.unframe(data)
    skipped += framed
    data, title = _without_title_line(data)
    skipped += bool(title)
    for start, kind, give in _KNOWN_TEXT:
        if data.lstrip(b"\xef\xbb\xbf").startswith(start):
            raise SecretomeInputError(f"this is {kind}, not a protein-level quantity table", file=path, expected=give)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        root = re.search(rb"<([A-Za-z][\w:.-]*)", data[data.find(b"?>") + 2: 4096] if b"?>" in data[:4096] else b"")
        name = root.group(1).decode() if root else ""
        kind = next((what for element, what in _XML_KINDS if name == element), f"an XML file (root element <{name}>)")
        raise SecretomeInputError(f"this is {kind}, not a protein-level quantity table", file=path,
                                  expected="the engine's protein table (e.g. proteinGroups.txt), as CSV, TSV or XLSX")
    if _looks_binary(data):
        raise SecretomeInputError(
            "this is a binary file, not a text table", file=path, expected="CSV, TSV or XLSX (optionally .gz/.xz/.zip)"
        )
    first_end = data.find(b"\n")
    listed = trailing_list.match((data if first_end < 0 else data[:first_end]).decode("utf-8", errors="replace"))
    joined = 0
    if listed is not None:
        data, joined = trailing_list.join_trailing(data, listed)
    size = _sniff_size(data)
    sample, encoding = _decode_sample(data, size)
    complete = len(data) <= size
    lines = sample.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut
    if complete and len(lines) > 2 and not data.endswith((b"\n", b"\r")):
        lines = lines[:-1]  # a last line without line end is checked for truncation separately
    lines = lines[:_SNIFF_LINES]
    if not any(line.strip() for line in lines):
        raise SecretomeInputError("the file is empty", file=path, expected="a table with a header row and data rows")
    try:
        delimiter, header = _sniff(lines, path, single_column_ok=single_column_ok, offset=skipped)
    except SecretomeInputError:
        if check_header is not None and lines:
            # a space-separated header (R's write.table default) of a known non-protein kind: say what it is
            spaced = next(csv.reader([lines[0].lstrip("\ufeff")], delimiter=" ", skipinitialspace=True))
            if len(spaced) > 1:
                check_header(spaced, path)
        raise
    if check_header is not None:
        check_header(header, path)
    if sum(1 for line in lines if line.strip()) < 2:
        raise SecretomeInputError("the table has a header but no data rows", file=path, expected=_ROWS_EXPECTED)
    by_column = False
    try:
        numbers = number_convention(data, delimiter, path, decimal, skipped, header)
    except SecretomeInputError as error:
        if isinstance(error, MixedConventions) and not as_text:
            # decided from the quantity cells once a reader names them (settle_numbers); until then the
            # columns are converted by the convention most of them show
            numbers, by_column = Numbers(".", None, "columns", error.message), True
        elif not as_text or decimal is not None:
            raise
        else:
            # a sample sheet's cells are kept as written and converted by its reader: an undecidable
            # convention is no reason to refuse its names
            numbers = Numbers(".", None, "file", f"not decided ({error.message})")
    quotes, quoting = quoting_decide(data, lines[0], delimiter, header)
    _check_last_line(data, delimiter, len(header) - (header[-1] == ""), path, quotes=quotes)  # a header-only trailing delimiter
    # pandas cannot take the delimiter as decimal or thousands mark: a comma-separated file with (quoted)
    # decimal commas or thousands commas is parsed with a decimal point and its number cells converted by
    # numeric_block; with a decimal comma every cell stays text, as an unquoted 12.345 is then 12345.
    native = delimiter not in (numbers.decimal, numbers.thousands)
    keep_text = as_text
    as_text = as_text or by_column or (not native and numbers.decimal == ",")
    options = csv_options(delimiter, numbers, as_text=as_text, quotes=quotes)
    arrow = arrow and not as_text and fastcsv.eligible(data, delimiter, numbers.decimal, numbers.thousands, quotes=quotes,
                                             encoding=encoding, short_rows=False)

    def short_rows() -> list[tuple[int, int]]:
        return _short_rows(data, delimiter, len(header), path, trailing_empty=header[-1] == "", quotes=quotes)

    # pyarrow parses only rows of the header's width (blank lines aside): when it reads the table no row is
    # short or long, so the rows are counted only before pandas' parse (20 ms on 50 MB)
    short = [] if arrow else short_rows()
    try:
        # Chunked (low_memory) parsing is twice as fast as one chunk; a column whose chunks infer different
        # types arrives as object and is converted cell by cell in numeric_block, so the warning is moot.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = fastcsv.arrow_frame(data, header, delimiter, NA_TOKENS) if arrow else None
            if frame is None and arrow:
                short = short_rows()
            try:
                if frame is None:  # (not a table the faster parse reads exactly as pandas)
                    frame = pd.read_csv(io.BytesIO(data), encoding=encoding, **options)
            except UnicodeDecodeError:
                frame = pd.read_csv(io.BytesIO(data), encoding="cp1252", **options)
    except pd.errors.ParserError as error:
        raise SecretomeInputError(
            f"the table is malformed: {_pandas_message(error)}", file=path,
            expected=f"every row with the {len(header)} {_DELIMITER_NAMES[delimiter]}-separated fields of the header",
        ) from None
    except pd.errors.EmptyDataError:
        raise SecretomeInputError("the file is empty", file=path) from None
    except UnicodeDecodeError as error:  # neither UTF-8 nor Windows-1252 (a byte cp1252 leaves undefined)
        raise SecretomeInputError(f"the text is neither UTF-8 nor Windows-1252 (byte {error.object[error.start:error.start + 1]!r} "
                                  f"at offset {error.start})", file=path, expected="a UTF-8 text table") from None
    if quotes and b'"' in data and len(frame) and frame.iloc[:, -1].isna().any():
        short = _quoted_short_rows(data, encoding, delimiter, len(header), frame, path)
    column_numbers = None
    if by_column:
        frame, column_numbers = _by_column(frame, decimal)
    elif not native and not keep_text:
        frame = _numbers_from_text(frame, numbers)
    if not isinstance(frame.index, pd.RangeIndex):
        # R's write.table: the header is one field shorter than the rows, the first field holds row names:
        # kept as a column (often the protein identifiers) unless they only count the rows
        if _counts_rows(frame.index):
            frame = frame.reset_index(drop=True)
        else:
            frame = frame.reset_index(names=ROW_NAMES)
            header = [ROW_NAMES, *header]
    if frame.shape[1] == len(header):
        frame.columns = header
    else:
        frame.columns = [_header_name(name, i) for i, name in enumerate(frame.columns)]
    stripped = bool(short) and _trimmed_by_stripping(data, delimiter)  # only short rows need the answer
    facts = TextFacts(numbers, quoting if quotes else f"quotes read as text: {quoting}", stripped,
                      f"{listed.column!r} ({listed.writer}): the items {joined} rows continued over further "
                      f"fields are joined with '{trailing_list.JOIN}'" if listed is not None and joined else "",
                      column_numbers,
                      f"{frame_writer.writer}: {framed} lines of report settings above the header"
                      + (f" and the closing {frame_writer.footer!r} line" if frame_writer.footer else "")
                      + (f" and its settings from the line {frame_writer.trailer_start!r} on" if frame_writer.trailer_start
                         else "")
                      + " are not rows" if frame_writer is not None else "",
                      carriage_returns, f"the title line {title[:80]!r} above the header is not a row" if title else "")
    return frame, delimiter, skipped, tuple((row + skipped, fields) for row, fields in short), facts


#: The column name given to R's row names (the first field of rows one field longer than the header).
ROW_NAMES = "(row names)"


def _counts_rows(index: pd.Index) -> bool:
    """Whether row names only number the rows (1..n, as R writes for a data frame without row names)."""
    values = pd.to_numeric(pd.Series(index), errors="coerce")
    return bool(values.notna().all()) and bool((values.to_numpy() == np.arange(1, len(values) + 1)).all())


def csv_options(delimiter: str, numbers: Numbers, *, as_text: bool = False, quotes: bool = True) -> dict[str, object]:
    """The ``pandas.read_csv`` options of a sniffed text table (shared with the chunked parse of
    :mod:`secretome.io.streamed`, which must read every cell as this parse does)."""
    native = delimiter not in (numbers.decimal, numbers.thousands)
    return dict(
        sep=delimiter, header=0, na_values=list(NA_TOKENS), keep_default_na=False, skip_blank_lines=False,
        decimal=numbers.decimal if native else ".", thousands=numbers.thousands if native else None,
        dtype=str if as_text else None,
        quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE,
    )


def _lone_carriage_returns(data: bytes) -> tuple[bytes, str]:
    """The text with its lone CRs read, and what was done with them when they were not line ends.

    A lone CR is a line end (classic Mac text, alone or mixed with CRLF), unless the file's lines end in LF
    and every LF-ended line has the header's number of fields for one delimiter: then each lone CR lies
    inside a field (a database dump's notes, a cell typed on a Mac), where pandas and R would cut the row in
    two; it is read as a space and said so."""
    lines = data.rstrip(b"\r\n").replace(b"\r\n", b"\n").split(b"\n")
    filled = [line for line in lines if line.strip()]
    if len(filled) > 2 and b"\r" not in filled[0]:
        for delimiter in (b"\t", b",", b";"):
            width = filled[0].count(delimiter)
            if width and all(line.count(delimiter) == width for line in filled):
                body = data.rstrip(b"\r")
                ending = b"\n" * (len(data) - len(body))  # a last line's lone CR ends it
                inside = [match.start() for match in _LONE_CR.finditer(body)]
                if not inside:
                    break
                line = body.count(b"\n", 0, inside[0]) + 1
                return (_LONE_CR.sub(b" ", body) + ending,
                        f"{len(inside)} carriage return(s) (CR) inside fields of LF-ended lines read as spaces, not as "
                        f"line ends (first on line {line}; every LF-ended line has the header's {width + 1} fields)")
    return _LONE_CR.sub(b"\n", data), ""


_LONE_CR = re.compile(rb"\r(?!\n)")
_DOUBLED_CR = re.compile(rb"\r\r+\n")


def _numbers_from_text(frame: pd.DataFrame, numbers: Numbers) -> pd.DataFrame:
    """Text columns whose every cell is a number of the file's convention (or missing) as float64, as
    pandas would have parsed them had it been able to take the delimiter as a mark; others stay text."""
    for column in frame.columns[frame.dtypes == object]:
        text = frame[column].astype("string").str.strip()
        values = pd.to_numeric(to_point(text, numbers), errors="coerce")
        if values.notna().any() and (values.notna() | text.isna()).all():
            frame[column] = values.astype(np.float64)
    return frame


def _by_column(frame: pd.DataFrame, declared: str | None) -> tuple[pd.DataFrame, ColumnNumbers]:
    """A text-parsed frame whose numbers mix conventions, its columns converted by the declared convention,
    else by the one most marked columns show: columns showing the other one (or both) stay text until the
    quantity columns are known (readers that find their columns by type, as the generic one does, then see
    them as text, not as numbers). The marked columns' cells are kept as written, for :func:`settle_numbers`."""
    texts, kinds = {}, {}
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        if series.dtype == object:
            text = series.str.strip()
            kind = column_marks(text).kind
            if kind:
                texts[i], kinds[i] = text, kind
    votes = [kind for kind in kinds.values() if kind in (",", ".")]
    majority = declared or ("," if votes.count(",") > votes.count(".") else ".")
    columns, parsed = [], {}
    for i in range(frame.shape[1]):
        series = frame.iloc[:, i]
        kind = kinds.get(i, "")
        values = None
        if series.dtype == object and kind in ("", majority, "ambiguous", "other"):
            text = texts[i] if i in texts else series.str.strip()
            values = convert(text, majority)
            if values is None and text.isna().all():
                values = pd.Series(np.full(len(text), np.nan), index=text.index)
        if i in kinds:
            parsed[i] = "" if values is None else majority
        columns.append(series if values is None else values)
    out = pd.concat(columns, axis=1, ignore_index=True) if columns else frame
    out.columns = frame.columns
    raw = pd.DataFrame(texts, index=frame.index) if texts else pd.DataFrame(index=frame.index)
    return out, ColumnNumbers(raw, kinds, parsed, majority, declared)


def _as_text_reason(kind: str, mark: str) -> str:
    if kind == "both":
        return "its cells mix decimal commas and points: read as text"
    return f"written with {MARK_NAMES[kind]}, the quantity cells with {MARK_NAMES[mark]}: read as text"


def numeric_as_written(table: RawTable) -> dict[str, bool]:
    """The columns of a file of mixed conventions left as text because written in the other convention
    than most of its marked columns (or in both), and whether each holds numbers of its own convention,
    for readers that find quantity columns by their type (the generic reader)."""
    numbers = table.text.columns if table.text is not None else None
    if numbers is None or table.positions is None:
        return {}
    other = "," if numbers.majority == "." else "."
    held = {}
    for column, position in table.positions.items():
        kind = numbers.kinds.get(position)
        if kind == "both":
            held[column] = True  # a sample taken from it is refused naming its two conventions
        elif kind == other and numbers.parsed.get(position) == "":
            held[column] = convert(numbers.raw[position], kind) is not None
    return held


def settle_numbers(table: RawTable, columns: list[str]) -> None:
    """The number convention of a file whose numbers mix conventions, decided from its quantity cells
    (``columns``) together: quantity cells of both conventions are refused naming one of each (a later
    family must follow the convention settled first); marked columns of no telling mark follow it; other
    columns written in the other convention are put back as text and said (``ColumnNumbers.as_text``,
    reported among the columns not read). Without any marked quantity cell, the convention most marked
    columns show is taken. Nothing to do for a file of one convention."""
    facts = table.text
    numbers = facts.columns if facts is not None else None
    if numbers is None or table.positions is None:
        return
    positions = {column: table.positions[column] for column in columns if column in table.positions}

    def cell(column: str, index: int) -> str:
        position = positions[column]
        return (f"row {int(table.row_numbers[index])} field {position + 1} "
                f"({numbers.raw[position].iloc[index]!r}) in column {column!r}")

    marks = {column: column_marks(numbers.raw[p]) for column, p in positions.items() if p in numbers.kinds}

    def first(side: str) -> tuple[str, int] | None:
        hits = [(int(table.row_numbers[getattr(found, side)]), positions[column], column, getattr(found, side))
                for column, found in marks.items() if getattr(found, side) is not None]
        return min(hits)[2:] if hits else None

    comma, point = first("comma"), first("point")
    if numbers.declared is not None:
        off = point if numbers.declared == "," else comma
        if off:
            raise SecretomeInputError(
                f"decimal={numbers.declared!r} was declared but {cell(*off)} is written with "
                f"{'a decimal point or thousands commas' if numbers.declared == ',' else 'a decimal comma or thousands points'}",
                file=table.path, parameters=("decimal",), expected="one convention in the quantity cells",
            )
    for column, found in marks.items():
        if found.kind == "both":
            raise SecretomeInputError(
                f"the quantity column mixes number conventions: {cell(column, found.comma)} is written with a decimal "
                f"comma or thousands points, {cell(column, found.point)} with a decimal point", file=table.path,
                column=column, parameters=("decimal",), expected="one convention in the quantity cells",
            )
    if numbers.settled is not None:
        mark = numbers.settled.decimal
        off = comma if mark == "." else point
        if off:
            raise SecretomeInputError(
                f"the file mixes number conventions: {cell(*off)} is written with {MARK_NAMES[','] if mark == '.' else MARK_NAMES['.']}, "
                f"the quantity cells read before with {MARK_NAMES[mark]} ({numbers.settled.evidence or 'declared'})",
                file=table.path, parameters=("decimal",), expected="one convention in the quantity cells",
            )
        return
    if comma and point:
        raise SecretomeInputError(
            f"the file mixes number conventions: {cell(*comma)} is written with a decimal comma or thousands points, "
            f"{cell(*point)} with a decimal point, both in quantity columns", file=table.path, parameters=("decimal",),
            expected="one convention in the quantity cells (declare it with decimal='.' or ',')",
        )
    if numbers.declared is not None:
        mark, evidence = numbers.declared, ""
    elif comma or point:
        mark = "," if comma else "."
        evidence = f"{cell(*(comma or point))} has {MARK_NAMES[mark]}"
    else:
        mark = numbers.majority
        evidence = f"no quantity cell has a decimal or thousands mark, most other marked columns {MARK_NAMES[mark]}"
    names = {p: column for column, p in table.positions.items()}
    for position, kind in numbers.kinds.items():
        column = names.get(position)
        if column is None:
            continue
        if kind in (",", ".") and kind != mark:
            table.frame[column] = numbers.raw[position].to_numpy(dtype=object)
            numbers.as_text[column] = _as_text_reason(kind, mark)
        elif kind == "both":
            numbers.as_text[column] = _as_text_reason(kind, mark)
        elif kind in ("ambiguous", "other") and numbers.parsed.get(position) != mark:
            values = convert(numbers.raw[position], mark)
            table.frame[column] = numbers.raw[position].to_numpy(dtype=object) if values is None else values.to_numpy()
    if numbers.as_text:
        evidence += f"{'; ' if evidence else ''}{len(numbers.as_text)} other column(s) in another convention read as text"
    decided = "declared" if numbers.declared is not None else "quantity cells"
    numbers.settled = replace(for_mark(mark, decided, evidence), thousands="." if mark == "," else (
        "," if any(numbers.raw[p].str.contains(r"\d,\d{3}", regex=True).any() for p in positions.values()
                   if p in numbers.kinds) else None))
    table.text = replace(facts, numbers=numbers.settled)
    for column, position in positions.items():
        if table.frame[column].dtype == object and position in numbers.kinds:
            text = numbers.raw[position]
            valid = convert(text, mark)
            if valid is not None:
                table.frame[column] = valid.to_numpy()
                continue
            marked = text.str.contains(r"\d[.,]\d", regex=True).fillna(False).to_numpy(dtype=bool)
            bad = next((int(i) for i in np.flatnonzero(marked) if convert(text.iloc[[i]], mark) is None), None)
            if bad is not None:  # (a cell of no number at all is named by numeric_block)
                index = bad
                raise SecretomeInputError(
                    f"{cell(column, index)} is not a number written with {MARK_NAMES[mark]}, the convention of the "
                    f"file's quantity cells{f' ({evidence})' if evidence else ' (declared)'}", file=table.path, expected="one convention in the quantity cells",
                )


def _trimmed_by_stripping(data: bytes, delimiter: str) -> bool:
    """Whether the file's lines lost their trailing whitespace: empty fields occur inside rows (the writer
    writes empty cells) but no line ends with the delimiter, as when an editor or script strips trailing
    whitespace (tabs included) from every line. Only then is a short row's lack of fields explained as
    trimmed empty cells rather than damage."""
    if delimiter != "\t":
        return False
    return (b"\t\t" in data and b"\t\n" not in data and b"\t\r\n" not in data and not data.endswith(b"\t"))

def _pandas_message(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1]
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        return f"line {match.group(2)} has {match.group(3)} fields where the header has {match.group(1)}"
    if "EOF inside string" in text:
        return "a quoted field is never closed (the file may be truncated)"
    return text


def _records(lines: list[str], delimiter: str) -> list[tuple[int, list[str]]]:
    """(file line number, fields) of each non-blank record in the sampled lines; quotes may span lines."""
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    out = []
    start = 1
    try:
        for record in reader:
            if record and any(field.strip() for field in record):
                out.append((start, record))
            start = reader.line_num + 1
    except csv.Error:  # e.g. a quote opened in the sample and closed beyond it: the records so far decide
        pass
    return out


def _sniff(
    lines: list[str], path: Path, *, single_column_ok: bool = False, offset: int = 0
) -> tuple[str, list[str]]:
    """Pick the delimiter whose field counts agree between the header and the first records.

    ``offset``: blank lines skipped before ``lines`` (keeps row numbers in messages equal to file lines).
    """
    best: tuple[float, int, str, list[str]] | None = None
    for delimiter in _DELIMITERS:
        records = _records(lines, delimiter)
        if not records:
            continue
        header = [cell.strip() for cell in records[0][1]]
        width = len(header)
        if width < 2 or (width == 2 and header[-1] == ""):
            continue
        allowed = {width, width + 1} | ({width - 1} if header[-1] == "" else set())  # header-only trailing tab
        body = records[1:]
        # rows whose trailing empty fields were trimmed (2 <= fields < width) agree, a little less than full rows
        agree = sum(
            1.0 if len(record) in allowed else 0.9 if 2 <= len(record) < width else 0.0 for _, record in body
        ) / len(body) if body else 1.0
        score = (agree, width, delimiter, header)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None and single_column_ok:
        return "\t", [lines[0].strip()]
    filled = [line for line in lines if line.strip()]
    if best is None and filled and all(_ISOBARIC_ANNOTATION_LINE.match(line) for line in filled):
        raise SecretomeInputError(
            "this is an isobaric-label annotation file (FragPipe's TMT annotation.txt: one 'channel sample' pair "
            "per line), not a protein-level quantity table", file=path,
            expected="the TMT-Integrator abundance_protein table of the same run (its channel columns carry "
                     "the sample names this file maps)",
        )
    settings = [line for line in filled if not line.lstrip().startswith("#")] if best is None else []
    if len(settings) >= 5 and sum(map(bool, map(_PARAMETER_LINE.match, settings))) >= 0.6 * len(settings):
        example = next(line.strip() for line in settings if _PARAMETER_LINE.match(line))
        raise SecretomeInputError(
            f"this is a parameters file of a search or analysis program (settings as 'name = value' lines, e.g. "
            f"{example[:60]!r}), not a protein-level quantity table", file=path,
            expected="the protein-level quantity table the program wrote with these settings",
        )
    if best is None:
        raise SecretomeInputError(
            "no column delimiter found: the header line is one single column with tab, comma and semicolon",
            file=path,
            row=1 + offset,
            expected="a tab-, comma- or semicolon-separated table, or XLSX",
        )
    agree, width, delimiter, header = best
    if agree < 0.9 - 1e-9:  # (0.9 is what a body of only trimmed rows scores: summed floats fall just below it)
        allowed = {width, width + 1} | ({width - 1} if header[-1] == "" else set())
        line, record = next(
            (line, rec) for line, rec in _records(lines, delimiter)[1:] if len(rec) not in allowed and not 2 <= len(rec) < width
        )
        raise SecretomeInputError(
            f"wrong or mixed delimiter: the header has {width} {_DELIMITER_NAMES[delimiter]}-separated fields "
            f"but this row has {len(record)}",
            file=path,
            row=line + offset,
            expected="one delimiter (tab, comma or semicolon) used in the header and every row",
        )
    return delimiter, header


def _check_last_line(data: bytes, delimiter: str, width: int, path: Path, *, quotes: bool = True) -> None:
    """A file that stops mid-row (no final newline, too few fields on its last line) is truncated."""
    if data.endswith((b"\n", b"\r")):
        return  # ends with a newline: the last row is complete
    start = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    last = data[start:].decode("utf-8", errors="replace")
    row = data.count(b"\n") + 1
    if quotes and last.count('"') % 2:
        raise SecretomeInputError(
            "the last row ends inside a quoted field: the file looks truncated", file=path,
            row=row, expected="a complete table",
        )
    try:
        fields = next(csv.reader([last], delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE), [])
    except csv.Error as error:
        raise SecretomeInputError(f"the last row cannot be read ({error})", file=path, row=row) from None
    if 0 < len(fields) < width:
        raise SecretomeInputError(
            f"the last row has {len(fields)} of the header's {width} fields and no line end: the file looks truncated",
            file=path,
            row=row,
            expected="a complete table",
        )


def _short_rows(
    data: bytes, delimiter: str, width: int, path: Path, *, trailing_empty: bool = False, quotes: bool = True
) -> list[tuple[int, int]]:
    """Rows with fewer fields than the header: (file row, fields); a row with more is an error.

    pandas pads short rows with missing values, as R does; whether that is a writer trimming empty
    trailing fields or a damaged row depends on which columns are read, so :func:`numeric_block` decides.
    Counted with numpy over the raw bytes (no Python loop); files with quotes are checked by
    :func:`_quoted_short_rows` after parsing instead.
    """
    if quotes and b'"' in data:
        return []
    array = np.frombuffer(data, dtype=np.uint8)
    n_lines = count_byte(array, 10) + (0 if data.endswith(b"\n") else 1)
    total = count_byte(array, ord(delimiter))
    n_rows = n_lines - 1  # assuming no blank lines; blank lines make the totals differ -> detailed pass
    if total in ((width - 1) * (n_rows + 1), (width - 1) + width * n_rows):
        return []  # every row has the header's width (or R's width + 1); a longer row would fail in pandas
    ends = np.flatnonzero(array == 10)
    if ends.size == 0:
        return []
    starts = np.concatenate(([0], ends[:-1] + 1))
    complete_lines = array[: ends[-1] + 1]  # text after the last newline is checked by _check_last_line
    counts = np.add.reduceat((complete_lines == ord(delimiter)).view(np.uint8), starts, dtype=np.int64)
    blank = (ends - starts) <= 1  # empty or "\r" only
    counts[starts == ends] = 0  # reduceat returns the element itself for empty slices
    full = width - 2 if trailing_empty else width - 1  # the header may end with a delimiter rows do not repeat
    long = ~blank & (counts > width)
    long[0] = False  # the header itself
    if long.any():
        line = int(np.argmax(long))
        raise SecretomeInputError(
            f"this row has {int(counts[line]) + 1} fields where the header has {width}: "
            "the file is damaged or uses more than one delimiter",
            file=path,
            row=line + 1,
            expected=f"{width} {_DELIMITER_NAMES[delimiter]}-separated fields in every row",
        )
    short = ~blank & (counts < full)
    short[0] = False
    return [(int(line) + 1, int(counts[line]) + 1) for line in np.flatnonzero(short)]


def count_byte(array: np.ndarray, value: int, block: int = 1 << 22) -> int:
    """How often ``value`` occurs in a uint8 array, counted in blocks (no comparison array of the file's
    size); 3-5x faster than ``bytes.count`` for a byte as frequent as a delimiter."""
    return sum(int(np.count_nonzero(array[start:start + block] == value)) for start in range(0, array.size, block))


def _quoted_short_rows(
    data: bytes, encoding: str, delimiter: str, width: int, frame: pd.DataFrame, path: Path
) -> list[tuple[int, int]]:
    """Quote-aware :func:`_short_rows`, run only when pandas may have padded a row (its last column has gaps).

    ``csv.reader`` follows quoted fields across lines; the row reported is the file line the record ends on.
    """
    allowed_short = width - 1 if frame.columns[-1] in ("", None) else width
    counted = _single_line_short_rows(data, delimiter, min(width, allowed_short), len(frame))
    if counted is not None:
        return counted
    text = data.decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    short = []
    try:
        next(reader, None)  # header
        for record in reader:
            if record and len(record) < min(width, allowed_short):
                short.append((reader.line_num, len(record)))
    except csv.Error as error:
        raise SecretomeInputError(
            f"the table is malformed near line {reader.line_num} ({error})", file=path,
            expected=f"{width} {_DELIMITER_NAMES[delimiter]}-separated fields in every row",
        ) from None
    return short


def _single_line_short_rows(data: bytes, delimiter: str, fewest: int, n_rows: int) -> list[tuple[int, int]] | None:
    """What :func:`_quoted_short_rows`' ``csv.reader`` pass finds (rows of fewer than ``fewest`` fields),
    counted with numpy over the bytes; None when the count could differ from ``csv.reader``'s, which then
    decides: a record spanning lines (the lines are not the header plus ``n_rows`` rows), a NUL byte, or
    a quote ``csv`` reads as text (not opening a field, not closing one, not doubled inside one).

    In a line whose every quote is structural, a delimiter separates fields exactly when an even number
    of quotes precede it in the line.
    """
    array = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(array == 10)
    n_lines = ends.size + (0 if data.endswith(b"\n") else 1)
    if n_lines != n_rows + 1 or b"\x00" in data:
        return None
    starts = np.concatenate(([0], ends + 1))[:n_lines]
    quotes = np.flatnonzero(array == 34)
    line_of_quote = np.searchsorted(ends, quotes)  # the k-th line follows the k-th newline
    before = np.arange(quotes.size) - np.searchsorted(quotes, starts)[line_of_quote]  # quotes before it in its line
    opening = before % 2 == 0
    previous = np.where(quotes > 0, array[np.maximum(quotes - 1, 0)], 10)
    following = np.where(quotes + 1 < array.size, array[np.minimum(quotes + 1, array.size - 1)], 10)
    mark = ord(delimiter)
    pair = np.zeros(quotes.size, dtype=bool)  # the second quote of a doubled quote inside a quoted field
    pair[1:] = (quotes[1:] == quotes[:-1] + 1) & ~opening[:-1] & (line_of_quote[1:] == line_of_quote[:-1])
    opens_field = (previous == mark) | (quotes == starts[line_of_quote])
    closes_field = np.isin(following, (mark, 10, 13)) | (quotes + 1 == array.size) | (following == 34)
    if not np.all(np.where(opening, opens_field | pair, closes_field)):
        return None
    per_line = np.bincount(line_of_quote, minlength=n_lines)
    if (per_line % 2).any():  # a quoted field left open at the line end spans lines
        return None
    delimiters = np.flatnonzero(array == mark)
    line_of_delimiter = np.searchsorted(ends, delimiters)
    inside = (np.searchsorted(quotes, delimiters) - np.searchsorted(quotes, starts)[line_of_delimiter]) % 2 == 1
    fields = np.bincount(line_of_delimiter[~inside], minlength=n_lines) + 1
    line_ends = np.append(ends, array.size)[:n_lines]
    length = line_ends - starts
    blank = (length == 0) | ((length == 1) & (array[np.minimum(starts, array.size - 1)] == 13))
    short = np.flatnonzero((fields < fewest) & ~blank)
    return [(int(line) + 1, int(fields[line])) for line in short if line > 0]


def column_key(name: str) -> str:
    """A column name compared case-insensitively and as R's ``make.names`` spells it (``Raw file`` and
    ``Raw.file`` are one column), so that R-resaved files are recognised too."""
    return re.sub(r"[^a-z0-9]+", ".", name.strip().casefold()).strip(".")


def repeated_name_error(table: RawTable, name: str, first: int, second: int) -> SecretomeInputError:
    """The refusal of a header that repeats the column name ``name`` (at 1-based columns ``first``, ``second``)."""
    return SecretomeInputError(
        f"duplicated column name: it appears as column {first} and column {second}",
        file=table.path,
        column=name,
        expected="unique column names (each sample column once)",
    )


def _finish(table: RawTable, min_columns: int = 2, repeated_names: bool = False) -> RawTable:
    """Drop empty trailing columns/rows, name unnamed columns, and refuse (or, with ``repeated_names``, rename
    and record) duplicated column names."""
    frame = table.frame
    if frame.shape[1] < min_columns:
        found = (f"the table is one single column {str(frame.columns[0])!r} (a list, e.g. of identifiers, with no "
                 "quantity columns): not a protein-level quantity table" if frame.shape[1] == 1
                 else f"the table has {frame.shape[1]} column(s)")
        raise SecretomeInputError(found, file=table.path, expected="an identifier column plus quantity columns")
    names = [str(name) for name in frame.columns]
    keep = [not (name == "" and frame.iloc[:, i].isna().all()) for i, name in enumerate(names)]
    known = table.positions or {}
    # each kept column's field position in the file (its sheet column in a workbook)
    fields = [known.get(name, i) if name else i for i, (name, kept) in enumerate(zip(names, keep)) if kept]
    if not all(keep):
        frame = frame.loc[:, keep]
        names = [name for name, kept in zip(names, keep) if kept]
    names = [name if name else f"(unnamed column {i + 1})" for i, name in enumerate(names)]
    if table.positions is not None:
        table.positions = dict(zip(names, fields))
    seen: dict[str, int] = {}
    repeated: set[str] = set()
    for position, name in enumerate(names, start=1):
        if name in seen:
            if not repeated_names:
                raise repeated_name_error(table, name, seen[name], position)
            repeated.add(name)
        seen.setdefault(name, position)
    if repeated:
        distinct_names = [f"{name} (column {i})" if name in repeated else name for i, name in enumerate(names, start=1)]
        table.repeated = {p: (n, i) for i, (p, n) in enumerate(zip(distinct_names, names), start=1) if n in repeated}
        if table.positions is not None:
            table.positions = dict(zip(distinct_names, fields))
        names = distinct_names
    frame.columns = names
    first_missing = frame.iloc[:, 0].isna().to_numpy()  # only these rows can be entirely empty
    empty_rows = np.zeros(len(frame), dtype=bool)
    if first_missing.any():
        empty_rows[first_missing] = frame.loc[first_missing].isna().all(axis=1).to_numpy()
    if empty_rows.any():
        table.frame = frame
        table.empty_rows = tuple(int(row) for row in table.row_numbers[empty_rows])
        table = table.subset_rows(~empty_rows)
        frame = table.frame
    else:
        table.frame = frame
    if len(frame) == 0:
        raise SecretomeInputError("the table has a header but no data rows", file=table.path, expected=_ROWS_EXPECTED)
    return table


def numeric_block(table: RawTable, columns: list[str], *, extra_na: tuple[str, ...] = ()) -> np.ndarray:
    """Quantity columns as a float64 matrix (rows x columns); the first non-numeric cell is an error.

    Columns pandas already parsed as numbers are taken as they are (no second parse). Text columns are
    converted with :func:`pandas.to_numeric`; a cell that is neither a number nor a missing-value token
    raises :class:`SecretomeInputError` naming its row and column. +inf is refused too; -inf (R's log2 of a
    zero intensity) and Excel error values are read as missing, each said by cell (``RawTable.facts``).
    """
    _check_padding(table, columns)
    settle_numbers(table, columns)
    frame = table.frame
    n_rows = len(frame)
    # Column-major storage: the AnnData matrix (samples x proteins) is then ``out.T`` without a copy.
    out = np.empty((len(columns), n_rows), dtype=np.float64).T
    kinds = dict(zip(frame.columns, (dtype.kind for dtype in frame.dtypes)))  # (one pass, not a column lookup each)
    numeric = [c for c in columns if kinds[c] in "fiu"]
    first_bad: tuple[int, int, str, str] | None = None  # (row number, column position, column, text)
    text_numbers: list[str] = []
    if len(numeric) == len(columns):
        for position, column in enumerate(columns):  # one contiguous copy per column, no frame-wide take
            out[:, position] = frame[column].to_numpy(dtype=np.float64)
    else:
        cell_numbers = _cell_numbers(table, columns) if table.delimiter is None else None
        for position, column in enumerate(columns):
            series = frame[column]
            if series.dtype.kind in "fiu":
                out[:, position] = series.to_numpy(dtype=np.float64)
                continue
            if series.dtype.kind == "b":
                bad_index = 0
                first_bad = _earlier(first_bad, (int(table.row_numbers[bad_index]), position, column, str(series.iloc[0])))
                continue
            text = series.astype("string").str.strip()
            failed = text.isin(_EXCEL_ERRORS).fillna(False).to_numpy()
            if failed.any():  # a failed formula's error value, kept as text (CSV from Excel, a string cell)
                table.error_values += [
                    (excel_cell(table, column, index) if table.delimiter is None
                     else f"row {int(table.row_numbers[index])} of {column!r}") + f" {str(series.iloc[index]).strip()!r}"
                    for index in np.flatnonzero(failed)]
            missing = text.isna() | text.isin(NA_TOKENS + extra_na) | failed
            if table.text is not None:  # cells pandas left as text, in the file's number convention
                text = to_point(text, table.text.numbers)
            elif cell_numbers is not None:  # XLSX numbers stored as text, in the workbook's convention
                text = to_point(text, cell_numbers)
            values = pd.to_numeric(text.mask(missing), errors="coerce")
            if table.delimiter is None:  # XLSX: numbers Excel stores as text are read, and said so by cell
                as_text = series.map(lambda v: isinstance(v, str)).to_numpy() & values.notna().to_numpy()
                if as_text.any():
                    cells = [excel_cell(table, column, index) for index in np.flatnonzero(as_text)[:3]]
                    text_numbers.append(f"{int(as_text.sum())} in {column!r} ({', '.join(cells)}"
                                        f"{' ...' if as_text.sum() > 3 else ''})")
            bad = values.isna().to_numpy() & ~missing.to_numpy()
            if bad.any():
                index = int(np.argmax(bad))
                first_bad = _earlier(first_bad, (int(table.row_numbers[index]), position, column, str(series.iloc[index])))
                continue
            out[:, position] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    if first_bad is not None:
        row, _, column, text = first_bad
        where = ""
        if table.delimiter is None:  # XLSX: the cell as Excel names it
            index = int(np.flatnonzero(table.row_numbers == row)[0])
            where = f" (sheet {table.sheet!r}, cell {excel_cell(table, column, index)})"
        raise SecretomeInputError(
            f"non-numeric value {text[:40]!r} in a quantity column{where}",
            file=table.path,
            column=column,
            row=row,
            expected="a number or an empty cell",
        )
    if text_numbers:
        convention = table.cell_numbers
        warnings.warn(
            f"{table.path}: numbers stored as text in sheet {table.sheet!r} were read as numbers"
            + (f" with a decimal comma ({convention.evidence or 'declared'})"
               if convention is not None and convention.decimal == "," else "")
            + f": {'; '.join(text_numbers[:5])}", ReaderWarning, stacklevel=3,
        )
    table.error_values = list(dict.fromkeys(table.error_values))  # (a table read twice reports each cell once)
    if table.error_values:
        warn_error_values(table, table.error_values)
    infinite = np.isinf(out)
    minus = infinite & (out < 0) if infinite.any() else None
    if minus is not None and minus.any():  # R's log2(0) (or log of a zero intensity): the value was not measured
        cells = [f"row {int(table.row_numbers[r])} of {columns[c]!r}" for r, c in np.argwhere(minus)[:20]]
        table.minus_infinity = {"n": int(minus.sum()), "first_cells": cells}
        out[minus] = np.nan
        warnings.warn(
            f"{table.path}: {int(minus.sum())} quantity cell(s) hold -inf (the log of a zero intensity: "
            f"{', '.join(cells[:3])}{' ...' if minus.sum() > 3 else ''}), read as missing; counted in "
            "uns['source']['minus_infinity_read_as_missing']", ReaderWarning, stacklevel=3,
        )
        infinite &= ~minus
    if infinite.any():
        row_index, col_index = np.argwhere(infinite)[0]
        raise SecretomeInputError(
            f"infinite value {out[row_index, col_index]} in a quantity column",
            file=table.path,
            column=columns[col_index],
            row=int(table.row_numbers[row_index]),
            expected="a finite number or an empty cell",
        )
    return out


_MARKED_TEXT = r"^\s*-?\d[\d.,]*[.,]\d"  # a text cell that holds a number with a decimal or thousands mark


def _cell_numbers(table: RawTable, columns: list[str]) -> Numbers | None:
    """The convention of the workbook's numbers stored as text in ``columns`` (see
    :func:`secretome.io.numbers.decide_cells`), kept on the table for ``uns['source']['numbers']``."""
    cells = []
    for column in columns:
        series = table.frame[column]
        if series.dtype.kind != "O":
            continue
        texts = series.map(lambda v: v if isinstance(v, str) else "")
        for index in np.flatnonzero(texts.str.contains(_MARKED_TEXT).to_numpy()):
            cells.append((excel_cell(table, column, int(index)), texts.iloc[int(index)]))
    numbers = decide_cells(cells, table.path, table.decimal)
    if numbers is not None:
        table.cell_numbers = numbers
    return numbers


def excel_cell(table: RawTable, column: str, index: int) -> str:
    """The Excel reference (``C5``) of row ``index`` of ``column`` in an XLSX table."""
    position = (table.positions or {}).get(column, 0)
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{int(table.row_numbers[index])}"


def _check_padding(table: RawTable, columns: list[str]) -> None:
    """A row with trimmed trailing fields is read (padded with missing values, as pandas and R do) only when
    its lack is explained: every field it lacks lies after the last of ``columns``, or the whole file lost
    its lines' trailing whitespace (:func:`_trimmed_by_stripping`: stripping removes empty cells only) and
    the row keeps every field before the first of ``columns``. Otherwise a quantity would be read as
    missing from a damaged row, and the row is refused. Padded quantity rows are warned of and recorded."""
    if not table.short_rows or table.positions is None:
        return
    positions = {column: table.positions.get(column, -1) for column in columns}
    last = max(positions.values(), default=-1)
    first = min(positions.values(), default=-1)
    stripped = table.text is not None and table.text.stripped
    padded = []
    fields_of = dict(table.short_rows)
    for row, n_fields in table.short_rows:
        if n_fields > last:
            continue
        # a line break inside a field, or in place of a delimiter, leaves two short rows with the row's fields
        split = fields_of.get(row + 1, 0) + n_fields in (table.width, table.width + 1)
        if stripped and n_fields >= first and not split:
            padded.append(row)
            continue
        if split:
            raise SecretomeInputError(
                f"rows {row} and {row + 1} have {n_fields} and {fields_of[row + 1]} fields, together those of the "
                f"header ({table.width}): a line break inside one row (it lacks the quantity column "
                f"{min((c for c, p in positions.items() if p >= n_fields), key=positions.__getitem__)!r})",
                file=table.path, row=row, expected="each row on one line",
            )
        lacking = min((c for c, p in positions.items() if p >= n_fields), key=positions.__getitem__)
        raise SecretomeInputError(
            f"this row has {n_fields} fields where the header has {table.width}: the file is damaged or "
            f"uses more than one delimiter (it lacks the quantity column {lacking!r}"
            + (", and other lines end with an empty field, so its writer did not strip trailing tabs)"
               if table.delimiter == "\t" and not stripped else ")"),
            file=table.path,
            row=row,
            expected=f"{table.width} {_DELIMITER_NAMES[table.delimiter or chr(9)]}-separated fields in every row",
        )
    if padded:
        table.padded_rows = tuple(padded)
        warnings.warn(
            f"{table.path}: {len(padded)} row(s) lack trailing quantity fields (first: row "
            f"{', '.join(str(r) for r in padded[:5])}); no line of the file ends with a tab although empty cells "
            "occur inside rows, so trailing whitespace was stripped from every line (which removes empty cells "
            "only): the lacking cells are read as missing (uns['source']['padded_rows'])",
            ReaderWarning, stacklevel=4,
        )


def _earlier(current: tuple | None, candidate: tuple) -> tuple:
    if current is None or candidate[:2] < current[:2]:
        return candidate
    return current


def text_column(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """A column as clean strings ("" for missing); an all-"" series when the column is absent.

    Whole-number float columns (pandas reads an integer column with gaps as float) give ``"12"``, not
    ``"12.0"``; every other cell is ``str(cell).strip()``. One pass over the cells, no per-cell call.
    """
    if column is None or column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    series = frame[column]
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"
    values = series.to_numpy() if kind in "fiub" else series.to_numpy(dtype=object)  # Timestamps, not datetime64
    missing = pd.isna(values)
    if kind == "f":
        present = values[~missing]
        if present.size and np.isfinite(present).all() and (present == np.floor(present)).all():  # (inf == floor(inf))
            texts = [str(int(v)) for v in present]
        else:
            texts = [str(v).strip() for v in present]
        out = np.full(len(values), "", dtype=object)
        out[~missing] = texts
        return pd.Series(out, index=series.index, dtype=object)
    if missing.any():
        values = values.astype(object, copy=True)
        values[missing] = ""
    return pd.Series(
        [v.strip() if type(v) is str else str(v).strip() for v in values], index=series.index, dtype=object
    )
