"""The kernels as they were before they were vectorised (issue 14), kept as reference implementations.

Copied verbatim from ``src/secretome/stats/preprocess.py``, ``src/secretome/stats/classic.py`` and
``src/secretome/stats/enrichment.py`` at commit 799a2ac (this project, same licence); only the
defaults lookup of ``vsn_transform`` is replaced by explicit arguments and the enrichment tests take
their gene sets explicitly (one Python set operation and one scipy call per set, as before). The tests compare the vectorised kernels with these on random data
with missing values, so a later speed-up cannot change a result unnoticed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import interpolate, optimize, special, stats

from secretome.errors import SecretomeInputError
from secretome.stats.classic import bh_adjust
from secretome.stats.enrichment import ORA_COLUMNS, RANK_COLUMNS, _size_bounds, collection_of


def vsn_transform(
    linear: np.ndarray, lts_quantile: float = 0.9, max_iterations: int = 10
) -> tuple[np.ndarray, dict[str, Any]]:
    """Variance-stabilizing normalization (VSN) of linear intensities (samples x proteins), glog2 output.

    Method: Huber W, von Heydebreck A, Sueltmann H, Poustka A, Vingron M (2002) "Variance stabilization
    applied to microarray data calibration and to the quantification of differential expression",
    Bioinformatics 18 Suppl 1:S96-S104 (R/Bioconductor package ``vsn``). Model: for sample i and protein
    k, ``arsinh(exp(b_i) * y_ki + a_i) = mu_k + eps_ki`` with ``eps ~ N(0, sigma^2)``; the per-sample
    calibration (a_i, b_i) is fitted by maximum likelihood with ``mu_k`` and ``sigma^2`` profiled out
    (the log-likelihood includes the Jacobian of the transformation), made robust as in vsn2 by
    least trimmed squares: iteratively refit on the ``lts_quantile`` fraction of proteins with the
    smallest residual sum of squares. Missing values are left out of the likelihood and stay NaN.

    Output is the generalized log base 2, ``(arsinh(z) - ln 2 - mean(b)) / ln 2``: for large calibrated
    intensities z this equals ``log2(z) - mean(b) / ln 2``, i.e. log2 of the intensity on the samples'
    average scale, so differences are log2 fold changes and levels read like the log2 input (vsn's
    own output differs from this only by a constant; the common scale is not identifiable).
    Returns the transformed matrix and the fit (a, b, sigma, iterations, n_trimmed_kept).
    """
    y = np.array(linear, dtype=np.float64)
    finite = np.isfinite(y)
    if (y[finite] <= 0).any():
        raise SecretomeInputError("vsn needs positive linear intensities")
    n_samples, n_proteins = y.shape
    if n_samples < 2 or n_proteins < 10:
        raise SecretomeInputError("vsn needs at least 2 samples and 10 proteins")
    if (finite.sum(axis=1) < 3).any():
        raise SecretomeInputError("vsn needs at least 3 valid values in every sample")
    # Start with the 5% quantile of each sample mapped to z = 1: most values in the log-like regime.
    b0 = -np.log(np.array([np.quantile(row[np.isfinite(row)], 0.05) for row in y]))
    params = np.concatenate([np.zeros(n_samples), b0])
    keep = finite.sum(axis=0) >= 2
    if keep.sum() < 10:
        raise SecretomeInputError("vsn needs at least 10 proteins with 2 or more valid values")
    iterations = 0
    for iterations in range(1, max_iterations + 1):
        result = optimize.minimize(
            _vsn_negloglik, params, args=(y[:, keep],), jac=True, method="L-BFGS-B", options={"maxiter": 2000}
        )
        params = result.x
        a, b = params[:n_samples], params[n_samples:]
        h = np.arcsinh(np.exp(b)[:, None] * y + a[:, None])
        rss = _vsn_residual_ms(h, finite)
        candidates = finite.sum(axis=0) >= 2
        cutoff = np.quantile(rss[candidates], lts_quantile)
        new_keep = candidates & (rss <= cutoff)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    a, b = params[:n_samples], params[n_samples:]
    h = np.arcsinh(np.exp(b)[:, None] * y + a[:, None])
    sigma = float(np.sqrt(np.nanmean(_vsn_residual_ms(h[:, keep], finite[:, keep]))))
    glog2 = (h - np.log(2.0) - b.mean()) / np.log(2.0)
    fit = {
        "vsn_a": a.tolist(),
        "vsn_b": b.tolist(),
        "vsn_sigma": sigma,
        "vsn_iterations": iterations,
        "vsn_n_kept": int(keep.sum()),
        "vsn_lts_quantile": lts_quantile,
    }
    return glog2, fit


def _vsn_residual_ms(h: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Per-protein mean squared residual of the transformed values around the protein mean."""
    masked = np.where(finite, h, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # proteins with no value: NaN, excluded by callers
        return np.nanmean((masked - np.nanmean(masked, axis=0)) ** 2, axis=0)


def _vsn_negloglik(params: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Profile negative log-likelihood of the VSN model and its gradient in (a, b)."""
    n_samples = y.shape[0]
    a, b = params[:n_samples], params[n_samples:]
    observed = np.isfinite(y)
    scale = np.exp(b)[:, None]
    z = np.where(observed, scale * np.where(observed, y, 0.0) + a[:, None], 0.0)
    h = np.arcsinh(z)
    counts = observed.sum(axis=0)
    mu = np.where(observed, h, 0.0).sum(axis=0) / counts
    r = np.where(observed, h - mu, 0.0)
    n_total = observed.sum()
    ssq = float((r**2).sum())
    one_plus = 1.0 + z**2
    jacobian = float((observed.sum(axis=1) * b).sum() - 0.5 * np.log(one_plus)[observed].sum())
    value = 0.5 * n_total * np.log(ssq / n_total) - jacobian
    dz = np.where(observed, n_total * r / ssq / np.sqrt(one_plus) + z / one_plus, 0.0)
    grad_a = dz.sum(axis=1)
    grad_b = (dz * (z - a[:, None]) * observed).sum(axis=1) - observed.sum(axis=1)
    return value, np.concatenate([grad_a, grad_b])


def impute_knn(values: np.ndarray, k: int, candidates: int | None = None) -> np.ndarray:
    """k-nearest-neighbour imputation over proteins (as impute::impute.knn, without its row-mean cap).

    Distance between two proteins: mean squared difference over the samples both have observed. A
    missing value of protein p in sample j is the mean of sample j's values of the k nearest proteins
    observed in j. Proteins sharing no sample with any candidate fall back to their own mean. A sample
    without any valid value is refused (as R's ``impute.knn`` halts on such a column).
    For speed the ``candidates`` (default ``max(5k, 100)``) nearest proteins are searched first; a cell
    whose k donors are not all among them is resolved by the exhaustive search (same result).
    """
    if k < 1:
        raise SecretomeInputError(f"k must be >= 1, got {k}")
    x = values.T.copy()  # proteins x samples
    n_proteins, n_samples = x.shape
    observed = np.isfinite(x)
    empty = ~observed.any(axis=1)
    if empty.any():
        raise SecretomeInputError(f"{int(empty.sum())} proteins have no valid value; filter them before kNN imputation")
    blank = np.flatnonzero(~observed.any(axis=0))
    if blank.size:  # no protein of the sample to borrow from: every value would be invented
        raise SecretomeInputError(
            f"sample {int(blank[0]) + 1} has no valid value"
            + (f" ({blank.size} such samples)" if blank.size > 1 else "") + "; remove it before kNN imputation"
        )
    m = observed.astype(np.float64)
    v = np.where(observed, x, 0.0)
    v2 = v**2
    out = x.copy()
    width = max(1, min(n_proteins - 1, max(5 * k, 100) if candidates is None else candidates))
    chunk = max(1, min(512, 4_000_000 // (width * n_samples)))
    targets = np.flatnonzero(~observed.all(axis=1))
    for start in range(0, targets.size, chunk):
        rows = targets[start : start + chunk]
        shared = m[rows] @ m.T
        ssd = v2[rows] @ m.T + m[rows] @ v2.T - 2.0 * v[rows] @ v.T
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.where(shared > 0, np.maximum(ssd, 0.0) / shared, np.inf)
        dist[np.arange(rows.size), rows] = np.inf
        # fast path: the `width` nearest proteins, in order of distance
        near = np.argpartition(dist, width - 1, axis=1)[:, :width] if width < n_proteins else np.argsort(dist, axis=1)
        near = np.take_along_axis(near, np.argsort(np.take_along_axis(dist, near, axis=1), axis=1, kind="stable"), axis=1)
        donor = observed[near] & np.isfinite(np.take_along_axis(dist, near, axis=1))[:, :, None]  # rows x width x samples
        use = donor & (np.cumsum(donor, axis=1) <= k)
        count = use.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fast = np.where(use, v[near], 0.0).sum(axis=1) / count
        missing = ~observed[rows]
        done = missing & (count >= k)
        cell_row, cell_sample = np.nonzero(done)
        out[rows[cell_row], cell_sample] = fast[cell_row, cell_sample]
        for j in np.flatnonzero((missing & ~done).any(axis=0)):
            need = np.flatnonzero(missing[:, j] & ~done[:, j])
            donors = np.flatnonzero(observed[:, j])
            d = dist[np.ix_(need, donors)]
            kk = min(k, donors.size)
            nearest = np.argpartition(d, kk - 1, axis=1)[:, :kk] if kk < donors.size else np.tile(np.arange(donors.size), (need.size, 1))
            usable = np.isfinite(np.take_along_axis(d, nearest, axis=1))
            total = usable.sum(axis=1)
            means = np.where(usable, x[donors[nearest], j], 0.0).sum(axis=1) / np.maximum(total, 1)
            own = np.nanmean(x[rows[need]], axis=1)
            out[rows[need], j] = np.where(total > 0, means, own)
    return out.T


def studentized_range_sf(q: np.ndarray, k: int, df: float, direct_max: int = 64) -> np.ndarray:
    """Upper tail of the studentized range distribution, vectorized (``scipy.stats.studentized_range.sf``
    evaluates one point at a time in milliseconds, too slow for thousands of proteins).

    ``P(Q > q) = int f_S(s) * k int phi(z) [Phi(z)^(k-1) - (Phi(z) - Phi(z - q s))^(k-1)] dz ds`` with
    ``S ~ chi_df / sqrt(df)``, by Gauss-Legendre quadrature (s on a log scale, z on [-9, 9]). Agrees with
    scipy to ~1e-8 relative for p above 1e-12 and df >= 2 (~1e-5 at df = 1; tested). For more than ``direct_max`` values the
    function is evaluated on 241 equally spaced q and log p is interpolated by a cubic spline
    (~1e-7 relative, tested).
    """
    q = np.asarray(q, dtype=np.float64)
    if q.size <= direct_max:
        return _srd_sf_quadrature(q, k, df)
    top = max(float(np.max(q)), 1e-6)
    grid = np.linspace(0.0, top * 1.0001, 241)
    log_p = np.log(np.maximum(_srd_sf_quadrature(grid, k, df), 1e-300))
    return np.exp(interpolate.CubicSpline(grid, log_p)(q))


def _srd_sf_quadrature(q: np.ndarray, k: int, df: float, n_s: int = 100, n_z: int = 140) -> np.ndarray:
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    out = np.empty(q.shape)
    x_s, w_s = np.polynomial.legendre.leggauss(n_s)
    low, high = max(-12.0 / np.sqrt(df) - 3.0, -15.0), 6.0 / np.sqrt(df) + 0.5
    log_s = low + (high - low) * (x_s + 1.0) / 2.0
    s = np.exp(log_s)
    log_density = (
        (df / 2.0) * np.log(df) - special.gammaln(df / 2.0) - (df / 2.0 - 1.0) * np.log(2.0)
        + (df - 1.0) * log_s - df * s**2 / 2.0
    )
    weight_s = w_s * (high - low) / 2.0 * np.exp(log_density) * s
    x_z, w_z = np.polynomial.legendre.leggauss(n_z)
    z, weight_z = 9.0 * x_z, 9.0 * w_z
    phi, cdf = stats.norm.pdf(z), special.ndtr(z)
    base = cdf ** (k - 1)
    for start in range(0, q.size, 16):
        chunk = q[start : start + 16]
        inner = cdf[None, None, :] - special.ndtr(z[None, None, :] - chunk[:, None, None] * s[None, :, None])
        tail = k * ((base - inner ** (k - 1)) * (weight_z * phi)).sum(axis=2)
        out[start : start + 16] = tail @ weight_s
    return np.clip(out, 0.0, 1.0)


def over_representation(
    hits: Iterable[str],
    background: Iterable[str],
    gene_sets: Mapping[str, Iterable[str]],
    min_size: int | None = None,
    max_size: int | None = None,
) -> pd.DataFrame:
    """Hypergeometric over-representation of ``hits`` in each set, within ``background``.

    ``p = P(X >= overlap)`` with ``X ~ Hypergeom(N = |background|, K = |set & background|, n = |hits|)``;
    ``expected = n K / N``; ``odds_ratio`` is the sample odds ratio of the 2x2 table, with 0.5 added to
    every cell when one is zero (Haldane-Anscombe), so it is always finite. Every hit must be in the
    background (hits come from the same detected proteins). Sorted by p-value.
    """
    background_set = {str(gene) for gene in background if str(gene)}
    hit_set = {str(gene) for gene in hits if str(gene)}
    outside = hit_set - background_set
    if outside:
        raise SecretomeInputError(
            f"{len(outside)} hits are not in the background (e.g. {', '.join(sorted(outside)[:5])})",
            expected="hits drawn from the detected proteins' genes",
        )
    if not background_set:
        raise SecretomeInputError("the background is empty", expected="the detected proteins' gene symbols")
    low, high = _size_bounds(min_size, max_size)
    total, n_hits = len(background_set), len(hit_set)
    rows = []
    for name, members in gene_sets.items():
        in_background = background_set.intersection(members)
        size = len(in_background)
        if not low <= size <= high:
            continue
        overlap = sorted(hit_set & in_background)
        k = len(overlap)
        table = np.array([[k, n_hits - k], [size - k, total - size - n_hits + k]], dtype=float)
        if (table == 0).any():
            table += 0.5
        rows.append(
            {
                "set": name,
                "collection": collection_of(name),
                "size_in_background": size,
                "overlap": k,
                "expected": n_hits * size / total,
                "odds_ratio": table[0, 0] * table[1, 1] / (table[0, 1] * table[1, 0]),
                "p_value": float(stats.hypergeom.sf(k - 1, total, size, n_hits)),
                "genes": ";".join(overlap),
            }
        )
    result = pd.DataFrame(rows, columns=[c for c in ORA_COLUMNS if c != "adj_p_value"])
    result.insert(result.columns.get_loc("p_value") + 1, "adj_p_value", bh_adjust(result["p_value"].to_numpy()))
    result = result.sort_values(["p_value", "set"], kind="stable").reset_index(drop=True)
    result.attrs.update(test="hypergeometric", background_size=total, n_hits=n_hits, min_size=low, max_size=high)
    return result


def rank_test(
    scores: pd.Series | Mapping[str, float],
    gene_sets: Mapping[str, Iterable[str]],
    min_size: int | None = None,
    max_size: int | None = None,
) -> pd.DataFrame:
    """Wilcoxon rank-sum test of each set's scores against the other ranked genes (module doc).

    ``scores``: gene -> score over the background (all detected genes with a score; see
    :func:`gene_scores`). ``overlap`` counts the set's genes with a score, ``size_in_background`` the
    set's genes among them (the same number: the ranked genes are the background).
    """
    series = pd.Series(scores, dtype=float)
    series = series[np.isfinite(series.to_numpy())]
    if series.index.duplicated().any():
        raise SecretomeInputError("scores name a gene twice", expected="one score per gene (see gene_scores)")
    total = series.size
    if total < 3:
        raise SecretomeInputError(f"{total} scored genes are too few for a rank test")
    low, high = _size_bounds(min_size, max_size)
    ranks = stats.rankdata(series.to_numpy())
    _, tie_counts = np.unique(series.to_numpy(), return_counts=True)
    tie_term = float((tie_counts**3 - tie_counts).sum())
    position = {gene: i for i, gene in enumerate(series.index)}
    rows = []
    for name, members in gene_sets.items():
        index = sorted(position[g] for g in set(members) if g in position)
        n_in = len(index)
        if not low <= n_in <= high or n_in == total:
            continue
        n_out = total - n_in
        u = float(ranks[index].sum() - n_in * (n_in + 1) / 2.0)
        mean_u = n_in * n_out / 2.0
        sd_u = np.sqrt(n_in * n_out / 12.0 * ((total + 1) - tie_term / (total * (total - 1))))
        if sd_u == 0:
            p = 1.0
        else:
            z = (abs(u - mean_u) - 0.5) / sd_u
            p = float(min(1.0, 2.0 * stats.norm.sf(max(z, 0.0))))
        auc = u / (n_in * n_out)
        rows.append(
            {"set": name, "collection": collection_of(name), "size_in_background": n_in, "overlap": n_in, "auc": auc,
             "direction": "up" if auc > 0.5 else ("down" if auc < 0.5 else "none"), "p_value": p,
             "genes": ";".join(sorted(series.index[index]))}
        )
    result = pd.DataFrame(rows, columns=[c for c in RANK_COLUMNS if c != "adj_p_value"])
    result.insert(result.columns.get_loc("p_value") + 1, "adj_p_value", bh_adjust(result["p_value"].to_numpy()))
    result = result.sort_values(["p_value", "set"], kind="stable").reset_index(drop=True)
    result.attrs.update(test="wilcoxon_rank_sum", n_ranked=total, min_size=low, max_size=high)
    return result
