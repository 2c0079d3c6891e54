"""HTML fragments and plotly figures for the compare and comparability results.

Fragments (``compare_section``, ``comparability_section``) hold figure ``<div>``s without the plotly
library; a page embeds plotly.js inline exactly once (``standalone_page``), so reports work offline
(no CDN). ``volcano_page`` is plotly's own self-contained page (``include_plotlyjs=True``).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from anndata import AnnData
from plotly.offline import get_plotlyjs

if TYPE_CHECKING:
    from secretome.stats.comparability import ComparabilityResult

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table.stats { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
table.stats th, table.stats td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
table.stats th { background: #f2f2f2; }
.verdict-comparable, .verdict-equivalent, .verdict-within_limits { color: #1a7f37; font-weight: 600; }
.verdict-not_comparable, .verdict-not_equivalent, .verdict-out_of_limits { color: #b42318; font-weight: 600; }
.verdict-insufficient_data { color: #8a6d00; }
"""


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    return frame.to_html(index=False, escape=True, classes="stats", border=0, na_rep="", float_format=lambda v: f"{v:.{digits}g}")


def _figure_div(figure: go.Figure) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def standalone_page(title: str, body: str) -> str:
    """A complete offline HTML page: the body fragments plus plotly.js embedded inline once."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)}</title><style>{_CSS}</style>"
        f"<script type=\"text/javascript\">{get_plotlyjs()}</script></head>\n<body>\n{body}\n</body></html>\n"
    )


def volcano_figure(table: pd.DataFrame, contrast: str, alpha: float = 0.05, min_abs_log2fc: float = 1.0) -> go.Figure:
    """Volcano plot: log2 fold change against -log10 p; highlighted where adj. p < alpha and
    |log2fc| >= min_abs_log2fc (both shown as guide lines)."""
    data = table[np.isfinite(table["log2fc"]) & np.isfinite(table["p_value"])]
    significant = (data["adj_p_value"] < alpha) & (data["log2fc"].abs() >= min_abs_log2fc)
    figure = go.Figure()
    for name, mask, color in (("not significant", ~significant, "#9e9e9e"), (f"adj. p < {alpha:g}, |log2FC| >= {min_abs_log2fc:g}", significant, "#c0392b")):
        part = data[mask]
        label = np.where(part["gene"].astype(str) != "", part["gene"].astype(str), part["protein"].astype(str))
        figure.add_trace(
            go.Scattergl(
                x=part["log2fc"], y=-np.log10(part["p_value"].clip(lower=1e-300)), mode="markers", name=name,
                marker={"color": color, "size": 6, "opacity": 0.75}, text=label,
                customdata=np.stack([part["protein"].astype(str), part["adj_p_value"]], axis=-1) if len(part) else None,
                hovertemplate="%{text}<br>%{customdata[0]}<br>log2FC %{x:.3f}<br>adj. p %{customdata[1]:.3g}<extra></extra>",
            )
        )
    for x in (-min_abs_log2fc, min_abs_log2fc):
        figure.add_vline(x=x, line_dash="dot", line_color="#666")
    figure.update_layout(
        title=f"Volcano: {contrast}", xaxis_title="log2 fold change", yaxis_title="-log10 p-value", template="plotly_white",
        height=520, legend={"orientation": "h", "y": -0.15},
    )
    return figure


def volcano_page(table: pd.DataFrame, contrast: str, alpha: float = 0.05) -> str:
    """Self-contained volcano HTML (plotly's own page, plotly.js inline)."""
    return volcano_figure(table, contrast, alpha).to_html(full_html=True, include_plotlyjs=True, config={"displaylogo": False})


def preprocessing_section(adata: AnnData) -> str:
    """The preprocessing steps as recorded in ``uns['preprocessing']`` (one row per step)."""
    steps = list(adata.uns.get("preprocessing", []))
    if not steps:
        return "<p>No preprocessing recorded.</p>"
    rows = [{"step": s.get("step", ""), "settings": ", ".join(f"{k}={_short(v)}" for k, v in s.items() if k != "step")} for s in steps]
    return "<h3>Preprocessing</h3>\n" + _table(pd.DataFrame(rows))


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return f"[{len(value)} values]" if len(value) > 6 else "[" + ", ".join(_short(item) for item in value) + "]"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def compare_section(
    adata: AnnData, table: pd.DataFrame, design: str, contrast: str, alpha: float = 0.05, top_n: int = 25,
    include_preprocessing: bool = True,
) -> str:
    """HTML ``<section>`` for one contrast: summary, preprocessing (unless shown in its own section),
    volcano, top proteins."""
    tested = int(np.isfinite(table["p_value"]).sum())
    up = int(((table["adj_p_value"] < alpha) & (table["log2fc"] > 0)).sum())
    down = int(((table["adj_p_value"] < alpha) & (table["log2fc"] < 0)).sum())
    top = table.head(top_n)
    return (
        f"<section class=\"stats-compare\">\n<h2>Differential abundance: {escape(contrast)}</h2>\n"
        f"<p>Design <code>{escape(design)}</code>, limma moderated t-test (empirical Bayes), Benjamini-Hochberg "
        f"adjusted. {tested} proteins tested; {up} higher and {down} lower at adj. p &lt; {alpha:g}. "
        "Fold changes are in log2 units.</p>\n"
        f"{preprocessing_section(adata) if include_preprocessing else ''}\n{_figure_div(volcano_figure(table, contrast, alpha))}\n"
        f"<h3>Top {len(top)} proteins</h3>\n{_table(top)}\n</section>"
    )


def compare_page(
    adata: AnnData, table: pd.DataFrame, design: str, contrast: str, enrichment: pd.DataFrame | None = None
) -> str:
    """Standalone page holding :func:`compare_section` and, when given the tidy enrichment table,
    :func:`enrichment_section`."""
    body = compare_section(adata, table, design, contrast)
    if enrichment is not None:
        body += "\n" + enrichment_section(enrichment, contrast)
    return standalone_page(f"secretome compare {contrast}", body)


def preprocessing_report_section(adata: AnnData, parameters: dict[str, Any]) -> str:
    """HTML ``<section>``: the options a statistics run was given and the steps it recorded
    (``uns['preprocessing']``), for reports that show preprocessing apart from the results."""
    options = ", ".join(f"{escape(str(key))} = <code>{escape(_short(value))}</code>" for key, value in parameters.items())
    return (
        "<section class=\"stats-preprocessing\">\n<h2>Preprocessing</h2>\n"
        f"<p>Options: {options}. Values are log2 after the log2 step and stay in log2 units through "
        "normalization and imputation; <code>none</code>/<code>0</code> switch a step off.</p>\n"
        f"{preprocessing_section(adata)}\n</section>"
    )


def control_chart_figure(lots: pd.DataFrame, method: str) -> go.Figure:
    """Control chart of lot similarity scores with the reference center line and control limits."""
    figure = go.Figure()
    for role, color in (("reference", "#1f77b4"), ("test", "#d62728")):
        part = lots[lots["role"] == role]
        figure.add_trace(
            go.Scatter(
                x=part["lot"].astype(str), y=part["similarity"], mode="markers", name=f"{role} lots",
                marker={"size": 11, "color": color}, text=part["similarity_verdict"],
                hovertemplate="lot %{x}<br>similarity %{y:.4f}<br>%{text}<extra></extra>",
            )
        )
    first = lots.iloc[0]
    for key, dash, label in (("center", "solid", "center"), ("lower_limit", "dash", "lower limit"), ("upper_limit", "dot", "upper limit")):
        value = first[key]
        if np.isfinite(value):
            figure.add_hline(y=float(value), line_dash=dash, line_color="#555", annotation_text=label)
    figure.update_layout(
        title=f"Lot similarity to the reference lots ({method})", xaxis_title="lot", yaxis_title="similarity",
        template="plotly_white", height=420, xaxis={"type": "category"},
    )
    return figure


def _verdict_cells(frame: pd.DataFrame) -> str:
    html = _table(frame)
    for verdict in ("not_comparable", "not_equivalent", "out_of_limits", "insufficient_data", "comparable", "equivalent", "within_limits"):
        html = html.replace(f"<td>{verdict}</td>", f"<td class=\"verdict-{verdict}\">{verdict}</td>")
    return html


def comparability_section(result: ComparabilityResult, note: str = "") -> str:
    """HTML ``<section>``: lot verdicts, control chart, factor equivalence (TOST) and CV tables;
    ``note`` (plain text, e.g. how the values were preprocessed) follows the method paragraph."""
    summary = result.summary
    factors = result.factors
    shown = factors[["lot", "factor", "protein", "n_test", "n_reference", "diff", "ci_low", "ci_high", "p_value", "verdict"]] if not factors.empty else factors
    return (
        "<section class=\"stats-comparability\">\n<h2>Lot comparability</h2>\n"
        f"<p>Reference lots: {escape(', '.join(summary['reference_lots']))}. Equivalence margin "
        f"&plusmn;{summary['margin_log2']:g} log2 units, TOST at alpha {summary['alpha']:g} (Welch; a lot measured once: pooled with the reference variance). Similarity: "
        f"{escape(summary['similarity_method'])} correlation of lot mean profiles; control limits: "
        f"{escape(summary['control_limit_method'])}. Rule: {escape(summary['rule'])}.</p>\n"
        + (f"<p>{escape(note)}</p>\n" if note else "")
        + f"<h3>Lots</h3>\n{_verdict_cells(result.lots)}\n"
        f"{_figure_div(control_chart_figure(result.lots, summary['similarity_method']))}\n"
        f"<h3>Factor equivalence (TOST)</h3>\n{_verdict_cells(shown)}\n"
        f"<h3>Coefficient of variation across lots (linear scale)</h3>\n{_table(result.cv)}\n</section>"
    )


def comparability_page(result: ComparabilityResult, adata: AnnData | None = None) -> str:
    """Standalone page: preprocessing (when given the dataset) and :func:`comparability_section`."""
    body = (preprocessing_section(adata) + "\n" if adata is not None else "") + comparability_section(result)
    return standalone_page("secretome lot comparability", body)


def _gene_list(genes: str, limit: int = 12) -> str:
    """A ``;``-joined gene list for a table cell: at most ``limit`` names, then how many more (the TSV has all)."""
    names = [name for name in genes.split(";") if name]
    return "; ".join(names[:limit]) + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def _split_enrichment(tidy: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tidy table of :func:`secretome.stats.enrichment.enrichment_table` back into up/down/rank parts."""
    from secretome.stats.enrichment import ORA_COLUMNS, RANK_COLUMNS

    ora = tidy[tidy["test"] == "hypergeometric"]
    return {
        "up": ora[ora["direction"] == "up"][ORA_COLUMNS],
        "down": ora[ora["direction"] == "down"][ORA_COLUMNS],
        "rank": tidy[tidy["test"] == "wilcoxon_rank_sum"][RANK_COLUMNS],
    }


def enrichment_section(results: dict[str, pd.DataFrame] | pd.DataFrame, contrast: str, top_n: int = 15) -> str:
    """HTML ``<section>`` of enrichment results: the dict of
    :func:`secretome.stats.enrichment.contrast_enrichment` or the tidy table of
    :func:`secretome.stats.enrichment.enrich_contrast` (whose ``attrs['note']`` is shown)."""
    note = ""
    if isinstance(results, pd.DataFrame):
        note = str(results.attrs.get("note", ""))
        results = {} if results.attrs.get("skipped") else _split_enrichment(results)
    titles = {
        "up": "Over-represented among higher proteins (hypergeometric, background = detected proteins)",
        "down": "Over-represented among lower proteins (hypergeometric, background = detected proteins)",
        "rank": "Shifted in the ranking by moderated t (Wilcoxon rank-sum; AUC > 0.5 = higher)",
    }
    parts = [f"<section class=\"stats-enrichment\">\n<h2>Enrichment: {escape(contrast)}</h2>"]
    if note:
        parts.append(f"<p>{escape(note)} Sets: the knowledge base's functional classes and gene sets; "
                     "Benjamini-Hochberg adjusted within each test.</p>")
    for key, title in titles.items():
        frame = results.get(key)
        if frame is None:
            continue
        parts.append(f"<h3>{escape(title)}</h3>")
        if frame.empty:
            parts.append("<p>No gene set within the size limits.</p>")
            continue
        shown = frame.head(top_n).copy()
        shown["genes"] = shown["genes"].fillna("").map(_gene_list)
        parts.append(_table(shown))
    parts.append("</section>")
    return "\n".join(parts)
