"""The HTML report: self-contained, renders every figure, and opens cleanly in headless chromium."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from test_profile import anndata_from_simulation

from secretome.datasets import DEMO_PARAMETERS, simulate_secretome
from conftest import profiled, run_profile
from secretome.report import render_report, write_report
from secretome.report.plots import all_figures

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture(scope="module")
def summary():
    simulated = simulate_secretome(**DEMO_PARAMETERS)
    return profiled(anndata_from_simulation(simulated), group="lot")[1]


@pytest.fixture(scope="module")
def report(tmp_path_factory, summary) -> Path:
    # sections other stages add are data drawn by a partial (here the immunoassay panel's), never HTML
    panel = {"model": "5pl", "weights": "1/y^2", "panel": {"columns": ["analyte", "lot_A median"],
                                                          "rows": [{"analyte": "extra-panel-IL6", "lot_A median": 12.5}]}}
    extra = [{"id": "stats-demo", "title": "Extra section", "partial": "immunoassay", "data": panel,
              "figures": [{"data": [{"type": "bar", "x": ["a", "b"], "y": [1, 2]}], "layout": {"title": "extra"}}]},
             {"id": "untitled-demo", "title": "Untitled panel", "partial": "immunoassay", "data": panel, "show_title": False}]
    return write_report(summary, tmp_path_factory.mktemp("report") / "report.html", extra_sections=extra)


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert html.count("<script") == html.count("</script>")
    assert not re.search(r"<script[^>]+src=", html), "no external scripts"
    assert "<link" not in html and "@import" not in html
    assert html.count('id="plotly-bundle"') == 1, "plotly.js carried exactly once"
    assert "cdn.plot.ly" not in html.split("</head>")[1]


def test_plotly_js_is_carried_compressed_and_is_the_pinned_bundle(report):
    """The page carries plotly.js once, gzip + base64 (less than half its size), and the payload unpacks to the
    pinned plotly package's bundle, whose version and SHA-256 the page states."""
    import base64
    import gzip
    import hashlib

    from plotly.offline import get_plotlyjs

    html = report.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/x-gzip-base64" id="plotly-bundle" data-version="([^"]+)" '
                      r'data-sha256="([0-9a-f]{64})">([^<]+)</script>', html)
    assert found, "the compressed bundle element"
    code = gzip.decompress(base64.b64decode(found.group(3)))
    assert code == get_plotlyjs().encode("utf-8") and hashlib.sha256(code).hexdigest() == found.group(2)
    assert f"plotly.js v{found.group(1)}" in code.decode("utf-8")[:400] and f"plotly.js {found.group(1)}" in html
    assert len(found.group(3)) < 0.5 * len(code) and len(html.encode("utf-8")) < 0.6 * len(code)



def test_the_cached_plotly_payload_is_used_only_when_it_decompresses_to_the_bundle(tmp_path, monkeypatch):
    """The compressed bundle kept in the cache folder is taken only when it gives back the very bytes of the
    installed bundle; a damaged, foreign or unreadable one is replaced by a fresh compression."""
    import base64
    import gzip

    from secretome import plotlyjs

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code = b"/* plotly.js v9.9.9 */ var x = 1;" * 50
    digest = "ab" * 32
    fresh = plotlyjs._payload(code, digest)
    assert gzip.decompress(base64.b64decode(fresh)) == code
    cached = next(tmp_path.rglob("plotly-*.js.gz.b64"))
    assert cached.read_text(encoding="ascii") == fresh and plotlyjs._payload(code, digest) == fresh
    for foreign in (base64.b64encode(gzip.compress(code + b"alert(1)")).decode(), fresh[:-8], "not base64 at all!"):
        cached.write_text(foreign, encoding="ascii")
        assert plotlyjs._payload(code, digest) == fresh and cached.read_text(encoding="ascii") == fresh


def test_plotly_banner_version_is_the_first_word_after_the_first_banner():
    """The bundle's version is read from its bytes as the text's first ``plotly.js v`` banner gives it; a bundle
    without a banner falls back to the package's version (None here)."""
    from secretome.plotlyjs import _banner_version

    assert _banner_version(b"/**\n* plotly.js v4.1.1\n* Copyright\n*/ plotly.js v9") == "4.1.1"
    assert _banner_version(b"plotly.js v 2.0.0-rc.1 */") == "2.0.0-rc.1"
    assert _banner_version(b"var Plotly = {};") is None

def test_every_figure_has_a_target_and_valid_json(report, summary):
    html = report.read_text(encoding="utf-8")
    figures = re.findall(r'<script type="application/json" data-figure="([^"]+)">(.*?)</script>', html, flags=re.S)
    assert len(figures) == len(all_figures(summary)) + 1
    assert "extra-panel-IL6" in html and "<h2>Extra section</h2>" in html and "<h2>Untitled panel</h2>" not in html
    for target, payload in figures:
        assert f'id="{target}"' in html, target
        spec = json.loads(payload.replace("<\\/", "</"))
        assert spec["data"], target
    assert "extra-panel-IL6" in html


def test_figures_are_valid_plotly_json(stats_report):
    """The figures are built as plain JSON dicts (no graph_objects, which cost ~2 s per report): plotly's own
    validator accepts every property of every figure, and the comparability and volcano figures are there."""
    import plotly.graph_objects as go

    summary = json.loads((stats_report.parent / "profile.json").read_text(encoding="utf-8"))
    figures = all_figures(summary)
    assert {"purity-indices", "identifications", "correlation", "volcano", "control-chart"} <= set(figures)
    for key, figure in figures.items():
        validated = go.Figure(figure)  # raises ValueError on any property plotly does not know
        assert len(validated.data) == len(figure["data"]), key
        assert json.loads(validated.to_json())["layout"]["template"] == figure["layout"]["template"], key
    indices = figures["purity-indices"]["layout"]
    assert [a["text"] for a in indices["annotations"][: len(summary["purity"]["flagged"])]] == summary["purity"]["flagged"]
    assert len(indices["shapes"]) == 2 * len(summary["purity"]["flagged"])  # a warn and a fail line per index


def test_report_states_verdict_rules_and_drivers(summary):
    html = render_report(summary)
    assert "fail: lysis_share 0.3 &gt; 0.25 (qc_thresholds.toml: lysis_share.fail)" in html
    assert "CON__P02769" in html  # the serum driver table names bovine albumin
    assert "Mixed human/bovine groups counted as serum" in html
    for section in ("verdicts", "purity", "qc", "functional", "key-factors-section", "groups", "methods"):
        assert f'<section id="{section}">' in html


def _browser_available() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"needs Debian chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs the playwright package (pip install playwright)"
    return None


@pytest.fixture(scope="module")
def stats_report(tmp_path_factory) -> Path:
    """A demo profile with every statistics section: preprocessing, differential (volcano), enrichment and
    lot comparability (control chart)."""
    return run_profile(demo=True, design="~ lot", contrast="lot_B-lot_A", reference=["lot_A"],
                       out=tmp_path_factory.mktemp("stats-report") / "run")


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory) -> Path:
    """The one page of a ``compare`` run on the demo."""
    from secretome import datasets
    from secretome.jobs import compare_job

    paths = datasets.demo_paths()
    out = tmp_path_factory.mktemp("compare") / "run"
    return compare_job(paths["table"], out, samples=paths["samples"], design="~ lot", contrast="lot_B-lot_A").out / "report.html"


@pytest.fixture(scope="module")
def comparability_page(tmp_path_factory) -> Path:
    """The one page of a ``comparability`` run on the demo."""
    from secretome import datasets
    from secretome.jobs import comparability_job

    paths = datasets.demo_paths()
    out = tmp_path_factory.mktemp("lots") / "run"
    return comparability_job(paths["table"], out, samples=paths["samples"], reference=["lot_A"]).out / "report.html"


def test_the_report_is_redrawn_from_profile_json_alone(stats_report):
    """profile.json is the report's only input: rendering it again gives the same page, byte for byte;
    so does the summary rebuilt from dataset.h5ad."""
    from secretome.io import read_h5ad
    from secretome.summary import build_summary

    run = stats_report.parent
    summary = json.loads((run / "profile.json").read_text(encoding="utf-8"))
    assert render_report(summary) == stats_report.read_text(encoding="utf-8")
    rebuilt = build_summary(read_h5ad(run / "dataset.h5ad"))
    assert json.loads(json.dumps(rebuilt)) == summary


def test_first_screen_answers_per_lot(stats_report):
    """The first section: per lot its purity verdict, the four seed classes' shares and the comparison with the
    reference lot, before any per-sample table."""
    html = stats_report.read_text(encoding="utf-8")
    summary = json.loads((stats_report.parent / "profile.json").read_text(encoding="utf-8"))
    first = html.index("<section")
    assert html.index('<section id="overview">') == first < html.index('<section id="verdicts">')
    cards = {card["level"]: card for card in summary["overview"]}
    assert set(cards) == {"lot_A", "lot_B"}
    assert cards["lot_B"]["lot_verdict"] == summary["comparability"]["lot_verdicts"]["lot_B"]
    for level, card in cards.items():
        mean_share = summary["functional"]["per_group"][level]["mean_share"]
        assert card["seed_shares"] == {name: mean_share[name] for name in summary["functional"]["seed_classes"]}
        for name in ("lubricating", "anti_inflammatory", "growth_factor", "antimicrobial"):
            assert name in card["seed_shares"]


@pytest.mark.browser
@pytest.mark.parametrize("which", ["report", "stats_report", "compare_page", "comparability_page"])
def test_report_renders_in_headless_chromium(which, request):
    """Every kind of page renders every figure, offers no control that could send data off the machine
    (no plotly cloud, Chart Studio or 'Share' button, no link leaving the page) and makes no request."""
    report = request.getfixturevalue(which)
    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:", "blob:")) else None)
        page.goto(report.resolve().as_uri())
        wanted = page.eval_on_selector_all("script[data-figure]", "nodes => nodes.map(n => n.dataset.figure)")
        inline = page.eval_on_selector_all(".plotly-graph-div", "nodes => nodes.map(n => n.id)")
        wanted += inline
        sections = page.eval_on_selector_all("section[id]", "nodes => nodes.map(n => n.id)")
        page.wait_for_function(
            "n => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.querySelector('.main-svg')).length === n",
            arg=len(wanted), timeout=30000,
        )
        rendered = page.eval_on_selector_all(".js-plotly-plot .main-svg", "nodes => nodes.map(n => n.closest('.js-plotly-plot').id)")
        rendered = sorted(set(rendered))
        bars = page.eval_on_selector_all("#fig-purity-partition .main-svg .bars path", "nodes => nodes.length")
        buttons = page.eval_on_selector_all(".modebar-btn", "nodes => nodes.map(n => (n.getAttribute('data-title') || '') + ' ' + (n.getAttribute('data-attr') || '') + ' ' + (n.getAttribute('data-val') || ''))")
        links = page.eval_on_selector_all("a[href]", "nodes => nodes.map(n => n.getAttribute('href'))")
        forms = page.eval_on_selector_all("form, iframe, img[src^='http'], link[href^='http']", "nodes => nodes.length")
        browser.close()
    assert buttons, "the figures have their (local) mode bar"
    off_machine = [b for b in buttons if re.search(r"cloud|chart studio|share|plotly\.com|edit", b, flags=re.I)]
    assert off_machine == [], off_machine
    assert all(link.startswith("#") for link in links), links
    assert forms == 0
    assert errors == []
    assert requests == [], "the report must not touch the network"
    assert rendered == sorted(wanted)
    if which in ("report", "stats_report"):
        assert bars >= 12  # one stacked bar per demo sample at least
    if which == "stats_report":  # volcano and the lot control chart, inside their sections
        assert {"fig-volcano", "fig-control-chart"} <= set(wanted)
        assert {"overview", "preprocessing", "differential", "enrichment", "comparability"} <= set(sections)
    if which == "compare_page":
        assert "fig-volcano" in wanted and {"preprocessing", "differential", "enrichment"} <= set(sections)
    if which == "comparability_page":
        assert wanted == ["fig-control-chart"] and "comparability" in set(sections)


def test_many_samples_omit_the_heatmap_but_keep_every_other_figure():
    import numpy as np
    from test_qc import make_annotated

    rng = np.random.default_rng(2)
    n = 310
    proteins = [{"secretion_class": c, "gene": f"G{i}"} for i, c in
                enumerate(["secreted"] * 30 + ["intracellular"] * 10 + ["ev_cargo"] * 5 + ["contaminant_serum"] * 5)]
    values = np.exp2(rng.normal(22, 2, (1, 50)) + rng.normal(0, 0.3, (n, 50)))
    adata = make_annotated(values, proteins, obs={"lot": [f"L{i % 3}" for i in range(n)]})
    summary = profiled(adata, group="lot")[1]
    assert summary["qc"]["correlation"]["matrix"] == []
    assert "max_heatmap_samples" in summary["qc"]["correlation"]["note"]
    figures = all_figures(summary)
    assert "correlation" not in figures and "pca" in figures
    html = render_report(summary)
    assert "heatmap omitted" in html


@pytest.mark.browser
def test_first_screen_screenshot_shows_every_lot_verdict_and_seed_share(stats_report, tmp_path):
    """On a 1400 x 900 screen the page opens on the lots: each lot's purity verdict, its four seed-class
    shares and its comparison with the reference are inside the first screenful (and in its screenshot)."""
    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    from secretome.report import _pct

    summary = json.loads((stats_report.parent / "profile.json").read_text(encoding="utf-8"))
    shot = tmp_path / "first-screen.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(stats_report.resolve().as_uri())
        page.screenshot(path=str(shot))
        visible = page.eval_on_selector_all(
            ".lot-card", """cards => cards.map(card => {
                const box = card.getBoundingClientRect();
                return {text: card.innerText, bottom: box.bottom, right: box.right};
            })""")
        browser.close()
    assert shot.stat().st_size > 20_000
    assert len(visible) == len(summary["overview"])
    for card, seen in zip(summary["overview"], visible):
        assert seen["bottom"] <= 900 and seen["right"] <= 1400, card["level"]
        assert card["level"] in seen["text"] and card["purity_status"] in seen["text"]
        for share in card["seed_shares"].values():
            assert _pct(share) in seen["text"]
        if card["lot_verdict"]:
            assert card["lot_verdict"] in seen["text"]
