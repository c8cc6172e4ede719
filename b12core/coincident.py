"""Results of one test taken at one time that differ: which one the summary and prompts use.

A patient in intensive care may have a haemoglobin from the blood gas analyser and one from the
laboratory's haematology analyser on one sample time, and they seldom agree. Results that agree
are one result (``labs.repeated``); results that differ are all kept and drawn. For the summary and
the review prompts one of them is used: the laboratory analyser's where the file tells them apart
by specimen or source (``reference/specimen_sources.csv``), else the first in the file. The
sentence of ``choose`` says which one and why, to be shown wherever that result is used.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from b12core.reference import specimen_phrases
from b12core.text import name_key

LABORATORY = "laboratory"
POINT_OF_CARE = "point_of_care"
UNKNOWN = ""
KINDS = (LABORATORY, POINT_OF_CARE)
_RANK = {LABORATORY: 0, UNKNOWN: 1, POINT_OF_CARE: 2}  # which result is used: the lowest rank, then the first
KEY = ["patient_id", "analyte", "collected_at"]
UNNAMED = "not named"  # a result of the group whose file names no specimen


@cache
def specimen_kind(text: str) -> str:
    """Where a specimen or source text says the result was measured: ``POINT_OF_CARE`` (a blood
    gas or other point-of-care analyser), ``LABORATORY``, or ``UNKNOWN`` ("Blood", "")."""
    words = f" {name_key(text)} "
    for kind in (POINT_OF_CARE, LABORATORY):  # "Blood Gas, Chemistry panel" is the blood gas analyser's
        if any(f" {phrase} " in words for phrase, k in specimen_phrases() if k == kind):
            return kind
    return UNKNOWN


def choose(labs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``labs`` (in its order): whether the result is the one used for its patient,
    analyte and collection time, and for a used result that had others at its time, the sentence
    that says which was used and why ("" for every other row). The order of ``labs`` is the
    files' order: "the first in the file" is the first of its group in it."""
    n = len(labs)
    used = np.ones(n, dtype=bool)
    choice = np.full(n, "", dtype=object)
    if n < 2:
        return used, choice
    shared = (labs.duplicated(KEY, keep=False) & labs["collected_at"].notna()).to_numpy()
    if not shared.any():  # the usual case: one result per test and time
        return used, choice
    specimen = labs["specimen"] if "specimen" in labs else pd.Series("", index=labs.index)
    rows = labs.loc[shared, KEY].assign(
        _pos=np.flatnonzero(shared), _specimen=specimen[shared].fillna("").astype(str).str.strip().to_numpy(),
        _file=labs.loc[shared, "source_file"].astype(str).to_numpy(), _row=labs.loc[shared, "source_row"].to_numpy())
    rows["_rank"] = rows["_specimen"].map(lambda s: _RANK[specimen_kind(s)])  # a few rows, each text once (cached)
    for _, group in rows.groupby(KEY, observed=True, sort=False):
        ordered = group.sort_values(["_rank", "_pos"], kind="stable")
        pick = ordered.iloc[0]
        used[group["_pos"].to_numpy()] = False
        used[pick["_pos"]] = True
        choice[pick["_pos"]] = _sentence(group, pick, told_apart=(ordered["_rank"].iloc[1:] > pick["_rank"]).all())
    return used, choice


def _sentence(group: pd.DataFrame, pick: pd.Series, told_apart: bool) -> str:
    """Which of the ``group`` (results at one time, in file order) is used, and why."""
    when = pick["collected_at"]
    at = f"at {when:%H:%M} on {when:%d %b %Y}" if when != when.normalize() else f"on {when:%d %b %Y}"
    named = group["_specimen"].tolist()
    listed = f" ({', '.join(s or UNNAMED for s in named)})" if any(named) else ""
    head = f"{len(group)} different results {at}{listed}"
    if told_apart and pick["_rank"] == _RANK[LABORATORY]:
        which = f": the laboratory analyser's ({pick['_specimen']}) is used"
    elif told_apart:
        which = ": the one not from a point-of-care or blood gas analyser is used"
    else:
        which = (", and the file does not say which came from the laboratory analyser: the first in the file "
                 f"({pick['_file']}, row {pick['_row']}) is used")
    drawn = "both are" if len(group) == 2 else f"all {len(group)} are"
    return f"{head}{which}; {drawn} on the figure."
