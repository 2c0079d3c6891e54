"""Progenesis QI for proteomics (Nonlinear Dynamics / Waters) protein exports ("Export protein measurements").

The export has three header rows: the first names the quantity blocks (``Normalized abundance``, ``Raw
abundance``, ``Spectral counts``) above their first column, the second the experimental condition above the
first sample of each condition within a block, the third the column names (``Accession``, ``Peptide count``,
``Unique peptides``, ``Confidence score``, ``Anova (p)``, ``Max fold change`` ..., ``Description``, then the
sample names, repeated in every block). The samples are the names of the chosen block; ``Normalized
abundance`` is read by default (Progenesis' normalised quantity), ``quantity='Raw abundance'`` reads the raw
one. The condition of each sample goes to ``.obs['condition']``. A peptide export (``Sequence``, ``Peptide
identifier`` among the column names) is refused as such.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, choose_quantity
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, column_key, numeric_block, repeated_name_error, text_column

FORMAT = "progenesis"
#: The quantity blocks of a Progenesis QI export, in order of preference.
BLOCKS: tuple[str, ...] = ("Normalized abundance", "Raw abundance", "Spectral counts")
#: Labels Progenesis writes in the first header row besides the blocks (peptide exports).
_OTHER_LABELS = frozenset({"Best identification"})
#: Column names of Progenesis' peptide (ion) exports.
_PEPTIDE_NAMES = frozenset({"Sequence", "Peptide identifier", "Modifications"})


def _unnamed(column: str) -> bool:
    """An empty header field (R's read.csv names them X, X.1, X.2 ...)."""
    return column.startswith("(unnamed column") or column == "" or re.fullmatch(r"X(?:\.\d+)?", column) is not None


def _block(column: str) -> str | None:
    """The quantity block a first-row label names (as written, or as R's make.names spells it), else None."""
    return next((block for block in BLOCKS if column_key(block) == column_key(column)), None)


def detect_score(columns: list[str]) -> int:
    """Progenesis evidence: a first header row holding only block labels above otherwise empty fields."""
    named = [c for c in columns if not _unnamed(c)]
    if len(named) > len(columns) / 2:  # (most of the first row's fields are empty in a Progenesis export)
        return 0
    labels = {column_key(label) for label in _OTHER_LABELS}
    if not named or not any(_block(c) for c in named) or not all(_block(c) or column_key(c) in labels for c in named):
        return 0
    return 7


def _cell(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a Progenesis QI protein export; default quantity 'Normalized abundance'."""
    frame = table.frame
    header = [str(c) for c in frame.columns]
    if len(frame) < 3 or not any(_block(c) for c in header):
        raise SecretomeInputError(
            "this is not a Progenesis QI export with its three header rows (quantity blocks, conditions, column names)",
            file=table.path, expected="Progenesis QI's protein export ('Export protein measurements')",
        )
    conditions = [_cell(v) for v in frame.iloc[0]]
    names = [_cell(v) for v in frame.iloc[1]]
    row = int(table.row_numbers[1])
    if _PEPTIDE_NAMES & set(names):
        raise SecretomeInputError(
            f"this is a Progenesis QI peptide export (row {row} names {sorted(_PEPTIDE_NAMES & set(names))}: one row per "
            "peptide ion), not a protein-level quantity table", file=table.path,
            expected="Progenesis QI's protein export ('Export protein measurements') of the same experiment",
        )
    if "Accession" not in names:
        raise SecretomeInputError(
            f"the Progenesis QI export's column names (row {row}) have no 'Accession' column", file=table.path,
            row=row, expected="the protein export's third header row: Accession, Peptide count, ..., the sample names",
        )
    blocks, block_of, condition_of = [], None, []
    condition = ""
    for column, label in zip(header, conditions):
        if not _unnamed(column):
            block_of, condition = _block(column), ""
        condition = label or condition
        blocks.append(block_of)
        condition_of.append(condition if block_of else "")
    families = {block: [header[i] for i, b in enumerate(blocks) if b == block] for block in BLOCKS}
    family = choose_quantity(table, families, quantity, "Progenesis QI protein export")
    chosen = [i for i, b in enumerate(blocks) if b == family]
    renamed = [names[i] if blocks[i] in (None, family) else f"{names[i]} ({blocks[i]})" for i in range(len(header))]
    seen: dict[str, int] = {}
    for position, name in enumerate(renamed):
        if name in seen:
            raise repeated_name_error(table, name, seen[name] + 1, position + 1)
        seen[name] = position
    body = frame.iloc[2:].reset_index(drop=True)
    body.columns = renamed
    positions = {new: (table.positions or {}).get(old, i) for i, (old, new) in enumerate(zip(header, renamed))}
    data = replace(table, frame=body, row_numbers=table.row_numbers[2:], positions=positions,
                   width=len(renamed) if table.width else table.width)
    samples = [renamed[i] for i in chosen]
    values = numeric_block(data, samples)
    accession = text_column(body, "Accession")
    ids = parse_protein_groups(
        accession.tolist(), descriptions=text_column(body, "Description").tolist() if "Description" in body else None)
    counts = {name: pd.to_numeric(body[name], errors="coerce").to_numpy(dtype=np.float64)
              for name in ("Peptide count", "Unique peptides") if name in body}
    unread = {renamed[i]: f"quantity family {blocks[i]!r} (not chosen; quantity={blocks[i]!r} reads it)"
              for i in range(len(header)) if blocks[i] not in (None, family)}
    return Parsed(
        table=data, format=FORMAT, format_version="protein export (three header rows)", quantity=family,
        values=values, sample_names=samples, sample_columns=samples, ids=ids, id_column="Accession",
        n_peptides=counts.get("Peptide count"), n_unique_peptides=counts.get("Unique peptides"),
        sample_annotations=pd.DataFrame({"condition": [condition_of[i] for i in chosen]}, index=samples),
        unread=unread, read_columns=[c for c in ("Peptide count", "Unique peptides", "Description") if c in body],
        notes={"header_rows": f"rows {int(table.row_numbers[0])}-{row} under the first header row hold the condition "
                              "of each sample and the column names (Progenesis' three header rows)"},
    )
