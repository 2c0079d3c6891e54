"""HDF5 writes never crash in libhdf5 on a full disk: files too large to build in memory (over
``secretome.outputs.SPOOL_LIMIT``, 32 MiB; lowered here to 0 so a small file takes that path) reserve
their space before libhdf5 writes anything, so a disk too small is a one-line output error and the
process lives on; on a disk large enough the file is complete and the unused reservation is freed.

Each case runs in a child process (a segfault would show as a lost child), on a tmpfs of a given size
in a private mount namespace, or, where no namespace can be made, under a file-size limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import json, os, resource, signal, sys
import numpy as np, pandas as pd, anndata as ad
import secretome.outputs as outputs
from secretome.errors import SecretomeInputError
outputs.SPOOL_LIMIT = int(os.environ.get("SPOOL_LIMIT", "0"))
if os.environ.get("FSIZE"):
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(os.environ["FSIZE"]),) * 2)
rng = np.random.default_rng(0)
adata = ad.AnnData(rng.normal(size=(200, 2000)).astype("float32"),  # 1.6 MB that lzf cannot shrink much
                   obs=pd.DataFrame({"lot": ["lot_A", "lot_B"] * 100}, index=[f"s{i}" for i in range(200)]),
                   var=pd.DataFrame(index=[f"P{i:05d}" for i in range(2000)]))
path = sys.argv[1]
try:
    outputs.write_h5ad(adata, path, compression=sys.argv[2] or None)
    back = ad.read_h5ad(path)
    result = {"written": os.path.getsize(path), "allocated": os.stat(path).st_blocks * 512,
              "same": bool(np.array_equal(back.X, adata.X)) and list(back.obs["lot"]) == list(adata.obs["lot"])}
except SecretomeInputError as error:
    result = {"error": str(error)}
except OSError as error:  # an ordinary OS error, which the output wrappers turn into one line
    result = {"os_error": error.errno}
print(json.dumps(result))
"""


def _can_mount_tmpfs() -> bool:
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True) if os.path.exists("/usr/bin/unshare") else None
    return probe is not None and probe.returncode == 0


def _write(tmp_path: Path, disk_bytes: int, compression: str, spool_limit: int = 0, limit: str = "disk") -> dict:
    """Run the child writing an .h5ad where only ``disk_bytes`` fit: a tmpfs that size (``limit="disk"``,
    where a mount namespace can be made) or a file-size limit (``"file_size"``)."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    disk = tmp_path / "disk"
    disk.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "SPOOL_LIMIT": str(spool_limit)}
    target = disk / "x.h5ad"
    if limit == "disk" and _can_mount_tmpfs():
        shell = f"mount -t tmpfs -o size={disk_bytes} tmpfs {disk} && exec {sys.executable} {script} {target} '{compression}'"
        command = ["unshare", "-rm", "sh", "-c", shell]
    else:
        env["FSIZE"] = str(disk_bytes)
        command = [sys.executable, str(script), str(target), compression]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, f"the child died (code {run.returncode}): {run.stderr[-2000:]}"
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("limit", ["disk", "file_size"])
@pytest.mark.parametrize("compression", ["lzf", ""])
def test_a_disk_too_small_is_an_output_error_not_a_crash(tmp_path, compression, limit):
    result = _write(tmp_path, 512 << 10, compression, limit=limit)
    assert "error" in result, result
    assert "x.h5ad" in result["error"] and ("not enough space" in result["error"] or "too large" in result["error"])


@pytest.mark.parametrize("limit", ["disk", "file_size"])
@pytest.mark.parametrize("compression", ["lzf", ""])
def test_on_a_disk_large_enough_the_file_is_complete_and_the_reservation_freed(tmp_path, compression, limit):
    result = _write(tmp_path, 8 << 20, compression, limit=limit)
    assert result.get("same") is True, result
    assert result["allocated"] < result["written"] + (64 << 10)  # the 3.9 MB reservation was given back


def test_small_files_built_in_memory_fail_with_an_ordinary_os_error(tmp_path):
    import errno

    result = _write(tmp_path, 512 << 10, "lzf", spool_limit=512 << 20)
    assert result.get("os_error") in (errno.ENOSPC, errno.EFBIG), result
