"""View settings (units, time axis, analytes, dates) and their URL form; display-unit conversion.

View settings are not patient data, so they may live in the page URL: a reload keeps the view.
Nothing that identifies a patient is ever written into them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b12core.reference import analyte_keys, analytes, display_decimals, unit_factors

UNIT_SYSTEMS = ("SI", "US")
TIME_AXES = ("date", "days")


@dataclass(frozen=True)
class ViewSettings:
    """What the clinician chose to see."""

    units: str = "SI"  # "SI" (canonical) or "US" (conventional)
    unit_overrides: dict[str, str] = field(default_factory=dict)  # analyte -> unit
    time_axis: str = "date"  # "date" or "days" (since the first dose)
    analytes: tuple[str, ...] = ()  # empty: every analyte with results
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


def display_unit(analyte: str, view: ViewSettings) -> str:
    """The unit an analyte is shown in under the view settings."""
    if analyte in view.unit_overrides:
        return view.unit_overrides[analyte]
    info = analytes()[analyte]
    return info.conventional_unit if view.units == "US" else info.canonical_unit


def units_for(analyte: str) -> list[str]:
    """Every unit an analyte can be shown in."""
    return [u for (a, u) in unit_factors() if a == analyte]


def to_display(values: pd.Series | np.ndarray | float, analyte: str, unit: str) -> np.ndarray:
    """Canonical values in a display unit of the same analyte."""
    return np.asarray(values, dtype="float64") / unit_factors()[(analyte, unit)]


def view_to_params(view: ViewSettings) -> dict[str, str]:
    """The view as URL query parameters (only what differs from the default)."""
    params: dict[str, str] = {}
    if view.units != "SI":
        params["units"] = view.units
    if view.time_axis != "date":
        params["axis"] = view.time_axis
    if view.analytes:
        params["show"] = ",".join(view.analytes)
    if view.start is not None:
        params["from"] = f"{view.start:%Y-%m-%d}"
    if view.end is not None:
        params["to"] = f"{view.end:%Y-%m-%d}"
    for analyte, unit in sorted(view.unit_overrides.items()):
        params[f"unit_{analyte}"] = unit
    return params


def _date(text: str | None) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(dt.date.fromisoformat(text)) if text else None
    except ValueError:
        return None


def view_from_params(params: Mapping[str, str]) -> ViewSettings:
    """The view from URL query parameters; anything unknown or malformed is ignored."""
    keys = set(analyte_keys())
    chosen = set(params.get("show", "").split(","))
    shown = tuple(a for a in analyte_keys() if a in chosen)  # each once, in display order
    overrides = {k[5:]: v for k, v in params.items()
                 if k.startswith("unit_") and k[5:] in keys and v in units_for(k[5:])}
    return ViewSettings(
        units=params.get("units") if params.get("units") in UNIT_SYSTEMS else "SI",
        unit_overrides=overrides,
        time_axis=params.get("axis") if params.get("axis") in TIME_AXES else "date",
        analytes=shown, start=_date(params.get("from")), end=_date(params.get("to")))


def number_text(value: float, signed: bool = False) -> str:
    """A result as a clinician writes it: 4 significant digits below 1000, whole numbers above
    (``15000``, never ``1.5e+04``)."""
    text = f"{value:+.0f}" if signed and abs(value) >= 1000 else f"{value:.0f}" if abs(value) >= 1000 else \
        f"{value:+.4g}" if signed else f"{value:.4g}"
    return text


def display_round(value: float, analyte: str, unit: str) -> float:
    """A value in a display unit rounded to the decimals it is shown with (``reference/units.csv``),
    so that sums and differences of shown values agree with what the reader sees."""
    return round(float(value), display_decimals()[(analyte, unit)])


def value_text(value: float, analyte: str, unit: str, qualifier: str = "", signed: bool = False) -> str:
    """A value in a display unit as labs print it: the decimals of its analyte and unit
    (``value_text(98.0, "hemoglobin", "g/L")`` -> ``"98"``; ``value_text(9.84, "hemoglobin", "g/dL")``
    -> ``"9.8"``), never in e-notation, never ``-0``, the minus sign ASCII ``-``.

    ``signed`` writes ``+`` before a positive value (a change); zero has no sign. A qualifier of a
    censored value comes first, joined to the number (``">1476"``), or with a space before a signed
    number (``"> +250"``). A missing value is ``""``. Raises KeyError for a unit of another analyte.
    """
    decimals = display_decimals()[(analyte, unit)]
    if value is None or pd.isna(value):
        return ""
    text = f"{abs(float(value)):.{decimals}f}"
    sign = "" if float(text) == 0 else "-" if value < 0 else "+" if signed else ""  # never "-0"
    number = sign + text
    if not qualifier:
        return number
    return f"{qualifier} {number}" if signed else f"{qualifier}{number}"


def in_view(times: pd.Series, view: ViewSettings) -> pd.Series:
    """True for times inside the view's dates; an end date without a time includes its whole day."""
    keep = times.notna()
    if view.start is not None:
        keep &= times >= view.start
    if view.end is not None:
        end = view.end + pd.Timedelta(days=1) if view.end == view.end.normalize() else view.end
        keep &= times < end if view.end == view.end.normalize() else times <= end
    return keep
