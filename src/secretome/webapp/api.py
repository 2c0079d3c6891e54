"""The JSON API (``/api/v1``, OpenAPI at ``/api/v1/openapi.json``, docs at ``/api/v1/docs``), authenticated by
bearer tokens from ``secretome users token NAME``. No cookies are accepted here, so no CSRF applies."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from secretome import __version__
from secretome.errors import SecretomeInputError
from secretome.registry import services, trends
from secretome.registry.engine import REPORT_FILE
from secretome.registry.models import Dataset, Lot, Preparation
from secretome.webapp.pages import get_or_404, protein_hits, require_clinical, run_file_response, run_for_view


class PreparationIn(BaseModel):
    name: str
    cell_source: str = ""
    medium: str = ""
    supplement: str = ""
    conditioning_hours: float | None = None
    processing: str = ""


class LotIn(BaseModel):
    number: str
    preparation_id: int
    donor: str = ""
    passage: str = ""
    produced_on: str = ""
    harvested_on: str = ""
    volume_ml: float | None = None


class RunIn(BaseModel):
    dataset: int
    kind: str = Field(description="profile, compare or comparability")
    parameters: dict[str, Any] = Field(default_factory=dict)
    lot: int | None = None


class Created(BaseModel):
    id: int


def router(web: Any) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["registry"])

    def viewer(request: Request, action: str = "read"):  # type: ignore[no-untyped-def]
        found = web.token_viewer(request)
        found.require(action)
        return found

    @api.get("/health")
    def health() -> dict[str, str]:
        """Liveness and version (no token needed)."""
        return {"status": "ok", "version": __version__}

    @api.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        """The OpenAPI description as a page (offline: no Swagger UI from a CDN)."""
        schema = request.app.openapi()
        endpoints = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                      "description": op.get("description", "")}
                     for path, methods in schema["paths"].items() for method, op in methods.items()]
        return web.page(request, "api_docs.html", None, endpoints=endpoints, schema_url="/api/v1/openapi.json")

    @api.post("/preparations", response_model=Created)
    def create_preparation(request: Request, body: PreparationIn) -> Created:
        who = viewer(request, "write")
        with web.registry.session() as session:
            return Created(id=services.create_preparation(session, who.user.name, body.model_dump()).id)

    @api.get("/lots")
    def list_lots(request: Request, status: str = "") -> list[dict[str, Any]]:
        viewer(request)
        with web.registry.read() as session:
            query = select(Lot).order_by(Lot.id)
            if status:
                query = query.where(Lot.status == status)
            return [services.as_dict(lot) for lot in session.execute(query).scalars()]

    @api.post("/lots", response_model=Created)
    def create_lot(request: Request, body: LotIn) -> Created:
        who = viewer(request, "write")
        with web.registry.session() as session:
            return Created(id=services.create_lot(session, who.user.name, body.model_dump()).id)

    @api.get("/lots/{lot_id}")
    def get_lot(request: Request, lot_id: int) -> dict[str, Any]:
        viewer(request)
        with web.registry.read() as session:
            return services.as_dict(get_or_404(session, Lot, lot_id))

    @api.get("/lots/{lot_id}/trend")
    def lot_trend(request: Request, lot_id: int) -> dict[str, Any]:
        """Every purity index, class share and key factor across the preparation's lots, with control limits."""
        viewer(request)
        with web.registry.read() as session:
            return trends.lot_trend(session, get_or_404(session, Lot, lot_id))

    @api.get("/lots/{lot_id}/potency")
    def lot_potency(request: Request, lot_id: int) -> list[dict[str, Any]]:
        """The lot's potency/release results (latest assay run) beside the proteome's evidence for the same gene."""
        viewer(request)
        with web.registry.read() as session:
            return services.lot_potency(session, get_or_404(session, Lot, lot_id))

    @api.post("/datasets", response_model=Created)
    def create_dataset(request: Request, lot: int = Form(...), file: UploadFile = File(...),
                       samples: UploadFile | None = File(None)) -> Created:
        """Upload a result table (and optional sample sheet) for a lot; it is read before it is registered."""
        who = viewer(request, "write")
        with web.registry.session() as session:
            get_or_404(session, Lot, lot)
        files = {role: (upload.file, upload.filename) for role, upload in (("table", file), ("sheet", samples))
                 if upload is not None and upload.filename}
        _, folder = services.stage_upload(web.data_dir, who.user.name, lot, files, web.max_upload_bytes)
        try:
            services.preview_staged(folder)
            with web.registry.session() as session:
                dataset = services.register_dataset(session, web.data_dir, who.user.name, folder, session.get(Lot, lot))
                return Created(id=dataset.id)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    @api.get("/datasets/{dataset_id}")
    def get_dataset(request: Request, dataset_id: int) -> dict[str, Any]:
        viewer(request)
        with web.registry.read() as session:
            dataset = get_or_404(session, Dataset, dataset_id)
            return {**services.as_dict(dataset), "samples": [{"sample": s.sample, "lot": s.lot.number} for s in dataset.samples]}

    @api.post("/runs", response_model=Created)
    def create_run(request: Request, body: RunIn) -> Created:
        who = viewer(request, "write")
        with web.registry.session() as session:
            dataset = get_or_404(session, Dataset, body.dataset)
            lot = get_or_404(session, Lot, body.lot) if body.lot is not None else None
            run = services.create_run(session, web.data_dir, who.user.name, dataset, body.kind, body.parameters, lot=lot)
            return Created(id=run.id)

    @api.get("/runs/{run_id}")
    def get_run(request: Request, run_id: int) -> dict[str, Any]:
        """A run's status and progress, and when done its outputs, summary and reproducing command."""
        who = viewer(request)
        with web.registry.read() as session:
            run = run_for_view(web, session, who, run_id, "api run")
            return services.as_dict(run, ("id", "dataset_id", "lot_id", "kind", "clinical", "parameters", "status", "step", "progress",
                                          "error", "engine_version", "kb_version", "input_checksums", "outputs", "summary",
                                          "command", "attempts", "created_by", "created_at", "started_at", "finished_at"))

    @api.get("/runs/{run_id}/report", response_class=HTMLResponse)
    def run_report(request: Request, run_id: int) -> Response:
        who = viewer(request)
        with web.registry.read() as session:
            run = run_for_view(web, session, who, run_id, "api report")
            if run.status != "done":
                raise SecretomeInputError(f"run {run.id} is {run.status}", expected="a finished run")
            return run_file_response(web, run, REPORT_FILE[run.kind])

    @api.get("/runs/{run_id}/files/{name}")
    def run_file(request: Request, run_id: int, name: str) -> Response:
        who = viewer(request)
        with web.registry.read() as session:
            return run_file_response(web, run_for_view(web, session, who, run_id, f"api file {name}"), name)

    @api.get("/clinical/runs")
    def list_clinical_runs(request: Request) -> list[dict[str, Any]]:
        """The outcomes runs of clinical trials (only with the clinical grant; 404 otherwise)."""
        who = viewer(request)
        require_clinical(who)
        with web.registry.read() as session:
            return [services.as_dict(run, ("id", "kind", "status", "created_by", "created_at", "finished_at"))
                    for run in services.clinical_runs(session, who.user)]

    @api.post("/clinical/runs", response_model=Created)
    def create_clinical_run(request: Request, records: UploadFile = File(...), treatments: UploadFile = File(...),
                            dictionary: UploadFile | None = File(None), events: UploadFile | None = File(None), baseline: str = Form(""), visit: str = Form(""),
                            reference_arm: str = Form(""), min_cell: str = Form("")) -> Created:
        """Upload a trial's records, treatments (and REDCap dictionary and events) and queue an outcomes run of them; the
        lots the treatments name take their composition from the registry. Only with the clinical grant."""
        who = viewer(request)
        require_clinical(who)
        files = {role: (upload.file, upload.filename) for role, upload in
                 (("records", records), ("dictionary", dictionary), ("events", events), ("treatments", treatments))
                 if upload is not None and upload.filename}
        parameters = {"baseline": baseline, "visit": visit, "reference_arm": reference_arm, "min_cell": min_cell}
        with web.registry.session() as session:
            user = session.get(type(who.user), who.user.id)
            return Created(id=services.create_outcomes_run(session, web.data_dir, user, files, parameters,
                                                           web.max_upload_bytes).id)

    @api.get("/proteins")
    def proteins(request: Request, q: str) -> list[dict[str, Any]]:
        """Where a protein is found across lots (latest profile of each lot), highest mean log2 first."""
        viewer(request)
        with web.registry.read() as session:
            return [{"lot": h["lot"].number, "lot_id": h["lot"].id, "preparation": h["preparation"].name,
                     "protein": h["level"].protein, "gene": h["level"].gene, "mean_log2": h["level"].mean_log2,
                     "n_detected": h["level"].n_detected} for h in protein_hits(session, q)]

    @api.get("/preparations")
    def list_preparations(request: Request) -> list[dict[str, Any]]:
        viewer(request)
        with web.registry.read() as session:
            return [services.as_dict(p) for p in session.execute(select(Preparation).order_by(Preparation.id)).scalars()]

    return api

