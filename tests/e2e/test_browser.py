"""End to end in headless Chromium: upload through the page's file input, read the figure."""

from __future__ import annotations

import pytest

from tests.conftest import SAMPLE
from tests.e2e.conftest import screenshot
from tests.e2e.test_uploaded_patients import wait_for_text

pytestmark = pytest.mark.e2e


def wait_for_figure(page, expected_text: str) -> None:
    page.wait_for_selector(".js-plotly-plot", timeout=60000)
    wait_for_text(page, expected_text)
    page.wait_for_timeout(500)


def figure_text(page) -> str:
    return page.locator(".js-plotly-plot").first.inner_text()


def test_first_start_shows_the_sample_patient(page):
    wait_for_figure(page, "Sample data")
    text = figure_text(page)
    assert "Loading from 08 Jan 2024" in text and "Maintenance from 13 May 2024" in text
    screenshot(page, "dashboard-sample")


def test_upload_labs_and_injections_and_see_every_marker_doses_and_phases(page):
    wait_for_figure(page, "Sample data")
    page.locator("input[type=file]").set_input_files([str(SAMPLE / "us_long_labs.csv"),
                                                       str(SAMPLE / "us_injections.csv")])
    page.wait_for_function("() => !document.body.innerText.includes('Sample data')", timeout=60000)
    wait_for_figure(page, "Loading from 04 Mar 2024")
    text = figure_text(page)
    for title in ("Hemoglobin (g/L)", "MCV (fL)", "Vitamin B12 (pmol/L)", "Methylmalonic acid (nmol/L)",
                  "Homocysteine (umol/L)", "Doses"):
        assert title in text, title
    assert "Maintenance from 06 May 2024" in text
    doses = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const t = gd.data.find(d => d.name === 'injections');
        return t ? t.x.length : 0; }""")
    assert doses == 17  # MRN004417's injections
    screenshot(page, "dashboard-upload")


def test_import_review_and_schedule_pages_render(page):
    wait_for_figure(page, "Sample data")
    page.get_by_role("link", name="Import review").first.click()
    page.wait_for_function("() => document.body.innerText.includes('Import review')", timeout=60000)
    page.wait_for_function("() => document.body.innerText.includes('Injection record')", timeout=60000)
    screenshot(page, "import-review")
    page.get_by_role("link", name="Schedule").first.click()
    page.wait_for_function("() => document.body.innerText.includes('Choose a regimen')", timeout=60000)
    screenshot(page, "schedule")


def test_two_browsers_at_once_see_only_their_own_patients_and_the_log_holds_no_patient_data(browser, app_url):
    from tests.e2e.conftest import SERVER_OUTPUT

    sessions = []
    for files in (["us_long_labs.csv", "us_injections.csv"], ["eu_semicolon_labs.csv", "eu_injections.csv"]):
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page.goto(app_url)
        wait_for_figure(page, "Sample data")
        page.locator("input[type=file]").set_input_files([str(SAMPLE / f) for f in files])
        sessions.append((context, page))
    us, eu = (page for _, page in sessions)
    wait_for_figure(us, "Loading from 04 Mar 2024")
    wait_for_figure(eu, "Loading from 11 Sep 2023")
    assert "MRN004417" not in eu.locator("body").inner_text()
    assert "0004711" not in us.locator("body").inner_text()
    us.reload()  # a reload is a new session: the uploads are gone, nothing of them was kept
    wait_for_figure(us, "Sample data")
    assert "MRN004417" not in us.locator("body").inner_text()
    log = "".join(SERVER_OUTPUT)
    for identifier in ("MRN004417", "MRN007731", "0004711", "943 476 5919"):
        assert identifier not in log
    for context, _ in sessions:
        context.close()
