"""Design formulas, contrasts, input errors and ``moderated_test`` on AnnData (R outputs as reference)."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT
from secretome.errors import SecretomeInputError
from secretome.stats import moderated_test
from secretome.stats.limma import contrasts_fit, design_matrix, e_bayes, lm_fit, make_contrast, top_table

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "limma"


def _sheet(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame(columns, index=[f"s{i + 1}" for i in range(n)])


def _adata(case: str, layer: str | None = "log2", is_log2: bool = False) -> ad.AnnData:
    expr = pd.read_csv(FIXTURES / f"{case}_expr.tsv", sep="\t", index_col=0)
    samples = pd.read_csv(FIXTURES / f"{case}_samples.tsv", sep="\t", index_col="sample", keep_default_na=False)
    samples["sample"] = samples.index
    var = pd.DataFrame({"gene": [f"G{i}" for i in range(expr.shape[0])]}, index=expr.index)
    matrix = expr.T.to_numpy(dtype=float)
    adata = ad.AnnData(X=matrix.copy() if layer is None else np.exp2(matrix), obs=samples, var=var)
    if layer is not None:
        adata.layers[layer] = matrix
    adata.uns["source"] = {"is_log2": is_log2}
    return adata


# --------------------------------------------------------------------------------------------- design


def test_treatment_coding_like_r() -> None:
    obs = _sheet(condition=["treated", "control", "treated", "control"], donor=["d2", "d2", "d1", "d1"])
    design = design_matrix(obs, "~ condition + donor")
    assert design.columns == ["(Intercept)", "conditiontreated", "donord2"]
    np.testing.assert_array_equal(design.matrix, [[1, 1, 1], [1, 0, 1], [1, 1, 0], [1, 0, 0]])
    assert design.first_factor == "condition"


def test_no_intercept_codes_first_factor_fully() -> None:
    obs = _sheet(condition=["b", "a", "c", "a", "b", "c"], donor=["x", "y", "x", "y", "x", "y"])
    design = design_matrix(obs, "~ 0 + condition + donor")
    assert design.columns == ["conditiona", "conditionb", "conditionc", "donory"]
    assert design_matrix(obs, "~ -1 + condition").columns == ["conditiona", "conditionb", "conditionc"]


def test_continuous_covariate_and_level_order() -> None:
    condition = pd.Categorical(["low", "high", "mid", "low", "high", "mid"], categories=["low", "mid", "high"],
                               ordered=True)
    obs = _sheet(condition=condition, age=[30.0, 41, 52, 25, 60, 33])
    design = design_matrix(obs, "~ condition + age")
    assert design.columns == ["(Intercept)", "conditionmid", "conditionhigh", "age"]
    np.testing.assert_array_equal(design.matrix[:, 3], obs["age"].to_numpy())
    unordered = _sheet(condition=["low", "high", "mid", "low", "high", "mid"])
    assert design_matrix(unordered, "~ condition").columns == ["(Intercept)", "conditionlow", "conditionmid"]


def test_factor_term_codes_numeric_donor_ids_as_levels_like_r() -> None:
    # Donor ids written as numbers are a covariate in '~ condition + donor' (as in R); a paired/blocked design
    # needs them as a factor, written as in R: factor(donor). R: colnames "factor(donor)2", "factor(donor)3".
    obs = _sheet(condition=["a", "b"] * 3, donor=[1, 1, 2, 2, 3, 3])
    assert design_matrix(obs, "~ condition + donor").columns == ["(Intercept)", "conditionb", "donor"]
    design = design_matrix(obs, "~ condition + factor(donor)")
    assert design.columns == ["(Intercept)", "conditionb", "factor(donor)2", "factor(donor)3"]
    np.testing.assert_array_equal(design.matrix[:, 2:], [[0, 0], [0, 0], [1, 0], [1, 0], [0, 1], [0, 1]])
    floats = _sheet(condition=["a", "b"] * 3, donor=[1.0, 1.0, 2.0, 2.0, 10.0, 10.0])
    assert design_matrix(floats, "~ condition + factor(donor)").columns[2:] == ["factor(donor)2", "factor(donor)10"]
    means = design_matrix(obs, "~ 0 + factor(donor) + condition")
    assert means.columns == ["factor(donor)1", "factor(donor)2", "factor(donor)3", "conditionb"]
    assert make_contrast("2-1", means).tolist() == [-1.0, 1.0, 0.0, 0.0]  # levels of the first factor by name
    with pytest.raises(SecretomeInputError, match="not supported"):
        design_matrix(obs, "~ log(donor)")
    with pytest.raises(SecretomeInputError, match="twice"):
        design_matrix(obs, "~ condition + donor + factor(donor)")
    # the contrast machinery of compare() sees the sample-sheet column and its level labels
    first = design_matrix(obs, "~ factor(donor) + condition")
    assert first.first_factor == "donor" and first.factors["donor"] == ["1", "2", "3"]
    assert obs["donor"].astype(str).isin(["1", "2"]).sum() == 4


@pytest.mark.parametrize(
    ("obs", "formula", "words"),
    [
        (_sheet(condition=["a", "b", "a", "b"]), "~ lot", "does not have"),
        (_sheet(condition=["a", "a", "a", "a"]), "~ condition", "single level"),
        (_sheet(condition=["a", None, "b", "b"]), "~ condition", "missing values"),
        (_sheet(condition=["a", "", "b", "b"]), "~ condition", "missing values for sample\\(s\\) s2"),
        (_sheet(age=[1.0, np.nan, 3.0, 4.0]), "~ age", "missing values"),
        (_sheet(condition=["a", "b", "c", "d"]), "~ condition", "no residual degrees of freedom"),
        (_sheet(condition=["a", "a", "b", "b"], batch=["x", "x", "y", "y"]), "~ condition + batch", "not of full rank"),
        (_sheet(condition=["a", "b", "a", "b"]), "~ condition:donor", "not supported"),
        (_sheet(condition=["a", "b", "a", "b"]), "condition", "does not start with"),
    ],
)
def test_design_errors_are_clear(obs: pd.DataFrame, formula: str, words: str) -> None:
    with pytest.raises(SecretomeInputError, match=words):
        design_matrix(obs, formula)


# ------------------------------------------------------------------------------------------ contrasts


def test_contrasts_for_intercept_and_means_designs() -> None:
    obs = _sheet(condition=["MSC-BM", "MSC-AT", "cord", "MSC-BM", "MSC-AT", "cord"])
    with_intercept = design_matrix(obs, "~ condition")
    assert with_intercept.columns == ["(Intercept)", "conditionMSC-BM", "conditioncord"]
    np.testing.assert_array_equal(make_contrast("MSC-BM-MSC-AT", with_intercept), [0, 1, 0])
    np.testing.assert_array_equal(make_contrast("cord - MSC-BM", with_intercept), [0, -1, 1])
    means = design_matrix(obs, "~ 0 + condition")
    np.testing.assert_array_equal(make_contrast("cord-MSC-AT", means), [-1, 0, 1])
    np.testing.assert_allclose(make_contrast("cord - MSC-AT/2 - 0.5*MSC-BM", means), [-0.5, -0.5, 1])


def test_contrast_errors() -> None:
    design = design_matrix(_sheet(condition=["a", "b", "a", "b"]), "~ condition")
    with pytest.raises(SecretomeInputError, match="'z', which is not a level of factor 'condition'"):
        make_contrast("z-a", design)
    with pytest.raises(SecretomeInputError, match="is zero"):
        make_contrast("a-a", design)


# ------------------------------------------------------------------------------------------- lm_fit


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_masked_fits_equal_per_row_least_squares(seed: int) -> None:
    """Rows with missing values: same coefficients and sigma as a least-squares fit on observed samples."""
    rng = np.random.default_rng(seed)
    obs = _sheet(condition=list("aabbccaabbcc"), donor=list("xyxyxyyxyxyx"))
    design = design_matrix(obs, "~ condition + donor")
    values = rng.normal(20, 1, (40, 12))
    values[rng.random(values.shape) < 0.35] = np.nan
    fit = lm_fit(values, design)
    for row, y in enumerate(values):
        seen = ~np.isnan(y)
        x = design.matrix[seen]
        if seen.sum() == 0:
            assert np.isnan(fit.coefficients[row]).all()
            continue
        rank = np.linalg.matrix_rank(x)
        assert fit.df_residual[row] == seen.sum() - rank
        if rank == x.shape[1]:
            beta, *_ = np.linalg.lstsq(x, y[seen], rcond=None)
            np.testing.assert_allclose(fit.coefficients[row], beta, rtol=1e-9, atol=1e-9)
            if seen.sum() > rank:
                rss = np.sum((y[seen] - x @ beta) ** 2)
                np.testing.assert_allclose(fit.sigma[row], np.sqrt(rss / (seen.sum() - rank)), rtol=1e-9)
        else:
            assert np.isnan(fit.coefficients[row]).sum() == x.shape[1] - rank


def test_contrast_of_missing_group_is_nan_not_error() -> None:
    obs = _sheet(condition=list("aaabbbccc"))
    design = design_matrix(obs, "~ condition")
    rng = np.random.default_rng(3)
    values = rng.normal(20, 1, (50, 9))
    values[0, 3:6] = np.nan
    fit = contrasts_fit(lm_fit(values, design), make_contrast("c-b", design))
    eb = e_bayes(fit)
    assert np.isnan(eb.t[0, 0]) and np.isfinite(eb.t[1:, 0]).all()


# ---------------------------------------------------------------------------------------- AnnData API


def test_moderated_test_equals_r_and_sorts_by_p() -> None:
    adata = _adata("missing")
    result = moderated_test(adata, design="~ condition", contrast="c-b")
    assert list(result.columns) == ["protein", "gene", "log2fc", "ave_expr", "t", "p_value", "adj_p_value", "b"]
    assert len(result) == adata.n_vars
    expected = pd.read_csv(FIXTURES / "missing_cb.tsv", sep="\t", index_col="protein")
    got = result.set_index("protein").loc[expected.index]
    for ours, theirs in [("log2fc", "logFC"), ("ave_expr", "AveExpr"), ("t", "t"), ("p_value", "P.Value"),
                         ("adj_p_value", "adj.P.Val"), ("b", "B")]:
        want = expected[theirs].to_numpy()
        have = got[ours].to_numpy()
        np.testing.assert_array_equal(np.isnan(have), np.isnan(want))
        np.testing.assert_allclose(have[~np.isnan(want)], want[~np.isnan(want)], rtol=1e-9)
    p = result["p_value"].to_numpy()
    n_nan = result.attrs["n_not_estimable"]
    assert n_nan == int(np.isnan(want).sum()) > 0
    assert np.isnan(p[-n_nan:]).all() and np.all(np.diff(p[:-n_nan]) >= 0)
    all_missing = int(np.isnan(adata.layers["log2"]).all(axis=0).sum())
    assert result.attrs["n_all_missing"] == all_missing >= 1
    assert adata.uns["provenance"][-1]["step"] == "moderated_test"
    assert adata.uns["provenance"][-1]["params"]["contrast"] == "c-b"


def test_moderated_test_trend_tolerates_all_missing_protein() -> None:
    adata = _adata("missing")
    result = moderated_test(adata, design="~ condition", contrast="b-a", trend=True, robust=True)
    assert result["p_value"].notna().sum() == adata.n_vars - result.attrs["n_not_estimable"]


def test_moderated_test_layer_rules() -> None:
    log2_x = _adata("two_groups", layer=None, is_log2=True)
    from_x = moderated_test(log2_x, design="~ condition", contrast="treated-control")
    from_layer = moderated_test(_adata("two_groups"), design="~ condition", contrast="treated-control")
    pd.testing.assert_frame_equal(from_x, from_layer)
    with pytest.raises(SecretomeInputError, match="log-transform first"):
        moderated_test(_adata("two_groups", layer=None, is_log2=False), design="~ condition",
                       contrast="treated-control")


def test_moderated_test_refuses_all_nan_tables() -> None:
    adata = _adata("two_groups")
    adata.layers["log2"][adata.obs["condition"].to_numpy() == "treated", :] = np.nan
    with pytest.raises(SecretomeInputError, match="cannot be estimated for any protein"):
        moderated_test(adata, design="~ condition", contrast="treated-control")
    adata.layers["log2"][:] = np.nan
    with pytest.raises(SecretomeInputError, match="entirely missing"):
        moderated_test(adata, design="~ condition", contrast="treated-control")


def test_moderated_test_input_errors() -> None:
    adata = _adata("two_groups")
    with pytest.raises(SecretomeInputError, match="'lot'"):
        moderated_test(adata, design="~ lot", contrast="a-b")
    with pytest.raises(SecretomeInputError, match="'placebo'"):
        moderated_test(adata, design="~ condition", contrast="treated-placebo")


def test_top_table_sorting_and_bh_with_missing() -> None:
    obs = _sheet(condition=list("aaabbb"))
    design = design_matrix(obs, "~ condition")
    rng = np.random.default_rng(11)
    values = rng.normal(20, 1, (60, 6))
    values[:5, 3:] = np.nan
    eb = e_bayes(contrasts_fit(lm_fit(values, design), make_contrast("b-a", design)))
    unsorted = top_table(eb, 0, sort_by="none")
    by_p = top_table(eb, 0, sort_by="p")
    assert by_p.index[-5:].tolist() == [0, 1, 2, 3, 4]
    assert by_p["P.Value"].iloc[:-5].is_monotonic_increasing
    pd.testing.assert_frame_equal(by_p.sort_index(), unsorted)
    p = unsorted["P.Value"].to_numpy()[5:]
    order = np.argsort(p)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    expected = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    np.testing.assert_allclose(unsorted["adj.P.Val"].to_numpy()[5:][order], expected, rtol=1e-15)
    with pytest.raises(SecretomeInputError, match="sort_by"):
        top_table(eb, 0, sort_by="B")
