"""The package's shape: imports flow one way (shells -> jobs -> report -> summary/profile -> stages -> readers
and knowledge base -> foundations), no module imports itself back through others, and no public
function shadows the module it lives in."""

from __future__ import annotations

import ast
import re
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "secretome"

LAYERS = [
    {"secretome", "secretome.errors", "secretome.config", "secretome.tables", "secretome.outputs",
     "secretome.provenance", "secretome.textsafety", "secretome.plotlyjs"},
    {"secretome.io", "secretome.kb", "secretome.datasets", "secretome.clinical_datasets"},
    {"secretome.annotate"},
    {"secretome.qc", "secretome.stats", "secretome.assays", "secretome.clinical"},
    {"secretome.profile", "secretome.summary"},
    {"secretome.report"},
    {"secretome.jobs"},
    {"secretome.registry"},
    {"secretome.cli", "secretome.__main__", "secretome.webapp", "secretome.registry.cli"},
]
"""Layers from the bottom up (the shells on top: CLI and web app over the registry, which runs jobs): a module may import its own layer's and lower layers' modules only. A new
top-level module or package must be placed here (the test below fails until it is)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level(tree: ast.Module) -> list[ast.AST]:
    """The import statements run when the module is imported (not in functions, not under TYPE_CHECKING)."""
    out: list[ast.AST] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(node)
        elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body])
    return out


def imports_of(path: Path, known: dict[str, Path], *, lazy: bool = True) -> set[str]:
    """Every secretome module a file imports, at module level or (``lazy``) inside functions too:
    ``from secretome.io import diann`` imports the module ``secretome.io.diann``, ``from secretome.io
    import read`` the package ``secretome.io``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in (ast.walk(tree) if lazy else _module_level(tree)):
        if isinstance(node, ast.Import):
            found.update(existing(alias.name, known) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(kept + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else existing(base, known))
    return {name for name in found if name and (name == "secretome" or name.startswith("secretome."))}


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in SOURCE.rglob("*.py")}


def existing(name: str, known: dict[str, Path]) -> str | None:
    """The module an imported name refers to (``secretome.io.read`` -> ``secretome.io``)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def layer_of(name: str) -> int:
    """The layer of the most specific entry that covers ``name`` (``secretome.registry.cli`` before ``secretome.registry``)."""
    matches = [(len(owner), index) for index, layer in enumerate(LAYERS) for owner in layer
               if name == owner or (owner != "secretome" and name.startswith(owner + "."))]
    if not matches:
        raise AssertionError(f"{name} is in no layer of tests/test_architecture.py: place it there")
    return max(matches)[1]


def graph(*, lazy: bool = True) -> dict[str, set[str]]:
    """Module -> the secretome modules it imports (``lazy``: also inside functions)."""
    known = modules()
    edges = {}
    for name, path in known.items():
        edges[name] = {target for target in imports_of(path, known, lazy=lazy) if target != name}
    return edges


def test_imports_go_down_the_layers():
    upward = []
    for source, targets in graph().items():
        if source == "secretome":
            continue  # the package's lazy attribute table names its public modules
        for target in targets:
            if target != "secretome" and layer_of(target) > layer_of(source):
                upward.append(f"{source} -> {target}")
    assert not upward, "imports against the layering:\n" + "\n".join(sorted(upward))


def test_no_import_cycles_between_packages_or_modules():
    """Packages may not import each other in a circle, not even lazily; modules may not at import time
    (a lazy import inside a package, e.g. an app factory loading its route modules, is wiring, not a cycle)."""
    edges = graph()
    eager = graph(lazy=False)
    for table in (edges, eager):
        table.pop("secretome", None)
        for targets in table.values():
            targets.discard("secretome")

    owners = sorted((owner for layer in LAYERS for owner in layer if owner != "secretome"), key=len, reverse=True)

    def group(name: str) -> str:  # a package is one node (secretome.stats.compare -> secretome.stats), as LAYERS names it
        return next((owner for owner in owners if name == owner or name.startswith(owner + ".")), name)

    package_edges: dict[str, set[str]] = {}
    for source, targets in edges.items():
        package_edges.setdefault(group(source), set()).update(
            group(t) for t in targets if group(t) != group(source))
    for name, targets in (("modules at import time", eager), ("packages", package_edges)):
        cycle = _find_cycle(targets)
        assert cycle is None, f"import cycle between {name}: {' -> '.join(cycle)}"


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("name", ["annotate", "qc", "profile", "summary", "io", "kb", "stats", "report", "jobs"])
def test_modules_are_not_shadowed_by_functions(name):
    import secretome

    module = importlib.import_module(f"secretome.{name}")
    assert getattr(secretome, name) is module


def test_qc_package_modules_are_not_shadowed_by_its_exports():
    """``secretome.qc`` re-exports its modules' functions; none may hide a module of the package."""
    import pkgutil

    import secretome.qc

    names = [info.name for info in pkgutil.iter_modules(secretome.qc.__path__)]
    assert {"registry", "thresholds", "verdicts", "purity", "missingness", "outliers", "stage"} <= set(names)
    for name in names:
        assert getattr(secretome.qc, name) is importlib.import_module(f"secretome.qc.{name}"), name


def test_public_api_names_the_stage_functions():
    import secretome
    from secretome.annotate import annotate
    from secretome.io import read
    from secretome.profile import profile
    from secretome.qc import qc
    from secretome.summary import build_summary

    assert secretome.read is read and secretome.annotate_dataset is annotate and secretome.qc_dataset is qc
    assert secretome.profile_dataset is profile and secretome.build_summary is build_summary


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["profile", "--help"]])
def test_version_and_help_load_neither_pandas_nor_the_engine(args):
    code = (f"import sys; from secretome.cli import main; sys.argv = ['secretome', *{args!r}]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('pandas', 'numpy', 'anndata', 'scipy', 'plotly', 'secretome.io', 'secretome.jobs')"
            " if m in sys.modules)\nprint('loaded:' + ','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "loaded:", done.stdout


def test_info_reads_and_summarises_without_anndata_scipy_or_the_knowledge_base(tmp_path):
    """``secretome info`` prints from the light read result: anndata (with zarr and h5py), scipy and the
    knowledge base are never imported for a protein table (they cost most of its start-up)."""
    table = tmp_path / "wide.tsv"
    table.write_text("Protein\tA\tB\nP12345\t1.5\t0\nQ67890\t\t2.5\n", encoding="utf-8")
    code = (f"import sys; from secretome.cli import main; sys.argv = ['secretome', 'info', {str(table)!r}]\n"
            "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
            "heavy = sorted(m for m in ('anndata', 'zarr', 'h5py', 'scipy', 'plotly', 'secretome.kb', 'secretome.jobs.compare')"
            " if m in sys.modules)\nprint('loaded:' + ','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "proteins: 2" in done.stdout and "missing values: 50.0% (engine zeros converted: 1)" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded:", done.stdout


def test_help_text_names_every_reader_format():
    from secretome.cli import READER_FORMATS
    from secretome.io import FORMATS

    assert READER_FORMATS == FORMATS


def test_one_loader_parses_toml():
    """Every TOML file (shipped defaults, package rule files, a user's config) is parsed by secretome.config."""
    parsers = sorted(name for name, path in modules().items()
                     if name != "secretome.config" and "tomllib" in imports_of_stdlib(path))
    assert not parsers, f"modules parsing TOML themselves (use secretome.config): {parsers}"


def imports_of_stdlib(path: Path) -> set[str]:
    """Top-level names of every module a file imports (``import tomllib`` -> ``tomllib``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize("name", ["qc_thresholds", "assays"])
def test_every_threshold_names_its_source(name):
    """A threshold is data with its source: every table of limits in the defaults file says where they come from."""
    from secretome.config import config

    tables = {section: entries for section, entries in config(name).items() if section != "settings"}
    assert tables
    unsourced = [section for section, entries in tables.items() if not str(entries.get("source", "")).strip()]
    assert not unsourced, f"{name}.toml tables without a source: {unsourced}"


HTML_TAG = re.compile(r"<(p|div|table|tr|td|th|h[1-6]|section|span|ul|ol|li|b|strong|em|code|br|a)[\s>/]", re.I)


def test_no_html_outside_the_templates():
    """Pages are drawn by templates (a partial per section) from stored results: no module below the report
    (nor a job) writes HTML in its strings; docstrings may show a tag."""
    offenders = []
    for name, path in modules().items():
        if layer_of(name) >= layer_of("secretome.report") and not name.startswith("secretome.jobs"):
            continue  # the report itself, the registry and the shells
        offenders += [f"{name}:{line}" for line in html_strings(path.read_text(encoding="utf-8"))]
    assert not offenders, f"HTML strings outside the report templates: {offenders}"


def html_strings(source: str) -> list[int]:
    """Lines of the string constants (docstrings aside) of ``source`` that contain an HTML tag."""
    tree = ast.parse(source)
    docstrings = {id(owner.body[0].value) for owner in ast.walk(tree)
                  if isinstance(owner, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and owner.body and isinstance(owner.body[0], ast.Expr)}
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and HTML_TAG.search(node.value)]


def test_the_html_finder_finds_a_planted_tag():
    assert html_strings('"""<p>doc</p>"""\nx = f"<h3>{1}</h3>"\ny = "a < b"\n') == [2]
