"""Injection records (and oral B12) -> the canonical ``doses`` table, every row accounted for.

A dose in mg, µg/mcg or mL becomes micrograms (mL through the product's strength, written in the
product text such as ``1mg/1ml``, ``1000 mcg per mL`` or ``30,000 mcg/30 mL``: amount over volume).
Product and route are normalised from reference tables. Rows for other drugs are ignored and listed;
a dose far outside B12 replacement (the 5 g hydroxocobalamin cyanide antidote) is ignored and listed,
never counted.

Numbers (``1,000``, ``1.000``, ``1,5``) are read with the file's decimal mark, decided once per file
by ``values.detect_decimal_mark`` from the numbers of its dose and product cells (``1,5`` or ``0.5``
decide; ``1,000`` does not; with no deciding number, a semicolon file has the decimal comma, any
other the point). A separator that cannot group thousands (``1.5`` in a comma file) is a decimal
mark whatever the file says. ``1,000`` in a comma-decimal file (or ``1.000`` in a point-decimal one)
is ambiguous: it is read with the file's mark unless that gives less than the smallest B12
replacement dose, in which case it is read with a thousands separator when that gives a dose within
the replacement range (a note says so), and the row is rejected with both readings when it does not.
The reverse (a thousands reading turned decimal) is never tried: ``5,000 mg`` in a point-decimal
file is the 5 g antidote, not 5 mg.

Doubtful doses are kept and noted: a dose below the smallest replacement dose, a volume more than
one injection holds, an injection route the product's label does not give (IV hydroxocobalamin or
cyanocobalamin). The thresholds are rows of ``thresholds.csv``; the labelled routes and their words
are columns of ``products.csv``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from b12core import dates, values
from b12core.accounting import (
    Reasons,
    RowNotes,
    coded_name_counts,
    counts_frame,
    mapped_cells,
    merge_records,
    rejections_frame,
    summary_line,
)
from b12core.coded import Coded, combine, joined
from b12core.errors import InputError
from b12core.header_block import patients_of_id_column, patients_without_id_column
from b12core.mapping import ColumnMapping, dates_in_time_column, id_column_hint, roles_by_header
from b12core.read import RawFile
from b12core.reference import find_product, read_table, route_of, threshold
from b12core.text import fold

DOSES_COLUMNS = ("patient_id", "administered_at", "product", "dose_ug", "route", "batch",
                 "reported_product", "reported_dose", "reported_unit", "reported_route",
                 "source_file", "source_row", "notes")
INJECTED = ("IM", "SC", "IV", "injection")
LABELLED_ROUTE_CHECK = ("IM", "SC", "IV")  # routes judged against a product's labelled routes
VOLUME_CHECK = ("IM", "SC", "injection")  # routes whose single dose must fit one injection

_MASS_UG = {"g": 1e6, "mg": 1000.0, "ug": 1.0}
_NUMBER = r"\d+(?:[.,]\d+)*"
STRENGTH_PER_ML = (rf"(?P<amount>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|g)\s*(?:/|per|in)\s*"
                   rf"(?P<volume>{_NUMBER})?\s*(?:ml|mL|ML|Ml)\b")
STRENGTH_PER_UNIT = rf"(?P<amount>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|g)\b"
DOSE_PATTERN = (rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|milligrams?|g|ml|mL|ML|"
                r"amp(?:oule)?s?|vials?|tab(?:let)?s?|tabletten?|caps?(?:ules?)?|sprays?)?\.?\s*$")
_ORAL_FORMS = re.compile(r"\b(tab|tabs|tablet|tablets|tabletten|capsule|capsules|caps|lozenge|oral|drops)\b")
_NASAL_FORMS = re.compile(r"\b(nasal|spray)\b")
_INJECTION_FORMS = re.compile(r"\b(inj|injection|injectable|ampoule|ampoules|amp|vial|solution for injection|"
                              r"ampulle|ampullen|injektionslosung)\b")


@dataclass(frozen=True)
class DoseImport:
    """The outcome of importing one or more injection records."""

    doses: pd.DataFrame
    rejections: pd.DataFrame
    counts: pd.DataFrame  # one row per source file: read, accepted, ignored, duplicates, rejected
    ignored_names: pd.DataFrame  # source_file, name, rows: other drugs, antidote doses
    mappings: dict[str, ColumnMapping] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: read, accepted, ignored, duplicates, rejected over all files."""
        return summary_line(self.counts)


def propose_dose_mapping(raw: RawFile) -> ColumnMapping:
    """Column roles of an injection record, with a reason each."""
    roles, reasons = roles_by_header(list(raw.columns), kind="doses")
    dates_in_time_column(raw, roles, reasons, "administered_time", "administered_at")
    if "administered_at" not in roles:
        raise InputError(f"{raw.name}: no column holds the date each dose was given")
    if "product" not in roles and "dose" not in roles:
        raise InputError(f"{raw.name}: no column names the product or the dose")
    return ColumnMapping("long", roles, reasons, (), "one row per dose", kind="doses")


_SEPARATORS = re.compile(r"[.,]")
_THOUSANDS_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")  # 1,000 / 12.500: a decimal or a thousands mark
_MARK_WORDS = {",": "comma", ".": "point"}


def read_number(text: str, mark: str = ".") -> tuple[float, float]:
    """(value, thousands reading) of a number text in a dose or strength, for a file whose decimal
    mark is ``mark``; the value is NaN when the separators neither mark decimals nor group thousands.

    ``1,5`` and ``1.5`` are 1.5 in any file (a separator not followed by three digits cannot group
    thousands); ``1,000,000`` and ``1.000,5`` are grouped; ``1,000`` is 1000 in a point-decimal file
    and 1.0 in a comma-decimal one, where its thousands reading 1000 is returned second. The second
    value is given only for such a text: one separator, the file's own mark, before exactly three
    digits (``1.000`` in a point-decimal file likewise); it is NaN for every other text.
    """
    seps = _SEPARATORS.findall(text)
    if not seps:
        return float(text), math.nan
    if len(set(seps)) == 2:  # the last separator is the decimal mark, the other groups thousands
        decimal = seps[-1]
        group = "," if decimal == "." else "."
        whole, _, fraction = text.rpartition(decimal)
        if re.fullmatch(rf"\d{{1,3}}(?:{re.escape(group)}\d{{3}})+", whole) and decimal not in whole:
            return float(f"{whole.replace(group, '')}.{fraction}"), math.nan
        return math.nan, math.nan
    sep = seps[0]
    grouped = float(text.replace(sep, ""))
    if len(seps) > 1:  # only thousands can repeat
        ok = re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{3}})+", text)
        return (grouped, math.nan) if ok else (math.nan, math.nan)
    decimal = float(text.replace(sep, "."))
    if not _THOUSANDS_AMBIGUOUS.fullmatch(text):
        return decimal, math.nan
    return (decimal, grouped) if sep == mark else (grouped, math.nan)


@dataclass(frozen=True)
class ProductInfo:
    """What a product text says: which B12 product, its strength, its form's route."""

    product: str  # "" when the text names no B12 product
    per_ml_ug: float  # µg per mL (NaN when not written)
    table_per_ml_ug: float  # µg per mL of the product's usual injection (reference table), NaN if none
    per_unit_ug: float  # µg per tablet/ampoule (NaN when not written)
    form_route: str  # oral / nasal / injection route implied by the form ("" when none)
    injection_route: str  # the product's injection route (hydroxocobalamin: IM)
    name: str = ""  # the product table's name the text matched ("" when none)
    volume_ml: float = math.nan  # the volume the strength is written for (30 in 30,000 mcg/30 mL), NaN if none
    amount_text: str = ""  # the amount of the strength as written (``30,000``)
    per_ml_alt_ug: float = math.nan  # per_ml_ug with the amount's thousands reading (ambiguous amounts only)
    per_unit_alt_ug: float = math.nan  # per_unit_ug likewise
    strength_problem: str = ""  # why the written strength is not a number ("" when it is, or none is written)


def _amount_ug(amount: float, unit: str) -> float:
    """Micrograms of ``amount`` in a mass ``unit`` (g, mg, µg, mcg, micrograms); KeyError for any other."""
    unit = fold(unit).replace("mcg", "ug").replace("μg", "ug").replace("µg", "ug").rstrip("s")
    unit = "ug" if unit.startswith("microgram") else unit
    return amount * _MASS_UG[unit]


def _mass_words(ug: float) -> str:
    """``5 g`` for 5e6 µg, ``30000 µg`` below a gram."""
    return f"{ug / _MASS_UG['g']:g} g" if ug >= _MASS_UG["g"] else f"{ug:g} µg"


def _not_a_number(what: str, text: str, mark: str) -> str:
    """Why a dose or strength number cannot be read with the file's decimal ``mark``."""
    return (f"{what} {text!r}: its separators are neither the file's decimal {_MARK_WORDS[mark]} "
            "nor groups of three digits")


def read_product(text: str, mark: str = ".") -> ProductInfo:
    """Product key, strength and form from a product description, its numbers read with the file's
    decimal ``mark`` (see ``read_number``). A strength per volume is amount / volume."""
    found = find_product(text)
    folded = fold(text)
    per_ml = per_unit = per_ml_alt = per_unit_alt = volume = np.nan
    amount_text = problem = ""
    match = re.search(STRENGTH_PER_ML, text, flags=re.IGNORECASE)
    if match:
        amount_text = match.group("amount")
        amount, alt = read_number(amount_text, mark)
        volume = read_number(match.group("volume"), mark)[0] if match.group("volume") else np.nan
        per = 1.0 if np.isnan(volume) else volume  # "1000 mcg/mL": per one mL
        unit = match.group("unit").lower()
        if np.isnan(amount) or np.isnan(per):
            problem = _not_a_number("strength", match.group(0), mark)
        elif per <= 0:
            problem = f"strength {match.group(0)!r} is written for no volume"
        else:
            per_ml, per_ml_alt = _amount_ug(amount, unit) / per, _amount_ug(alt, unit) / per
    else:
        match = re.search(STRENGTH_PER_UNIT, text, flags=re.IGNORECASE)
        if match:
            amount_text = match.group("amount")
            amount, alt = read_number(amount_text, mark)
            unit = match.group("unit").lower()
            per_unit, per_unit_alt = _amount_ug(amount, unit), _amount_ug(alt, unit)
            if np.isnan(per_unit):
                problem = _not_a_number("strength", match.group(0), mark)
    if _ORAL_FORMS.search(folded):
        form = "oral"
    elif _NASAL_FORMS.search(folded):
        form = "nasal"
    elif _INJECTION_FORMS.search(folded) or not np.isnan(per_ml):
        form = "injection"
    else:
        form = ""
    return ProductInfo(found.product if found else "", per_ml, found.injection_ug_per_ml if found else np.nan,
                       per_unit, form, found.injection_route if found else "", found.name if found else "",
                       volume, amount_text, per_ml_alt, per_unit_alt, problem)


@dataclass(frozen=True)
class DoseReading:
    """One dose text read under a product: micrograms, or why not; a note when it is doubtful."""

    ug: float  # NaN when unreadable
    problem: str = ""  # why the dose cannot be used ("" when it can)
    note: str = ""  # what is doubtful about an accepted dose ("" when nothing)
    volume_ml: float = math.nan  # the volume given: as recorded (mL, ampoules) or the dose over the strength
    volume_recorded: bool = False  # True when the record gives the volume itself (mL or ampoules)
    strength_ml: float = math.nan  # µg/mL the volume was worked out with (NaN when recorded or unknown)


def _convert(number: float, written: str, dose: str, info: ProductInfo, per_ml: float,
             per_unit: float) -> DoseReading:
    """Micrograms of ``number`` ``written`` units (``ml``, ``ampoule``, ``tablet``, ``mg``, ...)
    with the strengths per mL and per unit given."""
    if written.startswith("ml"):  # the table's strength is an injection's: not for tablets or sprays
        oral = info.form_route in ("oral", "nasal")
        strength = per_ml if not np.isnan(per_ml) else np.nan if oral else info.table_per_ml_ug
        if info.strength_problem:
            return DoseReading(np.nan, info.strength_problem)
        if np.isnan(strength):
            return DoseReading(np.nan, f"dose {number:g} mL, but the product's strength per mL is not written")
        return DoseReading(number * strength, volume_ml=number, volume_recorded=True)
    if written.startswith(("amp", "vial")):
        if np.isnan(per_ml):
            return DoseReading(np.nan, info.strength_problem or
                               f"dose {dose!r} in ampoules, but the product's strength is not written")
        volume = number * (1.0 if np.isnan(info.volume_ml) else info.volume_ml)  # 1mg/1ml: one 1 mL ampoule
        return DoseReading(volume * per_ml, volume_ml=volume, volume_recorded=True)
    if written.startswith(("tab", "cap", "spray")):
        if np.isnan(per_unit):
            return DoseReading(np.nan, info.strength_problem or
                               f"dose {dose!r}, but the product's strength per unit is not written")
        return DoseReading(number * per_unit)
    try:
        ug = _amount_ug(number, written.replace("milligram", "mg"))
    except KeyError:
        return DoseReading(np.nan, f"dose unit {written!r} is not mg, µg or mL")
    strength = per_ml if not np.isnan(per_ml) else info.table_per_ml_ug
    if info.form_route in ("oral", "nasal") or np.isnan(strength) or strength <= 0:
        return DoseReading(ug)
    return DoseReading(ug, volume_ml=ug / strength, strength_ml=strength)


def read_dose(dose: str, unit: str, info: ProductInfo, mark: str = ".") -> DoseReading:
    """One dose text and unit text under a product, its numbers read with the file's decimal
    ``mark``. A dose in mL uses the strength written in the product text, else the product table's
    usual injection strength (see ``uses_table_strength``); an ampoule holds the amount written for
    its volume (``5 mg/5 mL``: 5 mg). An ambiguous ``1,000`` (in the dose or the strength) is weighed
    against the replacement range as the module docstring says."""
    text = f"{dose} {unit}".strip() if unit and not re.search(r"[A-Za-zµμ]", dose) else dose
    match = re.match(DOSE_PATTERN, text, flags=re.IGNORECASE)
    if not match:
        return DoseReading(np.nan, f"dose {dose!r} is not a number with a unit")
    written = fold(match.group("unit") or unit or "").strip().rstrip(".")
    if not written:
        return DoseReading(np.nan, f"dose {dose!r} has no unit (mg, µg or mL)")
    num = match.group("num")
    number, number_alt = read_number(num, mark)
    if np.isnan(number):
        return DoseReading(np.nan, _not_a_number("dose", num, mark))
    first = _convert(number, written, dose, info, info.per_ml_ug, info.per_unit_ug)
    low, high = threshold("min_replacement_dose_ug"), threshold("max_replacement_dose_ug")
    if first.problem or first.ug >= low:
        return first
    per_unit_dose = written.startswith(("tab", "cap", "spray"))
    uses_strength = per_unit_dose or written.startswith(("ml", "amp", "vial"))
    strength_alt = info.per_unit_alt_ug if per_unit_dose else info.per_ml_alt_ug
    candidates: list[tuple[str, DoseReading]] = []  # (what was read how, the dose so read)
    if not np.isnan(number_alt):
        candidates.append((f"dose '{num}' read as {number_alt:g}",
                           _convert(number_alt, written, dose, info, info.per_ml_ug, info.per_unit_ug)))
    if uses_strength and not np.isnan(strength_alt):
        amount_alt = read_number(info.amount_text, mark)[1]
        strength = f"strength '{info.amount_text}' read as {amount_alt:g}"
        candidates.append((strength, _convert(number, written, dose, info, info.per_ml_alt_ug, info.per_unit_alt_ug)))
        if not np.isnan(number_alt):
            candidates.append((f"{candidates[0][0]} and {strength}",
                               _convert(number_alt, written, dose, info, info.per_ml_alt_ug, info.per_unit_alt_ug)))
    word = _MARK_WORDS[mark]
    for read_as, reading in candidates:
        if not reading.problem and low <= reading.ug <= high:
            note = (f"{read_as}, taking '{mark}' as a thousands separator: with the file's decimal {word} the "
                    f"dose would be {first.ug:g} µg, less than the smallest B12 replacement dose ({low:g} µg)")
            return DoseReading(reading.ug, note=note, volume_ml=reading.volume_ml,
                               volume_recorded=reading.volume_recorded, strength_ml=reading.strength_ml)
    if candidates:
        other = candidates[0][1].ug
        return DoseReading(np.nan, f"dose {dose!r} is {first.ug:g} µg with '{mark}' as the decimal {word} and "
                                   f"{other:g} µg with '{mark}' as a thousands separator: neither is a B12 "
                                   f"replacement dose ({low:g} to {high:g} µg); check the record")
    return DoseReading(first.ug, note=f"{first.ug:g} µg is less than the smallest B12 replacement dose "
                                      f"({low:g} µg); check the dose",
                       volume_ml=first.volume_ml, volume_recorded=first.volume_recorded,
                       strength_ml=first.strength_ml)


def dose_in_ug(dose: str, unit: str, info: ProductInfo, mark: str = ".") -> tuple[float, str]:
    """(micrograms, problem) for one dose text and unit text under a product (see ``read_dose``)."""
    reading = read_dose(dose, unit, info, mark)
    return reading.ug, reading.problem


def uses_table_strength(dose: str, unit: str, info: ProductInfo) -> bool:
    """True when a dose in mL was converted with the product table's strength."""
    return np.isnan(info.per_ml_ug) and not np.isnan(info.table_per_ml_ug) and \
        fold(f"{dose} {unit}").strip().endswith(("ml", "ml."))


def volume_note(reading: DoseReading, limit_ml: float) -> str:
    """A note when one dose is more than one injection holds ("" when it is not)."""
    if np.isnan(reading.volume_ml) or reading.volume_ml <= limit_ml:
        return ""
    holds = f"more than one injection holds (an intramuscular injection takes at most {limit_ml:g} mL at one " \
            "site in an adult); check the dose"
    if reading.volume_recorded:
        return f"{reading.volume_ml:g} mL is {holds}"
    strength = reading.strength_ml
    per_mg = _MASS_UG["mg"]
    per = f"{strength / per_mg:g} mg/mL" if strength >= per_mg else f"{strength:g} µg/mL"
    return f"{reading.ug:g} µg of a {per} injection is {reading.volume_ml:g} mL, {holds}"


def decimal_mark_of(texts: pd.Series, delimiter: str | None) -> tuple[str, str]:
    """(decimal mark, reason) of a dose record from its distinct dose and product texts, by
    ``values.detect_decimal_mark`` over the numbers written with a separator; the reason is ""
    when no number has one (the mark then does not matter)."""
    numbers = texts.str.extractall(r"(?P<n>\d+(?:[.,]\d+)+)")["n"]
    found = values.detect_decimal_mark(pd.Series(pd.unique(numbers), dtype="str"), delimiter)
    return found.mark, found.reason if len(numbers) else ""


@cache
def labelled_routes() -> dict[str, tuple[frozenset[str], str]]:
    """Product table name -> (injection routes its label gives, the label's words for a clinician);
    names whose row gives no labelled route are left out (``products.csv``)."""
    return {r["name"]: (frozenset(r["labelled_routes"].split()), r["route_note"])
            for r in read_table("products") if r.get("labelled_routes", "").strip()}


def route_note(name: str, route: str) -> str:
    """A note when an injection ``route`` is not one the label of product ``name`` gives ("" when it is,
    or when the product has no labelled route in the table)."""
    routes, words = labelled_routes().get(name, (frozenset(), ""))
    if not routes or route not in LABELLED_ROUTE_CHECK or route in routes:
        return ""
    return f"given {route}, but {words}; check the route"


@dataclass
class _Rows:
    """An injection record being imported: its cells, and what the steps have found so far."""

    raw: RawFile
    mapping: ColumnMapping
    reasons: Reasons
    notes: RowNotes
    file_notes: list[str]
    rows: np.ndarray  # per row: a dose record still being read (not ignored)
    ignored: np.ndarray  # per row: not a B12 dose (another drug, an antidote dose)
    columns: dict[str, Coded] = field(default_factory=dict)  # the cells read so far, by role

    def cells(self, role: str) -> Coded:
        """The trimmed cells of the column with ``role`` (all "" when the record has none), coded;
        each column is read from Arrow once."""
        if role not in self.columns:
            self.columns[role] = mapped_cells(self.raw, self.mapping.roles.get(role))
        return self.columns[role]


@dataclass(frozen=True)
class _Products:
    """Each row's product as written and as read, once per distinct description."""

    text: Coded  # product cell
    described: Coded  # product and strength cells joined, coded into the distinct descriptions
    infos: list[ProductInfo]  # per distinct description
    mark: str  # the file's decimal mark

    def each(self, attr: str) -> np.ndarray:
        """An attribute of each distinct description's ``ProductInfo`` (object array)."""
        return np.array([getattr(i, attr) for i in self.infos], dtype=object)

    def coded(self, attr: str) -> Coded:
        """An attribute of each row's product, coded."""
        return Coded(self.described.codes, self.each(attr))


@dataclass(frozen=True)
class _Amounts:
    """Each row's dose, once per distinct (dose, unit, product)."""

    text: Coded  # dose cell
    unit_text: Coded  # dose unit cell
    codes: np.ndarray  # per row: position in ``answers``
    first: np.ndarray  # per distinct (dose, unit, product): its first row
    answers: list[DoseReading]
    ug: np.ndarray  # per row: micrograms (NaN when not read)
    antidote: np.ndarray  # per row: a dose far above any replacement dose


def import_doses(raw: RawFile, mapping: ColumnMapping | None = None, date_order: str | None = None,
                 not_after: pd.Timestamp | None = None) -> DoseImport:
    """Normalise one injection record to the canonical ``doses`` table.

    Every cell is read as a coded column (``b12core.coded``): each answer is worked out once per
    distinct text or combination of texts and spread over the rows by their codes.
    Raises ``InputError`` (or ``DateOrderNeeded``) when the record cannot be used at all.
    """
    mapping = mapping or propose_dose_mapping(raw)
    n = raw.cells.num_rows
    rec = _Rows(raw, mapping, Reasons(n), RowNotes(n), list(raw.notes), np.ones(n, dtype=bool),
                np.zeros(n, dtype=bool))
    products = _products(rec)
    amounts = _amounts(rec, products)
    route = _routes(rec, products, amounts)
    when = _times(rec, date_order, not_after)
    patient = _patients(rec)
    return merge_doses([_dose_import(rec, products, amounts, route, when, patient)])


def _products(rec: _Rows) -> _Products:
    """What each row's product is; rows of other drugs are ignored, rows without one rejected."""
    text = rec.cells("product")
    described = joined(text, rec.cells("strength"))
    texts = pd.Series(np.concatenate([rec.cells("dose").ordered().values, described.values]), dtype="str")
    mark, mark_reason = decimal_mark_of(texts, rec.raw.delimiter)
    if mark_reason:
        rec.file_notes.append(f"numbers in doses and strengths: {mark_reason}")
    products = _Products(text, described, [read_product(t, mark) for t in described.values], mark)
    rec.ignored = described.per_value((products.each("product") == "") & (described.values != ""))
    rec.rows = ~rec.ignored
    rec.reasons.fail(rec.rows & described.empty(), "no product given")
    return products


def _readings(dose: Coded, unit: Coded, products: _Products) -> tuple[np.ndarray, np.ndarray, list[DoseReading],
                                                                      np.ndarray]:
    """(code per row, first row of each, reading of each, the table's strength used by each) for the
    distinct (dose, unit, product description) combinations."""
    codes, first = combine(dose, unit, products.described)
    answers, table_strength = [], []
    for d, u, p in zip(dose.values[dose.codes[first]], unit.values[unit.codes[first]],
                       products.described.codes[first], strict=True):
        info = products.infos[p]
        answers.append(read_dose(d, u, info, products.mark))
        table_strength.append(uses_table_strength(d, u, info))
    return codes, first, answers, np.array(table_strength, dtype=bool)


def _amounts(rec: _Rows, products: _Products) -> _Amounts:
    """Each dose in micrograms, once per distinct dose, unit and product; a dose far above any
    replacement dose (an antidote) is ignored."""
    dose_text, unit_text = rec.cells("dose"), rec.cells("dose_unit")
    codes, first, answers, table_strength = _readings(dose_text, unit_text, products)
    ug = np.array([a.ug for a in answers], dtype="float64")[codes]
    rec.notes.add(table_strength[codes] & ~np.isnan(ug),
                  "strength per mL not written: the product's usual injection strength was used")
    rec.notes.add_coded(Coded(codes, np.array([a.note for a in answers], dtype=object)))
    missing = "no dose given" + (" (the file lists orders, not doses given)" if rec.mapping.roles.get("order_end")
                                 else "")
    no_dose = dose_text.values[dose_text.codes[first]] == ""
    problem = [missing if empty else a.problem for empty, a in zip(no_dose, answers, strict=True)]
    rec.reasons.fail(rec.rows, Coded(codes, np.array(problem, dtype=object)))
    rec.reasons.fail(rec.rows & (ug <= 0), "dose is zero or negative")
    antidote = rec.rows & rec.reasons.ok() & (ug > threshold("max_replacement_dose_ug"))
    rec.ignored |= antidote
    rec.rows &= ~antidote
    return _Amounts(dose_text, unit_text, codes, first, answers, ug, antidote)


def _routes(rec: _Rows, products: _Products, amounts: _Amounts) -> Coded:
    """Each route as recorded, else from the product's form (``unknown`` when neither gives one),
    coded per distinct (route cell, product); doubtful routes and volumes are kept with a note."""
    rows, notes, written = rec.rows, rec.notes, rec.cells("route")
    known = np.array([route_of(r) or "" for r in written.values], dtype=object)
    rec.reasons.fail(rows & written.per_value((known == "") & (written.values != "")),
                     Coded(written.codes, np.array([f"route {r!r} is not one we know" for r in written.values],
                                                   dtype=object)))
    form, own = products.each("form_route"), products.each("injection_route")
    inferred = np.where(form == "injection", np.where(own != "", own, "injection"), form)
    codes, first = combine(written, products.described)
    product = products.described.codes[first]
    recorded, from_product = known[written.codes[first]], inferred[product]
    from_form = (recorded == "") & (from_product != "")
    each = np.where(from_form, from_product, recorded)
    each = np.where(each == "", "unknown", each).astype(object)
    route = Coded(codes, each)
    notes.add(rows & route.per_value(from_form), "route from the product's form")
    notes.add(rows & route.per_value(each == "unknown"), "route not recorded")
    labelled = [route_note(name, r) for name, r in zip(products.each("name")[product], each, strict=True)]
    notes.add_coded(Coded(np.where(rows, codes, len(each)), np.array([*labelled, ""], dtype=object)))
    _volume_notes(rec, route, amounts)
    return route


def _volume_notes(rec: _Rows, route: Coded, amounts: _Amounts) -> None:
    """A note on each dose more than one injection holds, judged for injected routes (and for an
    unknown route when the record gives the volume itself)."""
    answers = amounts.answers
    recorded = np.array([a.volume_recorded for a in answers], dtype=bool)[amounts.codes]
    injected = route.per_value(np.isin(route.values, VOLUME_CHECK))
    judged = rec.rows & (injected | (route.per_value(route.values == "unknown") & recorded))
    limit = threshold("max_injection_volume_ml")
    rec.notes.add_coded(Coded(np.where(judged, amounts.codes, len(answers)),
                              np.array([volume_note(a, limit) for a in answers] + [""], dtype=object)))


def _times(rec: _Rows, date_order: str | None, not_after: pd.Timestamp | None) -> np.ndarray:
    """When each dose was given (NaT where it cannot be read, with the reason), each distinct date
    (and time) text read once."""
    when_text = rec.cells("administered_at")
    if rec.mapping.roles.get("administered_time"):
        when_text = joined(when_text, rec.cells("administered_time"))
    source = f"{rec.raw.name} (column {rec.mapping.roles['administered_at']!r})"
    rows = rec.rows
    when, date_problem, zoned, order_note = dates.dates_for_codes(when_text.ordered(), rows, date_order, source)
    rec.notes.add(rows & zoned & date_problem.empty(), dates.ZONE_NOTE)
    if order_note:
        rec.notes.add(rows, order_note)
    rec.reasons.fail(rows, date_problem)
    rec.reasons.fail(rows, dates.after(when, not_after))
    if rec.mapping.roles.get("order_end"):
        rec.file_notes.append("rows are orders (start and stop), not doses given: each is counted at its start")
        rec.notes.add(rows, "order start, not a recorded administration")
    return when


def _patients(rec: _Rows) -> Coded:
    """Each dose's patient id (an empty cell takes the id written above the table; a dose left
    without one is rejected); without a patient-id column, the
    patient named above the table; else the admission id groups the doses, and the record's notes
    say so; a record with none of these belongs to one patient."""
    if rec.mapping.roles.get("patient_id"):
        patient, from_block = patients_of_id_column(rec.raw, rec.mapping.roles["patient_id"], rec.cells("patient_id"),
                                                    rec.rows, rec.reasons, rec.file_notes)
        rec.notes.add(from_block, "patient id from the line above the table")
        return patient
    return patients_without_id_column(rec.raw, "doses", rec.mapping.roles.get("encounter_id"),
                                      rec.cells("encounter_id"), rec.rows, rec.reasons, rec.file_notes,
                                      id_column_hint(rec.raw, rec.mapping.roles))


def _dose_import(rec: _Rows, products: _Products, amounts: _Amounts, route: Coded, when: np.ndarray,
                 patient: Coded) -> DoseImport:
    """The accepted doses, the rejections and the counts of one record."""
    raw, reasons = rec.raw, rec.reasons
    source_rows = raw.data_rows()
    accepted = rec.rows & reasons.ok()
    kept = np.flatnonzero(accepted)
    doses = pd.DataFrame({
        "patient_id": patient.take(kept).series(),
        "administered_at": when[kept],
        "product": products.coded("product").take(kept).series(),
        "dose_ug": amounts.ug[kept],
        "route": route.take(kept).series(),
        "batch": rec.cells("batch").take(kept).series(),
        "reported_product": products.text.take(kept).series(),
        "reported_dose": amounts.text.take(kept).series(),
        "reported_unit": amounts.unit_text.take(kept).series(),
        "reported_route": rec.cells("route").take(kept).series(),
        "source_file": Coded.constant(len(kept), raw.name).series(),
        "source_row": source_rows[kept],
        "notes": rec.notes.coded(kept).series(),
    })
    rejected = rec.rows & ~reasons.ok()
    positions = np.flatnonzero(rejected)
    return DoseImport(
        doses=typed_doses(doses),
        rejections=rejections_frame(raw, source_rows[positions], reasons.text(positions)),
        counts=counts_frame(raw, len(rec.rows), accepted, rec.ignored, rejected),
        ignored_names=_ignored_names(rec, products, amounts),
        mappings={raw.name: rec.mapping},
        notes={raw.name: tuple(rec.file_notes)},
    )


def _ignored_names(rec: _Rows, products: _Products, amounts: _Amounts) -> pd.DataFrame:
    """How many ignored rows name each other drug or antidote dose, counted on codes: a row is
    named by its product description, an antidote dose (rare) also by its amount, once per
    distinct (dose, unit, product)."""
    described = products.described
    antidotes = [f"{described.values[p]} ({_mass_words(a.ug)}: not a B12 replacement dose)"
                 for p, a in zip(described.codes[amounts.first], amounts.answers, strict=True)]
    ignored = np.flatnonzero(rec.ignored)
    label = np.where(amounts.antidote[ignored], len(described.values) + amounts.codes[ignored],
                     described.codes[ignored])
    names = Coded(label, np.array([*described.values, *antidotes], dtype=object)).ordered()
    return coded_name_counts(rec.raw.name, names, np.ones(len(ignored), dtype=bool))


def typed_doses(doses: pd.DataFrame) -> pd.DataFrame:
    """The canonical dtypes of ``doses``."""
    text = ("patient_id", "product", "route", "batch", "reported_product", "reported_dose", "reported_unit",
            "reported_route", "source_file", "notes")
    return doses.astype({**dict.fromkeys(text, "str"), "dose_ug": "float64", "source_row": "int64"}).assign(
        administered_at=lambda d: pd.to_datetime(d["administered_at"]).astype("datetime64[ns]"))[list(DOSES_COLUMNS)]


DOSE_KEY = ["patient_id", "administered_at", "product", "dose_ug", "route", "batch"]


def merge_doses(imports: Sequence[DoseImport]) -> DoseImport:
    """Combine dose imports; a dose recorded twice (same patient, time, product, dose, route and
    batch) is kept once and counted as a duplicate of its own file. Sorted by patient and time."""
    return merge_records(imports, "doses", lambda doses: doses.duplicated(DOSE_KEY).to_numpy(),
                         ["patient_id", "administered_at", "source_file", "source_row"])


def injections(doses: pd.DataFrame) -> pd.DataFrame:
    """Only the injected doses (IM, SC, IV or injection of unstated route): oral B12 is shown as
    oral and does not drive injection phases."""
    return doses[doses["route"].isin(INJECTED)]


__all__ = ["DOSES_COLUMNS", "DoseImport", "DoseReading", "import_doses", "injections", "merge_doses",
           "propose_dose_mapping", "read_dose", "read_number", "read_product"]
