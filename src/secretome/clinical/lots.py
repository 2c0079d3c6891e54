"""Each lot's composition, the predictors of the composition-outcome link.

A composition is one row per lot number with numeric features: functional-class shares
(``class_share:<class>``), purity indices (``serum_share``, ``lysis_share``, ...), key factors
(``key_factor:<gene>``, median log2 quantity) and potency results (``potency:<assay>``). Sources:

* profile outputs (``profile.json`` written by ``secretome profile``): a profile grouped by lot gives one
  row per group level; an ungrouped profile is one lot named by its folder;
* ``potency.tsv`` files (columns lot, assay, value) anywhere under the lots folder;
* ``composition.tsv`` files (a lot column and numeric feature columns named as above), for lots whose
  composition was measured elsewhere;
* lots held elsewhere: :func:`composition_from_metrics` (lot number, metric, value rows, as the registry's
  :func:`secretome.registry.services.lot_composition` hands them over from each lot's latest finished profile
  run) and :func:`composition_from_summaries` (lot -> profile summary).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from secretome.errors import SecretomeInputError

PURITY_FEATURES = ("serum_share", "lysis_share", "handling_share", "ev_share", "secreted_share")
"""Purity indices taken from a profile (its flagged shares)."""


def _features_of_group(summary: Mapping[str, Any], level: str | None) -> dict[str, float]:
    """Composition features of one group level of a profile summary (``level`` None = the whole profile)."""
    features: dict[str, float] = {}
    if level is not None:
        means = summary["groups"]["means"][level]
        for key, value in means.items():
            if key in PURITY_FEATURES or key.startswith("class_share:"):
                features[key] = float(value)
    else:
        shares = summary.get("purity", {}).get("mean_shares", {})
        features.update({k: float(shares[k]) for k in PURITY_FEATURES if k in shares})
        functional = summary.get("functional", {})
        if functional.get("share"):
            matrix = np.asarray(functional["share"], float)
            for k, name in enumerate(functional["classes"]):
                features[f"class_share:{name}"] = float(np.nanmean(matrix[:, k]))
    for factor in summary.get("key_factors", []):
        if level is not None:
            value = factor.get("by_group", {}).get(level, {}).get("median_log2")
        else:
            value = factor.get("median_log2")
        if value is not None and np.isfinite(value):
            features[f"key_factor:{factor['gene']}"] = float(value)
    return features


def composition_from_summaries(summaries: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Composition table (index lot) from {lot: profile summary}; a grouped summary adds one row per level.

    The key of an ungrouped summary is its lot number; a summary grouped by a lot column contributes its
    levels as lot numbers (the key is then only its source name).
    """
    rows: dict[str, dict[str, float]] = {}
    for name, summary in summaries.items():
        groups = summary.get("groups")
        levels = groups["levels"] if groups and groups.get("means") else None
        for level in levels or [None]:
            lot = str(level) if level is not None else str(name)
            if lot in rows:
                raise SecretomeInputError(f"lot {lot} appears in two profiles", file=str(name), expected="one profile per lot")
            rows[lot] = _features_of_group(summary, level)
    table = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    table.index.name = "lot"
    return table


def composition_from_metrics(rows: Iterable[tuple[str, str, float | None]]) -> pd.DataFrame:
    """Composition table from (lot number, metric, value) rows, as the registry stores a profile's lot metrics.

    Kept: purity indices, ``class_share:*``, key factors (the registry's ``factor:<gene>`` becomes
    ``key_factor:<gene>``) and ``potency:*``; other metrics (counts, missingness) are not composition.
    """
    table: dict[str, dict[str, float]] = {}
    for lot, metric, value in rows:
        name = f"key_factor:{metric.split(':', 1)[1]}" if metric.startswith("factor:") else metric
        if not (name in PURITY_FEATURES or name.startswith(("class_share:", "key_factor:", "potency:"))):
            continue
        if value is None or not np.isfinite(float(value)):
            continue
        features = table.setdefault(str(lot), {})
        if name in features:
            raise SecretomeInputError(f"lot {lot} has two values of {name}", expected="one value per lot and metric (one profile run per lot)")
        features[name] = float(value)
    frame = pd.DataFrame.from_dict(table, orient="index").sort_index()
    frame.index.name = "lot"
    return frame


def read_potency(paths: Iterable[Path]) -> pd.DataFrame:
    """Potency results from ``potency.tsv`` files (lot, assay, value) as columns ``potency:<assay>``."""
    frames = []
    for path in paths:
        table = pd.read_csv(path, sep="\t", dtype={"lot": str})
        missing = {"lot", "assay", "value"} - set(table.columns)
        if missing:
            raise SecretomeInputError(f"no column {sorted(missing)[0]!r}", file=path, expected="columns lot, assay, value")
        values = pd.to_numeric(table["value"], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 2
            raise SecretomeInputError("potency value is not a number", file=path, column="value", row=row, expected="a number")
        frames.append(table.assign(value=values))
    if not frames:
        return pd.DataFrame()
    long = pd.concat(frames, ignore_index=True)
    duplicated = long.duplicated(["lot", "assay"])
    if duplicated.any():
        first = long[duplicated].iloc[0]
        raise SecretomeInputError(f"lot {first['lot']} has two {first['assay']} results", expected="one value per lot and assay")
    wide = long.pivot(index="lot", columns="assay", values="value")
    wide.columns = [f"potency:{c}" for c in wide.columns]
    return wide


def lot_composition(lots: str | Path) -> pd.DataFrame:
    """Composition of the lots under folder ``lots`` (every ``profile.json`` and ``potency.tsv`` beneath it)."""
    root = Path(lots)
    if not root.is_dir():
        raise SecretomeInputError("the lots folder does not exist", file=root, expected="a folder of profile outputs")
    summaries = {}
    for path in sorted(root.rglob("profile.json")):
        try:
            summaries[path.parent.name] = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise SecretomeInputError(f"not valid JSON ({error.msg})", file=path, expected="a profile.json written by secretome profile") from None
    composition = composition_from_summaries(summaries) if summaries else pd.DataFrame()
    parts = [composition, read_potency(sorted(root.rglob("potency.tsv"))),
             *(read_composition_table(path) for path in sorted(root.rglob("composition.tsv")))]
    parts = [part for part in parts if not part.empty]
    if not parts:
        raise SecretomeInputError("no profile.json, composition.tsv or potency.tsv found", file=root,
                                  expected="lot folders with secretome profile outputs (profile.json), composition.tsv or potency.tsv")
    table = parts[0]
    for part in parts[1:]:
        overlap = sorted(set(table.columns) & set(part.columns))
        if overlap:
            raise SecretomeInputError(f"feature {overlap[0]!r} is given twice for the lots", file=root, expected="each feature from one source")
        table = table.join(part, how="outer")
    table.index.name = "lot"
    return table.sort_index()


def read_composition_table(path: Path) -> pd.DataFrame:
    """A ``composition.tsv``: column lot and numeric feature columns; every cell must be a number or empty."""
    table = pd.read_csv(path, sep="\t", dtype={"lot": str})
    if "lot" not in table.columns:
        raise SecretomeInputError("no column 'lot'", file=path, expected="a lot column and numeric feature columns")
    if table["lot"].duplicated().any():
        raise SecretomeInputError(f"lot {table['lot'][table['lot'].duplicated()].iloc[0]} appears twice", file=path, column="lot",
                                  expected="one row per lot")
    table = table.set_index("lot")
    for column in table.columns:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = values.isna() & table[column].notna()
        if bad.any():
            raise SecretomeInputError("not a number", file=path, column=column, row=str(table.index[bad.to_numpy()][0]), expected="numeric features")
        table[column] = values
    return table
