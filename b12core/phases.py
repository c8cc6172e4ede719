"""Loading and maintenance phases from the doses actually given.

Within a course, doses close together (daily to weekly, a gap of at most ``loading_gap_max_days``)
are loading; doses a month or more apart are maintenance. No dose for well over the maintenance
interval (``stop_factor`` times it) ends the course: it has stopped, and a later dose starts a new
course with a new loading phase. A gap longer than ``late_factor`` times the phase's usual
interval is flagged late (a late or missed dose); in loading, whose pace changes (daily, then
weekly), the usual interval is the longer of the two neighbouring gaps. The thresholds live in
``reference/thresholds.csv``; a clinician can override where a phase begins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from b12core.doses import injections
from b12core.reference import threshold

PHASES_COLUMNS = ("patient_id", "course", "phase", "start", "end", "doses", "interval_days")
GAPS_COLUMNS = ("patient_id", "after", "before", "days", "flag", "usual_days")
LOADING, MAINTENANCE, ORAL = "loading", "maintenance", "oral"
NOT_INJECTED = "not injected"  # nasal sprays, and doses whose route the record does not give
ORAL_ROUTES = ("oral", "sublingual")


@dataclass(frozen=True)
class PhaseOverride:
    """The clinician's word: from ``start`` on, this patient's injections are in ``phase``."""

    patient_id: str
    start: pd.Timestamp
    phase: str  # "loading" | "maintenance"


@dataclass(frozen=True)
class Phases:
    """Phase segments, flagged gaps, and the doses with their phase."""

    phases: pd.DataFrame  # patient_id, course, phase, start, end, doses, interval_days
    gaps: pd.DataFrame  # patient_id, after, before, days, flag (late | stopped), usual_days
    doses: pd.DataFrame  # the input doses, sorted, with ``course`` and ``phase``

    def transitions(self) -> pd.DataFrame:
        """Where a phase begins after another one (for annotations): patient_id, date, phase, course."""
        first = self.phases.groupby("patient_id", sort=False).cumcount() == 0
        rows = self.phases[~first]
        return rows[["patient_id", "start", "phase", "course"]].rename(columns={"start": "date"}).reset_index(
            drop=True)


def _days(times: np.ndarray) -> np.ndarray:
    return np.diff(times).astype("timedelta64[s]").astype("float64") / 86400.0


def maintenance_interval(gaps: np.ndarray) -> float:
    """The usual maintenance interval in days: the median of the gaps longer than loading gaps
    that are not themselves stops under the default interval; the default when there are none."""
    default = threshold("default_maintenance_interval_days")
    sparse = gaps[(gaps > threshold("loading_gap_max_days")) & (gaps <= threshold("stop_factor") * default)]
    return float(np.median(sparse)) if len(sparse) else default


def _label_course(gaps: np.ndarray) -> list[str]:
    """Phase of each dose of one course, from the gaps between its doses."""
    dense = gaps <= threshold("loading_gap_max_days")
    n = len(gaps) + 1
    labels = [LOADING if n == 1 or dense[0] else MAINTENANCE]
    for i in range(1, n):
        if dense[i - 1] and labels[-1] == LOADING:
            labels.append(LOADING)
        elif dense[i - 1] and _dense_run(dense, i - 1) >= threshold("reload_min_doses") - 1:
            labels[-1] = LOADING  # a new run of close doses within maintenance: loading again
            labels.append(LOADING)
        else:
            labels.append(MAINTENANCE)
    return labels


def _dense_run(dense: np.ndarray, start: int) -> int:
    """How many consecutive dense gaps begin at ``start``."""
    run = 0
    while start + run < len(dense) and dense[start + run]:
        run += 1
    return run


def detect_phases(doses: pd.DataFrame, overrides: Sequence[PhaseOverride] = ()) -> Phases:
    """Segment each patient's injections into courses and loading/maintenance phases.

    Oral and sublingual doses get the phase ``oral``, other doses that were not injected (nasal,
route not recorded) ``not injected``; neither takes part in segmentation.
    """
    ordered = doses.sort_values(["patient_id", "administered_at"], kind="stable").reset_index(drop=True)
    ordered["course"] = 0
    ordered["phase"] = np.where(ordered["route"].isin(ORAL_ROUTES), ORAL, NOT_INJECTED)
    injected = ordered.index.isin(injections(ordered).index)
    phase_rows, gap_rows = [], []
    for patient, group in ordered[injected].groupby("patient_id", sort=False):
        times = group["administered_at"].to_numpy()
        gaps = _days(times)
        usual_maintenance = maintenance_interval(gaps)
        stop_at = threshold("stop_factor") * usual_maintenance
        course = np.concatenate([[1], 1 + np.cumsum(gaps > stop_at)])
        labels = np.empty(len(times), dtype=object)
        for c in np.unique(course):
            members = np.flatnonzero(course == c)
            labels[members] = _label_course(gaps[members[:-1]])
        labels = _apply_overrides(labels, times, course, [o for o in overrides if o.patient_id == patient])
        ordered.loc[group.index, "course"] = course
        ordered.loc[group.index, "phase"] = labels
        phase_rows.extend(_segments(patient, times, course, labels))
        gap_rows.extend(_flagged_gaps(patient, times, gaps, course, labels, stop_at, usual_maintenance))
    phases = pd.DataFrame(phase_rows, columns=list(PHASES_COLUMNS)).astype(
        {"patient_id": "str", "course": "int64", "phase": "str", "start": "datetime64[ns]", "end": "datetime64[ns]",
         "doses": "int64", "interval_days": "float64"})
    gap_frame = pd.DataFrame(gap_rows, columns=list(GAPS_COLUMNS)).astype(
        {"patient_id": "str", "after": "datetime64[ns]", "before": "datetime64[ns]", "days": "float64",
         "flag": "str", "usual_days": "float64"})
    return Phases(phases, gap_frame, ordered.astype({"course": "int64", "phase": "str"}))


def _apply_overrides(labels: np.ndarray, times: np.ndarray, course: np.ndarray,
                     overrides: list[PhaseOverride]) -> np.ndarray:
    """From each override's date to the end of that course, its phase replaces the detected one."""
    labels = labels.copy()
    for o in sorted(overrides, key=lambda o: o.start):
        after = times >= np.datetime64(pd.Timestamp(o.start))
        if after.any():
            same_course = course == course[np.argmax(after)]
            labels[after & same_course] = o.phase
    return labels


def _segments(patient: str, times: np.ndarray, course: np.ndarray, labels: np.ndarray) -> list[tuple]:
    rows = []
    boundary = np.r_[True, (course[1:] != course[:-1]) | (labels[1:] != labels[:-1])]
    starts = np.flatnonzero(boundary)
    ends = np.r_[starts[1:], len(times)]
    for s, e in zip(starts, ends, strict=True):
        gaps = _days(times[s:e])
        rows.append((patient, int(course[s]), labels[s], times[s], times[e - 1], int(e - s),
                     float(np.median(gaps)) if len(gaps) else np.nan))
    return rows


def _flagged_gaps(patient: str, times: np.ndarray, gaps: np.ndarray, course: np.ndarray, labels: np.ndarray,
                  stop_at: float, usual_maintenance: float) -> list[tuple]:
    """Gaps that ended a course (stopped) or ran long within a phase (late or missed dose)."""
    rows = []
    late = threshold("late_factor")
    for i, gap in enumerate(gaps):
        if course[i + 1] != course[i]:
            rows.append((patient, times[i], times[i + 1], gap, "stopped", usual_maintenance))
            continue
        if labels[i + 1] != labels[i]:
            continue  # the step from loading to maintenance is not a late dose
        if labels[i] == LOADING:
            # Loading changes pace (daily, then weekly): compare with the neighbouring gaps.
            near = [gaps[j] for j in (i - 1, i + 1) if 0 <= j < len(gaps) and course[j + 1] == course[j]
                    and labels[j] == labels[j + 1] == LOADING and gaps[j] >= 1]  # not a same-day pair
            usual = max(near) if near else gap
        else:
            usual = usual_maintenance
        if gap > late * usual:
            rows.append((patient, times[i], times[i + 1], gap, "late", usual))
    return rows


def phases_from_course(doses: pd.DataFrame) -> Phases:
    """Phase segments of doses whose ``phase`` and ``course`` were set by walking a regimen
    (``course.adherence``), in the shape ``detect_phases`` returns. Extra doses keep the phase of
    the position they fell in; oral and other doses take no part."""
    rows = []
    injected = doses[doses["phase"].isin([LOADING, MAINTENANCE])]
    for patient, group in injected.groupby("patient_id", sort=False):
        rows.extend(_segments(patient, group["administered_at"].to_numpy(), group["course"].to_numpy(),
                              group["phase"].to_numpy(dtype=object)))
    phases = pd.DataFrame(rows, columns=list(PHASES_COLUMNS)).astype(
        {"patient_id": "str", "course": "int64", "phase": "str", "start": "datetime64[ns]", "end": "datetime64[ns]",
         "doses": "int64", "interval_days": "float64"})
    gaps = pd.DataFrame({c: pd.Series([], dtype="object") for c in GAPS_COLUMNS})
    return Phases(phases, gaps, doses.astype({"course": "int64", "phase": "str"}))
