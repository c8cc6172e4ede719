"""Admission, stay and visit ids: results told apart by them, and the file that links them to patients.

Real exports often carry an admission id (MIMIC-III LABEVENTS ``HADM_ID``) or an ICU unit stay
(eICU ``patientunitstayid``) where a patient id belongs. Such a column tells patients apart only as
well as admissions do: one person's results are split across their admissions. The import may
still group results by it, but says so (``encounter_note``). An admissions file (MIMIC
ADMISSIONS, eICU patient) lists the patient of each admission: ``read_admissions`` reads it once
per distinct pair of ids, and ``EncounterLink`` says in words what it did for one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b12core.coded import Coded, combine
from b12core.errors import InputError
from b12core.mapping import header_roles
from b12core.read import RawFile
from b12core.text import name_key
from b12core.words import counted, joined

SHOWN_IDS = 5  # admission ids named in a note; the rest are counted


def encounter_note(column: str) -> str:
    """What a table whose patients are told apart only by the admission id ``column`` must say."""
    return (f"patients are told apart by admission id ({column}): one person's results may be split across "
            "admissions; give the admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them")


@dataclass(frozen=True)
class Admissions:
    """An admissions file: the patient of each admission (or stay) id, per admission-id column."""

    name: str  # the table name (the file as uploaded)
    patient_column: str
    columns: tuple[str, ...]  # its admission-id columns, as written
    patients: dict[str, pd.Series] = field(default_factory=dict)  # column key -> patient, indexed by admission id
    ambiguous: dict[str, pd.Index] = field(default_factory=dict)  # column key -> ids listed for several patients
    admissions: int = 0  # distinct ids of its first admission-id column
    people: int = 0  # distinct patients
    # column key -> the time each admission's "minutes after admission" count from, where the file
    # gives it (eICU: the year of hospital discharge, the time of day of the hospital admission and
    # the unit admission's minutes after it), indexed by admission id
    clocks: dict[str, pd.Series] = field(default_factory=dict)

    def note(self) -> str:
        """What the file holds, in words (shown on Import review)."""
        return (f"links {joined(self.columns)} to the patient id {self.patient_column}: "
                f"{counted(self.admissions, 'admission')} of {counted(self.people, 'patient')}")

    def for_column(self, column: str) -> str | None:
        """The key of this file's column that holds the admission ids written in ``column`` of another
        table: the one of the same name, else its only admission-id column; None when neither."""
        key = name_key(column)
        if key in self.patients:
            return key
        return next(iter(self.patients)) if len(self.patients) == 1 else None


def _admission_columns(raw: RawFile) -> tuple[str | None, list[str]]:
    """(the patient-id column, the admission-id columns) of a table, by their headers."""
    patient, encounters, best = None, [], 0
    for column in raw.columns:
        scores = header_roles(column)
        if "encounter_id" in scores:
            encounters.append(column)
        elif scores.get("patient_id", (0, ""))[0] > best:
            patient, best = column, scores["patient_id"][0]
    return patient, encounters


def read_admissions(raw: RawFile) -> Admissions:
    """The patient of each admission id of an admissions file, worked out once per distinct pair of
    ids (never row by row). An id listed for two patients is kept apart in ``ambiguous``; rows
    without either id are left out."""
    patient_column, columns = _admission_columns(raw)
    if patient_column is None or not columns:
        raise InputError(f"{raw.name}: an admissions file needs a patient id column and an admission id column")
    patient = Coded.of_arrow(raw.column(patient_column))
    links: dict[str, pd.Series] = {}
    ambiguous: dict[str, pd.Index] = {}
    for column in columns:
        admission = Coded.of_arrow(raw.column(column))
        _, first = combine(admission, patient)  # one row per distinct (admission, patient) pair
        pairs = pd.DataFrame({"admission": admission.values[admission.codes[first]],
                              "patient": patient.values[patient.codes[first]]})
        pairs = pairs[(pairs["admission"] != "") & (pairs["patient"] != "")]
        several = pairs["admission"].duplicated(keep=False).to_numpy()
        key = name_key(column)
        ambiguous[key] = pd.Index(pd.unique(pairs.loc[several, "admission"]), dtype=object)
        kept = pairs[~several]
        links[key] = pd.Series(kept["patient"].to_numpy(dtype=object), index=pd.Index(kept["admission"], dtype=object))
    first_key = name_key(columns[0])
    people = len(pd.unique(np.concatenate([s.to_numpy(dtype=object) for s in links.values()])))
    clock = _clocks(raw, columns[0])
    return Admissions(raw.name, patient_column, tuple(columns), links, ambiguous,
                      len(links[first_key]) + len(ambiguous[first_key]), people,
                      {first_key: clock} if clock is not None else {})


def _clocks(raw: RawFile, column: str) -> pd.Series | None:
    """When the file gives each admission's year (eICU ``hospitaldischargeyear``), the time its
    minutes after admission count from: 1 January of that year at the hospital admission's time of
    day, plus the minutes from the hospital admission to this (unit) admission. Indexed by the
    admission ids of ``column``; None when the file gives no year."""
    found = {role: c for c in raw.columns for role in header_roles(c, "admissions")
             if role in ("discharge_year", "admit_time_of_day", "admit_offset")}
    if "discharge_year" not in found:
        return None
    table = raw.frame(np.arange(raw.cells.num_rows), [column, *found.values()])
    year = pd.to_numeric(table[found["discharge_year"]], errors="coerce")
    start = pd.to_datetime(year.astype("Int64").astype("string") + "-01-01", errors="coerce")
    if "admit_time_of_day" in found:
        start = start + pd.to_timedelta(table[found["admit_time_of_day"]].where(lambda t: t.str.strip() != ""),
                                        errors="coerce").fillna(pd.Timedelta(0))
    if "admit_offset" in found:
        minutes = pd.to_numeric(table[found["admit_offset"]], errors="coerce").fillna(0)
        start = start - pd.to_timedelta(minutes, unit="min")
    clock = pd.Series(start.to_numpy(dtype="datetime64[ns]"), index=pd.Index(table[column].str.strip(), dtype=object))
    clock = clock[clock.notna() & (clock.index != "")]
    return clock[~clock.index.duplicated(keep=False)]


@dataclass(frozen=True)
class EncounterLink:
    """One table whose patients were told apart by admission id, and what an admissions file did."""

    file: str  # the lab or dose table
    column: str  # its admission-id column
    through: str = ""  # the admissions file that gave the patients ("" when none did)
    linked: int = 0  # distinct admission ids replaced by their patient
    patients: int = 0  # distinct patients they belong to
    unlisted: tuple[str, ...] = ()  # admission ids the admissions file does not list (kept as they are)
    ambiguous: tuple[str, ...] = ()  # admission ids it lists for more than one patient (kept as they are)

    def notes(self) -> tuple[str, ...]:
        """What was done, in sentences for the file's notes."""
        if not self.through:
            return (encounter_note(self.column),)
        if not self.linked:  # an admissions file beside it, but none of its ids (if any were accepted) in it
            unlisted = f"none of its admission ids is listed in {self.through}"
            return (encounter_note(self.column), unlisted) if self.unlisted or self.ambiguous else \
                (encounter_note(self.column),)
        found = (f"patients found through {self.through} by the admission id ({self.column}): "
                 f"{counted(self.linked, 'admission')} of {counted(self.patients, 'patient')}")
        return found, *filter(None, (self._kept(self.unlisted, f"is not listed in {self.through}"),
                                     self._kept(self.ambiguous,
                                                f"is listed for more than one patient in {self.through}")))

    def text(self) -> str:
        """The notes as one line (the command line's)."""
        return "; ".join(self.notes())

    @staticmethod
    def _kept(ids: tuple[str, ...], why: str) -> str:
        if not ids:
            return ""
        shown = ", ".join(ids[:SHOWN_IDS]) + (", …" if len(ids) > SHOWN_IDS else "")
        if len(ids) == 1:
            return f"1 admission id {why} and is kept as a patient of its own: {shown}"
        are = why.replace("is ", "are ", 1)
        return f"{counted(len(ids), 'admission id')} {are} and are kept as patients of their own: {shown}"
