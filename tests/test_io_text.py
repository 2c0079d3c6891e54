"""Text as real exports write it, numbers read as written (issue 15 parts c and h)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import FORMATS, read, summarize, summary_lines
from test_io_readers import SAMPLES, check_values, maxquant_frame


def test_trimmed_trailing_fields_after_the_last_quantity_are_padded(tmp_path):
    """MaxQuant and DIA-NN files where a writer dropped empty trailing fields (pandas and R pad them)."""
    frame = maxquant_frame()
    frame["Taxonomy IDs"] = ["9606"] * 3 + [""] * 3
    text = frame.to_csv(sep="\t", index=False).splitlines()
    trimmed = [text[0]] + [line.rstrip("\t") for line in text[1:]]
    assert any(len(a) != len(b) for a, b in zip(text, trimmed))
    (tmp_path / "pg.txt").write_text("\n".join(trimmed) + "\n")
    check_values(read(tmp_path / "pg.txt"), frame, [f"LFQ intensity {s}" for s in SAMPLES])


def test_trimmed_fields_inside_the_quantities_stay_an_error(tmp_path):
    lines = ["Protein\tS1\tS2\tS3"] + [f"P1{i:04d}\t{i + 1}.5\t2\t7" for i in range(5)]
    lines[3] = "P19999\t1\t2"
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SecretomeInputError, match=r"row 4.*3 fields where the header has 4.*'S3'"):
        read(tmp_path / "t.tsv")


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_decimal_commas_in_any_delimiter(tmp_path, delimiter):
    """A tab-separated Spectronaut-style export with decimal commas, and the European CSV."""
    lines = [delimiter.join(["Protein", "s1", "s2"]), delimiter.join(["P12345", "1,5", "12.345"]),
             delimiter.join(["P23456", "0,25", "1.234.567,5"])]
    (tmp_path / "eu.txt").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "eu.txt")
    np.testing.assert_array_equal(adata.X, [[1.5, 0.25], [12345.0, 1234567.5]])


def test_mixed_number_conventions_are_refused_naming_cells(tmp_path):
    (tmp_path / "mixed.tsv").write_text("Protein\ts1\ts2\nP12345\t1,5\t2.25\nP23456\t3\t4\n")
    with pytest.raises(SecretomeInputError, match=r"mixes number conventions: row 2 field 2 \('1,5'\).*row 2 field 3 \('2.25'\)"):
        read(tmp_path / "mixed.tsv")


def test_declared_decimal_and_english_thousands(tmp_path):
    (tmp_path / "amb.tsv").write_text("Protein\ts1\ts2\nP12345\t12,345\t1,000\nP23456\t3\t4\n")
    np.testing.assert_array_equal(read(tmp_path / "amb.tsv", decimal=",").X, [[12.345, 3], [1.0, 4]])
    (tmp_path / "en.tsv").write_text("Protein\ts1\ts2\nP12345\t1,234,567\t2.5\nP23456\t3\t4\n")
    np.testing.assert_array_equal(read(tmp_path / "en.tsv").X, [[1234567, 3], [2.5, 4]])
    numbers = read(tmp_path / "en.tsv").uns["source"]["numbers"]
    assert numbers == {"decimal": ".", "thousands": ",", "decided": "file",
                       "evidence": "row 2 field 2 ('1,234,567') in column 's1' has commas as thousands marks"}


def test_lone_cr_in_a_truncated_last_line_is_an_input_error(tmp_path):
    """Found by the property tests (only sometimes, so the suite was flaky): a raw _csv.Error escaped."""
    (tmp_path / "cr.tsv").write_bytes(b"Protein\tS1\tS2\nP12345\t1\t2\nP23456\t3\r4")
    with pytest.raises(SecretomeInputError, match="row 4.*truncated"):
        read(tmp_path / "cr.tsv")
    (tmp_path / "q.tsv").write_bytes(b'Protein\tS1\tS2\nP12345\t1\t2\nP23456\t"3\r4\t5')
    with pytest.raises(SecretomeInputError):
        read(tmp_path / "q.tsv")


@pytest.mark.parametrize("data", [
    b"Protein\tS1\tS2\rP12345\t1\t2\rP23456\t3\t4\r",  # classic Mac line ends
    b"\xef\xbb\xbfProtein\tS1\tS2\r\nP12345\t1\t2\rP23456\t3\t4\r\n",  # BOM, CRLF mixed with a lone CR
])
def test_lone_carriage_returns(tmp_path, data):
    (tmp_path / "cr.tsv").write_bytes(data)
    adata = read(tmp_path / "cr.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3], [2, 4]])


def test_carriage_returns_inside_fields_of_lf_lines_are_read_as_spaces_and_said(tmp_path):
    """Held-out batch 10 (a database dump): lone CRs inside the notes of an LF-ended table cut rows in two for
    pandas and R; when every LF-ended line has the header's fields they are inside fields, read as spaces."""
    data = (b"Protein\tnotes\tS1\tS2\nP12345\tcore: 4 helices\r\\nDNA binding\t1\t2\n"
            b"P23456\t\t3\t4\nP34567\tsheet\rbarrel\t5\t6\n")
    (tmp_path / "dump.tsv").write_bytes(data)
    adata = read(tmp_path / "dump.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3, 5], [2, 4, 6]])
    said = adata.uns["source"]["carriage_returns"]
    assert said.startswith("2 carriage return(s)") and "first on line 2" in said
    assert ("carriage returns", said) in summary_lines(summarize(adata))
    (tmp_path / "mac.tsv").write_bytes(data.replace(b"\t\t3", b"\t3"))  # widths differ: CRs stay line ends
    with pytest.raises(SecretomeInputError):
        read(tmp_path / "mac.tsv")


def test_crlf_saved_again_in_text_mode_is_one_line_end(tmp_path):
    """Held-out batch 8 (a real proteinGroups.txt): CRLF text written again by a Windows text-mode writer
    ends every line with CR CR LF; pandas and R read one line end, pandas' C parser overflowed without blank-line
    skipping."""
    (tmp_path / "crcrlf.tsv").write_bytes(b"Protein\tS1\tS2\r\r\nP12345\t1\t2\r\r\nP23456\t3\t4\r\r\n")
    adata = read(tmp_path / "crcrlf.tsv")
    assert adata.shape == (2, 2)
    np.testing.assert_array_equal(adata.X, [[1, 3], [2, 4]])


def test_header_wider_than_the_sniff_window(tmp_path):
    """700 DIA-NN runs with Windows paths: the header alone is over 64 KiB."""
    runs = [f"D:\\acquisitions\\project_with_a_rather_longer_folder_name\\batch_{i // 100}\\run_{i:04d}_DIA_60min_plasma.raw" for i in range(700)]
    header = "\t".join(["Protein.Group", "Protein.Names", "Genes", *runs])
    assert len(header) > 65536
    rows = [f"P{10000 + r}\tX{r}_HUMAN\tG{r}\t" + "\t".join(str(1000 + r + i) for i in range(700)) for r in range(3)]
    (tmp_path / "report.pg_matrix.tsv").write_text(header + "\n" + "\n".join(rows) + "\n")
    adata = read(tmp_path / "report.pg_matrix.tsv")
    assert adata.shape == (700, 3) and adata.obs_names[0] == "run_0000_DIA_60min_plasma" and adata.X[5, 2] == 1007


def test_utf16_with_decimal_commas(tmp_path):
    text = "Protein\ts1\ts2\r\nP12345\t1,5\t2\r\nP23456\t3\t4,75\r\n"
    (tmp_path / "u16.txt").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    np.testing.assert_array_equal(read(tmp_path / "u16.txt").X, [[1.5, 3], [2, 4.75]])


def test_a_quote_in_unquoted_maxquant_text_does_not_merge_rows(tmp_path):
    """MaxQuant never quotes: a '"' in a protein name is text, not the start of a field spanning rows."""
    frame = maxquant_frame()
    frame.loc[1, "Protein names"] = '"ecto-5\'-nucleotidase'  # a field starting with a quote
    frame.loc[3, "Protein names"] = 'Protein 3"'
    lines = frame.to_csv(sep="\t", index=False, quoting=3).splitlines()  # csv.QUOTE_NONE, as MaxQuant writes
    (tmp_path / "proteinGroups.txt").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "proteinGroups.txt")
    assert adata.n_vars == len(frame) and adata.var["description"].iloc[1] == '"ecto-5\'-nucleotidase'
    check_values(adata, frame, [f"LFQ intensity {s}" for s in SAMPLES])


def _workbook(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_xlsx_text_numbers_formulas_and_error_cells_are_reported_by_cell(tmp_path):
    _workbook(tmp_path / "text.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, "2.5"], ["P23456", 3.0, 4.0]])
    with pytest.warns(UserWarning, match=r"stored as text in sheet 'Sheet' were read as numbers: 1 in 's2' \(C2\)"):
        adata = read(tmp_path / "text.xlsx")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.0], [2.5, 4.0]])
    _workbook(tmp_path / "formula.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, "=B2*2"], ["P23456", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"1 formula cell\(s\).*no saved value \(first: C2\)"):
        read(tmp_path / "formula.xlsx")
    # an error value has no number (a failed formula): read as missing, said by cell (issue 15 item 8)
    _workbook(tmp_path / "error.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, "#DIV/0!"], ["P23456", 3.0, 4.0]])
    with pytest.warns(UserWarning, match=r"1 cell\(s\) of the columns read hold an Excel error value \(a failed formula: C2 '#DIV/0!'\), read as missing"):
        adata = read(tmp_path / "error.xlsx")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.0], [np.nan, 4.0]])
    assert adata.uns["source"]["error_values_read_as_missing"] == ["C2 '#DIV/0!'"]


def test_error_values_written_as_text_are_missing_and_said_by_cell(tmp_path):
    """A CSV saved from Excel writes a failed formula as '#DIV/0!'; a workbook may hold '#NUM!' as a string."""
    (tmp_path / "excel.csv").write_text("Protein,s1,s2\nP12345,1.5,#DIV/0!\nP23456,3,4\nP34567,#NUM!,5\n")
    with pytest.warns(UserWarning, match=r"2 quantity cell\(s\) hold an Excel error value .*row 2 of 's2' '#DIV/0!'"):
        adata = read(tmp_path / "excel.csv")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.0, np.nan], [np.nan, 4.0, 5.0]])
    assert adata.uns["source"]["error_values_read_as_missing"] == ["row 4 of 's1' '#NUM!'", "row 2 of 's2' '#DIV/0!'"]
    (tmp_path / "word.csv").write_text("Protein,s1,s2\nP12345,1.5,oops\nP23456,3,4\n")
    with pytest.raises(SecretomeInputError, match=r"non-numeric value 'oops' in a quantity column"):
        read(tmp_path / "word.csv")



def test_xlsx_error_cells_outside_the_columns_read_are_reported_not_refused(tmp_path):
    """Issue 15: a result workbook whose p-value formula failed (#DIV/0!) was refused for its error cells
    instead of being named a result table; an error in a note column kept a protein table from being read."""
    rows = [["Protein", "Note", "s1", "s2"], ["P12345", "#DIV/0!", 1.5, 2.5], ["P23456", "ok", 3.0, 4.0]]
    _workbook(tmp_path / "note.xlsx", rows)
    with pytest.warns(UserWarning, match=r"1 cell\(s\) of columns not read hold an Excel error value .*B2 '#DIV/0!' \(column 'Note'\)"):
        adata = read(tmp_path / "note.xlsx")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.0], [2.5, 4.0]])
    assert adata.uns["source"]["cells_not_read"] == ["B2 '#DIV/0!' (column 'Note')"]
    result = [["Protein", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val"],
              *[[f"P{10000 + i}", 0.5 * i, 20.0, 1.5, "#DIV/0!" if i == 2 else 0.01 * i, 0.2] for i in range(1, 6)]]
    _workbook(tmp_path / "result.xlsx", result)
    with pytest.raises(SecretomeInputError, match="differential-result table"):
        read(tmp_path / "result.xlsx")
    _workbook(tmp_path / "header.xlsx", [["Protein", "s1", "#DIV/0!"], ["P12345", 1.5, 2.0], ["P23456", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"hold an Excel error value \(first: C1 '#DIV/0!'\)"):
        read(tmp_path / "header.xlsx")
    _workbook(tmp_path / "unnamed.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, 2.0, "#DIV/0!"], ["P23456", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"hold an Excel error value \(first: D2 '#DIV/0!'\)"):
        read(tmp_path / "unnamed.xlsx")
    _workbook(tmp_path / "gene.xlsx", [["Protein", "Gene", "s1", "s2"], ["P12345", "=A2", 1.5, 2.0], ["P23456", "ALB", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"1 formula cell\(s\).*no saved value \(first: B2\)"):
        read(tmp_path / "gene.xlsx")

def test_thousands_points_beside_decimal_commas_are_read_and_the_decision_stated(tmp_path):
    """Issue 15: ``12.345`` beside ``0,5`` in a ';' file was read as 12.345 (1000x off)."""
    (tmp_path / "eu.csv").write_text("Protein;s1;s2\nP12345;12.345;0,5\nP23456;1.234.567,5;7\n")
    adata = read(tmp_path / "eu.csv")
    np.testing.assert_array_equal(adata.X, [[12345.0, 1234567.5], [0.5, 7.0]])
    assert adata.uns["source"]["numbers"] == {
        "decimal": ",", "thousands": ".", "decided": "file", "evidence": "row 2 field 3 ('0,5') in column 's2' has a decimal comma"}
    from secretome.io import summarize, summary_lines

    lines = dict(summary_lines(summarize(adata)))
    assert lines["numbers"] == "decimal comma, '.' thousands marks (decided from the file: row 2 field 3 ('0,5') in column 's2' has a decimal comma)"


def test_a_lone_thousands_point_number_is_read(tmp_path):
    """``1.234.567`` can only be a number with thousands points (two points), whatever else the file holds."""
    (tmp_path / "t.tsv").write_text("Protein\ts1\ts2\nP12345\t1.234.567\t3\nP23456\t12\t4\n")
    np.testing.assert_array_equal(read(tmp_path / "t.tsv").X, [[1234567, 12], [3, 4]])
    (tmp_path / "m.tsv").write_text("Protein\ts1\ts2\nP12345\t1.234.567\t3.5\nP23456\t12\t4\n")
    # beside a decimal point it is no number of the file's convention: refused naming the cell
    with pytest.raises(SecretomeInputError, match=r"column 's1', row 2: non-numeric value '1.234.567'"):
        read(tmp_path / "m.tsv")


def test_quoted_decimal_commas_in_a_comma_separated_file(tmp_path):
    """A comma-separated file can only hold decimal commas in quoted cells; an unquoted 12.345 is then 12345."""
    (tmp_path / "q.csv").write_text('Protein,s1,s2\nP12345,"1,5",12.345\nP23456,"0,25",3\n')
    adata = read(tmp_path / "q.csv")
    np.testing.assert_array_equal(adata.X, [[1.5, 0.25], [12345.0, 3.0]])
    assert adata.uns["source"]["numbers"]["evidence"] == "row 2 field 2 ('1,5') in column 's1' has a decimal comma"
    (tmp_path / "declared.csv").write_text('Protein,s1,s2\nP12345,"12,345",1\nP23456,3,4\n')
    np.testing.assert_array_equal(read(tmp_path / "declared.csv", decimal=",").X, [[12.345, 3], [1, 4]])
    assert read(tmp_path / "declared.csv", decimal=".").X[0, 0] == 12345
    (tmp_path / "en.csv").write_text('Protein,s1,s2\nP12345,"1,234,567",2.5\nP23456,3,4\n')
    np.testing.assert_array_equal(read(tmp_path / "en.csv").X, [[1234567, 3], [2.5, 4]])


def test_a_declared_decimal_mark_the_file_contradicts_is_refused(tmp_path):
    (tmp_path / "p.tsv").write_text("Protein\ts1\ts2\nP12345\t1,5\t1\nP23456\t1.25\t4\n")
    with pytest.raises(SecretomeInputError, match=r"decimal=',' was declared but row 3 field 2 \('1.25'\)"):
        read(tmp_path / "p.tsv", decimal=",")
    with pytest.raises(SecretomeInputError, match=r"decimal='.' was declared but row 2 field 2 \('1,5'\)"):
        read(tmp_path / "p.tsv", decimal=".")


@pytest.mark.parametrize("cell, reading", [("12,345", "12345 with ',' as a thousands mark or 12.345"),
                                           ("12.345", "12345 with '.' as a thousands mark or 12.345")])
def test_an_undecidable_decimal_mark_is_refused_naming_the_cell(tmp_path, cell, reading):
    (tmp_path / "a.tsv").write_text(f"Protein\ts1\ts2\nP12345\t{cell}\t1\nP23456\t3\t4\n")
    with pytest.raises(SecretomeInputError, match=rf"cannot be decided: row 2 field 2 \('{cell}'\) in column 's1' is {re.escape(reading)}"):
        read(tmp_path / "a.tsv")
    assert read(tmp_path / "a.tsv", decimal=".").X[0, 0] == float(cell.replace(",", ""))


def test_a_number_off_the_files_convention_is_refused(tmp_path):
    """pandas drops a thousands mark wherever it stands (1.2.3 would become 123)."""
    (tmp_path / "b.tsv").write_text("Protein\ts1\ts2\nP12345\t1,5\t1.2.3\nP23456\t3\t4\n")
    with pytest.raises(SecretomeInputError, match=r"row 2 field 3 \('1.2.3'\) in column 's2' is not a number written with a decimal comma"):
        read(tmp_path / "b.tsv")


def test_quotes_in_a_generic_table_are_decided_from_the_file(tmp_path):
    """A writer that does not quote: a field opening a quote it never closes is text, rows stay apart."""
    lines = ["Protein\tDescription\ts1\ts2", 'P12345\t"ecto-5\'-nucleotidase\t1\t2', "P23456\tplain\t3\t4",
             'P34567\tname 3"\t5\t6']
    (tmp_path / "g.tsv").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "g.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3, 5], [2, 4, 6]])
    assert adata.uns["source"]["quoting"].startswith("quotes read as text: 1 of 1 fields starting with")
    (tmp_path / "q.tsv").write_text('Protein\tDescription\ts1\ts2\nP12345\t"a\tb"\t1\t2\nP23456\tplain\t3\t4\n')
    adata = read(tmp_path / "q.tsv")
    assert adata.var["description"].iloc[0] == "a\tb" and adata.uns["source"]["quoting"].startswith("every field")


def test_a_quote_in_a_diann_matrix_is_text(tmp_path):
    """DIA-NN never quotes (data/quoting.tsv): a description starting with '"' does not merge rows."""
    lines = ["Protein.Group\tProtein.Ids\tProtein.Names\tGenes\tFirst.Protein.Description\ta.raw\tb.raw",
             'P12345\tP12345\tX_HUMAN\tG1\t"Quoted" start\t1\t2', 'P23456\tP23456\tY_HUMAN\tG2\tplain"\t3\t4']
    (tmp_path / "report.pg_matrix.tsv").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "report.pg_matrix.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3], [2, 4]])
    assert adata.uns["source"]["quoting"] == "quotes read as text: DIA-NN never quotes (data/quoting.tsv)"


def test_a_first_data_line_wider_than_the_sniff_window(tmp_path):
    """One data line over 64 KiB (long protein groups and descriptions), header short."""
    group = ";".join(f"P{10000 + i}" for i in range(12000))
    (tmp_path / "wide.tsv").write_text(f"Protein\ts1\ts2\n{group}\t1\t2\nP23456\t3\t4\n")
    assert len(group) > 65536
    np.testing.assert_array_equal(read(tmp_path / "wide.tsv").X, [[1, 3], [2, 4]])


def test_trimmed_empty_quantity_cells_of_a_stripped_file_are_read_as_missing():
    """The alphapeptstats DIA-NN matrix: DIA-NN writes every field (its own matrices end lines with empty
    fields, tests/data/readers/protpipe_report.pg_matrix.tsv), but in this file no line ends with a tab
    although empty cells occur inside rows: trailing whitespace was stripped from every line, which removes
    empty cells only, so the lacking cells are missing values (as pandas and R read them)."""
    path = Path(__file__).parent / "data" / "readers" / "alphapeptstats_diann_report_final.pg_matrix.tsv"
    with pytest.warns(UserWarning, match=r"9 row\(s\) lack trailing quantity fields \(first: row 2, 3, 4, 5, 6\)"):
        adata = read(path)
    assert adata.shape == (20, 10) and adata.uns["source"]["padded_rows"] == [2, 3, 4, 5, 6, 8, 9, 10, 11]
    assert adata.X[18, 0] == 794752.0 and np.isnan(adata.X[19, 0]) and np.isnan(adata.X[:, 2]).all()
    assert adata.X[17, 7] == 1089670.0 and np.isnan(adata.X[18:, 7]).all() and adata.X[19, 5] == 8042930.0


def test_trimmed_quantity_cells_stay_an_error_when_other_lines_keep_their_trailing_tabs(tmp_path):
    lines = ["Protein\tS1\tS2\tS3", "P10001\t1\t\t", "P10002\t1\t2", "P10003\t4\t5\t6"]
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SecretomeInputError, match=r"row 3.*lacks the quantity column 'S3', and other lines end with an empty field"):
        read(tmp_path / "t.tsv")


def test_quoted_text_with_line_breaks_stays_one_field(tmp_path):
    """A quoting writer's multi-line text (pandas, R): the quotes delimit fields although they span lines."""
    lines = ['Protein\tDescription\ts1\ts2', 'P12345\t"two\nlines"\t1\t2', 'P23456\tplain\t3\t4']
    (tmp_path / "m.tsv").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "m.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3], [2, 4]])
    assert adata.var["description"].iloc[0] == "two\nlines" and adata.uns["source"]["quoting"] == "quoted fields span lines (1 of 1)"


def test_a_line_break_inside_a_row_of_a_stripped_file_is_refused(tmp_path):
    """Two short rows that together have the header's fields are one row split in two, not trimmed cells."""
    lines = ["Protein\tS1\tS2\tS3\tS4", "P10001\t1\t\t\t4", "P10002\t1\t2", "3\t4", "P10003\t4\t5\t6\t7"]
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(SecretomeInputError, match=r"rows 3 and 4 have 3 and 2 fields, together those of the header \(5\): a line break"):
        read(tmp_path / "t.tsv")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "generic"] + ["generic"])
@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_declared_decimal_comma_in_every_reader(tmp_path, fmt, delimiter):
    """``decimal=','`` (CLI ``--decimal ,``) reaches every reader's quantity columns through one parse."""
    from test_io_properties import layout

    values = np.array([[1234.5, 0.25], [7.125, 12.0], [3.0, 98765.4321]])
    frame, columns = layout(fmt, ["P12345", "P23456", "P34567"], ["S1", "S2"], values)
    if fmt == "progenesis":  # its header rows make every column text, which to_csv writes without decimal=','
        frame = frame.map(lambda cell: str(cell).replace(".", ",") if isinstance(cell, float) else cell)
    path = tmp_path / "table.txt"
    frame.to_csv(path, sep=delimiter, index=False, decimal=",")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = read(path, format=fmt, decimal=",")
    assert adata.uns["source"]["numbers"]["decided"] == "declared"
    read_columns = adata.uns["source"]["sample_columns"]
    for j, column in enumerate(columns):
        np.testing.assert_array_equal(adata.X[read_columns.index(column)], values[:, j])


def test_xlsx_text_cells_are_named_by_sheet_and_cell(tmp_path):
    """A column past Z and an empty column A: references are the cells Excel shows."""
    header = ["", "Protein"] + [f"s{i}" for i in range(30)]
    row = [None, "P12345"] + [float(i) for i in range(30)]
    bad = [None, "P23456"] + [float(i) for i in range(29)] + ["n.d."]
    _workbook(tmp_path / "wide.xlsx", [header, row, bad])
    with pytest.raises(SecretomeInputError, match=r"non-numeric value 'n.d.' in a quantity column \(sheet 'Sheet', cell AF3\)"):
        read(tmp_path / "wide.xlsx")


def test_r_resaved_maxquant_keeps_the_number_convention(tmp_path):
    """The R-resaved MaxQuant reader renames columns; the file's decided convention stays recorded."""
    adata = read(Path(__file__).parent / "data" / "readers" / "maxquant_proteinGroups_R.csv")
    assert adata.uns["source"]["numbers"]["evidence"] == "row 2 field 58 ('65.1') in column 'Sequence.coverage....' has a decimal point"


def test_info_says_how_numbers_and_quotes_were_read(tmp_path, monkeypatch, capsys):
    from conftest import run_main

    (tmp_path / "q.csv").write_text('Protein,s1,s2\nP12345,"12,345",1\nP23456,3,4\n')
    code, out, err = run_main(monkeypatch, capsys, "info", tmp_path / "q.csv")
    assert code == 2 and "cannot be decided: row 2 field 2 ('12,345')" in err and "--decimal=','" in err
    code, out, err = run_main(monkeypatch, capsys, "info", tmp_path / "q.csv", "--decimal", ",")
    assert code == 0, err
    assert "numbers: decimal comma, '.' thousands marks (declared)" in out
    assert "quotes: every field starting with '\"' is a closed quoted field (1)" in out


@pytest.mark.parametrize("data", [
    b'\xef\xbb\xbfProtein,s1,s2\r\nP12345,"1.234,5",2\r\nP23456,3,"4,25"\r\n',  # UTF-8 BOM, quoted decimal commas
    b"\xff\xfe" + "Protein;s1;s2\r\nP12345;1.234,5;2\r\nP23456;3;4,25\r\n".encode("utf-16-le"),  # Excel UTF-16
    b"Protein;s1;s2\rP12345;1.234,5;2\rP23456;3;4,25\r",  # classic Mac line ends
])
def test_decimal_commas_with_boms_utf16_and_lone_carriage_returns(tmp_path, data):
    (tmp_path / "t.csv").write_bytes(data)
    adata = read(tmp_path / "t.csv")
    np.testing.assert_array_equal(adata.X, [[1234.5, 3.0], [2.0, 4.25]])
    assert adata.uns["source"]["numbers"]["evidence"].startswith("row 2 field 2 ('1.234,5') in column 's1' has a decimal comma")


def _unread(adata) -> dict[str, str]:
    source = adata.uns["source"]
    return dict(zip(source["unread_columns"], source["unread_reasons"]))


def test_numbers_are_decided_from_the_quantity_cells_not_every_column(tmp_path):
    """Issue 15 item 8 (held-out batches 6 and 8): a list of ids (``1162867,1493882039380``) and a PEP written
    with a decimal comma beside sample quantities with decimal points refused the whole file; the quantity cells
    decide, the other columns stay text and are said, never converted."""
    lines = ["Protein\tCluster ID\tPEP\tCoverage\ts1\ts2",
             "P12345\t1162867,1493882039380\t3,24E-29\t16.5\t1.5\t2.25",
             "P23456\t1493882053114\t0,001\t7.25\t3\t4.125",
             "P34567\t1493882053200\t0,5\t12\t1250.5\t7"]
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    adata = read(tmp_path / "t.tsv")
    assert adata.uns["source"]["sample_columns"] == ["s1", "s2"]
    np.testing.assert_array_equal(adata.X, [[1.5, 3, 1250.5], [2.25, 4.125, 7]])
    numbers = adata.uns["source"]["numbers"]
    assert numbers["decimal"] == "." and numbers["decided"] == "quantity cells"
    assert numbers["evidence"].startswith("row 2 field 5 ('1.5') in column 's1' has a decimal point; 2 other column(s)")
    unread = _unread(adata)
    for column in ("Cluster ID", "PEP"):
        assert "written with a decimal comma, the quantity cells with a decimal point: read as text" in unread[column]
    from secretome.io.table import numeric_block, read_table

    table = read_table(tmp_path / "t.tsv")
    numeric_block(table, ["s1", "s2"])
    assert table.frame["PEP"].tolist() == ["3,24E-29", "0,001", "0,5"]  # as written, never converted
    assert table.frame["Coverage"].tolist() == [16.5, 7.25, 12.0]  # the quantity cells' convention: numbers
    from secretome.io import summarize, summary_lines

    assert dict(summary_lines(summarize(adata)))["numbers"].startswith("decimal point, no thousands marks (decided from the quantity cells: ")


def test_maxquant_totals_with_a_decimal_comma_beside_integer_lfq(tmp_path):
    """wrproteo's proteinGroupsMaxQuant1 (batch 6): five ``2,4217E+11`` cells in the total ``Intensity`` beside
    decimal points in the coverage and plain integers in the LFQ columns."""
    frame = maxquant_frame()
    for sample in SAMPLES:
        frame[f"LFQ intensity {sample}"] = frame[f"LFQ intensity {sample}"].round().astype(np.int64)
    frame["Intensity"] = frame["Intensity"].astype(int).astype(str)
    frame.loc[3, "Intensity"] = "2,4217E+11"
    frame["Sequence coverage [%]"] = [f"{i}.5" for i in range(len(frame))]
    frame.to_csv(tmp_path / "proteinGroups.txt", sep="\t", index=False)
    adata = read(tmp_path / "proteinGroups.txt")
    check_values(adata, frame, [f"LFQ intensity {s}" for s in SAMPLES])
    assert "written with a decimal comma, the quantity cells with a decimal point" in _unread(adata)["Intensity"]
    assert adata.uns["source"]["numbers"]["evidence"].startswith("no quantity cell has a decimal or thousands mark, most other marked columns a decimal point")


def test_quantity_cells_of_two_conventions_are_still_refused(tmp_path):
    (tmp_path / "m.tsv").write_text("Protein\tPEP\ts1\ts2\nP12345\t0,01\t1,5\t2\nP23456\t0,02\t3\t4.25\n")
    with pytest.raises(SecretomeInputError, match=r"mixes number conventions: row 2 field 3 \('1,5'\) in column 's1' .*"
                                                  r"row 3 field 4 \('4.25'\) in column 's2' with a decimal point, both in quantity columns"):
        read(tmp_path / "m.tsv")
    (tmp_path / "w.tsv").write_text("Protein\tPEP\ts1\ts2\nP12345\t0,01\t1,5\t2\nP23456\t0,02\t3.5\t4\n")
    with pytest.raises(SecretomeInputError, match=r"column 's1': the quantity column mixes number conventions: row 2 field 3 \('1,5'\)"):
        read(tmp_path / "w.tsv")


def test_a_declared_decimal_comma_wins_over_the_other_columns(tmp_path):
    """``decimal=','`` decides the quantity cells (``12,345`` is 12.345); a column written with decimal points
    is read as text and said; a quantity cell with a decimal point is refused."""
    (tmp_path / "d.tsv").write_text("Protein\tScore\ts1\ts2\nP12345\t0.5\t12,345\t2\nP23456\t1.25\t3\t4,5\n")
    adata = read(tmp_path / "d.tsv", decimal=",")
    np.testing.assert_array_equal(adata.X, [[12.345, 3], [2, 4.5]])
    assert adata.uns["source"]["numbers"]["decided"] == "declared"
    assert "written with a decimal point, the quantity cells with a decimal comma" in _unread(adata)["Score"]
    (tmp_path / "q.tsv").write_text("Protein\tScore\ts1\ts2\nP12345\t0,5\t12,345\t2\nP23456\t1,25\t3\t4.5\n")
    with pytest.raises(SecretomeInputError, match=r"decimal=',' was declared but row 3 field 4 \('4.5'\) in column 's2'"):
        read(tmp_path / "q.tsv", decimal=",")


def test_a_mixed_file_is_summarised_as_the_whole_read_decides(tmp_path):
    """The chunked summary of a large table leaves a file of mixed conventions to the whole read."""
    from secretome.io import summarize_file

    rows = [f"P{10000 + i}\t0,{i + 1}\t{i}.5\t{2 * i}.25" for i in range(200)]
    (tmp_path / "big.tsv").write_text("Protein\tPEP\ts1\ts2\n" + "\n".join(rows) + "\n")
    summary = summarize_file(tmp_path / "big.tsv", stream_min_bytes=1)
    assert summary["n_samples"] == 2 and summary["numbers"]["decided"] == "quantity cells"


def test_a_silac_proteingroups_is_refused_naming_silac(tmp_path):
    """autonomics' billing19 proteinGroups (batch 6): reading ``Intensity <experiment>`` would sum the light,
    medium and heavy samples of each experiment."""
    frame = maxquant_frame()
    frame["Intensity L"] = frame["Intensity"]
    frame["Intensity H"] = frame["Intensity"]
    frame["Ratio H/L"] = 1.5
    frame.to_csv(tmp_path / "proteinGroups.txt", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match=r"this is a SILAC MaxQuant proteinGroups.txt \(columns \['Intensity H', 'Intensity L', 'Ratio H/L'\]\): each experiment holds light"):
        read(tmp_path / "proteinGroups.txt")


def test_a_sample_sheet_mixing_number_conventions_is_still_read(tmp_path):
    """A sample sheet's cells are kept as written: numbers of two conventions in it are no reason to refuse it."""
    from secretome.io import read_samples

    (tmp_path / "sheet.tsv").write_text("sample\tdose\tweight\nS1\t1,5\t2.25\nS2\t3\t4.5\n")
    sheet = read_samples(tmp_path / "sheet.tsv")
    assert list(sheet.index) == ["S1", "S2"]


def test_samples_in_the_convention_of_fewer_columns_are_read_or_refused_never_dropped(tmp_path):
    """The parse converts by the convention most marked columns show; sample columns of the other one are
    judged by their own cells: read when the other columns are not samples, refused when one would be."""
    (tmp_path / "a.tsv").write_text("Protein\tScore\tCoverage\tRT\ts1\ts2\nP12345\t0.5\t16.5\t20.25\t1,5\t2,25\n"
                                    "P23456\t0.7\t7.25\t30.5\t3\t4,125\n")
    adata = read(tmp_path / "a.tsv")
    assert adata.uns["source"]["sample_columns"] == ["s1", "s2"]
    np.testing.assert_array_equal(adata.X, [[1.5, 3], [2.25, 4.125]])
    assert adata.uns["source"]["numbers"]["decimal"] == ","
    assert all("the quantity cells with a decimal comma: read as text" in _unread(adata)[c] for c in ("Score", "Coverage", "RT"))
    (tmp_path / "b.tsv").write_text("Protein\tfoo\ts1\ts2\nP12345\t1.5\t1,5\t2,25\nP23456\t2.5\t3\t4,125\n")
    with pytest.raises(SecretomeInputError, match=r"row 2 field 3 \('1,5'\) in column 's1' .* row 2 field 2 \('1.5'\) in column 'foo' with a decimal point, both in quantity columns"):
        read(tmp_path / "b.tsv")
