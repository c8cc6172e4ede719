"""The dashboard's follow-up summary and its urgent banner (the Dashboard and a shared dashboard)."""

from __future__ import annotations

import contextlib

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from b12core.summary import URGENT, FollowUp, markers_html, markers_style
from b12core.text import markdown_literal

PROMPT_RULE = "\n\n---\n\n"  # between two prompts in the To review block


def summary_panel(follow: FollowUp, read_only: bool = False) -> None:
    """Where treatment stands, doses against the plan, each marker, and what to review (``read_only``:
    a shared dashboard, without the link to this session's Schedule page). Five elements: each one
    costs the browser a redraw of the page whenever a run sends one, and under load a run's
    elements arrive apart."""
    st.subheader("Follow-up summary")
    st.markdown(status_markdown(follow))
    if not read_only:
        st.page_link("pages/schedule.py", label="Regimen and written schedule", icon=":material/event:")
    st.html(markers_html(follow.markers, with_style=False))  # the style: summary_style()
    st.markdown("### To review\n\n" + (":gray[Nothing flagged.]" if follow.prompts.empty
                                       else prompts_markdown(follow.prompts)))


def status_markdown(follow: FollowUp) -> str:
    """Treatment, last and next dose; under them the plan and adherence in small grey letters, then
    each dose off the plan."""
    lines = [f"**Treatment:** {markdown_literal(follow.status)}  \n"
             f"**Last dose:** {markdown_literal(follow.last_dose)}  \n"
             f"**Next dose:** {markdown_literal(follow.next_dose)}"]
    notes = ([follow.plan] if follow.plan else []) + follow.adherence
    if notes:
        lines.append("  \n".join(f":gray[:small[{markdown_literal(line)}]]" for line in notes))
    if follow.off_plan:
        lines.append("  \n".join(f":material/event_busy: {markdown_literal(line)}" for line in follow.off_plan))
    return "\n\n".join(lines)


def prompts_markdown(prompts: pd.DataFrame) -> str:
    """Every prompt to review as one block of Markdown, a rule between two: the date and title, the
    review, and its source in small grey letters. One element instead of three a prompt: each
    element costs the browser a redraw of the page whenever a run sends one."""
    return PROMPT_RULE.join(
        (":red-badge[Urgent] " if severity == URGENT else "")
        + f"**{markdown_literal(when)} · {markdown_literal(title)}**  \n{markdown_literal(review)}  \n"
        + f":gray[:small[{markdown_literal(f'Source: {source}')}]]"
        for when, title, review, source, severity in zip(
            prompts["When"], prompts["Title"], prompts["Review"], prompts["Source"], prompts["Severity"], strict=True))


def summary_style() -> None:
    """The markers table's style, given once at the top of a page that shows ``summary_panel``: inside
    the panel it came and went with each patient's table, and each time the browser restyled the
    whole page (a third of the renderer's time for an upload, five sessions at once)."""
    st.html(markers_style())


def urgent_banner(follow: FollowUp, place: DeltaGenerator | None = None) -> None:
    """Urgent prompts (a new or worsening neurological symptom) at the top, before the figure; in
    ``place`` (an ``st.empty`` kept for them) when given, which is filled only when a prompt is
    urgent: else it stays empty, and no element is sent for nothing."""
    urgent = follow.prompts[follow.prompts["Severity"] == URGENT]
    if urgent.empty:
        return
    with place.container() if place is not None else contextlib.nullcontext():
        for _, prompt in urgent.iterrows():
            st.error(f"**Urgent · {markdown_literal(prompt['When'])} · {markdown_literal(prompt['Title'])}**  \n"
                     f"{markdown_literal(prompt['Review'])}", icon=":material/emergency:")
