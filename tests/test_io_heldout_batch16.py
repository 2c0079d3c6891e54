"""What blind batch 16 of the held-out files found (benchmarks/README.md, "Held-out batch 16"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of
from secretome.io import read


def test_a_result_table_with_an_infinite_df_is_named_not_a_crash(tmp_path):
    """MSqRobPy's OLS contrasts write df = Inf: the identifier check turned the float column into integers and
    raised a raw OverflowError."""
    path = tmp_path / "contrast_results_ols.csv"
    path.write_text('"logFC","se","df","t","pval","adjPval","feature_id"\n'
                    + "".join(f'{0.1 * i},0.27,Inf,{0.4 * i},0.{i},0.{i + 1},"P000{i}"\n' for i in range(1, 7)))
    assert "differential-result table" in refusal_of(path)


def test_a_psm_utils_table_is_named(tmp_path):
    """MS²Rescore's PSM table (peptidoform, spectrum_id, run, is_decoy, qvalue ...): refused for a negative
    'quantity' in one of its meta: columns instead of being named."""
    path = tmp_path / "msms-psms.tsv"
    rows = [f"PEPT{i}IDEK/2\t{4700 + i}\trun1\t\tFalse\t{100 + i}\t\t0.001\t478.7\t5.2\t-3" for i in range(5)]
    path.write_text("peptidoform\tspectrum_id\trun\tcollection\tis_decoy\tscore\tqvalue\tpep\tprecursor_mz\t"
                    "retention_time\tmeta:Precursor Apex Offset\n" + "\n".join(rows) + "\n")
    assert "PSM table" in refusal_of(path)


def test_a_dose_response_curve_table_is_a_result_table(tmp_path):
    """CurveCurator's curves: 'N duplicates', 'pEC50', 'Curve Slope' ... 'Curve F_Value' were read as 30 samples."""
    rng = np.random.default_rng(161)
    doses = ["DMSO", "3nM", "10nM", "30nM"]
    frame = pd.DataFrame({"Genes": [f"G{i}" for i in range(6)], "Proteins": [f"P1234{i}" for i in range(6)],
                          "N duplicates": 1, **{f"Raw {d}": rng.uniform(1e6, 1e8, 6) for d in doses},
                          **{f"Ratio {d}": rng.uniform(0.5, 2, 6) for d in doses}, "pEC50": rng.uniform(5, 8, 6),
                          "Curve Slope": rng.uniform(0.5, 2, 6), "Curve R2": rng.uniform(0, 1, 6),
                          "Curve P_Value": rng.uniform(0, 1, 6)})
    path = tmp_path / "kinobeads_curves.txt"
    frame.to_csv(path, sep="\t", index=False)
    message = refusal_of(path)
    assert "CurveCurator" in message and "result table" in message


def test_peptide_sequences_with_modification_digits_are_a_peptide_table(tmp_path):
    """AutoRT's x/y table (peptide, retention time; oxidised M written '1'): read as one sample of 572 'proteins'."""
    rng = np.random.default_rng(162)
    peptides = ["LINNNPEIFGPLK", "VGDTYERPK", "TSRPENAIIYNNNEDFQVGQAK", "TVTA1DVVYALKR", "AAGLPAQDLSK",
                "VQLSNDFDEYIIAIEQTIK", "LDQWLTEAR", "GFGFVTFDDHDPVDK", "SLEDALAEAQR", "ISVYYNEATGGK"] * 5
    pd.DataFrame({"x": peptides, "y": rng.uniform(5, 60, len(peptides))}).to_csv(tmp_path / "rt.tsv", sep="\t", index=False)
    assert "peptide" in refusal_of(tmp_path / "rt.tsv")


def test_a_headerless_channel_list_is_a_sample_sheet(tmp_path):
    """A TMT16 channel list of two sets ('126<TAB>0set-A<TAB>1', no header): read as one sample of 31 'proteins'."""
    channels = ["126", "127N", "127C", "128N", "128C", "129N", "129C", "130N", "130C", "131N", "131C", "132N"]
    lines = [f"{c}\t0set-{s}\t{i + 1}" for s in "AB" for i, c in enumerate(channels)]
    (tmp_path / "tmt16_samples.txt").write_text("\n".join(lines) + "\n")
    message = refusal_of(tmp_path / "tmt16_samples.txt")
    assert "sample sheet" in message and "reporter channels" in message and "no header line" in message


def test_row_names_beside_one_design_column_are_a_sample_sheet(tmp_path):
    """R's sample metadata (',condition' / 'S1,control'): refused as 'no numeric sample columns', not named."""
    (tmp_path / "sample_metadata.csv").write_text(
        ",condition\n" + "".join(f"S{i},{'control' if i <= 4 else 'treated'}\n" for i in range(1, 9)))
    assert "sample sheet" in refusal_of(tmp_path / "sample_metadata.csv")


def test_a_proline_workbook_is_read_from_its_protein_sets_sheet(tmp_path):
    """A Proline Studio export: its first sheet holds the search settings, its quantities are on 'Protein sets'."""
    import openpyxl

    book = openpyxl.Workbook()
    settings = book.active
    settings.title = "Search settings and infos"
    for row in (["project_name", "test3"], ["dataset_name", "Quanti"]):
        settings.append(row)
    proteins = book.create_sheet("Protein sets")
    proteins.append(["protein_set_id", "accession", "description", "#peptides", "abundance_S1", "abundance_S2"])
    for i in range(4):
        proteins.append([i, f"P1234{i}", f"protein {i}", 3 + i, 1e6 * (i + 1), 2e6 * (i + 1)])
    book.save(tmp_path / "proline.xlsx")
    with pytest.warns(UserWarning, match=r"Proline Studio export's settings sheet; its protein table is on sheet 'Protein sets'"):
        adata = read(tmp_path / "proline.xlsx")
    assert adata.uns["source"]["sheet"] == "Protein sets" and "Protein sets" in adata.uns["source"]["sheet_chosen"]
    assert list(adata.uns["source"]["sample_columns"]) == ["abundance_S1", "abundance_S2"]
    np.testing.assert_array_equal(adata.X[1], [2e6, 4e6, 6e6, 8e6])


def test_spectropiper_statistics_are_a_result_table(tmp_path):
    """SpectroPipeR's statistical analysis: slr, n, d and d's 95% CI were read as 5 samples."""
    rows = "".join(f"{0.1 * i},{0.4 * i},0.6,{i + 2},0.{i},0.9,P1000{i},B,A,modt,1.03,-0.27,0.1,-1.3,0.8\n" for i in range(1, 6))
    (tmp_path / "statistical_analysis.csv").write_text(
        "slr,t,score,n,p,p.fdr,PG.ProteinGroups,group1,group2,test,fold_change,d,d_pooled_SD,d_95CI_lower,d_95CI_upper\n" + rows)
    assert "result table" in refusal_of(tmp_path / "statistical_analysis.csv")


def test_a_maxquant_table_cut_to_ids_and_reporter_channels_is_maxquant(tmp_path):
    """'Protein IDs' and ten 'Reporter intensity N <experiment>' columns: read as a generic matrix, so its
    channels got no plex or experiment."""
    rng = np.random.default_rng(163)
    frame = pd.DataFrame({"Protein IDs": [f"P1234{i};Q9876{i}" for i in range(5)],
                          **{f"Reporter intensity {k} Chip1 A": rng.uniform(1e4, 1e6, 5).round() for k in range(1, 11)}})
    frame.to_csv(tmp_path / "proteinGroups_A.txt", sep="\t", index=False)
    adata = read_quietly(tmp_path / "proteinGroups_A.txt")
    assert adata.uns["source"]["format"] == "maxquant" and adata.uns["source"]["quantity"] == "Reporter intensity"
    assert adata.n_obs == 10 and list(adata.obs["channel"][:2]) == [1, 2] and set(adata.obs["experiment"]) == {"Chip1 A"}


def test_msgf_protein_counts_are_no_samples(tmp_path):
    """PNNL's MSGF+ protein tables: 'Spectra', 'MSGF_SpecProb' and 'Repl' were read as 3 more samples."""
    rng = np.random.default_rng(164)
    samples = [f"Glc({s})_T{t}" for s in "-+" for t in (11, 12, 13)]
    frame = pd.DataFrame({"Protein": [f"sp|P1234{i}|X{i}_BURTA" for i in range(6)], "Peptides": rng.integers(1, 9, 6),
                          "Spectra": rng.integers(1, 90, 6), "MSGF_SpecProb": rng.uniform(1e-20, 1e-10, 6),
                          "Repl": rng.integers(0, 3, 6), **{s: rng.normal(0, 1, 6) for s in samples}})
    frame.to_csv(tmp_path / "proteins.csv", index=False)
    assert list(read_quietly(tmp_path / "proteins.csv").uns["source"]["sample_columns"]) == samples


def test_r_row_names_are_identifiers_unless_they_number_the_rows(tmp_path):
    """write.table with row names: the header is one field short and the first field of each row names the
    protein; it was dropped, leaving 'no identifier column'."""
    rng = np.random.default_rng(165)
    values = rng.normal(0, 1, (4, 3))
    lines = ["S1_1\tS1_2\tS2_1"] + [f"AP_00489{i}.1\t" + "\t".join(map(str, row)) for i, row in enumerate(values)]
    (tmp_path / "crosstab.txt").write_text("\n".join(lines) + "\n")
    adata = read_quietly(tmp_path / "crosstab.txt")
    assert list(adata.var_names) == [f"AP_00489{i}.1" for i in range(4)]
    np.testing.assert_allclose(adata.X, values.T, rtol=1e-15)  # (pandas' parse: exact to the last binary digit or so)
    numbered = ["Protein\tS1\tS2"] + [f"{i + 1}\tP1234{i}\t{row[0]}\t{row[1]}" for i, row in enumerate(values)]
    (tmp_path / "numbered.txt").write_text("\n".join(numbered) + "\n")
    adata = read_quietly(tmp_path / "numbered.txt")
    assert list(adata.var_names) == [f"P1234{i}" for i in range(4)] and adata.n_obs == 2


def test_minus_infinity_of_a_log_table_is_missing_and_said(tmp_path):
    """Held-out batch 15 (dhm_indata2): R's log2 of a zero intensity is written -Inf; the table was refused. +inf
    (an overflow, a division by zero) stays an error."""
    (tmp_path / "log.csv").write_text("Protein,S1,S2,S3\nP12345,17.6,-Inf,17.1\nP23456,16.2,16.0,-inf\nP34567,15.1,15.3,15.2\n")
    with pytest.warns(UserWarning, match=r"2 quantity cell\(s\) hold -inf .*row 2 of 'S2', row 3 of 'S3'"):
        adata = read(tmp_path / "log.csv")
    np.testing.assert_array_equal(adata.X, [[17.6, 16.2, 15.1], [np.nan, 16.0, 15.3], [17.1, np.nan, 15.2]])
    assert adata.uns["source"]["minus_infinity_read_as_missing"] == {"n": 2, "first_cells": ["row 2 of 'S2'", "row 3 of 'S3'"]}
    (tmp_path / "plus.csv").write_text("Protein,S1,S2\nP12345,17.6,Inf\nP23456,16.2,16.0\n")
    assert "infinite value inf" in refusal_of(tmp_path / "plus.csv")


def test_a_second_header_row_of_statistics_is_a_result_table(tmp_path):
    """Held-out batch 15 (nmb, hli): project names in the header, 'Conf.' / 'Log2 FC' in the row under it, numbers
    below; refused for the non-numeric 'Conf.' of 'a quantity column' instead of being named."""
    header = "UniProt ID\tGenes\tProject 1 (Up = DN)\t\tProject 2 (Up = DN)\t"
    sub = "\t\tConf.\tLog2 FC\tConf.\tLog2 FC"
    rows = [f"P1234{i}\tG{i}\t0.{i + 1}\t-0.0{i}\t0.5{i}\t0.1{i}" for i in range(6)]
    (tmp_path / "summary.txt").write_text("\n".join([header, sub, *rows]) + "\n")
    message = refusal_of(tmp_path / "summary.txt")
    assert "result table with more than one header row (row 2 under the header names" in message and "'Log2 FC'" in message
    words = "\t\tmouse\trat\tmouse\trat"
    (tmp_path / "two_headers.txt").write_text("\n".join([header, words, *rows]) + "\n")
    assert "the table has more than one header row (row 2 under the header holds words" in refusal_of(tmp_path / "two_headers.txt")


def test_a_workbook_title_row_above_the_header_is_not_the_header(tmp_path):
    """A supplementary sheet: its caption in A1, an empty row, then the header (pws_Sample_Key): the caption was
    taken as the header."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Table S2: protein abundances"], [], ["Protein", "Gene", "S1", "S2"],
                *[[f"P1234{i}", f"G{i}", 1.5 * (i + 1), 2.5 * (i + 1)] for i in range(4)]):
        sheet.append(row)
    book.save(tmp_path / "supplement.xlsx")
    adata = read_quietly(tmp_path / "supplement.xlsx")
    assert list(adata.uns["source"]["sample_columns"]) == ["S1", "S2"] and list(adata.var_names[:2]) == ["P12340", "P12341"]
    assert adata.uns["source"]["title"] == "the title 'Table S2: protein abundances' above the header is not a row"


def test_a_perseus_volcano_export_is_perseus(tmp_path):
    """Held-out batch 15 (bmd): Perseus' volcano-plot table (Significant, -Log(P-value), Difference, Symbol color/type/
    size, Show label, then the LFQ columns; no type prefixes) was read as a generic table: the same samples, but
    not said to be Perseus' (its CON__/REV__ flags are Perseus' rules)."""
    rng = np.random.default_rng(166)
    samples = [f"LFQ.intensity.{n}" for n in (11930, 11931, 12902, 12904)]
    frame = pd.DataFrame({"Significant": ["+", "", "", "+", "", ""], "-Log(P-value)": rng.uniform(0, 3, 6),
                          "Difference": rng.normal(0, 1, 6), "Protein_IDs": [f"NP_00100{i}.1" for i in range(5)] + ["CON__P02768"],
                          "Symbol color": "Color2 [DarkGray]", "Symbol type": 1, "Symbol size": 4, "Show label": "",
                          **{s: rng.uniform(25, 35, 6) for s in samples}})
    frame.to_csv(tmp_path / "volcano_perseus.txt", sep="\t", index=False)
    adata = read_quietly(tmp_path / "volcano_perseus.txt")
    assert adata.uns["source"]["format"] == "perseus" and list(adata.uns["source"]["sample_columns"]) == samples
    assert list(adata.var["is_contaminant"]) == [False] * 5 + [True]


def test_stray_rows_repeating_an_identifier_without_quantities_are_kept_apart(tmp_path):
    """Held-out batch 14 (hjn): an edited sheet holds pairs of rows with a bare number as identifier and no value;
    the table was refused as 'duplicated protein identifier'. Repeats that carry quantities stay an error."""
    rows = [["P12345", 1.0, 2.0], ["152", None, None], ["152", None, None], ["Q99999", 3.0, 4.0], ["P23456", 5.0, 6.0]]
    pd.DataFrame(rows, columns=["Protein IDs", "S1", "S2"]).to_csv(tmp_path / "edited.csv", index=False)
    with pytest.warns(UserWarning, match=r"2 rows repeat an identifier of column 'Protein IDs' and hold no quantity at all \(rows \[3, 4\]"):
        adata = read(tmp_path / "edited.csv")
    assert list(adata.var_names) == ["P12345", "152", "152#2", "Q99999", "P23456"]
    rows[2][1] = 7.0
    pd.DataFrame(rows, columns=["Protein IDs", "S1", "S2"]).to_csv(tmp_path / "repeated.csv", index=False)
    assert "duplicated protein identifier '152'" in refusal_of(tmp_path / "repeated.csv")


@pytest.mark.parametrize(("header", "row", "kind"), [
    ("Sequence\tCharge States\tProbability\tAssigned Modifications\tGene\tProtein\tProtein ID\twt1 Spectral Count\twt1 Intensity",
     "AAAAAAALQAK\t2\t0.9999\t\tRPL4\tsp|P36578|RL4_HUMAN\tP36578\t1\t0", "a FragPipe combined peptide table"),
    ("ID\tPosition\tResidue\tQUANT_G1\tQUANT_G2", "CON__P02533\t435\tS\t0\t33803000", "a modification-site table"),
    ("transition_group_id\tPrecursorMz\tProductMz\tLibraryIntensity\tProteinName\tPeptideSequence",
     "AGAANIVPNSTGAAK2\t671.36\t200.10\t0.13\tG3P_STRP1\tAGAANIVPNSTGAAK", "a spectral library"),
])
def test_peptide_site_and_library_tables_are_named(tmp_path, header, row, kind):
    """Held-out batch 16b: refused for a duplicated identifier, a repeated 'ID' or a missing DIA-NN column instead
    of being named."""
    path = tmp_path / "table.tsv"
    path.write_text(header + "\n" + "\n".join([row] * 4) + "\n")
    assert kind in refusal_of(path)


def test_the_report_says_which_cells_were_read_as_missing(tmp_path):
    """info, the report's Methods and uns['source'] say what the read decided about cells, not only columns."""
    from secretome.io import summarize, summary_lines
    from secretome.summary import input_entry

    (tmp_path / "cells.csv").write_text("Protein,S1,S2,S3\nP12345,17.6,-Inf,17.1\nP23456,16.2,16.0,#DIV/0!\nP34567,15.1,15.3,15.2\n")
    adata = read_quietly(tmp_path / "cells.csv")
    lines = dict(summary_lines(summarize(adata)))
    assert lines["-inf read as missing"].startswith("1 (the log of a zero intensity; first: row 2 of 'S2')")
    assert lines["error values read as missing"].endswith("first: row 3 of 'S3' '#DIV/0!')")
    notes = dict(input_entry(adata.uns["source"])["notes"])
    assert notes["-inf read as missing"] == "1 (first: row 2 of 'S2')"
    assert notes["Excel error values read as missing"] == "1 (first: row 3 of 'S3' '#DIV/0!')"


def test_placeholders_in_a_first_data_row_are_no_header_row(tmp_path):
    """'n.d.' in some samples of the first rows is a bad cell, named as such, not a second header row."""
    rows = ["Protein\tS1\tS2\tS3", "P12340\tn.d.\tn.d.\t5.5"] + [f"P1234{i}\t1.{i}\t2.{i}\t3.{i}" for i in range(1, 7)]
    (tmp_path / "nd.tsv").write_text("\n".join(rows) + "\n")
    assert "non-numeric value 'n.d.' in a quantity column" in refusal_of(tmp_path / "nd.tsv")
