"""Linkage's tables in the warehouse: read the records to link, check a warehouse was linked, write results.

The tables themselves come from warehouse/migrations/0002_link.sql; this module only reads and writes rows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from joinedup.link import core
from joinedup.link.errors import LinkError, NotLinkedError
from joinedup.link.features import LINK_FIELDS
from joinedup.warehouse import WarehouseError, connect

SEP = "::"  # unique_id = source::source_record_id inside the model


def uid(source: str, rid: str) -> str:
    """The model's unique id for a record."""
    return f"{source}{SEP}{rid}"


def open_warehouse(db: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open an existing warehouse (never create one: a mistyped --db is refused)."""
    if not Path(db).is_file():
        raise WarehouseError(f"--db {db}: no such warehouse file")
    return connect(db, read_only=read_only)


def linked_records(con: duckdb.DuckDBPyConnection) -> int:
    """How many records the last link runs gave a person_id (0: never linked)."""
    return con.execute("SELECT count(*) FROM link_person").fetchall()[0][0]


def require_linked(con: duckdb.DuckDBPyConnection, db: str | Path | None = None) -> None:
    """Raise NotLinkedError unless link_person exists and holds rows."""
    has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_person'").fetchall()[0][0]
    if not has or not linked_records(con):
        raise NotLinkedError(str(db) if db is not None else None)


def records_sql(con: duckdb.DuckDBPyConnection, catalog: str | None = None, where: str = "") -> str:
    """A subquery over person_record with unique_id and only the linkage fields (protected fields never leave)."""
    cat = catalog or con.execute("SELECT current_database()").fetchall()[0][0]
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record' AND table_catalog = ?",
        [cat]).fetchall()}
    if not have:
        raise LinkError("the warehouse has no person_record table (run joinedup ingest first)")
    cols = [f'"{c}"' for c in LINK_FIELDS if c in have]
    return (f"(SELECT source::VARCHAR || '{SEP}' || source_record_id::VARCHAR AS unique_id, source::VARCHAR AS source, "
            f"source_record_id::VARCHAR AS source_record_id{''.join(', ' + c for c in cols)} "
            f"FROM \"{cat}\".main.person_record {where})")


def fields_hash_sql(con: duckdb.DuckDBPyConnection, catalog: str | None = None, alias: str = "") -> str:
    """SQL hashing a person_record row's linkage fields: it changes when any field linkage reads changes."""
    cat = catalog or con.execute("SELECT current_database()").fetchall()[0][0]
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record' AND table_catalog = ?",
        [cat]).fetchall()}
    a = f"{alias}." if alias else ""
    return "hash(" + ", ".join(f'{a}"{c}"' for c in LINK_FIELDS if c in have) + ")"


def pending_changes(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """Records new, changed and withdrawn since the last link run: (new, changed, withdrawn)."""
    h = fields_hash_sql(con, alias="p")
    return tuple(con.execute(f"""SELECT count(*) FILTER (WHERE k.source IS NULL),
            count(*) FILTER (WHERE k.source IS NOT NULL AND p.source IS NOT NULL AND k.fields_hash IS DISTINCT FROM {h}),
            count(*) FILTER (WHERE p.source IS NULL)
        FROM link_record k FULL JOIN person_record p USING (source, source_record_id)""").fetchall()[0])


def drop_stale(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Take records withdrawn from person_record, or whose linkage fields changed, out of the link tables.

    Returns (withdrawn, changed). A changed record is then linked again as a new one; the persons that lose
    members keep their person_id."""
    h = fields_hash_sql(con, alias="p")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __jl_stale AS
        SELECT k.source, k.source_record_id, p.source IS NULL AS withdrawn
        FROM link_record k LEFT JOIN person_record p USING (source, source_record_id)
        WHERE p.source IS NULL OR k.fields_hash IS DISTINCT FROM {h}""")
    withdrawn, changed = con.execute(
        "SELECT count(*) FILTER (WHERE withdrawn), count(*) FILTER (WHERE NOT withdrawn) FROM __jl_stale").fetchall()[0]
    if withdrawn or changed:
        con.execute("DELETE FROM link_record WHERE (source, source_record_id) IN (SELECT source, source_record_id FROM __jl_stale)")
        con.execute("DELETE FROM link_person WHERE (source, source_record_id) IN (SELECT source, source_record_id FROM __jl_stale)")
        con.execute("""DELETE FROM link_pair WHERE (source_l, source_record_id_l) IN (SELECT source, source_record_id FROM __jl_stale)
            OR (source_r, source_record_id_r) IN (SELECT source, source_record_id FROM __jl_stale)""")
        con.execute("""UPDATE link_person SET cluster_size = s.n FROM
            (SELECT person_id, count(*) AS n FROM link_person GROUP BY person_id) s WHERE link_person.person_id = s.person_id""")
    con.execute("DROP TABLE __jl_stale")
    return withdrawn, changed


def read_records(con: duckdb.DuckDBPyConnection, where: str = "") -> pd.DataFrame:
    """The linkage fields of person_record (optionally filtered) as a frame with unique_id."""
    return con.execute(f"SELECT * FROM {records_sql(con, where=where)}").df()


def latest_model(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The settings (with trained m/u) of the newest full run."""
    rows = con.execute("SELECT settings_json FROM link_model ORDER BY created_at DESC LIMIT 1").fetchall()
    if not rows:
        raise NotLinkedError()
    return json.loads(rows[0][0])


def append_results(con: duckdb.DuckDBPyConnection, run_id: str, persons: pd.DataFrame, pairs: pd.DataFrame,
                   feat: pd.DataFrame, threshold: float) -> None:
    """Add an incremental run's persons, pairs and feature rows to link_person, link_pair and link_record."""
    con.register("__p", persons[["source", "source_record_id", "person_id", "cluster_size", "match_probability"]])
    con.register("__q", pairs[["uid_l", "uid_r", "match_probability", "match_weight", "explanation"]])
    con.register("__f", core.to_arrow(feat))
    try:
        con.execute("DELETE FROM link_person WHERE (source, source_record_id) IN (SELECT source, source_record_id FROM __p)")
        con.execute("INSERT INTO link_person BY NAME SELECT *, $run AS run_id FROM __p", {"run": run_id})
        # split the model's ids back into (source, record id); "linked" is set once every person_id is known
        con.execute(f"""INSERT INTO link_pair BY NAME SELECT
                split_part(uid_l, '{SEP}', 1) AS source_l, substr(uid_l, strpos(uid_l, '{SEP}') + {len(SEP)}) AS source_record_id_l,
                split_part(uid_r, '{SEP}', 1) AS source_r, substr(uid_r, strpos(uid_r, '{SEP}') + {len(SEP)}) AS source_record_id_r,
                match_probability::DOUBLE AS match_probability, match_weight::DOUBLE AS match_weight, FALSE AS linked,
                explanation, $run AS run_id FROM __q""", {"run": run_id})
        con.execute(f"""INSERT INTO link_record BY NAME SELECT f.*, $run AS run_id, {fields_hash_sql(con, alias='p')} AS fields_hash
            FROM __f f JOIN person_record p USING (source, source_record_id)""", {"run": run_id})
    finally:
        for n in ("__p", "__q", "__f"):
            con.unregister(n)
    # cluster sizes of persons that grew, and links to known records (whose person_id came from the base)
    con.execute("""UPDATE link_person SET cluster_size = s.n FROM
        (SELECT person_id, count(*) AS n FROM link_person GROUP BY person_id) s WHERE link_person.person_id = s.person_id""")
    con.execute("""UPDATE link_pair SET linked = TRUE WHERE run_id = $run AND match_probability >= $thr
        AND (SELECT person_id FROM link_person a WHERE a.source = link_pair.source_l AND a.source_record_id = link_pair.source_record_id_l)
          = (SELECT person_id FROM link_person b WHERE b.source = link_pair.source_r AND b.source_record_id = link_pair.source_record_id_r)""",
                {"run": run_id, "thr": threshold})


def refresh_tf_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the name term frequencies from link_record (the match path reads them)."""
    for c in ("forename", "surname"):
        con.execute(f"DELETE FROM link_tf_{c}")
        con.execute(f"""INSERT INTO link_tf_{c} SELECT {c}, count(*)::DOUBLE / sum(count(*)) OVER () AS tf_{c}
            FROM link_record WHERE {c} IS NOT NULL GROUP BY {c}""")
