"""Command-line shell: every command is a few lines over a job of :mod:`secretome.jobs`.

The library speaks of parameters (``min_valid``); this shell re-words them as its flags
(``--min-valid``) when it prints an input error. Imports are lazy: ``secretome --version`` and
``--help`` load neither pandas nor the engine.
"""

from __future__ import annotations

import gc
import importlib.machinery
import os
import sys
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from secretome import __version__
from secretome.errors import SecretomeInputError, from_os_error, one_line

if TYPE_CHECKING:
    from secretome.jobs import JobResult, ProgressCallback

app = typer.Typer(
    name="secretome",
    help="Make therapeutic secretomes measurable.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

READER_FORMATS = ("maxquant", "diann", "philosopher", "fragpipe", "spectronaut", "tmt_integrator", "msstats", "alphadia", "alphapept",
                  "dia_umpire", "peaks", "proteome_discoverer", "scaffold", "progenesis", "perseus", "generic")
"""The readers' format names as help texts show them (a test keeps them equal to ``secretome.io.FORMATS``)."""

FLAGS = {
    "input": "INPUT", "out": "--out", "samples": "--samples", "group": "--group", "format": "--format",
    "quantity": "--quantity", "sheet": "--sheet", "is_log2": "--log2/--linear", "config": "--config",
    "overrides": "--set", "demo": "--demo", "design": "--design", "contrast": "--contrast",
    "normalize": "--normalize", "impute": "--impute", "min_valid": "--min-valid", "trend": "--trend",
    "robust": "--robust", "lot_column": "--lot-column", "reference": "--reference", "margin": "--margin",
    "factors": "--factor", "xlsx": "--xlsx", "pdf": "--pdf", "force": "--force", "enrichment": "--no-enrichment",
    "preparation": "--preparation", "panel_file": "--panel", "assay": "--assay", "sample_column": "--sample-column",
    "decimal": "--decimal",
}
"""Library parameter -> the flag (or argument) that sets it: how input errors are worded on the command line."""


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"secretome {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Make therapeutic secretomes measurable."""


def print_message(kind: str, message: str) -> None:
    """Print ``kind: message`` on stderr as one plain line: the message is never read as markup
    (a cell holding ``[/]`` or a folder named ``[raw data]`` prints as it is) and control or
    bidirectional characters are escaped (:func:`secretome.errors.one_line`). rich colours the kind only on a
    terminal (or with ``FORCE_COLOR``); elsewhere the same line is written without importing it."""
    if not (sys.stderr.isatty() or os.environ.get("FORCE_COLOR")):
        sys.stderr.write(f"{kind}: {one_line(message)}\n")
        sys.stderr.flush()
        return
    from rich.console import Console
    from rich.text import Text

    style = "bold red" if kind == "error" else "yellow"
    Console(stderr=True).print(Text.assemble((f"{kind}:", style), " ", one_line(message)), highlight=False, soft_wrap=True)


def _warnings(result: JobResult) -> None:
    for warning in result.summary.get("warnings", []):
        print_message("warning", str(warning))


@contextmanager
def _progress(title: str) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr when it is a terminal (not in pipes or CI); yields the jobs' callback."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title, total=1.0)

        def update(step: str, fraction: float | None) -> None:
            bar.update(task, description=f"{title}: {step}", **({"completed": fraction} if fraction is not None else {}))

        yield update


FORMAT_HELP = "Force a reader: " + ", ".join(READER_FORMATS) + " (default: detected)."
LOG2_HELP = "Declare the values log2 or linear (default: detected; never log-transformed twice)."

# Options several commands share, declared once so their flags and help read alike everywhere.
FormatOption = Annotated[Optional[str], typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)]
Log2Option = Annotated[Optional[bool], typer.Option("--log2/--linear", help=LOG2_HELP, show_default=False)]
DecimalOption = Annotated[Optional[str], typer.Option(
    "--decimal", metavar="MARK", help="Decimal mark of a text table, '.' or ',' (default: decided from the file).")]
SampleColumnOption = Annotated[Optional[str], typer.Option(
    "--sample-column", metavar="COLUMN", help="Sample-sheet column holding the sample names (default: sample/name/run ...).")]
InputSheetOption = Annotated[Optional[str], typer.Option(
    "--sheet", metavar="SHEET", help="XLSX worksheet of INPUT: name or 0-based number.")]
QuantityOption = Annotated[Optional[str], typer.Option(
    "--quantity", metavar="FAMILY", help="Quantity column family (default: detected).")]
ForceOption = Annotated[bool, typer.Option(
    "--force", help="Replace an --out that secretome did not write for this command (moved aside to OUT.before-TIME; "
                    "nothing is deleted).")]


@app.command()
def compare(
    input: Path = typer.Argument(..., metavar="INPUT", help="Search-engine result file (MaxQuant, DIA-NN, FragPipe, ...)."),
    samples: Optional[Path] = typer.Option(None, "--samples", metavar="SHEET", help="Sample sheet (one row per sample)."),
    design: str = typer.Option(..., "--design", metavar="FORMULA", help='Model formula over sample-sheet columns, e.g. "~ condition + donor".'),
    contrast: str = typer.Option(..., "--contrast", metavar="A-B", help='Two levels of the design\'s first factor, "A-B".'),
    normalize: str = typer.Option("median", "--normalize", metavar="METHOD", help="none, median, quantile or vsn."),
    impute: str = typer.Option("none", "--impute", metavar="METHOD", help="none, perseus, minprob or knn."),
    min_valid: int = typer.Option(2, "--min-valid", metavar="N", help="Valid values needed in one contrast group (0 = no filter)."),
    trend: bool = typer.Option(False, "--trend", help="eBayes trend=TRUE (intensity-dependent prior)."),
    robust: bool = typer.Option(False, "--robust", help="eBayes robust=TRUE (outlier-robust prior)."),
    out: Path = typer.Option(Path("secretome-compare"), "--out", metavar="DIR", help="Output directory (written atomically)."),
    force: ForceOption = False,
    enrichment: Optional[bool] = typer.Option(None, "--enrichment/--no-enrichment", show_default=False, help="Test enrichment of the result, or not (default: only where it adds to the page: some protein changed and the proteins name enough gene symbols)."),
    sheet: InputSheetOption = None,
    sample_column: SampleColumnOption = None,
    format: FormatOption = None,
    quantity: QuantityOption = None,
    log2: Log2Option = None,
    decimal: DecimalOption = None,
) -> None:
    """Moderated (limma) test of one contrast: differential and enrichment tables and one report.html."""
    from secretome.jobs import compare_job

    with _progress("secretome compare") as progress:
        result = compare_job(input, out, samples=samples, design=design, contrast=contrast, normalize=normalize,
                             impute=impute, min_valid=min_valid, trend=trend, robust=robust, enrichment=enrichment,
                             format=format, quantity=quantity, is_log2=log2, decimal=decimal,
                             sheet=sheet, sample_column=sample_column, force=force, progress=progress)
    _warnings(result)
    s = result.summary
    enriched = "enrichment not tested" if s["n_enriched"] is None else f"{s['n_enriched']} enrichment results at adj. p < {s['alpha']:g}"
    if s["n_enriched"] is None and enrichment is None:
        print_message("note", f"{s['enrichment_note']} Pass --enrichment to test it anyway.")
    typer.echo(f"{s['n_tested']} proteins tested, {s['n_up'] + s['n_down']} at adj. p < {s['alpha']:g} "
               f"({s['n_up']} up, {s['n_down']} down), {enriched}; wrote {result.out}")


@app.command()
def comparability(
    input: Path = typer.Argument(..., metavar="INPUT", help="Search-engine result file."),
    samples: Optional[Path] = typer.Option(None, "--samples", metavar="SHEET", help="Sample sheet with a lot column."),
    lot_column: str = typer.Option("lot", "--lot-column", metavar="COLUMN", help="Sample-sheet column naming each sample's lot."),
    reference: list[str] = typer.Option(..., "--reference", metavar="LOT", help="A reference lot (repeat for several)."),
    margin: Optional[float] = typer.Option(None, "--margin", metavar="LOG2", help="Equivalence margin in log2 units (default from config)."),
    factor: Optional[list[str]] = typer.Option(None, "--factor", metavar="GENE", help="Gene to compare (repeatable; default: the key-factor panel)."),
    out: Path = typer.Option(Path("secretome-comparability"), "--out", metavar="DIR", help="Output directory (written atomically)."),
    force: ForceOption = False,
    sheet: InputSheetOption = None,
    sample_column: SampleColumnOption = None,
    format: FormatOption = None,
    quantity: QuantityOption = None,
    log2: Log2Option = None,
    decimal: DecimalOption = None,
) -> None:
    """Lot comparability: TOST per key factor, CV across lots, similarity control chart, verdicts."""
    from secretome.jobs import comparability_job

    with _progress("secretome comparability") as progress:
        result = comparability_job(input, out, samples=samples, lot_column=lot_column, reference=reference,
                                   margin=margin, factors=factor or None, format=format, quantity=quantity,
                                   is_log2=log2, decimal=decimal, sheet=sheet, sample_column=sample_column,
                                   force=force, progress=progress)
    _warnings(result)
    verdicts = ", ".join(f"{lot}: {verdict}" for lot, verdict in result.summary["lot_verdicts"].items())
    typer.echo(f"{verdicts}; wrote {result.out}")


#: The ``info`` lines ``read`` prints too: the quantity, the columns taken as samples and those left, with reasons.
READ_LINES = frozenset({"quantity", "sample columns", "samples without this quantity", "isobaric labelling", "columns not read"})


@app.command()
def read(
    input: Path = typer.Argument(..., metavar="INPUT", help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    out: Path = typer.Option(..., "--out", "-o", metavar="FILE.h5ad", help="Output .h5ad file (written atomically)."),
    samples: Optional[Path] = typer.Option(None, "--samples", metavar="SHEET", help="Sample sheet (CSV/TSV/XLSX)."),
    format: FormatOption = None,
    quantity: Optional[str] = typer.Option(None, "--quantity", metavar="FAMILY", help="Quantity column family, e.g. 'LFQ intensity'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", metavar="SHEET", help="XLSX worksheet: name or 0-based number."),
    log2: Log2Option = None,
    sample_column: SampleColumnOption = None,
    decimal: DecimalOption = None,
) -> None:
    """Read a result table into an AnnData file (samples x proteins)."""
    from secretome.jobs import read_job

    result = read_job(input, out, samples=samples, format=format, quantity=quantity, sheet=sheet, is_log2=log2,
                      sample_column=sample_column, decimal=decimal)
    _warnings(result)
    s = result.summary
    features = f"{s['n_analytes']} analytes" if "n_analytes" in s else f"{s['n_proteins']} proteins"
    typer.echo(f"wrote {result.out}: {s['n_samples']} samples x {features} ({s['format']})")
    if "n_analytes" not in s:
        from secretome.io import summary_lines

        for label, value in summary_lines(s):  # what was taken as samples and what was left, with reasons
            if label in READ_LINES or label.startswith("  "):
                typer.echo(f"{label}: {value}")


@app.command()
def info(
    input: Path = typer.Argument(..., metavar="INPUT", help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    samples: Optional[Path] = typer.Option(None, "--samples", metavar="SHEET", help="Sample sheet (CSV/TSV/XLSX)."),
    format: FormatOption = None,
    quantity: Optional[str] = typer.Option(None, "--quantity", metavar="FAMILY", help="Quantity column family, e.g. 'iBAQ'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", metavar="SHEET", help="XLSX worksheet: name or 0-based number."),
    log2: Log2Option = None,
    sample_column: SampleColumnOption = None,
    decimal: DecimalOption = None,
) -> None:
    """Print the detected format, quantity, counts, missing-value share and flagged rows."""
    from secretome.io import summary_lines
    from secretome.jobs.common import summarize_input

    summary, notes = summarize_input(input, samples, format=format, quantity=quantity, sheet=sheet, is_log2=log2,
                                     sample_column=sample_column, decimal=decimal)
    for warning in notes:
        print_message("warning", str(warning))
    for label, value in summary_lines(summary):
        typer.echo(f"{label}: {value}")


@app.command()
def profile(
    input: Optional[Path] = typer.Argument(None, metavar="[INPUT]", help="Proteomics result table (MaxQuant, DIA-NN, FragPipe, ...)."),
    samples: Optional[Path] = typer.Option(None, "--samples", metavar="SHEET", help="Sample sheet (TSV/CSV/XLSX)."),
    group: Optional[str] = typer.Option(None, "--group", metavar="COLUMN", help="Sample-sheet column whose levels are compared."),
    format: FormatOption = None,
    quantity: QuantityOption = None,
    log2: Log2Option = None,
    config: Optional[Path] = typer.Option(None, "--config", metavar="TOML", help="TOML file overriding qc_thresholds.toml."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override one threshold, e.g. serum_share.fail=0.3 (repeatable)."),
    demo: bool = typer.Option(False, "--demo", help="Run on the built-in simulated demo dataset."),
    design: Optional[str] = typer.Option(None, "--design", metavar="FORMULA", help='Adds limma, preprocessing and enrichment sections, e.g. "~ lot" (with --contrast).'),
    contrast: Optional[str] = typer.Option(None, "--contrast", metavar="A-B", help='Two levels of the design\'s first factor, "B-A".'),
    normalize: Optional[str] = typer.Option(None, "--normalize", metavar="METHOD", help="With --design or --reference: none, median (default), quantile or vsn."),
    impute: Optional[str] = typer.Option(None, "--impute", metavar="METHOD", help="With --design: none (default), perseus, minprob or knn."),
    min_valid: Optional[int] = typer.Option(None, "--min-valid", metavar="N", help="With --design: valid values needed in one contrast group (default 2; 0 = no filter)."),
    trend: bool = typer.Option(False, "--trend", help="With --design: eBayes trend=TRUE."),
    robust: bool = typer.Option(False, "--robust", help="With --design: eBayes robust=TRUE."),
    lot_column: Optional[str] = typer.Option(None, "--lot-column", metavar="COLUMN", help="With --reference: sample-sheet column naming lots (default lot)."),
    reference: list[str] = typer.Option([], "--reference", metavar="LOT", help="Adds lot comparability against this reference lot (repeatable)."),
    margin: Optional[float] = typer.Option(None, "--margin", metavar="LOG2", help="With --reference: equivalence margin in log2 units (default from config)."),
    factor: list[str] = typer.Option([], "--factor", metavar="GENE", help="With --reference: gene to test for equivalence (repeatable; default key-factor panel)."),
    assay: Optional[Path] = typer.Option(None, "--assay", metavar="EXPORT", help="Immunoassay export of the same samples: adds an immunoassay section (the demo has its own panel)."),
    preparation: Optional[str] = typer.Option(None, "--preparation", metavar="TYPE", help="Preparation type (msc_conditioned_medium, msc_ev, ocular_surface_epithelium, tear_fluid ...; default: the sheet's 'preparation' column): selects the key-factor panel and plausibility warnings."),
    panel: Optional[Path] = typer.Option(None, "--panel", metavar="TSV", help="Your own key-factor panel (TSV: gene, seed_class, why)."),
    xlsx: bool = typer.Option(False, "--xlsx", help="Also write secretome.xlsx: lots, samples, verdicts, proteins (and statistics) as formatted sheets."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write a certificate-of-analysis PDF per lot or group (printed offline by headless Chromium)."),
    out: Path = typer.Option(Path("secretome-profile"), "--out", metavar="DIR", help="Output directory (written atomically)."),
    force: ForceOption = False,
    sheet: InputSheetOption = None,
    sample_column: SampleColumnOption = None,
    decimal: DecimalOption = None,
) -> None:
    """QC, purity and functional profile of a secretome preparation: report.html + tables in --out."""
    from secretome.jobs import profile_job

    with _progress("secretome profile") as progress:
        result = profile_job(
            input, out, samples=samples, group=group, format=format, quantity=quantity, is_log2=log2,
            config=config, overrides=set_, demo=demo, design=design, contrast=contrast, normalize=normalize,
            impute=impute, min_valid=min_valid, trend=trend, robust=robust, lot_column=lot_column,
            reference=reference, margin=margin, factors=factor or None, assay=assay, preparation=preparation, panel_file=panel, sheet=sheet,
            sample_column=sample_column, decimal=decimal, xlsx=xlsx, pdf=pdf, force=force, progress=progress,
        )
    _warnings(result)
    typer.echo(f"report: {result.out / 'report.html'}")


kb_app = typer.Typer(help="The knowledge base: version, sources, class sizes.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")


@app.command()
def annotate(
    source: str = typer.Argument("-", metavar="FILE|-", help="File of identifiers (one per line) or a proteomics table; '-' = stdin."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Write the TSV here instead of stdout."),
) -> None:
    """Classify proteins: secretion class, functional classes and evidence, as a TSV."""
    if out is None:
        from secretome.annotate import annotate_source, write_annotation

        write_annotation(annotate_source(source))
        return
    from secretome.jobs import annotate_job

    annotate_job(source, out)


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


@kb_app.command("info")
def kb_info() -> None:
    """Print the knowledge-base version, its sources and the class sizes."""
    from secretome.kb import kb_summary
    from secretome.kb.store import format_summary

    typer.echo(format_summary(kb_summary()))


from secretome.registry.cli import register as _register_registry_commands  # noqa: E402

_register_registry_commands(app)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """``warnings.showwarning`` for the CLI: every warning (the package's own, or a library's that escaped the
    jobs, which state theirs in the result) as one plain ``warning:`` line, never Python's raw form."""
    if category.__module__.startswith("secretome"):
        print_message("warning", str(message))
    else:
        from secretome.jobs.base import stated_warning

        print_message("warning", stated_warning(warnings.WarningMessage(message, category, filename, lineno)))


_COMMAND_LINE_ERRORS = (typer.TyperException,)
"""Usage errors of the command-line parser (typer's bundled click raises them; click itself is never imported)."""


def main() -> None:
    """Entry point: run the app, turning input and output errors (including OS errors such as a full
    disk or a permission problem, and running out of memory) into one plain line and exit code 2.
    Library errors name parameters; they are printed with this shell's flags (:data:`FLAGS`)."""
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
    except typer.Abort:
        print_message("error", "interrupted; no output was changed")
        sys.exit(130)
    except SecretomeInputError as error:
        print_message("error", str(error.reworded(FLAGS)))
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


class _AbsentZarr(types.ModuleType):
    """What the command-line process has as ``zarr`` (see :func:`console_main`): the two classes anndata names at
    import time, and nothing else."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"zarr is not loaded in the secretome command-line process (it reads and writes .h5ad "
                             f"files only); zarr.{name} is unavailable here, use the Python API for zarr stores")


def _defer_zarr() -> None:
    """Register :class:`_AbsentZarr` as ``zarr`` unless zarr or anndata is loaded already.

    anndata imports zarr (and with it asyncio, numcodecs, donfig and yaml: ~0.15 s, a tenth of a small
    ``profile``) at import time only to name ``zarr.Array`` and ``zarr.Group`` in its I/O registry. Every command
    reads and writes AnnData as ``.h5ad`` (HDF5, through h5py) and never a zarr store, so in this process anndata
    gets two classes no object is an instance of: its zarr branches are never taken, its HDF5 ones are unchanged.
    Only the console entry point does this: ``import secretome`` (the Python API) leaves zarr to anndata."""
    if "zarr" in sys.modules or "anndata" in sys.modules:
        return
    stand_in = _AbsentZarr("zarr", _AbsentZarr.__doc__)
    stand_in.__spec__ = importlib.machinery.ModuleSpec("zarr", None)
    stand_in.Array = type("Array", (), {"__module__": "zarr", "__doc__": "Stand-in: zarr is not loaded."})
    stand_in.Group = type("Group", (), {"__module__": "zarr", "__doc__": "Stand-in: zarr is not loaded."})
    sys.modules["zarr"] = stand_in


LAZY_NUMPY_MODULES = ("numpy.testing", "numpy.f2py")
"""numpy submodules the console process loads only when one of their names is used (:func:`_defer_numpy_extras`)."""


def _defer_numpy_extras() -> None:
    """Make :data:`LAZY_NUMPY_MODULES` load on first use instead of at import.

    scipy's array-API layer copies every public name of numpy into a namespace of its own when scipy.sparse or
    scipy.special is imported, and naming ``numpy.testing`` and ``numpy.f2py`` imports them (~0.03 s of every
    command, f2py's Fortran parser included) although no command uses either. Here both are registered as
    :class:`importlib.util.LazyLoader` modules: the copy holds the module object, whose code runs the first time
    any of its attributes is read, so a use anywhere still gets the whole module. Only the console entry point
    does this, before numpy is imported; ``import secretome`` (the Python API) leaves numpy as it is."""
    if "numpy" in sys.modules:
        return
    import importlib.util

    import numpy

    for name in LAZY_NUMPY_MODULES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        setattr(numpy, name.rpartition(".")[2], module)  # what ``import numpy.testing`` binds, so numpy's own lookup finds it


GC_THRESHOLD = (10_000, 10, 10)
"""The console process's garbage-collector thresholds (Python's: 700, 10, 10). Importing the engine creates a few
hundred thousand objects, each a candidate for the collector: with the default, a ``profile`` of 50 x 3,000 runs
~280 young and 2 full collections (~0.1 s); with 10,000 young objects per collection (mypy uses 200,000) it runs
~17 and no full one. Cycles are still collected; the older generations keep Python's ratios."""


def _settle_for_exit() -> None:
    """Collect the command's garbage once, then freeze what is alive, as the command ends.

    The interpreter's shutdown runs full collections over every tracked object while it tears the modules down
    (~0.13 s after a ``compare``, a tenth of the command). Here the garbage (cycles included: a temporary file or
    handle only a cycle holds is closed and removed as usual) is collected by one ``gc.collect`` (~0.03 s) and
    the survivors are moved out of the collector's reach (``gc.freeze``): they are still freed one by one when
    their modules are cleared, atexit handlers (and ``weakref.finalize``, e.g. of temporary directories) still
    run, only the shutdown's repeated traversals of them are skipped. The outputs are complete and closed
    before this runs (every job writes them atomically and returns)."""
    gc.collect()
    gc.freeze()


ONE_BLAS_THREAD_COMMANDS = frozenset({"compare"})
"""Commands whose process runs OpenBLAS with one thread unless the user set ``OPENBLAS_NUM_THREADS``. Its idle
worker threads spin between calls: ``compare`` 8,000 x 24 used 1.19 s of CPU for 0.99 s of wall with the default two
threads, 0.96 s / 0.96 s with one (x 200: 1.53 / 1.31 s against 1.28 / 1.28 s), its TSVs byte-identical. Not
``profile``: at 1,000 x 20,000 its correlation gains from the second thread (benchmarks/README.md)."""


def _limit_blas_threads(argv: list[str]) -> None:
    """Set ``OPENBLAS_NUM_THREADS=1`` for :data:`ONE_BLAS_THREAD_COMMANDS`; it counts only before numpy is imported."""
    if "numpy" not in sys.modules and ONE_BLAS_THREAD_COMMANDS.intersection(argv[1:2]):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _runs_a_command(argv: list[str]) -> bool:
    """Whether ``argv`` runs a command (every command imports numpy), not only ``--version`` or a help text."""
    return len(argv) > 1 and not argv[1].startswith("-") and not {"--help", "-h"}.intersection(argv[2:])


def console_main() -> None:
    """The ``secretome`` command (console script and ``python -m secretome``): :func:`main` in a process that
    leaves zarr unloaded (:func:`_defer_zarr`) and numpy's testing and f2py modules unloaded until used
    (:func:`_defer_numpy_extras`, for a command), runs BLAS with one thread where that is quicker
    (:func:`_limit_blas_threads`), collects garbage less often (:data:`GC_THRESHOLD`) and settles its objects for
    a quick shutdown when it ends (:func:`_settle_for_exit`)."""
    _limit_blas_threads(sys.argv)
    gc.set_threshold(*GC_THRESHOLD)
    _defer_zarr()
    if _runs_a_command(sys.argv):
        _defer_numpy_extras()
    try:
        main()
    finally:
        _settle_for_exit()


if __name__ == "__main__":
    console_main()
