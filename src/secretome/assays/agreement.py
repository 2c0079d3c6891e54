"""Immunoassay vs proteomics for the same lots: per shared factor (gene), the Spearman rank correlation of
the assay concentration and the MS intensity across lots, with the MS detection limit noted."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.stats import spearmanr

from secretome.assays.config import cite, rule


def _lot_means(adata: AnnData, lot_column: str, genes: list[str]) -> pd.DataFrame:
    lots = adata.obs[lot_column].astype(str) if lot_column in adata.obs else pd.Series(adata.obs_names, index=adata.obs_names)
    gene_of = adata.var["gene"].astype(str) if "gene" in adata.var else pd.Series(adata.var_names, index=adata.var_names)
    columns = {}
    for gene in genes:
        index = np.flatnonzero(gene_of.to_numpy() == gene)
        if index.size == 0:
            continue
        values = np.asarray(adata.X[:, index[0]], dtype=float)
        columns[gene] = pd.Series(values, index=lots.to_numpy()).groupby(level=0).mean()
    return pd.DataFrame(columns)


def assay_proteome_agreement(assay: AnnData, proteome: AnnData, lot_column: str = "lot") -> pd.DataFrame:
    """One row per gene on both: lots compared, Spearman rho and p, lots where MS did not detect the factor
    (NaN intensity) and the lowest MS intensity detected in any sample (the MS detection limit seen)."""
    genes_assay = [g for g in assay.var.get("gene", pd.Series(dtype=str)).astype(str) if g]
    genes_ms = set(proteome.var["gene"].astype(str)) if "gene" in proteome.var else set()
    shared = [g for g in dict.fromkeys(genes_assay) if g in genes_ms]
    a = _lot_means(assay, lot_column, shared)
    m = _lot_means(proteome, lot_column, shared)
    minimum = rule("agreement", "min_lots")
    rows = []
    detected_min = float(np.nanmin(proteome.X)) if np.isfinite(proteome.X).any() else float("nan")
    for gene in shared:
        lots = [lot for lot in a.index if lot in m.index]
        x = a.loc[lots, gene].to_numpy(dtype=float)
        y = m.loc[lots, gene].to_numpy(dtype=float)
        both = np.isfinite(x) & np.isfinite(y)
        n = int(both.sum())
        rho, p = (spearmanr(x[both], y[both]) if n >= minimum else (np.nan, np.nan))
        rows.append({
            "gene": gene, "n_lots": n, "rho": float(rho), "p_value": float(p),
            "ms_not_detected_lots": ", ".join(lot for lot, v in zip(lots, y) if not np.isfinite(v)),
            "ms_detection_limit": detected_min,
            "note": "" if n >= minimum else f"fewer than {minimum:g} lots with both values ({cite('agreement', 'min_lots')})",
        })
    return pd.DataFrame(rows, columns=["gene", "n_lots", "rho", "p_value", "ms_not_detected_lots", "ms_detection_limit", "note"])
