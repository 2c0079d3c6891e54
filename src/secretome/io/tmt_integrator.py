"""FragPipe TMT-Integrator tables (``abundance_protein_*.tsv`` and ``ratio_protein_*.tsv``).

Columns ``Index`` (the protein), ``NumberPSM``, ``ProteinID``, ``MaxPepProb``, ``ReferenceIntensity``,
then one column per channel, named by the sample in the experiment annotation (FragPipe TMT-Integrator
documentation). Values are log2: in ``ratio_*`` files the ratio of each channel to the reference
(channel or virtual), in ``abundance_*`` files that ratio plus the log2 reference intensity. Which one a
file holds is stated in ``quantity``: from its name, else from its values (ratios centre on 0).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from secretome.io.dataset import Parsed, check_fixed_quantity
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, ReaderWarning, numeric_block, text_column

FORMAT = "tmt_integrator"
#: Channel columns may share a name (FragPipe names unassigned channels alike, e.g. 'MT'): they are set aside,
#: named in ``unread`` and a warning, never read (see :func:`secretome.io.detect.reader_for`).
READS_REPEATED_NAMES = True
ABUNDANCE = "log2 abundance (ratio to the reference + log2 reference intensity)"
RATIO = "log2 ratio to the reference channel"
#: TMT-Integrator names a channel column by its sample only; which plex (experiment) holds it is in FragPipe's
#: experiment annotation, not in the table.
PLEX_SOURCE = ("not written in TMT-Integrator tables: give FragPipe's experiment annotation (columns plex, "
               "channel) as the sample sheet and they enter .obs")
ANNOTATION_COLUMNS: tuple[str, ...] = (
    "Index", "NumberPSM", "ProteinID", "MaxPepProb", "ReferenceIntensity", "Gene", "Peptide", "Protein",
)


def detect_score(columns: list[str]) -> int:
    """TMT-Integrator evidence: its Index/NumberPSM/MaxPepProb/ReferenceIntensity columns."""
    return 8 if {"Index", "NumberPSM", "MaxPepProb", "ReferenceIntensity"} <= set(columns) else 0


def _trailing_annotations(table: RawTable, channels: list[str]) -> tuple[list[str], list[str]]:
    """(channels, annotation columns): text columns someone appended after the last channel (gene lists,
    cut-off labels; empty columns among them go with them) are set aside, only when they end the table and
    at least one holds text; a text column between channels stays a quantity error."""
    end = len(channels)
    any_text = False
    while end > 0:
        cells = table.frame[channels[end - 1]]
        if cells.dtype.kind in "fiub" and cells.notna().any():
            break
        filled = cells.dropna().astype(str).str.strip()
        filled = filled[(filled != "") & (filled.str.upper() != "NA")]
        if len(filled) and pd.to_numeric(filled, errors="coerce").notna().all():
            break
        any_text = any_text or bool(len(filled))
        end -= 1
    if not any_text:
        return channels, []
    return channels[:end], channels[end:]


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a TMT-Integrator protein table; every channel column is a sample."""
    check_fixed_quantity(
        table, quantity, ("abundance", "ratio", ABUNDANCE, RATIO), "unknown quantity {quantity!r} for TMT-Integrator",
        expected="abundance or ratio, as the file holds",
    )
    columns = list(table.frame.columns)
    after = columns[columns.index("ReferenceIntensity") + 1:]
    channels = [c for c in after if c not in ANNOTATION_COLUMNS and c not in table.repeated]
    repeated = {c: table.repeated[c][0] for c in after if c in table.repeated}
    if repeated:
        warnings.warn(
            f"{table.path}: {len(repeated)} channel columns share a name "
            f"({', '.join(repr(n) for n in sorted(set(repeated.values())))}) and "
            "are not read: channels that cannot be told apart (unassigned channels?) are never guessed",
            ReaderWarning, stacklevel=3,
        )
    channels, trailing = _trailing_annotations(table, channels)
    values = numeric_block(table, channels)
    file_name = table.path.name.casefold()
    if file_name.startswith("ratio"):
        kind = RATIO
    elif file_name.startswith("abundance"):
        kind = ABUNDANCE
    else:
        finite = values[np.isfinite(values)]
        kind = RATIO if finite.size and abs(float(np.median(finite))) < 2 else ABUNDANCE
    id_column = "ProteinID" if "ProteinID" in columns else "Index"
    parsed = Parsed(
        table=table, format=FORMAT, format_version=f"protein table ({'ratios' if kind == RATIO else 'abundances'})",
        quantity=kind, values=values, sample_names=channels, sample_columns=channels,
        ids=parse_protein_groups(text_column(table.frame, id_column).tolist()), id_column=id_column,
        read_columns=[c for c in ("Index", "ProteinID") if c in columns and c != id_column],
        unread={c: "PSM count, probability or reference intensity, not a channel" for c in ("NumberPSM", "MaxPepProb", "ReferenceIntensity")}
        | {c: f"channel name {shared!r} repeated in {list(repeated.values()).count(shared)} columns: they cannot be "
              "told apart and none is read" for c, shared in repeated.items()}
        | {c: "text column after the last channel (an annotation added to the table), not a channel" for c in trailing},
    )
    parsed.notes["isobaric"] = {
        "values": kind + (" (from the file name)" if file_name.startswith(("ratio", "abundance")) else " (from the values: ratios centre on 0)"),
        "value_kind": "ratio" if kind == RATIO else "abundance",
        "n_channels": len(channels),
        "plex_and_experiment": PLEX_SOURCE,
    }
    return parsed
