"""The job layer: one function per command (read -> stages -> one output directory written atomically).

The CLI, the web app and the Python API call these functions and nothing below them, so every shell
gets the same files, names and numbers. Each job takes library parameters (never CLI flag names),
an output path and an optional progress callback, and returns a :class:`JobResult`. Output file
names come from :mod:`secretome.jobs.naming`, one scheme for every job.

Importing this package is cheap: each job imports the engine only when it runs.
"""

from secretome.jobs.annotate import annotate_job
from secretome.jobs.base import JobResult, ProgressCallback, report_progress
from secretome.jobs.comparability import comparability_job
from secretome.jobs.compare import compare_job
from secretome.jobs.profile import profile_job
from secretome.jobs.read import read_job

__all__ = [
    "JobResult", "ProgressCallback", "report_progress",
    "annotate_job", "comparability_job", "compare_job", "profile_job", "read_job",
]
