"""The key-factor panel: named factors shown in every report and compared across lots by default."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

SEED_CLASSES = ("lubricating", "anti_inflammatory", "growth_factor", "antimicrobial")


@lru_cache(maxsize=1)
def key_factor_panel() -> pd.DataFrame:
    """Return the panel as a frame with columns ``gene, seed_class, why`` (a copy-safe cached read)."""
    path = resources.files("secretome.kb") / "data" / "curated" / "key_factor_panel.tsv"
    with resources.as_file(path) as file:
        panel = pd.read_csv(file, sep="\t", comment="#", dtype=str)
    return panel


def key_factor_genes() -> list[str]:
    """Gene symbols of the panel, in display order."""
    return key_factor_panel()["gene"].tolist()
