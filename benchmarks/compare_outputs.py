"""Compare b12core's ``labs`` Parquet with the DuckDB peer's, result by result.

Results are matched on (source_row, reported_name without surrounding spaces): one result per row
in a long file, one per filled test column in a wide file. Prints what only one side accepted and, per column, how many
matched results differ (floats within a relative 1e-9, once the peer's are rounded to the 6 significant
digits b12core keeps of a converted value).

Run: ``.venv/bin/python benchmarks/compare_outputs.py B12CORE.parquet DUCKDB.parquet``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from b12core.units import canonical

KEY = ["source_row", "name_key"]
COLUMNS = ("reported_name", "patient_id", "collected_at", "analyte", "value", "unit", "qualifier", "reported_value",
           "reported_unit", "reported_flag", "ref_low", "ref_high", "source_file")
FLOAT_COLUMNS = ("value", "ref_low", "ref_high")
RTOL = 1e-9
EXAMPLES = 3


def _differs(ours: pd.Series, peer: pd.Series, column: str) -> np.ndarray:
    if column in FLOAT_COLUMNS:
        a, b = ours.to_numpy(dtype="float64"), canonical(peer.to_numpy(dtype="float64"))
        return ~np.isclose(a, b, rtol=RTOL, atol=0.0, equal_nan=True)
    if column == "collected_at":
        a = pd.to_datetime(ours).astype("datetime64[ns]").to_numpy()
        b = pd.to_datetime(peer).astype("datetime64[ns]").to_numpy()
        return ~((a == b) | (np.isnat(a) & np.isnat(b)))
    return ours.astype("str").fillna("").to_numpy() != peer.astype("str").fillna("").to_numpy()


def compare(ours_path: Path, peer_path: Path) -> list[str]:
    """Lines describing every difference (a single line when the tables agree)."""
    ours, peer = (pd.read_parquet(p).assign(name_key=lambda d: d["reported_name"].str.strip())
                  for p in (ours_path, peer_path))
    both = ours.merge(peer, on=KEY, how="outer", suffixes=("_b12core", "_duckdb"), indicator=True)
    lines = []
    for side, label in (("left_only", "only b12core"), ("right_only", "only duckdb")):
        only = both[both["_merge"] == side]
        if len(only):
            shown = ", ".join(f"row {r} {n!r}" for r, n in only[KEY].head(EXAMPLES).itertuples(index=False))
            lines.append(f"{label} accepted {len(only):,} results (e.g. {shown})")
    matched = both[both["_merge"] == "both"]
    for column in COLUMNS:
        if f"{column}_b12core" not in matched or f"{column}_duckdb" not in matched:
            lines.append(f"column {column} missing from one output")
            continue
        ours_col, peer_col = matched[f"{column}_b12core"], matched[f"{column}_duckdb"]
        bad = _differs(ours_col, peer_col, column)
        if bad.any():
            examples = "; ".join(f"row {r}: {a!r} vs {b!r}" for r, a, b in zip(
                matched["source_row"][bad].head(EXAMPLES), ours_col[bad].head(EXAMPLES),
                peer_col[bad].head(EXAMPLES), strict=False))
            lines.append(f"{column}: {int(bad.sum()):,} of {len(matched):,} matched results differ ({examples})")
    head = f"b12core {len(ours):,} results, duckdb {len(peer):,}, matched {len(matched):,}"
    return [head + ("; identical in every compared column" if not lines else ":"), *lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ours", type=Path, metavar="B12CORE.parquet")
    parser.add_argument("peer", type=Path, metavar="DUCKDB.parquet")
    args = parser.parse_args()
    print("\n".join(compare(args.ours, args.peer)))


if __name__ == "__main__":
    main()
