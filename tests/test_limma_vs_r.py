"""secretome.stats.limma against R limma outputs committed in tests/fixtures/limma.

The fixtures are written by scripts/make_limma_fixtures.R (R limma + statmod); the live test at the
bottom regenerates them with Rscript when available and checks they are byte-identical.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO_ROOT
from secretome.stats.limma import contrasts_fit, design_matrix, e_bayes, lm_fit, make_contrast, top_table

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "limma"
CASES = pd.read_csv(FIXTURES / "cases.tsv", sep="\t", keep_default_na=False)
RTOL = 1e-9
COLUMNS = {
    "logFC": "logFC",
    "AveExpr": "AveExpr",
    "t": "t",
    "P.Value": "P.Value",
    "adj.P.Val": "adj.P.Val",
    "B": "B",
    "s2.post": "s2_post",
    "df.total": "df_total",
    "df.prior": "df_prior",
    "s2.prior": "s2_prior",
}


def _flag(value: object) -> bool:
    """R's TRUE/FALSE as pandas reads them (bool or text)."""
    return str(value).upper() == "TRUE"


def _read_input(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    expr = pd.read_csv(FIXTURES / f"{name}_expr.tsv", sep="\t", index_col=0)
    samples = pd.read_csv(FIXTURES / f"{name}_samples.tsv", sep="\t", index_col="sample", keep_default_na=False)
    return expr, samples


def _python_result(case: pd.Series) -> tuple[pd.DataFrame, object]:
    expr, samples = _read_input(case["input"])
    design = design_matrix(samples, case["formula"])
    assert design.columns == case["design_columns"].split(",")
    vector = make_contrast(case["contrast"], design)
    np.testing.assert_array_equal(vector, [float(v) for v in case["vector"].split(",")])
    fit = lm_fit(expr, design)
    eb = e_bayes(contrasts_fit(fit, vector), trend=_flag(case["trend"]), robust=_flag(case["robust"]))
    table = top_table(eb, 0, sort_by="none")
    n = table.shape[0]
    table["s2_post"] = eb.s2_post
    table["df_total"] = eb.df_total
    table["df_prior"] = np.broadcast_to(np.asarray(eb.df_prior, dtype=float), (n,))
    table["s2_prior"] = np.broadcast_to(np.asarray(eb.s2_prior, dtype=float), (n,))
    return table, eb


@pytest.mark.parametrize("case", CASES["case"].tolist())
def test_matches_r_limma(case: str) -> None:
    row = CASES.set_index("case").loc[case]
    row["case"] = case
    expected = pd.read_csv(FIXTURES / f"{case}.tsv", sep="\t", index_col="protein")
    got, _ = _python_result(row)
    assert list(got.index) == list(expected.index)
    for r_name, ours in COLUMNS.items():
        want = expected[r_name].to_numpy(dtype=float)
        have = got[ours].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(have), np.isnan(want), err_msg=f"{case} {r_name}: NaN pattern")
        finite = ~np.isnan(want)
        np.testing.assert_allclose(have[finite], want[finite], rtol=RTOL, atol=0, err_msg=f"{case} {r_name}")


def test_fixtures_cover_every_required_case() -> None:
    """Issue 5 point 3: two groups, three groups, paired, covariate, missing values, trend, robust."""
    inputs = set(CASES["input"])
    assert {"two_groups", "three_groups", "paired", "covariate", "missing", "trend", "robust"} <= inputs
    assert CASES["trend"].map(_flag).any() and CASES["robust"].map(_flag).any()
    missing = pd.read_csv(FIXTURES / "missing_expr.tsv", sep="\t", index_col=0)
    assert missing.isna().all(axis=1).any(), "an all-missing protein"
    assert (missing.isna().sum(axis=1) >= 4).any(), "a protein with a whole group missing"


@pytest.mark.needs_r
def test_script_regenerates_the_committed_fixtures(tmp_path: Path) -> None:
    """The committed fixtures are what scripts/make_limma_fixtures.R writes (needs Rscript with limma)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("needs Rscript with limma and statmod (r-base-core, r-bioc-limma, r-cran-statmod)")
    probe = subprocess.run([rscript, "-e", "library(limma); library(statmod)"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"R lacks limma or statmod: {probe.stderr.strip()[:200]}")
    out = tmp_path / "limma"
    subprocess.run(
        [rscript, str(REPO_ROOT / "scripts" / "make_limma_fixtures.R"), str(out)], check=True, capture_output=True
    )
    committed = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".tsv", ".txt"))
    assert sorted(p.name for p in out.iterdir()) == committed
    outputs = {f"{case}.tsv" for case in CASES["case"]}
    for name in committed:
        if name == "versions.txt":
            continue
        if name not in outputs:  # inputs and the manifest: deterministic, byte for byte
            assert filecmp.cmp(out / name, FIXTURES / name, shallow=False), f"{name} differs from the committed one"
            continue
        # R's results may differ in the last bits across BLAS builds and CPUs
        fresh = pd.read_csv(out / name, sep="\t", index_col="protein")
        kept = pd.read_csv(FIXTURES / name, sep="\t", index_col="protein")
        pd.testing.assert_frame_equal(fresh, kept, check_exact=False, rtol=1e-12, atol=0)
