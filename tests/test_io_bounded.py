"""Bounded reading: bombs, devices, FIFOs, sparse files refused at once, in bounded memory.

Each hostile input goes through the real ``secretome info`` in a subprocess whose peak RSS is read
from ``wait4``: the issue's goal is a clear one-line refusal under 500 MB.
"""

from __future__ import annotations

import csv
import gzip
import json
import lzma
import os
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from secretome.errors import SecretomeInputError
from secretome.io import source

ROW = b"P12345\t1.5\t2.5\n"
HEADER = b"protein\ts1\ts2\n"
MIB = 1 << 20


_MEASURED = """
import contextlib, io, json, sys
from secretome.cli import main
results = {}
for case, path in json.loads(sys.argv[1]).items():
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak RSS (VmHWM) to the current RSS
    err = io.StringIO()
    sys.argv = ["secretome", "info", path]
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    results[case] = [code, err.getvalue(), int(peak) // 1024]
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refusals(hostile) -> dict[str, tuple[int, str, int]]:
    """(exit code, stderr, peak RSS in MB) of ``secretome info`` on each hostile input, all in one
    child process whose peak RSS is reset before each (``/proc/self/clear_refs``)."""
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("peak RSS is measured through /proc/self/clear_refs and VmHWM (Linux)")
    payload = json.dumps({case: str(path) for case, path in hostile.items()})
    run = subprocess.run([sys.executable, "-c", _MEASURED, payload], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    return {case: tuple(result) for case, result in json.loads(run.stdout).items()}


def _gzip_member(head: bytes, body: bytes, n_bytes: int, level: int = 6) -> bytes:
    """A gzip member of ``head`` + ``body`` repeated to ``n_bytes``, compressed 1 MiB at a time."""
    engine = zlib.compressobj(level, zlib.DEFLATED, 31)
    block = body * (MIB // len(body))
    parts = [engine.compress(head)]
    parts += [engine.compress(block) for _ in range(n_bytes // len(block))]
    return b"".join(parts) + engine.flush()


def _rows(n_bytes: int) -> bytes:
    return ROW * (n_bytes // len(ROW))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    """Bombs built from repeated members, so an 8 GiB bomb costs a second to make."""
    root = tmp_path_factory.mktemp("hostile")
    paths = {}
    paths["gzip_zeros_8gib"] = root / "zeros.tsv.gz"
    paths["gzip_zeros_8gib"].write_bytes(_gzip_member(b"", b"\0", 8 * MIB) * 1024)
    paths["gzip_table_8gib"] = root / "table.tsv.gz"
    paths["gzip_table_8gib"].write_bytes(_gzip_member(HEADER, ROW, 8 * MIB) + _gzip_member(b"", ROW, 8 * MIB) * 1023)
    paths["gzip_1mb"] = root / "small.tsv.gz"
    paths["gzip_1mb"].write_bytes(_gzip_member(HEADER, ROW, MIB) + _gzip_member(b"", ROW, MIB) * 1023)
    xz = lzma.compress(HEADER + _rows(16 * MIB), preset=1)
    paths["xz_table_1gib"] = root / "table.tsv.xz"
    paths["xz_table_1gib"].write_bytes(xz * 64)
    paths["zip_table"] = root / "table.zip"
    with zipfile.ZipFile(paths["zip_table"], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("t.tsv", HEADER + _rows(96 * MIB))
    paths["xlsx_sheet"] = root / "book.xlsx"
    with zipfile.ZipFile(paths["xlsx_sheet"], "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<row>" * (96 * MIB // 5))
    paths["sparse_2gb"] = root / "sparse.tsv"
    with open(paths["sparse_2gb"], "wb") as handle:
        handle.write(HEADER)
        handle.truncate(2 << 30)
    paths["fifo"] = root / "fifo.tsv"
    os.mkfifo(paths["fifo"])
    paths["dev_zero"] = Path("/dev/zero")
    loop = root / "loop.tsv"
    loop.symlink_to(loop)
    paths["symlink_loop"] = loop
    dangling = root / "dangling.tsv"
    dangling.symlink_to(root / "nowhere")
    paths["dangling_symlink"] = dangling
    return paths


@pytest.mark.parametrize(
    "case, words",
    [
        ("gzip_zeros_8gib", "binary"),
        ("gzip_table_8gib", "decompression bomb"),
        ("gzip_1mb", "decompression bomb"),
        ("xz_table_1gib", "decompression bomb"),
        ("zip_table", "decompression bomb"),
        ("xlsx_sheet", "decompression bomb"),
        ("sparse_2gb", "binary"),
        ("fifo", "named pipe"),
        ("dev_zero", "device"),
        ("symlink_loop", "symbolic links"),
        ("dangling_symlink", "dangling"),
    ],
)
def test_hostile_inputs_are_refused_in_one_line_and_bounded_memory(hostile, refusals, case, words):
    path = hostile[case]
    code, err, rss = refusals[case]
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert words in lines[0] and path.name in lines[0]
    assert rss < 500, f"peak RSS {rss} MB"


def test_a_real_compressed_table_still_reads(tmp_path):
    path = tmp_path / "t.tsv.gz"
    path.write_bytes(gzip.compress(HEADER + ROW * 3) + gzip.compress(ROW))  # two members
    assert source.decompress(path.read_bytes(), "gzip", path=path) == HEADER + ROW * 4
    xz = lzma.compress(HEADER) + lzma.compress(ROW)
    assert source.decompress(xz, "xz", path=path) == HEADER + ROW


@pytest.mark.parametrize("name, damage", [("gzip", gzip.compress(HEADER * 1000)[:-20]), ("xz", lzma.compress(HEADER * 1000)[:-20])])
def test_a_truncated_stream_raises_what_the_standard_library_raises(tmp_path, name, damage):
    with pytest.raises((EOFError, lzma.LZMAError)):
        source.decompress(damage, name, path=tmp_path / "x")


def test_the_ratio_limit_is_configurable(tmp_path, monkeypatch):
    data = gzip.compress(HEADER + _rows(2 * MIB))
    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_FLOOR_MIB", "1")
    with pytest.raises(SecretomeInputError, match="decompression bomb"):
        source.decompress(data, "gzip", path=tmp_path / "x")
    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_RATIO", "100000")
    assert len(source.decompress(data, "gzip", path=tmp_path / "x")) == len(HEADER + _rows(2 * MIB))
    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_RATIO", "lots")
    with pytest.raises(SecretomeInputError, match="SECRETOME_MAX_DECOMPRESSED_RATIO"):
        source.limits()


def test_an_input_too_large_for_the_memory_is_refused_before_loading(tmp_path, monkeypatch):
    path = tmp_path / "big.tsv"
    path.write_bytes(HEADER + _rows(MIB))
    monkeypatch.setattr(source, "available_memory", lambda: 1_000_000)
    with pytest.raises(SecretomeInputError, match=r"too large for this machine: reading it needs about 3\.1 MB"):
        source.read_input(path)


def test_available_memory_is_known_on_linux():
    if not Path("/proc/meminfo").exists():
        pytest.skip("no /proc/meminfo on this system")
    assert source.available_memory() > 0


def test_fields_longer_than_the_csv_default_are_read(tmp_path):
    from secretome.io import read

    long = "x" * 200_000  # over csv's default limit of 128 KiB; a last line without line end goes through csv
    path = tmp_path / "long.tsv"
    path.write_text(f"protein\tdescription\tS1\tS2\tS3\nP67890\tshort\t3\t4\t5\nQ12345\tx\t3\t4\t5\nP12345\t{long}\t1.5\t2.5\t3")
    csv.field_size_limit(131072)
    adata = read(path)
    assert adata.n_vars == 3 and adata.var["description"].str.len().max() == 200_000


def test_stdin_is_bounded(monkeypatch):
    import io

    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_CAP_MIB", "1")
    with pytest.raises(SecretomeInputError, match="larger than the limit"):
        source.read_stream(io.BytesIO(b"P12345\n" * 300_000))
    with pytest.raises(SecretomeInputError, match="binary"):
        source.read_stream(io.BytesIO(b"\0" * 100))


def _streamed(data: bytes, name: str, size: int = 4096) -> tuple[bytes, "source.DecompressedStream", int]:
    """Everything a :class:`source.DecompressedStream` over ``data`` yields, read ``size`` bytes at a time,
    with the stream and the largest piece it returned."""
    import io

    stream = source.DecompressedStream(io.BytesIO(data), name, "t.tsv.gz")
    pieces, buffer = [], bytearray(size)
    while n := stream.readinto(buffer):
        pieces.append(bytes(buffer[:n]))
    return b"".join(pieces), stream, max((len(p) for p in pieces), default=0)


@pytest.mark.parametrize("name, compress", [("gzip", gzip.compress), ("xz", lzma.compress)])
def test_the_streaming_decompressor_gives_what_decompress_gives_a_read_at_a_time(name, compress):
    import hashlib

    text = HEADER + _rows(MIB)
    for data in (compress(text), compress(text[:1000]) + compress(text[1000:]), compress(b"") + compress(text),
                 compress(text) + (b"\0" * 7 if name == "gzip" else b"")):
        out, stream, largest = _streamed(data, name)
        assert out == source.decompress(data, name, path="t") == text
        assert largest <= 4096  # never more than asked for: the chunked parse holds one chunk, not the text
        assert stream.sha256.hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name, compress", [("gzip", gzip.compress), ("xz", lzma.compress)])
def test_the_streaming_decompressor_raises_what_decompress_raises(tmp_path, monkeypatch, name, compress):
    data = compress(HEADER + _rows(2 * MIB))
    for damaged in (data[:-20], data[: len(data) // 2]):
        with pytest.raises((EOFError, lzma.LZMAError, zlib.error)):
            _streamed(damaged, name)
    monkeypatch.setenv("SECRETOME_MAX_DECOMPRESSED_FLOOR_MIB", "1")
    with pytest.raises(SecretomeInputError, match="decompression bomb") as streamed_error:
        _streamed(data, name, size=1 << 16)
    with pytest.raises(SecretomeInputError, match="decompression bomb"):
        source.decompress(data, name, path="t.tsv.gz")
    assert "t.tsv.gz" in str(streamed_error.value)
