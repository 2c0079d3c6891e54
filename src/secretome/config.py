"""The one loader of the package's defaults files, ``secretome/config/<name>.toml``.

Thresholds, margins and method defaults are data with their reasoning beside them, not literals in
code; every module reads them through :func:`config` (cached: the files are read once per process).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

CONFIG_FILES = ("comparability", "enrichment", "preprocessing", "qc_thresholds", "readers", "statistics")
"""The shipped defaults files (without ``.toml``)."""


@lru_cache(maxsize=None)
def config(name: str) -> dict[str, Any]:
    """The parsed defaults file ``secretome/config/<name>.toml`` (treat as read-only: it is shared)."""
    if name not in CONFIG_FILES:
        raise KeyError(f"no defaults file {name!r}; expected one of {', '.join(CONFIG_FILES)}")
    return tomllib.loads(config_text(name))


def config_text(name: str) -> str:
    """The text of ``secretome/config/<name>.toml``."""
    return (resources.files("secretome") / "config" / f"{name}.toml").read_text(encoding="utf-8")


def significance_level() -> float:
    """Adjusted p-value below which a protein or gene set counts as changed (``statistics.toml: alpha``)."""
    return float(config("statistics")["alpha"])
