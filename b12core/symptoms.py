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
    kept_cells,
    merge_records,
    rejections_frame,
)
from b12core.coded import Coded
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


def import_symptoms(raw: RawFile, mapping: ColumnMapping | None = None, date_order: str | None = None
                    ) -> SymptomImport:
    """Read a diary; scores must be numbers from 0 to 10."""
    mapping = mapping or propose_symptom_mapping(raw)
    table = raw.table
    blank = pd.Series("", index=table.index, dtype="str")

    def cells(role: str) -> pd.Series:
        column = mapping.roles.get(role)
        return table[column].str.strip() if column else blank

    base = pd.DataFrame({"row": table.index.to_numpy() + 1, "patient": cells("patient_id"),
                         "when": cells("recorded_at")})
    if mapping.layout == "long":
        rec = base.assign(symptom=cells("symptom"), score=cells("score"), column="")
    else:
        parts = [base.assign(symptom=c, score=table[c].str.strip(), column=c) for c in mapping.test_columns]
        rec = pd.concat(parts, ignore_index=True)
        rec = rec[rec["score"] != ""].sort_values("row", kind="stable", ignore_index=True)
    n = len(rec)
    reasons = Reasons(n)
    rows = np.ones(n, dtype=bool)
    notes = RowNotes(n)
    score = pd.to_numeric(rec["score"].str.replace(",", ".", regex=False), errors="coerce").to_numpy("float64")
    bad = np.isnan(score) | (score < SCORE_RANGE[0]) | (score > SCORE_RANGE[1])
    score_codes, score_texts = pd.factorize(rec["score"])  # each reason written once per distinct score
    reasons.fail(rows & bad, Coded(score_codes, np.array([f"score {s!r} is not a number from 0 to 10"
                                                          for s in score_texts], dtype=object)))
    reasons.fail(rows & (rec["symptom"] == "").to_numpy(), "no symptom named")
    source = f"{raw.name} (column {mapping.roles['recorded_at']!r})"
    when, problem, zoned, order_note = dates.dates_for_rows(rec["when"], rows, date_order, source)
    reasons.fail(rows, problem)
    notes.add(rows & zoned & (problem == ""), dates.ZONE_NOTE)
    if order_note:
        notes.add(rows, order_note)
    patient = rec["patient"]
    if mapping.roles.get("patient_id"):
        reasons.fail(rows & (patient == "").to_numpy(), "no patient id")
    else:
        patient = Coded.constant(n, NO_PATIENT_ID).series()
    ok = reasons.ok()
    codes, uniq = pd.factorize(rec["symptom"])
    keys = np.array([symptom_key(u) for u in uniq], dtype=object)[codes]
    symptoms = pd.DataFrame({
        "patient_id": kept_cells(patient, ok), "recorded_at": when[ok], "symptom": keys[ok], "score": score[ok],
        "reported_symptom": kept_cells(rec["symptom"], ok),
        "source_file": Coded.constant(int(ok.sum()), raw.name).series(),
        "source_row": rec["row"].to_numpy()[ok], "notes": notes.coded(np.flatnonzero(ok)).series(),
    }).astype({"patient_id": "str", "recorded_at": "datetime64[ns]", "symptom": "str", "score": "float64",
               "reported_symptom": "str", "source_file": "str", "source_row": "int64", "notes": "str"})
    positions = np.flatnonzero(~ok)
    wide = mapping.layout == "wide"
    rejections = rejections_frame(raw, rec["row"].to_numpy()[positions], reasons.text(positions),
                                  rec["column"].to_numpy()[positions] if wide else None,
                                  list(mapping.roles.values()))
    imp = SymptomImport(symptoms, rejections, counts_frame(raw, n, ok, np.zeros(n, dtype=bool), ~ok))
    return merge_symptoms([imp])


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
