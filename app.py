"""B12 therapy follow-up dashboard: the entry point only builds the navigation."""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="B12 follow-up", page_icon=":material/monitoring:", layout="wide")
st.navigation([
    st.Page(PAGES / "dashboard.py", title="Dashboard", icon=":material/monitoring:", default=True),
]).run()
