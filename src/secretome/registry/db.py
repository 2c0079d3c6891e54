"""Where the registry lives and how to reach it: the data folder, the database engine, migrations.

The data folder is ``--data-dir`` on a registry command, else ``$SECRETOME_DATA_DIR``, else the
per-user data folder of the platform (``platformdirs.user_data_dir("secretome")``: on Linux
``~/.local/share/secretome``). It holds ``registry.sqlite3`` (unless ``$SECRETOME_DATABASE_URL``
names another database, e.g. ``postgresql+psycopg://user@host/db``), ``store/`` (uploaded files by
sha256), ``runs/`` (each run's output directory) and ``staging/`` (uploads not yet registered).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from secretome.errors import SecretomeInputError


def default_data_dir() -> Path:
    """``$SECRETOME_DATA_DIR`` or the platform's per-user data folder for secretome."""
    override = os.environ.get("SECRETOME_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("secretome", appauthor=False))


@dataclass
class Registry:
    """An open registry: its data folder, database engine and session factory."""

    data_dir: Path
    engine: Engine
    sessions: sessionmaker[Session] = field(repr=False)

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only (on SQLite it takes no write lock, so readers never queue behind writers)."""
        with self.sessions(bind=self.engine.execution_options(secretome_read_only=True)) as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # transactions are begun below, explicitly
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock at the start: a read-then-write (the audit chain, claiming a
        # job) can never fail half-way on a lock upgrade, and writers queue instead of erroring.
        # Read-only sessions (Registry.read) begin a plain snapshot: WAL readers never wait for writers.
        read_only = connection.get_execution_options().get("secretome_read_only", False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def open_registry(data_dir: str | Path | None = None, database_url: str | None = None, *, migrate_schema: bool = True) -> Registry:
    """Open (creating if needed) the registry in ``data_dir`` and bring its schema to the newest migration."""
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        for sub in ("", "store", "runs", "staging"):
            (data_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SecretomeInputError(f"cannot create the data folder ({error.strerror or error})", file=data_dir,
                                  expected="a writable folder") from None
    url = database_url or os.environ.get("SECRETOME_DATABASE_URL")
    database: str | Path = data_dir / "registry.sqlite3"
    try:
        if url:
            database = "the database URL"  # until it parses: the URL may hold a password
            database = make_url(url).render_as_string(hide_password=True)
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        else:
            engine = _sqlite_engine(data_dir / "registry.sqlite3")
        registry = Registry(data_dir=data_dir, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
        if migrate_schema:
            migrate(registry)
    except (SQLAlchemyError, ImportError) as error:  # not a database, unreadable, unreachable, no driver
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise SecretomeInputError(f"cannot open the registry database ({reason})", file=database,
                                  expected="a secretome registry (SQLite file or PostgreSQL database) that is readable and writable") from None
    return registry


def migrate(registry: Registry) -> None:
    """Apply every Alembic migration shipped in the package that the database has not yet had."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("secretome.registry") / "migrations"))
    with registry.engine.connect() as connection:
        if not registry.is_postgresql:
            # SQLite changes a column by rebuilding its table: dropping the old one must not trip the foreign
            # keys of rows that point at it (checked below instead). The pragma only works outside a
            # transaction, hence on the driver's connection (SQLAlchemy's would begin one first).
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if registry.is_postgresql:  # two processes starting together must not both create the tables
                    connection.execute(text("SELECT pg_advisory_xact_lock(1151001)"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if not registry.is_postgresql:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows with dangling foreign keys: {broken[:5]}")
        finally:
            if not registry.is_postgresql:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
