"""Hostile workbooks dropped into a running app: each is refused in one sentence (one of them only
once its reader process has died), the server lives, and another clinician's session, open at the
same time, still gets its patient's figure.

The files are made at test time (``tests/workbook_bombs.py``). Before the workbook checks and the
worker process, the first of them aborted the whole server.
"""

from __future__ import annotations

import urllib.request

import pytest

from tests import workbook_bombs as bombs
from tests.e2e.conftest import SERVER_OUTPUT, running_app
from tests.e2e.test_uploaded_patients import TIMEOUT, go, main_text, settle, upload, wait_for_text

pytestmark = pytest.mark.e2e

REFUSALS = {  # file -> what its refusal says
    "sparse_extent.xlsx": "sparse_extent.xlsx has at least 16,384 columns",
    "declared_extent.xlsx": "declared_extent.xlsx declares a sheet of 1,048,576 rows by 16,384 columns",
    "sparse_rows.xlsx": "more than the 5,000,000 cells the app reads from one sheet",
    "shared_strings.xlsx": "shared_strings.xlsx is compressed more than 100 to 1",
    "ratio.xlsx": "ratio.xlsx is compressed more than 100 to 1",
    "dense_rows.xlsx": "dense_rows.xlsx has more than 500,000 rows, the most the app reads from one file",
    "amplified.xlsx": "amplified.xlsx could not be read: the spreadsheet reader stopped before it finished",
}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> list[str]:
    folder = tmp_path_factory.mktemp("hostile")
    made = {"sparse_extent.xlsx": bombs.sparse_extent(), "declared_extent.xlsx": bombs.declared_extent(),
            "sparse_rows.xlsx": bombs.sparse_rows(), "shared_strings.xlsx": bombs.shared_string_bomb(),
            "ratio.xlsx": bombs.ratio_bomb(), "dense_rows.xlsx": bombs.dense_rows(),
            "amplified.xlsx": bombs.amplified_shared_string()}
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return [str(folder / name) for name in made]


def figure_shown(page) -> bool:
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    return page.evaluate("() => document.querySelector('.js-plotly-plot').data.length > 0")


def test_hostile_workbooks_are_refused_while_the_server_and_another_session_go_on(browser, hostile_files):
    with running_app() as (url, server):
        clinician = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
        clinician.goto(url)
        upload(clinician, "uk_clinic_mixed", "Patient:")
        assert figure_shown(clinician)
        patient_line = next(line for line in main_text(clinician).splitlines() if line.startswith("Patient:"))

        attacker = browser.new_context(viewport={"width": 1500, "height": 1100}).new_page()
        attacker.goto(url)
        wait_for_text(attacker, "Sample data")
        attacker.locator("input[type=file]").set_input_files(hostile_files)
        for words in REFUSALS.values():
            wait_for_text(attacker, words)
        settle(attacker)
        shown = main_text(attacker)
        assert "Traceback" not in shown and "panic" not in shown.lower()

        assert server.poll() is None  # the server lives
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as answer:
            assert answer.status == 200
        go(clinician, "Schedule", "Patient:")  # the other clinician goes on: reruns, pages, figure
        go(clinician, "Dashboard", patient_line)
        assert figure_shown(clinician)
        assert "Sample data" not in main_text(clinician)
    assert "Traceback" not in "".join(SERVER_OUTPUT)
