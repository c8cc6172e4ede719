"""A page's last line of defence: a bug shows a plain message, never a traceback, and the log
records only the kind of error (no values, no identifiers)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

log = logging.getLogger("b12")


def guarded(page: Callable[[], None], viewing: bool = False) -> None:
    """Run a page body, once the user is signed in where sign-in is configured (checked here too,
    so that no page runs without it even if the navigation script failed before its own check;
    ``viewing``: the shared-link viewer); ``st.stop`` and reruns pass through (they are not
    ``Exception``s)."""
    from ui.auth import require_sign_in

    require_sign_in(viewing)
    try:
        page()
    except Exception as err:
        log.error("page %s failed: %s", getattr(page, "__module__", "?"), type(err).__name__)
        st.error("Something went wrong while showing this page. Your files are unchanged; try another page or "
                 "reload. If it happens again, please report which page and what you clicked.")
