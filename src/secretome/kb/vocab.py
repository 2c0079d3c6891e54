"""The fixed vocabularies used everywhere (API, files, reports)."""

from __future__ import annotations

# secreted: classical route (signal peptide or UniProt 'Secreted', no transmembrane segment); unconventional: a
# curated leaderless protein with literature-backed secretion (curated/unconventional_secretion.tsv); membrane:
# membrane-bound, including receptors whose ectodomain is shed (evidence flag ``shed``).
SECRETION_CLASSES: tuple[str, ...] = (
    "secreted", "unconventional", "membrane", "ev_cargo", "intracellular", "contaminant_serum", "contaminant_handling", "unknown",
)

# Canonical order (the axis and direction of each class, e.g. angiogenic = pro-, anti_angiogenic = anti-angiogenic,
# are data: curated/functional_classes.tsv).
# Canonical order: the seed's four classes first, then the others.
FUNCTIONAL_CLASSES: tuple[str, ...] = (
    "lubricating", "anti_inflammatory", "growth_factor", "antimicrobial", "pro_inflammatory", "immunomodulatory",
    "angiogenic", "anti_angiogenic", "neurotrophic", "ecm", "protease", "protease_inhibitor", "complement_coagulation",
)

SEED_CLASSES: tuple[str, ...] = FUNCTIONAL_CLASSES[:4]

LYSIS_CATEGORIES: tuple[str, ...] = ("nuclear", "mitochondrial", "ribosomal", "cytosolic_enzyme")
