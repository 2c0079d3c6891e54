"""Registry commands: ``serve``, ``users``, ``worker``, ``audit`` (registered on the main CLI by :func:`register`).

Every command takes ``--data-dir`` (default ``$SECRETOME_DATA_DIR``, else the per-user data folder,
see :mod:`secretome.registry.db`); the database is SQLite in that folder unless
``$SECRETOME_DATABASE_URL`` names another.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Optional

import typer

DATA_DIR_HELP = "Data folder (default: $SECRETOME_DATA_DIR, else the per-user data folder, e.g. ~/.local/share/secretome)."

users_app = typer.Typer(help="Local accounts and API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


def _open(data_dir: Optional[Path]):  # type: ignore[no-untyped-def]
    from secretome.registry.db import open_registry

    return open_registry(data_dir)


def _read_password(name: str) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name (no spaces)."),
    role: str = typer.Option(..., "--role", help="viewer, analyst, approver (may release lots) or admin."),
    clinical: bool = typer.Option(False, "--clinical", help="Give the clinical grant: may see patient data (no lab role implies it)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Add a local account; the password is read from stdin (one line) or prompted for."""
    from secretome.registry import auth

    registry = _open(data_dir)
    password = _read_password(name)
    with registry.session() as session:
        auth.add_user(session, name, role, password, actor="cli", clinical=clinical)
    typer.echo(f"added {name} ({role}{', clinical' if clinical else ''}) to the registry in {registry.data_dir}")


def _set_clinical(name: str, granted: bool, data_dir: Optional[Path]) -> None:
    from secretome.errors import SecretomeInputError
    from secretome.registry import auth

    registry = _open(data_dir)
    with registry.session() as session:
        user = auth.find_user(session, name)
        if user is None:
            raise SecretomeInputError(f"no user {name!r}", expected="a name from 'secretome users list'")
        auth.set_clinical(session, user, granted, actor="cli")
    typer.echo(f"{name}: clinical grant {'given' if granted else 'taken away'}")


@users_app.command("grant-clinical")
def users_grant_clinical(
    name: str = typer.Argument(..., help="User name."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Give NAME the clinical grant (may upload, run and view outcomes of clinical trials; audited)."""
    _set_clinical(name, True, data_dir)


@users_app.command("revoke-clinical")
def users_revoke_clinical(
    name: str = typer.Argument(..., help="User name."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Take the clinical grant from NAME (audited)."""
    _set_clinical(name, False, data_dir)


@users_app.command("token")
def users_token(
    name: str = typer.Argument(..., help="User name."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Print a new API token for NAME (send it as 'Authorization: Bearer TOKEN'); it is shown only once."""
    from secretome.errors import SecretomeInputError
    from secretome.registry import auth

    registry = _open(data_dir)
    with registry.session() as session:
        user = auth.find_user(session, name)
        if user is None:
            raise SecretomeInputError(f"no user {name!r}", expected="a name from 'secretome users list'")
        token = auth.new_token(session, user, actor="cli")
    typer.echo(token)


@users_app.command("list")
def users_list(data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP)) -> None:
    """List the accounts and their roles."""
    from sqlalchemy import select

    from secretome.registry.models import User

    registry = _open(data_dir)
    with registry.session() as session:
        for user in session.execute(select(User).order_by(User.name)).scalars():
            grant = "\tclinical" if user.clinical else ""
            typer.echo(f"{user.name}\t{user.role}\t{'active' if user.active else 'disabled'}{grant}")


@audit_app.command("verify")
def audit_verify(data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP)) -> None:
    """Check the audit log's hash chain; exit 1 naming the first entry that was edited, removed or reordered."""
    from secretome.registry import audit

    registry = _open(data_dir)
    with registry.session() as session:
        result = audit.verify(session)
    if result.ok:
        typer.echo(f"audit log intact: {result.n_entries} entries")
        return
    typer.echo(f"audit log BROKEN at entry {result.broken_id}: {result.reason}")
    raise typer.Exit(1)


def serve(
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (the loopback address keeps it on this machine)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port."),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Run analyses in an embedded worker (default) or leave them to 'secretome worker'."),
    max_upload_mb: int = typer.Option(500, "--max-upload-mb", help="Largest accepted upload."),
) -> None:
    """Start the web app (registry of preparations, lots, datasets, runs and release decisions)."""
    import uvicorn

    from secretome.webapp.app import create_app

    registry = _open(data_dir)
    listening = _listen(host, port)
    app = create_app(registry, embedded_worker=worker, max_upload_bytes=max_upload_mb << 20)
    typer.echo(f"secretome: data in {registry.data_dir}; open http://{host}:{port}/", err=True)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", server_header=False))
    server.run(sockets=[listening])


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` and listening, or one plain error naming the address (in use,
    not this machine's, not an address at all) before anything starts."""
    from secretome.errors import SecretomeInputError

    listening = None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.socket(family, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(2048)
    except OSError as error:
        if listening is not None:
            listening.close()
        raise SecretomeInputError(f"cannot listen on {host}:{port} ({error.strerror or error})",
                                  expected="a free port on an address of this machine") from None
    return listening


def worker(
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    once: bool = typer.Option(False, "--once", help="Run at most one queued run, then exit."),
    poll: float = typer.Option(1.0, "--poll", help="Seconds between looks at the queue when it is empty."),
) -> None:
    """Run queued analyses from the registry (several workers may share one PostgreSQL database)."""
    import logging

    from secretome.registry.worker import Worker

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("secretome").setLevel(logging.INFO)
    registry = _open(data_dir)
    runner = Worker(registry, poll_seconds=poll)
    typer.echo(f"worker {runner.name} on {registry.engine.url.render_as_string(hide_password=True)}", err=True)
    if once:
        runner.run_once()
        return
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()


def register(app: typer.Typer) -> None:
    """Add the registry's commands to the main ``secretome`` app."""
    app.command()(serve)
    app.command()(worker)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
