"""Registry operations shared by the web app, the API and the CLI; each change is audited in its own transaction.

Every function takes an open session (the caller's transaction) and the acting user's name, checks its
input (bad input is a :class:`SecretomeInputError`), writes the change and its audit entry together.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.registry import audit, auth, engine, store
from secretome.registry.models import (
    VERDICTS, Dataset, DatasetSample, Decision, Lot, LotMetric, Preparation, ProteinLevel, Run,
    StoredFile, User, utcnow,
)

PREPARATION_FIELDS = ("name", "cell_source", "medium", "supplement", "conditioning_hours", "processing")
LOT_FIELDS = ("number", "preparation_id", "donor", "passage", "produced_on", "harvested_on", "volume_ml")


def as_dict(row: Any, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A row's columns as a JSON-able dict (for the audit log and the API)."""
    names = fields or tuple(c.key for c in row.__table__.columns)
    return {name: getattr(row, name) for name in names}


def _text(values: dict[str, Any], name: str, required: bool = False, limit: int = 200) -> str:
    value = str(values.get(name) or "").strip()
    if required and not value:
        raise SecretomeInputError(f"{name} is required", expected=f"a non-empty {name}")
    if len(value) > limit:
        raise SecretomeInputError(f"{name} is longer than {limit} characters", expected="a shorter text")
    return value


def _number(values: dict[str, Any], name: str) -> float | None:
    value = values.get(name)
    if value is None or str(value).strip() == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SecretomeInputError(f"{name} is {value!r}", expected="a number") from None
    if not math.isfinite(number) or number < 0:
        raise SecretomeInputError(f"{name} is {value!r}", expected="a finite number >= 0")
    return number


def create_preparation(session: Session, actor: str, values: dict[str, Any]) -> Preparation:
    name = _text(values, "name", required=True)
    if session.execute(select(Preparation.id).where(Preparation.name == name)).first():
        raise SecretomeInputError(f"a preparation named {name!r} exists already", expected="a new name")
    row = Preparation(
        name=name, cell_source=_text(values, "cell_source"), medium=_text(values, "medium"),
        supplement=_text(values, "supplement"), conditioning_hours=_number(values, "conditioning_hours"),
        processing=_text(values, "processing", limit=2000), created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "preparation", row.id, None, as_dict(row))
    return row


def create_lot(session: Session, actor: str, values: dict[str, Any]) -> Lot:
    number = _text(values, "number", required=True)
    try:
        preparation_id = int(values.get("preparation_id") or 0)
    except (TypeError, ValueError):
        preparation_id = 0
    if session.get(Preparation, preparation_id) is None:
        raise SecretomeInputError("unknown preparation", expected="the id of a registered preparation")
    if session.execute(select(Lot.id).where(Lot.number == number)).first():
        raise SecretomeInputError(f"lot {number!r} exists already", expected="a new lot number")
    row = Lot(
        number=number, preparation_id=preparation_id, donor=_text(values, "donor"), passage=_text(values, "passage", limit=50),
        produced_on=_text(values, "produced_on", limit=40), harvested_on=_text(values, "harvested_on", limit=40),
        volume_ml=_number(values, "volume_ml"), status="in_process", created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "lot", row.id, None, as_dict(row))
    return row


def set_lot_status(session: Session, actor: str, lot: Lot, status: str) -> None:
    """Move a lot between in process and QC; released/rejected only come from a signed decision."""
    if status not in ("in_process", "qc"):
        raise SecretomeInputError(f"status {status!r} cannot be set directly",
                                  expected="in_process or qc (released/rejected need a signed decision)")
    if lot.status in ("released", "rejected"):
        raise SecretomeInputError(f"lot {lot.number} is {lot.status}; its status is final", expected="an open lot")
    before = {"status": lot.status}
    lot.status = status
    audit.record(session, actor, "change", "lot", lot.id, before, {"status": status})


# ------------------------------------------------------------------------------------------ datasets
def staging_folder(data_dir: Path) -> tuple[str, Path]:
    """A new private folder under ``staging/`` for one upload: (its id, its path)."""
    token = secrets.token_hex(16)
    folder = data_dir / "staging" / token
    folder.mkdir()
    return token, folder


def stage_upload(data_dir: Path, user: str, lot_id: int, files: dict[str, tuple[Any, str]], max_bytes: int) -> tuple[str, Path]:
    """Stage one upload: ``files`` maps ``table`` (required) and ``sheet`` to (binary file object, uploaded
    name). Writes the files and ``meta.json`` (who, which lot, checksums) into a new staging folder;
    returns (upload id, folder). Nothing is registered; a refused file leaves no folder behind."""
    if "table" not in files:
        raise SecretomeInputError("no result table chosen", expected="a proteomics result table")
    token, folder = staging_folder(data_dir)
    meta: dict[str, Any] = {"user": user, "lot_id": lot_id}
    try:
        for role, (handle, filename) in files.items():
            staged = store.stage(folder, handle, filename, max_bytes)
            meta[role] = {"file": staged.path.name, "sha256": staged.sha256, "size": staged.size,
                          "suffix": staged.suffix, "name": store.display_name(filename)}
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return token, folder


def staged_folder(data_dir: Path, token: str) -> Path:
    """The staging folder of an upload id (checked: an id is 32 hex digits, never a path)."""
    if not isinstance(token, str) or len(token) != 32 or any(c not in "0123456789abcdef" for c in token):
        raise SecretomeInputError("unknown upload", expected="an upload id from the preview")
    folder = data_dir / "staging" / token
    if not (folder / "meta.json").is_file():
        raise SecretomeInputError("this upload is no longer staged (registered or expired)", expected="a new upload")
    return folder


def preview_staged(folder: Path, keep_error: bool = False) -> dict[str, Any]:
    """The reader's preview of a staged upload (see :func:`secretome.registry.engine.preview`), saved beside it.

    A reader error propagates; with ``keep_error`` it is saved as the upload's ``error`` instead (the
    preview page shows it) and returned as ``{"error": message}``.
    """
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    table = folder / meta["table"]["file"]
    sheet = folder / meta["sheet"]["file"] if meta.get("sheet") else None
    try:
        result = engine.preview(table, sheet)
    except SecretomeInputError as error:
        if not keep_error:
            raise
        meta["error"] = str(error)
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        return {"error": meta["error"]}
    meta["preview"] = result
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return result


def register_dataset(session: Session, data_dir: Path, actor: str, folder: Path, lot: Lot,
                     lot_column: str = "lot") -> Dataset:
    """Register a previewed upload: move its files into the store and record it with its samples' lots.

    A sample belongs to the registered lot named in its sheet's ``lot_column`` when there is one, else to
    ``lot``. The database rows commit with the caller's transaction; files already in the store without a
    row (a crash between the two) are harmless: the store is content-addressed and the upload can be
    registered again.
    """
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if "preview" not in meta:
        raise SecretomeInputError("the upload has not been previewed", expected="a previewed upload")
    preview = meta["preview"]
    lots_by_number = {number: lot_id for lot_id, number in session.execute(select(Lot.id, Lot.number))}
    files: dict[str, str | None] = {}
    for role in ("table", "sheet"):
        info = meta.get(role)
        if not info:
            files[role] = None
            continue
        staged = store.Staged(path=folder / info["file"], sha256=info["sha256"], size=info["size"], suffix=info["suffix"])
        if session.get(StoredFile, staged.sha256) is None:
            session.add(StoredFile(sha256=staged.sha256, suffix=staged.suffix, size=staged.size))
            session.flush()
        store.commit(data_dir, staged)
        files[role] = staged.sha256
    dataset = Dataset(
        lot_id=lot.id, file_sha256=files["table"], original_name=meta["table"]["name"], sheet_sha256=files["sheet"],
        sheet_name=(meta.get("sheet") or {}).get("name", ""), format=preview["summary"]["format"],
        reader={key: preview[key] for key in ("summary", "ignored_columns", "warnings", "sheet_columns")}, created_by=actor,
    )
    session.add(dataset)
    session.flush()
    for sample in preview["samples"]:
        sample_lot = lots_by_number.get(str(sample.get(lot_column, "")), lot.id)
        session.add(DatasetSample(dataset_id=dataset.id, sample=sample["sample"], lot_id=sample_lot))
    session.flush()
    audit.record(session, actor, "create", "dataset", dataset.id, None,
                 {**as_dict(dataset, ("lot_id", "file_sha256", "original_name", "sheet_sha256", "format")),
                  "n_samples": len(preview["samples"])})
    shutil.rmtree(folder, ignore_errors=True)
    return dataset


def dataset_files(data_dir: Path, session: Session, dataset: Dataset) -> tuple[Path, Path | None]:
    """The stored table and sample sheet of a dataset."""
    table = session.get(StoredFile, dataset.file_sha256)
    sheet = session.get(StoredFile, dataset.sheet_sha256) if dataset.sheet_sha256 else None
    return (store.store_path(data_dir, table.sha256, table.suffix),
            store.store_path(data_dir, sheet.sha256, sheet.suffix) if sheet else None)


def dataset_lots(session: Session, dataset: Dataset) -> list[Lot]:
    """The lots a dataset's samples belong to."""
    ids = session.execute(select(DatasetSample.lot_id).where(DatasetSample.dataset_id == dataset.id).distinct()).scalars()
    return list(session.execute(select(Lot).where(Lot.id.in_(list(ids))).order_by(Lot.number)).scalars())


# ---------------------------------------------------------------------------------------------- runs
def create_run(session: Session, data_dir: Path, actor: str, dataset: Dataset, kind: str,
               parameters: dict[str, Any], lot: Lot | None = None) -> Run:
    """Queue an analysis of ``dataset`` (the worker runs it); records the command that reproduces it."""
    if kind in engine.CLINICAL_KINDS:  # patient data never enter through a lab dataset
        raise SecretomeInputError(f"a {kind} run is of a clinical trial, not of a dataset",
                                  expected="a clinical upload (create_outcomes_run) by a user with the clinical grant")
    checked = engine.check_parameters(kind, parameters)
    if kind == "profile" and "group" not in checked and "lot" in dataset.reader.get("sheet_columns", []):
        checked["group"] = "lot"  # a lab's sheet names each sample's lot: profile per lot by default
    if kind == "comparability":
        known = {lot_.number for lot_ in dataset_lots(session, dataset)}
        for reference in checked["reference"]:
            if reference not in known:
                raise SecretomeInputError(f"reference lot {reference!r} has no samples in dataset {dataset.id}",
                                          expected="lots of this dataset: " + ", ".join(sorted(known)))
    table, sheet = dataset_files(data_dir, session, dataset)
    resolved = resolve_files(data_dir, session, checked)
    versions = engine.versions()
    run = Run(dataset_id=dataset.id, lot_id=(lot or dataset.lot).id, kind=kind, parameters=checked, status="queued",
              engine_version=versions["engine"], kb_version=versions["kb"],
              input_checksums={"table": dataset.file_sha256, **({"samples": dataset.sheet_sha256} if sheet else {}),
                               **{name: checked[name] for name in engine.FILE_PARAMETERS if name in checked}},
              created_by=actor)
    session.add(run)
    session.flush()
    run.command = engine.command_line(kind, table, sheet, resolved, Path(f"run-{run.id}"))
    audit.record(session, actor, "create", "run", run.id, None,
                 as_dict(run, ("dataset_id", "lot_id", "kind", "parameters", "command", "engine_version", "kb_version")))
    return run


def resolve_files(data_dir: Path, session: Session, parameters: dict[str, Any]) -> dict[str, Any]:
    """``parameters`` with each stored-file parameter (a sha256, see :data:`engine.FILE_PARAMETERS`) replaced by
    its path in the store; an unknown file is an input error."""
    resolved = dict(parameters)
    for name in engine.FILE_PARAMETERS & set(parameters):
        stored = session.get(StoredFile, parameters[name])
        if stored is None:
            raise SecretomeInputError(f"parameter {name!r}: no stored file {parameters[name]}", expected="an uploaded file")
        resolved[name] = store.store_path(data_dir, stored.sha256, stored.suffix)
    return resolved


def store_staged_roles(session: Session, data_dir: Path, folder: Path, roles: tuple[str, ...]) -> dict[str, str]:
    """Move the staged files of ``roles`` (e.g. an assay's potency specification and layout) into the store;
    returns role -> sha256 for the run parameters. Call before :func:`register_dataset`, which removes the folder."""
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for role in roles:
        info = meta.get(role)
        if not info:
            continue
        staged = store.Staged(path=folder / info["file"], sha256=info["sha256"], size=info["size"], suffix=info["suffix"])
        if session.get(StoredFile, staged.sha256) is None:
            session.add(StoredFile(sha256=staged.sha256, suffix=staged.suffix, size=staged.size))
            session.flush()
        store.commit(data_dir, staged)
        out[role] = staged.sha256
    return out
# ------------------------------------------------------------------------------------- clinical runs
def pseudonym_key(data_dir: Path) -> Path:
    """The registry's pseudonymisation key file (created by the first outcomes run; a patient keeps one
    pseudonym across runs). It never leaves the data folder."""
    return data_dir / "keys" / "pseudonyms.key"


def create_outcomes_run(session: Session, data_dir: Path, actor: User, files: dict[str, tuple[Any, str]],
                        parameters: dict[str, Any], max_bytes: int) -> Run:
    """Store a trial's clinical files (``records``, ``treatments``, optional ``dictionary``, ``events``: role -> (binary
    file object, uploaded name)) and queue an outcomes run of them; only for a user with the clinical grant.

    The treatment table is read at once so that a bad one is refused before anything is stored; the lots it
    names take their composition from the registry when the run starts.
    """
    if not auth.clinical_allowed(actor):
        raise SecretomeInputError(f"user {actor.name} has no clinical grant", expected="a user with the clinical grant")
    for role in ("records", "treatments"):
        if role not in files:
            raise SecretomeInputError(f"no {role} file chosen", expected=f"the trial's {role} table")
    unknown = sorted(set(files) - set(engine.CLINICAL_INPUTS))
    if unknown:
        raise SecretomeInputError(f"unknown clinical input {unknown[0]!r}", expected=", ".join(engine.CLINICAL_INPUTS))
    checked = engine.check_parameters("outcomes", parameters)
    _, folder = staging_folder(data_dir)
    try:
        staged = {role: store.stage(folder, handle, filename, max_bytes) for role, (handle, filename) in files.items()}
        engine.outcome_lots(staged["treatments"].path)  # a bad treatment table is refused now, with its message
        paths: dict[str, Path] = {}
        for role, item in staged.items():
            if session.get(StoredFile, item.sha256) is None:
                session.add(StoredFile(sha256=item.sha256, suffix=item.suffix, size=item.size))
                session.flush()
            paths[role] = store.commit(data_dir, item)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    versions = engine.versions()
    run = Run(dataset_id=None, lot_id=None, kind="outcomes", clinical=True, parameters=checked, status="queued",
              engine_version=versions["engine"], kb_version=versions["kb"],
              input_checksums={role: item.sha256 for role, item in staged.items()},
              created_by=actor.name)
    session.add(run)
    session.flush()
    run.command = engine.command_line("outcomes", None, None, checked, Path(f"run-{run.id}"), inputs=paths,
                                      key=pseudonym_key(data_dir))
    # checksums, not the uploaded file names: a name may identify a patient, and the audit log is not clinical
    audit.record(session, actor.name, "create", "run", run.id, None,
                 as_dict(run, ("kind", "clinical", "parameters", "input_checksums", "engine_version", "kb_version")))
    return run


def clinical_inputs(data_dir: Path, session: Session, run: Run) -> dict[str, Path]:
    """The stored input files of a clinical run, by role."""
    paths = {}
    for role, sha256 in run.input_checksums.items():
        stored = session.get(StoredFile, sha256)
        paths[role] = store.store_path(data_dir, stored.sha256, stored.suffix)
    return paths


def visible_run(session: Session, user: User, run_id: int) -> Run | None:
    """Run ``run_id`` if ``user`` may see it; None when there is none or it is clinical and the user has no
    clinical grant (callers answer both alike, so run ids cannot be probed)."""
    run = session.get(Run, run_id)
    if run is None or (run.clinical and not auth.clinical_allowed(user)):
        return None
    return run


def clinical_runs(session: Session, user: User) -> list[Run]:
    """The clinical runs, newest first; none for a user without the clinical grant."""
    if not auth.clinical_allowed(user):
        return []
    return list(session.execute(select(Run).where(Run.clinical.is_(True)).order_by(Run.id.desc())).scalars())


def record_view(session: Session, actor: str, run: Run, what: str) -> None:
    """Audit one view of a clinical run (its page, report, a file or an API read): who, when, which run, what."""
    audit.record(session, actor, "view", "run", run.id, None, {"kind": run.kind, "view": what})


def run_dir(data_dir: Path, run: Run) -> Path:
    return data_dir / "runs" / f"run-{run.id}"


def output_file(data_dir: Path, run: Run, name: str) -> Path:
    """A finished run's output file by its listed name (any other name is refused: names are never paths)."""
    listed = {entry["name"] for entry in run.outputs}
    if name not in listed:
        raise SecretomeInputError(f"run {run.id} has no output {name!r}", expected="one of " + ", ".join(sorted(listed)))
    return run_dir(data_dir, run) / name


def index_profile(session: Session, run: Run, result: engine.JobResult) -> None:
    """Keep a finished profile's per-lot metrics and protein levels for trends and the protein search."""
    lots = {number: lot_id for lot_id, number in session.execute(select(Lot.id, Lot.number))}
    for level, values in engine.lot_metrics(result).items():
        if level not in lots:
            continue
        for metric, value in values.items():
            number = None if value is None or not math.isfinite(float(value)) else float(value)
            session.add(LotMetric(run_id=run.id, lot_id=lots[level], metric=metric, value=number))
    for level, rows in engine.protein_levels(result).items():
        if level not in lots:
            continue
        session.add_all(ProteinLevel(run_id=run.id, lot_id=lots[level], **row) for row in rows)


POTENCY_PREFIX = "potency:"


def index_assay(session: Session, run: Run, result: engine.JobResult) -> None:
    """Keep a finished assay run's per-lot potency values as lot metrics ``potency:<analyte>`` (for trends);
    the unit, limits and verdict stay in the run's summary (``potency`` rows)."""
    lots = {number: lot_id for lot_id, number in session.execute(select(Lot.id, Lot.number))}
    for row in result.summary.get("potency", []):
        lot_id = lots.get(str(row.get("lot")))
        if lot_id is None:
            continue
        value = row.get("value")
        number = None if value is None or not math.isfinite(float(value)) else float(value)
        session.add(LotMetric(run_id=run.id, lot_id=lot_id, metric=POTENCY_PREFIX + str(row["analyte"]), value=number))


def _latest_protein_levels(session: Session, lot_id: int) -> list[ProteinLevel]:
    latest = session.execute(select(func.max(ProteinLevel.run_id)).where(ProteinLevel.lot_id == lot_id)).scalar()
    if latest is None:
        return []
    return list(session.execute(select(ProteinLevel).where(ProteinLevel.lot_id == lot_id, ProteinLevel.run_id == latest)
                                .order_by(ProteinLevel.mean_log2.desc())).scalars())


def lot_potency(session: Session, lot: Lot) -> list[dict[str, Any]]:
    """Each potency/release assay's result for ``lot`` from its latest finished assay run (value, unit, limits,
    pass/fail), beside the proteome's evidence for the same gene from the lot's latest profile run: its mean
    log2 and rank among the lot's quantified proteins, or ``not detected`` with the lowest quantified level of
    that run as the MS detection limit."""
    runs = session.execute(select(Run).where(Run.kind == "assay", Run.status == "done").order_by(Run.id.desc())).scalars()
    rows: list[dict[str, Any]] = []
    for run in runs:
        rows = [{**row, "run_id": run.id} for row in run.summary.get("potency", []) if str(row.get("lot")) == lot.number]
        if rows:
            break
    if not rows:
        return []
    levels = _latest_protein_levels(session, lot.id)
    by_gene: dict[str, tuple[int, ProteinLevel]] = {}
    for rank, level in enumerate(levels, start=1):
        for gene in str(level.gene).split(";"):
            by_gene.setdefault(gene.strip().casefold(), (rank, level))
    floor = min((lv.mean_log2 for lv in levels if lv.mean_log2 is not None), default=None)
    for row in rows:
        hit = by_gene.get(str(row.get("gene") or "").casefold())
        if not levels:
            proteome: dict[str, Any] = {"status": "no profile"}
        elif hit is None:
            proteome = {"status": "not detected", "detection_limit_log2": floor, "run_id": levels[0].run_id}
        else:
            rank, level = hit
            proteome = {"status": "detected", "protein": level.protein, "gene": level.gene, "mean_log2": level.mean_log2, "rank": rank,
                        "n_proteins": len(levels), "n_detected": level.n_detected, "run_id": level.run_id}
        row["proteome"] = proteome
    return rows


# -------------------------------------------------------------------------------------------- decisions
def record_decision(session: Session, actor: User, password_ok: bool, lot: Lot, verdict: str, justification: str,
                    evidence_runs: list[int]) -> Decision:
    """A signed release decision: the approver re-entered their password; the lot takes the verdict as status."""
    if not password_ok:
        raise SecretomeInputError("the password does not match; the decision is not signed",
                                  expected="your own password, re-entered to sign")
    if verdict not in VERDICTS:
        raise SecretomeInputError(f"unknown verdict {verdict!r}", expected="one of " + ", ".join(VERDICTS))
    justification = (justification or "").strip()
    if not justification:
        raise SecretomeInputError("a decision needs a justification", expected="the reasons, in words")
    if lot.status in ("released", "rejected"):
        raise SecretomeInputError(f"lot {lot.number} is already {lot.status}", expected="an open lot")
    runs = list(session.execute(select(Run).where(Run.id.in_(evidence_runs), Run.clinical.is_(False))).scalars()) if evidence_runs else []
    if len(runs) != len(set(evidence_runs)) or any(r.status != "done" for r in runs):
        raise SecretomeInputError("evidence must be finished runs", expected="ids of done runs")
    if not runs:
        raise SecretomeInputError("a decision needs at least one evidence run", expected="a finished run of this lot")
    signed_at = utcnow()
    content = json.dumps([lot.id, lot.number, verdict, justification, sorted(evidence_runs), actor.name, signed_at],
                         separators=(",", ":"))
    decision = Decision(lot_id=lot.id, verdict=verdict, justification=justification, evidence_runs=sorted(evidence_runs),
                        signed_by=actor.name, signed_at=signed_at,
                        signature=hashlib.sha256((content + actor.password_hash).encode()).hexdigest())
    session.add(decision)
    before = {"status": lot.status}
    lot.status = verdict
    session.flush()
    audit.record(session, actor.name, "decide", "lot", lot.id, before,
                 {"status": verdict, "decision": as_dict(decision, ("id", "verdict", "justification", "evidence_runs",
                                                                     "signed_by", "signed_at", "signature"))})
    return decision


# ------------------------------------------------------------------------------------------ read models
def latest_profile_metrics(session: Session, lot_ids: list[int]) -> dict[int, dict[str, float | None]]:
    """Each lot's metrics from its most recent finished profile run."""
    if not lot_ids:
        return {}
    return _latest_metrics(session, lot_ids, potency=False)


def lot_composition(session: Session, lot_numbers: Iterable[str]) -> pd.DataFrame:
    """Composition of registered lots (by lot number) from each one's latest finished profile run
    (:func:`secretome.clinical.lots.composition_from_metrics`); lots without a profile run, or not registered,
    are absent from the table (the outcomes link names them)."""
    from secretome.clinical.lots import composition_from_metrics

    numbers = sorted({str(n) for n in lot_numbers})
    lots = dict(session.execute(select(Lot.id, Lot.number).where(Lot.number.in_(numbers))).all()) if numbers else {}
    metrics = latest_profile_metrics(session, list(lots))
    return composition_from_metrics((lots[lot_id], metric, value) for lot_id, values in metrics.items()
                                    for metric, value in values.items())


def latest_potency_metrics(session: Session, lot_ids: list[int]) -> dict[int, dict[str, float | None]]:
    """Each lot's ``potency:<analyte>`` values from its most recent finished assay run."""
    if not lot_ids:
        return {}
    return _latest_metrics(session, lot_ids, potency=True)


def _latest_metrics(session: Session, lot_ids: list[int], potency: bool) -> dict[int, dict[str, float | None]]:
    family = LotMetric.metric.startswith(POTENCY_PREFIX)
    if not potency:
        family = ~family
    latest = (select(LotMetric.lot_id, func.max(LotMetric.run_id).label("run_id"))
              .where(LotMetric.lot_id.in_(lot_ids), family).group_by(LotMetric.lot_id).subquery())
    rows = session.execute(select(LotMetric.lot_id, LotMetric.metric, LotMetric.value).where(family)
                           .join(latest, (LotMetric.lot_id == latest.c.lot_id) & (LotMetric.run_id == latest.c.run_id)))
    out: dict[int, dict[str, float | None]] = {}
    for lot_id, metric, value in rows:
        out.setdefault(lot_id, {})[metric] = value
    return out


def lot_verdicts(session: Session, lot_ids: list[int]) -> dict[int, str]:
    """Each lot's worst sample QC status in its latest finished profile run (pass < warn < fail)."""
    order = {"pass": 0, "warn": 1, "fail": 2}
    out: dict[int, str] = {}
    runs = session.execute(select(Run).where(Run.kind == "profile", Run.status == "done").order_by(Run.id)).scalars()
    numbers = dict(session.execute(select(Lot.id, Lot.number).where(Lot.id.in_(lot_ids))).all()) if lot_ids else {}
    by_number = {number: lot_id for lot_id, number in numbers.items()}
    for run in runs:
        for lot_number, status in (run.summary.get("lot_qc") or {}).items():
            if lot_number in by_number:
                out[by_number[lot_number]] = status
    return {lot_id: status for lot_id, status in out.items() if status in order}


def worst_status_by_group(result: engine.JobResult) -> dict[str, str]:
    """The worst sample QC status per group level of a profile (kept in the run's summary)."""
    order = {"pass": 0, "warn": 1, "fail": 2}
    worst: dict[str, str] = {}
    for sample in engine.sample_verdicts(result):
        group, status = str(sample["group"]), str(sample["qc_status"])
        if status in order and order[status] >= order.get(worst.get(group, "pass"), 0):
            worst[group] = status
    return worst
