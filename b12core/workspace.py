"""Everything the app shows, from the uploaded files and the user's choices: pure functions.

``read_files`` reads every upload into its tables once; ``build_workspace`` classifies each table
(overridable), imports labs, doses and symptom diaries with the user's column mappings and
test-name mappings, and keeps going when one file cannot be used (that file carries its message).
The app keeps the files read while the clinician changes choices; a test or notebook passes the
uploads as (name, bytes) and gets the workspace in one call. ``patient_view`` derives one
patient's phases, plan, adherence, response and prompts. The Streamlit pages only call these and
lay out the result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from b12core.accounting import NO_PATIENT_ID
from b12core.course import Adherence, adherence, fit_regimen
from b12core.doses import DoseImport, import_doses, merge_doses, propose_dose_mapping
from b12core.encounters import Admissions, EncounterLink, encounter_note, read_admissions
from b12core.errors import DateOrderNeeded, InputError
from b12core.header_block import names_patient
from b12core.labs import LABS_COLUMNS, OFFSET_ANCHOR, LabImport, import_labs, merge_imports, offset_note
from b12core.mapping import ColumnMapping, DictionaryEntry, detect_kind, propose_mapping, read_dictionary
from b12core.patients import id_key
from b12core.phases import PhaseOverride, Phases, detect_phases, phases_from_course
from b12core.read import RawFile, read_tables
from b12core.reference import analyte_keys
from b12core.regimens import Regimen, build_plan, custom_regimen, get_regimen
from b12core.response import RULE_COLUMNS, annotate_labs, review_prompts, summarise
from b12core.symptoms import SymptomImport, import_symptoms, merge_symptoms, propose_symptom_mapping
from b12core.words import counted

KINDS = ("labs", "doses", "symptoms", "dictionary", "admissions", "skip")
KIND_LABELS = {"labs": "lab results", "doses": "an injection record", "symptoms": "a symptom diary",
               "dictionary": "a test-code dictionary",
               "admissions": "an admissions file (links admissions to patients)", "skip": "a file left out"}


@dataclass(frozen=True)
class Choices:
    """What the user decided on the import review page and in the sidebar (not patient data)."""

    kinds: dict[str, str] = field(default_factory=dict)  # table name -> kind (overrides detection)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # table name -> role -> column
    name_map: dict[str, str] = field(default_factory=dict)  # reported test name or code -> analyte or "ignore"
    date_order: str | None = None  # "dmy" / "mdy" for files whose dates do not decide it
    owners: dict[str, str] = field(default_factory=dict)  # table name -> patient id for files without ids

    def key(self) -> str:
        """A stable text for caching."""
        return json.dumps([self.kinds, self.roles, self.name_map, self.date_order, self.owners], sort_keys=True)


@dataclass(frozen=True)
class FileReport:
    """One table of one uploaded file: how it was read and what became of it."""

    name: str
    kind: str  # the kind used
    detected_kind: str
    raw: RawFile | None
    mapping: ColumnMapping | None = None
    error: str = ""  # why the table could not be used ("" when it was)
    needs_date_order: bool = False
    notes: tuple[str, ...] = ()  # what the app found in a file it reads but does not import (admissions)

    def names_patients(self) -> bool:
        """True when the table's records say whose they are: by a patient-id column, or (lab
        results and doses) by an id written above the table or an admission id."""
        roles = self.mapping.roles if self.mapping is not None else {}
        return "patient_id" in roles or (self.kind in ("labs", "doses") and (
            "encounter_id" in roles or names_patient(self.raw, self.kind)))


@dataclass(frozen=True)
class IdMatch:
    """A patient id one file writes differently from another (``123`` / ``MRN 00123``), taken as
    the same patient: the rows of ``file`` now carry ``matched_to`` and a note saying so."""

    file: str  # the table whose rows were changed
    written: str  # the id as that table writes it
    matched_to: str  # the id the patient keeps
    matched_in: str  # the table that writes ``matched_to`` (the first lab table with the patient)


@dataclass(frozen=True)
class IdConflict:
    """Ids of one file that differ only in how they are written (``0123`` and ``123``) while another
    file has an id written like them too: it could be either patient, so nothing was matched."""

    file: str  # the table that has several such ids
    written: tuple[str, ...]  # those ids, as written there
    elsewhere: tuple[tuple[str, str], ...]  # (table, id as written there) in the other tables


@dataclass(frozen=True)
class UnassignedFile:
    """A table whose records have no patient id while the files hold several patients and the user
    has not said whose they are (``Choices.owners``): its records belong to no patient yet."""

    name: str  # table name, the key of ``Choices.owners``
    kind: str  # "labs", "doses" or "symptoms"
    records: int
    candidates: tuple[str, ...]  # the identified patients, one of whom they may belong to


@dataclass(frozen=True)
class Workspace:
    """The imported files and how their records were attributed to patients."""

    files: tuple[FileReport, ...]
    labs: LabImport | None
    doses: DoseImport | None
    symptoms: SymptomImport | None
    id_matches: tuple[IdMatch, ...] = ()  # ids written differently in different files, taken as one
    id_conflicts: tuple[IdConflict, ...] = ()  # ids that could not be matched because it was ambiguous
    unassigned: tuple[UnassignedFile, ...] = ()  # tables whose records belong to no patient yet
    encounter_links: tuple[EncounterLink, ...] = ()  # tables whose patients are told apart by admission id

    @property
    def patients(self) -> list[str]:
        """Every patient with results or doses, lab patients first. Records without a patient id
        are a patient (``NO_PATIENT_ID``) only when no file names any patient; while they are
        ``unassigned`` they are not listed."""
        ids: dict[str, None] = {}  # ordered and unique, without a quadratic membership test
        for table in (self.labs.labs if self.labs else None, self.doses.doses if self.doses else None):
            if table is not None:
                ids.update(dict.fromkeys(pd.unique(table["patient_id"])))
        if self.unassigned:
            ids.pop(NO_PATIENT_ID, None)
        return list(ids)

    @property
    def dose_patients(self) -> list[str]:
        """The patients (of ``patients``, in that order) the injection records hold doses of."""
        if self.doses is None:
            return []
        given = set(pd.unique(self.doses.doses["patient_id"]))
        return [p for p in self.patients if p in given]

    def doses_of_others(self, patient: str) -> list[str]:
        """For a patient without doses: the other patients the injection records do hold doses of,
        so the app can say "the injection records hold doses of ... only" rather than just "no
        doses". Empty when ``patient`` has doses or no record holds any (records still
        ``unassigned`` are not counted; they are listed there)."""
        given = self.dose_patients
        return [] if patient in given else given

    def files_without_ids(self, patient: str) -> list[str]:
        """The tables without a patient-id column whose records are shown as ``patient``'s (the
        only patient in the files, or the one the user chose): the app says so, so that a file of
        another person does not pass unnoticed."""
        unassigned = {u.name for u in self.unassigned}
        mine = set()
        for table in _tables(self).values():
            mine.update(pd.unique(table.loc[table["patient_id"] == patient, "source_file"]))
        return [f.name for f in self.files if f.mapping is not None and f.kind in ("labs", "doses", "symptoms")
                and not f.names_patients() and f.name not in unassigned and f.name in mine]

    def admissions_shown_as(self, patient: str) -> list[EncounterLink]:
        """The tables whose records are shown as ``patient`` although ``patient`` is one of their
        admission ids (no admissions file gave its patient): the page about the patient says so."""
        open_links = [link for link in self.encounter_links
                      if not link.linked or patient in link.unlisted or patient in link.ambiguous]
        if not open_links:
            return []
        mine = set()
        for table in _tables(self).values():
            mine.update(pd.unique(table.loc[table["patient_id"] == patient, "source_file"]))
        return [link for link in open_links if link.file in mine]

    @property
    def errors(self) -> list[str]:
        return [f.error for f in self.files if f.error]


def _mapping_with(base: ColumnMapping, roles: dict[str, str]) -> ColumnMapping:
    mapping = base
    for role, column in roles.items():
        mapping = mapping.with_role(role, column or None)
    return mapping


# --- reading: each uploaded file once, whatever the user chooses later -----------------------------

@dataclass(frozen=True)
class FileTables:
    """One uploaded file as read: its tables, or the message saying why it has none."""

    name: str  # unique among the files: a second ``export.csv`` is ``export.csv (2)``
    tables: tuple[RawFile, ...] = ()
    status: str = "read"  # "read", "unreadable" or "not read" (beyond the number of files read at once)
    error: str = ""  # why the file could not be used ("" when it was read)


@dataclass(frozen=True)
class ReadFiles:
    """Every uploaded file as read (``read_files``), in upload order: what ``build_workspace``
    imports with the user's choices, as often as they change, without reading again."""

    files: tuple[FileTables, ...] = ()


def read_files(files: Sequence[tuple[str, bytes]], max_rows: int | None = None,
               max_files: int | None = None) -> ReadFiles:
    """Read every (name, bytes) upload into its tables; a file that cannot be read carries its
    message instead (a fault of ours says so, without data), never stopping the others.

    Two files of one name stay apart (``export.csv``, ``export.csv (2)``). Files beyond
    ``max_files`` are listed as not read; a table longer than ``max_rows`` makes its file unreadable.
    """
    read: list[FileTables] = []
    seen: dict[str, int] = {}
    for position, (name, data) in enumerate(files):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two different files of one name (two labs' export.csv) stay apart
            name = f"{name} ({seen[name]})"
        if max_files is not None and position >= max_files:
            read.append(FileTables(name, status="not read",
                                   error=f"{name} was not read: the app reads at most {max_files} files at once"))
            continue
        try:
            read.append(FileTables(name, tuple(read_tables(data, name, max_rows))))
        except InputError as err:
            read.append(FileTables(name, status="unreadable", error=str(err)))
        except Exception as err:  # a bug of ours must not take the other files down with it
            read.append(FileTables(name, status="unreadable", error=_bug(name, err)))
    return ReadFiles(tuple(read))


# --- importing: the files read, with the user's choices --------------------------------------------

Imported = LabImport | DoseImport | SymptomImport


def build_workspace(files: ReadFiles | Sequence[tuple[str, bytes]], choices: Choices | None = None,
                    not_after: str | None = None) -> Workspace:
    """Classify and import every file with the user's choices, then attribute records to patients.

    ``files`` are the files as read (``read_files``, which the app keeps while the choices change)
    or the uploads as (name, bytes), read here. A file that cannot be used is reported, never
    fatal. Code dictionaries and admissions files are read first, so a lab file's local codes are
    named, and its admission ids replaced by their patients, whatever the upload order. Results and
    doses dated after ``not_after`` (ISO day) are rejected.
    """
    read = files if isinstance(files, ReadFiles) else read_files(files)
    choices = choices or Choices()
    reports = _classified(read, choices)
    reports, dictionary = _dictionaries(reports)
    reports, admissions = _admissions(reports)
    latest = pd.Timestamp(not_after) if not_after else None
    results: dict[str, list[Imported]] = {"labs": [], "doses": [], "symptoms": []}
    for i, report in enumerate(reports):
        if report.raw is None or report.kind not in results:
            continue
        try:
            mapping, result = _import_table(report.raw, report.kind, choices, dictionary, latest)
        except InputError as err:
            reports[i] = _failed(report, err)
            continue
        except Exception as err:  # a bug of ours: this file is reported, the others still load
            reports[i] = dataclasses.replace(report, error=_bug(report.name, err))
            continue
        results[report.kind].append(result)
        reports[i] = dataclasses.replace(report, mapping=mapping)
    links, results = link_encounters(results, admissions)
    # Ids are matched before merging, so overlapping exports that write an id differently de-duplicate.
    matches, conflicts, results = match_patient_ids(results, [r.name for r in reports])
    labs, doses, diaries = results["labs"], results["doses"], results["symptoms"]
    # Each import is already de-duplicated within its file: merge only when files can overlap.
    return link_unidentified(Workspace(
        tuple(_with_uses(reports, links)), _merged(labs, merge_imports), _merged(doses, merge_doses),
        _merged(diaries, merge_symptoms), matches, conflicts, encounter_links=links), choices.owners)


def _classified(read: ReadFiles, choices: Choices) -> list[FileReport]:
    """A report per table of the files read, of the kind detected or chosen; one per unread file."""
    reports: list[FileReport] = []
    for file in read.files:
        if file.error:
            reports.append(FileReport(file.name, "skip", file.status, None, error=file.error))
        for raw in file.tables:
            detected = detect_kind(raw)
            reports.append(FileReport(raw.name, choices.kinds.get(raw.name, detected), detected, raw))
    return reports


def _dictionaries(reports: list[FileReport]) -> tuple[list[FileReport], dict[str, DictionaryEntry]]:
    """The code dictionaries among the tables, merged (a dictionary that cannot be read reports it)."""
    dictionary: dict[str, DictionaryEntry] = {}
    reports = list(reports)
    for i, report in enumerate(reports):
        if report.kind == "dictionary" and report.raw is not None:
            try:
                dictionary.update(read_dictionary(report.raw))
            except InputError as err:
                reports[i] = _failed(report, err)
    return reports, dictionary


def _admissions(reports: list[FileReport]) -> tuple[list[FileReport], list[Admissions]]:
    """The admissions files among the tables, read, each report noting what its file holds (one
    that cannot be read reports why)."""
    found: list[Admissions] = []
    reports = list(reports)
    for i, report in enumerate(reports):
        if report.kind != "admissions" or report.raw is None:
            continue
        try:
            found.append(read_admissions(report.raw))
        except InputError as err:
            reports[i] = _failed(report, err)
        except Exception as err:  # a bug of ours: this file is reported, the others still load
            reports[i] = dataclasses.replace(report, error=_bug(report.name, err))
        else:
            reports[i] = dataclasses.replace(report, notes=(found[-1].note(),))
    return reports, found


def _with_uses(reports: list[FileReport], links: tuple[EncounterLink, ...]) -> list[FileReport]:
    """The reports with each admissions file noting the tables whose patients it gave."""
    uses: dict[str, list[str]] = {}
    for link in links:
        if link.through and link.linked:
            uses.setdefault(link.through, []).append(f"the patients of {link.file} were found through it")
    return [dataclasses.replace(r, notes=(*r.notes, *uses[r.name])) if r.name in uses else r for r in reports]


def _import_table(raw: RawFile, kind: str, choices: Choices, dictionary: dict[str, DictionaryEntry],
                  latest: pd.Timestamp | None) -> tuple[ColumnMapping, Imported]:
    """Import one table as ``kind`` with the user's column roles, test names and date order."""
    roles = choices.roles.get(raw.name, {})
    if kind == "labs":
        mapping = _mapping_with(propose_mapping(raw), roles)
        return mapping, import_labs(raw, mapping, choices.date_order, choices.name_map, dictionary, latest)
    if kind == "doses":
        mapping = _mapping_with(propose_dose_mapping(raw), roles)
        return mapping, import_doses(raw, mapping, choices.date_order, latest)
    mapping = _mapping_with(propose_symptom_mapping(raw), roles)
    return mapping, import_symptoms(raw, mapping, choices.date_order)


def _merged(parts: list, merge: Callable) -> Imported | None:
    return None if not parts else parts[0] if len(parts) == 1 else merge(parts)


def _bug(name: str, err: Exception) -> str:
    """The message for a file that hit a fault of the app (logged by type only, no data)."""
    logging.getLogger("b12").error("importing a file failed: %s", type(err).__name__)
    return (f"{name} could not be read because of a fault in the app ({type(err).__name__}); "
            "the other files are unaffected. Please report it.")


def _failed(report: FileReport, err: InputError) -> FileReport:
    return FileReport(report.name, report.kind, report.detected_kind, report.raw, report.mapping, str(err),
                      isinstance(err, DateOrderNeeded) or "date order" in str(err))


def link_unidentified(ws: Workspace, owners: dict[str, str] | None = None) -> Workspace:
    """Attribute the records without a patient id (a clinic sheet kept for one patient).

    They belong to the patient the user named for their table (``owners``; an owner written
    differently from a patient's id, ``123`` for ``MRN 00123``, means that patient), else to the
    only identified patient when there is exactly one (each row noted). With several identified
    patients and no owner they belong to nobody yet: the table is listed in ``unassigned`` with
    the candidates, and ``patients`` does not list ``NO_PATIENT_ID``. With no identified patient at
    all they are the one patient, ``NO_PATIENT_ID``."""
    tables = {kind: table for kind, table in _tables(ws).items()
              if (table["patient_id"] == NO_PATIENT_ID).any()}  # one comparison, before coding every row
    if not tables:  # every record names its patient (the list of patients costs a hash of every row)
        return ws
    owners = owners or {}
    identified = [p for p in ws.patients if p != NO_PATIENT_ID]
    only = identified[0] if len(identified) == 1 else ""
    chosen = _known_patients({table: owner for table, owner in owners.items() if owner}, identified)
    if not (chosen or only) and len(identified) < 2:  # nobody to give them to, nobody to choose from
        return ws
    targets = [*chosen.values(), only]
    notes = ["patient chosen for this file by you"] * len(chosen) + ["patient id taken from the other files"]
    linked: dict[str, pd.DataFrame] = {}
    unassigned: list[UnassignedFile] = []
    for kind, table in tables.items():
        codes = _codes(table)
        unnamed = codes.ids == codes.id_texts.get_indexer([NO_PATIENT_ID])[0]
        owner_of = pd.Index(list(chosen), dtype=object).get_indexer(codes.file_names)[codes.files]  # -1: none
        if only:
            owner_of = np.where(owner_of >= 0, owner_of, len(chosen))
        which = np.where(unnamed, owner_of, -1)
        linked[kind] = _relabelled(table, codes, which, targets, notes)
        if len(identified) >= 2:
            left = np.bincount(codes.files[unnamed & (which < 0)], minlength=len(codes.file_names))
            unassigned += [UnassignedFile(str(codes.file_names[f]), kind, int(left[f]), tuple(identified))
                           for f in np.flatnonzero(left)]
    rank = {f.name: i for i, f in enumerate(ws.files)}
    unassigned.sort(key=lambda u: rank.get(u.name, len(rank)))
    return _with_tables(ws, linked, unassigned=tuple(unassigned))


def _known_patients(owners: dict[str, str], identified: list[str]) -> dict[str, str]:
    """The owners with each one written differently from an identified patient's id (``123`` for
    ``MRN 00123``) replaced by that patient when exactly one has the same ``id_key``."""
    known = set(identified)
    unknown = {owner for owner in owners.values() if owner not in known}
    if not unknown:
        return owners
    by_key: dict[str, list[str]] = {}
    for patient in identified:  # distinct patients, not rows
        by_key.setdefault(id_key(patient), []).append(patient)
    found = {owner: by_key.get(id_key(owner), []) for owner in unknown}
    return {table: found[owner][0] if len(found.get(owner, [])) == 1 else owner for table, owner in owners.items()}


def _tables(ws: Workspace) -> dict[str, pd.DataFrame]:
    """The workspace's record tables by kind ("labs", "doses", "symptoms")."""
    parts = {"labs": ws.labs, "doses": ws.doses, "symptoms": ws.symptoms}
    return {kind: getattr(imp, kind) for kind, imp in parts.items() if imp is not None}


def _with_tables(ws: Workspace, tables: dict[str, pd.DataFrame], **changes: object) -> Workspace:
    """``ws`` with some record tables (by kind) replaced and other fields changed."""
    imports = {kind: dataclasses.replace(getattr(ws, kind), **{kind: table}) for kind, table in tables.items()}
    return dataclasses.replace(ws, **imports, **changes)


class _Codes(NamedTuple):
    """A record table's source files and patient ids as integer codes into their distinct texts."""

    files: np.ndarray  # per row: position in file_names
    file_names: pd.Index
    ids: np.ndarray  # per row: position in id_texts
    id_texts: pd.Index


def _codes(table: pd.DataFrame) -> _Codes:
    """Code a record table's ``source_file`` and ``patient_id`` (a missing value is a value too)."""
    files, file_names = pd.factorize(table["source_file"], use_na_sentinel=False)
    ids, id_texts = pd.factorize(table["patient_id"], use_na_sentinel=False)
    return _Codes(files.astype(np.int64), pd.Index(np.asarray(file_names, dtype=object), dtype=object),
                  ids.astype(np.int64), pd.Index(np.asarray(id_texts, dtype=object), dtype=object))


def _relabelled(table: pd.DataFrame, codes: _Codes, which: np.ndarray, patients: list[str],
                notes: list[str]) -> pd.DataFrame:
    """``table`` with each row's patient id set to ``patients[which]`` and ``notes[which]`` added to
    its notes; rows where ``which`` is -1 stay as they are. Works on codes into the distinct texts:
    each distinct (old note, new note) is joined once, not once per row."""
    rows = which >= 0
    if not rows.any():
        return table
    changes = {"patient_id": _text_column(np.where(rows, which + len(codes.id_texts), codes.ids),
                                          [*codes.id_texts, *patients], table.index)}
    if "notes" in table:
        note_codes, old = pd.factorize(table["notes"].fillna(""))
        pair_codes, pairs = pd.factorize(note_codes.astype(np.int64) * (len(notes) + 1) + which + 1)
        before, added = np.divmod(pairs, len(notes) + 1)
        joined = ["; ".join(t for t in (old[b], notes[a - 1] if a else "") if t)
                  for b, a in zip(before, added, strict=True)]
        changes["notes"] = _text_column(pair_codes, joined, table.index)
    return table.assign(**changes)


def _text_column(codes: np.ndarray, texts: list, index: pd.Index) -> pd.Series:
    """The text column ``texts[codes]`` (Arrow-backed, built by one ``take``)."""
    values = pa.array(texts, type=pa.large_string(), from_pandas=True).take(pa.array(codes, type=pa.int64()))
    return pd.Series(pd.arrays.ArrowStringArray(values), index=index, dtype="str")


# --- admission ids replaced by their patients through an admissions file --------------------------

def link_encounters(imports: dict[str, list[Imported]], admissions: Sequence[Admissions]
                    ) -> tuple[tuple[EncounterLink, ...], dict[str, list[Imported]]]:
    """Replace the admission ids that tell a table's patients apart by the patients an admissions
    file lists for them: each changed row noted, the table's notes saying what was done.

    ``imports`` are the per-table imports by kind. Only lab and dose tables with an admission-id
    column and no patient-id column are touched; their admission ids that no admissions file
    lists (or lists for two patients) stay as they are and are named. Returns an
    ``EncounterLink`` per such table, with or without an admissions file, and the imports.
    """
    links: list[EncounterLink] = []
    changed = {kind: list(parts) for kind, parts in imports.items()}
    for kind in ("labs", "doses"):
        for i, imp in enumerate(imports.get(kind, [])):
            for name, mapping in imp.mappings.items():  # one table per import
                column = mapping.roles.get("encounter_id")
                if column and not mapping.roles.get("patient_id"):
                    link, changed[kind][i] = _linked(changed[kind][i], kind, name, column, admissions)
                    links.append(link)
    return tuple(links), changed


def _linked(imp: Imported, kind: str, name: str, column: str, admissions: Sequence[Admissions]
            ) -> tuple[EncounterLink, Imported]:
    """One table's admission ids replaced through the first admissions file that has the column,
    worked out once per distinct id and spread over the rows by their codes."""
    found = next(((a, key) for a in admissions if (key := a.for_column(column)) is not None), None)
    if found is None:
        return EncounterLink(name, column), imp
    adm, key = found
    table = getattr(imp, kind)
    codes = _codes(table)
    ids = codes.id_texts
    found_patients = adm.patients[key].reindex(ids)  # per distinct admission id: its patient, or missing
    listed = found_patients.notna().to_numpy()
    patients = found_patients.fillna("").to_numpy(dtype=object)
    notes = [f"patient found through {adm.name} (admission id {i})" for i in ids]
    # An admission id not listed that is written like a patient id of the file would merge with that patient.
    clash = ~listed & np.isin(ids.to_numpy(dtype=object), patients[listed])
    patients[clash] = [f"{UNLISTED_PREFIX}{i}" for i in ids[clash]]
    for i in np.flatnonzero(clash):
        notes[i] = f"admission id {ids[i]} is not listed in {adm.name}: kept apart from patient {ids[i]}"
    relabel = listed | clash
    table = _relabelled(table, codes, np.where(relabel, np.arange(len(ids)), -1)[codes.ids], list(patients), notes)
    order_note = ""
    if kind == "labs" and imp.mappings[name].roles.get("offset_minutes"):
        table, order_note = _on_stay_clocks(table, codes, adm.clocks.get(key), found_patients)
    left = pd.Index(np.where(clash, patients, ids.to_numpy(dtype=object))[~listed], dtype=object)
    twice = ids[~listed].isin(adm.ambiguous[key])
    link = EncounterLink(name, column, adm.name, int(listed.sum()), len(pd.unique(patients[listed])),
                         tuple(left[~twice]), tuple(left[twice]))
    said = tuple(n for n in imp.notes.get(name, ()) if n != encounter_note(column))
    notes = (*said, *link.notes(), *filter(None, [order_note]))
    return link, dataclasses.replace(imp, **{kind: table}, notes={**imp.notes, name: notes})


UNLISTED_PREFIX = "admission "  # an unlisted admission id whose number is also a patient's


STAY_CLOCK_NOTE = ("no calendar date in file: minutes after the stay's admission, placed in its year of hospital "
                   "discharge (the patient file gives only the year)")


def _on_stay_clocks(table: pd.DataFrame, codes: _Codes, clock: pd.Series | None, patients: pd.Series
                    ) -> tuple[pd.DataFrame, str]:
    """Results timed in minutes after each stay's admission, now that stays are joined into
    patients: moved onto each stay's clock where the admissions file gives it (so one person's stays
    follow each other), with their notes saying so; else the file's note says that the stays of a
    patient have no order between them. ``patients``: the patient of each distinct stay id."""
    stays = patients.dropna()
    several = stays.groupby(stays.to_numpy()).size()
    several = several[several > 1]
    if clock is None:
        if several.empty:
            return table, ""
        return table, (f"{counted(int(several.max()), 'stay')} of one patient are each counted from their own "
                       f"admission ({OFFSET_ANCHOR:%Y-%m-%d}); the file gives no date to put them in order, so a "
                       "patient's results of different stays are drawn and compared as if of one stay")
    start = clock.reindex(patients.index).to_numpy(dtype="datetime64[ns]")[codes.ids]
    moved = ~np.isnat(start)
    if not moved.any():
        return table, ""
    when = table["collected_at"].to_numpy(dtype="datetime64[ns]")
    when = np.where(moved, when - np.datetime64(OFFSET_ANCHOR) + start, when)
    old = offset_note()
    notes = table["notes"].astype("str")
    notes = notes.where(~moved, notes.str.replace(old, STAY_CLOCK_NOTE, regex=False))
    placed = clock.reindex(stays.index).dropna()
    same_year = pd.Series(placed.dt.year.to_numpy(), index=stays[placed.index].to_numpy()).groupby(level=0).agg(
        lambda years: years.duplicated().any())
    said = "" if not same_year.any() else (
        "the patient file gives only the year of each hospital stay: stays of one patient in the same year are "
        "in order only within one hospital stay")
    return table.assign(collected_at=when, notes=notes), said


# --- patient ids written differently in different files ------------------------------------------

def _id_pairs(codes: _Codes) -> pd.DataFrame:
    """The distinct (source_file, patient_id) of a record table, in order of first appearance,
    found on its integer codes (no loop over rows); missing ids are left out."""
    n = max(len(codes.id_texts), 1)
    pairs = pd.unique(codes.files * n + codes.ids)
    found = pd.DataFrame({"file": codes.file_names[pairs // n], "written": codes.id_texts[pairs % n]})
    return found[found["file"].notna() & found["written"].notna()]


def match_patient_ids(imports: dict[str, list[Imported]], order: list[str]
                      ) -> tuple[tuple[IdMatch, ...], tuple[IdConflict, ...], dict[str, list[Imported]]]:
    """Take ids that different tables write differently but that share an ``id_key`` as one patient.

    ``imports`` are the per-table imports by kind ("labs", "doses", "symptoms"); ``order`` the
    table names in upload order. A key is matched when every table that has it writes it one way;
    the patient keeps the id as the first lab table (else the first table) writes it, and each
    changed row gets a note. When one table writes a key several ways (``0123`` and ``123``),
    nothing of that key is matched and the conflict is returned. The ids within one table are never
    matched with each other. Works on the distinct ids of each table, never row by row.
    """
    if sum(len(parts) for parts in imports.values()) < 2:  # one table: nothing to match with
        return (), (), imports
    coded = {kind: [_codes(getattr(imp, kind)) for imp in parts] for kind, parts in imports.items()}
    found = [_id_pairs(c).assign(kind=kind) for kind, parts in coded.items() for c in parts]
    pairs = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=["file", "written", "kind"])
    pairs = pairs[pairs["written"] != NO_PATIENT_ID].drop_duplicates(["file", "written"])
    if pairs["file"].nunique() < 2:  # ids of one table are never matched with each other
        return (), (), imports
    written = pd.unique(pairs["written"])
    pairs = pairs.assign(key=pairs["written"].map(dict(zip(written, map(id_key, written), strict=True))))
    rank = {name: i for i, name in enumerate(order)}
    pairs = pairs.assign(rank=pairs["file"].map(rank).fillna(len(rank)), not_lab=pairs["kind"] != "labs")
    by_key = pairs.groupby("key", sort=False)
    open_keys = by_key["written"].nunique().gt(1) & by_key["file"].nunique().gt(1)
    pairs = pairs[pairs["key"].map(open_keys)].sort_values(["rank"], kind="stable")
    if pairs.empty:
        return (), (), imports
    pairs = pairs.assign(ways=pairs.groupby(["key", "file"], sort=False)["written"].transform("nunique"))
    ambiguous = pairs["key"].isin(set(pairs.loc[pairs["ways"] > 1, "key"]))
    conflicts: list[IdConflict] = []
    for _key, group in pairs[ambiguous].groupby("key", sort=False):
        for file, own in group[group["ways"] > 1].groupby("file", sort=False):
            others = group[group["file"] != file]
            conflicts.append(IdConflict(file, tuple(own["written"]),
                                        tuple(zip(others["file"], others["written"], strict=True))))
    conflicts.sort(key=lambda c: rank.get(c.file, len(rank)))
    clear = pairs[~ambiguous]
    kept = clear.sort_values(["not_lab", "rank"], kind="stable").drop_duplicates("key").set_index("key")
    clear = clear.assign(matched_to=clear["key"].map(kept["written"]), matched_in=clear["key"].map(kept["file"]))
    changed = clear[clear["written"] != clear["matched_to"]]
    matches = tuple(IdMatch(r.file, r.written, r.matched_to, r.matched_in) for r in changed.itertuples())
    if not matches:
        return (), tuple(conflicts), imports
    renamed = {kind: [_matched(imp, kind, c, matches) for imp, c in zip(parts, coded[kind], strict=True)]
               for kind, parts in imports.items()}
    return matches, tuple(conflicts), renamed


def _matched(imp: Imported, kind: str, codes: _Codes, matches: tuple[IdMatch, ...]) -> Imported:
    """An import with the ids of ``matches`` replaced (rows found on their codes) and noted."""
    mine = [m for m in matches if m.file in codes.file_names and m.written in codes.id_texts]
    if not mine:
        return imp
    n = max(len(codes.id_texts), 1)
    wanted = pd.Index([codes.file_names.get_loc(m.file) * n + codes.id_texts.get_loc(m.written) for m in mine])
    which = wanted.get_indexer(codes.files * n + codes.ids)
    notes = [f"patient id written {m.written!r} here; matched to {m.matched_to!r} in {m.matched_in}" for m in mine]
    table = _relabelled(getattr(imp, kind), codes, which, [m.matched_to for m in mine], notes)
    return dataclasses.replace(imp, **{kind: table})


# --- one patient -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanChoice:
    """The regimen the clinician follows for this patient (view of the schedule page)."""

    regimen_id: str = ""
    start: str = ""  # ISO date; "" = the first dose given
    loading_end: str = ""
    every_days: float = 2.0  # custom regimen
    loading_doses: int = 6
    maintenance_months: int = 3

    def regimen(self) -> Regimen | None:
        if not self.regimen_id:
            return None
        if self.regimen_id == "custom":
            return custom_regimen(self.every_days, self.loading_doses, self.maintenance_months)
        return get_regimen(self.regimen_id)


@dataclass(frozen=True)
class PatientCourse:
    """One patient's records on the dose axis: what the trend figure draws."""
    patient_id: str
    labs: pd.DataFrame  # annotated (days since injection, interpretation)
    doses: pd.DataFrame  # with course and phase
    phases: Phases
    symptoms: pd.DataFrame
    plan: pd.DataFrame | None
    adherence: Adherence | None
    as_of: pd.Timestamp
    given: pd.DataFrame  # the doses as imported, without course and phase: what the summary reads


@dataclass(frozen=True)
class PatientView(PatientCourse):
    """A patient's course with its follow-up summary and review prompts."""
    summary: pd.DataFrame
    prompts: pd.DataFrame


EMPTY_DOSES = pd.DataFrame({"patient_id": pd.Series([], dtype="str"),
                            "administered_at": pd.Series([], dtype="datetime64[ns]"),
                            "product": pd.Series([], dtype="str"), "dose_ug": pd.Series([], dtype="float64"),
                            "route": pd.Series([], dtype="str"), "source_file": pd.Series([], dtype="str"),
                            "source_row": pd.Series([], dtype="int64")})


def patient_view(ws: Workspace, patient: str, plan_choice: PlanChoice | None = None,
                 as_of: str | pd.Timestamp | None = None, sex: str = "any",
                 overrides: tuple[PhaseOverride, ...] = (), extra_symptoms: pd.DataFrame | None = None
                 ) -> PatientView:
    """One patient's results on the dose axis, phases, plan and adherence, summary and prompts."""
    return assess(patient_course(ws, patient, plan_choice, as_of, overrides, extra_symptoms), sex)


def patient_course(ws: Workspace, patient: str, plan_choice: PlanChoice | None = None,
                   as_of: str | pd.Timestamp | None = None, overrides: tuple[PhaseOverride, ...] = (),
                   extra_symptoms: pd.DataFrame | None = None) -> PatientCourse:
    """One patient's results on the dose axis, phases, plan and adherence: ``patient_view`` without
    the summary and prompts, which ``assess`` adds (the dashboard draws the figure in between)."""
    labs = ws.labs.labs[ws.labs.labs["patient_id"] == patient] if ws.labs else None
    doses = ws.doses.doses[ws.doses.doses["patient_id"] == patient] if ws.doses else EMPTY_DOSES
    symptoms = ws.symptoms.symptoms[ws.symptoms.symptoms["patient_id"] == patient] if ws.symptoms else None
    if extra_symptoms is not None and len(extra_symptoms):
        symptoms = pd.concat([s for s in (symptoms, extra_symptoms.assign(patient_id=patient)) if s is not None],
                             ignore_index=True)
    return records_course(patient, labs, doses, symptoms, plan_choice, as_of, overrides)


def records_view(patient: str, labs: pd.DataFrame | None, doses: pd.DataFrame, symptoms: pd.DataFrame | None,
                 plan_choice: PlanChoice | None = None, as_of: str | pd.Timestamp | None = None, sex: str = "any",
                 overrides: tuple[PhaseOverride, ...] = ()) -> PatientView:
    """``patient_view`` of one patient's own records (a share snapshot's, or a workspace's)."""
    return assess(records_course(patient, labs, doses, symptoms, plan_choice, as_of, overrides), sex)


def records_course(patient: str, labs: pd.DataFrame | None, doses: pd.DataFrame, symptoms: pd.DataFrame | None,
                   plan_choice: PlanChoice | None = None, as_of: str | pd.Timestamp | None = None,
                   overrides: tuple[PhaseOverride, ...] = ()) -> PatientCourse:
    """``patient_course`` of one patient's own records."""
    if labs is None:
        labs = pd.DataFrame({c: pd.Series([], dtype="object") for c in LABS_COLUMNS}).astype(
            {"collected_at": "datetime64[ns]", "value": "float64", "ref_low": "float64", "ref_high": "float64"})
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp.now().normalize()
    plan, adh = _plan_and_adherence(doses, plan_choice, as_of)
    phases = phases_from_course(adh.doses) if adh is not None and not overrides else detect_phases(doses, overrides)
    fitted = {patient: adh.regimen} if adh is not None and adh.fitted else None  # not fitted again below
    return PatientCourse(patient, annotate_labs(labs, doses, fitted), phases.doses, phases,
                         symptoms if symptoms is not None else pd.DataFrame(), plan, adh, as_of, doses)


def assess(course: PatientCourse, sex: str = "any") -> PatientView:
    """A patient's course with its follow-up summary and review prompts (``sex`` for default ranges)."""
    patient, adh, plan = course.patient_id, course.adherence, course.plan
    labs = course.labs[list(RULE_COLUMNS)]  # what the rules read; the view keeps every column
    doses = course.given
    sexes = {patient: sex}
    summary = summarise(labs, doses, sexes, annotated=labs)
    symptoms = course.symptoms if len(course.symptoms) else None
    prompts = review_prompts(labs, doses, symptoms, sexes, course.as_of,
                             {patient: plan} if plan is not None else None,
                             adherence={patient: adh} if adh is not None else None, annotated=labs) \
        if len(doses) else review_prompts(labs.iloc[0:0], doses)
    return PatientView(**{f.name: getattr(course, f.name) for f in fields(PatientCourse)},
                       summary=summary, prompts=prompts)


def _plan_and_adherence(doses: pd.DataFrame, choice: PlanChoice | None, as_of: pd.Timestamp
                        ) -> tuple[pd.DataFrame | None, Adherence | None]:
    """The written plan of the regimen the clinician chose (None when none is chosen), and the
    injections against that regimen, or against the template that fits them best (``fitted``).
    An open-ended loading phase the clinician has not ended ends where the doses left its pace:
    the plan's maintenance counts from there."""
    chosen = choice.regimen() if choice else None
    regimen = chosen or fit_regimen(doses)
    first = doses["administered_at"].min().normalize() if len(doses) else None
    start = pd.Timestamp(choice.start) if chosen is not None and choice.start else None
    begins = plan_start(choice, first, as_of) if chosen is not None else None
    loading_end = (_loading_end(choice, begins.date())[0] or None) if chosen is not None else None
    adh = adherence(regimen, start, doses, as_of, loading_end, fitted=chosen is None) \
        if regimen is not None and len(doses) else None
    if chosen is None:
        return None, adh
    if chosen.open_ended and loading_end is None and adh is not None and not adh.loading_open:
        loading = adh.doses[adh.doses["phase"] == "loading"]["administered_at"]
        loading_end = loading.max().normalize() if len(loading) else None
    plan = build_plan(chosen, begins, loading_end=loading_end, until=max(as_of, begins) + pd.DateOffset(months=12))
    return plan, adh


def plan_start(choice: PlanChoice, first: dt.date | pd.Timestamp | None, as_of: pd.Timestamp) -> pd.Timestamp:
    """Where the chosen plan starts: the clinician's start date, else the day of the patient's first
    dose in the files (``first``), else today (``as_of``)."""
    if choice.start:
        return pd.Timestamp(choice.start)
    return pd.Timestamp(first) if first is not None else pd.Timestamp(as_of)


def loading_end_problem(choice: PlanChoice, plan_start: dt.date) -> str:
    """Why the clinician's end of an open-ended loading phase is not used ("" when it is): a day
    before the plan starts. The plan then goes on as if loading had not ended (the date is not the
    regimen's when another regimen is chosen, and is not used then either)."""
    return _loading_end(choice, plan_start)[1]


def _loading_end(choice: PlanChoice, plan_start: dt.date) -> tuple[str, str]:
    """The clinician's end of an open-ended loading phase as the plan uses it ("" for none: no
    open-ended regimen, no date, or a date before the plan starts), and why a date given is not
    used ("" when it is, or there is none to use)."""
    chosen = choice.regimen()
    if chosen is None or not chosen.open_ended or not choice.loading_end:
        return "", ""
    ended = dt.date.fromisoformat(choice.loading_end)
    if ended >= plan_start:
        return choice.loading_end, ""
    return "", (f"The loading phase cannot end before the plan starts: loading ended on {ended:%d %b %Y}, "
                f"the plan starts on {plan_start:%d %b %Y}. That date is not used; correct it above.")


def latest_record(ws: Workspace) -> pd.Timestamp | None:
    """The day of the newest result or dose in the files (the sample data's 'today')."""
    days = []
    if ws.labs is not None and ws.labs.labs["collected_at"].notna().any():
        days.append(ws.labs.labs["collected_at"].max())
    if ws.doses is not None and len(ws.doses.doses):
        days.append(ws.doses.doses["administered_at"].max())
    return max(days).normalize() if days else None


def first_dose(ws: Workspace, patient: str) -> dt.date | None:
    """The day of the patient's first dose in the files (where a plan starts by default)."""
    if ws.doses is None:
        return None
    given = ws.doses.doses.loc[ws.doses.doses["patient_id"] == patient, "administered_at"]
    return None if given.dropna().empty else given.min().date()


def patient_analytes(ws: Workspace, patient: str) -> list[str]:
    """The tracked analytes the patient has results of, in display order."""
    if ws.labs is None:
        return []
    mine = set(ws.labs.labs.loc[ws.labs.labs["patient_id"] == patient, "analyte"].astype("str"))
    return [a for a in analyte_keys() if a in mine]
