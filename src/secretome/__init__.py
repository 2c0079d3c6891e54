"""secretome: make therapeutic secretomes measurable.

Python API: each stage takes an AnnData of samples x proteins, stores its results in it (with its
parameters, in ``.uns``) and returns it::

    import secretome
    adata = secretome.read("proteinGroups.txt", samples="sheet.tsv")   # secretome.io.read
    adata = secretome.annotate_dataset(adata)                          # secretome.annotate.annotate
    adata = secretome.profile_dataset(adata, group="lot")              # secretome.profile.profile (runs QC)
    summary = secretome.build_summary(adata)                           # the report's only input

The stage modules keep their own names (:mod:`secretome.annotate`, :mod:`secretome.qc`,
:mod:`secretome.profile`, :mod:`secretome.summary`), so the functions above are exported under names that
do not shadow them. Whole commands (read -> stages -> one output directory) are the jobs of
:mod:`secretome.jobs`. Attributes load on first use: ``import secretome`` itself is cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "SecretomeInputError": ("secretome.errors", "SecretomeInputError"),
    "read": ("secretome.io", "read"),
    "read_samples": ("secretome.io", "read_samples"),
    "annotate_identifiers": ("secretome.annotate", "annotate_identifiers"),
    "annotate_dataset": ("secretome.annotate", "annotate"),
    "qc_dataset": ("secretome.qc", "qc"),
    "profile_dataset": ("secretome.profile", "profile"),
    "build_summary": ("secretome.summary", "build_summary"),
}
"""Public name -> (module, attribute), imported on first access (PEP 562)."""

__all__ = ["__version__", *_EXPORTS]


_SUBMODULES = ("annotate", "config", "datasets", "errors", "io", "jobs", "kb", "outputs", "profile", "provenance", "qc",
               "report", "stats", "summary", "tables")
"""Modules reachable as attributes (``secretome.qc.load_thresholds``) without importing them first."""


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        value = getattr(import_module(module), attribute)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return import_module(f"secretome.{name}")
    raise AttributeError(f"module 'secretome' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
