"""A patient's dashboard as a share snapshot, and back: a colleague's viewer shows what its creator saw.

``dashboard_snapshot`` writes the patient's records with the choices that shape the dashboard (the
regimen followed, the sex the reference ranges use, the day the follow-up was read, and the view:
units, time axis, markers, dates shown) into the FHIR snapshot; ``shared_dashboard`` reads them
back and works the dashboard out again with the same code, so the figure and the summary match.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from b12core.display import ViewSettings, view_from_params, view_to_params
from b12core.snapshot import Snapshot, snapshot_bundle
from b12core.workspace import PatientView, PlanChoice, records_view

WHOLE_DAY = pd.Timedelta(hours=23, minutes=59)  # the dashboard's "dates shown" end with their day


@dataclass(frozen=True)
class SharedDashboard:
    """A shared patient, ready to draw: the view worked out from the snapshot, and its settings."""

    patient_id: str  # "" when the link is de-identified
    view: PatientView
    settings: ViewSettings
    sex: str
    plan: PlanChoice


def _settings(plan: PlanChoice, sex: str, as_of: pd.Timestamp, view: ViewSettings) -> dict[str, Any]:
    """The choices behind the dashboard, as JSON; every date an ISO day (a de-identified link moves them)."""
    return {"plan": dataclasses.asdict(plan), "sex": sex, "as_of": f"{as_of:%Y-%m-%d}",
            "view": view_to_params(view)}


def dashboard_snapshot(view: PatientView, plan: PlanChoice, sex: str, settings: ViewSettings,
                       tz: str = "UTC", shift_days: int | None = None) -> dict[str, Any]:
    """The FHIR snapshot of the dashboard on screen: the patient's records and the choices behind
    it. With ``shift_days`` it is de-identified (``snapshot.snapshot_bundle``)."""
    symptoms = view.symptoms if len(view.symptoms) else None
    return snapshot_bundle(view.labs, view.doses, symptoms, _settings(plan, sex, view.as_of, settings),
                           view.patient_id, tz=tz, shift_days=shift_days)


def shared_dashboard(snapshot: Snapshot) -> SharedDashboard:
    """The dashboard of a snapshot: the patient view and the view settings its creator had."""
    chosen = snapshot.settings
    fields = {f.name for f in dataclasses.fields(PlanChoice)}
    plan = PlanChoice(**{k: v for k, v in chosen.get("plan", {}).items() if k in fields})
    settings = view_from_params(chosen.get("view", {}))
    if settings.end is not None:
        settings = dataclasses.replace(settings, end=settings.end + WHOLE_DAY)
    sex = chosen.get("sex", "any")
    symptoms = snapshot.symptoms if len(snapshot.symptoms) else None
    view = records_view(snapshot.patient_id, snapshot.labs, snapshot.doses, symptoms, plan,
                        chosen.get("as_of"), sex)
    return SharedDashboard(snapshot.patient_id, view, settings, sex, plan)
