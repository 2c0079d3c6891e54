"""What blind batch 15 of the held-out files found (benchmarks/README.md, "Held-out batch 15"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import read_quietly, refusal_of


def _unread(source: dict) -> dict[str, str]:
    """Column -> reason it was not read, from a read's ``uns['source']``."""
    return dict(zip(source["unread_columns"], source["unread_reasons"]))


def test_samples_named_for_a_high_temperature_are_samples(tmp_path):
    """A coral heat-stress matrix: 'MC-289_T1-HiT_2878' ('HiT' = high temperature) was left out as a 'hit count',
    8 of 14 samples read without a word of it being a sample."""
    rng = np.random.default_rng(151)
    samples = [f"MC-289_T{t}-{c}_{1600 + i}" for i, (t, c) in enumerate((t, c) for t in (1, 3) for c in ("Amb", "HiT"))]
    frame = pd.DataFrame({"Name": [f"Mcap_g{i}" for i in range(6)], **{s: rng.uniform(1, 9, 6) for s in samples}})
    path = tmp_path / "proteomic_data.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert list(read_quietly(path).uns["source"]["sample_columns"]) == samples


def test_a_permanova_table_is_a_result_table(tmp_path):
    """vegan's adonis2 table (Df, SumOfSqs, R2, F, Pr(>F)) was read as 5 samples of 5 'proteins'."""
    path = tmp_path / "PERMANOVA_results.csv"
    path.write_text('"","Df","SumOfSqs","R2","F","Pr(>F)"\n"Treatment",1,0.21,0.31,4.2,0.004\n"Time",2,0.11,0.16,1.1,0.35\n'
                    '"Residual",8,0.35,0.53,NA,NA\n"Total",11,0.67,1,NA,NA\n"Block",1,0.01,0.01,0.2,0.9\n')
    message = refusal_of(path)
    assert "result table" in message and "not a protein-level quantity table" in message


def test_effect_sizes_and_l2fc_are_no_samples(tmp_path):
    """An ANOVA export with group means, SDs, Cohen's d and p-values beside the eight animals: 'Cohens.d_genotype'
    and 'l2fc' were read as samples."""
    rng = np.random.default_rng(152)
    n = 6
    animals = {str(a): rng.uniform(20, 30, n) for a in (4721, 4945, 4715, 4718)}
    frame = pd.DataFrame({"Gene": [f"G{i}" for i in range(n)], "mean_Control": rng.uniform(20, 30, n), "sd_Control": rng.uniform(0, 1, n),
                          "Cohens.d_genotype": rng.normal(0, 1, n), "l2fc": rng.normal(0, 1, n),
                          "anova_p_val_genotype": rng.uniform(0, 1, n), **animals})
    path = tmp_path / "anova_results.csv"
    frame.to_csv(path, index=False)
    adata = read_quietly(path)
    assert list(adata.uns["source"]["sample_columns"]) == list(animals)


def test_a_turnover_table_leaves_its_curve_fit_out(tmp_path):
    """A protein turnover table: amplitude, its error, tau, offset, half-life, bins and RMSE before the time
    points; 8 fit columns were read as samples."""
    rng = np.random.default_rng(153)
    n = 6
    times = [f"{t}h_{r}" for r in "AB" for t in ("0", "05", "1", "2")]
    frame = pd.DataFrame({"protein_id": [f"Tb927.{i}" for i in range(n)], "amplitude": rng.uniform(0, 1, n),
                          "amplitude_err": rng.uniform(0, 0.1, n), "tau": rng.uniform(1, 9, n), "tau_err": rng.uniform(0, 1, n),
                          "offset": rng.uniform(0, 1, n), "offset_err": rng.uniform(0, 0.1, n), "new_half_life": rng.uniform(1, 40, n),
                          "bins": rng.integers(0, 12, n), "exp_rmse": rng.uniform(0, 0.2, n), "desc": ["protein"] * n,
                          **{t: rng.uniform(0, 1, n) for t in times}})
    path = tmp_path / "Table_S2.csv"
    frame.to_csv(path, index=False)
    assert list(read_quietly(path).uns["source"]["sample_columns"]) == times


def test_a_column_named_peptide_of_sequences_makes_a_peptide_table_without_repeats(tmp_path):
    """ProtStatsWF's example: 'peptide' (sequences) then 'protein' (never repeated in the first rows): read as 9
    samples of 15 'proteins'."""
    rng = np.random.default_rng(154)
    frame = pd.DataFrame({"peptide": ["AIIEEYLHLNDMK", "CLAFHDISPQAPTHFLVIPK", "EGWEYLK", "FSLQDPPNK", "LVTDLTK"],
                          "protein": ["A0A0J9YUS5/E9PVC5", "B0R1E3/P70349", "Q8R404", "O70475", "P12345"],
                          **{f"state{g}_{r}": rng.integers(0, 10**8, 5) for g in (1, 2) for r in (1, 2, 3)}})
    path = tmp_path / "exampleQC.csv"
    frame.to_csv(path, index=False)
    assert "peptide-level table" in refusal_of(path)


def test_a_profile_of_medians_is_read_as_its_medians_and_says_so(tmp_path):
    """A fractionation profile whose only numbers are median_1 .. median_48 (medians over replicates): refused as
    'no numeric sample columns'. Read, the quantity records 'median'."""
    rng = np.random.default_rng(155)
    frame = pd.DataFrame({"temp_df.index.name": [f"Tb927.5.{2310 + i}_32_27_34" for i in range(6)],
                          **{f"median_{i}": rng.uniform(0, 1, 6) for i in range(1, 7)}})
    path = tmp_path / "LFQ-intensity_peaks.txt"
    frame.to_csv(path, sep="\t", index=False)
    source = read_quietly(path).uns["source"]
    assert source["quantity"] == "median" and len(source["sample_columns"]) == 6 and "one median per column" in source["format_version"]


def test_group_means_with_their_sds_are_still_refused(tmp_path):
    """The summary rule is only set aside for a profile of one summary per column: group means beside their SDs
    are a result table's summaries, not samples."""
    rng = np.random.default_rng(156)
    frame = pd.DataFrame({"Gene": [f"G{i}" for i in range(6)], **{f"mean_{g}": rng.uniform(1, 9, 6) for g in ("A", "B", "C")},
                          **{f"sd_{g}": rng.uniform(0, 1, 6) for g in ("A", "B", "C")}})
    path = tmp_path / "means.csv"
    frame.to_csv(path, index=False)
    assert "not a protein-level quantity table" in refusal_of(path)


def test_maxquant_columns_beside_another_programs_samples_do_not_read_the_total(tmp_path):
    """A Perseus output of MaxQuant columns (Protein IDs, Peptides, Score, the total 'Intensity') with eight
    animals '4721' .. '4717' after them: the total was read as the one sample."""
    rng = np.random.default_rng(157)
    n = 6
    animals = {str(a): rng.uniform(20, 30, n) for a in (4721, 4945, 4715, 4718)}
    frame = pd.DataFrame({"Significant": [""] * n, "l2fc": rng.normal(0, 1, n), "Protein IDs": [f"P1000{i}" for i in range(n)],
                          "Majority protein IDs": [f"P1000{i}" for i in range(n)], "Peptides": rng.integers(1, 9, n),
                          "Score": rng.uniform(1, 300, n), "Intensity": rng.uniform(1e6, 1e9, n), "MS/MS count": rng.integers(1, 50, n),
                          **animals})
    path = tmp_path / "input_perseus_output.txt"
    frame.to_csv(path, sep="\t", index=False)
    source = read_quietly(path).uns["source"]
    assert source["format"] == "generic" and list(source["sample_columns"]) == list(animals)


def test_a_bare_intensity_beside_statistics_is_no_sample(tmp_path):
    """A ranked result (Gene_acc index, srank, Intensity, FDR): its row 'Intensity' was read as 1 sample."""
    rng = np.random.default_rng(158)
    n = 6
    frame = pd.DataFrame({"Gene_acc": range(n), "Gene_id": [f"sp|P1000{i}|G{i}_MOUSE" for i in range(n)],
                          "srank": rng.uniform(0, 400, n), "Intensity": rng.uniform(5, 12, n), "FDR": rng.uniform(0, 1, n)})
    path = tmp_path / "res_24.csv"
    frame.to_csv(path, index=False)
    assert "result table" in refusal_of(path)


def test_a_wide_table_with_a_repeating_name_annotation_is_not_long(tmp_path):
    """A leaf proteome of 314 trees by 20 proteins whose trailing 'NAME' (a functional bin) repeats: refused as a
    long table although its identifiers are unique and its samples are columns."""
    rng = np.random.default_rng(159)
    trees = [f"T{i:03d}" for i in range(12)]
    frame = pd.DataFrame({"Protein": [f"eucgr.i0{1374 + i}.1.p" for i in range(8)], **{t: rng.uniform(0, 300, 8) for t in trees},
                          "BINCODE": ["1.1.1"] * 8, "NAME": ["PS.lightreaction", "PS.lightreaction", "glycolysis", "glycolysis"] * 2})
    path = tmp_path / "lawson_1_3.csv"
    frame.to_csv(path)
    assert list(read_quietly(path).uns["source"]["sample_columns"]) == trees


def test_a_long_result_table_with_standard_errors_is_a_result_table(tmp_path):
    """A long result table (protein, logFC, se, df, t, pval, adjPval, group1, group2): its 'se' was read as a
    sample and the repeated proteins reported as duplicates."""
    rng = np.random.default_rng(160)
    rows = [(p, *rng.normal(0, 1, 2), 7.8, *rng.normal(0, 2, 1), *rng.uniform(0, 1, 2), "LST8", g)
            for g in ("GFP", "EV") for p in ("FLAG-PUP", "P10001", "P10002")]
    frame = pd.DataFrame(rows, columns=["protein", "logFC", "se", "df", "t", "pval", "adjPval", "group1", "group2"])
    path = tmp_path / "maxLFQ_PPI_FC.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert "result table" in refusal_of(path)


def test_a_sample_sheet_written_sideways_is_named(tmp_path):
    """Podocyte metadata: the header lists the samples, the rows are 'Condition' and 'Mice': refused as 'no numeric
    sample columns' only."""
    path = tmp_path / "metadata.csv"
    samples = ["AS_G0_A", "AS_G0_B", "AS_G1_A", "WT_G0_A", "WT_G0_B"]
    path.write_text("id," + ",".join(samples) + "\nCondition,A_G0,A_G0,A_G1,WT_G0,WT_G0\nMice,Alport,Alport,Alport,WT,WT\n")
    message = refusal_of(path)
    assert "sample sheet written sideways" in message and "Condition" in message


def test_a_two_column_design_is_a_sample_sheet_not_parameters(tmp_path):
    """'Bioreplicate', 'Group' with rows 'LFQ.intensity.11930', 'D51-52': taken for a parameters file because the
    sample names look like setting names."""
    path = tmp_path / "conditions.txt"
    path.write_text('"Bioreplicate"\t"Group"\n' + "".join(f'"LFQ.intensity.{11930 + i}"\t"{"WT" if i % 2 else "D51-52"}"\n' for i in range(8)))
    assert "sample sheet" in refusal_of(path)


def test_a_maxquant_subset_without_protein_ids_is_identified_by_its_fasta_headers(tmp_path):
    """mspypeline's test proteinGroups: a pandas re-save keeping flags, Fasta headers and the intensity families,
    but no 'Protein IDs': refused as missing MaxQuant's identifier column."""
    rng = np.random.default_rng(161)
    samples = ["H1975_TGFb_Rep1_1", "H1975_TGFb_Rep1_2", "H838_unst_Rep3_2"]
    headers = ["sp|A0A024RBG1|NUD4B_HUMAN Diphosphoinositol OS=Homo sapiens;sp|Q9NZJ9|NUDT4_HUMAN Diphosphoinositol",
               "sp|P0DPI2|GAL3A_HUMAN Glutamine amidotransferase", "tr|A0AV96|A0AV96_HUMAN RNA-binding protein 47"]
    frame = pd.DataFrame({"Only identified by site": [""] * 3, "Reverse": [""] * 3, "Potential contaminant": [""] * 3,
                          "Fasta headers": headers, **{f"Intensity {s}": rng.uniform(1e6, 1e8, 3) for s in samples},
                          **{f"LFQ intensity {s}": rng.uniform(1e6, 1e8, 3) for s in samples}})
    path = tmp_path / "proteinGroups.txt"
    frame.to_csv(path, sep="\t")
    adata = read_quietly(path)
    assert adata.uns["source"]["quantity"] == "LFQ intensity" and list(adata.var_names) == ["A0A024RBG1;Q9NZJ9", "P0DPI2", "A0AV96"]


def test_a_title_line_above_the_header_is_skipped_and_said(tmp_path):
    """A supplementary table whose caption, padded with tabs, precedes the header: read as a one-column 'peptide
    list'. The title is not a row; the read says so and row numbers stay the file's."""
    rng = np.random.default_rng(162)
    header = ["Checked", "Accession", "Description", "# Peptides", "MC-289_T1-Amb_1603", "MC-289_T1-HiT_2878", "MC-289_Field_1"]
    rows = ["\t".join(["FALSE", f"Mcap_g{i}", f"protein {i}", str(i + 1), *(f"{v:.4f}" for v in rng.uniform(1, 9, 3))])
            for i in range(5)]
    title = "Data S1. Processed proteomic data (n=2 per treatment). Normalized abundance values are shown." + "\t" * (len(header) - 1)
    path = tmp_path / "Supplemental_Data-S1.txt"
    path.write_text("\r\n".join([title, "\t".join(header), *rows]) + "\r\n")
    source = read_quietly(path).uns["source"]
    assert list(source["sample_columns"]) == header[4:] and "title line" in source["title"]


def test_a_list_of_groups_under_one_name_is_no_title(tmp_path):
    """The title rule needs a table below it: one column of ';'-joined groups under 'Protein IDs' stays a one-column list."""
    path = tmp_path / "proteinids.csv"
    path.write_text("Protein IDs\nA0A024QZ33;Q9H0G5;K7ERM9\nA0A024QZX5;A0A087X1N8;A0A2R8YD12;A0A2R8Y6A7\nP12345\n")
    assert "one single column" in refusal_of(path)


def test_a_map_of_raw_files_to_names_is_a_sample_sheet(tmp_path):
    """A renaming sheet (current_names: Windows paths of DIA runs, New_names: L_A_1 ...): refused only as 'no numeric
    sample columns'."""
    path = tmp_path / "my_assignment_file.csv"
    path.write_text("current_names,New_names\n" + "".join(
        f"C:\\Users\\me\\Proteomics\\DIA_files\\20240424_coral{i},{g}_{i}\n" for i, g in enumerate("LLHHLH")))
    assert "sample sheet" in refusal_of(path)
