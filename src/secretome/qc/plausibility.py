"""Plausibility: detected proteins a preparation cannot make (tear proteins in a stromal-cell medium), which
report contamination by the preparation's handling rather than by the cells (markers: the knowledge base's
``preparations/plausibility_markers.tsv``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from anndata import AnnData

from secretome.kb.preparation import plausibility_markers, preparation_label
from secretome.qc.matrices import as_text, detected_counts, linear_quantities, mean_sample_share, row_blocks


def plausibility_warnings(adata: AnnData, preparation: str | None, shares: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Detected proteins that the preparation cannot plausibly contain (``plausibility_markers.tsv``): one record
    per protein with ``gene, group, protein, n_detected, mean_share, warning``. ``shares`` are the proteins' mean
    shares of sample totals (computed from ``.X`` when omitted)."""
    if preparation is None:
        return []
    markers = plausibility_markers(preparation)
    if markers.empty:
        return []
    linear = linear_quantities(adata)
    detected = detected_counts(linear)
    if shares is None:  # each sample's whole sum, a block of samples at a time (bit for bit the whole-matrix sums)
        total = np.concatenate([linear[rows].sum(axis=1) for rows in row_blocks(linear)]) if adata.n_obs else np.zeros(0)
        shares = np.nan_to_num(mean_sample_share(linear, total))
    genes = np.char.upper(as_text(adata.var["gene"]))
    label = preparation_label(preparation)
    out = []
    for group, gene, reason in markers[["group", "gene", "reason"]].itertuples(index=False):
        for i in np.flatnonzero((genes == gene.upper()) & (detected > 0)):
            out.append({
                "gene": gene, "group": group, "protein": str(adata.var_names[i]), "n_detected": int(detected[i]),
                "mean_share": float(shares[i]),
                "warning": f"{gene} ({group} protein) detected in {int(detected[i])} of {adata.n_obs} samples of a "
                           f"{label}: {reason}",
            })
    return sorted(out, key=lambda item: -item["mean_share"])
