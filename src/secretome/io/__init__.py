"""Readers: proteomics result tables -> one AnnData (samples x proteins) per the dataset contract.

``read`` detects the engine from the columns (MaxQuant, DIA-NN, FragPipe, Spectronaut, PEAKS, Perseus,
generic wide tables), parses the table once, attaches an optional sample sheet and records the source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from anndata import AnnData

from secretome.io.dataset import assemble, detect_log2, summarize
from secretome.io.detect import FORMATS, detect_format, reader_for
from secretome.io.samples import match_samples, read_samples
from secretome.io.table import read_table

__all__ = ["read", "read_samples", "summarize", "detect_format", "detect_log2", "match_samples", "FORMATS"]


def read(
    path: str | Path,
    samples: str | Path | pd.DataFrame | None = None,
    format: str | None = None,
    quantity: str | None = None,
    *,
    is_log2: bool | None = None,
    sheet: str | int | None = None,
) -> AnnData:
    """Read a protein-level result table into an AnnData of samples x proteins.

    Parameters
    ----------
    path: the table (TSV/CSV/TXT, optionally .gz/.xz/.zip, or XLSX).
    samples: a sample sheet (CSV/TSV/XLSX path or a DataFrame), one row per sample; matched to the data's
        sample columns (see :mod:`secretome.io.samples`). Without it, ``.obs`` has only ``sample`` (plus
        per-sample annotations the engine itself writes, e.g. Perseus groups or Spectronaut conditions).
    format: force a reader (one of :data:`FORMATS`) instead of detecting it from the columns.
    quantity: the quantity column family (e.g. ``"LFQ intensity"``, ``"iBAQ"``, ``"Spectral Count"``);
        default: the format's preferred family present in the file.
    is_log2: declare whether values are log2; ``None`` detects it for formats that may hold either.
    sheet: worksheet name or number for XLSX input (default: the first sheet).

    Bad input raises :class:`secretome.SecretomeInputError` naming the file, column or row.
    """
    table = read_table(path, sheet=sheet)
    sheet_frame = read_samples(samples) if samples is not None else None
    name, module = reader_for(format, table)
    parsed = module.read(table, quantity)
    params: dict[str, Any] = {
        "path": str(path),
        "samples": samples if not isinstance(samples, pd.DataFrame) else "<DataFrame>",
        "format": format,
        "detected_format": name,
        "quantity": parsed.quantity,
        "is_log2": is_log2,
        "sheet": sheet,
    }
    return assemble(parsed, samples=sheet_frame, is_log2=is_log2, params=params)
