"""The knowledge base: secretion evidence, functional classes and marker lists for every protein.

``load_kb()`` loads the shipped artefact once (lazy, cached) and applies the curated rules of ``data/curated``;
``gene_sets()`` and ``functional_class_members()`` expose the gene sets and class memberships.
"""

from __future__ import annotations

from secretome.kb.panel import key_factor_genes, key_factor_panel
from secretome.kb.store import KnowledgeBase, functional_class_members, gene_sets, kb_summary, load_kb
from secretome.kb.vocab import FUNCTIONAL_CLASSES, LYSIS_CATEGORIES, SECRETION_CLASSES, SEED_CLASSES

__all__ = [
    "FUNCTIONAL_CLASSES", "LYSIS_CATEGORIES", "SECRETION_CLASSES", "SEED_CLASSES", "KnowledgeBase",
    "functional_class_members", "gene_sets", "kb_summary", "key_factor_genes", "key_factor_panel", "load_kb",
]
