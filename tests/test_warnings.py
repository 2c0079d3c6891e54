"""No raw Python warnings: a warning raised while a command runs (a library's or the engine's) is a stated
warning, printed once as ``warning: ...`` and kept in the run's summary (and, for a profile, in uns)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

from conftest import run_main

RAW_WARNING = re.compile(r"\b\w*Warning: ")
"""Python's own warning form (``file.py:12: RuntimeWarning: text``)."""


def test_a_library_warning_inside_a_job_is_stated_once(monkeypatch, capsys, tmp_path):
    import secretome.profile
    from secretome.io import read_h5ad

    real = secretome.profile.profile

    def warning_profile(*args, **kwargs):
        for _ in range(2):  # twice from one place: stated once
            warnings.warn("planted library warning", RuntimeWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(secretome.profile, "profile", warning_profile)
    code, out, err = run_main(monkeypatch, capsys, "profile", "--demo", "--out", tmp_path / "run")
    assert code == 0, err
    stated = "planted library warning (RuntimeWarning in test_warnings)"
    assert err.count(f"warning: {stated}") == 1, err
    assert not RAW_WARNING.search(err), err
    assert stated in list(read_h5ad(tmp_path / "run" / "dataset.h5ad").uns["warnings"])


def test_a_warning_outside_the_jobs_is_printed_stated_by_the_cli(capsys):
    """The CLI's ``warnings.showwarning`` (set by ``main``) states a library's warning too, never Python's form."""
    from secretome.cli import _show_warning

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _show_warning  # restored by catch_warnings
        warnings.warn("planted warning outside a job", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert "warning: planted warning outside a job (UserWarning in test_warnings)" in err and not RAW_WARNING.search(err)


def test_demo_profile_prints_no_raw_warning(tmp_path):
    """The whole demo run (reading, QC, statistics-free profile, immunoassay panel, report, h5ad) with every
    Python warning enabled: stderr holds no raw ``...Warning:`` line."""
    environment = {**os.environ, "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-m", "secretome", "profile", "--demo", "--out", str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=300, env=environment, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    assert not RAW_WARNING.search(done.stderr), done.stderr
