"""The profile stage: QC, purity and functional content of a secretome preparation, stored in the dataset.

:func:`profile` works on an annotated AnnData (samples x proteins) in place, like a scanpy tool: QC
columns go into ``.obs``/``.var`` (see :func:`secretome.qc.qc`), the per-sample class shares into
``.obsm['class_share']``/``.obsm['class_factors']``, and the functional profile, key factors, group
comparison and parameters into ``.uns['profile']``; it returns the same dataset.
:func:`secretome.summary.build_summary` turns that into the report's input; the whole command
(read -> stages -> one output directory) is :func:`secretome.jobs.profile_job`.

Functional profile rules (stated in the report too): a sample's *secreted pool* is the quantity of its
proteins in the ``secreted`` purity category (see :mod:`secretome.qc`); each functional class's share is
the part of that pool carried by proteins of the class (a protein in several classes counts in each),
and its factor count is the number of such proteins quantified in the sample.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome import __version__
from secretome.kb.vocab import FUNCTIONAL_CLASSES
from secretome.provenance import provenance_steps, record_step
from secretome.qc import matrices
from secretome.qc import (
    Thresholds,
    as_text,
    column_blocks,
    derived_matrices,
    detected_counts,
    linear_quantities,
    load_thresholds,
    log2_quantities,
    mean_sample_share,
    mean_shares,
    nanmedian,
    qc,
    row_blocks,
    registry_of,
)

def sample_columns(adata: AnnData) -> tuple[str, ...]:
    """Per-sample metrics with a pass/warn/fail flag, in report order: identifications, missingness and the
    flagged purity indices the dataset was partitioned with (:func:`secretome.qc.registry_of`)."""
    registry = registry_of(adata)
    return ("n_proteins", "missing_share", *(f"{name}_share" for name in registry.loc[registry["flagged"].astype(bool), "name"]))


def context_columns(adata: AnnData) -> tuple[str, ...]:
    """Per-sample values shown as context (no flag of their own): the unflagged purity shares, then
    :data:`CONTEXT_COLUMNS`."""
    registry = registry_of(adata)
    return (*(f"{name}_share" for name in registry.loc[~registry["flagged"].astype(bool), "name"]), *CONTEXT_COLUMNS)


CONTEXT_COLUMNS = (
    "serum_species_share", "serum_mixed_share", "serum_marker_share",
    "lysis_marker_share", "lysis_nuclear_share", "lysis_mitochondrial_share", "lysis_ribosomal_share",
    "lysis_cytosolic_enzyme_share", "lysis_other_share", "ldh_share", "correlation_median", "correlation_z",
    "pca_distance", "pca_z",
)
"""Sub-shares and outlier scores shown as context beside the purity indices."""

QC_METHODS = [
    "Shares are of each sample's total linear quantity (2**X for log2 input); decoys excluded; each protein counted in one category by precedence serum > handling > lysis > ev > secreted > membrane > unknown.",
    "Correlation: Pearson on log2 values, pairwise-complete proteins (settings.correlation_min_overlap minimum).",
    "PCA: proteins quantified in >= settings.pca_min_detection of samples; per-sample median centring; protein centring; remaining gaps = protein mean; SVD.",
    "Outliers: modified z-score (x - median) / (1.4826 MAD) of the median correlation to other samples and of the standardised PCA score distance (Iglewicz & Hoaglin 1993).",
    "CV: sd/mean on linear values of proteins quantified in >= settings.cv_min_detected samples of a group; the group's median CV is judged.",
]

FUNCTIONAL_RULE = (
    "Share = quantity of secreted-category proteins of the class / quantity of all secreted-category proteins of "
    "the sample (a protein in several classes counts in each); factors = such proteins quantified in the sample."
)


def profile(
    adata: AnnData,
    group: str | None = None,
    thresholds: Thresholds | None = None,
    *,
    preparation: str | None = None,
    panel_file: str | Path | None = None,
    progress: Callable[[str, float | None], None] | None = None,
) -> AnnData:
    """QC, purity and functional profile of a dataset; stores the results in it and returns it.

    Works in place (like scanpy). Runs :func:`secretome.annotate.annotate` first when ``.var`` lacks
    ``secretion_class``. ``group`` names a sample-sheet column whose levels are compared (per-group
    means, CVs, differences to the first level). ``thresholds`` defaults to
    :func:`secretome.qc.load_thresholds`. ``preparation`` (or the sample sheet's ``preparation`` column: MSC
    conditioned medium, MSC-EV, ocular surface epithelium, tear fluid ...) selects the key-factor panel and
    the plausibility warnings (:mod:`secretome.qc.plausibility`); ``panel_file`` replaces the panel with the
    user's own TSV (``gene, seed_class, why``). ``progress`` is told each step and the fraction done (a
    :data:`secretome.jobs.ProgressCallback`).
    """
    from secretome.kb.preparation import preparation_of, preparation_panel, preparation_types
    from secretome.qc.plausibility import plausibility_warnings

    with derived_matrices():  # linear and log2 views computed once for every stage below
        thresholds = thresholds or load_thresholds()
        kind = preparation_of(adata, preparation)
        panel_table, panel_source = preparation_panel(kind, panel_file)
        adata.uns["provenance"] = provenance_steps(adata)  # read back from h5ad, the list is stored keyed '000', ...
        if "secretion_class" not in adata.var:
            from secretome.annotate import annotate

            _tell(progress, "annotating proteins", 0.0)
            adata = annotate(adata)
        _tell(progress, "QC and purity", 0.25)
        adata = qc(adata, group=group, thresholds=thresholds)
        _tell(progress, "functional profile", 0.6)
        functional = functional_profile(adata, group, int(thresholds.setting("top_n")))
        adata.obsm["class_share"] = functional["per_sample"]["share"]
        adata.obsm["class_factors"] = functional["per_sample"]["n_factors"]
        adata.obs["profile_group"] = _groups(adata, group).to_numpy()
        _tell(progress, "key factors and groups", 0.8)
        adata.uns["functional_contributors"] = top_factor_frame(functional["top_factors"])
        panel, panel_by_group = key_factor_frames(key_factors(adata, group, panel_table))
        label = preparation_types().set_index("type").loc[kind, "label"] if kind else ""
        warnings = pd.DataFrame(plausibility_warnings(adata, kind),
                                columns=["gene", "group", "protein", "n_detected", "mean_share", "warning"])
        stored: dict[str, Any] = {
            "group": group,
            "secretome_version": __version__,
            "max_heatmap_samples": int(thresholds.setting("max_heatmap_samples")),
            "class_groups": class_group_frame(functional["per_group"]),
            "top_factors": top_factor_frame(functional["top_factors"]),
            "key_factors": panel,
            "key_factors_by_group": panel_by_group,
            "overview": lot_overview(adata),
            "preparation": {"type": kind or "", "label": str(label), "panel": panel_source, "warnings": warnings},
        }
        if group is not None:
            comparison = group_comparison(adata, group, functional)
            stored["group_comparison"] = {
                "n_samples": pd.DataFrame({"n_samples": pd.Series(comparison["n_samples"])}),
                "means": pd.DataFrame(comparison["means"]).T,
                "sds": pd.DataFrame(comparison["sds"]).T,
                "differences": pd.DataFrame(comparison["differences"],
                                            columns=["metric", "reference", "level", "mean_reference", "mean_level", "difference"]),
            }
        adata.uns["profile"] = stored
        record_step(adata, "profile", "secretome.profile.profile", {"group": group, "preparation": kind, "panel": panel_source})
    return adata


def lot_overview(adata: AnnData) -> pd.DataFrame:
    """One row per group level (``obs['profile_group']``): samples, QC status counts, the purity verdict
    (the worst purity flag of its samples, or ``not_assessable`` for a targeted panel, see
    :func:`secretome.qc.purity_assessable`) and which purity indices (or which reason) set it."""
    from secretome.qc import worst

    groups = adata.obs["profile_group"].astype(str)
    assessable = bool(adata.uns["qc"].get("purity_assessable", True))
    rows = []
    for level in _levels(groups):
        obs = adata.obs[(groups == level).to_numpy()]
        purity_flags = [f"{column}_flag" for column in sample_columns(adata)[2:]]
        flags = obs[purity_flags].astype(str)
        status = worst(flags.to_numpy().ravel())
        why = [name.removesuffix("_flag") for name in purity_flags if status != "pass" and (flags[name] == status).any()]
        if not assessable:  # a targeted panel: its shares say nothing about the preparation's purity
            status, why = "not_assessable", [str(adata.uns["qc"]["purity_not_assessable_reason"])]
        rows.append({"level": level, "n_samples": len(obs), "purity_status": status, "purity_set_by": ";".join(why),
                     **{f"n_{level_}": int((obs["qc_status"] == level_).sum()) for level_ in ("pass", "warn", "fail")}})
    return pd.DataFrame(rows, columns=["level", "n_samples", "purity_status", "purity_set_by", "n_pass", "n_warn", "n_fail"])


GROUP_RULE = "difference = mean(level) - mean(reference); reference = first level in sample order"


# --------------------------------------------------------------------------------------- storage
# Nested results are stored in ``.uns['profile']`` as tidy frames (h5ad writes a frame as a few arrays, but
# every small dict as its own group); :mod:`secretome.summary` turns them back into records.
def class_group_frame(per_group: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """``functional_profile()['per_group']`` as one row per (level, class)."""
    rows = [{"level": level, "class": name, "n_samples": entry["n_samples"], "mean_share": entry["mean_share"][name],
             "n_factors_detected": entry["n_factors_detected"][name], "median_n_factors": entry["median_n_factors"][name]}
            for level, entry in per_group.items() for name in FUNCTIONAL_CLASSES]
    return pd.DataFrame(rows, columns=["level", "class", "n_samples", "mean_share", "n_factors_detected", "median_n_factors"])


def top_factor_frame(top: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """``functional_profile()['top_factors']`` as one row per (class, factor), best first within a class."""
    rows = [{"class": name, **factor} for name, factors in top.items() for factor in factors]
    columns = ["class", "protein", "gene", "share_of_class", "mean_share_of_secreted", "n_detected", "median_log2"]
    return pd.DataFrame(rows, columns=columns)


KEY_FACTOR_COLUMNS = ["gene", "seed_class", "why", "protein", "in_table", "detected", "n_detected", "median_log2",
                      "abundance_percentile", "secretion_class", "purity_category"]


def key_factor_frames(panel: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`key_factors` as (one row per factor, one row per factor and group level)."""
    rows, by_group = [], []
    for entry in panel:
        rows.append({column: entry.get(column, "" if column in ("secretion_class", "purity_category") else np.nan)
                     for column in KEY_FACTOR_COLUMNS})
        by_group.extend({"gene": entry["gene"], "level": level, **values} for level, values in entry.get("by_group", {}).items())
    frame = pd.DataFrame(rows, columns=KEY_FACTOR_COLUMNS)
    frame["abundance_percentile"] = frame["abundance_percentile"].astype(float)
    frame["median_log2"] = frame["median_log2"].astype(float)
    return frame, pd.DataFrame(by_group, columns=["gene", "level", "n_detected", "n_samples", "median_log2"])


def _groups(adata: AnnData, group: str | None) -> pd.Series:
    if group is None:
        return pd.Series("all", index=adata.obs_names)
    return pd.Series(as_text(adata.obs[group], "(missing)"), index=adata.obs_names)


def _levels(groups: pd.Series) -> list[str]:
    return [str(level) for level in pd.unique(groups.to_numpy())]


def _class_matrix(adata: AnnData) -> np.ndarray:
    """Proteins x classes boolean membership from ``functional_classes`` (``;``-joined)."""
    column = adata.var.get("functional_classes", pd.Series("", index=adata.var_names))
    sets = [set(filter(None, str(value).split(";"))) if isinstance(value, str) else set() for value in column]
    return np.array([[name in s for name in FUNCTIONAL_CLASSES] for s in sets], dtype=bool).reshape(
        adata.n_vars, len(FUNCTIONAL_CLASSES)
    )


class _Pool:
    """The secreted pool (linear quantities of the ``secreted`` proteins, 0 elsewhere) as a samples x proteins
    matrix computed on access, block by block (like :class:`~secretome.qc.QuantityView`)."""

    def __init__(self, linear: Any, secreted: np.ndarray) -> None:
        self.linear, self.secreted, self.shape = linear, secreted, linear.shape

    def __getitem__(self, key: tuple[Any, Any]) -> np.ndarray:
        values = self.linear[key]  # a new block, zeroed in place outside the pool (no second block beside it)
        np.copyto(values, 0.0, where=~self.secreted[key[1]][None, :])
        return values


def functional_profile(adata: AnnData, group: str | None, top_n: int) -> dict[str, Any]:
    """Per-sample and per-group functional class shares of the secreted pool, factor counts, top factors."""
    linear = linear_quantities(adata)
    secreted = (adata.var["purity_category"] == "secreted").to_numpy()
    members = _class_matrix(adata) & secreted[:, None]
    # the secreted pool (linear quantities of secreted proteins, 0 elsewhere) a block of samples at a time: each
    # sample's sums and products are those of the whole matrix, which is never made
    n_classes = len(FUNCTIONAL_CLASSES)
    pool_total = np.zeros(adata.n_obs)
    class_pool = np.zeros((adata.n_obs, n_classes))  # samples x classes: the quantity each class's share is made of
    count = np.zeros((adata.n_obs, n_classes), dtype=int)
    member_any = members.any(axis=1)
    detected = np.zeros((adata.n_obs, int(member_any.sum())), dtype=bool)  # detection of class members only
    for rows in row_blocks(linear):
        pool = _Pool(linear, secreted)[rows, :]
        pool_total[rows] = pool.sum(axis=1)
        class_pool[rows] = pool @ members.astype(float)
        # factor counts by a float32 product (exact: counts stay far below 2**24), not an int64 copy of the matrix
        # through numpy's non-BLAS integer matmul
        count[rows] = ((pool > 0).astype(np.float32) @ members.astype(np.float32)).astype(int)
        detected[rows] = pool[:, member_any] > 0
        del pool  # freed before the next block is made, not beside it
    with np.errstate(invalid="ignore", divide="ignore"):
        share = class_pool / np.where(pool_total > 0, pool_total, np.nan)[:, None]
    members = members[member_any]
    member_index = np.flatnonzero(member_any)
    samples = list(adata.obs_names)
    per_sample = {
        "share": pd.DataFrame(share, index=samples, columns=FUNCTIONAL_CLASSES),
        "n_factors": pd.DataFrame(count, index=samples, columns=FUNCTIONAL_CLASSES),
    }
    groups = _groups(adata, group)
    per_group = {}
    for level in _levels(groups):
        rows = (groups == level).to_numpy()
        classes = list(enumerate(FUNCTIONAL_CLASSES))
        with np.errstate(invalid="ignore"):
            per_group[level] = {
                "n_samples": int(rows.sum()),
                "mean_share": {c: _number(_nanmean(share[rows, k])) for k, c in classes},
                "n_factors_detected": {c: int(detected[rows][:, members[:, k]].any(axis=0).sum()) for k, c in classes},
                "median_n_factors": {c: _number(np.median(count[rows, k])) for k, c in classes},
            }
    mean_pool_share = (np.nan_to_num(mean_sample_share(_Pool(linear, secreted), pool_total)) if adata.n_obs
                       else np.zeros(adata.n_vars))
    log2 = log2_quantities(adata)
    top: dict[str, list[dict[str, Any]]] = {}
    genes = as_text(adata.var["gene"])
    for k, name in enumerate(FUNCTIONAL_CLASSES):
        among = np.flatnonzero(members[:, k] & detected.any(axis=0))  # positions among the class members
        index = member_index[among]
        # a protein's part of its class's share, averaged over samples: one protein dominating a class shows here
        # (512 proteins at a time: each protein's mean alone, the numbers of the whole class's matrix)
        share_of_class = (np.nan_to_num(mean_sample_share(_Pool(linear, secreted), class_pool[:, k], columns=index))
                          if adata.n_obs and index.size else np.zeros(index.size))
        ranked = np.argsort(-share_of_class, kind="stable")[:top_n]
        top[name] = [
            {
                "protein": str(adata.var_names[index[j]]),
                "gene": genes[index[j]],
                "share_of_class": float(share_of_class[j]),
                "mean_share_of_secreted": float(mean_pool_share[index[j]]),
                "n_detected": int(detected[:, among[j]].sum()),
                "median_log2": _number(_nanmedian(log2[:, index[j]])),
            }
            for j in ranked
        ]
    return {"per_sample": per_sample, "per_group": per_group, "top_factors": top}


def key_factors(adata: AnnData, group: str | None, panel: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The key-factor panel (default: the general one; see :mod:`secretome.kb.preparation`): detected or not,
    level (median log2, abundance percentile) per factor.

    When several protein groups carry the gene, the most abundant one is shown.
    """
    from secretome.kb.panel import key_factor_panel

    panel = key_factor_panel() if panel is None else panel
    linear = linear_quantities(adata)
    log2 = log2_quantities(adata)
    usable = adata.var["purity_category"].to_numpy() != "decoy"
    mean_share = np.nan_to_num(mean_shares(linear, usable))
    ranked = np.argsort(-np.where(usable, mean_share, -1.0), kind="stable")
    percentile = np.empty(adata.n_vars)
    n_ranked = max(int(usable.sum()), 1)
    percentile[ranked] = 100.0 * (1.0 - np.arange(adata.n_vars) / n_ranked)
    genes = np.char.upper(as_text(adata.var["gene"]))
    groups = _groups(adata, group)
    levels = _levels(groups)
    out = []
    for _, row in panel.iterrows():
        hits = np.flatnonzero((genes == str(row["gene"]).upper()) & usable)
        entry: dict[str, Any] = {"gene": row["gene"], "seed_class": row["seed_class"], "why": row["why"]}
        if hits.size:
            i = int(hits[np.argmax(mean_share[hits])])
            detected = linear[:, i] > 0
            entry.update(
                {
                    "protein": str(adata.var_names[i]),
                    "in_table": True,
                    "detected": bool(detected.any()),
                    "n_detected": int(detected.sum()),
                    "median_log2": _number(_nanmedian(log2[:, i])),
                    "abundance_percentile": _number(percentile[i]) if detected.any() else float("nan"),
                    "secretion_class": str(adata.var["secretion_class"].iloc[i]),
                    "purity_category": str(adata.var["purity_category"].iloc[i]),
                    "by_group": {
                        level: {
                            "n_detected": int(detected[(groups == level).to_numpy()].sum()),
                            "n_samples": int((groups == level).sum()),
                            "median_log2": _number(_nanmedian(log2[(groups == level).to_numpy(), i])),
                        }
                        for level in levels
                    },
                }
            )
        else:
            entry.update({"protein": "", "in_table": False, "detected": False, "n_detected": 0})
        out.append(entry)
    return out


def group_comparison(
    adata: AnnData, group: str, functional: dict[str, Any]
) -> dict[str, Any]:
    """Per-group means of the purity indices and class shares, and differences to the first level."""
    groups = _groups(adata, group)
    levels = _levels(groups)
    metrics = [*sample_columns(adata), *context_columns(adata)[: -len(CONTEXT_COLUMNS)]]
    frame = adata.obs[metrics].astype(float).copy()
    class_share = functional["per_sample"]["share"].add_prefix("class_share:")
    frame = pd.concat([frame, class_share], axis=1)
    means = frame.groupby(groups.to_numpy(), sort=False).mean()
    sds = frame.groupby(groups.to_numpy(), sort=False).std(ddof=1)
    reference = levels[0]
    differences = []
    for level in levels[1:]:
        for metric in frame.columns:
            a, b = means.loc[reference, metric], means.loc[level, metric]
            differences.append(
                {"metric": metric, "reference": reference, "level": level, "mean_reference": _number(a),
                 "mean_level": _number(b), "difference": _number(b - a)}
            )
    return {
        "column": group,
        "levels": levels,
        "reference": reference,
        "n_samples": {level: int((groups == level).sum()) for level in levels},
        "means": {level: {m: _number(means.loc[level, m]) for m in frame.columns} for level in levels},
        "sds": {level: {m: _number(sds.loc[level, m]) for m in frame.columns} for level in levels},
        "differences": differences,
        "rule": GROUP_RULE,
    }


# --------------------------------------------------------------------------------------- tables
def proteins_table(adata: AnnData, group: str | None) -> pd.DataFrame:
    """One row per protein: identifiers, classes, detection, per-group mean/median log2, rank by abundance."""
    var = adata.var
    linear = linear_quantities(adata)
    log2 = log2_quantities(adata)
    usable = var["purity_category"].to_numpy() != "decoy"
    mean_share = mean_shares(linear, usable)
    table = pd.DataFrame(index=adata.var_names)
    table.index.name = "protein"
    for column in ("accession", "leading_accession", "gene", "genes", "species", "mixed_species", "description",
                   "secretion_class", "functional_classes", "purity_category", "purity_rule", "is_contaminant", "is_decoy"):
        if column in var:
            table[column] = var[column].to_numpy()
    table["n_detected"] = detected_counts(linear)
    table["detection_share"] = table["n_detected"] / max(adata.n_obs, 1)
    table["mean_share"] = np.where(usable, np.nan_to_num(mean_share), np.nan)
    groups = _groups(adata, group)
    levels = _levels(groups)
    means = {}
    for level in levels:
        rows = (groups == level).to_numpy()
        mean = np.full(adata.n_vars, np.nan)
        median = np.full(adata.n_vars, np.nan)
        # a block of proteins at a time: each protein's mean and median are those of the whole group's matrix
        for key in column_blocks(log2, block_bytes=matrices.BLOCK_BYTES // 4):  # each protein alone: any block
            block = log2[rows, key]  # row-major, as the whole matrix's rows of the group were
            has = np.isfinite(block).any(axis=0)
            with np.errstate(all="ignore"):
                mean[key][has] = np.nanmean(block[:, has], axis=0)
                median[key][has] = nanmedian(block[:, has], axis=0)
            del block  # freed before the next block is made
        table[f"n_detected_{level}"] = detected_counts(linear, rows)
        table[f"mean_log2_{level}"] = mean
        table[f"median_log2_{level}"] = median
        means[level] = mean
    for level in levels[1:]:
        table[f"log2_diff_{level}_vs_{levels[0]}"] = means[level] - means[levels[0]]
    order = np.argsort(-np.where(usable, np.nan_to_num(mean_share), -1.0), kind="stable")
    rank = np.empty(adata.n_vars, dtype=float)
    rank[order] = np.arange(1, adata.n_vars + 1)
    rank[~usable | (table["n_detected"].to_numpy() == 0)] = np.nan
    table["rank"] = pd.array(np.where(np.isnan(rank), pd.NA, rank), dtype="Int64")
    return table.iloc[order]


def samples_table(adata: AnnData, group: str | None) -> pd.DataFrame:
    """One row per sample: identifications, missingness, purity shares with flags, outliers, qc_status."""
    obs = adata.obs
    table = pd.DataFrame({"sample": list(adata.obs_names)})
    if group is not None:
        table[group] = obs[group].astype(str).to_numpy()
    for column in sample_columns(adata):
        table[column] = obs[column].to_numpy()
        table[f"{column}_flag"] = obs[f"{column}_flag"].to_numpy()
    context = context_columns(adata)
    extra = [*context[: context.index("correlation_z") + 1], "correlation_flag", "pca_distance", "pca_z", "pca_flag",
             "qc_status", "qc_verdicts"]
    for column in extra:
        table[column] = obs[column].to_numpy()
    return table


# --------------------------------------------------------------------------------------- helpers
def _tell(progress: Callable[[str, float | None], None] | None, step: str, fraction: float) -> None:
    if progress is not None:
        progress(step, fraction)


def _number(value: Any) -> float | int:
    """A stored number: numpy -> python, missing -> NaN (h5ad holds NaN, not None)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return float(value) if value is not None else float("nan")


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _nanmedian(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


