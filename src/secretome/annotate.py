"""Annotate proteins with the knowledge base: resolve identifiers, then look up secretion class and functions.

Identifier forms understood: UniProt accessions with or without isoform suffix (``P02768``, ``P02768-2``), entry
names (``ALBU_HUMAN``), FASTA-style ``sp|P02768|ALBU_HUMAN``, gene symbols and their synonyms, contaminant
prefixes (``CON__``, ``contam_``, ``Cont_``) and protein-group strings joined by ``;``. A group resolves to its
best member (a human reviewed entry first); a group mixing human and non-human members is flagged
``mixed_species`` and keeps the non-human members' contaminant evidence. Unresolvable identifiers are reported
(``resolved=False``, class ``unknown``), never dropped.
"""

from __future__ import annotations

import lzma
import re
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.tables import write_tsv
from secretome.errors import SecretomeInputError
from secretome.io.source import decompress, read_input, read_stream
from secretome.io.identifiers import CONTAMINANT_PREFIXES, DECOY_PREFIXES
from secretome.outputs import atomic_file
from secretome.kb.store import BOOL_COLUMNS, KnowledgeBase, load_kb
from secretome.provenance import record_step

OUTPUT_COLUMNS = ("query", "accession", "gene", "species", "secretion_class", "functional_classes", "evidence")
VAR_COLUMNS = (
    "accession", "gene", "species", "mixed_species", "leading_species", "resolved", "secretion_class", "functional_classes", "evidence",
    *BOOL_COLUMNS, "lysis_category", "ev_category",
)


def _prefix_pattern(prefixes: set[str]) -> re.Pattern:
    return re.compile("^(" + "|".join(map(re.escape, sorted(prefixes, key=len, reverse=True))) + ")", re.IGNORECASE)


# The search engines' prefixes, shared with the readers (secretome.io.identifiers), matched case-insensitively.
_CONTAMINANT_PREFIX = _prefix_pattern({prefix.upper() for prefix in CONTAMINANT_PREFIXES})
_DECOY_PREFIX = _prefix_pattern({prefix.upper() for prefix in DECOY_PREFIXES} | {"REV_", "##"})
_ISOFORM = re.compile(r"^([A-Z0-9]{6,10})(?:-\d+|v\d+)$")
_ENTRY_NAME = re.compile(r"^[A-Z0-9]{1,11}_([A-Z0-9]{2,5})$")
_UNRESOLVED = -1


def _resolve_token(token: str, kb: KnowledgeBase) -> tuple[int, str, str]:
    """Resolve one identifier (no ';'). Returns (row or -1, species guess, how it was matched)."""
    token = token.strip().strip('"').strip()
    if not token:
        return _UNRESOLVED, "", "empty"
    if _DECOY_PREFIX.match(token):
        return _UNRESOLVED, "", "decoy"
    prefix = _CONTAMINANT_PREFIX.match(token)  # anchored: the one match ``sub`` could remove, found without a scan
    if prefix:
        token = token[prefix.end():]
    if "|" in token:
        parts = [p for p in token.split("|") if p and p.lower() not in ("sp", "tr")]
        guess = ""
        for part in parts:
            row, species, how = _resolve_token(part, kb)
            if row != _UNRESOLVED:
                return row, species, how
            guess = guess or species
        return _UNRESOLVED, guess, "unresolved"
    key = token.upper()
    row = kb.by_accession.get(key)
    if row is not None:
        return row, "", "accession"
    base = _ISOFORM.match(key)
    if base and base.group(1) in kb.by_accession:
        return kb.by_accession[base.group(1)], "", "accession (isoform)"
    row = kb.by_entry_name.get(key)
    if row is not None:
        return row, "", "entry name"
    row = kb.by_gene.get(key)
    if row is not None:
        return row, "", "gene symbol"
    row = kb.by_synonym.get(key)
    if row is not None:
        return row, "", "gene synonym"
    name = _ENTRY_NAME.match(key)
    return _UNRESOLVED, name.group(1) if name else "", "unresolved"


def _resolve_group(
    group: str, kb: KnowledgeBase, cache: dict, species: Sequence[str], reviewed: Sequence[bool]
) -> tuple[int, list[tuple[int, str]], str, bool]:
    """Resolve a ';'-joined group: (chosen row, resolved members (row, how), species guess, mixed species).
    ``species`` and ``reviewed``: the knowledge base's columns as lists (read once per cell here)."""
    members = []
    guesses = []
    for token in str(group).split(";"):
        if token not in cache:
            cache[token] = _resolve_token(token, kb)
        row, guess, how = cache[token]
        if row != _UNRESOLVED:
            members.append((row, how))
        elif guess:
            guesses.append(guess)
    if not members:
        return _UNRESOLVED, [], guesses[0] if guesses else "", False
    if len(members) == 1 and not guesses:  # one species: not mixed (most groups; no set to build)
        return members[0][0], members, "", False
    ranked = members if len(members) == 1 else sorted(members, key=lambda m: (species[m[0]] != "HUMAN", not reviewed[m[0]]))
    kinds = {species[row] for row, _ in members} | set(guesses)
    mixed = "HUMAN" in kinds and len(kinds - {"", "HUMAN"}) > 0
    return ranked[0][0], members, "", mixed


def resolve(
    queries: Sequence[str],
    fallback_genes: Sequence[str] | None = None,
    fallback_accessions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Annotate each query (identifier or ';'-joined group): all knowledge-base columns plus ``query``,
    ``resolved`` and ``mixed_species``. One output row per query, in order; nothing is dropped.

    For queries that do not resolve, ``fallback_accessions`` and then ``fallback_genes`` (same length,
    ';'-joined, e.g. the readers' ``accessions`` and ``genes`` columns) are tried; the evidence says so.
    """
    kb = load_kb()
    table = kb.table
    queries = ["" if q is None or (isinstance(q, float) and np.isnan(q)) else str(q) for q in queries]
    cache: dict = {}
    species = table["species"].tolist()  # lists: one lookup per member is several times faster than in an array
    reviewed = table["reviewed"].tolist()
    by_query = {query: _resolve_group(query, kb, cache, species, reviewed) for query in dict.fromkeys(queries)}
    rows = np.fromiter((by_query[q][0] for q in queries), dtype=np.int64, count=len(queries))
    extra_evidence = [[] for _ in queries]
    for fallback, label in ((fallback_accessions, "accessions"), (fallback_genes, "gene name")):
        if fallback is None:
            continue
        if len(fallback) != len(queries):
            raise ValueError(f"fallback {label} has {len(fallback)} values for {len(queries)} queries")
        for i, value in enumerate(fallback):
            if rows[i] == _UNRESOLVED and isinstance(value, str) and value.strip():
                found = _resolve_group(value, kb, cache, species, reviewed)
                if found[0] != _UNRESOLVED:
                    rows[i] = found[0]
                    extra_evidence[i].append(f"resolved by {label} {value}")
    resolved = rows != _UNRESOLVED
    safe = np.where(resolved, rows, 0)
    out = table.iloc[safe].reset_index(drop=True).drop(columns=["reviewed", "synonyms", "entry_name"])
    out.insert(0, "query", queries)
    out.insert(out.columns.get_loc("secretion_class"), "mixed_species", [by_query[q][3] for q in queries])
    out.insert(out.columns.get_loc("secretion_class"), "leading_species",
               [_leading_species(q, cache, species) for q in queries])
    out.insert(out.columns.get_loc("secretion_class"), "resolved", resolved)
    if (~resolved).any():
        blank = ~resolved
        for column in ("accession", "gene", "functional_classes", "lysis_category", "ev_category"):
            out.loc[blank, column] = ""
        out.loc[blank, "species"] = [by_query[q][2] for q, b in zip(queries, blank) if b]
        out.loc[blank, "secretion_class"] = "unknown"
        out.loc[blank, "evidence"] = "unresolved: identifier not in the knowledge base"
        for column in BOOL_COLUMNS:
            out.loc[blank, column] = False
    evidence = out["evidence"].to_numpy(dtype=object)
    serum_col = out["serum_marker"].to_numpy(copy=True)
    handling_col = out["handling_contaminant"].to_numpy(copy=True)
    columns = {name: table[name].to_numpy() for name in
               ("species", "secretion_class", "serum_marker", "handling_contaminant")}
    identifier = table["accession"].where(table["accession"] != "", table["entry_name"])
    columns["label"] = (identifier + " (" + table["species"] + ")").to_numpy()
    group_notes = {query: _group_notes(found, columns) for query, found in by_query.items() if found[1]}
    no_notes: tuple[list[str], bool, bool] = ([], False, False)
    for i, query in enumerate(queries):
        notes, serum, handling = group_notes.get(query, no_notes)
        notes = extra_evidence[i] + (notes if resolved[i] else [])
        if notes:
            evidence[i] = " | ".join(notes + ([evidence[i]] if evidence[i] else []))
        serum_col[i] |= serum
        handling_col[i] |= handling
    out["evidence"] = evidence
    out["serum_marker"] = serum_col
    out["handling_contaminant"] = handling_col
    return out


def _leading_species(group: str, cache: dict, species: Sequence[str]) -> str:
    """Species of a group's first member: the engine's leading (razor) protein in MaxQuant-style groups."""
    first = str(group).split(";")[0]
    row, guess, _ = cache.get(first, (_UNRESOLVED, "", ""))
    return str(species[row]) if row != _UNRESOLVED else guess


def _group_notes(found: tuple, columns: dict[str, np.ndarray]) -> tuple[list[str], bool, bool]:
    """Evidence notes for a resolved group, and the serum/handling flags its non-human members contribute."""
    chosen, members, _, mixed = found
    notes: list[str] = []
    serum = handling = False
    if len(members) == 1 and members[0][1] in ("gene synonym", "entry name", "gene symbol"):
        notes.append(f"identifier matched as {members[0][1]}")
    if len(members) > 1:
        notes.append(f"protein group: chose {columns['label'][chosen]} of {len(members)} resolved members")
        if mixed:
            for row in dict.fromkeys(row for row, _ in members if row != chosen):
                if columns["species"][row] != "HUMAN":
                    notes.append(f"mixed-species member {columns['label'][row]}: {columns['secretion_class'][row]}")
                    serum |= bool(columns["serum_marker"][row])
                    handling |= bool(columns["handling_contaminant"][row])
    return notes, serum, handling


COMPOSITION_FLAGS = ("serum", "lysis", "handling")


def composition_flags(var: pd.DataFrame) -> np.ndarray:
    """Per protein, the composition markers it is (``serum``, ``lysis``, ``handling``; ';'-joined, '' for none),
    from the annotation (and the QC partition when present), so that a differential hit that is culture serum,
    cell debris or handling contamination is never read as the cells' biology."""
    def flag(column: str) -> np.ndarray:
        if column not in var:
            return np.zeros(len(var), dtype=bool)
        values = var[column]
        return values.fillna(False).astype(bool).to_numpy() if values.dtype != object else \
            values.astype(str).str.lower().isin(("true", "1")).to_numpy()

    def text(column: str) -> np.ndarray:
        return var[column].astype(str).to_numpy() if column in var else np.full(len(var), "", dtype=object)

    secretion, category = text("secretion_class"), text("purity_category")
    marks = {
        "serum": flag("serum_marker") | (secretion == "contaminant_serum") | (category == "serum"),
        "lysis": flag("lysis_marker") | (secretion == "intracellular") | (category == "lysis"),
        "handling": flag("handling_contaminant") | (secretion == "contaminant_handling") | (category == "handling"),
    }
    return np.array([";".join(name for name in COMPOSITION_FLAGS if marks[name][i]) for i in range(len(var))],
                    dtype=object)


def with_composition(table: pd.DataFrame, var: pd.DataFrame, protein: str = "protein") -> pd.DataFrame:
    """``table`` (e.g. a differential result, one row per protein of ``var``'s index) with a ``composition``
    column: :func:`composition_flags` of each row's protein ('' where not annotated)."""
    flags = pd.Series(composition_flags(var), index=var.index.astype(str))
    return table.assign(composition=flags.reindex(table[protein].astype(str)).fillna("").to_numpy())


def annotate_identifiers(identifiers: Sequence[str]) -> pd.DataFrame:
    """Classify a list of identifiers; columns ``query, accession, gene, species, secretion_class,
    functional_classes, evidence`` (one row per identifier, in order)."""
    return resolve(list(identifiers))[list(OUTPUT_COLUMNS)]


def annotate(adata: AnnData) -> AnnData:
    """Fill ``adata.var`` with knowledge-base annotations (see the dataset contract) and return ``adata``.

    Queries are the readers' ``protein_group`` column (else ``var_names``); where a group does not resolve, the
    ``accessions`` and then the ``genes`` columns are tried. Sets ``adata.uns['kb']`` (version, sources) and records a provenance step.
    """
    var = adata.var
    result = _resolve_var(var)
    result.index = adata.var_names
    if "species" in var:
        _mixed_from_reader_species(result, var["species"].astype(str))
    previous_gene = var["gene"].astype(str) if "gene" in var else pd.Series("", index=adata.var_names)
    previous_species = var["species"].astype(str) if "species" in var else pd.Series("", index=adata.var_names)
    for column in VAR_COLUMNS:
        values = result[column]
        if column == "gene":
            values = values.where(result["resolved"], previous_gene)
        elif column == "species":
            values = values.where(result["resolved"] | (values != ""), previous_species.str.split(";").str[0])
        elif column == "leading_species":  # the reader's per-member species name a first member the KB lacks
            values = values.where(values != "", previous_species.str.split(";").str[0])
        adata.var[column] = values.to_numpy()
    if "is_contaminant" in var:  # the engine's own contaminant flag stays visible next to the knowledge base's call
        flagged = var["is_contaminant"].fillna(False).astype(bool).to_numpy()
        evidence = adata.var["evidence"].to_numpy(dtype=object)
        evidence[flagged] = ["flagged as contaminant by the search engine | " + e for e in evidence[flagged]]
        adata.var["evidence"] = evidence
    kb = load_kb()
    adata.uns["kb"] = {
        "version": kb.version,
        "sources": [f"{s['name']} ({s['release']}; {s['licence']})" for s in kb.sources],
    }
    record_step(adata, "annotate", "secretome.annotate", {
        "kb_version": kb.version, "n_proteins": int(adata.n_vars),
        "n_resolved": int(result["resolved"].sum()), "n_unknown": int((result["secretion_class"] == "unknown").sum()),
    })
    return adata


def _mixed_from_reader_species(result: pd.DataFrame, reader_species: pd.Series) -> None:
    """Mark resolved groups ``mixed_species`` when the reader's per-member species (from FASTA headers, entry
    names, organism columns) mix human and non-human, also where the non-human member is not in the knowledge
    base and so could not mark the group itself; the evidence says so."""
    evidence = result["evidence"].to_numpy(dtype=object)
    mixed = result["mixed_species"].to_numpy(dtype=bool).copy()
    for i, (text, resolved, species) in enumerate(zip(reader_species, result["resolved"], result["species"])):
        kinds = set(text.split(";")) - {""}
        if mixed[i] or not resolved or not (kinds - {"HUMAN"}) or "HUMAN" not in kinds | {species}:
            continue
        mixed[i] = True
        evidence[i] = f"mixed-species group: member species {text} in the input | {evidence[i]}"
    result["mixed_species"] = mixed
    result["evidence"] = evidence


def _resolve_var(var: pd.DataFrame) -> pd.DataFrame:
    """:func:`resolve` over a readers' ``.var``: queries are ``protein_group`` (else the index), with the
    ``accessions``/``genes`` fallbacks. A decoy (``is_decoy``: a reversed sequence, not the protein it was
    made from) is never resolved, not even through the readers' prefix-stripped accessions or genes."""
    queries = var["protein_group"].astype(str).tolist() if "protein_group" in var else list(map(str, var.index))
    decoy = var["is_decoy"].fillna(False).astype(bool).to_numpy() if "is_decoy" in var else np.zeros(len(var), bool)
    result = resolve([q if not d else "" for q, d in zip(queries, decoy)], **_fallbacks(var, decoy))
    result["query"] = queries
    result.loc[decoy, "evidence"] = "decoy sequence of the search (is_decoy): not annotated"
    return result


def _fallbacks(var: pd.DataFrame, skip: np.ndarray | None = None) -> dict[str, list[str] | None]:
    """The readers' ``accessions`` and ``genes`` columns, tried where ``protein_group`` does not resolve
    ("" where ``skip``, e.g. decoys)."""
    def column(name: str) -> list[str] | None:
        if name not in var:
            return None
        values = var[name].astype(str).tolist()
        return values if skip is None else ["" if s else v for v, s in zip(values, skip)]

    return {"fallback_accessions": column("accessions"), "fallback_genes": column("genes")}


def _table_frame(path: Path) -> pd.DataFrame:
    """Annotate the proteins of a proteomics table read by ``secretome.io.read`` (imported lazily)."""
    try:
        from secretome.io import read
    except ImportError as error:
        raise SecretomeInputError(
            "reading proteomics tables needs the secretome readers (secretome.io.read), which are not available",
            file=path, expected="one identifier per line, or install secretome with its readers",
        ) from error
    return _resolve_var(read(path).var)


def _read_lines(path: Path) -> list[str]:
    stream = {".gz": "gzip", ".xz": "xz"}.get(path.suffix.lower())
    try:
        raw = read_input(path)
        data = decompress(raw, stream, path=path) if stream else raw
        return data.decode("utf-8-sig").splitlines()
    except (UnicodeDecodeError, OSError, EOFError, zlib.error, lzma.LZMAError) as error:
        raise SecretomeInputError(f"cannot read as text: {error}", file=path,
                                  expected="UTF-8 text, one identifier per line, or a proteomics table") from error


def annotate_source(source: str | Path) -> pd.DataFrame:
    """Annotate identifiers from a file or ``-`` (stdin): one identifier per line, or the protein column of any
    table the readers accept (recognised by a tab or comma in its first line, or by an Excel suffix)."""
    if str(source) == "-":
        path = Path("<stdin>")
        raw = read_stream(sys.stdin.buffer, path) if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8", "surrogateescape")
        try:
            lines = raw.decode("utf-8-sig").splitlines()  # strict: binary input is an error, not identifiers
        except UnicodeDecodeError as error:
            raise SecretomeInputError(f"cannot read as text: {error}", file=path,
                                      expected="UTF-8 text, one identifier per line") from None
    else:
        path = Path(source)
        if path.is_dir():
            raise SecretomeInputError("is a directory, not a file", file=path, expected="a file of identifiers or a proteomics table")
        if not path.is_file():
            raise SecretomeInputError("no such file", file=path, expected="a file of identifiers or a proteomics table")
        if path.suffix.lower() in (".xlsx", ".xls", ".h5ad"):
            return _table_frame(path)
        lines = _read_lines(path)
    identifiers = [line.strip() for line in lines if line.strip()]
    if not identifiers:
        raise SecretomeInputError("no identifiers found", file=path, expected="one identifier per line")
    if "\t" in identifiers[0] or "," in identifiers[0]:
        if str(source) == "-":
            raise SecretomeInputError("tables are read from files, not from stdin", file=path,
                                      expected="one identifier per line on stdin")
        return _table_frame(path)
    return resolve(identifiers)


def write_annotation(frame: pd.DataFrame, out: str | Path | None = None) -> None:
    """Write the ``query, accession, gene, species, secretion_class, functional_classes, evidence`` TSV to ``out``
    (atomically: a temporary file renamed into place) or to stdout."""
    table = frame[list(OUTPUT_COLUMNS)]
    if out is None:
        write_tsv(table, sys.stdout)
        return
    with atomic_file(out) as temporary:
        write_tsv(table, temporary)
