"""MSD Methodical Mind (MMPR) raw plate reads, parsed by allotropy (vendor METHODICAL_MIND).

One ECL signal per well and spot, no sample names: a layout sheet (``layout=``) says which wells are
standards, blanks and samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secretome.io.assay.asm import to_asm
from secretome.io.assay.base import AssayRead, finish_wells

FORMAT = "methodical_mind"


def detect_score(path: Path, head: str) -> int:
    """10 for an MMPR export (``Version  :\tMMPR``/``==========Data``), else 0."""
    return 10 if "MMPR" in head and "==========Data" in head else 0


def read(path: Path) -> AssayRead:
    """Parse an MMPR plate read into the well table (every well ``unknown`` until a layout says otherwise)."""
    asm = to_asm(path, "METHODICAL_MIND")
    aggregate = asm["plate reader aggregate document"]
    rows: list[dict[str, Any]] = []
    for document in aggregate["plate reader document"]:
        for measurement in document["measurement aggregate document"]["measurement document"]:
            sample = measurement["sample document"]
            plate = sample.get("custom information document", {}).get("Plate #", 1)
            plate = str(int(plate)) if isinstance(plate, float) and plate.is_integer() else str(plate)
            well = sample.get("well location identifier", "")
            rows.append({
                "plate": plate,
                "well": well, "sample": f"P{plate}-{well}", "kind": "unknown", "analyte": "ECL",
                "signal": (measurement.get("luminescence") or {}).get("value"),
            })
    system = aggregate.get("data system document", {})
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=str(system.get("software version", "")), signal_name="ECL signal",
        wells=finish_wells(rows, Path(path)), instrument=str(aggregate.get("device system document", {}).get("model number", "")),
        meta={"parser": f"allotropy {system.get('ASM converter version', '')}".strip()},
    )
