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


def _cvs(part: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Per column: ``nanstd(v, axis=0, ddof=1) / nanmean(v, axis=0)`` of ``v = where(present, part, nan)``, bit for
    bit (numpy's own steps on a matrix of the same layout), with one zero-filled copy instead of numpy's four and
    the mean made once for both."""
    with np.errstate(all="ignore"):
        values = np.where(present, part, 0.0)  # numpy's NaN-replaced copy, in the same layout
        count = present.sum(axis=0, dtype=np.intp)
        mean = values.sum(axis=0)
        mean /= count
        np.subtract(values, mean, out=values)
        np.copyto(values, 0.0, where=~present)
        np.multiply(values, values, out=values)
        var = values.sum(axis=0)
        var /= count - 1
        var[count - 1 <= 0] = np.nan
        return np.sqrt(var, out=var) / mean


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
        present = part > 0  # quantified (the linear view holds 0 for every missing value)
        use = present.sum(axis=0) >= least
        cvs.append(_cvs(part[:, use], present[:, use]))
        used.append(use)
        del part, present  # freed before the next block is made
    return np.concatenate(cvs) if cvs else np.zeros(0), np.concatenate(used) if used else np.zeros(0, dtype=bool)
