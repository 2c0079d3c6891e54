"""What blind batch 13 of the held-out files found (benchmarks/README.md, "Held-out batch 13"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import read_quietly, refusal_of


def test_a_phosphopeptide_table_with_modification_notation_is_a_peptide_table(tmp_path):
    """NAguideR's phospho example: 'Peptides' holds modified sequences (S[Phospho (STY)]), 'Uniprot_IDs' repeats:
    it was read as 20 samples of 3,327 'proteins'."""
    rng = np.random.default_rng(131)
    peptides = ["MLISAVS[Phospho (STY)]PEIR", "KINS[Phospho (STY)]APS[Phospho (STY)]S[Phospho (STY)]PIK",
                "AAGS(ph)PEPTIDEK", "_LLEDS(ph)EDSR_", "GDLT(Phospho)PLEK"]
    frame = pd.DataFrame({"Peptides": peptides, "Charges": [2, 2, 3, 2, 2],
                          "Uniprot_IDs": ["A0AVK6", "A0AVK6", "P12345", "P12345", "Q99999"],
                          **{f"Phos_Cyc_{i}": rng.uniform(1e4, 1e6, 5).round(2) for i in (1, 2, 3)}})
    path = tmp_path / "Phospho_Exampledata3.csv"
    frame.to_csv(path, index=False)
    message = refusal_of(path)
    assert "peptide-level table" in message and "'Peptides'" in message


def test_sample_names_with_digits_and_underscores_are_not_peptides(tmp_path):
    """The modification notation read past is brackets, signed mass shifts and flanks only: a design's sample
    names (MIAPACA_AG205_1) stay sample names, its sheet is still refused as a sample sheet."""
    path = tmp_path / "design.txt"
    path.write_text("samples\tgroups\n" + "\n".join(f"MIAPACA_AG205_{i}\tMIAPACA_AG205" for i in range(1, 6)) + "\n"
                    + "\n".join(f"PGRMC_{i}\tPGRMC" for i in range(1, 6)) + "\n")
    message = refusal_of(path)
    assert "peptide" not in message


def test_a_one_word_entrez_column_is_not_a_sample_of_a_log_ratio_table(tmp_path):
    """MoTrPAC's TMT table of log2 ratios to the reference: 'EntrezGene' (integers) was taken as a sample, which
    made the table 'linear' and its negative ratios an error."""
    rng = np.random.default_rng(132)
    n = 6
    frame = pd.DataFrame({"UniProtAccFull": [f"P{10000 + i}" for i in range(n)], "UniProtAcc": [f"P{10000 + i}" for i in range(n)],
                          "UniProtName": [f"G{i}_RAT" for i in range(n)], "Gene": [f"G{i}" for i in range(n)],
                          "EntrezGene": [304816 + i for i in range(n)],
                          **{f"{g}_0{r}": rng.normal(0, 0.5, n) for g in ("R", "S") for r in (1, 2, 3)}})
    path = tmp_path / "tmt_fractionated_global.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    source = adata.uns["source"]
    assert adata.n_obs == 6 and "EntrezGene" in source["unread_columns"] and source["is_log2"]
