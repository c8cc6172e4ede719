"""Time reading and normalising large lab exports: pyarrow alone, b12core, and the DuckDB peer.

Each measurement is a whole process, imports included, started with ``subprocess`` and timed with
``time.perf_counter()``; every case runs ``--repeats`` times (tools interleaved) and the median
is reported. The four processes per case:

- pyarrow: ``python -c`` importing pyarrow and calling ``pyarrow.csv.read_csv(path)`` (the floor:
  reading the file with nothing done to it);
- b12core: ``python -m b12core labs FILE -o OUT.parquet`` (read + normalise to ``labs``);
- duckdb: ``python benchmarks/duckdb_peer.py FILE -o OUT.parquet`` (the peer to beat);
- floor: ``python -m benchmarks.design_floor FILE LABS.parquet -o OUT.parquet``: what any import
  that follows design.md must do besides normalising (import pandas, read the file, hold the
  whole ``labs`` table as a DataFrame, write it), with the table taken from b12core's output.

Peak memory is the child's maximum resident set, read from ``/usr/bin/time -f %M`` (a fresh
process between us and the child, so our own memory never leaks into the figure: a child's
``ru_maxrss`` from ``wait4`` starts at its parent's high-water mark, because the exec'ing child
shared the parent's address space). Without ``/usr/bin/time`` it falls back to ``wait4``, which
is only right while this process stays small; it therefore generates files in a subprocess and
compares outputs only after all timing.

Before a case the file is read once, untimed, to warm the OS file cache; before everything each
tool runs once, untimed, on the smallest file so its libraries are cached too.

Run: ``.venv/bin/python benchmarks/bench_normalize.py [--sizes 10000 100000 1000000] [--repeats 3]``
(the long layout at every size, the wide layout at the largest).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GENERATED = HERE / "generated"
OUTPUTS = GENERATED / "out"
PYTHON = sys.executable
TIME = shutil.which("time", path="/usr/bin:/bin")
TOOLS = ("pyarrow", "b12core", "duckdb", "floor")  # floor after b12core: it loads its output
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
READ_CHUNK = 1 << 24


def data_file(layout: str, rows: int) -> Path:
    return GENERATED / f"{layout}_{rows}.csv"


def output_file(layout: str, rows: int, tool: str) -> Path:
    return OUTPUTS / f"{layout}_{rows}.{tool}.parquet"


def command(tool: str, path: Path, out: Path) -> list[str]:
    if tool == "pyarrow":
        return [PYTHON, "-c", "import sys, pyarrow.csv; pyarrow.csv.read_csv(sys.argv[1])", str(path)]
    if tool == "b12core":
        return [PYTHON, "-m", "b12core", "labs", str(path), "-o", str(out)]
    if tool == "floor":
        labs = out.with_name(out.name.replace(".floor.", ".b12core."))
        return [PYTHON, "-m", "benchmarks.design_floor", str(path), str(labs), "-o", str(out)]
    return [PYTHON, str(HERE / "duckdb_peer.py"), str(path), "-o", str(out)]


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int
    message: str  # the process's last line of output (its summary)


@dataclass
class Case:
    layout: str
    rows: int
    file_bytes: int
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def seconds(self, tool: str) -> float:
        return statistics.median(r.seconds for r in self.runs[tool])

    def peak(self, tool: str) -> float:
        return statistics.median(r.peak_bytes for r in self.runs[tool])


def run_once(cmd: list[str]) -> Run:
    """Run one process to the end: wall seconds, peak resident bytes, its last output line."""
    with tempfile.TemporaryDirectory() as tmp:
        out_path, err_path, rss_path = (Path(tmp) / n for n in ("out", "err", "rss"))
        full = [TIME, "-f", "%M", "-o", str(rss_path), *cmd] if TIME else cmd
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(full, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        text = (out_path.read_text(errors="replace") + err_path.read_text(errors="replace")).strip()
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{text[-2000:]}")
        peak_kb = int(rss_path.read_text().split()[-1]) if TIME else usage.ru_maxrss  # both in KiB
    return Run(seconds, peak_kb * 1024, text.splitlines()[-1] if text else "")


def warm_cache(path: Path) -> None:
    """Read the file once so every timed run finds it in the OS page cache."""
    with open(path, "rb") as fh:
        while fh.read(READ_CHUNK):
            pass


def ensure_files(sizes: list[int]) -> None:
    """Generate missing input files in a subprocess (this process stays small; see the docstring)."""
    needed = [("long", n) for n in sizes] + [("wide", max(sizes))]
    missing = sorted({n for layout, n in needed if not data_file(layout, n).exists()})
    if missing:
        print(f"generating {', '.join(f'{n:,}' for n in missing)} rows ...", file=sys.stderr)
        subprocess.run([PYTHON, str(HERE / "generate.py"), "--sizes", *map(str, missing)], cwd=REPO, check=True)


def measure(cases: list[Case], repeats: int) -> None:
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    smallest = min(cases, key=lambda c: c.rows)
    for tool in TOOLS:  # untimed: shared libraries and .pyc files into the cache
        run_once(command(tool, data_file(smallest.layout, smallest.rows),
                         output_file(smallest.layout, smallest.rows, tool)))
    for case in cases:
        path = data_file(case.layout, case.rows)
        warm_cache(path)
        for _ in range(repeats):  # tools interleaved, so drift hits each alike
            for tool in TOOLS:
                run = run_once(command(tool, path, output_file(case.layout, case.rows, tool)))
                case.runs.setdefault(tool, []).append(run)
                print(f"  {case.layout} {case.rows:>9,} {tool:8} {run.seconds:7.2f} s "
                      f"{run.peak_bytes / 2**20:7.0f} MiB", file=sys.stderr, flush=True)


# --- report ----------------------------------------------------------------------------------------

def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def report(cases: list[Case], load_before: float) -> None:
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f} before and {os.getloadavg()[0]:.2f} "
          "after (other processes share the CPUs when it is above 0)")
    print(f"Python {sys.version.split()[0]}; pyarrow {version('pyarrow')}, "
          f"pandas {version('pandas')}, duckdb {version('duckdb')}; peak memory from "
          f"{'/usr/bin/time' if TIME else 'wait4 (no /usr/bin/time)'}")
    print("medians of each case's runs; rows = data rows of the file; MB = 10^6 bytes\n")
    header = (f"{'layout':6} {'rows':>9} {'file MB':>8}  {'tool':8} {'median s':>8}  {'runs s':18} "
              f"{'rows/s':>11} {'peak MB':>8} {'peak/file':>9}")
    print(header)
    print("-" * len(header))
    for case in cases:
        for tool in TOOLS:
            runs = " ".join(f"{r.seconds:.2f}" for r in case.runs[tool])
            seconds, peak = case.seconds(tool), case.peak(tool)
            print(f"{case.layout:6} {case.rows:>9,} {_mb(case.file_bytes):>8}  {tool:8} {seconds:8.2f}  {runs:18} "
                  f"{case.rows / seconds:>11,.0f} {_mb(peak):>8} {peak / case.file_bytes:>8.1f}x")
        pa, b12, dk, floor = (case.seconds(t) for t in TOOLS)
        peaks = {t: case.peak(t) for t in TOOLS}
        print(f"{'':6} {'':>9} {'':>8}  time: b12core/pyarrow {b12 / pa:.2f}x, b12core/duckdb {b12 / dk:.2f}x, "
              f"floor/pyarrow {floor / pa:.2f}x, floor/duckdb {floor / dk:.2f}x; peak memory: b12core/duckdb "
              f"{peaks['b12core'] / peaks['duckdb']:.2f}x, floor/file {peaks['floor'] / case.file_bytes:.1f}x")
    print()
    long_cases = [c for c in cases if c.layout == "long"]
    print("linearity, long layout: seconds per million rows at each size "
          "[marginal: extra seconds per extra million rows between sizes]")
    for tool in TOOLS:
        per = ", ".join(f"{c.rows:,}: {c.seconds(tool) / c.rows * 1e6:.2f}" for c in long_cases)
        marginal = ", ".join(
            f"{a.rows:,}->{b.rows:,}: {(b.seconds(tool) - a.seconds(tool)) / (b.rows - a.rows) * 1e6:.2f}"
            for a, b in pairwise(long_cases))
        print(f"  {tool:8} {per}" + (f"  [{marginal}]" if marginal else ""))
    print()
    print("summary lines (last run):")
    for case in cases:
        for tool in ("b12core", "duckdb", "floor"):
            print(f"  {case.layout} {case.rows:,} {tool}: {case.runs[tool][-1].message}")


def compare_outputs(cases: list[Case]) -> None:
    """b12core vs the peer, result by result (after all timing: this loads pandas)."""
    from benchmarks.compare_outputs import compare

    print("\nb12core vs duckdb outputs:")
    for case in cases:
        lines = compare(output_file(case.layout, case.rows, "b12core"), output_file(case.layout, case.rows, "duckdb"))
        print(f"  {case.layout} {case.rows:,}: " + "\n    ".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="ROWS")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compare", action="store_true", help="skip comparing b12core's output with duckdb's")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes))
    ensure_files(sizes)
    cases = [Case("long", n, data_file("long", n).stat().st_size) for n in sizes]
    cases.append(Case("wide", sizes[-1], data_file("wide", sizes[-1]).stat().st_size))
    load_before = os.getloadavg()[0]
    measure(cases, args.repeats)
    report(cases, load_before)
    if not args.no_compare:
        sys.path.insert(0, str(REPO))
        compare_outputs(cases)


if __name__ == "__main__":
    main()
