"""The benchmark's real-world shapes are what issue 14 describes, and the peer still does b12core's job on them.

``real_long`` and ``real_wide`` (benchmarks/generate.py) are exports shaped like the held-out one:
collection times to the minute on every row, 100 results per patient, a third of the results
tests the app does not track, mixed units, a few percent censored or malformed. The old shapes
must stay byte for byte what they were, so old and new timings can be set side by side. As in
tests/test_benchmarks.py, b12core and the DuckDB peer run as whole processes on small files of
each new shape and must accept the same results with the same values. No timing is asserted.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import bench_normalize, generate
from benchmarks.compare_outputs import compare
from tests.conftest import REPO

ROWS = 2_000
NEW_SHAPES = ("real_long", "real_wide")
# sha256 of long_export(2000) and wide_export(2000) as CSV, from the generator before the new shapes
# were added (numpy 2 / pandas 2 of this venv; a numpy or pandas upgrade may change them legitimately).
OLD_BYTES = {
    "long": "2f9fea0a84b683289e8d584deeca10881a6faabe78c30709783a8d722abacb35",
    "wide": "2cd339f287d3a4a8635c8c857736c7b4736a84fdc70c877f9133c1404004138b",
}
SUMMARY = re.compile(r"read (\d+), accepted (\d+), ignored (\d+), duplicates (\d+), rejected (\d+)")


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return (done.stdout + done.stderr).strip().splitlines()[-1]  # b12core reports on stderr


@pytest.fixture(scope="module")
def exports() -> dict[str, pd.DataFrame]:
    return {shape: generate.SHAPES[shape](ROWS) for shape in NEW_SHAPES}


@pytest.mark.parametrize("shape", ["long", "wide"])
def test_old_shapes_are_unchanged(shape: str) -> None:
    text = generate.SHAPES[shape](ROWS).to_csv(index=False, lineterminator="\n").encode()
    assert hashlib.sha256(text).hexdigest() == OLD_BYTES[shape]


def test_shape_file_names() -> None:
    assert generate.shape_path("long", 10_000).name == "long_10000.csv"
    assert generate.shape_path("real_wide", 1_000_000).name == "real_wide_1000000.csv"
    assert generate.shape_path("wide", 5) == generate.wide_path(5)


@pytest.mark.parametrize("shape", NEW_SHAPES)
def test_every_row_carries_its_own_minute(exports: dict[str, pd.DataFrame], shape: str) -> None:
    frame = exports[shape]
    column, fmt = generate.REAL_DATES[shape]
    texts = frame[column]
    assert len(frame) == ROWS
    assert texts.str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").all()
    assert texts.nunique() >= 0.97 * ROWS  # nearly every row's date text is distinct
    when = pd.to_datetime(texts, format=fmt)
    assert when.is_monotonic_increasing  # the export is in time order, patients interleaved
    assert (when.dt.minute != 0).mean() > 0.9
    patient = frame[frame.columns[0]]
    assert patient.nunique() == pytest.approx(ROWS / generate.REAL_ROWS_PER_PATIENT, rel=0.05)
    assert not pd.DataFrame({"p": patient, "t": when}).duplicated().any()  # no duplicate for b12core to drop
    assert (patient != patient.shift()).mean() > 0.9  # consecutive rows are mostly other patients


def test_real_long_mixes_units_and_writes_censored_and_malformed_results(exports: dict[str, pd.DataFrame]) -> None:
    frame = exports["real_long"]
    assert tuple(frame.columns) == generate.REAL_LONG_HEADER
    units = frame.groupby("Component")["Units"].unique()
    for name in ("Hemoglobin", "Vitamin B12", "Folate", "Ferritin"):
        assert len(units[name]) >= 2, name
    result = frame["Result"]
    censored = result.str.match(r"[<>]").mean()
    malformed = (~result.str.fullmatch(r"[<>]?\d+(\.\d+)?")).mean()
    assert 0.005 < censored < 0.06
    assert 0.03 < malformed < 0.05


def test_real_wide_columns(exports: dict[str, pd.DataFrame]) -> None:
    frame = exports["real_wide"]
    tests = [c for c in frame.columns if c.endswith(")")]
    assert list(frame.columns) == [*generate.REAL_WIDE_LEADING, *generate.REAL_WIDE_COLUMNS, "Comment"]
    assert tests == list(generate.REAL_WIDE_COLUMNS)
    assert (frame[tests] == "").all(axis=1).mean() < 0.005  # nearly every specimen has a result (some: none done)


@pytest.mark.parametrize("shape", NEW_SHAPES)
def test_duckdb_peer_accepts_what_b12core_accepts_on_real_shapes(
        tmp_path: Path, exports: dict[str, pd.DataFrame], shape: str) -> None:
    source = tmp_path / generate.shape_path(shape, ROWS).name
    generate.write(exports[shape], source)
    ours, peer = tmp_path / "b12core.parquet", tmp_path / "duckdb.parquet"

    ours_line = _run("-m", "b12core", "labs", str(source), "-o", str(ours))
    peer_line = _run("benchmarks/duckdb_peer.py", str(source), "-o", str(peer))

    read, accepted, ignored, duplicates, rejected = map(int, SUMMARY.search(ours_line).groups())
    assert accepted == len(pd.read_parquet(ours))
    assert duplicates == 0
    assert 0.28 < ignored / read < 0.40  # a third of the results are tests the app does not track
    assert 0.015 < rejected / read < 0.06  # a few percent are not a number (censored ones are accepted)
    assert f"accepted {accepted}," in peer_line
    assert compare(ours, peer) == [
        f"b12core {accepted:,} results, duckdb {accepted:,}, matched {accepted:,}; identical in every compared column"]


def test_benchmark_selects_shapes_and_sizes() -> None:
    chosen = bench_normalize.parse_args(["--shapes", "real_long", "real_wide", "--sizes", "1000000"])
    assert bench_normalize.planned(chosen) == [("real_long", 1_000_000), ("real_wide", 1_000_000)]
    everything = bench_normalize.planned(bench_normalize.parse_args([]))
    assert len(everything) == 12 and ("wide", 10_000) in everything and ("real_long", 100_000) in everything
    assert bench_normalize.parse_args(["--repeats", "1", "--no-compare"]).repeats == 1  # old options still work


def test_linearity_is_the_marginal_cost_per_million_rows() -> None:
    seconds = {10_000: 0.5, 100_000: 0.6, 1_000_000: 1.6}
    per_million, marginal, slope = bench_normalize.linearity(seconds)
    assert per_million == pytest.approx([50.0, 6.0, 1.6])
    assert marginal == pytest.approx([0.1 / 0.09, 1.0 / 0.9])
    assert slope == pytest.approx(1.1 / 0.99)
