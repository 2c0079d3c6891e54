"""The ``profile`` job: read -> annotate -> QC, purity, functional profile [-> contrast] [-> lots] -> one directory.

Writes ``report.html``, ``proteins.tsv``, ``samples.tsv``, ``profile.json`` (the report's only input)
and ``dataset.h5ad`` (every result in ``.obs``/``.var``/``.uns``), plus the differential, enrichment and
comparability tables under the names ``compare`` and ``comparability`` use
(:mod:`secretome.jobs.naming`), all atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError
from secretome.outputs import MARKER, check_directory, write_h5ad
from secretome.jobs import naming
from secretome.jobs.base import JobResult, ProgressCallback, report_progress, stated_warnings, states_warnings
from secretome.jobs.common import FileContent, read_input, record_input_checksum, write_directory

OUTPUT_FILES = (naming.REPORT, naming.PROTEINS, naming.SAMPLES, naming.PROFILE_JSON, naming.DATASET, MARKER)
"""The files every profile run writes (statistics tables and exports come on top)."""


@states_warnings
def profile_job(
    input: str | Path | None,
    out: str | Path,
    *,
    samples: str | Path | None = None,
    group: str | None = None,
    format: str | None = None,
    quantity: str | None = None,
    is_log2: bool | None = None,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    demo: bool = False,
    design: str | None = None,
    contrast: str | None = None,
    normalize: str | None = None,
    impute: str | None = None,
    min_valid: int | float | None = None,
    trend: bool = False,
    robust: bool = False,
    lot_column: str | None = None,
    reference: Sequence[str] = (),
    margin: float | None = None,
    factors: Sequence[str] | None = None,
    preparation: str | None = None,
    panel_file: str | Path | None = None,
    assay: str | Path | None = None,
    sheet: str | int | None = None,
    sample_column: str | None = None,
    decimal: str | None = None,
    xlsx: bool = False,
    pdf: bool = False,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> JobResult:
    """Profile a proteomics result table and write every output into the directory ``out`` (atomically).

    ``demo=True`` uses the shipped simulated MaxQuant dataset (``input`` and ``samples`` must be
    omitted), grouped by its ``lot`` column unless ``group`` is given. ``config`` (a TOML file) and
    ``overrides`` (``key=value`` texts) change the QC thresholds (:func:`secretome.qc.load_thresholds`).
    ``design`` with ``contrast`` (e.g. ``"~ lot"``, ``"lot_B-lot_A"``) adds the preprocessing,
    differential and enrichment sections and tables (``normalize``, ``impute``, ``min_valid``,
    ``trend``, ``robust`` as in :func:`secretome.jobs.compare_job`); ``reference`` lots add lot
    comparability (``lot_column``, ``margin``, ``factors`` as in
    :func:`secretome.jobs.comparability_job`). Every parameter, the design, contrast and lots are
    checked before any work: an input error leaves no output directory. ``preparation`` and ``panel_file``
    choose the key-factor panel and plausibility warnings (:func:`secretome.profile.profile`); ``assay`` is
    an immunoassay export of the same samples, adding an immunoassay section (the demo has its own panel;
    :mod:`secretome.assays.section`); an immunoassay export as ``input`` gets the targeted-panel report of
    :func:`secretome.jobs.assay.assay_job`. ``sheet``, ``sample_column`` and ``decimal`` are :func:`secretome.io.read`'s.
    ``xlsx`` adds ``secretome.xlsx``
    (:func:`workbook_sheets`: lots, samples, verdicts, proteins and the statistics tables as formatted
    sheets); ``pdf`` adds ``certificate_<lot>.pdf`` per lot or group
    (:mod:`secretome.report.certificate`, printed offline by headless Chromium). ``out`` must be new, empty or an
    earlier profile output; ``force`` moves any other directory aside (:func:`secretome.outputs.atomic_directory`).
    """
    from secretome import datasets
    from secretome.qc import derived_matrices, load_thresholds
    from secretome.summary import storable

    if demo:
        if input is not None:
            raise SecretomeInputError("give either input or demo, not both", expected="one input",
                                      parameters=("input", "demo"))
        if samples is not None:  # the demo has its own sheet; replacing the user's silently would mislead
            raise SecretomeInputError("demo uses its own sample sheet; samples cannot be combined with it",
                                      file=samples, expected="demo alone, or input with samples",
                                      parameters=("demo", "samples", "input"))
        paths = datasets.demo_paths()
        input, samples = paths["table"], paths["samples"]
        group = group or "lot"
    if input is None:
        raise SecretomeInputError("no input file given", expected="input (a proteomics result table) or demo",
                                  parameters=("input", "demo"))
    from secretome.io.assay import detect_assay_format

    if not demo and Path(input).is_file() and detect_assay_format(input):  # a targeted panel, not a proteome
        from secretome.jobs.assay import assay_job

        return assay_job(input, samples=samples, out=out, lot_column=lot_column or "lot")
    contrast_options, lot_options = statistics_options(
        design=design, contrast=contrast, normalize=normalize, impute=impute, min_valid=min_valid, trend=trend,
        robust=robust, lot_column=lot_column, reference=reference, margin=margin, factors=factors,
    )
    thresholds = load_thresholds(config, overrides)
    if pdf:
        from secretome.report.certificate import require_chromium

        require_chromium()
    out = Path(out)
    inputs = {"input": input, "samples": samples, "config": config}
    check_directory(out, kind="profile", inputs=inputs, force=force)
    steps = 6 + (contrast_options is not None) + (lot_options is not None) + (assay is not None or demo)

    def step(description: str, done: int) -> None:
        release_free_memory()  # each stage's garbage (the reader's parse, the KB's build) before the next one's peak
        report_progress(progress, description, done / steps)

    step(f"reading {Path(input).name}", 0)
    adata, warnings = read_input(input, samples, format=format, quantity=quantity, is_log2=is_log2, sheet=sheet,
                                 sample_column=sample_column, decimal=decimal)
    # one set of linear/log2 views (and their per-protein sums) for the profile stages and the tables written after them
    with derived_matrices():
        with stated_warnings(warnings):  # a library's Python warnings become stated ones, in uns['warnings'] too
            for options in (contrast_options, lot_options):
                if options is not None:
                    options.validate(adata)
            from secretome.profile import profile

            adata = profile(adata, group, thresholds, preparation=preparation, panel_file=panel_file,
                            progress=lambda text, fraction: step(text, 1 + 3 * (fraction or 0.0)))
            record_input_checksum(adata, input)
            adata.uns["profile"]["parameters"] = storable({
                "samples": str(samples) if samples else None, "format": format, "quantity": quantity, "is_log2": is_log2,
                "config": str(config) if config else None, "overrides": list(overrides), "demo": demo,
                "preparation": preparation, "panel_file": str(panel_file) if panel_file else None,
                "assay": str(assay) if assay else None, "sheet": sheet, "sample_column": sample_column, "decimal": decimal,
                **statistics_parameters(contrast_options, lot_options),
            })
            files: dict[str, FileContent] = {}
            done = 4
            if contrast_options is not None:
                from secretome.jobs.analyses import differential_analysis, differential_files

                step(f"differential abundance {contrast_options.contrast}", done)
                result = differential_analysis(adata, contrast_options)
                files.update(differential_files(result))
                done += 1
            if lot_options is not None:
                from secretome.jobs.analyses import lot_analysis, lot_files

                step("lot comparability", done)
                lots = lot_analysis(adata, lot_options)
                files.update(lot_files(lots))
                done += 1
            if assay is not None or demo:
                from secretome.assays.section import profile_assay_section

                step("immunoassay panel", done)
                section, assay_files = profile_assay_section(adata, assay, demo=demo, lot_column=lot_column or "lot")
                files.update(assay_files)
                adata.uns["report_sections"] = [stored_section(section)]
                done += 1
        adata.uns["warnings"] = list(warnings)
        step("writing report and tables", done)
        summary = write_profile(adata, out, files, inputs=inputs, force=force, xlsx=xlsx, pdf=pdf)
    report_progress(progress, "done", 1.0)
    return JobResult(kind="profile", out=out, files=tuple(sorted(path.name for path in out.iterdir() if path.is_file())),
                     summary={**summary, "report": str(out / naming.REPORT), "warnings": warnings})


def release_free_memory() -> None:
    """Collect unreachable objects and give the C heap's free pages back to the system (glibc's ``malloc_trim``;
    a no-op elsewhere): freed small objects (parsed text, the knowledge base's build) otherwise stay resident
    beneath the next stage's arrays, which numpy maps fresh."""
    import ctypes
    import gc

    gc.collect()
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def write_profile(
    adata: Any, out: str | Path, extra_files: dict[str, FileContent] | None = None,
    extra_sections: Sequence[dict[str, Any]] = (), *, inputs: dict[str, str | Path | None] | None = None,
    force: bool = False, xlsx: bool = False, pdf: bool = False,
) -> dict[str, Any]:
    """Write a profiled dataset's outputs into ``out`` (atomically: a staging directory swapped into place)
    and return its summary. An earlier profile directory is replaced; any other non-empty directory is
    refused unless ``force`` (see :func:`secretome.outputs.atomic_directory`; ``inputs`` are
    checksummed into its ownership marker)."""
    from secretome.io import h5ad_safe
    from secretome.profile import proteins_table, samples_table
    from secretome.qc import derived_matrices
    from secretome.report import render_report
    from secretome.summary import build_summary
    from secretome.tables import tsv_text

    out = Path(out)
    check_directory(out, kind="profile", inputs=inputs, force=force)
    summary = build_summary(adata)
    group = summary["parameters"].get("group")
    with derived_matrices():  # the tables' linear and log2 views (the profile job's own, when it has them)
        proteins = tsv_text(proteins_table(adata, group), index=True)
        workbook = workbook_sheets(adata, summary) if xlsx else None
    files: dict[str, FileContent] = {
        naming.PROTEINS: proteins,
        naming.SAMPLES: tsv_text(samples_table(adata, group)),
        naming.PROFILE_JSON: json.dumps(summary, indent=1, allow_nan=False) + "\n",
        # uncompressed: lzf saved a fifth of a quantity matrix's size for 25 times its write time
        naming.DATASET: lambda path: write_h5ad(h5ad_safe(adata), path),
        **(extra_files or {}),
        naming.REPORT: render_report(summary, extra_sections),
    }
    if pdf:
        from secretome.report.certificate import write_certificate

        for card in summary["overview"]:
            files[naming.certificate_file(card["level"])] = (
                lambda path, level=card["level"]: write_certificate(summary, level, path))
    if xlsx:
        from secretome.tables import write_xlsx

        files[naming.WORKBOOK] = lambda path: write_xlsx(workbook, path)
    write_directory(out, files, kind="profile", inputs=inputs or {}, force=force)
    return summary


def workbook_sheets(adata: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The Excel workbook's sheets: one row per lot or group (purity verdict, sample QC counts, the seed
    classes' shares, the comparison with the reference), one per sample, every verdict text, one per
    protein, and the differential and comparability tables when the run has them."""
    import pandas as pd

    from secretome.profile import proteins_table, samples_table

    group = summary["parameters"].get("group")
    lots = pd.DataFrame([
        {"lot" if group is None else str(group): card["level"], "samples": card["n_samples"],
         "purity": card["purity_status"], "purity set by": card["purity_set_by"].replace(";", ", "),
         "pass": card["n_pass"], "warn": card["n_warn"], "fail": card["n_fail"],
         **{f"{name} share of secreted": share for name, share in card["seed_shares"].items()},
         "comparison with reference": card["lot_verdict"] or "; ".join(
             f"{d['metric']} {d['difference']:+.4f}" for d in card["differences"] if d["difference"] is not None)}
        for card in summary["overview"]
    ])
    verdicts = adata.uns["qc"]["verdicts"].copy()
    verdicts.index.name = "sample"
    sheets = {"lots": lots, "samples": samples_table(adata, group), "verdicts": verdicts.reset_index(),
              "proteins": proteins_table(adata, group).reset_index()}
    if "differential" in adata.uns:
        sheets["differential"] = adata.uns["differential"]["table"]
        sheets["enrichment"] = adata.uns["differential"]["enrichment"]
    if "comparability" in adata.uns:
        sheets["comparability lots"] = adata.uns["comparability"]["lots"]
        sheets["comparability factors"] = adata.uns["comparability"]["factors"]
    return sheets


def stored_section(section: dict[str, Any]) -> dict[str, Any]:
    """A report section made by another stage (``id``, ``title``, the report ``partial`` that draws it, its
    ``data`` and ``figures``) as the dataset keeps it (``uns['report_sections']``; data and figures as JSON text),
    so ``profile.json`` redraws the page with it."""
    figures = [figure if isinstance(figure, str) else json.dumps(figure) for figure in section.get("figures", [])]
    return {"id": str(section["id"]), "title": str(section["title"]), "partial": str(section["partial"]),
            "data": json.dumps(section.get("data", {}), allow_nan=False),
            "show_title": bool(section.get("show_title", True)), "figures": figures}


def statistics_options(
    *, design: str | None = None, contrast: str | None = None, normalize: str | None = None, impute: str | None = None,
    min_valid: int | float | None = None, trend: bool = False, robust: bool = False, lot_column: str | None = None,
    reference: Sequence[str] = (), margin: float | None = None, factors: Sequence[str] | None = None,
) -> tuple[Any, Any]:
    """The profile job's statistics parameters as (:class:`~secretome.jobs.analyses.ContrastOptions` or None,
    :class:`~secretome.jobs.analyses.LotOptions` or None), checked: parameters of a part that is off are errors."""
    from secretome.jobs.analyses import ContrastOptions, LotOptions

    if (design is None) != (contrast is None):
        raise SecretomeInputError("design and contrast go together",
                                  expected='both, e.g. design "~ lot" with contrast "lot_B-lot_A"',
                                  parameters=("design", "contrast"))
    contrast_only = {"impute": impute is not None, "min_valid": min_valid is not None, "trend": trend, "robust": robust}
    given = [name for name, used in contrast_only.items() if used]
    if given and design is None:
        raise SecretomeInputError(f"contrast parameters without design and contrast: {', '.join(given)}",
                                  expected="design and contrast as well", parameters=(*given, "design", "contrast"))
    lot_only = {"lot_column": lot_column is not None, "margin": margin is not None, "factors": factors is not None}
    given = [name for name, used in lot_only.items() if used]
    if given and not reference:
        raise SecretomeInputError(f"lot-comparability parameters without reference: {', '.join(given)}",
                                  expected="one or more reference lots", parameters=(*given, "reference"))
    if normalize is not None and design is None and not reference:
        raise SecretomeInputError("normalize applies to a contrast or a lot comparison",
                                  expected="design and contrast, or reference, as well",
                                  parameters=("normalize", "design", "contrast", "reference"))
    contrast_options = lot_options = None
    if design is not None:
        contrast_options = ContrastOptions(
            design=str(design), contrast=str(contrast), normalize=normalize or "median", impute=impute or "none",
            min_valid=2 if min_valid is None else min_valid, trend=trend, robust=robust,
        )
        contrast_options.check()
    if reference:
        lot_options = LotOptions(reference=tuple(reference), lot_column=lot_column or "lot", margin=margin,
                                 factors=tuple(factors) if factors is not None else None, normalize=normalize or "median")
        lot_options.check()
    return contrast_options, lot_options


def statistics_parameters(contrast_options: Any, lot_options: Any) -> dict[str, Any]:
    """The effective statistics parameters for ``profile.json`` (``None`` where a part is off)."""
    contrast = contrast_options.settings() if contrast_options is not None else dict.fromkeys(("impute", "min_valid", "trend", "robust"))
    normalize = (contrast_options or lot_options).normalize if (contrast_options or lot_options) is not None else None
    return {
        "design": contrast_options.design if contrast_options else None,
        "contrast": contrast_options.contrast if contrast_options else None,
        "normalize": normalize,
        "impute": contrast["impute"],
        "min_valid": contrast["min_valid"],
        "trend": contrast["trend"],
        "robust": contrast["robust"],
        "lot_column": lot_options.lot_column if lot_options else None,
        "reference": list(lot_options.reference) if lot_options else [],
        "margin": lot_options.effective_margin() if lot_options else None,
        "factors": lot_options.factor_genes() if lot_options else None,
    }
