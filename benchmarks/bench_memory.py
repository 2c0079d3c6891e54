"""Peak memory of ``info``, ``read``, ``profile`` and ``compare`` at 20,000 proteins x 2,000 samples.

A generic wide TSV (accession, gene, then one linear intensity per sample, 20% missing) and a sample
sheet (two lots) are written to a temporary directory; each command then runs in its own child process,
whose peak RSS (``VmHWM``, reset at exec, so the benchmark's own memory does not count) and wall time
and CPU time (user + system: the figure to trust on a shared machine) are printed beside the dense float64 matrix (20,000 x 2,000 x 8 bytes = 305 MiB) and the goals:

- ``info`` under 300 MB (issue 9: it does not need the quantity matrix; a large generic table is
  summarised in row chunks, :mod:`secretome.io.streamed`);
- ``read`` (to ``.h5ad``) near the dense matrix (issue 9m: no fixed goal; the ratio is printed);
- ``profile`` under 2x the dense matrix (issue 9) at 20,000 x 2,000, and under 2.5x and 10 s of CPU at 20,000
  proteins x 1,000 samples (issue 14's "1,000 x 20,000": ``--proteins 20000 --samples 1000``);
- ``compare`` has no goal and is recorded.

Each goal is printed as ``met`` or ``not met``.

Run: ``python benchmarks/bench_memory.py [--proteins 20000] [--samples 2000] [--commands info,read,profile,compare]``
(the full size writes a ~320 MB table and needs several GB of memory for ``profile``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = """
import atexit, sys
def report():
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    sys.stderr.write(f"\\nVmHWM_KB={peak}\\n")
atexit.register(report)
sys.argv = ["secretome", *sys.argv[1:]]
from secretome.cli import main
main()
"""


def write_inputs(directory: Path, n_proteins: int, n_samples: int) -> tuple[Path, Path]:
    """The wide table and its sample sheet, written in blocks of proteins to bound this process's memory."""
    rng = np.random.default_rng(9)
    samples = [f"S{j + 1:04d}" for j in range(n_samples)]
    table = directory / "wide.tsv"
    with open(table, "w", encoding="utf-8") as handle:
        handle.write("\t".join(["Protein", "Gene", *samples]) + "\n")
        for start in range(0, n_proteins, 1000):
            n = min(1000, n_proteins - start)
            values = np.round(rng.lognormal(20.0, 2.0, size=(n, n_samples)), 1)
            values[rng.random(values.shape) < 0.2] = np.nan
            block = pd.DataFrame(values, columns=samples)
            block.insert(0, "Gene", [f"GENE{i}" for i in range(start, start + n)])
            block.insert(0, "Protein", [f"P{i:05d}" for i in range(start, start + n)])
            block.to_csv(handle, sep="\t", index=False, header=False, na_rep="", lineterminator="\n")
    sheet = directory / "samples.tsv"
    pd.DataFrame({"sample": samples, "lot": ["L1" if j % 2 else "L2" for j in range(n_samples)]}).to_csv(
        sheet, sep="\t", index=False
    )
    return table, sheet


def measure(args: list[str]) -> tuple[float, float, float, int, str]:
    """(peak RSS in MiB, wall seconds, CPU seconds, exit code, last stderr line) of ``secretome ARGS`` in a child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = run.stderr.strip().splitlines()
    peak = next((int(line.split("=")[1]) for line in reversed(lines) if line.startswith("VmHWM_KB=")), 0)
    message = next((line for line in lines if line.startswith("error:")), "")
    return peak / 1024, seconds, cpu, run.returncode, message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proteins", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=2_000)
    parser.add_argument("--commands", default="info,read,profile,compare")
    options = parser.parse_args()
    dense_mb = options.proteins * options.samples * 8 / 2**20
    wide = options.samples < options.proteins / 10  # issue 14's 1,000 samples x 20,000 proteins
    goals = {"info": ("< 300 MB", 300e6 / 2**20, None),
             "profile": ("< 2.5x dense, < 10 s CPU", 2.5 * dense_mb, 10.0) if wide else ("< 2x dense", 2 * dense_mb, None),
             "read": ("none (near the dense matrix)", None, None)}
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder)
        table, sheet = write_inputs(directory, options.proteins, options.samples)
        print(f"{options.proteins} proteins x {options.samples} samples; table {table.stat().st_size / 2**20:.0f} MiB; "
              f"dense float64 matrix {dense_mb:.0f} MiB; load average {os.getloadavg()[0]:.1f}")
        commands = {
            "info": ["info", str(table)],
            "read": ["read", str(table), "--samples", str(sheet), "--out", str(directory / "data.h5ad")],
            "profile": ["profile", str(table), "--samples", str(sheet), "--group", "lot", "--out", str(directory / "profile")],
            "compare": ["compare", str(table), "--samples", str(sheet), "--design", "~ lot", "--contrast", "L1-L2",
                        "--out", str(directory / "compare")],
        }
        print(f"{'command':<10}{'peak RSS (MiB)':>15}{'/ dense':>9}{'wall (s)':>10}{'CPU (s)':>9}  goal")
        for name in options.commands.split(","):
            peak, seconds, cpu, code, message = measure(commands[name])
            label, limit, cpu_limit = goals.get(name, ("none", None, None))
            met = (limit is None or peak < limit) and (cpu_limit is None or cpu < cpu_limit)
            verdict = label if limit is None else f"{label}: " + ("met" if met else "not met")
            failed = f"  (exit {code}: {message})" if code else ""
            print(f"{name:<10}{peak:>15.0f}{peak / dense_mb:>8.2f}x{seconds:>10.1f}{cpu:>9.1f}  {verdict}{failed}", flush=True)


if __name__ == "__main__":
    main()
