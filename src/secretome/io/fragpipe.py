"""FragPipe ``combined_protein.tsv``: MaxLFQ Intensity / Intensity / Spectral Count per sample."""

from __future__ import annotations

from secretome.io.dataset import Parsed, engine_columns, quantity_block, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "fragpipe"
#: Selectable quantity families, in order of preference for the default.
QUANTITIES: tuple[str, ...] = ("MaxLFQ Intensity", "Intensity", "Spectral Count")
#: Every per-sample suffix FragPipe writes; a column belongs to the longest suffix it ends with.
ALL_SUFFIXES: tuple[str, ...] = (
    "MaxLFQ Unique Intensity", "MaxLFQ Total Intensity", "MaxLFQ Razor Intensity", "MaxLFQ Intensity",
    "Unique Intensity", "Total Intensity", "Razor Intensity", "Intensity",
    "Unique Spectral Count", "Total Spectral Count", "Razor Spectral Count", "Spectral Count",
)
SIGNATURE: tuple[str, ...] = (
    "Protein", "Protein ID", "Entry Name", "Gene", "Protein Length", "Organism", "Protein Existence",
    "Description", "Protein Probability", "Top Peptide Probability", "Combined Total Peptides",
    "Combined Spectral Count", "Indistinguishable Proteins",
)


def detect_score(columns: list[str]) -> int:
    """How many FragPipe combined_protein columns the table has (0 = not FragPipe)."""
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    return score if "Protein ID" in present and score >= 3 else 0


def family_columns(columns: list[str]) -> dict[str, list[str]]:
    """Per-sample columns grouped by their (longest) FragPipe suffix; 'Combined ...' columns excluded."""
    groups: dict[str, list[str]] = {suffix: [] for suffix in ALL_SUFFIXES}
    for column in columns:
        if column.startswith("Combined "):
            continue
        for suffix in ALL_SUFFIXES:  # longest first within each kind
            if column.endswith(" " + suffix) and len(column) > len(suffix) + 1:
                groups[suffix].append(column)
                break
    return groups


def version(columns: list[str]) -> str:
    """Which quantification the combined_protein table carries (FragPipe does not write its version)."""
    groups = family_columns(columns)
    if groups["MaxLFQ Intensity"]:
        return "combined_protein with IonQuant MaxLFQ"
    if groups["Intensity"]:
        return "combined_protein with intensities (no MaxLFQ)"
    return "combined_protein with spectral counts only"


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a FragPipe combined_protein table; default quantity MaxLFQ Intensity when present."""
    frame = table.frame
    columns = list(frame.columns)
    require_columns(table, ["Protein ID"], "FragPipe combined_protein")
    groups = family_columns(columns)
    families = {family: groups[family] for family in QUANTITIES}
    family, sample_columns, values = quantity_block(table, families, quantity, "FragPipe combined_protein")
    group_column = "Protein" if "Protein" in columns else "Protein ID"
    leading = text_column(frame, group_column)
    others = text_column(frame, "Indistinguishable Proteins")
    entry = text_column(frame, "Entry Name")
    ids = parse_protein_groups(
        [";".join([lead, *[o.strip() for o in other.split(",") if o.strip()]]) for lead, other in zip(leading, others)],
        genes=text_column(frame, "Gene").tolist(),
        entry_names=entry.tolist(),
        organisms=text_column(frame, "Organism").tolist(),
        descriptions=text_column(frame, "Description").tolist(),
    )
    ids["protein_group"] = leading.tolist()
    return Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns),
        quantity=family,
        values=values,
        sample_names=[column[: -len(family) - 1].strip() for column in sample_columns],
        sample_columns=sample_columns,
        ids=ids,
        id_column=group_column,
        **engine_columns(table, peptides="Combined Total Peptides", unique_peptides="Combined Unique Peptides"),
    )
