"""Response on the dose time axis: B12 interpretability, summaries, review prompts."""

from __future__ import annotations

import pandas as pd
import pytest

from b12core import read_file
from b12core.doses import import_doses
from b12core.labs import LABS_COLUMNS
from b12core.reference import bands, threshold, threshold_cites
from b12core.response import (
    PROMPT_COLUMNS,
    RULE_COLUMNS,
    RULE_LABELS,
    annotate_labs,
    band_words,
    counts_before,
    hb_rcv_pct,
    response,
    review_prompts,
    summarise,
)
from b12core.workspace import assess, build_workspace
from tests import test_histories as histories
from tests.conftest import SAMPLE


def lab_rows(patient: str, rows: list[tuple[str, str, float]], **extra) -> pd.DataFrame:
    """A labs table from (date, analyte, value) triples in canonical units."""
    frame = pd.DataFrame([{
        "patient_id": patient, "collected_at": pd.Timestamp(d), "analyte": a, "value": float(v), "unit": "",
        "qualifier": "", "reported_value": str(v), "reported_unit": "", "reported_name": a, "reported_flag": "",
        "specimen": "",
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
        f"deficiency confirmed; {B12_BANDS}", "not interpretable: 8 days after an injection (wait at least 14 days)",
        "on treatment: not diagnostic of deficiency", ""]
    assert a["reading"].tolist() == ["deficiency confirmed", "not interpretable", "", ""]


def test_results_long_after_the_course_stopped_are_off_treatment():
    labs = lab_rows("p", [("2025-06-01", "b12", 110)])
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05", "2024-04-05"])
    a = annotate_labs(labs, doses)
    assert not a["on_treatment"].iat[0] and a["interpretation"].iat[0] == f"deficiency confirmed; {B12_BANDS}"


def test_summary_baseline_latest_change_and_time_to_range():
    labs = lab_rows("p", [("2023-06-01", "hemoglobin", 150), ("2024-01-01", "hemoglobin", 84),
                          ("2024-01-15", "hemoglobin", 101), ("2024-02-12", "hemoglobin", 122),
                          ("2024-03-11", "hemoglobin", 140)])
    s = summarise(labs, dose_rows("p", ["2024-01-02"]), {"p": "male"}).iloc[0]
    assert (s["baseline"], s["latest"], s["change"]) == (84.0, 140.0, 56.0)  # 2023 is outside the 90-day window
    assert s["first_in_range_day"] == pytest.approx(69.0, abs=0.01)  # 11 Mar, the first >= 130 g/L for a man
    assert s["in_range"] and s["trend"] == "rising"


def test_the_trend_reads_the_results_of_its_window_from_the_reference_table():
    """Rising over the year, flat in the last months: the trend looks at the table's window only."""
    window = threshold("trend_window_days")
    last = pd.Timestamp("2025-01-01")
    early = [(f"{last - pd.Timedelta(days=window + d):%Y-%m-%d}", "hemoglobin", v) for d, v in ((120, 90), (60, 105))]
    recent = [(f"{last - pd.Timedelta(days=d):%Y-%m-%d}", "hemoglobin", 140) for d in (window - 10, window / 2, 0)]
    s = summarise(lab_rows("p", early + recent), dose_rows("p", ["2023-01-02"]), {"p": "male"}).iloc[0]
    assert s["trend"] == "stable"
    assert "trend_window_days" in threshold_cites()


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
    assert b12["interpretation"].tolist() == [f"deficiency confirmed; {B12_BANDS}",  # 98 ng/L before treatment
                                              "on treatment: not diagnostic of deficiency"]


def test_iron_deficiency_patient_gets_hb_and_ferritin_prompts():
    labs, doses = sample(["us_long_labs.csv"], ["us_injections.csv"])
    prompts = review_prompts(labs, doses, as_of="2025-06-01")
    mine = prompts[prompts["patient_id"] == "MRN007731"]
    assert set(mine["rule"]) >= {"hb_not_normal", "ferritin_low"}
    assert "Check ferritin and folate" in mine.set_index("rule").loc["hb_not_normal", "message"]


def test_relapse_after_stopping_is_flagged_for_each_marker():
    labs, doses = sample(["loinc_observations.csv"], ["loinc_medication_administrations.csv"])
    prompts = review_prompts(labs, doses)
    relapse = prompts[prompts["rule"].isin(["relapse_signs", "hb_falling", "mcv_rising", "b12_low_after_stop"])]
    # Hb, MCV and B12 have rules of their own that prompt at the first result that shows it (issue 12)
    assert relapse.groupby("rule")["analyte"].agg(set).to_dict() == {
        "relapse_signs": {"mma", "homocysteine"}, "hb_falling": {"hemoglobin"}, "mcv_rising": {"mcv"},
        "b12_low_after_stop": {"b12"}}
    assert relapse["date"].min() >= pd.Timestamp("2024-12-01")  # only after the course stopped
    # at the first result that shows it: Hb 12.5 g/dL (10% below its peak), MCV 102 fL, B12 150 pg/mL
    dates = relapse.set_index("rule")["date"].dt.strftime("%Y-%m-%d")
    assert (dates["hb_falling"], dates["mcv_rising"], dates["b12_low_after_stop"]) == (
        "2025-05-19", "2025-08-18", "2025-08-18")


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


B12_BANDS = bands()["b12"][0].cite


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


def test_counts_in_prompts_have_the_right_plural():
    # BNF 3 times a week from Mon 1 Jan: the dose of Wed 3 Jan was not given (the Friday one was): one dose.
    doses = dose_rows("p", ["2024-01-01", "2024-01-05", "2024-01-08", "2024-01-10", "2024-01-12"])
    prompts = review_prompts(lab_rows("p", [("2023-12-20", "hemoglobin", 90)]), doses, as_of="2024-01-13")
    message = prompts.set_index("rule").loc["loading_doses_missed", "message"]
    assert message.startswith("Review: 1 loading dose missed (due 03 Jan 2024)")


@pytest.mark.parametrize("given,collected,words", [
    # issue 12: a result on the day of a dose, neither with a time, counts as before it (was "not interpretable")
    ("2024-01-02", "2024-01-02", "deficiency unlikely; NICE NG239 (2024)"),
    ("2024-01-02 09:00", "2024-01-02 18:00", "not interpretable: on the day of an injection (wait at least 14 days)"),
    ("2024-01-02", "2024-01-03", "not interpretable: 1 day after an injection (wait at least 14 days)"),
    # the morning after an evening injection: 1 day after it, though fewer than 24 hours
    ("2024-01-02 17:00", "2024-01-03 08:00", "not interpretable: 1 day after an injection (wait at least 14 days)"),
    ("2024-01-02", "2024-01-04", "not interpretable: 2 days after an injection (wait at least 14 days)"),
])
def test_b12_interpretation_counts_days_as_a_person_says_them(given, collected, words):
    labs = lab_rows("p", [(collected, "b12", 1500)])
    assert annotate_labs(labs, dose_rows("p", [given]))["interpretation"].iat[0].startswith(words)


# --- issue 12: baseline on the day of the first dose ----------------------------------------------

D = pd.Timestamp


@pytest.mark.parametrize(("collected", "given", "before"), [
    ("2024-01-08", "2024-01-08", True),  # neither has a time: the result counts as before the dose
    ("2024-01-08 10:00", "2024-01-08", True),  # only the result has a time: nothing says it came after
    ("2024-01-08", "2024-01-08 09:00", True),  # only the dose has a time
    ("2024-01-08 08:00", "2024-01-08 09:00", True),  # both timed, blood first
    ("2024-01-08 10:00", "2024-01-08 09:00", False),  # both timed, the times say the dose came first
    ("2024-01-07 23:00", "2024-01-08 09:00", True),
    ("2024-01-09", "2024-01-08", False),
    ("2024-01-09 00:30", "2024-01-08 23:00", False),
])
def test_a_result_on_the_day_of_a_dose_counts_before_it_unless_both_times_say_otherwise(collected, given, before):
    assert counts_before(pd.Series([D(collected)]), D(given)).tolist() == [before]
    assert counts_before(pd.Series([D(collected)]), pd.Series([D(given)])).tolist() == [before]


def test_the_baseline_drawn_the_day_of_the_first_dose_is_the_baseline():
    labs = lab_rows("p", [("2024-01-08", "hemoglobin", 84), ("2024-01-08", "b12", 72),
                          ("2024-03-04", "hemoglobin", 140)])
    s = summarise(labs, dose_rows("p", ["2024-01-08", "2024-01-10"]), {"p": "male"}).set_index("analyte")
    assert (s.loc["hemoglobin", "baseline"], s.loc["hemoglobin", "change"]) == (84.0, 56.0)
    assert s.loc["b12", "baseline"] == 72.0 and s.loc["b12", "baseline_reading"] == "deficiency confirmed"
    a = annotate_labs(labs, dose_rows("p", ["2024-01-08", "2024-01-10"]))
    b12 = a[a["analyte"] == "b12"].iloc[0]
    assert b12["interpretable"] and not b12["interpretation"].startswith("not interpretable")
    assert pd.isna(b12["last_injection_at"]) and not b12["on_treatment"]


def test_a_timed_result_after_a_timed_first_dose_is_not_the_baseline():
    labs = lab_rows("p", [("2024-01-08 10:00", "hemoglobin", 84), ("2024-01-08 10:00", "b12", 1500)])
    doses = dose_rows("p", ["2024-01-08 09:00"])
    assert summarise(labs, doses).set_index("analyte")["baseline"].isna().all()
    assert annotate_labs(labs, doses).set_index("analyte").loc["b12", "reading"] == "not interpretable"


def test_the_course_window_before_the_first_dose_includes_its_day():
    labs = lab_rows("p", [("2024-01-02", "hemoglobin", 84), ("2024-01-17", "hemoglobin", 86)])
    prompts = review_prompts(labs, dose_rows("p", ["2024-01-02", "2024-01-04"]))
    assert prompts["rule"].tolist() == ["hb_no_rise"]
    assert "84 g/L before" in prompts["message"].iat[0]


# --- issue 12: NICE NG239 bands and the 14-day caveat for active B12 -------------------------------

@pytest.mark.parametrize(("analyte", "value", "qualifier", "words"), [
    ("b12", 100, "", "deficiency confirmed"), ("b12", 133, "", "indeterminate"), ("b12", 200, "", "indeterminate"),
    ("b12", 258, "", "indeterminate"), ("b12", 259, "", "deficiency unlikely"),
    ("b12", 150, "<", "deficiency confirmed or indeterminate"), ("b12", 133, "<", "deficiency confirmed"),
    ("b12", 1476, ">", "deficiency unlikely"), ("b12", 258, ">=", "indeterminate or deficiency unlikely"),
    ("b12", 1000, "<", "unclear"),
    ("holotc", 18, "", "deficiency confirmed"), ("holotc", 25, "", "indeterminate"),
    ("holotc", 70, "", "indeterminate"), ("holotc", 71, "", "deficiency unlikely"),
    ("holotc", 10, "<", "deficiency confirmed"),
])
def test_b12_and_active_b12_read_in_the_nice_ng239_bands(analyte, value, qualifier, words):
    assert band_words([float(value)], [qualifier], analyte).tolist() == [words]


def test_bands_apply_only_when_the_lab_gives_no_range():
    labs = pd.concat([lab_rows("p", [("2024-01-01", "b12", 200)]),
                      lab_rows("p", [("2024-01-01", "b12", 200)], ref_low=180.0, ref_high=914.0)])
    a = annotate_labs(labs, dose_rows("p", ["2024-02-01"]))
    assert a["reading"].tolist() == ["indeterminate", ""]
    assert a["interpretation"].tolist() == [f"indeterminate; {B12_BANDS}", "within the lab's range"]


def test_active_b12_within_14_days_of_an_injection_is_not_interpretable():
    labs = lab_rows("p", [("2024-01-01", "holotc", 20), ("2024-01-10", "holotc", 150), ("2024-03-01", "holotc", 90)])
    a = annotate_labs(labs, dose_rows("p", ["2024-01-02", "2024-01-04", "2024-02-01"]))
    assert a["interpretable"].tolist() == [True, False, True]
    assert a["reading"].tolist() == ["deficiency confirmed", "not interpretable", ""]
    assert a["interpretation"].iat[1] == "not interpretable: 6 days after an injection (wait at least 14 days)"


# --- issue 12: prompts as soon as the result is there ----------------------------------------------

LOADING_THEN_MAINTENANCE = ["2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-19",
                            "2024-04-19", "2024-07-19", "2024-10-18"]


def test_the_reference_change_value_of_hb_is_about_8_to_9_percent():
    assert 8 <= hb_rcv_pct() <= 9
    assert hb_rcv_pct() == pytest.approx(threshold("rcv_z") * 2 ** 0.5
                                         * (threshold("hb_cvi_pct") ** 2 + threshold("hb_cva_pct") ** 2) ** 0.5)


def test_hb_falling_on_treatment_with_every_dose_on_time_is_a_prompt():
    labs = lab_rows("p", [("2024-01-05", "hemoglobin", 95), ("2024-03-04", "hemoglobin", 140),
                          ("2024-06-03", "hemoglobin", 148), ("2024-09-02", "hemoglobin", 124)])
    prompts = review_prompts(labs, dose_rows("p", LOADING_THEN_MAINTENANCE))
    p = prompts.set_index("rule").loc["hb_falling"]
    assert p["date"] == D("2024-09-02") and p["analyte"] == "hemoglobin"
    assert p["message"].startswith("Review: Hb fell to 124 g/L on 02 Sep 2024, 16% below its highest")
    assert "148 g/L on 03 Jun 2024" in p["message"] and "8.4%" in p["message"]
    assert p["source"] == threshold_cites()["hb_cva_pct"] and "EFLM" in p["source"]


def test_a_slow_hb_fall_counts_from_its_highest_and_a_small_one_does_not():
    slow = lab_rows("p", [("2024-03-04", "hemoglobin", 148), ("2024-06-03", "hemoglobin", 142),
                          ("2024-09-02", "hemoglobin", 136), ("2024-10-01", "hemoglobin", 134)])
    p = review_prompts(slow, dose_rows("p", LOADING_THEN_MAINTENANCE))
    assert p.loc[p["rule"] == "hb_falling", "date"].tolist() == [D("2024-10-01")]  # 9.5% below 148
    small = lab_rows("p", [("2024-03-04", "hemoglobin", 148), ("2024-06-03", "hemoglobin", 140)])
    assert review_prompts(small, dose_rows("p", LOADING_THEN_MAINTENANCE)).empty  # 5.4%: within variation


def test_hb_below_its_range_after_reaching_it_is_a_prompt():
    labs = lab_rows("p", [("2024-01-05", "hemoglobin", 100), ("2024-03-04", "hemoglobin", 135),
                          ("2024-06-03", "hemoglobin", 128)])
    p = review_prompts(labs, dose_rows("p", LOADING_THEN_MAINTENANCE), sex={"p": "male"})
    hit = p.set_index("rule").loc["hb_falling"]
    assert hit["message"].startswith("Review: Hb is below its reference range again (128 g/L on 03 Jun 2024)")
    # for a woman 128 g/L is in range and 5% is within variation: nothing
    assert review_prompts(labs, dose_rows("p", LOADING_THEN_MAINTENANCE), sex={"p": "female"}).empty


def test_mcv_rising_again_after_it_came_into_range():
    labs = lab_rows("p", [("2024-01-05", "mcv", 112), ("2024-03-04", "mcv", 92), ("2024-06-03", "mcv", 96),
                          ("2024-09-02", "mcv", 104)])
    p = review_prompts(labs, dose_rows("p", LOADING_THEN_MAINTENANCE)).set_index("rule").loc["mcv_rising"]
    assert p["date"] == D("2024-09-02") and "above its reference range again (104 fL" in p["message"]
    never_normal = lab_rows("p", [("2024-01-05", "mcv", 118), ("2024-02-05", "mcv", 104),
                                  ("2024-02-20", "mcv", 108)])
    assert "mcv_rising" not in review_prompts(never_normal, dose_rows("p", LOADING_THEN_MAINTENANCE))["rule"].tolist()


def test_relapse_after_stopping_prompts_at_the_first_abnormal_result():
    # issue 12: after stopping, Hb 130 -> 108 g/L with MCV 104 and B12 110 pmol/L was silent for 230 days
    doses = dose_rows("p", ["2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-19",
                            "2024-04-19"])
    labs = lab_rows("p", [("2024-01-05", "hemoglobin", 90), ("2024-01-05", "mcv", 112), ("2024-01-05", "b12", 70),
                          ("2024-06-03", "hemoglobin", 130), ("2024-06-03", "mcv", 90), ("2024-06-03", "b12", 400),
                          ("2024-10-07", "hemoglobin", 108), ("2024-10-07", "mcv", 104), ("2024-10-07", "b12", 110)])
    prompts = review_prompts(labs, doses)
    assert prompts.set_index("rule").loc[["hb_falling", "mcv_rising", "b12_low_after_stop"], "date"].tolist() == \
        [D("2024-10-07")] * 3
    b12 = prompts.set_index("rule").loc["b12_low_after_stop"]
    assert b12["message"].startswith("Review: Vitamin B12 is below its lower limit (110 pmol/L on 07 Oct 2024), "
                                     "171 days after the last injection")
    assert "Mayo" in b12["source"]


def test_a_low_b12_within_14_days_of_an_injection_is_no_prompt():
    labs = lab_rows("p", [("2024-01-05", "b12", 70), ("2024-01-15", "b12", 100)])
    assert review_prompts(labs, dose_rows("p", ["2024-01-08", "2024-01-10"])).empty


def test_ferritin_and_folate_low_before_treatment():
    labs = lab_rows("p", [("2024-01-05", "ferritin", 9), ("2024-01-05", "folate", 5.0),
                          ("2023-12-01", "ferritin", 50)])
    prompts = review_prompts(labs, dose_rows("p", ["2024-01-08"])).set_index("rule")
    assert prompts.loc["ferritin_low_before", "message"].startswith(
        "Review: Ferritin is low before treatment (9 ug/L on 05 Jan 2024): iron deficiency can hide a raised MCV")
    assert prompts.loc["ferritin_low_before", "source"] == threshold_cites()["ferritin_low_before"]
    folate = prompts.loc["folate_low_before", "message"]
    assert folate.startswith("Review: Folate (serum) is low before treatment (5.0 nmol/L")
    assert "after" in folate or "with the B12" in folate
    assert not any(w in folate.lower() for w in (" mg", "microgram", "daily"))  # never a dose


def test_ferritin_below_30_is_low_for_an_adult():
    labs = lab_rows("p", [("2024-01-05", "ferritin", 25)])
    assert review_prompts(labs, dose_rows("p", ["2024-01-08"]))["rule"].tolist() == ["ferritin_low_before"]


def test_potassium_low_in_the_first_days_of_treatment():
    labs = lab_rows("p", [("2024-01-05", "potassium", 4.1), ("2024-01-10", "potassium", 3.1),
                          ("2024-03-01", "potassium", 3.2)])
    prompts = review_prompts(labs, dose_rows("p", ["2024-01-08", "2024-01-10"]))
    assert prompts["rule"].tolist() == ["potassium_low"]  # day 2; not the one at 2 months
    assert prompts["message"].iat[0].startswith("Review: potassium is low (3.1 mmol/L) on day 2 of treatment")
    assert prompts["source"].iat[0] == threshold_cites()["potassium_watch_days"]


def test_no_reticulocyte_response_by_day_10():
    base = [("2024-01-05", "hemoglobin", 84), ("2024-01-05", "reticulocytes", 0.9)]
    doses = dose_rows("p", ["2024-01-08", "2024-01-10", "2024-01-12"])
    none = review_prompts(lab_rows("p", [*base, ("2024-01-15", "reticulocytes", 0.6)]), doses)
    assert none["rule"].tolist() == ["retic_no_response"]
    assert none["message"].iat[0].startswith("Review: reticulocytes are not above their range by day 7 of treatment "
                                             "(0.6 %)")
    assert "NHS Lothian" in none["source"].iat[0]
    later_rise = lab_rows("p", [*base, ("2024-01-15", "reticulocytes", 0.6), ("2024-01-17", "reticulocytes", 4.5)])
    assert review_prompts(later_rise, doses).empty
    response_seen = lab_rows("p", [*base, ("2024-01-16", "reticulocytes", 8.5)])
    assert review_prompts(response_seen, doses).empty
    not_anaemic = lab_rows("p", [("2024-01-05", "hemoglobin", 140), ("2024-01-15", "reticulocytes", 0.6)])
    assert review_prompts(not_anaemic, doses).empty


def test_a_reticulocyte_rise_on_treatment_reads_as_the_response():
    labs = lab_rows("p", [("2024-01-05", "reticulocytes", 0.9), ("2024-01-16", "reticulocytes", 8.5)])
    doses = dose_rows("p", ["2024-01-08", "2024-01-10"])
    s = summarise(labs, doses).iloc[0]
    assert (s["reading"], s["in_range"]) == ("high: response", False)
    assert s["interpretation"] == "above the range on treatment: the response to treatment"
    assert annotate_labs(labs, doses)["reading"].tolist() == ["", "high: response"]


# --- issue 12: new or worse neurological symptoms are urgent ---------------------------------------

def diary(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame({"patient_id": "p", "recorded_at": pd.to_datetime([r[0] for r in rows]),
                         "symptom": [r[1] for r in rows], "score": [float(r[2]) for r in rows]})


def test_new_or_worse_neurological_symptoms_are_urgent_and_first():
    doses = dose_rows("p", ["2024-01-01", "2024-01-03", "2024-01-05", "2024-03-05", "2024-05-05"])
    symptoms = diary(("2024-03-10", "pins_and_needles", 4), ("2024-04-25", "pins_and_needles", 9),
                     ("2024-03-20", "unsteady_gait", 2), ("2024-04-01", "unsteady_gait", 7),
                     ("2024-03-10", "fatigue", 2), ("2024-04-01", "fatigue", 3), ("2024-04-25", "fatigue", 7))
    labs = lab_rows("p", [("2024-01-01", "hemoglobin", 84), ("2024-01-17", "hemoglobin", 86)])
    prompts = review_prompts(labs, doses, symptoms)
    urgent = prompts[prompts["severity"] == "urgent"]
    # one prompt per symptom, dated at its latest change and telling each change
    assert (urgent["rule"] == "neuro_symptom_urgent").all() and len(urgent) == 2
    assert prompts["severity"].tolist() == ["urgent"] * 2 + ["review"] * (len(prompts) - 2)  # urgent first
    messages = urgent["message"].tolist()
    assert all(m.startswith("Urgent review: ") for m in messages)
    assert any(m.startswith("Urgent review: unsteady gait new (score 2) on 20 Mar 2024 and worse (2 -> 7) on "
                            "01 Apr 2024") for m in messages)
    assert any(m.startswith("Urgent review: pins and needles new (score 4) on 10 Mar 2024 and worse (4 -> 9)")
               for m in messages)
    assert sorted(urgent["date"]) == [pd.Timestamp("2024-04-01"), pd.Timestamp("2024-04-25")]
    assert all("specialist (haematology) advice" in m for m in messages)
    assert urgent["source"].str.contains("NICE CKS").all()
    # the dose wearing off is still said of fatigue, and no longer of a neurological symptom
    returned = prompts[prompts["rule"] == "symptoms_return"]
    assert returned["message"].str.contains("fatigue").all() and len(returned) == 1


def test_a_neurological_symptom_that_comes_back_from_0_is_new_again_and_small_changes_are_not():
    symptoms = diary(("2024-03-01", "vision", 0), ("2024-03-08", "vision", 1), ("2024-03-15", "vision", 3),
                     ("2024-03-22", "vision", 4), ("2024-03-29", "vision", 0), ("2024-04-05", "vision", 2))
    prompts = review_prompts(lab_rows("p", [("2024-01-01", "hemoglobin", 120)]), dose_rows("p", ["2024-01-02"]),
                             symptoms)
    assert prompts["message"].tolist()[0].startswith(
        "Urgent review: vision new (score 3) on 15 Mar 2024 and new again (score 2) on 05 Apr 2024.")
    assert len(prompts) == 1


def test_prompts_have_a_severity_and_every_rule_a_title():
    assert PROMPT_COLUMNS[-1] == "severity"
    for rule in ("hb_falling", "mcv_rising", "b12_low_after_stop", "neuro_symptom_urgent", "ferritin_low_before",
                 "folate_low_before", "potassium_low", "retic_no_response"):
        assert RULE_LABELS[rule][0].isupper() and "_" not in RULE_LABELS[rule]
    assert len(set(RULE_LABELS.values())) == len(RULE_LABELS)


def test_days_since_an_injection_are_written_without_float_noise():
    labs = lab_rows("p", [("2025-02-10 09:10", "hemoglobin", 101)])
    doses = dose_rows("p", ["2025-01-17"])
    days = annotate_labs(labs, doses)["days_since_injection"].iloc[0]
    assert repr(float(days)) == "24.3819"  # 24 days 9 h 10 min: six significant digits, as every written value


def test_a_censored_result_keeps_its_sign_in_every_prompt():
    labs = lab_rows("p", [("2024-01-05", "hemoglobin", 84), ("2024-01-05", "folate", 20),
                          ("2024-02-20", "folate", 2.5), ("2024-03-20", "hemoglobin", 86),
                          ("2024-03-20", "mcv", 110)])
    labs.loc[2, "qualifier"] = "<"
    labs.loc[3, "qualifier"] = "<"
    prompts = review_prompts(labs, dose_rows("p", ["2024-01-08", "2024-01-10"])).set_index("rule")["message"]
    assert "(<2.5 nmol/L)" in prompts["folate_low"]
    assert "<86 g/L now" in prompts["hb_no_rise"]
    assert "(<86 g/L)" in prompts["hb_not_normal"]


@pytest.mark.parametrize("case", histories.CASES)
def test_the_rules_give_the_same_review_from_only_the_columns_they_read(case: str) -> None:
    """``assess`` hands the summary and the review rules only ``RULE_COLUMNS`` of the results (each
    filter in them copies every column it is given): on every history of the acceptance library the
    summary and the prompts are those worked out from every column."""
    options = histories.load(case)["options"]
    course = histories.app_course(case, options)
    patient = course.patient_id
    assert set(RULE_COLUMNS) < set(course.labs.columns)
    sex = options.get("sex", "any")
    view = assess(course, sex)
    sexes = {patient: sex}
    symptoms = course.symptoms if len(course.symptoms) else None
    pd.testing.assert_frame_equal(view.summary, summarise(course.labs, course.given, sexes, annotated=course.labs))
    if len(course.given):
        plans = {patient: course.plan} if course.plan is not None else None
        adherence = {patient: course.adherence} if course.adherence is not None else None
        pd.testing.assert_frame_equal(view.prompts, review_prompts(course.labs, course.given, symptoms, sexes,
                                                                   course.as_of, plans, adherence, course.labs))
    assert view.labs.columns.tolist() == course.labs.columns.tolist()  # the view keeps every column
