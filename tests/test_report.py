"""The printable follow-up report: one self-contained HTML page (works offline), every text escaped."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest
from markupsafe import escape

from b12core.figures import trend_figure
from b12core.report import report_html
from b12core.sample import sample_files
from b12core.summary import FollowUp, follow_up, markers_html
from b12core.workspace import PlanChoice, build_workspace, latest_record, patient_view

US = "MRN004417"  # MISSED-LOADING: has review prompts
UK = "943 476 5919"  # PA-NEURO: nothing to review
SCRIPT = "<script>alert(1)</script>"
LABEL = f"{SCRIPT} & Co"  # a patient label with markup and an ampersand


def report_of(patient: str, names: tuple[str, ...] = (), plan: PlanChoice | None = None, label: str | None = None,
              **kwargs) -> tuple[str, FollowUp]:
    ws = build_workspace(sample_files(names) if names else sample_files())
    view = patient_view(ws, patient, plan, as_of=latest_record(ws))
    follow = follow_up(view)
    figure = trend_figure(view.labs, view.doses, view.phases.phases, plan=view.plan)
    return report_html(figure, follow, label or patient, issued=date(2025, 5, 15), **kwargs), follow


@pytest.fixture(scope="module")
def us_report() -> tuple[str, FollowUp]:
    return report_of(US, ("us_long_labs.csv", "us_injections.csv"), label=LABEL)


@pytest.fixture(scope="module")
def uk_report() -> tuple[str, FollowUp]:
    return report_of(UK, plan=PlanChoice("UK-BNF-neuro"), sample=True)


def test_report_is_self_contained(us_report):
    page, _ = us_report
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"plotly\.js v\d", page)  # the library itself is inline
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.IGNORECASE)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.DOTALL | re.IGNORECASE)
    assert len(markup) < 20_000  # what is left is the page itself, not the library
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", markup, re.IGNORECASE)
    assert not re.search(r"<link\b", markup, re.IGNORECASE)
    assert "cdn.plot.ly" not in markup


def test_report_has_status_doses_and_issue_date(us_report):
    page, follow = us_report
    assert "Report of 15 May 2025." in page
    assert follow.status.startswith("Stopped: no injection since 24 Feb 2025")
    assert f"{follow.status}." in page
    assert f"Last dose: {follow.last_dose}." in page
    assert f"Next dose: {follow.next_dose}." in page


def test_report_has_the_markers_table(us_report):
    page, follow = us_report
    assert "<h2>Markers</h2>" in page
    assert "<th>Marker</th><th>Baseline</th><th>Latest</th><th>Change</th><th>Trend</th>" in page
    for label, short in zip(follow.markers["Marker"], follow.markers["Short label"], strict=True):
        assert (f'<td title="{label}">{short}</td>' if label != short else f"<td>{short}</td>") in page
    assert '<td title="Latest result: 14 Oct 2024">&gt;45.3</td>' in page  # the censored folate, escaped


def test_report_markers_table_is_the_fitting_one(us_report):
    page, follow = us_report
    assert markers_html(follow.markers) in page
    assert page.count("<h2>Markers</h2>") == 1


def test_report_markers_table_explains_a_bounded_change_on_paper(us_report):
    page, follow = us_report
    folate = follow.markers.set_index("Marker").loc["Folate (serum) (nmol/L)"]
    assert folate["Change"] == "> +23.1"  # 45.3 - 22.2: the latest was above what the test measures
    assert "The latest result was reported as &gt;45.3 nmol/L" in page
    assert "* Folate (nmol/L): " in page


def test_report_has_the_review_prompts(us_report):
    page, follow = us_report
    assert "<h2>For review</h2>" in page
    assert "<th>When</th><th>What</th><th>Details</th><th>Source</th>" in page
    for when, title, review in zip(follow.prompts["When"], follow.prompts["Title"], follow.prompts["Review"],
                                   strict=True):
        assert f"<td>{when}</td><td>{title}</td><td>{review}</td>" in page
    assert "Nothing flagged for review." not in page


def test_report_without_prompts_says_so(uk_report):
    page, follow = uk_report
    assert follow.prompts.empty
    assert "Nothing flagged for review." in page


def test_report_lists_adherence_when_there_is_a_plan(uk_report):
    page, follow = uk_report
    assert "<h2>Doses against the plan</h2>" in page
    assert "Plan: UK (BNF) hydroxocobalamin, neurological involvement." in page
    assert "<li>Loading: 30 doses given (0 late), 0 missed</li>" in page
    assert follow.adherence
    for line in follow.off_plan:  # each late or missed dose is named
        assert f"<li>{line}</li>" in page


def test_report_without_a_chosen_plan_compares_with_the_best_fit(us_report):
    page, follow = us_report
    assert "<h2>Doses against the plan</h2>" in page
    assert ("No regimen chosen: the doses are compared with US common practice: cyanocobalamin 1000 mcg, the "
            "template that fits them best.") in page
    assert follow.adherence


def test_report_escapes_the_patient_label(us_report):
    page, _ = us_report
    assert SCRIPT not in page
    assert "alert(1)</script>" not in page
    assert "<h1>B12 treatment follow-up: &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h1>" in page
    assert "<title>B12 follow-up – &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</title>" in page
    assert " & Co" not in page


def test_report_escapes_every_text_of_the_summary():
    follow = FollowUp(
        status="<b>Loading</b>", last_dose="<i>x</i>", next_dose="<u>y</u>", adherence=["<em>z</em>"],
        markers=pd.DataFrame({"Marker": ["<script>m</script>"], "Latest": ["<5"]}),
        prompts=pd.DataFrame({"When": ["01 Jan 2024"], "Title": ["<i>t</i>"], "Review": ["<script>r</script>"],
                              "Rule": ["r"], "Source": ["<a href='x'>s</a>"]}), off_plan=["<s>late</s>"],
        plan="<b>plan</b> & more")
    page = report_html(trend_figure(*_empty_tables()), follow, "P1", issued=date(2024, 1, 2))
    body = page.split('<div class="figure">')[0] + page.split("</div>")[-1]  # the page around the figure
    for raw in ("<b>Loading</b>", "<i>x</i>", "<u>y</u>", "<em>z</em>", "<script>m</script>", "<td><5</td>",
                "<script>r</script>", "<a href='x'>", "<i>t</i>", "<s>late</s>", "<b>plan</b>"):
        assert raw not in body
    for escaped in ("&lt;b&gt;Loading&lt;/b&gt;", "&lt;em&gt;z&lt;/em&gt;", "&lt;script&gt;m&lt;/script&gt;",
                    "<td>&lt;5</td>", "&lt;script&gt;r&lt;/script&gt;", "&lt;a href=&#39;x&#39;&gt;s&lt;/a&gt;",
                    "&lt;b&gt;plan&lt;/b&gt; &amp; more"):
        assert escaped in body


def _empty_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    labs = pd.DataFrame({"patient_id": pd.Series([], dtype="str"),
                         "collected_at": pd.Series([], dtype="datetime64[ns]"), "analyte": pd.Series([], dtype="str")})
    doses = pd.DataFrame({"administered_at": pd.Series([], dtype="datetime64[ns]"),
                          "route": pd.Series([], dtype="str")})
    return labs, doses


@pytest.mark.parametrize(("sample", "shown"), [(True, True), (False, False)])
def test_sample_data_is_labelled(sample, shown):
    follow = FollowUp("No doses recorded", "none recorded", "not known", [],
                      pd.DataFrame({"Marker": []}), pd.DataFrame({"When": [], "Review": [], "Source": []}))
    page = report_html(trend_figure(*_empty_tables()), follow, "P1", issued=date(2024, 1, 2), sample=sample)
    assert ("Sample data" in page) is shown


def test_sample_report_is_labelled(uk_report):
    page, _ = uk_report
    assert "<strong>Sample data: a synthetic patient, not a real person.</strong>" in page


# --- issue 12: urgent prompts first, readings of B12 --------------------------------------------------

def _urgent_report() -> tuple[str, FollowUp]:
    from b12core.symptoms import symptoms_from_entries

    doses = ("doses.csv", b"Patient ID,Date,Drug,Dose,Route\nP1,2024-01-08,Hydroxocobalamin 1mg/1ml,1 mg,IM\n")
    labs = ("labs.csv", b"Patient ID,Collection Date,Test Name,Result,Units\nP1,2024-01-05,Hemoglobin,84,g/L\n"
                        b"P1,2024-01-25,Hemoglobin,85,g/L\nP1,2024-01-05,Vitamin B12,98,pmol/L\n"
                        b"P1,2024-01-15,Vitamin B12,1500,pmol/L\n")
    diary = symptoms_from_entries([{"date": "2024-03-10", "symptom": "Pins and needles", "score": 4},
                                   {"date": "2024-03-20", "symptom": "Pins and needles", "score": 9}])
    view = patient_view(build_workspace([doses, labs]), "P1", as_of="2024-04-01", extra_symptoms=diary)
    follow = follow_up(view)
    figure = trend_figure(view.labs, view.doses, view.phases.phases)
    return report_html(figure, follow, "P1", issued=date(2024, 4, 1)), follow


def test_urgent_prompts_are_first_at_the_top_and_marked_urgent():
    page, follow = _urgent_report()
    urgent = follow.prompts[follow.prompts["Severity"] == "urgent"]
    assert len(urgent) == 1 and len(follow.prompts) > 1  # one prompt for the symptom, telling both changes
    top = page.split('<div class="figure">')[0]
    assert '<div class="urgent">' in top and "<h2>Urgent</h2>" in top  # above the figure, before everything else
    for when, title, review in zip(urgent["When"], urgent["Title"], urgent["Review"], strict=True):
        assert f"<td>{when}</td><td>{title}</td><td>{escape(review)}</td>" in top  # "4 -&gt; 9"
        assert review.startswith("Urgent review: ")
    review_part = page.split("<h2>For review</h2>")[1]
    assert "Urgent review:" not in review_part and "Hb has not risen" in review_part


def test_report_without_urgent_prompts_has_no_urgent_section(us_report):
    page, _ = us_report
    assert '<div class="urgent">' not in page and "<h2>Urgent</h2>" not in page


def test_report_says_a_b12_within_14_days_of_an_injection_is_not_interpretable():
    page, _ = _urgent_report()
    assert "1500 (not interpretable)" in page
    assert "Latest not interpretable: 7 days after an injection (wait at least 14 days)" in page
    assert "98 (deficiency confirmed)" in page and "NICE NG239 (2024)" in page


# --- issue 14: pages from templates with autoescaping ---------------------------------------------------

def test_pages_come_from_templates_that_escape_and_refuse_a_missing_value():
    from jinja2 import UndefinedError

    from b12core.html_templates import render
    from tests.conftest import REPO

    page = render("figure.html", patient=LABEL, made_on="2 Jan 2026", figure="<div>not marked as HTML</div>")
    assert "&lt;div&gt;not marked as HTML&lt;/div&gt;" in page  # only Markup passes unescaped
    assert "<title>B12 follow-up: &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co (2 Jan 2026)</title>" in page
    with pytest.raises(UndefinedError):
        render("figure.html", patient="P1", made_on="2 Jan 2026")  # a value the caller forgot is an error
    for path in (REPO / "b12core").glob("*.py"):  # no page built by hand (figures.py escapes plotly's label markup)
        assert path.name == "figures.py" or "html.escape" not in path.read_text(encoding="utf-8"), path.name
