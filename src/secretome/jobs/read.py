"""The ``read`` job: a proteomics result table (and its sample sheet) -> one ``.h5ad`` file, written atomically."""

from __future__ import annotations

from pathlib import Path

from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings
from secretome.jobs.common import read_input


@states_warnings
def read_job(
    input: str | Path,
    out: str | Path,
    *,
    samples: str | Path | None = None,
    format: str | None = None,
    quantity: str | None = None,
    sheet: str | int | None = None,
    is_log2: bool | None = None,
    sample_column: str | None = None,
    decimal: str | None = None,
    progress: ProgressCallback | None = None,
) -> JobResult:
    """Read ``input`` with :func:`secretome.io.read` (parameters as there) and write the dataset to ``out``
    (a path ending in ``.h5ad``). The summary holds :func:`secretome.io.summarize`'s counts and the
    reader's warnings."""
    from secretome import io

    report_progress(progress, f"reading {Path(input).name}", 0.0)
    adata, warnings = read_input(input, samples, format=format, quantity=quantity, sheet=sheet, is_log2=is_log2,
                                 sample_column=sample_column, decimal=decimal)
    report_progress(progress, "writing the dataset", 0.8)
    path = io.write_h5ad_atomic(adata, out)
    report_progress(progress, "done", 1.0)
    return JobResult(kind="read", out=path, files=(path.name,), summary={**io.summarize(adata), "warnings": warnings})
