"""The server's start: what every session's run uses is imported once and kept out of the
full garbage collection Streamlit runs after every script run."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

from tests.conftest import REPO
from ui.startup import freeze_startup


def test_the_modules_of_a_run_are_imported_and_left_out_of_the_collection_after_every_run():
    gc.unfreeze()
    try:
        frozen = freeze_startup()
        assert {"b12core.workspace", "b12core.figures", "b12core.report", "ui.data", "plotly.graph_objects"} \
            <= set(sys.modules)
        assert frozen > 10_000
        # A full collection now walks only what was made since the start, not the modules' objects.
        assert len(gc.get_objects()) < gc.get_freeze_count() / 10
    finally:
        gc.unfreeze()


def test_the_server_freezes_what_it_imported_when_it_starts(tmp_path):
    """The app's own start (``st.App``'s lifespan, run by ``streamlit run`` and by uvicorn), in a fresh
    interpreter: before it nothing is frozen, after it the modules of a run are."""
    probe = ("import asyncio, gc, sys, app\n"
             "async def main():\n"
             "    print(gc.get_freeze_count(), 'ui.data' in sys.modules)\n"
             "    async with app.lifespan(app.app):\n"
             "        print(gc.get_freeze_count(), 'ui.data' in sys.modules)\n"
             "asyncio.run(main())\n")
    env = {**os.environ, "HOME": str(tmp_path)}  # the share store's default SQLite file goes there
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    before, imported_before, after, imported_after = out
    assert (int(before), imported_before) == (0, "False")
    assert int(after) > 10_000 and imported_after == "True"
