"""The follow-up summary (status, last and next dose, markers, prompts) and why results are left off.

Inputs are the bundled sample patients (data/sample/README.md) and small literal files imported
through ``build_workspace``, as the app does. Dates in expected texts are counted as calendar days.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache

import pandas as pd
import pytest
from markupsafe import escape

from b12core.display import ViewSettings
from b12core.reference import analyte_keys
from b12core.sample import sample_files
from b12core.summary import MARKERS_CLASS, follow_up, left_off, markers_html
from b12core.workspace import PatientView, PlanChoice, Workspace, build_workspace, latest_record, patient_view

D = pd.Timestamp
UK = "943 476 5919"  # PA-NEURO: loading 8 Jan-15 Mar 2024, maintenance every 2 months to 13 Jan 2025
EU = "0004711"  # DIET-ORAL: injections from Sep 2023, oral from 11 Dec 2023
US = "MRN004417"  # MISSED-LOADING: monthly injections, the last on 24 Feb 2025
HYDROXO = "Hydroxocobalamin 1mg/1ml,1 mg,IM"
MARKER_COLUMNS = ["Marker", "Baseline", "Latest", "Change", "In range", "Trend", "Latest on", "Baseline on",
                  "Short label", "Change note", "Baseline reading", "Reading note", "Choice note"]


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


FITTED_UK = "UK (BNF) hydroxocobalamin, no neurological involvement, the best fit to the doses"
FITTED_NEURO = "UK (BNF) hydroxocobalamin, neurological involvement, the best fit to the doses"


# Four doses 3 times a week from Mon 8 Jan fit the BNF loading (Mon/Wed/Fri x 6): the 5th is due Wed 17 Jan,
# and a dose of this interval is overdue a day after it was due (grace.csv).
@pytest.mark.parametrize(("as_of", "next_dose"), [
    ("2024-01-16", "17 Jan 2024"),
    ("2024-01-17", "17 Jan 2024"),
    ("2024-01-20", "overdue since 17 Jan 2024 (3 days)"),
])
def test_loading(as_of, next_dose):
    follow = follow_up(view_of(build_workspace([LOADING]), "P1", as_of))
    assert (follow.status, follow.last_dose, follow.next_dose) == (
        f"Loading since 08 Jan 2024: 4 of 6 doses given ({FITTED_UK})", "15 Jan 2024: hydroxocobalamin 1 mg IM",
        next_dose)
    assert follow.plan.startswith("No regimen chosen: the doses are compared with UK (BNF) hydroxocobalamin, no "
                                  "neurological involvement, the template that fits them best.")


# PA-NEURO: alternate days "until no further improvement", then every 2 months: the neurological template
# fits; the injection after the one of 13 Jan 2025 is due 13 Mar 2025.
@pytest.mark.parametrize(("as_of", "next_dose"), [
    ("2025-01-13", "13 Mar 2025"),
    ("2025-03-13", "13 Mar 2025"),
    ("2025-03-20", "overdue since 13 Mar 2025 (7 days)"),
    ("2025-04-01", "overdue since 13 Mar 2025 (19 days)"),  # missed (2 weeks' grace): due at once, not in May
])
def test_maintenance(as_of, next_dose):
    follow = follow_up(uk_view(as_of))
    assert follow.status == f"Maintenance every 2 months since 13 May 2024 ({FITTED_NEURO})"
    assert follow.last_dose == "13 Jan 2025: hydroxocobalamin 1 mg IM"
    assert follow.next_dose == next_dose


def test_stopped():
    follow = follow_up(uk_view("2026-01-01"))  # due 13 Mar and 13 May 2025, both missed, none since
    assert follow.status == (f"Stopped: no injection since 13 Jan 2025 (353 days); 2 planned doses missed "
                             f"({FITTED_NEURO})")
    assert follow.next_dose == "not known"


def test_stopped_counts_calendar_days_like_the_review_prompt():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    view = view_of(ws, US, latest_record(ws))
    assert view.as_of == D("2025-05-15")
    follow = follow_up(view)
    assert follow.status.startswith("Stopped: no injection since 24 Feb 2025 (80 days); 2 planned doses missed")
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
    assert (follow.status, follow.last_dose, follow.next_dose) == (
        "No doses in the files for this patient", "none recorded", "not known")
    assert follow.adherence == []


def test_small_doses_are_given_in_micrograms():
    ws = build_workspace([doses_csv("2024-01-08,Cyanocobalamin 100 mcg/mL injection,100 mcg,IM")])
    assert follow_up(view_of(ws, "P1", "2024-01-10")).last_dose == "08 Jan 2024: cyanocobalamin 100 micrograms IM"


# --- the plan ------------------------------------------------------------------------------------

def test_next_dose_by_the_plan_and_adherence():
    follow = follow_up(uk_view("2025-01-13", PlanChoice("UK-BNF-neuro")))
    assert follow.next_dose == "13 Mar 2025"
    assert follow.plan == "Plan: UK (BNF) hydroxocobalamin, neurological involvement."
    assert follow.adherence == ["Loading: 30 doses given (0 late), 0 missed",
                                "Maintenance: 5 doses given (0 late), 0 missed",
                                "Longest gap between injections: 63 days"]


def test_next_dose_by_the_plan_is_overdue_once_the_plan_day_has_passed():
    follow = follow_up(uk_view("2025-03-15", PlanChoice("UK-BNF-neuro")))
    assert follow.next_dose == "overdue since 13 Mar 2025 (2 days)"


# --- markers and prompts -------------------------------------------------------------------------

def test_markers_in_si_units():
    follow = follow_up(uk_view())
    assert list(follow.markers.columns) == MARKER_COLUMNS
    assert list(follow.markers["Marker"]) == [
        "Hemoglobin (g/L)", "MCV (fL)", "Vitamin B12 (pmol/L)", "Methylmalonic acid (nmol/L)",
        "Homocysteine (umol/L)", "Folate (serum) (nmol/L)", "Ferritin (ug/L)", "Reticulocytes (%)"]
    assert marker(follow, "Hemoglobin (g/L)") == {
        "Marker": "Hemoglobin (g/L)", "Baseline": "84", "Latest": "145", "Change": "+61", "In range": "yes",
        "Trend": "stable", "Latest on": "13 Jan 2025", "Baseline on": "05 Jan 2024", "Short label": "Hb (g/L)",
        "Change note": "", "Baseline reading": "", "Reading note": "", "Choice note": ""}
    b12 = marker(follow, "Vitamin B12 (pmol/L)")
    assert (b12["Baseline"], b12["Latest"], b12["In range"], b12["Latest on"]) == ("72", ">1476", "high", "01 Apr 2024")
    assert b12["Baseline reading"] == "deficiency confirmed"  # 98 ng/L before treatment, in the NICE NG239 bands
    assert b12["Reading note"].startswith("Bands: NICE NG239 (2024): serum vitamin B12 below 133 pmol/L")
    assert b12["Change"] == "> +1404"  # 1476 - 72: the latest is above what the test measures


@pytest.mark.parametrize(("settings", "label", "baseline", "latest", "change"), [
    (ViewSettings(units="US"), "Hemoglobin (g/dL)", "8.4", "14.5", "+6.1"),
    (ViewSettings(units="US"), "Vitamin B12 (pg/mL)", "98", ">2000", "> +1902"),  # as the UK lab reported it
    (ViewSettings(units="US"), "Folate (serum) (ng/mL)", "7.9", "6.9", "-1.0"),
    (ViewSettings(unit_overrides={"b12": "ng/L"}), "Vitamin B12 (ng/L)", "98", ">2000", "> +1902"),
    (ViewSettings(), "Folate (serum) (nmol/L)", "17.9", "15.6", "-2.3"),  # not 15.63 and -2.265
    (ViewSettings(), "Homocysteine (umol/L)", "42.0", "9.6", "-32.4"),
    (ViewSettings(units="US", unit_overrides={"mma": "umol/L"}), "Methylmalonic acid (umol/L)", "1.45", "0.14",
     "-1.31"),
    (ViewSettings(unit_overrides={"hemoglobin": "mmol/L"}), "Hemoglobin (mmol/L)", "5.2", "9.0", "+3.8"),
    (ViewSettings(units="US", unit_overrides={"hemoglobin": "g/L"}), "Hemoglobin (g/L)", "84", "145", "+61"),
])
def test_markers_in_display_units(settings, label, baseline, latest, change):
    row = marker(follow_up(uk_view(), settings), label)
    assert (row["Baseline"], row["Latest"], row["Change"]) == (baseline, latest, change)


def test_censored_latest_keeps_its_qualifier():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    follow = follow_up(view_of(ws, US, latest_record(ws)), ViewSettings(units="US"))
    assert marker(follow, "Folate (serum) (ng/mL)")["Latest"] == ">20.0"  # '>20.0' ng/mL in the file


def test_large_marker_values_are_shown_in_plain_digits():
    ws = build_workspace([labs_csv("2024-01-05,Ferritin,15000,ug/L")])
    assert marker(follow_up(view_of(ws, "P1", "2024-02-01")), "Ferritin (ug/L)")["Latest"] == "15000"


def test_prompts_table():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    follow = follow_up(view_of(ws, US, latest_record(ws)))
    assert list(follow.prompts.columns) == ["When", "Title", "Review", "Source", "Rule", "Severity"]
    assert set(follow.prompts["Severity"]) == {"review"}
    hb = follow.prompts[follow.prompts["Rule"] == "hb_not_normal"].iloc[0]
    assert hb["When"] == "13 May 2024"
    assert hb["Review"].startswith("Review: Hb is still below its reference range")
    assert hb["Source"] and hb["Title"] == "Hb still low"


def test_no_prompts_for_the_sample_patient():
    assert follow_up(uk_view()).prompts.empty


# --- left_off ------------------------------------------------------------------------------------

def test_nothing_left_off_the_sample_patient():
    assert left_off(sample_workspace(), uk_view(), ViewSettings()) == []


def test_rejected_rows_and_unknown_tests_are_counted():
    ws = sample_workspace("us_long_labs.csv", "us_injections.csv")
    assert left_off(ws, view_of(ws, US, latest_record(ws)), ViewSettings()) == [
        # a QNS B12 and a haemolysed potassium (tracked since issue 12); Intrinsic Factor Ab
        "2 rejected rows in the files (a reason each)", "3 results of tests not recognised in the files"]


def test_counts_are_plural_when_more_than_one():
    ws = build_workspace([labs_csv("2024-01-05,Hemoglobin,120,g/L", ",Hemoglobin,121,g/L",
                                   "2024-01-07,Hemoglobin,abc,g/L", "2024-01-06,Foo Test,1,g/L",
                                   "2024-01-06,Bar Test,2,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-02-01"), ViewSettings()) == [
        "2 rejected rows in the files (a reason each)", "2 results of tests not recognised in the files"]


def test_rejected_doses_are_counted_beside_the_results():
    """An injection record whose rows are all rejected (here: no dose column) is named on the
    Dashboard, not only on the import review: the figure says 'No doses' and this says why."""
    record = ("injections.csv", b"Given on,Medicine,Strength,Route\n2024-01-08,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
                                b"2024-01-10,Hydroxocobalamin 1mg/1ml,1 mg,IM\n")
    ws = build_workspace([labs_csv("2024-01-05,Hemoglobin,100,g/L"), record])
    assert left_off(ws, view_of(ws, "P1", "2024-02-01"), ViewSettings()) == [
        "2 rejected doses in the injection records (a reason each)"]


def test_undated_results_are_counted():
    undated = ("nodate.csv", b"Patient ID,Test Name,Result,Units\nP1,Hemoglobin,120,g/L\nP1,MCV,91,fL\n")
    ws = build_workspace([undated, labs_csv("2024-01-05,Hemoglobin,100,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-02-01"), ViewSettings()) == ["2 results without a date"]


HB_SERIES = labs_csv("2024-01-05,Hemoglobin,100,g/L", "2024-02-05,Hemoglobin,110,g/L", "2024-03-05,Hemoglobin,120,g/L",
                     "2024-03-05,MCV,99,fL", "2024-03-05,Vitamin B12,300,pmol/L")


@pytest.mark.parametrize(("settings", "notes"), [
    (ViewSettings(start=D("2024-02-01")), ["1 result outside the dates shown"]),
    (ViewSettings(end=D("2024-02-28")), ["3 results outside the dates shown"]),
    (ViewSettings(start=D("2024-02-01"), end=D("2024-02-28")), ["4 results outside the dates shown"]),
    (ViewSettings(start=D("2024-01-05"), end=D("2024-03-05")), []),  # both ends inclusive
    (ViewSettings(analytes=("hemoglobin",)), ["2 results of markers not chosen"]),
    (ViewSettings(analytes=("hemoglobin", "mcv")), ["1 result of markers not chosen"]),
    (ViewSettings(analytes=("hemoglobin", "mcv", "b12")), []),
])
def test_results_outside_the_dates_and_hidden_markers_are_counted(settings, notes):
    ws = build_workspace([HB_SERIES])
    assert left_off(ws, view_of(ws, "P1", "2024-04-01"), settings) == notes


def test_a_result_on_the_end_day_is_not_outside():
    ws = build_workspace([labs_csv("2024-03-18 08:45,Hemoglobin,100,g/L")])
    assert left_off(ws, view_of(ws, "P1", "2024-04-01"), ViewSettings(end=D("2024-03-18"))) == []


# --- censored values: the change is a bound, or blank, and says why -------------------------------

FIRST_DOSE = doses_csv(f"2024-01-08,{HYDROXO}")


def b12_marker(baseline: str, latest: str) -> dict:
    """The B12 row of P1 with a baseline on 5 Jan, the first dose on 8 Jan and the latest on 5 Mar."""
    ws = build_workspace([FIRST_DOSE, labs_csv(f"2024-01-05,Vitamin B12,{baseline},pmol/L",
                                               f"2024-03-05,Vitamin B12,{latest},pmol/L")])
    return marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Vitamin B12 (pmol/L)")


@pytest.mark.parametrize(("baseline", "latest", "change", "words"), [
    ("<150", "400", "> +250", ["The baseline was reported as <150 pmol/L", "below what the lab's test can measure",
                               "rose by more than 250 pmol/L"]),
    (">1476", "600", "< -876", ["The baseline was reported as >1476 pmol/L", "above what the lab's test can measure",
                                "fell by more than 876 pmol/L"]),
    ("100", ">2000", "> +1900", ["The latest result was reported as >2000 pmol/L", "rose by more than 1900 pmol/L"]),
    ("300", "<200", "< -100", ["The latest result was reported as <200 pmol/L", "fell by more than 100 pmol/L"]),
    ("300", ">200", "> -100", ["The latest result was reported as >200 pmol/L", "more than -100 pmol/L"]),
    ("<150", ">2000", "> +1850", ["The baseline was reported as <150 pmol/L and the latest as >2000 pmol/L",
                                  "rose by more than 1850 pmol/L"]),
    (">1476", "<100", "< -1376", ["fell by more than 1376 pmol/L"]),
    ("<=150", "400", ">= +250", ["rose by at least 250 pmol/L"]),
    (">1476", ">2000", "", ["The baseline was reported as >1476 pmol/L and the latest as >2000 pmol/L",
                            "both above what the lab's test can measure", "cannot be worked out"]),
    ("<150", "<100", "", ["both below what the lab's test can measure", "cannot be worked out"]),
])
def test_a_change_from_a_censored_value_is_a_bound_or_blank_with_its_reason(baseline, latest, change, words):
    row = b12_marker(baseline, latest)
    assert (row["Baseline"], row["Latest"], row["Change"]) == (baseline, latest, change)
    for w in words:
        assert w in row["Change note"], row["Change note"]


def test_a_change_between_exact_values_has_no_note():
    row = b12_marker("150", "400")
    assert (row["Change"], row["Change note"]) == ("+250", "")


def test_the_summary_keeps_the_baseline_qualifier():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Vitamin B12,<150,pmol/L",
                                               "2024-03-05,Vitamin B12,400,pmol/L")])
    summary = view_of(ws, "P1", "2024-04-01").summary.iloc[0]
    assert (summary["baseline_qualifier"], summary["latest_qualifier"]) == ("<", "")
    assert summary["baseline"] == 150.0


def test_a_blank_change_without_a_baseline_says_why():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-02-05,Vitamin B12,300,pmol/L")])
    row = marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Vitamin B12 (pmol/L)")
    assert (row["Baseline"], row["Change"]) == ("", "")
    assert row["Change note"] == "No baseline: no result in the 90 days before the first dose (08 Jan 2024)."


def test_a_blank_change_without_doses_says_why():
    ws = build_workspace([labs_csv("2024-02-05,Vitamin B12,300,pmol/L")])
    row = marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Vitamin B12 (pmol/L)")
    assert row["Change"] == ""
    assert row["Change note"] == "No baseline: no dose is recorded, so no result counts as before treatment."


def test_no_change_when_nothing_was_measured_since_the_first_dose():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Vitamin B12,100,pmol/L")])
    row = marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Vitamin B12 (pmol/L)")
    assert (row["Baseline"], row["Latest"], row["Change"]) == ("100", "100", "")  # not "0"
    assert row["Change note"] == "No result since the first dose: the latest result is the baseline."


def test_the_change_is_the_difference_of_the_numbers_shown():
    # 84.4 -> "84" and 90.6 -> "91": the change shown is 91 - 84, not the unrounded 6.2 -> "+6"
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Hemoglobin,84.4,g/L", "2024-03-05,Hemoglobin,90.6,g/L")])
    row = marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Hemoglobin (g/L)")
    assert (row["Baseline"], row["Latest"], row["Change"]) == ("84", "91", "+7")


@pytest.mark.parametrize(("latest", "in_range"), [
    ("400", "yes"), ("100", "low"), ("700", "high"), (">2000", "high"), ("<100", "low"), ("<133", "low"),
    ("<150", "low or in range"), (">200", "in range or high"), (">674", "high"), (">=674", "in range or high"),
    ("<=133", "low or in range"), ("<700", "unclear"), (">100", "unclear"),
])
def test_in_range_of_a_censored_latest_says_only_what_is_known(latest, in_range):
    assert b12_marker("300", latest)["In range"] == in_range  # B12 range 133-674 pmol/L


def test_a_censored_value_under_a_range_starting_at_zero_is_in_range():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-03-05,Methylmalonic acid,<50,nmol/L")])
    assert marker(follow_up(view_of(ws, "P1", "2024-04-01")), "Methylmalonic acid (nmol/L)")["In range"] == "yes"


# --- counts in words -----------------------------------------------------------------------------

def test_a_one_day_interval_is_one_day():
    ws = build_workspace([doses_csv(f"2024-01-08,{HYDROXO}", f"2024-01-09,{HYDROXO}", f"2024-01-10,{HYDROXO}")])
    follow = follow_up(view_of(ws, "P1", "2024-01-13"))
    assert follow.next_dose == "overdue since 12 Jan 2024 (1 day); review the loading phase by 22 Jan 2024"


def test_adherence_counts_are_singular_for_one():
    view = uk_view("2025-01-13", PlanChoice("UK-BNF-neuro"))
    one = pd.DataFrame({"phase": ["loading"], "planned": [1], "given": [1], "on_time": [0], "late": [1],
                        "missed": [0]})
    view = dataclasses.replace(view, adherence=dataclasses.replace(view.adherence, by_phase=one,
                                                                   longest_gap_days=1.0))
    assert follow_up(view).adherence == ["Loading: 1 dose given (1 late), 0 missed",
                                         "Longest gap between injections: 1 day"]


def test_a_one_microgram_dose_is_singular():
    ws = build_workspace([doses_csv("2024-01-08,Cyanocobalamin 1 mcg/mL injection,1 mcg,IM")])
    assert follow_up(view_of(ws, "P1", "2024-01-10")).last_dose == "08 Jan 2024: cyanocobalamin 1 microgram IM"


# --- the markers table as HTML -------------------------------------------------------------------

def uk_markers_html(settings: ViewSettings | None = None) -> str:
    return markers_html(follow_up(uk_view(), settings).markers)


def test_markers_html_columns_in_words():
    page = uk_markers_html()
    assert "<th>Marker</th><th>Baseline</th><th>Latest</th><th>Change</th><th>Trend</th>" in page
    assert "In range" not in page  # said in the Latest cell instead: "98 (low)"


def test_markers_html_short_labels_with_the_full_label_on_hover():
    page = uk_markers_html()
    assert '<td title="Hemoglobin (g/L)">Hb (g/L)</td>' in page
    assert '<td title="Vitamin B12 (pmol/L)">B12 (pmol/L)</td>' in page
    assert '<td title="Reticulocytes (%)">Retics (%)</td>' in page


def test_markers_html_latest_says_when_it_is_out_of_range():
    page = uk_markers_html()
    assert '<td title="Latest result: 01 Apr 2024">&gt;1476 (high)</td>' in page
    assert '<td title="Latest result: 13 Jan 2025">145</td>' in page  # in range: nothing added
    assert '<td title="Baseline: the last result before the first dose, 05 Jan 2024">84</td>' in page


def test_markers_html_bounded_change_has_a_mark_a_hover_reason_and_a_footnote():
    follow = follow_up(uk_view())
    note = marker(follow, "Vitamin B12 (pmol/L)")["Change note"]
    page = markers_html(follow.markers)
    assert f'<td title="{escape(note)}">&gt; +1404\u00a0*</td>' in page  # the mark stays with the number
    assert f"* B12 (pmol/L): {escape(note)}" in page  # on paper and on a phone, where nothing hovers


def test_markers_html_blank_change_with_a_reason_is_marked():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Vitamin B12,>1476,pmol/L",
                                               "2024-03-05,Vitamin B12,>2000,pmol/L")])
    page = markers_html(follow_up(view_of(ws, "P1", "2024-04-01")).markers)
    assert re.search(r'<td title="The baseline was reported as &gt;1476 pmol/L[^"]*">–\u00a0\*</td>', page)


def test_markers_html_is_styled_to_fit_its_container():
    page = uk_markers_html()
    assert f'<table class="{MARKERS_CLASS}">' in page
    style = re.search(r"<style>(.*?)</style>", page, re.DOTALL).group(1)
    rules = re.sub(r"@media[^{]*\{", "", style)  # a phone's rules are scoped by the class too
    assert all(rule.strip().startswith(f".{MARKERS_CLASS}") for rule in rules.split("}") if rule.strip())
    assert "width:100%" in style and "table-layout:auto" in style and "overflow-wrap:" in style


def test_markers_html_escapes_every_text():
    markers = pd.DataFrame({"Marker": ["<script>m</script>"], "Baseline": ["<5"], "Latest": ['">x'],
                            "Change": ["< -3"], "In range": ["<b>low</b>"], "Trend": ["<i>t</i>"],
                            "Latest on": ["<u>d</u>"], "Baseline on": ["'e'"], "Short label": ["<s>"],
                            "Change note": ['" onmouseover="alert(1)']})
    page = markers_html(markers)
    for raw in ("<script>", "<b>", "<i>", "<u>", "<s>", '" onmouseover'):
        assert raw not in page
    assert "&lt;5" in page and "&lt; -3\u00a0*" in page and "&#34; onmouseover=&#34;alert(1)" in page


def test_markers_html_holds_no_text_of_the_patients_files():
    ws = build_workspace([doses_csv(f"2024-01-08,{HYDROXO}"),
                          labs_csv("2024-01-05,HAEMOGLOBIN,8.4,g/dl", "2024-03-05,HAEMOGLOBIN,10.1,g/dl",
                                   name="Smith-John-labs.csv")])
    view = view_of(ws, "P1", "2024-04-01")
    assert len(view.summary) == 1
    page = markers_html(follow_up(view).markers)
    for reported in ("HAEMOGLOBIN", "Smith", "John", "P1", "g/dl", "8.4", "10.1"):
        assert reported not in page  # the name, file, patient, unit and numbers as the file wrote them
    assert ">84<" in page and ">101 (low)<" in page and ">+17<" in page  # our numbers, in g/L


def test_markers_html_of_no_markers():
    assert "No results" in markers_html(follow_up(view_of(build_workspace([FIRST_DOSE]), "P1", "2024-02-01")).markers)


# --- the table fits a phone and the dashboard's summary column -----------------------------------

WORST_LABS = labs_csv(
    "2024-01-05,Hemoglobin,6.1,g/dL", "2024-03-05,Hemoglobin,13.2,g/dL",
    "2024-01-05,MCV,118,fL", "2024-03-05,MCV,101,fL",
    "2024-01-05,Vitamin B12,<150,pg/mL", "2024-03-05,Vitamin B12,>2000,pg/mL",
    "2024-01-05,Methylmalonic acid,>10000,nmol/L", "2024-03-05,Methylmalonic acid,>50000,nmol/L",
    "2024-01-05,Homocysteine,>100,umol/L", "2024-03-05,Homocysteine,<10,umol/L",
    "2024-01-05,Folate,<2.0,ng/mL", "2024-03-05,Folate,>20.0,ng/mL",
    "2024-01-05,Active B12,<10,pmol/L", "2024-03-05,Active B12,>150,pmol/L",
    "2024-01-05,Ferritin,>1650,ng/mL", "2024-03-05,Ferritin,<30,ng/mL",
    "2024-01-05,Reticulocyte count,0.2,%", "2024-03-05,Reticulocyte count,>25.5,%",
    "2024-01-05,RET#,<21,10^9/L", "2024-03-05,RET#,>800,10^9/L",
    "2024-01-05,Potassium,<2.0,mmol/L", "2024-03-05,Potassium,>8.0,mmol/L")


def worst_case_markers() -> pd.DataFrame:
    """Every analyte, US units, censored baselines and latests, 'too few results' trends."""
    view = view_of(build_workspace([FIRST_DOSE, WORST_LABS]), "P1", "2024-04-01")
    markers = follow_up(view, ViewSettings(units="US")).markers
    assert len(markers) == len(analyte_keys())
    assert (markers["Trend"] == "too few results").all()
    assert markers["Change note"].ne("").sum() >= 8
    return markers


# --- issue 12: baseline on the day of the first dose, readings, urgent prompts ---------------------

def test_a_baseline_drawn_the_day_of_the_first_dose_gives_baseline_and_change():
    # the usual visit: blood taken, then the first dose, both on 8 Jan without times
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-08,Hemoglobin,84,g/L", "2024-03-05,Hemoglobin,140,g/L",
                                               "2024-01-08,Vitamin B12,98,ng/L")])
    follow = follow_up(view_of(ws, "P1", "2024-04-01"))
    hb = marker(follow, "Hemoglobin (g/L)")
    assert (hb["Baseline"], hb["Change"], hb["Baseline on"]) == ("84", "+56", "08 Jan 2024")
    b12 = marker(follow, "Vitamin B12 (pmol/L)")
    assert (b12["Baseline"], b12["Baseline reading"], b12["In range"]) == ("72", "deficiency confirmed",
                                                                           "deficiency confirmed")
    assert "not interpretable" not in markers_html(follow.markers)


def test_a_b12_within_14_days_of_an_injection_is_not_interpretable_in_the_table():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Vitamin B12,98,pmol/L", "2024-01-15,Vitamin B12,1500,pmol/L",
                                               "2024-01-05,Active B12,20,pmol/L", "2024-01-12,Active B12,140,pmol/L")])
    follow = follow_up(view_of(ws, "P1", "2024-02-01"))
    b12, active = marker(follow, "Vitamin B12 (pmol/L)"), marker(follow, "Active B12 (holotranscobalamin) (pmol/L)")
    assert (b12["In range"], active["In range"]) == ("not interpretable", "not interpretable")  # was "yes"
    assert b12["Reading note"].startswith("Latest not interpretable: 7 days after an injection (wait at least 14 days)")
    page = markers_html(follow.markers)
    assert '<td title="Latest result: 15 Jan 2024">1500 (not interpretable)</td>' in page
    assert "\u2020 B12 (pmol/L): Latest not interpretable: 7 days after an injection" in page


def test_b12_and_active_b12_without_a_lab_range_read_in_the_nice_bands():
    ws = build_workspace([labs_csv("2024-01-05,Vitamin B12,200,pmol/L", "2024-01-05,Active B12,50,pmol/L")])
    follow = follow_up(view_of(ws, "P1", "2024-02-01"))
    assert marker(follow, "Vitamin B12 (pmol/L)")["In range"] == "indeterminate"  # was "yes" (133-674)
    assert marker(follow, "Active B12 (holotranscobalamin) (pmol/L)")["In range"] == "indeterminate"
    page = markers_html(follow.markers)
    assert ">200 (indeterminate)<" in page and "Bands: NICE NG239 (2024)" in page


def test_a_reticulocyte_rise_on_treatment_is_shown_as_the_response():
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Reticulocyte count,0.9,%",
                                               "2024-01-16,Reticulocyte count,8.5,%")])
    follow = follow_up(view_of(ws, "P1", "2024-02-01"))
    assert marker(follow, "Reticulocytes (%)")["In range"] == "high: response"  # was "high"
    assert ">8.5 (high: response)<" in markers_html(follow.markers)


def test_urgent_prompts_come_first_and_carry_their_severity():
    from b12core.symptoms import symptoms_from_entries

    diary = symptoms_from_entries([{"date": "2024-03-10", "symptom": "Unsteady gait", "score": 2},
                                   {"date": "2024-03-20", "symptom": "Unsteady gait", "score": 7}])
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Hemoglobin,84,g/L", "2024-01-25,Hemoglobin,85,g/L")])
    follow = follow_up(patient_view(ws, "P1", as_of="2024-04-01", extra_symptoms=diary))
    assert follow.prompts["Severity"].tolist()[:2] == ["urgent", "review"]  # one prompt for the symptom, first
    assert follow.prompts["Review"].iat[0].startswith(
        "Urgent review: unsteady gait new (score 2) on 10 Mar 2024 and worse (2 -> 7) on 20 Mar 2024")
    assert follow.prompts["Title"].iat[0] == "Neurological symptom new or worse"
    assert "review" in follow.prompts["Severity"].tolist()  # Hb not rising comes after them


def test_no_change_is_worked_out_from_a_b12_that_cannot_be_interpreted():
    # The B12 of 10 Jan was drawn 2 days after the injection of 8 Jan: not interpretable (14-day rule), so
    # "+1400" would mislead; the change is blank and says why.
    ws = build_workspace([FIRST_DOSE, labs_csv("2024-01-05,Vitamin B12,100,pmol/L",
                                               "2024-01-10,Vitamin B12,1500,pmol/L")])
    row = marker(follow_up(view_of(ws, "P1", "2024-02-01")), "Vitamin B12 (pmol/L)")
    assert row["Change"] == "" and "too soon after an injection" in row["Change note"]
    assert row["In range"] == "not interpretable"
    assert pd.isna(view_of(ws, "P1", "2024-02-01").summary.set_index("analyte").loc["b12", "change"])
