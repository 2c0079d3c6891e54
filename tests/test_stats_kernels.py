"""The vectorised kernels (VSN, kNN imputation, studentized range / Tukey) give the results of the
algorithms they replaced (``legacy_kernels``) on random data with missing values."""

from __future__ import annotations

import legacy_kernels as legacy
import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from scipy import stats

from secretome.stats import classic, enrichment
from secretome.stats import preprocess as pp


def random_log2(n_samples: int, n_proteins: int, missing: float, seed: int) -> np.ndarray:
    """log2 intensities with sample offsets and intensity-dependent missing values."""
    rng = np.random.default_rng(seed)
    log2 = rng.normal(24, 2, n_proteins)[None, :] + rng.normal(0, 0.4, (n_samples, n_proteins))
    log2 += rng.normal(0, 0.5, (n_samples, 1))
    chance = missing * 2 / (1 + np.exp((log2 - 22) * 1.5))
    log2[rng.random(log2.shape) < chance] = np.nan
    return log2


def vsn_model_data(n_samples: int, n_proteins: int, missing: float, seed: int) -> np.ndarray:
    """Linear intensities from the VSN model itself (per-sample offset and scale), intensity-dependent gaps."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(4.0, 2.0, n_proteins)
    a = rng.normal(0.0, 0.3, n_samples)
    b = np.log(1e-6) + rng.normal(0.0, 0.4, n_samples)
    h = mu[None, :] + rng.normal(0.0, 0.1, (n_samples, n_proteins))
    y = (np.sinh(h) - a[:, None]) / np.exp(b)[:, None]
    y[y <= 0] = np.nan
    y[rng.random(y.shape) < missing * 2 / (1 + np.exp(h - 3))] = np.nan
    return y


# Where the likelihood has a flat ridge (2 of 7 seeds tried, e.g. (6, 400, 0.15, 0)), L-BFGS-B stops by its
# function-value tolerance (as R's vsn2 does) at a point that moves with rounding, for the previous
# implementation as for this one; these cases have a well-defined optimum, which both reach.
@pytest.mark.parametrize(
    ("n_samples", "n_proteins", "missing", "seed"),
    [(3, 80, 0.05, 2), (40, 500, 0.15, 5), (10, 800, 0.1, 6)],
)
def test_vsn_equals_previous_algorithm(n_samples, n_proteins, missing, seed):
    linear = vsn_model_data(n_samples, n_proteins, missing, seed)
    new, fit_new = pp.vsn_transform(linear)
    old, fit_old = legacy.vsn_transform(linear)
    np.testing.assert_array_equal(np.isnan(new), np.isnan(old))
    np.testing.assert_allclose(new, old, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(fit_new["vsn_b"], fit_old["vsn_b"], atol=1e-6)
    np.testing.assert_allclose(fit_new["vsn_sigma"], fit_old["vsn_sigma"], rtol=1e-6)
    assert (fit_new["vsn_n_kept"], fit_new["vsn_iterations"]) == (fit_old["vsn_n_kept"], fit_old["vsn_iterations"])


def test_vsn_on_lognormal_data_with_missing_values_equals_previous_algorithm():
    linear = np.exp2(random_log2(30, 800, 0.15, 8))
    linear = linear[:, np.isfinite(linear).sum(axis=0) >= 1]
    new, _ = pp.vsn_transform(linear)
    old, _ = legacy.vsn_transform(linear)
    np.testing.assert_allclose(new, old, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("missing", [0.2, 0.0])  # 0: the blocks without a mask
def test_vsn_likelihood_and_gradient_equal_previous_formula(missing):
    linear = np.exp2(random_log2(12, 700, missing, 3))
    linear = linear[:, np.isfinite(linear).sum(axis=0) >= 2]
    rng = np.random.default_rng(3)
    observed = np.isfinite(linear)
    keep = np.ones(linear.shape[1], dtype=bool)
    terms = pp._vsn_terms(np.where(observed, linear, 0.0), observed.astype(float), keep)
    for _ in range(3):
        params = np.concatenate([rng.normal(0, 0.5, 12), -np.log(np.nanquantile(linear, 0.05, axis=1)) + rng.normal(0, 0.3, 12)])
        value, gradient = pp._vsn_negloglik(params, *terms)
        old_value, old_gradient = legacy._vsn_negloglik(params, linear)
        np.testing.assert_allclose(value, old_value, rtol=1e-12)
        np.testing.assert_allclose(gradient, old_gradient, rtol=1e-9, atol=1e-9 * np.abs(old_gradient).max())


@pytest.mark.parametrize(("n_samples", "n_proteins", "missing", "k", "seed"), [(8, 300, 0.2, 3, 0), (24, 500, 0.15, 10, 1), (5, 150, 0.4, 10, 2)])
def test_knn_equals_previous_algorithm(n_samples, n_proteins, missing, k, seed):
    values = random_log2(n_samples, n_proteins, missing, seed)
    values = values[:, np.isfinite(values).any(axis=0)]
    np.testing.assert_allclose(pp.impute_knn(values, k=k), legacy.impute_knn(values, k=k), rtol=1e-12)
    # few candidates: most cells resolved by the exhaustive search
    np.testing.assert_allclose(pp.impute_knn(values, k=k, candidates=k + 1), legacy.impute_knn(values, k=k, candidates=k + 1), rtol=1e-12)


def test_knn_in_many_blocks_equals_one_block(monkeypatch):
    # Small blocks and merge parts: each pair's distance is computed in one block and handed to the later
    # rows through several merges; the result must not depend on where the blocks fall.
    values = random_log2(10, 400, 0.25, 11)
    values = values[:, np.isfinite(values).any(axis=0)]
    whole = pp.impute_knn(values, k=5)
    monkeypatch.setattr(pp, "KNN_BLOCK_CELLS", 16 * values.shape[1])
    monkeypatch.setattr(pp, "KNN_MERGE_ROWS", 37)
    np.testing.assert_array_equal(pp.impute_knn(values, k=5), whole)
    np.testing.assert_allclose(whole, legacy.impute_knn(values, k=5), rtol=1e-12)
    np.testing.assert_allclose(pp.impute_knn(values, k=5, candidates=6), legacy.impute_knn(values, k=5, candidates=6), rtol=1e-12)


def test_studentized_range_equals_previous_algorithm_and_scipy():
    rng = np.random.default_rng(7)
    for k, df in [(2, 2.0), (3, 9.0), (4, 31.0), (6, 120.0)]:
        q = rng.uniform(0, 9, 150)
        new = classic.studentized_range_sf(q, k, df)
        old = legacy.studentized_range_sf(q, k, df)
        relevant = old > 1e-12
        np.testing.assert_allclose(new[relevant], old[relevant], rtol=1e-6)
        np.testing.assert_allclose(new[:3], stats.studentized_range.sf(q[:3], k, df), rtol=1e-7)
    # vectorised over k and df at once, NaN q stays NaN
    q = np.array([1.0, 2.5, np.nan, 4.0])
    k = np.array([2, 3, 3, 5])
    df = np.array([4.0, 10.0, 10.0, 30.0])
    got = classic.studentized_range_sf(q, k, df)
    assert np.isnan(got[2])
    for i in (0, 1, 3):
        np.testing.assert_allclose(got[i], legacy.studentized_range_sf(q[i : i + 1], int(k[i]), df[i])[0], rtol=1e-6)


def test_tukey_with_missing_values_equals_per_df_evaluation():
    # many residual dfs (missing values per protein): one vectorised call equals one call per (k, df) as before
    log2 = random_log2(15, 200, 0.3, 4)
    names = [f"S{i}" for i in range(15)]
    obs = pd.DataFrame({"condition": np.array(["A", "B", "C"])[np.arange(15) % 3]}, index=names)
    adata = AnnData(X=np.exp2(log2), obs=obs, var=pd.DataFrame(index=[f"P{j}" for j in range(200)]))
    adata.layers["log2"] = log2
    anova, posthoc = classic.anova_oneway(adata, "condition", layer="log2")
    assert anova["df_within"].nunique() > 3
    n_groups = np.tile(anova["n_groups"].to_numpy(), 3)
    df_within = np.tile(anova["df_within"].to_numpy(), 3)
    expected = np.full(len(posthoc), np.nan)
    tested = np.isfinite(posthoc["q"].to_numpy())
    for kk, df in {(int(a), float(b)) for a, b in zip(n_groups[tested], df_within[tested])}:
        where = tested & (n_groups == kk) & (df_within == df)
        expected[where] = legacy.studentized_range_sf(posthoc["q"].to_numpy()[where], kk, df)
    np.testing.assert_allclose(posthoc["p_value"].to_numpy(), expected, rtol=1e-6, atol=1e-13)


def random_sets(seed: int) -> tuple[list[str], dict[str, list[str]]]:
    """A background of 300 genes and 400 sets of 1-60 members, some outside the background, some repeated."""
    rng = np.random.default_rng(seed)
    universe = [f"G{i}" for i in range(360)]
    sets = {}
    for i in range(400):
        size = int(rng.integers(1, 60))
        members = list(rng.choice(universe, size, replace=False))
        sets[f"{['GO', 'Reactome:', 'secretome:'][i % 3]}set{i}"] = members + members[:2]
    return universe[:300], sets


@pytest.mark.parametrize("seed", [0, 1])
def test_over_representation_equals_previous_per_set_loop(seed):
    background, sets = random_sets(seed)
    hits = list(np.random.default_rng(seed).choice(background, 40, replace=False))
    new = enrichment.over_representation(hits, background, sets, min_size=3, max_size=50)
    old = legacy.over_representation(hits, background, sets, min_size=3, max_size=50)
    assert len(new) > 100
    pd.testing.assert_frame_equal(new, old, check_dtype=False, rtol=1e-14)
    assert new.attrs == old.attrs


@pytest.mark.parametrize("seed", [0, 1])
def test_rank_test_equals_previous_per_set_loop(seed):
    background, sets = random_sets(seed)
    rng = np.random.default_rng(seed)
    scores = pd.Series(np.round(rng.normal(0, 2, len(background)), 1), index=background)  # rounding makes ties
    new = enrichment.rank_test(scores, sets, min_size=3, max_size=50)
    old = legacy.rank_test(scores, sets, min_size=3, max_size=50)
    assert len(new) > 100
    pd.testing.assert_frame_equal(new, old, check_dtype=False, rtol=1e-14)
    # a prebuilt index gives the same table
    pd.testing.assert_frame_equal(enrichment.rank_test(scores, enrichment.SetIndex.build(sets), 3, 50), new)


def test_enrichment_without_any_set_in_range_is_an_empty_table():
    background, sets = random_sets(2)
    table = enrichment.over_representation(background[:5], background, sets, min_size=200, max_size=300)
    assert table.empty and list(table.columns) == enrichment.ORA_COLUMNS


def test_knn_on_complete_data_returns_the_values():
    values = random_log2(6, 50, 0.0, 9)
    assert np.isfinite(values).all()
    out = pp.impute_knn(values, k=3)
    np.testing.assert_array_equal(out, values)
    assert out is not values


def test_default_set_index_holds_exactly_the_knowledge_base_sets():
    from secretome.kb import gene_sets

    index = enrichment.set_index(None)
    sets = gene_sets()
    assert sorted(index.names) == sorted(sets)
    sizes = dict(zip(index.names, np.bincount(index.set_of, minlength=index.names.size)))
    assert all(sizes[name] == len(members) for name, members in sets.items())
    some = [name for name in sets if name.startswith("secretome:")][:3] + list(sets)[:3]
    for name in some:
        position = int(np.flatnonzero(index.names == name)[0])
        assert set(index.genes[index.gene_of[index.set_of == position]]) == set(sets[name])
