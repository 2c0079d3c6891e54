"""Reader benchmark: ``secretome.read`` against a bare ``pandas.read_csv`` of the same file, same run.

Two synthetic files are written to a temporary directory:
- a generic wide matrix, 10,000 proteins x 1,000 samples (TSV);
- a MaxQuant proteinGroups.txt, 8,000 proteins x 200 samples (Intensity, LFQ intensity and iBAQ per sample,
  plus the usual annotation and flag columns).
Each reader runs ``--repeat`` times (best time kept, alternating with the bare parse so both see the same
machine load) and the ratio read/parse is printed. Goal: within 1.5x of the bare parse.

Run: ``python benchmarks/bench_readers.py [--repeat 3] [--proteins-scale 1.0]``
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import secretome


def write_generic(path: Path, n_proteins: int, n_samples: int, rng: np.random.Generator) -> None:
    """A wide TSV: accession, gene symbol, then one linear intensity column per sample (15% zeros)."""
    values = np.round(rng.lognormal(mean=20.0, sigma=2.0, size=(n_proteins, n_samples)), 1)
    values[rng.random(values.shape) < 0.15] = 0.0
    frame = pd.DataFrame(values, columns=[f"sample_{j + 1:04d}" for j in range(n_samples)])
    frame.insert(0, "Gene names", [f"GENE{i}" for i in range(n_proteins)])
    frame.insert(0, "Protein IDs", [f"P{i:05d};P{i:05d}-2" for i in range(n_proteins)])
    frame.to_csv(path, sep="\t", index=False)


def write_maxquant(path: Path, n_proteins: int, n_samples: int, rng: np.random.Generator) -> None:
    """A proteinGroups.txt with MaxQuant's column families and flags."""
    ids = [f"sp|Q{i:05d}|PROT{i}_HUMAN;P{i:05d}" for i in range(n_proteins)]
    columns: dict[str, object] = {
        "Protein IDs": [f"Q{i:05d};P{i:05d}" for i in range(n_proteins)],
        "Majority protein IDs": [f"Q{i:05d}" for i in range(n_proteins)],
        "Protein names": [f"Protein {i}" for i in range(n_proteins)],
        "Gene names": [f"GENE{i}" for i in range(n_proteins)],
        "Fasta headers": [f">{h} Protein {i} OS=Homo sapiens OX=9606 GN=GENE{i}" for i, h in enumerate(ids)],
        "Number of proteins": np.full(n_proteins, 2),
        "Peptides": rng.integers(1, 60, n_proteins),
        "Razor + unique peptides": rng.integers(1, 60, n_proteins),
        "Unique peptides": rng.integers(1, 60, n_proteins),
        "Sequence coverage [%]": np.round(rng.random(n_proteins) * 100, 1),
        "Score": np.round(rng.random(n_proteins) * 300, 3),
        "Intensity": np.round(rng.lognormal(25, 2, n_proteins)),
    }
    for family in ("Intensity", "LFQ intensity", "iBAQ"):
        block = np.round(rng.lognormal(20.0, 2.0, size=(n_proteins, n_samples)))
        block[rng.random(block.shape) < 0.25] = 0.0
        for j in range(n_samples):
            columns[f"{family} S{j + 1:03d}"] = block[:, j]
    flags = rng.random((3, n_proteins))
    columns["Only identified by site"] = np.where(flags[0] < 0.01, "+", "")
    columns["Reverse"] = np.where(flags[1] < 0.01, "+", "")
    columns["Potential contaminant"] = np.where(flags[2] < 0.02, "+", "")
    columns["id"] = np.arange(n_proteins)
    pd.DataFrame(columns).to_csv(path, sep="\t", index=False)


def best_times(path: Path, repeat: int, **read_kwargs) -> tuple[float, float, object]:
    """Best wall time of secretome.read and of pandas.read_csv on the same file, interleaved."""
    read_best = parse_best = float("inf")
    adata = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        frame = pd.read_csv(path, sep="\t")
        parse_best = min(parse_best, time.perf_counter() - start)
        del frame
        gc.collect()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adata = secretome.read(path, **read_kwargs)
        read_best = min(read_best, time.perf_counter() - start)
    return read_best, parse_best, adata


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="Shrink/grow protein counts (1.0 = the issue's sizes).")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2026)
    cases = [
        ("generic", "matrix.tsv", write_generic, int(10_000 * args.scale), 1_000),
        ("maxquant", "proteinGroups.txt", write_maxquant, int(8_000 * args.scale), 200),
    ]
    print(f"secretome {secretome.__version__}, pandas {pd.__version__}, numpy {np.__version__}, best of {args.repeat}")
    ratios = []
    with tempfile.TemporaryDirectory(prefix="bench_readers_") as tmp:
        for name, filename, writer, n_proteins, n_samples in cases:
            path = Path(tmp) / filename
            start = time.perf_counter()
            writer(path, n_proteins, n_samples, rng)
            written = time.perf_counter() - start
            size_mb = path.stat().st_size / 1e6
            read_time, parse_time, adata = best_times(path, args.repeat)
            assert adata.uns["source"]["format"] == name, adata.uns["source"]["format"]
            assert adata.shape == (n_samples, n_proteins), adata.shape
            ratio = read_time / parse_time
            ratios.append(ratio)
            print(
                f"{name:9s} {n_proteins} proteins x {n_samples} samples, {size_mb:.0f} MB (written in {written:.1f} s): "
                f"secretome.read {read_time:.2f} s, pandas.read_csv {parse_time:.2f} s, ratio {ratio:.2f}x"
            )
    goal = all(r <= 1.5 for r in ratios)
    print(f"goal (<= 1.5x of the bare parse): {'met' if goal else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
