"""A small real share snapshot for the share store and route tests: an identified FHIR Bundle (the
patient id is in it, so the tests can check it never reaches the database in clear) and its JWE."""

from __future__ import annotations

import base64
import json
from typing import Any

import pandas as pd
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk

from b12core.shl import encrypt, new_key
from b12core.snapshot import snapshot_bundle

PATIENT_ID = "MRN 7731"
RESULT_VALUE = 93.4521  # a value that appears nowhere else
LABS = pd.DataFrame({
    "patient_id": [PATIENT_ID] * 2,
    "collected_at": pd.to_datetime(["2025-03-04 08:15", "2025-04-01 08:40"]),
    "analyte": ["b12", "hemoglobin"],
    "value": [RESULT_VALUE, 117.0],
    "unit": ["pmol/L", "g/L"],
    "qualifier": ["", ""],
    "ref_low": [147.559, 120.0],
    "ref_high": [664.016, 160.0],
})
DOSES = pd.DataFrame({"patient_id": [PATIENT_ID], "administered_at": pd.to_datetime(["2025-03-05 10:00"]),
                      "product": ["hydroxocobalamin"], "dose_ug": [1000.0], "route": ["IM"]})
SETTINGS = {"regimen": "UK-BNF-noneuro", "start": "2025-03-05", "units": "SI"}


def bundle() -> dict[str, Any]:
    """The snapshot Bundle (identified: no date shift)."""
    return snapshot_bundle(LABS, DOSES, None, SETTINGS, patient_id=PATIENT_ID)


def snapshot_jwe() -> tuple[bytes, str, bytes]:
    """A fresh key, the Bundle's JSON and its compact JWE under that key."""
    key = new_key()
    plain = json.dumps(bundle()).encode("utf-8")
    return key, encrypt(plain, key), plain


def jwcrypto_decrypt(token: str, key: bytes) -> bytes:
    """The plaintext of a JWE, opened by jwcrypto (a JOSE implementation independent of the app's)."""
    other = jwcrypto_jwe.JWE()
    other.deserialize(token, key=jwcrypto_jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(key).rstrip(b"=").decode()))
    return other.payload
