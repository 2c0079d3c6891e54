"""The readers' fast paths give what the slow, obviously right computation gives.

- the numpy count of short rows in a quoted table equals ``csv.reader``'s, or defers to it;
- the decoy and contaminant flags without the full identifier parse equal the full parse's;
- the quote counts that decide whether quotes delimit fields equal the lookbehind-anchored search's;
- MaxQuant's Fasta headers aligned in one pass over all rows equal the row-by-row alignment;
- a member's prefix flags with the prefix loop skipped for members that cannot hold a prefix equal the loop's;
- species and gene symbols from descriptions, searched only where ``OX=``/``OS=``/``GN=`` occur, equal the searches'.
"""

from __future__ import annotations

import csv
import io
import random
import re

from secretome.io.identifiers import (
    _GN_RE, _OS_RE, _OX_RE, CONTAMINANT_PREFIXES, DECOY_PREFIXES, _species_maps, gene_from_description, member_fields,
    organism_of_header, parse_member, parse_protein_groups, prefix_flags, species_from_description, species_of_organism,
)
from secretome.io.maxquant import _HEADER_ENTRY, _aligned_headers
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


def _row_aligned_headers(group: str, headers: str) -> tuple[str, str, str]:
    """The reference: one row's headers matched to its members by accession, every member parsed anew."""
    named = _HEADER_ENTRY.findall(headers)
    tokens = [token for token in group.split(";") if token.strip()]
    if not tokens:
        return "", "", ""
    if len(named) == len(tokens) and all(accession in token for (accession, _), token in zip(named, tokens)):
        return ";".join(name for _, name in named), "", headers
    by_accession: dict[str, tuple[str, str, str]] = {}
    for header in headers.split(";"):
        words = header.split(None, 1)
        if words:
            member = parse_member(words[0])
            organism = "" if member.entry_name else organism_of_header(header)
            by_accession.setdefault(member.accession, (member.entry_name, organism, header.strip()))
    found = [by_accession.get(parse_member(token).accession, ("", "", "")) for token in tokens]
    return ";".join(f[0] for f in found), ";".join(f[1] for f in found), found[0][2]


def test_maxquant_headers_aligned_in_one_pass_equal_row_by_row() -> None:
    rng = random.Random(14)
    members = ["P02768", "P02768-2", "sp|P02768|ALBU_HUMAN", "CON__P02769", "REV__Q9Y6R7", " Q12345 ", "",
               "contam_sp|P00761|TRYP_PIG", "tr|A0A024R161|A0A024R161_HUMAN", "sp|ALBU_BOVIN|", "#DECOY#P1", ">P1"]
    headers = ["sp|P02768|ALBU_HUMAN Serum albumin OS=Homo sapiens OX=9606 GN=ALB", ">sp|P02768|ALBU_HUMAN",
               "P02769 SWISS-PROT:P02769 (Bos taurus) Bovine serum albumin", "CON__P02769", "REV__Q9Y6R7", "", "  ",
               "P02768-2 Isoform 2 of Serum albumin", "sp|P00761|TRYP_PIG Trypsin OS=Sus scrofa", "Q12345 OS=Mus musculus",
               "sp|ALBU_BOVIN| albumin (Bos taurus)", "P1 (Homo sapiens)", "tr|A0A024R161|A0A024R161_HUMAN G OS=Homo sapiens"]
    groups = [";".join(rng.choice(members) for _ in range(rng.randrange(0, 4))) for _ in range(3000)]
    texts = [";".join(rng.choice(headers) for _ in range(rng.randrange(0, 4))) for _ in range(3000)]
    aligned = _aligned_headers(groups, texts)
    assert aligned == [_row_aligned_headers(group, text) for group, text in zip(groups, texts)]
    assert any(organisms for _, organisms, _ in aligned) and any(names for names, _, _ in aligned)


def _flags_by_the_loop(token: str) -> tuple[str, bool, bool]:
    """The reference: every decoy and contaminant prefix stripped, in any order, until none is left."""
    text, decoy, contaminant, changed = token.strip().lstrip(">"), False, False, True
    while changed:
        changed = False
        for prefixes, kind in ((DECOY_PREFIXES, "decoy"), (CONTAMINANT_PREFIXES, "contaminant")):
            for prefix in prefixes:
                if text.startswith(prefix):
                    text, changed = text[len(prefix):], True
                    decoy, contaminant = decoy or kind == "decoy", contaminant or kind == "contaminant"
    return text, decoy, contaminant


def test_member_prefix_flags_equal_the_prefix_loop() -> None:
    rng = random.Random(15)
    prefixes = [*DECOY_PREFIXES, *CONTAMINANT_PREFIXES, "", "", "x_", "CO", "re"]
    bodies = ["P02768", "sp|P00761|TRYP_PIG", "ALBU_BOVIN", "Q9 Y6", "#P1", "_P2"]
    for _ in range(3000):
        token = "".join(rng.choice(prefixes) for _ in range(rng.randrange(0, 3))) + rng.choice(bodies)
        _, _, decoy, contaminant = member_fields(token)
        assert (decoy, contaminant) == _flags_by_the_loop(token)[1:], token


def test_description_fields_equal_the_searches() -> None:
    rng = random.Random(16)
    words = ["Serum albumin", "OS=Homo sapiens", "OX=9606", "OX=10090", "OS=Bos taurus", "GN=ALB", "GN=", "PE=1",
             "os=Homo sapiens", "XOX=9606", "(Bos taurus)", "OS=", "OX=x", "SV=2", "GN=FN1", ""]
    by_taxon, _ = _species_maps()
    for _ in range(3000):
        description = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 6)))
        ox, os_, gn = _OX_RE.search(description), _OS_RE.search(description), _GN_RE.search(description)
        species = (by_taxon[ox.group(1)] if ox and ox.group(1) in by_taxon
                   else species_of_organism(os_.group(1)) if os_ else "")
        assert species_from_description(description) == species, description
        assert gene_from_description(description) == (gn.group(1) if gn else ""), description
