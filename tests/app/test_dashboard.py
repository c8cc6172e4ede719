"""The dashboard page in Streamlit's AppTest: first start, uploads, patients, units, bad files."""

from __future__ import annotations

import datetime as dt

from tests.app.conftest import figure_spec, markers_table, texts, upload
from tests.conftest import REPO


def axis_titles(spec: dict) -> list[str]:
    return [v["title"]["text"] for k, v in spec["layout"].items() if k.startswith("yaxis") and "title" in v]


def test_first_start_shows_the_sample_patient_labelled_as_sample(app):
    assert any("Sample data" in t for t in texts(app.info))
    titles = axis_titles(figure_spec(app))
    assert "Hemoglobin (g/L)" in titles and "Vitamin B12 (pmol/L)" in titles and "Doses" in titles
    markers = markers_table(app)
    assert "Hb (g/L)" in markers.index
    assert any("Treatment:" in t and "Maintenance every 2 months since 13 May 2024" in t for t in texts(app.markdown))


def test_figure_has_dose_markers_and_phase_labels(app):
    spec = figure_spec(app)
    injections = [t for t in spec["data"] if t.get("name") == "injections"]
    assert len(injections) == 1 and len(injections[0]["x"]) == 35
    labels = [a["text"] for a in spec["layout"]["annotations"]]
    assert "Loading from 08 Jan 2024" in labels and "Maintenance from 13 May 2024" in labels
    assert "layout" not in spec["layout"]["template"]  # Streamlit's theme draws it: plotly's template is not sent


def open_view_controls(app, is_open: bool = True) -> None:
    """Open (or close) the sidebar's box of view controls, as a click on it does."""
    app.session_state["view_open"] = is_open
    app.run()


def test_units_switch_changes_axes_and_summary(app):
    open_view_controls(app)
    app.sidebar.button_group(key="units").set_value("US").run()
    assert "Hemoglobin (g/dL)" in axis_titles(figure_spec(app))
    markers = markers_table(app)
    assert markers.loc["Hb (g/dL)", "Baseline"] == "8.4"
    assert app.query_params.get("units") in ("US", ["US"])


def test_uploaded_files_replace_the_sample_and_patients_can_be_switched(app):
    upload(app, "us_long_labs.csv", "us_injections.csv")
    assert not any("Sample data" in t for t in texts(app.info))
    assert app.sidebar.selectbox(key="patient").options == ["MRN004417", "MRN007731"]
    first = markers_table(app)
    app.sidebar.selectbox(key="patient").select("MRN007731").run()
    second = markers_table(app)
    assert first.loc["Hb (g/L)", "Baseline"] == "91" and second.loc["Hb (g/L)", "Baseline"] == "86"
    assert any("Ferritin is low on treatment" in t and "Ferritin low on treatment" in t for t in texts(app.markdown))
    assert not any("ferritin_low" in t for t in texts(app.caption))


def test_unusable_upload_gives_one_message_and_no_traceback(app):
    upload(app, contents={"photo.csv": b"\x89PNG\r\n\x1a\n" + bytes(64)})
    assert any("not a table" in t for t in texts(app.error))
    assert not app.exception


def test_ambiguous_dates_ask_for_the_order_and_the_choice_applies(app):
    upload(app, contents={"lab.csv": b"Date,Test,Result,Unit\n01/02/2024,Hb,13.5,g/dL\n03/04/2024,Hb,12,g/dL\n"})
    assert any("dmy or mdy" in t for t in texts(app.error))
    app.sidebar.radio(key="date_order").set_value("dmy").run()
    assert not app.error
    spec = figure_spec(app)
    hb = [t for t in spec["data"] if t.get("name", "").startswith("hemoglobin") and t["mode"] == "markers"]
    assert sorted(x[:10] for t in hb for x in t["x"]) == ["2024-02-01", "2024-04-03"]


def test_view_settings_come_back_from_the_url(app):
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["units"] = "US"
    at.query_params["axis"] = "days"
    at.query_params["show"] = "hemoglobin,mcv"
    at.run()
    titles = axis_titles(figure_spec(at))
    assert titles[:2] == ["Hemoglobin (g/dL)", "MCV (fL)"] and len(titles) == 3
    open_view_controls(at)
    assert at.sidebar.button_group(key="axis").value == "days"


def test_an_urgent_prompt_stands_above_the_figure_and_is_named_in_the_summary(app):
    """The figure is drawn before the prompts are worked out; the urgent one still comes first."""
    case = REPO / "tests" / "histories" / "05_neurological_symptoms_worse_urgent"
    upload(app, contents={name: (case / name).read_bytes() for name in ("labs.csv", "injections.csv", "diary.csv")})

    elements = list(app.main)
    kinds = [e.type for e in elements]
    urgent = [e.value for e in elements if e.type == "error"]
    assert len(urgent) == 2 and all(u.startswith("**Urgent · 28 Jul 2025 · Neurological symptom new or worse**")
                                    for u in urgent)
    assert kinds.index("error") < kinds.index("plotly_chart") < kinds.index("subheader")  # banner, figure, summary


def test_the_symptom_diary_table_is_drawn_only_once_its_expander_is_opened(app):
    """Drawn on every run, the diary's table cost the browser more than the figure."""
    case = REPO / "tests" / "histories" / "03_hb_falling_all_doses_on_time"
    upload(app, contents={name: (case / name).read_bytes() for name in ("labs.csv", "injections.csv")})
    assert any(e.label.startswith("Symptom diary") for e in app.main if e.type == "expander")
    assert not [e for e in app.main if e.type == "dataframe"]

    app.session_state["diary_open"] = True  # as a click on the expander sets it
    app.run()
    [table] = [e for e in app.main if e.type == "dataframe"]
    assert list(table.value.columns) == ["date", "symptom", "score"]
    assert any("Scores 0 (none) to 10 (worst)" in t for t in texts(app.caption))


def test_the_summary_reads_in_a_few_blocks_each_prompt_with_its_source(app):
    """Every element costs the browser a redraw of the page each time a run sends one; with many
    clinicians at once those redraws were a good part of each one's wait. The adherence lines come
    as one caption, the doses off the plan as one list and every prompt to review in one block,
    each prompt with its review and its source, in the order of the summary."""
    case = REPO / "tests" / "histories" / "04_relapse_after_stopping_maintenance"
    upload(app, contents={name: (case / name).read_bytes() for name in ("labs.csv", "injections.csv")})

    [review] = [t for t in texts(app.markdown) if "Source:" in t]
    titles = ["B12 low again after treatment", "Hb falling on treatment", "MCV rising again", "Course looks stopped"]
    assert all(f" · {title}**" in review for title in titles)
    prompts = review.split("\n\n---\n\n")  # a rule between two prompts
    assert len(prompts) == review.count("Source:") >= len(titles)
    assert all("Review: " in p and "Source: " in p for p in prompts)
    [status] = [t for t in texts(app.markdown) if t.startswith("**Treatment:**")]
    assert "**Last dose:**" in status and "**Next dose:**" in status
    assert "Longest gap between injections" in status  # the adherence lines, in small grey letters
    assert "Maintenance: " in status and "Loading: " in status
    assert status.count(":material/event_busy: Missed: the dose due") >= 2
    assert review.startswith("### To review\n\n")
    assert len(list(app.main)) <= 26


def test_nothing_to_review_is_said_in_the_summary(app):
    """A patient two months into treatment, every loading dose given and Hb back to normal."""
    start = dt.date.today() - dt.timedelta(days=60)
    day = [(start + dt.timedelta(days=n)).isoformat() for n in range(61)]
    labs = "Date,Test,Result,Units\n" + "".join(f"{day[n]},{test},{value},{unit}\n" for n, test, value, unit in (
        (0, "Hb", 98, "g/L"), (0, "MCV", 112, "fL"), (0, "Vitamin B12", 80, "pmol/L"), (0, "Folate", 12, "nmol/L"),
        (0, "Ferritin", 80, "ug/L"), (30, "Hb", 121, "g/L"), (30, "MCV", 101, "fL"), (56, "Hb", 134, "g/L"),
        (56, "MCV", 93, "fL")))
    doses = "Date,Drug,Dose,Route\n" + "".join(f"{day[n]},Hydroxocobalamin,1 mg,IM\n" for n in (0, 2, 5, 7, 9, 12))
    upload(app, contents={"labs.csv": labs.encode(), "injections.csv": doses.encode()})
    assert any(t.startswith("### To review") and "Nothing flagged." in t for t in texts(app.markdown))
    assert not [e for e in app.main if e.type == "error"]  # no urgent banner either


def test_the_help_is_drawn_only_once_its_expander_is_opened(app):
    """A closed help box costs nothing: its text is sent only when the clinician opens it."""
    assert "How to read this page" in [e.label for e in app.main if e.type == "expander"]
    assert not any("What you see." in t for t in texts(app.markdown))
    app.session_state["help_open"] = True  # as a click on the expander sets it
    app.run()
    assert any("What you see." in t and "Reading the markers." in t for t in texts(app.markdown))


TWO_PATIENTS = (b"Patient ID,Date,Test,Result,Units\n"
                b"P-1,2026-01-05,Hb,101,g/L\nP-1,2026-01-05,MMA,0.9,umol/L\nP-1,2026-03-05,Hb,122,g/L\n"
                b"P-2,2026-02-01,Hb,95,g/L\nP-2,2026-02-01,Vitamin B12,90,pmol/L\nP-2,2026-04-01,Hb,118,g/L\n")


def test_the_view_controls_sit_in_a_closed_box_and_keep_their_choice_once_it_is_closed(app):
    """The view controls are drawn only while their box in the sidebar is open; a choice made there
    holds with the box closed, on another page and for the next patient (a marker the next patient
    has no result of is not kept)."""
    upload(app, contents={"labs.csv": TWO_PATIENTS})
    assert not app.sidebar.button_group and not app.sidebar.multiselect
    assert "View: units, time axis, markers, dates" in [e.label for e in app.sidebar.expander]

    open_view_controls(app)
    app.sidebar.button_group(key="units").set_value("US").run()
    app.sidebar.multiselect(key="analytes").set_value(["mma"]).run()
    assert axis_titles(figure_spec(app))[:1] == ["Methylmalonic acid (nmol/L)"]
    open_view_controls(app, False)
    assert not app.sidebar.button_group
    assert axis_titles(figure_spec(app))[:1] == ["Methylmalonic acid (nmol/L)"]
    assert app.query_params.get("units") in ("US", ["US"])

    app.switch_page("pages/schedule.py").run()
    app.switch_page("pages/dashboard.py").run()
    app.sidebar.selectbox(key="patient").select("P-2").run()
    titles = axis_titles(figure_spec(app))
    assert "Hemoglobin (g/dL)" in titles and "Vitamin B12 (pg/mL)" in titles  # US still; MMA is not P-2's
    open_view_controls(app)
    assert app.sidebar.button_group(key="units").value == "US"
    assert app.sidebar.multiselect(key="analytes").value == []


def test_the_downloads_are_sent_only_once_their_box_is_opened(app):
    """Five download buttons sent on every run cost the browser a redraw each; the share link stays
    in sight."""
    upload(app, contents={"labs.csv": TWO_PATIENTS})
    assert not app.get("download_button")
    assert any(e.label.startswith("Download:") for e in app.main if e.type == "expander")
    assert "Share a read-only link with a colleague" in [link.proto.label for link in app.get("page_link")]

    app.session_state["downloads_open"] = True  # as a click on the expander sets it
    app.run()
    assert [b.label for b in app.get("download_button")] == [
        "Results (CSV)", "Results (Excel)", "Figure (interactive HTML)", "One-page report (HTML, printable)",
        "Results (Parquet)"]
