"""The hypergeometric upper tail of R's ``phyper``, vectorised over arrays of sets.

Over-representation tests evaluate one tail per gene set (about 10,000 at a time); ``scipy.stats.hypergeom.sf``
sums each tail in a per-element loop (about 0.5 s for 10,000 sets, plus importing ``scipy.stats``). This module
ports R 4.2's algorithm (``nmath/phyper.c``, ``dhyper.c``, ``dbinom.c``, ``stirlerr.c``, ``bd0.c``) step by step
onto arrays: the point probability from Loader's saddle-point expansion (``dbinom_raw``), times the sum of the
ratio series of the shorter tail (``pdhyper``, in extended precision as R's ``LDOUBLE``). It agrees with R's
``phyper(lower.tail = FALSE)`` to a few units in the last place (the tests compare with R) and with scipy's to
about 1e-13 relative.

Reference: C. Loader (2000), Fast and accurate computation of binomial probabilities.
"""

from __future__ import annotations

import numpy as np

_STIRLING_ERRORS = np.array([
    0.0, 0.0810614667953272582196702, 0.0413406959554092940938221, 0.02767792568499833914878929,
    0.02079067210376509311152277, 0.01664469118982119216319487, 0.01387612882307074799874573,
    0.01189670994589177009505572, 0.010411265261972096497478567, 0.009255462182712732917728637,
    0.008330563433362871256469318, 0.007573675487951840794972024, 0.006942840107209529865664152,
    0.006408994188004207068439631, 0.005951370112758847735624416, 0.005554733551962801371038690,
])
"""R's ``sferr_halves`` at the integers 0..15: log(n!) - log(sqrt(2 pi n) (n/e)^n), exact to double precision."""

_LN_2PI = 1.837877066409345483560659472811
_S0, _S1, _S2, _S3, _S4 = (0.083333333333333333333, 0.00277777777777777777778, 0.00079365079365079365079365,
                           0.000595238095238095238095238, 0.0008417508417508417508417508)


def _stirlerr(n: np.ndarray) -> np.ndarray:
    """R's ``stirlerr`` (the error of Stirling's formula for log n!) at whole numbers n >= 0."""
    nn = n * n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(n > 500, (_S0 - _S1 / nn) / n,
                       np.where(n > 80, (_S0 - (_S1 - _S2 / nn) / nn) / n,
                                np.where(n > 35, (_S0 - (_S1 - (_S2 - _S3 / nn) / nn) / nn) / n,
                                         (_S0 - (_S1 - (_S2 - (_S3 - _S4 / nn) / nn) / nn) / nn) / n)))
    small = n <= 15
    out[small] = _STIRLING_ERRORS[n[small].astype(np.int64)]
    return out


def _bd0(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """R's ``bd0``: x log(x/m) + m - x, by its Taylor series where x is close to m (no cancellation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(x / m) + m - x
        v = (x - m) / (x + m)
    near = np.abs(x - m) < 0.1 * (x + m)
    s = (x - m) * v
    ej = 2 * x * v
    v2 = v * v
    active = np.flatnonzero(near & ~(np.abs(s) < np.finfo(float).tiny))
    for j in range(1, 1000):  # R's limit; |v| < 0.1 converges in a few dozen terms
        if active.size == 0:
            break
        ej[active] *= v2[active]
        before = s[active]
        after = before + ej[active] / (2 * j + 1)
        s[active] = after
        active = active[after != before]
    out[near] = s[near]
    return out


def _dbinom_raw(x: np.ndarray, n: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """R's ``dbinom_raw(x, n, p, q, give_log = FALSE)``: the binomial probability by the saddle-point expansion."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inner = np.exp(_stirlerr(n) - _stirlerr(x) - _stirlerr(n - x) - _bd0(x, n * p) - _bd0(n - x, n * q)
                       - 0.5 * (_LN_2PI + np.log(x) + np.log1p(-x / n)))
        at_zero = np.exp(np.where(p < 0.1, -_bd0(n, n * q) - n * p, n * np.log(q)))
        at_n = np.exp(np.where(q < 0.1, -_bd0(n, n * p) - n * q, n * np.log(p)))
    out = np.where((x < 0) | (x > n), 0.0, inner)
    out = np.where(x == n, at_n, out)
    out = np.where(x == 0, np.where(n == 0, 1.0, at_zero), out)
    out = np.where(q == 0, (x == n).astype(float), out)
    return np.where(p == 0, (x == 0).astype(float), out)


def _dhyper(x: np.ndarray, r: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """R's ``dhyper(x, r, b, n)``: P(X = x) drawing n of r red and b black balls, x red."""
    p = n / (r + b)
    q = (r + b - n) / (r + b)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = _dbinom_raw(x, r, p, q) * _dbinom_raw(n - x, b, p, q) / _dbinom_raw(n, r + b, p, q)
    out = np.where((n < x) | (r < x) | (n - x > b), 0.0, d)
    return np.where(n == 0, (x == 0).astype(float), out)


def _pdhyper(x: np.ndarray, r: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """R's ``pdhyper``: P(X <= x) / P(X = x), the ratio series summed downwards from x until its terms vanish."""
    total = np.zeros(x.shape, dtype=np.longdouble)
    term = np.ones(x.shape, dtype=np.longdouble)
    x = x.copy()
    eps = np.finfo(float).eps
    active = np.flatnonzero(x > 0)
    while active.size:
        xa = x[active]
        term[active] *= xa * (b[active] - n[active] + xa) / (n[active] + 1 - xa) / (r[active] + 1 - xa)
        total[active] += term[active]
        x[active] = xa - 1
        active = active[(x[active] > 0) & (term[active] >= eps * total[active])]
    return 1.0 + total.astype(float)


def hypergeom_sf(overlap: np.ndarray, total: np.ndarray | int, size: np.ndarray, draws: np.ndarray | int) -> np.ndarray:
    """``P(X >= overlap)`` for ``X ~ Hypergeom(total, size, draws)`` (``draws`` of ``total`` genes, ``size`` in
    the set): R's ``phyper(overlap - 1, size, total - size, draws, lower.tail = FALSE)``, element by element."""
    x = np.floor(np.asarray(overlap, dtype=float) - 1.0 + 1e-7)
    total = np.asarray(total, dtype=float)
    red, n = np.asarray(size, dtype=float), np.asarray(draws, dtype=float)
    x, red, black, n = np.broadcast_arrays(x, red, total - red, n)
    shape = x.shape
    x, red, black, n = (np.ravel(value) for value in (x, red, black, n))
    swap = x * (red + black) > n * red  # R sums the shorter tail: the lower one of the other colour
    lower = swap  # whether the value computed below is a lower tail
    red, black = np.where(swap, black, red), np.where(swap, red, black)
    x = np.where(swap, n - x - 1, x)
    tail_zero, tail_one = np.where(lower, 0.0, 1.0), np.where(lower, 1.0, 0.0)  # R_DT_0, R_DT_1
    below = (x < 0) | (x < n - black)
    above = ~below & ((x >= red) | (x >= n))
    out = np.where(below, tail_zero, tail_one)
    inside = np.flatnonzero(~below & ~above)
    if inside.size:
        xi, ri, bi, ni = x[inside], red[inside], black[inside], n[inside]
        d = _dhyper(xi, ri, bi, ni)
        lower_value = d * _pdhyper(xi, ri, bi, ni)
        value = np.where(lower[inside], lower_value, 0.5 - lower_value + 0.5)
        out[inside] = np.where(d == 0, tail_zero[inside], value)
    return out.reshape(shape)
