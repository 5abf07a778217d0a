"""Incremental linkage: new person records matched to existing persons without re-running the base."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from joinedup.link import cluster as clu
from joinedup.link import core
from joinedup.link.blocking import rule_texts
from joinedup.link.features import features
from joinedup.link.scoring import score_between
from joinedup.link.store import SEP, append_results, drop_stale, latest_model, read_records


def _known_candidates(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], feat: pd.DataFrame) -> pd.DataFrame:
    """The base records that some blocking rule pairs with a new record (found in SQL; Splink then scores only these)."""
    # each rule as a semi-join: DuckDB turns the equalities into a hash join on the few new records
    conds = ["EXISTS (SELECT 1 FROM __new l WHERE " + rule.replace('r."', 'k."') + ")" for rule in rule_texts(settings)]
    con.register("__new", core.to_arrow(feat))
    try:
        where = f"WHERE {' OR '.join(conds)}"
        # only these rows leave the warehouse, never the whole of link_record
        return con.execute(f"SELECT * EXCLUDE (run_id, fields_hash) FROM link_record k {where}").df()
    finally:
        con.unregister("__new")


def _persons_sharing_a_component(edges: list[tuple[str, str, float]], same: list[tuple[str, str]],
                                 threshold: float) -> list[tuple[str, str]]:
    """Every pair of existing persons that links (or "same" judgements) could bring into one component."""
    links = [(a, b) for a, b, p in edges if p >= threshold] + list(same)
    out = []
    for g in clu.component_groups((), links):
        known = sorted(n for n in g if n.startswith(f"person{SEP}"))
        out += [(a, b) for i, a in enumerate(known) for b in known[i + 1:]]
    return out


def _full_dobs(con: duckdb.DuckDBPyConnection, feat: pd.DataFrame, nodes: list[str]) -> dict[str, Any]:
    """Full dates of birth of the nodes (cluster.full_dob): a new record's own; an existing person's, every one his
    records hold. The date-of-birth guard of a full run, so that a new record without a full date does not join
    two persons, or new records, whose dates conflict."""
    out: dict[str, Any] = {}
    if "dob" in feat.columns:
        for u, d in zip(feat["unique_id"], feat["dob"]):
            fd = clu.full_dob(d if isinstance(d, str) else None)
            if fd:
                out[u] = fd
    prefix = f"person{SEP}"
    pids = [n[len(prefix):] for n in nodes if n.startswith(prefix)]
    if pids:
        con.register("__inc_pids", pa.table({"p": pids}))
        try:
            rows = con.execute("""SELECT lp.person_id, k.dob FROM link_person lp JOIN link_record k
                ON k.source = lp.source AND k.source_record_id = lp.source_record_id
                WHERE lp.person_id IN (SELECT p FROM __inc_pids) AND k.dob IS NOT NULL""").fetchall()
        finally:
            con.unregister("__inc_pids")
        held: dict[str, set[str]] = {}
        for p, d in rows:
            fd = clu.full_dob(d)
            if fd:
                held.setdefault(prefix + p, set()).add(fd)
        out.update(held)
    return out


def link_new(con: duckdb.DuckDBPyConnection, run_id: str, *, engine: str, threshold: float,
             same: list[tuple[str, str]], not_same: list[tuple[str, str]]) -> dict[str, Any]:
    """Score records not yet in link_record against the base with the saved model, then attach or create persons."""
    settings = latest_model(con)
    withdrawn, changed = drop_stale(con)
    new = read_records(con, "WHERE (source, source_record_id) NOT IN (SELECT source, source_record_id FROM link_record)")
    if new.empty:
        return {"new_records": 0, "changed_records": changed, "withdrawn_records": withdrawn}
    feat = features(new)
    known = _known_candidates(con, settings, feat)
    for c in known.columns:
        if known[c].dtype == object and len(known) and hasattr(known[c].dropna().iloc[0] if known[c].notna().any() else None, "tolist"):
            known[c] = [list(v) if v is not None else [] for v in known[c]]
    tf = {c: con.execute(f"SELECT * FROM link_tf_{c}").df() for c in ("forename", "surname")}
    pairs = score_between(settings, feat, known, tf, engine=engine, within_new=True)
    base = con.execute("SELECT source, source_record_id, person_id FROM link_person").df()
    base_pid = {f"{s}{SEP}{r}": p for s, r, p in base.itertuples(index=False)}
    # existing persons are fixed: each becomes one node, so a new record joins a person, never splits or
    # merges existing ones (that needs a full run, which re-applies every judgement)
    node = lambda u: f"person{SEP}{base_pid[u]}" if u in base_pid else u  # noqa: E731
    edges = [(node(a), node(b), p) for a, b, p in zip(pairs["uid_l"], pairs["uid_r"], pairs["match_probability"])]
    nodes = list(feat["unique_id"]) + sorted({e[1] for e in edges if e[1].startswith(f"person{SEP}")})
    ns = [(node(a), node(b)) for a, b in not_same]
    # two existing persons may not be merged by an incremental run
    sm = [(node(a), node(b)) for a, b in same]
    # ... but only persons that links could bring together need the constraint (all pairs of the persons in
    # play would be quadratic in them)
    ns += _persons_sharing_a_component(edges, sm, threshold)
    comps = clu.cluster(nodes, edges, threshold, [s for s in sm if s[0] in nodes or s[1] in nodes], ns,
                        dobs=_full_dobs(con, feat, nodes))
    key = dict(zip(feat["unique_id"], zip(feat["source"], feat["source_record_id"])))
    pid, size = {}, {}
    for c in comps:
        existing = [n for n in c if n.startswith(f"person{SEP}")]
        news = [n for n in c if not n.startswith(f"person{SEP}")]
        p = existing[0].split(SEP, 1)[1] if existing else clu.person_id(key[u] for u in news)
        for u in news:
            pid[u], size[u] = p, len(news)
    best: dict[str, float] = {}
    for (a, b, p), a_raw in zip(edges, pairs["uid_l"]):
        if a_raw in pid and (pid.get(b) == pid[a_raw] or b == f"person{SEP}{pid[a_raw]}"):
            best[a_raw] = max(best.get(a_raw, 0.0), p)
    persons = pd.DataFrame({
        "unique_id": feat["unique_id"], "source": feat["source"], "source_record_id": feat["source_record_id"],
        "person_id": [pid[u] for u in feat["unique_id"]], "cluster_size": [size[u] for u in feat["unique_id"]],
        "match_probability": [round(best.get(u, 1.0), 6) for u in feat["unique_id"]],
    })
    append_results(con, run_id, persons, pairs, feat, threshold)
    return {"new_records": len(feat) - changed, "changed_records": changed, "withdrawn_records": withdrawn}
