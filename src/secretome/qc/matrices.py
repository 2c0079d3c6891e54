"""The quantity matrices QC works on (linear and log2, decoys left out) and column coercions."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData


def linear_quantities(adata: AnnData) -> np.ndarray:
    """Samples x proteins linear quantities (``2**X`` when the source is log2); missing/non-positive -> 0."""
    values = np.asarray(adata.X, dtype=float)
    if bool(adata.uns.get("source", {}).get("is_log2", False)):
        with np.errstate(over="ignore"):
            values = np.exp2(values)
    out = np.where(np.isfinite(values) & (values > 0), values, 0.0)
    return out


def log2_quantities(adata: AnnData) -> np.ndarray:
    """Samples x proteins log2 quantities; missing (NaN, zero or negative linear values) stays NaN."""
    values = np.asarray(adata.X, dtype=float)
    if bool(adata.uns.get("source", {}).get("is_log2", False)):
        return np.where(np.isfinite(values), values, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(values) & (values > 0), np.log2(values), np.nan)


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
