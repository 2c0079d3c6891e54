"""The web app: server-rendered pages and a JSON API over the registry (FastAPI, Jinja, no build step).

``create_app(registry)`` builds it; ``secretome serve`` runs it with uvicorn. Analyses are queued as
runs and executed by the registry's worker (embedded thread by default), never inside a request.
"""

from __future__ import annotations

import inspect
import json
import logging
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from secretome import __version__
from secretome.errors import SecretomeInputError
from secretome.registry import auth
from secretome.registry.db import Registry
from secretome.registry.store import clean_staging
from secretome.registry.worker import Worker
from secretome.textsafety import configure_jinja
from secretome.webapp import security
from secretome.webapp.security import CsrfFailure, Forbidden, LoginLimiter, NotLoggedIn, Viewer

log = logging.getLogger("secretome.webapp")


class NotFound(Exception):
    """An object id that does not exist (answered 404, the same as one the user may not see)."""


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class BodyLimit:
    """ASGI guard: a request body larger than ``limit`` bytes is cut off with 413 before it is parsed."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({"error": f"upload larger than the limit of {self.limit >> 20} MiB"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class WebApp:
    """What the routes share: the registry, templates, limits, the login limiter and the worker."""

    def __init__(self, registry: Registry, max_upload_bytes: int) -> None:
        self.registry = registry
        self.data_dir = registry.data_dir
        self.max_upload_bytes = max_upload_bytes
        self.limiter = LoginLimiter()
        self.templates = configure_jinja(jinja2.Environment(
            loader=jinja2.PackageLoader("secretome.webapp", "templates"), autoescape=True,
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        ))
        self.templates.filters["pct"] = lambda v: "" if v is None else f"{100 * float(v):.1f}%"
        self.templates.filters["num"] = lambda v, d=2: "" if v is None else f"{float(v):.{d}f}"

    def page(self, request: Request, template: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(
            request_path=request.url.path, viewer=viewer, user=viewer.user if viewer else None,
            csrf=viewer.csrf if viewer else "", can=(lambda action: viewer is not None and auth.allowed(viewer.user, action)),
            version=__version__, max_upload_mb=self.max_upload_bytes >> 20, **context,
        )
        return HTMLResponse(html, status_code=status_code)

    # --------------------------------------------------------------------------- identities
    def session_viewer(self, request: Request) -> Viewer:
        token = request.cookies.get(security.SESSION_COOKIE)
        if not token:
            raise NotLoggedIn()
        with self.registry.read() as session:
            row = auth.resolve_session(session, token)
            if row is None:
                raise NotLoggedIn()
            user = row.user
            session.expunge(user)
            return Viewer(user=user, csrf=row.csrf)

    def token_viewer(self, request: Request) -> Viewer:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotLoggedIn()
        with self.registry.read() as session:
            user = auth.user_for_token(session, token.strip())
            if user is None:
                raise NotLoggedIn()
            session.expunge(user)
            return Viewer(user=user)


def create_app(registry: Registry, *, embedded_worker: bool = True, max_upload_bytes: int = 500 << 20) -> FastAPI:
    """The FastAPI app over ``registry``; with ``embedded_worker`` a worker thread runs queued analyses."""
    web = WebApp(registry, max_upload_bytes)
    worker = Worker(registry) if embedded_worker else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        clean_staging(registry.data_dir)
        if worker is not None:
            worker.start_thread()
        yield
        if worker is not None:
            worker.stop()

    options: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:  # nothing leaves the machine: FastAPI's OpenTelemetry off
        options["telemetry"] = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False,
                                "auto_configure": False}
    app = FastAPI(title="secretome registry", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json", **options)
    app.state.web = web
    app.state.worker = worker

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if "content-security-policy" not in response.headers:
            for key, value in security.security_headers(security.APP_CSP).items():
                response.headers.setdefault(key, value)
        return response

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(SecretomeInputError)
    async def input_error(request: Request, error: SecretomeInputError):  # type: ignore[no-untyped-def]
        if wants_json(request):
            return JSONResponse({"error": str(error)}, status_code=400)
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=400, message=str(error))

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, _error: NotLoggedIn):  # type: ignore[no-untyped-def]
        if wants_json(request):
            return JSONResponse({"error": "authentication required: send 'Authorization: Bearer TOKEN'"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, error: Forbidden):  # type: ignore[no-untyped-def]
        if wants_json(request):
            return JSONResponse({"error": str(error)}, status_code=403)
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=403, message=str(error))

    @app.exception_handler(CsrfFailure)
    async def csrf_failure(request: Request, error: CsrfFailure):  # type: ignore[no-untyped-def]
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=403, message=str(error))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, error: NotFound):  # type: ignore[no-untyped-def]
        if wants_json(request):
            return JSONResponse({"error": str(error) or "not found"}, status_code=404)
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=404, message=str(error) or "not found")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):  # type: ignore[no-untyped-def]
        if wants_json(request):
            return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=error.status_code,
                        message=str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):  # type: ignore[no-untyped-def]
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors())
        if wants_json(request):
            return JSONResponse({"error": problems}, status_code=422)
        return web.page(request, "error.html", _maybe_viewer(web, request), status_code=422, message=problems)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception):  # type: ignore[no-untyped-def]
        log.exception("internal error on %s", request.url.path)
        message = "internal error; the details are in the server's log"
        if wants_json(request):
            return JSONResponse({"error": message}, status_code=500)
        return web.page(request, "error.html", None, status_code=500, message=message)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(_plotly_js(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        folder = resources.files("secretome.webapp") / "static"
        allowed = {entry.name for entry in folder.iterdir()}
        if name not in allowed:
            raise NotFound("no such file")
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return Response((folder / name).read_bytes(), media_type=media, headers={"Cache-Control": "public, max-age=3600"})

    from secretome.webapp import api, pages

    app.include_router(pages.router(web))
    app.include_router(api.router(web))
    return BodyLimitApp(app, max_upload_bytes + (1 << 20))


def _maybe_viewer(web: WebApp, request: Request) -> Viewer | None:
    try:
        return web.session_viewer(request)
    except NotLoggedIn:
        return None


class BodyLimitApp(BodyLimit):
    """The app wrapped in the body-size guard, still exposing the FastAPI app's state and routes."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

