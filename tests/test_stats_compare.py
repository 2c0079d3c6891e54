"""The composed compare job: validation before work, preprocessing switches, atomic outputs, CLI, HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.outputs import MARKER, write_files
from secretome.jobs.common import results_tsv
from secretome.jobs.naming import contrast_stem, differential_file, enrichment_file
from secretome.stats.compare import RESULT_COLUMNS, compare, parse_contrast


def make_adata(n_per_group: int = 3, n_proteins: int = 120, missing: float = 0.1, seed: int = 0) -> AnnData:
    rng = np.random.default_rng(seed)
    groups = ["treated"] * n_per_group + ["control"] * n_per_group
    donors = [f"d{i + 1}" for i in range(n_per_group)] * 2
    log2 = rng.normal(24, 2, n_proteins)[None, :] + rng.normal(0, 0.3, (2 * n_per_group, n_proteins))
    log2[:n_per_group, :10] += 2.0  # ten proteins up in treated
    log2[rng.random(log2.shape) < missing] = np.nan
    names = [f"S{i + 1}" for i in range(2 * n_per_group)]
    obs = pd.DataFrame({"sample": names, "condition": groups, "donor": donors}, index=names)
    proteins = [f"P{j:04d}" for j in range(n_proteins)]
    var = pd.DataFrame({"protein_group": proteins, "gene": [f"G{j}" for j in range(n_proteins)]}, index=proteins)
    adata = AnnData(X=np.exp2(log2), obs=obs, var=var)
    adata.uns["source"] = {"is_log2": False, "format": "generic"}
    return adata


# ------------------------------------------------------------------------ validation (no limma needed)
def test_parse_contrast_accepts_levels_with_dashes():
    adata = make_adata()
    adata.obs["condition"] = ["IL-1b"] * 3 + ["control"] * 3
    assert parse_contrast(adata, "~ condition + donor", "IL-1b-control")[1:] == ("condition", "IL-1b", "control")
    assert parse_contrast(adata, "~condition", "control - IL-1b")[1:] == ("condition", "control", "IL-1b")


@pytest.mark.parametrize(
    ("design", "contrast", "message"),
    [
        ("~ treatment", "treated-control", "column 'treatment'"),
        ("~ condition + batch", "treated-control", "column 'batch'"),
        ("~ condition", "treated-placebo", "does not name two levels"),
        ("~ condition", "treated", "does not name two levels"),
        ("condition", "treated-control", "does not start with"),
    ],
)
def test_design_and_contrast_errors_are_input_errors(design, contrast, message):
    with pytest.raises(SecretomeInputError, match=message):
        compare(make_adata(), design, contrast)


def test_unknown_preprocessing_choice_is_an_input_error():
    with pytest.raises(SecretomeInputError, match="unknown normalization"):
        compare(make_adata(), "~ condition", "treated-control", normalize="loess")
    with pytest.raises(SecretomeInputError, match="unknown imputation"):
        compare(make_adata(), "~ condition", "treated-control", impute="zero")


# ------------------------------------------------------------------------------- with limma's module
def test_compare_table_contract_and_recorded_steps():
    work, table = compare(make_adata(), "~ condition + donor", "treated-control", normalize="median", impute="none")
    assert list(table.columns) == RESULT_COLUMNS
    assert len(table) == work.n_vars
    top = set(table.head(10)["protein"])
    assert len(top & {f"P{j:04d}" for j in range(10)}) >= 8
    assert (table.set_index("protein").loc[[f"P{j:04d}" for j in range(10)], "log2fc"] > 1).all()
    assert [s["step"] for s in work.uns["preprocessing"]] == ["filter_valid", "log2_transform", "normalize", "impute"]
    assert work.uns["compare"]["contrast"] == "treated-control"


def test_none_and_zero_fit_exactly_the_log2_input():
    from secretome.stats import limma
    adata = make_adata()
    work, table = compare(adata, "~ condition", "treated-control", normalize="none", impute="none", min_valid=0)
    np.testing.assert_array_equal(work.layers["imputed"], np.log2(adata.X))
    direct = adata.copy()
    direct.layers["log2"] = np.log2(direct.X)
    reference = limma.moderated_test(direct, "~ condition", "treated-control", layer="log2")
    pd.testing.assert_frame_equal(
        table.set_index("protein").sort_index(), reference[RESULT_COLUMNS].set_index("protein").sort_index(), check_dtype=False
    )


def test_no_residual_df_is_an_input_error():
    adata = make_adata(n_per_group=1)
    with pytest.raises(SecretomeInputError, match="residual"):
        compare(adata, "~ condition", "treated-control")


def test_all_missing_proteins_are_an_input_error():
    adata = make_adata()
    adata.X[:, 5] = np.nan
    with pytest.raises(SecretomeInputError, match="no valid value"):
        compare(adata, "~ condition", "treated-control", min_valid=0)
    work, _ = compare(adata, "~ condition", "treated-control", min_valid=1)
    assert "P0005" not in work.var_names


@pytest.mark.parametrize("impute_method", ["perseus", "minprob", "knn"])
@pytest.mark.parametrize("normalize_method", ["median", "quantile", "vsn"])
def test_every_preprocessing_combination_runs(normalize_method, impute_method):
    work, table = compare(make_adata(seed=2), "~ condition", "treated-control", normalize=normalize_method, impute=impute_method)
    assert np.isfinite(table["t"]).all()
    assert work.layers["imputed_mask"].sum() == int(np.isnan(work.layers["normalized"]).sum())


# ---------------------------------------------------------------------------------- outputs, HTML
def test_write_files_new_existing_and_failure(tmp_path):
    out = tmp_path / "result"
    write_files(out, {"a.tsv": "x\n", "b.html": "<p>"})
    assert sorted(os.listdir(out)) == [MARKER, "a.tsv", "b.html"]
    (out / "keep.txt").write_text("mine")
    write_files(out, {"a.tsv": "y\n"})
    assert (out / "a.tsv").read_text() == "y\n" and (out / "keep.txt").read_text() == "mine"
    fresh = tmp_path / "fresh"
    with pytest.raises(TypeError):
        write_files(fresh, {"a.tsv": "fine", "b.tsv": object()})  # type: ignore[dict-item]
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]  # no staging directory left


def test_file_names_and_tsv():
    assert contrast_stem("treated-control") == "treated-control"
    assert contrast_stem("a/b c") == "a_b_c"
    long = contrast_stem("G" * 10_000)  # a hostile lot name still makes a valid, distinct file name
    assert len(long) == 100 and long.startswith("GGG") and long != contrast_stem("G" * 9_999)
    assert differential_file("a/b c") == "differential_a_b_c.tsv" and enrichment_file("B-A") == "enrichment_B-A.tsv"
    text = results_tsv(pd.DataFrame({"protein": ["P1"], "p_value": [np.nan], "t": [1 / 3]}))
    assert text.splitlines() == ["protein\tp_value\tt", "P1\t\t0.3333333333333333"]  # shortest text of 1/3's float64
    assert float(text.splitlines()[1].split("\t")[2]) == 1 / 3


def test_pages_embed_plotly_once_without_cdn_and_escape_user_text(tmp_path):
    from secretome.jobs import compare_job, comparability_job

    adata = make_adata()
    adata.obs["lot"] = ["L1", "L1", "L2", "L2", "L3", "L3"]
    adata.var.loc[adata.var_names[0], "gene"] = "<b>X</b>"
    table, sheet = _maxquant_input(tmp_path, adata)
    pages = [compare_job(table, tmp_path / "c", samples=sheet, design="~ condition", contrast="treated-control").out,
             comparability_job(table, tmp_path / "l", samples=sheet, reference=["L1", "L2"], factors=["G1", "G50"]).out]
    for out in pages:
        page = (out / "report.html").read_text(encoding="utf-8")
        assert page.count('id="plotly-bundle"') == 1
        assert "<script src=" not in page and 'src="https://cdn' not in page
    compare_page = (pages[0] / "report.html").read_text(encoding="utf-8")
    assert "<b>X</b>" not in compare_page and "&lt;b&gt;X&lt;/b&gt;" in compare_page  # user text is escaped
    lots_page = (pages[1] / "report.html").read_text(encoding="utf-8")
    assert "Lot comparability" in lots_page and 'class="verdict-' in lots_page


# ------------------------------------------------------------------------------------------- CLI
def _maxquant_input(tmp_path: Path, adata: AnnData) -> tuple[Path, Path]:
    frame = pd.DataFrame(
        {
            "Protein IDs": [f"Q{j:05d}" for j in range(adata.n_vars)],
            "Majority protein IDs": [f"Q{j:05d}" for j in range(adata.n_vars)],
            "Gene names": adata.var["gene"].to_list(),
            "Peptides": 5,
            "Unique peptides": 4,
            "Reverse": "",
            "Potential contaminant": "",
            "Only identified by site": "",
        }
    )
    for i, name in enumerate(adata.obs_names):
        frame[f"LFQ intensity {name}"] = np.nan_to_num(adata.X[i], nan=0.0)
    table = tmp_path / "proteinGroups.txt"
    frame.to_csv(table, sep="\t", index=False)
    sheet = tmp_path / "samples.tsv"
    adata.obs.to_csv(sheet, sep="\t", index=False)
    return table, sheet


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secretome", *args], capture_output=True, text=True, timeout=300)


def test_cli_compare_end_to_end(tmp_path):
    table, sheet = _maxquant_input(tmp_path, make_adata())
    out = tmp_path / "out"
    run = _cli("compare", str(table), "--samples", str(sheet), "--design", "~ condition + donor", "--contrast", "treated-control",
               "--normalize", "quantile", "--impute", "perseus", "--enrichment", "--out", str(out))
    assert run.returncode == 0, run.stderr  # --enrichment: no protein reaches adj. p < 0.05 here, so it is asked for
    assert sorted(os.listdir(out)) == [MARKER, "differential_treated-control.tsv", "enrichment_treated-control.tsv", "report.html"]
    result = pd.read_csv(out / "differential_treated-control.tsv", sep="\t")
    assert list(result.columns) == [*RESULT_COLUMNS, "composition"] and len(result) > 50
    from secretome.stats.enrichment import ENRICHMENT_COLUMNS

    enrichment = pd.read_csv(out / "enrichment_treated-control.tsv", sep="\t")
    assert list(enrichment.columns) == ENRICHMENT_COLUMNS  # made-up genes G0..: no set within the size limits
    assert "Enrichment: treated-control" in (out / "report.html").read_text()
    bad = _cli("compare", str(table), "--samples", str(sheet), "--design", "~ treatment", "--contrast", "a-b", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "treatment" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_cli_comparability_end_to_end(tmp_path):
    adata = make_adata()
    adata.obs["lot"] = ["L1", "L1", "L2", "L2", "L3", "L3"]
    table, sheet = _maxquant_input(tmp_path, adata)
    out = tmp_path / "lots"
    run = _cli("comparability", str(table), "--samples", str(sheet), "--lot-column", "lot", "--reference", "L1", "--reference", "L2",
               "--margin", "0.8", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(out)) == [MARKER, "comparability_cv.tsv", "comparability_factors.tsv", "comparability_lots.tsv",
                                       "report.html"]
    lots = pd.read_csv(out / "comparability_lots.tsv", sep="\t")
    assert set(lots["lot"]) == {"L1", "L2", "L3"}
    bad = _cli("comparability", str(table), "--samples", str(sheet), "--reference", "L9", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "L9" in bad.stderr
    chosen = tmp_path / "chosen"
    run = _cli("comparability", str(table), "--samples", str(sheet), "--reference", "L1", "--factor", "G1", "--factor", "G2",
               "--out", str(chosen))
    assert run.returncode == 0, run.stderr
    assert set(pd.read_csv(chosen / "comparability_factors.tsv", sep="\t")["factor"]) == {"G1", "G2"}


def test_compare_job_with_and_without_enrichment(tmp_path):
    from secretome.jobs import compare_job

    table, sheet = _maxquant_input(tmp_path, make_adata())
    with_sets = compare_job(table, tmp_path / "with", samples=sheet, design="~ condition", contrast="treated-control")
    assert "enrichment_treated-control.tsv" in with_sets.files and with_sets.summary["n_enriched"] is not None
    without = compare_job(table, tmp_path / "without", samples=sheet, design="~ condition", contrast="treated-control",
                          enrichment=False)
    assert without.summary["n_enriched"] is None
    assert sorted(p.name for p in without.out.iterdir() if not p.name.startswith(".")) == [
        "differential_treated-control.tsv", "report.html"]
    assert 'id="enrichment"' not in (without.out / "report.html").read_text()
    assert 'id="enrichment"' in (with_sets.out / "report.html").read_text()


def test_cli_compare_without_enrichment(tmp_path, monkeypatch, capsys):
    from conftest import run_main

    table, sheet = _maxquant_input(tmp_path, make_adata())
    out = tmp_path / "out"
    code, stdout, stderr = run_main(monkeypatch, capsys, "compare", table, "--samples", sheet, "--design", "~ condition",
                                    "--contrast", "treated-control", "--no-enrichment", "--out", out)
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "differential_treated-control.tsv", "report.html"]
    assert "enrichment not tested" in stdout and "proteins tested" in stdout


def test_enrichment_runs_by_default_only_where_it_adds_to_the_page(tmp_path, monkeypatch, capsys):
    from conftest import run_main

    from secretome.jobs import compare_job

    quiet = make_adata()
    quiet.X[:3, :10] = quiet.X[3:, :10]  # no protein changed: nothing for enrichment to add
    table, sheet = _maxquant_input(tmp_path, quiet)
    skipped = compare_job(table, tmp_path / "quiet", samples=sheet, design="~ condition", contrast="treated-control")
    assert skipped.summary["n_up"] + skipped.summary["n_down"] == 0 and skipped.summary["n_enriched"] is None
    assert "enrichment_treated-control.tsv" not in skipped.files
    assert "0 proteins at adj. p < 0.05" in skipped.summary["enrichment_note"]
    page = (skipped.out / "report.html").read_text()
    assert 'id="enrichment"' not in page and "Enrichment not tested: 0 proteins" in page
    forced = compare_job(table, tmp_path / "forced", samples=sheet, design="~ condition", contrast="treated-control",
                         enrichment=True)
    assert "enrichment_treated-control.tsv" in forced.files and forced.summary["n_enriched"] is not None

    unnamed = make_adata()
    unnamed.var["gene"] = [f"G{j}" if j < 40 else "" for j in range(unnamed.n_vars)]  # 40 gene symbols: too few
    (tmp_path / "unnamed").mkdir()
    table, sheet = _maxquant_input(tmp_path / "unnamed", unnamed)
    code, stdout, stderr = run_main(monkeypatch, capsys, "compare", table, "--samples", sheet, "--design", "~ condition",
                                    "--contrast", "treated-control", "--out", tmp_path / "unnamed-out")
    assert code == 0, stderr
    assert "enrichment not tested" in stdout and "--enrichment" in stderr
    assert "distinct gene symbols (by default it runs from 100)" in stderr  # 40 named here, a few more from the KB
    assert not (tmp_path / "unnamed-out" / "enrichment_treated-control.tsv").exists()


def test_compare_and_comparability_take_the_readers_options(tmp_path, monkeypatch, capsys):
    """``--quantity``, ``--log2/--linear``, ``--format`` and ``--decimal`` reach the reader in every command that
    reads a proteomics table, not only in ``read``/``info``/``profile``."""
    from conftest import run_main

    adata = make_adata()
    adata.obs["lot"] = ["L1", "L1", "L2", "L2", "L3", "L3"]
    table, sheet = _maxquant_input(tmp_path, adata)
    frame = pd.read_csv(table, sep="\t")
    for name in adata.obs_names:  # a second family: four times the LFQ values, so log2 is 2 higher
        frame[f"Intensity {name}"] = frame[f"LFQ intensity {name}"] * 4
    frame.to_csv(table, sep="\t", index=False)
    runs = {}
    for quantity in ("LFQ intensity", "Intensity"):
        out = tmp_path / quantity.replace(" ", "_")
        code, _, stderr = run_main(monkeypatch, capsys, "compare", table, "--samples", sheet, "--design", "~ condition",
                                   "--contrast", "treated-control", "--normalize", "none", "--no-enrichment",
                                   "--format", "maxquant", "--quantity", quantity, "--out", out)
        assert code == 0, stderr
        runs[quantity] = pd.read_csv(out / "differential_treated-control.tsv", sep="\t").set_index("protein")
    lfq, intensity = runs["LFQ intensity"], runs["Intensity"].loc[runs["LFQ intensity"].index]
    np.testing.assert_allclose(intensity["ave_expr"] - lfq["ave_expr"], 2.0, atol=1e-9)
    np.testing.assert_allclose(intensity["log2fc"], lfq["log2fc"], atol=1e-9)

    # a ';' table whose only marked numbers have three digits after one comma: undecidable without a declared mark
    log2 = np.log2(adata.X)  # about 24: every cell reads "24,123" (decimal) or "24,123" (thousands) alike
    generic = pd.DataFrame({"Gene": adata.var["gene"].to_list()})
    for i, name in enumerate(adata.obs_names):
        generic[name] = ["" if np.isnan(value) else f"{value:.3f}".replace(".", ",") for value in log2[i]]
    european = tmp_path / "european.csv"
    generic.to_csv(european, sep=";", index=False)
    args = ("comparability", european, "--samples", sheet, "--reference", "L1", "--log2", "--factor", "G1")
    code, _, stderr = run_main(monkeypatch, capsys, *args, "--out", tmp_path / "undecided")
    assert code == 2 and "the decimal mark cannot be decided" in stderr and "--decimal=','" in stderr, stderr
    code, _, stderr = run_main(monkeypatch, capsys, *args, "--decimal", ",", "--out", tmp_path / "declared")
    assert code == 0, stderr
    factors = pd.read_csv(tmp_path / "declared" / "comparability_factors.tsv", sep="\t")
    assert set(factors["factor"]) == {"G1"}
