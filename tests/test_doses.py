"""Injection records in, canonical doses out: units, strengths, products, routes, the antidote."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from b12core import InputError, detect_kind, read_file
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


# --- issue 12: thousands separators, strengths per volume, implausible volumes and routes -----------

def test_thousands_separators_in_doses_and_strengths_of_a_point_decimal_file():
    imp = doses_of('Date,Drug,Dose,Route\n2024-01-02,Cyanocobalamin,"1,000 mcg",IM\n'
                   '2024-01-03,"Cyanocobalamin 1,000 mcg/mL",1 mL,IM\n'
                   '2024-01-04,"Cyanocobalamin 30,000 mcg/30 mL multi-dose vial",1 mL,IM\n'
                   '2024-01-05,Hydroxocobalamin,1.5 mg,IM\n')
    assert_accounted(imp)
    d = imp.doses
    assert d["dose_ug"].tolist() == [1000, 1000, 1000, 1500]
    assert not d["notes"].str.contains("thousands|smallest", regex=True).any()


def test_a_german_record_reads_the_point_as_a_thousands_separator_and_the_comma_as_decimal():
    imp = doses_of("Datum;Präparat;Dosis;Applikation\n13.01.2024;Cyanocobalamin;1.000 µg;i.m.\n"
                   "14.01.2024;Hydroxocobalamin;1,5 mg;i.m.\n15.01.2024;Hydroxocobalamin;1.5 mg;i.m.\n"
                   "16.01.2024;Cyanocobalamin 1.000 µg Tabletten;1 Tablette;oral\n"
                   "17.01.2024;Hydroxocobalamin;0,5 mg;i.m.\n")
    assert_accounted(imp)
    d = imp.doses
    assert d["dose_ug"].tolist() == [1000, 1500, 1500, 1000, 500]
    assert not d["notes"].str.contains("thousands|smallest", regex=True).any()
    said = "numbers in doses and strengths: mixed decimal marks; ','"
    assert any(n.startswith(said) for n in imp.notes["injections.csv"])


def test_an_ambiguous_thousands_comma_in_a_comma_decimal_file_is_read_as_the_plausible_dose_and_noted():
    imp = doses_of("Datum;Präparat;Dosis;Applikation\n13.01.2024;Cyanocobalamin;1,000 mcg;i.m.\n"
                   "14.01.2024;Cyanocobalamin 1,000 mcg/mL;1 mL;i.m.\n"
                   "15.01.2024;Cyanocobalamin 30,000 mcg/30 mL;1 mL;i.m.\n"
                   "16.01.2024;Hydroxocobalamin;0,5 mg;i.m.\n")
    assert_accounted(imp)
    d = imp.doses
    assert d["dose_ug"].tolist() == [1000, 1000, 1000, 500]  # 0,5 mg decides the decimal comma
    assert "'1,000' read as 1000" in d["notes"].iat[0] and "thousands separator" in d["notes"].iat[0]
    assert "1 µg" in d["notes"].iat[0] and "smallest B12 replacement dose" in d["notes"].iat[0]
    assert "strength '1,000' read as 1000" in d["notes"].iat[1]
    assert "strength '30,000' read as 30000" in d["notes"].iat[2]
    assert "thousands" not in d["notes"].iat[3]


def test_an_ambiguous_number_with_no_plausible_reading_is_rejected_with_both_readings():
    imp = doses_of("Datum;Präparat;Dosis;Applikation\n13.01.2024;Cyanocobalamin;20,000 µg;i.m.\n"
                   "14.01.2024;Hydroxocobalamin;0,5 mg;i.m.\n")
    assert_accounted(imp)
    assert imp.doses["dose_ug"].tolist() == [500]
    reason = imp.rejections["reason"].iat[0]
    assert "'20,000 µg'" in reason and "20 µg" in reason and "20000 µg" in reason
    assert "neither is a B12 replacement dose" in reason


def test_a_malformed_number_is_rejected_with_its_reason():
    imp = doses_of('Date,Drug,Dose,Route\n2024-01-02,Cyanocobalamin,"1,00,0 mcg",IM\n')
    assert "'1,00,0'" in imp.rejections["reason"].iat[0]
    assert "decimal point nor groups of three digits" in imp.rejections["reason"].iat[0]


@pytest.mark.parametrize("product,per_ml", [
    ("Hydroxocobalamin 1 mg/1 ml", 1000), ("Cyanocobalamin 1000 mcg per mL", 1000),
    ("Hydroxocobalamin 5 mg/5 mL", 1000), ("Hydroxocobalamin 1mg in 1ml", 1000),
    ("Cyanocobalamin 30,000 mcg/30 mL", 1000), ("Cyanocobalamin 1,000 mcg/mL", 1000),
    ("Cyanocobalamin 1.000 mcg/ml", 1),  # with a decimal point: 1 µg/mL, which the dose reading weighs
])
def test_strength_per_volume_is_amount_over_volume(product, per_ml):
    info = read_product(product)
    assert info.per_ml_ug == per_ml
    assert dose_in_ug("1", "mL", info) == (pytest.approx(1000), "")  # 1 µg is no dose: 1.000 read as 1000


def test_ampoules_hold_the_amount_written_for_their_volume():
    value, problem = dose_in_ug("1 ampoule", "", read_product("Hydroxocobalamin 5 mg/5 mL"))
    assert problem == "" and value == 5000


def test_thousands_separators_in_a_workbook():
    from tests.conftest import xlsx_bytes

    rows = [["Date", "Drug", "Dose", "Unit", "Route"],
            ["2024-01-02", "Cyanocobalamin", "1,000 mcg", "", "IM"],
            ["2024-01-03", "Cyanocobalamin 1,000 mcg/mL", 1, "mL", "IM"],
            ["2024-01-04", "Cyanocobalamin 30,000 mcg/30 mL", 1, "mL", "IM"],
            ["2024-01-05", "Cyanocobalamin", "1.000 µg", "", "IM"]]
    imp = import_doses(read_file(xlsx_bytes(rows, sheet="Injections"), "injections.xlsx"))
    assert_accounted(imp)
    d = imp.doses
    assert d["dose_ug"].tolist() == [1000, 1000, 1000, 1000]
    assert d["notes"].iloc[:3].str.contains("thousands").tolist() == [False, False, False]
    # no value decides the workbook's decimal mark (point assumed): 1.000 µg would be 1 µg
    assert "'1.000' read as 1000" in d["notes"].iat[3]


def test_a_volume_more_than_an_injection_holds_is_noted():
    imp = doses_of("Date,Drug,Dose,Route\n2024-01-02,Hydroxocobalamin 1 mg/mL,10 mL,IM\n"
                   "2024-01-03,Hydroxocobalamin 1 mg/mL,1 mL,IM\n"
                   "2024-01-04,Hydroxocobalamin 1 mg/mL,8 mg,IM\n"
                   "2024-01-05,Cyanocobalamin 1 mg/mL oral solution,8 mL,oral\n")
    assert_accounted(imp)
    d = imp.doses
    assert d["dose_ug"].tolist() == [10000, 1000, 8000, 8000]
    assert "10 mL is more than one injection holds" in d["notes"].iat[0]
    assert "at most 5 mL" in d["notes"].iat[0] and "check the dose" in d["notes"].iat[0]
    assert "holds" not in d["notes"].iat[1]
    assert "is 8 mL, more than one injection holds" in d["notes"].iat[2]
    assert "holds" not in d["notes"].iat[3]  # by mouth: no injection volume


def test_a_dose_above_the_replacement_range_stays_excluded():
    imp = doses_of("Date,Drug,Dose,Route\n2024-01-02,Hydroxocobalamin 1 mg/mL,11 mL,IM\n"
                   "2024-01-03,Cyanocobalamin,\"30,000 mcg\",IM\n")
    assert_accounted(imp)
    assert imp.counts.iloc[0][["accepted", "ignored"]].tolist() == [0, 2]


def test_a_dose_below_any_replacement_dose_is_noted():
    d = doses_of("Date,Drug,Dose,Route\n2024-01-02,Cyanocobalamin,1 mcg,IM\n").doses
    assert d["dose_ug"].tolist() == [1]
    assert "less than the smallest B12 replacement dose (30 µg)" in d["notes"].iat[0]


def test_intravenous_b12_replacement_is_noted_with_the_label():
    imp = doses_of("Date,Drug,Dose,Route\n2024-01-02,Hydroxocobalamin 1 mg/1 ml,1 mg,IV\n"
                   "2024-01-03,Cyanocobalamin 1000 mcg/mL,1000 mcg,IV\n"
                   "2024-01-04,Cyanocobalamin 1000 mcg/mL,1000 mcg,SC\n"
                   "2024-01-05,Hydroxocobalamin 1 mg/1 ml,1 mg,IM\n")
    assert_accounted(imp)
    d = imp.doses
    assert d["route"].tolist() == ["IV", "IV", "SC", "IM"]
    assert "given IV, but hydroxocobalamin injection is for intramuscular use only" in d["notes"].iat[0]
    assert "given IV" in d["notes"].iat[1] and "lost in the urine" in d["notes"].iat[1]
    assert "check the route" in d["notes"].iat[1]
    assert d["notes"].iat[2] == d["notes"].iat[3] == ""


def test_the_route_rule_and_new_thresholds_are_reference_rows_with_readable_cites():
    from b12core.reference import cite_problems, read_table, threshold, threshold_cites

    assert threshold("min_replacement_dose_ug") < threshold("max_replacement_dose_ug")
    for key in ("min_replacement_dose_ug", "max_injection_volume_ml"):
        assert cite_problems(threshold_cites()[key]) == []
    notes = {r["product"]: r["route_note"] for r in read_table("products") if r["route_note"]}
    assert set(notes) == {"hydroxocobalamin", "cyanocobalamin"}
    assert all(cite_problems(n) == [] for n in notes.values())


@pytest.mark.parametrize("name", ["eu_injections.csv", "us_injections.csv", "uk_injections.xlsx",
                                  "loinc_medication_administrations.csv"])
def test_the_sample_injection_records_carry_no_new_notes(name):
    d = import_doses(read_file((SAMPLE / name).read_bytes(), name)).doses
    assert not d["notes"].str.contains("thousands|smallest|holds|check the route", regex=True).any()


def test_a_whole_multi_dose_vial_is_not_a_replacement_dose_and_says_how_much_it_holds():
    imp = doses_of('Date,Drug,Dose,Route\n2024-01-02,"Cyanocobalamin 30,000 mcg/30 mL",1 vial,IM\n'
                   "2024-01-03,Hydroxocobalamin 1 MG/ML,2 AMPOULES,IM\n")
    assert_accounted(imp)
    assert imp.doses["dose_ug"].tolist() == [2000]
    assert imp.ignored_names["name"].tolist() == [
        "Cyanocobalamin 30,000 mcg/30 mL (30000 µg: not a B12 replacement dose)"]


def test_a_french_injection_record_is_recognised_and_read():
    from b12core.workspace import build_workspace
    text = ("Patient;Date;Produit;Dose;Voie\n"
            "FR-0042;08/01/2025;Hydroxocobalamine 1 mg/mL;1 mg;IM\n"
            "FR-0042;10/01/2025;Hydroxocobalamine 1 mg/mL;1 mg;IM\n"
            "FR-0042;13/01/2025;Hydroxocobalamine 1 mg/mL;1 mg;IM\n")
    ws = build_workspace([("injections.csv", text.encode("latin-1"))])
    assert [f.kind for f in ws.files] == ["doses"]
    doses = ws.doses.doses
    assert doses["product"].tolist() == ["hydroxocobalamin"] * 3
    assert doses["dose_ug"].tolist() == [1000.0] * 3 and doses["route"].tolist() == ["IM"] * 3
    assert doses["administered_at"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-08", "2025-01-10", "2025-01-13"]


def test_an_injection_record_without_an_id_column_takes_the_patient_named_above_its_table():
    text = ("B12 injections,,,\n"
            "NHS Number: 943 476 5919,,,\n"
            "Date given,Medicine,Dose,Route\n"
            "2024-01-08,Hydroxocobalamin 1 mg/mL,1 mg,IM\n"
            "2024-01-10,Hydroxocobalamin 1 mg/mL,1 mg,IM\n")
    imp = doses_of(text)
    assert_accounted(imp)
    assert imp.doses["patient_id"].tolist() == ["943 476 5919", "943 476 5919"]
    assert 'patient id 943 476 5919 taken from the line above the table "NHS Number: 943 476 5919"' \
        in imp.notes["injections.csv"]


def test_a_dose_without_its_patient_cell_takes_the_id_written_above_the_record():
    imp = doses_of("Patient ID: 55555\n"
                   "MRN,Date given,Drug,Dose,Route\n"
                   "55555,2025-02-03,Hydroxocobalamin 1mg/1ml,1 mg,IM\n"
                   ",2025-02-05,Hydroxocobalamin 1mg/1ml,1 mg,IM\n")
    assert_accounted(imp)
    assert imp.doses["patient_id"].tolist() == ["55555", "55555"]
    assert "patient id from the line above the table" in imp.doses["notes"].tolist()[1]


@pytest.mark.parametrize("header", [
    "NHC;Fecha;Medicamento;Dosis;Vía",  # Spanish
    "Codice paziente;Data somministrazione;Farmaco;Dose;Via",  # Italian
    "NHC;Fecha de administración;Fármaco;Dosis;Vía de administración",
])
def test_spanish_and_italian_injection_records_are_read(header):
    raw = read_file((f"{header}\n48213;06/01/2025;Hidroxocobalamina 1 mg/ml;1 mg;IM\n"
                     "48213;13/01/2025;Hidroxocobalamina 1 mg/ml;1 mg;IM\n").encode(), "registro.csv")
    assert detect_kind(raw) == "doses"
    imp = import_doses(raw)
    assert imp.doses[["patient_id", "dose_ug", "route"]].values.tolist() == [["48213", 1000.0, "IM"]] * 2
