"""Reported units -> canonical units: spelling, conversion factor, inference and plausibility.

Works on distinct (analyte, unit) pairs; callers map the answers back onto rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from b12core.reference import analytes, inferable_units, ucum_unit, unit_factors


def fmt(x: float) -> str:
    """A number as a person writes it: ``135``, ``13.5``, ``0.04``."""
    return f"{x:.6g}"


CANONICAL_DIGITS = 6  # significant digits kept of a converted value: beyond any lab's precision (4 at most)


def canonical(values: np.ndarray) -> np.ndarray:
    """Converted values rounded to ``CANONICAL_DIGITS`` significant digits, so binary arithmetic's
    noise never reaches a table or a written file (187 pg/mL is 137.968 pmol/L, not
    137.96766499999998). Each result is the double nearest its decimal: an integer divided, or
    multiplied, by an exact power of ten. NaN, infinities and zero are left as they are."""
    values = np.asarray(values, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = CANONICAL_DIGITS - 1 - np.floor(np.log10(np.abs(values)))
    shift = np.where(np.isfinite(shift), shift, 0.0)
    scale = 10.0 ** np.abs(shift)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(shift >= 0, np.round(values * scale) / scale, np.round(values / scale) * scale)


def units_of(analyte: str) -> dict[str, float]:
    """UCUM unit -> factor for every unit we convert for this analyte."""
    return {u: f for (a, u), f in unit_factors().items() if a == analyte}


def property_of(unit: str) -> str:
    """``molar`` for amount-of-substance units, ``mass`` for mass units, else ``other``."""
    if "mol" in unit:
        return "molar"
    return "mass" if "g/" in unit else "other"


def companion_for_unit(analyte: str, unit: str) -> str | None:
    """Another analyte that shares the name but is reported in this unit (reticulocyte % vs
    absolute count): the analyte whose key extends this one and accepts the unit."""
    for other in analytes():
        if other != analyte and other.startswith(analyte + "_") and (other, unit) in unit_factors():
            return other
    return None


@dataclass(frozen=True)
class UnitAnswer:
    analyte: str
    unit: str  # UCUM unit the value is in ("" when unusable)
    factor: float  # NaN when unusable
    problem: str  # "" when usable


def resolve_unit(analyte: str, reported: str) -> UnitAnswer:
    """Canonical conversion for one analyte and one reported unit spelling (not empty)."""
    ucum = ucum_unit(reported)
    if ucum is None:
        return UnitAnswer(analyte, "", np.nan, f"unit {reported!r} is not a unit we know")
    factor = unit_factors().get((analyte, ucum))
    if factor is None:
        other = companion_for_unit(analyte, ucum)
        if other:
            return UnitAnswer(other, ucum, unit_factors()[(other, ucum)], "")
        known = ", ".join(units_of(analyte))
        label = analytes()[analyte].label
        return UnitAnswer(analyte, "", np.nan,
                          f"{label} in {ucum} cannot be converted (known units: {known})")
    return UnitAnswer(analyte, ucum, factor, "")


def infer_unit(analyte: str, values: np.ndarray, hint_unit: str | None,
               reported_elsewhere: set[str]) -> tuple[str, str]:
    """(unit, note) for results given without a unit, or ("", reason) when the values' range
    does not decide it. ``hint_unit`` (from a LOINC code) restricts candidates to its property."""
    info = analytes()[analyte]
    finite = values[np.isfinite(values)]
    candidates: dict[float, list[str]] = {}
    for unit, factor in units_of(analyte).items():
        if (analyte, unit) not in inferable_units():
            continue
        if hint_unit and property_of(unit) != property_of(hint_unit):
            continue
        if finite.size and np.all((finite * factor >= info.plausible_low) & (finite * factor <= info.plausible_high)):
            candidates.setdefault(factor, []).append(unit)
    if len(candidates) == 1:
        units = next(iter(candidates.values()))
        unit = hint_unit if hint_unit in units else units[0]
        return unit, f"unit {unit} inferred from the range of values"
    fitting = [u for us in candidates.values() for u in us]
    elsewhere = [u for u in fitting if u in reported_elsewhere]
    if len(candidates) > 1 and len({unit_factors()[(analyte, u)] for u in elsewhere}) == 1:
        return elsewhere[0], f"unit {elsewhere[0]} as on the other {info.label} rows of this file"
    if not candidates:
        return "", f"no unit given and the values fit no unit of {info.label}"
    shown = " or ".join(sorted(fitting))
    return "", f"no unit given; {info.label} {fmt(float(finite[0]))} could be {shown}"


def implausible(analyte: str, reported: np.ndarray, unit: np.ndarray, canonical: np.ndarray) -> np.ndarray:
    """Per row: a sentence when the canonical value is outside the analyte's plausible limits,
    naming the unit that would make it plausible; "" otherwise."""
    info = analytes()[analyte]
    out = np.full(len(canonical), "", dtype=object)
    bad = ~((canonical >= info.plausible_low) & (canonical <= info.plausible_high))
    if not bad.any():
        return out
    alternatives = units_of(analyte)
    for i in np.flatnonzero(bad):
        value, given = reported[i], unit[i]
        fits = [u for u, f in alternatives.items()
                if u != given and info.plausible_low <= value * f <= info.plausible_high
                and f != alternatives.get(given)]
        text = f"{info.label} {fmt(value)} {given} is implausible"
        if fits:
            text += f"; was it {' or '.join(dict.fromkeys(fits))}?"
        else:
            text += (f" (plausible range {fmt(info.plausible_low)}-{fmt(info.plausible_high)} "
                     f"{info.canonical_unit})")
        out[i] = text
    return out
