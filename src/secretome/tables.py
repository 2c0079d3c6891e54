"""The one writer of tabular outputs (TSV now; spreadsheet safety and XLSX are added here).

Every table the package writes for users goes through :func:`write_tsv`, so a rule about what a cell
may contain (for example formula neutralisation for spreadsheet users) is applied in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pandas as pd


def write_tsv(
    frame: pd.DataFrame,
    target: str | Path | IO[str],
    *,
    index: bool = False,
    float_format: str | None = None,
) -> None:
    """Write ``frame`` as tab-separated text with ``\\n`` line ends and empty cells for missing values."""
    frame.to_csv(target, sep="\t", index=index, float_format=float_format, na_rep="", lineterminator="\n")


def tsv_text(frame: pd.DataFrame, *, index: bool = False, float_format: str | None = None) -> str:
    """The text :func:`write_tsv` would write, for callers that assemble files in memory."""
    return frame.to_csv(sep="\t", index=index, float_format=float_format, na_rep="", lineterminator="\n")
