"""The ``assay`` job: immunoassay export(s) -> standard curves, concentrations, QC and an HTML report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from secretome.errors import SecretomeInputError
from secretome.io.assay.base import AssayRead
from secretome.jobs.base import JobResult, ProgressCallback, report_progress, states_warnings

KIND = "assay"


def read_runs(
    inputs: str | Path | Sequence[str | Path], *, format: str | None = None, layout: Any = None, analyte: str | None = None
) -> AssayRead:
    """Read one or several exports (runs) into one :class:`AssayRead`; with several, plates are named
    ``<file stem>:<plate>`` so Levey-Jennings charts run across files."""
    from secretome.io.assay import read_assay

    paths = [Path(inputs)] if isinstance(inputs, (str, Path)) else [Path(p) for p in inputs]
    if not paths:
        raise SecretomeInputError("no input file given", expected="one or more immunoassay exports")
    reads = [read_assay(path, format=format, layout=layout, analyte=analyte) for path in paths]
    if len(reads) == 1:
        return reads[0]
    first = reads[0]
    if len({r.quantity for r in reads}) > 1:
        raise SecretomeInputError("the exports hold different kinds of values", file=paths[1], expected=f"{first.quantity} like {paths[0]}")
    frames = []
    for path, read in zip(paths, reads):
        frames.append(read.wells.assign(plate=path.stem + ":" + read.wells["plate"].astype(str)))
    first.wells = pd.concat(frames, ignore_index=True)
    first.meta["runs"] = [str(p) for p in paths]
    return first


@states_warnings
def assay_job(
    input: str | Path | Sequence[str | Path],
    *,
    layout: str | Path | pd.DataFrame | None = None,
    model: str = "5pl",
    weights: str = "1/y^2",
    blank: str = "auto",
    substitution: str = "none",
    decimal: str = "exclude",
    format: str | None = None,
    analyte: str | None = None,
    potency: str | Path | pd.DataFrame | None = None,
    lot_column: str = "lot",
    samples: str | Path | pd.DataFrame | None = None,
    out: str | Path,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> JobResult:
    """Fit every analyte's standard curve per plate and write, atomically into ``out``: ``concentrations.tsv``
    (long, with flags and the substitution), ``wells.tsv``, ``curves.tsv``, ``standards.tsv``, QC tables,
    ``balance.tsv``, ``potency.tsv`` (with a ``potency`` specification), ``assay.h5ad`` and ``report.html``.

    The default weights ``1/y^2`` are xPONENT's own (they reproduce its 5PL coefficients, see the tests).
    Parameters are those of :func:`secretome.assays.quantify.quantify`; ``format``/``analyte``/``layout`` go
    to :func:`secretome.io.assay.read_assay`; ``samples`` is a sample sheet joined on the sample names
    (its ``lot_column`` makes potency per lot); ``out`` is owned as in every job (``force`` moves a foreign
    directory aside, see :func:`secretome.outputs.atomic_directory`).
    """
    from secretome.assays.balance import cytokine_balance
    from secretome.assays.container import result_wells, sample_table, to_anndata
    from secretome.assays.potency import lot_potency
    from secretome.assays.qc import assay_qc
    from secretome.assays.quantify import quantify
    from secretome.assays.report import render_assay_report
    from secretome.io import h5ad_safe
    from secretome.outputs import atomic_directory, write_h5ad
    from secretome.tables import write_tsv

    report_progress(progress, "reading the export", 0.0)
    read = read_runs(input, format=format, layout=layout, analyte=analyte)
    report_progress(progress, "fitting standard curves", 0.2)
    result = quantify(read, model=model, weights=weights, blank=blank, substitution=substitution, decimal=decimal) if read.quantity == "signal" else None
    adata = to_anndata(result if result is not None else read)
    if samples is not None:
        from secretome.io.samples import match_samples, read_samples

        sheet = read_samples(samples)
        names = list(map(str, adata.obs_names))
        rows = match_samples(sheet, names, names, data_file=read.path)
        for column in sheet.columns:
            adata.obs[column] = sheet.loc[rows, column].to_numpy()
    report_progress(progress, "QC and summaries", 0.7)
    qc = assay_qc(result) if result is not None else None
    balance = cytokine_balance(adata)
    potency_table = lot_potency(adata, potency, lot_column=lot_column) if potency is not None else None
    wells = result.wells if result is not None else result_wells(read)
    table = sample_table(wells)
    table.insert(2, "gene", table["analyte"].map(adata.var["gene"].to_dict()))
    table["substitution"] = substitution if result is not None else "none"
    label = ", ".join(str(p) for p in ([input] if isinstance(input, (str, Path)) else input))
    html = render_assay_report(result, adata, qc, balance, potency_table, input_label=label)
    report_progress(progress, "writing outputs", 0.9)
    files: dict[str, pd.DataFrame] = {"concentrations.tsv": table, "wells.tsv": wells.drop(columns=[], errors="ignore")}
    if result is not None:
        files |= {"curves.tsv": result.curves, "standards.tsv": result.standards, "controls.tsv": qc["controls"],
                  "levey_jennings.tsv": qc["levey_jennings"], "replicate_cv.tsv": qc["replicate_cv"], "out_of_range.tsv": qc["out_of_range"]}
    if not balance.empty:
        files["balance.tsv"] = balance
    if potency_table is not None:
        files["potency.tsv"] = potency_table
    paths = [input] if isinstance(input, (str, Path)) else list(input)
    inputs = {f"INPUT{i + 1}": p for i, p in enumerate(paths)} | {
        "layout": layout if isinstance(layout, (str, Path)) else None, "samples": samples if isinstance(samples, (str, Path)) else None,
        "potency": potency if isinstance(potency, (str, Path)) else None,
    }
    with atomic_directory(out, kind=KIND, inputs=inputs, force=force) as staging:
        for name, frame in files.items():
            write_tsv(frame, staging / name)
        write_h5ad(h5ad_safe(adata), staging / "assay.h5ad")
        (staging / "report.html").write_text(html, encoding="utf-8")
    report_progress(progress, "done", 1.0)
    summary = {
        "format": read.format, "n_samples": int(adata.n_obs), "n_analytes": int(adata.n_vars),
        "n_curves": int(len(result.curves)) if result is not None else 0,
        "n_fitted": int(result.curves["status"].str.startswith("fitted").sum()) if result is not None else 0,
        "flags": table["flag"].value_counts().to_dict(), "out": str(out),
    }
    return JobResult(kind=KIND, out=Path(out), files=tuple(sorted([*files, "assay.h5ad", "report.html"])), summary=summary)
