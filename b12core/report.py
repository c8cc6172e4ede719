"""The one-page follow-up report: the figure (interactive, works offline) and the summary, ready
to print or to attach to the record. Urgent prompts come first, at the top of the page, marked
"Urgent". The page is ``templates/report.html``, which escapes every text from the files."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from b12core.figures import for_file
from b12core.html_templates import render
from b12core.response import URGENT
from b12core.summary import FollowUp, markers_html


class _Table(NamedTuple):
    """A table of the page as text: its column names and its rows."""

    head: list[str]
    rows: list[list[str]]


def _table(frame: pd.DataFrame) -> _Table:
    return _Table([str(c) for c in frame.columns], [[str(v) for v in row] for row in frame.itertuples(index=False)])


def _split_urgent(prompts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(urgent prompts, the others), each in its order; without a ``Severity`` column none is urgent."""
    urgent = prompts["Severity"].eq(URGENT) if "Severity" in prompts else pd.Series(False, index=prompts.index)
    return prompts[urgent], prompts[~urgent]


def _prompts_table(prompts: pd.DataFrame) -> _Table:
    return _table(prompts[["When", "Title", "Review", "Source"]].rename(columns={"Title": "What", "Review": "Details"}))


def report_html(figure: go.Figure, follow: FollowUp, patient_label: str, issued: date | None = None,
                sample: bool = False) -> str:
    """A self-contained printable page: who, status, urgent prompts (marked "Urgent", before
    everything else), doses against the regimen (the one chosen for the patient, or the best fit,
    as ``follow.plan`` says), figure, markers and the other review prompts."""
    issued = issued or date.today()
    urgent, others = _split_urgent(follow.prompts)
    # Our own HTML, not text to escape: plotly's figure (with its library inline, so that the page
    # works offline) and the markers table, which its own template rendered and escaped.
    figure_div = Markup(for_file(figure).to_html(full_html=False, include_plotlyjs=True))
    markers = Markup(markers_html(follow.markers))
    return render("report.html", patient_label=patient_label, issued=f"{issued:%d %b %Y}", follow=follow,
                  sample=sample, urgent=_prompts_table(urgent) if len(urgent) else None,
                  others=_prompts_table(others) if len(others) else None,
                  plan_lines=[*follow.adherence, *follow.off_plan], figure=figure_div, markers=markers)
