"""PEAKS (Studio 8.5 to 12, X/Xpro) protein tables: per-sample areas, intensities or spectral counts.

Three layouts are read. Named families (``data/peaks_quantities.tsv``): ``'Area S1'``/``'#Spec S1'`` (PEAKS
X/Xpro) or ``'S1 Area'``/``'S1.raw Normalized Area'`` (PEAKS Studio 11+). The LFQ protein export of PEAKS
8.5/X (PEAKS Q): the samples' areas are headed by the bare sample names between ``Avg. Area`` and
``Sample Profile (Ratio)``, followed by one column per group (the group's mean area, not a sample) up to
``Group Profile (Ratio)``.
"""

from __future__ import annotations

import io
from functools import lru_cache
from importlib import resources

import pandas as pd

from secretome.io.dataset import Parsed, engine_columns, family_reasons, quantity_block, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.samples import strip_raw_extension
from secretome.io.table import RawTable, text_column

FORMAT = "peaks"
#: The LFQ export's per-sample area family (bare sample-name columns).
LFQ_AREA = "Area"
SIGNATURE: tuple[str, ...] = (
    "Accession", "-10lgP", "Significance", "Coverage (%)", "#Peptides", "#Unique", "PTM", "Avg. Mass",
    "Description", "Protein Group", "Protein ID",
)
#: Columns that start or end like a family but summarise the whole row, not one sample.
NOT_SAMPLES = frozenset({"Avg. Area", "Avg. Mass"})
_SAMPLE_PROFILE, _GROUP_PROFILE = "Sample Profile (Ratio)", "Group Profile (Ratio)"


@lru_cache(maxsize=1)
def families() -> tuple[str, ...]:
    """Family words from ``data/peaks_quantities.tsv``, in default order (rank, then file order). Comment
    lines start with '# ' (a family word may start with '#': '#Spec')."""
    path = resources.files("secretome.io").joinpath("data/peaks_quantities.tsv")
    with path.open("r", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("# ")]
    rows = pd.read_csv(io.StringIO("".join(lines)), sep="\t", dtype={"family": str, "rank": int})
    ordered = sorted(range(len(rows)), key=lambda i: (int(rows["rank"][i]), i))
    return tuple(str(rows["family"][i]) for i in ordered)


def detect_score(columns: list[str]) -> int:
    """PEAKS evidence: its -10lgP (or LFQ Significance) score and #Peptides/#Unique/Avg. Mass columns."""
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    if any(_family_of(column) for column in columns):
        score += 1
    peaks_score = "-10lgP" in present or ("Significance" in present and "Avg. Mass" in present)
    return score if peaks_score or ("#Unique" in present and "Accession" in present) else 0


def _family_of(column: str) -> tuple[str, str] | None:
    """(family, sample) of a named per-sample column, by the longest family word it starts or ends with."""
    if column in NOT_SAMPLES:
        return None
    for family in sorted(families(), key=len, reverse=True):
        if column.startswith(family + " ") and len(column) > len(family) + 1:
            return family, column[len(family) + 1:].strip()
        if column.endswith(" " + family) and len(column) > len(family) + 1:
            return family, strip_raw_extension(column[: -len(family) - 1].strip())
    return None


def family_columns(columns: list[str]) -> dict[str, list[str]]:
    """Per-sample columns of each named family (``'Area d_pulp_18'``, ``'S1.raw Area'``)."""
    groups: dict[str, list[str]] = {family: [] for family in families()}
    for column in columns:
        found = _family_of(column)
        if found:
            groups[found[0]].append(column)
    return groups


def _lfq_layout(columns: list[str]) -> tuple[list[str], list[str]] | None:
    """(sample columns, group columns) of the LFQ export, or None for other layouts."""
    if not {"Avg. Area", _SAMPLE_PROFILE} <= set(columns):
        return None
    start, profile = columns.index("Avg. Area"), columns.index(_SAMPLE_PROFILE)
    end = columns.index(_GROUP_PROFILE) if _GROUP_PROFILE in columns[profile:] else profile + 1
    return columns[start + 1: profile], columns[profile + 1: end]


def version(columns: list[str], layout: str) -> str:
    """PEAKS does not write its version into the table; report the layout instead."""
    return {
        "lfq": "LFQ protein export (PEAKS Q: sample areas between Avg. Area and Sample Profile)",
        "prefix": "protein table with '<family> <sample>' columns (PEAKS X/Xpro style)",
        "suffix": "protein table with '<sample> <family>' columns (PEAKS Studio 11+ style)",
    }[layout]


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a PEAKS protein table; identifiers from ``Accession`` (``ACC|ENTRY_SPECIES``)."""
    frame = table.frame
    columns = list(frame.columns)
    require_columns(table, ["Accession"], "PEAKS protein table")
    lfq = _lfq_layout(columns)
    groups = {family: found for family, found in family_columns(columns).items() if found}
    unread: dict[str, str] = {}
    if lfq is not None:
        groups[LFQ_AREA] = lfq[0]
        unread.update({c: "a group's mean area (PEAKS LFQ group column), not a sample" for c in lfq[1]})
        unread.update({c: "PEAKS' per-protein summary (ratio profile or mean), not a sample" for c in
                       ("Avg. Area", _SAMPLE_PROFILE, _GROUP_PROFILE, "Max Ratio", "#Vector") if c in columns})
    groups = {family: groups.get(family, []) for family in families()}
    family, sample_columns, values = quantity_block(table, groups, quantity, "PEAKS protein")
    if lfq is not None and family == LFQ_AREA:
        layout, names = "lfq", [strip_raw_extension(c.strip()) for c in sample_columns]
    else:
        layout = "prefix" if sample_columns and sample_columns[0].startswith(family + " ") else "suffix"
        names = [_family_of(c)[1] for c in sample_columns]
    unread.update(family_reasons(groups, family, sample_columns))
    ids = parse_protein_groups(
        text_column(frame, "Accession").tolist(), descriptions=text_column(frame, "Description").tolist()
    )
    return Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns, layout),
        quantity=family,
        values=values,
        sample_names=names,
        sample_columns=sample_columns,
        ids=ids,
        id_column="Accession",
        unread=unread,
        **engine_columns(table, peptides="#Peptides", unique_peptides="#Unique"),
    )
