"""Perseus exported matrices: column types from ``T:``/``N:``/``C:``/``E:`` name prefixes or ``#!{Type}`` rows.

Perseus' own text export puts a ``#!{Type}`` row under the header (E = expression/sample, N = numeric
annotation, T = text, C = categorical, M = multi-numeric) and optional ``#!{C:Name}`` rows that give each
expression column a category (e.g. its group), which become ``.obs`` columns. Hand-edited exports (e.g. the
Wallis 2021 MS1 table) instead prefix annotation columns with ``T: ``; unprefixed numeric columns are then
samples unless the generic rules exclude them (statistics, group means). Values are usually log2 (detected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from secretome.io.dataset import Parsed, check_fixed_quantity, engine_columns
from secretome.io.generic import QUANTITY, bare_name, column_roles, parsed_from_roles
from secretome.io.maxquant import engine_column_names
from secretome.io.identifiers import prefix_flags
from secretome.io.table import RawTable, text_column

FORMAT = "perseus"
_PREFIXES = ("T: ", "N: ", "C: ", "E: ", "M: ")
_ANNOTATION_PREFIXES = ("T: ", "N: ", "C: ", "M: ")


def _annotation_rows(table: RawTable, head: int | None = None) -> np.ndarray:
    """Which rows (of the first ``head``, default all) are ``#!{...}`` annotation rows."""
    first = table.frame.iloc[:head, 0].to_numpy(dtype=object)
    return np.fromiter((isinstance(v, str) and v.startswith("#!{") for v in first), dtype=bool, count=len(first))


#: The columns of Perseus' volcano-plot table export (its matrix with the plot's symbol settings; no type prefixes).
VOLCANO_COLUMNS = frozenset({"Symbol color", "Symbol type", "Symbol size", "Show label"})


def detect_score(columns: list[str], table: RawTable | None = None) -> int:
    """Perseus evidence: typed column prefixes (two, or one of an annotation type: Perseus writes ``N: ``, ``C: ``,
    ``T: `` and ``M: `` before annotation columns, its expression columns bare), a ``#!{Type}`` row, or the
    columns of its volcano-plot table export."""
    prefixed = sum(1 for column in columns if column.startswith(_PREFIXES))
    annotation = any(column.startswith(_ANNOTATION_PREFIXES) for column in columns)
    typed = 0
    if table is not None and len(table.frame):
        typed = 5 if bool(_annotation_rows(table, 20).any()) else 0
    if annotation or VOLCANO_COLUMNS <= set(columns):
        typed = max(typed, 5)  # as strong as the type row: no other program writes these prefixes (or these columns)
    return prefixed + typed if prefixed >= 2 or typed else 0


#: Columns that may hold MaxQuant's protein groups in a Perseus matrix (with their CON__/REV__ prefixes).
GROUP_COLUMNS: tuple[str, ...] = ("Protein IDs", "Majority protein IDs", "Name")


def _prefix_flags(table: RawTable, by_bare: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Decoy and contaminant flags from the CON__/REV__ prefixes in whichever group column the matrix has
    (the identifier may be a gene or ``Name`` column, which would otherwise flag none of them)."""
    n = len(table.frame)
    decoy, contaminant = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for name in GROUP_COLUMNS:
        if name in by_bare:
            column_decoy, column_contaminant = prefix_flags(text_column(table.frame, by_bare[name]).tolist())
            decoy |= column_decoy
            contaminant |= column_contaminant
    return decoy, contaminant


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a Perseus matrix; sample columns are the expression (E) columns or, without types, the numbers."""
    check_fixed_quantity(
        table, quantity, (QUANTITY,), "quantity {quantity!r} does not apply to a Perseus matrix",
        expected="no quantity= (the expression columns are read)",
    )
    columns = list(table.frame.columns)
    marks = _annotation_rows(table)
    types: dict[str, str] = {}
    categories: dict[str, dict[str, str]] = {}
    if marks.any():
        for index in np.flatnonzero(marks):
            row = table.frame.iloc[index]
            first = str(row.iloc[0])
            name, _, rest = first[3:].partition("}")
            cells = [rest] + ["" if pd.isna(v) else str(v) for v in row.iloc[1:]]
            if name == "Type":
                types = {column: cell.strip()[:1].upper() for column, cell in zip(columns, cells)}
            elif name.startswith("C:"):
                categories[name[2:]] = dict(zip(columns, cells))
        table = table.subset_rows(~marks)
        version = "matrix with #!{Type} row"
    else:
        for column in columns:
            if column.startswith(_PREFIXES):
                types[column] = column[0]
        version = "matrix with T:/N:/C: column prefixes"
    roles = column_roles(table, types)
    parsed = parsed_from_roles(table, roles, format_name=FORMAT, format_version=version)
    by_bare = {bare_name(column): column for column in columns}
    for name, values in engine_columns(table, **engine_column_names(by_bare)).items():
        setattr(parsed, name, values)  # MaxQuant's flags and counts, as Perseus keeps them
    decoy, contaminant = _prefix_flags(table, by_bare)
    parsed.is_decoy = decoy if parsed.is_decoy is None else parsed.is_decoy | decoy
    parsed.is_contaminant = contaminant if parsed.is_contaminant is None else parsed.is_contaminant | contaminant
    if categories:
        annotations = pd.DataFrame(index=pd.Index(parsed.sample_names, dtype=object))
        for name, per_column in categories.items():
            annotations[name] = [per_column.get(column, "") for column in parsed.sample_columns]
        parsed.sample_annotations = annotations
    if types and any(letter == "E" for letter in types.values()):
        parsed.quantity = "expression columns (E)"
    return parsed
