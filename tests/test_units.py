"""Units: conversion, inference from the range of values, plausibility with a helpful guess."""

from __future__ import annotations

import numpy as np
import pytest

from b12core.units import canonical, implausible, infer_unit, resolve_unit


def test_known_units_convert_and_unknown_ones_explain_themselves():
    assert resolve_unit("hemoglobin", "gm/dL").factor == 10
    assert "not a unit we know" in resolve_unit("hemoglobin", "bananas").problem
    answer = resolve_unit("hemoglobin", "mg/L")
    assert "cannot be converted" in answer.problem and "g/dL" in answer.problem


def test_active_b12_in_nmol_per_litre_is_a_thousand_times_its_pmol_per_litre():
    answer = resolve_unit("holotc", "nmol/l")
    assert (answer.unit, answer.factor, answer.problem) == ("nmol/L", 1000, "")
    reasons = implausible("holotc", np.array([0.033, 33.0]), np.array(["nmol/L", "nmol/L"], dtype=object),
                          np.array([33.0, 33000.0]))
    assert reasons[0] == ""
    assert reasons[1] == "Active B12 (holotranscobalamin) 33 nmol/L is implausible; was it pmol/L?"


def test_reticulocyte_count_in_a_count_unit_is_the_absolute_count():
    answer = resolve_unit("reticulocytes", "10^9/L")
    assert answer.analyte == "reticulocytes_abs" and answer.factor == 1


@pytest.mark.parametrize("analyte,values,hint,unit", [
    ("hemoglobin", [84, 92, 131], None, "g/L"),
    ("hemoglobin", [8.4, 9.2, 17.1], None, "g/dL"),
    ("mma", [0.12, 0.45], None, "umol/L"),
    ("mma", [120, 450], None, "nmol/L"),
    ("b12", [300, 250], "pg/mL", "pg/mL"),
])
def test_missing_unit_inferred_only_when_the_range_decides(analyte, values, hint, unit):
    got, note = infer_unit(analyte, np.array(values, dtype=float), hint, set())
    assert got == unit and "inferred" in note


def test_missing_unit_not_inferred_when_ambiguous():
    got, why = infer_unit("b12", np.array([300.0]), None, set())
    assert got == "" and "could be" in why and "pg/mL" in why and "pmol/L" in why
    got, why = infer_unit("hemoglobin", np.array([8.4, 9.1]), None, set())  # g/dL or mmol/L
    assert got == ""


def test_missing_unit_taken_from_other_rows_of_the_same_test_when_they_agree():
    got, note = infer_unit("b12", np.array([300.0]), None, {"pg/mL"})
    assert got == "pg/mL" and "other" in note


def test_implausible_values_suggest_the_unit_that_would_fit():
    reasons = implausible("hemoglobin", np.array([135.0, 13.5]), np.array(["g/dL", "g/dL"], dtype=object),
                          np.array([1350.0, 135.0]))
    assert reasons[0] == "Hemoglobin 135 g/dL is implausible; was it g/L?"
    assert reasons[1] == ""
    reasons = implausible("mma", np.array([0.3]), np.array(["nmol/L"], dtype=object), np.array([0.3]))
    assert "was it" in reasons[0] and "umol/L" in reasons[0]
    reasons = implausible("hemoglobin", np.array([-3.0]), np.array(["g/L"], dtype=object), np.array([-3.0]))
    assert "plausible range" in reasons[0]


def test_canonical_values_keep_six_significant_digits_and_no_noise():
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.uniform(0.001, 1e6, 20_000) * rng.choice([1, 0.737795, 16.1145, 88.4], 20_000),
                             [0.0, -3.25, np.nan, np.inf, 137.96766499999998, 999999.5, 1e-12, 123456789.0]])
    got = canonical(values)
    expected = np.array([float(f"{v:.6g}") if np.isfinite(v) else v for v in values])
    assert np.array_equal(got, expected, equal_nan=True)
    assert repr(float(got[-4])) == "137.968"
