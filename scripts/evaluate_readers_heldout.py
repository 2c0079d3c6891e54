"""Read a held-out set of real result tables and score the readers against what each file is.

The files are public tables from other projects (test data and examples of proteomics tools), listed with
their provenance and the expected outcome in ``benchmarks/heldout_readers.tsv``. They are kept OUTSIDE the
repository, so the readers are never tuned on them by a committed test; fetch each one from its
``source_repository`` at ``commit`` (``git show <commit>:<path> > <dir>/<file>``) into one directory.

Each file is classified as

- correct read: read with the expected format, quantity (when given), sample and protein counts and the
  expected first and last sample column;
- correct refusal: refused with a :class:`secretome.errors.SecretomeInputError` whose message names what
  the file is (the manifest's ``refusal_names``: one name, or several separated by ``|`` of which one suffices);
- misread: read although it should be refused, or read with other samples, counts or format (a silent
  misread: the worst outcome);
- wrong refusal: refused although it should be read, or refused for another reason than what the file is;
- crash: any other exception (a traceback a user would see).

The manifest's ``batch`` column separates files the readers were fixed for after a first run (1) from files
whose expectations were written before any run and never tuned on (2); the script reports each batch.

Usage: ``python scripts/evaluate_readers_heldout.py [DIR] [--manifest TSV]`` (DIR defaults to
``$SECRETOME_HELDOUT_DIR`` or ``/work/heldout/raw``). Prints one line per file and the share of correct
outcomes; exits 1 when any file is misread or crashes, or fewer than 98% are correct.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import warnings
from pathlib import Path

from secretome.errors import SecretomeInputError
from secretome.io import read

MANIFEST = Path(__file__).resolve().parents[1] / "benchmarks" / "heldout_readers.tsv"
TARGET = 0.98
OUTCOMES = ("correct read", "correct refusal", "misread", "wrong refusal", "crash", "missing")


def load_manifest(path: Path) -> list[dict[str, str]]:
    """The manifest's rows (comment lines starting with '#' skipped)."""
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def names_kind(refusal_names: str, message: str) -> bool:
    """Whether a refusal message names what the file is: ``refusal_names`` holds one name or several
    separated by ``|`` (any one of them suffices; a name that itself holds ``|``, such as a quoted
    identifier ``'sp|P0DMV8|HS7'``, matches as written)."""
    return refusal_names in message or any(name and name in message for name in refusal_names.split("|"))


def classify(row: dict[str, str], directory: Path) -> tuple[str, str]:
    """(outcome, detail) of reading one manifest row's file."""
    path = directory / row["file"]
    if not path.is_file():
        return "missing", f"not found in {directory}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adata = read(path)
    except SecretomeInputError as error:
        message = str(error)
        if row["expect"] == "refuse" and names_kind(row["refusal_names"], message.replace(str(path), "<file>")):
            return "correct refusal", message[:160]
        return "wrong refusal", message[:240]
    except Exception as error:  # noqa: BLE001 - every other exception is what this script exists to find
        return "crash", f"{type(error).__name__}: {error}"[:240]
    source = adata.uns["source"]
    columns = list(source["sample_columns"])
    got = (f"{source['format']}, quantity {source['quantity']!r}, {adata.n_obs} samples x {adata.n_vars} proteins, "
           f"{columns[0]!r} ... {columns[-1]!r}")
    if row["expect"] != "read":
        return "misread", f"read as {got}; expected a refusal naming {row['refusal_names']!r}"
    expected = (row["format"], int(row["n_samples"]), int(row["n_proteins"]), row["first_sample_column"], row["last_sample_column"])
    found = (source["format"], adata.n_obs, adata.n_vars, columns[0], columns[-1])
    if found != expected or (row["quantity"] and source["quantity"] != row["quantity"]):
        return "misread", f"read as {got}; expected {expected} quantity {row['quantity'] or '(any)'!r}"
    return "correct read", got[:160]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", nargs="?", type=Path,
                        default=Path(os.environ.get("SECRETOME_HELDOUT_DIR", "/work/heldout/raw")))
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    rows = load_manifest(args.manifest)
    outcomes = []
    for row in rows:
        outcome, detail = classify(row, args.directory)
        outcomes.append((row.get("batch", ""), outcome))
        print(f"{outcome:16s} [{row.get('batch', '')}] {row['file']}: {detail}")
    print()
    for batch in sorted({b for b, _ in outcomes}):
        summary(f"batch {batch}", [o for b, o in outcomes if b == batch])
    counts, share = summary("all", [o for _, o in outcomes])
    return 0 if share >= TARGET and not counts["misread"] and not counts["crash"] else 1


def summary(label: str, outcomes: list[str]) -> tuple[dict[str, int], float]:
    """Print and return the outcome counts and the share of correct outcomes among the files present."""
    counts = {name: outcomes.count(name) for name in OUTCOMES}
    present = len(outcomes) - counts["missing"]
    correct = counts["correct read"] + counts["correct refusal"]
    share = correct / present if present else 0.0
    print(f"{label}: {correct} of {present} files correct ({share:.1%}; target {TARGET:.0%}, no misread); "
          + ", ".join(f"{name} {n}" for name, n in counts.items()))
    return counts, share


if __name__ == "__main__":
    sys.exit(main())
