"""New readers and refusals that name the file's kind (issue 15 parts d and e)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read
from secretome.io.maxquant import r_name
from test_io_readers import SAMPLES, check_values, maxquant_frame

PD_HUMAN = "msc_ev_bheri2024/PD_multiconsensus_human_CPC_MSC_sEV.csv"


def pd_frame(n: int = 5, tmt: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "Checked": [False] * n, "Master": ["IsMasterProtein"] * (n - 1) + ["IsMasterProteinCandidate"],
        "Accession": [f"P0{2750 + i}" for i in range(n)],
        "Description": [f"Protein {i} OS=Homo sapiens OX=9606 GN=G{i} PE=1 SV=1" for i in range(n)],
        "Coverage [%]": rng.integers(1, 90, n), "# Peptides": rng.integers(1, 30, n), "# PSMs": rng.integers(1, 80, n),
        "# Unique Peptides": rng.integers(1, 30, n), "# AAs": rng.integers(100, 900, n), "MW [kDa]": rng.random(n) * 100,
        "Contaminant": [False, True] + [False] * (n - 2),
    })
    tails = [f"F1: {c}, Sample, {'ctrl' if i < 2 else 'treated'}" for i, c in enumerate(["126", "127N", "127C", "128N"])] if tmt \
        else [f"F{i + 1}: Sample" for i in range(3)]
    for family in ("Abundance", "Abundances (Normalized)", "Abundances Count"):
        for tail in tails:
            frame[f"{family}: {tail}"] = rng.integers(1, 9, n) if "Count" in family else np.round(rng.lognormal(18, 1, n), 1)
    if tmt:
        frame["Abundance Ratio: (127N) / (126)"] = rng.random(n) + 0.5
    return frame


def test_proteome_discoverer_text_reads_normalised_abundances_of_master_rows(tmp_path):
    frame = pd_frame()
    frame.to_csv(tmp_path / "pd.txt", sep="\t", index=False)
    with pytest.warns(UserWarning, match="1 rows are not master proteins"):
        adata = read(tmp_path / "pd.txt")
    source = adata.uns["source"]
    assert (source["format"], source["quantity"]) == ("proteome_discoverer", "Abundances (Normalized)")
    assert list(adata.obs_names) == ["F1", "F2", "F3"] and adata.n_vars == 4 and source["n_rows_not_master"] == 1
    check_values(adata, frame.iloc[:4], [f"Abundances (Normalized): F{i}: Sample" for i in (1, 2, 3)])
    assert adata.var["is_contaminant"].tolist() == [False, True, False, False]
    assert adata.var["gene"].tolist() == ["G0", "G1", "G2", "G3"]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert reasons["Abundances Count: F2: Sample"].startswith("count")
    assert not {"# PSMs", "# AAs", "Coverage [%]"} & set(source["sample_columns"])


def test_proteome_discoverer_xlsx_tmt_channels_in_obs(tmp_path):
    frame = pd_frame(tmt=True)
    frame.to_excel(tmp_path / "pd.xlsx", index=False)
    with pytest.warns(UserWarning):
        adata = read(tmp_path / "pd.xlsx", quantity="Abundance")
    assert list(adata.obs_names) == ["F1 126", "F1 127N", "F1 127C", "F1 128N"]
    assert adata.obs["channel"].tolist() == ["126", "127N", "127C", "128N"]
    assert adata.obs["condition"].tolist() == ["ctrl", "ctrl", "treated", "treated"]
    reasons = dict(zip(adata.uns["source"]["unread_columns"], adata.uns["source"]["unread_reasons"]))
    assert "'Abundance Ratio'" in reasons["Abundance Ratio: (127N) / (126)"]


def test_proteome_discoverer_real_export(examples):
    """Bheri 2024 sEV PD multiconsensus export: 12 files, # PSMs/# AAs/Score columns must not become samples."""
    adata = read(examples / PD_HUMAN)
    source = adata.uns["source"]
    assert (source["format"], adata.n_obs, adata.n_vars) == ("proteome_discoverer", 12, 1326)
    assert list(adata.obs_names) == [f"F{i}" for i in range(1, 13)]
    raw = pd.read_csv(examples / PD_HUMAN)
    expected = raw["Abundances (Normalized): F7: Sample"].to_numpy(dtype=float)
    expected[expected == 0] = np.nan
    np.testing.assert_allclose(adata.X[6], expected, rtol=1e-15)
    assert adata.var.loc["P02751", "gene"] == "FN1"


def test_philosopher_combined_protein_keyed_on_group_and_subgroup(tmp_path):
    """The older FragPipe/Philosopher layout (alphapeptstats testfiles/fragpipe/combined_proteins.tsv)."""
    rows = []
    for i, (group, sub) in enumerate([(679, "a"), (679, "b"), (680, "a")]):
        rows.append({"Protein Group": group, "SubGroup": sub, "Protein": f"sp|P0279{i}|HEMO{i}_HUMAN", "Protein ID": f"P0279{i}",
                     "Entry Name": f"HEMO{i}_HUMAN", "Gene Names": f"HPX{i}", "Protein Length": 462, "Coverage": 82.9,
                     "Organism": "Homo sapiens OX=9606", "Protein Probability": 1.0, "Top Peptide Probability": 0.999,
                     "Unique Stripped Peptides": 95, "Summarized Total Spectral Count": 25026,
                     "Summarized Unique Spectral Count": 25025, "S1 Razor Intensity": 2216637.5 + i,
                     "S2 Razor Intensity": 2295583.8 + i, "S10 Razor Intensity": 1240315.4})
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "combined_protein.tsv", sep="\t", index=False)
    adata = read(tmp_path / "combined_protein.tsv")
    assert adata.uns["source"]["format"] == "philosopher" and adata.uns["source"]["quantity"] == "Razor Intensity"
    assert list(adata.var_names) == ["679a", "679b", "680a"] and list(adata.obs_names) == ["S1", "S2", "S10"]
    check_values(adata, frame, ["S1 Razor Intensity", "S2 Razor Intensity", "S10 Razor Intensity"])


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_r_resaved_maxquant_reads_as_maxquant(tmp_path, delimiter):
    original = maxquant_frame()
    frame = original.copy()
    frame.columns = [r_name(c) for c in frame.columns]
    assert "LFQ.intensity.S1" in frame.columns and "Potential.contaminant" in frame.columns
    frame.to_csv(tmp_path / "proteinGroups_R.csv", sep=delimiter)  # R write.csv keeps row names
    adata = read(tmp_path / "proteinGroups_R.csv")
    source = adata.uns["source"]
    assert source["format"] == "maxquant" and "R-resaved" in source["format_version"]
    assert source["quantity"] == "LFQ intensity" and list(adata.obs_names) == SAMPLES
    check_values(adata, original, [f"LFQ intensity {s}" for s in SAMPLES])
    assert adata.var["is_contaminant"].sum() == 1 and adata.var["is_decoy"].sum() == 1


def test_maxquant_reporter_intensities_read_as_channels(tmp_path):
    frame = maxquant_frame()
    rng = np.random.default_rng(2)
    for experiment in ("plexA", "plexB"):
        frame[f"Intensity {experiment}"] = rng.lognormal(22, 1, len(frame))
        for channel in range(1, 7):
            for family in ("Reporter intensity corrected", "Reporter intensity", "Reporter intensity count"):
                frame[f"{family} {channel} {experiment}"] = np.round(rng.lognormal(15, 1, len(frame)))
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith(("LFQ intensity ", "iBAQ "))])
    frame.to_csv(tmp_path / "proteinGroups.txt", sep="\t", index=False)
    adata = read(tmp_path / "proteinGroups.txt")
    source = adata.uns["source"]
    assert source["quantity"] == "Reporter intensity corrected" and "6-plex" in source["format_version"]
    assert adata.n_obs == 12 and adata.obs_names[0] == "plexA 1" and adata.obs["plex"].tolist() == [6] * 12
    assert adata.obs["experiment"].tolist() == ["plexA"] * 6 + ["plexB"] * 6
    check_values(adata, frame, [f"Reporter intensity corrected {c} {e}" for e in ("plexA", "plexB") for c in range(1, 7)])
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert reasons["Intensity plexA"].startswith("quantity family 'Intensity'")
    assert reasons["Reporter intensity count 3 plexB"].startswith("count")


def test_perseus_name_column_flags_contaminants_and_decoys(tmp_path):
    frame = pd.DataFrame({
        "Name": ["P12345", "CON__P02769", "REV__Q9Y6R7", "P23456"], "T: Gene names": ["A", "B", "C", "D"],
        "s1": [20.1, 21.5, 19.2, 18.3], "s2": [20.5, 21.1, 19.9, 18.8],
    })
    frame.to_csv(tmp_path / "perseus.txt", sep="\t", index=False)
    adata = read(tmp_path / "perseus.txt", format="perseus")
    assert adata.var["is_contaminant"].tolist() == [False, True, False, False]
    assert adata.var["is_decoy"].tolist() == [False, False, True, False]


NON_PROTEIN = {
    "evidence.txt": (["Sequence", "Modified sequence", "Raw file", "Proteins", "Intensity"], "MaxQuant evidence.txt"),
    "allPeptides.txt": (["Raw file", "Charge", "m/z", "Number of isotopic peaks", "Mass deficit", "Intensity"], "allPeptides.txt"),
    "report.tsv": (["File.Name", "Run", "Protein.Group", "Precursor.Id", "PG.MaxLFQ"], "DIA-NN main report"),
    "report.pr_matrix.tsv": (["Protein.Group", "Genes", "Modified.Sequence", "Precursor.Id", "run1"], "precursor matrix"),
    "psm.tsv": (["Spectrum", "Peptide", "Protein", "Intensity"], "FragPipe psm.tsv"),
    "ion.tsv": (["Peptide Sequence", "Modified Sequence", "Charge", "Protein ID", "Intensity"], "FragPipe ion table"),
    "MSstats.csv": (["ProteinName", "PeptideSequence", "PrecursorCharge", "Run", "Condition", "Intensity"], "MSstats"),
    "precursors.tsv": (["precursor_idx", "pg", "run", "intensity"], "AlphaDIA precursor table"),
    "fragments.tsv": (["R.FileName", "PG.ProteinGroups", "F.FrgIon", "F.PeakArea"], "Spectronaut fragment report"),
    "results.sage.tsv": (["psm_id", "peptide", "proteins", "scannr", "sage_discriminant_score"], "Sage PSM table"),
    "lfq.tsv": (["peptide", "proteins", "q_value", "score", "run1.mzML"], "Sage peptide LFQ"),
}


@pytest.mark.parametrize("name", list(NON_PROTEIN))
def test_non_protein_tables_are_refused_naming_their_kind(tmp_path, name):
    columns, kind = NON_PROTEIN[name]
    frame = pd.DataFrame({c: ([f"P1234{i}" for i in range(3)] if i == 0 else [1.5, 2.5, 3.5]) for i, c in enumerate(columns)})
    frame.to_csv(tmp_path / name, sep="," if name.endswith(".csv") else "\t", index=False)
    for fmt in (None, "generic"):
        with pytest.raises(SecretomeInputError, match="instead|expected") as caught:
            read(tmp_path / name, format=fmt)
        assert kind in str(caught.value) and "not a protein-level quantity table" in str(caught.value)


def test_mztab_and_parquet_are_named(tmp_path):
    (tmp_path / "x.mzTab").write_text("MTD\tmzTab-version\t1.0.0\nMTD\tmzTab-mode\tSummary\n\nPRH\taccession\tdescription\nPRT\tP12345\tx\n")
    with pytest.raises(SecretomeInputError, match="this is an mzTab file"):
        read(tmp_path / "x.mzTab")
    (tmp_path / "report.parquet").write_bytes(b"PAR1" + bytes(200) + b"PAR1")
    with pytest.raises(SecretomeInputError, match="Parquet.*report.pg_matrix.tsv"):
        read(tmp_path / "report.parquet")


@pytest.mark.parametrize("name,kind", [("abundance_protein_MD.tsv", "log2 abundance"), ("ratio_protein_MD.tsv", "log2 ratio"),
                                       ("tmt_table.tsv", "log2 ratio")])
def test_tmt_integrator_channels_and_the_stated_kind(tmp_path, name, kind):
    rng = np.random.default_rng(4)
    n = 6
    frame = pd.DataFrame({"Index": [f"sp|P1{i:04d}|X{i}_HUMAN" for i in range(n)], "NumberPSM": rng.integers(1, 40, n),
                          "ProteinID": [f"P1{i:04d}" for i in range(n)], "MaxPepProb": rng.random(n),
                          "ReferenceIntensity": rng.normal(20, 1, n)})
    for channel in ("ctrl_1", "ctrl_2", "trt_1", "trt_2"):
        frame[channel] = rng.normal(0, 0.5, n) + (18 if "abundance" in name else 0)
    frame.to_csv(tmp_path / name, sep="\t", index=False)
    adata = read(tmp_path / name)
    source = adata.uns["source"]
    assert source["format"] == "tmt_integrator" and source["quantity"].startswith(kind) and source["is_log2"]
    assert list(adata.obs_names) == ["ctrl_1", "ctrl_2", "trt_1", "trt_2"] and "ReferenceIntensity" not in source["sample_columns"]
    correctly_rounded = pd.read_csv(tmp_path / name, sep="\t", float_precision="round_trip")
    np.testing.assert_array_equal(adata.X, correctly_rounded[["ctrl_1", "ctrl_2", "trt_1", "trt_2"]].to_numpy().T)


@pytest.mark.parametrize("id_column", ["pg", "pg.name"])
def test_alphadia_pg_matrix(tmp_path, id_column):
    frame = pd.DataFrame({id_column: ["P12345;P12346", "Q99999", "CON__P02769"]})
    if id_column == "pg.name":
        frame["pg.genes"] = ["G1", "G2", "ALB"]
    frame["run_01.raw"] = [1.5e6, 0.0, 3.0e5]
    frame["run_02.raw"] = [2.5e6, 4.0e4, np.nan]
    frame.to_csv(tmp_path / "pg.matrix.tsv", sep="\t", index=False)
    adata = read(tmp_path / "pg.matrix.tsv")
    assert adata.uns["source"]["format"] == "alphadia" and list(adata.obs_names) == ["run_01", "run_02"]
    np.testing.assert_array_equal(adata.X, [[1.5e6, np.nan, 3.0e5], [2.5e6, 4.0e4, np.nan]])
    assert adata.var["is_contaminant"].tolist() == [False, False, True]


def test_philosopher_layout_with_every_fragpipe_protein_column_is_not_read_as_fragpipe(tmp_path):
    """celegans_combined_protein.tsv (held-out batch 7): the older layout writes ten of FragPipe's own protein
    columns besides 'Protein Group' and 'SubGroup', which outscored the Philosopher evidence; it went to the
    FragPipe reader and was refused for lacking 'MaxLFQ Intensity'."""
    rows = []
    for i, (group, sub) in enumerate([(1, "a"), (1, "b"), (2, "a")]):
        row = {"Protein Group": group, "SubGroup": sub, "Protein": f"sp|P0279{i}|X{i}_CAEEL", "Protein ID": f"P0279{i}",
               "Entry Name": f"X{i}_CAEEL", "Gene Names": f"g{i}", "Protein Length": 462, "Coverage": 82.9,
               "Organism": "Caenorhabditis elegans", "Protein Existence": "1:Experimental evidence at protein level",
               "Description": f"Protein {i}", "Protein Probability": 1.0, "Top Peptide Probability": 0.999,
               "Unique Stripped Peptides": 9, "Summarized Total Spectral Count": 25, "Summarized Unique Spectral Count": 20,
               "Summarized Razor Spectral Count": 22, "Indistinguishable Proteins": ""}
        for j, sample in enumerate(["qx017084_EGFP_1", "qx017176_NSP2_1"]):
            for family in ("Total Spectral Count", "Unique Spectral Count", "Razor Spectral Count"):
                row[f"{sample} {family}"] = 3 + i + j
            for k, family in enumerate(("Total Intensity", "Unique Intensity", "Razor Intensity")):
                row[f"{sample} {family}"] = 1.5e6 * (i + 1) + j + k
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "combined_protein.tsv", sep="\t", index=False)
    adata = read(tmp_path / "combined_protein.tsv")
    assert adata.uns["source"]["format"] == "philosopher" and adata.uns["source"]["quantity"] == "Razor Intensity"
    assert list(adata.var_names) == ["1a", "1b", "2a"] and list(adata.obs_names) == ["qx017084_EGFP_1", "qx017176_NSP2_1"]
    check_values(adata, frame, ["qx017084_EGFP_1 Razor Intensity", "qx017176_NSP2_1 Razor Intensity"])
