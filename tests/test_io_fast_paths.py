"""The readers' fast paths give what the slow, obviously right computation gives.

- the numpy count of short rows in a quoted table equals ``csv.reader``'s, or defers to it;
- the decoy and contaminant flags without the full identifier parse equal the full parse's;
- the quote counts that decide whether quotes delimit fields equal the lookbehind-anchored search's.
"""

from __future__ import annotations

import csv
import io
import random
import re

from secretome.io.identifiers import parse_protein_groups, prefix_flags
from secretome.io.quoting import _field_quotes
from secretome.io.table import _single_line_short_rows


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


def test_field_quote_counts_equal_the_lookbehind_search() -> None:
    rng = random.Random(11)
    alphabet = b'ab"",,\t;\n\r '
    for _ in range(5000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        for delimiter in (",", "\t", ";"):
            d = re.escape(delimiter.encode())
            opening = re.compile(rb'(?:(?<=' + d + rb')|(?<=^))"', re.MULTILINE)
            quoted = re.compile(rb'(?:(?<=' + d + rb')|(?<=^))"(?:[^"\r\n]|"")*"(?=' + d + rb'|\r?\n|$)', re.MULTILINE)
            expected = (sum(1 for _ in opening.finditer(data)), sum(1 for _ in quoted.finditer(data)))
            assert _field_quotes(data, delimiter) == expected, (data, delimiter)
