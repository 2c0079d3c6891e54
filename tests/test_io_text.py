"""Text as real exports write it, numbers read as written (issue 15 parts c and h)."""

from __future__ import annotations

import numpy as np
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read
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
    (tmp_path / "c.csv").write_text("Protein,s1\nP12345,1\nP23456,3\n")
    with pytest.raises(SecretomeInputError, match="also the column delimiter"):
        read(tmp_path / "c.csv", decimal=",")


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
    with pytest.warns(UserWarning, match=r"stored as text.*1 in 's2' \(first: row 2\)"):
        adata = read(tmp_path / "text.xlsx")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.0], [2.5, 4.0]])
    _workbook(tmp_path / "formula.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, "=B2*2"], ["P23456", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"1 formula cell\(s\).*no saved value \(first: C2\)"):
        read(tmp_path / "formula.xlsx")
    _workbook(tmp_path / "error.xlsx", [["Protein", "s1", "s2"], ["P12345", 1.5, "#DIV/0!"], ["P23456", 3.0, 4.0]])
    with pytest.raises(SecretomeInputError, match=r"1 cell\(s\) of sheet 'Sheet' hold an Excel error value \(first: C2 '#DIV/0!'\)"):
        read(tmp_path / "error.xlsx")
