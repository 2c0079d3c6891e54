"""The profile's derived matrices: computed once per block, and the memory-lean kernels equal, bit for bit,
the full-matrix numpy forms they replace (the profile's results must not move by a single ulp)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from anndata import AnnData

from secretome.qc import (derived_matrices, linear_quantities, log2_quantities, mean_sample_share, nanmedian,
                          nanquantiles, row_sums)


def _dataset(is_log2: bool, seed: int = 0) -> AnnData:
    rng = np.random.default_rng(seed)
    values = rng.normal(20, 3, (40, 300))
    values = values if is_log2 else np.exp2(values)
    values[rng.random(values.shape) < 0.25] = np.nan
    values[0, :4] = 0.0
    values[1, :3] = -1.0
    values[2, :2] = np.inf
    adata = AnnData(X=values)
    adata.uns["source"] = {"is_log2": is_log2}
    return adata


@pytest.mark.parametrize("is_log2", [False, True])
def test_views_equal_the_plain_formulas(is_log2):
    adata = _dataset(is_log2)
    values = np.asarray(adata.X, dtype=float)
    with np.errstate(all="ignore"):
        linear = np.exp2(values) if is_log2 else values
        expected_linear = np.where(np.isfinite(linear) & (linear > 0), linear, 0.0)
        expected_log2 = (np.where(np.isfinite(values), values, np.nan) if is_log2
                         else np.where(np.isfinite(values) & (values > 0), np.log2(values), np.nan))
    assert np.array_equal(linear_quantities(adata), expected_linear)
    assert np.array_equal(log2_quantities(adata), expected_log2, equal_nan=True)


def test_views_are_made_once_inside_the_block_and_afresh_outside():
    adata = _dataset(False)
    with derived_matrices():
        first, second = linear_quantities(adata), linear_quantities(adata)
        assert first is second
        assert log2_quantities(adata) is log2_quantities(adata)
        with derived_matrices():  # a nested block shares the outer cache
            assert linear_quantities(adata) is first
        adata.X = adata.X * 2.0  # a new X is noticed
        assert linear_quantities(adata) is not first
        assert np.array_equal(np.asarray(linear_quantities(adata)), 2.0 * np.asarray(first))
    assert linear_quantities(adata) is not linear_quantities(adata)


def _layout(values: np.ndarray) -> str:
    """Which axis is the inner one in memory (what decides how numpy adds along an axis)."""
    return "C" if values.strides[0] >= values.strides[1] else "F"


@pytest.mark.parametrize("is_log2", [False, True])
@pytest.mark.parametrize("order", ["C", "F"])
def test_a_view_block_is_the_whole_matrix_block_in_values_and_layout(is_log2, order):
    """Sums over a block round alike only on the same memory layout, so a view's block must have the layout the
    same block of the whole derived matrix had (log2: column-major; linear: X's)."""
    adata = _dataset(is_log2)
    adata.X = np.asarray(adata.X, order=order)
    rng = np.random.default_rng(1)
    rows, columns = rng.random(40) < 0.5, rng.random(300) < 0.6
    keys = [(slice(None), slice(10, 200)), (slice(3, 30), slice(None)), (rows, slice(None)), (slice(None), columns),
            (slice(None), np.flatnonzero(columns)), (rows, slice(20, 90)), (slice(None), 7), (rows, 5)]
    for view in (linear_quantities(adata), log2_quantities(adata)):
        whole = np.asarray(view)
        assert _layout(whole) == (order if view.kind == "linear" else "F")
        for key in keys:
            block, expected = view[key], whole[key]
            assert np.array_equal(block, expected, equal_nan=True), key
            assert block.ndim == 1 or _layout(block) == _layout(expected), key


def test_blockwise_kernels_equal_the_whole_matrix_forms(monkeypatch):
    """The QC and profile helpers that read a view block by block give the whole-matrix numbers."""
    from secretome.qc import detected_counts, detected_per_sample, group_cvs, intensity_quantiles
    import pandas as pd

    adata = _dataset(False)
    linear, log2 = linear_quantities(adata), log2_quantities(adata)
    whole_linear, whole_log2 = np.asarray(linear), np.asarray(log2)
    rows = np.arange(40) % 3 == 0
    columns = np.flatnonzero(np.arange(300) % 7 != 0)
    from secretome.qc import matrices

    monkeypatch.setattr(matrices, "BLOCK_BYTES", 8 * 40 * 16)  # blocks of 16 proteins: many block boundaries
    assert np.array_equal(detected_counts(linear), (whole_linear > 0).sum(axis=0))
    assert np.array_equal(detected_counts(linear, rows, columns), (whole_linear[rows][:, columns] > 0).sum(axis=0))
    assert np.array_equal(detected_per_sample(linear, columns), (whole_linear[:, columns] > 0).sum(axis=1))
    groups = pd.Series(np.where(rows, "a", "b"))
    assert group_cvs(linear, groups, 2, columns).equals(group_cvs(whole_linear[:, columns], groups, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(whole_log2[:, columns], [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0], axis=1).T
    assert np.array_equal(intensity_quantiles(log2, range(40), columns).to_numpy(), expected, equal_nan=True)


@pytest.mark.parametrize("shape", [(12, 12), (7, 9), (599, 40), (700, 650), (40, 3000)])
def test_nanmedian_is_numpys_bit_for_bit(shape):
    rng = np.random.default_rng(sum(shape))
    values = rng.normal(0.9, 0.05, shape)
    values[rng.random(shape) < 0.2] = np.nan
    values[0] = np.nan  # an empty slice gives NaN
    values[1, :3] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for axis in (0, 1):
            assert np.array_equal(nanmedian(values, axis), np.nanmedian(values, axis=axis), equal_nan=True)
            assert nanmedian(values, axis, keepdims=True).shape == np.nanmedian(values, axis=axis, keepdims=True).shape


@pytest.mark.parametrize("shape", [(1, 1), (6, 1), (5, 2), (40, 7), (300, 1000), (30, 20001)])
def test_nanquantiles_are_numpys_bit_for_bit(shape):
    rng = np.random.default_rng(sum(shape))
    values = rng.normal(20, 3, shape)
    values[rng.random(shape) < 0.3] = np.nan
    values[0] = np.nan  # a row without values gives NaN
    if shape[0] > 2:
        values[2, 1:] = np.nan  # one value: every quantile is it
    probs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanquantile(values, probs, axis=1).T
        other = np.nanquantile(values, [0.1, 1 / 3, 0.9], axis=1).T
    assert np.array_equal(nanquantiles(values, probs), expected, equal_nan=True)
    assert np.array_equal(nanquantiles(values, [0.1, 1 / 3, 0.9]), other, equal_nan=True)


@pytest.mark.parametrize("order", ["C", "F"])
def test_row_sums_and_mean_shares_equal_the_full_matrix_forms(order):
    rng = np.random.default_rng(4)
    linear = np.asarray(np.exp2(rng.normal(20, 3, (60, 1500))), order=order)
    linear[rng.random(linear.shape) < 0.3] = 0.0
    linear[5] = 0.0  # a sample without any quantity: left out of the mean
    for usable in (rng.random(1500) < 0.9, np.ones(1500, dtype=bool)):
        total = linear[:, usable].sum(axis=1)
        assert np.array_equal(row_sums(linear, usable, block=100), total)
        with np.errstate(all="ignore"):
            expected = np.nanmean(linear / np.where(total > 0, total, np.nan)[:, None], axis=0)
        assert np.array_equal(mean_sample_share(linear, total, block=128), expected)
    assert np.isnan(mean_sample_share(np.zeros((3, 4)), np.zeros(3))).all()


def test_correlation_and_pca_over_blocks_equal_the_one_block_numbers(monkeypatch):
    """A table up to ``ONE_BLOCK_BYTES`` is multiplied in one block (numpy's whole-matrix products, bit for bit);
    a larger one block by block, which moves only the last bits."""
    from secretome.qc import matrices, outliers, pairwise_correlation, pca

    adata = _dataset(False, seed=3)
    log2 = log2_quantities(adata)
    whole = np.asarray(log2)
    columns = np.flatnonzero(np.arange(300) % 5 != 0)
    one_corr, one_pca = pairwise_correlation(log2, 10, columns), pca(log2, 0.5, 3, columns)
    assert np.array_equal(one_corr, pairwise_correlation(whole[:, columns], 10), equal_nan=True)
    assert np.array_equal(one_pca.scores, pca(whole[:, columns], 0.5, 3).scores)
    monkeypatch.setattr(outliers, "ONE_BLOCK_BYTES", 0)
    monkeypatch.setattr(matrices, "BLOCK_BYTES", 8 * 40 * 64)  # product blocks of 16 proteins
    blocked_corr, blocked_pca = pairwise_correlation(log2, 10, columns), pca(log2, 0.5, 3, columns)
    assert np.array_equal(np.isnan(blocked_corr), np.isnan(one_corr))
    assert np.allclose(blocked_corr, one_corr, rtol=0, atol=1e-13, equal_nan=True)
    assert np.allclose(np.abs(blocked_pca.scores), np.abs(one_pca.scores), rtol=1e-10, atol=1e-10)
    assert np.allclose(blocked_pca.distance, one_pca.distance, rtol=1e-10)
    assert blocked_pca.n_proteins == one_pca.n_proteins


def test_a_profile_read_in_tiny_blocks_gives_the_same_tables(monkeypatch):
    """Every per-protein and per-sample number of the profile is the same whatever the block size (the products
    behind the correlation and the PCA only to the last bits)."""
    from secretome import datasets
    from secretome.io import read
    from secretome.profile import profile, proteins_table, samples_table
    from secretome.qc import matrices, outliers

    paths = datasets.demo_paths()

    def profiled() -> tuple:
        adata = profile(read(paths["table"], samples=paths["samples"]), "lot")
        with derived_matrices():
            return adata, proteins_table(adata, "lot"), samples_table(adata, "lot")

    adata, proteins, samples = profiled()
    monkeypatch.setattr(matrices, "BLOCK_BYTES", 8 * adata.n_obs * 7)  # 7 proteins or a few samples per block
    monkeypatch.setattr(outliers, "ONE_BLOCK_BYTES", 0)
    small_adata, small_proteins, small_samples = profiled()
    assert small_proteins.equals(proteins)
    numbers = [c for c in samples.columns if samples[c].dtype.kind == "f" and not c.startswith(("correlation", "pca"))]
    assert small_samples[numbers].equals(samples[numbers])
    assert np.allclose(small_samples["correlation_median"], samples["correlation_median"], rtol=1e-12)
    assert (small_samples.drop(columns=["correlation_median", "correlation_z", "pca_distance", "pca_z"])
            .equals(samples.drop(columns=["correlation_median", "correlation_z", "pca_distance", "pca_z"])))
    for key in ("class_share", "class_factors"):
        assert small_adata.obsm[key].equals(adata.obsm[key])
    assert small_adata.uns["profile"]["top_factors"].equals(adata.uns["profile"]["top_factors"])
    assert small_adata.uns["qc"]["intensity_quantiles"].equals(adata.uns["qc"]["intensity_quantiles"])


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(2, 10), (5, 3), (37, 100), (400, 256)])
def test_protein_cvs_are_numpys_nanstd_over_nanmean_bit_for_bit(order, shape):
    from secretome.qc.distributions import _cvs

    rng = np.random.default_rng(sum(shape))
    part = np.asarray(np.exp2(rng.normal(20, 3, shape)), order=order)
    part[rng.random(shape) < 0.3] = 0.0
    part[:, 0] = 0.0  # a protein without values
    part[1:, 1] = 0.0  # one value: no spread (NaN)
    values = np.where(part > 0, part, np.nan)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanstd(values, axis=0, ddof=1) / np.nanmean(values, axis=0)
    assert np.array_equal(_cvs(part, part > 0), expected, equal_nan=True)


def test_detection_counts_are_made_once_per_view_and_equal_the_whole_matrix_forms():
    from secretome.qc import detected_counts

    adata = _dataset(True, seed=7)
    whole = np.asarray(linear_quantities(adata)) > 0
    rows = np.arange(adata.n_obs) % 2 == 0
    columns = np.flatnonzero(np.arange(adata.n_vars) % 3 != 0)
    with derived_matrices():
        view = linear_quantities(adata)
        for key_rows, key_columns in ((None, None), (rows, None), (None, columns), (rows, columns), (None, columns[::-1])):
            expected = (whole if key_rows is None else whole[key_rows])[:, slice(None) if key_columns is None else key_columns]
            first = detected_counts(view, key_rows, key_columns)
            first[:] = -1  # the caller's copy: the shared counts stay
            assert np.array_equal(detected_counts(view, key_rows, key_columns), expected.sum(axis=0))
        assert len([key for key in view._memo if key[0] == "detected"]) == 4  # the reversed order is not shared
