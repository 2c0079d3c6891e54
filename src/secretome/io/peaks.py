"""PEAKS (Studio/X/Xpro) protein tables: per-sample ``Area`` (default) or ``#Spec`` columns."""

from __future__ import annotations

from secretome.io.dataset import Parsed, engine_columns, prefixed_columns, quantity_block, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "peaks"
#: Quantity families, written as ``'{family} {sample}'``; the first present is the default.
QUANTITIES: tuple[str, ...] = ("Area", "#Spec")
SIGNATURE: tuple[str, ...] = (
    "Accession", "-10lgP", "Coverage (%)", "#Peptides", "#Unique", "PTM", "Avg. Mass", "Description",
    "Protein Group", "Protein ID",
)


def detect_score(columns: list[str]) -> int:
    """PEAKS evidence: its -10lgP score and #Peptides/#Unique/Avg. Mass columns next to Accession."""
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    if any(column.startswith("Area ") for column in columns):
        score += 1
    return score if "-10lgP" in present or ("#Unique" in present and "Accession" in present) else 0


def family_columns(columns: list[str], family: str) -> list[str]:
    """Per-sample columns of one family (``'Area d_pulp_18'``)."""
    return prefixed_columns(columns, family)


def version(columns: list[str]) -> str:
    """PEAKS does not write its version into the table; report the layout instead."""
    if any(column.startswith("Area ") for column in columns):
        return "protein table with per-sample Area (PEAKS X/Xpro style)"
    return "protein table with per-sample spectral counts"


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a PEAKS protein table; identifiers from ``Accession`` (``ACC|ENTRY_SPECIES``)."""
    frame = table.frame
    columns = list(frame.columns)
    require_columns(table, ["Accession"], "PEAKS protein table")
    families = {family: family_columns(columns, family) for family in QUANTITIES}
    family, sample_columns, values = quantity_block(table, families, quantity, "PEAKS protein table")
    ids = parse_protein_groups(
        text_column(frame, "Accession").tolist(), descriptions=text_column(frame, "Description").tolist()
    )
    return Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns),
        quantity=family,
        values=values,
        sample_names=[column[len(family) + 1:].strip() for column in sample_columns],
        sample_columns=sample_columns,
        ids=ids,
        id_column="Accession",
        **engine_columns(table, peptides="#Peptides", unique_peptides="#Unique"),
    )
