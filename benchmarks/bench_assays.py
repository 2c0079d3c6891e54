"""Standard-curve fitting speed: 100 analytes x 40 plates of simulated 5PL standards (8 levels in
duplicate), fitted as 5PL and 4PL with 1/y^2 weights by ``secretome.assays.curves.fit_curve``; prints the
time per curve and checks that the known parameters are recovered.

    PYTHONPATH=src python benchmarks/bench_assays.py [--analytes 100] [--plates 40]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from secretome.assays.curves import fit_curve, logistic


def simulate(n_analytes: int, n_plates: int, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    rng = np.random.default_rng(seed)
    x = np.repeat(10000 / 2.5 ** np.arange(8), 2)
    curves = []
    for _ in range(n_analytes * n_plates):
        truth = {"A": rng.uniform(5, 50), "B": rng.uniform(5e3, 3e4), "xmid": np.log(rng.uniform(100, 2000)),
                 "scal": rng.uniform(0.6, 1.4), "g": rng.uniform(0.5, 1.5)}
        y = logistic(np.log(x), truth) * (1 + rng.normal(0, 0.03, x.size))
        curves.append((x, y, truth))
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--analytes", type=int, default=100)
    parser.add_argument("--plates", type=int, default=40)
    args = parser.parse_args()
    curves = simulate(args.analytes, args.plates)
    for model in ("5pl", "4pl"):
        start = time.perf_counter()
        fits = [fit_curve(x, y, model=model, weights="1/y^2") for x, y, _ in curves]
        elapsed = time.perf_counter() - start
        errors = [abs(np.log(f.inverse(np.array([logistic(np.log(500.0), t)]))[0] / 500.0)) for f, (_, _, t) in zip(fits, curves)]
        converged = sum(f.converged for f in fits)
        print(f"{model}: {len(curves)} curves ({args.analytes} analytes x {args.plates} plates) in {elapsed:.2f} s = "
              f"{1000 * elapsed / len(curves):.2f} ms per curve; converged {converged}/{len(curves)}; "
              f"median |log error| of the back-calculated 500 pg/mL {np.nanmedian(errors):.4f}")


if __name__ == "__main__":
    main()
