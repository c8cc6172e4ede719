"""The benchmark compares like with like: b12core and the DuckDB peer accept the same results.

The timings in the README mean something only if the peer does the job b12core does. These tests
run both whole tools, as the benchmark does, on small files from the benchmark's own generator
and compare their ``labs`` outputs result by result. No timing is asserted.
"""

from __future__ import annotations

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
