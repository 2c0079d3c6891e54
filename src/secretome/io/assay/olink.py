"""Olink NPX long tables (CSV/TSV/XLSX as Olink NPX Manager / NPX Signature export them).

NPX is already log2 and relative: there is no standard curve. Each row is (SampleID, Assay, NPX) with the
assay's LOD; a value below its LOD is flagged ``<LOD`` and kept, QC_Warning/Assay_Warning are kept as flags.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead, finish_wells

FORMAT = "olink"
REQUIRED = ("SampleID", "Assay", "NPX")


def detect_score(path: Path, head: str) -> int:
    """10 when the header has SampleID, Assay and NPX (and OlinkID or LOD), else 0."""
    first = head.splitlines()[0] if head else ""
    cells = {c.strip().strip('"') for c in first.replace(";", ",").replace("\t", ",").split(",")}
    return 10 if set(REQUIRED) <= cells and ({"OlinkID", "LOD"} & cells) else 0


def _table(path: Path) -> pd.DataFrame:
    from secretome.io.table import read_table

    return read_table(path).frame


def read(path: Path) -> AssayRead:
    """Parse an NPX long table into the well table (``signal`` = NPX, ``quantity`` = relative)."""
    table = _table(Path(path))
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise SecretomeInputError("missing column", file=path, column=missing[0], expected="an Olink NPX long table (SampleID, Assay, NPX, LOD)")
    npx = pd.to_numeric(table["NPX"], errors="coerce")
    lod = pd.to_numeric(table["LOD"], errors="coerce") if "LOD" in table else pd.Series(np.nan, index=table.index)
    warning = table["QC_Warning"].astype(str) if "QC_Warning" in table else pd.Series("", index=table.index)
    rows: list[dict[str, Any]] = []
    for i in table.index:
        sample = str(table.at[i, "SampleID"])
        flag = "<LOD" if np.isfinite(lod[i]) and np.isfinite(npx[i]) and npx[i] < lod[i] else ""
        if warning[i].strip().upper() not in ("", "PASS", "NAN", "NONE"):
            flag = ";".join(filter(None, [flag, f"QC {warning[i].strip()}"]))
        rows.append({
            "plate": str(table.at[i, "PlateID"]) if "PlateID" in table else "1",
            "well": str(table.at[i, "WellID"]) if "WellID" in table else sample,
            "sample": sample, "kind": "control" if sample.upper().startswith(("CONTROL", "IPC", "NEG")) else "unknown",
            "analyte": str(table.at[i, "Assay"]), "signal": npx[i], "expected": np.nan, "control_low": lod[i],
            "unit": "NPX", "vendor_flag": flag,
        })
    panel = str(table["Panel"].iloc[0]) if "Panel" in table and len(table) else ""
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=panel, signal_name="NPX", wells=finish_wells(rows, Path(path)),
        quantity="relative", meta={"lod_column": "control_low holds each assay's LOD"},
    )
