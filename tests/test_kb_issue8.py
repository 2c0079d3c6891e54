"""Every misclassification named in issue 8, fixed and pinned, each with the reference behind the expectation.

The same examples are rows of tests/data/kb_evaluation.tsv (scored by test_kb_rules.py); here each is asserted on
its own, so a regression names the protein and the paper.
"""

from __future__ import annotations

import pytest

from secretome import annotate_identifiers
from secretome.annotate import resolve
from secretome.kb import load_kb
from secretome.kb.store import functional_class_table


def _one(gene: str):
    return resolve([gene]).iloc[0]


def _classes(gene: str) -> set[str]:
    return set(filter(None, _one(gene)["functional_classes"].split(";")))


# (gene, class it must NOT have, reference)
INVERTED = [
    ("TIMP1", "growth_factor", "UniProt:P01033 (MMP inhibitor; HPA 'Growth factor' tag was 83% of an MSC growth_factor share)"),
    ("CHI3L1", "antimicrobial", "UniProt:P36222 (chitinase-like lectin without chitinase activity)"),
    ("THBS1", "angiogenic", "doi:10.1073/pnas.87.17.6624 (thrombospondin-1 inhibits angiogenesis)"),
    ("SEMA3E", "angiogenic", "doi:10.1126/science.1105416 (semaphorin 3E repels endothelial cells)"),
    ("PTGS2", "angiogenic", "UniProt:P35354 (COX-2 is an intracellular ER enzyme; MSCs act through PGE2)"),
    ("GPI", "immunomodulatory", "UniProt:P06744 (glycolytic enzyme)"),
    ("SFRP1", "protease", "UniProt:Q8N474 (soluble Wnt antagonist)"),
    ("STATH", "ecm", "UniProt:P02808 (salivary statherin)"),
    ("NGF", "protease_inhibitor", "UniProt:P01138 (neurotrophin)"),
    ("IL10", "angiogenic", "doi:10.1161/01.RES.87.6.448 (IL-10 inhibits ischaemia-induced angiogenesis)"),
]


@pytest.mark.parametrize(("gene", "forbidden", "reference"), INVERTED)
def test_no_inverted_function(gene: str, forbidden: str, reference: str) -> None:
    assert forbidden not in _classes(gene), (gene, reference)


# (gene, classes it must have, reference)
MEMBERS = [
    ("THBS1", {"anti_angiogenic"}, "doi:10.1073/pnas.87.17.6624"),
    ("SEMA3E", {"anti_angiogenic"}, "doi:10.1126/science.1105416"),
    ("SERPINF1", {"anti_angiogenic"}, "doi:10.1126/science.285.5425.245"),
    ("TIMP1", {"protease_inhibitor"}, "UniProt:P01033"),
    ("NGF", {"growth_factor", "neurotrophic"}, "UniProt:P01138"),
    ("IL18BP", {"anti_inflammatory"}, "UniProt:O95998"),
    ("IL1F10", {"anti_inflammatory"}, "UniProt:Q8WWZ1"),
    ("IL22RA2", {"anti_inflammatory"}, "UniProt:Q969J5"),
    ("TNFRSF11B", {"anti_inflammatory"}, "UniProt:O00300"),
    ("IL1R2", {"anti_inflammatory"}, "UniProt:P27930"),
    ("CCN1", {"ecm", "angiogenic"}, "doi:10.1073/pnas.95.11.6355"),
    ("CCN2", {"ecm", "growth_factor"}, "UniProt:P29279"),
    ("POSTN", {"ecm"}, "UniProt:Q15063"),
    ("TGFBI", {"ecm"}, "UniProt:Q15582"),
    ("PTX3", {"antimicrobial", "immunomodulatory"}, "doi:10.1038/nature01195"),
    ("LGALS3", {"immunomodulatory"}, "UniProt:P17931"),
    ("MFGE8", {"anti_inflammatory", "angiogenic"}, "doi:10.1038/417182a; doi:10.1038/nm1233"),
    ("DMBT1", {"antimicrobial"}, "UniProt:Q9UGM3"),
    ("ANGPT2", {"angiogenic"}, "UniProt:O15123"),
]


@pytest.mark.parametrize(("gene", "classes", "reference"), MEMBERS)
def test_missing_members_are_added(gene: str, classes: set[str], reference: str) -> None:
    assert classes <= _classes(gene), (gene, _classes(gene), reference)


def test_a_curated_direction_excludes_the_opposite_class() -> None:
    """ANGPT2 is in GO 'negative regulation of angiogenesis' but curated pro-angiogenic: it is not both."""
    assert "anti_angiogenic" not in _classes("ANGPT2")
    table = functional_class_table()
    directions = dict(zip(table["class"], table["direction"]))
    assert directions["angiogenic"] == "pro" and directions["anti_angiogenic"] == "anti"


UNCONVENTIONAL = {  # leaderless, literature-backed secretion
    "FGF2": "doi:10.1242/jcs.103630", "IL1B": "doi:10.1002/j.1460-2075.1990.tb08268.x", "IL33": "UniProt:O95760",
    "HMGB1": "doi:10.1093/emboj/cdg516", "MIF": "UniProt:P14174", "LGALS1": "doi:10.1016/S0304-4165(99)00177-4",
    "LGALS3": "doi:10.1016/S0304-4165(99)00177-4",
}


@pytest.mark.parametrize("gene", sorted(UNCONVENTIONAL))
def test_leaderless_secreted_proteins_are_their_own_class(gene: str) -> None:
    row = _one(gene)
    assert row["secretion_class"] == "unconventional", (gene, UNCONVENTIONAL[gene])
    assert UNCONVENTIONAL[gene].split(":", 1)[1].lower() in row["evidence"].lower()


SHED = ["EGFR", "KDR", "IL6R", "IL6ST", "TNFRSF1A", "TNFRSF1B", "CD44", "IL1R1", "MET", "NRP1", "PLAUR", "APP",
        "ICAM1", "VCAM1", "ERBB2"]


def test_shed_ectodomains_are_membrane_with_the_shed_flag() -> None:
    """The outcome no longer depends on whether UniProt tags a secreted isoform (Lichtenthaler et al. 2018,
    doi:10.15252/embj.201899456)."""
    frame = resolve(SHED)
    assert (frame["secretion_class"] == "membrane").all(), frame.loc[frame["secretion_class"] != "membrane", "gene"].tolist()
    assert frame["shed"].all()


@pytest.mark.parametrize("gene", ["PPIA", "FABP5", "TXN", "GPI", "C1QBP", "CALR", "PDIA3", "PTGS2", "HSPA5"])
def test_leaderless_cytosolic_and_resident_proteins_are_intracellular(gene: str) -> None:
    """Leaderless cytosolic proteins count as lysis unless curated unconventional; ER/mitochondrial residents with a
    signal peptide stay inside (HPA v21.1 'Intracellular and membrane')."""
    assert _one(gene)["secretion_class"] == "intracellular", gene


@pytest.mark.parametrize("gene", ["GOT2", "GLUD1", "TRIM24", "CMPK1", "HARS2"])
def test_hpa_2018_prediction_alone_no_longer_makes_a_protein_secreted(gene: str) -> None:
    row = _one(gene)
    assert row["secretion_class"] != "secreted", (gene, row["evidence"][:200])


@pytest.mark.parametrize("gene", ["SPI1", "IKZF1", "SMAD2", "RB1", "SF3B1"])
def test_predicted_membrane_isoform_cannot_outvote_nuclear_evidence(gene: str) -> None:
    assert _one(gene)["secretion_class"] == "intracellular", gene


@pytest.mark.parametrize("gene", ["KRT5", "KRT6A", "KRT14", "KRT16", "KRT17", "DSP", "JUP", "HRNR", "S100A7", "DSC3"])
def test_skin_derived_proteins_are_handling_contaminants(gene: str) -> None:
    """Frankenfield et al. 2022 (doi:10.1021/acs.jproteome.2c00145) list them with the human skin contaminants."""
    row = _one(gene)
    assert row["secretion_class"] == "contaminant_handling" and row["handling_contaminant"], gene


def test_gene_names_lose_the_trailing_semicolon_of_the_uniprot_export() -> None:
    """'HBA1;' made haemoglobin alpha unknown and let it escape the serum index while haemoglobin beta counted."""
    table = load_kb().table
    assert not table["gene"].str.endswith(";").any()
    frame = annotate_identifiers(["HBA1", "HBA2", "HBB"])
    assert (frame["accession"] != "").all()
    assert resolve(["HBA1", "HBB"])["serum_marker"].all()


def test_sources_are_current_and_recorded() -> None:
    releases = " ".join(source["release"] for source in load_kb().sources)
    assert "HPA v21.1" in releases and "GO.db 3.16.0" in releases and "2022-07-01" in releases
    assert not any("MSigDB" in source["name"] for source in load_kb().sources)
