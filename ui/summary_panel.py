"""The dashboard's follow-up summary and its urgent banner (the Dashboard and a shared dashboard)."""

from __future__ import annotations

import streamlit as st

from b12core.summary import URGENT, FollowUp, markers_html, markers_style
from b12core.text import markdown_literal


def summary_panel(follow: FollowUp, read_only: bool = False) -> None:
    """Where treatment stands, doses against the plan, each marker, and what to review (``read_only``:
    a shared dashboard, without the link to this session's Schedule page)."""
    st.subheader("Follow-up summary")
    st.markdown(f"**Treatment:** {markdown_literal(follow.status)}  \n"
                f"**Last dose:** {markdown_literal(follow.last_dose)}  \n"
                f"**Next dose:** {markdown_literal(follow.next_dose)}")
    if follow.plan:
        st.caption(markdown_literal(follow.plan))
    for line in follow.adherence:
        st.caption(markdown_literal(line))
    for line in follow.off_plan:
        st.markdown(f":material/event_busy: {markdown_literal(line)}")
    if not read_only:
        st.page_link("pages/schedule.py", label="Regimen and written schedule", icon=":material/event:")
    st.html(markers_html(follow.markers, with_style=False))  # the style: summary_style()
    st.subheader("To review")
    for _, prompt in follow.prompts.iterrows():
        with st.container(border=True):
            urgent = ":red-badge[Urgent] " if prompt["Severity"] == URGENT else ""
            st.markdown(f"{urgent}**{markdown_literal(prompt['When'])} · {markdown_literal(prompt['Title'])}**  \n"
                        f"{markdown_literal(prompt['Review'])}")
            st.caption(markdown_literal(f"Source: {prompt['Source']}"))
    if follow.prompts.empty:
        st.caption("Nothing flagged.")


def summary_style() -> None:
    """The markers table's style, given once at the top of a page that shows ``summary_panel``: inside
    the panel it came and went with each patient's table, and each time the browser restyled the
    whole page (a third of the renderer's time for an upload, five sessions at once)."""
    st.html(markers_style())


def urgent_banner(follow: FollowUp) -> None:
    """Urgent prompts (a new or worsening neurological symptom) at the top, before the figure."""
    for _, prompt in follow.prompts[follow.prompts["Severity"] == URGENT].iterrows():
        st.error(f"**Urgent · {markdown_literal(prompt['When'])} · {markdown_literal(prompt['Title'])}**  \n"
                 f"{markdown_literal(prompt['Review'])}", icon=":material/emergency:")
