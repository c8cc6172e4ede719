"""View settings, their URL form, and display-unit conversion (b12core/display.py).

The view may live in the page URL, so its URL form must survive a round trip, ignore anything
unknown or malformed, and never carry patient data. Unit factors come from reference/units.csv.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing

import numpy as np
import pandas as pd
import pytest

from b12core.display import (
    ViewSettings,
    display_unit,
    to_display,
    units_for,
    value_text,
    view_from_params,
    view_to_params,
)
from b12core.reference import analyte_keys

D = pd.Timestamp
DEFAULT = ViewSettings()


# --- URL form ------------------------------------------------------------------------------------

def test_default_view_gives_no_params():
    assert view_to_params(ViewSettings()) == {}
    assert view_from_params({}) == DEFAULT


@pytest.mark.parametrize("view", [
    ViewSettings(units="US"),
    ViewSettings(time_axis="days"),
    ViewSettings(analytes=("hemoglobin", "mcv")),
    ViewSettings(analytes=("hemoglobin", "b12")),  # in display order, as the URL gives them back
    ViewSettings(start=D("2024-01-05")),
    ViewSettings(end=D("2024-12-31")),
    ViewSettings(unit_overrides={"b12": "ng/L"}),
    ViewSettings(units="US", unit_overrides={"hemoglobin": "mmol/L", "b12": "pmol/L"}, time_axis="days",
                 analytes=("hemoglobin", "b12", "mma"), start=D("2024-01-05"), end=D("2024-06-30")),
])
def test_view_survives_a_round_trip(view):
    params = view_to_params(view)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert view_from_params(params) == view


def test_params_spell_out_only_what_differs_from_the_default():
    view = ViewSettings(units="US", unit_overrides={"hemoglobin": "mmol/L"}, time_axis="days",
                        analytes=("hemoglobin", "b12"), start=D("2024-01-05"), end=D("2024-06-30"))
    assert view_to_params(view) == {"units": "US", "axis": "days", "show": "hemoglobin,b12", "from": "2024-01-05",
                                    "to": "2024-06-30", "unit_hemoglobin": "mmol/L"}


def test_dates_are_written_as_days():
    assert view_to_params(ViewSettings(start=D("2024-01-05 10:30"))) == {"from": "2024-01-05"}


@pytest.mark.parametrize(("params", "expected"), [
    ({"units": "metric"}, DEFAULT),
    ({"units": "us"}, DEFAULT),
    ({"axis": "weeks"}, DEFAULT),
    ({"show": "hemoglobin,foo"}, ViewSettings(analytes=("hemoglobin",))),
    ({"show": "foo"}, DEFAULT),
    ({"show": ""}, DEFAULT),
    ({"show": ",,"}, DEFAULT),
    ({"from": "2024-13-01"}, DEFAULT),
    ({"from": "2024-02-30"}, DEFAULT),
    ({"to": "not a date"}, DEFAULT),
    ({"to": "31/12/2024"}, DEFAULT),
    ({"from": ""}, DEFAULT),
    ({"unit_b12": "g/L"}, DEFAULT),  # a unit, but not one of B12
    ({"unit_b12": "furlongs"}, DEFAULT),
    ({"unit_foo": "g/L"}, DEFAULT),  # not an analyte
    ({"unit_": "g/L"}, DEFAULT),
    ({"patient": "943 476 5919", "nhs": "943 476 5919"}, DEFAULT),  # unknown keys
    ({"units": "US", "from": "2024-13-01", "unit_mcv": "g/L"}, ViewSettings(units="US")),  # the good part is kept
])
def test_unknown_or_malformed_params_are_ignored(params, expected):
    assert view_from_params(params) == expected


def test_repeated_analytes_in_show_count_once():
    assert view_from_params({"show": "hemoglobin,mcv,hemoglobin"}).analytes == ("hemoglobin", "mcv")


def test_every_analyte_and_unit_can_be_chosen_in_the_url():
    for analyte in analyte_keys():
        for unit in units_for(analyte):
            view = view_from_params({"show": analyte, f"unit_{analyte}": unit})
            assert view.analytes == (analyte,)
            assert view.unit_overrides == {analyte: unit}


def test_view_to_params_takes_only_view_settings():
    """No patient data can enter the URL: the only input is the view, whose fields are view choices."""
    signature = inspect.signature(view_to_params)
    assert list(signature.parameters) == ["view"]
    hints = typing.get_type_hints(view_to_params)
    assert hints["view"] is ViewSettings
    assert hints["return"] == dict[str, str]
    assert {f.name for f in dataclasses.fields(ViewSettings)} == {
        "units", "unit_overrides", "time_axis", "analytes", "start", "end"}


def test_params_keys_are_a_fixed_vocabulary():
    view = ViewSettings(units="US", unit_overrides=dict.fromkeys(analyte_keys(), "x"), time_axis="days",
                        analytes=analyte_keys(), start=D("2024-01-01"), end=D("2024-02-01"))
    allowed = {"units", "axis", "show", "from", "to"} | {f"unit_{a}" for a in analyte_keys()}
    assert set(view_to_params(view)) <= allowed


# --- display units -------------------------------------------------------------------------------

@pytest.mark.parametrize(("analyte", "view", "unit"), [
    ("hemoglobin", ViewSettings(), "g/L"),
    ("hemoglobin", ViewSettings(units="US"), "g/dL"),
    ("b12", ViewSettings(), "pmol/L"),
    ("b12", ViewSettings(units="US"), "pg/mL"),
    ("folate", ViewSettings(units="US"), "ng/mL"),
    ("mcv", ViewSettings(units="US"), "fL"),
    ("b12", ViewSettings(unit_overrides={"b12": "ng/L"}), "ng/L"),
    ("hemoglobin", ViewSettings(units="US", unit_overrides={"hemoglobin": "mmol/L"}), "mmol/L"),  # override wins
    ("hemoglobin", ViewSettings(units="US", unit_overrides={"b12": "ng/L"}), "g/dL"),  # another analyte's
])
def test_display_unit(analyte, view, unit):
    assert display_unit(analyte, view) == unit


@pytest.mark.parametrize(("analyte", "unit", "canonical", "shown"), [
    ("hemoglobin", "g/L", 84.0, 84.0),
    ("hemoglobin", "g/dL", 84.0, 8.4),
    ("hemoglobin", "mmol/L", 161.145, 10.0),
    ("b12", "pg/mL", 1475.59, 2000.0),  # the sample's >2000 ng/L
    ("b12", "ng/L", 72.30391, 98.0),
    ("mma", "umol/L", 1450.0, 1.45),
    ("folate", "ng/mL", 17.89745, 7.9),
])
def test_to_display(analyte, unit, canonical, shown):
    assert float(to_display(canonical, analyte, unit)) == pytest.approx(shown, rel=1e-5)


def test_to_display_takes_series_arrays_and_keeps_missing_values():
    out = to_display(pd.Series([84.0, np.nan, 140.0]), "hemoglobin", "g/dL")
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [8.4, np.nan, 14.0])
    np.testing.assert_allclose(to_display(np.array([100.0]), "hemoglobin", "g/dL"), [10.0])


def test_to_display_with_the_unit_of_an_override():
    view = ViewSettings(unit_overrides={"b12": "ng/L"})
    assert float(to_display(1475.59, "b12", display_unit("b12", view))) == pytest.approx(2000.0, rel=1e-5)


def test_to_display_refuses_a_unit_of_another_analyte():
    with pytest.raises(KeyError):
        to_display(84.0, "hemoglobin", "pmol/L")


def test_units_for_starts_with_the_canonical_unit_and_includes_the_conventional_one():
    assert units_for("hemoglobin") == ["g/L", "g/dL", "mmol/L"]
    assert "pg/mL" in units_for("b12")


# --- numbers as a clinician reads them -----------------------------------------------------------

@pytest.mark.parametrize(("value", "analyte", "unit", "text"), [
    (98.0, "hemoglobin", "g/L", "98"),
    (97.5001, "hemoglobin", "g/L", "98"),
    (9.84, "hemoglobin", "g/dL", "9.8"),
    (10.0, "hemoglobin", "g/dL", "10.0"),  # a decimal the lab writes is kept
    (8.456, "hemoglobin", "mmol/L", "8.5"),
    (88.9, "mcv", "fL", "89"),
    (72.30391, "b12", "pmol/L", "72"),
    (1475.59, "b12", "pmol/L", "1476"),
    (143.0, "mma", "nmol/L", "143"),
    (0.123, "mma", "umol/L", "0.12"),
    (0.4, "mma", "nmol/mL", "0.40"),
    (9.6, "homocysteine", "umol/L", "9.6"),
    (15.63195, "folate", "nmol/L", "15.6"),
    (45.0, "holotc", "pmol/L", "45"),
    (89.0, "ferritin", "ug/L", "89"),
    (1.34, "reticulocytes", "%", "1.3"),
])
def test_value_text_uses_the_decimals_of_its_analyte_and_unit(value, analyte, unit, text):
    assert value_text(value, analyte, unit) == text


@pytest.mark.parametrize(("value", "analyte", "unit", "text"), [
    (-2.265, "homocysteine", "umol/L", "-2.3"),
    (61.0, "hemoglobin", "g/L", "+61"),
    (-28.0, "mcv", "fL", "-28"),
    (-1.0, "folate", "ng/mL", "-1.0"),
    (1902.0, "b12", "pg/mL", "+1902"),
])
def test_signed_value_text(value, analyte, unit, text):
    assert value_text(value, analyte, unit, signed=True) == text


@pytest.mark.parametrize(("value", "qualifier", "signed", "text"), [
    (1475.59, ">", False, ">1476"),
    (150.0, "<", False, "<150"),
    (150.0, "<=", False, "<=150"),
    (250.0, ">", True, "> +250"),
    (-876.0, "<", True, "< -876"),
])
def test_value_text_with_a_qualifier(value, qualifier, signed, text):
    assert value_text(value, "b12", "pmol/L", qualifier, signed) == text


@pytest.mark.parametrize(("value", "analyte", "unit"), [
    (15000.0, "ferritin", "ug/L"), (45849.0, "b12", "pg/mL"), (1.5e7, "ferritin", "ug/L"), (1e21, "mma", "nmol/L"),
])
def test_large_values_are_never_in_e_notation(value, analyte, unit):
    text = value_text(value, analyte, unit)
    assert "e" not in text.lower() and text == f"{value:.0f}"


@pytest.mark.parametrize(("value", "analyte", "unit", "signed", "text"), [
    (-0.04, "hemoglobin", "g/L", False, "0"),
    (-0.04, "hemoglobin", "g/L", True, "0"),
    (-0.0, "b12", "pmol/L", True, "0"),
    (0.0, "hemoglobin", "g/dL", True, "0.0"),
    (-0.004, "mma", "umol/L", True, "0.00"),
    (0.3, "b12", "pmol/L", True, "0"),
])
def test_minus_zero_is_never_shown(value, analyte, unit, signed, text):
    assert value_text(value, analyte, unit, signed=signed) == text


def test_a_missing_value_is_blank():
    assert value_text(float("nan"), "hemoglobin", "g/L") == ""
    assert value_text(float("nan"), "hemoglobin", "g/L", ">", signed=True) == ""


def test_value_text_refuses_a_unit_of_another_analyte():
    with pytest.raises(KeyError):
        value_text(84.0, "hemoglobin", "pmol/L")
