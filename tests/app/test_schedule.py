"""The schedule page in AppTest: a regimen against the doses given, and the written schedule."""

from __future__ import annotations

from tests.app.conftest import upload


def open_schedule(app):
    app.switch_page("pages/schedule.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_choose_a_regimen_and_see_doses_against_it(app):
    open_schedule(app)
    upload(app, "us_long_labs.csv", "us_injections.csv")
    app.selectbox(key="regimen").select("US-common").run()
    assert not app.exception
    by_phase = next(d.value for d in app.dataframe if "On time" in d.value.columns).set_index("Phase")
    assert by_phase.loc["Loading", "Missed"] == 4  # 3 daily doses and the weekly dose of 24 Mar 2024
    assert {m.label for m in app.metric} == {"Next dose due", "Missed doses", "Longest gap"}
    flagged = next(d.value for d in app.dataframe if "Status" in d.value.columns and "Days late" in d.value.columns)
    assert "Sun 24 Mar 2024" in set(flagged.loc[flagged["Status"] == "Missed", "Due"])
    assert [b.label for b in app.get("download_button")] == [
        "Printable schedule (HTML)", "Calendar (ICS)", "Spreadsheet (CSV)"]


def test_open_ended_loading_asks_for_its_end(app):
    open_schedule(app)
    app.selectbox(key="regimen").select("UK-BNF-neuro").run()
    assert any("Loading ended on" in d.label for d in app.date_input)


def test_custom_regimen_has_its_own_settings(app):
    open_schedule(app)
    app.selectbox(key="regimen").select("custom").run()
    assert {n.label for n in app.number_input} == {"Loading: every N days", "Loading doses",
                                                   "Maintenance every N months"}
    app.number_input(key="maintenance_months").set_value(1).run()
    assert not app.exception


def test_a_loading_end_before_the_start_is_said_and_every_page_keeps_working(app):
    # It made the plan refuse the choice inside the patient's course: "Something went wrong" on the
    # Schedule page after choosing a fixed regimen, and on the Dashboard, until the date was changed.
    import datetime as dt

    open_schedule(app)
    upload(app, "us_long_labs.csv", "us_injections.csv")
    app.selectbox(key="regimen").select("UK-BNF-neuro").run()
    start = app.date_input(key="plan_start").value
    app.date_input(key="loading_end").set_value(start - dt.timedelta(days=30)).run()
    assert not app.exception
    said = " ".join(w.value for w in app.warning)
    assert "cannot end before the plan starts" in said and "not used" in said
    assert not [e.value for e in app.error], [e.value for e in app.error]
    assert "Doses given against the plan" in [s.value for s in app.subheader]
    app.selectbox(key="regimen").select("US-common").run()  # a fixed regimen: that date is not its own
    assert not app.exception and not [e.value for e in app.error]
    assert not app.warning
    app.switch_page("pages/dashboard.py").run()
    assert not app.exception and not [e.value for e in app.error], [e.value for e in app.error]
    assert app.get("plotly_chart")
