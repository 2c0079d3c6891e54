"""Sample outliers: pairwise-complete correlation, a PCA of the samples, and robust (median/MAD) z-scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from secretome.qc.matrices import nanmedian


def pairwise_correlation(log2: np.ndarray, min_overlap: int) -> np.ndarray:
    """Pearson correlation between samples (rows) over pairwise-complete proteins.

    Computed with matrix products over the presence mask (exact, no per-pair loop). Pairs sharing fewer
    than ``min_overlap`` quantified proteins get NaN. The diagonal is 1 for any sample with data.
    """
    present = np.isfinite(log2)
    means = np.where(present, log2, 0.0).sum(axis=1, keepdims=True) / np.maximum(present.sum(axis=1, keepdims=True), 1)
    centred = np.subtract(log2, means, out=np.zeros_like(log2), where=present)  # centring improves accuracy
    mask = present.astype(float)
    del present
    n = mask @ mask.T
    sx = centred @ mask.T  # sum of x_i over proteins present in both i and j
    sxy = centred @ centred.T
    np.square(centred, out=centred)  # in place: the squares need no second matrix
    sxx = centred @ mask.T
    del centred, mask
    present_counts = np.diag(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx**2 / n
        corr = cov / np.sqrt(var_i * var_i.T)
    corr[n < max(min_overlap, 3)] = np.nan
    corr = np.clip(corr, -1.0, 1.0)
    has = present_counts >= max(min_overlap, 3)
    np.fill_diagonal(corr, np.where(has, 1.0, np.nan))
    return corr


def robust_z(values: np.ndarray) -> np.ndarray:
    """Modified z-score (x - median) / (1.4826 MAD) over finite values (Iglewicz & Hoaglin 1993).

    When the MAD is 0, the scale is 1.2533 x mean absolute deviation; when that is 0 too, z = 0.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if finite.sum() == 0:
        return out
    centre = np.median(values[finite])
    deviation = np.abs(values[finite] - centre)
    scale = 1.4826 * np.median(deviation)
    if scale == 0:
        scale = 1.2533 * deviation.mean()
    out[finite] = 0.0 if scale == 0 else (values[finite] - centre) / scale
    return out


@dataclass
class PCAResult:
    """Sample scores, explained variance ratios, and the number of proteins used."""

    scores: np.ndarray
    explained_variance_ratio: np.ndarray
    n_proteins: int
    distance: np.ndarray


def pca(log2: np.ndarray, min_detection: float, n_components: int) -> PCAResult:
    """PCA of samples on log2 values (see module docstring for the NaN rule).

    Proteins quantified in >= ``min_detection`` of samples are kept; each sample is centred on its
    median over those proteins (removes loading differences), each protein on its mean, and remaining
    gaps are set to 0 (the protein mean). ``distance`` is each sample's score distance over the
    components, each scaled by its robust standard deviation (1.4826 MAD).
    """
    n_samples = log2.shape[0]
    present = np.isfinite(log2)
    keep = present.mean(axis=0) >= min_detection if n_samples else np.zeros(log2.shape[1], bool)
    data = log2[:, keep]
    empty = PCAResult(np.zeros((n_samples, 0)), np.zeros(0), int(keep.sum()), np.full(n_samples, np.nan))
    if n_samples < 3 or data.shape[1] < 3:
        return empty
    with np.errstate(all="ignore"):  # in place: data is this function's own copy
        data -= nanmedian(data, axis=1, keepdims=True)
        data -= np.nanmean(data, axis=0, keepdims=True)
    np.nan_to_num(data, copy=False, nan=0.0)
    k = int(min(n_components, n_samples - 1, data.shape[1]))
    # only k components are needed: eigen-decompose the smaller cross-product matrix (exact, and much
    # faster than a full SVD for 1,000 samples x thousands of proteins)
    small = data @ data.T if n_samples <= data.shape[1] else data.T @ data
    total = float(np.trace(small))
    if total <= 0 or k < 1:
        return empty
    size = small.shape[0]
    values, vectors = scipy.linalg.eigh(small, subset_by_index=[size - k, size - 1], driver="evr")
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    scores = vectors * np.sqrt(values) if n_samples <= data.shape[1] else data @ vectors
    # robust scale per component (1.4826 MAD), so that one outlier cannot inflate its own yardstick
    sd = 1.4826 * np.median(np.abs(scores - np.median(scores, axis=0)), axis=0)
    fallback = scores.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, np.where(fallback > 0, fallback, 1.0))
    distance = np.sqrt(((scores / sd) ** 2).sum(axis=1))
    return PCAResult(scores, values / total, int(keep.sum()), distance)
