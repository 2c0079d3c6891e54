"""The main job: profile a secretome preparation (QC, purity, functional content) and write the report.

:func:`profile` works on an annotated AnnData (samples x proteins) and returns it with a plain ``summary``
dict that the HTML report renders as is (the report never recomputes science). :func:`run_profile`
is the whole command: read -> annotate -> profile -> write ``report.html``, ``proteins.tsv``,
``samples.tsv``, ``profile.json`` and ``dataset.h5ad`` into a directory, atomically.

Functional profile rules (stated in the report too): a sample's *secreted pool* is the quantity of its
proteins in the ``secreted`` purity category (see :mod:`secretome.qc`); each functional class's share is
the part of that pool carried by proteins of the class (a protein in several classes counts in each),
and its factor count is the number of such proteins quantified in the sample.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome import __version__
from secretome.annotate import annotate
from secretome.tables import write_tsv
from secretome.errors import SecretomeInputError
from secretome.io import h5ad_safe, read
from secretome.outputs import MARKER, atomic_directory, check_directory
from secretome.kb.vocab import FUNCTIONAL_CLASSES, SEED_CLASSES
from secretome.provenance import file_sha256, record_step
from secretome.qc import (
    FLAGGED_INDICES,
    PURITY_CATEGORIES,
    Thresholds,
    linear_quantities,
    load_thresholds,
    log2_quantities,
    qc,
    as_text,
)


OUTPUT_FILES = ("report.html", "proteins.tsv", "samples.tsv", "profile.json", "dataset.h5ad", MARKER)

SAMPLE_COLUMNS = ("n_proteins", "missing_share", *FLAGGED_INDICES)


@dataclass
class ProfileResult:
    """The profiled dataset and its summary (a JSON-able dict: what the report and profile.json show)."""

    adata: AnnData
    summary: dict[str, Any]

    def __iter__(self) -> Iterator[Any]:  # allows ``adata, summary = profile(...)``
        return iter((self.adata, self.summary))


# --------------------------------------------------------------------------------------- progress
class _Steps:
    """Rich progress on a terminal; silent otherwise (pipes, CI)."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self._progress = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._task = self._progress.add_task("secretome profile", total=total)

    def __enter__(self) -> "_Steps":
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        if self._progress is not None:
            self._progress.update(self._task, description=description)
        yield
        if self._progress is not None:
            self._progress.advance(self._task)


# --------------------------------------------------------------------------------------- the stage
def profile(
    adata: AnnData,
    group: str | None = None,
    thresholds: Thresholds | None = None,
    *,
    preparation: str | None = None,
    panel_file: str | Path | None = None,
    progress: bool | None = False,
) -> ProfileResult:
    """QC, purity and functional profile of an annotated dataset; returns ``(adata, summary)``.

    Works in place (like scanpy): QC columns go into ``adata.obs``/``.var``/``.uns`` and the same object is
    returned. Runs :func:`secretome.annotate` first when ``.var`` lacks ``secretion_class``. ``group`` names a
    sample-sheet column whose levels are compared (per-group means, CVs, differences to the first
    level). ``thresholds`` defaults to :func:`secretome.qc.load_thresholds`. ``preparation`` (or the sample
    sheet's ``preparation`` column: MSC conditioned medium, MSC-EV, ocular surface epithelium, tear fluid ...)
    selects the key-factor panel and the plausibility warnings (:mod:`secretome.kb.preparation`);
    ``panel_file`` replaces the panel with the user's own TSV (``gene, seed_class, why``).
    """
    with _Steps(total=4, enabled=progress) as steps:
        return _profile(adata, group, thresholds or load_thresholds(), steps, preparation, panel_file)


def _profile(
    adata: AnnData, group: str | None, thresholds: Thresholds, steps: _Steps,
    preparation: str | None = None, panel_file: str | Path | None = None,
) -> ProfileResult:
    from secretome.kb.preparation import preparation_of, preparation_panel

    kind = preparation_of(adata, preparation)
    panel, panel_source = preparation_panel(kind, panel_file)
    steps_so_far = adata.uns.get("provenance")
    if isinstance(steps_so_far, dict):  # read back from h5ad, where the list was stored keyed '000', '001', ...
        adata.uns["provenance"] = [steps_so_far[key] for key in sorted(steps_so_far)]
    if "secretion_class" not in adata.var:
        with steps.step("annotating proteins"):
            adata = annotate(adata)
    with steps.step("QC and purity"):
        adata = qc(adata, group=group, thresholds=thresholds)
    with steps.step("functional profile"):
        functional = functional_profile(adata, group, int(thresholds.setting("top_n")))
    adata.uns["functional_contributors"] = _contributors_frame(functional["top_factors"])
    record_step(adata, "profile", "secretome.profile.profile",
                {"group": group, "preparation": kind, "panel": panel_source})
    with steps.step("summary"):
        summary = build_summary(adata, group, thresholds, functional, panel=panel)
        summary["preparation"] = _preparation_summary(adata, kind, panel_source)
    return ProfileResult(adata, summary)


def _contributors_frame(top: dict[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """The top contributors of every functional class as one table (``.uns['functional_contributors']``)."""
    rows = [{"class": name, **factor} for name, factors in top.items() for factor in factors]
    columns = ["class", "protein", "gene", "share_of_class", "mean_share_of_secreted", "n_detected", "median_log2"]
    return pd.DataFrame(rows, columns=columns)


def _preparation_summary(adata: AnnData, kind: str | None, panel_source: str) -> dict[str, Any]:
    from secretome.kb.preparation import plausibility_warnings, preparation_types

    label = preparation_types().set_index("type").loc[kind, "label"] if kind else ""
    return {"type": kind or "", "label": label, "panel": panel_source,
            "warnings": plausibility_warnings(adata, kind)}


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


def functional_profile(adata: AnnData, group: str | None, top_n: int) -> dict[str, Any]:
    """Per-sample and per-group functional class shares of the secreted pool, factor counts, top factors."""
    linear = linear_quantities(adata)
    secreted = (adata.var["purity_category"] == "secreted").to_numpy()
    pool = np.where(secreted[None, :], linear, 0.0)
    pool_total = pool.sum(axis=1)
    members = _class_matrix(adata) & secreted[:, None]
    detected = pool > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (pool @ members.astype(float)) / np.where(pool_total > 0, pool_total, np.nan)[:, None]
    count = detected.astype(int) @ members.astype(int)
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
                "mean_share": {c: _num(_nanmean(share[rows, k])) for k, c in classes},
                "n_factors_detected": {c: int(detected[rows][:, members[:, k]].any(axis=0).sum()) for k, c in classes},
                "median_n_factors": {c: _num(np.median(count[rows, k])) for k, c in classes},
            }
    with np.errstate(invalid="ignore", divide="ignore"):
        pool_share = pool / np.where(pool_total > 0, pool_total, np.nan)[:, None]
    mean_pool_share = np.nan_to_num(np.nanmean(pool_share, axis=0)) if adata.n_obs else np.zeros(adata.n_vars)
    log2 = log2_quantities(adata)
    top: dict[str, list[dict[str, Any]]] = {}
    genes = as_text(adata.var["gene"])
    class_pool = pool @ members.astype(float)  # samples x classes: the quantity each class's share is made of
    for k, name in enumerate(FUNCTIONAL_CLASSES):
        index = np.flatnonzero(members[:, k] & detected.any(axis=0))
        # a protein's part of its class's share, averaged over samples: one protein dominating a class shows here
        with np.errstate(invalid="ignore", divide="ignore"):
            part = pool[:, index] / np.where(class_pool[:, k] > 0, class_pool[:, k], np.nan)[:, None]
        share_of_class = np.nan_to_num(np.nanmean(part, axis=0)) if adata.n_obs and index.size else np.zeros(index.size)
        ranked = np.argsort(-share_of_class, kind="stable")[:top_n]
        top[name] = [
            {
                "protein": str(adata.var_names[index[j]]),
                "gene": genes[index[j]],
                "share_of_class": float(share_of_class[j]),
                "mean_share_of_secreted": float(mean_pool_share[index[j]]),
                "n_detected": int(detected[:, index[j]].sum()),
                "median_log2": _num(_nanmedian(log2[:, index[j]])),
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
    with np.errstate(invalid="ignore", divide="ignore"):
        total = linear[:, usable].sum(axis=1, keepdims=True)
        mean_share = np.nan_to_num(np.nanmean(linear / np.where(total > 0, total, np.nan), axis=0))
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
                    "median_log2": _num(_nanmedian(log2[:, i])),
                    "abundance_percentile": _num(percentile[i]) if detected.any() else None,
                    "secretion_class": str(adata.var["secretion_class"].iloc[i]),
                    "purity_category": str(adata.var["purity_category"].iloc[i]),
                    "by_group": {
                        level: {
                            "n_detected": int(detected[(groups == level).to_numpy()].sum()),
                            "n_samples": int((groups == level).sum()),
                            "median_log2": _num(_nanmedian(log2[(groups == level).to_numpy(), i])),
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
    metrics = list(SAMPLE_COLUMNS) + ["membrane_share", "unknown_share"]
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
                {"metric": metric, "reference": reference, "level": level, "mean_reference": _num(a),
                 "mean_level": _num(b), "difference": _num(b - a)}
            )
    return {
        "column": group,
        "levels": levels,
        "reference": reference,
        "n_samples": {level: int((groups == level).sum()) for level in levels},
        "means": {level: {m: _num(means.loc[level, m]) for m in frame.columns} for level in levels},
        "sds": {level: {m: _num(sds.loc[level, m]) for m in frame.columns} for level in levels},
        "differences": differences,
        "rule": "difference = mean(level) - mean(reference); reference = first level in sample order",
    }


# --------------------------------------------------------------------------------------- tables
def proteins_table(adata: AnnData, group: str | None) -> pd.DataFrame:
    """One row per protein: identifiers, classes, detection, per-group mean/median log2, rank by abundance."""
    var = adata.var
    linear = linear_quantities(adata)
    log2 = log2_quantities(adata)
    usable = var["purity_category"].to_numpy() != "decoy"
    with np.errstate(invalid="ignore", divide="ignore"):
        total = linear[:, usable].sum(axis=1, keepdims=True)
        mean_share = np.nanmean(linear / np.where(total > 0, total, np.nan), axis=0) if adata.n_obs else np.zeros(adata.n_vars)
    table = pd.DataFrame(index=adata.var_names)
    table.index.name = "protein"
    for column in ("accession", "leading_accession", "gene", "genes", "species", "mixed_species", "description",
                   "secretion_class", "functional_classes", "purity_category", "purity_rule", "is_contaminant", "is_decoy"):
        if column in var:
            table[column] = var[column].to_numpy()
    detected = linear > 0
    table["n_detected"] = detected.sum(axis=0)
    table["detection_share"] = table["n_detected"] / max(adata.n_obs, 1)
    table["mean_share"] = np.where(usable, np.nan_to_num(mean_share), np.nan)
    groups = _groups(adata, group)
    levels = _levels(groups)
    means = {}
    with np.errstate(all="ignore"):
        for level in levels:
            rows = (groups == level).to_numpy()
            block = log2[rows]
            has = np.isfinite(block).any(axis=0)
            mean = np.full(adata.n_vars, np.nan)
            median = np.full(adata.n_vars, np.nan)
            mean[has] = np.nanmean(block[:, has], axis=0)
            median[has] = np.nanmedian(block[:, has], axis=0)
            table[f"n_detected_{level}"] = detected[rows].sum(axis=0)
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
    for column in SAMPLE_COLUMNS:
        table[column] = obs[column].to_numpy()
        table[f"{column}_flag"] = obs[f"{column}_flag"].to_numpy()
    extra = ["membrane_share", "unknown_share", "serum_species_share", "serum_mixed_share", "serum_marker_share",
             "lysis_marker_share", "lysis_nuclear_share", "lysis_mitochondrial_share", "lysis_ribosomal_share",
             "lysis_cytosolic_enzyme_share", "lysis_other_share", "ldh_share", "correlation_median", "correlation_z",
             "correlation_flag",
             "pca_distance", "pca_z", "pca_flag", "qc_status", "qc_verdicts"]
    for column in extra:
        table[column] = obs[column].to_numpy()
    return table


# --------------------------------------------------------------------------------------- summary
def build_summary(
    adata: AnnData, group: str | None, thresholds: Thresholds, functional: dict[str, Any],
    panel: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able values (no numpy, NaN -> None)."""
    qc_uns = adata.uns["qc"]
    drivers = qc_uns["drivers"]
    source = dict(adata.uns.get("source", {}))
    kb = adata.uns.get("kb", {})
    obs = adata.obs
    names = list(adata.obs_names)
    groups = _groups(adata, group)
    samples = []
    for i, sample in enumerate(names):
        row: dict[str, Any] = {"sample": sample, "group": str(groups.iloc[i])}
        for column in SAMPLE_COLUMNS:
            row[column] = _num(obs[column].iloc[i])
            row[f"{column}_flag"] = str(obs[f"{column}_flag"].iloc[i])
        for column in ("membrane_share", "unknown_share", "serum_species_share", "serum_mixed_share",
                       "serum_marker_share", "lysis_marker_share", "lysis_nuclear_share", "lysis_mitochondrial_share",
                       "lysis_ribosomal_share", "lysis_cytosolic_enzyme_share", "lysis_other_share", "ldh_share",
                       "correlation_median", "correlation_z", "pca_distance", "pca_z"):
            row[column] = _num(obs[column].iloc[i])
        row["correlation_flag"] = str(obs["correlation_flag"].iloc[i])
        row["pca_flag"] = str(obs["pca_flag"].iloc[i])
        row["qc_status"] = str(obs["qc_status"].iloc[i])
        row["verdicts"] = [str(v) for v in qc_uns["verdicts"].loc[sample]]
        samples.append(row)
    corr = np.asarray(qc_uns["correlation"])
    max_heatmap = int(thresholds.setting("max_heatmap_samples"))
    quantiles = qc_uns["intensity_quantiles"]
    status_counts = {level: int((obs["qc_status"] == level).sum()) for level in ("pass", "warn", "fail")}
    summary: dict[str, Any] = {
        "title": "secretome profile",
        "secretome_version": __version__,
        "kb_version": str(kb.get("version", "")) if isinstance(kb, dict) else "",
        "kb_sources": _jsonable(kb.get("sources", {})) if isinstance(kb, dict) else {},
        "input": {
            "path": str(source.get("path", "")),
            "sha256": str(source.get("sha256", "")),
            "format": str(source.get("format", "")),
            "format_version": str(source.get("format_version", "")),
            "quantity": str(source.get("quantity", "")),
            "is_log2": bool(source.get("is_log2", False)),
            "log2_evidence": str(source.get("log2_evidence", "")),
        },
        "parameters": {"group": group, "thresholds": _jsonable(thresholds.as_dict())},
        "n_samples": int(adata.n_obs),
        "n_proteins": int((adata.var["purity_category"] != "decoy").sum()),
        "n_decoys": int((adata.var["purity_category"] == "decoy").sum()),
        "status_counts": status_counts,
        "overall_status": "fail" if status_counts["fail"] else ("warn" if status_counts["warn"] else "pass"),
        "samples": samples,
        "purity": {
            "categories": list(PURITY_CATEGORIES),
            "flagged": list(FLAGGED_INDICES),
            "n_proteins": {c: int((adata.var["purity_category"] == c).sum()) for c in PURITY_CATEGORIES},
            "drivers": {
                category: _records(drivers[drivers["category"] == category].drop(columns="category"))
                for category in PURITY_CATEGORIES
            },
            "mean_shares": {
                column: _num(obs[column].astype(float).mean()) if adata.n_obs else None
                for column in obs.columns
                if column.endswith("_share") and column != "missing_share"
            },
            "rules": PURITY_RULES,
        },
        "qc": {
            "intensity_quantiles": {
                column: [_num(v) for v in quantiles[column].to_numpy()] for column in quantiles.columns
            },
            "correlation": {
                "samples": names if adata.n_obs <= max_heatmap else [],
                "matrix": _matrix(corr) if adata.n_obs <= max_heatmap else [],
                "note": "" if adata.n_obs <= max_heatmap else (
                    f"{adata.n_obs} samples > settings.max_heatmap_samples={max_heatmap}: heatmap omitted"),
            },
            "pca": {
                "scores": _matrix(np.asarray(qc_uns["pca_scores"])),
                "explained_variance_ratio": [_num(v) for v in np.asarray(qc_uns["pca_explained_variance_ratio"])],
                "n_proteins": int(qc_uns["pca_n_proteins"]),
            },
            "group_cv": _records(qc_uns["group_cv"]),
            "methods": QC_METHODS,
        },
        "functional": {
            "classes": list(FUNCTIONAL_CLASSES),
            "seed_classes": list(SEED_CLASSES),
            "share": _matrix(functional["per_sample"]["share"].to_numpy()),
            "n_factors": _matrix(functional["per_sample"]["n_factors"].to_numpy()),
            "per_group": _jsonable(functional["per_group"]),
            "top_factors": _jsonable(functional["top_factors"]),
            "rule": FUNCTIONAL_RULE,
        },
        "key_factors": _jsonable(key_factors(adata, group, panel)),
        "groups": _jsonable(group_comparison(adata, group, functional)) if group is not None else None,
        "provenance": _jsonable(list(adata.uns.get("provenance", []))),
    }
    return summary


PURITY_RULES = {
    "serum": "KB serum markers, contaminant_serum proteins and other bovine (settings.serum_species) proteins that are not handling contaminants such as keratin or trypsin: FBS/culture-serum carry-over (bovine milk proteins count here too: the contaminant library gives FBS-containing medium as their source); with human serum or platelet lysate named in the sample sheet's supplement column, the immunoglobulins and platelet factors it brings. A human/bovine mixed group counts here when the engine's leading (razor) protein is the bovine member (shown alone as serum_mixed_share); without such evidence it is reported as serum_ambiguous_share and not counted.",
    "handling": "Handling contaminants (keratins, trypsin, other laboratory contaminants) from the KB.",
    "lysis": "Intracellular proteins (including leaderless cytosolic proteins with a database 'Secreted' flag, e.g. PPIA, TXN, GPI) and named lysis markers (LDH, histones, ribosomal and mitochondrial proteins): leakage from dying or broken cells.",
    "ev": "Proteins the KB classes as EV cargo (vesicle content).",
    "secreted": "Classically secreted proteins (signal peptide or UniProt secreted, no transmembrane segment) and curated unconventionally secreted ones (FGF2, IL-1 family, HMGB1, galectins) left after the rules above: the genuinely secreted share. Leaderless cytosolic proteins count as lysis.",
    "membrane": "Membrane proteins (shed or vesicle-bound); context, not flagged.",
    "unknown": "Proteins without localisation evidence; context, not flagged.",
}

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


# --------------------------------------------------------------------------------------- the command
def run_profile(
    input: str | Path | None = None,
    *,
    out: str | Path,
    samples: str | Path | None = None,
    group: str | None = None,
    format: str | None = None,
    quantity: str | None = None,
    is_log2: bool | None = None,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    demo: bool = False,
    design: str | None = None,
    contrast: str | None = None,
    normalize: str | None = None,
    impute: str | None = None,
    min_valid: int | float | None = None,
    trend: bool = False,
    robust: bool = False,
    lot_column: str | None = None,
    reference: Sequence[str] = (),
    margin: float | None = None,
    factors: Sequence[str] | None = None,
    preparation: str | None = None,
    panel_file: str | Path | None = None,
    progress: bool | None = None,
    force: bool = False,
    assay: str | Path | None = None,
    sheet: str | int | None = None,
    sample_column: str | None = None,
) -> Path:
    """Read, annotate, profile and write all outputs into ``out`` (atomically); returns the report path.

    ``assay`` is an immunoassay export of the same samples: the report gains an immunoassay section
    (panel by lot, cytokine balance, agreement with the proteome; :mod:`secretome.assays.section`); the
    demo has its own panel. An immunoassay export as ``input`` gets the targeted-panel report of
    :func:`secretome.jobs.assay.assay_job` (purity not assessable, cytokine balance view).

    ``out`` must be new, empty or an earlier profile output; ``force`` moves any other directory aside
    (see :func:`secretome.outputs.atomic_directory`).

    With ``demo=True`` the shipped simulated MaxQuant dataset is used (``input`` must be omitted) and
    grouped by its ``lot`` column unless ``group`` is given. With ``design`` and ``contrast`` (e.g.
    ``"~ lot"``, ``"lot_B-lot_A"``) the report gains preprocessing, differential-abundance and
    enrichment sections and their tables (``normalize``, ``impute``, ``min_valid``, ``trend``,
    ``robust`` as in ``secretome compare``); with ``reference`` lots it gains the lot-comparability
    section and tables (``lot_column``, ``margin``, ``factors``); see :mod:`secretome.profile_stats`.
    Options and the design, contrast and lots are checked before any work: an input error leaves no
    output directory.
    """
    from secretome import datasets
    from secretome.profile_stats import StatsOptions, differential, lot_comparability

    if demo:
        if input is not None:
            raise SecretomeInputError("give either INPUT or --demo, not both", expected="one input")
        if samples is not None:  # the demo has its own sheet; replacing the user's silently would mislead
            raise SecretomeInputError("--demo uses its own sample sheet; --samples cannot be combined with it",
                                      file=samples, expected="--demo alone, or INPUT with --samples")
        paths = datasets.demo_paths()
        input, samples = paths["table"], paths["samples"]
        group = group or "lot"
    if input is None:
        raise SecretomeInputError("no input file given", expected="INPUT (a proteomics result table) or --demo")
    from secretome.io.assay import detect_assay_format

    if not demo and Path(input).is_file() and detect_assay_format(input):  # a targeted panel, not a proteome
        from secretome.jobs.assay import assay_job

        return assay_job(input, samples=samples, out=out, lot_column=lot_column or "lot").out / "report.html"
    options = StatsOptions(
        design=design, contrast=contrast, normalize=normalize, impute=impute, min_valid=min_valid, trend=trend,
        robust=robust, lot_column=lot_column, reference=tuple(reference), margin=margin,
        factors=tuple(factors) if factors is not None else None,
    )
    options.check()
    thresholds = load_thresholds(config, overrides)
    out = Path(out)
    inputs = {"INPUT": input, "samples": samples, "config": config}
    check_directory(out, kind="profile", inputs=inputs, force=force)
    with _Steps(total=6 + options.has_contrast + options.has_lots + (assay is not None or demo), enabled=progress) as steps:
        with steps.step(f"reading {Path(input).name}"):
            adata = read(
                input, samples=samples, format=format, quantity=quantity, is_log2=is_log2, sheet=sheet,
                sample_column=sample_column,
            )
            options.validate(adata)
        result = _profile(adata, group, thresholds, steps, preparation, panel_file)
        result.summary["input"]["path"] = str(input)
        if not result.summary["input"]["sha256"]:
            result.summary["input"]["sha256"] = file_sha256(input)
        result.summary["parameters"].update(
            {"samples": str(samples) if samples else None, "format": format, "quantity": quantity, "is_log2": is_log2,
             "config": str(config) if config else None, "overrides": list(overrides), "demo": demo,
             **options.parameters()}
        )
        sections: list[dict[str, Any]] = []
        files: dict[str, str | bytes] = {}
        if options.has_contrast:
            with steps.step(f"differential abundance {contrast}"):
                contrast_sections, contrast_files, result.summary["differential"] = differential(result.adata, options)
                sections.extend(contrast_sections)
                files.update(contrast_files)
        if options.has_lots:
            with steps.step("lot comparability"):
                lot_section, lot_files, result.summary["comparability"] = lot_comparability(result.adata, options)
                sections.append(lot_section)
                files.update(lot_files)
        if assay is not None or demo:
            with steps.step("immunoassay panel"):
                from secretome.assays.section import profile_assay_section

                assay_section, assay_files = profile_assay_section(result.adata, assay, demo=demo, lot_column=lot_column or "lot")
                sections.append(assay_section)
                files.update(assay_files)
        with steps.step("writing report and tables"):
            write_outputs(result, out, group, extra_sections=sections, extra_files=files, inputs=inputs, force=force)
    return out / "report.html"


def write_outputs(
    result: ProfileResult,
    out: str | Path,
    group: str | None,
    extra_sections: Sequence[dict[str, Any]] = (),
    extra_files: dict[str, str | bytes] | None = None,
    *,
    inputs: dict[str, str | Path | None] | None = None,
    force: bool = False,
) -> None:
    """Write the five outputs into a temporary directory beside ``out``, then move it into place.

    ``extra_sections`` go into the report (see :mod:`secretome.report`) and ``extra_files`` (name ->
    content) beside it, e.g. a differential-abundance section and its table. Nothing partial is left
    on error: the temporary directory is removed and an existing ``out`` kept. ``out`` is owned
    (:func:`secretome.outputs.atomic_directory`, kind ``profile``; ``inputs`` checksummed into its
    marker): a directory holding other files is refused unless ``force``.
    """
    from secretome.report import write_report

    out = Path(out)
    with atomic_directory(out, kind="profile", inputs=inputs, force=force) as staging:
        write_tsv(proteins_table(result.adata, group), staging / "proteins.tsv", index=True)
        write_tsv(samples_table(result.adata, group), staging / "samples.tsv")
        (staging / "profile.json").write_text(
            json.dumps(result.summary, indent=1, allow_nan=False) + "\n", encoding="utf-8"
        )
        h5ad_safe(result.adata).write_h5ad(staging / "dataset.h5ad", compression="lzf")
        for name, content in (extra_files or {}).items():
            target = staging / Path(name).name
            target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content, encoding="utf-8")
        write_report(result.summary, staging / "report.html", extra_sections)


# --------------------------------------------------------------------------------------- helpers
def _num(value: Any) -> float | int | None:
    """A JSON-able number: numpy -> python, NaN/inf -> None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _nanmedian(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("nan")


def _matrix(values: np.ndarray) -> list[list[float | None]]:
    return [[_num(round(float(v), 6)) if np.isfinite(v) else None for v in row] for row in np.asarray(values, float)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _jsonable(value: Any) -> Any:
    """Recursively convert to JSON-able python (numpy, pandas, NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, (str, type(None))):
        return value
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return _num(value)
    return str(value)
