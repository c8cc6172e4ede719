"""The server's compute slots: at most ``SLOTS`` sessions import files or build a patient's course,
summary or figure at once; the rest wait their turn (``ui/slots.py``)."""

import threading
import time

import pytest

from ui.slots import SLOTS, compute_slot


def _run(threads: list[threading.Thread], timeout: float = 20) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a session never got a slot"


def test_no_more_sessions_compute_at_once_than_there_are_slots():
    active, most, lock = 0, 0, threading.Lock()

    def session() -> None:
        nonlocal active, most
        with compute_slot():
            with lock:
                active += 1
                most = max(most, active)
            time.sleep(0.02)  # lets every other thread in, were there no slots
            with lock:
                active -= 1

    _run([threading.Thread(target=session) for _ in range(SLOTS + 4)])
    assert most == SLOTS


def test_a_session_that_holds_a_slot_can_nest_without_waiting_for_itself():
    done = []

    def session() -> None:
        with compute_slot(), compute_slot(), compute_slot():
            done.append(True)

    _run([threading.Thread(target=session) for _ in range(SLOTS)])  # every slot held by one nesting thread
    assert done == [True] * SLOTS


def test_a_failed_computation_gives_its_slot_back():
    def fail() -> None:
        with compute_slot():
            raise ValueError("bad file")

    for _ in range(SLOTS + 1):
        with pytest.raises(ValueError):
            fail()
    together = threading.Barrier(SLOTS, timeout=5)  # broken if a slot was kept by a failed computation
    held = []

    def session() -> None:
        with compute_slot():
            together.wait()
            held.append(True)

    _run([threading.Thread(target=session) for _ in range(SLOTS)])
    assert held == [True] * SLOTS
