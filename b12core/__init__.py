"""b12core: lab exports and injection records in, canonical tables and figures out.

Pure Python (no Streamlit). The flow is read -> map -> import -> merge; see ``../README.md``.

The names below are imported on first use, so that a small part of the package (the workbook
reader's worker process, which needs neither pandas nor the importers) starts quickly.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "DateOrderNeeded": "b12core.errors", "InputError": "b12core.errors",
    "LabImport": "b12core.labs", "import_labs": "b12core.labs", "merge_imports": "b12core.labs",
    "ColumnMapping": "b12core.mapping", "detect_kind": "b12core.mapping",
    "propose_mapping": "b12core.mapping", "read_dictionary": "b12core.mapping",
    "RawFile": "b12core.read", "read_file": "b12core.read", "read_tables": "b12core.read",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'b12core' has no attribute {name!r}")
