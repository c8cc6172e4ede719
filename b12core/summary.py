"""The follow-up summary beside the figure: where treatment stands, and how each marker moved."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from b12core.display import ViewSettings, display_unit, in_view, number_text, to_display
from b12core.doses import injections
from b12core.phases import LOADING, MAINTENANCE
from b12core.reference import analytes
from b12core.response import stop_after_days
from b12core.workspace import PatientView, Workspace

DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class FollowUp:
    """Plain-language facts for the summary panel and the printable report."""

    status: str  # e.g. "Maintenance since 13 May 2024", "Stopped: no injection since …"
    last_dose: str
    next_dose: str
    adherence: list[str]
    markers: pd.DataFrame  # Marker, Baseline, Latest, Change, In range, Trend (display units)
    prompts: pd.DataFrame  # When, Review, Rule, Source


def _dose_text(row: pd.Series) -> str:
    amount = row["dose_ug"]
    dose = f"{amount / 1000:g} mg" if amount >= 1000 else f"{amount:g} micrograms"
    return f"{row['administered_at']:%d %b %Y}: {row['product']} {dose} {row['route']}"


def _status(view: PatientView) -> tuple[str, pd.Timestamp | None, float]:
    """(status text, when the usual next injection falls due, usual interval in days)."""
    inj = injections(view.doses)
    if inj.empty:
        oral = view.doses[view.doses["phase"] == "oral"]
        return ("On oral B12" if len(oral) else "No doses recorded"), None, np.nan
    last = inj.iloc[-1]
    segment = view.phases.phases.iloc[-1]
    silent = (view.as_of - last["administered_at"].normalize()) / DAY  # calendar days, as the prompts count
    stop_after = stop_after_days(view.doses).get(view.patient_id, np.inf)
    oral_after = view.doses[(view.doses["phase"] == "oral") & (view.doses["administered_at"] > last["administered_at"])]
    if len(oral_after):
        return f"On oral B12 since {oral_after['administered_at'].min():%d %b %Y} (after injections)", None, np.nan
    if silent > stop_after:
        return f"Stopped: no injection since {last['administered_at']:%d %b %Y} ({silent:.0f} days)", None, np.nan
    interval = segment["interval_days"]
    if np.isnan(interval):
        interval = view.phases.phases["interval_days"].dropna().iloc[-1] if view.phases.phases[
            "interval_days"].notna().any() else np.nan
    due = last["administered_at"].normalize() + pd.Timedelta(days=round(interval)) if not np.isnan(interval) else None
    label = {LOADING: "Loading", MAINTENANCE: "Maintenance"}.get(segment["phase"], segment["phase"])
    return f"{label} since {segment['start']:%d %b %Y} (course {segment['course']})", due, interval


def follow_up(view: PatientView, settings: ViewSettings | None = None) -> FollowUp:
    """Where treatment stands and how each marker moved, in the view's display units."""
    settings = settings or ViewSettings()
    status, usual_due, interval = _status(view)
    last_dose = _dose_text(view.doses.iloc[-1]) if len(view.doses) else "none recorded"
    due = None
    if view.adherence is not None and view.adherence.next_due is not None:
        due = view.adherence.next_due
        next_dose = f"{due:%d %b %Y} (by the plan)"
    elif usual_due is not None:
        due = usual_due
        next_dose = f"about {due:%d %b %Y} (usual interval {interval:.0f} days)"
    else:
        next_dose = "not known"
    if due is not None and due < view.as_of:
        next_dose += ": overdue"
    adherence_lines = []
    if view.adherence is not None:
        for _, row in view.adherence.by_phase.iterrows():
            adherence_lines.append(f"{row['phase'].capitalize()}: {row['given']} of {row['planned']} due doses given "
                                   f"({row['late']} late, {row['missed']} missed)")
        adherence_lines.append(f"Longest gap between doses: {view.adherence.longest_gap_days:.0f} days")
    rows = []
    for _, s in view.summary.iterrows():
        unit = display_unit(s["analyte"], settings)

        def show(value: float, unit: str = unit, analyte: str = s["analyte"]) -> str:
            return "" if pd.isna(value) else number_text(float(to_display(value, analyte, unit)))

        change = "" if pd.isna(s["change"]) else number_text(float(to_display(s["change"], s["analyte"], unit)), True)
        rows.append({"Marker": f"{analytes()[s['analyte']].label} ({unit})", "Baseline": show(s["baseline"]),
                     "Latest": f"{s['latest_qualifier']}{show(s['latest'])}", "Change": change,
                     "In range": "yes" if s["in_range"] else "no", "Trend": s["trend"],
                     "Latest on": f"{s['latest_at']:%d %b %Y}" if pd.notna(s["latest_at"]) else ""})
    markers = pd.DataFrame(rows, columns=["Marker", "Baseline", "Latest", "Change", "In range", "Trend", "Latest on"])
    prompts = pd.DataFrame({"When": view.prompts["date"].dt.strftime("%d %b %Y"), "Review": view.prompts["message"],
                            "Rule": view.prompts["rule"], "Source": view.prompts["source"]})
    return FollowUp(status, last_dose, next_dose, adherence_lines, markers, prompts)


def left_off(ws: Workspace, view: PatientView, settings: ViewSettings) -> list[str]:
    """Why results of the files are not on the figure, as short counted reasons."""
    notes = []
    if ws.labs is not None:
        rejected = int(ws.labs.counts["rejected"].sum())
        if rejected:
            notes.append(f"{rejected} rejected row{'s' if rejected != 1 else ''} in the files (a reason each)")
        unknown = int(ws.labs.unknown_names["rows"].sum()) if len(ws.labs.unknown_names) else 0
        if unknown:
            notes.append(f"{unknown} result{'s' if unknown != 1 else ''} of tests not recognised in the files")
    labs = view.labs
    undated = int(labs["collected_at"].isna().sum())
    if undated:
        notes.append(f"{undated} result{'s' if undated != 1 else ''} without a date")
    dated = labs[labs["collected_at"].notna()]
    outside = ~in_view(dated["collected_at"], settings)
    if outside.any():
        notes.append(f"{int(outside.sum())} outside the dates shown")
    if settings.analytes:
        hidden = int((~dated["analyte"].astype("str").isin(settings.analytes)).sum())
        if hidden:
            notes.append(f"{hidden} of markers not chosen")
    return notes
