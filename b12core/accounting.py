"""What every importer (labs, doses, symptom diaries) shares: per-row reasons and notes, rejected
rows with their raw cells, name counts, the per-file counts of the accounting identity
read = accepted + ignored + duplicates + rejected, and the merge of several files' imports.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from b12core.coded import Coded, small_codes
from b12core.errors import InputError
from b12core.read import RawFile, rows_of

NO_PATIENT_ID = "(no id in file)"
REJECTION_COLUMNS = ("source_file", "source_row", "reason", "raw")
COUNT_COLUMNS = ("source_file", "read", "accepted", "ignored", "duplicates", "rejected")
NAME_COUNT_COLUMNS = ("source_file", "name", "rows")


class RowNotes:
    """Per-row notes joined with ``; ``, kept as small integer codes per part until the end, so a
    note is written once per distinct combination rather than once per row."""

    def __init__(self, n: int) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []  # (codes per row, texts; 0 = no note)
        self.n = n

    def add(self, mask: np.ndarray, text: str) -> None:
        if mask.any():
            self.parts.append((mask.astype(np.uint8), np.array(["", text], dtype=object)))

    def add_coded(self, notes: Coded) -> None:
        """A note per row given as codes into texts ("" = no note)."""
        texts = np.append(notes.values.astype(object), "")
        if not (texts != "").any():
            return
        distinct, ids = np.unique(texts.astype(str), return_inverse=True)
        distinct = distinct.astype(object)
        empty = int(np.flatnonzero(distinct == "")[0])
        order = np.r_[empty, np.delete(np.arange(len(distinct)), empty)]  # 0 = no note
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[order] = np.arange(len(distinct))
        rank = rank.astype(np.min_scalar_type(len(distinct)))  # codes as small as the texts allow
        self.parts.append((rank[ids[:-1]][notes.codes], distinct[order]))

    def coded(self, positions: np.ndarray | None = None) -> Coded:
        """The joined notes of every row (or of the rows at ``positions``) as codes into the
        distinct joined texts."""
        n = self.n if positions is None else len(positions)
        parts = [(codes if positions is None else codes[positions], texts) for codes, texts in self.parts]
        if not parts:
            return Coded.constant(n)
        if np.prod([float(len(t)) for _, t in parts]) > 2.0**62:  # too many combinations for one integer
            return Coded.from_texts(join_notes([texts[codes] for codes, texts in parts], n))
        signature = np.zeros(n, dtype=np.int64)
        for codes, texts in parts:  # mixed radix: one integer per combination of notes
            signature = signature * len(texts) + codes.astype(np.int64)
        inverse, distinct = pd.factorize(signature)
        joined = []
        for sig in distinct:
            pieces = []
            for _codes, texts in reversed(parts):
                pieces.append(texts[sig % len(texts)])
                sig //= len(texts)
            joined.append("; ".join(p for p in reversed(pieces) if p))
        return Coded(small_codes(inverse, len(distinct)), np.array(joined, dtype=object))

    def strings(self) -> np.ndarray:
        """The joined notes of every row as texts (object array)."""
        return self.coded().texts()


def join_notes(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Per row, the non-empty texts of ``parts`` (object arrays of length ``n``) joined with ``; ``
    in the order given."""
    out = np.full(n, "", dtype=object)
    for part in parts:
        out = np.where(part == "", out, np.where(out == "", part, out + "; " + part))
    return out.astype(object)


class Reasons:
    """Why each row is rejected: the first problem found, as a code into the distinct reason texts
    (0 = no reason yet), so marking a million rows never builds a million strings."""

    def __init__(self, n: int) -> None:
        self.codes = np.zeros(n, dtype=np.int32)
        self.texts: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}

    def _id(self, text: str) -> int:
        if text not in self._ids:
            self._ids[text] = len(self.texts)
            self.texts.append(text)
        return self._ids[text]

    def ok(self) -> np.ndarray:
        """Per row: no problem recorded."""
        return self.codes == 0

    def fail(self, rows: np.ndarray, problem: str | Coded | np.ndarray) -> None:
        """Record ``problem`` for ``rows`` (a mask) that have no reason yet; the first problem wins.
        ``problem`` is one text for all of them, a coded text per row, or a text per row ("" for
        rows without a problem)."""
        if isinstance(problem, str):
            if problem:
                self.codes[rows & (self.codes == 0)] = self._id(problem)
            return
        open_rows = np.flatnonzero(rows & (self.codes == 0))
        if isinstance(problem, Coded):  # one text per distinct value, most of them "": named once each
            ids = np.zeros(len(problem.values), dtype=np.int32)
            named = np.flatnonzero(problem.values != "")  # only these are hashed (dates: 1M values, 2% named)
            value_codes, uniques = pd.factorize(pd.Series(problem.values[named], dtype=object).astype(str))
            ids[named] = np.array([self._id(t) for t in uniques], dtype=np.int32)[value_codes]
            per_row = ids[problem.codes[open_rows]]
        else:
            texts = problem[open_rows]
            hit = texts != ""
            open_rows, texts = open_rows[hit], texts[hit]
            codes, uniques = pd.factorize(pd.Series(texts, dtype=object))
            per_row = np.array([self._id(str(t)) for t in uniques], dtype=np.int32)[codes] if len(texts) \
                else np.zeros(0, dtype=np.int32)
        self.codes[open_rows] = per_row

    def text(self, positions: np.ndarray) -> pd.Series:
        """The reasons of some rows (0-based positions) as a ``str`` column."""
        return Coded(self.codes[positions], np.array(self.texts, dtype=object)).series()


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"), ("\b", "\\b"),
                 ("\f", "\\f"))
_OTHER_CONTROL = tuple(chr(c) for c in range(0x20) if chr(c) not in "\n\r\t\b\f")


def _json_strings(texts: pa.Array) -> pa.Array:
    """Texts as JSON string literals, quotes included, escaped as JSON requires ("/" left as is);
    a dictionary column is escaped once per distinct text."""
    if pa.types.is_dictionary(texts.type):
        return _json_strings(texts.dictionary).take(texts.indices)
    texts = texts.cast(pa.large_string())
    if _any_match(texts, r'["\\\x00-\x1f]'):  # most cells need no escape at all
        for old, new in _JSON_ESCAPES:
            texts = pc.replace_substring(texts, old, new)
        if _any_match(texts, r"[\x00-\x1f]"):
            for char in _OTHER_CONTROL:
                texts = pc.replace_substring(texts, char, f"\\u{ord(char):04x}")
    return pc.binary_join_element_wise(_text('"'), texts, _text('"'), _text(""))


def _any_match(texts: pa.Array, pattern: str) -> bool:
    return bool(len(texts)) and bool(pc.any(pc.match_substring_regex(texts, pattern)).as_py())


def _text(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _json_member(name: str, cells: pa.Array) -> pa.Array:
    """``"name":"cell"`` per row."""
    return pc.binary_join_element_wise(_text(json.dumps(name, ensure_ascii=False) + ":"), _json_strings(cells),
                                       _text(""))


def json_objects(members: list[pa.Array], n: int) -> pa.Array:
    """Per row, a JSON object of the ``members`` (from ``_json_member``; a null member is left out)."""
    if not members:
        return pa.repeat(_text("{}"), n)
    body = pc.binary_join_element_wise(*members, _text(","), null_handling="skip")
    return pc.binary_join_element_wise(_text("{"), body, _text("}"), _text(""))


def _own_cells(raw: RawFile, positions: np.ndarray, columns: np.ndarray, context: list[str]) -> pa.Array:
    """For a wide layout's records, the member of each record's own result column (null where that
    column is among the ``context`` columns or the record has none), taken column by column."""
    pieces, order = [], []
    for column in pd.unique(columns):
        mine = np.flatnonzero(columns == column)
        order.append(mine)
        if column in context or column not in raw.cells.column_names:
            pieces.append(pa.nulls(len(mine), pa.large_string()))
        else:
            pieces.append(_json_member(column, rows_of(raw.cells.column(column), positions[mine])))
    if not pieces:
        return pa.array([], type=pa.large_string())
    back = np.empty(len(positions), dtype=np.int64)
    back[np.concatenate(order)] = np.arange(len(positions))
    return pa.concat_arrays(pieces).take(pa.array(back))


def rejections_frame(raw: RawFile, rows: np.ndarray, reasons: pd.Series,
                     columns: np.ndarray | None = None, context: list[str] | None = None) -> pd.DataFrame:
    """Rejected rows (1-based ``rows``) with their reasons and raw cells as JSON, plus the rows the
    reader could not split. With ``columns`` (wide layouts) each row keeps only the ``context``
    columns and its own result cell. The JSON is built by Arrow, without a Python string per row."""
    positions = raw.positions(rows)
    names = raw.cells.column_names if columns is None else [c for c in dict.fromkeys(context or [])
                                                             if c in raw.cells.column_names]
    members = [_json_member(name, rows_of(raw.cells.column(name), positions)) for name in names]
    if columns is not None:
        members.append(_own_cells(raw, positions, columns, names))
    cells = json_objects(members, len(rows))
    frame = pd.DataFrame({"source_file": Coded.constant(len(rows), raw.name).series(),
                          "source_row": np.asarray(rows, np.int64),
                          "reason": reasons.reset_index(drop=True),
                          "raw": pd.Series(pd.arrays.ArrowStringArray(cells), dtype="str")})
    bad = pd.DataFrame([(raw.name, b.row, b.reason, json.dumps({"line": b.text}, ensure_ascii=False))
                        for b in raw.bad_rows], columns=list(REJECTION_COLUMNS))
    frame = pd.concat([frame, bad], ignore_index=True) if len(bad) else frame
    return frame.astype({"source_file": "str", "source_row": "int64", "reason": "str", "raw": "str"})


def mapped_cells(raw: RawFile, column: str | None) -> Coded:
    """The cells of ``column`` as a coded column, trimmed of the whitespace around them as pandas
    ``str.strip`` trims them (a quoted formula such as ``'=1+1`` stays as written); all "" when no
    column is given."""
    if not column:
        return Coded.constant(raw.cells.num_rows)
    return Coded.of_arrow(raw.column(column), unquote=False)


def coded_name_counts(source: str, names: Coded, rows: np.ndarray) -> pd.DataFrame:
    """How many of the ``rows`` (a mask) carry each name of a coded name column (unknown tests,
    untracked tests, other drugs), most first, counted on the codes."""
    counts = np.bincount(names.codes[rows], minlength=len(names.values))
    totals = pd.Series(counts, index=pd.Index(names.values.astype(str), dtype="str")).groupby(level=0, sort=False).sum()
    totals = totals[totals > 0].sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"source_file": source, "name": totals.index.astype("str"),
                         "rows": totals.to_numpy(dtype="int64")})


def counts_frame(raw: RawFile, records: int, accepted: np.ndarray, ignored: np.ndarray,
                 rejected: np.ndarray) -> pd.DataFrame:
    """The one-row count table of a file, before de-duplication (rows the reader could not split
    count as read and rejected)."""
    return pd.DataFrame([{"source_file": raw.name, "read": records + len(raw.bad_rows),
                          "accepted": int(accepted.sum()), "ignored": int(ignored.sum()), "duplicates": 0,
                          "rejected": int(rejected.sum()) + len(raw.bad_rows)}])


def drop_duplicates_counted(table: pd.DataFrame, counts: pd.DataFrame, dup: np.ndarray
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove duplicate rows and move them from ``accepted`` to ``duplicates`` of their own file."""
    counts = counts.groupby("source_file", sort=False, as_index=False).sum()
    if dup.any():
        dropped = table.loc[dup, "source_file"].value_counts()
        extra = counts["source_file"].map(dropped).fillna(0).astype("int64")
        counts["duplicates"] += extra
        counts["accepted"] -= extra
        table = table[~dup].reset_index(drop=True)
    return table, counts[list(COUNT_COLUMNS)]


Import = TypeVar("Import")


def merge_records(imports: Sequence[Import], records: str, repeats: Callable[[pd.DataFrame], np.ndarray],
                  order: Sequence[str] = ()) -> Import:
    """Combine imports of one kind (``LabImport``, ``DoseImport``, ``SymptomImport``; files in the
    order given): every table of theirs is stacked and every per-file mapping joined. A record of
    the ``records`` table that ``repeats`` one kept before it is dropped and counted as a duplicate
    of its own file; the records are then sorted by ``order`` (stable)."""
    if not imports:
        raise InputError("there are no imports to merge")
    merged: dict[str, object] = {}
    for part in dataclasses.fields(imports[0]):  # type: ignore[arg-type]
        values = [getattr(i, part.name) for i in imports]
        if isinstance(values[0], pd.DataFrame):
            merged[part.name] = pd.concat(values, ignore_index=True)
        elif isinstance(values[0], dict):
            merged[part.name] = {key: value for v in values for key, value in v.items()}
    table, merged["counts"] = drop_duplicates_counted(merged[records], merged["counts"], repeats(merged[records]))
    merged[records] = table.sort_values(list(order), kind="stable", ignore_index=True) if order else table
    return dataclasses.replace(imports[0], **merged)  # type: ignore[type-var]


def summary_line(counts: pd.DataFrame) -> str:
    """One line over all files: read, accepted, ignored, duplicates, rejected."""
    total = counts[list(COUNT_COLUMNS[1:])].sum()
    files = len(counts)
    return (f"{files} file{'s' if files != 1 else ''}: read {total['read']}, accepted {total['accepted']}, "
            f"ignored {total['ignored']}, duplicates {total['duplicates']}, rejected {total['rejected']}")


def top_names(names: pd.DataFrame, limit: int, width: int = 60) -> str:
    """``name (rows)`` for the most frequent names of a name-count table, largest first; each name
    on one line and at most ``width`` characters."""
    totals = names.groupby("name")["rows"].sum().sort_values(ascending=False)
    shown = ", ".join(f"{one_line(n, width)} ({r})" for n, r in totals.head(limit).items())
    return shown + (" …" if len(totals) > limit else "")


def one_line(text: str, width: int | None = None) -> str:
    """Text on one line (any line break or run of spaces becomes one space), cut to ``width``."""
    flat = " ".join(str(text).split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"
