"""DIA-Umpire protein summaries (``ProtSummary``): ``Protein Key`` and per run ``<run>_Prob``,
``_Peptides``, ``_PSMs``, ``_MS1_iBAQ`` and ``_Top6pep/Top6fra (Freq>0.5)`` (MSstats' DIA-Umpire
converter reads the same file). The runs are the names of the ``_Prob`` columns; the default quantity is
DIA-Umpire's own top-6 fragment quantity, ``quantity='MS1_iBAQ'`` reads the other. Probabilities and counts
are never quantities. R-resaved files (``Protein.Key``, ``Top6pep.Top6fra..Freq.0.5``) read the same."""

from __future__ import annotations

import re

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, family_reasons, quantity_block
from secretome.io.identifiers import parse_protein_groups
from secretome.io.table import RawTable, text_column

FORMAT = "dia_umpire"
ID_COLUMNS: tuple[str, ...] = ("Protein Key", "Protein.Key")
_FAMILIES = {"Top6": re.compile(r"_(Top\d+pep.*)$"), "MS1_iBAQ": re.compile(r"_(MS1_iBAQ)$")}
_COUNTS = re.compile(r"_(Prob|Peptides|PSMs)$")


def detect_score(columns: list[str]) -> int:
    """DIA-Umpire evidence: 'Protein Key' and per-run '_Prob' columns."""
    if not any(c in columns for c in ID_COLUMNS):
        return 0
    return 6 if any(c.endswith("_Prob") for c in columns) else 0


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a DIA-Umpire protein summary; default quantity the top-6 fragment intensity."""
    columns = list(table.frame.columns)
    id_column = next((c for c in ID_COLUMNS if c in columns), None)
    if id_column is None:  # a forced format on another table
        raise SecretomeInputError(
            "no 'Protein Key' column: this is not a DIA-Umpire protein summary", file=table.path,
            expected=f"one of the columns {list(ID_COLUMNS)}",
        )
    runs = [c[: -len("_Prob")] for c in columns if c.endswith("_Prob")]
    families: dict[str, list[str]] = {}
    for name, pattern in _FAMILIES.items():
        families[name] = [c for run in runs for c in columns if c.startswith(run + "_") and pattern.search(c)
                          and pattern.search(c).start() == len(run)]
    family, sample_columns, values = quantity_block(table, families, quantity, "DIA-Umpire protein summary")
    names = [next(run for run in runs if c.startswith(run + "_") and _FAMILIES[family].search(c).start() == len(run))
             for c in sample_columns]
    unread = family_reasons(families, family, sample_columns)
    unread.update({c: "identification probability or count, not a quantity" for c in columns if _COUNTS.search(c)})
    return Parsed(
        table=table, format=FORMAT, format_version="ProtSummary", quantity=family, values=values,
        sample_names=names, sample_columns=sample_columns,
        ids=parse_protein_groups(text_column(table.frame, id_column).tolist()), id_column=id_column,
        unread=unread, samples_without_quantity=[r for r in runs if r not in set(names)],
    )
