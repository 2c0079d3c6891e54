"""MarkedLines finds what a whole-data regular-expression search finds, at the same positions."""

from __future__ import annotations

import random
import re

import pytest

from secretome.io.scan import MarkedLines

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


def test_same_first_match_as_a_full_search_on_random_texts() -> None:
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
