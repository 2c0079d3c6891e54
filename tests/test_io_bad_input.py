"""Issue 2 point 7: each bad input gets one clear SecretomeInputError naming the file, column/row and expectation.

``BAD_INPUTS`` is shared with the CLI tests (exit code 2, one line, no traceback, no output file).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read
from test_io_readers import diann_frame, generic_frame, maxquant_frame, write_maxquant


def _empty(tmp: Path) -> tuple[Path, dict]:
    (tmp / "empty.tsv").write_bytes(b"")
    return tmp / "empty.tsv", {}


def _blank(tmp: Path) -> tuple[Path, dict]:
    (tmp / "blank.csv").write_text("\n\n   \n")
    return tmp / "blank.csv", {}


def _header_only(tmp: Path) -> tuple[Path, dict]:
    (tmp / "header.tsv").write_text("Protein IDs\tLFQ intensity A\tLFQ intensity B\n")
    return tmp / "header.tsv", {}


def _binary(tmp: Path) -> tuple[Path, dict]:
    (tmp / "image.tsv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    return tmp / "image.tsv", {}


def _truncated_text(tmp: Path) -> tuple[Path, dict]:
    lines = maxquant_frame().to_csv(sep="\t", index=False).splitlines()
    (tmp / "proteinGroups.txt").write_text("\n".join(lines[:4]) + "\n" + lines[4][:40])  # stops inside row 5
    return tmp / "proteinGroups.txt", {}


def _truncated_gzip(tmp: Path) -> tuple[Path, dict]:
    data = gzip.compress(maxquant_frame().to_csv(sep="\t", index=False).encode())
    (tmp / "proteinGroups.txt.gz").write_bytes(data[: len(data) // 2])
    return tmp / "proteinGroups.txt.gz", {}


def _truncated_xlsx(tmp: Path) -> tuple[Path, dict]:
    buffer = io.BytesIO()
    generic_frame().to_excel(buffer, index=False)
    data = buffer.getvalue()
    (tmp / "matrix.xlsx").write_bytes(data[: len(data) // 2])
    return tmp / "matrix.xlsx", {}


def _space_delimited(tmp: Path) -> tuple[Path, dict]:
    (tmp / "spaces.txt").write_text("Protein S1 S2\nP12345 1.0 2.0\nP23456 3.0 4.0\n")
    return tmp / "spaces.txt", {}


def _mixed_delimiter(tmp: Path) -> tuple[Path, dict]:
    rows = ["Protein\tS1\tS2"] + [f"P1234{i},{i}.5,{i}.25" for i in range(6)]
    (tmp / "mixed.tsv").write_text("\n".join(rows) + "\n")
    return tmp / "mixed.tsv", {}


def _duplicated_sample_columns(tmp: Path) -> tuple[Path, dict]:
    frame = maxquant_frame()
    text = frame.to_csv(sep="\t", index=False).replace("LFQ intensity S2", "LFQ intensity S1")
    (tmp / "pg.txt").write_text(text)
    return tmp / "pg.txt", {}


def _duplicated_sample_stems(tmp: Path) -> tuple[Path, dict]:
    frame = diann_frame()
    frame = frame.rename(columns={"/data/S2.mzML": r"E:\other\S1.raw"})
    frame.to_csv(tmp / "pg_matrix.tsv", sep="\t", index=False)
    return tmp / "pg_matrix.tsv", {}


def _duplicated_protein_ids(tmp: Path) -> tuple[Path, dict]:
    frame = maxquant_frame()
    frame.loc[4, "Protein IDs"] = frame.loc[0, "Protein IDs"]
    frame.to_csv(tmp / "pg.txt", sep="\t", index=False)
    return tmp / "pg.txt", {}


def _non_numeric_cell(tmp: Path) -> tuple[Path, dict]:
    frame = maxquant_frame()
    frame["LFQ intensity S2"] = frame["LFQ intensity S2"].astype(object)
    frame.loc[3, "LFQ intensity S2"] = "12,3e"
    frame.to_csv(tmp / "pg.txt", sep="\t", index=False)
    return tmp / "pg.txt", {}


def _renamed_diann_column(tmp: Path) -> tuple[Path, dict]:
    frame = diann_frame().rename(columns={"Protein.Group": "Protein.Groups"})
    frame.to_csv(tmp / "report.pg_matrix.tsv", sep="\t", index=False)
    return tmp / "report.pg_matrix.tsv", {}


def _renamed_maxquant_quantity(tmp: Path) -> tuple[Path, dict]:
    frame = maxquant_frame()
    frame = frame.rename(columns=lambda c: c.replace("Intensity ", "Intensities ").replace("LFQ intensity ", "LFQ Intensity_")
                         .replace("iBAQ ", "iBAQ_"))
    frame.to_csv(tmp / "pg.txt", sep="\t", index=False)
    return tmp / "pg.txt", {}


def _sheet_with_unknown_sample(tmp: Path) -> tuple[Path, dict]:
    write_maxquant(tmp / "pg.txt")
    (tmp / "sheet.csv").write_text("sample,condition\nS1,a\nS2,a\nS9,b\n")
    return tmp / "pg.txt", {"samples": tmp / "sheet.csv"}


#: name -> (builder, substrings the message must contain; "{file}" is the input file's name)
def _sample_sheet_as_data(tmp: Path) -> tuple[Path, dict]:
    (tmp / "legend.csv").write_text(
        "Sample,Cell_type,Donor\n18_pulp_dif,DPSCs,18\n18_sv_dif,PDLSCs,18\n20_pulp_dif,DPSCs,20\n20_sv_dif,PDLSCs,20\n"
    )
    return tmp / "legend.csv", {}


def _sheet_of_a_text_table(tmp: Path) -> tuple[Path, dict]:
    (tmp / "table.tsv").write_text("Protein IDs\tLFQ intensity A\tLFQ intensity B\nP12345\t1\t2\nP23456\t3\t4\n")
    return tmp / "table.tsv", {"sheet": "2"}


BAD_INPUTS: dict[str, tuple[Callable[[Path], tuple[Path, dict]], list[str]]] = {
    "empty": (_empty, ["{file}", "empty"]),
    "blank lines only": (_blank, ["{file}", "empty"]),
    "header only": (_header_only, ["{file}", "no data rows"]),
    "binary": (_binary, ["{file}", "binary"]),
    "truncated text": (_truncated_text, ["{file}", "truncated", "row 5"]),
    "truncated gzip": (_truncated_gzip, ["{file}", "truncated"]),
    "truncated xlsx": (_truncated_xlsx, ["{file}", "truncated or damaged"]),
    "space delimiter": (_space_delimited, ["{file}", "delimiter", "row 1"]),
    "mixed delimiter": (_mixed_delimiter, ["{file}", "delimiter", "row 2"]),
    "duplicated sample columns": (_duplicated_sample_columns, ["{file}", "'LFQ intensity S1'", "duplicated column"]),
    "duplicated sample stems": (_duplicated_sample_stems, ["{file}", "duplicated sample", "'S1'"]),
    "duplicated protein ids": (_duplicated_protein_ids, ["{file}", "'Protein IDs'", "rows [2, 6]"]),
    "non-numeric cell": (_non_numeric_cell, ["{file}", "'LFQ intensity S2'", "row 5", "'12,3e'"]),
    "renamed column": (_renamed_diann_column, ["{file}", "'Protein.Group'", "Protein.Groups", "newer engine"]),
    "renamed quantity columns": (_renamed_maxquant_quantity, ["{file}", "no quantity columns", "LFQ Intensity_S1"]),
    "sample sheet given as the data": (_sample_sheet_as_data, ["{file}", "'Sample'", "sample sheet", "samples="]),
    "worksheet of a text table": (_sheet_of_a_text_table, ["{file}", "worksheet", "text table"]),
    "sheet names unknown sample": (_sheet_with_unknown_sample, ["sheet.csv", "'S9' (closest: 'S3')", "'S3'"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_raises_one_clear_error(tmp_path, case):
    builder, fragments = BAD_INPUTS[case]
    path, kwargs = builder(tmp_path)
    with pytest.raises(SecretomeInputError) as caught:
        read(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment.replace("{file}", path.name) in message, (fragment, message)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SecretomeInputError, match="file not found"):
        read(tmp_path / "nope.tsv")
    with pytest.raises(SecretomeInputError, match="directory"):
        read(tmp_path)


def test_infinite_and_negative_values(tmp_path):
    (tmp_path / "inf.csv").write_text("Protein,a,b\nP12345,1.5,inf\nP23456,2,3\n")
    with pytest.raises(SecretomeInputError, match="infinite") as caught:
        read(tmp_path / "inf.csv")
    assert "row 2" in str(caught.value) and "'b'" in str(caught.value)
    frame = maxquant_frame()
    frame.loc[2, "LFQ intensity S3"] = -5.0
    frame.to_csv(tmp_path / "neg.txt", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="negative quantity") as caught:
        read(tmp_path / "neg.txt")
    assert "row 4" in str(caught.value)


def test_unknown_format_and_quantity(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    with pytest.raises(SecretomeInputError, match="unknown format 'mascot'"):
        read(tmp_path / "pg.txt", format="mascot")
    with pytest.raises(SecretomeInputError, match="unknown quantity"):
        read(tmp_path / "pg.txt", quantity="Area")


def test_forced_wrong_format_names_missing_column(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    with pytest.raises(SecretomeInputError, match="'Protein.Group'"):
        read(tmp_path / "pg.txt", format="diann")


def test_empty_identifier_and_legacy_xls(tmp_path):
    frame = maxquant_frame()
    frame.loc[3, "Protein IDs"] = ""
    frame.to_csv(tmp_path / "pg.txt", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="empty protein identifier") as caught:
        read(tmp_path / "pg.txt")
    assert "row 5" in str(caught.value)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(SecretomeInputError, match="legacy Excel"):
        read(tmp_path / "old.xls")


def test_sample_sheet_problems(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    (tmp_path / "dup.csv").write_text("sample,x\nS1,1\nS1,2\nS3,3\n")
    with pytest.raises(SecretomeInputError, match=r"'S1' appears in rows \[2, 3\]"):
        read(tmp_path / "pg.txt", samples=tmp_path / "dup.csv")
    (tmp_path / "short.csv").write_text("sample,x\nS1,1\nS2,2\n")
    with pytest.raises(SecretomeInputError, match="data sample"):
        read(tmp_path / "pg.txt", samples=tmp_path / "short.csv")
    with pytest.raises(SecretomeInputError, match="empty sample name"):
        read(tmp_path / "pg.txt", samples=pd.DataFrame({"sample": ["S1", None, "S3"]}))


def test_short_row_in_the_middle_is_not_padded(tmp_path):
    rows = ["Protein\tS1\tS2"] + [f"P1234{i}\t{i}.5\t{i}.25" for i in range(80)]
    rows[70] = "P99999\t7.5"
    (tmp_path / "short.tsv").write_text("\n".join(rows) + "\n")
    with pytest.raises(SecretomeInputError, match="2 fields where the header has 3") as caught:
        read(tmp_path / "short.tsv")
    assert "row 71" in str(caught.value)


def test_zip_with_several_members(tmp_path):
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", "Protein,a\nP12345,1\n")
        archive.writestr("b.csv", "Protein,a\nP12345,1\n")
    with pytest.raises(SecretomeInputError, match="holds 2 files"):
        read(tmp_path / "two.zip")


def test_not_a_quantity_table(tmp_path):
    (tmp_path / "list.csv").write_text("Gene Name,Entry,Regulated\nGPI,P06744,up\nLDHA,P00338,down\n")
    with pytest.raises(SecretomeInputError, match="no numeric sample columns"):
        read(tmp_path / "list.csv")


def test_blank_lines_before_header_and_single_column(tmp_path):
    (tmp_path / "lead.csv").write_text("\n\nProtein,s1,s2\nP12345,1,2\nP23456,x,4\n")
    with pytest.raises(SecretomeInputError, match="non-numeric value 'x'") as caught:
        read(tmp_path / "lead.csv")
    assert "row 5" in str(caught.value)  # counts the two blank lines: row numbers stay file line numbers
    (tmp_path / "one.csv").write_text("\n\t0\n\t0\n")
    with pytest.raises(SecretomeInputError):
        read(tmp_path / "one.csv")


@pytest.mark.parametrize("n_records,short,line", [(5, 3, 6), (120, 100, 200)])
def test_short_row_in_a_quoted_csv(tmp_path, n_records, short, line):
    """Records with a quoted two-line field; one short record early (sniffer) or late (post-parse check)."""
    rows = ['"Protein","Description","S1","S2"'] + [
        f'"P{10000 + i}","multi\nline {i}",{i}.5,{i}.25' for i in range(n_records)
    ]
    rows[short] = '"P99999","x",7.5'
    (tmp_path / "quoted.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(SecretomeInputError, match="3 fields where the header has 4|this row has 3") as caught:
        read(tmp_path / "quoted.csv")
    assert f"row {line}" in str(caught.value)  # the file line: earlier records span two lines each


def test_multiline_quoted_fields_read(tmp_path):
    rows = ['"Protein","Description","S1","S2"'] + [
        f'"P{10000 + i}","multi\nline {i}",{i}.5,{"" if i % 2 else i}' for i in range(80)  # gaps: quoted check runs
    ]
    (tmp_path / "quoted.csv").write_text("\n".join(rows) + "\n")
    adata = read(tmp_path / "quoted.csv")
    assert adata.shape == (2, 80) and adata.var["description"].iloc[3] == "multi\nline 3"


def test_peptide_and_precursor_level_tables_are_named(tmp_path):
    report = pd.DataFrame({
        "File.Name": ["a.raw", "b.raw"], "Run": ["a", "b"], "Protein.Group": ["P12345", "P12345"],
        "Protein.Ids": ["P12345", "P12345"], "Genes": ["G", "G"], "Precursor.Id": ["AAK2", "AAK2"], "PG.MaxLFQ": [1.0, 2.0],
    })
    report.to_csv(tmp_path / "report.tsv", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="DIA-NN main report"):
        read(tmp_path / "report.tsv")
    peptides = pd.DataFrame({
        "Sequence": ["AAK", "CCK"], "Proteins": ["P12345", "P23456"], "Leading razor protein": ["P12345", "P23456"],
        "Reverse": ["", ""], "Potential contaminant": ["", ""], "Intensity S1": [1.0, 2.0], "LFQ intensity S1": [1.0, 2.0],
    })
    peptides.to_csv(tmp_path / "peptides.txt", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="peptide-level"):
        read(tmp_path / "peptides.txt")


def test_xlsx_header_below_empty_rows_and_excel_row_numbers(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (["Protein", "s1", "s2"], ["P12345", 1.5, 2], ["P23456", "oops", 4]):
        sheet.append([None] + row)  # column A empty
    sheet.insert_rows(1, amount=2)  # two empty rows above the header
    workbook.save(tmp_path / "lead.xlsx")
    with pytest.raises(SecretomeInputError, match="'oops'") as caught:
        read(tmp_path / "lead.xlsx")
    assert "row 5" in str(caught.value) and "column 's1'" in str(caught.value)
