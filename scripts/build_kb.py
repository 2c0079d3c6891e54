#!/usr/bin/env python
"""Build the shipped knowledge-base artefact from the public reference data.

Usage::

    python scripts/build_kb.py [--source ../shared/data] [--bioc /usr/lib/R/site-library] [--out src/secretome/kb/data]

Reads only the files listed in ``SOURCES``: UniProt, HPA (v23 secretome, v21.1 secretome and immunofluorescence
locations via pyreadr, v18.1 protein classes), the Gene Ontology and its human annotation from the SQLite files of
Debian's Bioconductor packages org.Hs.eg.db and GO.db (read with sqlite3, no R), Reactome, CellPhoneDB, ExoCarta and
the contaminant libraries. The SignalP 6.0 data (CC BY-NC-ND) is never opened: nothing shipped derives from it.

Writes, byte-deterministically (sorted rows, gzip with mtime=0 and no file name):

- ``proteins.tsv.gz``: one row per UniProt entry (human reviewed entries and contaminant-library entries) with the
  source facts the classifier needs (secretion evidence, HPA classes, CellPhoneDB flags, ExoCarta counts,
  contaminant libraries). No classification is stored: the rules in ``curated/`` are applied at load time.
- ``gene_sets.gmt.gz``: GO (BP/CC/MF, ``GO_<ontology>:<GO id>``, annotations propagated to ancestors, 3-2000 genes)
  and Reactome gene sets, names prefixed by their collection.
- ``manifest.json``: KB semantic version, content hash, per-source file hashes, releases, licences, counts.
- ``ATTRIBUTION.md``: each source, its release and licence, and what was taken.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import lzma
import os
import re
import sqlite3
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

KB_SEMVER = "2.0.0"  # 2: GO 2022 + HPA v21.1 sources, unconventional and anti_angiogenic classes (issue 8)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path(os.environ.get("SECRETOME_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")
DEFAULT_BIOC = Path(os.environ.get("SECRETOME_BIOC_LIBRARY") or "/usr/lib/R/site-library")
DEFAULT_OUT = REPO_ROOT / "src" / "secretome" / "kb" / "data"
FORBIDDEN_DIR = "signal_peptides"  # SignalP 6.0, CC BY-NC-ND: evaluation only, never an input of the build


@dataclass(frozen=True)
class Source:
    key: str
    path: str
    name: str
    release: str
    licence: str
    taken: str


SOURCES: tuple[Source, ...] = (
    Source("uniprot_basic", "uniprot/uniprot_human_reviewed_basic_2020.tsv.gz",
           "UniProtKB/Swiss-Prot human reviewed entries (via pierrepo/python-omics-use-cases)",
           "UniProt export of about May 2020", "CC BY 4.0",
           "accession, entry name, gene name and gene-name synonyms, first protein name"),
    Source("uniprot_secreted", "uniprot/uniprot_human_reviewed_secreted_SL-0243.fasta.gz",
           "UniProtKB/Swiss-Prot human reviewed entries with subcellular location Secreted [SL-0243] (via jsture/RPSP)",
           "UniProt REST query of about Nov 2024", "CC BY 4.0",
           "the set of accessions (flag uniprot_secreted), entry name, gene, protein name; no sequences"),
    Source("hpa_v23", "hpa/hpa_v23_predicted_secreted_proteins.tsv.gz",
           "Human Protein Atlas, protein class 'Predicted secreted proteins' export (via zhongzisha/ST_prediction)",
           "HPA v23 (2023, inferred from columns and commit date)", "CC BY-SA 4.0",
           "gene, gene synonyms, UniProt accession, 'Secretome location', 'Secretome function'"),
    Source("hpa_v21_secretome", "kb/hpa_v21.1/hpaSecretome.rda",
           "Human Protein Atlas secretome gene table (via lgatto/hpar data/hpaSecretome.rda)",
           "HPA v21.1 (2022-05-31, Ensembl 103.38; kb/hpa_v21.1/hpaRelease.rda)", "CC BY-SA 4.0",
           "gene, UniProt accession, gene synonyms, 'Secretome.location' (including the curated negative set "
           "'Intracellular and membrane')"),
    Source("hpa_v21_subcellular", "kb/hpa_v21.1/hpaSubcellularLoc.rda",
           "Human Protein Atlas subcellular (immunofluorescence) locations (via lgatto/hpar data/hpaSubcellularLoc.rda)",
           "HPA v21.1 (2022-05-31)", "CC BY-SA 4.0", "gene name, reliability and main locations"),
    Source("hpa_v18", "hpa/hpa_v18.1_proteinatlas.tsv.gz",
           "Human Protein Atlas full gene table (via Genome3d/blood-metabolites-regulation)",
           "HPA v18.1 (2018)", "CC BY-SA 4.0",
           "gene, gene synonyms, 'Protein class' (predicted secreted / membrane / intracellular, plasma protein)"),
    Source("reactome", "go/ReactomePathways.gmt.gz", "Reactome human pathways as gene symbols "
           "(via markziemann/vpa-senescence; spaces in names were replaced by '-' there)",
           "Reactome, file of 2021-10", "CC BY 4.0", "all pathways (name, R-HSA id, gene symbols)"),
    Source("org_hs_eg_db", "bioc:org.Hs.eg.db/extdata/org.Hs.eg.sqlite",
           "Bioconductor org.Hs.eg.db SQLite (Debian package r-bioc-org.hs.eg.db)", "",
           "Artistic-2.0 package; GO annotations CC BY 4.0 (Gene Ontology Consortium); Entrez Gene public domain",
           "GO annotations of human genes (BP/CC/MF, propagated to ancestors: tables go_*_all; evidence ND left out), "
           "Entrez gene symbols and their UniProt accessions"),
    Source("go_db", "bioc:GO.db/extdata/GO.sqlite", "Bioconductor GO.db SQLite (Debian package r-bioc-go.db)", "",
           "Artistic-2.0 package; Gene Ontology CC BY 4.0", "GO term ids, names and ontologies"),
    Source("cellphonedb", "ligand_receptor/cellphonedb_v5_protein_input.csv",
           "CellPhoneDB protein_input.csv (ventolab/cellphonedb-data)", "CellPhoneDB v5.0.0",
           "no licence file in the data repository; CellPhoneDB software MIT",
           "accession, transmembrane, peripheral, secreted, secreted_desc"),
    Source("cellphonedb_genes", "ligand_receptor/cellphonedb_v5_gene_input.csv",
           "CellPhoneDB gene_input.csv (ventolab/cellphonedb-data)", "CellPhoneDB v5.0.0",
           "no licence file in the data repository; CellPhoneDB software MIT",
           "gene name and HGNC symbol per accession, added as identifier synonyms"),
    Source("exocarta", "ev_markers/EXOCARTA_PROTEIN_MRNA_DETAILS_5.txt.gz",
           "ExoCarta protein/mRNA details (via piloter2/scientific_reports_2025)", "ExoCarta release 5",
           "not stated (freely downloadable database)",
           "number of distinct experiments per gene symbol (proteins, all species), from which the top-100 is ranked"),
    Source("maxquant", "contaminants/maxquant_contaminants.fasta",
           "MaxQuant contaminants.fasta (via MannLabs/alphapept)", "as shipped with alphapept (commit c81f6f7)",
           "alphapept Apache-2.0; MaxQuant redistribution terms not stated",
           "accession, entry name, species, gene, description of each entry; no sequences"),
    Source("crap", "contaminants/crap.fasta", "GPM common Repository of Adventitious Proteins (cRAP) "
           "(via ProGenNo/ProHap)", "cRAP as in ProHap (commit cafcc51)", "repository MIT; cRAP from thegpm.org",
           "entry name and species of each entry; no sequences"),
    Source("hao_universal", "contaminants/frankenfield2022_universal_contaminants.fasta",
           "Frankenfield et al. 2022 universal protein contaminant library", "0602 release (2022)",
           "not stated (academic resource; cite doi:10.1021/acs.jproteome.2c00145)",
           "accession, entry name, species, gene, description of each entry; no sequences"),
    Source("hao_cell_culture", "contaminants/frankenfield2022_cell_culture_contaminants.fasta",
           "Frankenfield et al. 2022 cell-culture contaminant library", "0602 release (2022)",
           "not stated (academic resource; cite doi:10.1021/acs.jproteome.2c00145)",
           "accession, entry name, species, gene, description of each entry; no sequences"),
    Source("hao_stem_cell", "contaminants/frankenfield2022_stem_cell_culture_contaminants.fasta",
           "Frankenfield et al. 2022 stem-cell-culture contaminant library", "Dec2022 release",
           "not stated (academic resource; cite doi:10.1021/acs.jproteome.2c00145)",
           "accession, entry name, species, gene, description of each entry; no sequences"),
    Source("csdaw", "contaminants/csdaw_2023_12_universal_contaminants.tsv",
           "csdaw/contaminants non-redundant universal contaminant table", "2023-12",
           "not stated (derived from Frankenfield et al. 2022)",
           "accession, gene, organism and 'source_of_contamination' of each entry"),
)

# UniProt species mnemonics for the organisms named in the contaminant libraries.
ORGANISM_MNEMONIC = {
    "homo sapiens": "HUMAN", "bos taurus": "BOVIN", "mus musculus": "MOUSE", "sus scrofa": "PIG",
    "ovis aries": "SHEEP", "gallus gallus": "CHICK", "equus caballus": "HORSE", "oryctolagus cuniculus": "RABIT",
    "escherichia coli": "ECOLI", "aequorea victoria": "AEQVI", "streptomyces avidinii": "STRAV",
    "staphylococcus aureus": "STAAU", "serratia marcescens": "SERMA", "achromobacter lyticus": "ACHLY",
    "saccharomyces cerevisiae": "YEAST", "hevea brasiliensis": "HEVBR",
}
TAXID_MNEMONIC = {"9606": "HUMAN", "9913": "BOVIN", "10090": "MOUSE", "9823": "PIG", "9940": "SHEEP",
                  "9031": "CHICK", "9796": "HORSE", "9986": "RABIT"}
# GO cellular-component terms recorded per protein (column go_cc) for the compartment rules of
# curated/compartment_terms.tsv: the compartments the secretion classifier weighs. Kept as a per-protein column
# (not only as gene sets) so that the largest compartments (cytosol, nucleus, membrane) need not be loaded as sets.
COMPARTMENT_GO_TERMS = (
    "GO:0005576", "GO:0005615", "GO:0031012", "GO:0070062", "GO:0005783", "GO:0005788", "GO:0005789", "GO:0005794",
    "GO:0005764", "GO:0043202", "GO:0005739", "GO:0005759", "GO:0005758", "GO:0005743", "GO:0005829", "GO:0005634",
    "GO:0005654", "GO:0005730", "GO:0005886", "GO:0016021", "GO:0005887", "GO:0009986", "GO:0031225", "GO:0005777",
    "GO:0030141", "GO:0034774", "GO:0031093", "GO:0005856", "GO:0005737",
)
# evidence codes not used for go_cc: no data, and high-throughput screens (HDA, HTP, HEP, HMP, HGI), which put
# thousands of cytosolic proteins in 'extracellular exosome' or 'extracellular space'
WEAK_GO_EVIDENCE = ("ND", "HDA", "HTP", "HEP", "HMP", "HGI")
GENE_SET_SIZE = (3, 2000)  # GO sets kept in gene_sets.gmt.gz: enrichment-sized terms (typical bounds 5-500)
ACCESSION_RE = re.compile(r"^(?:[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})$")

PROTEIN_COLUMNS = [
    "accession", "entry_name", "gene", "synonyms", "species", "description", "in_uniprot_reviewed",
    "uniprot_secreted", "hpa_v23_location", "hpa_v23_function", "hpa_v21_location", "hpa_if_location",
    "hpa_if_reliability", "go_cc", "hpa_v18_class", "cellphonedb_secreted",
    "cellphonedb_secreted_desc", "cellphonedb_transmembrane", "cellphonedb_peripheral", "exocarta_experiments",
    "exocarta_rank", "contaminant_libraries", "contaminant_source",
]


def _open_text(path: Path) -> io.TextIOBase:
    if FORBIDDEN_DIR in path.parts:
        raise RuntimeError(f"refusing to read {path}: SignalP 6.0 data may not feed the shipped knowledge base")
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    if path.suffix == ".xz":
        return io.TextIOWrapper(lzma.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _rows(path: Path, delimiter: str = "\t") -> list[dict[str, str]]:
    with _open_text(path) as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _first_name(protein_names: str) -> str:
    """UniProt 'Protein names' lists the recommended name first, alternatives in brackets."""
    depth, out = 0, []
    for char in protein_names:
        if char in "([":
            if depth == 0 and out and out[-1] == " ":
                break
            depth += 1
        elif char in ")]":
            depth = max(depth - 1, 0)
        out.append(char)
    return _clean("".join(out))


def read_uniprot(src: Path) -> dict[str, dict[str, str]]:
    proteins: dict[str, dict[str, str]] = {}
    for row in _rows(src / "uniprot/uniprot_human_reviewed_basic_2020.tsv.gz"):
        # 'Gene names' is space-separated, and a few 2020 entries join two genes with '; ' ("HBA1; HBA2")
        names = [name for name in re.split(r"[\s;]+", row["Gene names"]) if name]
        proteins[row["Entry"]] = {
            "accession": row["Entry"], "entry_name": row["Entry name"], "gene": names[0] if names else "",
            "synonyms": set(names[1:]), "species": "HUMAN", "description": _first_name(row["Protein names"]),
            "in_uniprot_reviewed": "1", "uniprot_secreted": "0",
        }
    with _open_text(src / "uniprot/uniprot_human_reviewed_secreted_SL-0243.fasta.gz") as handle:
        for line in handle:
            if not line.startswith(">"):
                continue
            _, accession, rest = line[1:].split("|", 2)
            entry_name, _, text = rest.partition(" ")
            description = text.split(" OS=")[0]
            gene = re.search(r"\bGN=(\S+)", text)
            entry = proteins.setdefault(accession, {
                "accession": accession, "entry_name": entry_name, "gene": gene.group(1) if gene else "",
                "synonyms": set(), "species": "HUMAN", "description": _clean(description),
                "in_uniprot_reviewed": "1",
            })
            entry["uniprot_secreted"] = "1"
            if gene and entry["gene"] != gene.group(1):  # a 2024 gene name differs from the 2020 one
                entry["synonyms"].add(gene.group(1))
    return proteins


def read_hpa(src: Path, proteins: dict[str, dict[str, str]], by_ensembl: dict[str, list[str]]) -> None:
    by_gene: dict[str, list[str]] = defaultdict(list)
    for accession, entry in proteins.items():
        if entry["gene"]:
            by_gene[entry["gene"].upper()].append(accession)
    v23_by_acc = {}
    for row in _rows(src / "hpa/hpa_v23_predicted_secreted_proteins.tsv.gz"):
        accessions = [a.strip() for a in row["Uniprot"].split(",") if a.strip()] or by_gene.get(row["Gene"].upper(), [])
        for accession in accessions:
            if accession in proteins:
                v23_by_acc[accession] = row
    for accession, row in v23_by_acc.items():
        entry = proteins[accession]
        entry["hpa_v23_location"] = _clean(row["Secretome location"])
        entry["hpa_v23_function"] = _clean(row["Secretome function"])
        entry["synonyms"].update(s.strip() for s in row["Gene synonym"].split(",") if s.strip())
        if row["Gene"] and row["Gene"] != entry["gene"]:
            entry["synonyms"].add(row["Gene"])
    for row in _rows(src / "hpa/hpa_v18.1_proteinatlas.tsv.gz"):
        for accession in by_gene.get(row["Gene"].upper(), []) or by_ensembl.get(row["Ensembl"], []):
            entry = proteins[accession]
            entry["hpa_v18_class"] = _clean(row["Protein class"])
            entry["synonyms"].update(s.strip() for s in row["Gene synonym"].split(",") if s.strip())


def _read_rda(path: Path):
    """The one data frame of an R .rda file (HPA v21.1 via hpar), read with pyreadr (no R needed)."""
    if FORBIDDEN_DIR in path.parts:
        raise RuntimeError(f"refusing to read {path}: SignalP 6.0 data may not feed the shipped knowledge base")
    import pyreadr  # build-time dependency only (extra 'kb-build')

    frames = pyreadr.read_r(str(path))
    (frame,) = frames.values()
    return frame.fillna("").astype(str)


def read_hpa_v21(src: Path, proteins: dict[str, dict[str, str]], by_ensembl: dict[str, list[str]]) -> str:
    """HPA v21.1 secretome locations (by UniProt accession) and IF main locations (by gene); returns the release."""
    by_gene: dict[str, list[str]] = defaultdict(list)
    for accession, entry in proteins.items():
        if entry["gene"]:
            by_gene[entry["gene"].upper()].append(accession)
    secretome = _read_rda(src / "kb/hpa_v21.1/hpaSecretome.rda")
    for gene, synonyms, uniprot, location in secretome[["Gene.name", "Gene.synonym", "Uniprot", "Secretome.location"]].itertuples(index=False):
        accessions = [a.strip() for a in uniprot.split(",") if a.strip() in proteins] or by_gene.get(gene.upper(), [])
        for accession in accessions:
            entry = proteins[accession]
            entry["hpa_v21_location"] = _clean(location)
            entry["synonyms"].update(s.strip() for s in synonyms.split(",") if s.strip())
    subcellular = _read_rda(src / "kb/hpa_v21.1/hpaSubcellularLoc.rda")
    for ensembl, gene, reliability, main in subcellular[["Gene", "Gene.name", "Reliability", "Main.location"]].itertuples(index=False):
        for accession in by_gene.get(gene.upper(), []) or by_ensembl.get(ensembl, []):
            proteins[accession]["hpa_if_location"] = ";".join(sorted(filter(None, main.split(";"))))
            proteins[accession]["hpa_if_reliability"] = reliability
    release = _read_rda(src / "kb/hpa_v21.1/hpaRelease.rda").iloc[:, 0].tolist()
    return f"HPA v{release[0]} ({release[1].replace('.', '-')}, Ensembl {release[2]})"


def ensembl_accessions(bioc: Path, proteins: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Ensembl gene id -> UniProt accessions of the knowledge base, through org.Hs.eg.db's Entrez mappings (so
    HPA rows whose gene symbol changed since the 2020 UniProt table still find their entry)."""
    org = bioc / "org.Hs.eg.db/extdata/org.Hs.eg.sqlite"
    with sqlite3.connect(f"file:{org}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT e.ensembl_id, u.uniprot_id FROM ensembl e JOIN uniprot u ON e._id = u._id")
        out: dict[str, list[str]] = defaultdict(list)
        for ensembl, accession in sorted(set(rows)):
            if accession in proteins:
                out[ensembl].append(accession)
    return out


def _bioc_version(database: Path) -> str:
    """The Bioconductor package version from its DESCRIPTION (``<package>/DESCRIPTION`` above ``extdata``)."""
    for line in (database.parent.parent / "DESCRIPTION").read_text(encoding="utf-8").splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def read_go(bioc: Path, proteins: dict[str, dict[str, str]]) -> tuple[list[tuple[str, str, list[str]]], dict[str, str]]:
    """GO gene sets from org.Hs.eg.db (annotations propagated to ancestor terms, evidence ND left out) named by
    GO.db; each set holds the Entrez symbols and, for genes mapped to a UniProt entry, that entry's symbol (the
    UniProt table is older, so renamed genes still match). Also adds Entrez symbols as synonyms. Returns the
    sets and the releases of both databases."""
    org = bioc / "org.Hs.eg.db/extdata/org.Hs.eg.sqlite"
    go = bioc / "GO.db/extdata/GO.sqlite"
    with sqlite3.connect(f"file:{go}?mode=ro", uri=True) as connection:
        terms = {go_id: (ontology, term) for go_id, ontology, term in
                 connection.execute("SELECT go_id, ontology, term FROM go_term WHERE ontology IN ('BP','CC','MF')")}
        go_meta = dict(connection.execute("SELECT name, value FROM metadata"))
    with sqlite3.connect(f"file:{org}?mode=ro", uri=True) as connection:
        symbol_of = dict(connection.execute("SELECT _id, symbol FROM gene_info"))
        accessions_of: dict[int, list[str]] = defaultdict(list)
        for gene_id, accession in connection.execute("SELECT _id, uniprot_id FROM uniprot"):
            accessions_of[gene_id].append(accession)
        members: dict[str, set[str]] = defaultdict(set)
        for table in ("go_bp_all", "go_cc_all", "go_mf_all"):
            for gene_id, go_id in connection.execute(f"SELECT DISTINCT _id, go_id FROM {table} WHERE evidence != 'ND'"):
                members[go_id].add(gene_id)
        marks = ",".join("?" * len(COMPARTMENT_GO_TERMS))
        weak = ",".join("?" * len(WEAK_GO_EVIDENCE))
        compartments: dict[int, set[str]] = defaultdict(set)
        for gene_id, go_id in connection.execute(
                f"SELECT DISTINCT _id, go_id FROM go_cc_all WHERE go_id IN ({marks}) AND evidence NOT IN ({weak})",
                COMPARTMENT_GO_TERMS + WEAK_GO_EVIDENCE):
            compartments[gene_id].add(go_id)
        org_meta = dict(connection.execute("SELECT name, value FROM metadata"))
    names_of: dict[int, set[str]] = {}
    go_cc: dict[str, set[str]] = defaultdict(set)
    for gene_id, symbol in symbol_of.items():
        names = {symbol.upper()}
        for accession in accessions_of.get(gene_id, []):
            entry = proteins.get(accession)
            if entry is not None and entry.get("species") == "HUMAN" and entry["gene"]:
                names.add(entry["gene"].upper())
                go_cc[accession] |= compartments.get(gene_id, set())
                if entry["gene"].upper() != symbol.upper():
                    entry["synonyms"].add(symbol)
        names_of[gene_id] = names
    for accession, terms_here in go_cc.items():
        proteins[accession]["go_cc"] = ";".join(sorted(terms_here))
    sets = []
    for go_id, gene_ids in members.items():
        if go_id not in terms:
            continue
        ontology, term = terms[go_id]
        genes = sorted(set().union(*(names_of.get(g, set()) for g in gene_ids)))
        if not GENE_SET_SIZE[0] <= len(genes) <= GENE_SET_SIZE[1]:
            continue
        sets.append((f"GO_{ontology}:{go_id}", _clean(term), genes))
    releases = {
        "org_hs_eg_db": f"org.Hs.eg.db {_bioc_version(org)} (Bioconductor 3.16): GO annotations of "
                        f"{org_meta.get('GOEGSOURCEDATE', '?')} (Entrez Gene), Entrez Gene {org_meta.get('EGSOURCEDATE', '?')}, "
                        f"UniProt mapping of {org_meta.get('UPSOURCEDATE', '?')}",
        "go_db": f"GO.db {_bioc_version(go)} (Bioconductor 3.16): Gene Ontology of {go_meta.get('GOSOURCEDATE', '?')}",
    }
    return sets, releases


def read_cellphonedb(src: Path, proteins: dict[str, dict[str, str]]) -> None:
    for row in _rows(src / "ligand_receptor/cellphonedb_v5_protein_input.csv", delimiter=","):
        entry = proteins.get(row["uniprot"])
        if entry is None:
            continue
        entry["cellphonedb_secreted"] = "1" if row["secreted"] == "TRUE" else "0"
        entry["cellphonedb_transmembrane"] = "1" if row["transmembrane"] == "TRUE" else "0"
        entry["cellphonedb_peripheral"] = "1" if row["peripheral"] == "TRUE" else "0"
        entry["cellphonedb_secreted_desc"] = " | ".join(
            part.strip().capitalize() for part in row["secreted_desc"].split("|") if part.strip())


def read_cellphonedb_genes(src: Path, proteins: dict[str, dict[str, str]]) -> None:
    """Current gene names and HGNC symbols as synonyms (the UniProt table is from 2020)."""
    for row in _rows(src / "ligand_receptor/cellphonedb_v5_gene_input.csv", delimiter=","):
        entry = proteins.get(row["uniprot"])
        if entry is None:
            continue
        for symbol in (row["gene_name"], row["hgnc_symbol"]):
            if symbol.strip() and symbol.strip() != entry["gene"]:
                entry["synonyms"].add(symbol.strip())


def read_exocarta(src: Path, proteins: dict[str, dict[str, str]]) -> list[tuple[str, int]]:
    experiments: dict[str, set[str]] = defaultdict(set)
    for row in _rows(src / "ev_markers/EXOCARTA_PROTEIN_MRNA_DETAILS_5.txt.gz"):
        if row["CONTENT TYPE"].strip().lower() == "protein" and row["GENE SYMBOL"].strip():
            experiments[row["GENE SYMBOL"].strip().upper()].add(row["EXPERIMENT ID"].strip())
    ranking = sorted(((gene, len(ids)) for gene, ids in experiments.items()), key=lambda item: (-item[1], item[0]))
    rank = {gene: index + 1 for index, (gene, _) in enumerate(ranking)}
    for entry in proteins.values():
        gene = entry["gene"].upper()
        if gene in experiments:
            entry["exocarta_experiments"] = str(len(experiments[gene]))
            entry["exocarta_rank"] = str(rank[gene])
    return ranking[:100]


def _species_from(text: str) -> str:
    taxid = re.search(r"(?:OX=|Tax_Id=)(\d+)", text)
    if taxid and taxid.group(1) in TAXID_MNEMONIC:
        return TAXID_MNEMONIC[taxid.group(1)]
    lowered = text.lower()
    for organism, mnemonic in ORGANISM_MNEMONIC.items():
        if organism in lowered:
            return mnemonic
    if "bovine" in lowered:
        return "BOVIN"
    return ""


def _contaminant_entries(path: Path, library: str) -> list[dict[str, str]]:
    """Parse the header lines of a contaminant FASTA (UniProt, MaxQuant or cRAP style) into entries."""
    entries = []
    with _open_text(path) as handle:
        for line in handle:
            if not line.startswith(">"):
                continue
            header = line[1:].strip()
            accession = entry_name = species = gene = ""
            if header.startswith(("sp|", "tr|")):
                parts = header.split("|", 2)
                token = re.sub(r"^(Cont_|CON__|contam_)", "", parts[1])
                rest = parts[2] if len(parts) > 2 else ""
                entry_name, _, text = rest.partition(" ")
                if "_" in token and not ACCESSION_RE.match(token):  # cRAP style: >sp|ALBU_BOVIN|
                    entry_name, accession = token, ""
                else:
                    accession = token
                species = entry_name.rsplit("_", 1)[1] if "_" in entry_name else _species_from(text)
                found = re.search(r"\bGN=(\S+)", text)
                gene = found.group(1) if found else ""
                description = text.split(" OS=")[0]
            else:
                first, _, text = header.partition(" ")
                accession = first if ACCESSION_RE.match(first.split("-")[0]) else ""
                if accession and "-" in accession:
                    accession = accession.split("-")[0]
                names = re.search(r"\|([A-Z0-9]+_[A-Z0-9]+)\b", text)
                entry_name = names.group(1) if names else ""
                species = entry_name.rsplit("_", 1)[1] if entry_name else _species_from(text)
                found = re.search(r"Gene_Symbol=(\S+)", text)
                gene = found.group(1) if found and found.group(1) != "-" else ""
                description = re.sub(r"^(SWISS-PROT|TREMBL|ENSEMBL|REFSEQ|H-INV):\S+\s*", "", text)
                description = re.sub(r"Tax_Id=\d+\s+Gene_Symbol=\S+\s*", "", description)
                description = re.sub(r"^\|\S+\s*|^\([^)]*\)\s*|\s+-\s+[A-Z][a-z]+ [a-z]+ \([^)]*\)\.?$", "", description)
                if not accession:
                    continue  # RefSeq/Ensembl/H-InvDB-only entries: no UniProt accession to match on
            if not accession and not entry_name:
                continue
            entries.append({"accession": accession, "entry_name": entry_name, "species": species,
                            "gene": gene, "description": _clean(description), "library": library})
    return entries


def read_contaminants(src: Path, proteins: dict[str, dict[str, str]]) -> None:
    libraries = [  # libraries with accessions first, so that cRAP's entry-name-only headers find them
        ("contaminants/maxquant_contaminants.fasta", "MaxQuant"),
        ("contaminants/frankenfield2022_universal_contaminants.fasta", "Frankenfield2022 universal"),
        ("contaminants/frankenfield2022_cell_culture_contaminants.fasta", "Frankenfield2022 cell culture"),
        ("contaminants/frankenfield2022_stem_cell_culture_contaminants.fasta", "Frankenfield2022 stem cell culture"),
        ("contaminants/crap.fasta", "cRAP"),
    ]
    by_name = {entry["entry_name"]: acc for acc, entry in proteins.items() if entry["entry_name"]}
    sources_by_acc = {row["uniprot_id"]: _clean(row["source_of_contamination"])
                      for row in _rows(src / "contaminants/csdaw_2023_12_universal_contaminants.tsv")}
    for relative, library in libraries:
        for item in _contaminant_entries(src / relative, library):
            accession = item["accession"] or by_name.get(item["entry_name"], "")
            key = accession or item["entry_name"]
            entry = proteins.get(key)
            if entry is None:
                entry = proteins[key] = {
                    "accession": accession, "entry_name": item["entry_name"], "gene": item["gene"],
                    "synonyms": set(), "species": item["species"], "description": item["description"],
                    "in_uniprot_reviewed": "0", "libraries": set(),
                }
            entry.setdefault("libraries", set()).add(library)
            for field in ("entry_name", "gene", "species", "description"):
                if not entry.get(field) and item[field]:
                    entry[field] = item[field]
            if entry["entry_name"]:
                by_name.setdefault(entry["entry_name"], key)
    for key, entry in proteins.items():
        if entry.get("libraries") and key in sources_by_acc:
            entry["contaminant_source"] = sources_by_acc[key]


def read_reactome(src: Path) -> list[tuple[str, str, list[str]]]:
    sets = []
    for relative, prefix in (("go/ReactomePathways.gmt.gz", "Reactome"),):
        with _open_text(src / relative) as handle:
            for line in handle:
                fields = line.rstrip("\r\n").split("\t")
                if len(fields) < 3:
                    continue
                genes = sorted({gene.strip().upper() for gene in fields[2:] if gene.strip()})
                sets.append((f"{prefix}:{fields[0]}", fields[1], genes))
    return sets


def _gzip_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def _proteins_tsv(proteins: dict[str, dict[str, str]]) -> str:
    lines = ["\t".join(PROTEIN_COLUMNS)]
    for key in sorted(proteins, key=lambda k: (proteins[k]["species"] != "HUMAN", k)):
        entry = dict(proteins[key])
        entry["synonyms"] = ";".join(sorted({s.upper() for s in entry.get("synonyms", set())}
                                            - {entry["gene"].upper(), ""}))
        entry["contaminant_libraries"] = ";".join(sorted(entry.get("libraries", set())))
        lines.append("\t".join(_clean(str(entry.get(column, ""))) for column in PROTEIN_COLUMNS))
    return "\n".join(lines) + "\n"


def _attribution(manifest: dict) -> str:
    out = [
        "# Knowledge-base attribution",
        "",
        f"Knowledge base version **{manifest['version']}**, built by `scripts/build_kb.py` from the public files "
        "listed below (see `../shared/data/PROVENANCE.md` for the repository and commit each came from). "
        "Only facts needed for classification were taken (identifiers, names, flags, class labels, gene-set "
        "memberships, experiment counts); no sequences are shipped.",
        "",
        "## Licence of this artefact",
        "",
        "- Columns `hpa_v23_location`, `hpa_v23_function`, `hpa_v21_location`, `hpa_if_location`, `hpa_if_reliability`, "
        "`hpa_v18_class` and the HPA gene synonyms merged into "
        "`synonyms` of `proteins.tsv.gz` are derived from the Human Protein Atlas, licensed **CC BY-SA 4.0**. "
        "Shipping them makes that part of the knowledge base CC BY-SA 4.0: redistributions of those columns must "
        "keep the attribution and the same licence.",
        "- The GO gene sets in `gene_sets.gmt.gz` and the `go_cc` column come from the Gene Ontology (CC BY 4.0) and its "
        "human annotation as packaged by Bioconductor's org.Hs.eg.db and GO.db (packages Artistic-2.0). Reactome and "
        "UniProt data are CC BY 4.0. The MSigDB C5 v6.2 (2018) gene sets of earlier versions are no longer used: "
        "GO 2022-07 supersedes them.",
        "- The SignalP 6.0 data set (CC BY-NC-ND 2.0) is **not** used: the build never opens it and nothing "
        "shipped derives from it.",
        "- Sources whose redistribution terms are not stated (the MaxQuant contaminant list, the Frankenfield 2022 "
        "and csdaw contaminant libraries, ExoCarta, the CellPhoneDB data files): only identifiers, names, species, "
        "flags, categories and counts are shipped, never sequences. Check their terms before commercial "
        "redistribution.",
        "",
        "## Sources",
        "",
    ]
    for source in manifest["sources"]:
        out += [
            f"### {source['name']}",
            f"- File: `{source['path']}` (sha256 `{source['sha256'][:16]}...`)",
            f"- Release: {source['release']}",
            f"- Licence: {source['licence']}",
            f"- Taken: {source['taken']}",
            "",
        ]
    out += [
        "## Literature behind the curated lists",
        "",
        "- MISEV2018: Théry C, Witwer KW, et al. J Extracell Vesicles 2018;7:1535750, doi:10.1080/20013078.2018.1535750.",
        "- Frankenfield AM, Ni J, Ahmed M, Hao L. J Proteome Res 2022;21:2104-2113, doi:10.1021/acs.jproteome.2c00145.",
        "- ExoCarta: Keerthikumar S, et al. J Mol Biol 2016;428:688-692, doi:10.1016/j.jmb.2015.09.019.",
        "- Per-gene references of the functional-class curation are in `curated/functional_class_genes.tsv`.",
        "",
        "## Curated files",
        "",
        "The files under `curated/` (class rules, marker lists, priority order) are written by the secretome project "
        "and licensed with the package (MIT). They name database terms and cite the literature; they contain no copied "
        "database content beyond gene symbols and term names.",
        "",
    ]
    return "\n".join(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_path(source: Source, source_dir: Path, bioc: Path) -> Path:
    return bioc / source.path[len("bioc:"):] if source.path.startswith("bioc:") else source_dir / source.path


def build(source_dir: Path, out_dir: Path, bioc: Path = DEFAULT_BIOC) -> dict:
    """Build the artefact from ``source_dir`` (shared/data) and the Bioconductor SQLite files under ``bioc`` (an R
    site-library) into ``out_dir``; return the manifest."""
    missing = [str(_source_path(s, source_dir, bioc)) for s in SOURCES if not _source_path(s, source_dir, bioc).is_file()]
    if missing:
        raise FileNotFoundError(f"missing source files: {', '.join(missing)} (GO: apt-get install r-bioc-org.hs.eg.db "
                                "r-bioc-go.db; HPA v21.1: pip install pyreadr)")
    proteins = read_uniprot(source_dir)
    by_ensembl = ensembl_accessions(bioc, proteins)
    read_hpa(source_dir, proteins, by_ensembl)
    releases = {"hpa_v21_secretome": read_hpa_v21(source_dir, proteins, by_ensembl)}
    releases["hpa_v21_subcellular"] = releases["hpa_v21_secretome"]
    go_sets, go_releases = read_go(bioc, proteins)
    releases.update(go_releases)
    read_cellphonedb(source_dir, proteins)
    read_cellphonedb_genes(source_dir, proteins)
    exocarta_top = read_exocarta(source_dir, proteins)
    read_contaminants(source_dir, proteins)
    gene_sets = sorted(go_sets + read_reactome(source_dir))

    proteins_gz = _gzip_bytes(_proteins_tsv(proteins))
    sets_gz = _gzip_bytes("".join(f"{name}\t{url}\t" + "\t".join(genes) + "\n" for name, url, genes in gene_sets))
    content_hash = hashlib.sha256(proteins_gz + b"\0" + sets_gz).hexdigest()
    manifest = {
        "kb_semver": KB_SEMVER,
        "content_sha256": content_hash,
        "version": f"{KB_SEMVER}+{content_hash[:12]}",
        "files": {"proteins": "proteins.tsv.gz", "gene_sets": "gene_sets.gmt.gz"},
        "counts": {
            "proteins": len(proteins),
            "human_reviewed": sum(1 for p in proteins.values() if p.get("in_uniprot_reviewed") == "1"),
            "contaminant_entries": sum(1 for p in proteins.values() if p.get("libraries")),
            "gene_sets": len(gene_sets),
        },
        "exocarta_top100": [{"gene": gene, "experiments": count} for gene, count in exocarta_top],
        "go_cc_terms": list(COMPARTMENT_GO_TERMS),
        "go_gene_set_size": list(GENE_SET_SIZE),
        "sources": [
            {"key": s.key, "path": s.path, "name": s.name, "release": releases.get(s.key, s.release),
             "licence": s.licence, "taken": s.taken, "sha256": _sha256(_source_path(s, source_dir, bioc))}
            for s in SOURCES
        ],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "proteins.tsv.gz").write_bytes(proteins_gz)
    (out_dir / "gene_sets.gmt.gz").write_bytes(sets_gz)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out_dir / "ATTRIBUTION.md").write_text(_attribution(manifest), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the shared/data directory")
    parser.add_argument("--bioc", type=Path, default=DEFAULT_BIOC,
                        help="R site-library holding org.Hs.eg.db and GO.db (their extdata SQLite files are read)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (the package's kb/data)")
    args = parser.parse_args(argv)
    manifest = build(args.source, args.out, args.bioc)
    print(f"knowledge base {manifest['version']}: {manifest['counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
