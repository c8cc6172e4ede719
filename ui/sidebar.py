"""The sidebar every page shares (drawn by the entry point, so it keeps its state on every page):
the uploader, the date-order question, the patient picker, the sex for default ranges. And the
top of every page: its title, help, the sample label and, on pages about one patient, who it is."""

from __future__ import annotations

import streamlit as st

from b12core.accounting import NO_PATIENT_ID
from b12core.workspace import Workspace
from ui.data import showing_sample, workspace
from ui.patient import patient_header
from ui.state import Keys, init_state

# JSON and XML are taken too, so that a FHIR file is named as one by the import instead of refused unread.
FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "json", "ndjson", "xml"]
DATE_ORDER_LABELS = {"dmy": "Day first (31/01/2024)", "mdy": "Month first (01/31/2024)"}
SEX_LABELS = {"any": "Not stated", "female": "Female", "male": "Male"}


def patient_label(patient: str) -> str:
    """A patient as the picker and the pages name them: the id as written in the files."""
    return "No patient id in the files" if patient == NO_PATIENT_ID else patient


def shared_sidebar() -> None:
    """The sidebar of every page. Called by the entry point before the page runs."""
    init_state()
    with st.sidebar:
        st.file_uploader("Lab exports, injection records, symptom diaries", accept_multiple_files=True,
                         type=FILE_TYPES, key=Keys.UPLOADS,
                         help="CSV or Excel from any EHR or lab system. The files stay in this browser session "
                              "until you remove them here or close the tab.")
        ws = workspace(status=st.empty())
        if any(f.needs_date_order for f in ws.files) or st.session_state.get(Keys.DATE_ORDER):
            st.radio("Some dates could be day-first or month-first. How are they written?",
                     list(DATE_ORDER_LABELS), format_func=DATE_ORDER_LABELS.get, index=None, key=Keys.DATE_ORDER)
        patients = ws.patients
        if st.session_state.get(Keys.PATIENT) not in patients:
            st.session_state[Keys.PATIENT] = patients[0] if patients else None
        if len(patients) > 1:
            st.selectbox("Patient", patients, key=Keys.PATIENT, format_func=patient_label)
        st.selectbox("Sex (for default reference ranges)", list(SEX_LABELS), format_func=SEX_LABELS.get,
                     key=Keys.SEX)


def selected_patient(ws: Workspace) -> str | None:
    """The patient on screen: the one picked in the sidebar, else the first in the files."""
    patients = ws.patients
    chosen = st.session_state.get(Keys.PATIENT)
    return chosen if chosen in patients else (patients[0] if patients else None)


def page_start(title: str, help_label: str, help_text: str, sample_note: str,
               about_patient: bool = False) -> tuple[Workspace, str | None]:
    """What every page does first: its title and help, a clear label when the bundled sample is
    shown, and on a page about one patient, whose page it is (and whose records are undecided).
    Returns the workspace and the patient on screen."""
    st.title(title)
    ws = workspace()
    patient = selected_patient(ws)
    if about_patient:
        patient_header(ws, patient)
    help_box = st.expander(help_label, key=Keys.HELP_OPEN, on_change="rerun")
    if help_box.open:  # the text is sent only when asked for: a closed box costs the browser nothing
        help_box.markdown(help_text)
    if showing_sample():
        st.info(f"**Sample data**: {sample_note}", icon=":material/science:")
    return ws, patient
