"""Regimen templates -> planned doses and rechecks, and adherence of the doses given to a plan.

Every expected date below is worked out by hand from /work/shared/clinical-facts.md §1.1 (the
regimens), §2 (rechecks), b12core/reference/rechecks.csv and thresholds.csv (the project's own
on-time rules) and the sample patients' stories in data/sample/README.md. Calendar used:
4 Mar 2024 and 8 Jan 2024 are Mondays.
"""

from __future__ import annotations

import csv
from itertools import pairwise

import pandas as pd
import pytest

from b12core import InputError, read_file
from b12core.course import adherence, months_after
from b12core.doses import import_doses
from b12core.regimens import (
    CHECK_COLUMNS,
    OPEN_LOADING_WHAT,
    PLAN_COLUMNS,
    build_plan,
    custom_regimen,
    get_regimen,
    regimens,
)
from tests.conftest import REPO, SAMPLE

D = pd.Timestamp
MONDAY = D("2024-03-04")
RECHECKS_CSV = REPO / "b12core" / "reference" / "rechecks.csv"
SOURCED = ("UK-BNF-noneuro", "UK-BNF-neuro", "US-FDA-cyano", "US-common", "US-CDC")


def days(*texts: str) -> list[pd.Timestamp]:
    return [D(t) for t in texts]


def dose_rows(plan: pd.DataFrame, phase: str | None = None) -> pd.DataFrame:
    rows = plan[plan["kind"] == "dose"]
    return rows if phase is None else rows[rows["phase"] == phase]


def dates(rows: pd.DataFrame) -> list[pd.Timestamp]:
    return list(rows["date"])


def month_steps(first: str, count: int, months: int) -> list[pd.Timestamp]:
    """``count`` dates ``months`` calendar months apart, all counted from ``first`` (no drift)."""
    return [D(first) + pd.DateOffset(months=k * months) for k in range(count)]


def doses_given(when: list[pd.Timestamp] | list[str], patient: str = "p1") -> pd.DataFrame:
    """A ``doses``-like table: one IM injection per date, given at 10:30 (times are normalised)."""
    stamps = [D(w) + pd.Timedelta(hours=10, minutes=30) for w in when]
    return pd.DataFrame({"patient_id": patient, "administered_at": pd.to_datetime(stamps), "route": "IM",
                         "source_row": range(1, len(stamps) + 1)})


# --- the templates ------------------------------------------------------------------------------


def test_the_templates_are_the_sourced_ones_plus_custom():
    assert set(regimens()) == {*SOURCED, "custom"}


@pytest.mark.parametrize("regimen_id", [*SOURCED, "custom"])
def test_every_template_builds_a_plan(regimen_id):
    plan = build_plan(regimen_id, MONDAY)
    assert list(plan.columns) == [*PLAN_COLUMNS, *CHECK_COLUMNS]
    assert plan["date"].is_monotonic_increasing
    assert plan["date"].min() == MONDAY  # the first dose is on the start day
    doses = dose_rows(plan)
    if get_regimen(regimen_id).open_ended:
        # loading "until no further improvement": no fixed count and no fixed maintenance dates; a review
        # of the loading phase instead (test_open_ended_loading_has_a_review_date_and_no_fixed_maintenance)
        assert set(plan["kind"]) == {"dose", "recheck", "review"} and set(doses["phase"]) == {"loading"}
    else:
        assert set(plan["kind"]) == {"dose", "recheck"}
        assert set(doses["phase"]) == {"loading", "maintenance"}
        # loading first, then maintenance: no loading dose after the first maintenance dose
        assert dose_rows(plan, "loading")["date"].max() < dose_rows(plan, "maintenance")["date"].min()
    assert (doses["dose_ug"] == get_regimen(regimen_id).dose_ug).all()
    assert (plan["source"].str.strip() != "").all(), "every row says where it comes from"
    assert (plan["title"].str.strip() != "").all()


@pytest.mark.parametrize("regimen_id,dose_ug,product,routes", [
    # clinical-facts §1.1 and its product facts
    ("UK-BNF-noneuro", 1000, "hydroxocobalamin", {"IM"}),  # hydroxocobalamin 1 mg IM
    ("UK-BNF-neuro", 1000, "hydroxocobalamin", {"IM"}),
    ("US-FDA-cyano", 100, "cyanocobalamin", {"IM", "SC"}),  # 100 mcg, IM or deep SC
    ("US-common", 1000, "cyanocobalamin", {"IM"}),  # 1000 mcg IM
    ("US-CDC", 1000, "cyanocobalamin", {"IM", "SC"}),  # 1000 mcg SC or IM
])
def test_dose_product_and_route_follow_the_source(regimen_id, dose_ug, product, routes):
    doses = dose_rows(build_plan(regimen_id, MONDAY))
    assert set(doses["dose_ug"]) == {dose_ug}
    assert set(doses["product"]) == {product}
    assert set(doses["route"]) <= routes and len(set(doses["route"])) == 1


def test_uk_bnf_noneuro_three_times_a_week_for_two_weeks_then_every_three_months():
    plan = build_plan("UK-BNF-noneuro", MONDAY)
    loading = dose_rows(plan, "loading")
    # 3 times a week for 2 weeks = 6 doses, Monday/Wednesday/Friday from a Monday start
    assert dates(loading) == days("2024-03-04", "2024-03-06", "2024-03-08", "2024-03-11", "2024-03-13",
                                  "2024-03-15")
    assert [d.day_name() for d in dates(loading)] == ["Monday", "Wednesday", "Friday"] * 2
    assert set(loading["step"]) == {1}
    # then every 3 months from the last loading dose, within the BNF's 2-3 months; the default plan is one year
    assert dates(dose_rows(plan, "maintenance")) == days("2024-06-15", "2024-09-15", "2024-12-15")
    regimen = get_regimen("UK-BNF-noneuro")
    assert regimen.maintenance_months_min == 2 and regimen.maintenance_months_max == 3
    assert regimen.maintenance_months_min <= regimen.maintenance_months <= regimen.maintenance_months_max


def test_uk_bnf_neuro_is_open_ended_alternate_days():
    regimen = get_regimen("UK-BNF-neuro")
    assert regimen.open_ended
    plan = build_plan(regimen, "2024-01-08")
    loading = dose_rows(plan, "loading")
    gaps = loading["date"].diff().dropna().dt.days
    assert (gaps == 2).all()  # alternate days
    # until the clinician ends it, the plan says so on every loading dose
    assert loading["what"].str.contains("clinician ends this phase").all()


def test_uk_bnf_neuro_default_loading_is_fourteen_days_of_alternate_days():
    # regimens.csv: "until then the plan shows 14 days, as in the Australian PI (alternate days for 1-2 weeks)".
    # Alternate days for 14 days from Mon 8 Jan = days 0, 2, ..., 12 = 7 doses (8-20 Jan), counted like
    # "3 times a week for 2 weeks = 6 doses" (days 0-11) and "daily for 7 days" (days 0-6). A dose on day 14
    # (22 Jan) is already in the third week.
    plan = build_plan("UK-BNF-neuro", "2024-01-08")
    assert dates(dose_rows(plan, "loading")) == [D("2024-01-08") + pd.Timedelta(days=2 * i) for i in range(7)]


def test_uk_bnf_neuro_loading_stops_at_the_clinicians_end_date():
    # PA-NEURO: alternate days from Mon 8 Jan 2024 until no further improvement; the clinician ends it on
    # Fri 15 Mar 2024 (day 67). Alternate days: days 0, 2, ..., 66 = 34 doses, the last on Thu 14 Mar.
    plan = build_plan("UK-BNF-neuro", "2024-01-08", loading_end="2024-03-15", until="2025-01-31")
    loading = dose_rows(plan, "loading")
    assert dates(loading) == [D("2024-01-08") + pd.Timedelta(days=2 * i) for i in range(34)]
    assert loading["date"].max() <= D("2024-03-15")
    assert not loading["what"].str.contains("clinician ends").any()  # the phase has its end now
    # then 1 mg every 2 months, from the last loading dose
    assert dates(dose_rows(plan, "maintenance")) == days("2024-05-14", "2024-07-14", "2024-09-14", "2024-11-14",
                                                         "2025-01-14")


def test_us_fda_cyano_daily_then_alternate_days_then_every_3_to_4_days_then_monthly():
    plan = build_plan("US-FDA-cyano", MONDAY, until="2024-12-31")
    loading = dose_rows(plan, "loading")
    step = {n: dates(loading[loading["step"] == n]) for n in (1, 2, 3)}
    # 100 mcg daily for 6-7 days: 7 doses, 4-10 Mar
    assert step[1] == [MONDAY + pd.Timedelta(days=i) for i in range(7)]
    # then the same dose on alternate days for 7 doses: 12-24 Mar
    assert step[2] == [D("2024-03-12") + pd.Timedelta(days=2 * i) for i in range(7)]
    # then every 3-4 days for another 2-3 weeks (after the last alternate-day dose, 24 Mar)
    third = [D("2024-03-24"), *step[3]]
    assert all((b - a).days in (3, 4) for a, b in pairwise(third))
    assert 14 <= (third[-1] - third[0]).days <= 21
    assert 4 <= len(step[3]) <= 7 and len(loading) == 7 + 7 + len(step[3])
    # then 100 mcg monthly, from the last loading dose
    maintenance = dose_rows(plan, "maintenance")
    assert dates(maintenance) == month_steps(third[-1].strftime("%Y-%m-%d"), 9, 1)[1:]
    assert set(dose_rows(plan)["dose_ug"]) == {100}


def test_us_common_daily_for_a_week_weekly_for_four_weeks_then_monthly():
    plan = build_plan("US-common", MONDAY)
    loading = dose_rows(plan, "loading")
    assert dates(loading[loading["step"] == 1]) == [MONDAY + pd.Timedelta(days=i) for i in range(7)]  # 4-10 Mar
    assert dates(loading[loading["step"] == 2]) == days("2024-03-17", "2024-03-24", "2024-03-31", "2024-04-07")
    # monthly from 7 Apr; the default plan is one year (until 4 Mar 2025)
    assert dates(dose_rows(plan, "maintenance")) == month_steps("2024-05-07", 10, 1)
    assert set(dose_rows(plan)["dose_ug"]) == {1000}


def test_us_cdc_weekly_for_eight_weeks_then_monthly():
    plan = build_plan("US-CDC", MONDAY)
    assert dates(dose_rows(plan, "loading")) == [MONDAY + pd.Timedelta(weeks=i) for i in range(8)]  # to 22 Apr
    assert dates(dose_rows(plan, "maintenance")) == month_steps("2024-05-22", 10, 1)  # to 22 Feb 2025


def test_maintenance_after_loading_follows_the_calendar_month_without_drift():
    # US-CDC from Wed 13 Dec 2023: the 8th weekly dose is on 31 Jan 2024 (day 49). Monthly from 31 Jan:
    # the last day of shorter months, and back to the 31st when the month has one (no drift to the 29th).
    plan = build_plan("US-CDC", "2023-12-13", until="2024-12-31")
    assert dose_rows(plan, "loading")["date"].max() == D("2024-01-31")
    assert dates(dose_rows(plan, "maintenance")) == days(
        "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31", "2024-08-31",
        "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31")


@pytest.mark.parametrize("start,months,expected", [
    ("2024-01-31", 1, ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31"]),
    pytest.param("2024-03-31", 1, ["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]),
    pytest.param("2024-05-31", 3, ["2024-05-31", "2024-08-31", "2024-11-30", "2025-02-28", "2025-05-31"]),
])
def test_maintenance_only_plan_starts_on_its_start_day_and_follows_the_calendar(start, months, expected):
    # A custom plan with no loading doses (e.g. maintenance only): the first dose is on the start day, then every
    # ``months`` calendar months from it.
    regimen = custom_regimen(loading_every_days=2, loading_doses=0, maintenance_months=months)
    plan = build_plan(regimen, start, until=expected[-1])
    assert dates(dose_rows(plan)) == days(*expected)
    assert dose_rows(plan)["date"].min() >= D(start)


def test_custom_regimen():
    regimen = custom_regimen(3, 4, 2, dose_ug=500, product="cyanocobalamin", route="SC")
    assert "every 3 days x 4" in regimen.label and "every 2 months" in regimen.label
    plan = build_plan(regimen, MONDAY)
    assert dates(dose_rows(plan, "loading")) == days("2024-03-04", "2024-03-07", "2024-03-10", "2024-03-13")
    assert dates(dose_rows(plan, "maintenance")) == days("2024-05-13", "2024-07-13", "2024-09-13", "2024-11-13",
                                                         "2025-01-13")
    doses = dose_rows(plan)
    assert set(doses["dose_ug"]) == {500} and set(doses["product"]) == {"cyanocobalamin"}
    assert set(doses["route"]) == {"SC"}
    assert (plan["source"].str.strip() != "").all()
    # the custom plan keeps the UK rechecks (NHS Lothian, NICE NG239); the US label's are for the US templates
    assert [(d - MONDAY).days for d in dates(plan[plan["kind"] == "recheck"])] == [2, 10, 56, 91]


# --- rechecks -----------------------------------------------------------------------------------


def recheck_rows_of(regimen_id: str) -> list[dict[str, str]]:
    """rechecks.csv rows that apply to a regimen, read directly from the file."""
    with open(RECHECKS_CSV, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if regimen_id in r["regimens"].split()]


@pytest.mark.parametrize("regimen_id,recheck_days", [
    # UK (and the custom plan): potassium in the first 48 hours of treating severe anaemia (day 2: NHS Lothian's
    # U&E check after starting, timed by Clinical Pharmacology's 48 hours), FBC + retics day 7-10 (NHS Lothian:
    # day 10), 8 weeks (56), 3-month review (NICE NG239: 91 days)
    ("UK-BNF-noneuro", [2, 10, 56, 91]),
    ("UK-BNF-neuro", [2, 10, 56, 91]),
    ("custom", [2, 10, 56, 91]),
    # US, cyanocobalamin: only the label's rechecks. Potassium in the first 48 hours (day 2), haematocrit and
    # reticulocytes days 5-7 (day 6). No serum B12 "at about 1 month": the label has none (that sentence came
    # from a pharmacy monograph), and day 30 falls within 14 days of an injection on every US plan. A US
    # patient's schedule does not cite UK guidance.
    ("US-FDA-cyano", [2, 6]),
    ("US-common", [2, 6]),
    ("US-CDC", [2, 6]),
])
def test_rechecks_at_their_days_with_texts_and_sources(regimen_id, recheck_days):
    plan = build_plan(regimen_id, MONDAY)
    checks = plan[plan["kind"] == "recheck"]
    assert [(d - MONDAY).days for d in checks["date"]] == recheck_days
    # the plan's source column holds the reader-facing cite of each recheck
    expected = sorted((int(r["day"]), r["title"], r["what"], r["cite"]) for r in recheck_rows_of(regimen_id))
    got = sorted(((d - MONDAY).days, t, w, s) for d, t, w, s in
                 zip(checks["date"], checks["title"], checks["what"], checks["source"], strict=True))
    assert got == expected
    assert (checks["source"].str.strip() != "").all()


@pytest.mark.parametrize("regimen_id,day,what,source", [
    ("US-FDA-cyano", 2, "first 48 hours", "FDA cyanocobalamin injection label"),  # label: potassium, first 48 h
    ("UK-BNF-noneuro", 2, "first 48 hours", "NHS Lothian"),  # hypokalaemia: U&E check after starting treatment
    ("US-FDA-cyano", 6, "days 5-7", "FDA cyanocobalamin label"),  # clinical-facts §2: Hct and retics days 5-7
    ("UK-BNF-noneuro", 10, "day 7-10", "NHS Lothian"),  # FBC and retics within 7-10 days
    ("UK-BNF-noneuro", 56, "8 weeks", "NHS Lothian"),  # repeat FBC and retics at 8 weeks
    ("UK-BNF-noneuro", 91, "3 months", "NG239"),  # NICE review at 3 months
])
def test_recheck_table_agrees_with_the_clinical_facts(regimen_id, day, what, source):
    (row,) = [r for r in recheck_rows_of(regimen_id) if int(r["day"]) == day]
    assert what in row["what"] and source in row["source"]


@pytest.mark.parametrize("regimen_id", [*SOURCED, "custom"])
def test_the_labels_monitoring_potassium_and_the_reticulocyte_response(regimen_id):
    # Potassium: the label's "first 48 hours", for severe anaemia (hypokalaemia as red cells are made again), the
    # reader told so in the title too. Reticulocytes within days 5-10 (US label 5-7, NHS Lothian 7-10), the what
    # saying what a response looks like: a rise above the normal range.
    rows = recheck_rows_of(regimen_id)
    (potassium,) = [r for r in rows if "potassium" in r["what"].lower()]
    assert int(potassium["day"]) == 2
    assert "severe anaemia" in potassium["what"] and "hypokalaemia" in potassium["what"]
    assert "severe" in potassium["title"] and "48 hours" in potassium["cite"]
    (retics,) = [r for r in rows if "reticulocytes" in r["what"] and 5 <= int(r["day"]) <= 10]
    assert "rise above the normal range" in retics["what"]


@pytest.mark.parametrize("regimen_id", [*SOURCED, "custom"])
def test_no_plan_books_a_serum_b12(regimen_id):
    # Serum B12 on injections is not diagnostic and within 14 days of one not interpretable: no recheck asks for it
    # (the 3-month review says not to).
    plan = build_plan(regimen_id, MONDAY, loading_end="2024-04-01" if get_regimen(regimen_id).open_ended else None)
    checks = plan[plan["kind"] == "recheck"]
    assert not checks["title"].str.contains(r"vitamin B12|serum B12", case=False).any()
    assert not checks["what"].str.replace("do not recheck serum B12", "").str.contains("B12").any()


# --- what a reader sees: cites, the guidance of the regimen, counts -------------------------------

UK_GUIDANCE = r"\b(?:NICE|BNF|NHS)\b"
DEVELOPER_WORDS = r"clinical-facts|§|\[S\]|\[V\]|\[U\]|\bissues?\b|project rule|project choice|design\.md|" \
                  r"real-data|suggested rule"


@pytest.mark.parametrize("regimen_id", [*SOURCED, "custom"])
def test_the_plans_source_column_holds_the_reader_facing_cites(regimen_id):
    regimen = get_regimen(regimen_id)
    plan = build_plan(regimen_id, MONDAY)
    assert not plan["source"].str.contains(DEVELOPER_WORDS, case=False).any()
    assert set(dose_rows(plan, "maintenance")["source"]) == (set() if regimen.open_ended else {regimen.cite})
    loading = dose_rows(plan, "loading")
    assert [regimen.step_cites[s - 1] for s in loading["step"]] == loading["source"].tolist()
    assert regimen.cite and regimen.cite != regimen.source


@pytest.mark.parametrize("regimen_id,names", [
    ("US-FDA-cyano", ["FDA label"]),
    ("US-common", ["Langan & Goodbred, Am Fam Physician 2017", "FDA label"]),
    ("US-CDC", ["CDC", "FDA label"]),
])
def test_a_us_plan_cites_us_sources_only(regimen_id, names):
    regimen = get_regimen(regimen_id)
    assert regimen.country == "US" and regimen.symptom_note == ""
    plan = build_plan(regimen_id, MONDAY, until="2026-03-04")
    assert not plan["source"].str.contains(UK_GUIDANCE).any()
    assert not plan["symptom_note"].str.contains(UK_GUIDANCE).any()
    text = " ".join(plan["source"])
    assert all(name in text for name in names)


@pytest.mark.parametrize("regimen_id", ["UK-BNF-noneuro", "UK-BNF-neuro", "custom"])
def test_a_uk_plan_keeps_the_nhs_and_nice_rechecks_and_the_nice_note(regimen_id):
    regimen = get_regimen(regimen_id)
    assert regimen.country == "UK" and "NICE" in regimen.symptom_note
    plan = build_plan(regimen_id, MONDAY, loading_end="2024-03-20" if regimen.open_ended else None)
    checks = plan[plan["kind"] == "recheck"]["source"]
    assert checks.str.contains("NHS Lothian").sum() == 3 and checks.str.contains("NICE NG239").sum() == 1
    doses = dose_rows(plan)
    assert set(doses["symptom_note"]) == {regimen.symptom_note}
    assert set(plan.loc[plan["kind"] == "recheck", "symptom_note"]) == {""}


def test_custom_regimen_counts_read_as_a_person_writes_them():
    regimen = custom_regimen(1, 1, 1)
    assert "every day x 1" in regimen.label and "every month" in regimen.label
    plan = build_plan(regimen, MONDAY)
    loading = dose_rows(plan, "loading")["source"].iat[0]
    assert "every day for 1 dose" in loading
    for text in (regimen.label, loading):
        assert not any(bad in text for bad in ("1 days", "1 doses", "1 months"))
    assert "every 3 days for 4 doses" in build_plan(custom_regimen(3, 4, 2), MONDAY)["source"].iat[0]


# --- until --------------------------------------------------------------------------------------


def test_until_bounds_maintenance_and_rechecks():
    plan = build_plan("US-common", MONDAY, until="2024-09-30")
    assert plan["date"].max() <= D("2024-09-30")
    assert dates(dose_rows(plan, "maintenance")) == month_steps("2024-05-07", 5, 1)  # 7 May - 7 Sep
    assert dates(dose_rows(plan, "maintenance"))[-1] == D("2024-09-07")
    short = build_plan("US-common", MONDAY, until="2024-05-07")  # inclusive: the 7 May dose is in
    assert dates(dose_rows(short, "maintenance")) == [D("2024-05-07")]
    assert [(d - MONDAY).days for d in short.loc[short["kind"] == "recheck", "date"]] == [2, 6]
    shorter = build_plan("US-common", MONDAY, until="2024-03-09")  # day 5: the day-6 blood test is left out
    assert [(d - MONDAY).days for d in shorter.loc[shorter["kind"] == "recheck", "date"]] == [2]


@pytest.mark.parametrize("regimen_id", [*SOURCED, "custom"])
def test_until_bounds_the_loading_doses_too(regimen_id):
    # "Every planned dose ... from start until until": a plan until day 9 has no row after day 9, even when
    # the loading phase runs longer (the last loading dose is on day 10 to day 49 in every template).
    until = MONDAY + pd.Timedelta(days=9)
    plan = build_plan(regimen_id, MONDAY, until=until)
    assert plan["date"].max() <= until


def test_open_ended_loading_has_a_review_date_and_no_fixed_maintenance():
    # BNF, neurological involvement: "1 mg on alternate days until no further improvement, then every 2 months".
    # Until the clinician ends loading, the plan shows alternate days to the review day (open_loading_default_days
    # = 14) and the review; no maintenance date can be known. Once loading ends, maintenance counts from it.
    plan = build_plan("UK-BNF-neuro", MONDAY)
    loading = dose_rows(plan, "loading")
    assert dose_rows(plan, "maintenance").empty
    assert (loading["what"] == OPEN_LOADING_WHAT).all()
    review = plan[plan["kind"] == "review"]
    assert list(review["date"]) == [MONDAY + pd.Timedelta(days=14)]
    assert "no further improvement" in review["what"].iloc[0]
    ended = build_plan("UK-BNF-neuro", MONDAY, loading_end="2024-05-03")
    assert plan[plan["kind"] == "review"].shape[0] == 1 and ended[ended["kind"] == "review"].empty
    last = dose_rows(ended, "loading")["date"].max()
    assert dose_rows(ended, "maintenance")["date"].iloc[0] == last + pd.DateOffset(months=2)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call,words", [
    (lambda: build_plan("UK-BNF-nonneuro", MONDAY), ["unknown regimen", "'UK-BNF-nonneuro'", "UK-BNF-noneuro"]),
    (lambda: get_regimen("nope"), ["unknown regimen", "'nope'", "US-common"]),
    (lambda: build_plan("US-common", "2024-03-04", until="2024-03-01"), ["end", "start"]),
    (lambda: build_plan("US-common", "2024-03-04", until="2024-03-04"), ["end", "start"]),
    (lambda: build_plan("US-common", "not a date"), ["'not a date'", "not a date"]),
    (lambda: build_plan("US-common", "2024-13-01"), ["'2024-13-01'", "not a date"]),
    (lambda: build_plan("US-common", "2024-03-04", until="soon"), ["'soon'", "not a date"]),
    (lambda: custom_regimen(0, 6, 3), ["positive"]),
    (lambda: custom_regimen(2, 6, 0), ["positive"]),
    (lambda: custom_regimen(-1, 6, 3), ["positive"]),
    (lambda: custom_regimen(2, 6, 3, dose_ug=0), ["positive"]),
])
def test_bad_input_raises_input_error_with_a_readable_message(call, words):
    with pytest.raises(InputError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and len(message) < 300
    for word in words:
        assert word in message


@pytest.mark.parametrize("start", [
    "",  # a blank form field
    "4th March",  # no year
    "03/04/2024",  # 3 April or 4 March: the project never guesses a date order (b12core.dates)
    pytest.param(None),
])
def test_a_start_that_is_not_yyyy_mm_dd_is_refused_not_guessed(start):
    with pytest.raises(InputError, match="not a date"):
        build_plan("US-common", start)


def test_loading_end_before_start_is_an_input_error():
    with pytest.raises(InputError):
        build_plan("UK-BNF-neuro", "2024-01-08", loading_end="2024-01-01")


# --- adherence ----------------------------------------------------------------------------------
# US-common from Mon 4 Mar 2024: loading 4-10 Mar daily, 17, 24, 31 Mar and 7 Apr weekly; maintenance on the
# 7th of each month from 7 May. Project rules (thresholds.csv): a loading dose within a day of its day is on
# time; a maintenance dose is on time up to a week after it was due, and counts from the dose given before it.


def us_common_plan() -> pd.DataFrame:
    return build_plan("US-common", MONDAY, until="2024-12-31")


def planned_through(plan: pd.DataFrame, last: str) -> list[pd.Timestamp]:
    return [d for d in dates(dose_rows(plan)) if d <= D(last)]


def by_phase(result) -> dict[str, tuple[int, int, int, int, int]]:
    table = result.by_phase.set_index("phase")
    return {phase: tuple(int(row[c]) for c in ("planned", "given", "on_time", "late", "missed"))
            for phase, row in table.iterrows()}


def statuses(result) -> dict[str, int]:
    return result.events["status"].value_counts().to_dict()


def test_all_doses_given_on_time():
    plan = us_common_plan()
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(planned_through(plan, "2024-08-07")))
    assert statuses(result) == {"on time": 15}  # 11 loading + 4 maintenance (May-Aug)
    assert (result.events["days_late"] == 0).all()
    assert result.missed().empty and result.late().empty
    assert by_phase(result) == {"loading": (11, 11, 11, 0, 0), "maintenance": (4, 4, 4, 0, 0)}
    assert result.next_due == D("2024-09-07")
    # the gaps: 30 or 31 days between monthly doses; the first 31-day gap starts on 7 May
    assert result.longest_gap_days == 31 and result.longest_gap_from == D("2024-05-07")


def test_a_missed_loading_dose():
    plan = us_common_plan()
    given = [d for d in planned_through(plan, "2024-08-07") if d != D("2024-03-06")]
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given))
    missed = result.missed()
    assert list(zip(missed["planned"], missed["phase"], strict=True)) == [(D("2024-03-06"), "loading")]
    assert missed["given_at"].isna().all()
    assert result.late().empty and "extra" not in statuses(result)
    assert by_phase(result)["loading"] == (11, 10, 10, 0, 1)


@pytest.mark.parametrize("given_on,status,days_late", [
    ("2024-03-17", "on time", 0),
    ("2024-03-18", "on time", 1),  # a day late is still on time (loading_on_time_days = 1)
    ("2024-03-19", "late", 2),
    ("2024-03-23", "late", 6),  # the day before the next weekly dose
])
def test_a_weekly_loading_dose_given_late(given_on, status, days_late):
    plan = us_common_plan()
    given = [D(given_on) if d == D("2024-03-17") else d for d in planned_through(plan, "2024-06-07")]
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given))
    event = result.events[result.events["planned"] == D("2024-03-17")].iloc[0]
    assert (event["phase"], event["given_at"].normalize(), event["status"], event["days_late"]) == (
        "loading", D(given_on), status, days_late)
    assert result.missed().empty and "extra" not in statuses(result)
    on_time, late = (10, 1) if status == "late" else (11, 0)
    assert by_phase(result)["loading"] == (11, 11, on_time, late, 0)


def test_the_last_loading_dose_given_late_is_late_not_missed():
    # adherence docstring: a loading dose is "late when given after that but before the next planned dose".
    # The last weekly dose (7 Apr) given on 10 Apr is before the next planned dose (7 May): late by 3 days, and
    # maintenance then counts from 10 Apr (next due 10 May).
    plan = us_common_plan()
    given = [D("2024-04-10") if d == D("2024-04-07") else d for d in planned_through(plan, "2024-04-07")]
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given), as_of="2024-04-20")
    event = result.events[result.events["planned"] == D("2024-04-07")].iloc[0]
    assert (event["status"], event["days_late"]) == ("late", 3)
    assert event["given_at"].normalize() == D("2024-04-10")
    assert result.missed().empty
    assert by_phase(result)["loading"] == (11, 11, 10, 1, 0)
    assert result.next_due == D("2024-05-10")


def test_a_maintenance_dose_three_weeks_late_moves_the_next_due_date():
    plan = us_common_plan()
    given = [*planned_through(plan, "2024-07-07"), D("2024-08-28")]  # due 7 Aug, given 21 days later
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given), as_of="2024-09-10")
    late = result.late()
    assert len(late) == 1
    row = late.iloc[0]
    assert (row["planned"], row["phase"], row["given_at"].normalize(), row["days_late"]) == (
        D("2024-08-07"), "maintenance", D("2024-08-28"), 21)
    assert result.missed().empty
    assert result.next_due == D("2024-09-28")  # a month after the dose actually given, not the planned 7 Sep
    assert by_phase(result)["maintenance"] == (4, 4, 3, 1, 0)
    assert result.longest_gap_days == 52 and result.longest_gap_from == D("2024-07-07")


@pytest.mark.parametrize("back_on", [
    "2024-09-10",
    pytest.param("2024-09-07"),
])
def test_two_missed_maintenance_intervals(back_on):
    # Given through 7 Jun, then nothing until September: the July and August doses were missed (each interval
    # that passed without a dose), and the September dose is on time (on, or 3 days after, its due day).
    plan = us_common_plan()
    given = [*planned_through(plan, "2024-06-07"), D(back_on)]
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given))
    missed = result.missed()
    assert len(missed) == 2 and set(missed["phase"]) == {"maintenance"}
    assert [d.month for d in missed["planned"]] == [7, 8]
    assert result.late().empty
    back = result.events[result.events["given_at"].dt.normalize() == D(back_on)].iloc[0]
    assert back["status"] == "on time" and back["planned"].month == 9
    assert by_phase(result)["maintenance"] == (5, 3, 3, 0, 2)
    assert result.longest_gap_days == (D(back_on) - D("2024-06-07")).days
    assert result.longest_gap_from == D("2024-06-07")


def test_an_extra_early_dose_is_listed_as_extra_and_does_not_move_the_schedule():
    # UK-BNF-noneuro from Mon 8 Jan 2024: loading 8, 10, 12, 15, 17, 19 Jan; maintenance 19 Apr, 19 Jul,
    # 19 Oct 2024. An extra dose on 10 May, 3 weeks after the April dose and 10 weeks before the July one, is
    # far more than a month early (maintenance_early_days = 31): it counts for no planned dose.
    plan = build_plan("UK-BNF-noneuro", "2024-01-08", until="2025-01-31")
    given = [*planned_through(plan, "2024-04-19"), D("2024-05-10"), D("2024-07-19")]
    result = adherence(get_regimen("UK-BNF-noneuro"), "2024-01-08", doses_given(given))
    extra = result.events[result.events["status"] == "extra"]
    assert len(extra) == 1
    assert extra.iloc[0]["given_at"].normalize() == D("2024-05-10") and extra.iloc[0]["phase"] == ""
    assert pd.isna(extra.iloc[0]["planned"])
    assert result.missed().empty and result.late().empty
    assert by_phase(result) == {"loading": (6, 6, 6, 0, 0), "maintenance": (2, 2, 2, 0, 0)}
    assert result.next_due == D("2024-10-19")


@pytest.mark.parametrize("as_of,missed_months", [
    ("2024-07-10", []),  # 7 Jul due 3 days ago: within the week, not missed yet
    ("2024-07-20", [7]),
    ("2024-08-20", [7, 8]),
])
def test_maintenance_passes_as_missed_a_week_after_it_fell_due(as_of, missed_months):
    plan = us_common_plan()
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(planned_through(plan, "2024-06-07")), as_of=as_of)
    assert [d.month for d in result.missed()["planned"]] == missed_months
    assert set(result.missed()["phase"]) <= {"maintenance"}


def test_as_of_makes_future_planned_doses_not_yet_due():
    plan = us_common_plan()
    given = planned_through(plan, "2024-03-17")  # the daily week and the first weekly dose
    result = adherence(get_regimen("US-common"), MONDAY, doses_given(given), as_of="2024-03-20")
    pending = result.events[result.events["status"] == "not yet due"]
    assert list(pending["planned"]) == days("2024-03-24", "2024-03-31", "2024-04-07")
    assert set(pending["phase"]) == {"loading"} and pending["given_at"].isna().all()
    assert result.missed().empty and result.late().empty
    # nothing after as_of counts as given, late or missed
    later = result.events[result.events["planned"] > D("2024-03-20")]
    assert set(later["status"]) == {"not yet due"}
    assert by_phase(result)["loading"] == (8, 8, 8, 0, 0)
    assert by_phase(result).get("maintenance", (0, 0, 0, 0, 0))[0] == 0


def test_next_due_during_loading_is_the_next_loading_dose():
    plan = us_common_plan()
    given = doses_given(planned_through(plan, "2024-03-17"))
    result = adherence(get_regimen("US-common"), MONDAY, given, as_of="2024-03-20")
    assert result.next_due == D("2024-03-24")


def test_missed_end_of_loading_stops_the_course_and_is_not_also_a_missed_maintenance_dose():
    # Given through 17 Mar only; as of 30 Apr the weekly doses of 24 Mar and 31 Mar were missed: two planned
    # doses missed in a row and none since (stop_missed_doses), so the course counts as stopped and the later
    # planned doses (7 Apr, then maintenance) are not counted one by one.
    plan = us_common_plan()
    given = doses_given(planned_through(plan, "2024-03-17"))
    result = adherence(get_regimen("US-common"), MONDAY, given, as_of="2024-04-30")
    assert list(result.missed()["planned"]) == days("2024-03-24", "2024-03-31")
    assert set(result.missed()["phase"]) == {"loading"}
    assert result.stopped and result.next_due is None
    one_missed = adherence(get_regimen("US-common"), MONDAY, given, as_of="2024-03-28")  # 24 Mar + 3 days' grace
    assert list(one_missed.missed()["planned"]) == days("2024-03-24") and not one_missed.stopped
    assert one_missed.next_due == D("2024-03-31")


@pytest.mark.parametrize("regimen_id,start,last,months", [
    ("US-common", "2024-03-04", "2024-12-07", 1),
    ("UK-BNF-noneuro", "2024-01-08", "2024-10-19", 3),
])
def test_maintenance_due_dates_follow_calendar_months_like_the_plan(regimen_id, start, last, months):
    # Every dose given on its planned day: each maintenance event is due on the plan's own date (counting a
    # calendar month(s) from the dose given before it is the same date), and the next one is due `months`
    # calendar months after the last dose.
    plan = build_plan(regimen_id, start, until="2025-06-30")
    given = planned_through(plan, last)
    result = adherence(get_regimen(regimen_id), start, doses_given(given))
    maintenance = result.events[result.events["phase"] == "maintenance"]
    assert list(maintenance["planned"]) == dates(dose_rows(plan, "maintenance")[lambda d: d["date"] <= D(last)])
    assert (maintenance["status"] == "on time").all()
    assert result.next_due == D(last) + pd.DateOffset(months=months)


# --- the sample patient MRN004417 (us_injections.csv) -------------------------------------------


def mrn004417_doses() -> pd.DataFrame:
    raw = read_file((SAMPLE / "us_injections.csv").read_bytes(), "us_injections.csv")
    doses = import_doses(raw).doses
    return doses[doses["patient_id"] == "MRN004417"].reset_index(drop=True)


def test_sample_mrn004417_against_us_common():
    # README: plan US-common from 4 Mar 2024. Daily doses of days 2, 4 and 5 (6, 8, 9 Mar) missed; the weekly
    # doses were given on Mondays 18 Mar, 1 Apr and 8 Apr against the plan's Sundays 17 Mar, 24 Mar, 31 Mar and
    # 7 Apr, so the one of 24 Mar was missed and the others were a day late (on time). Monthly from 6 May; the
    # August dose was given on 27 Aug: due a month after the 8 Jul dose (8 Aug), so 19 days late.
    doses = mrn004417_doses()
    assert len(doses) == 17
    result = adherence(get_regimen("US-common"), "2024-03-04", doses)
    missed = result.missed()
    assert list(missed["planned"]) == days("2024-03-06", "2024-03-08", "2024-03-09", "2024-03-24")
    assert set(missed["phase"]) == {"loading"}
    late = result.late()
    assert len(late) == 1
    row = late.iloc[0]
    assert (row["phase"], row["given_at"].normalize(), row["planned"], row["days_late"]) == (
        "maintenance", D("2024-08-27"), D("2024-08-08"), 19)
    weekly = result.events[result.events["planned"] == D("2024-03-17")].iloc[0]
    assert (weekly["status"], weekly["given_at"].normalize(), weekly["days_late"]) == ("on time", D("2024-03-18"), 1)
    assert "extra" not in statuses(result)
    assert by_phase(result) == {"loading": (11, 7, 7, 0, 4), "maintenance": (10, 10, 9, 1, 0)}
    assert result.longest_gap_days == 50 and result.longest_gap_from == D("2024-07-08")


def test_the_walks_month_step_is_pandas_month_offset():
    """The course walk adds months itself (``months_after``): the same day, in the same unit, as
    ``pd.DateOffset``, month ends, 29 February and times of day included."""
    days = [*pd.date_range("2019-01-01", "2025-12-31", freq="D"), pd.Timestamp("2024-01-31 08:30:15.123456789"),
            pd.Timestamp("2024-02-29").as_unit("s")]
    for day in days:
        for months in (1, 2, 3, 12, 14):
            expected, got = day + pd.DateOffset(months=months), months_after(day, months)
            assert (got, got.unit) == (expected, expected.unit), (day, months)


def test_a_restart_of_an_open_ended_loading_ended_before_its_start_still_ends():
    # A loading end before the start (a date the clinician can pick) left no loading dose to walk;
    # a restart after a stopped course then opened loading with a step of no days, and the walk
    # never ended (its list of missed doses grew until the server ran out of memory).
    given = ["2024-01-08", "2024-03-08", "2024-05-08", "2025-01-06", "2025-01-08", "2025-01-10"]
    result = adherence(get_regimen("UK-BNF-neuro"), "2024-01-08", doses_given(given), as_of="2025-02-01",
                       loading_end="2024-01-01")
    assert result.events["course"].max() == 2  # the restart is a new course
    assert result.events.loc[result.events["given_at"].notna(), "given_at"].dt.strftime("%Y-%m-%d").tolist() == given
