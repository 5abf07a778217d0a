"""With the network stage's tables present, groups are counted and their members join the headline."""

from __future__ import annotations

import csv

import duckdb

from joinedup.stats import run_stats


def test_network_groups_counted_and_suppressed(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    with duckdb.connect(str(db)) as con:
        sus = [r[0] for r in con.execute(
            "SELECT DISTINCT l.person_id FROM person_record p JOIN link_person l USING (source, source_record_id) "
            "WHERE p.role = 'SUSPECT' AND p.agency_type = 'police' ORDER BY 1 LIMIT 40").fetchall()]
        # the network stage's tables (migration 0004), filled as a run of it would
        # 8 groups of 5 suspects: six of them small (2-4 band empty), two spanning forces
        for g in range(8):
            con.execute("INSERT INTO network_group (run_id, as_of, group_id, n_suspects, n_victims, first_seen, last_seen, "
                        "first_detectable, first_charged, forces, orgs, priority, priority_reasons) "
                        "VALUES ('r1', NULL, ?, 5, ?, DATE '2010-01-01', DATE '2014-06-01', NULL, NULL, ?, [], 1, '')",
                        [f"G{g}", 3 + g, ["F01", "F02"] if g < 2 else ["F01"]])
            for p in sus[g * 5:(g + 1) * 5]:
                con.execute("INSERT INTO network_member (run_id, group_id, person_id, role) VALUES ('r1', ?, ?, 'suspect')",
                            [f"G{g}", p])
    out = tmp_path / "pub"
    s = run_stats(db, out, pdf=False)
    assert s["network_stage"] is True
    with open(out / "csv" / "table_15.csv", newline="") as f:
        rows = {r["Size of group"]: r for r in csv.DictReader(f)}
    assert rows["5 to 9 suspects"]["Groups (number)"] == "8"
    assert rows["5 to 9 suspects"]["Suspects (number)"] == "40"
    assert rows["5 to 9 suspects"]["Groups in two or more forces (number)"] == "[c]"  # 2 is small
    assert rows["Total"]["Groups (number)"] == "8"
    # the network's members now count as suspects in group-based CSE: far more than the flagged crimes give
    assert int(s["headline"]["suspects"]) >= 35
