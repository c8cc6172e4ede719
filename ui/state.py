"""Session-state keys in one place, and the user's choices read from them."""

from __future__ import annotations

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
    REGIMEN = "regimen"
    PLAN_PATIENT = "plan_patient"  # whose plan the start and loading end are
    PLAN_START = "plan_start"
    LOADING_END = "loading_end"
    EVERY_DAYS = "every_days"
    LOADING_DOSES = "loading_doses"
    MAINTENANCE_MONTHS = "maintenance_months"
    DIARY = "diary_entries"  # symptom scores typed in the app


def init_state() -> None:
    """Defaults for the keys that are not widget keys."""
    for key, default in ((Keys.KINDS, {}), (Keys.ROLES, {}), (Keys.NAME_MAP, {}), (Keys.OWNERS, {})):
        st.session_state.setdefault(key, default)


def current_choices() -> Choices:
    """The import choices the user made (import review page and sidebar)."""
    return Choices(kinds=dict(st.session_state.get(Keys.KINDS, {})),
                   roles={k: dict(v) for k, v in st.session_state.get(Keys.ROLES, {}).items()},
                   name_map=dict(st.session_state.get(Keys.NAME_MAP, {})),
                   date_order=st.session_state.get(Keys.DATE_ORDER),
                   owners=dict(st.session_state.get(Keys.OWNERS, {})))


def current_plan_choice() -> PlanChoice:
    """The regimen chosen on the schedule page ("" when none)."""
    s = st.session_state
    start = s.get(Keys.PLAN_START)
    end = s.get(Keys.LOADING_END)
    return PlanChoice(regimen_id=s.get(Keys.REGIMEN) or "", start=start.isoformat() if start else "",
                      loading_end=end.isoformat() if end else "", every_days=float(s.get(Keys.EVERY_DAYS, 2.0)),
                      loading_doses=int(s.get(Keys.LOADING_DOSES, 6)),
                      maintenance_months=int(s.get(Keys.MAINTENANCE_MONTHS, 3)))
