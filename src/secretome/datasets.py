"""Demo data: a documented simulator of secretome proteomics results with known ground truth.

:func:`simulate_secretome` draws *real* protein identities (``datasets/protein_identities.tsv``: human
secreted factors, EV markers, membrane proteins, lysis markers, keratins and trypsin, bovine serum
proteins and one human/bovine mixed group, each accession checked against UniProt or the MaxQuant
contaminant list) and writes a MaxQuant ``proteinGroups.txt`` plus a sample sheet. Each sample's total
quantity is split between compartments with the shares you give (FBS carry-over, lysis, handling, EV,
membrane; the rest is secreted), so the purity indices a profile should recover are known exactly; the
ground truth is written as JSON beside the table.

The shipped demo (``secretome profile --demo``) is :data:`DEMO_PARAMETERS` run through
:func:`write_demo_files`; ``scripts/make_demo_data.py`` regenerates it and a test checks it is identical.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COMPARTMENTS = ("serum", "handling", "lysis", "ev", "membrane", "secreted")
"""Simulated compartments; their shares of each sample's total quantity sum to 1."""

_ROLE_TO_COMPARTMENT = {
    "serum": "serum",
    "serum_mixed": "serum",
    "handling": "handling",
    "lysis": "lysis",
    "ev_cargo": "ev",
    "membrane": "membrane",
    "secreted": "secreted",
}
_ORGANISM = {
    "HUMAN": ("Homo sapiens", 9606),
    "BOVIN": ("Bos taurus", 9913),
    "PIG": ("Sus scrofa", 9823),
}

DEMO_FILES = {
    "table": "demo_proteinGroups.txt",
    "samples": "demo_samples.tsv",
    "truth": "demo_truth.json",
}

DEMO_PARAMETERS: dict[str, Any] = {
    "n_samples": 12,
    "seed": 20240611,
    "sample_names": [f"CM_A{i}" for i in range(1, 7)] + [f"CM_B{i}" for i in range(1, 7)],
    "groups": ["lot_A"] * 6 + ["lot_B"] * 6,
    # lot A: washed well; lot B: more FBS carry-over and lysis; CM_B6 harvested harshly (lysis fail),
    # CM_A3 handled without gloves (keratin warn)
    "fbs_share": [0.02, 0.015, 0.025, 0.02, 0.018, 0.022, 0.09, 0.11, 0.10, 0.12, 0.08, 0.10],
    "lysis_share": [0.04, 0.035, 0.05, 0.045, 0.04, 0.05, 0.08, 0.07, 0.09, 0.08, 0.085, 0.30],
    "handling_share": [0.004, 0.005, 0.04, 0.004, 0.006, 0.005, 0.005, 0.004, 0.006, 0.005, 0.004, 0.006],
    "ev_share": 0.04,
    "membrane_share": 0.03,
}
"""Parameters of the shipped demo dataset (two lots of MSC conditioned medium, six preparations each)."""


@dataclass
class SimulatedSecretome:
    """A simulated result: the MaxQuant table, the sample sheet and the ground truth."""

    protein_groups: pd.DataFrame
    samples: pd.DataFrame
    truth: dict[str, Any]

    def write(self, directory: str | Path, prefix: str = "demo") -> dict[str, Path]:
        """Write ``<prefix>_proteinGroups.txt``, ``<prefix>_samples.tsv`` and ``<prefix>_truth.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {
            "table": directory / f"{prefix}_proteinGroups.txt",
            "samples": directory / f"{prefix}_samples.tsv",
            "truth": directory / f"{prefix}_truth.json",
        }
        self.protein_groups.to_csv(paths["table"], sep="\t", index=False, lineterminator="\n")
        self.samples.to_csv(paths["samples"], sep="\t", index=False, lineterminator="\n")
        paths["truth"].write_text(json.dumps(self.truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return paths


def protein_identities() -> pd.DataFrame:
    """The curated table of real protein identities the simulator draws from."""
    path = resources.files("secretome") / "datasets" / "protein_identities.tsv"
    with resources.as_file(path) as file:
        return pd.read_csv(file, sep="\t", comment="#", dtype=str, keep_default_na=False)


def _per_sample(value: float | Sequence[float], n: int, name: str) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise ValueError(f"{name} must be a number or {n} numbers (one per sample), got {array.shape}")
    if np.any(array < 0) or np.any(array >= 1):
        raise ValueError(f"{name} must be in [0, 1)")
    return array


def simulate_secretome(
    n_samples: int = 12,
    seed: int = 0,
    *,
    fbs_share: float | Sequence[float] = 0.03,
    lysis_share: float | Sequence[float] = 0.05,
    handling_share: float | Sequence[float] = 0.005,
    ev_share: float | Sequence[float] = 0.04,
    membrane_share: float | Sequence[float] = 0.03,
    mixed_fraction: float = 0.05,
    groups: Sequence[str] | None = None,
    sample_names: Sequence[str] | None = None,
    total_log2: float = 34.0,
    noise_sd: float = 0.25,
    detection_limit: float = 4.0,
    random_missing: float = 0.02,
) -> SimulatedSecretome:
    """Simulate a MaxQuant ``proteinGroups.txt`` of conditioned-medium samples with known purity shares.

    Model, per sample *i*: a total quantity ``2**(total_log2 + N(0, 0.3))`` is split between compartments
    with the given shares (``fbs_share`` -> serum, ``lysis_share``, ``handling_share``, ``ev_share``,
    ``membrane_share``; the secreted share is the rest). Inside a compartment, proteins get fixed
    log-normal abundance weights (sd 1.5 in natural log, drawn once per dataset; bovine albumin x 20,
    as in FBS) times per-sample noise ``exp(N(0, noise_sd))``; the human/bovine mixed group takes
    ``mixed_fraction`` of the serum share. Values then go missing (written as 0, like MaxQuant) with a
    logistic probability around ``detection_limit`` log2 units below the sample's median (MNAR) plus
    ``random_missing`` at random. ``truth`` holds the shares asked for (``target``) and the shares of the
    written values (``realized``, what a profile must recover exactly given the same partition).
    A reverse-decoy row is added (``REV__``); it is not part of any share.
    """
    rng = np.random.default_rng(seed)
    if n_samples < 1:
        raise ValueError("n_samples must be >= 1")
    names = list(sample_names) if sample_names is not None else [f"S{i + 1:02d}" for i in range(n_samples)]
    labels = list(groups) if groups is not None else ["all"] * n_samples
    if len(names) != n_samples or len(labels) != n_samples or len(set(names)) != n_samples:
        raise ValueError("sample_names and groups need one (unique) entry per sample")
    shares = {
        "serum": _per_sample(fbs_share, n_samples, "fbs_share"),
        "handling": _per_sample(handling_share, n_samples, "handling_share"),
        "lysis": _per_sample(lysis_share, n_samples, "lysis_share"),
        "ev": _per_sample(ev_share, n_samples, "ev_share"),
        "membrane": _per_sample(membrane_share, n_samples, "membrane_share"),
    }
    shares["secreted"] = 1.0 - sum(shares.values())
    if np.any(shares["secreted"] <= 0):
        raise ValueError("the given shares leave no secreted share (they must sum to < 1)")

    table = protein_identities()
    compartment = table["role"].map(_ROLE_TO_COMPARTMENT).to_numpy()
    n_proteins = len(table)
    base = rng.lognormal(0.0, 1.5, n_proteins)
    base[(table["accession"] == "P02769").to_numpy()] *= 20.0  # albumin dominates FBS
    mixed = (table["role"] == "serum_mixed").to_numpy()

    totals = np.exp2(total_log2 + rng.normal(0.0, 0.3, n_samples))
    weights = base[None, :] * np.exp(rng.normal(0.0, noise_sd, (n_samples, n_proteins)))
    values = np.zeros((n_samples, n_proteins))
    for name in COMPARTMENTS:
        members = compartment == name
        if name == "serum":
            for part, part_share in ((members & ~mixed, 1.0 - mixed_fraction), (members & mixed, mixed_fraction)):
                w = weights[:, part]
                values[:, part] = (totals * shares[name] * part_share)[:, None] * w / w.sum(axis=1, keepdims=True)
        else:
            w = weights[:, members]
            values[:, members] = (totals * shares[name])[:, None] * w / w.sum(axis=1, keepdims=True)

    log2 = np.log2(values)
    median = np.median(log2, axis=1, keepdims=True)
    p_missing = 1.0 / (1.0 + np.exp((log2 - (median - detection_limit)) / 0.7))
    p_missing = 1.0 - (1.0 - p_missing) * (1.0 - random_missing)
    observed = np.where(rng.random(values.shape) < p_missing, 0.0, values)
    observed = np.round(observed, 0)  # MaxQuant writes integral intensities

    decoy = np.where(rng.random(n_samples) < 0.5, np.round(np.quantile(observed[observed > 0], 0.05)), 0.0)
    realized = _realized_shares(observed, compartment, mixed)
    protein_groups = _maxquant_table(table, observed, decoy, names, rng)
    samples = pd.DataFrame(
        {"sample": names, "lot": labels, "condition": "conditioned_medium", "replicate": _replicates(labels)}
    )
    truth = {
        "generator": "secretome.datasets.simulate_secretome",
        "parameters": {
            "n_samples": n_samples,
            "seed": seed,
            "mixed_fraction": mixed_fraction,
            "total_log2": total_log2,
            "noise_sd": noise_sd,
            "detection_limit": detection_limit,
            "random_missing": random_missing,
        },
        "quantity": "LFQ intensity",
        "group_column": "lot",
        "note": (
            "target = shares asked for (before missing values); realized = shares of the written LFQ values "
            "with proteins assigned by their simulated role (serum, serum_mixed -> serum; lysis; handling; "
            "ev_cargo -> ev; membrane; secreted). Decoys are excluded."
        ),
        "target": {
            f"{name}_share": dict(zip(names, np.round(shares[name], 12).tolist())) for name in COMPARTMENTS
        },
        "realized": {key: dict(zip(names, np.round(value, 12).tolist())) for key, value in realized.items()},
    }
    return SimulatedSecretome(protein_groups=protein_groups, samples=samples, truth=truth)


def _replicates(labels: Sequence[str]) -> list[int]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(seen[label])
    return out


def _realized_shares(observed: np.ndarray, compartment: np.ndarray, mixed: np.ndarray) -> dict[str, np.ndarray]:
    total = observed.sum(axis=1)
    realized = {f"{name}_share": observed[:, compartment == name].sum(axis=1) / total for name in COMPARTMENTS}
    realized["serum_mixed_share"] = observed[:, mixed].sum(axis=1) / total
    return realized


def _maxquant_table(
    table: pd.DataFrame, observed: np.ndarray, decoy: np.ndarray, names: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """Lay the simulated values out as MaxQuant 1.6/2.x ``proteinGroups.txt`` columns."""
    rows = []
    for _, protein in table.iterrows():
        accessions = protein["accession"].split(";")
        species = protein["species"].split(";")
        entries = protein["entry_name"].split(";")
        genes = protein["gene"].split(";")
        ids, headers = [], []
        for accession, sp, entry, gene in zip(accessions, species, entries, genes):
            contaminant = protein["role"] in ("serum", "handling") or sp != "HUMAN"
            ids.append(f"CON__{accession}" if contaminant else accession)
            organism, taxon = _ORGANISM[sp]
            gene_part = f" GN={gene}" if gene else ""
            headers.append(f"sp|{accession}|{entry} {protein['protein_name']} OS={organism} OX={taxon}{gene_part}")
        rows.append(
            {
                "Protein IDs": ";".join(ids),
                "Majority protein IDs": ";".join(ids),
                "Protein names": protein["protein_name"],
                "Gene names": ";".join(dict.fromkeys(g for g in genes if g)),
                "Fasta headers": ";".join(headers),
                "Number of proteins": len(ids),
                "Reverse": "",
                "Potential contaminant": "+" if any(i.startswith("CON__") for i in ids) else "",
            }
        )
    rows.append(
        {
            "Protein IDs": "REV__P02751",
            "Majority protein IDs": "REV__P02751",
            "Protein names": "",
            "Gene names": "",
            "Fasta headers": "",
            "Number of proteins": 1,
            "Reverse": "+",
            "Potential contaminant": "",
        }
    )
    frame = pd.DataFrame(rows)
    values = np.vstack([observed.T, decoy[None, :]])
    detected = values > 0
    peptides = np.clip(np.round(np.log2(np.maximum(values.max(axis=1), 1)) - 18 + rng.integers(0, 4, len(values))), 1, 60)
    peptides = np.where(detected.any(axis=1), peptides, 0).astype(int)
    unique = np.maximum(peptides - rng.integers(0, 2, len(values)), np.minimum(peptides, 1)).astype(int)
    frame["Peptides"] = peptides
    frame["Razor + unique peptides"] = unique
    frame["Unique peptides"] = unique
    frame["Q-value"] = 0.0
    frame["Score"] = np.round(peptides * 7.5 + 5.0, 3)
    scaling = np.exp(rng.normal(0.0, 0.1, len(names)))  # raw intensity differs from LFQ by a per-sample factor
    raw = np.round(values * scaling[None, :], 0)
    frame["Intensity"] = raw.sum(axis=1)
    for j, name in enumerate(names):
        frame[f"Intensity {name}"] = raw[:, j]
    for j, name in enumerate(names):
        frame[f"LFQ intensity {name}"] = values[:, j]
    frame["MS/MS count"] = (peptides * detected.sum(axis=1)).astype(int)
    frame["Only identified by site"] = ""
    frame["id"] = np.arange(len(frame))
    order = [c for c in frame.columns if c not in ("Reverse", "Potential contaminant", "id")]
    frame = frame[order + ["Reverse", "Potential contaminant", "id"]]
    for column in [c for c in frame.columns if "ntensity" in c]:
        frame[column] = frame[column].astype(np.int64)
    return frame


def write_demo_files(directory: str | Path) -> dict[str, Path]:
    """Simulate the demo dataset (:data:`DEMO_PARAMETERS`) and write its three files into ``directory``."""
    simulated = simulate_secretome(**DEMO_PARAMETERS)
    return simulated.write(directory, prefix="demo")


def demo_paths() -> dict[str, Path]:
    """Paths of the shipped demo files: ``table`` (MaxQuant proteinGroups), ``samples``, ``truth``."""
    root = resources.files("secretome") / "datasets"
    return {key: Path(str(root / name)) for key, name in DEMO_FILES.items()}


def load_demo_truth() -> dict[str, Any]:
    """The ground truth of the shipped demo (target and realized shares per sample)."""
    return json.loads(demo_paths()["truth"].read_text(encoding="utf-8"))
