"""The simulated trial: its planted composition effect is recovered, and null trials find nothing.

Under the complete null (no composition effect on the outcome) Benjamini-Hochberg controls the chance
of any false finding at alpha = 0.05, so about 5% of null trials may show one; 100 null trials must not
show more than the binomial upper tail allows (P(X >= 12 | n = 100, p = 0.05) < 0.005).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secretome.clinical.analysis import change_from_baseline, composition_link, minimal_detectable_r
from secretome.clinical.importing import exposures, read_redcap, read_treatments
from secretome.clinical.lots import lot_composition
from secretome.clinical.privacy import Pseudonymizer
from secretome.clinical.scoring import score
from secretome.clinical_datasets import PLANTED_FEATURE, VEHICLE_LOT, simulate_trial, write_demo_trial


def _link(trial, *, only=None):
    scored = score(trial.tidy, only=only)
    changes = change_from_baseline(scored, "day0")
    exposure = exposures(trial.treatments)
    composition = trial.composition.join(trial.potency.pivot(index="lot", columns="assay", values="value").add_prefix("potency:"))
    return composition_link(changes, exposure, composition, measure="osdi", visit="day84")


def test_demo_trial_files_recover_the_planted_effect(tmp_path: Path) -> None:
    paths = write_demo_trial(tmp_path)
    pseudo = Pseudonymizer(b"test key for the simulated trial")
    imported = read_redcap(paths["records"], paths["dictionary"], events=paths["events"], pseudonymizer=pseudo)
    assert imported.counts["records"] == 120 and imported.counts["events"] == 3
    assert set(imported.dropped) == {"name_last", "dob"}
    changes = change_from_baseline(score(imported.tidy), "day0_arm_1")
    exposure = exposures(read_treatments(paths["treatments"], pseudonymizer=pseudo))
    table, info = composition_link(changes, exposure, lot_composition(paths["lots"]), measure="osdi", visit="day84_arm_1")
    assert info["n_lots"] == 12 and info["lots_without_composition"] == [VEHICLE_LOT]
    planted = table.set_index("feature").loc[PLANTED_FEATURE]
    assert planted["significant"] and planted["ci_low"] <= -6.0 <= planted["ci_high"]
    assert planted["improvement_per_sd"] > 0
    assert table[table["feature"] != PLANTED_FEATURE]["significant"].sum() == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_effect_is_found_across_seeds(seed: int) -> None:
    table, _ = _link(simulate_trial(seed=seed, signs=False), only=["osdi"])
    assert table.set_index("feature").loc[PLANTED_FEATURE, "significant"]


def test_null_trials_find_nothing_at_the_stated_error_rate() -> None:
    hits = 0
    for seed in range(100):
        table, _ = _link(simulate_trial(effect_per_sd=0.0, signs=False, seed=10_000 + seed), only=["osdi"])
        hits += bool(table["significant"].any())
    assert hits <= 11, f"{hits} of 100 null trials had a BH-significant feature"


def test_statement_says_what_twelve_lots_can_show() -> None:
    _, info = _link(simulate_trial(seed=5, signs=False), only=["osdi"])
    text = " ".join(info["statement"])
    assert "12 lots" in text and f"|r| >= {minimal_detectable_r(12):.2f}" in text
    assert "not that a component causes it" in text
    assert minimal_detectable_r(3) is None


def test_demo_trial_is_reproducible(tmp_path: Path) -> None:
    first, second = write_demo_trial(tmp_path / "a"), write_demo_trial(tmp_path / "b")
    for key in ("records", "dictionary", "events", "treatments", "truth"):
        assert first[key].read_bytes() == second[key].read_bytes(), key
    assert (first["lots"] / "composition.tsv").read_bytes() == (second["lots"] / "composition.tsv").read_bytes()
