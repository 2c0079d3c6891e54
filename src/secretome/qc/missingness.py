"""Identifications and missingness per sample, judged against the sample's peers (its group), not the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.qc.matrices import counted_proteins, detected_counts, detected_per_sample, linear_quantities


def identification_stats(adata: AnnData, groups: pd.Series | None = None) -> pd.DataFrame:
    """Per sample: number of quantified proteins and the share of its peers' proteins it misses.

    Peers are the samples of the same group (``groups``, e.g. the lot or cell type; all samples without
    it); a sample's ``missing_share`` is 1 - its proteins / the proteins quantified in at least one of its
    peers. Judged against the table's union instead, a pooled multi-cell-type table would fail every
    sample for the table's width, not for anything the sample lacks.
    """
    usable = np.flatnonzero(counted_proteins(adata))
    linear = linear_quantities(adata)
    n = detected_per_sample(linear, usable)
    labels = (groups.astype(str).to_numpy() if groups is not None else np.full(adata.n_obs, "all"))
    peers_total = np.zeros(adata.n_obs)
    for level in pd.unique(labels):
        rows = labels == level
        peers_total[rows] = (detected_counts(linear, rows, usable) > 0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        missing = np.where(peers_total > 0, 1.0 - n / np.where(peers_total > 0, peers_total, 1), np.nan)
    return pd.DataFrame({"n_proteins": n.astype(int), "missing_share": missing}, index=adata.obs_names)
