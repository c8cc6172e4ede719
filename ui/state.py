"""Session-state keys in one place, and the user's choices read from them.

Widgets that sit on one page lose their value when the clinician visits another page (Streamlit
ties a widget to its page). The choices that must outlive a page visit are therefore kept under
keys of their own: ``remember``/``recall`` copy a page widget's value to and from such a key, and
the regimen is stored per patient (``plan_choice``/``set_plan_choice``).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from b12core.workspace import Choices, PlanChoice


class Keys:
    """Every session-state key the app uses."""

    UPLOADS = "uploads"
    DATE_ORDER = "date_order"
    KINDS = "choice_kinds"  # table name -> kind
    ROLES = "choice_roles"  # table name -> role -> column
    NAME_MAP = "choice_name_map"  # reported test name -> analyte or "ignore"
    OWNERS = "choice_owners"  # table name -> patient id (files without ids)
    PATIENT = "patient"
    SEX = "sex"
    UNITS = "units"
    AXIS = "axis"
    ANALYTES = "analytes"
    DATES = "dates"
    VIEW_RESTORED = "view_restored"  # the view in the URL was applied once, at the session's start
    PLANS = "plans"  # patient id -> PlanChoice (the regimen chosen on the Schedule page)
    # Schedule page widgets (their values are copied to PLANS for the patient on screen).
    REGIMEN = "regimen"
    PLAN_START = "plan_start"
    LOADING_END = "loading_end"
    EVERY_DAYS = "every_days"
    LOADING_DOSES = "loading_doses"
    MAINTENANCE_MONTHS = "maintenance_months"
    PLAN_WIDGETS_OF = "plan_widgets_of"  # the patient whose plan the schedule widgets show
    DIARY = "diary_entries"  # symptom scores typed in the app
    DIARY_OPEN = "diary_open"  # whether the diary's expander is open (its table is drawn only then)
    VIEW_OPEN = "view_open"  # whether the sidebar's box of view controls is open (drawn only then)
    DOWNLOADS_OPEN = "downloads_open"  # whether the dashboard's box of downloads is open (drawn only then)
    HELP_OPEN = "help_open"  # whether a page's help is open (its text is sent only then)
    IMPORTED = "imported"  # the files and choices last imported (the sidebar says so while it reads new ones)


def init_state() -> None:
    """Defaults for the keys that are not widget keys."""
    for key, default in ((Keys.KINDS, {}), (Keys.ROLES, {}), (Keys.NAME_MAP, {}), (Keys.OWNERS, {}),
                         (Keys.PLANS, {})):
        st.session_state.setdefault(key, default)


def current_choices() -> Choices:
    """The import choices the user made (import review page, dashboard and sidebar)."""
    return Choices(kinds=dict(st.session_state.get(Keys.KINDS, {})),
                   roles={k: dict(v) for k, v in st.session_state.get(Keys.ROLES, {}).items()},
                   name_map=dict(st.session_state.get(Keys.NAME_MAP, {})),
                   date_order=st.session_state.get(Keys.DATE_ORDER),
                   owners=dict(st.session_state.get(Keys.OWNERS, {})))


def set_owner(table: str, patient: str) -> None:
    """Say whose records a file without patient ids holds ("" to let the app decide)."""
    owners = dict(st.session_state.get(Keys.OWNERS, {}))
    if patient:
        owners[table] = patient
    else:
        owners.pop(table, None)
    st.session_state[Keys.OWNERS] = owners


# --- choices that outlive a page visit ----------------------------------------------------------

def kept_key(key: str) -> str:
    """The key under which a page widget's value is kept while the widget is not drawn."""
    return f"kept_{key}"


def recall(key: str) -> None:
    """Before a page widget is drawn: give it back the value it had when the page was left."""
    if key not in st.session_state and kept_key(key) in st.session_state:
        st.session_state[key] = st.session_state[kept_key(key)]


def kept(key: str) -> object:
    """A page widget's value: the widget's own while its page is shown, else the one kept for it."""
    return st.session_state[key] if key in st.session_state else st.session_state.get(kept_key(key))


def remember(key: str) -> None:
    """After a page widget is drawn: keep its value for the next visit of the page."""
    if key in st.session_state:
        st.session_state[kept_key(key)] = st.session_state[key]


def plan_choice(patient: str | None) -> PlanChoice:
    """The regimen chosen for this patient in this session (none chosen: an empty choice)."""
    return st.session_state.get(Keys.PLANS, {}).get(patient, PlanChoice())


def set_plan_choice(patient: str, **changes: object) -> None:
    """Change this patient's regimen choice (one choice per patient for the session)."""
    plans = dict(st.session_state.get(Keys.PLANS, {}))
    plans[patient] = replace(plans.get(patient, PlanChoice()), **changes)
    st.session_state[Keys.PLANS] = plans
