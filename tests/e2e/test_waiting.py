"""While a clinic's export is read, the page says so in words, next to the uploader.

No spinning icon: an animation redraws the page many times a second for as long as the wait lasts,
and with a clinic's team on one server the waits add up (a spinner cost a waiting page about 80 ms
of browser CPU a second, a still line about 10). The text is recorded as it comes and goes in the
browser, so a short step that adds and removes it between two looks still counts.
"""

from __future__ import annotations

import pytest

from benchmarks.patient_generator import long_patient
from tests.e2e.test_uploaded_patients import SAMPLE_LABEL, settle, wait_for_text

pytestmark = pytest.mark.e2e

READING = "Reading and importing the files…"
PATIENTS = 40  # one export of a clinic's patients: large enough that reading it takes a while

# Every spinner added to the page, and every text added to the sidebar, from the upload on.
RECORD = """() => {
  window.__seen = {spinners: 0, sidebar: []};
  new MutationObserver(records => {
    for (const r of records) for (const node of r.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches('[data-testid=stSpinner]') || node.querySelector('[data-testid=stSpinner]'))
        window.__seen.spinners += 1;
      if (node.closest('[data-testid=stSidebar]')) window.__seen.sidebar.push(node.textContent);
    }
  }).observe(document.body, {childList: true, subtree: true});
}"""


def clinic_export(folder) -> list[str]:
    """Lab results and injections of many patients, one file each, as a clinic exports them."""
    labs, doses = zip(*(long_patient(seed=k, patient_id=f"CLINIC-{k:03d}") for k in range(1, PATIENTS + 1)),
                      strict=True)
    paths = []
    for name, parts in (("clinic-labs.csv", labs), ("clinic-injections.csv", doses)):
        header, *_ = parts[0].split(b"\n", 1)
        body = b"".join(part.split(b"\n", 1)[1] for part in parts)
        (folder / name).write_bytes(header + b"\n" + body)
        paths.append(str(folder / name))
    return paths


def test_a_clinic_export_is_read_with_words_beside_the_uploader_and_no_spinner(page, tmp_path):
    wait_for_text(page, SAMPLE_LABEL)
    settle(page)
    page.evaluate(RECORD)
    page.locator("input[type=file]").set_input_files(clinic_export(tmp_path))
    wait_for_text(page, "CLINIC-001")
    settle(page)
    seen = page.evaluate("window.__seen")
    assert any(READING in text for text in seen["sidebar"]), seen["sidebar"]
    assert seen["spinners"] == 0
    assert READING not in page.locator("[data-testid=stSidebar]").inner_text()  # gone once the files are in
