"""Invisible control characters (bidi overrides and isolates, zero-width characters, C0/C1 controls)
are made visible, as ``[U+XXXX]``, in every table and page; tab, line feed and carriage return stay."""

from __future__ import annotations

import json

import jinja2
import pandas as pd
import pytest

from secretome.tables import tsv_text
from secretome.textsafety import BIDI_CONTROLS, INVISIBLE, configure_jinja, has_invisible, make_visible, visible_json

BIDI = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


@pytest.mark.parametrize("character", BIDI + ["\u200b", "\ufeff", "\u2028", "\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_each_invisible_character_becomes_its_code_point(character):
    assert make_visible(f"lot{character}A") == f"lot[U+{ord(character):04X}]A"
    assert has_invisible(character)


def test_every_bidi_control_of_unicode_is_covered():
    assert set(BIDI) <= set(BIDI_CONTROLS) and {"\u200e", "\u200f", "\u061c"} <= set(BIDI_CONTROLS)


def test_ordinary_text_tabs_line_breaks_and_joiners_are_left_alone():
    for text in ["ALB", "Interleukin-6\tIL6\nline\r", "👩\u200d🔬", "α-1-antitrypsin", "µg/ml", ""]:
        assert make_visible(text) == text and not has_invisible(text)
    assert not set("\t\n\r\u200c\u200d") & set(INVISIBLE)


def test_json_escapes_are_made_visible_too_and_stay_valid_json():
    text = json.dumps({"name": "x\u202ey\x07\b", "literal": "a\\u202e", "raw": "\u2066"}, ensure_ascii=True)
    shown = json.loads(visible_json(text))
    assert shown == {"name": "x[U+202E]y[U+0007][U+0008]", "literal": "a\\u202e", "raw": "[U+2066]"}
    assert json.loads(visible_json(json.dumps("\u202e", ensure_ascii=False))) == "[U+202E]"


def test_templates_show_the_characters_in_text_attributes_and_tojson_but_leave_markup_alone():
    environment = configure_jinja(jinja2.Environment(autoescape=True))
    page = environment.from_string('<p title="{{ a }}">{{ a }}</p>{{ code | safe }}<script>{{ d | tojson }}</script>')
    html = page.render(a="\u202e<b>", code="<i>\u202e</i>", d={"k": "\u2067"})
    assert html == '<p title="[U+202E]&lt;b&gt;">[U+202E]&lt;b&gt;</p><i>\u202e</i><script>{"k": "[U+2067]"}</script>'


def test_tables_make_them_visible_before_the_formula_rule():
    frame = pd.DataFrame({"gene\u202e": ["\u202e=1+1", "\x07=1", "=1", "IL6\u2066"], "n": [1.5, 2.0, 3.0, 4.0]})
    lines = tsv_text(frame).splitlines()
    assert lines == ["gene[U+202E]\tn", "[U+202E]=1+1\t1.5", "[U+0007]=1\t2.0", "'=1\t3.0", "IL6[U+2066]\t4.0"]


def test_figure_strings_are_shown_literally_by_plotly_but_templates_are_kept():
    from secretome.textsafety import plotly_inert, plotly_text

    figure = {"data": [{"x": ['<a href="http://x">A</a>', "B&C"], "name": "<b>lot</b>",
                        "hovertemplate": "%{x}<br>%{y}<extra>" + plotly_text("<i>g</i>") + "</extra>"}],
              "layout": {"title": {"text": "a < b"}, "width": 3}}
    inert = plotly_inert(figure)
    assert inert["data"][0]["x"] == ['&lt;a href="http://x"&gt;A&lt;/a&gt;', "B&amp;C"]
    assert inert["data"][0]["name"] == "&lt;b&gt;lot&lt;/b&gt;" and inert["layout"]["title"]["text"] == "a &lt; b"
    assert inert["data"][0]["hovertemplate"] == "%{x}<br>%{y}<extra>&lt;i&gt;g&lt;/i&gt;</extra>"
    assert inert["layout"]["width"] == 3


def _inert_one_call_per_value(figure, key=None):
    """The rule of ``plotly_inert`` written one call per value (what its list fast path must equal)."""
    from secretome.textsafety import PLOTLY_TEMPLATE_KEYS, plotly_text

    if isinstance(figure, dict):
        return {name: _inert_one_call_per_value(value, name) for name, value in figure.items()}
    if isinstance(figure, (list, tuple)):
        return [_inert_one_call_per_value(value, key) for value in figure]
    if isinstance(figure, str) and key not in PLOTLY_TEMPLATE_KEYS:
        return plotly_text(figure)
    return figure


def test_plotly_inert_lists_equal_the_rule_value_by_value():
    import numpy as np
    from hypothesis import given, settings, strategies as st
    from markupsafe import Markup

    from secretome.textsafety import plotly_inert

    text = st.text(alphabet=st.sampled_from(list("ab<>&; %{}\u202e")), max_size=6)
    scalars = st.one_of(text, st.floats(allow_nan=True), st.integers(), st.booleans(), st.none(),
                        text.map(Markup), st.floats(allow_nan=False).map(np.float64))
    values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                           st.dictionaries(st.sampled_from(["text", "hovertemplate", "x"]), inner, max_size=3)),
                          max_leaves=20)

    @settings(max_examples=300, deadline=None)
    @given(values, st.sampled_from([None, "text", "hovertemplate", "texttemplate"]))
    def check(figure, key):
        expected, got = _inert_one_call_per_value(figure, key), plotly_inert(figure, key)
        assert json.dumps(got, default=repr) == json.dumps(expected, default=repr)
        assert type(got) is type(expected)

    check()
