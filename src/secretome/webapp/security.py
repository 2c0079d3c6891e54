"""Who is asking and may they: session cookies, bearer tokens, CSRF, login rate limits, security headers.

Sessions are random ids in an HttpOnly, SameSite=Strict cookie (only their hash is stored); every form
carries the session's CSRF token (the login form a double-submit token); failed logins are limited per
address and per user name; every response carries a Content-Security-Policy without inline scripts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import Request

from secretome.plotlyjs import BUNDLE_ID, plotly_bundle
from secretome.registry import auth
from secretome.registry.models import User

SESSION_COOKIE = "secretome_session"
LOGIN_COOKIE = "secretome_login"

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def report_csp(html: str) -> str:
    """The policy for an engine report: only its own inline scripts (by hash), sandboxed without same-origin
    rights (it cannot read the app's cookies or call the API), and nothing fetched from anywhere."""
    import base64
    import re

    hashes = []
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
        if "src=" in attributes.lower() or "application/json" in attributes.lower():
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        hashes.append(f"'sha256-{digest}'")
    if f'id="{BUNDLE_ID}"' in html:  # the page unpacks the engine's plotly.js and runs it as an inline script
        hashes.append(plotly_bundle().script_hash)
    scripts = " ".join(hashes) or "'none'"
    return (f"default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; "
            "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-scripts allow-downloads")


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class NotLoggedIn(Exception):
    """A page needs a logged-in user (answered by a redirect to the login page)."""


class Forbidden(Exception):
    """The user's role does not allow this (answered 403)."""


class CsrfFailure(Exception):
    """A form without the session's CSRF token (answered 403)."""


@dataclass
class Viewer:
    """The user behind a request and, for browser sessions, the session's CSRF token."""

    user: User
    csrf: str = ""

    def require(self, action: str) -> None:
        if not auth.allowed(self.user, action):
            raise Forbidden(f"your role ({self.user.role}) may not {action_words(action)}")


def action_words(action: str) -> str:
    return {"read": "read the registry", "write": "register preparations, lots, datasets or runs",
            "decide": "record release decisions", "admin": "manage users"}[action]


def check_csrf(expected: str, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfFailure("the form's security token is missing or stale; reload the page and submit again")


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


class LoginLimiter:
    """At most ``limit`` failed logins per ``window`` seconds per client address and per user name."""

    def __init__(self, limit: int = 5, window: float = 900.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def retry_after(self, address: str, name: str) -> int:
        """Seconds until a login for this address/name is accepted again (0: now)."""
        now = time.monotonic()
        with self._lock:
            waits = [self._recent(key, now) for key in (f"a:{address}", f"u:{name.lower()}")]
            blocked = [times[0] + self.window - now for times in waits if len(times) >= self.limit]
        return int(max(blocked)) + 1 if blocked else 0

    def failed(self, address: str, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"a:{address}", f"u:{name.lower()}"):
                self._recent(key, now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"u:{name.lower()}", None)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
