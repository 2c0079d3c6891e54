"""Faults: ``kill -9`` of a real ``secretome serve`` during an upload and during a job, then a restart.

After an interrupted upload no dataset is registered; after an interrupted job the run is found,
logged as interrupted and resumed to the end, never lost and never silently repeated. Runs on SQLite
and PostgreSQL (see registry_support).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from secretome.datasets import demo_paths
from secretome.registry import auth, services
from secretome.registry.models import Dataset, Run

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)


class Server:
    """``secretome serve`` in a child process on a free loopback port."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir, self.database_url = data_dir, database_url
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("SECRETOME_DATABASE_URL", None)
        if self.database_url:
            env["SECRETOME_DATABASE_URL"] = self.database_url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "secretome", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.request("GET", "/api/v1/health")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, "server exited"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def served(registry, database_url):
    with registry.session() as session:
        user = auth.add_user(session, "ana", "analyst", "analyst-password")
        token = auth.new_token(session, user)
        prep = services.create_preparation(session, "ana", {"name": "UC-MSC"})
        services.create_lot(session, "ana", {"number": "lot_A", "preparation_id": prep.id})
        lot = services.create_lot(session, "ana", {"number": "lot_B", "preparation_id": prep.id}).id
    server = Server(registry.data_dir, database_url)
    server.start()
    yield server, {"Authorization": f"Bearer {token}"}, lot
    server.stop()


def demo_upload(lot: int) -> tuple[bytes, str]:
    paths = demo_paths()
    return multipart({"lot": str(lot)}, {"file": ("proteinGroups.txt", paths["table"].read_bytes()),
                                         "samples": ("sheet.tsv", paths["samples"].read_bytes())})


def test_kill_during_upload_registers_nothing(served, registry):
    server, bearer, lot = served
    body, content_type = demo_upload(lot)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/v1/datasets")
    for key, value in {**bearer, "Content-Type": content_type, "Content-Length": str(len(body))}.items():
        connection.putheader(key, value)
    connection.endheaders()
    connection.send(body[: len(body) // 2])
    time.sleep(0.5)
    server.kill()
    connection.close()
    server.start()
    with registry.session() as session:
        assert session.execute(select(func.count(Dataset.id))).scalar() == 0
    assert not [p for p in (registry.data_dir / "store").rglob("*") if p.is_file()]
    body, content_type = demo_upload(lot)
    status, data = server.request("POST", "/api/v1/datasets", body, {**bearer, "Content-Type": content_type})
    assert status == 200, data  # the same upload goes through after the restart
    with registry.session() as session:
        assert session.execute(select(func.count(Dataset.id))).scalar() == 1


def test_kill_during_a_job_resumes_it_visibly(served, registry):
    server, bearer, lot = served
    body, content_type = demo_upload(lot)
    status, data = server.request("POST", "/api/v1/datasets", body, {**bearer, "Content-Type": content_type})
    assert status == 200, data
    dataset = json.loads(data)["id"]
    status, data = server.request("POST", "/api/v1/runs", json.dumps({"dataset": dataset, "kind": "profile"}).encode(),
                                  {**bearer, "Content-Type": "application/json"})
    run_id = json.loads(data)["id"]
    deadline = time.monotonic() + 60
    while json.loads(server.request("GET", f"/api/v1/runs/{run_id}", headers=bearer)[1])["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    server.kill()
    with registry.session() as session:
        run = session.get(Run, run_id)
        assert run.status == "running", "the job finished before the kill; the test needs a slower job"
    server.start()
    deadline = time.monotonic() + 120
    while (state := json.loads(server.request("GET", f"/api/v1/runs/{run_id}", headers=bearer)[1]))["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["status"] == "done" and state["attempts"] == 2
    with registry.session() as session:
        run = session.get(Run, run_id)
        assert "interrupted" in run.log and "attempt 2 of 3" in run.log
        assert session.execute(select(func.count(Run.id))).scalar() == 1
