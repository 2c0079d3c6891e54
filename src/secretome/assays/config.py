"""The assay rules (``config/assays.toml``) and curated tables (``assays/data/*.tsv``), loaded once."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from secretome.config import config

CONFIG_FILE = "assays.toml"


def assay_config() -> dict[str, Any]:
    """``secretome/config/assays.toml``: thresholds for quantifiable ranges, bead counts, CVs, each with its source."""
    return config("assays")


def rule(section: str, key: str) -> float:
    """One numeric threshold from ``assays.toml``."""
    return float(assay_config()[section][key])


def cite(section: str, key: str) -> str:
    """Where a threshold comes from, e.g. ``assays.toml: bead_count.min``."""
    return f"{CONFIG_FILE}: {section}.{key}"


def _data(name: str) -> pd.DataFrame:
    text = (resources.files("secretome.assays") / "data" / name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows = [line.split("\t") for line in lines]
    header = rows[0]
    return pd.DataFrame([row + [""] * (len(header) - len(row)) for row in rows[1:]], columns=header)


def _key(name: str) -> str:
    text = str(name).casefold()
    for long, short in (("alpha", "a"), ("beta", "b"), ("gamma", "g"), ("α", "a"), ("β", "b"), ("γ", "g")):
        text = text.replace(long, short)
    return re.sub(r"[\s\-_./]", "", text)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """Normalised analyte name -> HGNC gene symbol, from ``assays/data/analyte_synonyms.tsv``."""
    table = _data("analyte_synonyms.tsv")
    return {_key(analyte): gene for analyte, gene in zip(table["analyte"], table["gene"])}


def analyte_gene(name: str) -> str:
    """The gene symbol of an analyte name (IL-1RA -> IL1RN, IL-8 -> CXCL8); '' when the table does not know it."""
    return synonyms().get(_key(name), "")


@lru_cache(maxsize=1)
def balance_ratios() -> pd.DataFrame:
    """Cytokine balance ratios with their rule and source, from ``assays/data/cytokine_ratios.tsv``."""
    return _data("cytokine_ratios.tsv")
