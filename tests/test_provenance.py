import anndata as ad
import numpy as np

from secretome.provenance import provenance_steps, record_step


def test_steps_append_in_order_and_survive_h5ad_style_storage():
    adata = ad.AnnData(np.zeros((2, 3)))
    record_step(adata, "read", "secretome.read", {"path": "x.tsv", "samples": None})
    record_step(adata, "annotate", "secretome.annotate", {"levels": (1, 2)})
    assert [step["step"] for step in provenance_steps(adata)] == ["read", "annotate"]
    assert provenance_steps(adata)[0]["params"]["samples"] == "None"
    # h5ad stores a list of mappings as a dict keyed by position; appending must keep the order
    adata.uns["provenance"] = {f"{i:03d}": step for i, step in enumerate(provenance_steps(adata))}
    record_step(adata, "qc", "secretome.qc")
    assert [step["step"] for step in provenance_steps(adata)] == ["read", "annotate", "qc"]
