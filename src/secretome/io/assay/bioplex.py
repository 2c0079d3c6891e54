"""Bio-Rad Bio-Plex Manager XML exports (6.x), parsed by allotropy (vendor BIORAD_BIOPLEX).

Wells carry their role (standard S1..S8, control, blank, unknown), per-analyte bead counts and median
fluorescence; the export's own expected concentrations come with the standards when the protocol has them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from secretome.io.assay.asm import ROLE_KINDS, median_fluorescence, to_asm, value
from secretome.io.assay.base import AssayRead, classify_sample, finish_wells

FORMAT = "bioplex"


def detect_score(path: Path, head: str) -> int:
    """10 for a Bio-Plex Manager XML (root element with Bio-Plex markers), else 0."""
    return 10 if head.lstrip().startswith("<?xml") and ("BioPlex" in head or "Bio-Plex" in head or "<Workspace" in head) else 0


def read(path: Path) -> AssayRead:
    """Parse a Bio-Plex Manager XML into the well table (signal = median FI)."""
    asm = to_asm(path, "BIORAD_BIOPLEX")
    aggregate = asm["multi analyte profiling aggregate document"]
    rows: list[dict[str, Any]] = []
    for document in aggregate["multi analyte profiling document"]:
        for measurement in document["measurement aggregate document"]["measurement document"]:
            sample = measurement["sample document"]
            name = str(sample.get("sample identifier", ""))
            kind = ROLE_KINDS.get(sample.get("sample role type", ""), "")
            guessed, level = classify_sample(name)
            kind = kind or guessed
            if kind == "standard" and not level:
                level = name
            control = measurement["device control aggregate document"]["device control document"][0]
            for analyte in measurement["analyte aggregate document"]["analyte document"]:
                rows.append({
                    "plate": "1", "well": sample.get("location identifier", ""), "sample": name, "kind": kind,
                    "level": level if kind in ("standard", "control") else "", "analyte": analyte["analyte name"],
                    "signal": median_fluorescence(analyte), "count": value(analyte, "assay bead count"),
                    "dilution": value(control, "dilution factor setting") or 1.0,
                })
    system = aggregate.get("data system document", {})
    return AssayRead(
        path=Path(path), format=FORMAT, format_version=str(system.get("software version", "")), signal_name="Median FI",
        wells=finish_wells(rows, Path(path)), instrument=str(aggregate.get("device system document", {}).get("model number", "")),
        meta={"parser": f"allotropy {system.get('ASM converter version', '')}".strip()},
    )
