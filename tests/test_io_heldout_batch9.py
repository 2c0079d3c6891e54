"""What blind batch 9 of the held-out files found (benchmarks/README.md, "Held-out batch 9"), each finding a
general rule and a test on a table written here in the shape of the real file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import read_quietly, refusal_of


def _tmt_protein_groups(channel_sep: str, word_sep: str) -> pd.DataFrame:
    """A MaxQuant TMT proteinGroups of 2 experiments x 3 channels (channel 2 removed), spelled with
    ``word_sep`` between words and ``channel_sep`` between channel and experiment."""
    rng = np.random.default_rng(9)
    n = 5
    name = lambda *words: word_sep.join(words)  # noqa: E731 - a column speller
    frame = {name("Protein", "IDs"): [f"P{10000 + i}" for i in range(n)],
             name("Majority", "protein", "IDs"): [f"P{10000 + i}" for i in range(n)],
             "Peptides": [3, 4, 5, 6, 7]}
    for family in (("Reporter", "intensity", "corrected"), ("Reporter", "intensity"), ("Reporter", "intensity", "count")):
        for experiment in ("1", "2"):
            for channel in (1, 3, 4):
                frame[name(*family) + word_sep + f"{channel}{channel_sep}{experiment}"] = rng.uniform(1e4, 1e6, n).round(1)
    frame["Intensity"] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Intensity", "1")] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Intensity", "2")] = rng.uniform(1e6, 1e7, n).round(1)
    frame[name("Potential", "contaminant")] = ["", "", "+", "", ""]
    return pd.DataFrame(frame)


def test_an_r_resaved_maxquant_tmt_table_reads_its_reporter_channels(tmp_path):
    """preprot: ``Reporter.intensity.corrected.1.1`` (R's make.names of 'Reporter intensity corrected 1 1') was
    not seen as a channel, and the per-experiment ``Intensity.1`` (a whole plex summed) became 3 'samples'."""
    frame = _tmt_protein_groups(".", ".")
    path = tmp_path / "proteinGroups_TMT.txt"
    frame.to_csv(path, sep="\t", index=False)
    adata = read_quietly(path)
    assert adata.uns["source"]["quantity"] == "Reporter intensity corrected"
    assert list(adata.uns["source"]["sample_columns"])[:2] == ["Reporter.intensity.corrected.1.1",
                                                             "Reporter.intensity.corrected.3.1"]
    assert adata.n_obs == 6
    assert list(adata.obs["experiment"]) == ["1", "1", "1", "2", "2", "2"]
    assert list(adata.obs["channel"]) == [1, 3, 4, 1, 3, 4]
    np.testing.assert_allclose(adata.X[0], frame["Reporter.intensity.corrected.1.1"].to_numpy())


def test_reporter_columns_no_channel_can_be_read_from_are_refused_not_replaced(tmp_path):
    """Whatever the spelling of the reporter columns, an isobaric table never falls back to its per-experiment
    Intensity (the sum of each plex) as 'samples': unreadable reporter columns are refused, naming them."""
    frame = _tmt_protein_groups("_", " ")
    frame = frame.rename(columns=lambda c: c.replace("Reporter intensity corrected ", "Reporter intensity corrected-ch"))
    path = tmp_path / "proteinGroups.txt"
    frame.to_csv(path, sep="\t", index=False)
    message = refusal_of(path)
    assert "isobaric" in message and "Reporter intensity corrected-ch1_1" in message

