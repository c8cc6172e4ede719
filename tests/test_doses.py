"""Injection records in, canonical doses out: units, strengths, products, routes, the antidote."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from b12core import InputError, read_file
from b12core.doses import DOSES_COLUMNS, dose_in_ug, import_doses, injections, read_product
from tests.conftest import SAMPLE, assert_accounted, raw_csv


def doses_of(text: str, **kwargs):
    return import_doses(raw_csv(text, "injections.csv"), **kwargs)


@pytest.mark.parametrize("product,per_ml,per_unit,form", [
    ("Hydroxocobalamin 1mg/1ml", 1000, None, "injection"),
    ("Cyanocobalamin 1000 mcg/mL injection", 1000, None, "injection"),
    ("Vitamin B 12 5 MG/ML Injectable Solution", 5000, None, "injection"),
    ("Hydroxocobalamin 1 mg in 1 ml solution for injection ampoules", 1000, None, "injection"),
    ("Cyanocobalamin 1000 µg Tabletten", None, 1000, "oral"),
    ("Cyanocobalamin 500 mcg Tab", None, 500, "oral"),
    ("Hydroxocobalamin", None, None, ""),
])
def test_strength_and_form_read_from_the_product_text(product, per_ml, per_unit, form):
    info = read_product(product)
    assert (math.isnan(info.per_ml_ug) if per_ml is None else info.per_ml_ug == per_ml)
    assert (math.isnan(info.per_unit_ug) if per_unit is None else info.per_unit_ug == per_unit)
    assert info.form_route == form


@pytest.mark.parametrize("dose,unit,product,ug", [
    ("1 mg", "", "Hydroxocobalamin 1mg/1ml", 1000), ("1000", "mcg", "Cyanocobalamin", 1000),
    ("1", "ml", "Hydroxocobalamin 1 mg/ml", 1000), ("0.5 mL", "", "Cyanocobalamin 1000 mcg/mL", 500),
    ("1000", "µg", "Cyanocobalamin 1000 µg Tabletten", 1000),
    ("2 tablets", "", "Cyanocobalamin 1000 µg Tabletten", 2000),
    ("1 ampoule", "", "Hydroxocobalamin 1mg/1ml", 1000), ("100", "micrograms", "Cyanocobalamin", 100),
    ("1,5", "mg", "Hydroxocobalamin", 1500),
])
def test_doses_become_micrograms(dose, unit, product, ug):
    value, problem = dose_in_ug(dose, unit, read_product(product))
    assert problem == "" and value == pytest.approx(ug)


@pytest.mark.parametrize("dose,unit,product,words", [
    ("1", "ml", "Methylcobalamin", "strength per mL is not written"),
    ("1", "ml", "Cyanocobalamin 1000 mcg tablets", "strength per mL is not written"),
    ("1", "", "Hydroxocobalamin", "has no unit"),
    ("a lot", "", "Hydroxocobalamin", "not a number"),
    ("1", "teaspoon", "Hydroxocobalamin", "not a number with a unit"),
])
def test_unusable_doses_say_why(dose, unit, product, words):
    value, problem = dose_in_ug(dose, unit, read_product(product))
    assert math.isnan(value) and words in problem


def test_uk_clinic_spreadsheet():
    imp = import_doses(read_file((SAMPLE / "uk_injections.xlsx").read_bytes(), "uk_injections.xlsx"))
    assert_accounted(imp)
    d = imp.doses
    assert list(d.columns) == list(DOSES_COLUMNS)
    assert len(d) == 35 and set(d["product"]) == {"hydroxocobalamin"} and set(d["route"]) == {"IM"}
    assert (d["dose_ug"] == 1000).all()
    assert d["administered_at"].iloc[0] == pd.Timestamp("2024-01-08")
    assert d["batch"].iloc[0] == "HX1430C" and d["reported_dose"].iloc[0] == "1 mg"


def test_german_record_with_ml_doses_and_oral_tablets():
    imp = import_doses(read_file((SAMPLE / "eu_injections.csv").read_bytes(), "eu_injections.csv"))
    assert_accounted(imp)
    d = imp.doses
    assert d.groupby(["product", "route"]).size().to_dict() == {("cyanocobalamin", "oral"): 264,
                                                               ("hydroxocobalamin", "IM"): 7}
    assert (d["dose_ug"] == 1000).all()
    assert len(injections(d)) == 7  # oral B12 is kept, shown as oral, never as an injection


def test_other_drugs_are_ignored_and_listed_and_the_antidote_is_never_a_dose():
    imp = doses_of("Patient,Date,Drug,Dose,Route\np,2024-01-02,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
                   "p,2024-01-02,Paracetamol 500 mg,1 g,PO\np,2024-01-03,Cyanokit (hydroxocobalamin),5 g,IV\n")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["read", "accepted", "ignored", "rejected"]].tolist() == [3, 1, 2, 0]
    names = dict(zip(imp.ignored_names["name"], imp.ignored_names["rows"], strict=True))
    assert names["Paracetamol 500 mg"] == 1
    assert any("not a B12 replacement dose" in n for n in names)


def test_route_inferred_from_the_product_form_when_missing_and_said():
    d = doses_of("Date,Drug,Dose\n2024-01-02,Hydroxocobalamin 1mg/1ml injection,1 mg\n"
                 "2024-01-03,Cyanocobalamin 1000 mcg tablets,1 tablet\n2024-01-04,Cyanocobalamin,1000 mcg\n").doses
    assert d["route"].tolist() == ["IM", "oral", "unknown"]
    assert "route from the product's form" in d["notes"].iat[0]
    assert "route not recorded" in d["notes"].iat[2]


def test_rejections_have_reasons():
    imp = doses_of("Date,Drug,Dose,Route\n2024-01-02,Hydroxocobalamin 1mg/1ml,,IM\n"
                   "2024-01-03,Methylcobalamin,1 ml,IM\n"
                   "2024-01-04,Hydroxocobalamin 1mg/1ml,1 mg,intrathecal\n"
                   "2024-02-30,Hydroxocobalamin,1 mg,IM\n")
    assert_accounted(imp)
    assert imp.rejections["reason"].tolist() == [
        "no dose given", "dose 1 mL, but the product's strength per mL is not written",
        "route 'intrathecal' is not one we know", "date '2024-02-30' does not exist"]


def test_ml_without_a_written_strength_uses_the_usual_injection_and_says_so():
    d = doses_of("Date,Drug,Dose,Unit,Route\n2024-01-02,Hydroxocobalamin,1,ml,IM\n").doses
    assert d["dose_ug"].tolist() == [1000.0]
    assert "usual injection strength" in d["notes"].iat[0]


def test_the_same_dose_in_two_exports_is_kept_once():
    from b12core.doses import merge_doses

    text = "Patient,Date,Drug,Dose,Route,Batch\np,2024-01-02,Hydroxocobalamin 1mg/1ml,1 mg,IM,B1\n"
    merged = merge_doses([doses_of(text), import_doses(raw_csv(text, "copy.csv"))])
    assert len(merged.doses) == 1
    assert merged.counts.set_index("source_file")["duplicates"].to_dict() == {"injections.csv": 0, "copy.csv": 1}


def test_two_doses_on_one_day_with_different_times_are_both_kept():
    d = doses_of("Date,Drug,Dose,Route\n2024-01-02 09:00,Hydroxocobalamin,1 mg,IM\n"
                 "2024-01-02 17:00,Hydroxocobalamin,1 mg,IM\n").doses
    assert len(d) == 2


def test_prescription_lists_are_said_to_be_orders():
    imp = doses_of("START,STOP,PATIENT,DESCRIPTION\n"
                   "1992-11-04T18:59:38Z,,p1,Vitamin B 12 5 MG/ML Injectable Solution\n")
    assert "orders, not doses given" in imp.rejections["reason"].iat[0]


def test_a_file_without_dates_is_not_an_injection_record():
    with pytest.raises(InputError, match="date each dose was given"):
        doses_of("Drug,Dose\nHydroxocobalamin,1 mg\n")
