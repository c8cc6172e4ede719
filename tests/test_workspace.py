"""The workspace: every upload read, classified, imported with the user's choices; one patient's view.

Expected values come from the sample patients' stories (data/sample/README.md) and from small
literal files. The files are read once (``read_files``) and imported with any choices.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
import pytest

import b12core.workspace as workspace_module
from b12core.accounting import NO_PATIENT_ID
from b12core.patients import id_key
from b12core.sample import sample_files
from b12core.workspace import (
    Choices,
    IdConflict,
    IdMatch,
    PlanChoice,
    UnassignedFile,
    Workspace,
    build_workspace,
    latest_record,
    link_unidentified,
    loading_end_problem,
    match_patient_ids,
    patient_view,
    read_files,
)

D = pd.Timestamp
UK = "943 476 5919"  # PA-NEURO
EU = "0004711"  # DIET-ORAL
US = "MRN004417"  # MISSED-LOADING
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
AMBIGUOUS = (b"Patient ID,Date,Test,Result,Units\n"
             b"P1,03/04/2024,Hemoglobin,120,g/L\n"
             b"P1,05/06/2024,MCV,90,fL\n")  # every day and month <= 12: the file does not decide
NO_ID_COLUMN = (b"Ref,Collection Date,Test Name,Result,Units\n"
                b"A1,2024-01-05,Hemoglobin,120,g/L\n"
                b"A1,2024-01-05,Cbl Roche,300,pmol/L\n")  # 'Ref' is no known id header; 'Cbl Roche' no known test


@cache
def files(*names: str) -> tuple[tuple[str, bytes], ...]:
    return tuple(sample_files(names)) if names else tuple(sample_files())


def workspace(*names: str, choices: Choices | None = None) -> Workspace:
    return build_workspace(list(files(*names)), choices)


@pytest.fixture(scope="module")
def uk_ws() -> Workspace:
    return workspace()


def by_name(ws: Workspace) -> dict:
    return {f.name: f for f in ws.files}


def patients_by_file(table: pd.DataFrame) -> dict[str, list[str]]:
    return {name: sorted(set(group["patient_id"])) for name, group in table.groupby("source_file")}


def notes_by_file(table: pd.DataFrame) -> dict[str, set[str]]:
    return {name: set(group["notes"]) for name, group in table.groupby("source_file")}


# --- build_workspace -----------------------------------------------------------------------------

def test_sample_files_are_detected_and_imported(uk_ws):
    assert [(f.name, f.detected_kind, f.kind, f.error) for f in uk_ws.files] == [
        ("uk_wide_labs_early.xlsx", "labs", "labs", ""), ("uk_wide_labs.csv", "labs", "labs", ""),
        ("uk_injections.xlsx", "doses", "doses", "")]
    assert all(f.mapping is not None and f.raw is not None for f in uk_ws.files)
    assert uk_ws.patients == [UK]
    assert uk_ws.errors == []
    assert uk_ws.symptoms is None


def test_sample_imports_are_accounted_for(uk_ws):
    counts = uk_ws.labs.counts
    assert (counts["read"] == counts["accepted"] + counts["ignored"] + counts["duplicates"] + counts["rejected"]).all()
    assert int(counts["accepted"].sum()) == len(uk_ws.labs.labs)
    assert int(counts.loc[counts["source_file"] == "uk_wide_labs.csv", "duplicates"].iloc[0]) == 9  # README
    assert len(uk_ws.doses.doses) == 35  # 30 loading + 5 maintenance


def test_every_sample_patient_is_found():
    ws = workspace("us_long_labs.csv", "us_injections.csv", "eu_semicolon_labs.csv", "eu_injections.csv",
                   "loinc_observations.csv", "loinc_medication_administrations.csv")
    assert {f.name: f.kind for f in ws.files} == {
        "us_long_labs.csv": "labs", "us_injections.csv": "doses", "eu_semicolon_labs.csv": "labs",
        "eu_injections.csv": "doses", "loinc_observations.csv": "labs",
        "loinc_medication_administrations.csv": "doses"}
    assert ws.patients[:4] == [US, "MRN007731", EU, "6227c571-2389-5f74-9ac0-aa4bb9307874"]


def test_an_unusable_file_is_reported_and_the_others_imported():
    ws = build_workspace([("scan.csv", PNG), *files("uk_wide_labs.csv", "uk_injections.xlsx")])
    scan = by_name(ws)["scan.csv"]
    assert (scan.kind, scan.detected_kind, scan.raw) == ("skip", "unreadable", None)
    assert scan.error == "scan.csv is not a table: it looks like an image (PNG)"
    assert ws.errors == [scan.error]
    assert by_name(ws)["uk_wide_labs.csv"].error == ""
    assert ws.patients == [UK]
    assert len(ws.doses.doses) == 35


def test_only_unusable_files_give_an_empty_workspace():
    ws = build_workspace([("scan.csv", PNG)])
    assert (ws.labs, ws.doses, ws.symptoms, ws.patients) == (None, None, None, [])
    assert latest_record(ws) is None


def test_kind_override_skip_leaves_a_file_out(uk_ws):
    ws = workspace(choices=Choices(kinds={"uk_injections.xlsx": "skip"}))
    report = by_name(ws)["uk_injections.xlsx"]
    assert (report.kind, report.detected_kind, report.error, report.mapping) == ("skip", "doses", "", None)
    assert ws.doses is None
    assert len(ws.labs.labs) == len(uk_ws.labs.labs)


def test_role_override_names_the_patient_column():
    assert build_workspace([("r.csv", NO_ID_COLUMN)]).patients == [NO_PATIENT_ID]
    ws = build_workspace([("r.csv", NO_ID_COLUMN)], Choices(roles={"r.csv": {"patient_id": "Ref"}}))
    mapping = by_name(ws)["r.csv"].mapping
    assert mapping.roles["patient_id"] == "Ref"
    assert mapping.reasons["patient_id"] == "chosen by you"
    assert ws.patients == ["A1"]


def test_role_override_of_another_file_changes_nothing():
    ws = build_workspace([("r.csv", NO_ID_COLUMN)], Choices(roles={"other.csv": {"patient_id": "Ref"}}))
    assert ws.patients == [NO_PATIENT_ID]


def test_name_map_maps_an_unknown_test():
    before = build_workspace([("r.csv", NO_ID_COLUMN)])
    assert list(before.labs.unknown_names["name"]) == ["Cbl Roche"]
    assert list(before.labs.labs["analyte"].astype("str")) == ["hemoglobin"]
    ws = build_workspace([("r.csv", NO_ID_COLUMN)], Choices(name_map={"Cbl Roche": "b12"}))
    assert ws.labs.unknown_names.empty
    b12 = ws.labs.labs[ws.labs.labs["analyte"] == "b12"]
    assert list(b12["value"]) == [300.0]
    assert list(b12["notes"]) == ["'Cbl Roche' mapped to b12 by you"]


def test_name_map_ignore_counts_the_rows_as_ignored():
    ws = build_workspace([("r.csv", NO_ID_COLUMN)], Choices(name_map={"Cbl Roche": "ignore"}))
    assert ws.labs.unknown_names.empty
    assert ws.labs.counts[["read", "accepted", "ignored", "rejected"]].iloc[0].tolist() == [2, 1, 1, 0]


def test_ambiguous_dates_ask_for_the_date_order():
    ws = build_workspace([("amb.csv", AMBIGUOUS)])
    report = by_name(ws)["amb.csv"]
    assert report.needs_date_order
    assert "03/04/2024" in report.error and "day-first or month-first" in report.error
    assert ws.labs is None


@pytest.mark.parametrize(("order", "dates"), [("dmy", ["2024-04-03", "2024-06-05"]),
                                              ("mdy", ["2024-03-04", "2024-05-06"])])
def test_date_order_choice_decides_ambiguous_dates(order, dates):
    ws = build_workspace([("amb.csv", AMBIGUOUS)], Choices(date_order=order))
    report = by_name(ws)["amb.csv"]
    assert (report.error, report.needs_date_order) == ("", False)
    assert list(ws.labs.labs["collected_at"]) == [D(d) for d in dates]
    assert all(order in note for note in ws.labs.labs["notes"])


def test_files_without_patient_ids_go_to_the_only_identified_patient(uk_ws):
    doses = uk_ws.doses.doses
    assert patients_by_file(doses) == {"uk_injections.xlsx": [UK]}
    assert notes_by_file(doses) == {"uk_injections.xlsx": {"patient id taken from the other files"}}


def test_files_without_ids_stay_apart_when_there_are_several_patients():
    ws = workspace("uk_wide_labs.csv", "uk_injections.xlsx", "eu_semicolon_labs.csv", "eu_injections.csv")
    assert patients_by_file(ws.doses.doses) == {"eu_injections.csv": [NO_PATIENT_ID],
                                                "uk_injections.xlsx": [NO_PATIENT_ID]}
    assert ws.patients == [UK, EU]  # the records without ids are nobody's yet, not a third patient
    assert [(u.name, u.kind, u.candidates) for u in ws.unassigned] == [
        ("uk_injections.xlsx", "doses", (UK, EU)), ("eu_injections.csv", "doses", (UK, EU))]
    assert ws.unassigned[0].records == 35
    assert ws.dose_patients == [] and ws.doses_of_others(UK) == []


def test_owners_assign_files_without_ids_to_the_named_patient():
    names = ("uk_wide_labs.csv", "uk_injections.xlsx", "eu_semicolon_labs.csv", "eu_injections.csv")
    ws = workspace(*names, choices=Choices(owners={"uk_injections.xlsx": UK, "eu_injections.csv": EU}))
    assert patients_by_file(ws.doses.doses) == {"eu_injections.csv": [EU], "uk_injections.xlsx": [UK]}
    assert notes_by_file(ws.doses.doses)["uk_injections.xlsx"] == {"patient chosen for this file by you"}
    assert all(n.endswith("patient chosen for this file by you") for n in notes_by_file(ws.doses.doses)[
        "eu_injections.csv"])
    assert ws.patients == [UK, EU]


def test_an_owner_for_one_file_leaves_the_other_unassigned():
    names = ("uk_wide_labs.csv", "uk_injections.xlsx", "eu_semicolon_labs.csv", "eu_injections.csv")
    ws = workspace(*names, choices=Choices(owners={"uk_injections.xlsx": UK}))
    assert patients_by_file(ws.doses.doses) == {"eu_injections.csv": [NO_PATIENT_ID], "uk_injections.xlsx": [UK]}
    assert [u.name for u in ws.unassigned] == ["eu_injections.csv"]
    assert ws.patients == [UK, EU]
    assert ws.dose_patients == [UK]
    assert ws.doses_of_others(EU) == [UK]


# --- which patient each record belongs to, across files ------------------------------------------

def labs_csv(*rows: tuple[str, str, str]) -> bytes:
    """A long lab export: (patient id, date, haemoglobin g/L) per row."""
    lines = ["Patient ID,Collection Date,Test Name,Result,Units", *(f"{p},{d},Hemoglobin,{v},g/L" for p, d, v in rows)]
    return ("\n".join(lines) + "\n").encode()


def doses_csv(*rows: str, ids: tuple[str, ...] = ()) -> bytes:
    """An injection record, one dose per date; with a patient id column when ``ids`` are given."""
    head = "Administration Date,Medication,Dose,Dose Unit,Route"
    line = "{},Hydroxocobalamin 1 mg/mL injection,1,mg,IM"
    if ids:
        lines = [f"Patient ID,{head}", *(f"{p},{line.format(d)}" for p, d in zip(ids, rows, strict=True))]
    else:
        lines = [head, *(line.format(d) for d in rows)]
    return ("\n".join(lines) + "\n").encode()


TWO_PATIENTS = labs_csv(("P1", "2024-01-05", "120"), ("P2", "2024-01-06", "130"))
DOSES_WITHOUT_IDS = doses_csv("2024-01-08", "2024-01-10")


def test_records_without_ids_beside_two_patients_are_unassigned():
    ws = build_workspace([("labs.csv", TWO_PATIENTS), ("doses.csv", DOSES_WITHOUT_IDS)], Choices())
    assert ws.patients == ["P1", "P2"]
    assert ws.unassigned == (UnassignedFile("doses.csv", "doses", 2, ("P1", "P2")),)
    assert set(ws.doses.doses["patient_id"]) == {NO_PATIENT_ID}
    assert ws.dose_patients == []


def test_an_owner_assigns_records_without_ids():
    ws = build_workspace([("labs.csv", TWO_PATIENTS), ("doses.csv", DOSES_WITHOUT_IDS)],
                         Choices(owners={"doses.csv": "P2"}))
    assert ws.patients == ["P1", "P2"]
    assert ws.unassigned == ()
    assert patients_by_file(ws.doses.doses) == {"doses.csv": ["P2"]}
    assert notes_by_file(ws.doses.doses) == {"doses.csv": {"patient chosen for this file by you"}}
    assert ws.dose_patients == ["P2"]
    assert ws.doses_of_others("P1") == ["P2"]  # "the injection record holds doses of P2 only"
    assert ws.doses_of_others("P2") == []


def test_files_without_ids_are_named_for_the_patient_they_are_shown_with():
    chosen = build_workspace([("labs.csv", TWO_PATIENTS), ("doses.csv", DOSES_WITHOUT_IDS)],
                             Choices(owners={"doses.csv": "P2"}))
    assert chosen.files_without_ids("P2") == ["doses.csv"] and chosen.files_without_ids("P1") == []
    asked = build_workspace([("labs.csv", TWO_PATIENTS), ("doses.csv", DOSES_WITHOUT_IDS)], Choices())
    assert asked.files_without_ids("P1") == [] and asked.files_without_ids("P2") == []  # still a question
    only = build_workspace([("labs.csv", labs_csv(("P1", "2024-01-05", "120"))), ("doses.csv", DOSES_WITHOUT_IDS)])
    assert only.files_without_ids("P1") == ["doses.csv"]


def test_an_owner_written_like_a_patient_means_that_patient():
    labs = labs_csv(("MRN 00123", "2024-01-05", "120"), ("P2", "2024-01-06", "130"))
    ws = build_workspace([("labs.csv", labs), ("doses.csv", DOSES_WITHOUT_IDS)], Choices(owners={"doses.csv": "123"}))
    assert patients_by_file(ws.doses.doses) == {"doses.csv": ["MRN 00123"]}
    assert ws.patients == ["MRN 00123", "P2"]


def test_unassigned_lab_and_diary_tables_are_listed_in_upload_order():
    no_ids = b"Collection Date,Test Name,Result,Units\n2024-02-01,Hemoglobin,125,g/L\n"
    diary = b"Date,Fatigue,Pins and needles\n2024-01-05,8,6\n"
    ws = build_workspace([("diary.csv", diary), ("labs.csv", TWO_PATIENTS), ("clinic.csv", no_ids)])
    assert ws.patients == ["P1", "P2"]
    assert [(u.name, u.kind, u.records) for u in ws.unassigned] == [("diary.csv", "symptoms", 2),
                                                                     ("clinic.csv", "labs", 1)]


def test_records_without_ids_of_one_identified_patient_are_theirs():
    ws = build_workspace([("labs.csv", labs_csv(("P1", "2024-01-05", "120"))), ("doses.csv", DOSES_WITHOUT_IDS)])
    assert ws.patients == ["P1"]
    assert ws.unassigned == ()
    assert patients_by_file(ws.doses.doses) == {"doses.csv": ["P1"]}
    assert notes_by_file(ws.doses.doses) == {"doses.csv": {"patient id taken from the other files"}}


def test_files_without_any_ids_are_one_patient():
    no_ids = b"Collection Date,Test Name,Result,Units\n2024-02-01,Hemoglobin,125,g/L\n"
    ws = build_workspace([("clinic.csv", no_ids), ("doses.csv", DOSES_WITHOUT_IDS)])
    assert ws.patients == [NO_PATIENT_ID]
    assert ws.unassigned == ()
    assert ws.dose_patients == [NO_PATIENT_ID]
    assert ws.doses_of_others(NO_PATIENT_ID) == []


def test_ids_written_differently_in_two_files_are_one_patient():
    labs = labs_csv(("MRN 00123", "2024-01-05", "120"), ("P2", "2024-01-06", "130"))
    doses = doses_csv("2024-01-08", "2024-01-10", ids=("123", "123"))
    ws = build_workspace([("labs.csv", labs), ("doses.csv", doses)])
    assert ws.patients == ["MRN 00123", "P2"]
    assert ws.id_matches == (IdMatch("doses.csv", "123", "MRN 00123", "labs.csv"),)
    assert ws.id_conflicts == ()
    assert patients_by_file(ws.doses.doses) == {"doses.csv": ["MRN 00123"]}
    assert notes_by_file(ws.doses.doses) == {
        "doses.csv": {"patient id written '123' here; matched to 'MRN 00123' in labs.csv"}}
    assert set(ws.labs.labs["notes"]) == {""}  # the id the patient keeps is not noted
    assert ws.dose_patients == ["MRN 00123"]
    assert ws.doses_of_others("P2") == ["MRN 00123"]


def test_the_patient_keeps_the_id_of_the_first_lab_file():
    doses = doses_csv("2024-01-08", ids=("123",))
    first = labs_csv(("0000123", "2024-01-05", "120"))
    second = labs_csv(("MRN 00123", "2024-02-05", "125"))
    ws = build_workspace([("doses.csv", doses), ("a.csv", first), ("b.csv", second)])
    assert ws.patients == ["0000123"]
    assert ws.id_matches == (IdMatch("doses.csv", "123", "0000123", "a.csv"),
                             IdMatch("b.csv", "MRN 00123", "0000123", "a.csv"))
    assert set(ws.labs.labs["patient_id"]) == {"0000123"}


def test_without_a_lab_file_the_first_file_gives_the_id():
    ws = build_workspace([("a.csv", doses_csv("2024-01-08", ids=("NHS 943 476 5919",))),
                          ("b.csv", doses_csv("2024-01-10", ids=("9434765919",)))])
    assert ws.patients == ["NHS 943 476 5919"]
    assert ws.id_matches == (IdMatch("b.csv", "9434765919", "NHS 943 476 5919", "a.csv"),)


@pytest.mark.parametrize(("in_labs", "in_doses"), [("0004711", "4711"), ("NHS 943 476 5919", "9434765919"),
                                                   ("mrn004417", "MRN-004417")])
def test_written_forms_that_match(in_labs, in_doses):
    ws = build_workspace([("labs.csv", labs_csv((in_labs, "2024-01-05", "120"), ("P2", "2024-01-06", "130"))),
                          ("doses.csv", doses_csv("2024-01-08", ids=(in_doses,)))])
    assert ws.patients == [in_labs, "P2"]
    assert ws.id_matches == (IdMatch("doses.csv", in_doses, in_labs, "labs.csv"),)


def test_matched_ids_make_the_only_patient_of_records_without_ids():
    labs = labs_csv(("MRN 00123", "2024-01-05", "120"))
    ws = build_workspace([("labs.csv", labs), ("with_ids.csv", doses_csv("2024-01-08", ids=("123",))),
                          ("without.csv", doses_csv("2024-01-10"))])
    assert ws.patients == ["MRN 00123"]
    assert ws.unassigned == ()
    assert patients_by_file(ws.doses.doses) == {"with_ids.csv": ["MRN 00123"], "without.csv": ["MRN 00123"]}


def test_overlapping_exports_writing_an_id_differently_are_de_duplicated():
    ws = build_workspace([("a.csv", labs_csv(("MRN 00123", "2024-01-05", "120"))),
                          ("b.csv", labs_csv(("123", "2024-01-05", "120"), ("123", "2024-02-05", "125")))])
    assert ws.patients == ["MRN 00123"]
    assert len(ws.labs.labs) == 2
    assert ws.labs.counts.set_index("source_file")["duplicates"].to_dict() == {"a.csv": 0, "b.csv": 1}


def test_ambiguous_ids_are_not_matched():
    labs = labs_csv(("0123", "2024-01-05", "120"), ("123", "2024-01-06", "130"))
    doses = doses_csv("2024-01-08", ids=("MRN 123",))
    ws = build_workspace([("labs.csv", labs), ("doses.csv", doses)])
    assert ws.patients == ["0123", "123", "MRN 123"]
    assert ws.id_matches == ()
    assert ws.id_conflicts == (IdConflict("labs.csv", ("0123", "123"), (("doses.csv", "MRN 123"),)),)
    assert set(ws.doses.doses["notes"]) == {""}


def test_ambiguity_of_one_key_does_not_stop_others_matching():
    labs = labs_csv(("0123", "2024-01-05", "120"), ("123", "2024-01-06", "130"), ("0042", "2024-01-06", "130"))
    doses = doses_csv("2024-01-08", "2024-01-09", ids=("00123", "42"))
    ws = build_workspace([("labs.csv", labs), ("doses.csv", doses)])
    assert ws.patients == ["0123", "123", "0042", "00123"]
    assert ws.id_matches == (IdMatch("doses.csv", "42", "0042", "labs.csv"),)
    assert [c.written for c in ws.id_conflicts] == [("0123", "123")]


def test_ids_within_one_file_are_never_matched():
    ws = build_workspace([("labs.csv", labs_csv(("0123", "2024-01-05", "120"), ("123", "2024-01-06", "130")))])
    assert ws.patients == ["0123", "123"]
    assert (ws.id_matches, ws.id_conflicts) == ((), ())


def test_equal_ids_need_no_match():
    ws = build_workspace([("labs.csv", TWO_PATIENTS), ("doses.csv", doses_csv("2024-01-08", ids=("P1",)))])
    assert ws.patients == ["P1", "P2"]
    assert (ws.id_matches, ws.id_conflicts, ws.unassigned) == ((), (), ())
    assert ws.doses_of_others("P2") == ["P1"]


def test_matching_and_linking_work_on_distinct_ids(monkeypatch):
    """A large record table: each distinct id is keyed once, rows are changed through their codes."""
    small = build_workspace([("labs.csv", labs_csv(("MRN 00123", "2024-01-05", "120"), ("P2", "2024-01-06", "130"))),
                             ("doses.csv", doses_csv("2024-01-08", ids=("123",)))])
    n = 300_000
    big = small.doses.doses.iloc[np.zeros(n, dtype=np.int64)].reset_index(drop=True)
    big["patient_id"] = pd.Series(np.where(np.arange(n) % 2, "123", "P2"), dtype="str")
    big["notes"] = pd.Series(np.where(np.arange(n) % 3, "", "read as dmy"), dtype="str")
    calls = []
    monkeypatch.setattr(workspace_module, "id_key", lambda text: calls.append(text) or id_key(text))
    matches, conflicts, imports = match_patient_ids(
        {"labs": [small.labs], "doses": [dataclasses.replace(small.doses, doses=big)], "symptoms": []},
        ["labs.csv", "doses.csv"])
    assert sorted(calls) == ["123", "MRN 00123", "P2"]
    assert (matches, conflicts) == ((IdMatch("doses.csv", "123", "MRN 00123", "labs.csv"),), ())
    doses = imports["doses"][0].doses
    assert doses["patient_id"].value_counts().to_dict() == {"MRN 00123": n // 2, "P2": n // 2}
    note = "patient id written '123' here; matched to 'MRN 00123' in labs.csv"
    assert doses.loc[[0, 1, 2, 3], "notes"].tolist() == ["read as dmy", note, "", f"read as dmy; {note}"]
    assert str(doses["patient_id"].dtype) == str(doses["notes"].dtype) == "str"

    unnamed = big.assign(patient_id=pd.Series([NO_PATIENT_ID] * n, dtype="str"))
    ws = dataclasses.replace(small, doses=dataclasses.replace(small.doses, doses=unnamed))
    assert link_unidentified(ws).unassigned == (UnassignedFile("doses.csv", "doses", n, ("MRN 00123", "P2")),)
    linked = link_unidentified(ws, {"doses.csv": "P2"}).doses.doses
    assert linked["patient_id"].eq("P2").all()
    assert linked.loc[[0, 1], "notes"].tolist() == ["read as dmy; patient chosen for this file by you",
                                                    "patient chosen for this file by you"]


def test_a_workspace_built_directly_keeps_its_defaults(uk_ws):
    ws = Workspace(uk_ws.files, uk_ws.labs, uk_ws.doses, uk_ws.symptoms)
    assert (ws.id_matches, ws.id_conflicts, ws.unassigned) == ((), (), ())
    assert ws.patients == [UK] and ws.dose_patients == [UK]


def test_choices_key_is_stable():
    a = Choices(kinds={"a.csv": "labs", "b.csv": "skip"}, name_map={"x": "b12"})
    b = Choices(kinds={"b.csv": "skip", "a.csv": "labs"}, name_map={"x": "b12"})
    assert a.key() == b.key()
    assert a.key() != Choices(kinds={"a.csv": "labs"}).key()


# --- read once, import with any choices (what the app caches) ----------------------------------

LOCAL_CODES = (b"SUBJECT_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n10120,51222,2115-05-13 14:53:00,8.9,g/dL\n"
               b"10120,51010,2115-05-13 14:53:00,GREATER THAN 2000,pg/mL\n")
CODE_DICTIONARY = b"ROW_ID,ITEMID,LABEL,FLUID,CATEGORY,LOINC_CODE\n1,51222,Hemoglobin,Blood,Hematology,718-7\n" \
                  b"2,51010,Vitamin B12,Blood,Chemistry,2170-9\n"


def test_read_files_gives_each_files_tables_or_its_message():
    read = read_files([("scan.csv", PNG), *files("uk_wide_labs.csv", "uk_injections.xlsx")])
    assert [(f.name, f.status, [t.name for t in f.tables]) for f in read.files] == [
        ("scan.csv", "unreadable", []), ("uk_wide_labs.csv", "read", ["uk_wide_labs.csv"]),
        ("uk_injections.xlsx", "read", ["uk_injections.xlsx"])]
    assert read.files[0].error == "scan.csv is not a table: it looks like an image (PNG)"
    assert [f.error for f in read.files[1:]] == ["", ""]


def test_read_files_keeps_two_files_of_one_name_apart():
    first, second = labs_csv(("P1", "2024-01-05", "120")), labs_csv(("P1", "2024-02-05", "125"))
    read = read_files([("export.csv", first), ("export.csv", second), ("export.csv", first)])
    assert [f.name for f in read.files] == ["export.csv", "export.csv (2)", "export.csv (3)"]
    assert [t.name for f in read.files for t in f.tables] == ["export.csv", "export.csv (2)", "export.csv (3)"]


def test_read_files_reads_at_most_max_files_and_says_which_were_not_read():
    uploads = [(f"r{i}.csv", labs_csv(("P1", f"2024-01-0{i}", "120"))) for i in range(1, 5)]
    read = read_files(uploads, max_files=2)
    assert [(f.name, f.status) for f in read.files] == [
        ("r1.csv", "read"), ("r2.csv", "read"), ("r3.csv", "not read"), ("r4.csv", "not read")]
    assert read.files[2].error == "r3.csv was not read: the app reads at most 2 files at once"
    ws = build_workspace(read)
    assert sorted(ws.labs.labs["source_file"].unique()) == ["r1.csv", "r2.csv"]
    assert ws.errors == [read.files[2].error, read.files[3].error]
    assert [(f.kind, f.detected_kind) for f in ws.files[2:]] == [("skip", "not read")] * 2


def test_read_files_refuses_a_table_longer_than_max_rows():
    read = read_files([("long.csv", labs_csv(*[("P1", f"2024-01-{d:02d}", "120") for d in range(1, 12)]))],
                      max_rows=5)
    (long,) = read.files
    assert (long.status, long.tables) == ("unreadable", ())
    assert "5" in long.error and long.error.startswith("long.csv")


def test_files_read_once_serve_every_choice():
    """The app reads the uploads once and imports them again with each choice the user makes."""
    read = read_files([("r.csv", NO_ID_COLUMN)])
    before = build_workspace(read)
    mapped = build_workspace(read, Choices(name_map={"Cbl Roche": "b12"}))
    assert sorted(before.labs.labs["analyte"].astype(str)) == ["hemoglobin"]
    assert sorted(mapped.labs.labs["analyte"].astype(str)) == ["b12", "hemoglobin"]
    assert build_workspace(read).labs.labs.equals(before.labs.labs)  # the files read are not changed by an import


def test_files_given_as_bytes_or_read_give_the_same_workspace(uk_ws):
    ws = build_workspace(read_files(list(files())))
    assert [(f.name, f.kind, f.error) for f in ws.files] == [(f.name, f.kind, f.error) for f in uk_ws.files]
    assert ws.labs.labs.equals(uk_ws.labs.labs) and ws.doses.doses.equals(uk_ws.doses.doses)


def test_not_after_refuses_later_records():
    labs = labs_csv(("P1", "2024-01-05", "120"), ("P1", "2025-03-01", "130"))
    ws = build_workspace([("labs.csv", labs)], not_after="2025-01-02")
    assert ws.labs.labs["collected_at"].tolist() == [D("2024-01-05")]
    assert len(ws.labs.rejections) == 1


def test_a_dictionary_uploaded_after_the_labs_still_names_their_codes():
    ws = build_workspace([("labevents.csv", LOCAL_CODES), ("d_labitems.csv", CODE_DICTIONARY)])
    assert [(f.name, f.kind) for f in ws.files] == [("labevents.csv", "labs"), ("d_labitems.csv", "dictionary")]
    assert ws.labs.labs["analyte"].astype(str).tolist() == ["hemoglobin", "b12"]
    without = build_workspace([("labevents.csv", LOCAL_CODES)])
    assert sorted(without.labs.unknown_names["name"]) == ["51010", "51222"]


def test_a_fault_while_reading_one_file_leaves_the_others(monkeypatch):
    real = workspace_module.read_tables

    def faulty(data, name, max_rows=None):
        if name == "bad.csv":
            raise ZeroDivisionError
        return real(data, name, max_rows)

    monkeypatch.setattr(workspace_module, "read_tables", faulty)
    ws = build_workspace([("bad.csv", NO_ID_COLUMN), *files("uk_wide_labs.csv")])
    assert ws.errors == ["bad.csv could not be read because of a fault in the app (ZeroDivisionError); "
                         "the other files are unaffected. Please report it."]
    assert ws.patients == [UK]


def test_a_fault_while_importing_one_file_leaves_the_others(monkeypatch):
    def faulty(raw, *args, **kwargs):
        raise KeyError("x")

    monkeypatch.setattr(workspace_module, "import_doses", faulty)
    ws = build_workspace(list(files()))
    report = by_name(ws)["uk_injections.xlsx"]
    assert (report.kind, report.mapping) == ("doses", None)
    assert "fault in the app (KeyError)" in report.error
    assert ws.doses is None and ws.patients == [UK]


# --- patient_view --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uk_view(uk_ws):
    return patient_view(uk_ws, UK, PlanChoice("UK-BNF-neuro"), as_of="2025-01-13", sex="male")


def test_patient_view_phases(uk_view):
    phases = uk_view.phases.phases
    assert [(p.phase, p.start, p.end, p.doses) for p in phases.itertuples()] == [
        ("loading", D("2024-01-08"), D("2024-03-15"), 30), ("maintenance", D("2024-05-13"), D("2025-01-13"), 5)]
    assert uk_view.doses["phase"].value_counts().to_dict() == {"loading": 30, "maintenance": 5}


def test_patient_view_labs_are_annotated(uk_view):
    labs = uk_view.labs
    assert {"days_since_injection", "interpretable", "interpretation"} <= set(labs.columns)
    b12 = labs[labs["analyte"] == "b12"].set_index("collected_at")
    assert b12.loc[D("2024-04-01"), "days_since_injection"] == 17  # last loading dose 15 Mar 2024
    assert b12.loc[D("2024-04-01"), "interpretation"] == "on treatment: not diagnostic of deficiency"
    assert (labs["patient_id"] == UK).all()


def test_patient_view_plan_and_adherence(uk_view):
    plan = uk_view.plan
    assert set(plan["kind"]) == {"dose", "recheck"}
    assert plan["date"].min() == D("2024-01-08")  # no start given: the first dose
    assert D("2025-11-13") <= plan["date"].max() <= D("2026-01-13")  # up to a year past as_of (doses 2 months apart)
    adherence = uk_view.adherence
    assert list(adherence.by_phase["phase"]) == ["loading", "maintenance"]
    assert adherence.next_due == D("2025-03-13")
    # open-ended loading, ended by the doses on 15 Mar 2024: the plan's maintenance counts from it
    # (the written plan keeps its alternate-day grid from 8 Jan: its last loading day by then is 14 Mar)
    assert plan[plan["phase"] == "maintenance"]["date"].min() == D("2024-05-14")


def test_patient_view_without_a_plan(uk_ws):
    # no written plan, but the doses are still judged against the template that fits them best (issue 12)
    for choice in (None, PlanChoice()):
        view = patient_view(uk_ws, UK, choice, as_of="2025-01-13")
        assert view.plan is None
        assert view.adherence.fitted and view.adherence.regimen.id == "UK-BNF-neuro"


def test_patient_view_plan_from_a_chosen_start(uk_ws):
    view = patient_view(uk_ws, UK, PlanChoice("UK-BNF-neuro", start="2024-02-01"), as_of="2025-01-13")
    assert view.plan["date"].min() == D("2024-02-01")


def test_a_loading_end_before_the_plan_start_is_not_used_and_said(uk_ws):
    chosen = PlanChoice("UK-BNF-neuro", start="2024-02-01", loading_end="2024-01-20")
    view = patient_view(uk_ws, UK, chosen, as_of="2025-01-13")  # the plan refused it: the view failed
    assert view.plan["date"].min() == D("2024-02-01")
    assert loading_end_problem(chosen, dt.date(2024, 2, 1)).startswith(
        "The loading phase cannot end before the plan starts: loading ended on 20 Jan 2024, the plan starts on "
        "01 Feb 2024.")
    fixed = PlanChoice("US-common", start="2024-02-01", loading_end="2024-01-20")  # left from the choice before
    assert patient_view(uk_ws, UK, fixed, as_of="2025-01-13").plan["date"].min() == D("2024-02-01")
    assert loading_end_problem(fixed, dt.date(2024, 2, 1)) == ""
    assert loading_end_problem(PlanChoice("UK-BNF-neuro", loading_end="2024-03-15"), dt.date(2024, 2, 1)) == ""


def test_patient_view_custom_plan(uk_ws):
    view = patient_view(uk_ws, UK, PlanChoice("custom", every_days=3, loading_doses=4, maintenance_months=1),
                        as_of="2025-01-13")
    doses = view.plan[view.plan["kind"] == "dose"]
    loading = doses[doses["phase"] == "loading"]["date"]
    assert list(loading) == [D("2024-01-08"), D("2024-01-11"), D("2024-01-14"), D("2024-01-17")]
    assert doses[doses["phase"] == "maintenance"]["date"].iloc[0] == D("2024-02-17")  # a month later


def test_patient_view_prompts():
    ws = workspace("us_long_labs.csv", "us_injections.csv")
    view = patient_view(ws, US, as_of=latest_record(ws))
    assert set(view.prompts["rule"]) >= {"hb_not_normal", "course_stopped"}
    assert (view.prompts["patient_id"] == US).all()


def test_patient_view_sample_has_nothing_to_review(uk_view):
    assert uk_view.prompts.empty


@pytest.mark.parametrize(("as_of", "expected"), [("2025-01-13", D("2025-01-13")),
                                                 ("2025-01-13 15:30", D("2025-01-13")),
                                                 (D("2024-06-01 08:00"), D("2024-06-01"))])
def test_patient_view_as_of_is_a_day(uk_ws, as_of, expected):
    assert patient_view(uk_ws, UK, as_of=as_of).as_of == expected


def test_patient_view_as_of_defaults_to_today(uk_ws):
    before = pd.Timestamp.now().normalize()
    as_of = patient_view(uk_ws, UK).as_of
    assert as_of in (before, pd.Timestamp.now().normalize())  # midnight may pass meanwhile


def test_patient_view_of_a_patient_with_results_only():
    ws = workspace("uk_wide_labs.csv")
    view = patient_view(ws, UK, PlanChoice("UK-BNF-neuro"), as_of="2025-01-13")
    assert view.doses.empty and view.phases.phases.empty
    assert view.adherence is None
    assert view.plan["date"].min() == D("2025-01-13")  # nothing given yet: the plan starts today
    assert view.prompts.empty
    assert len(view.labs) == len(ws.labs.labs)


def test_patient_view_adds_a_diary():
    ws = workspace()
    diary = pd.DataFrame({"recorded_at": pd.to_datetime(["2024-01-05", "2024-02-05"]), "symptom": "tingling",
                          "score": [7.0, 4.0], "source_file": "diary", "source_row": [1, 2]})
    view = patient_view(ws, UK, as_of="2025-01-13", extra_symptoms=diary)
    assert list(view.symptoms["score"]) == [7.0, 4.0]
    assert (view.symptoms["patient_id"] == UK).all()


# --- latest_record -------------------------------------------------------------------------------

@pytest.mark.parametrize(("names", "expected"), [
    ((), D("2025-01-13")),  # the last maintenance dose and the last FBC
    (("uk_wide_labs_early.xlsx",), D("2024-06-26")),
    (("uk_injections.xlsx",), D("2025-01-13")),
    (("us_long_labs.csv", "us_injections.csv"), D("2025-05-15")),
])
def test_latest_record(names, expected):
    assert latest_record(workspace(*names)) == expected


def test_latest_record_is_a_day():
    labs = b"Patient ID,Collection Date,Test Name,Result,Units\nP1,2024-01-05 14:30,Hemoglobin,120,g/L\n"
    assert latest_record(build_workspace([("t.csv", labs)])) == D("2024-01-05")


# --- admission and stay ids joined to their patients through an admissions file ------------------

# LABEVENTS-like: only the admission id. 100001 and 100002 are two admissions of one person (10120 in
# ADMISSIONS below), 100003 is 10200's, 100009 is in no admissions file, the last row has no id at all.
LAB_BY_ADMISSION = (b"HADM_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n"
                    b"100001,51222,2150-01-02 08:00:00,9.1,g/dL\n"
                    b"100002,51222,2150-06-02 08:00:00,10.4,g/dL\n"
                    b"100002,51010,2150-06-02 08:00:00,180,pg/mL\n"
                    b"100003,51222,2150-03-02 08:00:00,13.1,g/dL\n"
                    b"100009,51222,2150-04-02 08:00:00,12.0,g/dL\n"
                    b",51222,2150-07-02 08:00:00,11.0,g/dL\n")
ADMISSIONS = (b"ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME,DISCHTIME,ADMISSION_TYPE,DIAGNOSIS\n"
              b"1,10120,100001,2150-01-01 10:00:00,2150-01-05 12:00:00,EMERGENCY,ANEMIA\n"
              b"2,10120,100002,2150-06-01 10:00:00,2150-06-04 12:00:00,ELECTIVE,PERNICIOUS ANEMIA\n"
              b"3,10200,100003,2150-03-01 10:00:00,2150-03-03 12:00:00,EMERGENCY,CHEST PAIN\n")
# eICU-like: a result per unit stay; stays 141764 and 141765 are one person's (002-1039).
EICU_LAB = (b"labid,patientunitstayid,labresultoffset,labname,labresult,labresulttext,labmeasurenameinterface\n"
            b"1,141764,120,Hgb,9.8,9.8,g/dL\n2,141765,60,Hgb,10.9,10.9,g/dL\n3,150001,30,MCV,88,88,fL\n")
EICU_PATIENT = (b"patientunitstayid,patienthealthsystemstayid,gender,age,unittype,uniquepid\n"
                b"141764,129391,Female,87,Med-Surg ICU,002-1039\n141765,129391,Female,> 89,Med-Surg ICU,002-1039\n"
                b"150001,140000,Male,54,CCU-CTICU,002-2000\n")
ADMISSION_NOTE = ("patients are told apart by admission id (HADM_ID): one person's results may be split across "
                  "admissions; give the admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them")


def test_admissions_and_unit_stay_files_are_their_own_kind():
    ws = build_workspace([("ADMISSIONS.csv", ADMISSIONS), ("patient.csv", EICU_PATIENT)])
    assert [(f.name, f.kind, f.error) for f in ws.files] == [("ADMISSIONS.csv", "admissions", ""),
                                                             ("patient.csv", "admissions", "")]
    assert ws.labs is None and ws.patients == []


def test_results_by_admission_alone_say_so():
    ws = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY)])
    assert ws.patients == ["100001", "100002", "100003", "100009"]  # one person split in two
    assert ADMISSION_NOTE in ws.labs.notes["LABEVENTS.csv"]
    [link] = ws.encounter_links
    assert (link.file, link.column, link.through) == ("LABEVENTS.csv", "HADM_ID", "")
    assert link.text() == ADMISSION_NOTE


@pytest.mark.parametrize("admissions_first", [False, True])
def test_an_admissions_file_joins_two_admissions_of_one_patient(admissions_first):
    uploads = [("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY)]
    uploads.insert(0 if admissions_first else 2, ("ADMISSIONS.csv", ADMISSIONS))
    ws = build_workspace(uploads)
    assert ws.errors == []
    assert {f.name: f.kind for f in ws.files}["ADMISSIONS.csv"] == "admissions"
    labs = ws.labs.labs
    assert labs["patient_id"].tolist() == ["10120", "10120", "10120", "10200", "100009"]
    assert ws.patients == ["10120", "10200", "100009"]
    for note, admission in zip(labs["notes"], ("100001", "100002", "100002", "100003"), strict=False):
        assert note.endswith(f"; patient found through ADMISSIONS.csv (admission id {admission})")
    assert "ADMISSIONS.csv" not in labs["notes"].iat[4]
    notes = ws.labs.notes["LABEVENTS.csv"]
    assert ADMISSION_NOTE not in notes
    assert ("patients found through ADMISSIONS.csv by the admission id (HADM_ID): 3 admissions of 2 patients"
            in notes)
    assert ("1 admission id is not listed in ADMISSIONS.csv and is kept as a patient of its own: 100009"
            in notes)
    [link] = ws.encounter_links
    assert (link.file, link.through, link.linked, link.patients, link.unlisted) == (
        "LABEVENTS.csv", "ADMISSIONS.csv", 3, 2, ("100009",))
    counts = ws.labs.counts.iloc[0]
    assert (counts["read"], counts["accepted"], counts["rejected"]) == (6, 5, 1)  # nothing lost or added


def test_an_eicu_patient_file_joins_unit_stays_by_uniquepid():
    ws = build_workspace([("lab.csv", EICU_LAB), ("patient.csv", EICU_PATIENT)])
    assert ws.labs.labs["patient_id"].tolist() == ["002-1039", "002-1039", "002-2000"]
    assert ws.patients == ["002-1039", "002-2000"]
    [link] = ws.encounter_links
    assert (link.column, link.through, link.linked, link.patients, link.unlisted) == (
        "patientunitstayid", "patient.csv", 3, 2, ())


def test_a_dose_record_by_admission_is_joined_too():
    doses = (b"HADM_ID,STARTDATE,DRUG,DOSE_VAL_RX,DOSE_UNIT_RX,ROUTE\n"
             b"100001,2150-01-03 00:00:00,Hydroxocobalamin,1,mg,IM\n"
             b"100002,2150-06-03 00:00:00,Hydroxocobalamin,1,mg,IM\n")
    alone = build_workspace([("PRESCRIPTIONS.csv", doses)])
    assert alone.doses.doses["patient_id"].tolist() == ["100001", "100002"]
    assert any(n.startswith("patients are told apart by admission id (HADM_ID)")
               for n in alone.doses.notes["PRESCRIPTIONS.csv"])
    ws = build_workspace([("PRESCRIPTIONS.csv", doses), ("ADMISSIONS.csv", ADMISSIONS)])
    assert ws.doses.doses["patient_id"].tolist() == ["10120", "10120"]
    assert ws.dose_patients == ["10120"]


def test_a_file_naming_its_patients_is_left_as_it_is_beside_an_admissions_file():
    both = (b"SUBJECT_ID,HADM_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n"
            b"10120,100001,51222,2150-01-02 08:00:00,9.1,g/dL\n10120,100002,51222,2150-06-02 08:00:00,10.4,g/dL\n")
    ws = build_workspace([("labevents.csv", both), ("d_labitems.csv", CODE_DICTIONARY), ("ADMISSIONS.csv", ADMISSIONS)])
    assert ws.patients == ["10120"] and ws.encounter_links == ()
    assert not any("admission" in n for n in ws.labs.notes["labevents.csv"])
    assert not ws.labs.labs["notes"].str.contains("admission").any()


def test_an_admission_listed_for_two_patients_is_not_joined():
    twice = ADMISSIONS + b"4,10300,100003,2150-03-01 10:00:00,2150-03-03 12:00:00,EMERGENCY,CHEST PAIN\n"
    ws = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY),
                          ("ADMISSIONS.csv", twice)])
    assert ws.patients == ["10120", "100003", "100009"]
    assert ("1 admission id is listed for more than one patient in ADMISSIONS.csv and is kept as a patient of its "
            "own: 100003" in ws.labs.notes["LABEVENTS.csv"])


def test_an_admissions_file_that_joins_nothing_leaves_the_warning():
    other = b"SUBJECT_ID,HADM_ID,ADMITTIME\n10500,199999,2150-01-01 10:00:00\n"
    ws = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY),
                          ("ADMISSIONS.csv", other)])
    assert ws.patients == ["100001", "100002", "100003", "100009"]
    notes = ws.labs.notes["LABEVENTS.csv"]
    assert ADMISSION_NOTE in notes and "none of its admission ids is listed in ADMISSIONS.csv" in notes
    refused = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY),
                               ("ADMISSIONS.csv", ADMISSIONS)], not_after="2024-01-01")
    assert refused.labs.labs.empty  # every result is dated after the day: no admission id left to look up
    assert [link.notes() for link in refused.encounter_links] == [(ADMISSION_NOTE,)]


def test_a_patient_that_is_an_admission_is_named_for_the_page():
    alone = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY)])
    assert [link.file for link in alone.admissions_shown_as("100001")] == ["LABEVENTS.csv"]
    joined = build_workspace([("LABEVENTS.csv", LAB_BY_ADMISSION), ("d_labitems.csv", CODE_DICTIONARY),
                              ("ADMISSIONS.csv", ADMISSIONS)])
    assert joined.admissions_shown_as("10120") == []  # a patient, found through the admissions file
    assert [link.file for link in joined.admissions_shown_as("100009")] == ["LABEVENTS.csv"]  # not listed there


def test_an_admissions_file_naming_its_only_admission_column_otherwise_is_used():
    labs = b"Fallnummer;Datum;Test;Wert;Einheit\nF-7;02.02.2024;Hb;131;g/L\nF-9;23.05.2024;Hb;118;g/L\n"
    cases = b"Patientennummer;Fall-Nr.;Aufnahmedatum\nP-001;F-7;01.02.2024\nP-001;F-9;02.05.2024\n"
    ws = build_workspace([("befunde.csv", labs), ("faelle.csv", cases)])
    assert [(f.name, f.kind) for f in ws.files] == [("befunde.csv", "labs"), ("faelle.csv", "admissions")]
    assert ws.patients == ["P-001"]
    [link] = ws.encounter_links
    assert (link.column, link.through, link.linked, link.patients) == ("Fallnummer", "faelle.csv", 2, 1)


# eICU-like, with the patient file's clock of each stay: stays 1 and 2 are one hospital stay of
# 2015 (unit admissions 8 and 2258 minutes after the hospital's, at 23:36), stay 3 is a hospital
# stay of 2014 of the same person.
EICU_STAYS_LAB = (b"labid,patientunitstayid,labresultoffset,labname,labresult,labmeasurenamesystem\n"
                  b"1,200001,60,Hgb,7.9,g/dL\n2,200002,30,Hgb,9.1,g/dL\n3,200003,600,Hgb,12.8,g/dL\n")
EICU_STAYS = (b"patientunitstayid,patienthealthsystemstayid,hospitaladmittime24,hospitaladmitoffset,"
              b"hospitaldischargeyear,unitvisitnumber,uniquepid\n"
              b"200001,300001,23:36:00,-8,2015,1,009-11111\n"
              b"200002,300001,23:36:00,-2258,2015,2,009-11111\n"
              b"200003,300002,08:00:00,0,2014,1,009-11111\n")


def test_stays_of_one_person_are_put_in_order_by_the_patient_files_clock():
    ws = build_workspace([("lab.csv", EICU_STAYS_LAB), ("patient.csv", EICU_STAYS)])
    labs = ws.labs.labs.sort_values("collected_at")
    assert labs["patient_id"].unique().tolist() == ["009-11111"]
    assert labs["value"].tolist() == [128.0, 79.0, 91.0]  # 2014, then 2015's first unit stay, then its second
    assert labs["collected_at"].tolist() == [pd.Timestamp("2014-01-01 18:00"), pd.Timestamp("2015-01-01 23:44")
                                             + pd.Timedelta(minutes=60), pd.Timestamp("2015-01-03 13:14")
                                             + pd.Timedelta(minutes=30)]
    assert labs["notes"].str.contains("placed in its year of hospital discharge", regex=False).all()
    assert ("the patient file gives only the year of each hospital stay: stays of one patient in the same year are "
            "in order only within one hospital stay") in ws.labs.notes["lab.csv"]
    view = patient_view(ws, "009-11111", as_of="2016-01-01")
    assert view.summary.set_index("analyte").loc["hemoglobin", "latest"] == 91.0


def test_stays_without_a_clock_joined_into_one_person_are_said_to_have_no_order():
    patient = b"patientunitstayid,uniquepid\n200001,009-11111\n200003,009-11111\n"
    ws = build_workspace([("lab.csv", EICU_STAYS_LAB), ("patient.csv", patient)])
    assert any("2 stays of one patient are each counted from their own admission" in n
               for n in ws.labs.notes["lab.csv"])


def test_an_admission_id_the_file_does_not_list_never_merges_with_a_patient_of_the_same_number():
    labs = (b"hadm_id,itemid,charttime,value,valueuom\n30000,51222,2150-01-02 08:00:00,8.9,g/dL\n"
            b"20004,51222,2150-02-02 08:00:00,14.7,g/dL\n")
    admissions = b"subject_id,hadm_id,admittime\n20004,30000,2150-01-01 10:00:00\n"
    ws = build_workspace([("LABEVENTS.csv", labs), ("d_labitems.csv", CODE_DICTIONARY),
                          ("ADMISSIONS.csv", admissions)])
    assert ws.labs.labs["patient_id"].tolist() == ["20004", "admission 20004"]
    assert ("1 admission id is not listed in ADMISSIONS.csv and is kept as a patient of its own: admission 20004"
            in ws.labs.notes["LABEVENTS.csv"])
