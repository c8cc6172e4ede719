"""Clinical reference data: every constant the app uses, loaded from the CSV tables beside this file.

Each table has a ``source`` column: where the row comes from, for the developers (it points into
the project's notes). The tables whose words reach clinicians and patients (thresholds, regimens,
regimen steps, rechecks, grace, bands) also have a ``cite`` column: the source named as a clinician knows it
("NICE NG239 (2024): review at 3 months"), or "Local rule of this app: ..." for a rule of the
project's own. Nothing clinical is written as a literal in code; code asks these functions instead.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from b12core.loinc import loinc_check_ok
from b12core.text import (
    bracket_parts,
    fold,
    name_key,
    name_without_marks,
    only_specimen_words,
    stripped_name_key,
    unit_key,
)

HERE = Path(__file__).parent
MAX_DECIMALS = 3  # display precision: a value is never shown with more decimals than this
TABLES = ("analytes", "ranges", "units", "unit_spellings", "loinc", "aliases", "untracked", "regimens",
          "regimen_steps", "rechecks", "column_roles", "products", "routes", "thresholds", "symptoms", "grace",
          "bands", "header_labels", "specimen_sources", "qualifiers", "id_words", "see_comment",
          "fhir_codes")
# tables with a reader-facing ``cite``
CITED_TABLES = ("thresholds", "regimens", "regimen_steps", "rechecks", "grace", "bands")
# Words of the developers' provenance notes that no clinician or patient should read in a cite.
DEVELOPER_WORDS = re.compile(r"clinical-facts|§|\[[SVU]\]|\bissues?\b|project rule|project choice|design\.md|"
                             r"real-data|suggested rule", re.IGNORECASE)


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of one reference table as dicts of text (``name`` without ``.csv``)."""
    with open(HERE / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return [dict(row) for row in csv.DictReader(fh)]


@dataclass(frozen=True)
class Analyte:
    key: str
    label: str
    canonical_unit: str
    conventional_unit: str
    plausible_low: float
    plausible_high: float
    meaningful_change_pct: float  # a change smaller than this is within expected variation
    deficiency_direction: str  # "low" / "high": where B12 deficiency moves it; "" when it does not
    short_label: str = ""  # the name as labs abbreviate it ("Hb"), for narrow tables
    response_direction: str = ""  # "high": beyond the range this way on treatment is the response (reticulocytes)


@dataclass(frozen=True)
class RefRange:
    analyte: str
    sex: str
    low: float | None
    high: float | None
    unit: str


@dataclass(frozen=True)
class TestIdentity:
    """What a test name or code refers to: a tracked analyte, or a known but untracked test."""

    analyte: str | None  # None for an untracked test
    unit: str | None = None  # unit implied by the name or code (NHANES variables, LOINC property)
    label: str = ""


def _float_or_none(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def analytes() -> dict[str, Analyte]:
    """Tracked analytes by key, in display order."""
    return {
        r["analyte"]: Analyte(r["analyte"], r["label"], r["canonical_unit"], r["conventional_unit"],
                              float(r["plausible_low"]), float(r["plausible_high"]), float(r["meaningful_change_pct"]),
                              r["deficiency_direction"], r["short_label"], r["response_direction"])
        for r in read_table("analytes")
    }


@cache
def analyte_keys() -> tuple[str, ...]:
    """Analyte keys in display order (the categories of ``labs.analyte``)."""
    return tuple(analytes())


@cache
def reference_ranges() -> tuple[RefRange, ...]:
    """Default adult reference ranges in canonical units."""
    return tuple(
        RefRange(r["analyte"], r["sex"], _float_or_none(r["low"]), _float_or_none(r["high"]), r["unit"])
        for r in read_table("ranges")
    )


def default_range(analyte: str, sex: str = "any") -> RefRange | None:
    """The default adult range for an analyte and sex (``male``, ``female`` or ``any``)."""
    by_sex = {r.sex: r for r in reference_ranges() if r.analyte == analyte}
    return by_sex.get(sex) or by_sex.get("any")


@cache
def unit_factors() -> dict[tuple[str, str], float]:
    """(analyte, UCUM unit) -> factor that converts a value in that unit to the canonical unit."""
    return {(r["analyte"], r["unit"]): float(r["factor"]) for r in read_table("units")}


@cache
def display_decimals() -> dict[tuple[str, str], int]:
    """(analyte, UCUM unit) -> decimals a value in that unit is shown with (as labs report it)."""
    return {(r["analyte"], r["unit"]): int(r["decimals"]) for r in read_table("units")}


def _decimals_problem(row: dict[str, str]) -> str | None:
    """Why a units row's ``decimals`` is not a whole number from 0 to 3, or None when it is."""
    text = (row.get("decimals") or "").strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_DECIMALS:
        return None
    return f"units.csv: {row['analyte']} {row['unit']} has decimals {text!r}, not a whole number 0-{MAX_DECIMALS}"


@cache
def inferable_units() -> frozenset[tuple[str, str]]:
    """(analyte, unit) pairs common enough to be inferred for a result given without a unit."""
    return frozenset((r["analyte"], r["unit"]) for r in read_table("units") if r["inferable"] == "yes")


@cache
def unit_spellings() -> dict[str, str]:
    """unit_key(spelling) -> UCUM unit, covering every UCUM unit of the units table too."""
    table = {unit_key(u): u for _, u in unit_factors()}
    table.update({unit_key(r["spelling"]): r["unit"] for r in read_table("unit_spellings")})
    return table


def ucum_unit(text: str) -> str | None:
    """The UCUM unit a reported spelling stands for, or None when it is not a unit we know."""
    return unit_spellings().get(unit_key(text))


@cache
def loinc_codes() -> dict[str, TestIdentity]:
    """Tracked LOINC codes -> analyte and the unit its property implies."""
    return {r["code"]: TestIdentity(r["analyte"], r["unit"] or None, r["long_name"])
            for r in read_table("loinc")}


@cache
def untracked_codes() -> dict[str, str]:
    """LOINC codes of tests we know and deliberately do not track -> their name."""
    return {r["code"]: r["name"] for r in read_table("untracked") if r["code"]}


@cache
def name_index() -> tuple[dict[str, TestIdentity], dict[str, TestIdentity]]:
    """Two lookups for test names: by exact name key, and by key with specimen words removed.

    The exact index holds tracked aliases and untracked names; the stripped index holds tracked
    aliases first and untracked names only where they do not collide (so "Folate, whole blood"
    stays untracked while "Folate, serum" is folate).
    """
    exact: dict[str, TestIdentity] = {}
    stripped: dict[str, TestIdentity] = {}
    for r in read_table("aliases"):
        ident = TestIdentity(r["analyte"], r["unit"] or None, r["alias"])
        exact.setdefault(name_key(r["alias"]), ident)
        stripped.setdefault(stripped_name_key(r["alias"]), ident)
    for r in read_table("untracked"):
        ident = TestIdentity(None, None, r["name"])
        exact.setdefault(name_key(r["name"]), ident)
        stripped.setdefault(stripped_name_key(r["name"]), ident)
    return exact, stripped


def _lookup_as_written(name: str) -> TestIdentity | None:
    exact, stripped = name_index()
    return exact.get(name_key(name)) or stripped.get(stripped_name_key(name))


def _lookup_by_parts(name: str) -> TestIdentity | None:
    """The name outside brackets and each synonym inside them, when every part that is not only a
    specimen is known and all name the same test (``Folate (Folic Acid), Serum``). A part nobody
    knows, or two parts naming different tests (``Folate (RBC)``), decide nothing."""
    outer, inner = bracket_parts(name)
    if not inner:
        return None
    found = []
    for part in (outer, *inner):
        if not name_key(part) or only_specimen_words(part):
            continue
        ident = _lookup_as_written(part)
        if ident is None:
            return None
        found.append(ident)
    if not found or any(i.analyte != found[0].analyte for i in found):
        return None
    return next((i for i in found if i.unit), found[0])


def lookup_name(name: str) -> TestIdentity | None:
    """What a reported test name refers to, or None when the name is unknown.

    The name as written is tried first; only when it is unknown are trailing lab codes and
    footnote marks taken off (``Vitamin B12 01``, ``Hemoglobin ¹``) and its bracketed synonyms
    tried (``Folate (Folic Acid), Serum``), so a known name is never cut.
    """
    ident = _lookup_as_written(name)
    if ident is not None:
        return ident
    for candidate in (name, *name_without_marks(name)):
        ident = (candidate is not name and _lookup_as_written(candidate)) or _lookup_by_parts(candidate)
        if ident:
            return ident
    return None


@cache
def column_roles(kind: str = "labs") -> tuple[tuple[str, str, int], ...]:
    """(role, header key, priority) for recognising the column headers of a file of ``kind``
    (``labs``, ``doses``, ``symptoms``); higher priority wins."""
    return tuple((r["role"], name_key(r["header"]), int(r["priority"])) for r in read_table("column_roles")
                 if r["kind"] in (kind, "any"))


ID_WORD_KINDS = ("id", "stay", "other")


@cache
def id_words() -> dict[str, str]:
    """Header word key -> kind, for a column whose header names no role: ``id`` (the column holds
    identifiers: ``Client ID``, ``Nº Utente``), ``stay`` (it numbers stays or accounts, which one
    person has several of) or ``other`` (it numbers specimens, requests, runs or rows, not people)."""
    return {name_key(r["word"]): r["kind"] for r in read_table("id_words")}


@cache
def see_comment_words() -> frozenset[str]:
    """Result-cell texts that say the result is in the lab's comment ("See comment"), as name keys."""
    return frozenset(name_key(r["words"]) for r in read_table("see_comment"))


@cache
def fhir_codes() -> dict[str, tuple[str, str, str]]:
    """Analyte -> (LOINC code, UCUM unit, LOINC display) of a result in its canonical unit, as a
    share snapshot's Observation codes it."""
    return {r["analyte"]: (r["loinc"], r["ucum"], r["display"]) for r in read_table("fhir_codes")}


@cache
def specimen_phrases() -> tuple[tuple[str, str], ...]:
    """(phrase key, kind) of the words that say where a result was measured: ``point_of_care``
    (a blood gas or other point-of-care analyser) or ``laboratory`` (the laboratory's analysers)."""
    return tuple((name_key(r["phrase"]), r["kind"]) for r in read_table("specimen_sources"))


QUALIFIER_SIGNS = ("<", ">", "<=", ">=")  # what a censored result's qualifier is written as in the labs table


def qualifier_key(text: str) -> str:
    """A qualifier as written reduced for lookup: lower case, no accents, ß as ss, single spaces
    (``SUPERIEUR A``, ``supérieur  à`` -> ``superieur a``)."""
    return " ".join(fold(text).split())


@cache
def qualifier_words() -> dict[str, str]:
    """``qualifier_key`` of each sign or word a lab writes before a censored result (``<``,
    ``greater than``, ``inférieur à``, ``kleiner als``) -> its sign (``<``, ``>``, ``<=``, ``>=``)."""
    return {qualifier_key(r["words"]): r["qualifier"] for r in read_table("qualifiers")}


@cache
def qualifier_spellings() -> tuple[str, ...]:
    """The qualifier signs and words as the table writes them, longest first (``kleiner als``
    is tried before ``kleiner``)."""
    return tuple(sorted((r["words"] for r in read_table("qualifiers")), key=len, reverse=True))


@cache
def header_labels() -> tuple[tuple[str, str, int], ...]:
    """(field, label as written, priority) for reading the lines a report prints above its table:
    ``patient_id`` labels (``Patient ID``, ``MRN``, ``NHS Number``) and ``collected_at`` labels
    (``Date Collected``, ``Specimen date``); higher priority wins, longer labels are tried first."""
    rows = [(r["field"], r["label"], int(r["priority"])) for r in read_table("header_labels")]
    return tuple(sorted(rows, key=lambda r: -len(r[1])))


@dataclass(frozen=True)
class Product:
    name: str  # the name as listed (alias)
    product: str  # canonical product key
    injection_route: str  # route of an injection of this product when the record does not say
    injection_ug_per_ml: float  # strength of the usual injection, used when the record does not say (NaN)


@cache
def product_names() -> tuple[tuple[str, Product], ...]:
    """(name key, product) pairs, longest names first so ``vitamin b12`` wins over ``b12``."""
    rows = [(name_key(r["name"]), Product(r["name"], r["product"], r["injection_route"],
                                          float(r["injection_ug_per_ml"] or "nan")))
            for r in read_table("products")]
    return tuple(sorted(rows, key=lambda kv: -len(kv[0])))


def find_product(text: str) -> Product | None:
    """The B12 product a drug description names (``Hydroxocobalamin 1mg/1ml``), or None."""
    words = f" {name_key(text)} "
    for key, product in product_names():
        if f" {key} " in words:
            return product
    return None


@cache
def route_spellings() -> dict[str, str]:
    """name_key(spelling) -> route code (IM, SC, IV, oral, sublingual, nasal, injection)."""
    return {name_key(r["spelling"]): r["route"] for r in read_table("routes")}


def route_of(text: str) -> str | None:
    """The route code a reported route stands for, or None when unknown."""
    return route_spellings().get(name_key(text))


@cache
def thresholds() -> dict[str, float]:
    """Review and detection thresholds by key (see thresholds.csv for units and sources)."""
    return {r["key"]: float(r["value"]) for r in read_table("thresholds")}


@cache
def threshold_sources() -> dict[str, str]:
    """Where each threshold comes from, for the developers (the ``source`` column)."""
    return {r["key"]: r["source"] for r in read_table("thresholds")}


@cache
def threshold_cites() -> dict[str, str]:
    """Each threshold's source as a clinician knows it (the ``cite`` column), quoted beside every
    review prompt that uses it."""
    return {r["key"]: r["cite"] for r in read_table("thresholds")}


def cite_problems(text: str) -> list[str]:
    """What is wrong with a text meant as a reader-facing cite: empty, or holding words of the
    developers' notes (``clinical-facts``, ``§``, ``[S]``, ``Project rule``, ...). Empty when fine."""
    if not text.strip():
        return ["is empty"]
    return [f"contains {m.group(0)!r}" for m in DEVELOPER_WORDS.finditer(text)]


def threshold(key: str) -> float:
    """One threshold; raises KeyError for a key that is not in the table."""
    return thresholds()[key]


@dataclass(frozen=True)
class Band:
    """One interpretation band of an analyte (``bands.csv``): values up to ``upper`` (a blank upper
    is the last band) read as ``words``; ``cite`` names the source for readers."""

    analyte: str
    band: str
    upper: float | None
    upper_inclusive: bool
    words: str
    unit: str
    cite: str


@cache
def bands() -> dict[str, tuple[Band, ...]]:
    """Interpretation bands by analyte, lowest first (NICE NG239 for B12 and active B12)."""
    out: dict[str, list[Band]] = {}
    for r in read_table("bands"):
        out.setdefault(r["analyte"], []).append(Band(r["analyte"], r["band"], _float_or_none(r["upper"]),
                                                     r["upper_inclusive"] == "yes", r["words"], r["unit"], r["cite"]))
    return {k: tuple(v) for k, v in out.items()}


def _band_problems() -> list[str]:
    """Each analyte's bands are in its canonical unit, rise in order and end with one open band."""
    problems: list[str] = []
    known = analytes()
    for analyte, rows in bands().items():
        if analyte not in known or any(b.unit != known[analyte].canonical_unit for b in rows):
            problems.append(f"bands.csv: {analyte} is not a tracked analyte in its canonical unit")
        uppers = [b.upper for b in rows[:-1]]
        if None in uppers or rows[-1].upper is not None or uppers != sorted(uppers):
            problems.append(f"bands.csv: {analyte} bands do not rise to one open last band")
        problems += [f"bands.csv: {analyte} {b.band} has no words" for b in rows if not b.words.strip()]
    return problems


def check_tables() -> list[str]:
    """Problems in the reference tables (empty when they are consistent). Tests call it."""
    problems: list[str] = []
    keys = set(analytes())
    for table in TABLES:
        for i, row in enumerate(read_table(table), start=1):
            if not row.get("source", "").strip():
                problems.append(f"{table}.csv row {i} has no source")
            if table in CITED_TABLES:
                problems += [f"{table}.csv row {i}: cite {p}" for p in cite_problems(row.get("cite") or "")]
    problems += _regimen_problems()
    problems += _band_problems()
    problems += [f"qualifiers.csv: {r['words']} has qualifier {r['qualifier']!r}" for r in read_table("qualifiers")
                 if r["qualifier"] not in QUALIFIER_SIGNS]
    problems += [f"fhir_codes.csv: {a.key} has no code in its canonical unit {a.canonical_unit}"
                 for a in analytes().values() if fhir_codes().get(a.key, ("", "", ""))[1] != a.canonical_unit]
    problems += [f"specimen_sources.csv: {r['phrase']} has kind {r['kind']!r}" for r in read_table("specimen_sources")
                 if r["kind"] not in ("laboratory", "point_of_care")]
    problems += [f"id_words.csv: {r['word']} has kind {r['kind']!r}" for r in read_table("id_words")
                 if r["kind"] not in ID_WORD_KINDS or len(name_key(r["word"]).split()) != 1]
    for code, ident in loinc_codes().items():
        if not loinc_check_ok(code):
            problems.append(f"loinc.csv: {code} fails its check digit")
        if ident.analyte not in keys:
            problems.append(f"loinc.csv: {code} names unknown analyte {ident.analyte}")
    for code in untracked_codes():
        if not loinc_check_ok(code):
            problems.append(f"untracked.csv: {code} fails its check digit")
    for a in analytes().values():
        if unit_factors().get((a.key, a.canonical_unit)) != 1.0:
            problems.append(f"units.csv: {a.key} has no factor-1 row for {a.canonical_unit}")
    for (analyte, unit), factor in unit_factors().items():
        if analyte not in keys or factor <= 0:
            problems.append(f"units.csv: bad row {analyte} {unit} {factor}")
    problems += [p for p in map(_decimals_problem, read_table("units")) if p]
    for r in read_table("aliases"):
        if r["analyte"] not in keys:
            problems.append(f"aliases.csv: {r['alias']} names unknown analyte {r['analyte']}")
        if r["unit"] and (r["analyte"], r["unit"]) not in unit_factors():
            problems.append(f"aliases.csv: {r['alias']} implies unit {r['unit']} with no factor")
    for rr in reference_ranges():
        if rr.analyte not in keys or rr.unit != analytes()[rr.analyte].canonical_unit:
            problems.append(f"ranges.csv: {rr.analyte} {rr.sex} is not in the canonical unit")
    return problems


def _regimen_problems() -> list[str]:
    """Regimens, their steps and their rechecks agree: every step and recheck names known regimens,
    and a recheck belongs only to regimens of its own country's guidance (a US patient's schedule
    never cites UK guidance, nor the other way round)."""
    problems: list[str] = []
    regimen_rows = read_table("regimens")
    country = {r["id"]: r["country"] for r in regimen_rows}
    for i, r in enumerate(regimen_rows, start=1):
        if not r.get("country", "").strip():
            problems.append(f"regimens.csv row {i}: {r['id']} has no country")
        if r.get("symptom_note", "").strip() and not r.get("note_source", "").strip():
            problems.append(f"regimens.csv row {i}: {r['id']} has a symptom note without its source")
        if r.get("symptom_note", "").strip():
            problems += [f"regimens.csv row {i}: symptom note {p}" for p in cite_problems(r["symptom_note"])]
    for i, r in enumerate(read_table("regimen_steps"), start=1):
        if r["regimen"] not in country:
            problems.append(f"regimen_steps.csv row {i}: unknown regimen {r['regimen']!r}")
    for i, r in enumerate(read_table("rechecks"), start=1):
        ids = r["regimens"].split()
        if not ids:
            problems.append(f"rechecks.csv row {i} names no regimen")
        for regimen in ids:
            if regimen not in country:
                problems.append(f"rechecks.csv row {i}: unknown regimen {regimen!r} (name each regimen)")
            elif country[regimen] != r.get("country"):
                problems.append(f"rechecks.csv row {i}: a {r.get('country')} recheck listed for the "
                                f"{country[regimen]} regimen {regimen}")
    return problems
