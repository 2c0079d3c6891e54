"""MaxQuant ``proteinGroups.txt``: LFQ intensity / Intensity / iBAQ, engine flags kept as columns.

Flags: ``Reverse`` (``Decoy`` from MaxQuant 2.8 on), ``Potential contaminant`` (``Contaminant`` up to 1.5),
``Only identified by site``; '+' marks a flagged row.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.dataset import (
    Parsed, engine_columns, family_reasons, prefixed_columns, quantity_block, require_columns,
)
from secretome.io.identifiers import (
    CONTAMINANT_PREFIXES, DECOY_PREFIXES, member_facts, member_fields, organism_of_header, parse_protein_groups,
)
from secretome.io.generic import non_sample_reason
from secretome.io.table import RawTable, ReaderWarning, text_column

FORMAT = "maxquant"
#: Quantity column families, in order of preference for the default.
QUANTITIES: tuple[str, ...] = ("LFQ intensity", "Intensity", "iBAQ")
#: Columns that carry a family prefix but are not per-sample quantities.
NOT_SAMPLES = frozenset({"iBAQ peptides"})
_HEADER_ENTRY = re.compile(r"\|([^|;\s]+)\|([A-Z0-9]{1,11}_[A-Z0-9]{2,5})\b")  # "|accession|ENTRY_NAME"
#: Prefixes of the per-sample columns MaxQuant writes (a table with none is another program's matrix).
_QUANTITY_WORDS: tuple[str, ...] = QUANTITIES + ("Reporter intensity", "Ratio", "MS/MS count", "Peptides ", "Sequence coverage ")
SIGNATURE: tuple[str, ...] = (
    "Protein IDs", "Majority protein IDs", "Peptide counts (all)", "Peptide counts (razor+unique)",
    "Potential contaminant", "Contaminant", "Reverse", "Decoy", "Only identified by site", "Razor + unique peptides",
    "Fasta headers", "Number of proteins", "Sequence coverage [%]",
)


#: Isobaric reporter families (TMT/iTRAQ), preferred over every label-free family when present: the
#: per-experiment ``Intensity <experiment>`` of such a table sums all channels of one plex.
REPORTER_FAMILIES: tuple[str, ...] = ("Reporter intensity corrected", "Reporter intensity")
_REPORTER = re.compile(r"^(?P<family>Reporter intensity(?: corrected)?) (?P<channel>\d+)(?: (?P<experiment>.+))?$")
#: Family prefixes and column names whose R ``make.names`` spelling (``LFQ.intensity.``) is read as MaxQuant's.
_R_PREFIXES: tuple[str, ...] = (
    "Reporter intensity corrected ", "Reporter intensity count ", "Reporter intensity ", "LFQ intensity ",
    "Intensity ", "iBAQ ", "MS/MS count ", "Peptides ", "Razor + unique peptides ", "Unique peptides ",
    "Sequence coverage ", "Identification type ",
)


#: An R-resaved reporter column's channel and experiment (``Reporter.intensity.corrected.3.exp1``): make.names
#: turned the space between them into a dot; the channel is the leading number.
_R_CHANNEL = re.compile(r"^(?P<channel>\d+)[._](?P<experiment>.+)$")


def r_name(name: str) -> str:
    """A column name as R's ``make.names`` (``read.csv``/``write.csv`` round trip) spells it."""
    text = re.sub(r"[^A-Za-z0-9._]", ".", name)
    return "X" + text if text[:1].isdigit() else text


def underscored(name: str) -> str:
    """A column name with every run of spaces and signs made one ``_`` (``Peptide counts (all)`` ->
    ``Peptide_counts_all``), as some packages re-save MaxQuant tables (DAPAR/Prostar's example data)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


#: The re-saved spellings of MaxQuant's names read as its own: the spelling of ``Protein IDs`` that marks
#: one -> (the spelling, the separator it puts after a family prefix, what the read records).
MANGLINGS = {
    "Protein.IDs": (r_name, ".", "R-resaved: make.names column names"),
    "Protein_IDs": (underscored, "_", "re-saved: spaces and signs in column names made '_'"),
}


def mangling(columns: list[str]) -> str | None:
    """The key of :data:`MANGLINGS` of a re-saved table's columns, None for MaxQuant's own names."""
    if "Protein IDs" in columns:
        return None
    return next((key for key in MANGLINGS if key in columns), None)


def demangled(columns: list[str]) -> list[str] | None:
    """MaxQuant's own names for a re-saved table's columns (``LFQ.intensity.X`` or ``LFQ_intensity_X`` ->
    ``LFQ intensity X``, ``Potential.contaminant`` -> ``Potential contaminant``); None when it is not re-saved."""
    key = mangling(columns)
    if key is None:
        return None
    spell, separator, _ = MANGLINGS[key]
    known = {spell(name): name for name in (*SIGNATURE, *READ_COLUMNS, "Protein IDs", "Intensity", "id")}
    prefixes = [(spell(prefix.strip()) + separator, prefix) for prefix in _R_PREFIXES]
    out = []
    for column in columns:
        if column in known:
            out.append(known[column])
            continue
        match = next(((r, p) for r, p in prefixes if column.startswith(r) and len(column) > len(r)), None)
        if match is None:
            out.append(column)
            continue
        rest = column[len(match[0]):]
        if match[1].startswith("Reporter intensity") and (channel := _R_CHANNEL.match(rest)):
            rest = f"{channel.group('channel')} {channel.group('experiment')}"  # '1.exp' was '1 exp'
        out.append(match[1] + rest)
    return out


def reporter_columns(columns: list[str], family: str) -> list[str]:
    """Columns of one reporter family (``Reporter intensity corrected 3 exp1``; counts excluded). With several
    experiments MaxQuant also writes each channel summed over all of them (``Reporter intensity corrected 3``):
    those totals are no channel, so only the per-experiment columns are the family's then."""
    found = [c for c in columns if (m := _REPORTER.match(c)) and m.group("family") == family]
    per_experiment = [c for c in found if _REPORTER.match(c).group("experiment")]
    return per_experiment or found


def reporter_totals(columns: list[str], family: str) -> list[str]:
    """The channel totals over experiments that :func:`reporter_columns` sets aside."""
    kept = set(reporter_columns(columns, family))
    return [c for c in columns if (m := _REPORTER.match(c)) and m.group("family") == family and c not in kept]


def detect_score(columns: list[str]) -> int:
    """How many MaxQuant-specific columns the table has (0 = not MaxQuant); R-resaved names count too."""
    columns = demangled(columns) or columns
    present = set(columns)
    score = sum(1 for name in SIGNATURE if name in present)
    if any(column.startswith("LFQ intensity ") for column in columns):
        score += 2
    if any(_REPORTER.match(column) for column in columns):
        score += 1  # MaxQuant's reporter naming ('Reporter intensity 3 exp1'): a table cut to its ids and channels
    if not any(column.startswith(_QUANTITY_WORDS) for column in columns):
        return 0  # MaxQuant's identifiers kept beside columns of another program (NormalyzerDE's matrices): generic
    return score if "Majority protein IDs" in present or "Protein IDs" in present or score >= 3 else 0


#: Columns read into ``.var`` (identifiers, names, flags, peptide counts).
READ_COLUMNS: tuple[str, ...] = (
    "Gene names", "Protein names", "Fasta headers", "Reverse", "Decoy", "Potential contaminant", "Contaminant",
    "Only identified by site", "Peptides", "Unique peptides",
)


def sample_set(columns: list[str]) -> list[str]:
    """The run's samples from MaxQuant's own structure: the experiments of its ``Intensity <experiment>``
    columns, which it writes for every experiment whatever the quantification (SILAC channels excluded)."""
    return [
        column[len("Intensity "):].strip() for column in family_columns(columns, "Intensity")
        if not column.startswith(("Intensity L ", "Intensity M ", "Intensity H "))
    ]


def family_columns(columns: list[str], family: str) -> list[str]:
    """Per-sample columns of one family: ``'{family} {sample}'``."""
    return prefixed_columns(columns, family, NOT_SAMPLES)


def engine_column_names(lookup: Mapping[str, str]) -> dict[str, str | None]:
    """MaxQuant's flag and peptide-count columns, for :func:`~secretome.io.dataset.engine_columns`.

    ``lookup`` maps MaxQuant's column name to the table's column (the same name in proteinGroups.txt; the
    typed ``T: Reverse`` etc. in a Perseus export of it). Each flag takes whichever name the version wrote.
    """
    return {
        "decoy": lookup.get("Reverse", lookup.get("Decoy")),
        "contaminant": lookup.get("Potential contaminant", lookup.get("Contaminant")),
        "only_by_site": lookup.get("Only identified by site"),
        "peptides": lookup.get("Peptides"),
        "unique_peptides": lookup.get("Unique peptides"),
    }


def version(columns: list[str]) -> str:
    """MaxQuant generation from column names.

    2.8+ renamed 'Reverse' to 'Decoy' (reported in wilhelm-lab/oktoberfest#395); 1.6+/2.x write
    'Potential contaminant'; 1.5 and older 'Contaminant'.
    """
    if "Decoy" in columns and "Reverse" not in columns:
        return "2.8+ (column 'Decoy' instead of 'Reverse')"
    if "Potential contaminant" in columns:
        return "1.6+/2.x (column 'Potential contaminant')"
    if "Contaminant" in columns:
        return "1.5 or older (column 'Contaminant')"
    return "unknown (no contaminant column)"


def _channels(columns: list[str]) -> tuple[list[str], pd.DataFrame]:
    """Sample names (``<experiment> <channel>``) and ``.obs`` columns channel/experiment/plex of reporter
    columns; the plex is the number of channels of the experiment."""
    parts = [_REPORTER.match(c) for c in columns]
    experiments = [m.group("experiment") or "" for m in parts]
    channels = [int(m.group("channel")) for m in parts]
    names = [f"{e} {c}" if e else f"channel {c}" for e, c in zip(experiments, channels)]
    plex = {e: experiments.count(e) for e in set(experiments)}
    frame = pd.DataFrame(index=pd.Index(names, dtype=object))
    frame["channel"] = channels
    frame["experiment"] = experiments
    frame["plex"] = [plex[e] for e in experiments]
    return names, frame


def _aligned_headers(groups: Sequence[str], headers: Sequence[str]) -> list[tuple[str, str, str]]:
    """Align each row's ``Fasta headers`` with the members of its ``Protein IDs`` by accession, not by position.

    A header may lack an entry name (contaminants.fasta) or be missing (truncated lists); matching each
    header's own accession keeps one member's species from being given to another. Returns, per row, the
    members' entry names and organisms, ``;``-joined and aligned ("" where unknown), and the leading
    member's header. Rows with one named header per member, in member order, are taken as they are; for the
    others each distinct member and header word is parsed once over the whole table (cached: the members'
    parses are those :func:`parse_protein_groups` uses next), and an organism is searched for only where a
    member takes an unnamed header.
    """
    out: list[tuple[str, str, str]] = [("", "", "")] * len(groups)
    for i, (group, text) in enumerate(zip(groups, headers)):
        tokens = [token for token in group.split(";") if token.strip()]
        if not tokens:
            continue
        named = _HEADER_ENTRY.findall(text)  # (accession, entry name) of "db|ACC|ENTRY_NAME ..." headers
        if len(named) == len(tokens) and all(accession in token for (accession, _), token in zip(named, tokens)):
            out[i] = (";".join(name for _, name in named), "", text)  # the usual case
            continue
        by_accession: dict[str, tuple[str, str]] = {}  # accession -> (entry name, header), first header wins
        for header in text.split(";"):
            words = header.split(None, 1)
            if words:
                accession, entry_name = _header_word(words[0])
                by_accession.setdefault(accession, (entry_name, header))
        found = [by_accession.get(_member_accession(token)) for token in tokens]
        names = ";".join(f[0] if f else "" for f in found)
        organisms = ";".join(organism_of_header(f[1]) if f and not f[0] else "" for f in found)  # the entry name gives the species
        out[i] = (names, organisms, found[0][1].strip() if found[0] else "")
    return out


def _member_accession(token: str) -> str:
    """A member's bare accession, from the parse :func:`parse_protein_groups` caches for the same token."""
    return member_facts(token)[0]


@lru_cache(maxsize=1 << 16)
def _header_word(word: str) -> tuple[str, str]:
    """(accession, entry name) of a FASTA header's first word (``>sp|P02768|ALBU_HUMAN``)."""
    accession, entry_name, _, _ = member_fields(word)
    return accession, entry_name


def _renamed(table: RawTable, names: list[str]) -> RawTable:
    frame = table.frame.copy(deep=False)
    old = list(frame.columns)
    frame.columns = names
    positions = {new: table.positions[o] for o, new in zip(old, names)} if table.positions is not None else None
    return replace(table, frame=frame, positions=positions)  # every other fact of the read stays


def read(table: RawTable, quantity: str | None = None) -> Parsed:
    """Parse a MaxQuant proteinGroups table; ``quantity`` picks the family (default: the corrected reporter
    intensities of an isobaric run, else LFQ intensity if present)."""
    r_resaved = demangled(list(table.frame.columns))
    original = table
    if r_resaved is not None:
        table = _renamed(table, r_resaved)
    frame = table.frame
    columns = list(frame.columns)
    if "Fasta headers" not in columns or "Majority protein IDs" in columns:
        require_columns(table, ["Protein IDs"], "MaxQuant proteinGroups")
    families = {family: found for family in REPORTER_FAMILIES if (found := reporter_columns(columns, family))}
    if quantity is None:
        _refuse_unparsed_reporters(table, columns, families)
    families.update({family: family_columns(columns, family) for family in QUANTITIES})
    lone = _lone_totals(table, columns, families)
    annotations = None
    family, sample_columns, values = quantity_block(table, families, quantity, "MaxQuant proteinGroups")
    if family in REPORTER_FAMILIES:
        sample_names, annotations = _channels(sample_columns)
        samples = list(sample_names)
    elif family in lone:
        sample_names, samples = list(sample_columns), list(sample_columns)
    else:
        sample_names = [column[len(family) + 1:].strip() for column in sample_columns]
        samples = sample_set(columns)
    unread = family_reasons(families, family, sample_columns)
    for reporter_family in REPORTER_FAMILIES:
        for column in reporter_totals(columns, reporter_family):
            unread[column] = "channel summed over all experiments (MaxQuant's total beside the per-experiment channels), not a channel"
    for column in columns:
        if column.startswith("Reporter intensity count "):
            unread[column] = "count of reporter quantifications, not a quantity"
    for column in family_columns(columns, "Intensity"):
        if column.startswith(("Intensity L ", "Intensity M ", "Intensity H ")):
            unread[column] = "SILAC channel intensity (not read: label-free families only)"
    headers = text_column(frame, "Fasta headers")
    id_column = _group_column(frame, columns)
    groups = text_column(frame, id_column).tolist() if id_column != "Fasta headers" else _header_accessions(headers)
    aligned = _aligned_headers(groups, headers.tolist())
    description = text_column(frame, "Protein names" if "Protein names" in columns else "Fasta headers")
    ids = parse_protein_groups(
        groups,
        genes=text_column(frame, "Gene names").tolist(),
        entry_names=[names for names, _, _ in aligned],
        organisms=[organisms for _, organisms, _ in aligned],
        descriptions=[d if "Protein names" in columns and d else lead for d, (_, _, lead) in zip(description, aligned)],
    )
    ids["description"] = description.tolist()
    parsed = Parsed(
        table=table,
        format=FORMAT,
        format_version=version(columns) + (f" ({MANGLINGS[mangling(list(original.frame.columns))][2]})" if r_resaved else "")
        + (f" (isobaric: {family}, {annotations['plex'].iloc[0]}-plex)" if annotations is not None else ""),
        quantity=family,
        sample_annotations=annotations,
        values=values,
        sample_names=sample_names,
        sample_columns=sample_columns,
        ids=ids,
        id_column=id_column,
        unread=unread,
        read_columns=[c for c in READ_COLUMNS if c in columns],
        samples_without_quantity=[sample for sample in samples if sample not in set(sample_names)],
        **engine_columns(table, **engine_column_names({column: column for column in columns})),
    )
    if annotations is not None:
        parsed.notes["isobaric"] = isobaric_note(family, annotations)
    if id_column == "Fasta headers":
        parsed.notes["identifiers"] = "no 'Protein IDs' column: each row's group is the accessions of its 'Fasta headers'"
    elif id_column != "Protein IDs":
        parsed.notes["identifiers"] = ("'Protein IDs' repeats identifiers that 'Majority protein IDs' tells apart (a re-save "
                                       "cut the decoy or contaminant prefixes off): rows are identified by 'Majority protein IDs'")
    return parsed if r_resaved is None else _file_names(parsed, original)


def _group_column(frame: pd.DataFrame, columns: list[str]) -> str:
    """The column identifying the rows: ``Protein IDs``, unless its groups repeat only between a protein and its
    decoy or contaminant copy, as ``Majority protein IDs`` (distinct on every row) still tells (``REV__sp|P36775|..``
    beside ``sp|P36775|..``: a re-save shortened ``Protein IDs`` to bare accessions): then ``Majority protein IDs``.
    Any other repeat stays the duplicate-identifier error."""
    if "Protein IDs" not in columns:
        return "Fasta headers"  # a subset re-saved without its identifier columns (checked by the caller)
    groups = text_column(frame, "Protein IDs")
    repeated = groups.duplicated(keep=False).to_numpy()
    if "Majority protein IDs" not in columns or not repeated.any():
        return "Protein IDs"
    majority = text_column(frame, "Majority protein IDs")
    if (majority == "").any() or majority.duplicated().any():
        return "Protein IDs"
    copies = majority.str.startswith(DECOY_PREFIXES + CONTAMINANT_PREFIXES).to_numpy()
    proteins_per_group = pd.Series(~copies[repeated]).groupby(groups[repeated].to_numpy()).sum()
    return "Majority protein IDs" if (proteins_per_group <= 1).all() else "Protein IDs"


_QUANTITY_LIKE = re.compile(r"intensit|^ibaq", re.IGNORECASE)
"""A column name that looks like a quantity family's, however spelled (see :func:`_lone_totals`)."""


def _lone_totals(table: RawTable, columns: list[str], families: dict[str, list[str]]) -> set[str]:
    """A proteinGroups table of a run whose experiments were not named: MaxQuant then writes only its total
    columns (``Intensity``, ``iBAQ``), one quantity of the one sample the run is. Each such total becomes its
    family's one column (in place in ``families``), with a warning; the families so filled are returned."""
    if any(families.values()):
        return set()
    lone = {family for family in QUANTITIES if family in columns}
    if any(_QUANTITY_LIKE.search(column) for column in columns if column not in lone and column not in NOT_SAMPLES):
        return set()  # per-sample columns renamed by hand ('LFQ Intensity_S1'): the totals are no sample, the error stays
    if any(table.frame[column].dtype.kind in "fiu" and column not in lone and column not in _MAXQUANT_NUMBERS
           and not column.startswith(_QUANTITY_WORDS) and non_sample_reason(column) is None for column in columns):
        # numbers of another program beside MaxQuant's columns (per-sample values named '4721', '4945' ...): the total
        # is not the one sample; without a MaxQuant family the table is read generically (or the error stands)
        return set()
    for family in lone:
        families[family] = [family]
    if lone:
        totals = [family for family in QUANTITIES if family in lone]
        warnings.warn(
            f"{table.path}: no per-experiment quantity columns (MaxQuant names them only for named experiments): "
            f"the total column of the family read ({' or '.join(map(repr, totals))}) is one sample, named after it",
            ReaderWarning, stacklevel=3,
        )
    return lone


_HEADER_ACCESSION = re.compile(r"^\s*(?:(?:sp|tr)\|)?([^|\s]+)")


def _header_accessions(headers: pd.Series) -> list[str]:
    """Each row's protein group from its ``Fasta headers`` (``sp|Q9NZJ9|NUDT4_HUMAN ...;sp|...``: the accession of
    each ``;``-separated header), for a proteinGroups subset re-saved without ``Protein IDs``."""
    return [";".join(m.group(1) for part in str(text).split(";") if (m := _HEADER_ACCESSION.match(part)))
            for text in headers.tolist()]


_MAXQUANT_NUMBERS = frozenset({"id", "Protein group IDs", "Best MS/MS", "Evidence IDs", "Peptide IDs", "Mod. peptide IDs"})
"""Numeric columns of MaxQuant's own that no non-sample rule names (row and cross-table identifiers)."""


def _refuse_unparsed_reporters(table: RawTable, columns: list[str], families: Mapping[str, list[str]]) -> None:
    """An isobaric table whose reporter columns are not spelled ``Reporter intensity [corrected] <channel>
    [<experiment>]``: its per-experiment ``Intensity`` (the sum of a plex) must not be read in their place."""
    if any(family in families for family in REPORTER_FAMILIES):
        return
    odd = [c for c in columns if c.lower().replace(".", " ").startswith("reporter intensity")
           and not c.startswith("Reporter intensity count ")]
    if odd:
        raise SecretomeInputError(
            f"this is an isobaric (TMT/iTRAQ) MaxQuant table, but its {len(odd)} reporter columns ({odd[0]!r} ...) "
            "do not name a channel number as MaxQuant writes them; its per-experiment Intensity columns sum "
            "whole plexes and are not read in their place",
            file=table.path, column=odd[0],
            expected="reporter columns 'Reporter intensity corrected <channel> <experiment>' (or R's "
            "'Reporter.intensity.corrected.<channel>.<experiment>')",
        )


def _file_names(parsed: Parsed, original: RawTable) -> Parsed:
    """The read of an R-resaved table, its column records in the file's own spelling (``LFQ.intensity.t1``):
    the source record must name columns the user can find in the file; sample names keep MaxQuant's."""
    own = dict(zip(parsed.table.frame.columns, original.frame.columns))
    return replace(
        parsed,
        table=original,
        sample_columns=[own[c] for c in parsed.sample_columns],
        id_column=own[parsed.id_column],
        unread={own.get(c, c): reason for c, reason in parsed.unread.items()},
        read_columns=[own[c] for c in parsed.read_columns],
        ignored_columns=[own.get(c, c) for c in parsed.ignored_columns],
    )


def isobaric_note(family: str, channels: pd.DataFrame) -> dict[str, object]:
    """``uns['source']['isobaric']``: what the reporter values are (abundances, never ratios), the plex and
    the experiments, as the column names give them."""
    corrected = "corrected for isotopic impurities" if family.endswith("corrected") else "not impurity-corrected"
    experiments = list(dict.fromkeys(str(e) for e in channels["experiment"]))
    return {
        "values": f"reporter ion abundances per channel ({family}, {corrected}); not ratios",
        "value_kind": "abundance",
        "plex": int(channels["plex"].max()),
        "experiments": [e for e in experiments if e],
        "n_channels": int(len(channels)),
    }
