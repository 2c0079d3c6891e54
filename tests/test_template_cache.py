"""The report's compiled templates are kept in the user's cache folder and reused; a cache folder that cannot
be written costs only the compile."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from secretome.report.templatecache import template_cache


def _environment(cache: jinja2.BytecodeCache, folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), bytecode_cache=cache)


def test_compiled_template_is_written_and_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.j2").write_text("{% for x in items %}<{{ x }}>{% endfor %}")
    first = _environment(template_cache("test"), templates).get_template("page.j2").render(items=[1, 2])
    written = list((tmp_path / "cache" / "secretome" / "templates").glob("test-*/*.cache"))
    assert len(written) == 1
    cache = template_cache("test")
    bucket_loads: list[bool] = []
    original = cache.load_bytecode

    def spy(bucket: jinja2.bccache.Bucket) -> None:
        original(bucket)
        bucket_loads.append(bucket.code is not None)

    cache.load_bytecode = spy  # type: ignore[method-assign]
    second = _environment(cache, templates).get_template("page.j2").render(items=[1, 2])
    assert bucket_loads == [True]  # the second environment compiled nothing
    assert first == second == "<1><2>"
    (templates / "page.j2").write_text("[{{ items | length }}]")  # an edited template is compiled again
    assert _environment(template_cache("test"), templates).get_template("page.j2").render(items=[1, 2]) == "[2]"


def test_damaged_or_unwritable_cache_only_costs_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # the cache folder cannot be created under a file
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "page.j2").write_text("{{ 1 + 1 }}")
    assert _environment(template_cache("test"), templates).get_template("page.j2").render() == "2"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    _environment(template_cache("test"), templates).get_template("page.j2").render()
    for written in (tmp_path / "cache").rglob("*.cache"):
        written.write_bytes(b"j2 damaged")
    assert _environment(template_cache("test"), templates).get_template("page.j2").render() == "2"


def test_report_environment_uses_the_cache() -> None:
    from secretome.report import _environment as report_environment

    assert isinstance(report_environment().bytecode_cache, jinja2.FileSystemBytecodeCache)
