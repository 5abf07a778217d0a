"""The groups list and group pages' data, from the network stage's tables (docs/network.md), shaped per role."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from joinedup.web.access import Principal
from joinedup.web.data import Warehouse
from joinedup.web.data_pages import Shaper
from joinedup.web.stage_runs import explain, stage_run

GROUP_ID = re.compile(r"^G-[0-9a-f]{6,40}$")
SORTS = {  # ?sort= -> (key, descending)
    "priority": ("priority", True), "victims": ("n_victims", True), "suspects": ("n_suspects", True),
    "last-seen": ("last_seen", True), "first-detectable": ("first_detectable", False), "gap": ("gap_days", True),
}
EDGE_WORDS = {"co_suspect": "co-suspects in a crime", "suspect_victim": "suspect and victim of a crime",
              "missing_with": "named in a missing episode", "shared_phone": "shared phone",
              "shared_vehicle": "shared vehicle", "shared_address": "shared address", "alias": "shared street name",
              "associate": "recorded associate"}


class NoSuchGroup(Exception):
    """The group id is not in the latest network run (404)."""


def network_run(wh: Warehouse) -> dict[str, Any] | None:
    """The network run this server may show (stage_runs.stage_run: under --as-of, one on data as of that date or
    before), or None."""
    return stage_run(wh, "network")


def not_landed(wh: Warehouse, **fields: Any) -> dict[str, Any]:
    """What a groups page or API route returns when there is no network run to show, and why."""
    return {"landed": False, **fields, **explain(wh, "network")}


def list_groups(wh: Warehouse, p: Principal, sort: str = "priority") -> dict[str, Any]:
    """Every group with priority and its reasons, counts, forces, span and first detectable against first charged."""
    run = network_run(wh)
    if run is None:
        return not_landed(wh, run=None, sort=sort, sorts=list(SORTS), groups=[])
    sh = Shaper(wh, p)
    cur = wh.cur().execute("""SELECT group_id, priority, priority_reasons, n_suspects, n_victims, n_associates, forces,
                                     orgs, offences, first_seen, last_seen, first_detectable, first_charged
                              FROM network_group""")
    cols = [c[0] for c in cur.description]
    groups = []
    for row in cur.fetchall():
        g = dict(zip(cols, row))
        gap = (g["first_charged"] - g["first_detectable"]).days if g["first_charged"] and g["first_detectable"] else None
        groups.append({
            "group_id": g["group_id"], "priority": g["priority"],
            "priority_reasons": sh.text(g["priority_reasons"], set()),
            "n_suspects": g["n_suspects"], "n_victims": g["n_victims"], "n_associates": g["n_associates"],
            "forces": list(g["forces"] or []), "organisations": list(g["orgs"] or []),
            "offences": list(g["offences"] or []),
            "first_seen": sh.date(g["first_seen"]), "last_seen": sh.date(g["last_seen"]),
            "first_detectable": sh.date(g["first_detectable"]), "first_charged": sh.date(g["first_charged"]),
            "gap_days": gap,
            "detectable_before_charge": (gap > 0) if gap is not None else None,
        })
    key, desc = SORTS[sort]
    present = [g for g in groups if g[key] is not None]
    groups = sorted(present, key=lambda g: (g[key], g["group_id"]), reverse=desc) + \
        sorted((g for g in groups if g[key] is None), key=lambda g: g["group_id"])
    return {"landed": True, "run": run, "sort": sort, "sorts": list(SORTS), "groups": groups}


def group(wh: Warehouse, p: Principal, group_id: str) -> dict[str, Any]:
    """One group: members with roles and why each is in, victims, timeline, crimes and outcomes, key people, edges."""
    run = network_run(wh)
    if run is None:
        return not_landed(wh, group_id=group_id)
    cur = wh.cur()
    c = cur.execute("SELECT * FROM network_group WHERE group_id = ?", [group_id])
    row = c.fetchone()
    if row is None:
        raise NoSuchGroup(group_id)
    g = dict(zip([d[0] for d in c.description], row))
    sh = Shaper(wh, p)
    c = cur.execute("""SELECT person_id, role, first_seen, last_seen, evidence, provenance, reason, degree, betweenness,
                              other_groups, key_role FROM network_member WHERE group_id = ?
                       ORDER BY CASE role WHEN 'suspect' THEN 0 WHEN 'victim' THEN 1 ELSE 2 END, degree DESC, person_id""",
                    [group_id])
    mcols = [d[0] for d in c.description]
    mrows = [dict(zip(mcols, r)) for r in c.fetchall()]
    pids = [m["person_id"] for m in mrows]
    cards = sh.people(pids)
    members = []
    for m in mrows:
        card = cards[m["person_id"]]
        orgs = set(card["orgs"])
        members.append({**card, "role": m["role"], "first_seen": sh.date(m["first_seen"]),
                        "last_seen": sh.date(m["last_seen"]), "evidence": m["evidence"],
                        "why": sh.text(m["reason"], orgs), "sources": sh.ref_texts(m["provenance"], orgs),
                        "degree": m["degree"], "betweenness": m["betweenness"], "other_groups": m["other_groups"],
                        "key_role": m["key_role"]})
    # short tags (S1, V2, A1) name people in the drawing and the tables alike
    counters: Counter = Counter()
    for m in sorted(members, key=lambda m: (m["role"], m["person_id"])):
        counters[m["role"]] += 1
        m["tag"] = f"{m['role'][0].upper()}{counters[m['role']]}"
    edges = _edges(wh, sh, group_id, cards)
    crimes = _crimes(wh, sh, edges["crime_refs"])
    key_people = sorted((m for m in members if m["key_role"]), key=lambda m: (-(m["betweenness"] or 0), m["person_id"]))
    if not key_people:
        key_people = sorted(members, key=lambda m: (-(m["degree"] or 0), m["person_id"]))[:3]
    return {
        "landed": True, "run": run, "group_id": group_id,
        "group": {"priority": g["priority"], "priority_reasons": sh.text(g["priority_reasons"], set()),
                  "n_suspects": g["n_suspects"], "n_victims": g["n_victims"], "n_associates": g["n_associates"],
                  "first_seen": sh.date(g["first_seen"]), "last_seen": sh.date(g["last_seen"]),
                  "first_detectable": sh.date(g["first_detectable"]), "first_charged": sh.date(g["first_charged"]),
                  "forces": list(g["forces"] or []), "organisations": list(g["orgs"] or []),
                  "offences": list(g["offences"] or [])},
        "members": members,
        "victims": [m for m in members if m["role"] == "victim"],
        "key_people": [{"person_id": m["person_id"], "tag": m["tag"], "role": m["role"], "name": m["name"], "key_role": m["key_role"],
                        "degree": m["degree"], "betweenness": m["betweenness"]} for m in key_people[:5]],
        "edges": edges["rows"],
        "crimes": crimes,
        "timeline": _timeline(edges["years"], crimes["years"]),
    }


def _edges(wh: Warehouse, sh: Shaper, group_id: str, cards: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = wh.cur().execute(
        """SELECT person_a, person_b, edge_type, weight, first_date, last_date, known_date, "pivot", provenance, crimes
           FROM network_edge
           WHERE person_a IN (SELECT person_id FROM network_member WHERE group_id = ?)
             AND person_b IN (SELECT person_id FROM network_member WHERE group_id = ?)
           ORDER BY first_date NULLS LAST, person_a, person_b, edge_type""", [group_id, group_id]).fetchall()
    out, crime_refs, years = [], {}, Counter()
    for a, b, t, w, first, last, known, pivot, prov, crimes in rows:
        # the records behind an edge are about both people: identified only where both may be seen
        orgs = set(cards.get(a, {}).get("orgs", [])) & set(cards.get(b, {}).get("orgs", []))
        refs = sh.refs(prov, orgs)
        pivot_shown = bool(pivot) and all(r["view"] == "identified" for r in refs)
        out.append({"a": a, "b": b, "type": t, "what": EDGE_WORDS.get(t, t), "weight": round(float(w), 3),
                    "first_date": sh.date(first), "last_date": sh.date(last), "known_date": sh.date(known),
                    "pivot": (pivot if pivot_shown else ("withheld" if pivot else None)),
                    "sources": list(dict.fromkeys(r["text"] for r in refs))})
        for x in crimes or []:
            crime_refs[x] = crime_refs.get(x, set()) | orgs
        if known:
            years[known.year] += 1
    return {"rows": out, "crime_refs": crime_refs, "years": years}


def _crimes(wh: Warehouse, sh: Shaper, crime_refs: dict[str, set[str]]) -> dict[str, Any]:
    """The group's crimes with their outcomes (current records), each reference shaped."""
    keys = sorted(crime_refs)
    if not keys:
        return {"rows": [], "years": {"committed": Counter(), "reported": Counter()}}
    src = [k.split(":", 1)[0] for k in keys]
    rid = [k.split(":", 1)[1] for k in keys]
    rows = wh.cur().execute(
        """WITH k AS (SELECT unnest(?::VARCHAR[]) AS source, unnest(?::VARCHAR[]) AS crime_id)
           SELECT c.source, c.source_record_id, c.org_code, c.offence_code, c.cse_flag, c.date_committed, c.date_reported,
                  list(struct_pack(t := o.outcome_type, off := o.charged_offence, res := o.court_result, d := o.outcome_date,
                                   rid := o.source_record_id) ORDER BY o.outcome_date, o.source_record_id)
                      FILTER (WHERE o.source IS NOT NULL)
           FROM k JOIN crime c ON c.source = k.source AND c.source_record_id = k.crime_id
           LEFT JOIN outcome o ON o.source = c.source AND o.crime_record_id = c.source_record_id
           GROUP BY ALL ORDER BY c.date_committed NULLS LAST, c.source, c.source_record_id""", [src, rid]).fetchall()
    out, committed, reported = [], Counter(), Counter()
    for source, crime_id, org, offence, cse, d_comm, d_rep, outcomes in rows:
        orgs = crime_refs.get(f"{source}:{crime_id}", set())
        out.append({"crime": sh.ref(source, crime_id, orgs)["text"], "force": org, "offence": offence,
                    "cse_flag": cse, "committed": sh.date(d_comm), "reported": sh.date(d_rep),
                    "outcomes": [{"outcome": sh.ref(source, o["rid"], orgs)["text"], "type": o["t"],
                                  "charged_offence": o["off"], "court_result": o["res"], "date": sh.date(o["d"])}
                                 for o in (outcomes or [])]})
        if d_comm:
            committed[d_comm.year] += 1
        reported[d_rep.year] += 1
    return {"rows": out, "years": {"committed": committed, "reported": reported}}


def _timeline(ties: Counter, crime_years: dict[str, Counter]) -> list[dict[str, int]]:
    """Activity by year: crimes committed, crimes reported, ties first on record."""
    years = set(ties) | set(crime_years["committed"]) | set(crime_years["reported"])
    if not years:
        return []
    return [{"year": y, "committed": crime_years["committed"].get(y, 0), "reported": crime_years["reported"].get(y, 0),
             "ties_recorded": ties.get(y, 0)} for y in range(min(years), max(years) + 1)]


def graph(data: dict[str, Any], p: Principal) -> dict[str, Any]:
    """Cytoscape.js elements for a group (people as nodes, typed ties as edges), labels as the role may see them."""
    nodes = [{"data": {"id": m["person_id"], "label": f"{m['tag']} {m['name']}" if m.get("name") else m["tag"],
                       "role": m["role"], "key": bool(m["key_role"])}}
             for m in sorted(data["members"], key=lambda m: (m["role"], m["person_id"]))]
    edges = [{"data": {"id": f"e{i}", "source": e["a"], "target": e["b"], "type": e["type"], "weight": e["weight"],
                       "what": e["what"]}} for i, e in enumerate(data["edges"])]
    return {"group_id": data["group_id"], "nodes": nodes, "edges": edges}

