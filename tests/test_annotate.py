"""Identifier resolution, ``secretome.annotate`` on an AnnData and the ``annotate`` / ``kb info`` commands."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from typer.testing import CliRunner

from secretome import SecretomeInputError, annotate_identifiers
from secretome.annotate import annotate
from secretome.annotate import OUTPUT_COLUMNS, VAR_COLUMNS, resolve
from secretome.cli import app
from secretome.kb import FUNCTIONAL_CLASSES, SECRETION_CLASSES


def one(identifier: str) -> pd.Series:
    return resolve([identifier]).iloc[0]


@pytest.mark.parametrize("identifier", ["P02768", "p02768", "P02768-2", "ALBU_HUMAN", "ALB", "sp|P02768|ALBU_HUMAN",
                                        "CON__P02768-1", " P02768 "])
def test_human_albumin_in_every_spelling(identifier: str) -> None:
    row = one(identifier)
    assert row["resolved"] and row["accession"] == "P02768" and row["gene"] == "ALB" and row["species"] == "HUMAN"
    assert row["secretion_class"] == "secreted"
    assert row["serum_marker"] and row["uniprot_secreted"] and row["hpa_secreted"]  # overlaps stay visible
    assert not row["mixed_species"]


def test_gene_synonym_resolves_to_current_symbol() -> None:
    row = one("TSG6")
    assert row["gene"] == "TNFAIP6" and "anti_inflammatory" in row["functional_classes"]
    assert "gene synonym" in row["evidence"]
    assert one("HIST1H2BK")["gene"] == one("H2BC12")["gene"]


@pytest.mark.parametrize("identifier", ["CON__P02769", "P02769", "ALBU_BOVIN", "contam_P02769", "Cont_P02769",
                                        "contam_sp|P02769|ALBU_BOVIN", "sp|Cont_P02769|ALBU_BOVIN"])
def test_bovine_serum_albumin_is_serum_contaminant(identifier: str) -> None:
    row = one(identifier)
    assert row["accession"] == "P02769" and row["species"] == "BOVIN"
    assert row["secretion_class"] == "contaminant_serum" and row["serum_marker"]
    assert row["functional_classes"] == ""  # non-human entries carry no therapeutic function


def test_handling_contaminants() -> None:
    assert one("Cont_P00761")["secretion_class"] == "contaminant_handling"  # porcine trypsin
    assert one("TRYP_PIG")["species"] == "PIG"
    for gene in ("KRT1", "KRT10", "KRT9"):
        row = one(gene)
        assert row["secretion_class"] == "contaminant_handling" and row["handling_contaminant"], gene


def test_group_prefers_human_reviewed_and_keeps_bovine_evidence() -> None:
    row = one("P02769;P02768")
    assert row["accession"] == "P02768" and row["species"] == "HUMAN" and row["mixed_species"]
    assert row["secretion_class"] == "secreted" and row["serum_marker"]
    assert "mixed-species member P02769 (BOVIN): contaminant_serum" in row["evidence"]
    same_species = one("P02768;P02768-2")
    assert not same_species["mixed_species"]


def test_group_with_unresolvable_members_uses_the_resolvable_one() -> None:
    row = one("XYZ123;P01133")
    assert row["resolved"] and row["gene"] == "EGF" and "growth_factor" in row["functional_classes"]


def test_unresolvable_identifiers_are_reported_not_dropped() -> None:
    queries = ["nonsense", "", "REV__P02768", "FOO1_MOUSE", "P02768", "rev_sp|P02768|ALBU_HUMAN", "tr|Q0ZZZ9|Q0ZZZ9_RABIT"]
    result = resolve(queries)
    assert result["query"].tolist() == queries
    assert result["resolved"].tolist() == [False, False, False, False, True, False, False]
    assert result.loc[6, "species"] == "RABIT"  # a non-human accession keeps its species
    unresolved = result[~result["resolved"]]
    assert (unresolved["secretion_class"] == "unknown").all() and (unresolved["accession"] == "").all()
    assert unresolved["evidence"].str.startswith("unresolved").all()
    assert result.loc[3, "species"] == "MOUSE"  # the entry name still tells the species


def test_lysis_markers_and_ev_markers() -> None:
    for gene, category in (("LDHA", "cytosolic_enzyme"), ("H2BC12", "nuclear"), ("RPL3", "ribosomal"),
                           ("NDUFS1", "mitochondrial"), ("GAPDH", "cytosolic_enzyme")):
        row = one(gene)
        assert row["lysis_marker"] and row["lysis_category"] == category and row["secretion_class"] == "intracellular"
    cd63 = one("CD63")
    assert cd63["ev_marker"] and cd63["ev_category"] == "transmembrane_or_gpi" and cd63["secretion_class"] == "ev_cargo"
    assert one("TSG101")["ev_category"] == "cytosolic"
    assert one("GAPDH")["ev_marker"]  # ExoCarta top-100, yet a lysis marker: both stay visible


def test_annotate_identifiers_columns_and_vocabularies() -> None:
    result = annotate_identifiers(["EGF", "LTF", "PRG4", "unknown_thing"])
    assert tuple(result.columns) == OUTPUT_COLUMNS
    assert set(result["secretion_class"]) <= set(SECRETION_CLASSES)
    classes = {c for value in result["functional_classes"] for c in value.split(";") if c}
    assert classes <= set(FUNCTIONAL_CLASSES)
    assert "antimicrobial" in result.loc[1, "functional_classes"].split(";")
    assert "curated: DOI 10.1001/jamaophthalmol.2013.2385" in result.loc[2, "evidence"]


def _adata(var: pd.DataFrame) -> AnnData:
    x = np.arange(2 * len(var), dtype=float).reshape(2, len(var))
    return AnnData(X=x, obs=pd.DataFrame(index=["s1", "s2"]), var=var)


def test_annotate_fills_var_from_reader_columns() -> None:
    var = pd.DataFrame(
        {
            "protein_group": ["P02768;P02769", "CON__P00761", "Q99999999", "sp|EGF_HUMAN_odd"],
            "accessions": ["P02768;P02769", "P00761", "Q99999999", "P01133"],
            "leading_accession": ["P02768", "P00761", "Q99999999", "P01133"],
            "genes": ["ALB", "", "IL1RN", "EGF"],
            "gene": ["ALB", "", "IL1RN", "EGF"],
            "species": ["HUMAN;BOVIN", "PIG", "", "HUMAN"],
            "is_contaminant": [False, True, False, False],
        },
        index=["P02768;P02769", "CON__P00761", "Q99999999", "sp|EGF_HUMAN_odd"],
    )
    adata = annotate(_adata(var))
    for column in VAR_COLUMNS:
        assert column in adata.var, column
    # EGF: transmembrane precursor whose soluble form is shed (membrane, shed=True)
    assert adata.var["secretion_class"].tolist() == ["secreted", "contaminant_handling", "secreted", "membrane"]
    assert adata.var.loc["sp|EGF_HUMAN_odd", "shed"]
    assert adata.var["mixed_species"].tolist() == [True, False, False, False]
    assert adata.var.loc["CON__P00761", "evidence"].startswith("flagged as contaminant by the search engine")
    assert adata.var.loc["Q99999999", "gene"] == "IL1RN"  # resolved through the genes column
    assert "resolved by gene name" in adata.var.loc["Q99999999", "evidence"]
    assert adata.var.loc["sp|EGF_HUMAN_odd", "gene"] == "EGF"
    assert "resolved by accessions P01133" in adata.var.loc["sp|EGF_HUMAN_odd", "evidence"]
    assert adata.var["resolved"].dtype == bool and adata.var["serum_marker"].dtype == bool
    assert adata.uns["kb"]["version"] and len(adata.uns["kb"]["sources"]) >= 10
    assert adata.uns["provenance"][-1]["step"] == "annotate"


def test_reader_species_mark_a_group_mixed_when_the_bovine_member_is_not_in_the_kb() -> None:
    # A human protein grouped with a bovine accession the knowledge base does not hold: the reader knows the
    # member is bovine (its FASTA header), so the group is still a mixed human/bovine group.
    bovine_only_in_fasta = "F1MXX9"
    assert not resolve([bovine_only_in_fasta])["resolved"].iloc[0]
    groups = [f"P02768;{bovine_only_in_fasta}", "P61626", f"CON__{bovine_only_in_fasta}"]
    var = pd.DataFrame({"protein_group": groups, "species": ["HUMAN;BOVIN", "HUMAN", "BOVIN"]}, index=groups)
    adata = annotate(_adata(var))
    assert adata.var["mixed_species"].tolist() == [True, False, False]
    assert adata.var["species"].tolist() == ["HUMAN", "HUMAN", "BOVIN"]
    assert "mixed-species group: member species HUMAN;BOVIN in the input" in adata.var["evidence"].iloc[0]


def test_decoys_are_not_annotated_through_their_stripped_accession() -> None:
    # A reversed decoy sequence is not the protein it was made from: REV__P02768 must not become albumin via
    # the reader's accessions column (which holds the stripped P02768), nor '#DECOY#' variants.
    groups = ["REV__P02768", "#DECOY#P01133", "P01133"]
    var = pd.DataFrame(
        {"protein_group": groups, "accessions": ["P02768", "P01133", "P01133"], "genes": ["ALB", "EGF", "EGF"],
         "is_decoy": [True, True, False]},
        index=groups,
    )
    adata = annotate(_adata(var))
    assert adata.var["resolved"].tolist() == [False, False, True]
    assert adata.var["secretion_class"].tolist() == ["unknown", "unknown", "membrane"]
    assert adata.var["functional_classes"].tolist() == ["", "", "growth_factor"]
    assert adata.var["evidence"].iloc[0].startswith("decoy sequence of the search")
    assert resolve(["#DECOY#P01133"])["resolved"].tolist() == [False]


def test_annotate_from_var_names_only_keeps_reader_gene_when_unresolved() -> None:
    var = pd.DataFrame({"gene": ["", "MYSTERY"]}, index=["P61626", "Q0000000"])
    adata = annotate(_adata(var))
    assert adata.var["gene"].tolist() == ["LYZ", "MYSTERY"]
    assert adata.var["secretion_class"].tolist() == ["secreted", "unknown"]


runner = CliRunner()


def test_cli_annotate_stdin_to_stdout() -> None:
    result = runner.invoke(app, ["annotate", "-"], input="P02768\nCON__P02769\n\nnonsense\n")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split("\t") == list(OUTPUT_COLUMNS)
    assert [line.split("\t")[4] for line in lines[1:]] == ["secreted", "contaminant_serum", "unknown"]


def test_cli_annotate_file_to_out(tmp_path) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("EGF\nP01138\n", encoding="utf-8")
    out = tmp_path / "result.tsv"
    result = runner.invoke(app, ["annotate", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert table["gene"].tolist() == ["EGF", "NGF"] and "neurotrophic" in table.loc[1, "functional_classes"]
    assert not list(tmp_path.glob(".result.tsv.*"))  # no temporary file left behind


def test_cli_annotate_missing_file_is_an_input_error(tmp_path) -> None:
    result = runner.invoke(app, ["annotate", str(tmp_path / "absent.txt")])
    assert isinstance(result.exception, SecretomeInputError)
    assert "absent.txt" in str(result.exception)


def test_cli_kb_info() -> None:
    result = runner.invoke(app, ["kb", "info"])
    assert result.exit_code == 0, result.output
    for text in ("secretome knowledge base", "Human Protein Atlas", "CC BY-SA 4.0", "lubricating", "contaminant_serum"):
        assert text in result.stdout, text


def test_cli_annotate_table_through_the_readers(examples, tmp_path) -> None:
    source = examples / "endothelial_secretome_stepanov2024" / "combined_protein_secretome_HCAEC_HITAEC.tsv.gz"
    out = tmp_path / "table.tsv"
    result = runner.invoke(app, ["annotate", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert len(table) == 3346 and (table["secretion_class"] != "").all()


def test_annotated_dataset_round_trips_through_h5ad(tmp_path) -> None:
    import anndata

    var = pd.DataFrame({"protein_group": ["P02768;P02769", "nonsense"]}, index=["P02768;P02769", "nonsense"])
    adata = annotate(_adata(var))
    # uns['provenance'] (a list of dicts from secretome.provenance) is not h5ad-writable on this branch; that is the
    # provenance module's concern, reported to its owner. This test covers what annotate() adds.
    del adata.uns["provenance"]
    path = tmp_path / "annotated.h5ad"
    adata.write_h5ad(path)
    back = anndata.read_h5ad(path)
    assert back.var["secretion_class"].tolist() == ["secreted", "unknown"]
    assert back.var["mixed_species"].tolist() == [True, False]
    assert back.uns["kb"]["version"] == adata.uns["kb"]["version"]


def test_composition_flags_mark_serum_lysis_and_handling_markers() -> None:
    """Differential hits carry their composition (issue 8): a hit that is serum, debris or skin is not biology."""
    from secretome.annotate import composition_flags

    frame = resolve(["ALB", "LDHA", "KRT14", "PPIA", "EGF"])
    assert composition_flags(frame).tolist() == ["serum", "lysis", "handling", "lysis", ""]


def test_enrichment_background_can_be_one_secretion_class() -> None:
    from secretome.stats.enrichment import contrast_enrichment

    genes = [f"G{i}" for i in range(12)]
    table = pd.DataFrame({
        "protein": genes, "gene": genes, "log2fc": [-2.0] * 6 + [0.1] * 6, "t": [-5.0] * 6 + [0.2] * 6,
        "adj_p_value": [0.001] * 6 + [0.9] * 6,
        "secretion_class": ["intracellular"] * 6 + ["secreted"] * 6,
    })
    sets = {"test:intracellular_set": genes[:6], "test:mixed": genes[3:9]}
    everything = contrast_enrichment(table, gene_sets=sets, min_size=1)
    assert len(everything["down"]) and everything["down"]["overlap"].max() == 6
    secreted_only = contrast_enrichment(table, gene_sets=sets, min_size=1, secretion_class="secreted")
    assert secreted_only["down"].empty or (secreted_only["down"]["overlap"] == 0).all()
    with pytest.raises(SecretomeInputError, match="secretion_class"):
        contrast_enrichment(table.drop(columns="secretion_class"), gene_sets=sets, secretion_class="secreted")
