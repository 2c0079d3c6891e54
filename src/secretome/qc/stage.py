"""The QC stage: every sample QC metric, purity share and verdict into ``.obs``/``.var``/``.uns['qc']``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.provenance import record_step
from secretome.qc.distributions import group_cvs, intensity_quantiles
from secretome.qc.matrices import (as_text, counted_proteins, detected_counts, linear_quantities, log2_quantities,
                                   nanmedian)
from secretome.qc.missingness import identification_stats
from secretome.qc.outliers import pairwise_correlation, pca, robust_z
from secretome.qc.purity import purity_assessable, purity_categories, purity_drivers, purity_shares
from secretome.qc.registry import PURITY_REGISTRY, flagged_indices
from secretome.qc.thresholds import THRESHOLDS_FILE, Thresholds, load_thresholds
from secretome.qc.verdicts import judge, worst


def qc(
    adata: AnnData,
    group: str | None = None,
    thresholds: Thresholds | None = None,
) -> AnnData:
    """Run QC and purity on an annotated dataset; store results in it and return it.

    Adds to ``.obs``: ``n_proteins``, ``missing_share``, all purity shares, ``correlation_median``,
    ``correlation_z``, ``pca_distance``, ``pca_z``, a ``<metric>_flag`` per flagged metric,
    ``qc_status`` (worst flag) and ``qc_verdicts`` (the non-pass verdicts, ``; ``-joined).
    Adds to ``.var``: ``purity_category``, ``purity_rule``, ``serum_mixed``, ``n_detected``.
    Stores correlation, PCA, intensity quantiles, group CVs, purity drivers and every verdict (a samples x
    metrics frame of verdict texts) in ``.uns['qc']``.
    """
    thresholds = thresholds or load_thresholds()
    if group is not None and group not in adata.obs:
        raise SecretomeInputError(
            f"no sample-sheet column {group!r}", column=group, expected=f"one of {list(adata.obs.columns)}"
        )
    if group is not None:
        empty = as_text(adata.obs[group]) == ""  # sample sheets keep empty cells as ""
        if empty.any():
            raise SecretomeInputError(
                f"sample(s) without a {group!r} value: {', '.join(map(str, adata.obs_names[empty][:8]))}",
                column=group, expected="a group level for every sample",
            )
    categories = purity_categories(adata, thresholds)
    for column in categories:
        adata.var[column] = categories[column].to_numpy()
    adata.var["n_detected"] = detected_counts(linear_quantities(adata)).astype(int)

    peers = adata.obs[group] if group is not None else None
    ident = identification_stats(adata, peers)
    assessable, not_assessable_reason = purity_assessable(adata, categories, thresholds)
    shares = purity_shares(adata, categories, thresholds)
    log2 = log2_quantities(adata)  # a view, read block by block: no stage below holds a copy of the matrix
    counted = None if counted_proteins(adata).all() else np.flatnonzero(counted_proteins(adata))
    corr = pairwise_correlation(log2, int(thresholds.setting("correlation_min_overlap")), columns=counted)
    median_corr = _off_diagonal_medians(corr)
    pcs = pca(log2, float(thresholds.setting("pca_min_detection")), int(thresholds.setting("pca_components")),
              columns=counted)
    enough = adata.n_obs >= int(thresholds.setting("outlier_min_samples"))
    corr_z = robust_z(median_corr) if enough else np.full(adata.n_obs, np.nan)
    pca_z = robust_z(pcs.distance) if enough else np.full(adata.n_obs, np.nan)

    obs = pd.concat([ident, shares], axis=1)
    obs["correlation_median"] = median_corr
    obs["correlation_z"] = corr_z
    obs["pca_distance"] = pcs.distance
    obs["pca_z"] = pca_z
    verdicts: dict[str, list[str]] = {}
    flags: dict[str, list[str]] = {}
    median_n = float(np.median(ident["n_proteins"])) if adata.n_obs else np.nan
    checks = [("n_proteins", "n_proteins", median_n), ("missing_share", "missing_share", None)]
    checks += [(name, name, None) for name in flagged_indices()]
    for column, metric, reference in checks:
        judged = [judge(value, metric, thresholds, reference) for value in obs[column].to_numpy(dtype=float)]
        flags[f"{column}_flag"] = [flag for flag, _ in judged]
        verdicts[metric] = [text for _, text in judged]
    verdicts["purity_assessable"] = [
        "pass: purity assessable (a proteome with lysis or serum proteins measured)" if assessable
        else f"not_assessable: purity shares are not judged: {not_assessable_reason}"] * adata.n_obs
    for column, metric, z in (("correlation", "correlation_outlier", corr_z), ("pca", "pca_outlier", pca_z)):
        column_flags, texts = [], []
        for value in z:
            if not enough:
                flag, verdict = "pass", (
                    f"pass: {metric} not assessed, {adata.n_obs} samples < "
                    f"{int(thresholds.setting('outlier_min_samples'))} ({THRESHOLDS_FILE}: settings.outlier_min_samples)"
                )
            elif not np.isfinite(value):
                flag, verdict = "warn", f"warn: {metric} not computable for this sample (too few shared proteins)"
            else:
                flag, verdict = judge(float(value), metric, thresholds)
            column_flags.append(flag)
            texts.append(verdict)
        flags[f"{column}_flag"] = column_flags
        verdicts[metric] = texts
    for name, values in flags.items():
        obs[name] = values
    flag_frame = obs[list(flags)]
    obs["qc_status"] = [worst(row) for row in flag_frame.itertuples(index=False)]
    verdict_frame = pd.DataFrame(verdicts, index=adata.obs_names)
    obs["qc_verdicts"] = [
        "; ".join(v for v in row if not v.startswith("pass")) for row in verdict_frame.itertuples(index=False)
    ]
    for column in obs:
        adata.obs[column] = obs[column].to_numpy()

    groups = adata.obs[group] if group is not None else pd.Series("all", index=adata.obs_names)
    cvs = group_cvs(linear_quantities(adata), groups, int(thresholds.setting("cv_min_detected")), columns=counted)
    cv_flags, cv_verdicts = [], []
    for value, level in zip(cvs["median_cv"], cvs["group"]):
        flag, verdict = judge(float(value), "group_cv", thresholds) if np.isfinite(value) else (
            "warn", "warn: group_cv not computable (fewer than 2 quantified replicates per protein)")
        cv_flags.append(flag)
        cv_verdicts.append(f"{level}: {verdict}")
    cvs["flag"] = cv_flags
    cvs["verdict"] = cv_verdicts

    adata.uns["qc"] = {
        "thresholds": thresholds.as_dict(),
        "group": group if group is not None else "",
        "correlation": corr,
        "pca_scores": pcs.scores,
        "pca_explained_variance_ratio": pcs.explained_variance_ratio,
        "pca_n_proteins": pcs.n_proteins,
        "intensity_quantiles": intensity_quantiles(log2, adata.obs_names, columns=counted),
        "group_cv": cvs,
        "drivers": purity_drivers(adata, categories, int(thresholds.setting("top_n"))),
        "verdicts": verdict_frame,
        "purity_registry": pd.DataFrame(
            [{"name": c.name, "colour": c.colour, "flagged": c.flagged, "method": c.method} for c in PURITY_REGISTRY],
            columns=["name", "colour", "flagged", "method"]),
        "purity_assessable": assessable,
        "purity_not_assessable_reason": not_assessable_reason,
    }
    record_step(
        adata,
        "qc",
        "secretome.qc.qc",
        {"group": group, "overridden": sorted(thresholds.origins)},
    )
    return adata


def _off_diagonal_medians(corr: np.ndarray, block: int = 256) -> np.ndarray:
    """Each sample's median correlation with the others (NaN without any), ``block`` rows at a time instead of
    through an off-diagonal copy of the samples x samples matrix (the median of a sorted row: the same bits)."""
    medians = np.full(corr.shape[0], np.nan)
    for start in range(0, corr.shape[0], block):
        rows = corr[start:start + block].copy()
        rows[np.arange(rows.shape[0]), np.arange(start, start + rows.shape[0])] = np.nan
        medians[start:start + block] = nanmedian(rows, axis=1)
    return medians
