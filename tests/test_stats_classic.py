"""Classic tests against scipy/statsmodels reference calls on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from secretome.errors import SecretomeInputError
from secretome.stats import classic


def make_adata(log2: np.ndarray, obs: dict[str, list]) -> AnnData:
    names = [f"S{i + 1}" for i in range(log2.shape[0])]
    frame = pd.DataFrame({"sample": names, **obs}, index=names)
    proteins = [f"P{j}" for j in range(log2.shape[1])]
    var = pd.DataFrame({"gene": [f"G{j}" for j in range(log2.shape[1])]}, index=proteins)
    adata = AnnData(X=np.exp2(log2), obs=frame, var=var)
    adata.layers["log2"] = np.asarray(log2, dtype=float)
    return adata


@pytest.fixture
def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    values = rng.normal(20, 1, (12, 30)) + np.repeat([0.0, 0.8, -0.5], 4)[:, None] * rng.random(30)
    values[rng.random(values.shape) < 0.15] = np.nan
    values[:4, 0] = np.nan  # protein 0 absent from group A
    values[4:6, 1] = np.nan  # protein 1 has 2 of 4 in B
    return values


def test_bh_matches_statsmodels_and_keeps_nan():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.5, 0.001, np.nan, 0.2])
    expected = multipletests(p[np.isfinite(p)], method="fdr_bh")[1]
    got = classic.bh_adjust(p)
    np.testing.assert_allclose(got[np.isfinite(p)], expected, rtol=1e-12)
    assert np.isnan(got[[1, 6]]).all()
    assert np.isnan(classic.bh_adjust(np.array([np.nan]))).all()


def test_welch_matches_scipy(data):
    adata = make_adata(data, {"condition": ["A"] * 4 + ["B"] * 4 + ["C"] * 4})
    table = classic.welch_t(adata, "condition", "B", "A")
    for j in range(data.shape[1]):
        b, a = data[4:8, j], data[:4, j]
        b, a = b[np.isfinite(b)], a[np.isfinite(a)]
        if len(a) < 2 or len(b) < 2:
            assert np.isnan(table.loc[j, "p_value"])
            continue
        reference = stats.ttest_ind(b, a, equal_var=False)
        np.testing.assert_allclose(table.loc[j, ["t", "p_value"]].astype(float), [reference.statistic, reference.pvalue], rtol=1e-10)
        np.testing.assert_allclose(table.loc[j, "log2fc"], b.mean() - a.mean(), rtol=1e-12)
    np.testing.assert_allclose(table["adj_p_value"], classic.bh_adjust(table["p_value"].to_numpy()))
    assert list(table.columns[:3]) == ["protein", "gene", "log2fc"]


def test_paired_matches_scipy(data):
    donors = ["d1", "d2", "d3", "d4"] * 2 + ["d1", "d2", "d3", "d4"]
    adata = make_adata(data, {"condition": ["A"] * 4 + ["B"] * 4 + ["C"] * 4, "donor": donors})
    table = classic.paired_t(adata, "condition", "B", "A", pair="donor")
    for j in range(data.shape[1]):
        diff = data[4:8, j] - data[:4, j]
        diff = diff[np.isfinite(diff)]
        if diff.size < 2:
            assert np.isnan(table.loc[j, "p_value"])
            continue
        reference = stats.ttest_1samp(diff, 0.0)
        np.testing.assert_allclose(table.loc[j, ["t", "p_value"]].astype(float), [reference.statistic, reference.pvalue], rtol=1e-10)


def test_paired_rejects_unbalanced_pairs(data):
    adata = make_adata(data, {"condition": ["A"] * 4 + ["B"] * 4 + ["C"] * 4, "donor": ["d1"] * 2 + ["d2"] * 10})
    with pytest.raises(SecretomeInputError, match="exactly one"):
        classic.paired_t(adata, "condition", "B", "A", pair="donor")


def test_anova_and_tukey_match_scipy(data):
    adata = make_adata(data, {"condition": ["A"] * 4 + ["B"] * 4 + ["C"] * 4})
    anova, posthoc = classic.anova_oneway(adata, "condition")
    levels = ["A", "B", "C"]
    checked = 0
    for j in range(data.shape[1]):
        groups = [data[4 * g : 4 * g + 4, j] for g in range(3)]
        groups = [g[np.isfinite(g)] for g in groups]
        present = [g for g in groups if g.size]
        reference = stats.f_oneway(*present)
        np.testing.assert_allclose(anova.loc[j, ["f", "p_value"]].astype(float), [reference.statistic, reference.pvalue], rtol=1e-9)
        if all(g.size >= 2 for g in groups) and checked < 30:  # scipy's tukey_hsd is slow: 10 proteins
            tukey = stats.tukey_hsd(*groups)
            rows = posthoc[posthoc["protein"] == f"P{j}"].set_index(["group1", "group2"])
            for i1, i2 in [(0, 1), (0, 2), (1, 2)]:
                row = rows.loc[(levels[i1], levels[i2])]
                np.testing.assert_allclose(row["log2fc"], groups[i1].mean() - groups[i2].mean(), rtol=1e-12)
                np.testing.assert_allclose(row["p_value"], tukey.pvalue[i1, i2], rtol=1e-6, atol=1e-12)
                checked += 1
    assert checked == 30
    # protein 0 is absent from A: ANOVA over B and C only, A pairs not testable
    assert anova.loc[0, "n_groups"] == 2
    assert posthoc[(posthoc["protein"] == "P0") & (posthoc["group1"] == "A")]["p_value"].isna().all()


def test_studentized_range_sf_fast_path_matches_scipy():
    rng = np.random.default_rng(1)
    q = rng.uniform(0, 7, 300)
    fast = classic.studentized_range_sf(q, 4, 13.0)
    picks = q[:12]
    np.testing.assert_allclose(fast[:12], stats.studentized_range.sf(picks, 4, 13.0), rtol=1e-6)


def test_input_errors_name_column_and_level(data):
    adata = make_adata(data, {"condition": ["A"] * 4 + ["B"] * 4 + ["C"] * 4})
    with pytest.raises(SecretomeInputError, match="column 'treatment'"):
        classic.welch_t(adata, "treatment", "B", "A")
    with pytest.raises(SecretomeInputError, match="level 'D'"):
        classic.welch_t(adata, "condition", "D", "A")
    with pytest.raises(SecretomeInputError, match="layers"):
        classic.welch_t(adata, "condition", "B", "A", layer="normalized")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.just(np.nan)), min_size=1, max_size=60))
def test_bh_property_matches_statsmodels(p_values):
    p = np.array(p_values, dtype=float)
    got = classic.bh_adjust(p)
    finite = np.isfinite(p)
    assert np.array_equal(np.isfinite(got), finite)
    if finite.any():
        np.testing.assert_allclose(got[finite], multipletests(p[finite], method="fdr_bh")[1], rtol=1e-12, atol=1e-15)
        assert (got[finite] >= p[finite] - 1e-15).all()
