"""What blind batch 11 of the held-out files found (benchmarks/README.md, "Held-out batch 11"), each finding a
general rule (kept as data) and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of


@pytest.mark.parametrize("name, text, kind", [
    ("TPP-TR_config.csv",  # the TPP package's configuration: TMT labels hold temperatures, not quantities
     '"Experiment","Condition","Replicate","126","127L","127H","128L","Path"\n'
     '"Treatment_1","Treatment","1",37,40.4,44,46.9,"C:/data/Treatment_1.txt"\n'
     '"Treatment_2","Treatment","2",37,40.4,44,46.9,"C:/data/Treatment_2.txt"\n'
     '"Vehicle_1","Vehicle","1",37,40.4,44,46.9,"C:/data/Vehicle_1.txt"\n', "TPP"),
    ("ConditionSetup.tsv",  # Spectronaut's condition setup export
     "#\tReference\tRun Label\tCondition\tFraction\tReplicate\tQuantity Correction Factor\tLabel\n"
     "1\tFALSE\tB1_DMSO_r1.d\tDMSO\tNA\t1\t1\tDMSO\n2\tFALSE\tB1_DMSO_r2.d\tDMSO\tNA\t2\t1\tDMSO\n"
     "3\tFALSE\tB1_drug_r1.d\tdrug\tNA\t1\t1\tdrug\n", "Spectronaut condition setup"),
    ("percolator.target.psms.txt",  # Crux's Percolator output
     "file_idx\tscan\tcharge\tpercolator score\tpercolator q-value\tdistinct matches/spectrum\tsequence\tprotein id\n"
     "run1\t22\t3\t-0.37\t0.14\t973\tIALDLISEANHFPK\tsp|Q13885|TBB2A_HUMAN\n"
     "run1\t23\t3\t-0.41\t0.19\t866\tLNSAPVEGYSEHVGNK\tsp|Q71UI9|H2AV_HUMAN\n"
     "run1\t24\t2\t-0.52\t0.21\t412\tAGFAGDDAPR\tsp|P60709|ACTB_HUMAN\n", "Percolator"),
    ("out_triqler.tsv",  # quantms' Triqler input
     "run\tcondition\tcharge\tsearchScore\tintensity\tpeptide\tproteins\n"
     "5\tHeLa\t3\t0.998\t3.16e06\tACGLVASNLNLK\tsp|P09382|LEG1_HUMAN\n"
     "6\tHeLa\t3\t0.998\t1.81e06\tACGLVASNLNLK\tsp|P09382|LEG1_HUMAN\n"
     "7\tHeLa\t2\t0.912\t9.10e05\tAGFAGDDAPR\tsp|P60709|ACTB_HUMAN\n", "Triqler"),
    ("small_pep_silac.txt",  # a Proteome Discoverer peptide groups table as R re-saves it
     "Sequence\tModifications\tMaster.Protein.Accessions\tProtein.Accessions\tNumber.of.Protein.Groups\t"
     "Abundances.Grouped.Light\tAbundances.Grouped.Heavy\n"
     "TCSPASLSQASADLEATLR\t1xCarbamidomethyl [C2]\tQ14258\tQ14258\t1\t120.5\t98.1\n"
     "AGFAGDDAPR\t\tP60709\tP60709\t1\t3021.2\t2877.0\n"
     "SYELPDGQVITIGNER\t\tP60709\tP60709\t1\t1550.0\t1490.3\n", "peptide"),
    ("PSMs.txt",  # a PD PSM table has the peptide groups' columns too, and its spectrum: still named a PSM table
     "Sequence\tAnnotated Sequence\tModifications\tMaster Protein Accessions\tProtein Accessions\t"
     "Number of Protein Groups\tSpectrum File\tFirst Scan\n"
     "AGFAGDDAPR\t[K].AGFAGDDAPR.[A]\t\tP60709\tP60709\t1\trun1.raw\t1022\n"
     "SYELPDGQVITIGNER\t[R].SYELPDGQVITIGNER.[A]\t\tP60709\tP60709\t1\trun1.raw\t2310\n"
     "TCSPASLSQASADLEATLR\t[K].TCSPASLSQASADLEATLR.[K]\t\tQ14258\tQ14258\t1\trun2.raw\t877\n", "PSM"),
])
def test_non_protein_tables_of_batch_11_are_refused_by_kind(tmp_path, name, text, kind):
    """Each was read with wrong samples (the TPP labels' temperatures, a Percolator count column) or refused for
    a side effect (duplicated identifiers, a 'long-format table'); data/non_protein_tables.tsv names them."""
    path = tmp_path / name
    path.write_text(text)
    message = refusal_of(path)
    assert kind in message and "duplicated" not in message


def test_an_infection_studys_sample_metadata_is_refused_as_a_sample_sheet(tmp_path):
    """BatchQC: colData with hours_after_treatment and MOI (numeric design columns) was read as 2 samples of 12
    'proteins'; both are design attributes (data/sample_sheet_columns.tsv)."""
    frame = pd.DataFrame({"Infection": ["Mock", "Mock", "SARS-CoV-2", "SARS-CoV-2"], "Batch": ["S6"] * 4,
                          "hours_after_treatment": [24, 24, 24, 24], "strain": ["None", "None", "USA-WA1", "USA-WA1"],
                          "MOI": [0, 0, 2, 2]}, index=[f"Series6_A549_{c}_{r}" for c in ("Mock", "CoV") for r in (1, 2)])
    path = tmp_path / "COVID_metadata.csv"
    frame.to_csv(path)
    message = refusal_of(path)
    assert "sample sheet" in message and "'hours_after_treatment'" in message and "'MOI'" in message


def test_an_integer_accession_index_beside_limma_results_is_not_a_sample(tmp_path):
    """A limma result (logFC, log_AveExpr, FDR) whose integer 'Gene_acc' index became the one 'sample'."""
    rng = np.random.default_rng(111)
    n = 6
    frame = pd.DataFrame({"Gene_acc": [3, 17, 18, 40, 52, 77], "Gene_id": [f"Tb927.5.{4450 + i}" for i in range(n)],
                          "logFC": rng.normal(0, 1, n), "log_AveExpr": rng.normal(18, 1, n),
                          "FDR": rng.uniform(0, 0.1, n), "Desc": ["hypothetical protein"] * n})
    path = tmp_path / "indata_64.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "not a protein-level quantity table" in message


def test_a_diann_protein_matrix_with_a_proteotypic_column_reads_only_its_runs(tmp_path):
    """An edited DIA-NN pg_matrix carrying pr_matrix's 'Proteotypic' flag read it as a 17th run."""
    rng = np.random.default_rng(112)
    runs = [f"C:\\DIA-NN\\Sple-{g}-0{r}_Slot1-0{r}_1_3898.d" for g in ("WT", "KO") for r in (1, 2)]
    frame = pd.DataFrame({"Protein.Group": ["P10000", "P10001", "P10002"], "Protein.Ids": ["P10000", "P10001", "P10002"],
                          "Protein.Names": ["A_HUMAN", "B_HUMAN", "C_HUMAN"], "Genes": ["A", "B", "C"],
                          "First.Protein.Description": ["a", "b", "c"], "Proteotypic": [1, 1, 0],
                          **{run: rng.uniform(1e6, 1e8, 3).round(0) for run in runs}})
    path = tmp_path / "report.pg_matrix.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert adata.uns["source"]["format"] == "diann" and adata.n_obs == 4
    assert "Proteotypic" not in adata.uns["source"]["sample_columns"]


def test_a_sample_annotation_whose_sample_column_has_its_own_name_is_named_a_sample_sheet(tmp_path):
    """Tercen's sample annotation: the first column ('Colnames') lists another table's quantity columns, the
    others are text design attributes (Replicates, Group, Experiment); no number at all. It was refused only as
    'no numeric sample columns', not named for what it is."""
    rows = [f"LFQ intensity {g}_{c}_{r};{g};{c};rep{r};supergroup1;{'treatment' if g == 'KO' else 'control'};OCD"
            for g in ("KO", "WT") for c in ("BioID", "GFP") for r in (1, 2, 3)]
    path = tmp_path / "sample_annotation.csv"
    path.write_bytes(("Colnames;PhenoType;Construct;Replicates;SuperGroup;Group;Experiment\r\n"
                      + "\r\n".join(rows) + "\r\n").encode())
    message = refusal_of(path)
    assert "sample sheet" in message and "'Replicates'" in message and "'Group'" in message


def test_two_design_named_text_columns_alone_do_not_name_a_protein_table_a_sample_sheet(tmp_path):
    """The sample-sheet naming needs no numbers AND two design attributes: an annotation table with one text
    'Group' column is still refused as no quantity table, without being called a sample sheet."""
    path = tmp_path / "annotation.tsv"
    path.write_text("Protein\tGroup\tDescription\nP02768\tcarrier\tAlbumin\nP01023\tinhibitor\tA2M\n")
    message = refusal_of(path)
    assert "sample sheet" not in message and "no numeric sample columns" in message


def test_an_accession_column_beside_a_gene_column_identifies_the_rows(tmp_path):
    """A limma input (shaqiq): 'id' holds a UniProt accession in every row, 'gene' a symbol that one row lacks.
    The gene column was taken as the identifier and the file refused for that row's empty identifier; the
    accessions identify every protein and the symbols annotate them."""
    rng = np.random.default_rng(113)
    frame = pd.DataFrame({"id": ["P19137", "P16546", "Q80UB0", "Q62165"], "gene": ["Lama1", "Sptan1", "", "Dag1"],
                          **{f"{g}_{n}": rng.uniform(1e9, 1e11, 4).round(0) for g, n in
                             (("trt", 31578), ("trt", 31580), ("ctrl", 31579), ("ctrl", 31581))}})
    path = tmp_path / "limma_input.csv"
    frame.to_csv(path, index=False)
    adata = read_quietly(path)
    assert adata.n_obs == 4 and adata.n_vars == 4
    assert list(adata.var_names) == ["P19137", "P16546", "Q80UB0", "Q62165"]
    assert adata.uns["source"]["sample_columns"] == ["trt_31578", "trt_31580", "ctrl_31579", "ctrl_31581"]
    assert adata.var["gene"].tolist()[:2] == ["Lama1", "Sptan1"]
    np.testing.assert_array_equal(np.asarray(adata.X)[0], frame["trt_31578"].to_numpy())


def test_a_gene_column_stays_the_identifier_when_no_column_holds_accessions_throughout(tmp_path):
    """The accession column must be complete: an 'id' column with a gap (or of other text) leaves the gene
    column the identifier."""
    path = tmp_path / "genes.tsv"
    path.write_text("id\tgene\tS1\tS2\nP19137\tLama1\t1.5\t2.5\n\tSptan1\t3.5\t4.5\nQ62165\tDag1\t5.5\t6.5\n")
    adata = read_quietly(path)
    assert list(adata.var_names) == ["Lama1", "Sptan1", "Dag1"]
