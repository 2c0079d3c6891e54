"""The job layer: one function per command, one naming scheme, the same bytes from every shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from secretome import datasets
from secretome.errors import SecretomeInputError
from secretome.jobs import JobResult, annotate_job, comparability_job, compare_job, profile_job, read_job
from secretome.jobs import naming
from secretome.outputs import MARKER

CONTRAST = "lot_B-lot_A"


@pytest.fixture(scope="module")
def demo() -> dict[str, Path]:
    paths = datasets.demo_paths()
    return {"table": Path(paths["table"]), "samples": Path(paths["samples"])}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, demo) -> dict[str, JobResult]:
    root = tmp_path_factory.mktemp("jobs")
    steps: list[tuple[str, float | None]] = []
    profile = profile_job(demo["table"], root / "profile", samples=demo["samples"], group="lot", design="~ lot",
                          contrast=CONTRAST, reference=["lot_A"], progress=lambda step, done: steps.append((step, done)))
    compare = compare_job(demo["table"], root / "compare", samples=demo["samples"], design="~ lot", contrast=CONTRAST)
    lots = comparability_job(demo["table"], root / "lots", samples=demo["samples"], reference=["lot_A"])
    return {"profile": profile, "compare": compare, "comparability": lots, "steps": steps}  # type: ignore[dict-item]


def test_profile_with_statistics_writes_the_same_tables_as_compare_and_comparability(runs):
    profile, compare, lots = runs["profile"], runs["compare"], runs["comparability"]
    statistics = [naming.differential_file(CONTRAST), naming.enrichment_file(CONTRAST), *naming.COMPARABILITY_FILES]
    assert set(compare.files) == {naming.differential_file(CONTRAST), naming.enrichment_file(CONTRAST), naming.REPORT, MARKER}
    assert set(lots.files) == {*naming.COMPARABILITY_FILES, naming.REPORT, MARKER}
    assert set(profile.files) >= {*statistics, naming.REPORT, naming.PROFILE_JSON, naming.DATASET}
    for name in statistics:
        other = compare if name in compare.files else lots
        assert (profile.out / name).read_bytes() == (other.out / name).read_bytes(), name


def test_jobs_return_what_they_wrote_and_report_progress(runs):
    for kind in ("profile", "compare", "comparability"):
        result = runs[kind]
        assert result.kind == kind and sorted(p.name for p in result.out.iterdir()) == sorted(result.files)
        json.dumps(result.summary)
    steps = runs["steps"]
    fractions = [done for _, done in steps]
    assert steps[0][0].startswith("reading") and steps[-1] == ("done", 1.0)
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)


def test_compare_counts_are_the_pages_counts(runs):
    compare = runs["compare"]
    summary = json.loads((runs["profile"].out / naming.PROFILE_JSON).read_text())
    assert compare.summary["n_tested"] == summary["differential"]["n_tested"]
    assert compare.summary["n_up"] == summary["differential"]["n_up"]
    page = (compare.out / naming.REPORT).read_text(encoding="utf-8")
    assert f"{compare.summary['n_tested']} proteins tested" in page


def test_cli_python_api_and_job_give_byte_identical_tables(tmp_path, monkeypatch, capsys, demo, runs):
    from secretome.io import read
    from secretome.jobs.common import results_tsv
    from secretome.stats.comparability import comparability
    from secretome.stats import preprocess as pp
    from secretome.stats.compare import compare

    out = tmp_path / "cli"
    code, stdout, err = run_main(monkeypatch, capsys, "compare", demo["table"], "--samples", demo["samples"],
                                 "--design", "~ lot", "--contrast", CONTRAST, "--out", out)
    assert code == 0, err
    name = naming.differential_file(CONTRAST)
    assert (out / name).read_bytes() == (runs["compare"].out / name).read_bytes()
    from secretome.annotate import annotate, with_composition

    work, table = compare(annotate(read(demo["table"], samples=demo["samples"])), "~ lot", CONTRAST)
    assert results_tsv(with_composition(table, work.var)).encode() == (out / name).read_bytes()
    assert f"{runs['compare'].summary['n_tested']} proteins tested" in stdout

    lots_out = tmp_path / "cli-lots"
    code, _, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", demo["samples"],
                            "--reference", "lot_A", "--out", lots_out)
    assert code == 0, err
    work = pp.filter_valid(read(demo["table"], samples=demo["samples"]), min_valid=0)
    pp.log2_transform(work)
    pp.normalize(work, "median")
    result = comparability(work, reference=["lot_A"])
    assert results_tsv(result.lots).encode() == (lots_out / naming.COMPARABILITY_LOTS).read_bytes()
    assert (lots_out / naming.COMPARABILITY_FACTORS).read_bytes() == (runs["comparability"].out / naming.COMPARABILITY_FACTORS).read_bytes()


def test_read_and_annotate_jobs(tmp_path, demo):
    result = read_job(demo["table"], tmp_path / "d.h5ad", samples=demo["samples"])
    assert result.kind == "read" and result.files == ("d.h5ad",) and result.summary["n_samples"] == 12
    identifiers = tmp_path / "ids.txt"
    identifiers.write_text("P01133\nEGF\nALB\n")
    annotated = annotate_job(identifiers, tmp_path / "classes.tsv")
    assert annotated.files == ("classes.tsv",) and annotated.summary["n_identifiers"] == 3
    assert (tmp_path / "classes.tsv").read_text().startswith("query\taccession\tgene")


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda out, demo: compare_job(demo["table"], out, samples=demo["samples"], design="~ lot", contrast=CONTRAST,
                                       min_valid=-1), "min_valid -1 is negative"),
        (lambda out, demo: comparability_job(demo["table"], out, samples=demo["samples"], reference=["lot_A"], margin=0.0),
         "margin 0.0 is not positive"),
        (lambda out, demo: profile_job(None, out, demo=True, margin=1.0), "without reference: margin"),
        (lambda out, demo: profile_job(demo["table"], out, demo=True), "give either input or demo"),
    ],
)
def test_library_errors_speak_of_parameters_the_cli_of_flags(tmp_path, demo, call, words):
    with pytest.raises(SecretomeInputError) as error:
        call(tmp_path / "out", demo)
    assert words in str(error.value) and "--" not in str(error.value)
    assert not (tmp_path / "out").exists()
    from secretome.cli import FLAGS

    reworded = str(error.value.reworded(FLAGS))
    assert any(flag in reworded for flag in FLAGS.values())


@pytest.mark.parametrize("command", ["profile", "compare", "comparability", "read", "info", "annotate"])
def test_help_names_values_not_python_types(monkeypatch, capsys, command):
    code, stdout, _ = run_main(monkeypatch, capsys, command, "--help")
    assert code == 0
    assert "<bool>" not in stdout and "<list[" not in stdout, stdout


def test_xlsx_workbook_holds_lot_verdicts_and_seed_shares(tmp_path):
    import openpyxl

    result = profile_job(None, tmp_path / "run", demo=True, reference=["lot_A"], xlsx=True)
    assert naming.WORKBOOK in result.files
    workbook = openpyxl.load_workbook(result.out / naming.WORKBOOK)
    assert workbook.sheetnames == ["lots", "samples", "verdicts", "proteins", "comparability lots", "comparability factors"]
    rows = list(workbook["lots"].iter_rows(values_only=True))
    header, lots = rows[0], {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert header[:3] == ("lot", "samples", "purity") and workbook["lots"].freeze_panes == "A2"
    summary = json.loads((result.out / naming.PROFILE_JSON).read_text())
    for card in summary["overview"]:
        row = lots[card["level"]]
        assert row["purity"] == card["purity_status"]
        for name, share in card["seed_shares"].items():
            assert row[f"{name} share of secreted"] == pytest.approx(share)
    assert lots["lot_B"]["comparison with reference"] == summary["comparability"]["lot_verdicts"]["lot_B"]
    samples = list(workbook["samples"].iter_rows(values_only=True))
    assert len(samples) == 1 + summary["n_samples"]
