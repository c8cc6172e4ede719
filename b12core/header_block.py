"""The lines a report prints above its table (its header block): the patient and the collection date.

An EHR "Results Review" copy or a lab report turned into CSV often says whose results they are and
when the specimen was taken only above the table: ``Patient ID: 12345``, ``Name: DOE, JANE (MRN
0042)``, ``Date Collected: 03/14/2024 08:30``. The reader keeps those lines (``RawFile.preamble``);
this module finds a labelled value in them. The labels and their priorities are the reference table
``header_labels.csv``; a label is matched whatever its case, and the value is what follows it on its
line (after a colon, ``#``, spaces or the delimiter of an empty cell).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from b12core.accounting import NO_PATIENT_ID, Reasons
from b12core.coded import Coded
from b12core.encounters import encounter_note
from b12core.read import RawFile
from b12core.reference import header_labels

PATIENT_ID, COLLECTED_AT, PATIENT_NAME = "patient_id", "collected_at", "patient_name"
_SEPARATOR = r"\s*[:#=]?\s*(?:[,;\t|]\s*)*"
# An id: an NHS-style number written in groups (943 476 5919), else one word holding a digit.
_ID = r"(?P<value>\d{3}[ -]\d{3}[ -]\d{4}(?!\d)|(?=[\w\-/.]*\d)[^\W_][\w\-/.]*)"
# A date runs to the end of its cell: a tab, two spaces, ; or |, a comma before a word, or the next label.
_DATE = (r"(?P<value>(?=[^\t;|]*\d)[^\W_][^\t;|]*?)"
         r"(?=\t|\s{2,}|[;|]|,(?!\s*\d)|[\s,]+[^\W\d_][^\W\d_./]*(?:[ /][^\W\d_]+)*\s*:|\s*$)")

_NAME = r"(?P<value>[^\W\d_][^\t;|]*)"  # a name: words up to the end of its cell


@dataclass(frozen=True)
class BlockValue:
    """A value found above the table and the line it was read from."""

    text: str  # the value as written: "12345", "03/14/2024 08:30"
    line: str  # its line, spaces and tabs shown as single spaces

    def quoted_line(self) -> str:
        """The line in quotes, as a note cites it."""
        return f'"{self.line}"'


@cache
def _patterns(field: str) -> tuple[tuple[int, re.Pattern[str]], ...]:
    """(priority, pattern) for each label of ``field``, longest labels first."""
    value = {PATIENT_ID: _ID, COLLECTED_AT: _DATE}.get(field, _NAME)
    out = []
    for kind, label, priority in header_labels():
        if kind != field:
            continue
        words = r"[\s._-]*".join(re.escape(w) for w in re.split(r"[\s._-]+", label.strip(" .")) if w)
        separator = r"\s*:\s*" if field == PATIENT_NAME else _SEPARATOR  # "Patient temperature" is a test
        out.append((priority, re.compile(rf"(?<![^\W_]){words}\.?(?![^\W_]){separator}{value}", re.IGNORECASE)))
    return tuple(out)


def block_value(preamble: tuple[str, ...], field: str) -> BlockValue | None:
    """The value of ``field`` (``patient_id`` or ``collected_at``) written above the table: the
    one under the label of highest priority, the first line among equals; None when no line has one."""
    best: tuple[int, int, BlockValue] | None = None
    for number, line in enumerate(preamble):
        for priority, pattern in _patterns(field):
            match = pattern.search(line)
            if match is None:
                continue
            found = BlockValue(match.group("value").strip().rstrip(".,"), " ".join(line.split()))
            if best is None or (-priority, number) < (-best[0], best[1]):
                best = (priority, number, found)
            break  # the longest label of this line decides its value
    return best[2] if best else None


def patient_id(preamble: tuple[str, ...]) -> BlockValue | None:
    """The patient id written above the table (``Patient ID: 12345``, ``(MRN 0042)``), or None."""
    return block_value(preamble, PATIENT_ID)


def collection_date(preamble: tuple[str, ...]) -> BlockValue | None:
    """The collection date written above the table (``Date Collected: 03/14/2024 08:30``), or None."""
    return block_value(preamble, COLLECTED_AT)


def is_heading(line: str) -> bool:
    """True for a line that begins or labels a report: a patient id, a patient's name or a
    collection date under its label ("Patient ID: 22222", "Patient Name: SMITH, JOHN")."""
    return any(block_value((line,), field) is not None for field in (PATIENT_ID, PATIENT_NAME, COLLECTED_AT))


def names_patient(raw: RawFile | None, kind: str) -> bool:
    """True when the import of a table of ``kind`` takes its patient id from the lines above the
    table (lab results and injection records without a patient id column of their own)."""
    return kind in ("labs", "doses") and raw is not None and patient_id(raw.preamble) is not None


def patients_of_table(raw: RawFile, n: int, records: str, hint: str = "") -> tuple[Coded, str]:
    """For a table without a patient id column, the patient of its ``n`` records and the file's
    note: the id written above the table, else ``NO_PATIENT_ID`` (all ``records`` are one patient's,
    and ``hint`` names a column of ids that might be theirs)."""
    found = patient_id(raw.preamble)
    if found is None:
        note = f"no patient id column; all {records} belong to one patient"
        return Coded.constant(n, NO_PATIENT_ID), f"{note}; {hint}" if hint else note
    return (Coded.constant(n, found.text),
            f"patient id {found.text} taken from the line above the table {found.quoted_line()}")


def patients_without_id_column(raw: RawFile, records: str, admission_column: str | None, admission: Coded,
                               rows: np.ndarray, reasons: Reasons, file_notes: list[str], hint: str = "") -> Coded:
    """The patient of each record of a table without a patient id column: the id written above
    the table; else the admission id in ``admission`` (read from ``admission_column``; the file's
    notes say an admission tells patients apart only as well as admissions do, and ``rows`` without
    one are rejected); else one patient for all ``records``, and the note says ``hint``."""
    if admission_column and patient_id(raw.preamble) is None:
        reasons.fail(rows & admission.empty(), f"no patient id: the admission id ({admission_column}) is empty")
        file_notes.append(encounter_note(admission_column))
        return admission
    patient, why = patients_of_table(raw, len(rows), records, hint)
    file_notes.append(why)
    return patient


def patients_of_id_column(raw: RawFile, column: str, patient: Coded, rows: np.ndarray, reasons: Reasons,
                          file_notes: list[str]) -> tuple[Coded, np.ndarray]:
    """The ids of the patient id ``column``, with its empty cells given the id written above the
    table when the column agrees with it (holds that id or none), and per record whether it was.
    When the column holds only other ids the file's notes say so and each row keeps its own. A
    record left without an id is rejected."""
    found = patient_id(raw.preamble)
    empty = patient.empty()
    from_block = np.zeros(len(patient), dtype=bool)
    if found is not None:
        written = np.unique(patient.codes[rows & ~empty])
        if len(written) and not (patient.values[written] == found.text).any():
            file_notes.append(f"the line above the table {found.quoted_line()} names patient {found.text}, but the "
                              f"patient id column ({column}) holds other ids: each row keeps its own")
        elif (rows & empty).any():
            from_block = rows & empty
            patient = Coded(np.where(from_block, patient.size, patient.codes),
                            np.append(patient.values, found.text).astype(object))
            empty = empty & ~from_block
    reasons.fail(rows & empty, "no patient id")
    return patient, from_block


def filled_dates(written: Coded, block: BlockValue) -> tuple[Coded, np.ndarray]:
    """A date column with its empty cells given the date written above the table (as one more
    text, never shared with a cell's), and per record whether it was."""
    texts = written.arrow_texts().cast(pa.large_string())
    empty = np.flatnonzero(pc.equal(texts, "").to_numpy(zero_copy_only=False))
    if not len(empty):
        return written, np.zeros(len(written), dtype=bool)
    from_block = np.isin(written.codes, empty)
    codes = np.where(from_block, len(texts), written.codes)
    return Coded(codes, None, pa.concat_arrays([texts, pa.array([block.text], type=pa.large_string())])), from_block
