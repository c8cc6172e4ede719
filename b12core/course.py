"""The course of treatment against a regimen: every injection matched to its place in the plan.

A regimen is a run of loading doses (the template's days) and then maintenance every few calendar
months. The injections are walked in order, each planned dose ("position") in turn:

- a position falls due a step after the dose given for the one before it (a late dose moves the
  rest, as it does in practice), or a step after the one before it when that one was missed;
- a dose within the on-time window of its position is on time, later is late, and one well before
  it is extra (it counts for no position and moves nothing);
- a position is missed when the next one has fallen due without a dose, and, at the end, when its
  grace (``reference/grace.csv``, by interval) has passed as of today;
- two missed positions in a row stop the course. A later dose restarts it: an interrupted loading
  phase resumes with the doses still to give (a break in loading is a break, not maintenance), and
  after maintenance, a restart with doses close together is a new loading phase;
- open-ended loading ("until no further improvement") ends on the clinician's date, or where the
  doses leave the loading pace (a gap over ``loading_gap_max_days``); until then the plan shows a
  review date, ``open_loading_default_days`` after the start.

Only injections are matched; oral and other doses are listed apart. ``fit_regimen`` picks, for a
patient without a chosen regimen, the template the dose dates, product and amount fit best.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

import numpy as np
import pandas as pd

from b12core.doses import injections
from b12core.phases import LOADING, MAINTENANCE, NOT_INJECTED, ORAL, ORAL_ROUTES
from b12core.reference import read_table, threshold
from b12core.regimens import Regimen, loading_days, regimens

ON_TIME, LATE, MISSED, EXTRA, NOT_YET_DUE = "on time", "late", "missed", "extra", "not yet due"
EVENT_COLUMNS = ("planned", "phase", "given_at", "status", "days_late", "course")
STATUS = EVENT_COLUMNS.index("status")
DAY = pd.Timedelta(days=1)


def months_after(when: pd.Timestamp, months: int) -> pd.Timestamp:
    """``when + pd.DateOffset(months=months)``: the same day ``months`` calendar months on, or the
    last day of that month when it is shorter. Worked out directly: the walk steps by months a few
    thousand times a patient (every template is walked to fit one), and a DateOffset costs five
    times as much."""
    year, month = divmod(when.month - 1 + months, 12)
    year, month = when.year + year, month + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


@cache
def _grace_rows() -> tuple[tuple[float, float, str], ...]:
    return tuple(sorted((float(r["interval_up_to_days"]), float(r["grace_days"]), r["cite"])
                        for r in read_table("grace")))


def _grace_row(interval_days: float) -> tuple[float, float, str]:
    return next((row for row in _grace_rows() if interval_days <= row[0]), _grace_rows()[-1])


def grace_days(interval_days: float) -> float:
    """Days after its due date that a dose of this interval may still come before it counts as
    overdue (and, at the end of the record, missed): ``reference/grace.csv``."""
    return _grace_row(interval_days)[1]


def grace_cite(interval_days: float) -> str:
    """The grace rule for a dose of this interval, as a reader knows it (its row's ``cite``)."""
    return _grace_row(interval_days)[2]


@dataclass
class CourseWalk:
    """What the walk found: the planned positions with what became of them, the phase and course
    of each injection, and where the course stands as of today."""

    events: list[tuple] = field(default_factory=list)  # EVENT_COLUMNS
    dose_phases: list[tuple[str, int]] = field(default_factory=list)  # per injection, in order
    next_due: pd.Timestamp | None = None
    next_phase: str = ""
    stopped: bool = False  # two planned doses missed in a row, nothing since
    loading_review: pd.Timestamp | None = None  # open-ended loading still going: when to review it
    loading_open: bool = False  # open-ended loading, not ended by the clinician nor by the doses

    def frame(self) -> pd.DataFrame:
        """The events as a table (EVENT_COLUMNS), in planned order, extras by the day given."""
        table = pd.DataFrame(self.events, columns=list(EVENT_COLUMNS)).astype(
            {"planned": "datetime64[ns]", "given_at": "datetime64[ns]", "phase": "str", "status": "str",
             "days_late": "int64", "course": "int64"})
        order = table["planned"].fillna(table["given_at"])
        return table.assign(_order=order).sort_values(["_order", "given_at"], kind="stable").drop(
            columns="_order").reset_index(drop=True)


class _Walk:
    """The walk's state: which position is next, its due date, and the course so far."""

    def __init__(self, regimen: Regimen, start: pd.Timestamp, loading_end: pd.Timestamp | None):
        self.regimen = regimen
        self.start = start
        self.open_loading = regimen.open_ended and loading_end is None
        offsets = [d for d, _ in loading_days(regimen, loading_end, start)] if not self.open_loading else []
        self.loading_steps = [b - a for a, b in pairwise(offsets)]
        self.loading_count = len(offsets)
        self.open_every = regimen.steps[0].every_days if self.open_loading else 0.0
        self.months = regimen.maintenance_months
        self.out = CourseWalk()
        self.course = 1
        self.maintenance_given = 0
        self.reset_loading(start)
        self.run_missed = 0
        self.last_given: pd.Timestamp | None = None
        if self.open_loading and regimen.open_loading_default_days is not None:
            self.out.loading_review = start + pd.Timedelta(days=regimen.open_loading_default_days)

    def reset_loading(self, due: pd.Timestamp) -> None:
        self.used = 0  # loading positions given or missed
        self.given_loading = 0
        self.phase = LOADING if (self.open_loading or self.loading_count) else MAINTENANCE
        self.due = due

    # --- the step to the next position ----------------------------------------------------------

    def step_after(self, when: pd.Timestamp) -> pd.Timestamp:
        """When the position after the current one falls due, counted from ``when``."""
        if self.phase == LOADING:
            if self.open_loading:
                return when + pd.Timedelta(days=self.open_every)
            if self.used + 1 < self.loading_count:
                return when + pd.Timedelta(days=round(self.loading_steps[self.used]))
        return months_after(when, self.months)

    def interval_days(self) -> float:
        return (self.step_after(self.due) - self.due) / DAY

    def on_time_days(self) -> float:
        return threshold("loading_on_time_days" if self.phase == LOADING else "maintenance_on_time_days")

    def early_days(self) -> float:
        if self.phase == LOADING:
            return threshold("loading_on_time_days")
        return min(threshold("maintenance_early_days"), self.interval_days() / 2)

    def advance(self, given_on: pd.Timestamp) -> None:
        """The current position is done (given on ``given_on``, or missed: its due date): the next.
        Loading keeps its calendar (the next loading dose is a step after this one's due date);
        maintenance, open-ended loading and the first maintenance dose count from the dose given."""
        calendar = self.phase == LOADING and not self.open_loading and self.used + 1 < self.loading_count
        following = self.step_after(self.due if calendar else given_on)
        if self.phase == LOADING:
            self.used += 1
            if not self.open_loading and self.used >= self.loading_count:
                self.phase = MAINTENANCE
        self.due = following

    # --- what happens at each dose and at the end ---------------------------------------------

    def miss(self) -> None:
        self.out.events.append((self.due, self.phase, pd.NaT, MISSED, 0, self.course))
        self.run_missed += 1
        self.advance(self.due)

    def end_open_loading(self) -> None:
        """The doses left the loading pace: loading ended at the last dose given."""
        self.open_loading = False
        self.out.loading_review = None
        self.phase = MAINTENANCE
        self.due = months_after(self.last_given or self.start, self.months)

    def pass_until(self, day: pd.Timestamp, at_end: bool) -> None:
        """Positions that fell due before ``day`` without a dose: missed (or, in open loading left
        for longer than a loading gap, loading ended)."""
        gap_max = pd.Timedelta(days=threshold("loading_gap_max_days"))
        while True:
            if self.open_loading and self.last_given is not None and day - self.last_given > gap_max:
                self.end_open_loading()
                continue
            if at_end:  # today: a dose is missed once its grace has passed; after two, the course stopped
                if self.run_missed >= threshold("stop_missed_doses") or \
                        day <= self.due + pd.Timedelta(days=grace_days(self.interval_days())):
                    return
            elif day < self.step_after(self.due) and not self.break_in_loading(day):
                return  # a dose before the next one fell due is for this one
            self.miss()

    def break_in_loading(self, day: pd.Timestamp) -> bool:
        """A loading dose more than a loading gap (``loading_gap_max_days``) after the dose before it
        is not the due one given late: loading broke off, and this dose resumes it (``resume_loading``)."""
        since = self.last_given if self.last_given is not None else self.due
        return (self.phase == LOADING and not self.open_loading and day > self.due
                and (day - since) / DAY > threshold("loading_gap_max_days"))

    def reload(self, day: pd.Timestamp, next_day: pd.Timestamp | None) -> bool:
        """After a stopped maintenance course, doses close together again: a new course that
        begins with loading (True when it does)."""
        close = next_day is not None and (next_day - day) / DAY <= threshold("loading_gap_max_days")
        stopped = self.run_missed >= threshold("stop_missed_doses")
        has_loading = self.loading_count or self.regimen.open_ended
        if not (close and self.phase == MAINTENANCE and self.maintenance_given and stopped and has_loading):
            return False
        self.course += 1
        self.open_loading = self.regimen.open_ended and not self.loading_count
        self.reset_loading(day)
        self.maintenance_given = 0
        return True

    def resume_loading(self, day: pd.Timestamp) -> bool:
        """A dose after a break in loading, once the loading doses ran out as missed and before any
        maintenance dose: loading goes on with the doses still to give (True when it does)."""
        if self.phase != MAINTENANCE or self.maintenance_given or self.given_loading >= self.loading_count:
            return False
        self.phase, self.used, self.due = LOADING, self.given_loading, day
        return True

    def take(self, day: pd.Timestamp, next_day: pd.Timestamp | None) -> None:
        """One injection, on ``day`` (the next one on ``next_day``)."""
        self.pass_until(day, at_end=False)
        self.reload(day, next_day)
        early = day < self.due - pd.Timedelta(days=self.early_days())
        if early and day >= self.start - DAY and self.resume_loading(day):
            early = False
        if early or day < self.start - DAY:
            self.out.events.append((pd.NaT, "", day, EXTRA, 0, self.course))
            self.out.dose_phases.append((self.phase if day >= self.start else "", self.course))
            return
        late = max((day - self.due).days, 0)
        status = ON_TIME if late <= self.on_time_days() else LATE
        self.out.events.append((self.due, self.phase, day, status, late, self.course))
        self.out.dose_phases.append((self.phase, self.course))
        if self.phase == LOADING:
            self.given_loading += 1
        else:
            self.maintenance_given += 1
        self.run_missed = 0
        self.last_given = day
        self.advance(day)

    def finish(self, as_of: pd.Timestamp) -> CourseWalk:
        """Where the course stands as of ``as_of``: missed doses since the last one, the next due."""
        self.pass_until(as_of, at_end=True)
        out = self.out
        out.stopped = self.run_missed >= threshold("stop_missed_doses")
        out.next_due, out.next_phase = (None, "") if out.stopped else (self.due, self.phase)
        out.loading_open = self.open_loading
        if not out.stopped and self.phase == LOADING and not self.open_loading:
            due = self.due
            for _ in range(self.loading_count - self.used):  # the loading doses still to come
                out.events.append((due, LOADING, pd.NaT, NOT_YET_DUE, 0, self.course))
                due = self.step_after(due)
                self.used += 1
        return out


def follow_course(regimen: Regimen, start: pd.Timestamp, doses: pd.DataFrame, as_of: pd.Timestamp,
                  loading_end: pd.Timestamp | None = None) -> CourseWalk:
    """Walk one patient's injections (``doses``: any routes; only injections are matched) along
    ``regimen`` from ``start``; ``as_of`` is today."""
    return _walk_days(regimen, start, _injection_days(doses), as_of, loading_end)


def _injection_days(doses: pd.DataFrame) -> list[pd.Timestamp]:
    """The days of the injections among ``doses``, in order."""
    return injections(doses)["administered_at"].dt.normalize().sort_values().tolist()


def _walk_days(regimen: Regimen, start: pd.Timestamp, days: list[pd.Timestamp], as_of: pd.Timestamp,
               loading_end: pd.Timestamp | None = None) -> CourseWalk:
    walk = _Walk(regimen, pd.Timestamp(start).normalize(), pd.Timestamp(loading_end).normalize()
                 if loading_end is not None else None)
    for i, day in enumerate(days):
        walk.take(day, days[i + 1] if i + 1 < len(days) else None)
    return walk.finish(pd.Timestamp(as_of).normalize())


# --- which template fits the doses -----------------------------------------------------------

def _mode(values: pd.Series) -> object:
    counts = values.dropna().value_counts()
    return counts.index[0] if len(counts) else None


def fit_regimen(doses: pd.DataFrame) -> Regimen | None:
    """The template whose loading pattern, maintenance interval, product and amount fit one
    patient's injections best (None without injections): each template is walked from the first
    injection up to the last, and scored by its missed, late and extra doses, a different product
    and a different usual amount. Ties go to the template listed first in ``regimens.csv``."""
    given = injections(doses)
    if given.empty:
        return None
    first, last = given["administered_at"].min().normalize(), given["administered_at"].max().normalize()
    product, amount = _mode(given["product"].astype("object")), _mode(given["dose_ug"])
    days = _injection_days(given)  # once for every template
    best: tuple[float, int, Regimen] | None = None
    for rank, regimen in enumerate(r for r in regimens().values() if r.id != "custom"):
        # How many planned doses were missed, late, extra: counted from the walk, no table needed.
        status = Counter(event[STATUS] for event in _walk_days(regimen, first, days, last).events)
        # A dose the template cannot place (extra) speaks against it more than a dose the patient missed.
        score = (2.0 * status[MISSED] + status[LATE] + 3.0 * status[EXTRA]
                 + 10.0 * (product is not None and product != regimen.product)
                 + 5.0 * (amount is not None and not math.isclose(float(amount), regimen.dose_ug)))
        if best is None or (score, rank) < best[:2]:
            best = (float(score), rank, regimen)
    return best[2] if best else None


def longest_gap(days: pd.Series) -> tuple[float, pd.Timestamp | None]:
    """The longest gap in days between consecutive days, and the day it began."""
    ordered = np.sort(days.dt.normalize().to_numpy())
    if len(ordered) < 2:
        return 0.0, None
    gaps = np.diff(ordered).astype("timedelta64[D]").astype(float)
    return float(gaps.max()), pd.Timestamp(ordered[int(gaps.argmax())])


# --- the doses given against the regimen, for the pages --------------------------------------------

@dataclass(frozen=True)
class Adherence:
    """One patient's injections against a regimen (the one the clinician chose, or the best fit)."""

    events: pd.DataFrame  # planned, phase, given_at, status (on time|late|missed|not yet due|extra), days_late, course
    by_phase: pd.DataFrame  # phase, planned, given, on_time, late, missed
    longest_gap_days: float
    longest_gap_from: pd.Timestamp | None
    next_due: pd.Timestamp | None
    regimen: Regimen | None = None
    fitted: bool = False  # the regimen was fitted to the doses, not chosen by the clinician
    stopped: bool = False  # two planned doses missed in a row and nothing since
    last_injection: pd.Timestamp | None = None
    as_of: pd.Timestamp | None = None
    loading_review: pd.Timestamp | None = None  # open-ended loading going on: its review date
    loading_open: bool = False
    next_phase: str = ""  # the phase of the next planned dose ("" once stopped)
    switched_at: pd.Timestamp | None = None  # a dose not injected after the last injection: the course went on so
    doses: pd.DataFrame | None = None  # every dose (any route) with ``phase`` and ``course``
    oral: pd.DataFrame | None = None  # doses not injected, listed apart

    @property
    def regimen_words(self) -> str:
        """The regimen by its label, saying when it was fitted to the doses rather than chosen."""
        label = self.regimen.label if self.regimen is not None else ""
        return f"{label}, the best fit to the doses" if self.fitted else label

    def missed(self) -> pd.DataFrame:
        return self.events[self.events["status"] == MISSED]

    def late(self) -> pd.DataFrame:
        return self.events[self.events["status"] == LATE]

    @property
    def overdue_since(self) -> pd.Timestamp | None:
        """The due date of the oldest planned dose not given since the last injection, when it has
        passed (a missed dose makes the next one due at once, not a step later); None otherwise."""
        if self.as_of is None or self.stopped:
            return None
        after = self.events["planned"] > (self.last_injection if self.last_injection is not None else pd.NaT)
        missed = self.events[after & (self.events["status"] == MISSED)]
        if len(missed):
            return missed["planned"].min()
        return self.next_due if self.next_due is not None and self.next_due < self.as_of else None

    @property
    def overdue_days(self) -> float:
        """Days since the oldest dose not given fell due, as of today (0 when none is due)."""
        since = self.overdue_since
        return 0.0 if since is None else max((self.as_of - since) / DAY, 0.0)


def adherence(regimen: Regimen, start: str | pd.Timestamp | None, doses: pd.DataFrame,
              as_of: str | pd.Timestamp | None = None, loading_end: str | pd.Timestamp | None = None,
              fitted: bool = False) -> Adherence:
    """One patient's doses against ``regimen`` from ``start`` (default: the first injection) as
    of ``as_of`` (default: the last injection): the walk of this module, as tables.

    Planned doses after ``as_of`` are "not yet due"; oral doses are not matched (``oral``)."""
    given = injections(doses)
    days = given["administered_at"].dt.normalize()
    first = days.min() if len(days) else None
    start = pd.Timestamp(start).normalize() if start else (first if first is not None else pd.Timestamp(as_of))
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else (
        days.max() if len(days) else pd.Timestamp(start))
    not_injected = doses[~doses.index.isin(given.index)]
    not_injected_at = not_injected["administered_at"]
    switched = not_injected_at[not_injected_at > days.max()].min() if len(days) and len(not_injected_at) else pd.NaT
    # Treatment went on by mouth after the last injection: injections due after that are not missed.
    walk = follow_course(regimen, start, doses, min(as_of, switched.normalize()) if pd.notna(switched) else as_of,
                         loading_end)
    events = walk.frame()
    gap, gap_from = longest_gap(days)
    next_due = None if pd.notna(switched) else walk.next_due  # on tablets now: no injection is due
    return Adherence(events, _by_phase(events), gap, gap_from, next_due, regimen, fitted, walk.stopped,
                     days.max() if len(days) else None, as_of, walk.loading_review, walk.loading_open, walk.next_phase,
                     switched if pd.notna(switched) else None, _doses_with_phases(doses, walk), not_injected)


def _doses_with_phases(doses: pd.DataFrame, walk: CourseWalk) -> pd.DataFrame:
    """``doses`` sorted by time with the phase and course the walk gave each injection; other
    doses keep ``oral`` or ``not injected`` (phases.py's words)."""
    ordered = doses.sort_values("administered_at", kind="stable")
    phase = pd.Series(np.where(ordered["route"].isin(ORAL_ROUTES), ORAL, NOT_INJECTED), index=ordered.index,
                      dtype=object)
    course = pd.Series(0, index=ordered.index, dtype="int64")
    injected = injections(ordered).sort_values("administered_at", kind="stable").index
    if len(injected):
        phase.loc[injected] = [p for p, _ in walk.dose_phases]
        course.loc[injected] = [c for _, c in walk.dose_phases]
    return ordered.assign(phase=phase.astype("str"), course=course)


def _by_phase(events: pd.DataFrame) -> pd.DataFrame:
    due = events[(events["status"] != NOT_YET_DUE) & (events["phase"] != "")]
    table = (due.groupby("phase", sort=False)["status"].value_counts().unstack(fill_value=0)
             .reindex(columns=[ON_TIME, LATE, MISSED], fill_value=0).rename(columns={ON_TIME: "on_time"}))
    table.columns.name = None
    table.insert(0, "planned", table.sum(axis=1))
    table.insert(1, "given", table["on_time"] + table["late"])
    return table.reset_index()
