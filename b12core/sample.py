"""The bundled synthetic sample patients (``data/sample/``), shown before anything is uploaded."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
# The patient shown on first start: pernicious anaemia with neurological symptoms (see README there).
DEFAULT_SAMPLE_FILES = ("uk_wide_labs_early.xlsx", "uk_wide_labs.csv", "uk_injections.xlsx")


def sample_files(names: tuple[str, ...] = DEFAULT_SAMPLE_FILES) -> list[tuple[str, bytes]]:
    """(name, bytes) of sample files, as if they had been uploaded."""
    return [(name, (SAMPLE_DIR / name).read_bytes()) for name in names]
