"""The CLI as scripts call it: exit codes, one-line messages, outputs that read back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO

LAB = "Patient ID,Collection Date,Test Name,Result,Units\np1,2024-03-14,Hemoglobin,9.1,g/dL\n" \
      "p1,2024-03-14,Vitamin B12,QNS,pg/mL\np1,2024-03-14,WBC,6,10*9/L\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b12core", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def lab_file(tmp_path: Path) -> Path:
    path = tmp_path / "lab.csv"
    path.write_text(LAB)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_labs_writes_output_and_one_summary_line(lab_file, tmp_path, suffix):
    out, rejected = tmp_path / f"out{suffix}", tmp_path / "rejected.csv"
    result = run("labs", str(lab_file), "-o", str(out), "--rejected", str(rejected))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "1 file: read 3, accepted 1, ignored 1, duplicates 0, rejected 1"
    assert result.stdout == ""
    labs = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert labs["value"].tolist() == [91.0]
    assert pd.read_csv(rejected)["reason"].str.contains("QNS").all()


def test_unknown_tests_are_named_in_the_summary(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("Date,Test,Result,Unit\n2024-01-02,Hb,13.5,g/dL\n2024-01-02,Zinc Protoporphyrin,40,ug/dL\n")
    result = run("labs", str(path), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 0
    assert "unknown tests: Zinc Protoporphyrin (1)" in result.stderr


def test_ambiguous_dates_exit_2_and_the_flag_resolves_them(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("Date,Test,Result,Unit\n01/02/2024,Hb,13.5,g/dL\n03/04/2024,Hb,12,g/dL\n")
    result = run("labs", str(path), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "dmy or mdy" in result.stderr
    result = run("labs", str(path), "-o", str(tmp_path / "o.csv"), "--date-order", "dmy")
    assert result.returncode == 0
    assert pd.read_csv(tmp_path / "o.csv")["collected_at"].tolist() == ["2024-02-01", "2024-04-03"]


@pytest.mark.parametrize("content,args,words", [
    (None, ["labs", "missing.csv", "-o", "o.csv"], "cannot be read"),
    (b"", ["labs", "{f}", "-o", "o.csv"], "is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), ["labs", "{f}", "-o", "o.csv"], "image"),
    (LAB.encode(), ["labs", "{f}", "-o", "o.txt"], "must end in .parquet or .csv"),
    (LAB.encode(), ["labs", "{f}"], "required"),
    (b"Date,Drug,Dose,Route\n2024-01-02,Hydroxocobalamin,1 mg,IM\n", ["labs", "{f}", "-o", "o.csv"],
     "injection record"),
    (LAB.encode(), ["labs", "{f}", "-o", "o.csv", "--date-order", "ymd"], "invalid choice"),
])
def test_unusable_input_exits_2_with_one_line_and_no_traceback(tmp_path, content, args, words):
    f = tmp_path / "in.csv"
    if content is not None:
        f.write_bytes(content)
    result = run(*[a.replace("{f}", str(f)) if a != "o.csv" else str(tmp_path / "o.csv") for a in args])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr
