"""The symptom diary: long and wide, names grouped, scores checked."""

from __future__ import annotations

import pandas as pd

from b12core.symptoms import import_symptoms, symptom_key
from tests.conftest import assert_accounted, raw_csv


def test_wide_diary_with_a_bad_score_and_blank_cells():
    imp = import_symptoms(raw_csv("Date,Fatigue,Pins and needles,Mood\n14/03/2024,8,6,\n21/03/2024,5,x,4\n"
                                  "28/03/2024,11,2,3\n"))
    assert_accounted(imp)
    s = imp.symptoms
    assert s[["symptom", "score"]].values.tolist()[:2] == [["fatigue", 8.0], ["pins_and_needles", 6.0]]
    assert s["recorded_at"].iat[0] == pd.Timestamp("2024-03-14")
    assert sorted(imp.rejections["reason"]) == ["score '11' is not a number from 0 to 10",
                                                 "score 'x' is not a number from 0 to 10"]


def test_long_diary_and_name_grouping():
    s = import_symptoms(raw_csv("Date,Symptom,Score\n2024-01-01,Tiredness,8\n2024-01-08,Brain fog,6\n"
                                "2024-01-08,Restless legs,3\n")).symptoms
    assert s["symptom"].tolist() == ["fatigue", "memory", "restless legs"]
    assert s["reported_symptom"].tolist() == ["Tiredness", "Brain fog", "Restless legs"]


def test_symptom_keys():
    assert symptom_key("Tingling") == "pins_and_needles"
    assert symptom_key("Müdigkeit") == "fatigue"


def test_which_symptoms_are_neurological():
    from b12core.symptoms import neurological_symptoms

    neuro = neurological_symptoms()
    assert {"pins_and_needles", "unsteady_gait", "vision", "confusion", "memory"} <= neuro
    assert not {"fatigue", "mood"} & neuro


def test_gait_balance_vision_and_confusion_names_in_english_and_german():
    assert {symptom_key(n) for n in ("Unsteady gait", "Balance problems", "Gangunsicherheit",
                                     "Gleichgewichtsstörungen")} == {"unsteady_gait"}
    assert {symptom_key(n) for n in ("Blurred vision", "Visual disturbance", "Sehstörungen")} == {"vision"}
    assert {symptom_key(n) for n in ("Confusion", "Verwirrtheit")} == {"confusion"}
    assert symptom_key("Taubheitsgefühl") == "pins_and_needles"
