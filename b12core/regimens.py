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
from b12core.reference import read_table
from b12core.words import counted, every

# ``source``: the reader-facing cite of the row; ``symptom_note``: on dose rows, what the regimen's
# guidance tells the patient about symptoms that come back before a dose is due (may be empty).
PLAN_COLUMNS = ("date", "kind", "phase", "step", "dose_ug", "product", "route", "title", "what", "source",
                "symptom_note")
# For the app only, not the patient's copies: which results count as a recheck done, and whether a
# missing one is a prompt (a potassium check matters only when the anaemia is severe).
CHECK_COLUMNS = ("analytes", "remind_if_missing")
OPEN_LOADING_WHAT = "loading dose (until no further improvement; the clinician ends this phase)"


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
    pace = every(loading_every_days, "day")
    chosen = f"Set by the clinician: {pace} for {counted(loading_doses, 'dose')}"
    return replace(base, product=product, route=route, dose_ug=float(dose_ug),
                   steps=(Step(float(loading_every_days), int(loading_doses)),) if loading_doses else (),
                   step_sources=(chosen,) if loading_doses else (), step_cites=(chosen,) if loading_doses else (),
                   maintenance_months=maintenance_months, maintenance_months_min=maintenance_months,
                   maintenance_months_max=maintenance_months,
                   label=f"Custom: {pace} x {loading_doses}, then {every(maintenance_months, 'month')}")


@dataclass(frozen=True)
class Recheck:
    regimens: frozenset[str]  # the ids of the regimens it belongs to (all of one country's guidance)
    day: int
    title: str  # for the patient's schedule
    what: str  # for the clinician
    source: str  # where it comes from, for the developers
    cite: str = ""  # the source as a clinician knows it
    analytes: tuple[str, ...] = ()  # results that count as this recheck done
    remind_if_missing: bool = True  # a missing result is a review prompt


@cache
def rechecks() -> tuple[Recheck, ...]:
    """Lab rechecks and reviews the sources recommend, by day from the first dose."""
    return tuple(Recheck(frozenset(r["regimens"].split()), int(r["day"]), r["title"], r["what"], r["source"],
                         r["cite"], tuple(r["analytes"].split()), r["remind_if_missing"] == "yes")
                 for r in read_table("rechecks"))


def loading_days(regimen: Regimen, loading_end: dt.date | None, start: dt.date) -> list[tuple[float, int]]:
    """(day offset from ``start``, step number) of every loading dose of the template; an open-ended
    loading phase runs to ``loading_end``, else for the template's default days. The days are dates
    or Timestamps (the course walk's are dates, the plan's Timestamps)."""
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
    open_loading = regimen.open_ended and loading_end is None
    rows = []
    for day, step in loading_days(regimen, loading_end, start):
        when = start + pd.Timedelta(days=round(day + 1e-9))
        if when <= until:
            rows.append((when, "dose", "loading", step, regimen.step_cites[step - 1] if regimen.step_cites
                         else regimen.cite))
    # Maintenance counted in calendar months from one anchor (no drift): after the last loading
    # dose, or from the start itself when there is no loading. An open-ended loading phase has no
    # last dose yet: maintenance begins when the clinician (or the doses) end it.
    anchor, k = (rows[-1][0], 1) if rows else (start, 0)
    while not open_loading and (when := anchor + pd.DateOffset(months=k * regimen.maintenance_months)) <= until:
        rows.append((when, "dose", "maintenance", 0, regimen.cite))
        k += 1
    plan = pd.DataFrame(rows, columns=["date", "kind", "phase", "step", "source"]).assign(
        dose_ug=regimen.dose_ug, product=regimen.product, route=regimen.route, title="B12 injection",
        what=lambda d: np.where(d["phase"] == "loading", "loading dose", "maintenance dose"),
        symptom_note=regimen.symptom_note, analytes="", remind_if_missing=False)
    review = start + pd.Timedelta(days=regimen.open_loading_default_days or 0)
    if open_loading and len(plan):
        plan.loc[plan["phase"].eq("loading"), "what"] = OPEN_LOADING_WHAT
    if open_loading and review <= until:
        plan = pd.concat([plan, pd.DataFrame([{
            "date": review, "kind": "review", "phase": "", "step": 0, "source": regimen.cite, "dose_ug": np.nan,
            "product": "", "route": "", "title": "Review: has the improvement stopped? (end of loading injections)",
            "what": (f"Review loading: injections go on until there is no further improvement, then every "
                     f"{counted(regimen.maintenance_months, 'month')}; set the day loading ended"),
            "symptom_note": "", "analytes": "", "remind_if_missing": False}])], ignore_index=True)
    checks = [(start + pd.Timedelta(days=r.day), "recheck", "", 0, r.cite, np.nan, "", "", r.title, r.what, "",
               " ".join(r.analytes), r.remind_if_missing)
              for r in rechecks() if regimen.id in r.regimens and start + pd.Timedelta(days=r.day) <= until]
    checks_frame = pd.DataFrame(checks, columns=["date", "kind", "phase", "step", "source", "dose_ug", "product",
                                                 "route", "title", "what", "symptom_note", *CHECK_COLUMNS])
    plan = pd.concat([plan, checks_frame], ignore_index=True) if len(checks_frame) else plan
    plan = plan.sort_values(["date", "kind"], kind="stable", ignore_index=True)
    return plan.astype({"date": "datetime64[ns]", "kind": "str", "phase": "str", "step": "int64",
                        "dose_ug": "float64", "product": "str", "route": "str", "title": "str", "what": "str",
                        "source": "str", "symptom_note": "str", "analytes": "str", "remind_if_missing": "bool"}
                       )[[*PLAN_COLUMNS, *CHECK_COLUMNS]]


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
