"""Quality control and purity indices of secretome preparations (samples x proteins AnnData).

What it computes, per sample:

* identifications (``n_proteins``) and missingness (``missing_share``);
* intensity distributions (log2 quantiles), sample-sample Pearson correlation on log2 values with
  pairwise-complete observations, and a PCA (per-sample median centring; proteins quantified in at
  least ``settings.pca_min_detection`` of samples; remaining gaps set to the protein mean; the first
  components from an eigendecomposition of the smaller cross-product matrix);
* robust outliers: modified z-scores (median/MAD, Iglewicz & Hoaglin 1993) of each sample's median
  correlation to the others and of its standardised PCA score distance;
* purity indices as shares of the sample's total *linear* quantity (``2**X`` when
  ``uns['source']['is_log2']``), from an exclusive partition of the proteins (first rule that matches):

  1. ``serum``: a ``serum_marker`` or ``secretion_class == contaminant_serum``, or a serum-species
     protein (``settings.serum_species``, bovine by default) that the KB does not call a handling
     contaminant (bovine keratin or trypsin stay ``handling``); with a human supplement named in the sample
     sheet (``settings.supplement_column``: human serum, human platelet lysate) the proteins it brings in
     (immunoglobulins, platelet factors: ``kb/data/curated/supplement_proteins.tsv``). A ``mixed_species``
     group (a human protein grouped with a bovine contaminant entry through shared peptides) is decided by
     the engine's evidence: in formats whose groups lead with the razor/leading protein
     (``settings.leading_protein_formats``) a group led by its bovine member is serum (also reported as
     ``serum_mixed_share``) and one led by its human member is the human protein; any other mixed group is
     ambiguous: reported as ``serum_ambiguous_share`` and classified by its human member, unless
     ``settings.mixed_species_counts_as_serum`` counts it as serum;
  2. ``handling``: ``handling_contaminant`` or ``secretion_class == contaminant_handling``
     (non-serum ones, see 1);
  3. ``lysis``: a ``lysis_marker`` or ``secretion_class == intracellular`` (which includes leaderless
     cytosolic proteins with a database 'Secreted' flag that are not curated as unconventionally secreted);
  4. ``ev``: ``secretion_class == ev_cargo``; 5. ``secreted`` (classical and curated unconventional
     secretion); 6. ``membrane``; 7. ``unknown``.

  The seven shares sum to 1. Decoys are left out of the total.
* within-group coefficients of variation (linear scale) and their medians.

Every verdict says the rule it used, e.g. ``fail: serum_share 0.31 > 0.2 (qc_thresholds.toml:
serum_share.fail)``. Limits come from ``config/qc_thresholds.toml`` and can be overridden by a config
file or ``key=value`` settings (see :func:`load_thresholds`).
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
from anndata import AnnData

from secretome.config import config as shipped_defaults
from secretome.errors import SecretomeInputError
from secretome.kb.vocab import LYSIS_CATEGORIES
from secretome.provenance import record_step

THRESHOLDS_FILE = "qc_thresholds.toml"

OVERRIDE = "override"
"""Origin of a value set through ``load_thresholds(overrides=...)``, as verdicts cite it (``override: serum_share.fail``)."""

@dataclass(frozen=True)
class PurityCategory:
    """One purity index: a category of the exclusive protein partition and what the report says of it.

    ``name`` gives the obs column ``<name>_share``; ``flagged`` indices get pass/warn/fail verdicts from
    ``[<name>_share]`` of ``qc_thresholds.toml`` (or from ``limits`` when that file has no such table:
    ``direction``, ``warn``, ``fail``, ``source``). The built-in categories' rules are in
    :func:`purity_categories`; a new category brings its ``rule``: a function of the dataset returning a
    boolean mask over ``adata.var`` (the proteins it claims) and the reason recorded for them, applied just
    before the first rule of the category named ``before`` (default: before ``unknown``, i.e. after every
    built-in rule).
    """

    name: str
    colour: str
    method: str
    flagged: bool = False
    limits: Mapping[str, Any] | None = None
    rule: Callable[[AnnData], tuple[np.ndarray, str]] | None = None
    before: str = "unknown"

    @property
    def share(self) -> str:
        return f"{self.name}_share"


PURITY_REGISTRY: list[PurityCategory] = [
    PurityCategory(
        name='serum', colour='#d62728', flagged=True,
        method="KB serum markers, contaminant_serum proteins and other bovine (settings.serum_species) proteins that are not handling contaminants such as keratin or trypsin: FBS/culture-serum carry-over (bovine milk proteins count here too: the contaminant library gives FBS-containing medium as their source); with human serum or platelet lysate named in the sample sheet's supplement column, the immunoglobulins and platelet factors it brings. A human/bovine mixed group counts here when the engine's leading (razor) protein is the bovine member (shown alone as serum_mixed_share); without such evidence it is reported as serum_ambiguous_share and not counted.",
    ),
    PurityCategory(
        name='handling', colour='#ff7f0e', flagged=True,
        method='Handling contaminants (keratins, trypsin, other laboratory contaminants) from the KB.',
    ),
    PurityCategory(
        name='lysis', colour='#8c564b', flagged=True,
        method="Intracellular proteins (including leaderless cytosolic proteins with a database 'Secreted' flag, e.g. PPIA, TXN, GPI) and named lysis markers (LDH, histones, ribosomal and mitochondrial proteins): leakage from dying or broken cells.",
    ),
    PurityCategory(
        name='ev', colour='#9467bd', flagged=True,
        method='Proteins the KB classes as EV cargo (vesicle content).',
    ),
    PurityCategory(
        name='secreted', colour='#2ca02c', flagged=True,
        method='Classically secreted proteins (signal peptide or UniProt secreted, no transmembrane segment) and curated unconventionally secreted ones (FGF2, IL-1 family, HMGB1, galectins) left after the rules above: the genuinely secreted share. Leaderless cytosolic proteins count as lysis.',
    ),
    PurityCategory(
        name='membrane', colour='#17becf', flagged=False,
        method='Membrane proteins (shed or vesicle-bound); context, not flagged.',
    ),
    PurityCategory(
        name='unknown', colour='#c7c7c7', flagged=False,
        method='Proteins without localisation evidence; context, not flagged.',
    ),
]
"""The purity indices, in precedence order (a protein counts in the first category whose rule matches).
A new index is one entry here (or one :func:`register_purity_category` call): shares, flags, verdicts,
summary, tables, report and figures follow from it."""


def registry_of(adata: AnnData) -> pd.DataFrame:
    """The purity categories a QC'd dataset was partitioned with (``uns['qc']['purity_registry']``: name,
    colour, flagged, method, in precedence order), so tables and reports follow the dataset, not the
    registry of the running process."""
    return adata.uns["qc"]["purity_registry"]


def purity_category_names() -> tuple[str, ...]:
    """The partition's categories in precedence order."""
    return tuple(category.name for category in PURITY_REGISTRY)


def flagged_indices() -> tuple[str, ...]:
    """The purity indices (``<name>_share``) that get a pass/warn/fail verdict."""
    return tuple(category.share for category in PURITY_REGISTRY if category.flagged)


def purity_colours() -> dict[str, str]:
    """The colour of each purity category in figures."""
    return {category.name: category.colour for category in PURITY_REGISTRY}


def purity_method_texts() -> dict[str, str]:
    """The method text of every purity category, in precedence order."""
    return {category.name: category.method for category in PURITY_REGISTRY}


def register_purity_category(category: PurityCategory) -> None:
    """Add a purity index (see :class:`PurityCategory`) before ``category.before`` in precedence order."""
    if category.name in purity_category_names() or category.name == "decoy":
        raise ValueError(f"a purity category {category.name!r} exists already")
    if category.rule is None:
        raise ValueError(f"purity category {category.name!r} has no rule")
    names = purity_category_names()
    if category.before not in names:
        raise ValueError(f"purity category {category.name!r}: before={category.before!r} is not a category ({', '.join(names)})")
    PURITY_REGISTRY.insert(names.index(category.before), category)


def unregister_purity_category(name: str) -> None:
    """Remove a purity index added by :func:`register_purity_category` (built-in ones cannot be removed)."""
    for index, category in enumerate(PURITY_REGISTRY):
        if category.name == name and category.rule is not None:
            del PURITY_REGISTRY[index]
            return
    raise ValueError(f"no registered purity category {name!r} to remove")


REQUIRED_VAR = (
    "secretion_class",
    "species",
    "mixed_species",
    "serum_marker",
    "handling_contaminant",
    "lysis_marker",
    "lysis_category",
    "gene",
)

_LEVELS = ("pass", "warn", "fail")
_DIRECTIONS = ("above", "below", "below_median_fraction")


# --------------------------------------------------------------------------------------- thresholds
@dataclass
class Thresholds:
    """QC limits and settings, each value remembering where it came from (for verdict citations)."""

    values: dict[str, dict[str, Any]]
    origins: dict[str, str] = field(default_factory=dict)

    def limit(self, metric: str, level: str) -> float:
        """The ``warn`` or ``fail`` limit of a metric."""
        return float(self.values[metric][level])

    def direction(self, metric: str) -> str:
        return str(self.values[metric]["direction"])

    def setting(self, name: str) -> Any:
        return self.values["settings"][name]

    def cite(self, metric: str, level: str) -> str:
        """Where a limit comes from, e.g. ``qc_thresholds.toml: serum_share.fail``."""
        key = f"{metric}.{level}"
        return f"{self.origins.get(key, THRESHOLDS_FILE)}: {key}"

    def as_dict(self) -> dict[str, Any]:
        """Plain nested copy (values, with the origin of every overridden key)."""
        return {"values": copy.deepcopy(self.values), "overridden": dict(self.origins)}


def load_thresholds(
    config: str | Path | Mapping[str, Any] | None = None,
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
) -> Thresholds:
    """Defaults from ``qc_thresholds.toml``, then a config TOML file (or mapping), then ``key=value`` overrides.

    Keys are ``section.name`` (e.g. ``serum_share.fail`` or ``settings.top_n``). Unknown keys, wrong
    types and warn/fail limits in the wrong order are input errors naming the source.
    """
    values = copy.deepcopy(shipped_defaults("qc_thresholds"))  # the cached defaults are shared; this copy is changed
    for category in PURITY_REGISTRY:  # a registered index brings its limits unless the file has them
        if category.flagged and category.share not in values:
            if category.limits is None:
                raise ValueError(f"purity category {category.name!r} is flagged but has no limits")
            values[category.share] = dict(category.limits)
    thresholds = Thresholds(values=values)
    if config is not None:
        if isinstance(config, Mapping):
            source, data = "config", dict(config)
        else:
            config_path = Path(config)
            try:
                data = tomllib.loads(config_path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise SecretomeInputError("config file not found", file=config_path) from None
            except tomllib.TOMLDecodeError as error:
                raise SecretomeInputError(f"not valid TOML: {error}", file=config_path) from None
            except (OSError, UnicodeDecodeError) as error:
                reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
                raise SecretomeInputError(
                    f"cannot read the config file ({reason})", file=config_path, expected="a UTF-8 TOML file"
                ) from None
            source = config_path.name
        for section, entries in data.items():
            if not isinstance(entries, Mapping):
                raise SecretomeInputError(
                    f"top-level key {section!r} is not a table",
                    file=source,
                    expected=f"tables as in {THRESHOLDS_FILE}, e.g. [serum_share] fail = 0.3",
                )
            for name, value in entries.items():
                _set_value(thresholds, f"{section}.{name}", value, source)
    if overrides is not None:
        items = overrides.items() if isinstance(overrides, Mapping) else (_split_setting(s) for s in overrides)
        for key, value in items:
            _set_value(thresholds, key, _parse_value(value) if isinstance(value, str) else value, OVERRIDE)
    _validate(thresholds)
    return thresholds


def _split_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise SecretomeInputError(f"setting {text!r} has no '='", expected="key=value, e.g. serum_share.fail=0.3")
    key, value = text.split("=", 1)
    return key.strip(), value.strip()


def _parse_value(text: str) -> Any:
    """A ``--set`` value as TOML (numbers, booleans, arrays); anything else stays a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _where(source: str) -> dict[str, Any]:
    """Error location of a threshold value: its config file, or the ``overrides`` parameter."""
    return {"parameters": ("overrides",)} if source == OVERRIDE else {"file": source}


def _set_value(thresholds: Thresholds, key: str, value: Any, source: str) -> None:
    section, _, name = key.partition(".")
    known = thresholds.values
    if section not in known or name not in known[section] or name == "source":
        valid = sorted(f"{s}.{n}" for s, entries in known.items() for n in entries if n != "source")
        raise SecretomeInputError(
            f"unknown threshold key {key!r}", **_where(source), expected=f"one of {', '.join(valid)}"
        )
    default = known[section][name]
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok and isinstance(default, float) else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        raise SecretomeInputError(
            f"wrong type for {key!r}: {value!r}", **_where(source),
            expected=f"a value like {json.dumps(default)} (TOML spelling)",
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = _checked_number(key, value, default, source)
    if name == "direction" and value not in _DIRECTIONS:
        raise SecretomeInputError(f"unknown direction {value!r} for {key!r}", **_where(source), expected=str(_DIRECTIONS))
    known[section][name] = value
    thresholds.origins[key] = source


#: Least value of the integer settings: counts below it make the computation meaningless (a CV needs two
#: values, a median/MAD outlier score three samples, a Pearson correlation two shared proteins).
_SETTING_MINIMUM = {"purity_min_proteins": 1, "pca_components": 1, "correlation_min_overlap": 2, "outlier_min_samples": 3,
                    "cv_min_detected": 2, "top_n": 1, "max_heatmap_samples": 0}
#: Settings and metrics whose values are fractions (0..1): the shares, and n_proteins' fraction of the median.
_FRACTIONS = ("pca_min_detection", "n_proteins")


def _checked_number(key: str, value: float, default: float, source: str) -> float:
    """A numeric setting in its domain: finite, whole where the default is an integer, a fraction where it is one."""
    section, _, name = key.partition(".")
    if not math.isfinite(value):
        raise SecretomeInputError(f"{key!r} is {value!r}", **_where(source), expected="a finite number")
    if isinstance(default, int):
        if not float(value).is_integer():
            raise SecretomeInputError(f"{key!r} is {value!r}", **_where(source), expected="a whole number")
        value = int(value)
        least = _SETTING_MINIMUM.get(name, 0)
        if value < least:
            raise SecretomeInputError(f"{key!r} is {value}", **_where(source), expected=f"a whole number >= {least}")
    fraction = section.endswith("_share") or section in _FRACTIONS or name in _FRACTIONS
    if fraction and name != "direction" and not 0 <= value <= 1:
        raise SecretomeInputError(f"{key!r} is {value}", **_where(source), expected="a fraction between 0 and 1")
    return value


def _validate(thresholds: Thresholds) -> None:
    for metric, entries in thresholds.values.items():
        if metric == "settings":
            continue
        warn, fail = float(entries["warn"]), float(entries["fail"])
        above = entries["direction"] == "above"
        if (above and fail < warn) or (not above and fail > warn):
            raise SecretomeInputError(
                f"{metric}: fail limit {fail} is less strict than warn limit {warn}",
                **_where(thresholds.origins.get(f"{metric}.fail", THRESHOLDS_FILE)),
                expected="fail >= warn for 'above' metrics, fail <= warn for 'below' metrics",
            )


# --------------------------------------------------------------------------------------- verdicts
def judge(value: float, metric: str, thresholds: Thresholds, reference: float | None = None) -> tuple[str, str]:
    """Flag a metric value and state the rule: returns (``pass``/``warn``/``fail``, verdict text).

    For ``below_median_fraction`` metrics, ``reference`` is the median the fraction applies to.
    """
    direction = thresholds.direction(metric)
    if value is None or not np.isfinite(value):
        return "fail", f"fail: {metric} could not be computed (no quantified proteins)"
    shown = _fmt(value)
    for level in ("fail", "warn"):
        limit = thresholds.limit(metric, level)
        if direction == "below_median_fraction":
            bound = limit * float(reference if reference is not None else np.nan)
            if value < bound:
                return level, (
                    f"{level}: {metric} {shown} < {_fmt(bound)} = {_fmt(limit)} x median {_fmt(reference)} "
                    f"({thresholds.cite(metric, level)})"
                )
        elif direction == "above" and value > limit:
            return level, f"{level}: {metric} {shown} > {_fmt(limit)} ({thresholds.cite(metric, level)})"
        elif direction == "below" and value < limit:
            return level, f"{level}: {metric} {shown} < {_fmt(limit)} ({thresholds.cite(metric, level)})"
    limit = thresholds.limit(metric, "warn")
    if direction == "below_median_fraction":
        bound = limit * float(reference if reference is not None else np.nan)
        return "pass", f"pass: {metric} {shown} >= {_fmt(bound)} ({thresholds.cite(metric, 'warn')})"
    sign = "<=" if direction == "above" else ">="
    return "pass", f"pass: {metric} {shown} {sign} {_fmt(limit)} ({thresholds.cite(metric, 'warn')})"


def worst(flags: Iterable[str]) -> str:
    """The worst of pass/warn/fail flags (``pass`` for none)."""
    return _LEVELS[max((_LEVELS.index(flag) for flag in flags), default=0)]


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "nan"
    if abs(value) >= 100 or (float(value).is_integer() and abs(value) >= 1):
        return f"{value:.0f}"
    return f"{value:.3g}"


# --------------------------------------------------------------------------------------- matrices
_DERIVED: ContextVar[dict[str, tuple[Any, bool, np.ndarray]] | None] = ContextVar("derived_matrices", default=None)


@contextmanager
def derived_matrices() -> Iterator[None]:
    """Inside this block each dataset's :func:`linear_quantities` and :func:`log2_quantities` are computed once
    and shared (as read-only arrays) by every stage that asks for them; outside it they are computed afresh.

    A stage that changes ``adata.X`` in place must not run inside the block (a new ``X`` object is noticed).
    Nested blocks share the outermost cache.
    """
    if _DERIVED.get() is not None:
        yield
        return
    token = _DERIVED.set({})
    try:
        yield
    finally:
        _DERIVED.reset(token)


def _derived(adata: AnnData, kind: str, compute: Callable[[np.ndarray, bool], np.ndarray]) -> np.ndarray:
    """``compute(X, is_log2)``, cached for ``adata``'s current ``X`` inside :func:`derived_matrices`."""
    values = adata.X
    is_log2 = bool(adata.uns.get("source", {}).get("is_log2", False))
    cache = _DERIVED.get()
    if cache is None:
        return compute(np.asarray(values, dtype=float), is_log2)
    key = f"{kind}:{id(values)}"
    hit = cache.get(key)
    if hit is not None and hit[0] is values and hit[1] == is_log2:
        return hit[2]
    result = compute(np.asarray(values, dtype=float), is_log2)
    result.flags.writeable = False
    cache[key] = (values, is_log2, result)
    return result


def _linear(values: np.ndarray, is_log2: bool) -> np.ndarray:
    # the results keep X's memory layout (order K, as numpy.where gave): sums and products over a matrix
    # round alike only on the same layout
    if is_log2:
        with np.errstate(over="ignore"):
            values = np.exp2(values)
    out = np.zeros_like(values)
    with np.errstate(invalid="ignore"):
        np.copyto(out, values, where=values > 0)  # NaN > 0 is False: missing stays 0
    np.copyto(out, 0.0, where=np.isinf(out))
    return out


def _log2(values: np.ndarray, is_log2: bool) -> np.ndarray:
    # column-major, the layout every consumer's sums were made on (QC took a column-major ``[:, usable]`` copy),
    # so that QC can use the matrix itself when no protein is a decoy
    out = np.full(values.shape, np.nan, order="F")
    if is_log2:
        np.copyto(out, values, where=np.isfinite(values))
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log2(values, out=out, where=np.isfinite(values) & (values > 0))
    return out


def linear_quantities(adata: AnnData) -> np.ndarray:
    """Samples x proteins linear quantities (``2**X`` when the source is log2); missing/non-positive -> 0."""
    return _derived(adata, "linear", _linear)


def log2_quantities(adata: AnnData) -> np.ndarray:
    """Samples x proteins log2 quantities; missing (NaN, zero or negative linear values) stays NaN."""
    return _derived(adata, "log2", _log2)


def nanmedian(values: np.ndarray, axis: int, keepdims: bool = False) -> np.ndarray:
    """``numpy.nanmedian`` along ``axis`` (NaN where a slice has no value, without warning), equal to it bit for
    bit, by one sort instead of numpy's masked-array path: 10x faster on samples x proteins matrices."""
    ordered = np.sort(np.asarray(values, dtype=float), axis=axis)  # NaN sorts last
    n = (~np.isnan(ordered)).sum(axis=axis, keepdims=True)
    low = np.take_along_axis(ordered, np.maximum((n - 1) // 2, 0), axis=axis)
    high = np.take_along_axis(ordered, np.maximum(n // 2, 0), axis=axis)
    with np.errstate(invalid="ignore", over="ignore"):
        out = np.where(n > 0, (low + high) / 2, np.nan)
    return out if keepdims else np.squeeze(out, axis=axis)


def row_sums(values: np.ndarray, columns: np.ndarray, block: int = 256) -> np.ndarray:
    """``values[:, columns].sum(axis=1)`` bit for bit (that copy is column-major, so numpy adds its columns in
    order), without the copy: ``block`` columns at a time behind the running sums."""
    index = np.flatnonzero(columns)
    sums = np.zeros(values.shape[0])
    for start in range(0, index.size, block):
        part = np.empty((values.shape[0], 1 + min(block, index.size - start)), order="F")
        part[:, 0] = sums
        part[:, 1:] = values[:, index[start:start + block]]
        sums = part.sum(axis=1)
    return sums


def mean_sample_share(linear: np.ndarray, total: np.ndarray, block: int = 512) -> np.ndarray:
    """Per protein: its share of each sample's ``total``, averaged over the samples with a total:
    ``nanmean(linear / total, axis=0)`` bit for bit, computed ``block`` proteins at a time instead of through a
    samples x proteins matrix of shares (and numpy's NaN-replaced copy of it)."""
    divisor = np.where(total > 0, total, np.nan)[:, None]
    out = np.empty(linear.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a table without any sample total: NaN, as nanmean gives
        for start in range(0, linear.shape[1], block):
            out[start:start + block] = np.nanmean(linear[:, start:start + block] / divisor, axis=0)
    return out


def _usable(adata: AnnData) -> np.ndarray:
    """Boolean mask of proteins that count (everything but decoys)."""
    if "is_decoy" in adata.var:
        return ~adata.var["is_decoy"].to_numpy(dtype=bool)
    return np.ones(adata.n_vars, dtype=bool)


# --------------------------------------------------------------------------------------- purity
def purity_categories(adata: AnnData, thresholds: Thresholds) -> pd.DataFrame:
    """Assign every protein to one purity category and say which rule put it there.

    Returns a frame indexed like ``adata.var`` with ``purity_category``, ``purity_rule`` and
    ``serum_mixed`` (a mixed-species group counted as serum).
    """
    _require_annotation(adata)
    var = adata.var
    n = adata.n_vars
    serum_species = {s.upper() for s in thresholds.setting("serum_species")}
    species = np.char.upper(as_text(var["species"]))
    species_sets = [set(filter(None, s.replace(",", ";").split(";"))) for s in species]
    serum_species_hit = np.array([bool(s & serum_species) for s in species_sets], dtype=bool)
    mixed = _bool(var["mixed_species"])
    serum_marker = _bool(var["serum_marker"])
    secretion = as_text(var["secretion_class"], "unknown")
    counts_mixed = bool(thresholds.setting("mixed_species_counts_as_serum"))

    category = np.full(n, "unknown", dtype=object)
    rule = np.full(n, "secretion_class=unknown", dtype=object)
    serum_mixed = np.zeros(n, dtype=bool)
    assigned = np.zeros(n, dtype=bool)

    registered = [entry for entry in PURITY_REGISTRY if entry.rule is not None]

    def claim(mask: np.ndarray, name: str, why: str | np.ndarray) -> None:
        new = np.asarray(mask, dtype=bool) & ~assigned
        category[new] = name
        rule[new] = why[new] if isinstance(why, np.ndarray) else why
        assigned[new] = True

    def registered_before(name: str) -> None:
        """Registered categories placed before ``name`` claim their proteins ahead of its first rule."""
        for entry in [entry for entry in registered if entry.before == name]:
            registered.remove(entry)
            mask, why = entry.rule(adata)  # type: ignore[misc]
            claim(mask, entry.name, why)

    def take(mask: np.ndarray, name: str, why: str | np.ndarray) -> None:
        registered_before(name)
        claim(mask, name, why)

    handling = _bool(var["handling_contaminant"]) | (secretion == "contaminant_handling")
    # annotate() carries a non-human member's serum_marker over to its mixed group, so serum_marker on a
    # mixed group means "has a serum member" even though species names the chosen (human) member
    mixed_serum = mixed & (serum_species_hit | serum_marker | (secretion == "contaminant_serum"))
    # the engine's evidence decides a mixed group: where the format orders a group by its razor/leading protein
    # (settings.leading_protein_formats), the first member is the one the shared peptides were assigned to
    source_format = str(adata.uns.get("source", {}).get("format", "")).lower()
    lead_known = source_format in {f.lower() for f in thresholds.setting("leading_protein_formats")}
    leading = np.char.upper(as_text(var["leading_species"])) if "leading_species" in var else np.full(n, "")
    led_by_serum = mixed_serum & lead_known & (leading != "") & (leading != "HUMAN")
    led_by_human = mixed_serum & lead_known & (leading == "HUMAN")
    ambiguous = mixed_serum & ~led_by_serum & ~led_by_human
    serum_mixed = led_by_serum | (ambiguous & counts_mixed)
    take(led_by_serum, "serum", np.array([
        f"mixed_species group led by its {sp} member (the {source_format} leading/razor protein)" for sp in leading],
        dtype=object))
    take(ambiguous & counts_mixed, "serum",
         "mixed_species group with a serum member, engine evidence not decisive (settings.mixed_species_counts_as_serum)")
    # without engine evidence a mixed group is reported ambiguous (serum_ambiguous) and classified by its chosen
    # (human) member; its carried-over serum evidence is ignored, as for a group the engine gives to the human member
    eligible = ~mixed | serum_mixed
    species_rule = serum_species_hit & ~mixed
    serum_evidence = np.array(
        ["; ".join(reason for reason, hit in (("serum_marker", m), ("secretion_class=contaminant_serum", c),
                                              (f"species {sp}", h)) if hit)
         for m, c, h, sp in zip(serum_marker, secretion == "contaminant_serum", serum_species_hit, species)],
        dtype=object,
    )
    take((serum_marker | (secretion == "contaminant_serum")) & eligible, "serum", serum_evidence)
    supplement_hit, supplement_why = _supplement_rule(adata, thresholds)
    take(supplement_hit & ~handling & ~mixed, "serum", supplement_why)
    take(handling, "handling", np.where(secretion == "contaminant_handling", "secretion_class=contaminant_handling",
                                        "handling_contaminant").astype(object))
    # a serum-species protein the KB calls a handling contaminant (e.g. bovine keratin or trypsin) stays
    # handling; every other serum-species protein is culture serum
    take(species_rule, "serum", serum_evidence)
    lysis_category = as_text(var["lysis_category"])
    lysis_why = np.array([f"lysis_marker ({c})" if c else "lysis_marker" for c in lysis_category], dtype=object)
    take(_bool(var["lysis_marker"]), "lysis", lysis_why)
    take(secretion == "intracellular", "lysis", "secretion_class=intracellular")
    take(secretion == "ev_cargo", "ev", "secretion_class=ev_cargo")
    take(secretion == "secreted", "secreted", "secretion_class=secreted")
    # a curated leaderless protein with literature-backed secretion (FGF2, IL-1 family, HMGB1, galectins) is
    # secreted, not lysis; every other leaderless cytosolic protein is secretion_class intracellular (lysis above)
    take(secretion == "unconventional", "secreted", "secretion_class=unconventional (curated unconventional secretion)")
    take(secretion == "membrane", "membrane", "secretion_class=membrane")
    human_led = led_by_human & ~serum_mixed
    rule[human_led] = [f"{r}; mixed_species group led by its human member (the {source_format} leading/razor protein)"
                       for r in rule[human_led]]
    rule[ambiguous & ~serum_mixed] = [f"{r}; ambiguous mixed_species group with a serum member (serum_ambiguous)"
                                      for r in rule[ambiguous & ~serum_mixed]]
    registered_before("unknown")
    decoy = ~_usable(adata)
    category[decoy] = "decoy"
    rule[decoy] = "is_decoy (left out of totals)"
    return pd.DataFrame(
        {"purity_category": category.astype(str), "purity_rule": rule.astype(str), "serum_mixed": serum_mixed,
         "serum_ambiguous": ambiguous & ~serum_mixed},
        index=var.index,
    )


def supplements(adata: AnnData, thresholds: Thresholds) -> dict[str, list[str]]:
    """Supplement -> samples whose sample-sheet column ``settings.supplement_column`` names it (values as in
    ``kb/data/curated/supplement_types.tsv``, case-insensitive; empty = not stated). {} without that column."""
    from secretome.kb.store import supplement_types

    column = str(thresholds.setting("supplement_column"))
    if not column or column not in adata.obs:
        return {}
    known = supplement_types()
    out: dict[str, list[str]] = {}
    for sample, value in zip(adata.obs_names, as_text(adata.obs[column])):
        text = value.strip().lower()
        if not text:
            continue
        if text not in known:
            raise SecretomeInputError(
                f"sample {sample!r} has supplement {value!r}", column=column,
                expected=f"one of {', '.join(sorted(known))} (kb/data/curated/supplement_types.tsv) or empty",
            )
        out.setdefault(known[text], []).append(str(sample))
    return out


def _supplement_rule(adata: AnnData, thresholds: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Proteins a human supplement named in the sample sheet brings in (platelet factors, immunoglobulins), with the
    rule text; none without a supplement column or with FBS/serum-free media only."""
    from secretome.kb.store import supplement_markers

    named = supplements(adata, thresholds)
    human = {kind for kind in named if kind in ("human_serum", "human_platelet_lysate")}
    if not human:
        return np.zeros(adata.n_vars, dtype=bool), np.full(adata.n_vars, "", dtype=object)
    hit, reason = supplement_markers(pd.Series(as_text(adata.var["gene"])), human)
    column = thresholds.setting("supplement_column")
    why = np.array([f"supplement marker ({r}); sample sheet '{column}': "
                    + ", ".join(f"{kind} in {len(named[kind])} of {adata.n_obs} samples" for kind in sorted(human))
                    for r in reason], dtype=object)
    return hit, why


def purity_shares(adata: AnnData, categories: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Per-sample shares of total linear quantity: the seven partition shares and their sub-shares.

    ``serum_share = serum_species_share`` (bovine) ``+ serum_marker_share`` (other serum proteins, e.g.
    human serum markers) ``+ serum_mixed_share``; the ``lysis_<category>_share`` are parts of
    ``lysis_share`` with ``lysis_other_share`` (intracellular proteins of no marker category);
    ``ldh_share`` is the named marker LDH (``settings.ldh_genes``) wherever it falls.
    """
    linear = linear_quantities(adata)
    usable = _usable(adata)
    total = row_sums(linear, usable)
    with np.errstate(invalid="ignore", divide="ignore"):
        def share(mask: np.ndarray) -> np.ndarray:
            return linear[:, mask & usable].sum(axis=1) / np.where(total > 0, total, np.nan)

        category = categories["purity_category"].to_numpy()
        out = {f"{name}_share": share(category == name) for name in purity_category_names()}
        var = adata.var
        serum_species = {s.upper() for s in thresholds.setting("serum_species")}
        species_hit = np.array(
            [bool(set(s.replace(",", ";").split(";")) & serum_species) for s in np.char.upper(as_text(var["species"]))],
            dtype=bool,
        )
        out["serum_species_share"] = share((category == "serum") & species_hit & ~categories["serum_mixed"].to_numpy())
        out["serum_mixed_share"] = share(categories["serum_mixed"].to_numpy())
        # ambiguous mixed human/serum groups, not counted as serum (context: at most this much more serum)
        out["serum_ambiguous_share"] = share(categories["serum_ambiguous"].to_numpy())
        out["serum_marker_share"] = share((category == "serum") & ~species_hit & ~categories["serum_mixed"].to_numpy())
        lysis_marker = _bool(var["lysis_marker"])
        lysis_category = as_text(var["lysis_category"])
        out["lysis_marker_share"] = share((category == "lysis") & lysis_marker)
        for name in LYSIS_CATEGORIES:
            out[f"lysis_{name}_share"] = share((category == "lysis") & (lysis_category == name))
        out["lysis_other_share"] = share((category == "lysis") & ~np.isin(lysis_category, LYSIS_CATEGORIES))
        ldh = {g.upper() for g in thresholds.setting("ldh_genes")}
        genes = np.char.upper(as_text(var["gene"]))
        out["ldh_share"] = share(np.isin(genes, list(ldh)))
    return pd.DataFrame(out, index=adata.obs_names)


def purity_drivers(adata: AnnData, categories: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The proteins that drive each purity category: top ``top_n`` by mean share of sample totals.

    One row per driver: ``category, protein, gene, species, mean_share, n_detected, rule``.
    """
    linear = linear_quantities(adata)
    total = row_sums(linear, _usable(adata))
    mean_share = np.nan_to_num(mean_sample_share(linear, total)) if adata.n_obs else np.zeros(adata.n_vars)
    category = categories["purity_category"].to_numpy()
    picked = []
    for name in purity_category_names():
        index = np.flatnonzero((category == name) & (mean_share > 0))
        picked.append(index[np.argsort(-mean_share[index], kind="stable")][:top_n])
    rows = np.concatenate(picked).astype(int)
    return pd.DataFrame(
        {
            "category": category[rows].astype(str),
            "protein": adata.var_names[rows].astype(str),
            "gene": as_text(adata.var["gene"])[rows],
            "species": as_text(adata.var["species"])[rows],
            "mean_share": mean_share[rows],
            "n_detected": (linear[:, rows] > 0).sum(axis=0).astype(int),
            "rule": categories["purity_rule"].to_numpy()[rows].astype(str),
        }
    )


# --------------------------------------------------------------------------------------- QC statistics
def identification_stats(adata: AnnData, groups: pd.Series | None = None) -> pd.DataFrame:
    """Per sample: number of quantified proteins and the share of its peers' proteins it misses.

    Peers are the samples of the same group (``groups``, e.g. the lot or cell type; all samples without
    it); a sample's ``missing_share`` is 1 - its proteins / the proteins quantified in at least one of its
    peers. Judged against the table's union instead, a pooled multi-cell-type table would fail every
    sample for the table's width, not for anything the sample lacks.
    """
    usable = _usable(adata)
    quantified = (linear_quantities(adata) > 0)[:, usable]
    n = quantified.sum(axis=1)
    labels = (groups.astype(str).to_numpy() if groups is not None else np.full(adata.n_obs, "all"))
    peers_total = np.zeros(adata.n_obs)
    for level in pd.unique(labels):
        rows = labels == level
        peers_total[rows] = quantified[rows].any(axis=0).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        missing = np.where(peers_total > 0, 1.0 - n / np.where(peers_total > 0, peers_total, 1), np.nan)
    return pd.DataFrame({"n_proteins": n.astype(int), "missing_share": missing}, index=adata.obs_names)


def purity_assessable(adata: AnnData, categories: pd.DataFrame, thresholds: Thresholds) -> tuple[bool, str]:
    """Whether purity indices can be judged on this table, and why not.

    A purity index is a share of everything measured: on a targeted panel (few proteins, chosen analytes)
    it is a share of the panel, and a panel without any intracellular or serum protein cannot show lysis
    or serum carry-over at all. Not assessable: fewer than ``settings.purity_min_proteins`` quantified
    proteins, or no lysis and no serum protein in the table.
    """
    usable = _usable(adata)
    n = int(((linear_quantities(adata) > 0)[:, usable].any(axis=0)).sum())
    least = int(thresholds.setting("purity_min_proteins"))
    if n < least:
        return False, (f"{n} quantified proteins < {least} ({THRESHOLDS_FILE}: settings.purity_min_proteins): "
                       "a targeted panel, not a proteome; purity shares would be shares of the panel")
    category = categories["purity_category"].to_numpy()
    if not ((category == "lysis") | (category == "serum")).any():
        return False, "no intracellular (lysis) or serum protein measured: contamination cannot be seen in this table"
    return True, ""


def intensity_quantiles(log2: np.ndarray, sample_names: Iterable[str]) -> pd.DataFrame:
    """Per-sample log2 quantiles (min, 5, 25, 50, 75, 95 %, max) of quantified proteins."""
    names = list(sample_names)
    probs = [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0]
    columns = ["min", "q05", "q25", "median", "q75", "q95", "max"]
    out = np.full((log2.shape[0], len(probs)), np.nan)
    has = np.isfinite(log2).any(axis=1)
    if has.any():
        with np.errstate(all="ignore"):
            out[has] = np.nanquantile(log2[has], probs, axis=1).T
    return pd.DataFrame(out, index=names, columns=columns)


def pairwise_correlation(log2: np.ndarray, min_overlap: int) -> np.ndarray:
    """Pearson correlation between samples (rows) over pairwise-complete proteins.

    Computed with matrix products over the presence mask (exact, no per-pair loop). Pairs sharing fewer
    than ``min_overlap`` quantified proteins get NaN. The diagonal is 1 for any sample with data.
    """
    present = np.isfinite(log2)
    means = np.where(present, log2, 0.0).sum(axis=1, keepdims=True) / np.maximum(present.sum(axis=1, keepdims=True), 1)
    centred = np.subtract(log2, means, out=np.zeros_like(log2), where=present)  # centring improves accuracy
    mask = present.astype(float)
    del present
    n = mask @ mask.T
    sx = centred @ mask.T  # sum of x_i over proteins present in both i and j
    sxy = centred @ centred.T
    np.square(centred, out=centred)  # in place: the squares need no second matrix
    sxx = centred @ mask.T
    del centred, mask
    present_counts = np.diag(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx**2 / n
        corr = cov / np.sqrt(var_i * var_i.T)
    corr[n < max(min_overlap, 3)] = np.nan
    corr = np.clip(corr, -1.0, 1.0)
    has = present_counts >= max(min_overlap, 3)
    np.fill_diagonal(corr, np.where(has, 1.0, np.nan))
    return corr


def robust_z(values: np.ndarray) -> np.ndarray:
    """Modified z-score (x - median) / (1.4826 MAD) over finite values (Iglewicz & Hoaglin 1993).

    When the MAD is 0, the scale is 1.2533 x mean absolute deviation; when that is 0 too, z = 0.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    out = np.full(values.shape, np.nan)
    if finite.sum() == 0:
        return out
    centre = np.median(values[finite])
    deviation = np.abs(values[finite] - centre)
    scale = 1.4826 * np.median(deviation)
    if scale == 0:
        scale = 1.2533 * deviation.mean()
    out[finite] = 0.0 if scale == 0 else (values[finite] - centre) / scale
    return out


@dataclass
class PCAResult:
    """Sample scores, explained variance ratios, and the number of proteins used."""

    scores: np.ndarray
    explained_variance_ratio: np.ndarray
    n_proteins: int
    distance: np.ndarray


def pca(log2: np.ndarray, min_detection: float, n_components: int) -> PCAResult:
    """PCA of samples on log2 values (see module docstring for the NaN rule).

    Proteins quantified in >= ``min_detection`` of samples are kept; each sample is centred on its
    median over those proteins (removes loading differences), each protein on its mean, and remaining
    gaps are set to 0 (the protein mean). ``distance`` is each sample's score distance over the
    components, each scaled by its robust standard deviation (1.4826 MAD).
    """
    n_samples = log2.shape[0]
    present = np.isfinite(log2)
    keep = present.mean(axis=0) >= min_detection if n_samples else np.zeros(log2.shape[1], bool)
    data = log2[:, keep]
    empty = PCAResult(np.zeros((n_samples, 0)), np.zeros(0), int(keep.sum()), np.full(n_samples, np.nan))
    if n_samples < 3 or data.shape[1] < 3:
        return empty
    with np.errstate(all="ignore"):
        data = data - nanmedian(data, axis=1, keepdims=True)
        data = data - np.nanmean(data, axis=0, keepdims=True)
    data = np.nan_to_num(data, nan=0.0)
    k = int(min(n_components, n_samples - 1, data.shape[1]))
    # only k components are needed: eigen-decompose the smaller cross-product matrix (exact, and much
    # faster than a full SVD for 1,000 samples x thousands of proteins)
    small = data @ data.T if n_samples <= data.shape[1] else data.T @ data
    total = float(np.trace(small))
    if total <= 0 or k < 1:
        return empty
    size = small.shape[0]
    values, vectors = scipy.linalg.eigh(small, subset_by_index=[size - k, size - 1], driver="evr")
    values, vectors = np.clip(values[::-1], 0.0, None), vectors[:, ::-1]
    scores = vectors * np.sqrt(values) if n_samples <= data.shape[1] else data @ vectors
    # robust scale per component (1.4826 MAD), so that one outlier cannot inflate its own yardstick
    sd = 1.4826 * np.median(np.abs(scores - np.median(scores, axis=0)), axis=0)
    fallback = scores.std(axis=0, ddof=1)
    sd = np.where(sd > 0, sd, np.where(fallback > 0, fallback, 1.0))
    distance = np.sqrt(((scores / sd) ** 2).sum(axis=1))
    return PCAResult(scores, values / total, int(keep.sum()), distance)


def group_cvs(linear: np.ndarray, groups: pd.Series, min_detected: int) -> pd.DataFrame:
    """Per group: median and quantiles of per-protein CVs (sd/mean, linear scale, ddof=1).

    A protein enters a group's CVs when quantified in at least ``max(min_detected, 2)`` of its samples;
    zeros are missing values, not zeros.
    """
    rows = []
    labels = groups.astype(str).to_numpy()
    for level in pd.unique(labels):
        values = np.where(linear[labels == level] > 0, linear[labels == level], np.nan)
        n = np.isfinite(values).sum(axis=0)
        use = n >= max(min_detected, 2)
        row = {"group": str(level), "n_samples": int((labels == level).sum()), "n_proteins": int(use.sum())}
        if use.any():
            with np.errstate(all="ignore"):
                cv = np.nanstd(values[:, use], axis=0, ddof=1) / np.nanmean(values[:, use], axis=0)
            q = np.quantile(cv, [0.05, 0.25, 0.5, 0.75, 0.95])
            row.update(dict(zip(["cv_q05", "cv_q25", "median_cv", "cv_q75", "cv_q95"], q.tolist())))
        else:
            row.update({"cv_q05": np.nan, "cv_q25": np.nan, "median_cv": np.nan, "cv_q75": np.nan, "cv_q95": np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------- the stage
def qc(
    adata: AnnData,
    group: str | None = None,
    thresholds: Thresholds | None = None,
) -> AnnData:
    """Run QC and purity on an annotated dataset; store results in it and return it.

    Adds to ``.obs``: ``n_proteins``, ``missing_share``, all purity shares, ``correlation_median``,
    ``correlation_z``, ``pca_distance``, ``pca_z``, a ``<metric>_flag`` per flagged metric,
    ``qc_status`` (worst flag) and ``qc_verdicts`` (the non-pass verdicts, ``; ``-joined).
    Adds to ``.var``: ``purity_category``, ``purity_rule``, ``serum_mixed``, ``n_detected``.
    Stores correlation, PCA, intensity quantiles, group CVs, purity drivers and every verdict (a samples x
    metrics frame of verdict texts) in ``.uns['qc']``.
    """
    thresholds = thresholds or load_thresholds()
    if group is not None and group not in adata.obs:
        raise SecretomeInputError(
            f"no sample-sheet column {group!r}", column=group, expected=f"one of {list(adata.obs.columns)}"
        )
    if group is not None:
        empty = as_text(adata.obs[group]) == ""  # sample sheets keep empty cells as ""
        if empty.any():
            raise SecretomeInputError(
                f"sample(s) without a {group!r} value: {', '.join(map(str, adata.obs_names[empty][:8]))}",
                column=group, expected="a group level for every sample",
            )
    categories = purity_categories(adata, thresholds)
    for column in categories:
        adata.var[column] = categories[column].to_numpy()
    adata.var["n_detected"] = (linear_quantities(adata) > 0).sum(axis=0).astype(int)

    peers = adata.obs[group] if group is not None else None
    ident = identification_stats(adata, peers)
    assessable, not_assessable_reason = purity_assessable(adata, categories, thresholds)
    shares = purity_shares(adata, categories, thresholds)
    log2 = log2_quantities(adata)  # column-major, as the correlation's and PCA's sums expect
    if not _usable(adata).all():
        log2 = log2[:, _usable(adata)]
    corr = pairwise_correlation(log2, int(thresholds.setting("correlation_min_overlap")))
    off = corr.copy()
    np.fill_diagonal(off, np.nan)
    median_corr = np.full(adata.n_obs, np.nan)
    has_pairs = np.isfinite(off).any(axis=1)
    if has_pairs.any():
        median_corr[has_pairs] = nanmedian(off[has_pairs], axis=1)
    pcs = pca(log2, float(thresholds.setting("pca_min_detection")), int(thresholds.setting("pca_components")))
    enough = adata.n_obs >= int(thresholds.setting("outlier_min_samples"))
    corr_z = robust_z(median_corr) if enough else np.full(adata.n_obs, np.nan)
    pca_z = robust_z(pcs.distance) if enough else np.full(adata.n_obs, np.nan)

    obs = pd.concat([ident, shares], axis=1)
    obs["correlation_median"] = median_corr
    obs["correlation_z"] = corr_z
    obs["pca_distance"] = pcs.distance
    obs["pca_z"] = pca_z
    verdicts: dict[str, list[str]] = {}
    flags: dict[str, list[str]] = {}
    median_n = float(np.median(ident["n_proteins"])) if adata.n_obs else np.nan
    checks = [("n_proteins", "n_proteins", median_n), ("missing_share", "missing_share", None)]
    checks += [(name, name, None) for name in flagged_indices()]
    for column, metric, reference in checks:
        judged = [judge(value, metric, thresholds, reference) for value in obs[column].to_numpy(dtype=float)]
        flags[f"{column}_flag"] = [flag for flag, _ in judged]
        verdicts[metric] = [text for _, text in judged]
    verdicts["purity_assessable"] = [
        "pass: purity assessable (a proteome with lysis or serum proteins measured)" if assessable
        else f"not_assessable: purity shares are not judged: {not_assessable_reason}"] * adata.n_obs
    for column, metric, z in (("correlation", "correlation_outlier", corr_z), ("pca", "pca_outlier", pca_z)):
        column_flags, texts = [], []
        for value in z:
            if not enough:
                flag, verdict = "pass", (
                    f"pass: {metric} not assessed, {adata.n_obs} samples < "
                    f"{int(thresholds.setting('outlier_min_samples'))} ({THRESHOLDS_FILE}: settings.outlier_min_samples)"
                )
            elif not np.isfinite(value):
                flag, verdict = "warn", f"warn: {metric} not computable for this sample (too few shared proteins)"
            else:
                flag, verdict = judge(float(value), metric, thresholds)
            column_flags.append(flag)
            texts.append(verdict)
        flags[f"{column}_flag"] = column_flags
        verdicts[metric] = texts
    for name, values in flags.items():
        obs[name] = values
    flag_frame = obs[list(flags)]
    obs["qc_status"] = [worst(row) for row in flag_frame.itertuples(index=False)]
    verdict_frame = pd.DataFrame(verdicts, index=adata.obs_names)
    obs["qc_verdicts"] = [
        "; ".join(v for v in row if not v.startswith("pass")) for row in verdict_frame.itertuples(index=False)
    ]
    for column in obs:
        adata.obs[column] = obs[column].to_numpy()

    groups = adata.obs[group] if group is not None else pd.Series("all", index=adata.obs_names)
    cvs = group_cvs(linear_quantities(adata)[:, _usable(adata)], groups, int(thresholds.setting("cv_min_detected")))
    cv_flags, cv_verdicts = [], []
    for value, level in zip(cvs["median_cv"], cvs["group"]):
        flag, verdict = judge(float(value), "group_cv", thresholds) if np.isfinite(value) else (
            "warn", "warn: group_cv not computable (fewer than 2 quantified replicates per protein)")
        cv_flags.append(flag)
        cv_verdicts.append(f"{level}: {verdict}")
    cvs["flag"] = cv_flags
    cvs["verdict"] = cv_verdicts

    adata.uns["qc"] = {
        "thresholds": thresholds.as_dict(),
        "group": group if group is not None else "",
        "correlation": corr,
        "pca_scores": pcs.scores,
        "pca_explained_variance_ratio": pcs.explained_variance_ratio,
        "pca_n_proteins": pcs.n_proteins,
        "intensity_quantiles": intensity_quantiles(log2, adata.obs_names),
        "group_cv": cvs,
        "drivers": purity_drivers(adata, categories, int(thresholds.setting("top_n"))),
        "verdicts": verdict_frame,
        "purity_registry": pd.DataFrame(
            [{"name": c.name, "colour": c.colour, "flagged": c.flagged, "method": c.method} for c in PURITY_REGISTRY],
            columns=["name", "colour", "flagged", "method"]),
        "purity_assessable": assessable,
        "purity_not_assessable_reason": not_assessable_reason,
    }
    record_step(
        adata,
        "qc",
        "secretome.qc.qc",
        {"group": group, "overridden": sorted(thresholds.origins)},
    )
    return adata


def _require_annotation(adata: AnnData) -> None:
    missing = [column for column in REQUIRED_VAR if column not in adata.var]
    if missing:
        raise SecretomeInputError(
            f"the dataset lacks annotation columns {missing}",
            column=missing[0],
            expected="an annotated dataset: run secretome.annotate(adata) first",
        )


def as_text(series: pd.Series, missing: str = "") -> np.ndarray:
    """A text column as a numpy str array, missing -> ``missing`` (works for categoricals read from h5ad)."""
    values = series.astype(object).to_numpy()
    return np.array([missing if pd.isna(v) else str(v) for v in values], dtype=str)


def _bool(series: pd.Series) -> np.ndarray:
    """A boolean column as a numpy bool array (missing -> False; 'True'/'False' strings accepted)."""
    if series.dtype == bool:
        return series.to_numpy()
    text = series.astype(str).str.strip().str.lower()
    return text.isin(("true", "1", "yes", "+")).to_numpy()
