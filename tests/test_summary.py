"""The follow-up summary (status, last and next dose, markers, prompts) and why results are left off.

Inputs are the bundled sample patients (data/sample/README.md) and small literal files imported
through ``build_workspace``, as the app does. Dates in expected texts are counted as calendar days.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from b12core.display import ViewSettings
from b12core.sample import sample_files
from b12core.summary import follow_up, left_off
from b12core.workspace import PatientView, PlanChoice, Workspace, build_workspace, latest_record, patient_view

D = pd.Timestamp
UK = "943 476 5919"  # PA-NEURO: loading 8 Jan-15 Mar 2024, maintenance every 2 months to 13 Jan 2025
EU = "0004711"  # DIET-ORAL: injections from Sep 2023, oral from 11 Dec 2023
US = "MRN004417"  # MISSED-LOADING: monthly injections, the last on 24 Feb 2025
HYDROXO = "Hydroxocobalamin 1mg/1ml,1 mg,IM"
MARKER_COLUMNS = ["Marker", "Baseline", "Latest", "Change", "In range", "Trend", "Latest on"]


def doses_csv(*rows: str) -> tuple[str, bytes]:
    """A dose record of patient P1: rows of ``date,product,dose,route``."""
    return "doses.csv", ("Patient ID,Date,Drug,Dose,Route\n" + "".join(f"P1,{r}\n" for r in rows)).encode()


def labs_csv(*rows: str, name: str = "labs.csv") -> tuple[str, bytes]:
    """A long lab export of patient P1: rows of ``date,test,result,unit``."""
    return name, ("Patient ID,Collection Date,Test Name,Result,Units\n" + "".join(f"P1,{r}\n" for r in rows)).encode()


@cache
def sample_workspace(*names: str) -> Workspace:
    return build_workspace(sample_files(names) if names else sample_files())


def view_of(ws: Workspace, patient: str, as_of: str | pd.Timestamp, plan: PlanChoice | None = None) -> PatientView:
    return patient_view(ws, patient, plan, as_of=as_of)


def uk_view(as_of: str = "2025-01-13", plan: PlanChoice | None = None) -> PatientView:
    return view_of(sample_workspace(), UK, as_of, plan)


def marker(follow, label: str) -> dict:
    rows = follow.markers[follow.markers["Marker"] == label]
    assert len(rows) == 1, list(follow.markers["Marker"])
    return rows.iloc[0].to_dict()


# --- status --------------------------------------------------------------------------------------

LOADING = doses_csv(f"2024-01-08,{HYDROXO}", f"2024-01-10,{HYDROXO}", f"2024-01-12,{HYDROXO}",
                    f"2024-01-15,{HYDROXO}")


@pytest.mark.parametrize(("as_of", "status", "next_dose"), [
    ("2024-01-16", "Loading since 08 Jan 2024 (course 1)", "about 17 Jan 2024 (usual interval 2 days)"),
    ("2024-01-17", "Loading since 08 Jan 2024 (course 1)", "about 17 Jan 2024 (usual interval 2 days)"),
    ("2024-01-20", "Loading since 08 Jan 2024 (course 1)", "about 17 Jan 2024 (usual interval 2 days): overdue"),
])
def test_loading(as_of, status, next_dose):
    follow = follow_up(view_of(build_workspace([LOADING]), "P1", as_of))
    assert (follow.status, follow.last_dose, follow.next_dose) == (
        status, "15 Jan 2024: hydroxocobalamin 1 mg IM", next_dose)


@pytest.mark.parametrize(("as_of", "next_dose"), [
    ("2025-01-13", "about 17 Mar 2025 (usual interval 63 days)"),
    ("2025-03-17", "about 17 Mar 2025 (usual interval 63 days)"),
    ("2025-03-20", "about 17 Mar 2025 (usual interval 63 days): overdue"),
])
def test_maintenance(as_of, next_dose):
    follow = follow_up(uk_view(as_of))
    assert follow.status == "Maintenance since 13 May 2024 (course 1)"
    assert follow.last_dose == "13 Jan 2025: hydroxocobalamin 1 mg IM"
    assert follow.next_dose == next_dose


def test_stopped():
    follow = follow_up(uk_view("2026-01-01"))  # 353 days > 2.5 x the 63-day interval
    assert follow.status == "Stopped: no injection since 13 Jan 2025 (353 days)"
    assert follow.next_dose == "not known"


def test_stopped_counts_calendar_days_like_the_review_prompt():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    view = view_of(ws, US, latest_record(ws))
    assert view.as_of == D("2025-05-15")
    follow = follow_up(view)
    assert follow.status == "Stopped: no injection since 24 Feb 2025 (80 days)"
    stopped = follow.prompts[follow.prompts["Rule"] == "course_stopped"]["Review"].iloc[0]
    assert "80 days" in stopped


def test_oral_after_injections():
    ws = sample_workspace("eu_semicolon_labs.csv", "eu_injections.csv")
    follow = follow_up(view_of(ws, EU, latest_record(ws)))
    assert follow.status == "On oral B12 since 11 Dec 2023 (after injections)"
    assert follow.last_dose.endswith(": cyanocobalamin 1 mg oral")
    assert follow.next_dose == "not known"


def test_oral_only():
    ws = build_workspace([doses_csv("2024-01-08,Cyanocobalamin 1000 microgram tablets,1000 mcg,oral",
                                    "2024-01-09,Cyanocobalamin 1000 microgram tablets,1000 mcg,oral")])
    follow = follow_up(view_of(ws, "P1", "2024-01-10"))
    assert (follow.status, follow.last_dose, follow.next_dose) == (
        "On oral B12", "09 Jan 2024: cyanocobalamin 1 mg oral", "not known")


def test_no_doses():
    ws = build_workspace([labs_csv("2024-01-05,Hemoglobin,90,g/L")])
    follow = follow_up(view_of(ws, "P1", "2024-02-01"))
    assert (follow.status, follow.last_dose, follow.next_dose) == ("No doses recorded", "none recorded", "not known")
    assert follow.adherence == []


def test_small_doses_are_given_in_micrograms():
    ws = build_workspace([doses_csv("2024-01-08,Cyanocobalamin 100 mcg/mL injection,100 mcg,IM")])
    assert follow_up(view_of(ws, "P1", "2024-01-10")).last_dose == "08 Jan 2024: cyanocobalamin 100 micrograms IM"


# --- the plan ------------------------------------------------------------------------------------

def test_next_dose_by_the_plan_and_adherence():
    follow = follow_up(uk_view("2025-01-13", PlanChoice("UK-BNF-neuro")))
    assert follow.next_dose == "13 Mar 2025 (by the plan)"
    assert follow.adherence == ["Loading: 7 of 7 due doses given (1 late, 0 missed)",
                                "Maintenance: 6 of 6 due doses given (1 late, 0 missed)",
                                "Longest gap between doses: 63 days"]


def test_next_dose_by_the_plan_is_overdue_once_the_plan_day_has_passed():
    follow = follow_up(uk_view("2025-03-15", PlanChoice("UK-BNF-neuro")))
    assert follow.next_dose == "13 Mar 2025 (by the plan): overdue"


# --- markers and prompts -------------------------------------------------------------------------

def test_markers_in_si_units():
    follow = follow_up(uk_view())
    assert list(follow.markers.columns) == MARKER_COLUMNS
    assert list(follow.markers["Marker"]) == [
        "Hemoglobin (g/L)", "MCV (fL)", "Vitamin B12 (pmol/L)", "Methylmalonic acid (nmol/L)",
        "Homocysteine (umol/L)", "Folate (serum) (nmol/L)", "Ferritin (ug/L)", "Reticulocytes (%)"]
    assert marker(follow, "Hemoglobin (g/L)") == {
        "Marker": "Hemoglobin (g/L)", "Baseline": "84", "Latest": "145", "Change": "+61", "In range": "yes",
        "Trend": "stable", "Latest on": "13 Jan 2025"}
    b12 = marker(follow, "Vitamin B12 (pmol/L)")
    assert (b12["Baseline"], b12["Latest"], b12["In range"], b12["Latest on"]) == ("72.3", ">1476", "no", "01 Apr 2024")


@pytest.mark.parametrize(("settings", "label", "baseline", "latest", "change"), [
    (ViewSettings(units="US"), "Hemoglobin (g/dL)", "8.4", "14.5", "+6.1"),
    (ViewSettings(units="US"), "Vitamin B12 (pg/mL)", "98", ">2000", "+1902"),  # as the UK lab reported it
    (ViewSettings(units="US"), "Folate (serum) (ng/mL)", "7.9", "6.9", "-1"),
    (ViewSettings(unit_overrides={"b12": "ng/L"}), "Vitamin B12 (ng/L)", "98", ">2000", "+1902"),
    (ViewSettings(units="US", unit_overrides={"hemoglobin": "g/L"}), "Hemoglobin (g/L)", "84", "145", "+61"),
])
def test_markers_in_display_units(settings, label, baseline, latest, change):
    row = marker(follow_up(uk_view(), settings), label)
    assert (row["Baseline"], row["Latest"], row["Change"]) == (baseline, latest, change)


def test_censored_latest_keeps_its_qualifier():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    follow = follow_up(view_of(ws, US, latest_record(ws)), ViewSettings(units="US"))
    assert marker(follow, "Folate (serum) (ng/mL)")["Latest"] == ">20"  # '>20.0' ng/mL in the file


def test_large_marker_values_are_shown_in_plain_digits():
    ws = build_workspace([labs_csv("2024-01-05,Ferritin,15000,ug/L")])
    assert marker(follow_up(view_of(ws, "P1", "2024-02-01")), "Ferritin (ug/L)")["Latest"] == "15000"


def test_prompts_table():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    follow = follow_up(view_of(ws, US, latest_record(ws)))
    assert list(follow.prompts.columns) == ["When", "Review", "Rule", "Source"]
    hb = follow.prompts[follow.prompts["Rule"] == "hb_not_normal"].iloc[0]
    assert hb["When"] == "13 May 2024"
    assert hb["Review"].startswith("Review: Hb is still below its reference range")
    assert hb["Source"]


def test_no_prompts_for_the_sample_patient():
    assert follow_up(uk_view()).prompts.empty


# --- left_off ------------------------------------------------------------------------------------

def test_nothing_left_off_the_sample_patient():
    assert left_off(sample_workspace(), uk_view(), ViewSettings()) == []


def test_rejected_rows_and_unknown_tests_are_counted():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    assert left_off(ws, view_of(ws, US, latest_record(ws)), ViewSettings()) == [
        # a QNS B12; Intrinsic Factor Ab
        "1 rejected row in the files (a reason each)", "3 results of tests not recognised in the files"]


def test_counts_are_plural_when_more_than_one():
    ws = build_workspace([labs_csv("2024-01-05,Hemoglobin,120,g/L", ",Hemoglobin,121,g/L",
                                   "2024-01-07,Hemoglobin,abc,g/L", "2024-01-06,Foo Test,1,g/L",
                                   "2024-01-06,Bar Test,2,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-02-01"), ViewSettings()) == [
        "2 rejected rows in the files (a reason each)", "2 results of tests not recognised in the files"]


def test_undated_results_are_counted():
    undated = ("nodate.csv", b"Patient ID,Test Name,Result,Units\nP1,Hemoglobin,120,g/L\nP1,MCV,91,fL\n")
    ws = build_workspace([undated, labs_csv("2024-01-05,Hemoglobin,100,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-02-01"), ViewSettings()) == ["2 results without a date"]


HB_SERIES = labs_csv("2024-01-05,Hemoglobin,100,g/L", "2024-02-05,Hemoglobin,110,g/L", "2024-03-05,Hemoglobin,120,g/L",
                     "2024-03-05,MCV,99,fL", "2024-03-05,Vitamin B12,300,pmol/L")


@pytest.mark.parametrize(("settings", "notes"), [
    (ViewSettings(start=D("2024-02-01")), ["1 outside the dates shown"]),
    (ViewSettings(end=D("2024-02-28")), ["3 outside the dates shown"]),
    (ViewSettings(start=D("2024-02-01"), end=D("2024-02-28")), ["4 outside the dates shown"]),
    (ViewSettings(start=D("2024-01-05"), end=D("2024-03-05")), []),  # both ends inclusive
    (ViewSettings(analytes=("hemoglobin",)), ["2 of markers not chosen"]),
    (ViewSettings(analytes=("hemoglobin", "mcv", "b12")), []),
])
def test_results_outside_the_dates_and_hidden_markers_are_counted(settings, notes):
    ws = build_workspace([HB_SERIES])
    assert left_off(ws, view_of(ws, "P1", "2024-04-01"), settings) == notes


def test_a_result_on_the_end_day_is_not_outside():
    ws = build_workspace([labs_csv("2024-03-18 08:45,Hemoglobin,100,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-04-01"), ViewSettings(end=D("2024-03-18"))) == []
