"""AlphaDIA protein-group matrices (``pg.matrix.tsv``): one row per protein group, one column per run.

AlphaDIA 1.x names the group column ``pg``; 2.x writes ``pg.name`` with ``pg.proteins``/``pg.genes``
beside it (alphadia ``constants/keys.py``, ProteinGroupOutputCols). Every other column is one run's LFQ
intensity (directLFQ); the run names are the raw files' names.
"""

from __future__ import annotations

from secretome.io.dataset import Parsed, check_fixed_quantity
from secretome.io.identifiers import parse_protein_groups
from secretome.io.samples import strip_raw_extension
from secretome.io.table import RawTable, numeric_block, text_column

FORMAT = "alphadia"
QUANTITY = "pg LFQ intensity"
ID_COLUMNS: tuple[str, ...] = ("pg.name", "pg")
ANNOTATION_COLUMNS: tuple[str, ...] = ("pg.name", "pg", "pg.proteins", "pg.genes", "pg.master_protein", "pg.qval")


def detect_score(columns: list[str]) -> int:
    """AlphaDIA evidence: its group column first, the runs after it."""
    if not columns or columns[0] not in ID_COLUMNS or len(columns) < 2:
        return 0
    return 4 + sum(1 for c in columns if c in ANNOTATION_COLUMNS)


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse an AlphaDIA pg.matrix; the only quantity is its protein-group LFQ intensity."""
    check_fixed_quantity(
        table, quantity, (QUANTITY, "lfq", "intensity"), "unknown quantity {quantity!r} for an AlphaDIA pg.matrix",
        expected=repr(QUANTITY),
    )
    frame = table.frame
    columns = list(frame.columns)
    id_column = columns[0]
    runs = [c for c in columns if c not in ANNOTATION_COLUMNS]
    ids = parse_protein_groups(
        text_column(frame, id_column).tolist(),
        genes=text_column(frame, "pg.genes").tolist() if "pg.genes" in columns else None,
    )
    return Parsed(
        table=table, format=FORMAT, format_version="2.x (pg.name)" if id_column == "pg.name" else "1.x (pg)",
        quantity=QUANTITY, values=numeric_block(table, runs), sample_names=[strip_raw_extension(r) for r in runs],
        sample_columns=runs, ids=ids, id_column=id_column,
        read_columns=[c for c in ("pg.genes",) if c in columns],
    )
