"""The numeric parse of plain text tables with pyarrow's CSV reader, where it reads every cell as pandas does.

pandas' C parser costs about twice as much CPU as pyarrow's single-threaded one on a wide table of numbers
(10,000 x 1,000: 1.1-1.5 s against 0.7 s), and the parse is most of a read. :func:`arrow_frame` parses a
table with pyarrow and returns the DataFrame pandas' parse (:func:`secretome.io.table.csv_options`, chunked)
gives, or None whenever it cannot prove that; the caller then parses with pandas, which also words every
error (file, row, column). It is taken only for text without quotes (or read with quotes as text), with a
decimal point and no thousands mark, no trimmed trailing fields and UTF-8 text; pyarrow refuses what pandas
would read otherwise (a row of other width, text pyarrow cannot decode), and the result is checked for what
pyarrow reads but pandas does not:

- a column pyarrow types as dates, times or truth values (pandas keeps the text, or reads chunks apart);
- a text column with a cell pandas could read as a number or a truth value (pandas parses in chunks of rows,
  and a chunk whose cells are all numbers becomes numbers inside the text column);
- infinite values, NaN written as a number, and magnitudes of 2**63 and above (pandas keeps an overflowing
  number such as ``1e400`` or a 20-digit integer as text).

Numbers are correctly rounded (pyarrow's parser): pandas' default converter may differ in the last binary
digit (``float_precision="high"`` is not exact), the fallback parse keeps it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: A cell pandas' parse could read as a number or a truth value (a superset of what its converters take:
#: signs, spaces around, exponents, inf/nan words; True/False in any case).
_NUMBER_LIKE = (r"(?i)^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d*)?\s*$|^\s*[-+]?(inf|infinity|nan)\s*$|"
                r"^\s*(true|false)\s*$")
#: Below this magnitude float64 holds every int64 pandas may have parsed, and no number pandas keeps as text.
_INT64_LIMIT = 2.0**63
#: pyarrow's block: a row must fit in one (a longer row is refused by it: then pandas parses), and its reader holds
#: buffers in proportion to it for every column (16 MB blocks took ~260 MB more memory on a 1,000-column table
#: than 2 MB ones, at the same speed), so a block is 2 MB, or 16 rows as wide as the header where that is more.
_BLOCK_BYTES = 1 << 21
_BLOCK_ROWS = 16


def eligible(data: bytes, delimiter: str, decimal: str, thousands: str | None, *, quotes: bool, encoding: str,
             short_rows: bool) -> bool:
    """Whether :func:`arrow_frame` may be tried on these bytes: quotes absent (or read as text), a decimal
    point without thousands mark, no trimmed trailing fields, UTF-8 text."""
    return (decimal == "." and thousands is None and not short_rows and encoding in ("utf-8", "utf-8-sig")
            and (not quotes or b'"' not in data))


def read_options(header: list[str], skip_rows: int = 1) -> Any:
    """pyarrow's read options: one thread (more cost more CPU time), the columns named by position (a header
    may repeat a name), the header line skipped, blocks of :data:`_BLOCK_BYTES` (or of rows as wide as the header)."""
    import pyarrow.csv as pc

    width = sum(len(name.encode()) + 1 for name in header)
    return pc.ReadOptions(use_threads=False, skip_rows=skip_rows, column_names=[str(i) for i in range(len(header))],
                          block_size=max(_BLOCK_BYTES, _BLOCK_ROWS * width))


def parse_options(delimiter: str) -> Any:
    """pyarrow's parse options for text without quotes (or with quotes read as text) and with blank lines
    kept as rows (pandas' ``skip_blank_lines=False``)."""
    import pyarrow.csv as pc

    return pc.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False,
                           newlines_in_values=False, ignore_empty_lines=False)


def convert_options(na_tokens: tuple[str, ...], types: dict[str, Any] | None = None) -> Any:
    """pyarrow's conversion: ``na_tokens`` are missing in every column, text included, and ``types`` by
    column position (inferred otherwise)."""
    import pyarrow.csv as pc

    return pc.ConvertOptions(null_values=list(na_tokens), strings_can_be_null=True, quoted_strings_can_be_null=True,
                             check_utf8=True, column_types=types or {})


def arrow_frame(data: bytes, header: list[str], delimiter: str, na_tokens: tuple[str, ...]) -> pd.DataFrame | None:
    """The frame pandas' parse gives for ``data``, its header line skipped and its columns named ``header``;
    None when pyarrow refuses the text or may read a cell otherwise than pandas (see the module's list)."""
    import pyarrow as pa
    import pyarrow.csv as pc

    try:
        table = pc.read_csv(pa.BufferReader(data), read_options=read_options(header),
                            parse_options=parse_options(delimiter), convert_options=convert_options(na_tokens))
    except pa.ArrowException:
        return None
    kinds = {column.type for column in table.columns}
    end = data.find(b"\n")
    if end >= 0 and numbers_pandas_reads_otherwise(data, delimiter, start=end, hexadecimal=pa.int64() in kinds,
                                                   signed=pa.float64() in kinds):
        return None
    return _pandas_frame(table, header)


def numbers_pandas_reads_otherwise(data: bytes, delimiter: str, *, start: int = 0, hexadecimal: bool = True,
                                   signed: bool = True) -> bool:
    """Whether ``data`` (from offset ``start``) holds a cell pyarrow reads as another number than pandas: a hexadecimal
    integer (``0x1A``, ``+0x1A``: 26 to pyarrow, text to pandas) or, with ``signed``, a number with a plus
    sign (``+5``: a float to pyarrow, an integer to pandas). Each is searched for by its rarer byte first
    (memchr); a cell whose start lies before ``start`` counts (the caller passes pieces of a file)."""
    text = np.frombuffer(data, dtype=np.uint8)[start:]
    starts = []
    for letter in (b"x", b"X") if hexadecimal else ():
        letters = _found(data, text, letter, start)
        letters = letters[letters >= 2]
        zeros = letters[text[letters - 1] == ord("0")] - 1
        starts += [zeros, zeros[text[zeros - 1] == ord("+")] - 1]
    if signed and b"+" in data:
        signs = _found(data, text, b"+", start)
        signs = signs[signs < text.size - 1]
        following = text[signs + 1]
        starts.append(signs[((following >= ord("0")) & (following <= ord("9"))) | (following == ord("."))])
    before = np.concatenate(starts) - 1 if starts else np.array([], dtype=np.intp)
    while before.size:  # the byte before each candidate cell, spaces skipped
        if (before < 0).any():
            return True
        spaces = text[before] == ord(" ")
        if not spaces.any():
            break
        before = before - spaces
    return bool(np.isin(text[before], (ord(delimiter), ord("\n"), ord("\r"))).any())


_FIND_LIMIT = 20_000
"""Occurrences of a byte found one by one (``bytes.find``: memchr) before the search becomes one array comparison."""


def _found(data: bytes, text: np.ndarray, byte: bytes, start: int) -> np.ndarray:
    """Offsets in ``text`` (``data`` from ``start``) of ``byte``: by ``bytes.find`` while they are few (most tables
    hold few ``x`` and ``+``), else by comparing every byte."""
    found: list[int] = []
    position = data.find(byte, start)
    while position >= 0 and len(found) <= _FIND_LIMIT:
        found.append(position - start)
        position = data.find(byte, position + 1)
    if position < 0:
        return np.array(found, dtype=np.intp)
    return np.flatnonzero(text == byte[0])


def text_values(column: Any) -> np.ndarray | None:
    """A pyarrow text column as pandas holds it (objects, NaN for missing cells); None when a cell could be
    a number or a truth value to pandas."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pc.any(pc.match_substring_regex(column, _NUMBER_LIKE)).as_py():
        return None
    # one object per distinct text, as pandas' parse makes them (a column repeating a few names holds
    # references, not a string per cell)
    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    names = encoded.dictionary.to_numpy(zero_copy_only=False)
    values = np.append(names, np.nan)[encoded.indices.fill_null(len(names)).to_numpy()]
    return values


def numbers_as_pandas(values: np.ndarray, n_null: int) -> bool:
    """Whether pandas reads the numbers pyarrow parsed into ``values`` (float64, ``n_null`` missing cells) as
    these numbers: none infinite, no NaN but the missing cells, no magnitude of 2**63 or above."""
    if not values.size:
        return True
    if int(np.count_nonzero(np.isnan(values))) != n_null:
        return False  # a NaN written as a number (nan(1), -nan): pandas keeps it as text
    # inf (pandas keeps 1e400 as text) and 2**63 or more (a 20-digit integer: text or uint64 to pandas):
    # the largest magnitude is the larger of the maximum and the negated minimum, which fmax and fmin find
    # passing over NaN (NaN when every cell is missing), over the values in memory order (a chunk's block is
    # column-major) and without an array of magnitudes (2-3x faster)
    flat = values.ravel(order="K")
    return not max(float(np.fmax.reduce(flat)), -float(np.fmin.reduce(flat))) >= _INT64_LIMIT


def empty_rows(batch: Any) -> bool:
    """Whether a row of a pyarrow batch is missing in every column (a blank line, or delimiters only)."""
    import pyarrow.compute as pc

    rows = pc.is_null(batch.column(0))
    for column in batch.columns[1:]:
        rows = pc.and_(rows, pc.is_null(column))
    return bool(pc.any(rows).as_py())


def _pandas_frame(table: Any, header: list[str]) -> pd.DataFrame | None:
    """The DataFrame of a pyarrow table as pandas' parse types it; None for a column it may type otherwise."""
    import pyarrow as pa

    columns: dict[int, np.ndarray] = {}
    for j, column in enumerate(table.columns):
        kind = column.type
        if pa.types.is_string(kind):
            values = text_values(column)
            if values is None:
                return None
        elif pa.types.is_null(kind):
            values = np.full(len(column), np.nan)
        elif pa.types.is_int64(kind) or pa.types.is_float64(kind):
            values = column.to_numpy(zero_copy_only=False)  # nulls become NaN (and ints float64), as in pandas
            if values.dtype.kind == "f" and not numbers_as_pandas(values, column.null_count):
                return None
        else:
            return None  # dates, times, truth values: pandas keeps the text (or reads chunks apart)
        columns[j] = values
    frame = pd.DataFrame(columns)  # (copied into one block per dtype, as pandas' parse leaves them)
    frame.columns = header
    return frame
