"""What the Import review page shows of each file, worked out from the workspace.

The workspace holds every file's records merged (``ws.labs``, ``ws.doses``); a clinician checks
one file at a time. ``file_review`` gives one file (one table of a workbook) what its section
lays out: how it was read, its columns, its counts, the tests found in it, the names nobody has
mapped, what was left out and the rows rejected with their reasons, as tables with titles in
words. ``file_reviews`` gives every file, splitting the merged tables once.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field, fields

import pandas as pd

from b12core.accounting import NO_PATIENT_ID
from b12core.header_block import names_patient
from b12core.mapping import ROLES_OF_KIND, ColumnMapping
from b12core.read import RawFile
from b12core.reference import analytes
from b12core.words import counted
from b12core.workspace import FileReport, Workspace

COLUMN_TITLES = ["Role", "Column", "Why"]
REJECTION_TITLES = {"source_row": "Row", "reason": "Why", "raw": "The row as read"}


@dataclass(frozen=True)
class FileCounts:
    """Where each row of one file went: read = accepted + ignored + duplicates + rejected."""

    read: int
    accepted: int
    ignored: int
    duplicates: int
    rejected: int

    def sentence(self) -> str:
        """``read 5: 2 accepted, 2 ignored, 0 duplicates, 1 rejected``."""
        return (f"read {self.read}: {self.accepted} accepted, {self.ignored} ignored, "
                f"{counted(self.duplicates, 'duplicate')}, {self.rejected} rejected")

    def table(self) -> pd.DataFrame:
        """The counts as one row with titles (Read, Accepted, Ignored, Duplicates, Rejected)."""
        return pd.DataFrame([astuple(self)], columns=[f.name.capitalize() for f in fields(self)])


def _titled(*titles: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(titles))


@dataclass(frozen=True, eq=False)
class FileReview:
    """One file (or one sheet of a workbook) as the Import review page shows it."""

    name: str
    kind: str  # the kind it is read as: labs, doses, symptoms, dictionary, skip
    detected_kind: str  # what the app found ("unreadable", "not read" for a file without tables)
    error: str = ""  # why the file could not be used ("" when it was)
    how_read: str = ""  # "5 data rows, header on line 1, encoding utf-8, delimiter ','" ("" when not read)
    read_with: tuple[str, ...] = ()  # what the reader and the import assumed (decimal mark, date order, ...)
    counts: FileCounts | None = None  # None when the file was not imported
    layout_reason: str = ""  # why the app read it as one row per result, a column per test, ...
    columns: pd.DataFrame = field(default_factory=lambda: _titled(*COLUMN_TITLES))  # Role, Column, Why
    roles: tuple[str, ...] = ()  # the roles a column can be given for this kind
    headers: tuple[str, ...] = ()  # the file's columns, to give a role to
    owner_candidates: tuple[str, ...] | None = None  # no patient id column: the patients it may belong to
    tests_found: pd.DataFrame = field(default_factory=lambda: _titled("Test", "Results"))
    unknown_names: pd.DataFrame = field(default_factory=lambda: _titled("Test name", "Rows"))  # to map by hand
    untracked_tests: pd.DataFrame = field(default_factory=lambda: _titled("Test", "Results"))  # e.g. WBC
    untracked_results: int = 0
    other_medicines: pd.DataFrame = field(default_factory=lambda: _titled("Medicine as written", "Rows"))
    rejections: pd.DataFrame = field(default_factory=lambda: _titled(*REJECTION_TITLES.values()))


def file_review(ws: Workspace, name: str) -> FileReview:
    """What the Import review page shows of the file (or workbook sheet) ``name`` of ``ws``.
    Raises ``KeyError`` for a name that is not one of ``ws.files``."""
    report = next((f for f in ws.files if f.name == name), None)
    if report is None:
        raise KeyError(name)
    return _review(report, _Split(ws, name), _identified(ws))


def file_reviews(ws: Workspace) -> tuple[FileReview, ...]:
    """``file_review`` of every file of ``ws``, in upload order (the merged tables split once)."""
    split, patients = _Split(ws), _identified(ws)
    return tuple(_review(report, split, patients) for report in ws.files)


def _identified(ws: Workspace) -> tuple[str, ...]:
    return tuple(p for p in ws.patients if p != NO_PATIENT_ID)


class _Split:
    """The workspace's per-file tables split by ``source_file`` (only ``name``'s rows when given)."""

    def __init__(self, ws: Workspace, name: str | None = None) -> None:
        self.name = name
        imports = [i for i in (ws.labs, ws.doses, ws.symptoms) if i is not None]
        found = ws.labs.labs.groupby(["source_file", "analyte"], observed=True).size().rename("rows").reset_index() \
            if ws.labs is not None else None
        self.parts = {
            "counts": self._by_file([i.counts for i in imports]),
            "found": self._by_file([found]),
            "unknown": self._by_file([ws.labs.unknown_names if ws.labs is not None else None]),
            "untracked": self._by_file([ws.labs.ignored_names if ws.labs is not None else None]),
            "medicines": self._by_file([ws.doses.ignored_names if ws.doses is not None else None]),
            "rejections": self._by_file([i.rejections for i in imports]),
        }
        self.notes: dict[str, tuple[str, ...]] = {}
        for imp in (ws.labs, ws.doses):
            for file, notes in (imp.notes.items() if imp is not None else ()):
                self.notes[file] = (*self.notes.get(file, ()), *notes)

    def _by_file(self, frames: list[pd.DataFrame | None]) -> dict[str, pd.DataFrame]:
        frames = [f for f in frames if f is not None and len(f)]
        if not frames:
            return {}
        table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if self.name is not None:
            return {self.name: table[(table["source_file"] == self.name).to_numpy()]}
        return {str(file): rows for file, rows in table.groupby("source_file", sort=False)}

    def of(self, part: str, file: str) -> pd.DataFrame | None:
        """The rows of ``part`` from ``file`` (None when it has none)."""
        rows = self.parts[part].get(file)
        return rows if rows is not None and len(rows) else None


def _review(report: FileReport, split: _Split, patients: tuple[str, ...]) -> FileReview:
    """One file's review from its report and its share of the merged tables."""
    raw, mapping, name = report.raw, report.mapping, report.name
    found: dict = {}
    if (counts := split.of("counts", name)) is not None:
        found["counts"] = _counts(counts)
    if (tests := split.of("found", name)) is not None:
        found["tests_found"] = _tests(tests)
    if (unknown := split.of("unknown", name)) is not None:
        found["unknown_names"] = _names(unknown, "Test name", "Rows")
    if (untracked := split.of("untracked", name)) is not None:
        found.update(untracked_tests=_names(untracked, "Test", "Results"),
                     untracked_results=int(untracked["rows"].sum()))
    if (medicines := split.of("medicines", name)) is not None:
        found["other_medicines"] = _names(medicines, "Medicine as written", "Rows")
    if (rejections := split.of("rejections", name)) is not None:
        found["rejections"] = _rejections(rejections)
    if mapping is not None:
        found.update(layout_reason=mapping.layout_reason, columns=_columns(mapping),
                     roles=tuple(ROLES_OF_KIND[mapping.kind]), headers=tuple(raw.columns) if raw is not None else ())
        if (report.kind in ("labs", "doses") and "patient_id" not in mapping.roles
                and not names_patient(raw, report.kind)):  # no id in a column nor above the table
            found["owner_candidates"] = patients  # the page asks whose records they are
    notes = [*(raw.notes if raw is not None else ()), *split.notes.get(name, ())]
    return FileReview(name, report.kind, report.detected_kind, report.error, how_read=_how_read(raw),
                      read_with=tuple(dict.fromkeys(notes)), **found)


def _how_read(raw: RawFile | None) -> str:
    """How a table was read, in words ("" when it was not)."""
    if raw is None:
        return ""
    how = [counted(raw.rows, "data row"), f"header on line {raw.header_line}" if raw.header_line else "no header"]
    how += [f"encoding {raw.encoding}"] if raw.encoding else []
    how += [f"delimiter {'tab' if raw.delimiter == chr(9) else repr(raw.delimiter)}"] if raw.delimiter else []
    how += [f"sheet {raw.sheet}"] if raw.sheet else []
    return ", ".join(how)


def _counts(rows: pd.DataFrame) -> FileCounts:
    row = rows.iloc[0]
    return FileCounts(*(int(row[f.name]) for f in fields(FileCounts)))


def _columns(mapping: ColumnMapping) -> pd.DataFrame:
    """Role, Column, Why: each role's column and the reason; a wide table's test columns too."""
    rows = [list(described) for described in mapping.describe()]
    if mapping.layout == "wide":
        rows += [["result (one test per column)", column, "header names a test"] for column in mapping.test_columns]
    return pd.DataFrame(rows, columns=COLUMN_TITLES)


def _tests(found: pd.DataFrame) -> pd.DataFrame:
    """Test, Results: the results found of each tracked test, in display order."""
    labels = {key: a.label for key, a in analytes().items()}
    return pd.DataFrame({"Test": found["analyte"].astype("str").map(labels).to_numpy(),
                         "Results": found["rows"].astype("int64").to_numpy()})


def _names(names: pd.DataFrame, name_title: str, rows_title: str) -> pd.DataFrame:
    return pd.DataFrame({name_title: names["name"].to_numpy(), rows_title: names["rows"].astype("int64").to_numpy()})


def _rejections(rejections: pd.DataFrame) -> pd.DataFrame:
    return rejections[list(REJECTION_TITLES)].rename(columns=REJECTION_TITLES).reset_index(drop=True)
