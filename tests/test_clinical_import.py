"""Clinical imports: the REDCap test projects and the MUTT I trial table, identifiers, pseudonyms."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from secretome.clinical.importing import exposures, read_redcap, read_tidy, read_treatments, read_wide
from secretome.clinical.privacy import Pseudonymizer, load_key, suppress_small_cells
from secretome.errors import SecretomeInputError

pytestmark = pytest.mark.shared_data

# project: (records, rows, events, repeating instances, checkbox fields, checkbox choices, identifiers dropped)
EXPECTED = {
    "simple": (5, 5, 0, 0, 1, 6, 7),
    "longitudinal": (3, 18, 12, 0, 5, 25, 10),
    "repeating-instruments": (2, 6, 0, 4, 0, 0, 2),
    "checkboxes-1": (4, 4, 0, 0, 2, 9, 0),
    "clinical-trial-1": (500, 500, 0, 0, 0, 0, 6),
    "decimal-comma": (4, 4, 0, 0, 0, 0, 1),
    "validation-types-1": (1, 1, 0, 0, 1, 3, 14),
    "potentially-problematic-values": (2, 2, 0, 0, 0, 0, 0),
}


def _project(examples: Path, name: str) -> tuple[Path, Path, Path | None]:
    folder = examples / "clinical" / "redcapr_test_projects" / name
    dictionary = next(folder.glob("dict*.csv"))
    events = folder / "event.csv"
    return folder / "data.csv", dictionary, events if events.exists() else None


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_redcap_projects_import_with_their_counts(examples: Path, name: str) -> None:
    records, dictionary, events = _project(examples, name)
    result = read_redcap(records, dictionary, events=events)
    c = result.counts
    got = (c["records"], c["rows"], c["events"], c["repeating_instances"], c["checkbox_fields"], c["checkbox_choices"], c["identifiers_dropped"])
    assert got == EXPECTED[name]
    assert list(result.tidy.columns) == ["patient", "eye", "visit", "variable", "value", "label"]
    assert not set(result.tidy["variable"]) & set(result.dropped)


def test_identifiers_are_dropped_with_a_message(examples: Path) -> None:
    records, dictionary, _ = _project(examples, "simple")
    result = read_redcap(records, dictionary, pseudonymizer=Pseudonymizer(b"k" * 32))
    assert set(result.dropped) == {"name_first", "name_last", "address", "telephone", "email", "dob", "mugshot"}
    assert result.messages[0].startswith("dropped 7 direct-identifier column(s) at import: name_first (flagged")
    text = result.tidy.to_csv()
    for secret in ("Nutmouse", "nutty@mouse.com", "2003-08-30", "(405) 321-1111"):
        assert secret not in text
    assert result.tidy["patient"].str.fullmatch(r"P-[0-9a-f]{12}").all()


def test_choice_labels_checkboxes_and_events(examples: Path) -> None:
    records, dictionary, events = _project(examples, "longitudinal")
    result = read_redcap(records, dictionary, events=events)
    assert result.visits[:3] == ["enrollment_arm_1", "dose_1_arm_1", "visit_1_arm_1"]
    sex = result.tidy[result.tidy["variable"] == "sex"]
    assert set(sex["label"]) <= {"Female", "Male"} and len(sex) == 3
    records, dictionary, _ = _project(examples, "checkboxes-1")
    tidy = read_redcap(records, dictionary).tidy
    row = tidy[(tidy["patient"] == "1") & (tidy["variable"] == "check_two___c")].iloc[0]
    assert (row["value"], row["label"]) == ("1", "C")


def test_repeating_instruments_become_visits(examples: Path) -> None:
    records, dictionary, _ = _project(examples, "repeating-instruments")
    result = read_redcap(records, dictionary)
    assert result.visits == ["", "bp 1", "bp 2", "bp 3"]
    systolic = result.tidy[result.tidy["variable"] == "bp_systolic"]
    assert systolic.set_index(["patient", "visit"])["value"].to_dict() == {
        ("1", "bp 1"): "110", ("1", "bp 2"): "111", ("1", "bp 3"): "112", ("2", "bp 1"): "114"}


def test_validation_types_decimal_comma_and_problem_values(examples: Path) -> None:
    records, dictionary, _ = _project(examples, "decimal-comma")
    tidy = read_redcap(records, dictionary).tidy
    assert tidy[(tidy["patient"] == "1") & (tidy["variable"] == "height")]["value"].iloc[0] == "1.54"
    records, dictionary, _ = _project(examples, "potentially-problematic-values")
    result = read_redcap(records, dictionary)
    assert any("field date_before_validation: 'before validation 1' is not a date (date_ymd); kept as text" in m for m in result.messages)
    assert any("field integer_before_validation: 'before validation 1' is not a number (integer); kept as text" in m for m in result.messages)


def test_date_shift_is_per_patient_and_keeps_intervals(examples: Path) -> None:
    records, dictionary, _ = _project(examples, "repeating-instruments")
    pseudo = Pseudonymizer(b"a project key of sufficient length")
    plain = read_redcap(records, dictionary, pseudonymizer=pseudo)
    shifted = read_redcap(records, dictionary, pseudonymizer=pseudo, shift=True)
    pick = lambda t: t.tidy[t.tidy["variable"] == "date_enrolled"].set_index("patient")["value"]  # noqa: E731
    delta = pd.to_datetime(pick(shifted)) - pd.to_datetime(pick(plain))
    alias = pseudo.patient("1")
    assert delta[alias].days == pseudo.shift_days("1") and abs(pseudo.shift_days("1")) <= 180
    assert pseudo.patient("1") == Pseudonymizer(b"a project key of sufficient length").patient("1")
    assert pseudo.patient("1") != Pseudonymizer(b"another project key, long enough").patient("1")


def test_mutt1_trial_table_imports(examples: Path) -> None:
    result = read_wide(examples / "clinical" / "mutt1_corneal_ulcer_trial" / "mutt1.csv", patient="pid")
    assert result.counts["records"] == 323 and result.visits == ["0", "3"]
    counts = result.tidy["variable"].value_counts().to_dict()
    assert counts == {"logmar": 615, "tr": 323, "outofwindow": 292}  # NA (not measured) values are absent


def test_tidy_and_treatment_tables(tmp_path: Path) -> None:
    tidy = tmp_path / "tidy.tsv"
    tidy.write_text("patient\teye\tvisit\tvariable\tvalue\nA1\tright\t0\tnibut\t8\nA1\tL\t0\tnibut\t9\nA1\t\t0\temail\tx@y.org\n")
    result = read_tidy(tidy)
    assert list(result.tidy["eye"]) == ["OD", "OS"] and "email" in result.dropped and result.messages
    tidy.write_text("patient\teye\tvisit\tvariable\tvalue\nA1\t\t0\tsurgery_date\t2024-03-01\nA1\tOD\t0\tnibut\t8\n")
    pseudo = Pseudonymizer(b"a project key of sufficient length")
    shifted = read_tidy(tidy, pseudonymizer=pseudo, shift=True).tidy
    moved = pd.Timestamp(shifted["value"].iloc[0]) - pd.Timestamp("2024-03-01")
    assert moved.days == pseudo.shift_days("A1") and shifted["value"].iloc[1] == "8"
    treatments = tmp_path / "treat.csv"
    treatments.write_text("patient,eye,lot,dose,start,end\nA1,,L-001,2 drops qid,2024-01-01,2024-02-01\n")
    table = read_treatments(treatments)
    assert exposures(table).to_dict("records") == [
        {"patient": "A1", "eye": "OD", "arm": "L-001", "lot": "L-001"}, {"patient": "A1", "eye": "OS", "arm": "L-001", "lot": "L-001"}]
    treatments.write_text("patient,eye,lot,dose,start,end\nA1,OD,L-001,1,2024-03-01,2024-02-01\n")
    with pytest.raises(SecretomeInputError, match="row 2: end is before start"):
        read_treatments(treatments)


def test_key_file_and_small_cells(tmp_path: Path) -> None:
    key_file = tmp_path / "project.key"
    key, note = load_key(key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600 and "new key" in note
    assert load_key(key_file)[0] == key
    table = pd.DataFrame({"arm": ["A", "B"], "n_patients": [12, 3], "rate": [0.5, 1.0]})
    out = suppress_small_cells(table, value_columns=["rate"], min_patients=5)
    assert out.loc[1, "rate"] is None and out.loc[1, "n_patients"] == "< 5" and out.loc[1, "note"].startswith("suppressed")
    assert out.loc[0, "rate"] == 0.5


def test_mutt1_baseline_adjusted_comparison_reproduces_the_publication(examples: Path) -> None:
    """Prajna et al. 2013: voriconazole 0.18 logMAR worse than natamycin at 3 months (95% CI 0.05-0.30, P = .006)."""
    from secretome.clinical.analysis import baseline_adjusted_effect

    tidy = read_wide(examples / "clinical" / "mutt1_corneal_ulcer_trial" / "mutt1.csv", patient="pid").tidy
    wide = tidy.pivot(index="patient", columns=["variable", "visit"], values="value")
    table = pd.DataFrame({"baseline": pd.to_numeric(wide[("logmar", "0")]), "value": pd.to_numeric(wide[("logmar", "3")]),
                          "arm": wide[("tr", "")], "excluded": wide[("outofwindow", "")]})
    primary = table[table["excluded"] == "0"]
    result = baseline_adjusted_effect(primary, reference="Natamycin").iloc[0]
    assert result["arm"] == "Voriconazole" and result["n_patients"] == 284
    assert round(result["difference"], 2) == 0.18 and round(result["ci_low"], 2) == 0.05 and round(result["ci_high"], 2) == 0.30
    assert round(result["p_value"], 3) == 0.006
