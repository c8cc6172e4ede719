"""Each workbook is read in a short-lived process of its own, so a reader that crashes takes only
that file with it.

calamine is native code: a file it cannot handle can make it abort or exhaust memory, and inside
the app's server that would end every clinician's session. ``read_workbook`` therefore starts one
worker process per workbook (``python -m b12core.workbook_worker``), with an address-space and CPU
limit, no core dumps and no file writes, and waits for it at most ``WorkerLimits.seconds``. The
worker measures the file first (``b12core.workbook_check``), then reads it (``b12core.
workbook_cells``) and sends the cells back as JSON. A worker that dies or overruns
ends that one file's import with a message; the caller and other sessions go on. At most
``WorkerLimits.at_once`` workers run at a time per process; further workbooks wait their turn.

A fresh process per file rather than a pool: a pool whose worker dies is broken for everyone.
The bytes and the file name go through the worker's stdin (never its command line, which other
users of the machine can see); nothing is written to disk.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from pathlib import Path

from b12core.errors import InputError
from b12core.limits import WORKBOOK, WORKER, WorkbookLimits, WorkerLimits

_ROOT = Path(__file__).resolve().parent.parent  # the folder that holds b12core
_REFUSED, _OUT_OF_MEMORY = 3, 4  # worker exit codes besides 0
_TURNS: dict[int, threading.BoundedSemaphore] = {}
_TURNS_LOCK = threading.Lock()

Sheet = tuple[str, list[list[str]]]


def _turn(at_once: int) -> threading.BoundedSemaphore:
    with _TURNS_LOCK:
        return _TURNS.setdefault(at_once, threading.BoundedSemaphore(at_once))


def read_workbook(data: bytes, filename: str, limits: WorkbookLimits = WORKBOOK,
                  worker: WorkerLimits = WORKER) -> list[Sheet]:
    """(sheet name, rows of text cells) per filled sheet of the workbook in ``data``, read in a
    worker process. Raises ``InputError`` with one sentence when the file is refused, the worker
    dies, or it takes longer than ``worker.seconds``."""
    request = json.dumps({"name": filename, "limits": dataclasses.asdict(limits),
                          "memory": worker.memory, "seconds": worker.seconds}).encode() + b"\n"
    with _turn(worker.at_once):
        try:
            done = subprocess.run([sys.executable, "-m", "b12core.workbook_worker"], input=request + data,
                                  capture_output=True, timeout=worker.seconds, cwd=_ROOT, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"{filename} could not be read within {worker.seconds:g} seconds, the most the "
                             "app gives one spreadsheet; save it as CSV or export a shorter period") from None
    if done.returncode == 0:
        return _unpack(done.stdout)
    if done.returncode == _REFUSED:
        raise InputError(done.stdout.decode("utf-8", errors="replace"))
    # A panic, an abort or the memory limit: the reader's own message may quote cells, so it is
    # neither shown nor logged.
    raise InputError(f"{filename} could not be read: the spreadsheet reader stopped before it finished "
                     f"(a damaged file, or one that needs more than the {worker.memory / 2**30:g} GB of memory "
                     "the app gives one spreadsheet); save it as CSV and try again")


def _pack(sheets: list[Sheet]) -> bytes:
    # JSON, not Arrow: building Arrow arrays from Python lists makes pyarrow import pandas (+0.25 s
    # per worker), and the caller needs the rows as lists; json's C encoder and decoder are fast.
    return json.dumps(sheets, ensure_ascii=False, separators=(",", ":")).encode()


def _unpack(reply: bytes) -> list[Sheet]:
    return [(name, rows) for name, rows in json.loads(reply)]


def _limit_this_process(memory: int, seconds: float) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (int(seconds) + 1, int(seconds) + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not leave the cells in a core file
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the worker writes no file


def main() -> int:
    """The worker: a JSON request line and the file's bytes on stdin; the sheets on stdout."""
    request = json.loads(sys.stdin.buffer.readline())
    _limit_this_process(request["memory"], request["seconds"])
    data = sys.stdin.buffer.read()
    from b12core.workbook_cells import sheet_cells
    from b12core.workbook_check import check_workbook

    try:
        limits = WorkbookLimits(**request["limits"])
        check_workbook(data, request["name"], limits)
        reply = _pack(sheet_cells(data, request["name"], limits.max_text))
    except InputError as err:
        sys.stdout.buffer.write(str(err).encode())
        return _REFUSED
    except MemoryError:
        return _OUT_OF_MEMORY
    sys.stdout.buffer.write(reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
