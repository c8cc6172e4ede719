"""What the Import review page lays out for each file, computed from the workspace.

The files are written here: two lab exports of one patient (the second repeats a result of the
first) and an injection record without patient ids. Every expected value is counted by hand from
these lines.
"""

from __future__ import annotations

import pytest

from b12core.file_review import FileCounts, file_review, file_reviews
from b12core.workspace import Choices, Workspace, build_workspace

FIRST_LABS = (b"Patient ID,Collection Date,Test Name,Result,Units\n"
              b"P1,2024-01-05,Hemoglobin,90,g/L\n"  # accepted
              b"P1,2024-01-05,Vitamin B12,100,pmol/L\n"  # accepted
              b"P1,2024-01-05,WBC,6.1,10*9/L\n"  # ignored: a test the app does not track
              b"P1,2024-01-05,Cbl Roche,300,pmol/L\n"  # ignored: a name nobody has mapped yet
              b"P1,2024-02-05,Hemoglobin,QNS,g/L\n")  # rejected: not a number
SECOND_LABS = (b"Patient ID,Collection Date,Test Name,Result,Units\n"
               b"P1,2024-03-05,Hemoglobin,120,g/L\n"  # accepted
               b"P1,2024-01-05,Hemoglobin,90,g/L\n"  # the first file's result again: a duplicate
               b"P1,2024-03-05,MCV,88,fL\n")  # accepted
INJECTIONS = (b"Date given,Medicine,Dose,Route\n"
              b"2024-01-08,Hydroxocobalamin 1 mg/mL,1 mg,IM\n"
              b"2024-01-10,Hydroxocobalamin 1 mg/mL,1 mg,IM\n"
              b"2024-01-12,Paracetamol 500 mg tablets,500 mg,oral\n"  # ignored: not a B12 product
              b"not a date,Hydroxocobalamin 1 mg/mL,1 mg,IM\n")  # rejected: no date
FILES = [("first.csv", FIRST_LABS), ("second.csv", SECOND_LABS), ("injections.csv", INJECTIONS)]


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return build_workspace(FILES)


def rows(frame) -> list[list]:
    return frame.to_numpy().tolist()


def test_every_file_has_a_review_in_upload_order(ws):
    reviews = file_reviews(ws)
    assert [(r.name, r.kind, r.detected_kind, r.error) for r in reviews] == [
        ("first.csv", "labs", "labs", ""), ("second.csv", "labs", "labs", ""), ("injections.csv", "doses", "doses", "")]
    for review, one in zip(reviews, (file_review(ws, f.name) for f in ws.files), strict=True):
        assert (one.name, one.counts, one.read_with) == (review.name, review.counts, review.read_with)
        assert one.tests_found.equals(review.tests_found) and one.rejections.equals(review.rejections)


def test_counts_of_each_file(ws):
    first, second, injections = file_reviews(ws)
    assert first.counts == FileCounts(read=5, accepted=2, ignored=2, duplicates=0, rejected=1)
    assert second.counts == FileCounts(read=3, accepted=2, ignored=0, duplicates=1, rejected=0)
    assert injections.counts == FileCounts(read=4, accepted=2, ignored=1, duplicates=0, rejected=1)
    assert first.counts.sentence() == "read 5: 2 accepted, 2 ignored, 0 duplicates, 1 rejected"
    assert second.counts.sentence() == "read 3: 2 accepted, 0 ignored, 1 duplicate, 0 rejected"
    assert rows(first.counts.table()) == [[5, 2, 2, 0, 1]]
    assert list(first.counts.table().columns) == ["Read", "Accepted", "Ignored", "Duplicates", "Rejected"]


def test_results_found_per_test_are_the_files_own(ws):
    first, second, injections = file_reviews(ws)
    assert list(first.tests_found.columns) == ["Test", "Results"]
    assert rows(first.tests_found) == [["Hemoglobin", 1], ["Vitamin B12", 1]]
    assert rows(second.tests_found) == [["Hemoglobin", 1], ["MCV", 1]]  # the duplicate is counted once, in first.csv
    assert injections.tests_found.empty


def test_unknown_and_untracked_names_of_each_file(ws):
    first, second, injections = file_reviews(ws)
    assert list(first.unknown_names.columns) == ["Test name", "Rows"]
    assert rows(first.unknown_names) == [["Cbl Roche", 1]]
    assert rows(first.untracked_tests) == [["WBC", 1]]
    assert list(first.untracked_tests.columns) == ["Test", "Results"]
    assert first.untracked_results == 1
    assert second.unknown_names.empty and second.untracked_tests.empty and second.untracked_results == 0
    assert list(injections.other_medicines.columns) == ["Medicine as written", "Rows"]
    assert rows(injections.other_medicines) == [["Paracetamol 500 mg tablets", 1]]
    assert first.other_medicines.empty


def test_rejected_rows_of_each_file_with_their_reason(ws):
    first, second, injections = file_reviews(ws)
    assert list(first.rejections.columns) == ["Row", "Why", "The row as read"]
    assert first.rejections["Row"].tolist() == [5]
    assert "'QNS' is not a number" in first.rejections["Why"].iat[0]
    assert "QNS" in first.rejections["The row as read"].iat[0]
    assert second.rejections.empty
    assert injections.rejections["Row"].tolist() == [4]
    assert "not a date" in injections.rejections["The row as read"].iat[0]


def test_how_each_file_was_read_and_its_columns(ws):
    first, _, injections = file_reviews(ws)
    assert first.how_read == "5 data rows, header on line 1, encoding utf-8, delimiter ','"
    assert first.read_with == ("decimal point",)
    assert injections.read_with == ("no patient id column; all doses belong to one patient",)
    columns = first.columns.set_index("Role")
    assert columns.loc["patient id", "Column"] == "Patient ID"
    assert columns.loc["test name", "Column"] == "Test Name"
    assert first.headers == ("Patient ID", "Collection Date", "Test Name", "Result", "Units")
    assert "collected_at" in first.roles and "administered_at" in injections.roles
    assert first.layout_reason


def test_a_file_without_ids_asks_whose_it_is(ws):
    first, _, injections = file_reviews(ws)
    assert first.owner_candidates is None  # it names its patient
    assert injections.owner_candidates == ("P1",)


def test_with_two_patients_the_question_offers_both():
    second_patient = SECOND_LABS.replace(b"P1,", b"P2,")
    ws = build_workspace([FILES[0], ("second.csv", second_patient), FILES[2]])
    assert file_review(ws, "injections.csv").owner_candidates == ("P1", "P2")
    assert file_review(ws, "second.csv").counts.duplicates == 0  # another patient's result is no duplicate


def test_a_choice_changes_the_review():
    ws = build_workspace(FILES, Choices(name_map={"Cbl Roche": "b12"}))
    first = file_review(ws, "first.csv")
    assert first.unknown_names.empty
    assert rows(first.tests_found) == [["Hemoglobin", 1], ["Vitamin B12", 2]]
    assert first.counts == FileCounts(read=5, accepted=3, ignored=1, duplicates=0, rejected=1)


def test_a_file_that_could_not_be_read_has_only_its_message():
    ws = build_workspace([("scan.csv", b"\x89PNG\r\n\x1a\n" + bytes(64)), FILES[0]])
    scan = file_review(ws, "scan.csv")
    assert (scan.kind, scan.error, scan.counts, scan.how_read) == (
        "skip", "scan.csv is not a table: it looks like an image (PNG)", None, "")
    assert scan.columns.empty and scan.rejections.empty and scan.headers == () and scan.owner_candidates is None


def test_a_file_left_out_is_read_but_not_counted():
    ws = build_workspace(FILES, Choices(kinds={"second.csv": "skip"}))
    second = file_review(ws, "second.csv")
    assert (second.kind, second.detected_kind, second.counts) == ("skip", "labs", None)
    assert second.how_read.startswith("3 data rows") and second.tests_found.empty
    assert file_review(ws, "first.csv").counts.duplicates == 0


def test_an_unknown_file_name_is_an_error(ws):
    with pytest.raises(KeyError):
        file_review(ws, "nothing.csv")


# --- results told apart by admission id, and the admissions file that joins them ----------------

LAB_BY_ADMISSION = (b"HADM_ID,Collection Date,Test Name,Result,Units\n"
                    b"100001,2150-01-02,Hemoglobin,91,g/L\n"
                    b"100002,2150-06-02,Hemoglobin,104,g/L\n")
ADMISSIONS = (b"ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME,DISCHTIME,ADMISSION_TYPE\n"
              b"1,10120,100001,2150-01-01 10:00:00,2150-01-05 12:00:00,EMERGENCY\n"
              b"2,10120,100002,2150-06-01 10:00:00,2150-06-04 12:00:00,ELECTIVE\n")


def test_results_told_apart_by_admission_say_so_on_review():
    ws = build_workspace([("labevents.csv", LAB_BY_ADMISSION)])
    review = file_review(ws, "labevents.csv")
    assert review.warnings == (
        "patients are told apart by admission id (HADM_ID): one person's results may be split across "
        "admissions; give the admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them",)
    assert review.read_with == ("decimal point",)  # said once, as a warning
    assert review.owner_candidates is None  # its results do name whose they are, by admission
    assert review.columns.set_index("Role").loc["admission or stay id", "Column"] == "HADM_ID"
    assert "encounter_id" in review.roles


def test_the_admissions_file_is_shown_as_what_it_is():
    ws = build_workspace([("labevents.csv", LAB_BY_ADMISSION), ("ADMISSIONS.csv", ADMISSIONS)])
    labs, admissions = file_reviews(ws)
    assert (admissions.kind, admissions.detected_kind, admissions.error, admissions.counts) == (
        "admissions", "admissions", "", None)
    assert admissions.read_with == ("links HADM_ID to the patient id SUBJECT_ID: 2 admissions of 1 patient",
                                    "the patients of labevents.csv were found through it")
    assert ("patients found through ADMISSIONS.csv by the admission id (HADM_ID): 2 admissions of 1 patient"
            in labs.read_with)
    assert not any("split across" in note for note in labs.read_with) and labs.warnings == ()


RESULTS_REVIEW = (b"Results Review\n"  # an EHR screen copied with its title block: no id or date column
                  b"Name: DOE, JANE (MRN 0042)\n"
                  b"Date Collected: 03/14/2024 08:30\n"
                  b"Printed 03/20/2024\n"
                  b"Test,Result,Units,Ref Range,Flag\n"
                  b"Hemoglobin,9.1,g/dL,13.5-17.5,L\n"
                  b"MCV,112,fL,80-100,H\n")


def test_what_was_taken_from_the_lines_above_the_table_is_shown_and_not_asked():
    ws = build_workspace([FILES[0], ("results_review.csv", RESULTS_REVIEW)])
    review = file_review(ws, "results_review.csv")
    assert 'patient id 0042 taken from the line above the table "Name: DOE, JANE (MRN 0042)"' in review.read_with
    assert 'collection date taken from the line above the table "Date Collected: 03/14/2024 08:30"' \
        in review.read_with
    assert review.owner_candidates is None  # the file names its patient above the table
    assert review.counts == FileCounts(read=2, accepted=2, ignored=0, duplicates=0, rejected=0)
    assert ws.patients == ["P1", "0042"] and not ws.unassigned
    assert ws.files_without_ids("0042") == []
