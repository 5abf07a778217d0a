"""`joinedup group GROUP_ID`: one group's members and why, its victims, forces, crimes and a picture."""

from __future__ import annotations

from pathlib import Path

import duckdb

from joinedup.errors import UserError
from joinedup.warehouse.asof import as_of_sql


def group_detail(con: duckdb.DuckDBPyConnection, group_id: str) -> dict:
    """Everything stored about one group: members with reasons, crimes with outcomes, span and priority."""
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'network_group'").fetchall()[0][0] \
            or not con.execute("SELECT count(*) FROM network_run").fetchall()[0][0]:
        raise UserError("no network has been built in this warehouse: run `joinedup network --db FILE` first")
    cur = con.execute("SELECT * FROM network_group WHERE group_id = ?", [group_id])
    row = cur.fetchone()
    if row is None:
        raise UserError(f"no group {group_id!r} in the current network (see `joinedup network --db FILE --json`)")
    group = dict(zip([c[0] for c in cur.description], row))
    group.pop("provenance", None)
    members = con.execute("""SELECT m.person_id, m.role, m.first_seen, m.last_seen, m.evidence, m.reason, m.degree,
            m.betweenness, m.other_groups, m.key_role, m.provenance,
            (SELECT arg_max(trim(coalesce(p.forename, '') || ' ' || coalesce(p.surname, '')), p.source_record_id)
             FROM link_person l JOIN person_record p ON p.source = l.source AND p.source_record_id = l.source_record_id
             WHERE l.person_id = m.person_id) AS name
        FROM network_member m WHERE m.group_id = ? ORDER BY m.role DESC, m.degree DESC, m.person_id""",
                          [group_id]).fetchall()
    cols = ("person_id", "role", "first_seen", "last_seen", "evidence", "reason", "degree", "betweenness",
            "other_groups", "key_role", "provenance", "name")
    # crimes and outcomes as known on the run's as-of date, like the graph itself
    as_of = con.execute("SELECT as_of FROM network_run ORDER BY finished_at DESC LIMIT 1").fetchall()[0][0]
    cr, oc = as_of_sql(con, "crime", as_of), as_of_sql(con, "outcome", as_of)
    crimes = con.execute(f"""
        WITH c AS (SELECT DISTINCT split_part(x, ':', 1) AS source, substr(x, strpos(x, ':') + 1) AS crime_id
                   FROM (SELECT unnest(crimes) AS x FROM network_edge e
                         WHERE e.person_a IN (SELECT person_id FROM network_member WHERE group_id = ?)
                           AND e.person_b IN (SELECT person_id FROM network_member WHERE group_id = ?)))
        SELECT c.source, c.crime_id, k.org_code, k.offence_code, k.cse_flag, k.date_committed, k.date_reported,
               (SELECT string_agg(o.outcome_type || coalesce(' ' || o.charged_offence, '') ||
                       coalesce(' ' || o.court_result, '') || coalesce(' on ' || o.outcome_date, ''), '; '
                       ORDER BY o.source_record_id)
                FROM {oc} o WHERE o.source = c.source AND o.crime_record_id = c.crime_id) AS outcomes
        FROM c JOIN {cr} k ON k.source = c.source AND k.source_record_id = c.crime_id
        ORDER BY k.date_committed, c.source, c.crime_id""", [group_id, group_id]).fetchall()
    ccols = ("source", "crime_id", "force", "offence", "cse_flag", "committed", "reported", "outcomes")
    return {"group": group, "members": [dict(zip(cols, m)) for m in members],
            "crimes": [dict(zip(ccols, c)) for c in crimes]}


def draw_group(con: duckdb.DuckDBPyConnection, group_id: str, path: str | Path, names: bool = True) -> Path:
    """A briefing picture: the group's people and the phones, vehicles, addresses that tie them (PNG)."""
    import igraph as ig
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from joinedup.network.exports import check_writable

    p = check_writable(path)
    detail = group_detail(con, group_id)
    people = {m["person_id"]: m for m in detail["members"]}
    edges = con.execute("""SELECT person_a, person_b, edge_type, "pivot" FROM network_edge
        WHERE person_a IN (SELECT person_id FROM network_member WHERE group_id = ?)
          AND person_b IN (SELECT person_id FROM network_member WHERE group_id = ?)""", [group_id, group_id]).fetchall()
    counters = {"suspect": 0, "victim": 0, "associate": 0}
    label = {}
    for pid, m in sorted(people.items(), key=lambda kv: (kv[1]["role"], kv[0])):
        counters[m["role"]] += 1
        tag = f"{m['role'][0].upper()}{counters[m['role']]}"
        label[pid] = f"{tag} {m['name']}" if names and m.get("name") else tag
    nodes = list(people)
    kinds = [people[n]["role"] for n in nodes]
    links: list[tuple[str, str, str]] = []
    for a, b, t, pv in edges:
        if pv:  # a shared pivot is drawn as its own node between the people who share it
            for one in pv.split("; "):
                if one not in nodes:
                    nodes.append(one)
                    kinds.append(t)
                    label[one] = one.split(":", 1)[1][:28]
                links += [(a, one, t), (b, one, t)]
        else:
            links.append((a, b, t))
    index = {n: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=sorted({(index[a], index[b]) for a, b, _ in links}))
    g.simplify()
    coords = g.layout_fruchterman_reingold(niter=800, seed=[[0.0, float(i)] for i in range(len(nodes))]).coords
    style = {"suspect": ("#b2182b", "s", 240), "victim": ("#2166ac", "o", 200), "associate": ("#777777", "o", 160),
             "shared_phone": ("#1b7837", "D", 90), "shared_vehicle": ("#e08214", "D", 90),
             "shared_address": ("#762a83", "D", 90), "alias": ("#8c510a", "D", 90)}
    colour = {"co_suspect": "#b2182b", "suspect_victim": "#f4a582", "missing_with": "#92c5de"}
    fig, ax = plt.subplots(figsize=(10, 8), dpi=80)
    for a, b, t in links:
        (x1, y1), (x2, y2) = coords[index[a]], coords[index[b]]
        ax.plot([x1, x2], [y1, y2], color=colour.get(t, "#bbbbbb"), lw=1.2, zorder=1)
    for kind, (c, marker, size) in style.items():
        pts = [coords[i] for i, k in enumerate(kinds) if k == kind]
        if pts:
            ax.scatter([x for x, _ in pts], [y for _, y in pts], c=c, marker=marker, s=size, zorder=2,
                       label=kind.replace("_", " "))
    for n, i in index.items():
        ax.annotate(label[n], coords[i], fontsize=7, xytext=(4, 4), textcoords="offset points")
    grp = detail["group"]
    ax.set_title(f"{group_id}: {grp['n_suspects']} suspects, {grp['n_victims']} victims, "
                 f"{grp['first_seen']} to {grp['last_seen']}, forces {', '.join(grp['forces'] or [])}", fontsize=10)
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    ax.set_axis_off()
    fig.tight_layout()
    try:
        fig.savefig(p)
    except OSError as e:
        raise UserError(f"cannot write {p}: {e.strerror or e}") from None
    finally:
        plt.close(fig)
    return p
