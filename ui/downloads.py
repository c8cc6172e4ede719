"""Who a download is about and when it is made, worked out while the page runs.

A download whose content is made only when the clinician clicks (``data=`` a callable) runs
outside the page's session: it must not read the session, so everything it needs is captured here.
"""

from __future__ import annotations

import datetime as dt

from b12core.downloads import About
from ui.data import showing_sample
from ui.sidebar import patient_label


def about_patient(patient: str) -> About:
    """The patient on screen, today, and whether it is the bundled sample."""
    return About(patient=patient_label(patient), made_on=dt.date.today(), sample=showing_sample())


def about_files() -> About:
    """The tables of every file of the session (every patient in them), today."""
    return About(patient="every patient in the files", made_on=dt.date.today(), sample=showing_sample())
