"""A transparent points score for the national operation: every point comes with its reason."""

from __future__ import annotations

from datetime import date

import duckdb

# points per item; docs/network.md explains each
POINTS = {
    "victim": 3,             # per victim
    "child_now": 4,          # per victim still under 18 on the reference date
    "penetrative": 10,       # any rape or penetrative offence recorded
    "child_sexual": 5,       # otherwise any sexual offence against a child
    "recent_2y": 10,         # last seen within two years of the reference date
    "recent_5y": 5,          # else within five years
    "extra_force": 8,        # per police force beyond the first
    "never_charged": 3,      # per suspect never charged with any of the group's crimes
    "nfa_connected": 2,      # per crime closed with no further action that the group now connects
}


def score_groups(con: duckdb.DuckDBPyConnection, as_of: date | None) -> list[tuple[str, float, str]]:
    """(group_id, points, reasons) for every group in temp table nw_g, from nw_m, nw_gc, nw_go, nw_rec."""
    ref = as_of or con.execute("SELECT max(last_seen) FROM nw_g").fetchall()[0][0] or date.today()
    rows = con.execute("""
        SELECT g.group_id, g.n_victims, g.last_seen, len(coalesce(g.forces, [])),
          (SELECT count(DISTINCT m.person_id) FROM nw_m m WHERE m.group_id = g.group_id AND m.role = 'victim'
             AND (SELECT max(dob) FROM nw_rec r WHERE r.person_id = m.person_id) > ?::DATE - INTERVAL 18 YEAR),
          (SELECT bool_or(penetrative) FROM nw_gc c WHERE c.group_id = g.group_id),
          (SELECT count(*) FROM nw_gc c WHERE c.group_id = g.group_id) > 0,
          (SELECT count(*) FROM nw_m m WHERE m.group_id = g.group_id AND m.role = 'suspect'
             AND NOT EXISTS (SELECT 1 FROM nw_go o WHERE o.group_id = g.group_id AND o.person_id = m.person_id
                             AND o.outcome_type = '1')),
          (SELECT count(DISTINCT source || crime_record_id) FROM nw_go o WHERE o.group_id = g.group_id
             AND o.outcome_type IN ('14', '15', '16', '18', '21'))
        FROM nw_g g ORDER BY g.group_id""", [ref]).fetchall()
    out = []
    for gid, n_vic, last, n_forces, kids, pen, sexual, uncharged, nfa in rows:
        parts: list[tuple[int, str]] = []
        if n_vic:
            parts.append((POINTS["victim"] * n_vic, f"{n_vic} victim(s)"))
        if kids:
            parts.append((POINTS["child_now"] * kids, f"{kids} victim(s) still children"))
        if pen:
            parts.append((POINTS["penetrative"], "rape or penetrative offence recorded"))
        elif sexual:
            parts.append((POINTS["child_sexual"], "sexual offence against a child recorded"))
        if last is not None:
            years = (ref - last).days / 365.25
            if years <= 2:
                parts.append((POINTS["recent_2y"], f"active within two years (last seen {last})"))
            elif years <= 5:
                parts.append((POINTS["recent_5y"], f"active within five years (last seen {last})"))
        if n_forces > 1:
            parts.append((POINTS["extra_force"] * (n_forces - 1), f"spans {n_forces} police forces"))
        if uncharged:
            parts.append((POINTS["never_charged"] * uncharged, f"{uncharged} suspect(s) never charged"))
        if nfa:
            parts.append((POINTS["nfa_connected"] * nfa, f"{nfa} crime(s) closed with no further action now connected"))
        total = float(sum(p for p, _ in parts))
        out.append((gid, total, "; ".join(f"{why} (+{p})" for p, why in parts)))
    return out
