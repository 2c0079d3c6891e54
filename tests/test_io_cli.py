"""``secretome read`` / ``secretome info``: exit codes, one-line errors without traceback, no partial output.

A few runs go through a real subprocess (the installed entry path); the full bad-input matrix runs
``secretome.cli.main`` in-process (same code path, seconds instead of minutes).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest
from conftest import run_main

from secretome.io import read, read_h5ad, summarize
from test_io_bad_input import BAD_INPUTS
from test_io_readers import SAMPLES, write_maxquant


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secretome", *map(str, args)], capture_output=True, text=True)


def test_read_writes_h5ad_that_round_trips(tmp_path):
    write_maxquant(tmp_path / "proteinGroups.txt")
    (tmp_path / "sheet.csv").write_text("sample,condition,lot\nS1,a,1\nS2,a,2\nS3,b,3\n")
    out = tmp_path / "out.h5ad"
    result = run_cli("read", tmp_path / "proteinGroups.txt", "--samples", tmp_path / "sheet.csv",
                     "--quantity", "iBAQ", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "3 samples x 6 proteins" in result.stdout
    adata = anndata.read_h5ad(out)
    assert list(adata.obs_names) == SAMPLES and adata.obs["condition"].tolist() == ["a", "a", "b"]
    assert adata.uns["source"]["quantity"] == "iBAQ" and adata.uns["source"]["format"] == "maxquant"
    assert adata.var["is_contaminant"].sum() == 1 and adata.X.dtype == np.float64
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []
    restored = read_h5ad(out)
    assert isinstance(restored.uns["provenance"], list) and restored.uns["provenance"][0]["step"] == "read"
    assert restored.uns["source"]["sample_columns"] == [f"iBAQ {s}" for s in SAMPLES]


def test_info_prints_summary(tmp_path):
    write_maxquant(tmp_path / "proteinGroups.txt")
    result = run_cli("info", tmp_path / "proteinGroups.txt")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert lines["format"].startswith("maxquant (1.6+")
    assert lines["quantity"] == "LFQ intensity"
    assert (lines["proteins"], lines["samples"]) == ("6", "3")
    assert lines["flagged rows"].startswith("3 (decoy 1, contaminant 1, only identified by site 1)")
    share = summarize(read(tmp_path / "proteinGroups.txt"))["missing_share"]
    assert lines["missing values"].startswith(f"{share:.1%} (engine zeros converted: ")


#: One subprocess run per kind of bad input named in issue 2 point 7.
POINT_7 = [
    "empty", "binary", "truncated text", "space delimiter", "duplicated sample columns", "duplicated protein ids",
    "non-numeric cell", "renamed column", "sheet names unknown sample",
]


@pytest.mark.parametrize("case", POINT_7)
def test_subprocess_failure_is_one_line_exit_2_no_output(tmp_path, case):
    builder, fragments = BAD_INPUTS[case]
    path, kwargs = builder(tmp_path)
    extra = ["--samples", kwargs["samples"]] if "samples" in kwargs else []
    extra += ["--sheet", kwargs["sheet"]] if "sheet" in kwargs else []
    out = tmp_path / "result.h5ad"
    result = run_cli("read", path, *extra, "--out", out)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error:")
    for fragment in fragments:
        assert fragment.replace("{file}", path.name) in result.stderr, (fragment, result.stderr)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".partial" or ".h5ad" in p.name] == []


@pytest.mark.parametrize("command", ["read", "info"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_every_bad_input_through_main(tmp_path, monkeypatch, capsys, case, command):
    builder, fragments = BAD_INPUTS[case]
    path, kwargs = builder(tmp_path)
    extra = ["--samples", kwargs["samples"]] if "samples" in kwargs else []
    extra += ["--sheet", kwargs["sheet"]] if "sheet" in kwargs else []
    out = tmp_path / "result.h5ad"
    args = [command, path, *extra] + (["--out", out] if command == "read" else [])
    code, stdout, stderr = run_main(monkeypatch, capsys, *args)
    assert code == 2
    assert "Traceback" not in stderr + stdout
    assert len(stderr.strip().splitlines()) == 1
    for fragment in fragments:
        assert fragment.replace("{file}", path.name) in stderr, (fragment, stderr)
    assert not out.exists()


def test_output_problems_are_input_errors(tmp_path, monkeypatch, capsys):
    write_maxquant(tmp_path / "pg.txt")
    code, _, stderr = run_main(monkeypatch, capsys, "read", tmp_path / "pg.txt", "--out", tmp_path / "no" / "x.h5ad")
    assert code == 2 and "output directory does not exist" in stderr
    code, _, stderr = run_main(monkeypatch, capsys, "read", tmp_path / "pg.txt", "--out", tmp_path / "x.csv")
    assert code == 2 and "must end in .h5ad" in stderr


def test_existing_output_is_replaced_only_on_success(tmp_path, monkeypatch, capsys):
    write_maxquant(tmp_path / "pg.txt")
    out = tmp_path / "x.h5ad"
    out.write_bytes(b"previous result")
    (tmp_path / "bad.tsv").write_bytes(b"")
    code, _, _ = run_main(monkeypatch, capsys, "read", tmp_path / "bad.tsv", "--out", out)
    assert code == 2 and out.read_bytes() == b"previous result"
    code, _, _ = run_main(monkeypatch, capsys, "read", tmp_path / "pg.txt", "--format", "maxquant", "--out", out)
    assert code == 0 and anndata.read_h5ad(out).n_obs == 3


def test_reader_warning_is_one_clean_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "genes.csv").write_text("Gene names,a,b\nALB,1.5,2\nALB,3,4\nTF,5,6\n")
    code, stdout, stderr = run_main(monkeypatch, capsys, "info", tmp_path / "genes.csv")
    assert code == 0
    assert stderr.strip().startswith("warning:") and len(stderr.strip().splitlines()) == 1
    assert "repeated identifiers made unique: 1" in stdout


def test_sheet_option(tmp_path, monkeypatch, capsys):
    from test_io_readers import generic_frame

    with pd.ExcelWriter(tmp_path / "book.xlsx") as writer:
        pd.DataFrame({"note": ["not data"]}).to_excel(writer, sheet_name="readme", index=False)
        generic_frame().to_excel(writer, sheet_name="matrix", index=False)
    for sheet in ("matrix", "1"):
        code, stdout, stderr = run_main(monkeypatch, capsys, "info", tmp_path / "book.xlsx", "--sheet", sheet)
        assert code == 0, stderr
        assert "samples: 4" in stdout
    code, _, stderr = run_main(monkeypatch, capsys, "info", tmp_path / "book.xlsx", "--sheet", "nope")
    assert code == 2 and "no sheet 'nope'" in stderr and "'matrix'" in stderr


def test_declared_scale_overrides_detection_and_is_never_applied_twice(tmp_path, monkeypatch, capsys):
    """Small positive decimals look linear to the detector; --log2 declares them log2, --linear keeps them."""
    table = tmp_path / "matrix.tsv"
    pd.DataFrame({"Protein": ["P02768", "P01133", "P00338"], "S1": [1.5, 2.25, 3.75], "S2": [1.25, 2.5, 3.5]}).to_csv(
        table, sep="\t", index=False
    )
    for flag, expected in (("--log2", True), ("--linear", False)):
        out = tmp_path / f"{flag.strip('-')}.h5ad"
        code, _, stderr = run_main(monkeypatch, capsys, "read", table, "--out", out, flag)
        assert code == 0, stderr
        adata = read_h5ad(out)
        assert adata.uns["source"]["is_log2"] is expected or bool(adata.uns["source"]["is_log2"]) == expected
        assert adata.uns["source"]["log2_evidence"] == "declared"
        np.testing.assert_array_equal(adata.X[0], [1.5, 2.25, 3.75])  # sample S1 as in the file, never transformed
    code, stdout, _ = run_main(monkeypatch, capsys, "info", table, "--log2")
    assert code == 0 and "log2 values: yes (declared)" in stdout
