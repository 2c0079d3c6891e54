"""Immunoassay readers: one module per export format, all returning an :class:`AssayRead` (a well table).

``read_assay`` detects the format from the file's first lines (``format=`` forces one), applies an optional
layout sheet, and names the file in every error.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay import bioplex, gen5, grid, intelliflex, long_table, methodical_mind, msd_workbench, olink, softmax, xponent
from secretome.io.assay.base import AssayRead

__all__ = ["ASSAY_FORMATS", "AssayRead", "detect_assay_format", "read_assay"]

#: Readers by format name, in tie-break order.
ASSAY_READERS: dict[str, ModuleType] = {
    "xponent": xponent, "intelliflex": intelliflex, "bioplex": bioplex, "msd_workbench": msd_workbench,
    "methodical_mind": methodical_mind, "softmax": softmax, "gen5": gen5, "olink": olink, "long": long_table, "grid": grid,
}
ASSAY_FORMATS: tuple[str, ...] = tuple(ASSAY_READERS)
_TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".xml", ".gz", ".tab", ""}


def is_workbook(path: Path) -> bool:
    """Whether detection reads ``path`` as a workbook (by its suffix), i.e. parses its first sheet."""
    return path.suffix.casefold() in {".xlsx", ".xlsm"}


def workbook_head(frame: pd.DataFrame) -> str:
    """The detection text of a parsed first worksheet: its column names as one tab-separated line."""
    return "\t".join(map(str, frame.columns)) + "\n"


def _head(path: Path) -> str:
    """The file's first 20 kB as text ('' when it cannot be read: detection never raises, the reader will)."""
    import gzip
    import zlib

    if is_workbook(path):
        from secretome.io.table import read_table

        try:
            frame = read_table(path).frame
        except SecretomeInputError:
            return ""
        return workbook_head(frame)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read(20000)
        else:
            with path.open("rb") as handle:
                data = handle.read(20000)
    except (OSError, EOFError, zlib.error):
        return ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start > len(data) - 4:  # a multi-byte character cut by the 20 kB window
            return data[: error.start].decode("utf-8-sig")
        return data.decode("cp1252", errors="replace")


def assay_scores(path: str | Path, head: str | None = None) -> dict[str, int]:
    """Each assay format's evidence score for the file (0 = not this format); ``head``: the file's
    detection text when the caller has it already (:func:`workbook_head` of a parsed first sheet)."""
    path = Path(path)
    if not path.is_file():
        raise SecretomeInputError("file not found", file=path, expected="an immunoassay export")
    head = _head(path) if head is None else head
    return {name: module.detect_score(path, head) for name, module in ASSAY_READERS.items()}


def detect_assay_format(path: str | Path, head: str | None = None) -> str | None:
    """The assay format that explains the file best, or None when none does (e.g. a proteomics table)."""
    scores = assay_scores(path, head)
    best = max(ASSAY_FORMATS, key=lambda name: (scores[name], -ASSAY_FORMATS.index(name)))
    return best if scores[best] > 0 else None


def read_assay(
    path: str | Path,
    *,
    format: str | None = None,
    layout: str | Path | pd.DataFrame | None = None,
    analyte: str | None = None,
) -> AssayRead:
    """Read an immunoassay export into an :class:`AssayRead`.

    ``format`` forces a reader (one of :data:`ASSAY_FORMATS`); ``layout`` is a plate layout sheet
    (see :mod:`secretome.io.assay.layout`); ``analyte`` names the single analyte of plate-reader ELISA exports
    (SoftMax Pro, Gen5, grids), which do not say what they measured.
    """
    path = Path(path)
    name = format.strip().casefold() if format else detect_assay_format(path)
    if name is None:
        raise SecretomeInputError("not a recognised immunoassay export", file=path, expected=f"one of {list(ASSAY_FORMATS)}")
    if name not in ASSAY_READERS:
        raise SecretomeInputError(f"unknown assay format {format!r}", file=path, expected=f"one of {list(ASSAY_FORMATS)}")
    module = ASSAY_READERS[name]
    result = module.read(path, analyte=analyte) if analyte and name in ("softmax", "gen5", "grid") else module.read(path)
    if layout is not None:
        from secretome.io.assay.layout import apply_layout

        result = apply_layout(result, layout)
    return result
