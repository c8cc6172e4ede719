"""An optional symptom diary -> the ``symptoms`` table: dated 0-10 scores per symptom.

Long diaries (date, symptom, score) and wide ones (date, then a column per symptom) are read.
Common symptom names are grouped (``Tiredness`` -> fatigue); any other name is kept as written.
Which symptoms are neurological is a column of ``reference/symptoms.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from b12core import dates
from b12core.accounting import (
    NO_PATIENT_ID,
    Reasons,
    RowNotes,
    counts_frame,
    mapped_cells,
    merge_records,
    rejections_frame,
)
from b12core.coded import Coded, concat
from b12core.errors import InputError
from b12core.mapping import ColumnMapping, roles_by_header
from b12core.read import RawFile
from b12core.reference import read_table
from b12core.text import name_key

SYMPTOMS_COLUMNS = ("patient_id", "recorded_at", "symptom", "score", "reported_symptom", "source_file",
                    "source_row", "notes")
SCORE_RANGE = (0.0, 10.0)  # the diary's scale, as design.md defines the symptoms table


@dataclass(frozen=True)
class SymptomImport:
    symptoms: pd.DataFrame
    rejections: pd.DataFrame
    counts: pd.DataFrame


@cache
def _symptom_names() -> dict[str, str]:
    return {name_key(r["name"]): r["symptom"] for r in read_table("symptoms")}


@cache
def neurological_symptoms() -> frozenset[str]:
    """Symptom keys that are neurological (``symptoms.csv`` column ``neurological``): a new or
    worse one is an urgent prompt (NICE CKS: urgent specialist advice)."""
    return frozenset(r["symptom"] for r in read_table("symptoms") if r["neurological"] == "yes")


def symptom_name(key: str) -> str:
    """A symptom key as a reader says it: ``unsteady_gait`` -> ``unsteady gait``."""
    return key.replace("_", " ")


@cache
def diary_symptoms() -> tuple[str, ...]:
    """The symptoms a clinician can score in the app's diary, as a reader names them (every
    symptom of ``symptoms.csv``, in its order: fatigue, pins and needles, unsteady gait…)."""
    return tuple(dict.fromkeys(symptom_name(r["symptom"]) for r in read_table("symptoms")))


def symptom_key(text: str) -> str:
    """``Tiredness`` -> ``fatigue``; an unlisted symptom keeps its own name (lower case)."""
    key = name_key(text)
    return _symptom_names().get(key, key)


def propose_symptom_mapping(raw: RawFile) -> ColumnMapping:
    """Long diary when a symptom column exists, else wide (a column per symptom)."""
    roles, reasons = roles_by_header(list(raw.columns), kind="symptoms")
    if "recorded_at" not in roles:
        raise InputError(f"{raw.name}: no column holds the diary date")
    if "symptom" in roles and "score" in roles:
        return ColumnMapping("long", roles, reasons, (), "one row per score", kind="symptoms")
    roles.pop("symptom", None)
    roles.pop("score", None)
    tests = tuple(c for c in raw.columns if c not in roles.values())
    if not tests:
        raise InputError(f"{raw.name}: no symptom columns")
    return ColumnMapping("wide", roles, reasons, tests, "one column per symptom", kind="symptoms")


@dataclass(frozen=True)
class _Diary:
    """A diary's scores as coded columns, one record per score (a row of a long diary, a filled
    cell of a wide one), in the order of the file: row by row, then left to right."""

    row: np.ndarray  # 1-based data row of the file
    column: Coded  # the wide diary's symptom column ("" for long diaries)
    patient: Coded
    when: Coded
    symptom: Coded  # as written (a wide diary's column name)
    score: Coded

    def __len__(self) -> int:
        """How many records (scores) the diary holds."""
        return len(self.row)


def _diary(raw: RawFile, mapping: ColumnMapping) -> _Diary:
    """The diary's records: a long diary row for row, a wide one melted to one record per filled
    score cell (rows without any score are left out)."""
    patient = mapped_cells(raw, mapping.roles.get("patient_id"))
    when = mapped_cells(raw, mapping.roles.get("recorded_at"))
    rows = raw.data_rows()
    if mapping.layout == "long":
        n = len(rows)
        return _Diary(rows, Coded.constant(n), patient, when, mapped_cells(raw, mapping.roles.get("symptom")),
                      mapped_cells(raw, mapping.roles.get("score")))
    scores = [mapped_cells(raw, column) for column in mapping.test_columns]
    position, column_id = np.nonzero(np.column_stack([~score.empty() for score in scores]))
    joined = concat(scores)
    score = Coded(joined.codes.reshape(len(scores), len(rows))[column_id, position], joined.values)
    names = Coded(column_id, np.array(mapping.test_columns, dtype=object))
    return _Diary(rows[position], names, patient.take(position), when.take(position), names, score)


def import_symptoms(raw: RawFile, mapping: ColumnMapping | None = None, date_order: str | None = None
                    ) -> SymptomImport:
    """Read a diary; scores must be numbers from 0 to 10. Every cell is read as a coded column
    (``b12core.coded``): a score, symptom or date is read once per distinct text."""
    mapping = mapping or propose_symptom_mapping(raw)
    diary = _diary(raw, mapping)
    n = len(diary)
    reasons, notes = Reasons(n), RowNotes(n)
    score = _scores(diary.score, reasons)
    reasons.fail(diary.symptom.empty(), "no symptom named")
    source = f"{raw.name} (column {mapping.roles['recorded_at']!r})"
    rows = np.ones(n, dtype=bool)
    when, problem, zoned, order_note = dates.dates_for_codes(diary.when.ordered(), rows, date_order, source)
    reasons.fail(rows, problem)
    notes.add(zoned & problem.empty(), dates.ZONE_NOTE)
    if order_note:
        notes.add(rows, order_note)
    patient = diary.patient
    if mapping.roles.get("patient_id"):
        reasons.fail(patient.empty(), "no patient id")
    else:
        patient = Coded.constant(n, NO_PATIENT_ID)
    ok = reasons.ok()
    positions = np.flatnonzero(~ok)
    rejections = rejections_frame(raw, diary.row[positions], reasons.text(positions),
                                  diary.column.take(positions).texts() if mapping.layout == "wide" else None,
                                  list(mapping.roles.values()))
    imp = SymptomImport(_symptoms_table(raw.name, diary, np.flatnonzero(ok), patient, when, score, notes),
                        rejections, counts_frame(raw, n, ok, np.zeros(n, dtype=bool), ~ok))
    return merge_symptoms([imp])


def _scores(score: Coded, reasons: Reasons) -> np.ndarray:
    """Each record's score (NaN where it is not a number); a score that is not a number from 0 to
    10 is rejected, its reason written once per distinct score."""
    each = pd.to_numeric(pd.Series(score.values, dtype="str").str.replace(",", ".", regex=False),
                         errors="coerce").to_numpy("float64")
    bad = np.isnan(each) | (each < SCORE_RANGE[0]) | (each > SCORE_RANGE[1])
    reasons.fail(score.per_value(bad), Coded(score.codes, np.array([f"score {s!r} is not a number from 0 to 10"
                                                                    for s in score.values], dtype=object)))
    return score.per_value(each)


def _symptoms_table(source_file: str, diary: _Diary, kept: np.ndarray, patient: Coded, when: np.ndarray,
                    score: np.ndarray, notes: RowNotes) -> pd.DataFrame:
    """The ``symptoms`` table of the ``kept`` records (positions); each symptom is grouped once
    per distinct name as written."""
    keys = Coded(diary.symptom.codes, np.array([symptom_key(s) for s in diary.symptom.values], dtype=object))
    return pd.DataFrame({
        "patient_id": patient.take(kept).series(), "recorded_at": when[kept],
        "symptom": keys.take(kept).series(), "score": score[kept],
        "reported_symptom": diary.symptom.take(kept).series(),
        "source_file": Coded.constant(len(kept), source_file).series(),
        "source_row": diary.row[kept], "notes": notes.coded(kept).series(),
    }).astype({"patient_id": "str", "recorded_at": "datetime64[ns]", "symptom": "str", "score": "float64",
               "reported_symptom": "str", "source_file": "str", "source_row": "int64", "notes": "str"})


SYMPTOM_KEY = ["patient_id", "recorded_at", "symptom", "score"]


def merge_symptoms(imports: Sequence[SymptomImport]) -> SymptomImport:
    """Combine diaries; the same score for the same symptom and time is kept once."""
    return merge_records(imports, "symptoms", lambda frame: frame.duplicated(SYMPTOM_KEY).to_numpy(),
                         ["patient_id", "recorded_at"])


def symptoms_from_entries(entries: list[dict], patient_id: str = NO_PATIENT_ID) -> pd.DataFrame:
    """Scores typed in the app (date, symptom, score) as a ``symptoms`` table; incomplete or
    out-of-range entries are left out (the editor itself keeps scores in 0-10)."""
    rows = []
    for i, entry in enumerate(entries, start=1):
        when = pd.to_datetime(entry.get("date"), errors="coerce")
        score = pd.to_numeric(entry.get("score"), errors="coerce")
        symptom = str(entry.get("symptom") or "").strip()
        if pd.isna(when) or pd.isna(score) or not symptom or not SCORE_RANGE[0] <= score <= SCORE_RANGE[1]:
            continue
        rows.append({"patient_id": patient_id, "recorded_at": when, "symptom": symptom_key(symptom),
                     "score": float(score), "reported_symptom": symptom, "source_file": "typed in the app",
                     "source_row": i, "notes": ""})
    return pd.DataFrame(rows, columns=list(SYMPTOMS_COLUMNS)).astype(
        {"recorded_at": "datetime64[ns]", "score": "float64", "source_row": "int64"})
