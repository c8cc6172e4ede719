"""The address's fragment (``#…``), read in the browser and handed to this session.

A browser never sends the fragment to a server: a share link keeps its key there so that no
server or proxy log ever holds it. A small component reads ``location.hash`` on the page as it
was opened and passes it to the session once; Streamlit keeps the fragment in the address.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function ({ setStateValue }) {
  setStateValue("fragment", window.location.hash.replace(/^#/, ""));
}
"""
_COMPONENT = st.components.v2.component("b12_address_fragment", js=_JS)


def address_fragment(key: str) -> str | None:
    """The fragment of the page's address without its ``#`` ("" when there is none); None on the
    first run, before the browser has reported it (the page reruns when it does)."""
    result = _COMPONENT(key=key, on_fragment_change=lambda: None)
    value = getattr(result, "fragment", None) if result is not None else None
    return value if isinstance(value, str) else None
