"""Helpers shared by the tests of every stage (tests/ is on sys.path: `from helpers import rows`)."""

from __future__ import annotations

from pathlib import Path

import duckdb


def rows(db: str | Path, sql: str, params: list | dict | None = None) -> list[tuple]:
    """The rows a query returns on a warehouse file, opened read-only and closed again."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    finally:
        con.close()
