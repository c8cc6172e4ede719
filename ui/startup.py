"""What the server does once when it starts, before any browser session: import what every
session's run uses, and keep those objects out of the garbage collection after every run.

Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``), which
walks every object the collector tracks: the modules of pandas, plotly, Streamlit and this app,
about 140,000 objects, 71-84 ms a run on this machine; with a clinic's team on one server these
runs queue behind one another. The objects alive at the start live as long as the server, so
``gc.freeze`` moves them where no collection looks, and a run's collection walks what was made
since. A session's own tables and figures are collected as before.

What it pays: with the modules alone alive, a full collection took 71-84 ms before the freeze and
under 0.1 ms after it. With twenty sessions at once (``benchmarks/load_test.py``, 27 Nov 2026) the
server's CPU per session fell from 0.72 s to 0.63 s, with the source watcher turned off at the
same time (README, "Many clinicians at once").
"""

from __future__ import annotations

import gc
import importlib
import pkgutil

import b12core
import ui

NOT_IMPORTED = {"b12core.__main__"}  # running it is the command line, not a module to import


def freeze_startup() -> int:
    """Import every module of ``b12core`` and ``ui`` (and with them pandas, plotly, pyarrow), collect
    what the imports left, and freeze every object alive now. Returns how many were frozen."""
    for package in (b12core, ui):
        for module in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if module.name not in NOT_IMPORTED:
                importlib.import_module(module.name)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
