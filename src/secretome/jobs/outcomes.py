"""The ``outcomes`` job: clinical records + treatments (+ lots) -> scored tables, diagnoses, models, report.

Reads a REDCap export (with its data dictionary) or a tidy table, drops direct identifiers, pseudonymises
patients with the project key, scores every measure, classifies dry eye by TFOS DEWS II and III, computes
change from baseline, responder rates, mixed models per measure, time to re-epithelialisation and, when
lot compositions are given, the composition-outcome link; writes one output directory atomically
(kind ``outcomes``). Aggregated tables and the report never show a cell of fewer than the configured
number of patients.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome import __version__
from secretome.clinical import analysis, diagnosis, models
from secretome.clinical.importing import ClinicalImport, exposures, read_redcap, read_tidy, read_treatments
from secretome.clinical.lots import lot_composition
from secretome.clinical.privacy import Pseudonymizer, assert_no_identifiers, load_key, suppress_small_cells
from secretome.clinical.rules import CRITERIA_FILES, load_rules, measures, privacy_rules
from secretome.clinical.scoring import score
from secretome.errors import SecretomeInputError
from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings
from secretome.outputs import atomic_directory
from secretome.tables import write_tsv

KIND = "outcomes"
OUTPUT_FILES = ("report.html", "outcomes.json", "scores.tsv", "diagnoses.tsv", "changes.tsv", "trajectories.tsv",
                "responders.tsv", "baseline_adjusted.tsv", "mixed_models.tsv", "composition_link.tsv", "lots.tsv", "survival_km.tsv", "survival_cox.tsv")
SURVIVAL_MEASURES = ("days_to_reepithelialisation", "reepithelialised")


def import_records(
    records: str | Path, *, dictionary: str | Path | None = None, events: str | Path | None = None,
    pseudonymizer: Pseudonymizer, shift: bool = False,
) -> ClinicalImport:
    """A REDCap export (when a dictionary is given or the first header is a REDCap record id) or a tidy table."""
    path = Path(records)
    if not path.is_file():
        raise SecretomeInputError("records file not found", file=path, expected="a REDCap CSV export or a tidy table")
    if dictionary is not None:
        return read_redcap(path, dictionary, events=events, pseudonymizer=pseudonymizer, shift=shift)
    with path.open(encoding="utf-8-sig", errors="replace") as handle:  # only to tell the layout; the reader checks the text
        header = handle.readline().lower()
    if all(name in header for name in ("patient", "eye", "visit", "variable", "value")):
        return read_tidy(path, pseudonymizer=pseudonymizer, shift=shift)
    return read_redcap(path, None, events=events, pseudonymizer=pseudonymizer, shift=shift)


def _trajectories(scored: pd.DataFrame, exposure: pd.DataFrame, visits: Sequence[str], by: str) -> pd.DataFrame:
    """Mean (SE, 95% CI) per measure, group and visit, one value per patient (treated eyes averaged)."""
    eye_rows = scored[scored["eye"] != ""].merge(exposure, on=["patient", "eye"], how="inner")
    patient_rows = scored[scored["eye"] == ""].merge(exposure.drop_duplicates("patient")[["patient", "arm", "lot"]], on="patient")
    per_patient = pd.concat([eye_rows, patient_rows]).groupby(["measure", by, "visit", "patient"], as_index=False)["score"].mean()
    grouped = per_patient.groupby(["measure", by, "visit"])["score"]
    table = pd.DataFrame({"n_patients": grouped.size(), "mean": grouped.mean(), "sd": grouped.std()}).reset_index()
    table["se"] = table["sd"] / np.sqrt(table["n_patients"])
    table["ci_low"] = table["mean"] - 1.959964 * table["se"]
    table["ci_high"] = table["mean"] + 1.959964 * table["se"]
    order = {v: i for i, v in enumerate(visits)}
    table = table.assign(_order=table["visit"].map(order)).sort_values(["measure", by, "_order"]).drop(columns="_order")
    return table.rename(columns={by: "group"}).assign(group_by=by)


def _model_data(scored: pd.DataFrame, exposure: pd.DataFrame, measure: str) -> pd.DataFrame:
    rows = scored[scored["measure"] == measure]
    eye_rows = rows[rows["eye"] != ""].merge(exposure, on=["patient", "eye"], how="inner")
    patient_rows = rows[rows["eye"] == ""].merge(exposure.drop_duplicates("patient")[["patient", "arm"]], on="patient")
    data = pd.concat([eye_rows, patient_rows], ignore_index=True)
    return data.rename(columns={"arm": "treatment", "score": "value"})[["patient", "eye", "visit", "treatment", "value"]]


def _survival(scored: pd.DataFrame, exposure: pd.DataFrame, arms: Sequence[str], min_cell: int) -> dict[str, Any]:
    """Kaplan-Meier per arm and a Cox model of arm (eyes as units) for time to re-epithelialisation."""
    rows = scored[scored["measure"].isin(SURVIVAL_MEASURES) & (scored["eye"] != "")]
    wide = rows.pivot_table(index=["patient", "eye"], columns="measure", values="score", aggfunc="last")
    if not set(SURVIVAL_MEASURES) <= set(wide.columns):
        return {}
    data = wide.dropna().reset_index().merge(exposure, on=["patient", "eye"], how="inner")
    if data.empty or data["reepithelialised"].sum() == 0:
        return {}
    km = models.kaplan_meier(data["days_to_reepithelialisation"], data["reepithelialised"].astype(int), data["arm"])
    medians = models.median_time(km)
    shown = km.assign(note="")
    small = shown["n_risk"] < min_cell
    for column in ("survival", "se", "ci_low", "ci_high", "n_event", "n_censor"):
        shown[column] = shown[column].astype(object).where(~small, None)
    shown["n_risk"] = shown["n_risk"].astype(object).where(~small, f"< {min_cell}")
    shown.loc[small, "note"] = f"suppressed (< {min_cell} eyes at risk)"
    result: dict[str, Any] = {"km": shown, "median_days": medians, "n_eyes": int(len(data)), "n_events": int(data["reepithelialised"].sum()),
                              "notes": ["Eyes are the units; two eyes of one patient are treated as independent here."]}
    present = [a for a in arms if a in set(data["arm"])]
    if len(present) >= 2:
        covariates = []
        for arm in present[1:]:
            name = f"arm:{arm}"
            data[name] = (data["arm"] == arm).astype(float)
            covariates.append(name)
        cox = models.fit_cox(data.rename(columns={"days_to_reepithelialisation": "time", "reepithelialised": "event"}), covariates)
        result["cox"] = cox.coefficients.assign(reference=present[0])
        result["notes"] += [f"{note}." for note in cox.notes] + [f"A hazard ratio above 1 means faster re-epithelialisation than {present[0]}."]
    return result


def _measure_info(measure: str, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Label, unit, direction, MCID and reference of a scored measure (derived osmolarity rows included)."""
    derived = {"osmolarity_higher_eye": "Tear osmolarity, higher eye", "osmolarity_inter_eye_difference": "Tear osmolarity, inter-eye difference"}
    rule = rules.get(measure, rules["osmolarity"] if measure in derived else {})
    return {"id": measure, "label": derived.get(measure, rule.get("label", measure)), "unit": rule.get("unit", ""),
            "higher_is_worse": bool(rule.get("higher_is_worse", True)), "mcid": rule.get("mcid"),
            "mcid_source": rule.get("mcid_source"), "reference": rule.get("reference", "")}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-able records (NaN -> None, numpy scalars -> Python)."""
    out = []
    for record in frame.to_dict("records"):
        clean = {}
        for key, value in record.items():
            if isinstance(value, (np.floating, float)):
                clean[key] = float(value) if math.isfinite(value) else None
            elif isinstance(value, np.integer):
                clean[key] = int(value)
            elif isinstance(value, np.bool_):
                clean[key] = bool(value)
            else:
                clean[key] = value
        out.append(clean)
    return out


@states_warnings
def outcomes_job(
    records: str | Path,
    *,
    dictionary: str | Path | None = None,
    treatments: str | Path,
    lots: str | Path | pd.DataFrame | None = None,
    out: str | Path,
    progress: ProgressCallback | None = None,
    events: str | Path | None = None,
    key: str | bytes | Path | None = None,
    shift_dates: bool = False,
    baseline: str | None = None,
    visit: str | None = None,
    reference_arm: str | None = None,
    min_cell_patients: int | None = None,
    alpha: float = 0.05,
    force: bool = False,
) -> JobResult:
    """Score, classify and model clinical outcomes and link them to the lots' composition; write ``out``.

    ``lots`` is a folder of lot outputs (:func:`secretome.clinical.lots.lot_composition`) or a composition
    table indexed by lot number (e.g. from :func:`secretome.clinical.lots.composition_from_metrics`).
    ``key`` is the pseudonymisation key (a path to a key file, created when missing, or the key itself;
    None = a one-off random key). ``baseline`` and ``visit`` default to the first and last visit;
    ``reference_arm`` to the first arm in sorted order; ``min_cell_patients`` to ``privacy.toml``.
    """
    out = Path(out)
    min_cell = int(privacy_rules()["min_cell_patients"] if min_cell_patients is None else min_cell_patients)
    if min_cell < 1:
        raise SecretomeInputError("min_cell_patients must be at least 1", expected="a whole number >= 1")
    report_progress(progress, "reading the clinical records", 0.0)
    secret, key_note = load_key(key)
    pseudonymizer = Pseudonymizer(secret)
    imported = import_records(records, dictionary=dictionary, events=events, pseudonymizer=pseudonymizer, shift=shift_dates)
    treatment_table = read_treatments(treatments, pseudonymizer=pseudonymizer, shift=shift_dates)
    exposure = exposures(treatment_table)
    report_progress(progress, "scoring measures", 0.15)
    scored = score(imported.tidy, source=str(records), record_ids=imported.record_ids)
    if scored.empty:
        raise SecretomeInputError("no clinical measure could be scored", file=records,
                                  expected="fields named as in secretome/clinical/data/measures.toml (e.g. osdi_1..osdi_12, nibut_od)")
    visits = [v for v in imported.visits if v in set(scored["visit"])]
    baseline = visits[0] if baseline is None else baseline
    if baseline not in visits:
        raise SecretomeInputError(f"baseline visit {baseline!r} has no scores", expected="one of " + ", ".join(visits))
    follow_up = [v for v in visits if v != baseline]
    if not follow_up:
        raise SecretomeInputError("the records have one visit only", file=records, expected="a baseline and at least one follow-up visit")
    visit = follow_up[-1] if visit is None else visit
    if visit not in follow_up:
        raise SecretomeInputError(f"visit {visit!r} is not a follow-up visit", expected="one of " + ", ".join(follow_up))
    arms = sorted(set(exposure["arm"]))
    if reference_arm is not None:
        if reference_arm not in arms:
            raise SecretomeInputError(f"reference arm {reference_arm!r} is not in the treatment table", column="arm", expected=", ".join(arms))
        arms = [reference_arm] + [a for a in arms if a != reference_arm]
    untreated = sorted(set(scored["patient"]) - set(exposure["patient"]))
    messages = list(imported.messages)
    if untreated:
        messages.append(f"{len(untreated)} patient(s) with records have no treatment row and are left out of the arm, lot and model analyses")

    report_progress(progress, "classifying dry eye", 0.3)
    diagnoses = pd.concat([diagnosis.diagnose(scored, version) for version in CRITERIA_FILES], ignore_index=True)
    changes = analysis.change_from_baseline(scored, baseline)
    rules = measures()
    outcome_measures = [m for m in dict.fromkeys(changes["measure"]) if m not in SURVIVAL_MEASURES]

    report_progress(progress, "trajectories and responders", 0.4)
    trajectories = pd.concat([_trajectories(scored[~scored["measure"].isin(SURVIVAL_MEASURES)], exposure, visits, by) for by in ("arm", "lot")],
                             ignore_index=True)
    responders = []
    for measure in outcome_measures:
        rule = rules.get(measure)
        if rule is None or "mcid" not in rule:
            continue
        for by in ("arm", "lot"):
            rates = analysis.responder_rates(changes, exposure, measure=measure, visit=visit, mcid=float(rule["mcid"]),
                                             higher_is_worse=bool(rule["higher_is_worse"]), by=by)
            if len(rates):
                responders.append(rates.rename(columns={by: "group"}).assign(group_by=by, mcid_source=rule["mcid_source"]))
    responder_table = pd.concat(responders, ignore_index=True) if responders else pd.DataFrame(
        columns=["group", "group_by", "measure", "visit", "mcid", "n_patients", "n_responders", "rate", "ci_low", "ci_high", "mcid_source"])

    adjusted = []
    if len(arms) >= 2:
        for measure in outcome_measures:
            per_patient = analysis.patient_values(changes, exposure, measure=measure, visit=visit)
            try:
                adjusted.append(analysis.baseline_adjusted_effect(per_patient, reference=arms[0]).assign(measure=measure, visit=visit))
            except SecretomeInputError as error:
                messages.append(f"{measure}: no baseline-adjusted comparison ({error.message})")
    adjusted_table = pd.concat(adjusted, ignore_index=True) if adjusted else pd.DataFrame(columns=["measure", "visit", "arm", "reference", "difference"])

    report_progress(progress, "mixed models", 0.55)
    model_rows, model_info = [], {}
    for measure in outcome_measures:
        data = _model_data(scored, exposure, measure)
        try:
            fit = models.fit_mixed_model(data, visits=visits, treatments=arms)
        except SecretomeInputError as error:
            model_info[measure] = {"skipped": error.message}
            continue
        model_rows.append(fit.fixed.assign(measure=measure, formula=fit.formula))
        model_info[measure] = {"formula": fit.formula, "variance": fit.variance, "reml_criterion": fit.reml_criterion,
                               "n_observations": fit.n_observations, "n_patients": fit.n_patients, "n_eyes": fit.n_eyes, "notes": fit.notes}
    model_table = pd.concat(model_rows, ignore_index=True) if model_rows else pd.DataFrame(columns=["measure", "term", "estimate", "se"])

    report_progress(progress, "time to re-epithelialisation", 0.7)
    survival = _survival(scored, exposure, arms, min_cell)

    report_progress(progress, "composition-outcome link", 0.75)
    if isinstance(lots, pd.DataFrame):
        composition = lots
    else:
        composition = lot_composition(lots) if lots is not None else pd.DataFrame()
    link_rows, link_info = [], {}
    if not composition.empty:
        for measure in outcome_measures:
            rule = rules.get(measure, {})
            table, info = analysis.composition_link(changes, exposure, composition, measure=measure, visit=visit,
                                                    higher_is_worse=bool(rule.get("higher_is_worse", True)), alpha=alpha)
            link_rows.append(table)
            link_info[measure] = info
    link_table = pd.concat(link_rows, ignore_index=True) if link_rows else pd.DataFrame(columns=["measure", "feature"])

    # privacy: aggregated tables lose every cell below min_cell patients
    trajectories_shown = suppress_small_cells(trajectories, value_columns=["mean", "sd", "se", "ci_low", "ci_high"], min_patients=min_cell)
    responders_shown = suppress_small_cells(responder_table, value_columns=["n_responders", "rate", "ci_low", "ci_high"], min_patients=min_cell)
    diagnosis_counts = (diagnoses.groupby(["criteria", "visit", "diagnosis"]).size().rename("n_patients").reset_index())
    diagnosis_counts = suppress_small_cells(diagnosis_counts, value_columns=[], min_patients=min_cell)
    group_sizes = {by: suppress_small_cells(exposure.drop_duplicates("patient").groupby(by).size().rename("n_patients").reset_index(),
                                            value_columns=[], min_patients=min_cell) for by in ("arm", "lot")}
    for frame, where in ((scored, "scores.tsv"), (changes, "changes.tsv"), (diagnoses, "diagnoses.tsv")):
        assert_no_identifiers(frame, imported.dropped, where=where)

    summary: dict[str, Any] = {
        "title": "secretome outcomes", "secretome_version": __version__,
        "inputs": {"records": Path(records).name, "dictionary": Path(dictionary).name if dictionary else None,
                   "events": Path(events).name if events else None, "treatments": Path(treatments).name,
                   "lots": ("composition table" if isinstance(lots, pd.DataFrame) else Path(lots).name) if lots is not None else None},
        "rules": {"measures": load_rules("measures.toml")["version"], "privacy": privacy_rules()["version"],
                  "criteria": {v: load_rules(f)["version"] for v, f in CRITERIA_FILES.items()}},
        "privacy": {"pseudonymous_ids": True, "key": key_note, "identifiers_dropped": imported.dropped,
                    "dates_shifted": bool(shift_dates), "min_cell_patients": min_cell},
        "import": imported.counts, "messages": messages,
        "visits": visits, "baseline": baseline, "visit": visit, "arms": arms, "reference_arm": arms[0],
        "n_patients": int(scored["patient"].nunique()), "n_treated_patients": int(exposure["patient"].nunique()),
        "group_sizes": {by: _records(table) for by, table in group_sizes.items()},
        "measures": [_measure_info(m, rules) for m in outcome_measures],
        "diagnosis_counts": _records(diagnosis_counts),
        "trajectories": _records(trajectories_shown), "responders": _records(responders_shown),
        "baseline_adjusted": _records(adjusted_table),
        "models": {m: {**info, "fixed": _records(model_table[model_table["measure"] == m].drop(columns=["measure"]))} if "formula" in info else info
                   for m, info in model_info.items()},
        "composition": {m: {**info, "table": _records(link_table[link_table["measure"] == m])} for m, info in link_info.items()},
        "survival": ({"median_days": survival["median_days"], "n_eyes": survival["n_eyes"], "n_events": survival["n_events"],
                      "notes": survival["notes"], "km": _records(survival["km"]),
                      "cox": _records(survival["cox"]) if "cox" in survival else []} if survival else {}),
    }
    report_progress(progress, "writing outputs", 0.9)
    from secretome.report.outcomes import render_outcomes_report

    html = render_outcomes_report(summary)
    inputs = {"records": records, "dictionary": dictionary, "events": events, "treatments": treatments}
    with atomic_directory(out, kind=KIND, inputs=inputs, force=force) as staging:
        write_tsv(scored, staging / "scores.tsv")
        write_tsv(diagnoses, staging / "diagnoses.tsv")
        write_tsv(changes, staging / "changes.tsv")
        write_tsv(trajectories_shown, staging / "trajectories.tsv")
        write_tsv(responders_shown, staging / "responders.tsv")
        write_tsv(adjusted_table, staging / "baseline_adjusted.tsv")
        write_tsv(model_table, staging / "mixed_models.tsv")
        write_tsv(link_table, staging / "composition_link.tsv")
        write_tsv(composition.reset_index() if not composition.empty else pd.DataFrame(columns=["lot"]), staging / "lots.tsv")
        write_tsv(survival["km"] if survival else pd.DataFrame(columns=["group", "time"]), staging / "survival_km.tsv")
        write_tsv(survival.get("cox", pd.DataFrame(columns=["term"])) if survival else pd.DataFrame(columns=["term"]), staging / "survival_cox.tsv")
        (staging / "outcomes.json").write_text(json.dumps(summary, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        (staging / "report.html").write_text(html, encoding="utf-8")
    report_progress(progress, "done", 1.0)
    headline = {"patients": summary["n_patients"], "visits": len(visits), "measures": len(outcome_measures),
                "identifiers_dropped": len(imported.dropped),
                "significant_links": int(link_table["significant"].sum()) if "significant" in link_table.columns else 0}
    return JobResult(kind=KIND, out=out, files=OUTPUT_FILES, summary=headline)
