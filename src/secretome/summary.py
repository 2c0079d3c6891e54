"""The report's only input: a plain JSON-able summary built from a profiled dataset's ``.obs``, ``.var``
and ``.uns`` alone.

:func:`build_summary` reads what the stages stored (``uns['source']``, ``uns['kb']``, ``uns['qc']``,
``uns['profile']`` and, when present, ``uns['differential']`` and ``uns['comparability']``) and
reshapes it; it computes no science. ``profile.json`` is this summary, and the report is drawn from it
alone, so the report can be redrawn from ``profile.json`` or from the ``.h5ad``. Stages store their
results with :func:`storable` (missing numbers as NaN, which h5ad can hold); the summary turns them
into JSON with :func:`jsonable` (NaN -> ``None``).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome import __version__

SUMMARY_FORMAT = 2
"""Version of the summary's layout (``profile.json``'s ``summary_format``); raised when keys change."""


# --------------------------------------------------------------------------------------- JSON helpers
def num(value: Any) -> float | int | bool | None:
    """A JSON-able number: numpy -> python, NaN/inf -> None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def matrix(values: Any) -> list[list[float | None]]:
    """A 2-D array as nested lists of numbers rounded to 6 decimals (NaN -> None)."""
    return [[num(round(float(v), 6)) if np.isfinite(v) else None for v in row] for row in np.asarray(values, float)]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of JSON-able row dicts."""
    return [{str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def jsonable(value: Any) -> Any:
    """Recursively convert to JSON-able python (numpy, pandas, NaN -> None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, pd.DataFrame):
        return records(value)
    if isinstance(value, (str, type(None))):
        return value
    if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
        return num(value)
    if value is pd.NA:
        return None
    return str(value)


def storable(value: Any) -> Any:
    """Nested results as ``adata.uns`` and h5ad hold them: plain python, missing numbers as NaN (h5ad
    cannot store ``None`` inside a list), data frames as they are. :func:`jsonable` turns NaN into ``None``."""
    if isinstance(value, dict):
        return {str(k): storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [storable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is pd.NA:
        return float("nan")
    return value


# --------------------------------------------------------------------------------------- the summary
def input_entry(source: dict[str, Any]) -> dict[str, Any]:
    """What the read took and left, from ``uns['source']`` as the reader stored it (nothing recomputed): the
    file, format and quantity family, the sample columns (all of them, plus count, first and last), samples
    the family lacks, every recognised but unread column grouped by its reason, and an isobaric run's
    plex, experiments and value kind (ratio or abundance)."""
    columns = [str(c) for c in source.get("sample_columns", [])]
    unread: dict[str, list[str]] = {}
    for column, reason in zip(source.get("unread_columns", []), source.get("unread_reasons", [])):
        unread.setdefault(str(reason), []).append(str(column))
    entry: dict[str, Any] = {
        "path": str(source.get("path", "")),
        "sha256": str(source.get("sha256", "")),
        "format": str(source.get("format", "")),
        "format_version": str(source.get("format_version", "")),
        "quantity": str(source.get("quantity", "")),
        "is_log2": bool(source.get("is_log2", False)),
        "log2_evidence": str(source.get("log2_evidence", "")),
        "sample_columns": columns,
        "samples": {"count": len(columns), "first": columns[0] if columns else "", "last": columns[-1] if columns else ""},
        "samples_without_quantity": [str(s) for s in source.get("samples_without_quantity", [])],
        "unread": [{"reason": reason, "count": len(names), "first": names[0], "last": names[-1]}
                   for reason, names in unread.items()],
        "n_unread": sum(len(names) for names in unread.values()),
    }
    if "isobaric" in source:
        entry["isobaric"] = jsonable(_plain_tree(source["isobaric"]))
    entry["notes"] = read_notes(source)
    return entry


def read_notes(source: dict[str, Any]) -> list[list[str]]:
    """What the read decided about the file beyond its columns, as (label, text) rows for the report: a sheet
    chosen, title and settings lines that are not rows, rows padded, and the cells read as missing (Excel error
    values, -inf) or left (error cells of columns not read), each with its first cells."""
    def first(cells: Any) -> str:
        cells = [str(c) for c in cells]
        return f"{len(cells)} (first: {', '.join(cells[:3])})"

    notes = [[label, str(source[key])] for key, label in (
        ("sheet_chosen", "sheet"), ("title", "title line"), ("report_frame", "report frame"), ("list_column", "list column"))
        if source.get(key)]
    if source.get("padded_rows") is not None and len(source["padded_rows"]):
        notes.append(["rows padded", f"{len(source['padded_rows'])} rows' trimmed trailing quantity cells read as missing"])
    if source.get("error_values_read_as_missing") is not None and len(source["error_values_read_as_missing"]):
        notes.append(["Excel error values read as missing", first(source["error_values_read_as_missing"])])
    if source.get("minus_infinity_read_as_missing"):
        minus = source["minus_infinity_read_as_missing"]
        notes.append(["-inf read as missing", f"{int(minus['n'])} (first: {', '.join(str(c) for c in list(minus['first_cells'])[:3])})"])
    if source.get("cells_not_read") is not None and len(source["cells_not_read"]):
        notes.append(["error cells of columns not read", first(source["cells_not_read"])])
    return notes


def build_summary(adata: AnnData) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able values (no numpy, NaN -> None), from ``adata`` alone.

    Needs a dataset that went through :func:`secretome.profile.profile` (``uns['profile']``).
    """
    from secretome.kb.vocab import FUNCTIONAL_CLASSES, SEED_CLASSES
    from secretome.profile import FUNCTIONAL_RULE, QC_METHODS, context_columns, sample_columns
    from secretome.qc import registry_of

    if "profile" not in adata.uns or "qc" not in adata.uns:
        raise ValueError("the dataset has no uns['profile']/uns['qc']: run secretome.profile.profile(adata) first")
    stored = dict(adata.uns["profile"])
    qc_uns = adata.uns["qc"]
    drivers = qc_uns["drivers"]
    source = dict(adata.uns.get("source", {}))
    kb = adata.uns.get("kb", {})
    obs = adata.obs
    names = [str(name) for name in adata.obs_names]
    group = stored.get("group")
    group = None if group is None or (isinstance(group, float) and math.isnan(group)) else str(group)
    verdict_frame = qc_uns["verdicts"]
    registry = registry_of(adata)
    categories = [str(name) for name in registry["name"]]
    flagged_columns, shown_context = sample_columns(adata), context_columns(adata)
    # each column taken out of .obs once (not once per sample: 1,000 samples x 40 columns of .iloc cost seconds)
    numbers = {column: obs[column].to_numpy() for column in (*flagged_columns, *shown_context)}
    texts = {column: obs[column].to_numpy() for column in
             ("profile_group", *(f"{c}_flag" for c in flagged_columns), "correlation_flag", "pca_flag", "qc_status")}
    verdict_rows = verdict_frame.loc[names].to_numpy() if isinstance(verdict_frame, pd.DataFrame) else None
    samples = []
    for i, sample in enumerate(names):
        row: dict[str, Any] = {"sample": sample, "group": str(texts["profile_group"][i])}
        for column in flagged_columns:
            row[column] = num(numbers[column][i])
            row[f"{column}_flag"] = str(texts[f"{column}_flag"][i])
        for column in shown_context:
            row[column] = num(numbers[column][i])
        row["correlation_flag"] = str(texts["correlation_flag"][i])
        row["pca_flag"] = str(texts["pca_flag"][i])
        row["qc_status"] = str(texts["qc_status"][i])
        row["verdicts"] = [str(v) for v in verdict_rows[i]] if verdict_rows is not None else []
        samples.append(row)
    corr = np.asarray(qc_uns["correlation"], dtype=float)
    max_heatmap = int(stored["max_heatmap_samples"])
    quantiles = qc_uns["intensity_quantiles"]
    status_counts = {level: int((obs["qc_status"] == level).sum()) for level in ("pass", "warn", "fail")}
    category = adata.var["purity_category"]
    share = adata.obsm["class_share"]
    n_factors = adata.obsm["class_factors"]
    summary: dict[str, Any] = {
        "summary_format": SUMMARY_FORMAT,
        "title": "secretome profile",
        "secretome_version": str(stored.get("secretome_version", __version__)),
        "kb_version": str(kb.get("version", "")) if isinstance(kb, dict) else "",
        "kb_sources": jsonable(kb.get("sources", {})) if isinstance(kb, dict) else {},
        "input": input_entry(source),
        "parameters": jsonable({"group": group, "thresholds": _plain_tree(qc_uns["thresholds"]),
                                **_plain_tree(dict(stored.get("parameters", {})))}),
        "n_samples": int(adata.n_obs),
        "n_proteins": int((category != "decoy").sum()),
        "n_decoys": int((category == "decoy").sum()),
        "status_counts": status_counts,
        "overall_status": "fail" if status_counts["fail"] else ("warn" if status_counts["warn"] else "pass"),
        "samples": samples,
        "purity": {
            "categories": categories,
            "flagged": list(flagged_columns[2:]),
            "colours": dict(zip(categories, (str(c) for c in registry["colour"]))),
            "n_proteins": {c: int((category == c).sum()) for c in categories},
            "drivers": {
                name: records(drivers[drivers["category"] == name].drop(columns="category")) for name in categories
            },
            "mean_shares": {
                column: num(obs[column].astype(float).mean()) if adata.n_obs else None
                for column in obs.columns
                if column.endswith("_share") and column != "missing_share"
            },
            "rules": dict(zip(categories, (str(m) for m in registry["method"]))),
        },
        "qc": {
            "intensity_quantiles": {column: [num(v) for v in quantiles[column].to_numpy()] for column in quantiles.columns},
            "correlation": {
                "samples": names if adata.n_obs <= max_heatmap else [],
                "matrix": matrix(corr) if adata.n_obs <= max_heatmap else [],
                "note": "" if adata.n_obs <= max_heatmap else (
                    f"{adata.n_obs} samples > settings.max_heatmap_samples={max_heatmap}: heatmap omitted"),
            },
            "pca": {
                "scores": matrix(np.asarray(qc_uns["pca_scores"], dtype=float).reshape(adata.n_obs, -1)),
                "explained_variance_ratio": [num(v) for v in np.asarray(qc_uns["pca_explained_variance_ratio"])],
                "n_proteins": int(qc_uns["pca_n_proteins"]),
            },
            "group_cv": records(qc_uns["group_cv"]),
            "methods": list(QC_METHODS),
        },
        "functional": {
            "classes": list(FUNCTIONAL_CLASSES),
            "seed_classes": list(SEED_CLASSES),
            "share": matrix(share[list(FUNCTIONAL_CLASSES)].to_numpy()),
            "n_factors": matrix(n_factors[list(FUNCTIONAL_CLASSES)].to_numpy()),
            "per_group": _class_groups(stored["class_groups"]),
            "top_factors": _top_factors(stored["top_factors"], FUNCTIONAL_CLASSES),
            "rule": FUNCTIONAL_RULE,
        },
        "key_factors": _key_factors(stored["key_factors"], stored["key_factors_by_group"]),
        "groups": _group_comparison(stored["group_comparison"], group) if group is not None else None,
        "provenance": jsonable(_provenance(adata)),
    }
    if "differential" in adata.uns:
        summary["differential"] = differential_entry(adata.uns["differential"])
    if "comparability" in adata.uns:
        summary["comparability"] = comparability_entry(adata.uns["comparability"])
    summary["overview"] = _overview(stored["overview"], summary)
    preparation = dict(stored.get("preparation", {}))
    summary["preparation"] = {"type": str(preparation.get("type", "")), "label": str(preparation.get("label", "")),
                              "panel": str(preparation.get("panel", "")),
                              "warnings": records(preparation["warnings"]) if "warnings" in preparation else []}
    summary["sections"] = [{**section, "data": json.loads(section["data"])}
                           for section in jsonable(_plain_tree(adata.uns.get("report_sections", [])))]
    return summary


def _overview(frame: pd.DataFrame, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The first screen, one card per lot or group: purity verdict, what is in it (the seed classes' mean
    shares, the top factors) and how it compares with the reference (lot verdict, or the group differences)."""
    seed = summary["functional"]["seed_classes"]
    per_group = summary["functional"]["per_group"]
    top = {name: [f["gene"] or f["protein"] for f in summary["functional"]["top_factors"].get(name, [])[:3]] for name in seed}
    comparability = summary.get("comparability") or {}
    lot_verdicts = comparability.get("lot_verdicts", {}) if comparability.get("lot_column") == summary["parameters"]["group"] else {}
    groups = summary.get("groups") or {}
    cards = []
    for row in records(frame):
        level = str(row["level"])
        differences = [d for d in groups.get("differences", []) if d["level"] == level
                       and d["metric"] in ("serum_share", "lysis_share", "secreted_share")]
        cards.append({
            **row,
            "seed_shares": {name: per_group.get(level, {}).get("mean_share", {}).get(name) for name in seed},
            "top_factors": top,
            "reference": groups.get("reference") if groups else None,
            "lot_verdict": lot_verdicts.get(level),
            "reference_lots": comparability.get("reference_lots", []) if lot_verdicts else [],
            "differences": differences,
        })
    return cards


def page_summary(adata: AnnData, kind: str, entry: dict[str, Any] | None = None) -> dict[str, Any]:
    """The summary of a ``compare`` or ``comparability`` page: input, versions, the statistics entry, steps.
    ``entry``: the statistics entry when the job already made it (:func:`differential_entry` or
    :func:`comparability_entry` of ``adata.uns``), so it is not built twice."""
    source = dict(adata.uns.get("source", {}))
    summary: dict[str, Any] = {
        "summary_format": SUMMARY_FORMAT,
        "kind": kind,
        "title": f"secretome {kind}",
        "secretome_version": __version__,
        "kb_version": "",
        "input": input_entry(source),
        "n_samples": int(adata.n_obs),
        "n_proteins": int(adata.n_vars),
        "n_decoys": 0,
        "provenance": jsonable(_provenance(adata)),
    }
    if kind == "compare":
        summary["differential"] = entry if entry is not None else differential_entry(adata.uns["differential"])
    else:
        summary["comparability"] = entry if entry is not None else comparability_entry(adata.uns["comparability"])
    return summary


def _class_groups(frame: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in frame.itertuples(index=False):
        entry = out.setdefault(str(row.level), {"n_samples": int(row.n_samples), "mean_share": {}, "n_factors_detected": {},
                                                "median_n_factors": {}})
        entry["mean_share"][str(row[1])] = num(row.mean_share)
        entry["n_factors_detected"][str(row[1])] = int(row.n_factors_detected)
        entry["median_n_factors"][str(row[1])] = num(row.median_n_factors)
    return out


def _top_factors(frame: pd.DataFrame, classes: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    top: dict[str, list[dict[str, Any]]] = {name: [] for name in classes}
    for row in records(frame):
        top.setdefault(str(row.pop("class")), []).append(row)
    return top


def _key_factors(panel: pd.DataFrame, by_group: pd.DataFrame) -> list[dict[str, Any]]:
    levels: dict[str, dict[str, Any]] = {}
    for row in records(by_group):
        levels.setdefault(str(row.pop("gene")), {})[str(row.pop("level"))] = row
    out = []
    for row in records(panel):
        entry = {"gene": row["gene"], "seed_class": row["seed_class"], "why": row["why"]}
        if row["in_table"]:
            entry.update({key: row[key] for key in ("protein", "in_table", "detected", "n_detected", "median_log2",
                                                    "abundance_percentile", "secretion_class", "purity_category")})
            entry["by_group"] = levels.get(str(row["gene"]), {})
        else:
            entry.update({"protein": "", "in_table": False, "detected": False, "n_detected": 0})
        out.append(entry)
    return out


def _group_comparison(stored: dict[str, Any], group: str) -> dict[str, Any]:
    from secretome.profile import GROUP_RULE

    sizes = stored["n_samples"]["n_samples"]
    levels = [str(level) for level in sizes.index]
    means, sds = stored["means"], stored["sds"]
    return {
        "column": group,
        "levels": levels,
        "reference": levels[0],
        "n_samples": {str(level): int(n) for level, n in sizes.items()},
        "means": {str(level): {str(m): num(v) for m, v in row.items()} for level, row in means.iterrows()},
        "sds": {str(level): {str(m): num(v) for m, v in row.items()} for level, row in sds.iterrows()},
        "differences": records(stored["differences"]),
        "rule": GROUP_RULE,
    }


# --------------------------------------------------------------------------------------- statistics entries
TOP_ENRICHMENT_IN_JSON = 10
"""Significant enrichment rows kept in the summary per test and direction (all are in the TSV)."""

TOP_PROTEINS_SHOWN = 25
"""Proteins of a contrast listed in the report (all are in the TSV)."""

TOP_SETS_SHOWN = 15
"""Gene sets per enrichment test listed in the report (all are in the TSV)."""


def differential_entry(stored: Any) -> dict[str, Any]:
    """The summary entry of one contrast (``uns['differential']``, see :func:`secretome.jobs.analyses.differential_analysis`):
    counts, settings, preprocessing steps, the volcano's points, the top proteins and the enrichment results shown."""
    stored = dict(stored)
    table: pd.DataFrame = stored["table"]
    enrichment: pd.DataFrame = stored["enrichment"]
    alpha = float(stored["alpha"])
    contrast = str(stored["contrast"])
    finite = table[np.isfinite(table["log2fc"]) & np.isfinite(table["p_value"])]
    entry = {
        "design": str(stored["design"]),
        "contrast": contrast,
        "file": str(stored["file"]),
        "n_tested": int(stored["n_tested"]),
        "n_up": int(stored["n_up"]),
        "n_down": int(stored["n_down"]),
        "alpha": alpha,
        "settings": jsonable(_plain_tree(dict(stored["settings"]))),
        "preprocessing": jsonable(_plain_tree(stored.get("preprocessing", []))),
        "method": str(stored["method"]),
        "volcano": {
            "protein": [str(v) for v in finite["protein"]],
            "gene": ["" if missing else str(v) for v, missing in zip(finite["gene"].tolist(), finite["gene"].isna().tolist())],
            "log2fc": [round(v, 6) for v in finite["log2fc"].astype(float).tolist()],  # finite: no num() needed
            "p_value": [float(f"{v:.6g}") for v in finite["p_value"].astype(float).tolist()],
            "adj_p_value": [v if math.isfinite(v) else None  # num() of a float, one call less per point
                            for v in map(float, map("{:.6g}".format, finite["adj_p_value"].astype(float).tolist()))],
        },
        "top": records(table.head(TOP_PROTEINS_SHOWN)),
        "enrichment": enrichment_entry(enrichment, str(stored["enrichment_file"]), alpha, str(stored.get("enrichment_note", "")),
                                       tested=_plain_tree(stored.get("enrichment_sets_tested")))
        if bool(stored.get("enrichment_done", True)) else None,
        "composition_of_hits": jsonable(_plain_tree(dict(stored.get("composition_of_hits", {})))),
    }
    if entry["enrichment"] is None:  # why there is no enrichment section (switched off, or nothing for it to add)
        entry["enrichment_skipped"] = str(stored.get("enrichment_note", ""))
    return entry


def enrichment_entry(enrichment: pd.DataFrame, file: str, alpha: float, note: str = "",
                     tested: dict[str, int] | None = None) -> dict[str, Any]:
    """Sets tested per test and direction, the best significant rows, and the rows the report lists.
    ``tested``: the sets tested per test and direction when the table lists only some of them
    (:func:`secretome.stats.enrichment.enrich_contrast` leaves out hypergeometric results without a hit);
    by default the table's rows are counted."""
    if tested is None:
        from secretome.stats.enrichment import sets_tested

        tested = sets_tested(enrichment)
    tested = {str(key): int(n) for key, n in tested.items()}
    significant = enrichment[enrichment["adj_p_value"] < alpha] if not enrichment.empty else enrichment
    top = significant.groupby(["test", "direction"], sort=False).head(TOP_ENRICHMENT_IN_JSON) if not significant.empty else significant
    shown = enrichment.groupby(["test", "direction"], sort=False).head(TOP_SETS_SHOWN) if not enrichment.empty else enrichment
    return {
        "file": file,
        "note": note,
        "n_sets_tested": tested,
        "n_adj_p_below_alpha": int(len(significant)),
        "top": records(top[["test", "direction", "set", "overlap", "p_value", "adj_p_value"]]) if not top.empty else [],
        "shown": records(shown) if not shown.empty else [],
    }


def comparability_entry(stored: Any) -> dict[str, Any]:
    """The summary entry of a lot comparison (``uns['comparability']``, see :func:`secretome.jobs.analyses.lot_analysis`)."""
    stored = dict(stored)
    factors: pd.DataFrame = stored["factors"]
    shown = ["lot", "factor", "protein", "n_test", "n_reference", "diff", "ci_low", "ci_high", "p_value", "verdict"]
    entry = {key: jsonable(_plain_tree(value)) for key, value in stored.items() if not isinstance(value, pd.DataFrame)}
    entry.update({
        "lots": records(stored["lots"]),
        "factors": records(factors[shown]) if not factors.empty else [],
        "cv": records(stored["cv"]),
    })
    return entry


def _provenance(adata: AnnData) -> list[dict[str, Any]]:
    from secretome.provenance import provenance_steps

    return [_plain_tree(step) for step in provenance_steps(adata)]


def _plain_tree(value: Any) -> Any:
    """Nested ``uns`` content as plain python: h5ad's keyed ``'000'``.. dicts back to lists, arrays to lists."""
    if isinstance(value, dict):
        keys = list(value)
        if keys and all(len(k) == 3 and k.isdigit() for k in keys) and sorted(keys) == [f"{i:03d}" for i in range(len(keys))]:
            return [_plain_tree(value[f"{i:03d}"]) for i in range(len(keys))]
        return {key: _plain_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_tree(item) for item in value]
    if isinstance(value, np.ndarray):
        return [_plain_tree(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    return value
