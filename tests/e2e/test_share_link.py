"""Sharing in a real browser: a clinician makes a link of the dashboard on screen (files that are
not the sample), a colleague opens it in another browser, types the passcode and sees the same
figure and summary read-only; the clinician sees the opening in the log and revokes the link."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from b12core.shl import parse_shlink, payload_key
from tests.e2e.conftest import SERVER_OUTPUT, screenshot
from tests.e2e.test_uploaded_patients import TIMEOUT, settle, wait_for_text
from tests.share_data import jwcrypto_decrypt
from tests.test_share_dashboard import DOSES_CSV, LABS_CSV

pytestmark = pytest.mark.e2e

HAS_DIARY_SCORE = """() => { const plot = document.querySelector('.js-plotly-plot');
    return !!plot && !!plot.data && plot.data.some(d => d.name === 'pins and needles'); }"""
MARKDOWN_NAME = "**Dr** [sign in again](https://evil.example) ![x](https://evil.example/x.png)"
FIGURE = """() => document.querySelector('.js-plotly-plot').data.map(
    d => [d.name, Array.from(d.x || []).map(String), Array.from(d.y || []).map(Number)])"""


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _context(browser):
    return browser.new_context(viewport={"width": 1500, "height": 1100})


def _upload(page, tmp_path) -> None:
    (tmp_path / "cumulative export.csv").write_text(LABS_CSV)
    (tmp_path / "injections.csv").write_text(DOSES_CSV)
    wait_for_text(page, "Sample data")
    page.locator("input[type=file]").set_input_files([str(tmp_path / "cumulative export.csv"),
                                                      str(tmp_path / "injections.csv")])
    wait_for_text(page, "Patient: A-17")
    settle(page)


def _summary(page) -> str:
    return page.locator("[data-testid=stMain]").get_by_text("Follow-up summary").locator("xpath=../../..").inner_text()


def _markers(page) -> str:
    return page.locator("[data-testid=stMain] table").first.inner_text()


def _table(page, n: int) -> list[list[str]]:
    """The body rows of the page's n-th table, cell by cell, as a person reads them."""
    return page.locator("table.b12-plain").nth(n).evaluate(
        "t => Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.cells).map(c => c.innerText.trim()))")


def _make_link(page, label: str, passcode: str) -> tuple[str, str]:
    page.get_by_role("link", name="Share a read-only link with a colleague").click()
    wait_for_text(page, "Create link")
    settle(page)
    page.get_by_role("textbox", name="Label").fill(label)
    page.get_by_role("textbox", name="Passcode (optional)").fill(passcode)
    page.get_by_role("button", name="Create link").click()
    wait_for_text(page, "Link created")
    settle(page)
    codes = page.locator("[data-testid=stCode] code")
    return codes.nth(0).inner_text().strip(), codes.nth(1).inner_text().strip()


def test_a_colleague_opens_the_link_read_only_and_sees_the_same_dashboard(browser, app_url, tmp_path):
    mine = _context(browser)
    page = mine.new_page()
    page.goto(app_url)
    _upload(page, tmp_path)
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    figure, markers = page.evaluate(FIGURE), _markers(page)
    link, revoke = _make_link(page, "Hb after loading, for Dr Ade", "plum-42")
    assert "/view#shlink:/" in link and "/share#revoke:" in revoke
    page.wait_for_selector("[data-testid=stImage] img", timeout=TIMEOUT)
    assert page.locator("[data-testid=stImage] img").count() == 1  # the QR code
    screenshot(page, "share-page")

    theirs = _context(browser)
    other = theirs.new_page()
    other.goto(link)
    wait_for_text(other, "This link needs the passcode")
    other.get_by_role("textbox", name="Passcode").fill("plum-41")
    other.get_by_role("button", name="Open").click()
    wait_for_text(other, "4 attempts left")
    other.get_by_role("textbox", name="Passcode").fill("plum-42")
    other.get_by_role("textbox", name="Your name or service").fill("Dr Ade, haematology")
    other.get_by_role("button", name="Open").click()
    wait_for_text(other, "a read-only copy shared with you")
    other.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    settle(other)
    text = other.locator("[data-testid=stMain]").inner_text()
    assert "Hb after loading, for Dr Ade" in text and "Patient: A-17" in text
    assert other.evaluate(FIGURE) == figure
    assert _markers(other) == markers
    assert other.locator("input[type=file]").count() == 0  # nothing to upload
    assert other.locator("[data-testid=stSidebarNav]").count() == 0  # no pages to go to
    screenshot(other, "shared-dashboard")

    page.get_by_role("button", name="Refresh").click()  # the clinician's Share page, later
    wait_for_text(page, "Dr Ade, haematology")
    settle(page)
    links, log = _table(page, 0), _table(page, 1)
    assert links[0][0] == "Hb after loading, for Dr Ade" and links[0][3:] == ["1", "yes", "active"]
    assert [row[2:] for row in log] == [["opened", "Dr Ade, haematology"],
                                        ["wrong passcode", "Colleague using the B12 follow-up viewer"]]
    # Any SMART Health Links viewer can open it: the app server's manifest route, over HTTP, gives
    # the file, which an independent JOSE implementation decrypts with the link's key.
    payload = parse_shlink(link)
    status, manifest = _post(payload["url"], {"recipient": MARKDOWN_NAME, "passcode": "plum-42"})
    assert status == 200
    bundle = json.loads(jwcrypto_decrypt(manifest["files"][0]["embedded"], payload_key(payload)))
    assert bundle["entry"][0]["resource"]["identifier"][0]["value"] == "A-17"
    page.get_by_role("button", name="Refresh").click()  # anyone's words in the log are shown as written
    wait_for_text(page, "sign in again")
    settle(page)
    assert _table(page, 1)[0][3] == MARKDOWN_NAME
    assert page.locator("table.b12-plain a, table.b12-plain img").count() == 0
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_function("""() => { const t = document.querySelector('table.b12-plain tbody tr');
        return !!t && t.cells[t.cells.length - 1].innerText.trim() === 'revoked'; }""", timeout=TIMEOUT)
    settle(page)
    unknown = payload["url"].rsplit("/", 1)[0] + "/" + "A" * 43
    assert _post(payload["url"], {"recipient": "x", "passcode": "plum-42"}) == _post(unknown, {"recipient": "x"}) \
        == (404, {"error": "This link is not valid. It may have expired or been revoked."})
    assert _table(page, 0)[0][-1] == "revoked"

    third = _context(browser).new_page()
    third.goto(link)
    wait_for_text(third, "This link needs the passcode")
    third.get_by_role("textbox", name="Passcode").fill("plum-42")
    third.get_by_role("button", name="Open").click()
    wait_for_text(third, "This link cannot be opened")
    assert "A-17" not in third.locator("[data-testid=stMain]").inner_text()
    # The server's database holds the ciphertext and the log, no readable patient data (words with a
    # space cannot occur in the base64url ciphertext, so a match would be a leak, never chance).
    stored = b"".join(p.read_bytes() for p in Path(os.environ["B12_SHARE_SQLITE_PATH"]).parent.iterdir())
    assert b"Dr Ade, haematology" in stored  # the access log's recipient
    assert b"cumulative export" not in stored and b"EDTA blood" not in stored and b"plum-42" not in stored
    secrets = (link.split("#", 1)[1][:40], payload["key"], payload["url"].rsplit("/", 1)[1], "A-17", "plum-42")
    assert not [line for line in SERVER_OUTPUT if any(s in line for s in secrets)]  # the server's log
    mine.close()
    theirs.close()


def test_a_de_identified_link_hides_the_patient_and_the_private_revoke_link_works_after_the_tab_is_gone(
        browser, app_url, tmp_path):
    mine = _context(browser)
    page = mine.new_page()
    page.goto(app_url)
    _upload(page, tmp_path)
    page.get_by_role("link", name="Share a read-only link with a colleague").click()
    wait_for_text(page, "Create link")
    settle(page)
    page.get_by_text("De-identified: no patient id").click()
    page.get_by_role("button", name="Create link").click()
    wait_for_text(page, "Link created")
    codes = page.locator("[data-testid=stCode] code")
    link, revoke = codes.nth(0).inner_text().strip(), codes.nth(1).inner_text().strip()
    mine.close()  # the creator's tab is gone

    theirs = _context(browser)
    other = theirs.new_page()
    other.goto(link)
    wait_for_text(other, "a read-only copy shared with you")
    settle(other)
    text = other.locator("[data-testid=stMain]").inner_text()
    assert "Patient: de-identified" in text and "A-17" not in text and "cumulative export" not in text
    other.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    notes = other.evaluate("() => document.querySelector('.js-plotly-plot').layout.annotations.map(a => a.text)")
    loading = [n for n in notes if n.startswith("Loading from")]
    assert loading and loading[0] != "Loading from 06 Jan 2025"  # the same phase, its date moved

    owner = _context(browser).new_page()  # the creator, later, in another browser window
    owner.goto(revoke)
    wait_for_text(owner, "Revoke a shared link")
    settle(owner)
    assert "opened 1 time" in owner.locator("[data-testid=stMain]").inner_text()
    owner.get_by_role("button", name="Revoke this link").click()
    wait_for_text(owner, "This link is revoked")

    again = theirs.new_page()
    again.goto(link)
    wait_for_text(again, "This link cannot be opened")
    theirs.close()


def test_symptom_scores_typed_in_the_diary_stay_through_other_pages_and_reach_the_shared_copy(browser, app_url,
                                                                                           tmp_path):
    mine = browser.new_context(viewport={"width": 1500, "height": 1100},
                               permissions=["clipboard-read", "clipboard-write"])
    page = mine.new_page()
    page.goto(app_url)
    _upload(page, tmp_path)
    page.get_by_text("Symptom diary (typed here").click()
    settle(page)
    page.locator("[aria-label='Add row']").first.evaluate("e => e.click()")
    page.wait_for_timeout(800)
    page.keyboard.press("Escape")
    settle(page)
    grid = page.locator("[data-testid=stDataFrame]").last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 150, box["y"] + 52)  # the new row's date cell
    page.evaluate("(t) => navigator.clipboard.writeText(t)", "2025-03-01\tpins and needles\t6")
    page.keyboard.press("Control+V")
    page.wait_for_function(HAS_DIARY_SCORE, timeout=TIMEOUT)
    settle(page)
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="Schedule").click()
    wait_for_text(page, "Regimen")
    settle(page)
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="Dashboard").click()
    page.wait_for_function(HAS_DIARY_SCORE, timeout=TIMEOUT)  # still there after another page
    settle(page)
    figure = page.evaluate(FIGURE)
    link, _ = _make_link(page, "Diary check", "")
    other = _context(browser).new_page()
    other.goto(link)
    wait_for_text(other, "a read-only copy shared with you")
    other.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    settle(other)
    assert other.evaluate(FIGURE) == figure
    assert any(name == "pins and needles" for name, _, _ in figure)
    mine.close()
