"""The fixed vocabularies used everywhere (API, files, reports)."""

from __future__ import annotations

SECRETION_CLASSES: tuple[str, ...] = (
    "secreted", "membrane", "ev_cargo", "intracellular", "contaminant_serum", "contaminant_handling", "unknown",
)

# Canonical order: the seed's four classes first, then the others.
FUNCTIONAL_CLASSES: tuple[str, ...] = (
    "lubricating", "anti_inflammatory", "growth_factor", "antimicrobial", "pro_inflammatory", "immunomodulatory",
    "angiogenic", "neurotrophic", "ecm", "protease", "protease_inhibitor", "complement_coagulation",
)

SEED_CLASSES: tuple[str, ...] = FUNCTIONAL_CLASSES[:4]

LYSIS_CATEGORIES: tuple[str, ...] = ("nuclear", "mitochondrial", "ribosomal", "cytosolic_enzyme")
