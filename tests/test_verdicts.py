"""Verdicts judge what they claim: missingness against the sample's peers, purity only where a table can show it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import profiled
from test_qc import make_annotated

from secretome.qc import identification_stats, qc


def _two_cell_types():
    """Cell type A quantifies proteins 0-59, type B proteins 40-99 (a pooled multi-cell-type table)."""
    rng = np.random.default_rng(4)
    x = np.full((8, 100), np.nan)
    x[:4, :60] = np.exp2(rng.normal(22, 1, (4, 60)))
    x[4:, 40:] = np.exp2(rng.normal(22, 1, (4, 60)))
    x[0, :6] = np.nan  # sample 0 misses 6 of its 60 peers' proteins
    classes = ["secreted"] * 80 + ["intracellular"] * 15 + ["contaminant_serum"] * 5
    proteins = [{"secretion_class": c, "gene": f"G{i}"} for i, c in enumerate(classes)]
    return make_annotated(x, proteins, obs={"cell_type": ["A"] * 4 + ["B"] * 4})


def test_missingness_is_judged_against_the_samples_peers():
    adata = _two_cell_types()
    pooled = identification_stats(adata)
    by_peers = identification_stats(adata, adata.obs["cell_type"])
    assert pooled["missing_share"].iloc[1] == pytest.approx(0.4)  # the table's width, not the sample
    assert by_peers["missing_share"].iloc[1] == pytest.approx(0.0)
    assert by_peers["missing_share"].iloc[0] == pytest.approx(6 / 60)
    judged = qc(adata, group="cell_type")
    assert (judged.obs["missing_share_flag"] == "pass").all()
    assert "peers" in judged.uns["qc"]["thresholds"]["values"]["missing_share"]["source"]


def test_a_targeted_panel_gets_purity_not_assessable_instead_of_pass():
    rng = np.random.default_rng(1)
    genes = ["IL6", "IL8", "VEGFA", "HGF", "EGF"]
    x = np.exp2(rng.normal(12, 1, (6, 5)))
    proteins = [{"secretion_class": "secreted", "gene": gene, "functional_classes": "growth_factor"} for gene in genes]
    adata, summary = profiled(make_annotated(x, proteins, obs={"lot": ["L1"] * 3 + ["L2"] * 3}), group="lot")
    assert summary["purity"]["mean_shares"]["secreted_share"] == pytest.approx(1.0)  # 100 % secreted, yet ...
    assert [card["purity_status"] for card in summary["overview"]] == ["not_assessable", "not_assessable"]
    assert "targeted panel" in summary["overview"][0]["purity_set_by"]
    assert all("not_assessable: purity shares are not judged" in row["verdicts"][-3] for row in summary["samples"])
    from secretome.report import render_report

    assert 'class="verdict-not_assessable"' in render_report(summary)


def test_a_proteome_with_contaminants_is_assessable():
    adata, summary = profiled(_two_cell_types(), group="cell_type")
    assert adata.uns["qc"]["purity_assessable"] is True
    assert {card["purity_status"] for card in summary["overview"]} <= {"pass", "warn", "fail"}
