"""Linkage over the warehouse: read person_record, run (full or incremental), write link_* tables."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import duckdb
import pandas as pd

from joinedup.link import core
from joinedup.link.engine import db_api, release_work_connection, work_connection
from joinedup.link.features import FEATURE_COLUMNS, LINK_FIELDS, feature_table, features
from joinedup.link.judgements import live_judgements
from joinedup.state import default_state_url

SEP = "::"  # unique_id = source::source_record_id inside the model

DDL = """
CREATE TABLE IF NOT EXISTS link_run (
  run_id VARCHAR PRIMARY KEY, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, mode VARCHAR, engine VARCHAR,
  threshold DOUBLE, records BIGINT, new_records BIGINT, persons BIGINT, links BIGINT, seconds DOUBLE, timings VARCHAR);
CREATE TABLE IF NOT EXISTS link_model (run_id VARCHAR PRIMARY KEY, created_at TIMESTAMPTZ, settings_json VARCHAR);
"""


def uid(source: str, rid: str) -> str:
    """The model's unique id for a record."""
    return f"{source}{SEP}{rid}"


def _read_records(con: duckdb.DuckDBPyConnection, where: str = "") -> pd.DataFrame:
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record'").fetchall()}
    if not have:
        raise ValueError("the warehouse has no person_record table (run joinedup ingest first)")
    # only the linkage fields are read: protected fields never leave the warehouse for linkage
    cols = ["source", "source_record_id"] + [c for c in LINK_FIELDS if c in have]
    df = con.execute(f"SELECT {', '.join(cols)} FROM person_record {where}").df()
    df["source"] = df["source"].astype(str)
    df["source_record_id"] = df["source_record_id"].astype(str)
    df["unique_id"] = df["source"] + SEP + df["source_record_id"]
    return df


def _judged(state_url: str | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    if not state_url:
        return [], []
    same, not_same = live_judgements(state_url)
    conv = lambda pairs: [(uid(*a), uid(*b)) for a, b in pairs]  # noqa: E731
    return conv(same), conv(not_same)


def _write_results(con: duckdb.DuckDBPyConnection, run_id: str, persons: pd.DataFrame, pairs: pd.DataFrame,
                   feat: pd.DataFrame, threshold: float, replace: bool) -> None:
    p = persons[["source", "source_record_id", "person_id", "cluster_size", "match_probability"]].copy()
    p["run_id"] = run_id
    src = pairs["uid_l"].str.split(SEP, n=1, expand=True) if len(pairs) else pd.DataFrame({0: [], 1: []})
    dst = pairs["uid_r"].str.split(SEP, n=1, expand=True) if len(pairs) else pd.DataFrame({0: [], 1: []})
    pid = dict(zip(persons["unique_id"], persons["person_id"]))
    q = pd.DataFrame({
        "source_l": src[0].astype(str), "source_record_id_l": src[1].astype(str),
        "source_r": dst[0].astype(str), "source_record_id_r": dst[1].astype(str),
        "match_probability": pairs["match_probability"].astype(float), "match_weight": pairs["match_weight"].astype(float),
        "linked": [pid.get(a) == pid.get(b) and pr >= threshold for a, b, pr in zip(pairs["uid_l"], pairs["uid_r"], pairs["match_probability"])],
        "explanation": pairs["explanation"].astype(str), "run_id": run_id,
    })
    f = feat.copy()
    f["run_id"] = run_id
    con.register("__p", p)
    con.register("__q", q)
    con.register("__f", core.to_arrow(f))
    if replace:
        con.execute("CREATE OR REPLACE TABLE link_person AS SELECT * FROM __p")
        con.execute("CREATE OR REPLACE TABLE link_pair AS SELECT * FROM __q")
        # the comparison-ready records: the index "is this child known?" and incremental runs search
        con.execute("CREATE OR REPLACE TABLE link_record AS SELECT * FROM __f")
    else:
        con.execute("DELETE FROM link_person WHERE (source, source_record_id) IN (SELECT source, source_record_id FROM __p)")
        con.execute("INSERT INTO link_person SELECT * FROM __p")
        con.execute("INSERT INTO link_pair SELECT * FROM __q")
        con.execute("INSERT INTO link_record SELECT * FROM __f")
    for c in ("nhs_number", "fore_key", "sur_key", "dob", "postcode"):
        con.execute(f"CREATE INDEX IF NOT EXISTS ix_link_record_{c} ON link_record({c})")
    con.execute("CREATE INDEX IF NOT EXISTS ix_link_person_pid ON link_person(person_id)")
    for n in ("__p", "__q", "__f"):
        con.unregister(n)


def _records_sql(con: duckdb.DuckDBPyConnection, wh: str) -> str:
    """A subquery over person_record with unique_id and only the linkage fields (protected fields never leave)."""
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record' AND table_catalog = ?",
        [wh]).fetchall()}
    if not have:
        raise ValueError("the warehouse has no person_record table (run joinedup ingest first)")
    cols = [f'"{c}"' for c in LINK_FIELDS if c in have]
    return (f"(SELECT source::VARCHAR || '{SEP}' || source_record_id::VARCHAR AS unique_id, source::VARCHAR AS source, "
            f"source_record_id::VARCHAR AS source_record_id{''.join(', ' + c for c in cols)} FROM \"{wh}\".main.person_record)")


def _full_run(con: duckdb.DuckDBPyConnection, run_id: str, started: dt.datetime, *, engine: str, threshold: float,
              same: list[tuple[str, str]], not_same: list[tuple[str, str]]) -> dict[str, Any]:
    # Splink works in an in-memory catalog of the warehouse's own DuckDB instance: person_record is read and
    # link_* written by SQL, with no pandas frame of the records in between
    t0 = time.perf_counter()
    cur, mem, wh = work_connection(con)
    try:
        n = feature_table(cur, _records_sql(cur, wh), "link_input")
        if n == 0:
            raise ValueError("person_record is empty: nothing to link")
        tf = time.perf_counter() - t0
        api = db_api(engine, connection=cur if engine == "duckdb" else None)
        r = core.link_table(api, cur, "link_input", threshold=threshold, same=same, not_same=not_same)
        t1 = time.perf_counter()
        W = f'"{wh}".main'
        cur.execute(f"""CREATE OR REPLACE TABLE {W}.link_person AS SELECT source, source_record_id, person_id, cluster_size,
            match_probability, $run AS run_id FROM jl_persons""", {"run": run_id})
        cur.execute(f"""CREATE OR REPLACE TABLE {W}.link_pair AS SELECT pl.source AS source_l, pl.source_record_id AS source_record_id_l,
            pr.source AS source_r, pr.source_record_id AS source_record_id_r, e.match_probability, e.match_weight,
            (pl.person_id = pr.person_id AND e.match_probability >= $thr) AS linked, e.explanation, $run AS run_id
            FROM jl_pairs e JOIN jl_persons pl ON pl.unique_id = e.uid_l JOIN jl_persons pr ON pr.unique_id = e.uid_r""",
                    {"run": run_id, "thr": threshold})
        # the comparison-ready records: the index "is this child known?" and incremental runs search
        cur.execute(f"CREATE OR REPLACE TABLE {W}.link_record AS SELECT {', '.join(FEATURE_COLUMNS)}, $run AS run_id FROM link_input",
                    {"run": run_id})
        cur.execute(f"INSERT INTO {W}.link_model VALUES ($run, $at, $js)",
                    {"run": run_id, "at": started, "js": json.dumps(r["settings"])})
        t = {"features": tf, **r["timings"]}
        t["write"] = time.perf_counter() - t1
        t["total"] = time.perf_counter() - t0
    finally:
        release_work_connection(con, cur, mem)
    return {"records": n, "new_records": n, "timings": t}


def _tf_tables(con: duckdb.DuckDBPyConnection) -> None:
    # term frequencies for the match path (Splink's tf columns are relative frequencies)
    for c in ("forename", "surname"):
        con.execute(f"""CREATE OR REPLACE TABLE link_tf_{c} AS
            SELECT {c}, count(*)::DOUBLE / sum(count(*)) OVER () AS tf_{c}
            FROM link_record WHERE {c} IS NOT NULL GROUP BY {c}""")


def link_warehouse(db: str, *, engine: str = "duckdb", threshold: float = core.DEFAULT_THRESHOLD,
                   state_url: str | None = None, incremental: bool = False) -> dict[str, Any]:
    """Give every person_record a person_id; returns a summary (records, persons, links, seconds)."""
    t0 = time.perf_counter()
    started = dt.datetime.now(dt.timezone.utc)
    state_url = state_url or default_state_url(db)
    same, not_same = _judged(state_url)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    con = duckdb.connect(db)
    try:
        con.execute(DDL)
        has_base = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_record'").fetchall()[0][0] > 0
        if incremental and has_base:
            from joinedup.link.incremental import link_new

            summary = link_new(con, run_id, engine=engine, threshold=threshold, same=same, not_same=not_same)
            mode = "incremental"
        else:
            summary = _full_run(con, run_id, started, engine=engine, threshold=threshold, same=same, not_same=not_same)
            mode = "full"
        _tf_tables(con)
        # match_record finds a candidate's person by its record id (a full run replaces the table and its indexes)
        con.execute("CREATE INDEX IF NOT EXISTS ix_link_person_rid ON link_person(source_record_id)")
        persons = con.execute("SELECT count(DISTINCT person_id) FROM link_person").fetchall()[0][0]
        links = con.execute("SELECT count(*) FROM link_pair WHERE linked").fetchall()[0][0]
        total = con.execute("SELECT count(*) FROM link_person").fetchall()[0][0]
        secs = time.perf_counter() - t0
        con.execute("INSERT INTO link_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, started, dt.datetime.now(dt.timezone.utc), mode, engine, threshold, total,
                     summary["new_records"], persons, links, secs, json.dumps(summary.get("timings", {}))])
    finally:
        con.close()
    return {"run_id": run_id, "mode": mode, "records": total, "new_records": summary["new_records"],
            "persons": persons, "links": links, "run_time_seconds": round(secs, 3)}


def export_clusters(db: str, out: str) -> int:
    """Write source,source_record_id,person_id for every linked record; returns the row count."""
    con = duckdb.connect(db, read_only=True)
    try:
        df = con.execute("SELECT source, source_record_id, person_id FROM link_person ORDER BY source, source_record_id").df()
    finally:
        con.close()
    df.to_csv(out, index=False)
    return len(df)


def latest_model(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The settings (with trained m/u) of the newest full run."""
    rows = con.execute("SELECT settings_json FROM link_model ORDER BY created_at DESC LIMIT 1").fetchall()
    if not rows:
        raise ValueError("no linkage model in this warehouse yet: run joinedup link first")
    return json.loads(rows[0][0])


def record_features(records: pd.DataFrame) -> pd.DataFrame:
    """Feature rows for records given as a frame with source/source_record_id (used by match and incremental)."""
    records = records.copy()
    records["unique_id"] = records["source"].astype(str) + SEP + records["source_record_id"].astype(str)
    return features(records)
