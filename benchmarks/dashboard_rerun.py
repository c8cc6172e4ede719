"""Time the dashboard for a patient with ten years of monthly labs and injections.

Prints: building the figure alone, the first run after the upload (files read and imported),
and reruns that change only a view control (units, time axis) — the figure every clinician
waits for. Run: .venv/bin/python benchmarks/dashboard_rerun.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from streamlit.testing.v1 import AppTest  # noqa: E402

from b12core.display import ViewSettings  # noqa: E402
from b12core.figures import trend_figure  # noqa: E402
from b12core.workspace import build_workspace, patient_view  # noqa: E402
from benchmarks.patient_generator import long_patient  # noqa: E402
from tests.conftest import keep_navigation_mode  # noqa: E402

REPEATS = 7


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    labs, doses = long_patient()
    files = [("labs.csv", labs), ("injections.csv", doses)]
    ws = build_workspace(files)
    view = patient_view(ws, "MRN000001")
    print(f"patient: {len(view.labs)} lab results, {len(view.doses)} injections, "
          f"{len(view.phases.phases)} phases")
    build = [timed(lambda: trend_figure(view.labs, view.doses, view.phases.phases, ViewSettings()))
             for _ in range(REPEATS)]
    print(f"figure build: median {statistics.median(build) * 1000:.0f} ms")

    keep_navigation_mode()  # reruns run the entry point (its sidebar) as on a server
    at = AppTest.from_file(str(REPO / "navigation.py"), default_timeout=120)
    at.run()
    upload = at.sidebar.file_uploader[0]
    first = timed(lambda: upload.set_value([(n, d, "text/csv") for n, d in files]).run())
    assert not at.exception, at.exception
    print(f"first run after upload (read + import + figure): {first * 1000:.0f} ms")
    units, axis = [], []
    at.session_state["view_open"] = True  # the sidebar's box of view controls, opened as a click does
    at.run()
    for i in range(REPEATS):
        units.append(timed(lambda i=i: at.sidebar.button_group(key="units").set_value(("US", "SI")[i % 2]).run()))
        axis.append(timed(lambda i=i: at.sidebar.button_group(key="axis").set_value(("days", "date")[i % 2]).run()))
    plain = [timed(at.run) for _ in range(REPEATS)]
    assert not at.exception, at.exception
    print(f"rerun, units switched: median {statistics.median(units) * 1000:.0f} ms, max {max(units) * 1000:.0f} ms")
    print(f"rerun, time axis switched: median {statistics.median(axis) * 1000:.0f} ms, max {max(axis) * 1000:.0f} ms")
    print(f"rerun, nothing changed: median {statistics.median(plain) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
