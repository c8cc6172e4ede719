"""Symptom scores typed into the dashboard's editor, read from its widget state."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from b12core.symptoms import symptoms_from_entries
from ui.state import Keys


def typed_symptoms() -> pd.DataFrame | None:
    """The rows added in the diary editor (None when there are none)."""
    state = st.session_state.get(Keys.DIARY) or {}
    deleted = set(state.get("deleted_rows", []))
    entries = [row for i, row in enumerate(state.get("added_rows", [])) if i not in deleted]
    frame = symptoms_from_entries(entries)
    return frame if len(frame) else None
