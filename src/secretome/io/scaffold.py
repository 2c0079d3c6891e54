"""Scaffold (Proteome Software) Samples Report: one row per protein (group), one column per biological sample.

The export (tab-separated text, often named ``.xls``) starts with the experiment's settings and ends with
``END OF FILE`` (both set aside by :mod:`secretome.io.report_frame`); its table has ``#``, ``Visible?``,
``Starred?``, ``Identified Proteins (N)`` (the protein names), ``Accession Number``, ``Alternate ID``,
``Molecular Weight``, ``Protein Grouping Ambiguity`` and ``Taxonomy`` (later versions add probability and
cluster columns) and then one column per biological sample holding the value chosen in Scaffold's display
options at export (spectrum counts or quantitative values: the table does not say which, the settings above
it do). Accessions of protein clusters carry a ``(+n)`` count of further members, removed from the group id.
"""

from __future__ import annotations

import re

from secretome.io.dataset import Parsed, check_fixed_quantity, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, numeric_block, text_column

FORMAT = "scaffold"
QUANTITY = "Samples Report value (the display option chosen at export)"
#: Scaffold's per-protein columns (every other column is a biological sample).
ANNOTATION_COLUMNS = frozenset({
    "#", "Visible?", "Starred?", "Accession Number", "Alternate ID", "Molecular Weight", "Protein Grouping Ambiguity",
    "Taxonomy", "Protein Identification Probability", "Exclusive Unique Peptide Count", "Exclusive Unique Spectrum Count",
    "Protein Cluster", "Cluster Identification Probability", "Quantitative Test", "Fold Change",
})
_NAMES = re.compile(r"^Identified Proteins \(\d+\)$")
_CLUSTER = re.compile(r"\s*\(\+\d+\)\s*$")


def detect_score(columns: list[str]) -> int:
    """Scaffold evidence: ``Accession Number`` beside its ``Visible?``/``Starred?``/grouping columns."""
    present = set(columns)
    if "Accession Number" not in present:
        return 0
    score = sum(1 for name in ("Visible?", "Starred?", "Protein Grouping Ambiguity", "Alternate ID", "Taxonomy") if name in present)
    score += any(_NAMES.match(c) for c in columns)
    return 2 + score if score >= 2 else 0


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a Samples Report; the sample columns are every column after Scaffold's own."""
    check_fixed_quantity(
        table, quantity, (QUANTITY, "value"), "quantity {quantity!r} does not apply to a Scaffold Samples Report",
        expected="no quantity= (the report holds the one value chosen at export)",
    )
    require_columns(table, ["Accession Number"], "Scaffold Samples Report")
    frame = table.frame
    columns = list(frame.columns)
    names_column = next((c for c in columns if _NAMES.match(c)), None)
    sample_columns = [c for c in columns if c not in ANNOTATION_COLUMNS and c != names_column and not c.startswith("Unnamed")]
    accessions = [_CLUSTER.sub("", a) for a in text_column(frame, "Accession Number")]
    ids = parse_protein_groups(
        accessions,
        genes=text_column(frame, "Alternate ID").tolist() if "Alternate ID" in columns else None,
        descriptions=text_column(frame, names_column).tolist() if names_column else None,
    )
    return Parsed(
        table=table, format=FORMAT, format_version="Samples Report",
        quantity=QUANTITY, values=numeric_block(table, sample_columns),
        sample_names=[c.strip() for c in sample_columns], sample_columns=sample_columns,
        ids=ids, id_column="Accession Number",
        read_columns=[c for c in (names_column, "Alternate ID") if c and c in columns],
    )
