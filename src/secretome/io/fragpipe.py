"""FragPipe ``combined_protein.tsv``: MaxLFQ Intensity / Intensity / Spectral Count per sample.

The sample set is FragPipe's own: the ``<sample> Spectral Count`` columns it writes for every sample. A
column that ends like a quantity but names no sample (renamed by hand) is never read into any family; it
is listed with its reason, and samples the chosen family lacks are named (``samples_without_quantity``).
"""

from __future__ import annotations

from secretome.io.dataset import Parsed, engine_columns, family_reasons, quantity_block, require_columns
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
#: Columns read into ``.var`` (identifiers, species, description, peptide counts).
IDENTIFIER_COLUMNS: tuple[str, ...] = (
    "Protein", "Indistinguishable Proteins", "Entry Name", "Gene", "Organism", "Description",
    "Combined Total Peptides", "Combined Unique Peptides",
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


def sample_set(columns: list[str]) -> list[str]:
    """The run's samples, from FragPipe's own structure: it writes ``'<sample> Spectral Count'`` for every
    sample (whatever the quantification); without those, the names that most suffix families share."""
    counts = [c[: -len(" Spectral Count")] for c in columns if _plain_suffix(c) == "Spectral Count"]
    if counts:
        return counts
    prefixes: dict[str, int] = {}
    for column in columns:
        suffix = _plain_suffix(column)
        if suffix is not None:
            prefix = column[: -len(suffix) - 1]
            prefixes[prefix] = prefixes.get(prefix, 0) + 1
    most = max(prefixes.values(), default=0)
    return [prefix for prefix, n in prefixes.items() if n == most]


def _plain_suffix(column: str) -> str | None:
    """The longest FragPipe suffix ``column`` ends with (None for 'Combined ...'/'Summarized ...' totals and
    other columns)."""
    if column.startswith(("Combined ", "Summarized ")) or column in ALL_SUFFIXES:
        return None  # (a bare 'Total Intensity' is one experiment's summary in protein.tsv, not a sample 'Total')
    for suffix in ALL_SUFFIXES:  # longest first within each kind
        if column.endswith(" " + suffix) and len(column) > len(suffix) + 1:
            return suffix
    return None


def family_columns(columns: list[str], samples: list[str] | None = None) -> dict[str, list[str]]:
    """Per-sample columns grouped by their (longest) FragPipe suffix, for the samples of :func:`sample_set`
    only; 'Combined ...' columns and columns whose sample part is not a sample are left out
    (see :func:`broken_pattern`)."""
    known = set(sample_set(columns) if samples is None else samples)
    groups: dict[str, list[str]] = {suffix: [] for suffix in ALL_SUFFIXES}
    for column in columns:
        suffix = _plain_suffix(column)
        if suffix is not None and column[: -len(suffix) - 1] in known:
            groups[suffix].append(column)
    return groups


def broken_pattern(columns: list[str], samples: list[str]) -> dict[str, str]:
    """Columns that end like a per-sample quantity but whose sample part is none of the samples (renamed by
    hand, e.g. ``'S1 MaxLFQ remove Intensity'``), each with the reason it is not read."""
    known = set(samples)
    out = {}
    for column in columns:
        suffix = _plain_suffix(column)
        if suffix is None or column[: -len(suffix) - 1] in known:
            continue
        prefix = column[: -len(suffix) - 1]
        owner = next((s for s in sorted(known, key=len, reverse=True) if prefix.startswith(s + " ")), None)
        out[column] = (
            f"ends like a {suffix!r} column but {prefix!r} is not one of the {len(known)} samples"
            + (f" (it starts with sample {owner!r}: a renamed column?)" if owner else "")
            + "; not read"
        )
    return out


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
    samples = sample_set(columns)
    groups = family_columns(columns, samples)
    families = {family: groups[family] for family in QUANTITIES}
    family, sample_columns, values = quantity_block(table, families, quantity, "FragPipe combined_protein")
    names = [column[: -len(family) - 1].strip() for column in sample_columns]
    unread = family_reasons(groups, family, sample_columns)
    unread.update(broken_pattern(columns, samples))
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
        sample_names=names,
        sample_columns=sample_columns,
        ids=ids,
        id_column=group_column,
        unread=unread,
        read_columns=[c for c in IDENTIFIER_COLUMNS if c in columns and c != group_column],
        samples_without_quantity=[sample for sample in samples if sample not in set(names)],
        **engine_columns(table, peptides="Combined Total Peptides", unique_peptides="Combined Unique Peptides"),
    )
