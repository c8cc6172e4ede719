"""The share settings, the share store and who is sharing, for the Share and viewer pages.

The store (a database connection pool) is one per server process; it holds no readable patient
data (only ciphertext), so sharing it between sessions shares nothing of a patient.
"""

from __future__ import annotations

import secrets
from functools import cache

import streamlit as st

from b12core.share_settings import ShareConfig, share_config
from b12core.share_store import ShareStore

OWNER = "share_owner"  # session-state key: this browser session's random owner token
OPENED = "shared_link"  # session-state key: the link opened in the viewer (its key stays in memory)


def _secrets() -> dict:
    try:
        return dict(st.secrets.get("share", {}))
    except Exception:  # no secrets file: every setting has a default
        return {}


@cache
def config() -> ShareConfig:
    """The deployment's share settings (environment, ``[share]`` secrets, defaults)."""
    return share_config(_secrets(), port=int(st.get_option("server.port")))


@cache
def store() -> ShareStore:
    """The deployment's share store (created on first use)."""
    return ShareStore(config().database_url)


def owner() -> str:
    """Who made a link: this browser session (a random token kept in its memory only)."""
    return st.session_state.setdefault(OWNER, secrets.token_urlsafe(32))
