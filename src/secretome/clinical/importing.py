"""Clinical imports: REDCap exports, generic tidy tables, wide trial tables and treatment tables.

Every import ends in one *tidy* table, one row per observation::

    patient   eye   visit   variable   value   label

``eye`` is ``OD`` (right), ``OS`` (left) or empty for patient-level observations (questionnaires);
REDCap fields ending in ``_od``/``_os`` become the base variable with that eye. ``value`` is the raw
code as text (numbers with a decimal point, dates ISO); ``label`` is the choice label where the data
dictionary gives one. Direct identifiers are dropped on the way in (see :mod:`secretome.clinical.privacy`),
each with a message, and raw patient ids are replaced by keyed pseudonyms when a pseudonymizer is given.
"""

from __future__ import annotations

import csv

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from secretome.clinical.privacy import Pseudonymizer, find_identifiers, identifier_reason, shift_dates
from secretome.errors import SecretomeInputError

TIDY_COLUMNS = ("patient", "eye", "visit", "variable", "value", "label")
TREATMENT_COLUMNS = ("patient", "eye", "lot", "dose", "start", "end")
"""Required columns of a treatment table (``arm`` is optional; a blank eye means both eyes)."""

DICTIONARY_COLUMNS = {
    "Variable / Field Name": "field",
    "Form Name": "form",
    "Field Type": "field_type",
    "Field Label": "label",
    "Choices, Calculations, OR Slider Labels": "choices",
    "Text Validation Type OR Show Slider Number": "validation",
    "Text Validation Min": "min",
    "Text Validation Max": "max",
    "Identifier?": "identifier",
}
"""REDCap data-dictionary headers (the standard 18-column export) and the names used here."""

REDCAP_SYSTEM_COLUMNS = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group", "redcap_survey_identifier")
_EYE_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<eye>od|os)$", re.IGNORECASE)
_EYE_WORDS = {"od": "OD", "r": "OD", "re": "OD", "right": "OD", "os": "OS", "l": "OS", "le": "OS", "left": "OS",
              "": "", "ou": "", "both": "", "nan": "", "none": ""}
_DATE_FORMATS = {"date_ymd": "%Y-%m-%d", "date_dmy": "%d-%m-%Y", "date_mdy": "%m-%d-%Y"}
_CHOICE_TYPES = ("radio", "dropdown", "checkbox")
_FIXED_CHOICES = {"yesno": {"1": "Yes", "0": "No"}, "truefalse": {"1": "True", "0": "False"}}


@dataclass
class ClinicalImport:
    """An imported clinical export: the tidy observations, what was dropped and why, and counts."""

    tidy: pd.DataFrame
    visits: list[str]
    counts: dict[str, int]
    dropped: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    source: str = ""
    pseudonymous: bool = False
    record_ids: dict[str, str] = field(default_factory=dict, repr=False)
    """Pseudonym -> the record id in the source file, for error messages the user must act on; never written."""


def _read_csv(path: str | Path, what: str) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise SecretomeInputError(f"{what} not found", file=path, expected="an existing CSV file")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", sep=None, engine="python")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as error:
        raise SecretomeInputError(f"cannot read the {what} ({error})", file=path, expected="a UTF-8 CSV export") from None


def parse_choices(text: object) -> dict[str, str]:
    """REDCap choices ``"1, one | 2, two"`` as ``{"1": "one", "2": "two"}`` (empty for no choices)."""
    if not isinstance(text, str) or not text.strip():
        return {}
    out = {}
    for part in text.split("|"):
        code, _, label = part.partition(",")
        if code.strip():
            out[code.strip()] = label.strip()
    return out


def read_dictionary(path: str | Path) -> pd.DataFrame:
    """A REDCap data dictionary: one row per field with its form, type, choices, validation and identifier flag."""
    raw = _read_csv(path, "REDCap data dictionary")
    missing = [name for name in ("Variable / Field Name", "Field Type") if name not in raw.columns]
    if missing:
        raise SecretomeInputError(
            f"not a REDCap data dictionary: no column {missing[0]!r}", file=path,
            expected="the REDCap data-dictionary export (columns 'Variable / Field Name', 'Form Name', 'Field Type', ...)",
        )
    frame = raw.rename(columns=DICTIONARY_COLUMNS)
    for column in DICTIONARY_COLUMNS.values():
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[list(DICTIONARY_COLUMNS.values())].fillna("")
    frame["field"] = frame["field"].str.strip()
    frame["field_type"] = frame["field_type"].str.strip().str.lower()
    frame["validation"] = frame["validation"].str.strip().str.lower()
    frame["identifier"] = frame["identifier"].str.strip().str.lower().isin(["y", "yes", "1", "true"])
    frame["choice_map"] = [
        _FIXED_CHOICES.get(kind, parse_choices(choices) if kind in _CHOICE_TYPES else {})
        for kind, choices in zip(frame["field_type"], frame["choices"])
    ]
    return frame.reset_index(drop=True)


def _normalise_value(value: str, validation: str) -> tuple[str, str | None]:
    """One REDCap text value in a canonical spelling (decimal point, ISO dates) and a problem, if any.

    REDCap keeps values entered before a validation type was set, so a non-conforming value is kept as
    text with a problem message (scored measure items are validated strictly later, in scoring).
    """
    if "comma_decimal" in validation:
        candidate = value.replace(",", ".")
        try:
            float(candidate)
        except ValueError:
            return value, "is not a number (validation number_comma_decimal)"
        return candidate, None
    if validation == "integer" or validation.startswith("number"):
        try:
            number = float(value)
        except ValueError:
            return value, f"is not a number ({validation})"
        if validation == "integer" and number != int(number):
            return value, "is not a whole number (integer)"
        return value, None
    if validation in _DATE_FORMATS:
        for fmt in (_DATE_FORMATS[validation], "%Y-%m-%d"):
            try:
                return pd.to_datetime(value, format=fmt).strftime("%Y-%m-%d"), None
            except ValueError:
                continue
        return value, f"is not a date ({validation})"
    return value, None


def read_redcap(
    records: str | Path,
    dictionary: str | Path | pd.DataFrame | None = None,
    *,
    events: str | Path | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    shift: bool = False,
) -> ClinicalImport:
    """Import a REDCap record export (raw codes, one row per record/event/repeat instance) into tidy rows.

    ``dictionary`` (the data-dictionary CSV) supplies choice labels, checkbox choices, validation types
    and identifier flags; without it, identifiers are found by name only. ``events`` (the event CSV)
    gives visit order and labels for longitudinal projects. Visits are the event (label) and, for
    repeating instruments, ``<instrument> <instance>``. Dates (date validation types) are shifted per
    patient when ``shift`` and a pseudonymizer are given.
    """
    path = Path(records)
    data = _read_csv(path, "REDCap records export")
    if data.empty:
        raise SecretomeInputError("the records export has no rows", file=path, expected="at least one record")
    meta = dictionary if isinstance(dictionary, pd.DataFrame) or dictionary is None else read_dictionary(dictionary)
    id_column = meta["field"].iloc[0] if meta is not None and len(meta) else data.columns[0]
    if id_column not in data.columns:
        raise SecretomeInputError(
            f"the record-id field {id_column!r} (first field of the dictionary) is not a column of the export",
            file=path, column=id_column, expected="records and dictionary from the same project",
        )
    messages: list[str] = []
    dropped = find_identifiers([c for c in data.columns if c != id_column and c not in REDCAP_SYSTEM_COLUMNS], meta)
    if dropped:
        messages.append(
            f"dropped {len(dropped)} direct-identifier column(s) at import: "
            + ", ".join(f"{name} ({reason})" for name, reason in dropped.items())
        )
    data = data.drop(columns=list(dropped))
    if data[id_column].isna().any():
        row = int(np.flatnonzero(data[id_column].isna().to_numpy())[0]) + 2
        raise SecretomeInputError("a row has no record id", file=path, column=id_column, row=row, expected="every row's record id")
    by_field = {} if meta is None else {row.field: row for row in meta.itertuples(index=False)}

    event_labels, event_order = _events(events, data)
    visits_row = _visit_labels(data, event_labels)
    raw_ids = data[id_column].str.strip()
    patients = raw_ids.map(pseudonymizer.mapping(raw_ids.unique())) if pseudonymizer is not None else raw_ids
    record_ids = dict(zip(patients, raw_ids))

    value_columns = [c for c in data.columns if c != id_column and c not in REDCAP_SYSTEM_COLUMNS and not _is_complete_flag(c, meta)]
    checkbox_fields: dict[str, int] = {}
    pieces = []
    for column in value_columns:
        values = data[column]
        present = values.notna()
        if not present.any():
            continue
        base, _, code = column.partition("___")
        meta_row = by_field.get(base)
        validation = meta_row.validation if meta_row is not None else ""
        field_type = meta_row.field_type if meta_row is not None else ""
        variable, eye = _split_eye(base)
        if code:
            variable = f"{variable}___{code}"
            labels = pd.Series((meta_row.choice_map.get(code, "") if meta_row is not None else ""), index=values.index)
        elif meta_row is not None and meta_row.choice_map:
            labels = values.map(lambda v, m=meta_row.choice_map: m.get(str(v).strip(), ""))
        else:
            labels = pd.Series("", index=values.index)
        text = values[present].astype(str).str.strip()
        normalised = []
        for i, raw_value in text.items():
            value, problem = _normalise_value(raw_value, validation)
            if problem:
                messages.append(f"patient {patients[i]}, visit {visits_row[i] or '-'}, field {column}: {raw_value!r} {problem}; kept as text")
            normalised.append(value)
        piece = pd.DataFrame({
            "patient": patients[present].to_numpy(), "eye": eye, "visit": visits_row[present].to_numpy(),
            "variable": variable, "value": normalised, "label": labels[present].to_numpy(),
        })
        if shift and pseudonymizer is not None and validation in _DATE_FORMATS:
            piece["value"] = shift_dates(piece["value"], raw_ids[present].reset_index(drop=True), pseudonymizer).to_numpy()
        if field_type == "checkbox" or code:
            checkbox_fields.setdefault(base, 0)
        pieces.append(piece)
    tidy = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=list(TIDY_COLUMNS))
    checkbox_columns = [c for c in data.columns if "___" in c]
    for column in checkbox_columns:
        checkbox_fields[column.partition("___")[0]] = checkbox_fields.get(column.partition("___")[0], 0) + 1
    seen_visits = list(dict.fromkeys(visits_row))
    visits = [v for v in event_order if v in set(seen_visits)] + [v for v in seen_visits if v not in event_order]
    instance = data["redcap_repeat_instance"] if "redcap_repeat_instance" in data.columns else pd.Series(dtype=str)
    counts = {
        "records": int(raw_ids.nunique()),
        "rows": int(len(data)),
        "events": int(data["redcap_event_name"].nunique()) if "redcap_event_name" in data.columns else 0,
        "repeating_instances": int(instance.notna().sum()),
        "repeating_instruments": int(data["redcap_repeat_instrument"].nunique()) if "redcap_repeat_instrument" in data.columns else 0,
        "checkbox_fields": len(checkbox_fields),
        "checkbox_choices": len(checkbox_columns),
        "identifiers_dropped": len(dropped),
        "observations": int(len(tidy)),
    }
    return ClinicalImport(tidy=tidy[list(TIDY_COLUMNS)], visits=visits, counts=counts, dropped=dropped,
                          messages=messages, source=str(path), pseudonymous=pseudonymizer is not None, record_ids=record_ids)


def _is_complete_flag(column: str, meta: pd.DataFrame | None) -> bool:
    """REDCap's per-form ``<form>_complete`` status columns (administrative, not observations)."""
    if not column.endswith("_complete"):
        return False
    return meta is None or column[: -len("_complete")] in set(meta["form"])


def _split_eye(name: str) -> tuple[str, str]:
    match = _EYE_SUFFIX.match(name)
    return (match["base"], match["eye"].upper()) if match else (name, "")


def _events(events: str | Path | None, data: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Unique event name -> visit name (the unique name, stable across exports) and the events' order."""
    if events is None or "redcap_event_name" not in data.columns:
        return {}, []
    table = _read_csv(events, "REDCap events export")
    for column in ("unique_event_name", "event_name"):
        if column not in table.columns:
            raise SecretomeInputError(f"no column {column!r}", file=events, expected="the REDCap events export")
    labels = {u: u for u in table["unique_event_name"]}
    unknown = sorted(set(data["redcap_event_name"].dropna()) - set(labels))
    if unknown:
        raise SecretomeInputError(f"event {unknown[0]!r} of the records is not in the events export", file=events,
                                  column="unique_event_name", expected="records and events from the same project")
    return labels, list(table["unique_event_name"])


def _visit_labels(data: pd.DataFrame, event_labels: dict[str, str]) -> pd.Series:
    """Each row's visit: its event, and ``<instrument> <instance>`` for a repeating instrument's row."""
    visit = pd.Series("", index=data.index, dtype=object)
    if "redcap_event_name" in data.columns:
        visit = data["redcap_event_name"].fillna("").map(lambda e: event_labels.get(e, e))
    if "redcap_repeat_instance" in data.columns:
        instrument = data.get("redcap_repeat_instrument", pd.Series("", index=data.index)).fillna("")
        instance = data["redcap_repeat_instance"].fillna("")
        repeat = (instrument + " " + instance).str.strip()
        visit = pd.Series(
            [" / ".join(p for p in (v, r) if p) for v, r in zip(visit, repeat)], index=data.index, dtype=object,
        )
    return visit


def read_tidy(path: str | Path, *, pseudonymizer: Pseudonymizer | None = None, shift: bool = False) -> ClinicalImport:
    """Import a generic tidy table (columns patient, eye, visit, variable, value; optional label).

    Eyes may be written OD/OS, R/L, right/left; blank or OU means a patient-level observation. Rows whose
    variable is a direct identifier (by name) are dropped with a message. With ``shift`` and a
    pseudonymizer, values that are ISO dates (YYYY-MM-DD) move by the patient's shift.
    """
    path = Path(path)
    frame = _read_table(path, "tidy clinical table")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in TIDY_COLUMNS[:5] if c not in frame.columns]
    if missing:
        raise SecretomeInputError(f"no column {missing[0]!r}", file=path, column=missing[0],
                                  expected="columns patient, eye, visit, variable, value")
    frame = frame.copy()
    if "label" not in frame.columns:
        frame["label"] = ""
    frame["eye"] = _normalise_eyes(frame["eye"], path)
    for column in ("patient", "visit", "variable"):
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise SecretomeInputError(f"empty {column}", file=path, column=column, row=int(np.flatnonzero(blank.to_numpy())[0]) + 2,
                                      expected=f"a {column} on every row")
        frame[column] = frame[column].astype(str).str.strip()
    reasons = {v: identifier_reason(v) for v in frame["variable"].unique()}
    dropped = {v: r for v, r in reasons.items() if r is not None}
    messages = []
    if dropped:
        messages.append("dropped direct-identifier variable(s) at import: " + ", ".join(f"{v} ({r})" for v, r in dropped.items()))
        frame = frame[~frame["variable"].isin(list(dropped))]
    frame = frame[frame["value"].notna() & (frame["value"].astype(str).str.strip() != "")]
    frame["value"] = frame["value"].astype(str).str.strip()
    raw_ids = frame["patient"]
    if shift and pseudonymizer is not None:
        dates = frame["value"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        if dates.any():
            frame.loc[dates, "value"] = shift_dates(frame.loc[dates, "value"], raw_ids[dates], pseudonymizer).to_numpy()
    if pseudonymizer is not None:
        frame["patient"] = raw_ids.map(pseudonymizer.mapping(raw_ids.unique()))
    record_ids = dict(zip(frame["patient"], raw_ids))
    visits = list(dict.fromkeys(frame["visit"]))
    counts = {"records": int(frame["patient"].nunique()), "rows": int(len(frame)), "events": len(visits),
              "repeating_instances": 0, "repeating_instruments": 0, "checkbox_fields": 0, "checkbox_choices": 0,
              "identifiers_dropped": len(dropped), "observations": int(len(frame))}
    return ClinicalImport(tidy=frame[list(TIDY_COLUMNS)].reset_index(drop=True), visits=visits, counts=counts,
                          dropped=dropped, messages=messages, source=str(path), pseudonymous=pseudonymizer is not None,
                          record_ids=record_ids)


def read_wide(
    path: str | Path,
    *,
    patient: str,
    visit_pattern: str = r"^(?P<variable>.+)_(?P<visit>\d+)$",
    eye: str | None = None,
    pseudonymizer: Pseudonymizer | None = None,
) -> ClinicalImport:
    """Import a wide trial table (one row per patient or eye, visit in the column name, e.g. ``logmar_3``).

    Columns matching ``visit_pattern`` (named groups ``variable`` and ``visit``) become observations at that
    visit; other columns become patient-level observations at visit ``""`` (assignments, flags).
    """
    path = Path(path)
    frame = _read_table(path, "trial table")
    if patient not in frame.columns:
        raise SecretomeInputError(f"no patient column {patient!r}", file=path, column=patient, expected="the patient-id column")
    pattern = re.compile(visit_pattern)
    dropped = find_identifiers([c for c in frame.columns if c not in (patient, eye)])
    frame = frame.drop(columns=list(dropped))
    eyes = _normalise_eyes(frame[eye], path) if eye else pd.Series("", index=frame.index)
    ids = frame[patient].astype(str).str.strip()
    patients = ids.map(pseudonymizer.mapping(ids.unique())) if pseudonymizer is not None else ids
    pieces = []
    visit_numbers: set[str] = set()
    for column in frame.columns:
        if column in (patient, eye):
            continue
        match = pattern.match(column)
        variable, visit = (match["variable"], match["visit"]) if match else (column, "")
        if match:
            visit_numbers.add(visit)
        present = frame[column].notna() & (frame[column].astype(str).str.strip() != "")
        pieces.append(pd.DataFrame({"patient": patients[present].to_numpy(), "eye": eyes[present].to_numpy(), "visit": visit,
                                    "variable": variable, "value": frame.loc[present, column].astype(str).str.strip().to_numpy(), "label": ""}))
    tidy = pd.concat(pieces, ignore_index=True)
    visits = sorted(visit_numbers, key=lambda v: float(v))
    messages = ["dropped direct-identifier column(s) at import: " + ", ".join(f"{c} ({r})" for c, r in dropped.items())] if dropped else []
    counts = {"records": int(ids.nunique()), "rows": int(len(frame)), "events": len(visits), "repeating_instances": 0,
              "repeating_instruments": 0, "checkbox_fields": 0, "checkbox_choices": 0, "identifiers_dropped": len(dropped),
              "observations": int(len(tidy))}
    return ClinicalImport(tidy=tidy, visits=visits, counts=counts, dropped=dropped, messages=messages, source=str(path),
                          pseudonymous=pseudonymizer is not None, record_ids=dict(zip(patients, ids)))


def _read_table(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise SecretomeInputError(f"{what} not found", file=path, expected="an existing CSV/TSV file")
    if path.suffix.lower() in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=str)
    try:
        return pd.read_csv(path, dtype=str, sep=None, engine="python", keep_default_na=False, na_values=["", "NA"], encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise SecretomeInputError(f"cannot read the {what} ({error})", file=path, expected="a UTF-8 CSV or TSV") from None


def _normalise_eyes(values: pd.Series, path: Path) -> pd.Series:
    words = values.fillna("").astype(str).str.strip().str.lower()
    unknown = ~words.isin(list(_EYE_WORDS))
    if unknown.any():
        index = int(np.flatnonzero(unknown.to_numpy())[0])
        raise SecretomeInputError(f"eye {values.iloc[index]!r} is not understood", file=path, column="eye", row=index + 2,
                                  expected="OD/OS (or R/L, right/left; blank or OU for patient-level)")
    return words.map(_EYE_WORDS)


def read_treatments(
    path: str | Path | pd.DataFrame, *, pseudonymizer: Pseudonymizer | None = None, shift: bool = False
) -> pd.DataFrame:
    """A treatment table: patient, eye (blank = both), lot, dose, start, end, optional arm; one row per exposure.

    Lot numbers link to the lots' composition (:func:`secretome.clinical.lots.lot_composition`). Dates must be
    ISO (YYYY-MM-DD) and end on or after start; they are shifted like the records when ``shift``.
    """
    name = "treatment table" if isinstance(path, pd.DataFrame) else str(path)
    frame = path.copy() if isinstance(path, pd.DataFrame) else _read_table(Path(path), "treatment table")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in TREATMENT_COLUMNS if c not in frame.columns]
    if missing:
        raise SecretomeInputError(f"no column {missing[0]!r}", file=name, column=missing[0],
                                  expected="columns " + ", ".join(TREATMENT_COLUMNS) + " (and optionally arm)")
    frame = frame.copy()
    frame["eye"] = _normalise_eyes(frame["eye"], Path(name))
    for column in ("patient", "lot"):
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise SecretomeInputError(f"empty {column}", file=name, column=column, row=int(np.flatnonzero(blank.to_numpy())[0]) + 2,
                                      expected=f"a {column} on every row")
        frame[column] = frame[column].astype(str).str.strip()
    raw_ids = frame["patient"].copy()
    for column in ("start", "end"):
        text = frame[column].fillna("").astype(str).str.strip()
        parsed = pd.to_datetime(text.where(text != ""), format="%Y-%m-%d", errors="coerce")
        bad = (text != "") & parsed.isna()
        if bad.any():
            index = int(np.flatnonzero(bad.to_numpy())[0])
            raise SecretomeInputError(f"{text.iloc[index]!r} is not a date", file=name, column=column, row=index + 2, expected="YYYY-MM-DD")
        frame[column] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)
    both = frame["start"].notna() & frame["end"].notna()
    backwards = both & (pd.to_datetime(frame["end"]) < pd.to_datetime(frame["start"]))
    if backwards.any():
        index = int(np.flatnonzero(backwards.to_numpy())[0])
        raise SecretomeInputError("end is before start", file=name, column="end", row=index + 2, expected="end on or after start")
    if "arm" not in frame.columns:
        frame["arm"] = ""
    frame["arm"] = frame["arm"].fillna("").astype(str).str.strip()
    if pseudonymizer is not None:
        frame["patient"] = raw_ids.map(pseudonymizer.mapping(raw_ids.unique()))
        if shift:
            for column in ("start", "end"):
                frame[column] = shift_dates(frame[column], raw_ids, pseudonymizer)
    columns = ["patient", "eye", "arm", "lot", "dose", "start", "end"]
    return frame[columns].reset_index(drop=True)


def exposures(treatments: pd.DataFrame, eyes: Sequence[str] = ("OD", "OS")) -> pd.DataFrame:
    """One row per patient and eye with its arm and lot (a blank-eye treatment applies to both eyes).

    A patient-eye given more than one lot is refused: the composition link needs one lot per eye.
    """
    rows = []
    for row in treatments.itertuples(index=False):
        for eye in (eyes if row.eye == "" else [row.eye]):
            rows.append({"patient": row.patient, "eye": eye, "arm": row.arm or row.lot, "lot": row.lot})
    table = pd.DataFrame(rows, columns=["patient", "eye", "arm", "lot"]).drop_duplicates()
    counts = table.groupby(["patient", "eye"])["lot"].nunique()
    several = counts[counts > 1]
    if len(several):
        patient, eye = several.index[0]
        raise SecretomeInputError(f"patient {patient} eye {eye} received more than one lot", column="lot",
                                  expected="one lot per patient and eye (split the course into separate analyses)")
    return table.reset_index(drop=True)

