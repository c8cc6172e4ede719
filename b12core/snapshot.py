"""A read-only snapshot of one patient for a share link, as a FHIR R4B Bundle (fhirVersion 4.3.0).

The Bundle holds a Patient, one Observation per result (its LOINC code, the value in its canonical
UCUM unit with the comparator of a censored result, the lab's reference range, the collection
time), one MedicationAdministration per dose (dose in micrograms, route, time), one Observation per
symptom score, and a Basic resource carrying the chosen regimen and view settings for the app to
read back. Built and read with the FHIR model library (fhir.resources, R4B), which validates it.

Times: the files give clock times without a time zone; a snapshot writes them in ``tz`` (a FHIR
dateTime with a time needs one) and reads them back as the same clock times.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from b12core.doses import DOSES_COLUMNS, typed_doses
from b12core.errors import InputError
from b12core.labs import LABS_COLUMNS, typed_labs
from b12core.reference import analytes, fhir_codes
from b12core.symptoms import SYMPTOMS_COLUMNS

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SETTINGS_URL = "urn:b12-follow-up:view-settings"  # the extension holding the view settings as JSON
# The extension holding what FHIR has no element for, as JSON: the result as the lab reported it,
# its specimen, and the file and row it came from (the dashboard's hover and notes show them).
RECORD_URL = "urn:b12-follow-up:record"
_LAB_EXTRA = tuple(c for c in LABS_COLUMNS if c not in (
    "patient_id", "collected_at", "analyte", "value", "unit", "qualifier", "ref_low", "ref_high"))
_DOSE_EXTRA = tuple(c for c in DOSES_COLUMNS if c not in (
    "patient_id", "administered_at", "product", "dose_ug", "route"))
_SYMPTOM_EXTRA = tuple(c for c in SYMPTOMS_COLUMNS if c not in ("patient_id", "recorded_at", "symptom", "score"))
SYMPTOM_CATEGORY = "survey"  # FHIR observation-category: a patient's own report
SCORE_UNIT = "{score}"  # UCUM's annotation for a unitless score (the diary's 0-10)
PATIENT_REF = "urn:uuid:00000000-0000-4000-8000-000000000001"  # the Bundle's one patient
# A de-identified snapshot shifts every date by one random number of days per link, as
# de-identified research data does (MIMIC shifts into the future; here up to a year either way):
# intervals between results and doses stay true, the calendar dates do not.
SHIFT_DAYS_MAX = 365
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Snapshot:
    """What a share snapshot holds, read back as the app's tables."""

    patient_id: str
    labs: pd.DataFrame  # patient_id, collected_at, analyte, value, unit, qualifier, ref_low, ref_high
    doses: pd.DataFrame  # patient_id, administered_at, product, dose_ug, route
    symptoms: pd.DataFrame  # patient_id, recorded_at, symptom, score
    settings: dict[str, Any]


def _when(value: pd.Timestamp, tz: str) -> str:
    """A FHIR date (midnight: the file gave a date) or dateTime: the clock time as the file gave it,
    with the zone's offset at that time (for a time the clock skipped or repeated when it changed,
    the offset before the change), so that it reads back as the same clock time."""
    if value == value.normalize():
        return f"{value:%Y-%m-%d}"
    clock = value.to_pydatetime()
    return clock.replace(tzinfo=dt.timezone(ZoneInfo(tz).utcoffset(clock))).isoformat()


def _quantity(value: float, unit: str, comparator: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"value": float(value), "unit": unit, "system": UCUM, "code": unit}
    return {**out, "comparator": comparator} if comparator else out


def _plain(value: Any) -> Any:
    """A cell as JSON: a missing value is null, numpy numbers are Python numbers."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _record(row: Any, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """The extension holding a record's columns that FHIR has no element for."""
    extra = {c: _plain(getattr(row, c)) for c in columns if hasattr(row, c)}
    return [{"url": RECORD_URL, "valueString": json.dumps(extra, sort_keys=True)}] if extra else []


def _observation(row: Any, tz: str) -> dict[str, Any]:
    loinc, ucum, display = fhir_codes()[row.analyte]
    resource: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": loinc, "display": display}],
                 "text": analytes()[row.analyte].label},
        "subject": {"reference": PATIENT_REF}, "effectiveDateTime": _when(row.collected_at, tz),
        "valueQuantity": _quantity(row.value, ucum, row.qualifier if isinstance(row.qualifier, str) else ""),
    }
    extension = _record(row, _LAB_EXTRA)
    limits = {k: _quantity(v, ucum) for k, v in (("low", row.ref_low), ("high", row.ref_high)) if pd.notna(v)}
    return {**resource, **({"referenceRange": [limits]} if limits else {}),
            **({"extension": extension} if extension else {})}


def _administration(row: Any, tz: str) -> dict[str, Any]:
    extension = _record(row, _DOSE_EXTRA)
    return {"resourceType": "MedicationAdministration", "status": "completed",
            "medicationCodeableConcept": {"text": row.product}, "subject": {"reference": PATIENT_REF},
            "effectiveDateTime": _when(row.administered_at, tz),
            "dosage": {"route": {"text": row.route}, "dose": _quantity(row.dose_ug, "ug")},
            **({"extension": extension} if extension else {})}


def _symptom(row: Any, tz: str) -> dict[str, Any]:
    extension = _record(row, _SYMPTOM_EXTRA)
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": SYMPTOM_CATEGORY}]}],
            "code": {"text": row.symptom}, "subject": {"reference": PATIENT_REF},
            "effectiveDateTime": _when(row.recorded_at, tz), "valueQuantity": _quantity(row.score, SCORE_UNIT),
            **({"extension": extension} if extension else {})}


def random_shift_days() -> int:
    """A link's date shift for a de-identified snapshot: a random non-zero number of days within
    ``SHIFT_DAYS_MAX`` either way."""
    days = 1 + secrets.randbelow(SHIFT_DAYS_MAX)
    return days if secrets.randbelow(2) else -days


def _moved(value: Any, step: pd.Timedelta) -> Any:
    """A setting with its ISO dates moved (a plan's start, the dates shown), at any depth."""
    if isinstance(value, dict):
        return {k: _moved(v, step) for k, v in value.items()}
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return f"{pd.Timestamp(value) + step:%Y-%m-%d}"
    return value


def _anonymous(frame: pd.DataFrame, when: str, step: pd.Timedelta, files: dict[str, str]) -> pd.DataFrame:
    """A record table de-identified: dates moved, file names replaced by "file 1", "file 2", …
    (a file is often named after the patient), free-text notes and batch numbers dropped."""
    out = frame.assign(**{when: frame[when] + step})
    if "source_file" in out:
        for name in pd.unique(out["source_file"].astype(str)):
            files.setdefault(name, f"file {len(files) + 1}")
        out["source_file"] = out["source_file"].astype(str).map(files)
    for column in ("notes", "batch"):  # free text quoting the file; a batch number can be traced
        if column in out:
            out[column] = ""
    return out


def _shifted(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None, settings: dict[str, Any],
             days: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """Every date moved by ``days`` (the records' and the settings'), and the files not named."""
    step, files = pd.Timedelta(days=days), {}
    return (_anonymous(labs, "collected_at", step, files), _anonymous(doses, "administered_at", step, files),
            _anonymous(symptoms, "recorded_at", step, files) if symptoms is not None else None,
            _moved(settings, step))


def snapshot_bundle(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None,
                    settings: dict[str, Any], patient_id: str, tz: str = "UTC",
                    shift_days: int | None = None) -> dict[str, Any]:
    """The patient's results (dated ones), doses, symptom scores and view ``settings`` as a FHIR
    R4B collection Bundle (a JSON-ready dict), validated by the FHIR model library. With
    ``shift_days`` (``random_shift_days``, one per link) it is de-identified: no identifier, no
    file names or notes, and every date moved by that many days."""
    if shift_days is not None:
        labs, doses, symptoms, settings = _shifted(labs, doses, symptoms, settings, shift_days)
    identified = shift_days is None
    patient = {"resourceType": "Patient", **({"identifier": [{"value": patient_id}]} if identified else {})}
    resources = [patient]
    resources += [_observation(r, tz) for r in labs[labs["collected_at"].notna()].itertuples(index=False)]
    resources += [_administration(r, tz) for r in doses.itertuples(index=False)]
    if symptoms is not None:
        resources += [_symptom(r, tz) for r in symptoms.itertuples(index=False)]
    resources.append({"resourceType": "Basic", "code": {"text": "B12 follow-up view"},
                      "subject": {"reference": PATIENT_REF},
                      "extension": [{"url": SETTINGS_URL, "valueString": json.dumps(settings, sort_keys=True)}]})
    entries = [{"fullUrl": PATIENT_REF if i == 0 else f"urn:uuid:00000000-0000-4000-8000-{i + 1:012d}",
                "resource": r} for i, r in enumerate(resources)]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    Bundle.model_validate(bundle)  # raises on anything FHIR R4B does not allow
    return bundle


def _clock(text: str, tz: str) -> pd.Timestamp:
    """The clock time a FHIR date or dateTime was written with (``_when``)."""
    when = pd.Timestamp(text)
    return when.tz_localize(None) if when.tzinfo is not None else when


def _extension(resource: Any, url: str) -> dict[str, Any]:
    found = [e.valueString for e in resource.extension or [] if e.url == url]
    return json.loads(found[0]) if found else {}


def _lab(r: Any, analyte: str, tz: str) -> dict[str, Any]:
    limits = r.referenceRange[0] if r.referenceRange else None
    return {"collected_at": _clock(str(r.effectiveDateTime), tz), "analyte": analyte,
            "value": float(r.valueQuantity.value), "unit": analytes()[analyte].canonical_unit,
            "qualifier": r.valueQuantity.comparator or "",
            "ref_low": float(limits.low.value) if limits and limits.low else float("nan"),
            "ref_high": float(limits.high.value) if limits and limits.high else float("nan"),
            **_extension(r, RECORD_URL)}


def _dose(r: Any, tz: str) -> dict[str, Any]:
    return {"administered_at": _clock(str(r.effectiveDateTime), tz), "product": r.medicationCodeableConcept.text,
            "dose_ug": float(r.dosage.dose.value), "route": r.dosage.route.text, **_extension(r, RECORD_URL)}


def _symptom_row(r: Any, tz: str) -> dict[str, Any]:
    return {"recorded_at": _clock(str(r.effectiveDateTime), tz), "symptom": r.code.text,
            "score": float(r.valueQuantity.value), **_extension(r, RECORD_URL)}


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...], patient_id: str) -> pd.DataFrame:
    """Rows read back with the app table's columns (a missing text is "", a missing row number 0)."""
    frame = pd.DataFrame(rows, columns=[c for c in columns if c != "patient_id"]).assign(patient_id=patient_id)
    if "source_row" in frame:
        frame["source_row"] = frame["source_row"].fillna(0)
    return frame[list(columns)]


def _symptoms_table(rows: list[dict[str, Any]], patient_id: str) -> pd.DataFrame:
    text = [c for c in SYMPTOMS_COLUMNS if c not in ("recorded_at", "score", "source_row")]
    return _table(rows, SYMPTOMS_COLUMNS, patient_id).astype(
        {**dict.fromkeys(text, "str"), "recorded_at": "datetime64[ns]", "score": "float64", "source_row": "int64"})


def read_snapshot(data: bytes, tz: str = "UTC") -> Snapshot:
    """A snapshot's tables, read from its Bundle's JSON (validated by the FHIR model library);
    ``InputError`` when it is not such a Bundle."""
    try:
        bundle = Bundle.model_validate_json(data)
    except (ValidationError, ValueError) as err:
        raise InputError("the shared file is not a B12 follow-up snapshot") from err
    by_code = {loinc: analyte for analyte, (loinc, _, _) in fhir_codes().items()}
    patient_id, labs, doses, symptoms, settings = "", [], [], [], {}
    for entry in bundle.entry or []:
        r = entry.resource
        kind = r.get_resource_type()
        if kind == "Patient" and r.identifier:
            patient_id = r.identifier[0].value
        elif kind == "Observation" and r.category[0].coding[0].code == SYMPTOM_CATEGORY:
            symptoms.append(_symptom_row(r, tz))
        elif kind == "Observation" and r.valueQuantity is not None:
            labs.append(_lab(r, by_code[r.code.coding[0].code], tz))
        elif kind == "MedicationAdministration":
            doses.append(_dose(r, tz))
        elif kind == "Basic":
            settings = _extension(r, SETTINGS_URL)
    return Snapshot(patient_id, typed_labs(_table(labs, LABS_COLUMNS, patient_id)),
                    typed_doses(_table(doses, DOSES_COLUMNS, patient_id)), _symptoms_table(symptoms, patient_id),
                    settings)
