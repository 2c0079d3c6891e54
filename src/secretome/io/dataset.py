"""Assemble one AnnData (samples x proteins) from what a format reader parsed, per the dataset contract.

Shared by every reader so that the contract (zeros -> NaN, unique identifiers, flags as columns, log2
evidence, ``.uns['source']``, provenance) is implemented once. :func:`assemble_result` stops one step
short, at a :class:`ReadResult` holding the same ``X``, ``obs``, ``var`` and ``uns``: ``secretome info``
summarises that without importing anndata (its import alone costs most of a second);
:meth:`ReadResult.to_anndata` (and :func:`assemble`) make the AnnData when a dataset is built.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from secretome.config import config
from secretome.errors import SecretomeInputError
from secretome.io.samples import match_sheet
from secretome.io.table import TEXT_FACTS, RawTable, ReaderWarning, numeric_block, refuse_unread_cells, warn_error_values
from secretome.provenance import record_step

if TYPE_CHECKING:
    from anndata import AnnData

#: Formats whose quantities are linear by definition (the engine never writes log2 in these tables).
LINEAR_FORMATS = frozenset({"maxquant", "diann", "fragpipe", "peaks"})


def reader_config() -> dict[str, Any]:
    """The readers' numeric rules, ``secretome/config/readers.toml`` (each value with its justification)."""
    return config("readers")


#: log2 detection rule (generic, Perseus, Spectronaut), from ``config/readers.toml`` [log2_detection]: over
#: finite non-zero values, the table is log2 when the maximum is at most LOG2_MAX, at least
#: LOG2_NONINTEGER_SHARE of the values are non-integers, and either some value is negative or the median is
#: at least LOG2_MIN_MEDIAN.
LOG2_MAX = float(reader_config()["log2_detection"]["max_value"])
LOG2_MIN_MEDIAN = float(reader_config()["log2_detection"]["min_median"])
LOG2_NONINTEGER_SHARE = float(reader_config()["log2_detection"]["min_noninteger_share"])


#: Suffix used to make repeated gene-symbol identifiers unique (``COL6A3``, ``COL6A3#2``).
DUPLICATE_SUFFIX = "#"


@dataclass
class Parsed:
    """What a format reader extracted from a table, before the shared assembly."""

    table: RawTable
    format: str
    format_version: str
    quantity: str
    values: np.ndarray  # proteins x samples, float64
    sample_names: list[str]
    sample_columns: list[str]
    ids: pd.DataFrame  # from identifiers.parse_protein_groups
    id_column: str
    id_kind: str = "protein"  # "protein" (accession groups) or "gene" (gene-symbol identifiers)
    is_decoy: np.ndarray | None = None
    is_contaminant: np.ndarray | None = None
    only_identified_by_site: np.ndarray | None = None
    n_peptides: np.ndarray | None = None
    n_unique_peptides: np.ndarray | None = None
    sample_annotations: pd.DataFrame | None = None  # engine-given per-sample columns (index = sample names)
    ignored_columns: list[str] = field(default_factory=list)
    #: column -> why it was recognised but not read (other quantity family, broken pattern, statistic ...);
    #: columns without an entry are reported as annotation (see :func:`unread_columns`).
    unread: dict[str, str] = field(default_factory=dict)
    #: columns read besides the sample columns (identifiers, flags, counts, a long format's quantity)
    read_columns: list[str] = field(default_factory=list)
    #: samples of the engine's own sample set that the chosen quantity family lacks
    samples_without_quantity: list[str] = field(default_factory=list)
    #: further facts of the read, copied into ``uns['source']`` (e.g. rows a reader did not read, and why)
    notes: dict[str, Any] = field(default_factory=dict)


#: Reason recorded for a column no reader rule names (identifiers, flags, descriptions ...).
ANNOTATION_REASON = "annotation, not a quantity"


def unread_columns(parsed: Parsed) -> tuple[list[str], list[str]]:
    """Every column of the table that was not read as a sample, with its reason, in file order."""
    taken = set(parsed.sample_columns) | set(parsed.read_columns) | {parsed.id_column}
    columns = [str(c) for c in parsed.table.frame.columns if str(c) not in taken]
    text = parsed.table.text
    as_text = text.columns.as_text if text is not None and text.columns is not None else {}
    reasons = [parsed.unread.get(c, ANNOTATION_REASON) for c in columns]
    return columns, [f"{reason}; {as_text[c]}" if c in as_text and as_text[c] not in reason else reason
                     for c, reason in zip(columns, reasons)]


def family_reasons(families: dict[str, list[str]], chosen: str, sample_columns: list[str]) -> dict[str, str]:
    """``unread`` entries for the quantity families not chosen: each column names its family and how to read it."""
    taken = set(sample_columns)
    return {
        column: f"quantity family {name!r} (not chosen; quantity={name!r} reads it)"
        for name, columns in families.items() if name != chosen
        for column in columns if column not in taken
    }


def closest_columns(name: str, columns: list[str], n: int = 3) -> list[str]:
    """The columns most similar to ``name`` (for 'renamed column' messages)."""
    close = difflib.get_close_matches(name, columns, n=n, cutoff=0.4)
    if not close:
        lowered = {column.casefold(): column for column in columns}
        close = [lowered[c] for c in difflib.get_close_matches(name.casefold(), list(lowered), n=n, cutoff=0.3)]
    return close


def require_columns(table: RawTable, names: list[str], format_name: str) -> None:
    """Refuse a table that lacks a column the format needs, naming the closest columns present."""
    columns = list(table.frame.columns)
    for name in names:
        if name not in columns:
            close = closest_columns(name, columns)
            raise SecretomeInputError(
                f"expected {format_name} column is missing (renamed by a newer engine version?); "
                f"closest columns present: {close or 'none'}",
                file=table.path,
                column=name,
                expected=f"the {format_name} column {name!r}",
            )


def flag_column(table: RawTable, column: str | None) -> np.ndarray | None:
    """An engine flag column ('+' or true/yes/1 = flagged) as bool, None when the column is absent."""
    if column is None or column not in table.frame.columns:
        return None
    text = table.frame[column].map(lambda v: "" if pd.isna(v) else str(v).strip().casefold())
    return text.isin({"+", "true", "yes", "1", "1.0", "x"}).to_numpy()


def count_column(table: RawTable, column: str | None) -> np.ndarray | None:
    """A peptide-count column as float (NaN where empty); None when absent."""
    if column is None or column not in table.frame.columns:
        return None
    values = pd.to_numeric(table.frame[column], errors="coerce").to_numpy(dtype=np.float64)
    return values


def engine_columns(
    table: RawTable,
    *,
    decoy: str | None = None,
    contaminant: str | None = None,
    only_by_site: str | None = None,
    peptides: str | None = None,
    unique_peptides: str | None = None,
) -> dict[str, np.ndarray | None]:
    """The engine's own flag and peptide-count columns, named per format, as :class:`Parsed` fields.

    Every reader keeps these as ``.var`` columns (never deletes flagged rows); an absent column gives None.
    """
    return {
        "is_decoy": flag_column(table, decoy),
        "is_contaminant": flag_column(table, contaminant),
        "only_identified_by_site": flag_column(table, only_by_site),
        "n_peptides": count_column(table, peptides),
        "n_unique_peptides": count_column(table, unique_peptides),
    }


def prefixed_columns(columns: list[str], family: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Per-sample columns written as ``'{family} {sample}'`` (MaxQuant, PEAKS), minus ``exclude``."""
    prefix = f"{family} "
    return [c for c in columns if c.startswith(prefix) and len(c) > len(prefix) and c not in exclude]


def quantity_block(
    table: RawTable, families: dict[str, list[str]], requested: str | None, format_name: str
) -> tuple[str, list[str], np.ndarray]:
    """Choose the quantity family (see :func:`choose_quantity`) and parse its columns:
    (family, its sample columns, proteins x samples float64 values).

    A default family whose every cell is empty or zero (FragPipe writes zeros in ``MaxLFQ Intensity`` when
    MaxLFQ was not run) quantifies nothing; the next family in preference order that has a value is read
    instead, with a warning naming both. A requested family is always the one read."""
    family = choose_quantity(table, families, requested, format_name)
    columns = families[family]
    values = numeric_block(table, columns)
    if requested is not None or _quantifies(values):
        return family, columns, values
    for other in list(families)[list(families).index(family) + 1:]:
        if not families[other]:
            continue
        try:
            other_values = numeric_block(table, families[other])
        except SecretomeInputError:
            continue  # a family that does not parse is no better choice; the empty one's error stays
        if _quantifies(other_values):
            warnings.warn(
                f"{table.path}: every cell of the {family!r} columns is empty or zero, so the {other!r} "
                f"columns are read (quantity={family!r} reads the empty family)", ReaderWarning, stacklevel=3,
            )
            return other, families[other], other_values
    return family, columns, values


def _quantifies(values: np.ndarray) -> bool:
    """Whether any cell holds a quantified (finite, non-zero) value."""
    return bool(np.any(np.isfinite(values) & (values != 0)))


def check_fixed_quantity(
    table: RawTable, requested: str | None, accepted: tuple[str, ...], message: str, expected: str
) -> None:
    """Refuse a ``quantity`` for formats with a single quantity unless it names it (any of ``accepted``,
    case-insensitive); ``message`` is formatted with ``{quantity!r}``."""
    if requested is not None and requested.strip().casefold() not in {name.casefold() for name in accepted}:
        raise SecretomeInputError(message.format(quantity=requested), file=table.path, expected=expected)


def detect_log2(values: np.ndarray) -> bool:
    """Apply the documented log2 rule (see :data:`LOG2_MAX`) to the finite non-zero quantities."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN input
        if not np.nanmax(values, initial=-np.inf) <= LOG2_MAX:  # one pass; linear intensities stop here
            return False
    finite = values[np.isfinite(values) & (values != 0)]
    if finite.size == 0:
        return False
    noninteger = float(np.mean(finite != np.round(finite)))
    if noninteger < LOG2_NONINTEGER_SHARE:
        return False
    return bool(finite.min() < 0 or np.median(finite) >= LOG2_MIN_MEDIAN)


@dataclass
class ReadResult:
    """A read dataset before it is an AnnData: the contract's ``X`` (samples x proteins, float64), ``obs``,
    ``var`` and ``uns``, exactly what :meth:`to_anndata` puts into the AnnData (no copy of ``X``)."""

    X: np.ndarray
    obs: pd.DataFrame
    var: pd.DataFrame
    uns: dict[str, Any]

    @property
    def n_obs(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_vars(self) -> int:
        return int(self.X.shape[1])

    def to_anndata(self) -> AnnData:
        """The AnnData of the dataset contract (imports anndata)."""
        from anndata import AnnData

        adata = AnnData(X=self.X, obs=self.obs, var=self.var)
        adata.uns.update(self.uns)
        return adata


def assemble(
    parsed: Parsed,
    *,
    samples: pd.DataFrame | None = None,
    is_log2: bool | None = None,
    params: dict[str, Any] | None = None,
) -> AnnData:
    """Build the contract AnnData from a reader's :class:`Parsed` (optionally with a read sample sheet):
    :func:`assemble_result`, then :meth:`ReadResult.to_anndata`."""
    return assemble_result(parsed, samples=samples, is_log2=is_log2, params=params).to_anndata()


def _judge_unread_cells(parsed: Parsed) -> None:
    """A workbook's error cells and formulas without a saved value (:func:`refuse_unread_cells`): refused, read
    as missing (error values of the columns read) or, in columns not read, reported
    (``uns['source']['cells_not_read']``), each with a warning."""
    table = parsed.table
    if not table.unread_cells:
        return
    missing, left = refuse_unread_cells(table, {*parsed.sample_columns, *parsed.read_columns, parsed.id_column})
    if missing:
        table.error_values += missing
        warn_error_values(table, missing, "cell(s) of the columns read", stacklevel=5)
    if left:
        parsed.notes["cells_not_read"] = left
        warnings.warn(
            f"{table.path}: {len(left)} cell(s) of columns not read hold an Excel error value or a formula without "
            f"a saved value (first: {', '.join(left[:3])}); listed in uns['source']['cells_not_read']",
            ReaderWarning, stacklevel=4,
        )


def assemble_result(
    parsed: Parsed,
    *,
    samples: pd.DataFrame | None = None,
    is_log2: bool | None = None,
    params: dict[str, Any] | None = None,
) -> ReadResult:
    """Build the contract dataset from a reader's :class:`Parsed` (optionally with a read sample sheet).

    Engine zeros become NaN (counted in ``uns['source']['n_zeros_to_nan']``), except in signed log2 data
    (centred values or ratios, some negative), where 0 is a real value (counted in ``n_zeros_kept``); values are otherwise stored
    exactly as parsed, never transformed. ``uns['source']['log2_evidence']`` is ``"declared"`` (the caller's
    ``is_log2``), ``"detected"`` (the :func:`detect_log2` rule found log2 values) or ``"linear"`` (a
    linear-only engine format, or the rule found linear values). Linear data must not be negative.
    """
    table = parsed.table
    path = table.path
    n_proteins, n_samples = parsed.values.shape
    if n_samples == 0:
        raise SecretomeInputError(
            "no numeric sample columns found: this is not a protein-level quantity table (an annotation or "
            "identifier list has no per-sample quantities)", file=path,
            expected="an identifier column plus one numeric quantity column per sample",
        )
    _check_sample_names(parsed)
    _judge_unread_cells(parsed)
    var_names, n_suffixed = _protein_ids(parsed)

    values = parsed.values
    if is_log2 is not None:
        log2, evidence = bool(is_log2), "declared"
        finite = np.where(np.isfinite(values), values, -np.inf)
        if log2 and finite.size and finite.max() > LOG2_MAX:  # 2**64 is beyond any MS intensity (readers.toml)
            row, col = np.unravel_index(int(np.argmax(finite)), finite.shape)
            raise SecretomeInputError(
                f"values are declared log2 but {values[row, col]:g} is far above any log2 intensity",
                file=path, column=parsed.sample_columns[col], row=int(table.row_numbers[row]),
                expected=f"log2 values of at most {LOG2_MAX:g} (these look linear: drop is_log2=True)",
            )
    elif parsed.format in LINEAR_FORMATS:
        log2, evidence = False, "linear"
    else:
        log2 = detect_log2(values)  # the rule ignores zeros
        evidence = "detected" if log2 else "linear"
    zeros = values == 0
    n_zeros = int(zeros.sum())
    n_zeros_kept = 0
    if n_zeros and log2 and bool((values < 0).any()):
        # Signed log2 values (centred data, ratios): 0 is a real value (a sample's median after centring),
        # not an engine's missing-value zero; log2 intensities are positive, so there 0 still means missing.
        n_zeros, n_zeros_kept = 0, n_zeros
    elif n_zeros:
        values[zeros] = np.nan
    if not np.isfinite(values).any():
        raise SecretomeInputError(
            f"no quantified value: every cell of the {parsed.quantity!r} columns is empty or zero", file=path,
            expected="a table with quantities (another quantity=?)",
        )
    if not log2:
        negative = values < 0
        if negative.any():
            row, col = np.argwhere(negative)[0]
            raise SecretomeInputError(
                f"negative quantity {values[row, col]} in linear-scale data",
                file=path, column=parsed.sample_columns[col], row=int(table.row_numbers[row]),
                expected="non-negative intensities (declare is_log2=True if the values are log2)",
            )

    ids = parsed.ids
    var = pd.DataFrame(  # built once, column by column (no copy of the identifier frame, no reordering)
        {
            **{column: ids[column].to_numpy() for column in (
                "protein_group", "leading_accession", "accessions", "genes", "gene", "species", "description",
            )},
            "is_decoy": _or(ids["is_decoy"].to_numpy(bool), parsed.is_decoy),
            "is_contaminant": _or(ids["is_contaminant"].to_numpy(bool), parsed.is_contaminant),
            "only_identified_by_site": (
                parsed.only_identified_by_site.astype(bool) if parsed.only_identified_by_site is not None
                else np.zeros(n_proteins, dtype=bool)
            ),
            "n_peptides": parsed.n_peptides if parsed.n_peptides is not None else np.full(n_proteins, np.nan),
            "n_unique_peptides": (
                parsed.n_unique_peptides if parsed.n_unique_peptides is not None else np.full(n_proteins, np.nan)
            ),
        },
        index=pd.Index(var_names, dtype=object),
    )

    obs = _obs(parsed, samples)
    unread, reasons = unread_columns(parsed)
    if parsed.samples_without_quantity:
        missing = parsed.samples_without_quantity
        warnings.warn(
            f"{path}: the {parsed.quantity!r} columns cover {n_samples} of the table's "
            f"{n_samples + len(missing)} samples; {len(missing)} without them: {_shorten(missing)} "
            "(listed in uns['source']['samples_without_quantity']; another quantity may cover every sample)",
            ReaderWarning, stacklevel=3,
        )
    adata = ReadResult(X=np.ascontiguousarray(values.T, dtype=np.float64), obs=obs, var=var, uns={})
    adata.uns["source"] = {
        "path": str(path),
        "format": parsed.format,
        "format_version": parsed.format_version,
        "sha256": table.sha256,
        "quantity": parsed.quantity,
        "is_log2": log2,
        "log2_evidence": evidence,
        "n_zeros_to_nan": n_zeros,
        "n_zeros_kept": n_zeros_kept,
        "sample_columns": list(parsed.sample_columns),
        "identifier_column": parsed.id_column,
        "identifier_kind": parsed.id_kind,
        "n_duplicate_ids_suffixed": n_suffixed,
        "ignored_columns": list(parsed.ignored_columns),
        "annotation_columns": [c for c in parsed.read_columns if c not in parsed.sample_columns],
        "unread_columns": unread,
        "unread_reasons": reasons,
        "samples_without_quantity": list(parsed.samples_without_quantity),
        "sheet": table.sheet or "",
        **table.facts(),
        **parsed.notes,
    }
    record_step(adata, "read", "secretome.read", params or {})
    return adata


def _shorten(names: list[str], n: int = 6) -> str:
    shown = ", ".join(repr(name) for name in names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _or(own: np.ndarray, engine: np.ndarray | None) -> np.ndarray:
    return own | engine.astype(bool) if engine is not None else own


def _check_sample_names(parsed: Parsed) -> None:
    seen: dict[str, str] = {}
    for name, column in zip(parsed.sample_names, parsed.sample_columns):
        if not name:
            raise SecretomeInputError(
                "a sample column yields an empty sample name", file=parsed.table.path, column=column,
                expected="a sample name in every quantity column header",
            )
        if name in seen:
            raise SecretomeInputError(
                f"duplicated sample: columns {seen[name]!r} and {column!r} both give sample {name!r}",
                file=parsed.table.path, column=column, expected="each sample once",
            )
        seen[name] = column


#: Duplicate-identifier error: when rows repeating a protein make a sub-protein table (``config/readers.toml``).
REPEATED_ROWS_MIN = int(reader_config()["generic_columns"]["sub_protein_min_rows"])
REPEATED_ROWS_SHARE = float(reader_config()["generic_columns"]["sub_protein_share"])


def _protein_ids(parsed: Parsed) -> tuple[list[str], int]:
    """Unique var names: accession groups must be unique (error naming rows); gene symbols get suffixes."""
    table = parsed.table
    groups = parsed.ids["protein_group"].astype(str)
    empty = (groups.str.strip() == "").to_numpy()
    if empty.any():
        row = int(table.row_numbers[int(np.argmax(empty))])
        raise SecretomeInputError(
            "empty protein identifier", file=table.path, column=parsed.id_column, row=row,
            expected="an identifier in every row",
        )
    duplicated = groups.duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return groups.tolist(), 0
    empty_copies = _empty_copies(parsed, duplicated)
    if parsed.id_kind == "protein" and not empty_copies:
        keyed = _contaminant_copies(parsed, groups, duplicated)
        if keyed is not None:
            return keyed
        first = groups[duplicated].iloc[0]
        if parsed.is_contaminant is not None:  # name a group repeated by rows that are not contaminants
            clean = groups[~np.asarray(parsed.is_contaminant, dtype=bool)]
            first = clean[clean.duplicated(keep=False)].iloc[0] if clean.duplicated().any() else first
        rows = [int(r) for r in table.row_numbers[(groups == first).to_numpy()]]
        n_ids = int(groups[duplicated].nunique())
        n_repeated = int(duplicated.sum())
        sub_protein = n_repeated >= REPEATED_ROWS_MIN and n_repeated >= REPEATED_ROWS_SHARE * len(groups)
        raise SecretomeInputError(
            f"duplicated protein identifier {first!r} in rows {rows}"
            + (f" ({n_ids} identifiers are duplicated)" if n_ids > 1 else "")
            + (f": {n_repeated} of {len(groups)} rows share their protein with another row, as in a peptide-, PSM- or "
               "precursor-level table (one row per peptide or spectrum) or a long table (one row per protein and "
               "sample), not a protein-level quantity table" if sub_protein else ""),
            file=table.path, column=parsed.id_column,
            expected="one row per protein group" + ("; give the protein-level table of the same analysis" if sub_protein else ""),
        )
    values = groups.tolist()
    counter = groups.groupby(groups.to_numpy(), sort=False).cumcount().to_numpy() + 1  # k-th occurrence, row order
    repeats = np.flatnonzero(counter > 1)
    names = list(values)
    taken = set(values)
    for i in repeats.tolist():
        names[i] = f"{values[i]}{DUPLICATE_SUFFIX}{counter[i]}"
        if names[i] in taken:
            raise SecretomeInputError(
                f"cannot make gene identifier {values[i]!r} unique: {names[i]!r} also exists",
                file=table.path, column=parsed.id_column, row=int(table.row_numbers[i]),
            )
    n_suffixed = len(repeats)
    if parsed.id_kind == "protein":  # (every repeating row holds no quantity: nothing could be mixed up)
        rows = [int(r) for r in table.row_numbers[duplicated][:6]]
        message = (f"{int(duplicated.sum())} rows repeat an identifier of column {parsed.id_column!r} and hold no "
                   f"quantity at all (rows {rows}{' ...' if duplicated.sum() > 6 else ''}: stray rows of an edited "
                   f"sheet); their repeats were made unique with a '{DUPLICATE_SUFFIX}k' suffix")
    else:
        message = (f"{n_suffixed} repeated gene identifiers in column {parsed.id_column!r} were made unique "
                   f"with a '{DUPLICATE_SUFFIX}k' suffix")
    warnings.warn(f"{table.path}: {message} (recorded in uns['source']['n_duplicate_ids_suffixed'])",
                  ReaderWarning, stacklevel=3)
    return names, n_suffixed


def _empty_copies(parsed: Parsed, duplicated: np.ndarray) -> bool:
    """Whether every row that repeats an identifier holds no quantity (empty or zero in every sample)."""
    values = parsed.values[duplicated]
    return bool(values.size) and not bool((np.isfinite(values) & (values != 0)).any())


#: Suffix of a contaminant row whose accession group another row of the table also holds.
CONTAMINANT_SUFFIX = f"{DUPLICATE_SUFFIX}contaminant"


def _contaminant_copies(parsed: Parsed, groups: pd.Series, duplicated: np.ndarray) -> tuple[list[str], int] | None:
    """Unique names when every repeated accession group repeats only as contaminant rows (Proteome
    Discoverer lists a protein of the sample database and its copy from the contaminant database as two
    rows, e.g. UPS1 catalase P04040): the row that is not a contaminant keeps the group, each contaminant
    copy is keyed ``<group>#contaminant`` (``#contaminant2`` ...), flagged as the engine flagged it, and said.
    None when any repeated group has two rows that are not contaminants (then the duplicate is an error)."""
    if parsed.is_contaminant is None:
        return None
    contaminant = np.asarray(parsed.is_contaminant, dtype=bool)
    names = groups.tolist()
    repeated = groups[duplicated]
    renamed: list[int] = []
    for group, rows in repeated.groupby(repeated.to_numpy(), sort=False).groups.items():
        positions = [groups.index.get_loc(r) for r in rows]
        clean = [i for i in positions if not contaminant[i]]
        if len(clean) > 1:
            return None
        keep = clean[0] if clean else positions[0]
        for k, i in enumerate([i for i in positions if i != keep], start=1):
            names[i] = f"{group}{CONTAMINANT_SUFFIX}{k if k > 1 else ''}"
            renamed.append(i)
    if len(set(names)) != len(names):
        return None
    table = parsed.table
    rows = [int(table.row_numbers[i]) for i in renamed]
    warnings.warn(
        f"{table.path}: {len(renamed)} contaminant row(s) repeat the accession group of another row "
        f"(first: {groups.iloc[renamed[0]]!r}, file rows {rows[:5]}): keyed '<group>{CONTAMINANT_SUFFIX}', "
        "flagged as contaminants (recorded in uns['source']['n_duplicate_ids_suffixed'])", ReaderWarning, stacklevel=4,
    )
    return names, len(renamed)


def _obs(parsed: Parsed, samples: pd.DataFrame | None) -> pd.DataFrame:
    obs = pd.DataFrame(index=pd.Index(parsed.sample_names, dtype=object))
    if parsed.sample_annotations is not None:
        for column in parsed.sample_annotations.columns:
            obs[column] = parsed.sample_annotations[column].reindex(obs.index).to_numpy()
    if samples is not None:
        order, absent = match_sheet(
            samples, parsed.sample_names, parsed.sample_columns, quantity=parsed.quantity, data_file=parsed.table.path,
            known_absent=_absent_notes(parsed),
        )
        if absent:
            _warn_absent(parsed, absent, samples.attrs.get("file", "<sample sheet>"))
        sheet = samples.loc[order]
        name_column = samples.attrs.get("name_column", "sample")
        if [str(x) for x in sheet.index] != parsed.sample_names:
            label = "sheet_sample" if name_column == "sample" else name_column
            obs[label] = [str(x) for x in sheet.index]
        for column in sheet.columns:
            if column == "sample":
                continue
            obs[column] = sheet[column].to_numpy()
    obs.insert(0, "sample", list(parsed.sample_names))
    return obs


def _absent_notes(parsed: Parsed) -> dict[str, str]:
    """Each sample the chosen family lacks, with what the table holds for it (its unread look-alike column)."""
    notes = {}
    for sample in parsed.samples_without_quantity:
        own = [c for c in parsed.unread if c.casefold().startswith(sample.casefold() + " ")]
        renamed = [c for c in own if not parsed.unread[c].startswith("quantity family")]
        shown = (renamed or own)[:1]
        notes[sample] = (f"a sample of the table without a {parsed.quantity!r} column"
                         + (f"; unread: {shown[0]!r}" if shown else ""))
    return notes


def _warn_absent(parsed: Parsed, absent: list[str], sheet_file: str) -> None:
    """Warn of sheet rows whose samples the data lack, naming unread columns that look like theirs."""
    lookalikes = sorted(
        (column for column in parsed.unread if any(name.casefold() in column.casefold() for name in absent)),
        key=lambda column: parsed.unread[column].startswith("quantity family"),  # renamed columns first
    )
    warnings.warn(
        f"{sheet_file}: {len(absent)} sample sheet row(s) have no sample in {parsed.table.path} "
        f"(read with quantity {parsed.quantity!r}): {_shorten(absent)}"
        + (f"; unread columns that look like theirs: {_shorten(lookalikes)}" if lookalikes else ""),
        ReaderWarning, stacklevel=4,
    )


def summarize(adata: AnnData | ReadResult) -> dict[str, Any]:
    """The facts ``secretome info`` prints: format, quantity, counts, missing share and flagged rows."""
    x = np.asarray(adata.X, dtype=np.float64)
    missing_share = float(np.isnan(x).mean()) if x.size else 0.0
    return source_summary(dict(adata.uns.get("source", {})), adata.var, int(adata.n_vars), int(adata.n_obs), missing_share)


def source_summary(
    source: dict[str, Any], var: pd.DataFrame, n_proteins: int, n_samples: int, missing_share: float
) -> dict[str, Any]:
    """:func:`summarize` from its parts: ``uns['source']``, the ``.var`` flag columns, the dataset's shape
    and share of missing values (:mod:`secretome.io.streamed` counts these without holding ``X``)."""
    flagged = np.zeros(n_proteins, dtype=bool)
    counts = {}
    for column in ("is_decoy", "is_contaminant", "only_identified_by_site"):
        if column in var.columns:
            values = var[column].to_numpy(bool)
            counts[column] = int(values.sum())
            flagged |= values
    return {
        "path": source.get("path", ""),
        "format": source.get("format", ""),
        "format_version": source.get("format_version", ""),
        "quantity": source.get("quantity", ""),
        "is_log2": bool(source.get("is_log2", False)),
        "log2_evidence": source.get("log2_evidence", ""),
        "n_proteins": n_proteins,
        "n_samples": n_samples,
        "missing_share": missing_share,
        "n_zeros_to_nan": int(source.get("n_zeros_to_nan", 0)),
        "n_zeros_kept": int(source.get("n_zeros_kept", 0)),
        "n_decoy": counts.get("is_decoy", 0),
        "n_contaminant": counts.get("is_contaminant", 0),
        "n_only_identified_by_site": counts.get("only_identified_by_site", 0),
        "n_flagged": int(flagged.sum()),
        "n_duplicate_ids_suffixed": int(source.get("n_duplicate_ids_suffixed", 0)),
        "sample_columns": list(source.get("sample_columns", [])),
        "unread_columns": list(source.get("unread_columns", [])),
        "unread_reasons": list(source.get("unread_reasons", [])),
        "samples_without_quantity": list(source.get("samples_without_quantity", [])),
        "numbers": dict(source.get("numbers", {})),
        "quoting": str(source.get("quoting", "")),
        "padded_rows": [int(row) for row in source.get("padded_rows", [])],
        "empty_rows_skipped": [int(row) for row in source.get("empty_rows_skipped", [])],
        **{fact: str(source[fact]) for fact in TEXT_FACTS if source.get(fact)},
        **({"isobaric": dict(source["isobaric"])} if "isobaric" in source else {}),
        "sheet_chosen": str(source.get("sheet_chosen", "")),
        "error_values": [str(cell) for cell in source.get("error_values_read_as_missing", [])],
        "minus_infinity": {"n": int(source["minus_infinity_read_as_missing"]["n"]),
                           "first_cells": [str(c) for c in source["minus_infinity_read_as_missing"]["first_cells"]]}
        if "minus_infinity_read_as_missing" in source else {},
        "cells_not_read": [str(cell) for cell in source.get("cells_not_read", [])],
    }


class NoQuantityColumns(SecretomeInputError):
    """An engine's table without any of its quantity column families (:func:`choose_quantity`); ``families``
    names the families looked for, so that a caller can tell the engine's columns from another program's."""

    def __init__(self, message: str, *, families: list[str] | tuple[str, ...] = (), **context: Any) -> None:
        super().__init__(message, **context)
        self.families = list(families)


def choose_quantity(
    table: RawTable,
    families: dict[str, list[str]],
    requested: str | None,
    format_name: str,
) -> str:
    """Pick the quantity column family: ``requested`` (case-insensitive) or the first present in ``families``.

    ``families`` maps family name -> its columns, in order of preference (the default is the first with columns).
    """
    available = [name for name, columns in families.items() if columns]
    if requested is not None:
        wanted = requested.strip().casefold()
        for name in families:
            if name.casefold() == wanted:
                if not families[name]:
                    raise SecretomeInputError(
                        f"the {format_name} table has no {name!r} columns", file=table.path,
                        expected=f"quantity= one of {available or 'none found'}",
                    )
                return name
        raise SecretomeInputError(
            f"unknown quantity {requested!r} for {format_name}", file=table.path,
            expected=f"one of {available or list(families)}",
        )
    if not available:
        wanted = next(iter(families))
        columns = list(table.frame.columns)
        close = [c for c in closest_columns(f"{wanted} ", columns)]
        raise NoQuantityColumns(
            f"no quantity columns found (looked for {list(families)}; closest columns present: {close or 'none'}): "
            "as it is, this is not a protein-level quantity table",
            families=list(families), file=table.path, column=wanted,
            expected=f"{format_name} quantity columns, or format='generic' for a plain identifier + samples matrix",
        )
    return available[0]
