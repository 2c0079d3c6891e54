"""MSstats and MSstatsTMT protein-level summaries (``ProteinLevelData``), long format: one row per protein and
run (label-free) or per protein, run and channel (TMT), read as a proteins x samples matrix.

MSstats ``dataProcess()`` (version 4: ``ProteinLevelData``; version 3: ``RunlevelData``) writes ``RUN``,
``Protein``, ``LogIntensities`` (log2), ``originalRUN`` (the run's file name), ``GROUP`` and ``SUBJECT``;
MSstatsTMT ``proteinSummarization()`` writes ``Mixture``, ``TechRepMixture``, ``Run``, ``Channel``,
``Protein``, ``Abundance`` (log2), ``BioReplicate`` and ``Condition`` (MSstats and MSstatsTMT reference
manuals, Bioconductor). quantms writes the same tables after its MSstats step. Each (protein, sample) pair
has one row, as MSstats writes them; a repeated pair is refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, check_fixed_quantity
from secretome.io.identifiers import parse_protein_groups
from secretome.io.samples import strip_raw_extension
from secretome.io.table import RawTable, numeric_block, text_column

FORMAT = "msstats"
LFQ_COLUMNS = frozenset({"Protein", "LogIntensities", "originalRUN"})
TMT_COLUMNS = frozenset({"Protein", "Abundance", "Run", "Channel", "Mixture"})
#: Per-sample design columns that become ``.obs`` columns (label-free, TMT).
_LFQ_DESIGN = {"GROUP": "condition", "SUBJECT": "subject"}
_TMT_DESIGN = {"Mixture": "mixture", "TechRepMixture": "technical_replicate", "Channel": "channel",
               "BioReplicate": "bioreplicate", "Condition": "condition"}


def detect_score(columns: list[str]) -> int:
    """MSstats evidence: its protein-level summary columns (label-free or TMT)."""
    present = set(columns)
    return 8 if LFQ_COLUMNS <= present or TMT_COLUMNS <= present else 0


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Pivot a ProteinLevelData table to proteins x samples (log2 values, as MSstats writes them)."""
    columns = set(table.frame.columns)
    tmt = not LFQ_COLUMNS <= columns
    value_column = "Abundance" if tmt else "LogIntensities"
    check_fixed_quantity(
        table, quantity, (value_column, "log2"), "unknown quantity {quantity!r} for an MSstats protein summary",
        expected=repr(value_column),
    )
    frame = table.frame
    if tmt:
        samples = text_column(frame, "Run") + " " + text_column(frame, "Channel")
        design = _TMT_DESIGN
    else:
        samples = text_column(frame, "originalRUN").map(lambda run: strip_raw_extension(run.strip()))
        design = _LFQ_DESIGN
    proteins = text_column(frame, "Protein")
    quantities = numeric_block(table, [value_column])[:, 0]
    keyed = pd.DataFrame({"protein": proteins.to_numpy(), "sample": samples.to_numpy(), "value": quantities})
    repeated = keyed.duplicated(["protein", "sample"], keep=False).to_numpy()
    if repeated.any():
        protein, sample = keyed.loc[repeated, ["protein", "sample"]].iloc[0]
        rows = [int(r) for r in table.row_numbers[((keyed["protein"] == protein) & (keyed["sample"] == sample)).to_numpy()]]
        raise SecretomeInputError(
            f"protein {protein!r} has {len(rows)} rows for sample {sample!r} (rows {rows[:6]})",
            file=table.path, column="Protein", expected="one row per protein and sample, as MSstats writes them",
        )
    sample_order = list(dict.fromkeys(keyed["sample"]))
    first = ~keyed["protein"].duplicated().to_numpy()
    protein_order = keyed["protein"][first].tolist()
    wide = keyed.drop_duplicates(["protein", "sample"]).pivot(index="protein", columns="sample", values="value")
    wide = wide.reindex(index=protein_order, columns=sample_order)
    annotations = pd.DataFrame(index=pd.Index(sample_order, dtype=object))
    for column, label in design.items():
        if column in columns:
            per_sample = pd.DataFrame({"s": samples, "v": text_column(frame, column)}).drop_duplicates("s")
            annotations[label] = per_sample.set_index("s")["v"].reindex(sample_order).to_numpy()
    sub = table.subset_rows(first)
    return Parsed(
        table=sub, format=FORMAT,
        format_version="MSstatsTMT ProteinLevelData (Run x Channel)" if tmt else "MSstats ProteinLevelData (runs)",
        quantity=f"{value_column} (log2)", values=wide.to_numpy(dtype=np.float64), sample_names=sample_order,
        sample_columns=sample_order, ids=parse_protein_groups(protein_order), id_column="Protein",
        sample_annotations=annotations if annotations.shape[1] else None,
        read_columns=[value_column, "originalRUN" if not tmt else "Run", *[c for c in design if c in columns]],
    )
