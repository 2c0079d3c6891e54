"""Lot comparability: TOST against statsmodels, verdict rules, control limits, input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.weightstats import ttost_ind

from secretome.errors import SecretomeInputError
from secretome.stats.comparability import comparability, tost_welch


def make_lots(lot_shift: dict[str, np.ndarray], n_per_lot: int = 3, n_proteins: int = 200, seed: int = 0, noise: float = 0.15) -> AnnData:
    """Lots of ``n_per_lot`` samples; ``lot_shift[lot]`` adds a per-protein log2 shift to that lot."""
    rng = np.random.default_rng(seed)
    base = rng.normal(24, 2, n_proteins)
    rows, lots = [], []
    for lot, shift in lot_shift.items():
        lot_effect = rng.normal(0, 0.05, n_proteins)
        for _ in range(n_per_lot):
            rows.append(base + shift + lot_effect + rng.normal(0, noise, n_proteins))
            lots.append(lot)
    log2 = np.vstack(rows)
    names = [f"S{i + 1}" for i in range(len(rows))]
    obs = pd.DataFrame({"sample": names, "lot": lots}, index=names)
    genes = ["LCN1", "TGFB1", "LTF", "PRG4"] + [f"G{j}" for j in range(4, n_proteins)]
    var = pd.DataFrame({"gene": genes}, index=[f"P{j}" for j in range(n_proteins)])
    adata = AnnData(X=np.exp2(log2), obs=obs, var=var)
    adata.layers["log2"] = log2
    return adata


def test_tost_matches_statsmodels_ttost_ind():
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.3, 0.9, 1.4):
        x, y = rng.normal(shift, 0.3, 4), rng.normal(0, 0.5, 9)
        ours = tost_welch(x, y, margin=1.0)
        p, lower, upper = ttost_ind(x, y, -1.0, 1.0, usevar="unequal")
        np.testing.assert_allclose([ours["p_value"], ours["p_lower"], ours["p_upper"]], [p, lower[1], upper[1]], rtol=1e-10)
        assert ours["verdict"] == ("equivalent" if p < 0.05 else "not_equivalent")
        # the decision equals the 90% confidence interval lying inside the margins
        assert (ours["verdict"] == "equivalent") == (-1.0 < ours["ci_low"] and ours["ci_high"] < 1.0)


def test_tost_insufficient_data():
    assert tost_welch(np.array([np.nan, np.nan]), np.array([1.0, 2.0, 3.0]), 1.0)["verdict"] == "insufficient_data"
    assert tost_welch(np.array([1.0, 2.0]), np.array([1.0, np.nan]), 1.0)["verdict"] == "insufficient_data"


def test_tost_of_a_lot_measured_once_is_the_pooled_student_tost():
    """One value per test lot (a release measurement): the reference lots' variance is the common variance."""
    rng = np.random.default_rng(3)
    for shift in (0.0, 0.4, 1.2):
        x, y = np.array([shift + rng.normal(0, 0.2)]), rng.normal(0, 0.3, 8)
        ours = tost_welch(np.array([x[0], np.nan]), y, margin=1.0)
        p, lower, upper = ttost_ind(x, y, -1.0, 1.0, usevar="pooled")
        np.testing.assert_allclose([ours["p_value"], ours["p_lower"], ours["p_upper"]], [p, lower[1], upper[1]], rtol=1e-10)
        assert ours["method"] == "pooled_single_test" and ours["df"] == 7
        assert ours["verdict"] == ("equivalent" if p < 0.05 else "not_equivalent")


def test_lots_measured_once_get_verdicts_not_insufficient_data():
    n = 200
    shifted = np.zeros(n)
    shifted[1] = 2.0  # TGFB1 four-fold up in the second release lot
    adata = make_lots({"R1": np.zeros(n), "R2": np.zeros(n), "R3": np.zeros(n), "T1": np.zeros(n), "T2": shifted})
    keep = ~adata.obs["lot"].isin(["T1", "T2"]).to_numpy() | adata.obs_names.isin(["S10", "S13"])  # one sample per test lot
    result = comparability(adata[keep].copy(), reference=["R1", "R2", "R3"], factors=["LCN1", "TGFB1", "LTF", "PRG4"])
    factor = result.factors.set_index(["lot", "factor"])
    assert (factor["method"] == "pooled_single_test").all()
    assert factor.loc[("T1", "TGFB1"), "verdict"] == "equivalent"
    assert factor.loc[("T2", "TGFB1"), "verdict"] == "not_equivalent"
    assert result.summary["lot_verdicts"]["T2"] == "not_comparable"


def test_similar_lot_comparable_and_shifted_lot_not():
    n = 200
    shifted = np.zeros(n)
    shifted[1] = 2.0  # TGFB1 four-fold up in lot T2
    shifted[4:60] = np.random.default_rng(9).normal(0, 1.5, 56)  # profile distorted
    lots = {"R1": np.zeros(n), "R2": np.zeros(n), "R3": np.zeros(n), "T1": np.zeros(n), "T2": shifted}
    adata = make_lots(lots)
    result = comparability(adata, reference=["R1", "R2", "R3"], factors=["LCN1", "TGFB1", "LTF", "PRG4", "ABSENT1"])
    verdicts = result.summary["lot_verdicts"]
    factor = result.factors.set_index(["lot", "factor"])
    assert factor.loc[("T1", "TGFB1"), "verdict"] == "equivalent"
    assert factor.loc[("T2", "TGFB1"), "verdict"] == "not_equivalent"
    assert factor.loc[("T1", "ABSENT1"), "verdict"] == "insufficient_data"
    assert not factor.loc[("T1", "ABSENT1"), "detected"]
    # T1 is only short of data on the undetected factor; T2 fails
    assert verdicts["T1"] == "insufficient_data"
    assert verdicts["T2"] == "not_comparable"
    lots_table = result.lots.set_index("lot")
    assert lots_table.loc["T1", "similarity_verdict"] == "within_limits"
    assert lots_table.loc["T2", "similarity_verdict"] == "out_of_limits"
    assert result.summary["control_limit_method"].startswith("mean - 3 SD")
    assert result.summary["n_factors_detected"] == 4
    clean = comparability(adata, reference=["R1", "R2", "R3"], factors=["LCN1", "TGFB1", "LTF", "PRG4"])
    assert clean.summary["lot_verdicts"]["T1"] == "comparable"
    assert adata.uns["provenance"][-1]["step"] == "comparability"


def test_control_limits_follow_reference_scores():
    n = 200
    adata = make_lots({lot: np.zeros(n) for lot in ("R1", "R2", "R3", "R4", "T1")}, seed=3)
    result = comparability(adata, reference=["R1", "R2", "R3", "R4"], factors=["LCN1"])
    reference = result.lots[result.lots["role"] == "reference"]["similarity"].to_numpy()
    lower = result.lots["lower_limit"].iloc[0]
    np.testing.assert_allclose(lower, reference.mean() - 3 * reference.std(ddof=1))
    two = comparability(adata, reference=["R1", "R2"], factors=["LCN1"])
    assert two.summary["control_limit_method"].startswith("empirical")
    np.testing.assert_allclose(two.lots["lower_limit"].iloc[0], two.lots[two.lots["role"] == "reference"]["similarity"].min())
    ranked = comparability(adata, reference=["R1", "R2", "R3", "R4"], factors=["LCN1"], similarity="spearman")
    test_lot = ranked.lots.set_index("lot").loc["T1"]
    from scipy.stats import spearmanr

    lot_mean = lambda lots: np.nanmean(adata.layers["log2"][adata.obs["lot"].isin(lots).to_numpy()], axis=0)  # noqa: E731
    reference_mean = np.mean([lot_mean([r]) for r in ("R1", "R2", "R3", "R4")], axis=0)
    np.testing.assert_allclose(test_lot["similarity"], spearmanr(lot_mean(["T1"]), reference_mean).statistic)
    one = comparability(adata, reference=["R1"], factors=["LCN1"])
    assert (one.lots["similarity_verdict"] == "insufficient_data").all()
    assert one.summary["lot_verdicts"]["T1"] == "insufficient_data"


def test_cv_on_linear_scale():
    n = 10
    adata = make_lots({"R1": np.zeros(n), "R2": np.zeros(n), "T1": np.ones(n)}, n_proteins=n, noise=0.0)
    result = comparability(adata, reference=["R1", "R2"], factors=["LCN1"])
    log2 = adata.layers["log2"][:, 0]
    lot_means = [np.exp2(log2[i * 3 : i * 3 + 3]).mean() for i in range(3)]
    np.testing.assert_allclose(result.cv.loc[0, "cv_all_lots"], np.std(lot_means, ddof=1) / np.mean(lot_means))


def test_input_errors():
    adata = make_lots({"R1": np.zeros(50), "T1": np.zeros(50)}, n_proteins=50)
    with pytest.raises(SecretomeInputError, match="column 'batch'"):
        comparability(adata, lot_column="batch", reference=["R1"])
    with pytest.raises(SecretomeInputError, match="R9"):
        comparability(adata, reference=["R9"])
    with pytest.raises(SecretomeInputError, match="every lot is a reference"):
        comparability(adata, reference=["R1", "T1"])
    with pytest.raises(SecretomeInputError, match="margin"):
        comparability(adata, reference=["R1"], margin=0)


def test_default_factors_are_the_key_factor_panel():
    from secretome.kb.panel import key_factor_genes

    adata = make_lots({"R1": np.zeros(50), "R2": np.zeros(50), "T1": np.zeros(50)}, n_proteins=50)
    result = comparability(adata, reference=["R1", "R2"])
    assert result.summary["n_factors_requested"] == len(key_factor_genes())
    assert set(result.factors["factor"]) == set(key_factor_genes())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.floats(-20, 20),
    st.floats(0.1, 3),
)
def test_tost_is_shift_invariant_and_consistent_with_its_interval(x, y, shift, margin):
    x, y = np.array(x), np.array(y)
    base = tost_welch(x, y, margin)
    moved = tost_welch(x + shift, y + shift, margin)
    assert base["verdict"] == moved["verdict"] or abs(abs(base["diff"]) - margin) < 1e-6
    if base["verdict"] == "equivalent" and np.isfinite(base["se"]) and base["se"] > 0:
        assert -margin < base["ci_low"] and base["ci_high"] < margin


def test_tost_of_subnormal_variances_is_the_tost_of_zero_variance():
    """The property test's find (CI, 2026-12-03): x = [0, 0], y = [0, 1.29e-146] gave 'not_equivalent' (the Welch df
    was 0 / 0: the variances' squares underflowed) while the same values shifted by 1 gave 'equivalent'."""
    x, y = np.array([0.0, 0.0]), np.array([0.0, 1.2938295936236831e-146])
    base, moved = tost_welch(x, y, 1.0), tost_welch(x + 1.0, y + 1.0, 1.0)
    assert base["verdict"] == moved["verdict"] == "equivalent" and np.isfinite(base["df"])


def test_check_lots_names_each_reference_lot_once():
    from secretome.stats.comparability import check_lots

    obs = pd.DataFrame({"lot": ["L1", "L1", "L2", "L2", "L3"]})
    assert check_lots(obs, "lot", ["L1", "L2", "L1"]) == (["L1", "L2"], ["L3"])
    with pytest.raises(SecretomeInputError, match="every lot is a reference lot"):
        check_lots(obs, "lot", ["L1", "L2", "L3"])
