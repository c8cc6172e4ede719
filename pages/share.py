"""Share: a read-only link to the dashboard on screen (a SMART Health Link), its QR code, the links
this session made with their use, revocation, and the log of every time a link was asked for."""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import segno
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from b12core.errors import InputError
from b12core.html_templates import plain_table_html
from b12core.share import dashboard_snapshot
from b12core.share_links import DAYS_DEFAULT, DAYS_MAX, REVOKE_PREFIX, CreatedLink, create_link, propose_label
from b12core.shl import LABEL_MAX
from b12core.snapshot import random_shift_days
from b12core.text import markdown_literal
from ui import data
from ui.auth import link_owner, login_configured, signed_in_user
from ui.diary import typed_symptoms
from ui.fragment import address_fragment
from ui.guard import guarded
from ui.share import config, store
from ui.sidebar import page_start
from ui.state import Keys
from ui.state import plan_choice as plan_choice_for
from ui.view import current_view

HELP = """
**What a link shares.** A copy of the dashboard as it is on screen now — the patient's results,
injections and symptom scores, the regimen chosen and the view (units, markers, dates) — for a
colleague to open read-only in their browser. Later uploads or changes here do not change it.

**How it is kept.** The copy is encrypted in this browser session's server with a key that exists
only in the link: the server keeps the encrypted copy and cannot read it. The link is a SMART
Health Link (the HL7 standard), so a SMART Health Links viewer can open it too.

**Who can open it.** Anyone who has the link — and its passcode, if you set one — until it expires
or you revoke it. Send the passcode another way than the link (say it, or a text message). After
5 wrong passcodes the link stops working. A de-identified link leaves out the patient id, the file
names and notes, and moves every date by one random number of days (intervals stay true), as
research data does.
"""
CREATED = "share_created"  # session-state key: the links this session made, newest first
BEARER = ("Sign-in is not set up on this server, so a link works for anyone who holds it (and its passcode, "
          "if set) until it expires or is revoked.")
SIGNED_IN = ("Links you make are listed under your name, in every session. {who} A link's label, expiry and "
             "passcode are as you set them below.")
UNREACHABLE = ("Links cannot be made or listed now: the database that keeps them cannot be reached. Ask your IT "
               "team; your files here are unchanged.")


def _local(when: dt.datetime) -> str:
    return f"{when.astimezone(ZoneInfo(config().timezone)):%d %b %Y %H:%M}"


def qr_png(text: str) -> bytes:
    """The link as a QR code (PNG) for a colleague's phone camera."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=4, border=4)
    return out.getvalue()


def new_link_form(patient: str) -> None:
    """The form that makes a link of the dashboard on screen."""
    with st.form("new_link"):
        label = st.text_input("Label", value=propose_label(), max_chars=LABEL_MAX)
        st.caption("The label travels inside the link: anyone who has the link can read it, even without the "
                   "passcode. Leave the patient's name and ids out of it.")
        days = st.number_input("Link expires after (days)", min_value=1, max_value=DAYS_MAX, value=DAYS_DEFAULT)
        passcode = st.text_input("Passcode (optional)", type="password",
                                 help="Your colleague types it to open the link. Tell it to them another way.")
        anonymous = st.checkbox("De-identified: no patient id, file names or notes; every date moved by one "
                                "random number of days")
        if st.form_submit_button("Create link", type="primary", icon=":material/add_link:"):
            _create(patient, label, int(days), passcode, anonymous)


def _create(patient: str, label: str, days: int, passcode: str, anonymous: bool) -> None:
    plan, sex = plan_choice_for(patient), st.session_state.get(Keys.SEX) or "any"
    view = data.patient(patient, plan, sex, typed_symptoms())
    try:
        with st.spinner("Making the encrypted copy…"):
            bundle = dashboard_snapshot(view, plan, sex, current_view(), tz=config().timezone,
                                        shift_days=random_shift_days() if anonymous else None)
            made = create_link(store(), bundle, base_url=config().public_base_url, label=label, days=days,
                               owner=link_owner(), passcode=passcode, user=signed_in_user())
    except InputError as err:
        st.error(markdown_literal(str(err)))
        return
    st.session_state[CREATED] = [made, *st.session_state.get(CREATED, [])]


def show_link(made: CreatedLink) -> None:
    """The newest link: to copy, as a QR code, and its private revoke link."""
    st.success(markdown_literal(f"Link created: “{made.label}”, expires {_local(made.expires_at)}."),
               icon=":material/link:")
    text, code = st.columns([3, 1])
    with text:
        st.markdown("**Send this link** (copy it with the button at its right):")
        st.code(made.viewer_url, language=None, wrap_lines=True)
        st.markdown("**Your private revoke link.** Keep it to yourself: it revokes the link from any browser, "
                    "even after this tab is closed.")
        st.code(made.revoke_url, language=None, wrap_lines=True)
    with code:
        st.image(qr_png(made.viewer_url), caption="Scan to open the link", width=220)


def plain_table(columns: dict[str, list]) -> None:
    """A small table whose text is shown as written: ``st.table`` renders Markdown (and bare
    addresses as links) in its cells, and a label or a recipient's name is anyone's text."""
    st.html(plain_table_html(columns))  # every cell escaped by the template: no HTML of anyone's


def _labels() -> dict[str, str]:
    return {m.ref: m.label for m in st.session_state.get(CREATED, [])}


def links_table() -> None:
    """This session's links with their use and state, and revoking one."""
    rows = store().links_of(link_owner())
    if not rows:
        return
    labels = _labels()
    heading, refresh = st.columns([4, 1], vertical_alignment="bottom")
    heading.subheader("Your links" if login_configured() else "Links made in this session")
    refresh.button("Refresh", icon=":material/refresh:", help="Show the latest uses and log")
    plain_table({
        "Label": [labels.get(r.ref, "(made in another session)") for r in rows],
        "Created": [_local(r.created_at) for r in rows], "Expires": [_local(r.expires_at) for r in rows],
        "Opened": [r.uses for r in rows], "Passcode": ["yes" if "P" in r.flags else "no" for r in rows],
        "State": [r.status for r in rows]})
    active = [r.ref for r in rows if r.status == "active"]
    if active:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox("Link to revoke", active, format_func=lambda ref: labels.get(ref, "a link"))
        if right.button("Revoke", icon=":material/link_off:"):
            store().revoke(chosen, link_owner())
            st.rerun()
    log = store().access_log(link_owner())
    st.subheader("Who asked for these links")
    if not log:
        st.caption("No one has opened them yet.")
        return
    columns = {"When": [_local(a.at) for a in log], "Link": [labels.get(a.ref, "") for a in log],
               "What happened": [a.outcome for a in log], "Recipient (as they gave it)": [a.recipient for a in log]}
    if login_configured():
        columns["Signed-in user"] = [a.user for a in log]
    plain_table(columns)


def revoke_view(token: str) -> None:
    """A private revoke link: the link's state, its log, and a button that revokes it."""
    st.title("Revoke a shared link")
    link = store().link_for_revoke_token(token)
    if link is None:
        st.error("This revoke link is not valid, or its link has been deleted after it expired.")
        return
    st.markdown(markdown_literal(f"Created {_local(link.created_at)} · expires {_local(link.expires_at)} · "
                                 f"opened {link.uses} time{'s' if link.uses != 1 else ''} · {link.status}"))
    log = store().access_log_for_revoke_token(token)
    if log:
        plain_table({"When": [_local(a.at) for a in log], "What happened": [a.outcome for a in log],
                     "Recipient (as they gave it)": [a.recipient for a in log]})
    if link.status == "active" and st.button("Revoke this link", type="primary", icon=":material/link_off:"):
        store().revoke_with_token(token)
        st.rerun()
    if link.status == "revoked":
        st.success("This link is revoked: it no longer opens, for anyone.")


def page() -> None:
    """The Share page, or the revoke view of a private revoke link."""
    fragment = address_fragment("share_fragment") or ""
    try:
        if fragment.startswith(REVOKE_PREFIX):
            revoke_view(fragment[len(REVOKE_PREFIX):])
            return
        _, patient = page_start("Share a read-only link", "How sharing works", HELP,
                                "a synthetic patient: a link made now shares the sample.", about_patient=True)
        if patient is None:
            st.warning("There is no patient on screen to share: upload files in the sidebar first.")
            return
        if login_configured():
            who = ("Colleagues must sign in to open them." if config().viewers_sign_in else
                   "Anyone who holds a link (and its passcode, if set) can open it until it expires or is revoked.")
            st.caption(SIGNED_IN.format(who=who))
        else:
            st.caption(BEARER)
        new_link_form(patient)
        if st.session_state.get(CREATED):
            show_link(st.session_state[CREATED][0])
        links_table()
    except SQLAlchemyError:
        st.error(UNREACHABLE)


guarded(page)
