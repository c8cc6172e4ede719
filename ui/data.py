"""Loading for the pages: the session's files, its workspace, one patient's view and figure.

The uploaded files belong to the browser session, not to a page: the uploader sits in the entry
point (``navigation.py``), so every page and every rerun sees the same files until the clinician removes
them. The sample patient is shown only while nothing is uploaded.

``st.cache_data`` is shared by every user of the server unless ``scope="session"``; every cache
here is session-scoped so one clinician's patient data never serves another session, and the
workspace is kept in the session's own state, freed with it.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from b12core.display import ViewSettings
from b12core.figures import trend_figure
from b12core.limits import APP_MAX_FILES, APP_MAX_ROWS
from b12core.read import RawFile
from b12core.sample import sample_files
from b12core.workspace import (
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

SAMPLE = ("sample",)


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


def showing_sample() -> bool:
    """True while nothing is uploaded: the bundled sample patient is on screen."""
    return not st.session_state.get(Keys.UPLOADS)


def current_files() -> list[tuple[str, bytes]]:
    """The uploaded files, or the bundled sample patient when nothing is uploaded."""
    uploads = st.session_state.get(Keys.UPLOADS) or []
    if uploads:
        return [(f.name, f.getvalue()) for f in uploads]
    return sample_files()


def _fingerprint() -> tuple:
    """What identifies the files on screen, cheaply: each upload's id, or the sample."""
    uploads = st.session_state.get(Keys.UPLOADS) or []
    if not uploads:
        return SAMPLE
    return tuple((f.name, getattr(f, "file_id", "") or hashlib.sha256(f.getvalue()).hexdigest(), f.size)
                 for f in uploads)


def _workspace_key() -> tuple:
    return (_fingerprint(), current_choices().key(), tomorrow())


def workspace() -> Workspace:
    """Every file read and imported with the user's choices; built once per change of files or
    choices and kept in this session's state (each file's import is cached on its own)."""
    key = _workspace_key()
    kept = st.session_state.get(Keys.WORKSPACE)
    if kept is not None and kept[0] == key:
        return kept[1]
    ws = build_workspace(current_files(), current_choices(), read=_read, load=_load, max_files=APP_MAX_FILES,
                         not_after=key[2])
    st.session_state[Keys.WORKSPACE] = (key, ws)
    return ws


def as_of() -> pd.Timestamp:
    """Today; for the sample patient, the day of its newest record, so the sample reads as a
    follow-up visit rather than a course that stopped long ago."""
    if showing_sample():
        newest = latest_record(workspace())
        if newest is not None:
            return newest
    return pd.Timestamp.now().normalize()


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _patient(key: tuple, _ws: Workspace, patient: str, plan: PlanChoice, as_of: pd.Timestamp, sex: str,
             diary: pd.DataFrame | None) -> PatientView:
    return patient_view(_ws, patient, plan, as_of, sex, extra_symptoms=diary)


def patient(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None) -> PatientView:
    """One patient's view, cached per files, choices and plan: a view control does not recompute it."""
    return _patient(_workspace_key(), workspace(), patient_id, plan, as_of(), sex, diary)


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _figure(key: tuple, _ws: Workspace, patient: str, plan: PlanChoice, as_of: pd.Timestamp, sex: str,
            diary: pd.DataFrame | None, settings: ViewSettings):
    view = _patient(key, _ws, patient, plan, as_of, sex, diary)
    return trend_figure(view.labs, view.doses, view.phases.phases, settings, plan=view.plan,
                        symptoms=view.symptoms if len(view.symptoms) else None, sex=sex,
                        adherence=view.adherence)


def figure(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None, settings: ViewSettings):
    """The trend figure for a patient and the view settings (cached)."""
    return _figure(_workspace_key(), workspace(), patient_id, plan, as_of(), sex, diary, settings)
