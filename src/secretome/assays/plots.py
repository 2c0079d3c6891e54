"""Plotly figures (as plain figure dicts: fast to build, rendered by the page's embedded plotly.js) of a
quantified assay: one standard curve per analyte and plate, Levey-Jennings charts and cytokine balance
ratios. They draw numbers already computed; nothing here fits or decides."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from secretome.assays.quantify import AssayResult

#: Plotly config of every assay figure: no logo, no cloud/export-to-editor buttons, no links out.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["sendDataToCloud", "editInChartStudio", "toImage", "lasso2d", "select2d"],
    "showLink": False,
    "responsive": True,
}
_LAYOUT = {"template": {"layout": {"plot_bgcolor": "#fff", "paper_bgcolor": "#fff"}}, "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
           "font": {"size": 12}, "height": 360}
FLAG_COLOURS = {"ok": "#2ca02c", "<LLOQ": "#1f77b4", ">ULOQ": "#ff7f0e", "<curve": "#17becf", ">curve": "#d62728"}
Figure = dict[str, Any]


def _list(values: Any) -> list[Any]:
    return [None if isinstance(v, float) and not np.isfinite(v) else v for v in np.asarray(values).tolist()]


def curve_figure(result: AssayResult, plate: str, analyte: str) -> Figure:
    """Standards, the fitted curve, LLOQ/ULOQ and the sample wells at their back-calculated concentration,
    on a log-concentration axis."""
    wells = result.wells[(result.wells["plate"] == plate) & (result.wells["analyte"] == analyte)]
    curve = result.curves[(result.curves["plate"] == plate) & (result.curves["analyte"] == analyte)].iloc[0]
    fit = result.fits.get((plate, analyte))
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    standards = wells[(wells["kind"] == "standard") & np.isfinite(wells["expected"]) & (wells["expected"] > 0)]
    data.append({"type": "scatter", "mode": "markers", "name": "standards", "x": _list(standards["expected"]),
                 "y": _list(standards["fitted_signal"]), "text": standards["level"].tolist(), "marker": {"color": "#1f3b4d", "size": 8},
                 "hovertemplate": "%{text}: %{x:.4g} -> %{y:.4g}<extra></extra>"})
    if fit is not None and len(standards):
        low, high = standards["expected"].min(), standards["expected"].max()
        grid = np.exp(np.linspace(np.log(low) - 1, np.log(high) + 1, 120))
        data.append({"type": "scatter", "mode": "lines", "name": f"{curve['model'].upper()} fit", "x": _list(grid),
                     "y": _list(fit.predict(grid)), "line": {"color": "#444"}})
        samples = wells[wells["kind"].isin(["unknown", "control"]) & np.isfinite(wells["concentration"])]
        for flag, group in samples.groupby("flag"):
            data.append({"type": "scatter", "mode": "markers", "name": f"samples {flag}", "x": _list(group["concentration"]),
                         "y": _list(group["fitted_signal"]), "text": group["sample"].tolist(),
                         "marker": {"color": FLAG_COLOURS.get(flag, "#999"), "symbol": "x", "size": 7},
                         "hovertemplate": "%{text}: %{x:.4g}<extra>" + str(flag) + "</extra>"})
        for name, limit in (("LLOQ", curve["lloq"]), ("ULOQ", curve["uloq"])):
            if np.isfinite(limit):
                shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": limit, "x1": limit, "y0": 0, "y1": 1,
                               "line": {"dash": "dash", "color": "#888"}})
                annotations.append({"xref": "x", "yref": "paper", "x": float(np.log10(limit)), "y": 1.02, "text": f"{name} {limit:.3g}",
                                    "showarrow": False, "font": {"size": 10}})
    unit = curve.get("unit", "") or ""
    r2 = f", R² {curve['r_squared']:.4f}" if np.isfinite(curve["r_squared"]) else ""
    layout = {**_LAYOUT, "title": {"text": f"{analyte}, plate {plate}: {curve['status']}{r2}"}, "shapes": shapes, "annotations": annotations,
              "xaxis": {"type": "log", "title": {"text": f"concentration ({unit})" if unit else "concentration"}},
              "yaxis": {"title": {"text": result.read.signal_name}}}
    return {"data": data, "layout": layout}


def levey_jennings_figure(table: pd.DataFrame, analyte: str) -> Figure:
    """Control values per run with mean, ±2 SD and ±3 SD lines, one trace per control level."""
    data, shapes = [], []
    for level, group in table[table["analyte"] == analyte].groupby("level"):
        data.append({"type": "scatter", "mode": "lines+markers", "name": str(level), "x": group["run"].tolist(), "y": _list(group["value"])})
        mean, sd = float(group["mean"].iloc[0]), float(group["sd"].iloc[0])
        if np.isfinite(sd):
            for k, dash in ((0, "solid"), (2, "dot"), (-2, "dot"), (3, "dash"), (-3, "dash")):
                shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": mean + k * sd, "y1": mean + k * sd,
                               "line": {"dash": dash, "color": "#bbb"}})
    layout = {**_LAYOUT, "title": {"text": f"Levey-Jennings: {analyte} controls across runs"}, "shapes": shapes,
              "xaxis": {"title": {"text": "run:plate"}, "type": "category"}, "yaxis": {"title": {"text": "concentration"}}}
    return {"data": data, "layout": layout}


def balance_figure(table: pd.DataFrame) -> Figure:
    """log10 balance ratios per sample, one trace per ratio (quantified pairs only)."""
    data = [{"type": "bar", "name": ratio, "x": group["sample"].tolist(), "y": _list(group["log10"])}
            for ratio, group in table[table["quantified"]].groupby("ratio", sort=False)]
    layout = {**_LAYOUT, "barmode": "group", "title": {"text": "Cytokine balance (log10 ratio, quantified pairs only)"},
              "yaxis": {"title": {"text": "log10 ratio"}}}
    return {"data": data, "layout": layout}
