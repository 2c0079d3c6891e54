"""The assay job, layouts, generic tables, malformed exports, QC, balance, potency and agreement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.assays import assay_proteome_agreement, cytokine_balance, potency_results, read_assay_data, to_anndata
from secretome.assays.config import analyte_gene
from secretome.assays.curves import logistic
from secretome.assays.qc import assay_qc, levey_jennings
from secretome.assays.quantify import FLAG_CODES, quantify
from secretome.errors import SecretomeInputError
from secretome.io.assay import read_assay
from secretome.jobs.assay import assay_job
from conftest import run_main

TRUTH = {"A": 30.0, "B": 20000.0, "xmid": np.log(400.0), "scal": 1.0, "g": 0.8}
LEVELS = 5000 / 2.5 ** np.arange(8)


def _long_plate(tmp_path: Path, *, analytes=("IL-1RA", "IL-1b", "IL-10", "TNF-alpha"), samples=None, name="plate.csv", lots=None) -> Path:
    """A generic long table with standards (signal, expected) and samples of known concentration."""
    samples = samples or {"lotA_1": 300.0, "lotA_2": 320.0, "lotB_1": 90.0, "lotB_2": 95.0, "lotC_1": 2000.0, "lotC_2": 2100.0, "low": 0.5}
    rows = []
    for k, analyte in enumerate(analytes):
        for level, x in enumerate(LEVELS, start=1):
            for rep in range(2):
                y = logistic(np.log(x), TRUTH) * (1 + 0.01 * (-1) ** rep)
                rows.append({"plate": "1", "well": f"{'AB'[rep]}{level + 8 * k}", "sample": f"Standard{level}", "analyte": analyte,
                             "signal": y, "expected": x, "unit": "pg/mL"})
        for i, (sample, conc) in enumerate(samples.items()):
            scale = 1 + 0.5 * k
            y = logistic(np.log(conc * scale), TRUTH)
            rows.append({"plate": "1", "well": f"{'CDEFGHIJKLMNOP'[i]}{k + 1}", "sample": sample, "analyte": analyte, "signal": y,
                         "expected": "", "unit": "pg/mL", "dilution": 1})
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _well(result, sample: str, analyte: str) -> pd.Series:
    wells = result.wells
    return wells[(wells["sample"] == sample) & (wells["analyte"] == analyte)].iloc[0]


def test_long_table_with_standards_round_trips_known_concentrations(tmp_path: Path) -> None:
    read = read_assay(_long_plate(tmp_path))
    assert read.format == "long" and read.quantity == "signal"
    result = quantify(read, model="5pl", weights="1/y^2")
    assert (result.curves["status"] == "fitted").all()
    assert _well(result, "lotA_1", "IL-1RA")["corrected"] == pytest.approx(300.0, rel=5e-3)
    assert _well(result, "lotB_1", "IL-10")["corrected"] == pytest.approx(90 * 2.0, rel=5e-3)
    assert _well(result, "low", "IL-1RA")["flag"] in {"<LLOQ", "<curve"}
    lloq = result.curves.set_index("analyte").loc["IL-1RA", "lloq"]
    assert lloq == pytest.approx(LEVELS.min())


def test_substitution_is_recorded_and_flags_kept(tmp_path: Path) -> None:
    read = read_assay(_long_plate(tmp_path))
    half = quantify(read, model="5pl", weights="1/y^2", substitution="lloq/2")
    root = quantify(read, model="5pl", weights="1/y^2", substitution="lloq/sqrt2")
    low_half, low_root = _well(half, "low", "IL-1RA"), _well(root, "low", "IL-1RA")
    assert low_half["flag"] == low_root["flag"] != "ok"
    assert low_half["reported"] == pytest.approx(LEVELS.min() / 2)
    assert low_root["reported"] == pytest.approx(LEVELS.min() / np.sqrt(2))
    assert half.params["substitution"] == "lloq/2"


def test_anndata_container_and_annotation_work_on_assay_data(tmp_path: Path) -> None:
    adata = to_anndata(quantify(read_assay(_long_plate(tmp_path)), model="5pl", weights="1/y^2"))
    assert adata.shape == (7, 4)
    assert list(adata.var["gene"]) == ["IL1RN", "IL1B", "IL10", "TNF"]
    assert set(adata.layers) == {"signal", "concentration", "flags"}
    assert adata.uns["assay"]["curves"]["analyte"] == ["IL-1RA", "IL-1b", "IL-10", "TNF-alpha"]
    assert adata.layers["flags"][list(adata.obs_names).index("low"), 0] != FLAG_CODES["ok"]
    from secretome.annotate import annotate

    annotated = annotate(adata.copy())
    assert "functional_classes" in annotated.var
    assert annotated.var.loc["IL-1RA", "gene"] == "IL1RN"


def test_synonym_table_maps_kit_names() -> None:
    assert analyte_gene("IL-1RA") == "IL1RN"
    assert analyte_gene("IL-8") == "CXCL8"
    assert analyte_gene("VEGF") == "VEGFA"
    assert analyte_gene("TSG-6") == "TNFAIP6"
    assert analyte_gene("TNF-α") == "TNF"
    assert analyte_gene("not a cytokine") == ""


def test_cytokine_balance_uses_quantified_values_and_states_its_rule(tmp_path: Path) -> None:
    adata = to_anndata(quantify(read_assay(_long_plate(tmp_path)), model="5pl", weights="1/y^2"))
    table = cytokine_balance(adata).set_index(["sample", "ratio"])
    row = table.loc[("lotA_1", "IL-1RA/IL-1b")]
    assert row["value"] == pytest.approx(1.0 / 1.5, rel=5e-3)  # IL-1b samples were made 1.5x IL-1RA
    assert "Arend" in row["source"]
    assert np.isnan(table.loc[("low", "IL-1RA/IL-1b"), "value"]) and not table.loc[("low", "IL-1RA/IL-1b"), "quantified"]


def test_potency_as_lot_attribute(tmp_path: Path) -> None:
    adata = to_anndata(quantify(read_assay(_long_plate(tmp_path)), model="5pl", weights="1/y^2"))
    adata.obs["lot"] = [name.split("_")[0] for name in adata.obs_names]
    spec = [{"analyte": "IL1RN", "kind": "potency", "low": 200, "unit": "pg/mL", "source": "release spec v1"}]
    results = {r["lot"]: r for r in potency_results(adata, spec)}
    assert results["lotA"]["result"] == "pass" and results["lotA"]["value"] == pytest.approx(310, rel=5e-3)
    assert results["lotB"]["result"] == "fail"
    assert results["low"]["result"] == "fail" and results["low"]["note"] == "below LLOQ"
    assert potency_results(adata, spec, lot="lotC")[0]["result"] == "pass"
    with pytest.raises(SecretomeInputError, match="no acceptance limit"):
        potency_results(adata, [{"analyte": "IL1RN"}])
    with pytest.raises(SecretomeInputError, match="not on the panel"):
        potency_results(adata, [{"analyte": "HGF", "low": 1}])


def test_agreement_with_proteomics_per_shared_factor(tmp_path: Path) -> None:
    from anndata import AnnData

    assay = to_anndata(quantify(read_assay(_long_plate(tmp_path)), model="5pl", weights="1/y^2"))
    assay.obs["lot"] = [name.split("_")[0] for name in assay.obs_names]
    lots = ["lotA", "lotB", "lotC", "low"]
    ms = AnnData(X=np.array([[25.0, 21.0], [23.0, np.nan], [28.0, 24.0], [np.nan, 20.0]]),
                 obs=pd.DataFrame({"lot": lots}, index=lots), var=pd.DataFrame({"gene": ["IL1RN", "IL10"]}, index=["P18510", "P22301"]))
    table = assay_proteome_agreement(assay, ms).set_index("gene")
    assert table.loc["IL1RN", "n_lots"] == 3 and table.loc["IL1RN", "rho"] == pytest.approx(1.0)
    assert table.loc["IL1RN", "ms_not_detected_lots"] == "low"
    assert table.loc["IL10", "ms_detection_limit"] == pytest.approx(20.0)


def test_layout_sheet_turns_a_raw_plate_into_standards(examples, tmp_path: Path) -> None:
    """MSD MMPR plate: rows A/B are an 8+4 point dilution series (12,895 -> 71 counts); a layout says so."""
    rows = [{"plate": "1", "well": f"{r}{c}", "kind": "standard", "level": f"S{c}", "expected": 10000 / 2 ** (c - 1), "unit": "pg/mL"}
            for r in "AB" for c in range(1, 13)]
    rows += [{"plate": "1", "well": f"{r}{c}", "sample": f"sample{r}{(c + 1) // 2}", "dilution": 2} for r in "CDEFGH" for c in range(1, 13)]
    layout = tmp_path / "layout.csv"
    pd.DataFrame(rows).to_csv(layout, index=False)
    path = examples / "immunoassay" / "allotropy" / "msd_workbench_plate_methodical_test_1.txt"
    read = read_assay(path, layout=layout)
    plate1 = read.wells[read.wells["plate"] == "1"].set_index("well")
    assert plate1.loc["A1", "kind"] == "standard" and plate1.loc["A1", "expected"] == 10000
    assert plate1.loc["C3", "sample"] == "sampleC2" and plate1.loc["C3", "dilution"] == 2
    result = quantify(read, model="5pl", weights="1/y^2")
    curve = result.curves.set_index("plate").loc["1"]
    assert curve["status"].startswith("fitted") and curve["r_squared"] > 0.99
    assert np.isnan(result.curves.set_index("plate").loc["2", "r_squared"])  # plate 2 has no standards


def test_layout_errors_name_the_well(examples, tmp_path: Path) -> None:
    path = examples / "immunoassay" / "allotropy" / "msd_workbench_plate_methodical_test_1.txt"
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"plate": ["1", "1"], "well": ["A1", "A01"], "kind": ["standard", "standard"]}).to_csv(bad, index=False)
    with pytest.raises(SecretomeInputError, match="well A1 appears more than once"):
        read_assay(path, layout=bad)
    pd.DataFrame({"plate": ["1"], "well": ["Z99"]}).to_csv(bad, index=False)
    with pytest.raises(SecretomeInputError, match="'Z99' is not a well name"):
        read_assay(path, layout=bad)
    pd.DataFrame({"plate": ["1"], "well": ["B2"], "kind": ["calibrant"]}).to_csv(bad, index=False)
    with pytest.raises(SecretomeInputError, match="well B2: kind 'calibrant'"):
        read_assay(path, layout=bad)


def test_malformed_exports_get_clear_errors_or_flags(examples, tmp_path: Path) -> None:
    source = examples / "immunoassay" / "xponent_30plex_cytokine_drLumi_pone.0187901.s001.csv"
    text = source.read_text(encoding="utf-8")
    # duplicate wells: the second Median row reuses well A1
    duplicated = tmp_path / "duplicate.csv"
    duplicated.write_text(text.replace('"2(1,B1)",Control1', '"2(1,A1)",Control1', 1), encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="well A1 of plate 1 appears more than once"):
        read_assay(duplicated)
    # missing standards: every Standard renamed to an unknown sample
    missing = tmp_path / "missing.csv"
    missing.write_text(text.replace(",Standard", ",Unknown"), encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="no standard wells with expected concentrations"):
        quantify(read_assay(missing))
    # non-monotonic standards: a flag on the curve, never a silent fit
    read = read_assay(_long_plate(tmp_path))
    wells = read.wells
    bump = (wells["analyte"] == "IL-10") & (wells["level"] == "Standard6")
    wells.loc[bump, "signal"] = wells.loc[bump, "signal"] * 20
    curves = quantify(read, model="5pl", weights="1/y^2").curves.set_index("analyte")
    assert curves.loc["IL-10", "shape"] == "non_monotonic" and "not monotonic" in curves.loc["IL-10", "notes"]
    assert curves.loc["IL-1RA", "shape"] == "monotonic"


def test_saturated_analyte_is_flagged_above_range(tmp_path: Path) -> None:
    read = read_assay(_long_plate(tmp_path, samples={"s1": 50000.0, "s2": 60000.0, "s3": 300.0}))
    result = quantify(read, model="5pl", weights="1/y^2")
    qc = assay_qc(result)
    flags = result.wells[result.wells["sample"].isin(["s1", "s2"])]["flag"]
    assert set(flags) <= {">ULOQ", ">curve"}
    assert qc["out_of_range"]["mostly_out_of_range"].all()


def test_levey_jennings_westgard_flags() -> None:
    values = [100, 101, 99, 100, 102, 98, 100, 130]
    table = pd.DataFrame({"analyte": "IL6", "level": "Control1", "run": [f"r{i}" for i in range(8)], "value": values})
    chart = levey_jennings(table).set_index("run")
    assert chart.loc["r7", "westgard"] in {"1-2s warn", "1-3s reject"}
    assert chart.loc["r0", "westgard"] == ""


def test_bead_counts_below_50_are_flagged(examples) -> None:
    read = read_assay(examples / "immunoassay" / "xponent_30plex_cytokine_drLumi_pone.0187901.s001.csv")
    read.wells.loc[read.wells.index[:3], "count"] = 12
    qc = assay_qc(quantify(read, model="4pl", weights="1/y^2"))
    assert len(qc["low_beads"]) == 3 and "assays.toml: bead_count.min" in qc["rules"]["bead_count"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_olink_npx_is_relative_with_lod_flags(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"npx{suffix}"
    frame = pd.DataFrame({
        "SampleID": ["S1", "S1", "S2", "S2"], "Index": [1, 1, 2, 2], "OlinkID": ["OID1", "OID2", "OID1", "OID2"],
        "UniProt": ["P18510", "P05231"], "Assay": ["IL-1RA", "IL6", "IL-1RA", "IL6"], "MissingFreq": 0, "Panel": "Target 96 Inflammation",
        "PlateID": "P1", "QC_Warning": ["Pass", "Pass", "Warning", "Pass"], "LOD": [1.0, 2.0, 1.0, 2.0], "NPX": [3.5, 1.2, 0.4, 5.0],
    } | {"UniProt": ["P18510", "P05231", "P18510", "P05231"]})
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_excel(path, index=False)
    adata = read_assay_data(path)  # detected as Olink NPX from its columns, text or workbook
    assert adata.uns["assay"]["quantity"] == "relative" and not adata.uns["assay"]["calibrated"]
    assert adata.X[list(adata.obs_names).index("S1"), 0] == pytest.approx(3.5)
    flags = pd.DataFrame(adata.layers["flags"], index=adata.obs_names, columns=adata.var_names)
    assert flags.loc["S1", "IL6"] == FLAG_CODES["<LOD"] and flags.loc["S1", "IL-1RA"] == FLAG_CODES["ok"]
    with pytest.raises(SecretomeInputError, match="relative"):
        quantify(read_assay(path))


def test_generic_long_table_of_concentrations_and_activities(tmp_path: Path) -> None:
    path = tmp_path / "potency.tsv"
    path.write_text("sample\tanalyte\tvalue\tunit\nL1\tIDO kynurenine\t12.5\tuM\nL2\tIDO kynurenine\t< 1.0\tuM\nL1\tHGF\t2500\tpg/mL\n", encoding="utf-8")
    adata = read_assay_data(path)
    assert adata.uns["assay"]["quantity"] == "concentration"
    assert adata.var.loc["IDO kynurenine", "unit"] == "uM"
    flags = pd.DataFrame(adata.layers["flags"], index=adata.obs_names, columns=adata.var_names)
    assert flags.loc["L2", "IDO kynurenine"] == FLAG_CODES["<LLOQ"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("sample\tanalyte\tvalue\nL1\tHGF\tlots\n", encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="'lots' is not a number"):
        read_assay(bad)


def test_assay_job_writes_everything(tmp_path: Path) -> None:
    events = []
    result = assay_job(_long_plate(tmp_path), out=tmp_path / "out", progress=lambda step, fraction: events.append(step))
    assert result.kind == "assay" and events[-1] == "done"
    for name in ("concentrations.tsv", "curves.tsv", "standards.tsv", "wells.tsv", "balance.tsv", "assay.h5ad", "report.html"):
        assert (tmp_path / "out" / name).is_file(), name
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly.js embedded, nothing loaded from a CDN
    assert '"displaylogo": false' in html and '"showLink": false' in html
    assert html.count('data-figure="curve-') == 4 + 1  # one per analyte and plate, plus the balance figure
    concentrations = pd.read_csv(tmp_path / "out" / "concentrations.tsv", sep="\t")
    assert {"sample", "analyte", "gene", "reported", "flag", "unit", "substitution"} <= set(concentrations.columns)


def test_cli_assay_command(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out, err = run_main(monkeypatch, capsys, "assay", _long_plate(tmp_path), "--model", "4pl", "--weights", "1/y", "--out", tmp_path / "cli")
    assert code == 0, err
    assert "4 of 4 curves fitted" in out
    code, out, err = run_main(monkeypatch, capsys, "assay", _long_plate(tmp_path), "--model", "3pl", "--out", tmp_path / "cli2")
    assert code == 2 and "model must be one of" in err
    code, out, err = run_main(monkeypatch, capsys, "info", _long_plate(tmp_path))
    assert code == 0 and "analytes: 4 (4 mapped to genes)" in out


def test_generic_grids_96_and_384_with_a_layout(tmp_path: Path) -> None:
    """A plate-reader grid (rows A..H / A..P, columns 1..12 / 1..24) read as wells; a layout makes column 1-2
    the standards, and the fitted concentrations come back."""
    for n_rows, n_columns in ((8, 12), (16, 24)):
        od = {"A": 0.04, "B": 3.2, "xmid": np.log(200.0), "scal": 0.9}
        levels = 2000 / 2 ** np.arange(n_rows)
        lines = ["," + ",".join(str(c) for c in range(1, n_columns + 1))]
        layout = []
        for r in range(n_rows):
            letter = chr(ord("A") + r)
            cells = []
            for c in range(1, n_columns + 1):
                conc = levels[r] if c <= 2 else 150.0
                cells.append(f"{logistic(np.log(conc), od):.5f}")
                layout.append({"well": f"{letter}{c}", "kind": "standard" if c <= 2 else "unknown",
                               "level": f"S{r + 1}" if c <= 2 else "", "expected": levels[r] if c <= 2 else "",
                               "sample": "" if c <= 2 else f"s{c}", "dilution": "" if c <= 2 else 4})
            lines.append(letter + "," + ",".join(cells))
        grid = tmp_path / f"grid{n_rows * n_columns}.csv"
        grid.write_text("Plate 1 OD 450\n" + "\n".join(lines) + "\n", encoding="utf-8")
        sheet = tmp_path / f"layout{n_rows * n_columns}.csv"
        pd.DataFrame(layout).to_csv(sheet, index=False)
        read = read_assay(grid, layout=sheet, analyte="VEGF")
        assert read.format == "grid" and len(read.wells) == n_rows * n_columns
        result = quantify(read, model="4pl", weights="none", blank="none")
        sample = result.wells[result.wells["sample"] == "s3"].iloc[0]
        assert sample["corrected"] == pytest.approx(600.0, rel=1e-4) and sample["flag"] == "ok"
        assert result.curves.iloc[0]["analyte"] == "VEGF"
    broken = tmp_path / "broken.csv"
    broken.write_text(",1,2,3,4,5,6,7,8,9,10,11,12\nA,1,2,3,4,5,6,7,8,9,10,11,12\n", encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="row B missing"):
        read_assay(broken)


def test_cli_assay_with_samples_and_potency(monkeypatch, capsys, tmp_path: Path) -> None:
    plate = _long_plate(tmp_path)
    sheet = tmp_path / "sheet.tsv"
    names = ["lotA_1", "lotA_2", "lotB_1", "lotB_2", "lotC_1", "lotC_2", "low"]
    pd.DataFrame({"sample": names, "lot": [n.split("_")[0] for n in names]}).to_csv(sheet, sep="\t", index=False)
    spec = tmp_path / "spec.tsv"
    pd.DataFrame([{"analyte": "IL-1RA", "kind": "release", "low": 200, "high": 5000, "unit": "pg/mL", "source": "spec v2"}]).to_csv(spec, sep="\t", index=False)
    code, out, err = run_main(monkeypatch, capsys, "assay", plate, "--samples", sheet, "--potency", spec, "--out", tmp_path / "o")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "o" / "potency.tsv", sep="\t").set_index("lot")
    assert table.loc["lotA", "result"] == "pass" and table.loc["lotB", "result"] == "fail"
    assert "Potency and release assays" in (tmp_path / "o" / "report.html").read_text(encoding="utf-8")


def test_lot_comparability_runs_on_assay_data(tmp_path: Path) -> None:
    """Lot comparability (TOST per factor) works on an immunoassay export as on a proteome: lot B made
    equal to A is equivalent, lot C made 3x higher is not."""
    from secretome.jobs import comparability_job

    samples = {f"lot{lot}_{i}": level * (1 + 0.05 * i) for lot, level in zip("ABC", [300, 310, 900]) for i in range(1, 4)}
    plate = _long_plate(tmp_path, samples=samples)
    sheet = tmp_path / "sheet.tsv"
    pd.DataFrame({"sample": list(samples), "lot": [s.split("_")[0] for s in samples]}).to_csv(sheet, sep="\t", index=False)
    comparability_job(plate, tmp_path / "lots", samples=sheet, lot_column="lot", reference=["lotA"], normalize="none",
                      factors=["IL1RN", "IL10"])
    factors = pd.read_csv(tmp_path / "lots" / "comparability_factors.tsv", sep="\t").set_index(["lot", "factor"])
    assert factors.loc[("lotB", "IL1RN"), "verdict"] == "equivalent"
    assert factors.loc[("lotC", "IL1RN"), "verdict"] == "not_equivalent"


def test_readers_refuse_an_assay_export_and_the_jobs_read_it(tmp_path: Path) -> None:
    """The readers (secretome.io) do not fit standard curves: io.read refuses an immunoassay export, naming the
    function that reads it, and the jobs' reader (what every shell calls) reads it through the assay engine."""
    import secretome
    from secretome.jobs.common import read_input

    path = _long_plate(tmp_path)
    with pytest.raises(SecretomeInputError, match="immunoassay export") as caught:
        secretome.read(path)
    assert "secretome.assays.read_assay_data" in str(caught.value) and "plate.csv" in str(caught.value)
    adata, notes = read_input(path)
    assert adata.uns["source"]["kind"] == "immunoassay" and adata.n_vars == 4 and notes == []
