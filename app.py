"""B12 therapy follow-up dashboard: ``streamlit run app.py`` (or ``uvicorn app:app``) serves it.

``app`` is the server: it runs ``navigation.py`` for every browser session and, alongside it,
closes the sessions whose browser tab has gone away, freeing their uploads and download files
(``ui/session_end.py``).
"""

from pathlib import Path

import streamlit as st

from ui.session_end import lifespan

app = st.App(Path(__file__).with_name("navigation.py"), lifespan=lifespan)
