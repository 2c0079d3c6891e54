"""`secretome kb info` in the fault table: it reads no user file, so its faults are the cache folder's
(a file where the folder should be, a folder it may not write, damaged entries) and bad arguments. The
knowledge base itself ships with the package; an unusable cache may only cost the rebuild, never the
answer, and a bad argument is one plain line with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _kb_info(cache_home: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_COLOR": "1", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "secretome", "kb", "info", *extra], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def clean_output(tmp_path_factory) -> str:
    result = _kb_info(tmp_path_factory.mktemp("cache"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _unusable_caches(root: Path) -> dict[str, Path]:
    """Cache homes that cannot hold the cache, each made for real."""
    a_file = root / "a_file"
    a_file.write_text("not a folder\n")
    locked = root / "locked"
    (locked / "secretome").mkdir(parents=True)
    (locked / "secretome").chmod(0o500)
    damaged = root / "damaged"
    first = _kb_info(damaged)  # fill the cache, then damage every entry it wrote
    assert first.returncode == 0, first.stderr
    entries = [path for path in (damaged / "secretome").rglob("*") if path.is_file()]
    assert entries, "kb info wrote no cache entry to damage"
    for path in entries:
        path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])
    caches = {"a file in the folder's place": a_file, "a folder under a file": a_file / "below",
              "damaged entries": damaged}
    if os.geteuid() != 0:  # root writes through mode bits, so only another user sees a read-only folder
        caches["a read-only folder"] = locked
    return caches


def test_an_unusable_cache_never_changes_what_kb_info_prints(tmp_path, clean_output):
    for case, home in _unusable_caches(tmp_path).items():
        result = _kb_info(home)
        assert result.returncode == 0, (case, result.stderr)
        assert "Traceback" not in result.stderr, case
        assert result.stdout == clean_output, case


@pytest.mark.parametrize("argv", [["extra-argument"], ["--no-such-option"], ["--help", "x"]])
def test_bad_arguments_are_one_plain_line(tmp_path, argv):
    result = _kb_info(tmp_path, *argv)
    if argv[0] == "--help":  # click answers --help before looking at the rest
        assert result.returncode == 0 and "Usage" in result.stdout
        return
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any("extra-argument" in line or "--no-such-option" in line for line in lines), result.stderr
