"""Standard curves: 4PL and 5PL logistic fits on the log-concentration scale, and their inverses.

The parametrisation is R's ``SSfpl`` (so a 4PL fit can be checked against ``nls``), extended by an
asymmetry exponent ``g`` for the 5PL (Gottschalk & Dunn, Anal Biochem 2005;343:54-65)::

    4PL: y = A + (B - A) / (1 + exp((xmid - log(x)) / scal))
    5PL: y = A + (B - A) / (1 + exp((xmid - log(x)) / scal)) ** g

``A`` is the response at zero concentration, ``B`` at infinite concentration, ``xmid`` the log
concentration of the 4PL midpoint and ``scal`` the slope scale. Weighted least squares (weights none,
``1/y`` or ``1/y^2`` from the observed responses, as ``nls(weights=)``) by ``scipy.optimize.least_squares``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import least_squares

MODELS = ("4pl", "5pl")
WEIGHTS = ("none", "1/y", "1/y^2")

#: 5PL asymmetry bounds: beyond them the curve is a step and its inverse is numerically meaningless.
G_BOUNDS = (0.05, 20.0)


@dataclass
class CurveFit:
    """A fitted standard curve: parameters, goodness of fit and the standards it was fitted to."""

    model: str
    weights: str
    params: dict[str, float]
    log_x: np.ndarray
    y: np.ndarray
    residuals: np.ndarray  # y - fitted, unweighted
    r_squared: float
    converged: bool
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, concentration: np.ndarray | float) -> np.ndarray:
        """Response at ``concentration`` (linear scale)."""
        with np.errstate(divide="ignore"):
            return logistic(np.log(np.asarray(concentration, dtype=float)), self.params)

    def inverse(self, response: np.ndarray | float) -> np.ndarray:
        """Concentration (linear scale) giving ``response``; NaN outside the curve's asymptotes."""
        return inverse(np.asarray(response, dtype=float), self.params)

    @property
    def bottom(self) -> float:
        return min(self.params["A"], self.params["B"])

    @property
    def top(self) -> float:
        return max(self.params["A"], self.params["B"])


def logistic(log_x: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """The 4PL/5PL response at log concentration ``log_x`` (``g`` absent = 4PL)."""
    a, b, xmid, scal = params["A"], params["B"], params["xmid"], params["scal"]
    g = params.get("g", 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        return a + (b - a) / (1.0 + np.exp((xmid - log_x) / scal)) ** g


def inverse(response: np.ndarray, params: dict[str, float]) -> np.ndarray:
    """Linear concentration at ``response``; NaN where the response is not strictly between the asymptotes."""
    a, b, xmid, scal = params["A"], params["B"], params["xmid"], params["scal"]
    g = params.get("g", 1.0)
    response = np.asarray(response, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = (b - a) / (response - a)
        inside = ratio > 1.0
        t = np.where(inside, ratio, np.nan) ** (1.0 / g) - 1.0
        log_x = xmid - scal * np.log(t)
        return np.where(inside & (t > 0), np.exp(log_x), np.nan)


def weight_vector(y: np.ndarray, weights: str, floor: float | None = None) -> np.ndarray:
    """Least-squares weights from the observed responses: 1, ``1/max(|y|, floor)`` or its square.

    ``floor`` defaults to ``assays.toml`` [weights]: min(floor_signal, floor_share x max |y|)."""
    if weights == "none":
        return np.ones_like(y)
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, not {weights!r}")
    if floor is None:
        from secretome.assays.config import rule

        largest = float(np.nanmax(np.abs(y))) if np.isfinite(y).any() else 1.0
        floor = min(rule("weights", "floor_signal"), rule("weights", "floor_share") * largest)
    floor = max(floor, 1e-12)
    positive = np.maximum(np.abs(y), floor)
    return 1.0 / positive if weights == "1/y" else 1.0 / positive**2


def _start_4pl(log_x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Self-starting values like ``SSfpl``: asymptotes beyond the observed range, then a logit regression."""
    order = np.argsort(log_x)
    lx, yy = log_x[order], y[order]
    span = np.ptp(yy) or 1.0
    increasing = np.corrcoef(lx, yy)[0, 1] >= 0 if np.ptp(lx) > 0 else True
    low, high = yy.min() - 0.05 * span, yy.max() + 0.05 * span
    a, b = (low, high) if increasing else (high, low)
    z = np.clip((yy - a) / (b - a), 1e-6, 1 - 1e-6)
    logit = np.log(z / (1 - z))  # = (log_x - xmid) / scal
    slope, intercept = np.polyfit(lx, logit, 1)
    if not np.isfinite(slope) or abs(slope) < 1e-8:
        slope = 1.0 / (np.ptp(lx) or 1.0)
    scal = 1.0 / slope
    xmid = -intercept * scal
    if scal < 0:  # keep scal > 0 and let A/B carry the direction, as SSfpl does
        a, b, scal = b, a, -scal
    return np.array([a, b, xmid, scal])


def fit_curve(
    concentration: np.ndarray,
    response: np.ndarray,
    *,
    model: str = "5pl",
    weights: str = "none",
    weight_floor: float | None = None,
) -> CurveFit:
    """Fit a 4PL or 5PL to standards (linear concentrations, responses) on the log-concentration scale.

    A standard at concentration 0 enters as the response at zero dose (the curve's lower-dose asymptote),
    as SoftMax Pro fits its zero standard; callers decide whether zero standards are fitted or are blanks.

    ``weight_floor`` overrides the response floor of ``1/y`` weights (see :func:`weight_vector`; 0 = none,
    as R's ``nls(weights = 1/y^2)``). Raises ``ValueError`` when there are fewer distinct concentrations than parameters (the caller turns
    that into a curve flag naming the analyte and plate).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    x = np.asarray(concentration, dtype=float)
    y = np.asarray(response, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x >= 0)
    x, y = x[keep], y[keep]
    n_params = 4 if model == "4pl" else 5
    if np.unique(x).size < n_params or not (x > 0).any():
        raise ValueError(f"{np.unique(x).size} distinct standard concentrations; a {model.upper()} needs at least {n_params}")
    with np.errstate(divide="ignore"):
        log_x = np.log(x)  # a zero standard sits at log x = -inf, where the curve is its zero-dose asymptote
    sqrt_w = np.sqrt(weight_vector(y, weights, weight_floor))
    scale = np.ptp(y) or 1.0
    factor = sqrt_w / scale

    def residual(p: np.ndarray) -> np.ndarray:
        g = p[4] if p.size == 5 else 1.0
        return (logistic(log_x, {"A": p[0], "B": p[1], "xmid": p[2], "scal": p[3], "g": g}) - y) * factor

    def jacobian(p: np.ndarray) -> np.ndarray:
        a, b, xmid, scal = p[:4]
        g = p[4] if p.size == 5 else 1.0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            z = (xmid - log_x) / scal
            e = np.exp(z)
            u = 1.0 + e
            ug = u**-g
            common = (b - a) * (-g) * u ** (-g - 1) * e / scal
            columns = [1.0 - ug, ug, common, -common * z]
            if p.size == 5:
                columns.append(-(b - a) * ug * np.log(u))
        return np.nan_to_num(np.column_stack(columns)) * factor[:, None]

    tolerances = {"xtol": 1e-14, "ftol": 1e-14, "gtol": 1e-14, "max_nfev": 2000}
    positive = x > 0
    start = _start_4pl(log_x[positive], y[positive])
    four = least_squares(residual, start, jac=jacobian, method="lm", **tolerances)
    if weights != "none":  # heavy weights can trap the fit far from the data: also start from the unweighted fit
        unit = np.ones_like(factor) / scale

        def unweighted(p: np.ndarray) -> np.ndarray:
            return residual(p) / factor * unit

        def unweighted_jacobian(p: np.ndarray) -> np.ndarray:
            return jacobian(p) / factor[:, None] * unit[:, None]

        plain = least_squares(unweighted, start, jac=unweighted_jacobian, method="lm", **tolerances)
        second = least_squares(residual, plain.x, jac=jacobian, method="lm", **tolerances)
        if second.cost < four.cost * (1 - 1e-9):
            four = second
    p = four.x
    converged, message = bool(four.success), str(four.message)
    if model == "5pl":
        # Unbounded Levenberg-Marquardt on h = log(g) (fast); a bounded trust-region fit only when g leaves G_BOUNDS.
        def residual_h(q: np.ndarray) -> np.ndarray:
            return residual(np.append(q[:4], np.exp(np.clip(q[4], -50, 50))))

        def jacobian_h(q: np.ndarray) -> np.ndarray:
            jac = jacobian(np.append(q[:4], np.exp(np.clip(q[4], -50, 50))))
            jac[:, 4] *= np.exp(np.clip(q[4], -50, 50))
            return jac

        best = None
        for g0 in (1.0, 0.5, 2.0):
            x0 = np.append(p, np.log(g0))
            if g0 != 1.0:  # re-centre xmid so the curve's midpoint stays where the 4PL put it
                x0[2] = p[2] + p[3] * np.log(2 ** (1 / g0) - 1)
            attempt = least_squares(residual_h, x0, jac=jacobian_h, method="lm", **tolerances)
            inside = G_BOUNDS[0] <= np.exp(attempt.x[4]) <= G_BOUNDS[1]
            if inside and (best is None or attempt.cost < best.cost * (1 - 1e-9)):
                best = attempt
            if best is not None and best.success and g0 == 1.0:
                break  # converged from the 4PL start: the other starts are insurance for hard curves
        if best is not None:
            p = np.append(best.x[:4], np.exp(best.x[4]))
        else:
            lower = [-np.inf, -np.inf, -np.inf, -np.inf, G_BOUNDS[0]]
            upper = [np.inf, np.inf, np.inf, np.inf, G_BOUNDS[1]]
            best = least_squares(residual, np.append(p, 1.0), jac=jacobian, method="trf", bounds=(lower, upper), **tolerances)
            p = best.x
        converged, message = bool(best.success), str(best.message)
    names = ["A", "B", "xmid", "scal", "g"][:n_params]
    params = {name: float(value) for name, value in zip(names, p)}
    fitted = logistic(log_x, params)
    residuals = y - fitted
    total = float(np.sum((y - y.mean()) ** 2))
    r_squared = 1.0 - float(np.sum(residuals**2)) / total if total > 0 else float("nan")
    return CurveFit(model, weights, params, log_x, y, residuals, r_squared, converged, message)


def vendor_5pl_params(a: float, b: float, c: float, d: float, f: float) -> dict[str, float]:
    """xPONENT/Bio-Plex 5PL coefficients (y = A + (B - A) / (1 + (x/C)^D)^F) in this module's form."""
    # (x/C)^D = exp(D (log x - log C)) = exp((xmid - log x) / scal) with xmid = log C, scal = -1/D.
    return {"A": a, "B": b, "xmid": float(np.log(c)), "scal": float(-1.0 / d), "g": f}
