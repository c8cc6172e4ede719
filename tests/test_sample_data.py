"""The bundled sample data (``data/sample``) against the ground truth its generator wrote.

Every lab file is read and imported on its own, with no date order given: each file must decide
its own. The truth in ``tests/fixtures/sample_truth`` comes from ``data/sample/generate.py``'s own
numbers and conversion factors, never from ``b12core``.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

import b12core
from b12core import LabImport
from b12core.units import canonical

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
TRUTH = REPO / "tests" / "fixtures" / "sample_truth"
GENERATOR = SAMPLE / "generate.py"
LAB_FILES = ("us_long_labs.csv", "uk_wide_labs_early.xlsx", "uk_wide_labs.csv", "eu_semicolon_labs.csv",
             "loinc_observations.csv")
COUNT_COLUMNS = ["read", "accepted", "ignored", "duplicates", "rejected"]


def read_truth(name: str) -> pd.DataFrame:
    """One ground-truth table, every cell as text (empty cells stay empty strings)."""
    return pd.read_csv(TRUTH / name, dtype=str, keep_default_na=False)


@cache
def imported(filename: str) -> LabImport:
    """A sample lab file read and imported on its own (cached: the import is pure)."""
    tables = b12core.read_tables((SAMPLE / filename).read_bytes(), filename)
    assert len(tables) == 1, f"{filename}: expected one table, got {len(tables)}"
    return b12core.import_labs(tables[0])


def counts_of(imp: LabImport, filename: str) -> dict[str, int]:
    """read/accepted/ignored/duplicates/rejected of one file in an import."""
    row = imp.counts.set_index("source_file").loc[filename]
    return {c: int(row[c]) for c in COUNT_COLUMNS}


def test_truth_covers_every_lab_file() -> None:
    assert sorted(read_truth("counts.csv")["source_file"]) == sorted(LAB_FILES)


@pytest.mark.parametrize("filename", LAB_FILES)
def test_counts_match_truth(filename: str) -> None:
    expected = read_truth("counts.csv").set_index("source_file").loc[filename]
    assert counts_of(imported(filename), filename) == {c: int(expected[c]) for c in COUNT_COLUMNS}


@pytest.mark.parametrize("filename", LAB_FILES)
def test_every_result_is_accounted_for(filename: str) -> None:
    counts = counts_of(imported(filename), filename)
    assert counts["read"] == counts["accepted"] + counts["ignored"] + counts["duplicates"] + counts["rejected"]


@pytest.mark.parametrize("filename", LAB_FILES)
def test_accepted_rows_match_truth(filename: str) -> None:
    truth = read_truth("labs.csv")
    truth = truth[truth["source_file"] == filename]
    labs = imported(filename).labs
    got = pd.DataFrame({
        "source_row": labs["source_row"].astype("int64").astype(str),
        "patient_id": labs["patient_id"].astype(str),
        "collected_at": labs["collected_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "analyte": labs["analyte"].astype(str),
        "value": labs["value"].astype(float),
        "unit": labs["unit"].astype(str),
        "qualifier": labs["qualifier"].astype(str),
    })
    key = ["source_row", "analyte"]
    assert not got.duplicated(key).any(), f"{filename}: one row gave the same analyte twice"
    merged = truth.merge(got, on=key, how="outer", suffixes=("_truth", "_got"), indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    extra = merged[merged["_merge"] == "right_only"]
    assert missing.empty, f"{filename}: results the truth accepts but the import did not:\n{missing[key]}"
    assert extra.empty, f"{filename}: results accepted that the truth does not have:\n{extra[key]}"
    problems = []
    for row in merged.itertuples(index=False):
        for column in ("patient_id", "collected_at", "unit", "qualifier"):
            want, have = getattr(row, f"{column}_truth"), getattr(row, f"{column}_got")
            if want != have:
                problems.append(f"row {row.source_row} {row.analyte}: {column} {have!r}, expected {want!r}")
        if row.value_got != canonical(float(row.value_truth)):  # converted values keep 6 significant digits
            problems.append(f"row {row.source_row} {row.analyte}: value {row.value_got!r}, "
                            f"expected {row.value_truth}")
    assert not problems, f"{filename}:\n" + "\n".join(problems)


@pytest.mark.parametrize("filename", LAB_FILES)
def test_unknown_names_match_truth(filename: str) -> None:
    truth = read_truth("unknown_names.csv")
    expected = {(r.name, int(r.rows)) for r in truth[truth["source_file"] == filename].itertuples()}
    unknown = imported(filename).unknown_names
    assert {(str(r.name), int(r.rows)) for r in unknown.itertuples()} == expected


@pytest.mark.parametrize("filename", LAB_FILES)
def test_expected_rejections_are_present(filename: str) -> None:
    truth = read_truth("rejections.csv")
    rejections = imported(filename).rejections
    for row in truth[truth["source_file"] == filename].itertuples():
        reasons = rejections.loc[rejections["source_row"] == int(row.source_row), "reason"].tolist()
        assert any(row.reason_contains in r for r in reasons), \
            f"{filename} row {row.source_row}: no rejection containing {row.reason_contains!r} (got {reasons})"


def test_merging_the_uk_exports_keeps_overlapping_results_once() -> None:
    early, later = imported("uk_wide_labs_early.xlsx"), imported("uk_wide_labs.csv")
    overlap = read_truth("overlap.csv").set_index("source_file").loc["uk_wide_labs.csv"]
    assert overlap["repeats_file"] == "uk_wide_labs_early.xlsx"
    repeated = int(overlap["results"])
    merged = b12core.merge_imports([early, later])
    assert counts_of(merged, "uk_wide_labs.csv")["duplicates"] == repeated
    assert counts_of(merged, "uk_wide_labs_early.xlsx")["duplicates"] == 0
    for filename in ("uk_wide_labs_early.xlsx", "uk_wide_labs.csv"):
        c = counts_of(merged, filename)
        assert c["read"] == c["accepted"] + c["ignored"] + c["duplicates"] + c["rejected"]
    assert len(merged.labs) == len(early.labs) + len(later.labs) - repeated
    key = ["patient_id", "collected_at", "analyte"]
    assert not merged.labs.duplicated(key).any()
    union = pd.concat([early.labs[key], later.labs[key]]).drop_duplicates()
    assert len(union) == len(merged.labs)


def run_generator(out: Path) -> None:
    """Run the sample generator into ``out`` (a fresh root for data/ and tests/)."""
    result = subprocess.run([sys.executable, str(GENERATOR), "--out", str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def generated_files(root: Path) -> list[Path]:
    """Paths of every file under ``root``, relative to it, sorted."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_generator_is_deterministic_and_matches_the_bundled_files(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    run_generator(first)
    run_generator(second)
    files = generated_files(first)
    assert files == generated_files(second)
    assert Path("data/sample/uk_wide_labs_early.xlsx") in files
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), f"{relative} differs"
        assert filecmp.cmp(first / relative, REPO / relative, shallow=False), \
            f"{relative} is stale: run data/sample/generate.py"


@pytest.mark.parametrize("filename", LAB_FILES)
def test_cli_imports_each_sample_file(filename: str, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    result = subprocess.run([sys.executable, "-m", "b12core", "labs", str(SAMPLE / filename), "-o", str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.exists()
