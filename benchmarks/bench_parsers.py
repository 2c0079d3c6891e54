"""Text-parser benchmark (issue 14 item 5): would another CSV engine make the readers' parse cheaper?

Times, on the same bytes in memory, pandas' C parser as the readers call it (``float_precision`` default,
which is not correctly rounded) and with ``float_precision="round_trip"`` (correctly rounded, as pyarrow
is), pyarrow.csv single- and multi-threaded (then ``to_pandas``) and polars (then ``to_pandas``); and counts
the float cells where pandas' default value differs from Python's correctly rounded ``float(text)``.
Engines that are not installed are skipped (neither is a dependency of secretome).

The files: bench_readers.py's synthetic MaxQuant, DIA-NN, FragPipe and generic tables (written to a
temporary directory) and, with ``--examples``, the public example tables of ``../shared/data/examples``.

Run: ``python benchmarks/bench_parsers.py [--repeat 3] [--scale 1.0] [--examples]``
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_readers  # noqa: E402  (the synthetic writers)


def engines(separator: str) -> dict[str, Callable[[bytes], pd.DataFrame]]:
    """Each installed engine as bytes -> DataFrame."""
    out: dict[str, Callable[[bytes], pd.DataFrame]] = {
        "pandas": lambda data: pd.read_csv(io.BytesIO(data), sep=separator),
        "pandas round_trip": lambda data: pd.read_csv(io.BytesIO(data), sep=separator, float_precision="round_trip"),
    }
    try:
        import pyarrow.csv as pacsv
    except ImportError:
        pass
    else:
        parse = pacsv.ParseOptions(delimiter=separator)
        for threads in (False, True):
            read = pacsv.ReadOptions(use_threads=threads)
            out[f"pyarrow {'threads' if threads else '1 thread'}"] = (
                lambda data, read=read: pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse).to_pandas())
    try:
        import polars
    except ImportError:
        pass
    else:
        out["polars"] = lambda data: polars.read_csv(io.BytesIO(data), separator=separator, infer_schema_length=None).to_pandas()
    return out


def not_correctly_rounded(data: bytes, separator: str) -> tuple[int, int]:
    """(float cells whose pandas value differs from float(text), float cells) of a table's float columns."""
    frame = pd.read_csv(io.BytesIO(data), sep=separator)
    texts = pd.read_csv(io.BytesIO(data), sep=separator, dtype=str, keep_default_na=False)
    differ = total = 0
    for column in frame.columns[frame.dtypes == np.float64]:
        cells = texts[column].to_numpy()
        filled = cells != ""
        exact = np.array([float(text) for text in cells[filled]], dtype=np.float64)
        parsed = frame[column].to_numpy()[filled]
        differ += int((exact != parsed).sum() - (np.isnan(exact) & np.isnan(parsed)).sum())  # NaN texts agree
        total += int(filled.sum())
    return differ, total


def time_file(path: Path, repeat: int) -> None:
    """One line per engine: best wall and CPU time of ``repeat`` parses, and the CPU ratio to pandas."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    name = path.name.lower().removesuffix(".gz")
    separator = "," if name.endswith(".csv") else "\t"
    differ, total = not_correctly_rounded(data, separator)
    print(f"{path.name} ({len(data) / 1e6:.1f} MB): pandas' default float differs from float(text) in {differ} of "
          f"{total} float cells", flush=True)
    base = None
    for label, parse in engines(separator).items():
        wall = cpu = float("inf")
        for _ in range(repeat):
            w, c = time.perf_counter(), time.process_time()
            parse(data)
            wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
        base = base or cpu
        print(f"  {label:18s} wall {wall * 1e3:8.1f} ms  CPU {cpu * 1e3:8.1f} ms  CPU/pandas {cpu / base:.2f}x", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--examples", action="store_true")
    args = parser.parse_args(argv)
    print(f"pandas {pd.__version__}, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    rng = np.random.default_rng(2026)
    with tempfile.TemporaryDirectory(prefix="bench_parsers_") as tmp:
        for filename, writer, n_proteins, n_samples in (
            ("proteinGroups.txt", bench_readers.write_maxquant, 8_000, 200),
            ("report.pg_matrix.tsv", bench_readers.write_diann, 8_000, 200),
            ("combined_protein.tsv", bench_readers.write_fragpipe, 8_000, 200),
            ("matrix.tsv", bench_readers.write_generic, 10_000, 1_000),
        ):
            path = Path(tmp) / filename
            writer(path, int(n_proteins * args.scale), n_samples, rng)
            time_file(path, args.repeat)
            path.unlink()
    if args.examples:
        examples = Path(__file__).resolve().parents[2] / "shared" / "data" / "examples"
        patterns = ("*.pg_matrix.tsv*", "combined_protein*.tsv*", "*perseus*.csv", "PD_*.csv*", "*_log2.tsv", "*_log2.csv")
        for path in sorted({p for pattern in patterns for p in examples.glob(f"*/{pattern}")}):
            time_file(path, args.repeat)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
