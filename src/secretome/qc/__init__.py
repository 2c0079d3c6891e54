"""Quality control and purity indices of secretome preparations (samples x proteins AnnData).

The package's modules, bottom up: :mod:`~secretome.qc.registry` (the purity indices, one entry each),
:mod:`~secretome.qc.thresholds` (limits with their source), :mod:`~secretome.qc.verdicts`,
:mod:`~secretome.qc.matrices`, :mod:`~secretome.qc.purity`, :mod:`~secretome.qc.missingness`,
:mod:`~secretome.qc.outliers`, :mod:`~secretome.qc.distributions`, :mod:`~secretome.qc.plausibility` and
:mod:`~secretome.qc.stage` (the stage :func:`qc` that runs them all). The names below are re-exported here.

What it computes, per sample:

* identifications (``n_proteins``) and missingness (``missing_share``);
* intensity distributions (log2 quantiles), sample-sample Pearson correlation on log2 values with
  pairwise-complete observations, and a PCA (per-sample median centring; proteins quantified in at
  least ``settings.pca_min_detection`` of samples; remaining gaps set to the protein mean; the first
  components from an eigendecomposition of the smaller cross-product matrix);
* robust outliers: modified z-scores (median/MAD, Iglewicz & Hoaglin 1993) of each sample's median
  correlation to the others and of its standardised PCA score distance;
* purity indices as shares of the sample's total *linear* quantity (``2**X`` when
  ``uns['source']['is_log2']``), from an exclusive partition of the proteins (first rule that matches):

  1. ``serum``: a ``serum_marker`` or ``secretion_class == contaminant_serum``, or a serum-species
     protein (``settings.serum_species``, bovine by default) that the KB does not call a handling
     contaminant (bovine keratin or trypsin stay ``handling``); with a human supplement named in the sample
     sheet (``settings.supplement_column``: human serum, human platelet lysate) the proteins it brings in
     (immunoglobulins, platelet factors: ``kb/data/curated/supplement_proteins.tsv``). A ``mixed_species``
     group (a human protein grouped with a bovine contaminant entry through shared peptides) is decided by
     the engine's evidence: in formats whose groups lead with the razor/leading protein
     (``settings.leading_protein_formats``) a group led by its bovine member is serum (also reported as
     ``serum_mixed_share``) and one led by its human member is the human protein; any other mixed group is
     ambiguous: reported as ``serum_ambiguous_share`` and classified by its human member, unless
     ``settings.mixed_species_counts_as_serum`` counts it as serum;
  2. ``handling``: ``handling_contaminant`` or ``secretion_class == contaminant_handling``
     (non-serum ones, see 1);
  3. ``lysis``: a ``lysis_marker`` or ``secretion_class == intracellular`` (which includes leaderless
     cytosolic proteins with a database 'Secreted' flag that are not curated as unconventionally secreted);
  4. ``ev``: ``secretion_class == ev_cargo``; 5. ``secreted`` (classical and curated unconventional
     secretion); 6. ``membrane``; 7. ``unknown``.

  The seven shares sum to 1. Decoys are left out of the total.
* within-group coefficients of variation (linear scale) and their medians.

Every verdict says the rule it used, e.g. ``fail: serum_share 0.31 > 0.2 (qc_thresholds.toml:
serum_share.fail)``. Limits come from ``config/qc_thresholds.toml`` and can be overridden by a config
file or ``key=value`` settings (see :func:`load_thresholds`).
"""

from __future__ import annotations

from secretome.qc.distributions import group_cvs, intensity_quantiles
from secretome.qc.matrices import (
    QuantityView,
    as_bool,
    as_text,
    column_blocks,
    counted_proteins,
    derived_matrices,
    detected_counts,
    detected_per_sample,
    linear_quantities,
    log2_quantities,
    mean_sample_share,
    mean_shares,
    nanmedian,
    nanquantiles,
    row_blocks,
    row_sums,
    sample_totals,
)
from secretome.qc.missingness import identification_stats
from secretome.qc.outliers import PCAResult, pairwise_correlation, pca, robust_z
from secretome.qc.plausibility import plausibility_warnings
from secretome.qc.purity import (
    REQUIRED_VAR,
    purity_assessable,
    purity_categories,
    purity_drivers,
    purity_shares,
    supplements,
)
from secretome.qc.registry import (
    PURITY_REGISTRY,
    PurityCategory,
    flagged_indices,
    purity_category_names,
    purity_colours,
    purity_method_texts,
    register_purity_category,
    registry_of,
    unregister_purity_category,
)
from secretome.qc.stage import qc
from secretome.qc.thresholds import OVERRIDE, THRESHOLDS_FILE, Thresholds, load_thresholds
from secretome.qc.verdicts import judge, worst

__all__ = [
    "OVERRIDE", "PCAResult", "PURITY_REGISTRY", "PurityCategory", "QuantityView", "REQUIRED_VAR", "THRESHOLDS_FILE",
    "Thresholds", "as_bool", "as_text", "column_blocks", "counted_proteins", "derived_matrices", "detected_counts",
    "detected_per_sample", "flagged_indices", "group_cvs",
    "identification_stats", "intensity_quantiles", "judge", "linear_quantities", "load_thresholds",
    "log2_quantities", "mean_sample_share", "mean_shares", "nanmedian", "nanquantiles", "pairwise_correlation", "pca", "plausibility_warnings",
    "purity_assessable", "purity_categories", "purity_category_names", "purity_colours", "purity_drivers",
    "purity_method_texts", "purity_shares", "qc", "register_purity_category", "registry_of", "robust_z", "row_blocks", "row_sums", "sample_totals",
    "supplements", "unregister_purity_category", "worst",
]
