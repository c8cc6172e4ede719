"""The dashboard's downloads of one patient: results tables and the interactive figure; and the
app's CSV of any table (``table_csv``, which the import review offers too).

Every download says whose it is and when it was made (``About``): in the file where the format
has room for it (a sheet of the workbook, the Parquet metadata, the page title and heading of the
figure) and in the file name (the day only: file names never carry a patient id). A download of
the bundled sample says so; a download of uploaded files never does.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.parquet as pq
from markupsafe import Markup

from b12core.export import csv_bytes, safe_filename, safe_frame
from b12core.figures import titled
from b12core.html_templates import render

SAMPLE_NOTE = "Sample data: a synthetic patient, not a real person."


@dataclass(frozen=True)
class About:
    """Whose a download is and when it was made."""

    patient: str  # the patient id as written in the files (or a phrase when the files name nobody)
    made_on: dt.date
    sample: bool = False  # the bundled sample patient, not uploaded files

    def filename(self, what: str, extension: str) -> str:
        """``b12-results-2026-11-26.csv``; ``b12-sample-results-…`` for the sample."""
        stem = f"b12-{'sample-' if self.sample else ''}{what}-{self.made_on.isoformat()}"
        return safe_filename(stem, extension)

    def lines(self) -> list[tuple[str, str]]:
        """(label, text) pairs a person reads at the top of a download."""
        rows = [("Patient", self.patient), ("Made on", f"{self.made_on:%d %b %Y}"),
                ("Made by", "B12 follow-up dashboard (reports and reminds; does not prescribe)")]
        return rows + ([("Data", SAMPLE_NOTE)] if self.sample else [])


def table_csv(table: pd.DataFrame) -> bytes:
    """A table as the app's CSV download: ``csv_bytes`` with a byte order mark, for the spreadsheet
    it is opened in (cells made inert for spreadsheets, numbers without float noise)."""
    return csv_bytes(table, bom=True)


def results_csv(labs: pd.DataFrame, about: About) -> bytes:
    """The patient's results as CSV (``table_csv``); each row names the patient in ``patient_id``,
    the file name gives the day it was made."""
    del about  # the rows carry the patient; the name carries the day
    return table_csv(labs)


def results_xlsx(labs: pd.DataFrame, about: About) -> bytes:
    """The patient's results as a workbook: a sheet ``About`` (patient, day made, sample label) and a
    sheet ``Results``; text cells are made inert for spreadsheets."""
    buffer = io.BytesIO()
    table = safe_frame(labs)
    for column in table.select_dtypes(include=["datetimetz"]).columns:
        table[column] = table[column].dt.tz_localize(None)
    info = safe_frame(pd.DataFrame(about.lines(), columns=["", "B12 follow-up: results"]))
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        info.to_excel(writer, sheet_name="About", index=False)
        table.to_excel(writer, sheet_name="Results", index=False)
    return buffer.getvalue()


def results_parquet(labs: pd.DataFrame, about: About) -> bytes:
    """The patient's results as Parquet, with the patient and the day made in the file's metadata
    (keys ``b12.patient``, ``b12.made_on``, and ``b12.data`` for the sample)."""
    table = pa.Table.from_pandas(labs.reset_index(drop=True), preserve_index=False)
    meta = {**(table.schema.metadata or {}), b"b12.patient": about.patient.encode("utf-8"),
            b"b12.made_on": about.made_on.isoformat().encode("ascii")}
    if about.sample:
        meta[b"b12.data"] = SAMPLE_NOTE.encode("utf-8")
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer)
    return buffer.getvalue()


def figure_html(figure: go.Figure, about: About) -> str:
    """The interactive figure as a page that works offline, titled with the patient, the dates it
    shows and the day it was made (and the sample label for the sample): ``templates/figure.html``,
    which escapes the patient's label in the page's title."""
    shown = titled(figure, about.patient + (" (sample data)" if about.sample else ""), about.made_on)
    # Plotly's own HTML, not text to escape: the figure, with the library inline. (titled() escaped the
    # label for plotly's title; plotly writes its data as JSON with "<" escaped.)
    figure_div = Markup(shown.to_html(include_plotlyjs=True, full_html=False))
    return render("figure.html", patient=about.patient, made_on=f"{about.made_on:%d %b %Y}", figure=figure_div)
