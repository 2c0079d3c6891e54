"""The purity registry: one entry per purity index (rule, flag, colour, method text), in precedence order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData


@dataclass(frozen=True)
class PurityCategory:
    """One purity index: a category of the exclusive protein partition and what the report says of it.

    ``name`` gives the obs column ``<name>_share``; ``flagged`` indices get pass/warn/fail verdicts from
    ``[<name>_share]`` of ``qc_thresholds.toml`` (or from ``limits`` when that file has no such table:
    ``direction``, ``warn``, ``fail``, ``source``). The built-in categories' rules are in
    :func:`purity_categories`; a new category brings its ``rule``: a function of the dataset returning a
    boolean mask over ``adata.var`` (the proteins it claims) and the reason recorded for them, applied just
    before the first rule of the category named ``before`` (default: before ``unknown``, i.e. after every
    built-in rule).
    """

    name: str
    colour: str
    method: str
    flagged: bool = False
    limits: Mapping[str, Any] | None = None
    rule: Callable[[AnnData], tuple[np.ndarray, str]] | None = None
    before: str = "unknown"

    @property
    def share(self) -> str:
        return f"{self.name}_share"


PURITY_REGISTRY: list[PurityCategory] = [
    PurityCategory(
        name='serum', colour='#d62728', flagged=True,
        method="KB serum markers, contaminant_serum proteins and other bovine (settings.serum_species) proteins that are not handling contaminants such as keratin or trypsin: FBS/culture-serum carry-over (bovine milk proteins count here too: the contaminant library gives FBS-containing medium as their source); with human serum or platelet lysate named in the sample sheet's supplement column, the immunoglobulins and platelet factors it brings. A human/bovine mixed group counts here when the engine's leading (razor) protein is the bovine member (shown alone as serum_mixed_share); without such evidence it is reported as serum_ambiguous_share and not counted.",
    ),
    PurityCategory(
        name='handling', colour='#ff7f0e', flagged=True,
        method='Handling contaminants (keratins, trypsin, other laboratory contaminants) from the KB.',
    ),
    PurityCategory(
        name='lysis', colour='#8c564b', flagged=True,
        method="Intracellular proteins (including leaderless cytosolic proteins with a database 'Secreted' flag, e.g. PPIA, TXN, GPI) and named lysis markers (LDH, histones, ribosomal and mitochondrial proteins): leakage from dying or broken cells.",
    ),
    PurityCategory(
        name='ev', colour='#9467bd', flagged=True,
        method='Proteins the KB classes as EV cargo (vesicle content).',
    ),
    PurityCategory(
        name='secreted', colour='#2ca02c', flagged=True,
        method='Classically secreted proteins (signal peptide or UniProt secreted, no transmembrane segment) and curated unconventionally secreted ones (FGF2, IL-1 family, HMGB1, galectins) left after the rules above: the genuinely secreted share. Leaderless cytosolic proteins count as lysis.',
    ),
    PurityCategory(
        name='membrane', colour='#17becf', flagged=False,
        method='Membrane proteins (shed or vesicle-bound); context, not flagged.',
    ),
    PurityCategory(
        name='unknown', colour='#c7c7c7', flagged=False,
        method='Proteins without localisation evidence; context, not flagged.',
    ),
]
"""The purity indices, in precedence order (a protein counts in the first category whose rule matches).
A new index is one entry here (or one :func:`register_purity_category` call): shares, flags, verdicts,
summary, tables, report and figures follow from it."""


def registry_of(adata: AnnData) -> pd.DataFrame:
    """The purity categories a QC'd dataset was partitioned with (``uns['qc']['purity_registry']``: name,
    colour, flagged, method, in precedence order), so tables and reports follow the dataset, not the
    registry of the running process."""
    return adata.uns["qc"]["purity_registry"]


def purity_category_names() -> tuple[str, ...]:
    """The partition's categories in precedence order."""
    return tuple(category.name for category in PURITY_REGISTRY)


def flagged_indices() -> tuple[str, ...]:
    """The purity indices (``<name>_share``) that get a pass/warn/fail verdict."""
    return tuple(category.share for category in PURITY_REGISTRY if category.flagged)


def purity_colours() -> dict[str, str]:
    """The colour of each purity category in figures."""
    return {category.name: category.colour for category in PURITY_REGISTRY}


def purity_method_texts() -> dict[str, str]:
    """The method text of every purity category, in precedence order."""
    return {category.name: category.method for category in PURITY_REGISTRY}


def register_purity_category(category: PurityCategory) -> None:
    """Add a purity index (see :class:`PurityCategory`) before ``category.before`` in precedence order."""
    if category.name in purity_category_names() or category.name == "decoy":
        raise ValueError(f"a purity category {category.name!r} exists already")
    if category.rule is None:
        raise ValueError(f"purity category {category.name!r} has no rule")
    names = purity_category_names()
    if category.before not in names:
        raise ValueError(f"purity category {category.name!r}: before={category.before!r} is not a category ({', '.join(names)})")
    PURITY_REGISTRY.insert(names.index(category.before), category)


def unregister_purity_category(name: str) -> None:
    """Remove a purity index added by :func:`register_purity_category` (built-in ones cannot be removed)."""
    for index, category in enumerate(PURITY_REGISTRY):
        if category.name == name and category.rule is not None:
            del PURITY_REGISTRY[index]
            return
    raise ValueError(f"no registered purity category {name!r} to remove")
