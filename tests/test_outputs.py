"""Outputs: whole or nothing, owned by the run that made them, never destroying a user's file.

Covers the lost-file cases of issue 9: a user's file in --out survives every rerun, kill and race; a
killed run leaves the old or the new complete output, never a mix; no hidden leftovers after the
next run.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secretome import outputs
from secretome.errors import SecretomeInputError, SecretomeOutputError
from secretome.outputs import MARKER, atomic_directory, atomic_file, read_marker, write_files


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# --------------------------------------------------------------------------------------- files
def test_atomic_file_replaces_on_success_and_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "table.tsv"
    with atomic_file(target) as temporary:
        temporary.write_text("first\n")
    assert target.read_text() == "first\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    with pytest.raises(RuntimeError):
        with atomic_file(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("late failure")
    assert target.read_text() == "first\n"
    assert _names(tmp_path) == ["table.tsv"]


def test_atomic_file_in_a_missing_directory_is_an_output_error(tmp_path):
    with pytest.raises(SecretomeOutputError, match="does not exist"):
        with atomic_file(tmp_path / "absent" / "x.tsv"):
            pass


@pytest.mark.parametrize("make", ["directory", "symlink", "dangling", "fifo"])
def test_atomic_file_refuses_what_is_not_a_file_path(tmp_path, make):
    target = tmp_path / "x.tsv"
    if make == "directory":
        target.mkdir()
    elif make == "symlink":
        (tmp_path / "real.tsv").write_text("keep")
        target.symlink_to(tmp_path / "real.tsv")
    elif make == "dangling":
        target.symlink_to(tmp_path / "nowhere")
    else:
        os.mkfifo(target)
    with pytest.raises(SecretomeOutputError) as caught:
        with atomic_file(target) as temporary:
            temporary.write_text("never")
    assert "x.tsv" in str(caught.value)
    if make == "symlink":
        assert (tmp_path / "real.tsv").read_text() == "keep"


def test_atomic_file_removes_leftovers_of_a_killed_run(tmp_path):
    (tmp_path / ".x.tsv.r0123456789ab.partial").write_text("half")
    with atomic_file(tmp_path / "x.tsv") as temporary:
        temporary.write_text("whole")
    assert _names(tmp_path) == ["x.tsv"]


# --------------------------------------------------------------------------------------- directories
def test_a_new_output_holds_its_marker(tmp_path):
    source = tmp_path / "in.tsv"
    source.write_text("a\tb\n")
    out = tmp_path / "report"
    write_files(out, {"a.txt": "1", "b.bin": b"\x00"}, kind="test", inputs={"INPUT": source, "samples": None})
    marker = read_marker(out)
    assert marker["kind"] == "test" and marker["files"] == ["a.txt", "b.bin"]
    assert marker["inputs"]["INPUT"]["size"] == 4 and len(marker["inputs"]["INPUT"]["sha256"]) == 64
    assert marker["version"] and marker["run_id"]
    assert _names(tmp_path) == ["in.tsv", "report"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()


def test_rerun_replaces_its_own_files_and_keeps_the_users(tmp_path):
    out = tmp_path / "report"
    write_files(out, {"a.txt": "1", "stale.txt": "old"}, kind="test")
    (out / "notes.txt").write_text("mine")
    (out / "raw").mkdir()
    (out / "raw" / "scan.raw").write_bytes(b"\x01" * 100)
    write_files(out, {"a.txt": "2"}, kind="test")
    assert _names(out) == sorted([MARKER, "a.txt", "notes.txt", "raw"])
    assert (out / "a.txt").read_text() == "2" and (out / "notes.txt").read_text() == "mine"
    assert (out / "raw" / "scan.raw").read_bytes() == b"\x01" * 100
    assert _names(tmp_path) == ["report"]
    # and again: the user's files are still not listed as the run's own, so they keep surviving
    write_files(out, {"a.txt": "3"}, kind="test")
    assert (out / "notes.txt").read_text() == "mine" and read_marker(out)["files"] == ["a.txt"]


def test_a_user_file_named_like_a_new_output_is_kept_beside_it(tmp_path):
    out = tmp_path / "report"
    write_files(out, {"a.txt": "1"}, kind="test")
    (out / "b.txt").write_text("user's b")
    write_files(out, {"a.txt": "2", "b.txt": "run's b"}, kind="test")
    kept = [name for name in _names(out) if name.startswith("b.txt.user-")]
    assert (out / "b.txt").read_text() == "run's b" and len(kept) == 1
    assert (out / kept[0]).read_text() == "user's b"


def test_a_failure_leaves_the_earlier_output_and_nothing_else(tmp_path):
    out = tmp_path / "report"
    write_files(out, {"a.txt": "1"}, kind="test")
    with pytest.raises(ValueError):
        with atomic_directory(out, kind="test") as staging:
            (staging / "a.txt").write_text("never")
            raise ValueError("boom")
    assert (out / "a.txt").read_text() == "1"
    assert _names(tmp_path) == ["report"]


def test_a_foreign_directory_is_refused_and_force_moves_it_aside(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "thesis.docx").write_text("keep me")
    with pytest.raises(SecretomeOutputError, match="did not write"):
        write_files(out, {"a.txt": "1"}, kind="test")
    assert _names(out) == ["thesis.docx"] and _names(tmp_path) == ["thesis"]
    with pytest.warns(outputs.OutputWarning, match="moved to"):
        write_files(out, {"a.txt": "1"}, kind="test", force=True)
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("thesis.before-")]
    assert len(aside) == 1 and (aside[0] / "thesis.docx").read_text() == "keep me"
    assert _names(out) == [MARKER, "a.txt"]


def test_another_kind_of_output_is_refused_without_force(tmp_path):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "1"}, kind="profile")
    with pytest.raises(SecretomeOutputError, match="profile output, not a compare output"):
        write_files(out, {"b.txt": "1"}, kind="compare")


def test_an_empty_directory_is_used(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    write_files(out, {"a.txt": "1"}, kind="test")
    assert _names(out) == [MARKER, "a.txt"] and _names(tmp_path) == ["o"]


@pytest.mark.parametrize("case", ["file", "symlink", "dangling", "dot", "parent_of_cwd", "parent_is_file"])
def test_impossible_output_directories_are_one_line_errors(tmp_path, monkeypatch, case):
    elsewhere = tmp_path / "real"
    elsewhere.mkdir()
    out = tmp_path / "out"
    if case == "file":
        out.write_text("a file")
    elif case == "symlink":
        out.symlink_to(elsewhere)
    elif case == "dangling":
        out.symlink_to(tmp_path / "nowhere")
    elif case == "dot":
        monkeypatch.chdir(elsewhere)
        out = Path(".")
    elif case == "parent_of_cwd":
        monkeypatch.chdir(elsewhere)
        out = tmp_path
    else:
        (tmp_path / "blocker").write_text("x")
        out = tmp_path / "blocker" / "sub"
    with pytest.raises(SecretomeInputError) as caught:
        write_files(out, {"a.txt": "1"}, kind="test")
    assert "\n" not in str(caught.value)
    assert list(elsewhere.iterdir()) == []


def test_an_input_inside_the_output_is_refused(tmp_path):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "1"}, kind="test")
    (out / "data.tsv").write_text("x")
    with pytest.raises(SecretomeOutputError, match="inside the output directory"):
        write_files(out, {"a.txt": "2"}, kind="test", inputs={"INPUT": out / "data.tsv"})


def test_a_second_run_on_the_same_output_is_refused_while_the_first_writes(tmp_path):
    out = tmp_path / "o"
    with atomic_directory(out, kind="test") as staging:
        (staging / "a.txt").write_text("first")
        with pytest.raises(SecretomeOutputError, match=rf"another secretome run \(process {os.getpid()}\)"):
            write_files(out, {"a.txt": "second"}, kind="test")
    assert (out / "a.txt").read_text() == "first"
    assert _names(tmp_path) == ["o"]  # the lock file is gone too


# --------------------------------------------------------------------------------------- leftovers of kills
def _old_output(path: Path, files: dict[str, str], run_id: str = "aaaaaaaaaaaa") -> None:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    record = {"run_id": run_id, "kind": "test", "files": sorted(n for n in files if n != "notes.txt")}
    (path / MARKER).write_text(json.dumps(record))


def test_next_run_cleans_staging_of_killed_runs_and_older_versions(tmp_path):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "1"}, kind="test")
    _old_output(tmp_path / ".o.r0123456789ab.partial", {"a.txt": "half"}, run_id="0123456789ab")
    (tmp_path / ".o.r111111111111.partial").mkdir()  # killed before its marker was written
    (tmp_path / ".o.abc_1234.partial").mkdir()  # mkdtemp staging of an older version
    (tmp_path / ".o.abc_1234.partial" / "report.html").write_text("half")
    (tmp_path / ".other.r0123456789ab.partial").mkdir()  # another output's: not ours to touch
    write_files(out, {"a.txt": "2"}, kind="test")
    assert _names(tmp_path) == [".other.r0123456789ab.partial", "o"]


def test_a_swapped_out_old_output_gives_the_users_files_back(tmp_path):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "new"}, kind="test")
    # killed after the exchange, before the old output was emptied: it waits under the staging name
    _old_output(tmp_path / ".o.r0123456789ab.partial", {"a.txt": "old", "notes.txt": "mine"})
    write_files(out, {"a.txt": "newer"}, kind="test")
    assert (out / "notes.txt").read_text() == "mine" and (out / "a.txt").read_text() == "newer"
    assert _names(tmp_path) == ["o"]


def test_an_old_output_renamed_away_comes_back_when_out_is_missing(tmp_path):
    # killed between the two renames of the fallback (no renameat2): out missing, old beside it
    _old_output(tmp_path / ".o.r0123456789ab.old", {"a.txt": "old", "notes.txt": "mine"})
    with pytest.raises(ValueError):
        with atomic_directory(tmp_path / "o", kind="test"):
            raise ValueError("this run fails too")
    assert (tmp_path / "o" / "a.txt").read_text() == "old" and (tmp_path / "o" / "notes.txt").read_text() == "mine"
    assert _names(tmp_path) == ["o"]


def test_without_an_atomic_exchange_the_two_renames_still_keep_everything(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    out = tmp_path / "o"
    write_files(out, {"a.txt": "1"}, kind="test")
    (out / "notes.txt").write_text("mine")
    write_files(out, {"a.txt": "2"}, kind="test")
    assert (out / "notes.txt").read_text() == "mine" and (out / "a.txt").read_text() == "2"
    assert _names(tmp_path) == ["o"]


KILLER = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from secretome import outputs
    point, out, value = sys.argv[1], sys.argv[2], sys.argv[3]
    def die(name, real):
        def wrapped(*args, **kwargs):
            if name == point:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return wrapped
    outputs._exchange = die("exchange", outputs._exchange)
    outputs._give_back = die("give_back", outputs._give_back)
    outputs.shutil.rmtree = die("rmtree", shutil.rmtree)
    outputs._write_marker = die("marker", outputs._write_marker) if point == "marker" else outputs._write_marker
    with outputs.atomic_directory(out, kind="test") as staging:
        for name in ("a.txt", "b.txt", "c.txt"):
            (staging / name).write_text(value)
        if point == "writing":
            os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("point", ["marker", "writing", "exchange", "give_back", "rmtree"])
def test_a_killed_run_leaves_old_or_new_whole_and_the_next_run_cleans_up(tmp_path, point):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "old", "b.txt": "old", "c.txt": "old"}, kind="test")
    (out / "notes.txt").write_text("mine")
    script = tmp_path.parent / f"killer_{point}.py"
    script.write_text(KILLER)
    run = subprocess.run([sys.executable, str(script), point, str(out), "new"], capture_output=True, timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr.decode()
    contents = {(out / n).read_text() for n in ("a.txt", "b.txt", "c.txt")}
    assert contents in ({"old"}, {"new"})  # never a mix
    assert read_marker(out)["files"] == ["a.txt", "b.txt", "c.txt"]
    write_files(out, {"a.txt": "next", "b.txt": "next", "c.txt": "next"}, kind="test")
    assert (out / "notes.txt").read_text() == "mine"
    assert _names(tmp_path) == ["o"]  # no hidden leftovers after the next run


RACER = textwrap.dedent(
    """
    import sys, time
    from secretome import outputs
    from secretome.errors import SecretomeInputError
    try:
        with outputs.atomic_directory(sys.argv[1], kind="test") as staging:
            (staging / "a.txt").write_text(sys.argv[2])
            time.sleep(1.0)
    except SecretomeInputError as error:
        print(error)
        sys.exit(2)
    """
)


def test_two_runs_racing_on_one_output_one_wins_one_is_refused(tmp_path):
    out = tmp_path / "o"
    write_files(out, {"a.txt": "old"}, kind="test")
    (out / "notes.txt").write_text("mine")
    script = tmp_path.parent / "racer.py"
    script.write_text(RACER)
    runs = [subprocess.Popen([sys.executable, str(script), str(out), v], stdout=subprocess.PIPE, text=True) for v in "12"]
    results = [(run.wait(timeout=60), run.stdout.read()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 2], [0, 0])  # [0, 0] only if the second started after the first finished
    if codes == [0, 2]:
        assert "another secretome run" in next(text for code, text in results if code == 2)
    assert (out / "a.txt").read_text() in {"1", "2"} and (out / "notes.txt").read_text() == "mine"
    assert _names(tmp_path) == ["o"]


def test_an_old_output_killed_while_being_deleted_is_deleted_by_the_next_run(tmp_path):
    """A run killed inside the deletion of the swapped-out old output (its marker already gone) left a folder the
    next run took for a foreign one and moved aside as a visible NAME.before-<time> (seen once in CI)."""
    out = tmp_path / "compare"
    write_files(out, {"compare.html": "<p>one</p>"}, kind="compare")
    trash = tmp_path / ".compare.r0123456789ab.trash"
    trash.mkdir()
    (trash / "differential.tsv").write_text("half deleted")
    write_files(out, {"compare.html": "<p>two</p>"}, kind="compare")
    assert _names(tmp_path) == ["compare"] and (out / "compare.html").read_text() == "<p>two</p>"


def test_a_compare_killed_while_writing_leaves_the_previous_output_whole(tmp_path):
    """The real command, killed the moment its staging folder holds a file (issue 9: a killed compare
    left a new compare.html beside the previous run's tables)."""
    import time

    from secretome import datasets

    paths = datasets.demo_paths()
    out = tmp_path / "compare"
    command = [sys.executable, "-m", "secretome", "compare", str(paths["table"]), "--samples", str(paths["samples"]),
               "--design", "~ lot", "--contrast", "lot_B-lot_A", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    (out / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while child.poll() is None and time.monotonic() < deadline:
        staging = [p for p in tmp_path.iterdir() if p.name.endswith(".partial") and p.is_dir()]
        try:
            filled = bool(staging) and any(entry.name != MARKER for entry in staging[0].iterdir())
        except FileNotFoundError:  # the run swapped its staging folder into place between the two looks
            filled = False
        if filled:
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    child.wait(timeout=60)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    if child.returncode == -signal.SIGKILL and after != before:
        # killed after the one atomic swap (the poll saw the swapped-out old output in the staging name): ``out`` is
        # the new run's output, whole, and the old one waits beside it until the next run gives its user files back
        marker = read_marker(out)
        assert marker is not None and set(marker["files"]) <= set(after)
        assert set(after) - {"notes.txt"} == set(marker["files"]) | {MARKER}
    elif child.returncode == -signal.SIGKILL:
        assert after == before  # the previous output, whole; nothing of the killed run mixed in
    else:  # the run finished before a file appeared in its staging folder: the new output, whole
        assert set(after) == set(before) and after["notes.txt"] == b"mine"
    write_files(out, {"compare.html": "<p>next run</p>"}, kind="compare")  # the next run cleans up
    assert (out / "notes.txt").read_text() == "mine"
    assert _names(tmp_path) == ["compare"]


def test_strings_to_categoricals_is_anndatas():
    """The h5ad writer's own text-to-categorical step gives anndata's result exactly: the same columns become
    categoricals, with their categories in natsort's order (ASCII texts by the fast key, others by natsort)."""
    import random

    import numpy as np
    import pandas as pd
    from anndata import AnnData

    random.seed(5)
    alphabet = "ab01 9;-_.|AZ"
    texts = ["", "a", "1", "01", "001", "a1b2", "1a", "a01", "a1", "a10", "a9", "a 9", "9 a", "P12345;Q9", "1-01", "10a"]
    texts += ["".join(random.choice(alphabet) for _ in range(random.randint(0, 8))) for _ in range(400)]
    n = len(texts)
    var = pd.DataFrame({
        "ascii": texts,
        "repeated": [texts[i % 50] for i in range(n)],
        "unicode": [f"{t}²" if i % 3 == 0 else f"é{t}" if i % 3 == 1 else t for i, t in enumerate(texts[:50] * (n // 50 + 1))][:n],
        "unique": [f"id{i}" for i in range(n)],
        "number": np.arange(n, dtype=float),
    }, index=[f"p{i}" for i in range(n)])
    ours, theirs = (AnnData(np.zeros((2, n)), var=var.copy()) for _ in range(2))
    outputs.strings_to_categoricals(ours)
    theirs.strings_to_categoricals()
    for column in var:
        assert str(ours.var[column].dtype) == str(theirs.var[column].dtype), column
        if isinstance(theirs.var[column].dtype, pd.CategoricalDtype):
            assert list(ours.var[column].cat.categories) == list(theirs.var[column].cat.categories), column
    assert isinstance(ours.var["repeated"].dtype, pd.CategoricalDtype)
    assert not isinstance(ours.var["unique"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(ours.var, theirs.var)
