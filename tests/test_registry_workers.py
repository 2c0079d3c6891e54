"""Distributed mode: two ``secretome worker`` processes sharing one PostgreSQL database take every queued
run exactly once (``SELECT ... FOR UPDATE SKIP LOCKED``) and both take part."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from secretome.registry import auth, services
from secretome.registry.db import open_registry
from secretome.registry.models import AuditEntry, Dataset, Lot, Run

from registry_support import new_database, postgres_cluster  # noqa: F401  (fixture)
from test_registry import stage_demo


@pytest.fixture
def pg_registry(tmp_path, postgres_cluster):  # noqa: F811
    url = new_database(postgres_cluster)
    registry = open_registry(tmp_path / "data", url)
    yield registry, url
    registry.close()


def _worker(data_dir, url) -> subprocess.Popen:
    env = {**os.environ, "SECRETOME_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "secretome", "worker", "--data-dir", str(data_dir), "--poll", "0.2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_two_workers_share_one_postgresql_queue(pg_registry):
    registry, url = pg_registry
    with registry.session() as session:
        auth.add_user(session, "ana", "analyst", "analyst-password")
        prep = services.create_preparation(session, "ana", {"name": "AD-MSC"})
        for number in ("lot_A", "lot_B"):
            services.create_lot(session, "ana", {"number": number, "preparation_id": prep.id})
    _, folder = stage_demo(registry)
    services.preview_staged(folder)
    with registry.session() as session:
        lot = session.execute(select(Lot).where(Lot.number == "lot_B")).scalar_one()
        dataset_id = services.register_dataset(session, registry.data_dir, "ana", folder, lot).id
    workers = [_worker(registry.data_dir, url) for _ in range(2)]
    try:
        for process in workers:  # both are up and polling before any run is queued
            while not (line := process.stderr.readline()).startswith("worker "):
                assert line, "worker did not start"
        with registry.session() as session:
            dataset = session.get(Dataset, dataset_id)
            run_ids = [services.create_run(session, registry.data_dir, "ana", dataset, "profile", {}).id for _ in range(6)]
        deadline = time.monotonic() + 300
        while True:
            with registry.session() as session:
                runs = list(session.execute(select(Run).where(Run.id.in_(run_ids))).scalars())
            if all(run.status in ("done", "failed") for run in runs):
                break
            assert time.monotonic() < deadline, [run.status for run in runs]
            assert all(process.poll() is None for process in workers), "a worker died"
            time.sleep(0.3)
    finally:
        for process in workers:
            process.terminate()
            process.wait(timeout=30)
    assert all(run.status == "done" and run.attempts == 1 for run in runs), [(r.status, r.error) for r in runs]
    assert len({run.worker for run in runs}) == 2, "both workers took runs"
    with registry.session() as session:
        starts = session.execute(select(AuditEntry.object_id).where(AuditEntry.action == "start")).scalars().all()
    assert sorted(map(int, starts)) == sorted(run_ids)  # each run started exactly once
