"""The script every browser session runs (``app.py`` serves it): navigation and the shared sidebar.

The sidebar (uploader, patient picker) is drawn here, not by a page: widgets of the entry point
keep their state on every page, so the uploaded files stay with the browser session.
"""

from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from b12core.share_links import SHARE_PAGE, VIEW_PAGE
from ui.auth import login_configured, require_sign_in, signed_in, signed_in_badge
from ui.guard import guarded
from ui.session_end import remember_this_session
from ui.sidebar import shared_sidebar

PAGES = Path(__file__).parent / "pages"
# The tab icon ships with the app: a ":material/…:" page icon makes the browser fetch it from
# fonts.gstatic.com (assets/README.md). Streamlit sends this SVG inline, as a data: URL.
FAVICON = Path(__file__).parent / "assets" / "favicon.svg"

remember_this_session()  # freed soon after its tab goes away (ui/session_end.py)
st.set_page_config(page_title="B12 follow-up", page_icon=FAVICON, layout="wide")
# A colleague opening a shared link sees the shared dashboard alone: no menu, no uploader.
VIEWING = urlsplit(st.context.url or "").path.rstrip("/").endswith("/" + VIEW_PAGE)
SIGNED_OUT = login_configured() and not signed_in()
page = st.navigation([
    st.Page(PAGES / "dashboard.py", title="Dashboard", icon=":material/monitoring:", default=True),
    st.Page(PAGES / "import_review.py", title="Import review", icon=":material/fact_check:"),
    st.Page(PAGES / "schedule.py", title="Schedule", icon=":material/event:"),
    st.Page(PAGES / "share.py", title="Share", icon=":material/share:", url_path=SHARE_PAGE),
    st.Page(PAGES / "view.py", title="Shared dashboard", icon=":material/visibility:", url_path=VIEW_PAGE,
            visibility="hidden"),
], position="hidden" if VIEWING or SIGNED_OUT else "sidebar")
require_sign_in(viewing=page.url_path == VIEW_PAGE)  # stops here until signed in, when sign-in is configured
if page.url_path != VIEW_PAGE:
    guarded(shared_sidebar)
    signed_in_badge()
page.run()
