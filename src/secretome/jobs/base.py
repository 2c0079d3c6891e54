"""What every job shares: its result record and the progress callback shells may pass in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
