"""Plotly figures of a quantified assay: one standard curve per analyte and plate, Levey-Jennings charts and
cytokine balance ratios. They draw numbers already computed; nothing here fits or decides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from secretome.assays.quantify import AssayResult

#: Plotly config of every assay figure: no logo, no cloud/export-to-editor buttons, no links out.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "toImage", "lasso2d", "select2d"],
    "showLink": False,
    "responsive": True,
}
_LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50), font=dict(size=12), height=360)
FLAG_COLOURS = {"ok": "#2ca02c", "<LLOQ": "#1f77b4", ">ULOQ": "#ff7f0e", "<curve": "#17becf", ">curve": "#d62728"}


def curve_figure(result: AssayResult, plate: str, analyte: str) -> go.Figure:
    """Standards (used / left out), the fitted curve, LLOQ/ULOQ and the sample wells at their back-calculated
    concentration, on log-concentration axes."""
    wells = result.wells[(result.wells["plate"] == plate) & (result.wells["analyte"] == analyte)]
    curve = result.curves[(result.curves["plate"] == plate) & (result.curves["analyte"] == analyte)].iloc[0]
    fit = result.fits.get((plate, analyte))
    fig = go.Figure()
    standards = wells[(wells["kind"] == "standard") & np.isfinite(wells["expected"]) & (wells["expected"] > 0)]
    fig.add_scatter(x=standards["expected"], y=standards["fitted_signal"], mode="markers", name="standards",
                    marker=dict(color="#1f3b4d", size=8), text=standards["level"],
                    hovertemplate="%{text}: %{x:.4g} -> %{y:.4g}<extra></extra>")
    if fit is not None:
        low, high = standards["expected"].min(), standards["expected"].max()
        grid = np.exp(np.linspace(np.log(low) - 1, np.log(high) + 1, 200))
        fig.add_scatter(x=grid, y=fit.predict(grid), mode="lines", name=f"{curve['model'].upper()} fit",
                        line=dict(color="#444"))
        samples = wells[wells["kind"].isin(["unknown", "control"]) & np.isfinite(wells["concentration"])]
        for flag, group in samples.groupby("flag"):
            fig.add_scatter(x=group["concentration"], y=group["fitted_signal"], mode="markers", name=f"samples {flag}",
                            marker=dict(color=FLAG_COLOURS.get(flag, "#999"), symbol="x", size=7), text=group["sample"],
                            hovertemplate="%{text}: %{x:.4g}<extra>" + flag + "</extra>")
        for name, limit in (("LLOQ", curve["lloq"]), ("ULOQ", curve["uloq"])):
            if np.isfinite(limit):
                fig.add_vline(x=limit, line_dash="dash", line_color="#888", annotation_text=f"{name} {limit:.3g}")
    unit = curve.get("unit", "") or ""
    title = f"{analyte}, plate {plate}: {curve['status']}" + (f", R² {curve['r_squared']:.4f}" if np.isfinite(curve["r_squared"]) else "")
    fig.update_layout(title=title, xaxis=dict(type="log", title=f"concentration ({unit})" if unit else "concentration"),
                      yaxis=dict(title=result.read.signal_name), **_LAYOUT)
    return fig


def levey_jennings_figure(table: pd.DataFrame, analyte: str) -> go.Figure:
    """Control values per run with mean, ±2 SD and ±3 SD lines, one trace per control level."""
    fig = go.Figure()
    for level, group in table[table["analyte"] == analyte].groupby("level"):
        fig.add_scatter(x=group["run"], y=group["value"], mode="lines+markers", name=str(level))
        mean, sd = float(group["mean"].iloc[0]), float(group["sd"].iloc[0])
        if np.isfinite(sd):
            for k, dash in ((0, "solid"), (2, "dot"), (-2, "dot"), (3, "dash"), (-3, "dash")):
                fig.add_hline(y=mean + k * sd, line_dash=dash, line_color="#bbb")
    fig.update_layout(title=f"Levey-Jennings: {analyte} controls across runs", xaxis=dict(title="run:plate"), yaxis=dict(title="concentration"), **_LAYOUT)
    return fig


def balance_figure(table: pd.DataFrame) -> go.Figure:
    """log10 balance ratios per sample, one trace per ratio (quantified pairs only)."""
    fig = go.Figure()
    for ratio, group in table[table["quantified"]].groupby("ratio", sort=False):
        fig.add_bar(x=group["sample"], y=group["log10"], name=ratio)
    fig.update_layout(barmode="group", title="Cytokine balance (log10 ratio, quantified pairs only)", yaxis=dict(title="log10 ratio"), **_LAYOUT)
    return fig
