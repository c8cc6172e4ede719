"""Regimen templates -> a planned schedule (doses and lab rechecks), and doses given against it.

Templates live in ``reference/regimens.csv`` and ``regimen_steps.csv``, lab rechecks in
``rechecks.csv``, each with its source (for the developers) and its cite (for the reader). A plan is
a table; nothing here prescribes: the plan is the written regimen the clinician chose, and
adherence compares what was given with it. The plan's ``source`` column holds the cites, so every
text made from it (calendar, printable schedule, review prompts) names its sources as a clinician
knows them, and only the guidance of the regimen's own country.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd

from b12core.errors import InputError
from b12core.reference import read_table, threshold
from b12core.words import counted

# ``source``: the reader-facing cite of the row; ``symptom_note``: on dose rows, what the regimen's
# guidance tells the patient about symptoms that come back before a dose is due (may be empty).
PLAN_COLUMNS = ("date", "kind", "phase", "step", "dose_ug", "product", "route", "title", "what", "source",
                "symptom_note")


@dataclass(frozen=True)
class Step:
    every_days: float
    doses: int | None  # None: open-ended (the clinician ends it)
    days: tuple[float, ...] = ()  # explicit day offsets within the step (3 times a week: 0 2 4 7 9 11)


@dataclass(frozen=True)
class Regimen:
    """A template: loading steps, then maintenance every ``maintenance_months`` months."""

    id: str
    label: str
    product: str
    route: str
    dose_ug: float
    steps: tuple[Step, ...]
    maintenance_months: int
    maintenance_months_min: int
    maintenance_months_max: int
    open_loading_default_days: int | None
    source: str  # where the template comes from, for the developers
    step_sources: tuple[str, ...] = field(default=())
    cite: str = ""  # the source as a clinician knows it ("BNF: hydroxocobalamin (...)")
    step_cites: tuple[str, ...] = field(default=())
    country: str = ""  # whose guidance the template follows (UK, US): its rechecks and notes follow it
    symptom_note: str = ""  # for the patient: what the guidance says when symptoms return before a dose

    @property
    def open_ended(self) -> bool:
        return any(s.doses is None for s in self.steps)


@cache
def regimens() -> dict[str, Regimen]:
    """Every regimen template by id."""
    steps: dict[str, list[tuple[int, Step, str, str]]] = {}
    for r in read_table("regimen_steps"):
        step = Step(float(r["every_days"]), None if r["open_ended"] == "yes" else int(r["doses"]),
                    tuple(float(d) for d in r["days"].split()))
        steps.setdefault(r["regimen"], []).append((int(r["step"]), step, r["source"], r["cite"]))
    out = {}
    for r in read_table("regimens"):
        ordered = sorted(steps.get(r["id"], []), key=lambda s: s[0])
        out[r["id"]] = Regimen(
            r["id"], r["label"], r["product"], r["route"], float(r["dose_ug"]), tuple(s[1] for s in ordered),
            int(r["maintenance_months"]), int(r["maintenance_months_min"]), int(r["maintenance_months_max"]),
            int(r["open_loading_default_days"]) if r["open_loading_default_days"] else None, r["source"],
            step_sources=tuple(s[2] for s in ordered), cite=r["cite"], step_cites=tuple(s[3] for s in ordered),
            country=r["country"], symptom_note=r["symptom_note"])
    return out


def get_regimen(regimen_id: str) -> Regimen:
    """One template; ``InputError`` naming the known ids when the id is unknown."""
    try:
        return regimens()[regimen_id]
    except KeyError:
        raise InputError(f"unknown regimen {regimen_id!r}; known: {', '.join(regimens())}") from None


def custom_regimen(loading_every_days: float, loading_doses: int, maintenance_months: int,
                   dose_ug: float = 1000.0, product: str = "hydroxocobalamin", route: str = "IM") -> Regimen:
    """The clinician's own regimen: loading every N days for M doses, maintenance every K months."""
    if loading_every_days <= 0 or loading_doses < 0 or maintenance_months <= 0 or dose_ug <= 0:
        raise InputError("a custom regimen needs positive intervals and doses")
    base = get_regimen("custom")
    every = counted(loading_every_days, "day")
    chosen = f"Set by the clinician: every {every} for {counted(loading_doses, 'dose')}"
    return replace(base, product=product, route=route, dose_ug=float(dose_ug),
                   steps=(Step(float(loading_every_days), int(loading_doses)),) if loading_doses else (),
                   step_sources=(chosen,) if loading_doses else (), step_cites=(chosen,) if loading_doses else (),
                   maintenance_months=maintenance_months, maintenance_months_min=maintenance_months,
                   maintenance_months_max=maintenance_months,
                   label=f"Custom: every {every} x {loading_doses}, then every {counted(maintenance_months, 'month')}")


@dataclass(frozen=True)
class Recheck:
    regimens: frozenset[str]  # the ids of the regimens it belongs to (all of one country's guidance)
    day: int
    title: str  # for the patient's schedule
    what: str  # for the clinician
    source: str  # where it comes from, for the developers
    cite: str = ""  # the source as a clinician knows it


@cache
def rechecks() -> tuple[Recheck, ...]:
    """Lab rechecks and reviews the sources recommend, by day from the first dose."""
    return tuple(Recheck(frozenset(r["regimens"].split()), int(r["day"]), r["title"], r["what"], r["source"],
                         r["cite"])
                 for r in read_table("rechecks"))


def _loading_days(regimen: Regimen, loading_end: pd.Timestamp | None, start: pd.Timestamp) -> list[tuple[float, int]]:
    """(day offset, step number) of every loading dose."""
    days: list[tuple[float, int]] = []
    t = 0.0
    for number, step in enumerate(regimen.steps, start=1):
        if step.doses is None:
            if loading_end is not None:  # the last day of loading, included
                count = math.floor((loading_end - start).days / step.every_days) + 1
            elif regimen.open_loading_default_days is not None:  # a period of so many days
                count = math.ceil(regimen.open_loading_default_days / step.every_days)
            else:
                raise InputError(f"regimen {regimen.id} has an open-ended loading phase: give its end date")
        else:
            count = step.doses
        if step.days:
            origin = t + (step.every_days if days else 0.0)
            days.extend((origin + d, number) for d in step.days[:count])
            t = days[-1][0]
            continue
        for i in range(count):
            if days or i:
                t += step.every_days
            days.append((t, number))
    return days


def build_plan(regimen: Regimen | str, start: str | pd.Timestamp, loading_end: str | pd.Timestamp | None = None,
               until: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Every planned dose (with its phase) and lab recheck from ``start`` until ``until`` (default:
    one year), as ``PLAN_COLUMNS``. ``loading_end`` ends an open-ended loading phase ("until no
    further improvement"). ``source`` holds the reader-facing cite of each row (its step's, the
    regimen's, or its recheck's); the rechecks are those rechecks.csv lists for this regimen id."""
    regimen = get_regimen(regimen) if isinstance(regimen, str) else regimen
    start = _day(start, "start")
    until = _day(until, "until") if until is not None else start + pd.DateOffset(years=1)
    loading_end = _day(loading_end, "loading end") if loading_end is not None else None
    if until <= start:
        raise InputError("the plan must end after it starts")
    if loading_end is not None and loading_end < start:
        raise InputError("the loading phase cannot end before the plan starts")
    rows = []
    for day, step in _loading_days(regimen, loading_end, start):
        when = start + pd.Timedelta(days=round(day + 1e-9))
        if when <= until:
            rows.append((when, "dose", "loading", step, regimen.step_cites[step - 1] if regimen.step_cites
                         else regimen.cite))
    # Maintenance counted in calendar months from one anchor (no drift): after the last loading
    # dose, or from the start itself when there is no loading.
    anchor, k = (rows[-1][0], 1) if rows else (start, 0)
    while (when := anchor + pd.DateOffset(months=k * regimen.maintenance_months)) <= until:
        rows.append((when, "dose", "maintenance", 0, regimen.cite))
        k += 1
    plan = pd.DataFrame(rows, columns=["date", "kind", "phase", "step", "source"]).assign(
        dose_ug=regimen.dose_ug, product=regimen.product, route=regimen.route, title="B12 injection",
        what=lambda d: np.where(d["phase"] == "loading", "loading dose", "maintenance dose"),
        symptom_note=regimen.symptom_note)
    if regimen.open_ended and loading_end is None and len(plan):
        open_rows = plan["phase"].eq("loading")
        plan.loc[open_rows, "what"] = "loading dose (until no further improvement; the clinician ends this phase)"
    checks = [(start + pd.Timedelta(days=r.day), "recheck", "", 0, r.cite, np.nan, "", "", r.title, r.what, "")
              for r in rechecks() if regimen.id in r.regimens and start + pd.Timedelta(days=r.day) <= until]
    checks_frame = pd.DataFrame(checks, columns=["date", "kind", "phase", "step", "source", "dose_ug", "product",
                                                 "route", "title", "what", "symptom_note"])
    plan = pd.concat([plan, checks_frame], ignore_index=True) if len(checks_frame) else plan
    plan = plan.sort_values(["date", "kind"], kind="stable", ignore_index=True)
    return plan.astype({"date": "datetime64[ns]", "kind": "str", "phase": "str", "step": "int64",
                        "dose_ug": "float64", "product": "str", "route": "str", "title": "str", "what": "str",
                        "source": "str", "symptom_note": "str"})[list(PLAN_COLUMNS)]


def _day(value: str | dt.date | pd.Timestamp, what: str) -> pd.Timestamp:
    """A day from an ISO date text (``2024-03-04``) or a date; nothing else is guessed."""
    try:
        day = dt.date.fromisoformat(value.strip()) if isinstance(value, str) else value
        stamp = pd.Timestamp(day)
        if pd.isna(stamp):
            raise ValueError(what)
        return stamp.normalize()
    except (ValueError, TypeError, OverflowError):
        raise InputError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None


# --- adherence ---------------------------------------------------------------------------------

ADHERENCE_COLUMNS = ("planned", "phase", "given_at", "status", "days_late")


@dataclass(frozen=True)
class Adherence:
    """Doses given against a plan (one patient)."""

    events: pd.DataFrame  # planned, phase, given_at, status (on time|late|missed|not yet due|extra), days_late
    by_phase: pd.DataFrame  # phase, planned, given, on_time, late, missed
    longest_gap_days: float
    longest_gap_from: pd.Timestamp | None
    next_due: pd.Timestamp | None

    def missed(self) -> pd.DataFrame:
        return self.events[self.events["status"] == "missed"]

    def late(self) -> pd.DataFrame:
        return self.events[self.events["status"] == "late"]


def adherence(plan: pd.DataFrame, doses: pd.DataFrame, as_of: str | pd.Timestamp | None = None) -> Adherence:
    """Compare the doses given (one patient) with a plan.

    Loading doses are matched to their planned days: on time within a day, late when given
    after that but before the next planned dose (for the last one: before maintenance begins),
    missed when none came. Maintenance is counted in the plan's calendar months from the dose
    actually given before it (a late dose moves the next due date, as in practice): a dose is on
    time up to a week after it was due (or a little early), late when later but before the
    following one fell due, and each interval that passed without a dose is a missed dose.
    Planned doses after ``as_of`` (default: the last dose given) are not yet due.
    """
    planned = plan[plan["kind"] == "dose"].reset_index(drop=True)
    given = np.sort(doses["administered_at"].dt.normalize().to_numpy())
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else (
        pd.Timestamp(given[-1]) if len(given) else planned["date"].min())
    used = np.zeros(len(given), dtype=bool)
    events: list[tuple] = []
    loading = planned[planned["phase"] == "loading"]["date"].tolist()
    maintenance = planned[planned["phase"] == "maintenance"]["date"].tolist()
    _match_loading(loading, maintenance[0] if maintenance else None, given, used, as_of, events)
    step = maintenance_step(maintenance)
    if loading:
        matched = given[used]
        anchor = max([loading[-1], *([pd.Timestamp(matched.max())] if len(matched) else [])])
    else:
        anchor = maintenance[0] - step if maintenance else None
    next_due = _match_maintenance(anchor, step, given, used, as_of, events) if anchor is not None else None
    for j in np.flatnonzero(~used):
        events.append((pd.NaT, "", pd.Timestamp(given[j]), "extra", 0))
    frame = pd.DataFrame(events, columns=list(ADHERENCE_COLUMNS)).astype(
        {"planned": "datetime64[ns]", "given_at": "datetime64[ns]", "phase": "str", "status": "str",
         "days_late": "int64"}).sort_values(["planned", "given_at"], ignore_index=True)
    loading_ahead = frame.loc[(frame["phase"] == "loading") & (frame["status"] == "not yet due"), "planned"]
    if len(loading_ahead):
        next_due = loading_ahead.min()
    gaps = np.diff(given).astype("timedelta64[D]").astype(float) if len(given) > 1 else np.array([])
    return Adherence(frame, _by_phase(frame), float(gaps.max()) if len(gaps) else 0.0,
                     pd.Timestamp(given[int(gaps.argmax())]) if len(gaps) else None, next_due)


def maintenance_step(dates: list[pd.Timestamp]) -> pd.DateOffset | pd.Timedelta:
    """The plan's maintenance interval: whole calendar months when its dates are, else days;
    the default interval when the plan has fewer than two maintenance doses."""
    if len(dates) < 2:
        return pd.Timedelta(days=threshold("default_maintenance_interval_days"))
    first, second = dates[0], dates[1]
    months = (second.year - first.year) * 12 + second.month - first.month
    if months > 0 and abs((first + pd.DateOffset(months=months) - second).days) <= 3:
        return pd.DateOffset(months=months)
    return second - first


def _step_days(step: pd.DateOffset | pd.Timedelta, at: pd.Timestamp) -> float:
    return ((at + step) - at) / pd.Timedelta(days=1)


def _match_loading(planned: list[pd.Timestamp], maintenance_start: pd.Timestamp | None, given: np.ndarray,
                   used: np.ndarray, as_of: pd.Timestamp, events: list[tuple]) -> None:
    tolerance = pd.Timedelta(days=threshold("loading_on_time_days"))
    for i, day in enumerate(planned):
        if i + 1 < len(planned):
            until = planned[i + 1]
        else:
            until = maintenance_start if maintenance_start is not None else day + tolerance + pd.Timedelta(days=1)
        candidates = np.flatnonzero(~used & (given >= day - tolerance) & (given < max(until, day + tolerance)))
        if len(candidates):
            j = candidates[0]
            used[j] = True
            late_by = (pd.Timestamp(given[j]) - day).days
            status = "on time" if late_by <= tolerance.days else "late"
            events.append((day, "loading", pd.Timestamp(given[j]), status, max(late_by, 0)))
        else:
            events.append((day, "loading", pd.NaT, "not yet due" if day > as_of else "missed", 0))


def _match_maintenance(anchor: pd.Timestamp, step: pd.DateOffset | pd.Timedelta, given: np.ndarray,
                       used: np.ndarray, as_of: pd.Timestamp, events: list[tuple]) -> pd.Timestamp:
    """Walk maintenance doses from ``anchor``; returns the next due date."""
    on_time = pd.Timedelta(days=threshold("maintenance_on_time_days"))
    for j in np.flatnonzero(~used & (given > anchor.to_datetime64())):
        dose = pd.Timestamp(given[j])
        expected = anchor + step
        while dose >= expected + step:  # a whole interval passed without a dose
            events.append((expected, "maintenance", pd.NaT, "missed", 0))
            expected += step
        # A little early still counts: up to a month, and never more than half an interval.
        early = pd.Timedelta(days=min(threshold("maintenance_early_days"), _step_days(step, expected) / 2))
        if dose < expected - early:
            continue  # an extra dose between due dates (listed as extra)
        used[j] = True
        late_by = (dose - expected).days
        events.append((expected, "maintenance", dose, "on time" if dose <= expected + on_time else "late",
                       max(late_by, 0)))
        anchor = dose
    expected = anchor + step
    while expected + on_time < as_of:
        events.append((expected, "maintenance", pd.NaT, "missed", 0))
        expected += step
    return expected


def _by_phase(events: pd.DataFrame) -> pd.DataFrame:
    due = events[(events["status"] != "not yet due") & (events["phase"] != "")]
    table = (due.groupby("phase", sort=False)["status"].value_counts().unstack(fill_value=0)
             .reindex(columns=["on time", "late", "missed"], fill_value=0).rename(columns={"on time": "on_time"}))
    table.columns.name = None
    table.insert(0, "planned", table.sum(axis=1))
    table.insert(1, "given", table["on_time"] + table["late"])
    return table.reset_index()
