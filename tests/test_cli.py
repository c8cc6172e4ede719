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


def test_parquet_output_has_statistics_for_the_columns_readers_filter_on(lab_file, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "labs.parquet"
    assert run("labs", str(lab_file), "-o", str(out)).returncode == 0
    meta = pq.ParquetFile(out).metadata.row_group(0)
    stats = {meta.column(i).path_in_schema: meta.column(i).statistics for i in range(meta.num_columns)}
    assert stats["patient_id"].min == stats["patient_id"].max == "p1"
    assert stats["collected_at"].has_min_max and stats["analyte"].has_min_max
    assert stats["notes"] is None  # free text as written: no statistics to pay for


def test_a_dose_record_given_to_labs_is_refused_even_when_file_names_look_like_sheets(lab_file, tmp_path):
    labs, doses = tmp_path / "results [May].csv", tmp_path / "results [June].csv"
    labs.write_bytes(lab_file.read_bytes())
    doses.write_bytes((REPO / "data/sample/us_injections.csv").read_bytes())
    result = run("labs", str(labs), str(doses), "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: results [June].csv looks like an injection record, not lab results"


def test_labs_from_a_workbook_name_the_sheets_not_read(lab_file, tmp_path):
    book = tmp_path / "clinic.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.read_csv(lab_file, dtype=str).to_excel(writer, sheet_name="Labs", index=False)
        pd.read_csv(REPO / "data/sample/us_injections.csv", dtype=str).to_excel(writer, sheet_name="Doses", index=False)
    result = run("labs", str(book), "-o", str(tmp_path / "o.parquet"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("; sheets not read as lab results: clinic.xlsx [Doses]")


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


def test_doses_command_on_the_sample_records(tmp_path):
    out = tmp_path / "doses.parquet"
    result = run("doses", "data/sample/us_injections.csv", "data/sample/uk_injections.xlsx", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "2 files: read 74, accepted 74, ignored 0, duplicates 0, rejected 0"
    doses = pd.read_parquet(out)
    assert len(doses) == 74 and set(doses["route"]) == {"IM"}


def test_phases_command_writes_phase_start_end_doses(tmp_path):
    out = tmp_path / "phases.csv"
    result = run("phases", "data/sample/loinc_medication_administrations.csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text().splitlines() == [
        "phase,start,end,doses", "loading,2023-01-16,2023-01-27,6", "maintenance,2023-04-24,2024-04-22,5",
        "loading,2025-10-13,2025-10-24,6"]


def test_phases_of_several_patients_name_the_patient(tmp_path):
    out = tmp_path / "phases.csv"
    assert run("phases", "data/sample/us_injections.csv", "-o", str(out)).returncode == 0
    assert out.read_text().splitlines()[0] == "patient_id,phase,start,end,doses"


def test_plan_list_and_each_output_format(tmp_path):
    listed = run("plan", "--list")
    assert listed.returncode == 0
    ids = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert ids == ["UK-BNF-noneuro", "UK-BNF-neuro", "US-FDA-cyano", "US-common", "US-CDC", "custom"]
    assert all(len(line.split("\t")) == 3 and line.split("\t")[2] for line in listed.stdout.splitlines())
    for suffix in ("csv", "ics", "html"):
        out = tmp_path / f"plan.{suffix}"
        result = run("plan", "--regimen", "UK-BNF-noneuro", "--start", "2024-03-04", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert result.stderr.strip() == "UK-BNF-noneuro: 9 doses and 3 blood tests or reviews planned"
    from icalendar import Calendar

    events = Calendar.from_ical((tmp_path / "plan.ics").read_bytes()).walk("VEVENT")
    assert len(events) == 12
    assert "Mon 4 Mar 2024" in (tmp_path / "plan.html").read_text()


@pytest.mark.parametrize("args,words", [
    (["plan", "--regimen", "nope", "--start", "2024-03-04", "-o", "x.csv"], "unknown regimen 'nope'"),
    (["plan", "--regimen", "US-common", "--start", "4th March", "-o", "x.csv"], "is not a date"),
    (["plan", "--regimen", "US-common", "--start", "2024-03-04", "-o", "x.pdf"], "must end in"),
    (["plan", "--regimen", "custom", "--start", "2024-03-04", "-o", "x.csv"], "--every-days"),
    (["plan"], "--regimen ID"),
    (["phases", "data/sample/us_long_labs.csv", "-o", "x.csv"], "not an injection record"),
])
def test_plan_and_phases_errors_are_one_line(tmp_path, args, words):
    result = run(*[str(tmp_path / a) if a.startswith("x.") else a for a in args])
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
