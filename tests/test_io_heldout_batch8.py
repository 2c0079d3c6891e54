"""What blind batch 8 of the held-out files found (benchmarks/README.md, "Held-out batch 8"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of


@pytest.mark.parametrize("coordinates", [("Chr", "Start", "End"), ("seqnames", "start", "end"),
                                         ("chrom", "chromStart", "chromEnd")])
def test_a_genomic_interval_table_is_refused_by_what_it_is(tmp_path, coordinates):
    """A differential peak table (edgeR on genomic regions) was read as 3 'samples' (Start, End, Length):
    its coordinate columns say it is a genomic interval table."""
    chromosome, start, end = coordinates
    frame = pd.DataFrame({
        "Gene_id": [f"peak_{i}" for i in range(6)], chromosome: ["11L3_v3"] * 6,
        start: [214, 3860, 6885, 10509, 12001, 15000], end: [1914, 4879, 7303, 11083, 13000, 16000],
        "Length": [1701, 1020, 419, 575, 1000, 1001], "PCF_logFC": [-0.9, -0.8, 2.1, 1.1, 0.2, -0.3],
        "logCPM": [5.5, 3.5, 1.0, 2.1, 4.0, 3.0],
    })
    path = tmp_path / "selection.csv"
    frame.to_csv(path, index=False)
    assert "genomic interval table" in refusal_of(path)


def test_log_cpm_beside_sample_quantities_is_not_a_sample(tmp_path):
    """edgeR's average abundance column (logCPM) is a summary over samples, never a sample."""
    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"Protein": [f"P{10000 + i}" for i in range(5)],
                          **{f"S{i}": rng.uniform(1e4, 1e6, 5) for i in range(3)}, "logCPM": rng.uniform(1, 5, 5)})
    path = tmp_path / "counts.tsv"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert list(adata.obs_names) == ["S0", "S1", "S2"]
    assert "logCPM" in adata.uns["source"]["unread_columns"]


def test_rows_of_only_delimiters_are_skipped_and_said(tmp_path):
    """A real proteinGroups.txt holds 8 proteins and 2,517 rows of only tabs: they are skipped, as pandas and R
    skip them, and the read says which (``uns['source']['empty_rows_skipped']``, ``info``)."""
    from secretome.io import summarize_file

    lines = ["Protein IDs\tGene names\tLFQ intensity A\tLFQ intensity B\tReverse\tPotential contaminant",
             "P10000\tA1\t100\t200\t\t", "P10001\tB2\t300\t400\t\t", *["\t" * 5] * 4, "P10002\tC3\t500\t600\t\t"]
    path = tmp_path / "proteinGroups.txt"
    path.write_bytes(("\r\r\n".join(lines) + "\r\r\n").encode())
    adata = read_quietly(path)
    assert list(adata.var_names) == ["P10000", "P10001", "P10002"]
    np.testing.assert_array_equal(adata.X[:, 2], [500, 600])
    assert adata.uns["source"]["empty_rows_skipped"] == [4, 5, 6, 7]
    assert summarize_file(path)["empty_rows_skipped"] == [4, 5, 6, 7]
