"""The web app through FastAPI's TestClient: login, CSRF, roles, the upload-preview-register-run path,
reports, the JSON API, escaping and error pages. Runs on SQLite and PostgreSQL (see registry_support)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from secretome.datasets import demo_paths
from secretome.registry import auth
from secretome.registry.models import Dataset, Lot
from secretome.registry.worker import Worker
from secretome.webapp.app import create_app

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)

PASSWORDS = {"ada": "admin-password", "ana": "analyst-password", "paul": "approver-password", "vera": "viewer-password"}
ROLES = {"ada": "admin", "ana": "analyst", "paul": "approver", "vera": "viewer"}


@pytest.fixture
def app(registry):
    with registry.session() as session:
        for name, role in ROLES.items():
            auth.add_user(session, name, role, PASSWORDS[name])
    return create_app(registry, embedded_worker=False, max_upload_bytes=2 << 20)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "page has a form with a CSRF token"
    return match.group(1)


def login(app, name: str) -> TestClient:
    client = TestClient(app)
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name], "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    client.csrf = csrf_of(client.get("/").text)  # type: ignore[attr-defined]
    return client


def make_lots(client, numbers=("lot_A", "lot_B")) -> dict[str, int]:
    response = client.post("/preparations", data={"csrf": client.csrf, "name": "BM-MSC serum-free", "cell_source": "BM-MSC"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    ids = {}
    for number in numbers:
        response = client.post("/lots", data={"csrf": client.csrf, "number": number, "preparation_id": "1"}, follow_redirects=False)
        assert response.status_code == 303, response.text
        ids[number] = int(response.headers["location"].rsplit("/", 1)[1])
    return ids


def upload_demo(client, lot_id: int):
    paths = demo_paths()
    with open(paths["table"], "rb") as table, open(paths["samples"], "rb") as sheet:
        return client.post(f"/lots/{lot_id}/upload", data={"csrf": client.csrf},
                           files={"table": ("proteinGroups.txt", table), "samples": ("sheet.tsv", sheet)}, follow_redirects=False)


def test_login_sets_a_strict_httponly_cookie_and_pages_send_a_strict_csp(app):
    client = TestClient(app)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    response = client.post("/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": csrf_of(page.text)},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "secretome_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "<script>" not in client.get("/").text  # no inline scripts at all


def test_login_needs_its_csrf_token_and_is_rate_limited(app):
    client = TestClient(app)
    client.get("/login")
    assert client.post("/login", data={"name": "ana", "password": PASSWORDS["ana"]}).status_code == 403
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        assert client.post("/login", data={"name": "ana", "password": "wrong-password", "csrf": token}).status_code == 401
    blocked = client.post("/login", data={"name": "ana", "password": PASSWORDS["ana"], "csrf": token})
    assert blocked.status_code == 429 and "too many failed logins" in blocked.text and "Retry-After" in blocked.headers


def test_forms_without_the_sessions_csrf_token_are_refused(app):
    client = login(app, "ana")
    response = client.post("/preparations", data={"name": "x"})
    assert response.status_code == 403 and "security token" in response.text
    assert client.post("/preparations", data={"name": "x", "csrf": "forged"}).status_code == 403


def test_upload_preview_register_profile_and_report(app, registry):
    client = login(app, "ana")
    ids = make_lots(client)
    response = upload_demo(client, ids["lot_B"])
    assert response.status_code == 303
    preview = client.get(response.headers["location"])
    assert "maxquant, 112 proteins × 12 samples" in preview.text
    with registry.session() as session:  # nothing is registered before the user confirms
        assert session.execute(select(func.count(Dataset.id))).scalar() == 0
    token = response.headers["location"].rsplit("/", 1)[1]
    assert login(app, "paul").get(f"/uploads/{token}").status_code in (403, 404)  # not the uploader's: invisible
    registered = client.post(f"/uploads/{token}/register", data={"csrf": client.csrf}, follow_redirects=False)
    assert registered.status_code == 303
    run_url = registered.headers["location"]
    assert "queued" in client.get(run_url).text
    Worker(registry).run_once()
    page = client.get(run_url).text
    assert "done" in page and 'sandbox="allow-scripts"' in page
    run_id = int(run_url.rsplit("/", 1)[1])
    report = client.get(f"/runs/{run_id}/files/report.html")
    csp = report.headers["content-security-policy"]
    assert report.status_code == 200 and "sandbox allow-scripts" in csp and "'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    table = client.get(f"/runs/{run_id}/files/proteins.tsv")
    assert table.status_code == 200 and "attachment" in table.headers["content-disposition"]
    assert client.get(f"/runs/{run_id}/files/..%2Fregistry.sqlite3").status_code in (400, 404)
    lot_page = client.get(f"/lots/{ids['lot_B']}").text
    assert 'id="trend-data"' in lot_page and "serum_share" in lot_page
    hits = client.get("/search", params={"q": "HGF"}).text
    assert "lot_A" in hits and "lot_B" in hits
    assert client.get("/lots.tsv").text.startswith("lot\tpreparation\tstatus")


def test_a_bad_sheet_shows_the_readers_message_and_stores_nothing(app, registry, tmp_path):
    client = login(app, "ana")
    ids = make_lots(client)
    sheet = tmp_path / "sheet.tsv"
    sheet.write_text("sample\tlot\nCM_A1\tlot_A\nNOT_THERE\tlot_B\n")
    with open(demo_paths()["table"], "rb") as table, open(sheet, "rb") as handle:
        response = client.post(f"/lots/{ids['lot_A']}/upload", data={"csrf": client.csrf},
                               files={"table": ("proteinGroups.txt", table), "samples": ("sheet.tsv", handle)})
    assert response.status_code == 200 and 'id="preview-error"' in response.text
    assert "NOT_THERE" in response.text and "Traceback" not in response.text and "register-form" not in response.text
    with registry.session() as session:
        assert session.execute(select(func.count(Dataset.id))).scalar() == 0


def test_viewer_cannot_write_upload_or_release_and_unknown_ids_are_404(app):
    analyst = login(app, "ana")
    ids = make_lots(analyst)
    viewer = login(app, "vera")
    assert viewer.get(f"/lots/{ids['lot_A']}").status_code == 200
    assert viewer.get(f"/lots/{ids['lot_A']}/upload").status_code == 403
    assert upload_demo(viewer, ids["lot_A"]).status_code == 403
    assert viewer.post("/lots", data={"csrf": viewer.csrf, "number": "x", "preparation_id": "1"}).status_code == 403
    decision = viewer.post(f"/lots/{ids['lot_A']}/decision", data={"csrf": viewer.csrf, "verdict": "released",
                                                                   "justification": "x", "password": PASSWORDS["vera"]})
    assert decision.status_code == 403
    assert analyst.post(f"/lots/{ids['lot_A']}/decision", data={"csrf": analyst.csrf, "verdict": "released",
                                                                 "justification": "x", "password": PASSWORDS["ana"]}).status_code == 403
    assert viewer.get("/lots/9999").status_code == 404 and viewer.get("/runs/9999").status_code == 404
    assert "decision-form" not in viewer.get(f"/lots/{ids['lot_A']}").text


def test_signed_release_decision_and_comparability(app, registry):
    analyst = login(app, "ana")
    ids = make_lots(analyst)
    token = upload_demo(analyst, ids["lot_B"]).headers["location"].rsplit("/", 1)[1]
    run_url = analyst.post(f"/uploads/{token}/register", data={"csrf": analyst.csrf}, follow_redirects=False).headers["location"]
    Worker(registry).run_once()
    run_id = run_url.rsplit("/", 1)[1]
    approver = login(app, "paul")
    wrong = approver.post(f"/lots/{ids['lot_A']}/decision", data={"csrf": approver.csrf, "verdict": "released",
                                                                  "justification": "QC pass", "evidence": run_id,
                                                                  "password": "not-my-password"})
    assert wrong.status_code == 400 and "not signed" in wrong.text
    signed = approver.post(f"/lots/{ids['lot_A']}/decision", data={"csrf": approver.csrf, "verdict": "released",
                                                                   "justification": "QC pass", "evidence": run_id,
                                                                   "password": PASSWORDS["paul"]}, follow_redirects=False)
    assert signed.status_code == 303
    with registry.session() as session:
        assert session.get(Lot, ids["lot_A"]).status == "released"
    lot_page = analyst.get(f"/lots/{ids['lot_B']}").text
    assert 'name="p_reference" value="lot_A"' in lot_page
    with registry.session() as session:
        dataset_id = session.execute(select(Dataset.id)).scalar()
    response = analyst.post("/runs", data={"csrf": analyst.csrf, "kind": "comparability", "dataset_id": str(dataset_id),
                                           "lot_id": str(ids["lot_B"]), "p_reference": "lot_A"}, follow_redirects=False)
    assert response.status_code == 303
    Worker(registry).run_once()
    page = analyst.get(response.headers["location"]).text
    assert "done" in page and "comparability_lots.tsv" in page and "report.html" in page


def test_user_text_is_escaped(app):
    client = login(app, "ana")
    client.post("/preparations", data={"csrf": client.csrf, "name": "<b>prep</b>"})
    response = client.post("/lots", data={"csrf": client.csrf, "number": "<script>alert(1)</script>", "preparation_id": "1"},
                           follow_redirects=False)
    lot_page = client.get(response.headers["location"]).text
    dashboard = client.get("/").text
    for html in (lot_page, dashboard):
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>prep</b>" not in dashboard


def test_json_api_with_bearer_tokens(app, registry):
    with registry.session() as session:
        token = auth.new_token(session, auth.find_user(session, "ana"))
        viewer_token = auth.new_token(session, auth.find_user(session, "vera"))
    client = TestClient(app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/health").json()["status"] == "ok"
    assert client.get("/api/v1/lots").status_code == 401
    assert client.get("/api/v1/lots", headers={"Authorization": "Bearer nope"}).status_code == 401
    prep = client.post("/api/v1/preparations", json={"name": "AD-MSC hPL"}, headers=bearer).json()["id"]
    lot = client.post("/api/v1/lots", json={"number": "lot_A", "preparation_id": prep}, headers=bearer).json()["id"]
    assert client.post("/api/v1/lots", json={"number": "L-2", "preparation_id": prep},
                       headers={"Authorization": f"Bearer {viewer_token}"}).status_code == 403
    paths = demo_paths()
    with open(paths["table"], "rb") as table, open(paths["samples"], "rb") as sheet:
        response = client.post("/api/v1/datasets", data={"lot": str(lot)}, headers=bearer,
                               files={"file": ("proteinGroups.txt", table), "samples": ("sheet.tsv", sheet)})
    assert response.status_code == 200, response.text
    dataset = response.json()["id"]
    bad = client.post("/api/v1/runs", json={"dataset": dataset, "kind": "profile", "parameters": {"x": 1}}, headers=bearer)
    assert bad.status_code == 400 and "unknown parameter" in bad.json()["error"]
    run = client.post("/api/v1/runs", json={"dataset": dataset, "kind": "profile"}, headers=bearer).json()["id"]
    assert client.get(f"/api/v1/runs/{run}", headers=bearer).json()["status"] == "queued"
    assert client.get(f"/api/v1/runs/{run}/report", headers=bearer).status_code == 400
    Worker(registry).run_once()
    state = client.get(f"/api/v1/runs/{run}", headers=bearer).json()
    assert state["status"] == "done" and state["command"].startswith("secretome profile")
    assert "plotly" in client.get(f"/api/v1/runs/{run}/report", headers=bearer).text
    assert client.get(f"/api/v1/runs/{run}/files/profile.json", headers=bearer).json()["n_samples"] == 12
    trend = client.get(f"/api/v1/lots/{lot}/trend", headers=bearer).json()
    assert trend["lot"] == "lot_A" and any(s["metric"] == "serum_share" for s in trend["series"])
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/health", "/api/v1/lots", "/api/v1/datasets", "/api/v1/runs", "/api/v1/runs/{run_id}",
                 "/api/v1/runs/{run_id}/report", "/api/v1/runs/{run_id}/files/{name}", "/api/v1/lots/{lot_id}/trend"):
        assert path in schema["paths"], path
    assert "/api/v1/lots/{lot_id}/trend" in client.get("/api/v1/docs").text


def test_uploads_over_the_limit_are_refused_before_storage(app, registry):
    client = login(app, "ana")
    ids = make_lots(client)
    response = client.post(f"/lots/{ids['lot_A']}/upload", data={"csrf": client.csrf},
                           files={"table": ("big.tsv", b"x" * (4 << 20))})
    assert response.status_code == 413
    assert not any((registry.data_dir / "store").rglob("*.tsv"))


def test_internal_errors_show_no_traceback(app, registry, monkeypatch):
    from secretome.registry import services

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    client = login(app, "ana")
    monkeypatch.setattr(services, "latest_profile_metrics", broken)
    page = TestClient(app.app, raise_server_exceptions=False, cookies=client.cookies).get("/")
    assert page.status_code == 500 and "secret internals" not in page.text and "Traceback" not in page.text


def test_downloads_neutralise_formula_cells(app):
    import io

    import openpyxl

    client = login(app, "ana")
    make_lots(client, numbers=('=HYPERLINK("http://x","y")', "@SUM(A1)"))
    tsv = client.get("/lots.tsv").text
    assert "'=HYPERLINK" in tsv and "\n'@SUM(A1)" in tsv
    assert not any(line.lstrip('"').startswith(("=", "@")) for line in tsv.splitlines())
    assert "'=HYPERLINK" in client.get("/lots.csv").text
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/lots.xlsx").content))
    cells = [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert '=HYPERLINK("http://x","y")' in cells and all(workbook.active.cell(r, 1).data_type == "s" for r in (2, 3))
    assert client.get("/lots.exe").status_code == 400


def test_dashboard_pages_through_many_lots(app, registry):
    from secretome.registry import services

    client = login(app, "ana")
    with registry.session() as session:
        prep = services.create_preparation(session, "ana", {"name": "UC-MSC"})
        for i in range(105):
            services.create_lot(session, "ana", {"number": f"L{i:03d}", "preparation_id": prep.id})
    first = client.get("/").text
    assert "L104" in first and "L004" not in first and 'id="older-lots"' in first
    second = client.get("/", params={"page": 2}).text
    assert "L004" in second and "L104" not in second and 'id="older-lots"' not in second
    assert client.get("/", params={"q": "L00", "status": "in_process"}).text.count('class="lot-link"') == 10
    assert client.get("/lots.tsv").text.count("\n") == 106  # downloads hold every matching lot
