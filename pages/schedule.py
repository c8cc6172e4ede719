"""Schedule: the written plan, the doses given against it, and the schedule to hand the patient."""

import datetime as dt

import pandas as pd
import streamlit as st

from b12core.export import plan_to_csv, plan_to_html, plan_to_ics
from b12core.regimens import regimens
from b12core.schedule_view import adherence_tables, no_regimen_note, oral_note, plan_note, plan_table
from b12core.text import markdown_literal
from b12core.workspace import PlanChoice, first_dose, loading_end_problem, plan_start
from ui import data
from ui.diary import typed_symptoms
from ui.downloads import about_patient
from ui.guard import guarded
from ui.sidebar import page_start
from ui.state import Keys, plan_choice, set_plan_choice

HELP = """
Choose the regimen you are following and the day it started (by default the first dose in the
files for this patient). The app lays out every planned dose and the blood tests and reviews its
sources recommend, and compares the doses actually given with it: late and missed doses, the
longest gap, and the next dose due. For an open-ended loading phase ("alternate days until no
further improvement") set the day loading ends. The regimen you choose here is kept for this
patient while the browser tab is open, and the dashboard and its report use it. Download the
written schedule for the patient as a printable page, a calendar file for their phone, or a
spreadsheet. The plan is the one you chose; the app does not choose it.
"""
WIDGETS = {Keys.REGIMEN: "regimen_id", Keys.PLAN_START: "start", Keys.LOADING_END: "loading_end",
           Keys.EVERY_DAYS: "every_days", Keys.LOADING_DOSES: "loading_doses",
           Keys.MAINTENANCE_MONTHS: "maintenance_months"}
DATES = (Keys.PLAN_START, Keys.LOADING_END)


def _as_widget(key: str, value: object) -> object:
    if key in DATES:
        return dt.date.fromisoformat(value) if value else None
    return value


def show_choice(patient: str, first: dt.date | None) -> None:
    """Put this patient's stored choice into the widgets (on a new visit or another patient)."""
    s = st.session_state
    if s.get(Keys.PLAN_WIDGETS_OF) == patient and all(k in s for k in (Keys.REGIMEN, Keys.PLAN_START)):
        return
    choice = plan_choice(patient)
    for key, field in WIDGETS.items():
        s[key] = _as_widget(key, getattr(choice, field))
    if s[Keys.PLAN_START] is None:
        s[Keys.PLAN_START] = first
    s[Keys.PLAN_WIDGETS_OF] = patient


def keep_choice(patient: str, key: str, first: dt.date | None) -> None:
    """A widget changed: store the new value in this patient's choice."""
    value = st.session_state.get(key)
    field = WIDGETS[key]
    if key in DATES:
        value = value.isoformat() if value and not (key == Keys.PLAN_START and value == first) else ""
    elif key == Keys.REGIMEN:
        value = value or ""
    set_plan_choice(patient, **{field: value})


def plan_widgets(patient: str, first: dt.date | None) -> str:
    """The regimen, its start and its settings; returns the regimen chosen ("" for none)."""
    show_choice(patient, first)
    labels = {"": "Choose a regimen", **{r.id: r.label for r in regimens().values()}}
    left, right = st.columns(2)
    left.selectbox("Regimen", list(labels), format_func=labels.get, key=Keys.REGIMEN,
                   on_change=keep_choice, args=(patient, Keys.REGIMEN, first))
    started = f"the first dose in the files, {first:%d %b %Y}" if first else "today (no doses in the files yet)"
    right.date_input("Started on", key=Keys.PLAN_START, format="YYYY-MM-DD", help=f"Default: {started}",
                     on_change=keep_choice, args=(patient, Keys.PLAN_START, first))
    regimen_id = st.session_state.get(Keys.REGIMEN) or ""
    if regimen_id and regimens()[regimen_id].open_ended:
        left.date_input("Loading ended on (no further improvement)", key=Keys.LOADING_END, format="YYYY-MM-DD",
                        help="Leave empty while loading goes on", on_change=keep_choice,
                        args=(patient, Keys.LOADING_END, first))
    if regimen_id == "custom":
        a, b, c = st.columns(3)
        a.number_input("Loading: every N days", min_value=1.0, max_value=60.0, step=1.0, key=Keys.EVERY_DAYS,
                       on_change=keep_choice, args=(patient, Keys.EVERY_DAYS, first))
        b.number_input("Loading doses", min_value=0, max_value=60, key=Keys.LOADING_DOSES,
                       on_change=keep_choice, args=(patient, Keys.LOADING_DOSES, first))
        c.number_input("Maintenance every N months", min_value=1, max_value=12, key=Keys.MAINTENANCE_MONTHS,
                       on_change=keep_choice, args=(patient, Keys.MAINTENANCE_MONTHS, first))
    return regimen_id


def doses_against_plan(adherence) -> None:
    st.subheader("Doses given against the plan")
    tables = adherence_tables(adherence)
    m1, m2, m3 = st.columns(3)
    m1.metric("Next dose due", tables.next_due)
    m2.metric("Missed doses", tables.missed)
    m3.metric("Longest gap", tables.longest_gap)
    st.dataframe(tables.by_phase, hide_index=True)
    if len(tables.flagged):
        st.markdown("**Late, missed and extra doses**")
        st.dataframe(tables.flagged, hide_index=True, width="stretch")
    with st.expander("Every planned dose"):
        st.dataframe(tables.events, hide_index=True, width="stretch")
    if note := oral_note(adherence):
        st.caption(markdown_literal(note))


def written_schedule(plan: pd.DataFrame, label: str, patient: str) -> None:
    """The plan as the patient takes it home; each download names the patient and the day made."""
    st.subheader("Written schedule")
    st.dataframe(plan_table(plan), hide_index=True, width="stretch")
    about = about_patient(patient)
    a, b, c = st.columns(3)
    a.download_button("Printable schedule (HTML)",
                      lambda: plan_to_html(plan, label, about.patient, issued=about.made_on, sample=about.sample),
                      about.filename("schedule", "html"), "text/html", on_click="ignore")
    b.download_button("Calendar (ICS)", lambda: plan_to_ics(plan, label, about.patient, issued=about.made_on),
                      about.filename("schedule", "ics"), "text/calendar", on_click="ignore")
    c.download_button("Spreadsheet (CSV)", lambda: plan_to_csv(plan, patient_label=about.patient,
                                                               issued=about.made_on),
                      about.filename("schedule", "csv"), "text/csv", on_click="ignore")
    if note := plan_note(plan, pd.Timestamp.now()):
        st.caption(note)


def page() -> None:
    """The schedule page, top to bottom."""
    ws, patient = page_start("Schedule", "How this page works", HELP,
                             "a synthetic patient, shown until you upload files.", about_patient=True)
    if patient is None:
        st.warning("No patient in the files yet.")
        st.stop()
    first = first_dose(ws, patient)
    regimen_id = plan_widgets(patient, first)
    if not regimen_id:
        fitted = data.patient(patient, PlanChoice(), st.session_state.get(Keys.SEX) or "any", typed_symptoms())
        st.caption(markdown_literal(no_regimen_note(fitted.adherence)))
        st.stop()
    choice: PlanChoice = plan_choice(patient)
    st.caption(markdown_literal(f"Source: {choice.regimen().cite}"))
    if problem := loading_end_problem(choice, plan_start(choice, first, data.as_of()).date()):
        st.warning(markdown_literal(problem))
    view = data.patient(patient, choice, st.session_state.get(Keys.SEX) or "any", typed_symptoms())
    if view.adherence is not None:
        doses_against_plan(view.adherence)
    else:
        st.caption("No doses in the files for this patient yet: the plan is below.")
    written_schedule(view.plan, choice.regimen().label, patient)


guarded(page)
