"""What blind batch 13 of the held-out files found (benchmarks/README.md, "Held-out batch 13"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pytest
import pandas as pd

from conftest import read_quietly, refusal_of


def test_a_phosphopeptide_table_with_modification_notation_is_a_peptide_table(tmp_path):
    """NAguideR's phospho example: 'Peptides' holds modified sequences (S[Phospho (STY)]), 'Uniprot_IDs' repeats:
    it was read as 20 samples of 3,327 'proteins'."""
    rng = np.random.default_rng(131)
    peptides = ["MLISAVS[Phospho (STY)]PEIR", "KINS[Phospho (STY)]APS[Phospho (STY)]S[Phospho (STY)]PIK",
                "AAGS(ph)PEPTIDEK", "_LLEDS(ph)EDSR_", "GDLT(Phospho)PLEK"]
    frame = pd.DataFrame({"Peptides": peptides, "Charges": [2, 2, 3, 2, 2],
                          "Uniprot_IDs": ["A0AVK6", "A0AVK6", "P12345", "P12345", "Q99999"],
                          **{f"Phos_Cyc_{i}": rng.uniform(1e4, 1e6, 5).round(2) for i in (1, 2, 3)}})
    path = tmp_path / "Phospho_Exampledata3.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "peptide-level table" in message and "'Peptides'" in message


def test_sample_names_with_digits_and_underscores_are_not_peptides(tmp_path):
    """The modification notation read past is brackets, signed mass shifts and flanks only: a design's sample
    names (MIAPACA_AG205_1) stay sample names, its sheet is still refused as a sample sheet."""
    path = tmp_path / "design.txt"
    path.write_text("samples\tgroups\n" + "\n".join(f"MIAPACA_AG205_{i}\tMIAPACA_AG205" for i in range(1, 6)) + "\n"
                    + "\n".join(f"PGRMC_{i}\tPGRMC" for i in range(1, 6)) + "\n")
    message = refusal_of(path)
    assert "peptide" not in message


def test_a_one_word_entrez_column_is_not_a_sample_of_a_log_ratio_table(tmp_path):
    """MoTrPAC's TMT table of log2 ratios to the reference: 'EntrezGene' (integers) was taken as a sample, which
    made the table 'linear' and its negative ratios an error."""
    rng = np.random.default_rng(132)
    n = 6
    frame = pd.DataFrame({"UniProtAccFull": [f"P{10000 + i}" for i in range(n)], "UniProtAcc": [f"P{10000 + i}" for i in range(n)],
                          "UniProtName": [f"G{i}_RAT" for i in range(n)], "Gene": [f"G{i}" for i in range(n)],
                          "EntrezGene": [304816 + i for i in range(n)],
                          **{f"{g}_0{r}": rng.normal(0, 0.5, n) for g in ("R", "S") for r in (1, 2, 3)}})
    path = tmp_path / "tmt_fractionated_global.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert adata.n_obs == 6 and "EntrezGene" in source["unread_columns"] and source["is_log2"]


def test_a_sample_sheet_of_indicator_columns_is_refused_as_a_sample_sheet(tmp_path):
    """TurboOmics' metadata: 0/1 'Ig' and 'Control' columns beside a text 'Group' were read as 2 samples of 18
    'proteins'."""
    rows = [f"LD{2169 + i}\t{i + 1}\tA12\t{i % 2}\t{1 - i % 2}\tTMT1\t12{7 + i % 3}_C" for i in range(8)]
    path = tmp_path / "main_metadata.tsv"
    path.write_text("Seqn\tID\tGroup\tIg\tControl\tTMT\tTag\n" + "\n".join(rows) + "\n")
    message = refusal_of(path)
    assert "sample sheet" in message and "0 and 1" in message


def test_a_presence_matrix_of_proteins_is_still_read(tmp_path):
    """0/1 values under protein accessions are a detection matrix, not indicators of a sheet."""
    path = tmp_path / "presence.tsv"
    path.write_text("Protein\tGroup\tS1\tS2\nP02768\tcarrier\t1\t0\nP01023\tinhibitor\t1\t1\nP00738\tcarrier\t0\t1\n")
    adata = read_quietly(path)
    assert adata.n_obs == 2 and adata.n_vars == 3


def test_a_series_of_settings_saved_as_csv_is_a_parameters_file(tmp_path):
    """AlphaPept's settings as a pandas Series CSV (header ',0'): refused as no numeric sample columns."""
    path = tmp_path / "alphapept_0.4.9.csv"
    path.write_text(",0\nsoftware_name,AlphaPept\nsoftware_version,0.4.9\nsearch_engine,AlphaPept\n"
                    "fdr_level,0.01\nmax_missed_cleavages,2\nprecursor_tolerance_ppm,20\n")
    assert "parameters file" in refusal_of(path)


@pytest.mark.parametrize("name, text, kind", [
    ("normalyzer_rawdata.txt",  # Proteome Discoverer PSMs as R re-saves them
     "Checked\tConfidence\tIdentifying.Node\tPSM.Ambiguity\tMaster.Protein.Accessions\tM_1\tM_2\n"
     "False\tHigh\tSequest HT (A2)\tUnambiguous\tA0A0B4J2D5\t60.4\t111.1\n"
     "False\tHigh\tSequest HT (A2)\tUnambiguous\tA0A0B4J2D5\t15.8\t28\n", "PSM table"),
    ("iPRG_runsummary.csv",  # an MSstats-style run summary, long
     '"Protein","Log2Intensity","Run","Condition","BioReplicate","Intensity","TechReplicate"\n'
     '"sp|D6VTK4|STE2_YEAST",26.81,"s1_B.raw","Condition1",1,117845015.7,"B"\n'
     '"sp|D6VTK4|STE2_YEAST",26.60,"s1_C.raw","Condition1",1,102273601.6,"C"\n', "MSstats"),
    ("small_legacy_intermediate.txt",  # ProteoBench's precursor table
     ",precursor ion,log2_A_vs_B,run_A1,run_B1,log2_expectedRatio\n0,E/2,-2.0,5.0,20.0,-2.0\n1,H/2,0.0,10.0,10.0,0.0\n",
     "precursor"),
    ("meningitis_phenotype.csv", "Aliquot_ID,Group\nBM_1,BM\nBM_2,BM\nC_1,control\nC_2,control\n", "sample sheet"),
    ("total_protein_sig_logFC_padj.tsv",  # a PD-style ratio result: '(A) / (B)' columns are comparisons
     "Gene Symbol\tAccession\t(G12D_KO) / (G12D_WT)\tAdj. P-Value: (G12D_KO) / (G12D_WT)\tlog2 (G12D_KO) / (G12D_WT)\n"
     "Ctrc\tQ3SYP2\t11.519\t1.07e-15\t3.52\nSynpo2\tQ91YE8\t17.052\t1.07e-15\t4.09\nYipf4\tQ8C407\t0.1\t1.0e-3\t-3.3\n",
     "differential-result table"),
])
def test_tables_of_batch_13a_are_refused_by_kind(tmp_path, name, text, kind):
    """Each was refused for a side effect (a negative 'quantity', a long format, a repeated column) or without
    saying what it is."""
    path = tmp_path / name
    path.write_text(text)
    assert kind in refusal_of(path)
