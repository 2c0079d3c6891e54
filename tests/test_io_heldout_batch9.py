"""What blind batch 9 of the held-out files found (benchmarks/README.md, "Held-out batch 9"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of


def _tmt_protein_groups(channel_sep: str, word_sep: str) -> pd.DataFrame:
    """A MaxQuant TMT proteinGroups of 2 experiments x 3 channels (channel 2 removed), spelled with
    ``word_sep`` between words and ``channel_sep`` between channel and experiment."""
    rng = np.random.default_rng(9)
    n = 5
    name = lambda *words: word_sep.join(words)  # noqa: E731 - a column speller
    frame = {name("Protein", "IDs"): [f"P{10000 + i}" for i in range(n)],
             name("Majority", "protein", "IDs"): [f"P{10000 + i}" for i in range(n)],
             "Peptides": [3, 4, 5, 6, 7]}
    for family in (("Reporter", "intensity", "corrected"), ("Reporter", "intensity"), ("Reporter", "intensity", "count")):
        for experiment in ("1", "2"):
            for channel in (1, 3, 4):
                frame[name(*family) + word_sep + f"{channel}{channel_sep}{experiment}"] = rng.uniform(1e4, 1e6, n).round(1)
    frame["Intensity"] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Intensity", "1")] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Intensity", "2")] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Potential", "contaminant")] = ["", "", "+", "", ""]
    return pd.DataFrame(frame)


def test_an_r_resaved_maxquant_tmt_table_reads_its_reporter_channels(tmp_path):
    """preprot: ``Reporter.intensity.corrected.1.1`` (R's make.names of 'Reporter intensity corrected 1 1') was
    not seen as a channel, and the per-experiment ``Intensity.1`` (a whole plex summed) became 3 'samples'."""
    frame = _tmt_protein_groups(".", ".")
    path = tmp_path / "proteinGroups_TMT.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert adata.uns["source"]["quantity"] == "Reporter intensity corrected"
    assert list(adata.uns["source"]["sample_columns"])[:2] == ["Reporter.intensity.corrected.1.1",
                                                             "Reporter.intensity.corrected.3.1"]
    assert adata.n_obs == 6
    assert list(adata.obs["experiment"]) == ["1", "1", "1", "2", "2", "2"]
    assert list(adata.obs["channel"]) == [1, 3, 4, 1, 3, 4]
    np.testing.assert_allclose(adata.X[0], frame["Reporter.intensity.corrected.1.1"].to_numpy())


def test_reporter_columns_no_channel_can_be_read_from_are_refused_not_replaced(tmp_path):
    """Whatever the spelling of the reporter columns, an isobaric table never falls back to its per-experiment
    Intensity (the sum of each plex) as 'samples': unreadable reporter columns are refused, naming them."""
    frame = _tmt_protein_groups("_", " ")
    frame = frame.rename(columns=lambda c: c.replace("Reporter intensity corrected ", "Reporter intensity corrected-ch"))
    path = tmp_path / "proteinGroups.txt"
    frame.to_csv(path, sep="\t", index=False)
    message = refusal_of(path)
    assert "isobaric" in message and "Reporter intensity corrected-ch1_1" in message


def test_a_numeric_identifier_column_is_not_a_sample(tmp_path):
    """ftdprodia: 'NCBI Entrez gene ID' (integers) beside samples named 1..26 became a 27th sample; a column
    named as an identifier (``... ID``, ``... identifier``, Entrez) never is one, whatever its values."""
    rng = np.random.default_rng(91)
    frame = pd.DataFrame({"uniprot identifier": [f"P{10000 + i}" for i in range(6)],
                          "uniprot gene symbol": [f"G{i}" for i in range(6)],
                          "NCBI Entrez gene ID": [2, 22848, 60, 71, 87, 9],
                          "Entrez": [2, 22848, 60, 71, 87, 9], "gene_identifier": [5, 6, 7, 8, 9, 10],
                          **{str(i): rng.uniform(1, 700, 6) for i in range(1, 5)}})
    path = tmp_path / "proteins.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert list(adata.obs_names) == ["1", "2", "3", "4"]
    unread = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert all("identifier" in unread[c] for c in ("NCBI Entrez gene ID", "Entrez", "gene_identifier"))


def test_reporter_ion_mz_columns_are_channels_and_protein_counts_are_not_samples(tmp_path):
    """tosfly (IP2's proList): the TMT channels are named by their reporter m/z ('norm int m/z_126.127726'),
    which the m/z-of-an-ion rule excluded, so the protein's 'spec count' and 'peptide num' became the samples."""
    rng = np.random.default_rng(92)
    channels = ["126.127726", "127.124761", "127.131081", "128.128116", "134.148245"]
    frame = pd.DataFrame({"accession": [f"P{10000 + i}" for i in range(6)], "spec count": [20, 637, 5, 8, 9, 3],
                          "peptide num": [20, 637, 4, 6, 9, 2],
                          **{f"avg int m/z_{c}": rng.uniform(1e3, 1e4, 6).round(2) for c in channels},
                          **{f"norm int m/z_{c}": rng.uniform(1e3, 1e4, 6).round(2) for c in channels},
                          "description": [f"protein {i}" for i in range(6)]})
    path = tmp_path / "proList.csv"
    frame.to_csv(path, index=False)
    adata = read_quietly(path)
    assert list(adata.uns["source"]["sample_columns"]) == [f"norm int m/z_{c}" for c in channels]
    unread = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert "peptide count" in unread["peptide num"] and "spectral count" in unread["spec count"]
    assert "a channel's average intensity" in unread["avg int m/z_126.127726"]
    np.testing.assert_allclose(adata.X[4], frame["norm int m/z_134.148245"].to_numpy())


@pytest.mark.parametrize("name", ["precursor m/z", "m/z", "Precursor m/z 445.12"])
def test_an_ion_mz_column_is_still_not_a_sample(tmp_path, name):
    """The reporter-channel exception is for the reporter ions' m/z (113-121, 126-135) only."""
    rng = np.random.default_rng(93)
    frame = pd.DataFrame({"Protein": [f"P{10000 + i}" for i in range(6)], name: rng.uniform(400, 1200, 6),
                          "A": rng.uniform(1e4, 1e6, 6), "B": rng.uniform(1e4, 1e6, 6)})
    path = tmp_path / "table.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert list(read_quietly(path).obs_names) == ["A", "B"]


def test_an_sdrf_without_assay_name_is_refused_as_an_sdrf(tmp_path):
    """SpectroPipeR's SDRF_intermediate_file.tsv (source name, comment[...], no assay name yet): its
    replicate and fraction numbers became 2 samples of 40 'proteins'."""
    frame = pd.DataFrame({"source name": [f"cancer__{i}" for i in range(1, 5)],
                          "comment[biological replicate]": [1, 2, 3, 4], "comment[instrument]": ["timsTOF HT"] * 4,
                          "comment[data file]": [f"run_{i}.d" for i in range(4)], "comment[label]": ["label free sample"] * 4,
                          "comment[fraction identifier]": [1, 1, 1, 1]})
    path = tmp_path / "SDRF_intermediate_file.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert "an SDRF file" in refusal_of(path)
    frame = frame.rename(columns={"comment[data file]": "comment[file uri]"})
    frame.to_csv(path, sep="\t", index=False)  # no detector row: the SDRF columns still make no sample
    assert "an SDRF file" not in (message := refusal_of(path)) and "comment[biological replicate]" in message


@pytest.mark.parametrize("ratio", ["cancer/control|signal_log2_ratio", "log2 ratio A/B", "KO vs WT"])
def test_a_log_ratio_or_contrast_beside_p_values_is_a_differential_result(tmp_path, ratio):
    """SpectroPipeR's statistical_analysis_WIDE.csv: the p-values were excluded, the log2 ratio of the same
    comparison became 'one sample'. A log ratio or an 'A vs B' column compares groups: it is no sample."""
    rng = np.random.default_rng(94)
    frame = pd.DataFrame({"PG.ProteinGroups": [f"P{10000 + i}" for i in range(6)], ratio: rng.normal(0, 1, 6),
                          "cancer/control|raw_p_value": rng.uniform(0, 1, 6),
                          "cancer/control|adjusted_p_value": rng.uniform(0, 1, 6)})
    path = tmp_path / "statistical_analysis_WIDE.csv"
    frame.to_csv(path, index=False)
    assert "not a protein-level quantity table" in refusal_of(path)


def test_a_sheet_keyed_on_sample_ids_is_refused_as_a_sample_sheet(tmp_path):
    """tosfly's Sample_info.csv (TMT_channels, Sample_ids, Group, Sex) was refused as 'not a protein table'
    without saying it is a sample sheet: 'Sample_ids' names samples as 'sample_id' does."""
    frame = pd.DataFrame({"TMT_channels": ["norm int m/z_126.127726", "norm int m/z_127.124761", "norm int m/z_127.131081"],
                          "Sample_ids": [556, 561, 570], "Group": ["A", "A", "B"], "Sex": ["M", "F", "M"]})
    path = tmp_path / "Sample_info.csv"
    frame.to_csv(path, index=False)
    assert "sample sheet" in refusal_of(path)


def test_a_signed_rank_table_is_a_differential_result(tmp_path):
    """luciatmt's ProtRank output (Gene_acc, Gene_id, SignedRank, log10TMT, FDR): refused for a negative
    'quantity' in SignedRank, a test statistic; it is a differential result."""
    frame = pd.DataFrame({"Gene_acc": range(5), "Gene_id": [f"Tb927.2.{6320 + i}" for i in range(5)],
                          "SignedRank": [680.57, -525.75, 12.0, -3.5, 100.25], "log10TMT": [5.0, 5.9, 4.1, 3.3, 6.2],
                          "FDR": [0.0, 0.0, 0.1, 0.2, 0.01], "Desc": [f"protein {i}" for i in range(5)]})
    path = tmp_path / "indata.csv"
    frame.to_csv(path, index=False)
    assert "not a protein-level quantity table" in refusal_of(path)


def test_an_identifier_list_without_quantities_says_it_is_no_quantity_table(tmp_path):
    """alphapepttools' feature_metadata.csv (Protein.Group, Genes): refused without saying what it is not."""
    path = tmp_path / "feature_metadata.csv"
    path.write_text("Protein.Group,Genes\nA0A024R1R8;Q9Y2S6,TMA7;TMA7B\nA0A024R4E5,HDLBP\nP12345,ABC\n")
    assert "not a protein-level quantity table" in refusal_of(path)


def test_a_paw_result_keyed_on_acc_reads_its_samples_not_its_labels(tmp_path):
    """pwmq (PAW's edgeR result): samples first, statistics and the labels 'direction'/'candidate' after, the
    accessions last in 'Acc'. The first text column (direction: up/down) was taken as the identifier."""
    rng = np.random.default_rng(95)
    samples = ["Media_2.1_tmm", "Media_2.2_tmm", "Exo_2.1_tmm", "Exo_2.2_tmm"]
    frame = pd.DataFrame({**{s: rng.uniform(1e5, 1e6, 6) for s in samples}, "logFC": rng.normal(0, 1, 6),
                          "PValue": rng.uniform(0, 1, 6), "FDR": rng.uniform(0, 1, 6), "ave_med": rng.uniform(1e5, 1e6, 6),
                          "direction": ["up", "down"] * 3, "candidate": ["high", "no"] * 3,
                          "Acc": [f"sp|P6071{i}|ACT{i}_MOUSE" for i in range(6)]})
    path = tmp_path / "KUR1502_MQ-results.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert list(adata.obs_names) == samples and adata.uns["source"]["identifier_column"] == "Acc"
    np.testing.assert_allclose(adata.X[2], frame["Exo_2.1_tmm"].to_numpy())


def test_a_spectronaut_fragment_report_with_run_labels_is_refused_by_kind(tmp_path):
    """alphapepttools' mouse Spectronaut top-20 peptides: a fragment report whose runs are named in R.Label
    (not R.FileName) was refused as a protein report lacking PG.Quantity."""
    path = tmp_path / "sn_top20peptides.tsv"
    path.write_text("R.Label\tPG.Genes\tF.Charge\tFG.Charge\tPG.ProteinGroups\tF.PeakArea\tPEP.StrippedSequence\tF.FrgIon\n"
                    "run_01.raw\tMapt\t1\t2\tA2A5Y6\t13116.5\tHVPGGGSVQIVYK\ty11\n"
                    "run_01.raw\tMapt\t1\t2\tA2A5Y6\t9116.5\tHVPGGGSVQIVYK\ty10\n")
    assert "Spectronaut fragment report" in (message := refusal_of(path)) and "peptide" in message


def test_a_long_peptide_table_says_it_is_peptide_level(tmp_path):
    """skbr3's all_peptide table (File name repeated, one row per identified peptide and scan): the long-format
    refusal now also says that its rows are peptides, naming the sequence column."""
    rows = "".join(f"run{i % 2}\t{seq}\tP1234{i}\t{1000 + i}.5\n" for i, seq in enumerate(
        ["AAEPLLTLER", "LLGGVTIAQGGVLPNIQAVLLPK", "GDLGIEIPAEK", "VAPEEHPVLLTEAPLNPK"]))
    (path := tmp_path / "all_peptide.txt").write_text("File name\tnonlabel peptide\tProtein Id\tScore 1\n" + rows)
    assert "peptide-level long-format table" in (message := refusal_of(path)) and "'nonlabel peptide'" in message


def test_the_philosopher_layout_goes_to_its_reader_not_fragpipes(tmp_path):
    """prolfquapp's combined_protein_small.tsv (and batch 7's celegans): the older Philosopher layout (Protein
    Group, SubGroup, Summarized ... counts, per-sample Total/Unique/Razor) scored below FragPipe's reader, which
    then refused it for lacking 'MaxLFQ Intensity'."""
    rng = np.random.default_rng(96)
    samples = ["B03_02_A", "B03_03_B"]
    frame = {"Protein Group": [1, 2, 3], "SubGroup": ["1.1", "2.1", "3.1"],
             "Protein": [f"sp|P1234{i}|PR{i}_HUMAN" for i in range(3)], "Protein ID": [f"P1234{i}" for i in range(3)],
             "Entry Name": [f"PR{i}_HUMAN" for i in range(3)], "Gene Names": ["A", "B", "C"], "Protein Length": [100, 200, 300],
             "Coverage": [10.0, 20.0, 30.0], "Organism": ["Homo sapiens"] * 3, "Protein Existence": ["1"] * 3,
             "Description": ["a", "b", "c"], "Protein Probability": [1.0, 1.0, 0.99], "Top Peptide Probability": [1.0, 0.99, 0.98],
             "Unique Stripped Peptides": [3, 4, 5], "Summarized Total Spectral Count": [9, 8, 7],
             "Summarized Unique Spectral Count": [9, 8, 7], "Summarized Razor Spectral Count": [9, 8, 7]}
    for sample in samples:
        for family in ("Total Spectral Count", "Unique Spectral Count", "Razor Spectral Count"):
            frame[f"{sample} {family}"] = [3, 4, 5]
        for family in ("Total Intensity", "Unique Intensity", "Razor Intensity"):
            frame[f"{sample} {family}"] = rng.uniform(1e5, 1e7, 3).round(1)
    frame = pd.DataFrame(frame)
    path = tmp_path / "combined_protein_small.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert (source["format"], source["quantity"], adata.n_obs) == ("philosopher", "Razor Intensity", 2)
    np.testing.assert_allclose(adata.X[1], frame["B03_03_B Razor Intensity"].to_numpy())


def test_a_space_separated_precursor_matrix_is_refused_by_kind(tmp_path):
    """conduitR's report.pr_matrix.txt (R's write.table default: space-separated, quoted text): refused for
    having no delimiter, without saying it is a DIA-NN precursor matrix. A space-separated protein table
    keeps the delimiter refusal (spaces are not a delimiter this project guesses)."""
    path = tmp_path / "report.pr_matrix.txt"
    path.write_text('Protein.Group Protein.Ids Genes Stripped.Sequence Modified.Sequence Precursor.Charge Precursor.Id '
                    'D:\\run\\A4.raw D:\\run\\C2.raw\nA0AAP8NNC5 A0AAP8NNC5 CXU09 "AAAAK" AAAAK 2 AAAAK2 NA 20003.4\n')
    assert "DIA-NN precursor matrix" in refusal_of(path)
    path.write_text('Protein.Group Genes A B\nP12345 ABC 1.5 2.5\nP12346 ABD 3.5 4.5\n')
    assert "no column delimiter found" in refusal_of(path)


def test_an_openms_experimental_design_is_refused_as_a_sample_sheet(tmp_path):
    """mztabpy: an OpenMS/quantms ExperimentalDesign.tsv (a file section, a blank line, then a sample section
    of fewer columns) was refused for its second section's short rows ('a line break inside one row') instead
    of for what it is; its file section's columns name the kind (data/non_protein_tables.tsv)."""
    path = tmp_path / "experimental_design.tsv"
    path.write_text(
        "Fraction_Group\tFraction\tSpectra_Filepath\tLabel\tSample\n"
        + "".join(f"{i}\t1\tUPS1_{i}fmol_inj{i % 2 + 1}.mzML\t1\t{(i + 1) // 2}\n" for i in range(1, 5))
        + "\nSample\tMSstats_Condition\tMSstats_BioReplicate\n"
        + "1\tCT=Mixture;CN=UPS1;QY=0.1 fmol\t1\n2\tCT=Mixture;CN=UPS1;QY=0.25 fmol\t2\n"
    )
    message = refusal_of(path)
    assert "OpenMS" in message and "sample sheet" in message and "line break" not in message


def test_a_ragged_sample_sheet_is_refused_as_a_sample_sheet_not_as_malformed(tmp_path):
    """ftdprodia: a donor metadata sheet ('sample', 'age ', 'gender' ...) with one row of an extra field was
    refused as a malformed table; a sample-name first column beside a donor's age or sex names the kind from
    the header alone, before any problem of its rows."""
    header = "sample \tgroup\ttype\tage \tgender\tTAU (AT8)\tTDP43 \n"
    rows = ["1\tFTD_TDP\tgenetic\t63\tm\t0\tpos\n", "2\tFTD_TAU\tgenetic\t68\tm\tpos\t0\n",
            "3\tFTD_TDP\tsporadic\t57\tf\t0\tpos\textra\n", "4\tcontrol\tcontrol\t70\tf\t0\t0\n"]
    path = tmp_path / "metadata.tsv"
    path.write_bytes((header + "".join(rows)).replace("\n", "\r\n").encode())
    message = refusal_of(path)
    assert "sample sheet or clinical table" in message and "'age'" in message and "malformed" not in message


def test_a_protein_table_with_an_age_column_not_named_by_samples_is_not_refused_by_its_header(tmp_path):
    """The header rule needs both marks: an 'Age' column without a sample-name first column is left to the
    body's rules (here a protein table whose first column is the protein id)."""
    rng = np.random.default_rng(91)
    frame = pd.DataFrame({"Protein": [f"P{50000 + i}" for i in range(5)], "Gender": ["f", "m", "f", "m", "f"],
                          **{f"S{i}": rng.uniform(1e5, 1e7, 5).round(1) for i in range(1, 4)}})
    path = tmp_path / "proteins.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert list(adata.obs_names) == ["S1", "S2", "S3"]
