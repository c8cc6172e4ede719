"""A page's last line of defence: a bug shows a plain message, never a traceback, and the log
records only the kind of error (no values, no identifiers)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import streamlit as st

log = logging.getLogger("b12")


def guarded(page: Callable[[], None]) -> None:
    """Run a page body; ``st.stop`` and reruns pass through (they are not ``Exception``s)."""
    try:
        page()
    except Exception as err:
        log.error("page %s failed: %s", getattr(page, "__module__", "?"), type(err).__name__)
        st.error("Something went wrong while showing this page. Your files are unchanged; try another page or "
                 "reload. If it happens again, please report which page and what you clicked.")
