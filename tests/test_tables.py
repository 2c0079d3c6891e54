"""Spreadsheet-safe tables: formula-like text neutralised (OWASP), numbers untouched, XLSX formatted."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as npst
from openpyxl import load_workbook

from secretome.tables import is_formula_like, neutralise, spreadsheet_safe, tsv_text, write_csv, write_tsv, write_xlsx

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


# ----------------------------------------------------------------------- the fast writer: exact and round-trip
FLOATS = npst.arrays(np.float64, st.integers(1, 30), elements=st.floats(allow_nan=True, allow_infinity=True, width=64))
EDGE_FLOATS = [0.1, 1 / 3, -0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e16, 9999999999999998.0,
               1e-4, 9.999999999999999e-05, 123456789.12345679, 2.0**53 + 2, np.nan, np.inf, -np.inf]


def _parse_floats(text: str, column: str) -> np.ndarray:
    rows = text.splitlines()
    at = rows[0].split("\t").index(column)
    return np.array([float(row.split("\t")[at]) if row.split("\t")[at] else np.nan for row in rows[1:]])


@settings(max_examples=200, deadline=None)
@given(FLOATS)
def test_every_float_written_parses_back_to_the_same_float64(values):
    frame = pd.DataFrame({"protein": [f"P{i}" for i in range(values.size)], "x": values})
    back = _parse_floats(tsv_text(frame), "x")
    same = (back == values) & (np.signbit(back) == np.signbit(values))
    assert (same | (np.isnan(back) & np.isnan(values))).all()


def test_floats_are_written_as_their_shortest_round_trip_text():
    frame = pd.DataFrame({"protein": [f"P{i}" for i in range(len(EDGE_FLOATS))], "x": EDGE_FLOATS})
    cells = [row.split("\t")[1] for row in tsv_text(frame).splitlines()[1:]]
    assert cells == [repr(v) if np.isfinite(v) else ("" if np.isnan(v) else repr(v)) for v in EDGE_FLOATS]
    assert cells[:3] == ["0.1", "0.3333333333333333", "-0.0"] and cells[-3:] == ["", "inf", "-inf"]
    back = _parse_floats(tsv_text(frame), "x")
    assert np.array_equal(back, np.array(EDGE_FLOATS), equal_nan=True)


TEXT = st.one_of(st.none(), st.just(""), st.text(max_size=12), st.sampled_from(
    ["=1+1", "-1.5", "+3", "@x", "\t=1", "\r=1", 'say "hi"', "a,b", "a\tb", "two\nlines", "\u202eexe.txt", "x\x07y"]))


@st.composite
def plain_frames(draw):
    n = draw(st.integers(0, 8))
    columns = {}
    for position in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["float", "float32", "int", "bool", "text", "category", "mixed"]))
        if kind == "float":
            values = draw(npst.arrays(np.float64, n, elements=st.floats(width=64)))
        elif kind == "float32":
            values = draw(npst.arrays(np.float32, n, elements=st.floats(width=32)))
        elif kind == "int":
            values = draw(npst.arrays(np.int64, n))
        elif kind == "bool":
            values = draw(npst.arrays(np.bool_, n))
        elif kind == "category":
            values = pd.Categorical(draw(st.lists(st.sampled_from(["=A", "B", None]), min_size=n, max_size=n)))
        elif kind == "mixed":
            values = np.array(draw(st.lists(st.one_of(TEXT, st.floats(), st.integers()), min_size=n, max_size=n)), dtype=object)
        else:
            values = np.array(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=object)
        columns[draw(st.sampled_from(["a", "=b", "c,d", 'q"', "tab\tbed"])) + str(position)] = values
    index = pd.Index(draw(st.lists(TEXT, min_size=n, max_size=n)), dtype=object, name=draw(st.sampled_from([None, "id", "=id"])))
    return pd.DataFrame(columns, index=index)


@settings(max_examples=300, deadline=None)
@given(plain_frames(), st.booleans())
def test_the_fast_writer_writes_exactly_what_pandas_writes(frame, index):
    """The column-by-column writer must agree, byte for byte, with pandas' to_csv of the same safe frame (its
    quoting, missing values, booleans, categories, mixed objects, the index and the header), in TSV and CSV."""
    safe = spreadsheet_safe(frame, index=index)
    expected_tsv = safe.to_csv(sep="\t", index=index, na_rep="", lineterminator="\n")
    assert tsv_text(frame, index=index) == expected_tsv
    buffer = io.StringIO()
    write_csv(frame, buffer, index=index)
    assert buffer.getvalue() == safe.to_csv(sep=",", index=index, na_rep="", lineterminator="\n")


def test_float_format_and_compressed_paths_still_go_through_pandas(tmp_path):
    frame = pd.DataFrame({"protein": ["=P1", "P2"], "x": [1 / 3, np.nan]})
    assert tsv_text(frame, float_format="%.3f").splitlines() == ["protein\tx", "'=P1\t0.333", "P2\t"]
    write_tsv(frame, tmp_path / "t.tsv.gz")
    assert pd.read_csv(tmp_path / "t.tsv.gz", sep="\t")["protein"].tolist() == ["'=P1", "P2"]


def test_a_large_text_column_with_one_hostile_cell_is_still_neutralised():
    genes = [f"G{i};G{i + 1}" for i in range(5000)]
    genes[4321] = "x\u202eexe"
    genes[17] = "=HYPERLINK(1)"
    cells = [row.split("\t")[0] for row in tsv_text(pd.DataFrame({"genes": genes, "n": range(5000)})).splitlines()[1:]]
    assert cells[4321] == "x[U+202E]exe" and cells[17] == "'=HYPERLINK(1)" and cells[16] == "G16;G17"
