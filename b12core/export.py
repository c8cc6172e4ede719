"""A planned schedule -> files a person takes away: calendar (ICS), printable page (HTML), CSV; and
the one CSV writer (``write_csv``, ``csv_bytes``) with its formula neutralising (``safe_frame``).

Every function here is pure: it takes the plan table that ``regimens.build_plan`` returns and
gives back bytes or text; the caller decides where they go. Output is deterministic (no clock,
no random identifiers), so exporting the same plan twice gives identical bytes.

What a patient reads about guidance comes from the plan itself: its ``source`` column (the cites
of the regimen's own guidance) and its ``symptom_note`` column (what that guidance says when
symptoms return before a dose), so a US schedule never quotes a UK guideline.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import BinaryIO, NamedTuple

import numpy as np
import pandas as pd

from b12core.errors import InputError
from b12core.html_templates import render
from b12core.regimens import CHECK_COLUMNS, OPEN_LOADING_WHAT, PLAN_COLUMNS
from b12core.words import counted

UID_DOMAIN = "b12-followup.local"
PRODID = "-//B12 follow-up dashboard//Schedule export//EN"
DEFAULT_FILENAME = "b12-schedule"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INJECTION_ROUTES = {"IM": "injection into a muscle (IM)", "SC": "injection under the skin (SC)",
                     "IV": "injection into a vein (IV)"}
_PLAIN_WHAT = {"loading dose", "maintenance dose"}


# --- shared helpers ----------------------------------------------------------------------------

# Formula neutralising (OWASP, "CSV Injection"). A spreadsheet runs a cell that starts with = + - or
# @ as a formula (full-width forms included: some programs normalise them), and an importer may split
# a cell further: on ; , tab or | (the separator a user or a locale picks) and on line breaks. So the
# check is made on every piece such a split can make, not only on the whole cell.
_SEPARATORS = ";,|\t\r\n"
_FORMULA = "=+\\-@\uff1d\uff0b\uff0d\uff20"
# A piece is the cell itself or what follows a separator; it is dangerous when, after spaces, it
# starts a formula: quote it. (No lookaround: RE2, which pandas uses for Arrow text, runs it too.)
_PIECE = re.compile(f"(^|[{_SEPARATORS}])( *[{_FORMULA}])")
# OWASP also lists a cell that starts with tab or a line break (also after spaces): quote it too.
_BLANK_START = re.compile(r"^( *[\t\r\n])")
# Either of the above somewhere in a cell (a quick test before rewriting).
_DANGER = re.compile(f"(?:^|[{_SEPARATORS}]) *[{_FORMULA}]|^ *[\t\r\n]")
# A cell that is exactly a number (sign, digits, one decimal point or comma, exponent) is left alone:
# it cannot run anything, and a spreadsheet reads it as the number, sign included.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(text: str) -> str:
    """``text`` made inert for spreadsheets, whichever of ``;`` ``,`` tab ``|`` CR or LF a
    spreadsheet splits it on: a single quote goes at the start of the cell and right after each of
    those separators wherever what follows (after any spaces) starts with ``=``, ``+``, ``-``,
    ``@`` (or their full-width forms), and at the start of a cell that starts (after spaces) with a
    tab or a line break. So ``SEMIPT0001;=1+1`` -> ``SEMIPT0001;'=1+1``, ``ok; =1`` -> ``ok;' =1``,
    ``=1`` -> ``'=1``, ``1,-2`` -> ``1,'-2``; ``a=1``, ``a - b`` and ``normal text, with commas`` stay as
    they are. A cell that is exactly a number (``-3.5``, ``+1``, ``-1e-3``, ``-1,5``) is returned
    unchanged: it cannot run anything, and a spreadsheet reads it as the number, sign included.
    Only quotes are added, and neutralising twice changes nothing more."""
    text = str(text)
    if _NUMBER.fullmatch(text):
        return text
    return _BLANK_START.sub(r"'\1", _PIECE.sub(r"\1'\2", text))


def _safe_texts(column: pd.Series) -> pd.Series:
    """``column`` with each text cell passed through ``safe_cell``; other cells (missing values,
    numbers, dates in an object column) are left as they are. Exports repeat a few texts over many
    rows, so the distinct values are neutralised once (``_safe_distinct``) and only the rows whose
    text changes are written. Returns ``column`` itself when no cell changes."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # the categories are the distinct values
        safe = _safe_distinct(pd.Series(column.cat.categories))
        if safe is None:
            return column
        if safe.is_unique:
            return column.cat.rename_categories(pd.Index(safe))
        return _safe_texts(column.astype(object))  # two categories became one text
    codes, uniques = pd.factorize(column)  # missing values get code -1 and stay as they are
    safe = _safe_distinct(pd.Series(uniques))
    if safe is None:
        return column
    changed = np.asarray(safe.astype(object) != pd.Series(uniques).astype(object), dtype=bool)
    rows = np.flatnonzero((codes >= 0) & changed[codes])
    out = column.copy()
    out.iloc[rows] = safe.to_numpy(dtype=object)[codes[rows]]
    return out


def _safe_distinct(values: pd.Series) -> pd.Series | None:
    """``values`` with each text passed through ``safe_cell``, by pandas' vectorised ``.str``
    methods (Arrow's regex engine for Arrow text) on the texts that need it; ``None`` when none
    does."""
    if pd.api.types.is_object_dtype(values.dtype) and pd.api.types.infer_dtype(values, skipna=True) == "string":
        safe = _safe_distinct(values.astype("str"))  # Arrow text: the regexes run in Arrow, not per row in Python
        return None if safe is None else safe.astype(object)
    try:
        texts = values.str
    except AttributeError:  # no text at all (dates, numbers)
        return None
    danger = texts.contains(_DANGER.pattern, regex=True, na=False).to_numpy(dtype=bool, na_value=False)
    if not danger.any():
        return None
    rows = np.flatnonzero(danger)
    chosen = values.iloc[rows]
    number = chosen.str.fullmatch(_NUMBER.pattern, na=False).to_numpy(dtype=bool, na_value=False)
    rows, chosen = rows[~number], chosen[~number]
    if not len(rows):
        return None
    fixed = chosen.str.replace(_PIECE.pattern, r"\1'\2", regex=True)
    fixed = fixed.str.replace(_BLANK_START.pattern, r"'\1", regex=True)
    out = values.copy()
    out.iloc[rows] = fixed.to_numpy()
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name made inert by ``safe_cell``.

    Numbers, dates and missing values are left as they are (a negative number is a number, not
    a formula); only cells holding text are changed. Vectorised: text columns are rewritten with
    pandas ``.str`` methods, and only the cells that need a quote are rewritten."""
    out = frame.copy()
    out.columns = [safe_cell(c) if isinstance(c, str) else c for c in out.columns]
    for position in range(out.shape[1]):  # by position: column names may repeat
        values = out.iloc[:, position]
        if (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
                or isinstance(values.dtype, pd.CategoricalDtype)):
            safe = _safe_texts(values)
            if safe is not values:
                out.isetitem(position, safe)
    return out


_WINDOWS_RESERVED = frozenset(["CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                               *(f"LPT{i}" for i in range(1, 10))])


def safe_filename(text: str, suffix: str, max_length: int = 80) -> str:
    """A download file name built from user text, e.g. ``("Zoë Müller", "ics")`` ->
    ``"Zoe-Muller.ics"``.

    Only ASCII letters, digits, ``-``, ``_`` and ``.`` are kept (accents are dropped, any other
    run of characters becomes one ``-``), there are no leading dots, the whole name including
    ``suffix`` is at most ``max_length`` characters, and it is never empty: with nothing usable
    left the name is ``b12-schedule``. ``suffix`` may be given with or without its dot."""
    suffix = _clean_name(suffix).strip(".-_")
    suffix = f".{suffix}" if suffix else ""
    stem = _clean_name(text).strip(".-_")
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"{DEFAULT_FILENAME}-{stem}"
    stem = stem[: max(max_length - len(suffix), 1)].rstrip(".-_")
    return (stem or DEFAULT_FILENAME) + suffix


def _clean_name(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_text)
    cleaned = re.sub(r"\.{2,}", ".", cleaned)  # no ".." anywhere
    return re.sub(r"-{2,}", "-", cleaned)


def dose_text(dose_ug: float, both: bool = True) -> str:
    """A dose as a person reads it: ``1 mg (1000 micrograms)`` (``1 mg`` when ``both`` is false),
    ``100 micrograms``, ``1 microgram``; empty for a missing dose. Micrograms are written out, never
    "µg"; from 1000 on they are written as on the vial (``1000``, no thousands separator)."""
    if dose_ug is None or (isinstance(dose_ug, float) and math.isnan(dose_ug)):
        return ""
    if dose_ug < 1000:
        return counted(dose_ug, "microgram")
    micrograms = f"{dose_ug:g} micrograms"  # 1000 or more: always plural
    milligrams = f"{dose_ug / 1000:g} mg"
    return f"{milligrams} ({micrograms})" if both else milligrams


def day_text(day: date | pd.Timestamp) -> str:
    """``Mon 4 Mar 2024``, in English whatever the machine's locale."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _check_plan(plan: pd.DataFrame) -> None:
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise InputError(f"the schedule table lacks the column(s) {', '.join(missing)}")


def _text(value: object) -> str:
    """A cell as text; missing values as the empty string."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _is_injection(route: str) -> bool:
    return route.upper() in _INJECTION_ROUTES or "inject" in route.lower()


def _rows(plan: pd.DataFrame, kind: str, phase: str | None = None) -> pd.DataFrame:
    chosen = plan["kind"] == kind
    if phase is not None:
        chosen &= plan["phase"] == phase
    return plan[chosen]


# --- calendar (ICS) ----------------------------------------------------------------------------

def event_summary(row: pd.Series) -> str:
    """The one-line calendar title of a plan row, e.g. ``B12 injection (loading) — hydroxocobalamin
    1 mg IM`` or ``Blood test: full blood count and reticulocytes``."""
    if row["kind"] == "dose":
        route = _text(row["route"])
        noun = "B12 injection" if _is_injection(route) or not route else "B12 dose"
        phase = _text(row["phase"])
        detail = " ".join(p for p in (_text(row["product"]), dose_text(row["dose_ug"], both=False), route) if p)
        head = f"{noun} ({phase})" if phase else noun
        return f"{head} — {detail}" if detail else head
    return _text(row["title"]) or "Blood test"


def _event_description(row: pd.Series, regimen_label: str) -> str:
    lines = []
    if row["kind"] == "dose":
        what = _text(row["what"])
        lines.append(f"{what[:1].upper()}{what[1:]}." if what else "Planned dose.")
        medicine = ", ".join(p for p in (_text(row["product"]), _text(row["route"])) if p)
        lines.append(f"Dose: {dose_text(row['dose_ug'])}" + (f" {medicine}" if medicine else ""))
        lines.append(" ".join(p for p in ("If symptoms come back before the next injection, contact your practice.",
                                          _text(row.get("symptom_note"))) if p))
    else:
        lines.append(_text(row["what"]))
    lines.append(f"Schedule: {regimen_label}")
    if _text(row["source"]):
        lines.append(f"Source: {_text(row['source'])}")
    return "\n".join(lines)


def _uid(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def plan_to_ics(plan: pd.DataFrame, regimen_label: str, patient_label: str | None = None,
                issued: date | None = None) -> bytes:
    """The plan as an RFC 5545 calendar: one all-day event per planned dose and per lab recheck.

    UIDs are derived from the regimen label, the date, the kind of event and its number among
    events of that kind on that day, so exporting the same plan again gives the same events
    (a calendar re-import updates instead of duplicating). DTSTAMP is the plan's first day at
    00:00 UTC, so the bytes are reproducible. ``patient_label`` appears only in the calendar's
    name, never in an event or a UID; ``issued`` (the day it was made) only in the calendar's
    description. ``InputError`` when the plan has no rows (a calendar must hold at least one event)."""
    from icalendar import Calendar, Event  # here, not at the top: every CLI command would pay its 20 ms import

    _check_plan(plan)
    if not len(plan):
        raise InputError("the schedule has no doses or blood tests to put in a calendar")
    days = [pd.Timestamp(d).date() for d in plan["date"]]
    stamp = datetime.combine(min(days), datetime.min.time(), tzinfo=UTC)
    name = f"B12 schedule: {patient_label}" if patient_label else f"B12 schedule: {regimen_label}"
    calendar = Calendar.new(
        prodid=PRODID, calscale="GREGORIAN", name=name, uid=_uid("calendar", regimen_label, min(days).isoformat()),
        description=f"{regimen_label}. The schedule the clinician chose; contact the practice if symptoms "
                    "return before the next injection." + (f" Made on {day_text(issued)}." if issued else ""))
    seen: dict[tuple[date, str], int] = {}
    for day, (_, row) in zip(days, plan.iterrows(), strict=True):
        kind = _text(row["kind"])
        number = seen.get((day, kind), 0)
        seen[(day, kind)] = number + 1
        event = Event.new(
            uid=_uid(regimen_label, day.isoformat(), kind, str(number)), stamp=stamp,
            start=day, end=day + timedelta(days=1), summary=event_summary(row),
            description=_event_description(row, regimen_label),
            categories=["B12 injection" if kind == "dose" else "Blood test or review"])
        event.transparency = "TRANSPARENT"  # an all-day reminder, not a busy day
        calendar.add_component(event)
    return calendar.to_ical()


# --- printable schedule (HTML) -----------------------------------------------------------------

def _medicine(row: pd.Series) -> str:
    product = _text(row["product"])
    route = _text(row["route"])
    how = _INJECTION_ROUTES.get(route.upper(), route)
    return ", ".join(p for p in (product, how) if p)


class _DoseTable(NamedTuple):
    """A table of planned doses as the schedule shows it (``templates/schedule.html``)."""

    note: str  # the note every row shares, said once above the table
    with_notes: bool  # rows with notes of their own: a column for them
    rows: list[list[str]]  # number, day, dose, medicine (and the row's note)
    last_day: str


def _dose_table(rows: pd.DataFrame) -> _DoseTable:
    """The rows as a table; a note shared by every row is said once above it, not in a column."""
    notes = [_text(w) if _text(w) not in _PLAIN_WHAT else "" for w in rows["what"]]
    shared = notes[0] if notes and len(set(notes)) == 1 else ""
    if shared:
        notes = [""] * len(notes)
    with_notes = any(notes)
    cells = [[str(number), day_text(pd.Timestamp(row["date"])), dose_text(row["dose_ug"]), _medicine(row),
              *([note] if with_notes else [])]
             for number, ((_, row), note) in enumerate(zip(rows.iterrows(), notes, strict=True), start=1)]
    return _DoseTable(shared, with_notes, cells, day_text(pd.Timestamp(rows["date"].max())))


def _distinct(values: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        text = _text(value).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def plan_to_html(plan: pd.DataFrame, regimen_label: str, patient_label: str | None = None,
                 issued: date | None = None, sample: bool = False) -> str:
    """A written schedule a patient can take home: one self-contained, printable HTML page
    (inline CSS, no scripts, no external files) with the loading and maintenance injections,
    the blood tests and reviews, a plain-language note (with what the regimen's own guidance says
    when symptoms return, from the plan's ``symptom_note``) and the sources (the plan's cites).

    ``sample`` marks a schedule made for the bundled sample patient. The page is
    ``templates/schedule.html``, which escapes every text taken from the data (labels, product,
    notes, sources)."""
    _check_plan(plan)
    loading, maintenance = _rows(plan, "dose", "loading"), _rows(plan, "dose", "maintenance")
    checks = plan[plan["kind"].isin(["recheck", "review"])]
    return render(
        "schedule.html", regimen_label=regimen_label, patient_label=patient_label or "",
        issued=day_text(issued) if issued is not None else "", sample=sample,
        guidance=_distinct(_rows(plan, "dose")["symptom_note"]),  # what the regimen's own guidance says
        loading=_dose_table(loading) if len(loading) else None,
        maintenance=_dose_table(maintenance) if len(maintenance) else None,
        open_loading=bool((loading["what"] == OPEN_LOADING_WHAT).any()),
        checks=[(day_text(pd.Timestamp(row["date"])), _text(row["title"])) for _, row in checks.iterrows()],
        sources=_distinct(plan["source"]))


# --- tables (CSV) -----------------------------------------------------------------------------

def _number_text(value: float) -> str:
    """A float as a person writes it: at most 15 significant digits (every decimal number of up to 15
    digits comes back unchanged from a double), so binary arithmetic's noise goes (``0.1 + 0.2`` is
    written ``0.3``, not ``0.30000000000000004``), and a whole number without ``.0``."""
    return format(value, ".15g")


def write_csv(frame: pd.DataFrame, target: BinaryIO, *, bom: bool) -> None:
    """Write ``frame`` to the binary file ``target`` as CSV: the one writer of every CSV the project
    makes (the command line's tables, the app's downloads, the written schedule), so one table is the
    same bytes wherever it is written.

    UTF-8 with LF line ends, a header row and no index column; every text cell and column name made
    inert for spreadsheets (``safe_frame``); floats with at most 15 significant digits (``60.7154``,
    not ``60.715399999999995``; ``123``, not ``123.0``); missing values as empty cells. ``bom`` puts a
    UTF-8 byte order mark in front: a file a person opens in a spreadsheet needs it (Excel reads
    UTF-8 without one in the machine's code page, garbling "Zoë" or "µmol/L"); pandas and other CSV
    readers skip it, and files for scripts go without. Written in chunks of rows, so a million-row
    table is never held a second time as text."""
    # Quoting stays minimal (a field holding a comma, a double quote or a line break is quoted, as
    # the csv module does). Quoting more would not make a formula safer: ``safe_frame`` already
    # quotes every piece that a split on ; , tab | CR or LF can make. And pandas' QUOTE_ALL and
    # QUOTE_NONNUMERIC also quote our formatted numbers (``float_format`` makes them text) and empty
    # number cells, so a reader set to take quoted fields as text (LibreOffice's "Format quoted
    # field as text", csv.QUOTE_NONNUMERIC readers) would read numbers as text.
    safe_frame(frame).to_csv(target, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n",
                             float_format=_number_text)


def csv_bytes(frame: pd.DataFrame, *, bom: bool) -> bytes:
    """``frame`` as the bytes of a CSV file, written by ``write_csv`` (see there)."""
    buffer = io.BytesIO()
    write_csv(frame, buffer, bom=bom)
    return buffer.getvalue()


def plan_to_csv(plan: pd.DataFrame, *, bom: bool = True, patient_label: str | None = None,
                issued: date | None = None) -> bytes:
    """The plan as CSV (``csv_bytes``: UTF-8, text cells made safe for spreadsheets), with ISO dates
    ``YYYY-MM-DD``. ``bom`` (on by default: the schedule is for a spreadsheet) puts a UTF-8 byte order
    mark in front so that Excel shows accented letters and symbols correctly. ``patient_label`` and
    ``issued`` (the day it was made), when given, lead every row as the columns ``patient`` and
    ``made_on``."""
    _check_plan(plan)
    extra = [c for c in plan.columns if c not in (*PLAN_COLUMNS, *CHECK_COLUMNS)]
    table = plan[[*PLAN_COLUMNS, *extra]].copy()
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d")
    if issued is not None:
        table.insert(0, "made_on", issued.isoformat())
    if patient_label is not None:
        table.insert(0, "patient", patient_label)
    return csv_bytes(table, bom=bom)


def frame_to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """A table as an Excel workbook; text cells are neutralised as in ``safe_frame`` (a quote
    before every piece of a cell that would start a formula, also after ``;`` ``,`` tab ``|`` or a
    line break), so no text cell is written as a formula. Numbers and dates stay typed cells."""
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    for column in safe.select_dtypes(include=["datetimetz"]).columns:
        safe[column] = safe[column].dt.tz_localize(None)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=sheet[:31] or "data", index=False)
    return buffer.getvalue()
