"""The national data standard: tables, fields and versioned code lists (data files, not code)."""

from joinedup.standard.model import (
    PROTECTED_FIELDS,
    CodeList,
    Field,
    Table,
    code_list,
    code_lists,
    legacy_map,
    standard,
    standard_version,
)

__all__ = [
    "PROTECTED_FIELDS",
    "CodeList",
    "Field",
    "Table",
    "code_list",
    "code_lists",
    "legacy_map",
    "standard",
    "standard_version",
]
