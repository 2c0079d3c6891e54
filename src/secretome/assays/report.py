"""The assay HTML report: one self-contained file (plotly.js embedded from the package, no CDN, no cloud
buttons) rendered from a quantified assay; it presents numbers, it computes none."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd

from secretome import __version__
from secretome.plotlyjs import plotly_context
from secretome.assays.plots import PLOTLY_CONFIG, balance_figure, curve_figure, levey_jennings_figure
from secretome.assays.quantify import AssayResult
from secretome.textsafety import configure_jinja, plotly_inert, script_json


def _anchor(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")


def _json(figure: dict[str, Any]) -> str:
    return script_json(json.dumps(plotly_inert(figure), default=float))


def _num(value: Any, digits: int = 3) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "n/a"
    return "n/a" if not np.isfinite(number) else f"{number:.{digits}g}"


def _pct(value: Any) -> str:
    try:
        return f"{100 * float(value):.0f}%"
    except (TypeError, ValueError):
        return "n/a"


def render_assay_report(
    result: AssayResult | None,
    adata: Any,
    qc: dict[str, Any] | None,
    balance: pd.DataFrame,
    potency: pd.DataFrame | None,
    *,
    input_label: str,
) -> str:
    """The report as one HTML string."""
    import jinja2

    environment = configure_jinja(jinja2.Environment(
        loader=jinja2.PackageLoader("secretome.report", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    ))
    info = adata.uns["assay"]
    curves, figures = [], []
    if result is not None and not result.curves.empty:
        share = adata.var["share_out_of_range"].to_dict()
        genes = adata.var["gene"].to_dict()
        for _, c in result.curves.iterrows():
            anchor = _anchor(str(c["analyte"]), "plate", str(c["plate"]))
            curves.append({**{k: c[k] for k in ("analyte", "plate", "status", "shape", "n_standards", "r_squared", "lloq", "uloq", "unit", "notes")},
                           "gene": genes.get(c["analyte"], ""), "out_of_range": share.get(c["analyte"]), "anchor": anchor})
            figures.append({"anchor": anchor, "json": _json(curve_figure(result, c["plate"], c["analyte"]))})
    if qc is not None and not qc["levey_jennings"].empty:
        for analyte in dict.fromkeys(qc["levey_jennings"]["analyte"]):
            if qc["levey_jennings"].loc[qc["levey_jennings"]["analyte"] == analyte, "run"].nunique() > 1:
                figures.append({"anchor": _anchor("lj", str(analyte)), "json": _json(levey_jennings_figure(qc["levey_jennings"], analyte))})
    balance_rows = []
    if not balance.empty:
        figures.append({"anchor": "balance-figure", "json": _json(balance_figure(balance))})
        for ratio, group in balance.groupby("ratio", sort=False):
            first = group.iloc[0]
            balance_rows.append({"ratio": ratio, "favourable": first["favourable"], "rule": first["rule"], "source": first["source"], "n": int(group["quantified"].sum())})
    potency_rows = []
    if potency is not None:
        for _, p in potency.iterrows():
            limits = " and ".join(filter(None, [f">= {p['low']:g}" if np.isfinite(p["low"]) else "", f"<= {p['high']:g}" if np.isfinite(p["high"]) else ""]))
            potency_rows.append({**p.to_dict(), "limits": limits})
    empty = pd.DataFrame()
    qc = qc or {"low_beads": empty, "replicate_cv": empty, "controls": empty, "out_of_range": empty, "rules": {
        "bead_count": "no bead counts", "replicate_cv": "no replicates", "levey_jennings": "no controls", "out_of_range": "no limits"}}
    controls = qc["controls"]
    context = {
        "input": input_label, "format": info["format"], "format_version": info["format_version"], "instrument": info["instrument"],
        "signal": info["signal"], "n_analytes": adata.n_vars, "n_samples": adata.n_obs,
        "n_plates": int(result.curves["plate"].nunique()) if result is not None and not result.curves.empty else 1,
        "version": __version__, "params": info["params"] | {"rules": result.params["rules"] if result is not None else {}},
        "curves": curves, "figures": figures, "balance": balance_rows, "potency": potency_rows, "qc_rules": qc["rules"],
        "n_low_beads": len(qc["low_beads"]), "n_replicate_groups": len(qc["replicate_cv"]),
        "n_high_cv": int((qc["replicate_cv"]["flag"] != "").sum()) if len(qc["replicate_cv"]) else 0,
        "n_controls": int(controls["in_range"].notna().sum()) if len(controls) else 0,
        "n_controls_in": int((controls["in_range"] == 1).sum()) if len(controls) else 0,  # 1 = inside, 0 = outside, NaN = not judged
        "mostly_out": qc["out_of_range"].loc[qc["out_of_range"]["mostly_out_of_range"], "analyte"].tolist() if len(qc["out_of_range"]) else [],
    }
    if "rules" not in context["params"] or not context["params"]["rules"]:
        context["params"]["rules"] = {"recovery": "n/a", "cv": "n/a"}
    template = environment.get_template("assay_report.html.j2")
    return template.render(r=context, plotly=plotly_context(), plotly_config=json.dumps(PLOTLY_CONFIG), num=_num, pct=_pct)
