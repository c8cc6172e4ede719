"""Loading and maintenance phases detected from the doses actually given.

Expected phases come from the sample patients' stories (data/sample/README.md) and, for hand-built tables,
from the rules in b12core/phases.py's docstring with the thresholds of b12core/reference/thresholds.csv:
gaps of at most 20 days are loading, a gap over 1.5 times the usual one is late, no dose for over 2.5 times
the maintenance interval means the course stopped. Dates are compared as calendar days.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from b12core import read_file
from b12core.doses import import_doses, injections
from b12core.phases import PhaseOverride, detect_phases
from tests.conftest import SAMPLE

D = pd.Timestamp
NO_ID = "(no id in file)"
RELAPSE = "6227c571-2389-5f74-9ac0-aa4bb9307874"


@cache
def sample_doses(filename: str) -> pd.DataFrame:
    return import_doses(read_file((SAMPLE / filename).read_bytes(), filename)).doses


def rows(patient: str, when: list[str], route: str = "IM") -> pd.DataFrame:
    """Doses of one patient; a date without a time is given at 10:00."""
    stamps = [D(w) if " " in w else D(w) + pd.Timedelta(hours=10) for w in when]
    return pd.DataFrame({"patient_id": patient, "administered_at": pd.to_datetime(stamps),
                         "product": "hydroxocobalamin" if route != "oral" else "cyanocobalamin",
                         "dose_ug": 1000.0, "route": route})


def table(*parts: pd.DataFrame) -> pd.DataFrame:
    """Parts in the order given, numbered 1.. as ``source_row`` (as an import would)."""
    frame = pd.concat(parts, ignore_index=True)
    return frame.assign(source_file="hand.csv", source_row=np.arange(1, len(frame) + 1))


def phase_list(result, patient: str | None = None) -> list[tuple]:
    """(patient, course, phase, start day, end day, doses) of every phase (of one patient)."""
    p = result.phases if patient is None else result.phases[result.phases["patient_id"] == patient]
    return [(r.patient_id, r.course, r.phase, r.start.strftime("%Y-%m-%d"), r.end.strftime("%Y-%m-%d"), r.doses)
            for r in p.itertuples()]


def gap_list(result) -> list[tuple]:
    """(patient, after day, before day, flag) of every flagged gap."""
    return [(r.patient_id, r.after.strftime("%Y-%m-%d"), r.before.strftime("%Y-%m-%d"), r.flag)
            for r in result.gaps.itertuples()]


def transition_list(result) -> list[tuple]:
    return [(r.patient_id, r.date.strftime("%Y-%m-%d"), r.phase, r.course)
            for r in result.transitions().itertuples()]


def mwf(first_monday: str, weeks: int) -> list[str]:
    """Monday/Wednesday/Friday doses for ``weeks`` weeks (3 times a week, or alternate days as booked)."""
    start = D(first_monday)
    return [(start + pd.Timedelta(days=7 * w + d)).strftime("%Y-%m-%d") for w in range(weeks) for d in (0, 2, 4)]


def every(first: str, count: int, step_days: int) -> list[str]:
    return [(D(first) + pd.Timedelta(days=step_days * i)).strftime("%Y-%m-%d") for i in range(count)]


# --- the sample injection records ---------------------------------------------------------------

SAMPLE_PHASES = {
    # MISSED-LOADING: daily x7 from 4 Mar 2024 with 3 missed (4 given), weekly with 25 Mar missed (3 given):
    # 7 loading doses to 8 Apr; monthly from 6 May 2024 to 24 Feb 2025 (10 doses).
    # IRON-DEF: the full schedule from 13 May 2024: daily x7, weekly x4 (to 17 Jun), monthly 15 Jul 2024 -
    # 15 May 2025 (11 doses).
    "us_injections.csv": [
        ("MRN004417", 1, "loading", "2024-03-04", "2024-04-08", 7),
        ("MRN004417", 1, "maintenance", "2024-05-06", "2025-02-24", 10),
        ("MRN007731", 1, "loading", "2024-05-13", "2024-06-17", 11),
        ("MRN007731", 1, "maintenance", "2024-07-15", "2025-05-15", 11),
    ],
    # PA-NEURO: alternate days (booked Mon/Wed/Fri) from 8 Jan 2024 for 10 weeks = 30 doses (to 15 Mar), then
    # every 2 months: May, Jul, Sep, Nov 2024 and Jan 2025.
    "uk_injections.xlsx": [
        (NO_ID, 1, "loading", "2024-01-08", "2024-03-15", 30),
        (NO_ID, 1, "maintenance", "2024-05-13", "2025-01-13", 5),
    ],
    # DIET-ORAL: 3 times a week for 2 weeks from 11 Sep 2023, one maintenance injection on 13 Nov 2023; the
    # daily tablets from 11 Dec 2023 are oral and make no phase.
    "eu_injections.csv": [
        (NO_ID, 1, "loading", "2023-09-11", "2023-09-22", 6),
        (NO_ID, 1, "maintenance", "2023-11-13", "2023-11-13", 1),
    ],
    # RELAPSE: 3 times a week for 2 weeks from 16 Jan 2023, every 3 months to 22 Apr 2024, none after that
    # (stopped), loading again from 13 Oct 2025.
    "loinc_medication_administrations.csv": [
        (RELAPSE, 1, "loading", "2023-01-16", "2023-01-27", 6),
        (RELAPSE, 1, "maintenance", "2023-04-24", "2024-04-22", 5),
        (RELAPSE, 2, "loading", "2025-10-13", "2025-10-24", 6),
    ],
}

SAMPLE_GAPS = {
    # the missed weekly dose (18 Mar -> 1 Apr, 14 days against 7-8) and the August dose 3 weeks late
    # (8 Jul -> 27 Aug, 50 days against about a month); the Memorial Day dose a day late is not flagged
    "us_injections.csv": [("MRN004417", "2024-03-18", "2024-04-01", "late"),
                          ("MRN004417", "2024-07-08", "2024-08-27", "late")],
    "uk_injections.xlsx": [],
    "eu_injections.csv": [],
    "loinc_medication_administrations.csv": [(RELAPSE, "2024-04-22", "2025-10-13", "stopped")],
}

SAMPLE_TRANSITIONS = {
    "us_injections.csv": [("MRN004417", "2024-05-06", "maintenance", 1),
                          ("MRN007731", "2024-07-15", "maintenance", 1)],
    "uk_injections.xlsx": [(NO_ID, "2024-05-13", "maintenance", 1)],
    "eu_injections.csv": [(NO_ID, "2023-11-13", "maintenance", 1)],
    "loinc_medication_administrations.csv": [(RELAPSE, "2023-04-24", "maintenance", 1),
                                             (RELAPSE, "2025-10-13", "loading", 2)],
}


@pytest.mark.parametrize("filename", list(SAMPLE_PHASES))
def test_sample_phases_follow_the_story(filename):
    assert phase_list(detect_phases(sample_doses(filename))) == SAMPLE_PHASES[filename]


@pytest.mark.parametrize("filename", list(SAMPLE_GAPS))
def test_sample_flagged_gaps(filename):
    assert gap_list(detect_phases(sample_doses(filename))) == SAMPLE_GAPS[filename]


@pytest.mark.parametrize("filename", list(SAMPLE_TRANSITIONS))
def test_sample_transitions(filename):
    assert transition_list(detect_phases(sample_doses(filename))) == SAMPLE_TRANSITIONS[filename]


@pytest.mark.parametrize("filename,intervals", [
    ("uk_injections.xlsx", [2.0, 63.0]),  # Mon/Wed/Fri: gaps 2, 2, 3 (median 2); 13 May, 15 Jul, ... 63 days
    ("loinc_medication_administrations.csv", [2.0, 91.0, 2.0]),  # every 3 months: 91-day gaps
])
def test_sample_usual_intervals(filename, intervals):
    assert detect_phases(sample_doses(filename)).phases["interval_days"].tolist() == intervals


def test_oral_doses_stay_oral_and_make_no_phase():
    d = sample_doses("eu_injections.csv")
    result = detect_phases(d)
    oral = result.doses[result.doses["route"] == "oral"]
    assert len(oral) == 264 and set(oral["phase"]) == {"oral"}
    injected = result.doses[result.doses["route"] != "oral"]
    assert len(injected) == 7 and set(injected["phase"]) == {"loading", "maintenance"}
    assert "oral" not in set(result.phases["phase"])
    assert result.phases["end"].max() == D("2023-11-13")  # the tablets do not extend the maintenance phase
    assert result.gaps.empty  # switching to tablets is not a stopped course


def test_relapse_patient_stops_and_restarts_with_loading():
    result = detect_phases(sample_doses("loinc_medication_administrations.csv"))
    (stop,) = result.gaps.itertuples()
    assert stop.flag == "stopped" and stop.days == pytest.approx(539)  # 22 Apr 2024 -> 13 Oct 2025
    second = result.phases[result.phases["course"] == 2]
    assert second["phase"].iloc[0] == "loading"
    doses = result.doses.sort_values("administered_at")
    assert doses["course"].tolist() == [1] * 11 + [2] * 6


# --- hand-built edge cases ----------------------------------------------------------------------


def test_one_dose_is_the_start_of_loading():
    result = detect_phases(table(rows("p1", ["2024-03-04"])))
    assert phase_list(result) == [("p1", 1, "loading", "2024-03-04", "2024-03-04", 1)]
    assert np.isnan(result.phases["interval_days"].iat[0])
    assert result.gaps.empty and result.transitions().empty


def test_maintenance_only_from_the_start():
    # a record that begins in maintenance: doses 3 calendar months apart (gaps 91, 91, 92 days)
    result = detect_phases(table(rows("p1", ["2024-01-15", "2024-04-15", "2024-07-15", "2024-10-15"])))
    assert phase_list(result) == [("p1", 1, "maintenance", "2024-01-15", "2024-10-15", 4)]
    assert result.phases["interval_days"].tolist() == [91.0]
    assert result.gaps.empty and result.transitions().empty


RESTART = ["2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-19",
           "2024-04-19", "2024-07-19",  # every 3 months, then nothing for 318 days (> 2.5 x 91)
           "2025-06-02", "2025-06-04", "2025-06-06", "2025-06-09", "2025-06-11", "2025-06-13",
           "2025-09-13"]
RESTART_PHASES = [
    ("p1", 1, "loading", "2024-01-08", "2024-01-19", 6),
    ("p1", 1, "maintenance", "2024-04-19", "2024-07-19", 2),
    ("p1", 2, "loading", "2025-06-02", "2025-06-13", 6),
    ("p1", 2, "maintenance", "2025-09-13", "2025-09-13", 1),
]


def test_restart_after_stopping_is_a_new_course_with_loading():
    result = detect_phases(table(rows("p1", RESTART)))
    assert phase_list(result) == RESTART_PHASES
    assert gap_list(result) == [("p1", "2024-07-19", "2025-06-02", "stopped")]
    assert result.gaps["days"].tolist() == [318.0]
    assert transition_list(result) == [("p1", "2024-04-19", "maintenance", 1), ("p1", "2025-06-02", "loading", 2),
                                       ("p1", "2025-09-13", "maintenance", 2)]


@pytest.mark.parametrize("when,expected", [
    # a loading dose recorded twice on 10 Jan (at different times, or the very same time)
    (["2024-01-08", "2024-01-10 09:00", "2024-01-10 16:00", "2024-01-12", "2024-01-15", "2024-01-17",
      "2024-01-19", "2024-04-19"],
     [("p1", 1, "loading", "2024-01-08", "2024-01-19", 7), ("p1", 1, "maintenance", "2024-04-19", "2024-04-19", 1)]),
    (["2024-01-08", "2024-01-10 10:00", "2024-01-10 10:00", "2024-01-12", "2024-01-15", "2024-01-17",
      "2024-01-19", "2024-04-19"],
     [("p1", 1, "loading", "2024-01-08", "2024-01-19", 7), ("p1", 1, "maintenance", "2024-04-19", "2024-04-19", 1)]),
    # two doses on one maintenance day stay maintenance (one extra dose is not a new loading phase)
    (["2024-01-15", "2024-04-15", "2024-04-15 15:00", "2024-07-15"],
     [("p1", 1, "maintenance", "2024-01-15", "2024-07-15", 4)]),
])
def test_two_doses_on_one_day_are_both_kept_in_their_phase(when, expected):
    result = detect_phases(table(rows("p1", when)))
    assert phase_list(result) == expected
    assert len(result.doses) == len(when)


@pytest.mark.parametrize("second", ["2024-01-10 16:00", "2024-01-10 09:00"])
def test_two_doses_on_one_day_do_not_make_a_late_gap(second):
    # Every dose is on its Mon/Wed/Fri day; the 10 Jan dose is recorded twice. No dose was late or missed.
    when = ["2024-01-08", "2024-01-10 09:00", second, "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-19",
            "2024-04-19"]
    assert detect_phases(table(rows("p1", when))).gaps.empty


def test_unsorted_rows_give_the_same_phases():
    ordered = table(rows("p1", RESTART))
    shuffled = ordered.iloc[[7, 0, 14, 3, 11, 1, 9, 5, 12, 2, 8, 13, 4, 10, 6]]
    result = detect_phases(shuffled)
    assert phase_list(result) == RESTART_PHASES
    assert gap_list(result) == [("p1", "2024-07-19", "2025-06-02", "stopped")]
    assert result.doses["administered_at"].is_monotonic_increasing
    assert result.doses["source_row"].tolist() == list(range(1, 16))  # sorted back into date order


def interleaved() -> pd.DataFrame:
    a = rows("A", [*mwf("2024-01-08", 2), "2024-04-19"])
    b = rows("B", [*every("2024-01-09", 8, 7), "2024-03-27", "2024-04-27"])  # weekly x8 to 27 Feb, then monthly
    c = rows("C", every("2024-01-08", 20, 1), route="oral")  # tablets only
    mixed = pd.concat([a, b, c], ignore_index=True).sort_values("administered_at", kind="stable")
    return table(mixed)


def test_several_patients_interleaved_are_segmented_each_on_their_own():
    d = interleaved()
    result = detect_phases(d)
    assert phase_list(result) == [
        ("A", 1, "loading", "2024-01-08", "2024-01-19", 6),
        ("A", 1, "maintenance", "2024-04-19", "2024-04-19", 1),
        ("B", 1, "loading", "2024-01-09", "2024-02-27", 8),
        ("B", 1, "maintenance", "2024-03-27", "2024-04-27", 2),
    ]
    assert result.gaps.empty
    assert transition_list(result) == [("A", "2024-04-19", "maintenance", 1), ("B", "2024-03-27", "maintenance", 1)]
    for patient in ("A", "B"):
        alone = detect_phases(d[d["patient_id"] == patient])
        assert phase_list(alone) == phase_list(result, patient)
    assert set(result.doses.loc[result.doses["patient_id"] == "C", "phase"]) == {"oral"}


@pytest.mark.parametrize("when,late_gap,days,last_loading", [
    # weekly loading (CDC): the 4th dose 5 days late (12 days after the 3rd)
    ([*every("2024-03-04", 3, 7), *every("2024-03-30", 5, 7), "2024-05-27", "2024-06-27"],
     ("2024-03-18", "2024-03-30"), 12, "2024-04-27"),
    # weekly loading with one dose missed (14 days)
    ([*every("2024-03-04", 3, 7), *every("2024-04-01", 4, 7), "2024-05-22", "2024-06-22"],
     ("2024-03-18", "2024-04-01"), 14, "2024-04-22"),
    # daily x7, then the first weekly dose 5 days late (12 days after the last daily one)
    ([*every("2024-03-04", 7, 1), *every("2024-03-22", 4, 7), "2024-05-12", "2024-06-12"],
     ("2024-03-10", "2024-03-22"), 12, "2024-04-12"),
    # daily x7, weekly, the last weekly dose 5 days late, then monthly
    ([*every("2024-03-04", 7, 1), *every("2024-03-17", 3, 7), "2024-04-12", "2024-05-12", "2024-06-12"],
     ("2024-03-31", "2024-04-12"), 12, "2024-04-12"),
])
def test_a_late_weekly_loading_dose_is_flagged_late(when, late_gap, days, last_loading):
    result = detect_phases(table(rows("p1", when)))
    assert gap_list(result) == [("p1", *late_gap, "late")]
    assert result.gaps["days"].tolist() == [days]
    assert result.gaps["usual_days"].tolist() == [7.0]  # the weekly pace around it
    # the late dose is still loading: one loading phase up to the last weekly dose, then maintenance
    loading, maintenance = phase_list(result)
    assert loading[2:5] == ("loading", when[0], last_loading) and maintenance[2] == "maintenance"


# Booked Mon/Wed/Fri for 4 weeks (8 Jan - 2 Feb 2024, 12 doses), weekly 9, 16, 23 Feb, then every 2 months.
OVERRIDE_DOSES = [*mwf("2024-01-08", 4), "2024-02-09", "2024-02-16", "2024-02-23", "2024-04-23", "2024-06-23"]


@pytest.mark.parametrize("overrides,expected", [
    # detected: every gap up to 23 Feb is at most 7 days, so the weekly doses are still loading
    ([], [("loading", "2024-01-08", "2024-02-23", 15), ("maintenance", "2024-04-23", "2024-06-23", 2)]),
    # the clinician: maintenance from 6 Feb (the weekly doses are maintenance); the boundary moves earlier
    ([PhaseOverride("p1", D("2024-02-06"), "maintenance")],
     [("loading", "2024-01-08", "2024-02-02", 12), ("maintenance", "2024-02-09", "2024-06-23", 5)]),
    # the clinician: the 23 Apr dose still ended loading, maintenance from 1 Jun; the boundary moves later
    ([PhaseOverride("p1", D("2024-04-23"), "loading"), PhaseOverride("p1", D("2024-06-01"), "maintenance")],
     [("loading", "2024-01-08", "2024-04-23", 16), ("maintenance", "2024-06-23", "2024-06-23", 1)]),
    # another patient's override changes nothing here
    ([PhaseOverride("p2", D("2024-02-06"), "maintenance")],
     [("loading", "2024-01-08", "2024-02-23", 15), ("maintenance", "2024-04-23", "2024-06-23", 2)]),
])
def test_a_clinicians_override_moves_the_loading_maintenance_boundary(overrides, expected):
    d = table(rows("p1", OVERRIDE_DOSES))
    result = detect_phases(d, overrides)
    assert [(phase, start, end, n) for _, _, phase, start, end, n in phase_list(result)] == expected
    assert transition_list(result) == [("p1", expected[1][1], "maintenance", 1)]
    assert (result.doses["phase"] == "loading").sum() == expected[0][3]
    assert set(result.doses["course"]) == {1}


@pytest.mark.parametrize("route", ["nasal", "unknown"])
def test_a_dose_that_is_not_oral_is_not_labelled_oral(route):
    d = table(rows("p1", mwf("2024-01-08", 2)), rows("p1", ["2024-02-01"], route=route))
    result = detect_phases(d)
    other = result.doses[result.doses["route"] == route]
    assert len(other) == 1 and other["phase"].iat[0] not in ("oral", "loading", "maintenance")
    assert phase_list(result) == [("p1", 1, "loading", "2024-01-08", "2024-01-19", 6)]


# --- every dose accounted for -------------------------------------------------------------------

HAND_BUILT = {
    "one dose": lambda: table(rows("p1", ["2024-03-04"])),
    "maintenance only": lambda: table(rows("p1", ["2024-01-15", "2024-04-15", "2024-07-15", "2024-10-15"])),
    "restart": lambda: table(rows("p1", RESTART)),
    "two on one day": lambda: table(rows("p1", ["2024-01-08", "2024-01-10 10:00", "2024-01-10 10:00",
                                                "2024-01-12", "2024-04-12"])),
    "unsorted": lambda: table(rows("p1", RESTART)).iloc[::-1],
    "interleaved with oral": interleaved,
    "oral only": lambda: table(rows("p1", every("2024-01-01", 10, 1), route="oral")),
    "override": lambda: table(rows("p1", OVERRIDE_DOSES)),
}


@pytest.mark.parametrize("name", [*HAND_BUILT, *SAMPLE_PHASES])
def test_no_dose_is_lost_or_duplicated(name):
    d = HAND_BUILT[name]() if name in HAND_BUILT else sample_doses(name)
    before = d.copy()
    result = detect_phases(d, [PhaseOverride("p1", D("2024-02-06"), "maintenance")] if name == "override" else ())
    assert len(result.doses) == len(d)
    assert sorted(result.doses["source_row"]) == sorted(d["source_row"])
    assert int(result.phases["doses"].sum()) == len(injections(d))
    # every injection is in a phase, every other dose is not
    injected = result.doses.index.isin(injections(result.doses).index)
    assert result.doses.loc[injected, "phase"].isin(["loading", "maintenance"]).all()
    assert not result.doses.loc[~injected, "phase"].isin(["loading", "maintenance"]).any()
    pd.testing.assert_frame_equal(d, before)  # the input is not changed
