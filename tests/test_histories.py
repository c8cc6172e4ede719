"""Issue 12's acceptance library: hand-written patient histories run through ``python -m b12core review``.

Each folder of ``tests/histories/`` holds one patient's files, written as real exports look (a long
lab export, an injection record, a symptom diary), and a ``case.toml`` saying in a haematologist's
words what the history is (``story``) and why it matters (``why``), the command's options
(``[options]``: ``as_of``, ``sex``, ``regimen``, ``start``, ``loading_end``, ``date_order``) and
what the review must and must not say:

- ``[[prompts_present]]`` / ``[[prompts_absent]]``: ``rule`` (an id, or a list of ids), optionally
  ``analyte``, ``date`` or ``date_from``/``date_to``, ``message_contains``;
- ``urgent_first``: the first prompt is urgent; ``no_prompts``: the review prompts nothing at all;
- ``[[summary]]``: a SUMMARY.csv row per ``analyte`` with ``baseline``, ``baseline_at``, ``latest``,
  ``latest_at``, ``interpretation_starts_with`` (a NICE NG239 band is the first words, its cite
  follows) and ``interpretation_contains``/``interpretation_excludes`` (words, any case);
- ``[[markers]]``: the follow-up markers table's "In range" cell of an ``analyte``;
- ``[status]``: the status, next dose, adherence and off-plan lines the app shows (``patient_course``,
  ``assess`` and ``follow_up``, the code the Dashboard runs; ``review`` writes no status), injections counted
  "extra", and the phase of given doses;
- ``[doses_command]``: ``rows``, every ``dose_ug`` and the ``noted`` rows of ``python -m b12core doses``
  (of ``files``, else every CSV of the case);
- ``[plan_command]``: the written plan of ``python -m b12core plan``.

The expectations are clinical. Where the code disagrees they stay as written, and the case is
listed in ``XFAIL`` with what the code does wrong.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from b12core.reference import analytes
from b12core.summary import follow_up
from b12core.workspace import Choices, PatientCourse, PlanChoice, assess, build_workspace, patient_course
from tests.conftest import REPO

HISTORIES = Path(__file__).resolve().parent / "histories"
CASES = sorted(p.name for p in HISTORIES.iterdir() if (p / "case.toml").is_file())
READ = {"dtype": str, "keep_default_na": False}
DAY = pd.Timedelta(days=1)

# Cases whose clinically right expectation the code does not meet yet: case -> what the code does wrong.
XFAIL: dict[str, str] = {
}


def load(case: str) -> dict:
    return tomllib.loads((HISTORIES / case / "case.toml").read_text(encoding="utf-8"))


def inputs(case: str) -> list[Path]:
    return sorted(p for p in (HISTORIES / case).iterdir() if p.suffix == ".csv")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b12core", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def review_options(options: dict) -> list[str]:
    out = ["--as-of", options["as_of"]]
    for key in ("sex", "regimen", "start", "loading_end", "date_order"):
        if key in options:
            out += [f"--{key.replace('_', '-')}", options[key]]
    return out


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def describe(want: dict) -> str:
    keys = ("rule", "analyte", "date", "date_from", "date_to", "message_contains")
    return ", ".join(f"{k}={want[k]}" for k in keys if k in want) + (f" ({want['why']})" if "why" in want else "")


def matching(prompts: pd.DataFrame, want: dict) -> pd.DataFrame:
    keep = prompts["rule"].isin(as_list(want["rule"]))
    if "analyte" in want:
        keep &= prompts["analyte"] == want["analyte"]
    if "date" in want:
        keep &= prompts["date"] == want["date"]
    if "date_from" in want:
        keep &= prompts["date"] >= want["date_from"]
    if "date_to" in want:
        keep &= prompts["date"] <= want["date_to"]
    if "message_contains" in want:
        keep &= prompts["message"].str.lower().str.contains(want["message_contains"].lower(), regex=False)
    return prompts[keep]


def printed(prompts: pd.DataFrame) -> str:
    rows = [f"  {r.rule} {r.analyte or '-'} {r.date} [{r.severity}]: {r.message}" for r in prompts.itertuples()]
    return "\n".join(rows) or "  (no prompts)"


def check_prompts(spec: dict, prompts: pd.DataFrame) -> list[str]:
    problems = []
    for want in spec.get("prompts_present", []):
        if matching(prompts, want).empty:
            problems.append(f"expected a prompt {describe(want)}")
    for unwanted in spec.get("prompts_absent", []):
        hit = matching(prompts, unwanted)
        if len(hit):
            got = ", ".join(hit["rule"] + " " + hit["date"])
            problems.append(f"expected no prompt {describe(unwanted)}; got {got}")
    if spec.get("no_prompts") and len(prompts):
        problems.append(f"the negative control expected no prompt at all; got {len(prompts)}")
    if spec.get("urgent_first"):
        urgent = prompts["severity"] == "urgent"
        if not urgent.any():
            problems.append("expected an urgent prompt; none is urgent")
        elif not urgent.iloc[0] or urgent.iloc[: int(urgent.sum())].sum() != urgent.sum():
            problems.append("expected every urgent prompt before the others")
    return problems


def check_summary(spec: dict, summary: pd.DataFrame) -> list[str]:
    problems = []
    for want in spec.get("summary", []):
        rows = summary[summary["analyte"] == want["analyte"]]
        if len(rows) != 1:
            problems.append(f"SUMMARY.csv: expected one row for {want['analyte']}, got {len(rows)}")
            continue
        row = rows.iloc[0]
        for key in ("baseline", "baseline_at", "latest", "latest_at"):
            if key in want and row[key] != want[key]:
                problems.append(f"SUMMARY.csv {want['analyte']} {key}: expected {want[key]!r}, got {row[key]!r}")
        meaning = row["interpretation"].lower()
        start = want.get("interpretation_starts_with", "")
        if not meaning.startswith(start.lower()):  # a B12 band comes first, then the bands' cite
            problems.append(f"SUMMARY.csv {want['analyte']} interpretation should read {start!r}: "
                            f"got {row['interpretation']!r}")
        for word in want.get("interpretation_contains", []):
            if word.lower() not in meaning:
                problems.append(f"SUMMARY.csv {want['analyte']} interpretation should say {word!r}: "
                                f"got {row['interpretation']!r}")
        for word in want.get("interpretation_excludes", []):
            if word.lower() in meaning:
                problems.append(f"SUMMARY.csv {want['analyte']} interpretation should not say {word!r}: "
                                f"got {row['interpretation']!r}")
    return problems


def app_course(case: str, options: dict) -> PatientCourse:
    """The patient's course as the Dashboard builds it, before its summary and prompts."""
    as_of = pd.Timestamp(options["as_of"])
    files = [(p.name, p.read_bytes()) for p in inputs(case)]
    ws = build_workspace(files, Choices(date_order=options.get("date_order")),
                         not_after=(as_of + DAY).date().isoformat())
    choice = PlanChoice(options["regimen"], options.get("start", ""), options.get("loading_end", "")) \
        if "regimen" in options else None
    (patient,) = ws.patients
    return patient_course(ws, patient, choice, as_of)


def app_view(case: str, options: dict):
    """The patient's view and follow-up summary as the Dashboard builds them."""
    view = assess(app_course(case, options), options.get("sex", "any"))
    return view, follow_up(view)


def words_in(label: str, text: str, wanted: list[str], present: bool) -> list[str]:
    return [f"{label} should {'' if present else 'not '}say {w!r}: got {text!r}"
            for w in wanted if (w.lower() in text.lower()) != present]


def check_status(spec: dict, view, fu) -> list[str]:
    status = spec.get("status", {})
    problems = [*words_in("status", fu.status, status.get("contains", []), True),
                *words_in("status", fu.status, status.get("excludes", []), False),
                *words_in("next dose", fu.next_dose, status.get("next_dose_contains", []), True),
                *words_in("next dose", fu.next_dose, status.get("next_dose_excludes", []), False)]
    for line in status.get("adherence_contains", []):
        if not any(line in have for have in fu.adherence):
            problems.append(f"adherence should include {line!r}: got {fu.adherence}")
    for word in status.get("off_plan_excludes", []):
        if any(word in have for have in fu.off_plan):
            problems.append(f"off-plan lines should not say {word!r}: got {fu.off_plan}")
    if status.get("no_extra_injections"):
        events = view.adherence.events if view.adherence is not None else pd.DataFrame({"status": []})
        extra = events[events["status"] == "extra"]
        if len(extra):
            days = ", ".join(f"{d:%Y-%m-%d}" for d in extra["given_at"])
            problems.append(f"no injection should count as extra: got extra on {days}")
    for want in status.get("phases", []):
        given = view.doses[view.doses["administered_at"].dt.normalize() == pd.Timestamp(want["date"])]
        got = sorted(set(given["phase"].astype(str)))
        if got != [want["phase"]]:
            problems.append(f"the dose of {want['date']} should be in {want['phase']}: got {got}")
    for want in spec.get("markers", []):
        label = analytes()[want["analyte"]].label
        rows = fu.markers[fu.markers["Marker"].str.startswith(label)]
        cell = rows["In range"].iloc[0] if len(rows) else "(no row)"
        if want["in_range_contains"].lower() not in cell.lower():
            problems.append(f"markers table {label} 'In range' should say {want['in_range_contains']!r}: got {cell!r}")
    return problems


def check_doses_command(case: str, spec: dict, tmp_path: Path) -> list[str]:
    want = spec.get("doses_command")
    if not want:
        return []
    out, rejected_csv = tmp_path / "doses.csv", tmp_path / "rejected.csv"
    files = [HISTORIES / case / name for name in want["files"]] if "files" in want else inputs(case)
    result = run("doses", *map(str, files), "-o", str(out), "--rejected", str(rejected_csv))
    if result.returncode != 0:
        return [f"doses command failed: {result.stderr.strip()}"]
    doses = pd.read_csv(out, **READ)
    problems = []
    if "rows" in want and len(doses) != want["rows"]:
        problems.append(f"doses command: expected {want['rows']} doses, got {len(doses)}")
    for noted in want.get("noted", []):  # read with a note, or rejected with a reason: either is right
        notes = doses.loc[doses["administered_at"].str.startswith(noted["date"]), "notes"].tolist()
        rejected = pd.read_csv(rejected_csv, **READ) if rejected_csv.is_file() else pd.DataFrame()
        notes += [r["reason"] for _, r in rejected.iterrows() if noted["date"] in " ".join(r.astype(str))]
        if not any(noted["note_contains"].lower() in n.lower() for n in notes):
            problems.append(f"doses command: the dose of {noted['date']} should carry a note about "
                            f"{noted['note_contains']!r} ({noted['why']}); got notes {notes}")
    wrong = doses[doses["dose_ug"].astype(float) != want["dose_ug"]] if "dose_ug" in want else doses.iloc[0:0]
    if len(wrong):
        cells = ", ".join(f"{r.reported_product} x {r.reported_dose} -> {r.dose_ug}" for r in wrong.itertuples())
        problems.append(f"doses command: every dose should be {want['dose_ug']} ug; got {cells}")
    return problems


def check_plan_command(spec: dict, tmp_path: Path) -> list[str]:
    want = spec.get("plan_command")
    if not want:
        return []
    out = tmp_path / "plan.csv"
    result = run("plan", "--regimen", want["regimen"], "--start", want["start"], "-o", str(out))
    if result.returncode != 0:
        return [f"plan command failed: {result.stderr.strip()}"]
    plan = pd.read_csv(out, encoding="utf-8-sig", **READ)
    day = (pd.to_datetime(plan["date"]) - pd.Timestamp(want["start"])) / DAY
    low, high = want["no_b12_recheck_between_days"]
    text = (plan["title"] + " " + plan["what"]).str.lower()
    b12 = plan[(plan["kind"] != "dose") & day.between(low, high) & text.str.contains("b12", regex=False)]
    return [f"plan {want['regimen']}: no B12 recheck expected on days {low}-{high} ({want['why']}); got "
            f"{', '.join(b12['date'] + ' ' + b12['title'])}"] if len(b12) else []


@pytest.mark.parametrize("case", [pytest.param(c, id=c, marks=pytest.mark.xfail(strict=True, reason=XFAIL[c]))
                                  if c in XFAIL else pytest.param(c, id=c) for c in CASES])
def test_history(case: str, tmp_path: Path) -> None:
    spec = load(case)
    options = spec["options"]
    prompts_csv, summary_csv = tmp_path / "PROMPTS.csv", tmp_path / "SUMMARY.csv"
    result = run("review", *map(str, inputs(case)), "-o", str(prompts_csv), "--summary", str(summary_csv),
                 *review_options(options))
    assert result.returncode == 0 and "Traceback" not in result.stderr, f"{case}: review failed: {result.stderr}"
    prompts, summary = pd.read_csv(prompts_csv, **READ), pd.read_csv(summary_csv, **READ)
    problems = [*check_prompts(spec, prompts), *check_summary(spec, summary)]
    if "status" in spec or "markers" in spec:
        problems += check_status(spec, *app_view(case, options))
    problems += check_doses_command(case, spec, tmp_path) + check_plan_command(spec, tmp_path)
    assert not problems, (f"{case}: {spec['why'].strip()}\n" + "\n".join(f"- {p}" for p in problems)
                          + f"\nreview printed:\n{printed(prompts)}")


def test_the_library_holds_enough_explained_cases() -> None:
    assert len(CASES) >= 15, f"issue 12 asks for at least 15 histories; tests/histories/ holds {len(CASES)}"
    for case in CASES:
        spec = load(case)
        for key in ("story", "why"):
            assert str(spec.get(key, "")).strip(), f"{case}: case.toml needs a {key!r} in a clinician's words"
        assert "as_of" in spec.get("options", {}), f"{case}: always pass --as-of (the review day)"
        assert inputs(case), f"{case}: no CSV files"
