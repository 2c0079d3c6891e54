"""The registry: migrations, store, audit chain, users, datasets, runs and the embedded worker.

Every test runs on SQLite and, where PostgreSQL 15 binaries exist, on a throwaway PostgreSQL cluster
(see ``registry_factory`` in conftest).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select, text

from secretome.datasets import demo_paths
from secretome.errors import SecretomeInputError
from secretome.registry import audit, auth, services, store
from secretome.registry.models import AuditEntry, Dataset, Lot, ProteinLevel, Run
from secretome.registry.worker import Worker, wait_for

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)


def stage_demo(registry):
    """Stage the shipped demo table and its sheet as one upload (not yet previewed or registered)."""
    paths = demo_paths()
    with open(paths["table"], "rb") as table, open(paths["samples"], "rb") as sheet:
        return services.stage_upload(registry.data_dir, "ana", 0, {"table": (table, paths["table"].name),
                                                                    "sheet": (sheet, paths["samples"].name)}, 50 << 20)


@pytest.fixture
def populated(registry):
    with registry.session() as session:
        auth.add_user(session, "ana", "analyst", "analyst-password")
        prep = services.create_preparation(session, "ana", {"name": "BM-MSC serum-free", "cell_source": "BM-MSC",
                                                            "conditioning_hours": "48"})
        lot_a = services.create_lot(session, "ana", {"number": "lot_A", "preparation_id": prep.id})
        lot_b = services.create_lot(session, "ana", {"number": "lot_B", "preparation_id": prep.id})
        ids = {"prep": prep.id, "lot_A": lot_a.id, "lot_B": lot_b.id}
    return registry, ids


def register_demo(registry, ids) -> int:
    _, folder = stage_demo(registry)
    preview = services.preview_staged(folder)
    assert preview["summary"]["format"] == "maxquant" and preview["summary"]["n_samples"] == 12
    with registry.session() as session:
        dataset = services.register_dataset(session, registry.data_dir, "ana", folder, session.get(Lot, ids["lot_B"]))
        return dataset.id


def test_migrations_are_idempotent_and_sqlite_uses_wal(registry):
    from secretome.registry.db import migrate

    migrate(registry)  # a second start applies nothing and fails nothing
    with registry.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"
        if not registry.is_postgresql:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_users_passwords_roles_and_tokens(registry):
    with registry.session() as session:
        user = auth.add_user(session, "vera", "viewer", "a-long-password")
        assert user.password_hash.startswith("$argon2")
        token = auth.new_token(session, user)
        with pytest.raises(SecretomeInputError, match="exists already"):
            auth.add_user(session, "vera", "viewer", "a-long-password")
        with pytest.raises(SecretomeInputError, match="unknown role"):
            auth.add_user(session, "x", "boss", "a-long-password")
        with pytest.raises(SecretomeInputError, match="too short"):
            auth.add_user(session, "y", "viewer", "short")
    with registry.session() as session:
        user = auth.find_user(session, "vera")
        assert auth.check_password(user, "a-long-password") and not auth.check_password(user, "wrong-password")
        assert not auth.check_password(None, "a-long-password")
        assert auth.user_for_token(session, token).name == "vera"
        assert auth.user_for_token(session, token + "x") is None
        assert auth.allowed(user, "read") and not auth.allowed(user, "write")
        stored = session.execute(text("SELECT token_sha256 FROM api_tokens")).scalar()
        assert token not in stored  # only the hash is kept


def test_store_is_content_addressed_and_refuses_unknown_types(tmp_path):
    (tmp_path / "staging").mkdir()
    staged = store.stage(tmp_path / "staging", io.BytesIO(b"a\tb\n1\t2\n"), "../../etc/passwd.tsv", 1000)
    target = store.commit(tmp_path, staged)
    assert target.name == staged.sha256 + ".tsv" and target.parent.parent == tmp_path / "store"
    again = store.stage(tmp_path / "staging", io.BytesIO(b"a\tb\n1\t2\n"), "copy.tsv", 1000)
    assert store.commit(tmp_path, again) == target and not again.path.exists()
    with pytest.raises(SecretomeInputError, match="unsupported file type"):
        store.stage(tmp_path / "staging", io.BytesIO(b"x"), "evil.sh", 1000)
    with pytest.raises(SecretomeInputError, match="larger than the limit"):
        store.stage(tmp_path / "staging", io.BytesIO(b"x" * 2000), "big.tsv", 1000)
    assert list((tmp_path / "staging").iterdir()) == []  # refused uploads leave nothing


def test_dataset_run_and_worker_end_to_end(populated):
    registry, ids = populated
    dataset_id = register_demo(registry, ids)
    with registry.session() as session:
        dataset = session.get(Dataset, dataset_id)
        lots = {s.sample: s.lot.number for s in dataset.samples}
        assert lots["CM_A1"] == "lot_A" and lots["CM_B1"] == "lot_B"  # the sheet's lot column decides
        run = services.create_run(session, registry.data_dir, "ana", dataset, "profile", {})
        run_id = run.id
        assert run.parameters == {"group": "lot"}
        assert run.command.startswith("secretome profile ") and "--group lot" in run.command
        assert run.input_checksums["table"] == dataset.file_sha256
    assert Worker(registry).run_once() == run_id
    run = wait_for(registry, run_id)
    assert run.status == "done", run.error
    names = {entry["name"] for entry in run.outputs}
    assert {"report.html", "profile.json", "proteins.tsv"} <= names
    assert run.summary["lot_qc"]["lot_B"] in ("pass", "warn", "fail")
    with registry.session() as session:
        metrics = services.latest_profile_metrics(session, [ids["lot_A"], ids["lot_B"]])
        assert 0 < metrics[ids["lot_B"]]["serum_share"] < 1 and "factor:HGF" in metrics[ids["lot_B"]]
        hgf = session.execute(select(ProteinLevel).where(ProteinLevel.gene == "HGF")).scalars().all()
        assert {level.lot_id for level in hgf} == {ids["lot_A"], ids["lot_B"]}
        run_row = session.get(Run, run_id)
        with pytest.raises(SecretomeInputError, match="has no output"):
            services.output_file(registry.data_dir, run_row, "../registry.sqlite3")


def test_bad_run_fails_visibly_with_the_engines_message(populated):
    registry, ids = populated
    dataset_id = register_demo(registry, ids)
    with registry.session() as session:
        dataset = session.get(Dataset, dataset_id)
        with pytest.raises(SecretomeInputError, match="unknown parameter"):
            services.create_run(session, registry.data_dir, "ana", dataset, "profile", {"rm": "-rf"})
        with pytest.raises(SecretomeInputError, match="has no samples in dataset"):
            services.create_run(session, registry.data_dir, "ana", dataset, "comparability", {"reference": ["lot_Z"]})
        run_id = services.create_run(session, registry.data_dir, "ana", dataset, "compare",
                                     {"design": "~ nosuchcolumn", "contrast": "a-b"}).id
    Worker(registry).run_once()
    run = wait_for(registry, run_id)
    assert run.status == "failed" and "nosuchcolumn" in run.error and "Traceback" not in run.error


def test_interrupted_run_is_resumed_then_failed_visibly(populated):
    registry, ids = populated
    dataset_id = register_demo(registry, ids)
    with registry.session() as session:
        run_id = services.create_run(session, registry.data_dir, "ana", session.get(Dataset, dataset_id), "profile", {}).id
    dead = Worker(registry, lease_seconds=0.0, max_attempts=2)
    assert dead.claim() == run_id  # claimed, then the worker "dies" without finishing
    with registry.session() as session:  # a dead process on this host: recovered at once
        session.execute(text("UPDATE runs SET worker = :w WHERE id = :i"), {"w": f"{dead.host}:999999999:dead", "i": run_id})
    survivor = Worker(registry, lease_seconds=3600, max_attempts=2)
    assert survivor.recover() == [run_id]
    with registry.session() as session:
        run = session.get(Run, run_id)
        assert run.status == "queued" and "interrupted" in run.log and "attempt 2 of 2" in run.log
    assert survivor.claim() == run_id
    with registry.session() as session:
        session.execute(text("UPDATE runs SET worker = :w WHERE id = :i"), {"w": f"{dead.host}:999999999:dead", "i": run_id})
    assert survivor.recover() == [run_id]
    with registry.session() as session:
        run = session.get(Run, run_id)
        assert run.status == "failed" and "interrupted 2 times" in run.error


def test_audit_chain_records_changes_and_detects_an_edited_row(populated):
    registry, ids = populated
    with registry.session() as session:
        lot = session.get(Lot, ids["lot_A"])
        services.set_lot_status(session, "ana", lot, "qc")
        result = audit.verify(session)
        assert result.ok and result.n_entries >= 5
        actions = [(e.action, e.object_type) for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
        assert ("change", "lot") in actions and ("create", "preparation") in actions
    with pytest.raises(Exception, match="append-only"):
        with registry.session() as session:
            session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))
    with registry.engine.begin() as connection:  # someone with direct write access drops the guard and edits
        if registry.is_postgresql:
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    with registry.session() as session:
        result = audit.verify(session)
    assert not result.ok and result.broken_id == 3 and "edited" in result.reason


def test_release_decision_needs_password_evidence_and_sets_status(populated):
    registry, ids = populated
    dataset_id = register_demo(registry, ids)
    with registry.session() as session:
        run_id = services.create_run(session, registry.data_dir, "ana", session.get(Dataset, dataset_id), "profile", {}).id
        auth.add_user(session, "paul", "approver", "approver-password")
    Worker(registry).run_once()
    with registry.session() as session:
        paul = auth.find_user(session, "paul")
        lot = session.get(Lot, ids["lot_A"])
        with pytest.raises(SecretomeInputError, match="password does not match"):
            services.record_decision(session, paul, False, lot, "released", "fine", [run_id])
        with pytest.raises(SecretomeInputError, match="justification"):
            services.record_decision(session, paul, True, lot, "released", " ", [run_id])
        decision = services.record_decision(session, paul, True, lot, "released", "QC passed", [run_id])
        assert lot.status == "released" and len(decision.signature) == 64
        with pytest.raises(SecretomeInputError, match="already released"):
            services.record_decision(session, paul, True, lot, "rejected", "changed mind", [run_id])
        assert audit.verify(session).ok


def test_cli_users_token_and_audit_verify(tmp_path, monkeypatch, capsys):
    from conftest import run_main

    data = tmp_path / "data"
    code, out, err = run_main(monkeypatch, capsys, "users", "add", "admin", "--role", "admin", "--data-dir", data,
                              stdin=b"admin-password\n")
    assert code == 0, err
    assert "admin" in out and str(data) in out
    code, out, err = run_main(monkeypatch, capsys, "users", "token", "admin", "--data-dir", data)
    assert code == 0 and out.strip().startswith("st_")
    code, out, err = run_main(monkeypatch, capsys, "users", "add", "bob", "--role", "king", "--data-dir", data,
                              stdin=b"bob-password\n")
    assert code == 2 and "unknown role" in err
    code, out, err = run_main(monkeypatch, capsys, "audit", "verify", "--data-dir", data)
    assert code == 0 and "intact" in out
    import sqlite3

    with sqlite3.connect(data / "registry.sqlite3") as connection:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET after = '{\"role\": \"viewer\"}' WHERE id = 1")
    code, out, err = run_main(monkeypatch, capsys, "audit", "verify", "--data-dir", data)
    assert code == 1 and "entry 1" in out
    monkeypatch.setenv("SECRETOME_DATA_DIR", str(data))
    code, out, err = run_main(monkeypatch, capsys, "users", "list")
    assert code == 0 and out.startswith("admin\tadmin")  # found through $SECRETOME_DATA_DIR alone
