"""The sidebar every page shares: the uploader, the date-order question, the patient picker."""

from __future__ import annotations

import streamlit as st

from b12core.workspace import Workspace
from ui.data import showing_sample, workspace
from ui.state import Keys, init_state

FILE_TYPES = ["csv", "tsv", "txt", "xlsx", "xls"]
DATE_ORDER_LABELS = {"dmy": "Day first (31/01/2024)", "mdy": "Month first (01/31/2024)"}
SEX_LABELS = {"any": "Not stated", "female": "Female", "male": "Male"}


def page_start(title: str, help_label: str, help_text: str, sample_note: str) -> Workspace:
    """What every page does first: its title and help, the shared sidebar, the loaded workspace,
    and a clear label when the bundled sample is shown."""
    st.title(title)
    with st.expander(help_label):
        st.markdown(help_text)
    init_state()
    ws = shared_sidebar()
    if showing_sample():
        st.info(f"**Sample data**: {sample_note}", icon=":material/science:")
    return ws


def shared_sidebar() -> Workspace:
    """Render the shared sidebar and return the workspace it loaded."""
    with st.sidebar:
        st.file_uploader("Lab exports, injection records, symptom diaries", accept_multiple_files=True,
                         type=FILE_TYPES, key=Keys.UPLOADS,
                         help="CSV or Excel from any EHR or lab system. Files stay in this browser session only.")
        ws = workspace()
        if any(f.needs_date_order for f in ws.files) or st.session_state.get(Keys.DATE_ORDER):
            st.radio("Some dates could be day-first or month-first. How are they written?",
                     list(DATE_ORDER_LABELS), format_func=DATE_ORDER_LABELS.get, index=None, key=Keys.DATE_ORDER)
        patients = ws.patients
        if len(patients) > 1:
            if st.session_state.get(Keys.PATIENT) not in patients:
                st.session_state[Keys.PATIENT] = patients[0]
            st.selectbox("Patient", patients, key=Keys.PATIENT)
        elif patients:
            st.session_state[Keys.PATIENT] = patients[0]
        st.selectbox("Sex (for default reference ranges)", list(SEX_LABELS), format_func=SEX_LABELS.get,
                     key=Keys.SEX)
    forget_plan_of_another_patient(selected_patient(ws))
    return ws


def forget_plan_of_another_patient(patient: str | None) -> None:
    """A plan's start and loading end belong to one patient: a new patient starts without them."""
    if st.session_state.get(Keys.PLAN_PATIENT) != patient:
        for key in (Keys.PLAN_START, Keys.LOADING_END):
            st.session_state.pop(key, None)
        st.session_state[Keys.PLAN_PATIENT] = patient


def selected_patient(ws: Workspace) -> str | None:
    patients = ws.patients
    chosen = st.session_state.get(Keys.PATIENT)
    return chosen if chosen in patients else (patients[0] if patients else None)
