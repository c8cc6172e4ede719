"""Patient ids as written in different files: the key that says two of them are one patient.

A lab writes ``MRN 00123`` where the clinic's injection record writes ``123``; one export has
``0004711`` and another ``4711``; an NHS number is written ``NHS 943 476 5919`` or ``9434765919``.
``id_key`` turns each written id into a comparison key so such ids can be matched across files.
The key is for matching only and is never shown: a patient keeps an id as one of the files wrote it.
"""

from __future__ import annotations

import re

# Longest labels first so 'Patient ID' is removed whole rather than as 'Patient'.
_LABELS = ("patient id", "patient no", "patient nr", "patient number", "patient", "nhs number", "nhs no",
           "nhs nr", "nhs", "mrn", "pid", "pt", "id", "nr", "no", "#")
_SEPARATORS = r"[\s:.#\-]"
# A label counts only when a separator or a digit follows it: 'NO 42' and 'PT0042' lose it,
# 'NOAH7' and 'IDA' (ids that merely begin with the letters of a label) keep them.
_LABEL = re.compile(r"(?:" + "|".join(re.escape(label).replace(r"\ ", r"\s*") for label in _LABELS) + r")"
                    r"(?:" + _SEPARATORS + r"+|(?=\d))")
_INNER = re.compile(r"[\s./\-]+")


def id_key(text: str) -> str:
    """The comparison key of a written patient id (a matching key, never shown to anyone).

    Trimmed and case-folded; a leading label (MRN, NHS, NHS no, NHS number, ID, Patient,
    Patient ID, PID, PT, No, Nr, ``#``) with the ``:``, ``.``, ``-`` or spaces after it removed;
    inner spaces, dots, dashes and slashes removed; the leading zeros of an all-digit id removed
    (an id of zeros only is ``0``). ``'MRN 00123'``, ``'mrn:123'`` and ``'123'`` share the key
    ``'123'``; ``'NHS 943 476 5919'`` and ``'9434765919'`` share ``'9434765919'``. A label with
    nothing after it stays (``'No'`` is ``'no'``).
    """
    key = text.strip().casefold()
    for _ in range(2):  # 'NHS-No 943 476 5919', 'Patient: ID 7': a label may follow a label
        label = _LABEL.match(key)
        if label is None or not _INNER.sub("", key[label.end():]):
            break
        key = key[label.end():]
    key = _INNER.sub("", key)
    if key.isascii() and key.isdigit():
        key = key.lstrip("0") or "0"
    return key
