"""The composed comparison: preprocessing + limma's moderated test for one contrast, and its CLI job.

``compare`` validates the design and contrast against the sample sheet before any work, so a
misspelled column or level is an input error with a clear message, never a table of NaN.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.tables import tsv_text
from secretome.errors import SecretomeInputError
from secretome.outputs import check_directory, write_files
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
        raise SecretomeInputError(f"unknown normalization {normalize!r}", expected=", ".join(NORMALIZE_METHODS))
    if impute not in IMPUTE_METHODS:
        raise SecretomeInputError(f"unknown imputation {impute!r}", expected=", ".join(IMPUTE_METHODS))
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
            expected="--min-valid 1 or more to filter them",
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
        "n_adj_p_below_0.05": int((table["adj_p_value"] < 0.05).sum()),
    }
    record_step(work, "compare", "secretome.stats.compare.compare", params)
    return work, table


def safe_filename(text: str) -> str:
    """A file-name stem from a contrast (``treated-control`` stays; other characters become ``_``)."""
    stem = re.sub(r"[^A-Za-z0-9._+-]+", "_", text.strip()).strip("._")
    return stem or "contrast"


def table_tsv(table: pd.DataFrame) -> str:
    """TSV text of a result table (full float precision, NaN as empty)."""
    return tsv_text(table, float_format="%.17g")


def read_dataset(
    input_path: str | Path, samples: str | Path | None, sheet: str | int | None = None, sample_column: str | None = None
) -> AnnData:
    """Read a dataset with :func:`secretome.read` (imported lazily: the readers are a separate stage);
    ``sheet`` is the input's XLSX worksheet, ``sample_column`` the sample sheet's name column."""
    import secretome

    return secretome.read(input_path, samples=samples, sheet=sheet, sample_column=sample_column)


def compare_job(
    input_path: str | Path,
    samples: str | Path | None,
    design: str,
    contrast: str,
    out: str | Path,
    normalize: NormalizeMethod = "median",
    impute: ImputeMethod = "none",
    min_valid: int | float = 2,
    trend: bool = False,
    robust: bool = False,
    seed: int | None = 0,
    force: bool = False,
    enrichment: bool = True,
    sheet: str | int | None = None,
    sample_column: str | None = None,
) -> dict[str, Any]:
    """CLI job: read, :func:`compare`, enrichment of the result (:func:`contrast_files`; skipped with
    ``enrichment=False``, which also spares loading the knowledge base's gene sets), written atomically
    into an owned output directory (:func:`secretome.outputs.atomic_directory`; ``force`` as there).

    Returns a summary (paths and counts) for the shell to print; ``n_enriched`` is None without enrichment.
    """
    inputs = {"INPUT": input_path, "samples": samples}
    check_directory(out, kind="compare", inputs=inputs, force=force)
    adata = read_dataset(input_path, samples, sheet=sheet, sample_column=sample_column)
    work, table = compare(
        adata, design, contrast, normalize=normalize, impute=impute, min_valid=min_valid, trend=trend, robust=robust, seed=seed
    )
    files, enriched = contrast_files(work, table, design, contrast, enrichment=enrichment)
    out_dir = write_files(out, files, kind="compare", inputs=inputs, force=force)
    return {
        "out": str(out_dir),
        "files": sorted(files),
        "n_proteins": int(len(table)),
        "n_significant": int((table["adj_p_value"] < 0.05).sum()),
        "n_enriched": None if enriched is None else int((enriched["adj_p_value"] < 0.05).sum()),
    }


def contrast_files(
    work: AnnData, table: pd.DataFrame, design: str, contrast: str, enrichment: bool = True
) -> tuple[dict[str, str], pd.DataFrame | None]:
    """The compare job's files: ``<contrast>.tsv``, ``enrichment.tsv`` (up/down over-representation at
    adj. p < 0.05 and the rank test on the moderated t, against the tested proteins' genes, over the
    knowledge base's functional classes and gene sets: :func:`secretome.stats.enrichment.enrich_contrast`),
    ``volcano.html`` and ``compare.html`` (differential and enrichment sections). Also returns the
    tidy enrichment table. With ``enrichment=False`` there is no ``enrichment.tsv``, no enrichment
    section, and None in place of the table."""
    from secretome.report.stats_sections import compare_page, volcano_page

    tidy = None
    if enrichment:
        from secretome.stats.enrichment import enrich_contrast

        _, tidy = enrich_contrast(table)
    files = {
        f"{safe_filename(contrast)}.tsv": table_tsv(table),
        **({} if tidy is None else {"enrichment.tsv": table_tsv(tidy)}),
        "volcano.html": volcano_page(table, contrast),
        "compare.html": compare_page(work, table, design=design, contrast=contrast, enrichment=tidy),
    }
    return files, tidy
