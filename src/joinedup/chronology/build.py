"""Every record of a linked person from every agency, in date order, and who knew what when.

For each record: the agency, the organisation and the source record, the date it happened, the date the agency
recorded it, the date it reached joinedup (delivered), and the match probability of the link that put it on this
person's file. "Missed chances" are the moments two organisations of different agencies each held a concern
about the child that the other did not hold.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache
from importlib import resources

import duckdb

from joinedup.errors import UserError
from joinedup.warehouse.asof import as_of_sql
from joinedup.warehouse.sql import literal

# records that carry a concern about a child (routine contacts, e.g. an A&E visit, are listed but not counted)
CONCERN_HEALTH = ("SH", "STI", "EC", "PREG", "INTOX", "SHARM")
# a referral's source (CIN census codes) names the agency that passed its concern on: that pair did join up
REFERRER_AGENCY = {"2A": "education", "3A": "health", "3B": "health", "3D": "health", "5A": "csc", "6": "police"}


@lru_cache(maxsize=1)
def code_labels() -> dict[str, str]:
    """Event codes, offence codes and outcome types -> their labels, from the standard's code lists."""
    out: dict[str, str] = {}
    for name in ("event_type", "event_code", "offence", "outcome_type", "court_result", "referral_source"):
        try:
            with resources.files("joinedup.standard").joinpath(f"codes/{name}.csv").open(encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    out.setdefault(f"{name}:{r['code']}", r["label"])
        except FileNotFoundError:
            continue
    return out


def delivered_sql(con: duckdb.DuckDBPyConnection) -> str:
    """SQL (over alias lb) for the date a load reached joinedup: its extract date when known, else when it ran."""
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = 'load_batch'").fetchall()}
    if "extract_date" in cols:
        return "coalesce(lb.extract_date, lb.finished_at::DATE, lb.started_at::DATE)"
    return "coalesce(lb.finished_at::DATE, lb.started_at::DATE)"


def ensure_linked(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse that was never linked, in one line."""
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_person'").fetchall()[0][0]
    if not n or not con.execute("SELECT count(*) FROM (SELECT 1 FROM link_person LIMIT 1)").fetchall()[0][0]:
        raise UserError("the warehouse has not been linked yet: run `joinedup link --db FILE` first")


def unknown_person(pid: str) -> UserError:
    """The one-line error for a person_id linkage does not know, with the hint to search by name."""
    return UserError(f"no person {pid!r} in the linked warehouse; search by name with "
                     "`joinedup match --db FILE --forename ... --surname ... --dob ...`")


def _in(col: str, values) -> str:
    """` AND col IN (...)` with literals, so the scan filters (and skips row groups) before any join."""
    vals = sorted({v for v in values if v is not None})
    return f" AND {col} IN ({', '.join(literal(v) for v in vals)})" if vals else " AND false"


def load_entries(con: duckdb.DuckDBPyConnection, as_of: date | None, person_ids: list[str] | None) -> list[dict]:
    """The chronology entries of the given persons (every linked person when None), oldest first."""
    pr = as_of_sql(con, "person_record", as_of)
    ev = as_of_sql(con, "event", as_of)
    cr = as_of_sql(con, "crime", as_of)
    cp = as_of_sql(con, "crime_person", as_of)
    oc = as_of_sql(con, "outcome", as_of)
    dl = delivered_sql(con)
    if person_ids is None:
        con.execute("CREATE OR REPLACE TEMP TABLE __ch_lp AS SELECT source, source_record_id, person_id, "
                    "match_probability FROM link_person")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE __ch_lp AS SELECT source, source_record_id, person_id, "
                    f"match_probability FROM link_person WHERE true {_in('person_id', person_ids)}")
        found = set(_col(con, "__ch_lp", "person_id"))
        for pid in person_ids:
            if pid not in found:
                raise unknown_person(pid)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __ch_pr AS
        SELECT l.person_id, l.match_probability, p.source, p.source_record_id, p.agency_type, p.org_code, p.role,
               p.forename, p.surname, p.dob, p.load_id
        FROM __ch_lp l JOIN {pr} p ON p.source = l.source AND p.source_record_id = l.source_record_id
        {"" if person_ids is None else "WHERE true" + _in("p.source_record_id", _col(con, "__ch_lp", "source_record_id"))}""")
    fe = fc = fk = fo = ""
    if person_ids is not None:
        # for one person, filter each big table by literal ids first: a chronology at 1M records stays fast
        rids = _col(con, "__ch_pr", "source_record_id")
        fe, fc = _in("e.person_record_id", rids), _in("c.person_record_id", rids)
        crimes = [r[0] for r in con.execute(f"SELECT DISTINCT c.crime_record_id FROM {cp} c WHERE true{fc}").fetchall()]
        fk, fo = _in("k.source_record_id", crimes), _in("o.crime_record_id", crimes)
    end_cap = f"CASE WHEN e.end_date <= DATE '{as_of.isoformat()}' THEN e.end_date END" if as_of else "e.end_date"
    sql = f"""
        SELECT p.person_id, p.source, p.source_record_id AS person_record_id, p.agency_type, p.org_code,
               p.match_probability, 'event' AS kind, e.source_record_id AS record_id, e.event_type AS type,
               e.start_date AS happened, e.start_date AS recorded, {end_cap} AS end_date,
               coalesce(e.codes, []) AS codes, e.location, e.with_whom, e.referral_source, e.detail,
               NULL AS role, NULL AS offence_code, NULL::BOOLEAN AS cse_flag, NULL AS outcome_type,
               NULL AS charged_offence, NULL AS court_result, e.load_id
        FROM {ev} e JOIN __ch_pr p ON p.source = e.source AND p.source_record_id = e.person_record_id
        WHERE true{fe}
        UNION ALL
        SELECT p.person_id, p.source, p.source_record_id, p.agency_type, p.org_code, p.match_probability, 'crime',
               k.source_record_id, 'CRIME', coalesce(k.date_committed, k.date_reported), k.date_reported, NULL,
               [], k.location_postcode, NULL, NULL, NULL, c.role, k.offence_code, k.cse_flag, NULL, NULL, NULL, k.load_id
        FROM {cp} c JOIN __ch_pr p ON p.source = c.source AND p.source_record_id = c.person_record_id
        JOIN {cr} k ON k.source = c.source AND k.source_record_id = c.crime_record_id
        WHERE true{fc}{fk}
        UNION ALL
        SELECT p.person_id, p.source, p.source_record_id, p.agency_type, p.org_code, p.match_probability, 'outcome',
               o.source_record_id, 'OUTCOME', o.outcome_date, o.outcome_date, NULL, [], NULL, NULL, NULL,
               'crime ' || o.crime_record_id || CASE WHEN o.person_record_id <> p.source_record_id
                   THEN ' (outcome for another person on it)' ELSE '' END,
               c.role, k.offence_code, k.cse_flag, o.outcome_type, o.charged_offence, o.court_result, o.load_id
        FROM {cp} c JOIN __ch_pr p ON p.source = c.source AND p.source_record_id = c.person_record_id
        JOIN {oc} o ON o.source = c.source AND o.crime_record_id = c.crime_record_id
        JOIN {cr} k ON k.source = c.source AND k.source_record_id = c.crime_record_id
        WHERE o.outcome_date IS NOT NULL{fc}{fk}{fo}"""
    rows = con.execute(f"""SELECT x.*, {dl} AS delivered FROM ({sql}) x LEFT JOIN load_batch lb ON lb.load_id = x.load_id
        ORDER BY x.person_id, x.happened NULLS LAST, x.recorded, x.source, x.record_id""")
    names = [d[0] for d in rows.description]
    labels = code_labels()
    out = []
    for r in rows.fetchall():
        e = dict(zip(names, r))
        e.pop("load_id", None)
        e["summary"] = _summary(e, labels)
        e["concern"] = _is_concern(e)
        out.append(e)
    return out


def _col(con: duckdb.DuckDBPyConnection, table: str, col: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {table}").fetchall()]


def _summary(e: dict, labels: dict[str, str]) -> str:
    """One readable line for a practitioner."""
    if e["kind"] == "event":
        codes = ", ".join(labels.get(f"event_code:{c}", c) for c in e["codes"])
        bits = [labels.get(f"event_type:{e['type']}", e["type"])]
        if codes:
            bits.append(f"({codes})")
        if e["referral_source"]:
            bits.append(f"from {labels.get('referral_source:' + e['referral_source'], e['referral_source'])}")
        if e["with_whom"]:
            bits.append(f"with {e['with_whom']}")
        if e["location"]:
            bits.append(f"at {e['location']}")
        if e["end_date"]:
            bits.append(f"until {e['end_date']}")
        if e["detail"]:
            bits.append(f"- {e['detail']}")
        return " ".join(bits)
    off = labels.get(f"offence:{e['offence_code']}", e["offence_code"])
    if e["kind"] == "crime":
        return (f"Crime as {str(e['role']).lower()}: {off}" + (" [CSE flag]" if e["cse_flag"] else "")
                + (f", reported {e['recorded']}" if e["recorded"] != e["happened"] else ""))
    res = labels.get(f"outcome_type:{e['outcome_type']}", e["outcome_type"])
    txt = f"Outcome: {res}"
    if e["charged_offence"]:
        txt += f"; charged {labels.get('offence:' + e['charged_offence'], e['charged_offence'])}"
    if e["court_result"]:
        txt += f"; court {labels.get('court_result:' + e['court_result'], e['court_result'])}"
    return txt + f" ({e['detail']}, {off})"


def _is_concern(e: dict) -> bool:
    if e["kind"] == "outcome":
        return False  # the follow-up of a crime already on file, not a new concern
    if e["kind"] != "event":
        return e["offence_code"] != "OTHER" or bool(e["cse_flag"]) or e["role"] in ("VICTIM", "SUSPECT")
    if e["type"] == "HEALTH":
        return any(c in CONCERN_HEALTH for c in e["codes"])
    return True


def who_knew(entries: list[dict]) -> tuple[list[dict], list[dict]]:
    """For each date, the organisations holding a concern by then; and the missed chances to join up."""
    held: dict[str, list[dict]] = {}
    knowledge, missed, seen_pairs = [], [], set()
    for e in entries:
        if not e["concern"] or e["recorded"] is None:
            continue
        org = e["org_code"]
        if e["type"] == "REFERRAL" and REFERRER_AGENCY.get(e["referral_source"] or ""):
            # the referrer shared what it held with this organisation: not a missed chance between them
            seen_pairs.update(tuple(sorted((org, o))) for o, recs in held.items()
                              if recs[0]["agency_type"] == REFERRER_AGENCY[e["referral_source"]])
        first_here = org not in held
        held.setdefault(org, []).append(e)
        if first_here:
            knowledge.append({"date": e["recorded"], "organisations": sorted(held),
                              "agencies": sorted({x["agency_type"] for v in held.values() for x in v})})
            # every other organisation of a different agency already holding a concern: neither had the other's
            for other, recs in held.items():
                pair = tuple(sorted((org, other)))
                if other == org or pair in seen_pairs or recs[0]["agency_type"] == e["agency_type"]:
                    continue
                seen_pairs.add(pair)
                missed.append({"date": e["recorded"], "org_a": other, "agency_a": recs[0]["agency_type"],
                               "held_a": [f"{x['source']}:{x['record_id']}" for x in recs],
                               "org_b": org, "agency_b": e["agency_type"],
                               "held_b": [f"{e['source']}:{e['record_id']}"],
                               "text": f"{other} ({recs[0]['agency_type']}) held {len(recs)} concern record(s) since "
                                       f"{recs[0]['recorded']}; {org} ({e['agency_type']}) recorded "
                                       f"'{e['summary']}'. Neither held the other's."})
    return knowledge, missed


def chronology(con: duckdb.DuckDBPyConnection, person_id: str, as_of: date | None = None) -> dict:
    """One person's chronology: records, who knew what when, missed chances (JSON-able)."""
    ensure_linked(con)
    entries = load_entries(con, as_of, [person_id])
    return assemble(con, person_id, as_of, entries)


def assemble(con: duckdb.DuckDBPyConnection, person_id: str, as_of: date | None, entries: list[dict]) -> dict:
    """Put one person's entries together with their linked records and the who-knew-what analysis."""
    recs = con.execute("""SELECT source, source_record_id, agency_type, org_code, role, forename, surname, dob,
        match_probability FROM __ch_pr WHERE person_id = ? ORDER BY agency_type, source, source_record_id""",
                       [person_id]).fetchall()
    records = [dict(zip(("source", "source_record_id", "agency_type", "org_code", "role", "forename", "surname",
                         "dob", "match_probability"), r)) for r in recs]
    knowledge, missed = who_knew(entries)
    names = sorted({f"{r['forename'] or ''} {r['surname'] or ''}".strip() for r in records} - {""})
    dobs = sorted({r["dob"] for r in records if r["dob"]})
    return {"person_id": person_id, "as_of": as_of, "names": names, "dob": dobs,
            "agencies": sorted({r["agency_type"] for r in records}),
            "records": records, "entries": entries, "knowledge": knowledge, "missed_chances": missed}
