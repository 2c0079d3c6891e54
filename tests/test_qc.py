"""QC and purity on hand-built, already-annotated AnnData (no reader or knowledge base needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.qc import (
    judge,
    load_thresholds,
    pairwise_correlation,
    pca,
    purity_categories,
    qc,
    robust_z,
)

VAR_DEFAULTS = {
    "gene": "",
    "species": "HUMAN",
    "mixed_species": False,
    "secretion_class": "unknown",
    "functional_classes": "",
    "lysis_marker": False,
    "lysis_category": "",
    "ev_marker": False,
    "serum_marker": False,
    "handling_contaminant": False,
    "is_decoy": False,
    "is_contaminant": False,
}


def make_annotated(values: np.ndarray, proteins: list[dict], samples: list[str] | None = None,
                   obs: dict | None = None, is_log2: bool = False) -> AnnData:
    """An AnnData as read + annotate would give it: X samples x proteins, contract .var columns."""
    values = np.asarray(values, dtype=float)
    samples = samples or [f"s{i + 1}" for i in range(values.shape[0])]
    var = pd.DataFrame([{**VAR_DEFAULTS, **p} for p in proteins])
    var.index = [p.get("id", f"P{i:05d}") for i, p in enumerate(proteins)]
    var = var.drop(columns=["id"], errors="ignore")
    frame = pd.DataFrame({"sample": samples, **(obs or {})}, index=samples)
    adata = AnnData(X=values, obs=frame, var=var)
    adata.uns["source"] = {"path": "hand-built", "format": "generic", "is_log2": is_log2, "sha256": "0" * 64,
                           "quantity": "Intensity"}
    adata.uns["kb"] = {"version": "test-kb"}
    return adata


def five_protein_dataset() -> AnnData:
    """Two samples with exact, hand-checkable shares."""
    proteins = [
        {"id": "P02769", "gene": "ALB", "species": "BOVIN", "secretion_class": "contaminant_serum", "serum_marker": True},
        {"id": "P04264", "gene": "KRT1", "secretion_class": "contaminant_handling", "handling_contaminant": True},
        {"id": "P00338", "gene": "LDHA", "secretion_class": "intracellular", "lysis_marker": True,
         "lysis_category": "cytosolic_enzyme"},
        {"id": "P62805", "gene": "H4C1", "secretion_class": "ev_cargo", "lysis_marker": True, "lysis_category": "nuclear"},
        {"id": "P21926", "gene": "CD9", "secretion_class": "ev_cargo", "ev_marker": True},
        {"id": "P01133", "gene": "EGF", "secretion_class": "secreted", "functional_classes": "growth_factor"},
        {"id": "P02788", "gene": "LTF", "secretion_class": "secreted", "functional_classes": "antimicrobial;immunomodulatory"},
        {"id": "P16070", "gene": "CD44", "secretion_class": "membrane"},
        {"id": "Q00000", "gene": "XYZ", "secretion_class": "unknown"},
        {"id": "REV__P1", "is_decoy": True},
    ]
    x = np.array([
        [10, 2, 3, 1, 4, 50, 20, 5, 5, 1000],
        [40, np.nan, 10, np.nan, 5, 20, 15, 5, 5, np.nan],
    ])
    return make_annotated(x, proteins, obs={"lot": ["A", "B"]})


def test_purity_shares_are_exact_and_partition_the_total():
    adata = qc(five_protein_dataset())
    obs = adata.obs
    # sample 1 total (decoy excluded) = 100
    assert obs.loc["s1", "serum_share"] == pytest.approx(0.10)
    assert obs.loc["s1", "handling_share"] == pytest.approx(0.02)
    # lysis = LDHA (intracellular) + histone (lysis marker overrides its ev_cargo class)
    assert obs.loc["s1", "lysis_share"] == pytest.approx(0.04)
    assert obs.loc["s1", "lysis_nuclear_share"] == pytest.approx(0.01)
    assert obs.loc["s1", "ldh_share"] == pytest.approx(0.03)
    lysis_parts = [f"lysis_{c}_share" for c in ("nuclear", "mitochondrial", "ribosomal", "cytosolic_enzyme", "other")]
    assert np.allclose(obs[lysis_parts].sum(axis=1), obs["lysis_share"])
    assert obs.loc["s1", "ev_share"] == pytest.approx(0.04)
    assert obs.loc["s1", "secreted_share"] == pytest.approx(0.70)
    assert obs.loc["s1", "membrane_share"] == pytest.approx(0.05)
    assert obs.loc["s1", "unknown_share"] == pytest.approx(0.05)
    # sample 2 total = 100, missing values count as zero
    assert obs.loc["s2", "serum_share"] == pytest.approx(0.40)
    assert obs.loc["s2", "handling_share"] == 0
    assert np.allclose(obs["serum_species_share"] + obs["serum_marker_share"] + obs["serum_mixed_share"],
                       obs["serum_share"])
    partition = ["serum", "handling", "lysis", "ev", "secreted", "membrane", "unknown"]
    assert np.allclose(obs[[f"{c}_share" for c in partition]].sum(axis=1), 1.0)
    assert obs.loc["s1", "n_proteins"] == 9 and obs.loc["s2", "n_proteins"] == 7
    assert obs.loc["s2", "missing_share"] == pytest.approx(2 / 9)
    assert adata.var.loc["P62805", "purity_category"] == "lysis"
    assert adata.var.loc["REV__P1", "purity_category"] == "decoy"


def test_log2_input_is_linearised_for_shares():
    linear = five_protein_dataset()
    logged = five_protein_dataset()
    logged.X = np.log2(logged.X)
    logged.uns["source"]["is_log2"] = True
    a = qc(linear).obs["serum_share"].to_numpy()
    b = qc(logged).obs["serum_share"].to_numpy()
    assert np.allclose(a, b)


def test_verdicts_state_the_rule_and_flags_follow_thresholds():
    adata = qc(five_protein_dataset())
    assert adata.obs.loc["s2", "serum_share_flag"] == "fail"
    assert "fail: serum_share 0.4 > 0.2 (qc_thresholds.toml: serum_share.fail)" in adata.obs.loc["s2", "qc_verdicts"]
    assert adata.obs.loc["s1", "serum_share_flag"] == "warn"
    assert adata.obs.loc["s2", "qc_status"] == "fail"
    relaxed = load_thresholds(overrides=["serum_share.fail=0.5", "serum_share.warn=0.45"])
    adata = qc(five_protein_dataset(), thresholds=relaxed)
    assert adata.obs.loc["s2", "serum_share_flag"] == "pass"
    assert "(override: serum_share.warn)" in adata.uns["qc"]["verdicts"].loc["s2", "serum_share"]


def test_judge_directions():
    t = load_thresholds()
    assert judge(0.3, "secreted_share", t)[0] == "warn"
    assert judge(0.2, "secreted_share", t)[0] == "fail"
    assert judge(0.9, "secreted_share", t)[0] == "pass"
    flag, text = judge(20, "n_proteins", t, reference=100)
    assert flag == "fail" and "x median 100" in text
    assert judge(70, "n_proteins", t, reference=100)[0] == "pass"


def test_thresholds_from_config_file_and_bad_input(tmp_path):
    config = tmp_path / "lab.toml"
    config.write_text("[lysis_share]\nwarn = 0.2\nfail = 0.4\n[settings]\ntop_n = 3\n")
    t = load_thresholds(config)
    assert t.limit("lysis_share", "fail") == 0.4
    assert t.cite("lysis_share", "fail") == "lab.toml: lysis_share.fail"
    assert t.setting("top_n") == 3
    with pytest.raises(SecretomeInputError, match="unknown threshold key 'serum.fail'"):
        load_thresholds(overrides=["serum.fail=0.1"])
    with pytest.raises(SecretomeInputError, match="wrong type"):
        load_thresholds(overrides=["serum_share.fail=high"])
    with pytest.raises(SecretomeInputError, match="less strict"):
        load_thresholds(overrides=["serum_share.fail=0.01"])
    with pytest.raises(SecretomeInputError, match="no '='"):
        load_thresholds(overrides=["serum_share.fail"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[serum_share\n")
    with pytest.raises(SecretomeInputError, match="bad.toml"):
        load_thresholds(bad)


def test_every_threshold_has_a_source():
    values = load_thresholds().values
    for metric, entry in values.items():
        if metric != "settings":
            assert entry["source"].strip(), metric
            assert entry["direction"] in ("above", "below", "below_median_fraction")


def test_mixed_species_rule_is_explicit():
    """A human protein grouped with a bovine entry is decided by the engine's evidence (issue 8): the leading
    (razor) member of a MaxQuant-style group; without that evidence the group is ambiguous, reported on its own
    and not counted as serum unless settings.mixed_species_counts_as_serum says so."""
    proteins = [
        {"id": "CON__P15497;P02647", "gene": "APOA1", "species": "HUMAN;BOVIN", "mixed_species": True,
         "leading_species": "BOVIN", "secretion_class": "secreted"},
        {"id": "P02652;CON__P81644", "gene": "APOA2", "species": "HUMAN", "mixed_species": True,
         "leading_species": "HUMAN", "serum_marker": True, "secretion_class": "secreted"},
        {"id": "P02768", "gene": "ALB", "species": "HUMAN", "mixed_species": False, "secretion_class": "secreted"},
        {"id": "P01133", "gene": "EGF", "secretion_class": "secreted"},
    ]
    adata = make_annotated(np.array([[10.0, 5.0, 25.0, 60.0]]), proteins)
    ambiguous = qc(adata.copy())  # generic table: group order is no evidence
    assert ambiguous.obs["serum_share"].iloc[0] == 0
    assert ambiguous.obs["serum_ambiguous_share"].iloc[0] == pytest.approx(0.15)
    assert list(ambiguous.var["purity_category"].iloc[:2]) == ["secreted", "secreted"]
    assert "ambiguous mixed_species group" in ambiguous.var["purity_rule"].iloc[0]
    counted = qc(adata.copy(), thresholds=load_thresholds(overrides=["settings.mixed_species_counts_as_serum=true"]))
    assert counted.obs["serum_share"].iloc[0] == pytest.approx(0.15)
    assert counted.obs["serum_mixed_share"].iloc[0] == pytest.approx(0.15)
    assert counted.obs["serum_marker_share"].iloc[0] == 0
    assert counted.var["purity_rule"].iloc[0].startswith("mixed_species group")
    adata.uns["source"]["format"] = "maxquant"  # the first member is the leading (razor) protein
    decided = qc(adata.copy())
    assert decided.obs["serum_share"].iloc[0] == pytest.approx(0.10)  # led by bovine: serum
    assert decided.obs["serum_mixed_share"].iloc[0] == pytest.approx(0.10)
    assert decided.obs["serum_ambiguous_share"].iloc[0] == 0
    assert decided.var["purity_category"].iloc[1] == "secreted"  # led by human: the human protein
    assert "led by its human member" in decided.var["purity_rule"].iloc[1]


def test_human_supplement_markers_count_as_serum_when_the_sheet_names_the_supplement():
    """Human platelet lysate brings platelet factors and immunoglobulins (Burnouf et al. 2016,
    doi:10.1016/j.biomaterials.2015.10.065): they are serum only where the sample sheet says HPL."""
    proteins = [
        {"id": "P02776", "gene": "PF4", "secretion_class": "secreted"},
        {"id": "P01857", "gene": "IGHG1", "secretion_class": "secreted"},
        {"id": "P01133", "gene": "EGF", "secretion_class": "secreted"},
    ]
    values = np.array([[10.0, 20.0, 70.0], [10.0, 20.0, 70.0]])
    plain = qc(make_annotated(values, proteins))
    assert (plain.obs["serum_share"] == 0).all()
    hpl = qc(make_annotated(values, proteins, obs={"supplement": ["HPL", "human platelet lysate"]}))
    assert hpl.obs["serum_share"].to_numpy() == pytest.approx([0.3, 0.3])
    assert "human_platelet_lysate" in hpl.var.loc["P02776", "purity_rule"]
    serum = qc(make_annotated(values, proteins, obs={"supplement": ["human serum", "FBS"]}))
    assert serum.var.loc["P02776", "purity_category"] == "secreted"  # a platelet factor is no serum-supplement marker
    assert serum.var.loc["P01857", "purity_category"] == "serum"
    with pytest.raises(SecretomeInputError, match="supplement"):
        qc(make_annotated(values, proteins, obs={"supplement": ["HPL", "goat milk"]}))


def test_bovine_handling_contaminants_are_not_serum():
    proteins = [
        {"id": "CON__P02662", "gene": "CSN1S1", "species": "BOVIN", "handling_contaminant": True,
         "secretion_class": "contaminant_handling"},
        {"id": "CON__P02769", "gene": "ALB", "species": "BOVIN", "secretion_class": "unknown"},
        {"id": "P01133", "gene": "EGF", "secretion_class": "secreted"},
    ]
    adata = qc(make_annotated(np.array([[5.0, 15.0, 80.0]]), proteins))
    assert adata.obs["handling_share"].iloc[0] == pytest.approx(0.05)
    assert adata.obs["serum_share"].iloc[0] == pytest.approx(0.15)
    assert adata.var["purity_rule"].iloc[1] == "species BOVIN"


def test_pairwise_correlation_matches_pandas_pairwise_complete():
    rng = np.random.default_rng(1)
    data = rng.normal(20, 2, (6, 80))
    data[rng.random(data.shape) < 0.3] = np.nan
    ours = pairwise_correlation(data, min_overlap=5)
    reference = pd.DataFrame(data.T).corr(min_periods=5).to_numpy()
    assert np.allclose(ours, reference, equal_nan=True)



def test_blocked_pairwise_correlation_matches_pandas(monkeypatch):
    """The two-pass blocked sums (var_i added onto -sx**2/n in place) give pandas' pairwise-complete correlation."""
    from secretome.qc import matrices, outliers

    monkeypatch.setattr(outliers, "ONE_BLOCK_BYTES", 0)
    monkeypatch.setattr(matrices, "BLOCK_BYTES", 4 * 8 * 7)  # products over 7 samples x 1 protein at a time
    rng = np.random.default_rng(4)
    data = rng.normal(20, 2, (7, 90))
    data[rng.random(data.shape) < 0.3] = np.nan
    data[6, 5:] = np.nan  # a sample sharing too few proteins: NaN pairs, NaN diagonal
    ours = pairwise_correlation(data, min_overlap=5)
    reference = pd.DataFrame(data.T).corr(min_periods=5).to_numpy()
    assert np.isnan(ours[6]).all() and np.isnan(ours[:, 6]).all()
    assert np.allclose(ours, reference, equal_nan=True, rtol=0, atol=1e-12)


def test_off_diagonal_medians_equal_the_copied_matrix_medians():
    """Each sample's median correlation with the others, taken a block of rows at a time, is the median of the
    off-diagonal row (NaN for a sample without any pair)."""
    from secretome.qc.stage import _off_diagonal_medians

    rng = np.random.default_rng(5)
    corr = rng.uniform(-1, 1, (300, 300))
    corr[rng.random(corr.shape) < 0.2] = np.nan
    corr[7] = np.nan
    corr[7, 7] = 1.0
    off = corr.copy()
    np.fill_diagonal(off, np.nan)
    expected = np.array([np.nanmedian(row) if np.isfinite(row).any() else np.nan for row in off])
    assert np.array_equal(_off_diagonal_medians(corr, block=64), expected, equal_nan=True)
    assert np.isnan(_off_diagonal_medians(corr)[7])

def test_robust_z_and_outlier_detection():
    z = robust_z(np.array([1.0, 1.1, 0.9, 1.0, 1.05, 5.0]))
    assert z[-1] > 5 and np.all(np.abs(z[:-1]) < 2)
    assert np.all(robust_z(np.array([2.0, 2.0, 2.0])) == 0)
    rng = np.random.default_rng(3)
    base = rng.normal(20, 3, 300)
    x = base + rng.normal(0, 0.2, (10, 300))
    x[7] = rng.normal(20, 3, 300)  # an unrelated sample
    proteins = [{"secretion_class": "secreted"} for _ in range(300)]
    adata = qc(make_annotated(np.exp2(x), proteins))
    assert adata.obs["correlation_flag"].iloc[7] == "fail"
    assert adata.obs["pca_flag"].iloc[7] in ("warn", "fail")
    assert (adata.obs["correlation_flag"].drop(adata.obs_names[7]) == "pass").all()
    assert "correlation_outlier" in adata.obs["qc_verdicts"].iloc[7]


def test_pca_handles_missing_values_and_small_inputs():
    rng = np.random.default_rng(5)
    x = rng.normal(20, 1, (8, 50))
    x[:4, :] += np.linspace(-2, 2, 50)  # two groups differ on a gradient
    x[rng.random(x.shape) < 0.1] = np.nan
    result = pca(x, min_detection=0.7, n_components=3)
    assert result.scores.shape == (8, 3) and np.all(np.isfinite(result.scores))
    separation = abs(result.scores[:4, 0].mean() - result.scores[4:, 0].mean())
    assert separation > 2 * result.scores[:, 0].std() / 2
    assert pca(x[:2], 0.7, 3).scores.shape == (2, 0)


@pytest.mark.parametrize("shape", [(12, 40), (40, 12)])
def test_pca_scores_match_a_full_svd(shape):
    rng = np.random.default_rng(8)
    x = rng.normal(20, 1, shape) + rng.normal(0, 2, (shape[0], 1)) * rng.normal(0, 1, (1, shape[1]))
    result = pca(x, min_detection=0.7, n_components=3)
    centred = x - np.median(x, axis=1, keepdims=True)
    centred = centred - centred.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    expected = u[:, :3] * s[:3]
    assert np.allclose(np.abs(result.scores), np.abs(expected), atol=1e-8)
    assert np.allclose(result.explained_variance_ratio, s[:3] ** 2 / (s**2).sum())


def test_group_cv_and_few_samples_are_reported_not_hidden():
    rng = np.random.default_rng(7)
    x = np.exp2(rng.normal(20, 2, 100))[None, :] * np.exp(rng.normal(0, 0.1, (4, 100)))
    proteins = [{"secretion_class": "secreted"} for _ in range(100)]
    adata = qc(make_annotated(x, proteins, obs={"lot": ["A", "A", "B", "B"]}), group="lot")
    cv = adata.uns["qc"]["group_cv"].set_index("group")
    assert 0.03 < cv.loc["A", "median_cv"] < 0.2 and (cv["flag"] == "pass").all()
    assert "settings.outlier_min_samples" in adata.uns["qc"]["verdicts"].loc["s1", "pca_outlier"]
    with pytest.raises(SecretomeInputError, match="no sample-sheet column 'batch'"):
        qc(adata, group="batch")


def test_unannotated_dataset_is_a_clear_error():
    adata = AnnData(np.ones((2, 2)))
    with pytest.raises(SecretomeInputError, match="annotate"):
        purity_categories(adata, load_thresholds())
