"""Two results of one test at one time that differ (a blood-gas Hb beside the analyser's Hb; two
specimens): both kept and drawn, told apart by specimen or source where the file says so, and the
summary and prompts use the laboratory analyser's result (else the first in the file) and say which.

Every file here is written for the test, in the shapes labs export: a specimen column, a MIMIC-like
code-only export with its code dictionary (fluid and category), a wide export with a sample-type
column, and a file that does not say where its results came from.
"""

from __future__ import annotations

import pandas as pd
import pytest

from b12core import read_file
from b12core.coincident import LABORATORY, POINT_OF_CARE, UNKNOWN, specimen_kind
from b12core.display import ViewSettings
from b12core.figures import trend_figure
from b12core.labs import import_labs
from b12core.mapping import propose_mapping, read_dictionary
from b12core.summary import follow_up, markers_html
from b12core.workspace import build_workspace, patient_view

DOSES = ("doses.csv", (
    b"Patient ID,Date,Drug,Dose,Route\n"
    b"P7,02/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
    b"P7,04/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
    b"P7,07/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
    b"P7,09/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
    b"P7,11/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
    b"P7,14/01/2025,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"))

# An ICU patient: the blood gas Hb is written first in the file, the haematology analyser's second.
WITH_SPECIMEN = (
    "Patient ID,Collected,Test,Result,Units,Specimen type\n"
    "P7,01/01/2025 08:00,Haemoglobin,92,g/L,Haematology\n"
    "P7,20/01/2025 08:00,Haemoglobin,121,g/L,Haematology\n"
    "P7,03/02/2025 09:10,Haemoglobin,13.4,g/dL,Blood gas\n"
    "P7,03/02/2025 09:10,Haemoglobin,104,g/L,Haematology\n"
    "P7,03/02/2025 09:10,MCV,101,fL,Haematology\n")


def workspace(*files: tuple[str, str | bytes]):
    return build_workspace([(n, t.encode() if isinstance(t, str) else t) for n, t in files])


def view(ws, patient: str = "P7", as_of: str = "2025-02-10"):
    return patient_view(ws, patient, as_of=as_of)


def test_specimen_words_tell_a_laboratory_analyser_from_a_point_of_care_one():
    assert specimen_kind("Blood gas") == POINT_OF_CARE
    assert specimen_kind("Blood, Blood Gas") == POINT_OF_CARE  # MIMIC fluid and category
    assert specimen_kind("POCT") == POINT_OF_CARE
    assert specimen_kind("i-STAT cartridge") == POINT_OF_CARE
    assert specimen_kind("Blutgasanalyse") == POINT_OF_CARE
    assert specimen_kind("Blood, Hematology") == LABORATORY
    assert specimen_kind("Haematology") == LABORATORY
    assert specimen_kind("Klinische Chemie") == LABORATORY
    assert specimen_kind("EDTA blood") == LABORATORY
    assert specimen_kind("Blood") == UNKNOWN
    assert specimen_kind("") == UNKNOWN


@pytest.mark.parametrize("header", ["Specimen type", "Sample type", "Specimen source", "Fluid", "Material",
                                    "Materiaal", "Type d'échantillon", "Probenmaterial"])
def test_a_specimen_column_is_read_as_the_specimen(header):
    text = f"Patient ID,Collected,Test,Result,Units,{header}\nP7,2025-01-01,Haemoglobin,92,g/L,Haematology\n"
    raw = read_file(text.encode(), "labs.csv")
    assert propose_mapping(raw).column("specimen") == header
    assert import_labs(raw).labs["specimen"].tolist() == ["Haematology"]


def test_results_that_differ_at_one_time_are_both_kept_with_their_specimen():
    imp = import_labs(read_file(WITH_SPECIMEN.encode(), "icu.csv"))
    hb = imp.labs[imp.labs["analyte"] == "hemoglobin"]
    at = hb[hb["collected_at"] == pd.Timestamp("2025-02-03 09:10")]
    assert at["value"].tolist() == [134.0, 104.0]
    assert at["specimen"].tolist() == ["Blood gas", "Haematology"]
    assert imp.counts[["read", "accepted", "duplicates", "rejected"]].iloc[0].tolist() == [5, 5, 0, 0]


def test_a_code_dictionary_gives_each_code_its_fluid_and_category():
    dictionary = read_dictionary(read_file(
        b"itemid,label,fluid,category,loinc_code\n50811,Hemoglobin,Blood,Blood Gas,\n"
        b"51222,Hemoglobin,Blood,Hematology,718-7\n", "d_labitems.csv"))
    events = (b"subject_id,itemid,charttime,value,valuenum,valueuom\n"
              b"11,51222,2180-05-07 05:05:00,9.1,9.1,g/dL\n"
              b"11,50811,2180-05-07 05:05:00,10.2,10.2,g/dL\n")
    labs = import_labs(read_file(events, "labevents.csv"), dictionary=dictionary).labs
    assert labs["value"].tolist() == [91.0, 102.0]
    assert labs["specimen"].tolist() == ["Blood, Hematology", "Blood, Blood Gas"]


def test_a_wide_export_gives_every_result_of_a_row_its_sample_type():
    text = ("Patient ID,Date,Sample type,Hb (g/L),MCV (fL)\n"
            "P7,2025-02-03 09:10,POCT,131,\n"
            "P7,2025-02-03 09:10,Haematology,104,101\n")
    labs = import_labs(read_file(text.encode(), "wide.csv")).labs
    assert labs[["value", "specimen"]].values.tolist() == [[131.0, "POCT"], [104.0, "Haematology"],
                                                           [101.0, "Haematology"]]


def test_the_summary_uses_the_laboratory_analysers_result_and_says_so():
    v = view(workspace(("icu.csv", WITH_SPECIMEN), DOSES))
    hb = v.summary.set_index("analyte").loc["hemoglobin"]
    assert hb["latest"] == 104.0  # the haematology analyser's, though the blood gas is first in the file
    assert hb["results"] == 4
    assert hb["latest_choice"] == ("2 different results at 09:10 on 03 Feb 2025 (Blood gas, Haematology): the "
                                   "laboratory analyser's (Haematology) is used; both are on the figure.")
    assert hb["baseline_choice"] == ""
    follow = follow_up(v)
    marker = follow.markers.set_index("Short label").loc["Hb (g/L)"]
    assert marker["Latest"] == "104"
    assert marker["Choice note"] == f"Latest: {hb['latest_choice']}"
    html = markers_html(follow.markers)
    assert "Hb (g/L): Latest: 2 different results at 09:10 on 03 Feb 2025 (Blood gas, Haematology)" in html


def test_a_prompt_uses_the_laboratory_analysers_result_and_says_which():
    # Hb 121 g/L on treatment, then at one time a blood gas 134 g/L (first in the file) and the
    # analyser's 104 g/L: a fall well beyond the test's variation, seen only in the analyser's result.
    prompts = view(workspace(("icu.csv", WITH_SPECIMEN), DOSES)).prompts
    falling = prompts[prompts["rule"] == "hb_falling"]
    assert len(falling) == 1
    message = falling["message"].iloc[0]
    assert message.startswith("Review: Hb fell to 104 g/L on 03 Feb 2025")
    assert message.endswith("2 different results at 09:10 on 03 Feb 2025 (Blood gas, Haematology): the "
                            "laboratory analyser's (Haematology) is used; both are on the figure.")


def test_without_a_specimen_the_first_in_the_file_is_used_and_named():
    text = WITH_SPECIMEN.replace(",Specimen type", "").replace(",Haematology", "").replace(",Blood gas", "")
    v = view(workspace(("icu.csv", text), DOSES))
    hb = v.summary.set_index("analyte").loc["hemoglobin"]
    assert hb["latest"] == 134.0
    assert hb["latest_choice"] == (
        "2 different results at 09:10 on 03 Feb 2025, and the file does not say which came from the laboratory "
        "analyser: the first in the file (icu.csv, row 3) is used; both are on the figure.")
    assert (v.prompts["rule"] != "hb_falling").all()


def test_a_point_of_care_result_gives_way_to_one_the_file_does_not_mark():
    text = WITH_SPECIMEN.replace(",Haematology", ",")
    hb = view(workspace(("icu.csv", text), DOSES)).summary.set_index("analyte").loc["hemoglobin"]
    assert hb["latest"] == 104.0
    assert hb["latest_choice"] == ("2 different results at 09:10 on 03 Feb 2025 (Blood gas, not named): the one "
                                   "not from a point-of-care or blood gas analyser is used; both are on the figure.")


def test_both_results_are_drawn_and_the_line_runs_through_the_one_used():
    v = view(workspace(("icu.csv", WITH_SPECIMEN), DOSES))
    fig = trend_figure(v.labs, v.doses, v.phases.phases, ViewSettings(analytes=("hemoglobin",)))
    points = [(y, t) for tr in fig.data if tr.name and tr.name.startswith("hemoglobin ") and tr.mode == "markers"
              for y, t in zip(tr.y, tr.hovertext, strict=True)]
    at = {y: t for y, t in points if "03 Feb 2025" in t}
    assert set(at) == {134.0, 104.0}
    assert "Blood gas" in at[134.0] and "not used in the summary" in at[134.0]
    assert "Haematology" in at[104.0] and "not used" not in at[104.0]
    line = next(tr for tr in fig.data if tr.name == "hemoglobin line")
    assert list(line.y) == [92.0, 121.0, 104.0]


def test_results_that_agree_are_still_one_result():
    text = WITH_SPECIMEN.replace("13.4,g/dL,Blood gas", "10.4,g/dL,Blood gas")
    imp = import_labs(read_file(text.encode(), "icu.csv"))
    assert imp.counts[["accepted", "duplicates"]].iloc[0].tolist() == [4, 1]


def test_a_blood_gas_export_beside_the_lab_export_gives_way_to_the_labs_result():
    gas = ("Patient ID,Sample time,Parameter,Value,Unit,Sample type\n"
           "P7,2025-02-03 09:10,tHb,13.4,g/dL,Arterial blood gas\n"
           "P7,2025-02-03 09:10,pO2,11.2,kPa,Arterial blood gas\n")
    lab = WITH_SPECIMEN.replace(",Specimen type", "").replace(",Haematology", "").replace(",Blood gas", "")
    lab = "\n".join(line for line in lab.splitlines() if "13.4" not in line) + "\n"
    ws = workspace(("blood gas.csv", gas), ("lab.csv", lab), DOSES)
    assert ws.labs.counts.set_index("source_file")[["accepted", "ignored"]].to_dict("index") == {
        "blood gas.csv": {"accepted": 1, "ignored": 1}, "lab.csv": {"accepted": 4, "ignored": 0}}
    hb = view(ws).summary.set_index("analyte").loc["hemoglobin"]
    assert hb["latest"] == 104.0
    assert hb["latest_choice"] == (
        "2 different results at 09:10 on 03 Feb 2025 (Arterial blood gas, not named): the one not from a "
        "point-of-care or blood gas analyser is used; both are on the figure.")


@pytest.mark.parametrize(("header", "values", "role"), [
    ("Specimen", ("Blood gas", "Haematology"), "Specimen"),
    ("Section", ("Blood Gas", "Hematology"), "Section"),
    ("Sample", ("Blood gas", "EDTA blood"), "Sample"),
    ("Muestra", ("Gasometría", "Sangre EDTA"), "Muestra"),
    ("Campione", ("Emogas", "Sangue EDTA"), "Campione"),
    ("Matériel", ("Gaz du sang", "Sang EDTA"), "Matériel"),
    ("Specimen Description", ("Arterial blood gas", "Whole blood"), "Specimen Description"),
    ("Sample", ("S1", "S2"), None),
    ("Specimen", ("S-25-000184", "S-25-000185"), None),  # accession numbers: not where the result was measured
    ("Source", ("12", "13"), None),
])
def test_a_specimen_column_under_a_plain_header_is_read_when_it_holds_words(header, values, role):
    text = (f"Patient ID,Collected,Test,Result,Units,{header}\n"
            f"P7,2025-02-03 09:10,Haemoglobin,13.4,g/dL,{values[0]}\n"
            f"P7,2025-02-03 09:10,Haemoglobin,104,g/L,{values[1]}\n")
    assert propose_mapping(read_file(text.encode(), "labs.csv")).column("specimen") == role


@pytest.mark.parametrize(("values", "duplicates"), [
    (("119", "118"), 0),  # one step in the last digit: two results
    (("10.2 g/dL", "10.3 g/dL", "10.4 g/dL", "10.5 g/dL"), 0),  # a chain of neighbours is not one result either
    (("10.3 g/dL", "102"), 0),
    (("10.4 g/dL", "104"), 1),  # the same result in two units
    (("182 pg/mL", "134 pmol/L"), 1),  # 182 pg/mL is 134.28 pmol/L: the other lab rounded it
    (("183 pg/mL", "134 pmol/L"), 0),  # 135.02 pmol/L: a different result
    (("104", "104.6"), 0),  # 104.6 rounds to 105
    (("104", "104.4"), 1),  # 104.4 rounds to 104
])
def test_only_results_that_agree_within_the_reported_digits_are_one_result(values, duplicates):
    def cell(v: str) -> str:
        number, _, unit = v.partition(" ")
        return f"{number},{unit or 'g/L'}"
    test = "Vitamin B12" if "pg" in values[0] else "Haemoglobin"
    text = "Patient ID,Collected,Test,Result,Units\n" + "".join(
        f"P7,2025-02-03 09:10,{test},{cell(v)}\n" for v in values)
    imp = import_labs(read_file(text.encode(), "labs.csv"))
    assert imp.counts[["accepted", "duplicates"]].iloc[0].tolist() == [len(values) - duplicates, duplicates]


def test_a_dictionary_section_column_says_where_its_codes_are_measured():
    dictionary = read_dictionary(read_file(
        b"Code,Test Name,Department\nHB1,Hemoglobin,Blood Gas\nHB2,Hemoglobin,Haematology\n", "codes.csv"))
    assert {c: e.specimen for c, e in dictionary.items()} == {"HB1": "Blood Gas", "HB2": "Haematology"}
