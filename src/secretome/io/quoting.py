"""Whether the '"' of a text table delimits fields: as its writer meant it.

Engines that never quote (``data/quoting.tsv``, with the source of each entry) have their quotes read as
text, so a protein name starting with '"' cannot merge rows and give one protein another's values. Other
files are decided from the file itself: quotes delimit fields when the header is quoted or when every
field that starts with '"' is a well-formed quoted field closed on its own line; when some is not, the
reading (quotes delimit fields, or quotes are text) under which more rows have the header's fields wins,
so text with line breaks from a quoting writer stays one field and a stray quote of a writer that does
not quote stays text.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from importlib import resources

import pandas as pd

_DELIMITER_NAMES = {"tab": "\t", "comma": ",", "semicolon": ";"}


@lru_cache(maxsize=1)
def engine_habits() -> list[tuple[str, frozenset[str], str, bool]]:
    """(engine, header columns all present, its delimiter, whether it quotes) from ``data/quoting.tsv``."""
    path = resources.files("secretome.io").joinpath("data/quoting.tsv")
    with path.open("r", encoding="utf-8") as handle:
        rows = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    return [
        (engine, frozenset(part for part in columns.split("|") if part), _DELIMITER_NAMES[delimiter], quotes == "minimal")
        for engine, columns, delimiter, quotes in zip(rows["engine"], rows["all_of"], rows["delimiter"], rows["quotes"])
    ]


def decide(data: bytes, header_line: str, delimiter: str, header: list[str]) -> tuple[bool, str]:
    """(quotes delimit fields, why) for a text table's bytes, its first line and parsed header."""
    if b'"' not in data:
        return True, "no quotes in the file"
    if '"' in header_line:
        return True, "the header is quoted"
    names = set(header)
    for engine, columns, native, quotes in engine_habits():
        if delimiter == native and columns <= names:
            return quotes, f"{engine} {'quotes fields as needed' if quotes else 'never quotes'} (data/quoting.tsv)"
    n_open, n_closed = _field_quotes(data, delimiter)
    if n_open == 0:
        return True, "no field starts with a quote"
    if n_closed == n_open:
        return True, f"every field starting with '\"' is a closed quoted field ({n_closed})"
    # Some quoted field is not closed on its own line: either it spans lines (a quoting writer, text with
    # line breaks) or the writer does not quote. The reading under which every record has the header's
    # fields tells which (rare files only: this pass is in Python).
    text = data.decode("utf-8", errors="replace")
    fits = {quotes: _records_of_width(text, delimiter, len(header), quotes) for quotes in (True, False)}
    if fits[False] > fits[True]:
        return False, (f"{n_open - n_closed} of {n_open} fields starting with '\"' are not closed on their line "
                       "and only reading quotes as text gives every row the header's fields: the writer does "
                       "not quote, the quotes are text")
    return True, f"quoted fields span lines ({n_open - n_closed} of {n_open})"


def _field_quotes(data: bytes, delimiter: str) -> tuple[int, int]:
    """(fields starting with '"', of them closed quoted fields on their own line) in ``data``.

    A field starts at the data's start, after a line end or after the delimiter. The patterns begin with
    the quote itself and look back at the byte before it, so the search jumps from quote to quote instead
    of trying every byte; the first byte of the data is matched on its own."""
    d = re.escape(delimiter.encode())
    closed = rb'(?:[^"\r\n]|"")*"(?=' + d + rb'|\r?\n|$)'
    after_boundary = rb'"(?<=[' + d + rb'\n]")'
    first = re.compile(rb'"' + closed, re.MULTILINE).match(data)
    n_open = data.startswith(b'"') + sum(1 for _ in re.finditer(after_boundary, data))
    quoted = re.compile(after_boundary + closed, re.MULTILINE)
    n_closed = (first is not None) + sum(1 for _ in quoted.finditer(data, first.end() if first else 0))
    return n_open, n_closed


def _records_of_width(text: str, delimiter: str, width: int, quotes: bool) -> int:
    """How many records have ``width`` fields when quotes delimit fields (``quotes``) or are text."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                        quoting=csv.QUOTE_MINIMAL if quotes else csv.QUOTE_NONE)
    count = 0
    try:
        for record in reader:
            count += len(record) == width
    except csv.Error:
        pass
    return count
