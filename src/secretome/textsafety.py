"""Invisible control characters in input text are made visible in every page and table.

A protein, gene or sample name from an input file may hold characters that are never seen but change
what is seen: bidirectional overrides and isolates (``U+202A``-``U+202E``, ``U+2066``-``U+2069``, the
marks ``U+200E``, ``U+200F``, ``U+061C``) reorder the text around them, so ``\\u202eexe.txt`` shows as
``txt.exe`` and a lot name can be made to look like another ("Trojan Source"); zero-width and other
invisible format characters (``U+200B``, ``U+2060``-``U+2064``, ``U+FEFF``, ``U+180E``), line and
paragraph separators (``U+2028``, ``U+2029``) and C0/C1 control characters (bell, escape, NUL, ...;
not tab, line feed or carriage return) hide inside names. Each one is *replaced by its code point in
brackets*, ``[U+202E]``, so the text keeps its information, shows what was there and can no longer
reorder or hide anything. The replacement holds no character that HTML, JSON or a spreadsheet treats
specially. Zero-width joiners (``U+200C``, ``U+200D``) are left alone: scripts and emoji need them and
they cannot reorder text.

HTML pages get this through :func:`configure_jinja` (every text value a template prints, and every
``tojson``), figure JSON through :func:`script_json`, tables through :mod:`secretome.tables`.
"""

from __future__ import annotations

import json
import re
from typing import Any

BIDI_CONTROLS = (
    "\u061c\u200e\u200f"
    + "".join(map(chr, range(0x202A, 0x202F)))
    + "".join(map(chr, range(0x2066, 0x206A)))
)
"""Characters that change the display order of text (Unicode's Bidi_Control property)."""

INVISIBLE_FORMAT = "\u00ad\u180e\u200b\u2028\u2029\u2060\u2061\u2062\u2063\u2064\ufeff\ufff9\ufffa\ufffb"
"""Characters that take no visible space but can hide inside a name or break a line unseen."""

CONTROL_CHARACTERS = "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n\r")
"""C0 and C1 control characters, except tab, line feed and carriage return (tables quote those)."""

INVISIBLE = BIDI_CONTROLS + INVISIBLE_FORMAT + CONTROL_CHARACTERS
"""Every character :func:`make_visible` replaces."""

_TRANSLATION = {ord(c): f"[U+{ord(c):04X}]" for c in INVISIBLE}
_FIND = re.compile("[" + re.escape(INVISIBLE) + "]")
_JSON_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)\\(?:u(" + "|".join(f"{ord(c):04x}" for c in INVISIBLE) + r")|([bf]))", re.IGNORECASE
)
_JSON_SHORT = {"b": "0008", "f": "000C"}


def has_invisible(text: str) -> bool:
    """True when ``text`` holds a character :func:`make_visible` would replace."""
    return _FIND.search(text) is not None


def make_visible(text: str) -> str:
    """``text`` with every bidi control, invisible format character and control character (not tab,
    line feed, carriage return) replaced by its code point, e.g. ``[U+202E]``."""
    return text.translate(_TRANSLATION) if _FIND.search(text) else text


def visible_json(text: str) -> str:
    """JSON text whose strings show, not hide, those characters, written raw or as escapes (``\\u202e``,
    ``\\b``)."""
    text = make_visible(text)
    if "\\" not in text:  # every escape starts with a backslash: none, nothing to rewrite (one fast scan)
        return text
    return _JSON_ESCAPE.sub(lambda m: f"{m.group(1)}[U+{(m.group(2) or _JSON_SHORT[m.group(3)]).upper()}]", text)


_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"}
_SCRIPT_UNSAFE_FIND = re.compile("[<>&']")


def script_json(text: str) -> str:
    """JSON text (e.g. a plotly figure) safe to place inside a ``<script>`` element: invisible characters
    shown (:func:`visible_json`) and ``<``, ``>``, ``&``, ``'`` written as ``\\u`` escapes, as Jinja's
    ``tojson`` does, so no input text can close the element or look like markup; ``JSON.parse`` reads
    the same strings back."""
    return _SCRIPT_UNSAFE_FIND.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], visible_json(text))


#: Figure keys whose strings are this project's own plotly templates (user text in them goes through
#: :func:`plotly_text` where it is built); every other string of a figure is data.
PLOTLY_TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})


def plotly_text(text: str) -> str:
    """``text`` as plotly shows it literally: plotly.js reads a small HTML subset in every figure string
    (``<a href>``, ``<b>``, ``<br>``) and decodes entities, so ``&``, ``<`` and ``>`` written as entities
    keep a hostile name (``<a href="http://...">``) from becoming a link or markup inside a plot."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plotly_inert(figure: Any, key: str | None = None) -> Any:
    """A figure (its dict, or any part of it) whose data strings are :func:`plotly_text`; the strings under
    :data:`PLOTLY_TEMPLATE_KEYS` are left as built."""
    if isinstance(figure, dict):
        return {name: plotly_inert(value, name) for name, value in figure.items()}
    if isinstance(figure, (list, tuple)):
        return _inert_items(figure, key)
    if isinstance(figure, str) and key not in PLOTLY_TEMPLATE_KEYS:
        return plotly_text(figure)
    return figure


_PLAIN_SCALARS = (float, int, bool, type(None))


def _inert_items(items: list | tuple, key: str | None) -> list:
    """:func:`plotly_inert` of a list's items, the text and number cells handled in place (a volcano's hover
    lists hold thousands: one call per cell cost ~20 ms of a page); anything else recursively."""
    literal = key in PLOTLY_TEMPLATE_KEYS
    out = []
    for value in items:
        kind = type(value)
        if kind is str:
            out.append(value if literal or not ("&" in value or "<" in value or ">" in value) else plotly_text(value))
        elif kind in _PLAIN_SCALARS:
            out.append(value)
        elif kind is list:
            out.append(_inert_items(value, key))
        else:
            out.append(plotly_inert(value, key))
    return out


def _finalize(value: Any) -> Any:
    """Jinja ``finalize``: plain text a template prints is made visible; markup the code built itself
    (``Markup``, e.g. the plotly.js bundle or an escaped section) is left as it is."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return make_visible(value)
    return value


def _dumps(obj: Any, **kwargs: Any) -> str:
    return visible_json(json.dumps(obj, **kwargs))


def configure_jinja(environment: Any) -> Any:
    """``environment`` (a ``jinja2.Environment``) set to make invisible characters visible in every
    printed value and every ``tojson``; returned for chaining."""
    environment.finalize = _finalize
    environment.policies["json.dumps_function"] = _dumps
    return environment
