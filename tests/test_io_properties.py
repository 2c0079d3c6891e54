"""Property tests: random and malformed tables, every reader.

Each read either succeeds with the values round-tripping (engine zeros -> NaN) or raises SecretomeInputError;
no other exception type may escape.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from secretome.errors import SecretomeInputError
from secretome.io import FORMATS, read

#: 25 fixed examples per test in the suite (CI); ``SECRETOME_PROPERTY_EXAMPLES=2000`` explores with random
#: examples locally, and every failure found that way is kept below as an ``@example`` with its fix.
_EXAMPLES = os.environ.get("SECRETOME_PROPERTY_EXAMPLES")
SETTINGS = settings(
    max_examples=int(_EXAMPLES or 25), deadline=None, derandomize=_EXAMPLES is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values_strategy = st.one_of(
    st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-40, max_value=40, allow_nan=False, allow_infinity=False),  # log2-like, may be negative
    st.integers(min_value=0, max_value=10**9).map(float),
    st.just(0.0),
    st.just(float("nan")),
)


def layout(fmt: str, ids: list[str], samples: list[str], values: np.ndarray) -> tuple[pd.DataFrame, list[str]]:
    """A table in ``fmt``'s layout; returns it and its quantity columns (in sample order)."""
    n = len(ids)
    if fmt == "maxquant":
        frame = pd.DataFrame({"Protein IDs": ids, "Majority protein IDs": ids, "Gene names": ["G"] * n, "Reverse": [""] * n})
        columns = [f"LFQ intensity {s}" for s in samples]
    elif fmt == "diann":
        frame = pd.DataFrame({"Protein.Group": ids, "Protein.Names": ["X_HUMAN"] * n, "Genes": ["G"] * n})
        columns = [f"C:\\runs\\{s}.raw" for s in samples]
    elif fmt == "fragpipe":
        frame = pd.DataFrame({"Protein": ids, "Protein ID": ids, "Entry Name": ["X_HUMAN"] * n, "Gene": ["G"] * n})
        columns = [f"{s} MaxLFQ Intensity" for s in samples]
    elif fmt == "spectronaut":
        frame = pd.DataFrame({"PG.ProteinGroups": ids, "PG.Genes": ["G"] * n})
        columns = [f"[{i + 1}] {s}.PG.Quantity" for i, s in enumerate(samples)]
    elif fmt == "peaks":
        frame = pd.DataFrame({"Accession": ids, "-10lgP": [50.0] * n, "#Peptides": [1] * n})
        columns = [f"Area {s}" for s in samples]
    elif fmt == "tmt_integrator":
        frame = pd.DataFrame({"Index": ids, "NumberPSM": [3] * n, "ProteinID": ids, "MaxPepProb": [0.99] * n,
                              "ReferenceIntensity": [20.5] * n})
        columns = [f"{s}_tmt" for s in samples]
    elif fmt == "msstats":  # long: one row per protein and run
        frame = pd.DataFrame({
            "RUN": [j + 1 for _ in ids for j in range(len(samples))], "Protein": [i for i in ids for _ in samples],
            "LogIntensities": values.reshape(-1), "originalRUN": [s for _ in ids for s in samples],
            "GROUP": ["A"] * (n * len(samples)), "SUBJECT": [1] * (n * len(samples)),
        })
        return frame, list(samples)
    elif fmt == "alphadia":
        frame = pd.DataFrame({"pg": ids})
        columns = [f"run_{s}" for s in samples]
    elif fmt == "alphapept":
        frame = pd.DataFrame({"": ids})
        for s in samples:
            frame[s] = 1.0
        columns = [f"{s}_LFQ" for s in samples]
    elif fmt == "dia_umpire":
        frame = pd.DataFrame({"Protein Key": ids})
        for s in samples:
            frame[f"{s}_Prob"] = 1.0
        columns = [f"{s}_Top6pep/Top6fra (Freq>0.5)" for s in samples]
    elif fmt == "philosopher":
        frame = pd.DataFrame({"Protein Group": range(1, n + 1), "SubGroup": ["a"] * n, "Protein": ids,
                              "Protein ID": ids, "Entry Name": ["X_HUMAN"] * n})
        columns = [f"{s} Razor Intensity" for s in samples]
    elif fmt == "proteome_discoverer":
        frame = pd.DataFrame({"Master": ["IsMasterProtein"] * n, "Accession": ids, "# PSMs": [3] * n, "# AAs": [300] * n})
        columns = [f"Abundance: F{i + 1}: Sample" for i in range(len(samples))]
    elif fmt == "scaffold":
        frame = pd.DataFrame({"#": range(1, n + 1), "Visible?": ["TRUE"] * n, "Starred?": ["FALSE"] * n,
                              f"Identified Proteins ({n})": ["Protein"] * n, "Accession Number": ids,
                              "Alternate ID": ["G"] * n, "Taxonomy": ["Homo sapiens"] * n})
        columns = list(samples)
    elif fmt == "perseus":
        frame = pd.DataFrame({"T: Protein IDs": ids, "T: Gene names": ["G"] * n})
        columns = list(samples)
    elif fmt == "progenesis":  # three header rows: blocks, conditions, names (the samples repeated per block)
        k = len(samples)
        header = ["", "", "", "Normalized abundance", *[""] * (k - 1), "Raw abundance", *[""] * (k - 1)]
        conditions = ["", "", "", *["A"] * k, *["A"] * k]
        names = ["Accession", "Peptide count", "Description", *samples, *samples]
        body = [[i, 3, "protein", *row, *row] for i, row in zip(ids, values.tolist())]
        frame = pd.DataFrame([conditions, names, *body], dtype=object)
        frame.columns = header
        return frame, list(samples)
    else:
        frame = pd.DataFrame({"Protein": ids})
        columns = list(samples)
    for j, column in enumerate(columns):
        frame[column] = values[:, j]
    return frame, columns


@st.composite
def tables(draw):
    fmt = draw(st.sampled_from(FORMATS))
    n = draw(st.integers(min_value=1, max_value=12))
    k = draw(st.integers(min_value=1, max_value=4))
    unique = draw(st.integers(0, 4)) > 0 or n == 1  # mostly unique ids; sometimes duplicates (an error)
    numbers = draw(st.lists(st.integers(10000, 99999), min_size=n, max_size=n, unique=unique))
    ids = [f"P{number}" for number in numbers]
    flat = draw(st.lists(values_strategy, min_size=n * k, max_size=n * k))
    values = np.array(flat, dtype=np.float64).reshape(n, k)
    samples = [f"S{j + 1}" for j in range(k)]
    delimiter = draw(st.sampled_from(["\t", ","]))
    forced = draw(st.booleans())
    return fmt, ids, samples, values, delimiter, forced


def read_or_input_error(path: Path, **kwargs):
    """Read; SecretomeInputError is an allowed outcome (returns None); anything else fails the test."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read(path, **kwargs)
    except SecretomeInputError as error:
        assert str(error) and "\n" not in str(error)
        return None


def check_contract(adata) -> None:
    assert adata.X.dtype == np.float64 and adata.X.shape == (adata.n_obs, adata.n_vars)
    assert adata.var_names.is_unique and adata.obs_names.is_unique
    assert list(adata.obs["sample"]) == list(adata.obs_names)
    # engine zeros become NaN; only signed log2 data (centred values, ratios) keep 0 as a real value
    assert adata.uns["source"]["n_zeros_kept"] == int((adata.X == 0).sum())
    for column in ("is_decoy", "is_contaminant", "only_identified_by_site"):
        assert adata.var[column].dtype == bool


@SETTINGS
# found with SECRETOME_PROPERTY_EXAMPLES=2000: Philosopher keys proteins on group and subgroup, so a
# repeated protein accession is no repeated identifier
@example(case=("philosopher", ["P10000", "P10000"], ["S1"], np.array([[0.0], [1.0]]), "\t", False))
# found with SECRETOME_PROPERTY_EXAMPLES=400: an AlphaPept LFQ family of zeros gives way to the raw columns,
# and its column is listed among the unread ones
@example(case=("alphapept", ["P10000"], ["S1"], np.array([[0.0]]), "\t", False))
@given(case=tables())
def test_random_tables_round_trip_or_input_error(tmp_path, case):
    fmt, ids, samples, values, delimiter, forced = case
    frame, columns = layout(fmt, ids, samples, values)
    path = tmp_path / "table.txt"
    frame.to_csv(path, sep=delimiter, index=False)
    adata = read_or_input_error(path, format=fmt if forced else None)
    duplicated = len(set(ids)) < len(ids)
    if adata is None:
        return
    check_contract(adata)
    repeats = pd.Series(ids).duplicated(keep=False).to_numpy()
    empty_repeats = not bool((np.isfinite(values[repeats]) & (values[repeats] != 0)).any())  # stray rows: kept apart
    assert not duplicated or adata.uns["source"]["identifier_kind"] == "gene" or fmt == "philosopher" or empty_repeats
    read_columns = adata.uns["source"]["sample_columns"]
    expected = values.copy()
    if adata.uns["source"]["n_zeros_kept"] == 0:  # signed log2 data keep their zeros as values
        expected[expected == 0] = np.nan
    for j, column in enumerate(columns):
        if column in read_columns:
            np.testing.assert_allclose(adata.X[read_columns.index(column)], expected[:, j], rtol=1e-12, atol=0)
        else:  # only a column with no number at all may be left out (generic rules, or a default family that
            # quantifies nothing giving way to the next), and it is listed with the columns set aside
            left = adata.uns["source"]["ignored_columns"] + adata.uns["source"].get("unread_columns", [])
            assert np.isnan(expected[:, j]).all() and column in left
    source = adata.uns["source"]
    read_values = values[:, [c in read_columns for c in columns]]
    assert source["n_zeros_to_nan"] + source["n_zeros_kept"] == int((read_values == 0).sum())
    assert source["n_zeros_kept"] == 0 or (source["is_log2"] and (read_values < 0).any())


@st.composite
def damaged(draw):
    fmt, ids, samples, values, delimiter, forced = draw(tables())
    frame, columns = layout(fmt, ids, samples, values)
    text = frame.to_csv(sep=delimiter, index=False)
    kind = draw(st.sampled_from(["truncate", "insert", "replace_cell", "duplicate_header", "random_text", "random_bytes"]))
    if kind == "truncate":
        cut = draw(st.integers(0, max(len(text) - 1, 0)))
        data = text[:cut].encode()
    elif kind == "insert":
        at = draw(st.integers(0, len(text)))
        junk = draw(st.text(min_size=1, max_size=8))
        data = (text[:at] + junk + text[at:]).encode("utf-8", errors="surrogatepass")
    elif kind == "replace_cell":
        junk = draw(st.text(min_size=1, max_size=6).filter(lambda s: "\n" not in s and "\r" not in s))
        frame = frame.astype(object)
        row = draw(st.integers(0, len(frame) - 1))
        frame.loc[row, columns[draw(st.integers(0, len(columns) - 1))]] = junk
        data = frame.to_csv(sep=delimiter, index=False).encode("utf-8", errors="surrogatepass")
    elif kind == "duplicate_header":
        header, _, body = text.partition("\n")
        cells = header.split(delimiter)
        cells[-1] = cells[0]
        data = (delimiter.join(cells) + "\n" + body).encode()
    elif kind == "random_text":
        data = draw(st.text(max_size=300)).encode("utf-8", errors="surrogatepass")
    else:
        data = draw(st.binary(max_size=300))
    return fmt, forced, data


@SETTINGS
# found with SECRETOME_PROPERTY_EXAMPLES=2000: a forced DIA-Umpire read of a table without 'Protein Key'
# raised StopIteration
@example(case=("dia_umpire", True, b"0Protein Key\tS1_Prob\tS1_Top6pep/Top6fra (Freq>0.5)\nP10000\t1.0\t0.0\n"))
@given(case=damaged())
def test_damaged_tables_never_raise_anything_but_input_error(tmp_path, case):
    fmt, forced, data = case
    path = tmp_path / "damaged.tsv"
    path.write_bytes(data)
    adata = read_or_input_error(path, format=fmt if forced else None)
    if adata is not None:
        check_contract(adata)


@SETTINGS
@given(
    header=st.lists(st.text(min_size=0, max_size=10).filter(lambda s: not any(c in s for c in "\r\n\t\"")), min_size=1, max_size=5),
    rows=st.lists(st.lists(st.one_of(st.text(max_size=6), st.floats(allow_nan=True, allow_infinity=True).map(repr)), min_size=1, max_size=5), max_size=6),
)
def test_arbitrary_cells_generic(tmp_path, header, rows):
    """Any header and any cells (text, numbers, inf, nan) through auto-detection."""
    lines = ["\t".join(header)] + ["\t".join(cell.replace("\t", " ").replace("\n", " ").replace("\r", " ").replace('"', "") for cell in row) for row in rows]
    path = tmp_path / "any.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    adata = read_or_input_error(path)
    if adata is not None:
        check_contract(adata)


def test_strategies_cover_every_reader():
    assert set(FORMATS) == {
        "maxquant", "diann", "philosopher", "fragpipe", "spectronaut", "tmt_integrator", "msstats", "alphadia",
        "alphapept", "dia_umpire", "peaks", "proteome_discoverer", "scaffold", "progenesis", "perseus", "generic",
    }


@SETTINGS
@given(
    n_rows=st.integers(1, 8),
    texts=st.lists(st.text(max_size=8), min_size=8, max_size=8),
    numbers=st.lists(st.one_of(st.floats(0, 1e9), st.just(float("nan"))), min_size=16, max_size=16),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
# found with SECRETOME_PROPERTY_EXAMPLES=2000: a Description column of "" and "0" was read as a sample
@example(n_rows=2, texts=["", "0"] + [""] * 6, numbers=[float("nan")] * 16, delimiter=",")
def test_quoted_csv_with_any_text_round_trips(tmp_path, n_rows, texts, numbers, delimiter):
    """Text with delimiters, quotes and line breaks is quoted by the writer; numbers must still round-trip."""
    frame = pd.DataFrame({
        "Protein": [f"P{10000 + i}" for i in range(n_rows)],
        "Description": texts[:n_rows],
        "S1": numbers[:n_rows],
        "S2": numbers[8:8 + n_rows],
    })
    path = tmp_path / "quoted.csv"
    frame.to_csv(path, sep=delimiter, index=False, encoding="utf-8", errors="surrogatepass")
    adata = read_or_input_error(path)
    if adata is None:
        return
    check_contract(adata)
    assert set(adata.uns["source"]["sample_columns"]) <= {"S1", "S2"}
    for column in adata.uns["source"]["sample_columns"]:
        expected = frame[column].to_numpy(dtype=float)
        expected[expected == 0] = np.nan
        np.testing.assert_allclose(adata.X[adata.obs_names.get_loc(column)], expected, rtol=1e-12)


@SETTINGS
@example(n_rows=1, numbers=[-1.5] + [0.0] * 15, delimiter="\t", decimal=",")  # signed data keep their zeros
@given(
    n_rows=st.integers(1, 8),
    numbers=st.lists(st.one_of(st.floats(-1e9, 1e9, allow_nan=False), st.integers(-10**7, 10**7).map(float),
                               st.just(float("nan"))), min_size=16, max_size=16),
    delimiter=st.sampled_from(["\t", ";", ","]),
    decimal=st.sampled_from([",", "."]),
)
def test_decimal_marks_round_trip_or_input_error(tmp_path, n_rows, numbers, delimiter, decimal):
    """A table written with either decimal mark (a comma-separated one quotes its decimal commas) is read
    with its values, or refused (an undecidable mark); never read with other values."""
    frame = pd.DataFrame({"Protein": [f"P{10000 + i}" for i in range(n_rows)], "S1": numbers[:n_rows],
                          "S2": numbers[8:8 + n_rows]})
    path = tmp_path / "numbers.txt"
    frame.to_csv(path, sep=delimiter, index=False, decimal=decimal)
    adata = read_or_input_error(path)
    if adata is None:
        return
    check_contract(adata)
    for column in adata.uns["source"]["sample_columns"]:
        expected = frame[column].to_numpy(dtype=float)
        if adata.uns["source"]["n_zeros_kept"] == 0:  # signed log2 data keep their zeros as values
            expected[expected == 0] = np.nan
        np.testing.assert_allclose(adata.X[adata.obs_names.get_loc(column)], expected, rtol=1e-12)


@SETTINGS
@given(
    n_rows=st.integers(1, 8),
    texts=st.lists(st.text(alphabet=st.sampled_from('ab "\''), max_size=6), min_size=8, max_size=8),
    numbers=st.lists(st.floats(0, 1e9), min_size=16, max_size=16),
)
def test_unquoted_text_with_quotes_keeps_its_rows(tmp_path, n_rows, texts, numbers):
    """A writer that never quotes (tab-separated, quotes in the text): every row keeps its own values."""
    lines = ["Protein\tDescription\tS1\tS2"] + [
        f"P{10000 + i}\t{texts[i]}\t{numbers[i]!r}\t{numbers[8 + i]!r}" for i in range(n_rows)]
    path = tmp_path / "unquoted.tsv"
    path.write_text("\n".join(lines) + "\n")
    adata = read_or_input_error(path)
    if adata is None:
        return
    check_contract(adata)
    assert adata.n_vars == n_rows
    expected = np.array([numbers[:n_rows], numbers[8:8 + n_rows]])
    expected[expected == 0] = np.nan
    np.testing.assert_allclose(adata.X, expected, rtol=1e-12)
