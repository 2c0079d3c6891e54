"""The readers' fast paths give what the slow, obviously right computation gives.

- :class:`~secretome.io.scan.MarkedLines` finds what a whole-data regular-expression search finds, at the
  same positions;
- the numpy count of short rows in a quoted table equals ``csv.reader``'s, or defers to it;
- the decoy and contaminant flags without the full identifier parse equal the full parse's.
"""

from __future__ import annotations

import csv
import io
import random
import re

import pytest

from secretome.io import scan
from secretome.io.scan import MarkedLines
from secretome.io.identifiers import parse_protein_groups, prefix_flags
from secretome.io.table import _single_line_short_rows

#: Whole-field number patterns of the kind the number-convention decision uses (lookbehind-anchored).
_PATTERNS = (  # (pattern, marks, grouped)
    (rb"-?(?:\d{1,3}(?:\.\d{3})+,\d+|\d+,(?:\d{1,2}|\d{4,}))(?:[eE][-+]?\d+)?", b",", False),
    (rb"-?(?:\d{1,3}(?:,\d{3})+\.\d+|\d+\.(?:\d{1,2}|\d{4,})|\d+\.\d+[eE][-+]?\d+)", b".", False),
    (rb"-?\d{1,3}(?:\.\d{3}){2,}", b".", True),
    (rb"-?\d{1,3}(?:,\d{3}){2,}", b",", True),
    (rb"-?\d+(?:[.,]\d+)+", b".,", False),
)


def _field(pattern: bytes, delimiter: bytes) -> re.Pattern:
    d = re.escape(delimiter)
    return re.compile(rb"(?:(?<=" + d + rb")|(?<=^))" + pattern + rb"(?=" + d + rb"|\r?\n|$)", re.MULTILINE)


def _random_table(rng: random.Random) -> bytes:
    """Lines of random fields: number texts in either convention (with thousands groups), words, noise."""
    def field() -> bytes:
        kind = rng.randrange(4)
        if kind == 0:  # grouped digits with random marks
            return rng.choice([b"", b"-"]) + rng.choice([b"1", b"12", b"123"]) + b"".join(
                rng.choice(b".,").to_bytes(1, "big") + b"%03d" % rng.randrange(1000) for _ in range(rng.randrange(4))
            ) + rng.choice([b"", b",5", b".25", b"e3"])
        if kind == 1:
            return b"%d%s%d" % (rng.randrange(10_000), rng.choice([b".", b","]), rng.randrange(100_000))
        if kind == 2:
            return rng.choice([b"P02768", b"a 1,4-b", b'"x"', b"", b"NA"])
        return bytes(rng.choice(b"0123456789.,;\t-eE a\"") for _ in range(rng.randrange(8)))
    lines = [rng.choice([b"\t", b";", b","]).join(field() for _ in range(rng.randrange(1, 6))) for _ in range(rng.randrange(1, 6))]
    return rng.choice([b"\n", b"\r\n"]).join(lines) + rng.choice([b"", b"\n"])


@pytest.mark.parametrize("chunk", [1 << 18, 16])  # one chunk, and lines screened a few at a time
def test_same_first_match_as_a_full_search_on_random_texts(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "_CHUNK", chunk)
    rng = random.Random(2026)
    for _ in range(3000):
        data = _random_table(rng)
        lines = MarkedLines(data)
        for delimiter in (b"\t", b";", b","):
            for pattern, marks, grouped in _PATTERNS:
                compiled = _field(pattern, delimiter)
                full, screened = compiled.search(data), lines.search(compiled, marks, grouped=grouped)
                assert (full is None) == (screened is None), (data, delimiter, pattern)
                if full is not None:
                    assert full.span() == screened.span()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"id\tA\nP1\t0.5\nP2\t1,25\n", (15, 19)),  # the decimal comma on the third line, found in place
        (b"id\tA\r\nP1\t1,5\r\n", (9, 12)),  # CRLF line ends: the field ends before "\r"
        (b"1,5", (0, 3)),  # no line end at all
        (b"id\tA\nP1\t1.5\n", None),  # no comma between digits: nothing is searched
    ],
)
def test_positions_and_line_ends(data: bytes, expected: tuple[int, int] | None) -> None:
    match = MarkedLines(data).search(_field(_PATTERNS[0][0], b"\t"), b",")
    assert (match.span() if match else None) == expected


def _csv_short_rows(data: bytes, delimiter: str, fewest: int) -> list[tuple[int, int]]:
    """The reference: ``csv.reader`` over the whole text, as ``_quoted_short_rows`` reads it."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter=delimiter)
    next(reader, None)
    return [(reader.line_num, len(record)) for record in reader if record and len(record) < fewest]


def _quoted_table(rng: random.Random, delimiter: str) -> bytes:
    """Rows of quoted, unquoted, doubled-quote, stray-quote and missing fields; some short, some blank."""
    cells = ['"a"', '""', '"x""y"', 'b', '', '"1,5"', '"k"""', '3']
    if rng.random() < 0.5:  # quotes csv reads as text, quoted line ends, unclosed quotes
        cells += ['c"d', '"e"f', '"g\nh"', ' "i"', '"j""']
    lines = []
    for _ in range(rng.randrange(2, 8)):
        if rng.random() < 0.1:
            lines.append(rng.choice(["", "\r", " "]))
            continue
        lines.append(delimiter.join(rng.choice(cells) for _ in range(rng.randrange(1, 6))))
    return (rng.choice(["\n", "\r\n"]).join(lines) + rng.choice(["", "\n"])).encode()


def test_short_rows_counted_as_csv_reader_counts_them() -> None:
    rng = random.Random(2026)
    decided = 0
    for _ in range(4000):
        delimiter = rng.choice([",", "\t", ";"])
        data = _quoted_table(rng, delimiter)
        n_records = sum(1 for _ in csv.reader(io.StringIO(data.decode(), newline=""), delimiter=delimiter)) - 1
        fewest = rng.randrange(2, 6)
        counted = _single_line_short_rows(data, delimiter, fewest, n_records)
        if counted is not None:
            decided += 1
            assert counted == _csv_short_rows(data, delimiter, fewest), data
    assert decided > 1000  # the fast path is taken for most well-formed tables


def test_prefix_flags_are_the_full_parse_flags() -> None:
    rng = random.Random(7)
    members = ["P02768", "P02768-2", "CON__P02769", "REV__Q9Y6R7", "rev_sp|P1|A_HUMAN", "sp|P00761|TRYP_PIG",
               "contam_sp|P00761|TRYP_PIG", "#DECOY#P1", "XXX_CON__P3", ">CON__P4", " DECOY_P5 ", "", "ALBU_BOVIN"]
    groups = [";".join(rng.choice(members) for _ in range(rng.randrange(0, 4))) for _ in range(2000)]
    decoy, contaminant = prefix_flags(groups)
    parsed = parse_protein_groups(groups)
    assert decoy.tolist() == parsed["is_decoy"].tolist()
    assert contaminant.tolist() == parsed["is_contaminant"].tolist()
    assert decoy.any() and contaminant.any()
