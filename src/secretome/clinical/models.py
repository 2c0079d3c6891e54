"""Longitudinal and time-to-event models, written to match R's ``lme4`` and ``survival``.

:func:`fit_mixed_model` fits ``value ~ visit * treatment + (1 | patient) + (1 | patient:eye)`` by REML
(the model ``lmer(value ~ visit * treatment + (1 | patient/eye), REML = TRUE)`` fits), profiling the
residual variance out and optimising the two relative standard deviations as lme4 does; fixed effects,
their standard errors and the variance components match lme4 (tests compare them with committed R
results). :func:`kaplan_meier` and :func:`fit_cox` (Efron ties, via statsmodels ``PHReg``) match
``survival::survfit`` and ``survival::coxph``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from secretome.errors import SecretomeInputError


@dataclass
class MixedModelResult:
    """Fixed effects (estimate, SE, Wald z, p, 95% CI), variance components and the REML criterion."""

    fixed: pd.DataFrame
    variance: dict[str, float]
    reml_criterion: float
    n_observations: int
    n_patients: int
    n_eyes: int
    formula: str
    notes: list[str] = field(default_factory=list)


def _design(data: pd.DataFrame, visits: Sequence[str], treatments: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Treatment-coded design of visit * treatment in R's column order and names (``visitV:treatmentT``, visit fastest)."""
    columns = [np.ones(len(data))]
    names = ["(Intercept)"]
    visit_dummies = [(data["visit"] == v).to_numpy(float) for v in visits[1:]]
    treat_dummies = [(data["treatment"] == t).to_numpy(float) for t in treatments[1:]]
    columns += visit_dummies
    names += [f"visit{v}" for v in visits[1:]]
    columns += treat_dummies
    names += [f"treatment{t}" for t in treatments[1:]]
    for t, td in zip(treatments[1:], treat_dummies):
        for v, vd in zip(visits[1:], visit_dummies):
            columns.append(vd * td)
            names.append(f"visit{v}:treatment{t}")
    return np.column_stack(columns), names


def fit_mixed_model(
    data: pd.DataFrame,
    *,
    visits: Sequence[str] | None = None,
    treatments: Sequence[str] | None = None,
    eye_effect: bool | None = None,
) -> MixedModelResult:
    """REML fit of value ~ visit * treatment with random intercepts for patient and eye within patient.

    ``data`` has columns patient, eye, visit, treatment, value (one row per observation). ``visits`` and
    ``treatments`` give level order (first = reference: baseline visit, control arm); default: order of
    appearance. ``eye_effect`` None adds the eye-within-patient term when any patient has two eyes.
    """
    required = {"patient", "eye", "visit", "treatment", "value"}
    missing = required - set(data.columns)
    if missing:
        raise SecretomeInputError(f"model data lack column(s) {', '.join(sorted(missing))}", expected=", ".join(sorted(required)))
    data = data.dropna(subset=["value"]).reset_index(drop=True)
    visits = list(dict.fromkeys(data["visit"])) if visits is None else [v for v in visits if v in set(data["visit"])]
    treatments = list(dict.fromkeys(data["treatment"])) if treatments is None else [t for t in treatments if t in set(data["treatment"])]
    if len(visits) < 2 or len(treatments) < 1:
        raise SecretomeInputError("the model needs at least two visits with values", expected="a baseline and a follow-up visit")
    X, names = _design(data, visits, treatments)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SecretomeInputError("visit x treatment is not estimable (some visit-treatment cells are empty)",
                                  expected="every arm observed at every visit")
    y = data["value"].to_numpy(float)
    eye_key = data["patient"].astype(str) + "\x1f" + data["eye"].astype(str)
    if eye_effect is None:
        eye_effect = bool((data.groupby("patient")["eye"].nunique() > 1).any())
    # patients with the same block shape (observations per eye, in order) share V: stack them for batched algebra
    shapes: dict[bytes, list[np.ndarray]] = {}
    for _, index in data.groupby("patient", sort=False).indices.items():
        eyes = pd.factorize(eye_key.iloc[index])[0]
        same_eye = (eyes[:, None] == eyes[None, :]).astype(float)
        shapes.setdefault(same_eye.tobytes(), []).append(index)
    blocks = []
    for indices in shapes.values():
        stacked = np.stack(indices)
        eyes = pd.factorize(eye_key.iloc[stacked[0]])[0]
        same_eye = (eyes[:, None] == eyes[None, :]).astype(float)
        blocks.append((X[stacked], y[stacked][..., None], same_eye))
    n, p = X.shape

    def pieces(theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
        logdet = 0.0
        xtx = np.zeros((p, p))
        xty = np.zeros(p)
        yty = 0.0
        for xs, ys, same_eye in blocks:
            m = same_eye.shape[0]
            v = np.eye(m) + theta[0] ** 2 * np.ones((m, m)) + (theta[1] ** 2 * same_eye if eye_effect else 0.0)
            chol = np.linalg.cholesky(v)
            logdet += len(xs) * 2.0 * np.log(np.diag(chol)).sum()
            inverse = np.linalg.inv(chol)
            xi = inverse @ xs
            yi = inverse @ ys
            xtx += np.einsum("kij,kil->jl", xi, xi)
            xty += np.einsum("kij,ki->j", xi, yi[..., 0])
            yty += float((yi ** 2).sum())
        return logdet, xtx, xty, yty

    def criterion(theta: np.ndarray) -> float:
        logdet, xtx, xty, yty = pieces(theta)
        chol_x = np.linalg.cholesky(xtx)
        beta = np.linalg.solve(xtx, xty)
        rss = yty - beta @ xty
        dof = n - p
        return logdet + 2.0 * np.log(np.diag(chol_x)).sum() + dof * (1.0 + np.log(2.0 * np.pi * rss / dof))

    start = np.array([1.0, 1.0 if eye_effect else 0.0])
    bounds = [(0.0, None), (0.0, None) if eye_effect else (0.0, 0.0)]
    options = {"ftol": 1e-15, "gtol": 1e-11, "maxiter": 2000}
    fit = optimize.minimize(criterion, start, method="L-BFGS-B", bounds=bounds, options=options)
    # a restart from the optimum refreshes L-BFGS-B's curvature memory and tightens theta
    refit = optimize.minimize(criterion, fit.x, method="L-BFGS-B", bounds=bounds, options=options)
    theta = np.array(refit.x if refit.fun <= fit.fun else fit.x, float)
    if not eye_effect:
        theta[1] = 0.0
    logdet, xtx, xty, yty = pieces(theta)
    beta = np.linalg.solve(xtx, xty)
    sigma2 = (yty - beta @ xty) / (n - p)
    cov = sigma2 * np.linalg.inv(xtx)
    se = np.sqrt(np.diag(cov))
    z = beta / se
    fixed = pd.DataFrame({
        "term": names, "estimate": beta, "se": se, "z": z, "p_value": 2.0 * stats.norm.sf(np.abs(z)),
        "ci_low": beta - stats.norm.ppf(0.975) * se, "ci_high": beta + stats.norm.ppf(0.975) * se,
    })
    variance = {"patient": float(theta[0] ** 2 * sigma2), "residual": float(sigma2)}
    if eye_effect:
        variance["eye:patient"] = float(theta[1] ** 2 * sigma2)
    formula = "value ~ visit * treatment + (1 | patient/eye)" if eye_effect else "value ~ visit * treatment + (1 | patient)"
    notes = ["REML; p-values and CIs are Wald z (lme4 reports no degrees of freedom); reference visit "
             f"{visits[0]!r}, reference treatment {treatments[0]!r}"]
    if theta[0] < 1e-6 or (eye_effect and theta[1] < 1e-6):
        notes.append("a random-effect variance is at its boundary (0): the fit is singular, as lme4 would warn")
    return MixedModelResult(fixed=fixed, variance=variance, reml_criterion=float(criterion(theta)), n_observations=n,
                            n_patients=int(data["patient"].nunique()), n_eyes=int(eye_key.nunique()), formula=formula, notes=notes)


def kaplan_meier(time: Sequence[float], event: Sequence[int], group: Sequence[str] | None = None) -> pd.DataFrame:
    """Kaplan-Meier table per group: time, n_risk, n_event, n_censor, survival, Greenwood SE, log-scale 95% CI.

    Rows are the distinct times (events or censorings), as ``summary(survfit(..), censored = TRUE)`` lists them;
    the CI is R's default ``conf.type = "log"``.
    """
    frame = pd.DataFrame({"time": np.asarray(time, float), "event": np.asarray(event, int),
                          "group": "all" if group is None else np.asarray(group, object)})
    if frame["time"].isna().any() or (frame["time"] < 0).any():
        raise SecretomeInputError("survival times must be non-negative numbers", expected="days >= 0")
    if not frame["event"].isin([0, 1]).all():
        raise SecretomeInputError("event indicators must be 0 (censored) or 1 (event)", expected="0 or 1")
    rows = []
    z = stats.norm.ppf(0.975)
    for name, part in frame.groupby("group", sort=False):
        times = np.sort(part["time"].unique())
        surv, greenwood = 1.0, 0.0
        for t in times:
            at_risk = int((part["time"] >= t).sum())
            d = int(((part["time"] == t) & (part["event"] == 1)).sum())
            c = int(((part["time"] == t) & (part["event"] == 0)).sum())
            if d:
                surv *= 1.0 - d / at_risk
                greenwood += d / (at_risk * (at_risk - d)) if at_risk > d else np.inf
            se_log = np.sqrt(greenwood)
            rows.append({"group": name, "time": t, "n_risk": at_risk, "n_event": d, "n_censor": c, "survival": surv,
                         "se": surv * se_log if surv > 0 else np.nan, "ci_low": surv * np.exp(-z * se_log) if surv > 0 else np.nan,
                         "ci_high": min(1.0, surv * np.exp(z * se_log)) if surv > 0 else np.nan})
    return pd.DataFrame(rows)


def median_time(km: pd.DataFrame) -> dict[str, float | None]:
    """Median time to event per group (first time survival <= 0.5, as R prints it), None when not reached."""
    out: dict[str, float | None] = {}
    for name, part in km.groupby("group", sort=False):
        reached = part[part["survival"] <= 0.5]
        out[str(name)] = float(reached["time"].iloc[0]) if len(reached) else None
    return out


@dataclass
class CoxResult:
    """Cox model coefficients (log hazard ratio, SE, z, p, hazard ratio with 95% CI), Efron ties."""

    coefficients: pd.DataFrame
    n: int
    n_events: int
    log_likelihood: float
    notes: list[str] = field(default_factory=list)


def fit_cox(data: pd.DataFrame, covariates: Sequence[str], *, time: str = "time", event: str = "event") -> CoxResult:
    """Cox proportional-hazards fit with Efron ties (``coxph`` default), via statsmodels ``PHReg``.

    Categorical covariates must be coded as 0/1 columns by the caller (their names are the terms).
    """
    from statsmodels.duration.hazard_regression import PHReg

    frame = data.dropna(subset=[time, event, *covariates])
    if frame[event].sum() == 0:
        raise SecretomeInputError("no events: a Cox model needs at least one re-epithelialisation", column=event)
    exog = frame[list(covariates)].to_numpy(float)
    model = PHReg(frame[time].to_numpy(float), exog, status=frame[event].to_numpy(int), ties="efron")
    fit = model.fit(maxiter=200)
    beta = np.asarray(fit.params)
    se = np.asarray(fit.bse)
    z = beta / se
    q = stats.norm.ppf(0.975)
    table = pd.DataFrame({"term": list(covariates), "coef": beta, "se": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
                          "hazard_ratio": np.exp(beta), "hr_ci_low": np.exp(beta - q * se), "hr_ci_high": np.exp(beta + q * se)})
    return CoxResult(coefficients=table, n=len(frame), n_events=int(frame[event].sum()), log_likelihood=float(fit.llf),
                     notes=["Efron ties; model-based (not robust) standard errors, as coxph reports by default"])

