"""The peer of ``benchmarks/load_test.py``: the least a Streamlit + plotly app does for the same upload.

Run by the load test as ``streamlit run benchmarks/minimal_peer_app.py``. The uploader takes the
lab export and the injection record; pandas reads them (dates in the export's own format, results
as numbers); the page names the patient and draws one plotly figure on a shared time axis: a row
per test with its values over time (lines and markers), and the injections in a row below, as
the dashboard does. No validation, no units, no reference ranges, no summary, no caching (each
session uploads once).

Before an upload it draws an empty figure, as the dashboard draws the sample patient's: the
browser then has plotly's script loaded when a session uploads, as it has for the dashboard, and
the load test times the upload rather than the browser's first load of plotly.js (2 s under load).
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

st.set_page_config(page_title="Minimal peer", layout="wide")
uploads = st.sidebar.file_uploader("Lab export and injection record", type=["csv"], accept_multiple_files=True)
labs = doses = None
for upload in uploads or []:
    table = pd.read_csv(upload)
    if "Test Name" in table:
        labs = table
    elif "Administration Date" in table:
        doses = table
if labs is None:
    st.info("Upload a lab export (CSV) in the sidebar.")
    st.plotly_chart(go.Figure())
    st.stop()

labs["Collection Date"] = pd.to_datetime(labs["Collection Date"], format="%m/%d/%Y %I:%M %p")
labs["Result"] = pd.to_numeric(labs["Result"], errors="coerce")
st.title("B12 follow-up")
st.markdown(f"**Patient:** {labs['Patient ID'].iloc[0]}")

tests = list(labs["Test Name"].unique())
fig = make_subplots(rows=len(tests) + 1, cols=1, shared_xaxes=True, vertical_spacing=0.02,
                    row_heights=[1.0] * len(tests) + [0.35])
for row, test in enumerate(tests, start=1):
    rows = labs[labs["Test Name"] == test].sort_values("Collection Date")
    fig.add_trace(go.Scatter(x=rows["Collection Date"], y=rows["Result"], mode="lines+markers", name=test),
                  row=row, col=1)
    fig.update_yaxes(title_text=f"{test} ({rows['Units'].iloc[0]})", row=row, col=1)
if doses is not None:
    given = pd.to_datetime(doses["Administration Date"], format="%Y-%m-%d")
    fig.add_trace(go.Scatter(x=given, y=[0.5] * len(given), mode="markers", name="injections",
                             marker={"symbol": "line-ns", "size": 16, "line": {"width": 3}}),
                  row=len(tests) + 1, col=1)
fig.update_layout(height=190 * len(tests) + 140, showlegend=False)
st.plotly_chart(fig)
