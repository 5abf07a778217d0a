"""SQL text written once: quoted identifiers and literals, for the few places DuckDB takes no parameter
(DDL, ATTACH, list literals spliced into generated comparison SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL string literal, or NULL for None."""
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def list_literal(values: Iterable[Any]) -> str:
    """A VARCHAR[] literal of the values."""
    return "[" + ", ".join(literal(v) for v in values) + "]::VARCHAR[]"
