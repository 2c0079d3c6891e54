"""What a read took and left, everywhere it is shown (issue 15 parts 1 and 3): ``info`` and ``read`` print
it, the report's Methods lists it from ``uns['source']``; isobaric runs state plex, experiments and whether
the values are ratios or abundances; Proteome Discoverer's decoy and contaminant marks become flags.
The inputs are the real fixtures of ``tests/data/readers`` (see its PROVENANCE.tsv)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_main

from secretome.errors import SecretomeInputError
from secretome.io import ReaderWarning, read
from secretome.report import _environment
from secretome.summary import input_entry

HERE = Path(__file__).parent / "data" / "readers"


def _read(path: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read(path, **kwargs)


def test_maxquant_reporter_channels_get_plex_and_experiment():
    adata = _read(HERE / "maxquant_tmt_proteinGroups_R.csv")
    # R-resaved 'Reporter.intensity.corrected.3.M1R1': channel 3 of experiment M1R1 (15 experiments of a
    # 10-plex); the 'Reporter.intensity.corrected.3' totals over all experiments are no channel (batch 9)
    assert adata.obs["channel"].tolist() == list(range(10)) * 15
    assert adata.obs["plex"].tolist() == [10] * 150 and adata.obs["experiment"].tolist()[9:11] == ["M1R1", "M1R2"]
    isobaric = adata.uns["source"]["isobaric"]
    assert isobaric["value_kind"] == "abundance" and isobaric["plex"] == 10 and isobaric["n_channels"] == 150
    assert len(isobaric["experiments"]) == 15
    unread = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert unread["Reporter.intensity.corrected.3"].startswith("channel summed over all experiments")
    assert "Reporter intensity corrected" in isobaric["values"] and "not ratios" in isobaric["values"]
    # never the per-experiment MS1 'Intensity' in the channels' place
    assert not any(c.startswith("Intensity") for c in adata.uns["source"]["sample_columns"])


def test_tmt_integrator_states_abundance_and_where_plex_comes_from():
    adata = _read(HERE / "fragterminomics_abundance_protein_MD.tsv")
    isobaric = adata.uns["source"]["isobaric"]
    assert isobaric["value_kind"] == "abundance" and isobaric["n_channels"] == 11
    assert "from the values" in isobaric["values"] and "experiment annotation" in isobaric["plex_and_experiment"]
    annotated = _read(HERE / "fragterminomics_abundance_protein_MD.tsv", samples=HERE / "fragterminomics_annotation.csv")
    assert annotated.obs["channel"].tolist()[:3] == ["126", "127N", "127C"] and annotated.obs["condition"].tolist()[:2] == ["WT", "KO"]


def test_tmt_integrator_ratio_file_is_named_ratio(tmp_path):
    text = (HERE / "fragterminomics_abundance_protein_MD.tsv").read_text()
    (tmp_path / "ratio_protein_MD.tsv").write_text(text)
    isobaric = _read(tmp_path / "ratio_protein_MD.tsv").uns["source"]["isobaric"]
    assert isobaric["value_kind"] == "ratio" and "from the file name" in isobaric["values"]


@pytest.mark.parametrize("column, values", [
    ("Decoy", ["False", "True"]), ("# Decoy", ["0", "2"]), ("Is Decoy", ["", "+"]),
])
def test_proteome_discoverer_decoy_and_contaminant_marks_are_flags(tmp_path, column, values):
    frame = pd.read_csv(HERE / "scpviz_pd_proteins.txt", sep="\t", dtype=str, keep_default_na=False)
    frame[column] = [values[0]] * len(frame)
    frame.loc[3, column] = values[1]
    frame["Contaminant"] = ["False"] * len(frame)
    frame.loc[5, "Contaminant"] = "True"
    frame.to_csv(tmp_path / "proteins.txt", sep="\t", index=False)
    adata = _read(tmp_path / "proteins.txt")
    assert adata.var["is_decoy"].tolist() == [i == 3 for i in range(30)]
    assert adata.var["is_contaminant"].tolist() == [i == 5 for i in range(30)]
    assert adata.n_vars == 30  # flagged, never dropped
    assert {column, "Contaminant"} <= set(adata.uns["source"]["annotation_columns"])


def test_proteome_discoverer_statistics_are_named_not_read():
    source = _read(HERE / "scpviz_pd_proteins.txt").uns["source"]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert reasons["Abundance Ratio Adj. P-Value: (jx1) / (hct116)"].startswith("statistic of a ratio")
    assert reasons["Abundances (Grouped) CV [%]: hct116"].startswith("coefficient of variation")
    assert reasons["Found in Sample: [S13] F13: Sample, dda, 60min, hct116"].startswith("detection status")
    assert reasons["Abundance Ratio: (jx1) / (hct116)"].startswith("quantity family 'Abundance Ratio'")
    assert not any(c in source["sample_columns"] for c in ("# PSMs", "# AAs", "# Peptides"))


def test_methods_lists_taken_columns_family_and_unread_reasons():
    adata = _read(HERE / "scpviz_pd_proteins.txt")
    entry = input_entry(dict(adata.uns["source"]))
    assert entry["samples"] == {"count": 60, "first": "Abundance: F13: Sample, dda, 60min, hct116",
                                "last": "Abundance: F80: Sample, dda, 60min, jx4"}
    assert len(entry["sample_columns"]) == 60 and entry["quantity"] == "Abundance"
    assert entry["n_unread"] == len(adata.uns["source"]["unread_columns"]) == 95
    by_reason = {u["reason"]: u for u in entry["unread"]}
    assert by_reason["detection status per sample (high/peak found/not found), not a quantity"]["count"] == 60
    html = _environment().get_template("sections/input_read.html.j2").render(s={"input": entry})
    assert "columns taken as samples</td><td>60" in html and "Abundance: F80: Sample, dda, 60min, jx4" in html
    assert "95 column(s) recognised but not read" in html and "statistic of a ratio" in html


def test_methods_states_isobaric_value_kind():
    entry = input_entry(dict(_read(HERE / "maxquant_tmt_proteinGroups_R.csv").uns["source"]))
    html = _environment().get_template("sections/input_read.html.j2").render(s={"input": entry})
    assert "isobaric labelling" in html and "not ratios" in html and "10-plex" in html


def test_old_summaries_without_the_entry_render_nothing():
    html = _environment().get_template("sections/input_read.html.j2").render(s={"input": {"path": "x", "sha256": ""}})
    assert html.strip() == ""


def test_info_and_read_print_taken_and_left(tmp_path, monkeypatch, capsys):
    code, stdout, stderr = run_main(monkeypatch, capsys, "info", HERE / "maxquant_tmt_proteinGroups_R.csv")
    assert code == 0, stderr
    assert "isobaric labelling: reporter ion abundances per channel" in stdout and "10-plex" in stdout
    code, stdout, stderr = run_main(monkeypatch, capsys, "read", HERE / "scpviz_pd_proteins.txt", "--out", tmp_path / "pd.h5ad")
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert "quantity: Abundance" in lines
    assert "sample columns: 60 ('Abundance: F13: Sample, dda, 60min, hct116' ... 'Abundance: F80: Sample, dda, 60min, jx4')" in lines
    assert "columns not read: 95" in lines and any(line.startswith("  statistic of a ratio") for line in lines)


def test_long_format_table_is_refused_not_read_as_one_sample(tmp_path):
    """Held-out finding: AlphaQuant's long ion table (ion, intensity, sample) was read as one "sample"."""
    rows = "".join(f"SEQ_{p}_CHARGE_2_\t{1000 + i}.5\trun{i % 3}\n" for i, p in enumerate("ACDEFGHIK"))
    (tmp_path / "ions.tsv").write_text("feature\tintensity\tsample\n" + rows)
    with pytest.raises(SecretomeInputError, match=r"long-format table.*'sample' repeats 3 sample names over 9 rows"):
        read(tmp_path / "ions.tsv")


def test_differential_result_columns_are_never_samples(tmp_path):
    """Held-out finding: num_ions, pseudoint1 and pseudoint2 of an AlphaQuant result were read as samples."""
    text = "protein\tfdr\tpval\tlog2fc\tnum_ions\tpseudoint1\tpseudoint2\nP26637\t0.7\t0.7\t0.16\t17\t1.7e8\t2.5e8\nP12345\t0.1\t0.01\t1.2\t4\t3.1e7\t9.9e7\n"
    (tmp_path / "results.tsv").write_text(text)
    with pytest.raises(SecretomeInputError, match="not a protein-level quantity table"):
        read(tmp_path / "results.tsv")


def test_a_body_of_only_trimmed_rows_is_no_traceback(tmp_path):
    """Held-out finding: 25 rows each missing the trailing empty fields summed to an agreement just below
    0.9 and ended in a raw StopIteration; such rows are padded as pandas and R pad them."""
    rows = "".join(f"P{10000 + i}\t{i + 1}.5\t{i + 2}.5\n" for i in range(25))
    (tmp_path / "t.tsv").write_text("Protein\tS1\tS2\tnote\tcomment\n" + rows)
    adata = _read(tmp_path / "t.tsv")
    assert adata.n_vars == 25 and list(adata.obs_names) == ["S1", "S2"]


def test_one_experiment_fragpipe_protein_tsv_is_refused_not_read_as_total_unique_razor(tmp_path):
    """Held-out finding: FragPipe's per-experiment protein.tsv (bare 'Total/Unique/Razor Intensity') was read
    as three samples named 'Total', 'Unique' and 'Razor'."""
    columns = ["Group", "SubGroup", "Protein", "Protein ID", "Entry Name", "Gene", "Organism", "Protein Probability",
               "Total Peptides", "Total Spectral Count", "Unique Spectral Count", "Razor Spectral Count",
               "Total Intensity", "Unique Intensity", "Razor Intensity", "Indistinguishable Proteins", "WT1", "KO1"]
    row = ["1", "1a", "sp|P12345|X_MOUSE", "P12345", "X_MOUSE", "X", "Mus musculus", "1.0", "3", "9", "8", "9",
           "1.5e6", "1.4e6", "1.5e6", "", "7.1e5", "8.0e5"]
    (tmp_path / "protein.tsv").write_text("\t".join(columns) + "\n" + "\t".join(row) + "\n" + "\t".join(row).replace("P12345", "P23456") + "\n")
    with pytest.raises(SecretomeInputError, match="protein.tsv of one experiment") as caught:
        read(tmp_path / "protein.tsv")
    assert "combined_protein.tsv" in str(caught.value)


def test_tmt_integrator_repeated_channel_names_are_set_aside_and_named():
    """FragPipe names unassigned channels alike ('MT' five times in the fixture): they are never read, never
    guessed, and named; a repeated name stays refused for every reader that does not set such columns aside."""
    with pytest.warns(ReaderWarning, match=r"5 channel columns share a name \('MT'\)"):
        adata = read(HERE / "fragterminomics_abundance_protein_MD.tsv")
    source = adata.uns["source"]
    assert source["sample_columns"][-1] == "WT6" and adata.n_obs == 11
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert [c for c in reasons if c.startswith("MT")] == [f"MT (column {i})" for i in range(17, 22)]
    assert reasons["MT (column 17)"].startswith("channel name 'MT' repeated in 5 columns")
    with pytest.raises(SecretomeInputError, match="duplicated column name: it appears as column 17 and column 18"):
        read(HERE / "fragterminomics_abundance_protein_MD.tsv", format="generic")


@pytest.mark.parametrize("header, row, kind", [
    # Prosit library input: COLLISION_ENERGY was read as a sample
    ("MODIFIED_SEQUENCE,COLLISION_ENERGY,PRECURSOR_CHARGE,FRAGMENTATION", "PEPTIDEK,30,2,HCD", "peptide-, ion- or spectrum-level table"),
    # a spectra data frame: collision energy and method number were read as two samples
    (",modified_sequence,collision_energy_aligned_normed,method_nbr", "10,AAAKPVTNI,150.0,2", "peptide-, ion- or spectrum-level table"),
    # Percolator's q-value/score/Peptide/Proteins matched Sage's lfq.tsv rule
    ("SpecId\tlabel\tScanNr\tfilename\tPeptide\tscore\tq-value\tProteins", "a-1\tTrue\t11458\tR1\t_.SEQK_\t0.6\t0.0\tCas9", "a Percolator PSM table"),
    # MaxQuant msms.txt was named an evidence.txt
    ("Raw file\tScan number\tSequence\tModified sequence\tProteins\tCharge\tScore", "R1\t35161\tAAAK\t_AAAK_\tP1\t2\t80", "a MaxQuant msms.txt"),
])
def test_held_out_batch_3_findings_are_refused_by_kind(tmp_path, header, row, kind):
    delimiter = "\t" if "\t" in header else ","
    second = row.replace("AAAK", "CCCK").replace("PEPTIDEK", "PEPTIDER").replace("AAAKPVTNI", "AAAKPVTNL").replace("a-1", "a-2")
    (tmp_path / "t.txt").write_text(f"{header}\n{row}\n{second}\n".replace(",", delimiter) if delimiter == "," else f"{header}\n{row}\n{second}\n")
    with pytest.raises(SecretomeInputError, match=re.escape(kind)):
        read(tmp_path / "t.txt")
