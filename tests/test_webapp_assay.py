"""Potency as a lot attribute in the registry: an immunoassay export with a lot sheet and a potency specification
is uploaded, previewed, run by the worker as an ``assay`` run, indexed per lot, and shown on the lot page and the
JSON API beside the proteome's evidence for the same gene (from a profile of the demo proteomics of the same lots).
Runs on SQLite and PostgreSQL (see registry_support)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from secretome.registry import auth
from secretome.registry.worker import Worker
from test_assays_job import _long_plate
from test_webapp import app, login, make_lots, upload_demo  # noqa: F401  (the app fixture and helpers)

from registry_support import *  # noqa: F401,F403  (registry fixtures on SQLite and PostgreSQL)

# lot_A at ~310 pg/mL IL-1RA, lot_B at ~92; TNF-alpha reads 2x (the plate helper scales the third analyte)
SAMPLES = {"A1": 300.0, "A2": 320.0, "B1": 90.0, "B2": 95.0}
SPEC = [
    {"analyte": "IL-1RA", "kind": "potency", "low": 200, "high": "", "unit": "pg/mL", "source": "spec <b>S-01</b>"},
    {"analyte": "TNF-alpha", "kind": "release", "low": "", "high": 500, "unit": "pg/mL", "source": "spec S-01"},
]


def assay_files(tmp_path: Path, spec: list[dict] | None = SPEC) -> dict[str, Path]:
    plate = _long_plate(tmp_path, analytes=("IL-1RA", "IL-10", "TNF-alpha"), samples=SAMPLES)
    sheet = tmp_path / "assay_sheet.tsv"
    pd.DataFrame({"sample": list(SAMPLES), "lot": ["lot_A", "lot_A", "lot_B", "lot_B"]}).to_csv(sheet, sep="\t", index=False)
    files = {"table": plate, "samples": sheet}
    if spec is not None:
        files["potency"] = tmp_path / "potency.tsv"
        pd.DataFrame(spec).to_csv(files["potency"], sep="\t", index=False)
    return files


def upload_assay(client: TestClient, lot_id: int, files: dict[str, Path]):
    handles = {role: (path.name, path.read_bytes()) for role, path in files.items()}
    return client.post(f"/lots/{lot_id}/upload", data={"csrf": client.csrf}, files=handles, follow_redirects=False)


def register(client: TestClient, response) -> str:
    assert response.status_code == 303, response.text
    token = response.headers["location"].rsplit("/", 1)[1]
    registered = client.post(f"/uploads/{token}/register", data={"csrf": client.csrf}, follow_redirects=False)
    assert registered.status_code == 303, registered.text
    return registered.headers["location"]


def test_assay_run_shows_potency_beside_the_proteome_on_the_lot_page_and_api(app, registry, tmp_path):
    client = login(app, "ana")
    ids = make_lots(client)
    register(client, upload_demo(client, ids["lot_A"]))
    Worker(registry).run_once()  # the demo proteome profiled per lot

    response = upload_assay(client, ids["lot_A"], assay_files(tmp_path))
    assert response.status_code == 303, response.text
    preview = client.get(response.headers["location"]).text
    assert "immunoassay export: long, 3 analytes × 4 samples, potency specification potency.tsv" in preview
    run_url = register(client, response)
    assert "queued" in client.get(run_url).text
    Worker(registry).run_once()
    run_page = client.get(run_url).text
    assert "done" in run_page and "secretome assay" in run_page and "--potency" in run_page and "--lot-column" not in run_page

    page = client.get(f"/lots/{ids['lot_A']}").text
    block = page.split('id="potency"')[1].split("<h2>")[0]
    assert "IL-1RA" in block and "TNF-alpha" in block
    assert re.search(r"IL1RN \([^)]+\): mean log2 [0-9.]+, rank [0-9]+ of [0-9]+", block), block  # the proteome's evidence for the same gene
    assert "not detected by MS (detection limit" in block  # TNF is not in the demo proteome
    assert "&lt;b&gt;S-01&lt;/b&gt;" in block and "<b>S-01</b>" not in block and "<script>" not in page

    with registry.session() as session:
        token = auth.new_token(session, auth.find_user(session, "vera"))
    bearer = {"Authorization": f"Bearer {token}"}
    rows = {row["analyte"]: row for row in client.get(f"/api/v1/lots/{ids['lot_A']}/potency", headers=bearer).json()}
    assert rows["IL-1RA"]["result"] == "pass" and rows["IL-1RA"]["value"] == pytest.approx(310.0, rel=0.02)
    assert rows["IL-1RA"]["low"] == 200 and rows["IL-1RA"]["unit"] == "pg/mL"
    evidence = rows["IL-1RA"]["proteome"]
    assert evidence["status"] == "detected" and evidence["rank"] >= 1 and evidence["mean_log2"] > 0
    assert rows["TNF-alpha"]["result"] == "fail" and rows["TNF-alpha"]["proteome"]["status"] == "not detected"
    lot_b = {row["analyte"]: row for row in client.get(f"/api/v1/lots/{ids['lot_B']}/potency", headers=bearer).json()}
    assert lot_b["IL-1RA"]["result"] == "fail" and lot_b["TNF-alpha"]["result"] == "pass"

    trend = client.get(f"/api/v1/lots/{ids['lot_A']}/trend", headers=bearer).json()
    series = {s["metric"]: s for s in trend["series"]}
    assert "potency:IL-1RA" in series
    values = {p["lot"]: p["value"] for p in series["potency:IL-1RA"]["points"]}
    assert values["lot_A"] == pytest.approx(310.0, rel=0.02) and values["lot_B"] == pytest.approx(92.5, rel=0.02)
    assert "factor:IL1RN" in series  # the profile's metrics are still the latest profile's, beside potency


def test_a_bad_potency_specification_fails_the_run_with_the_engines_message(app, registry, tmp_path):
    client = login(app, "ana")
    ids = make_lots(client)
    bad = [{"analyte": "IL-1RA", "kind": "potency", "low": "", "high": "", "unit": "pg/mL", "source": "x"}]
    run_url = register(client, upload_assay(client, ids["lot_A"], assay_files(tmp_path, bad)))
    Worker(registry).run_once()
    page = client.get(run_url).text
    assert "failed" in page and "IL-1RA: no acceptance limit" in page and "Traceback" not in page
    assert "No potency or release assay for this lot yet" in client.get(f"/lots/{ids['lot_A']}").text


def test_viewers_see_potency_but_cannot_upload_or_run_assays(app, registry, tmp_path):
    client = login(app, "ana")
    ids = make_lots(client)
    run_url = register(client, upload_assay(client, ids["lot_A"], assay_files(tmp_path)))
    Worker(registry).run_once()
    viewer = login(app, "vera")
    assert "IL-1RA" in viewer.get(f"/lots/{ids['lot_A']}").text.split('id="potency"')[1]
    assert upload_assay(viewer, ids["lot_A"], assay_files(tmp_path)).status_code == 403
    assert "done" in viewer.get(run_url).text
    refused = viewer.post("/runs", data={"csrf": viewer.csrf, "kind": "assay", "dataset_id": "1", "lot_id": str(ids["lot_A"])},
                          follow_redirects=False)
    assert refused.status_code == 403
