"""A raw table of text cells -> the canonical ``labs`` table, with every row accounted for.

Each input result ends up accepted (a row of ``labs``), ignored (a test the app does not track,
or a name nobody has mapped yet, listed with its row count), a duplicate of a result already
kept, or rejected with a reason a person can read. For every file:
read = accepted + ignored + duplicates + rejected.

Everything is done once per distinct text (test name, unit, value, date) and mapped back onto
rows, so the cost follows the number of distinct texts, not the number of rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from b12core import dates, header_block, units, values
from b12core.accounting import (
    Reasons,
    RowNotes,
    coded_name_counts,
    counts_frame,
    drop_duplicates_counted,
    join_notes,
    merge_records,
    rejections_frame,
    summary_line,
)
from b12core.coded import Coded, combine, concat
from b12core.errors import InputError
from b12core.loinc import corrected_loinc, loinc_check_ok, looks_like_loinc
from b12core.mapping import (
    ROLE_LABELS,
    ColumnMapping,
    DictionaryEntry,
    id_column_hint,
    propose_mapping,
    split_header_unit,
)
from b12core.read import RawFile
from b12core.reference import analyte_keys, analytes, loinc_codes, lookup_name, see_comment_words, untracked_codes
from b12core.text import extract, name_key
from b12core.words import counted

IGNORE = "ignore"
TEXT_COLUMN_THREADS = 2  # text columns of labs built side by side (1M-row wide export: 0.46 -> 0.33 s)
# Files of fewer records are imported on the calling thread: there a second thread's start and the
# hand-overs of the GIL cost more than they save (``build_workspace`` of a load-test patient's 847
# results and 126 doses, 80 imports each way taking turns: median 75.9 ms with the threads, 60.5 ms
# without; a generated 20,000-row export 66 against 38 ms, best of three), and with many clinicians
# at once every upload added three threads.
THREADED_RECORDS = 100_000
OFFSET_ANCHOR = pd.Timestamp("2000-01-01")

LABS_COLUMNS = ("patient_id", "collected_at", "analyte", "value", "unit", "qualifier",
                "reported_value", "reported_unit", "reported_name", "reported_flag", "specimen",
                "ref_low", "ref_high", "source_file", "source_row", "notes")


@dataclass(frozen=True)
class LabImport:
    """The outcome of importing one or more lab tables."""

    labs: pd.DataFrame
    rejections: pd.DataFrame
    counts: pd.DataFrame  # one row per source file: read, accepted, ignored, duplicates, rejected
    unknown_names: pd.DataFrame  # source_file, name, rows: tests nobody has mapped yet
    ignored_names: pd.DataFrame  # source_file, name, rows: tests the app does not track
    mappings: dict[str, ColumnMapping] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per file: how it was read

    def summary(self) -> str:
        """One line: read, accepted, ignored, duplicates, rejected over all files."""
        return summary_line(self.counts)


@dataclass(frozen=True)
class Identity:
    """What one distinct (code, name) pair in a file refers to."""

    status: str  # tracked | untracked | unknown | rejected
    analyte: str = ""
    unit: str = ""  # definite unit implied by the name (NHANES variable, header unit)
    hint: str = ""  # unit whose property (mass/molar) the LOINC code implies
    display: str = ""  # name shown in unknown/ignored lists
    note: str = ""
    reason: str = ""
    specimen: str = ""  # where the code's results are measured, from the lab's code dictionary


# --- records: one row per candidate result, coded -----------------------------------------------

_TIME_FIELDS = ("when", "time")  # collection date and time: nearly one distinct text per row
RECORD_FIELDS = ("patient", "when", "time", "offset", "name", "code", "value", "value_num", "unit", "range",
                 "low", "high", "flag", "qualifier", "comment", "specimen")
_ROLE_OF_FIELD = {"patient": "patient_id", "when": "collected_at", "time": "collected_time",
                  "offset": "offset_minutes", "name": "test_name", "code": "test_code",
                  "value": "value", "value_num": "value_numeric", "unit": "unit", "range": "ref_range",
                  "low": "ref_low", "high": "ref_high", "flag": "flag", "qualifier": "qualifier",
                  "comment": "comment", "specimen": "specimen"}
NO_RESULT_ROW = "(rows without any result)"  # a test "name" for blank rows, so they are counted


@dataclass(frozen=True)
class Records:
    """Candidate results as coded text columns (see ``b12core.coded``)."""

    row: np.ndarray  # 1-based data row of the file
    column: Coded  # the wide layout's test column ("" for long layouts)
    header_unit: Coded  # a unit written in the wide header or its units row
    written: Coded  # the result cell exactly as written
    fields: dict[str, Coded]  # RECORD_FIELDS, trimmed

    def __len__(self) -> int:
        return len(self.row)

    def __getitem__(self, name: str) -> Coded:
        return self.fields[name]


def _field_column(mapping: ColumnMapping, field_name: str) -> str | None:
    """The column a record field is read from: its role's; the patient's is the admission id's
    when no column holds patient ids (``_patients`` says so in the file's notes)."""
    role = _ROLE_OF_FIELD[field_name]
    return mapping.roles.get(role) or (mapping.roles.get("encounter_id") if role == "patient_id" else None)


def _records(raw: RawFile, mapping: ColumnMapping) -> Records:
    """The raw table as candidate results: long tables row for row, wide tables melted to one
    record per filled test cell. Rows holding no result at all become one record each under
    ``NO_RESULT_ROW``, so that every row of the file is counted somewhere."""
    n = raw.cells.num_rows
    rows = raw.data_rows()
    coded: dict[str, Coded] = {}
    for field_name in RECORD_FIELDS:
        column = _field_column(mapping, field_name)
        lazy = field_name in _TIME_FIELDS  # nearly one text per row: parsed from Arrow
        coded[field_name] = Coded.of_arrow(raw.column(column), lazy=lazy) if column else Coded.constant(n)
    written_column = mapping.roles.get("value")
    if mapping.layout == "long":
        written = Coded.of_arrow(raw.column(written_column), strip=False) if written_column else Coded.constant(n)
        empty_row = coded["name"].empty() & coded["code"].empty() & coded["value"].empty()
        candidates = np.flatnonzero(empty_row)  # few: check their other cells directly
        if len(candidates):
            others = raw.frame(candidates)
            empty_row[candidates] = (others.apply(lambda col: col.str.strip() == "")).all(axis=1).to_numpy()
        name = coded["name"]
        if empty_row.any():
            values = np.append(name.values, NO_RESULT_ROW)
            coded["name"] = Coded(np.where(empty_row, len(name.values), name.codes), values)
        return Records(rows, Coded.constant(n), Coded.constant(n), written, coded)
    start = 1 if mapping.units_row else 0
    heads, cells, raw_cells, filled = [], [], [], []
    for column in mapping.test_columns:
        cell = Coded.of_arrow(raw.column(column), strip=False)
        stripped = cell.stripped()
        keep = ~stripped.empty()
        keep[:start] = False  # the units row is part of the header
        if not keep.any():
            continue
        name, header_unit = split_header_unit(column)
        if mapping.units_row:
            header_unit = str(cell.values[cell.codes[0]]).strip() or header_unit or ""
        heads.append((column, name, header_unit or ""))
        cells.append(stripped)
        raw_cells.append(cell)
        filled.append(keep)
    blank = ~np.logical_or.reduce(filled) if filled else np.ones(n, dtype=bool)
    blank[:start] = False
    # One record per filled cell and per row without any: row by row, then left to right, as the
    # file reads (the last column of the matrix stands for "no result in this row").
    position, column_id = np.nonzero(np.column_stack([*filled, blank]))
    position, column_id = position.astype(np.int64), column_id.astype(np.int64)

    def melt(parts: list[Coded]) -> Coded:
        joined = concat([*parts, Coded.constant(n)])
        return Coded(joined.codes.reshape(len(parts) + 1, n)[column_id, position], joined.values)

    labels = np.array([h[0] for h in heads] + [""], dtype=object)
    names = np.array([h[1] for h in heads] + [NO_RESULT_ROW], dtype=object)
    units = np.array([h[2] for h in heads] + [""], dtype=object)
    value = melt(cells)
    if all(c.codes is r.codes for c, r in zip(cells, raw_cells, strict=True)):  # no cell needed trimming:
        written = Coded(value.codes, np.concatenate([*(r.values for r in raw_cells), [""]]))  # share the codes
    else:
        written = melt(raw_cells)
    # A wide row's comment is about its specimen, not one test's cell (which is never empty): not read.
    fields = {f: coded[f].take(position) for f in ("patient", "when", "time", "offset", "specimen")}
    fields |= {"name": Coded(column_id, names), "code": Coded.constant(len(position)), "value": value}
    fields |= {f: Coded.constant(len(position)) for f in RECORD_FIELDS if f not in fields}
    return Records(rows[position] if len(position) else position, Coded(column_id, labels), Coded(column_id, units),
                   written, fields)


# --- test identity -----------------------------------------------------------------------------

def identify(code: str, name: str, dictionary: Mapping[str, DictionaryEntry],
             name_map: Mapping[str, str]) -> Identity:
    """What a (code, name) pair refers to: LOINC code first, then the name, then a dictionary
    (which also says where the code's results are measured, ``Identity.specimen``)."""
    ident = _identify(code, name, dictionary, name_map)
    entry = dictionary.get(code) if code and not looks_like_loinc(code) else None
    return replace(ident, specimen=entry.specimen) if entry is not None and entry.specimen else ident


def _identify(code: str, name: str, dictionary: Mapping[str, DictionaryEntry],
              name_map: Mapping[str, str]) -> Identity:
    if name == NO_RESULT_ROW:
        return Identity("untracked", display=NO_RESULT_ROW)
    for key in (code, name):
        if key and key in name_map:
            target = name_map[key]
            if target == IGNORE:
                return Identity("untracked", display=key, note="ignored by you")
            return Identity("tracked", target, display=key, note=f"{key!r} mapped to {target} by you")
    note = ""
    if code and code in dictionary and not looks_like_loinc(code):
        entry = dictionary[code]
        note = f"code {code} is {entry.name!r} in the dictionary"
        code, name = entry.loinc, name or entry.name
    header_name, header_unit = split_header_unit(name) if name else ("", None)
    by_name = lookup_name(name) if name else None
    if by_name is None and header_unit:
        by_name = lookup_name(header_name)
    display = name or code
    if code and looks_like_loinc(code):
        if not loinc_check_ok(code):
            fixed = corrected_loinc(code)
            why = f"LOINC code {code} fails its check digit ({fixed} would pass)"
            if by_name is None and fixed in loinc_codes():  # likely a tracked test: the name cannot confirm it
                return Identity("rejected", display=display, reason=why)
            if by_name is None:  # not a test we track under either code: ignored and listed, as a valid one
                return Identity("untracked", display=_not_tracked(name, code, "; fails its check digit"), note=note)
            note = _join(note, why + "; recognised by name")
        elif code in loinc_codes():
            ident = loinc_codes()[code]
            if by_name and by_name.analyte and by_name.analyte != ident.analyte:
                return Identity("rejected", display=display, reason=(
                    f"LOINC code {code} is {analytes()[ident.analyte].label} but the name {name!r} "
                    f"is {analytes()[by_name.analyte].label}"))
            return Identity("tracked", ident.analyte, header_unit or (by_name.unit if by_name else "") or "",
                            ident.unit or "", display, note)
        elif code in untracked_codes():
            return Identity("untracked", display=f"{untracked_codes()[code]} ({code})", note=note)
        elif by_name is None:
            return Identity("untracked", display=_not_tracked(name, code), note=note)
        else:
            note = _join(note, f"LOINC code {code} is not one of the app's codes; recognised by name")
    if by_name is None:
        if not display:
            return Identity("rejected", reason="no test name or code")
        return Identity("unknown", display=display, note=note)
    if by_name.analyte is None:
        return Identity("untracked", display=display, note=note)
    return Identity("tracked", by_name.analyte, header_unit or by_name.unit or "", "", display, note)


def _not_tracked(name: str, code: str, more: str = "") -> str:
    """How a test we do not track, known by its LOINC code, is listed."""
    return f"{name} (LOINC {code}, not tracked{more})" if name else f"LOINC {code} (not tracked{more})"


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


# --- the import --------------------------------------------------------------------------------

STATUSES = ("tracked", "untracked", "unknown", "rejected")
TRACKED, UNTRACKED, UNKNOWN, REJECTED = range(len(STATUSES))


def import_labs(raw: RawFile, mapping: ColumnMapping | None = None, date_order: str | None = None,
                name_map: Mapping[str, str] | None = None,
                dictionary: Mapping[str, DictionaryEntry] | None = None,
                not_after: pd.Timestamp | None = None) -> LabImport:
    """Normalise one raw lab table to the canonical ``labs`` table.

    ``mapping`` overrides the guessed column roles; ``date_order`` (``dmy``/``mdy``) is used when
    the file's dates do not decide it; ``name_map`` maps reported test names or codes to an
    analyte key (or ``"ignore"``); ``dictionary`` resolves local codes (MIMIC ``D_LABITEMS``);
    results dated after ``not_after`` are rejected (the app passes tomorrow; research data such as
    MIMIC with shifted dates is read without it).
    Raises ``InputError`` (or ``DateOrderNeeded``) when the table cannot be used at all.
    """
    mapping = mapping or propose_mapping(raw)
    _check_mapping(raw, mapping)
    name_map = dict(name_map or {})
    for key, target in name_map.items():
        if target != IGNORE and target not in analytes():
            raise InputError(f"{key!r} is mapped to {target!r}, which is not an analyte")
    accepted, result = _normalise(raw, mapping, date_order, name_map, dictionary or {}, not_after)
    labs = _labs_table(raw.name, accepted)  # built once every per-record array of the file is freed
    labs, counts = drop_duplicates_counted(labs, result.counts, accepted.repeats)
    return LabImport(**{**result.__dict__, "labs": labs, "counts": counts})


@dataclass(frozen=True)
class Accepted:
    """The accepted results of one file: the text columns of ``labs`` coded, the rest as arrays,
    and which results repeat an earlier one of the file."""

    texts: dict[str, Coded]  # patient_id, unit, qualifier, reported_*, notes
    collected_at: np.ndarray  # datetime64[ns]
    analyte: np.ndarray  # index into analyte_keys()
    value: np.ndarray  # float64, canonical unit
    ref_low: np.ndarray
    ref_high: np.ndarray
    source_row: np.ndarray  # 1-based data row
    repeats: np.ndarray  # bool: the same result as an earlier row of the file


@dataclass(frozen=True)
class _Identities:
    """Which test each record is, worked out once per distinct (code, name) pair."""

    codes: np.ndarray  # per record: position in ``each``
    first: np.ndarray  # per distinct pair: its first record
    each: list[Identity]  # the identity of each distinct pair
    status: np.ndarray  # per record: TRACKED, UNTRACKED, UNKNOWN or REJECTED

    def coded(self, attr: str) -> Coded:
        """An attribute of each record's identity, coded."""
        return Coded(self.codes, np.array([getattr(i, attr) for i in self.each], dtype=object))


def _identities(rec: Records, dictionary: Mapping[str, DictionaryEntry], name_map: Mapping[str, str]
                ) -> _Identities:
    codes, first = combine(rec["code"], rec["name"])
    each = [identify(rec["code"].values[c], rec["name"].values[m], dictionary, name_map)
            for c, m in zip(rec["code"].codes[first], rec["name"].codes[first], strict=True)]
    status = np.array([STATUSES.index(i.status) for i in each], dtype=np.int8)[codes]
    return _Identities(codes, first, each, status)


def _normalise(raw: RawFile, mapping: ColumnMapping, date_order: str | None, name_map: Mapping[str, str],
               dictionary: Mapping[str, DictionaryEntry], not_after: pd.Timestamp | None
               ) -> tuple[Accepted, LabImport]:
    """Every record of the file accepted, ignored or rejected: the accepted results, and the rest
    of the import (rejections, counts, names, notes) with an empty ``labs``. A function of its
    own so that the per-record arrays are freed when it returns, before ``labs`` is built."""
    rec = _records(raw, mapping)
    n = len(rec)
    reasons, notes, file_notes = Reasons(n), RowNotes(n), list(raw.notes)
    ids = _identities(rec, dictionary, name_map)
    block_date = header_block.collection_date(raw.preamble)
    second, why = _second_report(raw, mapping, rec, block_date)
    if second.any():
        ids.status[second] = REJECTED
        reasons.fail(second, why)
    reasons.fail(ids.status == REJECTED, ids.coded("reason"))
    notes.add_coded(ids.coded("note"))
    tracked = ids.status == TRACKED

    # In a large file (``THREADED_RECORDS``) collection times are read on a thread of their own while
    # the results are worked out: Arrow and NumPy release the GIL in both, so a second core shares the
    # work (1M-row wide export, three runs each: 5.4 -> 4.6 s). Their notes and reasons are added
    # after the results', as before.
    with _executor(n) as pool:
        times = pool.submit(_collection_times, raw, mapping, rec, date_order, tracked, block_date)
        combo, out, mark = _results(raw, mapping, rec, ids, tracked)
        collected, date_problem, date_note, written_time, zoned, from_block = times.result()
    reasons.fail(tracked, Coded(combo, out.problem))
    notes.add_coded(Coded(combo, out.note))
    file_notes.append(mark.reason)
    notes.add(tracked & zoned, dates.ZONE_NOTE)
    if date_note:
        notes.add(tracked, date_note)
    if (tracked & from_block).any():
        notes.add(tracked & from_block, "collection date from the line above the table")
        file_notes.append(f"collection date taken from the line above the table {block_date.quoted_line()}")
    reasons.fail(tracked, date_problem)
    if not_after is not None:
        reasons.fail(tracked, dates.after(collected, not_after))

    patient = _patients(raw, mapping, rec, tracked, reasons, notes, file_notes)
    kept = np.flatnonzero(tracked & reasons.ok())  # every reason is known by now
    with _executor(n) as pool:  # the rejections beside the accepted results, as the times above
        rest = pool.submit(_rest_of_import, raw, mapping, rec, ids, reasons, file_notes)
        accepted = _accepted(rec, ids, combo, out, mark.mark, notes, tracked, kept, patient, collected, written_time)
        return accepted, rest.result()


class _SameThread(Executor):
    """An executor that runs each task at once on the calling thread (``_executor``). As on a
    thread, a task's error is raised by its future's ``result()``, not by ``submit``."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        done: Future = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as err:  # handed to the caller by result(), as a pool does
            done.set_exception(err)
        return done


def _executor(records: int, threads: int = 1) -> Executor:
    """Threads for a file of ``THREADED_RECORDS`` records or more, else the calling thread."""
    return ThreadPoolExecutor(threads) if records >= THREADED_RECORDS else _SameThread()


def _second_report(raw: RawFile, mapping: ColumnMapping, rec: Records,
                   block_date: header_block.BlockValue | None) -> tuple[np.ndarray, str]:
    """The records from a second report's heading on ("Patient ID: 22222" as a row of the table),
    in a table that takes its patient or collection date (``block_date``) from the lines above it,
    and the reason they are not read: the first report's patient and date must never reach them."""
    none = np.zeros(len(rec), dtype=bool)
    from_block = ((header_block.names_patient(raw, "labs") and not mapping.roles.get("patient_id"))
                  or (block_date is not None and not mapping.roles.get("collected_at")))
    if not from_block or mapping.layout != "long":
        return none, ""
    name = rec["name"]
    heading = np.array([bool(t) and header_block.is_heading(t) for t in name.values])
    at = name.per_value(heading)
    if not at.any():
        return none, ""
    first = int(np.argmax(at))
    return rec.row >= rec.row[first], (
        f'after a second report\'s heading in the file (row {rec.row[first]}: "{name.values[name.codes[first]]}"): '
        "only the first report of a file is read; save each report to a file of its own")


def _patients(raw: RawFile, mapping: ColumnMapping, rec: Records, tracked: np.ndarray, reasons: Reasons,
              notes: RowNotes, file_notes: list[str]) -> Coded:
    """Each record's patient: the patient-id column's (an empty cell takes the id written above the
    table); without one, the id written above the table; else the admission id's (an admission or
    stay tells patients apart only as well as admissions do, and the file's notes say so); else one
    patient for the whole file. A result without its id is rejected."""
    if mapping.roles.get("patient_id"):
        patient, from_block = header_block.patients_of_id_column(raw, mapping.roles["patient_id"], rec["patient"],
                                                                 tracked, reasons, file_notes)
        notes.add(from_block, "patient id from the line above the table")
        return patient
    # without a patient column, rec["patient"] holds the admission id (``_field_column``)
    return header_block.patients_without_id_column(raw, "results", mapping.roles.get("encounter_id"), rec["patient"],
                                                   tracked, reasons, file_notes, id_column_hint(raw, mapping.roles))


def _results(raw: RawFile, mapping: ColumnMapping, rec: Records, ids: _Identities, tracked: np.ndarray
             ) -> tuple[np.ndarray, Outcomes, values.DecimalMark]:
    """(combination per record, what each combination becomes, the file's decimal mark).

    The number, qualifier, flag and unit of a result follow from its test, its result text and the
    unit, flag and qualifier cells beside it, so they are worked out once per distinct combination
    of these (value texts are parsed once each, units resolved once per analyte and spelling) and
    spread over the records by one code per record."""
    value = rec["value"]
    used = np.bincount(value.codes[tracked], minlength=len(value.values)) > 0
    mark = values.detect_decimal_mark(pd.Series(value.values[used], dtype="str"), raw.delimiter)
    parsed = values.parse_values(pd.Series(value.values, dtype="str"), mark.mark)
    test = Coded(ids.codes, np.empty(len(ids.each), dtype=object))
    comment = _comments_read(rec["comment"], tracked & value.per_value(parsed.problem != ""))
    combo, first = combine(test, value, rec["unit"], rec["value_num"], rec["flag"], rec["qualifier"],
                           rec.header_unit, comment)
    out = _outcomes(rec, first, ids.codes[first], ids.each, parsed, bool(mapping.roles.get("value_numeric")),
                    comment.values[comment.codes[first]], mark.mark)
    return combo, out, mark


def _comments_read(comment: Coded, rows: np.ndarray) -> Coded:
    """The lab's comment of the ``rows`` (tracked results whose result text gives no result),
    trimmed to one line, and "" for every other record: a comment splits the combinations of
    ``_results`` only where it is read. A comment without a letter or digit (MIMIC's de-identified
    ``___``) is no comment. Each distinct comment is cleaned once."""
    if comment.size == 1 and comment.values[0] == "":  # no comment column: nothing to split
        return comment
    used = np.zeros(comment.size + 1, dtype=bool)
    used[comment.codes[rows]] = True
    used[-1] = False
    texts = np.full(comment.size + 1, "", dtype=object)
    if used.any():
        cleaned = pd.Series(comment.values[used[:-1]], dtype="str").str.replace(r"\s+", " ", regex=True).str.strip()
        texts[np.flatnonzero(used)] = np.where(cleaned.str.contains(r"[^\W_]", regex=True), cleaned, "")
    return Coded(np.where(rows, comment.codes, comment.size), texts)


def _accepted(rec: Records, ids: _Identities, combo: np.ndarray, out: Outcomes, decimal_mark: str, notes: RowNotes,
              tracked: np.ndarray, kept: np.ndarray, patient: Coded, collected: np.ndarray,
              written_time: Coded) -> Accepted:
    """The accepted results (``kept`` records): the lab's reference range, and which of them repeat
    an earlier result of the file, compared on the codes (the texts are never hashed)."""
    combo_kept = combo[kept]  # the analyte, factor and value of a result follow from its combination
    analyte_idx = out.analyte[combo_kept]
    ref_low, ref_high = _reference_ranges(rec, decimal_mark, combo_kept, out.factor, notes, tracked, kept)
    same_qualifier = pd.factorize(out.qualifier)[0]  # per combination: equal texts, equal codes
    key = [patient.codes[kept], _same_time(written_time, collected, kept), analyte_idx,
           same_qualifier[combo_kept]]
    written = _reported_values(rec, out.from_comment[combo_kept], kept)
    value_kept = out.canonical[combo_kept]
    repeats = repeated(key, value_kept,
                       lambda: reported_resolution(pd.Series(written.values, dtype="str"))[written.codes])
    canonical_units = np.array([analytes()[a].canonical_unit for a in analyte_keys()], dtype=object)
    return Accepted(
        texts={
            "patient_id": patient.take(kept),
            "unit": Coded(analyte_idx, canonical_units),
            "qualifier": Coded(combo_kept, out.qualifier),
            "reported_value": written,
            "reported_unit": Coded(combo_kept, out.reported_unit),
            "reported_name": _reported_names(rec, ids.codes, ids.first).take(kept),
            "reported_flag": Coded(combo_kept, out.flag),
            "specimen": _specimens(rec, ids, kept),
            "notes": notes.coded(kept),
        },
        collected_at=collected[kept], analyte=analyte_idx, value=value_kept, ref_low=ref_low,
        ref_high=ref_high, source_row=rec.row[kept], repeats=repeats)


def _specimens(rec: Records, ids: _Identities, kept: np.ndarray) -> Coded:
    """Where each ``kept`` result was measured as the file says it: its specimen column, else the
    code dictionary's fluid and category of its test; "" when the file does not say."""
    column = rec["specimen"].take(kept)
    if not any(i.specimen for i in ids.each):  # no code dictionary says it: the column alone
        return column
    from_test = ids.coded("specimen").take(kept)
    empty = column.empty()
    return Coded(np.where(empty, from_test.codes.astype(np.int64) + column.size, column.codes),
                 np.concatenate([column.values, from_test.values]))


def _reported_values(rec: Records, from_comment: np.ndarray, kept: np.ndarray) -> Coded:
    """The result as the file wrote it for the ``kept`` records: the result cell, or the lab's
    comment where the result was read from it (``from_comment``, per kept record)."""
    written = rec.written.take(kept)
    if not from_comment.any():
        return written
    comment = rec["comment"].take(kept)
    return Coded(np.where(from_comment, comment.codes.astype(np.int64) + written.size, written.codes),
                 np.concatenate([written.values, comment.values]))


def _rest_of_import(raw: RawFile, mapping: ColumnMapping, rec: Records, ids: _Identities, reasons: Reasons,
                    file_notes: list[str]) -> LabImport:
    """Everything of the import but ``labs``: rejections, counts, test names, mapping, notes."""
    tracked = ids.status == TRACKED
    rejected = (ids.status == REJECTED) | (tracked & ~reasons.ok())
    positions = np.flatnonzero(rejected)
    wide = mapping.layout == "wide"
    display = ids.coded("display")
    unknown_names = coded_name_counts(raw.name, display, ids.status == UNKNOWN)
    file_notes = [*file_notes, *filter(None, [code_dictionary_hint(unknown_names)])]
    return LabImport(
        labs=pd.DataFrame(columns=list(LABS_COLUMNS)),
        rejections=rejections_frame(raw, rec.row[positions], reasons.text(positions),
                                    rec.column.take(positions).texts() if wide else None,
                                    list(mapping.roles.values())),
        counts=counts_frame(raw, len(rec), tracked & reasons.ok(),
                            (ids.status == UNTRACKED) | (ids.status == UNKNOWN), rejected),
        unknown_names=unknown_names,
        ignored_names=coded_name_counts(raw.name, display, ids.status == UNTRACKED),
        mappings={raw.name: mapping},
        notes={raw.name: tuple(file_notes)},
    )


def code_dictionary_hint(unknown_names: pd.DataFrame) -> str:
    """When tests are named only by numeric codes (an export such as MIMIC's LABEVENTS given without
    its dictionary): how many, and that the lab's code dictionary belongs beside the file; else ""."""
    names = pd.unique(unknown_names["name"].astype("str"))
    codes = [n for n in names if n.isdigit()]
    if not codes:
        return ""
    shown = ", ".join(codes[:3]) + (", …" if len(codes) > 3 else "")
    return (f"{counted(len(codes), 'test')} {'is' if len(codes) == 1 else 'are'} named only by numeric codes "
            f"({shown}): give the lab's code dictionary beside the file (for MIMIC exports, D_LABITEMS) so that "
            "they can be recognised")


def _labs_table(source_file: str, accepted: Accepted) -> pd.DataFrame:
    """The canonical ``labs`` table of one file's accepted results. It empties ``accepted.texts``:
    each column's codes are freed as soon as its texts are made, not after the whole table."""
    names = list(accepted.texts)
    n = len(accepted.source_row)
    with _executor(n, TEXT_COLUMN_THREADS) as pool:  # Arrow's take runs without the GIL
        texts = dict(zip(names, pool.map(Coded.series, (accepted.texts.pop(name) for name in names)), strict=True))
    return typed_labs(pd.DataFrame({
        **texts,
        "collected_at": accepted.collected_at,
        "analyte": pd.Categorical.from_codes(accepted.analyte, categories=list(analyte_keys())),
        "value": accepted.value,
        "ref_low": accepted.ref_low,
        "ref_high": accepted.ref_high,
        "source_file": Coded.constant(n, source_file).series(),
        "source_row": accepted.source_row,
    }, copy=False))  # the columns as they are: consolidating the numbers would copy them (~150 MB at 1M rows)


@dataclass(frozen=True)
class Outcomes:
    """Per distinct combination of test, result text and unit, flag and qualifier cells: what the
    result becomes (in the reported unit and converted) and why it cannot be used."""

    analyte: np.ndarray  # int8 index into analyte_keys(), -1 for tests not tracked
    factor: np.ndarray  # float64 to the canonical unit; NaN when the unit is unusable
    canonical: np.ndarray  # float64 value in the canonical unit
    qualifier: np.ndarray  # object
    flag: np.ndarray  # object
    reported_unit: np.ndarray  # object: the unit as the file wrote it ("" when none)
    problem: np.ndarray  # object: the first reason the result is unusable ("" when usable)
    note: np.ndarray  # object: how the result was read ("" when plainly)
    from_comment: np.ndarray  # bool: the result was read from the lab's comment


def _outcomes(rec: Records, first: np.ndarray, test: np.ndarray, idents: list[Identity],
              parsed: values.ParsedValues, has_numeric: bool, comment: np.ndarray, mark: str) -> Outcomes:
    """The ``Outcomes`` of each combination (``first`` is a row of each, ``test`` its identity,
    ``comment`` the lab's comment where it is read), worked out by named steps on a small table
    with one row per combination."""
    combos = (_combinations(rec, first, test, idents, parsed)
              .pipe(_numeric_column, rec["value_num"].take(first), has_numeric)
              .pipe(_from_comment, comment, mark)
              .pipe(_flag_and_qualifier, rec["flag"].take(first), rec["qualifier"].take(first))
              .pipe(_units_as_written, rec["unit"].take(first), rec.header_unit.take(first))
              .pipe(_converted)
              .pipe(_units_inferred)
              .pipe(_plausible))
    column = {name: combos[name].to_numpy(dtype=object)
              for name in ("qualifier", "flag", "reported", "problem", "note")}
    return Outcomes(combos["analyte"].to_numpy(np.int8), combos["factor"].to_numpy(float),
                    combos["canonical"].to_numpy(float), column["qualifier"], column["flag"], column["reported"],
                    column["problem"], column["note"], combos["from_comment"].to_numpy(bool))


def _noted(combos: pd.DataFrame, mask: np.ndarray, text: str | np.ndarray) -> pd.DataFrame:
    """``combos`` with ``text`` added to the notes of the ``mask`` rows (joined with ``; ``)."""
    added = np.where(mask, text, "").astype(object)
    return combos.assign(note=join_notes([combos["note"].to_numpy(dtype=object), added], len(combos)))


def _combinations(rec: Records, first: np.ndarray, test: np.ndarray, idents: list[Identity],
                  parsed: values.ParsedValues) -> pd.DataFrame:
    """One row per combination: its test (tracked or not, analyte, unit hints) and its result text
    as read (number, qualifier, flag, problem)."""
    v = rec["value"].codes[first]
    keys = list(analyte_keys())

    def per_test(attr: Callable[[Identity], object], dtype: object = object) -> np.ndarray:
        return np.array([attr(i) for i in idents], dtype=dtype)[test]

    return pd.DataFrame({
        "tracked": per_test(lambda i: i.status == "tracked", bool),
        "analyte": per_test(lambda i: keys.index(i.analyte) if i.analyte else -1, np.int8),
        "hint": per_test(lambda i: i.hint), "name_unit": per_test(lambda i: i.unit),
        "number": parsed.value[v], "qualifier": parsed.qualifier[v], "flag": parsed.flag[v],
        "value_unit": parsed.unit[v], "problem": parsed.problem[v], "note": "",
        "blank": _points_to_comment(rec["value"].values)[v], "from_comment": False,
    })


def _points_to_comment(texts: np.ndarray) -> np.ndarray:
    """Per distinct result text: empty, or a pointer to the comment ("See comment", "siehe
    Kommentar"): the result is then read from the lab's comment."""
    out = texts == ""
    worded = np.flatnonzero(pd.Series(texts, dtype="str").str.contains(r"[^\W\d_]{3}", regex=True).to_numpy())
    pointers = see_comment_words()  # only texts with a word can point: most results are numbers
    out[worded] = [name_key(t) in pointers for t in texts[worded]]
    return out


def _numeric_column(combos: pd.DataFrame, numeric: Coded, has_numeric: bool) -> pd.DataFrame:
    """A result text that cannot be read is read from the file's numeric result column, if any."""
    if not has_numeric:
        return combos
    alt = values.parse_values(pd.Series(numeric.values, dtype="str"), ".")
    a = numeric.codes
    use_alt = (combos["problem"].to_numpy(dtype=object) != "") & (alt.problem[a] == "")
    return _noted(combos.assign(
        number=np.where(use_alt, alt.value[a], combos["number"]),
        qualifier=np.where(use_alt, alt.qualifier[a], combos["qualifier"].to_numpy(dtype=object)),
        problem=np.where(use_alt, "", combos["problem"].to_numpy(dtype=object))), use_alt,
        "result read from the numeric column")


COMMENT_SHOWN = 80  # characters of a comment quoted in a reason


_COMMENT_LABEL = r"^[^\W\d_][^\W\d_ ]{0,15}\s*:\s*"  # one word and a colon before a result: "Result: ", "Ergebnis: "


def _from_comment(combos: pd.DataFrame, comment: np.ndarray, mark: str) -> pd.DataFrame:
    """An empty result cell, or one that points to the comment ("See comment"), is read from the
    lab's comment: its first sentence (without a one-word label such as "Result:"), when that is a
    result (``GREATER THAN 20 NG/ML.``, ``<0.5``, ``15.2``), gives the number, qualifier and the
    unit written with it. A result that still cannot be read quotes the comment in its reason."""
    problem = combos["problem"].to_numpy(dtype=object)
    open_ = (comment != "") & (problem != "")
    if not open_.any():
        return combos
    texts, which = np.unique(comment[open_].astype(str), return_inverse=True)
    sentence = pd.Series(texts, dtype="str").str.split(r"\.\s", n=1, regex=True).str[0].str.rstrip(".")
    sentence = sentence.str.replace(_COMMENT_LABEL, "", regex=True)  # "Result: 104 fL" -> "104 fL"
    read = values.parse_free_text(sentence, mark)
    rows = np.flatnonzero(open_)
    use = combos["blank"].to_numpy()[rows] & (read.problem[which] == "")
    taken, r = rows[use], which[use]
    columns = {name: combos[name].to_numpy(dtype=object).copy() for name in ("qualifier", "flag", "value_unit")}
    number = combos["number"].to_numpy(dtype=float).copy()
    number[taken] = read.value[r]
    for name, found in (("qualifier", read.qualifier), ("flag", read.flag), ("value_unit", read.unit)):
        columns[name][taken] = found[r]
    problem = problem.copy()
    problem[taken] = ""
    quoted = np.array([f' (the lab wrote: "{_shortened(t)}")' for t in texts], dtype=object)
    problem[rows[~use]] = problem[rows[~use]] + quoted[which[~use]]
    from_comment = np.zeros(len(combos), dtype=bool)
    from_comment[taken] = True
    return _noted(combos.assign(number=number, problem=problem, from_comment=from_comment, **columns),
                  from_comment, "result read from the lab's comment")


def _shortened(text: str) -> str:
    """A comment as quoted in a reason: whole when short, else its first words within
    ``COMMENT_SHOWN`` characters and an ellipsis."""
    if len(text) <= COMMENT_SHOWN:
        return text
    cut = text[:COMMENT_SHOWN]
    if " " in cut[COMMENT_SHOWN // 2:]:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" .,;:") + "…"


def _flag_and_qualifier(combos: pd.DataFrame, flag_column: Coded, own: Coded) -> pd.DataFrame:
    """The flag column wins over a flag written with the value; a result flagged ``<``/``>`` or
    with a qualifier column (an exported labs table, FHIR's comparator) is censored. Untracked
    tests have no problem."""
    written_flag = flag_column.texts()
    flag = np.where(written_flag != "", written_flag, combos["flag"].to_numpy(dtype=object))
    qualifier = combos["qualifier"].to_numpy(dtype=object)
    qualifier = np.where((qualifier == "") & np.isin(flag, ["<", ">"]), flag, qualifier)
    own_text = values.qualifier_of(pd.Series(own.values, dtype=object)).to_numpy(dtype=object)[own.codes]
    qualifier = np.where((qualifier == "") & (own_text != ""), own_text, qualifier)
    problem = np.where(combos["tracked"], combos["problem"].to_numpy(dtype=object), "")
    return combos.assign(flag=flag, qualifier=qualifier, problem=problem)


def _units_as_written(combos: pd.DataFrame, unit_column: Coded, header: Coded) -> pd.DataFrame:
    """The unit as the file wrote it: the unit column, else a unit written after the value (or in
    the comment it was read from), else the wide header's; the unit used is that, else the one the
    test's name implies."""
    reported = unit_column.texts().astype(object)
    for fallback in (combos["value_unit"].to_numpy(dtype=object), header.texts()):
        reported = np.where(reported != "", reported, fallback).astype(object)
    name_unit = combos["name_unit"].to_numpy(dtype=object)
    combos = combos.assign(reported=reported, unit=np.where(reported != "", reported, name_unit))
    return _noted(combos, combos["tracked"].to_numpy() & (reported == "") & (name_unit != ""),
                  "unit from the test's name")


def _converted(combos: pd.DataFrame) -> pd.DataFrame:
    """Each analyte and unit spelling resolved once: the UCUM unit, the factor to the canonical
    unit, or why it cannot be used (a unit may move the result to a companion analyte)."""
    keys = list(analyte_keys())
    problem, unit = combos["problem"].to_numpy(dtype=object).copy(), combos["unit"].to_numpy(dtype=object)
    analyte = combos["analyte"].to_numpy(dtype=np.int8).copy()
    ucum, factor = np.full(len(combos), "", dtype=object), np.full(len(combos), np.nan)
    ok = combos["tracked"].to_numpy() & (problem == "")
    given = ok & (unit != "")
    named = analyte.copy()  # the analyte the test names
    for pair in set(zip(named[given], unit[given], strict=True)):
        answer = units.resolve_unit(keys[pair[0]], pair[1])
        mine = given & (named == pair[0]) & (unit == pair[1])
        ucum[mine], factor[mine], problem[mine] = answer.unit, answer.factor, answer.problem
        analyte[mine] = keys.index(answer.analyte)
    return combos.assign(analyte=analyte, ucum=ucum, factor=factor, problem=problem, ok=ok, given=given)


def _units_inferred(combos: pd.DataFrame) -> pd.DataFrame:
    """A result without any unit gets the unit its values and the file's other results of the
    test point to (noted), or a problem saying why none could be chosen."""
    keys = list(analyte_keys())
    analyte, hint, number = combos["analyte"].to_numpy(), combos["hint"].to_numpy(dtype=object), combos["number"]
    ucum, factor = combos["ucum"].to_numpy(dtype=object).copy(), combos["factor"].to_numpy(dtype=float).copy()
    problem = combos["problem"].to_numpy(dtype=object).copy()
    missing = combos["ok"].to_numpy() & (combos["unit"].to_numpy(dtype=object) == "")
    given = combos["given"].to_numpy()
    inferred = np.full(len(combos), "", dtype=object)
    for i in np.unique(analyte[missing]):
        key = keys[i]
        mine = missing & (analyte == i)
        elsewhere = set(ucum[given & (analyte == i)]) - {""}
        for hint_unit in pd.unique(hint[mine]):
            group = mine & (hint == hint_unit)
            found, why = units.infer_unit(key, number.to_numpy()[group], hint_unit or None, elsewhere)
            if found:
                ucum[group], factor[group], inferred[group] = found, units.units_of(key)[found], why
            else:
                problem[group] = why
    return _noted(combos.assign(ucum=ucum, factor=factor, problem=problem), inferred != "", inferred)


def _plausible(combos: pd.DataFrame) -> pd.DataFrame:
    """The value in the canonical unit, and why a value outside its analyte's plausible limits is
    refused."""
    canonical = units.canonical(combos["number"].to_numpy(dtype=float) * combos["factor"].to_numpy(dtype=float))
    problem = combos["problem"].to_numpy(dtype=object).copy()
    _check_plausible(combos["tracked"].to_numpy() & (problem == ""), combos["analyte"].to_numpy(),
                     combos["number"].to_numpy(dtype=float), combos["ucum"].to_numpy(dtype=object), canonical,
                     problem)
    return combos.assign(canonical=canonical, problem=problem)


def _reported_names(rec: Records, test: np.ndarray, first: np.ndarray) -> Coded:
    """The test as the file names it: the wide header, else the name, else the code. One per
    identity (``test`` codes, ``first`` a row of each): a wide header is the test's name."""
    name = rec["name"].values[rec["name"].codes[first]]
    name = np.where(name != "", name, rec["code"].values[rec["code"].codes[first]])
    column = rec.column.values[rec.column.codes[first]]
    return Coded(test, np.where(column != "", column, name).astype(object))


def _check_mapping(raw: RawFile, mapping: ColumnMapping) -> None:
    for role, column in mapping.roles.items():
        if column not in raw.columns:
            raise InputError(f"{raw.name}: column {column!r} chosen for the {ROLE_LABELS.get(role, role)} is not in "
                             "the file")
    if mapping.layout == "long" and not mapping.roles.get("value"):
        raise InputError(f"{raw.name}: no column is chosen for the result value")
    if mapping.layout == "long" and not (mapping.roles.get("test_name") or mapping.roles.get("test_code")):
        raise InputError(f"{raw.name}: no column is chosen for the test name or code")
    if mapping.layout == "wide" and not mapping.test_columns:
        raise InputError(f"{raw.name}: no test columns are chosen")


def _check_plausible(rows: np.ndarray, analyte_idx: np.ndarray, number: np.ndarray, ucum: np.ndarray,
                     canonical: np.ndarray, problem: np.ndarray) -> None:
    """Write into ``problem`` why a value of ``rows`` lies outside its analyte's plausible limits."""
    info = [analytes()[k] for k in analyte_keys()]
    low = np.array([i.plausible_low for i in info] + [np.nan])[analyte_idx]
    high = np.array([i.plausible_high for i in info] + [np.nan])[analyte_idx]
    with np.errstate(invalid="ignore"):
        bad = rows & ~((canonical >= low) & (canonical <= high))
    for i, key in enumerate(analyte_keys()):
        mine = np.flatnonzero(bad & (analyte_idx == i))
        if len(mine):
            problem[mine] = units.implausible(key, number[mine], ucum[mine], canonical[mine])


def _collection_times(raw: RawFile, mapping: ColumnMapping, rec: Records, date_order: str | None,
                      rows: np.ndarray, block: header_block.BlockValue | None = None
                      ) -> tuple[np.ndarray, Coded, str, Coded, np.ndarray, np.ndarray]:
    """(timestamps, problems, note, the time as written, time zone named, date taken from the line
    above the table) for every record; ``block`` is the collection date written above the table,
    used for a record whose date cell is empty or for all of them when the table has no date."""
    n = len(rec)
    no_block = np.zeros(n, dtype=bool)
    if mapping.roles.get("collected_at"):
        when_coded = rec["when"]
        if mapping.roles.get("collected_time"):
            day, time = rec["when"], rec["time"]
            codes, first = combine(day, time)
            joined = pd.Series(day.values[day.codes[first]] + " " + time.values[time.codes[first]], dtype="str")
            when_coded = Coded(codes, joined.str.strip().to_numpy(dtype=object))
        source = f"{raw.name} (column {mapping.roles['collected_at']!r})"
        from_block = no_block
        if block is not None and rows.any():
            when_coded, from_block = header_block.filled_dates(when_coded, block)
        return _dates_read(when_coded, rows, date_order, source, from_block)
    if mapping.roles.get("offset_minutes"):
        offset = rec["offset"]
        minutes_each = pd.to_numeric(pd.Series(offset.values), errors="coerce").to_numpy(dtype="float64")
        minutes = offset.per_value(minutes_each)
        when = (OFFSET_ANCHOR + pd.to_timedelta(minutes, unit="min")).to_numpy()
        problem = Coded(offset.codes, np.where(np.isnan(minutes_each), "time offset is not a number of minutes",
                                                "").astype(object))
        return when, problem, offset_note(), offset, no_block, no_block
    if block is not None and rows.any():
        source = f"{raw.name} (the line {block.quoted_line()} above the table)"
        times = _dates_read(Coded.constant(n, block.text), rows, date_order, source, np.ones(n, dtype=bool))
        if times[-1].any():  # the date above the table could be read
            return times
    return (np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"), Coded.constant(n),
            "no collection date in file", Coded.constant(n), no_block, no_block)


def offset_note() -> str:
    """The note of a result timed in minutes after an admission (eICU), which has no calendar date."""
    return f"no calendar date in file: time is minutes after admission, counted from {OFFSET_ANCHOR:%Y-%m-%d}"


def _dates_read(written: Coded, rows: np.ndarray, date_order: str | None, source: str, from_block: np.ndarray
                ) -> tuple[np.ndarray, Coded, str, Coded, np.ndarray, np.ndarray]:
    """``_collection_times`` of a date column whose ``from_block`` records hold the date written
    above the table; when that date cannot be read they have no date ("no collection date"), as
    their empty cells would, and none is marked as taken from above the table."""
    when, problem, zoned, order_note = dates.dates_for_codes(written, rows, date_order, source)
    if from_block.any():
        block_code = int(written.codes[np.flatnonzero(from_block)[0]])
        if problem.values[block_code] != "":
            problem = Coded(problem.codes, problem.values.copy())
            problem.values[block_code] = "no collection date"
            from_block = np.zeros_like(from_block)
    return when, problem, order_note, written, zoned & problem.per_value(problem.values == ""), from_block


def _same_time(written: Coded, when: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """For the ``kept`` rows: an integer that is equal exactly when the times are equal, worked
    out once per distinct written time (two spellings of one time get one number)."""
    moment = np.full(written.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    moment[written.codes[kept]] = when[kept]  # every row of one spelling has the same time
    return pd.factorize(moment.view(np.int64))[0][written.codes[kept]]


def _reference_ranges(rec: Records, mark: str, combo: np.ndarray, factor: np.ndarray, notes: RowNotes,
                      rows: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) in the canonical unit for the ``kept`` rows (positions), whose combinations are
    ``combo`` (codes into ``factor``, each combination's conversion factor), worked out once per
    distinct (low, high, range text, combination) and spread back; notes the ``rows`` (a mask)
    whose range text cannot be read."""
    low_coded, high_coded, ranges = rec["low"], rec["high"], rec["range"]
    codes, first = combine(low_coded.take(kept), high_coded.take(kept), ranges.take(kept),
                           Coded(combo, np.empty(len(factor), dtype=object)))
    at = kept[first]  # a record of each distinct combination
    low = values.to_number(pd.Series(low_coded.values, dtype="str"), mark).to_numpy("float64")[low_coded.codes[at]]
    high = values.to_number(pd.Series(high_coded.values, dtype="str"), mark).to_numpy("float64")[high_coded.codes[at]]
    if (ranges.values != "").any():
        lo, hi, readable = values.parse_ranges(pd.Series(ranges.values, dtype="str"), mark)
        mine = ranges.codes[at]
        low = np.where(np.isnan(low), lo[mine], low)
        high = np.where(np.isnan(high), hi[mine], high)
        notes.add(rows & ~ranges.per_value(readable), "reference range not read")
    each = factor[combo[first]]
    return units.canonical(low * each)[codes], units.canonical(high * each)[codes]


def typed_labs(labs: pd.DataFrame) -> pd.DataFrame:
    """The canonical dtypes of ``labs`` (see design.md)."""
    return labs.astype({
        "patient_id": "str", "analyte": pd.CategoricalDtype(list(analyte_keys())), "value": "float64",
        "unit": "str", "qualifier": "str", "reported_value": "str", "reported_unit": "str",
        "reported_name": "str", "reported_flag": "str", "specimen": "str", "ref_low": "float64", "ref_high": "float64",
        "source_file": "str", "source_row": "int64", "notes": "str",
    }).assign(collected_at=lambda d: pd.to_datetime(d["collected_at"]).astype("datetime64[ns]"))[list(LABS_COLUMNS)]


# --- merging and de-duplication ----------------------------------------------------------------

DUPLICATE_KEY = ("patient_id", "collected_at", "analyte", "qualifier")
CONVERSION_SLACK = 0.0005  # relative: two labs converting with slightly different factors (0.738 for 0.7378)


def reported_resolution(reported: pd.Series) -> np.ndarray:
    """Half a unit of the last reported digit, relative to the value (``7.5`` -> 0.05 / 7.5)."""
    codes, uniq = pd.factorize(reported)
    num = extract(values.clean_text(pd.Series(uniq, dtype="str")), values.VALUE_PATTERN)["num"].fillna("")
    decimals = extract(num, r"[.,](?P<d>\d+)$")["d"].str.len().fillna(0).to_numpy()
    magnitude = pd.to_numeric(num.str.replace(r"[^\d]", "", regex=True), errors="coerce").to_numpy() / 10.0 ** decimals
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(magnitude > 0, 0.5 * 10.0 ** -decimals / magnitude, 0.0)
    return rel[codes] if len(codes) else rel


def duplicate_mask(labs: pd.DataFrame) -> np.ndarray:
    """True for each row that repeats an earlier row: same patient, time, analyte and qualifier,
    and values that agree within what the reported digits and unit conversion can explain."""
    key = [pd.factorize(labs[c], use_na_sentinel=False)[0] for c in DUPLICATE_KEY]
    return repeated(key, labs["value"].to_numpy(dtype="float64"), lambda: reported_resolution(labs["reported_value"]))


def repeated(key: list[np.ndarray], value: np.ndarray, resolution: Callable[[], np.ndarray]) -> np.ndarray:
    """``duplicate_mask`` on a key given as integer codes per part (patient, time, analyte,
    qualifier) and the values; ``resolution`` gives each value's relative resolution and is only
    called when some key repeats. Two values agree when the difference is within the rounding of
    the coarser one (half its last reported digit, plus ``CONVERSION_SLACK``)."""
    n = len(value)
    if n < 2:
        return np.zeros(n, dtype=bool)
    parts = [np.asarray(p, dtype=np.int64) for p in key]
    combined = np.zeros(n, dtype=np.int64)
    for part in parts:  # one integer per key
        combined = combined * (int(part.max()) + 1) + part
    ordered = np.sort(combined)  # sorting integers is several times faster than hashing them
    if not (ordered[1:] == ordered[:-1]).any():  # every result has its own key (the usual case)
        return np.zeros(n, dtype=bool)
    tol = np.abs(value) * (resolution() + CONVERSION_SLACK)
    order = np.lexsort((np.arange(n), value, *reversed(parts)))
    keys = np.stack([p[order] for p in parts])
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(np.r_[True, (keys[:, 1:] != keys[:, :-1]).any(axis=0)])
    g, v, t = group[order], value[order], tol[order]
    same_group = np.r_[False, g[1:] == g[:-1]]
    # The finer of two results must lie within the coarser one's rounding: 118 and 119 g/L are two
    # results, 182 pg/mL (134.28 pmol/L) and 134 pmol/L one. Half a digit each way (the sum) merged
    # neighbours such as a blood gas Hb of 119 and the analyser's 118 taken at the same time.
    close = np.r_[False, np.abs(v[1:] - v[:-1]) <= np.maximum(t[1:], t[:-1])]
    new_cluster = ~(same_group & close)
    cluster = np.cumsum(new_cluster)
    position = np.arange(n)[order]
    first = pd.Series(position).groupby(cluster).transform("min").to_numpy()
    dup = np.zeros(n, dtype=bool)
    dup[position] = position != first
    return dup


def merge_imports(imports: Sequence[LabImport]) -> LabImport:
    """Combine imports (files in the order given) and keep each result once: a result that
    repeats one already kept is dropped and counted as a duplicate of its own file."""
    if len(imports) == 1:  # an import keeps each result of its file once already
        return imports[0]
    merged = merge_records(imports, "labs", duplicate_mask)
    analyte = merged.labs["analyte"].astype(pd.CategoricalDtype(list(analyte_keys())))
    return dataclasses.replace(merged, labs=merged.labs.assign(analyte=analyte))
