"""What the pages do with a session's kept results leaves them as they were.

The app keeps each patient's figure for the session as it is (``ui/data.py``, ``st.cache_resource``)
and hands the same object to every rerun and page; the tables are kept pickled and handed out as
copies, but are checked here too, should they ever be kept as they are. Nothing a page does with
them (the summary, the downloads, the schedule, a share link's snapshot, the import review) may
change them, or the next page would show something else than the files say.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from b12core.display import ViewSettings
from b12core.downloads import About, figure_html, results_csv, results_parquet, results_xlsx, table_csv
from b12core.export import plan_to_csv, plan_to_html, plan_to_ics
from b12core.figures import THEMED_BY_HOST, patient_figure
from b12core.file_review import file_reviews
from b12core.report import report_html
from b12core.schedule_view import adherence_tables, no_regimen_note, oral_note, plan_note, plan_table
from b12core.share import dashboard_snapshot
from b12core.summary import follow_up, left_off
from b12core.workspace import PlanChoice, assess, build_workspace, patient_analytes, patient_course, read_files
from tests.conftest import REPO

FILES = ("us_long_labs.csv", "us_injections.csv")
TODAY = pd.Timestamp("2026-11-28")


def copied(*objects) -> list:
    """Deep copies; a figure as its JSON (a copy of a figure is validated again, which rewrites
    its arrays)."""
    return [o.to_json() if isinstance(o, go.Figure) else copy.deepcopy(o) for o in objects]


def assert_same(now, kept, where: str = "") -> None:
    """``now`` holds what ``kept`` (a deep copy taken before) holds: tables by their contents and
    types, figures by their JSON, everything else field by field."""
    if isinstance(kept, pd.DataFrame):
        pd.testing.assert_frame_equal(now, kept, check_exact=True, obj=where)
    elif isinstance(kept, (pd.Series, pd.Index)):
        assert now.equals(kept) and now.dtype == kept.dtype, where
    elif isinstance(kept, np.ndarray):
        assert now.dtype == kept.dtype and np.array_equal(now, kept, equal_nan=now.dtype.kind == "f"), where
    elif isinstance(now, go.Figure):
        assert now.to_json() == kept, where
    elif dataclasses.is_dataclass(kept):
        for f in dataclasses.fields(kept):
            assert_same(getattr(now, f.name), getattr(kept, f.name), f"{where}.{f.name}")
    elif isinstance(kept, dict):
        assert now.keys() == kept.keys(), where
        for key in kept:
            assert_same(now[key], kept[key], f"{where}[{key!r}]")
    elif isinstance(kept, (list, tuple)):
        assert type(now) is type(kept) and len(now) == len(kept), where
        for i, (a, b) in enumerate(zip(now, kept, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(kept, float) and np.isnan(kept):
        assert np.isnan(now), where
    else:
        assert now == kept, where


@pytest.mark.parametrize("plan", [PlanChoice(), PlanChoice(regimen_id="UK-BNF-neuro")], ids=["fitted", "chosen"])
@pytest.mark.parametrize("settings", [ViewSettings(), ViewSettings(units="US", time_axis="days")],
                         ids=["SI", "US days"])
def test_every_page_leaves_the_kept_workspace_view_and_figure_as_they_were(plan, settings):
    read = read_files([(name, (REPO / "data" / "sample" / name).read_bytes()) for name in FILES])
    ws = build_workspace(read)
    patient = ws.patients[0]
    course = patient_course(ws, patient, plan, TODAY)
    view = assess(course)
    figure = patient_figure(course, settings, "any", THEMED_BY_HOST)
    reviews = file_reviews(ws)
    kept = copied(read, ws, course, view, figure, reviews)

    about = About(patient=patient, made_on=dt.date(2026, 11, 28))
    follow = follow_up(view, settings)
    left_off(ws, view, settings)
    patient_analytes(ws, patient)
    report_html(figure, follow, patient, dt.date(2026, 11, 28))
    figure_html(figure, about)
    results_csv(view.labs, about), results_xlsx(view.labs, about), results_parquet(view.labs, about)
    for review in reviews:
        if review.counts:
            review.counts.table()
    table_csv(ws.labs.labs), table_csv(ws.doses.doses), table_csv(ws.labs.rejections)
    if view.adherence is not None:
        adherence_tables(view.adherence), oral_note(view.adherence), no_regimen_note(view.adherence)
    if view.plan is not None:
        plan_table(view.plan), plan_note(view.plan, TODAY)
        plan_to_csv(view.plan, patient_label=patient), plan_to_html(view.plan, "plan", patient)
        plan_to_ics(view.plan, "plan", patient)
    dashboard_snapshot(view, plan, "any", settings, shift_days=-40)
    dashboard_snapshot(view, plan, "any", settings)

    assert_same([read, ws, course, view, figure, reviews], kept, "kept")
