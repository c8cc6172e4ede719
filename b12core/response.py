"""Response to treatment: labs on the dose time axis, per-analyte summaries, review prompts.

Every prompt is worded as something to review, names its rule and quotes its source; none is a
prescription. Thresholds come from ``reference/thresholds.csv``, ranges from the lab's own
reference range when the file gave one, else from ``reference/ranges.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from b12core.doses import INJECTED, injections
from b12core.phases import LOADING, MAINTENANCE, detect_phases, maintenance_interval
from b12core.reference import analytes, default_range, threshold, threshold_cites
from b12core.words import counted

# ``rule``: an internal id; ``rule_label``: its title for a person; ``source``: the reader-facing
# cite of the rule (reference ``cite`` column), never the developers' provenance.
PROMPT_COLUMNS = ("patient_id", "rule", "rule_label", "analyte", "date", "message", "source")
RULE_LABELS = {
    "hb_no_rise": "Hb not rising",
    "hb_not_normal": "Hb still low",
    "mcv_high": "MCV still high",
    "mma_high": "MMA still high",
    "homocysteine_high": "Homocysteine still high",
    "ferritin_low": "Ferritin low on treatment",
    "folate_low": "Folate low on treatment",
    "relapse_signs": "Signs of relapse after stopping",
    "symptoms_return": "Symptoms worse before a dose",
    "review_overdue": "Treatment review overdue",
    "course_stopped": "Course looks stopped",
    "injection_overdue": "Injection overdue",
    "recheck_overdue": "Planned blood test missing",
}
_RAW_PROMPT_COLUMNS = [c for c in PROMPT_COLUMNS if c != "rule_label"]  # as the rules build them
SUMMARY_COLUMNS = ("patient_id", "analyte", "unit", "baseline", "baseline_qualifier", "baseline_at", "latest",
                   "latest_qualifier", "latest_at", "change",
                   "first_in_range_day", "in_range", "range_low", "range_high", "trend", "results")
DAY = pd.Timedelta(days=1)
DAYS_PER_MONTH = 365.25 / 12  # the calendar's average month, to say a number of days in months


@dataclass(frozen=True)
class Response:
    labs: pd.DataFrame  # labs + last_injection_at, days_since_injection, on_treatment, interpretable, interpretation
    summary: pd.DataFrame  # one row per patient and analyte
    prompts: pd.DataFrame  # PROMPT_COLUMNS: patient_id, rule, rule_label, analyte, date, message, source


def stop_after_days(doses: pd.DataFrame) -> pd.Series:
    """Per patient: days without any dose after which treatment counts as stopped (``stop_factor``
    times the usual maintenance interval of the patient's injections)."""
    out = {}
    for patient, group in doses.groupby("patient_id"):
        times = np.sort(injections(group)["administered_at"].to_numpy())
        gaps = np.diff(times).astype("timedelta64[s]").astype(float) / 86400 if len(times) > 1 else np.array([])
        out[patient] = threshold("stop_factor") * maintenance_interval(gaps)
    return pd.Series(out, dtype="float64", name="_stop_after")


def _last_before(labs: pd.DataFrame, events: pd.DataFrame, name: str) -> pd.Series:
    """For each lab row, the time of the patient's last event at or before its collection."""
    left = labs[["patient_id", "collected_at"]].assign(_row=np.arange(len(labs)))
    dated = left[left["collected_at"].notna()].sort_values("collected_at")
    right = events[["patient_id", "administered_at"]].dropna().rename(columns={"administered_at": name})
    if right.empty or dated.empty:
        return pd.Series(pd.NaT, index=np.arange(len(labs)), dtype="datetime64[ns]")
    right = right.astype({"patient_id": dated["patient_id"].dtype, name: "datetime64[ns]"})
    dated = dated.astype({"collected_at": "datetime64[ns]"})
    merged = pd.merge_asof(dated, right.sort_values(name), left_on="collected_at", right_on=name,
                           by="patient_id", direction="backward")
    return merged.set_index("_row")[name].reindex(np.arange(len(labs)))


def annotate_labs(labs: pd.DataFrame, doses: pd.DataFrame) -> pd.DataFrame:
    """Each result with the days since the last injection and since the last dose of any route,
    whether it was taken on treatment, and, for serum B12, whether it can be interpreted: within
    ``b12_not_interpretable_days`` of an injection it cannot (Mayo), and on treatment it is not
    diagnostic of deficiency (NHS guidance), so it is labelled so."""
    out = labs.reset_index(drop=True).copy()
    out["last_injection_at"] = _last_before(out, injections(doses), "last_injection_at").to_numpy(
        dtype="datetime64[ns]")
    last_dose = _last_before(out, doses, "last_dose_at").to_numpy(dtype="datetime64[ns]")
    out["days_since_injection"] = (out["collected_at"] - out["last_injection_at"]) / DAY
    days_since_dose = (out["collected_at"] - pd.Series(last_dose, index=out.index)) / DAY
    stop_after = out["patient_id"].map(stop_after_days(doses)).astype("float64")
    out["on_treatment"] = (days_since_dose <= stop_after).fillna(False).astype(bool)
    window = threshold("b12_not_interpretable_days")
    is_b12 = (out["analyte"] == "b12").to_numpy()
    recent = is_b12 & (out["days_since_injection"] <= window).fillna(False).to_numpy()
    on_treatment = is_b12 & out["on_treatment"].to_numpy()
    out["interpretable"] = ~recent
    # in calendar days, as a person counts them: a sample the morning after an evening injection is 1 day after it
    whole_days = (out["collected_at"].dt.normalize() - out["last_injection_at"].dt.normalize()) / DAY
    when = whole_days.map({d: _after_injection(d) for d in whole_days[recent].unique()})  # each value once
    out["interpretation"] = np.where(
        recent, "not interpretable: " + when.astype("object").fillna("") + f" (wait at least {counted(window, 'day')})",
        np.where(on_treatment, "on treatment: not diagnostic of deficiency", ""))
    return out


def _after_injection(days: float) -> str:
    """``on the day of an injection``, ``1 day after an injection``, ``8 days after an injection``."""
    return "on the day of an injection" if days == 0 else f"{counted(days, 'day')} after an injection"


def _range(analyte: str, sex: str, lab_low: float, lab_high: float) -> tuple[float, float]:
    """The lab's own range where it gave one, else the default adult range for the sex."""
    ref = default_range(analyte, sex)
    low = lab_low if not np.isnan(lab_low) else (ref.low if ref and ref.low is not None else np.nan)
    high = lab_high if not np.isnan(lab_high) else (ref.high if ref and ref.high is not None else np.nan)
    return low, high


def _in_range(value: float, low: float, high: float) -> bool:
    return (np.isnan(low) or value >= low) and (np.isnan(high) or value <= high)


def _trend(rows: pd.DataFrame, analyte: str) -> str:
    """rising / falling / stable from a least-squares line through the on-treatment results of the
    last 180 days; stable when the fitted change is below the analyte's meaningful change."""
    recent = rows[rows["collected_at"] >= rows["collected_at"].max() - pd.Timedelta(days=180)]
    if len(recent) < 3:
        return "too few results"
    x = ((recent["collected_at"] - recent["collected_at"].min()) / DAY).to_numpy(dtype=float)
    y = recent["value"].to_numpy(dtype=float)
    if np.ptp(x) == 0:
        return "too few results"
    slope = np.polyfit(x, y, 1)[0]
    fitted_change = slope * np.ptp(x)
    if abs(fitted_change) < analytes()[analyte].meaningful_change_pct / 100 * abs(np.mean(y)):
        return "stable"
    return "rising" if slope > 0 else "falling"


def summarise(labs: pd.DataFrame, doses: pd.DataFrame, sex: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per patient and analyte: baseline (last result in the window before the first dose), latest,
    change, days from the first dose to the first result in range, in range now, trend.

    A censored baseline or latest keeps its qualifier (``baseline_qualifier``, ``latest_qualifier``)
    and its bound as the value; ``change`` is then the difference of the bounds, which only the
    qualifiers can turn into a statement (``summary.change_text``). ``range_low`` and ``range_high``
    are the range the latest result was judged against (the lab's own, else the default)."""
    rows = []
    first_dose = doses.groupby("patient_id")["administered_at"].min()
    window = pd.Timedelta(days=threshold("baseline_window_days"))
    for (patient, analyte), group in labs[labs["collected_at"].notna()].groupby(["patient_id", "analyte"],
                                                                                   observed=True, sort=True):
        group = group.sort_values("collected_at")
        start = first_dose.get(patient, pd.NaT)
        before = group[(group["collected_at"] < start) & (group["collected_at"] >= start - window)] \
            if pd.notna(start) else group.iloc[0:0]
        after = group[group["collected_at"] >= start] if pd.notna(start) else group
        base = before.iloc[-1] if len(before) else None
        last = group.iloc[-1]
        patient_sex = (sex or {}).get(patient, "any")
        low, high = _range(analyte, patient_sex, last["ref_low"], last["ref_high"])
        in_range_rows = after[[_in_range(v, *_range(analyte, patient_sex, lo, hi))
                               for v, lo, hi in zip(after["value"], after["ref_low"], after["ref_high"], strict=True)]]
        first_in_range = ((in_range_rows["collected_at"].iloc[0] - start) / DAY
                          if len(in_range_rows) and pd.notna(start) else np.nan)
        rows.append((patient, analyte, analytes()[analyte].canonical_unit,
                     base["value"] if base is not None else np.nan,
                     base["qualifier"] if base is not None else "",
                     base["collected_at"] if base is not None else pd.NaT,
                     last["value"], last["qualifier"], last["collected_at"],
                     last["value"] - base["value"] if base is not None else np.nan,
                     first_in_range, _in_range(last["value"], low, high), low, high,
                     _trend(after if len(after) else group, analyte), len(group)))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype(
        {"baseline_at": "datetime64[ns]", "latest_at": "datetime64[ns]", "first_in_range_day": "float64",
         "baseline": "float64", "change": "float64", "range_low": "float64", "range_high": "float64"})


# --- review prompts ----------------------------------------------------------------------------

def _fmt(value: float, analyte: str) -> str:
    return f"{value:.4g} {analytes()[analyte].canonical_unit}"


def _first_at_or_after(group: pd.DataFrame, when: pd.Timestamp) -> pd.Series | None:
    later = group[group["collected_at"] >= when]
    return later.iloc[0] if len(later) else None


def course_starts(doses: pd.DataFrame) -> dict[str, list[pd.Timestamp]]:
    """Per patient, the day each course of treatment began (a restart after stopping is a new
    course); oral-only treatment is one course from its first dose."""
    out: dict[str, list[pd.Timestamp]] = {}
    phased = detect_phases(doses).doses
    for patient, group in phased.groupby("patient_id"):
        injected = group[group["phase"].isin([LOADING, MAINTENANCE])]
        starts = injected.groupby("course")["administered_at"].min().sort_index().dt.normalize().tolist()
        first = group["administered_at"].min().normalize()
        if not starts or first < starts[0]:
            starts = [first, *starts[1:]]
        out[patient] = starts
    return out


def review_prompts(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None = None,
                   sex: Mapping[str, str] | None = None, as_of: str | pd.Timestamp | None = None,
                   plans: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Things for the clinician to review (``PROMPT_COLUMNS``), each with its rule (an id and a
    title) and its source as a clinician knows it. The response checks run for every course of
    treatment; prompts about overdue reviews, doses and planned blood tests (``plans``: a plan per
    patient from ``build_plan``) need ``as_of`` (today) and are not raised without it."""
    sources = threshold_cites()
    prompts: list[tuple] = []
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else None
    annotated = annotate_labs(labs, doses)
    annotated = annotated[annotated["collected_at"].notna()].sort_values("collected_at")
    starts = course_starts(doses)
    for patient, given in doses.groupby("patient_id"):
        mine = annotated[annotated["patient_id"] == patient]
        patient_sex = (sex or {}).get(patient, "any")
        patient_starts = starts.get(patient, [])
        for i, start in enumerate(patient_starts):
            end = patient_starts[i + 1] if i + 1 < len(patient_starts) else None
            in_course = mine[(mine["collected_at"] >= start) & ((mine["collected_at"] < end) if end else True)]
            before = mine[(mine["collected_at"] < start)
                          & (mine["collected_at"] >= start - pd.Timedelta(days=threshold("baseline_window_days")))]
            prompts.extend(_course_prompts(patient, start, before, in_course, patient_sex, sources))
        prompts.extend(_relapse_prompts(patient, mine, patient_sex, sources))
        if symptoms is not None and len(symptoms):
            prompts.extend(_symptom_prompts(patient, injections(given), symptoms, sources))
        if as_of is not None and patient_starts:
            prompts.extend(_overdue_prompts(patient, patient_starts[-1], given, mine, as_of, sources))
        if as_of is not None and plans and patient in plans:
            prompts.extend(_recheck_prompts(patient, plans[patient], mine, as_of))
    table = pd.DataFrame(prompts, columns=_RAW_PROMPT_COLUMNS).astype({"date": "datetime64[ns]"})
    labels = table["rule"].map(RULE_LABELS).astype("object").fillna(table["rule"])
    return table.assign(rule_label=labels)[list(PROMPT_COLUMNS)]


def _course_prompts(patient: str, start: pd.Timestamp, before: pd.DataFrame, results: pd.DataFrame, sex: str,
                    sources: dict[str, str]) -> list[tuple]:
    """Hb not rising, values not normalising, iron or folate running low: within one course."""
    out = []
    hb_before = before[before["analyte"] == "hemoglobin"]
    check = _first_at_or_after(results[results["analyte"] == "hemoglobin"],
                               start + pd.Timedelta(days=threshold("hb_rise_check_day")))
    if len(hb_before) and check is not None:
        base = hb_before.iloc[-1]["value"]
        if check["value"] - base < threshold("hb_min_rise"):
            day = (check["collected_at"] - start) / DAY
            out.append((patient, "hb_no_rise", "hemoglobin", check["collected_at"],
                        f"Review: Hb has not risen by day {day:.0f} of treatment ({_fmt(base, 'hemoglobin')} before, "
                        f"{_fmt(check['value'], 'hemoglobin')} now). Consider iron or folate deficiency or another "
                        "cause of anaemia.", sources["hb_rise_check_day"]))
    for analyte, rule, key, words in (
            ("hemoglobin", "hb_not_normal", "hb_normal_check_day", "Hb is still below its reference range"),
            ("mcv", "mcv_high", "mcv_normal_check_day", "MCV is still above its reference range"),
            ("mma", "mma_high", "metabolite_check_day", "MMA has not normalised"),
            ("homocysteine", "homocysteine_high", "metabolite_check_day", "Homocysteine has not normalised")):
        first = _first_at_or_after(results[results["analyte"] == analyte], start + pd.Timedelta(days=threshold(key)))
        if first is not None and _outside(first, analyte, sex):
            week = (first["collected_at"] - start) / DAY / 7
            extra = " Check ferritin and folate." if analyte == "hemoglobin" else ""
            out.append((patient, rule, analyte, first["collected_at"],
                        f"Review: {words} at week {week:.0f} ({_fmt(first['value'], analyte)}).{extra}",
                        sources[key]))
    for analyte in ("ferritin", "folate"):
        for _, r in results[results["analyte"] == analyte].iterrows():
            low, _ = _range(analyte, sex, r["ref_low"], r["ref_high"])
            if not np.isnan(low) and r["value"] < low:
                out.append((patient, f"{analyte}_low", analyte, r["collected_at"],
                            f"Review: {analytes()[analyte].label} is low on treatment ({_fmt(r['value'], analyte)}); "
                            "the response to B12 can deplete iron and folate stores.",
                            sources["haematinics_on_treatment"]))
                break
    return out


def _outside(row: pd.Series, analyte: str, sex: str) -> bool:
    """True when the result is outside its range in the direction B12 deficiency moves it."""
    low, high = _range(analyte, sex, row["ref_low"], row["ref_high"])
    direction = analytes()[analyte].deficiency_direction
    return (direction == "low" and not np.isnan(low) and row["value"] < low) or \
        (direction == "high" and not np.isnan(high) and row["value"] > high)


def _relapse_prompts(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """After treatment stopped: the first result per analyte that moved out of range the way
    deficiency moves it."""
    off = results[~results["on_treatment"] & results["last_injection_at"].notna()]
    out = []
    for analyte, rows in off.groupby("analyte", observed=True, sort=False):
        if not analytes()[analyte].deficiency_direction:
            continue
        for _, r in rows.iterrows():
            if _outside(r, analyte, sex):
                out.append((patient, "relapse_signs", analyte, r["collected_at"],
                            f"Review: {analytes()[analyte].label} is out of range ({_fmt(r['value'], analyte)}) "
                            f"{counted(round(r['days_since_injection']), 'day')} after the last injection; "
                            "treatment had stopped and deficiency may have returned.", sources["stop_factor"]))
                break
    return out


def _symptom_prompts(patient: str, given: pd.DataFrame, symptoms: pd.DataFrame, sources: dict[str, str]
                     ) -> list[tuple]:
    """A symptom that worsens in the weeks before the next injection is due (NICE NG239 allows
    more frequent injections then)."""
    out = []
    mine = symptoms[symptoms["patient_id"] == patient]
    times = given["administered_at"].sort_values().to_list()
    window = pd.Timedelta(days=threshold("symptom_return_window_days"))
    for before, after in pairwise(times):
        if (after - before) / DAY <= threshold("loading_gap_max_days"):
            continue  # only maintenance intervals
        between = mine[(mine["recorded_at"] > before) & (mine["recorded_at"] < after)]
        for symptom, scores in between.groupby("symptom"):
            early = scores[scores["recorded_at"] < after - window]["score"]
            late = scores[scores["recorded_at"] >= after - window]
            if len(early) and len(late) and late["score"].max() - early.min() >= threshold("symptom_worsening"):
                worst = late.loc[late["score"].idxmax()]
                out.append((patient, "symptoms_return", "", worst["recorded_at"],
                            f"Review: {symptom.replace('_', ' ')} worsened before the injection of "
                            f"{after:%d %b %Y} was due (score {early.min():g} -> {worst['score']:g}). NICE NG239 "
                            "allows more frequent injections when symptoms return before the next dose.",
                            sources["symptom_return_window_days"]))
    return out


def _overdue_prompts(patient: str, start: pd.Timestamp, given: pd.DataFrame, mine: pd.DataFrame,
                     as_of: pd.Timestamp, sources: dict[str, str]) -> list[tuple]:
    out = []
    review_day = start + pd.Timedelta(days=threshold("review_due_day"))
    blood_counts = mine[mine["analyte"].isin(["hemoglobin", "mcv"]) & (mine["collected_at"] >= start)]
    window = pd.Timedelta(days=threshold("review_window_days"))
    if as_of > review_day + window and not (blood_counts["collected_at"] >= review_day - window).any():
        out.append((patient, "review_overdue", "", review_day,
                    f"Review: the review at {counted(round(threshold('review_due_day') / DAYS_PER_MONTH), 'month')} "
                    f"was due on {review_day:%d %b %Y} and no blood count since then is in the files.",
                    sources["review_due_day"]))
    inj = injections(given)["administered_at"].sort_values()
    if len(inj) and given.loc[given["administered_at"].idxmax(), "route"] in INJECTED:
        gaps = np.diff(inj.to_numpy()).astype("timedelta64[s]").astype(float) / 86400
        interval = maintenance_interval(gaps)
        last = inj.iloc[-1].normalize()
        silent = (as_of - last) / DAY
        if silent > threshold("stop_factor") * interval:
            out.append((patient, "course_stopped", "", last,
                        f"Review: no injection for {counted(round(silent), 'day')} since {last:%d %b %Y}; the "
                        "course looks stopped, and deficiency can return.", sources["stop_factor"]))
        elif silent > interval + threshold("maintenance_on_time_days"):
            out.append((patient, "injection_overdue", "", last + pd.Timedelta(days=interval),
                        f"Review: the next injection was due about {last + pd.Timedelta(days=interval):%d %b %Y} "
                        f"(usual interval {counted(round(interval), 'day')}).", sources["maintenance_on_time_days"]))
    return out


def _recheck_prompts(patient: str, plan: pd.DataFrame, results: pd.DataFrame, as_of: pd.Timestamp
                     ) -> list[tuple]:
    """A planned blood test whose day has passed (by more than the review window) with no result
    in the files near it."""
    window = pd.Timedelta(days=threshold("review_window_days"))
    out = []
    for _, check in plan[plan["kind"] == "recheck"].iterrows():
        day = check["date"]
        if day + window >= as_of:
            continue
        near = results[(results["collected_at"] >= day - window) & (results["collected_at"] <= day + window)]
        if near.empty:
            out.append((patient, "recheck_overdue", "", day,
                        f"Review: the blood test planned for {day:%d %b %Y} ({check['what']}) has no result in "
                        "the files.", check["source"]))
    return out


def response(labs: pd.DataFrame, doses: pd.DataFrame, symptoms: pd.DataFrame | None = None,
             sex: Mapping[str, str] | None = None, as_of: str | pd.Timestamp | None = None,
             plans: Mapping[str, pd.DataFrame] | None = None) -> Response:
    """Everything the follow-up summary shows, for every patient in ``labs`` with doses."""
    return Response(annotate_labs(labs, doses), summarise(labs, doses, sex),
                    review_prompts(labs, doses, symptoms, sex, as_of, plans))
