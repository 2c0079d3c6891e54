"""Every reader on small tables the tests write themselves (no ../shared needed).

The ``write_*`` builders are also used by the bad-input, property and CLI tests.
"""

from __future__ import annotations

import gzip
import lzma
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import secretome
from secretome.errors import SecretomeInputError
from secretome.io import detect_log2, read, read_samples, summarize, summary_lines
from secretome.io.identifiers import canonical_accession, parse_member, parse_protein_groups, species_from_description

RNG = np.random.default_rng(7)
SAMPLES = ["S1", "S2", "S3"]


def intensities(n_rows: int, n_cols: int, zero_share: float = 0.2) -> np.ndarray:
    values = np.round(RNG.lognormal(mean=20, sigma=1.5, size=(n_rows, n_cols)), 1)
    values[RNG.random((n_rows, n_cols)) < zero_share] = 0.0
    return values


def maxquant_frame(n: int = 6, samples: list[str] = SAMPLES, contaminant_column: str = "Potential contaminant") -> pd.DataFrame:
    ids = [f"P{10000 + i};P{10000 + i}-2" for i in range(n)]
    ids[1] = "CON__P02769"
    ids[2] = "REV__Q9Y6R7"
    frame = pd.DataFrame({
        "Protein IDs": ids,
        "Majority protein IDs": [i.split(";")[0] for i in ids],
        "Protein names": [f"Protein {i}" for i in range(n)],
        "Gene names": [f"GENE{i};GENE{i}B" for i in range(n)],
        "Fasta headers": [f">sp|P{10000 + i}|PROT{i}_HUMAN Protein {i} OS=Homo sapiens OX=9606 GN=GENE{i}" for i in range(n)],
        "Peptides": np.arange(n) + 2,
        "Unique peptides": np.arange(n) + 1,
        "Intensity": np.arange(n) * 10.0,
    })
    frame.loc[1, "Fasta headers"] = ""
    for family, scale in (("Intensity", 1.0), ("LFQ intensity", 0.5), ("iBAQ", 0.01)):
        block = intensities(n, len(samples)) * scale
        for j, sample in enumerate(samples):
            frame[f"{family} {sample}"] = block[:, j]
    frame["iBAQ peptides"] = np.arange(n)
    frame["Reverse"] = ["", "", "+"] + [""] * (n - 3)
    frame[contaminant_column] = ["", "+"] + [""] * (n - 2)
    frame["Only identified by site"] = ["+"] + [""] * (n - 1)
    frame["id"] = np.arange(n)
    return frame


def write_maxquant(path: Path, **kwargs) -> pd.DataFrame:
    frame = maxquant_frame(**kwargs)
    frame.to_csv(path, sep="\t", index=False)
    return frame


def diann_frame(n: int = 5, version: int = 1) -> pd.DataFrame:
    frame = pd.DataFrame({
        "Protein.Group": [f"P{20000 + i};Q{20000 + i}" for i in range(n)],
        "Protein.Names": [f"PROT{i}_HUMAN;PROTQ{i}_BOVIN" for i in range(n)],
        "Genes": [f"G{i}" for i in range(n)],
        "First.Protein.Description": [f"Protein {i}" for i in range(n)],
    })
    if version == 1:
        frame.insert(1, "Protein.Ids", frame["Protein.Group"])
    else:
        frame["N.Sequences"] = np.arange(n) + 3
        frame["N.Proteotypic.Sequences"] = np.arange(n) + 1
    block = intensities(n, 3)
    block[block == 0] = np.nan
    for j, run in enumerate([r"D:\data\run A\S1.raw", "/data/S2.mzML", r"C:\x\S3.d"]):
        frame[run] = block[:, j]
    return frame


def fragpipe_frame(n: int = 5) -> pd.DataFrame:
    frame = pd.DataFrame({
        "Protein": [f"sp|P{30000 + i}|FP{i}_HUMAN" for i in range(n)],
        "Protein ID": [f"P{30000 + i}" for i in range(n)],
        "Entry Name": [f"FP{i}_HUMAN" for i in range(n)],
        "Gene": [f"FG{i}" for i in range(n)],
        "Organism": ["Homo sapiens"] * n,
        "Description": [f"Protein {i}" for i in range(n)],
        "Protein Probability": [1.0] * n,
        "Combined Total Peptides": np.arange(n) + 1,
        "Combined Spectral Count": np.arange(n) + 5,
    })
    frame.loc[1, "Protein"] = "contam_sp|P02769|ALBU_BOVIN"
    frame.loc[1, "Organism"] = "Bos taurus"
    frame.loc[1, "Entry Name"] = "ALBU_BOVIN"
    for family in ("Spectral Count", "Unique Spectral Count", "Total Spectral Count", "Intensity", "MaxLFQ Intensity"):
        block = intensities(n, 3)
        if "Count" in family:
            block = np.round(block / 1e8)
        for j, sample in enumerate(SAMPLES):
            frame[f"{sample} {family}"] = block[:, j]
    frame["Indistinguishable Proteins"] = ["", "", "sp|Q99999|OTHER_MOUSE", "", ""][:n]
    return frame


def peaks_frame(n: int = 5) -> pd.DataFrame:
    frame = pd.DataFrame({
        "Protein Group": np.arange(n) + 1,
        "Protein ID": np.arange(n) + 100,
        "Accession": [f"P{40000 + i}|PK{i}_HUMAN" for i in range(n)],
        "-10lgP": np.linspace(100, 300, n),
        "Coverage (%)": [50] * n,
    })
    for j, sample in enumerate(SAMPLES):
        frame[f"Area {sample}"] = intensities(n, 1)[:, 0]
    frame["#Peptides"] = np.arange(n) + 4
    frame["#Unique"] = np.arange(n) + 2
    for sample in SAMPLES:
        frame[f"#Spec {sample}"] = np.arange(n) + 1
    frame["Description"] = [f"Protein {i} OS=Bos taurus OX=9913 GN=PKG{i} PE=1 SV=1" for i in range(n)]
    return frame


def generic_frame(n: int = 8, log2: bool = False) -> pd.DataFrame:
    block = intensities(n, 4, zero_share=0.1)
    if log2:
        block = np.where(block > 0, np.round(np.log2(np.where(block > 0, block, 1)), 4), 0.0)
    frame = pd.DataFrame({"Protein": [f"sp|P{50000 + i}|GN{i}_HUMAN" for i in range(n)]})
    for j in range(4):
        frame[f"sample_{j + 1}"] = block[:, j]
    frame["Gene names"] = [f"GN{i}" for i in range(n)]
    return frame


def check_values(adata, frame: pd.DataFrame, columns: list[str]) -> None:
    """X equals the file's columns with zeros turned into NaN.

    pandas' fast C float parser (used for speed, like a bare ``pandas.read_csv``) may differ from the decimal
    text in the last binary digit, hence rtol=1e-15 rather than bit equality.
    """
    expected = frame[columns].to_numpy(dtype=float).T.copy()
    expected[expected == 0] = np.nan
    np.testing.assert_allclose(adata.X, expected, rtol=1e-15, atol=0)


# ---------------------------------------------------------------- MaxQuant

def test_maxquant_default_lfq_flags_peptides_species(tmp_path):
    frame = write_maxquant(tmp_path / "proteinGroups.txt")
    adata = read(tmp_path / "proteinGroups.txt")
    source = adata.uns["source"]
    assert source["format"] == "maxquant"
    assert source["quantity"] == "LFQ intensity"
    assert source["format_version"].startswith("1.6+")
    assert list(adata.obs_names) == SAMPLES and list(adata.obs["sample"]) == SAMPLES
    assert list(adata.var_names) == frame["Protein IDs"].tolist()
    check_values(adata, frame, [f"LFQ intensity {s}" for s in SAMPLES])
    assert source["n_zeros_to_nan"] == int((frame[[f"LFQ intensity {s}" for s in SAMPLES]] == 0).sum().sum())
    var = adata.var
    assert var["is_contaminant"].tolist() == [False, True, False, False, False, False]
    assert var["is_decoy"].tolist() == [False, False, True, False, False, False]
    assert var["only_identified_by_site"].tolist() == [True] + [False] * 5
    assert var.loc["CON__P02769", "leading_accession"] == "P02769"
    assert var.loc["REV__Q9Y6R7", "leading_accession"] == "Q9Y6R7"
    assert var["n_peptides"].tolist() == (np.arange(6) + 2).tolist()
    assert var["n_unique_peptides"].tolist() == (np.arange(6) + 1).tolist()
    assert var.iloc[0]["accessions"] == "P10000;P10000-2"
    assert var.iloc[0]["genes"] == "GENE0;GENE0B" and var.iloc[0]["gene"] == "GENE0"
    assert var.iloc[0]["species"].startswith("HUMAN")
    assert var.iloc[0]["description"] == "Protein 0"
    assert adata.X.dtype == np.float64 and adata.X.shape == (3, 6)
    assert source["is_log2"] is False and source["log2_evidence"] == "linear"
    assert source["sample_columns"] == [f"LFQ intensity {s}" for s in SAMPLES]
    assert len(source["sha256"]) == 64
    assert adata.uns["provenance"][-1]["step"] == "read"


@pytest.mark.parametrize("quantity,prefix", [("Intensity", "Intensity"), ("iBAQ", "iBAQ"), ("ibaq", "iBAQ")])
def test_maxquant_quantity_choice(tmp_path, quantity, prefix):
    frame = write_maxquant(tmp_path / "pg.txt")
    adata = read(tmp_path / "pg.txt", quantity=quantity)
    assert adata.uns["source"]["quantity"] == prefix
    check_values(adata, frame, [f"{prefix} {s}" for s in SAMPLES])
    assert "iBAQ peptides" not in adata.uns["source"]["sample_columns"]


def test_maxquant_species_follow_each_members_own_fasta_header(tmp_path):
    # MaxQuant's contaminants.fasta headers carry no UniProt entry name ("P02769 SWISS-PROT:P02769 (Bos taurus)
    # ..."); the human member's header does. The one entry name found must not be given to the bovine member.
    frame = pd.DataFrame({
        "Protein IDs": ["CON__P02769;P02768", "P01112;CON__Q3SZR3"],
        "Fasta headers": [
            "P02769 SWISS-PROT:P02769 (Bos taurus) Bovine serum albumin precursor;"
            ">sp|P02768|ALBU_HUMAN Serum albumin OS=Homo sapiens OX=9606 GN=ALB PE=1 SV=2",
            "sp|P01112|RASH_HUMAN GTPase HRas OS=Homo sapiens OX=9606 GN=HRAS PE=1 SV=1;"
            "Q3SZR3 TREMBL:Q3SZR3 (Bos taurus) Alpha-1-acid glycoprotein",
        ],
        "Gene names": ["ALB", "HRAS"],
        "LFQ intensity A": [1e6, 2e6], "LFQ intensity B": [1.5e6, 3e6],
        "Potential contaminant": ["+", "+"], "Reverse": ["", ""],
    })
    frame.to_csv(tmp_path / "proteinGroups.txt", sep="\t", index=False)
    adata = read(tmp_path / "proteinGroups.txt")
    assert adata.var["species"].tolist() == ["BOVIN;HUMAN", "HUMAN;BOVIN"]
    assert adata.var["description"].tolist() == frame["Fasta headers"].tolist()  # still all headers, as given


def test_maxquant_without_lfq_defaults_to_intensity_and_old_version(tmp_path):
    frame = maxquant_frame(contaminant_column="Contaminant")
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("LFQ intensity ")])
    frame.to_csv(tmp_path / "pg.txt", sep="\t", index=False)
    adata = read(tmp_path / "pg.txt")
    assert adata.uns["source"]["quantity"] == "Intensity"
    assert adata.uns["source"]["format_version"].startswith("1.5")
    assert adata.var["is_contaminant"].sum() == 1


def test_maxquant_28_decoy_column(tmp_path):
    frame = maxquant_frame().rename(columns={"Reverse": "Decoy"})
    frame.to_csv(tmp_path / "pg.txt", sep="\t", index=False)
    adata = read(tmp_path / "pg.txt")
    assert adata.uns["source"]["format_version"].startswith("2.8+")
    assert adata.var["is_decoy"].tolist() == [False, False, True, False, False, False]


def test_maxquant_unknown_quantity_lists_available(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    with pytest.raises(SecretomeInputError, match="LFQ intensity"):
        read(tmp_path / "pg.txt", quantity="Spectral Count")


# ---------------------------------------------------------------- DIA-NN

@pytest.mark.parametrize("version,label,peptides", [(1, "1.x", False), (2, "2.x", True)])
def test_diann_versions_and_path_stems(tmp_path, version, label, peptides):
    frame = diann_frame(version=version)
    frame.to_csv(tmp_path / "report.pg_matrix.tsv", sep="\t", index=False)
    adata = read(tmp_path / "report.pg_matrix.tsv")
    source = adata.uns["source"]
    assert source["format"] == "diann" and source["format_version"].startswith(label)
    assert list(adata.obs_names) == SAMPLES
    runs = [c for c in frame.columns if c not in ("Protein.Group", "Protein.Ids", "Protein.Names", "Genes",
                                                  "First.Protein.Description", "N.Sequences", "N.Proteotypic.Sequences")]
    check_values(adata, frame, runs)
    assert adata.var.iloc[0]["species"] == "HUMAN;BOVIN"
    assert adata.var.iloc[0]["gene"] == "G0"
    assert np.isnan(adata.var["n_peptides"]).all() != peptides


def test_diann_sample_sheet_by_stem(tmp_path):
    diann_frame().to_csv(tmp_path / "pg.tsv", sep="\t", index=False)
    sheet = pd.DataFrame({"sample": ["S3", "S1", "S2"], "condition": ["b", "a", "a"], "lot": [3, 1, 2]})
    adata = read(tmp_path / "pg.tsv", samples=sheet)
    assert adata.obs["condition"].tolist() == ["a", "a", "b"]
    assert adata.obs["lot"].tolist() == [1, 2, 3]
    assert adata.obs["sample"].tolist() == SAMPLES


# ---------------------------------------------------------------- FragPipe

@pytest.mark.parametrize("quantity", [None, "Intensity", "Spectral Count"])
def test_fragpipe_families(tmp_path, quantity):
    frame = fragpipe_frame()
    frame.to_csv(tmp_path / "combined_protein.tsv", sep="\t", index=False)
    adata = read(tmp_path / "combined_protein.tsv", quantity=quantity)
    family = quantity or "MaxLFQ Intensity"
    assert adata.uns["source"]["format"] == "fragpipe"
    assert adata.uns["source"]["quantity"] == family
    check_values(adata, frame, [f"{s} {family}" for s in SAMPLES])
    var = adata.var
    assert var.iloc[1]["is_contaminant"] and var.iloc[1]["species"] == "BOVIN"
    assert var.iloc[2]["accessions"] == "P30002;Q99999" and var.iloc[2]["species"] == "HUMAN;MOUSE"
    assert var["n_peptides"].tolist() == [1, 2, 3, 4, 5]


def test_fragpipe_sheet_with_quantity_words(tmp_path):
    fragpipe_frame().to_csv(tmp_path / "cp.tsv", sep="\t", index=False)
    sheet = pd.DataFrame({"Sample": [f"{s} MaxLFQ" for s in SAMPLES], "Donor": [1, 2, 3]})
    sheet.to_excel(tmp_path / "sheet.xlsx", index=False)
    adata = read(tmp_path / "cp.tsv", samples=tmp_path / "sheet.xlsx")
    assert adata.obs["Donor"].tolist() == [1, 2, 3]
    assert adata.obs["Sample"].tolist() == [f"{s} MaxLFQ" for s in SAMPLES]


# ---------------------------------------------------------------- Spectronaut

def spectronaut_long(n_proteins: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    values = np.round(RNG.lognormal(15, 1, size=(n_proteins, 3)), 2)
    rows = []
    for run_index, run in enumerate(["runA.raw", "runB.raw", "runC.raw"]):
        for p in range(n_proteins):
            for _ in range(2):  # precursor-level: PG.Quantity repeated
                rows.append({
                    "R.Condition": "ctrl" if run_index < 2 else "treated",
                    "R.FileName": run,
                    "R.Replicate": run_index + 1,
                    "PG.ProteinGroups": f"P{60000 + p};P{60100 + p}",
                    "PG.Genes": f"SG{p}",
                    "PG.ProteinNames": f"SP{p}_HUMAN;SQ{p}_HUMAN",
                    "PG.Quantity": "Filtered" if (p == 0 and run_index == 2) else values[p, run_index],
                })
    values[0, 2] = np.nan
    return pd.DataFrame(rows), values


def test_spectronaut_long_collapses_repeats_and_keeps_conditions(tmp_path):
    frame, values = spectronaut_long()
    frame.to_csv(tmp_path / "report.tsv", sep="\t", index=False)
    adata = read(tmp_path / "report.tsv")
    assert adata.uns["source"]["format"] == "spectronaut"
    assert adata.uns["source"]["format_version"].startswith("long")
    assert list(adata.obs_names) == ["runA", "runB", "runC"]
    assert adata.obs["condition"].tolist() == ["ctrl", "ctrl", "treated"]
    np.testing.assert_array_equal(adata.X, values.T)
    assert adata.var.iloc[0]["species"] == "HUMAN;HUMAN"


def test_spectronaut_long_conflicting_repeats_is_an_error(tmp_path):
    frame, _ = spectronaut_long()
    frame.loc[1, "PG.Quantity"] = 1.0
    frame.to_csv(tmp_path / "report.tsv", sep="\t", index=False)
    with pytest.raises(SecretomeInputError, match="different PG.Quantity"):
        read(tmp_path / "report.tsv")


def test_spectronaut_pivot_with_filtered_and_nan_strings(tmp_path):
    frame = pd.DataFrame({
        "PG.ProteinGroups": ["P11111", "P22222;P33333", "P44444"],
        "PG.Genes": ["A", "B;C", "D"],
        "[1] s1.raw.PG.Quantity": ["10.5", "Filtered", "7"],
        "[2] s2.PG.Quantity": ["NaN", "3.25", "8"],
    })
    frame.to_csv(tmp_path / "pivot.csv", index=False)
    adata = read(tmp_path / "pivot.csv")
    assert adata.uns["source"]["format"] == "spectronaut"
    assert list(adata.obs_names) == ["s1", "s2"]
    np.testing.assert_array_equal(adata.X, np.array([[10.5, np.nan, 7], [np.nan, 3.25, 8]]))


# ---------------------------------------------------------------- PEAKS

@pytest.mark.parametrize("quantity,prefix", [(None, "Area"), ("#Spec", "#Spec")])
def test_peaks_area_and_spectra(tmp_path, quantity, prefix):
    frame = peaks_frame()
    frame.to_excel(tmp_path / "peaks.xlsx", index=False)
    adata = read(tmp_path / "peaks.xlsx", quantity=quantity)
    assert adata.uns["source"]["format"] == "peaks" and adata.uns["source"]["quantity"] == prefix
    check_values(adata, frame, [f"{prefix} {s}" for s in SAMPLES])
    var = adata.var
    assert var.iloc[0]["leading_accession"] == "P40000"
    assert var.iloc[0]["species"] == "HUMAN"  # entry name wins over OS=
    assert var.iloc[0]["gene"] == "PKG0"  # GN= in the description
    assert var["n_unique_peptides"].tolist() == [2, 3, 4, 5, 6]


# ---------------------------------------------------------------- Perseus

def test_perseus_type_row_and_categories(tmp_path):
    text = (
        "A\tB\tC\tProtein IDs\tGene names\tStudent's T-test p-value\n"
        "#!{Type}E\tE\tE\tT\tT\tN\n"
        "#!{C:Group}ctrl\tctrl\tras\t\t\t\n"
        "25.5\t26.25\tNaN\tP01112;P01112-2\tHRAS\t0.01\n"
        "20.125\t0\t21.5\tCON__P02768\tALB\t0.5\n"
    )
    (tmp_path / "perseus.txt").write_text(text)
    adata = read(tmp_path / "perseus.txt")
    source = adata.uns["source"]
    assert source["format"] == "perseus" and "#!{Type}" in source["format_version"]
    assert list(adata.obs_names) == ["A", "B", "C"]
    assert adata.obs["Group"].tolist() == ["ctrl", "ctrl", "ras"]
    np.testing.assert_array_equal(adata.X, np.array([[25.5, 20.125], [26.25, np.nan], [np.nan, 21.5]]))
    assert source["is_log2"] and source["log2_evidence"] == "detected"
    assert source["n_zeros_to_nan"] == 1
    assert adata.var["is_contaminant"].tolist() == [False, True]


def test_perseus_export_of_maxquant_28_keeps_decoy_flags(tmp_path):
    # MaxQuant 2.8 renamed 'Reverse' to 'Decoy'; a Perseus export of such a table must keep the flag.
    text = (
        "A\tB\tProtein IDs\tDecoy\tPotential contaminant\tPeptides\n"
        "#!{Type}E\tE\tT\tC\tC\tN\n"
        "25.5\t26.25\tP01112\t\t\t4\n"
        "20.125\t21.5\tQ9Y6R7\t+\t\t1\n"
        "22.0\t23.5\tP02768\t\t+\t7\n"
    )
    (tmp_path / "perseus.txt").write_text(text)
    adata = read(tmp_path / "perseus.txt")
    assert adata.uns["source"]["format"] == "perseus"
    assert adata.var["is_decoy"].tolist() == [False, True, False]
    assert adata.var["is_contaminant"].tolist() == [False, False, True]
    assert adata.var["n_peptides"].tolist() == [4, 1, 7]


def test_perseus_prefixed_columns_skip_statistics_and_group_means(tmp_path):
    data = RNG.normal(25, 2, size=(6, 4)).round(4)
    frame = pd.DataFrame({"T: Protein IDs": [f"P{70000 + i}" for i in range(6)], "T: Gene names": [f"G{i}" for i in range(6)]})
    for j, name in enumerate(["ctrl_1", "ctrl_2", "ras_1", "ras_2"]):
        frame[name] = data[:, j]
    frame["ctrl"] = data[:, :2].mean(axis=1)
    frame["ras"] = data[:, 2:].mean(axis=1)
    frame["-Log10 p-value"] = RNG.random(6)
    frame["log2 difference"] = RNG.normal(0, 1, 6)
    frame.to_csv(tmp_path / "perseus.csv", index=False, encoding="utf-8-sig")
    adata = read(tmp_path / "perseus.csv")
    assert adata.uns["source"]["format"] == "perseus"
    assert list(adata.obs_names) == ["ctrl_1", "ctrl_2", "ras_1", "ras_2"]
    assert set(adata.uns["source"]["ignored_columns"]) >= {"ctrl", "ras", "-Log10 p-value", "log2 difference"}
    np.testing.assert_allclose(adata.X, data.T)


# ---------------------------------------------------------------- generic

@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".csv.gz", ".tsv.xz", ".csv.zip"])
def test_generic_all_containers(tmp_path, suffix):
    frame = generic_frame()
    path = tmp_path / f"matrix{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        text = frame.to_csv(sep="\t" if ".tsv" in suffix else ",", index=False).encode()
        if suffix.endswith(".gz"):
            text = gzip.compress(text)
        elif suffix.endswith(".xz"):
            text = lzma.compress(text)
        elif suffix.endswith(".zip"):
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("matrix.csv", text)
        if not suffix.endswith(".zip"):
            path.write_bytes(text)
    adata = read(path)
    assert adata.uns["source"]["format"] == "generic"
    assert list(adata.obs_names) == [f"sample_{j}" for j in range(1, 5)]
    check_values(adata, frame, [f"sample_{j}" for j in range(1, 5)])
    assert adata.var["gene"].tolist() == frame["Gene names"].tolist()
    assert adata.uns["source"]["is_log2"] is False


def test_generic_log2_detected_declared_never_transformed(tmp_path):
    frame = generic_frame(log2=True)
    frame.to_csv(tmp_path / "log2.csv", index=False)
    detected = read(tmp_path / "log2.csv")
    assert detected.uns["source"]["is_log2"] and detected.uns["source"]["log2_evidence"] == "detected"
    check_values(detected, frame, [f"sample_{j}" for j in range(1, 5)])
    declared = read(tmp_path / "log2.csv", is_log2=False)
    assert declared.uns["source"]["is_log2"] is False and declared.uns["source"]["log2_evidence"] == "declared"
    np.testing.assert_array_equal(declared.X, detected.X)


def test_centred_log2_table_keeps_its_zeros(tmp_path):
    # A median-centred log2 matrix (as Perseus' "subtract median" writes it): each sample's median protein is
    # exactly 0.0, a real value (no change from the median), not an engine's missing-value zero.
    raw = np.round(RNG.normal(25, 2, size=(7, 3)), 4)
    centred = raw - np.median(raw, axis=0)
    frame = pd.DataFrame({"Protein IDs": [f"P{61000 + i}" for i in range(7)]})
    for j in range(3):
        frame[f"s{j}"] = centred[:, j]
    frame.to_csv(tmp_path / "centred.tsv", sep="\t", index=False)
    adata = read(tmp_path / "centred.tsv")
    source = adata.uns["source"]
    assert source["is_log2"] and source["log2_evidence"] == "detected"
    np.testing.assert_allclose(adata.X, centred.T, rtol=1e-12, atol=1e-12)  # nothing turned into NaN
    assert source["n_zeros_to_nan"] == 0 and source["n_zeros_kept"] == 3
    assert ("zeros kept as values", "3 (signed log2 data: 0 is a value, not missing)") in summary_lines(summarize(adata))
    # Log2 intensities (all positive) still treat 0 as the engine's missing value.
    frame["s0"] = np.where(np.arange(7) == 2, 0.0, raw[:, 0])
    frame["s1"], frame["s2"] = raw[:, 1], raw[:, 2]
    frame.to_csv(tmp_path / "intensity.tsv", sep="\t", index=False)
    intensity = read(tmp_path / "intensity.tsv")
    assert np.isnan(intensity.X[0, 2]) and intensity.uns["source"]["n_zeros_to_nan"] == 1


def test_generic_gene_identifiers_made_unique_and_counted(tmp_path):
    frame = pd.DataFrame({"Gene names": ["A", "B", "A", "A"], "x1": [1.5, 2, 3, 4], "x2": [5, 6, 7.25, 8]})
    frame.to_csv(tmp_path / "g.csv", index=False)
    with pytest.warns(UserWarning, match="made unique"):
        adata = read(tmp_path / "g.csv")
    assert list(adata.var_names) == ["A", "B", "A#2", "A#3"]
    assert adata.var["protein_group"].tolist() == ["A", "B", "A", "A"]
    assert adata.uns["source"]["n_duplicate_ids_suffixed"] == 2


def test_generic_r_row_names_and_semicolon_decimal_comma(tmp_path):
    (tmp_path / "r.csv").write_text('"Gene names","a","b"\n"1","X",1.5,2.5\n"2","Y",3,4\n')
    adata = read(tmp_path / "r.csv")
    assert list(adata.var_names) == ["X", "Y"]
    np.testing.assert_array_equal(adata.X, [[1.5, 3], [2.5, 4]])
    (tmp_path / "eu.csv").write_text("Protein;s1;s2\nP12345;1,5;2,25\nP23456;3,5;4\n")
    adata = read(tmp_path / "eu.csv")
    np.testing.assert_array_equal(adata.X, [[1.5, 3.5], [2.25, 4]])


def test_generic_excludes_category_codes(tmp_path):
    n = 60
    frame = pd.DataFrame({"Protein": [f"P{80000 + i}" for i in range(n)], "s1": RNG.lognormal(20, 1, n),
                          "O2.percent": RNG.choice([1, 3, 8], n)})
    frame.to_csv(tmp_path / "c.csv", index=False)
    adata = read(tmp_path / "c.csv")
    assert list(adata.obs_names) == ["s1"] and adata.uns["source"]["ignored_columns"] == ["O2.percent"]


def test_generic_count_matrix_keeps_a_sparse_sample(tmp_path):
    # Spectral counts are integers; a low-depth sample has few distinct counts (0-9) but is a sample, not a
    # category code like O2.percent: it was silently left out.
    rng = np.random.default_rng(1)
    n = 80
    frame = pd.DataFrame({"Protein": [f"P{80000 + i}" for i in range(n)], "s1": rng.poisson(30, n),
                          "s2": rng.poisson(25, n), "s3": rng.poisson(2, n)})
    frame.to_csv(tmp_path / "counts.csv", index=False)
    adata = read(tmp_path / "counts.csv")
    assert list(adata.obs_names) == ["s1", "s2", "s3"] and adata.uns["source"]["ignored_columns"] == []
    expected = frame["s3"].to_numpy(dtype=float)
    expected[expected == 0] = np.nan
    np.testing.assert_array_equal(adata.X[2], expected)


def test_utf16_and_bom_text(tmp_path):
    frame = generic_frame()
    (tmp_path / "u16.txt").write_bytes(frame.to_csv(sep="\t", index=False).encode("utf-16"))
    check_values(read(tmp_path / "u16.txt"), frame, [f"sample_{j}" for j in range(1, 5)])


# ---------------------------------------------------------------- identifiers, log2 rule, sheets, summary

@pytest.mark.parametrize("token,accession,entry,decoy,contaminant", [
    ("sp|P02768|ALBU_HUMAN", "P02768", "ALBU_HUMAN", False, False),
    ("tr|A0A024R161|A0A024R161_HUMAN", "A0A024R161", "A0A024R161_HUMAN", False, False),
    ("CON__P02769", "P02769", "", False, True),
    ("contam_sp|P00761|TRYP_PIG", "P00761", "TRYP_PIG", False, True),
    ("Cont_Q04695", "Q04695", "", False, True),
    ("REV__CON__P02769", "P02769", "", True, True),
    ("rev_sp|P12345|X_HUMAN", "P12345", "X_HUMAN", True, False),
    ("P02768-2", "P02768-2", "", False, False),
    ("ALBU_BOVIN", "ALBU_BOVIN", "ALBU_BOVIN", False, False),
    ("sp|ALBU_BOVIN|", "ALBU_BOVIN", "ALBU_BOVIN", False, False),
    ("P35579|MYH9_HUMAN", "P35579", "MYH9_HUMAN", False, False),
])
def test_parse_member(token, accession, entry, decoy, contaminant):
    member = parse_member(token)
    assert (member.accession, member.entry_name, member.is_decoy, member.is_contaminant) == (accession, entry, decoy, contaminant)


def test_identifier_species_sources():
    assert canonical_accession("P02768-2") == "P02768" and canonical_accession("P02768") == "P02768"
    assert species_from_description("Serum albumin OS=Bos taurus OX=9913 GN=ALB") == "BOVIN"
    assert species_from_description("Trypsin OS=Sus scrofa GN=x") == "PIG"
    assert species_from_description("no organism") == ""
    ids = parse_protein_groups(["ALBU_BOVIN;P02768", "Q1;Q2"], organisms=["", "Homo sapiens;Bos taurus"])
    assert ids["species"].tolist() == ["BOVIN;", "HUMAN;BOVIN"]
    genes = parse_protein_groups(["COL6A3"], kind="gene")
    assert genes.iloc[0]["accessions"] == "" and genes.iloc[0]["gene"] == "COL6A3"


def test_log2_rule():
    assert detect_log2(np.array([[20.5, 25.25], [30.1, np.nan]]))
    assert detect_log2(np.array([[-1.5, 0.25], [2.1, 0.3]]))  # centred log2 ratios
    assert not detect_log2(np.array([[1e6, 2.5e7], [3e5, 0.0]]))
    assert not detect_log2(np.array([[12.0, 30.0], [7.0, 9.0]]))  # integer counts
    assert not detect_log2(np.array([[np.nan]]))


def test_sample_sheet_reading_and_mismatch_message(tmp_path):
    (tmp_path / "s.tsv").write_text("Sample Name\tcondition\tpassage\nS1\tA\t3\nS2\tB\t4\nS4\tB\t5\n")
    sheet = read_samples(tmp_path / "s.tsv")
    assert list(sheet.index) == ["S1", "S2", "S4"] and sheet["passage"].tolist() == [3, 4, 5]
    write_maxquant(tmp_path / "pg.txt")
    with pytest.raises(SecretomeInputError) as caught:
        read(tmp_path / "pg.txt", samples=tmp_path / "s.tsv")
    message = str(caught.value)
    assert "'S4' (closest: 'S3')" in message and "'S3' (closest: 'S4')" in message and "s.tsv" in message


def test_sample_sheet_names_with_leading_zeros_keep_them(tmp_path):
    # Names such as 001 are common; read as numbers they became '1' and could never match the data's '001'.
    pd.DataFrame({"Protein IDs": ["P12345", "P23456"], "001": [1.5, 2.5], "002": [3.5, 4.5]}).to_csv(
        tmp_path / "data.tsv", sep="\t", index=False
    )
    (tmp_path / "sheet.csv").write_text("sample,lot,passage,donor\n002,B,4,007\n001,A,3,008\n")
    sheet = read_samples(tmp_path / "sheet.csv")
    assert list(sheet.index) == ["002", "001"]
    assert sheet["passage"].tolist() == [4, 3] and sheet["passage"].dtype.kind == "i"  # numeric columns stay numeric
    adata = read(tmp_path / "data.tsv", samples=tmp_path / "sheet.csv")
    assert list(adata.obs_names) == ["001", "002"] and adata.obs["lot"].tolist() == ["A", "B"]


def test_summarize_counts(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    adata = read(tmp_path / "pg.txt")
    summary = summarize(adata)
    assert summary["n_proteins"] == 6 and summary["n_samples"] == 3
    assert (summary["n_decoy"], summary["n_contaminant"], summary["n_only_identified_by_site"]) == (1, 1, 1)
    assert summary["n_flagged"] == 3
    assert summary["missing_share"] == pytest.approx(float(np.isnan(adata.X).mean()))


def test_package_exports_read():
    assert secretome.read is read and secretome.read_samples is read_samples


def test_trailing_delimiters_crlf_and_blank_lines(tmp_path):
    (tmp_path / "header_tab.tsv").write_text("Protein\ts1\ts2\t\nP12345\t1\t2\nP23456\t3\t4\n")
    np.testing.assert_array_equal(read(tmp_path / "header_tab.tsv").X, [[1, 3], [2, 4]])
    (tmp_path / "all_tabs.tsv").write_text("Protein\ts1\ts2\t\nP12345\t1\t2\t\n\nP23456\t3\t4\t\n")
    adata = read(tmp_path / "all_tabs.tsv")
    np.testing.assert_array_equal(adata.X, [[1, 3], [2, 4]])
    frame = maxquant_frame()
    (tmp_path / "crlf.txt").write_bytes(frame.to_csv(sep="\t", index=False).replace("\n", "\r\n").encode())
    check_values(read(tmp_path / "crlf.txt"), frame, [f"LFQ intensity {s}" for s in SAMPLES])


def test_generic_skips_numeric_id_like_columns_and_property_columns(tmp_path):
    frame = pd.DataFrame({
        "Protein ID": [115, 47, 76], "Accession": ["Q09666", "P35579", "Q15149"], "Mass": [629114.0, 226530.0, 531796.0],
        "s1": [1.5e6, 2.5e5, 3.0e4], "s2": [2.5e6, 0.0, 4.0e4],
    })
    frame.to_csv(tmp_path / "ids.csv", index=False)
    adata = read(tmp_path / "ids.csv", format="generic")
    assert adata.uns["source"]["identifier_column"] == "Accession"
    assert list(adata.obs_names) == ["s1", "s2"]
    assert set(adata.uns["source"]["ignored_columns"]) == {"Protein ID", "Mass"}


def test_single_column_sample_sheet(tmp_path):
    (tmp_path / "names.txt").write_text("sample\nS2\nS1\nS3\n")
    write_maxquant(tmp_path / "pg.txt")
    adata = read(tmp_path / "pg.txt", samples=tmp_path / "names.txt")
    assert list(adata.obs.columns) == ["sample"] and list(adata.obs_names) == SAMPLES


def test_sheet_dataframe_indexed_by_sample(tmp_path):
    write_maxquant(tmp_path / "pg.txt")
    sheet = pd.DataFrame({"donor": ["d1", "d2", "d3"]}, index=pd.Index(["S3", "S2", "S1"], name="run"))
    adata = read(tmp_path / "pg.txt", samples=sheet)
    assert adata.obs["donor"].tolist() == ["d3", "d2", "d1"]
