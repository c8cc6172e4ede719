"""Injection records (and oral B12) -> the canonical ``doses`` table, every row accounted for.

A dose in mg, µg/mcg or mL becomes micrograms (mL through the product's strength, written in the
product text such as ``1mg/1ml`` or ``1000 mcg/mL``). Product and route are normalised from
reference tables. Rows for other drugs are ignored and listed; a dose far outside B12
replacement (the 5 g hydroxocobalamin cyanide antidote) is ignored and listed, never counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from b12core import dates
from b12core.accounting import (
    NO_PATIENT_ID,
    Reasons,
    RowNotes,
    counts_frame,
    drop_duplicates_counted,
    name_counts,
    rejections_frame,
    summary_line,
)
from b12core.errors import InputError
from b12core.mapping import ColumnMapping, roles_by_header
from b12core.read import RawFile
from b12core.reference import find_product, route_of, threshold
from b12core.text import fold

DOSES_COLUMNS = ("patient_id", "administered_at", "product", "dose_ug", "route", "batch",
                 "reported_product", "reported_dose", "reported_unit", "reported_route",
                 "source_file", "source_row", "notes")
INJECTED = ("IM", "SC", "IV", "injection")

_MASS_UG = {"g": 1e6, "mg": 1000.0, "ug": 1.0}
_NUMBER = r"\d+(?:[.,]\d+)?"
STRENGTH_PER_ML = (rf"(?P<amount>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|g)\s*(?:/|per|in)\s*"
                   rf"(?P<volume>{_NUMBER})?\s*(?:ml|mL|ML|Ml)\b")
STRENGTH_PER_UNIT = rf"(?P<amount>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|g)\b"
DOSE_PATTERN = (rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>mg|mcg|µg|μg|ug|micrograms?|milligrams?|g|ml|mL|ML|"
                r"amp(?:oule)?s?|vials?|tab(?:let)?s?|tabletten|caps?(?:ules?)?|sprays?)?\.?\s*$")
_ORAL_FORMS = re.compile(r"\b(tab|tabs|tablet|tablets|tabletten|capsule|capsules|caps|lozenge|oral|drops)\b")
_NASAL_FORMS = re.compile(r"\b(nasal|spray)\b")
_INJECTION_FORMS = re.compile(r"\b(inj|injection|injectable|ampoule|ampoules|amp|vial|solution for injection|"
                              r"ampulle|ampullen|injektionslosung)\b")


@dataclass(frozen=True)
class DoseImport:
    """The outcome of importing one or more injection records."""

    doses: pd.DataFrame
    rejections: pd.DataFrame
    counts: pd.DataFrame  # one row per source file: read, accepted, ignored, duplicates, rejected
    ignored_names: pd.DataFrame  # source_file, name, rows: other drugs, antidote doses
    mappings: dict[str, ColumnMapping] = field(default_factory=dict)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: read, accepted, ignored, duplicates, rejected over all files."""
        return summary_line(self.counts)


def propose_dose_mapping(raw: RawFile) -> ColumnMapping:
    """Column roles of an injection record, with a reason each."""
    roles, reasons = roles_by_header(list(raw.columns), kind="doses")
    if "administered_at" not in roles:
        raise InputError(f"{raw.name}: no column holds the date each dose was given")
    if "product" not in roles and "dose" not in roles:
        raise InputError(f"{raw.name}: no column names the product or the dose")
    return ColumnMapping("long", roles, reasons, (), "one row per dose", kind="doses")


@dataclass(frozen=True)
class ProductInfo:
    """What a product text says: which B12 product, its strength, its form's route."""

    product: str  # "" when the text names no B12 product
    per_ml_ug: float  # µg per mL (NaN when not written)
    table_per_ml_ug: float  # µg per mL of the product's usual injection (reference table), NaN if none
    per_unit_ug: float  # µg per tablet/ampoule (NaN when not written)
    form_route: str  # oral / nasal / injection route implied by the form ("" when none)
    injection_route: str  # the product's injection route (hydroxocobalamin: IM)


def _amount_ug(amount: str, unit: str) -> float:
    unit = fold(unit).replace("mcg", "ug").replace("μg", "ug").rstrip("s")
    unit = "ug" if unit.startswith("microgram") else unit
    return float(amount.replace(",", ".")) * _MASS_UG[unit]


def read_product(text: str) -> ProductInfo:
    """Product key, strength and form from a product description."""
    found = find_product(text)
    folded = fold(text)
    per_ml = per_unit = np.nan
    match = re.search(STRENGTH_PER_ML, text, flags=re.IGNORECASE)
    if match:
        volume = float((match.group("volume") or "1").replace(",", "."))
        per_ml = _amount_ug(match.group("amount"), match.group("unit").lower()) / volume
    else:
        match = re.search(STRENGTH_PER_UNIT, text, flags=re.IGNORECASE)
        if match:
            per_unit = _amount_ug(match.group("amount"), match.group("unit").lower())
    if _ORAL_FORMS.search(folded):
        form = "oral"
    elif _NASAL_FORMS.search(folded):
        form = "nasal"
    elif _INJECTION_FORMS.search(folded) or not np.isnan(per_ml):
        form = "injection"
    else:
        form = ""
    return ProductInfo(found.product if found else "", per_ml, found.injection_ug_per_ml if found else np.nan,
                       per_unit, form, found.injection_route if found else "")


def dose_in_ug(dose: str, unit: str, info: ProductInfo) -> tuple[float, str]:
    """(micrograms, problem) for one dose text and unit text under a product. A dose in mL uses
    the strength written in the product text, else the product table's usual injection strength
    (see ``uses_table_strength``)."""
    match = re.match(DOSE_PATTERN, f"{dose} {unit}".strip() if unit and not re.search(r"[A-Za-zµμ]", dose)
                     else dose)
    if not match:
        return np.nan, f"dose {dose!r} is not a number with a unit"
    number = float(match.group("num").replace(",", "."))
    written = fold(match.group("unit") or unit or "").strip().rstrip(".")
    if not written:
        return np.nan, f"dose {dose!r} has no unit (mg, µg or mL)"
    if written.startswith(("ml",)):
        per_ml = info.per_ml_ug if not np.isnan(info.per_ml_ug) else info.table_per_ml_ug
        if np.isnan(per_ml) or info.form_route in ("oral", "nasal"):
            return np.nan, f"dose {number:g} mL, but the product's strength per mL is not written"
        return number * per_ml, ""
    if written.startswith(("amp", "vial")):
        if np.isnan(info.per_ml_ug):
            return np.nan, f"dose {dose!r} in ampoules, but the product's strength is not written"
        return number * info.per_ml_ug, ""  # strength written per ampoule volume (``1mg/1ml``)
    if written.startswith(("tab", "cap", "spray")):
        if np.isnan(info.per_unit_ug):
            return np.nan, f"dose {dose!r}, but the product's strength per unit is not written"
        return number * info.per_unit_ug, ""
    try:
        return _amount_ug(str(number), written.replace("milligram", "mg")), ""
    except KeyError:
        return np.nan, f"dose unit {written!r} is not mg, µg or mL"


def uses_table_strength(dose: str, unit: str, info: ProductInfo) -> bool:
    """True when a dose in mL was converted with the product table's strength."""
    return np.isnan(info.per_ml_ug) and not np.isnan(info.table_per_ml_ug) and \
        fold(f"{dose} {unit}").strip().endswith(("ml", "ml."))


def import_doses(raw: RawFile, mapping: ColumnMapping | None = None, date_order: str | None = None,
                 not_after: pd.Timestamp | None = None) -> DoseImport:
    """Normalise one injection record to the canonical ``doses`` table.

    Raises ``InputError`` (or ``DateOrderNeeded``) when the record cannot be used at all.
    """
    mapping = mapping or propose_dose_mapping(raw)
    table = raw.table
    n = len(table)
    blank = pd.Series("", index=table.index, dtype="str")

    def cells(role: str) -> pd.Series:
        column = mapping.roles.get(role)
        return table[column].str.strip() if column else blank

    product_text = cells("product")
    strength_text = cells("strength")
    described = (product_text + " " + strength_text).str.strip()
    reasons = Reasons(n)
    notes = RowNotes(n)
    file_notes = list(raw.notes)

    codes, uniq = pd.factorize(described)
    infos = [read_product(t) for t in uniq]
    product = np.array([i.product for i in infos], dtype=object)[codes]
    ignored = (product == "") & (described != "").to_numpy()
    rows = ~ignored
    reasons.fail(rows & (described.to_numpy() == ""), "no product given")

    # Dose in micrograms.
    dose_text, unit_text = cells("dose"), cells("dose_unit")
    pairs = (dose_text + "\x1f" + unit_text + "\x1f" + described)
    pcodes, puniq = pd.factorize(pairs)
    answers = [dose_in_ug(d, u, infos[uniq.get_loc(p)]) for d, u, p in (x.split("\x1f") for x in puniq)]
    dose_ug = np.array([a[0] for a in answers], dtype="float64")[pcodes]
    table_strength = np.array([uses_table_strength(d, u, infos[uniq.get_loc(p)])
                               for d, u, p in (x.split("\x1f") for x in puniq)], dtype=bool)[pcodes]
    notes.add(table_strength & ~np.isnan(dose_ug),
              "strength per mL not written: the product's usual injection strength was used")
    problem = np.array([a[1] for a in answers], dtype=object)[pcodes]
    missing = "no dose given" + (" (the file lists orders, not doses given)" if mapping.roles.get("order_end") else "")
    problem = np.where((dose_text == "").to_numpy(), missing, problem)
    reasons.fail(rows, problem)
    reasons.fail(rows & (dose_ug <= 0), "dose is zero or negative")
    antidote = rows & reasons.ok() & (dose_ug > threshold("max_replacement_dose_ug"))
    ignored |= antidote
    rows &= ~antidote

    # Route: as recorded, else from the product's form.
    route_raw = cells("route")
    rcodes, runiq = pd.factorize(route_raw)
    route = np.array([route_of(r) or "" for r in runiq], dtype=object)[rcodes]
    reasons.fail(rows & (route == "") & (route_raw != "").to_numpy(),
                 np.array([f"route {r!r} is not one we know" for r in route_raw], dtype=object))
    form = np.array([i.form_route for i in infos], dtype=object)[codes]
    own = np.array([i.injection_route for i in infos], dtype=object)[codes]
    inferred = np.where(form == "injection", np.where(own != "", own, "injection"), form)
    from_form = rows & (route == "") & (inferred != "")
    route = np.where(from_form, inferred, route)
    notes.add(from_form, "route from the product's form")
    route = np.where(route == "", "unknown", route)
    notes.add(rows & (route == "unknown"), "route not recorded")

    # When.
    when_text = cells("administered_at")
    if mapping.roles.get("administered_time"):
        when_text = (when_text + " " + cells("administered_time")).str.strip()
    source = f"{raw.name} (column {mapping.roles['administered_at']!r})"
    when, date_problem, zoned, order_note = dates.dates_for_rows(when_text, rows, date_order, source)
    notes.add(rows & zoned & (date_problem == ""), dates.ZONE_NOTE)
    if order_note:
        notes.add(rows, order_note)
    reasons.fail(rows, date_problem)
    reasons.fail(rows, dates.after(when, not_after))
    if mapping.roles.get("order_end"):
        file_notes.append("rows are orders (start and stop), not doses given: each is counted at its start")
        notes.add(rows, "order start, not a recorded administration")

    patient = cells("patient_id").to_numpy(dtype=object)
    if mapping.roles.get("patient_id"):
        reasons.fail(rows & (patient == ""), "no patient id")
    else:
        patient = np.full(n, NO_PATIENT_ID, dtype=object)
        file_notes.append("no patient id column; all doses belong to one patient")

    accepted = rows & reasons.ok()
    doses = pd.DataFrame({
        "patient_id": patient[accepted],
        "administered_at": when[accepted],
        "product": product[accepted],
        "dose_ug": dose_ug[accepted],
        "route": route[accepted],
        "batch": cells("batch").to_numpy(dtype=object)[accepted],
        "reported_product": product_text.to_numpy(dtype=object)[accepted],
        "reported_dose": dose_text.to_numpy(dtype=object)[accepted],
        "reported_unit": unit_text.to_numpy(dtype=object)[accepted],
        "reported_route": route_raw.to_numpy(dtype=object)[accepted],
        "source_file": raw.name,
        "source_row": table.index.to_numpy()[accepted] + 1,
        "notes": notes.strings()[accepted],
    })
    rejected = rows & ~reasons.ok()
    positions = np.flatnonzero(rejected)
    ignored_label = np.where(antidote, [f"{t} ({d / 1e6:g} g: not a B12 replacement dose)"
                                        for t, d in zip(described, dose_ug, strict=True)], described.to_numpy())
    imp = DoseImport(
        doses=typed_doses(doses),
        rejections=rejections_frame(raw, table.index.to_numpy()[positions] + 1, reasons.text(positions)),
        counts=counts_frame(raw, n, accepted, ignored, rejected),
        ignored_names=name_counts(raw.name, ignored_label[ignored]),
        mappings={raw.name: mapping},
        notes={raw.name: tuple(file_notes)},
    )
    return merge_doses([imp])


def typed_doses(doses: pd.DataFrame) -> pd.DataFrame:
    """The canonical dtypes of ``doses``."""
    text = ("patient_id", "product", "route", "batch", "reported_product", "reported_dose", "reported_unit",
            "reported_route", "source_file", "notes")
    return doses.astype({**dict.fromkeys(text, "str"), "dose_ug": "float64", "source_row": "int64"}).assign(
        administered_at=lambda d: pd.to_datetime(d["administered_at"]).astype("datetime64[ns]"))[list(DOSES_COLUMNS)]


DOSE_KEY = ["patient_id", "administered_at", "product", "dose_ug", "route", "batch"]


def merge_doses(imports: Sequence[DoseImport]) -> DoseImport:
    """Combine dose imports; a dose recorded twice (same patient, time, product, dose, route and
    batch) is kept once and counted as a duplicate of its own file. Sorted by patient and time."""
    if not imports:
        raise InputError("no injection records to merge")
    doses = pd.concat([i.doses for i in imports], ignore_index=True)
    counts = pd.concat([i.counts for i in imports], ignore_index=True)
    doses, counts = drop_duplicates_counted(doses, counts, doses.duplicated(DOSE_KEY).to_numpy())
    doses = doses.sort_values(["patient_id", "administered_at", "source_file", "source_row"],
                              kind="stable", ignore_index=True)
    mappings: dict[str, ColumnMapping] = {}
    notes: dict[str, tuple[str, ...]] = {}
    for i in imports:
        mappings.update(i.mappings)
        notes.update(i.notes)
    return DoseImport(doses, pd.concat([i.rejections for i in imports], ignore_index=True), counts,
                      pd.concat([i.ignored_names for i in imports], ignore_index=True), mappings, notes)


def injections(doses: pd.DataFrame) -> pd.DataFrame:
    """Only the injected doses (IM, SC, IV or injection of unstated route): oral B12 is shown as
    oral and does not drive injection phases."""
    return doses[doses["route"].isin(INJECTED)]


__all__ = ["DOSES_COLUMNS", "DoseImport", "import_doses", "injections", "merge_doses", "propose_dose_mapping",
           "read_product"]
