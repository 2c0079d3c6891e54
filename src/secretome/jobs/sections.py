"""Report sections of the statistics analyses (preprocessing, differential, enrichment, lot comparability)."""

from __future__ import annotations

from typing import Any

from secretome.jobs.analyses import Differential, Lots

Section = dict[str, Any]
"""A report section as :func:`secretome.report.render_report` takes it (``id``, ``title``, ``html``, ...)."""


def differential_sections(result: Differential) -> list[Section]:
    """Preprocessing, differential abundance and enrichment sections of one contrast."""
    from secretome.report.stats_sections import compare_section, enrichment_section, preprocessing_report_section

    entry = result.entry
    design, contrast, alpha = entry["design"], entry["contrast"], entry["alpha"]
    return [
        {"id": "preprocessing", "title": "Preprocessing", "show_title": False,
         "html": preprocessing_report_section(result.work, {"design": design, "contrast": contrast, **entry["settings"]})},
        {"id": "differential", "title": f"Differential: {contrast}", "show_title": False,
         "html": compare_section(result.work, result.table, design, contrast, alpha=alpha, include_preprocessing=False)},
        {"id": "enrichment", "title": "Enrichment", "show_title": False,
         "html": enrichment_section(result.enrichment, contrast)},
    ]


def lot_sections(lots: Lots) -> list[Section]:
    """The lot-comparability section."""
    from secretome.report.stats_sections import comparability_section

    return [{"id": "comparability", "title": "Lot comparability", "show_title": False,
             "html": comparability_section(lots.result, note=lots.entry["note"])}]
