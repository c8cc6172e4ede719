"""Large synthetic lab exports for the normalisation benchmarks (deterministic, numpy-seeded).

Four shapes, written to ``benchmarks/generated/SHAPE_N.csv`` (git-ignored). The first two:

- ``long_N.csv``: a US-style multi-patient export, one row per result::

      Patient ID,Collection Date,Test Name,Result,Units,Reference Range,Flag
      MRN0000001,01/17/2021 08:42 AM,Hgb,12.9,g/dL,12.0-17.5,

  Collection events (a patient and a time, ``MM/DD/YYYY hh:mm AM/PM``) carry a panel of 5-12
  tests; about 40% of results are analytes the app tracks, the rest are tests it ignores (WBC,
  sodium, ...) or does not know (ALT, vitamin D). A few percent are censored (``<150``, ``>2000``)
  or not a result (``QNS``, ``see note``, empty).
- ``wide_N.csv``: a UK-style export, one row per specimen and a column per test, day-first dates
  and blank cells where a test was not requested::

      NHS Number,Specimen Date,Haemoglobin (g/L),MCV (fL),Serum B12 (ng/L),...,Comment

Two more, shaped like a real hospital export (issue 14's held-out file): every row carries its own
collection time to the minute, so nearly every row's date text is distinct (86% at 1M rows,
98% at 100k); one patient per 100 rows (10,000 patients at 1M rows), their rows interleaved because
the export is in time order; a third of the results are tests the app does not track (about 30%
it knows and ignores, 3% it does not know); units mixed; about 4% not a number and a few percent
censored:

- ``real_long_N.csv``: an Epic-style long export, one row per result, month-first 24-hour times
  and columns the app ignores (accession, status)::

      MRN,Accession Number,Collected,Component,Result,Units,Reference Range,Abnormal Flag,Status
      E00123456,W21011712345,01/17/2021 08:42,Hgb,129,g/L,120-175,,Final

  Each patient's lab reports a test in one unit, drawn per patient: hemoglobin g/dL or g/L, B12
  pg/mL or pmol/L, folate ng/mL or nmol/L, ferritin ng/mL or ug/L, potassium mmol/L or mEq/L.
- ``real_wide_N.csv``: a UK-style wide export whose rows each carry their own specimen date-time
  (day-first, to the minute), a column per test with its unit in the header (14 test columns, of
  which Platelets, WBC, Sodium, Creatinine and CRP are not tracked), and columns the app ignores::

      Hospital Number,Specimen Number,Specimen Date/Time,Location,Haemoglobin (g/L),...,Comment
      H0012345,SP001001234,17/01/2021 08:42,Haematology Clinic,129,...,

N counts data rows (for the wide layouts, rows of the file). Each patient's collection times
increase strictly, so no two results of a patient share a time (no duplicates to drop).

Run: ``.venv/bin/python benchmarks/generate.py [--sizes 10000 100000 1000000] [--shapes long wide real_long real_wide]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

OUT_DIR = Path(__file__).resolve().parent / "generated"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SEED = 20240612
FIRST_DAY = np.datetime64("2018-01-01")

LONG_HEADER = ("Patient ID", "Collection Date", "Test Name", "Result", "Units", "Reference Range", "Flag")
MALFORMED_SHARE = 0.015  # results that are not a number at all
MALFORMED_US = ("QNS", "see note", "", "Hemolyzed")
MALFORMED_UK = ("QNS", "see note", "Haemolysed")


def long_path(rows: int) -> Path:
    return OUT_DIR / f"long_{rows}.csv"


def wide_path(rows: int) -> Path:
    return OUT_DIR / f"wide_{rows}.csv"


# --- what a test looks like in an export ----------------------------------------------------------

@dataclass(frozen=True)
class Variant:
    """One way a lab reports a test: unit spellings, scale from the base unit, digits, range."""

    spellings: tuple[tuple[str, float], ...]  # (unit as written, weight)
    scale: float  # reported value = base value x scale
    decimals: int
    ref: str  # reference range as written ("13.5-17.5", ">3.9")
    low: float | None = None  # flag L below this (reported unit)
    high: float | None = None  # flag H above this
    below: str | None = None  # detection limit: a smaller value is written "<below"
    above: str | None = None  # upper limit: a larger value is written ">above"
    weight: float = 1.0  # share of patients whose lab reports this variant


@dataclass(frozen=True)
class Test:
    names: tuple[tuple[str, float], ...]  # (name as written, weight)
    tracked: bool  # an analyte the app tracks (for the generator's own accounting)
    dist: str  # "normal" or "lognormal"
    centre: float  # mean (normal) or median (lognormal), base unit
    spread: float  # sd (normal) or sigma of the log (lognormal)
    clip: tuple[float, float]
    variants: tuple[Variant, ...]


def _v(unit: str, decimals: int, ref: str, low: float | None, high: float | None, **kw) -> Variant:
    return Variant(((unit, 1.0),), kw.pop("scale", 1.0), decimals, ref, low, high, **kw)


TESTS: tuple[Test, ...] = (
    Test((("Hemoglobin", 0.5), ("Hgb", 0.3), ("HGB", 0.2)), True, "normal", 12.8, 1.9, (5.0, 19.5), (
        Variant((("g/dL", 0.85), ("g/dl", 0.1), ("gm/dL", 0.05)), 1.0, 1, "12.0-17.5", 12.0, 17.5, weight=0.8),
        _v("g/L", 0, "120-175", 120, 175, scale=10.0, weight=0.2),
    )),
    Test((("MCV", 1.0),), True, "normal", 93.0, 8.0, (62.0, 128.0), (
        _v("fL", 1, "80.0-100.0", 80, 100),
    )),
    Test((("Vitamin B12", 1.0),), True, "lognormal", 450.0, 0.65, (60.0, 6000.0), (
        _v("pg/mL", 0, "200-900", 200, 900, below="150", above="2000", weight=0.75),
        _v("pmol/L", 0, "148-664", 148, 664, scale=0.737795, below="111", above="1476", weight=0.25),
    )),
    Test((("Methylmalonic Acid", 1.0),), True, "lognormal", 230.0, 0.6, (40.0, 20000.0), (
        _v("nmol/L", 0, "55-335", 55, 335, below="50"),
    )),
    Test((("Homocysteine", 1.0),), True, "lognormal", 11.0, 0.4, (2.0, 150.0), (
        Variant((("umol/L", 0.9), ("µmol/L", 0.1)), 1.0, 1, "5.0-15.0", 5.0, 15.0, above="50"),
    )),
    Test((("Folate", 1.0),), True, "lognormal", 12.0, 0.55, (0.8, 60.0), (
        _v("ng/mL", 1, ">3.9", 3.9, None, below="2.0", above="20.0"),
    )),
    Test((("Ferritin", 1.0),), True, "lognormal", 90.0, 0.9, (2.0, 5000.0), (
        _v("ng/mL", 0, "30-400", 30, 400, below="5"),
    )),
    Test((("Reticulocyte Count", 1.0),), True, "lognormal", 1.3, 0.5, (0.1, 15.0), (
        _v("%", 1, "0.5-2.5", 0.5, 2.5),
    )),
    # Tests the app knows and ignores (reference/untracked.csv).
    Test((("WBC", 1.0),), False, "normal", 7.0, 2.0, (1.0, 30.0), (_v("10*3/uL", 1, "4.0-11.0", 4, 11),)),
    Test((("Platelets", 1.0),), False, "normal", 250, 70, (20, 900), (_v("10*3/uL", 0, "150-400", 150, 400),)),
    Test((("Sodium", 1.0),), False, "normal", 139, 3, (120, 160), (_v("mmol/L", 0, "135-145", 135, 145),)),
    Test((("Potassium", 1.0),), False, "normal", 4.2, 0.4, (2.5, 6.5), (_v("mmol/L", 1, "3.5-5.1", 3.5, 5.1),)),
    Test((("Creatinine", 1.0),), False, "lognormal", 0.95, 0.25, (0.3, 8.0),
         (_v("mg/dL", 2, "0.60-1.20", 0.6, 1.2),)),
    Test((("Glucose", 1.0),), False, "lognormal", 100, 0.2, (40, 500), (_v("mg/dL", 0, "70-99", 70, 99),)),
    Test((("MCH", 1.0),), False, "normal", 30, 2.5, (18, 40), (_v("pg", 1, "27.0-33.0", 27, 33),)),
    Test((("MCHC", 1.0),), False, "normal", 33.5, 1.2, (28, 38), (_v("g/dL", 1, "32.0-36.0", 32, 36),)),
    Test((("RDW", 1.0),), False, "normal", 13.5, 1.5, (10, 25), (_v("%", 1, "11.5-14.5", 11.5, 14.5),)),
    Test((("RBC", 1.0),), False, "normal", 4.5, 0.5, (2.0, 7.0), (_v("10*6/uL", 2, "4.20-5.80", 4.2, 5.8),)),
    Test((("Hematocrit", 1.0),), False, "normal", 40, 5, (15, 60), (_v("%", 1, "36.0-50.0", 36, 50),)),
    Test((("TSH", 1.0),), False, "lognormal", 1.8, 0.5, (0.05, 20), (_v("mIU/L", 2, "0.40-4.50", 0.4, 4.5),)),
    Test((("Iron", 1.0),), False, "normal", 90, 30, (15, 250), (_v("ug/dL", 0, "60-170", 60, 170),)),
    # Tests nobody has mapped: the app lists them as unknown names and ignores them.
    Test((("ALT", 1.0),), False, "lognormal", 25, 0.4, (5, 400), (_v("U/L", 0, "7-56", 7, 56),)),
    Test((("Chloride", 1.0),), False, "normal", 102, 3, (85, 120), (_v("mmol/L", 0, "98-107", 98, 107),)),
    Test((("Vitamin D, 25-Hydroxy", 1.0),), False, "lognormal", 30, 0.4, (4, 150),
         (_v("ng/mL", 1, "30.0-100.0", 30, 100),)),
)
TRACKED_PANEL_WEIGHT = 1.5  # how much likelier a tracked test is in a panel (gives ~40% tracked rows)


# --- helpers -------------------------------------------------------------------------------------

def _choose(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    labels = np.array([o for o, _ in options], dtype=object)
    weights = np.array([w for _, w in options], dtype=float)
    return labels[rng.choice(len(labels), size=n, p=weights / weights.sum())]


def _base_values(rng: np.random.Generator, test: Test, n: int) -> np.ndarray:
    if test.dist == "lognormal":
        values = test.centre * np.exp(rng.normal(0.0, test.spread, n))
    else:
        values = rng.normal(test.centre, test.spread, n)
    return np.clip(values, *test.clip)


def _format(values: np.ndarray, decimals: int) -> np.ndarray:
    return np.char.mod(f"%.{decimals}f", np.round(values, decimals)).astype(object)


def _results(rng: np.random.Generator, variant: Variant, base: np.ndarray, malformed: tuple[str, ...],
             malformed_share: float = MALFORMED_SHARE) -> tuple[np.ndarray, np.ndarray]:
    """(result texts, flags) for base values reported in ``variant``: censored beyond the limits,
    a few not a number at all."""
    value = np.round(base * variant.scale, variant.decimals)
    text = _format(value, variant.decimals)
    bound = value.copy()
    if variant.below is not None:
        low = value < float(variant.below)
        text[low] = "<" + variant.below
        bound[low] = float(variant.below)
    if variant.above is not None:
        high = value > float(variant.above)
        text[high] = ">" + variant.above
        bound[high] = float(variant.above)
    flag = np.full(len(value), "", dtype=object)
    if variant.low is not None:
        flag[bound < variant.low] = "L"
    if variant.high is not None:
        flag[bound > variant.high] = "H"
    bad = rng.random(len(value)) < malformed_share
    text[bad] = np.array(malformed, dtype=object)[rng.integers(0, len(malformed), bad.sum())]
    flag[bad] = ""
    return text, flag


def _patient_times(rng: np.random.Generator, patient: np.ndarray, min_gap_days: int, max_gap_days: int,
                   with_time: bool) -> np.ndarray:
    """Strictly increasing times per patient for sorted ``patient`` codes (datetime64[m])."""
    n = len(patient)
    start = rng.integers(0, 4 * 365, patient.max() + 1)  # each patient's first day after FIRST_DAY
    gaps = rng.integers(min_gap_days, max_gap_days + 1, n)
    first = np.r_[True, patient[1:] != patient[:-1]]
    gaps[first] = 0
    total = np.cumsum(gaps)
    day = start[patient] + total - np.maximum.accumulate(np.where(first, total, 0))
    minutes = day.astype("int64") * 1440
    if with_time:
        minutes += rng.integers(7 * 60, 18 * 60, n)  # collected between 07:00 and 18:00
    return FIRST_DAY.astype("datetime64[m]") + minutes.astype("timedelta64[m]")


# --- long layout -----------------------------------------------------------------------------------

def long_export(rows: int, seed: int = SEED) -> pd.DataFrame:
    """A multi-patient US-style export of exactly ``rows`` results."""
    rng = np.random.default_rng([seed, rows, 1])
    panel = rng.integers(5, 13, rows // 5 + 2)  # tests per collection event
    events = int(np.searchsorted(np.cumsum(panel), rows)) + 1
    panel = panel[:events]
    panel[-1] -= int(panel.sum()) - rows  # the last event is cut to end at ``rows``
    patients = max(1, rows // 70)
    patient = np.sort(rng.integers(0, patients, events))
    when = _patient_times(rng, patient, 3, 120, with_time=True)

    # Each event's panel: distinct tests, tracked ones weighted (Gumbel top-k sampling).
    weights = np.array([TRACKED_PANEL_WEIGHT if t.tracked else 1.0 for t in TESTS])
    keys = np.log(weights) + rng.gumbel(size=(events, len(TESTS)))
    order = np.argsort(-keys, axis=1)
    take = np.arange(len(TESTS))[None, :] < panel[:, None]
    test = order[take]  # row-major: each event's tests in panel order
    event = np.repeat(np.arange(events), panel)

    name = np.empty(rows, dtype=object)
    unit = np.empty(rows, dtype=object)
    ref = np.empty(rows, dtype=object)
    result = np.empty(rows, dtype=object)
    flag = np.empty(rows, dtype=object)
    row_patient = patient[event]
    for i, spec in enumerate(TESTS):
        mine = np.flatnonzero(test == i)
        name[mine] = _choose(rng, spec.names, len(mine))
        base = _base_values(rng, spec, len(mine))
        # A patient's lab reports a test in one unit: the variant is drawn per patient.
        share = np.array([v.weight for v in spec.variants])
        per_patient = rng.choice(len(spec.variants), size=patients, p=share / share.sum())
        chosen = per_patient[row_patient[mine]]
        for j, variant in enumerate(spec.variants):
            rows_j = mine[chosen == j]
            unit[rows_j] = _choose(rng, variant.spellings, len(rows_j))
            ref[rows_j] = variant.ref
            result[rows_j], flag[rows_j] = _results(rng, variant, base[chosen == j], MALFORMED_US)

    stamps = pd.Series(when).dt.strftime("%m/%d/%Y %I:%M %p").to_numpy(dtype=object)
    ids = np.char.add("MRN", np.char.zfill(np.arange(patients).astype(str), 7)).astype(object)
    return pd.DataFrame(dict(zip(LONG_HEADER, (
        ids[row_patient], stamps[event], name, result, unit, ref, flag), strict=True)))


# --- wide layout -----------------------------------------------------------------------------------

# Column -> (test spec index, variant in the UK unit, request group)
WIDE_COLUMNS = {
    "Haemoglobin (g/L)": (0, _v("g/L", 0, "", None, None, scale=10.0), "fbc"),
    "MCV (fL)": (1, _v("fL", 1, "", None, None), "fbc"),
    "Serum B12 (ng/L)": (2, _v("ng/L", 0, "", None, None, below="150", above="2000"), "haematinics"),
    "Folate (ug/L)": (5, _v("ug/L", 1, "", None, None, below="2.0", above="20.0"), "haematinics"),
    "Ferritin (ug/L)": (6, _v("ug/L", 0, "", None, None, below="5"), "haematinics"),
    "MMA (nmol/L)": (3, _v("nmol/L", 0, "", None, None, below="50"), "mma"),
    "Homocysteine (umol/L)": (4, _v("umol/L", 1, "", None, None, above="50"), "homocysteine"),
    "Platelets (10*9/L)": (9, _v("10*9/L", 0, "", None, None), "fbc"),
    "WBC (10*9/L)": (8, _v("10*9/L", 1, "", None, None), "fbc"),
}
REQUESTED = {"fbc": 0.8, "haematinics": 0.55, "mma": 0.08, "homocysteine": 0.1}  # share of specimens
COMMENTS = (("", 0.9), ("Haemolysed sample", 0.02), ("Repeat in 3 months", 0.02),
            ("On IM hydroxocobalamin, loading phase", 0.02), ("Clotted sample - FBC not done", 0.01),
            ("Lipaemic, results may be affected", 0.01), ("Patient fasting", 0.02))


def _nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """Distinct 10-digit NHS numbers with a valid modulus-11 check digit."""
    found: np.ndarray = np.empty(0, dtype=np.int64)
    while len(found) < count:
        digits = rng.integers(0, 10, size=(2 * count + 10, 9))
        digits[:, 0] = rng.integers(4, 8, len(digits))  # issued numbers start 4-7 (England, Wales)
        check = 11 - (digits @ np.arange(10, 1, -1)) % 11
        check[check == 11] = 0
        ok = check != 10
        numbers = (digits[ok] @ (10 ** np.arange(9, 0, -1))) + check[ok]
        found = np.unique(np.r_[found, numbers])
    return rng.permutation(found)[:count].astype(str).astype(object)


def wide_export(rows: int, seed: int = SEED) -> pd.DataFrame:
    """A UK-style wide export of exactly ``rows`` specimens."""
    rng = np.random.default_rng([seed, rows, 2])
    patients = max(1, rows // 12)
    patient = np.sort(rng.integers(0, patients, rows))
    when = _patient_times(rng, patient, 1, 60, with_time=False)
    requested = {group: rng.random(rows) < share for group, share in REQUESTED.items()}
    nothing = ~np.logical_or.reduce(list(requested.values()))
    requested["fbc"] |= nothing  # every specimen has at least one result
    frame = {"NHS Number": _nhs_numbers(rng, patients)[patient],
             "Specimen Date": pd.Series(when).dt.strftime("%d/%m/%Y").to_numpy(dtype=object)}
    for column, (index, variant, group) in WIDE_COLUMNS.items():
        text, _ = _results(rng, variant, _base_values(rng, TESTS[index], rows), MALFORMED_UK)
        measured = requested[group] & (rng.random(rows) < 0.97)  # a requested test is sometimes not done
        frame[column] = np.where(measured, text, "")
    frame["Comment"] = _choose(rng, COMMENTS, rows)
    return pd.DataFrame(frame)


# --- real-world shapes: a time per row, 100 rows per patient, a third untracked ------------------------

REAL_ROWS_PER_PATIENT = 100  # 10,000 patients at 1M rows
REAL_FIRST = np.datetime64("2015-01-01T00:00")
REAL_DAYS = 10 * 365  # times spread over ten years: 86% of 1M rows have a date text of their own
REAL_DAYTIME_SHARE = 0.8  # collected 07:00-19:00; the rest at any minute of the day (wards)
REAL_MALFORMED_SHARE = 0.04
REAL_MALFORMED_US = ("QNS", "see note", "", "Hemolyzed", "Test not performed", "Cancelled", "Specimen clotted")
REAL_MALFORMED_UK = ("QNS", "see note", "Haemolysed", "Insufficient sample", "Not done", "Clotted")
REAL_DATES = {  # shape -> (date column, its format)
    "real_long": ("Collected", "%m/%d/%Y %H:%M"),
    "real_wide": ("Specimen Date/Time", "%d/%m/%Y %H:%M"),
}
REAL_LONG_HEADER = ("MRN", "Accession Number", "Collected", "Component", "Result", "Units", "Reference Range",
                    "Abnormal Flag", "Status")
STATUSES = (("Final", 0.97), ("Corrected", 0.02), ("Preliminary", 0.01))


def _with_variants(test: Test, *more: Variant) -> Test:
    return replace(test, variants=test.variants + more)


_T = {t.names[0][0]: t for t in TESTS}
# (test, share of rows). Tracked by b12core: 2/3 of the rows (potassium is tracked: the labels ask
# for it); known and ignored: 30%; unknown: 3.3%.
REAL_LONG_TESTS: tuple[tuple[Test, float], ...] = (
    (_T["Hemoglobin"], 0.14),
    (_T["MCV"], 0.12),
    (_T["Vitamin B12"], 0.12),
    (_with_variants(replace(_T["Folate"], variants=(replace(_T["Folate"].variants[0], weight=0.7),)),
                    _v("nmol/L", 1, ">8.8", 8.8, None, scale=2.2655, below="4.5", above="45.3", weight=0.3)), 0.08),
    (_with_variants(replace(_T["Ferritin"], variants=(replace(_T["Ferritin"].variants[0], weight=0.6),)),
                    _v("ug/L", 0, "30-400", 30, 400, below="5", weight=0.4)), 0.08),
    (_with_variants(replace(_T["Potassium"], variants=(replace(_T["Potassium"].variants[0], weight=0.7),)),
                    _v("mEq/L", 1, "3.5-5.1", 3.5, 5.1, weight=0.3)), 0.057),
    (_T["Reticulocyte Count"], 0.03),
    (_T["Methylmalonic Acid"], 0.02),
    (_T["Homocysteine"], 0.02),
    *((_T[name], 0.025) for name in ("WBC", "Platelets", "Sodium", "Creatinine", "Glucose", "MCH", "MCHC", "RDW",
                                     "RBC", "Hematocrit", "TSH", "Iron")),
    *((_T[name], 0.011) for name in ("ALT", "Chloride", "Vitamin D, 25-Hydroxy")),
)


def _real_times(rng: np.random.Generator, patient: np.ndarray) -> np.ndarray:
    """A collection time to the minute for each row of ``patient`` (codes, any order), strictly
    increasing within each patient (datetime64[m])."""
    n = len(patient)
    day = rng.integers(0, REAL_DAYS, n)
    daytime = rng.random(n) < REAL_DAYTIME_SHARE
    minute = np.where(daytime, rng.integers(7 * 60, 19 * 60, n), rng.integers(0, 24 * 60, n))
    when = day.astype(np.int64) * 1440 + minute
    order = np.lexsort((when, patient))
    group, sorted_when = patient[order].astype(np.int64), when[order]
    first = np.r_[True, group[1:] != group[:-1]]
    rank = np.arange(n) - np.maximum.accumulate(np.where(first, np.arange(n), 0))
    # Within a patient, each time becomes at least one minute after the one before: a running
    # maximum of (time - rank), kept apart per patient by a large offset, plus the rank.
    offset = group << 40
    bumped = np.maximum.accumulate(offset + sorted_when - rank) - offset + rank
    out = np.empty(n, dtype=np.int64)
    out[order] = bumped
    return REAL_FIRST + out.astype("timedelta64[m]")


def _real_rows(rng: np.random.Generator, rows: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(patients, each row's patient, each row's time), rows in time order."""
    patients = max(1, rows // REAL_ROWS_PER_PATIENT)
    patient = rng.integers(0, patients, rows)
    when = _real_times(rng, patient)
    order = np.argsort(when, kind="stable")
    return patients, patient[order], when[order]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(numbers.astype(str), width)).astype(object)


def _stamps(when: np.ndarray, fmt: str) -> np.ndarray:
    return pd.Series(when).dt.strftime(fmt).to_numpy(dtype=object)


def real_long_export(rows: int, seed: int = SEED) -> pd.DataFrame:
    """An Epic-style long export of exactly ``rows`` results, each with its own time."""
    rng = np.random.default_rng([seed, rows, 3])
    patients, patient, when = _real_rows(rng, rows)
    share = np.array([w for _, w in REAL_LONG_TESTS])
    test = rng.choice(len(REAL_LONG_TESTS), size=rows, p=share / share.sum())
    name, unit, ref, result, flag = (np.empty(rows, dtype=object) for _ in range(5))
    for i, (spec, _) in enumerate(REAL_LONG_TESTS):
        mine = np.flatnonzero(test == i)
        name[mine] = _choose(rng, spec.names, len(mine))
        base = _base_values(rng, spec, len(mine))
        weight = np.array([v.weight for v in spec.variants])
        chosen = rng.choice(len(spec.variants), size=patients, p=weight / weight.sum())[patient[mine]]
        for j, variant in enumerate(spec.variants):
            rows_j = mine[chosen == j]
            unit[rows_j] = _choose(rng, variant.spellings, len(rows_j))
            ref[rows_j] = variant.ref
            result[rows_j], flag[rows_j] = _results(rng, variant, base[chosen == j], REAL_MALFORMED_US,
                                                    REAL_MALFORMED_SHARE)
    patient_ids = _ids("E", rng.choice(10**8, size=patients, replace=False), 8)
    column, fmt = REAL_DATES["real_long"]
    accession = np.char.add(np.char.add("W", pd.Series(when).dt.strftime("%y%m%d").to_numpy(dtype=str)),
                            np.char.zfill((np.arange(rows) % 10**5).astype(str), 5)).astype(object)
    return pd.DataFrame({
        "MRN": patient_ids[patient], "Accession Number": accession, column: _stamps(when, fmt),
        "Component": name, "Result": result, "Units": unit, "Reference Range": ref, "Abnormal Flag": flag,
        "Status": _choose(rng, STATUSES, rows)})


CRP = Test((("CRP", 1.0),), False, "lognormal", 5.0, 1.1, (0.3, 350.0), (_v("mg/L", 0, "", None, None, below="4"),))
REAL_WIDE_LEADING = ("Hospital Number", "Specimen Number", "Specimen Date/Time", "Location")
# Column -> (test, variant in the UK unit, request group). Not tracked: Platelets, WBC, Sodium,
# Creatinine (known and ignored) and CRP (unknown).
REAL_WIDE_COLUMNS: dict[str, tuple[Test, Variant, str]] = {
    "Haemoglobin (g/L)": (_T["Hemoglobin"], _v("g/L", 0, "", None, None, scale=10.0), "fbc"),
    "MCV (fL)": (_T["MCV"], _v("fL", 1, "", None, None), "fbc"),
    "WBC (10*9/L)": (_T["WBC"], _v("10*9/L", 1, "", None, None), "fbc"),
    "Platelets (10*9/L)": (_T["Platelets"], _v("10*9/L", 0, "", None, None), "fbc"),
    "Reticulocytes (%)": (_T["Reticulocyte Count"], _v("%", 1, "", None, None), "retics"),
    "Serum B12 (ng/L)": (_T["Vitamin B12"], _v("ng/L", 0, "", None, None, below="150", above="2000"), "haematinics"),
    "Serum Folate (ug/L)": (_T["Folate"], _v("ug/L", 1, "", None, None, below="2.0", above="20.0"), "haematinics"),
    "Ferritin (ug/L)": (_T["Ferritin"], _v("ug/L", 0, "", None, None, below="5"), "haematinics"),
    "Sodium (mmol/L)": (_T["Sodium"], _v("mmol/L", 0, "", None, None), "renal"),
    "Potassium (mmol/L)": (_T["Potassium"], _v("mmol/L", 1, "", None, None), "renal"),
    "Creatinine (umol/L)": (_T["Creatinine"], _v("umol/L", 0, "", None, None, scale=88.4), "renal"),
    "CRP (mg/L)": (CRP, CRP.variants[0], "crp"),
    "MMA (nmol/L)": (_T["Methylmalonic Acid"], _v("nmol/L", 0, "", None, None, below="50"), "mma"),
    "Homocysteine (umol/L)": (_T["Homocysteine"], _v("umol/L", 1, "", None, None, above="50"), "homocysteine"),
}
REAL_REQUESTED = {"fbc": 0.8, "retics": 0.15, "haematinics": 0.65, "renal": 0.25, "crp": 0.15, "mma": 0.05,
                  "homocysteine": 0.06}
LOCATIONS = (("GP Surgery", 0.45), ("Haematology Clinic", 0.2), ("Ward 7", 0.1), ("Emergency Department", 0.1),
             ("Oncology Day Unit", 0.1), ("Antenatal Clinic", 0.05))


def real_wide_export(rows: int, seed: int = SEED) -> pd.DataFrame:
    """A UK-style wide export of exactly ``rows`` specimens, each with its own date-time."""
    rng = np.random.default_rng([seed, rows, 4])
    patients, patient, when = _real_rows(rng, rows)
    requested = {group: rng.random(rows) < share for group, share in REAL_REQUESTED.items()}
    requested["fbc"] |= ~np.logical_or.reduce(list(requested.values()))  # every specimen has a result
    column, fmt = REAL_DATES["real_wide"]
    frame = {"Hospital Number": _ids("H", rng.choice(10**7, size=patients, replace=False), 7)[patient],
             "Specimen Number": _ids("SP", np.arange(rows) + 10**6, 9),
             column: _stamps(when, fmt),
             "Location": _choose(rng, LOCATIONS, rows)}
    for header, (spec, variant, group) in REAL_WIDE_COLUMNS.items():
        text, _ = _results(rng, variant, _base_values(rng, spec, rows), REAL_MALFORMED_UK, REAL_MALFORMED_SHARE)
        measured = requested[group] & (rng.random(rows) < 0.97)  # a requested test is sometimes not done
        frame[header] = np.where(measured, text, "")
    frame["Comment"] = _choose(rng, COMMENTS, rows)
    return pd.DataFrame(frame)


# --- command line --------------------------------------------------------------------------------------

SHAPES: dict[str, Callable[[int], pd.DataFrame]] = {
    "long": long_export, "wide": wide_export, "real_long": real_long_export, "real_wide": real_wide_export}


def shape_path(shape: str, rows: int) -> Path:
    return OUT_DIR / f"{shape}_{rows}.csv"


def write(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n")


def generate(sizes: list[int], layouts: tuple[str, ...] = ("long", "wide"), force: bool = False) -> list[Path]:
    """Write the exports of ``layouts`` (shapes) for ``sizes`` (skipping files already there unless ``force``)."""
    written = []
    for rows in sizes:
        for layout in layouts:
            path = shape_path(layout, rows)
            if path.exists() and not force:
                continue
            write(SHAPES[layout](rows), path)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="ROWS")
    parser.add_argument("--shapes", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    args = parser.parse_args()
    for path in generate(args.sizes, tuple(args.shapes), force=True):
        print(f"wrote {path.relative_to(OUT_DIR.parent.parent)} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
