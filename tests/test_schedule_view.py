"""The Schedule page's tables and sentences, from a patient view built on a hand-written record.

Six loading injections of the UK (BNF) regimen without neurological involvement (planned
Monday, Wednesday, Friday from Monday 8 January 2024), the sixth given on Monday 22 January, three
days after its Friday; then the first maintenance dose (every 3 months: due 22 April) given on
19 April 2024, within its grace. The next is due three months later, 19 July; the longest gap
is 22 January to 19 April, 88 days.
"""

from __future__ import annotations

import pandas as pd
import pytest

from b12core.schedule_view import adherence_tables, no_regimen_note, plan_note, plan_table
from b12core.workspace import PlanChoice, build_workspace, patient_view

GIVEN = ("2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-22", "2024-04-19")
DOSES = ("Patient ID,Date given,Medicine,Dose,Route\n"
         + "".join(f"P1,{day},Hydroxocobalamin 1 mg/mL,1 mg,IM\n" for day in GIVEN)).encode()
CHOICE = PlanChoice("UK-BNF-noneuro", "2024-01-08")


@pytest.fixture(scope="module")
def view():
    return patient_view(build_workspace([("doses.csv", DOSES)]), "P1", CHOICE, as_of="2024-05-01")


def test_adherence_in_words(view):
    tables = adherence_tables(view.adherence)
    assert list(tables.by_phase.columns) == ["Phase", "Due", "Given", "On time", "Late", "Missed"]
    assert tables.by_phase["Phase"].tolist()[:2] == ["Loading", "Maintenance"]
    assert tables.by_phase.set_index("Phase").loc["Loading", ["Due", "On time", "Late"]].tolist() == [6, 5, 1]
    assert tables.missed == 0
    assert tables.flagged[["Due", "Given", "Status", "Days late"]].to_numpy().tolist() == [
        ["Fri 19 Jan 2024", "Mon 22 Jan 2024", "Late", "3"]]
    assert tables.next_due == "Fri 19 Jul 2024"
    assert tables.longest_gap == "88 days"
    assert set(tables.events["Status"]) <= {"On time", "Late", "Missed", "Extra", "Not yet due"}


def test_without_doses_the_next_dose_is_not_known():
    ws = build_workspace([("labs.csv", b"Patient ID,Date,Test,Result,Units\nP1,2024-01-05,Hemoglobin,90,g/L\n")])
    empty = patient_view(ws, "P1", CHOICE, as_of="2024-05-01")
    assert empty.adherence is None
    assert no_regimen_note(None) == "Choose a regimen to see the written plan and the doses given against it."


def test_no_regimen_names_the_template_the_doses_fit(view):
    fitted = patient_view(build_workspace([("doses.csv", DOSES)]), "P1", PlanChoice(), as_of="2024-05-01")
    note = no_regimen_note(fitted.adherence)
    assert note.startswith("Choose a regimen to see the written plan and the doses given against it. Until then")
    assert f"compared with {fitted.adherence.regimen.label}, the template they fit best." in note


def test_plan_in_words_and_a_plan_that_ended_is_said(view):
    table = plan_table(view.plan)
    assert list(table.columns) == ["Date", "What", "Phase", "For the patient", "For the clinician"]
    assert table["Date"].iat[0] == "Mon 08 Jan 2024"
    assert plan_note(view.plan, pd.Timestamp("2024-05-01")) == ""
    assert plan_note(view.plan, view.plan["date"].max() + pd.Timedelta(days=1)) == (
        "The plan ends before today; it runs a year past today when the start is recent.")
