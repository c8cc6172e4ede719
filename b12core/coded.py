"""Text columns as integer codes into their distinct values.

Lab exports repeat the same few texts (test names, units, dates of a collection, values) over
millions of rows. Every step works on the distinct texts once and maps the answer back through
the codes with numpy, so no step loops over rows in Python or builds per-row Python strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Coded:
    """A text column: ``values[codes[i]]`` is row ``i``; ``values`` are distinct texts.

    A column read with ``of_arrow(..., lazy=True)`` keeps its texts in Arrow (``arrow``) and makes
    the Python strings of ``values`` only if something asks for them: a column of nearly distinct
    texts (collection times to the minute) is parsed from Arrow without a Python string per row.
    """

    codes: np.ndarray  # integers (int64, or int32 straight from an Arrow dictionary)
    _values: np.ndarray | None = field(default=None, repr=False)  # object: see ``values``
    arrow: pa.Array | None = field(default=None, repr=False, compare=False)  # the texts in Arrow, if read so

    @property
    def values(self) -> np.ndarray:
        """The texts (object array; distinct, except in answers computed per combination)."""
        if self._values is None:
            object.__setattr__(self, "_values", self.arrow.to_numpy(zero_copy_only=False).astype(object, copy=False))
        return self._values

    @property
    def size(self) -> int:
        """How many texts there are (without making them Python strings)."""
        return len(self.arrow) if self._values is None else len(self._values)

    def arrow_texts(self) -> pa.Array:
        """The texts as an Arrow array."""
        return self.arrow if self.arrow is not None else pa.array(self._values, type=pa.large_string())

    @classmethod
    def of(cls, column: pd.Series, strip: bool = True) -> Coded:
        """Code a text column; with ``strip`` the texts are trimmed (rows then share codes)."""
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        coded = cls(codes.astype(np.int64), np.asarray(uniques, dtype=object))
        return coded.stripped() if strip else coded

    @classmethod
    def of_arrow(cls, column: pa.Array, strip: bool = True, lazy: bool = False, unquote: bool = True) -> Coded:
        """Code an Arrow text column (a dictionary column is used as it is: the reader already
        stored each distinct text once); with ``strip`` the texts are trimmed; with ``lazy`` they
        stay in Arrow until ``values`` is asked for. Without ``unquote`` trimming removes only the
        whitespace around a text, as pandas ``str.strip`` does, and a quote an export put before a
        formula character (``'=1+1``) is kept."""
        if not pa.types.is_dictionary(column.type):
            column = column.dictionary_encode()
        codes = column.indices.to_numpy(zero_copy_only=False)  # int32, shared with Arrow (read-only)
        if strip:
            return cls._with_texts(codes, column.dictionary, lazy, unquote)
        return cls._kept(codes, column.dictionary, lazy)

    @classmethod
    def _kept(cls, codes: np.ndarray, texts: pa.Array, lazy: bool) -> Coded:
        if lazy:
            return cls(codes, None, texts)
        return cls(codes, texts.to_numpy(zero_copy_only=False).astype(object, copy=False))

    @classmethod
    def _with_texts(cls, codes: np.ndarray, texts: pa.Array, lazy: bool = False, unquote: bool = True) -> Coded:
        """Codes into ``texts`` after trimming them (the codes are renumbered only when trimming
        made two texts equal; usually no text changes and nothing is renumbered)."""
        trimmed = pc.utf8_trim_whitespace(texts)
        if unquote:
            # A quote before = + - @ is how exports keep spreadsheets from running a cell as a formula
            # (b12core.export.safe_cell): read such a cell back as it was.
            trimmed = pc.replace_substring_regex(trimmed, r"^'([=+\-@\t\r])", r"\1")
        if pc.all(pc.equal(trimmed, texts)).as_py() is not False:
            return cls._kept(codes, texts, lazy)
        encoded = pc.dictionary_encode(trimmed)
        remap = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        return cls._kept(remap[codes] if len(codes) else codes, encoded.dictionary, lazy)

    def stripped(self) -> Coded:
        """The same column with every text trimmed (texts equal after trimming share one code)."""
        return self._with_texts(self.codes, pa.array(self.values, type=pa.string()))

    @classmethod
    def constant(cls, n: int, text: str = "") -> Coded:
        return cls(np.zeros(n, dtype=np.int64), np.array([text], dtype=object))

    @classmethod
    def from_texts(cls, texts: np.ndarray) -> Coded:
        """Code an array of texts (small arrays: names per column, units per pair)."""
        codes, uniques = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=False)
        return cls(codes.astype(np.int64), np.asarray(uniques, dtype=object))

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, positions: np.ndarray) -> Coded:
        """The rows at ``positions`` (integer positions, or a boolean mask of the rows); a column of
        one text stays one without copying codes."""
        positions = np.asarray(positions)
        if positions.dtype == bool:
            positions = np.flatnonzero(positions)
        if self.size == 1:
            return Coded(np.zeros(len(positions), dtype=self.codes.dtype), self._values, self.arrow)
        return Coded(self.codes[positions], self._values, self.arrow)

    def ordered(self) -> Coded:
        """The same column with its texts numbered in the order the rows first use them, texts no
        row uses left out: the codes and texts ``pd.factorize`` gives for the per-row texts, without a
        string per row (steps that sample distinct texts, such as the date reader, see them in the
        order of the file)."""
        codes, first = combine(self)
        return Coded(codes, self.values[self.codes[first]])

    def texts(self) -> np.ndarray:
        """Per-row texts (object array): for small results and messages only."""
        return self.values[self.codes]

    def per_value(self, answers: np.ndarray) -> np.ndarray:
        """An answer per distinct value, spread over the rows."""
        return np.asarray(answers)[self.codes]

    def empty(self) -> np.ndarray:
        """Per row: the text is empty."""
        return self.per_value(self.values == "")

    def series(self) -> pd.Series:
        """The texts as a pandas ``str`` column, taken from the distinct texts by Arrow without
        per-row Python strings."""
        if self.size == 1:  # one text: repeated by Arrow, no index per row
            texts = pa.repeat(self.arrow_texts().cast(pa.large_string())[0], len(self.codes))
        else:
            texts = self.arrow_texts().cast(pa.large_string()).take(pa.array(self.codes.astype(np.int32)))
        return pd.Series(pd.arrays.ArrowStringArray(texts), dtype="str")


def concat(parts: list[Coded]) -> Coded:
    """Rows of several coded columns one after another (dictionaries joined, codes shifted)."""
    if not parts:
        return Coded(np.zeros(0, dtype=np.int64), np.array([""], dtype=object))
    offsets = np.cumsum([0] + [p.size for p in parts[:-1]])
    size = int(offsets[-1]) + parts[-1].size
    return Coded(np.concatenate([small_codes(p.codes + o, size) for p, o in zip(parts, offsets, strict=True)]),
                 np.concatenate([p.values for p in parts]))


def _numbered(key: np.ndarray, size: int) -> tuple[np.ndarray, int]:
    """The keys (each below ``size``) renumbered 0.. over the distinct keys present. A key range up
    to a few times the rows is marked in a table, without hashing (the 1M-row wide export: 6M
    results in ~0.05 s against ~0.15 s for ``pd.factorize``); a wider one is hashed."""
    if size <= max(4 * len(key), 1 << 20):
        present = np.zeros(size, dtype=bool)
        present[key] = True
        number = np.cumsum(present, dtype=np.int64) - 1
        return number[key], int(number[-1]) + 1 if size else 0
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64, copy=False), len(uniques)


def small_codes(codes: np.ndarray, size: int) -> np.ndarray:
    """``codes`` into ``size`` texts as int32 when they fit (half the memory of int64 per row)."""
    return codes.astype(np.int32 if size < 2**31 else np.int64, copy=False)


def combine(*columns: Coded) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first): a code per row for each distinct combination of the columns' codes, and the
    first row of each combination, so that ``column.codes[first]`` is each combination's code in
    ``column``. Combinations are numbered in the order they first appear. An answer computed per
    combination is spread over the rows as ``answer[codes]``."""
    n = len(columns[0])
    key = np.zeros(n, dtype=np.int64)
    size = 1  # key < size
    for column in columns:  # one integer per combination: mixed radix over the columns' codes
        if column.size == 1:
            continue  # a constant column splits nothing
        if size * column.size >= 2**62:  # renumber the combinations so far before the key overflows
            key, size = _numbered(key, size)
        key = key * column.size + column.codes
        size *= column.size
    codes, size = _numbered(key, size)
    if n == 0:
        return codes, np.zeros(0, dtype=np.int64)
    first = np.empty(size, dtype=np.int64)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)  # the last write wins: the first row of each
    order = np.argsort(first, kind="stable")  # renumber by first appearance
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size)
    codes = rank[codes]
    first = first[order]
    return small_codes(codes, size), first


def joined(left: Coded, right: Coded, sep: str = " ") -> Coded:
    """Per row, the texts of two columns joined by ``sep`` and trimmed of surrounding whitespace
    (``Hydroxocobalamin`` and ``1 mg/mL``; a date and a time), joined by Arrow once per distinct
    pair. Pairs that join to one text share its code; texts are numbered in the order the rows
    first use them."""
    codes, first = combine(left, right)
    pairs = [column.arrow_texts().cast(pa.large_string()).take(pa.array(column.codes[first]))
             for column in (left, right)]
    texts = pc.utf8_trim_whitespace(pc.binary_join_element_wise(*pairs, pa.scalar(sep, pa.large_string())))
    encoded = pc.dictionary_encode(texts)
    remap = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    texts = encoded.dictionary.to_numpy(zero_copy_only=False).astype(object, copy=False)
    return Coded(small_codes(remap[codes], len(texts)), texts)
