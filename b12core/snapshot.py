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

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from b12core.errors import InputError
from b12core.reference import analytes, fhir_codes

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SETTINGS_URL = "urn:b12-follow-up:view-settings"  # the extension holding the view settings as JSON
SYMPTOM_CATEGORY = "survey"  # FHIR observation-category: a patient's own report
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
    """A FHIR date (midnight: the file gave a date) or dateTime with its zone."""
    if value == value.normalize():
        return f"{value:%Y-%m-%d}"
    return value.tz_localize(tz).isoformat()


def _quantity(value: float, unit: str, comparator: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"value": float(value), "unit": unit, "system": UCUM, "code": unit}
    return {**out, "comparator": comparator} if comparator else out


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
    limits = {k: _quantity(v, ucum) for k, v in (("low", row.ref_low), ("high", row.ref_high)) if pd.notna(v)}
    return {**resource, "referenceRange": [limits]} if limits else resource


def _administration(row: Any, tz: str) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "status": "completed",
            "medicationCodeableConcept": {"text": row.product}, "subject": {"reference": PATIENT_REF},
            "effectiveDateTime": _when(row.administered_at, tz),
            "dosage": {"route": {"text": row.route}, "dose": _quantity(row.dose_ug, "ug")}}


def _symptom(row: Any, tz: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": SYMPTOM_CATEGORY}]}],
            "code": {"text": row.symptom}, "subject": {"reference": PATIENT_REF},
            "effectiveDateTime": _when(row.recorded_at, tz), "valueInteger": int(row.score)}


def random_shift_days() -> int:
    """A link's date shift for a de-identified snapshot: a random non-zero number of days within
    ``SHIFT_DAYS_MAX`` either way."""
    days = 1 + secrets.randbelow(SHIFT_DAYS_MAX)
    return days if secrets.randbelow(2) else -days


def _shifted(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None, settings: dict[str, Any],
             days: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, dict[str, Any]]:
    """Every date moved by ``days``: the records' and the settings' ISO dates (a plan's start)."""
    step = pd.Timedelta(days=days)
    moved = {k: (f"{pd.Timestamp(v) + step:%Y-%m-%d}" if isinstance(v, str) and _ISO_DAY.fullmatch(v) else v)
             for k, v in settings.items()}
    return (labs.assign(collected_at=labs["collected_at"] + step),
            doses.assign(administered_at=doses["administered_at"] + step),
            symptoms.assign(recorded_at=symptoms["recorded_at"] + step) if symptoms is not None else None, moved)


def snapshot_bundle(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None,
                    settings: dict[str, Any], patient_id: str, tz: str = "UTC",
                    shift_days: int | None = None) -> dict[str, Any]:
    """The patient's results (dated ones), doses, symptom scores and view ``settings`` as a FHIR
    R4B collection Bundle (a JSON-ready dict), validated by the FHIR model library. With
    ``shift_days`` (``random_shift_days``, one per link) it is de-identified: no identifier, and
    every date moved by that many days."""
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
    when = pd.Timestamp(text)
    return when.tz_convert(tz).tz_localize(None) if when.tzinfo is not None else when


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
        elif kind == "Observation" and r.valueQuantity is not None:
            code = r.code.coding[0].code
            limits = r.referenceRange[0] if r.referenceRange else None
            labs.append((_clock(str(r.effectiveDateTime), tz), by_code[code], float(r.valueQuantity.value),
                         r.valueQuantity.code, r.valueQuantity.comparator or "",
                         float(limits.low.value) if limits and limits.low else float("nan"),
                         float(limits.high.value) if limits and limits.high else float("nan")))
        elif kind == "Observation" and r.valueInteger is not None:
            symptoms.append((_clock(str(r.effectiveDateTime), tz), r.code.text, int(r.valueInteger)))
        elif kind == "MedicationAdministration":
            doses.append((_clock(str(r.effectiveDateTime), tz), r.medicationCodeableConcept.text,
                          float(r.dosage.dose.value), r.dosage.route.text))
        elif kind == "Basic":
            settings = json.loads(next(e.valueString for e in r.extension if e.url == SETTINGS_URL))
    return Snapshot(
        patient_id,
        pd.DataFrame(labs, columns=["collected_at", "analyte", "value", "unit", "qualifier", "ref_low", "ref_high"]
                     ).assign(patient_id=patient_id),
        pd.DataFrame(doses, columns=["administered_at", "product", "dose_ug", "route"]).assign(patient_id=patient_id),
        pd.DataFrame(symptoms, columns=["recorded_at", "symptom", "score"]).assign(patient_id=patient_id),
        settings)
