"""The report's compiled templates are kept beside the templates (their ``__pycache__``) and reused; a folder
that cannot be written, or a damaged file, costs only the compile."""

from __future__ import annotations

from pathlib import Path

import jinja2

from secretome.report.templatecache import template_cache


def _environment(cache: jinja2.BytecodeCache, folder: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(folder)), bytecode_cache=cache)


def _templates(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "page.j2").write_text(text)
    return folder


def test_compiled_template_is_written_and_read_back(tmp_path: Path) -> None:
    templates = _templates(tmp_path, "{% for x in items %}<{{ x }}>{% endfor %}")
    first = _environment(template_cache(templates, "test"), templates).get_template("page.j2").render(items=[1, 2])
    written = list((templates / "__pycache__").glob("jinja-test-*/*.cache"))
    assert len(written) == 1
    cache = template_cache(templates, "test")
    loaded: list[bool] = []
    original = cache.load_bytecode

    def spy(bucket: jinja2.bccache.Bucket) -> None:
        original(bucket)
        loaded.append(bucket.code is not None)

    cache.load_bytecode = spy  # type: ignore[method-assign]
    second = _environment(cache, templates).get_template("page.j2").render(items=[1, 2])
    assert loaded == [True]  # the second environment compiled nothing
    assert first == second == "<1><2>"
    _templates(tmp_path, "[{{ items | length }}]")  # an edited template is compiled again
    assert _environment(template_cache(templates, "test"), templates).get_template("page.j2").render(items=[1, 2]) == "[2]"


def test_damaged_or_unwritable_cache_only_costs_the_compile(tmp_path: Path) -> None:
    templates = _templates(tmp_path, "{{ 1 + 1 }}")
    (templates / "__pycache__").write_text("a file where the folder would go")  # cannot be created
    assert _environment(template_cache(templates, "test"), templates).get_template("page.j2").render() == "2"
    (templates / "__pycache__").unlink()
    _environment(template_cache(templates, "test"), templates).get_template("page.j2").render()
    for written in (templates / "__pycache__").rglob("*.cache"):
        written.write_bytes(b"j2 damaged")
    assert _environment(template_cache(templates, "test"), templates).get_template("page.j2").render() == "2"


def test_report_environment_caches_beside_its_templates() -> None:
    import secretome.report as report

    cache = report._environment().bytecode_cache
    assert isinstance(cache, jinja2.FileSystemBytecodeCache)
    assert Path(cache.directory).parent == Path(report.__file__).resolve().parent / "templates" / "__pycache__"
