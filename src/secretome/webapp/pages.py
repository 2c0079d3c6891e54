"""The browser pages: login, dashboard, lot page (trends, datasets, runs, decisions), upload with preview,
run page with live progress, protein search and downloads, and the clinical page (outcomes runs of trials).
Every form checks the session's CSRF token; every object route loads the object by id and checks the user's
role before doing anything. Clinical runs answer 404 to users without the clinical grant (as a missing run
does, so ids cannot be probed), and every view of one is audited."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from starlette.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from secretome.errors import SecretomeInputError
from secretome.registry import auth, services, trends
from secretome.registry.engine import REPORT_FILE
from secretome.registry.models import LOT_STATUSES, Dataset, DatasetSample, Decision, Lot, Preparation, ProteinLevel, Run
from secretome.tables import tsv_text
from secretome.webapp import security
from secretome.webapp.security import Viewer

DASHBOARD_METRICS = ("serum_share", "lysis_share", "secreted_share")
PAGE_SIZE = 100


ASSAY_FILE_ROLES = ("potency", "layout")  # an assay export's optional potency specification and plate layout


def get_or_404(session: Session, model: Any, object_id: int) -> Any:
    from secretome.webapp.app import NotFound

    row = session.get(model, object_id)
    if row is None:
        raise NotFound(f"no {model.__tablename__.rstrip('s')} {object_id}")
    return row


def run_for_view(web: Any, session: Session, viewer: Viewer, run_id: int, what: str | None) -> Run:
    """Run ``run_id`` as ``viewer`` may see it, else 404; a view (``what``) of a clinical run is audited first,
    in its own committed transaction, so no patient data are shown without their audit entry."""
    from secretome.webapp.app import NotFound

    run = services.visible_run(session, viewer.user, run_id)
    if run is None:
        raise NotFound(f"no run {run_id}")
    if run.clinical and what is not None:
        with web.registry.session() as writing:
            services.record_view(writing, viewer.user.name, run, what)
    return run


def require_clinical(viewer: Viewer) -> None:
    """404 (not 403: the clinical part of the app is not there for others) unless ``viewer`` has the clinical grant."""
    from secretome.webapp.app import NotFound

    if not auth.clinical_allowed(viewer.user):
        raise NotFound("no such page")


def run_file_response(web: Any, run: Run, name: str) -> Response:
    """A run's output file: reports as sandboxed HTML with their own script hashes, tables as downloads."""
    path = services.output_file(web.data_dir, run, name)
    if name.endswith(".html"):
        html = path.read_text(encoding="utf-8")
        return HTMLResponse(html, headers=security.security_headers(security.report_csp(html)))
    media = {"tsv": "text/tab-separated-values", "json": "application/json", "csv": "text/csv"}.get(name.rsplit(".", 1)[-1],
                                                                                                   "application/octet-stream")
    headers = security.security_headers("default-src 'none'; sandbox")
    headers["Content-Disposition"] = f'attachment; filename="run-{run.id}-{name}"'
    return Response(path.read_bytes(), media_type=media, headers=headers)


DOWNLOAD_TYPES = {"tsv": "text/tab-separated-values", "csv": "text/csv",
                  "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_download(frame: Any, name: str, fmt: str) -> Response:
    """A table as a TSV, CSV or XLSX download, written by :mod:`secretome.tables` (formula-like cells neutralised)."""
    import io
    import tempfile
    from pathlib import Path

    from secretome.tables import write_csv, write_xlsx

    if fmt not in DOWNLOAD_TYPES:
        raise SecretomeInputError(f"unknown download type {fmt!r}", expected="tsv, csv or xlsx")
    if fmt == "tsv":
        content: bytes = tsv_text(frame).encode("utf-8")
    elif fmt == "csv":
        buffer = io.StringIO()
        write_csv(frame, buffer)
        content = buffer.getvalue().encode("utf-8")
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}.xlsx"
            write_xlsx({name: frame}, path)
            content = path.read_bytes()
    return Response(content, media_type=DOWNLOAD_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def router(web: Any) -> APIRouter:  # noqa: C901  (one closure per route keeps the routes readable in one place)
    routes = APIRouter(include_in_schema=False)

    async def session_form(request: Request) -> tuple[Viewer, Any]:
        """The logged-in user and their form, its CSRF token checked. Parsed here, in the event loop; the
        (synchronous) route then runs in the thread pool, so slow work never blocks other requests."""
        viewer = await run_in_threadpool(web.session_viewer, request)
        form = await request.form(max_files=max(2 + len(ASSAY_FILE_ROLES), 4), max_fields=40)  # assay or clinical uploads
        security.check_csrf(viewer.csrf, form.get("csrf"))  # type: ignore[arg-type]
        return viewer, form

    async def login_form(request: Request) -> Any:
        form = await request.form(max_files=0, max_fields=10)
        security.check_csrf(request.cookies.get(security.LOGIN_COOKIE, ""), form.get("csrf"))  # type: ignore[arg-type]
        return form

    # ------------------------------------------------------------------------------------ login
    @routes.get("/login")
    def login_page(request: Request, error: str = "") -> HTMLResponse:
        token = request.cookies.get(security.LOGIN_COOKIE) or security.new_login_token()
        response = web.page(request, "login.html", None, login_csrf=token, error=error)
        response.set_cookie(security.LOGIN_COOKIE, token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/login")
        return response

    @routes.post("/login")
    def login(request: Request, form: Any = Depends(login_form)) -> Response:
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        address = security.client_address(request)
        wait = web.limiter.retry_after(address, name)
        if wait:
            response = web.page(request, "login.html", None, login_csrf=form.get("csrf"), status_code=429,
                                error=f"too many failed logins; try again in {wait // 60 + 1} minutes")
            response.headers["Retry-After"] = str(wait)
            return response
        with web.registry.session() as session:
            user = auth.find_user(session, name)
            if not auth.check_password(user, password):
                web.limiter.failed(address, name)
                return web.page(request, "login.html", None, login_csrf=form.get("csrf"), status_code=401,
                                error="unknown user name or wrong password")
            token, _ = auth.open_session(session, user)
        web.limiter.succeeded(name)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(security.SESSION_COOKIE, token, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/", max_age=auth.SESSION_HOURS * 3600)
        response.delete_cookie(security.LOGIN_COOKIE, path="/login")
        return response

    @routes.post("/logout")
    def logout(request: Request, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, _ = posted
        with web.registry.session() as session:
            auth.close_session(session, request.cookies.get(security.SESSION_COOKIE, ""))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(security.SESSION_COOKIE, path="/")
        return response

    # -------------------------------------------------------------------------------- dashboard
    def dashboard_rows(session: Session, q: str, status: str, page: int | None = None) -> list[dict[str, Any]]:
        """The lots matching ``q``/``status``, newest first: one page of :data:`PAGE_SIZE` (or all when ``page`` is None)."""
        query = select(Lot, Preparation).join(Preparation, Lot.preparation_id == Preparation.id).order_by(Lot.id.desc())
        if status in LOT_STATUSES:
            query = query.where(Lot.status == status)
        if q:
            like = f"%{q.strip()}%"
            query = query.where(or_(Lot.number.ilike(like), Lot.donor.ilike(like), Preparation.name.ilike(like),
                                    Preparation.cell_source.ilike(like)))
        if page is not None:
            query = query.limit(PAGE_SIZE + 1).offset(max(page - 1, 0) * PAGE_SIZE)
        rows = session.execute(query).all()
        ids = [lot.id for lot, _ in rows]
        metrics = services.latest_profile_metrics(session, ids)
        verdicts = services.lot_verdicts(session, ids)
        return [{"lot": lot, "preparation": prep, "qc": verdicts.get(lot.id, ""),
                 "metrics": {m: metrics.get(lot.id, {}).get(m) for m in DASHBOARD_METRICS}} for lot, prep in rows]

    @routes.get("/")
    def dashboard(request: Request, q: str = "", status: str = "", page: int = 1) -> HTMLResponse:
        viewer = web.session_viewer(request)
        page = max(page, 1)
        with web.registry.read() as session:
            rows = dashboard_rows(session, q, status, page)
            preparations = list(session.execute(select(Preparation).order_by(Preparation.name)).scalars())
            return web.page(request, "dashboard.html", viewer, rows=rows[:PAGE_SIZE], preparations=preparations, q=q,
                            status=status, statuses=LOT_STATUSES, metrics=DASHBOARD_METRICS, page=page,
                            has_next=len(rows) > PAGE_SIZE)

    @routes.get("/lots.{fmt}")
    def dashboard_download(request: Request, fmt: str, q: str = "", status: str = "") -> Response:
        import pandas as pd

        web.session_viewer(request)
        with web.registry.read() as session:
            rows = dashboard_rows(session, q, status)
        frame = pd.DataFrame([{"lot": r["lot"].number, "preparation": r["preparation"].name, "status": r["lot"].status,
                               "donor": r["lot"].donor, "qc": r["qc"], **r["metrics"]} for r in rows],
                             columns=["lot", "preparation", "status", "donor", "qc", *DASHBOARD_METRICS])
        return table_download(frame, "lots", fmt)

    @routes.post("/preparations")
    def create_preparation(request: Request, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("write")
        with web.registry.session() as session:
            services.create_preparation(session, viewer.user.name, dict(form))
        return RedirectResponse("/", status_code=303)

    @routes.post("/lots")
    def create_lot(request: Request, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("write")
        with web.registry.session() as session:
            lot = services.create_lot(session, viewer.user.name, dict(form))
        return RedirectResponse(f"/lots/{lot.id}", status_code=303)

    # -------------------------------------------------------------------------------------- lot
    @routes.get("/lots/{lot_id}")
    def lot_page(request: Request, lot_id: int) -> HTMLResponse:
        viewer = web.session_viewer(request)
        with web.registry.read() as session:
            lot = get_or_404(session, Lot, lot_id)
            dataset_ids = select(DatasetSample.dataset_id).where(DatasetSample.lot_id == lot.id)
            datasets = list(session.execute(select(Dataset).where(or_(Dataset.lot_id == lot.id, Dataset.id.in_(dataset_ids)))
                                            .order_by(Dataset.id)).scalars())
            runs = list(session.execute(select(Run).where(or_(Run.lot_id == lot.id, Run.dataset_id.in_(dataset_ids)))
                                        .order_by(Run.id.desc())).scalars())
            decisions = list(session.execute(select(Decision).where(Decision.lot_id == lot.id).order_by(Decision.id)).scalars())
            released = list(session.execute(select(Lot).where(Lot.status == "released", Lot.id != lot.id)
                                            .order_by(Lot.number)).scalars())
            lots_in = {d.id: [item.number for item in services.dataset_lots(session, d)] for d in datasets}
            trend = trends.lot_trend(session, lot)
            potency = services.lot_potency(session, lot)
            return web.page(request, "lot.html", viewer, lot=lot, datasets=datasets, runs=runs, decisions=decisions,
                            released=released, lots_in=lots_in, trend=trend, potency=potency,
                            statuses=("in_process", "qc"))

    @routes.post("/lots/{lot_id}/status")
    def lot_status(request: Request, lot_id: int, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("write")
        with web.registry.session() as session:
            services.set_lot_status(session, viewer.user.name, get_or_404(session, Lot, lot_id), str(form.get("status", "")))
        return RedirectResponse(f"/lots/{lot_id}", status_code=303)

    @routes.post("/lots/{lot_id}/decision")
    def decision(request: Request, lot_id: int, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("decide")
        evidence = []
        for value in form.getlist("evidence"):
            if not str(value).isdigit():
                raise SecretomeInputError(f"evidence run {value!r}", expected="run ids")
            evidence.append(int(value))
        with web.registry.session() as session:
            user = session.get(type(viewer.user), viewer.user.id)
            password_ok = auth.check_password(user, str(form.get("password", "")))
            if not password_ok:
                web.limiter.failed(security.client_address(request), user.name)
            services.record_decision(session, user, password_ok, get_or_404(session, Lot, lot_id),
                                     str(form.get("verdict", "")), str(form.get("justification", "")), evidence)
        return RedirectResponse(f"/lots/{lot_id}#decisions", status_code=303)

    # ----------------------------------------------------------------------------------- upload
    @routes.get("/lots/{lot_id}/upload")
    def upload_page(request: Request, lot_id: int) -> HTMLResponse:
        viewer = web.session_viewer(request)
        viewer.require("write")
        with web.registry.read() as session:
            lot = get_or_404(session, Lot, lot_id)
            return web.page(request, "upload.html", viewer, lot=lot)

    @routes.post("/lots/{lot_id}/upload")
    def upload(request: Request, lot_id: int, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("write")
        with web.registry.session() as session:
            get_or_404(session, Lot, lot_id)
        files = {}
        for role, field in (("table", "table"), ("sheet", "samples"), *((r, r) for r in ASSAY_FILE_ROLES)):
            upload_file = form.get(field)
            if upload_file is not None and not isinstance(upload_file, str) and upload_file.filename:
                files[role] = (upload_file.file, upload_file.filename)
        token, folder = services.stage_upload(web.data_dir, viewer.user.name, lot_id, files, web.max_upload_bytes)
        services.preview_staged(folder, keep_error=True)
        return RedirectResponse(f"/uploads/{token}", status_code=303)

    def staged_for(viewer: Viewer, token: str) -> tuple[Any, dict[str, Any]]:
        from secretome.webapp.app import NotFound

        try:
            folder = services.staged_folder(web.data_dir, token)
        except SecretomeInputError:
            raise NotFound("no such upload (registered, discarded or expired)") from None
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("user") != viewer.user.name:
            raise NotFound("no such upload (registered, discarded or expired)")
        return folder, meta

    @routes.get("/uploads/{token}")
    def preview_page(request: Request, token: str) -> HTMLResponse:
        viewer = web.session_viewer(request)
        viewer.require("write")
        _, meta = staged_for(viewer, token)
        with web.registry.read() as session:
            lot = get_or_404(session, Lot, int(meta["lot_id"]))
            known = set(session.execute(select(Lot.number)).scalars())
            return web.page(request, "preview.html", viewer, token=token, meta=meta, lot=lot, preview=meta.get("preview"),
                            error=meta.get("error", ""), known_lots=known)

    @routes.post("/uploads/{token}/register")
    def register(request: Request, token: str, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, _ = posted
        viewer.require("write")
        folder, meta = staged_for(viewer, token)
        if meta.get("error"):
            raise SecretomeInputError(meta["error"])
        with web.registry.session() as session:
            lot = get_or_404(session, Lot, int(meta["lot_id"]))
            if (meta.get("preview") or {}).get("summary", {}).get("kind") == "immunoassay":  # an assay export
                files = services.store_staged_roles(session, web.data_dir, folder, ASSAY_FILE_ROLES)
                dataset = services.register_dataset(session, web.data_dir, viewer.user.name, folder, lot)
                run = services.create_run(session, web.data_dir, viewer.user.name, dataset, "assay", files)
            else:
                dataset = services.register_dataset(session, web.data_dir, viewer.user.name, folder, lot)
                run = services.create_run(session, web.data_dir, viewer.user.name, dataset, "profile", {})
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    @routes.post("/uploads/{token}/discard")
    def discard(request: Request, token: str, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        import shutil

        viewer, _ = posted
        viewer.require("write")
        folder, meta = staged_for(viewer, token)
        shutil.rmtree(folder, ignore_errors=True)
        return RedirectResponse(f"/lots/{int(meta['lot_id'])}", status_code=303)

    # ------------------------------------------------------------------------------------- runs
    @routes.post("/runs")
    def create_run(request: Request, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        viewer.require("write")
        kind = str(form.get("kind", ""))
        dataset_id = str(form.get("dataset_id", ""))
        if not dataset_id.isdigit():
            raise SecretomeInputError("no dataset chosen", expected="a dataset of this lot")
        parameters: dict[str, Any] = {}
        for key in form.keys():
            if key.startswith("p_"):
                values = form.getlist(key)
                parameters[key[2:]] = values if key[2:] == "reference" else values[-1]
        with web.registry.session() as session:
            dataset = get_or_404(session, Dataset, int(dataset_id))
            lot_id = str(form.get("lot_id", ""))
            lot = get_or_404(session, Lot, int(lot_id)) if lot_id.isdigit() else None
            run = services.create_run(session, web.data_dir, viewer.user.name, dataset, kind, parameters, lot=lot)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    @routes.get("/runs/{run_id}")
    def run_page(request: Request, run_id: int) -> HTMLResponse:
        viewer = web.session_viewer(request)
        with web.registry.read() as session:
            run = run_for_view(web, session, viewer, run_id, "page")
            report = next((o["name"] for o in run.outputs if o["name"] == REPORT_FILE[run.kind]), "")
            return web.page(request, "run.html", viewer, run=run, report=report, lot=run.lot, dataset=run.dataset)

    @routes.get("/runs/{run_id}/status.json")
    def run_status(request: Request, run_id: int) -> dict[str, Any]:
        viewer = web.session_viewer(request)
        with web.registry.read() as session:
            run = run_for_view(web, session, viewer, run_id, None)  # status and step only: gated, not audited
            return {"status": run.status, "step": run.step, "progress": run.progress, "error": run.error, "log": run.log}

    @routes.get("/runs/{run_id}/files/{name}")
    def run_file(request: Request, run_id: int, name: str) -> Response:
        viewer = web.session_viewer(request)
        with web.registry.read() as session:
            run = run_for_view(web, session, viewer, run_id, f"file {name}")
            return run_file_response(web, run, name)

    # --------------------------------------------------------------------------------- clinical
    @routes.get("/clinical")
    def clinical_page(request: Request) -> HTMLResponse:
        viewer = web.session_viewer(request)
        require_clinical(viewer)
        with web.registry.read() as session:
            return web.page(request, "clinical.html", viewer, runs=services.clinical_runs(session, viewer.user))

    @routes.post("/clinical/runs")
    def clinical_run(request: Request, posted: tuple[Viewer, Any] = Depends(session_form)) -> Response:
        viewer, form = posted
        require_clinical(viewer)
        files = {}
        for role in ("records", "dictionary", "events", "treatments"):
            upload_file = form.get(role)
            if upload_file is not None and not isinstance(upload_file, str) and upload_file.filename:
                files[role] = (upload_file.file, upload_file.filename)
        parameters = {name: str(form.get(f"p_{name}", "")) for name in ("baseline", "visit", "reference_arm", "min_cell")}
        with web.registry.session() as session:
            user = session.get(type(viewer.user), viewer.user.id)
            run = services.create_outcomes_run(session, web.data_dir, user, files, parameters, web.max_upload_bytes)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    # ----------------------------------------------------------------------------------- search
    @routes.get("/search.{fmt}")
    def search_download(request: Request, fmt: str, q: str = "") -> Response:
        import pandas as pd

        web.session_viewer(request)
        with web.registry.read() as session:
            hits = protein_hits(session, q.strip()) if q.strip() else []
        frame = pd.DataFrame([{"lot": h["lot"].number, "preparation": h["preparation"].name, "protein": h["level"].protein,
                               "gene": h["level"].gene, "description": h["level"].description,
                               "mean_log2": h["level"].mean_log2, "n_detected": h["level"].n_detected} for h in hits],
                             columns=["lot", "preparation", "protein", "gene", "description", "mean_log2", "n_detected"])
        return table_download(frame, "protein-search", fmt)

    @routes.get("/search")
    def search(request: Request, q: str = "") -> HTMLResponse:
        viewer = web.session_viewer(request)
        hits: list[Any] = []
        with web.registry.read() as session:
            if q.strip():
                hits = protein_hits(session, q.strip())
            return web.page(request, "search.html", viewer, q=q, hits=hits)

    return routes


def protein_hits(session: Session, q: str, limit: int = 200) -> list[dict[str, Any]]:
    """Lots where a protein (gene, accession or description) is found, highest mean log2 first, from each lot's
    latest profile run."""
    latest = (select(ProteinLevel.lot_id, func.max(ProteinLevel.run_id).label("run_id"))
              .group_by(ProteinLevel.lot_id).subquery())
    like = f"%{q}%"
    query = (select(ProteinLevel, Lot, Preparation)
             .join(latest, (ProteinLevel.lot_id == latest.c.lot_id) & (ProteinLevel.run_id == latest.c.run_id))
             .join(Lot, Lot.id == ProteinLevel.lot_id).join(Preparation, Preparation.id == Lot.preparation_id)
             .where(or_(func.upper(ProteinLevel.gene) == q.upper(), ProteinLevel.protein.ilike(like),
                        ProteinLevel.description.ilike(like)))
             .order_by(ProteinLevel.mean_log2.desc()).limit(limit))
    return [{"level": level, "lot": lot, "preparation": prep} for level, lot, prep in session.execute(query)]
