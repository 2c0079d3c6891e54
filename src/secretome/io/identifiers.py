"""Protein-group identifiers: accessions, isoforms, entry names, species, decoy and contaminant prefixes.

A protein group is a ``;``-separated list of members as the engine wrote it, e.g. ``P02768;P02768-2``,
``sp|P02768|ALBU_HUMAN``, ``CON__P02769``, ``contam_sp|P00761|TRYP_PIG``, ``REV__Q9Y6R7``. Each member is
reduced to its bare accession; the species comes from the UniProt entry name (``ALBU_BOVIN`` -> ``BOVIN``),
an aligned organism or entry-name column, or ``OX=``/``OS=`` in the description (through the mapping
table ``data/species_mnemonics.tsv``). Parsing is per row (per group), never per cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

import numpy as np
import pandas as pd

#: Prefixes search engines put before decoy (reversed) sequences.
DECOY_PREFIXES: tuple[str, ...] = ("REV__", "rev_", "DECOY_", "decoy_", "XXX_", "#DECOY#")
#: Prefixes search engines put before contaminant sequences (MaxQuant, FragPipe/Philosopher, PEAKS, others).
CONTAMINANT_PREFIXES: tuple[str, ...] = ("CON__", "contam_", "Cont_", "CONT_", "cont_", "#CONTAM#")

ACCESSION_RE = re.compile(
    r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})(?:-\d+)?$"
)
ENTRY_NAME_RE = re.compile(r"^[A-Z0-9]{1,11}_([A-Z0-9]{2,5})$")
_OX_RE = re.compile(r"\bOX=(\d+)")
_OS_RE = re.compile(r"\bOS=(.+?)(?=\s+[A-Z]{2}=|$)")
_GN_RE = re.compile(r"\bGN=(\S+)")
_BINOMIAL_RE = re.compile(r"\(([A-Z][a-z]+ [a-z]+)\)")
_FASTA_DATABASES = {"sp", "tr", "gi", "ref", "emb", "gb", "dbj", "pdb", "up"}


@dataclass(frozen=True)
class Member:
    """One protein of a group: bare accession, UniProt entry name (or ""), and its prefix flags."""

    accession: str
    entry_name: str
    is_decoy: bool
    is_contaminant: bool


def parse_member(token: str) -> Member:
    """Parse one group member: strip decoy/contaminant prefixes and FASTA decoration (``sp|ACC|NAME``)."""
    return Member(*member_fields(token))


#: First characters of the decoy and contaminant prefixes: a member starting with none of them has none.
_PREFIX_STARTS = frozenset(prefix[0] for prefix in (*DECOY_PREFIXES, *CONTAMINANT_PREFIXES))


def member_fields(token: str) -> tuple[str, str, bool, bool]:
    """:func:`parse_member`'s fields (accession, entry name, is decoy, is contaminant) as a tuple: the
    batch parses of the readers call it per distinct member and need no :class:`Member` object."""
    text = token.strip().lstrip(">")
    if "|" not in text and "_" not in text and "#" not in text and " " not in text:
        return text, "", False, False  # plain accession
    is_decoy = is_contaminant = False
    changed = text[:1] in _PREFIX_STARTS
    while changed:
        changed = False
        for prefix in DECOY_PREFIXES:
            if text.startswith(prefix):
                text, is_decoy, changed = text[len(prefix):], True, True
        for prefix in CONTAMINANT_PREFIXES:
            if text.startswith(prefix):
                text, is_contaminant, changed = text[len(prefix):], True, True
    entry_name = ""
    if "|" in text:
        parts = [part.strip() for part in text.split("|")]
        if parts[0].lower() in _FASTA_DATABASES and len(parts) > 1:
            parts = parts[1:]
        accession = parts[0]
        for part in parts[1:]:
            name = part.split()[0] if part.split() else ""
            if ENTRY_NAME_RE.match(name):
                entry_name = name
                break
        if not entry_name and ENTRY_NAME_RE.match(accession) and not ACCESSION_RE.match(accession):
            entry_name = accession  # cRAP style "sp|ALBU_BOVIN|": the entry name is the only identifier
    else:
        accession = text.split()[0] if text.split() else ""
        if ENTRY_NAME_RE.match(accession) and not ACCESSION_RE.match(accession):
            entry_name = accession
    return accession, entry_name, is_decoy, is_contaminant


def canonical_accession(accession: str) -> str:
    """The canonical UniProt accession of an isoform accession (``P02768-2`` -> ``P02768``)."""
    if ACCESSION_RE.match(accession) and "-" in accession:
        return accession.rsplit("-", 1)[0]
    return accession


def species_of_entry_name(entry_name: str) -> str:
    """UniProt species mnemonic from an entry name (``ALBU_BOVIN`` -> ``BOVIN``), "" if not an entry name."""
    if not entry_name:
        return ""
    match = ENTRY_NAME_RE.match(entry_name.strip())
    return match.group(1) if match else ""


@lru_cache(maxsize=1)
def species_table() -> pd.DataFrame:
    """The organism -> UniProt mnemonic table shipped in ``data/species_mnemonics.tsv``."""
    with resources.files("secretome.io").joinpath("data/species_mnemonics.tsv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, sep="\t", comment="#", dtype=str)


@lru_cache(maxsize=1)
def _species_maps() -> tuple[dict[str, str], dict[str, str]]:
    table = species_table()
    by_taxon = dict(zip(table["taxon_id"], table["mnemonic"]))
    by_name: dict[str, str] = {}
    for organism, mnemonic in zip(table["organism"], table["mnemonic"]):
        by_name.setdefault(organism.casefold(), mnemonic)
    for organism, mnemonic in zip(table["organism"], table["mnemonic"]):
        by_name.setdefault(" ".join(organism.split()[:2]).casefold(), mnemonic)
    return by_taxon, by_name


@lru_cache(maxsize=4096)
def species_of_organism(organism: str) -> str:
    """Mnemonic for an organism name (``Bos taurus`` -> ``BOVIN``; strain suffixes tolerated), "" if unknown."""
    _, by_name = _species_maps()
    name = organism.strip().casefold()
    if not name:
        return ""
    if name in by_name:
        return by_name[name]
    name = re.sub(r"\s*\(.*?\)\s*$", "", name)  # "Homo sapiens (Human)"
    return by_name.get(name) or by_name.get(" ".join(name.split()[:2]), "")


def species_from_description(description: str) -> str:
    """Mnemonic from FASTA-style ``OX=``/``OS=`` fields in a description, "" if absent or unknown."""
    if "OX=" not in description and "OS=" not in description:  # most descriptions: no search needed
        return ""
    by_taxon, _ = _species_maps()
    match = _OX_RE.search(description)
    if match and match.group(1) in by_taxon:
        return by_taxon[match.group(1)]
    match = _OS_RE.search(description)
    if match:
        return species_of_organism(match.group(1))
    return ""


def organism_of_header(header: str) -> str:
    """The organism a FASTA header names: its ``OS=`` field, else a parenthesised binomial known to
    ``data/species_mnemonics.tsv`` (MaxQuant's contaminants.fasta: ``P02769 SWISS-PROT:P02769 (Bos taurus) ...``);
    "" if neither."""
    match = _OS_RE.search(header)
    if match:
        return match.group(1)
    for candidate in _BINOMIAL_RE.findall(header):
        if species_of_organism(candidate):
            return candidate
    return ""


def gene_from_description(description: str) -> str:
    """Gene symbol from a FASTA-style ``GN=`` field, "" if absent."""
    match = _GN_RE.search(description) if "GN=" in description else None
    return match.group(1) if match else ""


def _split(text: str, separator: str = ";") -> list[str]:
    if not text:
        return []
    if separator not in text:
        stripped = text.strip()
        return [stripped] if stripped else []
    return [part.strip() for part in text.split(separator) if part.strip()]


def _split_aligned(text: str) -> list[str]:
    """Positions of a ``;``-joined list aligned with the members: empty positions are kept (``";X"`` -> 2)."""
    return [part.strip() for part in text.split(";")] if text.strip() else []


def parse_protein_groups(
    groups: Sequence[str],
    *,
    kind: str = "protein",
    genes: Sequence[str] | None = None,
    entry_names: Sequence[str] | None = None,
    organisms: Sequence[str] | None = None,
    descriptions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per-group identifier columns of the dataset contract.

    ``kind="protein"``: groups hold accessions (any of the forms above). ``kind="gene"``: groups hold gene
    symbols (a generic table whose only identifier is a gene column); accessions are then "".
    Optional aligned sequences give gene symbols, entry names (``;``-separated, aligned by position with the
    members; an empty position means "unknown for this member"), organism names (likewise) and descriptions (``OX=``/``OS=``/``GN=`` are read from them).

    Returns columns ``protein_group, leading_accession, accessions, genes, gene, species, description,
    is_decoy, is_contaminant`` (the flags from member prefixes only; readers OR them with engine flags).

    Each distinct member token is parsed once (:func:`member_facts`) and a member that is a plain
    accession takes no parse at all, so the per-row work is a few string operations.
    """
    n = len(groups)
    empty = [""] * n
    genes = genes if genes is not None else empty
    entry_names = entry_names if entry_names is not None else empty
    organisms = organisms if organisms is not None else empty
    descriptions = descriptions if descriptions is not None else empty
    leading, accession_lists, gene_lists, gene, species_lists = [], [], [], [], []
    decoy = [False] * n
    contaminant = [False] * n
    facts = member_facts
    for i, (group, gene_text, names_text, organism_text, description) in enumerate(
        zip(groups, genes, entry_names, organisms, descriptions)
    ):
        gene_list = _split(gene_text) if gene_text else []
        if kind == "gene":
            symbols = gene_list or _split(group)
            leading.append("")
            accession_lists.append("")
            gene_lists.append(";".join(symbols))
            gene.append(symbols[0] if symbols else "")
            named = [species_of_entry_name(name) for name in _split(names_text)]
            species = named or [species_from_description(description)]
            species_lists.append(";".join(species) if any(species) else "")
            continue
        tokens = _split(group)
        if not tokens:
            leading.append("")
            accession_lists.append("")
            species = []
        elif not _DECORATION.search(group):  # bare accessions: nothing to strip, no entry name, no prefix flags
            leading.append(tokens[0])
            accession_lists.append(group if len(tokens) == 1 and group == tokens[0] else ";".join(tokens))
            species = [""] * len(tokens)
        else:
            members = [facts(token) for token in tokens]
            accessions = [member[0] for member in members]
            leading.append(accessions[0])
            accession_lists.append(";".join(accessions))
            species = [member[1] for member in members]
            decoy[i] = members[0][2]
            contaminant[i] = any(member[3] for member in members)
        if names_text:
            names = _split_aligned(names_text)
            if names and len(names) == len(species):
                species = [own or species_of_entry_name(name) for own, name in zip(species, names)]
            elif names and species and not species[0]:
                species[0] = species_of_entry_name(names[0])
        if organism_text:
            organism_list = _split_aligned(organism_text)
            if organism_list and len(organism_list) == len(species):
                species = [own or species_of_organism(name) for own, name in zip(species, organism_list)]
            elif organism_list and species and not species[0]:
                species[0] = species_of_organism(organism_list[0])
        if species and not species[0] and description:
            species[0] = species_from_description(description)
        if not gene_list and description:
            symbol = gene_from_description(description)
            gene_list = [symbol] if symbol else []
        gene_lists.append(";".join(gene_list))
        gene.append(gene_list[0] if gene_list else "")
        species_lists.append(";".join(species) if any(species) else "")
    return pd.DataFrame({
        "protein_group": list(groups),
        "leading_accession": leading,
        "accessions": accession_lists,
        "genes": gene_lists,
        "gene": gene,
        "species": species_lists,
        "description": [text if type(text) is str else str(text) for text in descriptions],
        "is_decoy": decoy,
        "is_contaminant": contaminant,
    })


def prefix_flags(groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(is_decoy, is_contaminant) of each group from its members' prefixes, as :func:`parse_protein_groups`
    gives them (decoy: the leading member; contaminant: any member), without the rest of the parse."""
    n = len(groups)
    decoy, contaminant = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i, group in enumerate(groups):
        if "_" not in group and "#" not in group:  # every decoy and contaminant prefix holds one of them
            continue
        members = [member_facts(token) for token in _split(group)]
        if members:
            decoy[i] = members[0][2]
            contaminant[i] = any(member[3] for member in members)
    return decoy, contaminant


#: Characters that make a member more than a bare accession (FASTA decoration, prefixes, words, ``>``):
#: a group without any is a list of accessions :func:`parse_member` returns unchanged.
_DECORATION = re.compile(r"[|_# >]")


@lru_cache(maxsize=1 << 16)
def member_facts(token: str) -> tuple[str, str, bool, bool]:
    """(accession, species of its entry name, is decoy, is contaminant) of one member, parsed once."""
    accession, entry_name, is_decoy, is_contaminant = member_fields(token)
    return accession, species_of_entry_name(entry_name), is_decoy, is_contaminant
