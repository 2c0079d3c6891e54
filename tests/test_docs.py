"""The documentation site (MkDocs + mkdocstrings over the docstrings) builds offline with no warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_offline_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason="needs mkdocs (the test extra installs it)")
    pytest.importorskip("mkdocstrings", reason="needs mkdocstrings (the test extra installs it)")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    jobs = (tmp_path / "site" / "api" / "jobs" / "index.html").read_text(encoding="utf-8")
    assert "profile_job" in jobs and "Profile a proteomics result table" in jobs  # docstrings rendered
    assert (tmp_path / "site" / "dataset-contract" / "index.html").exists()
