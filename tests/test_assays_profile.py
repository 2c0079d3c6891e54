"""The immunoassay panel inside the profile: the demo's panel, --assay, and an assay export as INPUT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.assays.demo import PANEL, demo_assay_frame
from conftest import run_main, run_profile


def test_demo_panel_is_deterministic_and_covers_the_demo_samples() -> None:
    import secretome
    from secretome import datasets

    proteome = secretome.read(datasets.demo_paths()["table"])
    first, second = demo_assay_frame(proteome), demo_assay_frame(proteome)
    pd.testing.assert_frame_equal(first, second)
    unknown = first[~first["sample"].str.startswith("Standard")]
    assert set(unknown["sample"]) == set(map(str, proteome.obs_names))
    assert set(first["analyte"]) == set(PANEL)


def test_demo_profile_report_shows_the_assay_panel(tmp_path: Path) -> None:
    report = run_profile(demo=True, out=tmp_path / "demo")
    html = report.read_text(encoding="utf-8")
    assert 'id="immunoassay"' in html and "Purity: not assessable" in html
    panel = pd.read_csv(tmp_path / "demo" / "assay_panel.tsv", sep="\t").set_index("analyte")
    assert panel.loc["IL-1b", "not quantified"] == "<LLOQ 12"  # simulated near the kit's LLOQ
    assert panel.loc["HGF", "lot_A median"] > panel.loc["HGF", "lot_B median"] > 1000
    potency = pd.read_csv(tmp_path / "demo" / "assay_potency.tsv", sep="\t")
    assert set(potency["result"]) == {"pass"}
    agreement = pd.read_csv(tmp_path / "demo" / "assay_agreement.tsv", sep="\t").set_index("gene")
    assert agreement.loc["HGF", "rho"] > 0.8  # the simulated panel follows the MS intensities
    assert np.isfinite(agreement["ms_detection_limit"]).all()


def test_profile_of_an_assay_export_is_a_targeted_panel_report(monkeypatch, capsys, tmp_path: Path) -> None:
    from test_assays_job import _long_plate

    code, out, err = run_main(monkeypatch, capsys, "profile", _long_plate(tmp_path), "--out", tmp_path / "panel")
    assert code == 0, err
    html = (tmp_path / "panel" / "report.html").read_text(encoding="utf-8")
    assert "not assessable" in html and "Cytokine balance" in html
    assert "Secretome profile" not in html  # no purity verdict of a proteome profile for 4 cytokines


@pytest.mark.shared_data
def test_profile_with_assay_option(examples, tmp_path: Path) -> None:
    from secretome import datasets

    paths = datasets.demo_paths()
    assay = examples / "immunoassay" / "xponent_30plex_cytokine_drLumi_pone.0187901.s001.csv"
    report = run_profile(paths["table"], samples=paths["samples"], group="lot", assay=assay, out=tmp_path / "p")
    html = report.read_text(encoding="utf-8")
    assert 'id="immunoassay"' in html
    agreement = pd.read_csv(tmp_path / "p" / "assay_agreement.tsv", sep="\t")
    assert (agreement["n_lots"] == 0).all()  # no sample in common: nothing is compared, nothing invented
