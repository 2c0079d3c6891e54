"""Purity: every protein in one category of the registry's exclusive partition, the per-sample shares of
the linear total, the proteins driving each share, and whether purity can be judged at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.errors import SecretomeInputError
from secretome.kb.vocab import LYSIS_CATEGORIES
from secretome.qc.matrices import (as_bool, as_text, counted_proteins, detected_counts, linear_quantities, mean_shares,
                                   row_sums, sample_totals)
from secretome.qc.registry import PURITY_REGISTRY, purity_category_names
from secretome.qc.thresholds import THRESHOLDS_FILE, Thresholds

REQUIRED_VAR = (
    "secretion_class",
    "species",
    "mixed_species",
    "serum_marker",
    "handling_contaminant",
    "lysis_marker",
    "lysis_category",
    "gene",
)


def _require_annotation(adata: AnnData) -> None:
    missing = [column for column in REQUIRED_VAR if column not in adata.var]
    if missing:
        raise SecretomeInputError(
            f"the dataset lacks annotation columns {missing}",
            column=missing[0],
            expected="an annotated dataset: run secretome.annotate(adata) first",
        )



def purity_categories(adata: AnnData, thresholds: Thresholds) -> pd.DataFrame:
    """Assign every protein to one purity category and say which rule put it there.

    Returns a frame indexed like ``adata.var`` with ``purity_category``, ``purity_rule`` and
    ``serum_mixed`` (a mixed-species group counted as serum).
    """
    _require_annotation(adata)
    var = adata.var
    n = adata.n_vars
    serum_species = {s.upper() for s in thresholds.setting("serum_species")}
    species = np.char.upper(as_text(var["species"]))
    species_sets = [set(filter(None, s.replace(",", ";").split(";"))) for s in species]
    serum_species_hit = np.array([bool(s & serum_species) for s in species_sets], dtype=bool)
    mixed = as_bool(var["mixed_species"])
    serum_marker = as_bool(var["serum_marker"])
    secretion = as_text(var["secretion_class"], "unknown")
    counts_mixed = bool(thresholds.setting("mixed_species_counts_as_serum"))

    category = np.full(n, "unknown", dtype=object)
    rule = np.full(n, "secretion_class=unknown", dtype=object)
    serum_mixed = np.zeros(n, dtype=bool)
    assigned = np.zeros(n, dtype=bool)

    registered = [entry for entry in PURITY_REGISTRY if entry.rule is not None]

    def claim(mask: np.ndarray, name: str, why: str | np.ndarray) -> None:
        new = np.asarray(mask, dtype=bool) & ~assigned
        category[new] = name
        rule[new] = why[new] if isinstance(why, np.ndarray) else why
        assigned[new] = True

    def registered_before(name: str) -> None:
        """Registered categories placed before ``name`` claim their proteins ahead of its first rule."""
        for entry in [entry for entry in registered if entry.before == name]:
            registered.remove(entry)
            mask, why = entry.rule(adata)  # type: ignore[misc]
            claim(mask, entry.name, why)

    def take(mask: np.ndarray, name: str, why: str | np.ndarray) -> None:
        registered_before(name)
        claim(mask, name, why)

    handling = as_bool(var["handling_contaminant"]) | (secretion == "contaminant_handling")
    # annotate() carries a non-human member's serum_marker over to its mixed group, so serum_marker on a
    # mixed group means "has a serum member" even though species names the chosen (human) member
    mixed_serum = mixed & (serum_species_hit | serum_marker | (secretion == "contaminant_serum"))
    # the engine's evidence decides a mixed group: where the format orders a group by its razor/leading protein
    # (settings.leading_protein_formats), the first member is the one the shared peptides were assigned to
    source_format = str(adata.uns.get("source", {}).get("format", "")).lower()
    lead_known = source_format in {f.lower() for f in thresholds.setting("leading_protein_formats")}
    leading = np.char.upper(as_text(var["leading_species"])) if "leading_species" in var else np.full(n, "")
    led_by_serum = mixed_serum & lead_known & (leading != "") & (leading != "HUMAN")
    led_by_human = mixed_serum & lead_known & (leading == "HUMAN")
    ambiguous = mixed_serum & ~led_by_serum & ~led_by_human
    serum_mixed = led_by_serum | (ambiguous & counts_mixed)
    take(led_by_serum, "serum", np.array([
        f"mixed_species group led by its {sp} member (the {source_format} leading/razor protein)" for sp in leading],
        dtype=object))
    take(ambiguous & counts_mixed, "serum",
         "mixed_species group with a serum member, engine evidence not decisive (settings.mixed_species_counts_as_serum)")
    # without engine evidence a mixed group is reported ambiguous (serum_ambiguous) and classified by its chosen
    # (human) member; its carried-over serum evidence is ignored, as for a group the engine gives to the human member
    eligible = ~mixed | serum_mixed
    species_rule = serum_species_hit & ~mixed
    serum_evidence = np.array(
        ["; ".join(reason for reason, hit in (("serum_marker", m), ("secretion_class=contaminant_serum", c),
                                              (f"species {sp}", h)) if hit)
         for m, c, h, sp in zip(serum_marker, secretion == "contaminant_serum", serum_species_hit, species)],
        dtype=object,
    )
    take((serum_marker | (secretion == "contaminant_serum")) & eligible, "serum", serum_evidence)
    supplement_hit, supplement_why = _supplement_rule(adata, thresholds)
    take(supplement_hit & ~handling & ~mixed, "serum", supplement_why)
    take(handling, "handling", np.where(secretion == "contaminant_handling", "secretion_class=contaminant_handling",
                                        "handling_contaminant").astype(object))
    # a serum-species protein the KB calls a handling contaminant (e.g. bovine keratin or trypsin) stays
    # handling; every other serum-species protein is culture serum
    take(species_rule, "serum", serum_evidence)
    lysis_category = as_text(var["lysis_category"])
    lysis_why = np.array([f"lysis_marker ({c})" if c else "lysis_marker" for c in lysis_category], dtype=object)
    take(as_bool(var["lysis_marker"]), "lysis", lysis_why)
    take(secretion == "intracellular", "lysis", "secretion_class=intracellular")
    take(secretion == "ev_cargo", "ev", "secretion_class=ev_cargo")
    take(secretion == "secreted", "secreted", "secretion_class=secreted")
    # a curated leaderless protein with literature-backed secretion (FGF2, IL-1 family, HMGB1, galectins) is
    # secreted, not lysis; every other leaderless cytosolic protein is secretion_class intracellular (lysis above)
    take(secretion == "unconventional", "secreted", "secretion_class=unconventional (curated unconventional secretion)")
    take(secretion == "membrane", "membrane", "secretion_class=membrane")
    human_led = led_by_human & ~serum_mixed
    rule[human_led] = [f"{r}; mixed_species group led by its human member (the {source_format} leading/razor protein)"
                       for r in rule[human_led]]
    rule[ambiguous & ~serum_mixed] = [f"{r}; ambiguous mixed_species group with a serum member (serum_ambiguous)"
                                      for r in rule[ambiguous & ~serum_mixed]]
    registered_before("unknown")
    decoy = ~counted_proteins(adata)
    category[decoy] = "decoy"
    rule[decoy] = "is_decoy (left out of totals)"
    return pd.DataFrame(
        {"purity_category": category.astype(str), "purity_rule": rule.astype(str), "serum_mixed": serum_mixed,
         "serum_ambiguous": ambiguous & ~serum_mixed},
        index=var.index,
    )


def supplements(adata: AnnData, thresholds: Thresholds) -> dict[str, list[str]]:
    """Supplement -> samples whose sample-sheet column ``settings.supplement_column`` names it (values as in
    ``kb/data/curated/supplement_types.tsv``, case-insensitive; empty = not stated). {} without that column."""
    from secretome.kb.store import supplement_types

    column = str(thresholds.setting("supplement_column"))
    if not column or column not in adata.obs:
        return {}
    known = supplement_types()
    out: dict[str, list[str]] = {}
    for sample, value in zip(adata.obs_names, as_text(adata.obs[column])):
        text = value.strip().lower()
        if not text:
            continue
        if text not in known:
            raise SecretomeInputError(
                f"sample {sample!r} has supplement {value!r}", column=column,
                expected=f"one of {', '.join(sorted(known))} (kb/data/curated/supplement_types.tsv) or empty",
            )
        out.setdefault(known[text], []).append(str(sample))
    return out


def _supplement_rule(adata: AnnData, thresholds: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    """Proteins a human supplement named in the sample sheet brings in (platelet factors, immunoglobulins), with the
    rule text; none without a supplement column or with FBS/serum-free media only."""
    from secretome.kb.store import supplement_markers

    named = supplements(adata, thresholds)
    human = {kind for kind in named if kind in ("human_serum", "human_platelet_lysate")}
    if not human:
        return np.zeros(adata.n_vars, dtype=bool), np.full(adata.n_vars, "", dtype=object)
    hit, reason = supplement_markers(pd.Series(as_text(adata.var["gene"])), human)
    column = thresholds.setting("supplement_column")
    why = np.array([f"supplement marker ({r}); sample sheet '{column}': "
                    + ", ".join(f"{kind} in {len(named[kind])} of {adata.n_obs} samples" for kind in sorted(human))
                    for r in reason], dtype=object)
    return hit, why


def purity_shares(adata: AnnData, categories: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """Per-sample shares of total linear quantity: the seven partition shares and their sub-shares.

    ``serum_share = serum_species_share`` (bovine) ``+ serum_marker_share`` (other serum proteins, e.g.
    human serum markers) ``+ serum_mixed_share``; the ``lysis_<category>_share`` are parts of
    ``lysis_share`` with ``lysis_other_share`` (intracellular proteins of no marker category);
    ``ldh_share`` is the named marker LDH (``settings.ldh_genes``) wherever it falls.
    """
    linear = linear_quantities(adata)
    usable = counted_proteins(adata)
    total = sample_totals(linear, usable)
    with np.errstate(invalid="ignore", divide="ignore"):
        def share(mask: np.ndarray) -> np.ndarray:
            return row_sums(linear, mask & usable) / np.where(total > 0, total, np.nan)

        category = categories["purity_category"].to_numpy()
        out = {f"{name}_share": share(category == name) for name in purity_category_names()}
        var = adata.var
        serum_species = {s.upper() for s in thresholds.setting("serum_species")}
        species_hit = np.array(
            [bool(set(s.replace(",", ";").split(";")) & serum_species) for s in np.char.upper(as_text(var["species"]))],
            dtype=bool,
        )
        out["serum_species_share"] = share((category == "serum") & species_hit & ~categories["serum_mixed"].to_numpy())
        out["serum_mixed_share"] = share(categories["serum_mixed"].to_numpy())
        # ambiguous mixed human/serum groups, not counted as serum (context: at most this much more serum)
        out["serum_ambiguous_share"] = share(categories["serum_ambiguous"].to_numpy())
        out["serum_marker_share"] = share((category == "serum") & ~species_hit & ~categories["serum_mixed"].to_numpy())
        lysis_marker = as_bool(var["lysis_marker"])
        lysis_category = as_text(var["lysis_category"])
        out["lysis_marker_share"] = share((category == "lysis") & lysis_marker)
        for name in LYSIS_CATEGORIES:
            out[f"lysis_{name}_share"] = share((category == "lysis") & (lysis_category == name))
        out["lysis_other_share"] = share((category == "lysis") & ~np.isin(lysis_category, LYSIS_CATEGORIES))
        ldh = {g.upper() for g in thresholds.setting("ldh_genes")}
        genes = np.char.upper(as_text(var["gene"]))
        out["ldh_share"] = share(np.isin(genes, list(ldh)))
    return pd.DataFrame(out, index=adata.obs_names)


def purity_drivers(adata: AnnData, categories: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """The proteins that drive each purity category: top ``top_n`` by mean share of sample totals.

    One row per driver: ``category, protein, gene, species, mean_share, n_detected, rule``.
    """
    linear = linear_quantities(adata)
    mean_share = np.nan_to_num(mean_shares(linear, counted_proteins(adata)))
    category = categories["purity_category"].to_numpy()
    picked = []
    for name in purity_category_names():
        index = np.flatnonzero((category == name) & (mean_share > 0))
        picked.append(index[np.argsort(-mean_share[index], kind="stable")][:top_n])
    rows = np.concatenate(picked).astype(int)
    return pd.DataFrame(
        {
            "category": category[rows].astype(str),
            "protein": adata.var_names[rows].astype(str),
            "gene": as_text(adata.var["gene"])[rows],
            "species": as_text(adata.var["species"])[rows],
            "mean_share": mean_share[rows],
            "n_detected": (linear[:, rows] > 0).sum(axis=0).astype(int),
            "rule": categories["purity_rule"].to_numpy()[rows].astype(str),
        }
    )


def purity_assessable(adata: AnnData, categories: pd.DataFrame, thresholds: Thresholds) -> tuple[bool, str]:
    """Whether purity indices can be judged on this table, and why not.

    A purity index is a share of everything measured: on a targeted panel (few proteins, chosen analytes)
    it is a share of the panel, and a panel without any intracellular or serum protein cannot show lysis
    or serum carry-over at all. Not assessable: fewer than ``settings.purity_min_proteins`` quantified
    proteins, or no lysis and no serum protein in the table.
    """
    usable = counted_proteins(adata)
    n = int((detected_counts(linear_quantities(adata), columns=np.flatnonzero(usable)) > 0).sum())
    least = int(thresholds.setting("purity_min_proteins"))
    if n < least:
        return False, (f"{n} quantified proteins < {least} ({THRESHOLDS_FILE}: settings.purity_min_proteins): "
                       "a targeted panel, not a proteome; purity shares would be shares of the panel")
    category = categories["purity_category"].to_numpy()
    if not ((category == "lysis") | (category == "serum")).any():
        return False, "no intracellular (lysis) or serum protein measured: contamination cannot be seen in this table"
    return True, ""
