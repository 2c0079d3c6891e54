"""DIA-NN protein-group matrices (``report.pg_matrix.tsv``), versions 1.x and 2.x.

DIA-NN 1.8 writes ``Protein.Group, Protein.Ids, Protein.Names, Genes, First.Protein.Description``; 1.9
dropped ``Protein.Ids``; 2.x adds ``N.Sequences`` and ``N.Proteotypic.Sequences`` (DIA-NN README, Output
section). Every other column is one run, headed by the raw file's path (Windows or POSIX); the sample name
is the file stem.

The gene-level matrices DIA-NN writes beside it (``report.gg_matrix.tsv``: gene groups, ``Genes.MaxLFQ``;
``report.unique_genes_matrix.tsv``: genes quantified from proteotypic peptides only, ``Genes.MaxLFQ.Unique``)
have ``Genes`` instead of the protein columns and are read keyed on the gene (no accessions).

Species per accession come from ``Protein.Names`` (UniProt entry names), assigned by position when the
counts agree. DIA-NN 2.2 was reported to list names in a different order than ``Protein.Group``
(vdemichev/DiaNN#1656); for single-species groups this does not matter, for mixed-species groups the
per-accession order may then be off while the set of species is right.
"""

from __future__ import annotations

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import Parsed, check_fixed_quantity, engine_columns, require_columns
from secretome.io.identifiers import parse_protein_groups
from secretome.io.samples import strip_raw_extension
from secretome.io.table import RawTable, numeric_block, text_column

FORMAT = "diann"
QUANTITY = "PG.MaxLFQ"
#: The gene matrices' quantities (DIA-NN README, Output: gg_matrix and unique_genes_matrix).
GENE_QUANTITY, UNIQUE_GENE_QUANTITY = "Genes.MaxLFQ", "Genes.MaxLFQ.Unique"
ANNOTATION_COLUMNS: tuple[str, ...] = (
    "Protein.Group", "Protein.Ids", "Protein.Names", "Genes", "First.Protein.Description",
    "N.Sequences", "N.Proteotypic.Sequences",
    "Proteotypic",  # a precursor's flag in pr_matrix (DIA-NN README, Output), carried into edited protein matrices
)


def detect_score(columns: list[str]) -> int:
    """How many DIA-NN annotation columns the table has (0 = not DIA-NN); a gene matrix (``Genes`` first,
    every other column a run file's path or name with its raw-file extension) scores 3."""
    present = set(columns)
    score = sum(1 for name in ANNOTATION_COLUMNS if name in present)
    if "Protein.Group" not in present and _is_gene_matrix(columns):
        return 3
    return score if score >= 2 else 0


def _is_gene_matrix(columns: list[str]) -> bool:
    """``Genes`` first and every run column headed by a raw file (DIA-NN names runs by their file)."""
    runs = [c for c in columns if c not in ANNOTATION_COLUMNS]
    return bool(columns) and columns[0] == "Genes" and bool(runs) and all(sample_name(c) != c.strip() for c in runs)


def sample_name(column: str) -> str:
    """The run's file stem from a path header (``R:\\x\\62_Slot1-54_1_2674.d`` -> ``62_Slot1-54_1_2674``)."""
    name = column.strip().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return strip_raw_extension(name)


def version(columns: list[str]) -> str:
    """DIA-NN generation from the annotation columns present."""
    if "N.Sequences" in columns or "N.Proteotypic.Sequences" in columns:
        return "2.x (N.Sequences columns)"
    if "Protein.Ids" in columns:
        return "1.x up to 1.8 (Protein.Ids column)"
    return "1.9+ (no Protein.Ids column)"


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a DIA-NN pg_matrix; the only quantity is the matrix's PG.MaxLFQ."""
    frame = table.frame
    columns = list(frame.columns)
    if "Protein.Group" not in columns and columns[:1] == ["Genes"]:
        return _read_gene_matrix(table, quantity)
    require_columns(table, ["Protein.Group"], "DIA-NN pg_matrix")
    check_fixed_quantity(
        table, quantity, (QUANTITY, "maxlfq", "pg.quantity"), "unknown quantity {quantity!r} for a DIA-NN pg_matrix",
        expected=repr(QUANTITY),
    )
    sample_columns = [c for c in columns if c not in ANNOTATION_COLUMNS]
    _refuse_annotation_table(table, sample_columns)
    values = numeric_block(table, sample_columns)
    ids = parse_protein_groups(
        text_column(frame, "Protein.Group").tolist(),
        genes=text_column(frame, "Genes").tolist(),
        entry_names=text_column(frame, "Protein.Names").tolist(),
        descriptions=text_column(frame, "First.Protein.Description").tolist(),
    )
    return Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns),
        quantity=QUANTITY,
        values=values,
        sample_names=[sample_name(c) for c in sample_columns],
        sample_columns=sample_columns,
        ids=ids,
        id_column="Protein.Group",
        **engine_columns(table, peptides="N.Sequences", unique_peptides="N.Proteotypic.Sequences"),
    )


def _read_gene_matrix(table: RawTable, quantity: str | None) -> Parsed:
    """A DIA-NN gene matrix: keyed on ``Genes``; which of the two it is comes from the file name
    (``unique_genes_matrix``), else it is the gene-group matrix."""
    unique = "unique_genes" in table.path.name.casefold()
    own = UNIQUE_GENE_QUANTITY if unique else GENE_QUANTITY
    check_fixed_quantity(
        table, quantity, (own, "maxlfq"), "unknown quantity {quantity!r} for a DIA-NN gene matrix", expected=repr(own),
    )
    columns = list(table.frame.columns)
    sample_columns = [c for c in columns if c not in ANNOTATION_COLUMNS]
    _refuse_annotation_table(table, sample_columns)
    ids = parse_protein_groups(text_column(table.frame, "Genes").tolist(), kind="gene")
    return Parsed(
        table=table, format=FORMAT,
        format_version=("unique_genes_matrix (genes from proteotypic peptides only)" if unique
                        else "gg_matrix (gene groups)") + ", " + version(columns),
        quantity=own, values=numeric_block(table, sample_columns),
        sample_names=[sample_name(c) for c in sample_columns], sample_columns=sample_columns,
        ids=ids, id_column="Genes",
        **engine_columns(table, peptides="N.Sequences", unique_peptides="N.Proteotypic.Sequences"),
    )


def _refuse_annotation_table(table: RawTable, run_columns: list[str]) -> None:
    """A table with DIA-NN's protein columns whose other columns hold text only (a contaminant or species
    list, an annotation export) has no run quantities: say so, not that a cell is non-numeric."""
    if not len(table.frame) or not run_columns:
        return
    texts = {}
    for column in run_columns:
        if table.frame[column].dtype.kind in "fiub":
            return
        filled = text_column(table.frame, column)
        filled = filled[filled != ""]
        if len(filled) and pd.to_numeric(filled, errors="coerce").notna().any():
            return
        texts[column] = filled.iloc[0] if len(filled) else ""
    described = ", ".join(f"{c!r} (e.g. {v!r})" for c, v in list(texts.items())[:3])
    raise SecretomeInputError(
        "this is a protein annotation table with DIA-NN's protein columns but no run quantities (the other "
        f"columns hold text only: {described}), not a protein-level quantity table",
        file=table.path, column=run_columns[0],
        expected="report.pg_matrix.tsv from the DIA-NN output folder (one column of quantities per run)",
    )
