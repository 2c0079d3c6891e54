"""The outcomes job and CLI: demo trial end to end, privacy of every output, lots from real profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from conftest import run_main
from secretome.clinical.lots import composition_from_summaries, lot_composition
from secretome.clinical_datasets import PLANTED_FEATURE, write_demo_trial
from secretome.errors import SecretomeInputError
from secretome.jobs.outcomes import OUTPUT_FILES, outcomes_job


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("outcomes")
    paths = write_demo_trial(root / "trial")
    result = outcomes_job(paths["records"], dictionary=paths["dictionary"], events=paths["events"], treatments=paths["treatments"],
                          lots=paths["lots"], out=root / "out", key=root / "project.key", reference_arm="vehicle",
                          min_cell_patients=10)
    assert result.kind == "outcomes" and result.files == OUTPUT_FILES
    return root, root / "out"


def test_outputs_are_written_and_the_planted_link_is_reported(demo_output: tuple[Path, Path]) -> None:
    _, out = demo_output
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    summary = json.loads((out / "outcomes.json").read_text())
    osdi = {r["feature"]: r for r in summary["composition"]["osdi"]["table"]}
    assert osdi[PLANTED_FEATURE]["significant"] and summary["composition"]["osdi"]["n_lots"] == 12
    model = {r["term"]: r for r in summary["models"]["osdi"]["fixed"]}
    assert model["visitday84_arm_1:treatmentsecretome"]["ci_high"] < 0  # secretome improves OSDI beyond vehicle
    adjusted = {r["measure"]: r for r in summary["baseline_adjusted"]}["osdi"]
    assert adjusted["ci_low"] <= -8.0 <= adjusted["ci_high"]  # the planted treatment effect on OSDI at day 84
    assert summary["survival"]["cox"][0]["term"] == "arm:secretome"
    assert {r["criteria"] for r in summary["diagnosis_counts"]} == {"TFOS DEWS II 2017", "TFOS DEWS III 2025"}


def test_no_identifier_or_raw_id_reaches_any_output(demo_output: tuple[Path, Path]) -> None:
    root, out = demo_output
    records = pd.read_csv(root / "trial" / "trial_records.csv", dtype=str)
    names = set(records["name_last"].dropna())
    births = set(records["dob"].dropna())
    for name in OUTPUT_FILES:
        text = (out / name).read_text(encoding="utf-8")
        assert not any(n in text for n in names), name
        assert not any(b in text for b in births), name
        assert "name_last\t" not in text
    scores = pd.read_csv(out / "scores.tsv", sep="\t", dtype=str)
    assert scores["patient"].str.fullmatch(r"P-[0-9a-f]{12}").all()
    assert not set(scores["patient"]) & set(records["record_id"])
    report = (out / "report.html").read_text(encoding="utf-8")
    body = report.split("</head>")[1]
    assert "cdn.plot.ly" not in body and not re.search(r"<script[^>]+src=", report) and '"showSendToCloud": false' in report
    assert report.count('id="plotly-bundle"') == 1  # plotly.js embedded from the package, once (compressed)


def test_same_key_file_gives_the_same_pseudonyms(demo_output: tuple[Path, Path]) -> None:
    root, out = demo_output
    trial = root / "trial"
    again = outcomes_job(trial / "trial_records.csv", dictionary=trial / "trial_dictionary.csv", events=trial / "trial_events.csv",
                         treatments=trial / "trial_treatments.csv", out=root / "again", key=root / "project.key", reference_arm="vehicle")
    first = pd.read_csv(out / "scores.tsv", sep="\t")["patient"]
    assert set(pd.read_csv(again.out / "scores.tsv", sep="\t")["patient"]) == set(first)
    assert not (again.out / "composition_link.tsv").read_text().strip().split("\n")[1:]  # no lots given: no link rows


def test_small_cells_are_suppressed(demo_output: tuple[Path, Path]) -> None:
    _, out = demo_output  # written with min_cell_patients=10; each secretome lot has 8 patients, vehicle 24
    trajectories = pd.read_csv(out / "trajectories.tsv", sep="\t", dtype=str, keep_default_na=False)
    lots = trajectories[trajectories["group_by"] == "lot"]
    secretome_lots = lots[lots["group"] != "VEH-01"]
    assert (secretome_lots["mean"] == "").all() and (secretome_lots["n_patients"] == "< 10").all()
    assert secretome_lots["note"].str.startswith("suppressed").all()
    assert (lots[lots["group"] == "VEH-01"]["mean"] != "").all()
    assert (trajectories[trajectories["group_by"] == "arm"]["mean"] != "").all()
    responders = pd.read_csv(out / "responders.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert (responders[(responders["group_by"] == "lot") & (responders["group"] != "VEH-01")]["rate"] == "").all()
    summary = json.loads((out / "outcomes.json").read_text())
    assert summary["privacy"]["min_cell_patients"] == 10
    assert {r["lot"]: r["n_patients"] for r in summary["group_sizes"]["lot"]}["L01"] == "< 10"


def test_cli_demo_and_missing_inputs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_main(monkeypatch, capsys, "outcomes", "--demo", "--out", tmp_path / "demo")
    assert code == 0 and "120 patients" in out and "2 identifier field(s) dropped" in out
    code, _, err = run_main(monkeypatch, capsys, "outcomes", "--out", tmp_path / "none")
    assert code == 2 and "needs RECORDS and --treatments" in err


def test_records_without_clinical_measures_are_refused(examples: Path, tmp_path: Path) -> None:
    folder = examples / "clinical" / "redcapr_test_projects" / "longitudinal"
    treatments = tmp_path / "treatments.csv"
    treatments.write_text("patient,eye,lot,dose,start,end\n1,,L1,1,,\n")
    with pytest.raises(SecretomeInputError, match="no clinical measure could be scored"):
        outcomes_job(folder / "data.csv", dictionary=folder / "dictionary.csv", events=folder / "event.csv",
                     treatments=treatments, out=tmp_path / "out")


def test_lot_composition_from_a_real_profile(tmp_path: Path) -> None:
    from test_profile import anndata_from_simulation

    from conftest import profiled

    from secretome.datasets import DEMO_PARAMETERS, simulate_secretome

    _, summary = profiled(anndata_from_simulation(simulate_secretome(**DEMO_PARAMETERS)), group="lot")
    (tmp_path / "lots" / "demo_profile").mkdir(parents=True)
    (tmp_path / "lots" / "demo_profile" / "profile.json").write_text(json.dumps(summary))
    composition = lot_composition(tmp_path / "lots")
    assert list(composition.index) == ["lot_A", "lot_B"]
    assert {"serum_share", "class_share:growth_factor", "key_factor:EGF"} <= set(composition.columns)
    assert composition.loc["lot_B", "serum_share"] == summary["groups"]["means"]["lot_B"]["serum_share"]
    assert composition.loc["lot_B", "serum_share"] > composition.loc["lot_A", "serum_share"]  # lot B carries more FBS
    (tmp_path / "lots" / "potency.tsv").write_text("lot\tassay\tvalue\nlot_A\tscratch\t55\nlot_B\tscratch\t41\n")
    assert lot_composition(tmp_path / "lots").loc["lot_A", "potency:scratch"] == 55
    del summary["groups"]
    single = composition_from_summaries({"LOT-7": summary})
    assert list(single.index) == ["LOT-7"] and single.loc["LOT-7", "serum_share"] == summary["purity"]["mean_shares"]["serum_share"]


def test_report_renders_offline_in_headless_chromium(demo_output: tuple[Path, Path]) -> None:
    from test_report import CHROMIUM, CHROMIUM_ARGS, _browser_available

    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    _, out = demo_output
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto((out / "report.html").resolve().as_uri())
        wanted = page.eval_on_selector_all("script[id$='-data']", "nodes => nodes.length")
        page.wait_for_function("n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=wanted, timeout=30000)
        cloud = page.eval_on_selector_all("[data-title*='Chart Studio'], [data-title*='cloud']", "nodes => nodes.length")
        browser.close()
    assert errors == [] and requests == [], "the report must draw without errors and never touch the network"
    assert wanted >= 20 and cloud == 0


def test_results_are_split_by_sensitivity(demo_output: tuple[Path, Path], tmp_path: Path) -> None:
    from secretome.clinical.results import AGGREGATE_FILES, PATIENT_LEVEL_FILES, is_patient_level, load_summary, load_table

    _, out = demo_output
    assert set(PATIENT_LEVEL_FILES) | set(AGGREGATE_FILES) == set(OUTPUT_FILES)
    assert is_patient_level("scores.tsv") and not is_patient_level("trajectories.tsv")
    assert load_summary(out)["n_patients"] == 120
    assert len(load_table(out, "diagnoses.tsv")) == 2 * 3 * 120
    with pytest.raises(SecretomeInputError, match="not an outcomes output"):
        load_summary(tmp_path)


def test_tidy_table_input_and_progress(tmp_path: Path) -> None:
    from secretome.clinical_datasets import simulate_trial
    from secretome.tables import write_tsv

    trial = simulate_trial(n_lots=4, patients_per_lot=5, vehicle_patients=10, seed=7, signs=False)
    write_tsv(trial.tidy, tmp_path / "tidy.tsv")
    trial.treatments.to_csv(tmp_path / "treatments.csv", index=False)
    steps: list[tuple[str, float | None]] = []
    result = outcomes_job(tmp_path / "tidy.tsv", treatments=tmp_path / "treatments.csv", out=tmp_path / "out", lots=trial.composition,
                          key=b"another test key, long enough", reference_arm="vehicle", progress=lambda s, f: steps.append((s, f)))
    assert steps[0][1] == 0.0 and steps[-1] == ("done", 1.0)
    summary = json.loads((result.out / "outcomes.json").read_text())
    assert summary["n_patients"] == 30 and summary["visits"] == ["day0", "day28", "day84"]
    assert summary["composition"]["osdi"]["n_lots"] == 4 and summary["inputs"]["lots"] == "composition table"
    assert {m["id"] for m in summary["measures"]} == {"osdi", "osdi6"}


def test_composition_from_registry_metrics() -> None:
    from secretome.clinical.lots import composition_from_metrics

    rows = [("L1", "serum_share", 0.02), ("L1", "class_share:growth_factor", 0.2), ("L1", "factor:EGF", 26.1),
            ("L1", "n_proteins", 900.0), ("L2", "serum_share", 0.09), ("L2", "factor:EGF", None), ("L2", "potency:scratch", 40.0)]
    table = composition_from_metrics(rows)
    assert list(table.index) == ["L1", "L2"] and "n_proteins" not in table.columns
    assert table.loc["L1", "key_factor:EGF"] == 26.1 and pd.isna(table.loc["L2", "key_factor:EGF"])
    with pytest.raises(SecretomeInputError, match="two values of serum_share"):
        composition_from_metrics(rows + [("L1", "serum_share", 0.03)])


def test_bad_item_error_names_the_source_record(tmp_path: Path) -> None:
    (tmp_path / "tidy.tsv").write_text("patient\teye\tvisit\tvariable\tvalue\nA17\t\tv0\tosdi_3\t7\nA17\t\tv1\tosdi_3\t2\n")
    (tmp_path / "treatments.csv").write_text("patient,eye,lot,dose,start,end\nA17,,L1,1,,\n")
    with pytest.raises(SecretomeInputError, match=r"record A17, visit v0, field osdi_3: 7 is outside 0-4"):
        outcomes_job(tmp_path / "tidy.tsv", treatments=tmp_path / "treatments.csv", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_composition_from_the_registry(tmp_path: Path) -> None:
    """Lots registered and profiled in the registry give their composition by lot number."""
    from test_registry import register_demo

    from secretome.registry import auth, services
    from secretome.registry.db import open_registry
    from secretome.registry.models import Dataset
    from secretome.registry.worker import Worker, wait_for

    registry = open_registry(tmp_path / "data")
    try:
        with registry.session() as session:
            auth.add_user(session, "ana", "analyst", "analyst-password")
            prep = services.create_preparation(session, "ana", {"name": "BM-MSC"})
            ids = {"lot_A": services.create_lot(session, "ana", {"number": "lot_A", "preparation_id": prep.id}).id,
                   "lot_B": services.create_lot(session, "ana", {"number": "lot_B", "preparation_id": prep.id}).id}
        dataset_id = register_demo(registry, ids)
        with registry.session() as session:
            run_id = services.create_run(session, registry.data_dir, "ana", session.get(Dataset, dataset_id), "profile", {}).id
        Worker(registry).run_once()
        assert wait_for(registry, run_id).status == "done"
        with registry.session() as session:
            table = services.lot_composition(session, ["lot_A", "lot_B", "not-registered"])
    finally:
        registry.close()
    assert list(table.index) == ["lot_A", "lot_B"]
    assert table.loc["lot_B", "serum_share"] > table.loc["lot_A", "serum_share"] and "key_factor:HGF" in table.columns
    assert "n_proteins" not in table.columns
