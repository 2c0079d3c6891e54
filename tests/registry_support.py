"""Fixtures for the registry and web-app suites: one registry per test, on SQLite and on PostgreSQL.

The PostgreSQL side starts a throwaway cluster (initdb into a temporary folder, a free port on the
loopback address) from Debian's PostgreSQL 15 binaries and gives each test a new database; without
the binaries those tests skip with the reason (and CI, which installs ``postgresql``, forbids skips).
Import the fixtures into a test module with ``from registry_support import *``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

__all__ = ["postgres_cluster", "database_url", "registry", "pg_bin"]


def pg_bin() -> Path | None:
    """The folder of PostgreSQL's server binaries (``$SECRETOME_PG_BIN`` or Debian's newest), or None."""
    override = os.environ.get("SECRETOME_PG_BIN")
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@pytest.fixture(scope="session")
def postgres_cluster():
    """(host, port, user) of a PostgreSQL cluster running for this test session."""
    binaries = pg_bin()
    if binaries is None:
        pytest.skip("needs PostgreSQL server binaries (Debian package postgresql; /usr/lib/postgresql/*/bin)")
    owner = None
    if os.geteuid() == 0:  # initdb refuses to run as root: run the cluster as the postgres system user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to own the test cluster")
        owner = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="secretome-pg-"))
    if owner:
        shutil.chown(folder, owner)
    data = folder / "data"
    port = _free_port()
    user = owner or pwd.getpwuid(os.geteuid()).pw_name
    subprocess.run(_as_owner([str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8"], owner),
                   check=True, capture_output=True)
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c max_connections=200"
    subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                              "-w", "start"], owner), check=True, capture_output=True)
    try:
        yield ("127.0.0.1", port, user)
    finally:
        subprocess.run(_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], owner),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def new_database(cluster) -> str:
    """A new empty database in ``cluster``; returns its SQLAlchemy URL."""
    import psycopg

    host, port, user = cluster
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """None (SQLite in the data folder) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return new_database(request.getfixturevalue("postgres_cluster"))


@pytest.fixture
def registry(tmp_path, database_url):
    from secretome.registry.db import open_registry

    opened = open_registry(tmp_path / "data", database_url)
    yield opened
    opened.close()
