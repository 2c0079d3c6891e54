"""MaxQuant ``proteinGroups.txt``: LFQ intensity / Intensity / iBAQ, engine flags kept as columns.

Flags: ``Reverse`` (``Decoy`` from MaxQuant 2.8 on), ``Potential contaminant`` (``Contaminant`` up to 1.5),
``Only identified by site``; '+' marks a flagged row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from secretome.errors import SecretomeInputError
from secretome.io.dataset import (
    Parsed, engine_columns, family_reasons, prefixed_columns, quantity_block, require_columns,
)
from secretome.io.identifiers import organism_of_header, parse_member, parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "maxquant"
#: Quantity column families, in order of preference for the default.
QUANTITIES: tuple[str, ...] = ("LFQ intensity", "Intensity", "iBAQ")
#: Columns that carry a family prefix but are not per-sample quantities.
NOT_SAMPLES = frozenset({"iBAQ peptides"})
_HEADER_ENTRY = re.compile(r"\|([^|;\s]+)\|([A-Z0-9]{1,11}_[A-Z0-9]{2,5})\b")  # "|accession|ENTRY_NAME"
SIGNATURE: tuple[str, ...] = (
    "Protein IDs", "Majority protein IDs", "Peptide counts (all)", "Peptide counts (razor+unique)",
    "Potential contaminant", "Contaminant", "Reverse", "Decoy", "Only identified by site", "Razor + unique peptides",
    "Fasta headers", "Number of proteins", "Sequence coverage [%]",
)


def detect_score(columns: list[str]) -> int:
    """How many MaxQuant-specific columns the table has (0 = not MaxQuant)."""
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    if any(column.startswith("LFQ intensity ") for column in columns):
        score += 2
    return score if "Majority protein IDs" in present or "Protein IDs" in present or score >= 3 else 0


#: Columns read into ``.var`` (identifiers, names, flags, peptide counts).
READ_COLUMNS: tuple[str, ...] = (
    "Gene names", "Protein names", "Fasta headers", "Reverse", "Decoy", "Potential contaminant", "Contaminant",
    "Only identified by site", "Peptides", "Unique peptides",
)


def sample_set(columns: list[str]) -> list[str]:
    """The run's samples from MaxQuant's own structure: the experiments of its ``Intensity <experiment>``
    columns, which it writes for every experiment whatever the quantification (SILAC channels excluded)."""
    return [
        column[len("Intensity "):].strip() for column in family_columns(columns, "Intensity")
        if not column.startswith(("Intensity L ", "Intensity M ", "Intensity H "))
    ]


def family_columns(columns: list[str], family: str) -> list[str]:
    """Per-sample columns of one family: ``'{family} {sample}'``."""
    return prefixed_columns(columns, family, NOT_SAMPLES)


def engine_column_names(lookup: Mapping[str, str]) -> dict[str, str | None]:
    """MaxQuant's flag and peptide-count columns, for :func:`~secretome.io.dataset.engine_columns`.

    ``lookup`` maps MaxQuant's column name to the table's column (the same name in proteinGroups.txt; the
    typed ``T: Reverse`` etc. in a Perseus export of it). Each flag takes whichever name the version wrote.
    """
    return {
        "decoy": lookup.get("Reverse", lookup.get("Decoy")),
        "contaminant": lookup.get("Potential contaminant", lookup.get("Contaminant")),
        "only_by_site": lookup.get("Only identified by site"),
        "peptides": lookup.get("Peptides"),
        "unique_peptides": lookup.get("Unique peptides"),
    }


def version(columns: list[str]) -> str:
    """MaxQuant generation from column names.

    2.8+ renamed 'Reverse' to 'Decoy' (reported in wilhelm-lab/oktoberfest#395); 1.6+/2.x write
    'Potential contaminant'; 1.5 and older 'Contaminant'.
    """
    if "Decoy" in columns and "Reverse" not in columns:
        return "2.8+ (column 'Decoy' instead of 'Reverse')"
    if "Potential contaminant" in columns:
        return "1.6+/2.x (column 'Potential contaminant')"
    if "Contaminant" in columns:
        return "1.5 or older (column 'Contaminant')"
    return "unknown (no contaminant column)"


def _headers_by_member(group: str, headers: str) -> tuple[str, str, str]:
    """Align ``Fasta headers`` with the members of ``Protein IDs`` by accession, not by position.

    A header may lack an entry name (contaminants.fasta) or be missing (truncated lists); matching each
    header's own accession keeps one member's species from being given to another. Returns the members'
    entry names and organisms, ``;``-joined and aligned ("" where unknown), and the leading member's header.
    """
    named = _HEADER_ENTRY.findall(headers)  # (accession, entry name) of "db|ACC|ENTRY_NAME ..." headers
    tokens = [token for token in group.split(";") if token.strip()]
    if not tokens:
        return "", "", ""
    if len(named) == len(tokens) and all(
        accession in token for (accession, _), token in zip(named, tokens)
    ):  # the usual case: one named header per member, in member order
        return ";".join(name for _, name in named), "", headers
    accessions = [parse_member(token).accession for token in tokens]
    by_accession: dict[str, tuple[str, str, str]] = {}
    for header in headers.split(";"):
        words = header.split(None, 1)
        if words:
            member = parse_member(words[0])
            organism = "" if member.entry_name else organism_of_header(header)  # the entry name gives the species
            by_accession.setdefault(member.accession, (member.entry_name, organism, header.strip()))
    found = [by_accession.get(accession, ("", "", "")) for accession in accessions]
    return ";".join(f[0] for f in found), ";".join(f[1] for f in found), found[0][2]


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a MaxQuant proteinGroups table; ``quantity`` picks the family (default LFQ intensity if present)."""
    frame = table.frame
    columns = list(frame.columns)
    if "Protein IDs" not in columns and "Sequence" in columns:
        raise SecretomeInputError(
            "this is a MaxQuant peptide-level table (peptides.txt/evidence.txt: a 'Sequence' column), not "
            "proteinGroups.txt", file=table.path, column="Protein IDs", expected="MaxQuant's proteinGroups.txt",
        )
    require_columns(table, ["Protein IDs"], "MaxQuant proteinGroups")
    families = {family: family_columns(columns, family) for family in QUANTITIES}
    family, sample_columns, values = quantity_block(table, families, quantity, "MaxQuant proteinGroups")
    sample_names = [column[len(family) + 1:].strip() for column in sample_columns]
    samples = sample_set(columns)
    unread = family_reasons(families, family, sample_columns)
    for column in family_columns(columns, "Intensity"):
        if column.startswith(("Intensity L ", "Intensity M ", "Intensity H ")):
            unread[column] = "SILAC channel intensity (not read: label-free families only)"
    headers = text_column(frame, "Fasta headers")
    groups = text_column(frame, "Protein IDs").tolist()
    aligned = [_headers_by_member(group, header) for group, header in zip(groups, headers)]
    description = text_column(frame, "Protein names" if "Protein names" in columns else "Fasta headers")
    ids = parse_protein_groups(
        groups,
        genes=text_column(frame, "Gene names").tolist(),
        entry_names=[names for names, _, _ in aligned],
        organisms=[organisms for _, organisms, _ in aligned],
        descriptions=[d if "Protein names" in columns and d else lead for d, (_, _, lead) in zip(description, aligned)],
    )
    ids["description"] = description.tolist()
    return Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns),
        quantity=family,
        values=values,
        sample_names=sample_names,
        sample_columns=sample_columns,
        ids=ids,
        id_column="Protein IDs",
        unread=unread,
        read_columns=[c for c in READ_COLUMNS if c in columns],
        samples_without_quantity=[sample for sample in samples if sample not in set(sample_names)],
        **engine_columns(table, **engine_column_names({column: column for column in columns})),
    )
