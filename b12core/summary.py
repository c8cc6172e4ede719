"""The follow-up summary beside the figure: where treatment stands, and how each marker moved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from b12core.course import Adherence
from b12core.display import ViewSettings, display_round, display_unit, in_view, to_display, value_text
from b12core.doses import injections
from b12core.html_templates import render
from b12core.phases import LOADING, MAINTENANCE
from b12core.reference import analytes, threshold
from b12core.response import ABOVE, BELOW, NOT_INTERPRETABLE, REVIEW, STRICT, URGENT, range_words
from b12core.words import counted, every
from b12core.workspace import PatientView, Workspace

DAY = pd.Timedelta(days=1)
MARKER_COLUMNS = ("Marker", "Baseline", "Latest", "Change", "In range", "Trend", "Latest on", "Baseline on",
                  "Short label", "Change note", "Baseline reading", "Reading note", "Choice note")
PROMPT_TABLE_COLUMNS = ("When", "Title", "Review", "Source", "Rule", "Severity")
SHOWN_COLUMNS = ("Marker", "Baseline", "Latest", "Change", "Trend")  # what markers_html shows, in words
OFF_PLAN_SHOWN = 5  # missed and late doses listed beside the figure; the Schedule page lists them all
MARKERS_CLASS = "b12-markers"  # the class that scopes the table's own style


@dataclass(frozen=True)
class FollowUp:
    """Plain-language facts for the summary panel and the printable report."""

    status: str  # e.g. "Maintenance since 13 May 2024", "Stopped: no injection since …"
    last_dose: str
    next_dose: str
    adherence: list[str]
    # One row per analyte, every cell text, in display units (MARKER_COLUMNS): Marker (full label and
    # unit), Baseline and Latest (with the qualifier of a censored value, ">1476"), Change (a bound
    # such as "< -876" when a value is censored, blank when none follows), In range ("yes", "low",
    # "high", "low or in range", "in range or high", "unclear"; for B12 and active B12 "not
    # interpretable" or a NICE NG239 band such as "indeterminate"; "high: response" for reticulocytes
    # on treatment), Trend, Latest on and Baseline on (dates), Short label ("Hb (g/L)"), Change note
    # (why a change is a bound or blank; else ""), Baseline reading (the baseline's band or "not
    # interpretable"; else ""), Reading note (why the readings say so, with their source; else ""),
    # Choice note (which of several different results at one time the baseline or latest is, and why; else "").
    markers: pd.DataFrame
    # PROMPT_TABLE_COLUMNS: When, Title, Review, Source (in words); Rule (the rule's id, not for display);
    # Severity ("urgent" or "review"): urgent prompts come first and are to be shown marked "Urgent".
    prompts: pd.DataFrame
    off_plan: list[str] = field(default_factory=list)  # the latest missed and late doses against the plan
    plan: str = ""  # which regimen the doses are compared with (chosen, or the best fit), a sentence


def _dose_text(row: pd.Series) -> str:
    amount = row["dose_ug"]
    dose = f"{amount / 1000:g} mg" if amount >= 1000 else counted(amount, "microgram")
    return f"{row['administered_at']:%d %b %Y}: {row['product']} {dose} {row['route']}"


def plan_words(adherence: Adherence | None) -> str:
    """Which regimen the doses are compared with, in a sentence ("" when none)."""
    if adherence is None or adherence.regimen is None:
        return ""
    if adherence.fitted:
        return (f"No regimen chosen: the doses are compared with {adherence.regimen.label}, the template that "
                "fits them best. Choose the regimen on the Schedule page if it is another.")
    return f"Plan: {adherence.regimen.label}."


def _phase_words(adherence: Adherence, phase: str, since: str) -> str:
    """``Maintenance every 2 months since 13 May 2024``, ``Loading since 8 Jan 2024: dose 4 of 6``."""
    if phase == MAINTENANCE:
        return f"Maintenance {every(adherence.regimen.maintenance_months, 'month')}{since}"
    if adherence.loading_open:
        return f"Loading until no further improvement{since}"
    events = adherence.events
    loading = events[(events["phase"] == LOADING) & (events["course"] == events["course"].max())]
    given = int(loading["status"].isin(["on time", "late"]).sum())
    return f"Loading{since}: {given} of {counted(len(loading), 'dose')} given"


def _status(view: PatientView) -> tuple[str, str]:
    """(where treatment stands, when the next injection is due) from the doses against the
    regimen (chosen, or the best fit): "Maintenance every 2 months since 13 May 2024 (…)",
    "overdue since 13 Mar 2025 (19 days)"."""
    inj = injections(view.doses)
    if inj.empty:
        oral = view.doses[view.doses["phase"] == "oral"]
        return ("On oral B12" if len(oral) else "No doses in the files for this patient"), "not known"
    last = inj["administered_at"].max()
    oral_after = view.doses[(view.doses["phase"] == "oral") & (view.doses["administered_at"] > last)]
    if len(oral_after):
        return f"On oral B12 since {oral_after['administered_at'].min():%d %b %Y} (after injections)", "not known"
    adh = view.adherence
    if adh is None or adh.regimen is None:
        return f"Last injection {last:%d %b %Y}", "not known"
    label = adh.regimen_words
    if adh.stopped:
        silent = counted(round((view.as_of - last.normalize()) / DAY), "day")
        missed = int((adh.events["status"].iloc[::-1].ne("missed").cumsum() == 0).sum())  # the missed run at the end
        return (f"Stopped: no injection since {last:%d %b %Y} ({silent}); {counted(missed, 'planned dose')} "
                f"missed ({label})"), "not known"
    segment = view.phases.phases.iloc[-1] if len(view.phases.phases) else None
    phase = adh.next_phase or LOADING
    since = f" since {segment['start']:%d %b %Y}" if segment is not None and segment["phase"] == phase else ""
    status = f"{_phase_words(adh, phase, since)} ({label})"
    if adh.overdue_since is not None:
        due = f"overdue since {adh.overdue_since:%d %b %Y} ({counted(round(adh.overdue_days), 'day')})"
    elif adh.next_due is not None:
        due = f"{adh.next_due:%d %b %Y}"
    else:
        due = "not known"
    if adh.loading_open and adh.loading_review is not None:
        due += f"; review the loading phase by {adh.loading_review:%d %b %Y}"
    return status, due


def follow_up(view: PatientView, settings: ViewSettings | None = None) -> FollowUp:
    """Where treatment stands and how each marker moved, in the view's display units."""
    settings = settings or ViewSettings()
    status, next_dose = _status(view)
    last_dose = _dose_text(view.doses.iloc[-1]) if len(view.doses) else "none recorded"
    adherence_lines = []
    if view.adherence is not None:
        for _, row in view.adherence.by_phase.iterrows():
            adherence_lines.append(f"{row['phase'].capitalize()}: {counted(row['given'], 'dose')} given "
                                   f"({row['late']} late), {row['missed']} missed")
        adherence_lines.append(
            f"Longest gap between injections: {counted(round(view.adherence.longest_gap_days), 'day')}")
    prompts = prompt_table(view.prompts)
    return FollowUp(status, last_dose, next_dose, adherence_lines, _markers(view, settings), prompts,
                    off_plan_lines(view.adherence), plan_words(view.adherence))


def prompt_table(prompts: pd.DataFrame) -> pd.DataFrame:
    """Review prompts (``response.PROMPT_COLUMNS``) as the summary shows them (PROMPT_TABLE_COLUMNS):
    urgent ones first, then the others in their order."""
    severity = prompts["severity"] if "severity" in prompts else pd.Series(REVIEW, index=prompts.index)
    table = pd.DataFrame({"When": prompts["date"].dt.strftime("%d %b %Y"), "Title": prompts["rule_label"],
                          "Review": prompts["message"], "Source": prompts["source"], "Rule": prompts["rule"],
                          "Severity": severity.fillna(REVIEW)}, columns=list(PROMPT_TABLE_COLUMNS))
    return table.sort_values("Severity", key=lambda s: s != URGENT, kind="stable", ignore_index=True)


def off_plan_lines(adherence: Adherence | None, latest: int = OFF_PLAN_SHOWN) -> list[str]:
    """The latest missed and late doses against the plan, newest first, one line each
    ("Missed: the dose due 20 Aug 2026", "Late: the dose due 7 Jun 2026, given 19 Jun 2026 (12 days
    late)"), and how many earlier ones are not listed."""
    if adherence is None:
        return []
    events = adherence.events
    off = events[events["status"].isin(["missed", "late"])].sort_values("planned", ascending=False)
    lines = [f"Missed: the dose due {row.planned:%d %b %Y}" if row.status == "missed" else
             f"Late: the dose due {row.planned:%d %b %Y}, given {row.given_at:%d %b %Y} "
             f"({counted(row.days_late, 'day')} late)" for row in off.head(latest).itertuples()]
    if len(off) > latest:
        lines.append(f"and {counted(len(off) - latest, 'earlier missed or late dose')} (Schedule page)")
    return lines


def _markers(view: PatientView, settings: ViewSettings) -> pd.DataFrame:
    """The markers table: one row per analyte of the summary, every cell a text (MARKER_COLUMNS)."""
    summary = view.summary
    in_range = range_words(summary["latest"], summary["latest_qualifier"], summary["range_low"],
                           summary["range_high"])
    no_baseline = _no_baseline_note(view)
    rows = []
    readings = summary["reading"] if "reading" in summary else pd.Series("", index=summary.index)
    in_range = np.where(readings.fillna("").astype(bool), readings, in_range)
    for s, words in zip(summary.itertuples(index=False), in_range, strict=True):
        info = analytes()[s.analyte]
        unit = display_unit(s.analyte, settings)
        base = np.nan if pd.isna(s.baseline) else display_round(float(to_display(s.baseline, s.analyte, unit)),
                                                                 s.analyte, unit)
        latest = display_round(float(to_display(s.latest, s.analyte, unit)), s.analyte, unit)
        base_q, latest_q = (q if isinstance(q, str) else "" for q in (s.baseline_qualifier, s.latest_qualifier))
        change, note = change_text(base, base_q, latest, latest_q, s.analyte, unit)
        if not np.isfinite(base):
            note = no_baseline
        elif s.baseline_at == s.latest_at:  # nothing measured since treatment began
            change, note = "", "No result since the first dose: the latest result is the baseline."
        elif NOT_INTERPRETABLE in (s.reading, s.baseline_reading):
            which = "latest" if s.reading == NOT_INTERPRETABLE else "baseline"
            change, note = "", (f"The {which} result was taken too soon after an injection to be interpreted, so no "
                                "change is worked out from it.")
        rows.append({"Marker": f"{info.label} ({unit})",
                     "Baseline": value_text(base, s.analyte, unit, base_q),
                     "Latest": value_text(latest, s.analyte, unit, latest_q),
                     "Change": change, "In range": words, "Trend": s.trend,
                     "Latest on": f"{s.latest_at:%d %b %Y}" if pd.notna(s.latest_at) else "",
                     "Baseline on": f"{s.baseline_at:%d %b %Y}" if pd.notna(s.baseline_at) else "",
                     "Short label": f"{info.short_label or info.label} ({unit})",
                     "Change note": note, "Baseline reading": _text(getattr(s, "baseline_reading", "")),
                     "Reading note": _reading_note(s), "Choice note": choice_note(s)})
    return pd.DataFrame(rows, columns=list(MARKER_COLUMNS))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def choice_note(s: tuple) -> str:
    """Which result the baseline and latest are, where others were taken at the same time (a row
    of ``response.summarise``); "" when each was the only result at its time."""
    base, latest = _text(getattr(s, "baseline_choice", "")), _text(getattr(s, "latest_choice", ""))
    parts = [f"Baseline: {base}"] if base and s.baseline_at != s.latest_at else []
    return " ".join([*parts, *([f"Latest: {latest}"] if latest else [])])


def _reading_note(s: tuple) -> str:
    """Why a marker's readings say what they say: the latest's interpretation when it is not
    interpretable or a response, and the source of the bands when a band is shown."""
    parts = []
    reading, interpretation = _text(getattr(s, "reading", "")), _text(getattr(s, "interpretation", ""))
    source = _text(getattr(s, "reading_source", ""))
    if reading and not (source and interpretation.startswith(f"{reading}; ")):
        parts.append(f"Latest {interpretation}")
    if source:
        parts.append(f"Bands: {source}")
    return ". ".join(parts) + ("." if parts else "")


def _no_baseline_note(view: PatientView) -> str:
    """Why a marker without a baseline has no change."""
    if view.doses.empty:
        return "No baseline: no dose is recorded, so no result counts as before treatment."
    window = counted(threshold("baseline_window_days"), "day")
    return (f"No baseline: no result in the {window} before the first dose "
            f"({view.doses['administered_at'].min():%d %b %Y}).")


def _direction(qualifier: str) -> int:
    """-1 for a value below what the test measures, +1 above, 0 for an exact value."""
    return -1 if qualifier in BELOW else 1 if qualifier in ABOVE else 0


def _measures(qualifier: str) -> str:
    return "below" if qualifier in BELOW else "above"


def _bound_words(qualifier: str, bound: float, analyte: str, unit: str) -> str:
    """What a bound on a change says, in words: "it rose by more than 250 pmol/L"."""
    amount = value_text(abs(bound), analyte, unit)
    if float(amount) == 0:
        return {">": "it rose", ">=": "it did not fall", "<": "it fell", "<=": "it did not rise"}[qualifier]
    how = {">": "more than", ">=": "at least", "<": "less than", "<=": "at most"}[qualifier]
    if qualifier in ABOVE and bound > 0:
        return f"it rose by {how} {amount} {unit}"
    if qualifier in BELOW and bound < 0:
        return f"it fell by {'more than' if qualifier in STRICT else 'at least'} {amount} {unit}"
    return f"the change is {how} {value_text(bound, analyte, unit, signed=True)} {unit}"


def change_text(baseline: float, baseline_qualifier: str, latest: float, latest_qualifier: str, analyte: str,
                unit: str) -> tuple[str, str]:
    """(change, reason) from a baseline and a latest value in a display unit, each maybe censored.

    Neither censored: latest - baseline, no reason. One censored, or both in directions that still
    bound it: the bound (baseline ``<150``, latest 400 -> ``"> +250"``). Both censored the same way:
    blank, for no bound follows. Every bound and blank comes with its reason in plain words. The
    values are the numbers as shown, so the change is the difference the reader can check.
    """
    if np.isnan(baseline) or np.isnan(latest):
        return "", ""
    difference = latest - baseline
    unit_words = f" {unit}"
    base_text = value_text(baseline, analyte, unit, baseline_qualifier) + unit_words
    latest_text = value_text(latest, analyte, unit, latest_qualifier) + unit_words
    directions = {d for d in (-_direction(baseline_qualifier), _direction(latest_qualifier)) if d}
    if not directions:
        return value_text(difference, analyte, unit, signed=True), ""
    if len(directions) > 1:  # both censored the same way: nothing bounds the change
        return "", (f"The baseline was reported as {base_text} and the latest as {latest_text}, both "
                    f"{_measures(baseline_qualifier)} what the lab's test can measure, so the change cannot be "
                    "worked out.")
    strict = baseline_qualifier in STRICT or latest_qualifier in STRICT
    qualifier = (">" if directions == {1} else "<") + ("" if strict else "=")
    so = _bound_words(qualifier, difference, analyte, unit)
    if baseline_qualifier and latest_qualifier:
        why = (f"The baseline was reported as {base_text} and the latest as {latest_text} "
               f"({_measures(baseline_qualifier)} and {_measures(latest_qualifier)} what the lab's test can "
               "measure)")
    elif baseline_qualifier:
        why = (f"The baseline was reported as {base_text} ({_measures(baseline_qualifier)} what the lab's test "
               "can measure)")
    else:
        why = (f"The latest result was reported as {latest_text} ({_measures(latest_qualifier)} what the lab's "
               "test can measure)")
    return value_text(difference, analyte, unit, qualifier, signed=True), f"{why}, so {so}."


MARK = "*"  # after a change that is a bound or blank for a reason (the reason is on hover and below)
READING_MARK = "\u2020"  # before the note that says why a reading ("not interpretable", a band) reads so
CHOICE_MARK = "\u2021"  # after a value chosen from several different results at one time (which one: below)
NONE = "–"  # a blank change that has a reason
NBSP = "\u00a0"


class _Cell(NamedTuple):
    """A cell of the markers table: its text, and the longer text shown on hover (if any)."""

    text: str
    title: str = ""


def _cell(text: str, title: str = "") -> _Cell:
    return _Cell(text, title if title != text else "")


def markers_html(markers: pd.DataFrame, with_style: bool = True) -> str:
    """The markers table as an HTML fragment that fits a narrow column (a phone, the dashboard's
    summary beside the figure) and prints: a ``<style>`` scoped by ``MARKERS_CLASS``, the table
    (Marker, Baseline and Latest with their reading, "(low)", "(high)", "(not interpretable)",
    "(indeterminate)", Change, Trend), and a note below it for each change that is a bound or blank,
    for each reading with its reason or source, and for a baseline or latest chosen from several
    different results at one time (marked with ``CHOICE_MARK``). The full marker name, the dates and the reasons
    are also on hover. Rendered from ``templates/markers.html``, which escapes every text; columns
    missing from ``markers`` show as blank. Without ``with_style`` the page gives the style once
    (``markers_style``)."""
    col = {c: markers[c].fillna("").astype(str).tolist() if c in markers else [""] * len(markers)
           for c in MARKER_COLUMNS}
    rows, notes = [], []
    for i in range(0 if markers.empty else len(markers)):
        short = col["Short label"][i] or col["Marker"][i]
        latest, words = col["Latest"][i], col["In range"][i]
        if latest and words not in ("", "yes"):
            latest += f" ({'range unclear' if words == 'unclear' else words})"
        change, note = col["Change"][i], col["Change note"][i]
        if note:
            change = f"{change or NONE}{NBSP}{MARK}"  # the mark stays with its number
            notes.append(f"{MARK} {short}: {note}")
        baseline, reading_note = col["Baseline"][i], col["Reading note"][i]
        if baseline and col["Baseline reading"][i]:
            baseline += f" ({col['Baseline reading'][i]})"
        if reading_note:
            notes.append(f"{READING_MARK} {short}: {reading_note}")
        choice = col["Choice note"][i]
        if choice:
            notes.append(f"{CHOICE_MARK} {short}: {choice}")
            latest += f"{NBSP}{CHOICE_MARK}" if "Latest: " in choice else ""
            baseline += f"{NBSP}{CHOICE_MARK}" if choice.startswith("Baseline: ") else ""
        base_on, latest_on = col["Baseline on"][i], col["Latest on"][i]
        rows.append([_cell(short, col["Marker"][i]),
                     _cell(baseline, f"Baseline: the last result before the first dose, {base_on}" if base_on else ""),
                     _cell(latest, f"Latest result: {latest_on}" if latest_on else ""),
                     _cell(change, note), _cell(col["Trend"][i])])
    return render("markers.html", css_class=MARKERS_CLASS, columns=SHOWN_COLUMNS, rows=rows, notes=notes,
                  with_style=with_style)


def markers_style() -> str:
    """The ``<style>`` of ``markers_html``, for a page that gives it once for every table it shows."""
    return render("markers_style.html", css_class=MARKERS_CLASS)


def left_off(ws: Workspace, view: PatientView, settings: ViewSettings) -> list[str]:
    """Why results of the files are not on the figure, as short counted reasons."""
    notes = []
    if ws.labs is not None:
        rejected = int(ws.labs.counts["rejected"].sum())
        if rejected:
            notes.append(f"{counted(rejected, 'rejected row')} in the files (a reason each)")
        unknown = int(ws.labs.unknown_names["rows"].sum()) if len(ws.labs.unknown_names) else 0
        if unknown:
            notes.append(f"{counted(unknown, 'result')} of tests not recognised in the files")
    if ws.doses is not None:
        rejected_doses = int(ws.doses.counts["rejected"].sum())
        if rejected_doses:
            notes.append(f"{counted(rejected_doses, 'rejected dose')} in the injection records (a reason each)")
    labs = view.labs
    undated = int(labs["collected_at"].isna().sum())
    if undated:
        notes.append(f"{counted(undated, 'result')} without a date")
    dated = labs[labs["collected_at"].notna()]
    outside = ~in_view(dated["collected_at"], settings)
    if outside.any():
        notes.append(f"{counted(int(outside.sum()), 'result')} outside the dates shown")
    if settings.analytes:
        hidden = int((~dated["analyte"].astype("str").isin(settings.analytes)).sum())
        if hidden:
            notes.append(f"{counted(hidden, 'result')} of markers not chosen")
    return notes
