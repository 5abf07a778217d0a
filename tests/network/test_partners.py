"""One suspect and the men who use his car or phone are a group: two men sharing his car with him (a car of three,
0.5 a pair) count, as in joining; one man on a car of three does not. Hand-built temp tables."""

from __future__ import annotations

import duckdb

from joinedup.network.groups import find_groups


def _con(edges: list[tuple[str, str, str, float]]) -> duckdb.DuckDBPyConnection:
    """Suspect S, his victim V (one crime), and the given extra edges (a, b, type, weight)."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE nw_cp (person_id VARCHAR, role VARCHAR)")
    con.execute("INSERT INTO nw_cp VALUES ('S', 'SUSPECT'), ('V', 'VICTIM')")
    con.execute("""CREATE TEMP TABLE nw_named (source VARCHAR, eid VARCHAR, suspect VARCHAR, child VARCHAR,
        n_candidates INTEGER)""")
    con.execute("CREATE TEMP TABLE nw_edge_raw (person_a VARCHAR, person_b VARCHAR, edge_type VARCHAR, d DATE)")
    con.execute("INSERT INTO nw_edge_raw VALUES ('S', 'V', 'suspect_victim', DATE '2010-01-01')")
    con.execute("CREATE TEMP TABLE nw_edge (person_a VARCHAR, person_b VARCHAR, edge_type VARCHAR, weight DOUBLE)")
    con.execute("INSERT INTO nw_edge VALUES ('S', 'V', 'suspect_victim', 1.0)")
    for a, b, t, w in edges:
        con.execute("INSERT INTO nw_edge VALUES (least(?, ?), greatest(?, ?), ?, ?)", [a, b, a, b, t, w])
    return con


def test_two_men_sharing_the_suspects_car_are_his_group():
    car = [("S", "M1", "shared_vehicle", 0.5), ("S", "M2", "shared_vehicle", 0.5), ("M1", "M2", "shared_vehicle", 0.5)]
    found = find_groups(_con(car))
    k = found.members["S"]
    assert {p for p, g in found.members.items() if g == k} == {"S", "M1", "M2", "V"}
    assert found.roles["M1"] == found.roles["M2"] == "associate"


def test_one_man_on_a_car_of_three_is_not_enough():
    # the car's third user (X) lives with the suspect (his family's car), so is no partner: M1 is 0.5 to the
    # suspect alone
    found = find_groups(_con([("S", "M1", "shared_vehicle", 0.5), ("S", "X", "shared_vehicle", 0.5),
                              ("S", "X", "shared_address", 0.5), ("M1", "X", "shared_vehicle", 0.5)]))
    assert "S" not in found.members


def test_men_who_live_with_the_suspect_are_not_partners():
    found = find_groups(_con([("S", "M1", "shared_vehicle", 1.0), ("S", "M1", "shared_address", 0.5)]))
    assert "S" not in found.members


def _found_with(con: duckdb.DuckDBPyConnection, children: list[str]) -> duckdb.DuckDBPyConnection:
    con.execute("CREATE TEMP TABLE nw_found_with (person_id VARCHAR)")
    con.executemany("INSERT INTO nw_found_with VALUES (?)", [(c,) for c in children])
    return con


CAR = [("S", "M1", "shared_vehicle", 0.5), ("S", "M2", "shared_vehicle", 0.5), ("M1", "M2", "shared_vehicle", 0.5)]


def test_a_missing_child_who_shares_a_car_with_the_groups_men_is_its_victim():
    # K was found with a man whose name matches no record; she is on the records of M1's car (a car of four: 0.33)
    edges = CAR + [("K", "M1", "shared_vehicle", 0.33), ("J", "M1", "shared_vehicle", 0.33)]
    found = find_groups(_found_with(_con(edges), ["K"]))
    assert found.members["K"] == found.members["S"] and found.roles["K"] == "victim"
    assert "J" not in found.members  # never reported missing: no reason to think her a victim


def test_a_missing_child_who_lives_with_the_man_whose_car_she_shares_is_not_placed_by_it():
    edges = CAR + [("K", "M1", "shared_vehicle", 1.0), ("K", "M1", "shared_address", 0.5)]
    found = find_groups(_found_with(_con(edges), ["K"]))
    assert "K" not in found.members


def test_a_child_tied_only_to_the_suspects_partner_joins_his_group():
    # V2 (a victim of some other crime) shares a car with M1 alone: children are seated by their ties to all the
    # group's men, associates too
    con = _con(CAR + [("V2", "M1", "shared_vehicle", 1.0)])
    con.execute("INSERT INTO nw_cp VALUES ('V2', 'VICTIM')")
    found = find_groups(con)
    assert found.members["V2"] == found.members["S"] and found.roles["V2"] == "victim"
