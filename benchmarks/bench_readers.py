"""Reader benchmark: ``secretome.read`` against a bare ``pandas.read_csv`` of the same file, same run.

Synthetic files are written to a temporary directory:
- a generic wide matrix, 10,000 proteins x 1,000 samples (TSV);
- a MaxQuant proteinGroups.txt, 8,000 proteins x 200 samples (Intensity, LFQ intensity and iBAQ per sample,
  plus the usual annotation and flag columns);
- a DIA-NN report.pg_matrix.tsv and a FragPipe combined_protein.tsv, 8,000 proteins x 200 samples.
With ``--examples`` every public example table in ``../shared/data/examples`` is timed as well (small real
files of the DIA-NN, FragPipe, Perseus, PEAKS and generic readers: fixed costs dominate there).
Each reader runs ``--repeat`` times (best time kept, alternating with the bare parse so both see the same
machine load) and the ratio read/parse is printed. Goal (issue 14): within 1.0x of the bare parse
(issue 3 asked for 1.5x).

Run: ``python benchmarks/bench_readers.py [--repeat 3] [--scale 1.0] [--examples]``
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


def write_diann(path: Path, n_proteins: int, n_samples: int, rng: np.random.Generator) -> None:
    """A DIA-NN 1.8 report.pg_matrix.tsv: five annotation columns, one column per run file (empty = missing)."""
    values = np.round(rng.lognormal(12.0, 2.0, size=(n_proteins, n_samples)), 2)
    values[rng.random(values.shape) < 0.2] = np.nan
    frame = pd.DataFrame(values, columns=[f"D:\\runs\\plate1\\sample_{j + 1:03d}.d" for j in range(n_samples)])
    frame.insert(0, "First.Protein.Description", [f"Protein {i}" for i in range(n_proteins)])
    frame.insert(0, "Genes", [f"GENE{i}" for i in range(n_proteins)])
    frame.insert(0, "Protein.Names", [f"PROT{i}_HUMAN" for i in range(n_proteins)])
    frame.insert(0, "Protein.Ids", [f"Q{i:05d};P{i:05d}" for i in range(n_proteins)])
    frame.insert(0, "Protein.Group", [f"Q{i:05d};P{i:05d}" for i in range(n_proteins)])
    frame.to_csv(path, sep="\t", index=False)


def write_fragpipe(path: Path, n_proteins: int, n_samples: int, rng: np.random.Generator) -> None:
    """A FragPipe combined_protein.tsv: annotation columns, then Spectral Count, Intensity and MaxLFQ Intensity per sample."""
    columns: dict[str, object] = {
        "Protein": [f"sp|P{i:05d}|PROT{i}_HUMAN" for i in range(n_proteins)],
        "Protein ID": [f"P{i:05d}" for i in range(n_proteins)],
        "Entry Name": [f"PROT{i}_HUMAN" for i in range(n_proteins)],
        "Gene": [f"GENE{i}" for i in range(n_proteins)],
        "Protein Length": rng.integers(50, 3000, n_proteins),
        "Organism": "Homo sapiens OX=9606",
        "Protein Existence": "1:Experimental evidence at protein level",
        "Description": [f"Protein {i}" for i in range(n_proteins)],
        "Protein Probability": np.round(rng.random(n_proteins), 4),
        "Top Peptide Probability": np.round(rng.random(n_proteins), 4),
        "Combined Total Peptides": rng.integers(1, 60, n_proteins),
        "Combined Spectral Count": rng.integers(1, 600, n_proteins),
        "Combined Unique Spectral Count": rng.integers(1, 600, n_proteins),
        "Combined Total Spectral Count": rng.integers(1, 600, n_proteins),
    }
    gaps = rng.random((n_proteins, n_samples)) < 0.2
    counts = np.where(gaps, 0, rng.integers(1, 200, (n_proteins, n_samples)))
    for family, block in (("Spectral Count", counts), ("Intensity", np.where(gaps, 0.0, np.round(rng.lognormal(20, 2, counts.shape)))),
                          ("MaxLFQ Intensity", np.where(gaps, 0.0, np.round(rng.lognormal(20, 2, counts.shape))))):
        for j in range(n_samples):
            columns[f"S{j + 1:03d} {family}"] = block[:, j]
    pd.DataFrame(columns).to_csv(path, sep="\t", index=False)


def bare_parse(path: Path) -> pd.DataFrame:
    """The reference: pandas' C parser on the same bytes (sheet 0 of a workbook, delimiter sniffed for text)."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path)
    name = path.name.lower().removesuffix(".gz").removesuffix(".xz")
    return pd.read_csv(path, sep="," if name.endswith(".csv") else "\t", low_memory=False)


def best_times(path: Path, repeat: int, **read_kwargs) -> tuple[float, float, object]:
    """Best wall time of secretome.read and of pandas.read_csv on the same file, interleaved."""
    read_best = parse_best = float("inf")
    adata = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        frame = bare_parse(path)
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
    parser.add_argument("--examples", action="store_true", help="Also time every public example table in ../shared/data/examples.")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(2026)
    cases = [
        ("generic", "matrix.tsv", write_generic, int(10_000 * args.scale), 1_000),
        ("maxquant", "proteinGroups.txt", write_maxquant, int(8_000 * args.scale), 200),
        ("diann", "report.pg_matrix.tsv", write_diann, int(8_000 * args.scale), 200),
        ("fragpipe", "combined_protein.tsv", write_fragpipe, int(8_000 * args.scale), 200),
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
    if args.examples:
        examples = Path(__file__).resolve().parents[2] / "shared" / "data" / "examples"
        patterns = ("*.pg_matrix.tsv*", "combined_protein*.tsv*", "*perseus*.csv", "peaks*.xlsx", "PD_*.csv*", "*_log2.tsv", "*_log2.csv")
        for path in sorted({p for pattern in patterns for p in examples.glob(f"*/{pattern}")}):
            read_time, parse_time, adata = best_times(path, args.repeat)
            ratio = read_time / parse_time
            ratios.append(ratio)
            print(f"example   {path.parent.name}/{path.name} ({adata.uns['source']['format']}, {adata.n_vars} x {adata.n_obs}): "
                  f"secretome.read {read_time:.3f} s, bare parse {parse_time:.3f} s, ratio {ratio:.2f}x")
    print(f"worst ratio {max(ratios):.2f}x; goal (<= 1.0x of the bare parse): {'met' if max(ratios) <= 1.0 else 'NOT met'} "
          f"in {sum(r <= 1.0 for r in ratios)} of {len(ratios)} files (<= 1.5x: {sum(r <= 1.5 for r in ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
