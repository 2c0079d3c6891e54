"""Preprocessing of a samples x proteins AnnData: valid-value filter, log2, normalization, imputation.

Every step stays in log2 units, never overwrites raw ``X``, writes one layer (``log2``, ``normalized``,
``imputed`` + ``imputed_mask``) and is recorded both in ``adata.uns['preprocessing']`` (a list of
dicts the reports show) and in the provenance (:func:`secretome.provenance.record_step`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.config import config
from secretome.errors import SecretomeInputError
from secretome.provenance import record_step

FilterMode = Literal["any_group", "all_groups", "overall"]
NormalizeMethod = Literal["none", "median", "quantile", "vsn"]
ImputeMethod = Literal["none", "perseus", "minprob", "knn"]

NORMALIZE_METHODS = ("none", "median", "quantile", "vsn")
IMPUTE_METHODS = ("none", "perseus", "minprob", "knn")


def _note(adata: AnnData, step: str, function: str, params: dict[str, Any], **outcome: Any) -> None:
    """Record one preprocessing step in ``uns['preprocessing']`` and in the provenance."""
    entry = {"step": step, **{k: _plain(v) for k, v in params.items()}, **{k: _plain(v) for k, v in outcome.items()}}
    adata.uns["preprocessing"] = [*list(adata.uns.get("preprocessing", [])), entry]
    record_step(adata, step, function, {**params, **outcome})


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None:
        return "None"
    return value


def _dense(matrix: Any) -> np.ndarray:
    array = matrix.toarray() if hasattr(matrix, "toarray") else np.asarray(matrix)
    return np.array(array, dtype=np.float64)


# --------------------------------------------------------------------------------------------- filter
def filter_valid(
    adata: AnnData,
    min_valid: int | float | None = None,
    group: str | None = None,
    mode: FilterMode | None = None,
    restrict: np.ndarray | None = None,
) -> AnnData:
    """Keep proteins with enough valid (non-missing) values in ``X``; return the filtered copy.

    ``min_valid`` is a count (int >= 0) or a fraction of the samples (a float in (0, 1]; 1.0 means all
    samples, a whole float above 1 is a count), counted per
    group of ``obs[group]`` when a group is given. ``mode``: ``overall`` (all samples together),
    ``any_group`` (at least one group passes, keeps proteins present in one condition only) or
    ``all_groups`` (every group passes). Default mode: ``any_group`` with a group, else ``overall``.
    ``restrict`` (boolean per sample) limits the counting to those samples (e.g. the two groups of a
    contrast); all samples are kept. ``min_valid=0`` switches the filter off (still recorded).
    """
    if min_valid is None:
        min_valid = config("preprocessing")["filter"]["min_valid"]
    if mode is None:
        mode = "overall" if group is None else "any_group"
    if mode not in ("any_group", "all_groups", "overall"):
        raise SecretomeInputError(f"unknown filter mode {mode!r}", expected="any_group, all_groups or overall")
    if isinstance(min_valid, bool) or not isinstance(min_valid, (int, float, np.integer, np.floating)):
        raise SecretomeInputError(f"min_valid must be a number, got {min_valid!r}")
    is_fraction = isinstance(min_valid, (float, np.floating)) and 0 < min_valid <= 1
    if min_valid < 0 or (not is_fraction and not float(min_valid).is_integer()):
        raise SecretomeInputError(
            f"min_valid={min_valid} is out of range", expected="a count >= 0 or a fraction in (0, 1]"
        )
    if mode != "overall" and group is None:
        raise SecretomeInputError(f"filter mode {mode!r} needs a group column")
    valid = ~np.isnan(_dense(adata.X))
    counted = np.ones(adata.n_obs, dtype=bool) if restrict is None else np.asarray(restrict, dtype=bool)
    if counted.shape != (adata.n_obs,) or not counted.any():
        raise SecretomeInputError("restrict must mark at least one sample, one flag per sample")
    if mode == "overall":
        blocks = {"all": counted}
    else:
        if group not in adata.obs.columns:
            raise SecretomeInputError(
                "the filter's group column is absent from the sample sheet",
                column=group,
                expected=f"one of {', '.join(map(str, adata.obs.columns))}",
            )
        labels = adata.obs[group][counted]
        if labels.isna().any():
            raise SecretomeInputError("samples without a group label", column=group, expected="a label for every sample")
        blocks = {str(level): counted & (adata.obs[group] == level).to_numpy() for level in pd.unique(labels)}
    passes = []
    for members in blocks.values():
        needed = np.ceil(min_valid * members.sum() - 1e-9) if is_fraction else min_valid
        passes.append(valid[members].sum(axis=0) >= needed)
    stacked = np.vstack(passes)
    keep = stacked.all(axis=0) if mode == "all_groups" else stacked.any(axis=0)
    if not keep.any():
        sizes = ", ".join(f"{level}: {int(members.sum())}" for level, members in blocks.items())
        too_many = not is_fraction and min_valid > max(int(members.sum()) for members in blocks.values())
        raise SecretomeInputError(
            f"no protein has {min_valid} valid values ({mode}{'' if group is None else ' by ' + group}); "
            f"nothing is left to analyse{' (more than any group has samples)' if too_many else ''}; samples per group: {sizes}",
            expected="a lower min_valid", parameters=("min_valid",),
        )
    result = adata[:, keep].copy()
    _note(
        result,
        "filter_valid",
        "secretome.stats.preprocess.filter_valid",
        {"min_valid": min_valid, "group": group, "mode": mode, "n_samples_counted": int(counted.sum())},
        n_before=int(adata.n_vars),
        n_after=int(keep.sum()),
        n_removed=int((~keep).sum()),
    )
    return result


# ----------------------------------------------------------------------------------------------- log2
def log2_transform(adata: AnnData, is_log2: bool | None = None) -> AnnData:
    """Write log2 values into ``layers['log2']`` (in place; returns ``adata``), never logging twice.

    Values already in log2 (``uns['source']['is_log2']``, or ``is_log2=True``) are copied. If the
    layer exists the step is skipped and recorded as skipped. Linear values must be positive or NaN.
    """
    if "log2" in adata.layers:
        _note(adata, "log2_transform", "secretome.stats.preprocess.log2_transform", {}, action="skipped: layers['log2'] exists")
        return adata
    if is_log2 is None:
        source = adata.uns.get("source", {})
        if "is_log2" not in source:
            raise SecretomeInputError(
                "cannot tell whether the values are log2: uns['source']['is_log2'] is missing",
                expected="a dataset from secretome.read, or log2_transform(adata, is_log2=...)",
            )
        is_log2 = bool(source["is_log2"])
    values = _dense(adata.X)
    if is_log2:
        log2 = values.copy()
        action = "copied: values already log2"
    else:
        finite = values[np.isfinite(values)]
        if (finite <= 0).any():
            raise SecretomeInputError(
                f"{int((finite <= 0).sum())} non-positive linear quantities cannot be log2-transformed",
                expected="positive quantities, missing as NaN",
            )
        log2 = np.log2(values)
        action = "log2 of linear quantities"
    log2[~np.isfinite(log2)] = np.nan
    adata.layers["log2"] = log2
    _note(adata, "log2_transform", "secretome.stats.preprocess.log2_transform", {"is_log2": is_log2}, action=action)
    return adata


# ------------------------------------------------------------------------------------------ normalize
def normalize(adata: AnnData, method: NormalizeMethod = "median", layer: str = "log2") -> AnnData:
    """Normalize ``layers[layer]`` (log2) into ``layers['normalized']``, staying in log2 units.

    ``median``: subtract each sample's median and add back the median of the sample medians (so the
    level stays interpretable; idempotent). ``quantile``: limma's ``normalizeQuantiles`` with its NaN
    handling. ``vsn``: :func:`vsn_transform` fitted on the linear values ``2**log2`` (glog2 output, log2
    units for high intensities). ``none``: an exact copy, so a fit sees exactly the log2 input.
    """
    if method not in NORMALIZE_METHODS:
        raise SecretomeInputError(f"unknown normalization {method!r}", expected=", ".join(NORMALIZE_METHODS))
    if layer not in adata.layers:
        raise SecretomeInputError(f"layers[{layer!r}] is absent; run log2_transform first")
    values = _dense(adata.layers[layer])
    empty = ~np.isfinite(values).any(axis=1)
    if method != "none" and empty.any():
        raise SecretomeInputError(
            f"sample(s) {', '.join(map(str, adata.obs_names[empty][:8]))} have no quantified value; "
            f"{method} normalization cannot place them",
            file=adata.uns.get("source", {}).get("path"),
            expected="a sample with at least one value (drop the empty sample, or normalize none)",
            parameters=("normalize",),
        )
    outcome: dict[str, Any] = {}
    if method == "none":
        normalized = values.copy()
    elif method == "median":
        normalized, medians = median_center(values)
        outcome["target_median"] = float(np.median(medians))
    elif method == "quantile":
        normalized = normalize_quantiles(values.T).T
    else:
        normalized, fit = vsn_transform(np.exp2(values))
        outcome.update(fit)
    adata.layers["normalized"] = normalized
    _note(adata, "normalize", "secretome.stats.preprocess.normalize", {"method": method, "layer": layer}, **outcome)
    return adata


def median_center(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Center each sample (row) on the median of the sample medians; NaN ignored. Returns (values, medians)."""
    observed = np.isfinite(values).any(axis=1)
    if not observed.all():
        raise SecretomeInputError(f"{int((~observed).sum())} samples have no valid value; cannot median-center")
    medians = np.nanmedian(values, axis=1)
    return values - medians[:, None] + np.median(medians), medians


def normalize_quantiles(matrix: np.ndarray, ties: bool = True) -> np.ndarray:
    """limma::normalizeQuantiles on a features x samples matrix (R's orientation), NaN handled as limma.

    Each column's observed values are sorted and linearly interpolated onto a common grid of
    ``n_features`` quantiles; the row means of that grid are the target distribution, which each
    column's observed values receive at their (average-tie) rank position; NaNs stay NaN.
    """
    a = np.array(matrix, dtype=np.float64)
    n_rows, n_cols = a.shape
    if n_cols == 1 or n_rows == 0:
        return a
    if n_rows < 2:
        raise SecretomeInputError("quantile normalization needs at least 2 proteins")
    grid = np.arange(n_rows) / (n_rows - 1)
    sorted_grid = np.empty_like(a)
    n_obs = np.empty(n_cols, dtype=int)
    for j in range(n_cols):
        column = np.sort(a[np.isfinite(a[:, j]), j])
        n_obs[j] = column.size
        if column.size < 2:
            raise SecretomeInputError(f"sample {j + 1} has fewer than 2 valid values; cannot quantile-normalize")
        sorted_grid[:, j] = column if column.size == n_rows else np.interp(grid, np.arange(column.size) / (column.size - 1), column)
    target = sorted_grid.mean(axis=1)
    out = np.full_like(a, np.nan)
    for j in range(n_cols):
        present = np.isfinite(a[:, j])
        if ties:
            ranks = pd.Series(a[present, j]).rank(method="average").to_numpy()
            out[present, j] = np.interp((ranks - 1) / (n_obs[j] - 1), grid, target)
        else:
            order = np.flatnonzero(present)[np.argsort(a[present, j], kind="stable")]
            out[order, j] = np.interp(np.arange(n_obs[j]) / (n_obs[j] - 1), grid, target)
    return out


def vsn_transform(
    linear: np.ndarray, lts_quantile: float | None = None, max_iterations: int | None = None
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
    settings = config("preprocessing")["normalize"]["vsn"]
    lts_quantile = settings["lts_quantile"] if lts_quantile is None else lts_quantile
    max_iterations = settings["max_iterations"] if max_iterations is None else max_iterations
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
    complete = finite.all(axis=1)
    low = np.empty(n_samples)
    low[complete] = np.quantile(y[complete], 0.05, axis=1)  # one call for the samples without missing values
    low[~complete] = [np.quantile(row[np.isfinite(row)], 0.05) for row in y[~complete]]
    b0 = -np.log(low)
    params = np.concatenate([np.zeros(n_samples), b0])
    keep = finite.sum(axis=0) >= 2
    if keep.sum() < 10:
        raise SecretomeInputError("vsn needs at least 10 proteins with 2 or more valid values")
    observed = finite.astype(np.float64)
    y0 = np.where(finite, y, 0.0)
    candidates = finite.sum(axis=0) >= 2
    from scipy import optimize  # here, not at import: only VSN fits anything
    from threadpoolctl import threadpool_limits

    iterations = 0
    # L-BFGS-B's vector steps (2 x samples parameters) are too small for BLAS threads, which would only spin
    # between its calls (about a quarter of the fit's CPU time at 200 samples), taking cores from the likelihood's threads
    with threadpool_limits(limits=1, user_api="blas"):
        for iterations in range(1, max_iterations + 1):
            result = optimize.minimize(
                _vsn_negloglik, params, args=_vsn_terms(y0, observed, keep), jac=True, method="L-BFGS-B",
                options={"maxiter": 2000},
            )
            params = result.x
            a, b = params[:n_samples], params[n_samples:]
            h = np.arcsinh(np.exp(b)[:, None] * y + a[:, None])
            rss = _vsn_residual_ms(h, finite)
            cutoff = np.quantile(rss[candidates], lts_quantile)
            new_keep = candidates & (rss <= cutoff)
            if np.array_equal(new_keep, keep):
                break
            keep = new_keep
    a, b = params[:n_samples], params[n_samples:]
    if iterations == 0:  # no fit asked for; otherwise h is already that of the final parameters
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
    """Per-protein mean squared residual of the transformed values around the protein mean (NaN: no value)."""
    counts = finite.sum(axis=0)
    if finite.all():  # the same sums without the masks
        residual = h - h.sum(axis=0) / counts
        residual *= residual
        return residual.sum(axis=0) / counts
    filled = np.where(finite, h, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # proteins with no value: NaN, excluded by callers
        mean = filled.sum(axis=0) / counts
        return np.where(finite, (filled - mean) ** 2, 0.0).sum(axis=0) / counts


def _vsn_terms(
    y0: np.ndarray, observed: np.ndarray, keep: np.ndarray
) -> tuple[list[tuple[np.ndarray, np.ndarray | None, np.ndarray]], np.ndarray, float]:
    """The fixed inputs of :func:`_vsn_negloglik`: the intensities (0 where missing), the 0/1 mask (None
    where the block has no missing value, so its products are skipped) and the mask's count per protein,
    of the proteins ``keep``, gathered once into contiguous blocks; the counts per sample; the total."""
    columns = np.flatnonzero(keep)
    step = max(1, VSN_BLOCK_CELLS // y0.shape[0])
    blocks = []
    per_sample = np.zeros(y0.shape[0])
    for start in range(0, columns.size, step):
        part = columns[start : start + step]
        mask = observed[:, part]
        per_sample += mask.sum(axis=1)
        blocks.append((y0[:, part], None if mask.all() else mask, mask.sum(axis=0)))
    return blocks, per_sample, float(per_sample.sum())


def _vsn_negloglik(
    params: np.ndarray, blocks: list[tuple[np.ndarray, np.ndarray | None, np.ndarray]], per_sample: np.ndarray, n_total: float
) -> tuple[float, np.ndarray]:
    """Profile negative log-likelihood of the VSN model and its gradient in (a, b).

    Each block holds intensities with 0 where missing and the 0/1 mask (float), so every masked term is
    a product (a block without missing values has no mask and skips those products). With ``z = exp(b) y + a``, ``h = arsinh(z)``, residuals ``r`` around each protein's mean and
    ``c = n / sum(r^2)``: ``d value / d z = c r / sqrt(1 + z^2) + z / (1 + z^2)``, so the gradient needs
    four per-sample sums, accumulated over contiguous blocks of proteins that stay in the CPU cache. The
    blocks run on :func:`_vsn_threads` threads (numpy releases the GIL in each step); their sums are added
    in block order, so the result does not depend on the number of threads.
    """
    n_samples = per_sample.size
    a, b = params[:n_samples], params[n_samples:]
    scale = np.exp(b)[:, None]
    offset = a[:, None]

    def block(part: tuple[np.ndarray, np.ndarray | None, np.ndarray]) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        y_part, mask, per_protein = part
        z = y_part * scale
        z += offset
        inverse = z * z
        inverse += 1.0
        log_terms = np.log(inverse)
        log_jacobian_part = float(log_terms.sum() if mask is None else np.einsum("ij,ij->", log_terms, mask))
        np.divide(1.0, inverse, out=inverse)  # 1 / (1 + z^2)
        r = np.arcsinh(z, out=log_terms)
        if mask is not None:
            r *= mask
        r -= r.sum(axis=0) / per_protein  # residual around each protein's mean ...
        if mask is not None:
            r *= mask  # ... on the observed values only
        ssq_part = float(np.einsum("ij,ij->", r, r))
        z *= inverse
        if mask is not None:
            z *= mask
        r *= np.sqrt(inverse, out=inverse)
        # the per-sample sums weighted by the intensities, without writing the products
        return (ssq_part, log_jacobian_part, r.sum(axis=1), z.sum(axis=1),
                np.einsum("ij,ij->i", r, y_part), np.einsum("ij,ij->i", z, y_part))

    pool = _vsn_threads()
    parts = pool.map(block, blocks) if pool is not None and len(blocks) > 1 else map(block, blocks)
    ssq = log_jacobian = 0.0
    r_a, r_b, z_a, z_b = (np.zeros(n_samples) for _ in range(4))
    for ssq_part, log_jacobian_part, r_a_part, z_a_part, r_b_part, z_b_part in parts:  # in block order
        ssq += ssq_part
        log_jacobian += log_jacobian_part
        r_a += r_a_part
        z_a += z_a_part
        r_b += r_b_part
        z_b += z_b_part
    value = 0.5 * n_total * np.log(ssq / n_total) - (float(per_sample @ b) - 0.5 * log_jacobian)
    c = n_total / ssq
    grad_a = c * r_a + z_a
    grad_b = scale[:, 0] * (c * r_b + z_b) - per_sample
    return value, np.concatenate([grad_a, grad_b])


@lru_cache(maxsize=1)
def _vsn_threads() -> ThreadPoolExecutor | None:
    """Threads for the VSN likelihood's blocks: one per usable core, at most :data:`VSN_MAX_THREADS`
    (None on a single core)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cores, VSN_MAX_THREADS)
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vsn") if workers > 1 else None


VSN_MAX_THREADS = 4
"""Most threads the VSN likelihood uses (its blocks are memory-bound beyond a few cores)."""

VSN_BLOCK_CELLS = 65_536
"""Cells (samples x proteins) per block of the VSN likelihood: a few arrays of this size fit in cache."""


# ------------------------------------------------------------------------------------------- impute
def impute(
    adata: AnnData,
    method: ImputeMethod = "none",
    layer: str | None = None,
    seed: int | None = 0,
    **options: Any,
) -> AnnData:
    """Fill missing log2 values into ``layers['imputed']`` and mark them in ``layers['imputed_mask']``.

    Source layer: ``normalized`` if present, else ``log2``. Methods: ``perseus`` (per sample, normal
    down-shifted by ``downshift`` SDs with width ``width`` SDs), ``minprob`` (imputeLCMD MinProb),
    ``knn`` (k nearest proteins), ``none`` (an exact copy, empty mask). Observed values are never
    changed; the mask (uint8) is 1 exactly where a value was imputed. ``seed`` makes draws reproducible.
    """
    if method not in IMPUTE_METHODS:
        raise SecretomeInputError(f"unknown imputation {method!r}", expected=", ".join(IMPUTE_METHODS))
    if layer is None:
        layer = "normalized" if "normalized" in adata.layers else "log2"
    if layer not in adata.layers:
        raise SecretomeInputError(f"layers[{layer!r}] is absent; run log2_transform first")
    values = _dense(adata.layers[layer])
    missing = ~np.isfinite(values)
    defaults = config("preprocessing")["impute"].get(method, {})
    unknown = set(options) - set(defaults)
    if unknown:
        raise SecretomeInputError(f"unknown option(s) {sorted(unknown)} for imputation {method!r}", expected=", ".join(defaults) or "none")
    settings = {**defaults, **options}
    rng = np.random.default_rng(seed)
    if method == "none":
        filled = values.copy()
        missing = np.zeros_like(missing)
    elif method == "perseus":
        filled = impute_perseus(values, rng, **settings)
    elif method == "minprob":
        filled = impute_minprob(values, rng, **settings)
    else:
        filled = impute_knn(values, **settings)
    adata.layers["imputed"] = filled
    adata.layers["imputed_mask"] = missing.astype(np.uint8)
    _note(
        adata,
        "impute",
        "secretome.stats.preprocess.impute",
        {"method": method, "layer": layer, "seed": seed, **settings},
        n_imputed=int(missing.sum()),
    )
    return adata


def _sample_rows(values: np.ndarray) -> None:
    if (np.isfinite(values).sum(axis=1) < 2).any():
        raise SecretomeInputError("imputation needs at least 2 valid values in every sample")


def impute_perseus(values: np.ndarray, rng: np.random.Generator, width: float, downshift: float) -> np.ndarray:
    """Perseus: per sample, draw from N(mean - downshift*sd, (width*sd)^2) of its observed log2 values."""
    _sample_rows(values)
    out = values.copy()
    for i, row in enumerate(values):
        missing = ~np.isfinite(row)
        mean, sd = np.nanmean(row), np.nanstd(row, ddof=1)
        out[i, missing] = rng.normal(mean - downshift * sd, width * sd, size=int(missing.sum()))
    return out


def impute_minprob(values: np.ndarray, rng: np.random.Generator, q: float, tune_sigma: float) -> np.ndarray:
    """imputeLCMD ``impute.MinProb``: N(q-quantile of the sample, median protein SD * tune_sigma).

    As in imputeLCMD, the SD is the median of per-protein SDs over proteins observed in more than
    half of the samples (R's ``quantile`` type 7 equals numpy's default linear method).
    """
    _sample_rows(values)
    observed = np.isfinite(values)
    well = observed.mean(axis=0) > 0.5
    if not well.any() or (observed[:, well].sum(axis=0) < 2).all():
        raise SecretomeInputError("MinProb needs proteins observed in more than half of the samples")
    sds = np.nanstd(values[:, well], axis=0, ddof=1)
    sd = float(np.nanmedian(sds)) * tune_sigma
    out = values.copy()
    for i, row in enumerate(values):
        missing = ~np.isfinite(row)
        low = np.quantile(row[np.isfinite(row)], q)
        out[i, missing] = rng.normal(low, sd, size=int(missing.sum()))
    return out


def impute_knn(values: np.ndarray, k: int, candidates: int | None = None) -> np.ndarray:
    """k-nearest-neighbour imputation over proteins (as impute::impute.knn, without its row-mean cap).

    Distance between two proteins: mean squared difference over the samples both have observed. A
    missing value of protein p in sample j is the mean of sample j's values of the k nearest proteins
    observed in j, nearer first and, at equal distance, the lower protein index first. Proteins sharing
    no sample with any candidate fall back to their own mean. A sample without any valid value is
    refused (as R's ``impute.knn`` halts on such a column).
    For speed the ``candidates`` (default ``max(5k, 100)``) nearest proteins are searched first; a cell
    whose k donors are not all among them is resolved by the exhaustive search (same result). The
    distances are computed once per pair of proteins (:class:`_MaskedDistances`), in blocks of rows.
    """
    if k < 1:
        raise SecretomeInputError(f"k must be >= 1, got {k}")
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the distance products gain from a second OpenBLAS thread, but between products those
    # threads spin and slow the selection steps that make up the rest (whole kernel, 8,000 x 200 with 15%
    # missing, quiet 2-core machine: 1.9 s against 3.4 s with OpenBLAS's default threads; results identical)
    with threadpool_limits(limits=1, user_api="blas"):
        return _impute_knn(values, k, candidates)


def _impute_knn(values: np.ndarray, k: int, candidates: int | None) -> np.ndarray:
    """:func:`impute_knn` under the caller's BLAS thread setting."""
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
    out = x.copy()
    targets = np.flatnonzero(~observed.all(axis=1))
    if targets.size == 0:  # complete data: nothing to impute
        return out.T
    width = max(1, min(n_proteins - 1, max(5 * k, 100) if candidates is None else candidates))
    # Targets first, so that every block of target rows meets the later targets and the complete proteins
    # as one contiguous run of columns; pairs of targets are computed once and used for both rows.
    order = np.concatenate([targets, np.flatnonzero(observed.all(axis=1))])
    distances = _MaskedDistances(x[order], observed[order])
    step = max(16, min(512, KNN_BLOCK_CELLS // n_proteins))
    # the candidates found so far for the target rows not yet reached, from the blocks before them
    later_dist, later_index = np.empty((targets.size, 0)), np.empty((targets.size, 0), dtype=np.intp)
    flat = x.ravel()
    for start in range(0, targets.size, step):
        stop = min(start + step, targets.size)
        size = stop - start
        dist = distances.block(start, stop)  # rows start:stop, columns start: (self at inf)
        own = np.argpartition(dist, width - 1, axis=1)[:, :width].copy() if dist.shape[1] > width else np.indices(dist.shape)[1]
        near_dist, near = _nearest(
            np.hstack([later_dist[:size], np.take_along_axis(dist, own, axis=1)]),
            np.hstack([later_index[:size], own + start]),
            width,
        )
        # the later target rows get this block's rows as candidates (the distance is symmetric)
        tile = dist[:, size : targets.size - start].T
        later_dist, later_index = later_dist[size:], later_index[size:]
        merged = [
            _nearest(np.hstack([later_dist[part], tile[part]]),
                     np.hstack([later_index[part], np.broadcast_to(np.arange(start, stop), tile[part].shape)]), width)
            for part in (slice(first, first + KNN_MERGE_ROWS) for first in range(0, tile.shape[0], KNN_MERGE_ROWS))
        ]
        if merged:
            later_dist, later_index = np.vstack([d for d, _ in merged]), np.vstack([i for _, i in merged])
        near = order[near]
        by_index = np.argsort(near, axis=1)  # then by distance, stably: equal distances keep index order
        near, near_dist = np.take_along_axis(near, by_index, axis=1), np.take_along_axis(near_dist, by_index, axis=1)
        by_distance = np.argsort(near_dist, axis=1, kind="stable")
        near, near_dist = np.take_along_axis(near, by_distance, axis=1), np.take_along_axis(near_dist, by_distance, axis=1)
        rows = targets[start:stop]
        # only the missing cells gather their candidates' values: cells x width, not rows x width x samples
        missing = ~observed[rows]
        cell_row, cell_sample = np.nonzero(missing)
        donor_values = flat[near[cell_row] * n_samples + cell_sample[:, None]]
        donor = np.isfinite(donor_values) & np.isfinite(near_dist[cell_row])
        rank = np.cumsum(donor, axis=1, dtype=np.int32)
        use = donor & (rank <= k)
        count = use.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fast = np.where(use, donor_values, 0.0).sum(axis=1) / count
        # a k-th donor as far as the farthest candidate may tie with a protein outside the candidates
        kth = np.where(use & (rank == k), near_dist[cell_row], -np.inf).max(axis=1)
        enough = (count >= k) & (kth < near_dist[cell_row, -1])
        out[rows[cell_row[enough]], cell_sample[enough]] = fast[enough]
        left = missing.copy()
        left[cell_row[enough], cell_sample[enough]] = False
        if left.any():
            _impute_exhaustive(out, x, observed, rows, left, distances, order, k)
    return out.T


def _nearest(dist: np.ndarray, index: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``width`` smallest distances of each row and their column indices (in no particular order)."""
    if dist.shape[1] <= width:
        return dist, index
    pick = np.argpartition(dist, width - 1, axis=1)[:, :width]
    return np.take_along_axis(dist, pick, axis=1), np.take_along_axis(index, pick, axis=1)


def _impute_exhaustive(
    out: np.ndarray, x: np.ndarray, observed: np.ndarray, rows: np.ndarray, left: np.ndarray,
    distances: _MaskedDistances, order: np.ndarray, k: int,
) -> None:
    """Fill the cells ``left`` (rows x samples) of the target ``rows`` from all proteins observed in the
    sample: the k nearest (ties: lower index), only those at a finite distance, else the protein's own mean."""
    need_rows = np.flatnonzero(left.any(axis=1))
    position = np.empty(order.size, dtype=np.intp)
    position[order] = np.arange(order.size)
    full = distances.rows(position[rows[need_rows]])[:, position]  # original protein order
    full[np.arange(need_rows.size), rows[need_rows]] = np.inf
    for j in np.flatnonzero(left.any(axis=0)):
        need = np.flatnonzero(left[need_rows, j])
        donors = np.flatnonzero(observed[:, j])
        d = full[np.ix_(need, donors)]
        kk = min(k, donors.size)
        bound = np.partition(d, kk - 1, axis=1)[:, kk - 1 : kk]
        below, tied = d < bound, d == bound
        nearest = below | (tied & (np.cumsum(tied, axis=1) <= kk - below.sum(axis=1, keepdims=True)))
        usable = nearest & np.isfinite(d)
        total = usable.sum(axis=1)
        means = np.where(usable, x[donors, j], 0.0).sum(axis=1) / np.maximum(total, 1)
        target = rows[need_rows[need]]
        own = np.nanmean(x[target], axis=1)
        out[target, j] = np.where(total > 0, means, own)


class _MaskedDistances:
    """Mean squared differences between proteins (rows of ``x``) over the samples both observed.

    ``sum (a - b)^2 = m_a . b^2 + a^2 . m_b - 2 a . b`` over the observed masks ``m``: one matrix product
    (BLAS) of ``[m, a^2, -2a]`` with ``[b^2, m, b]`` per block, plus the shared-sample counts ``m_a . m_b``
    in float32 (exact: counts below 2^24). Each sample is first shifted by its mean rounded to an integer,
    which leaves every difference unchanged (the shift itself is exact for values within a factor 2 of
    it) but keeps the terms small, so the product loses little to cancellation.
    """

    def __init__(self, x: np.ndarray, observed: np.ndarray) -> None:
        centre = np.round(np.where(observed, x, 0.0).sum(axis=0) / observed.sum(axis=0))
        value = np.where(observed, x - centre, 0.0)
        self.terms = np.hstack([value**2, observed.astype(np.float64), value])  # [b^2, m, b]
        self.mask32 = observed.astype(np.float32)
        self.n_samples = x.shape[1]

    def block(self, start: int, stop: int) -> np.ndarray:
        """Distances of rows ``start:stop`` to rows ``start:`` (a row to itself: infinite)."""
        dist = self._distances(slice(start, stop), slice(start, None))
        dist[np.arange(stop - start), np.arange(stop - start)] = np.inf
        return dist

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """Distances of ``rows`` to every row."""
        return self._distances(rows, slice(None))

    def _distances(self, rows: slice | np.ndarray, columns: slice) -> np.ndarray:
        s = self.n_samples
        own = self.terms[rows]
        left = np.hstack([own[:, s : 2 * s], own[:, :s], -2.0 * own[:, 2 * s :]])  # [m, a^2, -2a]
        ssd = left @ self.terms[columns].T
        shared = self.mask32[rows] @ self.mask32[columns].T
        np.maximum(ssd, 0.0, out=ssd)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(ssd, shared, out=ssd)
        ssd[shared == 0] = np.inf
        return ssd


KNN_BLOCK_CELLS = 2_000_000
"""Distances (rows x proteins) per block of the kNN search: a few such float64 blocks stay small."""

KNN_MERGE_ROWS = 2048
"""Target rows whose candidates are merged at once (bounds the merge's temporaries)."""


# ------------------------------------------------------------------------------------------ pipeline
def preprocess(
    adata: AnnData,
    min_valid: int | float = 0,
    group: str | None = None,
    filter_mode: FilterMode | None = None,
    normalize_method: NormalizeMethod = "median",
    impute_method: ImputeMethod = "none",
    seed: int | None = 0,
) -> AnnData:
    """Filter -> log2 -> normalize -> impute; returns the filtered copy with layers ``log2``,
    ``normalized``, ``imputed`` and ``imputed_mask``. Steps set to ``0``/``none`` pass values through."""
    adata = filter_valid(adata, min_valid=min_valid, group=group, mode=filter_mode)
    log2_transform(adata)
    normalize(adata, normalize_method)
    impute(adata, impute_method, seed=seed)
    return adata
