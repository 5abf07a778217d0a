"""The warehouse: a DuckDB file by default, with a schema version and ordered migrations."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import duckdb

from joinedup.errors import UserError
from joinedup.warehouse.sql import literal

ENGINES = ("duckdb", "spark")
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class WarehouseError(UserError):
    """A warehouse problem a user can act on (bad path, newer schema, failed SQL)."""


def migrations() -> list[tuple[int, str, str]]:
    """Every migration shipped with joinedup as (version, name, sql), in order."""
    found = []
    for entry in resources.files("joinedup.warehouse").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open warehouse (0 when it has none yet)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration the warehouse lacks, each in its own transaction; return the version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    current = schema_version(con)
    shipped = migrations()
    latest = shipped[-1][0] if shipped else 0
    if current > latest:
        raise WarehouseError(
            f"warehouse schema version {current} is newer than this joinedup ({latest}); upgrade joinedup"
        )
    for version, name, sql in shipped:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [version, name, datetime.now(timezone.utc).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return schema_version(con)


# a DuckDB database file has these bytes at offset 8 (its header); see check_is_warehouse
_DUCKDB_MAGIC = b"DUCK"
# never let the warehouse reach the network: DuckDB would download the sqlite extension to open a SQLite file.
# Set after connecting, not as connect()'s config: a process that already holds a plain connection to the same
# file (another stage, a notebook) could not open a second one with a different configuration.
_NO_DOWNLOADS = "SET autoinstall_known_extensions = false"


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the warehouse's main schema has this table (or view)."""
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'",
                            [name]).fetchall()[0][0])


def has_rows(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the table exists and holds at least one row (a stage that never ran leaves it absent or empty)."""
    return has_table(con, name) and bool(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT 1)").fetchall()[0][0])


def run_data_date(alias: str = "") -> str:
    """SQL for a stage run's data date: its as-of date, or (a run on the current data) the day it ran."""
    a = f"{alias}." if alias else ""
    return f"coalesce({a}as_of, CAST({a}finished_at AS DATE), CAST({a}started_at AS DATE))"


def check_is_warehouse(p: Path) -> None:
    """Raise WarehouseError if p exists, is not empty and is not a DuckDB database file."""
    if not p.exists() or p.is_dir():
        if p.is_dir():
            raise WarehouseError(f"{p} is a folder, not a warehouse file")
        return
    with p.open("rb") as f:
        head = f.read(16)
    if head and head[8:12] != _DUCKDB_MAGIC:
        kind = "a SQLite database" if head.startswith(b"SQLite format 3") else "not a DuckDB file"
        raise WarehouseError(f"{p} is not a joinedup warehouse ({kind})")


def connect(path: str | Path, *, read_only: bool = False, row_group_size: int | None = None,
            into: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a warehouse file and bring its schema up to date.

    row_group_size: rows per row group written through this connection (DuckDB's default,
    122,880, when None); the file is then attached, as catalog `warehouse`, to an in-memory instance:
    `into` (a connection of one already open) or a new one.
    """
    p = Path(path)
    if read_only and not p.exists():
        raise WarehouseError(f"no warehouse at {p}")
    if not read_only and p.parent and not p.parent.exists():
        raise WarehouseError(f"folder {p.parent} does not exist")
    check_is_warehouse(p)
    try:
        if row_group_size is None and into is None:
            con = duckdb.connect(str(p), read_only=read_only)
            con.execute(_NO_DOWNLOADS)
        else:
            # DuckDB takes the row group size only as an option of ATTACH.
            con = into if into is not None else duckdb.connect()
            con.execute(_NO_DOWNLOADS)
            quoted = literal(str(p))
            opts = [f"ROW_GROUP_SIZE {int(row_group_size)}"] if row_group_size else []
            opts += ["READ_ONLY"] if read_only else []
            con.execute(f"ATTACH {quoted} AS warehouse{' (' + ', '.join(opts) + ')' if opts else ''}")
            con.execute("USE warehouse")
    except duckdb.Error as e:
        raise WarehouseError(f"cannot open warehouse {p}: {str(e).splitlines()[0]}") from None
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        migrate(con)
    return con


def transpile(sql: str, engine: str = "duckdb") -> str:
    """Our SQL (written in DuckDB's dialect) for another engine, via SQLGlot."""
    if engine not in ENGINES:
        raise WarehouseError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "duckdb":
        return sql
    import sqlglot  # only here: importing it costs every command about 0.05 s of start-up

    return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=engine))
