"""The statistics analyses several jobs share, so ``profile`` and ``compare``/``comparability`` write the
same tables under the same names from the same code.

* :func:`differential_analysis`: preprocessing + limma moderated test of one contrast + enrichment
  (``compare``, and ``profile`` with ``design``/``contrast``);
* :func:`lot_analysis`: log2, normalization, TOST per key factor, CV across lots, similarity control
  chart (``comparability``, and ``profile`` with ``reference`` lots).

Each returns the result tables and a JSON-able entry (stored in ``adata.uns`` and ``profile.json``);
:func:`differential_files` and :func:`lot_files` give the tables as files named by
:mod:`secretome.jobs.naming`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.config import config, significance_level
from secretome.errors import SecretomeInputError
from secretome.jobs import naming
from secretome.jobs.common import results_tsv
from secretome.summary import comparability_entry, differential_entry

@dataclass(frozen=True)
class ContrastOptions:
    """One contrast and its preprocessing, as :func:`secretome.stats.compare.compare` takes them."""

    design: str
    contrast: str
    normalize: str = "median"
    impute: str = "none"
    min_valid: int | float = 2
    trend: bool = False
    robust: bool = False
    seed: int | None = 0
    enrichment: bool | None = None
    """True: always test enrichment; False: never; None: only where it adds to the page (:func:`enrichment_decision`)."""

    def check(self) -> None:
        """Values that need no data: known methods, a non-negative ``min_valid``."""
        from secretome.stats.preprocess import IMPUTE_METHODS, NORMALIZE_METHODS

        if self.normalize not in NORMALIZE_METHODS:
            raise SecretomeInputError(f"unknown normalization {self.normalize!r}", expected=", ".join(NORMALIZE_METHODS),
                                      parameters=("normalize",))
        if self.impute not in IMPUTE_METHODS:
            raise SecretomeInputError(f"unknown imputation {self.impute!r}", expected=", ".join(IMPUTE_METHODS),
                                      parameters=("impute",))
        if not isinstance(self.min_valid, (int, float)) or self.min_valid < 0:
            raise SecretomeInputError(f"min_valid {self.min_valid} is negative", expected="a count >= 0 (0 = no filter)",
                                      parameters=("min_valid",))

    def validate(self, adata: AnnData) -> None:
        """Design columns and contrast levels against the sample sheet (cheap; no fitting)."""
        from secretome.stats.compare import parse_contrast

        parse_contrast(adata, self.design, self.contrast)

    def settings(self) -> dict[str, Any]:
        """The preprocessing and eBayes settings (``compare``'s keyword arguments but ``seed``)."""
        return {"normalize": self.normalize, "impute": self.impute, "min_valid": self.min_valid, "trend": self.trend,
                "robust": self.robust}


@dataclass(frozen=True)
class LotOptions:
    """A lot comparison: the lot column, the reference lots, the margin and the factors tested."""

    reference: Sequence[str]
    lot_column: str = "lot"
    margin: float | None = None
    factors: Sequence[str] | None = None
    normalize: str = "median"

    def check(self) -> None:
        """Values that need no data: a reference lot, a positive finite margin, factor names, a known method."""
        from secretome.stats.preprocess import NORMALIZE_METHODS

        if not self.reference:
            raise SecretomeInputError("no reference lot given", expected="one or more reference lots", parameters=("reference",))
        if self.margin is not None and not (self.margin > 0 and math.isfinite(self.margin)):
            raise SecretomeInputError(f"margin {self.margin} is not positive and finite",
                                      expected="an equivalence margin in log2 units > 0", parameters=("margin",))
        if self.factors is not None and not [factor for factor in self.factors if str(factor).strip()]:
            raise SecretomeInputError("factors names no gene", expected="gene symbols, e.g. EGF and HGF", parameters=("factors",))
        if self.normalize not in NORMALIZE_METHODS:
            raise SecretomeInputError(f"unknown normalization {self.normalize!r}", expected=", ".join(NORMALIZE_METHODS),
                                      parameters=("normalize",))

    def validate(self, adata: AnnData) -> None:
        """The lot column and reference lots against the sample sheet."""
        from secretome.stats.comparability import check_lots

        check_lots(adata.obs, self.lot_column, list(self.reference))

    def factor_genes(self) -> list[str]:
        """The genes tested for equivalence: ``factors`` as given, else the key-factor panel."""
        if self.factors is None:
            from secretome.kb.panel import key_factor_genes

            return list(key_factor_genes())
        return [str(factor).strip() for factor in self.factors if str(factor).strip()]

    def effective_margin(self) -> float:
        return float(self.margin if self.margin is not None else config("comparability")["tost"]["margin_log2"])


@dataclass
class Differential:
    """One contrast's results: the preprocessed copy, the moderated-test and enrichment tables, the entry."""

    work: AnnData
    table: pd.DataFrame
    enrichment: pd.DataFrame
    entry: dict[str, Any] = field(default_factory=dict)


def differential_analysis(adata: AnnData, options: ContrastOptions) -> Differential:
    """Preprocess, fit the contrast (limma moderated t, BH-adjusted) and test enrichment of the result.

    The tables, counts at adj. p < alpha (``statistics.toml``), settings and recorded preprocessing steps
    are stored in ``adata.uns['differential']``; the entry is their summary
    (:func:`secretome.summary.differential_entry`).
    """
    from secretome.annotate import COMPOSITION_FLAGS, with_composition
    from secretome.stats.compare import compare

    alpha = significance_level()
    work, fitted = compare(adata, options.design, options.contrast, seed=options.seed, **options.settings())
    table = with_composition(fitted, work.var)  # serum, lysis and handling markers among the hits
    run_enrichment, skipped_because = enrichment_decision(fitted, options.enrichment, alpha)
    if run_enrichment:
        from secretome.stats.enrichment import enrich_contrast

        _, enrichment = enrich_contrast(fitted, alpha=alpha)
    else:  # spares loading the knowledge base's gene sets
        from secretome.stats.enrichment import ENRICHMENT_COLUMNS

        enrichment = pd.DataFrame(columns=ENRICHMENT_COLUMNS)
    significant = table["adj_p_value"] < alpha
    adata.uns["differential"] = {
        "design": options.design,
        "contrast": options.contrast,
        "file": naming.differential_file(options.contrast),
        "enrichment_file": naming.enrichment_file(options.contrast),
        "n_tested": int(np.isfinite(table["p_value"]).sum()),
        "n_up": int((significant & (table["log2fc"] > 0)).sum()),
        "n_down": int((significant & (table["log2fc"] < 0)).sum()),
        "alpha": alpha,
        "settings": options.settings(),
        "seed": "None" if options.seed is None else options.seed,
        "preprocessing": list(work.uns.get("preprocessing", [])),
        "method": "secretome.stats.compare.compare (limma moderated t, BH-adjusted)",
        "table": table,
        "enrichment": enrichment,
        "enrichment_note": str(enrichment.attrs.get("note", "")) if run_enrichment else skipped_because,
        "enrichment_done": run_enrichment,
        "enrichment_sets_tested": dict(enrichment.attrs.get("n_sets_tested", {})) if run_enrichment else {},
        "composition_of_hits": {name: int((significant & table["composition"].str.contains(name, regex=False)).sum())
                                for name in COMPOSITION_FLAGS},
    }
    entry = differential_entry(adata.uns["differential"])
    return Differential(work=work, table=table, enrichment=enrichment, entry=entry)


def enrichment_decision(table: pd.DataFrame, requested: bool | None, alpha: float) -> tuple[bool, str]:
    """Whether to test enrichment of a contrast's result ``table`` and, when not, why (for the page and the shell).

    ``requested`` True or False decides; None applies the rule of ``enrichment.toml [auto]``: enrichment adds to
    the page only when the contrast has at least ``min_hits`` proteins at adj. p < ``alpha`` and the tested
    proteins name at least ``min_genes`` distinct gene symbols (the background of every test)."""
    if requested is not None:
        return bool(requested), "" if requested else "Enrichment not tested (switched off)."
    rule = config("enrichment")["auto"]
    n_hits = int((table["adj_p_value"] < alpha).sum())
    genes = table["gene"].fillna("").astype(str).str.strip().str.upper()
    n_genes = int(genes[(genes != "") & (genes != "NAN")].nunique())
    if n_hits < int(rule["min_hits"]):
        return False, (f"Enrichment not tested: {n_hits} proteins at adj. p < {alpha:g} (by default it runs from "
                       f"{rule['min_hits']}).")
    if n_genes < int(rule["min_genes"]):
        return False, (f"Enrichment not tested: the tested proteins name {n_genes} distinct gene symbols (by default it "
                       f"runs from {rule['min_genes']}).")
    return True, ""


def differential_files(result: Differential) -> dict[str, str]:
    """``differential_<contrast>.tsv`` (with each protein's ``composition`` markers) and, unless enrichment
    was switched off, ``enrichment_<contrast>.tsv`` (full precision)."""
    contrast = result.entry["contrast"]
    files = {naming.differential_file(contrast): results_tsv(result.table)}
    if result.entry["enrichment"] is not None:
        files[naming.enrichment_file(contrast)] = results_tsv(result.enrichment)
    return files


@dataclass
class Lots:
    """A lot comparison's results (:class:`secretome.stats.comparability.ComparabilityResult`), its values and entry."""

    work: AnnData
    result: Any
    entry: dict[str, Any] = field(default_factory=dict)


def lot_analysis(adata: AnnData, options: LotOptions) -> Lots:
    """Lot comparability on log2 quantities normalized with ``options.normalize``, no filter, no imputation
    (the equivalence tests compare observed values; a factor without two values per side is
    ``insufficient_data``). The entry, with the verdicts per lot and per factor, is stored in
    ``adata.uns['comparability']``."""
    from secretome.stats import preprocess as pp
    from secretome.stats.comparability import comparability

    work = pp.filter_valid(adata, min_valid=0)
    pp.log2_transform(work)
    pp.normalize(work, options.normalize)  # type: ignore[arg-type]
    result = comparability(work, lot_column=options.lot_column, reference=list(options.reference),
                           factors=options.factor_genes(), margin=options.margin)
    note = (f"Values: log2 quantities, {options.normalize} normalization, no imputation (the equivalence tests "
            "compare observed values). Factors: "
            + ("the key-factor panel" if options.factors is None else ", ".join(options.factor_genes())) + ".")
    adata.uns["comparability"] = {
        **result.summary,
        "normalize": options.normalize,
        "note": note,
        "files": list(naming.COMPARABILITY_FILES),
        "lots": result.lots,
        "factors": result.factors,
        "cv": result.cv,
        "preprocessing": list(work.uns.get("preprocessing", [])),
    }
    return Lots(work=work, result=result, entry=comparability_entry(adata.uns["comparability"]))


def lot_files(lots: Lots) -> dict[str, str]:
    """``comparability_factors.tsv``, ``comparability_cv.tsv`` and ``comparability_lots.tsv`` (full precision)."""
    return {naming.COMPARABILITY_FACTORS: results_tsv(lots.result.factors),
            naming.COMPARABILITY_CV: results_tsv(lots.result.cv),
            naming.COMPARABILITY_LOTS: results_tsv(lots.result.lots)}
