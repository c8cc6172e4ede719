"""Sign-in, when the deployment configures Streamlit's OpenID Connect login (``[auth]`` in secrets).

With ``[auth]`` set, every page asks for a signed-in user, the sidebar says who is signed in and
offers sign-out, and share links and their access log record that user. The shared-link viewer
stays open to whoever holds a link unless the deployment also requires sign-in for viewing
(``B12_VIEWERS_SIGN_IN`` / ``[share] viewers_sign_in``). Without ``[auth]`` the app works as on a
laptop: no sign-in, and share links are bearer links.
"""

from __future__ import annotations

import secrets

import streamlit as st

from ui.share import config

OWNER = "share_owner"  # session-state key: this browser session's random owner token (without sign-in)


def login_configured() -> bool:
    """True when the deployment's secrets hold an ``[auth]`` section."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all (StreamlitSecretNotFoundError)
        return False


def signed_in() -> bool:
    """True when a user is signed in (``st.user`` has no ``is_logged_in`` before a login is set up)."""
    return login_configured() and bool(st.user.get("is_logged_in"))


def signed_in_user() -> str:
    """The signed-in user as their identity provider names them (e-mail, else name, else subject);
    "" without sign-in."""
    if not signed_in():
        return ""
    return str(st.user.get("email") or st.user.get("name") or st.user.get("sub") or "")


def require_sign_in(viewing: bool) -> None:
    """Stop the page with a sign-in button unless the user is signed in (or sign-in is not
    configured, or this is the viewer of a shared link and viewers need not sign in)."""
    if not login_configured() or signed_in():
        return
    if viewing and not config().viewers_sign_in:
        return
    st.title("B12 treatment follow-up")
    if viewing:
        st.info("Sign in to open this shared link. After signing in, open the link again.", icon=":material/lock:")
    else:
        st.info("Sign in with your organisation's account to use the app.", icon=":material/lock:")
    st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
    st.stop()


def signed_in_badge() -> None:
    """Who is signed in, and sign-out, at the foot of the sidebar."""
    user = signed_in_user()
    if not user:
        return
    with st.sidebar:
        st.divider()
        st.caption("Signed in as")
        st.text(user)
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")


def link_owner() -> str:
    """Whose list a new share link goes in: the signed-in user's (every session of theirs), else
    this browser session's (a random token kept in its memory only)."""
    if signed_in():
        return "user:" + str(st.user.get("sub") or signed_in_user())
    return st.session_state.setdefault(OWNER, secrets.token_urlsafe(32))
