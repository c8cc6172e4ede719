"""b12core: lab exports and injection records in, canonical tables and figures out.

Pure Python (no Streamlit). The flow is read -> map -> import -> merge; see ``../README.md``.
"""

from b12core.errors import DateOrderNeeded, InputError
from b12core.labs import LabImport, import_labs, merge_imports
from b12core.mapping import ColumnMapping, detect_kind, propose_mapping, read_dictionary
from b12core.read import RawFile, read_file, read_tables

__all__ = [
    "ColumnMapping", "DateOrderNeeded", "InputError", "LabImport", "RawFile", "detect_kind",
    "import_labs", "merge_imports", "propose_mapping", "read_dictionary", "read_file", "read_tables",
]
