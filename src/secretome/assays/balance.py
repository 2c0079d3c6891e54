"""Cytokine balance ratios (IL-1RA/IL-1b, IL-10/TNF ...) for targeted panels, with their rule as data
(``assays/data/cytokine_ratios.tsv``). A ratio is computed only from quantified values (flag ``ok``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.assays.config import balance_ratios
from secretome.assays.quantify import FLAG_CODES


def cytokine_balance(adata: AnnData) -> pd.DataFrame:
    """One row per sample and ratio whose two genes are on the panel: numerator, denominator, ratio, log10
    ratio, whether both were quantified, the rule and its source."""
    genes = adata.var["gene"].astype(str).tolist() if "gene" in adata.var else []
    flags = adata.layers["flags"] if "flags" in adata.layers else np.zeros(adata.shape, dtype=int)
    rows = []
    for _, rule in balance_ratios().iterrows():
        if rule["numerator"] not in genes or rule["denominator"] not in genes:
            continue
        i, j = genes.index(rule["numerator"]), genes.index(rule["denominator"])
        for k, sample in enumerate(adata.obs_names):
            top, bottom = float(adata.X[k, i]), float(adata.X[k, j])
            quantified = flags[k, i] == FLAG_CODES["ok"] and flags[k, j] == FLAG_CODES["ok"]
            ratio = top / bottom if quantified and bottom > 0 else np.nan
            rows.append({
                "sample": sample, "ratio": rule["ratio"], "numerator": top, "denominator": bottom, "value": ratio,
                "log10": np.log10(ratio) if ratio > 0 else np.nan, "quantified": bool(quantified),
                "favourable": rule["favourable"], "rule": rule["rule"], "source": rule["source"],
            })
    return pd.DataFrame(rows, columns=["sample", "ratio", "numerator", "denominator", "value", "log10", "quantified", "favourable", "rule", "source"])
