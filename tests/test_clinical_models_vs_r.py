"""Clinical models against R: lme4 (REML mixed model) and survival (Kaplan-Meier, Cox with Efron ties).

The committed fixtures in ``tests/fixtures/clinical_r`` hold the inputs and R's results; the live test at
the bottom regenerates them with ``scripts/make_clinical_fixtures.R`` and checks they are unchanged.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.clinical.models import fit_cox, fit_mixed_model, kaplan_meier, median_time

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "clinical_r"
R_OUTPUTS = ("mixed_fixed_r.tsv", "mixed_variance_r.tsv", "mixed_reml_r.txt", "cox_r.tsv", "km_r.tsv")


def _mixed():
    data = pd.read_csv(FIXTURES / "mixed_input.tsv", sep="\t")
    return fit_mixed_model(data, visits=["day0", "day28", "day84"], treatments=["vehicle", "secretome"])


def test_mixed_model_equals_lme4() -> None:
    result = _mixed()
    r = pd.read_csv(FIXTURES / "mixed_fixed_r.tsv", sep="\t")
    assert list(result.fixed["term"]) == list(r["term"])
    np.testing.assert_allclose(result.fixed["estimate"], r["estimate"], rtol=1e-4, atol=0)
    np.testing.assert_allclose(result.fixed["se"], r["se"], rtol=1e-4, atol=0)
    variance = pd.read_csv(FIXTURES / "mixed_variance_r.tsv", sep="\t").set_index("component")["variance"]
    assert result.variance["patient"] == pytest.approx(variance["patient"], rel=1e-4)
    assert result.variance["eye:patient"] == pytest.approx(variance["eye:patient"], rel=1e-4)
    assert result.variance["residual"] == pytest.approx(variance["Residual"], rel=1e-4)
    assert result.reml_criterion == pytest.approx(float((FIXTURES / "mixed_reml_r.txt").read_text()), rel=1e-9)
    assert result.n_patients == 36 and result.formula.endswith("(1 | patient/eye)")


def test_cox_equals_survival_coxph() -> None:
    data = pd.read_csv(FIXTURES / "survival_input.tsv", sep="\t")
    result = fit_cox(data, ["arm", "potency"])
    r = pd.read_csv(FIXTURES / "cox_r.tsv", sep="\t")
    np.testing.assert_allclose(result.coefficients["coef"], r["coef"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(result.coefficients["se"], r["se"], rtol=1e-6, atol=0)
    assert result.log_likelihood == pytest.approx(r["loglik"].iloc[0], rel=1e-9)


def test_kaplan_meier_equals_survfit() -> None:
    data = pd.read_csv(FIXTURES / "survival_input.tsv", sep="\t")
    km = kaplan_meier(data["time"], data["event"], data["arm"].astype(str))
    r = pd.read_csv(FIXTURES / "km_r.tsv", sep="\t", dtype={"group": str})
    assert len(km) == len(r)
    merged = km.merge(r, on=["group", "time"], suffixes=("", "_r"))
    assert len(merged) == len(r)
    assert (merged["n_risk"] == merged["n_risk_r"]).all() and (merged["n_event"] == merged["n_event_r"]).all()
    for column in ("survival", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_r"], rtol=1e-9, atol=1e-12)
    assert set(median_time(km)) == {"0", "1"}


@pytest.mark.needs_r
def test_fixtures_are_what_r_writes(tmp_path: Path) -> None:
    """scripts/make_clinical_fixtures.R (lme4, survival) reproduces the committed R results byte for byte."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("needs Rscript with lme4 and survival (r-base-core, r-cran-lme4, r-cran-survival)")
    check = subprocess.run([rscript, "-e", "library(lme4); library(survival)"], capture_output=True, text=True)
    if check.returncode != 0:
        pytest.skip("needs the R packages lme4 and survival (r-cran-lme4, r-cran-survival)")
    for name in ("mixed_input.tsv", "survival_input.tsv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    subprocess.run([rscript, str(REPO / "scripts" / "make_clinical_fixtures.R"), str(tmp_path)], check=True, capture_output=True)
    for name in R_OUTPUTS:
        assert (tmp_path / name).read_text() == (FIXTURES / name).read_text(), name


def test_inputs_are_what_the_script_writes(tmp_path: Path) -> None:
    """scripts/make_clinical_model_inputs.py reproduces the committed simulated inputs byte for byte."""
    import runpy

    runpy.run_path(str(REPO / "scripts" / "make_clinical_model_inputs.py"), run_name="inputs")["main"](tmp_path)
    for name in ("mixed_input.tsv", "survival_input.tsv"):
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), name
