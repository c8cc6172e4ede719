"""Real third-party lab exports through the importer, as a user would meet them.

The files are byte-exact excerpts in ``tests/fixtures/real`` (origin, licence and how the rows were
chosen: ``SOURCES.md`` there). Every expected number below was worked out by hand from the excerpt
rows, not copied from the importer's output. Row numbers are data rows of the excerpt: 1-based with
the header not counted, which is what ``labs.source_row`` holds.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

import b12core
from b12core.labs import NO_RESULT_ROW
from b12core.units import canonical
from b12core.workspace import Workspace, build_workspace

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"
MIMIC_DIR = REAL / "mimic3_demo"
MIMIC = "mimic3_demo/LABEVENTS_subset__with_SUBJECT_ID_joined_via_ADMISSIONS.csv"
MIMIC_HADM = "mimic3_demo/LABEVENTS_subset__gehealthcare_reduced_columns.csv"
D_LABITEMS = MIMIC_DIR / "D_LABITEMS_subset.csv"
ADMISSIONS = MIMIC_DIR / "ADMISSIONS.csv"
EICU = "eicu_demo_via_pyhealth/lab_subset.csv"
EICU_PATIENT = REAL / "eicu_demo_via_pyhealth" / "patient.csv"
NHANES_DIR = "nhanes_via_shiehy_mma-cancer"
NHANES_2001 = f"{NHANES_DIR}/MMA_B12_B_2001.csv"
NHANES_B12_2003 = f"{NHANES_DIR}/B12_C_2003.csv"
NHANES_MMA_2003 = f"{NHANES_DIR}/MMA_C_2003.csv"
NHANES_MMA_2011 = f"{NHANES_DIR}/MMA_G_2011.csv"
NHANES_B12_2013 = f"{NHANES_DIR}/B12_H_2013.csv"
NHANES_MMA_2013 = f"{NHANES_DIR}/MMA_H_2013.csv"
SYNTHEA = "synthea_andrew-nguyen/observations_hgb_mcv.csv"

# Conversion factors to the canonical units (design.md; b12core/reference/units.csv).
B12_PER_PG_ML = 0.737795  # pmol/L per pg/mL
FOLATE_PER_NG_ML = 2.2655  # nmol/L per ng/mL


class Counts(NamedTuple):
    read: int
    accepted: int
    ignored: int
    duplicates: int
    rejected: int


# Worked out from the excerpts (see the comments; "cells" for the wide NHANES files, where each
# filled test cell is one result and blank cells are no result at all).
EXPECTED_COUNTS = {
    # 108 rows. Rejected: 30 with empty SUBJECT_ID + 3 `UNABLE TO REPORT` (rows 33, 57, 58).
    MIMIC: Counts(read=108, accepted=75, ignored=0, duplicates=0, rejected=33),
    # The same lines with HADM_ID as the patient: the same 30 rows have no id.
    MIMIC_HADM: Counts(read=108, accepted=75, ignored=0, duplicates=0, rejected=33),
    # 80 rows; rows 49, 54 and 80 repeat rows 41, 43 and 79 exactly.
    EICU: Counts(read=80, accepted=77, ignored=0, duplicates=3, rejected=0),
    # 30 people x 18 test columns, 457 filled cells. 234 in untracked columns (cadmium, lead,
    # mercury, RBC folate, cotinine and its comment code). Tracked 223: homocysteine 28, MMA 27,
    # and 28 people each with a (conventional, SI) pair of ferritin, B12 and folate -> 84 repeats.
    NHANES_2001: Counts(read=457, accepted=139, ignored=234, duplicates=84, rejected=0),
    # 24 people: 21 with all 6 cells, 21014 with RBC folate only, 21018 blank, 21051 without RBC
    # folate. 44 RBC folate cells ignored; 22 B12 pairs and 22 folate pairs -> 44 repeats.
    # A person with no result at all (21018, 62221, 73582 below) is one row read and ignored.
    NHANES_B12_2003: Counts(read=133, accepted=44, ignored=45, duplicates=44, rejected=0),
    # Homocysteine 23 (21018 blank), MMA 21 (21008, 21018, 21027 blank).
    # 21018 has no result at all: its row counts once, as ignored.
    NHANES_MMA_2003: Counts(read=45, accepted=44, ignored=1, duplicates=0, rejected=0),
    # 22 people with MMA and the LBDMMALC comment code (ignored); 62221 blank.
    NHANES_MMA_2011: Counts(read=45, accepted=22, ignored=23, duplicates=0, rejected=0),
    # 21 people with LBDB12 + LBDB12SI (one of each pair a repeat); 73582 blank.
    NHANES_B12_2013: Counts(read=43, accepted=21, ignored=1, duplicates=21, rejected=0),
    NHANES_MMA_2013: Counts(read=43, accepted=21, ignored=22, duplicates=0, rejected=0),
    SYNTHEA: Counts(read=14, accepted=14, ignored=0, duplicates=0, rejected=0),
}

EXPECTED_ANALYTES = {
    # Hgb: 13 rows of 51222 + 4 of 50811 with a subject; MCV: 11; B12: 38 - 12 without subject;
    # folate: 33 - 12 without subject.
    MIMIC: {"hemoglobin": 17, "mcv": 11, "b12": 26, "folate": 21},
    MIMIC_HADM: {"hemoglobin": 17, "mcv": 11, "b12": 26, "folate": 21},
    EICU: {"hemoglobin": 34, "mcv": 30, "b12": 8, "folate": 5},
    NHANES_2001: {"homocysteine": 28, "mma": 27, "ferritin": 28, "b12": 28, "folate": 28},
    NHANES_B12_2003: {"b12": 22, "folate": 22},
    NHANES_MMA_2003: {"homocysteine": 23, "mma": 21},
    NHANES_MMA_2011: {"mma": 22},
    NHANES_B12_2013: {"b12": 21},
    NHANES_MMA_2013: {"mma": 21},
    SYNTHEA: {"hemoglobin": 7, "mcv": 7},
}

NHANES_FILES = [NHANES_2001, NHANES_B12_2003, NHANES_MMA_2003, NHANES_MMA_2011, NHANES_B12_2013,
                NHANES_MMA_2013]


# --- helpers -----------------------------------------------------------------------------------

def read_raw(path: Path) -> b12core.RawFile:
    tables = b12core.read_tables(path.read_bytes(), path.name)
    assert len(tables) == 1
    return tables[0]


@cache
def mimic_dictionary():
    return b12core.read_dictionary(read_raw(D_LABITEMS))


@cache
def imported(name: str, with_dictionary: bool = True) -> b12core.LabImport:
    """One excerpt imported on its own (MIMIC files with the D_LABITEMS dictionary)."""
    dictionary = mimic_dictionary() if name.startswith("mimic3_demo/") and with_dictionary else None
    return b12core.import_labs(read_raw(REAL / name), dictionary=dictionary)


def row_of(imp: b12core.LabImport, source_row: int, analyte: str | None = None) -> pd.Series:
    """The single accepted result of a source row (and analyte, for wide files)."""
    labs = imp.labs
    hit = labs[(labs["source_row"] == source_row)
               & ((labs["analyte"] == analyte) if analyte else True)]
    assert len(hit) == 1, f"expected one result for row {source_row} {analyte or ''}, got {len(hit)}"
    return hit.iloc[0]


def analyte_counts(labs: pd.DataFrame) -> dict[str, int]:
    return {k: int(v) for k, v in labs["analyte"].value_counts().items() if v}


def excerpt_rows(name: str) -> list[dict[str, str]]:
    with open(REAL / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def short(name: str) -> str:
    return Path(name).stem


# --- every row accounted for ----------------------------------------------------------------------

@pytest.mark.parametrize("name", list(EXPECTED_COUNTS), ids=short)
def test_every_result_is_accounted_for(name):
    imp = imported(name)
    [counts] = imp.counts.to_dict("records")
    got = Counts(*(int(counts[f]) for f in Counts._fields))
    assert got.read == got.accepted + got.ignored + got.duplicates + got.rejected
    assert got == EXPECTED_COUNTS[name]
    assert len(imp.labs) == got.accepted
    assert len(imp.rejections) == got.rejected
    listed = int(imp.unknown_names["rows"].sum()) + int(imp.ignored_names["rows"].sum())
    assert listed == got.ignored


@pytest.mark.parametrize("name", list(EXPECTED_ANALYTES), ids=short)
def test_accepted_results_per_analyte(name):
    labs = imported(name).labs
    assert analyte_counts(labs) == EXPECTED_ANALYTES[name]
    canonical = {"hemoglobin": "g/L", "mcv": "fL", "b12": "pmol/L", "folate": "nmol/L", "mma": "nmol/L",
                 "homocysteine": "umol/L", "ferritin": "ug/L"}
    assert (labs["unit"] == labs["analyte"].astype("str").map(canonical)).all()


# --- MIMIC-III demo ---------------------------------------------------------------------------------

def test_d_labitems_is_a_dictionary_with_the_wrong_b12_loinc():
    raw = read_raw(D_LABITEMS)
    assert b12core.detect_kind(raw) == "dictionary"
    entry = mimic_dictionary()["51010"]
    assert (entry.name, entry.loinc) == ("Vitamin B12", "2170-9")
    assert set(mimic_dictionary()) == {"50811", "50855", "50925", "50945", "51010", "51222", "51250"}


def test_mimic_hemoglobin_in_g_dl_becomes_g_l():
    r = row_of(imported(MIMIC), 1)
    assert (r.patient_id, r.analyte, r.unit, r.qualifier) == ("10120", "hemoglobin", "g/L", "")
    assert r.value == pytest.approx(89.0)
    assert r.collected_at == pd.Timestamp("2115-05-13 14:53:00")
    assert (r.reported_value, r.reported_unit, r.reported_flag) == ("8.9", "g/dL", "abnormal")
    assert r.source_file == Path(MIMIC).name
    assert row_of(imported(MIMIC), 4).reported_flag == "delta"  # MCV 84 fL of 10117


def test_mimic_blood_gas_hemoglobin_is_hemoglobin():
    imp = imported(MIMIC)
    # Rows 10, 11, 14, 15: item 50811 (Blood Gas) for subject 10126: 9.8, 10.5, 5.3, 5.1 g/dL.
    for source_row, g_l in [(10, 98.0), (11, 105.0), (14, 53.0), (15, 51.0)]:
        r = row_of(imp, source_row)
        assert (r.patient_id, r.analyte) == ("10126", "hemoglobin")
        assert r.value == pytest.approx(g_l)


def test_mimic_b12_is_taken_by_its_name_not_the_wrong_loinc():
    imp = imported(MIMIC)
    r = row_of(imp, 83)  # 42412, 2165-12-22 05:00, 1212 pg/mL, abnormal
    assert (r.patient_id, r.analyte, r.unit) == ("42412", "b12", "pmol/L")
    assert r.value == pytest.approx(1212 * B12_PER_PG_ML)
    assert (r.reported_value, r.reported_unit, r.reported_flag) == ("1212", "pg/mL", "abnormal")
    b12 = imp.labs[imp.labs["analyte"] == "b12"]
    assert b12["notes"].str.contains("2170-9", regex=False).all()  # the user is told about the bad code


def test_mimic_censored_folate_keeps_its_bound_and_qualifier():
    imp = imported(MIMIC)
    # Rows 101 and 103: folate `GREATER THAN 20 NG/ML` (unit column ng/mL) for 40503 and 40655.
    for source_row, patient in [(101, "40503"), (103, "40655")]:
        r = row_of(imp, source_row)
        assert (r.patient_id, r.analyte, r.qualifier) == (patient, "folate", ">")
        assert r.value == pytest.approx(20 * FOLATE_PER_NG_ML)
        assert r.reported_value == "GREATER THAN 20 NG/ML"
    assert (imp.labs["qualifier"] == ">").sum() == 2  # the other 5 censored folates have no subject


def test_mimic_admission_114867_end_to_end():
    labs = imported(MIMIC).labs
    adm = labs[labs["patient_id"] == "42412"].sort_values("collected_at")
    assert len(adm) == 20  # 9 Hgb, 9 MCV, 1 folate, 1 B12
    hgb = adm[adm["analyte"] == "hemoglobin"]
    assert hgb["value"].tolist() == pytest.approx([122, 106, 107, 109, 98, 82, 86, 81, 93])
    assert hgb["collected_at"].iloc[0] == pd.Timestamp("2165-12-19 10:25:00")
    assert hgb["collected_at"].iloc[-1] == pd.Timestamp("2165-12-25 06:00:00")
    mcv = adm[adm["analyte"] == "mcv"]
    assert mcv["value"].tolist() == pytest.approx([81, 78, 79, 82, 80, 80, 85, 83, 82])
    [b12] = adm.loc[adm["analyte"] == "b12", "value"]
    [folate] = adm.loc[adm["analyte"] == "folate", "value"]
    assert b12 == pytest.approx(1212 * B12_PER_PG_ML)
    assert folate == pytest.approx(9 * FOLATE_PER_NG_ML)
    assert adm.loc[adm["analyte"] == "b12", "collected_at"].iloc[0] == pd.Timestamp("2165-12-22 05:00:00")


# Rows of the MIMIC excerpts with neither SUBJECT_ID nor HADM_ID.
MIMIC_NO_ID_ROWS = {5, 6, 7, 8, 9, 16, 17, 24, 30, 31, 37, 41, 42, 50, 51, 52, 53, 55, 56, 65, 68, 69,
                    94, 95, 96, 97, 99, 100, 105, 106}
MIMIC_UNABLE_ROWS = {33, 57, 58}


@pytest.mark.parametrize("name", [MIMIC, MIMIC_HADM], ids=short)
def test_mimic_rejections_say_why(name):
    rejections = imported(name).rejections
    reasons = dict(zip(rejections["source_row"], rejections["reason"], strict=True))
    assert set(reasons) == MIMIC_NO_ID_ROWS | MIMIC_UNABLE_ROWS
    for source_row in MIMIC_UNABLE_ROWS:
        assert "UNABLE TO REPORT" in reasons[source_row]
        assert "not a number" in reasons[source_row]
    for source_row in MIMIC_NO_ID_ROWS:
        assert "patient id" in reasons[source_row]
    assert (rejections["source_file"] == Path(name).name).all()
    assert "UNABLE TO REPORT" in rejections.loc[rejections["source_row"] == 33, "raw"].iloc[0]


def test_mimic_b12_greater_than_2000_has_no_patient():
    # The only `GREATER THAN 2000` B12 (row 69) is an outpatient result: no HADM_ID, so no subject.
    rejections = imported(MIMIC).rejections
    hit = rejections[rejections["source_row"] == 69]
    assert "GREATER THAN 2000" in hit["raw"].iloc[0]
    assert "patient id" in hit["reason"].iloc[0]
    # Read as one person's file (patient and admission columns unmapped) the bound is kept with its qualifier.
    raw = read_raw(REAL / MIMIC)
    mapping = b12core.propose_mapping(raw).with_role("patient_id", None).with_role("encounter_id", None)
    r = row_of(b12core.import_labs(raw, mapping, dictionary=mimic_dictionary()), 69)
    assert (r.analyte, r.qualifier, r.unit) == ("b12", ">", "pmol/L")
    assert r.value == pytest.approx(2000 * B12_PER_PG_ML)


def test_mimic_reduced_columns_give_the_same_results_per_admission():
    joined, reduced = imported(MIMIC).labs, imported(MIMIC_HADM).labs
    assert row_of(imported(MIMIC_HADM), 83).patient_id == "114867"
    same = ["source_row", "collected_at", "analyte", "value", "unit", "qualifier", "reported_value"]
    pd.testing.assert_frame_equal(joined[same].reset_index(drop=True), reduced[same].reset_index(drop=True))
    rows = excerpt_rows(MIMIC_HADM)
    assert all(r.patient_id == rows[r.source_row - 1]["HADM_ID"] for r in reduced.itertuples())


def workspace_of(*paths: Path) -> Workspace:
    return build_workspace([(p.name, p.read_bytes()) for p in paths])


def test_mimic_admissions_give_the_subjects_of_the_joined_file():
    """LABEVENTS with HADM_ID only, beside ADMISSIONS: each admission becomes its subject, row for row
    as in the file the real-data collector joined on HADM_ID. The 28 admissions of the excerpt are
    28 subjects (SOURCES.md); the 30 rows without HADM_ID stay rejected."""
    ws = workspace_of(REAL / MIMIC_HADM, D_LABITEMS, ADMISSIONS)
    assert [(f.name, f.kind) for f in ws.files] == [
        (Path(MIMIC_HADM).name, "labs"), (D_LABITEMS.name, "dictionary"), ("ADMISSIONS.csv", "admissions")]
    labs = ws.labs.labs.sort_values("source_row")
    joined = imported(MIMIC).labs.sort_values("source_row")
    assert labs["source_row"].tolist() == joined["source_row"].tolist()
    assert labs["patient_id"].tolist() == joined["patient_id"].tolist()
    assert len(ws.patients) == 28
    assert row_of(ws.labs, 83).patient_id == "42412"  # admission 114867
    assert row_of(ws.labs, 83).notes.endswith("patient found through ADMISSIONS.csv (admission id 114867)")
    [link] = ws.encounter_links
    assert (link.column, link.linked, link.patients, link.unlisted) == ("HADM_ID", 28, 28, ())
    assert len(ws.labs.rejections) == 33  # as before: 30 without any id, 3 UNABLE TO REPORT


def test_eicu_patient_file_joins_unit_stays_into_13_people():
    """16 unit stays in the lab excerpt are 13 people by eICU's uniquepid (SOURCES.md)."""
    alone = workspace_of(REAL / EICU)
    assert len(alone.patients) == 16
    ws = workspace_of(REAL / EICU, EICU_PATIENT)
    assert ws.files[1].kind == "admissions"
    assert len(ws.patients) == 13
    stay = {n: r["patientunitstayid"] for n, r in enumerate(excerpt_rows(EICU), start=1)}
    people = {}
    for r in ws.labs.labs.itertuples():
        people.setdefault(r.patient_id, set()).add(stay[r.source_row])
    assert people["006-10109"] == {"654286", "654287"}
    assert people["006-100065"] == {"758779", "859032"}
    assert people["031-10130"] == {"3152779", "3153894"}
    assert sum(len(s) for s in people.values()) == 16
    [link] = ws.encounter_links
    assert (link.column, link.through, link.linked, link.patients, link.unlisted) == (
        "patientunitstayid", "patient.csv", 16, 13, ())


def test_mimic_without_dictionary_lists_item_ids_with_row_counts():
    imp = imported(MIMIC, with_dictionary=False)
    assert imp.labs.empty and imp.rejections.empty
    unknown = dict(zip(imp.unknown_names["name"], imp.unknown_names["rows"], strict=True))
    assert unknown == {"51222": 17, "51250": 15, "50811": 5, "51010": 38, "50925": 33}
    assert sum(unknown.values()) == 108  # nothing lost


# --- eICU demo ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("source_row", "analyte", "reported_unit", "value", "unit"), [
    (2, "hemoglobin", "g/dL", 78.0, "g/L"),
    (20, "hemoglobin", "g/dl", 105.0, "g/L"),
    (39, "hemoglobin", "gm/dL", 96.0, "g/L"),
    (27, "hemoglobin", "GM/DL", 90.0, "g/L"),
    (55, "hemoglobin", "G/DL", 84.0, "g/L"),
    (73, "hemoglobin", "G/dL", 151.0, "g/L"),
    (1, "mcv", "fL", 91.0, "fL"),
    (19, "mcv", "fl", 79.0, "fL"),
    (56, "mcv", "FL", 86.1, "fL"),
    (28, "mcv", "U3", 89.0, "fL"),
    (63, "b12", "pg/mL", 1632 * B12_PER_PG_ML, "pmol/L"),
    (65, "b12", "PG/ML", 1270 * B12_PER_PG_ML, "pmol/L"),
    (62, "folate", "ng/mL", 17.4 * FOLATE_PER_NG_ML, "nmol/L"),
    (64, "folate", "NG/ML", 13.0 * FOLATE_PER_NG_ML, "nmol/L"),
])
def test_eicu_every_unit_spelling_is_understood(source_row, analyte, reported_unit, value, unit):
    r = row_of(imported(EICU), source_row)
    assert (r.analyte, r.reported_unit, r.unit) == (analyte, reported_unit, unit)
    assert r.value == canonical(value)


def test_eicu_u3_mcv_is_accepted_in_fl():
    labs = imported(EICU).labs
    u3 = labs[labs["reported_unit"] == "U3"]
    assert sorted(u3["source_row"]) == [28, 29, 31, 33, 34, 37]
    assert (u3["analyte"] == "mcv").all() and (u3["unit"] == "fL").all()
    assert u3["value"].tolist() == pytest.approx([89, 89, 89, 89, 88, 89])


def test_eicu_trailing_spaces_in_result_text():
    imp = imported(EICU)
    hgb, b12 = row_of(imp, 74), row_of(imp, 75)  # `7.1  ` g/dL and `416  ` pg/mL
    assert (hgb.analyte, hgb.value) == ("hemoglobin", pytest.approx(71.0))
    assert (b12.analyte, b12.value) == ("b12", pytest.approx(416 * B12_PER_PG_ML))
    assert (hgb.reported_value, b12.reported_value) == ("7.1  ", "416  ")  # exactly as in the file


def test_eicu_minute_offsets_become_times_from_an_anchor():
    labs = imported(EICU).labs.set_index("source_row")
    offsets = {n: int(r["labresultoffset"]) for n, r in enumerate(excerpt_rows(EICU), start=1)}
    anchor = labs.loc[1, "collected_at"] - pd.Timedelta(minutes=877)  # row 1: offset 877
    assert anchor == anchor.normalize()
    for source_row, when in labs["collected_at"].items():
        assert when == anchor + pd.Timedelta(minutes=offsets[source_row]), source_row
    assert labs.loc[4, "collected_at"] < anchor  # offset -9935: before unit admission
    assert labs.loc[76, "collected_at"] == anchor - pd.Timedelta(minutes=675)  # the B12 at -675
    anchor_text = f"{anchor:%Y-%m-%d}"
    assert labs["notes"].str.contains("minutes", regex=False).all()
    assert labs["notes"].str.contains(anchor_text, regex=False).all()


def test_eicu_exact_repeats_are_kept_once_and_conflicts_are_kept():
    labs = imported(EICU).labs
    rows = set(labs["source_row"])
    assert {41, 43, 79} <= rows and not {49, 54, 80} & rows  # repeats of 41, 43, 79
    both = labs[labs["source_row"].isin([66, 67])]  # stay 1073098, offset 1654: Hgb 10.6 and 11.5
    assert sorted(both["value"]) == pytest.approx([106.0, 115.0])
    assert both["collected_at"].nunique() == 1


def test_eicu_patient_is_the_unit_stay_and_it_says_so():
    labs = imported(EICU).labs
    assert row_of(imported(EICU), 63).patient_id == "1191262"
    assert labs["patient_id"].nunique() == 16
    assert any(n.startswith("patients are told apart by admission id (patientunitstayid)")
               for n in imported(EICU).notes[Path(EICU).name])


# --- NHANES -------------------------------------------------------------------------------------------

def nhanes_result(name: str, seqn: str, analyte: str) -> pd.Series:
    labs = imported(name).labs
    hit = labs[(labs["patient_id"] == seqn) & (labs["analyte"] == analyte)]
    assert len(hit) == 1, f"{name} {seqn} {analyte}: {len(hit)} results"
    return hit.iloc[0]


@pytest.mark.parametrize(("name", "seqn", "analyte", "value"), [
    (NHANES_MMA_2003, "21005", "mma", 65.0),  # LBXMMA 0.065 umol/L
    (NHANES_MMA_2003, "28210", "mma", 10558.0),  # LBXMMA 10.558 umol/L, the maximum
    (NHANES_MMA_2003, "21222", "mma", 35.0),  # LBXMMA 0.035 umol/L, the minimum
    (NHANES_2001, "14276", "mma", 1510.0),  # LB2MMA 1.51 umol/L
    (NHANES_MMA_2011, "62161", "mma", 157.0),  # LBXMMASI 157 nmol/L
    (NHANES_MMA_2011, "68498", "mma", 3020.0),
    (NHANES_MMA_2013, "78621", "mma", 5540.0),  # LBXMMASI maximum
    (NHANES_MMA_2013, "78088", "mma", 26.6),  # LBXMMASI minimum
    (NHANES_MMA_2003, "21005", "homocysteine", 7.11),
    (NHANES_MMA_2003, "22423", "homocysteine", 116.21),  # the maximum
    (NHANES_MMA_2003, "31085", "homocysteine", 1.79),
    (NHANES_2001, "20619", "homocysteine", 49.98),
])
def test_nhanes_mma_and_homocysteine_units(name, seqn, analyte, value):
    r = nhanes_result(name, seqn, analyte)
    assert r.value == pytest.approx(value)
    assert r.unit == {"mma": "nmol/L", "homocysteine": "umol/L"}[analyte]


@pytest.mark.parametrize(("name", "seqn", "analyte", "conventional", "si"), [
    (NHANES_B12_2003, "21005", "b12", 294 * B12_PER_PG_ML, 216.97),
    (NHANES_B12_2003, "26040", "b12", 34254 * B12_PER_PG_ML, 25279.45),  # maximum of 2003-04
    (NHANES_B12_2003, "26878", "b12", 34 * B12_PER_PG_ML, 25.09),
    (NHANES_B12_2003, "26202", "folate", 689 * FOLATE_PER_NG_ML, 1560.6),
    (NHANES_2001, "12148", "b12", 45849 * B12_PER_PG_ML, 33836.56),  # maximum of all files
    (NHANES_2001, "9972", "ferritin", 459.0, 459.0),
    (NHANES_2001, "9972", "folate", 17.6 * FOLATE_PER_NG_ML, 39.9),
    (NHANES_B12_2013, "73557", "b12", 524 * B12_PER_PG_ML, 386.7),  # renamed LBDB12
    (NHANES_B12_2013, "76477", "b12", 18 * B12_PER_PG_ML, 13.3),
    (NHANES_B12_2013, "78938", "b12", 26801 * B12_PER_PG_ML, 19779.1),
])
def test_nhanes_conventional_and_si_twins_are_kept_once(name, seqn, analyte, conventional, si):
    r = nhanes_result(name, seqn, analyte)  # exactly one result, not two
    assert r.value in (canonical(conventional), canonical(si))


def test_nhanes_blank_cells_are_no_results():
    b12_2003, mma_2003 = imported(NHANES_B12_2003).labs, imported(NHANES_MMA_2003).labs
    assert "21018" not in set(b12_2003["patient_id"]) | set(mma_2003["patient_id"])  # all blank
    assert "21014" not in set(b12_2003["patient_id"])  # only RBC folate
    assert set(mma_2003.loc[mma_2003["patient_id"] == "21008", "analyte"]) == {"homocysteine"}
    labs_2001 = imported(NHANES_2001).labs
    assert "19112" not in set(labs_2001["patient_id"])  # only cadmium and lead
    assert set(labs_2001.loc[labs_2001["patient_id"] == "19668", "analyte"]) == {"homocysteine", "mma"}
    assert set(labs_2001.loc[labs_2001["patient_id"] == "20674", "analyte"]) == {"ferritin", "b12", "folate"}


@pytest.mark.parametrize("name", NHANES_FILES, ids=short)
def test_nhanes_has_no_dates_and_says_so(name):
    labs = imported(name).labs
    assert labs["collected_at"].isna().all()
    assert labs["notes"].str.contains("date", case=False).all()


@pytest.mark.parametrize(("name", "ignored"), [
    (NHANES_MMA_2011, {"LBDMMALC": 22, NO_RESULT_ROW: 1}),
    (NHANES_MMA_2013, {"LBDMMALC": 21, NO_RESULT_ROW: 1}),
    (NHANES_B12_2003, {"LBXRBF": 22, "LBDRBFSI": 22, NO_RESULT_ROW: 1}),
    (NHANES_2001, {"LB2BCD": 30, "LB2BCDSI": 30, "LB2BPB": 30, "LB2BPBSI": 30, "LB2RBF": 29,
                   "LB2RBFSI": 29, "LB2THG": 1, "LB2THGSI": 1, "LB2COT": 27, "LB2COTLC": 27}),
], ids=[short(NHANES_MMA_2011), short(NHANES_MMA_2013), short(NHANES_B12_2003), short(NHANES_2001)])
def test_nhanes_comment_codes_and_other_tests_are_ignored_by_name(name, ignored):
    imp = imported(name)
    assert dict(zip(imp.ignored_names["name"], imp.ignored_names["rows"], strict=True)) == ignored
    assert imp.unknown_names.empty
    assert not (imp.labs["value"].abs() < 1e-70).any()  # 5.397605347e-79 never becomes a result


# --- Synthea ------------------------------------------------------------------------------------------

def test_synthea_hemoglobin_by_loinc():
    imp = imported(SYNTHEA)
    r = row_of(imp, 1)
    assert (r.patient_id, r.analyte, r.unit) == ("593aaa05-d864-1df7-5b96-155fbdb19f28", "hemoglobin", "g/L")
    assert r.value == pytest.approx(172.0)
    assert r.collected_at == pd.Timestamp("2021-08-23 03:26:50")
    assert (r.reported_value, r.reported_unit) == ("17.2", "g/dL")
    m = row_of(imp, 2)
    assert (m.analyte, m.value, m.unit) == ("mcv", pytest.approx(84.8), "fL")
    per_patient = imp.labs["patient_id"].str.slice(0, 8).value_counts().to_dict()
    assert per_patient == {"f1c3b051": 6, "6e272b4c": 4, "593aaa05": 2, "55b3b070": 2}


def test_synthea_loinc_code_alone_is_enough():
    raw = read_raw(REAL / SYNTHEA)
    mapping = b12core.propose_mapping(raw)
    assert mapping.roles["test_code"] == "CODE"
    by_code = b12core.import_labs(raw, mapping.with_role("test_name", None))
    assert analyte_counts(by_code.labs) == {"hemoglobin": 7, "mcv": 7}
    assert row_of(by_code, 1).value == pytest.approx(172.0)


# --- the command line ---------------------------------------------------------------------------------

def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "b12core", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def summary_numbers(line: str) -> Counts:
    numbers = {f: int(re.search(rf"\b{f} (\d+)", line).group(1)) for f in Counts._fields}
    return Counts(**numbers)


def test_cli_imports_every_excerpt(tmp_path):
    files = [REAL / name for name in EXPECTED_COUNTS]
    out, rejected = tmp_path / "out.parquet", tmp_path / "r.csv"
    done = run_cli("labs", *files, D_LABITEMS, "-o", out, "--rejected", rejected)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    # The two exports that tell patients apart only by admission or unit stay say so, one line each.
    assert [line.split(":")[0] for line in lines[1:]] == [Path(MIMIC_HADM).name, Path(EICU).name], done.stderr
    assert all("patients are told apart by admission id" in line for line in lines[1:])
    total = Counts(*(sum(c[i] for c in EXPECTED_COUNTS.values()) for i in range(len(Counts._fields))))
    assert summary_numbers(lines[0]) == total
    expected = b12core.merge_imports([imported(name) for name in EXPECTED_COUNTS])
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, expected.labs)
    rejections = pd.read_csv(rejected, dtype=str, keep_default_na=False)
    assert len(rejections) == total.rejected
    assert rejections["reason"].str.len().gt(0).all()


def test_cli_without_dictionary_lists_unknown_item_ids(tmp_path):
    done = run_cli("labs", REAL / MIMIC, "-o", tmp_path / "out.csv")
    assert done.returncode == 0, done.stderr
    line, hint = done.stderr.strip().splitlines()
    assert summary_numbers(line) == Counts(read=108, accepted=0, ignored=108, duplicates=0, rejected=0)
    assert hint.startswith("5 tests are named only by numeric codes (51010, 50925, 51222, …)")
    assert "D_LABITEMS" in hint
    for shown in ("51010 (38)", "50925 (33)", "51222 (17)", "51250 (15)", "50811 (5)"):
        assert shown in line
