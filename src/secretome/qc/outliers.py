"""Sample outliers: pairwise-complete correlation, a PCA of the samples, and robust (median/MAD) z-scores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
from scipy.linalg import blas

from secretome.qc import matrices
from secretome.qc.matrices import QuantityView, column_blocks, nanmedian, row_blocks


def pairwise_correlation(log2: Any, min_overlap: int, columns: np.ndarray | None = None) -> np.ndarray:
    """Pearson correlation between samples (rows) over pairwise-complete proteins (``columns``, an index array;
    all when None).

    Computed with matrix products over the presence mask (exact, no per-pair loop), summed block by block of
    proteins, so that ``log2`` (an array or a :class:`~secretome.qc.matrices.QuantityView`) is never copied
    whole. Pairs sharing fewer than ``min_overlap`` quantified proteins get NaN. The diagonal is 1 for any
    sample with data.
    """
    n_samples = log2.shape[0]
    totals, counts = np.zeros(n_samples), np.zeros(n_samples)
    for key in column_blocks(log2, columns):
        block = _new_block(log2, key)  # its gaps are zeroed in place: the same sums as np.where's copy
        present = np.isfinite(block)
        np.copyto(block, 0.0, where=~present)
        totals += block.sum(axis=1)
        counts += present.sum(axis=1)
        del block, present  # freed before the next block is made (and not held through the products below)
    means = (totals / np.maximum(counts, 1))[:, None]
    block_bytes = _product_block_bytes(log2, columns)
    one_block = block_bytes >= 8 * n_samples * (log2.shape[1] if columns is None else len(columns))
    if one_block:
        corr, n = _one_block_sums(log2[:, columns if columns is not None else slice(None)], means)
    else:
        corr, n = _blocked_sums(log2, columns, means, block_bytes)
    present_counts = np.diag(n).copy()
    few = n < max(min_overlap, 3)
    corr[few] = np.nan
    np.clip(corr, -1.0, 1.0, out=corr)
    has = present_counts >= max(min_overlap, 3)
    np.fill_diagonal(corr, np.where(has, 1.0, np.nan))
    return corr


def _one_block_sums(block: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(correlation, pair counts) of a matrix small enough for one block: numpy's whole-matrix products (the
    same bits as the products of the whole matrix), reduced in place."""
    present = np.isfinite(block)
    centred = np.subtract(block, means, out=np.zeros_like(block, order="F"), where=present)  # centring improves accuracy
    mask = present.astype(np.float32, order="F")
    # each product added to 0 (as the running sums of the blocked path start): -0.0 becomes 0.0
    n = np.add(np.matmul(mask, mask.T), 0)  # counts below 2**24: exact in float32
    mask = mask.astype(float)
    sx = np.add(np.matmul(centred, mask.T), 0.0)  # sum of x_i over proteins present in both i and j
    sxy = np.add(np.matmul(centred, centred.T), 0.0)
    np.square(centred, out=centred)
    sxx = np.add(np.matmul(centred, mask.T), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        _covariance_in_place(sxy, sx, n)
        np.square(sx, out=sx)
        sx /= n
        sxx -= sx  # var_i
        del sx
        _scale_in_place(sxy, sxx)
    return sxy, n


def _blocked_sums(log2: Any, columns: np.ndarray | None, means: np.ndarray,
                  block_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """(correlation, pair counts) summed block by block of proteins, in two passes so that no more than two
    samples x samples float64 matrices and the counts are held at once: the first sums the counts, the sums of
    x_i and the cross products and reduces them to covariances; the second adds the sums of x_i**2 onto the
    stored -sx**2/n in place (BLAS, beta = 1), which gives var_i without a fourth matrix."""
    n_samples = log2.shape[0]
    n = np.zeros((n_samples, n_samples), dtype=np.float32, order="F")  # counts below 2**24: exact in float32
    sx, sxy = (np.zeros((n_samples, n_samples), order="F") for _ in range(2))
    for centred, mask in _centred_blocks(log2, columns, means, block_bytes):
        n = blas.ssyrk(1.0, mask, beta=1.0, c=n, overwrite_c=1)  # upper triangle
        mask = mask.astype(float, order="F")
        sx = blas.dgemm(1.0, centred, mask, beta=1.0, c=sx, trans_b=1, overwrite_c=1)
        sxy = blas.dsyrk(1.0, centred, beta=1.0, c=sxy, overwrite_c=1)  # upper triangle
        del centred, mask  # freed before the next block is made, not beside it
    _symmetrise(n)
    _symmetrise(sxy)
    with np.errstate(invalid="ignore", divide="ignore"):
        _covariance_in_place(sxy, sx, n)
        np.square(sx, out=sx)
        sx /= n
        np.negative(sx, out=sx)
    var = sx
    del sx
    for centred, mask in _centred_blocks(log2, columns, means, block_bytes):
        np.square(centred, out=centred)
        var = blas.dgemm(1.0, centred, mask.astype(float, order="F"), beta=1.0, c=var, trans_b=1, overwrite_c=1)
        del centred, mask
    with np.errstate(invalid="ignore", divide="ignore"):
        _scale_in_place(sxy, var)
    return sxy, n


def _centred_blocks(log2: Any, columns: np.ndarray | None, means: np.ndarray,
                    block_bytes: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block of proteins: the values minus each sample's mean (0 where missing) and the float32 presence mask,
    both column-major."""
    for key in column_blocks(log2, columns, block_bytes):
        centred = np.asfortranarray(_new_block(log2, key))  # column-major, centred in place (0 where missing)
        present = np.isfinite(centred)
        np.subtract(centred, means, out=centred)
        np.copyto(centred, 0.0, where=~present)
        mask = present.astype(np.float32, order="F")
        del present
        yield centred, mask
        del centred, mask  # the consumer's references are its own: nothing of this block is held into the next


def _new_block(log2: Any, key: Any) -> np.ndarray:
    """``log2[:, key]`` as an array of its own, safe to change in place: a view's blocks are new already, an
    array's are copied (in their layout)."""
    block = log2[:, key]
    return block if isinstance(log2, QuantityView) else np.array(block, order="K")


def _covariance_in_place(sxy: np.ndarray, sx: np.ndarray, n: np.ndarray) -> None:
    """sxy - sx * sx.T / n into ``sxy``, a block of rows at a time (the covariance sums)."""
    for r in row_blocks(sx, 4 << 20):
        part = sx[r] * sx[:, r].T
        part /= n[r]
        sxy[r] -= part


def _scale_in_place(cov: np.ndarray, var: np.ndarray) -> None:
    """cov / sqrt(var_i var_j) into ``cov``, where ``var[i, j]`` is sample i's variance sum over the pair's
    proteins, a block of rows at a time."""
    for r in row_blocks(var, 4 << 20):
        part = var[r] * var[:, r].T
        np.sqrt(part, out=part)
        cov[r] /= part


ONE_BLOCK_BYTES = 32 << 20
"""Matrices up to this size are multiplied in one block: their sums are numpy's whole-matrix products bit for bit
(larger ones, summed block by block, differ from those in the last bits)."""


def _product_block_bytes(log2: Any, columns: np.ndarray | None) -> int:
    """The block size for summing matrix products over proteins: the whole matrix up to :data:`ONE_BLOCK_BYTES`,
    else a quarter of :data:`~secretome.qc.matrices.BLOCK_BYTES` (each block's products need about 4 blocks)."""
    size = 8 * log2.shape[0] * (log2.shape[1] if columns is None else len(columns))
    return max(size, 1) if size <= ONE_BLOCK_BYTES else matrices.BLOCK_BYTES // 4


def _symmetrise(matrix: np.ndarray, block: int = 512) -> None:
    """Copy the upper triangle of a square matrix onto its lower one, in place (a block of rows at a time)."""
    for start in range(0, matrix.shape[0], block):
        stop = min(start + block, matrix.shape[0])
        matrix[start:stop, :start] = matrix[:start, start:stop].T
        diagonal = matrix[start:stop, start:stop]
        lower = np.tril_indices(stop - start, -1)
        diagonal[lower] = diagonal.T[lower]


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


def pca(log2: Any, min_detection: float, n_components: int, columns: np.ndarray | None = None) -> PCAResult:
    """PCA of samples on log2 values (see module docstring for the NaN rule) of the proteins ``columns`` (an
    index array; all when None); ``log2`` is an array or a :class:`~secretome.qc.matrices.QuantityView`.

    Proteins quantified in >= ``min_detection`` of samples are kept; each sample is centred on its
    median over those proteins (removes loading differences), each protein on its mean, and remaining
    gaps are set to 0 (the protein mean). ``distance`` is each sample's score distance over the
    components, each scaled by its robust standard deviation (1.4826 MAD). The centred matrix is made and
    multiplied block by block of proteins, never whole, when there are fewer samples than proteins.
    """
    n_samples = log2.shape[0]
    index = np.arange(log2.shape[1]) if columns is None else np.asarray(columns)
    present = log2.present if isinstance(log2, QuantityView) else lambda key: np.isfinite(log2[key])
    detected = np.concatenate([present((slice(None), key)).sum(axis=0) for key in column_blocks(log2, index)] or [[]])
    keep = index[detected / n_samples >= min_detection] if n_samples else index[:0]
    empty = PCAResult(np.zeros((n_samples, 0)), np.zeros(0), int(keep.size), np.full(n_samples, np.nan))
    if n_samples < 3 or keep.size < 3:
        return empty
    with np.errstate(all="ignore"):
        medians = np.concatenate([nanmedian(log2[rows][:, keep], axis=1, keepdims=True)
                                  for rows in row_blocks(log2, matrices.BLOCK_BYTES // 4)])  # each row alone: any block

    def centred(key: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            block = log2[:, key]
            block -= medians
            block -= np.nanmean(block, axis=0, keepdims=True)
        return np.nan_to_num(block, copy=False, nan=0.0)

    k = int(min(n_components, n_samples - 1, keep.size))
    # only k components are needed: eigen-decompose the smaller cross-product matrix (exact, and much
    # faster than a full SVD for 1,000 samples x thousands of proteins)
    wide = n_samples <= keep.size
    if wide:
        block_bytes = _product_block_bytes(log2, keep)
        if block_bytes >= 8 * n_samples * keep.size:  # one block: numpy's whole-matrix product, the same bits
            block = centred(keep)
            small = np.zeros((n_samples, n_samples))
            small += block @ block.T
            del block
        else:  # BLAS adds each block's product in place (beta = 1): no product matrix beside the sums
            small = np.zeros((n_samples, n_samples), order="F")
            for key in column_blocks(log2, keep, block_bytes):
                small = blas.dsyrk(1.0, centred(key), beta=1.0, c=small, overwrite_c=1)  # upper triangle
            _symmetrise(small)
    else:
        data = centred(keep)
        small = data.T @ data
    total = float(np.trace(small))
    if total <= 0 or k < 1:
        return empty
    size = small.shape[0]
    values, vectors = scipy.linalg.eigh(small, subset_by_index=[size - k, size - 1], driver="evr",
                                        overwrite_a=True)  # small is not used after: no copy of it
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    scores = vectors * np.sqrt(values) if wide else data @ vectors
    # robust scale per component (1.4826 MAD), so that one outlier cannot inflate its own yardstick
    sd = 1.4826 * np.median(np.abs(scores - np.median(scores, axis=0)), axis=0)
    fallback = scores.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, np.where(fallback > 0, fallback, 1.0))
    distance = np.sqrt(((scores / sd) ** 2).sum(axis=1))
    return PCAResult(scores, values / total, int(keep.size), distance)
