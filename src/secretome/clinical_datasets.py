"""Demo clinical data: a simulated dry eye trial of secretome lots with known lot effects.

:func:`simulate_trial` draws lots with known compositions (functional-class shares, purity indices, a
key factor, a potency assay) and patients treated with them or with vehicle; each patient's OSDI change
at the last visit depends on the arm and, planted, on the lot's growth-factor share (``effect_per_sd``
OSDI points per standard deviation across lots). Signs (NIBUT, corneal spots, osmolarity, Schirmer) and
an epithelial-defect sub-study (time to re-epithelialisation, hazard ratio 1.8 on secretome, censored at
day 21) are simulated without
any composition effect. :meth:`SimulatedTrial.write` writes the files a clinic would have: a REDCap
records export with its data dictionary and events (with fictitious names and birth dates flagged as
identifiers, which the import must drop), a treatment table, and a lots folder (composition, potency).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome.outputs import atomic_file
from secretome.tables import write_csv, write_tsv

VISITS = ("day0", "day28", "day84")
PLANTED_FEATURE = "class_share:growth_factor"
VEHICLE_LOT = "VEH-01"

TRIAL_FILES = {"records": "trial_records.csv", "dictionary": "trial_dictionary.csv", "events": "trial_events.csv",
               "treatments": "trial_treatments.csv", "lots": "lots", "truth": "trial_truth.json"}

DEMO_TRIAL_PARAMETERS: dict[str, Any] = {"n_lots": 12, "patients_per_lot": 8, "vehicle_patients": 24, "effect_per_sd": -6.0, "seed": 20261201}
"""Parameters of the demo trial (``secretome outcomes --demo``)."""


@dataclass
class SimulatedTrial:
    """A simulated trial: tidy observations, treatments, lot composition, potency and the ground truth."""

    tidy: pd.DataFrame
    treatments: pd.DataFrame
    composition: pd.DataFrame
    potency: pd.DataFrame
    identifiers: pd.DataFrame
    truth: dict[str, Any]

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write the REDCap export, dictionary, events, treatments, lots folder and truth into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {key: directory / name for key, name in TRIAL_FILES.items()}
        records = _redcap_records(self.tidy, self.identifiers)
        with atomic_file(paths["records"]) as temporary:
            write_csv(records, temporary)
        with atomic_file(paths["dictionary"]) as temporary:
            write_csv(_dictionary(records.columns), temporary)
        events = pd.DataFrame({"event_name": list(VISITS), "arm_num": 1, "unique_event_name": [f"{v}_arm_1" for v in VISITS]})
        with atomic_file(paths["events"]) as temporary:
            write_csv(events, temporary)
        with atomic_file(paths["treatments"]) as temporary:
            write_csv(self.treatments, temporary)
        paths["lots"].mkdir(exist_ok=True)
        with atomic_file(paths["lots"] / "composition.tsv") as temporary:
            write_tsv(self.composition.reset_index(), temporary)
        with atomic_file(paths["lots"] / "potency.tsv") as temporary:
            write_tsv(self.potency, temporary)
        with atomic_file(paths["truth"]) as temporary:
            temporary.write_text(json.dumps(self.truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return paths


def simulate_trial(
    n_lots: int = 12,
    patients_per_lot: int = 8,
    vehicle_patients: int = 24,
    *,
    effect_per_sd: float = -6.0,
    treatment_effect: float = -8.0,
    signs: bool = True,
    seed: int = 0,
) -> SimulatedTrial:
    """Simulate a trial whose OSDI change at day 84 moves ``effect_per_sd`` points per SD of growth-factor share.

    ``effect_per_sd`` = 0 gives the null trial (no composition effect on any outcome). ``signs`` False
    simulates the OSDI only (fast, for repeated null simulations).
    """
    rng = np.random.default_rng(seed)
    lots = [f"L{k + 1:02d}" for k in range(n_lots)]
    composition = pd.DataFrame({
        "class_share:growth_factor": rng.uniform(0.10, 0.25, n_lots),
        "class_share:anti_inflammatory": rng.uniform(0.02, 0.08, n_lots),
        "class_share:lubricating": rng.uniform(0.03, 0.09, n_lots),
        "serum_share": rng.uniform(0.01, 0.12, n_lots),
        "lysis_share": rng.uniform(0.03, 0.10, n_lots),
        "key_factor:EGF": rng.normal(26.5, 0.5, n_lots),
    }, index=pd.Index(lots, name="lot"))
    potency = pd.DataFrame({"lot": lots, "assay": "scratch_closure_pct", "value": rng.uniform(30, 70, n_lots).round(1)})
    gf = composition[PLANTED_FEATURE]
    z = (gf - gf.mean()) / gf.std(ddof=1)
    lot_noise = pd.Series(rng.normal(0, 1.5, n_lots), index=lots)

    patients, arms, patient_lots = [], [], []
    for lot in lots:
        for _ in range(patients_per_lot):
            patients.append(f"{len(patients) + 1001}")
            arms.append("secretome")
            patient_lots.append(lot)
    for _ in range(vehicle_patients):
        patients.append(f"{len(patients) + 1001}")
        arms.append("vehicle")
        patient_lots.append(VEHICLE_LOT)
    rows: list[tuple[str, str, str, str, str]] = []
    defect_rows = []
    for patient, arm, lot in zip(patients, arms, patient_lots):
        treated = arm == "secretome"
        final = -4.0 + (treatment_effect if treated else 0.0)
        if treated:
            final += effect_per_sd * float(z[lot]) + float(lot_noise[lot])
        final += rng.normal(0, 6)
        baseline = float(np.clip(rng.normal(40, 8), 18, 85))
        for visit, fraction in zip(VISITS, (0.0, 0.5, 1.0)):
            latent = float(np.clip(baseline + fraction * final, 0, 100))
            items = np.clip(np.rint(latent / 25 + rng.normal(0, 0.35, 12)), 0, 4).astype(int)
            rows += [(patient, "", visit, f"osdi_{i + 1}", str(v)) for i, v in enumerate(items)]
        if not signs:
            continue
        person = rng.normal(0, 1)
        for eye in ("OD", "OS"):
            base_nibut = float(np.clip(rng.normal(6, 1.5) + person, 1, 20))
            base_spots = int(rng.poisson(8))
            base_osm = float(rng.normal(314, 7))
            for visit, fraction in zip(VISITS, (0.0, 0.5, 1.0)):
                gain = fraction * (3.0 if treated else 1.0)
                rows.append((patient, eye, visit, "nibut", f"{np.clip(base_nibut + gain + rng.normal(0, 0.8), 0.5, 60):.1f}"))
                rows.append((patient, eye, visit, "corneal_spots", str(int(rng.poisson(max(base_spots * (1 - 0.5 * fraction * (1.4 if treated else 0.6)), 0.1))))))
                rows.append((patient, eye, visit, "osmolarity", f"{np.clip(base_osm - fraction * (8 if treated else 3) + rng.normal(0, 3), 275, 400):.0f}"))
                rows.append((patient, eye, visit, "schirmer_1", f"{np.clip(rng.normal(9, 3), 0, 35):.0f}"))
        if rng.uniform() < 0.3:
            rate = (1.8 if treated else 1.0) / 14.0
            days = rng.exponential(1.0 / rate)
            healed = days <= 21
            defect_rows.append((patient, "OD", "day28", "days_to_reepithelialisation", f"{min(np.ceil(days), 21):.0f}"))
            defect_rows.append((patient, "OD", "day28", "reepithelialised", "1" if healed else "0"))
            rows.append((patient, "OD", "day0", "epi_defect_area_mm2", f"{rng.uniform(2, 12):.1f}"))
    tidy = pd.DataFrame(rows + defect_rows, columns=["patient", "eye", "visit", "variable", "value"])
    tidy["label"] = ""
    treatments = pd.DataFrame({"patient": patients, "eye": "", "arm": arms, "lot": patient_lots, "dose": "1 drop 4x daily",
                               "start": "2026-01-05", "end": "2026-03-30"})
    identifiers = pd.DataFrame({"patient": patients, "name_last": [f"Simulated{p}" for p in patients],
                                "dob": [f"19{50 + int(p) % 40}-0{1 + int(p) % 9}-1{int(p) % 9}" for p in patients]})
    truth = {"planted": {"measure": "osdi", "visit": "day84", "feature": PLANTED_FEATURE, "change_per_sd": effect_per_sd},
             "treatment_effect_osdi_day84": treatment_effect, "vehicle_change_osdi_day84": -4.0,
             "null_features": [c for c in composition.columns if c != PLANTED_FEATURE] + ["potency:scratch_closure_pct"],
             "reepithelialisation_hazard_ratio_secretome": 1.8 if signs else None,
             "n_lots": n_lots, "patients_per_lot": patients_per_lot, "vehicle_patients": vehicle_patients, "seed": seed}
    return SimulatedTrial(tidy=tidy, treatments=treatments, composition=composition, potency=potency,
                          identifiers=identifiers, truth=truth)


def _redcap_records(tidy: pd.DataFrame, identifiers: pd.DataFrame) -> pd.DataFrame:
    """The tidy observations as a longitudinal REDCap export (``_od``/``_os`` fields, one row per event)."""
    names = tidy["variable"] + tidy["eye"].map({"": "", "OD": "_od", "OS": "_os"})
    wide = tidy.assign(field=names).pivot_table(index=["patient", "visit"], columns="field", values="value", aggfunc="first")
    wide = wide.reset_index()
    wide["redcap_event_name"] = wide["visit"] + "_arm_1"
    wide = wide.merge(identifiers, on="patient", how="left")
    wide.loc[wide["visit"] != VISITS[0], ["name_last", "dob"]] = None
    wide["visit_rank"] = wide["visit"].map({v: i for i, v in enumerate(VISITS)})
    wide = wide.sort_values(["patient", "visit_rank"]).rename(columns={"patient": "record_id"})
    fields = [c for c in wide.columns if c not in ("record_id", "redcap_event_name", "visit", "visit_rank", "name_last", "dob")]
    return wide[["record_id", "redcap_event_name", "name_last", "dob", *sorted(fields, key=_field_order)]]


def _field_order(name: str) -> tuple[int, str]:
    if name.startswith("osdi_"):
        return (0, f"{int(name.split('_')[1]):03d}")
    return (1, name)


def _dictionary(columns: pd.Index) -> pd.DataFrame:
    """A REDCap data dictionary for the simulated export (identifiers flagged; OSDI items as radio 0-4)."""
    rows = [{"Variable / Field Name": "record_id", "Form Name": "enrolment", "Field Type": "text", "Field Label": "Record ID"}]
    rows.append({"Variable / Field Name": "name_last", "Form Name": "enrolment", "Field Type": "text", "Field Label": "Last name", "Identifier?": "y"})
    rows.append({"Variable / Field Name": "dob", "Form Name": "enrolment", "Field Type": "text", "Field Label": "Date of birth",
                 "Text Validation Type OR Show Slider Number": "date_ymd", "Identifier?": "y"})
    for column in columns:
        if column in ("record_id", "redcap_event_name", "name_last", "dob"):
            continue
        if column.startswith("osdi_"):
            rows.append({"Variable / Field Name": column, "Form Name": "osdi", "Field Type": "radio", "Field Label": f"OSDI item {column.split('_')[1]}",
                         "Choices, Calculations, OR Slider Labels": "0, None of the time | 1, Some of the time | 2, Half of the time | 3, Most of the time | 4, All of the time"})
        else:
            rows.append({"Variable / Field Name": column, "Form Name": "examination", "Field Type": "text", "Field Label": column,
                         "Text Validation Type OR Show Slider Number": "number"})
    frame = pd.DataFrame(rows)
    for header in ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label", "Choices, Calculations, OR Slider Labels",
                   "Field Note", "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max", "Identifier?"):
        if header not in frame.columns:
            frame[header] = ""
    return frame[["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label", "Choices, Calculations, OR Slider Labels",
                  "Field Note", "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max", "Identifier?"]].fillna("")


def write_demo_trial(directory: str | Path) -> dict[str, Path]:
    """Write the demo trial (:data:`DEMO_TRIAL_PARAMETERS`) into ``directory``."""
    parameters = dict(DEMO_TRIAL_PARAMETERS)
    seed = parameters.pop("seed")
    return simulate_trial(**parameters, seed=seed).write(directory)
