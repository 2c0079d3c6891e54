"""Assay results in the engine's container: an AnnData of samples x analytes.

``.X`` holds the reported concentration (dilution-corrected, substitution applied, NaN = not measured),
or the signal itself for relative (NPX) data and exports without standards (``uns['assay']['calibrated']``);
layers ``signal`` (MFI/OD/ECL/NPX, replicate mean), ``concentration`` (dilution-corrected back-calculated
value, no substitution) and ``flags`` (codes of :data:`secretome.assays.quantify.FLAGS`, the most common
flag of the sample's wells); ``.var`` has the analyte, its gene symbol (curated synonym table), unit,
LLOQ/ULOQ; ``.uns['assay']`` the curves, their parameters, the standards and every option used. The
gene symbol is also ``.var['protein_group']``, so annotation, functional classes, the key-factor panel
and lot comparability work on assay data as on a proteome.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from secretome.assays.config import analyte_gene
from secretome.assays.quantify import FLAG_CODES, FLAGS, AssayResult
from secretome.io.assay.base import AssayRead
from secretome.provenance import record_step

#: Export flags of readers that have no curve, mapped onto the flag vocabulary.
_VENDOR_FLAGS = {"<LOD": "<LOD", "<": "<LLOQ", ">": ">ULOQ"}


def _records(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """A frame as h5ad-storable columns (lists of str/float)."""
    out: dict[str, list[Any]] = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype.kind in "fiub":
            out[str(column)] = values.astype(float).tolist()
        else:
            out[str(column)] = values.fillna("").astype(str).tolist()
    return out


def _common_flags(frame: pd.DataFrame) -> pd.Series:
    """Per (sample, analyte): the most common well flag, ties going to the more severe flag."""
    counts = frame.groupby(["sample", "analyte", "flag"], sort=False).size().unstack("flag", fill_value=0)
    ordered = sorted(counts.columns, key=lambda flag: FLAG_CODES.get(flag, len(FLAGS)), reverse=True)
    return counts[ordered].idxmax(axis=1)


def sample_table(wells: pd.DataFrame) -> pd.DataFrame:
    """Unknown-sample wells -> one row per (sample, analyte): mean reported/concentration/signal, flag, wells."""
    unknown = wells[wells["kind"] == "unknown"]
    grouped = unknown.groupby(["sample", "analyte"], sort=False)
    table = grouped.agg(
        reported=("reported", "mean"), concentration=("corrected", "mean"), signal=("fitted_signal", "mean"),
        n_wells=("well", "size"), unit=("unit", "first"),
    )
    table["flag"] = _common_flags(unknown).reindex(table.index)
    return table.reset_index()


def result_wells(read: AssayRead) -> pd.DataFrame:
    """For exports without a curve (relative NPX, concentrations given): the well table with the result
    columns a fitted :class:`AssayResult` has."""
    wells = read.wells.copy()
    wells["fitted_signal"] = wells["signal"]
    value = wells["signal"] if read.quantity == "concentration" else np.nan
    wells["concentration"] = value
    wells["corrected"] = wells["signal"] * wells["dilution"] if read.quantity == "concentration" else np.nan
    wells["reported"] = wells["corrected"] if read.quantity == "concentration" else np.nan
    flags = wells["vendor_flag"].map(lambda f: next((v for k, v in _VENDOR_FLAGS.items() if f.startswith(k)), "ok"))
    if read.quantity == "signal":  # an export without standards: signals only, no concentration
        flags = pd.Series("no_curve", index=wells.index)
    wells["flag"] = np.where(wells["signal"].notna(), flags, "no_signal")
    wells["qc"] = wells["vendor_flag"].where(wells["vendor_flag"].str.contains("QC"), "")
    return wells


def to_anndata(result: AssayResult | AssayRead) -> AnnData:
    """Samples x analytes AnnData of a quantified assay (or of a curve-less export: NPX, given concentrations)."""
    if isinstance(result, AssayRead):
        read, wells, curves, standards, params = result, result_wells(result), pd.DataFrame(), pd.DataFrame(), {"quantity": result.quantity}
    else:
        read, wells, curves, standards, params = result.read, result.wells, result.curves, result.standards, dict(result.params)
    table = sample_table(wells)
    samples = list(dict.fromkeys(table["sample"]))
    analytes = list(dict.fromkeys(wells["analyte"]))
    def matrix(column: str) -> np.ndarray:
        pivot = table.pivot(index="sample", columns="analyte", values=column)
        return pivot.reindex(index=samples, columns=analytes).to_numpy(dtype=float)
    relative = read.relative
    uncalibrated = isinstance(result, AssayRead) and read.quantity == "signal"  # no standards: X holds the signal
    x = matrix("signal") if relative or uncalibrated else matrix("reported")
    flags = table.pivot(index="sample", columns="analyte", values="flag").reindex(index=samples, columns=analytes)
    flag_codes = flags.apply(lambda column: column.map(lambda f: FLAG_CODES.get(f, FLAG_CODES["no_signal"]) if isinstance(f, str) else FLAG_CODES["no_signal"]))
    var = pd.DataFrame(index=pd.Index(analytes, name="analyte"))
    var["analyte"] = analytes
    var["gene"] = [analyte_gene(a) for a in analytes]
    var["protein_group"] = [gene or analyte for gene, analyte in zip(var["gene"], analytes)]
    var["unit"] = [next((u for u in wells.loc[wells["analyte"] == a, "unit"] if u), "") for a in analytes]
    if not curves.empty and "lloq" in curves:
        limits = curves.groupby("analyte")[["lloq", "uloq"]].median()
        var["lloq"] = limits["lloq"].reindex(analytes).to_numpy()
        var["uloq"] = limits["uloq"].reindex(analytes).to_numpy()
    share = (flags != "ok").mean(axis=0)
    var["share_out_of_range"] = share.reindex(analytes).to_numpy(dtype=float)
    obs = pd.DataFrame(index=pd.Index(samples, name="sample"))
    obs["sample"] = samples
    obs["n_wells"] = table.groupby("sample")["n_wells"].sum().reindex(samples).to_numpy()
    adata = AnnData(X=x, obs=obs, var=var)
    adata.layers["signal"] = matrix("signal")
    adata.layers["concentration"] = matrix("signal") if relative else matrix("concentration")
    adata.layers["flags"] = flag_codes.to_numpy(dtype=np.int8)
    adata.uns["assay"] = {
        "format": read.format, "format_version": read.format_version, "instrument": read.instrument,
        "signal": read.signal_name, "quantity": read.quantity, "path": str(read.path),
        "flag_codes": {flag: code for flag, code in FLAG_CODES.items()}, "flags": list(FLAGS),
        "params": {k: (v if not isinstance(v, dict) else {kk: str(vv) for kk, vv in v.items()}) for k, v in params.items()},
        "curves": _records(curves) if not curves.empty else {},
        "standards": _records(standards) if not standards.empty else {},
        "panel": "targeted", "calibrated": not (relative or uncalibrated),
    }
    adata.uns["source"] = {
        "path": str(read.path), "format": read.format, "format_version": read.format_version,
        "quantity": read.signal_name if relative else "concentration", "is_log2": bool(relative), "kind": "immunoassay",
    }
    record_step(adata, "read_assay", "secretome.assays.quantify.quantify", {"path": str(read.path), "format": read.format, **{k: str(v) for k, v in params.items() if k != "rules"}})
    return adata
