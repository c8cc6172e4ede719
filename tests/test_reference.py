"""The clinical reference tables: sourced, consistent, and true to clinical-facts.md."""

from __future__ import annotations

import pytest

from b12core import reference
from b12core.loinc import corrected_loinc, loinc_check_ok
from b12core.reference import default_range, lookup_name, ucum_unit, unit_factors


def test_tables_are_consistent_and_every_row_has_a_source():
    assert reference.check_tables() == []


@pytest.mark.parametrize("table", reference.TABLES)
def test_every_row_names_its_source(table):
    rows = reference.read_table(table)
    assert rows, f"{table}.csv is empty"
    assert all(r["source"].strip() for r in rows)


@pytest.mark.parametrize("code", ["718-7", "787-2", "2132-9", "14685-2", "13964-2", "13965-9", "2428-1",
                                  "2284-8", "14732-2", "59260-0", "4548-4", "2170-9"])
def test_valid_loinc_check_digits(code):
    assert loinc_check_ok(code)


@pytest.mark.parametrize("wrong,right", [("14685-6", "14685-2"), ("13964-6", "13964-2"),
                                         ("2428-5", "2428-1"), ("14732-6", "14732-2")])
def test_codes_circulating_with_wrong_check_digits_fail(wrong, right):
    assert not loinc_check_ok(wrong)
    assert corrected_loinc(wrong) == right


def test_race_code_2170_9_is_not_in_the_table_as_mma():
    assert "2170-9" not in reference.loinc_codes()
    assert reference.loinc_codes()["13964-2"].analyte == "mma"


@pytest.mark.parametrize("analyte,unit,factor", [
    ("hemoglobin", "g/dL", 10), ("hemoglobin", "mmol/L", 16.1145),
    ("b12", "pg/mL", 0.737795), ("b12", "ng/L", 0.737795),
    ("mma", "umol/L", 1000), ("mma", "nmol/mL", 1000),
    ("homocysteine", "mg/L", 7.397), ("folate", "ng/mL", 2.2655), ("folate", "ug/L", 2.2655),
])
def test_unit_factors_from_clinical_facts(analyte, unit, factor):
    assert unit_factors()[(analyte, unit)] == pytest.approx(factor)


def test_nice_b12_thresholds_convert_as_nice_pairs_them():
    f = unit_factors()[("b12", "ng/L")]
    assert round(180 * f) == 133 and round(350 * f) == 258


def test_hb_mmol_basis_is_the_monomer():
    # Dutch 8.5 mmol/L (lower limit for men) is about 137 g/L, not 548 (tetramer basis).
    assert 8.5 * unit_factors()[("hemoglobin", "mmol/L")] == pytest.approx(137, abs=0.5)


@pytest.mark.parametrize("name,analyte", [
    ("Hb", "hemoglobin"), ("HGB", "hemoglobin"), ("Haemoglobin", "hemoglobin"), ("Hémoglobine", "hemoglobin"),
    ("Hämoglobin", "hemoglobin"), ("hemoglobin, blood", "hemoglobin"), ("B-Hb", "hemoglobin"),
    ("Vitamin B12", "b12"), ("Vitamine B12", "b12"), ("VITAMIN B 12", "b12"), ("Cobalamin", "b12"),
    ("B12 serum", "b12"), ("Vitamin B12, Serum", "b12"), ("S-B12", "b12"),
    ("MMA", "mma"), ("Methylmalonic acid serum", "mma"), ("methylmalonic-acid (plasma)", "mma"),
    ("Homocysteine plasma", "homocysteine"), ("tHcy", "homocysteine"), ("Homocysteine, Total", "homocysteine"),
    ("Folate", "folate"), ("Serum Folate", "folate"), ("Folsäure", "folate"),
    ("Active B12", "holotc"), ("HoloTC", "holotc"), ("Ferritin", "ferritin"),
    ("Reticulocyte count", "reticulocytes"), ("RET%", "reticulocytes"), ("RET#", "reticulocytes_abs"),
    ("MCV", "mcv"), ("Mean cell volume", "mcv"),
    ("LBXB12", "b12"), ("LBXMMASI", "mma"),
])
def test_names_labs_print_are_recognised(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name", ["HbA1c", "Hemoglobin A1c", "MCH", "MCHC", "Folate RBC", "RBC folate",
                                  "Folate, whole blood", "WBC", "Sodium", "Body height", "Active B12 binding"])
def test_lookalikes_are_never_taken_for_a_tracked_analyte(name):
    ident = lookup_name(name)
    assert ident is None or ident.analyte is None


def test_nhanes_variables_carry_their_documented_units():
    assert lookup_name("LBXMMA").unit == "umol/L"
    assert lookup_name("LBXMMASI").unit == "nmol/L"
    assert lookup_name("LBDB12SI").unit == "pmol/L"


@pytest.mark.parametrize("spelling,unit", [
    ("g/dl", "g/dL"), ("gm/dL", "g/dL"), ("GM/DL", "g/dL"), ("g%", "g/dL"), ("µmol/l", "umol/L"),
    ("μmol/L", "umol/L"), ("micromol/L", "umol/L"), ("mcg/L", "ug/L"), ("U3", "fL"), ("fl", "fL"),
    ("pg/ml", "pg/mL"), ("ng/L", "ng/L"), ("mmol/l", "mmol/L"), ("10^9/L", "10*9/L"), ("m/uL", "10*6/uL"),
    ("%", "%"),
])
def test_unit_spellings(spelling, unit):
    assert ucum_unit(spelling) == unit


def test_default_ranges_by_sex_fall_back_to_any():
    assert default_range("hemoglobin", "male").low == 130
    assert default_range("hemoglobin", "female").low == 120
    assert default_range("mcv", "female").high == 100
    assert default_range("mma").high == 400
