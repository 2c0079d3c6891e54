"""``secretome info`` on large tables: the chunked summary prints exactly what the whole read prints.

:func:`secretome.io.streamed.streamed_summary` is tried from a size (``stream_min_bytes``; 0 here, so that
small tables take it) and returns None for any table whose chunks could decide otherwise than the whole
table; every case below is summarised both ways and compared (summary, warnings, or the error).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read_result, summarize, summarize_file, summary_lines
from secretome.io import streamed

REPO = Path(__file__).resolve().parents[1]


def both_ways(path: Path, **options) -> tuple[object, object, bool]:
    """(whole read, summarize_file from size 0, whether the chunked path answered): each a (summary or
    error text, reader warnings) pair."""
    def run(function):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value: object = function()
            except SecretomeInputError as error:
                value = f"error: {error}"
        return value, [str(w.message) for w in caught if "ReaderWarning" in w.category.__name__]

    sheet = options.pop("sheet_frame", None)
    whole = run(lambda: summarize(read_result(path, sheet, **options)))
    chunked = run(lambda: summarize_file(path, sheet, stream_min_bytes=0, **options))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = None if sheet is None else pd.read_csv(sheet, sep="\t", dtype=str).set_index("sample")
        answered = streamed.streamed_summary(path, None if frame is None else _sheet(sheet), options.get("format"),
                                             options.get("quantity"), is_log2=options.get("is_log2"),
                                             decimal=options.get("decimal"), min_bytes=0) is not None
    return whole, chunked, answered


def _sheet(path: Path) -> pd.DataFrame:
    from secretome.io import read_samples

    return read_samples(path)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 256 rows (the least), so that a table of a few hundred rows spans several."""
    monkeypatch.setattr(streamed, "CHUNK_CELLS", 1)


def wide(path: Path, values: np.ndarray, *, ids: list[str] | None = None, extra: dict[str, list] | None = None,
         columns: list[str] | None = None, genes: bool = True, sep: str = "\t", line_end: str = "\n",
         id_name: str = "Protein") -> Path:
    n, m = values.shape
    frame = pd.DataFrame(values, columns=columns or [f"S{j + 1}" for j in range(m)])
    if genes:
        frame.insert(0, "Gene", [f"GENE{i % 997}" for i in range(n)])
    frame.insert(0, id_name, ids or [f"P{i:05d}" for i in range(n)])
    for name, column in (extra or {}).items():
        frame[name] = column
    frame.to_csv(path, sep=sep, index=False, na_rep="", lineterminator=line_end)
    return path


def intensities(n: int = 700, m: int = 6, seed: int = 1, missing: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(20, 2, (n, m)), 1)
    values[rng.random(values.shape) < missing] = np.nan
    return values


def test_the_benchmark_shape_is_summarised_in_chunks_and_prints_the_same(tmp_path, small_chunks):
    path = wide(tmp_path / "wide.tsv", intensities())
    whole, chunked, answered = both_ways(path)
    assert answered and whole == chunked
    lines = dict(summary_lines(chunked[0]))
    assert lines["proteins"] == "700" and lines["samples"] == "6" and lines["format"] == "generic (wide table)"


@pytest.mark.parametrize("case", [
    "zeros", "log2", "signed log2 with zeros", "declared log2", "declared linear", "repeated genes", "crlf",
    "comma", "semicolon", "description", "families", "unread statistics", "half below the median",
    "half below the median, mean under",
])
def test_chunked_and_whole_summaries_agree(tmp_path, small_chunks, case):
    rng = np.random.default_rng(7)
    values = intensities()
    options: dict = {}
    kwargs: dict = {}
    if case == "zeros":
        values[rng.random(values.shape) < 0.1] = 0.0
    elif case == "log2":
        values = np.log2(values)
    elif case == "signed log2 with zeros":
        values = np.round(rng.normal(0, 2, values.shape), 3)
        values[:5, :2] = 0.0
    elif case == "declared log2":
        values, options = np.log2(values), {"is_log2": True}
    elif case == "declared linear":
        options = {"is_log2": False}
    elif case == "repeated genes":
        kwargs = {"ids": [f"GENE{i % 300}" for i in range(len(values))], "genes": False, "id_name": "Gene"}
    elif case == "crlf":
        kwargs = {"line_end": "\r\n"}
    elif case == "comma":
        kwargs = {"sep": ","}
    elif case == "semicolon":
        kwargs = {"sep": ";"}
    elif case == "description":
        kwargs = {"extra": {"Description": [f"protein {i}, a factor" for i in range(len(values))]}, "sep": "\t"}
    elif case == "families":
        values = np.hstack([values, values * 2])
        kwargs = {"columns": [f"LFQ intensity S{j}" for j in range(6)] + [f"Intensity S{j}" for j in range(6)]}
    elif case == "unread statistics":
        kwargs = {"extra": {"Score": rng.random(len(values)), "Mol. weight [kDa]": rng.random(len(values)) * 100}}
    elif case.startswith("half below the median"):
        # log2-like values, exactly half of them below the rule's median threshold (5): the mean of the two
        # middle values decides, as numpy's median does (5.0: log2; 4.875: linear)
        values = np.full((700, 6), 6.25)
        values[:350] = 3.75 if case == "half below the median" else 3.5
    path = wide(tmp_path / ("table.csv" if kwargs.get("sep") == "," else "table.tsv"), values, **kwargs)
    whole, chunked, answered = both_ways(path, **options)
    assert answered, "the chunked path should take this table"
    assert chunked == whole


@pytest.mark.parametrize("case", [
    "text cell beyond the first chunk", "row sum column", "category code", "quotes", "decimal comma",
    "short row", "blank line", "no line end", "group summary", "all missing at first",
])
def test_tables_the_chunks_cannot_decide_are_read_whole(tmp_path, small_chunks, case):
    values = intensities()
    path = tmp_path / "table.tsv"
    wide(path, values, extra={
        "row sum column": {"Total": np.nansum(values, axis=1)},
        "category code": {"Batch": [i % 3 for i in range(len(values))]},
        "group summary": {"S": np.nanmean(values[:, :2], axis=1)},
    }.get(case))
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if case == "text cell beyond the first chunk":
        lines[600] = lines[600].replace(lines[600].split("\t")[3], "n.d.", 1)
    elif case == "quotes":
        lines[5] = lines[5].replace("GENE4", '"GENE4"')
    elif case == "decimal comma":
        lines[600] = lines[600].replace(".", ",")
    elif case == "short row":
        lines[600] = "\t".join(lines[600].split("\t")[:4])
    elif case == "blank line":
        lines.insert(400, "")
    elif case == "group summary":
        lines[0] = lines[0].replace("S1\tS2", "S_1\tS_2")
    elif case == "all missing at first":
        lines[1:300] = ["\t".join(line.split("\t")[:-1] + [""]) for line in lines[1:300]]
    text = "\n".join(lines)
    if case == "no line end":
        text = text.rstrip("\n")
    path.write_text(text, encoding="utf-8")
    whole, chunked, answered = both_ways(path)
    assert not answered, "the chunked path must leave this table to the whole read"
    assert chunked == whole


def read_both(path: Path, monkeypatch, **options) -> tuple[object, object]:
    """The dataset (X, obs, var, uns without provenance times) read whole and read in chunks, or the error."""
    def run(min_bytes: int):
        monkeypatch.setattr(streamed, "STREAM_MIN_BYTES", min_bytes)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = read_result(path, **options)
            except SecretomeInputError as error:
                return f"error: {error}", []
        uns = {key: value for key, value in result.uns.items() if key != "provenance"}
        steps = [{k: v for k, v in step.items() if k != "time_utc"} for step in result.uns["provenance"]]
        return (result.X, result.obs, result.var, uns, steps), [str(w.message) for w in caught]

    return run(2**62), run(0)


def same_dataset(whole, chunked) -> bool:
    if isinstance(whole[0], str) or isinstance(chunked[0], str):
        return whole == chunked
    (x1, obs1, var1, uns1, steps1), (x2, obs2, var2, uns2, steps2) = whole[0], chunked[0]
    return (np.array_equal(x1, x2, equal_nan=True) and x1.flags.c_contiguous == x2.flags.c_contiguous
            and obs1.equals(obs2) and var1.equals(var2) and uns1 == uns2 and steps1 == steps2 and whole[1] == chunked[1])


@pytest.mark.parametrize("case", ["plain", "zeros", "log2", "repeated genes", "families", "unread statistics"])
def test_read_in_chunks_gives_the_dataset_of_the_whole_read(tmp_path, small_chunks, monkeypatch, case):
    values = intensities()
    kwargs: dict = {}
    if case == "zeros":
        values[np.random.default_rng(3).random(values.shape) < 0.1] = 0.0
    elif case == "log2":
        values = np.log2(values)
    elif case == "repeated genes":
        kwargs = {"ids": [f"GENE{i % 300}" for i in range(len(values))], "genes": False, "id_name": "Gene"}
    elif case == "families":
        values = np.hstack([values, values * 2])
        kwargs = {"columns": [f"LFQ intensity S{j}" for j in range(6)] + [f"Intensity S{j}" for j in range(6)]}
    elif case == "unread statistics":
        kwargs = {"extra": {"Score": np.arange(len(values)) / 7.0, "Description": ["a; b"] * len(values)}}
    path = wide(tmp_path / "table.tsv", values, **kwargs)
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tlot\n" + "".join(f"S{j}\t{'AB'[j % 2]}\n" for j in range(1, 7)), encoding="utf-8")
    whole, chunked = read_both(path, monkeypatch, samples=sheet if case == "plain" else None)
    assert not isinstance(chunked[0], str)
    assert same_dataset(whole, chunked)
    assert streamed.streamed_read(path, None, None, None, is_log2=None, decimal=None, params={}, min_bytes=0) is not None


def test_a_table_the_chunks_cannot_read_is_read_whole_with_its_error(tmp_path, small_chunks, monkeypatch):
    path = wide(tmp_path / "table.tsv", intensities())
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[600] = "\t".join(lines[600].split("\t")[:2] + ["n.d."] + lines[600].split("\t")[3:])
    path.write_text("\n".join(lines), encoding="utf-8")
    whole, chunked = read_both(path, monkeypatch)
    assert isinstance(whole[0], str) and "non-numeric value 'n.d.'" in whole[0] and chunked == whole


def test_sample_sheet_warnings_are_the_same(tmp_path, small_chunks):
    path = wide(tmp_path / "table.tsv", intensities())
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tlot\nS1\tA\nS2\tA\nS3\tB\nS4\tB\nS5\tC\nS6\tC\nS9\tC\n", encoding="utf-8")
    whole, chunked, answered = both_ways(path, sheet_frame=sheet)
    assert answered and chunked == whole and whole[1], whole


def reader_files() -> list[Path]:
    roots = [REPO / "tests" / "data" / "readers"]
    return sorted(p for root in roots for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".tsv", ".txt", ".csv"))


@pytest.mark.parametrize("path", reader_files(), ids=lambda p: p.name)
def test_every_reader_fixture_prints_the_same_either_way(path):
    whole, chunked, _ = both_ways(path)
    assert chunked == whole


def test_real_examples_print_the_same_either_way(examples, small_chunks):
    answered = 0
    for path in sorted(examples.rglob("*")):
        if "clinical" in path.parts or path.suffix.lower() not in (".tsv", ".csv", ".txt"):
            continue
        whole, chunked, took = both_ways(path)
        assert chunked == whole, path
        answered += took
    assert answered >= 1  # at least one real generic table goes through the chunks


def test_the_storable_copy_for_h5ad_shares_the_matrices_and_leaves_the_dataset_as_it_was():
    import anndata

    from secretome.io import h5ad_safe

    adata = anndata.AnnData(X=np.ones((3, 4)), obs=pd.DataFrame({"mixed": [1, "x", 2]}, index=list("abc")))
    adata.layers["log2"] = np.zeros((3, 4))
    adata.uns["provenance"] = [{"step": "read"}]
    storable = h5ad_safe(adata)
    assert np.shares_memory(storable.X, adata.X) and np.shares_memory(storable.layers["log2"], adata.layers["log2"])
    assert storable.obs["mixed"].tolist() == ["1", "x", "2"] and adata.obs["mixed"].tolist() == [1, "x", 2]
    assert storable.uns["provenance"] == {"000": {"step": "read"}} and adata.uns["provenance"] == [{"step": "read"}]


def test_a_large_file_without_line_ends_is_left_to_the_whole_read_after_its_first_bytes(tmp_path, monkeypatch):
    """A sparse file of zeros (or one huge line) is not read on in search of a header: the whole read's
    early binary sniff refuses it."""
    path = tmp_path / "sparse.tsv"
    with open(path, "wb") as handle:
        handle.truncate(64 << 20)
    reads = []
    original = streamed._head

    def counted(handle):
        head = original(handle)
        reads.append(handle.tell())
        return head

    monkeypatch.setattr(streamed, "_head", counted)
    assert streamed.streamed_summary(path, min_bytes=0) is None
    assert reads and reads[0] <= streamed._HEAD_BYTES
    with pytest.raises(SecretomeInputError, match="binary"):
        summarize_file(path, stream_min_bytes=0)


@pytest.mark.parametrize("later", ["0.5", "1,5"])
def test_a_number_mark_first_shown_past_the_first_lines_leaves_the_table_to_the_whole_read(tmp_path, small_chunks, later):
    """The number convention is decided from the first lines; a table whose first marked number (or first
    decimal comma) comes later is read whole, so the convention and its evidence are the whole file's."""
    counts = np.round(intensities(n=4000, seed=5) / 1e6)
    values = np.array([[None if np.isnan(v) else int(v) for v in row] for row in counts], dtype=object)  # "12", not "12.0"
    path = wide(tmp_path / "table.tsv", values)
    assert "." not in path.read_text(encoding="utf-8")
    lines = path.read_text(encoding="utf-8").split("\n")
    fields = lines[3900].split("\t")
    fields[2] = later
    lines[3900] = "\t".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert path.stat().st_size > streamed._HEAD_BYTES
    whole, chunked, answered = both_ways(path)
    assert not answered and chunked == whole


def _compressed(path: Path, kind: str) -> Path:
    import gzip
    import lzma

    target = path.with_name(path.name + (".gz" if kind == "gzip" else ".xz"))
    target.write_bytes((gzip.compress if kind == "gzip" else lzma.compress)(path.read_bytes()))
    return target


@pytest.mark.parametrize("kind", ["gzip", "xz"])
def test_a_compressed_table_is_read_in_chunks_as_its_whole_read_reads_it(tmp_path, small_chunks, monkeypatch, kind):
    """Decompressed on the way (never the whole text in memory): the same dataset, summary and digest of
    the compressed file as the whole read, which holds the compressed bytes and the text besides."""
    path = _compressed(wide(tmp_path / "table.tsv", intensities()), kind)
    whole, chunked = read_both(path, monkeypatch)
    assert not isinstance(chunked[0], str) and same_dataset(whole, chunked)
    assert chunked[0][3]["source"]["sha256"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    assert streamed.streamed_read(path, None, None, None, is_log2=None, decimal=None, params={}, min_bytes=0) is not None
    whole, chunked, answered = both_ways(path)
    assert answered and chunked == whole


def test_a_gzip_file_of_several_members_reads_the_same_either_way(tmp_path, small_chunks, monkeypatch):
    import gzip

    text = wide(tmp_path / "table.tsv", intensities()).read_bytes()
    cut = text.index(b"\n", len(text) // 3) + 1
    path = tmp_path / "members.tsv.gz"
    path.write_bytes(gzip.compress(text[:cut]) + gzip.compress(text[cut:]) + b"\0\0\0")
    whole, chunked = read_both(path, monkeypatch)
    assert not isinstance(chunked[0], str) and same_dataset(whole, chunked)


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_compressed_table_gets_the_whole_reads_error(tmp_path, small_chunks, monkeypatch, damage):
    path = _compressed(wide(tmp_path / "table.tsv", intensities()), "gzip")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else data[:100] + b"\xff" * 50 + data[150:])
    whole, chunked = read_both(path, monkeypatch)
    assert isinstance(whole[0], str) and "gzip stream is truncated or damaged" in whole[0] and chunked == whole


def test_a_gzip_bomb_is_refused_as_the_whole_read_refuses_it(tmp_path, monkeypatch):
    import gzip

    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_FLOOR_MIB", "1")
    path = tmp_path / "bomb.tsv.gz"
    row = b"P00001\t1.5\t2.5\n"
    path.write_bytes(gzip.compress(b"Protein\tS1\tS2\n" + row * ((8 << 20) // len(row))))
    assert streamed.text_size(path, path.stat().st_size) >= 8 << 20  # gzip's own record of the size
    whole, chunked = read_both(path, monkeypatch)
    assert isinstance(whole[0], str) and "decompression bomb" in whole[0] and chunked == whole


def test_the_size_of_a_compressed_table_is_estimated_from_its_record(tmp_path):
    import gzip

    path = tmp_path / "t.tsv.gz"
    path.write_bytes(gzip.compress(b"a\tb\n" + b"1\t2\n" * 100_000))
    assert streamed.text_size(path, path.stat().st_size) == 4 + 400_000
    plain = tmp_path / "t.tsv"
    plain.write_bytes(b"a\tb\n1\t2\n")
    assert streamed.text_size(plain, plain.stat().st_size) == plain.stat().st_size


@pytest.mark.parametrize("name", ["maxquant_go_proteinGroups.txt", "alphapeptstats_diann_report_final.pg_matrix.tsv"])
def test_an_engine_table_is_left_to_the_whole_read_from_its_first_lines(monkeypatch, name):
    """An engine's table is recognised in the head, before any pass over the whole file (a large
    proteinGroups.txt paid a full scan and a first chunk's parse only to be read whole)."""
    def no_scan(*args, **kwargs):
        raise AssertionError("the whole file was scanned")

    monkeypatch.setattr(streamed, "_ScannedFile", no_scan)
    path = REPO / "tests" / "data" / "readers" / name
    assert streamed.streamed_read(path, None, None, None, is_log2=None, decimal=None, params={}, min_bytes=0) is None
    assert streamed.streamed_summary(path, min_bytes=0) is None


@pytest.mark.parametrize("text, lone_cr, marked", [
    (b"a\tb\n1\t2\r" + b"3\t4\n", True, False),  # a CR ending one block, a digit starting the next
    (b"a\tb\n1\t2\r" + b"\n3\t4\n", False, False),  # CRLF across the blocks
    (b"a\tb\n1\t2," + b"5\t4\n", False, True),  # a decimal comma across the blocks
    (b"a\tb\n1\t2\n" + b"3\t4,5\n", False, True),
])
def test_the_scan_sees_patterns_across_blocks(monkeypatch, text, lone_cr, marked):
    import io as io_module

    monkeypatch.setattr(streamed, "_BLOCK", 8)  # the first 8 bytes are one block, the rest others
    scanned = streamed._ScannedFile(io_module.BytesIO(text), "\t", b",", digest=True)
    scanned.scan_all()
    assert (scanned.lone_cr, scanned.marked_number) == (lone_cr, marked)
    assert scanned.n_newlines == text.count(b"\n") and scanned.n_delimiters == text.count(b"\t")
    assert scanned.sha256.hexdigest() == __import__("hashlib").sha256(text).hexdigest()


def test_an_engine_header_is_told_from_a_generic_one_by_its_line_alone():
    """A large engine table skips the streamed reader's parse of its first lines: its header names the engine."""
    from secretome.io.detect import engine_header

    assert engine_header("Protein IDs\tMajority protein IDs\tPeptides\tLFQ intensity S1\tLFQ intensity S2")
    assert engine_header('"Protein.Group","Protein.Ids","Protein.Names","Genes","a.raw","b.raw"')
    assert not engine_header("Protein\tS1\tS2\tS3")
    assert not engine_header("gene,log2FC,P,FDR")
