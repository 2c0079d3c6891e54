"""The job layer: one function per command (read -> stages -> one output directory written atomically).

The CLI, the web app and the Python API call these functions and nothing below them, so every shell
gets the same files, names and numbers. Each job takes library parameters (never CLI flag names),
an output directory and an optional progress callback, and returns a :class:`JobResult`.
"""

from secretome.jobs.base import JobResult, ProgressCallback, report_progress

__all__ = ["JobResult", "ProgressCallback", "report_progress"]
