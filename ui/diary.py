"""Symptom scores typed into the dashboard's diary editor, kept for the whole browser session.

The editor is a Dashboard widget, and Streamlit forgets a widget's state when its page is left.
The scores typed are therefore kept under a key of their own (``KEPT``): the editor starts from
them when the Dashboard is shown again (``editor_rows``), and every page (the Share page's
snapshot too) reads them from there (``typed_symptoms``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from b12core.symptoms import symptoms_from_entries
from ui.state import Keys

KEPT = "diary_kept"  # the entries typed so far: a list of {"date", "symptom", "score"}
BASE = "diary_base"  # the entries the editor started from on this visit of the Dashboard


def _entries() -> list[dict]:
    """The entries as typed: the editor's start plus its edits while it is shown, else those kept."""
    state = st.session_state.get(Keys.DIARY)
    if state is None:
        return list(st.session_state.get(KEPT, []))
    rows = [dict(row) for row in st.session_state.get(BASE, [])]
    for index, change in (state.get("edited_rows") or {}).items():
        if int(index) < len(rows):
            rows[int(index)].update(change)
    deleted = {int(i) for i in state.get("deleted_rows") or []}
    rows = [row for i, row in enumerate(rows) if i not in deleted] + list(state.get("added_rows") or [])
    st.session_state[KEPT] = rows
    return rows


def typed_symptoms() -> pd.DataFrame | None:
    """The scores typed in the diary this session (None when there are none)."""
    frame = symptoms_from_entries(_entries())
    return frame if len(frame) else None


def editor_rows() -> pd.DataFrame:
    """The rows the diary editor shows when the Dashboard is drawn: on a new visit, those kept."""
    if Keys.DIARY not in st.session_state:
        st.session_state[BASE] = list(st.session_state.get(KEPT, []))
    base = st.session_state.get(BASE, [])
    return pd.DataFrame({
        "date": pd.to_datetime(pd.Series([r.get("date") for r in base], dtype="object")).astype("datetime64[ns]"),
        "symptom": pd.Series([r.get("symptom") for r in base], dtype="str"),
        "score": pd.to_numeric(pd.Series([r.get("score") for r in base], dtype="object")).astype("float64")})
