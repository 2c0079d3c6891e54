"""Which engine wrote a table, decided from its columns (``format=`` forces a reader instead).

Each reader module scores the columns it recognises (0 = not this engine). Perseus ``#!{Type}`` rows win
outright (a Perseus export of MaxQuant data keeps MaxQuant's column names); otherwise the highest score wins,
ties broken by :data:`FORMATS` order, and the generic reader is the fallback.
"""

from __future__ import annotations

from types import ModuleType

from secretome.errors import SecretomeInputError
from secretome.io import diann, fragpipe, generic, maxquant, peaks, perseus, spectronaut
from secretome.io.table import RawTable

#: Readers by format name, in tie-break order (most specific first).
READERS: dict[str, ModuleType] = {
    "maxquant": maxquant,
    "diann": diann,
    "fragpipe": fragpipe,
    "spectronaut": spectronaut,
    "peaks": peaks,
    "perseus": perseus,
    "generic": generic,
}
FORMATS: tuple[str, ...] = tuple(READERS)


def format_scores(table: RawTable) -> dict[str, int]:
    """Each format's evidence score for this table."""
    columns = [str(column) for column in table.frame.columns]
    scores = {name: module.detect_score(columns) for name, module in READERS.items() if name != "perseus"}
    scores["perseus"] = perseus.detect_score(columns, table)
    return scores


def detect_format(table: RawTable) -> str:
    """The format name that best explains the table's columns."""
    scores = format_scores(table)
    if scores["perseus"] >= 5:
        return "perseus"
    best = max(FORMATS, key=lambda name: (scores[name], -FORMATS.index(name)))
    return best if scores[best] > 1 else "generic"


def reader_for(name: str | None, table: RawTable) -> tuple[str, ModuleType]:
    """The reader module for a forced ``name`` (validated) or the detected format."""
    if name is None:
        detected = detect_format(table)
        return detected, READERS[detected]
    key = name.strip().casefold().replace("-", "").replace("_", "")
    aliases = {"diann": "diann", "dia-nn": "diann", "mq": "maxquant", "csv": "generic", "tsv": "generic"}
    key = aliases.get(key, key)
    if key not in READERS:
        raise SecretomeInputError(f"unknown format {name!r}", file=table.path, expected=f"one of {list(FORMATS)}")
    return key, READERS[key]
