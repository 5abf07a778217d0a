"""Two groups joined only through one or two men they share are split apart; a group whose membership changes
over the years is not. Hand-made graphs in the temp tables `find_groups` reads (edges.build_edges makes them)."""

from __future__ import annotations

from datetime import date

import duckdb

from joinedup.network.groups import find_groups


def _graph(crimes: list[tuple[date, list[str], list[str]]], phone: list[str] = ()) -> duckdb.DuckDBPyConnection:
    """Temp tables for crimes given as (date, suspects, victims): co-suspect and suspect-victim edges; and a phone
    shared by the men in `phone`."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE nw_cp (person_id VARCHAR, role VARCHAR)")
    con.execute("CREATE TEMP TABLE nw_named (source VARCHAR, eid VARCHAR, suspect VARCHAR, child VARCHAR, n_candidates INTEGER)")
    con.execute("CREATE TEMP TABLE nw_edge_raw (person_a VARCHAR, person_b VARCHAR, edge_type VARCHAR, d DATE)")
    for d, sus, vic in crimes:
        con.executemany("INSERT INTO nw_cp VALUES (?, ?)", [(s, "SUSPECT") for s in sus] + [(v, "VICTIM") for v in vic])
        people = [(p, "s") for p in sus] + [(p, "v") for p in vic]
        for i, (a, ra) in enumerate(people):
            for b, rb in people[i + 1:]:
                if "s" in (ra, rb):
                    con.execute("INSERT INTO nw_edge_raw VALUES (least(?, ?), greatest(?, ?), ?, ?)",
                                [a, b, a, b, "co_suspect" if ra == rb else "suspect_victim", d])
    con.execute("""CREATE TEMP TABLE nw_edge AS SELECT person_a, person_b, edge_type, least(count(*), 3) * 1.0 AS weight
        FROM nw_edge_raw GROUP BY ALL""")
    for i, a in enumerate(sorted(phone)):
        for b in sorted(phone)[i + 1:]:
            con.execute("INSERT INTO nw_edge VALUES (?, ?, 'shared_phone', ?)", [a, b, 1.0 / (len(phone) - 1)])
    return con


def test_a_group_sharing_two_offenders_with_another_is_its_own_group():
    early = [(date(2003, m, 1), ["A", "F", "B", "C"], [v]) for m, v in ((3, "V1"), (6, "V2"), (9, "V1"))]
    late = [(date(2005, m, 1), ["B", "C", "D", "E"], [v]) for m, v in ((2, "V3"), (5, "V4"))]
    found = find_groups(_graph(early + late))
    g_early, g_late = found.members["A"], found.members["D"]
    assert g_early != g_late
    assert {p for p, k in found.members.items() if k == g_early} == {"A", "F", "V1", "V2"}
    assert {p for p, k in found.members.items() if k == g_late} == {"B", "C", "D", "E", "V3", "V4"}
    # the shared offenders belong to both; listed last in the one active later
    assert found.also["B"] == [g_early] and found.also["C"] == [g_early]


def test_a_child_tied_only_to_the_shared_men_goes_to_the_side_active_in_her_years():
    # V5 and V6 were abused by the two shared men alone, V5 in the early group's years and V6 in the late one's:
    # no own man of either side names them, so only the dates say which side each belongs to
    early = [(date(2003, m, 1), ["A", "F", "B", "C"], [v]) for m, v in ((3, "V1"), (6, "V2"), (9, "V1"))]
    late = [(date(2009, m, 1), ["B", "C", "D", "E"], [v]) for m, v in ((2, "V3"), (5, "V4"))]
    alone = [(date(2003, 11, 1), ["B", "C"], ["V5"]), (date(2009, 8, 1), ["B", "C"], ["V6"])]
    found = find_groups(_graph(early + late + alone))
    g_early, g_late = found.members["A"], found.members["D"]
    assert g_early != g_late
    assert found.members["V5"] == g_early
    assert found.members["V6"] == g_late


def test_the_same_men_with_new_victims_are_the_same_group():
    # two men of a group offending on their own years later: no men of their own, so not a second group
    early = [(date(2003, m, 1), ["A", "B", "C", "D"], [v]) for m, v in ((3, "V1"), (6, "V2"))]
    late = [(date(2015, m, 1), ["C", "D"], [v]) for m, v in ((2, "V3"), (5, "V4"))]
    found = find_groups(_graph(early + late))
    assert len(set(found.members.values())) == 1 and not found.also


def test_a_group_whose_membership_changes_stays_one():
    # founders leave and others join, the group's phone passing between them: no one or two men hold it together
    crimes = [(date(2003 + y, 5, 1), [["A", "B", "C"], ["B", "C", "D"], ["C", "D", "E"], ["D", "E", "F"]][y // 3],
               [f"V{y}"]) for y in range(12)]
    found = find_groups(_graph(crimes, phone=["A", "B", "D", "F"]))
    assert len(set(found.members.values())) == 1 and not found.also
    assert len(found.members) == 6 + 12


def test_groups_csv_lists_a_shared_suspect_last_in_his_most_recent_group(tmp_path):
    import csv

    from joinedup.network.exports import export_groups

    con = duckdb.connect()
    con.execute("""CREATE TABLE network_member (group_id VARCHAR, person_id VARCHAR, role VARCHAR, first_seen DATE,
        last_seen DATE, evidence BIGINT, reason VARCHAR)""")
    con.execute("CREATE TABLE network_group (group_id VARCHAR, first_seen DATE, last_seen DATE)")
    # group ids sort the other way round from the groups' periods, so only the ordering by period can pass
    con.execute("INSERT INTO network_group VALUES ('G-a', DATE '2020-01-01', DATE '2022-01-01'), "
                "('G-b', DATE '2003-01-01', DATE '2005-01-01')")
    con.execute("""INSERT INTO network_member VALUES ('G-a', 'B', 'suspect', NULL, NULL, 1, ''),
        ('G-a', 'D', 'suspect', NULL, NULL, 1, ''), ('G-b', 'A', 'suspect', NULL, NULL, 1, ''),
        ('G-b', 'B', 'suspect', NULL, NULL, 1, '')""")
    out = tmp_path / "groups.csv"
    export_groups(con, out)
    with open(out, newline="", encoding="utf-8") as f:
        rows = [(r["group_id"], r["person_id"]) for r in csv.DictReader(f)]
    assert rows == [("G-b", "A"), ("G-b", "B"), ("G-a", "B"), ("G-a", "D")]
    last = {p: g for g, p in rows}
    assert last["B"] == "G-a"


def test_without_the_phone_the_eras_of_a_group_come_apart():
    # the same crimes with nothing else tying the men: two men (C and D) are all that join the early and late
    # offending, so the data cannot tell it from two groups sharing two men, and it is split (both are in each)
    crimes = [(date(2003 + y, 5, 1), [["A", "B", "C"], ["B", "C", "D"], ["C", "D", "E"], ["D", "E", "F"]][y // 3],
               [f"V{y}"]) for y in range(12)]
    found = find_groups(_graph(crimes))
    assert len(set(found.members.values())) == 2
    assert set(found.also) == {"C", "D"}


def test_a_second_group_whose_own_men_no_crime_names_is_its_own_group():
    # B offends with A and F; later D and E, never named on a crime, drive B's car with him (a car of three), and a
    # child found with B was in D's car. Without B: D, E and the child are a group of their own (B in both)
    con = _graph([(date(2003, m, 1), ["A", "F", "B"], [v]) for m, v in ((3, "V1"), (6, "V2"), (9, "V1"))])
    con.executemany("INSERT INTO nw_edge VALUES (least(?, ?), greatest(?, ?), ?, ?)",
                    [(a, b, a, b, t, w) for a, b, t, w in (("B", "D", "shared_vehicle", 0.5),
                                                           ("B", "E", "shared_vehicle", 0.5),
                                                           ("D", "E", "shared_vehicle", 0.5),
                                                           ("D", "V3", "shared_vehicle", 1.0),
                                                           ("B", "V3", "missing_with", 1.0))])
    con.execute("INSERT INTO nw_cp VALUES ('V3', 'VICTIM')")
    found = find_groups(con)
    early, late = found.members["A"], found.members["D"]
    assert early != late
    assert {p for p, k in found.members.items() if k == early} | {p for p, ks in found.also.items() if early in ks} \
        == {"A", "F", "B", "V1", "V2"}
    assert {p for p, k in found.members.items() if k == late} | {p for p, ks in found.also.items() if late in ks} \
        == {"B", "D", "E", "V3"}
    assert found.roles["D"] == found.roles["E"] == "associate"


def test_two_groups_joined_only_through_a_child_both_abused_stay_two():
    # A, B, E abused V1 and V2; C, D, F abused V3 and V4; X was abused by B and, another time, by C. V2 and D are
    # also on one address that three others share too (a hostel): too common to hold two groups together
    one = [(date(2004, m, 1), ["A", "B", "E"], [v]) for m, v in ((1, "V1"), (4, "V2"), (7, "V1"))]
    two = [(date(2004, m, 1), ["C", "D", "F"], [v]) for m, v in ((2, "V3"), (5, "V4"), (8, "V3"))]
    x = [(date(2004, 10, 1), ["B"], ["X"]), (date(2004, 11, 1), ["C"], ["X"])]
    con = _graph(one + two + x)
    con.execute("INSERT INTO nw_edge VALUES ('D', 'V2', 'shared_address', 0.5 / 4)")
    found = find_groups(con)
    g1, g2 = found.members["A"], found.members["C"]
    assert g1 != g2
    assert {p for p, k in found.members.items() if k == g1} - {"X"} == {"A", "B", "E", "V1", "V2"}
    assert {p for p, k in found.members.items() if k == g2} - {"X"} == {"C", "D", "F", "V3", "V4"}
    # she is a victim of one of them (the one she is more tied to; here equally, so either), in no other
    assert found.members["X"] in (g1, g2) and found.roles["X"] == "victim" and "X" not in found.also


def test_a_group_left_without_a_victim_or_a_second_man_is_no_group():
    from joinedup.network.groups import Found, _drop_broken

    found = Found(members={"A": 1, "V": 1, "B": 2, "C": 2, "W": 2, "D": 3, "E": 3},
                  roles={"A": "suspect", "V": "victim", "B": "suspect", "C": "associate", "W": "victim",
                         "D": "suspect", "E": "suspect"})
    _drop_broken(found)
    assert found.members == {"B": 2, "C": 2, "W": 2}
