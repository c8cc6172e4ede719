"""A clinician's visit in a real browser, with files that are not the sample (tests/e2e/uploads/).

Upload through the sidebar, walk every page through the sidebar and the in-page links, choose a
regimen, open every download, and read what a clinician reads: the patient's id, values, dose
marks, and never the sample label for uploaded files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from tests.e2e.conftest import SERVER_OUTPUT, screenshot

pytestmark = pytest.mark.e2e

UPLOADS = Path(__file__).parent / "uploads"
EXPECTED = json.loads((UPLOADS / "expected.json").read_text())["cases"]
SAMPLE_LABEL = "Sample data"
TIMEOUT = 60_000


def files_of(case: str) -> list[str]:
    listed = EXPECTED[case]["files"]
    return [str(UPLOADS / name) for name in (*listed["labs"], *listed["doses"])]


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def wait_for_text(page, text: str) -> None:
    """Until the page shows ``text``. A page between two documents (the sign-in's redirects) has no
    body for a moment: that is waited out, not an error."""
    page.wait_for_function("(t) => !!document.body && document.body.innerText.includes(t)", arg=text,
                           timeout=TIMEOUT)


# The app's run has finished: Streamlit marks its root element (the 'Running' indicator alone was
# not enough: it may not show at all in a short run, and then a read saw the page half redrawn).
RUN_FINISHED = """() => { const app = document.querySelector('[data-testid=stApp]');
    return !!app && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid=stStatusWidget]'); }"""


def settle(page) -> None:
    """Wait until the app has finished its run and the page is drawn."""
    page.wait_for_timeout(300)
    page.wait_for_function(RUN_FINISHED, timeout=TIMEOUT)
    page.wait_for_timeout(300)


def upload(page, case: str, shows: str) -> None:
    """Drop the case's files into the sidebar uploader and wait for the page about them."""
    wait_for_text(page, SAMPLE_LABEL)
    page.locator("input[type=file]").set_input_files(files_of(case))
    page.wait_for_function("(t) => !document.body.innerText.includes(t)", arg=SAMPLE_LABEL, timeout=TIMEOUT)
    wait_for_text(page, shows)
    settle(page)


def go(page, title: str, shows: str) -> None:
    """Change page through the sidebar navigation."""
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=title).click()
    wait_for_text(page, shows)
    settle(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box by its label, as a person does."""
    page.locator("[data-testid=stSelectbox]").filter(has_text=label).locator("input").first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def open_downloads(page) -> None:
    """On the Dashboard, the downloads sit in a box drawn once it is opened: open it, as a clinician does."""
    box = page.locator("[data-testid=stExpander] summary", has_text="Download:")
    if box.count() and not page.get_by_role("button", name="Results (CSV)").count():
        box.click()
        page.get_by_role("button", name="Results (CSV)").wait_for(timeout=TIMEOUT)


def download(page, label: str) -> tuple[str, bytes]:
    """Click a download button (opening the Dashboard's box of downloads first); the file's name and
    bytes as the browser saved them."""
    open_downloads(page)
    with page.expect_download(timeout=TIMEOUT) as event:
        page.get_by_role("button", name=label).click()
    saved = event.value
    return saved.suggested_filename, Path(saved.path()).read_bytes()


def figure_traces(page) -> dict[str, list]:
    """The dashboard figure's traces by name: their x values, as plotly drew them."""
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    return page.evaluate("""() => Object.fromEntries(
        document.querySelector('.js-plotly-plot').data.map(d => [d.name, Array.from(d.x || [])]))""")


def without_scripts(page_html: str) -> str:
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page_html, flags=re.DOTALL | re.IGNORECASE)


def test_uploaded_files_stay_on_every_page_and_through_every_link(page):
    upload(page, "ids_differ", "Patient: MRN 004512")
    assert "written '4512'" in main_text(page)  # the injection record's id, matched with a note
    for title, shows in (("Import review", "b12_injections.csv"), ("Schedule", "Started on"),
                         ("Dashboard", "Follow-up summary")):
        go(page, title, shows)
        assert SAMPLE_LABEL not in main_text(page), title
        sidebar = page.locator("[data-testid=stSidebar]").inner_text()
        assert "cumula" in sidebar and "b12_injections.csv" in sidebar, f"{title}: the uploader lost the files"
    page.get_by_role("link", name="Regimen and written schedule").click()  # the in-page link
    wait_for_text(page, "Started on")
    settle(page)
    assert "Patient: MRN 004512" in main_text(page)
    assert page.locator("[data-testid=stDateInput] input").first.input_value() == "2025-07-14"  # the first dose
    page.reload()  # a new session: nothing of the patient is kept
    wait_for_text(page, SAMPLE_LABEL)
    assert "MRN 004512" not in page.locator("body").inner_text()


def test_removing_the_files_brings_back_the_labelled_sample(page):
    upload(page, "labs_only", "Patient: P-77")
    for _ in range(len(files_of("labs_only"))):
        page.locator("[data-testid=stSidebar] [data-testid=stFileChipDeleteBtn]").first.click()
        settle(page)
    wait_for_text(page, SAMPLE_LABEL)
    assert "P-77" not in main_text(page)


def test_the_regimen_chosen_on_the_schedule_marks_late_missed_and_next_due_on_the_dashboard(page):
    upload(page, "ehr_title_block", "Patient: 00123")
    facts = EXPECTED["ehr_title_block"]["patients"]["00123"]["adherence"]
    assert "No regimen chosen: the doses are compared with" in main_text(page)
    go(page, "Schedule", "Started on")
    assert page.locator("[data-testid=stDateInput] input").first.input_value() == facts["plan_start"]
    choose(page, "Regimen", "US common practice: cyanocobalamin 1000 mcg")
    wait_for_text(page, "Doses given against the plan")
    assert "on_time" not in main_text(page) and "days_late" not in main_text(page)
    go(page, "Dashboard", "Follow-up summary")
    shown = main_text(page)
    assert "Plan: US common practice: cyanocobalamin 1000 mcg." in shown
    late, missed = facts["late"][0], facts["missed"][0]
    assert f"Missed: the dose due {dt.date.fromisoformat(missed):%d %b %Y}" in shown
    assert f"Late: the dose due {dt.date.fromisoformat(late['planned']):%d %b %Y}" in shown
    assert f"({late['days_late']} days late)" in shown
    traces = figure_traces(page)
    assert any(x.startswith(missed) for x in traces["missed doses"])
    assert any(x.startswith(late["given"]) for x in traces["late doses"])
    [next_due] = [x[:10] for x in traces["next due"]]
    if next_due != facts["next_due"]:  # the facts are as of the last dose, the dashboard as of today: the
        # dose the plan gave next has since passed unmet, so it is marked missed and the next one is due
        assert next_due > facts["next_due"] and any(x.startswith(facts["next_due"]) for x in traces["missed doses"])
    assert len(traces["injections"]) == EXPECTED["ehr_title_block"]["patients"]["00123"]["injections"]
    screenshot(page, "dashboard-uploaded-with-plan")
    _, data = download(page, "One-page report (HTML, printable)")  # the report follows the plan too
    report = without_scripts(data.decode("utf-8"))
    assert "Plan: US common practice: cyanocobalamin 1000 mcg." in report
    assert f"<li>Missed: the dose due {dt.date.fromisoformat(missed):%d %b %Y}</li>" in report
    go(page, "Schedule", "Doses given against the plan")  # the choice is kept for this patient
    assert "Source: Langan & Goodbred" in main_text(page)


def test_every_download_is_about_the_uploaded_patient_and_the_day_it_was_made(page):
    upload(page, "ids_differ", "Patient: MRN 004512")
    today = dt.date.today()
    facts = EXPECTED["ids_differ"]["patients"]["MRN 004512"]
    name, data = download(page, "One-page report (HTML, printable)")
    report = without_scripts(data.decode("utf-8"))
    assert name == f"b12-report-{today.isoformat()}.html"
    assert "B12 treatment follow-up: MRN 004512" in report and f"Report of {today:%d %b %Y}" in report
    assert SAMPLE_LABEL not in report
    assert re.search(rf"<td[^>]*>{facts['markers']['hemoglobin']['latest']}</td>", report)  # latest Hb, as on screen
    name, data = download(page, "Figure (interactive HTML)")
    figure = data.decode("utf-8")
    assert name == f"b12-figure-{today.isoformat()}.html" and SAMPLE_LABEL not in without_scripts(figure)
    assert re.search(r"B12 follow-up: MRN 004512 \\u00b7 results 14 Jan 2025 to 13 Jul 2026 \\u00b7 made "
                     + f"{today.day} {today:%b %Y}", figure)
    name, data = download(page, "Results (CSV)")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert name == f"b12-results-{today.isoformat()}.csv"
    assert {r["patient_id"] for r in rows} == {"MRN 004512"} and len(rows) == 20
    _, data = download(page, "Results (Excel)")
    about = {row[0]: row[1] for row in load_workbook(io.BytesIO(data))["About"].iter_rows(values_only=True)}
    assert about["Patient"] == "MRN 004512" and about["Made on"] == f"{today:%d %b %Y}" and "Data" not in about
    _, data = download(page, "Results (Parquet)")
    meta = pq.read_schema(io.BytesIO(data)).metadata
    assert meta[b"b12.patient"] == b"MRN 004512" and b"b12.data" not in meta

    go(page, "Schedule", "Started on")
    choose(page, "Regimen", "UK (BNF) hydroxocobalamin, no neurological involvement")
    wait_for_text(page, "Written schedule")
    name, data = download(page, "Printable schedule (HTML)")
    handout = data.decode("utf-8")
    assert name == f"b12-schedule-{today.isoformat()}.html"
    assert "<strong>For:</strong> MRN 004512" in handout and SAMPLE_LABEL not in handout
    assert "NICE" in handout and "clinical-facts" not in handout
    _, data = download(page, "Calendar (ICS)")
    calendar = data.decode("utf-8")
    assert "B12 schedule: MRN 004512" in calendar and "Made on" in calendar
    _, data = download(page, "Spreadsheet (CSV)")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {(r["patient"], r["made_on"]) for r in rows} == {("MRN 004512", today.isoformat())}
    assert rows[0]["date"] == "2025-07-14"  # the plan starts at this patient's first dose
    log = "".join(SERVER_OUTPUT)  # every download ran with its session's values, and logged nothing of them
    assert "missing ScriptRunContext" not in log
    for identifier in ("MRN 004512", "4512"):
        assert identifier not in log


def test_a_us_patients_handout_cites_us_guidance(page):
    upload(page, "ehr_title_block", "Patient: 00123")
    go(page, "Schedule", "Started on")
    choose(page, "Regimen", "US CDC: cyanocobalamin 1000 mcg weekly")
    wait_for_text(page, "Written schedule")
    _, data = download(page, "Printable schedule (HTML)")
    handout = data.decode("utf-8")
    for uk in ("NICE", "BNF", "NHS"):
        assert uk not in handout, uk
    assert "CDC" in handout


def test_a_file_without_ids_among_two_patients_is_asked_about_on_the_dashboard(page):
    upload(page, "two_patients_no_ids", "has no patient id column")
    shown = main_text(page)
    assert "injektionen.csv has no patient id column, and the files hold 2 patients" in shown
    picker = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(has_text="Patient")
    picker.locator("input").first.click()
    assert [o.inner_text() for o in page.get_by_role("option").all()] == ["A-1001", "A-1002"]
    page.keyboard.press("Escape")
    choose(page, "This file belongs to", "A-1002")
    page.wait_for_function("() => !document.body.innerText.includes('has no patient id column')", timeout=TIMEOUT)
    assert "Patient: A-1001" in main_text(page)
    assert "they hold doses of 'A-1002' only" in main_text(page)  # never a silent "no doses"
    choose(page, "Patient", "A-1002")
    wait_for_text(page, "Patient: A-1002")
    page.wait_for_function("""() => { const gd = document.querySelector('.js-plotly-plot');
        return gd && gd.data && gd.data.some(d => d.name === 'injections'); }""", timeout=TIMEOUT)  # redrawn
    facts = EXPECTED["two_patients_no_ids"]["patients"]["A-1002"]
    assert len(figure_traces(page)["injections"]) == facts["injections"]
    assert "Maintenance every 3 months since" in main_text(page)  # the BNF plan fits: 6 loading doses, 3-monthly


def test_a_patient_without_doses_has_dates_on_the_time_axis(page):
    upload(page, "labs_only", "Patient: P-77")
    x_ticks = ".js-plotly-plot g[class^='x'][class$='tick'] text"  # the time axis's labels (xtick, x6tick…)
    page.wait_for_selector(x_ticks, state="attached", timeout=TIMEOUT)
    ticks = page.locator(x_ticks).all_text_contents()
    assert any(re.search(r"20(25|26)|Jan|Apr|Jul|Oct", t) for t in ticks), ticks
    assert "No doses in the files" in page.locator(".js-plotly-plot").first.inner_text()
    assert "No doses in the files for this patient" in main_text(page)


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)])
def test_the_summary_table_fits_its_column(browser, app_url, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(app_url)
    upload(page, "ehr_title_block", "Patient: 00123")
    table = page.locator("table.b12-markers")
    table.scroll_into_view_if_needed()
    sizes = table.evaluate("""(t) => ({table: t.getBoundingClientRect().right,
        column: t.closest('[data-testid=stVerticalBlock]').getBoundingClientRect().right,
        scroll: t.scrollWidth, client: t.clientWidth})""")
    assert sizes["table"] <= sizes["column"] + 0.5 and sizes["scroll"] <= sizes["client"] + 1, sizes
    assert "> +1365" in table.inner_text().replace("\n", " ").replace("\xa0", " ")
    screenshot(page, f"summary-{width}")
    context.close()



FHIR_OBSERVATION = ('{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": '
                    '"http://loinc.org", "code": "2132-9"}]}, "valueQuantity": {"value": 310, "unit": "pg/mL"}}')


def test_a_fhir_file_dropped_with_a_lab_export_is_named_in_one_line_and_the_rest_still_loads(page, tmp_path):
    fhir = tmp_path / "observations.ndjson"
    fhir.write_text("\n".join([FHIR_OBSERVATION] * 4) + "\n")
    labs = tmp_path / "gp_results.csv"
    labs.write_text("Patient,Date,Test,Result,Units\nGP-77,2025-02-01,Hemoglobin,9.8,g/dL\n"
                    "GP-77,2025-03-01,Hemoglobin,11.9,g/dL\n")
    wait_for_text(page, SAMPLE_LABEL)
    page.locator("input[type=file]").set_input_files([str(fhir), str(labs)])
    wait_for_text(page, "Patient: GP-77")
    settle(page)
    text = main_text(page)
    assert "observations.ndjson is a FHIR file (NDJSON); FHIR imports are not read yet" in text
    assert "not allowed" not in page.inner_text("body")


ICU_LABS = ("MRN,Collected,Test,Result,Units,Specimen type\n"
            "ICU-1,05/01/2025 07:30,Haemoglobin,88,g/L,Haematology\n"
            "ICU-1,24/01/2025 06:45,Haemoglobin,118,g/L,Haematology\n"
            "ICU-1,10/02/2025 09:10,Haemoglobin,13.6,g/dL,Blood gas (arterial)\n"
            "ICU-1,10/02/2025 09:10,Haemoglobin,101,g/L,Haematology\n"
            "ICU-2,06/01/2025 08:00,Haemoglobin,95,g/L,Haematology\n")
ICU_DOSES = "MRN,Date given,Drug,Dose,Route\n" + "".join(
    f"ICU-1,{d}/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n" for d in ("06", "08", "10", "13", "15", "17"))


def test_a_blood_gas_hb_beside_the_analysers_is_drawn_and_the_summary_says_which_it_used(page, tmp_path):
    (tmp_path / "icu_labs.csv").write_text(ICU_LABS)
    (tmp_path / "injections.csv").write_text(ICU_DOSES)
    wait_for_text(page, SAMPLE_LABEL)
    page.locator("input[type=file]").set_input_files([str(tmp_path / "icu_labs.csv"), str(tmp_path / "injections.csv")])
    wait_for_text(page, "Patient: ICU-1")
    wait_for_text(page, "‡ Hb (g/L)")
    settle(page)
    used = ("2 different results at 09:10 on 10 Feb 2025 (Blood gas (arterial), Haematology): the laboratory "
            "analyser's (Haematology) is used; both are on the figure.")
    text = main_text(page)
    assert f"‡ Hb (g/L): Latest: {used}" in text
    assert re.search(r"Review: Hb fell to 101 g/L on 10 Feb 2025.*" + re.escape(used), text)
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    # _fullData: the numbers as plotly.js decoded them (``data`` keeps plotly.py's base64 arrays)
    drawn = page.evaluate("""() => document.querySelector('.js-plotly-plot')._fullData
        .filter(d => (d.name || '').startsWith('hemoglobin ') && d.mode === 'markers').flatMap(d => Array.from(d.y))""")
    assert sorted(drawn) == [88, 101, 118, 136]
    _, data = download(page, "Results (CSV)")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    at = [(r["value"], r["specimen"], r["used"]) for r in rows if r["collected_at"].startswith("2025-02-10")]
    assert at == [("136", "Blood gas (arterial)", "False"), ("101", "Haematology", "True")]


# Plotly widens a margin that its labels overflow by drawing the whole figure again: a second draw
# of every point, on every upload. The figure's margins must hold what it puts in them.
DRAWN_MARGINS = """() => { const layout = document.querySelector('.js-plotly-plot')._fullLayout;
    return {given: ['l', 'r', 't', 'b'].map(side => layout.margin[side]),
            drawn: ['l', 'r', 't', 'b'].map(side => layout._size[side])}; }"""


@pytest.mark.parametrize(("case", "query", "shows"), [
    ("ehr_title_block", "", "Patient: 00123"),
    ("uk_clinic_mixed", "?axis=days", "Patient: NHS 485 777 3456"),
    ("ids_differ", "?units=US", "Patient: MRN 004512"),
    ("labs_only", "", "Patient: P-77"),
], ids=["dates", "days since first dose", "US units", "no doses"])
def test_the_figure_is_drawn_once_its_margins_hold_its_labels(page, app_url, case, query, shows):
    page.goto(app_url + query)
    upload(page, case, shows)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=TIMEOUT)
    margins = page.evaluate(DRAWN_MARGINS)
    assert margins["drawn"] == margins["given"], margins
