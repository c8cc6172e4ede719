"""An uploaded patient (files written here, not the sample) through every page, in AppTest.

What a clinician reads: the patient's id at the top of each page about the patient, the files
kept on every page, the schedule starting at this patient's first dose, the regimen chosen there
used by the dashboard, records without patient ids asked about where the clinician looks, and
words meant for people (no rule ids, no file names or section marks of ours).
"""

from __future__ import annotations

import re

from tests.app.conftest import texts, upload

LABS = (b"MRN,Collected,Test,Result,Units\n"
        b"MRN 00123,2026-02-02,Hemoglobin,9.1,g/dL\nMRN 00123,2026-02-02,Vitamin B12,120,pg/mL\n"
        b"MRN 00123,2026-03-02,Hemoglobin,11.2,g/dL\nMRN 00123,2026-05-04,Hemoglobin,13.1,g/dL\n"
        b"MRN 00123,2026-05-04,Vitamin B12,>1476,pg/mL\n")
DOSES = (b"Patient,Date given,Medicine,Dose,Route\n"
         + b"".join(f"123,{d},Hydroxocobalamin 1 mg/mL,1 mg,IM\n".encode()
                    for d in ("2026-02-03", "2026-02-05", "2026-02-07", "2026-02-10", "2026-02-12", "2026-02-14",
                              "2026-05-20")))
TWO_PATIENTS = (b"Pat-Nr;Datum;Test;Wert;Einheit\n"
                b"A-1001;02.02.2026;Hb;131;g/L\nA-1001;16.03.2026;Hb;133;g/L\n"
                b"A-1002;03.02.2026;Hb;98;g/L\nA-1002;17.03.2026;Hb;112;g/L\n")
NO_IDS = (b"Date,Drug,Dose,Route\n"
          + b"".join(f"{d},Hydroxocobalamin 1mg/1ml,1 mg,IM\n".encode()
                     for d in ("2026-02-04", "2026-02-06", "2026-02-09", "2026-02-11", "2026-02-13", "2026-02-16")))


def page_text(at) -> str:
    """Everything a person reads on the page, Markdown escapes removed."""
    parts = [*texts(at.markdown), *texts(at.caption), *texts(at.info), *texts(at.warning), *texts(at.error),
             *(t.value for t in at.title), *(s.value for s in at.subheader)]
    return re.sub(r":material/[a-z_]+:|:[a-z]+-badge\[([^]]*)\]", r"\1", "\n".join(parts)).replace("**", "")


def open_page(at, name: str):
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_uploads_stay_on_every_page_and_the_patient_is_named_at_the_top(app):
    upload(app, contents={"labs.csv": LABS, "injections.csv": DOSES})
    assert "Patient: MRN 00123" in page_text(app)
    assert "Sample data" not in page_text(app)
    for name in ("import_review", "schedule", "dashboard"):
        open_page(app, name)
        shown = page_text(app)
        assert "Sample data" not in shown, name
        assert "labs.csv" in shown or name != "import_review" or any("labs" in e.label for e in app.expander)
    assert "Patient: MRN 00123" in page_text(app)
    spec = app.get("plotly_chart")[0].proto.spec
    assert spec.count("2026-02-03") >= 1  # the uploaded doses, not the sample's


def test_ids_written_two_ways_are_one_patient_with_a_note(app):
    upload(app, contents={"labs.csv": LABS, "injections.csv": DOSES})
    shown = page_text(app)
    assert "MRN 00123" in shown and "'123'" in shown
    assert "No doses recorded" not in shown
    open_page(app, "import_review")
    assert "injections.csv writes '123': taken as 'MRN 00123' of labs.csv." in page_text(app)


def test_schedule_starts_at_this_patients_first_dose_and_the_dashboard_uses_its_regimen(app):
    upload(app, contents={"labs.csv": LABS, "injections.csv": DOSES})
    open_page(app, "schedule")
    assert "Patient: MRN 00123" in page_text(app)
    assert str(app.date_input(key="plan_start").value) == "2026-02-03"
    app.selectbox(key="regimen").select("UK-BNF-noneuro").run()
    assert not app.exception
    columns = [list(d.value.columns) for d in app.dataframe]
    assert ["Phase", "Due", "Given", "On time", "Late", "Missed"] in columns
    assert not any(c in col for col in columns for c in ("on_time", "given_at", "days_late", "planned"))
    open_page(app, "dashboard")
    shown = page_text(app)
    assert "Plan: UK (BNF) hydroxocobalamin" in shown
    assert re.search(r"Loading: 6 doses given \(0 late\), 0 missed", shown)
    open_page(app, "schedule")
    assert app.selectbox(key="regimen").value == "UK-BNF-noneuro"  # kept for this patient


def test_records_without_ids_in_a_two_patient_upload_are_asked_about_on_the_dashboard(app):
    upload(app, contents={"labs.csv": TWO_PATIENTS, "clinic sheet.csv": NO_IDS})
    shown = page_text(app)
    assert "clinic sheet.csv" in shown and "has no patient id" in shown
    picker = app.sidebar.selectbox(key="patient")
    assert list(picker.options) == ["A-1001", "A-1002"]
    question = next(s for s in app.selectbox if s.label == "This file belongs to")
    question.select("A-1002").run()
    assert not app.exception
    assert "has no patient id" not in page_text(app)
    app.sidebar.selectbox(key="patient").select("A-1002").run()
    spec = app.get("plotly_chart")[0].proto.spec
    assert '"name":"injections"' in spec.replace(" ", "")
    assert "No doses recorded" not in page_text(app)
    assert "clinic sheet.csv names no patient: its records are shown as this patient's." in page_text(app)


def test_a_patient_without_doses_is_told_whose_doses_the_record_holds(app):
    other = DOSES.replace(b"123,", b"999,")
    upload(app, contents={"labs.csv": LABS, "injections.csv": other})
    shown = page_text(app)
    assert "'999'" in shown and "No dose in the injection records is this patient's" in shown


NO_RISE = (b"Patient ID,Date,Test,Result,Units\n"
           b"P-9,2026-01-05,Hemoglobin,95,g/L\nP-9,2026-01-26,Hemoglobin,96,g/L\n"
           b"P-9,2026-01-26,Ferritin,8,ug/L\nP-9,2026-03-09,Hemoglobin,97,g/L\n")
NO_RISE_DOSES = (b"Patient ID,Date,Drug,Dose,Route\n"
                 + b"".join(f"P-9,{d},Hydroxocobalamin 1 mg/mL,1 mg,IM\n".encode()
                            for d in ("2026-01-06", "2026-01-08", "2026-01-10", "2026-01-13", "2026-01-15",
                                      "2026-01-17")))


def test_review_prompts_read_as_words_for_clinicians(app):
    upload(app, contents={"labs.csv": NO_RISE, "doses.csv": NO_RISE_DOSES})
    shown = page_text(app)
    assert "Hb has not risen" in shown and "Ferritin is low" in shown
    for developer_text in ("clinical-facts", "§", "[S]", "[V]", "issue ", "Project rule", "Rule "):
        assert developer_text not in shown, developer_text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", shown), "an internal id (snake_case) on screen"
    assert not re.search(r"\b1 (days|results|doses|rows)\b", shown)


def test_a_patient_that_is_only_an_admission_is_said_to_be_one(app):
    by_admission = (b"HADM_ID,Collected,Test,Result,Units\n"
                    b"100001,2026-02-02,Hemoglobin,9.1,g/dL\n100002,2026-05-04,Hemoglobin,13.1,g/dL\n")
    upload(app, contents={"labevents.csv": by_admission})
    shown = page_text(app)
    assert ("100001 is an admission id of labevents.csv (HADM_ID), not a patient id: this page may show one "
            "admission of a person whose other admissions are listed as other patients") in shown
