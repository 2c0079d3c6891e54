"""Older FragPipe/Philosopher ``combined_protein.tsv``: ``Protein Group``/``SubGroup`` rows and per-sample
``Razor``/``Total``/``Unique`` ``Intensity`` and ``Spectral Count`` columns (before IonQuant's MaxLFQ).

A protein is keyed on its group and subgroup (``679a``): the same group number can appear with several
subgroups. The sample set is the names shared by the most suffix families; a column ending like a family
but naming no sample is listed as not read (see :mod:`secretome.io.fragpipe`).
"""

from __future__ import annotations

from secretome.io.dataset import Parsed, engine_columns, family_reasons, quantity_block, require_columns
from secretome.io.fragpipe import broken_pattern, family_columns, sample_set
from secretome.io.fragpipe import detect_score as fragpipe_score
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "philosopher"
#: Quantity families, in order of preference for the default (razor: each peptide counted once).
QUANTITIES: tuple[str, ...] = (
    "Razor Intensity", "Total Intensity", "Unique Intensity", "Razor Spectral Count", "Total Spectral Count",
    "Unique Spectral Count",
)
READ_COLUMNS: tuple[str, ...] = (
    "SubGroup", "Protein", "Protein ID", "Entry Name", "Gene Names", "Organism", "Description",
    "Indistinguishable Proteins", "Unique Stripped Peptides",
)


def detect_score(columns: list[str]) -> int:
    """Philosopher evidence: 'Protein Group' and 'SubGroup' next to FragPipe's protein columns, which this
    layout shares with FragPipe's later one: it scores above FragPipe's score of the same columns (the
    later layout has neither column)."""
    present = set(columns)
    if not {"Protein Group", "SubGroup", "Protein ID"} <= present:
        return 0
    return max(6 + sum(1 for name in ("Entry Name", "Protein Probability", "Top Peptide Probability") if name in present),
               fragpipe_score(columns) + 1)


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a Philosopher combined_protein table; default quantity Razor Intensity."""
    frame = table.frame
    columns = list(frame.columns)
    require_columns(table, ["Protein Group", "SubGroup", "Protein ID"], "Philosopher combined_protein")
    samples = sample_set(columns)
    groups = family_columns(columns, samples)
    families = {family: groups[family] for family in QUANTITIES}
    family, sample_columns, values = quantity_block(table, families, quantity, "Philosopher combined_protein")
    names = [column[: -len(family) - 1].strip() for column in sample_columns]
    keys = [f"{g}{s}" for g, s in zip(text_column(frame, "Protein Group"), text_column(frame, "SubGroup"))]
    ids = parse_protein_groups(
        text_column(frame, "Protein").tolist(),
        genes=text_column(frame, "Gene Names").tolist(),
        entry_names=text_column(frame, "Entry Name").tolist(),
        organisms=text_column(frame, "Organism").tolist(),
        descriptions=text_column(frame, "Description").tolist(),
    )
    ids["protein_group"] = keys
    unread = family_reasons(groups, family, sample_columns)
    unread.update(broken_pattern(columns, samples))
    return Parsed(
        table=table,
        format=FORMAT,
        format_version="combined_protein keyed on Protein Group + SubGroup",
        quantity=family,
        values=values,
        sample_names=names,
        sample_columns=sample_columns,
        ids=ids,
        id_column="Protein Group",
        unread=unread,
        read_columns=[c for c in READ_COLUMNS if c in columns],
        samples_without_quantity=[s for s in samples if s not in set(names)],
        **engine_columns(table, unique_peptides="Unique Stripped Peptides"),
    )
