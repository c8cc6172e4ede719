"""LOINC code shape and check digit (the LOINC mod-10 algorithm, which is Luhn's)."""

from __future__ import annotations

import re

LOINC_SHAPE = re.compile(r"^(\d{1,7})-(\d)$")


def loinc_check_digit(base: str) -> int:
    """The check digit for the digits before the hyphen of a LOINC code."""
    total = 0
    for position, char in enumerate(reversed(base), start=1):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def looks_like_loinc(code: str) -> bool:
    """True when ``code`` has the LOINC shape ``digits-digit`` (check digit not verified)."""
    return LOINC_SHAPE.match(code.strip()) is not None


def loinc_check_ok(code: str) -> bool:
    """True when ``code`` has the LOINC shape and a correct check digit."""
    match = LOINC_SHAPE.match(code.strip())
    return bool(match) and loinc_check_digit(match.group(1)) == int(match.group(2))


def corrected_loinc(code: str) -> str:
    """The code with the check digit its base number calls for (for "did you mean" messages)."""
    base = code.strip().split("-")[0]
    return f"{base}-{loinc_check_digit(base)}"
