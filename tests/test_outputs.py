"""Atomic outputs: whole or nothing, usual permissions, existing directories handled as documented."""

import os
import stat

import pytest

from secretome.errors import SecretomeInputError
from secretome.outputs import atomic_directory, atomic_file


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.tsv"]


def test_atomic_file_in_a_missing_directory_is_an_input_error(tmp_path):
    with pytest.raises(SecretomeInputError, match="does not exist"):
        with atomic_file(tmp_path / "absent" / "x.tsv"):
            pass


def test_atomic_directory_swaps_whole_or_merges_files(tmp_path):
    out = tmp_path / "report"
    with atomic_directory(out) as staging:
        (staging / "a.txt").write_text("1")
        (staging / "stale.txt").write_text("old")
    with atomic_directory(out, replace_existing=True) as staging:
        (staging / "a.txt").write_text("2")
    assert sorted(os.listdir(out)) == ["a.txt"] and (out / "a.txt").read_text() == "2"
    (out / "mine.txt").write_text("keep")
    with atomic_directory(out) as staging:
        (staging / "a.txt").write_text("3")
    assert sorted(os.listdir(out)) == ["a.txt", "mine.txt"]
    with pytest.raises(ValueError):
        with atomic_directory(out, replace_existing=True) as staging:
            (staging / "a.txt").write_text("never")
            raise ValueError("boom")
    assert (out / "a.txt").read_text() == "3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_atomic_directory_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(SecretomeInputError, match="not a directory"):
        with atomic_directory(tmp_path / "out"):
            pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
