"""The knowledge-base build: byte-deterministic, up to date with the shipped artefact, and free of SignalP data."""

from __future__ import annotations

import builtins
import gzip
import importlib.util
import json
import lzma
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

KB_DATA = REPO_ROOT / "src" / "secretome" / "kb" / "data"
BUILT_FILES = ("proteins.tsv.gz", "gene_sets.gmt.gz", "manifest.json", "ATTRIBUTION.md")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_kb", REPO_ROOT / "scripts" / "build_kb.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bioc() -> Path:
    """The R site-library holding org.Hs.eg.db and GO.db (Debian r-bioc-org.hs.eg.db, r-bioc-go.db)."""
    build = _build_module()
    path = build.DEFAULT_BIOC
    if not all((path / name).is_file() for name in ("org.Hs.eg.db/extdata/org.Hs.eg.sqlite", "GO.db/extdata/GO.sqlite")):
        pytest.skip(f"needs org.Hs.eg.db and GO.db under {path} (apt-get install r-bioc-org.hs.eg.db r-bioc-go.db)")
    pytest.importorskip("pyreadr", reason="needs pyreadr to read HPA v21.1 (.rda)")
    return path


@pytest.fixture(scope="module")
def two_builds(shared_data: Path, bioc: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """Build twice into fresh directories (recording every file the first build opens)."""
    build = _build_module()
    opened: list[str] = []
    real_open, real_gzip, real_lzma = builtins.open, gzip.open, lzma.open

    def spy(real):
        def wrapper(file, *args, **kwargs):
            if isinstance(file, (str, Path)):
                opened.append(str(file))
            return real(file, *args, **kwargs)
        return wrapper

    first, second = tmp_path_factory.mktemp("kb1"), tmp_path_factory.mktemp("kb2")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builtins, "open", spy(real_open))
        patch.setattr(gzip, "open", spy(real_gzip))
        patch.setattr(lzma, "open", spy(real_lzma))
        build.build(shared_data, first, bioc)
    # the second build runs in a fresh interpreter with another hash seed: set/dict order must not leak into bytes
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "build_kb.py"), "--source", str(shared_data),
                    "--bioc", str(bioc), "--out", str(second)], check=True, env=env, capture_output=True)
    return first, second, opened


def test_rebuild_gives_identical_bytes(two_builds) -> None:
    first, second, _ = two_builds
    for name in BUILT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_shipped_artefact_is_the_build_of_the_shared_data(two_builds) -> None:
    first, _, _ = two_builds
    for name in BUILT_FILES:
        assert (KB_DATA / name).read_bytes() == (first / name).read_bytes(), f"{name} is stale: run scripts/build_kb.py"


def test_build_never_opens_signalp_data(two_builds) -> None:
    _, _, opened = two_builds
    assert opened, "the spy saw no file: the test would prove nothing"
    assert not [path for path in opened if "signal_peptides" in path or "signalp" in path.lower()]


def test_build_refuses_signalp_folder(shared_data: Path) -> None:
    build = _build_module()
    with pytest.raises(RuntimeError, match="SignalP"):
        build._open_text(shared_data / "signal_peptides" / "signalp6_train_set.fasta.gz")


def test_shipped_files_contain_nothing_from_signalp() -> None:
    shipped = [path for path in KB_DATA.rglob("*") if path.is_file()]
    assert len(shipped) >= 10
    for path in shipped:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8").lower()
        # SignalP 6.0 headers look like '>P12345|EUKARYA|SP|0' and carry per-residue label strings
        assert "|eukarya|" not in text and "|no_sp|" not in text, path
        if path.name == "ATTRIBUTION.md":
            mentions = [line for line in text.splitlines() if "signalp" in line]
            assert mentions and all("not** used" in line or "not used" in line for line in mentions), mentions
        else:
            assert "signalp" not in text and "signal_peptides" not in text, path
    manifest = json.loads((KB_DATA / "manifest.json").read_text())
    assert not [s for s in manifest["sources"] if "signal" in s["path"].lower()]


def test_artefact_is_small_and_versioned() -> None:
    total = sum(path.stat().st_size for path in KB_DATA.rglob("*") if path.is_file())
    assert total < 20 * 1024 * 1024
    manifest = json.loads((KB_DATA / "manifest.json").read_text())
    assert manifest["version"] == f"{manifest['kb_semver']}+{manifest['content_sha256'][:12]}"
    attribution = (KB_DATA / "ATTRIBUTION.md").read_text()
    for phrase in ("CC BY-SA 4.0", "Gene Ontology (CC BY 4.0)", "UniProt", "Reactome", "CellPhoneDB", "ExoCarta",
                   "MaxQuant", "cRAP", "Frankenfield", "HPA v21.1", "org.Hs.eg.db 3.16", "GO.db 3.16", "2022-07-01"):
        assert phrase in attribution, phrase
