"""Linkage over the warehouse: read person_record, run (full or incremental), write the link_* tables."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import duckdb

from joinedup.link import core
from joinedup.link.engine import db_api, release_work_connection, work_connection
from joinedup.link.errors import LinkError
from joinedup.link.features import FEATURE_COLUMNS, feature_table
from joinedup.link.incremental import link_new
from joinedup.link.judgements import judged_since, live_judgements
from joinedup.link.store import (fields_hash_sql, linked_records, open_warehouse, pending_changes, records_sql,
                                 refresh_tf_tables, require_linked, uid)
from joinedup.state import default_state_url


def _judged(state_url: str | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if not state_url:
        return [], []
    same, not_same = live_judgements(state_url)
    conv = lambda pairs: [(uid(*a), uid(*b)) for a, b in pairs]  # noqa: E731
    return conv(same), conv(not_same)


def _full_run(con: duckdb.DuckDBPyConnection, run_id: str, started: dt.datetime, *, engine: str, threshold: float,
              same: list[tuple[str, str]], not_same: list[tuple[str, str]]) -> dict[str, Any]:
    # Splink works in an in-memory catalog of the warehouse's own DuckDB instance: person_record is read and
    # link_* written by SQL, with no pandas frame of the records in between
    t0 = time.perf_counter()
    cur, mem, wh = work_connection(con)
    try:
        n = feature_table(cur, records_sql(cur, wh), "link_input")
        if n == 0:
            raise LinkError("person_record is empty: nothing to link (run joinedup ingest first)")
        tf = time.perf_counter() - t0
        api = db_api(engine, connection=cur if engine == "duckdb" else None)
        r = core.link_table(api, cur, "link_input", threshold=threshold, same=same, not_same=not_same)
        t1 = time.perf_counter()
        W = f'"{wh}".main'
        _keep_person_ids(cur, f"{W}.link_person", "jl_persons")
        # one transaction: a run that fails while writing leaves the previous run's results whole
        cur.execute("BEGIN TRANSACTION")
        try:
            for t in ("link_person", "link_pair", "link_record"):
                cur.execute(f"DELETE FROM {W}.{t}")
            cur.execute(f"""INSERT INTO {W}.link_person BY NAME SELECT source, source_record_id, person_id, cluster_size,
                match_probability, $run AS run_id FROM jl_persons""", {"run": run_id})
            cur.execute(f"""INSERT INTO {W}.link_pair BY NAME SELECT pl.source AS source_l, pl.source_record_id AS source_record_id_l,
                pr.source AS source_r, pr.source_record_id AS source_record_id_r, e.match_probability, e.match_weight,
                (pl.person_id = pr.person_id AND e.match_probability >= $thr) AS linked, e.explanation, $run AS run_id
                FROM jl_pairs e JOIN jl_persons pl ON pl.unique_id = e.uid_l JOIN jl_persons pr ON pr.unique_id = e.uid_r""",
                        {"run": run_id, "thr": threshold})
            # the comparison-ready records: the index "is this child known?" and incremental runs search
            h = fields_hash_sql(cur, wh, alias="p")
            cur.execute(f"""INSERT INTO {W}.link_record BY NAME SELECT {', '.join('f.' + c for c in FEATURE_COLUMNS)},
                $run AS run_id, {h} AS fields_hash FROM link_input f
                JOIN {W}.person_record p ON p.source::VARCHAR = f.source AND p.source_record_id::VARCHAR = f.source_record_id""",
                        {"run": run_id})
            cur.execute(f"INSERT INTO {W}.link_model VALUES ($run, $at, $js)",
                        {"run": run_id, "at": started, "js": json.dumps(r["settings"])})
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        t = {"features": tf, **r["timings"]}
        t["write"] = time.perf_counter() - t1
        t["total"] = time.perf_counter() - t0
    finally:
        release_work_connection(con, cur, mem)
    return {"records": n, "new_records": n, "timings": t}


def _keep_person_ids(con: duckdb.DuckDBPyConnection, previous: str, persons: str) -> None:
    """Give each new cluster the person_id of the previous run's person it shares most records with, when that
    person shares most with it too, so a person_id survives when its cluster does (grown, shrunk or corrected)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __jl_keep AS
        WITH ov AS (SELECT p.person_id AS new, o.person_id AS old, count(*) AS n FROM {persons} p
                    JOIN {previous} o ON o.source = p.source AND o.source_record_id = p.source_record_id GROUP BY ALL),
        r AS (SELECT *, row_number() OVER (PARTITION BY old ORDER BY n DESC, new) AS by_old,
                        row_number() OVER (PARTITION BY new ORDER BY n DESC, old) AS by_new FROM ov)
        SELECT new, old FROM r WHERE by_old = 1 AND by_new = 1""")
    # a cluster split off another keeps its own fresh id, unless the other kept that very id: then one derived from it
    con.execute(f"""UPDATE {persons} SET person_id = coalesce(
            (SELECT old FROM __jl_keep k WHERE k.new = {persons}.person_id),
            CASE WHEN person_id IN (SELECT old FROM __jl_keep WHERE old <> new)
                 THEN 'P' || substr(sha1(person_id || chr(31) || 'split'), 1, 15) ELSE person_id END)""")
    con.execute("DROP TABLE __jl_keep")


# in "auto" mode, a delivery that adds, changes or withdraws more than this share of the linked records gets a
# full run (a new model and every cluster re-decided) rather than an incremental one
AUTO_FULL_SHARE = 0.1


def _auto_mode(con: duckdb.DuckDBPyConnection, state_url: str, threshold: float) -> tuple[bool, str]:
    """(incremental?, why) for a run that was not told which to do."""
    if not linked_records(con):
        return False, "never linked"
    last = con.execute("SELECT started_at, threshold FROM link_run ORDER BY started_at DESC LIMIT 1").fetchall()
    if not last or not con.execute("SELECT count(*) FROM link_model").fetchall()[0][0]:
        return False, "no saved model"
    if last[0][1] != threshold:
        return False, "the threshold changed"
    if judged_since(state_url, last[0][0]):
        return False, "judgements changed"
    new, changed, withdrawn = pending_changes(con)
    if new + changed + withdrawn > AUTO_FULL_SHARE * linked_records(con):
        return False, f"more than {AUTO_FULL_SHARE:.0%} of records new, changed or withdrawn"
    return True, "only what changed"


def link_warehouse(db: str, *, engine: str = "duckdb", threshold: float = core.DEFAULT_THRESHOLD,
                   state_url: str | None = None, incremental: bool | None = False) -> dict[str, Any]:
    """Give every person_record a person_id; returns a summary (records, persons, links, seconds).

    incremental: False a full run, True only what changed since the last run, None choose (see _auto_mode)."""
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc)
    con = open_warehouse(db)
    try:
        state_url = state_url or default_state_url(db)
        why = "asked"
        if incremental is None:
            incremental, why = _auto_mode(con, state_url, threshold)
        if incremental:
            require_linked(con, db)
        same, not_same = _judged(state_url)
        run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        if incremental:
            summary = link_new(con, run_id, engine=engine, threshold=threshold, same=same, not_same=not_same)
            mode = "incremental"
        else:
            summary = _full_run(con, run_id, started, engine=engine, threshold=threshold, same=same, not_same=not_same)
            mode = "full"
        refresh_tf_tables(con)
        persons = con.execute("SELECT count(DISTINCT person_id) FROM link_person").fetchall()[0][0]
        links = con.execute("SELECT count(*) FROM link_pair WHERE linked").fetchall()[0][0]
        total = linked_records(con)
        secs = time.perf_counter() - t0
        con.execute("INSERT INTO link_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, started, dt.datetime.now(dt.timezone.utc), mode, engine, threshold, total,
                     summary["new_records"], persons, links, secs, json.dumps(summary.get("timings", {}))])
    finally:
        con.close()
    return {"run_id": run_id, "mode": mode, "why": why, "records": total, "new_records": summary["new_records"],
            "changed_records": summary.get("changed_records", 0), "withdrawn_records": summary.get("withdrawn_records", 0),
            "persons": persons, "links": links, "run_time_seconds": round(secs, 3)}


def export_clusters(db: str, out: str) -> int:
    """Write source,source_record_id,person_id for every linked record; returns the row count."""
    con = open_warehouse(db, read_only=True)
    try:
        require_linked(con, db)
        df = con.execute("SELECT source, source_record_id, person_id FROM link_person ORDER BY source, source_record_id").df()
    finally:
        con.close()
    df.to_csv(out, index=False)
    return len(df)
