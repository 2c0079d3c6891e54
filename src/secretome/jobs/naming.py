"""One naming scheme for every output file, whichever job writes it.

``profile`` with a design writes the same differential and enrichment tables under the same names as
``compare``; ``profile`` with reference lots the same comparability tables as ``comparability``.
"""

from __future__ import annotations

import hashlib
import re

REPORT = "report.html"
"""The one HTML page of a command run."""

PROFILE_JSON = "profile.json"
"""The profile summary: the report's only input (the report is redrawn from it)."""

DATASET = "dataset.h5ad"
"""The profiled dataset (``.obs``/``.var``/``.uns`` hold every result and its parameters)."""

PROTEINS = "proteins.tsv"
SAMPLES = "samples.tsv"
WORKBOOK = "secretome.xlsx"
"""The formatted Excel workbook (``xlsx=True``): proteins, samples and verdicts."""

COMPARABILITY_FACTORS = "comparability_factors.tsv"
COMPARABILITY_CV = "comparability_cv.tsv"
COMPARABILITY_LOTS = "comparability_lots.tsv"
COMPARABILITY_FILES = (COMPARABILITY_FACTORS, COMPARABILITY_CV, COMPARABILITY_LOTS)


STEM_LIMIT = 100
"""Longest file-name stem taken from a contrast or lot name (file systems allow 255 bytes per name)."""


def contrast_stem(contrast: str) -> str:
    """A file-name stem from a contrast (``treated-control`` stays; other characters become ``_``); a
    stem longer than :data:`STEM_LIMIT` is cut and ends in a short hash of the whole name, so it stays
    distinct and never exceeds the file system's limit."""
    stem = re.sub(r"[^A-Za-z0-9._+-]+", "_", contrast.strip()).strip("._") or "contrast"
    if len(stem) > STEM_LIMIT:
        digest = hashlib.sha256(contrast.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[: STEM_LIMIT - 11]}-{digest}"
    return stem


def differential_file(contrast: str) -> str:
    """The moderated-test table of one contrast, e.g. ``differential_lot_B-lot_A.tsv``."""
    return f"differential_{contrast_stem(contrast)}.tsv"


def enrichment_file(contrast: str) -> str:
    """The enrichment table of one contrast, e.g. ``enrichment_lot_B-lot_A.tsv``."""
    return f"enrichment_{contrast_stem(contrast)}.tsv"


def certificate_file(lot: str) -> str:
    """The certificate-of-analysis PDF of one lot or group, e.g. ``certificate_lot_A.pdf``."""
    return f"certificate_{contrast_stem(lot)}.pdf"
