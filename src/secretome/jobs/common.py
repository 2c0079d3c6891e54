"""What the jobs share: reading an input with its reader warnings kept, checking and writing an output directory."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.outputs import atomic_directory
from secretome.tables import tsv_text


def read_input(path: str | Path, samples: str | Path | None = None, **options: Any) -> tuple[AnnData, list[str]]:
    """:func:`secretome.io.read` with the reader's own warnings (e.g. repeated identifiers made unique)
    returned as text for the shell to show, instead of printed as Python warnings."""
    from secretome import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", io.ReaderWarning)
        adata = io.read(path, samples=samples, **options)
    notes = []
    for warning in caught:
        if issubclass(warning.category, io.ReaderWarning):
            notes.append(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return adata, notes


def results_tsv(table: pd.DataFrame) -> str:
    """TSV text of a statistics result table: full float precision (``%.17g``), NaN as an empty cell."""
    return tsv_text(table, float_format="%.17g")


def check_inputs_outside(out: Path, inputs: Mapping[str, str | Path | None]) -> None:
    """An output directory is replaced whole: an input file (``parameter -> path``) kept inside it would be deleted."""
    if not out.is_dir():
        return
    root = out.resolve()
    for parameter, path in inputs.items():
        if path is not None and root in Path(path).resolve().parents:
            raise SecretomeInputError(
                f"{parameter} lies inside the output directory out, which is replaced whole; it would be deleted",
                file=path, expected="input files outside out", parameters=(parameter, "out"),
            )


def check_own_directory(out: Path, marker: str, kind: str) -> None:
    """``out`` must be new, empty, or an earlier output of this ``kind`` of job (it holds ``marker``)."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / marker).exists())):
        raise SecretomeInputError(
            f"output path exists and is not an earlier secretome {kind} directory; refusing to overwrite it",
            file=out, expected=f"a new or empty directory, or one written by secretome {kind}",
        )


FileContent = str | bytes | Callable[[Path], None]
"""A file's text, its bytes, or a function writing it to the path it is given (e.g. an ``.h5ad`` or a PDF)."""


def write_directory(out: Path, files: Mapping[str, FileContent], *, replace_existing: bool) -> tuple[str, ...]:
    """Write ``files`` (name -> content) into ``out`` atomically; returns the names written, sorted.

    ``replace_existing`` swaps an earlier output directory whole (the caller checked it is its own);
    otherwise existing files of the same names are replaced and the directory's other files kept.
    """
    with atomic_directory(out, replace_existing=replace_existing) as staging:
        for name, content in files.items():
            target = staging / Path(name).name
            if callable(content):
                content(target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    return tuple(sorted(files))
