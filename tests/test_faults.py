"""The fault table: every command through every OS-level fault ends in exit 2 and one plain line.

Real faults where the system allows them: FIFOs, devices, symlink loops, dangling symlinks, a
permission-denied input and a read-only output folder (as a non-root user; as root, inside a user
namespace where root's files are not root's), and a full disk (a 64 kB tmpfs mounted in a private
mount namespace). Where a namespace cannot be made (some containers), the permission cases are
simulated by failing ``open`` with EACCES and the full disk by a file-size limit (``RLIMIT_FSIZE``,
so every write, h5py's included, fails in the kernel). The registry commands (``users``, ``audit``,
``worker``, ``serve``) go through bad data folders, a corrupt database, an unreachable PostgreSQL and
a port in use. Each group runs in one child process that calls
``secretome.cli.main`` per case, so a segfault would show as a lost child, never as a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from secretome import datasets
from secretome.clinical_datasets import write_demo_trial
from test_assays_job import _long_plate

HARNESS = r"""
import builtins, contextlib, errno, io, json, os, resource, signal, sys
cases = json.loads(open(sys.argv[1]).read())
deny = set(json.loads(os.environ.get("FAULT_DENY", "[]")))
if deny:  # simulated permission faults: open() of these paths fails as the kernel would
    real_open, real_os_open = builtins.open, os.open
    def _check(path):
        if os.path.abspath(os.fspath(path)) in deny or os.path.dirname(os.path.abspath(os.fspath(path))) in deny:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            _check(file)
        return real_open(file, *args, **kwargs)
    def guarded_os_open(path, *args, **kwargs):
        _check(path)
        return real_os_open(path, *args, **kwargs)
    builtins.open, os.open, io.open = guarded_open, guarded_os_open, guarded_open
if os.environ.get("FAULT_FSIZE"):  # simulated full disk: writes past this size fail with EFBIG
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(os.environ["FAULT_FSIZE"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
if os.environ.get("FAULT_SPOOL_LIMIT"):  # HDF5 files written straight to disk, as large ones are
    import secretome.outputs
    secretome.outputs.SPOOL_LIMIT = int(os.environ["FAULT_SPOOL_LIMIT"])
from secretome.cli import main
results = {}
for name, argv in cases.items():
    err, out = io.StringIO(), io.StringIO()
    sys.argv = ["secretome", *argv]
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException as error:  # anything else escaping main() is a finding
            import traceback
            code, err = 99, io.StringIO(traceback.format_exc())
    results[name] = [code, err.getvalue()]
if os.environ.get("FAULT_LIST"):  # what the cases left in a folder (e.g. a tmpfs gone with the namespace)
    results["__listing__"] = [0, json.dumps(sorted(os.listdir(os.environ["FAULT_LIST"])))]
json.dump(results, sys.stdout)
"""

DIRECTORY_COMMANDS = ("profile", "compare", "comparability", "assay", "outcomes")
FILE_COMMANDS = {"read": "x.h5ad", "annotate": "x.tsv"}
INPUT_COMMANDS = ("info", "read", "annotate", "profile", "compare", "comparability", "assay", "outcomes")
SHEETLESS = ("annotate", "assay")
"""Commands without a second input file that a hostile sample sheet could be."""


def _argv(command: str, world: dict[str, Path], out: str, table: str | None = None, sheet: str | None = None) -> list[str]:
    """The command line of ``command`` on its good inputs, or on the hostile ``table`` (its main input) or
    ``sheet`` (its second input: the sample sheet, or the treatments of ``outcomes``)."""
    trial = world["trial"]
    if command == "assay":
        return ["assay", table or str(world["plate"]), "--out", out]
    if command == "outcomes":
        return ["outcomes", table or str(trial["records"]), "--dictionary", str(trial["dictionary"]), "--events",
                str(trial["events"]), "--treatments", sheet or str(trial["treatments"]), "--lots", str(trial["lots"]),
                "--reference-arm", "vehicle", "--out", out]
    table, sheet = table or str(world["table"]), sheet or str(world["sheet"])
    return {
        "info": ["info", table, "--samples", sheet],
        "read": ["read", table, "--samples", sheet, "--out", out],
        "annotate": ["annotate", table, "--out", out],
        "profile": ["profile", table, "--samples", sheet, "--group", "lot", "--out", out],
        "compare": ["compare", table, "--samples", sheet, "--design", "~ lot", "--contrast", "lot_B-lot_A", "--out", out],
        "comparability": ["comparability", table, "--samples", sheet, "--reference", "lot_A", "--out", out],
    }[command]


def _out_name(command: str) -> str:
    return FILE_COMMANDS.get(command, "out")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """Good inputs and a gallery of hostile paths, in a folder any user may enter."""
    root = tmp_path_factory.mktemp("faults")
    root.chmod(0o755)
    paths = datasets.demo_paths()
    good = {"table": root / "proteinGroups.txt", "sheet": root / "samples.tsv"}
    shutil.copy(paths["table"], good["table"])
    shutil.copy(paths["samples"], good["sheet"])
    for path in good.values():
        path.chmod(0o644)
    hostile = root / "hostile"
    hostile.mkdir(mode=0o755)
    os.mkfifo(hostile / "fifo.tsv")
    (hostile / "loop.tsv").symlink_to(hostile / "loop.tsv")
    (hostile / "dangling.tsv").symlink_to(hostile / "nowhere.tsv")
    (hostile / "folder.tsv").mkdir()
    (hostile / "binary.tsv").write_bytes(bytes(range(256)) * 64)
    (hostile / "[bold][raw data]").mkdir()
    (hostile / "[bold][raw data]" / "[raw data].tsv").write_bytes(b"\x00" * 100)  # markup-like names, binary content
    shutil.copy(good["table"], hostile / "unreadable.tsv")
    (hostile / "unreadable.tsv").chmod(0o000)
    readonly = root / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    trial = write_demo_trial(root / "trial")
    plate = _long_plate(root)
    for path in [*root.rglob("*")]:
        if path.is_file() and not path.is_symlink() and path.parent != hostile:
            path.chmod(0o644)
        elif path.is_dir() and path not in (readonly, hostile / "folder.tsv"):
            path.chmod(0o755)
    return {"root": root, **good, "hostile": hostile, "readonly": readonly, "trial": trial, "plate": plate}


INPUT_FAULTS = {
    "missing": "missing.tsv",
    "fifo": "fifo.tsv",
    "device": "/dev/zero",
    "symlink_loop": "loop.tsv",
    "dangling_symlink": "dangling.tsv",
    "directory": "folder.tsv",
    "binary": "binary.tsv",
    "markup_name": "[bold][raw data]/[raw data].tsv",
}


def _run(cases: dict[str, list[str]], tmp_path: Path, prefix: list[str] | None = None, env: dict | None = None,
         cwd: Path | None = None) -> dict[str, tuple[int, str]]:
    script, spec = tmp_path / "harness.py", tmp_path / "cases.json"
    script.write_text(HARNESS)
    spec.write_text(json.dumps(cases))
    for path in (script, spec):
        path.chmod(0o644)
    run = subprocess.run(
        [*(prefix or []), sys.executable, str(script), str(spec)], capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}, cwd=cwd,
    )
    assert run.returncode == 0, f"the child process died (code {run.returncode}): {run.stderr[-3000:]}"
    return {name: tuple(result) for name, result in json.loads(run.stdout).items()}


def _assert_one_line_errors(results: dict[str, tuple[int, str]], must_name: dict[str, str]) -> None:
    problems = []
    for name, (code, err) in results.items():
        lines = err.strip().splitlines()
        if code != 2 or len(lines) != 1 or not lines[0].startswith("error: ") or "Traceback" in err:
            problems.append(f"{name}: exit {code}, stderr {err[-600:]!r}")
        elif must_name.get(name) and must_name[name] not in lines[0]:
            problems.append(f"{name}: the message does not name {must_name[name]!r}: {lines[0]}")
    assert not problems, "\n".join(problems)


def test_every_command_refuses_every_hostile_input_in_one_line(world, tmp_path):
    cases, names = {}, {}
    for command in INPUT_COMMANDS:
        for fault, name in INPUT_FAULTS.items():
            table = name if name.startswith("/") else str(world["hostile"] / name)
            out = str(tmp_path / f"{command}-{fault}" / _out_name(command))
            cases[f"{command}/{fault}"] = _argv(command, world, out, table=table)
            names[f"{command}/{fault}"] = Path(name).name
        if command not in SHEETLESS:  # a hostile sample sheet (the treatments of outcomes)
            out = str(tmp_path / f"{command}-sheet" / _out_name(command))
            cases[f"{command}/fifo_sheet"] = _argv(command, world, out, sheet=str(world["hostile"] / "fifo.tsv"))
            names[f"{command}/fifo_sheet"] = "fifo.tsv"
    results = _run(cases, tmp_path)
    _assert_one_line_errors(results, names)
    assert "[bold][raw data]/[raw data].tsv" in results["info/markup_name"][1]  # printed as written, not as markup


def _output_cases(world: dict[str, Path], tmp_path: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    cases, names = {}, {}
    for command in (*FILE_COMMANDS, *DIRECTORY_COMMANDS):
        base = tmp_path / command
        base.mkdir()
        target = _out_name(command)
        (base / "elsewhere").mkdir()
        (base / "link").symlink_to(base / "elsewhere", target_is_directory=True)
        (base / "dangling").symlink_to(base / "nowhere")
        (base / "blocker").write_text("a file")
        faults = {
            "symlink": base / "link",
            "dangling_symlink": base / "dangling",
            "parent_is_file": base / "blocker" / target,
        }
        if command in FILE_COMMANDS:
            (base / "a_directory").mkdir()
            faults |= {"is_directory": base / "a_directory", "missing_parent": base / "absent" / target}
        else:
            foreign = base / "foreign"
            foreign.mkdir()
            (foreign / "thesis.docx").write_text("keep")
            faults |= {"is_file": base / "blocker", "dot": Path("."), "foreign": foreign}
        for fault, out in faults.items():
            cases[f"{command}/{fault}"] = _argv(command, world, str(out))
            names[f"{command}/{fault}"] = {"dot": ".", "parent_is_file": "blocker", "missing_parent": "absent"}.get(
                fault, Path(out).name)
    return cases, names


def test_every_command_refuses_every_impossible_output_in_one_line(world, tmp_path, monkeypatch):
    cases, names = _output_cases(world, tmp_path)
    here = tmp_path / "cwd"
    here.mkdir()
    (here / "mine.txt").write_text("keep")
    results = _run(cases, tmp_path, cwd=here)
    _assert_one_line_errors(results, names)
    for command in (*FILE_COMMANDS, *DIRECTORY_COMMANDS):
        base = tmp_path / command
        assert list((base / "elsewhere").iterdir()) == [] and (base / "blocker").read_text() == "a file"
        assert not [p for p in base.iterdir() if p.name.startswith(".")], "hidden leftovers"
        if command in DIRECTORY_COMMANDS:
            assert [p.name for p in (base / "foreign").iterdir()] == ["thesis.docx"]
    assert [p.name for p in here.iterdir()] == ["mine.txt"]


def _can_unshare(*flags: str) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", *flags, "true"], capture_output=True)
    return probe.returncode == 0


def test_permission_denied_inputs_and_outputs_are_one_line_errors(world, tmp_path):
    hostile, readonly = world["hostile"], world["readonly"]
    cases, names = {}, {}
    for command in INPUT_COMMANDS:
        out = str(readonly / f"{command}-in" / _out_name(command))
        cases[f"{command}/unreadable_input"] = _argv(command, world, out, table=str(hostile / "unreadable.tsv"))
        names[f"{command}/unreadable_input"] = "unreadable.tsv"
    for command in (*FILE_COMMANDS, *DIRECTORY_COMMANDS):
        out = readonly / (_out_name(command) if command in FILE_COMMANDS else command)
        cases[f"{command}/readonly_output"] = _argv(command, world, str(out))
        names[f"{command}/readonly_output"] = "readonly"
    work = tmp_path / "work"
    work.mkdir(mode=0o777)
    work.chmod(0o777)
    env: dict[str, str] = {}
    prefix: list[str] = []
    if os.geteuid() == 0:
        if _can_unshare("--user", "--map-user=1000", "--map-group=1000"):
            prefix = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]  # root's files, without root's powers
        else:
            env["FAULT_DENY"] = json.dumps([str(hostile / "unreadable.tsv"), str(readonly)])
    results = _run(cases, work, prefix=prefix, env=env)
    _assert_one_line_errors(results, names)
    for name, (_, err) in results.items():
        assert any(words in err for words in ("permission denied", "not permitted", "is not readable")), f"{name}: {err}"
    assert list(readonly.iterdir()) == []


@pytest.mark.parametrize("hdf5", ["in_memory", "straight_to_disk"])
def test_a_full_disk_is_a_one_line_error_for_every_writing_command(world, tmp_path, hdf5):
    """Also with the HDF5 files (read's .h5ad, profile's lzf-compressed dataset.h5ad) written straight to
    disk, as those estimated over ``SPOOL_LIMIT`` (32 MiB) are: libhdf5 must never see the full disk."""
    spool = {"FAULT_SPOOL_LIMIT": "0"} if hdf5 == "straight_to_disk" else {}
    disk = tmp_path / "disk"
    disk.mkdir()
    cases = {}
    for command in (*FILE_COMMANDS, *DIRECTORY_COMMANDS):
        out = disk / (_out_name(command) if command in FILE_COMMANDS else command)
        cases[f"{command}/full_disk"] = _argv(command, world, str(out))
    if _can_unshare("-rm"):
        script, spec = tmp_path / "harness.py", tmp_path / "cases.json"
        script.write_text(HARNESS)
        spec.write_text(json.dumps(cases))
        shell = f"mount -t tmpfs -o size=16k tmpfs {disk} && exec {sys.executable} {script} {spec}"
        run = subprocess.run(["unshare", "-rm", "sh", "-c", shell], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "FAULT_LIST": str(disk), **spool})
        assert run.returncode == 0, f"the child process died (code {run.returncode}): {run.stderr[-3000:]}"
        results = {name: tuple(result) for name, result in json.loads(run.stdout).items()}
        reason = "no space left"
    else:
        results = _run(cases, tmp_path, env={"FAULT_FSIZE": str(16 * 1024), "FAULT_LIST": str(disk), **spool})
        reason = "too large"
    listing = json.loads(results.pop("__listing__")[1])
    _assert_one_line_errors(results, {name: Path(argv[-1]).name for name, argv in cases.items()})
    for name, (_, err) in results.items():
        assert reason in err or "not enough space" in err, f"{name}: {err}"
    assert listing == []  # nothing half-written, no hidden leftovers


REGISTRY_COMMANDS = {
    "users_list": ["users", "list"],
    "users_token": ["users", "token", "ghost"],
    "users_grant": ["users", "grant-clinical", "ghost"],
    "audit_verify": ["audit", "verify"],
    "worker_once": ["worker", "--once"],
    "serve": ["serve", "--no-worker", "--port", "1"],  # never reached: the data folder is refused first
}


def test_every_registry_command_refuses_every_bad_data_folder_in_one_line(world, tmp_path):
    base = tmp_path / "registry"
    base.mkdir()
    (base / "a_file").write_text("not a folder")
    os.mkfifo(base / "fifo")
    (base / "dangling").symlink_to(base / "nowhere")
    (base / "corrupt").mkdir()
    (base / "corrupt" / "registry.sqlite3").write_bytes(bytes(range(256)) * 40)  # not a database
    folders = {"is_file": base / "a_file", "fifo": base / "fifo", "dangling_symlink": base / "dangling",
               "device": Path("/dev/null"), "parent_is_file": base / "a_file" / "data", "corrupt_database": base / "corrupt"}
    cases, names = {}, {}
    for command, argv in REGISTRY_COMMANDS.items():
        for fault, folder in folders.items():
            cases[f"{command}/{fault}"] = [*argv, "--data-dir", str(folder)]
            names[f"{command}/{fault}"] = folder.name if fault != "corrupt_database" else "registry.sqlite3"
    results = _run(cases, tmp_path)
    with socket.socket() as closed:  # a PostgreSQL URL where nothing listens
        closed.bind(("127.0.0.1", 0))
        url = f"postgresql+psycopg://secretome:secret@127.0.0.1:{closed.getsockname()[1]}/registry"
    unreachable = {f"{command}/unreachable_postgresql": [*REGISTRY_COMMANDS[command], "--data-dir", str(base / "pg")]
                   for command in ("users_list", "worker_once")}
    results |= _run(unreachable, tmp_path, env={"SECRETOME_DATABASE_URL": url})
    names |= {name: "127.0.0.1" for name in unreachable}
    assert not any("secret@" in err for _, err in results.values())  # the password is never printed
    with socket.socket() as busy:  # serve on a port already taken: refused before the app starts
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        results |= _run({"serve/port_in_use": ["serve", "--no-worker", "--data-dir", str(base / "good"), "--port", str(port)],
                         "serve/bad_host": ["serve", "--no-worker", "--data-dir", str(base / "good"), "--host", "256.0.0.1"]},
                        tmp_path)
    names |= {"serve/port_in_use": str(port), "serve/bad_host": "256.0.0.1"}
    _assert_one_line_errors(results, names)
    assert (base / "corrupt" / "registry.sqlite3").read_bytes() == bytes(range(256)) * 40  # left as it was
