"""Reading an ``outcomes`` output back, for shells that show it (the registry's web app).

Outputs are split by sensitivity so an app can gate them: patient-level tables carry one row per
pseudonymous patient (a clinical role only, every view audited), aggregated tables and the report carry
no cell below the minimum number of patients. Neither holds a direct identifier.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.outputs import read_marker

PATIENT_LEVEL_FILES = ("scores.tsv", "diagnoses.tsv", "changes.tsv")
"""One row per pseudonymous patient (and eye, visit): clinical role only."""
AGGREGATE_FILES = ("trajectories.tsv", "responders.tsv", "baseline_adjusted.tsv", "mixed_models.tsv", "composition_link.tsv", "lots.tsv",
                   "survival_km.tsv", "survival_cox.tsv", "outcomes.json", "report.html")
"""Aggregates with small cells suppressed, model results and the report."""


def _checked(out: str | Path) -> Path:
    out = Path(out)
    marker = read_marker(out) if out.is_dir() else None
    if marker is None or marker.get("kind") != "outcomes":
        raise SecretomeInputError("not an outcomes output", file=out, expected="a directory written by the outcomes job")
    return out


def load_summary(out: str | Path) -> dict[str, Any]:
    """The job summary (``outcomes.json``) of an outcomes output directory."""
    return json.loads((_checked(out) / "outcomes.json").read_text(encoding="utf-8"))


def load_table(out: str | Path, name: str) -> pd.DataFrame:
    """One table of an outcomes output by file name (see :data:`PATIENT_LEVEL_FILES`, :data:`AGGREGATE_FILES`)."""
    if name not in PATIENT_LEVEL_FILES + AGGREGATE_FILES or not name.endswith(".tsv"):
        raise SecretomeInputError(f"unknown outcomes table {name!r}", expected=", ".join(n for n in PATIENT_LEVEL_FILES + AGGREGATE_FILES if n.endswith(".tsv")))
    return pd.read_csv(_checked(out) / name, sep="\t", dtype={"patient": str, "lot": str, "group": str}, keep_default_na=False, na_values=[""])


def is_patient_level(name: str) -> bool:
    """Whether output file ``name`` holds patient-level rows (an app shows it to a clinical role only)."""
    return name in PATIENT_LEVEL_FILES
