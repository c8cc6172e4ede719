"""Cached loading: each file is read and imported once per content and choices, per session.

``st.cache_data`` is shared by every user of the server unless ``scope="session"``; every cache
here is session-scoped so one clinician's patient data never serves another session.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from b12core.display import ViewSettings
from b12core.figures import trend_figure
from b12core.limits import APP_MAX_FILES, APP_MAX_ROWS
from b12core.read import RawFile
from b12core.sample import sample_files
from b12core.workspace import (
    Choices,
    PatientView,
    PlanChoice,
    Workspace,
    build_workspace,
    import_table,
    latest_record,
    patient_view,
    read_upload,
)
from ui.state import Keys, current_choices


@st.cache_data(scope="session", max_entries=32, show_spinner="Reading file…")
def _read(name: str, data: bytes) -> list[RawFile]:
    return read_upload(name, data, APP_MAX_ROWS)


@st.cache_data(scope="session", max_entries=64, show_spinner="Importing…")
def _load(name: str, data: bytes, table: str, kind: str, roles: dict[str, str], name_map: dict[str, str],
          date_order: str | None, dictionary: tuple[tuple[str, str, str], ...], not_after: str | None):
    return import_table(name, data, table, kind, roles, name_map, date_order, dictionary, not_after, read=_read)


def tomorrow() -> str:
    """Results and doses dated after today are refused (tomorrow allows for time zones)."""
    return (pd.Timestamp.now().normalize() + pd.Timedelta(days=1)).date().isoformat()


def current_files() -> tuple[tuple[str, bytes], ...]:
    """The uploaded files, or the bundled sample patient when nothing is uploaded."""
    uploads = st.session_state.get(Keys.UPLOADS) or []
    if uploads:
        return tuple((f.name, f.getvalue()) for f in uploads)
    return tuple(sample_files())


def showing_sample() -> bool:
    return not st.session_state.get(Keys.UPLOADS)


def workspace() -> Workspace:
    """Every file read and imported with the user's choices (cached per file)."""
    return build_workspace(list(current_files()), current_choices(), read=_read, load=_load, max_files=APP_MAX_FILES,
                           not_after=tomorrow())


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _patient(files: tuple[tuple[str, bytes], ...], choices: Choices, patient: str, plan: PlanChoice,
             as_of: pd.Timestamp, sex: str, diary: pd.DataFrame | None) -> PatientView:
    ws = build_workspace(list(files), choices, read=_read, load=_load, max_files=APP_MAX_FILES, not_after=tomorrow())
    return patient_view(ws, patient, plan, as_of, sex, extra_symptoms=diary)


def as_of() -> pd.Timestamp:
    """Today; for the sample patient, the day of its newest record, so the sample reads as a
    follow-up visit rather than a course that stopped long ago."""
    if showing_sample():
        newest = latest_record(workspace())
        if newest is not None:
            return newest
    return pd.Timestamp.now().normalize()


def patient(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None) -> PatientView:
    """One patient's view, cached: changing a view control does not recompute it."""
    return _patient(current_files(), current_choices(), patient_id, plan, as_of(), sex, diary)


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _figure(files: tuple[tuple[str, bytes], ...], choices: Choices, patient: str, plan: PlanChoice,
            as_of: pd.Timestamp, sex: str, diary: pd.DataFrame | None, settings: ViewSettings):
    view = _patient(files, choices, patient, plan, as_of, sex, diary)
    return trend_figure(view.labs, view.doses, view.phases.phases, settings, plan=view.plan,
                        symptoms=view.symptoms if len(view.symptoms) else None, sex=sex)


def figure(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None, settings: ViewSettings):
    """The trend figure for a patient and the view settings (cached)."""
    return _figure(current_files(), current_choices(), patient_id, plan, as_of(), sex, diary, settings)
