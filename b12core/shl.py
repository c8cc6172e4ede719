"""SMART Health Links (SMART Health Cards and Links IG, STU1): the encrypted file and the link.

A share snapshot is encrypted as a compact JWE (``alg: dir``, ``enc: A256GCM``, ``cty:
application/fhir+json``, ``zip: DEF``) with a fresh 32-byte key; only the ciphertext is stored and
the key travels only in the link: ``shlink:/`` and the base64url JSON payload (``url`` of the
manifest, ``key``, ``exp``, ``flag``, ``label``, ``v``). JOSE is joserfc's.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from b12core.errors import InputError

KEY_BYTES = 32  # the spec's 256-bit key, base64url-encoded as 43 characters
CONTENT_TYPE = "application/fhir+json"
HEADER = {"alg": "dir", "enc": "A256GCM", "cty": CONTENT_TYPE, "zip": "DEF"}
PREFIX = "shlink:/"
FLAGS = "LP"  # L: long-term (the manifest may change), P: a passcode is needed
LABEL_MAX = 80  # the spec's longest label
VERSION = 1
EXP_MAX = 253402300800  # the year 10000 in seconds since 1970: a later expiry is no date


def new_key() -> bytes:
    """A fresh random key for one link."""
    return secrets.token_bytes(KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt(plaintext: bytes, key: bytes) -> str:
    """The compact JWE of ``plaintext`` under ``key`` (``HEADER``)."""
    return jwe.encrypt_compact(dict(HEADER), plaintext, OctKey.import_key(key))


def decrypt(token: str, key: bytes) -> bytes:
    """The plaintext of a compact JWE; ``InputError`` when the key does not open it or the text is
    no JWE (the same message for both: nothing about the file is told)."""
    try:
        return jwe.decrypt_compact(token, OctKey.import_key(key)).plaintext
    except (JoseError, ValueError) as err:
        raise InputError("the shared file cannot be decrypted with this link") from err


def shlink(url: str, key: bytes, exp: int, flags: str, label: str) -> str:
    """The SMART Health Link to the manifest at ``url``: ``exp`` in seconds since 1970, ``flags``
    among ``FLAGS``, ``label`` at most ``LABEL_MAX`` characters (it travels in the link)."""
    if any(f not in FLAGS for f in flags) or len(set(flags)) != len(flags):
        raise InputError(f"link flags must be among {FLAGS!r}, not {flags!r}")
    if len(label) > LABEL_MAX:
        raise InputError(f"a link's label is at most {LABEL_MAX} characters")
    if len(key) != KEY_BYTES:
        raise InputError("a link's key is 32 bytes")
    payload = {"url": url, "key": _b64(key), "exp": int(exp), "flag": "".join(sorted(flags)), "label": label,
               "v": VERSION}
    return PREFIX + _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def parse_shlink(text: str) -> dict:
    """The payload of a SMART Health Link, bare or in a viewer URL's fragment (``…#shlink:/…``)."""
    link = text.split("#", 1)[1] if "#" in text else text
    if not link.startswith(PREFIX):
        raise InputError("this is not a SMART Health Link")
    try:
        payload = json.loads(_unb64(link[len(PREFIX):]))
        key = _unb64(str(payload.get("key", ""))) if isinstance(payload, dict) else b""
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as err:
        raise InputError("this SMART Health Link cannot be read") from err
    exp = payload.get("exp") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(payload.get("url"), str) or len(key) != KEY_BYTES or \
            not isinstance(payload.get("flag", ""), str) or not isinstance(payload.get("label", ""), str) or \
            (exp is not None and (isinstance(exp, bool) or not isinstance(exp, int) or not 0 < exp < EXP_MAX)):
        raise InputError("this SMART Health Link cannot be read")
    return payload


def payload_key(payload: dict) -> bytes:
    """The decryption key of a parsed link (``parse_shlink``)."""
    return _unb64(str(payload["key"]))
