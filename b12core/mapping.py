"""Which column holds what: layout (long or wide), column roles with a reason each, file kind.

Headers are matched against ``reference/column_roles.csv`` first; where no header decides a role
the column contents are sampled. The caller (CLI, app) can override every choice.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from b12core.coded import Coded
from b12core.errors import InputError
from b12core.loinc import looks_like_loinc
from b12core.read import RawFile
from b12core.reference import column_roles, id_words, lookup_name, ucum_unit
from b12core.text import name_key
from b12core.words import counted

ROLES = ("patient_id", "encounter_id", "collected_at", "collected_time", "offset_minutes", "test_name", "test_code",
         "value", "value_numeric", "unit", "ref_range", "ref_low", "ref_high", "flag", "qualifier", "comment",
         "specimen")
DOSE_ROLES = ("patient_id", "encounter_id", "administered_at", "administered_time", "product", "strength", "dose",
              "dose_unit", "route", "batch", "note", "order_end")
SYMPTOM_ROLES = ("patient_id", "encounter_id", "recorded_at", "symptom", "score")
ROLES_OF_KIND = {"labs": ROLES, "doses": DOSE_ROLES, "symptoms": SYMPTOM_ROLES}
ROLE_LABELS = {
    "patient_id": "patient id", "encounter_id": "admission or stay id", "collected_at": "collection time",
    "collected_time": "time of day",
    "offset_minutes": "minutes from admission", "test_name": "test name", "test_code": "test code",
    "value": "result", "value_numeric": "numeric result", "unit": "unit",
    "ref_range": "reference range", "ref_low": "reference low", "ref_high": "reference high",
    "flag": "flag", "qualifier": "qualifier", "administered_at": "date given", "administered_time": "time given",
    "product": "product",
    "strength": "strength", "dose": "dose", "dose_unit": "dose unit", "route": "route", "batch": "batch",
    "note": "note", "order_end": "order end", "recorded_at": "date", "symptom": "symptom", "score": "score",
    "comment": "lab's comment", "specimen": "specimen or source",
}
KINDS = ("labs", "doses", "symptoms", "dictionary", "admissions")
SAMPLE_ROWS = 200
CONTENT_SHARE = 0.8  # share of sampled values that must fit for a column's contents to decide its role
_HEADER_UNIT = re.compile(r"^(?P<name>.*?)[\s,]*(?:\((?P<p>[^()]*)\)|\[(?P<b>[^\[\]]*)\]|,\s*(?P<c>\S+))\s*$")
_DATEISH = re.compile(r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{1,2}[-\s][^\W\d_]{3,}|"
                      r"[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4}|\d{8}(T?\d{4,6})?$)")
_NUMERIC = re.compile(r"^\s*(<=|>=|<|>|≤|≥)?\s*[+-]?\d+([.,]\d+)?\s*$")
_DOSE_WORDS = {"drug", "medication", "medicine", "product", "dose", "dosage", "route", "batch",
               "lot", "injection", "administered", "given", "vaccine", "praparat", "dosis",
               "applikation", "applikationsart", "medikament", "arzneimittel", "verabreicht", "geneesmiddel",
               "toedieningsweg", "medicament", "produit", "voie", "medicamento", "farmaco", "medicinale", "via",
               "somministrazione", "administracion"}  # the product and route headers of column_roles
_SYMPTOM_WORDS = {"symptom", "symptoms", "score", "fatigue", "tiredness", "tingling", "numbness",
                  "memory", "mood", "severity"}
_IGNORED_HEADERS = {name_key(h) for h in (
    "row id", "row_id", "encounter", "category", "type", "labid", "labtypeid", "labresultrevisedoffset",
    "name", "first name", "last name", "surname", "given name", "dob", "date of birth", "birth date",
    "birthdate", "sex", "gender", "age", "ward", "location", "comment", "comments", "note", "notes",
    "specimen", "specimen id", "sample id", "order id", "accession", "accession number", "requested by",
    "requester", "clinician", "lab", "laboratory", "status", "priority", "storetime", "specimen type",
    "fluid", "source", "department", "storetime", "order provider id", "specimen_id", "labevent id",
    "hospital", "site", "performing lab", "geschlecht", "geburtsdatum", "alter", "bemerkung",
    "opmerking", "geslacht", "leeftijd", "sexe", "commentaire", "payer", "stop", "start",
    "specimen no", "specimen number", "sample no", "sample number", "lab no", "lab number", "request number",
)}


# Words of a birth-date header ("Date of birth", "Fecha de nacimiento", "Geburtsdatum"): such a
# column has no role, whatever date word it also holds.
_BIRTH_WORDS = ("birth", "dob", "birthdate", "nacimiento", "nascita", "naissance", "geburtsdatum", "geboortedatum",
                "geburt", "geboorte")


def _names_a_birth_date(key: str) -> bool:
    """True for the ``name_key`` of a birth-date header."""
    return any(f" {w} " in f" {key} " for w in _BIRTH_WORDS)


@dataclass(frozen=True)
class ColumnMapping:
    """How a raw table maps onto lab results; every choice carries a reason a person can read."""

    layout: str  # "long": a row per result; "wide": a column per test
    roles: dict[str, str] = field(default_factory=dict)  # role -> column
    reasons: dict[str, str] = field(default_factory=dict)  # role -> why
    test_columns: tuple[str, ...] = ()  # wide layout: the columns holding results
    layout_reason: str = ""
    units_row: bool = False  # wide layout: the first data row holds units
    kind: str = "labs"  # labs | doses | symptoms: which roles apply

    def with_role(self, role: str, column: str | None) -> ColumnMapping:
        """A copy with ``role`` set to ``column`` (None removes it), marked as the user's choice."""
        if role not in ROLES_OF_KIND[self.kind]:
            raise InputError(f"unknown column role {role!r}")
        roles = {r: c for r, c in self.roles.items() if r != role and c != column}
        reasons = {r: why for r, why in self.reasons.items() if r in roles}
        if column is not None:
            roles[role] = column
            reasons[role] = "chosen by you"
        tests = tuple(c for c in self.test_columns if c not in roles.values())
        return replace(self, roles=roles, reasons=reasons, test_columns=tests)

    def column(self, role: str) -> str | None:
        return self.roles.get(role)

    def describe(self) -> list[tuple[str, str, str]]:
        """(role label, column, reason) rows for display."""
        return [(ROLE_LABELS[r], self.roles[r], self.reasons.get(r, "")) for r in ROLES_OF_KIND[self.kind]
                if r in self.roles]


def split_header_unit(header: str) -> tuple[str, str | None]:
    """``Haemoglobin (g/L)`` -> (``Haemoglobin``, ``g/L``): the unit as written, and only when it
    is one we know (``Hämoglobin (HB)`` keeps its brackets). A unit after a space (``Hb g/L``) is
    split off only when the rest names a test and the whole does not (``Reticulocyte %``)."""
    match = _HEADER_UNIT.match(header)
    if match:
        inner = (match.group("p") or match.group("b") or match.group("c") or "").strip()
        if ucum_unit(inner):
            return match.group("name").strip(), inner
    return _split_trailing_unit(header.strip())


def _split_trailing_unit(header: str) -> tuple[str, str | None]:
    """``MCV fL`` -> (``MCV``, ``fL``) when ``fL`` is a unit we know and ``MCV`` a test name."""
    name, _, last = header.rpartition(" ")
    if name.strip() and ucum_unit(last) and lookup_name(name) is not None and lookup_name(header) is None:
        return name.strip(), last
    return header, None


def header_roles(header: str, kind: str = "labs") -> dict[str, tuple[int, str]]:
    """role -> (score, reason) from the header text alone, for a file of ``kind``. A header that
    names an admission, stay or visit (``Patient Visit ID``) is never a patient id: one person's
    results would be split across their admissions. A header that names a patient or a stay
    (``Unit No``, a UK hospital number) is never the unit, whatever word it contains."""
    key = name_key(header)
    words = f" {key} "
    if _names_a_birth_date(key):  # "Fecha de nacimiento" is no collection date
        return {}
    scores: dict[str, tuple[int, str]] = {}
    for role, pattern, priority in column_roles(kind):
        if key == pattern:
            score, how = priority, "matches"
        elif len(pattern) > 3 and f" {pattern} " in words:
            score, how = priority - 20, "contains"
        else:
            continue
        if score > scores.get(role, (0, ""))[0]:
            scores[role] = (score, f"header {header!r} {how} '{pattern}'")
    if "encounter_id" in scores:
        scores.pop("patient_id", None)
    if {"patient_id", "encounter_id"} & scores.keys():
        scores.pop("unit", None)
        scores.pop("dose_unit", None)
    return scores


def _sample(raw: RawFile, column: str) -> pd.Series:
    values = raw.frame(np.arange(min(SAMPLE_ROWS, raw.cells.num_rows)), [column])[column]
    return values[values.str.strip() != ""]


def _share(values: pd.Series, test) -> float:
    if values.empty:
        return 0.0
    uniq = pd.unique(values.to_numpy())
    hits = {v: bool(test(v)) for v in uniq}
    return float(values.map(hits).mean())


def dates_in_time_column(raw: RawFile, roles: dict[str, str], reasons: dict[str, str], time_role: str,
                         date_role: str) -> None:
    """A column taken for the time of day by its header ("Sample time") that holds whole dates, in a
    file without a date column, is the date column: its dates would otherwise be lost."""
    column = roles.get(time_role)
    if column is None or date_role in roles:
        return
    share = _share(_sample(raw, column), lambda v: _DATEISH.match(v))
    if share >= CONTENT_SHARE:
        roles[date_role] = roles.pop(time_role)
        reasons[date_role] = f"{reasons.pop(time_role)}, and {share:.0%} of its values are dates"


# Headers that name where a result was measured only when the column holds words ("Blood Gas",
# "Hematology"); the same headers often hold specimen or accession numbers, which say nothing of it.
_PLAIN_SOURCE_HEADERS = ("specimen", "source", "section", "lab section", "category", "department", "sample",
                         "specimen description", "order name", "muestra", "campione", "materiel", "monster",
                         "monstermateriaal", "probe", "echantillon")
_WORDS_ONLY = re.compile(r"^[^\W\d_][^\d]*$")


def _specimen_in_plain_column(raw: RawFile, columns: list[str], roles: dict[str, str],
                              reasons: dict[str, str]) -> None:
    """The specimen role for a column under a plain header (``_PLAIN_SOURCE_HEADERS``) whose values
    are words, when no column has it by a header of its own."""
    if "specimen" in roles:
        return
    for column in columns:
        if column in roles.values() or name_key(column) not in _PLAIN_SOURCE_HEADERS:
            continue
        values = _sample(raw, column)
        if len(values) and _share(values, lambda v: _WORDS_ONLY.match(v)) >= CONTENT_SHARE:
            roles["specimen"] = column
            reasons["specimen"] = f"header {column!r} and its values are words such as {values.iloc[0]!r}"
            return


def is_test_header(header: str) -> bool:
    """True when a header names a test (tracked or not), as in a wide export."""
    name, _ = split_header_unit(header)
    return lookup_name(name) is not None


def _content_role(raw: RawFile, column: str) -> tuple[str, float, str] | None:
    """(role, share, reason) guessed from a column's contents."""
    values = _sample(raw, column)
    if values.empty:
        return None
    checks = (
        ("test_code", lambda v: looks_like_loinc(v), "look like LOINC codes"),
        ("collected_at", lambda v: _DATEISH.match(v), "look like dates"),
        ("unit", lambda v: ucum_unit(v) is not None, "are units"),
        ("test_name", lambda v: lookup_name(v) is not None, "are known test names"),
        ("value", lambda v: _NUMERIC.match(v), "are numbers"),
    )
    for role, test, what in checks:
        share = _share(values, test)
        need = 0.3 if role == "test_name" else CONTENT_SHARE
        if share >= need:
            return role, share, f"{share:.0%} of the values in {column!r} {what}"
    return None


@dataclass(frozen=True)
class IdColumn:
    """A column whose header names no role but says it holds ids (``Client ID``, ``Nº Utente``)."""

    column: str
    kind: str  # "id": it may number patients; "stay": it numbers stays or accounts (id_words.csv)
    ids: int  # different ids in the whole column
    repeated: bool  # some id is on more than one row
    examples: tuple[str, ...]  # the first two ids as written

    def quoted(self) -> str:
        """The first ids in quotes: ``'A-1', 'A-2'``."""
        return ", ".join(repr(e) for e in self.examples)


_NOT_IDS = ("test_code", "collected_at", "unit", "test_name")  # contents that are something else


def _id_header_kind(header: str) -> str | None:
    """``id`` when the header has an id word and no word of a stay or of a specimen, request, run or
    row; ``stay`` when it has a stay word and none of the latter; else None (``id_words.csv``)."""
    kinds = {id_words().get(w) for w in name_key(header).split()}
    if "other" in kinds:
        return None
    if "stay" in kinds:
        return "stay"
    return "id" if "id" in kinds else None


def id_columns(raw: RawFile, taken: Collection[str]) -> list[IdColumn]:
    """The columns not ``taken`` (nor naming a test) whose header says they hold ids, whose cells
    are filled and are not dates, units, test names or codes, in file order."""
    found = []
    sampled = min(SAMPLE_ROWS, raw.cells.num_rows)
    for column in raw.columns:
        kind = None if column in taken or is_test_header(column) else _id_header_kind(column)
        if kind is None or not sampled or len(_sample(raw, column)) < CONTENT_SHARE * sampled:
            continue
        guess = _content_role(raw, column)
        if guess is None or guess[0] not in _NOT_IDS:
            found.append(_id_column(raw, column, kind))
    return found


def _id_column(raw: RawFile, column: str, kind: str) -> IdColumn:
    """How many different ids ``column`` holds over the whole file, and whether any repeats."""
    cells = Coded.of_arrow(raw.column(column))
    filled = cells.codes[~cells.empty()]
    _, first = np.unique(filled, return_index=True)
    examples = filled[np.sort(first)[:2]]  # in the order they first appear
    return IdColumn(column, kind, len(first), len(first) < len(filled), tuple(str(cells.values[c]) for c in examples))


def _patient_by_id_column(raw: RawFile, roles: dict[str, str], reasons: dict[str, str]) -> None:
    """Without a column for the patient or the stay, nor a patient named above the table, the first
    column of ids (``id_columns``) whose ids repeat is the patient's, with a reason that says so:
    taking none would make one patient of every person in the file."""
    from b12core.header_block import patient_id  # header_block needs this module through encounters

    if {"patient_id", "encounter_id"} & roles.keys() or patient_id(raw.preamble) is not None:
        return
    for found in id_columns(raw, roles.values()):
        if found.kind == "id" and found.repeated:
            roles["patient_id"] = found.column
            reasons["patient_id"] = (f"no header names the patient; {found.column!r} holds "
                                     f"{counted(found.ids, 'id')} ({found.quoted()}) that repeat over its rows")
            return


def id_column_hint(raw: RawFile, roles: dict[str, str]) -> str:
    """For a table read as one patient's: a column of several ids it did not take for the patient
    (stays, or ids that never repeat), said so that a person can choose it; "" when there is none."""
    for found in id_columns(raw, roles.values()):
        if found.ids > 1:
            what = ", which may be stays or accounts of one person" if found.kind == "stay" else ""
            return (f"column {found.column!r} holds {found.ids} different ids ({found.quoted()}){what}: "
                    "if they are patients, choose it as the patient column")
    return ""


LONG_ONLY_ROLES = ("value", "value_numeric", "unit", "ref_range", "ref_low", "ref_high", "flag", "qualifier")


def propose_mapping(raw: RawFile) -> ColumnMapping:
    """Guess layout and column roles for a lab export, with a reason for each choice."""
    columns = list(raw.columns)
    test_headers = [c for c in columns if is_test_header(c)]
    roles, reasons = roles_by_header([c for c in columns if c not in test_headers])
    for column in columns:
        if (column in roles.values() or column in test_headers or name_key(column) in _IGNORED_HEADERS
                or _names_a_birth_date(name_key(column))):
            continue
        guess = _content_role(raw, column)
        if not guess or guess[0] in roles:
            continue
        # A column of numbers beside test-name headers is a result only in a long layout.
        if guess[0] == "value" and test_headers and not {"test_name", "test_code"} & roles.keys():
            continue
        roles[guess[0]], reasons[guess[0]] = column, guess[2]
    dates_in_time_column(raw, roles, reasons, "collected_time", "collected_at")
    _specimen_in_plain_column(raw, columns, roles, reasons)
    _patient_by_id_column(raw, roles, reasons)
    if {"test_name", "test_code"} & roles.keys():
        return _long_mapping(raw, roles, reasons)
    if not test_headers:
        raise InputError(f"{raw.name}: no column names a test and no column holds test names or codes; "
                         "is this a lab export?")
    for role in LONG_ONLY_ROLES:
        roles.pop(role, None)
        reasons.pop(role, None)
    tests = tuple(c for c in columns if c not in roles.values() and name_key(c) not in _IGNORED_HEADERS)
    shown = ", ".join(repr(c) for c in test_headers[:3])
    return ColumnMapping("wide", roles, reasons, tests, f"one column per test: headers such as {shown} name tests",
                         _first_row_is_units(raw, tests))


def roles_by_header(columns: list[str], kind: str = "labs") -> tuple[dict[str, str], dict[str, str]]:
    """Best-scoring header match first; each role gets one column and each column one role."""
    candidates = sorted(((score, role, column, reason) for column in columns
                         for role, (score, reason) in header_roles(column, kind).items()), key=lambda c: -c[0])
    roles: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for _score, role, column, reason in candidates:
        if role not in roles and column not in roles.values():
            roles[role], reasons[role] = column, reason
    return roles, reasons


def _long_mapping(raw: RawFile, roles: dict[str, str], reasons: dict[str, str]) -> ColumnMapping:
    if "value" not in roles and "value_numeric" in roles:
        roles["value"], reasons["value"] = roles.pop("value_numeric"), reasons.pop("value_numeric")
    if "value" not in roles:
        raise InputError(f"{raw.name}: found a test column but no result column")
    column = roles.get("test_name") or roles["test_code"]
    what = "test name" if "test_name" in roles else "test code"
    return ColumnMapping("long", roles, reasons, (), f"one row per result: column {column!r} holds the {what}")


def _first_row_is_units(raw: RawFile, tests: tuple[str, ...]) -> bool:
    if not raw.cells.num_rows or not tests:
        return False
    head = raw.head(1)
    first = [head[c].iloc[0].strip() for c in tests]
    filled = [v for v in first if v]
    return bool(filled) and sum(ucum_unit(v) is not None for v in filled) >= 0.6 * len(filled)


def detect_kind(raw: RawFile) -> str:
    """``labs``, ``doses`` (injection record), ``symptoms`` (diary), ``dictionary`` (test codes
    and their names, such as MIMIC's D_LABITEMS) or ``admissions`` (the patient of each admission
    or stay, such as MIMIC's ADMISSIONS or eICU's patient table: no test, a patient id and an
    admission id)."""
    words = {w for c in raw.columns for w in name_key(c).split()}
    keys = {name_key(c) for c in raw.columns}
    tests = any(is_test_header(c) for c in raw.columns)
    if len(words & _DOSE_WORDS) >= 2 and not tests:
        return "doses"
    if words & _SYMPTOM_WORDS and not tests:
        return "symptoms"
    scores = [header_roles(c) for c in raw.columns]
    has = {role for s in scores for role in s}
    if {"patient_id", "encounter_id"} <= has and not tests and not {"test_name", "test_code", "value",
                                                                    "value_numeric"} & has:
        return "admissions"
    if ("test_code" in has and ({"test_name"} & has or "label" in keys)
            and not {"value", "value_numeric", "collected_at"} & has):
        return "dictionary"
    return "labs"


@dataclass(frozen=True)
class DictionaryEntry:
    name: str
    loinc: str = ""
    specimen: str = ""  # fluid and category ("Blood, Blood Gas"): where the code's results are measured


# MIMIC d_labitems: the specimen and the lab section; other code lists name the section or department
_DICTIONARY_SOURCE_HEADERS = ("fluid", "category", "section", "department", "lab section")


def read_dictionary(raw: RawFile) -> dict[str, DictionaryEntry]:
    """Code -> name (and LOINC code, and the fluid and category that say where the code's results
    are measured, when the file has them), from a dictionary file."""
    code_col = name_col = loinc_col = None
    source_cols = []
    for column in raw.columns:
        scores = header_roles(column)
        key = name_key(column)
        if "loinc" in key.split():
            loinc_col = column
        elif "test_code" in scores and code_col is None:
            code_col = column
        elif ("test_name" in scores or key == "label") and name_col is None:
            name_col = column
        elif key in _DICTIONARY_SOURCE_HEADERS or "specimen" in scores:
            source_cols.append(column)
    if code_col is None or name_col is None:
        raise InputError(f"{raw.name}: a code dictionary needs a code column and a name column")
    table = raw.table
    loinc = table[loinc_col].str.strip() if loinc_col else pd.Series("", index=table.index)
    sources = [table[c].str.strip() for c in source_cols]
    specimen = [", ".join(dict.fromkeys(p for p in parts if p)) for parts in zip(*sources, strict=True)] \
        if sources else [""] * len(table)
    return {code.strip(): DictionaryEntry(name.strip(), lc, sp)
            for code, name, lc, sp in zip(table[code_col], table[name_col], loinc, specimen, strict=True)
            if code.strip()}
