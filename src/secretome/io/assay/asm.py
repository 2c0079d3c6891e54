"""allotropy as the parsing layer: an instrument file -> Allotrope Simple Model (ASM) dict -> well rows.

allotropy (Benchling, MIT) parses many vendors' exports offline; the readers that use it only map the
ASM documents they need (sample, location, role, dilution, bead counts, median fluorescence, luminescence).
"""

from __future__ import annotations

import gzip
import tempfile
import warnings
from pathlib import Path
from typing import Any

from secretome.errors import SecretomeInputError


def to_asm(path: Path, vendor: str) -> dict[str, Any]:
    """The ASM dict allotropy makes of ``path`` (gunzipped to a temporary file first when it ends in .gz)."""
    try:
        with warnings.catch_warnings():  # allotropy imports dateutil.zoneinfo, whose DeprecationWarning (about
            # allotropy's code, not the user's file) is silenced here, also under -W error
            warnings.filterwarnings("ignore", message="The `dateutil.zoneinfo` module", category=DeprecationWarning)
            from allotropy.parser_factory import Vendor
            from allotropy.to_allotrope import allotrope_from_file
    except ImportError:  # pragma: no cover - allotropy is a dependency; this names the fix if it is missing
        raise SecretomeInputError("reading this format needs the allotropy package", file=path, expected="pip install allotropy") from None
    path = Path(path)
    if not path.is_file():
        raise SecretomeInputError("file not found", file=path)
    try:
        if path.suffix == ".gz":
            with tempfile.TemporaryDirectory() as folder:
                plain = Path(folder) / path.stem
                plain.write_bytes(gzip.decompress(path.read_bytes()))
                return allotrope_from_file(str(plain), Vendor[vendor])
        return allotrope_from_file(str(path), Vendor[vendor])
    except SecretomeInputError:
        raise
    except Exception as error:  # allotropy raises its own types (AllotropeConversionError ...) and ValueErrors
        raise SecretomeInputError(f"allotropy could not parse it as {vendor} ({error})", file=path) from None


def value(document: dict[str, Any] | None, key: str) -> Any:
    """``document[key]['value']`` (ASM quantities) or ``document[key]`` or None."""
    if not document or key not in document:
        return None
    item = document[key]
    return item.get("value") if isinstance(item, dict) else item


def median_fluorescence(analyte: dict[str, Any]) -> float | None:
    """The median-role fluorescence statistic of an ASM analyte document."""
    for statistic in analyte.get("statistics aggregate document", {}).get("statistics document", []):
        for dimension in statistic.get("statistic dimension aggregate document", {}).get("statistic dimension document", []):
            stat = dimension.get("statistical value", {})
            if stat.get("has statistic datum role") == "median role":
                return stat.get("value")
    return None


ROLE_KINDS = {
    "standard sample role": "standard", "blank role": "blank", "control sample role": "control",
    "unknown sample role": "unknown", "sample role": "unknown",
}
