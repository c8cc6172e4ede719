"""The trend figure: every tracked analyte on one time axis with every injection.

One row per analyte (reference band shaded, out-of-range results marked by shape as well as
colour, censored results drawn open, serum B12 that cannot be interpreted greyed), an injection
track, an optional symptom row; loading and maintenance phases shaded across all rows with each
transition labelled. Built from tables, returned as a plotly figure; nothing here draws on screen.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from b12core.display import ViewSettings, display_unit, in_view, number_text, to_display
from b12core.doses import INJECTED
from b12core.export import dose_text
from b12core.phases import ORAL_ROUTES
from b12core.reference import analyte_keys, analytes, default_range, unit_factors
from b12core.response import annotate_labs

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
COLORS = {"in_range": "#0072B2", "high": "#D55E00", "low": "#CC79A7", "censored": "#0072B2",
          "not_interpretable": "#999999", "injection": "#009E73", "oral": "#E69F00", "recheck": "#56B4E9",
          "line": "#999999", "loading": "rgba(230,159,0,0.13)", "maintenance": "rgba(0,158,115,0.10)",
          "band": "rgba(0,114,178,0.16)"}
SYMBOLS = {"in_range": "circle", "high": "triangle-up", "low": "triangle-down"}
SYMPTOM_COLORS = ("#CC79A7", "#0072B2", "#D55E00", "#009E73", "#E69F00", "#56B4E9")
DAY = pd.Timedelta(days=1)


def _x(times: pd.Series, first_dose: pd.Timestamp | None, view: ViewSettings) -> pd.Series:
    if view.time_axis == "days" and first_dose is not None:
        return (times - first_dose) / DAY
    return times


def _status(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    status = np.full(len(values), "in_range", dtype=object)
    status[~np.isnan(high) & (values > high)] = "high"
    status[~np.isnan(low) & (values < low)] = "low"
    return status


def _esc(values: pd.Series) -> pd.Series:
    """Text from files, escaped for plotly's HTML-like hover labels."""
    return values.astype("str").map(html.escape)


def _hover(rows: pd.DataFrame, shown: np.ndarray, unit: str) -> np.ndarray:
    """Hover text per result, built column-wise: value shown, date, interpretation, as reported,
    days since the last injection, file and row."""
    n = len(rows)
    value = pd.Series(rows["qualifier"].astype("str").to_numpy() + pd.Series(shown).map(number_text).to_numpy())
    since = rows.get("days_since_injection", pd.Series(np.nan, index=rows.index)).reset_index(drop=True)
    since_text = pd.Series(np.where(since.isna(), "no injection before this result",
                                    since.round().astype("Int64").astype("str") + " days since the last injection"))
    interpretation = _esc(rows.get("interpretation", pd.Series("", index=rows.index)).fillna("")).reset_index(drop=True)
    interpretation = pd.Series(np.where(interpretation != "", "<i>" + interpretation + "</i><br>", ""))
    reported = _esc(rows["reported_value"].str.strip() + " " + rows["reported_unit"].astype("str")).reset_index(
        drop=True)
    text = ("<b>" + value + " " + html.escape(unit) + "</b><br>"
            + pd.Series(rows["collected_at"].dt.strftime("%d %b %Y %H:%M").to_numpy()) + "<br>" + interpretation
            + "as reported: " + reported + "<br>" + since_text + "<br>"
            + _esc(rows["source_file"]).reset_index(drop=True) + ", row "
            + pd.Series(rows["source_row"].astype("str").to_numpy()))
    return text.to_numpy(dtype=object) if n else np.array([], dtype=object)


def trend_figure(labs: pd.DataFrame, doses: pd.DataFrame, phases: pd.DataFrame | None = None,
                 view: ViewSettings | None = None, plan: pd.DataFrame | None = None,
                 symptoms: pd.DataFrame | None = None, sex: str = "any") -> go.Figure:
    """One patient's results and doses on a shared time axis.

    ``labs`` may carry the columns of ``response.annotate_labs`` (days since injection,
    interpretation); ``phases`` is ``detect_phases(doses).phases`` for this patient; ``plan`` adds
    planned blood tests; ``symptoms`` adds a symptom row.
    """
    view = view or ViewSettings()
    if "days_since_injection" not in labs and "patient_id" in labs and len(doses):
        labs = annotate_labs(labs, doses)
    labs = labs[in_view(labs["collected_at"], view)]
    present = [a for a in analyte_keys() if a in set(labs["analyte"].astype("str"))]
    shown = [a for a in present if not view.analytes or a in view.analytes]  # display order, each once
    has_symptoms = symptoms is not None and len(symptoms) > 0
    titles = [f"{analytes()[a].label} ({display_unit(a, view)})" for a in shown] + ["Doses"]
    titles += ["Symptoms (0-10)"] if has_symptoms else []
    rows = len(titles)
    heights = [1.0] * len(shown) + [0.35] + ([0.7] if has_symptoms else [])
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=min(0.04, 0.3 / rows),
                        row_heights=heights)
    shapes: list[dict] = []  # collected and set once: plotly re-validates every shape on each add
    notes: list[dict] = []
    first_dose = doses["administered_at"].min() if len(doses) else None
    first_dose = None if pd.isna(first_dose) else first_dose
    for row, analyte in enumerate(shown, start=1):
        _add_analyte(fig, row, labs[labs["analyte"].astype("str") == analyte].sort_values("collected_at"),
                     analyte, view, first_dose, sex, shapes)
    _add_doses(fig, len(shown) + 1, doses, view, first_dose, plan)
    if has_symptoms:
        _add_symptoms(fig, rows, symptoms, view, first_dose, notes)
    if phases is not None and len(phases):
        _add_phases(phases, view, first_dose, shapes, notes)
    fig.layout.shapes = shapes
    fig.layout.annotations = [*fig.layout.annotations, *notes]
    fig.update_layout(
        height=max(320, 190 * len(shown) + 140 + (140 if has_symptoms else 0)), hovermode="closest",
        showlegend=False, margin={"l": 70, "r": 20, "t": 56, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    for row, title in enumerate(titles, start=1):
        fig.update_yaxes(title_text=title, row=row, col=1, title_font={"size": 12})
    fig.update_yaxes(showticklabels=False, row=len(shown) + 1, col=1, range=[0, 1], fixedrange=True)
    fig.update_xaxes(title_text="days since first dose" if view.time_axis == "days" and first_dose is not None
                     else "", row=rows, col=1)
    return fig


def _axis(prefix: str, row: int) -> str:
    return prefix if row == 1 else f"{prefix}{row}"


def _add_analyte(fig: go.Figure, row: int, rows: pd.DataFrame, analyte: str, view: ViewSettings,
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
    hover = _hover(rows, values, unit)
    fig.add_trace(go.Scatter(x=x, y=values, mode="lines", line={"color": COLORS["line"], "width": 1},
                             hoverinfo="skip", name=f"{analyte} line"), row=row, col=1)
    for kind in ("in_range", "high", "low"):
        for is_censored in (False, True):
            pick = (status == kind) & (censored == is_censored) & ~greyed
            if pick.any():
                symbol = SYMBOLS[kind] + ("-open" if is_censored else "")
                name = f"{analyte} {kind}" + (" censored" if is_censored else "")
                marker = {"color": COLORS[kind], "symbol": symbol, "size": 10,
                          "line": {"width": 2 if is_censored else 0}}
                fig.add_trace(go.Scatter(x=x[pick], y=values[pick], mode="markers", name=name, marker=marker,
                                         hovertext=np.asarray(hover, dtype=object)[pick], hoverinfo="text"),
                              row=row, col=1)
    if greyed.any():
        fig.add_trace(go.Scatter(
            x=x[greyed], y=values[greyed], mode="markers", name=f"{analyte} not interpretable",
            marker={"color": COLORS["not_interpretable"], "symbol": "x", "size": 9},
            hovertext=np.asarray(hover, dtype=object)[greyed], hoverinfo="text"), row=row, col=1)


def _add_doses(fig: go.Figure, row: int, doses: pd.DataFrame, view: ViewSettings,
               first_dose: pd.Timestamp | None, plan: pd.DataFrame | None) -> None:
    groups = (("injections", doses["route"].isin(INJECTED), "injection", "line-ns", 0.65),
              ("oral doses", doses["route"].isin(ORAL_ROUTES), "oral", "diamond", 0.3),
              ("other doses", ~doses["route"].isin([*INJECTED, *ORAL_ROUTES]), "oral", "circle-open", 0.3))
    for name, pick, colour, symbol, height in groups:
        mine = doses[pick]
        if mine.empty:
            continue
        text = (mine["administered_at"].dt.strftime("%d %b %Y %H:%M") + "<br>" + _esc(mine["product"]) + " "
                + mine["dose_ug"].map(lambda ug: dose_text(ug, both=False)) + " " + _esc(mine["route"])).to_numpy()
        injected = name == "injections"
        fig.add_trace(go.Scatter(
            x=_x(mine["administered_at"], first_dose, view), y=np.full(len(mine), height), mode="markers", name=name,
            marker={"color": COLORS[colour], "symbol": symbol, "size": 16 if injected else 8,
                    "line": {"width": 3 if injected else 1, "color": COLORS[colour]}},
            hovertext=text, hoverinfo="text"), row=row, col=1)
    if plan is not None and len(plan):
        checks = plan[plan["kind"] == "recheck"]
        if len(checks):
            fig.add_trace(go.Scatter(
                x=_x(checks["date"], first_dose, view), y=np.full(len(checks), 0.1), mode="markers",
                name="planned blood tests", marker={"color": COLORS["recheck"], "symbol": "square-open", "size": 9},
                hovertext=("Planned: " + _esc(checks["title"]) + "<br>" + checks["date"].dt.strftime("%d %b %Y")
                           ).to_numpy(), hoverinfo="text"), row=row, col=1)


def _add_symptoms(fig: go.Figure, row: int, symptoms: pd.DataFrame, view: ViewSettings,
                  first_dose: pd.Timestamp | None, notes: list[dict]) -> None:
    for i, (symptom, rows) in enumerate(symptoms.sort_values("recorded_at").groupby("symptom", sort=True)):
        label = html.escape(str(symptom).replace("_", " "))
        fig.add_trace(go.Scatter(
            x=_x(rows["recorded_at"], first_dose, view), y=rows["score"], mode="lines+markers", name=label,
            line={"color": SYMPTOM_COLORS[i % len(SYMPTOM_COLORS)]},
            hovertext=(label + ": " + rows["score"].map("{:g}".format) + "<br>"
                       + rows["recorded_at"].dt.strftime("%d %b %Y")).to_numpy(), hoverinfo="text"), row=row, col=1)
        notes.append({"x": _x(rows["recorded_at"], first_dose, view).iloc[-1], "y": rows["score"].iloc[-1],
                      "xref": _axis("x", row), "yref": _axis("y", row), "text": label, "showarrow": False,
                      "xanchor": "left", "font": {"size": 10}})
    fig.update_yaxes(range=[0, 10.5], row=row, col=1)


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
