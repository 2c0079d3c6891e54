"""Sample sheets that fit real studies and .h5ad files as input (issue 15 part f)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import run_main
from secretome import datasets
from secretome.errors import SecretomeInputError
from secretome.io import read, write_h5ad_atomic
from test_io_readers import diann_frame


@pytest.mark.parametrize("names", [
    ["S1.raw.dia", "S2.mzML", "S3.d"],
    [r"D:\data\run A\S1.raw", "/data/S2.mzML", r"C:\x\S3.d"],
    ["  s1 ", "S2", "s3"],
])
def test_sheet_names_match_across_extensions_paths_case_and_spaces(tmp_path, names):
    diann_frame().to_csv(tmp_path / "pg.tsv", sep="\t", index=False)
    sheet = pd.DataFrame({"file": names, "group": ["a", "b", "c"]})
    adata = read(tmp_path / "pg.tsv", samples=sheet)
    assert adata.obs["group"].tolist() == ["a", "b", "c"]


def test_sample_column_picks_the_sheet_column(tmp_path):
    diann_frame().to_csv(tmp_path / "pg.tsv", sep="\t", index=False)
    (tmp_path / "sheet.tsv").write_text("sample\tmzml\tlot\nx1\tS1.mzML\tL1\nx2\tS2.mzML\tL2\nx3\tS3.mzML\tL3\n")
    adata = read(tmp_path / "pg.tsv", samples=tmp_path / "sheet.tsv", sample_column="mzml")
    assert adata.obs["lot"].tolist() == ["L1", "L2", "L3"]
    with pytest.raises(SecretomeInputError, match="sample-name column not found"):
        read(tmp_path / "pg.tsv", samples=tmp_path / "sheet.tsv", sample_column="Run")


@pytest.fixture
def demo_h5ad(tmp_path):
    paths = datasets.demo_paths()
    out = write_h5ad_atomic(read(paths["table"]), tmp_path / "demo.h5ad")
    return out, paths["samples"]


def test_h5ad_written_by_read_is_accepted_as_input(demo_h5ad, tmp_path):
    path, sheet = demo_h5ad
    again = read(path, samples=sheet)
    direct = read(datasets.demo_paths()["table"], samples=sheet)
    np.testing.assert_array_equal(again.X, direct.X)
    assert again.obs["lot"].tolist() == direct.obs["lot"].tolist()
    with pytest.raises(SecretomeInputError, match="quantity do not apply to an .h5ad"):
        read(path, quantity="iBAQ")


def test_commands_take_h5ad_input_and_sheet_options(demo_h5ad, tmp_path, monkeypatch, capsys):
    path, sheet = demo_h5ad
    code, out, err = run_main(monkeypatch, capsys, "profile", path, "--samples", sheet, "--group", "lot",
                              "--sample-column", "sample", "--out", tmp_path / "p")
    assert code == 0, err
    assert (tmp_path / "p" / "report.html").is_file()
    code, out, err = run_main(monkeypatch, capsys, "compare", path, "--samples", sheet, "--design", "~ lot",
                              "--contrast", "lot_B-lot_A", "--out", tmp_path / "c")
    assert code == 0, err
    code, out, err = run_main(monkeypatch, capsys, "comparability", path, "--samples", sheet, "--reference", "lot_A",
                              "--out", tmp_path / "l")
    assert code == 0, err
    code, out, err = run_main(monkeypatch, capsys, "annotate", path, "--out", tmp_path / "a.tsv")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "a.tsv", sep="\t")) > 10
