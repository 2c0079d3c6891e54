"""The clinical rule files (``clinical/data/*.toml``): measures, diagnosis criteria, privacy rules."""

from __future__ import annotations

from typing import Any

from secretome.config import package_data

CRITERIA_FILES = {"dews2017": "dews_2017.toml", "dews2025": "dews_2025.toml"}
"""Diagnosis criteria by version id: TFOS DEWS II (2017) and TFOS DEWS III (2025)."""


def load_rules(name: str) -> dict[str, Any]:
    """One shipped rule file of ``secretome/clinical/data`` (parsed TOML; cached, do not mutate)."""
    return package_data("secretome.clinical", name)


def measures() -> dict[str, dict[str, Any]]:
    """The clinical measures by id (``measures.toml``)."""
    return load_rules("measures.toml")["measures"]


def criteria(version: str) -> dict[str, Any]:
    """The diagnosis criteria of ``version`` ('dews2017' or 'dews2025')."""
    if version not in CRITERIA_FILES:
        from secretome.errors import SecretomeInputError

        raise SecretomeInputError(f"unknown diagnosis criteria {version!r}", expected=", ".join(CRITERIA_FILES))
    return load_rules(CRITERIA_FILES[version])


def privacy_rules() -> dict[str, Any]:
    """Identifier patterns, suppression and date-shift settings (``privacy.toml``)."""
    return load_rules("privacy.toml")
