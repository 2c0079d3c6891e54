"""What the jobs share: reading an input with its reader warnings kept, writing an owned output directory."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from secretome.outputs import atomic_directory
from secretome.tables import tsv_text

if TYPE_CHECKING:
    from anndata import AnnData

    from secretome.io.dataset import ReadResult


def read_input(
    path: str | Path, samples: str | Path | None = None, *, as_anndata: bool = True, **options: Any
) -> tuple[AnnData | ReadResult, list[str]]:
    """The dataset every shell reads: :func:`secretome.io.read` for a proteomics table, or for an immunoassay
    export :func:`secretome.assays.read_assay_data` (standard curves fitted; of ``options`` only ``format`` and
    ``sample_column`` apply), with the reader's own warnings (e.g. repeated identifiers made unique) returned as
    text for the shell to show, instead of printed as Python warnings. ``as_anndata=False`` reads a proteomics
    table with :func:`secretome.io.read_result` (a summary needs no AnnData, nor the import of anndata)."""
    from secretome import io

    if io.is_assay_export(path, options.get("format")):
        return _assay_data(path, samples, options), []
    return _with_reader_notes(io.read if as_anndata else io.read_result, path, samples=samples, **options)


def summarize_input(path: str | Path, samples: str | Path | None = None, **options: Any) -> tuple[dict[str, Any], list[str]]:
    """What ``secretome info`` prints: :func:`secretome.io.summarize_file` of a proteomics table (a large
    generic table summarised in row chunks), :func:`secretome.io.summarize` of an immunoassay export's
    dataset; with the reader's warnings as text, as :func:`read_input` returns them."""
    from secretome import io

    if io.is_assay_export(path, options.get("format")):
        return io.summarize(_assay_data(path, samples, options)), []
    return _with_reader_notes(io.summarize_file, path, samples=samples, **options)


def _assay_data(path: str | Path, samples: str | Path | None, options: dict[str, Any]) -> AnnData:
    from secretome.assays import read_assay_data

    return read_assay_data(path, samples, format=options.get("format"), sample_column=options.get("sample_column"))


def _with_reader_notes(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    from secretome import io

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", io.ReaderWarning)
        value = function(*args, **kwargs)
    notes = []
    for warning in caught:
        if issubclass(warning.category, io.ReaderWarning):
            notes.append(str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return value, notes


def record_input_checksum(adata: AnnData, path: str | Path) -> None:
    """Record the input's path and SHA-256 in ``uns['source']`` (when the reader has not), for reports and certificates."""
    from secretome.provenance import file_sha256

    source = adata.uns.setdefault("source", {})
    source["path"] = str(path)
    if not source.get("sha256"):
        source["sha256"] = file_sha256(path)


def results_tsv(table: pd.DataFrame) -> str:
    """TSV text of a statistics result table: every float at full precision as its shortest round-trip text
    (it parses back to the very same float64; :func:`secretome.tables.tsv_text`), NaN as an empty cell."""
    return tsv_text(table)


FileContent = str | bytes | Callable[[Path], None]
"""A file's text, its bytes, or a function writing it to the path it is given (e.g. an ``.h5ad`` or a PDF)."""


def write_directory(
    out: Path, files: Mapping[str, FileContent], *, kind: str, inputs: Mapping[str, str | Path | None], force: bool = False,
) -> tuple[str, ...]:
    """Write ``files`` (name -> content) as the ``kind`` output directory ``out``, atomically and owned
    (:func:`secretome.outputs.atomic_directory`: a directory this command did not write is refused unless
    ``force``, which moves it aside); returns every file name in it, sorted (the marker included)."""
    with atomic_directory(out, kind=kind, inputs=inputs, force=force) as staging:
        for name, content in files.items():
            target = staging / Path(name).name
            if callable(content):
                content(target)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
    return tuple(sorted(path.name for path in out.iterdir() if path.is_file()))
