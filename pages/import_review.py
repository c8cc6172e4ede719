"""Import review: how each file was read, what was recognised, what was left out and why."""

import hashlib

import pandas as pd
import streamlit as st

from b12core.accounting import NO_PATIENT_ID
from b12core.downloads import table_csv
from b12core.labs import IGNORE
from b12core.mapping import ROLE_LABELS, ROLES_OF_KIND
from b12core.reference import analyte_keys, analytes
from b12core.text import markdown_literal
from b12core.words import counted
from b12core.workspace import KINDS, FileReport, Workspace
from ui.downloads import about_files
from ui.guard import guarded
from ui.patient import conflict_text
from ui.sidebar import page_start
from ui.state import Keys, set_owner

HELP = """
Every row of every file ends up **accepted**, **ignored** (a test the app does not track, such as
WBC, or a name nobody has mapped yet) or **rejected** with a reason, and a result that appears in
two files is kept once (**duplicates**). Check here that each file was read the way you expect:
which column holds what, which tests were recognised, and which rows were left out. A change you
make here applies to the dashboard at once; it is kept for this browser session only.
"""
KIND_LABELS = {"labs": "Lab results", "doses": "Injection record", "symptoms": "Symptom diary",
               "dictionary": "Test-code dictionary", "skip": "Leave out"}
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


def counts_of(ws: Workspace, report: FileReport) -> dict[str, int] | None:
    for result in (ws.labs, ws.doses, ws.symptoms):
        if result is not None and report.name in set(result.counts["source_file"]):
            row = result.counts.set_index("source_file").loc[report.name]
            return {k: int(row[k]) for k in ("read", "accepted", "ignored", "duplicates", "rejected")}
    return None


def file_section(ws: Workspace, report: FileReport) -> None:
    key = file_key(report.name)
    raw = report.raw
    if report.error:
        st.error(markdown_literal(report.error))
    if raw is not None:
        how = [counted(raw.rows, "data row"), f"header on line {raw.header_line}" if raw.header_line else "no header"]
        how += [f"encoding {raw.encoding}"] if raw.encoding else []
        how += [f"delimiter {'tab' if raw.delimiter == chr(9) else repr(raw.delimiter)}"] if raw.delimiter else []
        how += [f"sheet {raw.sheet}"] if raw.sheet else []
        st.caption(markdown_literal(", ".join(how)))
    notes = list(raw.notes) if raw is not None else []
    for result in (ws.labs, ws.doses):
        if result is not None:
            notes += list(result.notes.get(report.name, ()))
    if notes:
        st.caption(markdown_literal("Read with: " + "; ".join(dict.fromkeys(notes))))
    counts = counts_of(ws, report)
    if counts:
        st.dataframe(pd.DataFrame([counts]).rename(columns=str.capitalize), hide_index=True)
    left, right = st.columns(2)
    kind_key = f"kind_{key}"
    st.session_state[kind_key] = report.kind
    left.selectbox("Read this file as", KINDS, format_func=KIND_LABELS.get, key=kind_key,
                   on_change=set_kind, args=(report.name, kind_key),
                   help=f"Detected: {KIND_LABELS.get(report.detected_kind, report.detected_kind)}")
    mapping = report.mapping
    if mapping is not None and report.kind in ("labs", "doses") and "patient_id" not in mapping.roles:
        owner_key = f"owner_{key}"
        patients = [p for p in ws.patients if p != NO_PATIENT_ID]
        current = st.session_state[Keys.OWNERS].get(report.name, "")
        st.session_state[owner_key] = current if current in patients else ""
        right.selectbox("This file has no patient id; it belongs to", ["", *patients], key=owner_key,
                        format_func=lambda p: p or "(decide automatically)", on_change=choose_owner,
                        args=(report.name, owner_key))
    if mapping is None or raw is None:
        return
    st.markdown("**Columns**")
    st.caption(markdown_literal(mapping.layout_reason))
    rows = [{"Role": label, "Column": column, "Why": why} for label, column, why in mapping.describe()]
    if mapping.layout == "wide":
        rows += [{"Role": "result (one test per column)", "Column": c, "Why": "header names a test"}
                 for c in mapping.test_columns]
    st.dataframe(pd.DataFrame(rows, columns=["Role", "Column", "Why"]), hide_index=True, width="stretch")
    with st.form(f"roles_{key}", border=False):
        a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
        role_key, column_key = f"role_{key}", f"column_{key}"
        a.selectbox("Role", ROLES_OF_KIND[mapping.kind], format_func=ROLE_LABELS.get, key=role_key)
        b.selectbox("Column", [NONE, *raw.columns], key=column_key)
        c.form_submit_button("Use this column", on_click=set_role, args=(report.name, role_key, column_key))
    if report.kind == "labs" and ws.labs is not None:
        lab_section(ws, report, key)
    elif report.kind == "doses" and ws.doses is not None:
        mine = ws.doses.ignored_names[ws.doses.ignored_names["source_file"] == report.name]
        if len(mine):
            st.markdown("**Not counted as B12 doses**")
            st.dataframe(mine[["name", "rows"]].rename(columns={"name": "Medicine as written", "rows": "Rows"}),
                         hide_index=True)
        rejected(ws.doses.rejections, report.name)


def lab_section(ws: Workspace, report: FileReport, key: str) -> None:
    labs = ws.labs
    mine = labs.labs[labs.labs["source_file"] == report.name]
    if len(mine):
        st.markdown("**Recognised tests**")
        found = mine.groupby("analyte", observed=True).size()
        st.dataframe(pd.DataFrame({"Test": [analytes()[a].label for a in found.index], "Results": found.to_numpy()}),
                     hide_index=True)
    unknown = labs.unknown_names[labs.unknown_names["source_file"] == report.name]
    if len(unknown):
        st.markdown("**Test names not recognised** (listed, not lost: map each to a marker or leave it out)")
        st.dataframe(unknown[["name", "rows"]].rename(columns={"name": "Test name", "rows": "Rows"}), hide_index=True)
        with st.form(f"map_{key}", border=False):
            a, b, c = st.columns([2, 2, 1], vertical_alignment="bottom")
            a.selectbox("Test name", list(unknown["name"]), key=f"unknown_{key}")
            b.selectbox("is", [*analyte_keys(), IGNORE], key=f"target_{key}",
                        format_func=lambda t: "not tracked (leave out)" if t == IGNORE else analytes()[t].label)
            c.form_submit_button("Map", on_click=map_name, args=(f"unknown_{key}", f"target_{key}"))
    ignored = labs.ignored_names[labs.ignored_names["source_file"] == report.name]
    if len(ignored):
        with st.expander(f"Tests the app does not track ({counted(int(ignored['rows'].sum()), 'result')})"):
            st.dataframe(ignored[["name", "rows"]].rename(columns={"name": "Test", "rows": "Results"}), hide_index=True)
    rejected(labs.rejections, report.name)


def rejected(rejections: pd.DataFrame, name: str) -> None:
    mine = rejections[rejections["source_file"] == name]
    if len(mine):
        st.markdown(f"**Rejected rows ({len(mine)})**")
        st.dataframe(mine[["source_row", "reason", "raw"]], hide_index=True, width="stretch",
                     column_config={"source_row": "Row", "reason": "Why", "raw": "The row as read"})


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
    for report in ws.files:
        counts = counts_of(ws, report)
        summary = (f" — read {counts['read']}: {counts['accepted']} accepted, {counts['ignored']} ignored, "
                   f"{counted(counts['duplicates'], 'duplicate')}, {counts['rejected']} rejected") if counts else ""
        label = f"{report.name}: {KIND_LABELS.get(report.kind, report.kind)}{summary}"
        with st.expander(markdown_literal(label), expanded=bool(report.error) or len(ws.files) == 1):
            file_section(ws, report)


guarded(page)
