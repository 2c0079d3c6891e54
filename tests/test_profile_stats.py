"""profile with --design/--contrast and with lot options: sections, files, numbers, and input errors.

The demo simulator (secretome.datasets.DEMO_PARAMETERS) gives lot_B five times lot_A's FBS share and
about twice its lysis share, while EV cargo (0.04) and membrane (0.03) shares are equal in both lots.
So bovine serum proteins must come out higher in lot_B, and comparability against reference lot_A
must flag serum factors and find the EV-cargo factors equivalent within the default margin (1 log2).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from secretome.datasets import protein_identities
from secretome.errors import SecretomeInputError
from conftest import run_profile
from secretome.jobs.analyses import (ContrastOptions, LotOptions, differential_analysis, differential_files, lot_analysis,
                                     lot_files)
from secretome.jobs.profile import OUTPUT_FILES, statistics_options, statistics_parameters
from secretome.report import render_section
from secretome.stats.compare import RESULT_COLUMNS
from secretome.stats.enrichment import ENRICHMENT_COLUMNS, over_representation

CONTRAST = "lot_B-lot_A"
FACTOR_COLUMNS = ["lot", "factor", "protein", "detected", "n_test", "n_reference", "mean_test", "mean_reference", "diff", "se",
                  "df", "ci_low", "ci_high", "p_lower", "p_upper", "p_value", "margin", "verdict", "method"]
LOT_COLUMNS = ["lot", "role", "similarity", "n_shared_proteins", "center", "lower_limit", "upper_limit", "similarity_verdict",
               "n_equivalent", "n_not_equivalent", "n_insufficient_data", "verdict"]


def _genes(*roles: str) -> list[str]:
    table = protein_identities()
    return [gene.split(";")[0] for gene in table.loc[table["role"].isin(roles), "gene"] if gene]


SERUM, LYSIS, EV = _genes("serum", "serum_mixed"), _genes("lysis"), _genes("ev_cargo")


@pytest.fixture(scope="module")
def demo_stats(tmp_path_factory):
    out = tmp_path_factory.mktemp("stats") / "run"
    report = run_profile(demo=True, design="~ lot", contrast=CONTRAST, reference=["lot_A"], factors=SERUM + EV, out=out)
    return out, report.read_text(encoding="utf-8"), json.loads((out / "profile.json").read_text())


def _by_role(frame: pd.DataFrame) -> pd.DataFrame:
    """Attach the simulated role of each protein (matched on its first accession, CON__ stripped)."""
    identities = protein_identities()
    roles = dict(zip(identities["accession"].str.split(";").str[0], identities["role"]))
    first = frame["protein"].str.split(";").str[0].str.replace("CON__", "", regex=False)
    return frame.assign(role=first.map(roles))


def test_design_adds_compare_preprocessing_and_enrichment(demo_stats):
    out, html, summary = demo_stats
    extra = {f"differential_{CONTRAST}.tsv", f"enrichment_{CONTRAST}.tsv", "comparability_factors.tsv",
             "comparability_cv.tsv", "comparability_lots.tsv"}
    from secretome.assays.section import DEMO_ASSAY_FILES

    extra |= set(DEMO_ASSAY_FILES)  # the demo's immunoassay panel
    assert sorted(p.name for p in out.iterdir()) == sorted(set(OUTPUT_FILES) | extra)
    for section in ("preprocessing", "differential", "enrichment", "comparability"):
        assert f'<section id="{section}">' in html and f'href="#{section}"' in html
    assert html.count("<h2>Preprocessing</h2>") == 1 and html.count("<h3>Preprocessing</h3>") == 1  # shown once
    assert "method=median" in html and f"Enrichment: {CONTRAST}" in html

    table = pd.read_csv(out / f"differential_{CONTRAST}.tsv", sep="\t", keep_default_na=False, na_values=[""])
    assert list(table.columns) == RESULT_COLUMNS + ["composition"]  # serum/lysis/handling markers (issue 8)
    roles = _by_role(table)
    serum = roles[roles["role"].isin(["serum", "serum_mixed"]) & np.isfinite(roles["log2fc"])]
    assert len(serum) >= 10
    assert (serum["composition"].fillna("").str.contains("serum")).mean() > 0.9
    assert (serum["log2fc"] > 1.0).all() and (serum["adj_p_value"] < 0.05).all()  # 5x FBS in lot_B: log2(5) = 2.3
    equal = roles[roles["role"].isin(["ev_cargo", "membrane"])]
    assert (equal["log2fc"].abs() < 0.6).all() and (equal["adj_p_value"] > 0.05).all()

    differential_entry = summary["differential"]
    significant = table["adj_p_value"] < 0.05
    assert differential_entry["n_up"] == int((significant & (table["log2fc"] > 0)).sum())
    assert differential_entry["settings"] == {"normalize": "median", "impute": "none", "min_valid": 2, "trend": False,
                                              "robust": False}
    assert [step["step"] for step in differential_entry["preprocessing"]] == ["filter_valid", "log2_transform", "normalize",
                                                                           "impute"]
    parameters = summary["parameters"]
    assert (parameters["design"], parameters["contrast"], parameters["normalize"], parameters["impute"],
            parameters["min_valid"], parameters["trend"], parameters["robust"]) == ("~ lot", CONTRAST, "median", "none", 2,
                                                                                   False, False)


def test_enrichment_file_is_tidy_and_matches_the_differential_table(demo_stats):
    out, _, summary = demo_stats
    enrichment = pd.read_csv(out / f"enrichment_{CONTRAST}.tsv", sep="\t", keep_default_na=False, na_values=[""])
    table = pd.read_csv(out / f"differential_{CONTRAST}.tsv", sep="\t", keep_default_na=False, na_values=[""])
    assert list(enrichment.columns) == ENRICHMENT_COLUMNS
    assert set(enrichment["test"]) == {"hypergeometric", "wilcoxon_rank_sum"}
    up = enrichment[(enrichment["test"] == "hypergeometric") & (enrichment["direction"] == "up")].set_index("set")
    genes = table["gene"].fillna("").str.upper()
    background = set(genes[genes != ""])
    hits = set(genes[(table["adj_p_value"] < 0.05) & (table["log2fc"] > 0) & (genes != "")])
    assert (up["background_size"] == len(background)).all() and (up["n_hits"] == len(hits)).all()
    expected = over_representation(hits, background).set_index("set")
    listed = expected[expected["overlap"] > 0]  # sets without a hit (p = 1) are counted, not listed
    assert list(up.index) == list(listed.index)
    assert np.allclose(up["p_value"], listed["p_value"], rtol=1e-12) and np.allclose(up["adj_p_value"], listed["adj_p_value"], rtol=1e-12)
    best = up.iloc[0]  # the sets most over-represented among lot_B's higher proteins are made of serum/lysis proteins
    assert best["overlap"] / best["expected"] > 2
    assert set(best["genes"].split(";")) <= {gene.upper() for gene in SERUM + LYSIS}
    entry = summary["differential"]["enrichment"]
    assert entry["file"] == f"enrichment_{CONTRAST}.tsv" and entry["n_sets_tested"]["hypergeometric:up"] == len(expected)


def test_lot_options_add_comparability_with_the_simulated_differences(demo_stats):
    out, html, summary = demo_stats
    factors = pd.read_csv(out / "comparability_factors.tsv", sep="\t", keep_default_na=False, na_values=[""])
    lots = pd.read_csv(out / "comparability_lots.tsv", sep="\t")
    cv = pd.read_csv(out / "comparability_cv.tsv", sep="\t")
    assert list(factors.columns) == FACTOR_COLUMNS and list(lots.columns) == LOT_COLUMNS
    assert list(cv.columns) == ["factor", "protein", "n_all_lots", "cv_all_lots", "n_reference_lots", "cv_reference_lots"]
    measured = factors[(factors["n_test"] >= 2) & (factors["n_reference"] >= 2)].set_index("factor")
    serum = measured.loc[measured.index.isin(SERUM)]
    ev = measured.loc[measured.index.isin(EV)]
    assert len(serum) >= 8 and len(ev) == len(EV)
    assert (serum["verdict"] == "not_equivalent").all() and (serum["diff"] > 1.0).all()
    assert (ev["verdict"] == "equivalent").all() and (ev["diff"].abs() < 0.5).all()
    assert ((ev["ci_low"] > -1.0) & (ev["ci_high"] < 1.0)).all()  # the TOST verdict is the 90% CI inside the margin
    lot_b = lots.set_index("lot").loc["lot_B"]
    assert lot_b["verdict"] == "not_comparable" and lot_b["n_not_equivalent"] == len(serum)
    assert lot_b["similarity"] > 0.8
    # one reference lot gives no control limit: stated, not invented
    assert lots.set_index("lot").loc["lot_A", "similarity_verdict"] == "insufficient_data"

    entry = summary["comparability"]
    assert entry["lot_verdicts"] == {"lot_A": "insufficient_data", "lot_B": "not_comparable"}
    assert entry["margin_log2"] == 1.0 and entry["reference_lots"] == ["lot_A"]
    assert {(row["factor"], row["verdict"]) for row in entry["factors"]} >= {("ALB", "not_equivalent"), ("CD63", "equivalent")}
    assert summary["parameters"]["reference"] == ["lot_A"] and summary["parameters"]["margin"] == 1.0
    assert summary["parameters"]["factors"] == SERUM + EV and summary["parameters"]["lot_column"] == "lot"
    assert "Lot comparability" in html and "verdict-not_equivalent" in html and "median normalization" in html


# -------------------------------------------------------------------------------------- hand-built data
def _lots_adata(seed: int = 3) -> AnnData:
    """Five lots x 3 samples, 80 proteins: L1-L3 reference, L4 with G1 four-fold higher, L5 like the references."""
    rng = np.random.default_rng(seed)
    lots = [f"L{lot}" for lot in range(1, 6) for _ in range(3)]
    log2 = rng.normal(24, 2, 80)[None, :] + rng.normal(0, 0.1, (15, 80))
    log2[9:12, 1] += 2.0
    names = [f"S{i + 1}" for i in range(15)]
    obs = pd.DataFrame({"sample": names, "lot": lots, "condition": ["a", "b"] * 7 + ["a"]}, index=names)
    proteins = [f"P{j}" for j in range(80)]
    var = pd.DataFrame({"protein_group": proteins, "gene": [f"G{j}" for j in range(80)]}, index=proteins)
    adata = AnnData(X=np.exp2(log2), obs=obs, var=var)
    adata.uns["source"] = {"is_log2": False, "format": "generic"}
    return adata


def test_lot_comparability_on_hand_built_lots():
    adata = _lots_adata()
    options = LotOptions(reference=("L1", "L2", "L3"), factors=("G1", "G2", "G3"), margin=0.5, normalize="none")
    lots = lot_analysis(adata, options)
    files, entry = lot_files(lots), lots.entry
    html = render_section("comparability", {"comparability": entry})
    factors = pd.read_csv(pd.io.common.StringIO(files["comparability_factors.tsv"]), sep="\t").set_index(["lot", "factor"])
    assert factors.loc[("L4", "G1"), "verdict"] == "not_equivalent" and abs(factors.loc[("L4", "G1"), "diff"] - 2.0) < 0.2
    assert (factors.drop(index=("L4", "G1"))["verdict"] == "equivalent").all()
    assert entry["lot_verdicts"] == {"L1": "within_limits", "L2": "within_limits", "L3": "within_limits",
                                     "L4": "not_comparable", "L5": "comparable"}
    assert entry["margin_log2"] == 0.5 and "mean - 3 SD" in entry["control_limit_method"]
    assert [step["step"] for step in entry["preprocessing"]] == ["filter_valid", "log2_transform", "normalize"]
    assert '<section id="comparability">' in html and "none normalization" in html and "G1, G2, G3" in html
    assert 'class="verdict-not_equivalent"' in html and 'id="fig-control-chart"' in html
    assert len(adata.layers) == 0 and "preprocessing" not in adata.uns  # the caller's dataset is left as it was


def test_differential_on_hand_built_data_uses_the_options():
    from test_stats_compare import make_adata

    adata = make_adata(n_per_group=4, n_proteins=150)
    options = ContrastOptions(design="~ condition + donor", contrast="treated-control", normalize="quantile", impute="knn",
                              min_valid=3, robust=True)
    result = differential_analysis(adata, options)
    files, entry = differential_files(result), result.entry
    sections = {name: render_section(name, {"differential": entry}) for name in ("preprocessing", "differential", "enrichment")}
    assert all(f'<section id="{name}">' in html for name, html in sections.items())
    assert sorted(files) == ["differential_treated-control.tsv", "enrichment_treated-control.tsv"]
    table = pd.read_csv(pd.io.common.StringIO(files["differential_treated-control.tsv"]), sep="\t")
    assert list(table.columns) == RESULT_COLUMNS + ["composition"]
    assert set(entry["composition_of_hits"]) == {"serum", "lysis", "handling"}
    up = set(table.loc[(table["adj_p_value"] < 0.05) & (table["log2fc"] > 1), "protein"])
    assert up == {f"P{j:04d}" for j in range(10)}  # exactly the ten proteins made four-fold higher in treated
    steps = {step["step"]: step for step in entry["preprocessing"]}
    assert steps["filter_valid"]["min_valid"] == 3 and steps["normalize"]["method"] == "quantile"
    assert steps["impute"]["method"] == "knn"
    assert entry["settings"]["robust"] is True and "robust = <code>True</code>" in sections["preprocessing"]
    enrichment = pd.read_csv(pd.io.common.StringIO(files["enrichment_treated-control.tsv"]), sep="\t")
    assert list(enrichment.columns) == ENRICHMENT_COLUMNS  # made-up genes: no KB set within the size limits


# ------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "args, message",
    [
        (["--lot-column", "batch", "--reference", "lot_A"], "column 'batch'"),
        (["--reference", "lot_C"], "reference lot(s) lot_C do not occur"),
        (["--design", "~ lot", "--contrast", "lot_C-lot_A"], "does not name two levels of 'lot'"),
        (["--design", "~ lot", "--contrast", "lot_B-lot_A", "--normalize", "mean"], "unknown normalization 'mean' (expected: none, median"),
        (["--margin", "0.5"], "lot-comparability parameters without --reference: --margin"),
        (["--impute", "knn"], "contrast parameters without --design and --contrast: --impute"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_no_output(tmp_path, monkeypatch, capsys, args, message):
    from secretome.cli import main

    out = tmp_path / "never"
    monkeypatch.setattr(sys, "argv", ["secretome", "profile", "--demo", *args, "--out", str(out)])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 2
    stderr = capsys.readouterr().err
    assert len(stderr.strip().splitlines()) == 1 and message in stderr and "Traceback" not in stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_statistics_parameters_combinations_speak_of_parameters():
    with pytest.raises(SecretomeInputError, match="design and contrast go together") as error:
        statistics_options(contrast="a-b")
    assert "--" not in str(error.value) and error.value.parameters == ("design", "contrast")
    with pytest.raises(SecretomeInputError, match="normalize applies to a contrast or a lot comparison"):
        statistics_options(normalize="median")
    with pytest.raises(SecretomeInputError, match="is not positive"):
        statistics_options(reference=("L1",), margin=-1.0)
    with pytest.raises(SecretomeInputError, match="factors names no gene"):
        statistics_options(reference=("L1",), factors=(" ",))
    with pytest.raises(SecretomeInputError, match="min_valid -1 is negative") as error:
        statistics_options(design="~ lot", contrast="a-b", min_valid=-1)
    assert "--min-valid -1 is negative" in str(error.value.reworded({"min_valid": "--min-valid"}))
    contrast, lots = statistics_options(design="~ lot", contrast="a-b", normalize="vsn", impute="knn", min_valid=0, trend=True)
    assert lots is None and contrast.settings()["normalize"] == "vsn"
    assert statistics_parameters(None, None)["normalize"] is None
    from secretome.kb.panel import key_factor_genes

    _, lots = statistics_options(reference=("L1",))
    assert statistics_parameters(None, lots)["factors"] == list(key_factor_genes())
