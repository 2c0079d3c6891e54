"""What blind batch 7 of the held-out files found (benchmarks/README.md, "Held-out batch 7"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from conftest import read_quietly, refusal_of


_read = read_quietly


def test_maxquant_channel_totals_beside_experiments_are_not_channels(tmp_path):
    """MSstatsTMT's proteinGroups: MaxQuant writes each channel summed over experiments beside the
    per-experiment channels; the totals must not join them (160 'channels' for 150)."""
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"Protein IDs": ["P10000", "P10001", "P10002"], "Gene names": ["A1", "B2", "C3"]})
    per_experiment = {f"Reporter intensity corrected {c} M{e}": rng.uniform(1e4, 1e6, 3) for e in (1, 2) for c in range(3)}
    totals = {f"Reporter intensity corrected {c}": per_experiment[f"Reporter intensity corrected {c} M1"]
              + per_experiment[f"Reporter intensity corrected {c} M2"] for c in range(3)}
    frame = pd.concat([frame, pd.DataFrame(totals), pd.DataFrame(per_experiment)], axis=1)
    frame["Potential contaminant"] = ""
    frame["Reverse"] = ""
    path = tmp_path / "proteinGroups.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = _read(path)
    source = adata.uns["source"]
    assert source["sample_columns"] == list(per_experiment)
    assert adata.n_obs == 6 and sorted(set(adata.obs["experiment"])) == ["M1", "M2"]
    np.testing.assert_array_equal(adata.X[0], per_experiment["Reporter intensity corrected 0 M1"])
    for column in totals:
        assert column in source["unread_columns"]
        assert "summed over all experiments" in source["unread_reasons"][source["unread_columns"].index(column)]


def test_a_single_experiment_reporter_table_keeps_its_experiment_less_channels(tmp_path):
    frame = pd.DataFrame({"Protein IDs": ["P10000", "P10001"], **{f"Reporter intensity corrected {c}": [1.0 + c, 2.0]
                                                                 for c in range(4)}})
    path = tmp_path / "proteinGroups.txt"
    frame.to_csv(path, sep="\t", index=False)
    assert _read(path).n_obs == 4


def test_a_limma_top_table_is_a_differential_result_not_two_samples(tmp_path):
    """RR-proteomics' 2Dv3Do.tsv: topTable's t and B were read as two samples."""
    frame = pd.DataFrame({"ID": ["SRSF2", "SRSF6", "ACTB"], "logFC": [2.4, 2.3, -0.1], "AveExpr": [21.3, 19.8, 25.0],
                          "t": [6.6, 6.1, -0.2], "P.Value": [4.9e-6, 1.5e-5, 0.8], "adj.P.Val": [1e-4, 3e-4, 0.9],
                          "B": [4.3, 3.2, -7.0], "Category": ["Up", "Up", "None"], "Label": ["SRSF2", "SRSF6", "ACTB"]})
    path = tmp_path / "2Dv3Do.tsv"
    frame.to_csv(path, sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="differential-result table"):
        _read(path)


def test_samples_named_t_and_b_are_samples_without_statistics_beside_them(tmp_path):
    frame = pd.DataFrame({"Gene": ["SRSF2", "SRSF6", "ACTB"], "t": [1.0e6, 2.0e6, 3.0e6], "B": [1.5e6, 2.5e6, 3.5e6]})
    path = tmp_path / "lots.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert _read(path).uns["source"]["sample_columns"] == ["t", "B"]


def test_a_peptide_count_column_is_no_sample(tmp_path):
    """An msqrob result: its Peptide_Number count was read as a 19th sample."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({f"X2D{i}": rng.uniform(18, 22, 4) for i in range(1, 4)})
    frame["Gene"] = ["AAAS_HUMAN", "AACS_HUMAN", "AAK1_HUMAN", "AAMP_HUMAN"]
    frame["Peptide_Number"] = [9, 3, 4, 12]
    frame["X2D_vs_2Dxeno_FC"] = rng.normal(0, 1, 4)
    frame["X2D_vs_2Dxeno_pval"] = rng.uniform(0, 1, 4)
    path = tmp_path / "msqrob.tsv"
    frame.to_csv(path, sep="\t", index=False)
    source = _read(path).uns["source"]
    assert source["sample_columns"] == ["X2D1", "X2D2", "X2D3"]
    assert "Peptide_Number" in source["ignored_columns"]


def test_a_peptide_matrix_under_an_unnamed_column_is_refused_as_peptides(tmp_path):
    """diffacto's HBY20Mix.peptides.tsv: peptide sequences under a blank header were read as 100 proteins."""
    peptides = ["AAADALSDLELK", "AAAEGVANLHLDEATGEMVSK", "AAFDDAIAELDTLSEESYK", "ADLINNLGTIAK"]
    text = "\tRUN_1\tRUN_2\n" + "".join(f"{p}\t{1e6 + i}\t{2e6 + i}\n" for i, p in enumerate(peptides))
    path = tmp_path / "peptides.tsv"
    path.write_text(text)
    with pytest.raises(SecretomeInputError, match="peptide-, ion- or spectrum-level table"):
        _read(path)


def test_gene_symbols_under_an_unnamed_column_still_read(tmp_path):
    text = "\tRUN_1\tRUN_2\n" + "".join(f"{g}\t{1e6 + i}\t{2e6 + i}\n" for i, g in enumerate(["GAPDH", "ACTIN", "CALR", "VIM"]))
    path = tmp_path / "genes.tsv"
    path.write_text(text)
    assert _read(path).n_vars == 4


def test_a_clinical_table_is_refused_not_read_by_its_sex_column(tmp_path):
    """CHIVAS' patient table: 'Sex' (F/M) became the 'proteins' F, F#2, ... and the clinical numbers samples."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"Patient_ID": range(1, 21), "Age": rng.uniform(18, 40, 20), "Sex": ["F", "M"] * 10,
                          "Outcome": ["Pharyngitis"] * 20, "Peak CRP": rng.integers(5, 90, 20)})
    path = tmp_path / "patients.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(SecretomeInputError, match="repeats its values .2 distinct in 20 rows"):
        _read(path)


def test_a_table_of_raw_files_is_a_sample_sheet(tmp_path):
    """PyProteomics' metadata.csv: runs named by their .d paths were read as 'proteins'."""
    names = [f"Z:\\Data\\run_{i}_C{i}_1_20{i:02d}.d" for i in range(1, 9)]
    frame = pd.DataFrame({"Name": names, "Slide": [2] * 8, "Scene": range(1, 9), "Area": np.linspace(3e4, 5e4, 8)})
    path = tmp_path / "metadata.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(SecretomeInputError, match="sample sheet .column 'Name' names raw files"):
        _read(path)


def test_genes_repeated_now_and_then_still_read(tmp_path):
    frame = pd.DataFrame({"Gene": ["A1", "B2", "C3", "C3", "D4", "E5", "F6", "G7"], "S1": np.arange(8.0) + 1,
                          "S2": np.arange(8.0) + 2})
    path = tmp_path / "genes.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert _read(path).n_vars == 8


# Engine tables that are not protein quantities, recognised by their documented column lists so that the
# refusal says what the file is (batch 7 refused them for a side effect: a list-valued cell, a repeated
# sample name, a first column of file names).
_NON_PROTEIN_SHAPES = {
    "a DIA-NN run statistics table": (
        ["File.Name", "Precursors.Identified", "Proteins.Identified", "Total.Quantity", "MS1.Signal", "FWHM.RT", "Condition"],
        [["E:\\raw\\run_1.d", "23889", "4453", "4,65453E+13", "1,06705E+11", "0.055", "Relapse"],
         ["E:\\raw\\run_2.d", "29132", "4968", "9,65976E+13", "1,10591E+11", "0.06", "Primary"]]),
    "a MaxQuant summary.txt": (
        ["Raw file", "Enzyme", "Enzyme mode", "Multiplicity", "Max. missed cleavages", "MS", "MS/MS", "MS/MS submitted"],
        [["run_1", "Trypsin/P", "Specific", "1", "2", "12000", "30000", "29000"],
         ["run_2", "Trypsin/P", "Specific", "1", "2", "12500", "31000", "30500"],
         ["Total", "", "", "", "", "24500", "61000", "59500"]]),
    "a PeptideShaker PSM report": (
        ["", "Protein(s)", "Sequence", "Position", "Spectrum File", "Spectrum Title", "Measured Charge", "RT"],
        [["1", "P12345;P23456", "PEPTIDEK", "545;538", "run1.mgf", "scan=1", "2+", "1200.5"],
         ["2", "P34567", "SAMPLER", "12", "run1.mgf", "scan=2", "3+", "1300.1"]]),
    "a MetaMorpheus/FlashLFQ PSM table": (
        ["File Name", "Scan Number", "Precursor Charge", "Score", "Quantification Intensity", "Protein Accession",
         "Base Sequence", "Full Sequence"],
        [["run1", "10", "2", "12.1", "1.5e6", "P12345", "PEPTIDEK", "PEPTIDEK"],
         ["run2", "11", "2", "13.4", "2.5e6", "P12345", "PEPTIDEK", "PEPTIDEK"]]),
    "an MSstats/MSstatsTMT comparison result": (
        ["Protein", "Label", "log2FC", "SE", "DF", "pvalue", "adj.pvalue", "issue"],
        [["P12345", "A-B", "0.5", "0.1", "6", "0.01", "0.02", "NA"],
         ["P12345", "A-C", "-0.2", "0.1", "6", "0.2", "0.3", "NA"],
         ["P23456", "A-B", "1.1", "0.2", "6", "0.001", "0.004", "NA"]]),
    "a calisp isotope summary": (
        ["file", "bins", "% label", "ratio", "peptide", "psm_mz", "n(patterns)", "mean intensity"],
        [["run1.raw", "bin1", "1.1", "0.011", "PEPTIDEK", "512.3", "4", "1e6"],
         ["run2.raw", "bin1", "1.2", "0.012", "SAMPLER", "600.2", "3", "2e6"]]),
    "a FragPipe psm.tsv": (
        ["Spectrum", "Spectrum File", "Peptide", "Modified Peptide", "Prev AA", "Next AA", "Peptide Length",
         "Charge", "Calibrated Observed Mass", "Protein ID", "Intensity"],
        [["a.01.01.2", "interact-a.pep.xml", "DSHHPAR", "DSHHPAR", "K", "T", "7", "2", "1122.58", "P12345", "1e5"],
         ["a.02.02.2", "interact-a.pep.xml", "SAMPLER", "SAMPLER", "K", "A", "7", "2", "800.4", "P23456", "2e5"]]),
}


@pytest.mark.parametrize("kind", sorted(_NON_PROTEIN_SHAPES))
def test_engine_non_protein_tables_are_refused_by_what_they_are(tmp_path, kind):
    header, rows = _NON_PROTEIN_SHAPES[kind]
    path = tmp_path / "table.tsv"
    path.write_text("\n".join("\t".join(row) for row in [header, *rows]) + "\n", encoding="utf-8")
    with pytest.raises(SecretomeInputError) as refused:
        _read(path)
    message = str(refused.value)
    assert f"this is {kind}" in message
    assert "not a protein-level quantity table" in message


def test_a_sample_sheet_of_one_plex_is_a_sample_sheet_not_a_long_table(tmp_path):
    """A TMT study's metadata: every row names the same protein.tsv in its 'file' column beside condition,
    replicate, sex and age -- one file repeated is no long table of several samples."""
    rows = [[f"channel_{126 + i}", ["control", "case"][i % 2], f"rep{i // 2 + 1}", "plex1_protein.tsv",
             "mf"[i % 2], str(40 + i)] for i in range(6)]
    path = tmp_path / "metadata.csv"
    path.write_text("\n".join(",".join(row) for row in [["col.name", "condition", "rep", "file", "sex", "age"], *rows]) + "\n",
                    encoding="utf-8")
    message = refusal_of(path)
    assert "this is a sample sheet of one run" in message and "'condition'" in message
    assert "long-format" not in message


def test_a_long_table_of_several_runs_stays_long_format(tmp_path):
    """The one-run rule must not swallow a real long table: runs that repeat over features stay long-format."""
    rows = [[f"P1000{p}", f"run{r}", ["A", "B"][r % 2], str(r), f"{1e5 * (p + 1) + r}"] for p in range(3) for r in range(4)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(",".join(row) for row in [["Protein", "Run", "Condition", "BioReplicate", "Intensity"], *rows]) + "\n",
                    encoding="utf-8")
    assert "long-format" in refusal_of(path)


def test_an_r_resaved_identifier_column_is_found_under_its_make_names_spelling(tmp_path):
    """amica's mq_custom.tsv: R wrote 'Majority protein IDs' as 'Majority.protein.IDs'; the identifiers must
    come from it, not from 'Gene.names' (whose empty cells refused the file)."""
    path = tmp_path / "mq_custom.tsv"
    path.write_text("Majority.protein.IDs\tGene.names\tLFQIntensity_a.1\tLFQIntensity_b.2\n"
                    "P10000;P10001\tA1\t100\t200\n"
                    "P10002\t\t300\t400\n"
                    "P10003\tC3\t500\t\n", encoding="utf-8")
    adata = _read(path)
    assert adata.uns["source"]["identifier_column"] == "Majority.protein.IDs"
    assert adata.n_vars == 3 and adata.n_obs == 2
    np.testing.assert_array_equal(adata.X[:, 1], [300.0, 400.0])


def test_a_text_only_table_with_diann_protein_columns_is_no_pg_matrix(tmp_path):
    """PyProteomics' contaminant list: DIA-NN's Protein.Group/Genes/Protein.Names beside a text 'Species'
    column is an annotation table, refused as such -- not for the non-numeric cell 'ACHLY'."""
    path = tmp_path / "contaminants_qc.csv"
    path.write_text("Protein.Group,Genes,Protein.Names,Species\nCont_P15636,,API_ACHLY,ACHLY\n"
                    "Cont_P15497,APOA1,APOA1_BOVIN,BOVIN\nCont_P02769,ALB,ALBU_BOVIN,BOVIN\n", encoding="utf-8")
    message = refusal_of(path)
    assert "this is a protein annotation table" in message and "not a protein-level quantity table" in message
    assert "'Species'" in message


def test_a_pg_matrix_with_one_text_cell_keeps_its_cell_error(tmp_path):
    """The annotation rule must not hide a real pg_matrix's bad cell: a run column with numbers keeps the error."""
    path = tmp_path / "report.pg_matrix.tsv"
    path.write_text("Protein.Group\tGenes\tProtein.Names\tD:\\\\run_1.d\tD:\\\\run_2.d\n"
                    "P10000\tA1\tA1_HUMAN\t100\tx\nP10001\tB2\tB2_HUMAN\t200\t300\n", encoding="utf-8")
    message = refusal_of(path)
    assert "non-numeric value 'x'" in message


def test_sample_names_with_points_and_underscores_are_not_split_into_tied_families(tmp_path):
    """galaxy_lfqpq_summarised_proteins.tsv: 'sumIntensity_HEK.Ecoli_10.1_replicate1' ... split after
    'Ecoli_10', '_20', '_3', '_7' gave four 'families' over the samples '1_replicate1', '1_replicate2', refused as
    a tie; families that differ in no family word are one family's sample names."""
    mixes = ["10", "20", "3", "7"]
    columns = [f"sumIntensity_HEK.Ecoli_{mix}.1_replicate{r}" for mix in mixes for r in (1, 2)]
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"protein": [f"P{10000 + i}" for i in range(5)],
                          **{column: rng.uniform(15, 18, 5) for column in columns}})
    frame.to_csv(tmp_path / "summarised_proteins.tsv", sep="\t", index=False)
    adata = read_quietly(tmp_path / "summarised_proteins.tsv")
    assert adata.uns["source"]["sample_columns"] == columns and list(adata.obs_names) == columns
    np.testing.assert_allclose(adata.X, frame[columns].to_numpy().T, rtol=1e-15)
