"""Every documented version of the engines' protein outputs reads (or is refused naming what it is).

Each test writes a small file with the header an engine version documents (see docs/reader-versions.md for
the table and its sources) and a few rows, then checks the format, the quantity family, the samples and the
values read. The layouts come from the engines' documentation, not from any held-out file.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read

ACC = ["P02750", "P02751", "Q99999", "P12345"]
RUNS = ["S1", "S2", "S3", "S4"]


def write(path: Path, frame: pd.DataFrame, sep: str = "\t", preamble: str = "") -> Path:
    """``frame`` as text with ``preamble`` lines above its header."""
    path.write_text(preamble + frame.to_csv(sep=sep, index=False), encoding="utf-8")
    return path


def values(n_rows: int, n_cols: int, seed: int = 3) -> np.ndarray:
    """Positive intensities with one decimal (exact in text)."""
    return np.round(np.random.default_rng(seed).lognormal(18, 1, (n_rows, n_cols)), 1)


def quiet_read(path: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read(path, **kwargs)


def check(adata, frame: pd.DataFrame, columns: list[str], fmt: str, quantity: str, names: list[str]) -> None:
    """Format, quantity, sample names and values (exactly the file's columns) of a read."""
    source = adata.uns["source"]
    assert (source["format"], source["quantity"]) == (fmt, quantity)
    assert list(adata.obs_names) == names
    assert list(source["sample_columns"]) == columns
    expected = frame[columns].to_numpy(dtype=float).T
    expected[expected == 0] = np.nan
    np.testing.assert_allclose(adata.X, expected, rtol=1e-15, atol=0)


# ---------------------------------------------------------------- PEAKS

def peaks_front(n: int, significance: str = "-10lgP") -> pd.DataFrame:
    return pd.DataFrame({
        "Protein Group": np.arange(n) + 1, "Protein ID": np.arange(n) + 10,
        "Accession": [f"{a}|X{i}_HUMAN" for i, a in enumerate(ACC[:n])], significance: np.linspace(40, 200, n),
        "Coverage (%)": [12] * n, "#Peptides": [5] * n, "#Unique": [3] * n, "PTM": [""] * n,
        "Avg. Mass": [51234.5] * n, "Description": [f"Protein {i} OS=Homo sapiens GN=G{i}" for i in range(n)],
    })


@pytest.mark.parametrize("spell,quantity,names", [
    ("Area {s}", "Area", RUNS),                       # PEAKS X / Xpro: family word first
    ("{s} Area", "Area", RUNS),                       # PEAKS 8.5 / Studio: sample first
    ("{s}.raw Area", "Area", RUNS),                   # PEAKS Studio 11+: the raw file heads the column
    ("Intensity {s}", "Intensity", RUNS),
    ("{s}.raw Normalized Area", "Normalized Area", RUNS),
    ("#Spec {s}", "#Spec", RUNS),
])
def test_peaks_families_written_before_or_after_the_sample(tmp_path, spell, quantity, names):
    frame = peaks_front(4)
    columns = [spell.format(s=s) for s in RUNS]
    frame[columns] = values(4, 4)
    adata = quiet_read(write(tmp_path / "proteins.csv", frame, sep=","))
    check(adata, frame, columns, "peaks", quantity, names)
    assert adata.var["leading_accession"].tolist() == ACC


def test_peaks_normalised_area_is_the_default_beside_area_and_counts(tmp_path):
    frame = peaks_front(4)
    for family in ("Area", "Normalized Area"):
        frame[[f"{s}.raw {family}" for s in RUNS]] = values(4, 4, seed=len(family))
    frame[[f"#Spec {s}" for s in RUNS]] = 3
    path = write(tmp_path / "proteins.csv", frame, sep=",")
    check(quiet_read(path), frame, [f"{s}.raw Normalized Area" for s in RUNS], "peaks", "Normalized Area", RUNS)
    check(quiet_read(path, quantity="Area"), frame, [f"{s}.raw Area" for s in RUNS], "peaks", "Area", RUNS)
    source = quiet_read(path).uns["source"]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert "S1.raw Area" in reasons and "#Spec S4" in reasons


def test_peaks_lfq_export_reads_sample_areas_not_group_means(tmp_path):
    """PEAKS Q (8.5/X) LFQ protein export: bare sample names between 'Avg. Area' and 'Sample Profile
    (Ratio)', then one mean column per group up to 'Group Profile (Ratio)'."""
    frame = peaks_front(4, significance="Significance").drop(columns=["Protein Group"])
    frame["Avg. Area"] = 1e6
    samples = ["CatA_1", "CatA_2", "CatB_1", "CatB_2"]
    frame[samples] = values(4, 4)
    frame["Sample Profile (Ratio)"] = "1.00:0.90:0.80:1.10"
    frame[["CatA", "CatB"]] = values(4, 2, seed=9)
    frame["Group Profile (Ratio)"], frame["Max Ratio"], frame["#Vector"] = "1.00:0.95", 1.2, 3
    adata = quiet_read(write(tmp_path / "lfq.proteins.csv", frame, sep=","))
    check(adata, frame, samples, "peaks", "Area", samples)
    source = adata.uns["source"]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert "group" in reasons["CatA"] and "CatB" in reasons
    assert not {"Avg. Area", "CatA", "CatB", "Max Ratio"} & set(source["sample_columns"])


# ---------------------------------------------------------------- DIA-NN

DIANN_PROTEIN_COLUMNS = {
    "1.7-1.8": ["Protein.Group", "Protein.Ids", "Protein.Names", "Genes", "First.Protein.Description"],
    "1.9": ["Protein.Group", "Protein.Names", "Genes", "First.Protein.Description"],
    "2.x": ["Protein.Group", "Protein.Names", "Genes", "First.Protein.Description", "N.Sequences",
            "N.Proteotypic.Sequences"],
}
DIANN_RUNS = {
    "windows .raw": [f"D:\\data\\2024\\run_{s}.raw" for s in RUNS],
    "posix .d": [f"/data/timsTOF/run_{s}.d" for s in RUNS],
    "converted .mzML.dia": [f"G:\\dia\\mzml\\run_{s}.mzML.dia" for s in RUNS],
}


def diann_annotations(columns: list[str], n: int = 4) -> pd.DataFrame:
    known = {
        "Protein.Group": ACC[:n], "Protein.Ids": ACC[:n], "Protein.Names": [f"X{i}_HUMAN" for i in range(n)],
        "Genes": [f"G{i}" for i in range(n)], "First.Protein.Description": [f"Protein {i}" for i in range(n)],
        "N.Sequences": [7] * n, "N.Proteotypic.Sequences": [4] * n,
    }
    return pd.DataFrame({c: known[c] for c in columns})


@pytest.mark.parametrize("runs", DIANN_RUNS)
@pytest.mark.parametrize("version", DIANN_PROTEIN_COLUMNS)
def test_diann_pg_matrix_of_every_version(tmp_path, version, runs):
    frame = diann_annotations(DIANN_PROTEIN_COLUMNS[version])
    frame[DIANN_RUNS[runs]] = values(4, 4)
    adata = quiet_read(write(tmp_path / "report.pg_matrix.tsv", frame))
    check(adata, frame, DIANN_RUNS[runs], "diann", "PG.MaxLFQ", [f"run_{s}" for s in RUNS])
    assert adata.var["leading_accession"].tolist() == ACC
    assert version.split("-")[0].split(".")[0] in adata.uns["source"]["format_version"]


@pytest.mark.parametrize("name,quantity", [
    ("report.gg_matrix.tsv", "Genes.MaxLFQ"), ("report.unique_genes_matrix.tsv", "Genes.MaxLFQ.Unique"),
])
@pytest.mark.parametrize("extra", [[], ["N.Sequences", "N.Proteotypic.Sequences"]])
def test_diann_gene_matrices_read_keyed_on_genes(tmp_path, name, quantity, extra):
    frame = diann_annotations(["Genes", *extra])
    frame[DIANN_RUNS["windows .raw"]] = values(4, 4)
    adata = quiet_read(write(tmp_path / name, frame))
    check(adata, frame, DIANN_RUNS["windows .raw"], "diann", quantity, [f"run_{s}" for s in RUNS])
    assert adata.var["gene"].tolist() == ["G0", "G1", "G2", "G3"]
    with pytest.raises(SecretomeInputError, match="DIA-NN gene matrix"):
        quiet_read(tmp_path / name, quantity="PG.Quantity")


def test_a_genes_table_with_plain_sample_names_stays_generic(tmp_path):
    """Only run columns headed by raw files make a 'Genes' table a DIA-NN gene matrix."""
    frame = pd.DataFrame({"Genes": ["G0", "G1", "G2"]})
    frame[["ctrl_1", "ctrl_2"]] = values(3, 2)
    assert quiet_read(write(tmp_path / "genes.tsv", frame)).uns["source"]["format"] == "generic"


def test_diann_2_parquet_report_is_refused_naming_pg_matrix(tmp_path):
    """DIA-NN 1.9+/2.x write the main report as report.parquet (one row per precursor and run)."""
    path = tmp_path / "report.parquet"
    path.write_bytes(b"PAR1" + bytes(64) + b"PAR1")
    with pytest.raises(SecretomeInputError, match="Parquet.*pg_matrix"):
        read(path)


# ---------------------------------------------------------------- MSstats / quantms protein summaries

@pytest.mark.parametrize("version", ["4", "3"])
def test_msstats_protein_level_data_reads_as_runs(tmp_path, version):
    """MSstats dataProcess() ProteinLevelData (v4) / RunlevelData (v3): one row per protein and run, log2."""
    runs = ["A_1.raw", "A_2.raw", "B_1.raw"]
    rows = [{"RUN": k + 1, "Protein": protein, "LogIntensities": round(20 + i + 0.25 * k, 4), "originalRUN": run,
             "GROUP": run[0], "SUBJECT": run[2], "NumMeasuredFeature": 3, "MissingPercentage": 0.0,
             "more50missing": False, "NumImputedFeature": 0}
            for i, protein in enumerate(ACC[:3]) for k, run in enumerate(runs) if (i, k) != (2, 1)]
    frame = pd.DataFrame(rows)
    if version == "3":
        frame["GROUP_ORIGINAL"], frame["SUBJECT_ORIGINAL"] = frame["GROUP"], frame["SUBJECT"]
    else:
        frame.insert(6, "TotalGroupMeasurements", 6)
    adata = quiet_read(write(tmp_path / "ProteinLevelData.csv", frame, sep=","))
    source = adata.uns["source"]
    assert (source["format"], source["quantity"]) == ("msstats", "LogIntensities (log2)")
    assert list(adata.obs_names) == ["A_1", "A_2", "B_1"] and list(adata.var_names[:3]) == ACC[:3]
    assert adata.obs["condition"].tolist() == ["A", "A", "B"]
    assert adata.X[0, 2] == 22.0 and np.isnan(adata.X[1, 2]) and adata.X[2, 1] == 21.5
    assert source["log2_evidence"] == "detected"


def test_msstatstmt_protein_level_data_reads_run_channels(tmp_path):
    rows = [{"Mixture": "M1", "TechRepMixture": 1, "Run": "M1_1", "Channel": channel, "Protein": protein,
             "Abundance": 18.0 + i + j / 4, "BioReplicate": f"b{j}", "Condition": "ctrl" if j < 2 else "trt"}
            for i, protein in enumerate(ACC[:2]) for j, channel in enumerate(["126", "127N", "127C"])]
    adata = quiet_read(write(tmp_path / "tmt_ProteinLevelData.csv", pd.DataFrame(rows), sep=","))
    assert list(adata.obs_names) == ["M1_1 126", "M1_1 127N", "M1_1 127C"]
    assert adata.obs["channel"].tolist() == ["126", "127N", "127C"]
    assert adata.obs["condition"].tolist() == ["ctrl", "ctrl", "trt"]
    np.testing.assert_array_equal(adata.X[:, 1], [19.0, 19.25, 19.5])


def test_msstats_repeated_protein_and_run_is_refused_naming_it(tmp_path):
    frame = pd.DataFrame({"RUN": [1, 1], "Protein": ["P1", "P1"], "LogIntensities": [20.0, 21.0],
                          "originalRUN": ["r1", "r1"], "GROUP": ["A", "A"], "SUBJECT": [1, 1]})
    with pytest.raises(SecretomeInputError, match="'P1' has 2 rows for sample 'r1'"):
        read(write(tmp_path / "pld.csv", frame, sep=","))


# ---------------------------------------------------------------- Scaffold

SCAFFOLD_SETTINGS = (
    "Experiment: secretome lots\nScaffold Version: Scaffold_5.1.0\nDisplay options: Total Spectrum Count\n"
    "Protein Thresholds: 99.0% minimum and 2 peptides minimum\n\n"
)


def scaffold_frame(samples: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "#": [1, 2, 3], "Visible?": ["TRUE"] * 3, "Starred?": ["FALSE"] * 3,
        "Identified Proteins (3)": ["Serum albumin OS=Homo sapiens", "Fibronectin OS=Homo sapiens", "Other"],
        "Accession Number": ["sp|P02768|ALBU_HUMAN", "sp|P02751|FINC_HUMAN (+1)", "P12345"],
        "Alternate ID": ["ALB", "FN1", ""], "Molecular Weight": ["69 kDa", "263 kDa", "10 kDa"],
        "Protein Grouping Ambiguity": ["", "TRUE", ""], "Taxonomy": ["Homo sapiens"] * 3,
    })
    frame[samples] = np.array([[12, 0, 7], [3, 4, 5], [1, 1, 0]])[:, : len(samples)]
    return frame


@pytest.mark.parametrize("settings", ["", SCAFFOLD_SETTINGS])
def test_scaffold_samples_report_reads_with_or_without_its_report_lines(tmp_path, settings):
    samples = ["Lot A", "Lot B", "Lot C"]
    frame = scaffold_frame(samples)
    path = tmp_path / "Samples Report for secretome.xls"  # Scaffold names its text export .xls
    path.write_text(settings + frame.to_csv(sep="\t", index=False) + ("END OF FILE\n" if settings else ""), encoding="utf-8")
    adata = quiet_read(path)
    source = adata.uns["source"]
    assert source["format"] == "scaffold" and list(adata.obs_names) == samples
    assert adata.var["leading_accession"].tolist() == ["P02768", "P02751", "P12345"]  # cluster '(+1)' dropped
    assert adata.var["gene"].tolist()[:2] == ["ALB", "FN1"]
    np.testing.assert_array_equal(adata.X, [[12, 3, 1], [np.nan, 4, 1], [7, 5, np.nan]])
    assert ("report_frame" in source) == bool(settings)
    if settings:
        assert "5 lines of report settings" in source["report_frame"]


def test_scaffold_row_numbers_in_errors_stay_the_file_lines(tmp_path):
    frame = scaffold_frame(["Lot A", "Lot B"]).astype({"Lot B": object})
    frame.loc[1, "Lot B"] = "n/q"
    path = tmp_path / "Samples Report.xls"
    path.write_text(SCAFFOLD_SETTINGS + frame.to_csv(sep="\t", index=False) + "END OF FILE\n", encoding="utf-8")
    with pytest.raises(SecretomeInputError, match="row 8") as error:
        read(path)
    assert "'Lot B'" in str(error.value)


# ---------------------------------------------------------------- MaxQuant 1.5-2.4

def maxquant_frame(quantity_columns: list[str], flags: tuple[str, ...] = ("Reverse", "Potential contaminant")) -> pd.DataFrame:
    frame = pd.DataFrame({
        "Protein IDs": ACC, "Majority protein IDs": ACC, "Gene names": ["G0", "G1", "G2", "G3"],
        "Peptides": [3, 4, 5, 6], "Razor + unique peptides": [2, 3, 4, 5], "Unique peptides": [2, 3, 4, 5],
        "Sequence coverage [%]": [10.0] * 4, "Mol. weight [kDa]": [50.1] * 4, "Q-value": [0.0] * 4,
        "Score": [100.0] * 4, "Intensity": [1e9] * 4,
    })
    frame[quantity_columns] = values(4, len(quantity_columns))
    for flag in flags:
        frame[flag] = ["", "", "", "+"]
    frame["id"] = range(4)
    return frame


@pytest.mark.parametrize("flags", [
    ("Only identified by site", "Reverse", "Contaminant"),            # 1.5: 'Contaminant'
    ("Only identified by site", "Reverse", "Potential contaminant"),  # 1.6-2.4
])
@pytest.mark.parametrize("families,quantity,default", [
    (["Intensity", "iBAQ", "LFQ intensity"], None, "LFQ intensity"),
    (["Intensity", "iBAQ"], None, "Intensity"),
    (["Intensity", "iBAQ"], "iBAQ", "iBAQ"),
])
def test_maxquant_label_free_of_every_version(tmp_path, flags, families, quantity, default):
    columns = [f"{family} {s}" for family in families for s in RUNS[:3]]
    frame = maxquant_frame(columns, flags)
    adata = quiet_read(write(tmp_path / "proteinGroups.txt", frame), quantity=quantity)
    check(adata, frame, [f"{default} {s}" for s in RUNS[:3]], "maxquant", default, RUNS[:3])
    assert adata.var["is_decoy"].tolist() == [False, False, False, True]


def test_maxquant_tmt_reads_corrected_reporter_channels_not_the_experiment_intensity(tmp_path):
    channels = [f"Reporter intensity corrected {k} ex1" for k in range(1, 4)]
    columns = [f"Reporter intensity corrected {k}" for k in range(1, 4)] + channels + \
        [f"Reporter intensity {k} ex1" for k in range(1, 4)] + ["Intensity ex1"]
    frame = maxquant_frame(columns)
    adata = quiet_read(write(tmp_path / "proteinGroups.txt", frame))
    check(adata, frame, channels, "maxquant", "Reporter intensity corrected", ["ex1 1", "ex1 2", "ex1 3"])


@pytest.mark.parametrize("r_resaved", [False, True])
def test_maxquant_silac_is_refused_naming_silac_before_its_cells_are_parsed(tmp_path, r_resaved):
    columns = ["Ratio H/L", "Ratio H/L normalized"] + [
        c for s in RUNS[:2] for c in (f"Ratio H/L {s}", f"Ratio H/L normalized {s}", f"Intensity L {s}", f"Intensity H {s}", f"Intensity {s}")
    ]
    frame = maxquant_frame(columns)
    frame["PEP"] = ["3,24E-293", "0.5", "0.1", "0.2"]  # a cell that alone would stop the parse
    if r_resaved:
        frame.columns = [c.replace(" ", ".").replace("/", ".").replace("+", ".") for c in frame.columns]
    with pytest.raises(SecretomeInputError, match="SILAC") as error:
        read(write(tmp_path / "proteinGroups.txt", frame))
    assert "Ratio" in str(error.value) and "mixes number conventions" not in str(error.value)


def test_an_lfq_experiment_named_like_a_silac_label_is_read(tmp_path):
    """'Intensity L 1' is an LFQ experiment named 'L 1', not a SILAC channel: only 'Intensity L' itself and the
    'Ratio H/L' family name SILAC (io/data/labelled_runs.tsv)."""
    columns = [c for s in ("L 1", "H 2") for c in (f"Intensity {s}", f"LFQ intensity {s}")]
    frame = maxquant_frame(columns)
    adata = quiet_read(write(tmp_path / "proteinGroups.txt", frame))
    assert list(adata.obs_names) == ["L 1", "H 2"]


# ---------------------------------------------------------------- FragPipe / IonQuant / TMT-Integrator

FRAGPIPE_FRONT = [
    "Protein", "Protein ID", "Entry Name", "Gene", "Protein Length", "Organism", "Protein Existence", "Description",
    "Protein Probability", "Top Peptide Probability", "Combined Total Peptides", "Combined Spectral Count",
    "Combined Unique Spectral Count", "Combined Total Spectral Count",
]
FRAGPIPE_SUFFIXES = {
    "15-17 IonQuant, MaxLFQ": ["Spectral Count", "Unique Spectral Count", "Total Spectral Count", "Intensity",
                               "MaxLFQ Intensity"],
    "18-23 IonQuant, MaxLFQ": ["Spectral Count", "Unique Spectral Count", "Total Spectral Count", "Intensity",
                               "Unique Intensity", "Total Intensity", "MaxLFQ Intensity", "MaxLFQ Unique Intensity",
                               "MaxLFQ Total Intensity"],
    "MaxLFQ off": ["Spectral Count", "Unique Spectral Count", "Total Spectral Count", "Intensity"],
    "no MS1 quantification": ["Spectral Count", "Unique Spectral Count", "Total Spectral Count"],
}


def fragpipe_frame(suffixes: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "Protein": [f"sp|{a}|X{i}_HUMAN" for i, a in enumerate(ACC)], "Protein ID": ACC,
        "Entry Name": [f"X{i}_HUMAN" for i in range(4)], "Gene": [f"G{i}" for i in range(4)],
        "Protein Length": [300] * 4, "Organism": ["Homo sapiens OX=9606"] * 4,
        "Protein Existence": ["1:Experimental evidence at protein level"] * 4,
        "Description": [f"Protein {i}" for i in range(4)], "Protein Probability": [1.0] * 4,
        "Top Peptide Probability": [0.99] * 4, "Combined Total Peptides": [5] * 4,
        "Combined Spectral Count": [9] * 4, "Combined Unique Spectral Count": [8] * 4,
        "Combined Total Spectral Count": [9] * 4,
    })
    for k, suffix in enumerate(suffixes):
        columns = [f"{s} {suffix}" for s in RUNS[:3]]
        frame[columns] = np.round(values(4, 3, seed=k) / 1e6) if "Count" in suffix else values(4, 3, seed=k)
    frame["Indistinguishable Proteins"] = ""
    return frame


@pytest.mark.parametrize("version", FRAGPIPE_SUFFIXES)
def test_fragpipe_combined_protein_of_every_version(tmp_path, version):
    suffixes = FRAGPIPE_SUFFIXES[version]
    frame = fragpipe_frame(suffixes)
    path = write(tmp_path / "combined_protein.tsv", frame)
    default = next(f for f in ("MaxLFQ Intensity", "Intensity", "Spectral Count") if f in suffixes)
    check(quiet_read(path), frame, [f"{s} {default}" for s in RUNS[:3]], "fragpipe", default, RUNS[:3])
    for quantity in ("Intensity", "Spectral Count"):
        if quantity in suffixes:
            check(quiet_read(path, quantity=quantity), frame, [f"{s} {quantity}" for s in RUNS[:3]], "fragpipe",
                  quantity, RUNS[:3])


@pytest.mark.parametrize("name,kind", [
    ("abundance_protein_MD.tsv", "log2 abundance"), ("ratio_protein_MD.tsv", "log2 ratio"),
    ("abundance_protein_None.tsv", "log2 abundance"), ("abundance_gene_MD.tsv", "log2 abundance"),
])
@pytest.mark.parametrize("gene_column", [False, True])  # TMT-Integrator 4+ (FragPipe 19+) adds 'Gene'
def test_tmt_integrator_tables(tmp_path, name, kind, gene_column):
    frame = pd.DataFrame({"Index": [f"sp|{a}|X" for a in ACC], "NumberPSM": [10] * 4, "ProteinID": ACC,
                          "MaxPepProb": [0.99] * 4, "ReferenceIntensity": [20.1] * 4})
    if gene_column:
        frame.insert(1, "Gene", [f"G{i}" for i in range(4)])
    channels = ["plex1_126", "plex1_127N", "plex1_127C"]
    frame[channels] = np.round(np.random.default_rng(1).normal(0 if "ratio" in name else 20, 1, (4, 3)), 4)
    adata = quiet_read(write(tmp_path / name, frame))
    assert adata.uns["source"]["format"] == "tmt_integrator" and adata.uns["source"]["quantity"].startswith(kind)
    assert list(adata.obs_names) == channels and adata.var["leading_accession"].tolist() == ACC


# ---------------------------------------------------------------- Spectronaut, AlphaPept, AlphaDIA

@pytest.mark.parametrize("run_spelling", ["[{k}] {s}.raw.PG.Quantity", "[{k}] {s}.PG.Quantity", "{s}.PG.Quantity"])
def test_spectronaut_pivot_tab_with_decimal_commas_and_filtered(tmp_path, run_spelling):
    frame = pd.DataFrame({"PG.ProteinGroups": ACC, "PG.Genes": [f"G{i}" for i in range(4)],
                          "PG.ProteinDescriptions": ["d"] * 4, "PG.Organisms": ["Homo sapiens"] * 4})
    columns = [run_spelling.format(k=k + 1, s=s) for k, s in enumerate(RUNS[:3])]
    numbers = values(4, 3)
    frame[columns] = [[f"{v:.1f}".replace(".", ",") for v in row] for row in numbers]
    frame.loc[1, columns[2]] = "Filtered"
    frame[[c.replace("PG.Quantity", "PG.IBAQ") for c in columns]] = "1,5"
    adata = quiet_read(write(tmp_path / "Report_pivot.tsv", frame))
    source = adata.uns["source"]
    assert (source["format"], source["quantity"]) == ("spectronaut", "PG.Quantity") and list(adata.obs_names) == RUNS[:3]
    expected = numbers.T.copy()
    expected[2, 1] = np.nan
    np.testing.assert_allclose(adata.X, expected, rtol=1e-15)
    assert source["numbers"]["decimal"] == ","


def test_alphapept_results_proteins_lfq_and_raw(tmp_path):
    frame = pd.DataFrame({"": [f"sp|{a}|X{i}_HUMAN" for i, a in enumerate(ACC)]})
    frame[RUNS[:3]] = values(4, 3, seed=1)
    frame[[f"{s}_LFQ" for s in RUNS[:3]]] = values(4, 3, seed=2)
    path = write(tmp_path / "results_proteins.csv", frame, sep=",")
    check(quiet_read(path), frame, [f"{s}_LFQ" for s in RUNS[:3]], "alphapept", "LFQ", RUNS[:3])
    check(quiet_read(path, quantity="raw"), frame, RUNS[:3], "alphapept", "raw", RUNS[:3])


@pytest.mark.parametrize("front", [["pg"], ["pg.name", "pg.proteins", "pg.genes"]])  # AlphaDIA 1.x, 2.x
def test_alphadia_pg_matrix(tmp_path, front):
    frame = pd.DataFrame({c: ACC if c != "pg.genes" else [f"G{i}" for i in range(4)] for c in front})
    runs = [f"20240101_{s}" for s in RUNS[:3]]
    frame[runs] = values(4, 3)
    check(quiet_read(write(tmp_path / "pg.matrix.tsv", frame)), frame, runs, "alphadia", "pg LFQ intensity", runs)


# ---------------------------------------------------------------- Proteome Discoverer 2.x, Perseus, Progenesis

@pytest.mark.parametrize("normalised,default", [
    ("Abundances (Normalized)", "Abundances (Normalized)"),  # PD 2.2-3.x with normalisation
    ("Abundances (Scaled)", "Abundance"),                    # scaled per protein: not comparable across proteins
    (None, "Abundance"),
])
def test_proteome_discoverer_2_protein_export(tmp_path, normalised, default):
    frame = pd.DataFrame({
        "Checked": ["False"] * 4, "Protein FDR Confidence: Combined": ["High"] * 4, "Master": ["IsMasterProtein"] * 4,
        "Accession": ACC, "Description": [f"Protein {i} OS=Homo sapiens OX=9606 GN=G{i}" for i in range(4)],
        "Coverage [%]": [10] * 4, "# Peptides": [3] * 4, "# PSMs": [9] * 4, "# Unique Peptides": [3] * 4,
        "# AAs": [300] * 4, "MW [kDa]": [33.1] * 4, "Contaminant": ["False"] * 4,
        "Abundance Ratio: (F2, Sample) / (F1, Sample)": [1.1] * 4,
    })
    families = ["Abundance"] + ([normalised] if normalised else [])
    for k, family in enumerate(families):
        frame[[f"{family}: F{j}: Sample, {g}" for j, g in ((1, "A"), (2, "B"))]] = values(4, 2, seed=k)
    frame[["Abundances Count: F1: Sample, A", "Found in Sample: [S1] F1: Sample, A"]] = [3, "High"]
    adata = quiet_read(write(tmp_path / "Proteins.txt", frame))
    check(adata, frame, [f"{default}: F{j}: Sample, {g}" for j, g in ((1, "A"), (2, "B"))], "proteome_discoverer",
          default, ["F1", "F2"])
    assert not {"# PSMs", "# AAs", "MW [kDa]"} & set(adata.uns["source"]["sample_columns"])


def test_perseus_matrix_with_type_and_group_rows(tmp_path):
    lines = ["\t".join(RUNS[:3] + ["Protein IDs", "Majority protein IDs", "Gene names"]),
             "#!{Type}E\tE\tE\tT\tT\tT", "#!{C:Group}A\tA\tB\t\t\t"]
    lines += [f"{20 + i}.5\t21.25\t22\t{'CON__' if i == 1 else ''}{a}\t{a}\tG{i}" for i, a in enumerate(ACC)]
    (tmp_path / "matrix.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    adata = quiet_read(tmp_path / "matrix.txt")
    assert adata.uns["source"]["format"] == "perseus" and list(adata.obs_names) == RUNS[:3]
    assert adata.obs.iloc[:, -1].tolist() == ["A", "A", "B"]
    assert adata.var["is_contaminant"].tolist() == [False, True, False, False]


def test_progenesis_protein_export_reads_its_normalized_block_with_conditions(tmp_path):
    """Progenesis QI writes the quantity blocks ('Normalized abundance', 'Raw abundance') and the conditions in
    two rows above the column names, the sample names repeated in each block: the normalised block is read by
    default, the raw one on request, each sample's condition goes to .obs."""
    blocks = "," * 12 + "Normalized abundance,,,,Raw abundance,,,"
    groups = "," * 12 + "A,,B,,A,,B,"
    names = ("Accession,Peptide count,Unique peptides,Confidence score,Anova (p),q Value,Max fold change,Power,"
             "Highest mean condition,Lowest mean condition,Mass,Description," + ",".join(RUNS * 2))
    body = [f"{a},3,2,50.1,0.01,0.02,1.5,0.9,A,B,51000,Protein {i}," + ",".join(f"{1000.5 * (k + 1) + i}" for k in range(8))
            for i, a in enumerate(ACC)]
    (tmp_path / "proteins.csv").write_text("\n".join([blocks, groups, names] + body) + "\n")
    adata = read(tmp_path / "proteins.csv")
    source = adata.uns["source"]
    assert source["format"] == "progenesis" and source["quantity"] == "Normalized abundance"
    assert list(source["sample_columns"]) == RUNS and list(adata.obs["condition"]) == ["A", "A", "B", "B"]
    np.testing.assert_array_equal(adata.X[:, 0], [1000.5, 2001.0, 3001.5, 4002.0])
    assert adata.var["n_peptides"].tolist() == [3.0] * len(ACC)
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert reasons[f"{RUNS[0]} (Raw abundance)"].startswith("quantity family 'Raw abundance'")
    raw = read(tmp_path / "proteins.csv", quantity="Raw abundance")
    np.testing.assert_array_equal(raw.X[:, 0], [5002.5, 6003.0, 7003.5, 8004.0])
    (tmp_path / "one_row.csv").write_text("\n".join([blocks, names] + body) + "\n")
    with pytest.raises(SecretomeInputError, match="Progenesis QI export's column names .* have no 'Accession' column"):
        read(tmp_path / "one_row.csv")


def test_msstats_protein_level_data_as_r_write_csv_saves_it(tmp_path):
    """write.csv(QuantData$ProteinLevelData): quoted names, a blank-named row-number column, NA cells
    (the text below is what R 4 writes for such a frame)."""
    text = (
        '"","RUN","Protein","LogIntensities","originalRUN","GROUP","SUBJECT","TotalGroupMeasurements",'
        '"NumMeasuredFeature","MissingPercentage","more50missing","NumImputedFeature"\n'
        '"1","1","P1",20.1,"a.raw","A","1",3,2,0,FALSE,0\n"2","2","P1",20.2,"b.raw","B","1",3,2,0,FALSE,0\n'
        '"3","1","P2",NA,"a.raw","A","1",3,2,0,FALSE,0\n"4","2","P2",21.4,"b.raw","B","1",3,2,0,FALSE,0\n'
    )
    (tmp_path / "ProteinLevelData.csv").write_text(text, encoding="utf-8")
    adata = quiet_read(tmp_path / "ProteinLevelData.csv")
    assert adata.uns["source"]["format"] == "msstats" and list(adata.obs_names) == ["a", "b"]
    np.testing.assert_array_equal(adata.X, [[20.1, np.nan], [20.2, 21.4]])
    assert adata.obs["condition"].tolist() == ["A", "B"]
