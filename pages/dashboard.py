"""Dashboard: the patient's markers and every injection on one time axis, with the follow-up summary."""

import datetime as dt

import pandas as pd
import streamlit as st

from b12core.display import TIME_AXES, UNIT_SYSTEMS, ViewSettings, view_from_params, view_to_params
from b12core.export import frame_to_xlsx, safe_filename, safe_frame
from b12core.reference import analyte_keys, analytes
from b12core.report import report_html
from b12core.summary import follow_up, left_off
from b12core.text import markdown_literal
from ui import data
from ui.diary import typed_symptoms
from ui.guard import guarded
from ui.sidebar import page_start, selected_patient
from ui.state import Keys, current_plan_choice

HELP = """
**What you see.** One row per marker (haemoglobin, MCV, vitamin B12, MMA, homocysteine and any other
tracked test in the files), all on the same time axis as the injections at the bottom. Shaded
columns are the loading and maintenance phases found from the doses actually given; each change of
phase is labelled with its date. The blue band in each row is the lab's own reference range (or a
default adult range when the file has none).

**Reading the markers.** A triangle pointing up is above the range, down is below it; an open
marker is a censored result such as `>2000`. A grey cross is a serum B12 taken within 14 days of an
injection: it cannot be interpreted. Hover over any point for the value as the lab reported it, the
days since the last injection, and the file and row it came from.

**Summary.** Where treatment stands, the last and next dose, each marker's baseline and latest
value, and the things worth reviewing with the rule and source behind each. The app flags and
reminds; it does not prescribe.
"""
AXIS_LABELS = {"date": "Calendar date", "days": "Days since first dose"}
UNIT_LABELS = {"SI": "SI (g/L, pmol/L)", "US": "US conventional (g/dL, pg/mL)"}


def settings_from_widgets() -> ViewSettings:
    s = st.session_state
    dates = s.get(Keys.DATES) or ()
    start = pd.Timestamp(dates[0]) if len(dates) > 0 else None
    end = pd.Timestamp(dates[1]) + pd.Timedelta(hours=23, minutes=59) if len(dates) > 1 else None
    return ViewSettings(units=s.get(Keys.UNITS) or "SI", time_axis=s.get(Keys.AXIS) or "date",
                        analytes=tuple(s.get(Keys.ANALYTES) or ()), start=start, end=end)


def restore_view_from_url() -> None:
    """First run of the session: the view in the URL (a reload, a shared link) sets the controls."""
    if st.session_state.get("_view_restored"):
        return
    view = view_from_params(st.query_params.to_dict())
    st.session_state[Keys.UNITS] = view.units
    st.session_state[Keys.AXIS] = view.time_axis
    if view.analytes:
        st.session_state[Keys.ANALYTES] = list(view.analytes)
    if view.start is not None and view.end is not None:
        st.session_state[Keys.DATES] = (view.start.date(), view.end.date())
    st.session_state["_view_restored"] = True


def page() -> None:
    """The dashboard, top to bottom."""
    ws = page_start("B12 treatment follow-up", "How to read this page", HELP,
                    "a synthetic patient, shown until you upload files in the sidebar.")
    for problem in ws.errors:
        st.error(markdown_literal(problem))
    if ws.errors:
        st.page_link("pages/import_review.py", label="Review the imports", icon=":material/fact_check:")
    patient = selected_patient(ws)
    if patient is None:
        st.warning("No lab results or doses could be read from the files. The import review page says why.")
        st.page_link("pages/import_review.py", label="Review the imports", icon=":material/fact_check:")
        st.stop()

    restore_view_from_url()
    present = [a for a in analyte_keys()
               if ws.labs is not None and a in set(ws.labs.labs.loc[ws.labs.labs["patient_id"] == patient, "analyte"]
                                                   .astype("str"))]
    with st.sidebar:
        st.divider()
        st.segmented_control("Units", UNIT_SYSTEMS, format_func=UNIT_LABELS.get, key=Keys.UNITS)
        st.segmented_control("Time axis", TIME_AXES, format_func=AXIS_LABELS.get, key=Keys.AXIS)
        if Keys.ANALYTES in st.session_state:
            st.session_state[Keys.ANALYTES] = [a for a in st.session_state[Keys.ANALYTES] if a in present]
        st.multiselect("Markers (none chosen: all)", present, format_func=lambda a: analytes()[a].label,
                       key=Keys.ANALYTES)
        st.date_input("Dates shown", value=(), key=Keys.DATES, format="YYYY-MM-DD",
                      min_value=dt.date(1900, 1, 1))
    settings = settings_from_widgets()
    st.query_params.from_dict(view_to_params(settings))

    diary = typed_symptoms()
    sex = st.session_state.get(Keys.SEX) or "any"
    plan_choice = current_plan_choice()
    view = data.patient(patient, plan_choice, sex, diary)
    figure = data.figure(patient, plan_choice, sex, diary, settings)
    follow = follow_up(view, settings)

    chart, side = st.columns([7, 5], gap="medium")
    with chart:
        st.plotly_chart(figure, config={"displaylogo": False}, key="trend")
        notes = left_off(ws, view, settings)
        if notes:
            st.caption("Not on the figure: " + "; ".join(notes) + ".")
            st.page_link("pages/import_review.py", label="See why on the import review page", icon=":material/info:")
    with side:
        st.subheader("Follow-up summary")
        st.markdown(f"**Treatment:** {markdown_literal(follow.status)}  \n"
                    f"**Last dose:** {markdown_literal(follow.last_dose)}  \n"
                    f"**Next dose:** {markdown_literal(follow.next_dose)}")
        for line in follow.adherence:
            st.caption(markdown_literal(line))
        st.dataframe(follow.markers.drop(columns=["Latest on"]), hide_index=True, width="stretch")
        st.subheader("To review")
        for _, prompt in follow.prompts.iterrows():
            with st.container(border=True):
                st.markdown(f"**{markdown_literal(prompt['When'])}** {markdown_literal(prompt['Review'])}")
                st.caption(markdown_literal(f"Rule {prompt['Rule']}. Source: {prompt['Source']}"))
        if follow.prompts.empty:
            st.caption("Nothing flagged.")

    with st.expander("Symptom diary (typed here, kept in this session only)"):
        st.caption("Scores 0 (none) to 10 (worst). Symptoms that return before the next dose is due are flagged.")
        empty = pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"),
                              "symptom": pd.Series([], dtype="str"), "score": pd.Series([], dtype="float64")})
        st.data_editor(empty,
                       num_rows="dynamic", key=Keys.DIARY, hide_index=True,
                       column_config={"date": st.column_config.DateColumn("Date", required=True),
                                      "symptom": st.column_config.SelectboxColumn(
                                          "Symptom", options=["fatigue", "pins and needles", "memory or concentration",
                                                              "mood"], required=True),
                                      "score": st.column_config.NumberColumn("Score", min_value=0, max_value=10, step=1,
                                                                             required=True)})

    st.subheader("Downloads")
    name = safe_filename(f"b12-{'sample' if data.showing_sample() else 'patient'}", "")
    cols = st.columns(5)
    cols[0].download_button("Results (CSV)", safe_frame(view.labs).to_csv(index=False).encode("utf-8-sig"),
                            f"{name}-results.csv", "text/csv", on_click="ignore")
    cols[1].download_button("Results (Excel)", lambda: frame_to_xlsx(view.labs, "results"), f"{name}-results.xlsx",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    cols[4].download_button("Results (Parquet)", lambda: view.labs.to_parquet(index=False), f"{name}-results.parquet",
                            "application/octet-stream", on_click="ignore")
    cols[2].download_button("Figure (interactive HTML)", lambda: figure.to_html(include_plotlyjs=True),
                            f"{name}-figure.html", "text/html", on_click="ignore")
    cols[3].download_button("One-page report (HTML, printable)",
                            lambda: report_html(figure, follow, patient, sample=data.showing_sample()),
                            f"{name}-report.html", "text/html", on_click="ignore")


guarded(page)
