"""pyarrow's parse (secretome.io.fastcsv) gives the table pandas' parse gives, or gives way to it.

- random tables of awkward cells (signs, exponents, spaces, NA words, inf, NaN written as numbers,
  overflowing numbers, 20-digit integers, dates, truth values, text that looks like numbers, blank lines)
  read the same with and without it: the same frame, columns and types, and the same error when there is
  one; a number may differ only where pandas' converter is not correctly rounded, and then pyarrow's is;
- a value pandas' default converter rounds wrongly is read correctly rounded;
- the chunked read takes it for a plain table, gives way to pandas' chunks when a later chunk holds what
  it does not read as pandas does, and gives the whole read's dataset either way;
- a text column's repeated names are one object each, as in pandas' parse (bounded memory).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretome.errors import SecretomeInputError
from secretome.io import fastcsv, read, streamed
from secretome.io.table import read_table

#: Cells that pandas and pyarrow might read differently.
_CELLS = [
    "1", "-2", "+3", "007", "1.5", "-0.0", ".5", "5.", "1e5", "1E-5", "2.5e+3", " 1.5", "1.5 ", "inf", "-inf",
    "Infinity", "nan", "-nan", "NaN", "NA", "", "n/a", "NULL", "Filtered", "1e400", "99999999999999999999",
    "9223372036854775808", "1.2602698166098543", "2020-01-01", "12:30:00", "True", "false", "TRUE", "x", "P12345",
    "1,5", "1-Mar", "0x1A", "1e", "--1", "1.2.3", "#N/A", "None",
]
_TEXT = ["P12345", "Q9Y6K9-2", "sp|P02768|ALBU_HUMAN", "GENE1", "a b", "NA", ""]


def _both(path, monkeypatch):
    """(frame or error text, whether pyarrow's frame was taken) with the fast parse, and without it."""
    taken = []
    original = fastcsv.arrow_frame

    def spy(*args, **kwargs):
        frame = original(*args, **kwargs)
        taken.append(frame is not None)
        return frame

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = read_table(path, repeated_names=True)
                return table.frame.set_axis(table.row_numbers)  # (indexed by file row: empty rows are dropped)
            except SecretomeInputError as error:
                return f"error: {error}"

    monkeypatch.setattr(fastcsv, "arrow_frame", spy)
    fast = run()
    monkeypatch.setattr(fastcsv, "arrow_frame", lambda *args, **kwargs: None)
    slow = run()
    monkeypatch.setattr(fastcsv, "arrow_frame", original)
    return fast, slow, any(taken)


def _assert_same(fast, slow, lines: list[list[str]]) -> None:
    """Equal frames; a float cell may differ only where the fast one is the correctly rounded value
    (``lines``: the file's lines split into fields, the header first)."""
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert list(fast.columns) == list(slow.columns)
    assert list(fast.dtypes) == list(slow.dtypes) and list(fast.index) == list(slow.index)
    for j, column in enumerate(fast.columns):
        a, b = fast.iloc[:, j].to_numpy(), slow.iloc[:, j].to_numpy()
        if a.dtype.kind != "f":
            assert pd.Series(a).equals(pd.Series(b)), column
            continue
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        for i in np.flatnonzero(differ):
            cell = lines[fast.index[i] - 1][j]
            assert a[i] == float(cell), (column, cell, a[i], b[i])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n_rows=st.integers(1, 12),
    columns=st.lists(st.lists(st.sampled_from(_CELLS), min_size=12, max_size=12), min_size=1, max_size=4),
    numbers=st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=12, max_size=12),
    blank=st.booleans(),
)
def test_awkward_tables_read_the_same_with_and_without_pyarrow(tmp_path_factory, monkeypatch, n_rows, columns, numbers, blank):
    path = tmp_path_factory.mktemp("fast") / "table.tsv"
    header = ["Protein", "S0", *[f"S{k + 1}" for k in range(len(columns))]]
    lines = [header] + [[f"P{i:05d}", repr(numbers[i]), *[column[i] for column in columns]] for i in range(n_rows)]
    text = "\n".join("\t".join(line) for line in lines) + "\n"
    if blank and n_rows > 1:
        text = text.replace("\n", "\n\n", 2)
    path.write_text(text, encoding="utf-8")
    fast, slow, _ = _both(path, monkeypatch)
    _assert_same(fast, slow, [line.split("\t") for line in text.split("\n")])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.sampled_from(_TEXT + _CELLS), min_size=300, max_size=300),
       values=st.lists(st.floats(1e-3, 1e12), min_size=300, max_size=300))
def test_a_text_column_that_may_hold_numbers_is_read_as_pandas_reads_it(tmp_path_factory, monkeypatch, texts, values):
    path = tmp_path_factory.mktemp("text") / "table.tsv"
    lines = [["Protein", "Gene", "S1"]] + [[f"P{i:05d}", texts[i], repr(values[i])] for i in range(300)]
    path.write_text("\n".join("\t".join(line) for line in lines) + "\n", encoding="utf-8")
    fast, slow, _ = _both(path, monkeypatch)
    _assert_same(fast, slow, lines)


def test_a_value_pandas_rounds_wrongly_is_read_correctly_rounded(tmp_path, monkeypatch):
    text = "1.2602698166098543"  # the nearest float64 is 1.2602698166098543; pandas' "high" converter gives ...45
    assert pd.read_csv(pd.io.common.StringIO(f"a\n{text}\n"))["a"][0] != float(text)  # the reason for this test
    path = tmp_path / "table.tsv"
    path.write_text("Protein\tS1\tS2\n" + "".join(f"P{i}\t{text}\t{i + 1}.5\n" for i in range(5)), encoding="utf-8")
    fast, slow, taken = _both(path, monkeypatch)
    assert taken and (fast["S1"] == float(text)).all() and (slow["S1"] != float(text)).all()
    assert (read(path).X[0] == float(text)).all()


def test_quotes_decimal_commas_and_legacy_text_are_left_to_pandas(tmp_path, monkeypatch):
    cases = {
        "quoted.csv": 'Protein,S1,S2\n"P1",1.5,2.5\n"P2",3.5,4.5\n',
        "comma.tsv": "Protein\tS1\tS2\nP1\t1,5\t2,5\nP2\t3,5\t4,5\n",
        "thousands.tsv": "Protein\tS1\tS2\nP1\t1,234.5\t2,000.5\nP2\t3,456.5\t4,000.5\n",
        "short.tsv": "Protein\tS1\tS2\nP1\t1.5\nP2\t3.5\t4.5\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        fast, slow, taken = _both(tmp_path / name, monkeypatch)
        assert not taken and (fast.equals(slow) if not isinstance(fast, str) else fast == slow), name
    (tmp_path / "legacy.tsv").write_bytes("Protein\tS1\nP1\u00e9\t1.5\nP2\t2.5\n".encode("cp1252"))
    fast, slow, taken = _both(tmp_path / "legacy.tsv", monkeypatch)
    assert not taken and fast.equals(slow)
    (tmp_path / "utf16.tsv").write_bytes("Protein\tS1\r\nP1\t1.5\r\nP2\t2.5\r\n".encode("utf-16"))
    fast, slow, taken = _both(tmp_path / "utf16.tsv", monkeypatch)
    assert taken and fast.equals(slow) and fast["S1"].tolist() == [1.5, 2.5]


def _chunked(path, monkeypatch):
    """streamed_read with the arrow chunks, and which parse answered."""
    used = []
    original = streamed._read_arrow_chunks

    def spy(*args, **kwargs):
        try:
            result = original(*args, **kwargs)
        except streamed._NotArrow:
            used.append("pandas")
            raise
        used.append("arrow")
        return result

    monkeypatch.setattr(streamed, "CHUNK_CELLS", 1)  # chunks of 256 rows
    monkeypatch.setattr(streamed, "_read_arrow_chunks", spy)
    result = streamed.streamed_read(path, None, None, None, is_log2=None, decimal=None, params={}, min_bytes=0)
    return result, used


def _whole_read(path):
    """The whole read of ``path`` (warnings held), None when it refuses the table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read(path)
        except SecretomeInputError:
            return None


def _table_text(seed: int, later: str | None) -> str:
    """A 900 x 4 table of exact numbers whose row 701 holds ``later`` in its last cell (or a number in its gene
    column), for the chunked reads to meet after their first chunk."""
    values = np.round(np.random.default_rng(seed).lognormal(20, 2, (900, 4)), 3)
    lines = ["Protein\tGene\tS1\tS2\tS3\tS4"] + [
        f"P{i:05d}\tGENE{i}\t" + "\t".join(repr(float(v)) for v in row) for i, row in enumerate(values)]
    if later == "text 1.5 in a gene column":
        lines[700] = lines[700].replace("\tGENE699\t", "\t1.5\t")
    elif later is not None:
        lines[700] = lines[700].rsplit("\t", 1)[0] + f"\t{later}"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("later", [None, "inf", "-nan", "1e400", "text 1.5 in a gene column", "+5", "0x1A"])
def test_the_chunks_take_pyarrow_or_give_way_and_match_the_whole_read(tmp_path, monkeypatch, later):
    path = tmp_path / "table.tsv"
    path.write_text(_table_text(5, later), encoding="utf-8")
    result, used = _chunked(path, monkeypatch)
    # (a plus sign or 0x is found by the scan of the bytes, before any parse: pandas' chunks only)
    assert used == (["arrow"] if later is None else [] if later in ("+5", "0x1A") else ["pandas"])
    whole = _whole_read(path)
    if whole is None or result is None:
        assert result is None  # the chunks give way to the whole read, which names the error
        return
    np.testing.assert_array_equal(result.X, whole.X)
    assert list(result.var.index) == list(whole.var_names)


@pytest.mark.parametrize("later", [None, "inf", "-nan", "text 1.5 in a gene column", "+5", "0x1A", '"quoted"', "1,5"])
def test_a_compressed_table_is_parsed_while_scanned_and_matches_the_whole_read(tmp_path, monkeypatch, later):
    """A compressed table is decompressed once when pyarrow's chunks answer (the scan rides along); a cell
    pyarrow may read otherwise, or one the scan finds, gives way as for a plain file: same dataset."""
    import gzip

    from secretome.io import source

    path = tmp_path / "table.tsv.gz"
    path.write_bytes(gzip.compress(_table_text(7, later).encode()))
    opened = []
    original = source.DecompressedStream.__init__

    def counted(self, *args, **kwargs):
        opened.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(source.DecompressedStream, "__init__", counted)
    result, used = _chunked(path, monkeypatch)
    if later is None:
        assert used == ["arrow"] and len(opened) == 2  # the head, then one pass over the table
    whole = _whole_read(path)
    if whole is None or result is None:
        assert result is None  # the chunks give way to the whole read, which names the error
        return
    result = result.to_anndata()
    np.testing.assert_array_equal(result.X, whole.X)
    assert list(result.var.index) == list(whole.var_names)
    assert result.uns["source"] == whole.uns["source"]
    assert result.uns["source"]["sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()


def test_repeated_text_is_one_object_per_name(tmp_path):
    path = tmp_path / "table.tsv"
    path.write_text("Protein\tGroup\tS1\n" + "".join(f"P{i}\t{'AB'[i % 2]}\t{i}.5\n" for i in range(40)), encoding="utf-8")
    frame = read_table(path).frame
    assert frame["Group"].map(id).nunique() == 2


def test_the_number_check_finds_a_hexadecimal_cell_among_many_x_letters():
    """The check finds its bytes one by one while they are few and by one array comparison beyond
    ``_FIND_LIMIT``: both ways find the same cells."""
    from secretome.io.fastcsv import _FIND_LIMIT, numbers_pandas_reads_otherwise

    words = "\n".join(f"complex{i}\t{i}" for i in range(_FIND_LIMIT + 10))
    for text in (f"name\tvalue\n{words}\nlast\t0x1A\n", f"name\tvalue\nfirst\t0x1A\n{words}\n"):
        assert numbers_pandas_reads_otherwise(text.encode(), "\t", start=text.index("\n"))
    clean = f"name\tvalue\n{words}\n".encode()
    assert not numbers_pandas_reads_otherwise(clean, "\t", start=clean.index(b"\n"))
