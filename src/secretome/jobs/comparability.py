"""The ``comparability`` job: read -> log2 + normalization -> lot comparability -> one directory.

Writes ``comparability_factors.tsv``, ``comparability_cv.tsv``, ``comparability_lots.tsv`` (the names
``profile`` uses with reference lots) and one ``report.html`` page, atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from secretome.jobs import naming
from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings
from secretome.jobs.common import read_input, record_input_checksum, write_directory
from secretome.outputs import check_directory


@states_warnings
def comparability_job(
    input: str | Path,
    out: str | Path,
    *,
    reference: Sequence[str],
    samples: str | Path | None = None,
    lot_column: str = "lot",
    margin: float | None = None,
    factors: Sequence[str] | None = None,
    normalize: str = "median",
    format: str | None = None,
    quantity: str | None = None,
    is_log2: bool | None = None,
    decimal: str | None = None,
    sheet: str | int | None = None,
    sample_column: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> JobResult:
    """Compare every lot of ``lot_column`` with the pooled ``reference`` lots
    (:func:`secretome.stats.comparability.comparability`: TOST per factor within ``margin`` log2 units,
    CV across lots, similarity control chart, verdicts) and write the tables and the page into ``out``.
    ``format``, ``quantity``, ``is_log2``, ``decimal``, ``sheet`` and ``sample_column`` are
    :func:`secretome.io.read`'s."""
    from secretome.jobs.analyses import LotOptions, lot_analysis, lot_files
    from secretome.report import render_report
    from secretome.summary import page_summary

    options = LotOptions(reference=tuple(reference), lot_column=lot_column, margin=margin,
                         factors=tuple(factors) if factors else None, normalize=normalize)
    options.check()
    inputs = {"input": input, "samples": samples}
    check_directory(out, kind="comparability", inputs=inputs, force=force)
    report_progress(progress, f"reading {Path(input).name}", 0.0)
    adata, warnings = read_input(input, samples, format=format, quantity=quantity, is_log2=is_log2, decimal=decimal,
                                 sheet=sheet, sample_column=sample_column)
    options.validate(adata)
    report_progress(progress, "lot comparability", 0.3)
    lots = lot_analysis(adata, options)
    report_progress(progress, "writing tables and report", 0.9)
    record_input_checksum(adata, input)
    page = render_report(page_summary(adata, "comparability", lots.entry))
    written = write_directory(Path(out), {**lot_files(lots), naming.REPORT: page}, kind="comparability", inputs=inputs, force=force)
    report_progress(progress, "done", 1.0)
    return JobResult(kind="comparability", out=Path(out), files=written,
                     summary={"lot_verdicts": dict(lots.result.summary["lot_verdicts"]), "warnings": warnings})
