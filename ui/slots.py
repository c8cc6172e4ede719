"""The server's compute slots: how many sessions import files or work out a patient at once.

Streamlit runs every session's script on a thread of one Python process, and only one thread runs
Python at a time. When twenty clinicians upload at once, all twenty imports, courses, summaries and
figures took turns on that lock, so every figure was done only when nearly all the work was, and
went out to its page behind it (ten sessions: the figure's message reached the page 5.4-6.6 s
after the upload, the peer's whole page by 1.8 s). So the heavy steps (reading and importing the
files, a patient's course, summary and figure) take one of ``SLOTS`` slots, and the rest wait
their turn, mostly in the order they asked: a session's figure goes out while later sessions
wait, and the summaries, asked for after the figures, come after them.

Two slots, not one: a clinic's large export (seconds to import) holds one, and the other keeps
serving everyone else. ``benchmarks/load_test.py`` measures what the slots change (the README).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

SLOTS = 2
_slots = threading.BoundedSemaphore(SLOTS)
_held = threading.local()  # how deep this thread is inside compute_slot()


@contextlib.contextmanager
def compute_slot() -> Iterator[None]:
    """Hold one of the server's compute slots for the work inside, waiting for one if all are taken.
    Nested use on one thread (a figure that needs the course) holds the one slot already held."""
    depth = getattr(_held, "depth", 0)
    with _slots if depth == 0 else contextlib.nullcontext():
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth = depth
