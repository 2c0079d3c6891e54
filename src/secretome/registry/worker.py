"""The job worker: runs queued analysis runs from the registry, never in a web request.

The queue is the registry's own ``runs`` table. A worker claims the oldest queued run in one
transaction (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers on several
machines sharing one database never take the same run; SQLite serialises writers instead), marks it
running under its own name and keeps a heartbeat while the engine works. A run whose worker died
(its process is gone on this host, or its heartbeat is older than the lease) is found by the next
worker to look: it is logged as interrupted and queued again, or failed visibly after
``max_attempts``. Nothing is lost and nothing re-runs silently. Outputs go to ``runs/run-<id>/``
(written atomically by the engine); a finished run's file list and checksums are recorded with it.

The web server starts one embedded worker thread by default; ``secretome worker`` starts a separate
one (the distributed mode: point every worker and the server at one PostgreSQL database with
``SECRETOME_DATABASE_URL`` and one shared data folder).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update

from secretome.errors import SecretomeInputError
from secretome.registry import audit, engine, services
from secretome.registry.db import Registry
from secretome.registry.models import Dataset, Run, utcnow

log = logging.getLogger("secretome.worker")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _file_sha256(path: Any) -> str:
    from secretome.provenance import file_sha256

    return file_sha256(path)


class Worker:
    """One worker: ``run_once`` claims and runs at most one run; ``run_forever`` loops until stopped."""

    def __init__(self, registry: Registry, *, poll_seconds: float = 1.0, lease_seconds: float | None = None,
                 max_attempts: int = 3) -> None:
        self.registry = registry
        self.host = socket.gethostname()
        self.name = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.poll_seconds = poll_seconds
        self.lease_seconds = lease_seconds if lease_seconds is not None else float(os.environ.get("SECRETOME_JOB_LEASE_SECONDS", 60))
        self.max_attempts = max_attempts
        self.stop_event = threading.Event()

    # --------------------------------------------------------------------------------- recovery
    def _is_dead(self, run: Run, now: datetime) -> bool:
        if run.worker == self.name:
            return False
        host, _, rest = run.worker.partition(":")
        pid = rest.partition(":")[0]
        if host == self.host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            return True  # its process on this machine is gone (killed, crashed, restarted)
        beat = datetime.fromisoformat(run.heartbeat_at) if run.heartbeat_at else now - timedelta(days=1)
        return (now - beat).total_seconds() > self.lease_seconds

    def recover(self) -> list[int]:
        """Requeue (or fail, after ``max_attempts``) runs whose worker died; returns their ids."""
        recovered = []
        now = datetime.now(timezone.utc)
        with self.registry.session() as session:
            running = session.execute(select(Run).where(Run.status == "running").with_for_update(skip_locked=True)).scalars()
            for run in running:
                if not self._is_dead(run, now):
                    continue
                at = utcnow()
                if run.attempts >= self.max_attempts:
                    run.status, run.finished_at = "failed", at
                    run.error = (f"interrupted {run.attempts} times (last worker {run.worker} stopped during "
                                 f"'{run.step}'); not retried")
                    run.log += f"{at} interrupted: worker {run.worker} stopped; failed after {run.attempts} attempts\n"
                else:
                    run.status = "queued"
                    run.log += (f"{at} interrupted: worker {run.worker} stopped during '{run.step}'; "
                                f"queued again (attempt {run.attempts + 1} of {self.max_attempts})\n")
                audit.record(session, self.name, "interrupted", "run", run.id, {"status": "running", "worker": run.worker},
                             {"status": run.status})
                run.worker = ""
                recovered.append(run.id)
        return recovered

    # ------------------------------------------------------------------------------------ claim
    def claim(self) -> int | None:
        """Take the oldest queued run (never one another worker holds); returns its id or None."""
        with self.registry.session() as session:
            run = session.execute(
                select(Run).where(Run.status == "queued").order_by(Run.id).limit(1).with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if run is None:
                return None
            at = utcnow()
            run.status, run.worker, run.heartbeat_at, run.attempts = "running", self.name, at, run.attempts + 1
            run.started_at = run.started_at or at
            run.step, run.progress = "starting", 0.0
            run.log += f"{at} started by {self.name} (attempt {run.attempts})\n"
            audit.record(session, self.name, "start", "run", run.id, {"status": "queued"},
                         {"status": "running", "attempt": run.attempts})
            return run.id

    def _still_mine(self, session: Any, run_id: int) -> Run | None:
        run = session.get(Run, run_id)
        return run if run is not None and run.status == "running" and run.worker == self.name else None

    def _heartbeat(self, run_id: int, done: threading.Event) -> None:
        while not done.wait(max(self.lease_seconds / 4, 0.2)):
            try:
                with self.registry.session() as session:
                    session.execute(update(Run).where(Run.id == run_id, Run.worker == self.name).values(heartbeat_at=utcnow()))
            except Exception:  # a busy database must not kill the job; the next beat retries
                log.exception("heartbeat of run %s failed", run_id)

    def _progress(self, run_id: int):  # type: ignore[no-untyped-def]
        def progress(step: str, fraction: float | None) -> None:
            with self.registry.session() as session:
                session.execute(update(Run).where(Run.id == run_id, Run.worker == self.name)
                                .values(step=step[:300], progress=fraction, heartbeat_at=utcnow(),
                                        log=Run.log + f"{utcnow()} {step}\n"))
        return progress

    # -------------------------------------------------------------------------------------- run
    def execute(self, run_id: int) -> None:
        """Run one claimed run through the engine adapter and record its outcome."""
        data_dir = self.registry.data_dir
        with self.registry.session() as session:
            run = session.get(Run, run_id)
            kind, out = run.kind, services.run_dir(data_dir, run)
            parameters = services.resolve_files(data_dir, session, dict(run.parameters))
            if kind in engine.CLINICAL_KINDS:
                inputs = services.clinical_inputs(data_dir, session, run)
            else:
                table, sheet = services.dataset_files(data_dir, session, session.get(Dataset, run.dataset_id))
        if out.exists():  # a crashed earlier attempt's folder: never registered, so replaced whole
            shutil.rmtree(out)
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run_id, done), daemon=True)
        beat.start()
        error, result = "", None
        try:
            if kind in engine.CLINICAL_KINDS:
                result = self._run_outcomes(inputs, parameters, out, run_id)
            else:
                result = engine.RUNNERS[kind](table, sheet, parameters, out, progress=self._progress(run_id))
        except SecretomeInputError as exc:
            error = str(exc)
        except Exception as exc:  # the run fails visibly; the traceback goes to the worker's log only
            log.exception("run %s failed", run_id)
            error = f"the analysis stopped with an internal error ({type(exc).__name__}: {exc})"
        finally:
            done.set()
            beat.join()
        with self.registry.session() as session:
            run = self._still_mine(session, run_id)
            if run is None:
                log.warning("run %s was taken over by another worker; this attempt's outcome is discarded", run_id)
                return
            at = utcnow()
            run.finished_at, run.heartbeat_at = at, at
            if result is None:
                run.status, run.error = "failed", error
                run.log += f"{at} failed: {error}\n"
            else:
                run.status, run.progress, run.step = "done", 1.0, "done"
                run.outputs = [{"name": name, "size": (out / name).stat().st_size, "sha256": _file_sha256(out / name)}
                               for name in result.files]
                run.summary = self._summary(result)
                run.log += f"{at} done: {len(result.files)} files\n"
                if kind == "profile":
                    services.index_profile(session, run, result)
                elif kind == "assay":
                    services.index_assay(session, run, result)
            audit.record(session, self.name, "finish", "run", run.id, {"status": "running"},
                         {"status": run.status, "error": run.error, "outputs": run.outputs})

    def _run_outcomes(self, inputs: dict[str, Any], parameters: dict[str, Any], out: Any, run_id: int) -> engine.JobResult:
        """An outcomes run: its lots' composition from the registry's latest profile runs, then the job."""
        numbers = engine.outcome_lots(inputs["treatments"])
        with self.registry.read() as session:
            lots = services.lot_composition(session, numbers)
        key = services.pseudonym_key(self.registry.data_dir)
        key.parent.mkdir(mode=0o700, exist_ok=True)
        return engine.run_outcomes(inputs, lots, parameters, out, key, progress=self._progress(run_id))

    @staticmethod
    def _summary(result: engine.JobResult) -> dict[str, Any]:
        summary = result.summary
        if result.kind == "profile":
            return {"overall_status": summary.get("overall_status"), "status_counts": summary.get("status_counts"),
                    "n_samples": summary.get("n_samples"), "n_proteins": summary.get("n_proteins"),
                    "lot_qc": services.worst_status_by_group(result)}
        return {key: value for key, value in summary.items() if key not in ("out", "files")}

    def run_once(self) -> int | None:
        """Recover dead workers' runs, then claim and execute one run; returns its id or None."""
        self.recover()
        run_id = self.claim()
        if run_id is not None:
            self.execute(run_id)
        return run_id

    def run_forever(self) -> None:
        """Work until :meth:`stop` (a database error is logged and retried after a pause)."""
        while not self.stop_event.is_set():
            try:
                if self.run_once() is None:
                    self.stop_event.wait(self.poll_seconds)
            except Exception:
                log.exception("worker %s: retrying after an error", self.name)
                self.stop_event.wait(max(self.poll_seconds, 1.0))

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name=f"secretome-worker-{self.name}", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()


def wait_for(registry: Registry, run_id: int, timeout: float = 120.0) -> Run:
    """Poll until run ``run_id`` is done or failed (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while True:
        with registry.session() as session:
            run = session.get(Run, run_id)
            if run.status in ("done", "failed"):
                session.expunge(run)
                return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {run.status} after {timeout} s")
        time.sleep(0.2)

