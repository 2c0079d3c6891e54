"""Command-line shell: every command is a few lines over the Python API."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Optional

import typer
from anndata import AnnData
from rich.console import Console

from secretome import __version__, io
from secretome.errors import SecretomeInputError

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


def _read_with_warnings(path: Path, **options: object) -> AnnData:
    """``io.read``, with the reader's own warnings printed as one 'warning:' line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", io.ReaderWarning)
        adata = io.read(path, **options)
    for warning in caught:
        if issubclass(warning.category, io.ReaderWarning):
            console.print(f"[yellow]warning:[/] {warning.message}", highlight=False, soft_wrap=True)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    return adata


@app.command()
def read(
    input: Path = typer.Argument(..., help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output .h5ad file (written atomically)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (CSV/TSV/XLSX)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force a reader: " + ", ".join(io.FORMATS) + "."),
    quantity: Optional[str] = typer.Option(None, "--quantity", help="Quantity column family, e.g. 'LFQ intensity'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet: name or 0-based number."),
) -> None:
    """Read a result table into an AnnData file (samples x proteins)."""
    adata = _read_with_warnings(input, samples=samples, format=format, quantity=quantity, sheet=sheet)
    io.write_h5ad_atomic(adata, out)
    summary = io.summarize(adata)
    typer.echo(f"wrote {out}: {summary['n_samples']} samples x {summary['n_proteins']} proteins ({summary['format']})")


@app.command()
def info(
    input: Path = typer.Argument(..., help="Protein-level result table (TSV/CSV/XLSX, optionally .gz/.xz/.zip)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Sample sheet (CSV/TSV/XLSX)."),
    format: Optional[str] = typer.Option(None, "--format", help="Force a reader: " + ", ".join(io.FORMATS) + "."),
    quantity: Optional[str] = typer.Option(None, "--quantity", help="Quantity column family, e.g. 'iBAQ'."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX worksheet: name or 0-based number."),
) -> None:
    """Print the detected format, quantity, counts, missing-value share and flagged rows."""
    adata = _read_with_warnings(input, samples=samples, format=format, quantity=quantity, sheet=sheet)
    for label, value in io.summary_lines(io.summarize(adata)):
        typer.echo(f"{label}: {value}")


def main() -> None:
    """Entry point: run the app, turning input errors into one clear line and exit code 2."""
    try:
        app()
    except SecretomeInputError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
