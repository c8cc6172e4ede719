"""The benchmark compares like with like: b12core and the DuckDB peer accept the same results.

The timings in the README mean something only if the peer does the job b12core does. These tests
run both whole tools, as the benchmark does, on small files from the benchmark's own generator
and compare their ``labs`` outputs result by result. The load test's peer (a minimal Streamlit +
plotly app, benchmarks/minimal_peer_app.py) is held to the job it is timed on the same way. No
timing is asserted.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import generate
from benchmarks.compare_outputs import compare
from tests.conftest import REPO

ROWS = 3_000


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return (done.stdout + done.stderr).strip().splitlines()[-1]  # b12core reports on stderr


@pytest.mark.parametrize("layout", ["long", "wide"])
def test_duckdb_peer_accepts_what_b12core_accepts(tmp_path: Path, layout: str) -> None:
    export = generate.long_export(ROWS) if layout == "long" else generate.wide_export(ROWS)
    source = tmp_path / f"{layout}.csv"
    generate.write(export, source)
    ours, peer = tmp_path / "b12core.parquet", tmp_path / "duckdb.parquet"

    ours_line = _run("-m", "b12core", "labs", str(source), "-o", str(ours))
    peer_line = _run("benchmarks/duckdb_peer.py", str(source), "-o", str(peer))

    accepted = len(pd.read_parquet(ours))
    assert accepted > ROWS // 10  # the file has tracked results, and they were accepted
    assert f"accepted {accepted}," in ours_line
    assert f"accepted {accepted}," in peer_line
    assert compare(ours, peer) == [
        f"b12core {accepted:,} results, duckdb {accepted:,}, matched {accepted:,}; identical in every compared column"]


def test_comparison_reports_a_result_the_peer_changed(tmp_path: Path) -> None:
    """The comparison the test above relies on does see a difference."""
    source = tmp_path / "long.csv"
    generate.write(generate.long_export(ROWS), source)
    ours, peer = tmp_path / "b12core.parquet", tmp_path / "peer.parquet"
    _run("-m", "b12core", "labs", str(source), "-o", str(ours))
    changed = pd.read_parquet(ours)
    changed.loc[changed.index[0], "value"] += 1.0
    changed.drop(index=changed.index[-1]).to_parquet(peer)

    lines = compare(ours, peer)

    assert lines[1].startswith("only b12core accepted 1 results")
    assert lines[2].startswith("value: 1 of")


def test_load_test_peer_does_the_job_it_is_timed_on() -> None:
    """The load test's minimal peer (benchmarks/minimal_peer_app.py) names the uploaded patient and
    draws every result and every injection, starting on the day the load test waits for; the app
    imports the same files as the same single patient."""
    from streamlit.testing.v1 import AppTest

    from b12core.workspace import build_workspace
    from benchmarks import load_test

    patient = load_test.patients(2)[1]
    at = AppTest.from_file(str(REPO / "benchmarks" / "minimal_peer_app.py"), default_timeout=60)
    at.run()
    at.sidebar.file_uploader[0].set_value([(name, data, "text/csv") for name, data in patient.files]).run()

    assert not at.exception
    assert [m.value for m in at.markdown] == [f"**Patient:** {patient.id}"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    labs, doses = (pd.read_csv(io.BytesIO(data)) for _, data in patient.files)
    assert [len(trace["x"]) for trace in spec["data"]] == [*labs["Test Name"].value_counts(sort=False), len(doses)]
    assert min(day[:10] for trace in spec["data"] for day in trace["x"]) == patient.first_days[0]
    assert build_workspace(list(patient.files)).patients == [patient.id]


def test_load_test_options_patients_and_verdicts() -> None:
    from benchmarks import load_test

    args = load_test.parse_args([])
    assert (args.sessions, args.rounds, args.ttl, args.apps) == (20, 2, 10, ["ours", "peer"])
    # Rounds take turns, mirrored, so that a machine slowing down during the run weighs on both.
    assert load_test.round_order(["ours", "peer"], 2) == ["ours", "peer", "peer", "ours"]
    assert load_test.round_order(["ours", "peer"], 3) == ["ours", "peer", "peer", "ours", "ours", "peer"]
    assert load_test.round_order(["ours"], 2) == ["ours", "ours"]
    assert load_test.parse_args(["--apps", "ours", "--sessions", "3", "--ttl", "5"]).apps == ["ours"]
    cohort = load_test.patients(20)
    assert len({p.id for p in cohort}) == 20 and len({day for p in cohort for day in p.first_days}) == 40
    assert load_test.latency([3.0, 1.0, None, 2.0]) == {"p50": 2.0, "p95": pytest.approx(2.9), "max": 3.0}
    seen = load_test.Sightings()
    seen.look("LOAD-001", ["LOAD-001"], "during")
    seen.look("LOAD-001", ["LOAD-001", "LOAD-002"], "end")
    assert seen.checks == 2 and seen.seen == [("LOAD-001", "LOAD-002", "end")]
