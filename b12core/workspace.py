"""Everything the app shows, from the uploaded files and the user's choices: pure functions.

``build_workspace`` reads every file, classifies it (overridable), imports labs, doses and
symptom diaries with the user's column mappings and test-name mappings, and keeps going when one
file cannot be used (that file carries its message). ``patient_view`` derives one patient's
phases, plan, adherence, response and prompts. The Streamlit pages only call these and lay out
the result.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from b12core.accounting import NO_PATIENT_ID
from b12core.doses import DoseImport, import_doses, merge_doses, propose_dose_mapping
from b12core.errors import DateOrderNeeded, InputError
from b12core.labs import LABS_COLUMNS, LabImport, import_labs, merge_imports
from b12core.mapping import ColumnMapping, DictionaryEntry, detect_kind, propose_mapping, read_dictionary
from b12core.phases import PhaseOverride, Phases, detect_phases
from b12core.read import RawFile, read_tables
from b12core.regimens import Adherence, Regimen, adherence, build_plan, custom_regimen, get_regimen
from b12core.response import annotate_labs, review_prompts, summarise
from b12core.symptoms import SymptomImport, import_symptoms, merge_symptoms, propose_symptom_mapping

KINDS = ("labs", "doses", "symptoms", "dictionary", "skip")
KIND_LABELS = {"labs": "lab results", "doses": "an injection record", "symptoms": "a symptom diary",
               "dictionary": "a test-code dictionary", "skip": "a file left out"}


@dataclass(frozen=True)
class Choices:
    """What the user decided on the import review page and in the sidebar (not patient data)."""

    kinds: dict[str, str] = field(default_factory=dict)  # table name -> kind (overrides detection)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)  # table name -> role -> column
    name_map: dict[str, str] = field(default_factory=dict)  # reported test name or code -> analyte or "ignore"
    date_order: str | None = None  # "dmy" / "mdy" for files whose dates do not decide it
    owners: dict[str, str] = field(default_factory=dict)  # table name -> patient id for files without ids

    def key(self) -> str:
        """A stable text for caching."""
        return json.dumps([self.kinds, self.roles, self.name_map, self.date_order, self.owners], sort_keys=True)


@dataclass(frozen=True)
class FileReport:
    """One table of one uploaded file: how it was read and what became of it."""

    name: str
    kind: str  # the kind used
    detected_kind: str
    raw: RawFile | None
    mapping: ColumnMapping | None = None
    error: str = ""  # why the table could not be used ("" when it was)
    needs_date_order: bool = False


@dataclass(frozen=True)
class Workspace:
    files: tuple[FileReport, ...]
    labs: LabImport | None
    doses: DoseImport | None
    symptoms: SymptomImport | None

    @property
    def patients(self) -> list[str]:
        """Every patient with results or doses, lab patients first."""
        ids: dict[str, None] = {}  # ordered and unique, without a quadratic membership test
        for table in (self.labs.labs if self.labs else None, self.doses.doses if self.doses else None):
            if table is not None:
                ids.update(dict.fromkeys(pd.unique(table["patient_id"])))
        return list(ids)

    @property
    def errors(self) -> list[str]:
        return [f.error for f in self.files if f.error]


def _mapping_with(base: ColumnMapping, roles: dict[str, str]) -> ColumnMapping:
    mapping = base
    for role, column in roles.items():
        mapping = mapping.with_role(role, column or None)
    return mapping


def read_upload(name: str, data: bytes, max_rows: int | None = None) -> list[RawFile]:
    """The tables of one uploaded file (``read_tables`` with the arguments in upload order)."""
    return read_tables(data, name, max_rows)


Imported = LabImport | DoseImport | SymptomImport
Reader = Callable[[str, bytes], list[RawFile]]
Loader = Callable[..., tuple[ColumnMapping, Imported]]


def import_table(name: str, data: bytes, table: str, kind: str, roles: dict[str, str], name_map: dict[str, str],
                 date_order: str | None, dictionary: tuple[tuple[str, str, str], ...],
                 not_after: str | None = None, read: Reader = read_upload) -> tuple[ColumnMapping, Imported]:
    """Import one table of one file as ``kind`` with the user's column roles. Arguments are plain
    values so the app can cache the result per file content and choices."""
    raw = next(t for t in read(name, data) if t.name == table)
    latest = pd.Timestamp(not_after) if not_after else None
    if kind == "labs":
        mapping = _mapping_with(propose_mapping(raw), roles)
        codes = {code: DictionaryEntry(label, loinc) for code, label, loinc in dictionary}
        return mapping, import_labs(raw, mapping, date_order, name_map, codes, latest)
    if kind == "doses":
        mapping = _mapping_with(propose_dose_mapping(raw), roles)
        return mapping, import_doses(raw, mapping, date_order, latest)
    mapping = _mapping_with(propose_symptom_mapping(raw), roles)
    return mapping, import_symptoms(raw, mapping, date_order)


def build_workspace(files: list[tuple[str, bytes]], choices: Choices | None = None, read: Reader = read_upload,
                    load: Loader = import_table, max_files: int | None = None,
                    not_after: str | None = None) -> Workspace:
    """Read, classify and import every file; a file that cannot be used is reported, not fatal.

    ``read`` and ``load`` default to the pure functions; the app passes cached versions of them.
    Files beyond ``max_files`` are reported as not read; results and doses dated after
    ``not_after`` (ISO day) are rejected.
    """
    choices = choices or Choices()
    reports: list[FileReport] = []
    sources: dict[str, tuple[str, bytes]] = {}
    first_reads: dict[str, list[RawFile]] = {}
    if load is import_table:  # the default loader reuses the tables read here instead of reading again
        load = functools.partial(import_table, read=lambda name, data: first_reads[name])
    if max_files is not None and len(files) > max_files:
        reports += [FileReport(name, "skip", "not read", None, error=(
            f"{name} was not read: the app reads at most {max_files} files at once")) for name, _ in files[max_files:]]
        files = files[:max_files]
    seen: dict[str, int] = {}
    for name, data in files:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two different files of one name (two labs' export.csv) stay apart
            name = f"{name} ({seen[name]})"
        try:
            tables = first_reads[name] = read(name, data)
        except InputError as err:
            reports.append(FileReport(name, "skip", "unreadable", None, error=str(err)))
            continue
        except Exception as err:  # a bug of ours must not take the other files down with it
            reports.append(FileReport(name, "skip", "unreadable", None, error=_bug(name, err)))
            continue
        for raw in tables:
            detected = detect_kind(raw)
            sources[raw.name] = (name, data)
            reports.append(FileReport(raw.name, choices.kinds.get(raw.name, detected), detected, raw))
    dictionary: dict[str, DictionaryEntry] = {}
    for i, report in enumerate(reports):
        if report.kind == "dictionary" and report.raw is not None:
            try:
                dictionary.update(read_dictionary(report.raw))
            except InputError as err:
                reports[i] = _failed(report, err)
    codes = tuple(sorted((code, e.name, e.loinc) for code, e in dictionary.items()))
    results: dict[str, list[Imported]] = {"labs": [], "doses": [], "symptoms": []}
    for i, report in enumerate(reports):
        if report.raw is None or report.kind not in results:
            continue
        name, data = sources[report.name]
        try:
            mapping, result = load(name, data, report.name, report.kind, choices.roles.get(report.name, {}),
                                   choices.name_map, choices.date_order, codes, not_after)
        except InputError as err:
            reports[i] = _failed(report, err)
            continue
        except Exception as err:  # a bug of ours: this file is reported, the others still load
            reports[i] = FileReport(report.name, report.kind, report.detected_kind, report.raw,
                                    error=_bug(report.name, err))
            continue
        results[report.kind].append(result)
        reports[i] = FileReport(report.name, report.kind, report.detected_kind, report.raw, mapping)
    labs, doses, diaries = results["labs"], results["doses"], results["symptoms"]
    # Each import is already de-duplicated within its file: merge only when files can overlap.
    return link_unidentified(Workspace(
        tuple(reports), _merged(labs, merge_imports), _merged(doses, merge_doses), _merged(diaries, merge_symptoms)),
        choices.owners)


def _merged(parts: list, merge: Callable) -> Imported | None:
    return None if not parts else parts[0] if len(parts) == 1 else merge(parts)


def _bug(name: str, err: Exception) -> str:
    """The message for a file that hit a fault of the app (logged by type only, no data)."""
    logging.getLogger("b12").error("importing a file failed: %s", type(err).__name__)
    return (f"{name} could not be read because of a fault in the app ({type(err).__name__}); "
            "the other files are unaffected. Please report it.")


def _failed(report: FileReport, err: InputError) -> FileReport:
    return FileReport(report.name, report.kind, report.detected_kind, report.raw, report.mapping, str(err),
                      isinstance(err, DateOrderNeeded) or "date order" in str(err))


def link_unidentified(ws: Workspace, owners: dict[str, str] | None = None) -> Workspace:
    """Records without a patient id (a clinic sheet kept for one patient) belong to the patient
    the user named for their file (``owners``), else to the only identified patient when there is
    exactly one; otherwise they stay under their own label."""
    owners = owners or {}
    identified = [p for p in ws.patients if p != NO_PATIENT_ID]
    only = identified[0] if len(identified) == 1 else None
    if not owners and only is None:
        return ws

    def relabel(table: pd.DataFrame) -> pd.DataFrame:
        unnamed = table["patient_id"] == NO_PATIENT_ID
        if not unnamed.any():
            return table
        named_by_user = table["source_file"].map(lambda name: owners.get(name, "")).astype("str")
        target = named_by_user.where(named_by_user != "", only or NO_PATIENT_ID)
        mine = unnamed & (target != NO_PATIENT_ID)
        out = table.copy()
        out.loc[mine, "patient_id"] = target[mine]
        if "notes" in out:
            how = named_by_user.where(named_by_user == "", "patient chosen for this file by you").where(
                named_by_user != "", "patient id taken from the other files")
            out.loc[mine, "notes"] = (out.loc[mine, "notes"] + "; " + how[mine]).str.lstrip("; ")
        return out

    labs = LabImport(**{**ws.labs.__dict__, "labs": relabel(ws.labs.labs)}) if ws.labs else None
    doses = DoseImport(**{**ws.doses.__dict__, "doses": relabel(ws.doses.doses)}) if ws.doses else None
    symptoms = SymptomImport(relabel(ws.symptoms.symptoms), ws.symptoms.rejections, ws.symptoms.counts) \
        if ws.symptoms else None
    return Workspace(ws.files, labs, doses, symptoms)


# --- one patient -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanChoice:
    """The regimen the clinician follows for this patient (view of the schedule page)."""

    regimen_id: str = ""
    start: str = ""  # ISO date; "" = the first dose given
    loading_end: str = ""
    every_days: float = 2.0  # custom regimen
    loading_doses: int = 6
    maintenance_months: int = 3

    def regimen(self) -> Regimen | None:
        if not self.regimen_id:
            return None
        if self.regimen_id == "custom":
            return custom_regimen(self.every_days, self.loading_doses, self.maintenance_months)
        return get_regimen(self.regimen_id)


@dataclass(frozen=True)
class PatientView:
    patient_id: str
    labs: pd.DataFrame  # annotated (days since injection, interpretation)
    doses: pd.DataFrame  # with course and phase
    phases: Phases
    symptoms: pd.DataFrame
    summary: pd.DataFrame
    prompts: pd.DataFrame
    plan: pd.DataFrame | None
    adherence: Adherence | None
    as_of: pd.Timestamp


EMPTY_DOSES = pd.DataFrame({"patient_id": pd.Series([], dtype="str"),
                            "administered_at": pd.Series([], dtype="datetime64[ns]"),
                            "product": pd.Series([], dtype="str"), "dose_ug": pd.Series([], dtype="float64"),
                            "route": pd.Series([], dtype="str"), "source_file": pd.Series([], dtype="str"),
                            "source_row": pd.Series([], dtype="int64")})


def patient_view(ws: Workspace, patient: str, plan_choice: PlanChoice | None = None,
                 as_of: str | pd.Timestamp | None = None, sex: str = "any",
                 overrides: tuple[PhaseOverride, ...] = (), extra_symptoms: pd.DataFrame | None = None
                 ) -> PatientView:
    """One patient's results on the dose axis, phases, plan and adherence, summary and prompts."""
    labs = ws.labs.labs[ws.labs.labs["patient_id"] == patient] if ws.labs else None
    doses = ws.doses.doses[ws.doses.doses["patient_id"] == patient] if ws.doses else EMPTY_DOSES
    symptoms = ws.symptoms.symptoms[ws.symptoms.symptoms["patient_id"] == patient] if ws.symptoms else None
    if extra_symptoms is not None and len(extra_symptoms):
        symptoms = pd.concat([s for s in (symptoms, extra_symptoms.assign(patient_id=patient)) if s is not None],
                             ignore_index=True)
    if labs is None:
        labs = pd.DataFrame({c: pd.Series([], dtype="object") for c in LABS_COLUMNS}).astype(
            {"collected_at": "datetime64[ns]", "value": "float64", "ref_low": "float64", "ref_high": "float64"})
    phases = detect_phases(doses, overrides)
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp.now().normalize()
    plan = adh = None
    regimen = plan_choice.regimen() if plan_choice else None
    if regimen is not None:
        start = plan_choice.start or (doses["administered_at"].min() if len(doses) else as_of)
        plan = build_plan(regimen, start, loading_end=plan_choice.loading_end or None,
                          until=max(as_of, pd.Timestamp(start)) + pd.DateOffset(months=12))
        adh = adherence(plan, doses, as_of=as_of) if len(doses) else None
    sexes = {patient: sex}
    annotated = annotate_labs(labs, doses)
    summary = summarise(labs, doses, sexes)
    prompts = review_prompts(labs, doses, symptoms, sexes, as_of, {patient: plan} if plan is not None else None) \
        if len(doses) else review_prompts(labs.iloc[0:0], doses)
    return PatientView(patient, annotated, phases.doses, phases,
                       symptoms if symptoms is not None else pd.DataFrame(), summary, prompts, plan, adh, as_of)


def latest_record(ws: Workspace) -> pd.Timestamp | None:
    """The day of the newest result or dose in the files (the sample data's 'today')."""
    days = []
    if ws.labs is not None and ws.labs.labs["collected_at"].notna().any():
        days.append(ws.labs.labs["collected_at"].max())
    if ws.doses is not None and len(ws.doses.doses):
        days.append(ws.doses.doses["administered_at"].max())
    return max(days).normalize() if days else None
