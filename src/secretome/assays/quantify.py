"""From a well table to concentrations: standards checked, curves fitted, limits set, samples back-calculated.

Per analyte and plate: blank handling, suspect expected concentrations (a lost decimal point), hook effect
and non-monotonic standards, a 4PL/5PL fit, back-calculation of every standard (recovery, replicate CV),
LLOQ/ULOQ from the quantifiable standards (``assays.toml`` [quantifiable]), and every sample well
back-calculated, dilution-corrected and flagged (``<LLOQ``, ``>ULOQ``, ``<curve``, ``>curve``) with the
chosen substitution recorded. Nothing is dropped: a value outside the range keeps its flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from secretome.assays.config import cite, rule
from secretome.assays.curves import MODELS, WEIGHTS, CurveFit, fit_curve
from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead

SUBSTITUTIONS = ("none", "lloq/2", "lloq/sqrt2")
BLANKS = ("auto", "subtract", "none", "fit")
DECIMAL_HANDLING = ("exclude", "repair")

#: Per-well concentration flags, in order of severity (codes stored in the AnnData ``flags`` layer).
FLAGS = ("ok", "<LLOQ", ">ULOQ", "<curve", ">curve", "<LOD", "no_curve", "no_signal", "masked")
FLAG_CODES = {flag: code for code, flag in enumerate(FLAGS)}


@dataclass
class AssayResult:
    """Concentrations and everything needed to defend them."""

    read: AssayRead
    wells: pd.DataFrame  # the well table + concentration, corrected, reported, flag, qc
    curves: pd.DataFrame  # one row per (plate, analyte)
    standards: pd.DataFrame  # one row per (plate, analyte, level)
    fits: dict[tuple[str, str], CurveFit] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def _level_number(level: str) -> float:
    match = re.search(r"(\d+)$", str(level))
    return float(match.group(1)) if match else float("nan")


def check_expected_series(levels: pd.DataFrame, ratio_tolerance: float) -> pd.DataFrame:
    """Flag expected concentrations that break the dilution series (a lost decimal point) and propose a repair.

    ``levels`` has ``level`` and ``expected`` (one row per level); adds ``suspect`` (bool) and ``repaired``
    (the value divided by the power of ten that puts it back on the series, NaN when none does).
    """
    frame = levels.copy()
    frame["number"] = frame["level"].map(_level_number)
    frame = frame.sort_values("number")
    frame["suspect"] = False
    frame["repaired"] = np.nan
    values = frame["expected"].to_numpy(dtype=float)
    ok = np.isfinite(values) & (values > 0)
    if ok.sum() < 3 or not np.isfinite(frame["number"]).all():
        return frame
    logs = np.log10(np.where(ok, values, np.nan))
    steps = np.diff(logs)
    step = float(np.nanmedian(steps))
    if step == 0:
        return frame
    numbers = frame["number"].to_numpy()
    intercept = float(np.nanmedian(logs - step * (numbers - numbers[0])))
    predicted = intercept + step * (numbers - numbers[0])
    residual = logs - predicted
    for i in range(len(values)):
        if not ok[i]:
            continue
        sign = np.sign(step)
        before = i > 0 and ok[i - 1] and (logs[i] - logs[i - 1]) * sign < 0
        after = i + 1 < len(values) and ok[i + 1] and (logs[i + 1] - logs[i]) * sign < 0
        if (before or after) and abs(residual[i]) > np.log10(3):
            frame.iloc[i, frame.columns.get_loc("suspect")] = True
            k = round(residual[i])
            if k >= 1 and abs(residual[i] - k) < np.log10(1 + ratio_tolerance):
                frame.iloc[i, frame.columns.get_loc("repaired")] = values[i] / 10**k
    return frame.drop(columns="number")


def monotonicity(concentration: np.ndarray, signal: np.ndarray, tolerance: float) -> tuple[str, float | None]:
    """('monotonic' | 'hook' | 'non_monotonic', the highest concentration to keep for a hook).

    Mean signal per concentration, ascending: a fall of more than ``tolerance`` x span against the curve's
    overall direction is a break; when every break comes after the peak level, it is a hook (prozone)."""
    table = pd.DataFrame({"x": concentration, "y": signal}).groupby("x")["y"].mean().sort_index()
    if len(table) < 3:
        return "monotonic", None
    y = table.to_numpy()
    span = float(np.ptp(y)) or 1.0
    direction = 1.0 if np.corrcoef(np.log(table.index.to_numpy()), y)[0, 1] >= 0 else -1.0
    drops = np.where(-np.diff(y) * direction > tolerance * span)[0] + 1  # index of the level that fell
    if drops.size == 0:
        return "monotonic", None
    peak = int(np.argmax(y * direction))
    rising_then_falling = (
        np.all(np.diff(y[: peak + 1]) * direction >= -tolerance * span)
        and np.all(np.diff(y[peak:]) * direction <= tolerance * span)
    )
    if peak < len(y) - 1 and drops.min() > peak and rising_then_falling:
        return "hook", float(table.index[peak])
    return "non_monotonic", None


def _cv(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    if values.size < 2 or values.mean() == 0:
        return float("nan")
    return float(np.std(values, ddof=1) / abs(values.mean()) * 100)


def quantify(
    read: AssayRead,
    *,
    model: str = "5pl",
    weights: str = "none",
    blank: str = "auto",
    substitution: str = "none",
    decimal: str = "exclude",
) -> AssayResult:
    """Fit every analyte's standard curve on every plate and back-calculate all wells.

    Parameters
    ----------
    model: ``"4pl"`` or ``"5pl"`` (see :mod:`secretome.assays.curves`).
    weights: ``"none"``, ``"1/y"`` or ``"1/y^2"``.
    blank: ``"subtract"`` the plate's mean blank signal per analyte, ``"none"``, ``"fit"`` (zero-concentration
        standards enter the fit as the zero-dose response, as SoftMax Pro does; nothing is subtracted), or
        ``"auto"`` (subtract unless the export's signal is already blank-subtracted, e.g. xPONENT Net MFI).
    substitution: what a value below LLOQ (or outside the curve at its low end) is reported as:
        ``"none"`` (the extrapolated value, NaN outside the curve), ``"lloq/2"`` or ``"lloq/sqrt2"``; with a
        substitution, values above ULOQ are reported as ULOQ. The flag is always kept.
    decimal: standards whose expected concentration breaks the dilution series (a lost decimal point) are
        ``"exclude"``-d from the fit, or ``"repair"``-ed when one power of ten restores the series.
    """
    for name, value, allowed in (("model", model, MODELS), ("weights", weights, WEIGHTS), ("blank", blank, BLANKS),
                                 ("substitution", substitution, SUBSTITUTIONS), ("decimal", decimal, DECIMAL_HANDLING)):
        if value not in allowed:
            raise SecretomeInputError(f"{name} must be one of {list(allowed)}, not {value!r}")
    if read.relative:
        raise SecretomeInputError(
            f"{read.format} values ({read.signal_name}) are relative: they have no standard curve to fit",
            file=read.path, expected="an export with standards (use the values as they are)",
        )
    wells = read.wells.copy()
    standards_present = (wells["kind"] == "standard") & np.isfinite(wells["expected"])
    if not standards_present.any():
        raise SecretomeInputError(
            "no standard wells with expected concentrations", file=read.path,
            expected="standards named in the export (Standard1, S1, STD1 ...) or a layout sheet giving them (layout=...)",
        )
    # A standard at concentration 0 is a blank: it cannot sit on the log-concentration axis.
    zero = (wells["kind"] == "standard") & (wells["expected"] == 0)
    if blank != "fit":
        wells.loc[zero, "kind"] = "blank"
    subtract = blank == "subtract" or (blank == "auto" and not read.blank_subtracted)
    tolerance = rule("monotonicity", "tolerance")
    ratio_tolerance = rule("decimal_check", "ratio_tolerance")
    recovery_low, recovery_high = rule("quantifiable", "recovery_low"), rule("quantifiable", "recovery_high")
    max_cv = rule("quantifiable", "max_cv")
    min_beads = rule("bead_count", "min")
    for column in ("concentration", "corrected", "reported"):
        wells[column] = np.nan
    wells["flag"] = "no_curve"
    wells["fitted_signal"] = wells["signal"]
    curve_rows: list[dict[str, Any]] = []
    level_rows: list[pd.DataFrame] = []
    fits: dict[tuple[str, str], CurveFit] = {}
    for (plate, analyte), group in wells.groupby(["plate", "analyte"], sort=False):
        index = group.index
        notes: list[str] = []
        blank_signal = group.loc[(group["kind"] == "blank") & ~group["masked"], "signal"].to_numpy(dtype=float)
        blank_mean = float(np.nanmean(blank_signal)) if np.isfinite(blank_signal).any() else float("nan")
        signal = group["signal"].to_numpy(dtype=float)
        if subtract and np.isfinite(blank_mean):
            signal = signal - blank_mean
            notes.append(f"mean blank signal {blank_mean:.4g} subtracted")
        wells.loc[index, "fitted_signal"] = signal
        expected = group["expected"].to_numpy(dtype=float).copy()
        is_standard = (group["kind"] == "standard").to_numpy() & ~group["masked"].to_numpy() & np.isfinite(signal) & np.isfinite(expected)
        series = check_expected_series(
            group.loc[group["kind"] == "standard", ["level", "expected"]].drop_duplicates("level"), ratio_tolerance
        )
        excluded: dict[str, str] = {}
        for _, row in series[series["suspect"]].iterrows():
            if decimal == "repair" and np.isfinite(row["repaired"]):
                expected[(group["level"] == row["level"]).to_numpy()] = row["repaired"]
                notes.append(f"{row['level']}: expected {row['expected']:g} repaired to {row['repaired']:g} (lost decimal point)")
            else:
                suggestion = f"; {row['repaired']:g} would fit the series" if np.isfinite(row["repaired"]) else ""
                excluded[row["level"]] = f"expected concentration {row['expected']:g} breaks the dilution series{suggestion}"
        wells.loc[index, "expected"] = np.where(group["kind"] == "standard", expected, group["expected"])
        use = is_standard & ~group["level"].isin(list(excluded)).to_numpy() & (expected >= 0)
        positive = use & (expected > 0)
        shape, hook_top = monotonicity(expected[positive], signal[positive], tolerance) if positive.sum() >= 3 else ("monotonic", None)
        if shape == "hook":
            above = use & (expected > hook_top)
            for level in group.loc[above, "level"].unique():
                excluded[level] = f"hook effect: signal falls above {hook_top:g}"
            use &= ~above
        elif shape == "non_monotonic":
            notes.append("standards are not monotonic in concentration")
        for level, reason in excluded.items():
            notes.append(f"{level} left out of the fit: {reason}")
        record: dict[str, Any] = {
            "plate": plate, "analyte": analyte, "model": model, "weights": weights, "shape": shape,
            "n_standards": int(use.sum()), "n_levels": int(np.unique(expected[use]).size),
            "unit": next((u for u in group["unit"] if u), ""), "blank_signal": blank_mean,
        }
        try:
            fit = fit_curve(expected[use], signal[use], model=model, weights=weights)
        except ValueError as error:
            record.update(status=f"not fitted: {error}", r_squared=np.nan, lloq=np.nan, uloq=np.nan, notes="; ".join(notes))
            curve_rows.append(record)
            continue
        fits[(plate, analyte)] = fit
        back = fit.inverse(signal)
        wells.loc[index, "concentration"] = back
        # standards: recovery and CV per level
        std_frame = pd.DataFrame({
            "level": group["level"].to_numpy(), "expected": expected, "signal": signal, "back": back,
            "used": use, "standard": (group["kind"] == "standard").to_numpy(),
        })
        std_frame = std_frame[std_frame["standard"]]
        levels = std_frame.groupby("level", sort=False).agg(
            expected=("expected", "first"), mean_signal=("signal", "mean"), back_calculated=("back", "mean"),
            n=("signal", "size"), used=("used", "any"),
        )
        levels["cv"] = std_frame.groupby("level", sort=False)["back"].apply(lambda v: _cv(v.to_numpy()))
        levels["signal_cv"] = std_frame.groupby("level", sort=False)["signal"].apply(lambda v: _cv(v.to_numpy()))
        levels["recovery"] = levels["back_calculated"] / levels["expected"] * 100
        levels["quantifiable"] = (
            levels["used"] & levels["recovery"].between(recovery_low, recovery_high)
            & ~(levels["cv"] > max_cv)
        )
        levels["excluded"] = [excluded.get(level, "") for level in levels.index]
        levels = levels.sort_values("expected")
        lloq, uloq = _quantifiable_range(levels)
        levels = levels.reset_index().assign(plate=plate, analyte=analyte)
        level_rows.append(levels)
        record.update(
            status="fitted" if fit.converged else f"fitted, not converged: {fit.message}",
            r_squared=fit.r_squared, lloq=lloq, uloq=uloq,
            **{f"param_{k}": v for k, v in fit.params.items()},
            notes="; ".join(notes),
        )
        curve_rows.append(record)
        low_signal, high_signal = (fit.bottom, fit.top)
        increasing = fit.params["B"] > fit.params["A"]
        flags = np.full(len(group), "ok", dtype=object)
        below_curve = (signal <= low_signal) if increasing else (signal >= high_signal)
        above_curve = (signal >= high_signal) if increasing else (signal <= low_signal)
        flags[np.isfinite(back) & (back < lloq)] = "<LLOQ" if np.isfinite(lloq) else "ok"
        flags[np.isfinite(back) & (back > uloq)] = ">ULOQ" if np.isfinite(uloq) else "ok"
        if not np.isfinite(lloq):
            flags[np.isfinite(back)] = "<LLOQ"  # no quantifiable standard at all: nothing is quantified
        flags[~np.isfinite(back) & below_curve] = "<curve"
        flags[~np.isfinite(back) & above_curve] = ">curve"
        flags[~np.isfinite(signal)] = "no_signal"
        flags[group["masked"].to_numpy()] = "masked"
        wells.loc[index, "flag"] = flags
    wells["corrected"] = wells["concentration"] * wells["dilution"]
    curves = pd.DataFrame(curve_rows)
    wells["reported"] = _substitute(wells, curves, substitution)
    qc = []
    low_beads = np.isfinite(wells["count"]) & (wells["count"] < min_beads)
    qc.append(np.where(low_beads, f"bead count < {min_beads:g}", ""))
    wells["qc"] = ["; ".join(filter(None, parts)) for parts in zip(*qc)]
    standards = pd.concat(level_rows, ignore_index=True) if level_rows else pd.DataFrame()
    params = {
        "model": model, "weights": weights, "blank": blank, "blank_subtracted": subtract, "substitution": substitution,
        "decimal": decimal, "rules": {
            "recovery": f"{recovery_low:g}-{recovery_high:g}% ({cite('quantifiable', 'recovery_low')}, recovery_high)",
            "cv": f"<= {max_cv:g}% ({cite('quantifiable', 'max_cv')})",
            "bead_count": f">= {min_beads:g} ({cite('bead_count', 'min')})",
            "monotonicity": f"{tolerance:g} x span ({cite('monotonicity', 'tolerance')})",
        },
    }
    return AssayResult(read=read, wells=wells, curves=curves, standards=standards, fits=fits, params=params)


def _quantifiable_range(levels: pd.DataFrame) -> tuple[float, float]:
    """LLOQ and ULOQ: the lowest and highest expected concentration of the longest run of consecutive
    quantifiable levels (NaN, NaN when no level is quantifiable)."""
    best: tuple[int, int] | None = None
    start = None
    flags = levels["quantifiable"].to_numpy()
    for i, good in enumerate(list(flags) + [False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    if best is None:
        return float("nan"), float("nan")
    expected = levels["expected"].to_numpy()
    return float(expected[best[0]]), float(expected[best[1] - 1])


def _substitute(wells: pd.DataFrame, curves: pd.DataFrame, substitution: str) -> np.ndarray:
    """Reported (dilution-corrected) concentrations under the substitution rule; flags are not changed."""
    reported = wells["corrected"].to_numpy(dtype=float).copy()
    if substitution == "none" or curves.empty:
        return reported
    limits = curves.set_index(["plate", "analyte"])[["lloq", "uloq"]]
    keys = pd.MultiIndex.from_arrays([wells["plate"], wells["analyte"]])
    lloq = limits["lloq"].reindex(keys).to_numpy() * wells["dilution"].to_numpy()
    uloq = limits["uloq"].reindex(keys).to_numpy() * wells["dilution"].to_numpy()
    factor = 0.5 if substitution == "lloq/2" else 1 / np.sqrt(2)
    flag = wells["flag"].to_numpy()
    low = np.isin(flag, ["<LLOQ", "<curve"])
    high = np.isin(flag, [">ULOQ", ">curve"])
    reported[low] = lloq[low] * factor
    reported[high] = uloq[high]
    return reported
