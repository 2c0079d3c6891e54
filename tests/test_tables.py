"""Spreadsheet-safe tables: formula-like text neutralised (OWASP), numbers untouched, XLSX formatted."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from secretome.tables import is_formula_like, neutralise, tsv_text, write_csv, write_tsv, write_xlsx

HOSTILE = ["=1+1", '=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(text):
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-1.5", "+3", "1e-5", "-.5", "ALB", "a=b", "", "'already"])
def test_plain_numbers_and_harmless_text_are_unchanged(text):
    assert neutralise(text) == text


def test_numbers_are_never_touched():
    assert neutralise(-1.0) == -1.0 and neutralise(-3) == -3


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"gene": ["=1+1", "ALB", "@x"], "log2fc": [-1.5, 2.0, np.nan], "=name": ["-", "+", "ok"]},
        index=pd.Index(["=idx", "P2", "P3"], name="protein"),
    )


def test_tsv_neutralises_cells_headers_and_index_but_not_numbers():
    text = tsv_text(_frame(), index=True)
    rows = [line.split("\t") for line in text.splitlines()]
    assert rows[0] == ["protein", "gene", "log2fc", "'=name"]
    assert rows[1] == ["'=idx", "'=1+1", "-1.5", "'-"]
    assert rows[2] == ["P2", "ALB", "2.0", "'+"]
    assert rows[3] == ["P3", "'@x", "", "ok"]


def test_write_tsv_and_tsv_text_agree_and_the_input_frame_is_unchanged(tmp_path):
    frame = _frame()
    before = frame.copy()
    write_tsv(frame, tmp_path / "t.tsv", index=True)
    assert (tmp_path / "t.tsv").read_text() == tsv_text(frame, index=True)
    pd.testing.assert_frame_equal(frame, before)


def test_csv_quotes_separators_and_neutralises():
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"a": ["x,=1+1", "=2"], "b": [1, 2]}), buffer)
    assert buffer.getvalue().splitlines() == ["a,b", '"x,=1+1",1', "'=2,2"]


def test_categorical_text_columns_are_neutralised():
    frame = pd.DataFrame({"group": pd.Categorical(["=A", "B"])})
    assert tsv_text(frame).splitlines() == ["group", "'=A", "B"]


def test_xlsx_keeps_text_exactly_as_text_cells_never_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    frame = pd.DataFrame(
        {
            "gene": ["=1+1", "ALB\x01", "x" * 40_000],
            "value": [-1.5, np.inf, np.nan],
            "n": [1, 2, 3],
        }
    )
    write_xlsx({"proteins": frame, "bad/name[1]": frame.head(1), "proteins ": frame}, path)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "proteins"
    assert all(len(name) <= 31 and not set("[]:*?/\\") & set(name) for name in workbook.sheetnames)
    sheet = workbook["proteins"]
    assert [c.value for c in sheet[1]] == ["gene", "value", "n"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:C4"
    first = sheet["A2"]
    assert first.value == "=1+1" and first.data_type == "s" and first.quotePrefix
    assert sheet["A3"].value == "ALB[U+0001]"  # a control character made visible (secretome.textsafety)
    assert len(sheet["A4"].value) == 32_767
    assert sheet["B2"].value == -1.5 and sheet["B2"].data_type == "n"
    assert sheet["B3"].value == "inf" and sheet["B4"].value is None
    assert sheet["C2"].value == 1


def test_xlsx_with_index_writes_the_index_as_the_first_column(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx({"s": _frame()}, path, index=True)
    sheet = load_workbook(path)["s"]
    assert [c.value for c in sheet[1]] == ["protein", "gene", "log2fc", "=name"]
    assert sheet["A2"].value == "=idx" and sheet["A2"].data_type == "s"
