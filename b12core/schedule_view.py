"""The Schedule page's tables in words: doses against the plan, and the written plan.

``course.adherence`` and ``regimens.build_plan`` return tables with machine column names
(``on_time``, ``given_at``, ``days_late``); the page and anyone reading a screen get these
instead: titles in words, dates written out, statuses as a clinician says them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from b12core.course import Adherence
from b12core.words import counted

DAY_FORMAT = "%a %d %b %Y"
KIND_WORDS = {"dose": "Injection", "recheck": "Blood test or review", "review": "Review of the loading phase"}
PHASE_WORDS = {"loading": "Loading", "maintenance": "Maintenance", "": ""}


@dataclass(frozen=True)
class AdherenceTables:
    """What the Schedule page shows of the doses given against the plan."""

    by_phase: pd.DataFrame  # Phase, Due, Given, On time, Late, Missed
    flagged: pd.DataFrame  # the late, missed and extra doses: Due, Phase, Given, Status, Days late
    events: pd.DataFrame  # every planned dose, same columns
    missed: int
    next_due: str  # "Fri 19 Jul 2024", or "not known"
    longest_gap: str  # "89 days"


def _day(times: pd.Series) -> pd.Series:
    return times.dt.strftime(DAY_FORMAT).fillna("")


def adherence_tables(adherence: Adherence) -> AdherenceTables:
    """The adherence of one patient as tables with titles in words."""
    by_phase = adherence.by_phase.rename(columns={"phase": "Phase", "planned": "Due", "given": "Given",
                                                  "on_time": "On time", "late": "Late", "missed": "Missed"})
    by_phase["Phase"] = by_phase["Phase"].map(PHASE_WORDS).fillna(by_phase["Phase"])
    raw = adherence.events
    events = pd.DataFrame({
        "Due": _day(raw["planned"]),
        "Phase": raw["phase"].map(PHASE_WORDS).fillna(raw["phase"]),
        "Given": _day(raw["given_at"]),
        "Status": raw["status"].str.capitalize(),
        "Days late": raw["days_late"].astype("str").where(raw["status"] == "late", ""),  # blank unless late
    })
    flagged = events[raw["status"].isin(["late", "missed", "extra"]).to_numpy()].reset_index(drop=True)
    next_due = f"{adherence.next_due:{DAY_FORMAT}}" if adherence.next_due is not None else "not known"
    return AdherenceTables(by_phase, flagged, events, int((raw["status"] == "missed").sum()), next_due,
                           counted(adherence.longest_gap_days, "day"))


def oral_note(adherence: Adherence) -> str:
    """The doses not compared with the injection plan (tablets, sprays), in a sentence ("" if none)."""
    oral = adherence.oral
    if oral is None or oral.empty:
        return ""
    first, last = oral["administered_at"].min(), oral["administered_at"].max()
    return (f"{counted(len(oral), 'dose')} not injected (by mouth or another route), from {first:%d %b %Y} to "
            f"{last:%d %b %Y}: listed on the dashboard, not compared with the injection plan.")


def plan_table(plan: pd.DataFrame) -> pd.DataFrame:
    """The written plan as the page lists it: date, what, phase, for the patient, for the clinician."""
    return pd.DataFrame({
        "Date": _day(plan["date"]),
        "What": plan["kind"].map(KIND_WORDS).fillna(plan["kind"]),
        "Phase": plan["phase"].map(PHASE_WORDS).fillna(plan["phase"]),
        "For the patient": plan["title"],
        "For the clinician": plan["what"],
    })


def plan_note(plan: pd.DataFrame, today: pd.Timestamp) -> str:
    """A sentence when the written plan ends before ``today`` ("" when it does not)."""
    if len(plan) and plan["date"].max() < today:
        return "The plan ends before today; it runs a year past today when the start is recent."
    return ""


def no_regimen_note(fitted: Adherence | None) -> str:
    """What the page says while no regimen is chosen: choose one; until then the doses are compared
    with the template they fit best (``fitted``, the adherence against it), when there is one."""
    best = fitted.regimen if fitted is not None else None
    return ("Choose a regimen to see the written plan and the doses given against it."
            + (f" Until then the doses are compared with {best.label}, the template they fit best." if best else ""))
