"""Moderated linear models equal to R limma (3.54): lmFit, contrasts.fit, eBayes, topTable.

Each function ports the limma algorithm of the same name, step by step, so that results agree with R
to rounding error (the tests compare with committed R outputs). Speed comes from batching: rows
without missing values share one QR decomposition; rows with missing values are fitted all at once by
masked normal equations with one refinement step, dropping non-estimable coefficients with the same
rule as R's ``dqrdc2`` (a column whose norm falls below 1e-7 of its original norm).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import special  # scipy.stats, .interpolate, .linalg: imported where the trend/robust paths need them

from secretome.errors import SecretomeInputError
from secretome.provenance import record_step
from secretome.stats.classic import bh_adjust
from secretome.stats.design import Design, design_matrix, make_contrast

__all__ = [
    "Design",
    "LinearFit",
    "design_matrix",
    "make_contrast",
    "lm_fit",
    "contrasts_fit",
    "e_bayes",
    "squeeze_var",
    "fit_f_dist",
    "fit_f_dist_robustly",
    "trigamma_inverse",
    "top_table",
    "moderated_test",
]

_QR_TOL = 1e-7  # tolerance of R's lm.fit / dqrdc2
_BLOCK = 256  # rows per batch: keeps temporaries in cache


@dataclass(frozen=True)
class LinearFit:
    """limma's MArrayLM: per-row coefficients (rows = proteins) and, after ``e_bayes``, moderated statistics."""

    coefficients: np.ndarray
    stdev_unscaled: np.ndarray
    sigma: np.ndarray
    df_residual: np.ndarray
    cov_coefficients: np.ndarray
    pivot: np.ndarray
    rank: int
    amean: np.ndarray
    coef_names: list[str]
    row_names: list[str] | None = None
    design: np.ndarray | None = None
    contrasts: np.ndarray | None = None
    df_prior: np.ndarray | float | None = None
    s2_prior: np.ndarray | float | None = None
    var_prior: np.ndarray | None = None
    proportion: float | None = None
    s2_post: np.ndarray | None = None
    t: np.ndarray | None = None
    df_total: np.ndarray | None = None
    p_value: np.ndarray | None = None
    lods: np.ndarray | None = None


# ----------------------------------------------------------------------------------------------- lmFit


def _estimable_columns(matrix: np.ndarray) -> np.ndarray:
    """Columns R's dqrdc2 keeps, left to right: those not (nearly) spanned by the columns kept before."""
    gram = matrix.T @ matrix
    keep = _greedy_cholesky(gram[None, :, :])[1][0]
    return keep


def _greedy_cholesky(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched Cholesky of Gram matrices that skips columns dependent on earlier ones (dqrdc2's rule).

    A column is dropped when its squared norm after projection on the kept columns falls below
    ``tol**2`` times its squared original norm (zero columns are always dropped).
    """
    g, p, _ = gram.shape
    lower = np.zeros_like(gram)
    keep = np.zeros((g, p), dtype=bool)
    for j in range(p):
        original = gram[:, j, j]
        d = original - np.einsum("gk,gk->g", lower[:, j, :j], lower[:, j, :j])
        ok = (original > 0) & (d > _QR_TOL**2 * original)
        ljj = np.sqrt(np.where(ok, d, 1.0))
        lower[:, j, j] = np.where(ok, ljj, 0.0)
        if j + 1 < p:
            off = (gram[:, j + 1 :, j] - np.einsum("gik,gk->gi", lower[:, j + 1 :, :j], lower[:, j, :j])) / ljj[:, None]
            lower[:, j + 1 :, j] = np.where(ok[:, None], off, 0.0)
        keep[:, j] = ok
    return lower, keep


def _as_design(design: Design | pd.DataFrame | np.ndarray) -> tuple[np.ndarray, list[str]]:
    if isinstance(design, Design):
        return np.asarray(design.matrix, dtype=float), list(design.columns)
    if isinstance(design, pd.DataFrame):
        return design.to_numpy(dtype=float), [str(c) for c in design.columns]
    matrix = np.asarray(design, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    return matrix, [f"x{j + 1}" for j in range(matrix.shape[1])]


def lm_fit(expr: np.ndarray | pd.DataFrame, design: Design | pd.DataFrame | np.ndarray) -> LinearFit:
    """Least-squares fit of every row of ``expr`` (proteins x samples, NaN = missing) like limma's lmFit.

    Rows with missing values are fitted on their observed samples only; coefficients that the
    observed samples cannot estimate are NaN, and ``sigma``/``df_residual`` are per row, as in
    ``lm.series``. ``amean`` is the row mean over observed values.
    """
    row_names = [str(i) for i in expr.index] if isinstance(expr, pd.DataFrame) else None
    values = np.asarray(expr, dtype=float)
    if values.ndim != 2:
        raise SecretomeInputError("expression data must be a 2-D matrix (proteins x samples)")
    if values.shape[0] == 0:
        raise SecretomeInputError("expression matrix has zero rows", expected="at least one protein")
    x, names = _as_design(design)
    if x.shape[0] != values.shape[1]:
        raise SecretomeInputError(
            f"design has {x.shape[0]} rows but the data have {values.shape[1]} samples",
            column="design",
            expected="one design row per sample",
        )
    if not np.all(np.isfinite(x)):
        raise SecretomeInputError("design matrix has missing or infinite values", column="design",
                                  expected="finite numbers")
    observed = np.isfinite(values)
    n_rows, n_samples = values.shape
    n_coef = x.shape[1]
    counts = observed.sum(axis=1)
    amean = np.full(n_rows, np.nan)

    keep = _estimable_columns(x)
    est = np.flatnonzero(keep)
    pivot = np.concatenate([est, np.flatnonzero(~keep)])
    rank = est.size
    q, r = np.linalg.qr(x[:, est])
    r_inv = np.linalg.inv(r)
    cov = r_inv @ r_inv.T

    coefficients = np.full((n_rows, n_coef), np.nan)
    stdev = np.full((n_rows, n_coef), np.nan)
    sigma = np.full(n_rows, np.nan)
    df_residual = np.zeros(n_rows)

    complete = counts == n_samples
    if complete.any():
        # one QR for all complete rows; residuals in cache-sized blocks (no large temporaries)
        rows = np.flatnonzero(complete)
        df = n_samples - rank
        q_t = np.ascontiguousarray(q.T)
        beta = np.empty((rows.size, rank))
        rss = np.empty(rows.size)
        for start in range(0, rows.size, _BLOCK):
            block = rows[start : start + _BLOCK]
            y = values[block] if rows.size < n_rows else values[start : start + _BLOCK]
            effects = y @ q
            beta[start : start + block.size] = effects @ r_inv.T
            resid = y - effects @ q_t
            rss[start : start + block.size] = np.einsum("ij,ij->i", resid, resid)
            amean[block] = y.mean(axis=1)
        coefficients[np.ix_(complete, est)] = beta
        stdev[np.ix_(complete, est)] = np.sqrt(np.diag(cov))[None, :]
        df_residual[complete] = df
        if df > 0:
            sigma[complete] = np.sqrt(rss / df)
    incomplete = np.flatnonzero(~complete)
    for start in range(0, incomplete.size, _BLOCK):
        rows = incomplete[start : start + _BLOCK]
        b, s, sg, d, a = _fit_masked(values[rows], observed[rows], x)
        amean[rows] = a
        coefficients[rows] = b
        stdev[rows] = s
        sigma[rows] = sg
        df_residual[rows] = d
    return LinearFit(
        coefficients=coefficients,
        stdev_unscaled=stdev,
        sigma=sigma,
        df_residual=df_residual,
        cov_coefficients=cov,
        pivot=pivot,
        rank=rank,
        amean=amean,
        coef_names=names,
        row_names=row_names,
        design=x,
    )


def _fit_masked(values: np.ndarray, observed: np.ndarray, x: np.ndarray):
    """Fit each row on its observed samples: masked normal equations, batched over rows.

    Also returns the mean of the observed values (limma's Amean).
    """
    g, n = values.shape
    p = x.shape[1]
    w = observed.astype(float)
    y0 = np.where(observed, values, 0.0)
    gram = (w @ (x[:, :, None] * x[:, None, :]).reshape(n, p * p)).reshape(g, p, p)
    _, keep = _greedy_cholesky(gram)
    reduced = gram.copy()
    dropped = ~keep
    reduced[np.broadcast_to(dropped[:, :, None], reduced.shape)] = 0.0
    reduced[np.broadcast_to(dropped[:, None, :], reduced.shape)] = 0.0
    diag = reduced[:, np.arange(p), np.arange(p)]
    reduced[:, np.arange(p), np.arange(p)] = np.where(dropped, 1.0, diag)
    inverse = np.linalg.inv(reduced)
    xty = y0 @ x
    xty[dropped] = 0.0
    beta = np.einsum("gij,gj->gi", inverse, xty)
    resid = w * (y0 - beta @ x.T)
    correction = resid @ x
    correction[dropped] = 0.0
    beta = beta + np.einsum("gij,gj->gi", inverse, correction)
    resid = w * (y0 - beta @ x.T)
    rss = np.einsum("gi,gi->g", resid, resid)
    rank = keep.sum(axis=1)
    df = observed.sum(axis=1) - rank
    stdev = np.sqrt(inverse[:, np.arange(p), np.arange(p)])
    beta[dropped] = np.nan
    stdev[dropped] = np.nan
    n_seen = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.where(df > 0, np.sqrt(rss / np.maximum(df, 1)), np.nan)
        amean = np.where(n_seen > 0, y0.sum(axis=1) / np.maximum(n_seen, 1), np.nan)
    return beta, stdev, sigma, df.astype(float), amean


# ----------------------------------------------------------------------------------------- contrasts


def _cov2cor(cov: np.ndarray) -> np.ndarray:
    scale = 1.0 / np.sqrt(np.diag(cov))
    cor = scale[:, None] * cov * scale[None, :]
    np.fill_diagonal(cor, 1.0)
    return cor


def contrasts_fit(fit: LinearFit, contrasts: np.ndarray | Sequence[float]) -> LinearFit:
    """Re-express a fit in terms of contrasts (columns of ``contrasts``) exactly as limma's contrasts.fit.

    For non-orthogonal designs the unscaled standard errors use the correlation of the coefficients of
    the full design, also for rows with missing values (limma's approximation).
    """
    c = np.asarray(contrasts, dtype=float)
    if c.ndim == 1:
        c = c[:, None]
    n_coef = fit.coefficients.shape[1]
    if c.shape[0] != n_coef:
        raise SecretomeInputError(
            f"contrast has {c.shape[0]} entries but the fit has {n_coef} coefficients", column="contrast",
            expected=f"one entry per coefficient ({', '.join(fit.coef_names)})",
        )
    if np.isnan(c).any():
        raise SecretomeInputError("contrast has missing values", column="contrast", expected="numbers")
    contrasts_in = c.copy()
    coefficients = fit.coefficients
    stdev = fit.stdev_unscaled
    cov = fit.cov_coefficients
    cor = _cov2cor(cov)
    r = cor.shape[0]
    if r < n_coef:
        est = fit.pivot[:r]
        others = np.setdiff1d(np.arange(n_coef), est)
        if np.any(c[others] != 0):
            raise SecretomeInputError("trying to take a contrast of a non-estimable coefficient", column="contrast")
        c = c[est]
        coefficients = coefficients[:, est]
        stdev = stdev[:, est]
    nonzero = np.abs(c).sum(axis=1) != 0
    if not nonzero.all():
        c = c[nonzero]
        coefficients = coefficients[:, nonzero]
        stdev = stdev[:, nonzero]
        cov = cov[np.ix_(nonzero, nonzero)]
        cor = cor[np.ix_(nonzero, nonzero)]
    na = np.isnan(coefficients)
    has_na = bool(na.any())
    if has_na:
        coefficients = np.where(na, 0.0, coefficients)
        stdev = np.where(na, 1e30, stdev)
    new_coef = coefficients @ c
    if cor.size < 2:
        orthogonal = True
    else:
        orthogonal = bool(np.all(np.abs(cor[np.tril_indices_from(cor, -1)]) < 1e-14))
    chol = np.linalg.cholesky(cov).T
    new_cov = (chol @ c).T @ (chol @ c)
    if orthogonal:
        new_stdev = np.sqrt((stdev**2) @ (c**2))
    else:
        chol_cor = np.linalg.cholesky(cor).T
        ruc = np.einsum("kl,gl,lj->gkj", chol_cor, stdev, c)
        new_stdev = np.sqrt(np.einsum("gkj,gkj->gj", ruc, ruc))
    if has_na:
        huge = new_stdev > 1e20
        new_coef[huge] = np.nan
        new_stdev[huge] = np.nan
    names = [f"contrast{j + 1}" for j in range(c.shape[1])]
    return replace(
        fit,
        coefficients=new_coef,
        stdev_unscaled=new_stdev,
        cov_coefficients=new_cov,
        coef_names=names,
        contrasts=contrasts_in,
        t=None, p_value=None, lods=None, s2_post=None, df_total=None, df_prior=None, s2_prior=None,
        var_prior=None,
    )


# ------------------------------------------------------------------------------------ variance priors


def trigamma_inverse(x: np.ndarray | float) -> np.ndarray:
    """Solve trigamma(y) = x for y by limma's Newton iteration."""
    x = np.atleast_1d(np.asarray(x, dtype=float))
    y = np.full_like(x, np.nan)
    valid = ~np.isnan(x)
    y[valid & (x < 0)] = np.nan
    big = valid & (x > 1e7)
    y[big] = 1.0 / np.sqrt(x[big])
    small = valid & (x < 1e-6) & (x >= 0)
    y[small] = 1.0 / x[small]
    work = valid & (x >= 1e-6) & (x <= 1e7)
    if work.any():
        xv = x[work]
        yv = 0.5 + 1.0 / xv
        for iteration in range(1, 52):
            tri = special.polygamma(1, yv)
            dif = tri * (1.0 - tri / xv) / special.polygamma(2, yv)
            yv = yv + dif
            if np.max(-dif / yv) < 1e-8:
                break
            if iteration > 50:
                warnings.warn("trigamma_inverse: iteration limit exceeded", stacklevel=2)
                break
        y[work] = yv
    return y


def _ns_basis(x_fit: np.ndarray, df: int):
    """A basis of splines::ns(x_fit, df=df, intercept=TRUE); returns an evaluator for any x.

    Any basis of the same natural-spline space gives R's fitted values, so we take B-splines on R's
    knots times the null space of the boundary second-derivative constraints; outside the boundary
    knots the basis continues linearly as in ``predict.ns``.
    """
    from scipy import interpolate, linalg

    lo, hi = float(np.min(x_fit)), float(np.max(x_fit))
    n_inner = df - 2
    inner = np.quantile(x_fit, np.linspace(0.0, 1.0, n_inner + 2)[1:-1]) if n_inner > 0 else np.array([])
    knots = np.sort(np.concatenate([[lo] * 4, inner, [hi] * 4]))
    n_basis = knots.size - 4
    spline = interpolate.BSpline(knots, np.eye(n_basis), 3, extrapolate=False)
    constraint = spline(np.array([lo, hi]), nu=2)
    null = linalg.null_space(constraint)

    def evaluate(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        out = np.empty((x.size, n_basis))
        inside = (x >= lo) & (x <= hi)
        out[inside] = spline(x[inside])
        for pivot_x, side in ((lo, x < lo), (hi, x > hi)):
            if side.any():
                value = spline(np.array([pivot_x]))[0]
                slope = spline(np.array([pivot_x]), nu=1)[0]
                out[side] = value[None, :] + (x[side] - pivot_x)[:, None] * slope[None, :]
        return out @ null

    return evaluate


def _unique_apply(function, values: np.ndarray) -> np.ndarray:
    """Apply an expensive special function once per distinct value (df are shared by many rows)."""
    unique, inverse = np.unique(values, return_inverse=True)
    return np.asarray(function(unique))[inverse.reshape(values.shape)]


def fit_f_dist(x: np.ndarray, df1: np.ndarray | float, covariate: np.ndarray | None = None) -> dict:
    """Moment estimation of the scaled F distribution of sample variances (limma's fitFDist)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    if n == 0:
        return {"scale": np.nan, "df2": np.nan}
    if n == 1:
        return {"scale": x.copy(), "df2": 0.0}
    df1 = np.broadcast_to(np.asarray(df1, dtype=float), (n,)).copy()
    ok = np.isfinite(df1) & (df1 > 1e-15)
    if covariate is not None:
        covariate = np.asarray(covariate, dtype=float).copy()
        if covariate.size != n:
            raise SecretomeInputError("x and covariate must be of same length")
        if np.isnan(covariate).any():
            raise SecretomeInputError("NA covariate values not allowed (a trend needs a mean for every row)")
        finite = np.isfinite(covariate)
        if not finite.all():
            if finite.any():
                lo, hi = covariate[finite].min(), covariate[finite].max()
                covariate[covariate == -np.inf] = lo - 1
                covariate[covariate == np.inf] = hi + 1
            else:
                covariate = np.sign(covariate)
    with np.errstate(invalid="ignore"):
        ok = ok & np.isfinite(x) & (x > -1e-15)
    nok = int(ok.sum())
    if nok == 1:
        return {"scale": x[ok], "df2": 0.0}
    notallok = nok < n
    covariate_notok = None
    if notallok:
        x = x[ok]
        df1 = df1[ok]
        if covariate is not None:
            covariate_notok = covariate[~ok]
            covariate = covariate[ok]
    splinedf = 1
    if covariate is not None:
        splinedf = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        splinedf = min(splinedf, np.unique(covariate).size)
        if splinedf < 2:
            out = fit_f_dist(x, df1)
            out["scale"] = np.full(n, out["scale"])
            return out
    x = np.maximum(x, 0.0)
    m = float(np.median(x))
    if m == 0:
        warnings.warn("More than half of residual variances are exactly zero: eBayes unreliable", stacklevel=2)
        m = 1.0
    elif np.any(x == 0):
        warnings.warn("Zero sample variances detected, have been offset away from zero", stacklevel=2)
    x = np.maximum(x, 1e-5 * m)
    z = np.log(x)
    e = z - _unique_apply(special.digamma, df1 / 2) + np.log(df1 / 2)
    if covariate is None:
        emean = np.mean(e)
        evar = np.sum((e - emean) ** 2) / (nok - 1)
    else:
        basis = _ns_basis(covariate, splinedf)
        design = basis(covariate)
        q, r = np.linalg.qr(design)
        effects = q.T @ e
        fitted = q @ effects
        resid = e - fitted
        evar = float(resid @ resid) / (nok - design.shape[1])
        if notallok:
            from scipy import linalg

            coef = linalg.solve_triangular(r, effects)
            emean = np.zeros(n)
            emean[ok] = fitted
            emean[~ok] = basis(covariate_notok) @ coef
        else:
            emean = fitted
    evar = evar - np.mean(_unique_apply(lambda v: special.polygamma(1, v), df1 / 2))
    if evar > 0:
        df2 = 2 * float(trigamma_inverse(evar)[0])
        s20 = np.exp(emean + special.digamma(df2 / 2) - np.log(df2 / 2))
    else:
        df2 = np.inf
        s20 = np.mean(x) if covariate is None else np.exp(emean)
    return {"scale": s20, "df2": df2}


# --- F and t distribution helpers (log-scale tails, df2 may be infinite) ---


def _pf_log(f: np.ndarray, df1, df2, upper: bool) -> np.ndarray:
    from scipy import stats

    f = np.asarray(f, dtype=float)
    if np.isinf(df2):
        dist = stats.chi2(df1)
        return dist.logsf(f * df1) if upper else dist.logcdf(f * df1)
    dist = stats.f(df1, df2)
    return dist.logsf(f) if upper else dist.logcdf(f)


def _qf_log(logp: np.ndarray, df1, df2, upper: bool) -> np.ndarray:
    from scipy import stats

    p = np.exp(np.asarray(logp, dtype=float))
    if np.isinf(df2):
        dist = stats.chi2(df1)
        return (dist.isf(p) if upper else dist.ppf(p)) / df1
    dist = stats.f(df1, df2)
    return dist.isf(p) if upper else dist.ppf(p)


def _qf(p, df1, df2) -> np.ndarray:
    from scipy import stats

    if np.isinf(df2):
        return stats.chi2(df1).ppf(p) / df1
    return stats.f(df1, df2).ppf(p)


def _df_density(x, df1, df2) -> np.ndarray:
    from scipy import stats

    if np.isinf(df2):
        return stats.chi2(df1).pdf(x * df1) * df1
    return stats.f(df1, df2).pdf(x)


def _t_sf(x: np.ndarray, df) -> np.ndarray:
    return special.stdtr(df, -np.asarray(x, dtype=float))


def _t_logsf(x: np.ndarray, df) -> np.ndarray:
    """log P(T > x) for x >= 0, accurate far in the tail (R's pt(lower.tail=FALSE, log.p=TRUE)).

    Where the tail probability underflows, use the incomplete-beta series
    I_u(a, 1/2) = u^a (1-u)^(1/2) 2F1(a+1/2, 1; a+1; u) / (a B(a, 1/2)) with u = df / (df + x^2).
    """
    x = np.asarray(x, dtype=float)
    df = np.broadcast_to(np.asarray(df, dtype=float), x.shape)
    with np.errstate(divide="ignore", invalid="ignore"):  # scipy.stats.t.logsf, without importing scipy.stats
        out = np.where(x > 0, np.log(special.stdtr(df, -x)), np.log1p(-special.stdtr(df, x)))
    far = (~np.isfinite(out) | (out < -600)) & np.isfinite(df) & (x > 0)
    if far.any():
        a = df[far] / 2
        log_df = np.log(df[far])
        log_x2 = 2 * np.log(x[far])
        log_total = np.logaddexp(log_df, log_x2)
        log_u = log_df - log_total
        log_1mu = log_x2 - log_total
        out[far] = (
            math.log(0.5) + a * log_u + 0.5 * log_1mu - np.log(a) - special.betaln(a, 0.5)
            + np.log(special.hyp2f1(a + 0.5, 1.0, a + 1.0, np.exp(log_u)))
        )
    return out


def _qt_upper_log(logp: np.ndarray, df: float) -> np.ndarray:
    """Quantile of the t upper tail at log-probability ``logp`` (R's qt(lower.tail=FALSE, log.p=TRUE))."""
    logp = np.asarray(logp, dtype=float)
    p = np.exp(logp)
    tiny = p < 1e-300
    out = np.empty(p.shape)
    out[~tiny] = -special.stdtrit(df, p[~tiny])
    if tiny.any():
        # Solve log P(T > e^u) = logp for u by Newton's method kept inside a bisection bracket.
        target = logp[tiny]
        lo = np.zeros(target.size)
        hi = np.full(target.size, 709.0)
        start = -special.stdtrit(df, 1e-300)
        u = np.full(target.size, math.log(start) if np.isfinite(start) and start > 1 else 1.0)
        log_norm = special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * math.log(df * math.pi)
        active = np.arange(target.size)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            for _ in range(100):
                ua = u[active]
                logsf = _t_logsf(np.exp(ua), df)
                above = logsf > target[active]
                lo[active] = np.where(above, ua, lo[active])
                hi[active] = np.where(above, hi[active], ua)
                log_pdf = log_norm - (df + 1) / 2 * np.logaddexp(0.0, 2 * ua - math.log(df))
                # Newton on log(-log P), nearly linear in u for light and heavy tails alike
                slope = -np.exp(log_pdf + ua - logsf) / logsf
                step = (np.log(-logsf) - np.log(-target[active])) / slope
                proposal = ua - step
                inside = np.isfinite(proposal) & (proposal >= lo[active]) & (proposal <= hi[active])
                new_u = np.where(inside, proposal, (lo[active] + hi[active]) / 2)
                u[active] = new_u
                settled = (np.abs(new_u - ua) <= 1e-14 * np.abs(ua)) | (hi[active] - lo[active] <= 1e-14 * hi[active])
                active = active[~settled]
                if active.size == 0:
                    break
        out[tiny] = np.exp(u)
    return out


def _zeroin(f, ax: float, bx: float, fa: float, fb: float, tol: float, maxit: int = 1000) -> float:
    """R's uniroot (R_zeroin2, Brent's method), ported line by line so that roots agree with R."""
    eps = np.finfo(float).eps
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    count = maxit + 1
    while count:
        count -= 1
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    warnings.warn("uniroot: iteration limit reached", stacklevel=2)
    return b


def _lowess_fit(y: np.ndarray, x: np.ndarray, span: float, iterations: int) -> np.ndarray:
    """limma's loessFit without weights: R's ``lowess(x, y, f=span, iter=iterations-1)``, fitted values."""
    order = np.argsort(x, kind="stable")
    fitted = np.empty_like(np.asarray(y, dtype=float))
    xs = np.asarray(x, dtype=float)[order]
    fitted[order] = _clowess(xs, np.asarray(y, dtype=float)[order], span, iterations - 1, 0.01 * (xs[-1] - xs[0]))
    return fitted


def _lowest(x, y, xs, nleft, nright, userw, rw):
    """One local linear fit of R's clowess (0-based nleft/nright); returns the fitted value or None."""
    n = x.size
    span = x[n - 1] - x[0]
    h = max(xs - x[nleft], x[nright] - xs)
    h9 = 0.999 * h
    h1 = 0.001 * h
    # points beyond xs + 2h certainly stop the scan; find the exact stop inside that window
    window = int(np.searchsorted(x, xs + 2 * h, side="right")) if h > 0 else n
    window = min(max(window + 1, nleft + 1), n)
    r = np.abs(x[nleft:window] - xs)
    stop = np.flatnonzero((r > h9) & (x[nleft:window] > xs))
    nrt = nleft + (int(stop[0]) if stop.size else window - nleft)  # one past the rightmost point used
    r = r[: nrt - nleft]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(r <= h1, 1.0, (1.0 - (r / h) ** 3) ** 3)
    w = np.where(r <= h9, w, 0.0)
    if userw:
        w = w * rw[nleft:nrt]
    a = np.cumsum(w)[-1]
    if a <= 0.0:
        return None
    w = w / a
    xw = x[nleft:nrt]
    if h > 0.0:
        center = np.cumsum(w * xw)[-1]
        b = xs - center
        c = np.cumsum(w * (xw - center) * (xw - center))[-1]
        if math.sqrt(c) > 0.001 * span:
            b = b / c
            w = w * (b * (xw - center) + 1.0)
    return float(np.cumsum(w * y[nleft:nrt])[-1])


def _clowess(x: np.ndarray, y: np.ndarray, f: float, nsteps: int, delta: float) -> np.ndarray:
    """Port of R's C lowess (stats/src/lowess.c, clowess) for x sorted increasingly."""
    n = x.size
    if n < 2:
        return y.copy()
    ns = max(2, min(n, int(f * n + 1e-7)))
    ys = np.zeros(n)
    rw = np.ones(n)
    res = np.zeros(n)
    iteration = 1
    while iteration <= nsteps + 1:
        nleft, nright, last, i = 0, ns - 1, -1, 0
        while True:
            if nright < n - 1:
                d1 = x[i] - x[nleft]
                d2 = x[nright + 1] - x[i]
                if d1 > d2:
                    nleft += 1
                    nright += 1
                    continue
            value = _lowest(x, y, x[i], nleft, nright, iteration > 1, rw)
            ys[i] = y[i] if value is None else value
            if last < i - 1:
                denom = x[i] - x[last]
                skipped = np.arange(last + 1, i)
                alpha = (x[skipped] - x[last]) / denom
                ys[skipped] = alpha * ys[i] + (1.0 - alpha) * ys[last]
            last = i
            cut = x[last] + delta
            ties_end = int(np.searchsorted(x, x[last], side="right"))  # ties of x[last] share its fit
            ys[last + 1 : ties_end] = ys[last]
            last = ties_end - 1
            i = max(last + 1, int(np.searchsorted(x, cut, side="right")) - 1)
            if last >= n - 1:
                break
        res = y - ys
        scale = np.cumsum(np.abs(res))[-1] / n
        if iteration > nsteps:
            break
        absres = np.sort(np.abs(res))
        m1 = n // 2
        cmad = 3.0 * (absres[m1] + absres[n - m1 - 1]) if n % 2 == 0 else 6.0 * absres[m1]
        if cmad < 1e-7 * scale:
            break
        c9 = 0.999 * cmad
        c1 = 0.001 * cmad
        r = np.abs(res)
        rw = np.where(r <= c1, 1.0, np.where(r <= c9, (1.0 - (r / cmad) ** 2) ** 2, 0.0))
        iteration += 1
    return ys


@functools.lru_cache(maxsize=4)
def _gauss_uniform(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights for the uniform distribution on [0, 1] (statmod's gauss.quad.prob)."""
    nodes, weights = np.polynomial.legendre.leggauss(n)
    return (nodes + 1.0) / 2.0, weights / 2.0


def _rank_average(x: np.ndarray) -> np.ndarray:
    from scipy import stats

    return stats.rankdata(x, method="average")


def fit_f_dist_robustly(
    x: np.ndarray,
    df1: np.ndarray | float,
    covariate: np.ndarray | None = None,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> dict:
    """Robust estimation of the F-distribution prior with outlier-shrunk df (limma's fitFDistRobustly)."""
    from scipy import stats

    x = np.asarray(x, dtype=float).copy()
    n = x.size
    if n < 2:
        return {"scale": np.nan, "df2": np.nan, "df2_shrunk": np.nan}
    if n == 2:
        out = fit_f_dist(x, df1, covariate)
        out["df2_shrunk"] = np.full(n, out["df2"])
        return out
    df1 = np.broadcast_to(np.asarray(df1, dtype=float), (n,)).copy()
    if covariate is not None:
        covariate = np.asarray(covariate, dtype=float)
        if not np.all(np.isfinite(covariate)):
            raise SecretomeInputError("covariate contains NA or infinite values")
    ok = ~np.isnan(x) & np.isfinite(df1) & (df1 > 1e-6)
    if not ok.all():
        fit = fit_f_dist_robustly(x[ok], df1[ok], None if covariate is None else covariate[ok], winsor_tail_p)
        df2_shrunk = x.copy()
        df2_shrunk[ok] = fit["df2_shrunk"]
        df2_shrunk[~ok] = fit["df2"]
        if covariate is None:
            scale = fit["scale"]
        else:
            scale = x.copy()
            scale[ok] = fit["scale"]
            scale[~ok] = np.exp(_approx_rule2(covariate[ok], np.log(fit["scale"]), covariate[~ok]))
        return {"scale": scale, "df2": fit["df2"], "df2_shrunk": df2_shrunk}
    m = float(np.median(x))
    if m <= 0:
        raise SecretomeInputError("variances are mostly <= 0: cannot fit a robust prior")
    tiny = x < m * 1e-12
    if tiny.any():
        warnings.warn(f"{int(tiny.sum())} very small variance(s) offset away from zero", stacklevel=2)
        x[tiny] = m * 1e-12
    nonrobust = fit_f_dist(x, df1, covariate)
    tail = (float(winsor_tail_p[0]), float(winsor_tail_p[1]))
    prob = np.array([tail[0], 1 - tail[1]])
    if all(p < 1 / n for p in tail):
        nonrobust["df2_shrunk"] = np.full(n, nonrobust["df2"])
        return nonrobust
    df1max = df1.max()
    lower_df = df1 < (df1max - 1e-14)
    if lower_df.any():
        s = nonrobust["scale"] if covariate is None else nonrobust["scale"][lower_df]
        f = x[lower_df] / s
        df2 = nonrobust["df2"]
        pupper = _pf_log(f, df1[lower_df], df2, upper=True)
        plower = _pf_log(f, df1[lower_df], df2, upper=False)
        up = pupper < plower
        if up.any():
            f[up] = _qf_log(pupper[up], df1max, df2, upper=True)
        if (~up).any():
            f[~up] = _qf_log(plower[~up], df1max, df2, upper=False)
        x[lower_df] = f * s
    d1 = float(df1max)
    z = np.log(x)
    if covariate is None:
        ztrend = stats.trim_mean(z, tail[1])
        zresid = z - ztrend
    else:
        ztrend = _lowess_fit(z, covariate, span=0.4, iterations=4)
        zresid = z - ztrend
    zrq = np.quantile(zresid, prob)
    zwins = np.minimum(np.maximum(zresid, zrq[0]), zrq[1])
    zwmean = np.mean(zwins)
    zwvar = np.mean((zwins - zwmean) ** 2) * n / (n - 1)
    nodes, weights = _gauss_uniform(128)

    def linkfun(v):
        return v / (1 + v)

    def linkinv(v):
        return v / (1 - v) if v != 1 else np.inf

    def moments(df2: float) -> tuple[float, float]:
        fq = _qf(np.array([tail[0], 1 - tail[1]]), d1, df2)
        zq = np.log(fq)
        q = fq / (1 + fq)
        qn = q[0] + (q[1] - q[0]) * nodes
        fnodes = qn / (1 - qn)
        znodes = np.log(fnodes)
        dens = _df_density(fnodes, d1, df2) / (1 - qn) ** 2
        q21 = q[1] - q[0]
        mean = q21 * np.sum(weights * dens * znodes) + np.sum(zq * np.array(tail))
        var = q21 * np.sum(weights * dens * (znodes - mean) ** 2) + np.sum((zq - mean) ** 2 * np.array(tail))
        return float(mean), float(var)

    mom_mean, mom_var = moments(np.inf)
    funval_inf = math.log(zwvar / mom_var)
    if funval_inf <= 0:
        df2 = np.inf
        ztrend_corrected = ztrend + zwmean - mom_mean
        s20 = np.exp(ztrend_corrected)
        fstat = np.exp(z - ztrend_corrected)
        tail_p = stats.chi2(d1).sf(fstat * d1)
        r = _rank_average(fstat)
        empirical = (n - r + 0.5) / n
        prob_not_outlier = np.minimum(tail_p / empirical, 1.0)
        df_pooled = n * d1
        df2_shrunk = np.full(n, df2)
        outlier = prob_not_outlier < 1
        if outlier.any():
            df2_shrunk[outlier] = prob_not_outlier[outlier] * df_pooled
            o = np.argsort(tail_p, kind="stable")
            df2_shrunk[o] = np.maximum.accumulate(df2_shrunk[o])
        return {"scale": s20, "df2": df2, "tail_p_value": tail_p, "df2_shrunk": df2_shrunk}

    def fun(v: float) -> float:
        return math.log(zwvar / moments(linkinv(v))[1])

    if np.isinf(nonrobust["df2"]):
        nonrobust["df2_shrunk"] = np.full(n, nonrobust["df2"])
        return nonrobust
    rbx = linkfun(nonrobust["df2"])
    funval_low = fun(rbx)
    if funval_low >= 0:
        df2 = float(nonrobust["df2"])
    else:
        df2 = linkinv(_zeroin(fun, rbx, 1.0, funval_low, funval_inf, tol=1e-8))
    mom_mean, mom_var = moments(df2)
    ztrend_corrected = ztrend + zwmean - mom_mean
    s20 = np.exp(ztrend_corrected)
    fstat = np.exp(z - ztrend_corrected)
    log_tail_p = _pf_log(fstat, d1, df2, upper=True)
    tail_p = np.exp(log_tail_p)
    r = _rank_average(fstat)
    log_empirical = np.log(n - r + 0.5) - np.log(n)
    log_not_outlier = np.minimum(log_tail_p - log_empirical, 0.0)
    prob_not_outlier = np.exp(log_not_outlier)
    prob_outlier = -np.expm1(log_not_outlier)
    if np.any(log_not_outlier < 0):
        min_log_tail = np.min(log_tail_p)
        if min_log_tail == -np.inf:
            df2_outlier = 0.0
            df2_shrunk = prob_not_outlier * df2
        else:
            df2_outlier = math.log(0.5) / min_log_tail * df2
            new_log_tail = float(_pf_log(np.array([np.max(fstat)]), d1, df2_outlier, upper=True)[0])
            df2_outlier = math.log(0.5) / new_log_tail * df2_outlier
            df2_shrunk = prob_not_outlier * df2 + prob_outlier * df2_outlier
        o = np.argsort(log_tail_p, kind="stable")
        ordered = df2_shrunk[o]
        running = np.cumsum(ordered) / np.arange(1, n + 1)
        imin = int(np.argmin(running))
        ordered[: imin + 1] = running[imin]
        df2_shrunk = np.empty(n)
        df2_shrunk[o] = np.maximum.accumulate(ordered)
    else:
        df2_outlier = df2
        df2_shrunk = np.full(n, df2)
    return {
        "scale": s20,
        "df2": df2,
        "tail_p_value": tail_p,
        "prob_outlier": prob_outlier,
        "df2_outlier": df2_outlier,
        "df2_shrunk": df2_shrunk,
    }


def _approx_rule2(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's approx(x, y, xout, rule=2, ties=mean)."""
    frame = pd.DataFrame({"x": x, "y": y}).groupby("x", sort=True)["y"].mean()
    return np.interp(xout, frame.index.to_numpy(), frame.to_numpy())


def squeeze_var(
    var: np.ndarray,
    df: np.ndarray | float,
    covariate: np.ndarray | None = None,
    robust: bool = False,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> dict:
    """Empirical Bayes posterior variances (limma's squeezeVar): prior df, prior and posterior variances."""
    var = np.asarray(var, dtype=float).copy()
    n = var.size
    if n == 0:
        raise SecretomeInputError("no variances to moderate")
    if n == 1:
        return {"var_post": var, "var_prior": var, "df_prior": 0.0}
    df = np.broadcast_to(np.asarray(df, dtype=float), (n,)).copy()
    var[df == 0] = 0.0
    if robust:
        fit = fit_f_dist_robustly(var, df, covariate=covariate, winsor_tail_p=winsor_tail_p)
        df_prior = fit["df2_shrunk"]
    else:
        fit = fit_f_dist(var, df, covariate=covariate)
        df_prior = fit["df2"]
    if np.any(np.isnan(df_prior)):
        raise SecretomeInputError("could not estimate the prior degrees of freedom (too few residual variances)")
    var_prior = fit["scale"]
    df_prior_arr = np.broadcast_to(np.asarray(df_prior, dtype=float), (n,))
    prior = np.broadcast_to(np.asarray(var_prior, dtype=float), (n,))
    finite = np.isfinite(df_prior_arr)
    var_post = prior.copy()
    if finite.any():
        var_post[finite] = (df[finite] * var[finite] + df_prior_arr[finite] * prior[finite]) / (
            df[finite] + df_prior_arr[finite]
        )
    return {"df_prior": df_prior, "var_prior": var_prior, "var_post": var_post}


def _tmixture_vector(tstat, stdev_unscaled, df, proportion, v0_lim) -> float:
    keep = ~np.isnan(tstat)
    tstat = np.abs(tstat[keep])
    stdev_unscaled = stdev_unscaled[keep]
    df = df[keep].copy()
    n_genes = tstat.size
    n_target = math.ceil(proportion / 2 * n_genes)
    if n_target < 1:
        return np.nan
    p = max(n_target / n_genes, proportion)
    max_df = df.max()
    lower = df < max_df
    if lower.any():
        # limma maps every t to the t at max(df) with the same tail probability, then takes the
        # largest; the map is monotone in the tail probability, so rank by it and map only the top.
        tail = _t_logsf(tstat, df)
        threshold = np.partition(tail, n_target - 1)[n_target - 1]
        candidates = np.flatnonzero(tail <= threshold)
        order = candidates[np.argsort(tail[candidates], kind="stable")][:n_target]
        selected = tstat[order].copy()
        convert = lower[order]
        selected[convert] = _qt_upper_log(tail[order][convert], max_df)
        tstat = selected
    else:
        threshold = np.partition(tstat, n_genes - n_target)[n_genes - n_target]
        candidates = np.flatnonzero(tstat >= threshold)
        order = candidates[np.argsort(-tstat[candidates], kind="stable")][:n_target]
        tstat = tstat[order]
    v1 = stdev_unscaled[order] ** 2
    r = np.arange(1, n_target + 1)
    p0 = 2 * _t_sf(tstat, max_df)
    ptarget = ((r - 0.5) / n_genes - (1 - p) * p0) / p
    v0 = np.zeros(n_target)
    pos = ptarget > p0
    if pos.any():
        qtarget = -special.stdtrit(max_df, ptarget[pos] / 2)
        v0[pos] = v1[pos] * ((tstat[pos] / qtarget) ** 2 - 1)
    if v0_lim is not None:
        v0 = np.minimum(np.maximum(v0, v0_lim[0]), v0_lim[1])
    return float(np.mean(v0))


def e_bayes(
    fit: LinearFit,
    proportion: float = 0.01,
    stdev_coef_lim: tuple[float, float] = (0.1, 4),
    trend: bool | np.ndarray = False,
    robust: bool = False,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> LinearFit:
    """Empirical Bayes moderated t-statistics, p-values and log-odds B exactly as limma's eBayes."""
    coefficients = fit.coefficients
    stdev = fit.stdev_unscaled
    sigma = fit.sigma
    df_residual = fit.df_residual
    if np.nanmax(df_residual) == 0:
        raise SecretomeInputError("no residual degrees of freedom in the linear model fits",
                                  expected="replicates: more observed samples than coefficients")
    if not np.any(np.isfinite(sigma)):
        raise SecretomeInputError("no finite residual standard deviations", expected="replicated observations")
    if isinstance(trend, (bool, np.bool_)):
        covariate = fit.amean if trend else None
    else:
        covariate = np.asarray(trend, dtype=float)
        if covariate.size != sigma.size:
            raise SecretomeInputError("a numeric trend needs one value per row")
    out = squeeze_var(sigma**2, df_residual, covariate=covariate, robust=robust, winsor_tail_p=winsor_tail_p)
    s2_prior = out["var_prior"]
    s2_post = out["var_post"]
    df_prior = out["df_prior"]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = coefficients / stdev / np.sqrt(s2_post)[:, None]
    df_total = df_residual + np.asarray(df_prior, dtype=float)
    df_pooled = np.nansum(df_residual)
    df_total = np.minimum(df_total, df_pooled)
    p_value = 2 * _t_sf(np.abs(t), df_total[:, None])
    var_prior_lim = np.asarray(stdev_coef_lim, dtype=float) ** 2 / np.median(s2_prior)
    var_prior = np.array(
        [_tmixture_vector(t[:, j], stdev[:, j], df_total, proportion, var_prior_lim) for j in range(t.shape[1])]
    )
    if np.isnan(var_prior).any():
        failed = np.isnan(var_prior)
        var_prior[failed] = np.resize(1.0 / np.atleast_1d(np.asarray(s2_prior, dtype=float)), int(failed.sum()))
        warnings.warn("Estimation of var.prior failed - set to default value", stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (stdev**2 + var_prior[None, :]) / stdev**2
        t2 = t**2
        infdf = np.broadcast_to(np.asarray(df_prior, dtype=float) > 1e6, (t.shape[0],))
        dft = df_total[:, None]
        kernel = (1 + dft) / 2 * np.log((t2 + dft) / (t2 / r + dft))
        if infdf.any():
            kernel[infdf] = (t2 * (1 - 1 / r) / 2)[infdf]
        lods = math.log(proportion / (1 - proportion)) - np.log(r) / 2 + kernel
    return replace(
        fit,
        df_prior=df_prior,
        s2_prior=s2_prior,
        var_prior=var_prior,
        proportion=proportion,
        s2_post=s2_post,
        t=t,
        df_total=df_total,
        p_value=p_value,
        lods=lods,
    )


# -------------------------------------------------------------------------------------------- tables


def top_table(fit: LinearFit, coef: int | str = 0, adjust: str = "BH", sort_by: str = "none") -> pd.DataFrame:
    """limma's topTable for one coefficient: logFC, AveExpr, t, P.Value, adj.P.Val, B for every row.

    ``sort_by`` is ``"none"`` (input order) or ``"p"`` (ascending p-value, stable, NaN last); ``adjust``
    is ``"BH"`` or ``"none"``.
    """
    if fit.t is None:
        raise SecretomeInputError("top_table needs a fit that went through e_bayes")
    if isinstance(coef, str):
        if coef not in fit.coef_names:
            raise SecretomeInputError(f"no coefficient {coef!r}", expected=", ".join(fit.coef_names))
        j = fit.coef_names.index(coef)
    else:
        j = int(coef)
    p = fit.p_value[:, j]
    if adjust == "BH":
        adjusted = bh_adjust(p)
    elif adjust == "none":
        adjusted = p.copy()
    else:
        raise SecretomeInputError(f"unknown p-value adjustment {adjust!r}", expected="BH or none")
    table = pd.DataFrame(
        {
            "logFC": fit.coefficients[:, j],
            "AveExpr": fit.amean,
            "t": fit.t[:, j],
            "P.Value": p,
            "adj.P.Val": adjusted,
            "B": fit.lods[:, j],
        },
        index=fit.row_names if fit.row_names is not None else None,
    )
    if sort_by in ("p", "P"):
        table = table.sort_values("P.Value", kind="stable", na_position="last")
    elif sort_by != "none":
        raise SecretomeInputError(f"unknown sort_by {sort_by!r}", expected="none or p")
    return table


# ----------------------------------------------------------------------------------------- AnnData API


def _expression(adata: AnnData, layer: str | None) -> tuple[np.ndarray, str]:
    if layer is not None and layer in adata.layers:
        data, used = adata.layers[layer], f"layers[{layer!r}]"
    elif bool(adata.uns.get("source", {}).get("is_log2", False)):
        data, used = adata.X, "X (already log2)"
    else:
        raise SecretomeInputError(
            f"layer {layer!r} is missing and X is not on log2 scale",
            column=layer,
            expected="log2 values: log-transform first (preprocessing writes layers['log2'])",
        )
    if hasattr(data, "toarray"):
        data = data.toarray()
    return np.asarray(data, dtype=float), used


def moderated_test(
    adata: AnnData,
    design: str | Design = "~ condition",
    contrast: str | np.ndarray = "A-B",
    layer: str | None = "log2",
    trend: bool = False,
    robust: bool = False,
) -> pd.DataFrame:
    """limma-exact moderated t-test of one contrast for every protein; fold changes in log2 units.

    Returns one row per protein (``protein, gene, log2fc, ave_expr, t, p_value, adj_p_value, b``)
    sorted by p-value (stable). Proteins whose contrast cannot be estimated (all values missing, or a
    compared group entirely missing) keep NaN statistics at the bottom; ``.attrs`` reports how many.
    Proteins without any observation are left out of the fit, so that ``trend=True`` works (limma
    itself would stop on their missing average).
    """
    values, used = _expression(adata, layer)
    if isinstance(design, Design):
        the_design = design
        if the_design.samples != [str(s) for s in adata.obs_names]:
            raise SecretomeInputError("design samples do not match the dataset's samples", column="design")
    else:
        the_design = design_matrix(adata.obs, design)
    if isinstance(contrast, str):
        vector = make_contrast(contrast, the_design)
        contrast_label = contrast
    else:
        vector = np.asarray(contrast, dtype=float)
        contrast_label = "custom"
    expr = values.T
    n_obs = np.isfinite(expr).sum(axis=1)
    fitted_rows = np.flatnonzero(n_obs > 0)
    n_proteins = expr.shape[0]
    if fitted_rows.size == 0:
        raise SecretomeInputError(f"every protein is entirely missing in {used}", expected="observed values")
    fit = lm_fit(expr[fitted_rows], the_design)
    if np.nanmax(fit.df_residual) == 0:
        raise SecretomeInputError(
            f"design {the_design.formula!r} leaves no residual degrees of freedom for any protein",
            column="design",
            expected="more observed samples than coefficients",
        )
    cfit = contrasts_fit(fit, vector)
    eb = e_bayes(cfit, trend=trend, robust=robust)
    table = top_table(eb, 0, sort_by="none")
    columns = {name: np.full(n_proteins, np.nan) for name in ("log2fc", "ave_expr", "t", "p_value", "adj_p_value", "b")}
    for name, source in (("log2fc", "logFC"), ("ave_expr", "AveExpr"), ("t", "t"), ("p_value", "P.Value"),
                         ("adj_p_value", "adj.P.Val"), ("b", "B")):
        columns[name][fitted_rows] = table[source].to_numpy()
    if np.all(np.isnan(columns["p_value"])):
        raise SecretomeInputError(
            f"contrast {contrast_label!r} cannot be estimated for any protein (the compared groups are missing)",
            column="contrast",
        )
    genes = adata.var["gene"].astype(str).to_numpy() if "gene" in adata.var.columns else np.full(n_proteins, "")
    result = pd.DataFrame({"protein": adata.var_names.astype(str), "gene": genes, **columns})
    result = result.sort_values("p_value", kind="stable", na_position="last").reset_index(drop=True)
    n_not_estimable = int(np.isnan(columns["p_value"]).sum())
    df_prior = np.asarray(eb.df_prior, dtype=float)
    s2_prior = np.asarray(eb.s2_prior, dtype=float)
    summary = {
        "design": the_design.formula,
        "design_columns": list(the_design.columns),
        "contrast": contrast_label,
        "contrast_vector": [float(v) for v in vector],
        "layer": used,
        "trend": bool(trend),
        "robust": bool(robust),
        "n_proteins": n_proteins,
        "n_not_estimable": n_not_estimable,
        "n_all_missing": int(n_proteins - fitted_rows.size),
        "df_prior": float(df_prior) if df_prior.ndim == 0 else float(np.median(df_prior)),
        "s2_prior": float(s2_prior) if s2_prior.ndim == 0 else float(np.median(s2_prior)),
    }
    result.attrs.update(summary)
    record_step(adata, "moderated_test", "secretome.stats.limma.moderated_test", summary)
    return result
