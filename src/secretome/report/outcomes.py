"""The outcomes report: one self-contained HTML file (plotly.js inline, no network, no cloud buttons).

It presents the summary the ``outcomes`` job built (:func:`secretome.jobs.outcomes.outcomes_job`) and
computes nothing scientific: trajectories per arm and per lot, responder rates, mixed models, time to
re-epithelialisation and the composition-outcome associations with their uncertainty. Every aggregate
it shows was already suppressed below the minimum cell size by the job.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2

from secretome.plotlyjs import plotly_context

from secretome.textsafety import configure_jinja, plotly_inert, script_json

PLOTLY_CONFIG = {"displaylogo": False, "showLink": False, "showSendToCloud": False, "showEditInChartStudio": False,
                 "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
"""Figure options: no plotly logo, no link or button that sends data anywhere."""
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return configure_jinja(jinja2.Environment(loader=jinja2.PackageLoader("secretome.report", "templates"),
                                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True))


Figure = dict[str, Any]
"""A plotly figure as its JSON dict (``data`` traces and ``layout``), drawn by the page's plotly.js."""


def _json(figure: Figure) -> str:
    return script_json(json.dumps(plotly_inert(figure), allow_nan=False))


def _layout(title: str, x: str, y: str) -> dict[str, Any]:
    axis = {"showline": True, "linecolor": "#444", "ticks": "outside", "showgrid": False, "zeroline": False}
    return {"title": {"text": title, "font": {"size": 14}}, "xaxis": {**axis, "title": {"text": x}},
            "yaxis": {**axis, "title": {"text": y}}, "plot_bgcolor": "#fff", "paper_bgcolor": "#fff", "height": 340,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 50}, "legend": {"font": {"size": 10}}}


def trajectory_figure(summary: dict[str, Any], measure: dict[str, Any], group_by: str) -> Figure | None:
    """Mean and 95% CI over visits per arm or lot (suppressed cells are gaps)."""
    rows = [r for r in summary["trajectories"] if r["measure"] == measure["id"] and r["group_by"] == group_by]
    if not rows:
        return None
    traces = []
    for k, group in enumerate(dict.fromkeys(r["group"] for r in rows)):
        part = [r for r in rows if r["group"] == group]
        traces.append({
            "type": "scatter", "x": [r["visit"] for r in part], "y": [r["mean"] for r in part], "mode": "lines+markers",
            "name": str(group), "line": {"color": PALETTE[k % len(PALETTE)], "width": 2 if group_by == "arm" else 1},
            "error_y": {"type": "data", "symmetric": False, "visible": group_by == "arm",
                        "array": [None if r["ci_high"] is None else r["ci_high"] - r["mean"] for r in part],
                        "arrayminus": [None if r["ci_low"] is None else r["mean"] - r["ci_low"] for r in part]},
            "hovertext": [f"n = {r['n_patients']}" + (f" ({r['note']})" if r.get("note") else "") for r in part]})
    what = "arm (mean, 95% CI)" if group_by == "arm" else "lot (mean)"
    title = f"{measure['id']} by {what}"
    return {"data": traces, "layout": _layout(title, "visit", f"{measure['id']} ({measure['unit']})" if measure["unit"] else measure["id"])}


def responder_figure(summary: dict[str, Any], measure: str, group_by: str) -> Figure | None:
    """Responder share per arm or lot with Wilson 95% CIs (suppressed groups left out)."""
    rows = [r for r in summary["responders"] if r["measure"] == measure and r["group_by"] == group_by and r["rate"] is not None]
    if not rows:
        return None
    trace = {"type": "bar", "x": [str(r["group"]) for r in rows], "y": [r["rate"] for r in rows], "marker": {"color": PALETTE[0]},
             "error_y": {"type": "data", "symmetric": False, "array": [r["ci_high"] - r["rate"] for r in rows],
                         "arrayminus": [r["rate"] - r["ci_low"] for r in rows]},
             "hovertext": [f"{r['n_responders']} of {r['n_patients']}" for r in rows]}
    layout = _layout(f"{measure}: responders by {group_by} (Wilson 95% CI)", group_by, "share of patients")
    layout["yaxis"]["range"] = [0, 1]
    layout["xaxis"]["type"] = "category"
    return {"data": [trace], "layout": layout}


def composition_figure(summary: dict[str, Any], measure: str) -> Figure | None:
    """Forest plot: change in the outcome per SD of each composition feature across lots, 95% CI."""
    table = [r for r in summary["composition"][measure]["table"] if r.get("change_per_sd") is not None]
    if not table:
        return None
    table = sorted(table, key=lambda r: r["change_per_sd"])
    colours = [PALETTE[1] if r["significant"] else PALETTE[7] for r in table]
    trace = {"type": "scatter", "x": [r["change_per_sd"] for r in table], "y": [r["feature"] for r in table], "mode": "markers",
             "marker": {"color": colours, "size": 9},
             "error_x": {"type": "data", "symmetric": False, "array": [r["ci_high"] - r["change_per_sd"] for r in table],
                         "arrayminus": [r["change_per_sd"] - r["ci_low"] for r in table]},
             "hovertext": [f"r = {r['r']:.2f}, q = {r['q_value']:.3g}" for r in table]}
    layout = _layout(f"{measure}: change per SD of each lot feature (95% CI; red = BH q < {summary['composition'][measure]['alpha']})",
                     f"change in outcome at {summary['visit']} per SD of the feature across lots", "")
    layout["height"] = 120 + 28 * len(table)
    layout["margin"]["l"] = 210
    layout["shapes"] = [{"type": "line", "x0": 0, "x1": 0, "yref": "paper", "y0": 0, "y1": 1, "line": {"dash": "dot", "color": "#999"}}]
    return {"data": [trace], "layout": layout}


def survival_figure(summary: dict[str, Any]) -> Figure | None:
    """Kaplan-Meier curves per arm (steps stop where fewer eyes than the minimum cell were at risk)."""
    km = summary.get("survival", {}).get("km", [])
    if not km:
        return None
    traces = []
    for k, group in enumerate(dict.fromkeys(r["group"] for r in km)):
        part = [r for r in km if r["group"] == group and r["survival"] is not None]
        traces.append({"type": "scatter", "x": [0] + [r["time"] for r in part], "y": [1.0] + [r["survival"] for r in part],
                       "mode": "lines", "line": {"shape": "hv", "color": PALETTE[k % len(PALETTE)]}, "name": str(group)})
    layout = _layout("Open epithelial defect (Kaplan-Meier, eyes)", "days", "share not yet re-epithelialised")
    layout["yaxis"]["range"] = [0, 1.02]
    return {"data": traces, "layout": layout}


def render_outcomes_report(summary: dict[str, Any]) -> str:
    """The outcomes report of a job summary as one HTML string."""
    figures: list[tuple[str, str]] = []

    def add(section: str, figure: Figure | None) -> None:
        if figure is not None:
            figures.append((section, _json(figure)))

    for measure in summary["measures"]:
        add("trajectories", trajectory_figure(summary, measure, "arm"))
        add("trajectories", trajectory_figure(summary, measure, "lot"))
        if measure["mcid"] is not None:
            add("responders", responder_figure(summary, measure["id"], "arm"))
            add("responders", responder_figure(summary, measure["id"], "lot"))
    for measure in summary["composition"]:
        add("composition", composition_figure(summary, measure))
    add("survival", survival_figure(summary))
    template = _environment().get_template("outcomes.html.j2")
    return template.render(s=summary, figures=figures, plotly=plotly_context(), plotly_config=json.dumps(PLOTLY_CONFIG), num=_num)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)
