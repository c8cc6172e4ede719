"""Layout and column roles, guessed with reasons and overridable; file kinds."""

from __future__ import annotations

import pytest

from b12core import InputError, detect_kind, propose_mapping, read_file
from b12core.doses import propose_dose_mapping
from b12core.mapping import roles_by_header, split_header_unit
from tests.conftest import raw_csv


def test_us_long_export_roles_by_header():
    raw = raw_csv("Patient ID,Collection Date,Test Name,Result,Units,Reference Range,Flag\n"
                  "MRN1,03/14/2024 08:30 AM,Hemoglobin,9.1,g/dL,13.5-17.5,L\n")
    m = propose_mapping(raw)
    assert m.layout == "long"
    assert m.roles == {"patient_id": "Patient ID", "collected_at": "Collection Date", "test_name": "Test Name",
                       "value": "Result", "unit": "Units", "ref_range": "Reference Range", "flag": "Flag"}
    assert all(m.reasons[r] for r in m.roles)
    assert "Collection Date" in m.reasons["collected_at"]


def test_synthea_observations_have_code_and_name():
    raw = raw_csv("DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,UNITS,TYPE\n"
                  "2021-08-23T03:26:50Z,p1,e1,laboratory,718-7,Hemoglobin [Mass/volume] in Blood,17.2,g/dL,numeric\n")
    m = propose_mapping(raw)
    assert (m.roles["test_code"], m.roles["test_name"], m.roles["value"]) == ("CODE", "DESCRIPTION", "VALUE")
    assert "ENCOUNTER" not in m.roles.values()


def test_uk_wide_export_units_in_headers():
    raw = raw_csv("NHS Number,Specimen Date,Haemoglobin (g/L),MCV (fL),Serum B12 (ng/L),Comment\n"
                  "943 476 5919,14/03/2024,84,118,98,\n")
    m = propose_mapping(raw)
    assert m.layout == "wide"
    assert m.test_columns == ("Haemoglobin (g/L)", "MCV (fL)", "Serum B12 (ng/L)")
    assert m.roles["patient_id"] == "NHS Number"


def test_roles_guessed_from_content_when_headers_say_nothing():
    raw = raw_csv("A,B,C,D\nx1,2024-03-14,Hb,12.5\nx1,2024-03-15,MCV,90\nx1,2024-03-16,B12,300\n")
    m = propose_mapping(raw)
    assert m.roles["collected_at"] == "B" and m.roles["test_name"] == "C" and m.roles["value"] == "D"
    assert "look like dates" in m.reasons["collected_at"]


def test_user_can_override_a_role():
    raw = raw_csv("Patient ID,Date,Reported,Test Name,Result\np,2024-01-01,2024-01-03,Hb,12\n")
    m = propose_mapping(raw).with_role("collected_at", "Reported")
    assert m.roles["collected_at"] == "Reported" and m.reasons["collected_at"] == "chosen by you"


def test_not_a_lab_export_is_a_clear_error():
    with pytest.raises(InputError, match="is this a lab export"):
        propose_mapping(raw_csv("Name,Town\nAnn,Leeds\n"))


@pytest.mark.parametrize("text,kind", [
    ("Date,Drug,Dose,Route,Batch\n01/02/2024,Hydroxocobalamin 1mg/1ml,1 mg,IM,B1\n", "doses"),
    ("ROW_ID,ITEMID,LABEL,FLUID,CATEGORY,LOINC_CODE\n12,50811,Hemoglobin,Blood,Blood Gas,718-7\n", "dictionary"),
    ("Date,Symptom,Score\n2024-01-01,fatigue,7\n", "symptoms"),
    ("Test,Result\nHb,12\n", "labs"),
])
def test_file_kinds(text, kind):
    assert detect_kind(raw_csv(text)) == kind


@pytest.mark.parametrize("header,name,unit", [
    ("Haemoglobin (g/L)", "Haemoglobin", "g/L"), ("B12 [ng/L]", "B12", "ng/L"), ("Hb, g/dL", "Hb", "g/dL"),
    ("Hämoglobin (HB)", "Hämoglobin (HB)", None), ("MCV", "MCV", None),
    ("Hb g/L", "Hb", "g/L"), ("B12 ng/L", "B12", "ng/L"), ("MCV fL", "MCV", "fL"), ("Folate ug/L", "Folate", "ug/L"),
    ("Vitamin B12 pmol/L", "Vitamin B12", "pmol/L"),
    ("Reticulocyte %", "Reticulocyte %", None),  # a known name as written is never cut
    ("RET %", "RET %", None), ("Sample g/L", "Sample g/L", None),  # the rest names no test
])
def test_unit_in_header(header, name, unit):
    assert split_header_unit(header) == (name, unit)


def test_every_sample_file_is_recognised_as_what_it_is():
    from b12core import read_tables
    from tests.conftest import SAMPLE

    kinds = {p.name: {detect_kind(t) for t in read_tables(p.read_bytes(), p.name)}
             for p in SAMPLE.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert kinds == {name: {"doses" if "injection" in name or "medication" in name else "labs"} for name in kinds}
    assert len(kinds) == 9


@pytest.mark.parametrize("header", [
    "Referentie", "Referentiewaarden", "Referentiewaarde", "Valeurs de référence", "Valeurs normales",
    "Valeurs usuelles", "Intervalles de référence", "Referenzbereich", "Referenzbereiche", "Normalbereich",
    "Normbereich", "Referenzwerte", "Normalwerte", "Valores de referencia", "Intervallo di riferimento",
    "Intervalli di riferimento", "Valori di riferimento", "Valore di riferimento", "Valori normali",
])
def test_a_reference_range_column_under_its_local_name(header):
    roles, reasons = roles_by_header(["Test", "Result", header])
    assert roles.get("ref_range") == header and "matches" in reasons["ref_range"]


def test_test_names_with_lab_codes_make_a_wide_export():
    raw = raw_csv("Patient,Date,Vitamin B12 01 (pg/mL),Hemoglobin ¹ (g/dL),Folate (Folic Acid) (ng/mL)\n"
                  "p1,2024-03-14,180,10.9,6.2\n")
    m = propose_mapping(raw)
    assert m.layout == "wide" and len(m.test_columns) == 3


@pytest.mark.parametrize("header", [
    "comments", "Comment", "Comments", "Result comment", "Result Comments", "Remarks", "Remark",
    "Commentaire", "Kommentar", "Bemerkung", "Opmerking",
])
def test_the_labs_comment_column_under_its_names(header):
    roles, _ = roles_by_header(["Test", "Result", header])
    assert roles.get("comment") == header
    mapping = propose_mapping(raw_csv(f"Test,Result,Unit,{header}\nFolate,,ng/mL,GREATER THAN 20 NG/ML.\n"))
    assert mapping.roles.get("comment") == header and mapping.layout == "long"


def test_a_comment_column_is_no_test_of_a_wide_export():
    raw = raw_csv("Patient,Date,Hemoglobin (g/dL),Vitamin B12 (pg/mL),Result comment\n"
                  "p1,2024-03-14,10.9,180,haemolysed\n")
    m = propose_mapping(raw)
    assert m.layout == "wide" and m.test_columns == ("Hemoglobin (g/dL)", "Vitamin B12 (pg/mL)")
    assert m.roles["comment"] == "Result comment"


def test_a_time_column_that_holds_whole_dates_is_the_date_column():
    labs = read_file(b"Patient ID,Sample time,Parameter,Value,Unit\nP7,2025-02-03 09:10,tHb,13.4,g/dL\n", "gas.csv")
    mapping = propose_mapping(labs)
    assert mapping.column("collected_at") == "Sample time" and mapping.column("collected_time") is None
    assert mapping.reasons["collected_at"] == "header 'Sample time' contains 'time', and 100% of its values are dates"
    doses = read_file(b"Patient ID,Time given,Drug,Dose,Route\nP7,03/02/2025 09:10,Hydroxocobalamin,1 mg,IM\n",
                      "doses.csv")
    assert propose_dose_mapping(doses).column("administered_at") == "Time given"
    only_times = read_file(b"Patient ID,Date,Time,Test,Result\nP7,2025-02-03,09:10,Hb,134\n", "labs.csv")
    assert propose_mapping(only_times).column("collected_time") == "Time"


@pytest.mark.parametrize("header", [
    "NHC", "Nº Historia", "N° historia", "Historia clínica", "Número de historia clínica", "Paciente",
    "Código de paciente", "Codice paziente", "ID paziente", "Paziente", "IPP", "Numéro de patient", "CHI Number",
    "CHI", "CHI No", "Unit No", "Unit No.", "Unit Number", "Hospital Number",
])
def test_a_patient_number_column_under_its_local_name_is_the_patient_not_the_result(header):
    raw = raw_csv(f"{header};Fecha;Prueba;Resultado;Unidades\n48213;05/02/2025;Hemoglobina;10,1;g/dL\n"
                  "48213;28/02/2025;Hemoglobina;11,4;g/dL\n")
    m = propose_mapping(raw)
    assert m.roles["patient_id"] == header and m.roles["value"] == "Resultado"
    assert m.roles["unit"] == "Unidades"


@pytest.mark.parametrize("header", ["Resultado", "Risultato", "Valor", "Valore", "Résultat", "Result"])
def test_the_result_column_under_its_local_name_wins_over_a_column_of_numbers(header):
    roles, reasons = roles_by_header(["Id", "Prueba", header, "Valor de referencia"])
    assert roles.get("value") == header and "matches" in reasons["value"]


@pytest.mark.parametrize("header", ["Valor de referencia", "Rango de referencia", "Intervalo de referencia"])
def test_a_spanish_reference_range_column_is_no_result(header):
    roles, _ = roles_by_header(["Prueba", "Resultado", header])
    assert roles.get("ref_range") == header and roles["value"] == "Resultado"


def test_a_unit_number_is_never_the_unit_even_beside_another_patient_number():
    raw = raw_csv("Hospital Number,Unit No,Specimen Date,Test,Result\nRX7,K123456,2025-01-10,Haemoglobin,98\n")
    m = propose_mapping(raw)
    assert m.roles["patient_id"] == "Hospital Number" and "Unit No" not in m.roles.values()


@pytest.mark.parametrize("text,date", [
    ("NHC;Fecha de nacimiento;Fecha de extracción;Prueba;Resultado\n12;01/02/1950;05/02/2025;Hemoglobina;10,1\n",
     "Fecha de extracción"),
    ("Codice paziente;Data di nascita;Data prelievo;Esame;Risultato\n12;01/02/1950;05/02/2025;Emoglobina;10,1\n",
     "Data prelievo"),
])
def test_the_collection_date_is_never_the_birth_date_beside_it(text, date):
    assert propose_mapping(raw_csv(text)).roles["collected_at"] == date


ID_LIKE = ("{header};Data;Esame;Risultato\n"
           "A-1;04/02/2025;Emoglobina;9,6\nA-2;04/02/2025;Emoglobina;14,2\nA-1;27/02/2025;Emoglobina;11,0\n")


@pytest.mark.parametrize("header", ["Client ID", "Nº Utente", "Member Number", "Codice assistito", "Resident No"])
def test_an_unknown_header_with_an_id_word_over_repeated_ids_is_proposed_as_the_patient(header):
    m = propose_mapping(raw_csv(ID_LIKE.format(header=header)))
    assert m.roles["patient_id"] == header
    assert header in m.reasons["patient_id"] and "'A-1', 'A-2'" in m.reasons["patient_id"]


@pytest.mark.parametrize("header", [
    "Specimen No", "Sample ID", "Order Number", "Accession No", "Request ID", "Run No", "Lab No.", "Barcode ID",
    "Account Number", "Case No.", "Fall-ID", "Encounter CSN", "Episode No", "Client",
])
def test_a_specimen_order_run_or_stay_number_or_a_header_without_an_id_word_is_never_proposed(header):
    m = propose_mapping(raw_csv(ID_LIKE.format(header=header)))
    assert "patient_id" not in m.roles


@pytest.mark.parametrize("cells", [
    ["A-1", "A-2", "A-3"],  # each once: row numbers as much as patients
    ["04/02/2025", "05/02/2025", "04/02/2025"],  # dates
    ["g/dL", "g/L", "g/dL"],  # units
])
def test_ids_are_proposed_only_when_they_repeat_and_are_not_dates_or_units(cells):
    text = "Client ID;Esame;Risultato\n" + "".join(f"{c};Emoglobina;9,6\n" for c in cells)
    assert "patient_id" not in propose_mapping(raw_csv(text)).roles


@pytest.mark.parametrize("header", ["FIN", "Account Number", "Case No.", "Fall-ID", "Encounter CSN"])
def test_a_stay_or_account_number_is_never_the_patient(header):
    raw = read_file(f"{header},Collection Date,Test,Result,Units\n4411,2025-02-03,Hemoglobin,9.8,g/dL\n"
                    f"4412,2025-03-03,Hemoglobin,10.8,g/dL\n".encode(), "labs.csv")
    mapping = propose_mapping(raw)
    assert mapping.column("encounter_id") == header and mapping.column("patient_id") is None


@pytest.mark.parametrize("birth", ["Fecha de nacimiento", "Date of birth", "Geburtsdatum", "Data di nascita"])
def test_a_birth_date_is_never_the_collection_date(birth):
    raw = read_file(f"NHC,{birth},Fecha,Prueba,Resultado\n48213,1950-04-02,2025-02-05,Hemoglobina,9.8\n".encode(),
                    "labs.csv")
    assert propose_mapping(raw).column("collected_at") == "Fecha"
    no_date = read_file(f"NHC,{birth},Prueba,Resultado\n48213,1950-04-02,Hemoglobina,9.8\n".encode(), "labs.csv")
    assert propose_mapping(no_date).column("collected_at") is None
