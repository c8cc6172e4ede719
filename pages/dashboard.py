"""Dashboard: the patient's markers and every injection on one time axis, with the follow-up summary."""

import datetime as dt

import streamlit as st

from b12core.display import TIME_AXES, UNIT_SYSTEMS, ViewSettings, view_from_params, view_to_params
from b12core.downloads import figure_html, results_csv, results_parquet, results_xlsx
from b12core.reference import analytes
from b12core.report import report_html
from b12core.summary import follow_up, left_off
from b12core.symptoms import diary_symptoms
from b12core.text import markdown_literal
from b12core.workspace import patient_analytes
from ui import data
from ui.diary import editor_rows, typed_symptoms
from ui.downloads import about_patient
from ui.guard import guarded
from ui.sidebar import page_start
from ui.state import Keys, kept_key, recall, remember
from ui.state import plan_choice as plan_choice_for
from ui.summary_panel import summary_panel, summary_style, urgent_banner
from ui.view import current_view

HELP = """
**What you see.** One row per marker (haemoglobin, MCV, vitamin B12, MMA, homocysteine and any other
tracked test in the files), all on the same time axis as the injections at the bottom. Shaded
columns are the loading and maintenance phases found from the doses actually given; each change of
phase is labelled with its date. The blue band in each row is the lab's own reference range (or a
default adult range when the file has none).

**Reading the markers.** A triangle pointing up is above the range, down is below it; an open
marker is a censored result such as `>2000`. A grey cross is a serum B12 taken within 14 days of an
injection: it cannot be interpreted. Hover over any point for the value as the lab reported it, the
days since the last injection, and the file and row it came from. Two different results of one test
taken at one time (a blood gas haemoglobin beside the laboratory's) are both drawn; the line and the
summary follow the laboratory analyser's where the file says which is which, else the first in the
file, and a note marked ‡ under the summary says which was used.

**Summary.** Where treatment stands, the last and next dose, each marker's baseline and latest
value, and the things worth reviewing with the rule and source behind each. The app flags and
reminds; it does not prescribe.
"""
AXIS_LABELS = {"date": "Calendar date", "days": "Days since first dose"}
UNIT_LABELS = {"SI": "SI (g/L, pmol/L)", "US": "US conventional (g/dL, pg/mL)"}
VIEW_KEYS = (Keys.UNITS, Keys.AXIS, Keys.ANALYTES, Keys.DATES)
VIEW_LABEL = "View: units, time axis, markers, dates"
DOWNLOADS_LABEL = "Download: results (CSV, Excel, Parquet), the figure, a one-page report"
DIARY_SYMPTOMS = diary_symptoms()


def restore_view_from_url() -> None:
    """First run of the session: the view in the URL (a reload, a shared link) becomes the kept view,
    which the controls start from when their box is opened."""
    if st.session_state.get(Keys.VIEW_RESTORED):
        return
    view = view_from_params(st.query_params.to_dict())
    st.session_state[kept_key(Keys.UNITS)] = view.units
    st.session_state[kept_key(Keys.AXIS)] = view.time_axis
    if view.analytes:
        st.session_state[kept_key(Keys.ANALYTES)] = list(view.analytes)
    if view.start is not None and view.end is not None:
        st.session_state[kept_key(Keys.DATES)] = (view.start.date(), view.end.date())
    st.session_state[Keys.VIEW_RESTORED] = True


def view_controls(present: list[str]) -> ViewSettings:
    """Units, time axis, markers and dates, in a box of the sidebar drawn only while it is open (four
    widgets sent on every run cost the browser a redraw each, under load a good part of the wait
    for the figure). A choice holds with the box closed, on other pages and for the next patient;
    the view also goes into the page address."""
    restore_view_from_url()
    for key in (Keys.ANALYTES, kept_key(Keys.ANALYTES)):  # a marker the patient has no result of is not kept
        if key in st.session_state:
            st.session_state[key] = [a for a in st.session_state[key] if a in present]
    box = st.sidebar.expander(VIEW_LABEL, key=Keys.VIEW_OPEN, on_change="rerun")
    if box.open:
        with box:
            for key in VIEW_KEYS:
                recall(key)
            st.segmented_control("Units", UNIT_SYSTEMS, format_func=UNIT_LABELS.get, key=Keys.UNITS)
            st.segmented_control("Time axis", TIME_AXES, format_func=AXIS_LABELS.get, key=Keys.AXIS)
            st.multiselect("Markers (none chosen: all)", present, format_func=lambda a: analytes()[a].label,
                           key=Keys.ANALYTES)
            st.session_state.setdefault(Keys.DATES, ())  # no range chosen: every date
            st.date_input("Dates shown", key=Keys.DATES, format="YYYY-MM-DD", min_value=dt.date(1900, 1, 1))
        for key in VIEW_KEYS:
            remember(key)
    else:
        for key in VIEW_KEYS:  # not drawn: the kept choice is the view (a value left under the key is not)
            st.session_state.pop(key, None)
    settings = current_view()
    params = view_to_params(settings)
    if st.query_params.to_dict() != params:  # setting them sends the page a message even when unchanged
        st.query_params.from_dict(params)
    return settings


def diary_editor() -> None:
    """The symptom diary's table, drawn only while its expander is open: drawn on every run it cost
    the browser more than the figure (the scores are kept either way, ``ui.diary``)."""
    diary = st.expander("Symptom diary (typed here, kept in this session only)", key=Keys.DIARY_OPEN,
                        on_change="rerun")
    if not diary.open:
        return
    with diary:
        st.caption("Scores 0 (none) to 10 (worst). Symptoms that return before the next dose is due are flagged.")
        st.data_editor(editor_rows(),
                       num_rows="dynamic", key=Keys.DIARY, hide_index=True,
                       column_config={"date": st.column_config.DateColumn("Date", required=True),
                                      "symptom": st.column_config.SelectboxColumn(
                                          "Symptom", options=DIARY_SYMPTOMS, required=True),
                                      "score": st.column_config.NumberColumn("Score", min_value=0, max_value=10, step=1,
                                                                             required=True)})


def download_buttons(view, figure, follow, patient: str) -> None:
    """The share link, and the downloads in a box drawn only while it is open (five buttons sent on
    every run cost the browser a redraw each). Every download is about the patient on screen,
    names the patient and the day it was made. Values are worked out now: a download made later
    runs outside this page's session."""
    st.page_link("pages/share.py", label="Share a read-only link with a colleague", icon=":material/share:")
    box = st.expander(DOWNLOADS_LABEL, key=Keys.DOWNLOADS_OPEN, on_change="rerun", icon=":material/download:")
    if not box.open:
        return
    about = about_patient(patient)
    row = box.container(horizontal=True)  # one element around the buttons, where columns were six
    row.download_button("Results (CSV)", lambda: results_csv(view.labs, about), about.filename("results", "csv"),
                        "text/csv", on_click="ignore")
    row.download_button("Results (Excel)", lambda: results_xlsx(view.labs, about), about.filename("results", "xlsx"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    row.download_button("Figure (interactive HTML)", lambda: figure_html(figure, about),
                        about.filename("figure", "html"), "text/html", on_click="ignore")
    row.download_button("One-page report (HTML, printable)",
                        lambda: report_html(figure, follow, about.patient, about.made_on, about.sample),
                        about.filename("report", "html"), "text/html", on_click="ignore")
    row.download_button("Results (Parquet)", lambda: results_parquet(view.labs, about),
                        about.filename("results", "parquet"), "application/octet-stream", on_click="ignore")


def page() -> None:
    """The dashboard, top to bottom."""
    ws, patient = page_start("B12 treatment follow-up", "How to read this page", HELP,
                             "a synthetic patient, shown until you upload files in the sidebar.", about_patient=True)
    summary_style()
    for problem in ws.errors:
        st.error(markdown_literal(problem))
    if ws.errors:
        st.page_link("pages/import_review.py", label="Review the imports", icon=":material/fact_check:")
    if patient is None:
        st.warning("No lab results or doses could be read from the files. The import review page says why.")
        st.page_link("pages/import_review.py", label="Review the imports", icon=":material/fact_check:")
        st.stop()

    settings = view_controls(patient_analytes(ws, patient))
    diary = typed_symptoms()
    sex = st.session_state.get(Keys.SEX) or "any"
    plan_choice = plan_choice_for(patient)
    figure = data.figure(patient, plan_choice, sex, diary, settings)

    # The figure goes out first; the summary and the prompts are worked out while the browser draws
    # it, and the urgent ones take their place above it. With many clinicians at once the figure
    # waits for every session's figure, not for every session's whole page. The two places are
    # emptied at once, so no summary or banner of the files before stays beside the new figure.
    banner = st.empty()
    chart, side = st.columns([7, 5], gap="medium")
    with chart:
        st.plotly_chart(figure, config={"displaylogo": False}, key="trend")
    with side:
        summary = st.empty()
        summary.caption("Working out the summary…")
    view = data.patient(patient, plan_choice, sex, diary)
    follow = follow_up(view, settings)
    urgent_banner(follow, banner)
    with chart:
        notes = left_off(ws, view, settings)
        if notes:
            st.caption(markdown_literal("Not on the figure: " + "; ".join(notes) + "."))
            st.page_link("pages/import_review.py", label="See why on the import review page", icon=":material/info:")
    with summary.container():
        summary_panel(follow)
    diary_editor()
    download_buttons(view, figure, follow, patient)


guarded(page)
