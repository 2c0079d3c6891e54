"""Readers: proteomics result tables -> one AnnData (samples x proteins) per the dataset contract.

``read`` detects the engine from the columns (see :data:`FORMATS`: MaxQuant, DIA-NN, FragPipe and
Philosopher, TMT-Integrator, Spectronaut, Proteome Discoverer, AlphaPept, AlphaDIA, DIA-Umpire, PEAKS,
Perseus, generic wide tables), refuses known non-protein tables by kind, parses the table once, attaches an
optional sample sheet and records in ``uns['source']`` what it read and what it left, with reasons.

anndata is imported only when an AnnData is made: :func:`read_result` returns the same dataset as a light
:class:`~secretome.io.dataset.ReadResult`, which :func:`summarize` (``secretome info``) reads as it is.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io import generic
from secretome.io.dataset import NoQuantityColumns, Parsed, ReaderWarning, ReadResult, assemble_result, detect_log2
from secretome.io.dataset import summarize as summarize_proteome
from secretome.io.detect import FORMATS, detect_format, reader_for, refuse_non_protein_header
from secretome.io.numbers import describe as describe_numbers
from secretome.io.samples import match_samples, match_sheet, read_samples
from secretome.io.table import TEXT_FACTS, RawTable, column_key, read_table

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = [
    "read", "read_result", "ReadResult", "read_samples", "summarize", "summarize_file", "summary_lines", "write_h5ad_atomic", "h5ad_safe", "read_h5ad", "detect_format", "detect_log2",
    "match_samples", "FORMATS", "ReaderWarning",
]


def read(
    path: str | Path,
    samples: str | Path | pd.DataFrame | None = None,
    format: str | None = None,
    quantity: str | None = None,
    *,
    is_log2: bool | None = None,
    sheet: str | int | None = None,
    decimal: str | None = None,
    sample_column: str | None = None,
) -> AnnData:
    """Read a protein-level result table into an AnnData of samples x proteins.

    Parameters
    ----------
    path: the table (TSV/CSV/TXT, optionally .gz/.xz/.zip, or XLSX).
    samples: a sample sheet (CSV/TSV/XLSX path or a DataFrame), one row per sample; matched to the data's
        sample columns (see :mod:`secretome.io.samples`). Without it, ``.obs`` has only ``sample`` (plus
        per-sample annotations the engine itself writes, e.g. Perseus groups or Spectronaut conditions).
    format: force a reader (one of :data:`FORMATS`) instead of detecting it from the columns.
    quantity: the quantity column family (e.g. ``"LFQ intensity"``, ``"iBAQ"``, ``"Spectral Count"``);
        default: the format's preferred family present in the file.
    is_log2: declare whether values are log2; ``None`` detects it for formats that may hold either.
    sheet: worksheet name or number for XLSX input (default: the first sheet).
    decimal: the decimal mark of a text table, ``"."`` or ``","``; default: decided from every number in
        the file, or, when the file mixes conventions, from the quantity cells together (quantity cells of
        both conventions are refused naming a cell of each; other columns of the other convention are read
        as text and listed among the columns not read).
    sample_column: the sample sheet's column holding the sample names (default: the first column named
        like ``sample``/``name``/``run``, see :data:`secretome.io.samples.NAME_COLUMNS`).

    An ``.h5ad`` written by ``read`` (:func:`write_h5ad_atomic`) is read back as it was stored; a sample
    sheet given with it is matched to its samples as for a table.

    Immunoassay exports (xPONENT, INTELLIFLEX, Bio-Plex, MSD, SoftMax Pro, Gen5, Olink, long tables) are
    recognised and refused with a pointer to :func:`secretome.assays.read_assay_data`, which fits their
    standard curves (science above the readers; :func:`is_assay_export` tells them apart first).

    Bad input raises :class:`secretome.SecretomeInputError` naming the file, column or row.
    """
    result = read_result(path, samples, format, quantity, is_log2=is_log2, sheet=sheet, decimal=decimal,
                         sample_column=sample_column)
    return result.to_anndata() if isinstance(result, ReadResult) else result


def read_result(
    path: str | Path,
    samples: str | Path | pd.DataFrame | None = None,
    format: str | None = None,
    quantity: str | None = None,
    *,
    is_log2: bool | None = None,
    sheet: str | int | None = None,
    decimal: str | None = None,
    sample_column: str | None = None,
) -> AnnData | ReadResult:
    """:func:`read` without making the AnnData of a protein table: the same dataset as a
    :class:`ReadResult` (``.to_anndata()`` gives what :func:`read` returns), so that a summary
    (``secretome info``) never imports anndata. An ``.h5ad`` or an immunoassay export is returned as the
    AnnData it is read into."""
    if _is_h5ad(path):
        given = {"format": format, "quantity": quantity, "is_log2": is_log2, "sheet": sheet, "decimal": decimal}
        wrong = [name for name, value in given.items() if value is not None]
        if wrong:
            raise SecretomeInputError(
                f"{', '.join(wrong)} do not apply to an .h5ad file (it was read once already)", file=path,
                expected="only samples= (and sample_column=) with an .h5ad input",
            )
        adata = read_h5ad(path)
        if samples is not None:
            attach_sheet(adata, read_samples(samples, name_column=sample_column))
        return adata
    table, head = None, None
    if format is None and sheet is None and _is_workbook_file(path):  # its first sheet is parsed once, for
        try:  # the detection of immunoassay exports and for the read itself
            table = read_table(path, decimal=decimal, repeated_names=True, defer_cells=True)
        except SecretomeInputError:
            head = ""  # detection never raises; the read below reports it
        else:
            from secretome.io.assay import workbook_head

            head = workbook_head(table.frame)
            table = table if table.delimiter is None else None  # text named .xlsx: read below, as text
            if table is not None and (chosen := engine_protein_sheet(table)) is not None:
                table = _chosen_sheet(path, table, chosen, decimal)
    if is_assay_export(path, format, head=head):
        raise SecretomeInputError(
            "an immunoassay export, not a proteomics result table", file=path,
            expected="secretome.assays.read_assay_data(path, samples) for an immunoassay export (it fits the "
                     "standard curves); secretome.io.read for a proteomics table",
        )
    params: dict[str, Any] = {
        "path": str(path),
        "samples": samples if not isinstance(samples, pd.DataFrame) else "<DataFrame>",
        "format": format,
        "detected_format": None,
        "quantity": None,
        "is_log2": is_log2,
        "sheet": sheet,
        "decimal": decimal,
        "sample_column": sample_column,
    }
    if table is None and sheet is None and Path(path).is_file():
        from secretome.io.streamed import STREAM_MIN_BYTES, streamed_read, text_size

        if text_size(path, Path(path).stat().st_size) >= STREAM_MIN_BYTES:  # a large generic table: parsed in row chunks
            streamed = _streamed(lambda sheet_frame: streamed_read(
                path, sheet_frame, format, quantity, is_log2=is_log2, decimal=decimal, params=params,
                min_bytes=STREAM_MIN_BYTES), samples, sample_column)
            if streamed is not None:
                return streamed
    if table is None:
        table = read_table(path, sheet=sheet, decimal=decimal, check_header=refuse_non_protein_header, repeated_names=True,
                           defer_cells=True)
    sheet_frame = read_samples(samples, name_column=sample_column) if samples is not None else None
    name, module = reader_for(format, table)
    try:
        parsed = module.read(table, quantity)
    except NoQuantityColumns as error:
        if format is not None or name == "generic":
            raise
        parsed, name = _generic_instead(table, quantity, name, error), "generic"
    params.update(detected_format=name, quantity=parsed.quantity)
    return assemble_result(parsed, samples=sheet_frame, is_log2=is_log2, params=params)


def _generic_instead(table: RawTable, quantity: str | None, engine: str, error: NoQuantityColumns) -> Parsed:
    """The generic reading of a table detected as ``engine``'s by its identifier and count columns but holding
    none of its quantity families (e.g. a MaxQuant table merged with another program's per-sample values and
    results, its intensities dropped): read when the generic reader finds sample columns that are none of the
    engine's families, else the engine's own error stands. The read says so (``uns['source']``)."""
    try:
        parsed = generic.read(table, quantity)
    except SecretomeInputError:
        raise error from None
    words = [family.casefold() for family in error.families]
    if any(word in column.casefold() for column in parsed.sample_columns for word in words):
        raise error
    parsed.notes["format_fallback"] = (
        f"columns of {engine} without any of its quantity families ({', '.join(error.families)}): "
        "read as a generic table of the other numeric columns")
    return parsed


def _is_h5ad(path: str | Path) -> bool:
    """An AnnData file: by its suffix, or by the HDF5 signature whatever the suffix."""
    path = Path(path)
    if path.suffix.lower() == ".h5ad":
        return True
    try:
        if not path.is_file():  # never open a FIFO or device here
            return False
        with open(path, "rb") as handle:
            return handle.read(8) == b"\x89HDF\r\n\x1a\n"
    except OSError:
        return False


def attach_sheet(adata: AnnData, sheet: pd.DataFrame) -> None:
    """Replace the sheet columns of an already-read AnnData's ``.obs`` with those of ``sheet`` (matched to
    its samples by the rules of :mod:`secretome.io.samples`; rows for absent samples give a warning)."""
    import warnings

    source = adata.uns.get("source", {})
    names = [str(n) for n in adata.obs_names]
    columns = list(source.get("sample_columns", names))
    order, absent = match_sheet(sheet, names, columns if len(columns) == len(names) else names,
                                quantity=source.get("quantity"), data_file=source.get("path"))
    if absent:
        warnings.warn(
            f"{sheet.attrs.get('file', '<sample sheet>')}: {len(absent)} sample sheet row(s) have no sample in "
            f"the data: {', '.join(repr(a) for a in absent[:6])}", ReaderWarning, stacklevel=3,
        )
    rows = sheet.loc[order]
    for column in rows.columns:
        adata.obs[column] = rows[column].to_numpy()


def write_h5ad_atomic(adata: AnnData, out: str | Path) -> Path:
    """Write ``adata`` to ``out`` (an ``.h5ad`` path) atomically: a failure leaves no file at ``out``."""
    from secretome.outputs import atomic_file, write_h5ad

    out = Path(out)
    if out.suffix != ".h5ad":
        raise SecretomeInputError("output file must end in .h5ad", file=out, expected="a path like result.h5ad")
    storable = h5ad_safe(adata)
    try:
        with atomic_file(out) as temporary:
            write_h5ad(storable, temporary)
    except OSError as error:
        raise SecretomeInputError(f"cannot write the output ({error.strerror or error})", file=out) from None
    return out


def h5ad_safe(adata: AnnData) -> AnnData:
    """A copy h5ad can store: ``uns`` lists of records become keyed dicts (see :func:`h5ad_storable`) and
    ``obs``/``var`` columns mixing text with other Python objects become text. The tables are copied; the
    matrices (``X``, layers, ``obsm`` ...) are shared, not duplicated: writing only reads them, and a copy of
    a 20,000 x 1,000 matrix is 160 MB of peak memory for nothing."""
    from anndata import AnnData

    copy = AnnData(X=adata.X, obs=adata.obs.copy(), var=adata.var.copy(), uns=h5ad_storable(dict(adata.uns)),
                   obsm=dict(adata.obsm), varm=dict(adata.varm), layers=dict(adata.layers), obsp=dict(adata.obsp),
                   varp=dict(adata.varp))
    for frame in (copy.obs, copy.var):
        for column in frame.columns:
            values = frame[column]
            if values.dtype == object and not values.map(lambda v: isinstance(v, str) or v is None or v != v).all():
                frame[column] = values.astype(str)
    return copy


def h5ad_storable(value: Any) -> Any:
    """``uns`` content h5ad can store: lists of dicts (e.g. ``uns['provenance']``) become dicts keyed
    ``'000'``, ``'001'``, ... in order (h5ad has no list-of-mappings type); everything else is unchanged."""
    if isinstance(value, dict):
        return {key: h5ad_storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and value and any(isinstance(item, dict) for item in value):
        return {f"{i:03d}": h5ad_storable(item) for i, item in enumerate(value)}
    return value


def read_h5ad(path: str | Path) -> AnnData:
    """Read an ``.h5ad`` written by :func:`write_h5ad_atomic`, restoring ``uns`` lists: lists of dicts
    (e.g. ``uns['provenance']``) from their ``'000'``, ``'001'``, ... storage form, lists of strings
    (e.g. ``uns['source']['sample_columns']``) from string arrays."""
    import anndata

    path = Path(path)
    if not path.is_file():
        raise SecretomeInputError("file not found", file=path, expected="an .h5ad file")
    try:
        adata = anndata.read_h5ad(path)
    except (OSError, KeyError, ValueError) as error:
        raise SecretomeInputError(f"not a readable .h5ad file ({error})", file=path) from None
    adata.uns = _restore_lists(dict(adata.uns))
    return adata


def _restore_lists(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind in "OUS":
        return [str(item) for item in value]  # h5ad stores lists of strings as arrays
    if isinstance(value, dict):
        keys = list(value)
        restored = {key: _restore_lists(item) for key, item in value.items()}
        if keys and all(len(k) == 3 and k.isdigit() for k in keys) and sorted(keys) == [f"{i:03d}" for i in range(len(keys))]:
            return [restored[f"{i:03d}"] for i in range(len(keys))]
        return restored
    return value


def is_assay_export(path: str | Path, format: str | None = None, *, head: str | None = None) -> bool:
    """Whether ``path`` is an immunoassay export (``format`` one of the assay formats, or detected as one);
    ``head``: the detection text when the caller has it already (see :func:`secretome.io.assay.assay_scores`)."""
    from secretome.io.assay import ASSAY_FORMATS, detect_assay_format

    if format is not None:
        return format.strip().casefold() in ASSAY_FORMATS
    return Path(path).is_file() and not _is_h5ad(path) and detect_assay_format(path, head) is not None


@lru_cache(maxsize=1)
def workbook_sheets() -> list[tuple[str, frozenset[str], tuple[str, ...]]]:
    """(engine, first-sheet columns, protein sheet names) from ``data/workbook_sheets.tsv``."""
    from importlib import resources

    with resources.files("secretome.io").joinpath("data/workbook_sheets.tsv").open("r", encoding="utf-8") as handle:
        rows = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    return [(engine, frozenset(column_key(c) for c in columns.split("|")), tuple(sheets.split("|")))
            for engine, columns, sheets in zip(rows["engine"], rows["first_sheet_all_of"], rows["protein_sheets"])]


def engine_protein_sheet(table: RawTable) -> tuple[str, str] | None:
    """(engine, sheet) when the workbook's first sheet ``table`` is an engine's cover sheet and the workbook
    holds that engine's protein sheet (``data/workbook_sheets.tsv``); else None."""
    header = {column_key(str(c)) for c in table.frame.columns}
    for engine, columns, sheets in workbook_sheets():
        if columns <= header:
            names = pd.ExcelFile(table.path, engine="calamine").sheet_names
            present = [sheet for sheet in sheets if sheet in names]
            if present:
                return engine, present[0]
    return None


def _chosen_sheet(path: str | Path, first: RawTable, chosen: tuple[str, str], decimal: str | None) -> RawTable:
    """The engine's protein sheet of a workbook whose first sheet is its cover sheet, read in its place (and said)."""
    import warnings

    engine, sheet = chosen
    table = read_table(path, sheet=sheet, decimal=decimal, check_header=refuse_non_protein_header,
                       repeated_names=True, defer_cells=True)
    table.sheet_chosen = (f"the first sheet {first.sheet!r} is a {engine} export's settings sheet; its protein "
                          f"table is on sheet {sheet!r}, which was read (sheet= reads another)")
    warnings.warn(f"{path}: {table.sheet_chosen}", ReaderWarning, stacklevel=4)
    return table


def _is_workbook_file(path: str | Path) -> bool:
    """A regular file that immunoassay detection reads as a workbook (by its suffix)."""
    from secretome.io.assay import is_workbook

    return is_workbook(Path(path)) and Path(path).is_file()


def summarize(adata: AnnData | ReadResult) -> dict[str, Any]:
    """The facts ``secretome info`` prints (proteome or immunoassay panel). The assay engine (and scipy with
    it) is imported only for an assay panel, as in :func:`summary_lines`."""
    if adata.uns.get("source", {}).get("kind") != "immunoassay":
        return summarize_proteome(adata)
    from secretome.io.assay.summary import assay_summary

    return assay_summary(adata)


def summarize_file(
    path: str | Path,
    samples: str | Path | pd.DataFrame | None = None,
    format: str | None = None,
    quantity: str | None = None,
    *,
    is_log2: bool | None = None,
    sheet: str | int | None = None,
    decimal: str | None = None,
    sample_column: str | None = None,
    stream_min_bytes: int | None = None,
) -> dict[str, Any]:
    """:func:`summarize` of :func:`read_result` (what ``secretome info`` prints), with a large generic
    text table summarised in row chunks (:func:`secretome.io.streamed.streamed_summary`) instead of being
    held whole; ``stream_min_bytes`` overrides the size from which that is tried."""
    if sheet is None and not _is_h5ad(path) and Path(path).is_file():
        from secretome.io.streamed import STREAM_MIN_BYTES, streamed_summary, text_size

        minimum = STREAM_MIN_BYTES if stream_min_bytes is None else stream_min_bytes
        if text_size(path, Path(path).stat().st_size) >= minimum and not is_assay_export(path, format):
            summary = _streamed(lambda sheet_frame: streamed_summary(
                path, sheet_frame, format, quantity, is_log2=is_log2, decimal=decimal, min_bytes=minimum),
                samples, sample_column)
            if summary is not None:
                return summary
    return summarize(read_result(path, samples, format, quantity, is_log2=is_log2, sheet=sheet, decimal=decimal,
                                 sample_column=sample_column))


def _streamed(attempt: Any, samples: str | Path | pd.DataFrame | None, sample_column: str | None) -> Any:
    """``attempt(sheet_frame)`` of :mod:`secretome.io.streamed`, with the sample sheet read first; its warnings
    (the sheet's included) are issued only when it answers, since otherwise the whole read issues them. A
    sheet that cannot be read leaves the input to the whole read, which names the table's problems first."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sheet_frame = read_samples(samples, name_column=sample_column) if samples is not None else None
        except SecretomeInputError:
            return None
        result = attempt(sheet_frame)
    if result is not None:
        for warning in caught:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return result


def first_last(names: list[str]) -> str:
    """``N ('first' ... 'last')``: a column list as a count with its ends (all names stay in ``uns``)."""
    if not names:
        return "0"
    if len(names) == 1:
        return f"1 ({names[0]!r})"
    return f"{len(names)} ({names[0]!r} ... {names[-1]!r})"


def unread_lines(columns: list[str], reasons: list[str]) -> list[tuple[str, str]]:
    """One (label, value) line per reason a column was not read: how many, first and last."""
    by_reason: dict[str, list[str]] = {}
    for column, reason in zip(columns, reasons):
        by_reason.setdefault(reason, []).append(column)
    return [(f"  {reason}", first_last(names)) for reason, names in by_reason.items()]


def isobaric_line(isobaric: dict[str, Any]) -> str:
    """An isobaric run in one line: what the values are, channels, plex and experiments (or where they are)."""
    text = f"{isobaric['values']}; {isobaric['n_channels']} channels"
    if "plex" in isobaric:
        experiments = [str(e) for e in isobaric.get("experiments", [])]
        return text + f", {isobaric['plex']}-plex, {len(experiments)} experiment(s)" + (f": {', '.join(experiments)}" if experiments else "")
    return text + f"; plex and experiment {isobaric.get('plex_and_experiment', 'unknown')}"


def summary_lines(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Human-readable (label, value) pairs of :func:`summarize` output, in print order."""
    if summary.get("kind") == "immunoassay":
        from secretome.io.assay.summary import assay_summary_lines

        return assay_summary_lines(summary)
    log2 = f"yes ({summary['log2_evidence']})" if summary["is_log2"] else f"no ({summary['log2_evidence']})"
    return [
        ("file", summary["path"]),
        ("format", f"{summary['format']} ({summary['format_version']})"),
        ("quantity", summary["quantity"]),
        ("log2 values", log2),
        ("proteins", str(summary["n_proteins"])),
        ("samples", str(summary["n_samples"])),
        ("sample columns", first_last(summary.get("sample_columns", []))),
    ] + (
        [("samples without this quantity", first_last(summary["samples_without_quantity"]))]
        if summary.get("samples_without_quantity") else []
    ) + (
        [("isobaric labelling", isobaric_line(summary["isobaric"]))] if summary.get("isobaric") else []
    ) + [
        ("columns not read", str(len(summary.get("unread_columns", [])))),
        *unread_lines(summary.get("unread_columns", []), summary.get("unread_reasons", [])),
        *([("numbers", describe_numbers(summary["numbers"]))] if summary.get("numbers") else []),
        *([("quotes", summary["quoting"])] if summary.get("quoting") else []),
        *([("rows padded", f"{len(summary['padded_rows'])} (trimmed trailing quantity cells read as missing; "
                           f"first: row {summary['padded_rows'][0]})")] if summary.get("padded_rows") else []),
        *([("empty rows skipped", f"{len(summary['empty_rows_skipped'])} (every field empty; "
                                  f"first: row {summary['empty_rows_skipped'][0]})")]
          if summary.get("empty_rows_skipped") else []),
        *[(fact.replace("_", " "), summary[fact]) for fact in TEXT_FACTS if summary.get(fact)],
        *([("sheet", summary["sheet_chosen"])] if summary.get("sheet_chosen") else []),
        *([("error values read as missing", f"{len(summary['error_values'])} (Excel error values in quantity cells; "
                                            f"first: {', '.join(summary['error_values'][:3])})")]
          if summary.get("error_values") else []),
        *([("-inf read as missing", f"{summary['minus_infinity']['n']} (the log of a zero intensity; first: "
                                    f"{', '.join(summary['minus_infinity']['first_cells'][:3])})")]
          if summary.get("minus_infinity") else []),
        *([("cells of columns not read", f"{len(summary['cells_not_read'])} error or uncomputed formula cells "
                                         f"(first: {', '.join(summary['cells_not_read'][:3])})")]
          if summary.get("cells_not_read") else []),
        ("missing values", f"{summary['missing_share']:.1%} (engine zeros converted: {summary['n_zeros_to_nan']})"),
        (
            "flagged rows",
            f"{summary['n_flagged']} (decoy {summary['n_decoy']}, contaminant {summary['n_contaminant']}, "
            f"only identified by site {summary['n_only_identified_by_site']})",
        ),
    ] + (
        [("zeros kept as values", f"{summary['n_zeros_kept']} (signed log2 data: 0 is a value, not missing)")]
        if summary.get("n_zeros_kept") else []
    ) + (
        [("repeated identifiers made unique", str(summary["n_duplicate_ids_suffixed"]))]
        if summary["n_duplicate_ids_suffixed"] else []
    )
