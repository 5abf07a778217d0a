"""Ethnicity, nationality (and religion, which no table holds) are never used: change them on every record,
and every stored row and every export is identical."""

from __future__ import annotations

import filecmp

import duckdb

from joinedup.network import exports
from joinedup.network.core import run_network

TABLES = {
    "network_edge": "person_a, person_b, edge_type",
    "network_group": "group_id",
    "network_member": "group_id, person_id",
}


def _outputs(db, out):
    run_network(db)
    con = duckdb.connect(str(db), read_only=True)
    tables = {t: con.execute(f"SELECT * EXCLUDE (run_id) FROM {t} ORDER BY {k}").fetchall() for t, k in TABLES.items()}
    out.mkdir()
    exports.export_groups(con, out / "groups.csv")
    exports.export_priority(con, out / "priority.csv")
    exports.export_graphml(con, out / "net.graphml")
    exports.export_i2(con, out / "i2")
    con.close()
    return tables


def test_protected_characteristics_change_nothing(linked_world, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    db_a, db_b = linked_world.copy_db(a), linked_world.copy_db(b)
    con = duckdb.connect(str(db_b))
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record'").fetchall()}
    protected = [c for c in ("ethnicity_self", "ethnicity_ons21", "ethnicity_observed", "nationality", "religion") if c in cols]
    assert {"ethnicity_self", "nationality"} <= set(protected)
    # a different value on every record: reverse each column's values, and fill blanks
    sets = ", ".join(f"{c} = CASE WHEN {c} IS NULL OR {c} = 'A2' THEN 'W1' ELSE 'A2' END" for c in protected if c != "nationality")
    con.execute(f"UPDATE person_record SET {sets}, nationality = CASE WHEN nationality = 'PAK' THEN 'GBR' ELSE 'PAK' END")
    changed = con.execute("SELECT count(*) FROM person_record").fetchall()[0][0]
    con.close()
    assert changed > 1000
    ta, tb = _outputs(db_a, a / "out"), _outputs(db_b, b / "out")
    for t in TABLES:
        assert ta[t] == tb[t], t
    assert ta["network_group"], "the world must have groups for this test to mean anything"
    for f in ("groups.csv", "priority.csv", "net.graphml", "i2/entities.csv", "i2/links.csv"):
        assert filecmp.cmp(a / "out" / f, b / "out" / f, shallow=False), f
