"""Several uploaded or named files at once: read, classify, resolve code dictionaries, import.

Used by the CLI and the app alike, so both treat a set of files the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from b12core.doses import DoseImport, import_doses, merge_doses
from b12core.errors import InputError
from b12core.labs import LabImport, import_labs, merge_imports
from b12core.mapping import DictionaryEntry, detect_kind, read_dictionary
from b12core.read import RawFile, read_tables

KIND_LABELS = {"labs": "lab results", "doses": "an injection record", "symptoms": "a symptom diary",
               "dictionary": "a test-code dictionary"}


@dataclass(frozen=True)
class FileSet:
    """The tables of a set of files, each with its detected kind."""

    tables: tuple[RawFile, ...]
    kinds: tuple[str, ...]
    files: tuple[str, ...] = ()  # the file each table came from (a workbook gives several tables)

    def of_kind(self, kind: str) -> list[RawFile]:
        return [t for t, k in zip(self.tables, self.kinds, strict=True) if k == kind]

    def dictionary(self) -> dict[str, DictionaryEntry]:
        """Codes from every dictionary file in the set (later files win on a clash)."""
        merged: dict[str, DictionaryEntry] = {}
        for table in self.of_kind("dictionary"):
            merged.update(read_dictionary(table))
        return merged


def read_files(files: Sequence[tuple[str, bytes]]) -> FileSet:
    """Read (name, bytes) pairs into tables and detect each table's kind."""
    pairs = [(name, t) for name, data in files for t in read_tables(data, name)]
    return FileSet(tuple(t for _, t in pairs), tuple(detect_kind(t) for _, t in pairs), tuple(n for n, _ in pairs))


def import_lab_set(files: FileSet, date_order: str | None = None, strict: bool = False) -> LabImport:
    """Import every lab table of the set, resolving local codes through its dictionaries.

    With ``strict``, a file that is not lab results (an injection record, a diary) is an error,
    as on the ``labs`` command line; otherwise such files are left for their own importers.
    """
    skipped: dict[str, tuple[str, ...]] = {}
    for table, kind, source in zip(files.tables, files.kinds, files.files or [t.name for t in files.tables],
                                   strict=True):
        if kind in ("labs", "dictionary"):
            continue
        useful = any(k in ("labs", "dictionary") for k, f in zip(files.kinds, files.files, strict=True) if f == source)
        if strict and not useful:
            raise InputError(f"{table.name} looks like {KIND_LABELS[kind]}, not lab results")
        skipped[table.name] = (f"not read as lab results: it looks like {KIND_LABELS[kind]}",)
    labs = files.of_kind("labs")
    if not labs:
        raise InputError("none of the files holds lab results")
    dictionary = files.dictionary()
    result = merge_imports([import_labs(t, date_order=date_order, dictionary=dictionary) for t in labs])
    return LabImport(**{**result.__dict__, "notes": {**result.notes, **skipped}})


def import_dose_set(files: FileSet, date_order: str | None = None, strict: bool = False) -> DoseImport:
    """Import every injection record of the set. With ``strict``, any other kind of file is an
    error (as on the ``doses`` and ``phases`` command lines)."""
    if strict:
        for table, kind in zip(files.tables, files.kinds, strict=True):
            if kind != "doses":
                raise InputError(f"{table.name} looks like {KIND_LABELS[kind]}, not an injection record")
    records = files.of_kind("doses")
    if not records:
        raise InputError("none of the files is an injection record")
    return merge_doses([import_doses(t, date_order=date_order) for t in records])
