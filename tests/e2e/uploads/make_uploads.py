"""Write the end-to-end upload corpus next to this script, then ``expected.json`` from the CLI.

    .venv/bin/python tests/e2e/uploads/make_uploads.py              # files + expected.json
    .venv/bin/python tests/e2e/uploads/make_uploads.py --files-only # files only, no CLI runs

Every patient, identifier, nurse and value here is made up. No randomness is used: every value
is written out below, and workbooks get fixed timestamps, so two runs give byte-identical files.

The facts in ``expected.json`` are not typed in by hand: they are read from what
``python -m b12core labs|doses|phases`` writes for each file (see ``derive_expected``), shown the
way the dashboard shows them (SI display units, ``b12core.display.number_text``), and compared
with the story each case was written to tell (``STORY``); a disagreement is printed and stored
under ``cli_disagrees_with_story`` so that an importer fault is not silently baked in.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # b12core, when run from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "data" / "sample"))
from generate import save_workbook

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
D = dt.date
T = dt.datetime


# --- writing helpers ---------------------------------------------------------------------------

def write_text(path: Path, lines: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
               line_end: str = "\r\n", preamble: tuple[str, ...] = ()) -> None:
    """Delimited text with an exact encoding and line ending; ``preamble`` lines are written as
    they are (already quoted where they need it)."""
    buffer = io.StringIO()
    for line in preamble:
        buffer.write(line + line_end)
    csv.writer(buffer, delimiter=delimiter, lineterminator=line_end).writerows(lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))


def days_after(start: dt.date, offsets: list[int]) -> list[dt.date]:
    return [start + dt.timedelta(days=d) for d in offsets]


def dec(value: float | str, places: int = 1) -> str:
    """A number with a decimal comma (``24,6``); text (``>1476``) as it is."""
    return value if isinstance(value, str) else f"{value:.{places}f}".replace(".", ",")


# --- case 1: ehr_title_block -------------------------------------------------------------------
# One US patient (no id column anywhere; the title block names "TEST, Alice (MRN 00123)", so the lab
# results are patient 00123's and the injection sheet, which names nobody, is taken as hers).
# Cyanocobalamin 1000 mcg IM: daily x7 from Wed 4 Mar 2026, weekly x4, then monthly.
# The June dose (due 7 Jun) was given 12 days late (19 Jun); the next fell due a month after it
# (19 Jul, given 20 Jul); the August dose (due 20 Aug) was missed.

C1_LOADING = days_after(D(2026, 3, 4), [0, 1, 2, 3, 4, 5, 6, 13, 20, 27, 34])  # 4-10 Mar, 17, 24, 31 Mar, 7 Apr
C1_MAINTENANCE = [D(2026, 5, 7), D(2026, 6, 19), D(2026, 7, 20), D(2026, 9, 21), D(2026, 10, 20)]
C1_NURSES = ("RN KA", "RN MT", "LPN DW")

# (collected, test, result, units, ref range, flag); conventional US units.
C1_TESTS = {  # test name as the EHR shows it -> (units, ref range)
    "Hemoglobin": ("g/dL", "12.0-15.5"),
    "MCV": ("fL", "80-100"),
    "Reticulocyte Count": ("%", "0.5-2.0"),
    "WBC": ("x10E3/uL", "3.4-10.8"),
    "Vitamin B12": ("pg/mL", "232-1245"),
    "Methylmalonic Acid": ("nmol/L", "87-318"),
    "Homocysteine": ("umol/L", "0.0-14.5"),
    "Folate, Serum": ("ng/mL", ">3.0"),
}
C1_DRAWS: list[tuple[dt.datetime, dict[str, str]]] = [
    (T(2026, 3, 2, 9, 15), {"Hemoglobin": "9.4", "MCV": "114", "Reticulocyte Count": "1.1", "WBC": "4.2",
                            "Vitamin B12": "<150", "Methylmalonic Acid": "1120", "Homocysteine": "38.5",
                            "Folate, Serum": "11.2"}),
    (T(2026, 3, 11, 8, 40), {"Hemoglobin": "10.1", "Reticulocyte Count": "7.9"}),
    (T(2026, 4, 1, 10, 5), {"Hemoglobin": "11.9", "MCV": "101", "WBC": "5.6", "Vitamin B12": "1240",
                            "Methylmalonic Acid": "290", "Homocysteine": "13.1"}),
    (T(2026, 5, 5, 9, 30), {"Hemoglobin": "13.2", "MCV": "93", "Vitamin B12": "1650"}),
    (T(2026, 8, 13, 14, 20), {"Hemoglobin": "13.6", "MCV": "90", "Methylmalonic Acid": "182",
                              "Homocysteine": "9.8"}),
    (T(2026, 10, 13, 8, 55), {"Hemoglobin": "13.8", "MCV": "89", "WBC": "6.1", "Vitamin B12": ">2000"}),
]


def c1_flag(test: str, result: str) -> str:
    ref = C1_TESTS[test][1]
    if result.startswith("<"):
        return "L"
    if result.startswith(">"):
        return "H" if "-" in ref else ""
    value = float(result)
    if ref.startswith(">"):
        return "L" if value < float(ref[1:]) else ""
    low, high = (float(x) for x in ref.split("-"))
    return "L" if value < low else "H" if value > high else ""


def write_case1(folder: Path) -> None:
    rows = [["Collected", "Test", "Result", "Units", "Ref Range", "Flag"]]
    for when, results in sorted(C1_DRAWS, reverse=True):  # Results Review lists the newest first
        for test in C1_TESTS:
            if test in results:
                units, ref = C1_TESTS[test]
                rows.append([when.strftime("%m/%d/%Y %H:%M"), test, results[test], units, ref,
                             c1_flag(test, results[test])])
    write_text(folder / "results_review.csv", rows,
               preamble=("Results Review", '"Patient: TEST, Alice (MRN 00123)"', "Printed 14/10/2026", ""))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "B12 shots"
    sheet.append(["Date given", "Medicine", "Dose", "Route", "Nurse"])
    for number, day in enumerate(C1_LOADING + C1_MAINTENANCE):
        sheet.append([day, "Cyanocobalamin 1000 mcg/mL", "1 mL", "IM", C1_NURSES[number % 3]])
        sheet.cell(row=sheet.max_row, column=1).number_format = "mm/dd/yyyy"
    sheet.column_dimensions["A"].width = 12
    sheet.column_dimensions["B"].width = 28
    save_workbook(workbook, folder / "injections_clinic.xlsx", T(2026, 10, 20, 16, 30))


# --- case 2: two_patients_no_ids ---------------------------------------------------------------
# A Swiss-style semicolon export (UTF-8, dd.mm.yyyy, SI units, decimal commas) for A-1001 and
# A-1002. The injection record has no id column and belongs to A-1002: hydroxocobalamin 1 mg IM
# Mon/Wed/Fri for 2 weeks from Mon 15 Sep 2025, then every 3 months (BNF, no neuro involvement).

C2_LOADING = days_after(D(2025, 9, 15), [0, 2, 4, 7, 9, 11])
C2_MAINTENANCE = [D(2025, 12, 29), D(2026, 3, 26), D(2026, 6, 25), D(2026, 9, 24)]
C2_TESTS = {  # name -> (unit, reference range, decimals)
    "Hämoglobin": ("g/l", "120 - 160", 0),
    "MCV": ("fl", "80 - 98", 1),
    "Leukozyten": ("G/l", "3,5 - 10,0", 1),
    "Vitamin B12": ("pmol/l", "145 - 569", 0),
    "Methylmalonsäure": ("nmol/l", "73 - 271", 0),
    "Homocystein": ("µmol/l", "5,0 - 15,0", 1),
}
C2_DRAWS: list[tuple[str, dt.date, dict[str, float | str]]] = [
    ("A-1001", D(2025, 6, 17), {"Hämoglobin": 131, "MCV": 96.8, "Leukozyten": 6.2, "Vitamin B12": 138,
                                "Methylmalonsäure": 412, "Homocystein": 17.9}),
    ("A-1002", D(2025, 9, 10), {"Hämoglobin": 96, "MCV": 108.2, "Leukozyten": 4.1, "Vitamin B12": 92,
                                "Methylmalonsäure": 980, "Homocystein": 31.4}),
    ("A-1002", D(2025, 9, 22), {"Hämoglobin": 104, "MCV": 106.9}),
    ("A-1001", D(2025, 10, 14), {"Hämoglobin": 134, "MCV": 94.1, "Vitamin B12": 301, "Methylmalonsäure": 238,
                                 "Homocystein": 12.2}),
    ("A-1002", D(2025, 10, 13), {"Hämoglobin": 121, "MCV": 99.6, "Leukozyten": 5.3, "Vitamin B12": ">1476",
                                 "Methylmalonsäure": 260, "Homocystein": 12.8}),
    ("A-1002", D(2025, 12, 15), {"Hämoglobin": 134, "MCV": 91.3}),
    ("A-1002", D(2026, 3, 20), {"Hämoglobin": 137, "MCV": 90.1, "Vitamin B12": 389}),
    ("A-1001", D(2026, 4, 21), {"Hämoglobin": 136, "MCV": 92.4, "Leukozyten": 5.9, "Vitamin B12": 355,
                                "Homocystein": 10.9}),
    ("A-1002", D(2026, 9, 17), {"Hämoglobin": 139, "MCV": 89.8, "Leukozyten": 5.8, "Vitamin B12": 356,
                                "Methylmalonsäure": 190, "Homocystein": 9.6}),
]


def c2_flag(test: str, value: float | str) -> str:
    if isinstance(value, str):
        return "H" if value.startswith(">") else "L"
    low, high = (float(x.replace(",", ".")) for x in C2_TESTS[test][1].split(" - "))
    return "L" if value < low else "H" if value > high else ""


def write_case2(folder: Path) -> None:
    rows = [["Pat-Nr", "Auftrag", "Entnahme", "Analyse", "Resultat", "Einheit", "Referenzbereich", "Flag"]]
    order = 2508000
    for patient, day, results in sorted(C2_DRAWS, key=lambda d: (d[1], d[0])):
        order += 37
        for test, (unit, ref, places) in C2_TESTS.items():
            if test in results:
                rows.append([patient, str(order), day.strftime("%d.%m.%Y"), test, dec(results[test], places),
                             unit, ref, c2_flag(test, results[test])])
    write_text(folder / "labor_export.csv", rows, delimiter=";")
    doses = [["Datum", "Medikament", "Dosis", "Einheit", "Applikation", "Visum"]]
    for number, day in enumerate(C2_LOADING + C2_MAINTENANCE):
        doses.append([day.strftime("%d.%m.%Y"), "Hydroxocobalamin 1 mg/ml", "1", "mg", "i.m.",
                      ("MF", "SB")[number % 2]])
    write_text(folder / "injektionen.csv", doses, delimiter=";")


# --- case 3: ids_differ ------------------------------------------------------------------------
# A UK wide workbook (one column per test, `Hospital No` = `MRN 004512`) and an injection CSV
# whose `Patient` column holds `4512`. Hb falls over 2025 until B12 deficiency is found, then
# recovers on hydroxocobalamin 1 mg: Mon/Wed/Fri x6 from Mon 14 Jul 2025, then every 2 months.

C3_LOADING = days_after(D(2025, 7, 14), [0, 2, 4, 7, 9, 11])
C3_MAINTENANCE = [D(2025, 9, 25), D(2025, 11, 25), D(2026, 1, 26), D(2026, 3, 26), D(2026, 5, 26),
                  D(2026, 7, 27), D(2026, 9, 24)]
C3_COLUMNS = ("Hb (g/L)", "MCV (fL)", "WBC (10*9/L)", "B12 (ng/L)", "Folate (ug/L)")
C3_DRAWS: list[tuple[dt.date, str, tuple]] = [  # specimen date, specimen no, values in C3_COLUMNS order
    (D(2025, 1, 14), "25H0114-2231", (128, 99, 6.8, None, None)),
    (D(2025, 4, 15), "25H0415-0917", (118, 104, 5.9, None, None)),
    (D(2025, 7, 8), "25H0708-1544", (104, 109, 4.6, 142, 6.8)),
    (D(2025, 8, 11), "25H0811-0322", (121, 98, 5.7, None, None)),
    (D(2025, 10, 13), "25H1013-1180", (133, 92, 6.3, ">2000", 7.4)),
    (D(2026, 1, 12), "26H0112-0419", (136, 90, 6.0, None, None)),
    (D(2026, 7, 13), "26H0713-2602", (138, 89, 6.5, 612, 8.1)),
]


def write_case3(folder: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Results"
    sheet.append(["Hospital No", "Specimen Date", "Specimen No", *C3_COLUMNS])
    for day, specimen, values in C3_DRAWS:
        sheet.append(["MRN 004512", day, specimen, *values])
        sheet.cell(row=sheet.max_row, column=2).number_format = "dd/mm/yyyy"
    save_workbook(workbook, folder / "cumulative_results.xlsx", T(2026, 7, 20, 11, 0))
    doses = [["Patient", "Date", "Drug", "Dose", "Route", "Site", "Given by"]]
    sites = ("L deltoid", "R deltoid")
    for number, day in enumerate(C3_LOADING + C3_MAINTENANCE):
        doses.append(["4512", day.strftime("%d/%m/%Y"), "Hydroxocobalamin 1mg/1ml", "1 mg", "IM", sites[number % 2],
                      ("PN", "HCA")[number % 2]])
    write_text(folder / "b12_injections.csv", doses)


# --- case 4: labs_only -------------------------------------------------------------------------
# P-77: a plain long CSV (ISO dates, SI units), no injection record. A borderline B12 watched
# over a year (treated with tablets elsewhere; nothing recorded here).

C4_ROWS = [
    ("2025-05-06", "Haemoglobin", "129", "g/L"), ("2025-05-06", "MCV", "97", "fL"),
    ("2025-05-06", "Vitamin B12", "168", "pmol/L"), ("2025-05-06", "Folate", "14.1", "nmol/L"),
    ("2025-05-06", "Active B12", "31", "pmol/L"),
    ("2025-08-12", "Haemoglobin", "131", "g/L"), ("2025-08-12", "MCV", "95", "fL"),
    ("2025-08-12", "Vitamin B12", "214", "pmol/L"), ("2025-08-12", "Active B12", "46", "pmol/L"),
    ("2025-12-02", "Haemoglobin", "133", "g/L"), ("2025-12-02", "MCV", "93", "fL"),
    ("2025-12-02", "Vitamin B12", "265", "pmol/L"), ("2025-12-02", "Folate", "15.6", "nmol/L"),
    ("2026-06-09", "Haemoglobin", "134", "g/L"), ("2026-06-09", "MCV", "92", "fL"),
    ("2026-06-09", "Vitamin B12", "288", "pmol/L"), ("2026-06-09", "Active B12", "62", "pmol/L"),
]


def write_case4(folder: Path) -> None:
    write_text(folder / "labs_p77.csv", [["patient_id", "date", "test", "value", "unit"],
                                         *[["P-77", *row] for row in C4_ROWS]], line_end="\n")


# --- case 5: uk_clinic_mixed -------------------------------------------------------------------
# A GP record export (long, `dd-Mon-yyyy`, Read-style descriptions, patient `NHS 485 777 3456`;
# the number fails the NHS check digit, so it cannot be anyone's) and the practice's injection
# sheet (`4857773456`). Hydroxocobalamin 1 mg Mon/Wed/Fri x6 from Wed 4 Feb 2026, then every
# 3 months. The Hb baseline was taken the day before the first dose (3 Feb); an earlier GP
# result (20 Jan) is not the baseline. Ferritin falls below range on treatment.

C5_PATIENT_LABS, C5_PATIENT_DOSES = "NHS 485 777 3456", "4857773456"
C5_LOADING = days_after(D(2026, 2, 4), [0, 2, 5, 7, 9, 12])  # Wed 4, Fri 6, Mon 9, Wed 11, Fri 13, Mon 16 Feb
C5_MAINTENANCE = [D(2026, 5, 18), D(2026, 8, 17), D(2026, 11, 16)]
C5_TESTS = {  # description -> (units, normal range)
    "Haemoglobin estimation": ("g/L", "115 - 165"),
    "Mean corpuscular volume": ("fL", "80 - 100"),
    "Total white cell count": ("10*9/L", "4 - 11"),
    "Serum vitamin B12": ("ng/L", "197 - 771"),
    "Serum folate": ("ug/L", "3.9 - 26.8"),
    "Serum ferritin": ("ug/L", "30 - 400"),
}
C5_DRAWS: list[tuple[dt.date, str, dict[str, str]]] = [
    (D(2026, 1, 20), "GP surgery", {"Haemoglobin estimation": "101", "Mean corpuscular volume": "107",
                                    "Total white cell count": "5.2", "Serum vitamin B12": "118",
                                    "Serum folate": "6.4", "Serum ferritin": "42"}),
    (D(2026, 2, 3), "Hospital OPD", {"Haemoglobin estimation": "98", "Mean corpuscular volume": "108",
                                     "Total white cell count": "4.9"}),
    (D(2026, 2, 18), "GP surgery", {"Haemoglobin estimation": "104", "Mean corpuscular volume": "105"}),
    (D(2026, 3, 4), "GP surgery", {"Haemoglobin estimation": "112", "Mean corpuscular volume": "97",
                                   "Total white cell count": "5.8", "Serum ferritin": "16"}),
    (D(2026, 5, 12), "GP surgery", {"Haemoglobin estimation": "117", "Mean corpuscular volume": "88",
                                    "Serum folate": "7.9", "Serum ferritin": "11"}),
    (D(2026, 8, 11), "GP surgery", {"Haemoglobin estimation": "119", "Mean corpuscular volume": "84",
                                    "Total white cell count": "6.0", "Serum vitamin B12": "530",
                                    "Serum ferritin": "9"}),
]


def write_case5(folder: Path) -> None:
    rows = [["Patient", "Date", "Description", "Value", "Units", "Normal range", "Location"]]
    for day, where, results in C5_DRAWS:
        for test, (units, ref) in C5_TESTS.items():
            if test in results:
                rows.append([C5_PATIENT_LABS, day.strftime("%d-%b-%Y"), test, results[test], units, ref, where])
    write_text(folder / "gp_results.csv", rows)
    doses = [["NHS No", "Date", "Drug", "Dose", "Route", "Batch", "Given by"]]
    for number, day in enumerate(C5_LOADING + C5_MAINTENANCE):
        doses.append([C5_PATIENT_DOSES, day.strftime("%d/%m/%Y"), "Hydroxocobalamin 1mg/1ml", "1mg", "IM",
                      ("HX2611A", "HX2611A", "HX2688C")[min(number // 6, 2)], ("Practice nurse", "HCA")[number % 2]])
    write_text(folder / "practice_injections.csv", doses)


CASES = {
    "ehr_title_block": (write_case1, {"labs": ["results_review.csv"], "doses": ["injections_clinic.xlsx"]}),
    "two_patients_no_ids": (write_case2, {"labs": ["labor_export.csv"], "doses": ["injektionen.csv"]}),
    "ids_differ": (write_case3, {"labs": ["cumulative_results.xlsx"], "doses": ["b12_injections.csv"]}),
    "labs_only": (write_case4, {"labs": ["labs_p77.csv"], "doses": []}),
    "uk_clinic_mixed": (write_case5, {"labs": ["gp_results.csv"], "doses": ["practice_injections.csv"]}),
}

# What each case was written to show, from the generator's own numbers (not from the importer);
# derive_expected compares the CLI's reading with it.
STORY = {
    "ehr_title_block": {"doses": len(C1_LOADING) + len(C1_MAINTENANCE), "first_dose": C1_LOADING[0],
                        "last_dose": C1_MAINTENANCE[-1], "first_lab": D(2026, 3, 2), "last_lab": D(2026, 10, 13),
                        "late": [(D(2026, 6, 7), D(2026, 6, 19), 12)], "missed": [D(2026, 8, 20)]},
    "two_patients_no_ids": {"doses": len(C2_LOADING) + len(C2_MAINTENANCE), "first_dose": C2_LOADING[0],
                            "last_dose": C2_MAINTENANCE[-1]},
    "ids_differ": {"doses": len(C3_LOADING) + len(C3_MAINTENANCE), "first_dose": C3_LOADING[0],
                   "last_dose": C3_MAINTENANCE[-1], "first_lab": C3_DRAWS[0][0], "last_lab": C3_DRAWS[-1][0]},
    "labs_only": {"doses": 0},
    "uk_clinic_mixed": {"doses": len(C5_LOADING) + len(C5_MAINTENANCE), "first_dose": C5_LOADING[0],
                        "last_dose": C5_MAINTENANCE[-1], "first_lab": C5_DRAWS[0][0], "last_lab": C5_DRAWS[-1][0],
                        "hb_baseline_at": D(2026, 2, 3)},
}
REGIMEN = {"ehr_title_block": "US-common", "two_patients_no_ids": "UK-BNF-noneuro", "ids_differ": "custom",
           "uk_clinic_mixed": "UK-BNF-noneuro"}
CUSTOM = {"ids_differ": (2.0, 6, 2)}  # Schedule page "custom": loading every N days, M doses, every K months
# Whose dose rows are whose (lab-file id -> id in the dose file, or the file's name when it has no id).
SAME_PERSON = {"ehr_title_block": {"00123": "injections_clinic.xlsx"},
               "two_patients_no_ids": {"A-1002": "injektionen.csv"},
               "ids_differ": {"MRN 004512": "4512"},
               "uk_clinic_mixed": {"NHS 485 777 3456": "4857773456"}}
NO_ID = "(no id in file)"  # b12core.accounting.NO_PATIENT_ID
ID_IN_DOSE_FILE = {"two_patients_no_ids": None, "ids_differ": "4512", "uk_clinic_mixed": C5_PATIENT_DOSES,
                   "ehr_title_block": None}
# What a clinician changes on the Import review page so that the file reads as written (the importer
# does not manage it alone; see README "Importer problems"). Keys as in b12core.workspace.Choices.
CORRECTIONS = {
    "two_patients_no_ids": {"roles": {"labor_export.csv": {"patient_id": "Pat-Nr"}},
                            "owners": {"injektionen.csv": "A-1002"}},
    "ids_differ": {"roles": {"cumulative_results.xlsx": {"patient_id": "Hospital No"}},
                   "name_map": {"Specimen No": "ignore"}},
    "uk_clinic_mixed": {"roles": {"practice_injections.csv": {"patient_id": "NHS No"}},
                        "name_map": {"Haemoglobin estimation": "hemoglobin", "Total white cell count": "ignore"}},
}


# --- expected.json from the CLI ----------------------------------------------------------------

def cli(command: str, files: list[Path], out: Path, rejected: Path | None = None) -> str:
    """Run ``python -m b12core`` as a user would; returns its summary line."""
    args = [sys.executable, "-m", "b12core", command, *map(str, files), "-o", str(out)]
    if rejected is not None:
        args += ["--rejected", str(rejected)]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[3:])}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stderr.strip()


def read_labs(path: Path):
    import pandas as pd

    labs = pd.read_csv(path, dtype="str", keep_default_na=False)
    return labs.assign(collected_at=pd.to_datetime(labs["collected_at"]), value=labs["value"].astype(float))


def read_doses(path: Path):
    import pandas as pd

    doses = pd.read_csv(path, dtype="str", keep_default_na=False)
    return doses.assign(administered_at=pd.to_datetime(doses["administered_at"]),
                        dose_ug=doses["dose_ug"].astype(float))


def corrected_tables(folder: Path, files: dict, correction: dict, tmp: Path):
    """labs and doses as the importer reads them with the Import review corrections: the same
    ``build_workspace`` the CLI and the app call, written and read back through the CLI's writer."""
    from b12core.cli import write_table
    from b12core.workspace import Choices, build_workspace

    names = files["labs"] + files["doses"]
    ws = build_workspace([(n, (folder / n).read_bytes()) for n in names],
                         Choices(roles=correction.get("roles", {}), name_map=correction.get("name_map", {}),
                                 owners=correction.get("owners", {})))
    if ws.errors:
        raise SystemExit(f"{folder.name}: {ws.errors}")
    write_table(ws.labs.labs, tmp / "corrected_labs.csv")
    labs = read_labs(tmp / "corrected_labs.csv")
    doses = None
    if ws.doses is not None:
        write_table(ws.doses.doses, tmp / "corrected_doses.csv")
        doses = read_doses(tmp / "corrected_doses.csv")
    return labs, doses, ws.labs.summary()


def iso(stamp) -> str | None:
    import pandas as pd

    return None if stamp is None or pd.isna(stamp) else f"{pd.Timestamp(stamp):%Y-%m-%d}"


def shown(row) -> str:
    """A result as the dashboard shows it in SI display units, qualifier first (``>1476``)."""
    from b12core.display import number_text, to_display
    from b12core.reference import analytes

    analyte = row["analyte"]
    value = float(to_display(row["value"], analyte, analytes()[analyte].canonical_unit))
    return f"{row['qualifier']}{number_text(value)}"


def derive_expected() -> dict:
    import pandas as pd

    expected: dict = {
        "generated_by": "tests/e2e/uploads/make_uploads.py (see README.md: how expected.json is derived)",
        "display_units": "SI (canonical units; numbers as b12core.display.number_text writes them)",
        "cases": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for case, (_, files) in CASES.items():
            folder = HERE / case
            entry: dict = {"files": {k: [f"{case}/{f}" for f in v] for k, v in files.items()}}
            # 1. The CLI on each file, unaided.
            runs: dict = {}
            cli_labs = cli_doses = None
            for name in files["labs"]:
                line = cli("labs", [folder / name], tmp / "labs.csv", tmp / "rejected.csv")
                cli_labs = read_labs(tmp / "labs.csv")
                rejected = pd.read_csv(tmp / "rejected.csv", dtype="str", keep_default_na=False)
                runs[name] = {"command": "labs", "summary": line,
                              "patient_ids": list(dict.fromkeys(cli_labs["patient_id"])),
                              "rejected": [{"source_row": int(r["source_row"]), "reason": r["reason"]}
                                           for _, r in rejected.iterrows()]}
            for name in files["doses"]:
                line = cli("doses", [folder / name], tmp / "doses.csv", tmp / "dose_rejected.csv")
                cli_doses = read_doses(tmp / "doses.csv")
                rejected = pd.read_csv(tmp / "dose_rejected.csv", dtype="str", keep_default_na=False)
                cli("phases", [folder / name], tmp / "phases.csv")
                phases = pd.read_csv(tmp / "phases.csv", dtype="str", keep_default_na=False)
                runs[name] = {"command": "doses", "summary": line,
                              "patient_ids": list(dict.fromkeys(cli_doses["patient_id"])),
                              "rejected": [{"source_row": int(r["source_row"]), "reason": r["reason"]}
                                           for _, r in rejected.iterrows()],
                              "phases": [{**r, "doses": int(r["doses"])} for r in phases.to_dict("records")]}
            entry["cli"] = runs
            # 2. The facts: from the CLI tables, or, where the importer needs help, from the same import
            #    with the Import review corrections.
            correction = CORRECTIONS.get(case)
            if correction:
                labs, doses, summary = corrected_tables(folder, files, correction, tmp)
                entry["import_review_corrections"] = correction
                entry["facts_from"] = "import with the corrections above (b12core.workspace.build_workspace)"
                entry["labs_summary_after_corrections"] = summary
            else:
                labs, doses = cli_labs, cli_doses
                entry["facts_from"] = "CLI output"
            lab_ids = list(dict.fromkeys(labs["patient_id"]))
            entry["patient_ids_in_lab_file"] = [p for p in lab_ids if p != NO_ID]
            if case == "ehr_title_block":
                entry["patient_in_title_block"] = "TEST, Alice (MRN 00123)"
                entry["shown_as"] = "00123"  # no id column in either file: the MRN written above the lab table
            if case in ID_IN_DOSE_FILE:
                entry["patient_id_in_dose_file"] = ID_IN_DOSE_FILE[case]
            entry["patients"] = {p: patient_facts(case, p, labs, doses) for p in lab_ids}
            entry["cli_disagrees_with_story"] = compare(case, entry)
            for problem in entry["cli_disagrees_with_story"]:
                print(f"{case}: {problem}", file=sys.stderr)
            expected["cases"][case] = entry
    return expected


def patient_facts(case: str, patient: str, labs, doses) -> dict:
    """One patient's facts from the importer's tables (doses joined through ``SAME_PERSON``)."""
    import pandas as pd

    from b12core.course import adherence
    from b12core.regimens import custom_regimen, get_regimen

    link = SAME_PERSON.get(case, {}).get(patient)
    if doses is None:
        mine = None
    elif link is None:
        mine = doses[doses["patient_id"] == patient]
    else:
        mine = doses[doses["patient_id"].isin([link, patient]) | (doses["source_file"] == link)]
    results = labs[labs["patient_id"] == patient].sort_values("collected_at", kind="stable")
    facts: dict = {"results": len(results), "first_lab": iso(results["collected_at"].min()),
                   "last_lab": iso(results["collected_at"].max())}
    first_dose = pd.NaT
    if mine is not None and len(mine):
        mine = mine.sort_values("administered_at", kind="stable")
        first_dose = mine["administered_at"].min().normalize()
        facts.update({"injections": len(mine),
                      "first_dose": iso(first_dose), "last_dose": iso(mine["administered_at"].max()),
                      "products": sorted(set(mine["product"])), "dose_ug": sorted(set(mine["dose_ug"].tolist())),
                      "routes": sorted(set(mine["route"]))})
    else:
        facts["injections"] = 0
    facts["markers"] = {}
    for analyte, group in results.groupby("analyte", sort=False):
        last = group.iloc[-1]
        marker = {"results": len(group), "first_on": iso(group["collected_at"].iloc[0]),
                  "latest": shown(last), "latest_on": iso(last["collected_at"]),
                  "latest_as_reported": f"{last['reported_value']} {last['reported_unit']}".strip()}
        if pd.notna(first_dose):  # design.md / response.summarise: last result within 90 days before the first dose
            window = group["collected_at"] >= first_dose - pd.Timedelta(days=90)
            before = group[(group["collected_at"] < first_dose) & window]
            if len(before):
                base = before.iloc[-1]
                marker["baseline"], marker["baseline_on"] = shown(base), iso(base["collected_at"])
        facts["markers"][analyte] = marker
    regimen = REGIMEN.get(case)
    if regimen and mine is not None and len(mine):
        plan_regimen = custom_regimen(*CUSTOM[case]) if regimen == "custom" else get_regimen(regimen)
        last_dose = mine["administered_at"].max().normalize()
        adh = adherence(plan_regimen, first_dose, mine)  # as of the last dose given
        events = adh.events
        facts["adherence"] = {
            "regimen": regimen, **({"custom_every_days_doses_months": list(CUSTOM[case])} if case in CUSTOM else {}),
            "plan_start": iso(first_dose), "as_of": iso(last_dose),
            "by_phase": [{k: (v if isinstance(v, str) else int(v)) for k, v in r.items()}
                         for r in adh.by_phase.to_dict("records")],
            "late": [{"planned": iso(r["planned"]), "given": iso(r["given_at"]), "days_late": int(r["days_late"])}
                     for _, r in events[events["status"] == "late"].iterrows()],
            "missed": [iso(r["planned"]) for _, r in events[events["status"] == "missed"].iterrows()],
            "extra": [iso(r["given_at"]) for _, r in events[events["status"] == "extra"].iterrows()],
            "next_due": iso(adh.next_due)}
    return facts


def compare(case: str, entry: dict) -> list[str]:
    """Where the importer's reading differs from what the generator wrote."""
    story, problems = STORY[case], []
    patients = entry["patients"]
    dosed = [p for p in patients.values() if p["injections"]]
    total = sum(p["injections"] for p in patients.values())
    if total != story["doses"]:
        problems.append(f"{total} injections read, {story['doses']} written")
    for key in ("first_dose", "last_dose"):
        if key in story and (not dosed or dosed[0][key] != story[key].isoformat()):
            problems.append(f"{key}: read {dosed[0][key] if dosed else None}, written {story[key].isoformat()}")
    first = next(iter(patients.values()))
    for key in ("first_lab", "last_lab"):
        if key in story and first[key] != story[key].isoformat():
            problems.append(f"{key}: read {first[key]}, written {story[key].isoformat()}")
    if "late" in story and dosed:
        adh = dosed[0].get("adherence", {})
        late = [(x["planned"], x["given"], x["days_late"]) for x in adh.get("late", [])]
        if late != [(a.isoformat(), b.isoformat(), n) for a, b, n in story["late"]]:
            problems.append(f"late doses read {late}, written {story['late']}")
        if adh.get("missed") != [d.isoformat() for d in story["missed"]]:
            problems.append(f"missed doses read {adh.get('missed')}, written {story['missed']}")
    if "hb_baseline_at" in story:
        hb = first["markers"].get("hemoglobin", {})
        if hb.get("baseline_on") != story["hb_baseline_at"].isoformat():
            problems.append(f"Hb baseline on {hb.get('baseline_on')}, written {story['hb_baseline_at']}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files-only", action="store_true", help="write the upload files, not expected.json")
    args = parser.parse_args()
    for case, (write, _) in CASES.items():
        write(HERE / case)
    if not args.files_only:
        expected = derive_expected()
        (HERE / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n",
                                            encoding="utf-8")


if __name__ == "__main__":
    main()
