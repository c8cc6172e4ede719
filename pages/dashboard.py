"""Dashboard: the patient's lab results, from uploads or (on first start) the sample patient."""

import streamlit as st

from b12core import InputError
from b12core.files import import_lab_set, read_files
from b12core.labs import LabImport
from b12core.sample import sample_files
from b12core.text import markdown_literal

UPLOAD_KEY = "uploads"


@st.cache_data(scope="session", max_entries=8, show_spinner="Reading files…")
def load_labs(files: tuple[tuple[str, bytes], ...], date_order: str | None) -> LabImport:
    return import_lab_set(read_files(files), date_order)


st.title("B12 therapy follow-up")
with st.sidebar:
    uploads = st.file_uploader("Lab exports and injection records", accept_multiple_files=True,
                               type=["csv", "tsv", "txt", "xlsx", "xls"], key=UPLOAD_KEY)
    date_order = st.radio("Date order when a file does not show it", ["dmy", "mdy"], index=None,
                          format_func={"dmy": "Day first (31/01)", "mdy": "Month first (01/31)"}.get,
                          horizontal=True)

if uploads:
    files = tuple((f.name, f.getvalue()) for f in uploads)
else:
    files = tuple(sample_files())
    st.info("**Sample data** — a synthetic patient, shown until you upload files.", icon=":material/science:")

try:
    result = load_labs(files, date_order)
except InputError as err:
    st.error(markdown_literal(str(err)))
    st.stop()

labs = result.labs
patients = sorted(labs["patient_id"].unique())
patient = st.selectbox("Patient", patients) if len(patients) > 1 else (patients[0] if patients else None)
shown = labs[labs["patient_id"] == patient] if patient is not None else labs
st.caption(result.summary())
st.dataframe(shown.drop(columns=["patient_id"]), hide_index=True, width="stretch")
if len(result.rejections):
    with st.expander(f"{len(result.rejections)} rejected rows"):
        st.dataframe(result.rejections, hide_index=True, width="stretch")
