"""`joinedup network`: build the graph, find groups, score them and store everything in the warehouse."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from joinedup.errors import UserError
from joinedup.network.edges import Weights, build_edges
from joinedup.network.groups import find_groups, group_settings
from joinedup.network.keypeople import key_people
from joinedup.network.priority import score_groups
from joinedup.network.tables import temp_table
from joinedup.warehouse import connect
from joinedup.warehouse.asof import as_of_sql, check_as_of, parse_as_of


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def require_linked(con: duckdb.DuckDBPyConnection, db: str | Path) -> str | None:
    """The latest linkage run id; a clear error when the warehouse was never linked."""
    has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_person'").fetchall()[0][0]
    if not has or not con.execute("SELECT count(*) FROM (SELECT 1 FROM link_person LIMIT 1)").fetchall()[0][0]:
        raise UserError(f"warehouse {db} was never linked: run `joinedup link --db {db}` first")
    return con.execute("SELECT max(run_id) FROM link_person").fetchall()[0][0]


def open_warehouse(db: str | Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open an existing warehouse file, with a one-line error when it is missing."""
    if not Path(db).exists():
        raise UserError(f"--db {db}: no such warehouse file")
    return connect(db, read_only=read_only)


def _group_id(suspects: list[str]) -> str:
    # stable across re-runs while the same suspects make up the group
    return "G-" + hashlib.sha1("|".join(sorted(suspects)).encode()).hexdigest()[:10]


def _first_detectable(edges: list[tuple[str, str, date | None]], roles: dict[str, str]) -> date | None:
    """The first date on which dated edges connect two suspects and a victim in one piece (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    count: dict[str, list[int]] = {}
    for a, b, d in sorted((e for e in edges if e[2] is not None), key=lambda e: e[2]):
        for x in (a, b):
            if x not in parent:
                find(x)
                count[x] = [int(roles.get(x) == "suspect"), int(roles.get(x) == "victim")]
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
            count[ra] = [count[ra][0] + count[rb][0], count[ra][1] + count[rb][1]]
        if count[ra][0] >= 2 and count[ra][1] >= 1:
            return d
    return None


# DuckDB's share of the machine's memory while this stage runs. The stage holds the graph in Python (igraph,
# dicts) beside DuckDB; with DuckDB's own default (80%) its buffers and the graph together took 18.9 GB at 10M person
# records; capped, DuckDB spills to disk instead (an 8 GB cap: peak 8.3 GB, 178 s against 173 s; docs/network.md).
DUCKDB_MEMORY = "40%"


def run_network(db: str | Path, as_of: str | date | None = None, linkage: bool = True,
                weights: Weights = Weights()) -> dict:
    """Build the association graph and groups for a linked warehouse; store them; return a summary."""
    d = parse_as_of(as_of)
    con = open_warehouse(db, read_only=False)
    try:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        link_run = require_linked(con, db)
        check_as_of(con, d)
        run_id = f"N{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        started = _now()
        timings: dict[str, float] = {}
        tick = time.perf_counter()

        def step(name: str) -> None:
            nonlocal tick
            now = time.perf_counter()
            timings[name] = round(now - tick, 2)
            tick = now

        build_edges(con, d, linkage=linkage, w=weights)
        step("edges")
        found = find_groups(con)
        step("groups")

        # a suspect of two groups (an earlier one he also belonged to: found.also) is a member of each
        rows = sorted([(p, k) for p, k in found.members.items()] + [(p, k) for p, ks in found.also.items() for k in ks])
        by_group: dict[int, list[str]] = defaultdict(list)
        for p, k in rows:
            by_group[k].append(p)
        gid: dict[int, str] = {}
        used: set[str] = set()
        for k, ps in sorted(by_group.items(), key=lambda kv: sorted(kv[1])):
            # a group left by a cut whose only suspects are the shared men (its own men known through its car or
            # phone) would hash like another such group: then its other men are hashed too
            g = _group_id([p for p in ps if found.roles[p] == "suspect"])
            gid[k] = g if g not in used else _group_id([p for p in ps if found.roles[p] != "victim"])
            used.add(gid[k])
        temp_table(con, "nw_m", {"person_id": "VARCHAR", "group_id": "VARCHAR", "role": "VARCHAR"},
                   [(p, gid[k], found.roles[p]) for p, k in rows])
        # the edges inside each group (both ends members of it)
        con.execute("""CREATE OR REPLACE TEMP TABLE nw_ge AS
            SELECT a.group_id, e.* FROM nw_edge e JOIN nw_m a ON a.person_id = e.person_a
            JOIN nw_m b ON b.person_id = e.person_b AND b.group_id = a.group_id""")
        kp = key_people(found, gid)
        temp_table(con, "nw_kp", {"person_id": "VARCHAR", "degree": "BIGINT", "betweenness": "DOUBLE",
                                  "other_groups": "BIGINT", "key_role": "VARCHAR"}, kp)
        step("key_people")

        con.execute("BEGIN TRANSACTION")
        for t in ("network_edge", "network_member", "network_group"):
            con.execute(f"DELETE FROM {t}")
        con.execute("""INSERT INTO network_edge (run_id, person_a, person_b, edge_type, weight, first_date, last_date,
                "pivot", provenance, n_sharing, known_date, crimes)
            SELECT ?, person_a, person_b, edge_type, weight, first_date, last_date, pv, provenance, n_sharing,
                   known_date, crimes FROM nw_edge""", [run_id])
        step("store_edges")
        _insert_members(con, run_id)
        step("members")
        _insert_groups(con, run_id, d, found.roles)
        step("groups_table")
        n_groups = con.execute("SELECT count(*) FROM network_group").fetchall()[0][0]
        n_edges = con.execute("SELECT count(*) FROM network_edge").fetchall()[0][0]
        n_persons = con.execute("SELECT count(DISTINCT person_id) FROM nw_rec").fetchall()[0][0]
        con.execute("INSERT INTO network_run VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, d, started, _now(), linkage, link_run, n_persons, n_edges, n_groups,
                     json.dumps({**weights.as_dict(), **group_settings()})])
        con.execute("COMMIT")
        out = summary(con, run_id)
        out["timings"] = timings
        return out
    finally:
        con.close()


def _insert_members(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    con.execute("""INSERT INTO network_member (run_id, group_id, person_id, role, first_seen, last_seen, evidence,
            provenance, reason, degree, betweenness, other_groups, key_role)
        WITH ends AS (
            SELECT group_id, person_a AS person_id, person_b AS other, * EXCLUDE (group_id, person_a, person_b) FROM nw_ge
            UNION ALL SELECT group_id, person_b, person_a, * EXCLUDE (group_id, person_a, person_b) FROM nw_ge),
        why AS (
            SELECT e.group_id, e.person_id, e.edge_type, count(DISTINCT e.other) AS n_people,
                   count(DISTINCT o.person_id) FILTER (WHERE o.role = 'suspect') AS n_suspects,
                   count(DISTINCT o.person_id) FILTER (WHERE o.role = 'victim') AS n_victims,
                   list_distinct(flatten(list(e.crimes))) AS crimes
            FROM ends e JOIN nw_m o ON o.person_id = e.other GROUP BY ALL)
        SELECT ?, m.group_id, m.person_id, m.role, min(e.first_date), max(coalesce(e.last_date, e.first_date)),
               len(list_distinct(flatten(list(e.provenance)))), list_sort(list_distinct(flatten(list(e.provenance)))),
               (SELECT string_agg(
                    CASE w.edge_type WHEN 'co_suspect' THEN 'co-suspect with ' WHEN 'suspect_victim' THEN
                        CASE WHEN m.role = 'suspect' THEN 'suspect of offences against ' ELSE 'victim of ' END
                      WHEN 'missing_with' THEN CASE WHEN m.role = 'suspect' THEN 'named in missing episodes of '
                        ELSE 'found with or named in missing episodes: ' END
                      ELSE replace(w.edge_type, '_', ' ') || ' with ' END || w.n_people || ' ' ||
                    CASE WHEN w.n_people = 1 THEN 'person' ELSE 'people' END ||
                    ' (' || w.n_suspects || ' suspect(s), ' || w.n_victims || ' victim(s))' ||
                    CASE WHEN len(w.crimes) > 0 THEN ' in ' || len(w.crimes) || ' crime(s)' ELSE '' END,
                    '; ' ORDER BY w.edge_type) FROM why w WHERE w.group_id = m.group_id AND w.person_id = m.person_id),
               k.degree, k.betweenness, k.other_groups, k.key_role
        FROM nw_m m JOIN ends e ON e.group_id = m.group_id AND e.person_id = m.person_id
        LEFT JOIN nw_kp k ON k.person_id = m.person_id
        GROUP BY m.group_id, m.person_id, m.role, k.degree, k.betweenness, k.other_groups, k.key_role""", [run_id])


def _insert_groups(con: duckdb.DuckDBPyConnection, run_id: str, as_of: date | None, roles: dict[str, str]) -> None:
    oc = as_of_sql(con, "outcome", as_of)
    # the crimes each group's records touch, with outcomes for its suspects
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_gc AS
        SELECT DISTINCT m.group_id, c.source, c.crime_record_id, c.org_code, c.offence_code, c.penetrative, c.act_date,
               c.known_date, c.person_id, c.person_record_id, m.role
        FROM nw_m m JOIN nw_cp c ON c.person_id = m.person_id
        WHERE EXISTS (SELECT 1 FROM nw_ge e WHERE e.group_id = m.group_id
                      AND list_contains(e.crimes, c.source || ':' || c.crime_record_id))""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE nw_go AS
        SELECT g.group_id, g.person_id, g.source, g.crime_record_id, o.outcome_type, o.outcome_date
        FROM nw_gc g JOIN {oc} o ON o.source = g.source AND o.crime_record_id = g.crime_record_id
          AND o.person_record_id = g.person_record_id
        WHERE g.role = 'suspect'""")
    # first detectable: per group, from its dated edges (the date the agencies recorded each)
    edges: dict[str, list] = defaultdict(list)
    for g, a, b, k in con.execute("SELECT group_id, person_a, person_b, known_date FROM nw_ge").fetchall():
        edges[g].append((a, b, k))
    detect = {g: _first_detectable(es, roles) for g, es in edges.items()}
    temp_table(con, "nw_fd", {"group_id": "VARCHAR", "first_detectable": "DATE"}, sorted(detect.items()))
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_g AS
        SELECT m.group_id,
               count(*) FILTER (WHERE m.role = 'suspect') AS n_suspects,
               count(*) FILTER (WHERE m.role = 'victim') AS n_victims,
               count(*) FILTER (WHERE m.role = 'associate') AS n_associates,
               (SELECT min(first_date) FROM nw_ge e WHERE e.group_id = m.group_id) AS first_seen,
               (SELECT max(coalesce(last_date, first_date)) FROM nw_ge e WHERE e.group_id = m.group_id) AS last_seen,
               any_value(fd.first_detectable) AS first_detectable,
               (SELECT min(outcome_date) FROM nw_go o WHERE o.group_id = m.group_id AND o.outcome_type = '1') AS first_charged,
               (SELECT list_sort(list_distinct(list(org_code))) FROM nw_gc c WHERE c.group_id = m.group_id) AS forces,
               (SELECT list_sort(list_distinct(list(r.org_code))) FROM nw_rec r JOIN nw_m x ON x.person_id = r.person_id
                 WHERE x.group_id = m.group_id) AS orgs,
               (SELECT list_sort(list_distinct(list(offence_code))) FROM nw_gc c WHERE c.group_id = m.group_id) AS offences,
               (SELECT list_sort(list_distinct(flatten(list(provenance)))) FROM nw_ge e WHERE e.group_id = m.group_id) AS provenance
        FROM nw_m m LEFT JOIN nw_fd fd ON fd.group_id = m.group_id GROUP BY m.group_id""")
    scores = score_groups(con, as_of)
    temp_table(con, "nw_ps", {"group_id": "VARCHAR", "priority": "DOUBLE", "reasons": "VARCHAR"}, scores)
    con.execute("""INSERT INTO network_group (run_id, as_of, group_id, n_suspects, n_victims, n_associates, first_seen,
            last_seen, first_detectable, first_charged, forces, orgs, offences, priority, priority_reasons, provenance)
        SELECT ?, ?, g.group_id, n_suspects, n_victims, n_associates, first_seen, last_seen, first_detectable,
               first_charged, forces, orgs, offences, p.priority, p.reasons, provenance
        FROM nw_g g JOIN nw_ps p USING (group_id)""", [run_id, as_of])


def summary(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict:
    """The stored run's summary: counts, groups by priority, first detectable against first charged."""
    run = con.execute("SELECT run_id, as_of, linkage, n_persons, n_edges, n_groups, started_at, finished_at "
                      "FROM network_run WHERE run_id = coalesce(?, (SELECT max(run_id) FROM network_run))",
                      [run_id]).fetchall()
    if not run:
        raise UserError("no network has been built in this warehouse: run `joinedup network --db FILE` first")
    rid, as_of, linkage, n_persons, n_edges, n_groups, t0, t1 = run[0]
    edges = dict(con.execute("SELECT edge_type, count(*) FROM network_edge GROUP BY 1 ORDER BY 1").fetchall())
    groups = [dict(zip(("group_id", "n_suspects", "n_victims", "first_detectable", "first_charged", "forces",
                        "priority"), r)) for r in con.execute(
        "SELECT group_id, n_suspects, n_victims, first_detectable, coalesce(CAST(first_charged AS VARCHAR), 'never'), "
        "forces, priority FROM network_group ORDER BY priority DESC, group_id").fetchall()]
    lead = con.execute("SELECT count(*) FILTER (WHERE first_charged IS NULL), "
                       "median(datediff('day', first_detectable, first_charged)) FROM network_group").fetchall()[0]
    return {"run_id": rid, "as_of": as_of, "linkage": linkage, "persons": n_persons, "edges": n_edges,
            "edges_by_type": edges, "groups": n_groups,
            "members": con.execute("SELECT count(*) FROM network_member").fetchall()[0][0],
            "cross_force_groups": sum(1 for g in groups if g["forces"] and len(g["forces"]) > 1),
            "never_charged_groups": lead[0], "median_days_detectable_to_charge": lead[1],
            "seconds": round((t1 - t0).total_seconds(), 2), "top_groups": groups[:10]}
