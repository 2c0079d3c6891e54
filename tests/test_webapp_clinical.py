"""Clinical data in the app: only users with the clinical grant (independent of the lab role) upload, run and
see outcomes runs; everyone else gets 404 on them, never sees them listed; every view is audited.
Runs on SQLite and PostgreSQL (see registry_support); one outcomes run of the demo trial per database."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from secretome.clinical_datasets import write_demo_trial
from secretome.errors import SecretomeInputError
from secretome.registry import audit, auth, services
from secretome.registry.models import AuditEntry, Lot, LotMetric, Run, StoredFile, User
from secretome.registry.worker import Worker
from secretome.webapp.app import create_app

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)

PASSWORDS = {"ada": "admin-password", "paul": "approver-password", "vera": "viewer-password", "cleo": "clinic-password"}
ROLES = {"ada": "admin", "paul": "approver", "vera": "viewer", "cleo": "viewer"}
OTHERS = ("ada", "paul", "vera")  # lab roles up to admin, without the clinical grant


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    return write_demo_trial(tmp_path_factory.mktemp("trial"))


@pytest.fixture
def app(registry, trial):
    with registry.session() as session:
        for name, role in ROLES.items():
            auth.add_user(session, name, role, PASSWORDS[name], clinical=(name == "cleo"))
        seed_lot_composition(session, trial)
    return create_app(registry, embedded_worker=False, max_upload_bytes=2 << 20)


def seed_lot_composition(session, trial) -> None:
    """The demo trial's lots registered, with the composition of a finished profile run (as its metrics)."""
    import pandas as pd

    composition = pd.read_csv(trial["lots"] / "composition.tsv", sep="\t", dtype={"lot": str}).set_index("lot")
    preparation = services.create_preparation(session, "ada", {"name": "BM-MSC serum-free"})
    run = Run(kind="profile", parameters={}, status="done", created_by="ada")
    session.add(run)
    session.flush()
    for number, values in composition.iterrows():
        lot = services.create_lot(session, "ada", {"number": number, "preparation_id": preparation.id})
        for column, value in values.items():
            metric = column.replace("key_factor:", "factor:")
            session.add(LotMetric(run_id=run.id, lot_id=lot.id, metric=metric, value=float(value)))


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


def trial_files(trial, roles=("records", "dictionary", "events", "treatments")):
    return {role: (trial[role].name, trial[role].read_bytes()) for role in roles}


def views(registry, run_id: int) -> list[AuditEntry]:
    with registry.read() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == "view", AuditEntry.object_id == str(run_id))
                                    .order_by(AuditEntry.id)).scalars())


def test_clinical_user_runs_outcomes_others_get_404_and_every_view_is_audited(app, registry, trial):
    cleo = login(app, "cleo")
    assert cleo.get("/clinical").status_code == 200
    others = {name: login(app, name) for name in OTHERS}
    for client in others.values():
        assert client.get("/clinical").status_code == 404
        assert "/clinical" not in client.get("/").text  # no link to it either
        refused = client.post("/clinical/runs", data={"csrf": client.csrf}, files=trial_files(trial), follow_redirects=False)
        assert refused.status_code == 404
    with registry.read() as session:  # the refused uploads stored nothing
        assert session.execute(select(func.count(Run.id)).where(Run.clinical.is_(True))).scalar() == 0
        assert session.execute(select(func.count()).select_from(StoredFile)).scalar() == 0

    response = cleo.post("/clinical/runs", data={"csrf": cleo.csrf}, files=trial_files(trial), follow_redirects=False)
    assert response.status_code == 303, response.text
    run_url = response.headers["location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    assert Worker(registry).run_once() == run_id
    with registry.read() as session:
        run = session.get(Run, run_id)
        assert run.status == "done", run.error
        assert run.clinical and run.dataset_id is None and run.command.startswith("secretome outcomes ")
        assert "--key-file" in run.command and set(run.input_checksums) == {"records", "dictionary", "events", "treatments"}
    assert services.pseudonym_key(registry.data_dir).is_file()

    page = cleo.get(run_url)
    assert page.status_code == 200 and "clinical trial" in page.text and f'src="/runs/{run_id}/files/report.html"' in page.text
    report = cleo.get(f"/runs/{run_id}/files/report.html")
    assert report.status_code == 200 and "sandbox allow-scripts" in report.headers["content-security-policy"]
    lots = cleo.get(f"/runs/{run_id}/files/lots.tsv")
    assert lots.status_code == 200 and "L01" in lots.text  # composition resolved from the registry's lots
    assert cleo.get(f"/runs/{run_id}/status.json").json()["status"] == "done"
    assert f'href="/runs/{run_id}"' in cleo.get("/clinical").text
    seen = views(registry, run_id)
    assert [(e.actor, e.after["view"]) for e in seen] == [("cleo", "page"), ("cleo", "file report.html"), ("cleo", "file lots.tsv")]

    # the JSON API: the same grant, the same audit
    with registry.session() as session:
        cleo_token = auth.new_token(session, auth.find_user(session, "cleo"))
        ada_token = auth.new_token(session, auth.find_user(session, "ada"))
    api = TestClient(app)
    as_cleo, as_ada = {"Authorization": f"Bearer {cleo_token}"}, {"Authorization": f"Bearer {ada_token}"}
    state = api.get(f"/api/v1/runs/{run_id}", headers=as_cleo).json()
    assert state["clinical"] is True and state["status"] == "done" and state["summary"]["patients"] > 0
    assert "plotly" in api.get(f"/api/v1/runs/{run_id}/report", headers=as_cleo).text
    assert api.get(f"/api/v1/runs/{run_id}/files/scores.tsv", headers=as_cleo).status_code == 200
    assert [r["id"] for r in api.get("/api/v1/clinical/runs", headers=as_cleo).json()] == [run_id]
    assert [e.after["view"] for e in views(registry, run_id)][3:] == ["api run", "api report", "api file scores.tsv"]
    queued = api.post("/api/v1/clinical/runs", headers=as_cleo, files=trial_files(trial, ("records", "treatments")))
    assert queued.status_code == 200, queued.text

    # everyone else: 404 exactly as for a run that does not exist, nothing listed, nothing audited as a view
    n_views = len(views(registry, run_id))
    missing = run_id + 1000
    for client in others.values():
        for path in ("", "/status.json", "/files/report.html", "/files/scores.tsv"):
            assert client.get(f"/runs/{run_id}{path}").status_code == 404, path
            assert client.get(f"/runs/{missing}{path}").status_code == 404, path
        for page_url in ("/", "/search?q=OSDI", "/lots/1"):
            assert f"/runs/{run_id}" not in client.get(page_url).text
    for path in ("", "/report", "/files/report.html", "/files/scores.tsv"):
        assert api.get(f"/api/v1/runs/{run_id}{path}", headers=as_ada).status_code == 404, path
    assert api.get("/api/v1/clinical/runs", headers=as_ada).status_code == 404
    assert api.post("/api/v1/clinical/runs", headers=as_ada, files=trial_files(trial)).status_code == 404
    assert len(views(registry, run_id)) == n_views
    with registry.read() as session:
        assert session.execute(select(func.count(Run.id)).where(Run.clinical.is_(True))).scalar() == 2
        assert audit.verify(session).ok


def test_clinical_runs_need_the_grant_and_are_never_release_evidence(app, registry, trial):
    with registry.session() as session:
        cleo = session.execute(select(User).where(User.name == "cleo")).scalar_one()
        files = {role: (open(trial[role], "rb"), trial[role].name) for role in ("records", "treatments")}
        try:
            run = services.create_outcomes_run(session, registry.data_dir, cleo, files, {}, 2 << 20)
        finally:
            for handle, _ in files.values():
                handle.close()
        run.status = "done"
        ada = session.execute(select(User).where(User.name == "ada")).scalar_one()
        with pytest.raises(SecretomeInputError, match="no clinical grant"):
            services.create_outcomes_run(session, registry.data_dir, ada, {}, {}, 2 << 20)
        lot = session.execute(select(Lot).where(Lot.number == "L01")).scalar_one()
        with pytest.raises(SecretomeInputError, match="of a clinical trial, not of a dataset"):
            services.create_run(session, registry.data_dir, "ada", None, "outcomes", {})
        with pytest.raises(SecretomeInputError, match="evidence must be finished runs"):
            services.record_decision(session, ada, True, lot, "released", "fine", [run.id])


def test_cli_clinical_grant_is_separate_from_the_role_and_audited(tmp_path, monkeypatch, capsys):
    from conftest import run_main

    from secretome.registry.db import open_registry

    data = tmp_path / "data"
    code, out, err = run_main(monkeypatch, capsys, "users", "add", "cleo", "--role", "viewer", "--clinical",
                              "--data-dir", data, stdin=b"clinic-password\n")
    assert code == 0 and "clinical" in out, err
    code, out, err = run_main(monkeypatch, capsys, "users", "add", "ada", "--role", "admin", "--data-dir", data,
                              stdin=b"admin-password\n")
    assert code == 0, err
    code, out, _ = run_main(monkeypatch, capsys, "users", "list", "--data-dir", data)
    assert out.splitlines() == ["ada\tadmin\tactive", "cleo\tviewer\tactive\tclinical"]
    assert run_main(monkeypatch, capsys, "users", "grant-clinical", "ada", "--data-dir", data)[0] == 0
    assert run_main(monkeypatch, capsys, "users", "revoke-clinical", "cleo", "--data-dir", data)[0] == 0
    code, _, err = run_main(monkeypatch, capsys, "users", "grant-clinical", "nobody", "--data-dir", data)
    assert code == 2 and "no user 'nobody'" in err
    registry = open_registry(data)
    with registry.read() as session:
        assert [u.name for u in session.execute(select(User).where(User.clinical.is_(True))).scalars()] == ["ada"]
        changes = [(e.action, e.before, e.after["name"]) for e in session.execute(
            select(AuditEntry).where(AuditEntry.action.in_(("grant_clinical", "revoke_clinical"))).order_by(AuditEntry.id)).scalars()]
    registry.close()
    assert changes == [("grant_clinical", {"clinical": False}, "ada"), ("revoke_clinical", {"clinical": True}, "cleo")]
    code, out, _ = run_main(monkeypatch, capsys, "audit", "verify", "--data-dir", data)
    assert code == 0 and "intact" in out


def test_migration_0002_keeps_existing_users_and_runs_without_the_grant(tmp_path):
    from importlib import resources

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from secretome.registry.db import migrate, open_registry

    registry = open_registry(tmp_path / "data", migrate_schema=False)
    config = Config()
    config.set_main_option("script_location", str(resources.files("secretome.registry") / "migrations"))
    with registry.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        day, sha = "'2026-01-01'", "'" + "a" * 64 + "'"
        for statement in (
            f"INSERT INTO users (name, password_hash, role, active, created_at) VALUES ('old', 'x', 'admin', 1, {day})",
            f"INSERT INTO preparations VALUES (1, 'P', '', '', '', NULL, '', 'old', {day})",
            f"INSERT INTO stored_files VALUES ({sha}, '.txt', 1, {day})",
            f"INSERT INTO lots (id, number, preparation_id, donor, passage, produced_on, harvested_on, status, created_by,"
            f" created_at) VALUES (1, 'L1', 1, '', '', '', '', 'qc', 'old', {day})",
            f"INSERT INTO datasets (id, lot_id, file_sha256, original_name, sheet_name, format, reader, created_by, created_at)"
            f" VALUES (1, 1, {sha}, 't.txt', '', 'maxquant', '{{}}', 'old', {day})",
            f"INSERT INTO runs (id, dataset_id, lot_id, kind, parameters, status, step, log, error, engine_version, kb_version,"
            f" input_checksums, outputs, summary, command, attempts, worker, heartbeat_at, created_by, created_at, started_at,"
            f" finished_at) VALUES (1, 1, 1, 'profile', '{{}}', 'done', '', '', '', '', '', '{{}}', '[]', '{{}}', '', 1, '', '',"
            f" 'old', {day}, '', '')",
            "INSERT INTO lot_metrics (id, run_id, lot_id, metric, value) VALUES (1, 1, 1, 'serum_share', 0.1)",
        ):
            connection.execute(text(statement))
    migrate(registry)  # rebuilds runs (SQLite) while lot_metrics rows point at it
    with registry.read() as session:
        old = session.execute(select(User)).scalar_one()
        assert old.name == "old" and old.clinical is False and not auth.clinical_allowed(old)
        run = session.get(Run, 1)
        assert run.dataset_id == 1 and run.clinical is False
        assert session.execute(select(LotMetric.run_id)).scalar_one() == 1
    with registry.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
    registry.close()
