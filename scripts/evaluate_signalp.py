#!/usr/bin/env python
"""Evaluate the knowledge base's secretion classes against the SignalP 6.0 signal-peptide labels (evaluation only).

Usage::

    python scripts/evaluate_signalp.py [--source ../shared/data] [--list]

Reads ``signal_peptides/signalp6_train_set.fasta.gz`` (Teufel et al. 2022, doi:10.1038/s41587-021-01156-3; licence
CC BY-NC-ND 2.0). The file is only read here, locally, to print numbers: nothing of it is shipped, copied into the
project, or used to build or tune the knowledge base (``scripts/build_kb.py`` refuses to open it).

Eukaryotic entries are matched to the knowledge base's human entries by accession and grouped by their label:
``signal_peptide`` (type SP), ``transmembrane`` (NO_SP with a membrane segment 'M' in the labelled first 70
residues) and ``cytosolic`` (NO_SP, no membrane segment). Prints the confusion table of secretion_class against
these groups, the share of cytosolic proteins called classically secreted, and every cytosolic protein called
secreted at all (``secreted`` or ``unconventional``) with the rule and curated reference behind the call.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path(os.environ.get("SECRETOME_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
SIGNALP_FILE = Path("signal_peptides") / "signalp6_train_set.fasta.gz"


def read_signalp(path: Path) -> pd.DataFrame:
    """The eukaryotic entries of the SignalP 6.0 3-line FASTA: accession, type, label group."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    for header, _sequence, labels in zip(lines[0::3], lines[1::3], lines[2::3]):
        accession, kingdom, kind, _partition = header[1:].split("|")
        if kingdom != "EUKARYA":
            continue
        group = "signal_peptide" if kind == "SP" else ("transmembrane" if "M" in labels else "cytosolic")
        rows.append({"accession": accession, "signalp_type": kind, "signalp_group": group})
    return pd.DataFrame(rows).drop_duplicates("accession")


def evaluate(source: Path) -> dict:
    """Match the SignalP labels to the knowledge base; return the confusion table and the headline numbers."""
    from secretome.kb import SECRETION_CLASSES, load_kb

    labels = read_signalp(source / SIGNALP_FILE)
    table = load_kb().table
    human = table[(table["species"] == "HUMAN") & table["reviewed"]]
    matched = labels.merge(human[["accession", "gene", "secretion_class", "evidence"]], on="accession")
    confusion = pd.crosstab(matched["secretion_class"], matched["signalp_group"]).reindex(
        [c for c in SECRETION_CLASSES if c in set(matched["secretion_class"])])
    cytosolic = matched[matched["signalp_group"] == "cytosolic"]
    secreted_at_all = cytosolic[cytosolic["secretion_class"].isin(["secreted", "unconventional"])]
    sp = matched[matched["signalp_group"] == "signal_peptide"]
    return {
        "matched": len(matched),
        "confusion": confusion,
        "cytosolic": len(cytosolic),
        "cytosolic_classical": int((cytosolic["secretion_class"] == "secreted").sum()),
        "cytosolic_secreted_at_all": secreted_at_all,
        "signal_peptide": len(sp),
        "signal_peptide_secreted": int(sp["secretion_class"].isin(["secreted", "unconventional"]).sum()),
    }


def _rule_and_reference(evidence: str) -> str:
    parts = evidence.split(" | ")
    rule = parts[0].replace("secretion_class ", "")
    curated = [p for p in parts if p.startswith("curated unconventional secretion")]
    return rule + (f"; {curated[0]}" if curated else "; NOT curated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the shared/data directory")
    parser.add_argument("--list", action="store_true", help="also list cytosolic proteins called classically secreted")
    args = parser.parse_args(argv)
    if not (args.source / SIGNALP_FILE).is_file():
        print(f"no SignalP 6.0 file at {args.source / SIGNALP_FILE}", file=sys.stderr)
        return 2
    result = evaluate(args.source)
    print(f"SignalP 6.0 eukaryotic entries matched to human reviewed KB entries: {result['matched']}")
    print("\nsecretion_class x SignalP label group:")
    print(result["confusion"].to_string())
    n_cyt = result["cytosolic"]
    print(f"\ncytosolic (no signal peptide, no membrane segment): {n_cyt}")
    print(f"  called classically secreted: {result['cytosolic_classical']} "
          f"({result['cytosolic_classical'] / n_cyt:.2%}; goal <= 0.5%)")
    at_all = result["cytosolic_secreted_at_all"]
    print(f"  called secreted at all (secreted or unconventional): {len(at_all)} ({len(at_all) / n_cyt:.2%})")
    for row in at_all.sort_values(["secretion_class", "gene"]).itertuples():
        if row.secretion_class == "unconventional" or args.list:
            print(f"    {row.gene:<10} {row.secretion_class:<15} {_rule_and_reference(row.evidence)}")
    n_sp = result["signal_peptide"]
    print(f"\nsignal peptide: {n_sp}; called secreted or unconventional: {result['signal_peptide_secreted']} "
          f"({result['signal_peptide_secreted'] / n_sp:.2%}; the rest are ER/Golgi/lysosome residents, "
          "membrane or vesicle proteins, or markers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
