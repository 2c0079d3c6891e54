"""Statistics: preprocessing, limma-exact moderated models, classic tests, lot comparability, enrichment.

``moderated_test`` is imported on first use (PEP 562), so importing one submodule, e.g.
``secretome.stats.preprocess``, does not load the limma port and ``scipy.stats`` with it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["moderated_test"]


def __getattr__(name: str) -> Any:
    if name == "moderated_test":
        from secretome.stats.limma import moderated_test

        return moderated_test
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
