"""The follow-up summary's markers table fits a phone and the dashboard's summary column, measured
in Chromium with the worst case: every analyte, US units, censored values, long trend words."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from b12core.summary import markers_html
from tests.test_summary import worst_case_markers

pytestmark = pytest.mark.e2e

FIT_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<style>{font_face} body {{ margin: 0; font-family: {family}; font-size: 16px; }}</style></head>
<body><div id="box" style="width: {width}px">{table}</div></body></html>"""
REPORT_FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'  # report.py's body font
# The dashboard column at a 1440 px window; a 390 px phone; that phone inside Streamlit's 1rem padding.
FIT_WIDTHS = (430, 390, 358)


def streamlit_font_face() -> str | None:
    """@font-face of the font Streamlit's pages use (Source Sans, shipped inside the streamlit
    package), embedded so the browser measures the table in the dashboard's own letters."""
    import streamlit

    found = sorted((Path(streamlit.__file__).parent / "static").rglob("SourceSansVF-Upright*.woff2"))
    if not found:
        return None
    data = base64.b64encode(found[0].read_bytes()).decode()
    return (f'@font-face {{ font-family: "Source Sans"; font-weight: 200 900; '
            f'src: url(data:font/woff2;base64,{data}) format("woff2"); }}')


def table_widths(page, table: str, width: int, family: str, font_face: str = "") -> dict[str, int]:
    """Widths in CSS px of a box ``width`` wide holding ``table``, and of the table at its narrowest."""
    page.set_viewport_size({"width": width, "height": 900})
    page.set_content(FIT_PAGE.format(font_face=font_face, family=family, width=width, table=table))
    page.evaluate("document.fonts.ready")
    return page.evaluate("""() => {
        const box = document.getElementById('box'), table = box.querySelector('table');
        const out = {box: box.clientWidth, boxScroll: box.scrollWidth, table: table.scrollWidth,
                     page: document.documentElement.scrollWidth};
        box.style.width = '1px';
        out.narrowest = table.scrollWidth;
        return out; }""")


def test_worst_case_markers_table_fits_a_phone_and_the_summary_column(browser):
    table = markers_html(worst_case_markers())
    fonts = [("report", REPORT_FONTS, "")]
    face = streamlit_font_face()
    if face:
        fonts.append(("dashboard", '"Source Sans", sans-serif', face))
    page = browser.new_page()
    try:
        for name, family, font_face in fonts:
            for width in FIT_WIDTHS:
                w = table_widths(page, table, width, family, font_face)
                assert w["box"] == width, (name, width, w)
                assert w["table"] <= w["box"] and w["boxScroll"] <= w["box"], (name, width, w)
                assert w["page"] <= width, (name, width, w)
                print(f"{name} font, {width} px: table {w['table']} px, narrowest {w['narrowest']} px")
    finally:
        page.close()
