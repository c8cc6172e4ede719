"""Loading for the pages: the session's files, its workspace, one patient's view and figure.

The uploaded files belong to the browser session, not to a page: the uploader sits in the entry
point (``navigation.py``), so every page and every rerun sees the same files until the clinician removes
them. The sample patient is shown only while nothing is uploaded.

The files are read once per upload (``read_files``) and imported again only when a choice
changes (``build_workspace``): each step is cached on its own, keyed by the uploads' fingerprint
(their ids, not their bytes) and the choices. A Streamlit cache is shared by every user of the
server unless ``scope="session"``; every cache here is session-scoped, so one clinician's patient
data never serves another session and is freed with the session. The tables are kept
by ``st.cache_data``, pickled: a session's tables alive would be thousands of objects (pandas'
reference tracking) that the collection after every run of every session walks, 11 ms a run with
20 sessions against 2 ms pickled. The figure is kept by ``st.cache_resource`` as it is (a few
hundred objects): unpickling it built it again, 7.5 ms on every rerun of a ten-year patient; so
nothing may change it (``tests/test_kept_views.py``). The work behind a cache miss
takes one of the server's compute slots (``ui.slots``): with many clinicians at once, a few
sessions compute at a time and the others wait their turn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from b12core.display import ViewSettings
from b12core.figures import THEMED_BY_HOST, patient_figure
from b12core.file_review import FileReview, file_reviews
from b12core.limits import APP_MAX_FILES, APP_MAX_ROWS
from b12core.sample import sample_files
from b12core.workspace import (
    Choices,
    PatientCourse,
    PatientView,
    PlanChoice,
    ReadFiles,
    Workspace,
    assess,
    build_workspace,
    latest_record,
    patient_course,
    read_files,
)
from ui.slots import compute_slot
from ui.state import Keys, current_choices

SAMPLE = ("sample",)
READING = "Reading and importing the files…"
Files = Callable[[], list[tuple[str, bytes]]]


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


@st.cache_data(scope="session", max_entries=2, show_spinner=False)
def _read(fingerprint: tuple, _files: Files) -> ReadFiles:
    """The files read, per upload: keyed by the fingerprint, the bytes (``_files``) are fetched and
    read only when the uploads change, never hashed."""
    with compute_slot():
        return read_files(_files(), APP_MAX_ROWS, APP_MAX_FILES)


@st.cache_data(scope="session", max_entries=4, show_spinner=False)
def _workspace(fingerprint: tuple, choices_key: str, not_after: str, _files: Files, _choices: Choices) -> Workspace:
    """The files imported with the choices (``choices_key`` stands for ``_choices``): a change of
    choice imports the files again without reading them; going back to an earlier choice is kept."""
    with compute_slot():
        return build_workspace(_read(fingerprint, _files), _choices, not_after)


def workspace(status: DeltaGenerator | None = None) -> Workspace:
    """Every file read and imported with the user's choices (cached per files and choices).

    ``status``, a placeholder, says in words that the files are being read while new files or a new
    choice are imported, and is emptied after. A still line, not a spinner: an animation redraws a
    waiting page many times a second (about 80 ms of browser CPU a second against 10 for a still
    page), and with a clinic's team on one server the waits add up."""
    key = _workspace_key()
    fresh = status is not None and st.session_state.get(Keys.IMPORTED) != key
    if fresh:
        status.caption(READING)
    try:
        imported = _workspace(*key, current_files, current_choices())
    finally:
        if fresh:
            status.empty()
    st.session_state[Keys.IMPORTED] = key
    return imported


@st.cache_data(scope="session", max_entries=4, show_spinner=False)
def _reviews(key: tuple) -> tuple[FileReview, ...]:
    with compute_slot():
        return file_reviews(workspace())


def reviews() -> tuple[FileReview, ...]:
    """What the Import review page shows of each file, in upload order (cached per files and choices)."""
    return _reviews(_workspace_key())


def as_of() -> pd.Timestamp:
    """Today; for the sample patient, the day of its newest record, so the sample reads as a
    follow-up visit rather than a course that stopped long ago."""
    if showing_sample():
        newest = latest_record(workspace())
        if newest is not None:
            return newest
    return pd.Timestamp.now().normalize()


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _course(key: tuple, patient: str, plan: PlanChoice, as_of: pd.Timestamp, diary: pd.DataFrame | None
            ) -> PatientCourse:
    """``key`` (``_workspace_key``) stands for the workspace: it is fetched only when the course is not kept."""
    with compute_slot():
        return patient_course(workspace(), patient, plan, as_of, extra_symptoms=diary)


@st.cache_data(scope="session", max_entries=16, show_spinner=False)
def _patient(key: tuple, patient: str, plan: PlanChoice, as_of: pd.Timestamp, sex: str,
             diary: pd.DataFrame | None) -> PatientView:
    with compute_slot():
        return assess(_course(key, patient, plan, as_of, diary), sex)


def patient(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None) -> PatientView:
    """One patient's view, cached per files, choices and plan: a view control does not recompute it."""
    return _patient(_workspace_key(), patient_id, plan, as_of(), sex, diary)


@st.cache_resource(scope="session", max_entries=16, show_spinner=False)
def _figure(key: tuple, patient: str, plan: PlanChoice, as_of: pd.Timestamp, sex: str,
            diary: pd.DataFrame | None, settings: ViewSettings):
    with compute_slot():
        return patient_figure(_course(key, patient, plan, as_of, diary), settings, sex, THEMED_BY_HOST)


def figure(patient_id: str, plan: PlanChoice, sex: str, diary: pd.DataFrame | None, settings: ViewSettings):
    """The trend figure for a patient and the view settings (cached). It needs the patient's course
    only, not the summary and prompts, so a page can draw it before working those out."""
    return _figure(_workspace_key(), patient_id, plan, as_of(), sex, diary, settings)
