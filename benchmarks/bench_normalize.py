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

The files are benchmarks/generate.py's shapes (``long``, ``wide``, and the real-world
``real_long`` and ``real_wide`` of issue 14), each at every size. After the per-run table it
prints, per file, the ratios the targets are set on: b12core's time over the DuckDB peer's (must
be at most 1.5, goal at most 1.0, at 1M rows) and b12core's peak memory over the design floor's
(at most 1.3); then, per shape, how the time grows with the rows (seconds per million rows at
each size, and the marginal seconds per extra million rows, 10k to 1M overall). The 1-minute
load average is noted when each file's runs start: above 0, other processes shared the 2 CPUs.

Run: ``.venv/bin/python benchmarks/bench_normalize.py [--sizes 10000 100000 1000000] [--repeats 3]
[--shapes long wide real_long real_wide] [--no-compare]``; e.g. only the new 1M-row files:
``--shapes real_long real_wide --sizes 1000000``.
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
SHAPES = ("long", "wide", "real_long", "real_wide")  # benchmarks/generate.py's shapes
READ_CHUNK = 1 << 24


def data_file(shape: str, rows: int) -> Path:
    return GENERATED / f"{shape}_{rows}.csv"


def output_file(shape: str, rows: int, tool: str) -> Path:
    return OUTPUTS / f"{shape}_{rows}.{tool}.parquet"


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
    layout: str  # the file's shape
    rows: int
    file_bytes: int
    runs: dict[str, list[Run]] = field(default_factory=dict)
    load: float = 0.0  # 1-minute load average when the case's runs started

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


def ensure_files(planned_files: list[tuple[str, int]]) -> None:
    """Generate missing input files in a subprocess (this process stays small; see the docstring)."""
    for shape in dict.fromkeys(shape for shape, _ in planned_files):
        missing = sorted(n for s, n in planned_files if s == shape and not data_file(s, n).exists())
        if missing:
            print(f"generating {shape} {', '.join(f'{n:,}' for n in missing)} rows ...", file=sys.stderr)
            subprocess.run([PYTHON, str(HERE / "generate.py"), "--shapes", shape, "--sizes", *map(str, missing)],
                           cwd=REPO, check=True)


def measure(cases: list[Case], repeats: int) -> None:
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    smallest = min(cases, key=lambda c: c.rows)
    for tool in TOOLS:  # untimed: shared libraries and .pyc files into the cache
        run_once(command(tool, data_file(smallest.layout, smallest.rows),
                         output_file(smallest.layout, smallest.rows, tool)))
    for case in cases:
        path = data_file(case.layout, case.rows)
        warm_cache(path)
        case.load = os.getloadavg()[0]
        for _ in range(repeats):  # tools interleaved, so drift hits each alike
            for tool in TOOLS:
                run = run_once(command(tool, path, output_file(case.layout, case.rows, tool)))
                case.runs.setdefault(tool, []).append(run)
                print(f"  {case.layout:9} {case.rows:>9,} {tool:8} {run.seconds:7.2f} s "
                      f"{run.peak_bytes / 2**20:7.0f} MiB", file=sys.stderr, flush=True)


# --- report ----------------------------------------------------------------------------------------

TIME_MUST, TIME_GOAL, PEAK_TARGET = 1.5, 1.0, 1.3  # issue 14's targets, on every file at 1M rows


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f}"


def linearity(seconds: dict[int, float]) -> tuple[list[float], list[float], float]:
    """From median seconds by rows: seconds per million rows at each size, the marginal seconds
    per extra million rows between consecutive sizes, and between the smallest and largest."""
    sizes = sorted(seconds)
    per_million = [seconds[n] / n * 1e6 for n in sizes]
    marginal = [(seconds[b] - seconds[a]) / (b - a) * 1e6 for a, b in pairwise(sizes)]
    overall = (seconds[sizes[-1]] - seconds[sizes[0]]) / (sizes[-1] - sizes[0]) * 1e6 if len(sizes) > 1 else 0.0
    return per_million, marginal, overall


def _verdict(ratio: float, *limits: tuple[float, str]) -> str:
    for limit, word in limits:
        if ratio <= limit:
            return word
    return "MISSED"


def report_runs(cases: list[Case], load_before: float) -> None:
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before:.2f} before and {os.getloadavg()[0]:.2f} "
          "after (other processes share the CPUs when it is above 0)")
    print(f"Python {sys.version.split()[0]}; pyarrow {version('pyarrow')}, "
          f"pandas {version('pandas')}, duckdb {version('duckdb')}; peak memory from "
          f"{'/usr/bin/time' if TIME else 'wait4 (no /usr/bin/time)'}")
    print("medians of each case's runs; rows = data rows of the file; MB = 10^6 bytes\n")
    header = (f"{'shape':9} {'rows':>9} {'file MB':>8}  {'tool':8} {'median s':>8}  {'runs s':18} "
              f"{'rows/s':>11} {'peak MB':>8} {'peak/file':>9}")
    print(header)
    print("-" * len(header))
    for case in cases:
        for tool in TOOLS:
            runs = " ".join(f"{r.seconds:.2f}" for r in case.runs[tool])
            seconds, peak = case.seconds(tool), case.peak(tool)
            print(f"{case.layout:9} {case.rows:>9,} {_mb(case.file_bytes):>8}  {tool:8} {seconds:8.2f}  {runs:18} "
                  f"{case.rows / seconds:>11,.0f} {_mb(peak):>8} {peak / case.file_bytes:>8.1f}x")


def report_ratios(cases: list[Case]) -> None:
    print(f"\ntargets (issue 14, on every file at 1M rows): time b12core/duckdb <= {TIME_MUST} (must), "
          f"<= {TIME_GOAL} (goal); peak memory b12core/floor <= {PEAK_TARGET}")
    header = (f"{'shape':9} {'rows':>9} {'file MB':>8} {'load':>5} | {'b12core s':>9} {'duckdb s':>8} {'floor s':>7} "
              f"{'b12core/duckdb':>14} {'':6} | {'b12core MB':>10} {'duckdb MB':>9} {'floor MB':>8} "
              f"{'b12core/floor':>13} {'':6}")
    print(header)
    print("-" * len(header))
    for case in cases:
        b12, dk, floor = (case.seconds(t) for t in ("b12core", "duckdb", "floor"))
        pb, pd_, pf = (case.peak(t) for t in ("b12core", "duckdb", "floor"))
        time_ratio, peak_ratio = b12 / dk, pb / pf
        time_word = _verdict(time_ratio, (TIME_GOAL, "goal"), (TIME_MUST, "must"))
        peak_word = _verdict(peak_ratio, (PEAK_TARGET, "met"))
        print(f"{case.layout:9} {case.rows:>9,} {_mb(case.file_bytes):>8} {case.load:>5.2f} | {b12:9.2f} {dk:8.2f} "
              f"{floor:7.2f} {time_ratio:13.2f}x {time_word:6} | {_mb(pb):>10} {_mb(pd_):>9} {_mb(pf):>8} "
              f"{peak_ratio:12.2f}x {peak_word:6}")


def report_linearity(cases: list[Case]) -> None:
    print("\nlinearity: seconds per million rows at each size [marginal: extra seconds per extra million rows "
          "between sizes; overall: smallest to largest]")
    for shape in dict.fromkeys(c.layout for c in cases):
        mine = sorted((c for c in cases if c.layout == shape), key=lambda c: c.rows)
        if len(mine) < 2:
            print(f"  {shape}: one size only (linearity needs --sizes 10000 100000 1000000)")
            continue
        print(f"  {shape}:")
        for tool in TOOLS:
            per, marginal, overall = linearity({c.rows: c.seconds(tool) for c in mine})
            sizes = [c.rows for c in mine]
            print(f"    {tool:8} " + ", ".join(f"{n:,}: {x:.2f}" for n, x in zip(sizes, per, strict=True))
                  + "  [" + ", ".join(f"{a:,}->{b:,}: {x:.2f}" for (a, b), x in
                                      zip(pairwise(sizes), marginal, strict=True))
                  + f"; overall {sizes[0]:,}->{sizes[-1]:,}: {overall:.2f}]")


def report(cases: list[Case], load_before: float) -> None:
    report_runs(cases, load_before)
    report_ratios(cases)
    report_linearity(cases)
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


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="ROWS")
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES),
                        help="the generator's file shapes to measure, each at every size (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compare", action="store_true", help="skip comparing b12core's output with duckdb's")
    return parser.parse_args(argv)


def planned(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(shape, rows) of every file to measure, shape by shape, smallest first."""
    return [(shape, rows) for shape in dict.fromkeys(args.shapes) for rows in sorted(set(args.sizes))]


def main() -> None:
    args = parse_args()
    files = planned(args)
    ensure_files(files)
    cases = [Case(shape, n, data_file(shape, n).stat().st_size) for shape, n in files]
    load_before = os.getloadavg()[0]
    measure(cases, args.repeats)
    report(cases, load_before)
    if not args.no_compare:
        sys.path.insert(0, str(REPO))
        compare_outputs(cases)


if __name__ == "__main__":
    main()
