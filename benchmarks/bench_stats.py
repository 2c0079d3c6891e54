"""Time secretome's preprocessing and classic tests on simulated data (8,000 proteins x 24 / 200 samples).

Run: ``PYTHONPATH=src python benchmarks/bench_stats.py [--proteins 8000] [--samples 24 200] [--missing 0 0.15]``.
Prints one line per step and size: seconds of wall time (best of ``--repeat`` runs), then the ratio of
a plain per-protein scipy t-test loop (the baseline issue 5 names, timed in the same run) to the
vectorized Welch t-test. The moderated (limma) fit is timed against R by the limma benchmark.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import stats

from secretome.stats import classic
from secretome.stats import preprocess as pp


def simulate(n_proteins: int, n_samples: int, missing: float, seed: int = 0) -> AnnData:
    rng = np.random.default_rng(seed)
    log2 = rng.normal(24, 2, n_proteins)[None, :] + rng.normal(0, 0.3, (n_samples, n_proteins))
    # intensity-dependent missingness, as in label-free data
    chance = missing * 2 / (1 + np.exp((log2 - 22) * 1.5))
    log2[rng.random(log2.shape) < chance] = np.nan
    names = [f"S{i + 1}" for i in range(n_samples)]
    groups = np.array(["A", "B", "C"])[np.arange(n_samples) % 3]
    obs = pd.DataFrame({"sample": names, "condition": groups}, index=names)
    var = pd.DataFrame({"gene": [f"G{j}" for j in range(n_proteins)]}, index=[f"P{j}" for j in range(n_proteins)])
    adata = AnnData(X=np.exp2(log2), obs=obs, var=var)
    adata.uns["source"] = {"is_log2": False}
    return adata


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def scipy_loop(adata: AnnData) -> None:
    values = adata.layers["log2"]
    a, b = (adata.obs["condition"] == "A").to_numpy(), (adata.obs["condition"] == "B").to_numpy()
    for j in range(values.shape[1]):
        x, y = values[a, j], values[b, j]
        stats.ttest_ind(x[np.isfinite(x)], y[np.isfinite(y)], equal_var=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proteins", type=int, default=8000)
    parser.add_argument("--samples", type=int, nargs="+", default=[24, 200])
    parser.add_argument("--missing", type=float, nargs="+", default=[0.0, 0.15])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print("step\tproteins\tsamples\tmissing\tseconds")
    for n_samples in args.samples:
        for missing in args.missing:
            adata = pp.filter_valid(simulate(args.proteins, n_samples, missing), min_valid=2)
            pp.log2_transform(adata)
            steps: dict[str, Callable[[], object]] = {
                "normalize median": lambda: pp.normalize(adata, "median"),
                "normalize quantile": lambda: pp.normalize(adata, "quantile"),
                "normalize vsn": lambda: pp.normalize(adata, "vsn"),
                "impute perseus": lambda: pp.impute(adata, "perseus", layer="log2"),
                "impute minprob": lambda: pp.impute(adata, "minprob", layer="log2"),
                "impute knn": lambda: pp.impute(adata, "knn", layer="log2"),
                "welch_t": lambda: classic.welch_t(adata, "condition", "B", "A", layer="log2"),
                "anova + tukey": lambda: classic.anova_oneway(adata, "condition", layer="log2"),
                "scipy ttest_ind loop": lambda: scipy_loop(adata),
            }
            seconds: dict[str, float] = {}
            for name, fn in steps.items():
                seconds[name] = best(fn, args.repeat)
                print(f"{name}\t{adata.n_vars}\t{n_samples}\t{missing:g}\t{seconds[name]:.3f}", flush=True)
            # Issue 5's reference for the simple tests: a per-protein Python t-test loop, timed in this run.
            ratio = seconds["scipy ttest_ind loop"] / max(seconds["welch_t"], 1e-9)
            print(f"ratio scipy loop / welch_t\t{adata.n_vars}\t{n_samples}\t{missing:g}\t{ratio:.0f}x", flush=True)


if __name__ == "__main__":
    main()
