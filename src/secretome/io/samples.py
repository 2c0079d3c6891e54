"""Sample sheets: one row per sample, a sample-name column plus any metadata, matched to the data.

Matching (documented rule, applied in order, each sample at most once):
1. the sheet name equals the data's sample name;
2. the sheet name equals the data's original column header;
3. both equal after normalisation: case-folded, directory and raw-file extension removed, the words of the
   quantity family removed (so ``HCA_C_1 MaxLFQ`` matches the column ``HCA_C_1 MaxLFQ Intensity``), and
   runs of spaces collapsed.
A match must be one-to-one. A data sample left without a sheet row is an error listing both sides and the
closest candidates (difflib). Sheet rows for samples absent from the data (a study's whole design, of which
this table holds a part) are accepted by :func:`match_sheet` and reported by the reader as a warning.
"""

from __future__ import annotations

from collections.abc import Mapping

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.table import read_table

#: Sheet column names recognised as the sample-name column (case-insensitive), in order of preference.
NAME_COLUMNS: tuple[str, ...] = (
    "sample", "sample_name", "sample name", "samplename", "sample_names", "sample names", "samplenames",  # Biobase pData
    "sample_id", "sample id", "sample_ids", "sample ids",
    "aliquot", "aliquot_id", "aliquot id", "aliquots", "specimen", "specimen_id", "specimen id",
    "name", "samples", "run",
    "raw file", "raw_file", "file", "filename", "file name", "column", "label", "sampleid",
    "quantcols",  # QFeatures/mspms colData: the quantitative column each sample's values are in
)
#: Mass-spectrometry run-file extensions (Bruker .d, Thermo .raw, Sciex .wiff/.wiff2/.wiff.scan, mzML/mzXML,
#: DIA-NN .dia, Spectronaut .htrms, .mgf, timsTOF), optionally compressed: removed from run names by every
#: reader and by sample-sheet matching, so one list decides what a run's name is.
RAW_EXTENSIONS = re.compile(
    r"\.(d|raw|mzml|mzxml|wiff|wiff2|wiff\.scan|dia|htrms|mgf|timstof)(\.gz|\.zip)?$", re.IGNORECASE
)


def strip_raw_extension(name: str) -> str:
    """A run name without its raw-file extensions (``S1.raw`` -> ``S1``, ``x.wiff.scan`` -> ``x``,
    ``S1.raw.dia`` -> ``S1``: DIA-NN's converted file keeps the vendor extension)."""
    while True:
        stripped = RAW_EXTENSIONS.sub("", name)
        if stripped == name or not stripped:
            return name if not stripped else stripped
        name = stripped


def read_samples(source: str | Path | pd.DataFrame, *, name_column: str | None = None) -> pd.DataFrame:
    """Read a sample sheet (CSV/TSV/XLSX path, or a DataFrame) into a frame indexed by sample name.

    The name column is ``name_column`` if given, else the first column whose header is one of
    :data:`NAME_COLUMNS`, else (for a DataFrame with a non-default index) the index, else the first column. Names must be unique and non-empty. Numeric columns stay
    numeric; all other columns become strings ("" for empty cells).
    """
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        named = {str(c).strip().casefold() for c in frame.columns} & set(NAME_COLUMNS)
        if name_column is None and not named and not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index(names=frame.index.name or "sample")  # names given as the index
        file: str | Path = "<sample sheet DataFrame>"
        row_numbers = np.arange(len(frame)) + 2
    else:
        table = read_table(source, min_columns=1)
        frame, file, row_numbers = table.frame, table.path, table.row_numbers
        as_written = read_table(source, min_columns=1, as_text=True).frame  # names like 001 keep their zeros
    frame.columns = [str(column).strip() for column in frame.columns]
    if not isinstance(source, pd.DataFrame):
        as_written.columns = frame.columns
    if frame.shape[1] == 0 or len(frame) == 0:
        raise SecretomeInputError("the sample sheet is empty", file=file, expected="one row per sample")
    column = _name_column(frame, name_column, file)
    names = (frame if isinstance(source, pd.DataFrame) else as_written)[column].map(_name_text)
    empty = (names == "").to_numpy()
    if empty.any():
        raise SecretomeInputError(
            "empty sample name", file=file, column=column, row=int(row_numbers[int(np.argmax(empty))]),
            expected="a name in every row",
        )
    duplicated = names.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = names[duplicated].iloc[0]
        rows = [int(r) for r in row_numbers[(names == first).to_numpy()]]
        raise SecretomeInputError(
            f"sample name {first!r} appears in rows {rows}", file=file, column=column, expected="unique sample names"
        )
    out = frame.drop(columns=[column])
    for other in out.columns:
        out[other] = _clean_column(out[other])
    out.index = pd.Index(names.tolist(), dtype=object, name=None)
    out.attrs["name_column"] = column
    out.attrs["file"] = str(file)
    return out


def _name_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _name_column(frame: pd.DataFrame, requested: str | None, file: str | Path) -> str:
    if requested is not None:
        if requested not in frame.columns:
            close = difflib.get_close_matches(requested, list(frame.columns), n=3)
            raise SecretomeInputError(
                "sample-name column not found", file=file, column=requested,
                expected=f"one of the sheet's columns (closest: {close or list(frame.columns)[:5]})",
            )
        return requested
    lowered = {column.casefold(): column for column in frame.columns}
    for candidate in NAME_COLUMNS:
        if candidate in lowered:
            return lowered[candidate]
    return frame.columns[0]


def _clean_column(series: pd.Series) -> pd.Series:
    """Numeric columns stay numeric (float or int); everything else becomes str with "" for missing."""
    if series.dtype.kind in "iuf":
        return series
    if series.dtype.kind == "b":
        return series.map(str)
    numeric = pd.to_numeric(series, errors="coerce")
    if series.notna().any() and numeric.notna().sum() == series.notna().sum():
        return numeric
    return series.map(_name_text).astype(object)


def _normalise(name: str, family_words: set[str]) -> str:
    text = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    text = strip_raw_extension(text).casefold()
    words = [word for word in re.split(r"\s+", text) if word and word not in family_words]
    return " ".join(words)


def match_samples(
    sheet: pd.DataFrame,
    sample_names: list[str],
    original_columns: list[str],
    *,
    quantity: str | None = None,
    data_file: str | Path | None = None,
) -> list[str]:
    """Map each data sample to its sheet row; returns the sheet index label per data sample, in data order.

    Raises :class:`SecretomeInputError` listing unmatched names on both sides with close candidates, also
    when the sheet has rows for samples absent from the data (see :func:`match_sheet` to accept those).
    """
    order, absent = match_sheet(sheet, sample_names, original_columns, quantity=quantity, data_file=data_file)
    if absent:
        _mismatch(sheet, [], absent, sample_names, data_file)
    return order


def match_sheet(
    sheet: pd.DataFrame,
    sample_names: list[str],
    original_columns: list[str],
    *,
    quantity: str | None = None,
    data_file: str | Path | None = None,
    known_absent: Mapping[str, str] | None = None,
) -> tuple[list[str], list[str]]:
    """Map each data sample to its sheet row: (the sheet index label per data sample in data order, the
    sheet names absent from the data).

    ``known_absent``: samples the table has but the chosen quantity lacks (e.g. renamed MaxLFQ columns),
    each with what the table holds for it; a sheet row naming one is explained so, never given a "closest"
    data sample (which would be another sample), and none of them is offered as a candidate for another.

    Raises :class:`SecretomeInputError` when a data sample has no sheet row, listing unmatched names on
    both sides with close candidates.
    """
    sheet_names = [str(name) for name in sheet.index]
    family_words = set((quantity or "").casefold().split())
    matched: dict[int, str] = {}  # data position -> sheet name
    used: set[str] = set()
    keys = [
        (lambda s: s, lambda i: sample_names[i]),
        (lambda s: s, lambda i: original_columns[i]),
        (lambda s: _normalise(s, family_words), lambda i: _normalise(original_columns[i], family_words)),
        (lambda s: _normalise(s, family_words), lambda i: _normalise(sample_names[i], family_words)),
    ]
    for sheet_key, data_key in keys:
        free_data = [i for i in range(len(sample_names)) if i not in matched]
        data_index: dict[str, list[int]] = {}
        for i in free_data:
            data_index.setdefault(data_key(i), []).append(i)
        sheet_index: dict[str, list[str]] = {}
        for name in sheet_names:
            if name not in used:
                sheet_index.setdefault(sheet_key(name), []).append(name)
        for key, names in sheet_index.items():
            positions = data_index.get(key, [])
            if len(names) == 1 and len(positions) == 1 and key:
                matched[positions[0]] = names[0]
                used.add(names[0])
    missing_data = [sample_names[i] for i in range(len(sample_names)) if i not in matched]
    missing_sheet = [name for name in sheet_names if name not in used]
    if missing_data:
        _mismatch(sheet, missing_data, missing_sheet, sample_names, data_file, known_absent or {})
    return [matched[i] for i in range(len(sample_names))], missing_sheet


def _mismatch(
    sheet: pd.DataFrame, missing_data: list[str], missing_sheet: list[str], sample_names: list[str],
    data_file: str | Path | None, known_absent: Mapping[str, str],
) -> None:
    sheet_names = [str(name) for name in sheet.index]
    known = {name.strip().casefold(): note for name, note in known_absent.items()}
    explained = {name for name in sheet_names if name.strip().casefold() in known}
    if missing_data or missing_sheet:
        parts = []
        if missing_sheet:
            hints = [
                f"{name!r} ({known[name.strip().casefold()]})" if name in explained else _hint(name, missing_data or sample_names)
                for name in missing_sheet[:8]
            ]
            parts.append(f"{len(missing_sheet)} sheet name(s) not in the data: {'; '.join(hints)}")
        if missing_data:
            candidates = [n for n in (missing_sheet or sheet_names) if n not in explained]
            hints = [_hint(name, candidates) for name in missing_data[:8]]
            parts.append(f"{len(missing_data)} data sample(s) not in the sheet: {'; '.join(hints)}")
        raise SecretomeInputError(
            "sample sheet does not match the data: " + " | ".join(parts),
            file=sheet.attrs.get("file", "<sample sheet>"),
            column=sheet.attrs.get("name_column"),
            expected=f"one sheet row per sample column of {data_file}" if data_file else "one sheet row per sample",
        )


def _hint(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=2, cutoff=0.3)
    return f"{name!r} (closest: {', '.join(repr(c) for c in close)})" if close else f"{name!r} (no close candidate)"
