"""What each command loads (issue 14's start-up goals): a fresh ``python -m secretome`` process (the console
entry point) runs the command and reports which heavy modules it imported, so a module that slips back into
``--version``, ``--help``, ``info`` or ``profile`` fails here instead of silently costing every user start-up
time. Speeds themselves are measured in ``benchmarks/bench_commands.py``, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, runpy, sys
sys.argv = ["secretome", *json.loads(sys.argv[1])]
code = 0
try:
    runpy.run_module("secretome", run_name="__main__")
except SystemExit as stop:
    code = stop.code or 0
loaded = {name.partition(".")[0] for name in sys.modules}
if type(sys.modules.get("zarr")).__name__ == "_AbsentZarr":
    loaded.discard("zarr")
print("\\nPROBE " + json.dumps({"code": code, "loaded": sorted(loaded), "secretome": sorted(n for n in sys.modules if n.startswith("secretome"))}))
"""

NEVER = {"pydantic", "click"}
"""Loaded by no command that does not serve the web app: typer bundles its own click, and typer 0.29's pydantic
coercion is kept out by the pinned version range."""

ENGINE = {"pandas", "numpy", "anndata", "scipy", "h5py", "zarr", "plotly", "jinja2", "rich", "statsmodels", "sqlalchemy"}


def probe(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[str, dict]:
    """Run ``secretome ARGS`` in a fresh process; its stdout and what it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args))], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    output, _, report = done.stdout.rpartition("\nPROBE ")
    return output, json.loads(report)


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["profile", "--help"], ["info", "--help"], ["kb", "--help"]])
def test_version_and_help_load_no_engine_and_no_cli_extras(args):
    _, report = probe(*args)
    assert report["code"] == 0
    assert not (set(report["loaded"]) & (ENGINE | NEVER)), report["loaded"]
    assert not [name for name in report["secretome"] if name.startswith(("secretome.io", "secretome.jobs", "secretome.kb"))]


def test_info_loads_only_the_readers_and_pandas(tmp_path):
    table = tmp_path / "wide.tsv"
    table.write_text("Protein\tA\tB\nP12345\t1.5\t0\nQ67890\t\t2.5\nP99999\t3\t4\n", encoding="utf-8")
    output, report = probe("info", str(table))
    assert report["code"] == 0 and "proteins: 3" in output
    loaded = set(report["loaded"])
    assert {"pandas", "numpy"} <= loaded
    assert not (loaded & ({"anndata", "scipy", "h5py", "zarr", "plotly", "jinja2", "rich", "statsmodels", "openpyxl"} | NEVER)), loaded
    assert not [name for name in report["secretome"] if name.startswith(("secretome.kb", "secretome.qc", "secretome.stats",
                                                                         "secretome.report", "secretome.annotate"))]


def test_an_input_error_without_a_terminal_is_one_plain_line_without_rich(tmp_path):
    """On a pipe the message is the line rich would print (``error: ...``, exit code 2), and rich is not loaded."""
    table = tmp_path / "dup.tsv"
    table.write_text("Protein\tA\tB\nP12345\t1\t2\nP12345\t3\t4\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "secretome", "info", str(table)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (f"error: file {table}, column 'Protein': duplicated protein identifier 'P12345' in rows [2, 3] "
                           "(expected: one row per protein group)\n")
    _, report = probe("info", str(table))
    assert report["code"] == 2 and "rich" not in report["loaded"]


def test_profile_loads_anndata_without_zarr_and_writes_a_readable_h5ad(tmp_path):
    """The console process leaves zarr unloaded (a placeholder module names anndata's two zarr classes): the
    whole profile still writes its ``.h5ad``, which an ordinary process reads back with every value, and
    neither plotly (figures are dicts; plotly.js is read as a file) nor scipy.stats nor the CLI extras load."""
    import anndata
    import numpy as np

    rng = np.random.default_rng(3)
    genes = ["ALB", "APOA1", "TIMP1", "SERPINE1", "FN1", "COL1A1", "VIM", "ACTB", "GAPDH", "LDHA", "HSPA8", "TGFBI"]
    values = np.round(2 ** rng.normal(22, 1.5, (len(genes), 4)), 1)
    rows = ["Protein IDs\tGene names\t" + "\t".join(f"S{j}" for j in range(4))]
    rows += [f"P{i:05d}\t{gene}\t" + "\t".join(str(v) for v in row) for i, (gene, row) in enumerate(zip(genes, values))]
    table = tmp_path / "wide.tsv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    _, report = probe("profile", str(table), "--out", str(out))
    assert report["code"] == 0
    loaded = set(report["loaded"])
    assert {"anndata", "h5py", "jinja2"} <= loaded
    assert not (loaded & ({"zarr", "numcodecs", "donfig", "plotly", "statsmodels"} | NEVER)), loaded
    written = anndata.read_h5ad(out / "dataset.h5ad")
    assert written.shape == (4, len(genes))
    np.testing.assert_array_equal(np.asarray(written.X, dtype=float), values.T)


def test_the_zarr_placeholder_is_only_the_console_process():
    """``import secretome`` and the in-process :func:`secretome.cli.main` leave zarr to anndata; the placeholder
    refuses every zarr attribute but the two class names, saying why."""
    code = ("import sys, secretome, secretome.cli; assert 'zarr' not in sys.modules\n"
            "secretome.cli._defer_zarr(); zarr = sys.modules['zarr']\n"
            "print(zarr.Array.__module__, zarr.Group.__name__)\n"
            "try:\n    zarr.open\nexcept AttributeError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "zarr Group" and "not loaded in the secretome command-line process" in second
    code = "import anndata, sys, secretome.cli; secretome.cli._defer_zarr(); print(type(sys.modules['zarr']).__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "module", done.stderr  # anndata loaded first: the real zarr is left in place


def test_numpys_testing_and_f2py_load_only_when_used_in_the_console_process():
    """:func:`secretome.cli._defer_numpy_extras`: importing the engine (scipy's array-API copy of numpy names both)
    leaves them unexecuted; the first use of a name runs the whole module, ``from`` imports included."""
    code = ("import sys, secretome.cli as cli; cli._defer_numpy_extras()\n"
            "import secretome.jobs.compare, secretome.stats.limma, scipy.sparse, scipy.special\n"
            "print(type(sys.modules['numpy.testing']).__name__, 'numpy.f2py.crackfortran' in sys.modules,"
            " 'numpy.testing._private.utils' in sys.modules)\n"
            "from numpy.testing import assert_allclose; assert_allclose(1.0, 1.0)\n"
            "import numpy; numpy.testing.assert_array_equal([1], [1])\n"
            "from numpy.f2py import crackfortran\n"
            "print(type(sys.modules['numpy.testing']).__name__, 'numpy.f2py.crackfortran' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "_LazyModule False False" and after == "module True"


@pytest.mark.parametrize("argv, runs", [(["secretome"], False), (["secretome", "--version"], False),
                                        (["secretome", "compare", "--help"], False), (["secretome", "info", "x.tsv"], True)])
def test_only_a_command_defers_numpys_extras(argv, runs):
    """``--version`` and help texts never import numpy, so they skip :func:`secretome.cli._defer_numpy_extras`."""
    from secretome.cli import _runs_a_command

    assert _runs_a_command(argv) is runs


@pytest.mark.parametrize("outcome", ["returns", "exits 2"])
def test_the_console_process_collects_its_garbage_then_freezes_for_a_quick_shutdown(tmp_path, outcome):
    """:func:`secretome.cli.console_main` ends by one collection and ``gc.freeze``: garbage only a cycle holds is
    still finalised (a temporary file it owns is removed), the error exit is unchanged, atexit handlers still run
    (a ``TemporaryDirectory`` left open is removed) and the survivors are frozen."""
    code = f"""
import atexit, gc, os, sys, tempfile
import secretome.cli as cli
marker = {str(tmp_path / "cycle-held")!r}
def command():
    class Holder:
        def __del__(self):
            os.remove(marker)
    holder = Holder(); holder.me = holder  # a cycle: only the collector frees it
    open(marker, "w").close()
    del holder
    global left
    left = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})
    print(left.name)
    if {outcome!r} == "exits 2":
        sys.exit(2)
cli.main = command
atexit.register(lambda: print("frozen", gc.get_freeze_count() > 0, "cycle freed", not os.path.exists(marker)))
cli.console_main()
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == (2 if outcome == "exits 2" else 0), done.stderr
    left, report = done.stdout.splitlines()
    assert report == "frozen True cycle freed True"
    assert not Path(left).exists()  # weakref.finalize ran at exit


@pytest.mark.parametrize(("command", "preset", "expected"), [("compare", None, "1"), ("compare", "2", "2"), ("info", None, "None")])
def test_compare_runs_one_blas_thread_unless_the_user_chose(command: str, preset: str | None, expected: str) -> None:
    """``compare`` sets ``OPENBLAS_NUM_THREADS=1`` before numpy loads (its idle threads only spin); a user's value wins,
    and other commands keep the default."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    code = ("import os, sys, secretome.cli as cli; cli._limit_blas_threads(['secretome', sys.argv[1]]); "
            "print(os.environ.get('OPENBLAS_NUM_THREADS'))")
    run = subprocess.run([sys.executable, "-c", code, command], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == expected
