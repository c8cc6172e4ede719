"""The trend figure: every tracked analyte on one time axis with every injection.

One row per analyte (reference band shaded, out-of-range results marked by shape as well as
colour, censored results drawn open, serum B12 that cannot be interpreted greyed), an injection
track, an optional symptom row; loading and maintenance phases shaded across all rows with each
transition labelled. Built from tables, returned as a plotly figure; nothing here draws on screen.

When a plan was chosen the dose track also shows adherence: late doses ringed where they were
given, missed doses crossed where they were due, and the next due date. ``titled`` gives a copy
of a figure a title naming the patient and the dates shown, for the figure downloaded as a file.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pyarrow as pa
import pyarrow.compute as pc
from plotly.subplots import make_subplots

from b12core.course import Adherence
from b12core.display import ViewSettings, display_unit, in_view, to_display, value_text
from b12core.doses import INJECTED
from b12core.export import dose_text
from b12core.phases import ORAL_ROUTES
from b12core.reference import analyte_keys, analytes, default_range, unit_factors

if TYPE_CHECKING:
    from b12core.workspace import PatientCourse
from b12core.response import annotate_labs
from b12core.words import counted

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLORS = {"in_range": "#0072B2", "high": "#D55E00", "low": "#CC79A7", "censored": "#0072B2",
          "not_interpretable": "#999999", "injection": "#009E73", "oral": "#E69F00", "recheck": "#56B4E9",
          "line": "#999999", "loading": "rgba(230,159,0,0.13)", "maintenance": "rgba(0,158,115,0.10)",
          "band": "rgba(0,114,178,0.16)", "late": "#D55E00", "missed": "#D55E00", "next_due": "#000000"}
SYMBOLS = {"in_range": "circle", "high": "triangle-up", "low": "triangle-down"}
SYMPTOM_COLORS = ("#CC79A7", "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9")
# Adherence marks on the dose track: each its own shape as well as its own colour.
ADHERENCE_MARKS = {"late doses": ("circle-open", COLORS["late"]), "missed doses": ("x-thin-open", COLORS["missed"]),
                   "next due": ("diamond-open", COLORS["next_due"])}
DOSE_HEIGHT = 0.65  # where injections sit on the dose track (its y axis runs from 0 to 1)
DAY = pd.Timedelta(days=1)
# Display only: a figure whose times all fall on one instant gets this much either side (plotly
# would span a millisecond and label its ticks with times of day), and an axis set from the
# view's dates this share of their span either side, so a mark on the first day is not cut in half.
SINGLE_TIME_MARGIN = pd.Timedelta(days=14)
VIEW_MARGIN_SHARE = 0.02
TITLE_SPACE_PX = 34  # above the phase labels, which sit above the top row
# Margins wide enough for the tick labels and axis titles as drawn in the app (Streamlit's theme
# pads them): plotly widens a margin its labels overflow by drawing the whole figure again, which
# doubled the browser's time on every upload (94 -> 48 ms a ten-year patient, Chromium, alone).
MARGINS_PX = {"l": 80, "r": 32, "t": 56, "b": 40}
DAYS_TITLE_MARGIN_PX = 72  # the bottom margin under the "days since first dose" title


def _x(times: pd.Series, first_dose: pd.Timestamp | None, view: ViewSettings) -> pd.Series:
    if view.time_axis == "days" and first_dose is not None:
        return (times - first_dose) / DAY
    return times


def _status(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    status = np.full(len(values), "in_range", dtype=object)
    status[~np.isnan(high) & (values > high)] = "high"
    status[~np.isnan(low) & (values < low)] = "low"
    return status


def plotly_text(text: str) -> str:
    """Text from a file or a person, escaped for plotly's HTML-like labels: ``<`` ``>`` ``&``.

    Quotes are left as they are: without ``<`` no tag can begin, and plotly knows no ``&quot;``
    (it would show those six characters)."""
    return html.escape(text, quote=False)


def _text_array(values: pd.Series | np.ndarray) -> pa.Array:
    """Values as an Arrow string array, missing values as ""."""
    return pa.array(pd.Series(values).astype("str").fillna("").to_numpy(dtype=object), type=pa.string())


def _escaped(values: pd.Series | np.ndarray) -> pa.Array:
    """Text from files, escaped for plotly's HTML-like labels as ``plotly_text`` does, by Arrow's
    string kernels (the hover texts of a long history are thousands of cells)."""
    out = _text_array(values)
    for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):  # "&" first
        out = pc.replace_substring(out, raw, escaped)
    return out


def _esc(values: pd.Series) -> pd.Series:
    """``_escaped`` as a Series aligned with ``values``."""
    return pd.Series(_escaped(values).to_numpy(zero_copy_only=False), index=values.index, dtype=object)


def _day_texts(times: pd.Series) -> pd.Series:
    """``5 Jan 2024`` for each time (the day without a leading zero, on any platform)."""
    return times.dt.day.astype("str") + times.dt.strftime(" %b %Y")


def _day_text(day: pd.Timestamp | dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _values_text(values: np.ndarray, analyte: str, unit: str) -> np.ndarray:
    """Each value as the summary shows it (``value_text``), worked out once per distinct value."""
    distinct = pd.unique(values[~np.isnan(values)])
    texts = {v: value_text(v, analyte, unit) for v in distinct}
    return pd.Series(values).map(texts).fillna("").to_numpy(dtype=object)


def _days_text(days: pd.Series) -> np.ndarray:
    """Whole days as words: ``1 day``, ``12 days`` (vectorised ``counted``)."""
    whole = days.round().astype("Int64")
    number = whole.astype("str").fillna("").to_numpy(dtype=object)
    return np.where(whole.abs().eq(1).fillna(False).to_numpy(), number + " day", number + " days")


def _hover(rows: pd.DataFrame, shown: np.ndarray, analyte: str, unit: str) -> np.ndarray:
    """Hover text per result: the value shown (at the analyte's display precision) in bold, then
    its ``HOVER_TAIL`` column (``_hover_tails``)."""
    if not len(rows):
        return np.array([], dtype=object)
    parts = ["<b>", _text_array(rows["qualifier"]), _text_array(_values_text(shown, analyte, unit)),
             f" {plotly_text(unit)}</b><br>", _text_array(rows[HOVER_TAIL])]
    return np.asarray(pc.binary_join_element_wise(*parts, "").to_numpy(zero_copy_only=False), dtype=object)


HOVER_TAIL = "_hover_tail"


def _hover_tails(labs: pd.DataFrame) -> np.ndarray:
    """What each result's hover says after its value, for every result of the figure at once (per
    analyte it was a dozen conversions of a few rows each, half the figure's time): date,
    interpretation, whether the summary uses it (``used``), specimen, as reported, days since the
    last injection, file and row."""
    if not len(labs):
        return np.array([], dtype=object)
    since = labs.get("days_since_injection", pd.Series(np.nan, index=labs.index)).reset_index(drop=True)
    since_text = np.where(since.isna(), "no injection before this result",
                          _days_text(since) + " since the last injection")
    interpretation = _escaped(labs.get("interpretation", pd.Series("", index=labs.index)).fillna(""))
    interpretation = pc.if_else(pc.equal(interpretation, ""), "",
                                pc.binary_join_element_wise("<i>", interpretation, "</i><br>", ""))
    specimen = _escaped(labs.get("specimen", pd.Series("", index=labs.index)).fillna(""))
    specimen = pc.if_else(pc.equal(specimen, ""), "", pc.binary_join_element_wise("specimen: ", specimen, "<br>", ""))
    used = labs.get("used", pd.Series(True, index=labs.index)).to_numpy(dtype=bool)
    unused = np.where(used, "", "<i>not used in the summary: another result taken at this time is used</i><br>")
    parts = [_text_array(labs["collected_at"].dt.strftime("%d %b %Y %H:%M")),
             "<br>", interpretation, _text_array(unused), specimen, "as reported: ",
             _escaped(labs["reported_value"].str.strip()), " ", _escaped(labs["reported_unit"]), "<br>",
             _text_array(since_text), "<br>", _escaped(labs["source_file"]), ", row ", _text_array(labs["source_row"])]
    return np.asarray(pc.binary_join_element_wise(*parts, "").to_numpy(zero_copy_only=False), dtype=object)


def trend_figure(labs: pd.DataFrame, doses: pd.DataFrame, phases: pd.DataFrame | None = None,
                 view: ViewSettings | None = None, plan: pd.DataFrame | None = None,
                 symptoms: pd.DataFrame | None = None, sex: str = "any",
                 adherence: Adherence | None = None, template: str | None = None) -> go.Figure:
    """One patient's results and doses on a shared time axis.

    ``labs`` may carry the columns of ``response.annotate_labs`` (days since injection,
    interpretation); ``phases`` is ``detect_phases(doses).phases`` for this patient; ``plan`` adds
    planned blood tests; ``symptoms`` adds a symptom row; ``adherence`` (doses given against the
    chosen plan) adds late doses, missed doses and the next due date to the dose track.

    The time axis is dates, or days since the first dose when the view asks for days and there
    is a dose. The view's dates, when set, are the axis range (results outside them are left
    out; doses, plan and phases are drawn whole, so panning shows them). The span of the results
    drawn is recorded in ``layout.meta["results"]`` (ISO dates) for ``titled``. ``template`` is
    plotly's name of a look (None: plotly's default; ``THEMED_BY_HOST`` for Streamlit).
    """
    view = view or ViewSettings()
    if "days_since_injection" not in labs and "patient_id" in labs and len(doses):
        labs = annotate_labs(labs, doses)
    labs = labs[in_view(labs["collected_at"], view)]
    analyte_of = labs["analyte"].astype("str")  # once: each comparison below would convert the column again
    tracked = set(analyte_of)
    present = [a for a in analyte_keys() if a in tracked]
    shown = [a for a in present if not view.analytes or a in view.analytes]  # display order, each once
    has_symptoms = symptoms is not None and len(symptoms) > 0
    titles = [f"{analytes()[a].label} ({display_unit(a, view)})" for a in shown] + ["Doses"]
    titles += ["Symptoms (0-10)"] if has_symptoms else []
    rows = len(titles)
    dose_row = len(shown) + 1
    heights = [1.0] * len(shown) + [0.35] + ([0.7] if has_symptoms else [])
    # Everything is collected first and the figure made once: plotly validates on every change, and
    # adding traces and updating axes one by one cost four times the figure itself.
    layout = copy.deepcopy(_grid_layout(rows, tuple(heights), min(0.04, 0.3 / rows)))
    traces: list[dict] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    times: list[pd.Series] = []  # every time drawn, for the axis range
    first_dose = doses["administered_at"].min() if len(doses) else None
    first_dose = None if pd.isna(first_dose) else first_dose
    labs = labs[analyte_of.isin(shown)]
    analyte_of = analyte_of[analyte_of.isin(shown)]
    results = labs["collected_at"]
    times.append(results)
    by_analyte = _drawn_columns(labs, analyte_of).groupby(_ANALYTE, sort=False)
    for row, analyte in enumerate(shown, start=1):
        _add_analyte(traces, row, by_analyte.get_group(analyte), analyte, view, first_dose, sex, shapes)
    times += _add_doses(traces, dose_row, doses, view, first_dose, plan)
    if adherence is not None:
        times += _add_adherence(traces, dose_row, adherence, view, first_dose)
    _note_empty_dose_row(traces, dose_row, doses, view, notes)
    if has_symptoms:
        _add_symptoms(traces, rows, symptoms, view, first_dose, notes)
        _axis_layout(layout, "y", rows)["range"] = [0, 10.5]
        times.append(symptoms["recorded_at"])
    if phases is not None and len(phases):
        _add_phases(phases, view, first_dose, shapes, notes)
        times += [phases["start"], phases["end"]]
    layout.update(
        annotations=notes, height=max(320, 190 * len(shown) + 140 + (140 if has_symptoms else 0)),
        **({"shapes": shapes} if shapes else {}), hovermode="closest", showlegend=False,
        margin=dict(MARGINS_PX), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        meta={"results": _span(results)})
    for row, title in enumerate(titles, start=1):
        _axis_layout(layout, "y", row)["title"] = {"text": title, "font": {"size": 12}}
    _axis_layout(layout, "y", dose_row).update(showticklabels=False, range=[0, 1], fixedrange=True)
    in_days = view.time_axis == "days" and first_dose is not None
    # Set, not guessed: plotly guesses each axis's type from its own traces, and shared axes of
    # different types stop sharing, which left the bottom axis without date labels.
    time_range = _time_range(times, view, first_dose)  # None: plotly's autorange
    axis = {"type": "linear" if in_days else "date"} | ({"range": time_range} if time_range is not None else {})
    for row in range(1, rows + 1):
        _axis_layout(layout, "x", row).update(axis)
    if in_days:
        _axis_layout(layout, "x", rows)["title"] = {"text": "days since first dose"}
        layout["margin"]["b"] = DAYS_TITLE_MARGIN_PX
    if template is not None:
        layout["template"] = pio.templates[template].to_plotly_json()  # the look itself, as validation sets it
    # Not validated again (plotly's private ``_validate``, as plotly makes its own templates): the
    # traces and layout are plotly's names and types, which ``tests/test_figures.py`` validates for
    # every kind of figure, and validating them here was a third of the figure's time (12 of 34 ms
    # for a ten-year patient, ``benchmarks/load_test.py``'s patients).
    return go.Figure(data=traces, layout=layout, _validate=False)


@cache
def _grid_layout(rows: int, heights: tuple[float, ...], spacing: float) -> dict:
    """The layout of ``rows`` rows on one shared time axis (plotly's ``make_subplots``), without
    the template (the figure takes the default one when it is made): the same for every patient
    with as many rows, so worked out once per shape. Callers change a copy, never this dict."""
    layout = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=spacing,
                           row_heights=list(heights)).layout.to_plotly_json()
    layout.pop("template", None)
    return layout


def _axis_layout(layout: dict, letter: str, row: int) -> dict:
    """The layout of a row's x or y axis (``letter``)."""
    return layout[_axis(f"{letter}axis", row)]


def _scatter(row: int, **trace: object) -> dict:
    """A scatter trace on a row's axes, where ``add_trace(..., row=row, col=1)`` would put it. Its
    columns are kept as arrays: a pandas Series brings its index and reference tracking along, a
    few dozen objects the garbage collector walks on every run of every session keeping the figure."""
    arrays = {key: value.to_numpy() for key, value in trace.items() if isinstance(value, pd.Series)}
    return {"type": "scatter", **trace, **arrays, "xaxis": _axis("x", row), "yaxis": _axis("y", row)}


def _span(times: pd.Series) -> list[str] | None:
    """First and last day of ``times`` as ISO dates; None when there are none."""
    times = times.dropna()
    return [f"{times.min():%Y-%m-%d}", f"{times.max():%Y-%m-%d}"] if len(times) else None


def _time_range(times: list[pd.Series], view: ViewSettings, first_dose: pd.Timestamp | None) -> list | None:
    """The time axis range: the view's dates when set, days either side of a single time, else
    None (plotly's autorange, which also makes room for the markers)."""
    drawn = pd.concat([t.dropna() for t in times if len(t)] or [pd.Series([], dtype="datetime64[ns]")])
    low = view.start if view.start is not None else (drawn.min() if len(drawn) else None)
    high = view.end if view.end is not None else (drawn.max() if len(drawn) else None)
    if view.end is not None and view.end == view.end.normalize():
        high = view.end + DAY  # the end day is included whole
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return None
    if low > high:  # one date set in the view, and nothing drawn on its side of it
        low, high = (low, low) if view.start is not None else (high, high)
    if view.start is not None or view.end is not None:
        margin = (high - low) * VIEW_MARGIN_SHARE if high > low else SINGLE_TIME_MARGIN
    elif high == low:
        margin = SINGLE_TIME_MARGIN
    else:
        return None
    return _x(pd.Series([low - margin, high + margin]), first_dose, view).tolist()


_DRAWN = ("collected_at", "value", "ref_low", "ref_high", "qualifier", "interpretable", "used")
_ANALYTE = "_analyte"


def _drawn_columns(labs: pd.DataFrame, analyte: pd.Series) -> pd.DataFrame:
    """The columns the analyte rows draw, with each result's analyte (as text) and hover tail, in
    time order (stable: results taken at one time keep the file's order), to be split by analyte
    once rather than the whole annotated table (a dozen text columns) filtered for each."""
    drawn = labs[[c for c in _DRAWN if c in labs]].assign(**{_ANALYTE: analyte, HOVER_TAIL: _hover_tails(labs)})
    return drawn.sort_values("collected_at", kind="stable")


def _axis(prefix: str, row: int) -> str:
    return prefix if row == 1 else f"{prefix}{row}"


def _add_analyte(traces: list[dict], row: int, rows: pd.DataFrame, analyte: str, view: ViewSettings,
                 first_dose: pd.Timestamp | None, sex: str, shapes: list[dict]) -> None:
    unit = display_unit(analyte, view)
    values = to_display(rows["value"], analyte, unit)
    low = to_display(rows["ref_low"], analyte, unit)
    high = to_display(rows["ref_high"], analyte, unit)
    default = default_range(analyte, sex)
    if default is not None:
        low = np.where(np.isnan(low), np.nan if default.low is None else default.low / unit_factors()[(analyte, unit)],
                       low)
        high = np.where(np.isnan(high), np.nan if default.high is None
                        else default.high / unit_factors()[(analyte, unit)], high)
    band_low = low[~np.isnan(low)][-1] if (~np.isnan(low)).any() else 0.0
    band_high = high[~np.isnan(high)][-1] if (~np.isnan(high)).any() else None
    if band_high is not None or band_low:
        # No upper limit (folate): shade from the lower limit up, above every result.
        top = band_high if band_high is not None else max(band_low * 1.5, float(np.nanmax(values)) * 1.1)
        shapes.append({"type": "rect", "xref": f"{_axis('x', row)} domain", "x0": 0, "x1": 1,
                       "yref": _axis("y", row), "y0": band_low, "y1": top, "fillcolor": COLORS["band"],
                       "line": {"width": 0}, "layer": "below", "name": f"{analyte} reference range"})
    status = _status(values, low, high)
    censored = (rows["qualifier"].astype("str") != "").to_numpy()
    greyed = ~rows["interpretable"].to_numpy(dtype=bool) if "interpretable" in rows else np.zeros(len(rows), bool)
    x = _x(rows["collected_at"], first_dose, view)
    hover = _hover(rows, values, analyte, unit)
    line = rows["used"].to_numpy(dtype=bool) if "used" in rows else np.ones(len(rows), dtype=bool)
    traces.append(_scatter(row, x=x[line], y=values[line], mode="lines", line={"color": COLORS["line"], "width": 1},
                           hoverinfo="skip", name=f"{analyte} line"))
    for kind in ("in_range", "high", "low"):
        for is_censored in (False, True):
            pick = (status == kind) & (censored == is_censored) & ~greyed
            if pick.any():
                symbol = SYMBOLS[kind] + ("-open" if is_censored else "")
                name = f"{analyte} {kind}" + (" censored" if is_censored else "")
                marker = {"color": COLORS[kind], "symbol": symbol, "size": 10,
                          "line": {"width": 2 if is_censored else 0}}
                traces.append(_scatter(row, x=x[pick], y=values[pick], mode="markers", name=name, marker=marker,
                                       hovertext=np.asarray(hover, dtype=object)[pick], hoverinfo="text"))
    if greyed.any():
        traces.append(_scatter(
            row, x=x[greyed], y=values[greyed], mode="markers", name=f"{analyte} not interpretable",
            marker={"color": COLORS["not_interpretable"], "symbol": "x", "size": 9},
            hovertext=np.asarray(hover, dtype=object)[greyed], hoverinfo="text"))


def _add_doses(traces: list[dict], row: int, doses: pd.DataFrame, view: ViewSettings,
               first_dose: pd.Timestamp | None, plan: pd.DataFrame | None) -> list[pd.Series]:
    """Doses given (injections, oral, other) and planned blood tests; returns the times drawn."""
    drawn: list[pd.Series] = []
    groups = (("injections", doses["route"].isin(INJECTED), "injection", "line-ns", DOSE_HEIGHT),
              ("oral doses", doses["route"].isin(ORAL_ROUTES), "oral", "diamond", 0.3),
              ("other doses", ~doses["route"].isin([*INJECTED, *ORAL_ROUTES]), "oral", "circle-open", 0.3))
    for name, pick, colour, symbol, height in groups:
        mine = doses[pick]
        if mine.empty:
            continue
        amounts = mine["dose_ug"].map({ug: dose_text(ug, both=False) for ug in mine["dose_ug"].unique()})
        text = (mine["administered_at"].dt.strftime("%d %b %Y %H:%M") + "<br>" + _esc(mine["product"]) + " "
                + amounts.fillna("") + " " + _esc(mine["route"])).to_numpy()
        injected = name == "injections"
        traces.append(_scatter(
            row, x=_x(mine["administered_at"], first_dose, view), y=np.full(len(mine), height), mode="markers",
            name=name, marker={"color": COLORS[colour], "symbol": symbol, "size": 16 if injected else 8,
                               "line": {"width": 3 if injected else 1, "color": COLORS[colour]}},
            hovertext=text, hoverinfo="text"))
        drawn.append(mine["administered_at"])
    if plan is not None and len(plan):
        checks = plan[plan["kind"] == "recheck"]
        if len(checks):
            traces.append(_scatter(
                row, x=_x(checks["date"], first_dose, view), y=np.full(len(checks), 0.1), mode="markers",
                name="planned blood tests", marker={"color": COLORS["recheck"], "symbol": "square-open", "size": 9},
                hovertext=("Planned: " + _esc(checks["title"]) + "<br>" + checks["date"].dt.strftime("%d %b %Y")
                           ).to_numpy(), hoverinfo="text"))
            drawn.append(checks["date"])
    return drawn


def _add_adherence(traces: list[dict], row: int, adh: Adherence, view: ViewSettings,
                   first_dose: pd.Timestamp | None) -> list[pd.Series]:
    """Late doses ringed where they were given, missed doses crossed where they were due, the next
    due date an open marker with its date (when a dose is overdue: today, "Overdue since" the day
    it fell due); returns the times drawn."""
    events = adh.events
    late = events[events["status"] == "late"]
    missed = events[events["status"] == "missed"]
    marks: list[tuple[str, pd.Series, int, pd.Series, list[str] | None]] = []
    if len(late):
        days_late = late["days_late"].map({n: counted(n, "day") for n in late["days_late"].unique()})
        marks.append(("late doses", late["given_at"], 14, "Late: given " + _day_texts(late["given_at"]) + ", due "
                      + _day_texts(late["planned"]) + " (" + days_late + " late)", None))
    if len(missed):
        marks.append(("missed doses", missed["planned"], 12, "Missed: due " + _day_texts(missed["planned"]), None))
    due: pd.Timestamp | None = None
    overdue = adh.overdue_since  # worked out from the events at each call
    if overdue is not None:  # due now, as the summary says (``summary._status``), not on the plan's next date
        due, label = adh.as_of, f"Overdue since {_day_text(overdue)}"
    elif adh.next_due is not None and not pd.isna(adh.next_due):
        due, label = adh.next_due, f"Next due {_day_text(adh.next_due)}"
    if due is not None:
        marks.append(("next due", pd.Series([due], dtype="datetime64[ns]"), 12, pd.Series([label]), [label]))
    drawn: list[pd.Series] = []
    for name, when, size, hover, label in marks:
        symbol, colour = ADHERENCE_MARKS[name]
        traces.append(_scatter(
            row, x=_x(when, first_dose, view), y=np.full(len(when), DOSE_HEIGHT), name=name,
            mode="markers+text" if label else "markers", text=label, textposition="top left",
            textfont={"size": 11, "color": colour}, cliponaxis=not label,  # the label may rise above the row
            marker={"color": colour, "symbol": symbol, "size": size, "line": {"width": 2, "color": colour}},
            hovertext=hover.to_numpy(dtype=object), hoverinfo="text"))
        drawn.append(when)
    return drawn


def _note_empty_dose_row(traces: list[dict], row: int, doses: pd.DataFrame, view: ViewSettings,
                         notes: list[dict]) -> None:
    """Say so when the dose track has no dose, and keep the row drawn when it has no trace at all:
    plotly leaves out a subplot without traces, and with it the time axis labels it carries."""
    if doses.empty:
        text = "No doses in the files"
    elif not in_view(doses["administered_at"], view).any():
        text = "No doses between these dates"
    else:
        return
    notes.append({"text": text, "x": 0.5, "y": 0.5, "xref": f"{_axis('x', row)} domain",
                  "yref": f"{_axis('y', row)} domain", "showarrow": False, "font": {"size": 11,
                                                                                      "color": COLORS["line"]}})
    if not any(t["yaxis"] == _axis("y", row) for t in traces):
        traces.append(_scatter(row, x=[], y=[], mode="markers", name="dose row", hoverinfo="skip"))


def _add_symptoms(traces: list[dict], row: int, symptoms: pd.DataFrame, view: ViewSettings,
                  first_dose: pd.Timestamp | None, notes: list[dict]) -> None:
    for i, (symptom, rows) in enumerate(symptoms.sort_values("recorded_at").groupby("symptom", sort=True)):
        label = html.escape(str(symptom).replace("_", " "))
        traces.append(_scatter(
            row, x=_x(rows["recorded_at"], first_dose, view), y=rows["score"], mode="lines+markers", name=label,
            line={"color": SYMPTOM_COLORS[i % len(SYMPTOM_COLORS)]},
            hovertext=(label + ": " + rows["score"].map("{:g}".format) + "<br>"
                       + rows["recorded_at"].dt.strftime("%d %b %Y")).to_numpy(), hoverinfo="text"))
        notes.append({"x": _x(rows["recorded_at"], first_dose, view).iloc[-1], "y": rows["score"].iloc[-1],
                      "xref": _axis("x", row), "yref": _axis("y", row), "text": label, "showarrow": False,
                      "xanchor": "left", "font": {"size": 10}})


def _add_phases(phases: pd.DataFrame, view: ViewSettings, first_dose: pd.Timestamp | None,
                shapes: list[dict], notes: list[dict]) -> None:
    """Each phase shaded across every row, each transition a dotted line with its date above."""
    for i, (phase, start, end) in enumerate(zip(phases["phase"], phases["start"], phases["end"], strict=True)):
        x0, x1 = _x(pd.Series([start, end]), first_dose, view).tolist()
        shapes.append({"type": "rect", "xref": "x", "x0": x0, "x1": x1, "yref": "paper", "y0": 0, "y1": 1,
                       "fillcolor": COLORS.get(phase, "rgba(0,0,0,0.05)"), "line": {"width": 0}, "layer": "below",
                       "name": f"{phase} phase"})
        if i:  # a transition: a line through every row
            shapes.append({"type": "line", "xref": "x", "x0": x0, "x1": x0, "yref": "paper", "y0": 0, "y1": 1,
                           "line": {"dash": "dot", "color": COLORS["line"], "width": 1}, "name": "transition"})
        label = f"{phase.capitalize()} from {start:%d %b %Y}"
        notes.append({"x": x0, "y": 1.0, "xref": "x", "yref": "paper", "text": label, "showarrow": False,
                      "xanchor": "left", "yanchor": "bottom", "font": {"size": 11},
                      "yshift": 14 * (i % 2)})  # alternate heights: a short phase's label stays readable


def titled(fig: go.Figure, patient_label: str, made_on: dt.date,
           results: tuple[dt.date, dt.date] | None = None) -> go.Figure:
    """A copy of a trend figure with a title, for the figure saved as a file: "B12 follow-up:
    <patient> · results <first day> to <last day> · made <day>".

    The dates are those of the first and last result the figure draws (after the view's dates
    and analytes), as ``trend_figure`` recorded them in ``layout.meta``, whatever the time axis
    shows; ``results`` gives them instead. The patient label is escaped for plotly's HTML-like
    text. The top margin grows so the title sits above the phase labels, and the height with it
    so the rows keep their size. In plotly's default look (``for_file``); ``fig`` itself (a cached
    figure) is not changed.
    """
    out = for_file(fig)
    if results is None:
        meta = out.layout.meta if isinstance(out.layout.meta, dict) else {}
        span = meta.get("results")
        results = (dt.date.fromisoformat(span[0]), dt.date.fromisoformat(span[1])) if span else None
    if results is None:
        shown = "no results"
    elif results[0] == results[1]:
        shown = f"results {_day_text(results[0])}"
    else:
        shown = f"results {_day_text(results[0])} to {_day_text(results[1])}"
    text = f"B12 follow-up: {plotly_text(patient_label)} · {shown} · made {_day_text(made_on)}"
    top = (out.layout.margin.t or 0) + TITLE_SPACE_PX
    out.update_layout(title={"text": text, "x": 0, "xref": "paper", "xanchor": "left", "y": 1, "yref": "container",
                             "yanchor": "top", "pad": {"t": 10}, "font": {"size": 15}},
                      margin={"t": top}, height=(out.layout.height or 0) + TITLE_SPACE_PX)
    return out


def patient_figure(view: PatientCourse, settings: ViewSettings, sex: str, template: str | None = None
                   ) -> go.Figure:
    """The dashboard's trend figure of a patient course (or view) under the view settings;
    ``template`` as ``trend_figure`` takes it."""
    return trend_figure(view.labs, view.doses, view.phases.phases, settings, plan=view.plan,
                        symptoms=view.symptoms if len(view.symptoms) else None, sex=sex,
                        adherence=view.adherence, template=template)


# For a host that draws the figure in a theme of its own (Streamlit's replaces plotly's template):
# no template is sent. Plotly's default one is 7 kB the browser applies to every trace: one
# session's render of a ten-year patient cost 0.3 s more CPU with it, drawn the same.
THEMED_BY_HOST = "none"


def for_file(fig: go.Figure) -> go.Figure:
    """A copy of a figure in plotly's default look, for a file opened outside the app (the figure
    on screen may have been made ``THEMED_BY_HOST``). ``fig`` itself is not changed."""
    out = go.Figure(fig)
    out.layout.template = pio.templates[pio.templates.default]
    return out
