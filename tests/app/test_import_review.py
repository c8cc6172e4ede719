"""The import review page in AppTest: what was read, mapping unknown names, changing kinds and roles."""

from __future__ import annotations

import re

import b12core.downloads
from b12core.export import csv_bytes
from tests.app.conftest import markers_table, texts, upload
from tests.conftest import REPO
from tests.test_cli import HOSTILE_LAB

UNKNOWN = (b"Patient ID,Collection Date,Test Name,Result,Units\n"
           b"p1,2024-03-14,Haemoglobin level X,91,g/L\np1,2024-03-14,MCV,101,fL\n"
           b"p1,2024-03-28,Haemoglobin level X,99,g/L\n")


def open_review(app):
    app.switch_page("pages/import_review.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_sample_files_are_reviewed_with_counts_and_columns(app):
    open_review(app)
    labels = [e.label for e in app.expander]
    assert any("uk\\_wide\\_labs\\.csv" in label and "Lab results" in label for label in labels)
    assert any("uk\\_injections\\.xlsx" in label and "Injection record" in label for label in labels)
    counts = [d.value for d in app.dataframe if list(d.value.columns)[:2] == ["Read", "Accepted"]]
    assert counts and all((c["Read"] == c[["Accepted", "Ignored", "Duplicates", "Rejected"]].sum(axis=1)).all()
                          for c in counts)


def test_mapping_an_unknown_name_updates_the_dashboard(app):
    open_review(app)
    upload(app, contents={"lab.csv": UNKNOWN})
    unknown = [d.value for d in app.dataframe if list(d.value.columns) == ["Test name", "Rows"]]
    assert unknown[0].values.tolist() == [["Haemoglobin level X", 2]]
    app.selectbox(key=next(s.key for s in app.selectbox if s.key.startswith("target_"))).select("hemoglobin")
    app.button[[b.label for b in app.button].index("Map")].click().run()
    assert any("Haemoglobin level X → Hemoglobin" in t for t in texts(app.text))
    app.switch_page("pages/dashboard.py").run()  # the upload stays with the session
    markers = markers_table(app)
    assert markers.loc["Hb (g/L)", "Latest"] == "99 (low)"


def test_a_file_can_be_read_as_another_kind_or_left_out(app):
    open_review(app)
    upload(app, "us_long_labs.csv", "us_injections.csv")
    kind = next(s for s in app.selectbox if s.label == "Read this file as")
    kind.select("skip").run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert any("Leave out" in label for label in labels)


def test_changing_a_column_role(app):
    data = b"Patient ID,Date,Reported on,Test Name,Result,Units\np1,2024-03-14,2024-03-20,Hb,9.1,g/dL\n"
    open_review(app)
    upload(app, contents={"lab.csv": data})
    role = next(s for s in app.selectbox if s.label == "Role")
    column = next(s for s in app.selectbox if s.label == "Column")
    role.select("collected_at")
    column.select("Reported on")
    app.button[[b.label for b in app.button].index("Use this column")].click().run()
    mapping = next(d.value for d in app.dataframe if list(d.value.columns) == ["Role", "Column", "Why"])
    row = mapping.set_index("Role").loc["collection time"]
    assert (row["Column"], row["Why"]) == ("Reported on", "chosen by you")


def test_rejected_rows_are_listed_with_reasons(app):
    open_review(app)
    upload(app, "us_long_labs.csv")
    rejected = [d.value for d in app.dataframe if "The row as read" in d.value.columns]
    assert rejected and any("'QNS' is not a number" in reason for reason in rejected[0]["Why"])


def test_the_csv_downloads_are_written_by_the_one_csv_writer(app, monkeypatch):
    """The page offers the tables as CSV but writes none itself: each comes from
    ``b12core.downloads.table_csv`` (the one writer, with a byte order mark for Excel)."""
    written = []

    def recorded(table, table_csv=b12core.downloads.table_csv):
        written.append((table, table_csv(table)))
        return written[-1][1]

    open_review(app)
    monkeypatch.setattr(b12core.downloads, "table_csv", recorded)
    upload(app, contents={"lab.csv": HOSTILE_LAB.encode("utf-8")})
    assert [b.label for b in app.get("download_button")] == ["Lab results (CSV)", "Rejected rows (CSV)"]
    assert len(written) == 2
    for table, data in written:
        assert data == "\ufeff".encode() + csv_bytes(table, bom=False)
    assert "\n'=1+1;Zoë," in written[0][1].decode("utf-8-sig")  # the lab results: the patient id neutralised
    for page in [*(REPO / "pages").glob("*.py"), *(REPO / "ui").glob("*.py")]:
        assert ".to_csv(" not in page.read_text(encoding="utf-8"), page.name


LAB_BY_ADMISSION = (b"HADM_ID,Collection Date,Test Name,Result,Units\n"
                    b"100001,2024-01-02,Hemoglobin,91,g/L\n100002,2024-06-02,Hemoglobin,104,g/L\n")
ADMISSIONS = (b"ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME,DISCHTIME,ADMISSION_TYPE\n"
              b"1,10120,100001,2150-01-01 10:00:00,2150-01-05 12:00:00,EMERGENCY\n"
              b"2,10120,100002,2150-06-01 10:00:00,2150-06-04 12:00:00,ELECTIVE\n")


def test_results_told_apart_by_admission_are_a_warning(app):
    open_review(app)
    upload(app, contents={"labevents.csv": LAB_BY_ADMISSION})
    warnings = texts(app.warning)
    assert any(w.startswith("Patients are told apart by admission id (HADM_ID): one person's results may be split")
               for w in warnings), warnings
    assert not any(s.label.startswith("This file has no patient id") for s in app.selectbox)


def test_an_admissions_file_is_shown_as_what_it_is(app):
    open_review(app)
    upload(app, contents={"labevents.csv": LAB_BY_ADMISSION, "ADMISSIONS.csv": ADMISSIONS})
    labels = [re.sub(r"\\(.)", r"\1", e.label) for e in app.expander]
    assert any(label.startswith("ADMISSIONS.csv: Admissions (links admissions to patients)") for label in labels)
    captions = texts(app.caption)
    assert any("links HADM_ID to the patient id SUBJECT_ID: 2 admissions of 1 patient" in c for c in captions)
    assert any("patients found through ADMISSIONS.csv by the admission id (HADM_ID)" in c for c in captions)
    assert not any("split across" in w for w in texts(app.warning))
