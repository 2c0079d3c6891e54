"""Preparation types: key-factor panel per type (or the user's own) and plausibility warnings (issue 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from secretome import SecretomeInputError
from secretome.kb.preparation import (
    preparation_of, preparation_panel, preparation_types, resolve_preparation,
)
from secretome.qc.plausibility import plausibility_warnings
from conftest import profiled


def _adata(genes: list[str], obs: dict | None = None) -> AnnData:
    values = np.tile(np.arange(1.0, len(genes) + 1) * 100, (3, 1))
    var = pd.DataFrame({"protein_group": genes, "gene": genes}, index=genes)
    frame = pd.DataFrame(obs or {}, index=["s1", "s2", "s3"])
    adata = AnnData(values, obs=frame, var=var)
    adata.uns["source"] = {"format": "generic", "is_log2": False}
    return adata


def test_every_type_has_a_readable_panel() -> None:
    for kind in preparation_types()["type"]:
        panel, source = preparation_panel(kind)
        assert list(panel.columns) == ["gene", "seed_class", "why"] and len(panel) >= 5, kind
        assert panel["gene"].is_unique and (panel["why"].str.len() > 5).all(), source


def test_names_and_aliases_resolve_and_unknown_types_are_input_errors() -> None:
    assert resolve_preparation("MSC-EV") == "msc_ev"
    assert resolve_preparation("Tear fluid") == "tear_fluid"
    assert resolve_preparation("corneal epithelium") == "ocular_surface_epithelium"
    with pytest.raises(SecretomeInputError, match="unknown preparation type"):
        resolve_preparation("bone marrow aspirate")


def test_the_sheet_column_names_the_preparation_once() -> None:
    assert preparation_of(_adata(["EGF"], {"preparation": ["MSC CM"] * 3})) == "msc_conditioned_medium"
    assert preparation_of(_adata(["EGF"])) is None
    with pytest.raises(SecretomeInputError, match="several preparation types"):
        preparation_of(_adata(["EGF"], {"preparation": ["MSC CM", "tears", "tears"]}))


def test_a_user_panel_replaces_the_shipped_one(tmp_path) -> None:
    path = tmp_path / "panel.tsv"
    path.write_text("gene\tseed_class\twhy\nTIMP1\tprotease_inhibitor\tour release assay\n", encoding="utf-8")
    panel, source = preparation_panel("tear_fluid", path)
    assert panel["gene"].tolist() == ["TIMP1"] and source == str(path)
    bad = tmp_path / "bad.tsv"
    bad.write_text("symbol\twhy\nTIMP1\tx\n", encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="panel file"):
        preparation_panel(None, bad)


def test_tear_saliva_and_neutrophil_proteins_warn_in_a_stromal_medium() -> None:
    """LCN1 in an endothelial or MSC medium can only be a contaminant (issue 8: 95% of a medium's lubricating
    share was LCN1); in tear fluid it is the product."""
    adata = _adata(["LCN1", "HTN3", "ELANE", "TIMP1"])
    warned = {w["gene"]: w for w in plausibility_warnings(adata, "msc_conditioned_medium")}
    assert set(warned) == {"LCN1", "HTN3", "ELANE"}
    assert warned["LCN1"]["group"] == "tear" and "MSC conditioned medium" in warned["LCN1"]["warning"]
    assert "LCN1" not in {w["gene"] for w in plausibility_warnings(adata, "tear_fluid")}
    assert plausibility_warnings(adata, None) == []


def test_profile_reports_preparation_panel_warnings_and_class_contributors() -> None:
    genes = ["TIMP1", "LCN1", "TNFAIP6", "IL1RN", "EGF", "ALB"]
    adata = _adata(genes)
    adata, summary = profiled(adata, preparation="MSC conditioned medium")
    assert summary["preparation"]["type"] == "msc_conditioned_medium"
    assert summary["preparation"]["panel"].endswith("panel_msc_conditioned_medium.tsv")
    assert {w["gene"] for w in summary["preparation"]["warnings"]} == {"LCN1"}
    assert summary["key_factors"][0]["gene"] == "TNFAIP6"  # the MSC panel, not the general one
    lubricating = summary["functional"]["top_factors"]["lubricating"]
    assert lubricating[0]["gene"] == "LCN1" and lubricating[0]["share_of_class"] == pytest.approx(1.0)
    contributors = adata.uns["functional_contributors"]
    assert {"class", "gene", "share_of_class"} <= set(contributors.columns)
    for name, group in contributors.groupby("class"):
        assert group["share_of_class"].sum() <= 1 + 1e-9, name
