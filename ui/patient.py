"""The top of a page about one patient: whose page it is, and any record whose patient is not sure.

A clinician must be able to check that the files are this patient's, so the id as written in
the files is always shown; records without an id, ids written two ways and doses that belong to
nobody on screen are said here, with the question to answer, never left silent.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from b12core.accounting import NO_PATIENT_ID
from b12core.text import markdown_literal
from b12core.words import counted, joined
from b12core.workspace import IdConflict, Workspace
from ui.state import Keys, set_owner

KIND_WORDS = {"labs": ("lab result", "lab results"), "doses": ("dose", "doses"),
              "symptoms": ("symptom score", "symptom scores")}
LEAVE_OUT = "\x00leave out"


def _choose_owner(table: str, key: str) -> None:
    choice = st.session_state.get(key) or ""
    if choice == LEAVE_OUT:
        st.session_state[Keys.KINDS] = {**st.session_state.get(Keys.KINDS, {}), table: "skip"}
    else:
        set_owner(table, choice)


def _owner_question(table: str, kind: str, records: int, candidates: list[str]) -> None:
    """Ask, right where the clinician looks, whose records a file without patient ids holds."""
    what = counted(records, *KIND_WORDS.get(kind, ("record", "records")))
    with st.container(border=True):
        st.markdown(f":material/help: **{markdown_literal(table)}** has no patient id column, and the files hold "
                    f"{counted(len(candidates), 'patient')}. Whose are its {markdown_literal(what)}?")
        key = f"owner_question_{hashlib.sha1(table.encode('utf-8')).hexdigest()[:10]}"
        st.selectbox("This file belongs to", ["", *candidates, LEAVE_OUT], key=key,
                     format_func=lambda p: {"": "Choose the patient…", LEAVE_OUT: "None of them: leave the file out"}
                     .get(p, p), on_change=_choose_owner, args=(table, key))


def patient_header(ws: Workspace, patient: str | None) -> None:
    """Whose page this is, and what the clinician must decide or check about whose records are shown."""
    for item in ws.unassigned:
        _owner_question(item.name, item.kind, item.records, list(item.candidates))
    if patient is None:
        return
    if patient == NO_PATIENT_ID:
        st.markdown("**Patient:** no patient id in the files")
        st.warning("None of the files names the patient. Check that every file is this patient's before relying "
                   "on what this page shows.", icon=":material/person_alert:")
    else:
        st.markdown(f"**Patient:** {markdown_literal(patient)}")
        for table in ws.files_without_ids(patient):
            st.caption(markdown_literal(f"{table} names no patient: its records are shown as this patient's."))
        for link in ws.admissions_shown_as(patient):
            st.warning(markdown_literal(
                f"{patient} is an admission id of {link.file} ({link.column}), not a patient id: this page may show "
                "one admission of a person whose other admissions are listed as other patients. Upload the "
                "admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them."),
                icon=":material/person_alert:")
    for match in ws.id_matches:
        if match.matched_to == patient:
            st.caption(markdown_literal(f"In {match.file} the patient id is written '{match.written}': "
                                        f"taken as the same patient ({patient})."))
    for conflict in ws.id_conflicts:
        if patient in conflict.written or patient in {written for _, written in conflict.elsewhere}:
            st.warning(markdown_literal(conflict_text(conflict)), icon=":material/person_alert:")
    _doses_elsewhere(ws, patient)


def conflict_text(conflict: IdConflict) -> str:
    """Ids that could be one patient or another, said so that the clinician can check the files."""
    here = joined([f"'{w}'" for w in conflict.written])
    there = joined([f"'{written}' in {table}" for table, written in conflict.elsewhere])
    return (f"{conflict.file} writes the patient ids {here}, which differ only in zeros, spaces or a prefix, and "
            f"the files also hold {there}: the app cannot tell whose records those are, so it kept them apart. "
            "Check the ids in the files.")


def _doses_elsewhere(ws: Workspace, patient: str) -> None:
    """A patient without doses while the files do hold doses: say whose they are."""
    others = ws.doses_of_others(patient)  # empty when the patient has doses or nobody has
    if others:
        names = joined([f"'{o}'" if o != NO_PATIENT_ID else "records without a patient id" for o in others])
        st.warning(markdown_literal(
            f"No dose in the injection records is this patient's: they hold doses of {names} only. If the record "
            "is this patient's, check how the patient id is written in each file (Import review)."),
            icon=":material/person_alert:")
