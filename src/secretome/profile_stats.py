"""The statistics parts of the profile report: a contrast and a lot comparison on the profiled dataset.

``secretome profile ... --design "~ condition + donor" --contrast "A-B"`` adds three report sections
(preprocessing, differential abundance, enrichment) and two tables; ``--lot-column lot --reference L1``
adds the lot-comparability section and its three tables. The functions here only compose library
stages (:mod:`secretome.stats.compare`, :mod:`secretome.stats.enrichment`,
:mod:`secretome.stats.comparability`) with the fragments of :mod:`secretome.report.stats_sections`,
and return what :func:`secretome.profile.run_profile` writes: report sections, files beside the
report, and a JSON-able entry for ``profile.json``.

:class:`StatsOptions` checks every option before any work (:meth:`StatsOptions.check` without data,
:meth:`StatsOptions.validate` against the sample sheet right after reading), so a misspelled column,
lot or level is one clear input error and no output directory is written.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.stats.preprocess import IMPUTE_METHODS, NORMALIZE_METHODS, config

Section = dict[str, Any]
"""A report section as :func:`secretome.report.render_report` takes it (``id``, ``title``, ``html``, ...)."""

ALPHA = 0.05
"""Adjusted p-value below which proteins count as changed (differential counts and enrichment hits)."""

TOP_ENRICHMENT_IN_JSON = 10
"""Significant enrichment rows kept in ``profile.json`` per test and direction (all are in the TSV)."""


@dataclass(frozen=True)
class StatsOptions:
    """The profile command's statistics options; ``None`` means the library default.

    Contrast: ``design``, ``contrast`` and the preprocessing of :func:`secretome.stats.compare.compare`
    (``normalize``, ``impute``, ``min_valid``, ``trend``, ``robust``). Lots: ``reference`` lots turn the
    comparison on; ``lot_column`` (default ``lot``), ``margin`` (log2 units, default from
    ``comparability.toml``) and ``factors`` (gene symbols, default the key-factor panel). ``normalize``
    applies to both.
    """

    design: str | None = None
    contrast: str | None = None
    normalize: str | None = None
    impute: str | None = None
    min_valid: int | float | None = None
    trend: bool = False
    robust: bool = False
    lot_column: str | None = None
    reference: Sequence[str] = ()
    margin: float | None = None
    factors: Sequence[str] | None = None

    @property
    def has_contrast(self) -> bool:
        return self.design is not None

    @property
    def has_lots(self) -> bool:
        return bool(self.reference)

    def check(self) -> None:
        """Option combinations and values, before any data is read."""
        if (self.design is None) != (self.contrast is None):
            raise SecretomeInputError(
                "--design and --contrast go together", expected='both, e.g. --design "~ lot" --contrast "lot_B-lot_A"'
            )
        contrast_only = {"--impute": self.impute is not None, "--min-valid": self.min_valid is not None,
                         "--trend": self.trend, "--robust": self.robust}
        given = [name for name, used in contrast_only.items() if used]
        if given and not self.has_contrast:
            raise SecretomeInputError(f"contrast options without a contrast: {', '.join(given)}",
                                      expected="--design and --contrast as well")
        lot_only = {"--lot-column": self.lot_column is not None, "--margin": self.margin is not None,
                    "--factor": self.factors is not None}
        given = [name for name, used in lot_only.items() if used]
        if given and not self.has_lots:
            raise SecretomeInputError(f"lot-comparability options without a reference lot: {', '.join(given)}",
                                      expected="one or more --reference lots")
        if self.normalize is not None and not (self.has_contrast or self.has_lots):
            raise SecretomeInputError("--normalize applies to a contrast or a lot comparison",
                                      expected="--design/--contrast or --reference as well")
        if self.normalize is not None and self.normalize not in NORMALIZE_METHODS:
            raise SecretomeInputError(f"unknown normalization {self.normalize!r}", expected=", ".join(NORMALIZE_METHODS))
        if self.impute is not None and self.impute not in IMPUTE_METHODS:
            raise SecretomeInputError(f"unknown imputation {self.impute!r}", expected=", ".join(IMPUTE_METHODS))
        if self.min_valid is not None and self.min_valid < 0:
            raise SecretomeInputError(f"--min-valid {self.min_valid} is negative", expected="a count >= 0 (0 = no filter)")
        if self.margin is not None and not (self.margin > 0 and math.isfinite(self.margin)):
            raise SecretomeInputError(
                f"--margin {self.margin} is not positive and finite", expected="an equivalence margin in log2 units > 0"
            )
        if self.factors is not None and not [factor for factor in self.factors if str(factor).strip()]:
            raise SecretomeInputError("--factor names no gene", expected="gene symbols, e.g. --factor EGF --factor HGF")

    def validate(self, adata: AnnData) -> None:
        """Design columns, contrast levels and lots against the sample sheet (cheap; no fitting)."""
        if self.has_contrast:
            from secretome.stats.compare import parse_contrast

            parse_contrast(adata, str(self.design), str(self.contrast))
        if self.has_lots:
            from secretome.stats.comparability import check_lots

            check_lots(adata.obs, self.lot, list(self.reference))

    @property
    def lot(self) -> str:
        return self.lot_column or "lot"

    @property
    def normalization(self) -> str:
        return self.normalize or "median"

    def factor_genes(self) -> list[str]:
        """The genes tested for equivalence: ``factors`` as given, else the key-factor panel."""
        if self.factors is None:
            from secretome.kb.panel import key_factor_genes

            return list(key_factor_genes())
        return [str(factor).strip() for factor in self.factors if str(factor).strip()]

    def compare_settings(self) -> dict[str, Any]:
        """Keyword arguments of :func:`secretome.stats.compare.compare` (library defaults filled in)."""
        return {"normalize": self.normalization, "impute": self.impute or "none",
                "min_valid": 2 if self.min_valid is None else self.min_valid, "trend": self.trend, "robust": self.robust}

    def parameters(self) -> dict[str, Any]:
        """The effective options for ``profile.json``'s parameters (``None`` where a part is off)."""
        contrast = self.compare_settings() if self.has_contrast else dict.fromkeys(("impute", "min_valid", "trend", "robust"))
        margin = self.margin if self.margin is not None else float(config("comparability")["tost"]["margin_log2"])
        return {
            "design": self.design,
            "contrast": self.contrast,
            "normalize": self.normalization if (self.has_contrast or self.has_lots) else None,
            "impute": contrast["impute"],
            "min_valid": contrast["min_valid"],
            "trend": contrast["trend"],
            "robust": contrast["robust"],
            "lot_column": self.lot if self.has_lots else None,
            "reference": list(self.reference),
            "margin": margin if self.has_lots else None,
            "factors": self.factor_genes() if self.has_lots else None,
        }


def differential(adata: AnnData, options: StatsOptions) -> tuple[list[Section], dict[str, str], dict[str, Any]]:
    """One contrast for the profile report: preprocessing, limma moderated test, enrichment.

    Returns three report sections (``preprocessing``, ``differential``, ``enrichment``), the files
    ``differential_<contrast>.tsv`` (columns of :data:`secretome.stats.compare.RESULT_COLUMNS`) and
    ``enrichment_<contrast>.tsv`` (:data:`secretome.stats.enrichment.ENRICHMENT_COLUMNS`), and the
    ``profile.json`` entry (counts at adj. p < 0.05, the recorded preprocessing steps, top enrichment).
    """
    from secretome.profile import _jsonable
    from secretome.report.stats_sections import compare_section, enrichment_section, preprocessing_report_section
    from secretome.annotate import COMPOSITION_FLAGS, with_composition
    from secretome.stats.compare import compare, safe_filename, table_tsv
    from secretome.stats.enrichment import enrich_contrast

    design, contrast = str(options.design), str(options.contrast)
    settings = options.compare_settings()
    work, table = compare(adata, design, contrast, **settings)
    _, enrichment = enrich_contrast(table, alpha=ALPHA)
    stem = safe_filename(contrast)
    flagged = with_composition(table, work.var)  # serum, lysis and handling markers among the hits
    files = {f"differential_{stem}.tsv": table_tsv(flagged), f"enrichment_{stem}.tsv": table_tsv(enrichment)}
    significant = table["adj_p_value"] < ALPHA
    steps = _jsonable(list(work.uns.get("preprocessing", [])))
    entry = {
        "design": design,
        "contrast": contrast,
        "file": f"differential_{stem}.tsv",
        "n_tested": int(np.isfinite(table["p_value"]).sum()),
        "n_up": int((significant & (table["log2fc"] > 0)).sum()),
        "n_down": int((significant & (table["log2fc"] < 0)).sum()),
        "alpha": ALPHA,
        "settings": settings,
        "preprocessing": steps,
        "method": "secretome.stats.compare.compare (limma moderated t, BH-adjusted)",
        "enrichment": enrichment_summary(enrichment, f"enrichment_{stem}.tsv"),
        "composition_of_hits": {
            name: int((significant & flagged["composition"].str.contains(name, regex=False)).sum())
            for name in COMPOSITION_FLAGS
        },
    }
    sections = [
        {"id": "preprocessing", "title": "Preprocessing", "show_title": False,
         "html": preprocessing_report_section(work, {"design": design, "contrast": contrast, **settings})},
        {"id": "differential", "title": f"Differential: {contrast}", "show_title": False,
         "html": compare_section(work, table, design, contrast, alpha=ALPHA, include_preprocessing=False)},
        {"id": "enrichment", "title": "Enrichment", "show_title": False, "html": enrichment_section(enrichment, contrast)},
    ]
    return sections, files, entry


def enrichment_summary(enrichment: pd.DataFrame, file: str) -> dict[str, Any]:
    """The enrichment entry of ``profile.json``: sets tested and the best significant rows per test."""
    from secretome.profile import _records

    groups = enrichment.groupby(["test", "direction"], sort=False) if not enrichment.empty else []
    tested = {f"{test}:{direction}": int(len(frame)) for (test, direction), frame in groups}
    significant = enrichment[enrichment["adj_p_value"] < ALPHA]
    top = significant.groupby(["test", "direction"], sort=False).head(TOP_ENRICHMENT_IN_JSON)
    return {
        "file": file,
        "note": str(enrichment.attrs.get("note", "")),
        "n_sets_tested": tested,
        "n_adj_p_below_alpha": int(len(significant)),
        "top": _records(top[["test", "direction", "set", "overlap", "p_value", "adj_p_value"]]),
    }


def lot_comparability(adata: AnnData, options: StatsOptions) -> tuple[Section, dict[str, str], dict[str, Any]]:
    """Lot comparability for the profile report (:func:`secretome.stats.comparability.comparability`).

    Values: log2 of the quantities, normalized with ``options.normalize`` (default median), no
    filter and no imputation (the TOST compares observed values; a factor without two values per side
    is ``insufficient_data``). Returns the report section, ``comparability_factors.tsv``,
    ``comparability_cv.tsv`` and ``comparability_lots.tsv``, and the ``profile.json`` entry with the
    verdicts per lot and per factor.
    """
    from secretome.profile import _jsonable, _records
    from secretome.report.stats_sections import comparability_section
    from secretome.stats import preprocess as pp
    from secretome.stats.comparability import comparability
    from secretome.stats.compare import table_tsv

    work = pp.filter_valid(adata, min_valid=0)
    pp.log2_transform(work)
    pp.normalize(work, options.normalization)  # type: ignore[arg-type]
    result = comparability(work, lot_column=options.lot, reference=list(options.reference), factors=options.factor_genes(),
                           margin=options.margin)
    files = {
        "comparability_factors.tsv": table_tsv(result.factors),
        "comparability_cv.tsv": table_tsv(result.cv),
        "comparability_lots.tsv": table_tsv(result.lots),
    }
    note = (f"Values: log2 quantities, {options.normalization} normalization, no imputation (the equivalence tests "
            "compare observed values). Factors: " + ("the key-factor panel" if options.factors is None else ", ".join(options.factor_genes()))
            + ".")
    factor_columns = ["lot", "factor", "protein", "n_test", "n_reference", "diff", "ci_low", "ci_high", "p_value", "verdict"]
    entry = {
        **_jsonable(result.summary),
        "files": sorted(files),
        "lots": _records(result.lots),
        "factors": _records(result.factors[factor_columns]) if not result.factors.empty else [],
        "preprocessing": _jsonable(list(work.uns.get("preprocessing", []))),
    }
    section = {"id": "comparability", "title": "Lot comparability", "show_title": False,
               "html": comparability_section(result, note=note)}
    return section, files, entry
