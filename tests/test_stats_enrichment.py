"""Enrichment: hypergeometric ORA and Wilcoxon rank test against reference calls; detected background."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData
from scipy import stats

from secretome.errors import SecretomeInputError
from secretome.stats import enrichment


@pytest.fixture
def universe() -> list[str]:
    return [f"G{i}" for i in range(200)]


@pytest.fixture
def sets() -> dict[str, frozenset[str]]:
    return {
        "class:growth_factor": frozenset([f"G{i}" for i in range(0, 20)] + ["NOT_DETECTED1", "NOT_DETECTED2"]),
        "GO_ECM": frozenset(f"G{i}" for i in range(50, 80)),
        "REACTOME_TINY": frozenset(["G1", "G2", "G3"]),
        "HALLMARK_HUGE": frozenset(f"G{i}" for i in range(0, 190)),
    }


def test_ora_matches_hypergeometric_and_fisher(universe, sets):
    hits = [f"G{i}" for i in range(0, 12)] + ["G60", "G61", "G150"]
    table = enrichment.over_representation(hits, universe, sets, min_size=5, max_size=100).set_index("set")
    assert set(table.index) == {"class:growth_factor", "GO_ECM"}  # tiny and huge sets filtered
    row = table.loc["class:growth_factor"]
    assert row["size_in_background"] == 20  # undetected members never count: background = detected
    assert row["overlap"] == 12 and row["collection"] == "class"
    np.testing.assert_allclose(row["expected"], 15 * 20 / 200)
    np.testing.assert_allclose(row["p_value"], stats.hypergeom.sf(11, 200, 20, 15))
    fisher = stats.fisher_exact([[12, 3], [8, 177]], alternative="greater")
    np.testing.assert_allclose(row["p_value"], fisher.pvalue, rtol=1e-10)
    np.testing.assert_allclose(row["odds_ratio"], 12 * 177 / (3 * 8))
    assert row["genes"].split(";") == sorted(f"G{i}" for i in range(12))
    assert table.loc["GO_ECM", "collection"] == "GO"


def test_ora_bh_and_haldane(universe, sets):
    hits = ["G100", "G101", "G102"]
    table = enrichment.over_representation(hits, universe, sets, min_size=5, max_size=100)
    from statsmodels.stats.multitest import multipletests

    np.testing.assert_allclose(table["adj_p_value"], multipletests(table["p_value"], method="fdr_bh")[1])
    row = table.set_index("set").loc["GO_ECM"]
    assert row["overlap"] == 0
    np.testing.assert_allclose(row["odds_ratio"], (0.5 * 167.5) / (3.5 * 30.5))


def test_ora_rejects_hits_outside_background(universe, sets):
    with pytest.raises(SecretomeInputError, match="not in the background"):
        enrichment.over_representation(["G1", "XYZ"], universe, sets)


def test_rank_test_matches_mannwhitneyu(universe, sets):
    rng = np.random.default_rng(0)
    scores = pd.Series(rng.normal(0, 1, 200), index=universe)
    scores.iloc[:20] += 1.5
    scores.iloc[100:110] = 0.25  # ties
    table = enrichment.rank_test(scores, sets, min_size=5, max_size=100).set_index("set")
    for name in ("class:growth_factor", "GO_ECM"):
        members = [g for g in sets[name] if g in scores.index]
        inside, outside = scores[members], scores.drop(members)
        reference = stats.mannwhitneyu(inside, outside, alternative="two-sided", method="asymptotic", use_continuity=True)
        np.testing.assert_allclose(table.loc[name, "p_value"], reference.pvalue, rtol=1e-10)
        np.testing.assert_allclose(table.loc[name, "auc"], reference.statistic / (len(inside) * len(outside)))
    assert table.loc["class:growth_factor", "direction"] == "up"


def test_gene_scores_keep_strongest_protein_per_gene():
    frame = pd.DataFrame({"gene": ["A", "A", "B", "", "C"], "t": [1.0, -3.0, 2.0, 9.0, np.nan]})
    scores = enrichment.gene_scores(frame)
    assert scores.to_dict() == {"A": -3.0, "B": 2.0}


def test_detected_genes_is_the_background():
    var = pd.DataFrame({"gene": ["ALB", "", "LCN1"]}, index=["P1", "P2", "P3"])
    adata = AnnData(X=np.ones((2, 3)), var=var)
    assert enrichment.detected_genes(adata) == {"ALB", "LCN1"}


def test_default_sets_come_from_the_knowledge_base(universe):
    table = enrichment.over_representation(universe[:10], universe)
    assert list(table.columns) == enrichment.ORA_COLUMNS


def test_contrast_enrichment_up_down_and_rank(universe, sets):
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"protein": [f"P{i}" for i in range(200)], "gene": universe, "log2fc": rng.normal(0, 0.2, 200), "t": rng.normal(0, 1, 200)})
    table["adj_p_value"] = 0.9
    table.loc[:14, ["log2fc", "t", "adj_p_value"]] = [2.0, 8.0, 0.001]  # growth-factor genes up
    table.loc[50:57, ["log2fc", "t", "adj_p_value"]] = [-2.0, -8.0, 0.001]  # ECM genes down
    results = enrichment.contrast_enrichment(table, gene_sets=sets, min_size=5, max_size=100)
    assert results["up"].iloc[0]["set"] == "class:growth_factor" and results["up"].iloc[0]["overlap"] == 15
    assert results["down"].iloc[0]["set"] == "GO_ECM" and results["down"].iloc[0]["overlap"] == 8
    rank = results["rank"].set_index("set")
    assert rank.loc["class:growth_factor", "direction"] == "up" and rank.loc["GO_ECM", "direction"] == "down"
    from secretome.report import render_section
    from secretome.summary import enrichment_entry

    tidy = enrichment.enrichment_table(results)
    entry = enrichment_entry(tidy, "enrichment_treated-control.tsv", 0.05)
    html = render_section("enrichment", {"differential": {"contrast": "treated-control", "alpha": 0.05, "enrichment": entry}})
    assert "class:growth_factor" in html and html.startswith("<section") and "Enrichment: treated-control" in html


def test_enrich_contrast_tidy_table_and_background(universe, sets):
    """up/down over-representation and the rank test in one table; the background is the tested genes."""
    rng = np.random.default_rng(5)
    genes = [g.lower() if i % 7 == 0 else g for i, g in enumerate(universe)]  # case does not matter
    t = rng.normal(0, 1, len(universe))
    t[[universe.index(g) for g in sets["class:growth_factor"] if g in universe]] += 4
    table = pd.DataFrame({"protein": [f"P{i}" for i in range(len(universe))], "gene": genes, "log2fc": t / 2, "t": t,
                          "adj_p_value": np.where(np.abs(t) > 3, 0.001, 0.5)})
    results, tidy = enrichment.enrich_contrast(table, gene_sets=sets, alpha=0.05)
    assert list(tidy.columns) == enrichment.ENRICHMENT_COLUMNS
    assert set(zip(tidy["test"], tidy["direction"])) >= {("hypergeometric", "up"), ("wilcoxon_rank_sum", "up")}
    ora_up = tidy[(tidy["test"] == "hypergeometric") & (tidy["direction"] == "up")].set_index("set")
    n_up = int(((table["adj_p_value"] < 0.05) & (table["log2fc"] > 0)).sum())
    assert (ora_up["n_hits"] == n_up).all() and (ora_up["background_size"] == len(universe)).all()
    expected = enrichment.over_representation(
        set(table.loc[(table["adj_p_value"] < 0.05) & (table["log2fc"] > 0), "gene"].str.upper()), universe, sets
    ).set_index("set")
    listed = expected[expected["overlap"] > 0]  # a set without a hit (p = 1) is counted, not listed
    assert list(ora_up.index) == list(listed.index) and len(listed) < len(expected)
    assert np.array_equal(ora_up["p_value"], listed["p_value"]) and np.array_equal(ora_up["adj_p_value"], listed["adj_p_value"])
    assert ora_up.index[0] == "class:growth_factor" and ora_up.loc["class:growth_factor", "adj_p_value"] < 0.05
    rank = tidy[tidy["test"] == "wilcoxon_rank_sum"].set_index("set")
    assert rank.loc["class:growth_factor", "direction"] == "up" and rank.loc["class:growth_factor", "auc"] > 0.9
    assert rank["expected"].isna().all() and ora_up["auc"].isna().all()
    assert len(tidy) == sum(int((frame["overlap"] > 0).sum()) if key != "rank" else len(frame) for key, frame in results.items())
    assert tidy.attrs["n_sets_tested"] == {f"hypergeometric:{key}": len(results[key]) for key in ("up", "down")} | {
        f"wilcoxon_rank_sum:{direction}": int(n) for direction, n in results["rank"]["direction"].value_counts(sort=False).items()}
    assert "results without a hit, p = 1, are not listed" in tidy.attrs["note"]
    # the rank test's genes are the set's hits on the side it shifted to (its leading genes)
    up_hits = set(table.loc[(table["adj_p_value"] < 0.05) & (table["log2fc"] > 0), "gene"].str.upper())
    leading = rank.loc["class:growth_factor", "genes"].split(";")
    assert leading == sorted(up_hits & set(sets["class:growth_factor"])) and len(leading) >= 5


def test_enrich_contrast_without_gene_symbols_says_why():
    from secretome.report import render_section
    from secretome.summary import enrichment_entry

    table = pd.DataFrame({"protein": ["P1", "P2"], "gene": ["", "nan"], "log2fc": [1.0, -1.0], "t": [3.0, -3.0],
                          "adj_p_value": [0.01, 0.01]})
    results, tidy = enrichment.enrich_contrast(table)
    assert results == {} and tidy.empty and list(tidy.columns) == enrichment.ENRICHMENT_COLUMNS
    entry = enrichment_entry(tidy, "enrichment_a-b.tsv", 0.05, note=str(tidy.attrs.get("note", "")))
    html = render_section("enrichment", {"differential": {"contrast": "a-b", "alpha": 0.05, "enrichment": entry}})
    assert "too few for enrichment" in html and "No gene set within the size limits" in html


def test_tests_within_the_detected_genes_equal_the_tests_over_the_whole_index():
    """``SetIndex.within`` (what :func:`contrast_enrichment` tests on: the entries of the table's genes only) gives
    the very same tables as the whole index, rows in (p-value, set name) order as a stable pandas sort puts them,
    ties (many p = 1 sets) broken by name."""
    rng = np.random.default_rng(11)
    genome = [f"G{i:04d}" for i in range(3000)]
    sets = {f"{prefix}:{rng.integers(10**6)}_{i}": frozenset(rng.choice(genome, size=int(rng.integers(2, 80)), replace=False))
            for i, prefix in enumerate(rng.choice(["GO", "REACTOME", "secretome", "z"], size=600))}
    sets["GO:only_undetected"] = frozenset(genome[2900:2950])
    detected = list(rng.choice(genome[:2900], size=800, replace=False))
    index = enrichment.SetIndex.build(sets)
    inner = index.within(detected)
    assert inner.set_of.size < index.set_of.size and np.array_equal(inner.names, index.names)
    hits = detected[:12]  # few: many sets without a hit, p = 1
    scores = pd.Series(np.round(rng.normal(size=len(detected)), 1), index=detected)  # rounded: tied ranks too
    for whole, part in ((enrichment.over_representation(hits, detected, index, 3, 500),
                         enrichment.over_representation(hits, detected, inner, 3, 500)),
                        (enrichment.rank_test(scores, index, 3, 500, leading={"up": hits[:6], "down": hits[6:]}),
                         enrichment.rank_test(scores, inner, 3, 500, leading={"up": hits[:6], "down": hits[6:]}))):
        pd.testing.assert_frame_equal(whole, part)
        assert "odds_ratio" not in whole or whole["p_value"].duplicated().sum() > 10  # the ORA's ties
        resorted = whole.sample(frac=1, random_state=0).sort_values(["p_value", "set"], kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(whole, resorted)
        assert whole["set"].map(type).eq(str).all()
