"""A new purity index is one registry entry: partition, shares, flags, verdicts, tables, summary and report follow."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import profiled
from test_qc import five_protein_dataset

from secretome import qc
from secretome.jobs.profile import write_profile

HEMOGLOBIN = {"HBA1", "HBA2", "HBB", "HBD"}


def _hemolysis(adata):
    genes = adata.var["gene"].astype(str).str.upper().to_numpy()
    return np.isin(genes, sorted(HEMOGLOBIN)), "gene is a haemoglobin chain (red-cell lysis)"


@pytest.fixture()
def hemolysis():
    qc.register_purity_category(qc.PurityCategory(
        name="hemolysis", colour="#b30059", flagged=True, before="lysis", rule=_hemolysis,
        method="Haemoglobin chains: red blood cells lysed into the preparation.",
        limits={"direction": "above", "warn": 0.01, "fail": 0.05, "source": "test limits"},
    ))
    yield
    qc.unregister_purity_category("hemolysis")


def _with_hemoglobin():
    adata = five_protein_dataset()
    adata.var.loc["P00338", "gene"] = "HBB"  # the LDHA row becomes a haemoglobin chain (3 % / 10 % of the totals)
    return adata


def test_one_registry_entry_adds_an_index_everywhere(tmp_path, hemolysis):
    adata, summary = profiled(_with_hemoglobin())
    assert adata.var.loc["P00338", "purity_category"] == "hemolysis"  # claimed before the lysis rules
    obs = adata.obs
    assert obs.loc["s1", "hemolysis_share"] == pytest.approx(0.03) and obs.loc["s2", "hemolysis_share"] == pytest.approx(0.10)
    partition = [f"{name}_share" for name in qc.purity_category_names()]
    assert np.allclose(obs[partition].sum(axis=1), 1.0)
    assert list(obs["hemolysis_share_flag"]) == ["warn", "fail"]
    assert "fail: hemolysis_share 0.1 > 0.05 (purity registry entry 'hemolysis': hemolysis_share.fail)" in obs.loc["s2", "qc_verdicts"]
    assert "hemolysis" in summary["purity"]["categories"] and "hemolysis_share" in summary["purity"]["flagged"]
    assert summary["purity"]["drivers"]["hemolysis"][0]["gene"] == "HBB"
    assert summary["samples"][1]["hemolysis_share_flag"] == "fail"
    out = tmp_path / "run"
    write_profile(adata, out)
    assert "hemolysis_share_flag" in (out / "samples.tsv").read_text().splitlines()[0].split("\t")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Haemoglobin chains" in html and "<th>hemolysis</th>" in html
    written = json.loads((out / "profile.json").read_text())
    assert written["purity"]["colours"]["hemolysis"] == "#b30059"


def test_the_dataset_keeps_the_registry_it_was_partitioned_with(hemolysis):
    adata, _ = profiled(_with_hemoglobin())
    qc.unregister_purity_category("hemolysis")
    try:
        from secretome.summary import build_summary

        assert "hemolysis" in build_summary(adata)["purity"]["categories"]  # the summary follows the dataset
    finally:
        qc.register_purity_category(qc.PurityCategory(name="hemolysis", colour="#b30059", method="", rule=_hemolysis))


def test_without_the_entry_the_partition_is_unchanged():
    adata, summary = profiled(_with_hemoglobin())
    assert "hemolysis" not in summary["purity"]["categories"]
    assert adata.var.loc["P00338", "purity_category"] == "lysis"


def test_registry_entries_are_checked():
    with pytest.raises(ValueError, match="exists already"):
        qc.register_purity_category(qc.PurityCategory(name="serum", colour="#000", method="", rule=_hemolysis))
    with pytest.raises(ValueError, match="is not a category"):
        qc.register_purity_category(qc.PurityCategory(name="x", colour="#000", method="", rule=_hemolysis, before="nope"))


def test_a_flagged_entry_brings_limits_with_their_source():
    """Limits are data with a source: a flagged index whose limits lack one is refused when thresholds load."""
    qc.register_purity_category(qc.PurityCategory(
        name="hemolysis", colour="#b30059", flagged=True, rule=_hemolysis, method="",
        limits={"direction": "above", "warn": 0.01, "fail": 0.05}))
    try:
        with pytest.raises(ValueError, match="lack source"):
            qc.load_thresholds()
    finally:
        qc.unregister_purity_category("hemolysis")
