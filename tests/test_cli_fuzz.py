"""Fuzzing the CLI end to end: random bytes, random tables, random sample sheets, random option values.

Whatever goes in, ``secretome.cli.main`` ends with exit 0, or exit 2 and one plain ``error:`` line;
no other exception escapes (``run_main`` lets it through, failing the test with its traceback).

Every failure found once is replayed forever: each is kept below as an explicit ``@example``, and
hypothesis' example database lives in ``tests/hypothesis-examples`` (committed; read-only on CI, so
a shrunk failure found on a developer's machine is saved there to be committed with its fix).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO_ROOT, REQUIRE_OPTIONAL, run_main
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, ReadOnlyDatabase

from secretome import datasets


class _AppendOnlyDatabase(ExampleDatabase):
    """The committed example folder, growing only: hypothesis deletes an entry once it no longer fails (and
    moves entries between its keys), which on a developer's machine would delete committed files from the
    tree; here a new failure is saved, and nothing already kept is ever removed."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self._folder = DirectoryBasedExampleDatabase(folder)

    def save(self, key: bytes, value: bytes) -> None:
        self._folder.save(key, value)

    def fetch(self, key: bytes):
        yield from self._folder.fetch(key)

    def delete(self, key: bytes, value: bytes) -> None:
        """Kept: an example that passes now is a regression test for later."""

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._folder.save(dest, value)


_DATABASE = _AppendOnlyDatabase(REPO_ROOT / "tests" / "hypothesis-examples")
_ON_CI = bool(os.environ.get("CI")) or REQUIRE_OPTIONAL  # .ci/run sets SECRETOME_REQUIRE_OPTIONAL
FUZZ = settings(
    max_examples=int(os.environ.get("SECRETOME_FUZZ_EXAMPLES", "25")),
    deadline=None,
    database=ReadOnlyDatabase(_DATABASE) if _ON_CI else _DATABASE,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

STEADY = seed(20261201) if _ON_CI else (lambda test: test)
"""On CI every fuzz test draws the same examples each run (after the database's and the explicit ones),
so CI is deterministic; elsewhere each run explores new ones and saves what fails to the database."""

MARKUP = ["[/]", "[bold]", "[raw data]", "[/old]", "[red]x[/red]", "\\[", "[link=http://x]y[/link]"]
TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(MARKUP + ["=1+1", "@x", "-", "", "NA", "nan", "P12345", "sp|P12345|ALBU_HUMAN", "\u202e", "\x00"]),
)


def _assert_clean(code: int, err: str) -> None:
    assert code in (0, 2), f"exit {code}: {err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err


@pytest.fixture()
def workdir(tmp_path):
    return tmp_path


@STEADY
@FUZZ
@given(content=st.binary(max_size=3000))
@example(content=b"")
@example(content=b"\x1f\x8b\x08\x00")  # a gzip header alone
@example(content=b"PK\x03\x04" + b"\x00" * 26)  # a zip header alone
@example(content=b"a\tb\n[/]\t1\n")  # a cell that is rich markup (MarkupError traceback, issue 9)
@example(content=b"\xff\xfe\x00\x00")  # UTF-16 BOM, then nothing usable
def test_random_bytes_as_an_input_file(monkeypatch, capsys, workdir, content):
    path = workdir / "input.tsv"
    path.write_bytes(content)
    code, _, err = run_main(monkeypatch, capsys, "info", path)
    _assert_clean(code, err)


@st.composite
def tables(draw) -> str:
    """A small delimited table with random header names and cells (numbers, text, markup, formulas)."""
    delimiter = draw(st.sampled_from(["\t", ",", ";"]))
    width = draw(st.integers(1, 5))
    header = draw(st.lists(TEXT, min_size=width, max_size=width))
    cell = st.one_of(TEXT, st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10, 10**12).map(str))
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=6))
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return "\n".join(lines) + draw(st.sampled_from(["\n", ""]))


@STEADY
@FUZZ
@given(text=tables(), command=st.sampled_from(["info", "read", "annotate"]))
@example(text="Protein IDs\t[/]\nP12345\t1\n", command="info")
@example(text="protein\tS1\tS2\n=1+1\t1\t2\nP12345\t3\t4\n", command="annotate")
def test_random_tables_through_info_read_and_annotate(monkeypatch, capsys, workdir, text, command):
    path = workdir / "table.tsv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    extra = {"info": [], "read": ["--out", workdir / "out.h5ad"], "annotate": ["--out", workdir / "a.tsv"]}[command]
    code, _, err = run_main(monkeypatch, capsys, command, path, *extra)
    _assert_clean(code, err)


@STEADY
@FUZZ
@given(
    column=TEXT,
    names=st.lists(st.one_of(TEXT, st.sampled_from([f"CM_A{i}" for i in range(1, 7)])), min_size=0, max_size=14),
    values=st.lists(TEXT, min_size=0, max_size=14),
)
@example(column="sample", names=["[/]"], values=["[bold]"])
def test_random_sample_sheets(monkeypatch, capsys, workdir, column, names, values):
    table = Path(datasets.demo_paths()["table"])
    rows = [f"{n}\t{values[i] if i < len(values) else ''}" for i, n in enumerate(names)]
    sheet = workdir / "sheet.tsv"
    sheet.write_text("\n".join([f"sample\t{column}", *rows]) + "\n", encoding="utf-8", errors="surrogatepass")
    code, _, err = run_main(monkeypatch, capsys, "info", table, "--samples", sheet)
    _assert_clean(code, err)


OPTION_VALUES = st.one_of(TEXT, st.integers().map(str), st.floats().map(repr))


@STEADY
@FUZZ
@given(option=st.sampled_from(["--quantity", "--format", "--sheet"]), value=OPTION_VALUES, log2=st.sampled_from([[], ["--log2"], ["--linear"]]))
@example(option="--quantity", value="[/]", log2=[])
@example(option="--sheet", value="0", log2=["--log2"])
def test_random_option_values_for_info(monkeypatch, capsys, option, value, log2):
    table = datasets.demo_paths()["table"]
    code, _, err = run_main(monkeypatch, capsys, "info", table, option, value, *log2)
    _assert_clean(code, err)


@STEADY
@settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 5))
@given(
    design=st.one_of(TEXT, st.sampled_from(["~ lot", "~ lot + condition", "~ 0 + lot", "~", "lot"])),
    contrast=st.one_of(TEXT, st.sampled_from(["lot_B-lot_A", "lot_A-lot_A", "lot_B-", "-lot_A", "a-b-c"])),
    min_valid=OPTION_VALUES,
)
@example(design="~ lot", contrast="[/]", min_valid="2")
@example(design="~ [bold]", contrast="lot_B-lot_A", min_valid="-1")
def test_random_compare_options(monkeypatch, capsys, workdir, design, contrast, min_valid):
    paths = datasets.demo_paths()
    code, _, err = run_main(monkeypatch, capsys, "compare", paths["table"], "--samples", paths["samples"],
                            "--design", design, "--contrast", contrast, "--min-valid", min_valid,
                            "--out", workdir / "compare", "--force")
    _assert_clean(code, err)


@STEADY
@settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 5))
@given(setting=st.one_of(TEXT, st.builds(lambda k, v: f"{k}={v}", st.sampled_from(
    ["serum_share.fail", "settings.top_n", "lysis_share.warn", "nonexistent.key", "settings"]), OPTION_VALUES)))
@example(setting="serum_share.fail=[/]")
@example(setting="=")
def test_random_profile_settings(monkeypatch, capsys, workdir, setting):
    code, _, err = run_main(monkeypatch, capsys, "profile", "--demo", "--set", setting, "--out", workdir / "p", "--force")
    _assert_clean(code, err)


@STEADY
@FUZZ
@given(content=st.binary(max_size=2000), command=st.sampled_from(["assay", "outcomes", "compare", "comparability"]))
@example(content=b"plate,well,sample,analyte,signal\n1,A1,[/],IL-6,nan\n", command="assay")
@example(content=b"record_id,redcap_event_name\n1,[bold]\n", command="outcomes")
@example(content=b"", command="outcomes")  # found by this test: csv.Error "Could not determine delimiter" traceback
@example(content=b"\x80", command="outcomes")  # found by this test: UnicodeDecodeError traceback sniffing the header
@example(content=b"\x01\n\x01\x8d", command="comparability")  # found: a byte Windows-1252 leaves undefined, traceback
def test_random_bytes_through_the_other_commands(monkeypatch, capsys, workdir, content, command):
    path = workdir / "input.csv"
    path.write_bytes(content)
    paths = datasets.demo_paths()
    argv = {
        "assay": ["assay", path, "--out", workdir / "assay"],
        "outcomes": ["outcomes", path, "--treatments", path, "--out", workdir / "outcomes", "--force"],
        "compare": ["compare", path, "--samples", paths["samples"], "--design", "~ lot", "--contrast", "lot_B-lot_A",
                    "--out", workdir / "compare", "--force"],
        "comparability": ["comparability", paths["table"], "--samples", path, "--reference", "lot_A",
                          "--out", workdir / "lots", "--force"],
    }[command]
    code, _, err = run_main(monkeypatch, capsys, *argv)
    _assert_clean(code, err)


@pytest.fixture(scope="module")
def plate(tmp_path_factory) -> Path:
    from test_assays_job import _long_plate

    return _long_plate(tmp_path_factory.mktemp("fuzz_plate"), analytes=("IL-6",))


@STEADY
@settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 5))
@given(
    model=st.one_of(TEXT, st.sampled_from(["4pl", "5pl", "4PL", "linear"])),
    weights=st.one_of(TEXT, st.sampled_from(["none", "1/y", "1/y^2", "1/x"])),
    blank=st.one_of(TEXT, st.sampled_from(["auto", "subtract", "none", "fit"])),
    substitution=st.one_of(TEXT, st.sampled_from(["none", "lloq/2", "lloq/sqrt2"])),
)
@example(model="5pl", weights="[/]", blank="auto", substitution="none")
def test_random_assay_options(monkeypatch, capsys, workdir, plate, model, weights, blank, substitution):
    code, _, err = run_main(monkeypatch, capsys, "assay", plate, "--model", model, "--weights", weights, "--blank", blank,
                            "--substitution", substitution, "--out", workdir / "assay")
    _assert_clean(code, err)


@STEADY
@settings(FUZZ, max_examples=max(3, FUZZ.max_examples // 5))
@given(
    reference=st.lists(st.one_of(TEXT, st.sampled_from(["lot_A", "lot_B", "lot_C"])), min_size=1, max_size=3),
    margin=OPTION_VALUES,
    lot_column=st.one_of(TEXT, st.sampled_from(["lot", "condition", "sample", "replicate"])),
)
@example(reference=["lot_A"], margin="nan", lot_column="lot")
@example(reference=["lot_A", "lot_B"], margin="-1.0", lot_column="replicate")
def test_random_comparability_options(monkeypatch, capsys, workdir, reference, margin, lot_column):
    paths = datasets.demo_paths()
    references = [argument for lot in reference for argument in ("--reference", lot)]
    code, _, err = run_main(monkeypatch, capsys, "comparability", paths["table"], "--samples", paths["samples"], *references,
                            "--margin", margin, "--lot-column", lot_column, "--out", workdir / "lots", "--force")
    _assert_clean(code, err)
