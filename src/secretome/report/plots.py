"""Plotly figures of a profile summary. They only draw numbers already in the summary.

Each figure is plotly's JSON form (a ``{"data": [...], "layout": {...}}`` dict) built directly: the page's
plotly.js draws it. Building ``plotly.graph_objects`` figures instead validated and deep-copied every
property (and the template) in Python, about 2 s per report, for the same JSON.
"""

from __future__ import annotations

import base64
import json
import math
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

from secretome.textsafety import plotly_text

Figure = dict[str, Any]
"""A plotly figure as its JSON dict: ``data`` (a list of traces) and ``layout``."""

FLAG_COLOURS = {"pass": "#2ca02c", "warn": "#ff9f1a", "fail": "#d62728"}
_MARGIN = dict(l=60, r=20, t=50, b=60)
_FONT = dict(size=12)
VIRIDIS = [[k / 9, colour] for k, colour in enumerate(
    ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"])]
"""Viridis (van der Walt & Smith, matplotlib) as plotly's Python package spells it out."""
GREENS = [[k / 8, f"rgb({colour})"] for k, colour in enumerate(
    ["247,252,245", "229,245,224", "199,233,192", "161,217,155", "116,196,118", "65,171,93", "35,139,69", "0,109,44",
     "0,68,27"])]
"""ColorBrewer's sequential Greens, light (0) to dark (1), as plotly's Python package spells it out (plotly.js's
own named ``Greens`` runs the other way)."""
_SUBPLOT_SPACING = 0.2
"""Horizontal gap between subplots as a share of the page width, divided by the number of columns
(plotly's ``make_subplots`` default)."""


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    """The installed plotly's ``plotly_white`` template, read from its package data (no plotly import)."""
    spec = find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "templates" / "plotly_white.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _figure(data: list[dict[str, Any]], **layout: Any) -> Figure:
    """A figure with the report's common layout (white template, margins, font size) under ``layout``."""
    layout = {key: value for key, value in layout.items() if not (key in ("shapes", "annotations") and not value)}
    return {"data": data, "layout": {"template": _template(), "margin": dict(_MARGIN), "font": dict(_FONT), **layout}}


def _subplot_columns(titles: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Axis suffixes ('', '2', ...) and layout (axes, title annotations) of one row of subplots."""
    cols = max(len(titles), 1)
    spacing = _SUBPLOT_SPACING / cols
    width = (1 - spacing * (cols - 1)) / cols
    suffixes = ["" if k == 0 else str(k + 1) for k in range(cols)]
    layout: dict[str, Any] = {"annotations": []}
    for k, suffix in enumerate(suffixes):
        start = k * (width + spacing)
        layout[f"xaxis{suffix}"] = {"anchor": f"y{suffix}", "domain": [start, start + width]}
        layout[f"yaxis{suffix}"] = {"anchor": f"x{suffix}", "domain": [0.0, 1.0]}
        if k < len(titles):
            layout["annotations"].append({"text": titles[k], "x": start + width / 2, "y": 1.0, "xref": "paper",
                                          "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                                          "showarrow": False, "font": {"size": 16}})
    return suffixes, layout


def _hline(y: float, dash: str, colour: str, text: str | None = None, suffix: str = "",
           font_size: float | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A horizontal line across a (sub)plot at ``y`` and its label at the top right (plotly's ``add_hline``)."""
    shape = {"type": "line", "xref": f"x{suffix} domain", "x0": 0, "x1": 1, "yref": f"y{suffix}", "y0": y, "y1": y,
             "line": {"dash": dash, "color": colour}}
    if text is None:
        return shape, None
    label = {"text": text, "xref": f"x{suffix} domain", "x": 1, "xanchor": "right", "yref": f"y{suffix}", "y": y,
             "yanchor": "bottom", "showarrow": False}
    if font_size is not None:
        label["font"] = {"size": font_size}
    return shape, label


def _samples(summary: dict[str, Any]) -> list[str]:
    return [row["sample"] for row in summary["samples"]]


def purity_partition(summary: dict[str, Any]) -> Figure:
    """Stacked bars: each sample's total quantity split into the seven purity categories."""
    samples = _samples(summary)
    data = [{"type": "bar", "x": samples, "y": [row.get(f"{category}_share") for row in summary["samples"]],
             "name": category, "marker": {"color": summary["purity"]["colours"].get(category)},
             "hovertemplate": "%{x}<br>" + category + ": %{y:.1%}<extra></extra>"}
            for category in summary["purity"]["categories"]]
    return _figure(data, barmode="stack", title={"text": "Composition of each sample (share of total quantity)"},
                   yaxis=dict(title={"text": "share of total quantity"}, tickformat=".0%", range=[0, 1]))


def purity_indices(summary: dict[str, Any]) -> Figure:
    """One panel per flagged index: per-sample value coloured by its flag, with warn/fail limits."""
    flagged = summary["purity"]["flagged"]
    values = summary["parameters"]["thresholds"]["values"]
    samples = _samples(summary)
    suffixes, layout = _subplot_columns(list(flagged))
    data, shapes = [], []
    for name, suffix in zip(flagged, suffixes):
        data.append({"type": "bar", "x": samples, "y": [row.get(name) for row in summary["samples"]],
                     "marker": {"color": [FLAG_COLOURS[row[f"{name}_flag"]] for row in summary["samples"]]},
                     "showlegend": False, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
                     "hovertemplate": "%{x}: %{y:.2%}<extra>" + name + "</extra>"})
        for level, dash in (("warn", "dot"), ("fail", "dash")):
            limit = values[name][level]
            shape, label = _hline(limit, dash, FLAG_COLOURS[level], f"{level} {limit:g}", suffix, font_size=9)
            shapes.append(shape)
            layout["annotations"].append(label)
        layout[f"yaxis{suffix}"]["tickformat"] = ".0%"
        layout[f"xaxis{suffix}"]["showticklabels"] = len(samples) <= 40
    return _figure(data, shapes=shapes, title={"text": "Purity indices and their limits (bar colour = flag)"},
                   height=380, **layout)


def lysis_breakdown(summary: dict[str, Any]) -> Figure:
    """Stacked bars of the lysis share by marker category (nuclear, mitochondrial, ...)."""
    samples = _samples(summary)
    rows = summary["samples"]
    data: list[dict[str, Any]] = [
        {"type": "bar", "x": samples, "y": [row.get(f"lysis_{part}_share") for row in rows], "name": part}
        for part in ("nuclear", "mitochondrial", "ribosomal", "cytosolic_enzyme")]
    data.append({"type": "bar", "x": samples, "y": [row.get("lysis_other_share") for row in rows],
                 "name": "other intracellular", "marker": {"color": "#bbbbbb"}})
    data.append({"type": "scatter", "x": samples, "y": [row.get("ldh_share") for row in rows], "mode": "markers",
                 "name": "LDH (named marker)", "marker": {"symbol": "diamond", "size": 9, "color": "black"}})
    return _figure(data, barmode="stack", title={"text": "Lysis share by marker category"},
                   yaxis=dict(title={"text": "share of total quantity"}, tickformat=".1%"))


def identifications(summary: dict[str, Any]) -> Figure:
    """Identified proteins and missing share per sample."""
    samples = _samples(summary)
    rows = summary["samples"]
    (left, right), layout = _subplot_columns(["proteins quantified", "missing share"])
    data = [
        {"type": "bar", "x": samples, "y": [row["n_proteins"] for row in rows], "showlegend": False,
         "marker": {"color": [FLAG_COLOURS[row["n_proteins_flag"]] for row in rows]}, "xaxis": f"x{left}", "yaxis": f"y{left}"},
        {"type": "bar", "x": samples, "y": [row["missing_share"] for row in rows], "showlegend": False,
         "marker": {"color": [FLAG_COLOURS[row["missing_share_flag"]] for row in rows]}, "xaxis": f"x{right}", "yaxis": f"y{right}"},
    ]
    layout[f"yaxis{right}"]["tickformat"] = ".0%"
    return _figure(data, title={"text": "Identifications and missingness"}, height=360, **layout)


def intensity_distributions(summary: dict[str, Any]) -> Figure:
    """Per-sample log2 intensity distributions as box plots from stored quantiles (5-95 % whiskers)."""
    q = summary["qc"]["intensity_quantiles"]
    box = {"type": "box", "x": _samples(summary), "q1": q["q25"], "median": q["median"], "q3": q["q75"],
           "lowerfence": q["q05"], "upperfence": q["q95"], "name": "log2 quantity", "marker": {"color": "#1f77b4"},
           "showlegend": False}
    return _figure([box], title={"text": "log2 quantity distributions (box 25-75 %, whiskers 5-95 %)"},
                   yaxis={"title": {"text": "log2 quantity"}})


def correlation_heatmap(summary: dict[str, Any]) -> Figure | None:
    """Sample-sample Pearson correlation heatmap (None when the summary omits the matrix)."""
    corr = summary["qc"]["correlation"]
    if not corr["matrix"]:
        return None
    flags = {row["sample"]: row["correlation_flag"] for row in summary["samples"]}
    labels = [f"{name} ⚠" if flags.get(name, "pass") != "pass" else name for name in corr["samples"]]
    n = len(labels)
    size = 11 if n <= 40 else (9 if n <= 80 else 7)
    heatmap = {"type": "heatmap", "z": corr["matrix"], "x": labels, "y": labels, "colorscale": VIRIDIS,
               "colorbar": {"title": {"text": "r"}}, "hovertemplate": "%{x} vs %{y}: r = %{z:.3f}<extra></extra>"}
    # every row and column labelled (plotly thins tick labels by default); flagged samples marked with ⚠
    axis = dict(tickmode="array", tickvals=labels, ticktext=labels, tickfont=dict(size=size), automargin=True)
    return _figure([heatmap], title={"text": "Sample correlation (log2, pairwise-complete; ⚠ = correlation outlier flag)"},
                   height=max(520, 160 + (size + 3) * n), xaxis=axis, yaxis=dict(autorange="reversed", **axis))


def pca_scatter(summary: dict[str, Any]) -> Figure | None:
    """PC1 vs PC2 scores coloured by group (None when PCA could not run)."""
    pca = summary["qc"]["pca"]
    scores = pca["scores"]
    if not scores or len(scores[0]) < 2:
        return None
    ratio = pca["explained_variance_ratio"]
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(summary["samples"]):
        groups.setdefault(row["group"], []).append(i)
    data = [{"type": "scatter", "x": [scores[i][0] for i in index], "y": [scores[i][1] for i in index],
             "mode": "markers", "name": group, "text": [summary["samples"][i]["sample"] for i in index],
             "marker": {"size": 10, "line": {"width": 2, "color": [FLAG_COLOURS[summary["samples"][i]["pca_flag"]] for i in index]}},
             "hovertemplate": "%{text}<extra>" + plotly_text(group) + "</extra>"}
            for group, index in groups.items()]
    return _figure(data, title={"text": f"PCA of samples ({pca['n_proteins']} proteins; outline = PCA outlier flag)"},
                   xaxis={"title": {"text": f"PC1 ({ratio[0]:.0%})"}}, yaxis={"title": {"text": f"PC2 ({ratio[1]:.0%})"}})


def group_cv(summary: dict[str, Any]) -> Figure:
    """Within-group CV distributions (box from stored quantiles) with the group_cv limits."""
    rows = summary["qc"]["group_cv"]
    box = {"type": "box", "x": [r["group"] for r in rows], "q1": [r["cv_q25"] for r in rows],
           "median": [r["median_cv"] for r in rows], "q3": [r["cv_q75"] for r in rows],
           "lowerfence": [r["cv_q05"] for r in rows], "upperfence": [r["cv_q95"] for r in rows],
           "showlegend": False, "marker": {"color": "#7f7f7f"}}
    limits = summary["parameters"]["thresholds"]["values"]["group_cv"]
    lines = [_hline(limits[level], dash, FLAG_COLOURS[level], f"median {level} {limits[level]:g}")
             for level, dash in (("warn", "dot"), ("fail", "dash"))]
    return _figure([box], shapes=[shape for shape, _ in lines], annotations=[label for _, label in lines],
                   title={"text": "Within-group CV of proteins (linear scale)"},
                   yaxis=dict(title={"text": "CV"}, tickformat=".0%"))


def functional_shares(summary: dict[str, Any]) -> Figure:
    """Heatmap: share of each sample's secreted pool per functional class (seed classes first)."""
    functional = summary["functional"]
    heatmap = {
        "type": "heatmap",
        "z": [list(row) for row in zip(*functional["share"])] if functional["share"] else [],
        "x": _samples(summary), "y": functional["classes"], "colorscale": GREENS, "colorbar": {"title": {"text": "share"}},
        "customdata": [list(row) for row in zip(*functional["n_factors"])] if functional["n_factors"] else [],
        "hovertemplate": "%{x} / %{y}<br>share of secreted: %{z:.1%}<br>factors: %{customdata}<extra></extra>",
    }
    return _figure([heatmap], title={"text": "Functional classes: share of secreted quantity per sample"}, height=460,
                   yaxis=dict(autorange="reversed"))


def functional_groups(summary: dict[str, Any]) -> Figure:
    """Grouped bars: mean class share of the secreted pool per group."""
    functional = summary["functional"]
    classes = functional["classes"]
    data = [{"type": "bar", "x": classes, "y": [values["mean_share"][c] for c in classes], "name": group,
             "customdata": [values["n_factors_detected"][c] for c in classes],
             "hovertemplate": "%{x}: %{y:.1%} (%{customdata} factors detected)<extra>" + plotly_text(group) + "</extra>"}
            for group, values in functional["per_group"].items()]
    return _figure(data, barmode="group", title={"text": "Functional classes per group (mean share of secreted quantity)"},
                   yaxis=dict(tickformat=".0%"))


def key_factor_levels(summary: dict[str, Any]) -> Figure:
    """Key-factor panel: abundance percentile of each factor (0 = not detected)."""
    factors = summary["key_factors"]
    bar = {
        "type": "bar",
        "x": [f["gene"] for f in factors],
        "y": [f.get("abundance_percentile") or 0 for f in factors],
        "marker": {"color": ["#2ca02c" if f["detected"] else "#d9d9d9" for f in factors]},
        "text": [f"{f['n_detected']}/{summary['n_samples']}" for f in factors],
        "customdata": [f["seed_class"] for f in factors],
        "hovertemplate": "%{x} (%{customdata})<br>abundance percentile %{y:.0f}<br>detected in %{text}<extra></extra>",
    }
    return _figure([bar], title={"text": "Key factors: abundance percentile among all proteins (grey = not detected)"},
                   yaxis=dict(title={"text": "percentile"}, range=[0, 100]))


def group_indices(summary: dict[str, Any]) -> Figure | None:
    """Group means (+/- sd) of the flagged purity indices."""
    groups = summary.get("groups")
    if not groups:
        return None
    metrics = summary["purity"]["flagged"]
    data = [{"type": "bar", "x": metrics, "y": [groups["means"][level][m] for m in metrics], "name": level,
             "error_y": {"type": "data", "array": [groups["sds"][level][m] or 0 for m in metrics]}}
            for level in groups["levels"]]
    return _figure(data, barmode="group", title={"text": f"Purity indices by {groups['column']} (mean +/- sd)"},
                   yaxis=dict(tickformat=".0%"))


def _typed(values: np.ndarray) -> dict[str, str]:
    """A float array in plotly's typed-array form (base64 of little-endian float64; NaN = no point), as
    plotly's own serialiser writes numeric arrays: compact and exact for thousands of points."""
    return {"dtype": "f8", "bdata": base64.b64encode(np.ascontiguousarray(values, dtype="<f8").tobytes()).decode("ascii")}


def volcano(summary: dict[str, Any], min_abs_log2fc: float = 1.0) -> Figure | None:
    """Volcano plot of the contrast: log2 fold change against -log10 p; highlighted where adj. p < alpha and
    |log2fc| >= ``min_abs_log2fc`` (guide lines); the most significant proteins are labelled."""
    entry = summary.get("differential")
    if not entry:
        return None
    points = entry["volcano"]
    alpha = entry["alpha"]
    # arrays, not lists: thousands of points are computed and written at once; missing values (None) become
    # NaN, which plotly.js leaves out
    log2fc = np.array([np.nan if x is None else x for x in points["log2fc"]], dtype=float)
    p_value = np.array([np.nan if p is None else p for p in points["p_value"]], dtype=float)
    adj = np.array([np.nan if a is None else a for a in points["adj_p_value"]], dtype=float)
    proteins = list(points["protein"])
    labels = [gene or protein for gene, protein in zip(points["gene"], points["protein"])]
    with np.errstate(invalid="ignore"):
        y = -np.log10(np.maximum(p_value, 1e-300))
        hit = (adj < alpha) & (np.abs(log2fc) >= min_abs_log2fc)
    data = []
    adj_values = [None if math.isnan(a) else a for a in adj.tolist()]  # Python floats: one conversion, not one per point
    for name, wanted, colour in (("not significant", False, "#9e9e9e"),
                                 (f"adj. p < {alpha:g}, |log2FC| >= {min_abs_log2fc:g}", True, "#c0392b")):
        index = np.flatnonzero(hit == wanted)
        rows = index.tolist()
        data.append({"type": "scatter", "x": _typed(log2fc[index]), "y": _typed(y[index]), "mode": "markers",
                     "name": name, "marker": {"color": colour, "size": 6, "opacity": 0.75},
                     "text": [labels[i] for i in rows],
                     "customdata": [[proteins[i], adj_values[i]] for i in rows],
                     "hovertemplate": "%{text}<br>%{customdata[0]}<br>log2FC %{x:.3f}<br>adj. p %{customdata[1]:.3g}<extra></extra>"})
    hits = np.flatnonzero(hit)
    top = hits[np.argsort(-np.nan_to_num(y[hits]), kind="stable")][:15]
    annotations = [{"x": float(log2fc[i]), "y": float(y[i]), "text": labels[i], "showarrow": False, "yshift": 10,
                    "font": {"size": 10}} for i in top]
    shapes = [{"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "y domain", "y0": 0, "y1": 1,
               "line": {"dash": "dot", "color": "#666"}} for x in (-min_abs_log2fc, min_abs_log2fc)]
    return _figure(data, annotations=annotations, shapes=shapes, title={"text": f"Volcano: {entry['contrast']}"},
                   xaxis={"title": {"text": "log2 fold change"}}, yaxis={"title": {"text": "-log10 p-value"}},
                   height=520, legend=dict(orientation="h", y=-0.15))


def control_chart(summary: dict[str, Any]) -> Figure | None:
    """Lot similarity scores with the reference centre line and control limits."""
    entry = summary.get("comparability")
    if not entry or not entry.get("lots"):
        return None
    lots = entry["lots"]
    data = []
    for role, colour in (("reference", "#1f77b4"), ("test", "#d62728")):
        part = [row for row in lots if row["role"] == role]
        data.append({"type": "scatter", "x": [str(row["lot"]) for row in part], "y": [row["similarity"] for row in part],
                     "mode": "markers", "name": f"{role} lots", "marker": {"size": 11, "color": colour},
                     "text": [row["similarity_verdict"] for row in part],
                     "hovertemplate": "lot %{x}<br>similarity %{y:.4f}<br>%{text}<extra></extra>"})
    first = lots[0]
    lines = [_hline(float(first[key]), dash, "#555", label)
             for key, dash, label in (("center", "solid", "center"), ("lower_limit", "dash", "lower limit"),
                                      ("upper_limit", "dot", "upper limit"))
             if first.get(key) is not None]
    return _figure(data, shapes=[shape for shape, _ in lines], annotations=[label for _, label in lines],
                   title={"text": f"Lot similarity to the reference lots ({entry['similarity_method']})"},
                   xaxis={"title": {"text": "lot"}, "type": "category"}, yaxis={"title": {"text": "similarity"}}, height=420)


def all_figures(summary: dict[str, Any], kind: str = "profile") -> dict[str, Figure]:
    """Every figure of a page, keyed by the anchor of its ``<div>`` (absent ones skipped)."""
    if kind != "profile":
        figures = {"volcano": volcano(summary), "control-chart": control_chart(summary)}
        return {key: fig for key, fig in figures.items() if fig is not None}
    figures = {
        "purity-partition": purity_partition(summary),
        "purity-indices": purity_indices(summary),
        "lysis-breakdown": lysis_breakdown(summary),
        "identifications": identifications(summary),
        "intensities": intensity_distributions(summary),
        "correlation": correlation_heatmap(summary),
        "pca": pca_scatter(summary),
        "group-cv": group_cv(summary),
        "functional-shares": functional_shares(summary),
        "functional-groups": functional_groups(summary),
        "key-factors": key_factor_levels(summary),
        "group-indices": group_indices(summary),
        "volcano": volcano(summary),
        "control-chart": control_chart(summary),
    }
    return {key: fig for key, fig in figures.items() if fig is not None}
