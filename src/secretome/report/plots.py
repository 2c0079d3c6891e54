"""Plotly figures of a profile summary. They only draw numbers already in the summary."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

FLAG_COLOURS = {"pass": "#2ca02c", "warn": "#ff9f1a", "fail": "#d62728"}
_LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=60), font=dict(size=12))


def _samples(summary: dict[str, Any]) -> list[str]:
    return [row["sample"] for row in summary["samples"]]


def purity_partition(summary: dict[str, Any]) -> go.Figure:
    """Stacked bars: each sample's total quantity split into the seven purity categories."""
    samples = _samples(summary)
    fig = go.Figure()
    for category in summary["purity"]["categories"]:
        values = [row.get(f"{category}_share") for row in summary["samples"]]
        fig.add_bar(x=samples, y=values, name=category, marker_color=summary["purity"]["colours"].get(category),
                    hovertemplate="%{x}<br>" + category + ": %{y:.1%}<extra></extra>")
    fig.update_layout(barmode="stack", title="Composition of each sample (share of total quantity)",
                      yaxis=dict(title="share of total quantity", tickformat=".0%", range=[0, 1]), **_LAYOUT)
    return fig


def purity_indices(summary: dict[str, Any]) -> go.Figure:
    """One panel per flagged index: per-sample value coloured by its flag, with warn/fail limits."""
    flagged = summary["purity"]["flagged"]
    values = summary["parameters"]["thresholds"]["values"]
    samples = _samples(summary)
    fig = make_subplots(rows=1, cols=len(flagged), subplot_titles=flagged, shared_yaxes=False)
    for k, name in enumerate(flagged, start=1):
        y = [row.get(name) for row in summary["samples"]]
        colours = [FLAG_COLOURS[row[f"{name}_flag"]] for row in summary["samples"]]
        fig.add_bar(x=samples, y=y, marker_color=colours, showlegend=False, row=1, col=k,
                    hovertemplate="%{x}: %{y:.2%}<extra>" + name + "</extra>")
        for level, dash in (("warn", "dot"), ("fail", "dash")):
            limit = values[name][level]
            fig.add_hline(y=limit, line_dash=dash, line_color=FLAG_COLOURS[level], row=1, col=k,
                          annotation_text=f"{level} {limit:g}", annotation_font_size=9)
        fig.update_yaxes(tickformat=".0%", row=1, col=k)
        fig.update_xaxes(showticklabels=len(samples) <= 40, row=1, col=k)
    fig.update_layout(title="Purity indices and their limits (bar colour = flag)", height=380, **_LAYOUT)
    return fig


def lysis_breakdown(summary: dict[str, Any]) -> go.Figure:
    """Stacked bars of the lysis share by marker category (nuclear, mitochondrial, ...)."""
    samples = _samples(summary)
    fig = go.Figure()
    parts = ["nuclear", "mitochondrial", "ribosomal", "cytosolic_enzyme"]
    for part in parts:
        fig.add_bar(x=samples, y=[row.get(f"lysis_{part}_share") for row in summary["samples"]], name=part)
    fig.add_bar(x=samples, y=[row.get("lysis_other_share") for row in summary["samples"]],
                name="other intracellular", marker_color="#bbbbbb")
    fig.add_scatter(x=samples, y=[row.get("ldh_share") for row in summary["samples"]], mode="markers",
                    name="LDH (named marker)", marker=dict(symbol="diamond", size=9, color="black"))
    fig.update_layout(barmode="stack", title="Lysis share by marker category",
                      yaxis=dict(title="share of total quantity", tickformat=".1%"), **_LAYOUT)
    return fig


def identifications(summary: dict[str, Any]) -> go.Figure:
    """Identified proteins and missing share per sample."""
    samples = _samples(summary)
    fig = make_subplots(rows=1, cols=2, subplot_titles=["proteins quantified", "missing share"])
    fig.add_bar(x=samples, y=[row["n_proteins"] for row in summary["samples"]], row=1, col=1, showlegend=False,
                marker_color=[FLAG_COLOURS[row["n_proteins_flag"]] for row in summary["samples"]])
    fig.add_bar(x=samples, y=[row["missing_share"] for row in summary["samples"]], row=1, col=2, showlegend=False,
                marker_color=[FLAG_COLOURS[row["missing_share_flag"]] for row in summary["samples"]])
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_layout(title="Identifications and missingness", height=360, **_LAYOUT)
    return fig


def intensity_distributions(summary: dict[str, Any]) -> go.Figure:
    """Per-sample log2 intensity distributions as box plots from stored quantiles (5-95 % whiskers)."""
    q = summary["qc"]["intensity_quantiles"]
    fig = go.Figure(
        go.Box(x=_samples(summary), q1=q["q25"], median=q["median"], q3=q["q75"], lowerfence=q["q05"],
               upperfence=q["q95"], name="log2 quantity", marker_color="#1f77b4", showlegend=False)
    )
    fig.update_layout(title="log2 quantity distributions (box 25-75 %, whiskers 5-95 %)",
                      yaxis_title="log2 quantity", **_LAYOUT)
    return fig


def correlation_heatmap(summary: dict[str, Any]) -> go.Figure | None:
    """Sample-sample Pearson correlation heatmap (None when the summary omits the matrix)."""
    corr = summary["qc"]["correlation"]
    if not corr["matrix"]:
        return None
    flags = {row["sample"]: row["correlation_flag"] for row in summary["samples"]}
    labels = [f"{name} ⚠" if flags.get(name, "pass") != "pass" else name for name in corr["samples"]]
    n = len(labels)
    size = 11 if n <= 40 else (9 if n <= 80 else 7)
    fig = go.Figure(go.Heatmap(z=corr["matrix"], x=labels, y=labels, colorscale="Viridis",
                               colorbar=dict(title="r"), hovertemplate="%{x} vs %{y}: r = %{z:.3f}<extra></extra>"))
    # every row and column labelled (plotly thins tick labels by default); flagged samples marked with ⚠
    axis = dict(tickmode="array", tickvals=labels, ticktext=labels, tickfont=dict(size=size), automargin=True)
    fig.update_layout(title="Sample correlation (log2, pairwise-complete; ⚠ = correlation outlier flag)",
                      height=max(520, 160 + (size + 3) * n), xaxis=axis, yaxis=dict(autorange="reversed", **axis),
                      **_LAYOUT)
    return fig


def pca_scatter(summary: dict[str, Any]) -> go.Figure | None:
    """PC1 vs PC2 scores coloured by group (None when PCA could not run)."""
    pca = summary["qc"]["pca"]
    scores = pca["scores"]
    if not scores or len(scores[0]) < 2:
        return None
    ratio = pca["explained_variance_ratio"]
    fig = go.Figure()
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(summary["samples"]):
        groups.setdefault(row["group"], []).append(i)
    for group, index in groups.items():
        fig.add_scatter(
            x=[scores[i][0] for i in index], y=[scores[i][1] for i in index], mode="markers", name=group,
            text=[summary["samples"][i]["sample"] for i in index],
            marker=dict(size=10, line=dict(width=2, color=[FLAG_COLOURS[summary["samples"][i]["pca_flag"]] for i in index])),
            hovertemplate="%{text}<extra>" + group + "</extra>",
        )
    fig.update_layout(title=f"PCA of samples ({pca['n_proteins']} proteins; outline = PCA outlier flag)",
                      xaxis_title=f"PC1 ({ratio[0]:.0%})", yaxis_title=f"PC2 ({ratio[1]:.0%})", **_LAYOUT)
    return fig


def group_cv(summary: dict[str, Any]) -> go.Figure:
    """Within-group CV distributions (box from stored quantiles) with the group_cv limits."""
    rows = summary["qc"]["group_cv"]
    fig = go.Figure(
        go.Box(x=[r["group"] for r in rows], q1=[r["cv_q25"] for r in rows], median=[r["median_cv"] for r in rows],
               q3=[r["cv_q75"] for r in rows], lowerfence=[r["cv_q05"] for r in rows],
               upperfence=[r["cv_q95"] for r in rows], showlegend=False, marker_color="#7f7f7f")
    )
    limits = summary["parameters"]["thresholds"]["values"]["group_cv"]
    for level, dash in (("warn", "dot"), ("fail", "dash")):
        fig.add_hline(y=limits[level], line_dash=dash, line_color=FLAG_COLOURS[level],
                      annotation_text=f"median {level} {limits[level]:g}")
    fig.update_layout(title="Within-group CV of proteins (linear scale)", yaxis=dict(title="CV", tickformat=".0%"),
                      **_LAYOUT)
    return fig


def functional_shares(summary: dict[str, Any]) -> go.Figure:
    """Heatmap: share of each sample's secreted pool per functional class (seed classes first)."""
    functional = summary["functional"]
    fig = go.Figure(go.Heatmap(
        z=[list(row) for row in zip(*functional["share"])] if functional["share"] else [],
        x=_samples(summary), y=functional["classes"], colorscale="Greens", colorbar=dict(title="share"),
        customdata=[list(row) for row in zip(*functional["n_factors"])] if functional["n_factors"] else [],
        hovertemplate="%{x} / %{y}<br>share of secreted: %{z:.1%}<br>factors: %{customdata}<extra></extra>",
    ))
    fig.update_layout(title="Functional classes: share of secreted quantity per sample", height=460,
                      yaxis=dict(autorange="reversed"), **_LAYOUT)
    return fig


def functional_groups(summary: dict[str, Any]) -> go.Figure:
    """Grouped bars: mean class share of the secreted pool per group."""
    functional = summary["functional"]
    fig = go.Figure()
    for group, values in functional["per_group"].items():
        fig.add_bar(x=functional["classes"], y=[values["mean_share"][c] for c in functional["classes"]], name=group,
                    customdata=[values["n_factors_detected"][c] for c in functional["classes"]],
                    hovertemplate="%{x}: %{y:.1%} (%{customdata} factors detected)<extra>" + group + "</extra>")
    fig.update_layout(barmode="group", title="Functional classes per group (mean share of secreted quantity)",
                      yaxis=dict(tickformat=".0%"), **_LAYOUT)
    return fig


def key_factor_levels(summary: dict[str, Any]) -> go.Figure:
    """Key-factor panel: abundance percentile of each factor (0 = not detected)."""
    factors = summary["key_factors"]
    fig = go.Figure(go.Bar(
        x=[f["gene"] for f in factors],
        y=[f.get("abundance_percentile") or 0 for f in factors],
        marker_color=["#2ca02c" if f["detected"] else "#d9d9d9" for f in factors],
        text=[f"{f['n_detected']}/{summary['n_samples']}" for f in factors],
        customdata=[f["seed_class"] for f in factors],
        hovertemplate="%{x} (%{customdata})<br>abundance percentile %{y:.0f}<br>detected in %{text}<extra></extra>",
    ))
    fig.update_layout(title="Key factors: abundance percentile among all proteins (grey = not detected)",
                      yaxis=dict(title="percentile", range=[0, 100]), **_LAYOUT)
    return fig


def group_indices(summary: dict[str, Any]) -> go.Figure | None:
    """Group means (+/- sd) of the flagged purity indices."""
    groups = summary.get("groups")
    if not groups:
        return None
    fig = go.Figure()
    metrics = summary["purity"]["flagged"]
    for level in groups["levels"]:
        fig.add_bar(x=metrics, y=[groups["means"][level][m] for m in metrics], name=level,
                    error_y=dict(type="data", array=[groups["sds"][level][m] or 0 for m in metrics]))
    fig.update_layout(barmode="group", title=f"Purity indices by {groups['column']} (mean +/- sd)",
                      yaxis=dict(tickformat=".0%"), **_LAYOUT)
    return fig


def volcano(summary: dict[str, Any], min_abs_log2fc: float = 1.0) -> go.Figure | None:
    """Volcano plot of the contrast: log2 fold change against -log10 p; highlighted where adj. p < alpha and
    |log2fc| >= ``min_abs_log2fc`` (guide lines); the most significant proteins are labelled."""
    entry = summary.get("differential")
    if not entry:
        return None
    points = entry["volcano"]
    alpha = entry["alpha"]
    # arrays, not lists: plotly validates and serialises a numeric array at once instead of value by value
    # (thousands of points: 0.2 s -> 0.03 s); missing values (None) become NaN, which plotly.js leaves out
    log2fc = np.array([np.nan if x is None else x for x in points["log2fc"]], dtype=float)
    p_value = np.array([np.nan if p is None else p for p in points["p_value"]], dtype=float)
    adj = np.array([np.nan if a is None else a for a in points["adj_p_value"]], dtype=float)
    proteins = np.array(points["protein"], dtype=object)
    labels = np.array([gene or protein for gene, protein in zip(points["gene"], points["protein"])], dtype=object)
    with np.errstate(invalid="ignore"):
        y = -np.log10(np.maximum(p_value, 1e-300))
        hit = (adj < alpha) & (np.abs(log2fc) >= min_abs_log2fc)
    fig = go.Figure()
    for name, wanted, colour in (("not significant", False, "#9e9e9e"),
                                 (f"adj. p < {alpha:g}, |log2FC| >= {min_abs_log2fc:g}", True, "#c0392b")):
        index = np.flatnonzero(hit == wanted)
        custom = np.empty((index.size, 2), dtype=object)
        custom[:, 0], custom[:, 1] = proteins[index], [None if math.isnan(a) else float(a) for a in adj[index]]
        fig.add_scatter(x=log2fc[index], y=y[index], mode="markers", name=name,
                        marker=dict(color=colour, size=6, opacity=0.75), text=labels[index], customdata=custom,
                        hovertemplate="%{text}<br>%{customdata[0]}<br>log2FC %{x:.3f}<br>adj. p %{customdata[1]:.3g}<extra></extra>")
    hits = np.flatnonzero(hit)
    top = hits[np.argsort(-np.nan_to_num(y[hits]), kind="stable")][:15]
    for i in top:
        fig.add_annotation(x=float(log2fc[i]), y=float(y[i]), text=labels[i], showarrow=False, yshift=10, font=dict(size=10))
    for x in (-min_abs_log2fc, min_abs_log2fc):
        fig.add_vline(x=x, line_dash="dot", line_color="#666")
    fig.update_layout(title=f"Volcano: {entry['contrast']}", xaxis_title="log2 fold change", yaxis_title="-log10 p-value",
                      height=520, legend=dict(orientation="h", y=-0.15), **_LAYOUT)
    return fig


def control_chart(summary: dict[str, Any]) -> go.Figure | None:
    """Lot similarity scores with the reference centre line and control limits."""
    entry = summary.get("comparability")
    if not entry or not entry.get("lots"):
        return None
    lots = entry["lots"]
    fig = go.Figure()
    for role, colour in (("reference", "#1f77b4"), ("test", "#d62728")):
        part = [row for row in lots if row["role"] == role]
        fig.add_scatter(x=[str(row["lot"]) for row in part], y=[row["similarity"] for row in part], mode="markers",
                        name=f"{role} lots", marker=dict(size=11, color=colour), text=[row["similarity_verdict"] for row in part],
                        hovertemplate="lot %{x}<br>similarity %{y:.4f}<br>%{text}<extra></extra>")
    first = lots[0]
    for key, dash, label in (("center", "solid", "center"), ("lower_limit", "dash", "lower limit"), ("upper_limit", "dot", "upper limit")):
        if first.get(key) is not None:
            fig.add_hline(y=float(first[key]), line_dash=dash, line_color="#555", annotation_text=label)
    fig.update_layout(title=f"Lot similarity to the reference lots ({entry['similarity_method']})", xaxis_title="lot",
                      yaxis_title="similarity", height=420, xaxis=dict(type="category"), **_LAYOUT)
    return fig


def all_figures(summary: dict[str, Any], kind: str = "profile") -> dict[str, go.Figure]:
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
