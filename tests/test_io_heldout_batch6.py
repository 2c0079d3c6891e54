"""Regression tests for what held-out batch 6 found (issue 15): sample sheets and differential-result tables
given as the data are refused naming what they are, statistics columns never become samples, and an
R-resaved MaxQuant table's source record names the file's own columns. Real files where the licence allows a
trimmed fixture (``tests/data/readers``, see PROVENANCE.tsv), else a small table written here in the shape of
the real one (whose repository states no licence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from conftest import read_quietly, refusal_of

HERE = Path(__file__).parent / "data" / "readers"


_read, _refusal = read_quietly, refusal_of


# --- sample sheets given as the data -------------------------------------------------------------------------

def test_proteoda_metafile_is_refused_as_a_sample_sheet() -> None:
    message = _refusal(HERE / "proteoda_metafile.csv")
    assert "this is a sample sheet" in message and "'batch'" in message and "samples=" in message


def test_sample_info_workbook_is_refused_as_a_sample_sheet(tmp_path: Path) -> None:
    # shape of ArseniyLobov/Proteomic-profiling-of-atherosclerotic-plaques sample_info.xlsx (no licence stated)
    book = openpyxl.Workbook()
    book.active.append(["name", "Group", "Donor", "Replicate"])
    for donor in range(1, 11):
        for rep in (1, 2):
            book.active.append([f"{60 + donor}_{rep}", "Intact" if donor % 2 else "Plaque", donor, 60 + donor])
    book.save(tmp_path / "sample_info.xlsx")
    message = _refusal(tmp_path / "sample_info.xlsx")
    assert "this is a sample sheet" in message and "'Donor'" in message and "'Replicate'" in message


def test_maxquant_experimental_design_is_refused_as_a_sample_sheet(tmp_path: Path) -> None:
    # shape of const-ae/proDA-Paper experimentalDesign_mod_4v4.txt (no licence stated)
    rows = ["Name\tCondition\tExperiment\tFraction"] + [
        f"OR8_121123_run_{i}\t{'AB'[i % 2]}\t{experiment}\t1" for i, experiment in enumerate([2, 5, 6, 8, 1, 3, 4, 7])
    ]
    (tmp_path / "experimentalDesign.txt").write_text("\n".join(rows) + "\n")
    message = _refusal(tmp_path / "experimentalDesign.txt")
    assert "this is a sample sheet" in message and "'Experiment'" in message


def test_a_protein_table_with_a_design_like_sample_name_still_reads(tmp_path: Path) -> None:
    # only a table whose EVERY numeric column is a design attribute is a sample sheet
    rows = ["Protein\tbatch\tS2\tS3", "P12345\t1.5e6\t2.5e6\t3.5e6", "Q67890\t4.0e6\t5.0e6\t6.0e6"]
    (tmp_path / "proteins.tsv").write_text("\n".join(rows) + "\n")
    adata = _read(tmp_path / "proteins.tsv")
    assert list(adata.obs_names) == ["batch", "S2", "S3"]


# --- differential-result tables ------------------------------------------------------------------------------

def test_hits_table_with_mean_and_q_is_refused_as_a_differential_result() -> None:
    message = _refusal(HERE / "fleith_A549_hits_ko.csv")
    assert "this is a differential-result table" in message and "not a protein-level quantity table" in message
    assert "'mean'" in message and "'q'" in message


def test_fc2_log_table_is_refused_as_a_differential_result(tmp_path: Path) -> None:
    # shape of mtinti/zhe_20190507 table_1.csv (no licence stated)
    rows = ["Gene_id,fc2_log,log10_intensity,Gene_desc,Score"] + [
        f"Tb927.5.{4000 + i},{(-1) ** i * (i / 3):.4f},{6 + i / 10:.4f},protein {i},{i * 1.7:.3f}" for i in range(12)
    ]
    (tmp_path / "table_1.csv").write_text("\n".join(rows) + "\n")
    message = _refusal(tmp_path / "table_1.csv")
    assert "this is a differential-result table" in message and "'fc2_log'" in message


def test_edger_result_reads_the_samples_not_the_group_means() -> None:
    adata = _read(HERE / "pxd011691_results_edgeR-exact-random.txt")
    columns = adata.uns["source"]["sample_columns"]
    assert adata.shape == (16, 30)
    assert columns[0] == "IRSNorm_BGS.S1.1_1_tmm_SET1-2" and columns[-1] == "IRSNorm_FLI.S4.2_2_tmm_SET1-2"
    assert not any(c.startswith(("ave_", "logFC", "FC_", "PValue", "FDR")) for c in columns)
    assert adata.var_names[0] == "sp|P16546|SPTN1_MOUSE"
    assert np.isclose(adata.X[0, 0], 387736863.0, rtol=1e-6)


# --- R-resaved MaxQuant: the record names the file's columns -------------------------------------------------

def test_r_resaved_maxquant_names_the_files_own_columns() -> None:
    adata = _read(HERE / "mquantr_proteinGroups.txt")
    source = adata.uns["source"]
    assert source["format"] == "maxquant" and source["quantity"] == "LFQ intensity"
    assert source["sample_columns"][0] == "LFQ.intensity.t1.1" and source["sample_columns"][-1] == "LFQ.intensity.t2.4"
    assert list(adata.obs_names[:2]) == ["t1.1", "t1.2"] and adata.shape == (8, 30)
    header = (HERE / "mquantr_proteinGroups.txt").read_text().split("\n", 1)[0].split("\t")
    assert set(source["sample_columns"]) <= set(header)
    assert set(source.get("unread_columns", [])) <= set(header)


# --- Proline: the family rank is data ('raw' qualifies the other words) ----------------------------------------

def test_proline_abundance_is_chosen_over_raw_abundance(tmp_path: Path) -> None:
    # shape of cran/wrProteo exampleProlineABC.csv.gz: sample names are run files with '.raw.' inside
    runs = [f"{group}_0{i}.raw.mzDB.t.xml" for group in "ABC" for i in (1, 2, 3, 4)]
    header = ["protein_set_id", "accession", "#peptides"] + [f"psm_count_{r}" for r in runs]
    header += [f"abundance_{r}" for r in runs] + [f"raw_abundance_{r}" for r in runs]
    rows = [";".join(header)]
    for p in range(5):
        rows.append(";".join([str(p), f"P1234{p}", "3"] + ["2"] * 12 + [f"{1e6 * (p + 1) + j:.1f}" for j in range(12)]
                             + [f"{2e6 * (p + 1) + j:.1f}" for j in range(12)]))
    (tmp_path / "proline.csv").write_text("\n".join(rows) + "\n")
    adata = _read(tmp_path / "proline.csv")
    source = adata.uns["source"]
    assert source["quantity"] == "abundance" and adata.shape == (12, 5)
    assert source["sample_columns"][0] == f"abundance_{runs[0]}" and source["sample_columns"][-1] == f"abundance_{runs[-1]}"
    assert adata.X[0, 0] == 1e6
    raw = _read(tmp_path / "proline.csv", quantity="raw_abundance")
    assert raw.X[0, 0] == 2e6


# --- non-protein files name what they are ----------------------------------------------------------------------

@pytest.mark.parametrize(("header", "row", "kind"), [
    (["Parameter", "Value"], ["Version", "1.6.10.43"], "a MaxQuant parameters.txt"),
    (["Input Files Workflow ID", "Input Files Workflow Level", "File ID", "File Name"], ["-294", "0", "F1", "C:\\a.raw"],
     "sample sheet"),
    (["MSMS Spectrum Info Workflow ID", "MSMS Spectrum Info Spectrum ID", "Checked", "Search ID", "RT in min"],
     ["-1", "17", "False", "A", "12.5"], "MS/MS spectrum info table"),
    (["Quan Spectra Workflow ID", "Quan Spectra Spectrum ID", "Checked", "Abundances Normalized 126"],
     ["-1", "4", "False", "1200.5"], "quan spectra table"),
    (["Sequence", "Base Sequence", "Protein Groups", "Intensity_run1"], ["PEP[+16]TIDE", "PEPTIDE", "sp|P00925|ENO2_YEAST", "1e6"],
     "peptide-level table"),
    (["Sequence", "Modifications", "Protein Groups", "Unique (Groups)", "Intensity 1"], ["PEPTIDE", "Unmodified", "1", "yes", "1e6"],
     "a MaxQuant modificationSpecificPeptides.txt"),
    (["FileName", "ProteinName", "PrecursorCharge", "ModifiedSequence", "TotalArea"], ["r1.wiff", "P12345", "2", "PEPTIDE", "1e5"],
     "a Skyline precursor report"),
    (["PEH", "sequence", "accession", "unique"], ["PEP", "AAAAK", "null", "1"], "an mzTab peptide section"),
])
def test_non_protein_tables_of_batch6_name_their_kind(tmp_path: Path, header: list[str], row: list[str], kind: str) -> None:
    path = tmp_path / "table.tsv"
    path.write_text("\t".join(header) + "\n" + "\t".join(row) + "\n" + "\t".join(row) + "\n")
    message = _refusal(path)
    assert kind in message and "not a protein-level quantity table" in message


# --- Proteome Discoverer headers without colons ------------------------------------------------------------------

def _pd_table(path: Path, quantity_columns: list[str]) -> Path:
    header = ["Checked", "Master", "Accession", "Description", "Contaminant", "Number of PSMs", *quantity_columns]
    rows = ["\t".join(header)]
    for p in range(4):
        rows.append("\t".join(["False", "IsMasterProtein", f"P0{p}040", f"protein {p}", "False", "7"]
                              + [f"{(p + 1) * 1000 + j}.5" for j in range(len(quantity_columns))]))
    path.write_text("\n".join(rows) + "\n")
    return path


def test_pd_colonless_abundance_columns_are_read(tmp_path: Path) -> None:
    # shape of cran/wrProteo exampleProtDiscov1.txt.gz: 'Abundance S1rep1' ... (no colons)
    columns = [f"Abundance S{g}rep{r}" for g in (1, 2) for r in (1, 2, 3)] + ["Abundance Ratio S2 S1", "Abundances Count S1rep1"]
    adata = _read(_pd_table(tmp_path / "pd.txt", columns))
    source = adata.uns["source"]
    assert source["format"] == "proteome_discoverer" and source["quantity"] == "Abundance"
    assert source["sample_columns"] == columns[:6] and list(adata.obs_names) == ["S1rep1", "S1rep2", "S1rep3", "S2rep1", "S2rep2", "S2rep3"]
    assert adata.X[5, 3] == 4005.5


def test_pd_colonless_normalized_family_is_preferred(tmp_path: Path) -> None:
    # shape of cran/wrProteo pxd001819_PD24_Proteins.txt.gz: 'Abundances Normalized F1 Sample' beside 'Abundance F1 Sample'
    raw = [f"Abundance F{i} Sample" for i in (1, 2, 3)]
    normalized = [f"Abundances Normalized F{i} Sample" for i in (1, 2, 3)]
    adata = _read(_pd_table(tmp_path / "pd.txt", raw + normalized))
    source = adata.uns["source"]
    assert source["quantity"] == "Abundances (Normalized)" and source["sample_columns"] == normalized
    assert list(adata.obs_names) == ["F1", "F2", "F3"] and list(adata.obs["sample_type"]) == ["Sample"] * 3
    assert adata.X[0, 0] == 1003.5
    assert _read(tmp_path / "pd.txt", quantity="Abundance").X[0, 0] == 1000.5


def test_pd_accession_repeated_as_a_contaminant_is_read_flagged_and_keyed(tmp_path: Path) -> None:
    """pxd001819_PD24_Proteins: catalase P04040 from the UPS1 database and again from the contaminant database;
    refused as a duplicated identifier. Read: the contaminant copy keyed 'P04040#contaminant', flagged, said."""
    import warnings

    columns = [f"Abundances Normalized F{i} Sample" for i in (1, 2, 3)]
    path = _pd_table(tmp_path / "pd.txt", columns)
    lines = path.read_text().splitlines()
    lines.append("\t".join(["False", "IsMasterProtein", "P01040", "catalase (contaminant)", "True", "5", "9.5", "8.5", "7.5"]))
    path.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from secretome.io import read

        adata = read(path)
    assert any("1 contaminant row(s) repeat the accession group of another row (first: 'P01040', file rows [6])"
               in str(w.message) for w in caught)
    assert list(adata.var_names) == ["P00040", "P01040", "P02040", "P03040", "P01040#contaminant"]
    assert list(adata.var["is_contaminant"]) == [False, False, False, False, True]
    assert adata.X[0, 4] == 9.5 and adata.X[0, 1] == 2000.5
    assert adata.uns["source"]["n_duplicate_ids_suffixed"] == 1
    lines.append("\t".join(["False", "IsMasterProtein", "P02040", "a second clean copy", "False", "5", "1", "2", "3"]))
    path.write_text("\n".join(lines) + "\n")
    assert "duplicated protein identifier 'P02040'" in refusal_of(path)  # two rows that are not contaminants
