"""'Is this child known?': rank known persons for one record, with probabilities and explanations."""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pandas as pd

from joinedup.link import model as mdl
from joinedup.link.features import features
from joinedup.link.scoring import score_between
from joinedup.link.warehouse import SEP, latest_model

MATCH_FIELDS = ("forename", "surname", "middle_names", "dob", "sex", "postcode", "address", "phones", "nhs_number", "aliases")
_L_COL = re.compile(r'l\."([a-z0-9_]+)"')
_R_COL = re.compile(r'r\."([a-z0-9_]+)"')


def _sql_literal(v: Any) -> str:
    if v is None:
        return "NULL"
    return "'" + str(v).replace("'", "''") + "'"


def candidate_sql(rules: list[str], q: dict[str, Any]) -> str | None:
    """The model's blocking rules with the query record's values in place of l.*: a WHERE over link_record."""
    parts = []
    for rule in rules:
        used = _L_COL.findall(rule)
        if any(q.get(c) is None for c in used):  # a rule on a field the query lacks can find nobody
            continue
        sql = _L_COL.sub(lambda m: _sql_literal(q.get(m[1])), rule)
        parts.append("(" + _R_COL.sub(lambda m: f'k."{m[1]}"', sql) + ")")
    return " OR ".join(parts) if parts else None


def match_record(db: str, *, limit: int = 10, min_probability: float = 0.01, con: duckdb.DuckDBPyConnection | None = None,
                 **fields: Any) -> list[dict[str, Any]]:
    """Known persons who may be this record, best first: person_id, probability, matching records and why."""
    unknown = set(fields) - set(MATCH_FIELDS)
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))}: use {', '.join(MATCH_FIELDS)}")
    if not any(fields.get(f) for f in MATCH_FIELDS):
        raise ValueError("give at least one field to match on")
    rec = {k: v for k, v in fields.items() if v not in (None, "")}
    if isinstance(rec.get("phones"), str):
        rec["phones"] = [rec["phones"]]
    rec.update(unique_id=f"query{SEP}1", source="query", source_record_id="1")
    q = features(pd.DataFrame([rec]))
    if rec.get("dob") and q.loc[0, "dob_year"] is None:
        raise ValueError(f"dob: cannot read {rec['dob']!r} as a date (use YYYY-MM-DD, DD/MM/YYYY or YYYYMMDD)")
    own = con is None
    con = con or duckdb.connect(db, read_only=True)
    try:
        settings = latest_model(con)
        qd = q.iloc[0].to_dict()
        where = candidate_sql(settings["blocking_rules_to_generate_predictions"] if isinstance(
            settings["blocking_rules_to_generate_predictions"][0], str) else
            [r["blocking_rule"] for r in settings["blocking_rules_to_generate_predictions"]], qd)
        if where is None:
            return []
        known = con.execute(f"SELECT * EXCLUDE (run_id) FROM link_record k WHERE {where} LIMIT 5000").df()
        if known.empty:
            return []
        tf = {c: con.execute(f"SELECT * FROM link_tf_{c}").df() for c in ("forename", "surname")}
        # tf tables restricted to the names in play keep the scoring query small
        names = {c: set(known[c].dropna()) | ({qd[c]} if qd.get(c) else set()) for c in ("forename", "surname")}
        tf = {c: d[d[c].isin(names[c])] for c, d in tf.items()}
        persons = con.execute(
            "SELECT source, source_record_id, person_id FROM link_person WHERE (source, source_record_id) IN "
            "(SELECT source, source_record_id FROM known)").df()
    finally:
        if own:
            con.close()
    # list columns come back from DuckDB as numpy arrays; the model wants plain lists
    for c in known.columns:
        if known[c].dtype == object and len(known) and hasattr(known[c].iloc[0], "tolist"):
            known[c] = [list(v) if v is not None else [] for v in known[c]]
    pairs = score_between(settings, q, known, tf, blocked=False, min_probability=min_probability)
    pid = {f"{s}{SEP}{r}": p for s, r, p in persons.itertuples(index=False)}
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
