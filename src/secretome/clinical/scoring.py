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
    low, high = rule.get("item_min", -np.inf), rule.get("item_max", np.inf)
    return float(low), float(high[position] if isinstance(high, list) else high)


def validate_items(tidy: pd.DataFrame, rules: Mapping[str, Mapping[str, Any]] | None = None, *, source: str = "",
                   record_ids: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The item rows of ``tidy`` that feed a measure, with a numeric ``number`` column; bad items raise.

    The error names every problem (up to 20): patient, visit, eye, field, the value and what was allowed;
    ``record_ids`` (pseudonym -> source record id) makes it name the record to fix in the source file.
    Unanswered items (empty, NA, N/A) get a NaN number.
    """
    rules = shipped_measures() if rules is None else rules
    item_rule: dict[str, tuple[str, int]] = {}
    for measure_id, rule in rules.items():
        for position, item in enumerate(rule["items"]):
            item_rule.setdefault(item, (measure_id, position))
    rows = tidy[tidy["variable"].isin(list(item_rule))].reset_index(drop=True)
    variable = rows["variable"]
    rule_of = variable.map({item: rules[m] for item, (m, _) in item_rule.items()})
    level = variable.map({item: rules[m]["level"] for item, (m, _) in item_rule.items()})
    method = variable.map({item: rules[m]["method"] for item, (m, _) in item_rule.items()})
    text = rows["value"].astype(str).str.strip()
    has_eye = rows["eye"].astype(str) != ""
    problems: dict[int, str] = {}
    for index in np.flatnonzero(((level == "patient") & has_eye).to_numpy()):
        problems[index] = f"{rule_of[index]['label']} is a patient-level measure but the value has an eye"
    for index in np.flatnonzero(((level == "eye") & ~has_eye).to_numpy()):
        problems[index] = f"{rule_of[index]['label']} is recorded per eye but the value has no eye (OD/OS)"
    unanswered = text.str.lower().isin(UNANSWERED)
    numbers = pd.to_numeric(text.where(~unanswered), errors="coerce").to_numpy(float)
    special = ((method == "positive_negative") | (rows["variable"] == "snellen")) & ~unanswered
    for index in np.flatnonzero(special.to_numpy()):
        rule, value = rule_of[index], text[index]
        if rule["method"] == "positive_negative":
            lowered = value.lower()
            numbers[index] = 1.0 if lowered in rule["positive"] else 0.0 if lowered in rule["negative"] else np.nan
            if lowered not in rule["positive"] and lowered not in rule["negative"]:
                problems.setdefault(index, f"{value!r} is not a test result (allowed: {', '.join(rule['positive'] + rule['negative'])})")
        else:
            try:
                numbers[index] = snellen_to_logmar(value)
            except ValueError:
                problems.setdefault(index, f"{value!r} is not a Snellen fraction like 20/40 or 6/12 (off-chart CF/HM/LP: record logMAR by protocol)")
    checked = (~unanswered & ~special).to_numpy() | (rows["variable"] == "snellen").to_numpy()
    item_bounds = {item: _item_bounds(rules[m], k) for item, (m, k) in item_rule.items()}
    bounds = np.column_stack([variable.map({i: b[0] for i, b in item_bounds.items()}).to_numpy(float),
                              variable.map({i: b[1] for i, b in item_bounds.items()}).to_numpy(float)])
    integer = variable.map({item: bool(rules[m].get("integer")) for item, (m, _) in item_rule.items()}).to_numpy(bool)
    with np.errstate(invalid="ignore"):
        not_number = checked & np.isnan(numbers) & (rows["variable"] != "snellen").to_numpy()
        outside = checked & ~np.isnan(numbers) & ((numbers < bounds[:, 0]) | (numbers > bounds[:, 1]) | ~np.isfinite(numbers))
        fractional = checked & ~np.isnan(numbers) & ~outside & integer & (numbers != np.round(numbers))
    for index in np.flatnonzero(not_number):
        problems.setdefault(index, f"{text[index]!r} is not a number")
    for index in np.flatnonzero(outside):
        problems.setdefault(index, f"{text[index]} is outside {bounds[index, 0]:g}-{bounds[index, 1]:g}")
    for index in np.flatnonzero(fractional):
        problems.setdefault(index, f"{text[index]} is not a whole number")
    if problems:
        listed = []
        for index in sorted(problems)[:MAX_LISTED_PROBLEMS]:
            row = rows.iloc[index]
            eye = f"eye {row['eye']}, " if row["eye"] else ""
            who = f"record {record_ids[row['patient']]}" if record_ids and row["patient"] in record_ids else f"patient {row['patient']}"
            listed.append(f"{who}, visit {row['visit'] or '-'}, {eye}field {row['variable']}: {problems[index]}")
        more = f" (and {len(problems) - len(listed)} more)" if len(problems) > len(listed) else ""
        raise SecretomeInputError(
            f"{len(problems)} raw item(s) fail validation{more}: " + "; ".join(listed), file=source or None,
            expected="items within the ranges of secretome/clinical/data/measures.toml",
        )
    return rows.assign(number=numbers)


def _score_frame(method: str, rule: Mapping[str, Any], wide: pd.DataFrame) -> pd.Series:
    """Scores of one measure from its items (one row per patient, eye and visit; NaN = unanswered)."""
    items = wide.reindex(columns=rule["items"])
    answered = items.notna().sum(axis=1)
    enough = answered >= int(rule.get("min_answered", len(rule["items"])))
    if method == "logmar":
        return items["logmar"].fillna(items["snellen"])
    if method == "osdi":
        values = items.sum(axis=1) * 25.0 / answered
    elif method == "sum":
        values = items.sum(axis=1)
    elif method == "mean":
        values = items.mean(axis=1)
    elif method == "sqrt_product":
        values = np.sqrt(items.prod(axis=1))
    elif method == "geometric_mean":
        values = items.prod(axis=1) ** (1.0 / answered)
    elif method in ("value", "positive_negative"):
        values = items.iloc[:, 0]
    else:
        raise SecretomeInputError(f"measure rule has unknown method {method!r}",
                                  expected="value, sum, mean, osdi, sqrt_product, geometric_mean, positive_negative, logmar")
    return values.where(enough)


def band(rule: Mapping[str, Any], score: float) -> str:
    """The severity band of ``score``: the last band in measures.toml whose lower bound it reaches."""
    name = ""
    for low, label in rule.get("bands", []):
        if score >= low:
            name = label
    return name


def score(tidy: pd.DataFrame, rules: Mapping[str, Mapping[str, Any]] | None = None, *, source: str = "",
          only: Sequence[str] | None = None, record_ids: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Scores of every measure whose items are in ``tidy`` (validated first), plus the derived osmolarity rows.

    Errors name the source record where ``record_ids`` (pseudonym -> record id) is given. Returns columns
    patient, eye, visit, measure, score, band, n_items; a measure with too few answered
    items for its rule gets no row. ``osmolarity_higher_eye`` and ``osmolarity_inter_eye_difference`` are
    patient-level rows made where both eyes were measured (the higher eye needs only one).
    """
    rules = shipped_measures() if rules is None else rules
    if only is not None:
        rules = {k: v for k, v in rules.items() if k in set(only)}
    items = validate_items(tidy, rules, source=source, record_ids=record_ids)
    keys = ["patient", "eye", "visit"]
    duplicated = items.duplicated([*keys, "variable"])
    if duplicated.any():
        row = items[duplicated].iloc[0]
        who = f"record {record_ids[row['patient']]}" if record_ids and row["patient"] in record_ids else f"patient {row['patient']}"
        raise SecretomeInputError(
            f"{who}, visit {row['visit'] or '-'}, {'eye ' + row['eye'] + ', ' if row['eye'] else ''}field {row['variable']}: recorded twice",
            file=source or None, expected="one value per patient, eye, visit and field",
        )
    out = []
    for measure_id, rule in rules.items():
        subset = items[items["variable"].isin(rule["items"])]
        if subset.empty:
            continue
        wide = subset.pivot(index=keys, columns="variable", values="number")
        values = _score_frame(rule["method"], rule, wide)
        answered = wide.reindex(columns=rule["items"]).notna().sum(axis=1)
        frame = values.rename("score").reset_index().assign(measure=measure_id, n_items=answered.to_numpy())
        frame = frame[frame["score"].notna()]
        frame["band"] = [band(rule, v) for v in frame["score"]]
        out.append(frame)
    scored = pd.concat(out, ignore_index=True)[list(SCORE_COLUMNS)] if out else pd.DataFrame(columns=list(SCORE_COLUMNS))
    extra = _osmolarity_rows(scored)
    return pd.concat([scored, extra], ignore_index=True) if len(extra) else scored.reset_index(drop=True)


def _osmolarity_rows(scored: pd.DataFrame) -> pd.DataFrame:
    osm = scored[scored["measure"] == "osmolarity"]
    if osm.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    grouped = osm.groupby(["patient", "visit"], sort=False)["score"]
    summary = pd.DataFrame({"high": grouped.max(), "low": grouped.min(), "n": grouped.size(),
                            "both": osm.groupby(["patient", "visit"], sort=False)["eye"].agg(lambda e: {"OD", "OS"} <= set(e))}).reset_index()
    higher = summary.assign(eye="", measure="osmolarity_higher_eye", score=summary["high"], band="", n_items=summary["n"])
    two = summary[summary["both"]]
    difference = two.assign(eye="", measure="osmolarity_inter_eye_difference", score=two["high"] - two["low"], band="", n_items=two["n"])
    return pd.concat([higher, difference], ignore_index=True)[list(SCORE_COLUMNS)].astype({"score": float})
