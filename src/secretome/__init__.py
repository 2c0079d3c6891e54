"""secretome: make therapeutic secretomes measurable.

Public API (each stage takes an AnnData of samples x proteins and returns it):
``read`` -> ``annotate`` -> ``qc`` -> ``stats`` -> ``profile`` -> report.
"""

from __future__ import annotations

__version__ = "0.1.0"

# Eager on purpose: the function `annotate` shares its name with the module `secretome.annotate`; importing it here
# guarantees `secretome.annotate` is the function whatever the user imported first.
from secretome import kb
from secretome.annotate import annotate, annotate_identifiers
from secretome.errors import SecretomeInputError
from secretome.io import read, read_samples
from secretome.profile import ProfileResult, profile
from secretome.qc import qc

__all__ = [
    "__version__",
    "SecretomeInputError",
    "read",
    "read_samples",
    "annotate",
    "annotate_identifiers",
    "kb",
    "ProfileResult",
    "profile",
    "qc",
]
