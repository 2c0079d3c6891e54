"""What blind batch 17 of the held-out files found (benchmarks/README.md, "Held-out batch 17"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of


def test_a_paw_summary_with_its_grouper_settings_below_reads_its_channels(tmp_path):
    """PAW's grouped protein summary (TMT): a title block above the header, the grouper's settings below the table
    (refused: 'this row has 1 fields'), and ProtGroup, Counter, CountsTot ... read as samples beside the TotInt
    channels."""
    rng = np.random.default_rng(171)
    channels = [f"TotInt_{c}_CarbonSources" for c in ("126C", "127N", "127C", "128N", "128C", "129N", "129C", "130N")]
    header = ["ProtGroup", "Counter", "Accession", "Filter", "Coverage", "Description", "CountsTot", "UniqueTot", "UniqFrac",
              "Total_CarbonSources", "Unique_CarbonSources", "Corrected_CarbonSources", *channels]
    rows = ["\t".join([str(i + 1), "1", f"sp|P1234{i}|X{i}_YEAST", " ", "50.0", f"protein {i}", "28", "26", "0.929", "28", "26",
                       "26.5", *[f"{v:.6f}" for v in rng.uniform(1e4, 1e6, 8)]]) for i in range(6)]
    text = ("\r\n".join(["New PAW TMT results file!", 'Program "PAW_protein_grouper.py" run on Fri Jan 18 13:51:14 2019', " ",
                         " ", "\t".join(header), *rows, " ", "PAW_protein_grouper settings:",
                         "PSEUDO:\t2.0\t(used in pseudo-redudant and pseudo-subset tests)", "LOW:\t2.5\t(used in combination test)"]) + "\r\n")
    (tmp_path / "grouped_protein_summary_TMT_8.txt").write_text(text)
    adata = read_quietly(tmp_path / "grouped_protein_summary_TMT_8.txt")
    source = adata.uns["source"]
    assert list(source["sample_columns"]) == channels and adata.n_vars == 6
    assert "its settings from the line 'PAW_protein_grouper settings:' on are not rows" in source["report_frame"]
    reasons = dict(zip(source["unread_columns"], source["unread_reasons"]))
    assert "PAW protein summary" in reasons["ProtGroup"] and "outside the quantity family 'TotInt'" in reasons["Total_CarbonSources"]


@pytest.mark.parametrize(("header", "row", "kind"), [
    ("RelativeIntensity,FragmentMz,ModifiedPeptide,LabeledPeptide,StrippedPeptide,PrecursorCharge,PrecursorMz,iRT",
     "0.44,147.11,_NTINHNLNDDDEDK_,NTINHNLNDDDEDK,NTINHNLNDDDEDK,2,828.86,-7.99", "a spectral library"),
    ("peptide_id,precursor,run,RT,intensity,leftWidth,rightWidth,peak_group_rank,m_score",
     "11,17745,run_R04_SW,3884.56,42.0,3865.2,3902.8,1,0.024", "precursor feature table"),
    ("PG.ProteinGroups,R.Label,PG.Quantity,PEP.StrippedSequence,EG.ModifiedSequence,EG.Qvalue",
     "A0AVT1,run_S5-A5_1_3978.htrms,1994.4,YYFSHDTD,_[DimethNter0]YYFSHDTD_,2e-05", "precursor report of labelled channels"),
    ("Channel,Condition,Run,BioReplicate,Mixture,Fraction,TechRepMixture",
     "126,Long_LF,mouse_1.raw,mouse.X126,mouse,F1,1", "an MSstatsTMT annotation file (a sample sheet"),
    ("site_id,Protein Id,gene_symbol,Site Position,Motif,B_spectral_counts,B_1",
     "0,sp|Q9Z1F9|SAE2_MOUSE,Uba2,548,FEVVGDSPEKVGP,1,70.21", "a modification-site table"),
    ("eFDR,TP,FP,len,method,GrpSize", "0.01,3,0,3,MSstatsPTM,2", "not a protein-level quantity table"),
])
def test_precursor_library_annotation_and_benchmark_tables_are_named(tmp_path, header, row, kind):
    """Held-out batch 17b: refused for a side effect ('no protein identifier column', 'looks like a sample sheet',
    'no numeric sample columns') instead of by their kind."""
    path = tmp_path / "table.csv"
    path.write_text(header + "\n" + "\n".join([row] * 3 + [row.replace(",", ",", 1)] * 2) + "\n")
    assert kind in refusal_of(path)


def test_an_xml_file_is_named_by_its_root_element(tmp_path):
    """Held-out batch 17a: MaxQuant's mqpar.xml was refused as 'one single column'."""
    (tmp_path / "mqpar.xml").write_text('<?xml version="1.0" encoding="utf-8"?>\n<MaxQuantParams>\n  <fastaFiles>\n'
                                        "  </fastaFiles>\n</MaxQuantParams>\n")
    assert "a MaxQuant parameters file (mqpar.xml" in refusal_of(tmp_path / "mqpar.xml")
    (tmp_path / "other.xml").write_text('<?xml version="1.0"?>\n<root><a>1</a></root>\n')
    assert "an XML file (root element <root>)" in refusal_of(tmp_path / "other.xml")


def test_a_go_term_table_is_not_a_protein_table(tmp_path):
    """metaQuantome's GO t-test (id = GO term, name, per-sample intensities, p_s1_over_s2 ...): read as 18 samples of
    GO term names, its p-values among them."""
    rng = np.random.default_rng(172)
    frame = pd.DataFrame({"id": [f"GO:000{i:04d}" for i in range(5)], "name": [f"term {i}" for i in range(5)],
                          "namespace": "biological_process", **{f"int{k}": rng.uniform(3, 12, 5) for k in range(1, 5)},
                          "log2fc_s1_over_s2": rng.normal(0, 2, 5), "p_s1_over_s2": rng.uniform(0, 1, 5),
                          "corrected_p_s1_over_s2": rng.uniform(0, 1, 5)})
    frame.to_csv(tmp_path / "go_tested.tab", sep="\t", index=False)
    assert "a Gene Ontology term table" in refusal_of(tmp_path / "go_tested.tab")


def test_test_columns_and_counts_of_a_tests_table_are_no_samples(tmp_path):
    """p_<a>_over_<b> beside a log2 fold change, corrected_p_..., <sample>_n_peptide and #pacId are no samples."""
    rng = np.random.default_rng(173)
    frame = pd.DataFrame({"protein": [f"P1234{i}" for i in range(5)], **{f"int{k}": rng.uniform(3, 12, 5) for k in range(1, 4)},
                          **{f"int{k}_n_peptide": rng.integers(1, 9, 5) for k in range(1, 4)}, "#pacId": rng.integers(1, 10**7, 5)})
    frame.to_csv(tmp_path / "quant.tsv", sep="\t", index=False)
    assert list(read_quietly(tmp_path / "quant.tsv").uns["source"]["sample_columns"]) == ["int1", "int2", "int3"]


def test_a_precursor_matrix_keyed_by_openswath_ids_is_a_peptide_table(tmp_path):
    """msproteomicstools' full matrix: 'Peptide' holds '4776_KDLYANTVLSGGTTMYPGIADR_3_run0' (number, sequence,
    charge), then Intensity_/RT_/score_ per run: read as 109 samples of one 'protein'."""
    runs = ["okadah_K140808_042_SW", "okadah_K140808_045_SW", "okadah_K140808_047_SW"]
    header = ["Peptide", "Protein", *[f"{kind}_{run}" for run in runs for kind in ("Intensity", "RT", "score")], "RT_mean", "RT_std"]
    row = ["4776_KDLYANTVLSGGTTMYPGIADR_3_run0", "5/FBpp0085365/FBpp0100125", *["23862.0", "4127.1", "4.9e-05"] * 3, "4170.2", "50.1"]
    (tmp_path / "full_matrix.tsv").write_text("\t".join(header) + "\n" + "\t".join(row) + "\n")
    assert "peptide-level table (column 'Peptide'" in refusal_of(tmp_path / "full_matrix.tsv")


def test_an_openms_protein_quantifier_table_reads_below_its_comment_lines(tmp_path):
    """Held-out batch 18b: ProteinQuantifier writes '# ' lines (input, parameters, samples) above a quoted header;
    refused as 'one single column'."""
    text = ("# Protein abundances computed from file 'input.consensusXML'\n"
            "# Parameters (relevant only): method=top, top:N=3, top:aggregate=sum\n"
            "# Files/samples associated with abundance values below: 1: 'sample1.mzML', 2: 'sample2.mzML'\n"
            '"protein"\t"n_proteins"\t"protein_score"\t"n_peptides"\t"abundance_1"\t"abundance_2"\n'
            '"P02768"\t1\t0.91\t4\t1230.0\t230.0\n"P02787"\t1\t0.85\t3\t110.5\t98.0\n')
    (tmp_path / "ProteinQuantifier_output.txt").write_text(text)
    adata = read_quietly(tmp_path / "ProteinQuantifier_output.txt")
    assert list(adata.uns["source"]["sample_columns"]) == ["abundance_1", "abundance_2"]
    assert list(adata.var_names) == ["P02768", "P02787"] and adata.X[0].tolist() == [1230.0, 110.5]
    assert "3 lines of report settings above the header" in adata.uns["source"]["report_frame"]


def test_a_proteomiqon_protein_inference_table_is_named(tmp_path):
    """Held-out batch 18a: ProteomIQon's .prot (ProteinGroup, PeptideSequence, Class, TargetScore, DecoyScore,
    QValue) was refused for a 'negative quantity' in TargetScore."""
    (tmp_path / "minimalReference.prot").write_text(
        "ProteinGroup\tPeptideSequence\tClass\tTargetScore\tDecoyScore\tQValue\n"
        "P21362\tDAALIAAAQK;LTDLAINNVNK\tC1a\t101.44\t0\t8.1E-40\nP0ADE8\tALWLLAGSASR;MWSNLR\tC1a\t-17.8\t0\t1.8E-59\n")
    assert "a ProteomIQon protein inference table" in refusal_of(tmp_path / "minimalReference.prot")
