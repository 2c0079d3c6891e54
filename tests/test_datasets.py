"""The demo simulator: real identities, determinism, shipped files identical to a regeneration."""

from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pytest

from secretome.datasets import (
    DEMO_PARAMETERS,
    demo_paths,
    load_demo_truth,
    protein_identities,
    simulate_secretome,
    write_demo_files,
)


def test_shipped_demo_equals_a_fresh_regeneration(tmp_path):
    fresh = write_demo_files(tmp_path)
    shipped = demo_paths()
    for kind in ("table", "samples", "truth"):
        assert fresh[kind].read_bytes() == shipped[kind].read_bytes(), kind


def test_identities_are_real_accessions(shared_data):
    human = {}
    with gzip.open(shared_data / "uniprot" / "uniprot_human_reviewed_basic_2020.tsv.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            human[row["Entry"]] = (row["Entry name"], row["Gene names"].split(" ")[0])
    contaminants = {
        line[1:].split()[0]
        for line in (shared_data / "contaminants" / "maxquant_contaminants.fasta").read_text().splitlines()
        if line.startswith(">")
    }
    table = protein_identities()
    assert len(table) > 100
    for _, row in table.iterrows():
        for accession, entry, gene, species in zip(*(row[c].split(";") for c in ("accession", "entry_name", "gene", "species"))):
            if species == "HUMAN":
                assert human.get(accession) == (entry, gene), accession
            else:
                assert accession in contaminants, accession
                assert entry.endswith(f"_{species}")


def test_simulation_is_deterministic_and_recovers_targets():
    a = simulate_secretome(n_samples=5, seed=3, fbs_share=0.1)
    b = simulate_secretome(n_samples=5, seed=3, fbs_share=0.1)
    assert a.protein_groups.equals(b.protein_groups)
    c = simulate_secretome(n_samples=5, seed=4, fbs_share=0.1)
    assert not a.protein_groups.equals(c.protein_groups)
    for name, target in a.truth["target"].items():
        realized = a.truth["realized"][name]
        assert np.allclose(list(realized.values()), list(target.values()), atol=0.02), name
    columns = a.protein_groups.columns
    assert {"Protein IDs", "Majority protein IDs", "Gene names", "Reverse", "Potential contaminant"} <= set(columns)
    assert sum(c.startswith("LFQ intensity ") for c in columns) == 5
    assert (a.protein_groups["Reverse"] == "+").sum() == 1
    assert a.protein_groups["Protein IDs"].str.contains("CON__P02769").any()


def test_realized_truth_matches_the_written_table():
    simulated = simulate_secretome(n_samples=4, seed=9, lysis_share=[0.02, 0.1, 0.2, 0.3])
    table = simulated.protein_groups
    roles = protein_identities()["role"].tolist() + ["decoy"]
    for sample in simulated.samples["sample"]:
        values = table[f"LFQ intensity {sample}"].to_numpy(float)
        lysis = sum(v for v, r in zip(values, roles) if r == "lysis")
        total = sum(v for v, r in zip(values, roles) if r != "decoy")
        assert simulated.truth["realized"]["lysis_share"][sample] == pytest.approx(lysis / total)


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="no secreted share"):
        simulate_secretome(n_samples=2, fbs_share=0.5, lysis_share=0.5)
    with pytest.raises(ValueError, match="one per sample"):
        simulate_secretome(n_samples=3, fbs_share=[0.1, 0.2])


def test_demo_truth_describes_the_shipped_demo():
    truth = load_demo_truth()
    assert truth["parameters"]["seed"] == DEMO_PARAMETERS["seed"]
    assert list(truth["realized"]["serum_share"]) == DEMO_PARAMETERS["sample_names"]
    header = demo_paths()["table"].read_text().splitlines()[0].split("\t")
    assert all(f"LFQ intensity {s}" in header for s in DEMO_PARAMETERS["sample_names"])
    assert json.loads(demo_paths()["truth"].read_text())["group_column"] == "lot"
