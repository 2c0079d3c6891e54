"""Lot-to-lot comparability: TOST equivalence per factor, CV across lots, similarity control chart.

Rules (all thresholds come from ``secretome/config/comparability.toml``):

* **Factor verdict** (per test lot and factor protein): Welch-based TOST of the test lot's samples
  against the pooled samples of the reference lots, on log2 values. ``p = max(p_lower, p_upper)`` of
  the two one-sided tests of H0 ``diff <= -margin`` and H0 ``diff >= margin``; ``equivalent`` when
  ``p < alpha`` (equivalently: the ``1 - 2 alpha`` Welch confidence interval lies inside
  ``+/- margin``), ``not_equivalent`` otherwise. A lot measured once (one value, the usual release
  situation) is tested with the reference lots' variance as the common variance: the pooled Student
  TOST, ``se = s_ref * sqrt(1 + 1/n_ref)`` on ``n_ref - 1`` df (column ``method``). ``insufficient_data``
  when the test lot has no value, the reference fewer than 2, or the factor is not detected.
* **Similarity** of a lot: correlation (Pearson by default) of its mean log2 profile with the mean
  profile of the reference lots over proteins finite in both. Reference lots are scored
  leave-one-out (against the mean of the other reference lots); their scores set the lower control
  limit: mean - k*SD with at least ``min_reference_lots_for_sd`` reference lots, the lowest score
  with 2 (empirical), none with 1. A lot is ``within_limits`` when its score is at or above the
  lower limit, else ``out_of_limits``; ``insufficient_data`` without a limit.
* **Lot verdict**: ``not_comparable`` if any factor is ``not_equivalent`` or the similarity is
  ``out_of_limits``; otherwise ``insufficient_data`` if any factor or the similarity lacks data;
  otherwise ``comparable``. Reference lots get the similarity verdict only (role ``reference``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import stats

from secretome.config import config
from secretome.errors import SecretomeInputError
from secretome.provenance import record_step
from secretome.stats.classic import default_layer


@dataclass
class ComparabilityResult:
    """Tidy tables of a comparability analysis and a summary dict (the rules are in the module doc)."""

    factors: pd.DataFrame
    cv: pd.DataFrame
    lots: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def tost_welch(x: np.ndarray, y: np.ndarray, margin: float, alpha: float | None = None) -> dict[str, float | str]:
    """Two one-sided Welch tests of equivalence of mean(x) - mean(y) within ``+/- margin``.

    Returns diff, se, df, the ``1 - 2 alpha`` confidence interval, p_lower, p_upper, p_value (the max),
    the verdict and the method. NaN values are ignored. A single test value is compared with the pooled
    Student TOST, whose variance then comes from the reference alone (``method = "pooled_single_test"``);
    no test value or fewer than 2 reference values gives ``insufficient_data``.
    """
    alpha = float(config("comparability")["tost"]["alpha"]) if alpha is None else alpha
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    result: dict[str, float | str] = {
        "n_test": float(x.size), "n_reference": float(y.size),
        "mean_test": float(x.mean()) if x.size else np.nan, "mean_reference": float(y.mean()) if y.size else np.nan,
    }
    if x.size < 1 or y.size < 2:
        nan = np.nan
        return {**result, "diff": result["mean_test"] - result["mean_reference"], "se": nan, "df": nan, "ci_low": nan,
                "ci_high": nan, "p_lower": nan, "p_upper": nan, "p_value": nan, "verdict": "insufficient_data",
                "method": "none"}
    diff = float(x.mean() - y.mean())
    if x.size == 1:
        method = "pooled_single_test"
        se = float(y.std(ddof=1) * np.sqrt(1.0 + 1.0 / y.size))
        df = float(y.size - 1)
    else:
        method = "welch"
        vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        se = float(np.sqrt(vx + vy))
        # Welch-Satterthwaite df from the variances scaled by the larger: the same number, without the squares of
        # tiny variances (1e-293) underflowing to 0 / 0
        scale = max(vx, vy)
        ax, ay = (vx / scale, vy / scale) if scale > 0 else (0.0, 0.0)
        df = float((ax + ay) ** 2 / (ax**2 / (x.size - 1) + ay**2 / (y.size - 1))) if se > 0 else np.nan
    if se == 0.0:
        inside = abs(diff) < margin
        p_lower = p_upper = 0.0 if inside else 1.0
        df = np.nan
        ci_low = ci_high = diff
    else:
        p_lower = float(stats.t.sf((diff + margin) / se, df))
        p_upper = float(stats.t.cdf((diff - margin) / se, df))
        half = float(stats.t.ppf(1.0 - alpha, df)) * se
        ci_low, ci_high = diff - half, diff + half
    p_value = max(p_lower, p_upper)
    return {**result, "diff": diff, "se": se, "df": df, "ci_low": ci_low, "ci_high": ci_high, "p_lower": p_lower,
            "p_upper": p_upper, "p_value": p_value, "verdict": "equivalent" if p_value < alpha else "not_equivalent",
            "method": method}


def _correlation(a: np.ndarray, b: np.ndarray, method: str) -> tuple[float, int]:
    shared = np.isfinite(a) & np.isfinite(b)
    n = int(shared.sum())
    if n < 3:
        return np.nan, n
    if method == "pearson":
        return float(np.corrcoef(a[shared], b[shared])[0, 1]), n
    return float(stats.spearmanr(a[shared], b[shared]).statistic), n


def _lot_means(values: np.ndarray, lots: pd.Series, names: list[str]) -> dict[str, np.ndarray]:
    out = {}
    for name in names:
        block = values[(lots == name).to_numpy()]
        observed = np.isfinite(block)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(observed, block, 0.0).sum(axis=0) / observed.sum(axis=0)
        out[name][observed.sum(axis=0) == 0] = np.nan
    return out


def _mean_profile(profiles: list[np.ndarray]) -> np.ndarray:
    stacked = np.vstack(profiles)
    observed = np.isfinite(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(observed, stacked, 0.0).sum(axis=0) / observed.sum(axis=0)
    mean[observed.sum(axis=0) == 0] = np.nan
    return mean


def check_lots(obs: pd.DataFrame, lot_column: str, reference: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Check the lot column and reference lots against a sample sheet; returns ``(reference, test lots)``.

    Cheap, so callers run it before any work: an absent column, a sample without a lot, an unknown
    reference lot or no lot left to test is an input error naming the column and the lots that exist.
    """
    if lot_column not in obs.columns:
        raise SecretomeInputError(
            "the lot column is absent from the sample sheet", column=lot_column, expected=", ".join(map(str, obs.columns))
        )
    missing = obs[lot_column].isna() | (obs[lot_column].astype(str).str.strip() == "")  # sheets keep empty cells as ""
    if missing.any():
        names = ", ".join(map(str, obs.index[missing.to_numpy()][:8]))
        raise SecretomeInputError(
            f"sample(s) without a lot: {names}", column=lot_column, expected="a lot for every sample"
        )
    all_lots = list(pd.unique(obs[lot_column].astype(str)))
    # a lot named twice is one reference lot; sheet values are read stripped, so the names are too
    reference = list(dict.fromkeys(str(lot).strip() for lot in reference))
    if not reference:
        raise SecretomeInputError("no reference lot given", expected="one or more reference lots", parameters=("reference",))
    unknown = [lot for lot in reference if lot not in all_lots]
    if unknown:
        shown = ", ".join(lot or "''" for lot in unknown)
        raise SecretomeInputError(f"reference lot(s) {shown} do not occur", column=lot_column, expected=", ".join(all_lots))
    tests = [lot for lot in all_lots if lot not in reference]
    if not tests:
        raise SecretomeInputError("every lot is a reference lot; nothing to compare", column=lot_column)
    return reference, tests


def _data_symbols(factors: Sequence[str], genes: np.ndarray) -> list[str]:
    """Factors spelled as the data spells them (gene symbols match whatever their case: ``egf`` is EGF), once each."""
    if any(not str(gene).strip() for gene in factors):
        raise SecretomeInputError("an empty factor name", column="factor", expected="gene symbols such as EGF")
    spelled: dict[str, str] = {}
    for gene in genes:
        spelled.setdefault(gene.casefold(), gene)
    return list(dict.fromkeys(spelled.get(str(gene).strip().casefold(), str(gene).strip()) for gene in factors))


def comparability(
    adata: AnnData,
    lot_column: str = "lot",
    reference: list[str] | tuple[str, ...] = (),
    factors: list[str] | None = None,
    margin: float | None = None,
    alpha: float | None = None,
    layer: str | None = None,
    similarity: Literal["pearson", "spearman"] | None = None,
) -> ComparabilityResult:
    """Compare every non-reference lot with the pooled reference lots (see the module doc for rules).

    ``factors``: gene symbols matched on ``.var['gene']`` (default: the key-factor panel,
    :func:`secretome.kb.panel.key_factor_genes`); every protein of a matched gene is a factor row.
    ``margin``: equivalence margin in log2 units. ``layer``: log2 values (default the most processed
    layer, see :func:`secretome.stats.classic.default_layer`). Records a provenance step.
    """
    settings = config("comparability")
    margin = float(settings["tost"]["margin_log2"] if margin is None else margin)
    alpha = float(settings["tost"]["alpha"] if alpha is None else alpha)
    similarity = similarity or settings["similarity"]["method"]
    k_sd = float(settings["similarity"]["k_sd"])
    min_lots_sd = int(settings["similarity"]["min_reference_lots_for_sd"])
    if not (margin > 0 and np.isfinite(margin)):
        raise SecretomeInputError(f"margin must be a positive finite number (log2 units), got {margin}")
    if not 0 < alpha < 0.5:
        raise SecretomeInputError(f"alpha must be in (0, 0.5), got {alpha}")
    if similarity not in ("pearson", "spearman"):
        raise SecretomeInputError(f"unknown similarity {similarity!r}", expected="pearson or spearman")
    reference, tests = check_lots(adata.obs, lot_column, reference)
    lots = adata.obs[lot_column].astype(str)
    all_lots = list(pd.unique(lots))
    if factors is None:
        from secretome.kb.panel import key_factor_genes

        factors = key_factor_genes()
    if "gene" not in adata.var.columns:
        raise SecretomeInputError("the dataset has no .var['gene'] column to match factors on")
    layer = default_layer(adata) if layer is None else layer
    if layer not in adata.layers:
        raise SecretomeInputError(f"layers[{layer!r}] is absent", expected=", ".join(adata.layers.keys()))
    values = np.asarray(adata.layers[layer], dtype=np.float64)
    is_reference = lots.isin(reference).to_numpy()
    genes = adata.var["gene"].astype(str).to_numpy()
    factors = _data_symbols(factors, genes)
    genes = np.array([gene.casefold() for gene in genes], dtype=object)  # matched case-insensitively

    factor_rows = []
    for gene in factors:
        matches = np.flatnonzero(genes == gene.casefold())
        for lot in tests:
            in_lot = (lots == lot).to_numpy()
            if matches.size == 0:
                row = tost_welch(np.array([]), np.array([]), margin, alpha)
                factor_rows.append({"lot": lot, "factor": gene, "protein": "", "detected": False, **row})
            for index in matches:
                row = tost_welch(values[in_lot, index], values[is_reference, index], margin, alpha)
                factor_rows.append({"lot": lot, "factor": gene, "protein": str(adata.var_names[index]), "detected": True, **row})
    factor_table = pd.DataFrame(factor_rows)
    if not factor_table.empty:
        factor_table.insert(factor_table.columns.get_loc("verdict"), "margin", margin)

    means = _lot_means(values, lots, all_lots)
    cv_rows = []
    for gene in factors:
        for index in np.flatnonzero(genes == gene.casefold()):
            linear = {lot: float(np.nanmean(np.exp2(values[(lots == lot).to_numpy(), index]))) if np.isfinite(means[lot][index]) else np.nan for lot in all_lots}
            cv_rows.append(
                {"factor": gene, "protein": str(adata.var_names[index]), **_cv(list(linear.values()), "all_lots"),
                 **_cv([linear[lot] for lot in reference], "reference_lots")}
            )
    cv_table = pd.DataFrame(cv_rows, columns=["factor", "protein", "n_all_lots", "cv_all_lots", "n_reference_lots", "cv_reference_lots"])

    reference_profile = _mean_profile([means[lot] for lot in reference])
    lot_rows = []
    loo_scores = []
    for lot in reference:
        others = [other for other in reference if other != lot]
        score, n_shared = _correlation(means[lot], _mean_profile([means[o] for o in others]), similarity) if others else (np.nan, 0)
        loo_scores.append(score)
        lot_rows.append({"lot": lot, "role": "reference", "similarity": score, "n_shared_proteins": n_shared})
    for lot in tests:
        score, n_shared = _correlation(means[lot], reference_profile, similarity)
        lot_rows.append({"lot": lot, "role": "test", "similarity": score, "n_shared_proteins": n_shared})
    finite_loo = np.array([s for s in loo_scores if np.isfinite(s)])
    if finite_loo.size >= min_lots_sd:
        center, spread = float(finite_loo.mean()), float(finite_loo.std(ddof=1))
        lower, upper, limit_method = center - k_sd * spread, min(1.0, center + k_sd * spread), f"mean - {k_sd:g} SD of leave-one-out scores"
    elif finite_loo.size == 2:
        center, lower, upper = float(finite_loo.mean()), float(finite_loo.min()), float(finite_loo.max())
        limit_method = "empirical: lowest leave-one-out score (2 reference lots)"
    else:
        center = lower = upper = np.nan
        limit_method = "none: fewer than 2 reference lots with a score"
    lot_table = pd.DataFrame(lot_rows)
    lot_table["center"], lot_table["lower_limit"], lot_table["upper_limit"] = center, lower, upper
    lot_table["similarity_verdict"] = [
        "insufficient_data" if not (np.isfinite(score) and np.isfinite(lower)) else ("within_limits" if score >= lower else "out_of_limits")
        for score in lot_table["similarity"]
    ]
    verdicts, counts = [], {"n_equivalent": [], "n_not_equivalent": [], "n_insufficient_data": []}
    for _, row in lot_table.iterrows():
        mine = factor_table[factor_table["lot"] == row["lot"]]["verdict"] if not factor_table.empty else pd.Series(dtype=str)
        counts["n_equivalent"].append(int((mine == "equivalent").sum()))
        counts["n_not_equivalent"].append(int((mine == "not_equivalent").sum()))
        counts["n_insufficient_data"].append(int((mine == "insufficient_data").sum()))
        verdicts.append(_lot_verdict(row["role"], mine, row["similarity_verdict"]))
    for name, column in counts.items():
        lot_table[name] = column
    lot_table["verdict"] = verdicts

    summary = {
        "lot_column": lot_column,
        "reference_lots": reference,
        "test_lots": tests,
        "layer": layer,
        "margin_log2": margin,
        "alpha": alpha,
        "similarity_method": similarity,
        "control_limit_method": limit_method,
        "n_factors_requested": len(factors),
        "n_factors_detected": int(sum((genes == gene.casefold()).any() for gene in factors)),
        "lot_verdicts": dict(zip(lot_table["lot"], lot_table["verdict"])),
        "rule": "not_comparable if any factor not_equivalent or similarity out_of_limits; else insufficient_data "
        "if any factor or the similarity lacks data; else comparable",
    }
    record_step(adata, "comparability", "secretome.stats.comparability.comparability",
                {"lot_column": lot_column, "reference": reference, "margin": margin, "alpha": alpha, "layer": layer,
                 "similarity": similarity, "n_factors": len(factors)})
    return ComparabilityResult(factors=factor_table, cv=cv_table, lots=lot_table, summary=summary)


def _cv(linear: list[float], suffix: str) -> dict[str, float]:
    """Coefficient of variation (SD / mean, linear scale) of per-lot mean quantities."""
    finite = np.array([v for v in linear if np.isfinite(v)])
    cv = float(finite.std(ddof=1) / finite.mean()) if finite.size >= 2 else np.nan
    return {f"n_{suffix}": int(finite.size), f"cv_{suffix}": cv}


def _lot_verdict(role: str, factor_verdicts: pd.Series, similarity_verdict: str) -> str:
    if role == "reference":
        return similarity_verdict
    if (factor_verdicts == "not_equivalent").any() or similarity_verdict == "out_of_limits":
        return "not_comparable"
    if (factor_verdicts == "insufficient_data").any() or similarity_verdict == "insufficient_data":
        return "insufficient_data"
    return "comparable"
