"""Outcome analysis: change from baseline, responder rates, and the composition-outcome link across lots.

The link asks whether patients treated with lots richer in some component improved more. Composition is
a property of a *lot*, so the unit of evidence is the lot, not the patient: each lot's mean change (eyes
averaged within a patient, then patients within the lot) is regressed on each standardised composition
feature across lots (ordinary least squares, t with lots - 2 degrees of freedom), the p-values are
Benjamini-Hochberg corrected across features, and every result carries its effect size with a 95% CI.
:func:`sample_size_statement` says plainly what the number of lots can and cannot show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from secretome.errors import SecretomeInputError
from secretome.stats.classic import bh_adjust

CHANGE_COLUMNS = ("patient", "eye", "measure", "visit", "baseline", "value", "change")


def change_from_baseline(scored: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per patient, eye and measure: the value at each later visit minus the value at ``baseline``."""
    if baseline not in set(scored["visit"]):
        raise SecretomeInputError(f"no scores at the baseline visit {baseline!r}", column="visit",
                                  expected="the baseline visit's name as in the records: " + ", ".join(map(str, scored["visit"].unique()[:8])))
    base = scored[scored["visit"] == baseline][["patient", "eye", "measure", "score"]].rename(columns={"score": "baseline"})
    later = scored[scored["visit"] != baseline][["patient", "eye", "measure", "visit", "score"]].rename(columns={"score": "value"})
    merged = later.merge(base, on=["patient", "eye", "measure"], how="inner")
    merged["change"] = merged["value"] - merged["baseline"]
    return merged[list(CHANGE_COLUMNS)].reset_index(drop=True)


def baseline_adjusted_effect(per_patient: pd.DataFrame, *, reference: str, level: float = 0.95) -> pd.DataFrame:
    """Arm differences at follow-up adjusted for baseline (ANCOVA: value ~ baseline + arm, ordinary least squares).

    ``per_patient`` has one row per patient with columns baseline, value and arm; ``reference`` is the
    control arm. Returns one row per other arm: difference, SE, t-based CI and p (as R's ``lm`` gives).
    """
    frame = per_patient.dropna(subset=["baseline", "value", "arm"])
    arms = [reference] + sorted(set(frame["arm"]) - {reference})
    if reference not in set(frame["arm"]) or len(arms) < 2:
        raise SecretomeInputError(f"the comparison needs the reference arm {reference!r} and another arm",
                                  column="arm", expected="two or more arms with baseline and follow-up values")
    X = np.column_stack([np.ones(len(frame)), frame["baseline"].to_numpy(float)]
                        + [(frame["arm"] == arm).to_numpy(float) for arm in arms[1:]])
    y = frame["value"].to_numpy(float)
    dof = len(y) - X.shape[1]
    if dof < 1:
        raise SecretomeInputError("too few patients for a baseline-adjusted comparison", expected="more patients than model terms")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    residual = y - X @ beta
    sigma2 = residual @ residual / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(X.T @ X)))
    q = stats.t.ppf(0.5 + level / 2, dof)
    rows = []
    for k, arm in enumerate(arms[1:], start=2):
        t_value = beta[k] / se[k]
        rows.append({"arm": arm, "reference": reference, "difference": beta[k], "se": se[k], "ci_low": beta[k] - q * se[k],
                     "ci_high": beta[k] + q * se[k], "p_value": 2 * stats.t.sf(abs(t_value), dof), "baseline_slope": beta[1],
                     "n_patients": len(y), "df": dof})
    return pd.DataFrame(rows)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (better than Wald at small n and rates near 0 or 1)."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def responder_rates(
    changes: pd.DataFrame, exposure: pd.DataFrame, *, measure: str, visit: str, mcid: float, higher_is_worse: bool, by: str = "arm",
) -> pd.DataFrame:
    """Share of patients improving by at least ``mcid`` at ``visit``, per ``by`` (arm or lot), Wilson 95% CI.

    For an eye-level measure a patient responds when the mean change of their treated eyes does.
    """
    rows = changes[(changes["measure"] == measure) & (changes["visit"] == visit)]
    per_patient = _patient_changes(rows, exposure)
    improvement = -per_patient["change"] if higher_is_worse else per_patient["change"]
    per_patient = per_patient.assign(responder=improvement >= mcid)
    out = []
    for group, part in per_patient.groupby(by, sort=True):
        k, n = int(part["responder"].sum()), int(len(part))
        low, high = wilson_interval(k, n)
        out.append({by: group, "measure": measure, "visit": visit, "mcid": mcid, "n_patients": n, "n_responders": k,
                    "rate": k / n if n else np.nan, "ci_low": low, "ci_high": high})
    return pd.DataFrame(out)


def _patient_changes(rows: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """One change per patient (mean over treated eyes; patient-level measures taken as they are) with arm and lot."""
    per_patient_exposure = exposure.drop_duplicates("patient")[["patient", "arm", "lot"]]
    eye_rows = rows[rows["eye"] != ""].merge(exposure, on=["patient", "eye"], how="inner")
    patient_rows = rows[rows["eye"] == ""].merge(per_patient_exposure, on="patient", how="inner")
    both = pd.concat([eye_rows, patient_rows], ignore_index=True)
    return both.groupby(["patient", "arm", "lot"], as_index=False)[["baseline", "value", "change"]].mean()


def patient_values(changes: pd.DataFrame, exposure: pd.DataFrame, *, measure: str, visit: str) -> pd.DataFrame:
    """One row per treated patient: arm, lot, baseline, value at ``visit`` and change (treated eyes averaged)."""
    rows = changes[(changes["measure"] == measure) & (changes["visit"] == visit)]
    return _patient_changes(rows, exposure)


def lot_changes(changes: pd.DataFrame, exposure: pd.DataFrame, *, measure: str, visit: str) -> pd.DataFrame:
    """Per lot: number of patients and the mean (and SD) of their change in ``measure`` at ``visit``."""
    rows = changes[(changes["measure"] == measure) & (changes["visit"] == visit)]
    per_patient = _patient_changes(rows, exposure)
    grouped = per_patient.groupby("lot")["change"]
    return pd.DataFrame({"n_patients": grouped.size(), "mean_change": grouped.mean(), "sd_change": grouped.std()})


def composition_link(
    changes: pd.DataFrame,
    exposure: pd.DataFrame,
    composition: pd.DataFrame,
    *,
    measure: str,
    visit: str,
    higher_is_worse: bool = True,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Association of each composition feature with the lots' mean change in ``measure`` at ``visit``.

    Returns one row per feature (slope per SD of the feature with 95% CI, Pearson r with Fisher-z CI, p,
    BH q, significance at ``alpha``) and a dict with the lots used and the plain-language statement.
    ``improvement_per_sd`` has the sign of benefit (positive = better outcome with more of the feature).
    """
    per_lot = lot_changes(changes, exposure, measure=measure, visit=visit)
    lots = [lot for lot in per_lot.index if lot in composition.index]
    unmatched = sorted(set(per_lot.index) - set(lots))
    per_lot = per_lot.loc[lots]
    k = len(lots)
    rows = []
    for feature in composition.columns:
        x = composition.loc[lots, feature].astype(float)
        keep = x.notna().to_numpy()
        xk, yk = x.to_numpy()[keep], per_lot["mean_change"].to_numpy()[keep]
        n_lots = int(keep.sum())
        row: dict[str, Any] = {"measure": measure, "visit": visit, "feature": feature, "n_lots": n_lots,
                               "n_patients": int(per_lot["n_patients"].to_numpy()[keep].sum())}
        if n_lots < 4 or np.nanstd(xk) == 0:
            rows.append({**row, "note": "not tested: fewer than 4 lots with a value" if n_lots < 4 else "not tested: the same in every lot"})
            continue
        sd = xk.std(ddof=1)
        z = (xk - xk.mean()) / sd
        slope, intercept, r, p, se = stats.linregress(z, yk)
        t = stats.t.ppf(0.975, n_lots - 2)
        sign = -1.0 if higher_is_worse else 1.0
        fz, fse = np.arctanh(np.clip(r, -0.999999, 0.999999)), 1.0 / np.sqrt(n_lots - 3)
        rows.append({**row, "feature_mean": float(xk.mean()), "feature_sd": float(sd),
                     "change_per_sd": slope, "ci_low": slope - t * se, "ci_high": slope + t * se,
                     "improvement_per_sd": sign * slope, "r": r, "r_ci_low": float(np.tanh(fz - 1.959964 * fse)),
                     "r_ci_high": float(np.tanh(fz + 1.959964 * fse)), "p_value": p, "note": ""})
    table = pd.DataFrame(rows)
    if "p_value" not in table.columns:
        table["p_value"] = np.nan
    table["q_value"] = bh_adjust(table["p_value"].to_numpy())
    table["significant"] = table["q_value"] < alpha
    info = {"measure": measure, "visit": visit, "n_lots": k, "lots": lots, "n_patients": int(per_lot["n_patients"].sum()),
            "lots_without_composition": unmatched, "alpha": alpha,
            "statement": sample_size_statement(k, int(per_lot["n_patients"].sum()), n_features=int(table["p_value"].notna().sum()),
                                               alpha=alpha, correlated=_correlated_pairs(composition.loc[lots]))}
    return table, info


def minimal_detectable_r(n_lots: int, *, alpha: float = 0.05, power: float = 0.8) -> float | None:
    """Smallest |r| across ``n_lots`` lots detectable with ``power`` at two-sided ``alpha`` (Fisher z)."""
    if n_lots < 4:
        return None
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(np.tanh(z / np.sqrt(n_lots - 3)))


def _correlated_pairs(composition: pd.DataFrame, threshold: float = 0.8) -> list[tuple[str, str, float]]:
    numeric = composition.astype(float)
    if len(numeric) < 4:
        return []
    corr = numeric.corr()
    pairs = []
    names = list(corr.columns)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            value = corr.loc[a, b]
            if np.isfinite(value) and abs(value) >= threshold:
                pairs.append((a, b, float(value)))
    return pairs


def sample_size_statement(n_lots: int, n_patients: int, *, n_features: int, alpha: float = 0.05,
                          correlated: Sequence[tuple[str, str, float]] = ()) -> list[str]:
    """Plain sentences on what ``n_lots`` lots (and ``n_patients`` patients) can and cannot show."""
    lines = [f"The link rests on {n_lots} lots given to {n_patients} patients: composition varies between lots, "
             "so the lots, not the patients, are the independent observations."]
    detectable = minimal_detectable_r(n_lots, alpha=alpha)
    if detectable is None:
        lines.append("With fewer than 4 lots no association can be tested; the table only describes the lots.")
        return lines
    lines.append(f"With {n_lots} lots only strong associations can be seen: a correlation of |r| >= {detectable:.2f} "
                 f"is found 80% of the time at alpha = {alpha:g} (before the correction for {n_features} features); "
                 "weaker real effects will usually be missed, so 'not significant' does not mean 'no effect'.")
    lines.append(f"P-values are Benjamini-Hochberg corrected across the {n_features} features tested (false discovery rate {alpha:g}).")
    lines.append("An association across lots shows which lots went with better healing, not that a component causes it: "
                 "lots that differ in one component usually differ in others and in how they were made.")
    if correlated:
        shown = "; ".join(f"{a} ~ {b} (r = {r:.2f})" for a, b, r in correlated[:6])
        lines.append(f"These features move together across the lots and cannot be told apart here: {shown}.")
    return lines

