"""The one-page follow-up report: the figure (interactive, works offline) and the summary, ready
to print or to attach to the record. Urgent prompts come first, at the top of the page, marked
"Urgent". Every text from the files is HTML-escaped."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from b12core.response import URGENT
from b12core.summary import FollowUp, markers_html

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 1.5rem; color: #111; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem 0; } h2 { font-size: 1.05rem; margin: 1rem 0 .3rem 0; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; }
th, td { border: 1px solid #bbb; padding: .2rem .4rem; text-align: left; vertical-align: top; }
.meta { color: #444; font-size: .85rem; } .note { font-size: .8rem; color: #444; }
.urgent { border: 2px solid #b00020; padding: .3rem .6rem; margin: .8rem 0; }
.urgent h2 { color: #b00020; margin-top: 0; }
@media print { body { margin: 0; } .figure { page-break-inside: avoid; } }
"""


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _split_urgent(prompts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(urgent prompts, the others), each in its order; without a ``Severity`` column none is urgent."""
    urgent = prompts["Severity"].eq(URGENT) if "Severity" in prompts else pd.Series(False, index=prompts.index)
    return prompts[urgent], prompts[~urgent]


def _prompts_table(prompts: pd.DataFrame) -> str:
    return _table(prompts[["When", "Title", "Review", "Source"]].rename(columns={"Title": "What", "Review": "Details"}))


def report_html(figure: go.Figure, follow: FollowUp, patient_label: str, issued: date | None = None,
                sample: bool = False) -> str:
    """A self-contained printable page: who, status, urgent prompts (marked "Urgent", before
    everything else), doses against the regimen (the one chosen for the patient, or the best fit,
    as ``follow.plan`` says), figure, markers and the other review prompts."""
    issued = issued or date.today()
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>B12 follow-up – {esc(patient_label)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>B12 treatment follow-up: {esc(patient_label)}</h1>",
             f'<p class="meta">Report of {issued:%d %b %Y}. {esc(follow.status)}. Last dose: {esc(follow.last_dose)}. '
             f"Next dose: {esc(follow.next_dose)}.</p>"]
    if sample:
        parts.append('<p class="meta"><strong>Sample data: a synthetic patient, not a real person.</strong></p>')
    urgent, others = _split_urgent(follow.prompts)
    if len(urgent):
        parts += ['<div class="urgent">', "<h2>Urgent</h2>", _prompts_table(urgent), "</div>"]
    if follow.plan:
        parts += ["<h2>Doses against the plan</h2>", f'<p class="meta">{esc(follow.plan)}</p>', "<ul>",
                  *(f"<li>{esc(a)}</li>" for a in [*follow.adherence, *follow.off_plan]), "</ul>"]
    parts += ['<div class="figure">', figure.to_html(full_html=False, include_plotlyjs=True), "</div>",
              "<h2>Markers</h2>", markers_html(follow.markers), "<h2>For review</h2>"]
    if len(others):
        parts.append(_prompts_table(others))
    else:
        parts.append(f"<p>Nothing {'else ' if len(urgent) else ''}flagged for review.</p>")
    parts += ['<p class="note">This report shows results and flags things to review; it does not prescribe. '
              "Serum B12 measured during injection therapy is not diagnostic.</p>", "</body>", "</html>", ""]
    return "\n".join(parts)
