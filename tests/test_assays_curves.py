"""Standard-curve fitting: 4PL against R's nls(SSfpl), 5PL recovery, inverses, shape checks, limits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.assays.curves import fit_curve, inverse, logistic, vendor_5pl_params, weight_vector
from secretome.assays.quantify import check_expected_series, monotonicity

FIXTURES = Path(__file__).parent / "data" / "assays"


def _r_fixture_frames(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(folder / "standards.tsv", sep="\t"), pd.read_csv(folder / "r_4pl.tsv", sep="\t")


def _compare_with_r(standards: pd.DataFrame, reference: pd.DataFrame) -> None:
    for (curve, weights), expected in reference.groupby(["curve", "weights"]):
        data = standards[standards["curve"] == curve]
        fit = fit_curve(data["x"], data["y"], model="4pl", weights=weights, weight_floor=0.0)
        first = expected.iloc[0]
        for name in ("A", "B", "xmid", "scal"):
            assert fit.params[name] == pytest.approx(first[name], rel=1e-4, abs=1e-9), (curve, weights, name)
        back = fit.inverse(expected["y"].to_numpy())
        np.testing.assert_allclose(back, expected["concentration"].to_numpy(), rtol=1e-4, err_msg=f"{curve} {weights}")


def test_4pl_equals_committed_r_nls_ssfpl_fixtures() -> None:
    """Parameters and back-calculated concentrations within 1e-4 relative of R's nls(y ~ SSfpl(log(x), ...)),
    unweighted and with weights 1/y^2 (fixtures from scripts/make_assay_fixtures.R)."""
    standards, reference = _r_fixture_frames(FIXTURES)
    assert set(reference["curve"]) == {"elisa_od", "luminex_mfi", "decreasing"}
    _compare_with_r(standards, reference)


@pytest.mark.needs_r
def test_4pl_equals_live_r_nls(tmp_path: Path) -> None:
    """The fixture script run now by Rscript gives the same fixtures, and the fit still matches them."""
    if shutil.which("Rscript") is None:
        pytest.skip("needs Rscript (apt-get install r-base-core)")
    script = Path(__file__).parents[1] / "scripts" / "make_assay_fixtures.R"
    subprocess.run(["Rscript", str(script), str(tmp_path)], check=True, capture_output=True, timeout=120)
    standards, reference = _r_fixture_frames(tmp_path)
    committed_standards, committed = _r_fixture_frames(FIXTURES)
    pd.testing.assert_frame_equal(standards, committed_standards)
    np.testing.assert_allclose(reference[["A", "B", "xmid", "scal", "concentration"]], committed[["A", "B", "xmid", "scal", "concentration"]], rtol=1e-6)
    _compare_with_r(standards, reference)


def test_5pl_recovers_known_parameters_and_inverts() -> None:
    truth = {"A": 20.0, "B": 18000.0, "xmid": np.log(500.0), "scal": 0.9, "g": 0.6}
    x = np.repeat(10000 / 2.5 ** np.arange(10), 2)
    y = logistic(np.log(x), truth)
    fit = fit_curve(x, y, model="5pl")
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=1e-5)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.inverse(y) == pytest.approx(x, rel=1e-6)
    # outside the asymptotes there is no concentration
    assert np.isnan(fit.inverse(np.array([truth["A"] - 1, truth["B"] + 1]))).all()


def test_4pl_needs_four_levels_and_known_options() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        fit_curve([1, 2, 4], [1, 2, 3], model="4pl")
    with pytest.raises(ValueError, match="model"):
        fit_curve([1, 2, 4, 8], [1, 2, 3, 4], model="3pl")
    with pytest.raises(ValueError, match="weights"):
        weight_vector(np.ones(3), "1/x")


def test_weights_floor_blank_level_responses() -> None:
    y = np.array([0.0, -1.0, 0.5, 10.0, 5000.0])
    w = weight_vector(y, "1/y^2")
    assert w[0] == w[1] == w[2] == pytest.approx(1.0)  # floor_signal = 1 (assays.toml [weights])
    assert w[4] == pytest.approx(1 / 5000.0**2)
    od = weight_vector(np.array([0.001, 2.5]), "1/y")
    assert od[0] == pytest.approx(1 / 0.025)  # floor_share x max |y| for OD-scale data


def test_vendor_coefficients_map_onto_the_same_curve() -> None:
    params = vendor_5pl_params(0.8, 24472.2, 4061.98, -0.9007, 1.1315)
    x = np.array([1.0, 100.0, 10000.0])
    vendor = 0.8 + (24472.2 - 0.8) / (1 + (x / 4061.98) ** -0.9007) ** 1.1315
    np.testing.assert_allclose(logistic(np.log(x), params), vendor, rtol=1e-12)
    np.testing.assert_allclose(inverse(vendor, params), x, rtol=1e-9)


def test_hook_and_non_monotonic_detection() -> None:
    x = np.array([1, 2, 4, 8, 16, 32, 64.0])
    assert monotonicity(x, np.array([1, 2, 4, 8, 16, 30, 60.0]), 0.05) == ("monotonic", None)
    assert monotonicity(x, np.array([1, 2, 4, 8, 16, 30, 12.0]), 0.05) == ("hook", 32.0)
    assert monotonicity(x, np.array([1, 9, 4, 8, 16, 30, 60.0]), 0.05)[0] == "non_monotonic"


def test_lost_decimal_point_is_found_and_repair_proposed() -> None:
    levels = pd.DataFrame({"level": [f"Standard{i}" for i in range(1, 9)],
                           "expected": [3450, 1725, 862.5, 431.25, 215625, 107.8125, 53.90625, 26.953125]})
    checked = check_expected_series(levels, 0.02).set_index("level")
    assert checked["suspect"].tolist() == [False] * 4 + [True] + [False] * 3
    assert checked.loc["Standard5", "repaired"] == pytest.approx(215.625)
    fine = check_expected_series(levels.assign(expected=3000 / 2 ** np.arange(8)), 0.02)
    assert not fine["suspect"].any()
