"""Words for people: counts with the right plural, lists joined as a reader writes them.

Every text a clinician or patient reads that holds a count goes through ``counted``, so the
screen never says "1 results" or "1 days".
"""

from __future__ import annotations

from collections.abc import Iterable


def counted(n: float, singular: str, plural: str | None = None) -> str:
    """``n`` with its noun: ``counted(1, "day")`` -> ``"1 day"``, ``counted(3, "day")`` ->
    ``"3 days"``, ``counted(2, "entry", "entries")`` -> ``"2 entries"``. Whole numbers are written
    without a decimal point; the noun is singular for exactly one (and minus one)."""
    number = f"{n:,.0f}" if float(n).is_integer() else f"{n:g}"
    noun = singular if abs(float(n)) == 1 else (plural or f"{singular}s")
    return f"{number} {noun}"


def joined(items: Iterable[str], last: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``; one item as it is; none as ``""``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def every(n: float, unit: str) -> str:
    """``every(1, "month")`` -> ``"every month"``, ``every(3, "month")`` -> ``"every 3 months"``."""
    return f"every {unit}" if float(n) == 1 else f"every {counted(n, unit)}"
