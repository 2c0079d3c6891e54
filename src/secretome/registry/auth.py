"""Local accounts: argon2 password hashes, roles, API tokens and browser sessions.

Roles are ordered: a viewer reads; an analyst also registers preparations, lots, datasets and runs;
an approver also records release decisions; an admin also manages users. Patient data (outcomes runs of
clinical trials) need a separate clinical grant that no lab role implies: an admin gives it to named
users (:func:`set_clinical`), so a lab approver or admin does not see patient data by rank. Tokens and session ids are
random (``secrets``) and only their sha256 is stored, so a copy of the database does not yield them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from secretome.errors import SecretomeInputError
from secretome.registry import audit
from secretome.registry.models import ROLES, ApiToken, User, WebSession, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8
SESSION_HOURS = 12

PERMISSIONS = {
    "read": "viewer",
    "write": "analyst",
    "decide": "approver",
    "admin": "admin",
}


def allowed(user: User, action: str) -> bool:
    """Whether ``user``'s role reaches the least role ``action`` needs (see :data:`PERMISSIONS`)."""
    return user.active and ROLES.index(user.role) >= ROLES.index(PERMISSIONS[action])


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(session: Session, name: str, role: str, password: str, actor: str = "cli", clinical: bool = False) -> User:
    """Create a local account (``role`` one of :data:`ROLES`; ``clinical`` gives it the clinical grant), audited."""
    name = name.strip()
    if not name or len(name) > 80 or any(c.isspace() for c in name):
        raise SecretomeInputError(f"bad user name {name!r}", expected="1-80 characters without spaces")
    if role not in ROLES:
        raise SecretomeInputError(f"unknown role {role!r}", expected="one of " + ", ".join(ROLES))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise SecretomeInputError("password too short", expected=f"at least {MIN_PASSWORD_LENGTH} characters")
    if session.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
        raise SecretomeInputError(f"user {name!r} exists already", expected="a new user name")
    user = User(name=name, role=role, password_hash=_hasher.hash(password), active=True, clinical=bool(clinical))
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", "user", user.id, None, {"name": name, "role": role, "clinical": bool(clinical)})
    return user


def clinical_allowed(user: User) -> bool:
    """Whether ``user`` may see patient data (the clinical grant, whatever the lab role)."""
    return bool(user.active and user.clinical)


def set_clinical(session: Session, user: User, granted: bool, actor: str = "cli") -> None:
    """Give or take the clinical grant, audited (before and after)."""
    before = {"clinical": bool(user.clinical)}
    user.clinical = bool(granted)
    audit.record(session, actor, "grant_clinical" if granted else "revoke_clinical", "user", user.id, before,
                 {"clinical": bool(granted), "name": user.name})


def find_user(session: Session, name: str) -> User | None:
    return session.execute(select(User).where(User.name == name)).scalar_one_or_none()


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s (constant work even for an unknown user, so names cannot be probed by timing)."""
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return _hasher.verify(user.password_hash, password) and user.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def new_token(session: Session, user: User, actor: str = "cli") -> str:
    """A new API token for ``user`` (shown once; only its hash is stored), audited."""
    token = "st_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_sha256=_sha(token))
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "api_token", row.id, None, {"user": user.name})
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(select(ApiToken).where(ApiToken.token_sha256 == _sha(token))).scalar_one_or_none()
    return row.user if row is not None and row.user.active else None


def open_session(session: Session, user: User) -> tuple[str, str]:
    """A new browser session for ``user``: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = (datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)).isoformat(timespec="seconds")
    session.add(WebSession(token_sha256=_sha(token), user_id=user.id, csrf=csrf, expires_at=expires))
    return token, csrf


def resolve_session(session: Session, token: str) -> WebSession | None:
    row = session.execute(select(WebSession).where(WebSession.token_sha256 == _sha(token))).scalar_one_or_none()
    if row is None or row.expires_at < utcnow() or not row.user.active:
        return None
    return row


def close_session(session: Session, token: str) -> None:
    row = session.execute(select(WebSession).where(WebSession.token_sha256 == _sha(token))).scalar_one_or_none()
    if row is not None:
        session.delete(row)
