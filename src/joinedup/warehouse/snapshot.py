"""A whole warehouse as known on a date, for readers that query tables by name (the web application, `match`).

`attach_as_of` fills the in-memory catalog of a connection that has the warehouse attached read-only: every
standard table as `as_of_sql` gives it on the date (copied once, so each query does not recompute the versions),
the linkage tables (`link_person`, `link_record`, `link_pair`) cut to the records held on that date, and a view
of every other table. After `USE memory`, a query that names `person_record` or `link_person` reads the warehouse
as it was. The clusters themselves are the last link run's: a person as of D is that run's cluster restricted to
the records held on D, and a record is matched on its linkage features from that run.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from joinedup.errors import UserError
from joinedup.warehouse.asof import RECORDED_DATE, as_of_sql, check_as_of, parse_as_of
from joinedup.warehouse.sql import ident

_KEYS = "memory.main.person_record"


def parse_past_date(value: str | dt.date | None, opt: str = "--as-of") -> dt.date | None:
    """An --as-of value as a date, refusing one that cannot be read or lies in the future (one line each)."""
    day = parse_as_of(value)
    if day is not None and day > dt.date.today():
        raise UserError(f"{opt} {day} is in the future: the warehouse cannot be read as of a day not yet come")
    return day


def _names(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
        "ORDER BY 1", [catalog]).fetchall()]


def attach_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date, catalog: str = "w") -> None:
    """Make `memory` read the attached `catalog` as known on `as_of` (then `USE memory`); bad dates are UserErrors."""
    con.execute(f"USE {ident(catalog)}")
    check_as_of(con, as_of)
    names = _names(con, catalog)
    # every SQL text first: as_of_sql looks tables up by name, and a copy in memory must not be seen yet
    standard = {t: as_of_sql(con, t, as_of) for t in RECORDED_DATE if t in names}
    for t, sql in standard.items():
        con.execute(f"CREATE TABLE memory.main.{ident(t)} AS SELECT * FROM {sql}")
    w = f"{ident(catalog)}.main"
    held = f"(source, source_record_id) IN (SELECT source, source_record_id FROM {_KEYS})"
    cut = {
        "link_person": f"SELECT * FROM {w}.link_person WHERE {held}",
        "link_record": f"SELECT * FROM {w}.link_record WHERE {held}",
        "link_pair": f"""SELECT * FROM {w}.link_pair WHERE (source_l, source_record_id_l) IN (SELECT source, source_record_id FROM {_KEYS})
                         AND (source_r, source_record_id_r) IN (SELECT source, source_record_id FROM {_KEYS})""",
    }
    for t, sql in cut.items():
        if t in names and "person_record" in standard:
            con.execute(f"CREATE TABLE memory.main.{ident(t)} AS {sql}")
    if "link_person" in names and "person_record" in standard:
        con.execute("CREATE INDEX ix_asof_link_person ON memory.main.link_person(source_record_id)")
    made = set(_names(con, "memory"))
    for t in names:
        if t not in made:
            con.execute(f"CREATE VIEW memory.main.{ident(t)} AS SELECT * FROM {w}.{ident(t)}")
    con.execute("USE memory")


def open_as_of(db: str, as_of: dt.date) -> duckdb.DuckDBPyConnection:
    """An in-memory connection reading the warehouse file as known on `as_of` (read-only)."""
    from joinedup.warehouse.sql import literal

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {literal(str(db))} AS w (READ_ONLY)")
    except duckdb.Error as e:
        con.close()
        raise UserError(f"--db {db}: cannot open the warehouse ({str(e).splitlines()[0][:160]})") from None
    try:
        attach_as_of(con, as_of)
    except BaseException:
        con.close()
        raise
    return con
