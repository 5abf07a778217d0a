"""Any standard table as it was known on a date: the contract every stage's `--as-of DATE` reads through.

"Known on D" means recorded by D, in the version that was current on D:
- a row's own recorded date (RECORDED_DATE; a crime link or outcome inherits its crime's report date)
  must be on or before D; a table with no date of its own (person_record) is not filtered by date;
- once deliveries keep history (`<table>_version` with valid_from / valid_to extract dates), the
  version valid on D is used, and a record withdrawn by D is gone. The *first* delivery of a source
  back-fills its history: a record's version in it stands for what the agency held since the record
  was recorded, even when it reached joinedup later. Records first delivered later, and later
  changes, count only from their extract date.
"""

from __future__ import annotations

from datetime import date

import duckdb

from joinedup.errors import UserError
from joinedup.warehouse.engine import has_table

# the column that says when the agency recorded a row (None: the table has no date of its own)
RECORDED_DATE: dict[str, str | None] = {
    "person_record": None,
    "event": "start_date",
    "crime": "coalesce(date_reported, date_committed)",
    "crime_person": None,  # inherits its crime's
    "outcome": "outcome_date",
}
KEY = ("source", "source_record_id")


def parse_as_of(value: str | date | None) -> date | None:
    """A --as-of value as a date (None passes through); a clear error for anything else."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UserError(f"--as-of {value!r} is not a date (use YYYY-MM-DD)") from None


def _versions(con: duckdb.DuckDBPyConnection, table: str, d: date) -> str:
    """The rows of `table` as versioned on `d` (current state when there is no history table)."""
    if not has_table(con, f"{table}_version"):
        return table
    cols = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' "
        "ORDER BY ordinal_position", [table]).fetchall()]
    sel = ", ".join(f'v."{c}"' for c in cols)
    lit = f"DATE '{d.isoformat()}'"
    # The version valid on d. A key's first version also stands for the time before its first
    # delivery when that was the source's first delivery (which back-fills the system's history); a
    # record that first arrived in a later delivery was not held before that delivery's date.
    return f"""(SELECT {sel} FROM (
        SELECT v.*, row_number() OVER (PARTITION BY v.source, v.source_record_id ORDER BY v.valid_from) AS __n,
               max(v.valid_from) FILTER (WHERE v.valid_from <= {lit}) OVER (PARTITION BY v.source, v.source_record_id) AS __cur,
               min(v.valid_from) OVER (PARTITION BY v.source) AS __first
        FROM {table}_version v) v
      WHERE (v.valid_from = v.__cur OR (v.__cur IS NULL AND v.__n = 1 AND v.valid_from = v.__first))
        AND (v.valid_to IS NULL OR v.valid_to > {lit}))"""


def as_of_sql(con: duckdb.DuckDBPyConnection, table: str, as_of: date | None) -> str:
    """SQL for use in FROM: `table` as known on `as_of` (the current table itself when as_of is None)."""
    if table not in RECORDED_DATE:
        raise ValueError(f"{table} is not a standard table")
    if as_of is None:
        return table
    lit = f"DATE '{as_of.isoformat()}'"
    rows = _versions(con, table, as_of)
    if table == "crime_person" or table == "outcome":
        crimes = as_of_sql(con, "crime", as_of)
        own = f" AND ({RECORDED_DATE[table]} IS NULL OR {RECORDED_DATE[table]} <= {lit})" if RECORDED_DATE[table] else ""
        return (f"(SELECT t.* FROM {rows} t WHERE EXISTS (SELECT 1 FROM {crimes} c WHERE c.source = t.source "
                f"AND c.source_record_id = t.crime_record_id){own})")
    col = RECORDED_DATE[table]
    if col is None:
        return rows if rows != table else f"(SELECT * FROM {table})"
    return f"(SELECT * FROM {rows} t WHERE {col} <= {lit})"


def earliest_record(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest recorded date in the warehouse (None when it holds no dated row)."""
    parts = [f"SELECT min({col}) FROM {t}" for t, col in RECORDED_DATE.items() if col and has_table(con, t)]
    if not parts:
        return None
    return con.execute(f"SELECT min(d) FROM ({' UNION ALL '.join(parts)}) x(d)").fetchall()[0][0]


def check_as_of(con: duckdb.DuckDBPyConnection, as_of: date | None) -> None:
    """Refuse an as-of date before anything was recorded, with a clear message."""
    if as_of is None:
        return
    first = earliest_record(con)
    if first is None or as_of < first:
        raise UserError(f"--as-of {as_of} is before any record in the warehouse"
                        + (f" (the earliest is {first})" if first else ""))
