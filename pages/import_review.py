"""Import review: how each file was read, what was recognised, what was left out and why."""

import hashlib

import pandas as pd
import streamlit as st

from b12core.downloads import table_csv
from b12core.file_review import FileReview
from b12core.labs import IGNORE
from b12core.mapping import ROLE_LABELS
from b12core.reference import analyte_keys, analytes
from b12core.text import markdown_literal
from b12core.words import counted
from b12core.workspace import KINDS, Workspace
from ui import data
from ui.downloads import about_files
from ui.guard import guarded
from ui.patient import conflict_text
from ui.sidebar import page_start
from ui.state import Keys, set_owner

HELP = """
Every row of every file ends up **accepted**, **ignored** (a test the app does not track, such as
WBC, or a name nobody has mapped yet) or **rejected** with a reason, and a result that appears in
two files is kept once (**duplicates**). A test-code dictionary or an admissions file (which patient
each admission or stay belongs to) is read to name the tests and patients of the other files.
Check here that each file was read the way you expect: which column holds what, which tests were
recognised, and which rows were left out. A change you make here applies to the dashboard at once;
it is kept for this browser session only.
"""
KIND_LABELS = {"labs": "Lab results", "doses": "Injection record", "symptoms": "Symptom diary",
               "dictionary": "Test-code dictionary", "admissions": "Admissions (links admissions to patients)",
               "skip": "Leave out"}
NONE = "(none)"


def file_key(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


def set_kind(name: str, key: str) -> None:
    st.session_state[Keys.KINDS] = {**st.session_state[Keys.KINDS], name: st.session_state[key]}


def set_role(name: str, role_key: str, column_key: str) -> None:
    roles = {k: dict(v) for k, v in st.session_state[Keys.ROLES].items()}
    column = st.session_state[column_key]
    roles.setdefault(name, {})[st.session_state[role_key]] = "" if column == NONE else column
    st.session_state[Keys.ROLES] = roles


def choose_owner(name: str, key: str) -> None:
    set_owner(name, st.session_state[key] or "")


def map_name(name_key: str, target_key: str) -> None:
    name, target = st.session_state[name_key], st.session_state[target_key]
    if name and target:
        st.session_state[Keys.NAME_MAP] = {**st.session_state[Keys.NAME_MAP], name: target}


def unmap_name(name: str) -> None:
    st.session_state[Keys.NAME_MAP] = {k: v for k, v in st.session_state[Keys.NAME_MAP].items() if k != name}


def file_section(review: FileReview) -> None:
    """One file: how it was read, what it was read as, its columns, and what became of its rows."""
    key = file_key(review.name)
    if review.error:
        st.error(markdown_literal(review.error))
    for warning in review.warnings:
        st.warning(markdown_literal(warning[:1].upper() + warning[1:]))
    if review.how_read:
        st.caption(markdown_literal(review.how_read))
    if review.read_with:
        st.caption(markdown_literal("Read with: " + "; ".join(review.read_with)))
    if review.counts:
        st.dataframe(review.counts.table(), hide_index=True)
    left, right = st.columns(2)
    kind_key = f"kind_{key}"
    st.session_state[kind_key] = review.kind
    left.selectbox("Read this file as", KINDS, format_func=KIND_LABELS.get, key=kind_key,
                   on_change=set_kind, args=(review.name, kind_key),
                   help=f"Detected: {KIND_LABELS.get(review.detected_kind, review.detected_kind)}")
    if review.owner_candidates is not None:
        owner_key = f"owner_{key}"
        current = st.session_state[Keys.OWNERS].get(review.name, "")
        st.session_state[owner_key] = current if current in review.owner_candidates else ""
        right.selectbox("This file has no patient id; it belongs to", ["", *review.owner_candidates], key=owner_key,
                        format_func=lambda p: p or "(decide automatically)", on_change=choose_owner,
                        args=(review.name, owner_key))
    if not review.roles:
        return
    st.markdown("**Columns**")
    st.caption(markdown_literal(review.layout_reason))
    st.dataframe(review.columns, hide_index=True, width="stretch")
    with st.form(f"roles_{key}", border=False):
        a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
        role_key, column_key = f"role_{key}", f"column_{key}"
        a.selectbox("Role", review.roles, format_func=ROLE_LABELS.get, key=role_key)
        b.selectbox("Column", [NONE, *review.headers], key=column_key)
        c.form_submit_button("Use this column", on_click=set_role, args=(review.name, role_key, column_key))
    outcome(review, key)


def outcome(review: FileReview, key: str) -> None:
    """What became of the file's rows: tests found, names to map, what was left out, rejected rows."""
    if len(review.tests_found):
        st.markdown("**Recognised tests**")
        st.dataframe(review.tests_found, hide_index=True)
    if len(review.unknown_names):
        st.markdown("**Test names not recognised** (listed, not lost: map each to a marker or leave it out)")
        st.dataframe(review.unknown_names, hide_index=True)
        with st.form(f"map_{key}", border=False):
            a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
            a.selectbox("Test name", list(review.unknown_names["Test name"]), key=f"unknown_{key}")
            b.selectbox("is", [*analyte_keys(), IGNORE], key=f"target_{key}",
                        format_func=lambda t: "not tracked (leave out)" if t == IGNORE else analytes()[t].label)
            c.form_submit_button("Map", on_click=map_name, args=(f"unknown_{key}", f"target_{key}"))
    if len(review.untracked_tests):
        with st.expander(f"Tests the app does not track ({counted(review.untracked_results, 'result')})"):
            st.dataframe(review.untracked_tests, hide_index=True)
    if len(review.other_medicines):
        st.markdown("**Not counted as B12 doses**")
        st.dataframe(review.other_medicines, hide_index=True)
    if len(review.rejections):
        st.markdown(f"**Rejected rows ({len(review.rejections)})**")
        st.dataframe(review.rejections, hide_index=True, width="stretch")


def patient_ids(ws: Workspace) -> None:
    """Ids written differently in different files: which were taken as one patient, which not."""
    if not (ws.id_matches or ws.id_conflicts):
        return
    st.markdown("**Patient ids across files**")
    for match in ws.id_matches:
        st.caption(markdown_literal(f"{match.file} writes '{match.written}': taken as '{match.matched_to}' "
                                    f"of {match.matched_in}."))
    for conflict in ws.id_conflicts:
        st.warning(markdown_literal(conflict_text(conflict)))


def downloads(ws: Workspace) -> None:
    """The normalised tables of every file, and every rejected row with its reason."""
    tables = [("Lab results", ws.labs.labs if ws.labs else None), ("Doses", ws.doses.doses if ws.doses else None),
              ("Rejected rows", pd.concat([r.rejections for r in (ws.labs, ws.doses, ws.symptoms) if r is not None])
               if any((ws.labs, ws.doses, ws.symptoms)) else None)]
    about = about_files()
    cols = st.columns(len(tables))
    for col, (label, table) in zip(cols, tables, strict=True):
        if table is not None and len(table):
            col.download_button(f"{label} (CSV)", table_csv(table),
                                about.filename(label.lower().replace(" ", "-"), "csv"), "text/csv",
                                on_click="ignore", help="Every file and patient of this session, as read")


def page() -> None:
    """The import review, file by file."""
    ws, _ = page_start("Import review", "What this page is for", HELP,
                       "these are the bundled sample files. Upload files in the sidebar to review yours.")
    mapped = st.session_state[Keys.NAME_MAP]
    if mapped:
        st.markdown("**Your test-name mappings**")
        for name, target in mapped.items():
            a, b = st.columns([4, 1])
            a.text(f"{name} → {'not tracked' if target == IGNORE else analytes()[target].label}")
            b.button("Remove", key=f"unmap_{file_key(name)}", on_click=unmap_name, args=(name,))
    patient_ids(ws)
    downloads(ws)
    reviews = data.reviews()
    for review in reviews:
        summary = f" — {review.counts.sentence()}" if review.counts else ""
        label = f"{review.name}: {KIND_LABELS.get(review.kind, review.kind)}{summary}"
        with st.expander(markdown_literal(label), expanded=bool(review.error or review.warnings) or len(reviews) == 1):
            file_section(review)


guarded(page)
