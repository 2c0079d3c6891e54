"""Certificates of analysis (``pdf``): one PDF per lot, printed offline, stating the lot's verdicts and seed-class shares."""

from __future__ import annotations

import json

import pytest
from test_report import _browser_available

from secretome.errors import SecretomeInputError
from secretome.jobs import naming, profile_job
from secretome.report import _pct


@pytest.mark.browser
def test_one_certificate_per_lot_states_its_verdicts_and_seed_shares(tmp_path):
    reason = _browser_available()
    if reason:
        pytest.skip(reason)
    pypdf = pytest.importorskip("pypdf", reason="needs pypdf to read the PDF text")
    result = profile_job(None, tmp_path / "run", demo=True, reference=["lot_A"], pdf=True)
    summary = json.loads((result.out / naming.PROFILE_JSON).read_text())
    for card in summary["overview"]:
        name = naming.certificate_file(card["level"])
        assert name in result.files
        reader = pypdf.PdfReader(result.out / name)
        first = reader.pages[0].extract_text()
        text = " ".join(page.extract_text() for page in reader.pages)
        assert f"Certiﬁcate of analysis: {card['level']}" in first.replace("fi", "ﬁ")
        assert f"Purity verdict {card['purity_status']}" in first
        for share in card["seed_shares"].values():
            assert _pct(share) in first
        if card["level"] == "lot_B":
            assert summary["comparability"]["lot_verdicts"]["lot_B"] in first
        assert summary["input"]["sha256"] in text.replace("\n", "") and "Reviewed by" in text


def test_pdf_without_chromium_is_an_input_error_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRETOME_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(SecretomeInputError, match="printed with Chromium") as error:
        profile_job(None, tmp_path / "run", demo=True, pdf=True)
    assert error.value.parameters == ("pdf",) and not (tmp_path / "run").exists()
