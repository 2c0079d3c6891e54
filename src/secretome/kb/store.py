"""Load the shipped knowledge base and apply the curated rules to every entry (lazy, cached).

The built artefact (``data/proteins.tsv.gz``, ``data/gene_sets.gmt.gz``, ``data/manifest.json``) holds source
facts only; the curated, editable rules in ``data/curated/`` are applied here, vectorised over all entries, so an
edited rule takes effect without rebuilding. ``secretome.annotate`` then only resolves identifiers to rows.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.kb.vocab import FUNCTIONAL_CLASSES, SECRETION_CLASSES

CURATED_FILES = (
    "secretion_class_priority.tsv", "functional_class_rules.tsv", "functional_class_genes.tsv",
    "lysis_markers.tsv", "ev_markers.tsv", "handling_contaminants.tsv", "serum_proteins.tsv",
    "contaminant_categories.tsv", "functional_class_exclusions.tsv", "membrane_anchored.tsv",
    "unconventional_secretion.tsv", "compartment_terms.tsv", "functional_classes.tsv", "supplement_proteins.tsv",
    "supplement_types.tsv",
)
SUPPLEMENTS = ("bovine_serum", "human_serum", "human_platelet_lysate", "none")
BOOL_COLUMNS = (
    "uniprot_secreted", "hpa_secreted", "cellphonedb_secreted", "membrane_evidence", "ev_marker", "lysis_marker",
    "serum_marker", "handling_contaminant", "shed",
)
ANNOTATION_COLUMNS = (
    "accession", "entry_name", "gene", "species", "secretion_class", "functional_classes", "evidence",
    *BOOL_COLUMNS, "lysis_category", "ev_category",
)
SOURCE_LABELS = {
    "go": "GO 2022-07", "reactome": "Reactome", "hpa_function": "HPA v23 secretome function",
    "hpa_location": "HPA v23 secretome location", "cellphonedb_secreted_desc": "CellPhoneDB v5 secreted_desc",
}


@dataclass(frozen=True)
class KnowledgeBase:
    """The loaded knowledge base: one annotated row per entry plus identifier indexes."""

    version: str
    sources: list[dict]
    table: pd.DataFrame  # ANNOTATION_COLUMNS (+ reviewed flag), one row per entry, RangeIndex
    by_accession: dict[str, int]
    by_entry_name: dict[str, int]
    by_gene: dict[str, int]
    by_synonym: dict[str, int]
    exocarta_top100: list[dict] = field(default_factory=list)


def data_dir() -> Path:
    """Directory of the shipped knowledge-base files."""
    return Path(str(resources.files("secretome.kb") / "data"))


def _read_curated(name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir() / "curated" / name, sep="\t", comment="#", dtype=str, keep_default_na=False)


def curated_sha256() -> str:
    """Hash of the curated rule files, so that an edited rule changes the reported KB version."""
    digest = hashlib.sha256()
    for name in CURATED_FILES:
        digest.update(name.encode() + b"\0" + (data_dir() / "curated" / name).read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _gmt_lines() -> dict[str, str]:
    """Gene-set name -> the rest of its GMT line (parsed into gene sets only on demand)."""
    with gzip.open(data_dir() / "gene_sets.gmt.gz", "rb") as handle:
        text = handle.read().decode("utf-8")
    return dict(line.split("\t", 1) for line in text.splitlines() if line)


def _read_gmt(wanted: set[str] | None = None) -> dict[str, frozenset[str]]:
    lines = _gmt_lines()
    names = lines if wanted is None else [name for name in wanted if name in lines]
    return {name: frozenset(lines[name].split("\t")[1:]) for name in names}


@lru_cache(maxsize=1)
def _all_gene_sets() -> dict[str, frozenset[str]]:
    return _read_gmt()


def _contains(values: pd.Series, needle: str) -> np.ndarray:
    """``needle in value`` for each value, computed once per distinct value (the columns repeat a lot)."""
    codes, uniques = pd.factorize(values)
    return np.fromiter((needle in u for u in uniques), dtype=bool, count=len(uniques))[codes]


def _first_index(keys: list[str], rows: list[int]) -> dict[str, int]:
    """Map each non-empty key to the first row it occurs in."""
    return {k: r for k, r in zip(reversed(keys), reversed(rows)) if k}


def _match_genes(genes: pd.Series, table: pd.DataFrame) -> np.ndarray:
    """Index of the curated row (``kind`` gene or pattern, ``match``) each entry matches, or -1: an exact gene row
    wins over patterns, otherwise the first matching pattern row (all patterns in one alternation, tried in row
    order, over the distinct symbols)."""
    exact: dict[str, int] = {}
    patterns = []
    for position, (kind, match) in enumerate(zip(table["kind"], table["match"])):
        if kind == "gene":
            exact.setdefault(match.upper(), position)
        elif kind == "pattern":
            patterns.append(f"(?P<p{position}>{match})")
        else:
            raise ValueError(f"curated marker kind must be 'gene' or 'pattern', not {kind!r}")
    codes, uniques = pd.factorize(genes)
    combined = re.compile("|".join(patterns)) if patterns else None
    hit = np.full(len(uniques) + 1, -1, dtype=np.int64)
    for code, gene in enumerate(uniques):
        if gene in exact:
            hit[code] = exact[gene]
        elif combined is not None:
            found = combined.match(gene)
            if found:
                hit[code] = int(found.lastgroup[1:])
    return hit[codes]


def classify(proteins: pd.DataFrame) -> pd.DataFrame:
    """Apply the curated rules to the knowledge-base entries; return one annotation row per entry."""
    n = len(proteins)
    human = (proteins["species"] == "HUMAN").to_numpy()
    reviewed = (proteins["in_uniprot_reviewed"] == "1").to_numpy()
    genes = proteins["gene"].str.upper()
    gene_codes, gene_uniques = pd.factorize(genes)
    code_of = {gene: code for code, gene in enumerate(gene_uniques)}

    def in_genes(members) -> np.ndarray:
        """``gene in members`` per entry, in O(len(members)) lookups plus one vectorised gather."""
        lookup = np.zeros(len(gene_uniques) + 1, dtype=bool)
        lookup[[code_of[g] for g in members if g in code_of]] = True
        return lookup[gene_codes]

    in_library = (proteins["contaminant_libraries"] != "").to_numpy()
    evidence: list[list[str]] = [[] for _ in range(n)]

    def note(mask: np.ndarray, text) -> None:
        for i in np.flatnonzero(mask):
            evidence[i].append(text(i) if callable(text) else text)

    # --- secretion evidence -----------------------------------------------------------------------------------
    uniprot_secreted = (proteins["uniprot_secreted"] == "1").to_numpy()
    note(uniprot_secreted, "UniProt subcellular location: Secreted [SL-0243]")
    hpa_loc = proteins["hpa_v23_location"].to_numpy()
    hpa21_loc = proteins["hpa_v21_location"].to_numpy()
    hpa21_secreted = _contains(proteins["hpa_v21_location"], "Secreted") | (hpa21_loc == "Immunoglobulin genes")
    hpa21_negative = hpa21_loc == "Intracellular and membrane"
    hpa_secreted = (hpa_loc != "") | hpa21_secreted
    note(hpa_loc != "", lambda i: f"HPA v23 secretome location: {hpa_loc[i]}")
    note(hpa21_loc != "", lambda i: f"HPA v21.1 secretome location: {hpa21_loc[i]}")
    cpdb_secreted = (proteins["cellphonedb_secreted"] == "1").to_numpy()
    cpdb_desc = proteins["cellphonedb_secreted_desc"].to_numpy()
    note(cpdb_secreted, lambda i: "CellPhoneDB v5 secreted" + (f": {cpdb_desc[i]}" if cpdb_desc[i] else ""))
    hpa18 = proteins["hpa_v18_class"]
    hpa18_membrane = _contains(hpa18, "Predicted membrane proteins")
    hpa18_secreted = _contains(hpa18, "Predicted secreted proteins")
    hpa18_intracellular = _contains(hpa18, "Predicted intracellular proteins")
    cpdb_tm = (proteins["cellphonedb_transmembrane"] == "1").to_numpy()
    where = _compartments(proteins)
    go_cc = proteins["go_cc"].to_numpy()
    note(go_cc != "", lambda i: f"GO cellular component (org.Hs.eg.db 3.16): {go_cc[i]}")
    if_loc = proteins["hpa_if_location"].to_numpy()
    note(if_loc != "", lambda i: f"HPA v21.1 immunofluorescence: {if_loc[i]}")
    # a transmembrane segment: CellPhoneDB's curated flag, or GO 'integral component of membrane' confirmed by the
    # HPA v18.1 membrane prediction (GO alone also lists a few secreted ligands, e.g. BMP2)
    transmembrane = human & (cpdb_tm | (where["go:transmembrane"] & hpa18_membrane))
    gpi_anchored = human & where["go:gpi_anchor"]
    # ER/Golgi passage: HPA IF, or GO unless HPA IF (experimental) sees the protein only in cytosol/nucleus/mitochondria
    go_secretory = where["go:er"] | where["go:golgi"]
    secretory = (go_secretory & ~where["if:intracellular_only"]) | where["if:er"] | where["if:golgi"]
    # ER, lysosome and mitochondrial residents: HPA v21.1 keeps the signal-peptide protein inside the cell, and GO or
    # HPA IF place it in one of those compartments (secreted mucins HPA also lists there are in none of them)
    resident = human & hpa21_negative & ~gpi_anchored & (where["go:er"] | where["go:lysosome"] | where["go:mitochondrion"]
                                         | where["if:er"] | where["if:lysosome"] | where["if:mitochondrion"])
    go_intracellular = where["go:cytosol"] | where["go:nucleus"] | where["go:mitochondrion"]
    # signal peptide: HPA's predictor majority calls some isoform secreted (v18.1 'Predicted secreted proteins'), or
    # HPA v21.1/v23 give a secretome location other than 'Secreted to blood' (the one location HPA also assigns to
    # leaderless proteins found in plasma, e.g. GPI, PPIA, NAMPT). HPA v21.1 'Intracellular and membrane' is no
    # such evidence: it also lists leaderless thioredoxin.
    located = (hpa_secreted & (hpa21_loc != "Secreted to blood") & (hpa_loc != "Secreted to blood")
               & (hpa21_loc != "Immunoglobulin genes"))
    signal_peptide = hpa18_secreted | located
    # leaderless: no signal peptide, no transmembrane segment, no ER/Golgi passage, and GO or HPA IF place it in the
    # cytosol, nucleus or mitochondria
    leaderless = human & ~signal_peptide & ~transmembrane & ~secretory & (go_intracellular | where["if:intracellular_only"])
    # consistent cytosol/nucleus evidence: GO or HPA IF intracellular, no membrane or vesicle location anywhere
    consistent_intracellular = human & ~transmembrane & ~where["go:transmembrane"] & ~where["if:membrane_or_vesicle"] & (
        go_intracellular | where["if:intracellular_only"])
    # a 'Predicted membrane' isoform (HPA v18.1, any isoform) cannot outvote consistent cytosol/nucleus evidence
    # (GO 'integral component of membrane' alone counts only where HPA predicts no intracellular isoform: GO also
    # lists cytoskeletal proteins such as filamin A there)
    membrane = human & (transmembrane | gpi_anchored | (where["go:transmembrane"] & ~hpa18_intracellular)
                        | (hpa18_membrane & ~consistent_intracellular))
    note(hpa18_membrane, "HPA v18.1 protein class: Predicted membrane proteins")
    note(hpa18_membrane & consistent_intracellular & ~where["go:transmembrane"],
         "HPA v18.1 'Predicted membrane' isoform outvoted by consistent cytosol/nucleus evidence")
    note(cpdb_tm, "CellPhoneDB v5 transmembrane")
    note(hpa18_secreted & ~hpa_secreted, "HPA v18.1 protein class: Predicted secreted proteins")
    note(hpa18_intracellular, "HPA v18.1 protein class: Predicted intracellular proteins")

    # --- contaminants -------------------------------------------------------------------------------------------
    handling_rules = _read_curated("handling_contaminants.tsv")
    handling_hit = np.where(human, _match_genes(genes, handling_rules), -1)
    human_handling = handling_hit >= 0
    reasons = handling_rules["reason"].to_numpy()
    note(human_handling, lambda i: f"curated handling contaminant: {reasons[handling_hit[i]]}")
    library_only = human & ~reviewed & in_library  # human entries known only from a contaminant library
    note(library_only, "human entry known only from contaminant libraries")

    categories = _read_curated("contaminant_categories.tsv")
    nonhuman = ~human & in_library
    text = (proteins["entry_name"] + " " + proteins["description"] + " " + proteins["contaminant_source"])[nonhuman]
    text = text.str.lower()
    category = np.full(n, "", dtype=object)
    category_reason = np.full(n, "", dtype=object)
    for fld, match, cat, reason in categories[["field", "match", "category", "reason"]].itertuples(index=False):
        if fld not in ("species", "text") or cat not in ("handling", "serum"):
            raise ValueError(f"contaminant_categories.tsv: field must be species/text and category handling/serum, "
                             f"not {fld!r}/{cat!r}")
        mask = np.zeros(n, dtype=bool)
        if fld == "species":
            mask = (proteins["species"] == match).to_numpy()
        else:
            mask[np.flatnonzero(nonhuman)] = text.str.contains(match, regex=True).to_numpy()
        take = nonhuman & mask & (category == "")
        category[take] = cat
        category_reason[take] = reason
    nonhuman_handling = category == "handling"
    serum_contaminant = category == "serum"
    note(nonhuman_handling | serum_contaminant, lambda i: f"contaminant ({category[i]}): {category_reason[i]}")
    libraries = proteins["contaminant_libraries"].to_numpy()
    note(in_library, lambda i: f"contaminant libraries: {libraries[i]}")
    handling = human_handling | library_only | nonhuman_handling

    serum_rules = _read_curated("serum_proteins.tsv")
    serum_reason = dict(zip(serum_rules["gene"].str.upper(), serum_rules["reason"]))
    human_serum = human & in_genes(serum_reason)
    note(human_serum, lambda i: f"curated culture-serum protein: {serum_reason[genes.iat[i]]}")
    serum_marker = human_serum | serum_contaminant

    # --- lysis and EV markers -----------------------------------------------------------------------------------
    lysis_rules = _read_curated("lysis_markers.tsv")
    lysis_hit = np.where(human, _match_genes(genes, lysis_rules), -1)
    lysis = lysis_hit >= 0
    lysis_category = np.where(lysis, lysis_rules["category"].to_numpy()[np.maximum(lysis_hit, 0)], "")
    lysis_reason = lysis_rules["reason"].to_numpy()
    note(lysis, lambda i: f"curated lysis marker ({lysis_category[i]}): {lysis_reason[lysis_hit[i]]}")

    ev_rules = _read_curated("ev_markers.tsv")
    ev_cat_of = dict(zip(ev_rules["gene"].str.upper(), ev_rules["ev_category"]))
    ev_reason = dict(zip(ev_rules["gene"].str.upper(), ev_rules["reason"]))
    ev_category = np.where(human, genes.map(ev_cat_of).fillna("").to_numpy(), "")
    note(ev_category != "", lambda i: f"MISEV2018 {ev_category[i]}: {ev_reason[genes.iat[i]]}")
    exo_rank = pd.to_numeric(proteins["exocarta_rank"], errors="coerce").to_numpy()
    exo_n = proteins["exocarta_experiments"].to_numpy()
    exo_top = human & (exo_rank <= 100)
    note(exo_top, lambda i: f"ExoCarta release 5 top-100 (rank {int(exo_rank[i])}, {exo_n[i]} experiments)")
    ev_category = np.where((ev_category == "") & exo_top, "exocarta_top100", ev_category)
    # MISEV2018 categories 3/4 are the guideline's negative controls: an ExoCarta count never makes them EV markers
    purity_control = np.isin(ev_category, ["non_ev_coisolate", "other_compartment"])
    exo_top = exo_top & ~purity_control
    ev_marker = np.isin(ev_category, ["transmembrane_or_gpi", "cytosolic"]) | exo_top

    anchored_rules = _read_curated("membrane_anchored.tsv")
    anchored_reason = dict(zip(anchored_rules["gene"].str.upper(), anchored_rules["reason"] + " (" + anchored_rules["reference"] + ")"))
    shed_genes = set(anchored_rules.loc[anchored_rules["shed"] == "1", "gene"].str.upper())
    anchored = human & in_genes(anchored_reason)
    shed = anchored & in_genes(shed_genes)
    note(anchored, lambda i: f"curated membrane-anchored{' (shed ectodomain)' if shed[i] else ''}: {anchored_reason[genes.iat[i]]}")

    unconventional_rules = _read_curated("unconventional_secretion.tsv")
    unconventional_reason = dict(zip(unconventional_rules["gene"].str.upper(),
                                     unconventional_rules["route"] + ": " + unconventional_rules["reason"] + " ("
                                     + unconventional_rules["reference"] + ")"))
    unconventional = human & in_genes(unconventional_reason)
    note(unconventional, lambda i: f"curated unconventional secretion, {unconventional_reason[genes.iat[i]]}")

    # --- secretion class by the curated priority order ----------------------------------------------------------
    secreted_any = human & (uniprot_secreted | hpa_secreted | cpdb_secreted)
    classical = secreted_any & ~transmembrane & ~gpi_anchored & ~leaderless & ~resident
    extracellular_go = where["go:extracellular"]
    conditions = {
        "handling_contaminant": handling,
        "serum_contaminant": serum_contaminant,
        "lysis_marker": lysis,
        "curated_unconventional": unconventional,
        "curated_membrane": anchored,
        "classical_secretion": classical,
        "hpa_intracellular_resident": resident & ~transmembrane,
        "gpi_anchored": gpi_anchored & hpa21_negative,
        "secreted_transmembrane": secreted_any & (transmembrane | gpi_anchored),
        "leaderless_secreted_flag": secreted_any & leaderless,
        "misev_compartment_marker": human & (ev_category == "other_compartment"),
        "misev_marker": np.isin(ev_category, ["transmembrane_or_gpi", "cytosolic"]) & ~lysis,
        "exocarta_membrane_marker": exo_top & transmembrane & ~lysis,
        "exocarta_marker": exo_top & ~lysis,
        "membrane_evidence": membrane,
        "intracellular_evidence": human & (hpa18_intracellular | go_intracellular | where["if:intracellular_only"]),
        "weak_secreted_evidence": human & hpa18_secreted & extracellular_go & ~leaderless,
        "always": np.ones(n, dtype=bool),
    }
    priority = _read_curated("secretion_class_priority.tsv")
    priority = priority.assign(rank=priority["rank"].astype(int)).sort_values("rank")
    secretion = np.full(n, "", dtype=object)
    decided_by = np.full(n, "", dtype=object)
    for cls, condition in zip(priority["secretion_class"], priority["condition"]):
        if cls not in SECRETION_CLASSES or condition not in conditions:
            raise ValueError(f"secretion_class_priority.tsv: unknown class {cls!r} or condition {condition!r}")
        take = (secretion == "") & conditions[condition]
        secretion[take] = cls
        decided_by[take] = condition
    # a transmembrane protein whose soluble form earned the secretion evidence: flagged shed like the curated ones
    generic_shed = decided_by == "secreted_transmembrane"
    shed = shed | generic_shed
    note(generic_shed, "shed: soluble form of a transmembrane protein (shed ectodomain or spliced isoform)")
    for i in range(n):  # the deciding rule leads the evidence, so the class is traceable at a glance
        evidence[i].insert(0, f"secretion_class {secretion[i]} by rule {decided_by[i]}")

    # --- functional classes -------------------------------------------------------------------------------------
    rules = _read_curated("functional_class_rules.tsv")
    wanted = {_set_key(src, term) for src, term in zip(rules["source"], rules["term"]) if src in ("go", "reactome")}
    sets = _read_gmt(wanted)
    hpa_fun = ", " + proteins["hpa_v23_function"] + ","
    cpdb_parts = " | " + proteins["cellphonedb_secreted_desc"] + " |"
    rows_of_gene: dict[str, list[int]] = {}
    for i, gene in enumerate(genes):
        rows_of_gene.setdefault(gene, []).append(i)
    exclusions = _read_curated("functional_class_exclusions.tsv")
    no_gene = np.zeros(n, dtype=bool)
    excluded = {
        cls: in_genes(set(group["gene"].str.upper())) for cls, group in exclusions.groupby("class")
    }
    reachable: dict[str, np.ndarray] = {}
    member_of = np.zeros((len(FUNCTIONAL_CLASSES), n), dtype=bool)
    score = np.zeros((len(FUNCTIONAL_CLASSES), n), dtype=np.int64)
    class_evidence: list[list[tuple[int, str]]] = [[] for _ in range(n)]
    for cls, src, term, weight, requires in rules[["class", "source", "term", "weight", "requires"]].itertuples(index=False):
        k = _class_index(cls, "functional_class_rules.tsv")
        if not set(requires.split(";")) <= set(SECRETION_CLASSES):
            raise ValueError(f"functional_class_rules.tsv: requires {requires!r} names an unknown secretion class")
        if src == "reactome":
            key = _set_key(src, term)
            if key not in sets:
                raise ValueError(f"functional_class_rules.tsv: gene set {term!r} is not in the knowledge base")
            mask = in_genes(sets[key])
        elif src == "go":
            key = _set_key(src, term)
            if key not in sets:
                raise ValueError(f"functional_class_rules.tsv: GO term {term!r} is not in the knowledge base's gene sets")
            mask = in_genes(sets[key])
        elif src == "hpa_function":
            mask = _contains(hpa_fun, f", {term},")
        elif src == "hpa_location":
            mask = (proteins["hpa_v23_location"] == term).to_numpy()
        elif src == "cellphonedb_secreted_desc":
            mask = _contains(cpdb_parts, f" | {term.capitalize()} |")
        else:
            raise ValueError(f"functional_class_rules.tsv: unknown source {src!r}")
        if requires not in reachable:
            reachable[requires] = human & np.isin(secretion, requires.split(";"))
        mask &= reachable[requires] & ~excluded.get(cls, no_gene)
        score[k] += mask * int(weight)
        label = f"{term} ({SOURCE_LABELS[src]})" if src in ("go", "reactome") else f"{SOURCE_LABELS[src]}: {term}"
        if int(weight) > 0:  # negative weights count against a class; they are never listed as its evidence
            for i in np.flatnonzero(mask):
                class_evidence[i].append((k, f"{cls}: {label}"))
    member_of |= score >= 2
    explicit = _read_curated("functional_class_genes.tsv")
    opposite = _opposite_classes()
    curated_member = np.zeros_like(member_of)
    for cls, gene, reason, reference in explicit[["class", "gene", "reason", "reference"]].itertuples(index=False):
        k = _class_index(cls, "functional_class_genes.tsv")
        for i in rows_of_gene.get(gene.upper(), []):
            if not human[i]:
                continue
            curated_member[k, i] = True
            class_evidence[i].append((k, f"{cls}: curated: {reference.replace(':', ' ', 1)} ({reason})"))
    # a curated direction wins over a gene-set hit of the opposite direction on the same axis (ANGPT2 curated
    # angiogenic is not also anti_angiogenic because GO lists it under negative regulation of angiogenesis)
    for k, others in opposite.items():
        for j in others:
            member_of[j] &= ~(curated_member[k] & ~curated_member[j])
    member_of |= curated_member
    functional = np.full(n, "", dtype=object)
    for i in np.flatnonzero(member_of.any(axis=0)):
        functional[i] = ";".join(FUNCTIONAL_CLASSES[k] for k in range(len(FUNCTIONAL_CLASSES)) if member_of[k, i])
        evidence[i].extend(text for k, text in class_evidence[i] if member_of[k, i])

    return pd.DataFrame({
        "accession": proteins["accession"].to_numpy(),
        "entry_name": proteins["entry_name"].to_numpy(),
        "gene": proteins["gene"].to_numpy(),
        "species": proteins["species"].to_numpy(),
        "secretion_class": secretion.astype(str),
        "functional_classes": functional.astype(str),
        "evidence": [" | ".join(items) for items in evidence],
        "uniprot_secreted": uniprot_secreted,
        "hpa_secreted": hpa_secreted,
        "cellphonedb_secreted": cpdb_secreted,
        "membrane_evidence": membrane,
        "ev_marker": ev_marker,
        "lysis_marker": lysis,
        "serum_marker": serum_marker,
        "handling_contaminant": handling,
        "shed": shed,
        "lysis_category": lysis_category.astype(str),
        "ev_category": ev_category.astype(str),
        "reviewed": reviewed,
        "synonyms": proteins["synonyms"].to_numpy(),
    })


def functional_class_table() -> pd.DataFrame:
    """``curated/functional_classes.tsv``: each functional class with its biological axis and direction
    (pro/anti/none), validated against the fixed vocabulary."""
    table = _read_curated("functional_classes.tsv")
    if tuple(table["class"]) != FUNCTIONAL_CLASSES or not set(table["direction"]) <= {"pro", "anti", "none"}:
        raise ValueError("functional_classes.tsv must list the classes of secretome.kb.vocab.FUNCTIONAL_CLASSES in "
                         "their order, each with direction pro, anti or none")
    return table


def _opposite_classes() -> dict[int, list[int]]:
    """Class index -> indexes of the classes of opposite direction on the same axis."""
    table = functional_class_table()
    out: dict[int, list[int]] = {}
    for k, (axis, direction) in enumerate(zip(table["axis"], table["direction"])):
        if direction in ("pro", "anti"):
            out[k] = [j for j, (a, d) in enumerate(zip(table["axis"], table["direction"]))
                      if a == axis and d in ("pro", "anti") and d != direction]
    return out


def _class_index(name: str, file: str) -> int:
    if name not in FUNCTIONAL_CLASSES:
        raise ValueError(f"{file}: {name!r} is not a functional class (one of {', '.join(FUNCTIONAL_CLASSES)})")
    return FUNCTIONAL_CLASSES.index(name)


def _set_key(source: str, term: str) -> str:
    """The gene-set name of a rule's term: ``Reactome:<name>`` or ``GO_<BP|CC|MF>:<GO id>``."""
    if source == "reactome":
        return f"Reactome:{term}"
    for part in ("BP", "CC", "MF"):
        key = f"GO_{part}:{term}"
        if key in _gmt_lines():
            return key
    return f"GO:{term}"


def _compartments(proteins: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-compartment masks from ``curated/compartment_terms.tsv``: ``go:<compartment>`` (any of its GO terms in
    the protein's go_cc), ``if:<compartment>`` (any HPA IF main location of it, reliability not Uncertain) and
    ``if:intracellular_only`` (every IF main location is cytosolic, nuclear or mitochondrial)."""
    terms = _read_curated("compartment_terms.tsv")
    known = {"cytosol", "nucleus", "mitochondrion", "er", "golgi", "lysosome", "extracellular", "transmembrane",
             "gpi_anchor", "membrane_or_vesicle"}
    bad = sorted(set(terms["compartment"]) - known) + sorted(set(terms["source"]) - {"go", "hpa_if"})
    if bad:
        raise ValueError(f"compartment_terms.tsv: unknown compartment or source {bad}")
    manifest = json.loads((data_dir() / "manifest.json").read_text(encoding="utf-8"))
    missing = sorted(set(terms.loc[terms["source"] == "go", "term"]) - set(manifest.get("go_cc_terms", [])))
    if missing:
        raise ValueError(f"compartment_terms.tsv: GO terms {missing} are not in the knowledge base's go_cc column "
                         "(add them to COMPARTMENT_GO_TERMS of scripts/build_kb.py and rebuild)")
    go_of = dict(zip(terms.loc[terms["source"] == "go", "term"], terms.loc[terms["source"] == "go", "compartment"]))
    if_of = dict(zip(terms.loc[terms["source"] == "hpa_if", "term"], terms.loc[terms["source"] == "hpa_if", "compartment"]))
    reliable = (proteins["hpa_if_reliability"] != "Uncertain").to_numpy()

    def roles(values: pd.Series, mapping: dict[str, str]) -> tuple[np.ndarray, list[set[str]]]:
        codes, uniques = pd.factorize(values)
        return codes, [{mapping[t] for t in u.split(";") if t in mapping} for u in uniques]

    out = {}
    go_codes, go_roles = roles(proteins["go_cc"], go_of)
    if_codes, if_roles = roles(proteins["hpa_if_location"], if_of)
    for compartment in known:
        out[f"go:{compartment}"] = np.array([compartment in r for r in go_roles], dtype=bool)[go_codes]
        out[f"if:{compartment}"] = np.array([compartment in r for r in if_roles], dtype=bool)[if_codes] & reliable
    intracellular = {"cytosol", "nucleus", "mitochondrion"}
    out["if:intracellular_only"] = np.array([bool(r) and r <= intracellular for r in if_roles], dtype=bool)[if_codes] & reliable
    return out


def read_proteins(name: str = "proteins.tsv.gz") -> pd.DataFrame:
    """The built source-fact table (all columns as strings, '' where absent)."""
    with gzip.open(data_dir() / name, "rb") as handle:
        return pd.read_csv(io.BytesIO(handle.read()), sep="\t", dtype=str, keep_default_na=False)


CLASSIFIED_CACHE = "kb-classified"
"""Name of the classified table in the on-disk cache (:mod:`secretome.kb.cache`)."""


def _pack_table(table: pd.DataFrame) -> dict[str, np.ndarray] | None:
    """The classified table as plain arrays for the cache (booleans as they are, strings packed); None if it
    holds anything else."""
    from secretome.kb import cache

    columns = cache.pack_strings(table.columns)
    if columns is None:
        return None
    arrays: dict[str, np.ndarray] = {"__columns__": columns, "__rows__": np.array([len(table)], dtype=np.int64)}
    for position, column in enumerate(table.columns):
        values = table[column].to_numpy()
        if values.dtype == bool:
            arrays[f"b{position}"] = values
        elif values.dtype == object and all(isinstance(value, str) for value in values):
            packed = cache.pack_strings(values)
            if packed is None:
                return None
            arrays[f"s{position}"] = packed
        else:
            return None
    return arrays


def _unpack_table(arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """The classified table from :func:`_pack_table`'s arrays (raises ``ValueError``/``KeyError`` if they do not fit)."""
    from secretome.kb import cache

    n_rows = int(arrays["__rows__"][0])
    columns = cache.unpack_strings(arrays["__columns__"], len(ANNOTATION_COLUMNS) + 2)
    data = {}
    for position, column in enumerate(columns):
        if f"b{position}" in arrays:
            values = arrays[f"b{position}"]
            if values.dtype != bool or values.shape != (n_rows,):
                raise ValueError(f"cached column {column!r} is not {n_rows} booleans")
            data[column] = values
        else:
            data[column] = cache.unpack_strings(arrays[f"s{position}"], n_rows)
    return pd.DataFrame(data)


def classified_entries(manifest: dict) -> pd.DataFrame:
    """:func:`classify` of the shipped entries, read from the on-disk cache when this knowledge base and code
    have been classified before (by any process), else computed and cached."""
    from secretome.kb import cache

    arrays = cache.load(CLASSIFIED_CACHE)
    if arrays is not None:
        try:
            return _unpack_table(arrays)
        except (ValueError, KeyError, IndexError):
            pass
    table = classify(read_proteins(manifest["files"]["proteins"]))
    packed = _pack_table(table)
    if packed is not None:
        cache.store(CLASSIFIED_CACHE, packed)
    return table


INDEX_CACHE = "kb-index"
"""Name of the identifier indexes in the on-disk cache (:mod:`secretome.kb.cache`)."""

INDEXES = ("by_accession", "by_entry_name", "by_gene", "by_synonym")
"""The identifier indexes of :class:`KnowledgeBase` (key -> table row)."""


def build_indexes(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """The identifier indexes of the classified table: accession, entry name and (human entries) gene symbol ->
    the first row holding it; a synonym only when it names one human entry and is no entry's primary symbol."""
    rows = list(range(len(table)))
    human_rows = np.flatnonzero(table["species"].to_numpy() == "HUMAN").tolist()
    by_gene = _first_index(table["gene"].str.upper().to_numpy()[human_rows].tolist(), human_rows)
    synonym_rows: dict[str, set[int]] = {}
    for i, synonyms in zip(human_rows, table["synonyms"].to_numpy()[human_rows]):
        if synonyms:
            for synonym in synonyms.split(";"):
                synonym_rows.setdefault(synonym, set()).add(i)
    return {
        "by_accession": _first_index(table["accession"].str.upper().tolist(), rows),
        "by_entry_name": _first_index(table["entry_name"].str.upper().tolist(), rows),
        "by_gene": by_gene,
        "by_synonym": {s: next(iter(rows)) for s, rows in synonym_rows.items() if len(rows) == 1 and s not in by_gene},
    }


def _unpack_indexes(arrays: dict[str, np.ndarray], n_rows: int) -> dict[str, dict[str, int]]:
    """:func:`build_indexes`' result from its cached arrays (raises ``ValueError``/``KeyError`` if they do not fit
    a table of ``n_rows`` rows)."""
    from secretome.kb import cache

    indexes = {}
    for name in INDEXES:
        rows = arrays[f"{name}.rows"]
        if rows.dtype != np.int64 or rows.ndim != 1 or (len(rows) and not 0 <= rows.min() <= rows.max() < n_rows):
            raise ValueError(f"cached index {name} does not fit the {n_rows} entries")
        indexes[name] = dict(zip(cache.unpack_strings(arrays[f"{name}.keys"], len(rows)).tolist(), rows.tolist()))
    return indexes


def identifier_indexes(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """:func:`build_indexes` of the classified table, read from the on-disk cache when this knowledge base and code
    have been indexed before (the cache's fingerprint covers both, so the indexes always belong to ``table``)."""
    from secretome.kb import cache

    arrays = cache.load(INDEX_CACHE)
    if arrays is not None:
        try:
            return _unpack_indexes(arrays, len(table))
        except (ValueError, KeyError, IndexError):
            pass
    indexes = build_indexes(table)
    packed: dict[str, np.ndarray] = {}
    for name, index in indexes.items():
        keys = cache.pack_strings(index)
        if keys is None:
            return indexes
        packed[f"{name}.keys"] = keys
        packed[f"{name}.rows"] = np.fromiter(index.values(), dtype=np.int64, count=len(index))
    cache.store(INDEX_CACHE, packed)
    return indexes


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """Load the knowledge base once per process: source facts plus the curated rules applied to every entry, and
    the identifier indexes (both from the on-disk cache after the first process: :func:`classified_entries`,
    :func:`identifier_indexes`)."""
    manifest = json.loads((data_dir() / "manifest.json").read_text(encoding="utf-8"))
    table = classified_entries(manifest)
    version = f"{manifest['version']}.rules-{curated_sha256()[:8]}"
    return KnowledgeBase(
        version=version, sources=manifest["sources"], table=table, **identifier_indexes(table),
        exocarta_top100=manifest.get("exocarta_top100", []),
    )


@lru_cache(maxsize=1)
def supplement_types() -> dict[str, str]:
    """Sample-sheet supplement value (lower case) -> supplement (``curated/supplement_types.tsv``)."""
    table = _read_curated("supplement_types.tsv")
    bad = sorted(set(table["supplement"]) - set(SUPPLEMENTS))
    if bad:
        raise ValueError(f"supplement_types.tsv: unknown supplement {bad} (one of {', '.join(SUPPLEMENTS)})")
    return dict(zip(table["value"].str.strip().str.lower(), table["supplement"]))


def supplement_markers(genes: pd.Series, supplements: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which genes a human culture supplement brings in (``curated/supplement_proteins.tsv``), for the given
    supplements: (mask, reason per gene, '' where none)."""
    table = _read_curated("supplement_proteins.tsv")
    bad = sorted(set(table["supplement"]) - set(SUPPLEMENTS))
    if bad:
        raise ValueError(f"supplement_proteins.tsv: unknown supplement {bad} (one of {', '.join(SUPPLEMENTS)})")
    table = table[table["supplement"].isin(supplements)].reset_index(drop=True)
    upper = genes.astype(str).str.upper().reset_index(drop=True)
    hit = _match_genes(upper, table) if len(table) else np.full(len(upper), -1)
    labels = (table["supplement"] + ": " + table["reason"]).to_numpy() if len(table) else np.array([], dtype=object)
    reason = np.where(hit >= 0, labels[np.maximum(hit, 0)] if len(labels) else "", "")
    return hit >= 0, reason.astype(str)


def gene_sets() -> dict[str, frozenset[str]]:
    """All gene sets by prefixed name: ``MSigDB_C5_BP:GO_...``, ``Reactome:...`` and ``secretome:<class>``."""
    sets = dict(_all_gene_sets())
    sets.update({f"secretome:{cls}": genes for cls, genes in functional_class_members().items()})
    return sets


def functional_class_members() -> dict[str, frozenset[str]]:
    """Human gene symbols in each functional class, for every class of the fixed vocabulary."""
    table = load_kb().table
    human = table[table["species"] == "HUMAN"]
    # one split of every entry's class list (not one per class): (gene, class) pairs, grouped by class
    pairs = pd.DataFrame({"gene": human["gene"].str.upper(), "cls": human["functional_classes"].str.split(";")}).explode("cls")
    genes_of = pairs[pairs["gene"] != ""].groupby("cls")["gene"].agg(frozenset).to_dict()
    return {cls: genes_of.get(cls, frozenset()) for cls in FUNCTIONAL_CLASSES}


def kb_summary() -> dict:
    """Version, sources and class sizes (human reviewed entries; contaminant entries counted apart)."""
    kb = load_kb()
    table = kb.table
    human = table[table["reviewed"] & (table["species"] == "HUMAN")]
    functional = human["functional_classes"].str.split(";").explode()
    return {
        "version": kb.version,
        "sources": [{k: s[k] for k in ("name", "release", "licence")} for s in kb.sources],
        "human_reviewed_entries": int(len(human)),
        "contaminant_entries": int((table["species"] != "HUMAN").sum()),
        "secretion_class_sizes": {c: int((human["secretion_class"] == c).sum()) for c in SECRETION_CLASSES},
        "contaminant_class_sizes": {
            c: int((table["secretion_class"] == c).sum()) for c in ("contaminant_serum", "contaminant_handling")
        },
        "functional_class_sizes": {c: int((functional == c).sum()) for c in FUNCTIONAL_CLASSES},
        "marker_sizes": {c: int(human[c].sum()) for c in ("lysis_marker", "ev_marker", "serum_marker")},
    }


def format_summary(summary: dict) -> str:
    """Human-readable text of :func:`kb_summary` (what ``secretome kb info`` prints)."""
    lines = [f"secretome knowledge base {summary['version']}", "", "Sources:"]
    lines += [f"  - {s['name']} | {s['release']} | {s['licence']}" for s in summary["sources"]]
    lines += ["", f"Human reviewed entries: {summary['human_reviewed_entries']}; "
              f"contaminant-library entries: {summary['contaminant_entries']}", "", "secretion_class (human reviewed):"]
    lines += [f"  {name:<22}{size:>7}" for name, size in summary["secretion_class_sizes"].items()]
    lines += ["contaminant entries:"]
    lines += [f"  {name:<22}{size:>7}" for name, size in summary["contaminant_class_sizes"].items()]
    lines += ["functional_classes (human reviewed):"]
    lines += [f"  {name:<22}{size:>7}" for name, size in summary["functional_class_sizes"].items()]
    lines += ["markers (human reviewed):"]
    lines += [f"  {name:<22}{size:>7}" for name, size in summary["marker_sizes"].items()]
    return "\n".join(lines)
