"""What blind batch 14 of the held-out files found (benchmarks/README.md, "Held-out batch 14"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import read_quietly, refusal_of


def _accessions(n: int) -> list[str]:
    return [f"P{10000 + i}" for i in range(n)]


def _unread(source: dict) -> dict[str, str]:
    """Column -> reason it was not read, from a read's ``uns['source']``."""
    return dict(zip(source["unread_columns"], source["unread_reasons"]))


def test_a_pls_da_result_with_vip_is_a_result_table(tmp_path):
    """A differential result of gene, log2FC, P, FDR and a PLS-DA VIP: VIP was read as 1 sample of 161 'proteins'."""
    rng = np.random.default_rng(141)
    n = 8
    frame = pd.DataFrame({"gene": [f"G{i}" for i in range(n)], "log2FC": rng.normal(0, 1, n), "P": rng.uniform(0, 0.05, n),
                          "FDR": rng.uniform(0, 0.1, n), "VIP": rng.uniform(1, 2, n), "sig": [True, False] * 4,
                          "direction": ["up", "down"] * 4})
    path = tmp_path / "diff_main.csv"
    frame.to_csv(path, index=False)
    assert "differential-result table" in refusal_of(path)


def test_an_edger_f_statistic_beside_the_samples_is_not_a_sample(tmp_path):
    """edgeR's ANOVA-like result with per-sample TMM values: its F statistic became a 19th sample."""
    rng = np.random.default_rng(142)
    n = 6
    samples = {f"IRSNorm_{g}_{r}_tmm": rng.uniform(1e3, 1e5, n).round(1) for g in ("E15", "P0", "P9") for r in (1, 2)}
    frame = pd.DataFrame({**samples, "genes": _accessions(n), "logFC.P0": rng.normal(0, 1, n), "logCPM": rng.uniform(5, 10, n),
                          "F": rng.uniform(0, 50, n), "PValue": rng.uniform(0, 1, n), "FDR": rng.uniform(0, 1, n)})
    path = tmp_path / "results_edgeR-ANOVA_TMM.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert list(adata.obs_names) == list(samples) and "F" in adata.uns["source"]["unread_columns"]


def test_bioconductor_hub_metadata_is_refused_by_its_kind(tmp_path):
    """ExperimentHub's metadata.csv: its numeric BiocVersion was read as 1 sample of 10 'proteins'."""
    path = tmp_path / "metadata.csv"
    path.write_text('"Title","Description","BiocVersion","Genome","SourceType","RDataClass","RDataPath"\n'
                    + "".join(f'"Exp{i}_prot","Exp{i} 2 conditions","3.23","","RData","MultiAssayExperiment","pkg/Exp{i}.qs"\n'
                              for i in range(5)))
    message = refusal_of(path)
    assert "ExperimentHub" in message and "not a protein-level quantity table" in message


def test_fragpipe_minimal_psm_table_is_named(tmp_path):
    """FragPipe's test psm.tsv has only Spectrum, Spectrum File, Peptide, Protein Start and Protein End: it was
    refused for its 'Spectrum' key alone, without naming the file."""
    path = tmp_path / "psm.tsv"
    path.write_text("Spectrum\tSpectrum File\tPeptide\tProtein Start\tProtein End\n"
                    + "".join(f"run1.{i}.{i}.2\trun1.pep.xml\tAAAA{i}K\t{i}\t{i + 2}\n" for i in range(1, 6)))
    assert "a FragPipe psm.tsv" in refusal_of(path)


def test_a_sequest_style_psm_report_is_named(tmp_path):
    """PAW's per-run peptide_results: one row per spectrum (XCorr, DeltaCN, DTA_filename): it was called a
    peptide table, not what it is."""
    path = tmp_path / "sample1_peptide_results_8.txt"
    path.write_text("ProtGroup\tAccession\tSequence\tUnique\tXCorr\tDeltaCN\tZ\tDTA_filename\n"
                    + "".join(f"{i}\tP1000{i % 3}\t-.LGEHNIDV{i}R.I\tTRUE\t3.6\t0.53\t2\trun.{i}.{i}.2\n" for i in range(8)))
    assert "PSM" in refusal_of(path)


def test_a_paw_protein_summary_reads_from_its_header_and_takes_the_totint_channels(tmp_path):
    """A PAW TMT protein summary: four preamble lines (title, program, blank, sample labels), padded with tabs,
    above the header; its per-plex count columns were read as samples (47 instead of the 33 TotInt channels)."""
    rng = np.random.default_rng(143)
    plexes, tags = ("A", "B", "C"), ("126C", "127N", "127C", "128N", "128C", "129N", "129C", "130N", "130C", "131N", "131C")
    channels = {plex: [f"TotInt_{tag}_{plex}" for tag in tags] for plex in plexes}
    header = ["ProtGroup", "Counter", "Accession", "Coverage", "SeqLength", "MW", "CountsTot", "UniqFrac",
              *(f"{kind}_{plex}" for kind in ("Total", "Unique", "Corrected") for plex in plexes)]
    for plex in plexes:
        header += [f"PSMs_Used_{plex}", *channels[plex]]
    n = 6
    columns = {name: rng.integers(1, 50, n) for name in header}
    columns.update(ProtGroup=np.arange(1, n + 1), Counter=np.ones(n, dtype=int), Accession=[f"P1000{i}" for i in range(n)],
                   UniqFrac=rng.uniform(0, 1, n).round(3), **{c: rng.uniform(1e5, 1e7, n).round(3) for cs in channels.values() for c in cs})
    body = pd.DataFrame(columns)[header].to_csv(sep="\t", index=False, lineterminator="\r\n")
    pad = lambda cells: "\t".join(cells + [""] * (len(header) - len(cells)))  # noqa: E731
    preamble = [pad(["New PAW TMT results file!"]), pad(['"Program ""PAW_protein_grouper.py"" run on Fri Apr 24 2020"']),
                pad([" "]), pad([" "] * 24 + ["C1", "C2", "Pool", "Unused"])]
    path = tmp_path / "labeled_grouped_protein_summary_TMT_9.txt"
    path.write_text("\r\n".join(preamble) + "\r\n" + body, newline="")
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert list(source["sample_columns"]) == [c for plex in plexes for c in channels[plex]] and adata.n_vars == n
    assert "outside the quantity family" in _unread(source)["Total_A"]


def test_a_profile_table_of_one_family_leaves_its_properties_out(tmp_path):
    """A size-exclusion profile: 'LFQ intensity 1'..'27' then desc, valid_points, max, mw, clusters; valid_points,
    max and clusters were read as three more samples."""
    rng = np.random.default_rng(144)
    n = 6
    fractions = {f"LFQ intensity {i}": rng.uniform(0, 1e7, n).round(0) for i in range(1, 9)}
    frame = pd.DataFrame({"prot_id": [f"Tb927.5.{4450 + i}" for i in range(n)], **fractions,
                          "desc": ["hypothetical protein, conserved"] * n, "valid_points": rng.integers(1, 8, n),
                          "max": rng.integers(1, 8, n), "mw": rng.uniform(10, 90, n), "clusters": rng.integers(0, 12, n)})
    path = tmp_path / "final.csv"
    frame.to_csv(path, index=False)
    adata = read_quietly(path)
    unread = _unread(adata.uns["source"])
    assert list(adata.uns["source"]["sample_columns"]) == list(fractions)
    assert all("outside the quantity family" in unread[c] for c in ("valid_points", "max", "clusters"))


def test_a_one_family_table_keeps_a_sample_that_names_a_family_word(tmp_path):
    """The one-family rule needs a clear majority: 'Intensity A'..'C' beside plain 'D' and 'E' reads all five (no
    reason to guess which of them are samples)."""
    rng = np.random.default_rng(145)
    frame = pd.DataFrame({"Protein": _accessions(5), **{f"Intensity {s}": rng.uniform(1, 9, 5) for s in "ABC"},
                          "D": rng.uniform(1, 9, 5), "E": rng.uniform(1, 9, 5)})
    path = tmp_path / "mixed.tsv"
    frame.to_csv(path, sep="\t", index=False)
    assert read_quietly(path).n_obs == 5  # 3 family columns are fewer than twice the 2 others: all kept


def test_a_channel_sheet_with_a_sample_name_column_is_a_sample_sheet(tmp_path):
    """A TMT channel sheet: tag (126, 127N ...), sample_name, condition, replicate, yeast, human: read as 4
    samples of 10 'proteins'."""
    tags = ["126", "127N", "127C", "128N", "128C", "129N"]
    path = tmp_path / "sample_info.tsv"
    path.write_text("tag\tsample_name\tcondition\treplicate\tyeast\thuman\n"
                    + "".join(f"{t}\t{i // 3 + 1}_{i % 3 + 1}\t{i // 3 + 1}\t{i % 3 + 1}\t1\t1\n" for i, t in enumerate(tags)))
    assert "sample sheet" in refusal_of(path)


def test_a_space_separated_sample_sheet_is_named(tmp_path):
    """DAPAR's sample sheet, separated by single spaces (Sample.name Condition Bio.Rep): it was refused as 'one
    single column'."""
    path = tmp_path / "samples_Exp1_R25.txt"
    path.write_text("Sample.name Condition Bio.Rep\n" + "".join(f"Intensity_C_R{r} 25fmol {r}\n" for r in (1, 2, 3))
                    + "".join(f"Intensity_D_R{r} 10fmol {r}\n" for r in (1, 2, 3)))
    assert "sample sheet" in refusal_of(path)


def test_maxquant_columns_without_its_quantities_read_the_other_samples(tmp_path):
    """A MaxQuant TMT table merged with edgeR results, its reporter columns dropped: S1..C3, statistics, then
    MaxQuant's annotation ('Majority protein IDs', 'Peptides PS-TMT'): refused as a MaxQuant table without
    quantities although its six samples are plain."""
    rng = np.random.default_rng(146)
    n = 6
    samples = {s: rng.uniform(5e3, 3e4, n) for s in ("S1", "S2", "S3", "C1", "C2", "C3")}
    frame = pd.DataFrame({**samples, "genes": [f"{i}_G{i}" for i in range(n)], "ave_S": rng.uniform(1, 9, n),
                          "logFC": rng.normal(0, 1, n), "PValue": rng.uniform(0, 1, n), "FDR": rng.uniform(0, 1, n),
                          "Protein IDs": _accessions(n), "Majority protein IDs": _accessions(n),
                          "Peptides": rng.integers(1, 9, n), "Peptides PS-TMT": rng.integers(1, 9, n),
                          "Sequence coverage [%]": rng.uniform(1, 50, n), "Score": rng.uniform(1, 300, n)})
    path = tmp_path / "old_def.csv"
    frame.to_csv(path)
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert source["format"] == "generic" and list(source["sample_columns"]) == list(samples)
    assert "generic table" in source["format_fallback"]


def test_an_engine_table_without_quantities_says_it_is_no_quantity_table(tmp_path):
    """A Proteome Discoverer protein export with identification columns only (no Abundance): the refusal now
    says the file, as it is, is not a protein-level quantity table."""
    path = tmp_path / "phospho_Proteins.txt"
    path.write_text("Checked\tMaster\tAccession\tDescription\t# Peptides\t# PSMs\tScore Sequest HT\tCoverage [%]\n"
                    + "".join(f"FALSE\tIsMasterProtein\tP1000{i}\tprotein {i}\t{i + 1}\t{i + 3}\t{10.5 + i}\t{12 + i}\n"
                              for i in range(5)))
    assert "not a protein-level quantity table" in refusal_of(path)


def test_an_underscored_maxquant_table_is_read_as_maxquant_and_keeps_decoys_apart(tmp_path):
    """DAPAR's MaxQuant proteinGroups: spaces and signs made '_' (LFQ_intensity_C_R1, Peptide_counts_all), and
    'Protein_IDs' cut to bare accessions, so a REV__ decoy and its target shared one: refused as duplicated."""
    rng = np.random.default_rng(147)
    n = 5
    ids = ["P36775", "P39531", "P36775", "Q02932", "P40358"]
    majority = ["REV__sp|P36775|LONM_YEAST", "sp|P39531|A_YEAST", "sp|P36775|LONM_YEAST", "sp|Q02932|B_YEAST", "sp|P40358|C_YEAST"]
    samples = [f"{g}_R{r}" for g in "CD" for r in (1, 2, 3)]
    frame = pd.DataFrame({"Protein_IDs": ids, "Majority_protein_IDs": majority, "Peptide_counts_all": ["2"] * n,
                          "Peptides": rng.integers(1, 9, n), "Razor_unique_peptides": rng.integers(1, 9, n),
                          "Intensity": rng.uniform(1e6, 1e8, n),
                          **{f"Intensity_{s}": rng.uniform(1e5, 1e7, n) for s in samples},
                          **{f"LFQ_intensity_{s}": rng.uniform(1e5, 1e7, n) for s in samples},
                          "Reverse": ["+", "", "", "", ""], "Potential_contaminant": [""] * n, "id": range(n)})
    path = tmp_path / "Exp1_R25_prot.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert source["format"] == "maxquant" and source["quantity"] == "LFQ intensity"
    assert list(source["sample_columns"]) == [f"LFQ_intensity_{s}" for s in samples] and adata.n_vars == n
    assert "Majority protein IDs" in source["identifiers"]


def test_one_perseus_annotation_prefix_makes_a_perseus_matrix_and_its_family_is_the_quantity(tmp_path):
    """A Perseus export of z-scored 'LFQ intensity' columns beside 'N: Intensity', -log10 p, P-value, FC and FC2:
    detected as MaxQuant for its LFQ names and refused for negative 'linear' values. One annotation prefix (N:, C:,
    T:, M:) is Perseus; the expression columns' family names the quantity; FC2 is a fold change."""
    rng = np.random.default_rng(148)
    n = 6
    samples = {f"LFQ intensity HeLa_{i}": rng.normal(0, 1, n) for i in range(1, 5)}
    frame = pd.DataFrame({"Gene names": [f"G{i}" for i in range(n)], **samples, "N: Intensity": rng.uniform(1e5, 1e9, n),
                          "(-log10)": rng.uniform(0, 3, n), "P-value": rng.uniform(0, 1, n), "FC": rng.uniform(1, 4, n),
                          "FC2": rng.uniform(0, 2, n)})
    path = tmp_path / "sample_data.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert (source["format"], source["quantity"]) == ("perseus", "LFQ intensity") and list(source["sample_columns"]) == list(samples)
    assert source["is_log2"] and "fold change" in _unread(source)["FC2"]
