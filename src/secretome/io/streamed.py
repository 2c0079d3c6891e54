"""A large wide table summarised in row chunks: what ``secretome info`` prints, without its quantities in memory.

At 20,000 proteins x 2,000 samples a table is ~320 MB of text and 320 MB of float64, and reading it whole
(:func:`secretome.io.read_result`) peaks above 1 GB. :func:`streamed_summary` parses it in row chunks
instead: the text columns (identifiers, genes, descriptions) are kept whole, and each chunk of the quantity
block is reduced to counts (missing values, zeros, non-integers, negatives, the extremes and the values
either side of the log2 rule's median threshold), so the peak is one chunk, whatever the number of rows.

It must print exactly what the whole read prints, so it takes only tables where chunks cannot change a
decision the whole table would make: a text file (plain, or one gzip or xz layer decompressed on the way by
:class:`secretome.io.source.DecompressedStream`, bounded as the whole read bounds it) in the generic format without
quotes, lone carriage returns, decimal commas or thousands marks, a decimal point first shown past the
first lines (where the number convention is decided), blank lines, or rows shorter or longer than the
header, whose column roles (:func:`secretome.io.generic.column_roles` on the first chunk, which
holds at least :data:`CHUNK_MIN_ROWS` rows) follow from names and types alone, and whose every column
keeps its type (text or numbers) in every chunk. For anything else, including every error, it returns
None and the caller reads the whole table, which decides and words it as always; the tests check that
both paths print the same for every example file.

:func:`streamed_read` reads such a table into its dataset the same way: the chunks fill one preallocated
quantity matrix (its rows counted, and the file hashed, in a first pass over the bytes) and the shared
assembly (:func:`secretome.io.dataset.assemble_result`) does the rest, so the peak is near the dense
matrix instead of the text, the parsed frame and its converted copy together (and, for a compressed
file, instead of the compressed bytes and the decompressed text besides).

Both parse with pyarrow where it reads every cell as pandas does (:mod:`secretome.io.fastcsv`): the
first chunk as a whole table, the rest in batches typed from it; anything it may read otherwise makes
them parse the chunks with pandas from the start (:class:`_NotArrow`).
"""

from __future__ import annotations

import hashlib
import io
import lzma
import re
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io import generic, source
from secretome.io.dataset import (
    LOG2_MAX, LOG2_MIN_MEDIAN, LOG2_NONINTEGER_SHARE, Parsed, ReadResult, _check_sample_names, _obs,
    _protein_ids, assemble_result, source_summary, unread_columns,
)
from secretome.io.detect import engine_header, reader_for, refuse_non_protein_header
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import NA_TOKENS, RawTable, TextFacts, _decode_sample, _parse_text, _sniff_size, csv_options, text_column

#: The evidence of a number convention no number of the first lines showed (see :mod:`secretome.io.numbers`).
_NO_MARK = "no number in the file has a decimal or thousands mark"

#: Files smaller than this are read whole (fast, and their memory is small anyway).
STREAM_MIN_BYTES = 32 * 2**20
#: Cells per chunk of the quantity block (8 MB of float64).
CHUNK_CELLS = 1_000_000
#: A chunk's least number of rows: every role decision's look at the first rows (256 for codes, 200 for
#: identifier kinds, 50 for category codes, 20 for Perseus rows, 32 for row sums) lies inside the first.
CHUNK_MIN_ROWS = 256
_HEAD_BYTES = 1 << 17
_HEAD_LINES = 64
_HEAD_MAX = 16 << 20
_BLOCK = 1 << 22
_COMPRESSED = (b"\x1f\x8b", b"\xfd7zXZ\x00", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xff\xfe", b"\xfe\xff", b"PAR1")
#: Reasons of :func:`secretome.io.generic.column_roles` that a chunk's values decide (not names or types).
_VALUE_REASONS = ("row numbers", "category code", "group summary", "row sum")


class _Fallback(Exception):
    """The table is not one the chunks can summarise exactly: read it whole."""


_Result = TypeVar("_Result")
#: Whatever the chunked path meets that the whole read decides and words itself (a damaged compressed
#: stream included).
_READ_WHOLE = (_Fallback, SecretomeInputError, OSError, MemoryError, UnicodeDecodeError, pd.errors.ParserError,
               pd.errors.EmptyDataError, EOFError, zlib.error, lzma.LZMAError)
#: Single-stream compressions the chunks read through :class:`secretome.io.source.DecompressedStream`.
_STREAMS = ((b"\x1f\x8b", "gzip"), (b"\xfd7zXZ\x00", "xz"))
#: What a compressed table is taken to expand to at least, when its own record says less (a gzip file of
#: several members records only its last one's size; xz none): proteomics exports compress 2-3x.
COMPRESSION_RATIO = 3


def compression(path: Path) -> str | None:
    """``"gzip"`` or ``"xz"`` when the file starts with that compression's magic bytes, else None."""
    with open(path, "rb") as handle:
        magic = handle.read(6)
    return next((name for start, name in _STREAMS if magic.startswith(start)), None)


def text_size(path: str | Path, size: int) -> int:
    """The size of the text a file of ``size`` bytes holds, for the choice of the chunked path: a plain
    file's own size; a compressed file's decompressed size as gzip records it (modulo 4 GiB, last member),
    at least :data:`COMPRESSION_RATIO` x the compressed size."""
    path = Path(path)
    try:
        kind = compression(path)
        if kind is None:
            return size
        estimate = COMPRESSION_RATIO * size
        if kind == "gzip" and size >= 18:
            with open(path, "rb") as handle:
                handle.seek(size - 4)
                estimate = max(estimate, int.from_bytes(handle.read(4), "little"))
    except OSError:
        return size  # unreadable: the whole read names the problem
    return estimate


@contextmanager
def _text_stream(path: Path) -> Iterator[tuple[Any, source.DecompressedStream | None]]:
    """The file's text as a binary stream, decompressed (and bounded) on the way for a gzip or xz file;
    with the decompressing stream, whose ``sha256`` is the compressed file's, or None for plain text."""
    kind = compression(path)
    with open(path, "rb") as handle:
        if kind is None:
            yield handle, None
        else:
            raw = source.DecompressedStream(handle, kind, path)
            yield io.BufferedReader(raw, _BLOCK), raw


class _ScannedFile(io.RawIOBase):
    """The file as pandas reads it, with the byte facts :func:`secretome.io.table._parse_text` checks over
    the whole file gathered on the way: line ends, delimiters, quotes, NULs, lone CRs, and ``marks`` (``,``
    and, when the first lines showed no decimal mark, ``.``) between digits."""

    def __init__(self, handle: Any, delimiter: str, marks: bytes, digest: bool = False) -> None:
        self.handle, self.delimiter, self.marks = handle, ord(delimiter), marks
        self.sha256 = hashlib.sha256() if digest else None
        self.n_newlines = self.n_delimiters = 0
        self.quote = self.nul = self.lone_cr = self.marked_number = False
        #: a cell pyarrow reads as another number than pandas (0x1A, +5): the chunks are then pandas'
        self.unlike_pandas = False
        self.tail = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.handle.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        if n:
            self._scan(data)
        return n

    def _scan(self, data: bytes) -> None:
        if self.sha256 is not None:
            self.sha256.update(data)
        array = np.frombuffer(data, dtype=np.uint8)
        self.n_newlines += int(np.count_nonzero(array == 10))
        self.n_delimiters += int(np.count_nonzero(array == self.delimiter))
        self.quote |= b'"' in data
        self.nul |= b"\x00" in data
        # patterns across blocks: the window starts with the last bytes before (made only when needed: it
        # is a copy of the block)
        window = None
        if b"\r" in data or b"\r" in self.tail:
            window = np.frombuffer(self.tail + data, dtype=np.uint8)
            returns = np.flatnonzero(window[:-1] == 13)
            self.lone_cr |= bool((window[returns + 1] != 10).any())
        for mark in self.marks:
            if not self.marked_number and (bytes([mark]) in data or bytes([mark]) in self.tail):
                window = np.frombuffer(self.tail + data, dtype=np.uint8) if window is None else window
                self.marked_number = _between_digits(window, mark)
        if not self.unlike_pandas and (b"+" in data or b"x" in data or b"X" in data):
            from secretome.io import fastcsv

            self.unlike_pandas = fastcsv.numbers_pandas_reads_otherwise(self.tail + data, chr(self.delimiter))
        self.tail = (self.tail + data)[-3:] if len(data) < 3 else data[-3:]

    def scan_all(self) -> None:
        """Read the file to its end, scanning each block as it comes (no copy into a caller's buffer)."""
        while block := self.handle.read(_BLOCK):
            self._scan(block)

    def clean(self, width: int) -> bool:
        """Whether the bytes read hold none of what the chunks cannot read as the whole parse does: quotes,
        NULs, lone CRs, decimal commas, a last row without line end, rows shorter or longer than the header."""
        return not (self.quote or self.nul or self.lone_cr or self.marked_number) and self.tail.endswith(b"\n") \
            and self.n_delimiters == (width - 1) * self.n_newlines


def _between_digits(array: np.ndarray, mark: int) -> bool:
    """Whether some ``mark`` byte (``,`` or ``.``) has a digit on both sides."""
    positions = np.flatnonzero(array[1:-1] == mark) + 1
    before, after = array[positions - 1], array[positions + 1]
    return bool(((before >= 48) & (before <= 57) & (after >= 48) & (after <= 57)).any())


@dataclass
class _Counts:
    """What the summary needs of the quantity block, summed over chunks (see :func:`_log2_rule`)."""

    n_cells: int = 0
    n_nan: int = 0
    n_zero: int = 0
    n_negative: int = 0
    n_infinite: int = 0
    maximum: float = -np.inf  # np.nanmax(values, initial=-inf)
    n_finite_nonzero: int = 0
    n_noninteger: int = 0
    minimum_nonzero: float = np.inf
    n_below: int = 0  # finite non-zero values below LOG2_MIN_MEDIAN
    highest_below: float = -np.inf
    lowest_above: float = np.inf  # lowest finite non-zero value at or above it

    def add(self, block: np.ndarray) -> None:
        self.n_cells += block.size
        missing = np.isnan(block)
        self.n_nan += int(missing.sum())
        self.n_infinite += int(np.isinf(block).sum())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing block
            self.maximum = max(self.maximum, float(np.nanmax(block, initial=-np.inf)))
        self.n_zero += int((block == 0).sum())
        self.n_negative += int((block < 0).sum())
        finite = block[np.isfinite(block) & (block != 0)]
        if finite.size == 0:
            return
        self.n_finite_nonzero += finite.size
        self.n_noninteger += int(np.count_nonzero(finite != np.round(finite)))
        self.minimum_nonzero = min(self.minimum_nonzero, float(finite.min()))
        below = finite < LOG2_MIN_MEDIAN
        n_below = int(below.sum())
        self.n_below += n_below
        if n_below:
            self.highest_below = max(self.highest_below, float(finite[below].max()))
        if n_below < finite.size:
            self.lowest_above = min(self.lowest_above, float(finite[~below].min()))


def _log2_rule(counts: _Counts) -> bool:
    """:func:`secretome.io.dataset.detect_log2` from the counts: the median of the finite non-zero values
    is at least the threshold exactly when fewer than half lie below it, or, with exactly half below, when
    the mean of the two middle values (the highest below, the lowest above) is."""
    if not counts.maximum <= LOG2_MAX:
        return False
    n = counts.n_finite_nonzero
    if n == 0 or counts.n_noninteger / n < LOG2_NONINTEGER_SHARE:
        return False
    if counts.minimum_nonzero < 0:
        return True
    if n % 2:
        return counts.n_below <= n // 2
    if counts.n_below != n // 2:
        return counts.n_below < n // 2
    return bool(np.mean([counts.highest_below, counts.lowest_above]) >= LOG2_MIN_MEDIAN)


def streamed_summary(
    path: str | Path,
    sheet_frame: pd.DataFrame | None = None,
    format: str | None = None,
    quantity: str | None = None,
    *,
    is_log2: bool | None = None,
    decimal: str | None = None,
    min_bytes: int = STREAM_MIN_BYTES,
) -> dict[str, Any] | None:
    """:func:`secretome.io.summarize` of the table at ``path``, computed chunk by chunk; None when the table
    is below ``min_bytes`` or not one the chunks summarise exactly (then read it whole). Reader warnings
    (e.g. repeated identifiers made unique) are issued as the whole read issues them."""
    path = Path(path)
    return _unless_read_whole(lambda: _summary(path, sheet_frame, format, quantity, is_log2, decimal, min_bytes))


def streamed_read(
    path: str | Path,
    sheet_frame: pd.DataFrame | None,
    format: str | None,
    quantity: str | None,
    *,
    is_log2: bool | None,
    decimal: str | None,
    params: dict[str, Any],
    min_bytes: int = STREAM_MIN_BYTES,
) -> ReadResult | None:
    """:func:`secretome.io.read_result` of the table at ``path``, its quantities parsed chunk by chunk into
    one matrix; None when the table is below ``min_bytes`` or not one the chunks read exactly (then read
    it whole). ``params`` are the read's provenance parameters (the detected format and quantity are added)."""
    path = Path(path)
    return _unless_read_whole(
        lambda: _read(path, sheet_frame, format, quantity, is_log2, decimal, params, min_bytes))


def _unless_read_whole(work: Callable[[], _Result]) -> _Result | None:
    """``work()``, or None when it gives way to the whole read (:data:`_READ_WHOLE`). Its reader warnings are
    held back and issued only when it succeeds: the whole read issues its own."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = work()
        except _READ_WHOLE:
            return None
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return result


def _read(
    path: Path, sheet_frame: pd.DataFrame | None, format: str | None, quantity: str | None,
    is_log2: bool | None, decimal: str | None, params: dict[str, Any], min_bytes: int,
) -> ReadResult:
    opened = _open(path, format, decimal, min_bytes)
    if opened is None:
        raise _Fallback
    header, delimiter, options = opened
    once = _read_compressed_once(path, header, delimiter, format, quantity, options) if options["arrow"] else None
    result = None
    if isinstance(once, tuple):
        result, scanned, digest = once
    else:
        with _text_stream(path) as (handle, decompressed):
            scanned = _ScannedFile(handle, delimiter, options["marks"], digest=decompressed is None)
            scanned.scan_all()
            digest = (decompressed or scanned).sha256
    if not scanned.clean(len(header)):
        raise _Fallback
    n_rows = scanned.n_newlines - 1
    if options["arrow"] and once is None and not scanned.unlike_pandas:
        with _text_stream(path) as (handle, _):
            try:
                result = _read_arrow_chunks(handle, header, path, delimiter, format, quantity, options, n_rows)
            except _NotArrow:
                pass  # pandas parses the chunks, from the start
    if result is None:
        with _text_stream(path) as (handle, _):
            result = _read_chunks(_chunk_reader(handle, options), header, path, delimiter, format, quantity, n_rows=n_rows)
    if result.values is None or result.n_rows != n_rows or result.counts.n_infinite:
        raise _Fallback
    parsed = _parsed(result, path, delimiter, digest.hexdigest() if digest else "", options["facts"])
    return assemble_result(parsed, samples=sheet_frame, is_log2=is_log2,
                           params={**params, "detected_format": parsed.format, "quantity": parsed.quantity})


def _read_compressed_once(
    path: Path, header: list[str], delimiter: str, format: str | None, quantity: str | None, options: dict[str, Any],
) -> tuple[_Chunks, _ScannedFile, Any] | str | None:
    """A compressed table's chunks parsed by pyarrow while its text is scanned, in one pass: decompressing it
    once more for the scan costs a fifth of the read's CPU time (0.4 of 2.1 s on the benchmark's 50 MB .gz).
    Its rows are not counted before the parse, so the batches' blocks are copied into the matrix at the
    end (the peak is twice the matrix for a moment, still below the whole read's text, frame and copy).

    (chunks, the scan, the digest of the compressed file); None for a plain file (scanned first: it has no
    decompression to repeat); ``"pandas"`` when pyarrow may read a cell otherwise than pandas (the table
    is then scanned and its chunks parsed by pandas, as for a plain file)."""
    if compression(path) is None:
        return None
    with _text_stream(path) as (handle, decompressed):
        scanned = _ScannedFile(handle, delimiter, options["marks"])
        try:
            result = _read_arrow_chunks(io.BufferedReader(scanned, _BLOCK), header, path, delimiter, format,
                                        quantity, options, collect=True)
        except _NotArrow:
            return "pandas"
        scanned.scan_all()  # (pyarrow read to the end: nothing is left, but the digest must be of every byte)
        digest = decompressed.sha256
    if scanned.unlike_pandas:
        return "pandas"
    return result, scanned, digest


def _open(
    path: Path, format: str | None, decimal: str | None, min_bytes: int,
) -> tuple[list[str], str, dict[str, Any]] | None:
    """(header, delimiter, parse options) of a table the chunks may read, from its first lines; None when it
    is small or of another kind. Raises what the whole parse of those lines raises."""
    info = source.check_regular_file(path)
    if text_size(path, info.st_size) < min_bytes:
        return None
    if format is not None and format.strip().casefold() not in ("generic", "csv", "tsv"):
        return None
    source.raise_csv_field_limit()
    with _text_stream(path) as (handle, _):
        head = _head(handle)
    if head is None:
        return None
    if format is None and engine_header(head[: head.find(b"\n")].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")):
        return None  # an engine's table by its header alone: read whole, its first lines not parsed twice
    # (pandas' parse of the first lines: 15 against pyarrow's 45 ms for 64 lines of 1,000 columns; their frames
    # are the same, and their values serve the sniffing and the detection only)
    frame, delimiter, skipped, short, facts = _parse_text(head, path, decimal=decimal,
                                                          check_header=refuse_non_protein_header, arrow=False)
    header = [str(name) for name in frame.columns]
    if skipped or short or facts.list_column or facts.report_frame or "" in header or len(set(header)) != len(header):
        return None  # (a joined trailing list column or a report frame: the chunks would see the raw lines)
    head_table = RawTable(frame, path, "", np.arange(len(frame)) + 2, delimiter=delimiter, width=len(header),
                          positions={column: i for i, column in enumerate(header)})
    if reader_for(format, head_table)[0] != "generic":
        return None  # an engine's table, detected from its first lines: read whole, without a scan of it first
    numbers = facts.numbers
    if facts.columns is not None or (numbers.decimal, numbers.thousands) != (".", None) or delimiter == ".":
        return None
    # The convention decided from the first lines is the file's when the rest shows no number with a comma
    # between digits (a decimal comma, thousands commas) nor, if the first lines showed no marked number
    # at all, with a point (the first decimal point the file shows is then the evidence).
    marks = b"," if numbers.decided == "declared" or numbers.evidence != _NO_MARK else b",."
    options = {
        "delimiter": delimiter, "encoding": _decode_sample(head, _sniff_size(head))[1], "numbers": numbers,
        "marks": marks if delimiter != "," else marks.replace(b",", b""), "facts": facts,
        "chunk_rows": max(CHUNK_MIN_ROWS, CHUNK_CELLS // len(header)),
    }
    # pyarrow's parse where it reads as pandas (checked as it goes); the scan of the bytes refuses quotes
    options["arrow"] = options["encoding"] in ("utf-8", "utf-8-sig")
    return header, delimiter, options


def _chunk_reader(handle: Any, options: dict[str, Any]) -> Any:
    """pandas' chunked parse of the table, with the options of the whole parse."""
    return pd.read_csv(handle, encoding=options["encoding"], chunksize=options["chunk_rows"],
                       **csv_options(options["delimiter"], options["numbers"]))


def _summary(
    path: Path, sheet_frame: pd.DataFrame | None, format: str | None, quantity: str | None,
    is_log2: bool | None, decimal: str | None, min_bytes: int,
) -> dict[str, Any]:
    opened = _open(path, format, decimal, min_bytes)
    if opened is None:
        raise _Fallback
    header, delimiter, options = opened
    result = None
    if options["arrow"]:
        with _text_stream(path) as (handle, _):
            scanned = _ScannedFile(handle, delimiter, options["marks"])
            try:
                result = _read_arrow_chunks(io.BufferedReader(scanned, _BLOCK), header, path, delimiter, format,
                                            quantity, options)
            except _NotArrow:
                pass  # pandas parses the chunks, from the start
        if scanned.unlike_pandas:
            result = None
    if result is None:
        with _text_stream(path) as (handle, _):
            scanned = _ScannedFile(handle, delimiter, options["marks"])
            chunks = _chunk_reader(io.BufferedReader(scanned, _BLOCK), options)
            result = _read_chunks(chunks, header, path, delimiter, format, quantity)
    if not scanned.clean(len(header)):
        raise _Fallback
    return _finish(result, path, sheet_frame, is_log2, options["facts"])


def _head(handle: io.BufferedReader) -> bytes | None:
    """The first lines of the file, cut after a line end: enough for the sniffing of the whole file. None
    for a file the whole read refuses from its first bytes (binary, compressed) or without line ends in its
    first :data:`_HEAD_MAX` bytes (a sparse file of zeros is never read on)."""
    head = handle.read(_HEAD_BYTES)
    if head.startswith(_COMPRESSED) or source.looks_binary(head[: source.limits().sniff]):
        return None
    while head.count(b"\n") <= _HEAD_LINES:
        more = handle.read(_HEAD_BYTES)
        if not more:
            return head
        if len(head) >= _HEAD_MAX:
            return None
        head += more
    return head[: head.rfind(b"\n") + 1]


@dataclass
class _Chunks:
    header: list[str]
    roles: generic.Roles
    text: pd.DataFrame
    counts: _Counts
    n_rows: int
    values: np.ndarray | None = None  # proteins x samples, when read (not only counted)


def _read_chunks(
    chunks: Any, header: list[str], path: Path, delimiter: str, format: str | None, quantity: str | None,
    n_rows: int | None = None,
) -> _Chunks:
    """Parse the chunks: roles from the first, text columns kept, the quantity block counted or, given the
    table's ``n_rows``, copied into one matrix laid out as :func:`secretome.io.table.numeric_block` lays it."""
    state = _ChunkState(header, path, delimiter, format, quantity, n_rows)
    for chunk in chunks:
        state.add_frame(chunk)
    return state.finish()


class _NotArrow(Exception):
    """pyarrow's parse may read a cell of the table otherwise than pandas: parse the chunks with pandas."""


class _ChunkState:
    """The chunks read so far: roles (from the first), kinds, text pieces, and the counted or copied block."""

    def __init__(self, header: list[str], path: Path, delimiter: str, format: str | None, quantity: str | None,
                 n_rows: int | None, collect: bool = False) -> None:
        self.header, self.path, self.delimiter, self.format, self.quantity = header, path, delimiter, format, quantity
        self.n_rows = n_rows
        #: the blocks of a table whose rows were not counted first, kept (not counted) for one matrix at the end
        self.blocks: list[np.ndarray] | None = [] if collect and n_rows is None else None
        self.roles: generic.Roles | None = None
        self.values: np.ndarray | None = None
        self.kinds: dict[str, str] = {}
        self.expected = np.array([])
        self.text_pieces: list[pd.DataFrame] = []
        self.counts = _Counts()
        self.seen = 0

    def add_frame(self, chunk: pd.DataFrame) -> None:
        """A chunk as pandas parsed it (the first decides the roles)."""
        header = self.header
        if chunk.shape[1] != len(header) or not isinstance(chunk.index, pd.RangeIndex):
            raise _Fallback  # R's row names (a header one field short) or a ragged table
        chunk.columns = header
        found = _kinds(chunk)
        if self.roles is None:
            empty = chunk.isna().all(axis=0).to_numpy()
            self.kinds = {column: "-" if kind == "f" and gap else kind for column, kind, gap in zip(header, found, empty)}
            self.roles = _first_chunk_roles(chunk, self.kinds, self.path, self.delimiter, self.format, self.quantity)
            self.expected = found
        elif (found != self.expected).any():
            for j in np.flatnonzero(found != self.expected):  # numbers stay numbers; text may have an empty stretch
                if not ({found[j], self.expected[j]} <= {"f", "i"}
                        or (self.expected[j] == "O" and chunk.iloc[:, j].isna().all())):
                    raise _Fallback  # a column changes type: the whole parse may read its cells otherwise
        first = chunk.iloc[:, 0].isna().to_numpy()
        if first.any() and chunk.loc[first].isna().all(axis=1).any():
            raise _Fallback  # an empty row, which the whole read drops
        self._take(chunk[self.text_names()].astype(object), chunk[self.roles.samples].to_numpy(dtype=np.float64))

    def text_names(self) -> list[str]:
        """The text columns (of the first chunk)."""
        return [c for c in self.header if self.kinds[c] == "O"]

    def arrow_types(self) -> dict[str, Any]:
        """pyarrow's types of the columns after the first chunk (by position): its text as text, its numbers
        as float64 (a cell of text there is refused by pyarrow: then pandas reads the chunks)."""
        import pyarrow as pa

        return {str(j): pa.string() if self.kinds[c] == "O" else pa.float64() for j, c in enumerate(self.header)}

    def add_batch(self, batch: Any) -> None:
        """A batch pyarrow parsed with :meth:`arrow_types`, checked as :func:`secretome.io.fastcsv.arrow_frame`
        checks a whole table (raises :class:`_NotArrow` where pandas may read a cell otherwise)."""
        from secretome.io import fastcsv

        columns = batch.columns
        if columns[0].null_count and fastcsv.empty_rows(batch):
            raise _Fallback  # an empty row, which the whole read drops
        text = {}
        for name in self.text_names():
            values = fastcsv.text_values(columns[self.header.index(name)])
            if values is None:
                raise _NotArrow
            text[name] = values
        positions = {column: j for j, column in enumerate(self.header)}
        samples = set(self.roles.samples)
        for j, column in enumerate(self.header):  # numbers outside the quantity block: checked as the whole read does
            if self.kinds[column] != "O" and column not in samples \
                    and not fastcsv.numbers_as_pandas(columns[j].to_numpy(zero_copy_only=False), columns[j].null_count):
                raise _NotArrow
        n = batch.num_rows
        if self.n_rows is None:
            block = np.empty((len(self.roles.samples), n)).T
        else:
            if self.values is None:
                self.values = np.empty((len(self.roles.samples), self.n_rows), dtype=np.float64).T
            if self.seen + n > self.n_rows:
                raise _Fallback
            block = self.values[self.seen:self.seen + n]
        n_null = 0
        for k, column in enumerate(self.roles.samples):
            cells = columns[positions[column]]
            block[:, k] = cells.to_numpy(zero_copy_only=False)
            n_null += cells.null_count
        if not fastcsv.numbers_as_pandas(block, n_null):
            raise _NotArrow
        self._take(pd.DataFrame(text, columns=self.text_names()), block, copied=self.n_rows is not None)

    def _take(self, text: pd.DataFrame, block: np.ndarray, copied: bool = False) -> None:
        self.text_pieces.append(text)
        if self.blocks is not None:
            self.blocks.append(block)
            self.counts.n_infinite += int(np.isinf(block).sum())
        elif self.n_rows is None:
            self.counts.add(block)
        else:
            if self.values is None:
                self.values = np.empty((len(self.roles.samples), self.n_rows), dtype=np.float64).T
            if self.seen + len(block) > self.n_rows:
                raise _Fallback
            if not copied:
                self.values[self.seen:self.seen + len(block)] = block
            self.counts.n_infinite += int(np.isinf(block).sum())
        self.seen += len(block)

    def finish(self) -> _Chunks:
        """The chunks read, checked over the whole table."""
        if self.roles is None:
            raise _Fallback
        text = pd.concat(self.text_pieces, ignore_index=True) if self.text_pieces else pd.DataFrame()
        if generic._text_columns(text, {}) != self.text_names():
            raise _Fallback  # a text column of the first chunk is mostly numbers over the whole table, or back
        if self.blocks is not None:  # one matrix, laid out as numeric_block lays it
            self.values = np.empty((len(self.roles.samples), self.seen), dtype=np.float64).T
            start = 0
            for block in self.blocks:
                self.values[start:start + len(block)] = block
                start += len(block)
            self.blocks = None
        return _Chunks(self.header, self.roles, text, self.counts, self.seen, self.values)


class _Rest(io.RawIOBase):
    """The bytes of a stream from a given point: what was read ahead of it first, then the stream."""

    def __init__(self, ahead: bytes, handle: Any) -> None:
        self.ahead, self.position, self.handle = memoryview(ahead), 0, handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.position < len(self.ahead):
            piece = self.ahead[self.position:self.position + len(buffer)]
            self.position += len(piece)
        else:
            piece = self.handle.read(len(buffer))
        buffer[:len(piece)] = piece
        return len(piece)


def _read_arrow_chunks(
    handle: Any, header: list[str], path: Path, delimiter: str, format: str | None, quantity: str | None,
    options: dict[str, Any], n_rows: int | None = None, collect: bool = False,
) -> _Chunks:
    """:func:`_read_chunks` with pyarrow's parse: the first chunk (its header line and ``chunk_rows`` rows)
    parsed and checked as :func:`secretome.io.fastcsv.arrow_frame` parses a whole table, the rest in
    batches typed as the first chunk's columns. Raises :class:`_NotArrow` where pyarrow may read a cell
    otherwise than pandas (the caller parses with pandas from the start). ``collect``: without ``n_rows``,
    keep the quantity blocks (one matrix at the end) instead of counting them."""
    import pyarrow as pa
    import pyarrow.csv as pc

    from secretome.io import fastcsv

    head = b""
    while head.count(b"\n") <= options["chunk_rows"]:  # (counted per piece read: a few MB)
        more = handle.read(_BLOCK)
        if not more:
            break
        head += more
    cut = _line_end(head, options["chunk_rows"] + 1)
    frame = fastcsv.arrow_frame(head[:cut], header, delimiter, NA_TOKENS)
    if frame is None:
        raise _NotArrow
    state = _ChunkState(header, path, delimiter, format, quantity, n_rows, collect=collect)
    state.add_frame(frame)
    rest = _Rest(head[cut:], handle)
    del head
    try:
        # closed before the stream it reads from, whatever ends the loop (a reader left to the interpreter's
        # exit would release the stream without the GIL)
        with pc.open_csv(rest, read_options=fastcsv.read_options(header, skip_rows=0),
                         parse_options=fastcsv.parse_options(delimiter),
                         convert_options=fastcsv.convert_options(NA_TOKENS, state.arrow_types())) as reader:
            for batch in reader:
                state.add_batch(batch)
    except pa.ArrowInvalid as error:
        if "Empty CSV file" not in str(error):  # (no row after the first chunk)
            raise _NotArrow from None
    return state.finish()


def _line_end(data: bytes, n: int) -> int:
    """The offset just past the ``n``-th line end of ``data`` (its length when it has fewer)."""
    position = 0
    for _ in range(n):
        end = data.find(b"\n", position)
        if end < 0:
            return len(data)
        position = end + 1
    return position


def _kinds(chunk: pd.DataFrame) -> np.ndarray:
    """Each column's type: ``O`` text, ``f``/``i`` numbers, ``?`` other (the first chunk adds ``-``, no value)."""
    return np.array([{"O": "O", "f": "f", "i": "i", "u": "i"}.get(dtype.kind, "?") for dtype in chunk.dtypes])


def _first_chunk_roles(
    chunk: pd.DataFrame, kinds: dict[str, str], path: Path, delimiter: str, format: str | None, quantity: str | None,
) -> generic.Roles:
    """The column roles of the first chunk, which are those of the whole table when no value decided them."""
    texts = [column for column, kind in kinds.items() if kind == "O"]
    if "?" in kinds.values() or "-" in kinds.values() or generic._text_columns(chunk[texts], {}) != texts:
        raise _Fallback  # an empty column, or a text column of mostly numbers: values may decide their roles
    table = RawTable(chunk, path, "", np.arange(len(chunk)) + 2, delimiter=delimiter, width=len(chunk.columns),
                     positions={column: i for i, column in enumerate(chunk.columns)})
    name, _ = reader_for(format, table)
    if name != "generic":
        raise _Fallback
    roles = generic.column_roles(table, quantity=quantity)
    numeric = [c for c in chunk.columns if kinds[c] in "fi" and c not in (roles.id_column, roles.gene_column, roles.description_column)]
    for column, reason in roles.reasons.items():
        if reason.startswith(_VALUE_REASONS) or (reason == generic.TEXT_REASON and kinds[column] != "O"):
            raise _Fallback
    if any(kinds[column] == "O" for column in roles.samples) or _has_groups(numeric):
        raise _Fallback
    return roles


def _has_groups(columns: list[str]) -> bool:
    """Whether a column could be a group summary (``X`` beside ``X_1``, ``X_2``), which values decide."""
    members: dict[str, int] = {}
    for column in columns:
        match = re.match(r"^(?P<base>.+?)[ _.\-][^ _.\-]+$", column)
        if match:
            members[match.group("base")] = members.get(match.group("base"), 0) + 1
    return any(members.get(column, 0) >= 2 for column in columns)


def _parsed(result: _Chunks, path: Path, delimiter: str, sha256: str, facts: TextFacts) -> Parsed:
    """What :func:`secretome.io.generic.read` returns for the whole table, from the chunks (its table holds
    the header only: the text columns are parsed into ``ids`` here)."""
    roles, text = result.roles, result.text
    ids = parse_protein_groups(
        text_column(text, roles.id_column).tolist(),
        kind=roles.id_kind,
        genes=text_column(text, roles.gene_column).tolist() if roles.gene_column else None,
        descriptions=text_column(text, roles.description_column).tolist() if roles.description_column else None,
    )
    header_only = pd.DataFrame(np.empty((0, len(result.header)), dtype=object), columns=result.header)  # (one block)
    table = RawTable(header_only, path, sha256, np.arange(result.n_rows) + 2, delimiter=delimiter,
                     width=len(result.header), positions={column: i for i, column in enumerate(result.header)},
                     text=facts)
    samples = roles.samples
    version = "wide table" if roles.sample_names is None else f"wide table with quantity families ({roles.quantity})"
    return Parsed(
        table=table, format=generic.FORMAT, format_version=version, quantity=roles.quantity,
        values=result.values if result.values is not None else np.empty((result.n_rows, 0)),
        sample_names=roles.sample_names or [generic.bare_name(c) for c in samples],
        sample_columns=samples, ids=ids, id_column=roles.id_column, id_kind=roles.id_kind,
        ignored_columns=roles.ignored, unread=dict(roles.reasons),
        read_columns=[c for c in (roles.gene_column, roles.description_column) if c],
    )


def _finish(
    result: _Chunks, path: Path, sheet_frame: pd.DataFrame | None, is_log2: bool | None, facts: TextFacts,
) -> dict[str, Any]:
    """The summary from the chunks' counts, deciding what :func:`secretome.io.dataset.assemble_result` decides."""
    counts = result.counts
    if counts.n_infinite:
        raise _Fallback  # an error the whole read names
    parsed = _parsed(result, path, "", "", facts)
    samples, ids = parsed.sample_columns, parsed.ids
    _check_sample_names(parsed)
    _, n_suffixed = _protein_ids(parsed)
    if is_log2 is not None:
        log2, evidence = bool(is_log2), "declared"
        if log2 and counts.maximum > LOG2_MAX:
            raise _Fallback
    else:
        log2 = _log2_rule(counts)
        evidence = "detected" if log2 else "linear"
    n_zeros, n_zeros_kept = counts.n_zero, 0
    if n_zeros and log2 and counts.n_negative:
        n_zeros, n_zeros_kept = 0, n_zeros
    if counts.n_cells - counts.n_nan - n_zeros == 0 or (not log2 and counts.n_negative):
        raise _Fallback  # no quantified value, or negative linear values: errors the whole read names
    _obs(parsed, sheet_frame)
    n_proteins, n_samples = result.n_rows, len(samples)
    unread, reasons = unread_columns(parsed)
    source_facts = {
        "path": str(path), "format": parsed.format, "format_version": parsed.format_version,
        "quantity": parsed.quantity, "is_log2": log2, "log2_evidence": evidence, "n_zeros_to_nan": n_zeros,
        "n_zeros_kept": n_zeros_kept, "n_duplicate_ids_suffixed": n_suffixed, "sample_columns": list(samples),
        "unread_columns": unread, "unread_reasons": reasons, "samples_without_quantity": [], **parsed.table.facts(),
    }
    var = pd.DataFrame({
        "is_decoy": ids["is_decoy"].to_numpy(bool), "is_contaminant": ids["is_contaminant"].to_numpy(bool),
        "only_identified_by_site": np.zeros(n_proteins, dtype=bool),
    })
    size = n_proteins * n_samples
    missing_share = (counts.n_nan + n_zeros) / size if size else 0.0
    return source_summary(source_facts, var, n_proteins, n_samples, missing_share)
