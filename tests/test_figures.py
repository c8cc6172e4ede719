"""The trend figure, checked through ``fig.data`` and ``fig.layout`` (not rendered JSON).

Inputs come from the bundled UK sample patient (PA-NEURO, data/sample/README.md) and from small
hand-built tables in canonical units. Expected values come from the sample's story, from the
reference tables (ranges, unit factors) and from design.md / the brief of the dashboard.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from b12core.course import Adherence, adherence
from b12core.display import ViewSettings
from b12core.figures import COLORS, THEMED_BY_HOST, titled, trend_figure
from b12core.labs import LABS_COLUMNS
from b12core.phases import detect_phases
from b12core.reference import analyte_keys, analytes, default_range, threshold
from b12core.regimens import build_plan, custom_regimen
from b12core.response import annotate_labs
from b12core.sample import sample_files
from b12core.workspace import PlanChoice, build_workspace, latest_record, patient_view

D = pd.Timestamp
UK_PATIENT = "943 476 5919"
# Okabe & Ito (2008), with the grey of R's palette.colors("Okabe-Ito").
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999"}


# --- hand-built tables ---------------------------------------------------------------------------

def result(when: str, analyte: str, value: float, **extra: object) -> dict:
    """One canonical lab result of patient P1 (value in the analyte's canonical unit)."""
    unit = analytes()[analyte].canonical_unit
    row = {"patient_id": "P1", "collected_at": D(when), "analyte": analyte, "value": float(value), "unit": unit,
           "qualifier": "", "reported_value": f"{value:g}", "reported_unit": unit,
           "reported_name": analytes()[analyte].label, "reported_flag": "", "specimen": "", "ref_low": np.nan,
           "ref_high": np.nan,
           "source_file": "hand.csv", "source_row": 0, "notes": ""}
    return {**row, **extra}


def labs_table(*rows: dict) -> pd.DataFrame:
    """Results numbered 1.. as ``source_row`` in the order given, with the canonical dtypes."""
    frame = pd.DataFrame(list(rows), columns=list(LABS_COLUMNS)).assign(source_row=np.arange(1, len(rows) + 1))
    return frame.astype({"analyte": pd.CategoricalDtype(list(analyte_keys())), "collected_at": "datetime64[ns]",
                         "value": "float64", "ref_low": "float64", "ref_high": "float64"})


def dose(when: str, route: str = "IM", product: str = "hydroxocobalamin", dose_ug: float = 1000.0) -> dict:
    return {"patient_id": "P1", "administered_at": D(when), "product": product, "dose_ug": dose_ug, "route": route}


def doses_table(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=["patient_id", "administered_at", "product", "dose_ug", "route"])
    return frame.assign(source_file="doses.csv", source_row=np.arange(1, len(rows) + 1)).astype(
        {"administered_at": "datetime64[ns]", "dose_ug": "float64"})


NO_DOSES = doses_table()


def diary(*entries: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame({"patient_id": "P1", "recorded_at": pd.to_datetime([e[0] for e in entries]),
                         "symptom": [e[1] for e in entries], "score": [float(e[2]) for e in entries],
                         "source_file": "diary.csv", "source_row": np.arange(1, len(entries) + 1)})


# --- reading a figure ----------------------------------------------------------------------------

def axis_id(row: int) -> str:
    """The y axis of a subplot row of a one-column figure: ``y``, ``y2``, …"""
    return "y" if row == 1 else f"y{row}"


def row_titles(fig) -> list[str]:
    """The y-axis title of every row, top to bottom."""
    names = sorted((k for k in fig.layout.to_plotly_json() if k.startswith("yaxis")), key=lambda k: int(k[5:] or 1))
    return [fig.layout[k].title.text for k in names]


def row_of(fig, title: str) -> int:
    return row_titles(fig).index(title) + 1


def named(fig, name: str):
    """The one trace called ``name``."""
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"{len(found)} traces named {name!r}: {[t.name for t in fig.data]}"
    return found[0]


def names(fig) -> list[str]:
    return [t.name for t in fig.data]


def bands(fig) -> dict[str, list[tuple[float, float]]]:
    """Reference bands (``add_hrect``: a rect spanning the x domain) by the y axis they sit on."""
    out: dict[str, list[tuple[float, float]]] = {}
    for s in fig.layout.shapes:
        if s.type == "rect" and str(s.xref).endswith("domain"):
            out.setdefault(s.yref, []).append((s.y0, s.y1))
    return out


def phase_rects(fig) -> list:
    """Phase shading: rects placed on the time axis (bands span the x domain instead)."""
    return [s for s in fig.layout.shapes if s.type == "rect" and not str(s.xref).endswith("domain")]


def spans_every_row(fig, shapes: list) -> bool:
    """Whether ``shapes`` cover the height of every row: one per row (``add_vrect(row="all")`` puts a
    shape on each row's y domain) or one over the whole paper height."""
    n = len(row_titles(fig))
    axes = [fig.layout[f"yaxis{r if r > 1 else ''}"] for r in range(1, n + 1)]
    bottom, top = min(a.domain[0] for a in axes), max(a.domain[1] for a in axes)
    if any(s.yref == "paper" and s.y0 <= bottom and s.y1 >= top for s in shapes):
        return True
    return {s.yref for s in shapes} >= {f"{axis_id(r)} domain" for r in range(1, n + 1)}


def vlines(fig) -> list:
    return [s for s in fig.layout.shapes if s.type == "line"]


def hovers(fig) -> list[str]:
    return [text for t in fig.data if t.hovertext is not None for text in t.hovertext]


def hover_at(fig, name: str, x: object) -> str:
    trace = named(fig, name)
    return trace.hovertext[list(trace.x).index(x)]


# --- the sample patient --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def uk():
    """PA-NEURO with the UK neurological regimen, as of his newest record (13 Jan 2025)."""
    ws = build_workspace(sample_files())
    return patient_view(ws, UK_PATIENT, PlanChoice("UK-BNF-neuro"), as_of=latest_record(ws), sex="male")


def uk_figure(view, settings: ViewSettings | None = None, plan: bool = True, with_adherence: bool = False):
    return trend_figure(view.labs, view.doses, view.phases.phases, settings, view.plan if plan else None,
                        sex="male", adherence=view.adherence if with_adherence else None)


UK_ANALYTES = ["hemoglobin", "mcv", "b12", "mma", "homocysteine", "folate", "ferritin", "reticulocytes"]
UK_ROWS = ["Hemoglobin (g/L)", "MCV (fL)", "Vitamin B12 (pmol/L)", "Methylmalonic acid (nmol/L)",
           "Homocysteine (umol/L)", "Folate (serum) (nmol/L)", "Ferritin (ug/L)", "Reticulocytes (%)", "Doses"]


# --- rows and axis titles ------------------------------------------------------------------------

def test_sample_has_one_row_per_analyte_in_reference_order_then_doses(uk):
    fig = uk_figure(uk)
    present = [a for a in analyte_keys() if a in set(uk.labs["analyte"].astype("str"))]
    assert row_titles(fig) == [f"{analytes()[a].label} ({analytes()[a].canonical_unit})" for a in present] + ["Doses"]
    assert row_titles(fig) == UK_ROWS  # the same, spelled out


def test_rows_follow_reference_order_not_table_order():
    labs = labs_table(result("2024-01-05", "b12", 80), result("2024-01-05", "mcv", 110),
                      result("2024-01-05", "hemoglobin", 100))
    assert row_titles(trend_figure(labs, NO_DOSES)) == [
        "Hemoglobin (g/L)", "MCV (fL)", "Vitamin B12 (pmol/L)", "Doses"]


def test_no_results_still_shows_the_dose_row():
    fig = trend_figure(labs_table(), doses_table(dose("2024-01-08")))
    assert row_titles(fig) == ["Doses"]
    assert names(fig) == ["injections"]


@pytest.mark.parametrize(("symptoms", "rows"), [
    (None, ["Hemoglobin (g/L)", "Doses"]),
    (diary(), ["Hemoglobin (g/L)", "Doses"]),  # an empty diary adds no row
    (diary(("2024-01-05", "tingling", 6), ("2024-02-05", "tingling", 3)),
     ["Hemoglobin (g/L)", "Doses", "Symptoms (0-10)"]),
])
def test_symptom_row_only_with_a_diary(symptoms, rows):
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 100)), NO_DOSES, symptoms=symptoms)
    assert row_titles(fig) == rows


def test_symptom_scores_are_drawn_in_the_symptom_row():
    entries = diary(("2024-01-05", "tingling", 6), ("2024-02-05", "tingling", 3), ("2024-01-20", "fatigue", 8))
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 100)), NO_DOSES, symptoms=entries)
    tingling = named(fig, "tingling")
    assert tingling.yaxis == axis_id(3)
    assert list(tingling.y) == [6.0, 3.0]
    assert named(fig, "fatigue").yaxis == axis_id(3)


@pytest.mark.parametrize(("view", "titles"), [
    (ViewSettings(), ["Hemoglobin (g/L)", "Vitamin B12 (pmol/L)", "Doses"]),
    (ViewSettings(units="US"), ["Hemoglobin (g/dL)", "Vitamin B12 (pg/mL)", "Doses"]),
    (ViewSettings(unit_overrides={"b12": "ng/L"}), ["Hemoglobin (g/L)", "Vitamin B12 (ng/L)", "Doses"]),
    (ViewSettings(units="US", unit_overrides={"hemoglobin": "mmol/L"}),
     ["Hemoglobin (mmol/L)", "Vitamin B12 (pg/mL)", "Doses"]),
])
def test_axis_titles_name_the_display_unit(view, titles):
    labs = labs_table(result("2024-01-05", "hemoglobin", 84), result("2024-01-05", "b12", 72.30391))
    assert row_titles(trend_figure(labs, NO_DOSES, view=view)) == titles


@pytest.mark.parametrize(("analyte", "canonical", "shown", "units"), [
    ("hemoglobin", 84.0, 8.4, "g/dL"),  # g/dL x 10 = g/L
    ("b12", 72.30391, 98.0, "pg/mL"),  # 98 ng/L = 72.3 pmol/L (sample README)
    ("mcv", 118.0, 118.0, "fL"),  # no conversion
])
def test_us_units_divide_values_by_the_unit_factor(analyte, canonical, shown, units):
    labs = labs_table(result("2024-01-05", analyte, canonical))
    fig = trend_figure(labs, NO_DOSES, view=ViewSettings(units="US"))
    markers = [t for t in fig.data if t.mode == "markers" and t.yaxis == "y"]
    assert [pytest.approx(v, rel=1e-5) for t in markers for v in t.y] == [shown]
    assert row_titles(fig)[0].endswith(f"({units})")


def test_sample_in_us_units(uk):
    fig = uk_figure(uk, ViewSettings(units="US"))
    assert row_titles(fig)[:3] == ["Hemoglobin (g/dL)", "MCV (fL)", "Vitamin B12 (pg/mL)"]
    baseline = hover_at(fig, "hemoglobin low", D("2024-01-05"))
    assert "<b>8.4 g/dL</b>" in baseline
    assert named(fig, "b12 high censored").y[0] == pytest.approx(2000.0)  # >2000 ng/L as reported


# --- reference bands -----------------------------------------------------------------------------

def test_sample_has_one_default_band_per_analyte_row(uk):
    fig = uk_figure(uk)
    found = bands(fig)
    for row, analyte in enumerate(UK_ANALYTES, start=1):
        title = UK_ROWS[row - 1]
        ref = default_range(analyte, "male")
        assert len(found[axis_id(row)]) == 1, title
        low, high = found[axis_id(row)][0]
        assert low == pytest.approx(ref.low or 0.0), title
        if ref.high is not None:
            assert high == pytest.approx(ref.high), title
        else:
            assert high > low, title
    assert axis_id(len(UK_ROWS)) not in found  # no band on the dose row


@pytest.mark.parametrize(("sex", "low", "high"), [("male", 130, 177), ("female", 120, 161), ("any", 120, 177)])
def test_default_band_depends_on_sex(sex, low, high):
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 140)), NO_DOSES, sex=sex)
    assert bands(fig) == {"y": [(low, high)]}


@pytest.mark.parametrize(("view", "band"), [(ViewSettings(), (135.0, 175.0)), (ViewSettings(units="US"), (13.5, 17.5))])
def test_band_uses_the_labs_own_range_in_display_units(view, band):
    labs = labs_table(result("2024-01-05", "hemoglobin", 140, ref_low=135.0, ref_high=175.0))
    (low, high), = bands(trend_figure(labs, NO_DOSES, view=view, sex="male"))["y"]
    assert (low, high) == pytest.approx(band)


def test_band_in_us_units_comes_from_the_default_range_divided_by_the_factor():
    fig = trend_figure(labs_table(result("2024-01-05", "b12", 300)), NO_DOSES, view=ViewSettings(units="US"))
    (low, high), = bands(fig)["y"]
    assert (low, high) == pytest.approx((133 / 0.737795, 674 / 0.737795))  # 180 and 914 pg/mL


def test_band_without_an_upper_limit_reaches_above_the_results():
    fig = trend_figure(labs_table(result("2024-01-05", "folate", 20), result("2024-02-05", "folate", 30)), NO_DOSES)
    (low, high), = bands(fig)["y"]
    assert low == pytest.approx(6.8)
    assert high >= 30


def test_band_without_an_upper_limit_stays_above_the_lower_limit_when_all_results_are_low():
    fig = trend_figure(labs_table(result("2024-01-05", "folate", 4), result("2024-02-05", "folate", 5)), NO_DOSES)
    (low, high), = bands(fig)["y"]
    assert low == pytest.approx(6.8)
    assert high > low


# --- result markers ------------------------------------------------------------------------------

def test_out_of_range_results_differ_by_shape_as_well_as_colour():
    labs = labs_table(result("2024-01-05", "hemoglobin", 84), result("2024-02-05", "hemoglobin", 140),
                      result("2024-03-05", "hemoglobin", 190))
    fig = trend_figure(labs, NO_DOSES, sex="male")
    expected = {"hemoglobin low": ("triangle-down", [84.0]), "hemoglobin in_range": ("circle", [140.0]),
                "hemoglobin high": ("triangle-up", [190.0])}
    for name, (symbol, ys) in expected.items():
        assert named(fig, name).marker.symbol == symbol
        assert list(named(fig, name).y) == ys
    assert len({named(fig, n).marker.symbol for n in expected}) == 3
    assert len({named(fig, n).marker.color for n in expected}) == 3


def test_labs_own_range_decides_out_of_range():
    labs = labs_table(result("2024-01-05", "hemoglobin", 125, ref_low=130.0, ref_high=170.0))
    fig = trend_figure(labs, NO_DOSES, sex="any")  # 125 is inside the default 120-177, outside the lab's
    assert named(fig, "hemoglobin low").marker.symbol == "triangle-down"


def test_sample_marks_low_and_high_results(uk):
    fig = uk_figure(uk)
    assert list(named(fig, "hemoglobin low").x) == [D("2024-01-05"), D("2024-01-16"), D("2024-01-22"),
                                                  D("2024-02-05")]
    assert named(fig, "mcv high").marker.symbol == "triangle-up"
    assert named(fig, "b12 low").marker.symbol == "triangle-down"


@pytest.mark.parametrize(("analyte", "qualifier", "value", "name", "symbol"), [
    ("b12", ">", 1475.59, "b12 high censored", "triangle-up-open"),  # >2000 ng/L
    ("b12", "<", 110.67, "b12 low censored", "triangle-down-open"),  # <150 pg/mL
    ("folate", ">", 45.31, "folate in_range censored", "circle-open"),  # >20.0 ng/mL, no upper limit
])
def test_censored_results_are_drawn_open(analyte, qualifier, value, name, symbol):
    labs = labs_table(result("2024-01-05", analyte, value, qualifier=qualifier))
    fig = trend_figure(labs, NO_DOSES)
    assert named(fig, name).marker.symbol == symbol
    assert hovers(fig)[0].startswith(f"<b>{qualifier}")


def test_sample_censored_b12_is_open(uk):
    trace = named(uk_figure(uk), "b12 high censored")
    assert trace.marker.symbol == "triangle-up-open"
    assert list(trace.x) == [D("2024-04-01")]
    assert "<b>>1476 pmol/L</b>" in trace.hovertext[0]


# 0 days: a result on the day of the only injection, neither with a time, counts as drawn before it (design.md)
@pytest.mark.parametrize(("days_after", "greyed"), [(0, False), (3, True), (14, True), (15, False), (30, False)])
def test_b12_within_14_days_of_an_injection_is_greyed(days_after, greyed):
    assert threshold("b12_not_interpretable_days") == 14
    doses = doses_table(dose("2024-01-08"))
    when = f"{D('2024-01-08') + pd.Timedelta(days=days_after):%Y-%m-%d}"
    labs = annotate_labs(labs_table(result("2024-01-05", "b12", 72), result(when, "b12", 900)), doses)
    fig = trend_figure(labs, doses)
    grey = [t for t in fig.data if str(t.name).endswith("not interpretable")]
    if greyed:
        assert [t.name for t in grey] == ["b12 not interpretable"]
        assert list(grey[0].x) == [D(when)]
        assert grey[0].marker.color == COLORS["not_interpretable"]
        others = [x for t in fig.data if t.mode == "markers" and t.name.startswith("b12 ")
                  and t.name != "b12 not interpretable" for x in t.x]
        assert others == [D("2024-01-05")]
    else:
        assert grey == []


def test_non_b12_results_are_never_greyed():
    doses = doses_table(dose("2024-01-08"))
    labs = annotate_labs(labs_table(result("2024-01-09", "hemoglobin", 100)), doses)
    assert not any("not interpretable" in n for n in names(trend_figure(labs, doses)))


# --- doses, plan, phases -------------------------------------------------------------------------

def test_sample_injection_trace_has_one_point_per_dose(uk):
    fig = uk_figure(uk)
    inj = named(fig, "injections")
    assert inj.yaxis == axis_id(len(UK_ROWS))
    assert len(inj.x) == len(uk.doses) == 35  # 30 loading + 5 maintenance (sample README)
    assert list(inj.x) == list(uk.doses["administered_at"])
    assert inj.marker.color == COLORS["injection"]
    assert "oral doses" not in names(fig)


def test_injection_hover_names_date_product_dose_and_route(uk):
    first = named(uk_figure(uk), "injections").hovertext[0]
    for part in ("08 Jan 2024", "hydroxocobalamin", "1 mg", "IM"):
        assert part in first


def test_oral_doses_have_their_own_trace():
    doses = doses_table(dose("2024-01-08"), dose("2024-01-10", route="SC"),
                        dose("2024-02-01", route="oral", product="cyanocobalamin"),
                        dose("2024-02-02", route="oral", product="cyanocobalamin"))
    fig = trend_figure(labs_table(), doses)
    assert list(named(fig, "injections").x) == [D("2024-01-08"), D("2024-01-10")]
    oral = named(fig, "oral doses")
    assert list(oral.x) == [D("2024-02-01"), D("2024-02-02")]
    assert oral.marker.color == COLORS["oral"]
    assert "cyanocobalamin" in oral.hovertext[0] and "oral" in oral.hovertext[0]


def test_only_injected_doses_are_in_the_injection_trace():
    doses = doses_table(dose("2024-01-08"), dose("2024-01-09", route="SC"),
                        dose("2024-01-10", route="sublingual", product="methylcobalamin"),
                        dose("2024-01-11", route="oral", product="cyanocobalamin"),
                        dose("2024-01-12", route="nasal", product="cyanocobalamin"))
    fig = trend_figure(labs_table(), doses)
    assert list(named(fig, "injections").x) == [D("2024-01-08"), D("2024-01-09")]
    assert D("2024-01-10") in list(named(fig, "oral doses").x)


def test_planned_blood_tests_come_from_the_plan(uk):
    fig = uk_figure(uk)
    planned = named(fig, "planned blood tests")
    rechecks = uk.plan[uk.plan["kind"] == "recheck"]
    assert list(planned.x) == list(rechecks["date"])
    assert planned.yaxis == axis_id(len(UK_ROWS))
    assert planned.hovertext[0].startswith("Planned: ")
    assert "planned blood tests" not in names(uk_figure(uk, plan=False))


def test_phases_shade_every_row_and_are_labelled(uk):
    fig = uk_figure(uk)
    by_span: dict[tuple, list] = {}
    for s in phase_rects(fig):
        by_span.setdefault((pd.Timestamp(s.x0), pd.Timestamp(s.x1)), []).append(s)
    assert set(by_span) == {(D("2024-01-08"), D("2024-03-15")), (D("2024-05-13"), D("2025-01-13"))}
    assert all(spans_every_row(fig, shapes) for shapes in by_span.values())
    fills = {span: {s.fillcolor for s in shapes} for span, shapes in by_span.items()}
    assert fills == {(D("2024-01-08"), D("2024-03-15")): {COLORS["loading"]},
                     (D("2024-05-13"), D("2025-01-13")): {COLORS["maintenance"]}}
    labels = [a.text for a in fig.layout.annotations if a.yref == "paper"]
    assert labels == ["Loading from 08 Jan 2024", "Maintenance from 13 May 2024"]


def test_a_vertical_line_marks_each_transition(uk):
    fig = uk_figure(uk)
    lines = vlines(fig)
    assert {pd.Timestamp(s.x0) for s in lines} == {D("2024-05-13")}  # loading -> maintenance
    assert all(s.x0 == s.x1 for s in lines)
    assert spans_every_row(fig, lines)


def test_every_later_phase_start_is_a_transition():
    times = ["2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-03-15", "2024-05-15", "2024-07-15",
             "2025-06-02", "2025-06-04", "2025-06-06"]  # loading, maintenance, stopped, loading again
    doses = doses_table(*(dose(t) for t in times))
    phases = detect_phases(doses).phases
    assert len(phases) >= 3
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 100)), doses, phases)
    assert {pd.Timestamp(s.x0) for s in vlines(fig)} == set(phases["start"].iloc[1:])
    assert [a.text for a in fig.layout.annotations if a.yref == "paper"] == [
        f"{p.capitalize()} from {s:%d %b %Y}" for p, s in zip(phases["phase"], phases["start"], strict=True)]


def test_no_phases_no_shading():
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 100)), NO_DOSES, detect_phases(NO_DOSES).phases)
    assert phase_rects(fig) == [] and vlines(fig) == []


# --- view settings -------------------------------------------------------------------------------

def test_days_axis_counts_from_the_first_dose(uk):
    fig = uk_figure(uk, ViewSettings(time_axis="days"))
    assert named(fig, "injections").x[0] == 0
    assert named(fig, "hemoglobin low").x[0] == -3  # 5 Jan 2024, three days before the first dose
    rechecks = uk.plan[uk.plan["kind"] == "recheck"]["date"]
    assert list(named(fig, "planned blood tests").x) == list((rechecks - D("2024-01-08")).dt.days)
    assert sorted({s.x0 for s in phase_rects(fig)}) == [0, 126]  # 8 Jan and 13 May 2024
    assert {s.x0 for s in vlines(fig)} == {126}
    assert fig.layout[f"xaxis{len(UK_ROWS)}"].title.text == "days since first dose"


def test_days_axis_counts_from_the_first_dose_of_any_route():
    doses = doses_table(dose("2024-01-08", route="oral", product="cyanocobalamin"), dose("2024-01-18"))
    fig = trend_figure(labs_table(result("2024-01-28 12:00", "hemoglobin", 100)), doses,
                       view=ViewSettings(time_axis="days"))
    assert named(fig, "hemoglobin low").x[0] == pytest.approx(20.5)
    assert list(named(fig, "injections").x) == [10]


def test_days_axis_without_doses_stays_on_dates():
    fig = trend_figure(labs_table(result("2024-01-05", "hemoglobin", 100)), NO_DOSES,
                       view=ViewSettings(time_axis="days"))
    assert named(fig, "hemoglobin low").x[0] == D("2024-01-05")


def test_choosing_analytes_shows_only_those_rows(uk):
    fig = uk_figure(uk, ViewSettings(analytes=("hemoglobin", "mcv")))
    assert row_titles(fig) == ["Hemoglobin (g/L)", "MCV (fL)", "Doses"]
    assert {n.split()[0] for n in names(fig)} == {"hemoglobin", "mcv", "injections", "planned"}


def test_a_chosen_analyte_without_results_gets_no_row(uk):
    fig = uk_figure(uk, ViewSettings(analytes=("holotc", "mcv")))
    assert row_titles(fig) == ["MCV (fL)", "Doses"]


def test_start_and_end_drop_results_outside(uk):
    start, end = D("2024-03-01"), D("2024-09-30")
    fig = uk_figure(uk, ViewSettings(start=start, end=end))
    shown = [x for t in fig.data if t.mode in ("markers", "lines") and t.yaxis != axis_id(len(row_titles(fig)))
             for x in t.x]
    assert shown and all(start <= x <= end for x in shown)
    inside = uk.labs[(uk.labs["collected_at"] >= start) & (uk.labs["collected_at"] <= end)]
    hb = inside[inside["analyte"] == "hemoglobin"]
    assert len(named(fig, "hemoglobin line").x) == len(hb)
    assert "Reticulocytes (%)" in row_titles(fig)  # 4 Mar 2024 is inside
    fig = uk_figure(uk, ViewSettings(start=D("2024-12-01")))
    assert "Reticulocytes (%)" not in row_titles(fig)  # the last reticulocyte count was in March


def test_end_day_is_included_whole():
    labs = labs_table(result("2024-03-18 08:45", "hemoglobin", 100))
    fig = trend_figure(labs, NO_DOSES, view=ViewSettings(end=D("2024-03-18")))
    assert row_titles(fig) == ["Hemoglobin (g/L)", "Doses"]


# --- hover text ----------------------------------------------------------------------------------

def test_result_hover_has_value_as_shown_and_as_reported_days_and_source(uk):
    text = hover_at(uk_figure(uk), "hemoglobin low", D("2024-01-16"))
    assert text.split("<br>") == ["<b>92 g/L</b>", "16 Jan 2024 00:00", "as reported: 92 g/L",
                                  "1 day since the last injection", "uk_wide_labs_early.xlsx, row 2"]


def test_result_hover_in_us_units_keeps_the_value_as_reported(uk):
    text = hover_at(uk_figure(uk, ViewSettings(units="US")), "hemoglobin low", D("2024-01-16"))
    assert "<b>9.2 g/dL</b>" in text
    assert "as reported: 92 g/L" in text


def test_result_hover_before_any_injection(uk):
    text = hover_at(uk_figure(uk), "mma high", D("2024-01-05"))
    assert "no injection before this result" in text
    assert "uk_wide_labs_early.xlsx, row 1" in text


def test_result_hover_of_an_uninterpretable_b12_explains_why():
    doses = doses_table(dose("2024-01-08"))
    labs = annotate_labs(labs_table(result("2024-01-11", "b12", 900)), doses)
    text = named(trend_figure(labs, doses), "b12 not interpretable").hovertext[0]
    assert "not interpretable: 3 days after an injection" in text
    assert "3 days since the last injection" in text


def test_result_hover_of_the_second_file_names_that_file(uk):
    text = hover_at(uk_figure(uk), "hemoglobin in_range", D("2024-09-16"))
    assert text.endswith("uk_wide_labs.csv, row 4")


def test_result_hover_counts_days_since_injection_from_the_doses_given():
    doses = doses_table(dose("2024-01-08"))
    fig = trend_figure(labs_table(result("2024-01-18", "hemoglobin", 100)), doses)
    text = hovers(fig)[0]
    assert "10 days since the last injection" in text


@pytest.mark.parametrize(("analyte", "value", "shown"), [("ferritin", 15000, "15000 ug/L"),
                                                          ("b12", 12345, "12345 pmol/L")])
def test_large_values_are_shown_in_plain_digits(analyte, value, shown):
    fig = trend_figure(labs_table(result("2024-01-05", analyte, value)), NO_DOSES)
    assert hovers(fig)[0].startswith(f"<b>{shown}</b>")


def test_text_from_files_is_escaped_in_hover_texts():
    labs = labs_table(
        result("2024-01-05", "hemoglobin", 100, source_file="<b>lab</b>.csv", reported_name="<b>Hb</b>",
               reported_unit="<script>alert(1)</script>"),
        result("2024-02-05", "b12", 300, reported_name="<script>alert(2)</script>"))
    doses = doses_table(dose("2024-01-08", product="<script>alert(3)</script>"),
                        dose("2024-02-01", route="oral", product="<b>tabs</b>"))
    plan = pd.DataFrame({"date": pd.to_datetime(["2024-03-01"]), "kind": ["recheck"], "title": ["<b>FBC</b>"]})
    symptoms = diary(("2024-01-05", "<b>tingling</b>", 5))
    fig = trend_figure(labs, doses, plan=plan, symptoms=symptoms)
    texts = hovers(fig)
    joined = "\n".join(texts + [str(t.name) for t in fig.data] + [str(a.text) for a in fig.layout.annotations])
    assert "<script" not in joined
    for raw in ("<b>lab</b>", "<b>Hb</b>", "<b>tabs</b>", "<b>FBC</b>", "<b>tingling</b>"):
        assert raw not in joined
    for escaped in ("&lt;b&gt;lab&lt;/b&gt;.csv, row 1", "&lt;script&gt;alert(1)&lt;/script&gt;",
                    "&lt;script&gt;alert(3)&lt;/script&gt;", "&lt;b&gt;tabs&lt;/b&gt;", "&lt;b&gt;FBC&lt;/b&gt;",
                    "&lt;b&gt;tingling&lt;/b&gt;"):
        assert escaped in joined, escaped


# --- colours -------------------------------------------------------------------------------------

def _hex(colour: str) -> str:
    """#RRGGBB of a hex or rgb()/rgba() colour."""
    if colour.startswith("#"):
        return colour.upper()
    r, g, b = (int(v) for v in re.findall(r"[\d.]+", colour)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def test_palette_is_okabe_ito():
    assert {_hex(c) for c in COLORS.values()} <= OKABE_ITO


@pytest.fixture(scope="module")
def busy_figure():
    """Every kind of trace: in-range, high, low, censored, greyed B12, injections, oral, plan, symptoms."""
    doses = doses_table(dose("2024-01-08"), dose("2024-01-10"), dose("2024-03-01", route="oral"))
    labs = annotate_labs(labs_table(
        result("2024-01-05", "hemoglobin", 84), result("2024-02-05", "hemoglobin", 140),
        result("2024-01-05", "mcv", 118), result("2024-01-05", "b12", 72), result("2024-01-12", "b12", 900),
        result("2024-04-05", "b12", 1475.59, qualifier=">")), doses)
    plan = pd.DataFrame({"date": pd.to_datetime(["2024-03-01"]), "kind": ["recheck"], "title": ["FBC"]})
    symptoms = diary(*[(f"2024-0{m}-01", s, 5) for m in (1, 2) for s in ("tingling", "fatigue", "memory")])
    return trend_figure(labs, doses, detect_phases(doses).phases, plan=plan, symptoms=symptoms)


def test_every_marker_colour_is_from_the_palette(busy_figure):
    palette = set(COLORS.values())
    colours = {t.marker.color for t in busy_figure.data if t.mode == "markers"}
    assert len(colours) >= 6
    assert colours <= palette


def test_symptom_lines_and_shading_are_from_the_palette(busy_figure):
    palette = set(COLORS.values())
    assert {t.line.color for t in busy_figure.data if t.mode == "lines+markers"} <= palette
    assert {s.fillcolor for s in busy_figure.layout.shapes if s.type == "rect"} <= palette


def test_every_line_colour_is_from_the_palette(busy_figure):
    palette = set(COLORS.values())
    line_colours = {t.line.color for t in busy_figure.data if t.line.color is not None}
    line_colours |= {s.line.color for s in busy_figure.layout.shapes if s.line.color is not None}
    assert line_colours <= palette


# --- the time axis, whatever rows have data --------------------------------------------------------

def x_axes(fig) -> list:
    """Every x axis of the figure (one per row; they share one time scale)."""
    return [fig.layout[k] for k in fig.layout.to_plotly_json() if k.startswith("xaxis")]


def traces_in_row(fig, row: int) -> list:
    return [t for t in fig.data if t.yaxis == axis_id(row)]


def row_notes(fig, row: int) -> list[str]:
    """Annotations placed inside a row (on its domain), e.g. "No doses in the files"."""
    return [a.text for a in fig.layout.annotations if a.yref == f"{axis_id(row)} domain"]


def time_range(fig) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    ranges = {tuple(pd.Timestamp(v) for v in a.range) for a in x_axes(fig) if a.range is not None}
    assert len(ranges) <= 1, ranges
    return ranges.pop() if ranges else None


ONE_HB = labs_table(result("2024-01-05", "hemoglobin", 100))
TWO_HB = labs_table(result("2024-01-05", "hemoglobin", 100), result("2024-03-05", "hemoglobin", 120))


@pytest.mark.parametrize(("labs", "doses", "view"), [
    (TWO_HB, NO_DOSES, ViewSettings()),  # labs only: the dose row used to be left out of the page
    (ONE_HB, NO_DOSES, ViewSettings()),
    (labs_table(), doses_table(dose("2024-01-08"), dose("2024-02-08")), ViewSettings()),  # doses, no labs
    (labs_table(), doses_table(dose("2024-01-08")), ViewSettings()),  # one dose, nothing else
    (TWO_HB, doses_table(dose("2024-01-08")), ViewSettings()),
    (TWO_HB, doses_table(dose("2024-01-08")), ViewSettings(start=D("2024-03-01"))),  # no dose in the view
    (TWO_HB, NO_DOSES, ViewSettings(time_axis="days")),  # no first dose: days fall back to dates
    (labs_table(), NO_DOSES, ViewSettings()),  # nothing at all
])
def test_time_axis_is_a_date_axis_whatever_rows_have_data(labs, doses, view):
    fig = trend_figure(labs, doses, view=view)
    assert {a.type for a in x_axes(fig)} == {"date"}
    # plotly draws no subplot that has no trace: the bottom row, which carries the tick labels,
    # must always have one.
    assert traces_in_row(fig, row_of(fig, "Doses"))


def test_days_axis_is_a_number_axis():
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=ViewSettings(time_axis="days"))
    assert {a.type for a in x_axes(fig)} == {"linear"}


def test_no_doses_is_said_in_the_dose_row():
    fig = trend_figure(TWO_HB, NO_DOSES)
    assert row_notes(fig, row_of(fig, "Doses")) == ["No doses in the files"]
    assert row_notes(fig, row_of(fig, "Hemoglobin (g/L)")) == []


def test_doses_outside_the_view_are_said_in_the_dose_row():
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=ViewSettings(start=D("2024-03-01")))
    assert row_notes(fig, row_of(fig, "Doses")) == ["No doses between these dates"]


def test_no_note_when_the_dose_row_has_doses():
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")))
    assert row_notes(fig, row_of(fig, "Doses")) == []


@pytest.mark.parametrize(("labs", "doses", "when"), [
    (ONE_HB, NO_DOSES, D("2024-01-05")),
    (labs_table(), doses_table(dose("2024-01-08")), D("2024-01-08")),
])
def test_a_single_time_gets_days_either_side(labs, doses, when):
    # plotly would otherwise span a millisecond either side and label the ticks with times of day
    low, high = time_range(trend_figure(labs, doses))
    assert low < when < high
    assert high - low >= pd.Timedelta(days=7)


def test_several_times_are_left_to_autorange():
    assert time_range(trend_figure(TWO_HB, doses_table(dose("2024-01-08")))) is None


def test_the_view_dates_are_the_time_axis_range():
    view = ViewSettings(start=D("2024-02-01"), end=D("2024-03-31"))
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=view)
    low, high = time_range(fig)
    assert D("2024-01-25") < low <= D("2024-02-01")
    assert D("2024-04-01") <= high < D("2024-04-08")  # the end day is included whole


def test_the_view_dates_in_days_since_the_first_dose():
    view = ViewSettings(time_axis="days", start=D("2024-02-07"), end=D("2024-03-31"))
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=view)
    (low, high), = {tuple(a.range) for a in x_axes(fig)}
    assert 25 < low <= 30 and 84 <= high < 90


# --- adherence on the dose track -----------------------------------------------------------------

def events_table(*rows: tuple) -> pd.DataFrame:
    """Adherence events: (planned, phase, given_at, status, days_late)."""
    return pd.DataFrame(list(rows), columns=["planned", "phase", "given_at", "status", "days_late"]).astype(
        {"planned": "datetime64[ns]", "given_at": "datetime64[ns]", "phase": "str", "status": "str",
         "days_late": "int64"})


def adherence_of(events: pd.DataFrame, next_due: str | None) -> Adherence:
    return Adherence(events, pd.DataFrame(), 0.0, None, D(next_due) if next_due else None)


ADH_DOSES = doses_table(dose("2024-01-08"), dose("2024-01-15"), dose("2024-01-29"), dose("2024-05-20"))
ADH = adherence_of(events_table(
    (D("2024-01-08"), "loading", D("2024-01-08"), "on time", 0),
    (D("2024-01-15"), "loading", D("2024-01-15"), "on time", 0),
    (D("2024-01-22"), "loading", pd.NaT, "missed", 0),
    (D("2024-01-26"), "loading", D("2024-01-29"), "late", 1),
    (D("2024-04-29"), "maintenance", D("2024-05-20"), "late", 21),
    (D("2024-08-20"), "maintenance", pd.NaT, "not yet due", 0)), "2024-08-20")


def test_without_a_plan_no_adherence_marks():
    fig = trend_figure(TWO_HB, ADH_DOSES)
    assert not {"late doses", "missed doses", "next due"} & set(names(fig))


def test_late_doses_are_marked_where_they_were_given():
    fig = trend_figure(TWO_HB, ADH_DOSES, adherence=ADH)
    late = named(fig, "late doses")
    assert list(late.x) == [D("2024-01-29"), D("2024-05-20")]
    assert late.yaxis == axis_id(row_of(fig, "Doses"))
    assert list(late.hovertext) == ["Late: given 29 Jan 2024, due 26 Jan 2024 (1 day late)",
                                    "Late: given 20 May 2024, due 29 Apr 2024 (21 days late)"]
    assert list(named(fig, "injections").x) == list(ADH_DOSES["administered_at"])  # given doses as before


def test_missed_doses_are_marked_where_they_were_due():
    fig = trend_figure(TWO_HB, ADH_DOSES, adherence=ADH)
    missed = named(fig, "missed doses")
    assert list(missed.x) == [D("2024-01-22")]
    assert missed.yaxis == axis_id(row_of(fig, "Doses"))
    assert list(missed.hovertext) == ["Missed: due 22 Jan 2024"]


def test_next_due_is_an_open_marker_with_a_label():
    fig = trend_figure(TWO_HB, ADH_DOSES, adherence=ADH)
    due = named(fig, "next due")
    assert list(due.x) == [D("2024-08-20")]
    assert due.marker.symbol.endswith("-open")
    assert "text" in due.mode and list(due.text) == ["Next due 20 Aug 2024"]
    assert list(due.hovertext) == ["Next due 20 Aug 2024"]


def test_given_late_missed_and_next_due_differ_by_shape_and_colour():
    fig = trend_figure(TWO_HB, ADH_DOSES, adherence=ADH)
    marks = [named(fig, n) for n in ("injections", "late doses", "missed doses", "next due")]
    assert len({t.marker.symbol for t in marks}) == 4
    assert named(fig, "missed doses").marker.color not in {COLORS["injection"], COLORS["oral"]}
    assert named(fig, "late doses").marker.line.color != COLORS["injection"]
    for t in marks:
        assert {c for c in (t.marker.color, t.marker.line.color) if c is not None} <= set(COLORS.values()), t.name


def test_no_late_or_missed_dose_no_trace():
    on_time = adherence_of(events_table((D("2024-01-08"), "loading", D("2024-01-08"), "on time", 0)), None)
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), adherence=on_time)
    assert not {"late doses", "missed doses", "next due"} & set(names(fig))


def test_adherence_from_a_plan_is_drawn():
    regimen = custom_regimen(7, 4, 3)  # weekly x 4, then every 3 months
    plan = build_plan(regimen, "2024-01-08")
    result_ = adherence(regimen, "2024-01-08", ADH_DOSES, as_of="2024-12-01")
    fig = trend_figure(TWO_HB, ADH_DOSES, plan=plan, adherence=result_)
    # 20 Nov is due, but as of 1 Dec within the 2 weeks' grace of a 3-monthly injection (grace.csv): not missed
    assert list(named(fig, "missed doses").x) == [D("2024-01-22"), D("2024-08-20")]
    assert list(named(fig, "late doses").x) == [D("2024-05-20")]
    assert named(fig, "late doses").hovertext[0] == "Late: given 20 May 2024, due 29 Apr 2024 (21 days late)"
    # Nothing given since 20 Aug: the next injection is due now, not on the plan's 20 Nov
    assert list(named(fig, "next due").x) == [D("2024-12-01")]
    assert list(named(fig, "next due").text) == ["Overdue since 20 Aug 2024"]


def test_an_overdue_dose_is_said_as_the_summary_says_it():
    # The summary said "Next dose: overdue since 20 Aug 2024" while the dose row labelled the plan's
    # next date, three months on: a clinician could read it as time to wait.
    regimen = custom_regimen(7, 4, 3)
    result_ = adherence(regimen, "2024-01-08", ADH_DOSES, as_of="2024-12-01")
    assert result_.overdue_since == D("2024-08-20")
    due = named(trend_figure(TWO_HB, ADH_DOSES, adherence=result_), "next due")
    assert list(due.text) == list(due.hovertext) == ["Overdue since 20 Aug 2024"]
    assert list(due.x) == [D("2024-12-01")]  # today, where the dose is due
    on_time = adherence(regimen, "2024-01-08", ADH_DOSES, as_of="2024-05-21")
    assert on_time.overdue_since is None
    assert named(trend_figure(TWO_HB, ADH_DOSES, adherence=on_time), "next due").text[0].startswith("Next due ")


def test_adherence_on_the_days_axis():
    fig = trend_figure(TWO_HB, ADH_DOSES, view=ViewSettings(time_axis="days"), adherence=ADH)
    assert list(named(fig, "missed doses").x) == [14]
    assert list(named(fig, "late doses").x) == [21, 133]
    assert list(named(fig, "next due").x) == [225]
    assert named(fig, "next due").text[0] == "Next due 20 Aug 2024"  # the label keeps the date


def test_adherence_without_doses_still_marks_missed_doses():
    missed = adherence_of(events_table((D("2024-01-08"), "loading", pd.NaT, "missed", 0)), "2024-01-15")
    fig = trend_figure(TWO_HB, NO_DOSES, adherence=missed)
    assert list(named(fig, "missed doses").x) == [D("2024-01-08")]
    assert row_notes(fig, row_of(fig, "Doses")) == ["No doses in the files"]


def test_sample_on_the_open_ended_neurological_regimen_has_every_dose_on_time(uk):
    # PA-NEURO had alternate-day loading for 10 weeks "until no further improvement", then every 2 months:
    # the open-ended loading takes all 30 loading doses (none extra), maintenance counts from the last one.
    fig = uk_figure(uk, with_adherence=True)
    assert uk.adherence.late().empty and uk.adherence.missed().empty
    assert set(uk.adherence.events["status"]) == {"on time"} and len(uk.adherence.events) == 35
    assert named(fig, "next due").text[0] == "Next due 13 Mar 2025"
    assert "missed doses" not in names(fig) and "late doses" not in names(fig)


def test_the_busy_figure_with_adherence_keeps_to_the_palette():
    fig = trend_figure(TWO_HB, ADH_DOSES, adherence=ADH)
    palette = set(COLORS.values())
    assert {t.marker.color for t in fig.data if t.mode and "markers" in t.mode} <= palette
    assert {t.marker.line.color for t in fig.data if t.marker.line.color is not None} <= palette


# --- a title for the downloaded figure ------------------------------------------------------------

MADE = dt.date(2025, 3, 3)


def test_titled_names_patient_dates_shown_and_day_made():
    fig = titled(trend_figure(TWO_HB, doses_table(dose("2024-01-08"))), "P-001", MADE)
    assert fig.layout.title.text == "B12 follow-up: P-001 · results 5 Jan 2024 to 5 Mar 2024 · made 3 Mar 2025"


def test_titled_dates_are_those_of_the_results_in_view():
    labs = labs_table(result("2023-12-01", "hemoglobin", 90), result("2024-01-05", "hemoglobin", 100),
                      result("2024-03-05", "b12", 300), result("2024-06-05", "hemoglobin", 130))
    view = ViewSettings(start=D("2024-01-01"), end=D("2024-03-31"))
    fig = titled(trend_figure(labs, NO_DOSES, view=view), "P1", MADE)
    assert "results 5 Jan 2024 to 5 Mar 2024" in fig.layout.title.text
    only_b12 = titled(trend_figure(labs, NO_DOSES, view=ViewSettings(analytes=("b12",))), "P1", MADE)
    assert "results 5 Mar 2024 ·" in only_b12.layout.title.text  # one date: not "from X to X"


def test_titled_on_the_days_axis_still_gives_dates():
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), view=ViewSettings(time_axis="days"))
    assert "results 5 Jan 2024 to 5 Mar 2024" in titled(fig, "P1", MADE).layout.title.text


def test_titled_without_results():
    fig = titled(trend_figure(labs_table(), doses_table(dose("2024-01-08"))), "P1", MADE)
    assert fig.layout.title.text == "B12 follow-up: P1 · no results · made 3 Mar 2025"


def test_titled_escapes_the_patient_id():
    fig = titled(trend_figure(TWO_HB, NO_DOSES), '<b>x</b> & "y"', MADE)
    assert fig.layout.title.text.startswith('B12 follow-up: &lt;b&gt;x&lt;/b&gt; &amp; "y" · ')
    assert "&quot;" not in fig.layout.title.text  # plotly would show that entity as it is


def test_titled_returns_a_copy_with_room_for_the_title():
    fig = trend_figure(TWO_HB, doses_table(dose("2024-01-08")), detect_phases(doses_table(dose("2024-01-08"))).phases)
    before = json.loads(fig.to_json())
    out = titled(fig, "P1", MADE)
    assert out is not fig
    assert json.loads(fig.to_json()) == before  # the cached figure is left as it was
    assert fig.layout.title.text is None
    assert out.layout.margin.t > fig.layout.margin.t
    assert out.layout.height - out.layout.margin.t == fig.layout.height - fig.layout.margin.t  # rows keep their size
    assert [t.name for t in out.data] == [t.name for t in fig.data]


def test_titled_dates_can_be_given():
    fig = titled(trend_figure(TWO_HB, NO_DOSES), "P1", MADE, results=(dt.date(2023, 2, 1), dt.date(2024, 12, 31)))
    assert fig.layout.title.text == "B12 follow-up: P1 · results 1 Feb 2023 to 31 Dec 2024 · made 3 Mar 2025"


def test_a_dose_without_an_amount_still_has_a_hover():
    doses = doses_table(dose("2024-01-08", dose_ug=np.nan), dose("2024-01-09"))
    assert list(named(trend_figure(TWO_HB, doses), "injections").hovertext) == [
        "08 Jan 2024 00:00<br>hydroxocobalamin  IM", "09 Jan 2024 00:00<br>hydroxocobalamin 1 mg IM"]


def test_a_figure_for_streamlit_sends_no_template_and_its_download_has_plotlys_look():
    """Streamlit draws the figure in its own theme: plotly's 7 kB template is left out of what the
    browser gets; the downloaded figure is as it was, in plotly's default look."""
    doses = doses_table(dose("2024-01-08"))
    plain, themed = trend_figure(TWO_HB, doses), trend_figure(TWO_HB, doses, template=THEMED_BY_HOST)
    sent = json.loads(themed.to_json())["layout"]["template"]
    assert "layout" not in sent and len(json.dumps(sent)) < 100
    assert json.loads(plain.to_json())["layout"]["template"]["layout"]["colorway"]  # plotly's default
    assert json.loads(titled(themed, "P1", MADE).to_json()) == json.loads(titled(plain, "P1", MADE).to_json())
    assert themed.to_json().split('"layout"')[0] == plain.to_json().split('"layout"')[0]  # the same data


# --- plotly's own check --------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda uk, busy: busy,
    lambda uk, busy: uk_figure(uk, with_adherence=True),
    lambda uk, busy: uk_figure(uk, ViewSettings(units="US", time_axis="days"), with_adherence=True),
    lambda uk, busy: uk_figure(uk, ViewSettings(start=D("2024-06-01"), analytes=("b12",))),
    lambda uk, busy: trend_figure(TWO_HB, NO_DOSES, template=THEMED_BY_HOST),
    lambda uk, busy: trend_figure(labs_table(), NO_DOSES),
], ids=["every kind of trace", "sample with plan and doses against it", "US units, days axis",
        "one analyte between dates", "no doses, themed by the host", "nothing at all"])
def test_figures_pass_plotlys_validation(make, uk, busy_figure):
    # The figure is made without plotly's validation (its cost): every property it sets must still
    # be one plotly knows, with a value of its type, as plotly checks when a figure is made from it.
    fig = make(uk, busy_figure)
    checked = go.Figure(fig.to_plotly_json())
    assert json.loads(checked.to_json()) == json.loads(fig.to_json())
