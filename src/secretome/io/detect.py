"""Which engine wrote a table, decided from its columns (``format=`` forces a reader instead).

Each reader module scores the columns it recognises (0 = not this engine). Perseus ``#!{Type}`` rows win
outright (a Perseus export of MaxQuant data keeps MaxQuant's column names); otherwise the highest score wins,
ties broken by :data:`FORMATS` order, and the generic reader is the fallback.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from types import ModuleType

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io import (
    alphadia, alphapept, dia_umpire, diann, fragpipe, generic, maxquant, msstats, peaks, perseus, philosopher,
    progenesis, proteome_discoverer, scaffold, spectronaut, tmt_integrator,
)
from secretome.io.table import RawTable, column_key, repeated_name_error

#: Readers by format name, in tie-break order (most specific first).
READERS: dict[str, ModuleType] = {
    "maxquant": maxquant,
    "diann": diann,
    "philosopher": philosopher,
    "fragpipe": fragpipe,
    "spectronaut": spectronaut,
    "tmt_integrator": tmt_integrator,
    "msstats": msstats,
    "alphadia": alphadia,
    "alphapept": alphapept,
    "dia_umpire": dia_umpire,
    "peaks": peaks,
    "proteome_discoverer": proteome_discoverer,
    "scaffold": scaffold,
    "progenesis": progenesis,
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


def engine_header(line: str) -> bool:
    """Whether a text table's header line alone (split by tab, comma or semicolon) names an engine's columns, as
    :func:`detect_format` would score them (Perseus, whose evidence may be in the rows, aside): a cheap look that
    tells a large engine table from a generic one before any of its rows is parsed."""
    for delimiter in ("\t", ",", ";"):
        columns = [column.strip().strip('"') for column in line.split(delimiter)]
        if len(columns) >= 2 and max(module.detect_score(columns) for name, module in READERS.items()
                                     if name not in ("perseus", "generic")) > 1:
            return True
    return False


def detect_format(table: RawTable) -> str:
    """The format name that best explains the table's columns."""
    scores = format_scores(table)
    if scores["perseus"] >= 5:
        return "perseus"
    best = max(FORMATS, key=lambda name: (scores[name], -FORMATS.index(name)))
    return best if scores[best] > 1 else "generic"


@lru_cache(maxsize=1)
def non_protein_kinds() -> list[tuple[str, frozenset[str], frozenset[str], str]]:
    """(kind, columns all present, columns all absent, what to give instead), from
    ``data/non_protein_tables.tsv``, in order."""
    path = resources.files("secretome.io").joinpath("data/non_protein_tables.tsv")
    with path.open("r", encoding="utf-8") as handle:
        rows = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    split = lambda text: frozenset(column_key(part) for part in text.split("|") if part)  # noqa: E731
    return [(k, split(a), split(n), g) for k, a, n, g in zip(rows["kind"], rows["all_of"], rows["none_of"], rows["give_instead"])]


def refuse_non_protein(table: RawTable) -> None:
    """Refuse a table of a known non-protein kind (precursor, peptide, PSM, feature tables), saying what it
    is and which file of the same engine run to give instead."""
    refuse_non_protein_header([str(column) for column in table.frame.columns], table.path)


def refuse_non_protein_header(header: list[str], path: object) -> None:
    """:func:`refuse_non_protein` on a header alone (run before the body is parsed, so that what the file
    is comes before any problem of its cells); a SILAC proteinGroups table is refused here too."""
    keys = [column_key(column) for column in header]
    columns = set(keys)
    for kind, all_of, none_of, give in non_protein_kinds():
        if all_of <= columns and not none_of & columns:
            raise SecretomeInputError(
                f"this is {kind}, not a protein-level quantity table", file=path, expected=give,
            )
    generic.refuse_donor_header(header, path)
    refuse_labelled_run(header, keys, path)


@lru_cache(maxsize=1)
def labelled_runs() -> list[tuple[frozenset[str], frozenset[str], tuple[str, ...], str, str, str, str]]:
    """(requires_any, any_of, per_experiment prefixes, labelling, what, meaning, what to give instead) from
    ``data/labelled_runs.tsv``, names as :func:`column_key` spells them."""
    path = resources.files("secretome.io").joinpath("data/labelled_runs.tsv")
    with path.open("r", encoding="utf-8") as handle:
        rows = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    keys = lambda text: [column_key(part) for part in text.split("|") if part]  # noqa: E731
    return [(frozenset(keys(r)), frozenset(keys(a)), tuple(k + "." for k in keys(p)), l, w, m, g)
            for r, a, p, l, w, m, g in zip(rows["requires_any"], rows["any_of"], rows["per_experiment"],
                                           rows["labelling"], rows["what"], rows["meaning"], rows["give_instead"])]


def refuse_labelled_run(header: list[str], keys: list[str], path: object) -> None:
    """Refuse a table of a labelling scheme no reader reads (``data/labelled_runs.tsv``), naming it: its
    per-experiment columns sum several labelled samples, so none is one sample's quantity."""
    present = set(keys)
    for requires_any, any_of, per_experiment, labelling, what, meaning, give in labelled_runs():
        if not requires_any & present:
            continue
        found = sorted(column for column, key in zip(header, keys) if key in any_of or key.startswith(per_experiment))
        if found:
            shown = f"{found[:3]}" + (f" and {len(found) - 3} more" if len(found) > 3 else "")
            raise SecretomeInputError(
                f"this is a {labelling} {what} (columns {shown}): {meaning}, so its per-experiment columns sum "
                f"several samples, and {labelling} labels are not read",
                file=path, column=found[0], expected=give,
            )


def reader_for(name: str | None, table: RawTable) -> tuple[str, ModuleType]:
    """The reader module for a forced ``name`` (validated) or the detected format; a known non-protein
    table is refused first (see :func:`refuse_non_protein`), whatever the format."""
    refuse_non_protein(table)
    if name is None:
        detected = detect_format(table)
        return detected, _accepting_repeated(table, READERS[detected])
    key = name.strip().casefold().replace("-", "").replace("_", "")
    aliases = {
        "diann": "diann", "dia-nn": "diann", "mq": "maxquant", "csv": "generic", "tsv": "generic",
        "pd": "proteome_discoverer", "proteomediscoverer": "proteome_discoverer",
    }
    key = aliases.get(key, {reader.replace("_", ""): reader for reader in READERS}.get(key, key))
    if key not in READERS:
        raise SecretomeInputError(f"unknown format {name!r}", file=table.path, expected=f"one of {list(FORMATS)}")
    return key, _accepting_repeated(table, READERS[key])


def _accepting_repeated(table: RawTable, module: ModuleType) -> ModuleType:
    """``module``, after refusing a table whose header repeats a column name unless the reader sets such
    columns aside itself (``READS_REPEATED_NAMES``: TMT-Integrator's unassigned channels)."""
    if table.repeated and not getattr(module, "READS_REPEATED_NAMES", False):
        by_name: dict[str, list[int]] = {}
        for name, position in table.repeated.values():
            by_name.setdefault(name, []).append(position)
        name, positions = min(by_name.items(), key=lambda item: item[1][1])
        raise repeated_name_error(table, name, positions[0], positions[1])
    return module
