"""The registry's one door to the engine: reading a table for preview and one function per run kind.

Nothing else in the registry or the web app imports the science. Each run function takes the stored
input files, the run's parameters (library names, checked against :data:`PARAMETERS`), an output
directory and an optional progress callback, and returns a :class:`secretome.jobs.JobResult`;
:func:`command_line` gives the ``secretome`` command that reproduces the run outside the app.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError
from secretome.jobs import JobResult, ProgressCallback

# name -> (type, CLI flag); a list type is a repeatable flag
PARAMETERS: dict[str, dict[str, tuple[type, str]]] = {
    "profile": {
        "group": (str, "--group"), "design": (str, "--design"), "contrast": (str, "--contrast"),
        "normalize": (str, "--normalize"), "impute": (str, "--impute"), "min_valid": (int, "--min-valid"),
        "lot_column": (str, "--lot-column"), "reference": (list, "--reference"), "margin": (float, "--margin"),
    },
    "compare": {
        "design": (str, "--design"), "contrast": (str, "--contrast"), "normalize": (str, "--normalize"),
        "impute": (str, "--impute"), "min_valid": (int, "--min-valid"), "trend": (bool, "--trend"),
        "robust": (bool, "--robust"),
    },
    "comparability": {
        "lot_column": (str, "--lot-column"), "reference": (list, "--reference"), "margin": (float, "--margin"),
    },
    "assay": {
        "lot_column": (str, "--lot-column"), "model": (str, "--model"), "weights": (str, "--weights"),
        "blank": (str, "--blank"), "substitution": (str, "--substitution"), "decimal": (str, "--decimal"),
        "format": (str, "--format"), "analyte": (str, "--analyte"),
        "potency": (Path, "--potency"), "layout": (Path, "--layout"),
    },
    "outcomes": {
        "baseline": (str, "--baseline"), "visit": (str, "--visit"), "reference_arm": (str, "--reference-arm"),
        "min_cell": (int, "--min-cell"), "shift_dates": (bool, "--shift-dates"),
    },
}
REQUIRED = {"profile": (), "compare": ("design", "contrast"), "comparability": ("reference",), "assay": (), "outcomes": ()}
REPORT_FILE = {kind: "report.html" for kind in ("profile", "compare", "comparability", "assay", "outcomes")}
"""Every job writes one page, ``report.html`` (:data:`secretome.jobs.naming.REPORT`)."""
# run parameters that name a stored file: the run keeps its sha256; the worker and the reproducing command get
# its path in the store (see services.resolve_files)
FILE_PARAMETERS = {name for kind in PARAMETERS.values() for name, (kind_type, _) in kind.items() if kind_type is Path}
# kinds whose inputs and outputs are patient data: shown only to users with the clinical grant
CLINICAL_KINDS = ("outcomes",)
# an outcomes run's stored inputs, in the order of the command line (records first, as its argument)
CLINICAL_INPUTS = {"records": "", "dictionary": "--dictionary", "events": "--events", "treatments": "--treatments"}


def check_parameters(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """The run's parameters with their types checked; unknown names and missing required ones are input errors."""
    if kind not in PARAMETERS:
        raise SecretomeInputError(f"unknown run kind {kind!r}", expected="one of " + ", ".join(PARAMETERS))
    known = PARAMETERS[kind]
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if name not in known:
            raise SecretomeInputError(f"unknown parameter {name!r} for a {kind} run", expected="one of " + ", ".join(known))
        kind_type = known[name][0]
        if value is None or value == "" or value == []:
            continue
        try:
            if kind_type is Path:  # a stored file's sha256, never a path (see services.resolve_files)
                checked[name] = str(value).strip().lower()
                if len(checked[name]) != 64 or any(c not in "0123456789abcdef" for c in checked[name]):
                    raise ValueError(name)
            elif kind_type is list:
                values = value if isinstance(value, list) else [value]
                checked[name] = [str(item) for item in values if str(item).strip()]
            elif kind_type is bool:
                checked[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
            else:
                checked[name] = kind_type(value)
        except (TypeError, ValueError):
            raise SecretomeInputError(f"parameter {name!r} is {value!r}",
                                      expected="a stored file's sha256" if kind_type is Path else f"a {kind_type.__name__}") from None
    missing = [name for name in REQUIRED[kind] if name not in checked]
    if missing:
        raise SecretomeInputError(f"a {kind} run needs {', '.join(missing)}", expected="those parameters")
    return checked


def versions() -> dict[str, str]:
    """The engine and knowledge-base versions a run records."""
    from secretome import __version__
    from secretome.kb import kb_summary

    return {"engine": __version__, "kb": str(kb_summary().get("version", ""))}


def preview(table: Path, sheet: Path | None) -> dict[str, Any]:
    """What the reader takes from ``table`` (and how ``sheet`` matches it), without storing anything.

    Returns the reader's summary (format, quantity, counts, ...), the columns it did not read, its
    warnings, and the sample names with their sheet columns. Reader errors (including sample-sheet
    mismatches) propagate as :class:`SecretomeInputError`, worded as the CLI words them.
    """
    from secretome import io
    from secretome.jobs.common import read_input

    adata, reader_warnings = read_input(table, sheet)
    summary = io.summarize(adata)
    source = dict(adata.uns.get("source", {}))
    obs = adata.obs.astype(str)
    return {
        "summary": {key: value for key, value in summary.items() if key != "path"},
        "lines": [(label, value) for label, value in io.summary_lines(summary) if label != "file"],
        "ignored_columns": [str(c) for c in source.get("ignored_columns", [])],
        "warnings": reader_warnings,
        "samples": [{"sample": str(name), **row} for name, row in obs.to_dict(orient="index").items()],
        "sheet_columns": [str(c) for c in obs.columns],
    }


def run_profile(table: Path, sheet: Path | None, parameters: dict[str, Any], out: Path,
                progress: ProgressCallback | None = None) -> JobResult:
    """QC, purity and functional profile (``secretome profile``): :func:`secretome.jobs.profile_job`."""
    from secretome.jobs import profile_job

    return profile_job(table, out, samples=sheet, progress=progress, **parameters)


def run_compare(table: Path, sheet: Path | None, parameters: dict[str, Any], out: Path,
                progress: ProgressCallback | None = None) -> JobResult:
    """Moderated (limma) test of one contrast (``secretome compare``): :func:`secretome.jobs.compare_job`."""
    from secretome.jobs import compare_job

    return compare_job(table, out, samples=sheet, progress=progress, **parameters)


def run_comparability(table: Path, sheet: Path | None, parameters: dict[str, Any], out: Path,
                      progress: ProgressCallback | None = None) -> JobResult:
    """Lot comparability against reference lots (``secretome comparability``): :func:`secretome.jobs.comparability_job`."""
    from secretome.jobs import comparability_job

    return comparability_job(table, out, samples=sheet, progress=progress, **parameters)


def run_assay(table: Path, sheet: Path | None, parameters: dict[str, Any], out: Path,
              progress: ProgressCallback | None = None) -> JobResult:
    """Standard curves, concentrations, QC and per-lot potency of an immunoassay export (``secretome assay``).

    ``potency`` and ``layout`` are paths (the worker resolves the stored files). The summary gains
    ``potency``: one row per lot and declared assay (value, unit, limits, pass/fail) from ``potency.tsv``.
    """
    import pandas as pd

    from secretome.jobs.assay import assay_job

    options = {k: parameters[k] for k in ("model", "weights", "blank", "substitution", "decimal", "format", "analyte")
               if k in parameters}
    result = assay_job(table, samples=sheet, layout=parameters.get("layout"), potency=parameters.get("potency"),
                       lot_column=parameters.get("lot_column", "lot"), out=out, progress=progress, **options)
    rows: list[dict[str, Any]] = []
    potency = out / "potency.tsv"
    if potency.is_file():
        frame = pd.read_csv(potency, sep="\t", dtype={"lot": str, "analyte": str, "gene": str, "unit": str, "note": str,
                                                      "source": str, "kind": str, "result": str})
        for record in frame.to_dict(orient="records"):
            rows.append({key: (None if isinstance(value, float) and value != value else value) for key, value in record.items()})
    return JobResult(kind="assay", out=out, files=result.files, summary={**result.summary, "potency": rows})


def outcome_lots(treatments: Path) -> list[str]:
    """The lot numbers a treatment table names (to look up their composition in the registry)."""
    from secretome.clinical.importing import read_treatments

    return sorted({str(lot) for lot in read_treatments(treatments)["lot"].dropna() if str(lot).strip()})


def run_outcomes(inputs: dict[str, Path], lots: Any, parameters: dict[str, Any], out: Path, key: Path,
                 progress: ProgressCallback | None = None) -> JobResult:
    """Clinical outcomes of a trial linked to its lots' composition (``secretome outcomes``).

    ``inputs`` maps ``records``, ``treatments`` (and optionally ``dictionary``, ``events``) to the stored files; ``lots``
    is the composition table of the lots (:func:`secretome.registry.services.lot_composition`);
    ``key`` the registry's pseudonymisation key file, so a patient keeps one pseudonym across runs.
    """
    from secretome.jobs.outcomes import outcomes_job

    return outcomes_job(inputs["records"], dictionary=inputs.get("dictionary"), treatments=inputs["treatments"],
                        events=inputs.get("events"), lots=lots, out=out, progress=progress, key=key,
                        shift_dates=bool(parameters.get("shift_dates", False)), baseline=parameters.get("baseline"),
                        visit=parameters.get("visit"), reference_arm=parameters.get("reference_arm"),
                        min_cell_patients=parameters.get("min_cell"))


RUNNERS: dict[str, Callable[..., JobResult]] = {
    "profile": run_profile, "compare": run_compare, "comparability": run_comparability, "assay": run_assay,
}


def command_line(kind: str, table: Path | None, sheet: Path | None, parameters: dict[str, Any], out: Path,
                 inputs: dict[str, Path] | None = None, key: Path | None = None) -> str:
    """The ``secretome`` command that reproduces this run from the stored files (``inputs`` and ``key`` for a
    clinical run, whose lots' composition comes from the registry, written to its ``lots.tsv``)."""
    words = ["secretome", kind]
    if kind in CLINICAL_KINDS:
        inputs = inputs or {}
        for role, flag in CLINICAL_INPUTS.items():
            if role in inputs:
                words += ([flag] if flag else []) + [str(inputs[role])]
        if key is not None:
            words += ["--key-file", str(key)]
    else:
        words.append(str(table))
    if sheet is not None:
        words += ["--samples", str(sheet)]
    for name, (kind_type, flag) in PARAMETERS[kind].items():
        if name not in parameters:
            continue
        value = parameters[name]
        if kind_type is list:
            for item in value:
                words += [flag, str(item)]
        elif kind_type is bool:
            if value:
                words.append(flag)
        else:
            words += [flag, str(value)]
    words += ["--out", str(out)]
    return shlex.join(words)


def lot_metrics(result: JobResult) -> dict[str, dict[str, float | None]]:
    """Per lot (the profile's group levels): its mean of every purity index and class share, and the mean
    log2 of each key factor, as the profile summary and protein table state them."""
    summary = result.summary
    groups = summary.get("groups") or {}
    metrics: dict[str, dict[str, float | None]] = {str(k): dict(v) for k, v in (groups.get("means") or {}).items()}
    proteins = protein_levels(result)
    genes = [str(f.get("gene")) for f in summary.get("key_factors", []) if f.get("in_table")]
    for level, values in metrics.items():
        by_gene = {row["gene"]: row["mean_log2"] for row in proteins.get(level, [])}
        for gene in genes:
            values[f"factor:{gene}"] = by_gene.get(gene)
    return metrics


def protein_levels(result: JobResult) -> dict[str, list[dict[str, Any]]]:
    """Per lot (group level): each protein's mean log2 and detection count from the profile's protein table."""
    import pandas as pd

    levels = [str(level) for level in (result.summary.get("groups") or {}).get("levels", [])]
    path = result.out / "proteins.tsv"
    if not levels or not path.is_file():
        return {}
    table = pd.read_csv(path, sep="\t", keep_default_na=True, dtype={"gene": str, "description": str, "protein": str})
    out: dict[str, list[dict[str, Any]]] = {}
    for level in levels:
        mean, count = f"mean_log2_{level}", f"n_detected_{level}"
        if mean not in table.columns:
            continue
        rows = table[["protein", "gene", "description", mean, count]].dropna(subset=[mean])
        out[level] = [
            {"protein": str(protein), "gene": "" if pd.isna(gene) else str(gene),
             "description": "" if pd.isna(description) else str(description),
             "mean_log2": float(value), "n_detected": int(n)}
            for protein, gene, description, value, n in rows.itertuples(index=False, name=None)
        ]
    return out


def sample_verdicts(result: JobResult) -> list[dict[str, Any]]:
    """Each sample's group and QC status from a profile summary (for the dashboard's verdict column)."""
    return [{"sample": s.get("sample"), "group": s.get("group"), "qc_status": s.get("qc_status")}
            for s in result.summary.get("samples", [])]
