"""The registry web app under load, on the loopback address: upload + profile end to end, page latencies.

Usage: python benchmarks/bench_webapp.py [--lots 500] [--clients 50] [--requests 20] [--database-url URL]

1. Starts ``secretome serve`` (embedded worker) on a fresh data folder, uploads a 3,000-protein x 50-sample
   MaxQuant table with its sheet through ``POST /api/v1/datasets``, queues a profile through
   ``POST /api/v1/runs`` and polls ``GET /api/v1/runs/{id}`` until it is done: prints upload, queue-to-done
   and end-to-end seconds.
2. Registers lots up to ``--lots`` in all, then ``--clients`` concurrent clients (threads, one keep-alive
   connection each) request the dashboard, a lot page (trends over all lots of the preparation), and the
   ``GET`` API calls ``/api/v1/runs/{id}`` and ``/api/v1/lots/{id}/trend``; prints p50 and p95 latency per
   endpoint against the goals (pages p95 < 200 ms, GET API p95 < 50 ms).

The input generator is ``write_input`` of ``bench_profile.py`` (accessions from the knowledge base).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_profile import write_input  # noqa: E402

PAGE_GOAL_MS, API_GOAL_MS = 200.0, 50.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _multipart(fields: dict[str, str], files: dict[str, Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    for name, path in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{path.name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = headers

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        for attempt in (1, 2):  # the server closes idle keep-alive connections; reconnect once
            try:
                self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
                response = self.connection.getresponse()
                return response.status, response.read(), response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _login(port: int, name: str, password: str) -> str:
    client = Client(port, {})
    _, page, response = client.request("GET", "/login")
    cookie = response.getheader("set-cookie").split(";", 1)[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
    body = f"name={name}&password={password}&csrf={token}".encode()
    _, _, response = client.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                             "Cookie": cookie})
    return response.getheader("set-cookie").split(";", 1)[0]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _load(port: int, clients: int, requests: int, targets: dict[str, tuple[str, dict[str, str]]]) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {name: [] for name in targets}
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def work() -> None:
        connections = {name: Client(port, headers) for name, (_, headers) in targets.items()}
        barrier.wait()
        for _ in range(requests):
            for name, (path, _) in targets.items():
                start = time.perf_counter()
                status, _, _ = connections[name].request("GET", path)
                elapsed = (time.perf_counter() - start) * 1000
                if status != 200:
                    raise RuntimeError(f"{path}: HTTP {status}")
                with lock:
                    latencies[name].append(elapsed)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=500)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=20, help="requests per client and endpoint")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in the data folder)")
    args = parser.parse_args()

    from secretome.registry import auth, services
    from secretome.registry.db import open_registry

    folder = Path(tempfile.mkdtemp(prefix="secretome-bench-"))
    data_dir = folder / "data"
    registry = open_registry(data_dir, args.database_url)
    with registry.session() as session:
        user = auth.add_user(session, "bench", "analyst", "bench-password")
        token = auth.new_token(session, user)
        prep = services.create_preparation(session, "bench", {"name": "BM-MSC serum-free"})
        lot_ids = [services.create_lot(session, "bench", {"number": f"lot{i}", "preparation_id": prep.id}).id for i in range(4)]
    table = write_input(folder, 50, 3000)
    sheet = folder / "samples_50.tsv"

    port = _free_port()
    env = {**os.environ}
    if args.database_url:
        env["SECRETOME_DATABASE_URL"] = args.database_url
    server = subprocess.Popen([sys.executable, "-m", "secretome", "serve", "--data-dir", str(data_dir), "--port", str(port)],
                              env=env, stderr=subprocess.DEVNULL)
    try:
        bearer = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 120
        while True:
            try:
                if Client(port, {}).request("GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
        api = Client(port, bearer)
        body, content_type = _multipart({"lot": str(lot_ids[0])}, {"file": table, "samples": sheet})
        start = time.perf_counter()
        status, data, _ = api.request("POST", "/api/v1/datasets", body, {"Content-Type": content_type})
        uploaded = time.perf_counter()
        if status != 200:
            raise RuntimeError(data.decode())
        dataset = json.loads(data)["id"]
        _, data, _ = api.request("POST", "/api/v1/runs", json.dumps({"dataset": dataset, "kind": "profile"}).encode(),
                                 {"Content-Type": "application/json"})
        run_id = json.loads(data)["id"]
        while (state := json.loads(api.request("GET", f"/api/v1/runs/{run_id}")[1]))["status"] not in ("done", "failed"):
            time.sleep(0.1)
        done = time.perf_counter()
        if state["status"] != "done":
            raise RuntimeError(state["error"])
        print(f"upload 3,000 x 50 ({len(body) / 1e6:.1f} MB): {uploaded - start:.2f} s; queue to done: {done - uploaded:.2f} s; "
              f"end to end: {done - start:.2f} s")

        with registry.session() as session:
            for i in range(4, args.lots):
                services.create_lot(session, "bench", {"number": f"lot{i}", "preparation_id": prep.id})
        cookie = _login(port, "bench", "bench-password")
        page = {"Cookie": cookie}
        targets = {
            "GET / (dashboard)": ("/", page),
            f"GET /lots/{lot_ids[0]} (lot page)": (f"/lots/{lot_ids[0]}", page),
            f"GET /api/v1/runs/{run_id}": (f"/api/v1/runs/{run_id}", bearer),
            f"GET /api/v1/lots/{lot_ids[0]}/trend": (f"/api/v1/lots/{lot_ids[0]}/trend", bearer),
        }
        latencies = _load(port, args.clients, args.requests, targets)
        print(f"{args.lots} lots, {args.clients} concurrent clients, {args.requests} requests each per endpoint "
              f"({'PostgreSQL' if args.database_url else 'SQLite'}):")
        for name, samples in latencies.items():
            p50, p95 = _percentiles(samples)
            goal = API_GOAL_MS if "/api/" in name else PAGE_GOAL_MS
            print(f"  {name:38s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   goal p95 < {goal:.0f} ms: "
                  f"{'met' if p95 < goal else 'NOT met'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        registry.close()


if __name__ == "__main__":
    main()
