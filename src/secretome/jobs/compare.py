"""The ``compare`` job: read -> preprocessing + limma moderated test of one contrast + enrichment -> one directory.

Writes ``differential_<contrast>.tsv``, ``enrichment_<contrast>.tsv`` (the names ``profile`` uses with
a design) and one ``report.html`` page, atomically.
"""

from __future__ import annotations

from pathlib import Path

from secretome.jobs import naming
from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings
from secretome.jobs.common import read_input, record_input_checksum, write_directory
from secretome.outputs import check_directory


@states_warnings
def compare_job(
    input: str | Path,
    out: str | Path,
    *,
    design: str,
    contrast: str,
    samples: str | Path | None = None,
    normalize: str = "median",
    impute: str = "none",
    min_valid: int | float = 2,
    trend: bool = False,
    robust: bool = False,
    seed: int | None = 0,
    enrichment: bool | None = None,
    format: str | None = None,
    quantity: str | None = None,
    is_log2: bool | None = None,
    decimal: str | None = None,
    sheet: str | int | None = None,
    sample_column: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> JobResult:
    """Test one contrast (``design`` e.g. ``"~ condition + donor"``, ``contrast`` ``"A-B"`` over the design's
    first factor) with :func:`secretome.stats.compare.compare` and enrichment, and write the tables and
    the page into ``out``. ``enrichment``: True tests it, False skips it (no table, no section; the knowledge
    base's gene sets are not loaded), None (default) tests it only where it adds to the page (at least one
    protein changed and enough gene symbols: :func:`secretome.jobs.analyses.enrichment_decision`, rule in
    ``enrichment.toml [auto]``); ``format``, ``quantity``, ``is_log2``, ``decimal``, ``sheet`` and
    ``sample_column`` are :func:`secretome.io.read`'s.
    The proteins are annotated first, so the table's ``composition`` column flags serum, lysis and
    handling markers among the hits (as ``profile`` does). Parameters are checked before reading; the
    design and contrast right after."""
    from secretome.jobs.analyses import ContrastOptions, differential_analysis, differential_files
    from secretome.report import render_report
    from secretome.summary import page_summary

    options = ContrastOptions(design=design, contrast=contrast, normalize=normalize, impute=impute, min_valid=min_valid,
                              trend=trend, robust=robust, seed=seed, enrichment=enrichment)
    options.check()
    inputs = {"input": input, "samples": samples}
    check_directory(out, kind="compare", inputs=inputs, force=force)
    report_progress(progress, f"reading {Path(input).name}", 0.0)
    adata, warnings = read_input(input, samples, format=format, quantity=quantity, is_log2=is_log2, decimal=decimal,
                                 sheet=sheet, sample_column=sample_column)
    options.validate(adata)
    from secretome.annotate import annotate

    adata = annotate(adata)
    report_progress(progress, f"differential abundance {contrast}", 0.3)
    result = differential_analysis(adata, options)
    report_progress(progress, "writing tables and report", 0.9)
    files = differential_files(result)
    record_input_checksum(adata, input)
    page = render_report(page_summary(adata, "compare", result.entry))
    written = write_directory(Path(out), {**files, naming.REPORT: page}, kind="compare", inputs=inputs, force=force)
    report_progress(progress, "done", 1.0)
    entry = result.entry
    return JobResult(kind="compare", out=Path(out), files=written, summary={
        "n_tested": entry["n_tested"], "n_up": entry["n_up"], "n_down": entry["n_down"], "alpha": entry["alpha"],
        "n_enriched": entry["enrichment"]["n_adj_p_below_alpha"] if entry["enrichment"] is not None else None,
        "enrichment_note": str(adata.uns["differential"]["enrichment_note"]),
        "warnings": warnings,
    })
