"""What every job shares: its result record and the progress callback shells may pass in."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

ProgressCallback = Callable[[str, float | None], None]
"""Called with a step's description and the fraction of the job done (0..1), or None when unknown."""


@dataclass(frozen=True)
class JobResult:
    """What a job wrote: its kind (the command), the output directory, the file names in it, a JSON-able summary."""

    kind: str
    out: Path
    files: tuple[str, ...]
    summary: dict[str, Any] = field(default_factory=dict)


def report_progress(progress: ProgressCallback | None, step: str, fraction: float | None = None) -> None:
    """Tell ``progress`` (if any) that ``step`` starts, ``fraction`` of the job being done."""
    if progress is not None:
        progress(step, None if fraction is None else min(max(float(fraction), 0.0), 1.0))


def stated_warning(warning: warnings.WarningMessage) -> str:
    """A Python warning as the project states it: its message, then which kind and from where (no traceback form)."""
    module = Path(warning.filename).stem if warning.filename else ""
    return f"{warning.message} ({warning.category.__name__}{f' in {module}' if module else ''})"


@contextmanager
def stated_warnings(into: list[str]) -> Iterator[None]:
    """Collect the Python warnings raised inside (those the warning filters let through: ``-W error`` still
    raises) as stated warnings, each once, appended to ``into`` instead of printed raw on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        yield
    for warning in caught:
        text = str(warning.message) if warning.category.__module__.startswith("secretome") else stated_warning(warning)
        if text not in into:
            into.append(text)


Job = TypeVar("Job", bound=Callable[..., JobResult])


def states_warnings(job: Job) -> Job:
    """A job whose Python warnings (a library's, or the engine's own) end in its summary's ``warnings``, once
    each, beside the reader's: the shells print that list, so nothing reaches stderr as a raw warning."""

    @functools.wraps(job)
    def run(*args: Any, **kwargs: Any) -> JobResult:
        caught: list[str] = []
        with stated_warnings(caught):
            result = job(*args, **kwargs)
        listed = result.summary.setdefault("warnings", [])
        listed.extend(text for text in caught if text not in listed)
        return result

    return run  # type: ignore[return-value]
