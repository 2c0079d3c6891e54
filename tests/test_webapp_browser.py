"""The whole path in a real browser (Playwright driving Debian's chromium) against a live server with its
embedded worker: log in, create a preparation and lots, upload the demo table with its sheet, watch the run
finish, open the report, release a lot with a signed decision, compare a new lot with it, sign its
decision; a viewer cannot upload or release; injected markup in a lot number or sample name never runs."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from secretome.datasets import demo_paths
from secretome.registry import auth

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORDS = {"ana": "analyst-password", "paul": "approver-password", "vera": "viewer-password"}
INJECTED = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

pytestmark = pytest.mark.browser


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"needs Debian chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install playwright)"
    return None


@pytest.fixture
def server(registry):
    import uvicorn

    from secretome.webapp.app import create_app

    with registry.session() as session:
        for name, role in (("ana", "analyst"), ("paul", "approver"), ("vera", "viewer")):
            auth.add_user(session, name, role, PASSWORDS[name])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(registry, embedded_worker=True)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def browser():
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _page(browser, base: str, name: str, problems: list[str]):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60000)
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text}") if message.type == "error" else None)
    page.on("request", lambda request: problems.append(f"off-machine request: {request.url}")
            if not request.url.startswith((base, "data:", "blob:", "about:")) else None)
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page


def _wait_for_run(page) -> None:
    page.wait_for_function("() => ['done', 'failed'].includes(document.getElementById('run-status').textContent)",
                           timeout=120000)
    assert page.inner_text("#run-status") == "done", page.inner_text("#run-error")


def test_browser_walk(server, browser, tmp_path):
    base = server
    problems: list[str] = []
    analyst = _page(browser, base, "ana", problems)

    analyst.fill("#new-preparation input[name=name]", "BM-MSC serum-free")
    analyst.fill("#new-preparation input[name=cell_source]", "BM-MSC")
    analyst.click("#new-preparation button")
    for number in ("lot_A", "lot_B"):
        analyst.goto(f"{base}/")
        analyst.fill("#new-lot input[name=number]", number)
        analyst.click("#new-lot button")
        analyst.wait_for_selector("#lot-number")
    assert analyst.inner_text("#lot-number") == "lot_B"

    paths = demo_paths()
    analyst.click("#upload-link")
    analyst.set_input_files("#table-input", str(paths["table"]))
    analyst.set_input_files("#samples-input", str(paths["samples"]))
    analyst.click("#upload-form button[type=submit]")
    analyst.wait_for_selector("#preview-summary")
    assert "maxquant, 112 proteins × 12 samples" in analyst.inner_text("#preview-summary")
    analyst.click("#register-form button")
    _wait_for_run(analyst)
    profile_run = analyst.url.rsplit("/", 1)[1]
    frame = analyst.frame_locator("#report-frame")
    frame.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60000)

    approver = _page(browser, base, "paul", problems)
    approver.goto(f"{base}/lots/1")
    approver.fill("#decision-form textarea[name=justification]", "Purity and QC within limits.")
    approver.fill("#decision-form input[name=password]", PASSWORDS["paul"])
    approver.click("#decision-form button")
    approver.wait_for_selector(".decision")
    assert approver.inner_text("#lot-status") == "released"

    analyst.goto(f"{base}/lots/2")
    analyst.check("#comparability-form input[name=p_reference][value=lot_A]")
    analyst.click("#comparability-form button")
    _wait_for_run(analyst)
    analyst.frame_locator("#report-frame").locator("body").wait_for()
    comparability_run = analyst.url.rsplit("/", 1)[1]

    approver.goto(f"{base}/lots/2")
    try:
        approver.wait_for_selector("#trend-plot .main-svg", timeout=30000)
    except Exception as error:
        raise AssertionError(f"trend chart not drawn: {problems}") from error
    for box in approver.query_selector_all("#decision-form input[name=evidence]"):
        if box.get_attribute("value") not in (profile_run, comparability_run):
            box.uncheck()
    approver.fill("#decision-form textarea[name=justification]", "Comparable to lot_A on every key factor.")
    approver.fill("#decision-form input[name=password]", PASSWORDS["paul"])
    approver.click("#decision-form button")
    approver.wait_for_selector(".decision")
    assert approver.inner_text("#lot-status") == "released"

    viewer = _page(browser, base, "vera", problems)
    viewer.goto(f"{base}/lots/2")
    assert viewer.query_selector("#upload-link") is None and viewer.query_selector("#decision-form") is None
    response = viewer.goto(f"{base}/lots/2/upload")
    assert response.status == 403 and "may not" in viewer.inner_text("#error-message")
    problems.remove("console: Failed to load resource: the server responded with a status of 403 (Forbidden)")

    # injected markup in a lot number and in a sample name is shown as text and never runs
    analyst.goto(f"{base}/")
    analyst.fill("#new-lot input[name=number]", INJECTED)
    analyst.click("#new-lot button")
    analyst.wait_for_selector("#lot-number")
    assert analyst.inner_text("#lot-number") == INJECTED
    analyst.goto(f"{base}/")
    assert INJECTED in analyst.inner_text("#lots")
    table = tmp_path / "injected_proteinGroups.txt"
    text = Path(paths["table"]).read_text(encoding="utf-8")
    table.write_text(text.replace("CM_A1", INJECTED.replace('"', "'")), encoding="utf-8")
    analyst.goto(f"{base}/lots/3/upload")
    analyst.set_input_files("#table-input", str(table))
    analyst.click("#upload-form button[type=submit]")
    analyst.wait_for_selector("#preview-samples")
    assert INJECTED.replace('"', "'") in analyst.inner_text("#preview-samples")
    for page in (analyst, approver, viewer):
        assert page.evaluate("() => window.__xss === undefined")
    assert not problems, problems
