"""The one loader of the package's TOML data: the defaults files ``secretome/config/<name>.toml``, the rule files
a package ships in its ``data/`` folder (clinical measures, registry trend rules) and a user's own TOML file.

Thresholds, margins and method defaults are data with their reasoning beside them, not literals in
code; every module reads them through this module (cached: the shipped files are read once per process),
so no other module parses TOML itself (``tests/test_architecture.py`` checks it).
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError

CONFIG_FILES = ("assays", "comparability", "enrichment", "limits", "preprocessing", "qc_thresholds", "readers",
                "statistics")
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


@lru_cache(maxsize=None)
def package_data(package: str, name: str) -> dict[str, Any]:
    """A TOML rule file shipped in ``package``'s ``data/`` folder (e.g. ``("secretome.clinical", "measures.toml")``),
    parsed once (treat as read-only: it is shared)."""
    return tomllib.loads((resources.files(package) / "data" / name).read_text(encoding="utf-8"))


def read_toml_file(path: str | Path, *, expected: str = "a UTF-8 TOML file") -> dict[str, Any]:
    """A user's TOML file (e.g. threshold overrides); a missing, unreadable or invalid file is an input error
    naming it."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretomeInputError("config file not found", file=path, expected=expected) from None
    except tomllib.TOMLDecodeError as error:
        raise SecretomeInputError(f"not valid TOML: {error}", file=path, expected=expected) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise SecretomeInputError(f"cannot read the config file ({reason})", file=path, expected=expected) from None


def toml_value(text: str) -> Any:
    """A ``key=value`` setting's value in TOML spelling (numbers, booleans, arrays); anything else stays text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def significance_level() -> float:
    """Adjusted p-value below which a protein or gene set counts as changed (``statistics.toml: alpha``)."""
    return float(config("statistics")["alpha"])
