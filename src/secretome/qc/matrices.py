"""The quantity matrices QC works on (linear and log2, decoys left out, computed once inside
:func:`derived_matrices`), bit-exact lean kernels over them, and column coercions."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData


_DERIVED: ContextVar[dict[str, tuple[Any, bool, "QuantityView"]] | None] = ContextVar("derived_matrices", default=None)

BLOCK_BYTES = 16 << 20
"""About how much of a derived matrix a blockwise kernel holds at a time."""


class QuantityView:
    """A samples x proteins matrix derived value by value from ``X`` (linear or log2 quantities), computed on
    access and never held whole: ``view[key]`` is ``full[key]`` of the whole derived matrix, in values and in
    memory layout (sums over a block round alike only on the same layout), computed from ``X[key]`` alone.
    ``numpy.asarray(view)`` builds the whole matrix, for callers that need it."""

    def __init__(self, values: Any, is_log2: bool, kind: str) -> None:
        self.values, self.is_log2, self.kind = values, is_log2, kind
        self.shape: tuple[int, int] = tuple(values.shape)
        self.ndim, self.dtype = 2, np.dtype(float)
        self._memo: dict[Any, Any] = {}

    def present(self, key: Any) -> np.ndarray:
        """Where ``self[key]`` holds a quantity (linear: above 0; log2: finite), without computing it when ``X``
        says it alone (a linear source: finite and above 0, for both views)."""
        if not self.is_log2:
            part = np.asarray(self.values[key], dtype=float)
            with np.errstate(invalid="ignore"):
                return (part > 0) & (part < np.inf)
        return self[key] > 0 if self.kind == "linear" else np.isfinite(np.asarray(self.values[key], dtype=float))

    def memo(self, name: str, mask: np.ndarray, compute: Any) -> np.ndarray:
        """``compute()``, kept with the view under ``name`` and the boolean ``mask`` it depends on: a per-sample or
        per-protein reduction several stages ask for is made once while the view is shared
        (:func:`derived_matrices`)."""
        key = (name, np.packbits(mask).tobytes(), mask.size)
        if key not in self._memo:
            self._memo[key] = compute()
            self._memo[key].flags.writeable = False  # shared by every stage that asks
        return self._memo[key]

    def __getitem__(self, key: Any) -> np.ndarray:
        part = np.asarray(self.values[key], dtype=float)
        if self.kind == "linear":
            return _linear(part, self.is_log2)
        keys = key if isinstance(key, tuple) else (key,)
        fancy = any(not isinstance(k, (slice, int, np.integer)) and k is not Ellipsis for k in keys)
        # the whole log2 matrix was column-major; a fancy index's result has the same layout whatever the source's
        return _log2(part, self.is_log2, "K" if fancy else "F")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:, :]
        return whole if dtype is None else whole.astype(dtype, copy=False)


def column_blocks(values: Any, columns: np.ndarray | None = None,
                  block_bytes: int | None = None) -> Iterator[np.ndarray | slice]:
    """Column keys covering ``columns`` (an index array; all columns when None) in blocks of about ``block_bytes``
    (default :data:`BLOCK_BYTES`) of float64: slices when all columns are asked for, index arrays otherwise."""
    n_rows, n_columns = values.shape
    size = max(1, (block_bytes or BLOCK_BYTES) // (8 * max(n_rows, 1)))
    if columns is None:
        for start in range(0, n_columns, size):
            yield slice(start, min(start + size, n_columns))
        return
    for start in range(0, len(columns), size):
        yield columns[start:start + size]


def row_blocks(values: Any, block_bytes: int | None = None) -> Iterator[slice]:
    """Row slices of ``values`` in blocks of about ``block_bytes`` (default :data:`BLOCK_BYTES`) of float64."""
    n_rows, n_columns = values.shape
    size = max(1, (block_bytes or BLOCK_BYTES) // (8 * max(n_columns, 1)))
    for start in range(0, n_rows, size):
        yield slice(start, min(start + size, n_rows))


@contextmanager
def derived_matrices() -> Iterator[None]:
    """Inside this block each dataset's :func:`linear_quantities` and :func:`log2_quantities` view is made once
    and shared by every stage that asks for it; outside it a new view is made each time.

    A stage that changes ``adata.X`` in place must not run inside the block (a new ``X`` object is noticed).
    Nested blocks share the outermost cache.
    """
    if _DERIVED.get() is not None:
        yield
        return
    token = _DERIVED.set({})
    try:
        yield
    finally:
        _DERIVED.reset(token)


def _derived(adata: AnnData, kind: str) -> QuantityView:
    """The ``kind`` view of ``adata``'s current ``X``, cached inside :func:`derived_matrices`."""
    values = adata.X
    is_log2 = bool(adata.uns.get("source", {}).get("is_log2", False))
    cache = _DERIVED.get()
    if cache is None:
        return QuantityView(values, is_log2, kind)
    key = f"{kind}:{id(values)}"
    hit = cache.get(key)
    if hit is not None and hit[0] is values and hit[1] == is_log2:
        return hit[2]
    view = QuantityView(values, is_log2, kind)
    cache[key] = (values, is_log2, view)
    return view


def _linear(values: np.ndarray, is_log2: bool) -> np.ndarray:
    # the results keep X's memory layout (order K, as numpy.where gave): sums and products over a matrix
    # round alike only on the same layout
    if is_log2:
        with np.errstate(over="ignore"):
            values = np.exp2(values)
    out = np.zeros_like(values)
    with np.errstate(invalid="ignore"):
        np.copyto(out, values, where=values > 0)  # NaN > 0 is False: missing stays 0
    np.copyto(out, 0.0, where=np.isinf(out))
    return out


def _log2(values: np.ndarray, is_log2: bool, order: str = "F") -> np.ndarray:
    # column-major, the layout every consumer's sums were made on (QC took a column-major ``[:, usable]`` copy)
    out = np.empty_like(values, order=order)
    if is_log2:
        out.fill(np.nan)
        np.copyto(out, values, where=np.isfinite(values))
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log2(values, out=out)  # log2 of 0, negatives, NaN and inf is not finite: all of them are missing
    np.copyto(out, np.nan, where=~np.isfinite(out))
    return out


def linear_quantities(adata: AnnData) -> QuantityView:
    """Samples x proteins linear quantities (``2**X`` when the source is log2); missing/non-positive -> 0, as a
    :class:`QuantityView` (index it, or ``numpy.asarray`` it for the whole matrix)."""
    return _derived(adata, "linear")


def log2_quantities(adata: AnnData) -> QuantityView:
    """Samples x proteins log2 quantities; missing (NaN, zero or negative linear values) stays NaN, as a
    :class:`QuantityView` (column-major when taken whole)."""
    return _derived(adata, "log2")


def detected_counts(linear: Any, rows: np.ndarray | None = None, columns: np.ndarray | None = None) -> np.ndarray:
    """Per protein (of ``columns``, all when None): in how many samples (of the boolean ``rows``, all when None)
    its linear quantity is above 0; block by block, and made once per shared view for the same samples and
    proteins (QC, purity, plausibility and the protein table all ask)."""
    ordered = columns is None or bool(np.all(np.diff(columns) > 0))  # a mask says which proteins, not their order
    if isinstance(linear, QuantityView) and ordered:
        chosen = np.zeros(linear.shape[1], dtype=bool)
        chosen[slice(None) if columns is None else columns] = True
        key = np.concatenate([np.ones(linear.shape[0], dtype=bool) if rows is None else np.asarray(rows, dtype=bool),
                              chosen])
        return linear.memo("detected", key, lambda: _detected_counts(linear, rows, columns)).copy()
    return _detected_counts(linear, rows, columns)


def _detected_counts(linear: Any, rows: np.ndarray | None, columns: np.ndarray | None) -> np.ndarray:
    parts = []
    for key in column_blocks(linear, columns):
        block = linear.present((slice(None), key)) if isinstance(linear, QuantityView) else linear[:, key] > 0
        parts.append((block if rows is None else block[rows]).sum(axis=0))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=int)


def detected_per_sample(linear: Any, columns: np.ndarray | None = None) -> np.ndarray:
    """Per sample: how many proteins (of ``columns``, all when None) it has a linear quantity above 0 for."""
    counts = np.zeros(linear.shape[0], dtype=int)
    for key in column_blocks(linear, columns):
        counts += (linear.present((slice(None), key)) if isinstance(linear, QuantityView) else linear[:, key] > 0).sum(axis=1)
    return counts


def nanmedian(values: np.ndarray, axis: int, keepdims: bool = False, block: int = 64) -> np.ndarray:
    """``numpy.nanmedian`` along ``axis`` (NaN where a slice has no value, without warning), equal to it bit for
    bit, by sorting (instead of numpy's masked-array path: 10x faster on samples x proteins matrices); a 2-D
    matrix is sorted ``block`` slices at a time, so it needs no second matrix."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 2 and values.shape[1 - axis] > block:
        parts = [nanmedian(values[start:start + block] if axis == 1 else values[:, start:start + block], axis, True)
                 for start in range(0, values.shape[1 - axis], block)]
        out = np.concatenate(parts, axis=1 - axis)
        return out if keepdims else np.squeeze(out, axis=axis)
    ordered = np.sort(values, axis=axis)  # NaN sorts last
    n = (~np.isnan(ordered)).sum(axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0), axis=axis)
    high = np.take_along_axis(ordered, np.maximum(n // 2, 0), axis=axis)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(n > 0, (low + high) / 2, np.nan)
    return out if keepdims else np.squeeze(out, axis=axis)


def nanquantiles(values: np.ndarray, probs: Any) -> np.ndarray:
    """Per row of a 2-D matrix: ``numpy.nanquantile(values, probs, axis=1).T`` (linear method; NaN for a row without
    values, without warning), equal to it bit for bit, by one sort of the matrix instead of numpy's one call per row:
    numpy's own virtual indices, neighbours and interpolation (``_lerp``) on each row's sorted finite values."""
    values = np.asarray(values, dtype=float)
    q = np.asarray(probs, dtype=float)
    ordered = np.sort(values, axis=1)  # NaN sorts last
    n = (~np.isnan(ordered)).sum(axis=1)
    virtual = (n[:, None] - 1) * q[None, :]  # numpy's (n - 1) * quantiles
    previous = np.floor(virtual)
    above = virtual >= (n[:, None] - 1)  # numpy takes the last value (index -1 of the finite values)
    previous[above] = -1
    gamma = virtual - previous
    last = np.maximum(n - 1, 0)[:, None]
    low_index = np.where(above, last, previous).astype(np.intp)
    high_index = np.where(above, last, previous + 1).astype(np.intp)
    low = np.take_along_axis(ordered, low_index, axis=1)
    high = np.take_along_axis(ordered, high_index, axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = high - low
        out = low + difference * gamma
        np.subtract(high, difference * (1 - gamma), out=out, where=gamma >= 0.5)
    out[n == 0] = np.nan
    return out


def row_sums(values: np.ndarray, columns: np.ndarray, block: int = 256) -> np.ndarray:
    """``values[:, columns].sum(axis=1)`` bit for bit (that copy is column-major, so numpy adds its columns in
    order), without the copy: ``block`` columns at a time behind the running sums."""
    index = np.flatnonzero(columns)
    sums = np.zeros(values.shape[0])
    for start in range(0, index.size, block):
        part = np.empty((values.shape[0], 1 + min(block, index.size - start)), order="F")
        part[:, 0] = sums
        part[:, 1:] = values[:, index[start:start + block]]
        sums = part.sum(axis=1)
    return sums


def mean_sample_share(linear: np.ndarray, total: np.ndarray, block: int = 512,
                      columns: np.ndarray | None = None) -> np.ndarray:
    """Per protein (of ``columns``, an index array; all when None): its share of each sample's ``total``, averaged
    over the samples with a total: ``nanmean(linear[:, columns] / total, axis=0)`` bit for bit, computed ``block``
    proteins at a time instead of through a samples x proteins matrix of shares (and numpy's NaN-replaced copy)."""
    divisor = np.where(total > 0, total, np.nan)[:, None]
    n = linear.shape[1] if columns is None else len(columns)
    out = np.empty(n)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a table without any sample total: NaN, as nanmean gives
        for start in range(0, n, block):
            key = slice(start, start + block) if columns is None else columns[start:start + block]
            out[start:start + block] = np.nanmean(linear[:, key] / divisor, axis=0)
    return out


def sample_totals(linear: Any, columns: np.ndarray) -> np.ndarray:
    """Each sample's total over the boolean ``columns`` (:func:`row_sums`), made once per shared view."""
    if isinstance(linear, QuantityView):
        return linear.memo("totals", columns, lambda: row_sums(linear, columns))
    return row_sums(linear, columns)


def mean_shares(linear: Any, columns: np.ndarray) -> np.ndarray:
    """Each protein's share of the samples' totals over ``columns`` (:func:`sample_totals`), averaged over the
    samples with a total (:func:`mean_sample_share`; zeros for a table without samples), made once per shared view."""
    def compute() -> np.ndarray:
        if not linear.shape[0]:
            return np.zeros(linear.shape[1])
        return mean_sample_share(linear, sample_totals(linear, columns))

    return linear.memo("mean_shares", columns, compute) if isinstance(linear, QuantityView) else compute()


def counted_proteins(adata: AnnData) -> np.ndarray:
    """Boolean mask of proteins that count (everything but decoys)."""
    if "is_decoy" in adata.var:
        return ~adata.var["is_decoy"].to_numpy(dtype=bool)
    return np.ones(adata.n_vars, dtype=bool)



def as_text(series: pd.Series, missing: str = "") -> np.ndarray:
    """A text column as a numpy str array, missing -> ``missing`` (works for categoricals read from h5ad)."""
    values = series.astype(object).to_numpy()
    return np.array([missing if pd.isna(v) else str(v) for v in values], dtype=str)


def as_bool(series: pd.Series) -> np.ndarray:
    """A boolean column as a numpy bool array (missing -> False; 'True'/'False' strings accepted)."""
    if series.dtype == bool:
        return series.to_numpy()
    text = series.astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "yes", "+")).to_numpy()
