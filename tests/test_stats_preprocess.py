"""Preprocessing: filter, log2 (never twice), normalization in log2 units, imputation with an exact mask."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from secretome.errors import SecretomeInputError
from secretome.stats import preprocess as pp


def make_adata(values: np.ndarray, groups: list[str] | None = None, is_log2: bool = False) -> AnnData:
    """A dataset following the reader contract: samples x proteins, NaN = missing."""
    n_samples, n_proteins = values.shape
    names = [f"S{i + 1}" for i in range(n_samples)]
    obs = pd.DataFrame({"sample": names}, index=names)
    if groups is not None:
        obs["condition"] = groups
    proteins = [f"P{j:05d}" for j in range(n_proteins)]
    var = pd.DataFrame({"protein_group": proteins, "gene": [f"G{j}" for j in range(n_proteins)]}, index=proteins)
    adata = AnnData(X=np.asarray(values, dtype=np.float64), obs=obs, var=var)
    adata.uns["source"] = {"is_log2": is_log2, "format": "generic"}
    return adata


def simulated(n_samples: int = 6, n_proteins: int = 300, missing: float = 0.15, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    log2 = rng.normal(24, 2, n_proteins)[None, :] + rng.normal(0, 0.3, (n_samples, n_proteins)) + rng.normal(0, 0.5, (n_samples, 1))
    log2[rng.random(log2.shape) < missing] = np.nan
    return np.exp2(log2)


# ----------------------------------------------------------------------------------------- filter
def test_filter_overall_count_and_fraction():
    values = np.array([[1, np.nan, 1, np.nan], [1, 1, np.nan, np.nan], [1, 1, np.nan, 1], [1, np.nan, np.nan, np.nan]], float)
    adata = make_adata(values)
    assert list(pp.filter_valid(adata, min_valid=2).var_names) == ["P00000", "P00001"]
    assert list(pp.filter_valid(adata, min_valid=1.0).var_names) == ["P00000"]  # fraction 1.0 = all samples
    assert list(pp.filter_valid(adata, min_valid=0.5).var_names) == ["P00000", "P00001"]
    kept = pp.filter_valid(adata, min_valid=0)
    assert kept.n_vars == 4 and kept.uns["preprocessing"][-1]["n_removed"] == 0


def test_filter_group_modes():
    # P0 only in A, P1 in both, P2 in one A and one B sample
    values = np.array([[1, 1, 1], [1, 1, np.nan], [np.nan, 1, 1], [np.nan, 1, np.nan]], float)
    adata = make_adata(values, groups=["A", "A", "B", "B"])
    assert list(pp.filter_valid(adata, 2, group="condition", mode="any_group").var_names) == ["P00000", "P00001"]
    assert list(pp.filter_valid(adata, 2, group="condition", mode="all_groups").var_names) == ["P00001"]
    assert list(pp.filter_valid(adata, 0.5, group="condition", mode="all_groups").var_names) == ["P00001", "P00002"]
    restricted = pp.filter_valid(adata, 1, group="condition", mode="any_group", restrict=np.array([False, False, True, True]))
    assert list(restricted.var_names) == ["P00001", "P00002"] and restricted.n_obs == 4


def test_filter_input_errors():
    adata = make_adata(np.array([[1.0, np.nan], [np.nan, np.nan]]), groups=["A", "B"])
    with pytest.raises(SecretomeInputError, match="absent"):
        pp.filter_valid(adata, 1, group="donor")
    with pytest.raises(SecretomeInputError, match="nothing is left"):
        pp.filter_valid(adata, 2)
    with pytest.raises(SecretomeInputError, match="out of range"):
        pp.filter_valid(adata, 2.5)
    with pytest.raises(SecretomeInputError, match="needs a group"):
        pp.filter_valid(adata, 1, mode="all_groups")


# ------------------------------------------------------------------------------------------- log2
def test_log2_linear_and_already_log2_and_never_twice():
    linear = make_adata(np.array([[2.0, 8.0], [np.nan, 1024.0]]))
    pp.log2_transform(linear)
    np.testing.assert_array_equal(linear.layers["log2"], [[1.0, 3.0], [np.nan, 10.0]])
    pp.log2_transform(linear)  # second call: skipped, recorded, values untouched
    np.testing.assert_array_equal(linear.layers["log2"], [[1.0, 3.0], [np.nan, 10.0]])
    assert linear.uns["preprocessing"][-1]["action"].startswith("skipped")
    np.testing.assert_array_equal(linear.X, [[2.0, 8.0], [np.nan, 1024.0]])  # raw X never overwritten
    logged = make_adata(np.array([[20.0, 21.5]]), is_log2=True)
    pp.log2_transform(logged)
    np.testing.assert_array_equal(logged.layers["log2"], [[20.0, 21.5]])
    assert logged.uns["provenance"][-1]["step"] == "log2_transform"


def test_log2_rejects_nonpositive_and_unknown_scale():
    with pytest.raises(SecretomeInputError, match="non-positive"):
        pp.log2_transform(make_adata(np.array([[1.0, -3.0]])))
    adata = make_adata(np.array([[1.0, 3.0]]))
    del adata.uns["source"]
    with pytest.raises(SecretomeInputError, match="is_log2"):
        pp.log2_transform(adata)


# -------------------------------------------------------------------------------------- normalize
log2_matrices = arrays(
    np.float64, st.tuples(st.integers(2, 6), st.integers(3, 25)),
    elements=st.one_of(st.floats(10, 35, allow_nan=False), st.just(np.nan)),
).filter(lambda m: (np.isfinite(m).sum(axis=1) >= 2).all())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log2_matrices)
def test_median_centering_keeps_log2_units_and_is_idempotent(values):
    once, medians = pp.median_center(values)
    twice, _ = pp.median_center(once)
    np.testing.assert_allclose(twice, once, atol=1e-9)
    # a constant shift per sample: differences between proteins within a sample are unchanged (log2 units)
    shift = once - values
    finite = np.isfinite(values)
    for row, mask in zip(shift, finite):
        np.testing.assert_allclose(row[mask], row[mask][0], atol=1e-9)
    np.testing.assert_allclose(np.nanmedian(once, axis=1), np.median(medians), atol=1e-9)
    np.testing.assert_array_equal(np.isfinite(once), finite)


def test_quantile_complete_data_gives_identical_distributions():
    rng = np.random.default_rng(3)
    matrix = rng.normal(20, 2, (50, 4)) + np.array([0, 1, -1, 3])
    out = pp.normalize_quantiles(matrix)
    target = np.sort(matrix, axis=0).mean(axis=1)
    for j in range(4):
        np.testing.assert_allclose(np.sort(out[:, j]), target)
        np.testing.assert_array_equal(np.argsort(out[:, j]), np.argsort(matrix[:, j]))


@pytest.mark.needs_r
def test_quantile_matches_limma_normalizeQuantiles_live(tmp_path):
    if shutil.which("Rscript") is None:
        pytest.skip("needs Rscript with limma to compute the reference live")
    rng = np.random.default_rng(11)
    matrix = rng.normal(20, 2, (40, 5)) + np.arange(5)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    matrix = np.round(matrix, 6)
    tied = matrix.copy()
    tied[3, :] = tied[4, :]  # ties within every column
    tied[7, 1] = tied[8, 1] = 19.5
    source = tmp_path / "in.tsv"
    pd.DataFrame(tied).to_csv(source, sep="\t", index=False, header=False, na_rep="NA", float_format="%.17g")
    target = tmp_path / "out.tsv"
    script = (
        "suppressMessages(library(limma)); "
        f"A <- as.matrix(read.table('{source}', sep='\\t')); "
        f"for (ties in c(TRUE, FALSE)) write.table(normalizeQuantiles(A, ties=ties), paste0('{target}', ties), "
        "sep='\\t', row.names=FALSE, col.names=FALSE, na='NaN')"
    )
    run = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=120)
    if run.returncode != 0 and "limma" in run.stderr:
        pytest.skip(f"R limma unavailable: {run.stderr.strip()[:200]}")
    assert run.returncode == 0, run.stderr
    reference = np.loadtxt(f"{target}TRUE", delimiter="\t")
    np.testing.assert_allclose(pp.normalize_quantiles(tied, ties=True), reference, rtol=1e-12, equal_nan=True)
    # ties=FALSE orders tied values by R's unstable quicksort: compare where no tie is involved
    reference = np.loadtxt(f"{target}FALSE", delimiter="\t")
    untied = np.ones(tied.shape, dtype=bool)
    untied[[3, 4], :] = False
    untied[[7, 8], 1] = False
    np.testing.assert_allclose(pp.normalize_quantiles(tied, ties=False)[untied], reference[untied], rtol=1e-12, equal_nan=True)


def test_normalize_none_is_exact_copy_and_methods_recorded():
    adata = make_adata(simulated(), groups=["A"] * 3 + ["B"] * 3)
    pp.log2_transform(adata)
    pp.normalize(adata, "none")
    np.testing.assert_array_equal(adata.layers["normalized"], adata.layers["log2"])
    for method in ("median", "quantile", "vsn"):
        pp.normalize(adata, method)
        assert adata.uns["preprocessing"][-1]["method"] == method
        np.testing.assert_array_equal(np.isfinite(adata.layers["normalized"]), np.isfinite(adata.layers["log2"]))
    with pytest.raises(SecretomeInputError, match="unknown normalization"):
        pp.normalize(adata, "loess")


def test_vsn_recovers_calibration_and_reports_log2_units():
    rng = np.random.default_rng(5)
    n_samples, n_proteins = 6, 1500
    mu = rng.normal(5.0, 1.5, n_proteins)  # arsinh scale: mostly in the log-like regime
    a = rng.normal(0.0, 0.3, n_samples)
    b = np.log(1e-6) + rng.normal(0.0, 0.4, n_samples)
    h = mu[None, :] + rng.normal(0.0, 0.08, (n_samples, n_proteins))
    y = (np.sinh(h) - a[:, None]) / np.exp(b)[:, None]
    y[y <= 0] = np.nan
    out, fit = pp.vsn_transform(y)
    fitted_b = np.asarray(fit["vsn_b"])
    # scales are identified up to one common factor: their differences are recovered
    np.testing.assert_allclose(fitted_b - fitted_b.mean(), b - b.mean(), atol=0.02)
    assert 0.05 < fit["vsn_sigma"] < 0.1
    # levels read like the log2 input (the common scale is anchored on the samples' mean scale)
    assert abs(np.nanmedian(out - np.log2(y))) < 1.5
    # log2 units: after calibration, the same protein differs between samples only by noise
    high = mu > 6
    assert np.nanstd(out[:, high] - np.nanmean(out[:, high], axis=0)) < 0.08 / np.log(2) * 1.2
    # a true two-fold change of a few high-intensity proteins appears as ~1 in glog2 units
    changed = np.flatnonzero(high)[:60]
    others = np.setdiff1d(np.flatnonzero(high), changed)
    doubled = y.copy()
    doubled[0, changed] *= 2
    out2, _ = pp.vsn_transform(doubled)
    shift = out2[0] - np.nanmean(out2[1:], axis=0)
    np.testing.assert_allclose(np.nanmedian(shift[changed]) - np.nanmedian(shift[others]), 1.0, atol=0.05)


def test_vsn_needs_enough_data():
    with pytest.raises(SecretomeInputError, match="vsn needs"):
        pp.vsn_transform(np.ones((1, 50)))


# ----------------------------------------------------------------------------------------- impute
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log2_matrices, st.sampled_from(["perseus", "minprob", "knn", "none"]), st.integers(0, 2**31 - 1))
def test_imputation_never_changes_observed_values_and_mask_is_exact(values, method, seed):
    if method == "minprob" and not ((np.isfinite(values).mean(axis=0) > 0.5) & (np.isfinite(values).sum(axis=0) >= 2)).any():
        return
    if method == "knn" and ((~np.isfinite(values)).all(axis=0).any() or (~np.isfinite(values)).all(axis=1).any()):
        return  # kNN refuses all-missing proteins and all-missing samples
    adata = make_adata(np.exp2(values))
    pp.log2_transform(adata)
    pp.impute(adata, method, seed=seed)
    observed = np.isfinite(values)
    filled = adata.layers["imputed"]
    np.testing.assert_array_equal(filled[observed], values[observed])
    mask = adata.layers["imputed_mask"]
    assert mask.dtype == np.uint8
    if method == "none":
        assert mask.sum() == 0
        np.testing.assert_array_equal(np.isfinite(filled), observed)
    else:
        np.testing.assert_array_equal(mask.astype(bool), ~observed)
        assert np.isfinite(filled).all()


def test_perseus_draws_from_downshifted_narrow_normal():
    rng = np.random.default_rng(0)
    values = rng.normal(25, 2, (2, 20000))
    values[:, ::2] = np.nan
    out = pp.impute_perseus(values, np.random.default_rng(1), width=0.3, downshift=1.8)
    for row, original in zip(out, values):
        mean, sd = np.nanmean(original), np.nanstd(original, ddof=1)
        drawn = row[::2]
        assert abs(drawn.mean() - (mean - 1.8 * sd)) < 0.02
        assert abs(drawn.std() - 0.3 * sd) < 0.02


def test_minprob_follows_imputelcmd_definition():
    rng = np.random.default_rng(2)
    values = rng.normal(22, 1.5, (8, 4000))
    values[rng.random(values.shape) < 0.3] = np.nan
    out = pp.impute_minprob(values, np.random.default_rng(3), q=0.01, tune_sigma=1.0)
    well = np.isfinite(values).mean(axis=0) > 0.5
    sd = np.nanmedian(np.nanstd(values[:, well], axis=0, ddof=1))
    for i in range(8):
        missing = ~np.isfinite(values[i])
        low = np.quantile(values[i][~missing], 0.01)
        assert abs(out[i, missing].mean() - low) < 4 * sd / np.sqrt(missing.sum())
        assert abs(out[i, missing].std() - sd) < 0.1 * sd


def _knn_brute_force(values: np.ndarray, k: int) -> np.ndarray:
    x = values.T
    out = x.copy()
    for p in range(x.shape[0]):
        for j in np.flatnonzero(~np.isfinite(x[p])):
            candidates = []
            for q in range(x.shape[0]):
                if q == p or not np.isfinite(x[q, j]):
                    continue
                shared = np.isfinite(x[p]) & np.isfinite(x[q])
                if shared.any():
                    candidates.append((np.mean((x[p, shared] - x[q, shared]) ** 2), q))
            candidates.sort()
            out[p, j] = np.mean([x[q, j] for _, q in candidates[:k]]) if candidates else np.nanmean(x[p])
    return out.T


def test_knn_matches_brute_force_definition():
    rng = np.random.default_rng(4)
    values = rng.normal(0, 1, (7, 40)) + rng.normal(20, 3, 40)
    values[rng.random(values.shape) < 0.25] = np.nan
    values[:, ~np.isfinite(values).any(axis=0)] = 20.0
    reference = _knn_brute_force(values, 3)
    np.testing.assert_allclose(pp.impute_knn(values, k=3), reference)
    np.testing.assert_allclose(pp.impute_knn(values, k=3, candidates=4), reference)  # mostly the exhaustive path


@pytest.mark.parametrize(("seed", "block_rows"), [(0, None), (1, None), (2, 16), (3, 16)])
def test_knn_breaks_equal_distances_by_protein_order_as_the_definition(seed, block_rows, monkeypatch):
    # Half-unit values: every distance is exact, so many neighbours are exactly as near as each other;
    # the nearer-then-lower-index rule must hold inside the candidates, at their edge, in the exhaustive
    # search and across blocks (the previous kernel took whichever argpartition left first).
    rng = np.random.default_rng(seed)
    values = 20.0 + rng.integers(0, 4, (6, 50)) * 0.5
    values[rng.random(values.shape) < 0.2] = np.nan
    values = values[:, np.isfinite(values).any(axis=0)]
    if block_rows is not None:
        monkeypatch.setattr(pp, "KNN_BLOCK_CELLS", block_rows * values.shape[1])
        monkeypatch.setattr(pp, "KNN_MERGE_ROWS", 7)
    reference = _knn_brute_force(values, 3)
    for candidates in (None, 4, 12):
        np.testing.assert_array_equal(pp.impute_knn(values, k=3, candidates=candidates), reference)


def test_knn_refuses_a_sample_without_any_value():
    # A sample with nothing measured has no neighbours' values to borrow; kNN filled it entirely with each
    # protein's own mean, a fabricated sample (R's impute.knn halts on such a column, like Perseus/MinProb here).
    rng = np.random.default_rng(5)
    values = rng.normal(22, 1, (4, 30))
    values[2] = np.nan
    with pytest.raises(SecretomeInputError, match="sample 3 has no valid value"):
        pp.impute_knn(values, k=3)


def test_impute_is_reproducible_with_seed_and_rejects_bad_options():
    adata = make_adata(simulated(seed=9))
    pp.log2_transform(adata)
    pp.normalize(adata, "median")
    pp.impute(adata, "perseus", seed=7)
    first = adata.layers["imputed"].copy()
    pp.impute(adata, "perseus", seed=7)
    np.testing.assert_array_equal(first, adata.layers["imputed"])
    assert adata.uns["preprocessing"][-1]["layer"] == "normalized"
    with pytest.raises(SecretomeInputError, match="unknown option"):
        pp.impute(adata, "perseus", k=3)
    with pytest.raises(SecretomeInputError, match="unknown imputation"):
        pp.impute(adata, "zero")


def test_preprocess_pipeline_records_every_step():
    adata = make_adata(simulated(), groups=["A"] * 3 + ["B"] * 3)
    out = pp.preprocess(adata, min_valid=2, group="condition", normalize_method="quantile", impute_method="knn")
    steps = [step["step"] for step in out.uns["preprocessing"]]
    assert steps == ["filter_valid", "log2_transform", "normalize", "impute"]
    assert [step["step"] for step in out.uns["provenance"]] == steps
    assert {"log2", "normalized", "imputed", "imputed_mask"} <= set(out.layers)
