"""AlphaPept ``results_proteins.csv``: an unnamed protein column, then per sample a raw intensity column
``<sample>`` and, with LFQ, ``<sample>_LFQ`` (AlphaPept file-format documentation; alphapeptstats'
AlphaPeptLoader reads ``[sample]_LFQ``). The LFQ family is read by default, ``quantity='raw'`` reads the
other; the sample set is the names that have both."""

from __future__ import annotations

from secretome.io.dataset import Parsed, family_reasons, quantity_block
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "alphapept"
QUANTITIES: tuple[str, ...] = ("LFQ", "raw")


def _samples(columns: list[str]) -> list[str]:
    present = set(columns)
    return [c[: -len("_LFQ")] for c in columns if c.endswith("_LFQ") and c[: -len("_LFQ")] in present]


def detect_score(columns: list[str]) -> int:
    """AlphaPept evidence: an unnamed first column and every sample as both ``X`` and ``X_LFQ``."""
    if not columns or not (columns[0].startswith("(unnamed column") or columns[0] in ("", "Unnamed: 0")):
        return 0
    samples = _samples(columns)
    return 6 if samples and 2 * len(samples) == len(columns) - 1 else 0


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse an AlphaPept protein table; default quantity LFQ."""
    columns = list(table.frame.columns)
    samples = _samples(columns)
    families = {"LFQ": [f"{s}_LFQ" for s in samples], "raw": list(samples)}
    family, sample_columns, values = quantity_block(table, families, quantity, "AlphaPept results_proteins")
    return Parsed(
        table=table, format=FORMAT, format_version="results_proteins.csv", quantity=family, values=values,
        sample_names=list(samples), sample_columns=sample_columns,
        ids=parse_protein_groups(text_column(table.frame, columns[0]).tolist()), id_column=columns[0],
        unread=family_reasons(families, family, sample_columns),
    )
