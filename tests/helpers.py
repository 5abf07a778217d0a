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


def move_to_late_delivery(con: duckdb.DuckDBPyConnection, record_ids: list[str], before, late) -> None:
    """Date every person-record file `before`, then move these F01-niche person records into a second file of that
    source extracted on `late`: a warehouse with two deliveries, for --as-of tests."""
    con.execute("UPDATE load_file SET extract_date = ? WHERE table_name = 'person_record'", [before])
    f = con.execute("SELECT * FROM load_file WHERE table_name = 'person_record' AND source = 'F01-niche'").fetchdf()
    f["file"], f["sha256"], f["extract_date"] = "F01-niche/late.csv", "late" * 16, late
    con.register("late_file", f)
    con.execute("INSERT INTO load_file SELECT * FROM late_file")
    con.execute("UPDATE person_record SET file = 'F01-niche/late.csv' WHERE source = 'F01-niche' AND source_record_id IN "
                "(SELECT unnest(?::VARCHAR[]))", [record_ids])


def late_delivery(db: str | Path, before, late, n: int = 40) -> set[str]:
    """Move the first `n` F01-niche person records into a second delivery extracted on `late`; their ids."""
    con = duckdb.connect(str(db))
    rids = [r[0] for r in con.execute("""SELECT source_record_id FROM person_record WHERE source = 'F01-niche'
                                         ORDER BY source_record_id LIMIT ?""", [n]).fetchall()]
    move_to_late_delivery(con, rids, before, late)
    con.close()
    return set(rids)
