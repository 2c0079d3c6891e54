"""Spectronaut protein-group exports: PG.Quantity in long (one row per run) or pivoted layout.

Long: ``R.FileName`` (run), optional ``R.Condition``/``R.Replicate``, ``PG.ProteinGroups`` and
``PG.Quantity``; precursor-level reports repeat a protein's PG.Quantity on every row of a run, so repeats
are collapsed when identical and refused when they conflict. Pivoted: one ``[n] run.PG.Quantity`` column per
run. "Filtered" and "NaN" cells are missing values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, check_fixed_quantity, count_column, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.samples import strip_raw_extension
from secretome.io.table import RawTable, numeric_block, text_column

FORMAT = "spectronaut"
QUANTITY = "PG.Quantity"
ID_COLUMNS: tuple[str, ...] = ("PG.ProteinGroups", "PG.ProteinAccessions")
_PIVOT = re.compile(r"^(?:\[\d+\]\s*)?(?P<run>.+?)\.PG\.Quantity$")
_RUN_ANNOTATIONS = {"R.Condition": "condition", "R.Replicate": "replicate", "R.Label": "label"}


def detect_score(columns: list[str]) -> int:
    """Spectronaut evidence: PG.* columns plus a PG.Quantity column (long) or per-run columns (pivoted)."""
    pg = sum(1 for column in columns if column.startswith("PG."))
    pivot = sum(1 for column in columns if _PIVOT.match(column))
    if QUANTITY in columns and "R.FileName" in columns:
        return 3 + pg
    if pivot:
        return 2 + pg
    return pg if pg >= 2 else 0


def _run_name(text: str) -> str:
    return strip_raw_extension(text.strip())


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a Spectronaut protein report in either layout."""
    check_fixed_quantity(
        table, quantity, (QUANTITY,), "unknown quantity {quantity!r} for Spectronaut", expected=repr(QUANTITY)
    )
    columns = list(table.frame.columns)
    id_column = next((c for c in ID_COLUMNS if c in columns), None)
    if id_column is None:
        require_columns(table, [ID_COLUMNS[0]], "Spectronaut")
    if "R.FileName" in columns and QUANTITY in columns:
        return _read_long(table, id_column)
    pivot_columns = [c for c in columns if _PIVOT.match(c)]
    if not pivot_columns:
        require_columns(table, [QUANTITY], "Spectronaut")
    return _read_pivot(table, id_column, pivot_columns)


def _identifiers(frame: pd.DataFrame, id_column: str) -> pd.DataFrame:
    return parse_protein_groups(
        text_column(frame, id_column).tolist(),
        genes=text_column(frame, "PG.Genes").tolist(),
        entry_names=text_column(frame, "PG.ProteinNames").tolist(),
        organisms=text_column(frame, "PG.Organisms").tolist(),
        descriptions=text_column(frame, "PG.ProteinDescriptions").tolist(),
    )


def _read_pivot(table: RawTable, id_column: str, pivot_columns: list[str]) -> Parsed:
    frame = table.frame
    values = numeric_block(table, pivot_columns)
    names = [_run_name(_PIVOT.match(c).group("run")) for c in pivot_columns]
    return Parsed(
        table=table, format=FORMAT, format_version="pivoted report ([n] run.PG.Quantity columns)",
        quantity=QUANTITY, values=values, sample_names=names, sample_columns=pivot_columns,
        ids=_identifiers(frame, id_column), id_column=id_column,
        n_peptides=count_column(table, "PG.NrOfStrippedSequencesIdentified"),
    )


def _read_long(table: RawTable, id_column: str) -> Parsed:
    frame = table.frame
    quantities = numeric_block(table, [QUANTITY])[:, 0]
    runs = text_column(frame, "R.FileName").map(_run_name)
    empty = (runs == "").to_numpy()
    if empty.any():
        raise SecretomeInputError(
            "empty run name", file=table.path, column="R.FileName",
            row=int(table.row_numbers[int(np.argmax(empty))]), expected="a run file name in every row",
        )
    proteins = text_column(frame, id_column)
    run_order = list(dict.fromkeys(runs.tolist()))
    first_rows = ~proteins.duplicated().to_numpy()
    protein_order = proteins[first_rows].tolist()
    keyed = pd.DataFrame({"protein": proteins.to_numpy(), "run": runs.to_numpy(), "value": quantities})
    spread = keyed.groupby(["protein", "run"], sort=False)["value"].agg(["min", "max", "count", "size"])
    conflict = (spread["max"] - spread["min"]).abs() > 1e-9 * spread["max"].abs().clip(lower=1)
    conflict |= (spread["count"] > 0) & (spread["count"] < spread["size"])  # a value and a missing cell
    if conflict.any():
        protein, run = conflict[conflict].index[0]
        mask = ((keyed["protein"] == protein) & (keyed["run"] == run)).to_numpy()
        rows = [int(r) for r in table.row_numbers[mask]][:6]
        raise SecretomeInputError(
            f"protein group {protein!r} has different PG.Quantity values for run {run!r} in rows {rows}",
            file=table.path, column=QUANTITY, expected="one PG.Quantity per protein group and run",
        )
    wide = keyed.drop_duplicates(["protein", "run"]).pivot(index="protein", columns="run", values="value")
    wide = wide.reindex(index=protein_order, columns=run_order)
    annotations = pd.DataFrame(index=pd.Index(run_order, dtype=object))
    for column, label in _RUN_ANNOTATIONS.items():
        if column in frame.columns:
            per_run = pd.DataFrame({"run": runs, "v": text_column(frame, column)}).drop_duplicates()
            if per_run["run"].duplicated().any():
                run = per_run.loc[per_run["run"].duplicated(), "run"].iloc[0]
                raise SecretomeInputError(
                    f"run {run!r} has more than one {column} value", file=table.path, column=column,
                    expected=f"one {column} per run",
                )
            annotations[label] = per_run.set_index("run")["v"].reindex(run_order).to_numpy()
    first = frame.loc[first_rows].reset_index(drop=True)
    sub = table.subset_rows(first_rows)
    return Parsed(
        table=sub, format=FORMAT, format_version="long report (R.FileName rows)",
        quantity=QUANTITY, values=wide.to_numpy(dtype=np.float64), sample_names=run_order,
        sample_columns=run_order, ids=_identifiers(first, id_column), id_column=id_column,
        n_peptides=count_column(sub, "PG.NrOfStrippedSequencesIdentified"),
        sample_annotations=annotations if annotations.shape[1] else None,
    )
