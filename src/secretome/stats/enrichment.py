"""Offline gene-set enrichment against the right background: the genes of the detected proteins.

Two tests over the same sets (default: :func:`secretome.kb.gene_sets`, functional classes and
GO and Reactome sets):

* :func:`over_representation`: one-sided hypergeometric test of a hit list (e.g. proteins up in a
  contrast) against the background of detected genes, never the genome: a secretome detects a few
  thousand proteins, and a genome background would call every secreted-protein set enriched.
  The tail is R's ``phyper`` (:func:`secretome.stats.hypergeom.hypergeom_sf`, vectorised over sets).
* :func:`rank_test`: Wilcoxon rank-sum (Mann-Whitney U) test of a per-gene score (e.g. the moderated
  t) of the set's genes against all other ranked genes, two-sided, normal approximation with tie and
  continuity correction (as ``scipy.stats.mannwhitneyu(method="asymptotic")``), effect size
  AUC = U / (n_in * n_out) (0.5 = no shift; above 0.5 = the set ranks higher). Chosen over a
  permutation GSEA because it is exact to reproduce (no seed) and fast for thousands of sets.

Set sizes are counted within the background and filtered to ``[min_size, max_size]``; BH adjustment
runs over the sets tested. A set's collection is the part of its name before the first ``:``, or
before the first ``_`` when it has no ``:`` (the knowledge base prefixes every name by its collection).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy import special

from secretome.config import config, significance_level
from secretome.errors import SecretomeInputError
from secretome.stats.classic import bh_adjust
from secretome.stats.hypergeom import hypergeom_sf

ORA_COLUMNS = ["set", "collection", "size_in_background", "overlap", "expected", "odds_ratio", "p_value", "adj_p_value", "genes"]
RANK_COLUMNS = ["set", "collection", "size_in_background", "overlap", "auc", "direction", "p_value", "adj_p_value", "genes"]


def detected_genes(adata: AnnData) -> set[str]:
    """The background: gene symbols of the dataset's proteins (``.var['gene']``, empty ones dropped)."""
    if "gene" not in adata.var.columns:
        raise SecretomeInputError("the dataset has no .var['gene'] column", expected="an annotated dataset")
    return {gene for gene in adata.var["gene"].astype(str) if gene and gene != "nan"}


def collection_of(name: str) -> str:
    """A set's collection: its name's prefix before ``:`` (or before ``_`` when there is no ``:``)."""
    return name.split(":", 1)[0] if ":" in name else name.split("_", 1)[0]


@dataclass(frozen=True)
class SetIndex:
    """Gene-set membership as arrays, built once and shared by every test of a run.

    ``genes`` is the sorted universe of member genes; entry ``e`` says set ``set_of[e]`` holds gene
    ``gene_of[e]`` (each set's distinct members once, entries ordered by set, then gene), so a test
    over all sets is a few array operations instead of one Python set operation per set.
    """

    names: np.ndarray  # set names, in the mapping's order
    genes: np.ndarray  # universe of member genes, sorted
    set_of: np.ndarray  # entry -> set
    gene_of: np.ndarray  # entry -> gene

    @classmethod
    def build(cls, gene_sets: Mapping[str, Iterable[str]]) -> "SetIndex":
        """Index a mapping of set name -> member genes (repeated members count once)."""
        members = [genes if isinstance(genes, (set, frozenset, list, tuple)) else list(genes) for genes in gene_sets.values()]
        sizes = np.fromiter((len(genes) for genes in members), dtype=np.int64, count=len(members))
        flat = np.empty(int(sizes.sum()), dtype=object)
        flat[:] = [gene for genes in members for gene in genes]
        codes, uniques = pd.factorize(flat)
        order = sorted(range(len(uniques)), key=lambda i: str(uniques[i]))
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        set_of = np.repeat(np.arange(len(members)), sizes)
        gene_of = rank[codes]
        entries = np.lexsort((gene_of, set_of))
        set_of, gene_of = set_of[entries], gene_of[entries]
        first = np.ones(set_of.size, dtype=bool)  # drop a member repeated within its set
        first[1:] = (set_of[1:] != set_of[:-1]) | (gene_of[1:] != gene_of[:-1])
        names = np.empty(len(members), dtype=object)
        names[:] = list(gene_sets)
        genes = np.empty(len(uniques), dtype=object)
        genes[:] = [uniques[i] for i in order]
        return cls(names=names, genes=genes, set_of=set_of[first], gene_of=gene_of[first])

    def within(self, genes: Iterable[str]) -> "SetIndex":
        """The same sets and universe (same set and gene numbers) with only the entries of ``genes``: every
        count, rank sum and joined list a test takes over genes inside ``genes`` is unchanged, and each of the
        run's passes over the entries is over the detected genes' entries only (a secretome detects a few
        thousand of the ~20,000 genes the sets hold). The collections and name ranks are the full index's, computed once."""
        wanted = set(genes)
        kept = np.fromiter((gene in wanted for gene in self.genes), dtype=bool, count=self.genes.size)[self.gene_of]
        index = SetIndex(names=self.names, genes=self.genes, set_of=self.set_of[kept], gene_of=self.gene_of[kept])
        index.__dict__["collections"] = self.collections  # cached_property's slots: computed once per full index
        index.__dict__["name_ranks"] = self.name_ranks
        return index

    def positions(self, lookup: Mapping[object, int]) -> np.ndarray:
        """Each universe gene's position in ``lookup`` (e.g. the background), -1 where absent."""
        return np.fromiter((lookup.get(gene, -1) for gene in self.genes), dtype=np.int64, count=self.genes.size)

    def count(self, flags: np.ndarray) -> np.ndarray:
        """Per set, how many entries are flagged (``flags``: one boolean per entry)."""
        return np.bincount(self.set_of[flags], minlength=self.names.size)

    def joined(self, flags: np.ndarray, chosen: np.ndarray) -> list[str]:
        """For each set in ``chosen``, its flagged genes, sorted, joined by ``;``."""
        entries = np.flatnonzero(flags)
        bounds = np.searchsorted(self.set_of[entries], np.stack([chosen, chosen + 1]))
        names = self.genes[self.gene_of[entries]].tolist()  # list slices: several times faster than object arrays
        return [";".join(names[start:stop]) for start, stop in zip(bounds[0].tolist(), bounds[1].tolist())]

    @cached_property
    def name_ranks(self) -> np.ndarray:
        """Each set's position among the set names sorted as text, computed once per index: a result table is
        put in (p-value, set name) order by one ``np.lexsort`` on numbers instead of a sort on the name text."""
        ranks = np.empty(self.names.size, dtype=np.int64)
        ranks[sorted(range(self.names.size), key=self.names.__getitem__)] = np.arange(self.names.size)
        return ranks

    @cached_property
    def collections(self) -> np.ndarray:
        """Each set's collection (:func:`collection_of` its name), computed once per index."""
        out = np.empty(self.names.size, dtype=object)
        out[:] = [collection_of(str(name)) for name in self.names]
        return out

    def arrays(self) -> dict[str, np.ndarray] | None:
        """The index as plain arrays for the on-disk cache (:mod:`secretome.kb.cache`); None if a name holds NUL."""
        from secretome.kb import cache

        names, genes = cache.pack_strings(self.names), cache.pack_strings(self.genes)
        if names is None or genes is None:
            return None
        sizes = np.array([self.names.size, self.genes.size], dtype=np.int64)
        return {"sizes": sizes, "names": names, "genes": genes,
                "set_of": self.set_of.astype(np.int32), "gene_of": self.gene_of.astype(np.int32)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "SetIndex":
        """The index :meth:`arrays` packed (``ValueError``/``KeyError`` when the arrays do not fit together or are
        not integers)."""
        from secretome.kb import cache

        n_sets, n_genes = (int(value) for value in arrays["sizes"])
        set_of, gene_of = arrays["set_of"], arrays["gene_of"]  # int32 as stored: every operation takes them as they are
        if set_of.dtype.kind not in "iu" or gene_of.dtype.kind not in "iu":
            raise ValueError("cached set index entries are not integers")
        if set_of.shape != gene_of.shape or (set_of.size and (set_of.max() >= n_sets or gene_of.max() >= n_genes
                                                                or min(set_of.min(), gene_of.min()) < 0)):
            raise ValueError("cached set index entries out of range")
        return cls(names=cache.unpack_strings(arrays["names"], n_sets),
                   genes=cache.unpack_strings(arrays["genes"], n_genes), set_of=set_of, gene_of=gene_of)


SET_INDEX_CACHE = "kb-set-index"
"""Name of the knowledge base's set index in the on-disk cache (:mod:`secretome.kb.cache`)."""


def _build_default_index() -> SetIndex:
    """The knowledge base's sets (:func:`secretome.kb.gene_sets`), indexed straight from the GMT lines the
    KB keeps in memory: no frozenset per set is built only to be flattened again."""
    from secretome.kb.store import _gmt_lines, functional_class_members

    lines = _gmt_lines()  # name -> "description<TAB>gene<TAB>gene..."
    members: dict[str, Iterable[str]] = {name: rest.split("\t")[1:] for name, rest in lines.items()}
    members.update({f"secretome:{cls}": genes for cls, genes in functional_class_members().items()})
    return SetIndex.build(members)


@lru_cache(maxsize=1)
def _default_index() -> SetIndex:
    """:func:`_build_default_index`, built once per knowledge base and code: later processes read it from the
    on-disk cache (keyed by :func:`secretome.kb.cache.fingerprint`) in milliseconds instead of a second."""
    from secretome.kb import cache

    arrays = cache.load(SET_INDEX_CACHE)
    if arrays is not None:
        try:
            return SetIndex.from_arrays(arrays)
        except (ValueError, KeyError):
            pass
    index = _build_default_index()
    packed = index.arrays()
    if packed is not None:
        cache.store(SET_INDEX_CACHE, packed)
    return index


def set_index(gene_sets: Mapping[str, Iterable[str]] | SetIndex | None) -> SetIndex:
    """The :class:`SetIndex` of ``gene_sets`` (default: the knowledge base's sets, built once per process)."""
    if isinstance(gene_sets, SetIndex):
        return gene_sets
    return _default_index() if gene_sets is None else SetIndex.build(gene_sets)


def _size_bounds(min_size: int | None, max_size: int | None) -> tuple[int, int]:
    defaults = config("enrichment")
    low = int(defaults["min_size"] if min_size is None else min_size)
    high = int(defaults["max_size"] if max_size is None else max_size)
    if low < 1 or high < low:
        raise SecretomeInputError(f"set size bounds [{low}, {high}] are invalid", expected="1 <= min_size <= max_size")
    return low, high


def over_representation(
    hits: Iterable[str],
    background: Iterable[str],
    gene_sets: Mapping[str, Iterable[str]] | SetIndex | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
) -> pd.DataFrame:
    """Hypergeometric over-representation of ``hits`` in each set, within ``background``.

    ``p = P(X >= overlap)`` with ``X ~ Hypergeom(N = |background|, K = |set & background|, n = |hits|)``;
    ``expected = n K / N``; ``odds_ratio`` is the sample odds ratio of the 2x2 table, with 0.5 added to
    every cell when one is zero (Haldane-Anscombe), so it is always finite. Every hit must be in the
    background (hits come from the same detected proteins). Sorted by p-value. All sets are tested
    at once (one hypergeometric call over arrays; ``gene_sets`` may be a prebuilt :class:`SetIndex`).
    """
    background_set = {str(gene) for gene in background if str(gene)}
    hit_set = {str(gene) for gene in hits if str(gene)}
    outside = hit_set - background_set
    if outside:
        raise SecretomeInputError(
            f"{len(outside)} hits are not in the background (e.g. {', '.join(sorted(outside)[:5])})",
            expected="hits drawn from the detected proteins' genes",
        )
    if not background_set:
        raise SecretomeInputError("the background is empty", expected="the detected proteins' gene symbols")
    low, high = _size_bounds(min_size, max_size)
    total, n_hits = len(background_set), len(hit_set)
    index = set_index(gene_sets)
    in_background = np.fromiter((gene in background_set for gene in index.genes), dtype=bool, count=index.genes.size)
    is_hit = np.fromiter((gene in hit_set for gene in index.genes), dtype=bool, count=index.genes.size)
    entry_in_background, entry_hit = in_background[index.gene_of], is_hit[index.gene_of]
    sizes, overlaps = index.count(entry_in_background), index.count(entry_hit)
    tested = np.flatnonzero((sizes >= low) & (sizes <= high))
    size, k = sizes[tested].astype(float), overlaps[tested].astype(float)
    table = np.stack([k, n_hits - k, size - k, total - size - n_hits + k])
    table = np.where((table == 0).any(axis=0), table + 0.5, table)
    p_values = np.ones(tested.size)  # P(X >= 0) = 1: only sets with an overlap need the tail
    some = overlaps[tested] > 0
    p_values[some] = hypergeom_sf(overlaps[tested][some], total, sizes[tested][some], n_hits)
    result = _ordered_frame(index, tested, p_values, {
        "size_in_background": sizes[tested],
        "overlap": overlaps[tested],
        "expected": n_hits * size / total,
        "odds_ratio": table[0] * table[3] / (table[1] * table[2]),
        "adj_p_value": bh_adjust(p_values),
        "genes": index.joined(entry_hit, tested),
    }, ORA_COLUMNS)
    result.attrs.update(test="hypergeometric", background_size=total, n_hits=n_hits, min_size=low, max_size=high)
    return result


def _ordered_frame(index: SetIndex, tested: np.ndarray, p_values: np.ndarray, columns: dict[str, np.ndarray | list],
                   order_of_columns: list[str]) -> pd.DataFrame:
    """A test's result table of the sets ``tested`` (``set``, ``collection``, ``p_value`` and ``columns``, one
    value per tested set), rows by p-value, then set name (a stable sort, NaN last: what
    ``sort_values(["p_value", "set"], kind="stable")`` gives; names are distinct, so the order is unique)."""
    order = np.lexsort((index.name_ranks[tested], p_values))
    rows = tested[order]
    names = np.empty(rows.size, dtype=object)
    names[:] = [str(name) for name in index.names[rows].tolist()]
    data = {"set": names, "collection": index.collections[rows], "p_value": p_values[order]}
    for name, values in columns.items():
        data[name] = values[order] if isinstance(values, np.ndarray) else [values[i] for i in order.tolist()]
    return pd.DataFrame(data, columns=order_of_columns)


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks with ties given their average rank (``scipy.stats.rankdata(method="average")``, same arithmetic)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    first = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = np.empty(values.size, dtype=np.intp)
    dense[order] = first.cumsum()
    bounds = np.r_[np.flatnonzero(first), values.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def gene_scores(table: pd.DataFrame, score: str = "t", gene: str = "gene") -> pd.Series:
    """Per-gene scores from a protein table: empty genes dropped; several proteins of one gene keep
    the score with the largest absolute value (the strongest evidence for the gene)."""
    if score not in table.columns or gene not in table.columns:
        raise SecretomeInputError(f"the table lacks column {score!r} or {gene!r}")
    frame = table[[gene, score]].copy()
    frame[gene] = frame[gene].astype(str)
    frame = frame[(frame[gene] != "") & (frame[gene] != "nan") & np.isfinite(frame[score].astype(float))]
    order = frame[score].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].drop_duplicates(gene).set_index(gene)[score].astype(float).sort_index()


def rank_test(
    scores: pd.Series | Mapping[str, float],
    gene_sets: Mapping[str, Iterable[str]] | SetIndex | None = None,
    min_size: int | None = None,
    max_size: int | None = None,
    *,
    leading: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Wilcoxon rank-sum test of each set's scores against the other ranked genes (module doc).

    ``scores``: gene -> score over the background (all detected genes with a score; see
    :func:`gene_scores`). ``overlap`` counts the set's genes with a score, ``size_in_background`` the
    set's genes among them (the same number: the ranked genes are the background). One pass over all
    sets: rank sums by set, then one normal tail call. ``genes`` lists the set's ranked genes; with
    ``leading`` (direction -> genes, e.g. ``{"up": hits_up, "down": hits_down}``) only its genes in
    ``leading[direction]`` of the side it shifted to (its leading genes; empty for ``none``).
    """
    series = pd.Series(scores, dtype=float)
    series = series[np.isfinite(series.to_numpy())]
    if series.index.duplicated().any():
        raise SecretomeInputError("scores name a gene twice", expected="one score per gene (see gene_scores)")
    total = series.size
    if total < 3:
        raise SecretomeInputError(f"{total} scored genes are too few for a rank test")
    low, high = _size_bounds(min_size, max_size)
    ranks = _average_ranks(series.to_numpy())
    _, tie_counts = np.unique(series.to_numpy(), return_counts=True)
    tie_term = float((tie_counts**3 - tie_counts).sum())
    index = set_index(gene_sets)
    where = index.positions({gene: i for i, gene in enumerate(series.index)})[index.gene_of]
    ranked = where >= 0
    n_in_all = index.count(ranked)
    rank_sums = np.bincount(index.set_of[ranked], weights=ranks[where[ranked]], minlength=index.names.size)
    tested = np.flatnonzero((n_in_all >= low) & (n_in_all <= high) & (n_in_all != total))
    n_in = n_in_all[tested].astype(float)
    n_out = total - n_in
    u = rank_sums[tested] - n_in * (n_in + 1) / 2.0
    sd_u = np.sqrt(n_in * n_out / 12.0 * ((total + 1) - tie_term / (total * (total - 1))))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (np.abs(u - n_in * n_out / 2.0) - 0.5) / sd_u
    p_values = np.where(sd_u == 0, 1.0, np.minimum(1.0, 2.0 * special.ndtr(-np.maximum(z, 0.0))))  # normal tail
    auc = u / (n_in * n_out)
    result = _ordered_frame(index, tested, p_values, {
        "size_in_background": n_in_all[tested],
        "overlap": n_in_all[tested],
        "auc": auc,
        "direction": np.where(auc > 0.5, "up", np.where(auc < 0.5, "down", "none")).astype(object),
        "adj_p_value": bh_adjust(p_values),
        "genes": index.joined(ranked, tested) if leading is None else _leading_genes(index, tested, auc, leading),
    }, RANK_COLUMNS)
    result.attrs.update(test="wilcoxon_rank_sum", n_ranked=total, min_size=low, max_size=high)
    return result


def contrast_enrichment(
    table: pd.DataFrame,
    background: Iterable[str] | None = None,
    gene_sets: Mapping[str, Iterable[str]] | SetIndex | None = None,
    alpha: float | None = None,
    min_abs_log2fc: float = 0.0,
    min_size: int | None = None,
    max_size: int | None = None,
    secretion_class: str | Iterable[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Enrichment of one contrast's result table (``protein, gene, log2fc, t, adj_p_value``).

    ``secretion_class`` (e.g. ``"secreted"`` or ``["secreted", "unconventional"]``) restricts hits, background
    and ranking to the table's proteins of those classes (column ``secretion_class``, e.g. from
    ``adata.var``), so that lysis-driven "down in intracellular" proteins are not reported as biology.

    ``up``/``down``: over-representation of the genes of proteins with ``adj_p_value < alpha`` (default
    ``statistics.toml: alpha``) and
    ``log2fc`` above ``min_abs_log2fc`` (below its negative); ``rank``: rank test on the moderated t
    (:func:`gene_scores`), whose ``genes`` are the set's *leading genes*: its hits on the side it shifted to
    (the ``up`` hits of a set ranked higher, the ``down`` hits of one ranked lower; empty when none), the
    counterpart of GSEA's leading edge, rather than every ranked member (those are the set itself, within the
    background). Background default: the genes of the table's proteins, i.e. the detected
    proteins that were tested (pass :func:`detected_genes` of the unfiltered dataset to widen it).
    """
    if secretion_class is not None:
        if "secretion_class" not in table:
            raise SecretomeInputError("the result table has no secretion_class column", column="secretion_class",
                                      expected="a table joined with the annotation (adata.var['secretion_class'])")
        wanted = {secretion_class} if isinstance(secretion_class, str) else set(secretion_class)
        table = table[table["secretion_class"].astype(str).isin(wanted)]
        if background is not None:
            background = set(background) & set(table["gene"].astype(str))
    genes = table["gene"].astype(str)
    if background is None:
        background = {gene for gene in genes if gene and gene != "nan"}
    alpha = significance_level() if alpha is None else alpha
    significant = table["adj_p_value"] < alpha
    up = {g for g in genes[significant & (table["log2fc"] > min_abs_log2fc)] if g and g != "nan"}
    down = {g for g in genes[significant & (table["log2fc"] < -min_abs_log2fc)] if g and g != "nan"}
    background = [str(gene) for gene in background]
    sets = set_index(gene_sets).within({gene for gene in genes if gene and gene != "nan"}.union(background))  # once for the three tests, over their genes only
    return {
        "up": over_representation(up, background, sets, min_size, max_size),
        "down": over_representation(down, background, sets, min_size, max_size),
        "rank": rank_test(gene_scores(table, "t"), sets, min_size, max_size, leading={"up": up, "down": down}),
    }


def _leading_genes(index: SetIndex, tested: np.ndarray, auc: np.ndarray, leading: Mapping[str, Iterable[str]]) -> list[str]:
    """For each tested set, its genes in ``leading["up"]`` when it shifted up (AUC > 0.5), in ``leading["down"]``
    when down, none when neither."""
    genes = [""] * tested.size
    for direction, chosen in (("up", auc > 0.5), ("down", auc < 0.5)):
        wanted = {str(gene) for gene in leading.get(direction, ())}
        if not wanted or not chosen.any():
            continue
        flags = np.fromiter((gene in wanted for gene in index.genes), dtype=bool, count=index.genes.size)[index.gene_of]
        for row, text in zip(np.flatnonzero(chosen).tolist(), index.joined(flags, tested[chosen])):
            genes[row] = text
    return genes


ENRICHMENT_COLUMNS = [
    "test", "direction", "set", "collection", "size_in_background", "overlap", "n_hits", "background_size",
    "expected", "odds_ratio", "auc", "p_value", "adj_p_value", "genes",
]
"""Columns of the tidy enrichment table (:func:`enrichment_table`); a test's unused columns are empty."""


def enrichment_table(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One tidy table from :func:`contrast_enrichment` results.

    ``test`` is ``hypergeometric`` (rows of ``up`` and ``down``; ``direction`` = the hit list: proteins
    higher or lower in the contrast) or ``wilcoxon_rank_sum`` (rows of ``rank``; ``direction`` = where
    the set sits in the ranking by moderated t: ``up`` when AUC > 0.5). BH adjustment stays per test and
    direction, as computed. Rows are ordered up, down, rank, each by p-value.
    """
    parts = []
    for key in ("up", "down"):
        frame = results.get(key)
        if frame is None:
            continue
        part = frame.assign(
            test="hypergeometric", direction=key, n_hits=frame.attrs.get("n_hits", np.nan),
            background_size=frame.attrs.get("background_size", np.nan), auc=np.nan,
        )
        parts.append(part)
    rank = results.get("rank")
    if rank is not None:
        parts.append(
            rank.assign(test="wilcoxon_rank_sum", n_hits=np.nan, background_size=rank.attrs.get("n_ranked", np.nan),
                        expected=np.nan, odds_ratio=np.nan)
        )
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype=object if column in ("test", "direction", "set", "collection", "genes")
                                               else float) for column in ENRICHMENT_COLUMNS})
    return pd.concat(parts, ignore_index=True)[ENRICHMENT_COLUMNS]


def enrich_contrast(
    table: pd.DataFrame,
    gene_sets: Mapping[str, Iterable[str]] | SetIndex | None = None,
    alpha: float | None = None,
    min_abs_log2fc: float = 0.0,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Enrichment of a contrast's result table against the detected proteins that were tested.

    Gene symbols are upper-cased (the knowledge base's sets hold upper-case human symbols). Returns
    the per-test results of :func:`contrast_enrichment` and their :func:`enrichment_table` as the jobs write
    it: every set the rank test tested, and of the hypergeometric tests every set holding at least one hit.
    A tested set without a hit has p = 1 by definition and says nothing more than its count: the sets tested
    per test and direction (the Benjamini-Hochberg family, over which ``adj_p_value`` was computed) are in
    ``attrs['n_sets_tested']`` (``"hypergeometric:up"`` etc.) and in the note. With fewer
    than 3 gene symbols there is nothing to test: both are empty, the table's ``attrs['skipped']`` is
    True and ``attrs['note']`` says why (a result table without gene names is valid input for the moderated test itself).
    """
    genes = table["gene"].fillna("").astype(str).str.strip().str.upper()
    named = table.assign(gene=genes.where(genes != "NAN", ""))
    n_named = int(named.loc[named["gene"] != "", "gene"].nunique())
    if n_named < 3:
        tidy = enrichment_table({})
        tidy.attrs["skipped"] = True
        tidy.attrs["note"] = f"{n_named} gene symbols among the tested proteins: too few for enrichment (3 or more needed)."
        return {}, tidy
    alpha = significance_level() if alpha is None else alpha
    results = contrast_enrichment(named, gene_sets=gene_sets, alpha=alpha, min_abs_log2fc=min_abs_log2fc)
    full = enrichment_table(results)
    tested = sets_tested(full)
    without_hit = (full["test"] == "hypergeometric") & (full["overlap"] == 0)
    tidy = full[~without_hit].reset_index(drop=True)
    tidy.attrs.update(
        background_size=n_named, alpha=alpha, n_sets_tested=tested,
        note=(f"Background: the {n_named} gene symbols of the tested (detected) proteins; hits: adj. p < {alpha:g}. "
              f"Sets tested: {tested.get('hypergeometric:up', 0)} for the higher and "
              f"{tested.get('hypergeometric:down', 0)} for the lower proteins (hypergeometric; the "
              f"{int(without_hit.sum())} results without a hit, p = 1, are not listed), "
              f"{sum(n for key, n in tested.items() if key.startswith('wilcoxon'))} by rank (all listed, with the set's "
              "hits on the side it shifted to as its genes)."),
    )
    return results, tidy


def sets_tested(table: pd.DataFrame) -> dict[str, int]:
    """Rows of an :func:`enrichment_table` per test and direction (``"hypergeometric:up"``, ...): the sets tested."""
    if table.empty:
        return {}
    return {f"{test}:{direction}": int(n) for (test, direction), n in table.groupby(["test", "direction"], sort=False).size().items()}
