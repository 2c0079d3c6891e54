"""A collection of real public tables from other projects (issue 15 part g): every file is read with the
right samples or refused naming what it is. Provenance: ``tests/data/readers/PROVENANCE.tsv``."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from secretome.errors import SecretomeInputError
from secretome.io import read

HERE = Path(__file__).parent / "data" / "readers"

#: fixture -> (format, quantity, n samples, n proteins, first sample, last sample, two spot values as
#: (sample index, protein index, protein, value)); the values were checked against the files' text.
READS = {
    'alphapept_results_proteins.csv': ('alphapept', 'LFQ', 2, 40, 'A', 'B', (0, 0, 'sp|P36578|RL4_HUMAN', 466932936.2753704), (1, 39, 'sp|P67809|YBOX1_HUMAN', 208895124.56846175)),
    # trimmed trailing empty quantity cells, read as missing (see test_io_text.py for why that is honest)
    'alphapeptstats_diann_report_final.pg_matrix.tsv': ('diann', 'PG.MaxLFQ', 20, 10, 'S1', 'S20', (0, 0, 'A0A024R4E5;C9J5E5;C9JBS3;C9JEJ8;C9JES8;C9JHN6;C9JHS7;C9JHZ8;C9JIZ1;C9JK79;C9JT62;C9JZI8', 380503.0), (19, 5, 'A0A075B6H7', 8042930.0)),
    'alphapeptstats_preprocessing_pentests.csv': ('generic', 'Intensity', 4, 20, 'Intensity S1', 'Intensity S4', (0, 0, 'P1', 39616.0), (3, 19, 'P20', 165134.0)),
    'diaumpire_prot.csv': ('dia_umpire', 'Top6', 6, 5, 'lgillet_I150211_010', 'lgillet_I150211_012', (0, 0, 'sp|P0AAC0|USPE_ECOLI', 2717.0), (5, 4, 'sp|P63244|GBLP_HUMAN', 300963.0)),
    'fragpipe_analyst_proteinGroups.txt': ('maxquant', 'LFQ intensity', 12, 40, 'H2', 'N5', (0, 3, 'P62834;P61224;A6NIZ1', 668520.0), (11, 39, 'CON__Q3SZ57;P02771', 550880.0)),
    'maxquant_go_proteinGroups.txt': ('maxquant', 'LFQ intensity', 10, 40, 'AC381', 'UT822', (0, 2, 'CON__P00761', 2477800000.0), (9, 36, 'REV__tr|B1AHQ6|B1AHQ6_HUMAN;REV__tr|A0A024R1Q3|A0A024R1Q3_HUMAN;REV__sp|Q9NSP4|CENPM_HUMAN', 12481000.0)),
    'maxquant_proteinGroups_R.csv': ('maxquant', 'LFQ intensity', 15, 5, '01_LysC_Try_1to10_Mixt_1_1', '15_LysC_Try_1to10_Mixt_5_3', (0, 0, 'P06959', 6940400000.0), (14, 4, 'P69874', 142080000.0)),
    'maxquant_tmt_proteinGroups_R.csv': ('maxquant', 'Reporter intensity corrected', 150, 5, 'M1R1 0', 'M5R3 9', (0, 0, 'P62917', 13769.0), (149, 0, 'P62917', 8611.6)),
    'philosopher_combined_proteins.tsv': ('philosopher', 'Razor Intensity', 20, 10, 'S1', 'S20', (0, 0, '679a', 2216637.5), (19, 9, '688a', 480642.72)),
    'protpipe_apms_spectronaut_pivot.csv': ('spectronaut', 'PG.Quantity', 12, 40, 'Control_1', 'UNC13A_WT_6', (0, 1, 'A0A1B0GWG4', 233.2950897), (11, 39, 'O00264', 18839.42578)),
    'protpipe_peptidome_combined_protein.tsv': ('fragpipe', 'MaxLFQ Intensity', 22, 40, 'H_1975_1', 'PC9_epitope_5', (0, 22, 'sp|A0JNW5|UH1BL_HUMAN', 1150073.6), (21, 34, 'sp|A5YKK6|CNOT1_HUMAN', 12679328.0)),
    'protpipe_report.pg_matrix.tsv': ('diann', 'PG.MaxLFQ', 12, 40, 'HREC_P_3', 'HREC_P_4', (0, 0, 'A0A087WVC1', 421747.0), (11, 39, 'A0A2R8Y566', 15161.0)),
    'scpviz_pd_proteins.txt': ('proteome_discoverer', 'Abundance', 60, 30, 'F13', 'F80', (0, 0, 'P08238', 1679708.287), (59, 29, 'P13645', 4965772.313)),
    'perseuspy_matrix.txt': ('perseus', 'expression columns (E)', 15, 100, 'Column 1', 'Column 15', (0, 0, 'Row 1', 1.141038), (14, 99, 'Row 100', 1.0111)),
    'fragterminomics_abundance_protein_MD.tsv': ('tmt_integrator', 'log2 abundance (ratio to the reference + log2 reference intensity)', 11, 30, 'WT1', 'WT6', (0, 0, 'A0A075B5N7', 13.108847350754502), (10, 29, 'A2A5Z6', 13.869940938151332)),
    'spectronaut_long_report.tsv': ('spectronaut', 'PG.Quantity', 1, 3, '20221015_EV_TP_40SPD_LITDIA_MS1_Rapid_MS2_Rapid_57w_100ng_03', '20221015_EV_TP_40SPD_LITDIA_MS1_Rapid_MS2_Rapid_57w_100ng_03', (0, 0, 'A0A0B4J2D5;P0DPI2', 1449.77978515625), (0, 2, 'A0MZ66;A0MZ66-3', 6052.52783203125)),
    'spectronaut_msstats_input.csv': ('spectronaut', 'PG.Quantity', 1, 1, 'lgillet_I150211_008_A', 'lgillet_I150211_008_A', (0, 0, '1/sp|O75475|PSIP1_HUMAN', 4302.70458984375), (0, 0, '1/sp|O75475|PSIP1_HUMAN', 4302.70458984375)),
    # held-out batch 5 (see test_io_heldout_batch5.py): PD columns without spaces, PD 1.4's one-file Area, Triqler
    'prote_pd_abundance_nospace.xlsx': ('proteome_discoverer', 'Abundance', 8, 12, 'HealthyControl_01', 'Patient_04', (0, 0, 'P00920', 32235.3831568442), (7, 11, 'Q9QZ25', 69764.8438732222)),
    'prote_pd14_240517_BCa_T1_27.xlsx': ('proteome_discoverer', 'Area', 1, 12, 'prote_pd14_240517_BCa_T1_27', 'prote_pd14_240517_BCa_T1_27', (0, 0, 'P35749', 68020969.625), (0, 11, 'P08670', 145767276.5)),
    'triqler_dia_example_proteins.tsv': ('generic', 'values', 6, 30, '1:002-Pedro', '2:007-Pedro', (0, 0, 'P0A9D2_ECOLI', 0.4707), (5, 29, 'P07118_ECOLI', 2.055)),
    # held-out batch 6 (see test_io_heldout_batch6.py): R-resaved MaxQuant, a PAW edgeR table with group means
    'mquantr_proteinGroups.txt': ('maxquant', 'LFQ intensity', 8, 30, 't1.1', 't2.4', (0, 14, 'sp|Q924Z4|CERS2_MOUSE', 23659000.0), (7, 29, 'sp|Q3TIX9|SNUT2_MOUSE', 54097000.0)),
    'pxd011691_results_edgeR-exact-random.txt': ('generic', 'values', 16, 30, 'IRSNorm_BGS.S1.1_1_tmm_SET1-2', 'IRSNorm_FLI.S4.2_2_tmm_SET1-2', (0, 0, 'sp|P16546|SPTN1_MOUSE', 387736862.987329), (15, 29, 'sp|P63038|CH60_MOUSE', 114762396.038423)),
}
#: Files an independent pandas parse cannot take (Triqler's rows run past its header with their peptides).
RAGGED = {'triqler_dia_example_proteins.tsv'}
REFUSALS = {
    'fleith_A549_hits_ko.csv': 'a differential-result table',
    'proteoda_metafile.csv': 'this is a sample sheet',
    'alphapept_metadata.csv': 'sample sheet',
    'alphapeptstats_diann_metadata.xlsx': 'not a protein-level quantity table',
    'alphapeptstats_fragpipe_metadata.xlsx': 'not a protein-level quantity table',
    'alphapeptstats_test.mztab': 'an mzTab file',
    'diaumpire_frag.csv': 'a DIA-Umpire fragment summary',
    'diaumpire_pept.csv': 'a DIA-Umpire peptide summary',
    'fragpipe_analyst_design.txt': 'sample sheet',
    'fragpipe_analyst_design_2.txt': 'sample sheet',
    'fragpipe_msstats.csv': 'an MSstats long-format input table',
    'maxquant_evidence_R.csv': 'a MaxQuant evidence.txt',
    'maxquant_tmt_evidence_R.csv': 'a MaxQuant evidence.txt',
    'metamorpheus_AllQuantifiedPeaks.tsv': 'a MetaMorpheus AllQuantifiedPeaks table',
    'msstats_diann_annotation.csv': 'sample sheet',
    'msstats_diann_main_report.csv': 'a DIA-NN main report',
    'msstats_maxquant_annotation.csv': 'sample sheet',
    'msstats_metamorpheus_annotation.tsv': 'sample sheet',
    'msstats_openswath_annotation.csv': 'sample sheet',
    'msstats_pd_annotation.csv': 'sample sheet',
    'msstats_prospector_annotation.csv': 'sample sheet',
    'msstats_unbalanced_data.csv': 'an MSstats long-format input table',
    'openms_msstats.csv': 'an MSstats long-format input table',
    'openms_msstatstmt.csv': 'an MSstats long-format input table',
    'openswath_input.csv': 'an OpenSWATH feature table',
    'pd_psms_R.csv': 'a Proteome Discoverer PSM table',
    'pd_tmt_psms_R.csv': 'a Proteome Discoverer PSM table',
    'progenesis_input.csv': 'a Progenesis QI peptide export',
    'proteinprospector_tmt.txt': 'a Protein Prospector report',
    'protpipe_combined_peptide.tsv': 'a FragPipe peptide table',
    'protpipe_design_apms.csv': 'sample sheet',
    'protpipe_differential.tsv': 'not a protein-level quantity table',
    'protpipe_hla_typing.csv': 'sample sheet',
    'protpipe_neuron_gene.csv': 'no column delimiter found',
    'protpipe_nonzero_counts.tsv': 'sample sheet',
    'protpipe_pca.tsv': 'not a protein-level quantity table',
    'protpipe_sample_correlation.tsv': 'not a protein-level quantity table',
    'skyline_transitions.csv': 'a Skyline transition report',
    'scpviz_diann_report.parquet': 'DIA-NN 1.9+/2.x main report report.parquet',
    'proteobench_sage_lfq.tsv': 'a Sage peptide LFQ table',
    'proteobench_alphadia_precursor_matrix.tsv': 'an AlphaDIA precursor matrix',
    'perseuspy_site_matrix.txt': 'a modification-site table',
    'fragterminomics_annotation.csv': 'not a protein-level quantity table',
    'spectromine_input.csv': 'a SpectroMine or Spectronaut precursor report without protein quantities',
    'rmetalab_summary.txt': 'a MaxQuant summary.txt',
    'rmetalab_taxa_refine.csv': 'a taxonomy table',
    'mspms_colData.csv': 'sample sheet',
    'mspms_peaks_protein-peptides-lfq.csv': 'a PEAKS protein-peptides table',
    'mspms_peptide_library.csv': 'a peptide list',
    'protti_test_import.csv': 'no protein identifier column',
}


#: A refusal by side effect, not by kind: a one-column gene list ('no column delimiter found').


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read(path)


def test_collection_is_complete_and_has_provenance():
    files = {p.name for p in HERE.iterdir() if not p.name.startswith("PROVENANCE")}
    assert files == set(READS) | set(REFUSALS) and len(files) >= 50
    with open(HERE / "PROVENANCE.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert {row["fixture"] for row in rows} == files
    assert all(row["licence"] in {"Apache-2.0", "Artistic-2.0", "MIT", "GPL-3.0"} and len(row["commit"]) == 40 for row in rows)


@pytest.mark.parametrize("name", list(READS))
def test_real_protein_tables_read_with_the_right_samples(name):
    fmt, quantity, n_samples, n_proteins, first, last, *spots = READS[name]
    adata = _read(HERE / name)
    source = adata.uns["source"]
    assert (source["format"], source["quantity"], adata.n_obs, adata.n_vars) == (fmt, quantity, n_samples, n_proteins)
    assert (adata.obs_names[0], adata.obs_names[-1]) == (first, last)
    for sample, protein, protein_id, value in spots:
        assert adata.var_names[protein] == protein_id and adata.X[sample, protein] == pytest.approx(value, rel=1e-15)
    raw = pd.read_csv(HERE / name, sep=None, engine="python") if name.endswith((".csv", ".tsv", ".txt")) and name not in RAGGED else None
    if raw is not None and set(source["sample_columns"]) <= set(raw.columns) and len(raw) == adata.n_vars:
        expected = raw[source["sample_columns"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float).T
        expected[expected == 0] = np.nan
        np.testing.assert_allclose(adata.X, expected, rtol=1e-15)  # every value, as an independent parse gives it
    assert not set(source["sample_columns"]) & {"# PSMs", "# AAs", "Protein Group IDs"}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_real_non_protein_tables_are_refused_naming_their_kind(name):
    with pytest.raises(SecretomeInputError) as caught:
        _read(HERE / name)
    message = str(caught.value)
    assert name in message and REFUSALS[name] in message
