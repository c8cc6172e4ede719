"""The viewer of a shared link: the dashboard its creator shared, read-only.

The link is in the address's fragment (``/view#shlink:/…``), which the browser never sends to a
server; the page reads it in the browser (``ui.fragment``), opens it with this deployment's share
store and keeps the opened dashboard — and so the key — in this session's memory only.
"""

from zoneinfo import ZoneInfo

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from b12core.figures import THEMED_BY_HOST, patient_figure
from b12core.share_links import NOT_A_LINK, LinkRefused, OpenedLink, needs_passcode, open_link
from b12core.summary import follow_up
from b12core.text import markdown_literal
from ui.auth import signed_in_user
from ui.fragment import address_fragment
from ui.guard import guarded
from ui.share import OPENED, config, store
from ui.slots import compute_slot
from ui.summary_panel import summary_panel, summary_style, urgent_banner

RECIPIENT = "Colleague using the B12 follow-up viewer"  # the access log's recipient when none is typed
UNREACHABLE = "The link cannot be opened now: the server's link store cannot be reached. Try again later."


def _open(fragment: str, passcode: str = "", recipient: str = "") -> None:
    try:
        with st.spinner("Opening the shared copy…"):
            st.session_state[OPENED] = open_link(store(), fragment, base_url=config().public_base_url,
                                                 tz=config().timezone, recipient=recipient.strip() or RECIPIENT,
                                                 passcode=passcode, user=signed_in_user())
    except LinkRefused as refused:
        st.error(markdown_literal(str(refused)), icon=":material/link_off:")
        st.stop()
    st.rerun()  # drawn afresh: the passcode form goes away


def passcode_form(fragment: str) -> None:
    """A link with a passcode: ask for it (and, for the sender's log, who is opening it)."""
    st.info("This link needs the passcode the sender gave you.", icon=":material/lock:")
    with st.form("passcode"):
        passcode = st.text_input("Passcode", type="password")
        recipient = st.text_input("Your name or service (optional; the sender sees it in the link's log)")
        opened = st.form_submit_button("Open", type="primary")
    if not opened:
        st.stop()
    _open(fragment, passcode, recipient)


def shared_dashboard(opened: OpenedLink) -> None:
    """The shared dashboard: banner, figure and summary, nothing to upload or change."""
    shared = opened.dashboard
    until = ""
    if opened.expires_at is not None:
        until = f" · the link expires {opened.expires_at.astimezone(ZoneInfo(config().timezone)):%d %b %Y %H:%M}"
    st.info(f"**{markdown_literal(opened.label or 'Shared dashboard')}** · a read-only copy shared with you{until}",
            icon=":material/visibility:")
    if opened.de_identified:
        st.markdown("**Patient:** de-identified")
        st.caption("The patient id, file names, notes and batch numbers are left out, and every date is moved by "
                   "the same number of days: values and the days between them are as recorded. A plan counted in "
                   "calendar months may count a dose as late or missed a day differently than on the real dates.")
    else:
        st.markdown(f"**Patient:** {markdown_literal(shared.patient_id)}")
    st.caption(f"As it stood on {shared.view.as_of:%d %b %Y}, when the link was made.")
    follow = follow_up(shared.view, shared.settings)
    summary_style()
    urgent_banner(follow)
    with compute_slot():
        figure = patient_figure(shared.view, shared.settings, shared.sex, THEMED_BY_HOST)
    chart, side = st.columns([7, 5], gap="medium")
    with chart:
        st.plotly_chart(figure, config={"displaylogo": False}, key="shared_trend")
    with side:
        summary_panel(follow, read_only=True)


def page() -> None:
    """Open the link in the address once, then show what it shares."""
    st.title("B12 treatment follow-up")
    fragment = address_fragment("view_fragment")
    if st.session_state.get(OPENED) is None:
        if fragment is None:  # the browser has not reported the address yet: the page reruns when it does
            st.caption("Opening the shared link…")
            st.stop()
        if not fragment:
            st.error(NOT_A_LINK)
            st.stop()
        try:
            if needs_passcode(fragment):
                passcode_form(fragment)
            else:
                _open(fragment)
        except LinkRefused as refused:
            st.error(markdown_literal(str(refused)))
            st.stop()
        except SQLAlchemyError:
            st.error(UNREACHABLE)
            st.stop()
    shared_dashboard(st.session_state[OPENED])


guarded(page, viewing=True)
