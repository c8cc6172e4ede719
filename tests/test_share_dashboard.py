"""A shared dashboard is the dashboard its creator saw: the same figure and the same summary, read
back from the FHIR snapshot; the de-identified form moves the dates and keeps every value."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from b12core.display import ViewSettings
from b12core.figures import patient_figure
from b12core.share import dashboard_snapshot, shared_dashboard
from b12core.snapshot import read_snapshot
from b12core.summary import follow_up
from b12core.workspace import Choices, PlanChoice, build_workspace, patient_view, read_files

# Two patients in one cumulative export; a blood gas Hb beside the laboratory's at one time;
# a censored B12; the injection record has ids. Not the bundled sample.
LABS_CSV = """MRN,Collected,Test,Result,Units,Ref range,Specimen type
A-17,2025-01-03 08:10,Haemoglobin,92,g/L,115-165,EDTA blood
A-17,2025-01-03 08:10,Vitamin B12,<50,ng/L,180-900,Serum
A-17,2025-01-03 08:10,MCV,109,fL,80-100,EDTA blood
A-17,2025-02-14 09:40,Haemoglobin,101,g/L,115-165,Blood gas
A-17,2025-02-14 09:40,Haemoglobin,106,g/L,115-165,EDTA blood
A-17,2025-02-14 09:40,MCV,101,fL,80-100,EDTA blood
A-17,2025-04-02 10:05,Haemoglobin,118,g/L,115-165,EDTA blood
A-17,2025-04-02 10:05,Vitamin B12,612,ng/L,180-900,Serum
B-03,2025-01-09 11:00,Haemoglobin,140,g/L,130-170,EDTA blood
"""
DOSES_CSV = """MRN,Date given,Medication,Dose,Route
A-17,2025-01-06,Hydroxocobalamin,1 mg,IM
A-17,2025-01-08,Hydroxocobalamin,1 mg,IM
A-17,2025-01-10,Hydroxocobalamin,1 mg,IM
A-17,2025-01-13,Hydroxocobalamin,1 mg,IM
A-17,2025-01-15,Hydroxocobalamin,1 mg,IM
A-17,2025-01-17,Hydroxocobalamin,1 mg,IM
A-17,2025-04-10,Hydroxocobalamin,1 mg,IM
B-03,2025-01-10,Hydroxocobalamin,1 mg,IM
"""
PLAN = PlanChoice(regimen_id="UK-BNF-noneuro")
AS_OF = pd.Timestamp("2025-06-01")
SETTINGS = ViewSettings(units="US", time_axis="days", analytes=("hemoglobin", "mcv", "b12"),
                        start=pd.Timestamp("2025-01-01"), end=pd.Timestamp("2025-05-31 23:59"))


@pytest.fixture(scope="module")
def view():
    files = [("cumulative export.csv", LABS_CSV.encode()), ("injections.csv", DOSES_CSV.encode())]
    ws = build_workspace(read_files(files), Choices(), "2026-01-01")
    return patient_view(ws, "A-17", PLAN, AS_OF, "female")


def _traces(figure) -> list[dict]:
    """Every trace as plotly writes it: points, their hover text, names, colours."""
    return json.loads(figure.to_json())["data"]


def _summary(follow) -> tuple:
    return (follow.status, follow.last_dose, follow.next_dose, follow.adherence, follow.plan,
            follow.off_plan, follow.markers.to_dict("records"), follow.prompts.to_dict("records"))


def _round_trip(view, shift_days=None):
    bundle = dashboard_snapshot(view, PLAN, "female", SETTINGS, shift_days=shift_days)
    return shared_dashboard(read_snapshot(json.dumps(bundle).encode()))


def test_the_shared_dashboard_draws_the_same_figure_as_the_creator_saw(view):
    shared = _round_trip(view)
    assert shared.patient_id == "A-17"
    assert shared.settings == SETTINGS
    assert shared.sex == "female" and shared.plan == PLAN
    mine = patient_figure(view, SETTINGS, "female")
    theirs = patient_figure(shared.view, shared.settings, shared.sex)
    assert json.loads(theirs.to_json()) == json.loads(mine.to_json())  # every trace, shape and note
    hover = " ".join(str(t.get("hovertext", "")) + str(t.get("text", "")) for t in _traces(theirs))
    assert "cumulative export.csv" in hover  # the file and row a result came from, as on the dashboard


def test_the_shared_dashboard_has_the_same_summary_and_prompts(view):
    shared = _round_trip(view)
    mine, theirs = follow_up(view, SETTINGS), follow_up(shared.view, shared.settings)
    assert _summary(theirs) == _summary(mine)
    # the choice between the blood gas and the laboratory's Hb travels too
    assert shared.view.labs["choice"].str.contains("the laboratory analyser's").any()
    assert shared.view.as_of == AS_OF


def test_a_de_identified_share_keeps_every_value_and_moves_every_date(view):
    shared = _round_trip(view, shift_days=40)
    assert shared.patient_id == ""
    mine, theirs = follow_up(view, SETTINGS), follow_up(shared.view, shared.settings)
    assert theirs.markers["Latest"].tolist() == mine.markers["Latest"].tolist()
    assert theirs.markers["Baseline"].tolist() == mine.markers["Baseline"].tolist()
    assert shared.view.as_of == AS_OF + pd.Timedelta(days=40)
    assert shared.settings.start == SETTINGS.start + pd.Timedelta(days=40)
    assert shared.view.labs["collected_at"].min() == view.labs["collected_at"].min() + pd.Timedelta(days=40)
    text = json.dumps(dashboard_snapshot(view, PLAN, "female", SETTINGS, shift_days=40))
    assert "A-17" not in text and "cumulative export" not in text and "2025-01-03" not in text
    # On the days-since-first-dose axis the results and injections do not move (the plan's monthly
    # dates may move by a day: months differ in length).
    days_figure = _traces(patient_figure(shared.view, shared.settings, shared.sex))
    mine = _traces(patient_figure(view, SETTINGS, "female"))
    given = [t["name"] != "planned blood tests" and t["name"] != "next due" for t in mine]
    assert [(t.get("x"), t.get("y")) for t, keep in zip(days_figure, given, strict=True) if keep] == \
        [(t.get("x"), t.get("y")) for t, keep in zip(mine, given, strict=True) if keep]
