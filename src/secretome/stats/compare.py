"""The composed comparison: preprocessing + limma's moderated test for one contrast.

``compare`` validates the design and contrast against the sample sheet before any work, so a
misspelled column or level is an input error with a clear message, never a table of NaN.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.config import significance_level
from secretome.errors import SecretomeInputError
from secretome.provenance import record_step
from secretome.stats import preprocess as pp
from secretome.stats.design import Design, design_matrix
from secretome.stats.limma import moderated_test
from secretome.stats.preprocess import IMPUTE_METHODS, NORMALIZE_METHODS, ImputeMethod, NormalizeMethod

RESULT_COLUMNS = ["protein", "gene", "log2fc", "ave_expr", "t", "p_value", "adj_p_value", "b"]

def parse_contrast(adata: AnnData, design: str, contrast: str) -> tuple[Design, str, str, str]:
    """Build the design (which checks columns, levels and residual df) and read ``A-B`` over its first factor.

    Returns ``(design, factor, level_a, level_b)``. Levels may contain ``-``: the split that names two
    existing levels is used.
    """
    model = design_matrix(adata.obs, design)
    factor = model.first_factor
    if factor is None:
        numeric = [term for term in model.terms if not term.startswith("factor(")]
        hint = f' (a numeric column such as {numeric[0]!r} enters as a covariate; "factor({numeric[0]})" makes its values levels)' if numeric else ""
        raise SecretomeInputError(
            f"design {design!r} has no factor to contrast{hint}",
            expected='a design whose first term is a factor, e.g. "~ condition"',
        )
    levels = model.factors[factor]
    text = contrast.strip()
    for cut in [match.start() for match in re.finditer("-", text)]:
        level_a, level_b = text[:cut].strip(), text[cut + 1 :].strip()  # spaces inside a level name are kept
        if level_a in levels and level_b in levels and level_a != level_b:
            return model, factor, level_a, level_b
    raise SecretomeInputError(
        f"contrast {contrast!r} does not name two levels of {factor!r} as A-B",
        column=factor,
        expected=f"A-B with A, B among {', '.join(levels)}",
    )


def compare(
    adata: AnnData,
    design: str,
    contrast: str,
    normalize: NormalizeMethod = "median",
    impute: ImputeMethod = "none",
    min_valid: int | float = 2,
    trend: bool = False,
    robust: bool = False,
    seed: int | None = 0,
) -> tuple[AnnData, pd.DataFrame]:
    """Preprocess and fit one contrast with limma's moderated t; returns ``(adata, table)``.

    Steps: keep proteins with ``min_valid`` valid values in at least one of the contrast's two groups
    (``0`` = no filter), log2 (never twice), ``normalize``, ``impute`` (methods of
    :mod:`secretome.stats.preprocess`), then
    :func:`secretome.stats.limma.moderated_test` on the last layer. With ``none``/``0`` everywhere the
    fit sees exactly the log2 input. ``table`` has ``protein, gene, log2fc, ave_expr, t, p_value,
    adj_p_value, b`` in topTable order; ``adata`` is the filtered copy with the preprocessing layers.
    """
    if normalize not in NORMALIZE_METHODS:
        raise SecretomeInputError(f"unknown normalization {normalize!r}", expected=", ".join(NORMALIZE_METHODS),
                                  parameters=("normalize",))
    if impute not in IMPUTE_METHODS:
        raise SecretomeInputError(f"unknown imputation {impute!r}", expected=", ".join(IMPUTE_METHODS),
                                  parameters=("impute",))
    _, factor, level_a, level_b = parse_contrast(adata, design, contrast)
    in_contrast = adata.obs[factor].astype(str).isin([level_a, level_b]).to_numpy()
    work = pp.filter_valid(adata, min_valid=min_valid, group=factor, mode="any_group", restrict=in_contrast)
    pp.log2_transform(work)
    pp.normalize(work, normalize)
    pp.impute(work, impute, seed=seed)
    values = np.asarray(work.layers["imputed"], dtype=np.float64)
    empty = ~np.isfinite(values[in_contrast]).any(axis=0)
    if empty.any():
        names = ", ".join(map(str, work.var_names[empty][:5]))
        raise SecretomeInputError(
            f"{int(empty.sum())} proteins have no valid value in {level_a!r} or {level_b!r} (e.g. {names})",
            expected="min_valid 1 or more to filter them", parameters=("min_valid",),
        )
    table = moderated_test(work, design, f"{level_a}-{level_b}", layer="imputed", trend=trend, robust=robust)
    missing_columns = [column for column in RESULT_COLUMNS if column not in table.columns]
    if missing_columns:
        raise RuntimeError(f"moderated_test returned no {missing_columns}")
    table = table[RESULT_COLUMNS].reset_index(drop=True)
    params = {
        "design": design,
        "contrast": contrast,
        "factor": factor,
        "normalize": normalize,
        "impute": impute,
        "min_valid": min_valid,
        "trend": trend,
        "robust": robust,
        "seed": seed,
    }
    work.uns["compare"] = {
        **{key: ("None" if value is None else value) for key, value in params.items()},
        "layer": "imputed",
        "n_proteins": int(len(table)),
        "alpha": significance_level(),
        "n_adj_p_below_alpha": int((table["adj_p_value"] < significance_level()).sum()),
    }
    record_step(work, "compare", "secretome.stats.compare.compare", params)
    return work, table
