"""Command-line shell: every command is a few lines over the Python API."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Optional

import click
import typer
from anndata import AnnData
from rich.console import Console
from rich.text import Text

from secretome import __version__, io
from secretome.errors import SecretomeInputError, from_os_error, one_line

app = typer.Typer(
    name="secretome",
    help="Make therapeutic secretomes measurable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"secretome {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version_callback, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Make therapeutic secretomes measurable."""


def print_message(kind: str, message: str) -> None:
    """Print ``kind: message`` on stderr as one plain line: the message is never read as markup
    (a cell holding ``[/]`` or a folder named ``[raw data]`` prints as it is) and control or
    bidirectional characters are escaped (:func:`secretome.errors.one_line`)."""
    style = "bold red" if kind == "error" else "yellow"
    console.print(Text.assemble((f"{kind}:", style), " ", one_line(message)), highlight=False, soft_wrap=True)


def _read_with_warnings(path: Path, **options: object) -> AnnData:
    """``io.read``, with the reader's own warnings printed as one 'warning:' line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", io.ReaderWarning)
        adata = io.read(path, **options)
    for warning in caught:
        if issubclass(warning.category, io.ReaderWarning):
            print_message("warning", str(warning.message))
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return adata


@app.command()
def compare(
    input: str = typer.Argument(..., help="Search-engine result file (MaxQuant, DIA-NN, FragPipe, ...)."),
    samples: Optional[str] = typer.Option(None, "--samples", help="Sample sheet (one row per sample)."),
    design: str = typer.Option(..., "--design", help='Model formula over sample-sheet columns, e.g. "~ condition + donor".'),
    contrast: str = typer.Option(..., "--contrast", help='Two levels of the design\'s first factor, "A-B".'),
    normalize: str = typer.Option("median", "--normalize", help="none, median, quantile or vsn."),
    impute: str = typer.Option("none", "--impute", help="none, perseus, minprob or knn."),
    min_valid: int = typer.Option(2, "--min-valid", help="Valid values needed in one contrast group (0 = no filter)."),
    trend: bool = typer.Option(False, "--trend", help="eBayes trend=TRUE (intensity-dependent prior)."),
    robust: bool = typer.Option(False, "--robust", help="eBayes robust=TRUE (outlier-robust prior)."),
    out: str = typer.Option("secretome-compare", "--out", help="Output directory."),
    force: bool = typer.Option(False, "--force", help="Replace an --out that secretome did not write for this command (moved aside to OUT.before-TIME; nothing is deleted)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet of INPUT: name or 0-based number."),
    sample_column: Optional[str] = typer.Option(None, "--sample-column", help="Sample-sheet column holding the sample names (default: sample/name/run ...)."),
    enrichment: bool = typer.Option(True, "--enrichment/--no-enrichment", help="Gene-set enrichment of the result (enrichment.tsv and its section); --no-enrichment skips it and the knowledge base's sets."),
) -> None:
    """Moderated (limma) test of one contrast: result TSV, enrichment TSV, volcano plot and an HTML page."""
    from secretome.stats.compare import compare_job

    summary = compare_job(
        input, samples, design, contrast, out, normalize=normalize, impute=impute, min_valid=min_valid, trend=trend, robust=robust,
        force=force, sheet=sheet, sample_column=sample_column, enrichment=enrichment,
    )
    enriched = "" if summary["n_enriched"] is None else f"{summary['n_enriched']} enrichment results at adj. p < 0.05; "
    typer.echo(
        f"{summary['n_proteins']} proteins tested, {summary['n_significant']} at adj. p < 0.05, {enriched}wrote {summary['out']}"
    )


@app.command()
def comparability(
    input: str = typer.Argument(..., help="Search-engine result file."),
    samples: Optional[str] = typer.Option(None, "--samples", help="Sample sheet with a lot column."),
    lot_column: str = typer.Option("lot", "--lot-column", help="Sample-sheet column naming each sample's lot."),
    reference: list[str] = typer.Option(..., "--reference", help="A reference lot (repeat for several)."),
    margin: Optional[float] = typer.Option(None, "--margin", help="Equivalence margin in log2 units (default from config)."),
    factor: Optional[list[str]] = typer.Option(None, "--factor", help="Gene to compare (repeatable; default: the key-factor panel)."),
    out: str = typer.Option("secretome-comparability", "--out", help="Output directory."),
    force: bool = typer.Option(False, "--force", help="Replace an --out that secretome did not write for this command (moved aside to OUT.before-TIME; nothing is deleted)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet of INPUT: name or 0-based number."),
    sample_column: Optional[str] = typer.Option(None, "--sample-column", help="Sample-sheet column holding the sample names (default: sample/name/run ...)."),
) -> None:
    """Lot comparability: TOST per key factor, CV across lots, similarity control chart, verdicts."""
    from secretome.stats.comparability import comparability_job

    summary = comparability_job(
        input, samples, lot_column, reference, out, margin=margin, factors=factor, force=force, sheet=sheet,
        sample_column=sample_column,
    )
    verdicts = ", ".join(f"{lot}: {verdict}" for lot, verdict in summary["lot_verdicts"].items())
    typer.echo(f"{verdicts}; wrote {summary['out']}")


@app.command()
def read(
    input: Path = typer.Argument(..., help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .h5ad file (written atomically)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (CSV/TSV/XLSX)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force a reader: " + ", ".join(io.FORMATS) + "."),
    quantity: Optional[str] = typer.Option(None, "--quantity", help="Quantity column family, e.g. 'LFQ intensity'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet: name or 0-based number."),
    log2: Optional[bool] = typer.Option(None, "--log2/--linear", help="Declare the values log2 or linear (default: detected; never log-transformed twice)."),
    sample_column: Optional[str] = typer.Option(None, "--sample-column", help="Sample-sheet column holding the sample names (default: sample/name/run ...)."),
    decimal: Optional[str] = typer.Option(None, "--decimal", help="Decimal mark of a text table, '.' or ',' (default: decided from the file)."),
) -> None:
    """Read a result table into an AnnData file (samples x proteins)."""
    adata = _read_with_warnings(
        input, samples=samples, format=format, quantity=quantity, sheet=sheet, is_log2=log2,
        sample_column=sample_column, decimal=decimal,
    )
    io.write_h5ad_atomic(adata, out)
    summary = io.summarize(adata)
    features = f"{summary['n_analytes']} analytes" if "n_analytes" in summary else f"{summary['n_proteins']} proteins"
    typer.echo(f"wrote {out}: {summary['n_samples']} samples x {features} ({summary['format']})")


@app.command()
def info(
    input: Path = typer.Argument(..., help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (CSV/TSV/XLSX)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force a reader: " + ", ".join(io.FORMATS) + "."),
    quantity: Optional[str] = typer.Option(None, "--quantity", help="Quantity column family, e.g. 'iBAQ'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet: name or 0-based number."),
    log2: Optional[bool] = typer.Option(None, "--log2/--linear", help="Declare the values log2 or linear (default: detected; never log-transformed twice)."),
    sample_column: Optional[str] = typer.Option(None, "--sample-column", help="Sample-sheet column holding the sample names (default: sample/name/run ...)."),
    decimal: Optional[str] = typer.Option(None, "--decimal", help="Decimal mark of a text table, '.' or ',' (default: decided from the file)."),
) -> None:
    """Print the detected format, quantity, counts, missing-value share and flagged rows."""
    adata = _read_with_warnings(
        input, samples=samples, format=format, quantity=quantity, sheet=sheet, is_log2=log2,
        sample_column=sample_column, decimal=decimal,
    )
    for label, value in io.summary_lines(io.summarize(adata)):
        typer.echo(f"{label}: {value}")


@app.command()
def profile(
    input: Optional[Path] = typer.Argument(None, help="Proteomics result table (MaxQuant, DIA-NN, FragPipe, ...)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (TSV/CSV/XLSX)."),
    group: Optional[str] = typer.Option(None, "--group", help="Sample-sheet column whose levels are compared."),
    format: Optional[str] = typer.Option(None, "--format", help="Input format (default: detected)."),
    quantity: Optional[str] = typer.Option(None, "--quantity", help="Quantity column family (default: detected)."),
    log2: Optional[bool] = typer.Option(None, "--log2/--linear", help="Declare the values log2 or linear (default: detected; never log-transformed twice)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML file overriding qc_thresholds.toml."),
    set_: list[str] = typer.Option([], "--set", help="Override one threshold, e.g. serum_share.fail=0.3 (repeatable)."),
    demo: bool = typer.Option(False, "--demo", help="Run on the built-in simulated demo dataset."),
    design: Optional[str] = typer.Option(None, "--design", help='Adds limma, preprocessing and enrichment sections, e.g. "~ lot" (with --contrast).'),
    contrast: Optional[str] = typer.Option(None, "--contrast", help='Two levels of the design\'s first factor, "B-A".'),
    normalize: Optional[str] = typer.Option(None, "--normalize", help="With --design or --reference: none, median (default), quantile or vsn."),
    impute: Optional[str] = typer.Option(None, "--impute", help="With --design: none (default), perseus, minprob or knn."),
    min_valid: Optional[int] = typer.Option(None, "--min-valid", help="With --design: valid values needed in one contrast group (default 2; 0 = no filter)."),
    trend: bool = typer.Option(False, "--trend", help="With --design: eBayes trend=TRUE."),
    robust: bool = typer.Option(False, "--robust", help="With --design: eBayes robust=TRUE."),
    lot_column: Optional[str] = typer.Option(None, "--lot-column", help="With --reference: sample-sheet column naming lots (default lot)."),
    reference: list[str] = typer.Option([], "--reference", help="Adds lot comparability against this reference lot (repeatable)."),
    margin: Optional[float] = typer.Option(None, "--margin", help="With --reference: equivalence margin in log2 units (default from config)."),
    factor: list[str] = typer.Option([], "--factor", help="With --reference: gene to test for equivalence (repeatable; default key-factor panel)."),
    assay: Optional[Path] = typer.Option(None, "--assay", help="Immunoassay export of the same samples: adds an immunoassay section (the demo has its own panel)."),
    preparation: Optional[str] = typer.Option(None, "--preparation", help="Preparation type (msc_conditioned_medium, msc_ev, ocular_surface_epithelium, tear_fluid ...; default: the sheet's 'preparation' column): selects the key-factor panel and plausibility warnings."),
    panel: Optional[Path] = typer.Option(None, "--panel", help="Your own key-factor panel (TSV: gene, seed_class, why)."),
    out: Path = typer.Option(Path("secretome-profile"), "--out", help="Output directory (written atomically)."),
    force: bool = typer.Option(False, "--force", help="Replace an --out that secretome did not write for this command (moved aside to OUT.before-TIME; nothing is deleted)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet of INPUT: name or 0-based number."),
    sample_column: Optional[str] = typer.Option(None, "--sample-column", help="Sample-sheet column holding the sample names (default: sample/name/run ...)."),
) -> None:
    """QC, purity and functional profile of a secretome preparation: report.html + tables in --out."""
    from secretome.profile import run_profile

    report = run_profile(
        input, out=out, samples=samples, group=group, format=format, quantity=quantity, is_log2=log2,
        config=config, overrides=set_, demo=demo, design=design, contrast=contrast, normalize=normalize,
        impute=impute, min_valid=min_valid, trend=trend, robust=robust, lot_column=lot_column,
        reference=reference, margin=margin, factors=factor or None, assay=assay, preparation=preparation,
        panel_file=panel, force=force, sheet=sheet, sample_column=sample_column,
    )
    typer.echo(f"report: {report}")


kb_app = typer.Typer(help="The knowledge base: version, sources, class sizes.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@app.command()
def annotate(
    source: str = typer.Argument("-", metavar="FILE|-", help="File of identifiers (one per line) or a proteomics table; '-' = stdin."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the TSV here instead of stdout."),
) -> None:
    """Classify proteins: secretion class, functional classes and evidence, as a TSV."""
    from secretome.annotate import annotate_source, write_annotation

    write_annotation(annotate_source(source), out)


@app.command()
def outcomes(
    records: Optional[Path] = typer.Argument(None, help="REDCap records export (CSV) or a tidy table (patient, eye, visit, variable, value)."),
    dictionary: Optional[Path] = typer.Option(None, "--dictionary", help="REDCap data dictionary (CSV): labels, checkboxes, validation, identifier flags."),
    treatments: Optional[Path] = typer.Option(None, "--treatments", help="Treatment table: patient, eye, lot, dose, start, end (optional arm)."),
    lots: Optional[Path] = typer.Option(None, "--lots", help="Folder of lot profile outputs (profile.json), composition.tsv or potency.tsv."),
    events: Optional[Path] = typer.Option(None, "--events", help="REDCap events export (CSV) for visit order in longitudinal projects."),
    key_file: Optional[Path] = typer.Option(None, "--key-file", help="Pseudonymisation key file (created if missing; keep it private). Default: a one-off key."),
    shift_dates: bool = typer.Option(False, "--shift-dates", help="Shift every patient's dates by a key-derived number of days."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Baseline visit (default: the first)."),
    visit: Optional[str] = typer.Option(None, "--visit", help="Outcome visit for responders and the composition link (default: the last)."),
    reference_arm: Optional[str] = typer.Option(None, "--reference-arm", help="Control arm of the models (default: the first arm by name)."),
    min_cell: Optional[int] = typer.Option(None, "--min-cell", help="Smallest number of patients an aggregated cell may show (default from privacy.toml)."),
    demo: bool = typer.Option(False, "--demo", help="Run on the built-in simulated trial (12 lots, a planted growth-factor effect)."),
    force: bool = typer.Option(False, "--force", help="Replace an output directory this command did not write (it is moved aside)."),
    out: Path = typer.Option(Path("secretome-outcomes"), "--out", help="Output directory (written atomically)."),
) -> None:
    """Clinical outcomes linked to the lots patients received: scores, DEWS diagnoses, models, report.html in --out."""
    import tempfile

    from secretome.jobs.outcomes import outcomes_job

    with tempfile.TemporaryDirectory(prefix="secretome-trial-") as scratch:
        if demo:
            from secretome.clinical_datasets import write_demo_trial

            paths = write_demo_trial(scratch)
            records, dictionary, events, treatments, lots = (paths["records"], paths["dictionary"], paths["events"],
                                                             paths["treatments"], paths["lots"])
            reference_arm = reference_arm or "vehicle"
        if records is None or treatments is None:
            raise SecretomeInputError("outcomes needs RECORDS and --treatments (or --demo)", expected="secretome outcomes RECORDS --treatments FILE --out DIR")
        result = outcomes_job(records, dictionary=dictionary, treatments=treatments, lots=lots, out=out, events=events, key=key_file,
                              shift_dates=shift_dates, baseline=baseline, visit=visit, reference_arm=reference_arm,
                              min_cell_patients=min_cell, force=force)
    s = result.summary
    typer.echo(f"{s['patients']} patients, {s['measures']} measures, {s['identifiers_dropped']} identifier field(s) dropped, "
               f"{s['significant_links']} significant composition link(s); report: {result.out / 'report.html'}")


@kb_app.command("info")
def kb_info() -> None:
    """Print the knowledge-base version, its sources and the class sizes."""
    from secretome.kb import kb_summary
    from secretome.kb.store import format_summary

    typer.echo(format_summary(kb_summary()))


from secretome.registry.cli import register as _register_registry_commands  # noqa: E402

_register_registry_commands(app)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """``warnings.showwarning`` for the CLI: the package's own warnings as one plain ``warning:`` line."""
    if category.__module__.startswith("secretome"):
        print_message("warning", str(message))
    else:
        (file or sys.stderr).write(warnings.formatwarning(message, category, filename, lineno, line))


@app.command()
def assay(
    input: list[Path] = typer.Argument(..., help="Immunoassay export(s): xPONENT, INTELLIFLEX, Bio-Plex, MSD, SoftMax Pro, Gen5, Olink NPX, grids, long tables; several = several runs."),
    layout: Optional[Path] = typer.Option(None, "--layout", help="Plate layout sheet (well, sample, kind, level, expected, dilution ...)."),
    model: str = typer.Option("5pl", "--model", help="Standard curve: 4pl or 5pl."),
    weights: str = typer.Option("1/y^2", "--weights", help="none, 1/y or 1/y^2 (xPONENT's own)."),
    blank: str = typer.Option("auto", "--blank", help="auto, subtract, none, or fit (zero standards in the fit, as SoftMax Pro)."),
    substitution: str = typer.Option("none", "--substitution", help="Values below LLOQ reported as: none, lloq/2 or lloq/sqrt2 (flags are kept)."),
    decimal: str = typer.Option("exclude", "--decimal", help="Standards with a lost decimal point: exclude (flagged) or repair."),
    format: Optional[str] = typer.Option(None, "--format", help="Force an assay reader (default: detected)."),
    analyte: Optional[str] = typer.Option(None, "--analyte", help="Name of the analyte of a single-analyte ELISA export."),
    potency: Optional[Path] = typer.Option(None, "--potency", help="Potency/release specification (analyte, kind, low, high, unit, source)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (sample names, lot ...); potency is judged per --lot-column."),
    lot_column: str = typer.Option("lot", "--lot-column", help="Sample-sheet column naming each sample's lot."),
    out: Path = typer.Option(Path("secretome-assay"), "--out", help="Output directory (written atomically)."),
) -> None:
    """Standard curves, concentrations with LLOQ/ULOQ flags, QC and an HTML report for immunoassay exports."""
    from secretome.jobs.assay import assay_job

    result = assay_job(
        input if len(input) > 1 else input[0], layout=layout, model=model, weights=weights, blank=blank, substitution=substitution,
        decimal=decimal, format=format, analyte=analyte, potency=potency, samples=samples, lot_column=lot_column, out=out,
    )
    s = result.summary
    typer.echo(f"{s['n_samples']} samples x {s['n_analytes']} analytes, {s['n_fitted']} of {s['n_curves']} curves fitted; report: {out / 'report.html'}")


_COMMAND_LINE_ERRORS = tuple({click.ClickException, getattr(typer, "TyperException", click.ClickException)})
"""Usage errors of the command-line parser (typer may bundle its own click, whose classes differ)."""
_ABORTS = tuple({click.exceptions.Abort, typer.Abort})


def main() -> None:
    """Entry point: run the app, turning input and output errors (including OS errors such as a full
    disk or a permission problem, and running out of memory) into one plain line and exit code 2."""
    previous, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except _COMMAND_LINE_ERRORS as error:  # a usage error: one line too, naming where help is
        kinds = {kind.__name__ for kind in type(error).__mro__}
        if "NoArgsIsHelpError" in kinds:  # a bare command group: its help
            typer.echo(error.format_message())
        else:
            context = getattr(error, "ctx", None)
            where = f" (see '{context.command_path} --help')" if "UsageError" in kinds and context is not None else ""
            print_message("error", error.format_message() + where)
        sys.exit(getattr(error, "exit_code", 2))
    except _ABORTS:
        print_message("error", "interrupted; no output was changed")
        sys.exit(130)
    except SecretomeInputError as error:
        print_message("error", str(error))
        sys.exit(2)
    except OSError as error:
        if isinstance(error, BrokenPipeError):  # the reader of stdout went away (``| head``)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        print_message("error", str(from_os_error(error, output=None)))
        sys.exit(2)
    except MemoryError:
        print_message("error", "not enough memory to finish: the input is too large for this machine")
        sys.exit(2)
    except KeyboardInterrupt:
        print_message("error", "interrupted; no output was changed")
        sys.exit(130)
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":
    main()
