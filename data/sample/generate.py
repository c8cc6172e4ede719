"""Write the bundled synthetic sample data and the ground truth a correct importer must reproduce.

Five invented patients, each exported in the layout of a different source (US long CSV, UK wide
CSV and Excel, German semicolon CSV in Latin-1, Synthea-style LOINC CSV), with their injection
records. Every number comes from this script: a course of anchor values per test (true to the
published time course, clinical-facts §2) plus a little seeded noise, rounded as each lab reports.

The ground truth in ``tests/fixtures/sample_truth/`` is written from the same numbers, with this
script's own conversion factors (clinical-facts §3.2); it never calls ``b12core``.

Usage (from the repository root)::

    .venv/bin/python data/sample/generate.py             # writes into this repository
    .venv/bin/python data/sample/generate.py --out DIR   # writes DIR/data/sample and DIR/tests/...

Running it twice gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl

SEED = 20240108
REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = Path("data/sample")
TRUTH_DIR = Path("tests/fixtures/sample_truth")

# Conversion factors to the canonical units of design.md, written out from clinical-facts §3.2.
# value reported x factor = value in the canonical unit.
G_DL_TO_G_L = 10.0  # haemoglobin g/dL -> g/L
HB_MMOL_L_TO_G_L = 16.1145  # haemoglobin mmol/L (monomer basis) -> g/L
B12_PG_ML_TO_PMOL_L = 0.737795  # vitamin B12 pg/mL (= ng/L) -> pmol/L
FOLATE_NG_ML_TO_NMOL_L = 2.2655  # folate ng/mL (= ug/L) -> nmol/L
SAME_UNIT = 1.0  # MCV fL, MMA nmol/L, homocysteine umol/L, holoTC pmol/L, ferritin ug/L, reticulocytes %

CANONICAL_UNIT = {
    "hemoglobin": "g/L", "mcv": "fL", "b12": "pmol/L", "mma": "nmol/L", "homocysteine": "umol/L",
    "folate": "nmol/L", "holotc": "pmol/L", "ferritin": "ug/L", "reticulocytes": "%", "potassium": "mmol/L",
}

# Within-person variation added to every value (coefficient of variation; clinical-facts §2 and §6 item 5
# report 17-23 % for B12, MMA and homocysteine over weeks; smaller here so each story stays readable).
NOISE_CV = {
    "hemoglobin": 0.008, "mcv": 0.006, "reticulocytes": 0.06, "b12": 0.06, "holotc": 0.06, "mma": 0.06,
    "homocysteine": 0.04, "folate": 0.06, "ferritin": 0.06, "wbc": 0.07, "platelets": 0.06,
    "sodium": 0.008, "potassium": 0.03, "height": 0.0, "weight": 0.005,
}

LAB_FILES = ("us_long_labs.csv", "uk_wide_labs_early.xlsx", "uk_wide_labs.csv", "eu_semicolon_labs.csv",
             "loinc_observations.csv")


# --- patients ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visit:
    """One blood draw: days from the first dose, clock time, the tests done and a lab comment."""

    day: int
    time: str
    tests: tuple[str, ...]
    comment: str = ""


@dataclass(frozen=True)
class Patient:
    """An invented patient: identity, the date of the first dose (day 0), and the course of each test.

    ``course`` maps a test key to anchor points ``(day, level)`` in the units of the patient's own
    lab; values between anchors are interpolated. ``exact`` lists the ``(day, test)`` results reported
    exactly at their anchor, without noise (the headline numbers of the patient's story).
    ``text_results`` holds results the lab wrote as text instead of a number, keyed by ``(day, test)``.
    """

    key: str
    patient_id: str
    sex: str
    start: dt.date
    course: dict[str, tuple[tuple[int, float], ...]]
    visits: tuple[Visit, ...]
    exact: frozenset[tuple[int, str]] = frozenset()
    text_results: dict[tuple[int, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Draw:
    """One test result before formatting: the true level in the lab's unit, or a text result."""

    patient: Patient
    visit: Visit
    when: dt.datetime
    test: str
    level: float
    text: str = ""


def days_between(start: dt.date, year: int, month: int, day: int) -> int:
    """Days from ``start`` to the given date (negative before it)."""
    return (dt.date(year, month, day) - start).days


def pins(day: int, *tests: str) -> frozenset[tuple[int, str]]:
    """``(day, test)`` pairs for ``Patient.exact``."""
    return frozenset((day, test) for test in tests)


FBC = ("hemoglobin", "mcv")

# UK pathology exports give the specimen date only, so PA-NEURO's visits are at 00:00.
PA_NEURO = Patient(
    key="PA-NEURO",
    patient_id="943 476 5919",
    sex="male",
    start=dt.date(2024, 1, 8),
    course={
        "hemoglobin": ((-3, 84), (3, 85), (8, 93), (14, 104), (28, 121), (56, 138), (84, 142), (400, 144)),
        "mcv": ((-3, 118), (8, 117), (14, 113), (28, 104), (56, 93), (84, 91), (400, 89)),
        "b12": ((-3, 98), (1, 3000), (400, 3000)),
        "folate": ((-3, 7.9), (56, 6.1), (400, 7.4)),
        "ferritin": ((-3, 112), (56, 64), (170, 78), (400, 85)),
        "reticulocytes": ((-3, 0.9), (2, 1.4), (6, 9.2), (8, 8.4), (14, 4.4), (28, 1.8), (56, 1.3), (400, 1.2)),
        "mma": ((-3, 1450), (14, 520), (28, 240), (56, 170), (400, 150)),
        "homocysteine": ((-3, 42), (14, 18), (28, 12.4), (400, 9.5)),
        "platelets": ((-3, 142), (8, 231), (14, 292), (28, 262), (400, 245)),
    },
    visits=(
        Visit(-3, "00:00", (*FBC, "b12", "folate", "ferritin", "reticulocytes", "mma", "homocysteine", "platelets"),
              "Macrocytic anaemia. Film: oval macrocytes, hypersegmented neutrophils. IF antibody positive."),
        Visit(8, "00:00", (*FBC, "reticulocytes", "platelets"), "Reticulocyte response noted"),
        Visit(14, "00:00", (*FBC, "reticulocytes", "platelets")),
        Visit(28, "00:00", (*FBC, "reticulocytes", "mma", "homocysteine", "platelets")),
        Visit(56, "00:00", (*FBC, "reticulocytes", "folate", "ferritin", "platelets")),
        Visit(84, "00:00", (*FBC, "b12", "platelets"),
              "On hydroxocobalamin, B12 result not diagnostic; use FBC to monitor"),
        Visit(126, "00:00", (*FBC, "platelets")),
        Visit(170, "00:00", (*FBC, "folate", "ferritin", "platelets")),
        Visit(252, "00:00", (*FBC, "platelets")),
        Visit(322, "00:00", (*FBC, "folate", "ferritin", "mma", "homocysteine", "platelets")),
        Visit(371, "00:00", (*FBC, "platelets")),
    ),
    exact=pins(-3, "hemoglobin", "mcv", "b12", "mma", "homocysteine", "reticulocytes"),
)

DIET_ORAL = Patient(
    key="DIET-ORAL",
    patient_id="0004711",
    sex="female",
    start=dt.date(2023, 9, 11),
    course={
        "hemoglobin": ((-5, 7.4), (3, 7.45), (8, 7.7), (15, 8.0), (29, 8.3), (57, 8.45), (85, 8.5), (400, 8.6)),
        "mcv": ((-5, 103), (8, 102), (15, 99), (29, 95), (57, 91), (85, 90), (400, 89)),
        "b12": ((-5, 105), (1, 2500), (29, 1800), (60, 700), (64, 1500), (85, 520), (155, 410), (400, 370)),
        "holotc": ((-5, 18), (1, 190), (29, 176), (60, 110), (85, 92), (155, 78), (400, 72)),
        "homocysteine": ((-5, 24), (29, 11.2), (85, 9.4), (400, 8.6)),
        "folate": ((-5, 16.4), (400, 16.8)),
        "ferritin": ((-5, 31), (57, 26), (226, 30), (400, 33)),
        "wbc": ((-5, 4.1), (400, 5.2)),
        "platelets": ((-5, 198), (400, 236)),
    },
    visits=(
        Visit(-5, "08:15", (*FBC, "b12", "holotc", "homocysteine", "folate", "ferritin", "wbc", "platelets")),
        Visit(8, "07:50", (*FBC, "wbc", "platelets")),
        Visit(15, "08:05", FBC),
        Visit(29, "09:20", (*FBC, "b12", "holotc", "homocysteine")),
        Visit(57, "08:40", (*FBC, "ferritin", "wbc", "platelets")),
        Visit(85, "10:10", (*FBC, "b12", "holotc", "homocysteine")),
        Visit(155, "08:25", (*FBC, "b12", "holotc")),
        Visit(226, "07:45", (*FBC, "holotc", "folate", "ferritin")),
        Visit(295, "08:55", (*FBC, "homocysteine")),
        Visit(366, "08:15", (*FBC, "b12", "holotc", "homocysteine", "folate", "ferritin", "wbc", "platelets")),
    ),
    exact=pins(-5, "hemoglobin", "mcv", "b12", "holotc", "homocysteine"),
)

US_BASELINE = (*FBC, "wbc", "platelets", "reticulocytes", "b12", "mma", "homocysteine", "folate", "ferritin",
               "ifa", "sodium", "potassium")

MISSED_LOADING = Patient(
    key="MISSED-LOADING",
    patient_id="MRN004417",
    sex="male",
    start=dt.date(2024, 3, 4),
    course={
        "hemoglobin": ((-3, 9.1), (3, 9.1), (8, 9.3), (14, 9.6), (28, 10.2), (70, 12.0), (133, 13.4), (224, 14.1),
                       (315, 14.4), (400, 14.5)),
        "mcv": ((-3, 112), (8, 111), (14, 109), (28, 104), (70, 96), (133, 92), (224, 90), (400, 89)),
        "reticulocytes": ((-3, 1.0), (3, 2.2), (6, 3.9), (8, 3.6), (14, 2.9), (28, 1.8), (70, 1.4), (400, 1.3)),
        "b12": ((-3, 118), (1, 2600), (28, 1390), (63, 1250), (70, 2450), (120, 1000), (400, 810)),
        "mma": ((-3, 890), (28, 310), (70, 205), (400, 160)),
        "homocysteine": ((-3, 31.5), (28, 13.2), (70, 10.4), (400, 9.6)),
        "folate": ((-3, 9.8), (224, 24), (400, 14)),
        "ferritin": ((-3, 145), (224, 88), (400, 92)),
        "wbc": ((-3, 4.3), (28, 5.6), (400, 6.1)),
        "platelets": ((-3, 131), (8, 198), (28, 240), (400, 232)),
        "sodium": ((-3, 139), (400, 140)),
        "potassium": ((-3, 4.1), (2, 3.6), (400, 4.2)),
    },
    visits=(
        Visit(-3, "09:10", US_BASELINE),
        Visit(2, "14:40", ("sodium", "potassium")),
        Visit(3, "08:05", ("potassium",)),
        Visit(8, "10:15", (*FBC, "wbc", "platelets", "reticulocytes")),
        Visit(14, "08:45", (*FBC, "reticulocytes")),
        Visit(28, "08:30", (*FBC, "wbc", "platelets", "b12", "mma", "homocysteine")),
        Visit(70, "12:10", (*FBC, "reticulocytes", "b12", "mma", "homocysteine")),
        Visit(133, "09:40", (*FBC, "wbc", "platelets")),
        Visit(224, "13:15", (*FBC, "folate", "ferritin")),
        Visit(315, "08:50", (*FBC, "sodium")),
        Visit(364, "10:05", (*FBC, "b12", "mma", "homocysteine")),
    ),
    exact=pins(-3, "hemoglobin", "mcv", "mma") | pins(28, "hemoglobin", "mcv") | pins(70, "hemoglobin", "mcv"),
    text_results={(-3, "ifa"): "Positive", (2, "potassium"): "Hemolyzed"},
)

IRON_DEF = Patient(
    key="IRON-DEF",
    patient_id="MRN007731",
    sex="female",
    start=dt.date(2024, 5, 13),
    course={
        "hemoglobin": ((-4, 8.6), (3, 8.6), (8, 8.8), (15, 9.0), (28, 9.4), (56, 9.8), (60, 9.8), (84, 11.2),
                       (119, 12.0), (183, 12.9), (273, 13.2), (400, 13.3)),
        "mcv": ((-4, 98), (8, 99), (15, 95), (28, 88), (56, 78), (60, 78), (84, 81), (119, 84), (183, 88),
                (273, 89), (400, 90)),
        "reticulocytes": ((-4, 1.1), (3, 1.8), (7, 3.1), (8, 3.0), (15, 2.6), (28, 1.6), (56, 1.3), (60, 1.3),
                          (70, 3.6), (84, 2.1), (119, 1.5), (400, 1.4)),
        "b12_sendout": ((-4, 120), (400, 120)),
        "b12": ((-4, 120), (1, 2600), (56, 2500), (400, 1100)),
        "mma": ((-4, 640), (28, 330), (56, 240), (400, 170)),
        "homocysteine": ((-4, 22.4), (28, 13.5), (56, 12.1), (400, 10.2)),
        "folate": ((-4, 7.2), (56, 5.9), (400, 8.1)),
        "ferritin": ((-4, 9), (28, 7), (56, 6), (84, 15), (119, 22), (183, 38), (273, 46), (400, 51)),
        "wbc": ((-4, 5.1), (400, 6.0)),
        "platelets": ((-4, 362), (56, 410), (119, 318), (400, 290)),
        "sodium": ((-4, 138), (400, 139)),
        "potassium": ((-4, 4.0), (2, 3.5), (400, 4.1)),
    },
    visits=(
        Visit(-4, "07:55", tuple("b12_sendout" if t == "b12" else t for t in US_BASELINE)),
        Visit(2, "15:20", ("potassium",)),
        Visit(8, "08:20", (*FBC, "reticulocytes")),
        Visit(15, "09:05", (*FBC, "wbc", "platelets", "reticulocytes")),
        Visit(28, "08:40", (*FBC, "b12", "ferritin")),
        Visit(56, "10:30", (*FBC, "wbc", "platelets", "reticulocytes", "b12", "mma", "homocysteine", "folate",
                            "ferritin", "ifa")),
        Visit(84, "09:15", (*FBC, "reticulocytes", "ferritin")),
        Visit(119, "11:45", (*FBC, "wbc", "platelets", "ferritin")),
        Visit(183, "16:10", (*FBC, "ferritin")),
        Visit(273, "08:25", (*FBC, "ferritin")),
        Visit(364, "09:35", (*FBC, "b12", "folate", "ferritin")),
    ),
    exact=(pins(-4, "hemoglobin", "mcv", "b12_sendout", "ferritin") | pins(28, "hemoglobin")
           | pins(56, "hemoglobin", "mcv", "ferritin")),
    text_results={(-4, "ifa"): "Negative", (56, "ifa"): "Negative", (28, "b12"): "QNS"},
)

RELAPSE_START = dt.date(2023, 1, 16)
RELAPSE_RESTART = days_between(RELAPSE_START, 2025, 10, 13)


def relapse_day(year: int, month: int, day: int) -> int:
    """Days from the RELAPSE patient's first dose (16 Jan 2023) to a date."""
    return days_between(RELAPSE_START, year, month, day)


R = RELAPSE_RESTART
RELAPSE = Patient(
    key="RELAPSE",
    patient_id=str(uuid.uuid5(uuid.NAMESPACE_URL, "b12-dashboard/sample/RELAPSE")),
    sex="male",
    start=RELAPSE_START,
    course={
        "hemoglobin": ((-6, 10.9), (3, 10.95), (8, 11.6), (28, 12.9), (56, 13.7), (98, 13.8),
                       (relapse_day(2024, 4, 22), 13.8), (relapse_day(2024, 10, 14), 13.7),
                       (relapse_day(2025, 2, 17), 13.1), (relapse_day(2025, 5, 19), 12.4),
                       (relapse_day(2025, 8, 18), 11.8), (R - 7, 11.2), (R + 3, 11.2), (R + 8, 11.6), (R + 28, 12.9)),
        "mcv": ((-6, 106), (8, 105), (28, 97), (56, 92), (98, 90), (relapse_day(2024, 10, 14), 91),
                (relapse_day(2025, 2, 17), 94), (relapse_day(2025, 5, 19), 98), (relapse_day(2025, 8, 18), 101),
                (R - 7, 104), (R + 8, 103), (R + 28, 97)),
        "b12": ((-6, 142), (relapse_day(2024, 10, 14), 318), (relapse_day(2025, 2, 17), 236),
                (relapse_day(2025, 5, 19), 188), (relapse_day(2025, 8, 18), 163), (R - 7, 150)),
        "mma": ((-6, 720), (28, 230), (relapse_day(2024, 4, 22), 160), (relapse_day(2024, 10, 14), 260),
                (relapse_day(2025, 2, 17), 395), (relapse_day(2025, 5, 19), 560), (R - 7, 810), (R + 28, 250)),
        "homocysteine": ((-6, 21.5), (28, 11.8), (relapse_day(2024, 4, 22), 10.1), (relapse_day(2025, 2, 17), 14.2),
                         (R - 7, 26.3), (R + 28, 12.1)),
        "folate": ((-6, 8.4), (relapse_day(2024, 4, 22), 9.1), (R - 7, 7.6)),
        "ferritin": ((-6, 96), (relapse_day(2024, 4, 22), 104), (R - 7, 88)),
        "reticulocytes": ((-6, 1.0), (3, 2.4), (6, 7.2), (8, 6.8), (14, 3.2), (28, 1.6), (56, 1.2),
                          (relapse_day(2025, 8, 18), 1.1), (R - 7, 0.9), (R + 3, 2.2), (R + 6, 6.4), (R + 8, 5.9),
                          (R + 14, 3.0), (R + 28, 1.7)),
        "wbc": ((-6, 4.6), (R - 7, 4.4)),
        "platelets": ((-6, 168), (56, 246), (R - 7, 171)),
        "sodium": ((-6, 140), (R - 7, 139)),
        "height": ((-6, 178.0), (R, 178.0)),
        "weight": ((-6, 81.2), (R - 7, 79.4)),
    },
    visits=(
        Visit(-6, "09:14", (*FBC, "reticulocytes", "b12", "mma", "homocysteine", "folate", "ferritin", "wbc",
                            "platelets", "sodium", "height", "weight")),
        Visit(8, "10:02", (*FBC, "reticulocytes")),
        Visit(28, "08:47", (*FBC, "reticulocytes", "mma", "homocysteine")),
        Visit(56, "11:21", (*FBC, "wbc", "platelets")),
        Visit(98, "09:33", (*FBC, "weight")),
        Visit(relapse_day(2023, 10, 23), "14:05", (*FBC, "wbc", "platelets")),
        Visit(relapse_day(2024, 4, 22), "08:58", (*FBC, "folate", "ferritin", "mma", "homocysteine", "weight")),
        Visit(relapse_day(2024, 10, 14), "10:41", (*FBC, "b12", "mma")),
        Visit(relapse_day(2025, 2, 17), "09:06", (*FBC, "b12", "mma", "homocysteine")),
        Visit(relapse_day(2025, 5, 19), "15:52", (*FBC, "b12", "mma", "wbc", "platelets")),
        Visit(relapse_day(2025, 8, 18), "08:19", (*FBC, "b12", "reticulocytes")),
        Visit(R - 7, "09:27", (*FBC, "reticulocytes", "b12", "mma", "homocysteine", "folate", "ferritin", "wbc",
                               "platelets", "sodium", "height", "weight")),
        Visit(R + 8, "10:12", (*FBC, "reticulocytes")),
        Visit(R + 28, "09:48", (*FBC, "reticulocytes", "mma", "homocysteine")),
    ),
    exact=pins(relapse_day(2024, 4, 22), "hemoglobin", "mcv") | pins(R - 7, "hemoglobin", "mcv", "b12"),
)

PATIENTS = (PA_NEURO, DIET_ORAL, MISSED_LOADING, IRON_DEF, RELAPSE)


def course_level(patient: Patient, test: str, day: int) -> float:
    """The noiseless level of a test on a day, interpolated between the patient's anchors."""
    anchors = patient.course[test]
    return float(np.interp(day, [d for d, _ in anchors], [v for _, v in anchors]))


def draw_results(patient: Patient, rng: np.random.Generator) -> list[Draw]:
    """Every result of every visit of a patient, in visit order, with seeded within-person noise."""
    draws = []
    for visit in patient.visits:
        date = patient.start + dt.timedelta(days=visit.day)
        hour, minute = (int(x) for x in visit.time.split(":"))
        when = dt.datetime(date.year, date.month, date.day, hour, minute)
        for test in visit.tests:
            text = patient.text_results.get((visit.day, test), "")
            level = 0.0
            if test in patient.course:
                noise = rng.normal(0.0, NOISE_CV[test.removesuffix("_sendout")])
                if (visit.day, test) in patient.exact:
                    noise = 0.0
                level = course_level(patient, test, visit.day) * (1.0 + noise)
            draws.append(Draw(patient, visit, when, test, level, text))
    return draws


# --- how each lab writes a test --------------------------------------------------------------------

@dataclass(frozen=True)
class TestFormat:
    """How one lab writes one test: name, unit, rounding, range, assay limits, and what it is.

    ``status`` is ``tracked`` (an analyte of the app), ``untracked`` (a known test the app ignores)
    or ``unknown`` (a name an importer cannot know and must list for mapping by hand).
    """

    name: str
    unit: str
    decimals: int = 0
    analyte: str | None = None
    factor: float = SAME_UNIT
    status: str = "tracked"
    ref: str = ""
    low: float | None = None
    high: float | None = None
    floor: float | None = None
    ceiling: float | None = None
    code: str = ""


@dataclass(frozen=True)
class Reported:
    """A result as the lab writes it. ``number`` is None for a text result such as ``QNS``."""

    text: str
    number: float | None
    qualifier: str
    flag: str


def report(draw: Draw, fmt: TestFormat, decimal_mark: str = ".",
           flags: tuple[str, str] = ("L", "H")) -> Reported:
    """Round or censor a drawn level as the lab does and work out its low/high flag."""
    if draw.text:  # QNS, Hemolyzed, Positive, Negative: no number; a positive antibody is flagged abnormal
        return Reported(draw.text, None, "", "A" if draw.text == "Positive" else "")
    qualifier = ""
    level = draw.level
    if fmt.floor is not None and level < fmt.floor:
        level, qualifier = fmt.floor, "<"
    elif fmt.ceiling is not None and level > fmt.ceiling:
        level, qualifier = fmt.ceiling, ">"
    number_text = f"{level:.{fmt.decimals}f}"
    number = float(number_text)
    flag = ""
    if fmt.low is not None and number < fmt.low:
        flag = flags[0]
    elif fmt.high is not None and number > fmt.high:
        flag = flags[1]
    text = qualifier + number_text.replace(".", decimal_mark)
    return Reported(text, number, qualifier, flag)


def us_formats(sex: str) -> dict[str, TestFormat]:
    """US hospital lab: conventional units, ranges by sex, an in-house B12 assay reporting 150-2000 pg/mL."""
    female = sex == "female"
    return {
        "hemoglobin": TestFormat("Hemoglobin", "g/dL", 1, "hemoglobin", G_DL_TO_G_L,
                                 ref="12.0-15.5" if female else "13.5-17.5",
                                 low=12.0 if female else 13.5, high=15.5 if female else 17.5),
        "mcv": TestFormat("MCV", "fL", 1, "mcv", ref="80.0-100.0", low=80.0, high=100.0),
        "b12": TestFormat("Vitamin B12", "pg/mL", 0, "b12", B12_PG_ML_TO_PMOL_L, ref="232-1245", low=232,
                          high=1245, floor=150, ceiling=2000),
        "b12_sendout": TestFormat("Vitamin B12", "pg/mL", 0, "b12", B12_PG_ML_TO_PMOL_L, ref="180-914",
                                  low=180, high=914, floor=50, ceiling=2000),
        "mma": TestFormat("Methylmalonic Acid", "nmol/L", 0, "mma", ref="<400", high=400),
        "homocysteine": TestFormat("Homocysteine", "umol/L", 1, "homocysteine", ref="0.0-15.0", low=0.0,
                                   high=15.0),
        "folate": TestFormat("Folate", "ng/mL", 1, "folate", FOLATE_NG_ML_TO_NMOL_L, ref=">3.0", low=3.0,
                             ceiling=20.0),
        "ferritin": TestFormat("Ferritin", "ng/mL", 0, "ferritin", ref="15-150" if female else "30-400",
                               low=15 if female else 30, high=150 if female else 400),
        "reticulocytes": TestFormat("Reticulocyte Count", "%", 1, "reticulocytes", ref="0.5-2.5", low=0.5,
                                    high=2.5),
        "wbc": TestFormat("WBC", "K/uL", 1, status="untracked", ref="4.0-11.0", low=4.0, high=11.0),
        "platelets": TestFormat("Platelets", "K/uL", 0, status="untracked", ref="150-400", low=150, high=400),
        "sodium": TestFormat("Sodium", "mmol/L", 0, status="untracked", ref="136-145", low=136, high=145),
        "potassium": TestFormat("Potassium", "mmol/L", 1, "potassium", ref="3.5-5.1", low=3.5, high=5.1),
        "ifa": TestFormat("Intrinsic Factor Antibody", "", status="unknown", ref="Negative"),
    }


UK_FORMATS = {
    "hemoglobin": TestFormat("Haemoglobin", "g/L", 0, "hemoglobin"),
    "mcv": TestFormat("MCV", "fL", 0, "mcv"),
    "b12": TestFormat("Serum B12", "ng/L", 0, "b12", B12_PG_ML_TO_PMOL_L, ceiling=2000),
    "folate": TestFormat("Folate", "ug/L", 1, "folate", FOLATE_NG_ML_TO_NMOL_L),
    "ferritin": TestFormat("Ferritin", "ug/L", 0, "ferritin"),
    "reticulocytes": TestFormat("Reticulocytes", "%", 1, "reticulocytes"),
    "mma": TestFormat("MMA", "nmol/L", 0, "mma"),
    "homocysteine": TestFormat("Homocysteine", "umol/L", 1, "homocysteine"),
    "platelets": TestFormat("Platelets", "10*9/L", 0, status="untracked"),
}

DE_FORMATS = {
    "hemoglobin": TestFormat("Hämoglobin", "mmol/l", 1, "hemoglobin", HB_MMOL_L_TO_G_L, ref="7,5 - 10,0",
                             low=7.5, high=10.0),
    "mcv": TestFormat("MCV", "fl", 0, "mcv", ref="80 - 96", low=80, high=96),
    "b12": TestFormat("Vitamin B12", "pmol/l", 0, "b12", ref="145 - 569", low=145, high=569, ceiling=1476),
    "holotc": TestFormat("Holotranscobalamin", "pmol/l", 0, "holotc", ref="> 50", low=50),
    "homocysteine": TestFormat("Homocystein", "µmol/l", 1, "homocysteine", ref="5,0 - 15,0", low=5.0, high=15.0),
    "folate": TestFormat("Folsäure", "ng/ml", 1, "folate", FOLATE_NG_ML_TO_NMOL_L, ref="3,9 - 26,8", low=3.9,
                         high=26.8),
    "ferritin": TestFormat("Ferritin", "µg/l", 0, "ferritin", ref="13 - 150", low=13, high=150),
    "wbc": TestFormat("Leukozyten", "G/l", 1, status="untracked", ref="3,9 - 10,2", low=3.9, high=10.2),
    "platelets": TestFormat("Thrombozyten", "G/l", 0, status="untracked", ref="146 - 328", low=146, high=328),
}

LOINC_FORMATS = {
    "hemoglobin": TestFormat("Hemoglobin [Mass/volume] in Blood", "g/dL", 1, "hemoglobin", G_DL_TO_G_L,
                             code="718-7"),
    "mcv": TestFormat("MCV [Entitic volume] by Automated count", "fL", 1, "mcv", code="787-2"),
    "b12": TestFormat("Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma", "pg/mL", 1, "b12",
                      B12_PG_ML_TO_PMOL_L, code="2132-9"),
    "mma": TestFormat("Methylmalonate [Moles/volume] in Serum or Plasma", "nmol/L", 1, "mma", code="13964-2"),
    "homocysteine": TestFormat("Homocysteine [Moles/volume] in Serum or Plasma", "umol/L", 1, "homocysteine",
                               code="13965-9"),
    "folate": TestFormat("Folate [Mass/volume] in Serum or Plasma", "ng/mL", 1, "folate", FOLATE_NG_ML_TO_NMOL_L,
                         code="2284-8"),
    "ferritin": TestFormat("Ferritin [Mass/volume] in Serum or Plasma", "ng/mL", 1, "ferritin", code="2276-4"),
    "reticulocytes": TestFormat("Reticulocytes/100 erythrocytes in Blood", "%", 1, "reticulocytes",
                                code="4679-7"),
    "wbc": TestFormat("Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 1, status="untracked",
                      code="6690-2"),
    "platelets": TestFormat("Platelets [#/volume] in Blood by Automated count", "10*3/uL", 1,
                            status="untracked", code="777-3"),
    "sodium": TestFormat("Sodium", "mmol/L", 1, status="untracked", code="2951-2"),
    "height": TestFormat("Body Height", "cm", 1, status="untracked", code="8302-2"),
    "weight": TestFormat("Body Weight", "kg", 1, status="untracked", code="29463-7"),
}
VITAL_SIGNS = {"height", "weight"}


# --- ground truth ----------------------------------------------------------------------------------

class Truth:
    """What a correct importer must produce for each lab file imported on its own."""

    def __init__(self) -> None:
        """Start with nothing recorded."""
        self.labs: list[dict[str, str]] = []
        self.counts: dict[str, Counter[str]] = {name: Counter() for name in LAB_FILES}
        self.unknown: Counter[tuple[str, str]] = Counter()
        self.rejections: list[tuple[str, int, str]] = []
        self.overlap: list[tuple[str, str, int]] = []

    def record(self, source_file: str, source_row: int, patient_id: str, when: dt.datetime,
               fmt: TestFormat, reported: Reported) -> None:
        """Account for one result read from a file: accepted, ignored or rejected."""
        counts = self.counts[source_file]
        counts["read"] += 1
        if fmt.status != "tracked":
            counts["ignored"] += 1
            if fmt.status == "unknown":
                self.unknown[(source_file, fmt.name)] += 1
            return
        if reported.number is None:
            counts["rejected"] += 1
            self.rejections.append((source_file, source_row, "not a number"))
            return
        counts["accepted"] += 1
        assert fmt.analyte is not None
        self.labs.append({
            "source_file": source_file,
            "source_row": str(source_row),
            "patient_id": patient_id,
            "collected_at": when.strftime("%Y-%m-%d %H:%M:%S"),
            "analyte": fmt.analyte,
            "value": format(reported.number * fmt.factor, ".10g"),
            "unit": CANONICAL_UNIT[fmt.analyte],
            "qualifier": reported.qualifier,
        })

    def write(self, folder: Path) -> None:
        """Write labs.csv, counts.csv, unknown_names.csv, rejections.csv and overlap.csv."""
        folder.mkdir(parents=True, exist_ok=True)
        lab_columns = ["source_file", "source_row", "patient_id", "collected_at", "analyte", "value", "unit",
                       "qualifier"]
        write_csv(folder / "labs.csv", [lab_columns, *([r[c] for c in lab_columns] for r in self.labs)])
        count_columns = ["read", "accepted", "ignored", "duplicates", "rejected"]
        write_csv(folder / "counts.csv", [["source_file", *count_columns],
                                          *([name, *(str(self.counts[name][c]) for c in count_columns)]
                                            for name in LAB_FILES)])
        write_csv(folder / "unknown_names.csv", [["source_file", "name", "rows"],
                                                 *([f, n, str(c)] for (f, n), c in sorted(self.unknown.items()))])
        write_csv(folder / "rejections.csv", [["source_file", "source_row", "reason_contains"],
                                              *([f, str(r), w] for f, r, w in self.rejections)])
        write_csv(folder / "overlap.csv", [["source_file", "repeats_file", "results"],
                                           *([a, b, str(n)] for a, b, n in self.overlap)])


# --- writing files -----------------------------------------------------------------------------------

def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
              line_end: str = "\n") -> None:
    """Write rows as delimited text with an exact encoding and line ending (bytes, so no platform say)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def save_workbook(workbook: openpyxl.Workbook, path: Path, stamp: dt.datetime) -> None:
    """Save a workbook byte for byte the same on every run.

    openpyxl stamps the document's "modified" property and every zip member with the current time;
    the archive is rewritten with ``stamp`` in both places.
    """
    workbook.properties.creator = "b12-dashboard sample generator"
    workbook.properties.created = stamp
    raw = io.BytesIO()
    workbook.save(raw)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + iso + rb"\g<2>",
                              data)
            info = zipfile.ZipInfo(member.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    path.write_bytes(out.getvalue())


def us_date(when: dt.datetime) -> str:
    """US export date: month first, 12-hour clock (``03/14/2024 08:30 AM``)."""
    return when.strftime("%m/%d/%Y %I:%M %p")


def write_us_labs(folder: Path, truth: Truth, draws: list[Draw]) -> None:
    """us_long_labs.csv: one row per result, patients interleaved by collection time."""
    name = "us_long_labs.csv"
    rows = [["Patient ID", "Collection Date", "Test Name", "Result", "Units", "Reference Range", "Flag"]]
    ordered = sorted(draws, key=lambda d: (d.when, d.patient.patient_id))
    for row_number, draw in enumerate(ordered, start=1):
        fmt = us_formats(draw.patient.sex)[draw.test]
        rep = report(draw, fmt)
        rows.append([draw.patient.patient_id, us_date(draw.when), fmt.name, rep.text, fmt.unit, fmt.ref, rep.flag])
        truth.record(name, row_number, draw.patient.patient_id, draw.when, fmt, rep)
    write_csv(folder / name, rows, line_end="\r\n")


UK_COLUMNS = ("hemoglobin", "mcv", "b12", "folate", "ferritin", "reticulocytes", "mma", "homocysteine",
              "platelets")
UK_HEADER = ["NHS Number", "Specimen Date", "Sample ID", *(f"{UK_FORMATS[t].name} ({UK_FORMATS[t].unit})"
                                                           for t in UK_COLUMNS), "Comment"]
UK_EARLY_LAST_DAY = 170  # the cumulative report printed on 1 July 2024 ends here
UK_CSV_FIRST_DAY = 84  # the later export starts about month 3


def uk_rows(draws: list[Draw], rng: np.random.Generator) -> list[tuple[Visit, dt.date, str, dict[str, Reported]]]:
    """One row per specimen of the UK patient: visit, date, sample id and the results by test."""
    rows = []
    for visit in PA_NEURO.visits:
        date = PA_NEURO.start + dt.timedelta(days=visit.day)
        sample_id = f"{date:%y}H{int(rng.integers(100000, 999999)):06d}"
        results = {d.test: report(d, UK_FORMATS[d.test]) for d in draws if d.visit is visit}
        rows.append((visit, date, sample_id, results))
    return rows


def write_uk_labs(folder: Path, truth: Truth, draws: list[Draw], rng: np.random.Generator) -> None:
    """uk_wide_labs_early.xlsx (baseline to month 6) and uk_wide_labs.csv (month 3 to 12), overlapping."""
    rows = uk_rows(draws, rng)
    early = [r for r in rows if r[0].day <= UK_EARLY_LAST_DAY]
    later = [r for r in rows if r[0].day >= UK_CSV_FIRST_DAY]

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Cumulative"
    sheet.append(["Pathology cumulative report"])
    sheet.append(["Printed 01/07/2024"])
    sheet.append(UK_HEADER)
    for row_number, (visit, date, sample_id, results) in enumerate(early, start=1):
        cells: list[object] = [PA_NEURO.patient_id, date, sample_id]
        for test in UK_COLUMNS:
            rep = results.get(test)
            if rep is None:
                cells.append(None)
                continue
            fmt = UK_FORMATS[test]
            if rep.qualifier or rep.number is None:
                cells.append(rep.text)
            else:
                cells.append(int(rep.number) if fmt.decimals == 0 else rep.number)
            truth.record("uk_wide_labs_early.xlsx", row_number, PA_NEURO.patient_id,
                         dt.datetime(date.year, date.month, date.day), fmt, rep)
        cells.append(visit.comment or None)
        sheet.append(cells)
        sheet.cell(row=sheet.max_row, column=2).number_format = "DD/MM/YYYY"
    save_workbook(workbook, folder / "uk_wide_labs_early.xlsx", dt.datetime(2024, 7, 1, 9, 0, 0))

    csv_rows = [UK_HEADER]
    for row_number, (visit, date, sample_id, results) in enumerate(later, start=1):
        cells_text = [PA_NEURO.patient_id, date.strftime("%d/%m/%Y"), sample_id]
        for test in UK_COLUMNS:
            rep = results.get(test)
            cells_text.append(rep.text if rep else "")
            if rep:
                truth.record("uk_wide_labs.csv", row_number, PA_NEURO.patient_id,
                             dt.datetime(date.year, date.month, date.day), UK_FORMATS[test], rep)
        cells_text.append(visit.comment)
        csv_rows.append(cells_text)
    write_csv(folder / "uk_wide_labs.csv", csv_rows, line_end="\r\n")

    repeated = sum(1 for r in later if r[0].day <= UK_EARLY_LAST_DAY
                   for test in r[3] if UK_FORMATS[test].status == "tracked")
    truth.overlap.append(("uk_wide_labs.csv", "uk_wide_labs_early.xlsx", repeated))


def write_eu_labs(folder: Path, truth: Truth, draws: list[Draw]) -> None:
    """eu_semicolon_labs.csv: German long export, Latin-1, semicolons, decimal commas, +/- flags."""
    name = "eu_semicolon_labs.csv"
    rows = [["Patientennummer", "Abnahmedatum", "Untersuchung", "Ergebnis", "Einheit", "Referenzbereich",
             "Kennzeichen"]]
    for row_number, draw in enumerate(draws, start=1):
        fmt = DE_FORMATS[draw.test]
        rep = report(draw, fmt, decimal_mark=",", flags=("-", "+"))
        rows.append([draw.patient.patient_id, draw.when.strftime("%d.%m.%Y %H:%M"), fmt.name, rep.text, fmt.unit,
                     fmt.ref, rep.flag])
        truth.record(name, row_number, draw.patient.patient_id, draw.when, fmt, rep)
    write_csv(folder / name, rows, delimiter=";", encoding="latin-1", line_end="\r\n")


def synthea_time(when: dt.datetime) -> str:
    """Synthea timestamp: ISO 8601 in UTC with a ``Z``."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def encounter_id(patient: Patient, when: dt.datetime) -> str:
    """A stable encounter UUID for a patient's visit."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"b12-dashboard/sample/{patient.key}/{synthea_time(when)}"))


def write_loinc_observations(folder: Path, truth: Truth, draws: list[Draw]) -> None:
    """loinc_observations.csv in the layout of Synthea's observations.csv."""
    name = "loinc_observations.csv"
    rows = [["DATE", "PATIENT", "ENCOUNTER", "CATEGORY", "CODE", "DESCRIPTION", "VALUE", "UNITS", "TYPE"]]
    for row_number, draw in enumerate(draws, start=1):
        fmt = LOINC_FORMATS[draw.test]
        rep = report(draw, fmt, flags=("", ""))
        category = "vital-signs" if draw.test in VITAL_SIGNS else "laboratory"
        rows.append([synthea_time(draw.when), draw.patient.patient_id, encounter_id(draw.patient, draw.when),
                     category, fmt.code, fmt.name, rep.text, fmt.unit, "numeric"])
        truth.record(name, row_number, draw.patient.patient_id, draw.when, fmt, rep)
    write_csv(folder / name, rows)


# --- injection records ---------------------------------------------------------------------------------

def dates_from(start: dt.date, offsets: list[int]) -> list[dt.date]:
    """Dates at the given day offsets from ``start``."""
    return [start + dt.timedelta(days=d) for d in offsets]


def mon_wed_fri(start: dt.date, weeks: int) -> list[dt.date]:
    """Monday, Wednesday and Friday of each week from a Monday: "alternate days" as a clinic books them."""
    return [start + dt.timedelta(days=7 * w + d) for w in range(weeks) for d in (0, 2, 4)]


def write_us_injections(folder: Path, rng: np.random.Generator) -> None:
    """us_injections.csv: cyanocobalamin 1000 mcg IM, daily x7, weekly x4, then monthly.

    MISSED-LOADING misses 3 daily doses and 1 weekly dose and has one monthly dose 3 weeks late;
    IRON-DEF gets every dose (the Memorial Day dose on the next day).
    """
    s3 = MISSED_LOADING.start
    missed = [
        *dates_from(s3, [0, 1, 3, 6, 14, 28, 35]),  # daily: days 2, 4, 5 missed; weekly: day 21 missed
        dt.date(2024, 5, 6), dt.date(2024, 6, 6), dt.date(2024, 7, 8),
        dt.date(2024, 8, 27),  # planned 6 Aug 2024: given 3 weeks late
        dt.date(2024, 9, 24), dt.date(2024, 10, 24), dt.date(2024, 11, 25), dt.date(2024, 12, 23),
        dt.date(2025, 1, 23), dt.date(2025, 2, 24)]
    s4 = IRON_DEF.start
    full = [
        *dates_from(s4, [0, 1, 2, 3, 4, 5, 6, 15, 21, 28, 35]),  # day 14 was Memorial Day: given on day 15
        dt.date(2024, 7, 15), dt.date(2024, 8, 15), dt.date(2024, 9, 16), dt.date(2024, 10, 15),
        dt.date(2024, 11, 15), dt.date(2024, 12, 16), dt.date(2025, 1, 15), dt.date(2025, 2, 14),
        dt.date(2025, 3, 14), dt.date(2025, 4, 15), dt.date(2025, 5, 15)]
    records = []
    for patient, dates in ((MISSED_LOADING, missed), (IRON_DEF, full)):
        for date in dates:
            minutes = int(rng.integers(10 * 12, 16 * 12)) * 5
            when = dt.datetime(date.year, date.month, date.day, minutes // 60, minutes % 60)
            records.append((when, patient.patient_id))
    lots: dict[str, str] = {}
    rows = [["Patient ID", "Administration Date", "Medication", "Dose", "Dose Unit", "Route", "Lot Number"]]
    for when, patient_id in sorted(records):
        month = when.strftime("%Y-%m")
        if month not in lots:
            lots[month] = f"{when:%y}{'ABCDEFGHJKLM'[when.month - 1]}{int(rng.integers(100, 999))}"
        rows.append([patient_id, us_date(when), "Cyanocobalamin 1000 mcg/mL injection", "1000", "mcg", "IM",
                     lots[month]])
    write_csv(folder / "us_injections.csv", rows, line_end="\r\n")


def write_uk_injections(folder: Path, rng: np.random.Generator) -> None:
    """uk_injections.xlsx: PA-NEURO's clinic sheet, alternate days (Mon/Wed/Fri) for 10 weeks, then 2-monthly."""
    loading = mon_wed_fri(PA_NEURO.start, 10)
    maintenance = [dt.date(2024, 5, 13), dt.date(2024, 7, 15), dt.date(2024, 9, 16), dt.date(2024, 11, 18),
                   dt.date(2025, 1, 13)]
    nurses = ("RN S. Patel", "RN K. Murray", "HCA L. Evans")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "B12 injections"
    sheet.append(["Date", "Drug", "Dose", "Route", "Batch", "Given by"])
    batch = ""
    for number, date in enumerate(loading + maintenance):
        if number % 10 == 0:
            batch = f"HX{int(rng.integers(1000, 9999))}{'ABCDEFGH'[int(rng.integers(0, 8))]}"
        sheet.append([date, "Hydroxocobalamin 1mg/1ml", "1 mg", "IM", batch, nurses[int(rng.integers(0, 3))]])
        sheet.cell(row=sheet.max_row, column=1).number_format = "DD/MM/YYYY"
    save_workbook(workbook, folder / "uk_injections.xlsx", dt.datetime(2025, 1, 14, 9, 0, 0))


def write_eu_injections(folder: Path, rng: np.random.Generator) -> None:
    """eu_injections.csv: DIET-ORAL's record, IM loading then daily oral tablets with a few missed days."""
    start = DIET_ORAL.start
    rows = [["Datum", "Präparat", "Dosis", "Einheit", "Applikation"]]
    for date in dates_from(start, [0, 2, 4, 7, 9, 11, 63]):
        rows.append([date.strftime("%d.%m.%Y"), "Hydroxocobalamin 1 mg/ml", "1", "ml", "i.m."])
    oral_start, oral_end = dt.date(2023, 12, 11), start + dt.timedelta(days=366)
    for offset in range((oral_end - oral_start).days + 1):
        date = oral_start + dt.timedelta(days=offset)
        if rng.random() < 0.03:  # a forgotten tablet now and then
            continue
        rows.append([date.strftime("%d.%m.%Y"), "Cyanocobalamin 1000 µg Tabletten", "1000", "µg", "oral"])
    write_csv(folder / "eu_injections.csv", rows, delimiter=";", encoding="latin-1", line_end="\r\n")


# RxNorm 317106: the rxcui openFDA lists for hydroxocobalamin 1000 ug/mL injection (NDC 0591-2888).
HYDROXOCOBALAMIN_RXNORM = "317106"


def write_loinc_medications(folder: Path) -> None:
    """loinc_medication_administrations.csv: RELAPSE's injections in 2023-2024 and the 2025 restart."""
    s = RELAPSE.start
    maintenance = [dt.date(2023, 4, 24), dt.date(2023, 7, 24), dt.date(2023, 10, 23), dt.date(2024, 1, 22),
                   dt.date(2024, 4, 22)]  # the last one: maintenance stopped after it
    dates = [*mon_wed_fri(s, 2), *maintenance, *mon_wed_fri(s + dt.timedelta(days=RELAPSE_RESTART), 2)]
    rows = [["DATE", "PATIENT", "ENCOUNTER", "CODE", "DESCRIPTION", "DOSE", "DOSE_UNIT", "ROUTE"]]
    for date in dates:
        when = dt.datetime(date.year, date.month, date.day, 11, 30)
        rows.append([synthea_time(when), RELAPSE.patient_id, encounter_id(RELAPSE, when), HYDROXOCOBALAMIN_RXNORM,
                     "Hydroxocobalamin 1 MG/ML Injectable Solution", "1", "mL", "IM"])
    write_csv(folder / "loinc_medication_administrations.csv", rows)


# --- main --------------------------------------------------------------------------------------------------

def generate(root: Path) -> None:
    """Write every sample file under ``root/data/sample`` and the truth under ``root/tests/fixtures``."""
    samples = root / SAMPLE_DIR
    samples.mkdir(parents=True, exist_ok=True)
    draws = {p.key: draw_results(p, np.random.default_rng([SEED, i])) for i, p in enumerate(PATIENTS)}
    truth = Truth()
    write_us_labs(samples, truth, draws["MISSED-LOADING"] + draws["IRON-DEF"])
    write_uk_labs(samples, truth, draws["PA-NEURO"], np.random.default_rng([SEED, 100]))
    write_eu_labs(samples, truth, draws["DIET-ORAL"])
    write_loinc_observations(samples, truth, draws["RELAPSE"])
    write_us_injections(samples, np.random.default_rng([SEED, 200]))
    write_uk_injections(samples, np.random.default_rng([SEED, 201]))
    write_eu_injections(samples, np.random.default_rng([SEED, 202]))
    write_loinc_medications(samples)
    truth.write(root / TRUTH_DIR)


def main() -> None:
    """Command line: ``generate.py [--out ROOT]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT,
                        help="root to write under (default: this repository)")
    generate(parser.parse_args().out)


if __name__ == "__main__":
    main()
