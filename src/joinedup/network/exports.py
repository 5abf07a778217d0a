"""Exports of the stored network: groups CSV, priority CSV, GraphML (Gephi, Cytoscape) and i2 CSVs."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import duckdb

from joinedup.errors import UserError


def check_writable(path: str | Path, is_dir: bool = False) -> Path:
    """A path we can write (a file, or a folder created if missing); a one-line error otherwise."""
    p = Path(path)
    try:
        if is_dir:
            p.mkdir(parents=True, exist_ok=True)
            target = p
        else:
            target = p.parent if str(p.parent) else Path(".")
            if p.is_dir():
                raise UserError(f"cannot write {p}: it is a folder")
        if not target.is_dir():
            raise UserError(f"cannot write {p}: folder {target} does not exist")
        if not os.access(target, os.W_OK):
            raise UserError(f"cannot write {p}: folder {target} is not writable")
    except OSError as e:
        raise UserError(f"cannot write {p}: {e.strerror or e}") from None
    return p


def _write_csv(path: Path, header: list[str], rows: list) -> int:
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None
    return len(rows)


def _labels(con: duckdb.DuckDBPyConnection) -> None:
    # one display name per person: the commonest forename and surname on its records
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_label AS
        SELECT person_id, first(name ORDER BY n DESC, name) AS label FROM (
            SELECT l.person_id, trim(coalesce(p.forename, '') || ' ' || coalesce(p.surname, '')) AS name, count(*) AS n
            FROM (SELECT DISTINCT person_id FROM network_member) m
            JOIN link_person l ON l.person_id = m.person_id
            JOIN person_record p ON p.source = l.source AND p.source_record_id = l.source_record_id
            GROUP BY ALL) GROUP BY person_id""")


# groups in the order they were last active, so that a suspect of two groups has the one he was in most
# recently as his last row (readers that keep one group per person keep that one)
MEMBER_ORDER = "g.last_seen NULLS FIRST, g.first_seen NULLS FIRST, m.group_id, m.role, m.person_id"


def export_groups(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """groups.csv: group_id,person_id,role,first_seen,last_seen,evidence,reason (one row per member of a group)."""
    p = check_writable(path)
    rows = con.execute(f"""SELECT m.group_id, m.person_id, m.role, m.first_seen, m.last_seen, m.evidence, m.reason
        FROM network_member m JOIN network_group g USING (group_id) ORDER BY {MEMBER_ORDER}""").fetchall()
    return _write_csv(p, ["group_id", "person_id", "role", "first_seen", "last_seen", "evidence", "reason"], rows)


def export_priority(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """priority.csv: the groups ranked by priority points, with the reasons for the points."""
    p = check_writable(path)
    rows = con.execute("""SELECT row_number() OVER (ORDER BY priority DESC, group_id), group_id, priority, n_suspects,
            n_victims, array_to_string(forces, ';'), first_seen, last_seen, first_detectable,
            coalesce(CAST(first_charged AS VARCHAR), 'never'), priority_reasons
        FROM network_group ORDER BY priority DESC, group_id""").fetchall()
    return _write_csv(p, ["rank", "group_id", "priority", "n_suspects", "n_victims", "forces", "first_seen", "last_seen",
                          "first_detectable", "first_charged", "reasons"], rows)


def _graph_rows(con: duckdb.DuckDBPyConnection) -> tuple[list, list]:
    """Nodes (group members, and the phones, vehicles, addresses, street names they share) and the edges among them.

    Crime and missing-episode edges join two people; a shared pivot becomes its own node, linked to each
    person holding it, as investigators chart them."""
    _labels(con)
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_x_edge AS
        SELECT e.* FROM network_edge e
        WHERE e.person_a IN (SELECT person_id FROM network_member) AND e.person_b IN (SELECT person_id FROM network_member)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_x_pivot AS
        SELECT person, pv, any_value(edge_type) AS edge_type, max(weight) AS weight, min(known_date) AS known_date,
               list_sort(list_distinct(flatten(list(provenance)))) AS provenance
        FROM (SELECT person, unnest(string_split("pivot", '; ')) AS pv, edge_type, weight, known_date, provenance
              FROM (SELECT unnest([person_a, person_b]) AS person, "pivot", edge_type, weight, known_date, provenance
                    FROM nw_x_edge WHERE "pivot" IS NOT NULL))
        GROUP BY person, pv""")
    nodes = con.execute("""
        SELECT m.person_id, coalesce(l.label, m.person_id), m.group_id, m.role, coalesce(m.key_role, ''),
               m.first_seen, m.last_seen, m.evidence
        FROM network_member m JOIN network_group g USING (group_id) LEFT JOIN nw_label l USING (person_id)
        -- one node per person: a suspect of two groups is drawn in the one he was in most recently
        QUALIFY row_number() OVER (PARTITION BY m.person_id ORDER BY g.last_seen DESC NULLS LAST, m.group_id DESC) = 1
        UNION ALL
        SELECT p.pv, split_part(p.pv, ':', 2), CASE WHEN count(DISTINCT m.group_id) = 1 THEN any_value(m.group_id) END,
               split_part(p.pv, ':', 1), '', NULL, NULL, count(DISTINCT p.person)
        FROM nw_x_pivot p JOIN network_member m ON m.person_id = p.person GROUP BY p.pv
        ORDER BY 1""").fetchall()
    edges = con.execute("""
        SELECT person_a, person_b, edge_type, weight, first_date, last_date, known_date, '',
               array_to_string(provenance, ';')
        FROM nw_x_edge WHERE "pivot" IS NULL
        UNION ALL
        SELECT person, pv, edge_type, weight, NULL, NULL, known_date, pv, array_to_string(provenance, ';')
        FROM nw_x_pivot
        ORDER BY 1, 2, 3""").fetchall()
    return nodes, edges


def export_graphml(con: duckdb.DuckDBPyConnection, path: str | Path) -> int:
    """GraphML of every group member and the typed edges among them (Gephi, Cytoscape)."""
    import igraph as ig

    p = check_writable(path)
    nodes, edges = _graph_rows(con)
    index = {n[0]: i for i, n in enumerate(nodes)}
    g = ig.Graph(n=len(nodes), edges=[(index[e[0]], index[e[1]]) for e in edges])
    for k, name in enumerate(("name", "label", "group_id", "role", "key_role", "first_seen", "last_seen")):
        g.vs[name] = ["" if n[k] is None else str(n[k]) for n in nodes]
    g.vs["evidence"] = [int(n[7] or 0) for n in nodes]
    for k, name in enumerate(("edge_type", "weight", "first_date", "last_date", "known_date", "pivot", "provenance")):
        g.es[name] = [float(e[k + 2]) if name == "weight" else ("" if e[k + 2] is None else str(e[k + 2])) for e in edges]
    try:
        g.write_graphml(str(p))
    except OSError as e:
        raise UserError(f"cannot write {p}: {e.strerror or e}") from None
    return len(nodes)


I2_SPEC = {
    "format": "i2 Analyst's Notebook classic text import (CSV, comma separated, first row is the header)",
    "design": "Entity - Link - Entity: one row of links.csv makes two entities and the link between them",
    "files": {
        "entities.csv": "one row per person or shared pivot (import with the single-entity design to add attributes)",
        "links.csv": "one row per link between two persons",
    },
    "entity": {"identity": "Entity ID", "type": "Entity Type", "label": "Label",
               "attributes": ["Group", "Role", "Key Role", "First Seen", "Last Seen", "Evidence"]},
    "link": {"from": {"identity": "From ID", "type": "From Type", "label": "From Label"},
             "to": {"identity": "To ID", "type": "To Type", "label": "To Label"},
             "type": "Link Type", "label": "Link Type", "date": "First Date", "date_format": "yyyy-MM-dd",
             "attributes": ["Last Date", "Known Date", "Weight", "Pivot", "Provenance"],
             "direction": "none", "merge": "links with the same ends and Link Type are one link"},
    "entity_types": {"suspect": "Person (suspect)", "victim": "Person (victim)", "associate": "Person (associate)",
                     "phone": "Telephone", "vehicle": "Vehicle", "address": "Address", "alias": "Street name"},
}


def export_i2(con: duckdb.DuckDBPyConnection, folder: str | Path) -> list[str]:
    """i2 Analyst's Notebook: entities.csv, links.csv and the import specification (JSON and words)."""
    d = check_writable(folder, is_dir=True)
    nodes, edges = _graph_rows(con)
    types = I2_SPEC["entity_types"]
    _write_csv(d / "entities.csv", ["Entity ID", "Entity Type", "Label", "Group", "Role", "Key Role", "First Seen",
                                   "Last Seen", "Evidence"],
               [(n[0], types[n[3]], n[1], n[2], n[3], n[4], n[5], n[6], n[7]) for n in nodes])
    by_id = {n[0]: n for n in nodes}
    _write_csv(d / "links.csv", ["From ID", "From Type", "From Label", "To ID", "To Type", "To Label", "Link Type",
                                "First Date", "Last Date", "Known Date", "Weight", "Pivot", "Provenance"],
               [(a, types[by_id[a][3]], by_id[a][1], b, types[by_id[b][3]], by_id[b][1], t.replace("_", " "),
                 fd, ld, kd, round(wt, 4), pv, prov) for a, b, t, wt, fd, ld, kd, pv, prov in edges])
    try:
        (d / "import_specification.json").write_text(json.dumps(I2_SPEC, indent=2) + "\n", encoding="utf-8")
        (d / "IMPORT.txt").write_text(_i2_words(), encoding="utf-8")
    except OSError as e:
        raise UserError(f"cannot write {d}: {e.strerror or e}") from None
    return ["entities.csv", "links.csv", "import_specification.json", "IMPORT.txt"]


def _i2_words() -> str:
    return """Importing into i2 Analyst's Notebook (classic import wizard: Home > Import Data)
1. Import links.csv. Format: text, comma separated, first row holds the column headings.
2. Design: Entity - Link - Entity.
3. First entity: Identity = From ID, Type = From Type, Label = From Label.
   Second entity: Identity = To ID, Type = To Type, Label = To Label.
   Link: Type and Label = Link Type; Date = First Date (yyyy-MM-dd); attributes Last Date,
   Known Date, Weight, Pivot, Provenance (the source records behind the link); no direction.
4. Save the design as a specification (.ximp) from the wizard to reuse it.
5. Optionally import entities.csv with the single-entity design (Identity = Entity ID,
   Type = Entity Type, Label = Label) and merge on identity to add Group, Role, Key Role,
   First Seen, Last Seen and Evidence as attributes.
import_specification.json says the same for tools.
"""
