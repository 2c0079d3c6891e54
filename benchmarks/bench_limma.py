"""Benchmark: secretome's limma port against R limma and a naive per-protein scipy t-test loop.

For 8,000 proteins x 24 and x 200 samples, with and without 15% missing values (two groups,
``~ condition``), it times
  * secretome: ``lm_fit`` + ``e_bayes`` + ``top_table`` (best of --repeats runs, in-process),
  * R limma: ``lmFit`` + ``eBayes`` + ``topTable`` timed inside R with ``proc.time`` (best of --repeats),
    and the wall time of a whole ``Rscript`` run (start-up, loading limma, reading the data, one fit),
  * a Python loop of ``scipy.stats.ttest_ind`` over proteins (one run),
checks that secretome's moderated t equals R's (difference relative to max(|t|, 1)), and prints a
table with the ratios. Timings are wall-clock on a possibly shared machine: compare ratios from one run.

Usage: PYTHONPATH=src python benchmarks/bench_limma.py [--proteins 8000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

from secretome.stats.limma import e_bayes, lm_fit, top_table

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
n_genes <- as.integer(args[2]); n_samples <- as.integer(args[3]); repeats <- as.integer(args[4])
suppressPackageStartupMessages(library(limma))
con <- file(args[1], "rb"); values <- readBin(con, "double", n = n_genes * n_samples); close(con)
expr <- matrix(values, n_genes, n_samples)
group <- factor(rep(c("control", "treated"), length.out = n_samples))
design <- model.matrix(~ group)
best <- Inf
for (i in seq_len(repeats)) {
  start <- proc.time()[["elapsed"]]
  fit <- suppressWarnings(lmFit(expr, design))
  eb <- eBayes(fit)
  tt <- topTable(eb, coef = 2, number = Inf, sort.by = "none")
  best <- min(best, proc.time()[["elapsed"]] - start)
}
con <- file(args[5], "wb"); writeBin(as.numeric(tt$t), con); close(con)
cat(sprintf("%.6f\n", best))
"""


def simulate(n_proteins: int, n_samples: int, missing: float, rng: np.random.Generator) -> np.ndarray:
    """log2 intensities: protein means, inverse-chi-square variances, effects in 10% of proteins."""
    base = rng.normal(22, 2, n_proteins)
    s2 = 0.08 * 4 / rng.chisquare(4, n_proteins)
    values = base[:, None] + rng.standard_normal((n_proteins, n_samples)) * np.sqrt(s2)[:, None]
    treated = np.arange(n_samples) % 2 == 1
    effect = np.zeros(n_proteins)
    effect[: n_proteins // 10] = rng.choice([-1.0, 1.0], n_proteins // 10)
    values[:, treated] += effect[:, None]
    if missing > 0:
        values[rng.random(values.shape) < missing] = np.nan
    return values


def time_secretome(values: np.ndarray, design: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    best = np.inf
    table = None
    for _ in range(repeats):
        start = time.perf_counter()
        table = top_table(e_bayes(lm_fit(values, design)), 1, sort_by="none")
        best = min(best, time.perf_counter() - start)
    return best, table["t"].to_numpy()


def time_scipy_loop(values: np.ndarray, treated: np.ndarray) -> float:
    start = time.perf_counter()
    for row in values:
        a = row[~treated]
        b = row[treated]
        stats.ttest_ind(a[~np.isnan(a)], b[~np.isnan(b)])
    return time.perf_counter() - start


def time_r(values: np.ndarray, repeats: int, workdir: Path) -> tuple[float, float, np.ndarray]:
    data = workdir / "expr.bin"
    out = workdir / "t.bin"
    script = workdir / "bench.R"
    script.write_text(R_SCRIPT)
    values.ravel(order="F").astype("<f8").tofile(data)
    n_genes, n_samples = values.shape
    command = ["Rscript", str(script), str(data), str(n_genes), str(n_samples)]
    done = subprocess.run(command + [str(repeats), str(out)], check=True, capture_output=True, text=True)
    compute = float(done.stdout.strip().splitlines()[-1])
    start = time.perf_counter()
    subprocess.run(command + ["1", str(out)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return compute, wall, np.fromfile(out, dtype="<f8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proteins", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("Rscript") is None:
        print("Rscript not found: install r-base-core and r-bioc-limma", file=sys.stderr)
        return 1
    rng = np.random.default_rng(20261126)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_samples in (24, 200):
            for missing in (0.0, 0.15):
                values = simulate(args.proteins, n_samples, missing, rng)
                treated = np.arange(n_samples) % 2 == 1
                design = np.column_stack([np.ones(n_samples), treated.astype(float)])
                ours, t_ours = time_secretome(values, design, args.repeats)
                r_compute, r_wall, t_r = time_r(values, args.repeats, Path(tmp))
                loop = time_scipy_loop(values, treated)
                finite = ~np.isnan(t_r)
                scale = np.maximum(np.abs(t_r[finite]), 1.0)
                diff = float(np.max(np.abs(t_ours[finite] - t_r[finite]) / scale))
                rows.append((n_samples, missing, ours, r_compute, r_wall, loop, diff))
                print(f"done {args.proteins} x {n_samples}, missing {missing:.0%}", file=sys.stderr)
    header = (
        "| proteins x samples | missing | secretome (s) | R limma compute (s) | Rscript wall (s) | scipy loop (s) "
        "| secretome / R compute | Rscript wall / secretome | scipy loop / secretome | max diff of t vs R (relative if abs(t) > 1) |"
    )
    print(header)
    print("|---" * 10 + "|")
    for n_samples, missing, ours, r_compute, r_wall, loop, diff in rows:
        print(
            f"| {args.proteins} x {n_samples} | {missing:.0%} | {ours:.4f} | {r_compute:.4f} | {r_wall:.2f} | "
            f"{loop:.2f} | {ours / r_compute:.2f} | {r_wall / ours:.0f} | {loop / ours:.0f} | {diff:.1e} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
