"""What blind batch 10 of the held-out files found (issue 15), each finding a general rule kept as data and a
test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import read_quietly, refusal_of


def test_a_tmt_sample_sheet_with_an_age_in_days_is_refused_as_a_sample_sheet(tmp_path):
    """lungdev: a TMT design (Donor, Age_Days, Channel Order, Channel) was read as one sample 'Age_Days' of
    11 donor "proteins"; an age or time with its unit is a design attribute (data/sample_sheet_columns.tsv)."""
    donors = [f"D{n:03d}" for n in (5, 19, 4, 47, 36, 12, 8)]
    frame = pd.DataFrame({
        "Donor": donors, "Age_Days": [1, 1, 5, 12, 30, 90, 365],
        "Nominal_Age": ["1 day", "1 day", "1 wk", "2 wk", "1 mo", "3 mo", "1 yr"],
        "Experiment": [f"hLM_Biop_{d}_P" for d in donors], "Channel Order": list(range(1, 8)),
        "Channel": ["126", "127N", "127C", "128N", "128C", "129N", "129C"],
    })
    path = tmp_path / "TMT_metadata.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "sample sheet" in message and "'Age_Days'" in message


def test_a_run_list_keyed_by_lims_resource_numbers_is_refused_as_a_sample_sheet(tmp_path):
    """diannrunner: a B-Fabric dataset.csv (Resource, Relative Path, Name, Grouping Var ...) was read as one
    sample 'Resource' of 6 raw-file "proteins"."""
    names = [f"LFQ_Orbitrap_Condition_{c}_Sample_Alpha_0{i}" for c in "AB" for i in (1, 2, 3)]
    frame = pd.DataFrame({
        "Resource": [2521817 + i for i in range(6)],
        "Relative Path": [f"p35517/Proteomics/QEXACTIVE_1/{n}.raw" for n in names],
        "Name": names, "Grouping Var": list("AAABBB"), "CONTROL": list("CCCTTT"), "File": [f"{n}.raw" for n in names],
    })
    path = tmp_path / "dataset.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "sample sheet" in message and "'Resource'" in message


def test_a_results_table_of_centred_group_values_is_refused(tmp_path):
    """phrt: a DEP/FragPipe-Analyst results table (p.adj, ratio, significant and per-group '<group>_centered'
    columns) was read as 3 samples, the centred group values; beside the tests they are no samples."""
    rng = np.random.default_rng(10)
    n = 6
    groups = ("CD34High", "CD34Low", "CD34Neg")
    pairs = [(a, b) for i, a in enumerate(groups) for b in groups[i + 1:]]
    frame = {"name": [f"GENE{i}" for i in range(n)], "ID": [f"P{20000 + i}" for i in range(n)]}
    for a, b in pairs:
        frame[f"{a}_vs_{b}_p.adj"] = rng.uniform(0, 1, n).round(4)
    for a, b in pairs:
        frame[f"{a}_vs_{b}_significant"] = rng.uniform(0, 1, n) < 0.3
    for a, b in pairs:
        frame[f"{a}_vs_{b}_ratio"] = rng.normal(0, 3, n).round(3)
    for g in groups:
        frame[f"{g}_centered"] = rng.normal(0, 2, n).round(3)
    path = tmp_path / "LFQ_results.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    message = refusal_of(path)
    assert "not a protein-level quantity table" in message and "differential-result" in message


def test_centred_sample_columns_without_statistics_are_still_read(tmp_path):
    """The '_centered' rule holds only beside a test statistic: a matrix of centred samples is read."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"Protein": [f"P{30000 + i}" for i in range(5)],
                          **{f"S{i}_centered": rng.normal(0, 1, 5).round(3) for i in range(1, 4)}})
    path = tmp_path / "centred.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path, is_log2=True)
    assert list(adata.uns["source"]["sample_columns"]) == ["S1_centered", "S2_centered", "S3_centered"]


def test_a_jtk_cycle_rhythmicity_result_is_refused(tmp_path):
    """liver: a JTK_CYCLE result (CycID, BH.Q, ADJ.P, PER, LAG, AMP) was read as 4 samples; BH.Q is a
    corrected q-value and period, lag and amplitude are rhythm estimates beside it."""
    rng = np.random.default_rng(12)
    n = 6
    frame = pd.DataFrame({
        "CycID": ["Syne2", "Tpr", "Ranbp2", "Plec", "Ahnak", "Myh9"], "BH.Q": rng.uniform(0, 1, n).round(3),
        "ADJ.P": rng.uniform(0, 1, n).round(3), "PER": rng.choice([20, 24, 28], n), "LAG": rng.choice([0, 6, 12, 18], n),
        "AMP": rng.uniform(0, 0.2, n),
    })
    path = tmp_path / "JTKresult_proteomics_data.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "not a protein-level quantity table" in message and "'BH.Q'" in message


def test_a_newer_peaks_protein_peptides_export_is_refused_as_peptide_level(tmp_path):
    """huvec, munk: PEAKS' protein-peptides.csv without the Used/Candidate columns was taken for a PEAKS
    protein table missing its Accession; it is a peptide-level table (data/non_protein_tables.tsv)."""
    rng = np.random.default_rng(13)
    n = 4
    frame = {"Protein Group": [1, 1, 2, 3], "Protein ID": [31, 31, 7, 9],
             "Protein Accession": ["Q09666|AHNK_HUMAN"] * 2 + ["P35579|MYH9_HUMAN", "P21333|FLNA_HUMAN"],
             "Peptide": ["K.IKGDVPSVGLEGPDVDLQGPEAK.I", "K.GDVPSVGLEGPDVDLQGPEAK.I", "R.LQQELDDLLVDLDHQR.Q",
                         "K.VTAQGPGLEPSGNIANK.T"],
             "Unique": ["Y"] * n, "-10lgP": rng.uniform(20, 130, n).round(2), "z": [3, 2, 3, 2]}
    for sample in ("N5_1", "N5_2", "T2_1"):
        frame[f"Area {sample}"] = rng.uniform(1e3, 1e4, n).round(1)
    path = tmp_path / "protein-peptides.csv"
    pd.DataFrame(frame).to_csv(path, index=False)
    message = refusal_of(path)
    assert "PEAKS protein-peptides" in message and "peptide" in message


def test_a_one_column_table_is_refused_as_one_single_column(tmp_path):
    """lxmetpro: a workbook (a delimited text of one column is refused earlier, for its missing delimiter) of one column of UniProt accessions was refused as 'the table has 1 column(s)';
    the refusal now says what the file is, naming its column."""
    path = tmp_path / "proteins.xlsx"
    pd.DataFrame({"Protein_Uniprot": ["P02768", "P01024", "P0C0L4", "P02787"]}).to_excel(path, index=False)
    message = refusal_of(path)
    assert "one single column 'Protein_Uniprot'" in message and "not a protein-level quantity table" in message


def test_a_sample_sheet_repeating_its_sample_names_is_refused_as_a_sample_sheet(tmp_path):
    """yuqing: a design (Intensity.column, Digest.stage, Sample, Replicate) repeats each sample over its
    replicates; its only numbers are replicate numbers, so it is a sample sheet, not a long table of quantities."""
    samples = ["C80UR", "C80R", "F60UR", "F60R"]
    frame = pd.DataFrame({
        "Intensity.column": [f"Intensity KH10{i:02d}_Bov_{s}_rT{r}" for i, (s, r) in
                             enumerate((s, r) for s in samples for r in (1, 2, 3))],
        "Digest.stage": ["Intestinal"] * 6 + ["Gastric"] * 6,
        "Sample": [s for s in samples for _ in range(3)], "Replicate": [1, 2, 3] * 4,
    })
    path = tmp_path / "Intensity_columns.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "sample sheet" in message and "'Replicate'" in message


def test_a_long_table_of_quantities_is_still_refused_as_long_format(tmp_path):
    """The sample-sheet reading of a long table needs every number to be a design attribute: a long table
    with an intensity column stays a long-format refusal."""
    frame = pd.DataFrame({"Protein": ["P1", "P1", "P2", "P2"], "Sample": ["a", "b", "a", "b"],
                          "Replicate": [1, 1, 1, 1], "Intensity": [1e5, 2e5, 3e5, 4e5]})
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    assert "long-format" in refusal_of(path)


def test_a_flippr_protein_summary_is_refused_naming_its_kind(tmp_path):
    """flippr: a FLiPPR protein summary workbook (counts of valid and significant peptides and cut sites) was
    refused as a FragPipe table without MaxLFQ columns; it is a comparison's summary (data/non_protein_tables.tsv)."""
    frame = pd.DataFrame({
        "Protein ID": ["P00350", "P0A6F5"], "Protein": ["sp|P00350|6PGD_ECOLI", "sp|P0A6F5|CH60_ECOLI"],
        "Entry Name": ["6PGD_ECOLI", "CH60_ECOLI"], "Gene": ["gnd", "groL"], "Mapped Genes": ["", ""],
        **{f"No. of Valid {what}": [140, 98] for what in ("Modified Peptides", "Peptides", "Cut Sites")},
        **{f"No. of Significant {what} ({p})": [46, 12] for what in ("Modified Peptides", "Peptides", "Cut Sites")
           for p in ("P-value", "Adj. P-value")},
    })
    path = tmp_path / "Native_v_Refolded_001_min_flippr_protein_summary.xlsx"
    frame.to_excel(path, index=False)
    message = refusal_of(path)
    assert "FLiPPR" in message and "not a protein-level quantity table" in message


def test_maxquant_identifiers_beside_another_programs_sample_columns_are_read_as_a_generic_matrix(tmp_path):
    """wombat: NormalyzerDE's median-normalized.txt keeps MaxQuant's Protein.IDs, Majority.protein.IDs and
    Fasta.headers beside its own 'Sample.1_Tr_1' columns (no MaxQuant quantity column); it was refused as a
    proteinGroups without LFQ columns and is read as the generic log2 matrix it is."""
    rng = np.random.default_rng(14)
    n = 5
    frame = pd.DataFrame({"Protein.IDs": [f"P{40000 + i}" for i in range(n)],
                          "Majority.protein.IDs": [f"P{40000 + i}" for i in range(n)], "Fasta.headers": [""] * n,
                          **{f"Sample.{s}_Tr_{r}": rng.normal(24, 2, n).round(6) for s in (1, 2) for r in (1, 2, 3)}})
    frame.iloc[0, 3] = np.nan
    path = tmp_path / "median-normalized.txt"
    frame.to_csv(path, sep="\t", index=False, na_rep="NA")
    adata = read_quietly(path)
    assert adata.uns["source"]["format"] == "generic"
    assert adata.shape == (6, 5)
    assert list(adata.uns["source"]["sample_columns"])[:2] == ["Sample.1_Tr_1", "Sample.1_Tr_2"]
    np.testing.assert_allclose(adata.X[1], frame["Sample.1_Tr_2"].to_numpy())


def test_a_clinical_table_with_a_numeric_sex_and_age_is_refused_as_a_sample_sheet(tmp_path):
    """rfbds: a TCGA clinical table (Gender and age codes beside stage and cluster codes) was read until a
    negative cluster code was refused as a 'negative quantity'; a numeric age or sex marks a sample sheet by
    itself (data/sample_sheet_columns.tsv, alone = yes)."""
    frame = pd.DataFrame({
        "Complete TCGA ID": ["A2-A0T2", "A2-A0CM", "BH-A18V", "E2-A1B6", "AO-A12F"], "Gender": [1, 1, 1, 1, 1],
        "Age at Initial Pathologic Diagnosis": [66, 40, 48, 51, 36], "ER Status": ["Negative"] * 5,
        "Tumor": [3, 2, 2, 1, 2], "OS Time": [240, 754, 1555, 1002, 286],
        "SigClust Intrinsic mRNA": [-13, -13, -6, -3, 0], "PAM50 mRNA": ["Basal-like"] * 5,
    })
    path = tmp_path / "clinical_clean_aug_data.tsv"
    frame.to_csv(path, sep="\t", index=False)
    message = refusal_of(path)
    assert "sample sheet" in message and "'Age at Initial Pathologic Diagnosis'" in message


def test_a_protein_database_table_with_a_hits_count_is_not_read_as_one_sample(tmp_path):
    """refold2 (its carriage returns removed): a protein database dump (ids, names, notes and a 'hits'
    count) was read as one sample 'hits' of 760 proteins; a hit count is a count property
    (data/non_sample_columns.tsv), so nothing is left to read as a sample."""
    frame = pd.DataFrame({"protein_id": [38, 39, 40, 41], "user_id": [4, 4, 4, 5], "family_id": [24, 25, 26, 27],
                          "name": ["Plasminogen Activator Inhibitor-1", "PDE7A", "Aequorin", "Neuroserpin"],
                          "name_short": ["PAI-1", "PDE7A1", "Aeq", "NS"], "notes": ["", "catalytic domain", "", ""],
                          "hits": [2148, 2806, 2511, 1990]})
    path = tmp_path / "protein.tsv"
    frame.to_csv(path, sep="\t", index=False)
    message = refusal_of(path)
    assert "not a protein-level quantity table" in message
