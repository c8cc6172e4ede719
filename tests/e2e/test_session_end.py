"""Nothing of a patient outlives the browser session: after the tab is closed the session's
uploads are freed and its download addresses answer 404, checked over plain HTTP without a
cookie, while another clinician's open session keeps its files. After a reload, before the tab
is closed, the download address answers 404 and the uploads the page no longer shows are freed.

The server runs with a short ``server.disconnectedSessionTTL`` so the test takes seconds; the
shipped setting (120 s) and the closing delay it gives are checked in tests/app/test_sessions.py.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.conftest import running_app
from tests.e2e.test_uploaded_patients import TIMEOUT, files_of, go, open_downloads, upload, wait_for_text

pytestmark = pytest.mark.e2e

TTL = 12  # seconds; ui.session_end.timing closes a gone session 8 to 12 s after it went
METRICS_TTL = 5  # seconds Streamlit keeps its answer for the cache sizes


@pytest.fixture(scope="module")
def app_url() -> str:
    with running_app(f"--server.disconnectedSessionTTL={TTL}") as (url, _):
        yield url


def get(url: str) -> tuple[int, bytes]:
    """A plain GET, as anyone holding the address could send it: no cookie, no session."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, b""


def held_bytes(app_url: str, cache_type: str) -> int:
    """Bytes the server holds for ``cache_type``, from its metrics endpoint (no cookie)."""
    _, text = get(f"{app_url}/_stcore/metrics")
    pattern = rf'^cache_memory_bytes\{{[^}}]*cache_type="{cache_type}"[^}}]*\}} (\d+)'
    return sum(int(n) for n in re.findall(pattern, text.decode(), flags=re.MULTILINE))


def kept_entries(app_url: str) -> tuple[int, int]:
    """What the sessions keep of their files (``ui/data.py``'s caches): the bytes of the tables, and
    the figures (Streamlit's metrics count a ``st.cache_resource`` cache's entries, not bytes)."""
    return held_bytes(app_url, "st_cache_data"), held_bytes(app_url, "st_cache_resource")


def download_address(page, label: str) -> str:
    open_downloads(page)
    with page.expect_download(timeout=TIMEOUT) as event:
        page.get_by_role("button", name=label).click()
    return event.value.url


def open_patient(browser, app_url: str, case: str, shows: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("[data-testid=stApp]", timeout=TIMEOUT)
    upload(page, case, shows)
    return context, page


def wait_until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


@pytest.mark.parametrize("how", ["tab closed", "page reloaded"])
def test_a_session_that_ends_leaves_nothing_behind_and_others_keep_theirs(browser, app_url, how):
    # the sessions of an earlier case first close, so that what is kept is these two sessions'
    assert wait_until(lambda: kept_entries(app_url) == (0, 0), TTL + 10)
    stay_context, stay = open_patient(browser, app_url, "uk_clinic_mixed", "Patient:")
    stay_files = sum(os.path.getsize(f) for f in files_of("uk_clinic_mixed"))
    assert wait_until(lambda: min(kept_entries(app_url)) > 0, METRICS_TTL + 5)
    stay_kept = kept_entries(app_url)  # the files read, imported and drawn, kept for the session
    gone_context, gone = open_patient(browser, app_url, "ids_differ", "Patient: MRN 004512")
    address = download_address(gone, "Results (CSV)")
    status, body = get(address)
    assert status == 200 and b"MRN 004512" in body  # the address alone gives the rows while the tab is open
    # Streamlit's metrics answer the same for 5 seconds: each is read again until it shows the new tab's
    assert wait_until(lambda: held_bytes(app_url, "UploadedFileManager") > stay_files, METRICS_TTL + 5)
    assert wait_until(lambda: all(now > stay for now, stay in zip(kept_entries(app_url), stay_kept, strict=True)),
                      METRICS_TTL + 5)

    started = time.monotonic()
    if how == "page reloaded":
        # A reload shows no files and starts a new session (Streamlit's page keeps the id it would
        # reconnect with only in memory): the old session's download and uploads go with it, as a
        # closed tab's, before this tab is closed.
        gone.reload()
        wait_for_text(gone, "Sample data")
        assert wait_until(lambda: get(address)[0] == 404, TTL + 10), "download still served after the reload"
        assert wait_until(lambda: held_bytes(app_url, "UploadedFileManager") == stay_files, TTL + 10), \
            "the uploads the reloaded tab no longer shows are still held"
        started = time.monotonic()
    gone_context.close()  # the tab goes: whichever session it had is closed
    assert wait_until(lambda: get(address)[0] == 404, TTL + 10), "download still served after the session ended"
    assert wait_until(lambda: held_bytes(app_url, "UploadedFileManager") == stay_files, TTL + 10), \
        "the uploads of the tab that went are still held"
    assert wait_until(lambda: kept_entries(app_url) == stay_kept, TTL + 10), \
        "what was read and drawn of the tab that went is still kept"
    assert time.monotonic() - started <= TTL + 10

    stay_address = download_address(stay, "Results (CSV)")  # the other clinician's session goes on
    assert get(stay_address)[0] == 200
    go(stay, "Schedule", "Patient:")
    stay_context.close()


def test_a_large_upload_leaves_no_file_in_the_temporary_folder(browser, tmp_path):
    """What SECURITY.md says touches disk: Starlette, which parses uploads, spills a file part over
    1 MB into an unnamed temporary file (Linux: O_TMPFILE, no name in the folder), which Streamlit
    reads into memory and closes within the upload request. The folder never shows a file."""
    from starlette.formparsers import MultiPartParser

    assert MultiPartParser.spool_max_size == 1024 * 1024
    with tempfile.TemporaryFile(dir=tmp_path) as spilled:  # this platform's unnamed temporary files
        spilled.write(b"x" * 10)
        assert os.listdir(tmp_path) == []

    folder = tmp_path / "server-tmp"
    folder.mkdir()
    lab = tmp_path / "clinic_export.csv"
    lines = ["Patient ID,Test,Result,Units,Collected"]
    lines += [f"PT{p:04d},Hemoglobin,{110 + d % 40},g/L,2025-{1 + d % 12:02d}-{1 + d % 28:02d} 08:{d % 60:02d}"
              for p in range(800) for d in range(100)]
    lab.write_text("\n".join(lines) + "\n")
    assert lab.stat().st_size > 3 * 1024 * 1024
    with running_app(env={"TMPDIR": str(folder)}) as (url, _):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        wait_for_text(page, "Sample data")
        seen: set[str] = set()
        page.locator("input[type=file]").set_input_files([str(lab)])
        deadline = time.monotonic() + 60
        while "Sample data" in page.locator("body").inner_text() and time.monotonic() < deadline:
            seen.update(os.listdir(folder))
            time.sleep(0.05)
        wait_for_text(page, "PT0000")
        seen.update(os.listdir(folder))
        context.close()
    assert seen == set()
