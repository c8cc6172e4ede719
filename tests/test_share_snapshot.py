"""The share snapshot (issue 16, first part): a patient's results, doses and symptom scores as a
FHIR R4B Bundle, encrypted as a compact JWE whose key travels only in a SMART Health Link.

The Bundle is validated by the FHIR model library (fhir.resources, R4B); the JWE made with joserfc
is decrypted here by an independent JOSE implementation (jwcrypto).
"""

from __future__ import annotations

import base64
import json

import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

from b12core.errors import InputError
from b12core.shl import decrypt, encrypt, new_key, parse_shlink, shlink
from b12core.snapshot import SHIFT_DAYS_MAX, random_shift_days, read_snapshot, snapshot_bundle

LABS = pd.DataFrame({
    "patient_id": ["MRN 0042"] * 4,
    "collected_at": pd.to_datetime(["2025-01-05 07:30", "2025-01-05 07:30", "2025-02-10 09:10", "2025-02-10 00:00"]),
    "analyte": ["hemoglobin", "b12", "hemoglobin", "folate"],
    "value": [88.0, 70.0905, 101.0, 45.31],
    "unit": ["g/L", "pmol/L", "g/L", "nmol/L"],
    "qualifier": ["", "", "", ">"],
    "ref_low": [120.0, 147.559, 120.0, float("nan")],
    "ref_high": [160.0, 664.016, 160.0, float("nan")],
})
DOSES = pd.DataFrame({"patient_id": ["MRN 0042"] * 2,
                      "administered_at": pd.to_datetime(["2025-01-06 00:00", "2025-01-08 10:15"]),
                      "product": ["hydroxocobalamin"] * 2, "dose_ug": [1000.0, 1000.0], "route": ["IM", "IM"]})
SYMPTOMS = pd.DataFrame({"recorded_at": pd.to_datetime(["2025-01-06"]), "symptom": ["tingling"], "score": [6]})
SETTINGS = {"regimen": "UK-BNF-noneuro", "start": "2025-01-06", "units": "SI"}


def bundle() -> dict:
    return snapshot_bundle(LABS, DOSES, SYMPTOMS, SETTINGS, patient_id="MRN 0042")


def test_the_snapshot_is_a_valid_fhir_r4b_bundle_of_the_patient():
    data = bundle()
    parsed = Bundle.model_validate(data)  # the FHIR model library's own validation
    kinds = [e.resource.get_resource_type() for e in parsed.entry]
    assert kinds == ["Patient", "Observation", "Observation", "Observation", "Observation",
                     "MedicationAdministration", "MedicationAdministration", "Observation", "Basic"]
    hb = data["entry"][1]["resource"]
    assert hb["code"]["coding"][0] == {"system": "http://loinc.org", "code": "718-7",
                                       "display": "Hemoglobin [Mass/volume] in Blood"}
    assert hb["valueQuantity"] == {"value": 88.0, "unit": "g/L", "system": "http://unitsofmeasure.org",
                                   "code": "g/L"}
    assert hb["referenceRange"][0]["low"]["value"] == 120.0
    folate = data["entry"][4]["resource"]
    assert folate["valueQuantity"]["comparator"] == ">"
    assert folate["effectiveDateTime"] == "2025-02-10"  # a date alone stays a date
    dose = data["entry"][6]["resource"]
    assert dose["dosage"]["dose"] == {"value": 1000.0, "unit": "ug", "system": "http://unitsofmeasure.org",
                                      "code": "ug"}
    assert dose["dosage"]["route"]["text"] == "IM"


def test_the_snapshot_reads_back_with_the_same_values():
    back = read_snapshot(json.dumps(bundle()).encode())
    assert back.patient_id == "MRN 0042"
    assert back.labs[["analyte", "value", "unit", "qualifier"]].values.tolist() == \
        LABS[["analyte", "value", "unit", "qualifier"]].values.tolist()
    assert back.labs["collected_at"].tolist() == LABS["collected_at"].tolist()
    assert back.labs["ref_low"].fillna(-1).tolist() == LABS["ref_low"].fillna(-1).tolist()
    assert back.doses[["administered_at", "product", "dose_ug", "route"]].values.tolist() == \
        DOSES[["administered_at", "product", "dose_ug", "route"]].values.tolist()
    assert back.symptoms[["recorded_at", "symptom", "score"]].values.tolist() == \
        SYMPTOMS[["recorded_at", "symptom", "score"]].values.tolist()
    assert back.settings == SETTINGS


def test_a_snapshot_encrypted_by_the_app_is_decrypted_by_another_jose_implementation():
    key = new_key()
    assert len(key) == 32
    plain = json.dumps(bundle()).encode()
    token = encrypt(plain, key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "dir", "enc": "A256GCM", "cty": "application/fhir+json", "zip": "DEF"}
    other = jwcrypto_jwe.JWE()
    other.deserialize(token, key=jwcrypto_jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(key).rstrip(b"=").decode()))
    assert other.payload == plain
    assert decrypt(token, key) == plain
    with pytest.raises(InputError, match="cannot be decrypted"):
        decrypt(token, new_key())


def test_a_smart_health_link_carries_the_manifest_url_key_expiry_flags_and_label():
    key = new_key()
    link = shlink("https://clinic.example/api/shl/abc", key, exp=1767225600, flags="LP", label="B12 follow-up")
    assert link.startswith("shlink:/")
    payload = json.loads(base64.urlsafe_b64decode(link.removeprefix("shlink:/") + "=="))
    assert payload == {"url": "https://clinic.example/api/shl/abc",
                       "key": base64.urlsafe_b64encode(key).rstrip(b"=").decode(), "exp": 1767225600,
                       "flag": "LP", "label": "B12 follow-up", "v": 1}
    assert len(payload["key"]) == 43
    assert parse_shlink("https://clinic.example/view#" + link) == payload
    with pytest.raises(InputError):
        shlink("https://clinic.example/api/shl/abc", key, exp=1767225600, flags="X", label="x")
    with pytest.raises(InputError):
        shlink("https://clinic.example/api/shl/abc", key, exp=1767225600, flags="L", label="x" * 81)


def test_a_de_identified_snapshot_has_no_identifier_and_every_date_shifted_by_one_offset():
    data = snapshot_bundle(LABS, DOSES, SYMPTOMS, SETTINGS, patient_id="MRN 0042", shift_days=-137)
    text = json.dumps(data)
    assert "0042" not in text and "2025-01-05" not in text
    back = read_snapshot(text.encode())
    assert back.patient_id == ""
    shift = pd.Timedelta(days=-137)
    assert back.labs["collected_at"].tolist() == (LABS["collected_at"] + shift).tolist()
    assert back.doses["administered_at"].tolist() == (DOSES["administered_at"] + shift).tolist()
    assert back.symptoms["recorded_at"].tolist() == (SYMPTOMS["recorded_at"] + shift).tolist()
    assert back.settings == {**SETTINGS, "start": "2024-08-22"}  # the plan's start moves with the dates
    assert back.labs["value"].tolist() == LABS["value"].tolist()


def test_a_link_gets_its_own_random_shift_within_a_year_and_never_none():
    shifts = {random_shift_days() for _ in range(200)}
    assert 0 not in shifts and len(shifts) > 100
    assert all(abs(s) <= SHIFT_DAYS_MAX for s in shifts)


@pytest.mark.parametrize("clock", ["2024-03-31 01:30", "2024-10-27 01:30", "2024-07-01 08:15"])
def test_clock_times_read_back_the_same_in_a_zone_with_summer_time(clock):
    # 01:30 on 31 March 2024 never happened in London (the clock went from 01:00 to 02:00), and
    # 01:30 on 27 October happened twice: a lab's file can still say so, and the link keeps it.
    labs = LABS.assign(collected_at=pd.Timestamp(clock))
    back = read_snapshot(json.dumps(snapshot_bundle(labs, DOSES, SYMPTOMS, SETTINGS, "MRN 0042",
                                                    tz="Europe/London")).encode(), tz="Europe/London")
    assert back.labs["collected_at"].tolist() == [pd.Timestamp(clock)] * len(LABS)


def test_a_de_identified_snapshot_leaves_batch_numbers_out():
    doses = DOSES.assign(batch=["LOT-A1", "LOT-B2"])
    text = json.dumps(snapshot_bundle(LABS, doses, SYMPTOMS, SETTINGS, "MRN 0042", shift_days=30))
    assert "LOT-A1" not in text and "LOT-B2" not in text
    assert "LOT-A1" in json.dumps(snapshot_bundle(LABS, doses, SYMPTOMS, SETTINGS, "MRN 0042"))
