"""Hostile content through the web app: lot numbers, preparation names, uploaded tables and sample
sheets, and a clinical trial whose names are script payloads, formulas, bidi overrides, control
characters and 10,000-character names. Every page (dashboard, lot, upload preview, run, report,
search, clinical) shows them as inert, visible text, the downloads hold no formula, and in Chromium no
injected script runs (dialogs, page errors and a ``window.__pwned`` mark are watched)."""

from __future__ import annotations

import csv
import io
import re
import socket
import threading
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_hostile_content import BIDI, GROUPS, LIVE_MARKUP, MARK, SCRIPT, write_hostile_inputs
from test_webapp_clinical import seed_lot_composition

from secretome.registry import auth
from secretome.registry.models import Preparation
from secretome.registry.worker import Worker
from secretome.tables import is_formula_like
from secretome.textsafety import has_invisible, make_visible
from secretome.webapp.app import create_app


PASSWORDS = {"ana": "analyst-password", "cleo": "clinic-password"}
PREPARATION = f"BM-MSC {SCRIPT} {BIDI}"
LIMIT = 200
"""The registry's limit on a lot number: longer hostile names are cut to it here (a longer one is refused)."""
LOTS = {level: name[:LIMIT] for level, name in GROUPS.items()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict:
    """The hostile inputs, with the sample sheet's lot column holding the hostile lot names (cut to the
    registry's limit, in the trial too)."""
    paths = write_hostile_inputs(tmp_path_factory.mktemp("webapp_hostile"))
    sheet = pd.read_csv(paths["sheet"], sep="\t", dtype=str, keep_default_na=False)
    sheet["lot"] = sheet["lot"].map(LOTS)
    sheet.drop(columns="batch").to_csv(paths["sheet"], sep="\t", index=False)
    trial = paths["trial"]
    for path, separator in ((trial["treatments"], ","), (trial["lots"] / "composition.tsv", "\t")):
        table = pd.read_csv(path, sep=separator, dtype=str, keep_default_na=False)
        table["lot"] = table["lot"].str.slice(0, LIMIT)
        table.to_csv(path, sep=separator, index=False)
    return paths


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """One SQLite registry for the module (escaping does not depend on the database; the registry suites
    run on PostgreSQL too)."""
    from secretome.registry.db import open_registry

    opened = open_registry(tmp_path_factory.mktemp("hostile_registry") / "data")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def app(registry, inputs):
    with registry.session() as session:
        auth.add_user(session, "ana", "analyst", PASSWORDS["ana"])
        auth.add_user(session, "cleo", "viewer", PASSWORDS["cleo"], clinical=True)
        seed_lot_composition(session, inputs["trial"])  # the trial's (hostile) lots, with a composition
    return create_app(registry, embedded_worker=False, max_upload_bytes=8 << 20)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has a form with a CSRF token"
    return match.group(1)


def _login(app, name: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": _csrf(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    client.csrf = _csrf(client.get("/").text)  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="module")
def urls(app, registry, inputs) -> dict:
    return _populate(app, registry, inputs)


def _populate(app, registry, inputs) -> dict:
    """Hostile preparation and lots, the hostile upload profiled, a hostile clinical run: the URLs to look at."""
    ana = _login(app, "ana")
    assert ana.post("/preparations", data={"csrf": ana.csrf, "name": PREPARATION, "cell_source": BIDI},
                    follow_redirects=False).status_code == 303
    with registry.read() as session:
        preparation = str(session.execute(select(Preparation.id).where(Preparation.name == PREPARATION)).scalar_one())
    lots = {}
    for number in LOTS.values():
        response = ana.post("/lots", data={"csrf": ana.csrf, "number": number, "preparation_id": preparation},
                            follow_redirects=False)
        assert response.status_code == 303, response.text
        lots[number] = response.headers["location"]
    with open(inputs["table"], "rb") as table, open(inputs["sheet"], "rb") as sheet:
        upload = ana.post(f"{lots[LOTS['lot_B']]}/upload", data={"csrf": ana.csrf}, follow_redirects=False,
                          files={"table": (f"{SCRIPT}.txt", table), "samples": (f"{BIDI}.tsv", sheet)})
    assert upload.status_code == 303, upload.text
    preview = upload.headers["location"]
    preview_html = ana.get(preview).text
    registered = ana.post(f"{preview}/register", data={"csrf": ana.csrf}, follow_redirects=False)
    assert registered.status_code == 303, registered.text
    run = registered.headers["location"]
    Worker(registry).run_once()
    assert "done" in ana.get(run).text, ana.get(run).text[-2000:]

    cleo = _login(app, "cleo")
    trial = inputs["trial"]
    files = {role: (trial[role].name, trial[role].read_bytes()) for role in ("records", "dictionary", "events", "treatments")}
    clinical = cleo.post("/clinical/runs", data={"csrf": cleo.csrf}, files=files, follow_redirects=False)
    assert clinical.status_code == 303, clinical.text
    Worker(registry).run_once()
    clinical_run = clinical.headers["location"]
    assert "done" in cleo.get(clinical_run).text
    return {"ana": ana, "cleo": cleo, "preview_html": preview_html, "lot": lots[LOTS["lot_B"]], "other_lot": lots[LOTS["lot_A"]],
            "run": run, "clinical_run": clinical_run}


def _assert_inert(name: str, html: str) -> None:
    live = [payload for payload in LIVE_MARKUP if payload in html]
    assert not live, f"{name}: {live}"
    hidden = sorted({f"U+{ord(c):04X}" for c in html if has_invisible(c)})
    assert not hidden, f"{name}: {hidden}"


def test_every_page_shows_hostile_names_as_inert_visible_text(urls):
    from plotly.offline import get_plotlyjs

    ana, cleo = urls["ana"], urls["cleo"]
    pages = {"upload preview": urls["preview_html"]}
    for name, url in {"dashboard": "/", "lot": urls["lot"], "other lot": urls["other_lot"], "run": urls["run"],
                      "report": f"{urls['run']}/files/report.html", "search": f"/search?q={SCRIPT}",
                      "search bidi": "/search?q=%E2%80%AE"}.items():
        response = ana.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.text
    for name, url in {"clinical": "/clinical", "clinical run": urls["clinical_run"],
                      "clinical report": f"{urls['clinical_run']}/files/report.html"}.items():
        response = cleo.get(url)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.text
    bundle = get_plotlyjs()
    for name, html in pages.items():
        _assert_inert(name, html.replace(bundle, ""))
    shown = make_visible(LOTS["lot_A"])  # '=1+1 [U+202E]A[U+202C]<script>...' once escaped
    assert "[U+202E]A[U+202C]&lt;script&gt;" in pages["dashboard"] and "[U+202E]A[U+202C]" in pages["lot"]
    assert shown.split("<")[0] in pages["dashboard"]
    assert "lot[U+202E]A[U+202C]" in pages["clinical report"]  # a hostile lot of the trial, in the figures' JSON too

    for url in ("/lots.tsv", f"{urls['run']}/files/proteins.tsv", f"{urls['run']}/files/samples.tsv"):
        text = ana.get(url).text
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter="\t") for cell in row]
        bad = [cell[:40] for cell in cells if is_formula_like(cell) or has_invisible(cell)]
        assert cells and not bad, (url, bad[:5])
    scores = cleo.get(f"{urls['clinical_run']}/files/lots.tsv").text
    assert "'=1+1" in scores and not [c for c in scores.split("\t") if has_invisible(c)]


@pytest.fixture(scope="module")
def live_server(app):
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


@pytest.mark.browser
def test_no_injected_script_runs_in_chromium_on_the_app_pages(urls, live_server):
    from test_report import _browser_available

    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    pages = {"ana": ["/", urls["lot"], urls["other_lot"], urls["run"], f"/search?q={MARK}"],
             "cleo": ["/clinical", urls["clinical_run"]]}
    problems = _browse_logged_in(live_server, pages)
    assert all(found == [] for found in problems.values()), problems


def _browse_logged_in(base: str, pages: dict[str, list[str]]) -> dict[str, list[str]]:
    """Log in as each user in Chromium, open their pages (report frames included), watch for what an
    injected script would cause."""
    from playwright.sync_api import sync_playwright
    from test_report import CHROMIUM, CHROMIUM_ARGS

    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for user, paths in pages.items():
            context = browser.new_context(viewport={"width": 1300, "height": 900})
            page = context.new_page()
            problems: list[str] = []
            page.on("dialog", lambda dialog, problems=problems: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
            page.on("pageerror", lambda error, problems=problems: problems.append(f"page error: {error}"))
            page.on("console", lambda m, problems=problems: problems.append(f"console: {m.text}") if m.type == "error" else None)
            page.goto(f"{base}/login")
            page.fill("input[name=name]", user)
            page.fill("input[name=password]", PASSWORDS[user])
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            for path in paths:
                response = page.goto(f"{base}{path}")
                if response is None or response.status != 200:
                    problems.append(f"{path}: status {response.status if response else None}")
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(500)
                frames_marked = [frame.evaluate("() => window.__pwned !== undefined") for frame in page.frames]
                if any(frames_marked):
                    problems.append(f"{path}: window.__pwned was set")
                found[f"{user} {path}"] = list(problems)
                problems.clear()
            context.close()
        browser.close()
    return found
