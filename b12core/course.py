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

The walk runs a few thousand times a patient (``fit_regimen`` walks every template), so it works on
``datetime.date`` (every day in it is a whole day; date arithmetic costs a tenth of pandas'), and
its result comes back in pandas Timestamps, as before (``follow_course``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import TypeVar

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
ONE_DAY = dt.timedelta(days=1)  # the walk's step of a day, between dates

Day = TypeVar("Day", bound=dt.date)  # a datetime.date, or a pd.Timestamp (a date with a time of day)


def months_after(when: Day, months: int) -> Day:
    """``when + pd.DateOffset(months=months)``: the same day ``months`` calendar months on, or the
    last day of that month when it is shorter, of the type of ``when`` (a ``datetime.date``, as the
    walk keeps its days, or a ``pd.Timestamp``, its time of day and unit kept). Worked out
    directly: the walk steps by months a few thousand times a patient (every template is walked to
    fit one), and a DateOffset costs many times as much."""
    year, month = divmod(when.month - 1 + months, 12)
    year, month = when.year + year, month + 1
    day = when.day if when.day <= 28 else min(when.day, calendar.monthrange(year, month)[1])  # no month is shorter
    return when.replace(year=year, month=month, day=day)


def _days(count: float) -> dt.timedelta:
    """``count`` days as a step of the walk, whose days are whole days. A fractional count is
    refused: a step of Timestamps would put every dose after it at a time of day (no step in the
    reference tables has one; loading steps are rounded to whole days before they get here)."""
    if count != int(count):
        raise ValueError(f"the course walk steps by whole days, not {count} days")
    return dt.timedelta(days=int(count))


def _stamp(day: dt.date | None) -> pd.Timestamp | None:
    """A day of the walk as a pandas Timestamp (its midnight, in nanoseconds as the imported
    doses are), None for no day."""
    return None if day is None else pd.Timestamp(day).as_unit("ns")


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
    """The walk's state: which position is next, its due date, and the course so far. Its days are
    ``datetime.date`` (every day in it is a whole day, and date arithmetic costs a tenth of
    pandas'); its events are EVENT_COLUMNS with None for no day. ``course_walk`` gives what it
    found in Timestamps."""

    def __init__(self, regimen: Regimen, start: dt.date, loading_end: dt.date | None):
        self.regimen = regimen
        self.start = start
        self.open_loading = regimen.open_ended and loading_end is None
        offsets = [d for d, _ in loading_days(regimen, loading_end, start)] if not self.open_loading else []
        self.loading_steps = [_days(round(b - a)) for a, b in pairwise(offsets)]
        self.loading_count = len(offsets)
        # The pace of open-ended loading, also when the clinician ended the first one: a restart
        # after a stopped course can open loading again (``reload``), and a step of no days there
        # never reached the next dose.
        self.open_every = _days(regimen.steps[0].every_days) if regimen.open_ended else dt.timedelta(0)
        self.months = regimen.maintenance_months
        self.events: list[tuple] = []  # EVENT_COLUMNS
        self.dose_phases: list[tuple[str, int]] = []  # per injection, in order
        self.course = 1
        self.maintenance_given = 0
        self.reset_loading(start)
        self.run_missed = 0
        self.last_given: dt.date | None = None
        self.loading_review: dt.date | None = None
        if self.open_loading and regimen.open_loading_default_days is not None:
            self.loading_review = start + _days(regimen.open_loading_default_days)
        self.stopped = False  # where the course stands, once finished
        self.next_due: dt.date | None = None
        self.next_phase = ""

    def reset_loading(self, due: dt.date) -> None:
        self.used = 0  # loading positions given or missed
        self.given_loading = 0
        self.phase = LOADING if (self.open_loading or self.loading_count) else MAINTENANCE
        self.due = due

    # --- the step to the next position ----------------------------------------------------------

    def step_after(self, when: dt.date) -> dt.date:
        """When the position after the current one falls due, counted from ``when``."""
        if self.phase == LOADING:
            if self.open_loading:
                return when + self.open_every
            if self.used + 1 < self.loading_count:
                return when + self.loading_steps[self.used]
        return months_after(when, self.months)

    def interval_days(self) -> float:
        return float((self.step_after(self.due) - self.due).days)

    def on_time_days(self) -> float:
        return threshold("loading_on_time_days" if self.phase == LOADING else "maintenance_on_time_days")

    def early_days(self) -> float:
        if self.phase == LOADING:
            return threshold("loading_on_time_days")
        return min(threshold("maintenance_early_days"), self.interval_days() / 2)

    def advance(self, given_on: dt.date) -> None:
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
        self.events.append((self.due, self.phase, None, MISSED, 0, self.course))
        self.run_missed += 1
        self.advance(self.due)

    def end_open_loading(self) -> None:
        """The doses left the loading pace: loading ended at the last dose given."""
        self.open_loading = False
        self.loading_review = None
        self.phase = MAINTENANCE
        self.due = months_after(self.last_given or self.start, self.months)

    def pass_until(self, day: dt.date, at_end: bool) -> None:
        """Positions that fell due before ``day`` without a dose: missed (or, in open loading left
        for longer than a loading gap, loading ended)."""
        gap_max = threshold("loading_gap_max_days")
        while True:
            if self.open_loading and self.last_given is not None and (day - self.last_given).days > gap_max:
                self.end_open_loading()
                continue
            if at_end:  # today: a dose is missed once its grace has passed; after two, the course stopped
                if self.run_missed >= threshold("stop_missed_doses") or \
                        (day - self.due).days <= grace_days(self.interval_days()):
                    return
            elif day < self.step_after(self.due) and not self.break_in_loading(day):
                return  # a dose before the next one fell due is for this one
            self.miss()

    def break_in_loading(self, day: dt.date) -> bool:
        """A loading dose more than a loading gap (``loading_gap_max_days``) after the dose before it
        is not the due one given late: loading broke off, and this dose resumes it (``resume_loading``)."""
        since = self.last_given if self.last_given is not None else self.due
        return (self.phase == LOADING and not self.open_loading and day > self.due
                and (day - since).days > threshold("loading_gap_max_days"))

    def reload(self, day: dt.date, next_day: dt.date | None) -> bool:
        """After a stopped maintenance course, doses close together again: a new course that
        begins with loading (True when it does)."""
        close = next_day is not None and (next_day - day).days <= threshold("loading_gap_max_days")
        stopped = self.run_missed >= threshold("stop_missed_doses")
        has_loading = self.loading_count or self.regimen.open_ended
        if not (close and self.phase == MAINTENANCE and self.maintenance_given and stopped and has_loading):
            return False
        self.course += 1
        self.open_loading = self.regimen.open_ended and not self.loading_count
        self.reset_loading(day)
        self.maintenance_given = 0
        return True

    def resume_loading(self, day: dt.date) -> bool:
        """A dose after a break in loading, once the loading doses ran out as missed and before any
        maintenance dose: loading goes on with the doses still to give (True when it does)."""
        if self.phase != MAINTENANCE or self.maintenance_given or self.given_loading >= self.loading_count:
            return False
        self.phase, self.used, self.due = LOADING, self.given_loading, day
        return True

    def take(self, day: dt.date, next_day: dt.date | None) -> None:
        """One injection, on ``day`` (the next one on ``next_day``)."""
        self.pass_until(day, at_end=False)
        self.reload(day, next_day)
        early = (self.due - day).days > self.early_days()
        if early and day >= self.start - ONE_DAY and self.resume_loading(day):
            early = False
        if early or day < self.start - ONE_DAY:
            self.events.append((None, "", day, EXTRA, 0, self.course))
            self.dose_phases.append((self.phase if day >= self.start else "", self.course))
            return
        late = max((day - self.due).days, 0)
        status = ON_TIME if late <= self.on_time_days() else LATE
        self.events.append((self.due, self.phase, day, status, late, self.course))
        self.dose_phases.append((self.phase, self.course))
        if self.phase == LOADING:
            self.given_loading += 1
        else:
            self.maintenance_given += 1
        self.run_missed = 0
        self.last_given = day
        self.advance(day)

    def finish(self, as_of: dt.date) -> None:
        """Where the course stands as of ``as_of``: missed doses since the last one, the next due."""
        self.pass_until(as_of, at_end=True)
        self.stopped = self.run_missed >= threshold("stop_missed_doses")
        self.next_due, self.next_phase = (None, "") if self.stopped else (self.due, self.phase)
        if not self.stopped and self.phase == LOADING and not self.open_loading:
            due = self.due
            for _ in range(self.loading_count - self.used):  # the loading doses still to come
                self.events.append((due, LOADING, None, NOT_YET_DUE, 0, self.course))
                due = self.step_after(due)
                self.used += 1

    def course_walk(self) -> CourseWalk:
        """What the walk found, its days as Timestamps (``_stamp``); pd.NaT for no day in the events."""
        events = [(_stamp(due) if due is not None else pd.NaT, phase, _stamp(day) if day is not None else pd.NaT,
                   status, late, course) for due, phase, day, status, late, course in self.events]
        return CourseWalk(events, self.dose_phases, _stamp(self.next_due), self.next_phase, self.stopped,
                          _stamp(self.loading_review), self.open_loading)


def follow_course(regimen: Regimen, start: pd.Timestamp, doses: pd.DataFrame, as_of: pd.Timestamp,
                  loading_end: pd.Timestamp | None = None) -> CourseWalk:
    """Walk one patient's injections (``doses``: any routes; only injections are matched) along
    ``regimen`` from ``start``; ``as_of`` is today. The days go in as dates, and what the walk found
    comes back as Timestamps (``_Walk.course_walk``)."""
    walk = _walk(regimen, pd.Timestamp(start).date(), _injection_days(doses), pd.Timestamp(as_of).date(),
                 pd.Timestamp(loading_end).date() if loading_end is not None else None)
    return walk.course_walk()


def _injection_days(doses: pd.DataFrame) -> list[dt.date]:
    """The days of the injections among ``doses``, in order, as the walk's dates."""
    return [day.date() for day in injections(doses)["administered_at"].dt.normalize().sort_values()]


def _walk(regimen: Regimen, start: dt.date, days: list[dt.date], as_of: dt.date,
          loading_end: dt.date | None = None) -> _Walk:
    """The walk of the injection ``days`` (in order) along ``regimen`` from ``start``, finished as of
    ``as_of``."""
    walk = _Walk(regimen, start, loading_end)
    for day, next_day in pairwise([*days, None]):
        walk.take(day, next_day)
    walk.finish(as_of)
    return walk


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
    first, last = given["administered_at"].min().date(), given["administered_at"].max().date()
    product, amount = _mode(given["product"].astype("object")), _mode(given["dose_ug"])
    days = _injection_days(given)  # once for every template
    best: tuple[float, int, Regimen] | None = None
    for rank, regimen in enumerate(r for r in regimens().values() if r.id != "custom"):
        # How many planned doses were missed, late, extra: counted from the walk, no table needed.
        status = Counter(event[STATUS] for event in _walk(regimen, first, days, last).events)
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
