"""Regression tests for what held-out batch 5 found (issue 15): each finding of its one blind run, on the real
file where its licence allows a trimmed fixture (``tests/data/readers``, see PROVENANCE.tsv), else on a small
table written here in the shape of the real one (whose repository states no licence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from secretome.io import ReaderWarning, read, read_samples
from conftest import read_quietly, refusal_of

HERE = Path(__file__).parent / "data" / "readers"


_read, _refusal = read_quietly, refusal_of


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# --- Proteome Discoverer workbooks (ProtE) ---------------------------------------------------------------

def test_pd_abundance_columns_without_spaces_are_read():
    adata = _read(HERE / "prote_pd_abundance_nospace.xlsx")
    source = adata.uns["source"]
    assert source["format"] == "proteome_discoverer" and source["quantity"] == "Abundance"
    assert adata.obs_names.tolist()[:2] == ["HealthyControl_01", "HealthyControl_02"] and adata.n_obs == 8
    assert source["sample_columns"][-1] == "Abundance:Patient_04:Sample" and adata.n_vars == 12
    assert adata.var_names[0] == "P00920" and adata.X[0, 0] == pytest.approx(32235.3831568442)
    assert all("count" in source["unread_reasons"][source["unread_columns"].index(c)]
               for c in source["unread_columns"] if c.startswith("Abundances Count"))


def test_pd14_one_file_area_is_one_sample_named_after_the_file():
    adata = _read(HERE / "prote_pd14_240517_BCa_T1_27.xlsx")
    assert adata.uns["source"]["format"] == "proteome_discoverer" and adata.uns["source"]["quantity"] == "Area"
    assert adata.obs_names.tolist() == ["prote_pd14_240517_BCa_T1_27"] and adata.n_vars == 12
    assert adata.var_names[0] == "P35749" and adata.X[0, 0] == pytest.approx(68020969.625)


# --- tables that are not protein tables, named for what they are -----------------------------------------

@pytest.mark.parametrize("name, kind", [
    ("rmetalab_summary.txt", "a MaxQuant summary.txt"),
    ("rmetalab_taxa_refine.csv", "a taxonomy table"),
    ("mspms_colData.csv", "sample sheet"),
    ("mspms_peaks_protein-peptides-lfq.csv", "a PEAKS protein-peptides table"),
    ("mspms_peptide_library.csv", "a peptide list"),
    ("protti_test_import.csv", "no protein identifier column"),
])
def test_non_protein_files_are_refused_naming_their_kind(name, kind):
    assert kind in _refusal(HERE / name)


def test_a_quantcols_sheet_still_works_as_the_sample_sheet():
    sheet = read_samples(HERE / "mspms_colData.csv")
    assert sheet.index[:2].tolist() == ["CatA_0000_1", "CatA_0000_2"] and "condition" in sheet.columns


@pytest.mark.parametrize("header, kind", [
    (["Peptide Sequence", "Modified Sequence", "Prev AA", "Charges", "Assigned Modifications", "Protein",
      "Protein ID", "r1 Intensity", "r2 Intensity"], "a FragPipe modified-peptide table"),
    (["Peptide", "Prev AA", "Next AA", "Peptide Length", "Charges", "Probability", "Protein", "Protein ID",
      "sample-01", "sample-02"], "a FragPipe peptide table (peptide.tsv of one experiment"),
    (["PROTID", "GENEID", "r1_INT", "r2_INT"], "a REPRINT/SAINT input matrix"),
])
def test_fragpipe_side_outputs_are_named(tmp_path, header, kind):
    path = tmp_path / "table.tsv"
    row = ["AADETAAAFYPSK" if "Peptide" in h else "P32263" if "Prot" in h else "1" for h in header]
    path.write_text("\t".join(header) + "\n" + "\t".join(row) + "\n")
    assert kind in _refusal(path)


def test_a_sheet_with_row_numbers_and_a_sampleid_column_is_named_a_sample_sheet(tmp_path):
    path = tmp_path / "meta_prot.csv"
    path.write_text('"","colnames.x.","SampleID","Group","Batch"\n"1","C10_A1_1","C10_A1_1","C10","A1"\n'
                    '"2","C10_A1_3","C10_A1_3","C10","A1"\n')
    assert "looks like a sample sheet (column 'SampleID'" in _refusal(path)


def test_tmt_annotation_file_is_named(tmp_path):
    path = tmp_path / "annotation.txt"
    path.write_text("126 sample-01\n127N sample-02\n127C sample-03\n128N sample-04\n")
    assert "isobaric-label annotation file" in _refusal(path)


def test_a_sheet_whose_header_alone_ends_with_a_tab_and_whose_last_line_has_no_line_end(tmp_path):
    path = tmp_path / "metadata.tsv"
    path.write_text("intensity_sample_name\tsample_name\tgroup\t\nIntensity.WT1\tWT1\tWT\t\nIntensity.WT2\tWT2\tWT")
    sheet = read_samples(path)  # not "the file looks truncated"
    assert sheet.index.tolist() == ["WT1", "WT2"] and sheet["group"].tolist() == ["WT", "WT"]


# --- Triqler's protein output ------------------------------------------------------------------------------

def test_triqler_trailing_peptide_fields_are_one_annotation_column():
    adata = _read(HERE / "triqler_dia_example_proteins.tsv")
    source = adata.uns["source"]
    assert source["format"] == "generic" and adata.n_obs == 6 and adata.n_vars == 30
    assert source["sample_columns"][0] == "1:002-Pedro" and source["sample_columns"][-1] == "2:007-Pedro"
    assert adata.var_names[0] == "P0A9D2_ECOLI" and adata.X[0, 0] == pytest.approx(0.4707)
    assert "'peptides' (Triqler protein output)" in source["list_column"]
    assert "peptides" in source["unread_columns"] and "log2_fold_change" in source["unread_columns"]


def test_triqler_row_short_before_the_list_column_is_still_refused(tmp_path):
    lines = (HERE / "triqler_dia_example_proteins.tsv").read_bytes().split(b"\n")
    fields = lines[3].rstrip(b"\r").split(b"\t")
    lines[3] = b"\t".join(fields[:9])  # loses four sample values and the peptides
    path = tmp_path / "proteins.tsv"
    path.write_bytes(b"\n".join(lines))
    message = _refusal(path)
    assert "row 4" in message and "fields" in message


# --- FragPipe combined_protein without MaxLFQ, TMT-Integrator with appended columns -------------------------

def _combined_protein(tmp_path: Path) -> Path:
    header = ["Protein", "Protein ID", "Entry Name", "Gene", "Protein Probability", "Top Peptide Probability",
              "Combined Total Peptides", "r1 Spectral Count", "r2 Spectral Count", "r1 Intensity", "r2 Intensity",
              "r1 MaxLFQ Intensity", "r2 MaxLFQ Intensity"]
    rows = [["sp|P32263|P5CR_YEAST", "P32263", "P5CR_YEAST", "PRO3", "0.9", "0.9", "1", "1", "0", "3298586.5", "0.0", "0.0", "0.0"],
            ["sp|P32468|CDC12_YEAST", "P32468", "CDC12_YEAST", "CDC12", "0.9", "0.9", "1", "0", "1", "0.0", "562298.06", "0.0", "0.0"]]
    path = tmp_path / "combined_protein.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    return path


def test_an_all_zero_maxlfq_family_gives_way_to_intensity_with_a_warning(tmp_path):
    path = _combined_protein(tmp_path)
    with pytest.warns(ReaderWarning, match="every cell of the 'MaxLFQ Intensity' columns is empty or zero"):
        adata = read(path)
    assert adata.uns["source"]["quantity"] == "Intensity" and adata.X[0, 0] == 3298586.5
    assert "empty or zero" in _refusal(path, quantity="MaxLFQ Intensity")  # asked for: read or refused, never swapped


def test_text_columns_appended_after_tmt_integrator_channels_are_annotations(tmp_path):
    header = ["Index", "NumberPSM", "Gene", "MaxPepProb", "ReferenceIntensity", "C10_A1_1", "SVEC_A1_1",
              "Contaminants", "no cut-off", "30% cut-off"]
    rows = [["Q8BGQ7", "152", "Aars1", "1", "23.5", "23.86", "NA", "", "Aars1", "Aars1"],
            ["P61222", "12", "Abce1", "1", "21.0", "20.10", "21.3", "", "Abce1", ""]]
    path = tmp_path / "abundance_protein_GN.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    adata = _read(path)
    assert adata.obs_names.tolist() == ["C10_A1_1", "SVEC_A1_1"] and np.isnan(adata.X[1, 0])
    source = adata.uns["source"]
    assert {"Contaminants", "no cut-off", "30% cut-off"} <= set(source["unread_columns"])
    # a text column between channels is still a quantity error, not an annotation
    swapped = [header[:6] + ["no cut-off", "SVEC_A1_1"], *[r[:6] + [r[8], r[6]] for r in rows]]
    path.write_text("\n".join("\t".join(r) for r in swapped) + "\n")
    assert "non-numeric value 'Aars1'" in _refusal(path)


# --- XLSX numbers stored as text ----------------------------------------------------------------------------

def test_xlsx_decimal_comma_text_numbers_are_converted_and_said(tmp_path):
    path = _workbook(tmp_path / "comma.xlsx", [["Protein IDs", "S1", "S2"], ["P02768", "0,5", 2.0],
                                               ["P01024", "1.234,5", 3.5], ["P00738", 4, "12,25"]])
    with pytest.warns(ReaderWarning, match=r"with a decimal comma .*B2.*2 in 'S1' \(B2, B3\); 1 in 'S2' \(C4\)"):
        adata = read(path)
    assert adata.X.T.tolist() == [[0.5, 2.0], [1234.5, 3.5], [4.0, 12.25]]
    assert adata.uns["source"]["numbers"]["decimal"] == "," and "B2" in adata.uns["source"]["numbers"]["evidence"]


def test_xlsx_text_numbers_of_two_conventions_are_refused_naming_both_cells(tmp_path):
    path = _workbook(tmp_path / "mixed.xlsx", [["Protein IDs", "S1", "S2"], ["P02768", "0,5", 2.0], ["P01024", "1.25", 3.5]])
    message = _refusal(path)
    assert "mix conventions" in message and "cell B2 ('0,5')" in message and "cell B3 ('1.25')" in message


def test_xlsx_ambiguous_text_number_is_refused_unless_the_decimal_mark_is_declared(tmp_path):
    path = _workbook(tmp_path / "ambiguous.xlsx", [["Protein IDs", "S1", "S2"], ["P02768", "12,345", 2.0], ["P01024", 1.5, 3.5]])
    assert "cell B2 ('12,345') is 12345" in _refusal(path)
    assert _read(path, decimal=",").X[0, 0] == pytest.approx(12.345)
    assert _read(path, decimal=".").X[0, 0] == 12345.0
