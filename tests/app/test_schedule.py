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
