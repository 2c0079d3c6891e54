"""Generic wide tables (CSV/TSV/XLSX): one identifier column plus one numeric column per sample.

Column roles (documented rules):
- identifier: the first column whose name is in :data:`PROTEIN_ID_NAMES` (accession groups, duplicates are
  an error) else in :data:`GENE_ID_NAMES` (gene symbols, repeats are made unique with a ``#k`` suffix and
  counted); without such a name, the first text column.
- sample columns: every other column whose non-missing cells are mostly numbers (a stray text cell in such a
  column is then an error naming the cell), except:
  statistics/properties listed in ``data/non_sample_columns.tsv`` (identifiers, counts, scores,
  probabilities, coverage, mass, annotation); unnamed columns and row numbers (1..n, R ``write.csv``); a
  column equal to the row sum of the others; integer codes (at most
  :data:`CATEGORY_MAX_LEVELS` distinct integers in a table of at least :data:`CATEGORY_MIN_ROWS` rows, e.g. an
  ``O2.percent`` design column), unless other sample columns are integer counts too (a spectral-count
  matrix, where a sparse sample has few distinct counts); numbers under an identifier name (e.g. PEAKS' numeric ``Protein ID``);
  and group summaries (a column ``X`` equal to the row mean or median of
  columns ``X_1, X_2, ...``).
- quantity families: when several families (``LFQ A``/``Intensity A``, ``A``/``A_LFQ``) run over the same
  sample names (family words and their ranks in ``data/quantity_families.tsv``), the lowest rank is read,
  ``quantity=`` picks another, and a tie is refused listing the families.
Excluded columns are listed in ``uns['source']['ignored_columns']``, each with its reason in
``unread_columns``/``unread_reasons``. Values are never transformed: log2 is
declared (``is_log2=``) or detected by the rule in :mod:`secretome.io.dataset`.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import NamedTuple
from importlib import resources

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, reader_config
from secretome.io.identifiers import ACCESSION_RE, ENTRY_NAME_RE, parse_protein_groups
from secretome.io.samples import NAME_COLUMNS as SAMPLE_NAME_COLUMNS
from secretome.io.samples import RAW_EXTENSIONS
from secretome.io.numbers import Numbers, to_point
from secretome.io.table import NA_TOKENS, RawTable, numeric_block, numeric_as_written, text_column

FORMAT = "generic"
QUANTITY = "values"

PROTEIN_ID_NAMES: tuple[str, ...] = (
    "protein ids", "majority protein ids", "protein.group", "protein group", "protein groups", "protein_group",
    "pg.proteingroups", "protein.ids", "protein id", "protein_id", "proteinid", "protein", "proteins",
    "accession", "accessions", "protein accession", "protein accessions", "uniprot", "uniprot id",
    "uniprot accession", "uniprotkb", "entry", "entry name", "acc",  # acc: PAW's accession column
    "uniprot ids", "uniprot_ids", "uniprot accessions",
)
GENE_ID_NAMES: tuple[str, ...] = (
    "gene names", "gene name", "gene", "genes", "gene symbol", "gene symbols", "symbol", "gene.name",
    "gene_name", "gene.names", "pg.genes", "name",
)
#: Identifier columns of peptide- and precursor-level tables: a generic table keyed on one of these has one
#: row per peptide, ion or spectrum, never per protein (ML training tables, library inputs, ion exports).
PEPTIDE_ID_NAMES: tuple[str, ...] = (
    "sequence", "modified sequence", "modified_sequence", "stripped sequence", "peptide", "peptide sequence",
    "modified peptide", "precursor", "precursor id", "precursor_id", "mod_seq", "modseq", "spectrum", "psm id",
    "sequenceid", "sequence id",  # LFQbench's peptide tables
    "peptides", "modified peptides", "phosphopeptide", "phosphopeptides",  # as text (MaxQuant's count 'Peptides' is numeric)
    "precursor ion", "precursor ions", "precursor_ion",
)
DESCRIPTION_NAMES: tuple[str, ...] = (
    "protein names", "protein name", "description", "protein description", "fasta headers", "protein.names",
    "first.protein.description",
)
#: Category-code rule for numeric columns (``config/readers.toml`` [generic_columns], with its reasons).
CATEGORY_MAX_LEVELS = int(reader_config()["generic_columns"]["category_max_levels"])
CATEGORY_MIN_ROWS = int(reader_config()["generic_columns"]["category_min_rows"])
#: Identifier-column rules (``config/readers.toml`` [generic_columns]): a repeated category, peptide sequences.
REPEATED_MIN_ROWS = int(reader_config()["generic_columns"]["repeated_min_rows"])
REPEATED_MAX_SHARE = float(reader_config()["generic_columns"]["repeated_max_share"])
PEPTIDE_MEDIAN_LENGTH = float(reader_config()["generic_columns"]["peptide_median_length"])
_TYPE_PREFIX = re.compile(r"^(?P<type>[TNCEM]):\s*")
_RULE_SOURCE = " (non-sample column rule, data/non_sample_columns.tsv)"
TEXT_REASON = "text, not numbers"
"""The reason given for a column left out because it holds text."""


@lru_cache(maxsize=1)
def non_sample_rules() -> list[tuple[re.Pattern, str]]:
    """(compiled name pattern, reason) of numeric columns that are not samples (``data/non_sample_columns.tsv``)."""
    return [(re.compile(pattern, re.IGNORECASE), reason) for pattern, reason, context in _non_sample_rows() if not context]


@lru_cache(maxsize=8192)  # (a pure function of the name: a table's columns are judged by several rules)
def non_sample_reason(column: str) -> str | None:
    """The reason of the first non-sample rule (``data/non_sample_columns.tsv``) naming ``column`` (a count, score,
    statistic ...), None when none does: most columns match no rule, which one search of all of them says."""
    name = bare_name(column)
    spaced = _SEPARATOR.sub(" ", name)  # "S1_Prob", "X..PSMs": words split by any separator
    screen = _non_sample_screen()
    if not (screen.search(name) or screen.search(spaced)):
        return None
    return next((reason for pattern, reason in non_sample_rules() if pattern.search(name) or pattern.search(spaced)), None)


def statistic_context_rules() -> list[tuple[re.Pattern, str]]:
    """Non-sample rules that hold only beside a column already taken as a test statistic
    (``context`` = beside_statistic in ``data/non_sample_columns.tsv``: limma's ``t`` and ``B``)."""
    return [(re.compile(pattern, re.IGNORECASE), reason)
            for pattern, reason, context in _non_sample_rows() if context == "beside_statistic"]


@lru_cache(maxsize=1)
def _non_sample_screen() -> re.Pattern:
    """One pattern matching where any of :func:`non_sample_rules` matches (their alternation; the rules use
    no group references), so that a name matching none is known in one search instead of one per rule."""
    return re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in non_sample_rules()), re.IGNORECASE)


def _non_sample_rows() -> list[tuple[str, str, str]]:
    table = _data_table("non_sample_columns.tsv")
    contexts = table["context"].fillna("") if "context" in table else pd.Series([""] * len(table))
    return list(zip(table["pattern"], table["reason"], contexts))


@lru_cache(maxsize=1)
def family_rules() -> list[tuple[re.Pattern, int, str, bool]]:
    """(pattern, rank, meaning, qualifier) of quantity-family words (``data/quantity_families.tsv``)."""
    table = _data_table("quantity_families.tsv")
    qualifiers = table["qualifier"].fillna("") if "qualifier" in table else pd.Series([""] * len(table))
    return [
        (re.compile(p, re.IGNORECASE), int(r), m, q == "yes")
        for p, r, m, q in zip(table["pattern"], table["rank"], table["meaning"], qualifiers)
    ]


@lru_cache(maxsize=1)
def sample_sheet_rules() -> list[tuple[re.Pattern, str, bool]]:
    """(compiled whole-name pattern, meaning, alone) of sample-sheet design columns
    (``data/sample_sheet_columns.tsv``); ``alone``: one such numeric column marks a sample sheet by itself."""
    table = _data_table("sample_sheet_columns.tsv")
    return [(re.compile(p, re.IGNORECASE), m, a == "yes") for p, m, a in zip(table["pattern"], table["meaning"], table["alone"])]


@lru_cache(maxsize=1)
def statistic_reasons() -> frozenset[str]:
    """Reasons of the non-sample rules that name test statistics (``kind`` = statistic in the data file)."""
    table = _data_table("non_sample_columns.tsv")
    kinds = table["kind"] if "kind" in table else pd.Series([""] * len(table))
    return frozenset(reason for reason, kind in zip(table["reason"], kinds.fillna("")) if kind == "statistic")


def _names_statistic(reason: str) -> bool:
    """Whether a column's recorded reason is a non-sample rule naming a test statistic."""
    return reason.removesuffix(_RULE_SOURCE) in statistic_reasons()


def _design_columns(columns: list[str], alone: bool = False) -> dict[str, str]:
    """Column -> design meaning for the columns a sample sheet names (:func:`sample_sheet_rules`); with
    ``alone``, only those that mark a sample sheet by themselves (a donor's age or sex)."""
    found = {}
    for column in columns:
        spaced = _SEPARATOR.sub(" ", bare_name(column)).strip()
        meaning = next((m for pattern, m, by_itself in sample_sheet_rules()
                        if (by_itself or not alone) and pattern.fullmatch(spaced)), None)
        if meaning is not None:
            found[column] = meaning
    return found


def _sample_sheet_error(path: object, column: str, what: str, design: dict[str, str]) -> SecretomeInputError:
    """The refusal of a sample sheet given as the data: ``what`` says how its rows are samples, ``design``
    (column -> meaning) the design attributes that mark it."""
    return SecretomeInputError(
        f"this is a sample sheet (one row per sample: {what} "
        + ", ".join(f"{c!r} ({m})" for c, m in design.items())
        + " are per-sample design attributes, data/sample_sheet_columns.tsv), not a protein-level quantity table",
        file=path, column=column,
        expected="a protein table (one row per protein, one quantity column per sample) as INPUT; give this "
        "file as the sample sheet (samples=)",
    )


def _refuse_sample_sheet(table: RawTable, numeric: list[str]) -> None:
    """A sample sheet given as the data: every numeric column left to read is a design attribute (donor,
    replicate, batch, fraction ...), so its codes would become "samples" and its sample names "proteins"."""
    design = _design_columns(numeric)
    if numeric and len(design) == len(numeric):
        raise _sample_sheet_error(table.path, numeric[0], "its numeric columns", design)


def _refuse_donor_attributes(table: RawTable, samples: list[str]) -> None:
    """A sample sheet or clinical table about to be read (after the refusals by kind and by identifier): a
    "sample" column holding a donor's age or sex (an ``alone`` rule) is an attribute no protein table has."""
    _refuse_marked(_design_columns(samples, alone=True), "one row per sample or patient: its numeric columns", table.path)


def refuse_donor_header(header: list[str], path: object) -> None:
    """A header whose first column names samples and which holds a donor's age or sex column (an ``alone``
    rule of ``data/sample_sheet_columns.tsv``) is a sample sheet or clinical table: refused from the header
    alone, so that what the file is comes before any problem of its rows (a sheet's ragged row)."""
    first = _spaced_key(header[0]) if header else ""
    if first.startswith("sample") and first in SAMPLE_NAME_COLUMNS:
        _refuse_marked(_design_columns(header[1:], alone=True),
                       f"one row per sample: column {header[0]!r} names the samples and", path)
        design = _design_columns(header[1:])
        if design and len(design) == len(header) - 1:
            # every other column a design attribute (Condition, Bio.Rep: DAPAR's or limma's targets file)
            raise _sample_sheet_error(path, header[0], f"column {header[0]!r} names the samples and", design)


_PATH = re.compile(r"^(?:[A-Za-z]:)?[\\/]?(?:[^\\/]+[\\/]){2,}[^\\/]+$")
"""A file path of three or more parts (Windows or POSIX), as sample sheets name raw files."""


def _names_run_files(values: pd.Series) -> bool:
    """Whether 90% or more of ``values`` name raw files (a run file's extension, or a path of three or more parts)."""
    filled = values[values != ""]
    return bool(len(filled)) and float(filled.map(lambda v: bool(RAW_EXTENSIONS.search(v) or _PATH.match(v))).mean()) >= 0.9


def _refuse_named_sample_sheet(table: RawTable, id_column: str, text_columns: list[str]) -> None:
    """A table without protein or gene identifiers whose text columns include one named for samples
    (``sample_name`` beside a channel ``tag``) and whose numeric columns include design attributes
    (``condition``, ``replicate``): a sample sheet, whose attributes would otherwise become "samples"."""
    named = [c for c in text_columns if c != id_column and _spaced_key(bare_name(c)).startswith("sample")
             and _spaced_key(bare_name(c)) in SAMPLE_NAME_COLUMNS]
    numeric = [c for c in table.frame.columns if table.frame[c].dtype.kind in "fiu"]
    design = _design_columns(numeric)
    if named and design:
        raise _sample_sheet_error(table.path, named[0], f"column {named[0]!r} names the samples and", design)


def _refuse_marked(marking: dict[str, str], what: str, path: object) -> None:
    """The refusal of a sample sheet or clinical table by the donor attributes ``marking`` (column -> meaning)."""
    if marking:
        raise SecretomeInputError(
            f"this is a sample sheet or clinical table ({what} "
            + ", ".join(f"{c!r} ({m})" for c, m in marking.items())
            + " are a donor's attributes, data/sample_sheet_columns.tsv), not a protein-level quantity table",
            file=path, column=next(iter(marking)),
            expected="a protein table (one row per protein, one quantity column per sample) as INPUT; give this "
            "file as the sample sheet (samples=)",
        )


def _data_table(name: str) -> pd.DataFrame:
    path = resources.files("secretome.io").joinpath(f"data/{name}")
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, sep="\t", comment="#", dtype=str, keep_default_na=False)


#: Rank of the family of columns named by the sample alone (see ``data/quantity_families.tsv``).
BARE_FAMILY_RANK = 5
_SEPARATOR = re.compile(r"[ _.:\-]+")


def _spaced_key(name: str) -> str:
    """A name compared case-insensitively with separators read as one space, so that R's ``make.names``
    spelling (``Majority.protein.IDs``) is the engine's own (``Majority protein IDs``)."""
    return _SEPARATOR.sub(" ", name).strip().casefold()


_PEPTIDE_KEYS = frozenset(_spaced_key(name) for name in PEPTIDE_ID_NAMES)
"""PEPTIDE_ID_NAMES as :func:`_spaced_key` spells them."""


@lru_cache(maxsize=1 << 14)
def family_rank(affix: str) -> int | None:
    """The rank of a family word (``'LFQ'`` -> 1), None when ``affix`` names no quantity family."""
    spaced = _SEPARATOR.sub(" ", affix)  # "MS1_iBAQ": words split by any separator
    matched = [(rank, qualifier) for pattern, rank, _, qualifier in family_rules() if pattern.search(affix) or pattern.search(spaced)]
    ranks = [rank for rank, qualifier in matched if qualifier] or [rank for rank, _ in matched]
    return min(ranks) if ranks else None


def quantity_families(columns: list[str]) -> dict[str, dict[str, str]]:
    """Quantity families over one shared set of sample names: family label -> {sample: column}.

    A family is the columns whose names are a family word (:func:`family_rank`) before or after a sample
    name; the columns named by a sample alone form the family ``'values'``. Returned only when at least two
    families share at least two sample names (else {}): the sample set is the one covered by most families.
    """
    by_affix = _affix_members(columns)
    best: tuple[int, int, int, frozenset] | None = None
    for members in by_affix.values():
        key = frozenset(members)
        if len(key) < 2:
            continue
        over_key = [affix for affix, other in by_affix.items() if frozenset(other) == key]
        cores = [_family_core(affix) for affix in over_key]
        if len(set(cores)) < len(cores):
            # two "families" with the same family words that differ in other words
            # ('sumIntensity_HEK.Ecoli_10' and '..._20' over '1_replicate1'): the split ran through the
            # sample names ('sumIntensity_HEK.Ecoli_10.1_replicate1'), which are one family's samples
            continue
        n_families = len(over_key) + any(bare_name(c) in key for c in columns)
        # a family named by family words alone ("raw_abundance") beats one whose name took part of the
        # samples' names ("abundance_A" over "01.raw", "02.raw"): the split then ran through the sample name
        n_pure = sum(1 for affix in over_key if _family_words_only(affix))
        if n_families >= 2 and (best is None or (n_pure, n_families, len(key)) > best[:3]):
            best = (n_pure, n_families, len(key), key)
    if best is None:
        return {}
    key = best[3]
    families = {affix: members for affix, members in by_affix.items() if set(members) <= key and len(members) >= 1}
    bare = {bare_name(c): c for c in columns if bare_name(c) in key}
    if bare:
        families[QUANTITY] = bare
    taken: dict[str, str] = {}
    for label, members in sorted(families.items(), key=lambda item: -len(item[1])):
        if any(column in taken for column in members.values()):
            del families[label]  # one column, one family: the larger reading of its name wins
            continue
        taken.update({column: label for column in members.values()})
    return families if len(families) >= 2 else {}


_SUMMARY_NAME = re.compile(r"^(?P<summary>median|mean)[ ._-]+(?P<rest>.+)$", re.IGNORECASE)
_SPREAD_NAME = re.compile(r"(^|[ ._-])(sd|sem|se|st\.? ?dev|std|cv|var)([ ._-]|$)", re.IGNORECASE)


def summary_profile(frame: pd.DataFrame, reasons: dict[str, str]) -> tuple[str, list[str]]:
    """(summary, columns) of a table whose only numbers are one summary per column of a profile (``median_1`` ..
    ``median_48`` of a fractionation, ``median_Reporter intensity 1`` .. ``9``: at least 3, one summary word, distinct
    names after it): its values are those summaries, read as the table's columns (the quantity records which summary).
    ``('', [])`` when any numeric column is a statistic or a spread (a result table of group means and SDs), or
    another numeric column is left."""
    numeric = [c for c in frame.columns if frame[c].dtype.kind in "fiu"]
    matches = {c: _SUMMARY_NAME.match(bare_name(c)) for c in numeric}
    profile = [c for c, match in matches.items() if match]
    words = {matches[c].group("summary").casefold() for c in profile}
    if (len(profile) < 3 or len(words) != 1 or len(profile) != len(numeric)
            or len({matches[c].group("rest") for c in profile}) != len(profile)
            or any(_names_statistic(reason) for reason in reasons.values())
            or any(_SPREAD_NAME.search(bare_name(c)) for c in frame.columns)):
        return "", []
    return words.pop(), profile


def _affix_members(columns: list[str]) -> dict[str, dict[str, str]]:
    """Family word -> {sample name: column} for every reading of each column name as a family word (:func:`family_rank`)
    before or after a sample name, split at any separator (``'LFQ intensity 1'``: ``'LFQ intensity'`` + ``'1'``)."""
    by_affix: dict[str, dict[str, str]] = {}
    for column in columns:
        name = bare_name(column)
        for match in _SEPARATOR.finditer(name):
            head, tail = name[: match.start()], name[match.end():]
            for affix, sample in ((head, tail), (tail, head)):
                if affix and sample and family_rank(affix) is not None:
                    by_affix.setdefault(affix, {}).setdefault(sample, column)
    return by_affix


def one_family_outsiders(columns: list[str]) -> tuple[str, list[str]]:
    """(family word, columns outside it) when most of ``columns`` are one quantity family (at least 3, at least
    twice the rest: ``'LFQ intensity 1'`` .. ``'LFQ intensity 27'``) and the rest name no family word at all
    (``valid_points``, ``max``, ``clusters`` of a profile table; a pipeline's count columns): those are the table's
    per-protein properties, not samples of the family. Else ``('', [])``."""
    by_affix = _affix_members(columns)
    if not by_affix:
        return "", []
    # most columns, then a name of family words only ('LFQ intensity', not 'LFQ intensity HeLa'), then the longest
    affix, members = max(by_affix.items(), key=lambda item: (len(item[1]), _family_words_only(item[0]), len(item[0])))
    inside = set(members.values())
    outside = [column for column in columns if column not in inside]
    if len(inside) < 3 or len(inside) < 2 * len(outside) or any(family_rank(bare_name(c)) is not None for c in outside):
        return "", []
    return affix, outside


def _family_of_all(columns: list[str]) -> str | None:
    """The quantity family every one of ``columns`` (two or more) belongs to, named by family words alone
    (``'LFQ intensity'`` for ``'LFQ intensity A'``, ``'LFQ intensity B'``), else None: the quantity a read of them records."""
    if len(columns) < 2:
        return None
    whole = [affix for affix, members in _affix_members(columns).items()
             if len(set(members.values())) == len(columns) and _family_words_only(affix)]
    return max(whole, key=len) if whole else None


def _family_core(affix: str) -> tuple[str, ...]:
    """The words of ``affix`` that name a quantity family (``'sumIntensity_HEK.Ecoli_10'`` -> ``('sumintensity',)``)."""
    return tuple(word.casefold() for word in _SEPARATOR.sub(" ", affix).split() if family_rank(word) is not None)


def _family_words_only(affix: str) -> bool:
    """Whether every word of ``affix`` is a quantity-family word (``'LFQ intensity'``, ``'raw_abundance'``)."""
    words = _SEPARATOR.sub(" ", affix).split()
    return bool(words) and all(family_rank(word) is not None for word in words)


def choose_family(
    table: RawTable, families: dict[str, dict[str, str]], requested: str | None
) -> str:
    """The family to read: ``requested`` (case-insensitive, separators ignored), else the lowest rank; a tie
    is refused listing the candidate families."""
    if requested is not None:
        for label in families:
            if _spaced_key(label) == _spaced_key(requested):
                return label
        raise SecretomeInputError(
            f"unknown quantity {requested!r}: the table's quantity families are {list(families)}",
            file=table.path, expected=f"quantity one of {list(families)}",
        )
    ranks = {label: (BARE_FAMILY_RANK if label == QUANTITY else family_rank(label)) for label in families}
    lowest = min(ranks.values())
    best = [label for label, rank in ranks.items() if rank == lowest]
    if len(best) > 1:
        raise SecretomeInputError(
            f"several quantity families over the same samples and none is preferred: {best} "
            f"(all families: {list(families)})", file=table.path,
            expected=f"quantity= one of {list(families)}",
        )
    return best[0]


def bare_name(column: str) -> str:
    """A column name without a Perseus type prefix (``'T: Gene names'`` -> ``'Gene names'``)."""
    if column[1:2] != ":":  # (no prefix: the pattern's second character is the colon)
        return column.strip()
    return _TYPE_PREFIX.sub("", column).strip()


def detect_score(columns: list[str]) -> int:
    """Generic is the fallback: always 1 (any engine signature scores higher)."""
    return 1


def _mostly_numeric(series: pd.Series, workbook: bool = False) -> bool:
    """Whether at least half of a column's filled cells are numbers. ``workbook``: the cells are XLSX
    cells, where numbers stored as text may carry a decimal comma (``0,5``): those count as numbers too, so
    such a column is judged a quantity column (and converted or refused by cell), never set aside as text."""
    if series.dtype.kind in "fiu":
        return bool(series.notna().any())
    if series.dtype.kind == "b":
        return False
    texts = [v.strip() if type(v) is str else str(v).strip() for v in series.dropna().tolist()]
    texts = [text for text in texts if text not in _NA_SET]
    if not texts:
        return False
    # Every text pandas converts to a number starts (after signs) with a digit, a point or "inf": a column
    # where fewer than half the cells do (names, descriptions) is decided without converting it.
    if 2 * sum(1 for text in texts if _MAYBE_NUMBER.match(text)) < len(texts):
        return False
    text = pd.Series(texts, dtype=object)
    parsed = pd.to_numeric(text, errors="coerce")
    if workbook and parsed.notna().mean() < 0.5:
        parsed = parsed.fillna(pd.to_numeric(to_point(text.astype("string"), _COMMA_TEXT), errors="coerce"))
    return bool(parsed.notna().mean() >= 0.5)


#: How a number stored as text with a decimal comma is written (a workbook cell such as '1.234,5').
_COMMA_TEXT = Numbers(",", ".", "file", "")


_NA_SET = frozenset(NA_TOKENS)
_MAYBE_NUMBER = re.compile(r"[-+\s]*(?:\d|\.|inf)", re.IGNORECASE)


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
        parsed = frame[group]
        if not all(kind in "fiu" for kind in parsed.dtypes.map(lambda dtype: dtype.kind)):
            parsed = parsed.apply(pd.to_numeric, errors="coerce")  # numbers columns as they are, no call per column
        block = parsed.to_numpy(dtype=np.float64)
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
    """The first of ``columns`` named by ``names`` (in the names' order of preference), compared by
    :func:`_spaced_key`."""
    keyed: dict[str, str] = {}
    for column in columns:
        keyed.setdefault(_spaced_key(bare_name(column)), column)
    return next((keyed[_spaced_key(name)] for name in names if _spaced_key(name) in keyed), None)


def _text_columns(frame: pd.DataFrame, types: dict[str, str], workbook: bool = False) -> list[str]:
    """Columns that hold text (not numbers); numeric-dtype columns are skipped without a scan."""
    kinds = _dtype_kinds(frame)
    return [
        column for column in frame.columns
        if types.get(column) not in ("E", "N") and kinds[column] not in "fiub"
        and not _mostly_numeric(frame[column], workbook)
    ]


def _dtype_kinds(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's dtype kind, from the frame's dtypes at once (a column taken out one by one costs
    ~20 us: 20 ms over a thousand samples)."""
    return {column: dtype.kind for column, dtype in zip(frame.columns, frame.dtypes)}


class Roles(NamedTuple):
    """Column roles of a generic or Perseus table (see :func:`column_roles`)."""

    id_column: str
    id_kind: str
    gene_column: str | None
    description_column: str | None
    samples: list[str]
    ignored: list[str]
    reasons: dict[str, str]  # ignored column -> why it is not a sample
    sample_names: list[str] | None = None  # when a quantity family was chosen: the names without its word
    quantity: str = QUANTITY


#: A peptide sequence as tables write it: amino-acid letters, lower case marking a modified residue (mspms).
_PEPTIDE_SEQUENCE = re.compile(r"^[ACDEFGHIKLMNPQRSTVWYacdefghiklmnpqrstvwy]{5,}$")


def _refuse_peptide_rows(table: RawTable, id_column: str, text_columns: list[str]) -> None:
    """A text column of peptides (named as a peptide identifier, or holding peptide sequences) beside an
    identifier column that repeats: one row per peptide (LFQbench's peptide tables, Proteus' evidence), whose
    proteins would be made unique as 'P#2', 'P#3' ... and read as proteins."""
    ids = text_column(table.frame, id_column)
    ids = ids[ids != ""]
    if not len(ids):
        return
    repeated = ids.nunique() < len(ids)
    for column in text_columns:
        key = _spaced_key(bare_name(column))
        named = key in _PEPTIDE_KEYS
        sequences = _peptide_sequences(table.frame, column) or (named and _precursor_ids(table.frame, column))
        # named 'peptide' and holding peptide sequences: peptide rows even where no protein repeats (a protein table
        # may carry each protein's 'Sequence')
        if (repeated and (named or sequences)) or (named and "peptide" in key and sequences):
            example = next((v for v in text_column(table.frame, column) if v), "")
            raise SecretomeInputError(
                f"this is a peptide-level table (column {column!r} holds a peptide per row, e.g. {example!r}"
                + (f", and the proteins of {id_column!r} repeat: {ids.nunique()} distinct in {len(ids)} rows" if repeated else "")
                + "), not a protein-level quantity table", file=table.path, column=column,
                expected="the protein-level table of the same analysis (one row per protein or protein group)",
            )


_SETTING_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_.][A-Za-z0-9]+)+$")
"""A program setting's name (``software_name``, ``search.max_missed_cleavages``): words joined by ``_`` or ``.``."""


def _refuse_settings(table: RawTable, id_column: str) -> None:
    """A two-column table of settings (a pandas Series of parameters saved as CSV: ``software_name,AlphaPept``)
    with no number to read: named a parameters file rather than "no numeric sample columns"."""
    if table.frame.shape[1] != 2 or _design_columns([str(c) for c in table.frame.columns]):
        return  # (a two-column design: 'Bioreplicate', 'Group' is a sample sheet, refused as one)
    names = text_column(table.frame, id_column)
    names = names[names != ""]
    if len(names) >= 5 and float(names.str.fullmatch(_SETTING_NAME.pattern).mean()) >= 0.8:
        raise SecretomeInputError(
            f"this is a parameters file (one setting per row: name and value, e.g. {names.iloc[0]!r}), not a "
            "protein-level quantity table", file=table.path, column=id_column,
            expected="the protein-level quantity table the program wrote with these settings",
        )


_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d[\d.,]*|[.,]\d+)(?:[eE][+-]?\d+)?$")
"""A cell written as a number (any decimal or thousands mark)."""


def _holds_number(frame: pd.DataFrame, columns: list[str], index: int) -> bool:
    """Whether row ``index`` holds a number in any of ``columns``."""
    for value in frame[columns].iloc[index]:
        if isinstance(value, str):
            if _NUMBER_TEXT.match(value.strip()):
                return True
        elif value is not None and not pd.isna(value):
            return True
    return False


def _refuse_header_rows(table: RawTable, samples: list[str]) -> None:
    """A table with more header rows than one: among its first rows, those whose cells are words in two or more
    columns that hold numbers below them, one of which is read as a sample (a summary sheet's 'Conf.' /
    'Log2 FC' under each project's name). Refused naming those rows: a result table when a word names a statistic."""
    frame = table.frame
    if len(frame) < 5 or not any(frame[column].dtype.kind == "O" for column in samples):
        return
    rows: dict[int, list[tuple[str, str]]] = {}
    for column in frame.columns:
        series = frame[column]
        if series.dtype.kind != "O":
            continue
        head = [str(v).strip() if isinstance(v, str) else "" for v in series.iloc[:3]]
        if not any(text and text not in NA_TOKENS and not _NUMBER_TEXT.match(text) for text in head):
            continue
        below = series.iloc[3:203].dropna().astype(str).str.strip()  # (200 rows tell numbers from text)
        below = below[below != ""]
        if not len(below) or float(below.str.match(_NUMBER_TEXT.pattern).mean()) < 0.9:
            continue  # a text column (identifiers, genes, descriptions)
        for index, text in enumerate(head):
            if text and text not in NA_TOKENS and not _NUMBER_TEXT.match(text):
                rows.setdefault(index, []).append((str(column), text))
    # a header row holds no number in any sample column (a data row with 'n.d.' in a few samples has numbers in others)
    rows = {index: cells for index, cells in rows.items() if len(cells) >= 2 and not _holds_number(frame, samples, index)}
    if not rows or not any(column in samples for cells in rows.values() for column, _ in cells):
        return
    names = list(dict.fromkeys(text for cells in rows.values() for _, text in cells))
    statistics = [text for text in names if (reason := non_sample_reason(text)) and _names_statistic(reason)]
    numbers = [int(table.row_numbers[index]) for index in sorted(rows)]
    where = f"row {numbers[0]}" if len(numbers) == 1 else f"rows {', '.join(map(str, numbers))}"
    column = rows[min(rows)][0][0]
    shown = ", ".join(repr(name[:30]) for name in (statistics or names)[:4])
    if statistics:
        raise SecretomeInputError(
            f"this is a result table with more than one header row ({where} under the header "
            f"{'names' if len(numbers) == 1 else 'name'} each column's "
            f"statistic, e.g. {shown}; {statistics[0]!r} is {non_sample_reason(statistics[0])}), not a protein-level "
            "quantity table", file=table.path, column=column, row=numbers[0],
            expected="the protein quantity table (an identifier column plus one quantity column per sample) the "
                     "statistics were computed from",
        )
    raise SecretomeInputError(
        f"the table has more than one header row ({where} under the header {'holds' if len(numbers) == 1 else 'hold'} "
        f"words above the numbers of "
        f"{len({c for cells in rows.values() for c, _ in cells})} columns, e.g. {shown})", file=table.path,
        column=column, row=numbers[0], expected="one header row above the data rows",
    )


def _refuse_indicator_sheet(table: RawTable, roles: Roles) -> None:
    """A sample sheet whose numeric columns are 0/1 indicators (TurboOmics' metadata: 'Ig', 'Control') beside a
    design attribute as text ('Group') and identifiers that are no protein accessions: its indicator columns would
    be read as 'samples' and its sample names as 'proteins'."""
    design = _design_columns([c for c in roles.ignored if roles.reasons.get(c) == TEXT_REASON])
    if not roles.samples or not design or _accession_column(table.frame, [roles.id_column]) is not None:
        return
    for column in roles.samples:
        values = pd.to_numeric(table.frame[column], errors="coerce").dropna()
        if not len(values) or not values.isin((0, 1)).all():
            return
    raise SecretomeInputError(
        f"this is a sample sheet (one row per sample: its numeric columns {roles.samples[:4]} hold only 0 and 1, "
        "indicator codes, beside " + ", ".join(f"{c!r} ({m})" for c, m in design.items())
        + ", a per-sample design attribute), not a protein-level quantity table",
        file=table.path, column=roles.samples[0],
        expected="a protein table (one row per protein, one quantity column per sample) as INPUT; give this file "
        "as the sample sheet (samples=)",
    )


def _refuse_identifiers_of_no_protein(table: RawTable, id_column: str) -> None:
    """Checks on a table about to be read (after every refusal by kind): an identifier column holding raw-file
    names (a sample sheet) or, when no column is named as identifiers, peptide sequences or a repeated category
    (sex, outcome, group) names no protein."""
    filled = text_column(table.frame, id_column)
    filled = filled[filled != ""]
    if not len(filled):
        return
    if float(filled.map(RAW_EXTENSIONS.search).notna().mean()) >= 0.9:
        raise SecretomeInputError(
            f"this is a sample sheet (column {id_column!r} names raw files, e.g. {filled.iloc[0]!r}), not a protein table",
            file=table.path, column=id_column,
            expected="a protein table (one row per protein) as INPUT; give this file as the sample sheet (samples=)",
        )
    for column in dict.fromkeys([id_column, *[c for c in table.frame.columns[:3] if table.frame[c].dtype.kind == "O"]]):
        terms = text_column(table.frame, column)
        terms = terms[terms != ""]
        if len(terms) and terms.head(200).str.startswith("GO:").any() and float(terms.str.fullmatch(r"GO:\d{7}").mean()) >= 0.9:
            raise SecretomeInputError(
                f"this is a Gene Ontology term table (column {column!r} names GO terms, e.g. {terms.iloc[0]!r}, one row "
                "per term: a result table of terms, not of proteins), not a protein-level quantity table",
                file=table.path, column=column,
                expected="the protein-level table the terms were summarised from (one row per protein group)",
            )
    if len(filled) >= 4 and bool(filled.head(200).str.fullmatch(_ISOBARIC_CHANNEL.pattern).all()) \
            and bool(filled.str.fullmatch(_ISOBARIC_CHANNEL.pattern).all()):  # (the head first: most tables fail it there)  # (channels repeat over the sets of a multi-set study)
        headerless = bool(_ISOBARIC_CHANNEL.fullmatch(bare_name(id_column)))
        raise SecretomeInputError(
            f"this is an isobaric-label annotation (a sample sheet: column {id_column!r} names TMT/iTRAQ reporter "
            f"channels, e.g. {filled.iloc[0]!r}, one row per channel and its sample"
            + ("; the file has no header line" if headerless else "") + "), not a protein-level quantity table",
            file=table.path, column=id_column,
            expected="a protein table (one row per protein) as INPUT; channel annotations serve as the sample sheet",
        )
    named = bare_name(id_column).casefold()
    if named in PROTEIN_ID_NAMES or named in GENE_ID_NAMES:
        return
    if _peptide_sequences(table.frame, id_column) and float(filled.str.len().median()) >= PEPTIDE_MEDIAN_LENGTH:
        raise SecretomeInputError(  # each peptide would become a "protein"
            f"this is a peptide-, ion- or spectrum-level table (column {id_column!r} holds peptide sequences, e.g. "
            f"{filled.iloc[0]!r}), not a protein-level quantity table",
            file=table.path, column=id_column,
            expected="the protein-level table of the same analysis (one row per protein or protein group)",
        )
    if len(filled) >= REPEATED_MIN_ROWS and filled.nunique() <= REPEATED_MAX_SHARE * len(filled):
        raise SecretomeInputError(  # its repeats would be made unique as "F", "F#2", ... and read as proteins
            f"no protein identifier column: the first text column {id_column!r} repeats its values "
            f"({filled.nunique()} distinct in {len(filled)} rows, e.g. {filled.iloc[0]!r}), as the attribute "
            "columns of a sample sheet or clinical table do, so this is not a protein-level quantity table (a protein "
            "table names each protein once)",
            file=table.path, column=id_column,
            expected="one text column of protein or gene identifiers, one per row",
        )


#: Share of a column's cells that must read as peptide sequences for the column to be one.
PEPTIDE_SHARE = 0.95
#: A TMT or iTRAQ reporter channel's name (126, 127N ... 135N of TMT 6- to 18-plex; 113-121 of iTRAQ).
_ISOBARIC_CHANNEL = re.compile(r"^(?:1[1-3]\d[NC]?|11[3-9]|121)$")
_MODIFICATION_MARKS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|[+-]\d+(?:\.\d+)?|^_+|_+$|^[A-Z-]\.|\.[A-Z-]$")
"""What modified-peptide notations add to the residues: ``S[Phospho (STY)]``, ``C(UniMod:4)``, ``M(ox)``, mass
shifts (``+229.163``, ``[+57.021]``), MaxQuant's ``_`` flanks and the ``K.PEPTIDE.R`` dots."""


_PRECURSOR_ID = re.compile(r"^\d+_([A-Z]{6,})_\d+(?:_\w+)?$")
"""An OpenSWATH-style precursor identifier: a number, the peptide, its charge (``4776_KDLYANTVLSGGTTMYPGIADR_3_run0``)."""


def _precursor_ids(frame: pd.DataFrame, column: str) -> bool:
    """Whether a column holds precursor identifiers that carry a peptide sequence (its first 200 filled cells)."""
    values = text_column(frame, column).head(200)
    values = values[values != ""]
    return bool(len(values)) and float(values.str.fullmatch(_PRECURSOR_ID.pattern).mean()) >= PEPTIDE_SHARE


def _repeats_few(frame: pd.DataFrame, column: str) -> bool:
    """Whether a text column repeats a few values down its rows (a design attribute: 'control', 'treated')."""
    values = text_column(frame, column)
    values = values[values != ""]
    return len(values) >= 4 and values.nunique() <= len(values) / 2


def _peptide_sequences(frame: pd.DataFrame, column: str) -> bool:
    """Whether a text column holds peptide sequences (its first 200 filled cells, mostly upper case), with any
    modification notation (:data:`_MODIFICATION_MARKS`) read past."""
    values = text_column(frame, column).head(200)
    values = values[values != ""].str.replace(_MODIFICATION_MARKS, "", regex=True)
    # (nearly) all: a few cells may carry a modification code of their own (AutoRT writes oxidised M as '1')
    return bool(len(values)) and float(values.str.fullmatch(_PEPTIDE_SEQUENCE.pattern).mean()) >= PEPTIDE_SHARE and float(
        values.str.count(r"[A-Z]").sum()) > 0.8 * float(values.str.len().sum())


def _row_numbers(frame: pd.DataFrame, column: str) -> bool:
    """An integer column counting 1..n or 0..n-1 down the rows (R write.csv / pandas index), or a pandas
    index kept after the rows were sorted (0..n-1 in another order; design codes such as experiments count
    from 1)."""
    series = frame[column]
    n = len(series)
    if n < 2 or series.dtype.kind not in "iu":  # row numbers are whole numbers without gaps
        return False
    values = series.to_numpy(dtype=np.float64)
    if values[0] in (0.0, 1.0) and bool(np.array_equal(values, np.arange(values[0], values[0] + n))):
        return True
    return bool(np.array_equal(np.sort(values), np.arange(n)))


def _row_sums(frame: pd.DataFrame, candidates: list[str]) -> set[str]:
    """Columns equal to the row sum of the other candidate columns (a total 'Intensity' beside its samples)."""
    if len(candidates) < 3:
        return set()
    kinds = _dtype_kinds(frame)
    numeric = [c for c in candidates if kinds[c] in "iuf"]
    if len(numeric) < 3:
        return set()
    candidates = numeric  # text cells in a sample column are an error later; sums are over parsed numbers
    block = frame[candidates].to_numpy(dtype=np.float64)
    total = np.nansum(block, axis=1)

    def matches(rows: slice, columns: np.ndarray) -> np.ndarray:
        target = block[rows][:, columns]
        rest = total[rows, None] - np.nan_to_num(target)
        ok = np.isfinite(target) & (rest != 0)
        with np.errstate(invalid="ignore"):
            close = np.abs(target - rest) <= 1e-6 * np.abs(rest)
        return (close | ~ok).all(axis=0) & (ok.sum(axis=0) >= min(3, rows.stop or len(block)))

    everything = np.arange(len(candidates))
    screened = everything[matches(slice(0, 32), everything)]  # a sample column fails within a few rows
    if screened.size == 0:
        return set()
    full = screened[matches(slice(0, len(block)), screened)]
    return {candidates[j] for j in full}


def _refuse_one_run_sample_sheet(table: RawTable, column: str, filled: pd.Series) -> None:
    """A sample sheet of one run or plex: its run column names the same file on every row (TMT channels of
    one plex), beside design attributes (condition, replicate, sex ...). One file repeated is no long
    table of several samples; refuse it as the sample sheet it is."""
    if filled.nunique() != 1:
        return
    design = _design_columns([str(c) for c in table.frame.columns if c != column])
    if len(design) >= 2:
        raise SecretomeInputError(
            f"this is a sample sheet of one run (one row per sample or channel: column {column!r} names the same "
            f"file {filled.iloc[0]!r} on every row, beside the design attributes "
            + ", ".join(f"{c!r} ({m})" for c, m in design.items())
            + ", data/sample_sheet_columns.tsv), not a protein-level quantity table",
            file=table.path, column=column,
            expected="a protein table (one row per protein, one quantity column per sample) as INPUT; give this "
            "file as the sample sheet (samples=)",
        )


def _refuse_long_format(table: RawTable, id_column: str, text_columns: list[str]) -> None:
    """Refuse a long table (one row per feature and sample): a text column named like a sample column
    (``sample``, ``run``, ``raw file`` ...) whose names repeat means its numbers are one quantity of many
    samples, which a wide read would take as one "sample" named after the quantity column. A wide table (three
    numeric columns or more) whose identifiers do not repeat is no long table: its repeating ``NAME`` is an
    annotation (a functional bin's name)."""
    ids = text_column(table.frame, id_column)
    numeric = sum(1 for dtype in table.frame.dtypes if dtype.kind in "fiu")  # (not column by column: 20 us each)
    if numeric >= 3 and not ids[ids != ""].duplicated().any():
        return
    for column in text_columns:
        if _spaced_key(bare_name(column)) not in SAMPLE_NAME_COLUMNS:
            continue
        values = text_column(table.frame, column)
        filled = values[values != ""]
        if len(filled) > 1 and filled.nunique() < len(filled):
            _refuse_one_run_sample_sheet(table, column, filled)
            # no quantity at all: a sample sheet whose sample names repeat over its rows (one row per raw file)
            _refuse_sample_sheet(table, [str(c) for c in table.frame.columns if table.frame[c].dtype.kind in "fiu"])
            sequences = next((c for c in text_columns if _peptide_sequences(table.frame, c)), None)
            level = f"a peptide-level long-format table (column {sequences!r} holds peptide sequences; " if sequences else (
                "a long-format table (")
            raise SecretomeInputError(
                f"this is {level}one row per feature and sample: column {column!r} repeats "
                f"{filled.nunique()} sample names over {len(filled)} rows), not a protein-level quantity table with a column per sample",
                file=table.path, column=column,
                expected="one row per protein and one column per sample (pivot the long table first)",
            )


def _accession_column(frame: pd.DataFrame, columns: list[str]) -> str | None:
    """The first of ``columns`` that holds a protein accession (UniProt accession or entry name) in every row:
    at least 90% of the ``;``-separated tokens of its first 200 rows look like one, and no row is empty."""
    for column in columns:
        values = text_column(frame, column)
        if values.empty or (values == "").any():
            continue
        if _accession_share(values, piped=False) >= 0.9:
            return column
    return None


def _accession_share(values: pd.Series, *, piped: bool) -> float:
    """The share of the ``;``-separated tokens of the first 200 cells that look like a protein accession (UniProt
    accession or entry name; with ``piped``, any ``db|acc|name`` token too); 0 when there is none."""
    tokens = [t.strip() for text in values.head(200) for t in text.split(";") if t.strip()]
    protein_like = sum(1 for t in tokens if ACCESSION_RE.match(t.split("|")[-1]) or ENTRY_NAME_RE.match(t)
                       or (piped and "|" in t))
    return protein_like / len(tokens) if tokens else 0.0


def column_roles(table: RawTable, types: dict[str, str] | None = None, quantity: str | None = None) -> Roles:
    """Assign roles: identifier, gene and description columns, sample columns, and every column left out
    with its reason.

    ``types`` (Perseus) maps column -> type letter: E = sample, T/C/M = text, N = numeric annotation.
    ``quantity`` picks one of several quantity families over the same samples (:func:`quantity_families`).
    """
    frame = table.frame
    columns = list(frame.columns)
    types = types or {}
    workbook = table.delimiter is None
    textual = _text_columns(frame, types, workbook)
    dtype_kinds = _dtype_kinds(frame)
    id_column = _find(textual, PROTEIN_ID_NAMES)  # a numeric "Protein ID"/"Protein Group" is a row number
    kind = "protein"
    if id_column is None:
        id_column = _find(textual, GENE_ID_NAMES)
        kind = "gene"
        accessions = _accession_column(frame, [c for c in textual if c != id_column and types.get(c) in (None, "T")])
        if id_column is not None and accessions is not None:
            # a gene column beside a full column of accessions under a name of its own ('id'): the accessions
            # identify every row, the gene names (which may be empty) annotate them
            id_column, kind = accessions, "protein"
    unnamed_identifiers: list[str] = []  # the text columns, when no column is named for identifiers
    if id_column is None:
        text_columns = [c for c in textual if types.get(c) in (None, "T")]
        if not text_columns:
            raise SecretomeInputError(
                "no identifier column: every column is numeric, so no row names a protein: this is not a "
                "protein-level quantity table", file=table.path,
                expected="one text column of protein or gene identifiers",
            )
        id_column = text_columns[0]
        kind = "protein" if _accession_share(text_column(frame, id_column), piped=True) >= 0.5 else "gene"
        if _spaced_key(bare_name(id_column)) in SAMPLE_NAME_COLUMNS:
            # a sample sheet passed as the data: its sample names would become "proteins"
            raise SecretomeInputError(
                "this looks like a sample sheet (its first text column names samples), not a protein-level quantity table",
                file=table.path, column=id_column,
                expected="a protein table as INPUT; give a sample sheet as samples=",
            )
        unnamed_identifiers = text_columns
        filled = text_column(frame, id_column)
        filled = filled[filled != ""]
        if len(filled) > 1 and filled.nunique() == 1:
            # one value down the whole column names nothing: its rows would be one "protein" many times over
            raise SecretomeInputError(
                f"no protein identifier column: the first text column {id_column!r} holds one value "
                f"({filled.iloc[0]!r}) in all {len(filled)} rows, so this is not a protein-level quantity table",
                file=table.path, column=id_column,
                expected="one text column of protein or gene identifiers, one per row",
            )
    if _spaced_key(bare_name(id_column)) in _PEPTIDE_KEYS:
        raise SecretomeInputError(
            f"this is a peptide-, ion- or spectrum-level table (keyed on {id_column!r}), not a protein-level quantity table",
            file=table.path, column=id_column,
            expected="a protein table (one row per protein group) from the same analysis",
        )
    _refuse_long_format(table, id_column, [c for c in textual if c != id_column and types.get(c) in (None, "T")])
    _refuse_peptide_rows(table, id_column, [c for c in textual if c != id_column and types.get(c) in (None, "T")])
    if unnamed_identifiers:
        _refuse_named_sample_sheet(table, id_column, unnamed_identifiers)
    gene_column = _find([c for c in textual if c != id_column], GENE_ID_NAMES) if kind == "protein" else None
    description_column = _find([c for c in textual if c != id_column], DESCRIPTION_NAMES)
    used = {id_column, gene_column, description_column}
    candidates: list[str] = []
    reasons: dict[str, str] = {}
    codes: list[str] = []
    numeric_columns = [c for c in columns if dtype_kinds[c] in "fiu" and c not in used]
    has_value, category = _numeric_block_facts(frame, numeric_columns)
    held = numeric_as_written(table)
    for column in columns:
        if column in used:
            continue
        kind_letter = types.get(column)
        if kind_letter == "E":
            candidates.append(column)
            continue
        # a column written in the other convention of a file that mixes them is numeric when its cells are
        # numbers of its own convention: it is then judged as any numeric column (a sample taken from it
        # is refused with the samples of the other convention when the quantity cells are settled)
        numeric = (has_value[column] if column in has_value else held[column] if column in held
                   else _mostly_numeric(frame[column], workbook))
        if kind_letter in ("T", "C", "M", "N"):
            reasons[column] = f"Perseus type {kind_letter} (annotation, not an expression column)"
            continue
        if not numeric:
            reasons[column] = TEXT_REASON
            continue
        name = bare_name(column)
        if name.casefold() in PROTEIN_ID_NAMES or name.casefold() in GENE_ID_NAMES:
            reasons[column] = "numeric identifier column"
            continue
        rule = non_sample_reason(column)
        if rule is not None:
            reasons[column] = f"{rule}{_RULE_SOURCE}"
            continue
        if name.startswith("(unnamed column") or (dtype_kinds[column] in "iu" and _row_numbers(frame, column)):
            reasons[column] = "unnamed column or row numbers, not a sample" if name.startswith("(unnamed") else "row numbers (1..n), not a sample"
            continue
        code = category[column] if column in category else _is_category_code(frame[column])
        if code:
            codes.append(column)
            reasons[column] = f"category code (at most {CATEGORY_MAX_LEVELS} distinct integers)"
            continue
        candidates.append(column)
    if any(_names_statistic(reason) for reason in reasons.values()):
        for column in list(candidates):
            name = bare_name(column)
            rule = next((reason for pattern, reason in statistic_context_rules() if pattern.search(name)), None)
            if rule is not None and types.get(column) != "E":
                candidates.remove(column)
                reasons[column] = f"{rule}{_RULE_SOURCE}"
    if codes and any(_integer_valued(frame[c]) for c in candidates if types.get(c) != "E"):
        # a count matrix (spectral counts): a sparse sample has few distinct counts but is a sample, not a code
        kept = set(candidates) | set(codes)
        candidates = [c for c in columns if c in kept]
        for column in codes:
            del reasons[column]
    if not any(types.get(c) == "E" for c in candidates):
        kept = set(candidates) | set(codes)
        _refuse_sample_sheet(table, [c for c in columns if c in kept])
    untyped = [c for c in candidates if types.get(c) != "E"]
    for column in sorted(_group_summaries(frame, untyped), key=columns.index):
        reasons[column] = "group summary (row mean or median of its group's columns)"
    for column in sorted(_row_sums(frame, [c for c in untyped if c not in reasons]), key=columns.index):
        reasons[column] = "row sum of the other numeric columns"
    samples = [c for c in candidates if c not in reasons]
    sample_names: list[str] | None = None
    chosen = QUANTITY
    if not samples:
        summary, profile = summary_profile(frame, reasons)
        if profile:
            samples, chosen = profile, summary
            for column in profile:
                del reasons[column]
    families = quantity_families(samples)
    if families:
        chosen = choose_family(table, families, quantity)
        members = families[chosen]
        family_of = {column: label for label, cols in families.items() for column in cols.values()}
        for column in samples:
            label = family_of.get(column)
            if label is None:
                reasons[column] = f"outside the quantity families over samples {sorted(members)[:4]}"
            elif label != chosen:
                reasons[column] = f"quantity family {label!r} (not chosen; quantity={label!r} reads it)"
        by_column = {column: sample for sample, column in members.items()}
        samples = [c for c in samples if c in by_column]
        sample_names = [by_column[c] for c in samples]
    elif quantity is not None and quantity.strip().casefold() != QUANTITY:
        raise SecretomeInputError(
            f"quantity {quantity!r} does not apply: this generic table has one family of sample columns",
            file=table.path, expected="no quantity (all numeric sample columns are read)",
        )
    else:
        family, outside = one_family_outsiders([c for c in samples if types.get(c) != "E"])
        for column in outside:
            reasons[column] = f"outside the quantity family {family!r} of the other sample columns (names no sample of it)"
        samples = [c for c in samples if c not in outside]
        chosen = _family_of_all(samples) or chosen
    ignored = [c for c in columns if c in reasons]
    return Roles(id_column, kind, gene_column, description_column, samples, ignored, reasons, sample_names, chosen)


def parsed_from_roles(
    table: RawTable,
    roles: Roles,
    *,
    format_name: str,
    format_version: str,
) -> Parsed:
    """Build a :class:`Parsed` from assigned column roles (shared with the Perseus reader)."""
    frame = table.frame
    samples, ignored = roles.samples, roles.ignored
    _refuse_settings(table, roles.id_column)
    if not samples:
        named = [c for c in [roles.id_column, *ignored] if _spaced_key(bare_name(c)) in SAMPLE_NAME_COLUMNS]
        design = _design_columns([c for c in [roles.id_column, *ignored] if c not in named])
        if not named and _names_run_files(text_column(frame, roles.id_column)):
            named = [roles.id_column]  # a map of raw files to sample names ('current_names' -> 'New_names')
        if not design and not named and all(roles.reasons[c] == TEXT_REASON for c in ignored):
            # a sheet written sideways: its first column names design attributes ('Condition', 'Replicate')
            # and its header the samples
            design = {f"row {value!r}": meaning for value, meaning in
                      _design_columns(text_column(frame, roles.id_column).tolist()).items()}
            named = [roles.id_column] if design else []
        sideways = bool(design) and all(column.startswith("row ") for column in design)
        if not named and len(design) >= 2:
            # no numbers at all and two or more per-sample design attributes (a text Group, Replicates,
            # Experiment): a sample sheet whose sample column has a name of its own ('Colnames')
            named = [roles.id_column]
        if not named and len(design) == 1 and frame.shape[1] == 2 and _repeats_few(frame, next(iter(design))) \
                and text_column(frame, roles.id_column).is_unique:
            # distinct names beside one repeated design attribute (R's metadata data frame: row names and
            # 'condition'): a two-column sample sheet
            named = [roles.id_column]
        sequences = next((c for c in [roles.id_column, *ignored] if _peptide_sequences(frame, c)), None)
        statistics = [c for c in ignored if _names_statistic(roles.reasons[c])]
        # two statistics or more (logFC beside a p-value) make a result table even when a text column is
        # named like a sample-sheet column ('Label')
        if statistics and (not named or len(statistics) >= 2) and not sequences:
            enrichment = any("enrichment" in roles.reasons[c] for c in ignored)
            raise SecretomeInputError(
                f"this is {'an enrichment' if enrichment else 'a differential'}-result table (its numeric columns "
                "are statistics or summaries, not "
                f"per-sample quantities: {ignored[:6]}, e.g. {statistics[0]!r}: {roles.reasons[statistics[0]]}), "
                "not a protein-level quantity table",
                file=table.path, column=statistics[0],
                expected="the protein quantity table (an identifier column plus one quantity column per sample) "
                "the statistics were computed from",
            )
        raise SecretomeInputError(
            (("this looks like a sample sheet written sideways (its header names samples" if sideways else
              f"this looks like a sample sheet (column {named[0]!r} names samples")
             + (", and " + ", ".join(f"{c!r} ({m})" for c, m in design.items()) + " are per-sample design attributes"
                if design else "")
             + ") with no numeric sample columns, not a protein-level quantity table" if named else
             f"this is a peptide list (column {sequences!r} holds peptide sequences) with no numeric sample "
             "columns, not a protein-level quantity table" if sequences else
             "no numeric sample columns: this is not a protein-level quantity table")
            + (f" (non-sample columns: {ignored[:6]})" if ignored else ""),
            file=table.path, column=named[0] if named else None,
            expected="an identifier column plus one numeric quantity column per sample"
            + ("; give a sample sheet as samples=" if named else ""),
        )
    _refuse_indicator_sheet(table, roles)
    _refuse_header_rows(table, samples)
    _refuse_identifiers_of_no_protein(table, roles.id_column)
    _refuse_donor_attributes(table, samples)
    values = numeric_block(table, samples)
    ids = parse_protein_groups(
        text_column(frame, roles.id_column).tolist(),
        kind=roles.id_kind,
        genes=text_column(frame, roles.gene_column).tolist() if roles.gene_column else None,
        descriptions=text_column(frame, roles.description_column).tolist() if roles.description_column else None,
    )
    read_columns = [c for c in (roles.gene_column, roles.description_column) if c]
    return Parsed(
        table=table,
        format=format_name,
        format_version=format_version,
        quantity=roles.quantity,
        values=values,
        sample_names=roles.sample_names or [bare_name(c) for c in samples],
        sample_columns=samples,
        ids=ids,
        id_column=roles.id_column,
        id_kind=roles.id_kind,
        ignored_columns=ignored,
        unread=dict(roles.reasons),
        read_columns=read_columns,
    )


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a generic wide table; ``quantity`` picks one of several quantity families over the same samples."""
    roles = column_roles(table, quantity=quantity)
    version = ("wide table" if roles.sample_names is None else f"wide table with quantity families ({roles.quantity})")
    if roles.quantity in ("median", "mean"):
        version = f"wide table of one {roles.quantity} per column (its only numbers: read as the table's values)"
    return parsed_from_roles(table, roles, format_name=FORMAT, format_version=version)
