"""Scoring clinical measures from tidy raw items, by the rules in ``clinical/data/measures.toml``.

Raw items are validated first (number, integer where required, allowed range or values); every bad
item is reported with its patient, visit, eye and field in one :class:`SecretomeInputError`. Scores are
one row per patient, eye (empty for patient-level measures), visit and measure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from secretome.clinical.rules import measures as shipped_measures
from secretome.errors import SecretomeInputError

SCORE_COLUMNS = ("patient", "eye", "visit", "measure", "score", "band", "n_items")
UNANSWERED = frozenset({"", "na", "n/a", "not applicable", "nan", "-", "."})
"""Values that mean an item was not answered (left out of the OSDI denominator)."""
MAX_LISTED_PROBLEMS = 20


def snellen_to_logmar(text: str) -> float:
    """logMAR of a Snellen fraction (``20/40`` -> 0.301, ``6/12`` -> 0.301): log10(denominator / numerator)."""
    numerator, sep, denominator = str(text).strip().partition("/")
    try:
        top, bottom = float(numerator), float(denominator)
    except ValueError:
        raise ValueError(f"{text!r} is not a Snellen fraction") from None
    if not sep or top <= 0 or bottom <= 0:
        raise ValueError(f"{text!r} is not a Snellen fraction")
    return math.log10(bottom / top)


def _item_bounds(rule: Mapping[str, Any], position: int) -> tuple[float, float]:
    high = rule["item_max"]
    return float(rule["item_min"]), float(high[position] if isinstance(high, list) else high)


def validate_items(tidy: pd.DataFrame, rules: Mapping[str, Mapping[str, Any]] | None = None, *, source: str = "") -> pd.DataFrame:
    """The item rows of ``tidy`` that feed a measure, with a numeric ``number`` column; bad items raise.

    The error names every problem (up to 20): patient, visit, eye, field, the value and what was allowed.
    """
    rules = shipped_measures() if rules is None else rules
    item_rule: dict[str, tuple[str, int]] = {}
    for measure_id, rule in rules.items():
        for position, item in enumerate(rule["items"]):
            item_rule.setdefault(item, (measure_id, position))
    rows = tidy[tidy["variable"].isin(list(item_rule))].copy()
    problems: list[str] = []
    numbers = np.full(len(rows), np.nan)
    for k, row in enumerate(rows.itertuples(index=False)):
        measure_id, position = item_rule[row.variable]
        rule = rules[measure_id]
        text = str(row.value).strip()
        where = f"patient {row.patient}, visit {row.visit or '-'}, {'eye ' + row.eye + ', ' if row.eye else ''}field {row.variable}"
        if rule["level"] == "patient" and row.eye:
            problems.append(f"{where}: {rule['label']} is a patient-level measure but the value has an eye")
            continue
        if rule["level"] == "eye" and not row.eye:
            problems.append(f"{where}: {rule['label']} is recorded per eye but the value has no eye (OD/OS)")
            continue
        if text.lower() in UNANSWERED:
            continue
        method = rule["method"]
        if method == "positive_negative":
            lowered = text.lower()
            if lowered in rule["positive"]:
                numbers[k] = 1.0
            elif lowered in rule["negative"]:
                numbers[k] = 0.0
            else:
                problems.append(f"{where}: {text!r} is not a test result (allowed: {', '.join(rule['positive'] + rule['negative'])})")
            continue
        if method == "logmar" and row.variable == "snellen":
            try:
                numbers[k] = snellen_to_logmar(text)
            except ValueError:
                problems.append(f"{where}: {text!r} is not a Snellen fraction like 20/40 or 6/12 (off-chart CF/HM/LP: record logMAR by protocol)")
                continue
            text = str(float(numbers[k]))
        try:
            value = float(text)
        except ValueError:
            problems.append(f"{where}: {text!r} is not a number")
            continue
        low, high = _item_bounds(rule, position)
        if not math.isfinite(value) or value < low or value > high:
            problems.append(f"{where}: {text} is outside {low:g}-{high:g}")
            continue
        if rule.get("integer") and value != int(value):
            problems.append(f"{where}: {text} is not a whole number")
            continue
        numbers[k] = value
    if problems:
        listed = problems[:MAX_LISTED_PROBLEMS]
        more = f" (and {len(problems) - len(listed)} more)" if len(problems) > len(listed) else ""
        raise SecretomeInputError(
            f"{len(problems)} raw item(s) fail validation{more}: " + "; ".join(listed), file=source or None,
            expected="items within the ranges of secretome/clinical/data/measures.toml",
        )
    rows["number"] = numbers
    return rows


def _score_group(method: str, rule: Mapping[str, Any], values: Mapping[str, float]) -> float:
    items = rule["items"]
    answered = [values[i] for i in items if i in values and not math.isnan(values[i])]
    if method == "logmar":
        logmar = values.get("logmar", math.nan)
        return logmar if not math.isnan(logmar) else values.get("snellen", math.nan)
    if len(answered) < int(rule.get("min_answered", len(items))):
        return math.nan
    if method == "osdi":
        return sum(answered) * 25.0 / len(answered)
    if method == "sum":
        return float(sum(answered))
    if method == "mean":
        return float(sum(answered) / len(answered))
    if method == "sqrt_product":
        return math.sqrt(math.prod(answered))
    if method == "geometric_mean":
        return float(math.prod(answered) ** (1.0 / len(answered)))
    if method in ("value", "positive_negative"):
        return float(answered[0])
    raise SecretomeInputError(f"measure rule has unknown method {method!r}",
                              expected="value, sum, mean, osdi, sqrt_product, geometric_mean, positive_negative, logmar")


def band(rule: Mapping[str, Any], score: float) -> str:
    """The severity band of ``score``: the last band in measures.toml whose lower bound it reaches."""
    name = ""
    for low, label in rule.get("bands", []):
        if score >= low:
            name = label
    return name


def score(tidy: pd.DataFrame, rules: Mapping[str, Mapping[str, Any]] | None = None, *, source: str = "",
          only: Sequence[str] | None = None) -> pd.DataFrame:
    """Scores of every measure whose items are in ``tidy`` (validated first), plus the derived osmolarity rows.

    Returns columns patient, eye, visit, measure, score, band, n_items; a measure with too few answered
    items for its rule gets no row. ``osmolarity_higher_eye`` and ``osmolarity_inter_eye_difference`` are
    patient-level rows made where both eyes were measured (the higher eye needs only one).
    """
    rules = shipped_measures() if rules is None else rules
    if only is not None:
        rules = {k: v for k, v in rules.items() if k in set(only)}
    items = validate_items(tidy, rules, source=source)
    out = []
    for measure_id, rule in rules.items():
        subset = items[items["variable"].isin(rule["items"])]
        if subset.empty:
            continue
        for (patient, eye, visit), group in subset.groupby(["patient", "eye", "visit"], sort=False):
            duplicated = group["variable"][group["variable"].duplicated()]
            if len(duplicated):
                raise SecretomeInputError(
                    f"patient {patient}, visit {visit or '-'}, {'eye ' + eye + ', ' if eye else ''}field {duplicated.iloc[0]}: recorded twice",
                    file=source or None, expected="one value per patient, eye, visit and field",
                )
            values = dict(zip(group["variable"], group["number"]))
            value = _score_group(rule["method"], rule, values)
            if math.isnan(value):
                continue
            answered = int(np.isfinite(group["number"]).sum())
            out.append({"patient": patient, "eye": eye, "visit": visit, "measure": measure_id, "score": value,
                        "band": band(rule, value), "n_items": answered})
    scored = pd.DataFrame(out, columns=list(SCORE_COLUMNS))
    return pd.concat([scored, _osmolarity_rows(scored)], ignore_index=True)


def _osmolarity_rows(scored: pd.DataFrame) -> pd.DataFrame:
    osm = scored[scored["measure"] == "osmolarity"]
    rows = []
    for (patient, visit), group in osm.groupby(["patient", "visit"], sort=False):
        rows.append({"patient": patient, "eye": "", "visit": visit, "measure": "osmolarity_higher_eye",
                     "score": float(group["score"].max()), "band": "", "n_items": len(group)})
        if set(group["eye"]) >= {"OD", "OS"}:
            rows.append({"patient": patient, "eye": "", "visit": visit, "measure": "osmolarity_inter_eye_difference",
                         "score": float(group["score"].max() - group["score"].min()), "band": "", "n_items": len(group)})
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS))
