"""The workspace: every upload read, classified, imported with the user's choices; one patient's view.

Expected values come from the sample patients' stories (data/sample/README.md) and from small
literal files. ``read`` and ``load`` are injectable because the app passes cached versions of them.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from b12core.accounting import NO_PATIENT_ID
from b12core.sample import sample_files
from b12core.workspace import (
    Choices,
    PlanChoice,
    Workspace,
    build_workspace,
    import_table,
    latest_record,
    patient_view,
    read_upload,
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
    assert ws.patients == [UK, EU, NO_PATIENT_ID]


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


def test_choices_key_is_stable():
    a = Choices(kinds={"a.csv": "labs", "b.csv": "skip"}, name_map={"x": "b12"})
    b = Choices(kinds={"b.csv": "skip", "a.csv": "labs"}, name_map={"x": "b12"})
    assert a.key() == b.key()
    assert a.key() != Choices(kinds={"a.csv": "labs"}).key()


# --- injected read and load (the app's caches) ---------------------------------------------------

class Counting:
    """Wraps a function and records the arguments of every call."""

    def __init__(self, fn):
        self.fn = fn
        self.calls: list[tuple] = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        return self.fn(*args, **kwargs)


def test_custom_read_and_load_are_used():
    read = Counting(read_upload)
    load = Counting(lambda *args: import_table(*args, read=read))
    uploads = [("scan.csv", PNG), *files()]
    ws = build_workspace(uploads, Choices(kinds={"uk_injections.xlsx": "skip"}), read=read, load=load)
    reads_while_classifying = [c[0] for c in read.calls[:len(uploads)]]
    assert reads_while_classifying == [name for name, _ in uploads]  # once per file, in order
    assert [c[2:4] for c in load.calls] == [("uk_wide_labs_early.xlsx", "labs"), ("uk_wide_labs.csv", "labs")]
    assert len(read.calls) == len(uploads) + len(load.calls)  # each load reads through the same reader
    assert ws.patients == [UK]


def test_load_gets_the_users_choices():
    load = Counting(import_table)
    choices = Choices(roles={"r.csv": {"patient_id": "Ref"}}, name_map={"Cbl Roche": "b12"}, date_order="dmy")
    build_workspace([("r.csv", NO_ID_COLUMN)], choices, load=load, not_after="2025-01-02")
    (name, data, table, kind, roles, name_map, date_order, dictionary, not_after), = load.calls
    assert (name, data, table, kind) == ("r.csv", NO_ID_COLUMN, "r.csv", "labs")
    assert (roles, name_map, date_order, dictionary) == ({"patient_id": "Ref"}, {"Cbl Roche": "b12"}, "dmy", ())
    assert not_after == "2025-01-02"


def test_a_cached_result_is_used_as_is(uk_ws):
    """A loader that answers from its cache (never importing) is enough to build the workspace."""
    answers = {}
    for name, data in files():
        for raw in read_upload(name, data):
            answers[raw.name] = import_table(name, data, raw.name, "labs" if "labs" in name else "doses", {}, {},
                                             None, ())

    ws = build_workspace(list(files()), load=lambda name, data, table, *rest: answers[table])
    assert ws.patients == uk_ws.patients
    assert len(ws.labs.labs) == len(uk_ws.labs.labs)


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


def test_patient_view_without_a_plan(uk_ws):
    for choice in (None, PlanChoice()):
        view = patient_view(uk_ws, UK, choice, as_of="2025-01-13")
        assert (view.plan, view.adherence) == (None, None)


def test_patient_view_plan_from_a_chosen_start(uk_ws):
    view = patient_view(uk_ws, UK, PlanChoice("UK-BNF-neuro", start="2024-02-01"), as_of="2025-01-13")
    assert view.plan["date"].min() == D("2024-02-01")


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
