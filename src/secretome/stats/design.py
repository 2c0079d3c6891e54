"""Design matrices and contrasts from a formula over the sample sheet, coded like R's ``model.matrix``.

Why our own small coder instead of patsy/formulaic: limma users compare column names and coefficient
order with R, so the coding must be R's treatment coding exactly (``(Intercept)``, ``conditiontreated``;
without an intercept the first factor gets one column per level), with R's factor level order
(sorted levels, or the category order of an ordered pandas Categorical).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError

SUPPORTED_SYNTAX = (
    "'~ a + b' with sample-sheet columns, optionally '~ 0 + a' (no intercept) and 'factor(a)' (a numeric column "
    "as levels, e.g. donor ids)"
)
_FACTOR_TERM = re.compile(r"^factor\(\s*([^()]+?)\s*\)$")


@dataclass(frozen=True)
class Design:
    """A design matrix (samples x coefficients) with what is needed to name contrasts."""

    matrix: np.ndarray
    columns: list[str]
    samples: list[str]
    formula: str
    intercept: bool
    factors: dict[str, list[str]] = field(default_factory=dict)  # sample-sheet column -> level labels
    covariates: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # sample-sheet columns, in formula order
    prefixes: dict[str, str] = field(default_factory=dict)  # factor column -> design-column prefix (factor(x))

    @property
    def first_factor(self) -> str | None:
        """The first factor term of the formula: contrasts ``A-B`` name its levels."""
        for term in self.terms:
            if term in self.factors:
                return term
        return None

    @property
    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame (samples x named columns), like R's model.matrix."""
        return pd.DataFrame(self.matrix, index=self.samples, columns=self.columns)


def _parse_formula(formula: str) -> tuple[bool, list[str]]:
    text = formula.strip()
    if not text.startswith("~"):
        raise SecretomeInputError(
            f"design formula {formula!r} does not start with '~'", column="design", expected=SUPPORTED_SYNTAX
        )
    rhs = text[1:].strip()
    if not rhs:
        raise SecretomeInputError(f"design formula {formula!r} has no terms", column="design", expected=SUPPORTED_SYNTAX)
    if re.search(r"[+-]\s*$|[+-]\s*[+-]", re.sub(r"`[^`]*`", "x", rhs)):
        raise SecretomeInputError(
            f"design formula {formula!r} has an operator without a term", column="design", expected=SUPPORTED_SYNTAX
        )
    intercept = True
    terms: list[str] = []
    for sign, token in re.findall(r"([+-]?)\s*((?:`[^`]*`|[^+`-])+)", rhs):  # `a-b` names a column with '-'
        token = token.strip().strip("`")
        forced = _FACTOR_TERM.match(token)
        if forced:
            token = f"factor({forced.group(1).strip('`')})"  # R's column names: factor(donor)2
        if any(ch in (forced.group(1) if forced else token) for ch in ":*^()|/"):
            raise SecretomeInputError(
                f"design formula {formula!r}: term {token!r} is not supported (interactions and functions are not)",
                column="design",
                expected=SUPPORTED_SYNTAX,
            )
        if token in ("0", "1"):
            if token == "0" or sign == "-":
                intercept = False
            continue
        if sign == "-":
            raise SecretomeInputError(
                f"design formula {formula!r}: removing term {token!r} is not supported", column="design",
                expected=SUPPORTED_SYNTAX,
            )
        if token not in terms:
            terms.append(token)
    if not terms and not intercept:
        raise SecretomeInputError(f"design formula {formula!r} has no terms", column="design", expected=SUPPORTED_SYNTAX)
    return intercept, terms


def _levels(values: pd.Series) -> list:
    """R's factor levels: category order of an ordered Categorical, else sorted unique values."""
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered:
        present = set(values.dropna().tolist())
        return [level for level in values.cat.categories if level in present]
    return sorted(set(values.dropna().tolist()))


def _is_factor(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))


def _level_label(level) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))  # R: factor(c(1, 2)) has levels "1", "2"
    return str(level)


def design_matrix(obs: pd.DataFrame, formula: str) -> Design:
    """Build the design matrix of ``formula`` over the sample sheet ``obs`` (rows = samples), like R.

    Factors (text, categorical, boolean columns, and ``factor(column)`` for numeric codes such as donor ids)
    get treatment coding against their first level; without an intercept (``~ 0 + condition``) the first
    factor gets one column per level. Numeric columns enter as covariates (as in R: a numeric donor id is a
    slope unless written ``factor(donor)``). Raises SecretomeInputError for absent columns, NaN values, single-level factors and
    designs that leave no residual degrees of freedom.
    """
    intercept, terms = _parse_formula(formula)
    n = obs.shape[0]
    columns: list[str] = ["(Intercept)"] if intercept else []
    blocks: list[np.ndarray] = [np.ones((n, 1))] if intercept else []
    factors: dict[str, list[str]] = {}
    prefixes: dict[str, str] = {}
    covariates: list[str] = []
    columns_used: list[str] = []
    full_coding_done = intercept
    for term in terms:
        forced = _FACTOR_TERM.match(term)
        name = forced.group(1) if forced else term
        if name in columns_used:
            raise SecretomeInputError(
                f"design formula {formula!r} uses column {name!r} twice", column=name, expected=SUPPORTED_SYNTAX
            )
        columns_used.append(name)
        if name not in obs.columns:
            raise SecretomeInputError(
                f"design formula {formula!r} names column {name!r}, which the sample sheet does not have",
                column=name,
                expected=f"one of: {', '.join(map(str, obs.columns))}",
            )
        values = obs[name]
        missing = values.isna().to_numpy()
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            missing |= values.astype(str).str.strip().eq("").to_numpy()
        if missing.any():
            bad = [str(s) for s in obs.index[missing][:5]]
            raise SecretomeInputError(
                f"design column {term!r} has missing values for sample(s) {', '.join(bad)}",
                column=term,
                expected="a value for every sample in the design",
            )
        if forced or _is_factor(values):
            levels = _levels(values)
            if len(levels) < 2:
                raise SecretomeInputError(
                    f"design column {term!r} has a single level ({_level_label(levels[0]) if levels else 'none'}),"
                    " so it cannot be estimated",
                    column=term,
                    expected="at least two levels",
                )
            labels = [_level_label(level) for level in levels]
            factors[name] = labels
            prefixes[name] = term
            codes = pd.Categorical(values, categories=levels).codes
            dummies = (codes[:, None] == np.arange(len(levels))[None, :]).astype(float)
            if full_coding_done:
                dummies = dummies[:, 1:]
                names = labels[1:]
            else:
                names = labels
                full_coding_done = True
            blocks.append(dummies)
            columns.extend(f"{term}{label}" for label in names)
        else:
            numeric = values.to_numpy(dtype=float)
            if not np.all(np.isfinite(numeric)):
                raise SecretomeInputError(
                    f"design column {term!r} has non-finite values", column=term, expected="finite numbers"
                )
            blocks.append(numeric[:, None])
            columns.append(name)
            covariates.append(name)
    matrix = np.hstack(blocks) if blocks else np.zeros((n, 0))
    design = Design(
        matrix=matrix,
        columns=columns,
        samples=[str(s) for s in obs.index],
        formula=formula,
        intercept=intercept,
        factors=factors,
        covariates=covariates,
        terms=columns_used,
        prefixes=prefixes,
    )
    rank = np.linalg.matrix_rank(matrix)
    if rank < matrix.shape[1]:
        raise SecretomeInputError(
            f"design {formula!r} is not of full rank: {', '.join(_non_estimable(matrix, columns))} cannot be "
            "estimated (confounded with earlier columns)",
            column="design",
            expected="design columns that are not linear combinations of each other",
        )
    if n - rank <= 0:
        raise SecretomeInputError(
            f"design {formula!r} leaves no residual degrees of freedom ({n} samples, {rank} coefficients)",
            column="design",
            expected="more samples than coefficients (replicates per group)",
        )
    return design


def _non_estimable(matrix: np.ndarray, columns: list[str]) -> list[str]:
    kept: list[int] = []
    dropped: list[str] = []
    for j in range(matrix.shape[1]):
        trial = kept + [j]
        if np.linalg.matrix_rank(matrix[:, trial]) == len(trial):
            kept.append(j)
        else:
            dropped.append(columns[j])
    return dropped


_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"


def make_contrast(contrast: str, design: Design) -> np.ndarray:
    """Contrast vector for ``"A-B"`` (levels of the design's first factor) or any linear combination.

    Terms are level names of the first factor or design column names, each with an optional
    ``number*`` factor or ``/number`` divisor, joined by ``+``/``-``: ``"treated-control"``,
    ``"(a+b)/2"`` is written ``"a/2+b/2-c"``, ``"age"`` tests a covariate's slope. Works for intercept
    (treatment-coded) and ``~ 0 +`` designs.
    """
    names: dict[str, np.ndarray] = {}
    p = len(design.columns)
    for j, column in enumerate(design.columns):
        vector = np.zeros(p)
        vector[j] = 1.0
        names[column] = vector
    factor = design.first_factor
    if factor is not None:
        for k, level in enumerate(design.factors[factor]):
            column = f"{design.prefixes.get(factor, factor)}{level}"
            vector = np.zeros(p)
            if column in design.columns:
                vector[design.columns.index(column)] = 1.0
            names[level] = vector
    ordered = sorted(names, key=len, reverse=True)
    text = contrast.strip()
    where = f"levels of {factor!r}: {', '.join(design.factors[factor])}; " if factor else ""
    expected = f"{where}design columns: {', '.join(design.columns)}"
    if not text:
        raise SecretomeInputError("empty contrast", column="contrast", expected=expected)
    result = np.zeros(p)
    pos = 0
    first = True
    while pos < len(text):
        match = re.compile(r"\s*([+-]?)\s*").match(text, pos)
        sign = -1.0 if match.group(1) == "-" else 1.0
        if not first and not match.group(1):
            raise SecretomeInputError(f"cannot read contrast {contrast!r} at {text[pos:]!r}", column="contrast",
                                      expected=expected)
        pos = match.end()
        scale = 1.0
        number = re.compile(rf"({_NUMBER})\s*\*\s*").match(text, pos)
        if number:
            scale = float(number.group(1))
            pos = number.end()
        name = next((candidate for candidate in ordered if text.startswith(candidate, pos)), None)
        if name is None:
            piece = re.split(r"[+\-*/]", text[pos:].strip(), maxsplit=1)[0].strip() or text[pos:]
            owner = f"a level of factor {factor!r} or " if factor else ""
            raise SecretomeInputError(
                f"contrast {contrast!r} names {piece!r}, which is not {owner}a design column",
                column="contrast",
                expected=expected,
            )
        pos += len(name)
        divisor = re.compile(rf"\s*/\s*({_NUMBER})").match(text, pos)
        if divisor:
            scale /= float(divisor.group(1))
            pos = divisor.end()
        result += sign * scale * names[name]
        first = False
        pos = re.compile(r"\s*").match(text, pos).end()
    if not np.any(result):
        raise SecretomeInputError(
            f"contrast {contrast!r} is zero (it compares a level with itself)", column="contrast", expected=expected
        )
    return result
