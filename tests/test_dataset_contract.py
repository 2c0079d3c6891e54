"""docs/dataset-contract.md lists every key the engine writes into the dataset, and nothing it does not write."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

CONTRACT = Path(__file__).resolve().parents[1] / "docs" / "dataset-contract.md"


def documented() -> dict[str, set[str]]:
    """slot -> documented key patterns, from the contract's tables (``| slot | `a`, `b` | ...``)."""
    keys: dict[str, set[str]] = {}
    for line in CONTRACT.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("slot", "---") or not line.startswith("|"):
            continue
        keys.setdefault(cells[0], set()).update(re.findall(r"`([^`]+)`", cells[1]))
    return keys


def _covered(key: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


@pytest.fixture(scope="module")
def profiled_dataset(tmp_path_factory):
    from secretome.io import read_h5ad
    from secretome.jobs import profile_job

    out = tmp_path_factory.mktemp("contract") / "run"
    profile_job(None, out, demo=True, design="~ lot", contrast="lot_B-lot_A", reference=["lot_A"])
    return read_h5ad(out / "dataset.h5ad")


def test_every_key_the_engine_writes_is_documented(profiled_dataset):
    adata, keys = profiled_dataset, documented()
    sheet = {"lot", "condition", "replicate"}  # the demo sample sheet's own columns
    written = {
        "obs": set(adata.obs.columns) - sheet, "var": set(adata.var.columns), "obsm": set(adata.obsm.keys()),
        "uns": set(adata.uns.keys()), "layers": set(adata.layers.keys()),
        **{f"uns.{name}": set(adata.uns[name].keys()) for name in ("qc", "profile", "differential", "comparability")},
    }
    undocumented = {slot: sorted(k for k in found if not _covered(k, keys.get(slot, set()))) for slot, found in written.items()}
    assert not any(undocumented.values()), f"write these into docs/dataset-contract.md: {undocumented}"


def test_every_documented_stage_key_is_written(profiled_dataset):
    adata, keys = profiled_dataset, documented()
    for slot in ("obsm", "uns.qc", "uns.profile", "uns.differential", "uns.comparability"):
        found = set(adata.obsm.keys()) if slot == "obsm" else set(adata.uns[slot.split(".")[1]].keys())
        missing = sorted(pattern for pattern in keys[slot] if not any(fnmatch.fnmatchcase(k, pattern) for k in found))
        assert not missing, f"{slot}: documented but not written: {missing}"
    for column in ("qc_status", "qc_verdicts", "missing_share", "profile_group", "n_proteins"):
        assert column in adata.obs
    assert {"purity_category", "purity_rule", "secretion_class"} <= set(adata.var.columns)
