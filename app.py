"""B12 therapy follow-up dashboard: the entry point only builds the navigation.

Each page renders the shared sidebar itself (``ui.sidebar.page_setup``), so a page works the same
however Streamlit starts it.
"""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="B12 follow-up", page_icon=":material/monitoring:", layout="wide")
st.navigation([
    st.Page(PAGES / "dashboard.py", title="Dashboard", icon=":material/monitoring:", default=True),
    st.Page(PAGES / "import_review.py", title="Import review", icon=":material/fact_check:"),
    st.Page(PAGES / "schedule.py", title="Schedule", icon=":material/event:"),
]).run()
