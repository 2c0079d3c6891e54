"""The append-only, hash-chained audit log: every create, change and decision with who, when, before, after.

Each entry's hash is the sha256 of the previous entry's hash and the entry's canonical JSON, so editing,
deleting or reordering any row breaks the chain from there on; :func:`verify` walks the chain and names
the first broken row. The database also refuses UPDATE and DELETE on the table (triggers in the first
migration); the chain catches what a person with direct write access to the file could still do.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from secretome.registry.models import AuditEntry, utcnow

GENESIS = "0" * 64


def _canonical(entry_id: int, at: str, actor: str, action: str, object_type: str, object_id: str,
               before: Any, after: Any) -> bytes:
    payload = [entry_id, at, actor, action, object_type, object_id, before, after]
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def entry_hash(prev_hash: str, entry_id: int, at: str, actor: str, action: str, object_type: str, object_id: str,
               before: Any, after: Any) -> str:
    """The chain hash of one entry."""
    return hashlib.sha256(prev_hash.encode() + _canonical(entry_id, at, actor, action, object_type, object_id,
                                                           before, after)).hexdigest()


def record(session: Session, actor: str, action: str, object_type: str, object_id: object,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction (so the change and its audit entry commit together)."""
    if session.get_bind().dialect.name == "postgresql":  # one writer of the chain at a time
        session.execute(text("SELECT pg_advisory_xact_lock(1151002)"))
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    entry_id = (last.id + 1) if last else 1
    prev_hash = last.hash if last else GENESIS
    at = utcnow()
    before = _plain(before)
    after = _plain(after)
    entry = AuditEntry(
        id=entry_id, at=at, actor=actor, action=action, object_type=object_type, object_id=str(object_id),
        before=before, after=after, prev_hash=prev_hash,
        hash=entry_hash(prev_hash, entry_id, at, actor, action, object_type, str(object_id), before, after),
    )
    session.add(entry)
    session.flush()
    return entry


def _plain(value: Any) -> Any:
    """JSON round trip: what the database will give back is exactly what was hashed."""
    return None if value is None else json.loads(json.dumps(value, sort_keys=True, default=str, allow_nan=False))


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`: entries checked, and the first broken entry (id and why) if any."""

    n_entries: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify(session: Session) -> Verification:
    """Walk the whole chain in id order; report the first entry whose hash or link does not match."""
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        count += 1
        if entry.id != expected_id:
            return Verification(count, entry.id, f"entry {expected_id} is missing (next is {entry.id})")
        if entry.prev_hash != prev_hash:
            return Verification(count, entry.id, "its link to the previous entry does not match (a row was removed or replaced)")
        recomputed = entry_hash(prev_hash, entry.id, entry.at, entry.actor, entry.action, entry.object_type,
                                entry.object_id, entry.before, entry.after)
        if recomputed != entry.hash:
            return Verification(count, entry.id, "its content does not match its hash (the row was edited)")
        prev_hash = entry.hash
        expected_id += 1
    return Verification(count)
