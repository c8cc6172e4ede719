"""Response on the dose time axis: B12 interpretability, summaries, review prompts."""

from __future__ import annotations

import pandas as pd
import pytest

from b12core import read_file
from b12core.doses import import_doses
from b12core.labs import LABS_COLUMNS
from b12core.reference import threshold_cites
from b12core.response import PROMPT_COLUMNS, annotate_labs, response, review_prompts, summarise
from b12core.workspace import build_workspace
from tests.conftest import SAMPLE


def lab_rows(patient: str, rows: list[tuple[str, str, float]], **extra) -> pd.DataFrame:
    """A labs table from (date, analyte, value) triples in canonical units."""
    frame = pd.DataFrame([{
        "patient_id": patient, "collected_at": pd.Timestamp(d), "analyte": a, "value": float(v), "unit": "",
        "qualifier": "", "reported_value": str(v), "reported_unit": "", "reported_name": a, "reported_flag": "",
        "ref_low": float("nan"), "ref_high": float("nan"), "source_file": "t.csv", "source_row": i + 1,
        "notes": "", **extra} for i, (d, a, v) in enumerate(rows)])
    return frame[list(LABS_COLUMNS)]


def dose_rows(patient: str, days: list[str], route: str = "IM") -> pd.DataFrame:
    return pd.DataFrame({"patient_id": patient, "administered_at": pd.to_datetime(days),
                         "product": "hydroxocobalamin", "dose_ug": 1000.0, "route": route, "source_file": "d.csv",
                         "source_row": range(1, len(days) + 1)})


def sample(labs: list[str], doses: list[str]):
    lab = build_workspace([(f, (SAMPLE / f).read_bytes()) for f in labs]).labs.labs
    dose = pd.concat([import_doses(read_file((SAMPLE / f).read_bytes(), f)).doses for f in doses])
    if (dose["patient_id"] == "(no id in file)").all():  # the record of a single-patient clinic sheet
        dose["patient_id"] = lab["patient_id"].iloc[0]
    return lab, dose


def test_b12_within_14_days_of_an_injection_is_not_interpretable():
    labs = lab_rows("p", [("2024-01-01", "b12", 100), ("2024-01-12", "b12", 1500), ("2024-02-20", "b12", 600),
                          ("2024-01-12", "hemoglobin", 110)])
    doses = dose_rows("p", ["2024-01-02", "2024-01-04", "2024-01-30"])
    a = annotate_labs(labs, doses)
    assert a["days_since_injection"].round(1).tolist()[:3] == [pytest.approx(float("nan"), nan_ok=True), 8.0, 21.0]
    assert a["interpretable"].tolist() == [True, False, True, True]
    assert a["interpretation"].tolist() == [
        "", "not interpretable: 8 days after an injection (wait at least 14 days)",
        "on treatment: not diagnostic of deficiency", ""]


def test_results_long_after_the_course_stopped_are_off_treatment():
    labs = lab_rows("p", [("2025-06-01", "b12", 110)])
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05", "2024-04-05"])
    a = annotate_labs(labs, doses)
    assert not a["on_treatment"].iat[0] and a["interpretation"].iat[0] == ""


def test_summary_baseline_latest_change_and_time_to_range():
    labs = lab_rows("p", [("2023-06-01", "hemoglobin", 150), ("2024-01-01", "hemoglobin", 84),
                          ("2024-01-15", "hemoglobin", 101), ("2024-02-12", "hemoglobin", 122),
                          ("2024-03-11", "hemoglobin", 140)])
    s = summarise(labs, dose_rows("p", ["2024-01-02"]), {"p": "male"}).iloc[0]
    assert (s["baseline"], s["latest"], s["change"]) == (84.0, 140.0, 56.0)  # 2023 is outside the 90-day window
    assert s["first_in_range_day"] == pytest.approx(69.0, abs=0.01)  # 11 Mar, the first >= 130 g/L for a man
    assert s["in_range"] and s["trend"] == "rising"


def test_hb_not_rising_by_day_14_is_a_prompt_with_its_source():
    labs = lab_rows("p", [("2024-01-01", "hemoglobin", 84), ("2024-01-17", "hemoglobin", 86)])
    prompts = review_prompts(labs, dose_rows("p", ["2024-01-02", "2024-01-04"]))
    p = prompts.iloc[0]
    assert p["rule"] == "hb_no_rise" and p["message"].startswith("Review: Hb has not risen by day 15")
    assert "iron or folate" in p["message"] and "NHS" in p["source"]


def test_symptoms_returning_before_the_next_dose():
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05", "2024-03-05", "2024-05-05"])
    diary = pd.DataFrame({"patient_id": "p", "recorded_at": pd.to_datetime(["2024-03-10", "2024-04-01", "2024-04-25"]),
                          "symptom": "fatigue", "score": [2.0, 3.0, 7.0]})
    prompts = review_prompts(lab_rows("p", [("2024-01-01", "mcv", 100)]), doses, diary)
    p = prompts[prompts["rule"] == "symptoms_return"].iloc[0]
    assert "fatigue worsened before the injection of 05 May 2024" in p["message"]
    assert "NICE NG239" in p["message"]


def test_review_and_injections_overdue_need_today():
    labs = lab_rows("p", [("2024-01-01", "hemoglobin", 90)])
    doses = dose_rows("p", ["2024-01-02", "2024-01-04", "2024-01-06", "2024-03-06", "2024-05-06"])
    assert review_prompts(labs, doses).empty
    rules = review_prompts(labs, doses, as_of="2024-08-01")["rule"].tolist()
    assert rules == ["review_overdue", "injection_overdue"]
    assert "course_stopped" in review_prompts(labs, doses, as_of="2025-03-01")["rule"].tolist()


def test_uk_patient_who_responds_well_has_nothing_to_review():
    labs, doses = sample(["uk_wide_labs_early.xlsx", "uk_wide_labs.csv"], ["uk_injections.xlsx"])
    r = response(labs, doses, as_of="2025-02-01")
    assert r.prompts.empty
    hb = r.summary.set_index("analyte").loc["hemoglobin"]
    assert (hb["baseline"], hb["latest"]) == (84.0, 145.0)
    b12 = r.labs[r.labs["analyte"] == "b12"]
    assert b12["interpretation"].tolist() == ["", "on treatment: not diagnostic of deficiency"]


def test_iron_deficiency_patient_gets_hb_and_ferritin_prompts():
    labs, doses = sample(["us_long_labs.csv"], ["us_injections.csv"])
    prompts = review_prompts(labs, doses, as_of="2025-06-01")
    mine = prompts[prompts["patient_id"] == "MRN007731"]
    assert set(mine["rule"]) >= {"hb_not_normal", "ferritin_low"}
    assert "Check ferritin and folate" in mine.set_index("rule").loc["hb_not_normal", "message"]


def test_relapse_after_stopping_is_flagged_for_each_marker():
    labs, doses = sample(["loinc_observations.csv"], ["loinc_medication_administrations.csv"])
    prompts = review_prompts(labs, doses)
    relapse = prompts[prompts["rule"] == "relapse_signs"]
    assert set(relapse["analyte"]) == {"hemoglobin", "mcv", "b12", "mma", "homocysteine"}
    assert relapse["date"].min() >= pd.Timestamp("2024-12-01")  # only after the course stopped


def test_moving_to_oral_is_not_a_stopped_course():
    labs, doses = sample(["eu_semicolon_labs.csv"], ["eu_injections.csv"])
    assert review_prompts(labs, doses, as_of="2024-10-01").empty


def test_every_prompt_is_worded_as_something_to_review_with_a_source():
    labs, doses = sample(["us_long_labs.csv"], ["us_injections.csv"])
    prompts = review_prompts(labs, doses, as_of="2025-06-01")
    assert len(prompts)
    assert prompts["message"].str.startswith("Review:").all()
    assert (prompts["source"].str.len() > 10).all()
    assert not prompts["message"].str.contains(r"\b(?:prescribe|give|administer)\b", case=False).any()


def test_a_planned_blood_test_without_a_result_is_a_prompt():
    from b12core.regimens import build_plan

    labs = lab_rows("p", [("2024-01-01", "hemoglobin", 90), ("2024-01-12", "hemoglobin", 101)])
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05"])
    plan = build_plan("UK-BNF-noneuro", "2024-01-01")
    prompts = review_prompts(labs, doses, as_of="2024-04-15", plans={"p": plan})
    overdue = prompts[prompts["rule"] == "recheck_overdue"]
    assert overdue["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-26"]  # day 10 was done, 8 weeks was not
    assert "8 weeks" in overdue["message"].iat[0] and "NHS Lothian" in overdue["source"].iat[0]


# --- words a clinician reads: cites, rule titles, counts ------------------------------------------

DEVELOPER_WORDS = r"clinical-facts|§|\[S\]|\[V\]|\[U\]|\bissues?\b|project rule|project choice|design\.md|" \
                  r"real-data|suggested rule"


def every_kind_of_prompt() -> pd.DataFrame:
    """Prompts of every rule the samples and small hand-built cases raise, in one table."""
    from b12core.regimens import build_plan

    us_labs, us_doses = sample(["us_long_labs.csv"], ["us_injections.csv"])
    relapse_labs, relapse_doses = sample(["loinc_observations.csv"], ["loinc_medication_administrations.csv"])
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05", "2024-03-05", "2024-05-05"])
    diary = pd.DataFrame({"patient_id": "p", "recorded_at": pd.to_datetime(["2024-03-10", "2024-04-01", "2024-04-25"]),
                          "symptom": "fatigue", "score": [2.0, 3.0, 7.0]})
    labs = lab_rows("p", [("2023-12-30", "hemoglobin", 84), ("2024-01-17", "hemoglobin", 86)])
    plan = build_plan("UK-BNF-noneuro", "2024-01-01")
    return pd.concat([
        review_prompts(us_labs, us_doses, as_of="2025-06-01"),
        review_prompts(relapse_labs, relapse_doses, as_of="2025-06-01"),
        review_prompts(labs, doses, diary, as_of="2024-08-01", plans={"p": plan}),
    ], ignore_index=True)


def test_prompts_quote_reader_facing_cites_and_carry_a_plain_rule_title():
    prompts = every_kind_of_prompt()
    assert set(prompts["rule"]) >= {"hb_no_rise", "hb_not_normal", "ferritin_low", "relapse_signs", "symptoms_return",
                                    "review_overdue", "recheck_overdue", "course_stopped"}
    assert list(prompts.columns) == list(PROMPT_COLUMNS) and "rule_label" in PROMPT_COLUMNS
    assert not prompts["source"].str.contains(DEVELOPER_WORDS, case=False).any()
    assert (prompts["source"].str.strip() != "").all()
    labels = prompts.drop_duplicates("rule").set_index("rule")["rule_label"]
    assert labels["hb_no_rise"] == "Hb not rising" and labels["course_stopped"] == "Course looks stopped"
    assert labels.str.match(r"^[A-Z][^_]+$").all(), labels  # a title, not an id
    assert labels.is_unique


def test_a_prompts_source_is_the_cite_of_its_threshold():
    labs = lab_rows("p", [("2024-01-01", "hemoglobin", 84), ("2024-01-17", "hemoglobin", 86)])
    p = review_prompts(labs, dose_rows("p", ["2024-01-02", "2024-01-04"])).iloc[0]
    assert p["source"] == threshold_cites()["hb_rise_check_day"]


def test_counts_in_prompts_have_the_right_plural(monkeypatch):
    # A usual interval of a few hours (no real course has one: it only makes one day count as stopped) puts a
    # count of exactly one day in the message.
    import b12core.response

    monkeypatch.setattr(b12core.response, "maintenance_interval", lambda gaps: 0.25)
    doses = dose_rows("p", ["2024-01-01 06:00", "2024-01-01 12:00", "2024-01-01 18:00"])
    prompts = review_prompts(lab_rows("p", [("2023-12-20", "hemoglobin", 90)]), doses, as_of="2024-01-02")
    message = prompts.set_index("rule").loc["course_stopped", "message"]
    assert "no injection for 1 day since 01 Jan 2024" in message


@pytest.mark.parametrize("given,collected,words", [
    ("2024-01-02", "2024-01-02", "not interpretable: on the day of an injection (wait at least 14 days)"),
    ("2024-01-02 09:00", "2024-01-02 18:00", "not interpretable: on the day of an injection (wait at least 14 days)"),
    ("2024-01-02", "2024-01-03", "not interpretable: 1 day after an injection (wait at least 14 days)"),
    # the morning after an evening injection: 1 day after it, though fewer than 24 hours
    ("2024-01-02 17:00", "2024-01-03 08:00", "not interpretable: 1 day after an injection (wait at least 14 days)"),
    ("2024-01-02", "2024-01-04", "not interpretable: 2 days after an injection (wait at least 14 days)"),
])
def test_b12_interpretation_counts_days_as_a_person_says_them(given, collected, words):
    labs = lab_rows("p", [(collected, "b12", 1500)])
    assert annotate_labs(labs, dose_rows("p", [given]))["interpretation"].iat[0] == words
