"""The vectorised hypergeometric tail equals R's phyper(lower.tail = FALSE) and agrees with scipy's."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from scipy import stats

from secretome.stats.hypergeom import hypergeom_sf


def random_cases(seed: int, n: int = 3000) -> tuple[np.ndarray, ...]:
    """Backgrounds of 20-9,000 genes, sets and hit lists of every size, overlaps around and far from expected."""
    rng = np.random.default_rng(seed)
    total = rng.integers(20, 9000, n)
    size = np.minimum(total, (rng.random(n) * total * 0.3).astype(int) + 1)
    draws = np.minimum(total, (rng.random(n) * total * 0.2).astype(int) + 1)
    expected = size * draws / total
    overlap = (expected + rng.normal(0, 3, n) * np.sqrt(expected + 1)).astype(int)
    return np.clip(overlap, 1, np.minimum(size, draws)), total, size, draws


def test_equals_scipy_to_rounding():
    overlap, total, size, draws = random_cases(0)
    np.testing.assert_allclose(hypergeom_sf(overlap, total, size, draws),
                               stats.hypergeom.sf(overlap - 1, total, size, draws), rtol=1e-12, atol=1e-300)


def test_edges_of_the_support():
    # no overlap needed: certain; more overlap than the set or the draws allow: impossible
    np.testing.assert_array_equal(hypergeom_sf(np.array([0, 6, 11]), 100, np.array([5, 5, 50]), 10), [1, 0, 0])
    # the smallest overlap forced by the sizes (95 of 100 drawn, 10 in the set: at least 5 drawn) is certain
    assert hypergeom_sf(5, 100, 10, 95) == 1.0
    assert hypergeom_sf(10, 100, 10, 100) == 1.0  # every gene drawn
    np.testing.assert_allclose(hypergeom_sf(10, 100, 10, 95), stats.hypergeom.sf(9, 100, 10, 95), rtol=1e-13)
    # far in the tail: tiny, not zero (R and scipy agree)
    np.testing.assert_allclose(hypergeom_sf(60, 8000, 60, 400), stats.hypergeom.sf(59, 8000, 60, 400), rtol=1e-11)
    assert hypergeom_sf(np.array([], dtype=int), 10, np.array([], dtype=int), 3).shape == (0,)


def test_equals_r_phyper(tmp_path):
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("needs Rscript (r-base-core)")
    overlap, total, size, draws = random_cases(1, 2000)
    arguments = tmp_path / "arguments.tsv"
    np.savetxt(arguments, np.c_[overlap - 1, size, total - size, draws], fmt="%d", delimiter="\t")
    script = ('a <- as.matrix(read.delim(commandArgs(TRUE)[1], header = FALSE)); '
              'writeLines(sprintf("%.17g", phyper(a[, 1], a[, 2], a[, 3], a[, 4], lower.tail = FALSE)))')
    output = subprocess.run([rscript, "-e", script, str(arguments)], capture_output=True, text=True, check=True).stdout
    expected = np.array(output.split(), dtype=float)
    mine = hypergeom_sf(overlap, total, size, draws)
    np.testing.assert_allclose(mine, expected, rtol=1e-13, atol=1e-300)
    assert (mine == expected).mean() > 0.8  # most are the same double
