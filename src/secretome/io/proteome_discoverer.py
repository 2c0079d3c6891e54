"""Thermo Proteome Discoverer protein exports (text or XLSX): ``Abundance: F1: Sample`` families.

PD writes one column per file (and per channel for TMT) and family: ``Abundance: F1: Sample`` (raw),
``Abundances (Normalized): F1: Sample``, ``Abundances (Grouped): ...``, ``Abundances (Scaled): ...`` and
ratios ``Abundance Ratio: (F2) / (F1)``; some exports drop the spaces (``Abundance:S1:Sample``), and PD 1.4
wrote one ``Area`` column for a one-file search (the sample is then named after the file). The part after the family is ``<file id>[: <channel>], <sample
type>[, <condition> ...]``; the samples are named by the file id (``F1``), or by file id and channel when
one file carries several channels (TMT), and the parts go to ``.obs``. ``Abundances Count`` columns are
counts, not quantities. Only rows PD marks as master proteins (``Master``) are proteins; other rows (group
members PD lists beside their master) are not read, and their number is recorded.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import (
    Parsed, ReaderWarning, engine_columns, family_reasons, flag_column, quantity_block, require_columns,
)
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "proteome_discoverer"
#: Quantity families, in order of preference for the default (normalised first, as PD's own statistics).
QUANTITIES: tuple[str, ...] = (
    "Abundances (Normalized)", "Abundance", "Abundances (Grouped)", "Abundances (Scaled)", "Area", "Abundance Ratio",
)
#: Ratio families are relative values (log2 or not, as the family says), never mixed with abundances.
_FAMILY = re.compile(r"^(?P<family>Abundances? ?(?:\((?:Normalized|Grouped|Scaled)\))?|Abundance Ratio(?: \(log2\))?|Area)"
                     r":\s*(?P<tail>.+)$")
#: The same abundance families as some exports write them, without colons or parentheses (``Abundance S1rep1``,
#: ``Abundances Normalized F1 Sample``): the family's words, a space, then the file and sample words.
_SPACED_FAMILY = re.compile(r"^(?P<family>Abundances?(?: \(?(?:Normalized|Grouped|Scaled)\)?)?) "
                            r"(?!Ratio|Count|CV|\(|Normalized|Grouped|Scaled)(?P<tail>\S.*)$")
_QUALIFIER = re.compile(r"^Abundances? \(?(?P<qualifier>Normalized|Grouped|Scaled)\)?$")
#: PD 1.4's one-file protein table: a single ``Area`` column (precursor ions area detector) for the one sample.
_SINGLE_AREA = "Area"
_CHANNEL = re.compile(r"^(?:1[0-3]\d[NC]?|Light|Medium|Heavy)$")  # TMT/iTRAQ reporter or SILAC channel
_MASTER_VALUES = {"ismasterprotein", "master protein", "master"}
SIGNATURE: tuple[str, ...] = (
    "Accession", "Master", "Description", "# Peptides", "# PSMs", "# Unique Peptides", "# AAs", "MW [kDa]",
    "calc. pI", "Coverage [%]", "Sum PEP Score", "Exp. q-value: Combined", "Protein FDR Confidence: Combined",
)
#: PD's decoy marks, as its versions and export settings write them: a true/false flag or a count of decoy
#: matches (a row with any is a decoy); the first present is read into ``.var['is_decoy']``.
DECOY_COLUMNS: tuple[str, ...] = ("Decoy", "Is Decoy", "# Decoy", "# Decoys")
READ_COLUMNS: tuple[str, ...] = ("Description", "Master", "Contaminant", *DECOY_COLUMNS, "# Peptides", "# Unique Peptides")


def detect_score(columns: list[str]) -> int:
    """PD evidence: its '# PSMs'/'# AAs'/'Master' columns next to 'Accession', plus abundance columns."""
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    if any(_family_match(column) for column in columns):
        score += 2
    return score if "Accession" in present and ("# PSMs" in present or "Master" in present) and score >= 4 else 0


def _family_match(column: str) -> re.Match | None:
    """The family and tail of a PD quantity column, with colons (``Abundance: F1: Sample``) or without."""
    return _FAMILY.match(column) or _SPACED_FAMILY.match(column)


def family_columns(columns: list[str]) -> dict[str, list[str]]:
    """Per-sample columns of each family (ratio columns under 'Abundance Ratio')."""
    groups: dict[str, list[str]] = {name: [] for name in QUANTITIES}
    for column in columns:
        match = _family_match(column)
        if match is None:
            continue
        family = match.group("family")
        qualified = _QUALIFIER.match(family)
        family = f"Abundances ({qualified.group('qualifier')})" if qualified else family
        family = "Abundance Ratio" if family.startswith("Abundance Ratio") else family
        family = "Abundance" if family == "Abundances" else family
        if family in groups:
            groups[family].append(column)
    if not groups["Area"] and _SINGLE_AREA in columns:
        groups["Area"] = [_SINGLE_AREA]
    return groups


def _tail(column: str) -> str:
    """The part after the family, in the colon form (``F1 128N Sample`` -> ``F1: 128N, Sample``)."""
    match = _FAMILY.match(column)
    if match:
        return match.group("tail").strip()
    spaced = _SPACED_FAMILY.match(column)
    if spaced is None:
        return column
    file_id, *rest = spaced.group("tail").split()
    return f"{file_id}: {', '.join(rest)}" if rest else file_id


def _annotations(tails: list[str]) -> tuple[list[str], pd.DataFrame]:
    """Sample names and ``.obs`` columns (file id, channel, sample type, condition) from the column tails."""
    parts = []
    for tail in tails:
        file_id, _, rest = tail.partition(":")
        fields = [f.strip() for f in rest.split(",") if f.strip()]
        channel = fields.pop(0) if fields and _CHANNEL.match(fields[0]) else ""
        parts.append((file_id.strip(), channel, fields[0] if fields else "", ", ".join(fields[1:])))
    ids = [p[0] for p in parts]
    unique_ids = len(set(ids)) == len(ids) and all(ids)
    names = ids if unique_ids else [f"{p[0]} {p[1]}".strip() if p[1] else tail for p, tail in zip(parts, tails)]
    frame = pd.DataFrame(index=pd.Index(names, dtype=object))
    frame["file_id"] = ids
    if any(p[1] for p in parts):
        frame["channel"] = [p[1] for p in parts]
    frame["sample_type"] = [p[2] for p in parts]
    if any(p[3] for p in parts):
        frame["condition"] = [p[3] for p in parts]
    return names, frame


def _decoy_flags(table: RawTable) -> np.ndarray | None:
    """The first of :data:`DECOY_COLUMNS` present: '+'/true/yes flags, or a count of decoy matches > 0."""
    column = next((c for c in DECOY_COLUMNS if c in table.frame.columns), None)
    if column is None:
        return None
    counts = pd.to_numeric(table.frame[column], errors="coerce")
    filled = table.frame[column].map(lambda v: not pd.isna(v) and str(v).strip() != "")
    if filled.any() and counts[filled.to_numpy()].notna().all():
        return (counts.fillna(0).to_numpy(dtype=np.float64) > 0)
    return flag_column(table, column)


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a PD protein table; default quantity 'Abundances (Normalized)' when present. Decoy rows (a
    :data:`DECOY_COLUMNS` mark) and contaminants (``Contaminant``) are flagged in ``.var``, never dropped."""
    columns = list(table.frame.columns)
    require_columns(table, ["Accession"], "Proteome Discoverer protein table")
    n_not_master = 0
    if "Master" in columns:
        master = text_column(table.frame, "Master").str.casefold().isin(_MASTER_VALUES).to_numpy()
        n_not_master = int((~master).sum())
        if n_not_master:
            if not master.any():
                raise SecretomeInputError(
                    "no row is marked as a master protein", file=table.path, column="Master",
                    expected="PD's protein table with 'Master Protein' rows",
                )
            warnings.warn(
                f"{table.path}: {n_not_master} rows are not master proteins (column 'Master') and are not read",
                ReaderWarning, stacklevel=3,
            )
            table = table.subset_rows(master)
    families = family_columns(columns)
    family, sample_columns, values = quantity_block(table, families, quantity, "Proteome Discoverer protein table")
    tails = [_tail(c) if c != _SINGLE_AREA else f"{Path(str(table.path)).stem}: Sample" for c in sample_columns]
    names, annotations = _annotations(tails)
    frame = table.frame
    ids = parse_protein_groups(
        text_column(frame, "Accession").tolist(), descriptions=text_column(frame, "Description").tolist()
    )
    unread = family_reasons(families, family, sample_columns)
    for column in columns:
        if column.startswith("Abundances Count:"):
            unread[column] = "count of quantified features, not a quantity"
        elif column.startswith("Abundance Ratio") and not _FAMILY.match(column):
            unread[column] = "statistic of a ratio (p-value, variability or weight), not a quantity"
        elif column.startswith("Abundance Ratio") and family != "Abundance Ratio" and column not in unread:
            unread[column] = "ratio statistic (not chosen; quantity='Abundance Ratio' reads ratios)"
        elif column.startswith("Abundances") and " CV [%]" in column:
            unread[column] = "coefficient of variation of a group, not a quantity"
        elif column.startswith("Found in Sample"):
            unread[column] = "detection status per sample (high/peak found/not found), not a quantity"
    version = f"protein table ({family})" + (", ratios (relative to the denominator sample)" if family == "Abundance Ratio" else "")
    parsed = Parsed(
        table=table,
        format=FORMAT,
        format_version=version,
        quantity=family,
        values=values,
        sample_names=names,
        sample_columns=sample_columns,
        ids=ids,
        id_column="Accession",
        sample_annotations=annotations,
        unread=unread,
        read_columns=[c for c in READ_COLUMNS if c in columns],
        **(engine_columns(table, contaminant="Contaminant", peptides="# Peptides", unique_peptides="# Unique Peptides")
           | {"is_decoy": _decoy_flags(table)}),
    )
    parsed.notes["n_rows_not_master"] = n_not_master
    return parsed
