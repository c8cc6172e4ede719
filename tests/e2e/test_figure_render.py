"""The trend figure as a downloaded file (``to_html``) drawn by headless Chromium.

What plotly draws is not all in ``fig.layout``: it leaves out a subplot that has no trace, and axes
that share a scale stop sharing when plotly guesses different types for them. Both once left the
time axis without labels. These tests read the tick labels plotly.js actually drew. No app
server: each figure is a file opened in the browser.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest

from b12core.display import ViewSettings
from b12core.figures import titled, trend_figure
from tests.test_figures import ADH, ADH_DOSES, NO_DOSES, ONE_HB, TWO_HB, D, dose, doses_table, labs_table

pytestmark = pytest.mark.e2e

MONTH_OR_YEAR = re.compile(r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|20\d\d")


def drawn(browser, fig: go.Figure, folder: Path):
    """A page showing the figure as the app's download writes it."""
    path = folder / "figure.html"
    path.write_text(fig.to_html(include_plotlyjs=True), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    return page


def time_ticks(page) -> list[str]:
    """The tick labels drawn on the time axis (only the bottom row shows them)."""
    return [t for t in page.locator(".xaxislayer-above text").all_text_contents() if t.strip()]


def texts(page, selector: str) -> list[str]:
    return page.locator(selector).all_text_contents()


@pytest.mark.parametrize(("labs", "doses", "view"), [
    (TWO_HB, NO_DOSES, ViewSettings()),  # the fault seen: no doses, no date labels, no dose row
    (ONE_HB, NO_DOSES, ViewSettings()),  # one result: not a millisecond of times of day
    (labs_table(), doses_table(dose("2024-01-08")), ViewSettings()),  # one dose, nothing else
    (TWO_HB, doses_table(dose("2024-01-08")), ViewSettings(start=D("2024-03-01"))),  # dose row empty in view
], ids=["labs only", "one result", "one dose", "no dose in the view"])
def test_time_axis_has_date_labels(browser, tmp_path, labs, doses, view):
    page = drawn(browser, trend_figure(labs, doses, view=view), tmp_path)
    try:
        ticks = time_ticks(page)
        assert ticks and all(MONTH_OR_YEAR.search(t) or re.fullmatch(r"\d\d:\d\d", t) for t in ticks), ticks
        assert any(MONTH_OR_YEAR.search(t) for t in ticks), ticks
        assert not any(re.search(r"\d\d:\d\d:\d\d", t) for t in ticks), ticks  # no seconds or milliseconds
        assert "Doses" in texts(page, "[class^='g-y'][class$='title'] text")
        if doses.empty:
            assert "No doses in the files" in texts(page, ".annotation-text")
    finally:
        page.close()


def test_days_axis_has_day_numbers(browser, tmp_path):
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=ViewSettings(time_axis="days"))
    page = drawn(browser, fig, tmp_path)
    try:
        ticks = time_ticks(page)
        assert ticks and all(re.fullmatch(r"[−-]?\d+", t) for t in ticks), ticks
    finally:
        page.close()


def test_downloaded_figure_has_its_title_and_adherence_marks(browser, tmp_path):
    fig = titled(trend_figure(TWO_HB, ADH_DOSES, adherence=ADH), '<b>P&1</b> "x"', dt.date(2025, 3, 3))
    page = drawn(browser, fig, tmp_path)
    try:
        assert texts(page, ".gtitle") == [
            'B12 follow-up: <b>P&1</b> "x" · results 5 Jan 2024 to 5 Mar 2024 · made 3 Mar 2025']
        assert page.locator(".gtitle b").count() == 0  # the id is text, not markup
        assert "Next due 20 Aug 2024" in texts(page, ".textpoint text")
        title_bottom = page.locator(".gtitle").bounding_box()
        plot_top = page.locator(".cartesianlayer .subplot").first.bounding_box()
        assert title_bottom["y"] + title_bottom["height"] < plot_top["y"]
    finally:
        page.close()
