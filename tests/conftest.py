"""Shared fixtures.

Tests that need an optional part (``../shared/data``, Debian chromium, R with limma) skip with a
reason on a user's machine. CI sets ``SECRETOME_REQUIRE_OPTIONAL=1``, which turns every such skip
into a failure so that CI always runs them.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRE_OPTIONAL = os.environ.get("SECRETOME_REQUIRE_OPTIONAL", "") not in ("", "0", "false", "no")


def shared_data_dir() -> Path:
    """Where the workplace's public reference data lives (``../shared/data`` beside the repo)."""
    override = os.environ.get("SECRETOME_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


def run_main(monkeypatch, capsys, *args: str | Path, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run ``secretome ARGS`` in-process through ``secretome.cli.main``; returns (exit code, stdout, stderr)."""
    from secretome.cli import main

    monkeypatch.setattr(sys, "argv", ["secretome", *map(str, args)])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="surrogateescape"))
    code = 0
    try:
        main()
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The tests (and the commands they start) keep the derived knowledge-base cache in a folder of their own
    (``XDG_CACHE_HOME``, :mod:`secretome.kb.cache`), never in the user's."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield Path(os.environ["XDG_CACHE_HOME"])
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"needs the public reference data at {path} (../shared/data beside the repository)")
    return path


@pytest.fixture(scope="session")
def examples(shared_data: Path) -> Path:
    return shared_data / "examples"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under SECRETOME_REQUIRE_OPTIONAL, a skipped test is a failed test."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_OPTIONAL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped, but SECRETOME_REQUIRE_OPTIONAL=1 forbids skips: {reason}"


def profiled(adata, *args, **kwargs):
    """``secretome.profile.profile`` then the summary built from the profiled dataset: ``(adata, summary)``."""
    from secretome.profile import profile
    from secretome.summary import build_summary

    adata = profile(adata, *args, **kwargs)
    return adata, build_summary(adata)


def run_profile(input=None, *, out, **parameters) -> Path:
    """The profile job on ``input`` (or ``demo=True``) into ``out``; returns the report's path."""
    from secretome.jobs import profile_job

    return profile_job(input, out, **parameters).out / "report.html"


def read_quietly(path: Path, **kwargs):
    """``secretome.io.read`` with its reader warnings silenced (the tests that use it assert on the result)."""
    import warnings

    from secretome.io import read

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read(path, **kwargs)


def refusal_of(path: Path, **kwargs) -> str:
    """The message of the SecretomeInputError that reading ``path`` must raise."""
    from secretome.errors import SecretomeInputError

    with pytest.raises(SecretomeInputError) as caught:
        read_quietly(path, **kwargs)
    return str(caught.value)
