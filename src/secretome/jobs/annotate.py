"""The ``annotate`` job: identifiers or a proteomics table -> one TSV of secretion class, functional classes, evidence."""

from __future__ import annotations

from pathlib import Path

from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings


@states_warnings
def annotate_job(source: str | Path, out: str | Path, *, progress: ProgressCallback | None = None) -> JobResult:
    """Classify the identifiers of ``source`` (a file of one identifier per line, or a proteomics table;
    see :func:`secretome.annotate.annotate_source`) and write the TSV to ``out`` atomically."""
    from secretome.annotate import annotate_source, write_annotation

    report_progress(progress, "resolving identifiers", 0.0)
    frame = annotate_source(source)
    report_progress(progress, "writing the table", 0.9)
    out = Path(out)
    write_annotation(frame, out)
    report_progress(progress, "done", 1.0)
    counts = frame["secretion_class"].value_counts()
    return JobResult(kind="annotate", out=out, files=(out.name,), summary={
        "n_identifiers": int(len(frame)), "secretion_classes": {str(k): int(v) for k, v in counts.items()},
    })
