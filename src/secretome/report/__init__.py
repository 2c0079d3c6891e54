"""The HTML report: one self-contained page per command run, drawn from a summary alone.

:func:`render_report` takes the summary of :func:`secretome.summary.build_summary` (a profile, the
content of ``profile.json``) or of :func:`secretome.summary.page_summary` (a ``compare`` or
``comparability`` run) and computes nothing scientific itself: one template (``report.html.j2``) with a
partial per section (``templates/sections/``), one stylesheet (``report.css.j2``, with print rules),
figures from :mod:`secretome.report.plots`. plotly.js is carried once, compressed
(:mod:`secretome.plotlyjs`, no CDN, no shared file) and every figure gets :data:`PLOTLY_CONFIG`, which leaves no control that could send
data off the machine. ``extra_sections`` (dicts with ``id``, ``title``, the ``partial`` of
:data:`SECTION_PARTIALS` that draws them, its ``data``, optional ``figures`` and ``show_title``) let other
stages add sections after the built-in ones; sections stored in the summary (``sections``, e.g. the
immunoassay panel of ``profile --assay``) are drawn the same way. No HTML is made outside the templates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from secretome.outputs import atomic_file
from secretome.plotlyjs import plotly_context
from secretome.report.plots import FLAG_COLOURS, all_figures
from secretome.report.templatecache import template_cache
from secretome.textsafety import configure_jinja, plotly_inert, script_json

PLOTLY_CONFIG: dict[str, Any] = {
    "responsive": True,
    "displaylogo": False,
    "showLink": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"],
    "toImageButtonOptions": {"format": "svg"},
}
"""Every figure's plotly configuration: no logo link, no 'Share chart...' (plotly.js shows it by default; it
uploads the figure's data to Plotly Cloud) or 'Edit in Chart Studio', no server URL; the image button saves
an SVG locally. Set as the page's default (``Plotly.setPlotConfig``) before any figure is drawn."""

VERDICT_COLUMNS = ("verdict", "similarity_verdict", "purity_status", "qc_status", "flag")
"""Table columns whose values are verdicts (coloured by their value)."""

SECTIONS = {
    "profile": [("overview", "Lots at a glance"), ("verdicts", "Verdicts"), ("purity", "Purity"), ("qc", "QC"),
                ("functional", "Function"), ("preparation", "Preparation"), ("key_factors", "Key factors"), ("groups", "Groups"),
                ("preprocessing", "Preprocessing"), ("differential", "Differential"), ("enrichment", "Enrichment"),
                ("comparability", "Lot comparability"), ("methods", "Methods")],
    "compare": [("preprocessing", "Preprocessing"), ("differential", "Differential"), ("enrichment", "Enrichment"),
                ("steps", "Steps")],
    "comparability": [("comparability", "Lot comparability"), ("steps", "Steps")],
}
"""The partials of each kind of page, in order, with their navigation titles."""

SECTION_PARTIALS = ("immunoassay",)
"""The partials that draw sections other stages add (``extra_sections``, the summary's ``sections``), fed with
the section's ``data``."""

ANCHORS = {"key_factors": "key-factors-section"}
"""Section ids that differ from the partial's name."""

HEADINGS = {"profile": "Secretome profile", "compare": "Differential abundance", "comparability": "Lot comparability"}


def _shown(summary: dict[str, Any], partial: str) -> bool:
    if partial in ("preprocessing", "differential"):
        return bool(summary.get("differential"))
    if partial == "enrichment":
        return bool(summary.get("differential")) and summary["differential"].get("enrichment") is not None
    if partial == "comparability":
        return bool(summary.get("comparability"))
    if partial == "groups":
        return bool(summary.get("groups"))
    if partial == "overview":
        return bool(summary.get("overview"))
    if partial == "preparation":
        preparation = summary.get("preparation") or {}
        return bool(preparation.get("type") or preparation.get("warnings"))
    return True


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"[{len(value)} values]" if len(value) > 6 else "[" + ", ".join(_short(item) for item in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _genes_shown(row: dict[str, Any], limit: int = 12) -> dict[str, Any]:
    """A result row with at most ``limit`` genes of its ``;``-joined list, then how many more (the TSV has all)."""
    names = [name for name in str(row.get("genes") or "").split(";") if name]
    text = "; ".join(names[:limit]) + (f" (+{len(names) - limit} more)" if len(names) > limit else "")
    return {**row, "genes": text}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("secretome.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=template_cache(Path(__file__).resolve().parent / "templates", "report"),
    )
    configure_jinja(environment)
    environment.filters["short"] = _short
    environment.filters["genes_shown"] = _genes_shown
    environment.globals.update(pct=_pct, num=_num, verdict_columns=VERDICT_COLUMNS)
    return environment


def _figure_json(figure: dict[str, Any] | str) -> str:
    """Figure JSON (its dict, or its JSON text as ``uns['report_sections']`` stores it) safe to place inside a
    ``<script>`` element, with its data strings shown literally by plotly.js (:func:`plotly_inert`)."""
    if isinstance(figure, str):
        figure = json.loads(figure)
    return script_json(json.dumps(plotly_inert(figure)))


def render_report(summary: dict[str, Any], extra_sections: Sequence[dict[str, Any]] = ()) -> str:
    """The page of a summary (its ``kind``: ``profile`` by default, ``compare`` or ``comparability``) as HTML."""
    kind = str(summary.get("kind", "profile"))
    shown = [(partial, title) for partial, title in SECTIONS[kind] if _shown(summary, partial)]
    figures = {key: _figure_json(fig) for key, fig in all_figures(summary, kind).items()}
    sections = []
    for section in [*summary.get("sections", []), *extra_sections]:
        if section.get("partial") not in SECTION_PARTIALS:
            raise ValueError(f"report section {section.get('id')!r}: partial {section.get('partial')!r} is not one of "
                             f"{', '.join(SECTION_PARTIALS)} (templates/sections/)")
        sections.append({"id": section["id"], "title": section["title"], "partial": section["partial"],
                         "data": section.get("data", {}),
                         "figures": [_figure_json(fig) for fig in section.get("figures", [])],
                         "show_title": section.get("show_title", True)})
    navigation = [(ANCHORS.get(partial, partial), title) for partial, title in shown]
    navigation[-1:-1] = [(section["id"], section["title"]) for section in sections] if kind == "profile" else []
    environment = _environment()
    return environment.get_template("report.html.j2").render(
        s=summary,
        kind=kind,
        heading=HEADINGS[kind],
        partials=[partial for partial, _ in shown],
        navigation=navigation,
        figures=figures,
        extra_sections=sections,
        stylesheet=environment.get_template("report.css.j2").render(flag_colours=FLAG_COLOURS),
        plotly=plotly_context(),
        plotly_config=json.dumps(PLOTLY_CONFIG),
        flag_colours=FLAG_COLOURS,
    )


def render_section(partial: str, summary: dict[str, Any]) -> str:
    """One section of a page (a partial of ``templates/sections/``, e.g. ``"enrichment"``) drawn from ``summary``."""
    return _environment().get_template(f"sections/{partial}.html.j2").render(s=summary)


def write_report(summary: dict[str, Any], path: str | Path, extra_sections: Sequence[dict[str, Any]] = ()) -> Path:
    """Render the report and write it atomically to ``path`` (temporary file, then rename)."""
    path = Path(path)
    html = render_report(summary, extra_sections)
    with atomic_file(path) as temporary:
        temporary.write_text(html, encoding="utf-8")
    return path


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"
