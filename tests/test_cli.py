"""The CLI as scripts call it: exit codes, one-line messages, outputs that read back."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
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



# A patient id a spreadsheet would run as a formula, a folate in ng/mL (26.8 * 2.266 is 60.715399999999995 in
# binary floating point) and an Hb in g/dL (12.3 -> 123.0), an accented name, and a rejected row.
HOSTILE_LAB = ("Patient ID,Collection Date,Test Name,Result,Units\n"
               "=1+1;Zoë,2024-03-14,Hemoglobin,12.3,g/dL\n=1+1;Zoë,2024-03-14,Folate,26.8,ng/mL\n"
               "=1+1;Zoë,2024-03-15,Vitamin B12,@SUM(1),pg/mL\n")


def test_one_table_is_written_by_one_csv_writer_in_the_cli_and_the_app(tmp_path):
    """The CLI's CSV, the dashboard's results download and the import review's download of the same
    table are the same bytes: the one writer (``b12core.export.csv_bytes``), with a byte order mark
    only in the app's downloads (for Excel), formulas neutralised, numbers without float noise."""
    from b12core.downloads import About, results_csv, table_csv
    from b12core.export import csv_bytes
    from b12core.workspace import build_workspace

    path, out, rejected = tmp_path / "lab.csv", tmp_path / "labs.csv", tmp_path / "rejected.csv"
    path.write_text(HOSTILE_LAB, encoding="utf-8")
    assert run("labs", str(path), "-o", str(out), "--rejected", str(rejected)).returncode == 0
    written = out.read_bytes()
    imported = build_workspace([(path.name, path.read_bytes())]).labs
    bom = "\ufeff".encode()
    assert written == csv_bytes(imported.labs, bom=False) and not written.startswith(bom)
    assert results_csv(imported.labs, About("=1+1;Zoë", date(2026, 11, 26))) == bom + written
    assert table_csv(imported.labs) == bom + written  # what the import review offers
    assert rejected.read_bytes() == csv_bytes(imported.rejections, bom=False)
    assert bom + rejected.read_bytes() == table_csv(imported.rejections)
    text = written.decode("utf-8")
    assert "\r" not in text and text.endswith("\n")
    assert text.count("'=1+1;Zoë") == 2 and "\n=" not in text
    assert ",60.7154," in text and "60.715399999999995" not in text  # 15 significant digits: no float noise
    assert ",123," in text  # a whole number as a person writes it

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
        # 9 doses; potassium (day 2), blood counts (day 10, 8 weeks) and the 3-month review
        assert result.stderr.strip() == "UK-BNF-noneuro: 9 doses and 4 blood tests or reviews planned"
    from icalendar import Calendar

    events = Calendar.from_ical((tmp_path / "plan.ics").read_bytes()).walk("VEVENT")
    assert len(events) == 13
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


# --- review: prompts and summary, the same code as the app -----------------------------------------

DOSE_HEADER = "Patient ID,Administration Date,Medication,Dose,Dose Unit,Route\n"
LAB_HEADER = "Patient ID,Collection Date,Test Name,Result,Units\n"
PROMPT_HEAD = ["patient_id", "rule", "analyte", "date", "message", "source"]
SUMMARY_HEAD = ["patient_id", "analyte", "unit", "baseline", "baseline_at", "latest", "latest_at", "change",
                "interpretation"]
# UK loading, 3 times a week for 2 weeks from Monday 8 Jan 2024 (BNF): 8, 10, 12, 15, 17, 19 Jan.
LOADING = ["2024-01-08", "2024-01-10", "2024-01-12", "2024-01-15", "2024-01-17", "2024-01-19"]


def doses_csv(patient: str, days: list[str]) -> str:
    return "".join(f"{patient},{d},Hydroxocobalamin 1mg/1ml,1,mg,IM\n" for d in days)


def write_case(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    paths = []
    for name, text in files.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        paths.append(str(tmp_path / name))
    return paths


def review(tmp_path: Path, files: list[str], *options: str) -> tuple[subprocess.CompletedProcess, pd.DataFrame,
                                                                       pd.DataFrame]:
    """Run ``review`` with a summary; (result, PROMPTS.csv, SUMMARY.csv) read back as text."""
    prompts, summary = tmp_path / "prompts.csv", tmp_path / "summary.csv"
    result = run("review", *files, "-o", str(prompts), "--summary", str(summary), *options)
    assert result.returncode == 0, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    read = {"dtype": str, "keep_default_na": False}
    return result, pd.read_csv(prompts, **read), pd.read_csv(summary, **read)


def rows_of(table: pd.DataFrame, **match: str) -> pd.DataFrame:
    keep = pd.Series(True, index=table.index)
    for column, value in match.items():
        keep &= table[column] == value
    return table[keep]


def test_review_on_the_sample_files(tmp_path):
    result, prompts, summary = review(tmp_path, ["data/sample/us_long_labs.csv", "data/sample/us_injections.csv"],
                                      "--as-of", "2024-09-01")
    assert list(prompts.columns[:6]) == PROMPT_HEAD and "rule_label" in prompts.columns
    assert list(summary.columns[:9]) == SUMMARY_HEAD
    # read, accepted, ignored, rejected of each kind, the prompts per patient, and what the review left out
    assert re.fullmatch(r"labs: 1 file: read 110, accepted \d+, ignored \d+, duplicates \d+, rejected \d+; "
                        r"doses: 1 file: read 39, accepted \d+, ignored \d+, duplicates \d+, rejected \d+; "
                        rf"{len(prompts)} prompts? for 2 patients; \d+ records dated after 2024-09-01 not reviewed",
                        result.stderr.strip()), result.stderr
    assert set(prompts["patient_id"]) <= {"MRN004417", "MRN007731"} and prompts["message"].str.len().gt(0).all()
    assert prompts["source"].str.strip().ne("").all()
    assert pd.to_datetime(prompts["date"]).le(pd.Timestamp("2024-09-01")).all()
    # IRON-DEF (MRN007731): ferritin 7 ug/L on 10 Jun 2024 on treatment is a prompt
    assert len(rows_of(prompts, patient_id="MRN007731", analyte="ferritin", date="2024-06-10")) == 1
    # MISSED-LOADING (MRN004417): Hb 9.1 g/dL on 1 Mar 2024 (before the first dose, 4 Mar), canonical g/L
    (hb,) = rows_of(summary, patient_id="MRN004417", analyte="hemoglobin").to_dict("records")
    assert (hb["unit"], hb["baseline"], hb["baseline_at"]) == ("g/L", "91", "2024-03-01")
    assert float(hb["change"]) == float(hb["latest"]) - 91
    # a B12 a week after an injection is shown as the app shows it: not interpretable
    (b12,) = rows_of(summary, patient_id="MRN004417", analyte="b12").to_dict("records")
    assert b12["latest"] == ">1476" and b12["interpretation"].startswith("not interpretable: 7 days after")
    assert b12["change"].startswith("> +")  # a censored change is a bound, its reason beside it
    assert "above what the lab's test can measure" in b12["change_note"]


def hb_flat_case(tmp_path: Path) -> list[str]:
    """Hb 9.0 g/dL before loading and 8.9 g/dL on day 14 (22 Jan), MCV still high: no rise."""
    labs = LAB_HEADER + ("p1,2024-01-05,Hemoglobin,9.0,g/dL\np1,2024-01-05,MCV,112,fL\n"
                         "p1,2024-01-22,Hemoglobin,8.9,g/dL\np1,2024-01-22,MCV,110,fL\n")
    diary = "Date,Symptom,Score\n2024-01-08,Tiredness,7\n2024-01-22,Tiredness,7\n"  # no patient id: p1's
    return write_case(tmp_path, {"labs.csv": labs, "doses.csv": DOSE_HEADER + doses_csv("p1", LOADING),
                                 "diary.csv": diary})


def test_review_of_an_hb_that_does_not_rise(tmp_path):
    result, prompts, summary = review(tmp_path, hb_flat_case(tmp_path), "--as-of", "2024-01-24")
    assert result.stderr.startswith("labs: 1 file: read 4, accepted 4, ignored 0, duplicates 0, rejected 0; "
                                    "doses: 1 file: read 6, accepted 6, ignored 0, duplicates 0, rejected 0; "
                                    "symptoms: 1 file: read 2, accepted 2")
    (flat,) = rows_of(prompts, rule="hb_no_rise").to_dict("records")
    assert (flat["patient_id"], flat["analyte"], flat["date"]) == ("p1", "hemoglobin", "2024-01-22")
    assert flat["message"].startswith("Review:") and "90 g/L" in flat["message"] and "89 g/L" in flat["message"]
    assert flat["source"]
    got = summary[SUMMARY_HEAD].to_dict("records")
    assert got == [
        {"patient_id": "p1", "analyte": "hemoglobin", "unit": "g/L", "baseline": "90", "baseline_at": "2024-01-05",
         "latest": "89", "latest_at": "2024-01-22", "change": "-1", "interpretation": "below its range"},
        {"patient_id": "p1", "analyte": "mcv", "unit": "fL", "baseline": "112", "baseline_at": "2024-01-05",
         "latest": "110", "latest_at": "2024-01-22", "change": "-2", "interpretation": "above its range"}]


def stopped_case(tmp_path: Path) -> list[str]:
    """Loading, one maintenance dose on 19 Apr 2024, then none; Hb normal in March, then in January 2025
    Hb 108 g/L, MCV 104 fL and B12 110 pmol/L."""
    labs = LAB_HEADER + ("p1,2024-01-05,Hemoglobin,95,g/L\np1,2024-01-05,Vitamin B12,90,pmol/L\n"
                         "p1,2024-03-04,Hemoglobin,130,g/L\n"
                         "p1,2025-01-06,Hemoglobin,108,g/L\np1,2025-01-06,MCV,104,fL\n"
                         "p1,2025-01-06,Vitamin B12,110,pmol/L\n")
    return write_case(tmp_path, {"labs.csv": labs, "doses.csv": DOSE_HEADER + doses_csv("p1", [*LOADING,
                                                                                                "2024-04-19"])})


def test_review_of_a_stopped_course_depends_on_the_review_day(tmp_path):
    files = stopped_case(tmp_path)
    result, prompts, summary = review(tmp_path, files, "--as-of", "2025-01-10")
    assert result.stderr.strip().endswith(f"{counted_prompts(prompts)} for 1 patient")
    assert len(rows_of(prompts, rule="course_stopped")) == 1
    # the results after treatment stopped are a prompt as soon as they are there
    after = prompts[prompts["date"] == "2025-01-06"]
    assert len(after) and set(after["analyte"]) <= {"hemoglobin", "mcv", "b12"}
    (b12,) = rows_of(summary, analyte="b12").to_dict("records")
    assert (b12["baseline"], b12["latest"], b12["latest_at"], b12["change"]) == ("90", "110", "2025-01-06", "20")
    assert b12["interpretation"].startswith("deficiency confirmed")  # NICE NG239 bands: < 133 pmol/L
    # Reviewed on 1 May 2024, a fortnight after the last dose: nothing is stopped, and the results of 2025 are
    # not known yet (left out, and said so).
    result, prompts, summary = review(tmp_path, files, "--as-of", "2024-05-01")
    assert rows_of(prompts, rule="course_stopped").empty
    assert result.stderr.strip().endswith("; 3 records dated after 2024-05-01 not reviewed")
    assert set(summary["latest_at"]) == {"2024-03-04", "2024-01-05"}


def counted_prompts(prompts: pd.DataFrame) -> str:
    return f"{len(prompts)} prompt{'' if len(prompts) == 1 else 's'}"


MISSED = ["2024-01-12", "2024-01-17"]  # two loading doses not given


def missed_case(tmp_path: Path) -> list[str]:
    given = [d for d in LOADING if d not in MISSED]
    labs = LAB_HEADER + "p1,2024-01-05,Hemoglobin,95,g/L\n"
    return write_case(tmp_path, {"labs.csv": labs, "doses.csv": DOSE_HEADER + doses_csv("p1", given)})


def test_review_against_a_regimen_names_its_planned_blood_tests(tmp_path):
    _, prompts, _ = review(tmp_path, missed_case(tmp_path), "--regimen", "UK-BNF-noneuro", "--start", "2024-01-08",
                           "--as-of", "2024-04-01")
    # The plan's blood tests: potassium (day 2) and blood count (day 10) are within 2 weeks of the result of
    # 5 Jan; the 8-week blood count (4 Mar) has no result.
    (missing,) = rows_of(prompts, rule="recheck_overdue").to_dict("records")
    assert missing["date"] == "2024-03-04" and "8 weeks" in missing["message"]
    assert "NHS Lothian" in missing["source"]


def test_review_against_a_regimen_prompts_each_missed_loading_dose(tmp_path):
    _, prompts, _ = review(tmp_path, missed_case(tmp_path), "--regimen", "UK-BNF-noneuro", "--start", "2024-01-08",
                           "--as-of", "2024-04-01")
    missed = prompts[prompts["rule"].str.contains("missed")]
    assert missed["date"].tolist() == MISSED and set(missed["patient_id"]) == {"p1"}
    for day, message in zip(MISSED, missed["message"], strict=True):
        assert f"{pd.Timestamp(day):%d %b %Y}" in message


def test_review_reports_records_left_without_a_patient(tmp_path):
    labs = LAB_HEADER + "p1,2024-01-05,Hemoglobin,95,g/L\np2,2024-01-05,Hemoglobin,101,g/L\n"
    doses = "Date,Drug,Dose,Route\n2024-01-08,Hydroxocobalamin 1mg/1ml,1 mg,IM\n2024-01-10,Hydroxocobalamin,1 mg,IM\n"
    files = write_case(tmp_path, {"labs.csv": labs, "clinic.csv": doses})
    result, _, summary = review(tmp_path, files, "--as-of", "2024-02-01")
    assert result.stderr.strip().endswith("0 prompts for 2 patients; clinic.csv: 2 records without a patient id "
                                          "not reviewed (the files hold 2 patients; the app lets you choose whose)")
    assert set(summary["patient_id"]) == {"p1", "p2"}


def test_review_without_a_summary_writes_the_prompts_only(tmp_path):
    out = tmp_path / "prompts.csv"
    result = run("review", *hb_flat_case(tmp_path), "-o", str(out), "--as-of", "2024-01-24", "--sex", "male")
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(out).columns[:6].tolist() == PROMPT_HEAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diary.csv", "doses.csv", "labs.csv", "prompts.csv"]


@pytest.mark.parametrize("options,words", [
    (["--regimen", "nope"], "unknown regimen 'nope'"),
    (["--regimen", "custom"], "--every-days"),
    (["--regimen", "custom", "--every-days", "0", "--loading-doses", "3", "--maintenance-months", "2"],
     "positive intervals"),
    (["--as-of", "2024-13-01"], "--as-of '2024-13-01' is not a date"),
    (["--regimen", "UK-BNF-noneuro", "--start", "8 Jan 2024"], "--start '8 Jan 2024' is not a date"),
    (["--start", "2024-01-08"], "need --regimen"),
    (["--sex", "other"], "invalid choice"),
    (["-o", "x.xlsx"], "must end in .csv"),
    (["--summary", "x.txt"], "must end in .csv"),
])
def test_review_option_errors_exit_2_with_one_line(tmp_path, options, words):
    files = hb_flat_case(tmp_path)
    options = [str(tmp_path / o) if o.startswith("x.") else o for o in options]
    output = [] if "-o" in options else ["-o", str(tmp_path / "p.csv")]
    result = run("review", *files, *output, *options)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert words in result.stderr, result.stderr
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("files,words", [
    ({"diary.csv": "Date,Symptom,Score\n2024-01-08,Tiredness,7\n"}, "none of the files holds lab results"),
    ({"empty.csv": ""}, "is empty"),
    ({"scan.png": b"\x89PNG\r\n\x1a\n" + bytes(100)}, "image"),
    ({"labs.csv": "Date,Test,Result,Unit\n01/02/2024,Hb,13.5,g/dL\n03/04/2024,Hb,12,g/dL\n"}, "dmy or mdy"),
    ({}, "cannot be read"),
])
def test_review_of_files_that_cannot_be_used_exits_2_with_one_line(tmp_path, files, words):
    paths = write_case(tmp_path, files) or [str(tmp_path / "missing.csv")]
    result = run("review", *paths, "-o", str(tmp_path / "p.csv"), "--as-of", "2024-06-01")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert words in result.stderr, result.stderr


def test_labs_refuses_fhir_ndjson_with_one_line(tmp_path):
    observation = ('{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": '
                   '"http://loinc.org", "code": "718-7"}]}, "valueQuantity": {"value": 13.2, "unit": "g/dL"}}')
    source = tmp_path / "export.ndjson"
    source.write_text("\n".join([observation] * 12) + "\n")
    result = run("labs", str(source), "-o", str(tmp_path / "labs.csv"))
    assert result.returncode != 0
    assert "export.ndjson is a FHIR file" in result.stderr and "not read yet" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "labs.csv").exists()


def test_written_values_have_no_float_noise(tmp_path):
    """A converted value is written with at most 6 significant digits (187 pg/mL is 137.968 pmol/L,
    not 137.96766499999998), in the CSV and in the Parquet file alike."""
    source = tmp_path / "results.csv"
    source.write_text("Patient,Date,Test,Result,Units,Reference range\n"
                      "P1,2024-03-01,Vitamin B12,187,pg/mL,180 - 914\n"
                      "P1,2024-03-01,Hemoglobin,8.9,mmol/L,7.5 - 10.0\n"
                      "P1,2024-03-08,Vitamin B12,1632,ng/L,180 - 914\n")
    assert run("labs", str(source), "-o", str(tmp_path / "labs.csv")).returncode == 0
    text = (tmp_path / "labs.csv").read_text()
    assert "137.968," in text and "143.419," in text and "1204.08," in text
    assert ",132.803,674.345," in text and ",120.859,161.145," in text
    assert "9999" not in text and "0000" not in text
    assert run("labs", str(source), "-o", str(tmp_path / "labs.parquet")).returncode == 0
    labs = pd.read_parquet(tmp_path / "labs.parquet")
    assert labs["value"].tolist() == [137.968, 143.419, 1204.08]
    assert labs["ref_high"].tolist() == [674.345, 161.145, 674.345]


def test_labs_asks_for_the_code_dictionary_of_a_code_only_export(tmp_path):
    source = tmp_path / "LABEVENTS.csv"
    source.write_text("SUBJECT_ID,ITEMID,CHARTTIME,VALUE,VALUEUOM\n10120,51222,2115-05-13 14:53:00,8.9,g/dL\n"
                      "10120,51010,2115-05-13 14:53:00,726,pg/mL\n")
    result = run("labs", str(source), "-o", str(tmp_path / "labs.csv"))
    assert result.returncode == 0, result.stderr
    assert "2 tests are named only by numeric codes (51222, 51010)" in result.stderr
    assert "D_LABITEMS" in result.stderr


# --- results told apart by admission id ----------------------------------------------------------

LAB_BY_ADMISSION = ("HADM_ID,Collection Date,Test Name,Result,Units\n"
                    "100001,2150-01-02,Hemoglobin,91,g/L\n100002,2150-06-02,Hemoglobin,104,g/L\n"
                    "100003,2150-03-02,Hemoglobin,131,g/L\n")
ADMISSIONS = ("ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME,DISCHTIME,ADMISSION_TYPE\n"
              "1,10120,100001,2150-01-01 10:00:00,2150-01-05 12:00:00,EMERGENCY\n"
              "2,10120,100002,2150-06-01 10:00:00,2150-06-04 12:00:00,ELECTIVE\n")


def test_labs_by_admission_alone_say_so_on_stderr(tmp_path):
    (source := tmp_path / "LABEVENTS.csv").write_text(LAB_BY_ADMISSION)
    result = run("labs", str(source), "-o", str(tmp_path / "labs.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "1 file: read 3, accepted 3, ignored 0, duplicates 0, rejected 0",
        "LABEVENTS.csv: patients are told apart by admission id (HADM_ID): one person's results may be split "
        "across admissions; give the admissions file (e.g. MIMIC ADMISSIONS, eICU patient) beside it to join them"]
    assert pd.read_csv(tmp_path / "labs.csv", dtype=str)["patient_id"].tolist() == ["100001", "100002", "100003"]


def test_labs_with_an_admissions_file_beside_them_name_the_patients(tmp_path):
    paths = write_case(tmp_path, {"LABEVENTS.csv": LAB_BY_ADMISSION, "ADMISSIONS.csv": ADMISSIONS})
    result = run("labs", *paths, "-o", str(tmp_path / "labs.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "1 file: read 3, accepted 3, ignored 0, duplicates 0, rejected 0",
        "LABEVENTS.csv: patients found through ADMISSIONS.csv by the admission id (HADM_ID): 2 admissions of "
        "1 patient; 1 admission id is not listed in ADMISSIONS.csv and is kept as a patient of its own: 100003"]
    labs = pd.read_csv(tmp_path / "labs.csv", dtype=str)
    assert labs["patient_id"].tolist() == ["10120", "10120", "100003"]


def test_labs_naming_their_patients_say_nothing_of_admissions(tmp_path):
    (source := tmp_path / "labevents.csv").write_text(
        "subject_id,hadm_id,Collection Date,Test Name,Result,Units\n10120,100001,2150-01-02,Hemoglobin,91,g/L\n")
    result = run("labs", str(source), "-o", str(tmp_path / "labs.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["1 file: read 1, accepted 1, ignored 0, duplicates 0, rejected 0"]


def test_review_of_labs_by_admission_says_so(tmp_path):
    paths = write_case(tmp_path, {"LABEVENTS.csv": LAB_BY_ADMISSION.replace("2150-", "2024-")})
    result = run("review", *paths, "-o", str(tmp_path / "p.csv"), "--as-of", "2024-12-01")
    assert result.returncode == 0, result.stderr
    first, second = result.stderr.splitlines()
    assert first.endswith("for 3 patients")
    assert second.startswith("LABEVENTS.csv: patients are told apart by admission id (HADM_ID)")


def test_review_summary_says_which_of_two_results_at_one_time_it_used(tmp_path):
    labs = tmp_path / "icu.csv"
    labs.write_text("MRN,Collected,Test,Result,Units,Sample type\n"
                    "ICU-1,2025-01-05 07:30,Haemoglobin,88,g/L,Haematology\n"
                    "ICU-1,2025-02-10 09:10,Haemoglobin,13.6,g/dL,Blood gas\n"
                    "ICU-1,2025-02-10 09:10,Haemoglobin,101,g/L,Haematology\n")
    doses = tmp_path / "doses.csv"
    doses.write_text("MRN,Date given,Drug,Dose,Route\nICU-1,2025-01-06,Hydroxocobalamin 1mg/1ml,1 mg,IM\n")
    summary = tmp_path / "summary.csv"
    result = run("review", str(labs), str(doses), "-o", str(tmp_path / "p.csv"), "--summary", str(summary),
                 "--as-of", "2025-02-11")
    assert result.returncode == 0, result.stderr
    hb = pd.read_csv(summary, keep_default_na=False).set_index("analyte").loc["hemoglobin"]
    assert (hb["latest"], hb["results"]) == (101, 3)
    assert hb["choice_note"] == ("Latest: 2 different results at 09:10 on 10 Feb 2025 (Blood gas, Haematology): the "
                                 "laboratory analyser's (Haematology) is used; both are on the figure.")


def test_review_says_results_without_a_date_are_not_reviewed(tmp_path):
    labs = tmp_path / "report.csv"
    labs.write_text("Patient ID,Test,Result,Units\nP1,Hemoglobin,9.8,g/dL\nP1,MCV,104,fL\n")
    result = run("review", str(labs), "-o", str(tmp_path / "p.csv"), "--as-of", "2025-02-11")
    assert result.returncode == 0, result.stderr
    assert "2 results without a collection date not reviewed (the file has no date column)" in result.stderr
