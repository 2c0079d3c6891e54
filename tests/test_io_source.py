"""What every read took and what it left (issue 15 parts a, b, f): uns['source'], info lines, families,
renamed columns and sample sheets that cover a whole study."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import ReaderWarning, read, summarize, summary_lines
from test_io_readers import SAMPLES, check_values, write_maxquant

EIGHT = [f"S{i}" for i in range(1, 9)]


def renamed_fragpipe(tmp_path):
    """A FragPipe table of 8 samples whose authors renamed four MaxLFQ columns by hand."""
    rng = np.random.default_rng(3)
    n = 6
    frame = pd.DataFrame({
        "Protein": [f"sp|P3{i:04d}|FP{i}_HUMAN" for i in range(n)], "Protein ID": [f"P3{i:04d}" for i in range(n)],
        "Entry Name": [f"FP{i}_HUMAN" for i in range(n)], "Gene": [f"FG{i}" for i in range(n)],
        "Organism": ["Homo sapiens"] * n, "Protein Probability": [1.0] * n,
        "Combined Total Peptides": np.arange(n) + 1, "Combined Spectral Count": np.arange(n) + 5,
    })
    for family in ("Spectral Count", "Intensity", "MaxLFQ Intensity"):
        for sample in EIGHT:
            values = np.round(rng.lognormal(20, 1, n), 1) if "Intensity" in family else rng.integers(0, 9, n)
            frame[f"{sample} {family}"] = values
    renamed = {f"{s} MaxLFQ Intensity": f"{s} MaxLFQ remove Intensity" for s in EIGHT[4:]}
    frame = frame.rename(columns=renamed)
    path = tmp_path / "combined_protein.tsv"
    frame.to_csv(path, sep="\t", index=False)
    return path, frame, list(renamed.values())


def test_fragpipe_renamed_maxlfq_columns_are_named_never_mixed(tmp_path):
    path, frame, renamed = renamed_fragpipe(tmp_path)
    with pytest.warns(ReaderWarning, match=r"cover 4 of the table's 8 samples.*'S5'"):
        adata = read(path)
    source = adata.uns["source"]
    assert source["quantity"] == "MaxLFQ Intensity" and list(adata.obs_names) == EIGHT[:4]
    check_values(adata, frame, [f"{s} MaxLFQ Intensity" for s in EIGHT[:4]])
    assert source["samples_without_quantity"] == EIGHT[4:]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    for column in renamed:
        assert "is not one of the 8 samples" in reasons[column] and "a renamed column" in reasons[column]
    assert reasons["S1 Intensity"].startswith("quantity family 'Intensity'")
    # --quantity Intensity: every sample exactly once, none of the renamed MaxLFQ columns
    adata = read(path, quantity="Intensity")
    assert list(adata.obs_names) == EIGHT
    check_values(adata, frame, [f"{s} Intensity" for s in EIGHT])


def test_full_study_sheet_is_accepted_with_a_warning(tmp_path):
    path, _, renamed = renamed_fragpipe(tmp_path)
    (tmp_path / "sheet.tsv").write_text("sample\tgroup\n" + "".join(f"{s}\t{'ab'[i % 2]}\n" for i, s in enumerate(EIGHT)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        adata = read(path, samples=tmp_path / "sheet.tsv")
    messages = [str(w.message) for w in caught if issubclass(w.category, ReaderWarning)]
    sheet_warning = next(m for m in messages if "sample sheet row(s)" in m)
    assert "4 sample sheet row(s)" in sheet_warning and "'S5'" in sheet_warning and renamed[0] in sheet_warning
    assert adata.obs["group"].tolist() == ["a", "b", "a", "b"]
    # a data sample missing from the sheet stays an error
    (tmp_path / "short.tsv").write_text("sample\tgroup\nS1\ta\nS2\tb\n")
    with pytest.raises(SecretomeInputError, match="data sample"):
        read(path, samples=tmp_path / "short.tsv", quantity="Intensity")


def test_info_lines_give_counts_first_last_and_reasons(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    adata = read(tmp_path / "pg.txt")
    lines = dict(summary_lines(summarize(adata)))
    assert lines["sample columns"] == "3 ('LFQ intensity S1' ... 'LFQ intensity S3')"
    reasons = [label for label in lines if label.startswith("  quantity family 'Intensity'")]
    assert reasons and lines[reasons[0]] == "3 ('Intensity S1' ... 'Intensity S3')"
    source = adata.uns["source"]
    assert len(source["unread_columns"]) == len(source["unread_reasons"]) == int(lines["columns not read"])
    taken = set(source["sample_columns"]) | set(source["annotation_columns"]) | {"Protein IDs"}
    assert not taken & set(source["unread_columns"])
    assert set(source["unread_columns"]) | taken == set(pd.read_csv(tmp_path / "pg.txt", sep="\t").columns)


def test_generic_families_over_the_same_samples(tmp_path):
    """AlphaPept's results_proteins.csv: raw 'A' beside 'A_LFQ' (alphapeptstats testfiles layout)."""
    text = ",A_LFQ,B_LFQ,A,B\nsp|P36578|RL4_HUMAN,4.5e8,4.8e8,4.4e8,5.0e8\nsp|Q9P258|RCC2_HUMAN,4.0e8,4.1e8,4.2e8,4.0e8\n"
    (tmp_path / "results_proteins.csv").write_text(text)
    adata = read(tmp_path / "results_proteins.csv", format="generic")
    assert list(adata.obs_names) == ["A", "B"] and adata.uns["source"]["quantity"] == "LFQ"
    np.testing.assert_array_equal(adata.X, [[4.5e8, 4.0e8], [4.8e8, 4.1e8]])
    raw = read(tmp_path / "results_proteins.csv", format="generic", quantity="values")
    np.testing.assert_array_equal(raw.X, [[4.4e8, 4.2e8], [5.0e8, 4.0e8]])


def test_generic_tied_families_are_refused_listing_them(tmp_path):
    text = "Protein,Intensity A,Intensity B,Area A,Area B\nP12345,1,2,3,4\nP23456,5,6,7,8\nP34567,1,1,1,1\n"
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(SecretomeInputError, match=r"several quantity families.*'Intensity'.*'Area'"):
        read(tmp_path / "t.csv")
    assert list(read(tmp_path / "t.csv", quantity="area").obs_names) == ["A", "B"]


def test_generic_excludes_pd_counts_ids_row_numbers_and_row_sums(tmp_path):
    rng = np.random.default_rng(5)
    n = 8
    block = np.round(rng.lognormal(15, 1, (n, 3)), 2)
    frame = pd.DataFrame({
        "": np.arange(1, n + 1), "Accession": [f"P{10000 + i}" for i in range(n)], "# PSMs": rng.integers(1, 50, n),
        "# AAs": rng.integers(100, 900, n), "Protein Group IDs": rng.integers(1, 900, n), "Prob": rng.random(n),
        "Avg": block.mean(axis=1) + 1, "s1": block[:, 0], "s2": block[:, 1], "s3": block[:, 2], "Intensity": block.sum(axis=1),
    })
    frame.to_csv(tmp_path / "g.csv", index=False)
    adata = read(tmp_path / "g.csv")
    assert list(adata.obs_names) == ["s1", "s2", "s3"]
    reasons = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert reasons["Intensity"] == "row sum of the other numeric columns"
    assert "row numbers" in reasons["(unnamed column 1)"]
    assert {"# PSMs", "# AAs", "Protein Group IDs", "Prob", "Avg"} <= set(adata.uns["source"]["ignored_columns"])


def test_maxquant_quantity_choice_lists_other_families(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    adata = read(tmp_path / "pg.txt", quantity="iBAQ")
    reasons = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert reasons["LFQ intensity S2"].startswith("quantity family 'LFQ intensity'")
    assert list(adata.obs_names) == SAMPLES


def test_sheet_mismatch_never_points_a_renamed_sample_at_another_sample(tmp_path):
    """A sheet row for a sample whose MaxLFQ column was renamed is explained as such; no 'closest' hint sends
    it (or a data sample missing from the sheet) to another real sample."""
    path, _, _ = renamed_fragpipe(tmp_path)
    (tmp_path / "short.tsv").write_text("sample\tgroup\nS1\ta\nS2\tb\nS5\ta\nS6\tb\n")
    with pytest.raises(SecretomeInputError) as caught:
        read(path, samples=tmp_path / "short.tsv")
    message = str(caught.value)
    assert "'S5' (a sample of the table without a 'MaxLFQ Intensity' column; unread: 'S5 MaxLFQ remove Intensity')" in message
    assert "'S3' (no close candidate)" in message and "closest: 'S5'" not in message and "closest: 'S4'" not in message
