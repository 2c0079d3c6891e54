"""The HTML report: one self-contained file (plotly.js inline once, no network) rendered from a summary.

The report presents the summary made by :func:`secretome.profile.profile` and computes nothing
scientific itself. Other stages add sections through ``extra_sections``: a list of dicts with ``id``,
``title`` (navigation, and the heading unless ``show_title`` is False because ``html`` has its own),
``html`` (trusted HTML made by the library, may hold plotly ``<div>``s that call the page's plotly.js)
and optional ``figures`` (plotly figures or their JSON dicts), shown after the built-in sections.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from secretome.outputs import atomic_file
from secretome.report.plots import FLAG_COLOURS, all_figures


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("secretome.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _figure_json(figure: go.Figure | dict[str, Any]) -> str:
    """Figure JSON safe to place inside a ``<script>`` element."""
    text = figure.to_json() if isinstance(figure, go.Figure) else json.dumps(figure)
    return text.replace("</", "<\\/")


def render_report(summary: dict[str, Any], extra_sections: Sequence[dict[str, Any]] = ()) -> str:
    """The report of a profile summary as one HTML string."""
    figures = {key: _figure_json(fig) for key, fig in all_figures(summary).items()}
    sections = []
    for section in extra_sections:
        figs = [_figure_json(fig) for fig in section.get("figures", [])]
        sections.append({"id": section["id"], "title": section["title"], "html": section["html"], "figures": figs,
                         "show_title": section.get("show_title", True)})
    template = _environment().get_template("report.html.j2")
    return template.render(
        s=summary,
        figures=figures,
        extra_sections=sections,
        flag_colours=FLAG_COLOURS,
        plotly_js=get_plotlyjs(),
        pct=_pct,
        num=_num,
    )


def render_page(title: str, sections: Sequence[dict[str, Any]]) -> str:
    """One offline HTML page (plotly.js inline once) holding the given sections, for the jobs other than profile."""
    from secretome.report.stats_sections import standalone_page

    return standalone_page(title, "\n".join(section["html"] for section in sections))


def write_report(
    summary: dict[str, Any], path: str | Path, extra_sections: Sequence[dict[str, Any]] = ()
) -> Path:
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
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"
