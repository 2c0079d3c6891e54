"""Command-line shell: every command is a few lines over the Python API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from secretome import __version__
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


@kb_app.command("info")
def kb_info() -> None:
    """Print the knowledge-base version, its sources and the class sizes."""
    from secretome.kb import kb_summary
    from secretome.kb.store import format_summary

    typer.echo(format_summary(kb_summary()))


def main() -> None:
    """Entry point: run the app, turning input errors into one clear line and exit code 2."""
    try:
        app()
    except SecretomeInputError as error:
        console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
