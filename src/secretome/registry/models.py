"""The registry's tables (SQLAlchemy 2 declarative models); the schema itself is made by the Alembic
migrations in ``secretome/registry/migrations`` so that every database, SQLite or PostgreSQL, has the
same history."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("viewer", "analyst", "approver", "admin")
LOT_STATUSES = ("in_process", "qc", "released", "rejected")
RUN_KINDS = ("profile", "compare", "comparability", "assay", "outcomes")
RUN_STATUSES = ("queued", "running", "done", "failed")
VERDICTS = ("released", "rejected")


def utcnow() -> str:
    """Now, as an ISO-8601 UTC timestamp (text: identical on SQLite and PostgreSQL, part of the audit hash)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # the clinical grant: patient data are shown to this user; independent of the lab role (an admin grants it)
    clinical: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    user: Mapped[User] = relationship()


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[str] = mapped_column(String(40))
    user: Mapped[User] = relationship()


class Preparation(Base):
    __tablename__ = "preparations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cell_source: Mapped[str] = mapped_column(String(200), default="")
    medium: Mapped[str] = mapped_column(String(200), default="")
    supplement: Mapped[str] = mapped_column(String(200), default="")
    conditioning_hours: Mapped[float | None] = mapped_column(Float, nullable=True)
    processing: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)


class Lot(Base):
    __tablename__ = "lots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(200), unique=True)
    preparation_id: Mapped[int] = mapped_column(ForeignKey("preparations.id"))
    donor: Mapped[str] = mapped_column(String(200), default="")
    passage: Mapped[str] = mapped_column(String(50), default="")
    produced_on: Mapped[str] = mapped_column(String(40), default="")
    harvested_on: Mapped[str] = mapped_column(String(40), default="")
    volume_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="in_process")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    preparation: Mapped[Preparation] = relationship()


class StoredFile(Base):
    """One file in the content-addressed store (see :mod:`secretome.registry.store`)."""

    __tablename__ = "stored_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    suffix: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)


class Dataset(Base):
    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"))
    original_name: Mapped[str] = mapped_column(String(300))
    sheet_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_files.sha256"), nullable=True)
    sheet_name: Mapped[str] = mapped_column(String(300), default="")
    format: Mapped[str] = mapped_column(String(50))
    reader: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    lot: Mapped[Lot] = relationship()
    samples: Mapped[list["DatasetSample"]] = relationship(order_by="DatasetSample.id")


class DatasetSample(Base):
    __tablename__ = "dataset_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    sample: Mapped[str] = mapped_column(String(300))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    lot: Mapped[Lot] = relationship()


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)  # None: a clinical run
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lots.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    # patient data (an outcomes run): visible only to users with the clinical grant, every view audited
    clinical: Mapped[bool] = mapped_column(default=False)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    step: Mapped[str] = mapped_column(String(300), default="")
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    engine_version: Mapped[str] = mapped_column(String(50), default="")
    kb_version: Mapped[str] = mapped_column(String(100), default="")
    input_checksums: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outputs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    command: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    heartbeat_at: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    started_at: Mapped[str] = mapped_column(String(40), default="")
    finished_at: Mapped[str] = mapped_column(String(40), default="")
    dataset: Mapped[Dataset | None] = relationship()
    lot: Mapped[Lot | None] = relationship()


class LotMetric(Base):
    """A lot's value of one purity index, class share or key factor from one finished profile run."""

    __tablename__ = "lot_metrics"
    __table_args__ = (UniqueConstraint("run_id", "lot_id", "metric"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class ProteinLevel(Base):
    """A protein's mean log2 quantity in one lot, from one finished profile run (for the protein search)."""

    __tablename__ = "protein_levels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    protein: Mapped[str] = mapped_column(String(200))
    gene: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    mean_log2: Mapped[float | None] = mapped_column(Float, nullable=True)
    n_detected: Mapped[int] = mapped_column(Integer, default=0)


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id"))
    verdict: Mapped[str] = mapped_column(String(20))
    justification: Mapped[str] = mapped_column(Text)
    evidence_runs: Mapped[list[Any]] = mapped_column(JSON)
    signed_by: Mapped[str] = mapped_column(String(80))
    signed_at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(64))
    lot: Mapped[Lot] = relationship()


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(50))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
