"""The job layer: one function per command (read -> stages -> one output directory written atomically).

The CLI, the web app and the Python API call these functions and nothing below them, so every shell
gets the same files, names and numbers. Each job takes library parameters (never CLI flag names),
an output path and an optional progress callback, and returns a :class:`JobResult`. Output file
names come from :mod:`secretome.jobs.naming`, one scheme for every job.

Importing this package is cheap: its names load on first use (PEP 562), so that ``secretome info``
(which needs only :mod:`secretome.jobs.common`) loads no job module, and each job imports the engine
only when it runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "JobResult": "secretome.jobs.base",
    "ProgressCallback": "secretome.jobs.base",
    "report_progress": "secretome.jobs.base",
    "annotate_job": "secretome.jobs.annotate",
    "comparability_job": "secretome.jobs.comparability",
    "compare_job": "secretome.jobs.compare",
    "profile_job": "secretome.jobs.profile",
    "read_job": "secretome.jobs.read",
}
"""Public name -> the module defining it, imported on first access."""

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
