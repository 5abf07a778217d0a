"""'Is this child known?': rank known persons for one record, with probabilities and explanations."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import duckdb

from joinedup.link.blocking import rule_texts
from joinedup.link.core import pairs_frame
from joinedup.link.errors import LinkError, NotLinkedError
from joinedup.link.features import feature_row
from joinedup.link.search_index import SearchIndex
from joinedup.link.store import SEP, open_warehouse, require_linked
from joinedup.warehouse.sql import list_literal, literal

MATCH_FIELDS = ("forename", "surname", "middle_names", "dob", "sex", "postcode", "address", "phones", "nhs_number", "aliases")
_L_COL = re.compile(r'l\."([a-z0-9_]+)"')
_R_COL = re.compile(r'r\."([a-z0-9_]+)"')


def candidate_sql(rules: list[str], q: dict[str, Any]) -> str | None:
    """The model's blocking rules with the query record's values in place of l.*: a WHERE over link_record."""
    parts = []
    for rule in rules:
        used = _L_COL.findall(rule)
        if any(q.get(c) is None for c in used):  # a rule on a field the query lacks can find nobody
            continue
        sql = _L_COL.sub(lambda m: literal(q.get(m[1])), rule)
        parts.append("(" + _R_COL.sub(lambda m: f'k."{m[1]}"', sql) + ")")
    return " OR ".join(parts) if parts else None


_L_SIDE = re.compile(r'"([a-z0-9_]+)_l"')
_R_SIDE = re.compile(r'"([a-z0-9_]+)_r"')


def _lit(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return list_literal(v)
    return literal(v) + "::VARCHAR"


def scoring_sql(settings: dict[str, Any], q: dict[str, Any], where: str, max_candidates: int = 5000) -> str:
    """One SQL query scoring the query record against candidate rows of link_record with the saved m/u.

    The same level SQL Splink runs (from comparisons.COMPARISONS) is used with the query's values as literals, so
    a match here scores exactly as in a full run; it skips Splink's per-call pipeline set-up.
    Literals (quoted by warehouse.sql), not parameters: with parameters DuckDB cannot fold the query's side of each
    level, and the same lookups were about a third slower, against a latency target.
    """
    lam = settings["probability_two_random_records_match"]
    prior = math.log2(lam / (1 - lam))
    mw_cols, tf_joins = [], []
    for comp in settings["comparisons"]:
        name = comp["output_column_name"]
        cases, tf_case = [], None
        for lv in comp["comparison_levels"]:
            cond = _R_SIDE.sub(lambda m: f'k."{m[1]}"', _L_SIDE.sub(lambda m: _lit(q.get(m[1])), lv["sql_condition"]))
            m, u = lv.get("m_probability"), lv.get("u_probability")
            w = 0.0 if lv.get("is_null_level") or not (m and u) else math.log2(m / u)
            cases.append(f"ELSE {w!r}" if cond.strip().upper() == "ELSE" else f"WHEN {cond} THEN {w!r}")
            if lv.get("tf_adjustment_column") and u and not lv.get("is_null_level"):
                col = lv["tf_adjustment_column"]
                qtf = f"(SELECT tf_{col} FROM link_tf_{col} WHERE {col} = {_lit(q.get(col))})"
                # Splink's term-frequency adjustment: log2(u_exact / max(tf_l, tf_r)), on the exact level only
                tf_case = (f"CASE WHEN {cond} THEN log2({u!r} / greatest(coalesce({qtf}, 0), coalesce(tf_k_{col}.tf_{col}, 0), 1e-12)) "
                           f"* {lv.get('tf_adjustment_weight', 1.0)!r} ELSE 0 END")
                tf_joins.append(f"LEFT JOIN link_tf_{col} tf_k_{col} ON tf_k_{col}.{col} = k.{col}")
        if not any(c.startswith("ELSE") for c in cases):
            cases.append("ELSE 0.0")
        mw_cols.append(f"CASE {' '.join(cases)} END AS mw_{name}")
        mw_cols.append(f"{tf_case or '0.0'} AS mw_tf_adj_{name}")
    names = [c["output_column_name"] for c in settings["comparisons"]]
    total = " + ".join(f"mw_{n} + mw_tf_adj_{n}" for n in names)
    return (f"WITH c AS (SELECT * FROM link_record k WHERE {where} LIMIT {max_candidates}), "
            f"s AS (SELECT k.unique_id AS unique_id_r, {', '.join(mw_cols)} FROM c k {' '.join(tf_joins)}) "
            f"SELECT 'query{SEP}1' AS unique_id_l, *, {prior!r} + {total} AS match_weight, "
            f"pow(2, {prior!r} + {total}) / (1 + pow(2, {prior!r} + {total})) AS match_probability FROM s")


_MODELS: dict[tuple[str, str], dict[str, Any]] = {}


def _model(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, Any]:
    # the parsed model, cached per process by run: parsing the settings JSON each call costs milliseconds
    rows = con.execute("SELECT run_id FROM link_model ORDER BY created_at DESC LIMIT 1").fetchall()
    if not rows:
        raise NotLinkedError(db)
    key = (db, rows[0][0])
    if key not in _MODELS:
        settings = json.loads(con.execute("SELECT settings_json FROM link_model WHERE run_id = ?", [rows[0][0]]).fetchall()[0][0])
        _MODELS.clear()  # one warehouse's model at a time is plenty for a process
        _MODELS[key] = {"settings": settings, "rules": rule_texts(settings)}
    return _MODELS[key]


def match_record(db: str, *, limit: int = 10, min_probability: float = 0.01, con: duckdb.DuckDBPyConnection | None = None,
                 index: SearchIndex | None = None, **fields: Any) -> list[dict[str, Any]]:
    """Known persons who may be this record, best first: person_id, probability, matching records and why.

    With `index` (a SearchIndex built once from this warehouse, as the web server does) the same answer comes from
    memory in a few milliseconds; without it, from one SQL query over the warehouse (the CLI's one-off lookups).
    """
    unknown = set(fields) - set(MATCH_FIELDS)
    if unknown:
        raise LinkError(f"unknown field(s) {', '.join(sorted(unknown))}: use {', '.join(MATCH_FIELDS)}")
    if not any(fields.get(f) for f in MATCH_FIELDS):
        raise LinkError("give at least one field to match on")
    rec = {k: v for k, v in fields.items() if v not in (None, "")}
    if isinstance(rec.get("phones"), str):
        rec["phones"] = [rec["phones"]]
    rec.update(unique_id=f"query{SEP}1", source="query", source_record_id="1")
    qd = feature_row(rec)
    if rec.get("dob") and qd["dob_year"] is None:
        raise LinkError(f"dob: cannot read {rec['dob']!r} as a date (use YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD)")
    if index is not None:
        return index.match(qd, limit=limit, min_probability=min_probability)
    own = con is None
    con = con or open_warehouse(db, read_only=True)
    try:
        if own:
            require_linked(con, db)
        m = _model(con, db)
        settings = m["settings"]
        where = candidate_sql(m["rules"], qd)
        if where is None:
            return []
        pred = con.execute(scoring_sql(settings, qd, where)).df()
        pred = pred[pred["match_probability"] >= min_probability]
        if pred.empty:
            return []
        # the candidates' persons by an index lookup on source_record_id (a join of link_person with link_record
        # scanned both: a third of the call at 1M records)
        # (literals, not a list parameter: DuckDB uses the index only for an IN list of constants)
        rids = ", ".join(sorted({literal(str(u).split(SEP, 1)[1]) for u in pred["unique_id_r"]}))
        pid = {f"{s}{SEP}{r}": p for s, r, p in con.execute(
            f"SELECT source, source_record_id, person_id FROM link_person WHERE source_record_id IN ({rids})").fetchall()}
    finally:
        if own:
            con.close()
    pairs = pairs_frame(pred, settings)
    out: dict[str, dict[str, Any]] = {}
    for row in pairs.sort_values("match_probability", ascending=False).itertuples(index=False):
        p = pid.get(row.uid_r)
        if p is None:
            continue
        src, rid = row.uid_r.split(SEP, 1)
        e = out.setdefault(p, {"person_id": p, "match_probability": row.match_probability,
                               "match_weight": row.match_weight, "explanation": json.loads(row.explanation), "records": []})
        e["records"].append({"source": src, "source_record_id": rid, "match_probability": row.match_probability})
    return sorted(out.values(), key=lambda e: -e["match_probability"])[:limit]
