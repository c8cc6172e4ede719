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

from b12core.coincident import choose
from b12core.course import Adherence, adherence, fit_regimen, grace_cite, grace_days
from b12core.display import value_text
from b12core.doses import injections
from b12core.phases import LOADING, MAINTENANCE, detect_phases, maintenance_interval
from b12core.reference import analytes, bands, default_range, threshold, threshold_cites
from b12core.regimens import Regimen
from b12core.symptoms import neurological_symptoms, symptom_name
from b12core.units import canonical
from b12core.words import counted, joined

# ``rule``: an internal id; ``rule_label``: its title for a person; ``source``: the reader-facing
# cite of the rule (reference ``cite`` column), never the developers' provenance.
PROMPT_COLUMNS = ("patient_id", "rule", "rule_label", "analyte", "date", "message", "source", "severity")
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
    "doses_missed": "Injections missed",
    "loading_doses_missed": "Loading doses missed",
    "loading_review": "Open loading phase: review its end",
    "hb_falling": "Hb falling on treatment",
    "mcv_rising": "MCV rising again",
    "b12_low_after_stop": "B12 low again after treatment",
    "neuro_symptom_urgent": "Neurological symptom new or worse",
    "ferritin_low_before": "Ferritin low before treatment",
    "folate_low_before": "Folate low before treatment",
    "potassium_low": "Potassium low early in treatment",
    "retic_no_response": "No reticulocyte response",
}
# ``severity``: "urgent" prompts come first and are marked so wherever prompts show; every other is "review".
URGENT = "urgent"
REVIEW = "review"
URGENT_RULES = frozenset({"neuro_symptom_urgent"})
_RAW_PROMPT_COLUMNS = [c for c in PROMPT_COLUMNS if c not in ("rule_label", "severity")]  # as the rules build them
# The columns of the results (``annotate_labs``' output) that ``summarise`` and ``review_prompts``
# read. Each boolean filter in them copies every column it is given, so ``workspace.assess`` hands
# them only these, 15 of the 24: both took 72 ms for a load-test patient (ten years of monthly
# results) with every column, 61 ms with these (median of 18 calls on this machine).
RULE_COLUMNS = ("patient_id", "collected_at", "analyte", "value", "qualifier", "ref_low", "ref_high",
                "last_injection_at", "days_since_injection", "on_treatment", "interpretable", "interpretation",
                "reading", "used", "choice")
SUMMARY_COLUMNS = ("patient_id", "analyte", "unit", "baseline", "baseline_qualifier", "baseline_at", "latest",
                   "latest_qualifier", "latest_at", "change",
                   "first_in_range_day", "in_range", "range_low", "range_high", "trend", "results",
                   "interpretation", "reading", "baseline_reading", "reading_source", "baseline_choice",
                   "latest_choice")
BELOW = ("<", "<=")  # qualifiers of a value below what the test measures
ABOVE = (">", ">=")
STRICT = ("<", ">")
NOT_INTERPRETABLE = "not interpretable"
ON_TREATMENT = "on treatment: not diagnostic of deficiency"
RESPONSE = "high: response"  # a reticulocyte count above its range on treatment: the expected response
DAY = pd.Timedelta(days=1)
DAYS_PER_MONTH = 365.25 / 12  # the calendar's average month, to say a number of days in months


@dataclass(frozen=True)
class Response:
    labs: pd.DataFrame  # labs + last_injection_at, days_since_injection, on_treatment, interpretable, interpretation,
    #                     reading, used, choice
    summary: pd.DataFrame  # one row per patient and analyte
    prompts: pd.DataFrame  # PROMPT_COLUMNS: patient_id, rule, rule_label, analyte, date, message, source, severity


def stop_after_days(doses: pd.DataFrame, fitted: Mapping[str, Regimen] | None = None) -> pd.Series:
    """Per patient: days without any dose after which treatment counts as stopped, as the course
    walk counts it (``course``): ``stop_missed_doses`` maintenance intervals of the regimen the
    injections fit best (``fitted``, when the caller has fitted it already), and the grace of the
    last one. Without injections to fit, ``stop_factor`` times the usual interval of the patient's
    own doses."""
    out = {}
    for patient, group in doses.groupby("patient_id"):
        regimen = (fitted or {}).get(patient) or fit_regimen(group)
        if regimen is not None:
            interval = regimen.maintenance_months * DAYS_PER_MONTH
            out[patient] = threshold("stop_missed_doses") * interval + grace_days(interval)
            continue
        times = np.sort(injections(group)["administered_at"].to_numpy())
        gaps = np.diff(times).astype("timedelta64[s]").astype(float) / 86400 if len(times) > 1 else np.array([])
        out[patient] = threshold("stop_factor") * maintenance_interval(gaps)
    return pd.Series(out, dtype="float64", name="_stop_after")


def dose_cutoff(administered_at: pd.Series | pd.Timestamp) -> pd.Series | pd.Timestamp:
    """The last moment a result can be taken and still count as before a dose: the dose's own time
    when it has one (not midnight), else the end of its day, for a result that day without a time
    of its own, or one that has a time, cannot be said to come after a dose given at an unknown hour."""
    if isinstance(administered_at, pd.Series):
        day = administered_at.dt.normalize()
        return administered_at.where(administered_at != day, day + DAY - pd.Timedelta(1, "ns"))
    day = administered_at.normalize()
    return administered_at if administered_at != day else day + DAY - pd.Timedelta(1, "ns")


def counts_before(collected_at: pd.Series, administered_at: pd.Series | pd.Timestamp) -> pd.Series:
    """True where a result counts as taken before a dose (design.md): on an earlier day, or on the
    dose's day unless both carry times (not midnight) and the result's is later. Baselines, the
    window before a course and the B12 caveat all use this one rule; a missing time is False."""
    return (collected_at <= dose_cutoff(administered_at)).fillna(False).astype(bool)


def _last_before(labs: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """For each lab row, the time of the patient's last event the result counts as taken after
    (``counts_before`` is False for it; NaT when there is none), as datetime64[ns]. A sorted search
    per patient: ``merge_asof`` did the same in twice the time (3.9 against 1.8 ms for ten years of
    monthly results), twice a patient."""
    out = np.full(len(labs), np.datetime64("NaT"), dtype="datetime64[ns]")
    given = events[["patient_id", "administered_at"]].dropna()
    if given.empty or not len(labs):
        return out
    collected = labs["collected_at"].to_numpy(dtype="datetime64[ns]")
    rows_of = labs.groupby(labs["patient_id"].astype("object"), sort=False).indices
    for patient, group in given.groupby(given["patient_id"].astype("object"), sort=False):
        rows = rows_of.get(patient)
        if rows is None:
            continue
        rows = rows[~np.isnat(collected[rows])]
        when = group["administered_at"].to_numpy(dtype="datetime64[ns]")
        cutoff = dose_cutoff(pd.Series(when)).to_numpy(dtype="datetime64[ns]")
        order = np.argsort(cutoff, kind="stable")
        before = np.searchsorted(cutoff[order], collected[rows], side="left")  # events strictly before
        out[rows] = np.where(before > 0, when[order][np.maximum(before - 1, 0)], np.datetime64("NaT"))
    return out


def annotate_labs(labs: pd.DataFrame, doses: pd.DataFrame, fitted: Mapping[str, Regimen] | None = None
                  ) -> pd.DataFrame:
    """Each result with the days since the last injection and since the last dose of any route
    (a result on a dose's day counts as before it, ``counts_before``), whether it was taken on
    treatment, and how it reads (``interpretation`` in words, ``reading`` in a word or two where
    the plain range does not say it).

    Serum B12 and active B12 (the analytes of ``reference/bands.csv``): within
    ``b12_not_interpretable_days`` after an injection a result is not interpretable (Mayo); on
    treatment it is not diagnostic of deficiency; otherwise it reads in the NICE NG239 bands unless
    the lab gave its own range. A reticulocyte count above its range on treatment is the response.

    Of results of one test at one time that differ, ``used`` marks the one the summary and prompts
    use, and ``choice`` says which and why on that row (``coincident.choose``).
    ``fitted``: the regimen each patient's injections fit best, when already known (``stop_after_days``)."""
    out = labs.reset_index(drop=True).copy()
    out["last_injection_at"] = _last_before(out, injections(doses))
    last_dose = _last_before(out, doses)
    out["days_since_injection"] = canonical((out["collected_at"] - out["last_injection_at"]) / DAY)
    days_since_dose = (out["collected_at"] - pd.Series(last_dose, index=out.index)) / DAY
    stop_after = out["patient_id"].map(stop_after_days(doses, fitted)).astype("float64")
    out["on_treatment"] = (days_since_dose <= stop_after).fillna(False).astype(bool)
    window = threshold("b12_not_interpretable_days")
    marker = out["analyte"].astype("object").isin(list(bands())).to_numpy()
    recent = marker & (out["days_since_injection"] <= window).fillna(False).to_numpy()
    out["interpretable"] = ~recent
    # in calendar days, as a person counts them: a sample the morning after an evening injection is 1 day after it
    whole_days = (out["collected_at"].dt.normalize() - out["last_injection_at"].dt.normalize()) / DAY
    when = whole_days.map({d: _after_injection(d) for d in whole_days[recent].unique()})  # each value once
    reading, text = _readings(out, marker)
    out["interpretation"] = np.where(
        recent, f"{NOT_INTERPRETABLE}: " + when.astype("object").fillna("")
        + f" (wait at least {counted(window, 'day')})", text)
    out["reading"] = np.where(recent, NOT_INTERPRETABLE, reading)
    out["used"], out["choice"] = choose(out)
    return out


def _readings(out: pd.DataFrame, marker: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reading, interpretation) of each result that is not within the window after an injection:
    B12 markers on treatment, in the lab's range or in their bands; a response on treatment."""
    reading = np.full(len(out), "", dtype=object)
    text = np.full(len(out), "", dtype=object)
    analyte = out["analyte"].astype("object").to_numpy()
    value = out["value"].to_numpy(dtype="float64")
    qualifier = out["qualifier"].astype("object").fillna("").to_numpy()
    on = out["on_treatment"].to_numpy(dtype=bool)
    lab_low, lab_high = out["ref_low"].to_numpy(dtype="float64"), out["ref_high"].to_numpy(dtype="float64")
    has_lab = ~np.isnan(lab_low) | ~np.isnan(lab_high)
    text[marker & on] = ON_TREATMENT
    lab = marker & ~on & has_lab
    if lab.any():
        words = range_words(value[lab], qualifier[lab], lab_low[lab], lab_high[lab])
        text[lab] = [_LAB_WORDS.get(w, f"{w} (the lab's range)") if w else "" for w in words]
    for key, rows in bands().items():
        banded = (analyte == key) & ~on & ~has_lab
        if banded.any():
            words = band_words(value[banded], qualifier[banded], key)
            reading[banded] = words
            text[banded] = [f"{w}; {rows[0].cite}" if w else "" for w in words]
    response = _responses(analyte, value, lab_high, on)
    reading[response] = RESPONSE
    text[response] = "above the range on treatment: the response to treatment"
    return reading, text


def _responses(analyte: np.ndarray, value: np.ndarray, lab_high: np.ndarray, on: np.ndarray) -> np.ndarray:
    """True for a result on treatment above the range of an analyte whose rise is the response
    (``response_direction`` high: reticulocytes)."""
    response = np.zeros(len(analyte), dtype=bool)
    for key, info in analytes().items():
        mine = (analyte == key) & on
        if info.response_direction != "high" or not mine.any():
            continue
        ref = default_range(key, "any")
        high = np.where(np.isnan(lab_high), ref.high if ref and ref.high is not None else np.nan, lab_high)
        with np.errstate(invalid="ignore"):
            response |= mine & (value > high)
    return response


_LAB_WORDS = {"yes": "within the lab's range", "low": "below the lab's range", "high": "above the lab's range"}


def band_words(values: np.ndarray, qualifiers: np.ndarray, analyte: str) -> np.ndarray:
    """The band each value of ``analyte`` reads in (``reference/bands.csv``: NICE NG239 for B12 and
    active B12): "deficiency confirmed", "indeterminate", "deficiency unlikely"; a censored value
    says what it lets us know ("deficiency confirmed or indeterminate", "unclear" when it could be
    in any band); "" without a value."""
    rows = bands()[analyte]
    value = np.asarray(values, dtype="float64")
    q = pd.Series(qualifiers, dtype=object).fillna("").to_numpy()

    def index(v: np.ndarray) -> np.ndarray:
        idx = np.zeros(len(v), dtype=int)
        for band in rows[:-1]:
            idx += (v > band.upper) if band.upper_inclusive else (v >= band.upper)
        return idx

    last = len(rows) - 1
    lowest = np.select([np.isin(q, BELOW), q == ">"], [0, index(np.nextafter(value, np.inf))], index(value))
    highest = np.select([np.isin(q, ABOVE), q == "<"], [last, index(np.nextafter(value, -np.inf))], index(value))
    names = np.array([b.words for b in rows], dtype=object)
    words = np.where(lowest == highest, names[lowest], names[lowest] + " or " + names[highest])
    words = np.where((lowest == 0) & (highest == last) & (last > 1), "unclear", words)
    return np.where(np.isnan(value), "", words).astype(object)


def range_words(value: pd.Series, qualifier: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Where each value stands against its range, saying only what a censored value lets us know:
    "yes" (in range), "low", "high", "low or in range", "in range or high", "unclear"; "" without a
    value. A range starting at 0 has no lower limit (no result is below 0)."""
    v = np.asarray(value, dtype="float64")
    q = pd.Series(qualifier, dtype=object).fillna("").to_numpy()
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    has_low = np.nan_to_num(low, nan=0.0) > 0
    has_high = ~np.isnan(high)
    below, above = np.isin(q, BELOW), np.isin(q, ABOVE)
    strict = np.isin(q, STRICT)
    with np.errstate(invalid="ignore"):
        under, over = has_low & (v < low), has_high & (v > high)
        can_low = np.where(below, has_low, under)  # a value below the test's limit can be as low as any
        can_high = np.where(above, has_high, over)
        reaches_low = ~has_low | (v > low) | (~strict & (v == low))
        reaches_high = ~has_high | (v < high) | (~strict & (v == high))
        can_in = np.where(below, reaches_low, np.where(above, reaches_high, ~under & ~over))
    words = np.select(
        [np.isnan(v), can_in & ~can_low & ~can_high, can_low & ~can_in & ~can_high,
         can_high & ~can_in & ~can_low, can_low & can_in & ~can_high, can_high & can_in & ~can_low],
        ["", "yes", "low", "high", "low or in range", "in range or high"], "unclear")
    return words.astype(object)


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


def _ranges(rows: pd.DataFrame, analyte: str, sex: str) -> tuple[np.ndarray, np.ndarray]:
    """``_range`` of each result, for all rows at once: (low, high)."""
    ref = default_range(analyte, sex)
    low, high = rows["ref_low"].to_numpy(dtype="float64"), rows["ref_high"].to_numpy(dtype="float64")
    low = np.where(np.isnan(low), ref.low if ref and ref.low is not None else np.nan, low)
    high = np.where(np.isnan(high), ref.high if ref and ref.high is not None else np.nan, high)
    return low, high


def _in_ranges(rows: pd.DataFrame, analyte: str, sex: str) -> np.ndarray:
    """``_in_range`` of each result against its ``_range``, for all rows at once."""
    low, high = _ranges(rows, analyte, sex)
    values = rows["value"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        return (np.isnan(low) | (values >= low)) & (np.isnan(high) | (values <= high))


def _trend(rows: pd.DataFrame, analyte: str) -> str:
    """rising / falling / stable from a least-squares line through the on-treatment results of the
    trend window (``trend_window_days``); stable when the fitted change is below the analyte's
    meaningful change."""
    times = rows["collected_at"].to_numpy(dtype="datetime64[ns]")  # arrays: this runs for every analyte shown
    recent = times >= times.max() - np.timedelta64(int(threshold("trend_window_days")), "D")
    if recent.sum() < 3:
        return "too few results"
    x = (times[recent] - times[recent].min()) / np.timedelta64(1, "D")
    y = rows["value"].to_numpy(dtype=float)[recent]
    if np.ptp(x) == 0:
        return "too few results"
    slope = np.polyfit(x, y, 1)[0]
    fitted_change = slope * np.ptp(x)
    if abs(fitted_change) < analytes()[analyte].meaningful_change_pct / 100 * abs(np.mean(y)):
        return "stable"
    return "rising" if slope > 0 else "falling"


def summarise(labs: pd.DataFrame, doses: pd.DataFrame, sex: Mapping[str, str] | None = None,
              annotated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per patient and analyte: baseline (the last result before the first dose, within the
    baseline window; a result on the day of the first dose counts as before it, ``counts_before``),
    latest, change, days from the first dose to the first result in range, in range now, trend.

    A censored baseline or latest keeps its qualifier (``baseline_qualifier``, ``latest_qualifier``)
    and its bound as the value; ``change`` is then the difference of the bounds, which only the
    qualifiers can turn into a statement (``summary.change_text``). ``range_low`` and ``range_high``
    are the range the latest result was judged against (the lab's own, else the default).
    ``interpretation`` says how the latest reads in words (``annotate_labs``, else its range);
    ``reading`` and ``baseline_reading`` are a word or two where the range does not say it ("not
    interpretable", a NICE NG239 band, "high: response"); ``reading_source`` cites the bands used.
    Of results at one time that differ only the one ``annotate_labs`` marks ``used`` counts;
    ``baseline_choice`` and ``latest_choice`` say which was used and why ("" when there was one
    result); ``results`` counts every result drawn.
    ``annotated``: ``annotate_labs(labs, doses)`` when the caller has it already."""
    rows = []
    annotated = annotate_labs(labs, doses) if annotated is None else annotated
    first_dose = doses.groupby("patient_id")["administered_at"].min()
    window = pd.Timedelta(days=threshold("baseline_window_days"))
    for (patient, analyte), drawn in annotated[annotated["collected_at"].notna()].groupby(
            ["patient_id", "analyte"], observed=True, sort=True):
        group = drawn[drawn["used"]].sort_values("collected_at", kind="stable")
        start = first_dose.get(patient, pd.NaT)
        pre = counts_before(group["collected_at"], start) if pd.notna(start) else pd.Series(False, index=group.index)
        before = group[pre & (group["collected_at"] >= start.normalize() - window)] if pd.notna(start) \
            else group.iloc[0:0]
        after = group[~pre]
        base = before.iloc[-1] if len(before) else None
        last = group.iloc[-1]
        patient_sex = (sex or {}).get(patient, "any")
        low, high = _range(analyte, patient_sex, last["ref_low"], last["ref_high"])
        in_range_rows = after[_in_ranges(after, analyte, patient_sex)]
        first_in_range = ((in_range_rows["collected_at"].iloc[0] - start) / DAY
                          if len(in_range_rows) and pd.notna(start) else np.nan)
        words = range_words([last["value"]], [last["qualifier"]], [low], [high])[0]
        base_reading = base["reading"] if base is not None else ""
        rows.append((patient, analyte, analytes()[analyte].canonical_unit,
                     base["value"] if base is not None else np.nan,
                     base["qualifier"] if base is not None else "",
                     base["collected_at"] if base is not None else pd.NaT,
                     last["value"], last["qualifier"], last["collected_at"],
                     last["value"] - base["value"] if base is not None and NOT_INTERPRETABLE not in (
                         last["reading"], base_reading) else np.nan,
                     first_in_range, _in_range(last["value"], low, high), low, high,
                     _trend(after if len(after) else group, analyte), len(drawn),
                     last["interpretation"] or _LAB_WORDS.get(words, words).replace(" the lab's", " its"),
                     last["reading"], base_reading, _band_cite(analyte, last["reading"], base_reading),
                     base["choice"] if base is not None else "", last["choice"]))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).astype(
        {"baseline_at": "datetime64[ns]", "latest_at": "datetime64[ns]", "first_in_range_day": "float64",
         "baseline": "float64", "change": "float64", "range_low": "float64", "range_high": "float64"})


def _band_cite(analyte: str, *readings: str) -> str:
    """The cite of the analyte's bands when one of ``readings`` is a band, else ""."""
    banded = any(r and r != NOT_INTERPRETABLE for r in readings) and analyte in bands()
    return bands()[analyte][0].cite if banded else ""


# --- review prompts ----------------------------------------------------------------------------

def _fmt(value: float, analyte: str, qualifier: str = "") -> str:
    """A value in its canonical unit as the prompt says it: the analyte's display precision."""
    unit = analytes()[analyte].canonical_unit
    return f"{value_text(value, analyte, unit, qualifier if isinstance(qualifier, str) else '')} {unit}"


def _result(row: pd.Series, analyte: str) -> str:
    """A result as a prompt says it, with the sign of a censored value (``<2.5 nmol/L``)."""
    return _fmt(row["value"], analyte, row["qualifier"])


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
                   plans: Mapping[str, pd.DataFrame] | None = None,
                   adherence: Mapping[str, Adherence] | None = None,
                   annotated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Things for the clinician to review (``PROMPT_COLUMNS``), each with its rule (an id and a
    title) and its source as a clinician knows it. The response checks run for every course of
    treatment; prompts about overdue reviews, doses and planned blood tests (``plans``: a plan per
    patient from ``build_plan``) need ``as_of`` (today) and are not raised without it. The doses
    are judged against ``adherence`` (per patient), else against the template they fit best.
    ``annotated``: ``annotate_labs(labs, doses)`` when the caller has it already."""
    sources = threshold_cites()
    prompts: list[tuple] = []
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else None
    annotated = annotate_labs(labs, doses) if annotated is None else annotated
    chosen = annotated["choice"] != ""  # results taken at one time as others (rare): a MultiIndex only then
    choices = annotated[chosen].set_index(["patient_id", "analyte", "collected_at"])["choice"] \
        if chosen.any() else None
    annotated = annotated[annotated["collected_at"].notna() & annotated["used"]].sort_values("collected_at")
    starts = course_starts(doses)
    for patient, given in doses.groupby("patient_id"):
        mine = annotated[annotated["patient_id"] == patient]
        patient_sex = (sex or {}).get(patient, "any")
        patient_starts = starts.get(patient, [])
        firsts = [given.loc[given["administered_at"] >= s, "administered_at"].min() for s in patient_starts]
        for i, start in enumerate(patient_starts):
            in_course = mine[~counts_before(mine["collected_at"], firsts[i])]
            if i + 1 < len(firsts):
                in_course = in_course[counts_before(in_course["collected_at"], firsts[i + 1])]
            before = mine[counts_before(mine["collected_at"], firsts[i])
                          & (mine["collected_at"] >= start - pd.Timedelta(days=threshold("baseline_window_days")))]
            prompts.extend(_course_prompts(patient, start, before, in_course, patient_sex, sources))
            prompts.extend(_early_prompts(patient, start, before, in_course, patient_sex, sources))
            prompts.extend(_relapse_early(patient, in_course, patient_sex, sources))
        prompts.extend(_relapse_prompts(patient, mine, patient_sex, sources))
        if symptoms is not None and len(symptoms):
            prompts.extend(_symptom_prompts(patient, injections(given), symptoms, sources))
        if as_of is not None and patient_starts:
            adh = (adherence or {}).get(patient) or fitted_adherence(given, as_of)
            prompts.extend(_overdue_prompts(patient, patient_starts[-1], given, mine, as_of, sources, adh))
        if as_of is not None and plans and patient in plans:
            prompts.extend(_recheck_prompts(patient, plans[patient], mine, as_of))
    if symptoms is not None and len(symptoms):
        for patient in symptoms["patient_id"].dropna().unique():
            first = starts.get(patient, [None])[0]
            prompts.extend(_neuro_prompts(patient, symptoms, sources, first))
    return _prompt_table([_with_choice(p, choices) for p in prompts] if choices is not None else prompts)


def _with_choice(prompt: tuple, choices: pd.Series) -> tuple:
    """A prompt about a result that had others at its time, with the sentence saying which was used."""
    patient, rule, analyte, date, message, source = prompt
    choice = choices.get((patient, analyte, date), "") if analyte else ""
    return (patient, rule, analyte, date, f"{message} {choice}", source) if choice else prompt


def _prompt_table(prompts: list[tuple]) -> pd.DataFrame:
    """The prompts as ``PROMPT_COLUMNS``, with each rule's title and severity; urgent ones first,
    the rest in the order the rules raised them."""
    table = pd.DataFrame(prompts, columns=_RAW_PROMPT_COLUMNS).astype({"date": "datetime64[ns]"})
    labels = table["rule"].map(RULE_LABELS).astype("object").fillna(table["rule"])
    severity = np.where(table["rule"].isin(URGENT_RULES), URGENT, REVIEW)
    table = table.assign(rule_label=labels, severity=severity)[list(PROMPT_COLUMNS)]
    return table.sort_values("severity", key=lambda s: s != URGENT, kind="stable", ignore_index=True)


def _course_prompts(patient: str, start: pd.Timestamp, before: pd.DataFrame, results: pd.DataFrame, sex: str,
                    sources: dict[str, str]) -> list[tuple]:
    """Hb not rising, values not normalising, iron or folate running low: within one course."""
    out = []
    hb_before = before[before["analyte"] == "hemoglobin"]
    check = _first_at_or_after(results[results["analyte"] == "hemoglobin"],
                               start + pd.Timedelta(days=threshold("hb_rise_check_day")))
    if len(hb_before) and check is not None:
        base = hb_before.iloc[-1]
        if check["value"] - base["value"] < threshold("hb_min_rise"):
            day = (check["collected_at"] - start) / DAY
            out.append((patient, "hb_no_rise", "hemoglobin", check["collected_at"],
                        f"Review: Hb has not risen by day {day:.0f} of treatment ({_result(base, 'hemoglobin')} "
                        f"before, {_result(check, 'hemoglobin')} now). Consider iron or folate deficiency or "
                        "another cause of anaemia.", sources["hb_rise_check_day"]))
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
                        f"Review: {words} at week {week:.0f} ({_result(first, analyte)}).{extra}",
                        sources[key]))
    for analyte in ("ferritin", "folate"):
        rows = results[results["analyte"] == analyte]
        low, _ = _ranges(rows, analyte, sex)
        with np.errstate(invalid="ignore"):
            below = rows[~np.isnan(low) & (rows["value"].to_numpy(dtype="float64") < low)]
        if len(below):  # the first low one
            r = below.iloc[0]
            out.append((patient, f"{analyte}_low", analyte, r["collected_at"],
                        f"Review: {analytes()[analyte].label} is low on treatment ({_result(r, analyte)}); "
                        "the response to B12 can deplete iron and folate stores.",
                        sources["haematinics_on_treatment"]))
    return out


def _outside(row: pd.Series, analyte: str, sex: str) -> bool:
    """True when the result is outside its range in the direction B12 deficiency moves it."""
    low, high = _range(analyte, sex, row["ref_low"], row["ref_high"])
    direction = analytes()[analyte].deficiency_direction
    return (direction == "low" and not np.isnan(low) and row["value"] < low) or \
        (direction == "high" and not np.isnan(high) and row["value"] > high)


def _relapse_prompts(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """After treatment stopped: the first result per analyte that moved out of range the way
    deficiency moves it, for the analytes without a rule of their own that prompts at once
    (``_relapse_early``: Hb, MCV, B12 and active B12)."""
    off = results[~results["on_treatment"] & results["last_injection_at"].notna()]
    out = []
    for analyte, rows in off.groupby("analyte", observed=True, sort=False):
        if not analytes()[analyte].deficiency_direction or analyte in _OWN_RELAPSE_RULES:
            continue
        for _, r in rows.iterrows():
            if _outside(r, analyte, sex):
                out.append((patient, "relapse_signs", analyte, r["collected_at"],
                            f"Review: {analytes()[analyte].label} is out of range ({_result(r, analyte)}) "
                            f"{counted(round(r['days_since_injection']), 'day')} after the last injection; "
                            "treatment had stopped and deficiency may have returned.", sources["stop_factor"]))
                break
    return out


# --- prompts as soon as the result is there ------------------------------------------------------

_OWN_RELAPSE_RULES = ("hemoglobin", "mcv", "b12", "holotc")  # analytes whose relapse rule prompts at once


def reference_change_pct(cvi_pct: float, cva_pct: float) -> float:
    """The reference change value in %: the change between two results larger than analytical
    and within-person variation, ``rcv_z`` x sqrt(2) x sqrt(CVA^2 + CVI^2) (Fraser)."""
    return threshold("rcv_z") * np.sqrt(2) * float(np.hypot(cvi_pct, cva_pct))


def hb_rcv_pct() -> float:
    """The reference change value of haemoglobin (EFLM biological variation, ``thresholds.csv``)."""
    return reference_change_pct(threshold("hb_cvi_pct"), threshold("hb_cva_pct"))


def _limits(rows: pd.DataFrame, analyte: str, sex: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's low and high limit: the lab's own range, else the default for the sex."""
    ref = default_range(analyte, sex)
    low = rows["ref_low"].to_numpy(dtype="float64")
    high = rows["ref_high"].to_numpy(dtype="float64")
    low = np.where(np.isnan(low), ref.low if ref and ref.low is not None else np.nan, low)
    high = np.where(np.isnan(high), ref.high if ref and ref.high is not None else np.nan, high)
    return low, high


def _reached_range(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """For each result, whether an earlier one of the series was within its range."""
    with np.errstate(invalid="ignore"):
        inside = ~(value < low) & ~(value > high)
    return np.concatenate([[False], np.logical_or.accumulate(inside)[:-1]]) if len(value) else inside


def _relapse_early(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """Within a course, at the first result that shows it: Hb falling or low again, MCV above its
    range again, B12 or active B12 below its lower limit after treatment began."""
    return [*_hb_falling(patient, results, sex, sources), *_mcv_rising(patient, results, sex, sources),
            *_b12_low(patient, results, sex, sources)]


def _hb_falling(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """The first Hb since the first dose that is more than the reference change value below the
    highest Hb before it in the course (the peak, so that a slow fall over several tests counts as
    a fall too), or below its range after Hb had reached it."""
    hb = results[results["analyte"] == "hemoglobin"]
    if len(hb) < 2:
        return []
    value = hb["value"].to_numpy(dtype="float64")
    low, high = _limits(hb, "hemoglobin", sex)
    peak = np.concatenate([[np.nan], np.fmax.accumulate(value)[:-1]])
    with np.errstate(invalid="ignore"):
        fall = (peak - value) / peak * 100
        rcv = hb_rcv_pct()
        hit = (fall > rcv) | ((value < low) & _reached_range(value, low, high))
    if not hit.any():
        return []
    i = int(np.argmax(hit))
    row = hb.iloc[i]
    now = f"{_fmt(row['value'], 'hemoglobin', row['qualifier'])} on {row['collected_at']:%d %b %Y}"
    if fall[i] > rcv:
        top = hb.iloc[int(np.nanargmax(value[:i]))]
        what = (f"Hb fell to {now}, {fall[i]:.0f}% below its highest since treatment began "
                f"({_fmt(top['value'], 'hemoglobin', top['qualifier'])} on {top['collected_at']:%d %b %Y}); a fall of "
                f"more than {rcv:.1f}% is more than the test's and the body's own variation")
        what += " and it is below its reference range." if value[i] < low[i] else "."
    else:
        what = f"Hb is below its reference range again ({now}) after it had reached it."
    return [(patient, "hb_falling", "hemoglobin", row["collected_at"],
             f"Review: {what} Check for blood loss, iron or folate deficiency and whether the injections are up to "
             "date.", sources["hb_cva_pct"])]


def _mcv_rising(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """The first MCV above its range after MCV had come into range in the course."""
    mcv = results[results["analyte"] == "mcv"]
    value = mcv["value"].to_numpy(dtype="float64")
    low, high = _limits(mcv, "mcv", sex)
    with np.errstate(invalid="ignore"):
        hit = (value > high) & _reached_range(value, low, high)
    if not hit.any():
        return []
    row = mcv.iloc[int(np.argmax(hit))]
    return [(patient, "mcv_rising", "mcv", row["collected_at"],
             f"Review: MCV is above its reference range again ({_fmt(row['value'], 'mcv', row['qualifier'])} on "
             f"{row['collected_at']:%d %b %Y}) after it had come into range on treatment: deficiency may be "
             "returning. Check whether the injections are up to date, and for other causes of a raised MCV.",
             sources["mcv_rising"])]


def _b12_low(patient: str, results: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """Per B12 marker, the first interpretable result since the first dose below its lower limit."""
    out = []
    for analyte in bands():
        rows = results[(results["analyte"] == analyte) & results["interpretable"]]
        low, _ = _limits(rows, analyte, sex)
        value = rows["value"].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            hit = (value < low) | (rows["qualifier"].isin(BELOW).to_numpy() & (value <= low))
        if not hit.any():
            continue
        row = rows.iloc[int(np.argmax(hit))]
        since = (f"{counted(round(row['days_since_injection']), 'day')} after the last injection"
                 if pd.notna(row["days_since_injection"]) else "after treatment began")
        out.append((patient, "b12_low_after_stop", analyte, row["collected_at"],
                    f"Review: {analytes()[analyte].label} is below its lower limit "
                    f"({_fmt(row['value'], analyte, row['qualifier'])} on {row['collected_at']:%d %b %Y}), {since}: "
                    "deficiency may have returned. Check whether treatment has stopped or the doses are too far "
                    "apart.", sources["b12_low_after_treatment"]))
    return out


def _early_prompts(patient: str, start: pd.Timestamp, before: pd.DataFrame, results: pd.DataFrame, sex: str,
                   sources: dict[str, str]) -> list[tuple]:
    """Low ferritin or folate before treatment, low potassium in the first days, no reticulocyte
    response by the check days: each at the result that shows it."""
    return [*_low_before(patient, before, sex, sources), *_potassium_low(patient, start, results, sex, sources),
            *_retic_no_response(patient, start, before, results, sex, sources)]


_BEFORE_WORDS = {
    "ferritin": "iron deficiency can hide a raised MCV and limit the rise in Hb. Check iron status.",
    "folate": "a folate deficiency can limit the response to B12. Check folate status; folate replacement, if "
              "needed, goes with the B12 already started.",
}


def _low_before(patient: str, before: pd.DataFrame, sex: str, sources: dict[str, str]) -> list[tuple]:
    """Ferritin or folate below its range in the last result before the course began."""
    out = []
    for analyte, words in _BEFORE_WORDS.items():
        rows = before[before["analyte"] == analyte]
        if rows.empty:
            continue
        row = rows.iloc[[-1]]
        low, _ = _limits(row, analyte, sex)
        value, qualifier = row["value"].iat[0], row["qualifier"].iat[0]
        if np.isnan(low[0]) or not (value < low[0] or (qualifier in BELOW and value <= low[0])):
            continue
        when = row["collected_at"].iat[0]
        out.append((patient, f"{analyte}_low_before", analyte, when,
                    f"Review: {analytes()[analyte].label} is low before treatment ({_fmt(value, analyte, qualifier)} "
                    f"on {when:%d %b %Y}): {words}", sources[f"{analyte}_low_before"]))
    return out


def _day_of(results: pd.DataFrame, start: pd.Timestamp) -> pd.Series:
    """Each result's day of treatment, in calendar days from the course's first day (day 0)."""
    return (results["collected_at"].dt.normalize() - start.normalize()) / DAY


def _potassium_low(patient: str, start: pd.Timestamp, results: pd.DataFrame, sex: str,
                   sources: dict[str, str]) -> list[tuple]:
    """The first potassium below its range in the first ``potassium_watch_days`` of the course."""
    rows = results[(results["analyte"] == "potassium") & (_day_of(results, start) <= threshold("potassium_watch_days"))]
    low, _ = _limits(rows, "potassium", sex)
    with np.errstate(invalid="ignore"):
        hit = rows["value"].to_numpy(dtype="float64") < low
    if not hit.any():
        return []
    row = rows.iloc[int(np.argmax(hit))]
    day = _day_of(rows.iloc[[int(np.argmax(hit))]], start).iat[0]
    return [(patient, "potassium_low", "potassium", row["collected_at"],
             f"Review: potassium is low ({_fmt(row['value'], 'potassium', row['qualifier'])}) on day {day:.0f} of "
             "treatment: potassium can fall as red cells are made again: review it (and repeat the test if needed).",
             sources["potassium_watch_days"])]


def _retic_no_response(patient: str, start: pd.Timestamp, before: pd.DataFrame, results: pd.DataFrame, sex: str,
                       sources: dict[str, str]) -> list[tuple]:
    """Reticulocyte counts in the check days (``retic_check_first_day``-``retic_check_last_day``)
    none of which is above its range, unless Hb before treatment was known not to be low (NHS
    Lothian checks the response when the initial Hb was low)."""
    first, last = threshold("retic_check_first_day"), threshold("retic_check_last_day")
    hb = before[before["analyte"] == "hemoglobin"]
    if len(hb) and not _outside(hb.iloc[-1], "hemoglobin", sex):
        return []
    day = _day_of(results, start)
    for analyte, info in analytes().items():
        if info.response_direction != "high":  # the cheap test first: a dozen analytes, each filtered
            continue
        rows = results[(results["analyte"] == analyte) & (day >= first) & (day <= last)]
        if rows.empty:
            continue
        _, high = _limits(rows, analyte, sex)
        with np.errstate(invalid="ignore"):
            if (rows["value"].to_numpy(dtype="float64") > high).any():
                return []
        row = rows.iloc[-1]
        return [(patient, "retic_no_response", analyte, row["collected_at"],
                 f"Review: {info.label.lower()} are not above their range by day {_day_of(rows, start).iat[-1]:.0f} of "
                 f"treatment ({_fmt(row['value'], analyte, row['qualifier'])}); a rise above the normal range in days "
                 f"{first:g}-{last:g} means the treatment is working. Check the diagnosis, adherence, and iron and "
                 "folate.", sources["retic_check_last_day"])]
    return []


def _neuro_prompts(patient: str, symptoms: pd.DataFrame, sources: dict[str, str],
                   first_dose: pd.Timestamp | None = None) -> list[tuple]:
    """One urgent prompt per neurological symptom that became new (``symptom_worsening`` or more
    with no score or 0 before) or worse by ``symptom_worsening`` than its lowest score since, at
    once and whatever the dose intervals (NICE CKS: urgent specialist advice); dated at its latest
    change, and telling each change. Scores recorded before the first dose are the presenting
    symptoms: they set where the symptom started."""
    step = threshold("symptom_worsening")
    mine = symptoms[(symptoms["patient_id"] == patient) & symptoms["symptom"].isin(neurological_symptoms())]
    out = []
    for symptom, scores in mine.sort_values("recorded_at", kind="stable").groupby("symptom", sort=False):
        floor, seen, changes, last = 0.0, False, [], None
        for when, score in zip(scores["recorded_at"], scores["score"], strict=True):
            if not seen and first_dose is not None and when < first_dose:
                floor, seen = score, True  # the presenting symptom, known before treatment began
                continue
            if score - floor >= step:
                new = f"new{' again' if changes else ''} (score {score:g})"
                changes.append(f"{new if floor == 0 else f'worse ({floor:g} -> {score:g})'} on {when:%d %b %Y}")
                floor, last = score, when
            floor, seen = min(floor, score), True
        if changes:
            out.append((patient, "neuro_symptom_urgent", "", last,
                        f"Urgent review: {symptom_name(symptom)} {joined(changes)}. A new or worsening "
                        "neurological symptom: seek urgent specialist (haematology) advice, and check that the "
                        "injections are up to date.", sources["neuro_symptom_urgent"]))
    return out


def _symptom_prompts(patient: str, given: pd.DataFrame, symptoms: pd.DataFrame, sources: dict[str, str]
                     ) -> list[tuple]:
    """A symptom that worsens in the weeks before the next injection is due (NICE NG239 allows
    more frequent injections then). Neurological symptoms are urgent prompts instead (``_neuro_prompts``)."""
    out = []
    mine = symptoms[(symptoms["patient_id"] == patient) & ~symptoms["symptom"].isin(neurological_symptoms())]
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
                     as_of: pd.Timestamp, sources: dict[str, str], adh: Adherence | None = None) -> list[tuple]:
    """The review at 3 months without a blood count; and the doses against the regimen (``adh``,
    chosen or fitted): missed doses, an overdue injection, a course that stopped, an open-ended
    loading phase past its review date."""
    out = []
    review_day = start + pd.Timedelta(days=threshold("review_due_day"))
    blood_counts = mine[mine["analyte"].isin(["hemoglobin", "mcv"]) & (mine["collected_at"] >= start)]
    window = pd.Timedelta(days=threshold("review_window_days"))
    if as_of > review_day + window and not (blood_counts["collected_at"] >= review_day - window).any():
        out.append((patient, "review_overdue", "", review_day,
                    f"Review: the review at {counted(round(threshold('review_due_day') / DAYS_PER_MONTH), 'month')} "
                    f"was due on {review_day:%d %b %Y} and no blood count since then is in the files.",
                    sources["review_due_day"]))
    if adh is not None and adh.regimen is not None:
        return out + dose_prompts(patient, adh, as_of, sources)
    return out


def fitted_adherence(doses: pd.DataFrame, as_of: pd.Timestamp) -> Adherence | None:
    """One patient's doses against the template that fits them best (none without injections)."""
    regimen = fit_regimen(doses)
    return adherence(regimen, None, doses, as_of, fitted=True) if regimen is not None else None


def dose_prompts(patient: str, adh: Adherence, as_of: pd.Timestamp, sources: dict[str, str]) -> list[tuple]:
    """Prompts from the doses against the regimen: each run of missed doses (loading or
    maintenance) as soon as its grace has passed, the course stopped after
    ``stop_missed_doses`` missed in a row, and an open loading phase past its review date."""
    out = []
    if adh.switched_at is not None:
        return out  # treatment went on by mouth: no injection is overdue
    events = adh.events
    missed = events["status"] == "missed"
    run = (missed != missed.shift(fill_value=False)).cumsum()
    for _, group in events[missed].groupby(run[missed], sort=True):
        days = joined([f"{d:%d %b %Y}" for d in group["planned"]])
        phase = group["phase"].iloc[0]
        given_after = (events["given_at"] > group["planned"].max()).any()
        what = counted(len(group), f"{phase} dose" if phase == "loading" else "injection")
        cite = grace_cite(_interval_before(events, group.index[0]))
        if given_after:
            out.append((patient, "loading_doses_missed" if phase == "loading" else "doses_missed", "",
                        group["planned"].iloc[0], f"Review: {what} missed (due {days}); injections went on after that.",
                        cite))
        elif adh.stopped:
            last = adh.last_injection
            silent = counted(round((as_of - last) / DAY), "day") if last is not None else ""
            out.append((patient, "course_stopped", "", group["planned"].iloc[0],
                        f"Review: no injection since {last:%d %b %Y} ({silent}); {what} missed (due {days}) "
                        f"against {adh.regimen_words}: the course looks stopped, and deficiency can return.",
                        sources["stop_missed_doses"]))
        else:
            late = counted(round((as_of - group["planned"].iloc[-1]) / DAY), "day")
            out.append((patient, "injection_overdue", "", group["planned"].iloc[-1],
                        f"Review: the {phase} injection due {days} has not been given ({late} overdue) against "
                        f"{adh.regimen_words}.", cite))
    if adh.loading_open and adh.loading_review is not None and as_of > adh.loading_review:
        out.append((patient, "loading_review", "", adh.loading_review,
                    f"Review: loading on alternate days has gone on since {adh.events['planned'].min():%d %b %Y}; "
                    "it runs until there is no further improvement: set the day it ended on the Schedule page "
                    "when that is so.", adh.regimen.cite))
    return out


def _interval_before(events: pd.DataFrame, at: int) -> float:
    """Days between the planned dose at row ``at`` and the planned one before it (the pace of the
    regimen there); the regimen's default maintenance interval when it is the first."""
    planned = events.loc[events["status"] != "extra", "planned"].dropna()
    earlier = planned[planned.index < at]
    if earlier.empty:
        return threshold("default_maintenance_interval_days")
    return (events.loc[at, "planned"] - earlier.iloc[-1]) / DAY


def _recheck_prompts(patient: str, plan: pd.DataFrame, results: pd.DataFrame, as_of: pd.Timestamp
                     ) -> list[tuple]:
    """A planned blood test whose day has passed (by more than the review window) with no result
    of its tests (the recheck's ``analytes``) in the files near it; rechecks that matter only in
    some patients (potassium in severe anaemia) are reminders in the plan, not prompts."""
    window = pd.Timedelta(days=threshold("review_window_days"))
    out = []
    due = plan[(plan["kind"] == "recheck") & plan.get("remind_if_missing", pd.Series(True, index=plan.index))]
    for _, check in due.iterrows():
        day = check["date"]
        if day + window >= as_of:
            continue
        tests = str(check.get("analytes", "") or "").split()
        near = results[(results["collected_at"] >= day - window) & (results["collected_at"] <= day + window)
                       & (results["analyte"].astype("str").isin(tests) if tests else True)]
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
