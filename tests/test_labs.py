"""Lab exports in, canonical labs out: what a clinician would see from realistic small exports."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from b12core import DateOrderNeeded, InputError, import_labs, merge_imports, propose_mapping, read_file
from b12core.accounting import NO_PATIENT_ID
from b12core.labs import LABS_COLUMNS, code_dictionary_hint
from b12core.mapping import DictionaryEntry
from b12core.units import canonical
from tests.conftest import assert_accounted, import_text, raw_csv, xlsx_bytes

US_LONG = """Patient ID,Collection Date,Test Name,Result,Units,Reference Range,Flag
MRN004417,03/14/2024 08:30 AM,Hemoglobin,9.1,g/dL,13.5-17.5,L
MRN004417,03/14/2024 08:30 AM,MCV,112,fL,80-100,H
MRN004417,03/14/2024 08:30 AM,Vitamin B12,<150,pg/mL,232-1245,L
MRN004417,03/14/2024 08:30 AM,WBC,6.1,10*3/uL,4.0-11.0,
MRN004417,03/14/2024 08:30 AM,Intrinsic Factor Antibody,Positive,,Negative,A
MRN004417,04/02/2024 09:00 AM,Vitamin B12,>2000,pg/mL,232-1245,H
MRN004417,04/02/2024 09:00 AM,Vitamin B12,QNS,pg/mL,232-1245,
MRN004417,04/02/2024 09:00 AM,Hemoglobin,10.2,g/dL,13.5-17.5,L
"""


def row(labs: pd.DataFrame, analyte: str, n: int = 0) -> pd.Series:
    return labs[labs["analyte"] == analyte].iloc[n]


def test_us_long_export_end_to_end():
    imp = import_text(US_LONG, "us.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "duplicates", "rejected"]].tolist() == [8, 5, 2, 0, 1]
    labs = imp.labs
    assert list(labs.columns) == list(LABS_COLUMNS)
    hb = row(labs, "hemoglobin")
    assert (hb["patient_id"], hb["value"], hb["unit"], hb["reported_value"], hb["reported_unit"]) == \
        ("MRN004417", 91.0, "g/L", "9.1", "g/dL")
    assert hb["collected_at"] == pd.Timestamp("2024-03-14 08:30")
    assert (hb["ref_low"], hb["ref_high"], hb["reported_flag"]) == (135.0, 175.0, "L")
    b12 = labs[labs["analyte"] == "b12"]
    assert b12["qualifier"].tolist() == ["<", ">"]
    assert b12["value"].tolist() == canonical([150 * 0.737795, 2000 * 0.737795]).tolist()
    assert "date order from file (month-first)" in hb["notes"]
    assert imp.unknown_names[["name", "rows"]].values.tolist() == [["Intrinsic Factor Antibody", 1]]
    assert imp.ignored_names[["name", "rows"]].values.tolist() == [["WBC", 1]]
    rejected = imp.rejections.iloc[0]
    assert rejected["source_row"] == 7 and "'QNS' is not a number" in rejected["reason"]
    assert json.loads(rejected["raw"]) == {
        "Patient ID": "MRN004417", "Collection Date": "04/02/2024 09:00 AM", "Test Name": "Vitamin B12",
        "Result": "QNS", "Units": "pg/mL", "Reference Range": "232-1245", "Flag": ""}


def test_dtypes_are_the_canonical_ones():
    labs = import_text(US_LONG).labs
    assert str(labs["collected_at"].dtype) == "datetime64[ns]"
    assert isinstance(labs["analyte"].dtype, pd.CategoricalDtype)
    assert labs["value"].dtype == "float64" and labs["source_row"].dtype == "int64"
    assert labs["patient_id"].dtype == "str"


def test_european_semicolon_latin1_decimal_comma_and_hb_in_mmol():
    text = ("Patientennummer;Abnahmedatum;Untersuchung;Ergebnis;Einheit;Referenzbereich\n"
            "0004711;14.03.2024 08:15;Hämoglobin;7,4;mmol/l;7,5 - 10,0\n"
            "0004711;14.03.2024 08:15;Homocystein;24,1;µmol/l;< 15\n"
            "0004711;02.04.2024 08:15;MCV;101,2;fl;80 - 96\n")
    imp = import_labs(raw_csv(text, "eu.csv", encoding="latin-1"))
    assert_accounted(imp)
    labs = imp.labs
    hb = row(labs, "hemoglobin")
    assert hb["patient_id"] == "0004711"
    assert hb["value"] == canonical(7.4 * 16.1145)
    assert hb["ref_low"] == canonical(7.5 * 16.1145)
    assert row(labs, "homocysteine")["value"] == 24.1 and row(labs, "homocysteine")["ref_high"] == 15
    assert row(labs, "mcv")["collected_at"] == pd.Timestamp("2024-04-02 08:15")
    assert any("decimal comma" in n for n in imp.notes["eu.csv"])


def test_wide_export_with_units_in_headers_counts_filled_cells_only():
    text = ("NHS Number,Specimen Date,Haemoglobin (g/L),MCV (fL),Serum B12 (ng/L),Platelets (10*9/L),Comment\n"
            "943 476 5919,14/03/2024,84,118,98,150,baseline\n"
            "943 476 5919,21/03/2024,92,,,,\n")
    imp = import_text(text, "uk.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored"]].tolist() == [5, 4, 1]
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "mcv", "b12", "hemoglobin"]
    assert row(labs, "b12")["value"] == canonical(98 * 0.737795)
    assert row(labs, "b12")["reported_name"] == "Serum B12 (ng/L)"
    assert row(labs, "hemoglobin", 1)["source_row"] == 2
    assert row(labs, "hemoglobin", 1)["collected_at"] == pd.Timestamp("2024-03-21")


def test_wide_cells_padded_with_spaces_are_read_and_reported_as_written():
    text = ("NHS Number,Specimen Date,Haemoglobin (g/L),MCV (fL)\n"
            "9434765919,14/03/2024,84, 118 \n"
            "9434765919,21/03/2024, 92 ,101.4\n")
    labs = import_text(text, "uk.csv").labs
    assert labs["reported_value"].tolist() == ["84", " 118 ", " 92 ", "101.4"]
    assert labs["value"].tolist() == pytest.approx([84.0, 118.0, 92.0, 101.4])


def test_wide_cells_without_spaces_are_reported_as_written():
    text = "NHS Number,Specimen Date,Haemoglobin (g/L),MCV (fL)\n9434765919,14/03/2024,84,118\n"
    labs = import_text(text, "uk.csv").labs
    assert labs["reported_value"].tolist() == ["84", "118"]
    assert labs["reported_name"].tolist() == ["Haemoglobin (g/L)", "MCV (fL)"]


def test_units_row_under_the_header_of_a_wide_export():
    text = "Patient,Date,Hb,B12\n,,g/dL,pmol/L\np1,2024-03-14,9.5,80\n"
    labs = import_text(text).labs
    assert labs["value"].tolist() == pytest.approx([95.0, 80.0])


def test_unknown_names_can_be_mapped_or_ignored_by_the_caller():
    text = "Test,Result,Unit,Date\nHaemoglobin-X,12.5,g/dL,2024-01-02\nFoo,3,U,2024-01-02\n"
    first = import_text(text)
    assert sorted(first.unknown_names["name"]) == ["Foo", "Haemoglobin-X"]
    mapped = import_text(text, name_map={"Haemoglobin-X": "hemoglobin", "Foo": "ignore"})
    assert_accounted(mapped)
    assert mapped.labs["value"].tolist() == [125.0]
    assert "mapped to hemoglobin by you" in mapped.labs["notes"].iat[0]
    assert mapped.unknown_names.empty and mapped.ignored_names["name"].tolist() == ["Foo"]


@pytest.mark.parametrize("code,name,outcome", [
    ("718-7", "Hemoglobin [Mass/volume] in Blood", "accepted"),
    ("718-7", "", "accepted"),
    ("14685-6", "Vitamin B12", "accepted"),  # bad check digit, recognised by name
    ("14685-6", "", "rejected"),  # bad check digit of a tracked test's code, no name to confirm it
    ("5895-7", "INR(PT)", "ignored"),  # bad check digit of a test we do not track (MIMIC-IV INR)
    ("5895-7", "", "ignored"),
    ("14685-2", "Reticulocyte count", "rejected"),  # code and name disagree
    ("6690-2", "Leukocytes", "ignored"),  # valid LOINC, untracked
    ("2170-9", "Vitamin B12", "accepted"),  # wrong but valid code: name decides
])
def test_loinc_codes_first_then_names(code, name, outcome):
    unit = "pmol/L" if "B12" in name or code.startswith("14685") else "g/dL"
    imp = import_text(f"DATE,PATIENT,CODE,DESCRIPTION,VALUE,UNITS\n2024-01-02,p1,{code},{name},150,{unit}\n"
                      if unit == "pmol/L" else
                      f"DATE,PATIENT,CODE,DESCRIPTION,VALUE,UNITS\n2024-01-02,p1,{code},{name},12.5,{unit}\n")
    assert_accounted(imp)
    assert imp.counts.iloc[0][outcome] == 1


def test_untracked_test_with_a_bad_check_digit_is_ignored_and_listed():
    text = ("SUBJECT_ID,CHARTTIME,LOINC,LABEL,VALUE,UNITS\n"
            "10001,2180-05-06 22:25:00,5895-7,INR(PT),1.2,\n"
            "10001,2180-05-06 22:25:00,5895-7,INR(PT),1.4,\n"
            "10001,2180-05-06 22:25:00,718-7,Hemoglobin,11.2,g/dL\n")
    imp = import_text(text)
    assert_accounted(imp)
    assert imp.rejections.empty
    assert imp.counts.iloc[0][["accepted", "ignored", "rejected"]].tolist() == [1, 2, 0]
    listed = imp.ignored_names.set_index("name")["rows"]
    assert listed.to_dict() == {"INR(PT) (LOINC 5895-7, not tracked; fails its check digit)": 2}
    nameless = import_text("DATE,PATIENT,CODE,VALUE\n2024-01-02,p1,5895-7,1.2\n2024-01-02,p1,6690-2,7.1\n")
    assert sorted(nameless.ignored_names["name"]) == ["LOINC 5895-7 (not tracked; fails its check digit)",
                                                      "LOINC 6690-2 (not tracked)"]


def test_check_digit_failure_is_explained():
    imp = import_text("DATE,PATIENT,CODE,VALUE,UNITS\n2024-01-02,p1,13964-6,300,nmol/L\n")
    assert "13964-6 fails its check digit (13964-2 would pass)" in imp.rejections["reason"].iat[0]


def test_local_codes_resolved_through_a_dictionary():
    text = "SUBJECT_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n10120,51222,2115-05-13 14:53:00,8.9,g/dL\n" \
           "10120,51010,2115-05-13 14:53:00,GREATER THAN 2000,pg/mL\n"
    without = import_text(text)
    assert sorted(without.unknown_names["name"]) == ["51010", "51222"]
    dictionary = {"51222": DictionaryEntry("Hemoglobin", "718-7"), "51010": DictionaryEntry("Vitamin B12", "2170-9")}
    imp = import_text(text, dictionary=dictionary)
    assert imp.labs["analyte"].tolist() == ["hemoglobin", "b12"]
    assert imp.labs["collected_at"].iat[0] == pd.Timestamp("2115-05-13 14:53")
    assert imp.labs["qualifier"].tolist() == ["", ">"]


def test_missing_unit_inferred_from_range_only_when_unambiguous():
    imp = import_text("Date,Test,Result\n2024-01-02,Hb,84\n2024-01-09,Hb,92\n2024-01-02,B12,300\n")
    assert_accounted(imp)
    hb = imp.labs[imp.labs["analyte"] == "hemoglobin"]
    assert hb["value"].tolist() == [84.0, 92.0]
    assert hb["notes"].str.contains("unit g/L inferred from the range of values").all()
    assert "could be" in imp.rejections["reason"].iat[0]


def test_active_b12_reported_in_nmol_per_litre_is_converted_to_pmol_per_litre():
    text = ("Patient ID,Collection Date,Test Name,Result,Units,Reference Range\n"
            "P-9,2025-02-03,Active B12,0.033,nmol/L,0.025-0.165\n"
            "P-9,2025-03-03,Active B12,48,nmol/L,25-165\n")
    imp = import_text(text, "holotc.csv")
    assert_accounted(imp)
    active = row(imp.labs, "holotc")
    assert (active["value"], active["unit"], active["reported_value"], active["reported_unit"]) == \
        (33.0, "pmol/L", "0.033", "nmol/L")
    assert (active["ref_low"], active["ref_high"]) == (25.0, 165.0)
    assert imp.rejections["reason"].tolist() == [
        "Active B12 (holotranscobalamin) 48 nmol/L is implausible; was it pmol/L?"]


def test_implausible_value_rejected_with_a_guess_at_the_unit():
    imp = import_text("Date,Test,Result,Unit\n2024-01-02,Hb,135,g/dL\n")
    assert imp.rejections["reason"].iat[0] == "Hemoglobin 135 g/dL is implausible; was it g/L?"


def test_file_without_patient_column_is_one_patient():
    labs = import_text("Date,Test,Result,Unit\n2024-01-02,Hb,13.5,g/dL\n").labs
    assert labs["patient_id"].tolist() == [NO_PATIENT_ID]


def test_empty_patient_id_in_a_multi_patient_file_is_rejected():
    imp = import_text("Patient ID,Date,Test,Result,Unit\np1,2024-01-02,Hb,13.5,g/dL\n,2024-01-02,Hb,12,g/dL\n")
    assert imp.rejections["reason"].tolist() == ["no patient id"]


def test_ambiguous_dates_ask_and_the_answer_is_used():
    text = "Date,Test,Result,Unit\n01/02/2024,Hb,13.5,g/dL\n03/04/2024,Hb,12,g/dL\n"
    with pytest.raises(DateOrderNeeded):
        import_text(text)
    labs = import_text(text, date_order="dmy").labs
    assert labs["collected_at"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]
    assert "dmy as chosen" in labs["notes"].iat[0]


def test_untracked_rows_do_not_need_readable_dates():
    imp = import_text("Date,Test,Result,Unit\n2024-01-02,Hb,13.5,g/dL\nnot a date,WBC,6,10*9/L\n")
    assert imp.counts.iloc[0][["accepted", "ignored", "rejected"]].tolist() == [1, 1, 0]


def test_minute_offsets_become_relative_times_with_a_note():
    text = "patientunitstayid,labresultoffset,labname,labresult,labresulttext,labmeasurenameinterface\n" \
           "758779,877,Hgb,7.8,7.8,g/dL\n758779,-289,MCV,91.0,91,U3\n"
    imp = import_text(text)
    labs = imp.labs
    assert labs["collected_at"].tolist() == [pd.Timestamp("2000-01-01 14:37"), pd.Timestamp("1999-12-31 19:11")]
    assert labs["notes"].str.contains("minutes after admission").all()
    assert labs["unit"].tolist() == ["g/L", "fL"]


def test_no_date_column_keeps_results_without_a_date():
    labs = import_text("SEQN,LBXMMA,LBXHCY\n21005,0.065,7.11\n").labs
    assert labs["value"].tolist() == pytest.approx([65.0, 7.11])
    assert labs["collected_at"].isna().all()
    assert labs["notes"].str.contains("no collection date in file").all()


def test_same_result_twice_in_a_file_is_kept_once():
    text = "Patient,Date,Test,Result,Unit\np,2024-01-02,Hb,13.5,g/dL\np,2024-01-02,Hb,13.5,g/dL\n" \
           "p,2024-01-02,Hb,135,g/L\np,2024-01-02,Hb,12.9,g/dL\n"
    imp = import_text(text)
    assert_accounted(imp)
    assert imp.counts.iloc[0][["accepted", "duplicates"]].tolist() == [2, 2]
    assert sorted(imp.labs["value"]) == [129.0, 135.0]
    assert imp.labs["source_row"].tolist() == [1, 4]


def test_overlapping_exports_merge_and_count_duplicates_per_file():
    a = import_text("Patient,Date,Test,Result,Unit\np,2024-01-02,Hb,13.5,g/dL\np,2024-02-02,Hb,14,g/dL\n", "a.csv")
    b = import_text("Patient,Date,Test,Result,Unit\np,2024-02-02,Hb,140,g/L\np,2024-03-02,Hb,14.5,g/dL\n", "b.csv")
    merged = merge_imports([a, b])
    assert_accounted(merged)
    assert len(merged.labs) == 3
    assert merged.counts.set_index("source_file")["duplicates"].to_dict() == {"a.csv": 0, "b.csv": 1}
    again = merge_imports([merged, b])
    assert len(again.labs) == 3


def test_values_reported_in_two_units_are_one_result():
    # NHANES reports B12 in pg/mL and again in pmol/L: one result, the other a duplicate.
    imp = import_text("SEQN,LBXB12,LBDB12SI\n21005,294,216.97\n21006,45849,33836.56\n")
    assert imp.counts.iloc[0][["accepted", "duplicates"]].tolist() == [2, 2]


def test_rows_the_reader_could_not_split_are_rejections():
    imp = import_labs(read_file(b"Date,Test,Result,Unit\n2024-01-02,Hb,13.5,g/dL\n2024-01-03,Hb,13,5,g/dL\n", "x.csv"))
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "rejected"]].tolist() == [2, 1, 1]
    assert "unquoted" in imp.rejections["reason"].iat[0]


AWKWARD = 'said "QNS" \\ see C:/lab\tnote é 😀 \x01 <b>&'


def test_rejected_rows_keep_every_character_of_their_cells():
    text = ("Patient ID,Date,Test,Result,Units\n"
            f'P1,2024-03-01,Hemoglobin,"{AWKWARD.replace(chr(34), chr(34) * 2)}",g/L\n'
            "P1,2024-03-01,Hemoglobin,131,g/L\n")
    imp = import_text(text, "awkward.csv")
    (raw,) = imp.rejections["raw"]
    assert json.loads(raw) == {"Patient ID": "P1", "Date": "2024-03-01", "Test": "Hemoglobin",
                               "Result": AWKWARD, "Units": "g/L"}


def test_rejected_cell_of_a_wide_export_keeps_its_row_context_only():
    text = ("Patient,Date,Hemoglobin,MCV\n"
            f'P1,2024-03-01,"{AWKWARD.replace(chr(34), chr(34) * 2)}",90\n'
            "P1,not a date,131,\n")
    imp = import_text(text, "wide.csv")
    raws = [json.loads(r) for r in imp.rejections.sort_values("source_row")["raw"]]
    assert raws == [{"Patient": "P1", "Date": "2024-03-01", "Hemoglobin": AWKWARD},
                    {"Patient": "P1", "Date": "not a date", "Hemoglobin": "131"}]


CODE_ONLY = ("SUBJECT_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n"
             "10120,51222,2115-05-13 14:53:00,8.9,g/dL\n"
             "10120,51010,2115-05-13 14:53:00,726,pg/mL\n"
             "10120,51010,2115-05-20 09:00:00,992,pg/mL\n"
             "10120,50811,2115-05-20 09:00:00,9.1,g/dL\n")


def test_a_code_only_export_says_its_code_dictionary_belongs_beside_it():
    imp = import_text(CODE_ONLY, name="LABEVENTS.csv")
    note = code_dictionary_hint(imp.unknown_names)
    assert note == ("3 tests are named only by numeric codes (51010, 51222, 50811): give the lab's code "
                    "dictionary beside the file (for MIMIC exports, D_LABITEMS) so that they can be recognised")
    assert note in imp.notes["LABEVENTS.csv"]
    dictionary = {"51222": DictionaryEntry("Hemoglobin", "718-7"), "51010": DictionaryEntry("Vitamin B12", "2170-9"),
                  "50811": DictionaryEntry("Hemoglobin", "718-7")}
    with_dictionary = import_text(CODE_ONLY, name="LABEVENTS.csv", dictionary=dictionary)
    assert code_dictionary_hint(with_dictionary.unknown_names) == ""
    assert not any("numeric codes" in n for n in with_dictionary.notes["LABEVENTS.csv"])
    named = import_text("Patient,Date,Test,Result\nP1,2024-01-02,Foo,3\n")
    assert code_dictionary_hint(named.unknown_names) == ""

# --- exports that name tests and reference ranges as their labs print them (hand-written) ----------

def as_written(expected: float | tuple[float, ...]) -> float | tuple[float, ...]:
    """Converted values as the import keeps them: 6 significant digits."""
    if isinstance(expected, tuple):
        return tuple(canonical(list(expected)).tolist())
    return float(canonical(expected))


FRENCH_EXPORT = (
    "N° patient;Date de prélèvement;Analyse;Résultat;Unité;Valeurs de référence\n"
    "FR-0042;14/03/2024;Hémoglobine;10,2;g/dL;13,0 - 17,0\n"
    "FR-0042;14/03/2024;VGM;108;fL;80 - 100\n"
    "FR-0042;14/03/2024;Vitamine B12;145;pg/mL;197 à 771\n"
    "FR-0042;14/03/2024;Folates sériques;5,1;ng/mL;3,9 à 26,8\n"
    "FR-0042;14/03/2024;Leucocytes;6,2;G/L;4,0 - 10,0\n"
    "FR-0042;11/04/2024;Vitamine B12;>2000;pg/mL;197 à 771\n"
)


def test_french_export_with_decimal_comma_and_valeurs_de_reference():
    imp = import_labs(raw_csv(FRENCH_EXPORT, "bilan.csv", encoding="latin-1"))
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [6, 5, 1, 0]
    assert imp.mappings["bilan.csv"].roles["ref_range"] == "Valeurs de référence"
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "mcv", "b12", "folate", "b12"]
    hb = row(labs, "hemoglobin")
    assert (hb["patient_id"], hb["value"], hb["unit"], hb["ref_low"], hb["ref_high"]) == \
        ("FR-0042", 102.0, "g/L", 130.0, 170.0)
    assert hb["reported_name"] == "Hémoglobine" and hb["collected_at"] == pd.Timestamp("2024-03-14")
    assert (row(labs, "mcv")["value"], row(labs, "mcv")["ref_high"]) == (108.0, 100.0)
    b12 = row(labs, "b12")
    assert b12["value"] == as_written(145 * 0.737795)
    assert (b12["ref_low"], b12["ref_high"]) == as_written((197 * 0.737795, 771 * 0.737795))
    folate = row(labs, "folate")
    assert folate["reported_name"] == "Folates sériques" and folate["unit"] == "nmol/L"
    assert (folate["value"], folate["ref_low"], folate["ref_high"]) == as_written(
        (5.1 * 2.2655, 3.9 * 2.2655, 26.8 * 2.2655))
    assert (row(labs, "b12", 1)["qualifier"], row(labs, "b12", 1)["value"]) == (">", as_written(2000 * 0.737795))
    assert imp.unknown_names.empty and imp.ignored_names["name"].tolist() == ["Leucocytes"]


GERMAN_EXPORT = (
    "Patientennummer;Abnahmedatum;Untersuchung;Ergebnis;Einheit;Normalbereich\n"
    "0815;17.06.2024;Hämoglobin;11,8;g/dl;13,5 - 17,5\n"
    "0815;17.06.2024;MCV;104;fl;80 - 96\n"
    "0815;17.06.2024;Vitamin B12;160;pg/ml;197 - 771\n"
    "0815;17.06.2024;Holotranscobalamin;21;pmol/l;> 50\n"
    "0815;17.06.2024;Methylmalonsäure (Serum);412;nmol/l;< 271\n"
    "0815;17.06.2024;Folsäure;4,1;ng/ml;3,9 - 26,8\n"
    "0815;17.06.2024;Leukozyten;5,9;/nl;4,0 - 10,0\n"
)


def test_german_export_with_normalbereich_and_names_with_specimen_in_brackets():
    imp = import_labs(raw_csv(GERMAN_EXPORT, "befund.csv", encoding="latin-1"))
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [7, 6, 1, 0]
    assert imp.mappings["befund.csv"].roles["ref_range"] == "Normalbereich"
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "mcv", "b12", "holotc", "mma", "folate"]
    assert labs["patient_id"].unique().tolist() == ["0815"]
    assert (row(labs, "hemoglobin")["value"], row(labs, "hemoglobin")["ref_low"]) == (118.0, 135.0)
    holotc = row(labs, "holotc")
    assert (holotc["value"], holotc["unit"], holotc["ref_low"]) == (21.0, "pmol/L", 50.0)
    assert np.isnan(holotc["ref_high"])
    mma = row(labs, "mma")
    assert (mma["reported_name"], mma["value"], mma["ref_high"]) == ("Methylmalonsäure (Serum)", 412.0, 271.0)
    assert row(labs, "folate")["value"] == as_written(4.1 * 2.2655)
    assert imp.unknown_names.empty and imp.ignored_names["name"].tolist() == ["Leukozyten"]


DUTCH_EXPORT = (
    "Patientnummer;Afnamedatum;Bepaling;Uitslag;Eenheid;Referentie\n"
    "NL-77;21-05-2024;Hemoglobine;6,9;mmol/l;8,5 - 11,0\n"
    "NL-77;21-05-2024;MCV;103;fl;80 - 100\n"
    "NL-77;21-05-2024;Vitamine B12;118;pmol/l;148 - 600\n"
    "NL-77;21-05-2024;Methylmalonzuur;0,62;µmol/l;< 0,40\n"
    "NL-77;21-05-2024;Foliumzuur;11;nmol/l;> 6,8\n"
    "NL-77;21-05-2024;Vitamine B12, actief;19;pmol/l;> 35\n"
    "NL-77;21-05-2024;Leukocyten;5,1;10^9/l;4,0 - 10,0\n"
)


def test_dutch_export_with_referentie_column_and_hb_in_mmol():
    imp = import_labs(raw_csv(DUTCH_EXPORT, "uitslagen.csv"))
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [7, 6, 1, 0]
    assert imp.mappings["uitslagen.csv"].roles["ref_range"] == "Referentie"
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "mcv", "b12", "mma", "folate", "holotc"]
    hb = row(labs, "hemoglobin")
    assert (hb["value"], hb["ref_low"], hb["ref_high"]) == as_written((6.9 * 16.1145, 8.5 * 16.1145, 11 * 16.1145))
    mma = row(labs, "mma")
    assert (mma["value"], mma["unit"], mma["ref_high"]) == (pytest.approx(620.0), "nmol/L", pytest.approx(400.0))
    assert (row(labs, "folate")["value"], row(labs, "folate")["ref_low"]) == (11.0, 6.8)
    assert row(labs, "holotc")["reported_name"] == "Vitamine B12, actief"
    assert row(labs, "b12")["value"] == 118.0
    assert imp.unknown_names.empty and imp.ignored_names["name"].tolist() == ["Leukocyten"]


US_REPORT = (  # a commercial lab's PDF report turned into CSV: performing-lab codes and footnote marks
    "Patient ID,Date Collected,Test,Result,Flag,Units,Reference Interval,Lab\n"
    "PT-1001,01/18/2024,Hemoglobin ¹,10.9,L,g/dL,13.0-17.7,01\n"
    "PT-1001,01/18/2024,MCV (a),106,H,fL,79-97,01\n"
    "PT-1001,01/18/2024,Vitamin B12 01,182,L,pg/mL,232-1245,01\n"
    'PT-1001,01/18/2024,"Folate (Folic Acid), Serum 01",6.2,,ng/mL,>3.0,01\n'
    'PT-1001,01/18/2024,"Methylmalonic Acid, Serum 02",512,H,nmol/L,0-378,02\n'
    "PT-1001,01/18/2024,Homocyst(e)ine 02 A,18.4,H,umol/L,0.0-14.5,02\n"
    "PT-1001,01/18/2024,WBC 01,7.1,,x10E3/uL,3.4-10.8,01\n"
    "PT-1001,01/18/2024,Intrinsic Factor Antibody 02,Negative,,,Negative,02\n"
    "PT-1001,02/29/2024,Folate *,14.8,,ng/mL,>3.0,01\n"
    "PT-1001,02/29/2024,Hemoglobin 02 A,12.1,L,g/dL,13.0-17.7,02\n"
)


def test_us_commercial_lab_report_with_lab_codes_and_footnote_marks():
    imp = import_text(US_REPORT, "report.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [10, 8, 2, 0]
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "mcv", "b12", "folate", "mma", "homocysteine",
                                        "folate", "hemoglobin"]
    assert labs["reported_name"].tolist()[:3] == ["Hemoglobin ¹", "MCV (a)", "Vitamin B12 01"]
    hb = row(labs, "hemoglobin")
    assert (hb["value"], hb["ref_low"], hb["ref_high"], hb["reported_flag"]) == (109.0, 130.0, 177.0, "L")
    b12 = row(labs, "b12")
    assert (b12["value"], b12["ref_low"]) == as_written((182 * 0.737795, 232 * 0.737795))
    folate = row(labs, "folate")
    assert (folate["value"], folate["ref_low"]) == as_written((6.2 * 2.2655, 3.0 * 2.2655))
    assert np.isnan(folate["ref_high"])
    assert (row(labs, "mma")["value"], row(labs, "mma")["ref_high"]) == (512.0, 378.0)
    assert row(labs, "homocysteine")["value"] == 18.4
    assert row(labs, "hemoglobin", 1)["collected_at"] == pd.Timestamp("2024-02-29")
    assert imp.unknown_names["name"].tolist() == ["Intrinsic Factor Antibody 02"]
    assert imp.ignored_names["name"].tolist() == ["WBC 01"]


# --- admission, stay and visit ids are not patient ids (hand-written exports) ----------------------

# A LABEVENTS-like export with only the admission id: two admissions (one of them an outpatient row
# without any id), as MIMIC-III LABEVENTS reaches people without SUBJECT_ID.
ADMISSION_ONLY = ("HADM_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n"
                  "100001,51222,2150-01-02 08:00:00,9.1,g/dL\n"
                  "100002,51222,2150-06-02 08:00:00,10.4,g/dL\n"
                  ",51222,2150-07-02 08:00:00,11.0,g/dL\n")
HB_ONLY = {"51222": DictionaryEntry("Hemoglobin", "718-7")}


@pytest.mark.parametrize(("header", "patient"), [
    ("HADM_ID", None), ("patientunitstayid", None), ("Encounter ID", None), ("Visit Number", None),
    ("Fallnummer", None), ("Numéro de séjour", None), ("Opnamenummer", None), ("stay_id", None),
    ("Patient Visit ID", None),  # names a patient but holds visits: a visit id
    ("subject_id", "subject_id"), ("uniquepid", "uniquepid"), ("MRN", "MRN"),
])
def test_an_admission_or_stay_column_is_never_taken_as_the_patient_by_its_header(header, patient):
    mapping = propose_mapping(raw_csv(f"{header},Date,Test,Result,Unit\n4711,2024-01-02,Hb,13.5,g/dL\n"))
    assert mapping.roles.get("patient_id") == patient
    assert mapping.roles.get("encounter_id") == (None if patient else header)
    if not patient:
        assert header in mapping.reasons["encounter_id"]


def test_a_patient_column_wins_beside_an_admission_column_and_nothing_is_said():
    text = ("subject_id,hadm_id,itemid,charttime,value,valueuom\n"
            "10120,100001,51222,2150-01-02 08:00:00,9.1,g/dL\n10120,100002,51222,2150-06-02 08:00:00,10.4,g/dL\n")
    mapping = propose_mapping(raw_csv(text))
    assert (mapping.roles["patient_id"], mapping.roles["encounter_id"]) == ("subject_id", "hadm_id")
    imp = import_text(text, name="labevents.csv", dictionary=HB_ONLY)
    assert imp.labs["patient_id"].tolist() == ["10120", "10120"]
    said = " ".join(imp.notes["labevents.csv"]) + " ".join(imp.labs["notes"])
    assert "admission" not in said


def test_results_told_apart_only_by_admission_say_so():
    imp = import_text(ADMISSION_ONLY, name="LABEVENTS.csv", dictionary=HB_ONLY)
    assert_accounted(imp)
    assert imp.labs["patient_id"].tolist() == ["100001", "100002"]  # grouped by admission, as before
    assert imp.notes["LABEVENTS.csv"][-1:] == (
        "patients are told apart by admission id (HADM_ID): one person's results may be split across "
        "admissions; give the admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them",)
    assert not any("belong to one patient" in n for n in imp.notes["LABEVENTS.csv"])
    assert imp.rejections["reason"].tolist() == ["no patient id: the admission id (HADM_ID) is empty"]


def test_a_wide_export_told_apart_by_admission_groups_each_cell_by_its_row():
    imp = import_text("Fall-Nr.,Datum,Hb (g/L),MCV (fL)\nF-1,2024-01-02,131,88\nF-2,2024-02-02,,91\n,2024-03-02,120,\n",
                      name="wide.csv")
    assert_accounted(imp)
    assert list(zip(imp.labs["patient_id"], imp.labs["analyte"], strict=True)) == [
        ("F-1", "hemoglobin"), ("F-1", "mcv"), ("F-2", "mcv")]
    assert imp.rejections["reason"].tolist() == ["no patient id: the admission id (Fall-Nr.) is empty"]
    assert any(n.startswith("patients are told apart by admission id (Fall-Nr.)") for n in imp.notes["wide.csv"])


def test_a_result_cell_that_holds_its_unit_ending_in_litre_is_read_with_it():
    text = ("NHS Number,Sample Date,Investigation,Result\n"
            "943 476 5919,14/01/2025,Haemoglobin,98 g/L\n"
            "943 476 5919,14/01/2025,Serum B12,160 ng/L\n"
            "943 476 5919,14/01/2025,Serum folate,3.1 ug/L\n"
            "943 476 5919,14/02/2025,Haemoglobin,92 g/L L\n")
    imp = import_text(text, "gp_results.csv", date_order="dmy")
    assert_accounted(imp)
    assert imp.rejections.empty
    labs = imp.labs
    assert labs[["analyte", "value", "reported_value", "reported_unit", "reported_flag"]].values.tolist() == [
        ["hemoglobin", 98.0, "98 g/L", "g/L", ""], ["b12", as_written(160 * 0.737795), "160 ng/L", "ng/L", ""],
        ["folate", as_written(3.1 * 2.2655), "3.1 ug/L", "ug/L", ""], ["hemoglobin", 92.0, "92 g/L L", "g/L", "L"]]


# --- the lab's comment column -------------------------------------------------------------------

MIMIC_IV_SHAPED = (  # hand-written in MIMIC-IV labevents' layout: the lab's words in `comments`
    "labevent_id,subject_id,hadm_id,specimen_id,itemid,charttime,storetime,value,valuenum,valueuom,"
    "ref_range_lower,ref_range_upper,flag,priority,comments\n"
    "1,900001,,7001,50925,2150-01-02 08:00:00,2150-01-02 11:00:00,,,ng/mL,2,20,,ROUTINE,GREATER THAN 20 NG/ML.  \n"
    "2,900001,,7001,51283,2150-01-02 08:00:00,2150-01-02 09:00:00,,,%,0.5,2.0,,ROUTINE,<0.5\n"
    "3,900001,,7001,50970,2150-01-02 08:00:00,2150-01-02 12:00:00,,,umol/L,0,15,,ROUTINE,15.2\n"
    "4,900001,,7002,51222,2150-01-03 08:00:00,2150-01-03 09:00:00,,,g/dL,13.5,17.5,,ROUTINE,___\n"
    "5,900001,,7002,51010,2150-01-03 08:00:00,2150-01-03 10:00:00,,,pg/mL,232,1245,,ROUTINE,UNABLE TO REPORT\n"
    "6,900001,,7003,51010,2150-01-04 08:00:00,2150-01-04 10:00:00,,,pg/mL,232,1245,,ROUTINE,"
    "SPECIMEN RECEIVED HEMOLYZED AND OUTSIDE THE STABILITY WINDOW FOR THIS ASSAY.  "
    "PLEASE SEND A NEW SAMPLE IF CLINICALLY INDICATED.\n"
    "7,900001,,7004,51010,2150-01-05 08:00:00,2150-01-05 10:00:00,,,pg/mL,232,1245,,ROUTINE,"
    "<150.  PLEASE NOTE NEW REFERENCE RANGE.\n"
    "8,900001,,7003,51222,2150-01-04 08:00:00,2150-01-04 09:00:00,13.1,13.1,g/dL,13.5,17.5,abnormal,ROUTINE,"
    "VERIFIED BY REPEAT ANALYSIS 12.0.\n"
    "9,900001,,7003,51250,2150-01-04 08:00:00,2150-01-04 09:00:00,QNS,,fL,80,100,,ROUTINE,INSUFFICIENT SAMPLE.\n"
    "10,900001,,7003,51003,2150-01-04 08:00:00,2150-01-04 09:00:00,,,ng/mL,,,,STAT,"
    "<0.01.  CTROPNT > 0.10 NG/ML SUGGESTS ACUTE MI.\n"
)
MIMIC_IV_ITEMS = {"50925": DictionaryEntry("Folate"), "51283": DictionaryEntry("Reticulocyte Count, Automated"),
                  "50970": DictionaryEntry("Homocysteine"), "51222": DictionaryEntry("Hemoglobin"),
                  "51010": DictionaryEntry("Vitamin B12"), "51250": DictionaryEntry("MCV"),
                  "51003": DictionaryEntry("Troponin T")}


def test_a_result_written_only_in_the_labs_comment_is_read_from_it():
    imp = import_labs(raw_csv(MIMIC_IV_SHAPED, "labevents.csv"), dictionary=MIMIC_IV_ITEMS)
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [10, 5, 1, 4]
    labs = imp.labs.set_index("source_row")
    folate = labs.loc[1]
    assert (folate["analyte"], folate["qualifier"], folate["value"]) == ("folate", ">", as_written(20 * 2.2655))
    assert (folate["reported_value"], folate["reported_unit"]) == ("GREATER THAN 20 NG/ML.", "ng/mL")
    assert "result read from the lab's comment" in folate["notes"]
    assert (labs.loc[2, "analyte"], labs.loc[2, "qualifier"], labs.loc[2, "value"]) == ("reticulocytes", "<", 0.5)
    assert (labs.loc[3, "analyte"], labs.loc[3, "qualifier"], labs.loc[3, "value"]) == ("homocysteine", "", 15.2)
    b12 = labs.loc[7]  # the first sentence is the result, the rest the lab's remark
    assert (b12["qualifier"], b12["value"]) == ("<", as_written(150 * 0.737795))
    hb = labs.loc[8]  # a result of its own: the comment is only a remark
    assert (hb["value"], hb["reported_value"]) == (131.0, "13.1")
    assert "comment" not in hb["notes"]
    for source_row in (1, 2, 3, 7):
        assert "result read from the lab's comment" in labs.loc[source_row, "notes"]
    reasons = dict(zip(imp.rejections["source_row"], imp.rejections["reason"], strict=True))
    assert reasons == {
        4: "no result value",  # "___": the de-identified comment says nothing
        5: 'no result value (the lab wrote: "UNABLE TO REPORT")',
        6: 'no result value (the lab wrote: "SPECIMEN RECEIVED HEMOLYZED AND OUTSIDE THE STABILITY WINDOW FOR '
           'THIS ASSAY…")',
        9: "result 'QNS' is not a number (the lab wrote: \"INSUFFICIENT SAMPLE.\")",
    }
    assert imp.unknown_names["name"].tolist() == ["Troponin T"]  # ignored until someone maps it


def test_a_comment_column_under_its_local_names_is_read_too():
    text = ("Patientennummer;Abnahmedatum;Untersuchung;Ergebnis;Einheit;Kommentar\n"
            "0004711;14.03.2024;Folsäure;;ng/ml;>20,0 ng/ml\n"
            "0004711;14.03.2024;Vitamin B12;;pg/ml;Material hämolytisch\n")
    imp = import_labs(raw_csv(text, "befund.csv"))
    assert_accounted(imp)
    folate = row(imp.labs, "folate")
    assert (folate["qualifier"], folate["value"]) == (">", as_written(20 * 2.2655))
    assert imp.rejections["reason"].tolist() == ['no result value (the lab wrote: "Material hämolytisch")']


@pytest.mark.parametrize("text,expected", [
    ("N° patient;Date de prélèvement;Analyse;Résultat;Unité;Valeurs de référence;Commentaire\n"
     "P-17;2025-03-04;Folates sériques;;ng/mL;3,9 - 26,8;SUPERIEUR A 24 NG/ML\n"
     "P-17;2025-03-04;Vitamine B12;;pmol/L;145 - 637;inférieur à 111\n",
     {"folate": (">", 24 * 2.2655), "b12": ("<", 111)}),
    ("Patientennummer;Abnahmedatum;Untersuchung;Ergebnis;Einheit;Referenzbereich;Kommentar\n"
     "0815;2025-03-04;Ferritin;;ng/ml;15 - 150;kleiner 5\n"
     "0815;2025-03-04;Vitamin B12;;pmol/l;145 - 569;größer als 1476\n",
     {"ferritin": ("<", 5), "b12": (">", 1476)}),
    ("Patiëntnummer;Afnamedatum;Bepaling;Uitslag;Eenheid;Referentie;Opmerking\n"
     "NL-3;2025-03-04;Foliumzuur;;nmol/L;> 7,0;groter dan 45,4 nmol/L\n"
     "NL-3;2025-03-04;Vitamine B12;;pmol/L;150 - 700;kleiner dan 50\n",
     {"folate": (">", 45.4), "b12": ("<", 50)}),
])
def test_a_censored_result_in_words_of_the_labs_language_is_read_from_its_comment(text, expected):
    imp = import_text(text, "befund.csv")
    assert_accounted(imp)
    assert imp.rejections.empty, imp.rejections["reason"].tolist()
    for analyte, (qualifier, value) in expected.items():
        result = row(imp.labs, analyte)
        assert (result["qualifier"], result["value"]) == (qualifier, as_written(value))
        assert "result read from the lab's comment" in result["notes"]


def test_a_wide_rows_comment_is_about_its_specimen_and_quoted_for_no_one_cell():
    text = ("NHS Number,Specimen Date,Haemoglobin (g/L),Serum B12 (ng/L),Comment\n"
            "943 476 5919,14/03/2024,QNS,180,Haemolysed sample\n")
    imp = import_text(text, "wide.csv")
    assert_accounted(imp)
    assert imp.mappings["wide.csv"].roles["comment"] == "Comment"
    assert imp.labs["analyte"].tolist() == ["b12"]
    assert imp.rejections["reason"].tolist() == ["result 'QNS' is not a number"]


# --- the lines a report prints above its table --------------------------------------------------

RESULTS_REVIEW = (  # an EHR "Results Review" screen copied to CSV: a 4-line title block, no id or date column
    "Results Review\n"
    "Name: DOE, JANE (MRN 0042)\n"
    "Date Collected: 03/14/2024 08:30\n"
    '"Printed: 03/20/2024, 17:05"\n'
    "Test,Result,Units,Ref Range,Flag\n"
    "Hemoglobin,9.1,g/dL,13.5-17.5,L\n"
    "MCV,112,fL,80-100,H\n"
    "Vitamin B12,<150,pg/mL,232-1245,L\n"
    "WBC,6.1,x10E3/uL,3.4-10.8,\n"
)


def test_an_ehr_copy_takes_its_patient_and_collection_date_from_the_lines_above_the_table():
    imp = import_text(RESULTS_REVIEW, "results_review.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [4, 3, 1, 0]
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["0042", "0042", "0042"]
    assert labs["collected_at"].tolist() == [pd.Timestamp("2024-03-14 08:30")] * 3
    assert labs["notes"].str.contains("collection date from the line above the table", regex=False).all()
    notes = imp.notes["results_review.csv"]
    assert 'patient id 0042 taken from the line above the table "Name: DOE, JANE (MRN 0042)"' in notes
    assert 'collection date taken from the line above the table "Date Collected: 03/14/2024 08:30"' in notes
    assert not any("no patient id column" in n or "no collection date" in n for n in notes)


COMMERCIAL_LAB_REPORT = (  # a commercial lab's report turned into CSV by a spreadsheet (empty cells kept)
    "ACME Reference Laboratories,,,,\n"
    "Final Report,,,,\n"
    "Patient ID: 12345,,,,\n"
    '"Patient: DOE, JANE    DOB: 01/02/1960",,,,\n'
    "Date Collected: 03/14/2024 08:30    Date Received: 03/14/2024 12:10,,,,\n"
    "Test Name,Result,Units,Reference Range,Result comment\n"
    "Hemoglobin,12.1,g/dL,12.0-15.5,\n"
    "Folate,,,>3.0,GREATER THAN 20 NG/ML.\n"
    "Vitamin B12,,pg/mL,232-1245,UNABLE TO REPORT\n"
)


def test_a_commercial_lab_report_with_its_header_block_and_result_comments():
    imp = import_text(COMMERCIAL_LAB_REPORT, "acme.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [3, 2, 0, 1]
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["12345", "12345"]
    assert labs["collected_at"].tolist() == [pd.Timestamp("2024-03-14 08:30")] * 2
    assert row(labs, "hemoglobin")["value"] == 121.0
    folate = row(labs, "folate")
    assert (folate["qualifier"], folate["value"], folate["unit"]) == (">", as_written(20 * 2.2655), "nmol/L")
    assert (folate["reported_value"], folate["reported_unit"]) == ("GREATER THAN 20 NG/ML.", "NG/ML")
    assert "result read from the lab's comment" in folate["notes"]
    assert "collection date from the line above the table" in folate["notes"]
    rejected = imp.rejections.iloc[0]
    assert (rejected["source_row"], rejected["reason"]) == (3, 'no result value (the lab wrote: "UNABLE TO REPORT")')
    notes = imp.notes["acme.csv"]
    assert 'patient id 12345 taken from the line above the table "Patient ID: 12345"' in notes
    assert ('collection date taken from the line above the table '
            '"Date Collected: 03/14/2024 08:30 Date Received: 03/14/2024 12:10"') in notes


OWN_PATIENT_COLUMN = (  # the table names its patient and dates; the block only fills an empty date cell
    "Cumulative report,,,,,\n"
    "Patient ID: 99999,,,,,\n"
    "Date Collected: 03/14/2024 08:30,,,,,\n"
    "Patient ID,Collection Date,Test,Result,Units,Reference Range\n"
    "P-1,03/01/2024 09:00,Hemoglobin,9.1,g/dL,13.5-17.5\n"
    "P-1,,Hemoglobin,10.4,g/dL,13.5-17.5\n"
    "P-1,03/21/2024 09:00,Vitamin B12,180,pg/mL,232-1245\n"
)


def test_the_tables_own_patient_and_dates_win_over_the_lines_above_it():
    imp = import_text(OWN_PATIENT_COLUMN, "cumulative.csv")
    assert_accounted(imp)
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["P-1", "P-1", "P-1"]
    assert labs["collected_at"].tolist() == [pd.Timestamp("2024-03-01 09:00"), pd.Timestamp("2024-03-14 08:30"),
                                             pd.Timestamp("2024-03-21 09:00")]
    from_block = labs["notes"].str.contains("collection date from the line above the table", regex=False)
    assert from_block.tolist() == [False, True, False]
    assert not any("taken from the line above" in n and "99999" in n for n in imp.notes["cumulative.csv"])
    assert any(n.startswith('the line above the table "Patient ID: 99999" names patient 99999, but')
               for n in imp.notes["cumulative.csv"])  # two ids for one table: said, the column's kept
    for block in ("Printed", "Date Collected: 03/45/2024"):  # no date above the table, or one that is no date
        without = import_text(OWN_PATIENT_COLUMN.replace("Date Collected: 03/14/2024 08:30", block))
        assert without.rejections["reason"].tolist() == ["no collection date"]
        assert not without.labs["notes"].str.contains("above the table", regex=False).any()


def test_a_workbook_report_names_its_patient_and_collection_date_in_cells_above_the_table():
    data = xlsx_bytes([
        ["Cumulative report"],
        ["Patient ID:", "12345"],
        ["Date Collected:", dt.datetime(2024, 3, 14, 8, 30), None, "Ward 5"],
        ["Test", "Result", "Units", "Reference range", "Flag"],
        ["Hemoglobin", 9.1, "g/dL", "13.5-17.5", "L"],
        ["MCV", 112, "fL", "80-100", "H"],
    ])
    imp = import_labs(read_file(data, "report.xlsx"))
    assert imp.labs["patient_id"].tolist() == ["12345", "12345"]
    assert imp.labs["collected_at"].tolist() == [pd.Timestamp("2024-03-14 08:30")] * 2
    assert 'collection date taken from the line above the table "Date Collected: 2024-03-14 08:30:00 Ward 5"' \
        in imp.notes["report.xlsx"]


def test_a_workbooks_computed_result_is_reported_as_the_spreadsheet_shows_it():
    data = xlsx_bytes([
        ["Patient ID", "Date", "Test", "Result", "Units", "Low", "High"],
        ["P1", "2025-01-09", "Reticulocytes", 0.1 + 0.7, "%", 0.5, 2.5],
    ])
    retic = import_labs(read_file(data, "noise.xlsx")).labs.iloc[0]
    assert (retic["value"], retic["reported_value"]) == (0.8, "0.8")


def test_a_workbooks_text_ranges_with_decimal_commas_are_read_beside_numeric_results():
    data = xlsx_bytes([
        ["Patientennummer", "Entnahmedatum", "Untersuchung", "Ergebnis", "Einheit", "Referenzbereich"],
        ["4711", dt.datetime(2025, 2, 14, 7, 30), "Hämoglobin", 10.9, "g/dl", "12,0 - 16,0"],
        ["4711", dt.datetime(2025, 2, 14, 7, 30), "Folsäure", 3.1, "ng/ml", "> 3,9"],
        ["4711", dt.datetime(2025, 2, 14, 7, 30), "Vitamin B12", 118, "pmol/l", "145 - 569"],
    ])
    imp = import_labs(read_file(data, "befund.xlsx"))
    labs = imp.labs
    assert not labs["notes"].str.contains("reference range not read", regex=False).any()
    hb, folate = row(labs, "hemoglobin"), row(labs, "folate")
    assert (hb["value"], hb["ref_low"], hb["ref_high"]) == (109.0, 120.0, 160.0)
    assert (folate["ref_low"], np.isnan(folate["ref_high"])) == (as_written(3.9 * 2.2655), True)


def test_the_patient_named_above_the_table_wins_over_an_admission_column():
    text = ("Cumulative report\nPatient ID: 0042\n"
            "HADM_ID,Collection Date,Test Name,Result,Units\n"
            "100001,2150-01-02,Hemoglobin,91,g/L\n100002,2150-06-02,Hemoglobin,104,g/L\n")
    imp = import_text(text, name="report.csv")
    assert imp.labs["patient_id"].tolist() == ["0042", "0042"]
    notes = imp.notes["report.csv"]
    assert any(n.startswith("patient id 0042 taken from the line above the table") for n in notes)
    assert not any("told apart by admission" in n for n in notes)


def test_a_column_chosen_that_the_file_lacks_is_named_in_words():
    from b12core.mapping import ColumnMapping
    raw = raw_csv("Patient,Date,Test,Result\nP1,2024-01-02,Hb,12\n", "lab.csv")
    mapping = ColumnMapping("long", {"encounter_id": "HADM_ID", "collected_at": "Date", "test_name": "Test",
                                     "value": "Result"})
    with pytest.raises(InputError, match="column 'HADM_ID' chosen for the admission or stay id is not in the file"):
        import_labs(raw, mapping)


def test_an_empty_patient_cell_takes_the_id_written_above_the_table():
    text = ("Patient ID: 55555\n"
            "MRN,Date,Test,Result,Units\n"
            "55555,2025-02-03,Hemoglobin,9.8,g/dL\n"
            ",2025-02-03,MCV,104,fL\n")
    imp = import_text(text, "report.csv")
    assert_accounted(imp)
    assert imp.labs["patient_id"].tolist() == ["55555", "55555"]
    assert imp.labs["notes"].tolist()[1] == "patient id from the line above the table"
    assert imp.counts.iloc[0]["rejected"] == 0


def test_an_id_above_the_table_that_the_patient_column_contradicts_is_said():
    text = ("Patient ID: 11111\n"
            "MRN,Date,Test,Result,Units\n"
            "22222,2025-02-03,Hemoglobin,9.8,g/dL\n")
    imp = import_text(text, "report.csv")
    assert imp.labs["patient_id"].tolist() == ["22222"]
    assert ('the line above the table "Patient ID: 11111" names patient 11111, but the patient id column (MRN) '
            "holds other ids: each row keeps its own") in imp.notes["report.csv"]


def test_a_second_report_in_the_same_file_is_never_given_the_first_reports_patient():
    text = ("Patient ID: 11111\n"
            "Date Collected: 2025-03-01\n"
            "Test,Result,Units\n"
            "Hemoglobin,9.2,g/dL\n"
            "\n"
            "Patient ID: 22222\n"
            "Date Collected: 2025-03-02\n"
            "Test,Result,Units\n"
            "Hemoglobin,14.8,g/dL\n")
    imp = import_text(text, "two_reports.csv")
    assert_accounted(imp)
    assert imp.labs[["patient_id", "value"]].values.tolist() == [["11111", 92.0]]
    reasons = imp.rejections.set_index("source_row")["reason"]
    why = ('after a second report\'s heading in the file (row 2: "Patient ID: 22222"): only the first report of a '
           "file is read; save each report to a file of its own")
    assert reasons.loc[2] == why and reasons.loc[5] == why  # data rows: the empty line is not one
    assert "22222" not in " ".join(imp.unknown_names["name"])


# --- Spanish, Italian, French and UK patient numbers (hand-written exports) -------------------------

SPANISH_TWO_PATIENTS = (
    "NHC;Fecha de extracción;Prueba;Resultado;Unidades;Valor de referencia\n"
    "100200;05/02/2025;Hemoglobina;10,1;g/dL;12 - 16\n"
    "100200;05/02/2025;Vitamina B12;150;pg/mL;211 - 911\n"
    "100200;05/02/2025;Potasio;3,3;mmol/L;3,5 - 5,1\n"
    "100300;05/02/2025;Hemoglobina;14,5;g/dL;12 - 16\n"
    "100300;05/02/2025;Reticulocitos;1,1;%;0,5 - 2,0\n"
    "100200;28/02/2025;Hemoglobina;11,4;g/dL;12 - 16\n"
)


def test_a_spanish_export_keeps_its_patients_apart_by_nhc_and_reads_the_resultado_column():
    imp = import_text(SPANISH_TWO_PATIENTS, "resultados.csv")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [6, 6, 0, 0]
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["100200", "100200", "100200", "100300", "100300", "100200"]
    assert labs["analyte"].tolist() == ["hemoglobin", "b12", "potassium", "hemoglobin", "reticulocytes",
                                        "hemoglobin"]
    hb = row(labs, "hemoglobin")
    assert (hb["value"], hb["unit"], hb["ref_low"], hb["ref_high"]) == (101.0, "g/L", 120.0, 160.0)
    assert row(labs, "b12")["value"] == as_written(150 * 0.737795)
    assert (row(labs, "potassium")["value"], row(labs, "potassium")["ref_low"]) == (3.3, 3.5)
    assert row(labs, "reticulocytes")["value"] == 1.1
    assert imp.unknown_names.empty


def test_an_italian_export_keeps_its_patients_apart_by_codice_paziente():
    imp = import_text("Codice paziente;Data prelievo;Esame;Risultato;Unità di misura\n"
                      "700451;04/02/2025;Vitamina B12 sierica;120;pg/mL\n"
                      "700452;04/02/2025;Potassio;3,8;mEq/L\n"
                      "700451;27/02/2025;Reticolociti;2,4;%\n", "referti.csv")
    assert_accounted(imp)
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["700451", "700452", "700451"]
    assert labs["analyte"].tolist() == ["b12", "potassium", "reticulocytes"]
    assert labs["value"].tolist() == [as_written(120 * 0.737795), 3.8, 2.4]
    assert labs["collected_at"].tolist() == [pd.Timestamp("2025-02-04"), pd.Timestamp("2025-02-04"),
                                             pd.Timestamp("2025-02-27")]


def test_a_french_export_by_ipp_with_serique_names():
    imp = import_text("IPP;Date de prélèvement;Examen;Résultat;Unité\n"
                      "800123;03/02/2025;Vitamine B12 sérique;110;pmol/L\n"
                      "800123;03/02/2025;Ferritine sérique;8;µg/L\n"
                      "800456;14/02/2025;Potassium (Kaliémie);3,2;mmol/L\n", "bilan.csv")
    assert_accounted(imp)
    labs = imp.labs
    assert labs["patient_id"].tolist() == ["800123", "800123", "800456"]
    assert labs["analyte"].tolist() == ["b12", "ferritin", "potassium"]
    assert labs["value"].tolist() == [110.0, 8.0, 3.2]
    assert imp.unknown_names.empty


@pytest.mark.parametrize("header,ids", [
    ("Unit No", ["K123456", "K654321"]), ("CHI Number", ["0101501234", "0202602345"]),
])
def test_a_uk_unit_or_chi_number_is_the_patient_and_never_a_unit(header, ids):
    imp = import_text(f"{header},Specimen Date,Test,Result,Units\n"
                      f"{ids[0]},2025-01-10,Haemoglobin,98,g/L\n{ids[1]},2025-01-10,Haemoglobin,141,g/L\n")
    assert_accounted(imp)
    assert imp.rejections.empty
    assert imp.labs["patient_id"].tolist() == ids and imp.labs["value"].tolist() == [98.0, 141.0]


def test_a_wide_export_with_the_unit_after_each_test_name_without_brackets():
    imp = import_text("Hospital Number,Specimen Date,Hb g/L,B12 ng/L,Folate ug/L,MCV fL\n"
                      "RX7,2025-01-10,96,140,2.9,108\nRX7,2025-03-10,121,,,97\n")
    assert_accounted(imp)
    labs = imp.labs
    assert labs["analyte"].tolist() == ["hemoglobin", "b12", "folate", "mcv", "hemoglobin", "mcv"]
    assert labs["patient_id"].unique().tolist() == ["RX7"]
    assert labs["value"].tolist() == [96.0, as_written(140 * 0.737795), as_written(2.9 * 2.2655), 108.0, 121.0, 97.0]
    assert labs["reported_unit"].tolist()[:4] == ["g/L", "ng/L", "ug/L", "fL"]


def test_an_id_column_under_an_unknown_header_keeps_patients_apart_and_says_why():
    imp = import_text("Client ID;Data prelievo;Esame;Risultato;Unità di misura\n"
                      "IT-3;04/02/2025;Emoglobina;9,6;g/dL\nIT-4;04/02/2025;Emoglobina;14,2;g/dL\n"
                      "IT-3;27/02/2025;Emoglobina;11,0;g/dL\n", "referti.csv")
    assert_accounted(imp)
    assert imp.labs["patient_id"].tolist() == ["IT-3", "IT-4", "IT-3"]
    assert imp.labs["value"].tolist() == [96.0, 142.0, 110.0]
    assert "Client ID" in imp.mappings["referti.csv"].reasons["patient_id"]


def test_a_file_without_a_patient_column_names_a_column_of_ids_it_did_not_take_for_patients():
    imp = import_text("Member Number,Collection Date,Test,Result,Units\n"
                      "880011,2025-01-10,Hemoglobin,10.1,g/dL\n880012,2025-03-10,Hemoglobin,12.0,g/dL\n", "acct.csv")
    assert imp.labs["patient_id"].unique().tolist() == [NO_PATIENT_ID]
    note = next(n for n in imp.notes["acct.csv"] if n.startswith("no patient id column"))
    assert "'Member Number' holds 2 different ids ('880011', '880012')" in note
    assert "choose it as the patient column" in note


def test_the_patient_named_above_the_table_wins_over_a_guessed_id_column():
    imp = import_text("Patient ID: 12345\nClient ID,Collection Date,Test,Result,Units\n"
                      "A-1,2025-01-10,Hemoglobin,10.1,g/dL\nA-2,2025-01-10,Hemoglobin,12.0,g/dL\n"
                      "A-1,2025-03-10,Hemoglobin,11.0,g/dL\n", "report.csv")
    assert imp.labs["patient_id"].unique().tolist() == ["12345"]


@pytest.mark.parametrize(("result", "comment", "value", "qualifier"), [
    ("See comment", "Result: 104 fL. Verified by smear.", 104.0, ""),
    ("see comments", ">2000 pg/mL. Patient on supplementation.", 1475.59, ">"),
    ("Siehe Kommentar", "Ergebnis: 98 fL", 98.0, ""),
    ("voir commentaire", "< 150 pg/mL", 110.669, "<"),
])
def test_a_result_that_points_to_the_comment_is_read_from_it(result, comment, value, qualifier):
    test, unit = ("MCV", "fL") if "fL" in comment else ("Vitamin B12", "pg/mL")
    imp = import_text(f"MRN,Collected,Test,Result,Units,Result comment\n"
                      f"K1,2025-02-03 09:00,{test},{result},{unit},{comment}\n", "comments.csv")
    assert_accounted(imp)
    assert imp.labs[["value", "qualifier"]].values.tolist() == [[pytest.approx(value), qualifier]]
    assert imp.labs["notes"].iloc[0] == "result read from the lab's comment"


@pytest.mark.parametrize("header", ["Comentario", "Comentarios", "Commento", "Note del laboratorio"])
def test_spanish_and_italian_comment_columns_are_read(header):
    imp = import_text(f"NHC;Fecha;Prueba;Resultado;Unidades;{header}\n"
                      "48213;20/02/2025;Hemoglobina;ver comentario;g/dL;Resultado: 11,8 g/dL\n"
                      "48213;20/02/2025;Ferritina;;ng/mL;menor de 5\n", "analitica.csv")
    assert imp.labs[["analyte", "value", "qualifier"]].values.tolist() == [["hemoglobin", 118.0, ""],
                                                                          ["ferritin", 5.0, "<"]]


@pytest.mark.parametrize(("first", "second"), [
    ('"Patient Name: DOE, JANE",,\nMRN: 0042,,', '"Patient Name: SMITH, JOHN",,'),
    ("Unit No: M000123,,", "Unit No: M000456,,"),
    ("IPP: 800123,,", "IPP: 800456,,"),
])
def test_a_second_reports_name_or_number_inside_the_table_ends_the_first_report(first, second):
    text = (f"{first}\nTest,Result,Units,Collected\nHemoglobin,10.2,g/dL,2025-01-15\n"
            f"{second}\nHemoglobin,14.2,g/dL,2025-02-20\n")
    imp = import_text(text, "reports.csv")
    assert_accounted(imp)
    assert imp.labs["value"].tolist() == [102.0]
    assert imp.labs["patient_id"].iloc[0] in ("0042", "M000123", "800123")
    assert imp.rejections["reason"].str.startswith("after a second report's heading in the file").all()


def test_a_test_named_like_a_heading_is_no_second_report():
    imp = import_text("Patient ID: 0042\nTest,Result,Units,Collected\nHemoglobin,10.2,g/dL,2025-01-15\n"
                      "Patient temperature,37.0,Cel,2025-01-15\nMCV,104,fL,2025-01-15\n", "report.csv")
    assert imp.labs["analyte"].tolist() == ["hemoglobin", "mcv"]
    assert imp.rejections.empty


@pytest.mark.parametrize(("test", "unit", "comment", "value", "qualifier"), [
    ("Vitamina B12", "pg/mL", "Superior a 2000", 2000 / 1.355, ">"),
    ("Ferritina", "ng/mL", "menos de 5", 5.0, "<"),
    ("Ferritin", "ng/mL", "unter 5", 5.0, "<"),
    ("Vitamin B12", "pmol/L", "über 1476", 1476.0, ">"),
    ("Vitamine B12", "pmol/L", "meer dan 1476", 1476.0, ">"),
    ("Ferritina", "ng/mL", "meno di 5", 5.0, "<"),
    ("Vitamine B12", "pmol/L", "plus de 1476", 1476.0, ">"),
])
def test_more_and_less_than_words_in_the_comment_are_read(test, unit, comment, value, qualifier):
    imp = import_text("MRN,Collected,Test,Result,Units,Result comment\n"
                      f"K1,2025-02-03 09:00,{test},,{unit},{comment}\n", "comments.csv")
    assert imp.rejections.empty, imp.rejections["reason"].tolist()
    result = imp.labs.iloc[0]
    assert (result["qualifier"], result["value"]) == (qualifier, pytest.approx(value, rel=1e-3))


def test_a_decimal_comma_in_the_comment_of_a_decimal_point_file_is_read_when_unambiguous():
    imp = import_text("MRN,Collected,Test,Result,Units,Result comment\n"
                      "K1,2025-02-03 09:00,Haemoglobin,12.5,g/dL,\n"
                      "K1,2025-02-03 09:00,Ferritin,,ng/mL,\"kleiner dan 4,0\"\n"
                      "K1,2025-02-03 09:00,Vitamin B12,,pmol/L,\"kleiner dan 1,250\"\n", "comments.csv")
    ferritin, b12 = row(imp.labs, "ferritin"), row(imp.labs, "b12")
    assert (ferritin["qualifier"], ferritin["value"]) == ("<", 4.0)
    assert (b12["qualifier"], b12["value"]) == ("<", 1250.0)  # '1,250' is a thousands comma in this file


def test_french_reticulocytes_per_mille_are_read_as_a_tenth_of_a_percent():
    imp = import_text("N° patient;Date de prélèvement;Analyse;Résultat;Unité\n"
                      "P-17;2025-03-04;Réticulocytes;85;‰\n", "bilan.csv")
    assert imp.rejections.empty, imp.rejections["reason"].tolist()
    retic = row(imp.labs, "reticulocytes")
    assert (retic["value"], retic["unit"], retic["reported_value"], retic["reported_unit"]) == (8.5, "%", "85", "‰")


def test_a_small_file_is_imported_on_the_calling_thread_and_gives_what_the_threads_give(monkeypatch):
    """A file of fewer than ``THREADED_RECORDS`` records is imported without starting a thread (a
    second thread cost an upload more than it saved); forced onto the threads, the same file gives
    the same results, rejections and notes."""
    import threading

    from b12core import labs

    text = ("Patient ID,Test,Result,Units,Collected,Ref Range\n"
            "P1,Hemoglobin,98,g/L,2025-01-03 08:10,120-160\n"
            "P1,Vitamin B12,>2000,ng/L,2025-01-03 08:10,180-900\n"
            "P1,MCV,abc,fL,2025-01-03 08:10,80-100\n"
            "P2,Hemoglobin,13.1,g/dL,2025-02-30 09:00,\n"
            "P2,Sodium,140,mmol/L,2025-02-03 09:00,135-145\n")
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self.name) or real_start(self))
    inline = import_text(text)
    assert started == []
    monkeypatch.setattr(labs, "THREADED_RECORDS", 0)
    threaded = import_text(text)
    assert started  # the threads ran this time
    for table in ("labs", "rejections", "counts", "unknown_names", "ignored_names"):
        pd.testing.assert_frame_equal(getattr(inline, table), getattr(threaded, table))
    assert inline.notes == threaded.notes
    assert inline.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [5, 2, 1, 2]


@pytest.mark.parametrize("header", ["Patientennr", "Patientennr.", "Patienten-Nr.", "Patienten-Nr"])
def test_a_german_patient_number_header_keeps_each_patient_apart(header):
    """A cumulative report of several patients whose id column is written 'Patientennr.': read as
    the patient id, never as one patient made of three."""
    text = (f"{header};Entnahme;Analyt;Wert;Einheit\n"
            "SM-101;05.05.2026;Hämoglobin;9,1;g/dL\n"
            "SM-202;02.03.2026;Hämoglobin;13,9;g/dL\n"
            "SM-303;14.10.2026;Vitamin B12;<50;pg/mL\n")
    imp = import_labs(raw_csv(text, "report.csv"))
    assert_accounted(imp)
    assert imp.mappings["report.csv"].roles["patient_id"] == header
    assert imp.labs["patient_id"].tolist() == ["SM-101", "SM-202", "SM-303"]
