"""Every protein-level example table in ../shared/data/examples reads with the right format, counts and values.

Values are spot-checked against pandas reading the raw file directly (engine zeros must become NaN).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read, summarize

pytestmark = pytest.mark.shared_data

DIANN = "diann_plaques_PXD035173/report.pg_matrix.tsv.gz"
FRAGPIPE = "endothelial_secretome_stepanov2024/combined_protein_secretome_HCAEC_HITAEC.tsv.gz"
MS1 = "ev_senescence_wallis2021/MS1_dUC_EV_perseus.csv"
MS2 = "ev_senescence_wallis2021/MS2_SEC_F8_F20_CM_log2.csv"
MS3 = "ev_senescence_wallis2021/MS3_summary_means.csv"
PEAKS = "msc_cell_proteome_kotova2021_PXD027719/peaks_xpro_data.xlsx"


def spot_check(adata, raw: pd.DataFrame, id_column: str | None, n: int = 25, seed: int = 0) -> None:
    """Compare random cells of X with the raw table (zero -> NaN), matching rows by position."""
    rng = np.random.default_rng(seed)
    columns = adata.uns["source"]["sample_columns"]
    assert raw.shape[0] == adata.n_vars
    if id_column is not None:
        assert raw[id_column].astype(str).tolist() == adata.var["protein_group"].tolist()
    for _ in range(n):
        row = int(rng.integers(raw.shape[0]))
        col = int(rng.integers(len(columns)))
        expected = float(raw[columns[col]].iloc[row])
        actual = float(adata.X[col, row])
        if np.isnan(expected) or expected == 0:
            assert np.isnan(actual), (row, columns[col])
        else:
            assert actual == expected, (row, columns[col], actual, expected)


def test_diann_pg_matrix(examples):
    adata = read(examples / DIANN)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("diann", 3502, 40)
    assert source["format_version"].startswith("1.x")
    assert adata.obs_names[0] == "62_Slot1-54_1_2674" and adata.obs_names[-1] == "81_Slot1-23_1_2752"
    raw = pd.read_csv(examples / DIANN, sep="\t")
    spot_check(adata, raw, "Protein.Group")
    assert adata.var.loc["A0A075B6H7;A0A0C4DH55;P01624", "gene"] == "IGKV3-15"
    assert (adata.var["species"].str.split(";").map(set) == {"HUMAN"}).mean() > 0.95


def test_diann_sample_info_cannot_be_matched_and_says_so(examples):
    """sample_info.xlsx names runs '62_1', '62_2'; the data's columns are file stems '62_Slot1-54_1_2674'.

    Which file is replicate 1 or 2 is not derivable from the names, so the reader must refuse (listing both
    sides with candidates) rather than guess.
    """
    with pytest.raises(SecretomeInputError) as caught:
        read(examples / DIANN, samples=examples / "diann_plaques_PXD035173/sample_info.xlsx")
    message = str(caught.value)
    assert "sample_info.xlsx" in message and "'62_1'" in message and "'62_Slot1-54_1_2674'" in message
    assert "closest" in message


def test_fragpipe_combined_protein_with_sample_info(examples):
    sheet = examples / "endothelial_secretome_stepanov2024/sample_info_131-153.xlsx"
    adata = read(examples / FRAGPIPE, samples=sheet)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("fragpipe", 3346, 22)
    assert source["quantity"] == "MaxLFQ Intensity"
    raw = pd.read_csv(examples / FRAGPIPE, sep="\t")
    spot_check(adata, raw, "Protein")
    assert source["n_zeros_to_nan"] == int((raw[source["sample_columns"]] == 0).sum().sum())
    legend = pd.read_excel(sheet)
    row = legend[legend["Sample"] == "HIT_K_3 MaxLFQ"].iloc[0]
    assert adata.obs.loc["HIT_K_3", "Donor"] == row["Donor"]
    assert adata.obs.loc["HIT_K_3", "Differentiation"] == row["Differentiation"]
    assert (adata.var["species"] == "BOVIN").sum() == 5  # the five Bos taurus rows (FBS carry-over)


@pytest.mark.parametrize("quantity,n_samples", [("Intensity", 22), ("Spectral Count", 22)])
def test_fragpipe_other_quantities(examples, quantity, n_samples):
    adata = read(examples / FRAGPIPE, quantity=quantity)
    assert adata.n_obs == n_samples and adata.uns["source"]["quantity"] == quantity
    spot_check(adata, pd.read_csv(examples / FRAGPIPE, sep="\t"), "Protein", n=10)


def test_perseus_ms1_with_bom_and_log2(examples):
    adata = read(examples / MS1)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("perseus", 569, 6)
    assert list(adata.obs_names) == ["ctrl_1", "ctrl_2", "ctrl_3", "ras1_1", "ras1_2", "ras1_3"]
    assert source["is_log2"] and source["log2_evidence"] == "detected"
    raw = pd.read_csv(examples / MS1, encoding="utf-8-sig")
    spot_check(adata, raw, "T: Protein IDs")
    assert adata.var.loc["P01112", "gene"] == "HRAS"


def test_generic_ms2_log2_with_zeros_and_repeated_genes(examples):
    with pytest.warns(UserWarning, match="14 repeated gene identifiers"):
        adata = read(examples / MS2)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("generic", 1038, 9)
    assert source["is_log2"] and source["n_zeros_to_nan"] == 5388
    assert source["ignored_columns"] == ["Localisation"]
    raw = pd.read_csv(examples / MS2)
    spot_check(adata, raw, "Gene names")


def test_generic_ms3_group_means_as_log2_matrix(examples):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        adata = read(examples / MS3)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("generic", 1229, 6)
    assert list(adata.obs_names) == ["OIS_CM", "OIS_F20", "OIS_F8", "Vector_CM", "Vector_F20", "Vector_F8"]
    assert source["is_log2"] and source["log2_evidence"] == "detected"
    raw = pd.read_csv(examples / MS3)  # R row names: pandas moves them to the index
    spot_check(adata, raw, "Gene names")
    assert adata.var.iloc[0]["description"] == "Alanine--tRNA ligase, cytoplasmic"


def test_peaks_xpro_area(examples):
    adata = read(examples / PEAKS)
    source = adata.uns["source"]
    assert (source["format"], adata.n_vars, adata.n_obs) == ("peaks", 2995, 8)
    assert source["quantity"] == "Area" and source["sheet"] == "Лист1"
    raw = pd.read_excel(examples / PEAKS, sheet_name=0)
    spot_check(adata, raw, "Accession")
    assert adata.var.loc["P35579|MYH9_HUMAN", "gene"] == "MYH9"
    assert summarize(adata)["n_proteins"] == 2995
    assert adata.var.loc["P35579|MYH9_HUMAN", "n_peptides"] == 171


def test_peaks_second_sheet_generic_with_legend(examples):
    legend = examples / "msc_cell_proteome_kotova2021_PXD027719/legend.xlsx"
    adata = read(examples / PEAKS, sheet=1, samples=legend)
    assert (adata.uns["source"]["format"], adata.n_vars, adata.n_obs) == ("generic", 2995, 8)
    assert adata.obs.loc["20_sv_contr", "Cell_type"] == "PDLSCs"
    spot_check(adata, pd.read_excel(examples / PEAKS, sheet_name=1), "Accession")


@pytest.mark.parametrize("name", [
    "derived_lists_jmdplots/RSE+16_adipose_stem_cell_secretome_hypoxia.csv.xz",
    "derived_lists_jmdplots/SRS+13a_placental_MSC_exosomes_O2.csv.xz",
])
def test_derived_lists_are_not_quantity_tables(examples, name):
    """Curated protein lists (gene, accession, up/down or an O2 level code) carry no per-sample quantities."""
    with pytest.raises(SecretomeInputError) as caught:
        read(examples / name)
    assert name.split("/")[-1] in str(caught.value)
    assert "no numeric sample columns" in str(caught.value)
