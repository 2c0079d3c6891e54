"""Per-sample intensity distributions and within-group coefficients of variation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from secretome.qc import matrices
from secretome.qc.matrices import nanquantiles, row_blocks


def intensity_quantiles(log2: Any, sample_names: Iterable[str], columns: np.ndarray | None = None) -> pd.DataFrame:
    """Per-sample log2 quantiles (min, 5, 25, 50, 75, 95 %, max) of quantified proteins (of ``columns``, an index
    array, all when None); ``log2`` is an array or a :class:`~secretome.qc.matrices.QuantityView`, read a block
    of samples at a time."""
    names = list(sample_names)
    probs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
    out = np.empty((log2.shape[0], len(probs)))
    for rows in row_blocks(log2, matrices.BLOCK_BYTES // 4):  # each row's quantiles alone: any block, less memory
        out[rows] = nanquantiles(log2[rows] if columns is None else log2[rows][:, columns], probs)
    return pd.DataFrame(out, index=names, columns=["min", "q05", "q25", "median", "q75", "q95", "max"])



def group_cvs(linear: Any, groups: pd.Series, min_detected: int, columns: np.ndarray | None = None) -> pd.DataFrame:
    """Per group: median and quantiles of per-protein CVs (sd/mean, linear scale, ddof=1) of the proteins
    ``columns`` (an index array; all when None).

    A protein enters a group's CVs when quantified in at least ``max(min_detected, 2)`` of its samples;
    zeros are missing values, not zeros.
    """
    rows = []
    labels = groups.astype(str).to_numpy()
    for level in pd.unique(labels):
        cv, use = _protein_cvs(linear, labels == level, max(min_detected, 2), columns)
        row = {"group": str(level), "n_samples": int((labels == level).sum()), "n_proteins": int(use.sum())}
        if use.any():
            q = np.quantile(cv, [0.05, 0.25, 0.5, 0.75, 0.95])
            row.update(dict(zip(["cv_q05", "cv_q25", "median_cv", "cv_q75", "cv_q95"], q.tolist())))
        else:
            row.update({"cv_q05": np.nan, "cv_q25": np.nan, "median_cv": np.nan, "cv_q75": np.nan, "cv_q95": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def _protein_cvs(linear: Any, rows: np.ndarray, least: int, columns: np.ndarray | None,
                 block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """CVs (sd/mean, ddof=1) of the proteins (``columns``, all when None) quantified in at least ``least`` of the
    samples ``rows``, and which proteins those are; ``block`` proteins at a time (each protein's numbers alone
    decide its CV, so the values are those of the whole-matrix computation, without its copies of the matrix)."""
    cvs, used = [], []
    index = np.arange(linear.shape[1]) if columns is None else columns
    for start in range(0, index.size, block):
        key = slice(start, start + block) if columns is None else index[start:start + block]
        part = linear[:, key][rows]
        values = np.where(part > 0, part, np.nan)
        use = np.isfinite(values).sum(axis=0) >= least
        with np.errstate(all="ignore"):
            cvs.append(np.nanstd(values[:, use], axis=0, ddof=1) / np.nanmean(values[:, use], axis=0))
        used.append(use)
        del part, values  # freed before the next block is made
    return np.concatenate(cvs) if cvs else np.zeros(0), np.concatenate(used) if used else np.zeros(0, dtype=bool)
