"""The person page's later-stage sections: chronology, network neighbourhood and review decisions, role-shaped.

Chronology entries and network ties go through joinedup.web.access.record_view like every record: identified,
pseudonymised (analysts: a keyed reference, dates to the month, no names, places or free text) or "known to"
pointers (investigators, for other organisations' records).
"""

from __future__ import annotations

from typing import Any

from joinedup.web.access import Principal, person_visible, record_view
from joinedup.web.data import Warehouse
from joinedup.web.data_risk import day, shape_item
from joinedup.web.stage_runs import stage_run

CHRONOLOGY_ON_PAGE = 15  # the person page shows the latest entries; the chronology page shows them all
MAX_TIES = 100
EDGE_LABELS = {
    "co_suspect": "suspects in the same crime", "suspect_victim": "suspect and victim in the same crime",
    "missing_with": "found with when missing (by name)", "shared_address": "shared address",
    "shared_phone": "shared phone number", "shared_vehicle": "shared vehicle", "alias": "shared alias",
}


class PersonIndex:
    """What a person page reads by person, sorted by key in memory once at start-up (no query per page).

    The chronology's tables (chronology/lookup.py: the stage's own entries, from a binary search and a slice instead of
    a dozen DuckDB queries), the network stage's ties in both directions and its memberships with their group's counts.
    The warehouse is read-only while served, so the copies cannot go stale. Under --as-of they are read from the
    warehouse as known on that date, like every page.
    """

    def __init__(self, wh: Warehouse) -> None:
        from joinedup.chronology.lookup import ChronologyLookup
        from joinedup.warehouse.sorted_rows import SortedRows

        self.wh = wh
        c = wh.cur()
        self.chronology = ChronologyLookup(c, None if wh.as_of else "w", wh.as_of)
        self.network = all(wh.has_table(t) for t in ("network_edge", "network_member", "network_run")) \
            and wh.count("network_run") > 0 and stage_run(wh, "network") is not None  # as of --as-of (stage_runs.py)
        self.network_run = c.execute("SELECT run_id, as_of FROM network_run ORDER BY finished_at DESC NULLS LAST "
                                     "LIMIT 1").fetchall()[0] if self.network else None
        if self.network:
            cols = 'person_a, person_b, edge_type, weight, first_date, last_date, "pivot", provenance, known_date'
            self.ties_a = SortedRows(c.sql(f"SELECT {cols} FROM network_edge ORDER BY person_a").to_arrow_table(), "person_a")
            self.ties_b = SortedRows(c.sql(f"SELECT {cols} FROM network_edge ORDER BY person_b").to_arrow_table(), "person_b")
            group = "g.n_suspects, g.n_victims, g.n_associates" if wh.has_table("network_group") else \
                "NULL AS n_suspects, NULL AS n_victims, NULL AS n_associates"
            join = "LEFT JOIN network_group g USING (run_id, group_id)" if wh.has_table("network_group") else ""
            self.members = SortedRows(c.sql(
                f"""SELECT m.person_id, m.group_id, m.role, m.key_role, m.reason, m.first_seen, m.last_seen, {group}
                    FROM network_member m {join} ORDER BY m.person_id, m.group_id""").to_arrow_table(), "person_id")

    def ties(self, person_id: str) -> list[tuple]:
        """The person's edges, heaviest first (weight DESC, edge_type, person_a, person_b), as tuples."""
        rows = self.ties_a.rows_for([person_id]) + self.ties_b.rows_for([person_id])
        rows.sort(key=lambda r: (r["weight"] is None, -(r["weight"] or 0.0), r["edge_type"] or "", r["person_a"],
                                 r["person_b"]))
        return [(r["person_a"], r["person_b"], r["edge_type"], r["weight"], r["first_date"], r["last_date"], r["pivot"],
                 r["provenance"], r["known_date"]) for r in rows]


def chronology(wh: Warehouse, p: Principal, person_id: str, orgs: set[str], limit: int | None = None,
               index: PersonIndex | None = None) -> dict[str, Any]:
    """What was known, when and by whom, as this principal may see it (the latest `limit` entries when given)."""
    from joinedup.chronology.build import chronology as build

    c = index.chronology.chronology(person_id) if index else build(wh.cur(), person_id)
    entries, elsewhere = [], {}
    for e in c["entries"]:
        view = record_view(p, e["org_code"], orgs)
        if view is None:
            continue
        if view == "pointer":  # another organisation's record: an investigator sees only that it is there
            elsewhere.setdefault(e["org_code"], e["agency_type"])
            continue
        entries.append(_entry(wh, p, e, view))
    knowledge = [{"date": day(p, k["date"]), "organisations": k["organisations"], "agencies": k["agencies"]}
                 for k in c["knowledge"]]
    missed = []
    for m in c["missed_chances"]:
        if p.role == "investigator" and p.org not in (m["org_a"], m["org_b"]):
            continue
        held_a = [x for x in (shape_item(wh, p, i, orgs) for i in m["held_a"]) if x]
        held_b = [x for x in (shape_item(wh, p, i, orgs) for i in m["held_b"]) if x]
        whole = all(x["view"] == "identified" for x in held_a + held_b)
        text = m["text"] if whole else (
            f"{m['org_a']} ({m['agency_a']}) already held a concern when {m['org_b']} ({m['agency_b']}) recorded one; "
            "neither held the other's.")
        missed.append({"date": day(p, m["date"]), "org_a": m["org_a"], "agency_a": m["agency_a"], "held_a": held_a,
                       "org_b": m["org_b"], "agency_b": m["agency_b"], "held_b": held_b, "text": text})
    shown = entries if limit is None else entries[-limit:]
    return {"total": len(entries), "shown": len(shown), "entries": shown, "knowledge": knowledge, "missed_chances": missed,
            "elsewhere": [{"org_code": o, "agency_type": a, "pointer": f"Known to {o} ({a})"} for o, a in sorted(elsewhere.items())],
            "note": "the person's identity is today's linkage; a record with a low match probability is worth checking"}


def _entry(wh: Warehouse, p: Principal, e: dict[str, Any], view: str) -> dict[str, Any]:
    base = {"view": view, "kind": e["kind"], "type": e["type"], "agency_type": e["agency_type"], "org_code": e["org_code"],
            "concern": bool(e["concern"]), "match_probability": round(float(e["match_probability"] or 0), 4),
            "happened": day(p, e["happened"]), "recorded": day(p, e["recorded"]), "delivered": day(p, e["delivered"])}
    if view == "identified":
        return base | {"record": f"{e['source']}:{e['record_id']}",
                       "person_record": f"{e['source']}:{e['person_record_id']}", "summary": e["summary"]}
    from joinedup.chronology.build import _summary, code_labels

    # pseudonymised: the codes and labels only; names ("found with"), places, free text and crime ids are dropped
    safe = e | {"with_whom": None, "location": None, "end_date": None, "recorded": e["happened"],
                "detail": "on a crime" if e["kind"] == "outcome" else None}
    return base | {"ref": wh.pseudonym(e["source"], e["record_id"]), "summary": _summary(safe, code_labels())}


def network(wh: Warehouse, p: Principal, person_id: str, orgs: set[str], index: PersonIndex | None = None) -> dict[str, Any]:
    """The person's groups and direct ties from the network stage, as this principal may see them."""
    if index is not None:  # whether the stage ran, its run, the ties and memberships were read once at start-up
        if not index.network:
            return {"landed": False, "groups": [], "ties": []}
        run = index.network_run
        groups = [{k: v for k, v in g.items() if k != "person_id"} for g in index.members.rows_for([person_id])]
        rows = index.ties(person_id)[:MAX_TIES + 1]
    else:
        if not (wh.has_table("network_edge") and wh.has_table("network_member")) or wh.count("network_run") == 0:
            return {"landed": False, "groups": [], "ties": []}
        cur = wh.cur()
        run = cur.execute("SELECT run_id, as_of FROM network_run ORDER BY finished_at DESC NULLS LAST LIMIT 1").fetchone()
        groups = [dict(zip(("group_id", "role", "key_role", "reason", "first_seen", "last_seen", "n_suspects", "n_victims",
                            "n_associates"), r)) for r in cur.execute(
            """SELECT m.group_id, m.role, m.key_role, m.reason, m.first_seen, m.last_seen, g.n_suspects, g.n_victims,
                      g.n_associates FROM network_member m LEFT JOIN network_group g USING (run_id, group_id)
               WHERE m.person_id = ? ORDER BY m.group_id""", [person_id]).fetchall()]
        rows = cur.execute(
            """SELECT person_a, person_b, edge_type, weight, first_date, last_date, "pivot", provenance, known_date
               FROM network_edge WHERE person_a = ? OR person_b = ? ORDER BY weight DESC, edge_type, person_a, person_b
               LIMIT ?""", [person_id, person_id, MAX_TIES + 1]).fetchall()
    for g in groups:
        g["first_seen"], g["last_seen"] = day(p, g["first_seen"]), day(p, g["last_seen"])
    others = sorted({r[1] if r[0] == person_id else r[0] for r in rows})
    their_orgs: dict[str, set[str]] = {}
    for rec in wh._records_of(others):
        their_orgs.setdefault(rec["person_id"], set()).add(rec["org_code"])
    ties = []
    for a, b, etype, weight, first, last, pivot, prov, known in rows[:MAX_TIES]:
        other = b if a == person_id else a
        o_orgs = their_orgs.get(other, set())
        visible = person_visible(p, o_orgs).allowed
        scope = orgs | o_orgs if visible else orgs
        shaped = [shape_item(wh, p, i, scope) for i in (prov or [])]
        evidence = []
        for x in shaped:
            if x and x not in evidence:  # two records of one other organisation are one "known to" pointer
                evidence.append(x)
        own = any(x["view"] == "identified" for x in evidence)
        show_pivot = p.role == "inquiry" or (p.role == "practitioner" and visible) or (p.role == "investigator" and own)
        ties.append({"person_id": other if visible else None, "visible": visible,
                     "edge_type": etype, "what": EDGE_LABELS.get(etype, etype), "weight": round(float(weight), 3),
                     "first_date": day(p, first), "last_date": day(p, last), "known_date": day(p, known),
                     "pivot": pivot if show_pivot else None, "evidence": evidence,
                     "not_shown": sum(1 for x in shaped if x is None)})
    return {"landed": True, "run_id": run[0] if run else None, "groups": groups, "ties": ties,
            "more_ties": len(rows) > MAX_TIES}


def decisions(p: Principal, rows: list[dict[str, Any]], user_orgs: dict[str, str]) -> list[dict[str, Any]]:
    """Review decisions as this principal may see them: notes (free text) never in pseudonymised views."""
    from joinedup.state.review import DECISION_LABELS

    out = []
    for d in rows:
        org = user_orgs.get(d["decided_by"])  # None: recorded with `joinedup risk review` outside the web application
        see_note = p.role in ("practitioner", "inquiry") or (p.role == "investigator" and org == p.org)
        out.append({"id": d["id"], "decision": d["decision"], "label": DECISION_LABELS.get(d["decision"], d["decision"]),
                    "decided_by": d["decided_by"], "org": org, "decided_at": day(p, d["decided_at"]),
                    "note": d["note"] if see_note else None, "note_withheld": bool(d["note"]) and not see_note,
                    "score": d["score"], "queue_as_of": day(p, d["queue_as_of"])})
    return out
