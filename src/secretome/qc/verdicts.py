"""Verdicts: a metric value flagged pass/warn/fail with the rule and the threshold key it used."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from secretome.qc.thresholds import Thresholds

_LEVELS = ("pass", "warn", "fail")


def judge(value: float, metric: str, thresholds: Thresholds, reference: float | None = None) -> tuple[str, str]:
    """Flag a metric value and state the rule: returns (``pass``/``warn``/``fail``, verdict text).

    For ``below_median_fraction`` metrics, ``reference`` is the median the fraction applies to.
    """
    direction = thresholds.direction(metric)
    if value is None or not np.isfinite(value):
        return "fail", f"fail: {metric} could not be computed (no quantified proteins)"
    shown = _fmt(value)
    for level in ("fail", "warn"):
        limit = thresholds.limit(metric, level)
        if direction == "below_median_fraction":
            bound = limit * float(reference if reference is not None else np.nan)
            if value < bound:
                return level, (
                    f"{level}: {metric} {shown} < {_fmt(bound)} = {_fmt(limit)} x median {_fmt(reference)} "
                    f"({thresholds.cite(metric, level)})"
                )
        elif direction == "above" and value > limit:
            return level, f"{level}: {metric} {shown} > {_fmt(limit)} ({thresholds.cite(metric, level)})"
        elif direction == "below" and value < limit:
            return level, f"{level}: {metric} {shown} < {_fmt(limit)} ({thresholds.cite(metric, level)})"
    limit = thresholds.limit(metric, "warn")
    if direction == "below_median_fraction":
        bound = limit * float(reference if reference is not None else np.nan)
        return "pass", f"pass: {metric} {shown} >= {_fmt(bound)} ({thresholds.cite(metric, 'warn')})"
    sign = "<=" if direction == "above" else ">="
    return "pass", f"pass: {metric} {shown} {sign} {_fmt(limit)} ({thresholds.cite(metric, 'warn')})"


def worst(flags: Iterable[str]) -> str:
    """The worst of pass/warn/fail flags (``pass`` for none)."""
    return _LEVELS[max((_LEVELS.index(flag) for flag in flags), default=0)]


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "nan"
    if abs(value) >= 100 or (float(value).is_integer() and abs(value) >= 1):
        return f"{value:.0f}"
    return f"{value:.3g}"
