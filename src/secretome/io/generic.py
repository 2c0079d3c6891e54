"""Generic wide tables (CSV/TSV/XLSX): one identifier column plus one numeric column per sample.

Column roles (documented rules):
- identifier: the first column whose name is in :data:`PROTEIN_ID_NAMES` (accession groups, duplicates are
  an error) else in :data:`GENE_ID_NAMES` (gene symbols, repeats are made unique with a ``#k`` suffix and
  counted); without such a name, the first text column.
- sample columns: every other column whose non-missing cells are mostly numbers (a stray text cell in such a
  column is then an error naming the cell), except:
  statistics/properties listed in ``data/non_sample_columns.tsv``; integer codes (at most
  :data:`CATEGORY_MAX_LEVELS` distinct integers in a table of at least :data:`CATEGORY_MIN_ROWS` rows, e.g. an
  ``O2.percent`` design column), unless other sample columns are integer counts too (a spectral-count
  matrix, where a sparse sample has few distinct counts); numbers under an identifier name (e.g. PEAKS' numeric ``Protein ID``);
  and group summaries (a column ``X`` equal to the row mean or median of
  columns ``X_1, X_2, ...``).
Excluded columns are listed in ``uns['source']['ignored_columns']``. Values are never transformed: log2 is
declared (``is_log2=``) or detected by the rule in :mod:`secretome.io.dataset`.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, check_fixed_quantity, reader_config
from secretome.io.identifiers import ACCESSION_RE, ENTRY_NAME_RE, parse_protein_groups
from secretome.io.samples import NAME_COLUMNS as SAMPLE_NAME_COLUMNS
from secretome.io.table import NA_TOKENS, RawTable, numeric_block, text_column

FORMAT = "generic"
QUANTITY = "values"

PROTEIN_ID_NAMES: tuple[str, ...] = (
    "protein ids", "majority protein ids", "protein.group", "protein group", "protein groups", "protein_group",
    "pg.proteingroups", "protein.ids", "protein id", "protein_id", "proteinid", "protein", "proteins",
    "accession", "accessions", "protein accession", "protein accessions", "uniprot", "uniprot id",
    "uniprot accession", "uniprotkb", "entry", "entry name",
)
GENE_ID_NAMES: tuple[str, ...] = (
    "gene names", "gene name", "gene", "genes", "gene symbol", "gene symbols", "symbol", "gene.name",
    "gene_name", "gene.names", "pg.genes", "name",
)
DESCRIPTION_NAMES: tuple[str, ...] = (
    "protein names", "protein name", "description", "protein description", "fasta headers", "protein.names",
    "first.protein.description",
)
#: Category-code rule for numeric columns (``config/readers.toml`` [generic_columns], with its reasons).
CATEGORY_MAX_LEVELS = int(reader_config()["generic_columns"]["category_max_levels"])
CATEGORY_MIN_ROWS = int(reader_config()["generic_columns"]["category_min_rows"])
_TYPE_PREFIX = re.compile(r"^(?P<type>[TNCEM]):\s*")


@lru_cache(maxsize=1)
def non_sample_patterns() -> list[re.Pattern]:
    """Compiled name patterns of numeric columns that are not samples (``data/non_sample_columns.tsv``)."""
    path = resources.files("secretome.io").joinpath("data/non_sample_columns.tsv")
    with path.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)
    return [re.compile(pattern, re.IGNORECASE) for pattern in table["pattern"]]


def bare_name(column: str) -> str:
    """A column name without a Perseus type prefix (``'T: Gene names'`` -> ``'Gene names'``)."""
    return _TYPE_PREFIX.sub("", column).strip()


def detect_score(columns: list[str]) -> int:
    """Generic is the fallback: always 1 (any engine signature scores higher)."""
    return 1


def _mostly_numeric(series: pd.Series) -> bool:
    if series.dtype.kind in "fiu":
        return bool(series.notna().any())
    if series.dtype.kind == "b":
        return False
    text = series.dropna().astype(str).str.strip()
    text = text[~text.isin(NA_TOKENS)]
    if text.empty:
        return False
    parsed = pd.to_numeric(text, errors="coerce")
    return bool(parsed.notna().mean() >= 0.5)


def _is_category_code(series: pd.Series) -> bool:
    if len(series) < CATEGORY_MIN_ROWS:
        return False
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0 or not (values == np.round(values)).all():
        return False
    return bool(np.unique(values).size <= CATEGORY_MAX_LEVELS)


def _integer_valued(series: pd.Series) -> bool:
    """Every finite value of the column is a whole number (and there is at least one)."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    return bool(values.size) and bool((values == np.round(values)).all())


def _numeric_block_facts(frame: pd.DataFrame, columns: list[str]) -> tuple[dict[str, bool], dict[str, bool]]:
    """For columns pandas parsed as numbers, in one pass over the block: (has any value, is a category code)."""
    if not columns:
        return {}, {}
    block = frame[columns].to_numpy(dtype=np.float64)
    finite = np.isfinite(block)
    has_value = finite.any(axis=0)
    category = np.zeros(len(columns), dtype=bool)
    if len(frame) >= CATEGORY_MIN_ROWS:
        # Cheap screen on the first rows: a column with more distinct values there cannot be a code.
        head = np.sort(np.where(finite[:256], block[:256], np.inf), axis=0)  # missing values sort last
        with np.errstate(invalid="ignore"):
            distinct = 1 + ((np.diff(head, axis=0) != 0) & np.isfinite(head[1:])).sum(axis=0)
        for j in np.flatnonzero(has_value & (distinct <= CATEGORY_MAX_LEVELS + 1)):
            values = block[finite[:, j], j]
            category[j] = bool((values == np.round(values)).all()) and np.unique(values).size <= CATEGORY_MAX_LEVELS
    return dict(zip(columns, has_value.tolist())), dict(zip(columns, category.tolist()))


def _group_summaries(frame: pd.DataFrame, candidates: list[str]) -> set[str]:
    """Columns ``X`` that equal the row mean or median of the columns ``X<sep>suffix`` (sep: space _ . -)."""
    members: dict[str, list[str]] = {}
    for column in candidates:
        match = re.match(r"^(?P<base>.+?)[ _.\-][^ _.\-]+$", column)
        if match:
            members.setdefault(match.group("base"), []).append(column)
    derived: set[str] = set()
    for column in candidates:
        group = [other for other in members.get(column, []) if other != column]
        if len(group) < 2:
            continue
        block = frame[group].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
        target = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for summary in (np.nanmean(block, axis=1), np.nanmedian(block, axis=1)):
                ok = np.isfinite(summary) & np.isfinite(target)
                if ok.sum() >= 3 and np.allclose(summary[ok], target[ok], rtol=1e-5, atol=1e-6):
                    derived.add(column)
                    break
    return derived


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered: dict[str, str] = {}
    for column in columns:
        lowered.setdefault(bare_name(column).casefold(), column)
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _text_columns(frame: pd.DataFrame, types: dict[str, str]) -> list[str]:
    """Columns that hold text (not numbers); numeric-dtype columns are skipped without a scan."""
    return [
        column for column in frame.columns
        if types.get(column) not in ("E", "N") and frame[column].dtype.kind not in "fiub"
        and not _mostly_numeric(frame[column])
    ]


def column_roles(
    table: RawTable, types: dict[str, str] | None = None
) -> tuple[str, str, str | None, str | None, list[str], list[str]]:
    """Assign roles: (id column, id kind, gene column, description column, sample columns, ignored columns).

    ``types`` (Perseus) maps column -> type letter: E = sample, T/C/M = text, N = numeric annotation.
    """
    frame = table.frame
    columns = list(frame.columns)
    types = types or {}
    textual = _text_columns(frame, types)
    id_column = _find(textual, PROTEIN_ID_NAMES)  # a numeric "Protein ID"/"Protein Group" is a row number
    kind = "protein"
    if id_column is None:
        id_column = _find(textual, GENE_ID_NAMES)
        kind = "gene"
    if id_column is None:
        text_columns = [c for c in textual if types.get(c) in (None, "T")]
        if not text_columns:
            raise SecretomeInputError(
                "no identifier column: every column is numeric", file=table.path,
                expected="one text column of protein or gene identifiers",
            )
        id_column = text_columns[0]
        sample = text_column(frame, id_column).head(200)
        tokens = [t.strip() for text in sample for t in text.split(";") if t.strip()]
        protein_like = sum(1 for t in tokens if ACCESSION_RE.match(t.split("|")[-1]) or ENTRY_NAME_RE.match(t) or "|" in t)
        kind = "protein" if tokens and protein_like >= 0.5 * len(tokens) else "gene"
        if bare_name(id_column).casefold() in SAMPLE_NAME_COLUMNS:
            # a sample sheet passed as the data: its sample names would become "proteins"
            raise SecretomeInputError(
                "this looks like a sample sheet (its first text column names samples), not a protein table",
                file=table.path, column=id_column,
                expected="a protein table as INPUT; give a sample sheet with --samples",
            )
    gene_column = _find([c for c in textual if c != id_column], GENE_ID_NAMES) if kind == "protein" else None
    description_column = _find([c for c in textual if c != id_column], DESCRIPTION_NAMES)
    used = {id_column, gene_column, description_column}
    patterns = non_sample_patterns()
    candidates: list[str] = []
    ignored: list[str] = []
    codes: list[str] = []
    numeric_columns = [c for c in columns if frame[c].dtype.kind in "fiu" and c not in used]
    has_value, category = _numeric_block_facts(frame, numeric_columns)
    for column in columns:
        if column in used:
            continue
        kind_letter = types.get(column)
        if kind_letter == "E":
            candidates.append(column)
            continue
        numeric = has_value[column] if column in has_value else _mostly_numeric(frame[column])
        if kind_letter in ("T", "C", "M", "N") or not numeric:
            ignored.append(column)
            continue
        name = bare_name(column)
        code = category[column] if column in category else _is_category_code(frame[column])
        id_like = name.casefold() in PROTEIN_ID_NAMES or name.casefold() in GENE_ID_NAMES  # numeric ids
        if id_like or any(pattern.search(name) for pattern in patterns):
            ignored.append(column)
            continue
        if code:
            codes.append(column)
            ignored.append(column)
            continue
        candidates.append(column)
    if codes and any(_integer_valued(frame[c]) for c in candidates if types.get(c) != "E"):
        # a count matrix (spectral counts): a sparse sample has few distinct counts but is a sample, not a code
        candidates = [c for c in columns if c in set(candidates) | set(codes)]
        ignored = [c for c in ignored if c not in codes]
    derived = _group_summaries(frame, [c for c in candidates if types.get(c) != "E"])
    samples = [c for c in candidates if c not in derived]
    ignored.extend(sorted(derived, key=columns.index))
    return id_column, kind, gene_column, description_column, samples, ignored


def parsed_from_roles(
    table: RawTable,
    roles: tuple[str, str, str | None, str | None, list[str], list[str]],
    *,
    format_name: str,
    format_version: str,
) -> Parsed:
    """Build a :class:`Parsed` from assigned column roles (shared with the Perseus reader)."""
    id_column, kind, gene_column, description_column, samples, ignored = roles
    frame = table.frame
    if not samples:
        raise SecretomeInputError(
            "no numeric sample columns: this is not a protein-level quantity table"
            + (f" (non-sample columns: {ignored[:6]})" if ignored else ""),
            file=table.path,
            expected="an identifier column plus one numeric quantity column per sample",
        )
    values = numeric_block(table, samples)
    ids = parse_protein_groups(
        text_column(frame, id_column).tolist(),
        kind=kind,
        genes=text_column(frame, gene_column).tolist() if gene_column else None,
        descriptions=text_column(frame, description_column).tolist() if description_column else None,
    )
    return Parsed(
        table=table,
        format=format_name,
        format_version=format_version,
        quantity=QUANTITY,
        values=values,
        sample_names=[bare_name(c) for c in samples],
        sample_columns=samples,
        ids=ids,
        id_column=id_column,
        id_kind=kind,
        ignored_columns=ignored,
    )


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a generic wide table (``quantity`` is not applicable and must be None or 'values')."""
    check_fixed_quantity(
        table, quantity, (QUANTITY,), "quantity {quantity!r} does not apply to a generic table",
        expected="no --quantity for generic tables (all numeric sample columns are read)",
    )
    return parsed_from_roles(table, column_roles(table), format_name=FORMAT, format_version="wide table")
