"""The clinical reference tables: sourced, consistent, and true to clinical-facts.md."""

from __future__ import annotations

import re

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
    ("reticulocytes", "[ppth]", 0.1),
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
    ("%", "%"), ("‰", "[ppth]"),
])
def test_unit_spellings(spelling, unit):
    assert ucum_unit(spelling) == unit


def test_default_ranges_by_sex_fall_back_to_any():
    assert default_range("hemoglobin", "male").low == 130
    assert default_range("hemoglobin", "female").low == 120
    assert default_range("mcv", "female").high == 100
    assert default_range("mma").high == 400


# --- reader-facing cites ---------------------------------------------------------------------------

CITED = ("thresholds", "regimens", "regimen_steps", "rechecks", "bands")
# Words of the developers' provenance notes that a clinician or patient must never read in a cite.
DEVELOPER_WORDS = r"clinical-facts|§|\[S\]|\[V\]|\[U\]|\bissues?\b|project rule|project choice|design\.md|" \
                  r"real-data|suggested rule"


@pytest.mark.parametrize("table", CITED)
def test_every_row_has_a_reader_facing_cite_beside_its_source(table):
    import re

    for row in reference.read_table(table):
        assert row["source"].strip(), row  # the developer provenance stays
        assert row.get("cite", "").strip(), f"{table}.csv row without a cite: {row}"
        assert not re.search(DEVELOPER_WORDS, row["cite"], re.IGNORECASE), row["cite"]


def test_threshold_cites_name_sources_as_clinicians_know_them():
    cites = reference.threshold_cites()
    assert set(cites) == set(reference.thresholds())
    assert cites["review_due_day"].startswith("NICE NG239 (2024)")
    assert cites["b12_not_interpretable_days"].startswith("Mayo Clinic Laboratories")
    assert cites["mcv_normal_check_day"].startswith("NHS Lothian RefHelp")
    assert cites["late_factor"].startswith("Local rule of this app: ")
    # a project rule is said in plain words, not as "Project rule", and the provenance is unchanged
    assert reference.threshold_sources()["late_factor"].startswith("Project rule")


def _doctored(monkeypatch, table: str, **cells: str) -> None:
    """Make ``read_table(table)`` return its first row with ``cells`` changed."""
    original = reference.read_table

    def read(name: str) -> list[dict[str, str]]:
        rows = original(name)
        if name == table:
            rows[0] = {**rows[0], **cells}
        return rows

    monkeypatch.setattr(reference, "read_table", read)


@pytest.mark.parametrize("table,cite", [
    ("thresholds", "Project rule: a gap counts as late (clinical-facts §1.1, [S])"),
    ("regimens", "BNF hydroxocobalamin (issue 3)"),
    ("regimen_steps", "Daily for 7 days (suggested rule)"),
    ("rechecks", "NHS Lothian RefHelp [V]"),
    ("rechecks", ""),
])
def test_check_tables_refuses_a_cite_with_developer_words_or_none(monkeypatch, table, cite):
    _doctored(monkeypatch, table, cite=cite)
    problems = reference.check_tables()
    assert any(p.startswith(f"{table}.csv row 1") and "cite" in p for p in problems), problems


def test_check_tables_refuses_a_recheck_for_every_regimen_or_an_unknown_one(monkeypatch):
    _doctored(monkeypatch, "rechecks", regimens="*")
    assert any("rechecks.csv row 1" in p and "'*'" in p for p in reference.check_tables())


def test_check_tables_refuses_a_recheck_of_another_countrys_guidance(monkeypatch):
    _doctored(monkeypatch, "rechecks", regimens="UK-BNF-noneuro US-common")
    assert any("rechecks.csv row 1" in p and "US-common" in p for p in reference.check_tables())


def test_every_recheck_names_its_regimens_of_one_country():
    countries = {r["id"]: r["country"] for r in reference.read_table("regimens")}
    assert set(countries.values()) == {"UK", "US"}
    for row in reference.read_table("rechecks"):
        ids = row["regimens"].split()
        assert ids and set(ids) <= set(countries), row
        assert {countries[i] for i in ids} == {row["country"]}, row


# --- display precision and short labels ----------------------------------------------------------

@pytest.mark.parametrize(("analyte", "unit", "decimals"), [
    ("hemoglobin", "g/L", 0), ("hemoglobin", "g/dL", 1), ("hemoglobin", "mmol/L", 1), ("mcv", "fL", 0),
    ("b12", "pmol/L", 0), ("b12", "pg/mL", 0), ("b12", "ng/L", 0), ("mma", "nmol/L", 0), ("mma", "umol/L", 2),
    ("mma", "nmol/mL", 2), ("homocysteine", "umol/L", 1), ("folate", "nmol/L", 1), ("folate", "ng/mL", 1),
    ("holotc", "pmol/L", 0), ("ferritin", "ug/L", 0), ("ferritin", "ng/mL", 0), ("reticulocytes", "%", 1),
    ("reticulocytes_abs", "10*9/L", 0), ("potassium", "mmol/L", 1), ("potassium", "meq/L", 1),
])
def test_display_decimals_as_labs_report_them(analyte, unit, decimals):
    assert reference.display_decimals()[(analyte, unit)] == decimals


def test_every_unit_has_display_decimals_and_says_why():
    assert set(reference.display_decimals()) == set(unit_factors())
    assert all(isinstance(d, int) and 0 <= d <= 3 for d in reference.display_decimals().values())
    for row in reference.read_table("units"):
        source = row["source"]
        why = re.search(r"(Shown with|Local rule of this app:) (\d) decimals?\b.*$", source)
        assert why and why.group(2) == row["decimals"], row  # the reason states the number it gives
        cited = ("clinical-facts", "real-data", "MIMIC", "NHANES", "FHIR", "ranges.csv", "Local rule of this app")
        assert any(c in why.group(0) for c in cited), row


@pytest.mark.parametrize("bad", ["", "4", "-1", "1.5", "two"])
def test_check_tables_finds_a_units_row_without_integer_decimals(monkeypatch, bad):
    real = reference.read_table

    def patched(name: str) -> list[dict[str, str]]:
        rows = real(name)
        if name == "units":
            rows[2]["decimals"] = bad
        return rows

    monkeypatch.setattr(reference, "read_table", patched)
    problems = reference.check_tables()
    assert any("units.csv" in p and "decimals" in p and "hemoglobin mmol/L" in p for p in problems), problems


@pytest.mark.parametrize(("analyte", "short"), [
    ("hemoglobin", "Hb"), ("mcv", "MCV"), ("b12", "B12"), ("mma", "MMA"), ("homocysteine", "Homocysteine"),
    ("folate", "Folate"), ("holotc", "Active B12"), ("ferritin", "Ferritin"), ("reticulocytes", "Retics"),
    ("reticulocytes_abs", "Retics (abs)"), ("potassium", "K"),
])
def test_short_labels(analyte, short):
    assert reference.analytes()[analyte].short_label == short


def test_short_labels_are_distinct_and_sourced():
    labels = [a.short_label for a in reference.analytes().values()]
    assert all(labels) and len(set(labels)) == len(labels)
    assert all("Short label" in r["source"] for r in reference.read_table("analytes"))


# --- issue 12: bands, potassium, ferritin, biological variation, neurological symptoms ---------------

def test_nice_ng239_bands_for_b12_and_active_b12():
    bands = reference.bands()
    assert set(bands) == {"b12", "holotc"}
    assert [(b.upper, b.upper_inclusive, b.words) for b in bands["b12"]] == [
        (133.0, False, "deficiency confirmed"), (258.0, True, "indeterminate"), (None, False, "deficiency unlikely")]
    assert [b.upper for b in bands["holotc"]] == [25.0, 70.0, None]
    assert all(b.cite.startswith("NICE NG239 (2024)") for rows in bands.values() for b in rows)
    assert "bands" in reference.TABLES and "bands" in reference.CITED_TABLES


@pytest.mark.parametrize("cells", [{"upper": "300"}, {"unit": "pg/mL"}, {"analyte": "vitamin_x"}])
def test_check_tables_refuses_bands_out_of_order_in_another_unit_or_of_an_unknown_analyte(monkeypatch, cells):
    _doctored(monkeypatch, "bands", **cells)
    reference.bands.cache_clear()
    try:
        assert any(p.startswith("bands.csv") for p in reference.check_tables())
    finally:
        monkeypatch.undo()
        reference.bands.cache_clear()


def test_potassium_is_tracked_with_its_names_codes_and_range():
    for name in ("Potassium", "K", "K+", "Kalium", "Serum potassium", "Potassium, serum", "S-K"):
        ident = lookup_name(name)
        assert ident is not None and ident.analyte == "potassium", name
    codes = reference.loinc_codes()
    assert codes["2823-3"].analyte == codes["6298-4"].analyte == "potassium"
    assert loinc_check_ok("2823-3") and loinc_check_ok("6298-4")
    assert (default_range("potassium").low, default_range("potassium").high) == (3.5, 5.3)
    assert unit_factors()[("potassium", "meq/L")] == 1.0 and ucum_unit("mEq/L") == "meq/L"
    assert "Potassium" not in {r["name"] for r in reference.read_table("untracked")}


@pytest.mark.parametrize("sex", ["male", "female", "any"])
def test_ferritin_below_30_is_low_for_an_adult(sex):
    # current RCPA Manual: < 30 ug/L in an adult is diagnostic of iron deficiency (15 came from a superseded page)
    assert default_range("ferritin", sex).low == 30


def test_haemoglobin_biological_variation_gives_a_reference_change_value_of_8_to_9_percent():
    cvi, cva, z = (reference.threshold(k) for k in ("hb_cvi_pct", "hb_cva_pct", "rcv_z"))
    assert 8 <= z * 2 ** 0.5 * (cvi ** 2 + cva ** 2) ** 0.5 <= 9
    assert "EFLM" in reference.threshold_cites()["hb_cvi_pct"] and "[U]" in reference.threshold_sources()["hb_cvi_pct"]


def test_new_prompt_thresholds_have_reader_facing_cites():
    cites = reference.threshold_cites()
    assert cites["neuro_symptom_urgent"].startswith("NICE CKS") and "haematology" in cites["neuro_symptom_urgent"]
    assert cites["retic_check_first_day"].startswith("NHS Lothian RefHelp")
    assert (reference.threshold("retic_check_first_day"), reference.threshold("retic_check_last_day")) == (7, 10)
    assert "48 hours" in cites["potassium_watch_days"]
    for key in ("mcv_rising", "b12_low_after_treatment", "ferritin_low_before", "folate_low_before"):
        assert cites[key] and not re.search(DEVELOPER_WORDS, cites[key], re.IGNORECASE)


def test_reticulocytes_respond_upwards():
    assert {k for k, a in reference.analytes().items() if a.response_direction == "high"} == {
        "reticulocytes", "reticulocytes_abs"}


# --- names as labs write them ---------------------------------------------------------------------

@pytest.mark.parametrize("name,analyte", [
    ("Vitamin B12 01", "b12"), ("Hemoglobin ¹", "hemoglobin"), ("Hemoglobin¹", "hemoglobin"),
    ("Folate *", "folate"), ("Folate †", "folate"), ("Ferritin ‡", "ferritin"), ("MCV §", "mcv"),
    ("MCV (a)", "mcv"), ("MCV [1]", "mcv"), ("Hemoglobin 02 A", "hemoglobin"), ("Vitamin B12 01 ²", "b12"),
    ("Methylmalonic Acid, Serum 01", "mma"), ("Homocyst(e)ine 02", "homocysteine"),
    ("Vitamin B 12 ¹", "b12"), ("RET# 01", "reticulocytes_abs"), ("RET% ¹", "reticulocytes"),
])
def test_trailing_lab_codes_and_footnote_marks_are_not_part_of_the_name(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name", ["Vitamin B12", "Vitamin B 12", "25-OH Vitamin D3", "CA 19-9", "HbA1c",
                                  "Hemoglobin A2", "Vitamin B6", "LBDB12SI", "RET#", "RET%", "Folate"])
def test_a_name_that_ends_in_digits_or_signs_is_not_cut(name):
    from b12core.text import name_without_marks

    assert name_without_marks(name) == []


@pytest.mark.parametrize("name,analyte", [
    ("Vitamin B12", "b12"), ("Vitamin B 12", "b12"), ("LBDB12SI", "b12"), ("25-OH Vitamin D3", None),
    ("CA 19-9", None), ("HbA1c", None), ("Hemoglobin A2", None), ("Hemoglobin A 2", None), ("Vitamin B6", None),
    ("Vitamin B1", None), ("Retic #", None), ("Hemoglobin F", None),
])
def test_real_names_that_end_in_digits_keep_their_meaning(name, analyte):
    ident = lookup_name(name)
    assert (ident.analyte if ident else None) == analyte
    if name == "LBDB12SI":
        assert ident.unit == "pmol/L"


def test_a_count_sign_is_never_read_as_a_footnote():
    # '#' means absolute count and '%' a percentage, with or without a lab code after them
    assert lookup_name("RET#").analyte == lookup_name("RET# 02").analyte == "reticulocytes_abs"
    assert lookup_name("RET%").analyte == lookup_name("RET% 02").analyte == "reticulocytes"
    retic_count = lookup_name("Retic #")
    assert retic_count is None or retic_count.analyte == "reticulocytes_abs"


@pytest.mark.parametrize("name,analyte", [
    ("Folate (Folic Acid), Serum", "folate"), ("ACTIVE B12 (HOLOTC)", "holotc"),
    ("Aktives Vitamin B12 (Holo-Transcobalamin)", "holotc"), ("Vitamine B9 (folates)", "folate"),
    ("Vitamin B12 aktiv (Holotranscobalamin)", "holotc"), ("Hämoglobinkonzentration (hemoglobin, HGB)", "hemoglobin"),
    ("Cyanocobalamin (Vitamin B-12), Quantitative", "b12"), ("Folate (Folic Acid), Serum 01", "folate"),
    ("Methylmalonsäure (Serum)", "mma"), ("(Hb)", "hemoglobin"),
])
def test_a_name_and_its_synonym_in_brackets_are_each_tried(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name", ["Folate (RBC)", "Hemoglobin (urine)", "Vitamin B12 (Folate)",
                                  "Vitamin B12 (CMIA)", "Glycated hemoglobin (HbA1c)", "Ferritin (ng/mL)"])
def test_brackets_that_name_something_else_or_nothing_known_decide_nothing(name):
    ident = lookup_name(name)
    assert ident is None or ident.analyte is None


def test_every_table_name_keeps_its_meaning_without_its_trailing_marks():
    from b12core.text import name_key, name_without_marks

    exact, _ = reference.name_index()
    for key_name in [r["alias"] for r in reference.read_table("aliases")] + \
                    [r["name"] for r in reference.read_table("untracked")]:
        meaning = exact[name_key(key_name)].analyte
        for shorter in name_without_marks(key_name):
            other = exact.get(name_key(shorter))
            assert other is None or other.analyte == meaning, (key_name, shorter)


NAMES_IN_OTHER_LANGUAGES = [
    # French
    ("Folates sériques", "folate"), ("Folates", "folate"), ("Vitamine B9", "folate"), ("Acide folique", "folate"),
    ("Hémoglobine", "hemoglobin"), ("Volume globulaire moyen", "mcv"), ("VGM", "mcv"),
    ("Vitamine B12", "b12"), ("Acide méthylmalonique", "mma"), ("Homocystéine", "homocysteine"),
    ("Holotranscobalamine", "holotc"), ("Kaliémie", "potassium"), ("Potassium (Kaliémie)", "potassium"),
    # German
    ("Hämoglobin", "hemoglobin"), ("Hämoglobinkonzentration", "hemoglobin"), ("Mittleres Zellvolumen", "mcv"),
    ("Folsäure", "folate"), ("Folat", "folate"), ("Methylmalonsäure", "mma"), ("Homocystein", "homocysteine"),
    ("Holotranscobalamin", "holotc"), ("Vitamin B12 aktiv", "holotc"), ("Vitamin B12, gesamt", "b12"),
    # Dutch
    ("Hemoglobine", "hemoglobin"), ("Foliumzuur", "folate"), ("Methylmalonzuur", "mma"),
    ("Homocysteïne", "homocysteine"), ("Vitamine B12", "b12"), ("Actief B12", "holotc"),
    ("Vitamine B12, actief", "holotc"), ("Folaat", "folate"),
    # Spanish
    ("Hemoglobina", "hemoglobin"), ("Volumen corpuscular medio", "mcv"), ("VCM", "mcv"), ("Ácido fólico", "folate"),
    ("Folato", "folate"), ("Folatos en suero", "folate"), ("Ácido metilmalónico", "mma"),
    ("Homocisteína", "homocysteine"), ("Holotranscobalamina", "holotc"), ("Vitamina B12 activa", "holotc"),
    ("Cobalamina", "b12"), ("Potasio", "potassium"), ("Reticulocitos", "reticulocytes"),
    # Italian
    ("Emoglobina", "hemoglobin"), ("Volume corpuscolare medio", "mcv"), ("Acido folico", "folate"),
    ("Folati", "folate"), ("Vitamina B12", "b12"), ("Omocisteina", "homocysteine"),
    ("Acido metilmalonico", "mma"), ("Olotranscobalamina", "holotc"), ("Potassio", "potassium"),
    ("Reticolociti", "reticulocytes"), ("Vitamina B9", "folate"),
]


@pytest.mark.parametrize("name,analyte", NAMES_IN_OTHER_LANGUAGES)
def test_tracked_analytes_as_labs_print_them_in_french_german_dutch_spanish_and_italian(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name,analyte", [
    ("Vitamine B12 sérique", "b12"), ("Ferritine sérique", "ferritin"), ("Potassium sérique", "potassium"),
    ("Potassium plasmatique", "potassium"), ("Ferritina sérica", "ferritin"), ("Vitamina B12 sérica", "b12"),
    ("Potasio en suero", "potassium"), ("Vitamina B12 sierica", "b12"), ("Ferritina sierica", "ferritin"),
    ("Potassio plasmatico", "potassium"), ("Folates sériques", "folate"),
])
def test_the_serum_or_plasma_adjective_of_french_spanish_and_italian_names_is_not_part_of_the_test(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name", ["Fer sérique", "Ferro sierico", "Hierro sérico", "Folates érythrocytaires",
                                  "Vitamine B12 active sérique", "Potassium urinaire"])
def test_a_serum_adjective_never_makes_another_test_a_tracked_one(name):
    ident = lookup_name(name)
    assert ident is None or ident.analyte is None


@pytest.mark.parametrize("name", ["Folates érythrocytaires", "Erythrozyten-Folsäure", "Folato eritrocitario",
                                  "Folati GR", "Vitamine B12 active", "Vitamina B12 attiva"])
def test_lookalikes_in_other_languages_are_not_serum_folate_or_total_b12(name):
    ident = lookup_name(name)
    assert ident is None or ident.analyte not in ("folate", "b12")


def test_names_in_other_languages_are_sourced_as_readers_know_them():
    from b12core.text import name_key

    keys = {name_key(n) for n, _ in NAMES_IN_OTHER_LANGUAGES}
    rows = [r for r in reference.read_table("aliases") if name_key(r["alias"]) in keys]
    assert len(rows) >= len(keys) - 2  # "Acido folico" and "Homocysteïne" share a key with another spelling
    for r in rows:
        assert reference.cite_problems(r["source"]) == [], (r["alias"], r["source"])
        assert "'" in r["source"], (r["alias"], r["source"])  # quotes the name as the source prints it


def test_qualifier_words_are_read_as_their_sign_whatever_their_case_and_accents():
    words = reference.qualifier_words()
    assert words[reference.qualifier_key("SUPERIEUR  A")] == ">"
    assert words[reference.qualifier_key("Inférieur à")] == "<"
    assert words[reference.qualifier_key("GRÖSSER ALS")] == ">"


def test_check_tables_refuses_a_qualifier_that_is_not_a_sign(monkeypatch):
    _doctored(monkeypatch, "qualifiers", qualifier="less")
    assert any(p.startswith("qualifiers.csv") and "'less'" in p for p in reference.check_tables())


@pytest.mark.parametrize("name,analyte", [
    ("Ferritinemia", "ferritin"), ("Folatemia", "folate"), ("Potassiemia", "potassium"), ("Kaliemia", "potassium"),
    ("Homocystéine totale", "homocysteine"), ("Omocisteina totale", "homocysteine"),
    ("HOMOCYSTEINE, CARDIOVASCULAR", "homocysteine"),
])
def test_italian_blood_level_names_total_homocysteine_and_quests_cardiovascular_homocysteine(name, analyte):
    ident = lookup_name(name)
    assert ident is not None and ident.analyte == analyte


@pytest.mark.parametrize("name", ["Folate (RBC)", "Vitamin B12 (Folate)", "Ferritin (Holotranscobalamin)",
                                  "MCH (Retis)", "Retikulozyten (Hämoglobin)",
                                  "Folate (Erythrocytes)", "Potassium (Urine)", "Hämoglobin (Urin)"])
def test_a_bracket_naming_another_test_is_never_merged_into_a_tracked_one(name):
    ident = lookup_name(name)
    assert ident is None or ident.analyte is None
