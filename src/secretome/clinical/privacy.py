"""Privacy for clinical data: direct identifiers out, keyed pseudonyms in, shifted dates, small cells hidden.

Direct identifiers (fields REDCap flags as identifiers, identifier-like names and validation types, file
and signature fields) are dropped at import with a message and never reach an output. Patients appear
under a keyed pseudonym: HMAC-SHA256 of the raw id under a project key that stays on the user's machine,
so the same patient gets the same pseudonym in every run with that key and nobody without the key can
link it back. Dates can be shifted per patient by a key-derived number of days (intervals within a
patient are kept). Aggregated tables blank any cell with fewer patients than the configured minimum.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from secretome.clinical.rules import privacy_rules
from secretome.errors import SecretomeInputError

SUPPRESSED = "suppressed"
"""The marker aggregated tables carry in their ``note`` column for a blanked small cell."""


def identifier_reason(name: str, *, flagged: bool = False, validation: str = "", field_type: str = "") -> str | None:
    """Why field ``name`` is a direct identifier (a short reason), or None when it is not one."""
    rules = privacy_rules()
    if flagged:
        return "flagged as an identifier in the data dictionary"
    if validation and validation.strip().lower() in rules["identifier_validation_types"]:
        return f"validation type {validation.strip()}"
    if field_type and field_type.strip().lower() in rules["identifier_field_types"]:
        return f"field type {field_type.strip()}"
    lowered = name.strip().lower()
    for pattern in rules["identifier_name_patterns"]:
        if re.fullmatch(pattern, lowered):
            return "identifier-like name"
    return None


def find_identifiers(columns: Iterable[str], dictionary: pd.DataFrame | None = None) -> dict[str, str]:
    """The direct-identifier columns among ``columns`` with the reason for each.

    ``dictionary`` is a parsed REDCap data dictionary (:func:`secretome.clinical.redcap.read_dictionary`);
    checkbox columns (``field___code``) inherit their field's verdict.
    """
    info: dict[str, tuple[bool, str, str]] = {}
    if dictionary is not None:
        for row in dictionary.itertuples(index=False):
            info[row.field] = (row.identifier, row.validation, row.field_type)
    found = {}
    for column in columns:
        base = column.split("___", 1)[0]
        flagged, validation, field_type = info.get(base, (False, "", ""))
        reason = identifier_reason(base, flagged=flagged, validation=validation, field_type=field_type)
        if reason is not None:
            found[column] = reason
    return found


def load_key(key: str | bytes | Path | None) -> tuple[bytes, str]:
    """The project key as bytes and a sentence on where it came from.

    A path reads the key file (created with a new random key, mode 0600, when it does not exist); str or
    bytes are the key itself; None makes a one-off random key, so pseudonyms do not link across runs.
    """
    if key is None:
        return secrets.token_bytes(32), "a one-off random key, so pseudonyms differ between runs; pass a key file to keep them"
    if isinstance(key, bytes):
        if not key:
            raise SecretomeInputError("the pseudonymisation key is empty", expected="a non-empty key")
        return key, "the key given"
    if isinstance(key, Path):
        if not key.exists():
            try:
                descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as error:
                raise SecretomeInputError(f"cannot create the key file ({error.strerror})", file=key) from None
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            text = key.read_text(encoding="utf-8").strip()
            return text.encode(), f"a new key written to {key} (keep it private and keep it: it links pseudonyms across runs)"
        text = key.read_text(encoding="utf-8").strip()
        if not text:
            raise SecretomeInputError("the key file is empty", file=key, expected="a secret of at least 16 characters")
        return text.encode(), f"the key file {key}"
    if len(key) < 16:
        raise SecretomeInputError("the pseudonymisation key is too short", expected="at least 16 characters")
    return key.encode(), "the key given"


@dataclass(frozen=True)
class Pseudonymizer:
    """Keyed, deterministic pseudonyms and date shifts for one project key."""

    key: bytes
    prefix: str = "P"
    max_shift_days: int = int(privacy_rules()["max_shift_days"])

    def _digest(self, purpose: str, raw: object) -> bytes:
        return hmac.new(self.key, f"{purpose}\x1f{str(raw).strip()}".encode(), hashlib.sha256).digest()

    def patient(self, raw: object) -> str:
        """The pseudonym of raw patient id ``raw`` (``P-`` + 12 hex digits of HMAC-SHA256)."""
        return f"{self.prefix}-{self._digest('patient', raw).hex()[:12]}"

    def shift_days(self, raw: object) -> int:
        """The number of days patient ``raw``'s dates move (same key and patient, same shift)."""
        span = 2 * self.max_shift_days + 1
        return int.from_bytes(self._digest("date-shift", raw)[:8], "big") % span - self.max_shift_days

    def mapping(self, raw_ids: Iterable[object]) -> dict[str, str]:
        """Raw id -> pseudonym for ``raw_ids``; refuses the (astronomically unlikely) collision."""
        out: dict[str, str] = {}
        seen: dict[str, str] = {}
        for raw in raw_ids:
            text = str(raw).strip()
            alias = self.patient(text)
            if seen.setdefault(alias, text) != text:
                raise SecretomeInputError(f"two patient ids share pseudonym {alias}", expected="a longer pseudonym prefix")
            out[text] = alias
        return out


def shift_dates(values: pd.Series, patients: pd.Series, pseudonymizer: Pseudonymizer) -> pd.Series:
    """ISO dates in ``values`` moved by each row's patient shift (missing stays missing; the result is ISO text)."""
    parsed = pd.to_datetime(values, errors="coerce", format="mixed")
    shifts = pd.to_timedelta([pseudonymizer.shift_days(p) for p in patients], unit="D")
    moved = parsed + shifts
    return moved.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)


def suppress_small_cells(
    frame: pd.DataFrame, *, n_column: str = "n_patients", value_columns: Iterable[str], min_patients: int | None = None
) -> pd.DataFrame:
    """``frame`` with ``value_columns`` blanked (and ``note`` = 'suppressed (< k patients)') where ``n_column`` < k.

    The count itself is kept only as '< k' text, so a suppressed cell reveals no number below k.
    """
    k = int(privacy_rules()["min_cell_patients"] if min_patients is None else min_patients)
    out = frame.copy()
    small = out[n_column].astype(float) < k
    columns = [c for c in value_columns if c in out.columns]
    for column in columns:
        out[column] = out[column].astype(object).where(~small, None)
    out[n_column] = out[n_column].astype(object).where(~small, f"< {k}")
    note = out["note"].astype(object) if "note" in out.columns else pd.Series("", index=out.index, dtype=object)
    out["note"] = note.where(~small, f"{SUPPRESSED} (< {k} patients)")
    return out


def assert_no_identifiers(frame: pd.DataFrame, forbidden: Mapping[str, str], *, where: str) -> None:
    """Refuse to write ``frame`` if any dropped identifier column reappeared (a guard before every output)."""
    leaked = sorted(set(frame.columns) & set(forbidden))
    if leaked:
        raise SecretomeInputError(f"identifier columns would be written to {where}: {', '.join(leaked)}")
