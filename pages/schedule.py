"""Schedule: the written plan, the doses given against it, and the schedule to hand the patient."""

import pandas as pd
import streamlit as st

from b12core.export import plan_to_csv, plan_to_html, plan_to_ics, safe_filename
from b12core.regimens import regimens
from b12core.text import markdown_literal
from ui import data
from ui.diary import typed_symptoms
from ui.guard import guarded
from ui.sidebar import page_start, selected_patient
from ui.state import Keys, current_plan_choice

HELP = """
Choose the regimen you are following and the day it started (by default the first dose in the
files). The app lays out every planned dose and the blood tests and reviews its sources recommend,
and compares the doses actually given with it: late and missed doses, the longest gap, and the next
dose due. For an open-ended loading phase ("alternate days until no further improvement") set the
day loading ends. Download the written schedule for the patient as a printable page, a calendar
file for their phone, or a spreadsheet. The plan is the one you chose; the app does not choose it.
"""

def page() -> None:
    """The schedule page, top to bottom."""
    ws = page_start("Schedule", "How this page works", HELP, "a synthetic patient, shown until you upload files.")
    patient = selected_patient(ws)
    if patient is None:
        st.warning("No patient in the files yet.")
        st.stop()

    labels = {"": "Choose a regimen", **{r.id: r.label for r in regimens().values()}}
    left, right = st.columns(2)
    left.selectbox("Regimen", list(labels), format_func=labels.get, key=Keys.REGIMEN)
    regimen_id = st.session_state.get(Keys.REGIMEN) or ""
    doses = ws.doses.doses[ws.doses.doses["patient_id"] == patient] if ws.doses is not None else None
    first = doses["administered_at"].min().date() if doses is not None and len(doses) else None
    right.date_input("Started on", value=first, key=Keys.PLAN_START, format="YYYY-MM-DD",
                     help="Default: the first dose in the files")
    if regimen_id and regimens()[regimen_id].open_ended:
        left.date_input("Loading ended on (no further improvement)", value=None, key=Keys.LOADING_END,
                        format="YYYY-MM-DD", help="Leave empty while loading goes on")
    if regimen_id == "custom":
        a, b, c = st.columns(3)
        a.number_input("Loading: every N days", min_value=1.0, max_value=60.0, value=2.0, step=1.0, key=Keys.EVERY_DAYS)
        b.number_input("Loading doses", min_value=0, max_value=60, value=6, key=Keys.LOADING_DOSES)
        c.number_input("Maintenance every N months", min_value=1, max_value=12, value=3, key=Keys.MAINTENANCE_MONTHS)
    if not regimen_id:
        st.caption("Choose a regimen to see the plan and the doses given against it.")
        st.stop()

    regimen = regimens()[regimen_id]
    st.caption(markdown_literal(f"Source: {regimen.source}"))
    plan_choice = current_plan_choice()
    view = data.patient(patient, plan_choice, st.session_state.get(Keys.SEX) or "any", typed_symptoms())
    plan, adherence = view.plan, view.adherence
    if adherence is not None:
        st.subheader("Doses given against the plan")
        due = f"{adherence.next_due:%a %d %b %Y}" if adherence.next_due is not None else "not known"
        m1, m2, m3 = st.columns(3)
        m1.metric("Next dose due", due)
        m2.metric("Missed doses", int((adherence.events["status"] == "missed").sum()))
        m3.metric("Longest gap", f"{adherence.longest_gap_days:.0f} days")
        st.dataframe(adherence.by_phase, hide_index=True)
        events = adherence.events.assign(
            planned=adherence.events["planned"].dt.strftime("%a %d %b %Y"),
            given_at=adherence.events["given_at"].dt.strftime("%a %d %b %Y"))
        flagged = events[events["status"].isin(["late", "missed", "extra"])]
        if len(flagged):
            st.markdown("**Late, missed and extra doses**")
            st.dataframe(flagged, hide_index=True, width="stretch",
                         column_config={"planned": "Due", "given_at": "Given", "days_late": "Days late"})
        with st.expander("Every planned dose"):
            st.dataframe(events, hide_index=True, width="stretch")
    else:
        st.caption("No doses in the files for this patient yet: the plan is below.")

    st.subheader("Written schedule")
    table = plan.assign(date=plan["date"].dt.strftime("%a %d %b %Y"))[["date", "kind", "phase", "title", "what"]]
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"title": "For the patient", "what": "For the clinician"})
    name = safe_filename(f"b12-schedule-{regimen_id}", "")
    a, b, c = st.columns(3)
    a.download_button("Printable schedule (HTML)", lambda: plan_to_html(plan, regimen.label), f"{name}.html",
                      "text/html", on_click="ignore")
    b.download_button("Calendar (ICS)", lambda: plan_to_ics(plan, regimen.label), f"{name}.ics", "text/calendar",
                      on_click="ignore")
    c.download_button("Spreadsheet (CSV)", lambda: plan_to_csv(plan), f"{name}.csv", "text/csv", on_click="ignore")
    if plan["date"].max() < pd.Timestamp.now():
        st.caption("The plan ends before today; it runs a year past today when the start is recent.")


guarded(page)
