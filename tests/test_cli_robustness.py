"""Adversarial input through the real CLI entry point: every bad input is one clear error line and exit 2,
never a traceback, a silently wrong result or a partial output."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import run_main

from secretome import datasets
from secretome.errors import SecretomeInputError


@pytest.fixture()
def demo(tmp_path: Path) -> dict[str, Path]:
    paths = datasets.demo_paths()
    return {"table": Path(paths["table"]), "samples": Path(paths["samples"]), "dir": tmp_path}


def sheet(demo: dict[str, Path], name: str, edit) -> Path:
    """A copy of the demo sample sheet changed by ``edit(frame)``."""
    frame = pd.read_csv(demo["samples"], sep="\t", dtype=str, keep_default_na=False)
    edit(frame)
    path = demo["dir"] / name
    frame.to_csv(path, sep="\t", index=False)
    return path


# --------------------------------------------------------------------------------------- outputs
@pytest.mark.parametrize("command", ["compare", "comparability"])
def test_output_directory_that_cannot_be_created_is_an_input_error(monkeypatch, capsys, demo, command):
    blocker = demo["dir"] / "a_file"
    blocker.write_text("x")
    extra = ["--design", "~ lot", "--contrast", "lot_B-lot_A"] if command == "compare" else ["--reference", "lot_A"]
    code, _, err = run_main(monkeypatch, capsys, command, demo["table"], "--samples", demo["samples"], *extra,
                       "--out", blocker / "sub" / "out")
    assert code == 2, err
    assert "Traceback" not in err and "a_file" in err


# --------------------------------------------------------------------------------------- profile settings
@pytest.mark.parametrize(
    "setting, words",
    [
        ("serum_share.fail=nan", "finite"),
        ("serum_share.fail=inf", "finite"),
        ("serum_share.warn=1.5", "0 and 1"),
        ("settings.top_n=2.5", "whole number"),
        ("settings.top_n=0", ">= 1"),
        ("settings.pca_components=-2", ">= 1"),
        ("settings.pca_min_detection=7", "0 and 1"),
        ("settings.cv_min_detected=1", ">= 2"),
    ],
)
def test_out_of_range_settings_are_input_errors(monkeypatch, capsys, demo, setting, words):
    out = demo["dir"] / "profile"
    code, _, err = run_main(monkeypatch, capsys, "profile", "--demo", "--set", setting, "--out", out)
    assert code == 2, err
    assert "Traceback" not in err and setting.split("=")[0] in err and words in err
    assert not out.exists()


@pytest.mark.parametrize("content", [b"\xff\xfe\x00garbage", None])
def test_unreadable_config_is_an_input_error(monkeypatch, capsys, demo, content):
    config = demo["dir"] / "config.toml"
    if content is None:
        config.mkdir()
    else:
        config.write_bytes(content)
    code, _, err = run_main(monkeypatch, capsys, "profile", "--demo", "--config", config, "--out", demo["dir"] / "p")
    assert code == 2, err
    assert "Traceback" not in err and "config.toml" in err


def test_group_column_with_an_empty_cell_is_an_input_error(monkeypatch, capsys, demo):
    samples = sheet(demo, "nan_lot.tsv", lambda f: f.__setitem__("lot", f["lot"].mask(f.index == 2, "")))
    out = demo["dir"] / "profile"
    code, _, err = run_main(monkeypatch, capsys, "profile", demo["table"], "--samples", samples, "--group", "lot", "--out", out)
    assert code == 2, err
    assert "'lot'" in err and "CM_A3" in err
    assert not out.exists()


# --------------------------------------------------------------------------------------- compare
def test_contrast_of_levels_with_spaces(monkeypatch, capsys, demo):
    samples = sheet(demo, "spaces.tsv", lambda f: f.__setitem__("lot", f["lot"].str.replace("_", " ")))
    out = demo["dir"] / "compare"
    code, stdout, err = run_main(monkeypatch, capsys, "compare", demo["table"], "--samples", samples, "--design", "~ lot",
                            "--contrast", "lot B - lot A", "--out", out)
    assert code == 0, err
    assert any(out.glob("differential_lot*B*lot*A*.tsv"))


# --------------------------------------------------------------------------------------- comparability
def test_lot_column_with_an_empty_cell_is_an_input_error(monkeypatch, capsys, demo):
    samples = sheet(demo, "nan_lot.tsv", lambda f: f.__setitem__("lot", f["lot"].mask(f.index == 2, "")))
    out = demo["dir"] / "comparability"
    code, _, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", samples, "--reference", "lot_A",
                       "--out", out)
    assert code == 2, err
    assert "'lot'" in err and "CM_A3" in err
    assert not out.exists()


def test_factor_symbols_match_whatever_their_case(monkeypatch, capsys, demo):
    out = demo["dir"] / "comparability"
    code, _, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", demo["samples"],
                       "--reference", "lot_A", "--factor", "egf", "--out", out)
    assert code == 0, err
    factors = pd.read_csv(out / "comparability_factors.tsv", sep="\t")
    assert factors["detected"].all() and set(factors["factor"]) == {"EGF"}


# --------------------------------------------------------------------------------------- annotate
def test_binary_stdin_is_an_input_error(monkeypatch, capsys):
    code, stdout, err = run_main(monkeypatch, capsys, "annotate", "-", stdin=bytes(range(256)) * 4)
    assert code == 2, err
    assert "<stdin>" in err and stdout == ""


def test_annotate_a_directory_says_so(monkeypatch, capsys, tmp_path):
    code, _, err = run_main(monkeypatch, capsys, "annotate", tmp_path)
    assert code == 2
    assert "directory" in err


@pytest.mark.parametrize("design", ["~ lot +", "~ lot + + replicate", "~ lot -"])
def test_design_with_a_dangling_operator_is_an_input_error(design):
    from secretome.stats.design import design_matrix

    obs = pd.DataFrame({"lot": ["a", "a", "b", "b"], "replicate": [1, 2, 1, 2]}, index=list("pqrs"))
    with pytest.raises(SecretomeInputError, match="operator"):
        design_matrix(obs, design)


def test_numeric_first_term_suggests_factor(monkeypatch, capsys, demo):
    samples = sheet(demo, "numeric_lot.tsv", lambda f: f.__setitem__("lot", f["lot"].map({"lot_A": "1", "lot_B": "2"})))
    code, _, err = run_main(monkeypatch, capsys, "compare", demo["table"], "--samples", samples, "--design", "~ lot",
                       "--contrast", "2-1", "--out", demo["dir"] / "c")
    assert code == 2 and "factor(lot)" in err


def test_empty_factor_name_is_an_input_error(monkeypatch, capsys, demo):
    code, _, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", demo["samples"],
                       "--reference", "lot_A", "--factor", " ", "--out", demo["dir"] / "c")
    assert code == 2 and "factor" in err


def test_demo_with_a_sample_sheet_is_an_input_error(monkeypatch, capsys, demo):
    code, _, err = run_main(monkeypatch, capsys, "profile", "--demo", "--samples", demo["samples"], "--out", demo["dir"] / "p")
    assert code == 2 and "--demo" in err and "--samples" in err
    assert not (demo["dir"] / "p").exists()


def test_min_valid_above_the_group_size_says_so(monkeypatch, capsys, demo):
    code, _, err = run_main(monkeypatch, capsys, "compare", demo["table"], "--samples", demo["samples"], "--design", "~ lot",
                       "--contrast", "lot_B-lot_A", "--min-valid", "7", "--out", demo["dir"] / "c")
    assert code == 2 and "more than any group has samples" in err and "lot_A: 6" in err


def test_header_only_sample_sheet_mentions_samples(monkeypatch, capsys, demo):
    samples = demo["dir"] / "header.csv"
    samples.write_text("sample,lot\n")
    code, _, err = run_main(monkeypatch, capsys, "info", demo["table"], "--samples", samples)
    assert code == 2 and "header.csv" in err and "per sample in a sample sheet" in err


def _zeroed_demo(demo: dict[str, Path], name: str, columns) -> Path:
    table = pd.read_csv(demo["table"], sep="\t", dtype=str, keep_default_na=False)
    chosen = [c for c in table.columns if columns(c)]
    table[chosen] = "0"
    path = demo["dir"] / name
    table.to_csv(path, sep="\t", index=False)
    return path


def test_a_table_without_any_value_is_an_input_error(monkeypatch, capsys, demo):
    path = _zeroed_demo(demo, "zero.txt", lambda c: c.startswith(("Intensity", "LFQ intensity")))
    code, _, err = run_main(monkeypatch, capsys, "info", path)
    assert code == 2 and "zero.txt" in err and "no quantified value" in err


@pytest.mark.parametrize("method", ["median", "quantile"])
def test_an_empty_sample_is_named_when_normalization_cannot_place_it(monkeypatch, capsys, demo, method):
    path = _zeroed_demo(demo, "empty_sample.txt", lambda c: c.endswith("CM_B6"))
    code, _, err = run_main(monkeypatch, capsys, "compare", path, "--samples", demo["samples"], "--design", "~ lot",
                       "--contrast", "lot_B-lot_A", "--normalize", method, "--out", demo["dir"] / "c")
    assert code == 2 and "CM_B6" in err and "empty_sample.txt" in err


@pytest.mark.parametrize("command", ["comparability", "profile"])
def test_infinite_margin_is_an_input_error(monkeypatch, capsys, demo, command):
    out = demo["dir"] / "out"
    code, _, err = run_main(monkeypatch, capsys, command, demo["table"], "--samples", demo["samples"], "--reference", "lot_A",
                       "--margin", "inf", "--out", out)
    assert code == 2 and "margin" in err and "Traceback" not in err
    assert not out.exists()


def test_reference_lot_is_matched_without_surrounding_spaces(monkeypatch, capsys, demo):
    code, stdout, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", demo["samples"],
                            "--reference", " lot_A ", "--out", demo["dir"] / "c")
    assert code == 0, err
    code, _, err = run_main(monkeypatch, capsys, "comparability", demo["table"], "--samples", demo["samples"],
                       "--reference", "", "--out", demo["dir"] / "d")
    assert code == 2 and "''" in err


def test_profile_never_deletes_an_input_kept_in_its_earlier_output(monkeypatch, capsys, demo):
    out = demo["dir"] / "profile"
    code, _, err = run_main(monkeypatch, capsys, "profile", demo["table"], "--samples", demo["samples"], "--out", out)
    assert code == 0, err
    table = out / "data.txt"
    table.write_bytes(demo["table"].read_bytes())
    code, _, err = run_main(monkeypatch, capsys, "profile", table, "--samples", demo["samples"], "--out", out)
    assert code == 2 and "INPUT" in err and "data.txt" in err
    assert table.exists()


def test_annotate_refuses_a_sample_sheet(monkeypatch, capsys, demo):
    code, stdout, err = run_main(monkeypatch, capsys, "annotate", demo["samples"])
    assert code == 2 and "sample sheet" in err and stdout == ""


@pytest.mark.parametrize("setting, shown", [("settings.mixed_species_counts_as_serum=True", "like false"),
                                            ("settings.serum_species=[BOVIN]", 'like ["BOVIN"]')])
def test_wrong_type_settings_show_the_toml_spelling(monkeypatch, capsys, demo, setting, shown):
    code, _, err = run_main(monkeypatch, capsys, "profile", "--demo", "--set", setting, "--out", demo["dir"] / "p")
    assert code == 2 and shown in err


@pytest.mark.parametrize("design", ["~ `cell-type`", "~ `cell-type` + replicate", "~ factor(`cell-type`)"])
def test_backticks_name_a_column_with_a_dash(design):
    from secretome.stats.design import design_matrix

    obs = pd.DataFrame({"cell-type": ["a", "a", "b", "b", "a", "b"], "replicate": [1.0, 2, 1, 2, 3, 3]},
                       index=list("pqrstu"))
    model = design_matrix(obs, design)
    assert model.first_factor in ("cell-type", "factor(cell-type)")


def test_linear_values_declared_log2_are_an_input_error(monkeypatch, capsys, demo):
    out = demo["dir"] / "p"
    code, _, err = run_main(monkeypatch, capsys, "profile", demo["table"], "--samples", demo["samples"], "--log2", "--out", out)
    assert code == 2 and "declared log2" in err and "LFQ intensity" in err and "row" in err
    assert not out.exists()
