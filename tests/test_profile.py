"""profile(): summary, tables and atomic outputs, on simulated data annotated from its known roles."""

from __future__ import annotations

import json

import anndata
import numpy as np
import pandas as pd
import pytest
from test_qc import five_protein_dataset, make_annotated

from secretome.datasets import protein_identities, simulate_secretome
from secretome.errors import SecretomeInputError
from secretome.io import h5ad_safe
from conftest import profiled
from secretome.jobs.profile import OUTPUT_FILES, write_profile
from secretome.kb.vocab import FUNCTIONAL_CLASSES
from secretome.profile import proteins_table, samples_table

ROLE_ANNOTATION = {
    # role -> (secretion_class, serum_marker, handling_contaminant, lysis_marker, ev_marker)
    "serum": ("contaminant_serum", True, False, False, False),
    "serum_mixed": ("secreted", True, False, False, False),  # annotate() carries the bovine serum_marker over
    "handling": ("contaminant_handling", False, True, False, False),
    "lysis": ("intracellular", False, False, True, False),
    "ev_cargo": ("ev_cargo", False, False, False, True),
    "membrane": ("membrane", False, False, False, False),
    "secreted": ("secreted", False, False, False, False),
}


def anndata_from_simulation(simulated, quantity: str = "LFQ intensity") -> anndata.AnnData:
    """The AnnData that read + annotate should produce, with annotation taken from the simulated roles."""
    table = simulated.protein_groups
    names = list(simulated.samples["sample"])
    values = table[[f"{quantity} {name}" for name in names]].to_numpy(dtype=float).T
    values[values == 0] = np.nan
    identities = protein_identities()
    proteins = []
    for i, row in table.iterrows():
        if row["Reverse"] == "+":
            proteins.append({"id": row["Protein IDs"], "is_decoy": True})
            continue
        ident = identities.iloc[i]
        secretion, serum, handling, lysis, ev = ROLE_ANNOTATION[ident["role"]]
        proteins.append({
            "id": row["Protein IDs"],
            "gene": ident["gene"].split(";")[0],
            "species": "HUMAN" if ident["role"] == "serum_mixed" else ident["species"].split(";")[0],
            "mixed_species": ident["role"] == "serum_mixed",
            "leading_species": ident["species"].split(";")[0],  # the group's first (leading) member
            "secretion_class": secretion,
            "functional_classes": ident["demo_class"] if ident["role"] == "secreted" else "",
            "serum_marker": serum,
            "handling_contaminant": handling,
            "lysis_marker": lysis,
            "lysis_category": ident["lysis_category"],
            "ev_marker": ev,
            "is_contaminant": row["Potential contaminant"] == "+",
        })
    adata = make_annotated(values, proteins, samples=names, obs={"lot": list(simulated.samples["lot"])})
    adata.uns["source"]["format"] = "maxquant"  # the simulator writes proteinGroups.txt: leading member first
    return adata


@pytest.fixture(scope="module")
def simulated():
    return simulate_secretome(
        n_samples=8, seed=11, fbs_share=[0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
        lysis_share=0.06, handling_share=0.01, ev_share=0.05, membrane_share=0.02,
        groups=["A"] * 4 + ["B"] * 4,
    )


def test_profile_recovers_simulated_shares(simulated):
    adata, summary = profiled(anndata_from_simulation(simulated), group="lot")
    realized, target = simulated.truth["realized"], simulated.truth["target"]
    for name in ("serum_share", "lysis_share", "handling_share", "ev_share", "membrane_share", "secreted_share",
                 "serum_mixed_share"):
        got = adata.obs[name].to_numpy()
        # exact given the same partition (only missing values and integer rounding separate the two)
        assert np.allclose(got, [realized[name][s] for s in adata.obs_names], atol=1e-9), name
        if name in target:
            # recovered within 0.02 absolute of what was put in, despite missing values
            assert np.allclose(got, [target[name][s] for s in adata.obs_names], atol=0.02), name
    flags = adata.obs["serum_share_flag"].tolist()
    assert flags[:2] == ["pass", "pass"] and flags[-1] == "fail"
    assert summary["samples"][-1]["qc_status"] == "fail"


def test_summary_is_plain_json_and_complete(simulated):
    _, summary = profiled(anndata_from_simulation(simulated), group="lot")
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["n_samples"] == 8
    assert summary["functional"]["classes"][:4] == ["lubricating", "anti_inflammatory", "growth_factor", "antimicrobial"]
    gf = {f["gene"] for f in summary["functional"]["top_factors"]["growth_factor"]}
    assert {"EGF", "HGF", "VEGFA"} & gf
    assert summary["purity"]["drivers"]["serum"][0]["gene"] == "ALB"
    assert summary["purity"]["drivers"]["serum"][0]["rule"] == "serum_marker; secretion_class=contaminant_serum; species BOVIN"
    assert summary["groups"]["levels"] == ["A", "B"]
    serum_diff = next(d for d in summary["groups"]["differences"] if d["metric"] == "serum_share")
    assert serum_diff["difference"] > 0.1
    panel = {f["gene"]: f for f in summary["key_factors"]}
    assert panel["EGF"]["in_table"] and panel["EGF"]["by_group"]["A"]["n_samples"] == 4
    assert "IL10" in panel


def test_functional_shares_are_shares_of_the_secreted_pool():
    adata, summary = profiled(five_protein_dataset())
    shares = dict(zip(FUNCTIONAL_CLASSES, summary["functional"]["share"][0]))
    # secreted pool of s1: EGF 50 + LTF 20
    assert shares["growth_factor"] == pytest.approx(50 / 70)
    assert shares["antimicrobial"] == pytest.approx(20 / 70)
    assert shares["immunomodulatory"] == pytest.approx(20 / 70)
    assert shares["lubricating"] == 0
    counts = dict(zip(FUNCTIONAL_CLASSES, summary["functional"]["n_factors"][0]))
    assert counts["growth_factor"] == 1 and counts["antimicrobial"] == 1


def test_tables_have_the_promised_columns(simulated):
    adata, _ = profiled(anndata_from_simulation(simulated), group="lot")
    proteins = proteins_table(adata, "lot")
    for column in ("gene", "secretion_class", "functional_classes", "n_detected", "mean_log2_A", "median_log2_B",
                   "log2_diff_B_vs_A", "rank"):
        assert column in proteins.columns
    assert proteins["rank"].iloc[0] == 1
    assert proteins.loc[proteins["purity_category"] == "decoy", "rank"].isna().all()
    samples = samples_table(adata, "lot")
    for column in ("sample", "n_proteins", "missing_share", "serum_share", "lysis_share", "handling_share", "ev_share",
                   "secreted_share", "qc_status"):
        assert column in samples.columns
        if column not in ("sample", "qc_status"):
            assert f"{column}_flag" in samples.columns
    assert set(samples["qc_status"]) <= {"pass", "warn", "fail"}


def test_write_outputs_is_complete_and_atomic(tmp_path, simulated, monkeypatch):
    adata, _ = profiled(anndata_from_simulation(simulated), group="lot")
    out = tmp_path / "run"
    write_profile(adata, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    back = anndata.read_h5ad(out / "dataset.h5ad")
    assert np.allclose(back.obs["serum_share"], adata.obs["serum_share"])
    assert json.loads((out / "profile.json").read_text())["kb_version"] == "test-kb"
    samples = pd.read_csv(out / "samples.tsv", sep="\t")
    assert list(samples["sample"]) == list(adata.obs_names)
    # rewriting an earlier output directory works; a failure while writing leaves the earlier one intact
    write_profile(adata, out)

    def fail(_):
        raise TypeError("the dataset cannot be stored")

    monkeypatch.setattr("secretome.io.h5ad_safe", fail)
    with pytest.raises(TypeError):
        write_profile(adata, out)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("keep me")
    with pytest.raises(SecretomeInputError, match="refusing to overwrite"):
        write_profile(adata, foreign)


def test_write_outputs_takes_extra_sections_and_files(tmp_path):
    adata, _ = profiled(five_protein_dataset())
    section = {"id": "panel", "title": "Immunoassay panel", "partial": "immunoassay",
               "data": {"model": "4pl", "weights": "none", "panel": {"columns": ["analyte"], "rows": [{"analyte": "IL-6 panel row"}]}}}
    write_profile(adata, tmp_path / "o", extra_sections=[section], extra_files={"differential_B-A.tsv": "protein\n"})
    assert (tmp_path / "o" / "differential_B-A.tsv").read_text() == "protein\n"
    html = (tmp_path / "o" / "report.html").read_text()
    assert '<section id="panel">' in html and "IL-6 panel row" in html
    with pytest.raises(ValueError, match="partial 'html'"):
        write_profile(adata, tmp_path / "p", extra_sections=[{"id": "x", "title": "x", "partial": "html"}])


def test_a_written_dataset_profiles_again_to_the_same_numbers(tmp_path, simulated):
    first, first_summary = profiled(anndata_from_simulation(simulated), group="lot")
    h5ad_safe(first).write_h5ad(tmp_path / "d.h5ad")
    again = anndata.read_h5ad(tmp_path / "d.h5ad")  # text columns come back as categoricals
    assert isinstance(again.var["secretion_class"].dtype, pd.CategoricalDtype)
    second, second_summary = profiled(again, group="lot")
    for column in ("serum_share", "lysis_share", "secreted_share", "qc_status"):
        assert list(second.obs[column]) == list(first.obs[column])
    assert second_summary["key_factors"] == first_summary["key_factors"]
    assert [p["step"] for p in second_summary["provenance"]] == ["qc", "profile", "qc", "profile"]


def test_h5ad_safe_keeps_provenance_records(tmp_path):
    adata, _ = profiled(five_protein_dataset())
    h5ad_safe(adata).write_h5ad(tmp_path / "x.h5ad")
    back = anndata.read_h5ad(tmp_path / "x.h5ad")
    steps = [back.uns["provenance"][key]["step"] for key in sorted(back.uns["provenance"])]
    assert steps == ["qc", "profile"]


def test_single_sample_profile_does_not_crash():
    adata = five_protein_dataset()[:1].copy()
    _, summary = profiled(adata)
    assert summary["n_samples"] == 1
    assert summary["qc"]["pca"]["scores"] == [[]]
    assert "outlier_min_samples" in summary["samples"][0]["verdicts"][-1]


def test_an_empty_sample_fails_clearly_and_everything_still_renders(tmp_path):
    from secretome.report import render_report

    adata = five_protein_dataset()
    values = np.vstack([adata.X, np.full((1, adata.n_vars), np.nan)])
    empty = make_annotated(values, [{"id": name, **row} for name, row in adata.var.to_dict(orient="index").items()],
                           obs={"lot": ["A", "B", "B"]})
    profiled_empty, summary = profiled(empty, group="lot")
    row = summary["samples"][2]
    assert row["qc_status"] == "fail" and row["serum_share"] is None
    assert "fail: serum_share could not be computed (no quantified proteins)" in row["verdicts"]
    json.dumps(summary, allow_nan=False)
    assert "n/a" in render_report(summary)
    write_profile(profiled_empty, tmp_path / "o")
