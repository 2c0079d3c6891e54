"""Dry eye diagnosis by the TFOS DEWS II (2017) or DEWS III (2025) criteria, each a data file.

A patient at a visit has dry eye when the symptom screen is positive and at least one marker of lost
homeostasis is met. Every classification says which criterion decided it, with the values; a missing
measurement never counts as normal: the result is then "undetermined" and the missing tests are named.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import pandas as pd

from secretome.clinical.rules import criteria

DIAGNOSIS_COLUMNS = ("patient", "visit", "criteria", "diagnosis", "deciding", "symptoms", "markers_met", "subtype_hints")
DRY_EYE = "dry eye"
NO_DRY_EYE = "no dry eye"
SYMPTOMS_ONLY = "no dry eye (symptoms without loss of homeostasis: consider a differential diagnosis)"
UNDETERMINED = "undetermined"

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}


def _lookup(scores: Mapping[tuple[str, str], float], measure: str, scope: str) -> dict[str, float]:
    """Values of ``measure`` to test: {eye: value} for eye scopes, {'': value} for patient-level ones."""
    if scope == "patient":
        return {"": scores[(measure, "")]} if (measure, "") in scores else {}
    if scope == "higher_eye":
        key = (f"{measure}_higher_eye", "")
        return {"": scores[key]} if key in scores else {}
    if scope == "inter_eye_difference":
        key = (f"{measure}_inter_eye_difference", "")
        return {"": scores[key]} if key in scores else {}
    return {eye: scores[(measure, eye)] for eye in ("OD", "OS") if (measure, eye) in scores}


def evaluate(rule: Mapping[str, Any], scores: Mapping[tuple[str, str], float]) -> tuple[bool | None, str]:
    """Whether ``rule`` holds (None when not measured) and a sentence with the values that decided it."""
    measures = rule["measure"] if isinstance(rule["measure"], list) else [rule["measure"]]
    ops = rule["op"] if isinstance(rule["op"], list) else [rule["op"]]
    thresholds = rule["threshold"] if isinstance(rule["threshold"], list) else [rule["threshold"]]
    looked = [_lookup(scores, m, rule["scope"]) for m in measures]
    places = set.intersection(*(set(v) for v in looked)) if looked else set()
    if not places:
        return None, f"{rule['text']}: not measured"
    held = []
    for place in sorted(places):
        values = [v[place] for v in looked]
        if all(_OPS[op](value, float(t)) for op, value, t in zip(ops, values, thresholds)):
            held.append(place)
    shown = "; ".join(
        f"{place or rule['scope'].replace('_', ' ')} " + ", ".join(f"{m} {v[place]:g}" for m, v in zip(measures, looked))
        for place in sorted(places)
    )
    return bool(held), f"{rule['text']} ({'met' if held else 'not met'}: {shown})"


def classify_visit(scores: Mapping[tuple[str, str], float], version: str = "dews2025") -> dict[str, str]:
    """Classify one patient-visit from its scores {(measure, eye): value} by criteria ``version``."""
    rules = criteria(version)
    symptom_results = [evaluate(rule, scores) for rule in rules["symptoms"]]
    symptom_met = [text for held, text in symptom_results if held]
    symptom_text = "; ".join(text for _, text in symptom_results)
    marker_results: dict[str, tuple[bool | None, str]] = {}
    for rule in rules["markers"]:
        fallback = rule.get("fallback_for")
        if fallback and marker_results.get(fallback, (None, ""))[0] is not None:
            continue
        marker_results[rule["id"]] = evaluate(rule, scores)
    met = [text for held, text in marker_results.values() if held]
    unmeasured = [text for held, text in marker_results.values() if held is None]
    hints = [text for held, text in (evaluate(rule, scores) for rule in rules.get("subtypes", [])) if held]
    base = {"criteria": rules["version"], "symptoms": symptom_text, "markers_met": "; ".join(met), "subtype_hints": ""}
    if symptom_met:
        if met:
            return {**base, "diagnosis": DRY_EYE, "deciding": f"{symptom_met[0]} + {met[0]}",
                    "subtype_hints": "; ".join(hints) if hints else "no subtype hint from the data"}
        if unmeasured:
            return {**base, "diagnosis": UNDETERMINED,
                    "deciding": f"{symptom_met[0]}; no marker met and not measured: " + "; ".join(t.split(':')[0] for t in unmeasured)}
        return {**base, "diagnosis": SYMPTOMS_ONLY, "deciding": f"{symptom_met[0]}; every homeostasis marker normal"}
    if all(held is None for held, _ in symptom_results):
        needed = " or ".join(rule["text"] for rule in rules["symptoms"])
        return {**base, "diagnosis": UNDETERMINED, "deciding": f"symptom screen not done (needs {needed})"}
    return {**base, "diagnosis": NO_DRY_EYE, "deciding": "symptom screen negative: " + symptom_text}


def diagnose(scored: pd.DataFrame, version: str = "dews2025") -> pd.DataFrame:
    """One classification per patient and visit of a scored table (:func:`secretome.clinical.scoring.score`)."""
    rows = []
    for (patient, visit), group in scored.groupby(["patient", "visit"], sort=False):
        values = {(m, e): float(s) for m, e, s in zip(group["measure"], group["eye"], group["score"])}
        rows.append({"patient": patient, "visit": visit, **classify_visit(values, version)})
    return pd.DataFrame(rows, columns=list(DIAGNOSIS_COLUMNS))
