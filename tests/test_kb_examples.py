"""Every protein of every example table gets a class; the share of `unknown` is printed per table.

The readers are another engineer's work, so the protein column is taken with pandas directly here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from secretome.annotate import resolve
from secretome.kb import SECRETION_CLASSES

# (relative path, protein-identifier column, optional gene-name column used where identifiers do not resolve)
TABLES = [
    ("endothelial_secretome_stepanov2024/combined_protein_secretome_HCAEC_HITAEC.tsv.gz", "Protein ID", "Gene"),
    ("diann_plaques_PXD035173/report.pg_matrix.tsv.gz", "Protein.Group", "Genes"),
    ("ev_senescence_wallis2021/MS1_dUC_EV_perseus.csv", "T: Protein IDs", "T: Gene names"),
    ("ev_senescence_wallis2021/MS2_SEC_F8_F20_CM_log2.csv", "Gene names", None),
    ("ev_senescence_wallis2021/MS3_summary_means.csv", "Gene names", None),
    ("msc_cell_proteome_kotova2021_PXD027719/peaks_xpro_data.xlsx#0", "Accession", None),
    ("msc_cell_proteome_kotova2021_PXD027719/peaks_xpro_data.xlsx#1", "Accession", "Name"),
    ("derived_lists_jmdplots/RSE+16_adipose_stem_cell_secretome_hypoxia.csv.xz", "Entry", "Gene Name"),
    ("derived_lists_jmdplots/SRS+13a_placental_MSC_exosomes_O2.csv.xz", "Entry", "Symbol"),
]
MAX_UNKNOWN = 0.06


def _load(examples: Path, relative: str) -> pd.DataFrame:
    name, _, sheet = relative.partition("#")
    path = examples / name
    if path.suffix == ".xlsx":  # PEAKS: sheet 0 has 'P12345|NAME_HUMAN' accessions, sheet 1 bare ones + gene names
        return pd.read_excel(path, sheet_name=int(sheet), dtype=str)
    sep = "\t" if ".tsv" in path.name else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.shared_data
def test_every_example_protein_gets_a_class(examples: Path) -> None:
    report = []
    for relative, column, gene_column in TABLES:
        table = _load(examples, relative)
        ids = table[column].fillna("").astype(str).tolist()
        genes = table[gene_column].fillna("").astype(str).tolist() if gene_column else None
        result = resolve(ids, fallback_genes=genes)
        assert len(result) == len(table), relative
        assert result["secretion_class"].isin(SECRETION_CLASSES).all(), relative
        unknown = (result["secretion_class"] == "unknown").mean()
        counts = result["secretion_class"].value_counts().to_dict()
        report.append(f"{relative:<82} n={len(result):>5}  unknown={unknown:6.1%}  unresolved="
                      f"{(~result['resolved']).mean():6.1%}  {counts}")
        assert unknown <= MAX_UNKNOWN, (relative, unknown)
    print("\nShare of `unknown` per example table:\n" + "\n".join(report))
