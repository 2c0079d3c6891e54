"""Assay QC: bead counts, replicate CVs, controls inside their range, Levey-Jennings across plates, runs
and lots, and analytes with most samples out of range. Thresholds from ``config/assays.toml``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from secretome.assays.config import cite, rule
from secretome.assays.quantify import AssayResult


def replicate_cv(wells: pd.DataFrame) -> pd.DataFrame:
    """Per (plate, sample, analyte) with two or more unknown wells: the signal CV (%) and whether it exceeds
    ``replicate_cv.max``."""
    unknown = wells[(wells["kind"] == "unknown") & ~wells["masked"]]
    grouped = unknown.groupby(["plate", "sample", "analyte"], sort=False)["fitted_signal"]
    table = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    table = table[table["n"] >= 2]
    table["cv"] = table["sd"] / table["mean"].abs() * 100
    table["flag"] = np.where(table["cv"] > rule("replicate_cv", "max"), f"CV > {rule('replicate_cv', 'max'):g}% ({cite('replicate_cv', 'max')})", "")
    return table


def controls(wells: pd.DataFrame) -> pd.DataFrame:
    """Control wells: the back-calculated concentration against the control's range (the export's range when it
    has a width, else expected x recovery_low..recovery_high %, ``assays.toml`` [quantifiable])."""
    table = wells[(wells["kind"] == "control") & ~wells["masked"]].copy()
    if table.empty:
        return pd.DataFrame(columns=["plate", "level", "analyte", "value", "low", "high", "in_range", "rule"])
    width = table["control_high"] - table["control_low"]
    has_range = np.isfinite(width) & (width > 0)
    low = np.where(has_range, table["control_low"], table["expected"] * rule("quantifiable", "recovery_low") / 100)
    high = np.where(has_range, table["control_high"], table["expected"] * rule("quantifiable", "recovery_high") / 100)
    value = table["corrected"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "plate": table["plate"], "well": table["well"], "level": table["level"], "analyte": table["analyte"], "value": value,
        "expected": table["expected"], "low": low, "high": high,
    })
    out["in_range"] = np.where(np.isfinite(low) & np.isfinite(value), (value >= low) & (value <= high), np.nan)
    out["rule"] = np.where(has_range, "export's control range", f"expected x {cite('quantifiable', 'recovery_low')}..recovery_high")
    return out.reset_index(drop=True)


def levey_jennings(control_table: pd.DataFrame, run_column: str = "run") -> pd.DataFrame:
    """Levey-Jennings points: one per (analyte, control level, run/plate) with its mean value, the z-score
    against the mean and SD over all runs, and Westgard 1-2s (warn) / 1-3s (reject) flags.

    ``control_table`` is :func:`controls` output with a ``run`` column (file, plate or lot)."""
    if control_table.empty:
        return pd.DataFrame(columns=["analyte", "level", run_column, "value", "mean", "sd", "z", "westgard"])
    per_run = control_table.groupby(["analyte", "level", run_column], sort=False)["value"].mean().reset_index()
    stats = per_run.groupby(["analyte", "level"])["value"].agg(mean="mean", sd="std").reset_index()
    table = per_run.merge(stats, on=["analyte", "level"])
    table["z"] = (table["value"] - table["mean"]) / table["sd"].replace(0, np.nan)
    z = table["z"].abs()
    table["westgard"] = np.select([z > 3, z > 2], ["1-3s reject", "1-2s warn"], "")
    return table


def out_of_range_analytes(result: AssayResult) -> pd.DataFrame:
    """Analytes whose unknown-sample wells are mostly outside LLOQ..ULOQ (share > ``most_out_of_range.share``)."""
    unknown = result.wells[result.wells["kind"] == "unknown"]
    share = unknown.groupby("analyte")["flag"].apply(lambda f: float((f != "ok").mean()))
    below = unknown.groupby("analyte")["flag"].apply(lambda f: float(f.isin(["<LLOQ", "<curve"]).mean()))
    above = unknown.groupby("analyte")["flag"].apply(lambda f: float(f.isin([">ULOQ", ">curve"]).mean()))
    table = pd.DataFrame({"share_out_of_range": share, "share_below": below, "share_above": above}).reset_index()
    table["mostly_out_of_range"] = table["share_out_of_range"] > rule("most_out_of_range", "share")
    return table.sort_values("share_out_of_range", ascending=False).reset_index(drop=True)


def assay_qc(result: AssayResult, run: str = "run 1") -> dict[str, Any]:
    """Every QC table of one quantified export, as frames keyed by name."""
    wells = result.wells
    low_beads = wells[wells["qc"].str.contains("bead count")][["plate", "well", "sample", "analyte", "count"]]
    control_table = controls(wells).assign(run=lambda t: run + ":" + t["plate"].astype(str))
    return {
        "low_beads": low_beads.reset_index(drop=True),
        "replicate_cv": replicate_cv(wells),
        "controls": control_table,
        "levey_jennings": levey_jennings(control_table),
        "out_of_range": out_of_range_analytes(result),
        "rules": {
            "bead_count": f"count < {rule('bead_count', 'min'):g} flagged ({cite('bead_count', 'min')})",
            "replicate_cv": f"CV > {rule('replicate_cv', 'max'):g}% flagged ({cite('replicate_cv', 'max')})",
            "levey_jennings": "Westgard 1-2s (|z| > 2, warn) and 1-3s (|z| > 3, reject) against the mean and SD over runs",
            "out_of_range": f"more than {rule('most_out_of_range', 'share'):.0%} of sample wells outside LLOQ..ULOQ ({cite('most_out_of_range', 'share')})",
        },
    }
