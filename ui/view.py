"""The dashboard's view settings as the clinician left them, read from any page."""

from __future__ import annotations

import pandas as pd

from b12core.display import ViewSettings
from ui.state import Keys, kept


def current_view() -> ViewSettings:
    """Units, time axis, markers and dates of the dashboard's controls (kept when its page is left)."""
    dates = kept(Keys.DATES) or ()
    start = pd.Timestamp(dates[0]) if len(dates) > 0 else None
    end = pd.Timestamp(dates[1]) + pd.Timedelta(hours=23, minutes=59) if len(dates) > 1 else None
    return ViewSettings(units=kept(Keys.UNITS) or "SI", time_axis=kept(Keys.AXIS) or "date",
                        analytes=tuple(kept(Keys.ANALYTES) or ()), start=start, end=end)
