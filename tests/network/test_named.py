"""Names in missing episodes: a suspect of a sexual offence beats others of the same name; a child whose episodes
name men of one group again and again joins it, however common each name is. Small hand-built tables."""

from __future__ import annotations

import random
from datetime import date

import duckdb
import igraph as ig

from joinedup.network import groups
from joinedup.network.edges import build_edges
from joinedup.network.groups import _cut_parts, find_groups


def _warehouse() -> duckdb.DuckDBPyConnection:
    """The standard tables build_edges reads, with only the columns it uses."""
    con = duckdb.connect()
    con.execute("""CREATE TABLE person_record (source VARCHAR, source_record_id VARCHAR, agency_type VARCHAR,
        org_code VARCHAR, forename VARCHAR, surname VARCHAR, aliases VARCHAR[], phones VARCHAR[], vehicles VARCHAR[],
        address VARCHAR, postcode VARCHAR, dob DATE, role VARCHAR)""")
    con.execute("""CREATE TABLE crime (source VARCHAR, source_record_id VARCHAR, org_code VARCHAR, offence_code VARCHAR,
        cse_flag BOOLEAN, date_committed DATE, date_reported DATE)""")
    con.execute("CREATE TABLE crime_person (source VARCHAR, crime_record_id VARCHAR, person_record_id VARCHAR, role VARCHAR)")
    con.execute("""CREATE TABLE event (source VARCHAR, source_record_id VARCHAR, person_record_id VARCHAR,
        start_date DATE, with_whom VARCHAR)""")
    con.execute("CREATE TABLE link_person (source VARCHAR, source_record_id VARCHAR, person_id VARCHAR)")
    return con


def _person(con, rid: str, forename: str, surname: str, postcode: str = "AB1 2CD") -> None:
    con.execute("INSERT INTO person_record VALUES ('pol', ?, 'police', 'F1', ?, ?, [], [], [], NULL, ?, NULL, NULL)",
                [rid, forename, surname, postcode])
    con.execute("INSERT INTO link_person VALUES ('pol', ?, ?)", [rid, "P" + rid])


def test_a_full_name_goes_to_the_suspect_of_that_name():
    con = _warehouse()
    for rid, fore, sur in (("s1", "JOHN", "SMITH"), ("n1", "JOHN", "SMITH"), ("n2", "JOHN", "SMITH"),
                           ("v1", "AMY", "JONES"), ("k1", "KATE", "BROWN")):
        _person(con, rid, fore, sur)
    # s1 raped v1 in 2009; n1 and n2 are other John Smiths on police records (a burglary's victim, say)
    con.execute("INSERT INTO crime VALUES ('pol', 'c1', 'F1', 'SOA03-S1', false, DATE '2009-05-01', DATE '2009-06-01')")
    con.execute("INSERT INTO crime_person VALUES ('pol', 'c1', 's1', 'SUSPECT'), ('pol', 'c1', 'v1', 'VICTIM')")
    con.execute("INSERT INTO crime VALUES ('pol', 'c2', 'F1', 'OTHER', false, DATE '2009-05-01', DATE '2009-06-01')")
    con.execute("INSERT INTO crime_person VALUES ('pol', 'c2', 'n1', 'VICTIM')")
    # child k1 missing in 2010, found with "John Smith"
    con.execute("INSERT INTO event VALUES ('pol', 'e1', 'k1', DATE '2010-03-01', 'John Smith')")
    build_edges(con, None)
    rows = con.execute("SELECT suspect, n_candidates FROM nw_named WHERE child = 'Pk1'").fetchall()
    assert rows == [("Ps1", 1)]
    edge = con.execute("""SELECT weight FROM nw_edge WHERE edge_type = 'missing_with'
        AND person_a = least('Pk1', 'Ps1') AND person_b = greatest('Pk1', 'Ps1')""").fetchall()
    assert edge == [(1.0,)]


def test_with_no_suspect_of_the_name_every_namesake_is_a_candidate():
    con = _warehouse()
    for rid in ("n1", "n2"):
        _person(con, rid, "JOHN", "SMITH")
    _person(con, "k1", "KATE", "BROWN")
    con.execute("INSERT INTO event VALUES ('pol', 'e1', 'k1', DATE '2010-03-01', 'John Smith')")
    build_edges(con, None)
    assert sorted(con.execute("SELECT suspect, n_candidates FROM nw_named").fetchall()) == [("Pn1", 2), ("Pn2", 2)]


def test_a_man_whose_record_has_forename_and_surname_swapped_is_found_by_the_name_said_aloud():
    con = _warehouse()
    _person(con, "m1", "ROGERS", "BENJAMIN")  # police record with the names the wrong way round
    _person(con, "k1", "KATE", "BROWN")
    con.execute("INSERT INTO event VALUES ('pol', 'e1', 'k1', DATE '2010-03-01', 'Benjamin Rogers')")
    build_edges(con, None)
    assert con.execute("SELECT suspect, kind, n_candidates FROM nw_named WHERE child = 'Pk1'").fetchall() == [("Pm1", "full", 1)]


def test_a_name_one_slip_from_a_police_record_is_a_near_match():
    con = _warehouse()
    _person(con, "m1", "ROEGR", "CHAN")      # a typo on the police record
    _person(con, "m2", "PETER", "HENRY")     # the name said aloud is "Pete"
    _person(con, "m3", "DWAYNE", "JAVIS")    # a letter lost from the surname
    _person(con, "m4", "SAM", "LEE")         # too short to risk: "Sam Lea" is not him
    _person(con, "k1", "KATE", "BROWN")
    con.executemany("INSERT INTO event VALUES ('pol', ?, 'k1', DATE '2010-03-01', ?)",
                    [("e1", "Roger Chan"), ("e2", "Pete Henry"), ("e3", "Dwayne Jarvis"), ("e4", "Sam Lea")])
    build_edges(con, None)
    rows = con.execute("SELECT eid, suspect, kind, n_candidates FROM nw_named ORDER BY eid").fetchall()
    assert rows == [("e1", "Pm1", "near", 1), ("e2", "Pm2", "near", 1), ("e3", "Pm3", "near", 1)]
    edge = con.execute("""SELECT weight FROM nw_edge WHERE edge_type = 'missing_with'
        AND person_a = least('Pk1', 'Pm1') AND person_b = greatest('Pk1', 'Pm1')""").fetchall()
    assert edge == [(0.8,)]


def test_an_exact_name_beats_a_near_one():
    con = _warehouse()
    _person(con, "m1", "ROGER", "CHAN")
    _person(con, "m2", "ROGR", "CHAN")
    _person(con, "k1", "KATE", "BROWN")
    con.execute("INSERT INTO event VALUES ('pol', 'e1', 'k1', DATE '2010-03-01', 'Roger Chan')")
    build_edges(con, None)
    assert con.execute("SELECT suspect, kind, n_candidates FROM nw_named").fetchall() == [("Pm1", "full", 1)]


def _groups_con(named: list[tuple[str, str, int]]) -> duckdb.DuckDBPyConnection:
    """Two groups (A, B with V1; C, D with V2) and missing episodes (episode id, man named, candidates) of child K,
    who is on no crime: each name could be `candidates` men."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE nw_cp (person_id VARCHAR, role VARCHAR)")
    con.executemany("INSERT INTO nw_cp VALUES (?, ?)", [("A", "SUSPECT"), ("B", "SUSPECT"), ("V1", "VICTIM"),
                                                        ("C", "SUSPECT"), ("D", "SUSPECT"), ("V2", "VICTIM")])
    con.execute("""CREATE TEMP TABLE nw_named (source VARCHAR, eid VARCHAR, suspect VARCHAR, child VARCHAR,
        n_candidates INTEGER)""")
    con.executemany("INSERT INTO nw_named VALUES ('pol', ?, ?, 'K', ?)", named)
    con.execute("CREATE TEMP TABLE nw_edge_raw (person_a VARCHAR, person_b VARCHAR, edge_type VARCHAR, d DATE)")
    con.execute("CREATE TEMP TABLE nw_edge (person_a VARCHAR, person_b VARCHAR, edge_type VARCHAR, weight DOUBLE)")
    for a, b in (("A", "B"), ("A", "V1"), ("B", "V1"), ("C", "D"), ("C", "V2"), ("D", "V2")):
        con.execute("INSERT INTO nw_edge_raw VALUES (?, ?, 'co_suspect', DATE '2010-01-01')", [a, b])
        con.execute("INSERT INTO nw_edge VALUES (?, ?, 'co_suspect', 1.0)", [a, b])
    return con


def test_a_child_named_with_one_groups_men_in_two_episodes_joins_it():
    # names that could be 8 men each make no edge, but two episodes both naming men of group A-B corroborate
    con = _groups_con([("e1", "A", 8), ("e2", "B", 8), ("e2", "X", 8)])
    # those names' ties, kept aside by build_edges as nw_edge_vague
    con.execute("CREATE TEMP TABLE nw_edge_vague AS SELECT * FROM nw_edge LIMIT 0")
    con.executemany("INSERT INTO nw_edge_vague VALUES (least('K', ?), greatest('K', ?), 'missing_with', 0.7 / 8)",
                    [("A", "A"), ("B", "B"), ("X", "X")])
    found = find_groups(con)
    assert found.members["K"] == found.members["A"] and found.roles["K"] == "victim"
    # the names that placed her are stored as her edges to the group's men (her evidence), not the third man's
    assert sorted(con.execute("SELECT person_a, person_b FROM nw_edge WHERE edge_type = 'missing_with'").fetchall()) \
        == [("A", "K"), ("B", "K")]


def test_one_ambiguous_episode_is_not_enough():
    found = find_groups(_groups_con([("e1", "A", 8)]))
    assert "K" not in found.members


def test_episodes_naming_two_groups_equally_join_neither():
    found = find_groups(_groups_con([("e1", "A", 8), ("e2", "B", 8), ("e3", "C", 8), ("e4", "D", 8)]))
    assert "K" not in found.members


def test_names_that_could_be_too_many_men_do_not_count():
    n = groups.NAMED_CORROBORATE_MAX_CANDIDATES + 1
    found = find_groups(_groups_con([("e1", "A", n), ("e2", "B", n)]))
    assert "K" not in found.members


def _cut_parts_every_combination(sub, sus):
    """_cut_parts trying every suspect or child alone and every pair of suspects (the search before articulation
    points narrowed it)."""
    from itertools import combinations

    saved = groups._separating
    # one person: any suspect or child; two: any pair of suspects
    groups._separating = lambda red, ordered, rsus, size: (
        [(v,) for v in sorted(set(ordered) | {v for v in range(red.vcount()) if red.vs[v]["child"]})]
        if size == 1 else combinations(ordered, size))
    try:
        return _cut_parts(sub, sus)
    finally:
        groups._separating = saved


def test_the_cut_search_finds_what_trying_every_pair_finds():
    rng = random.Random(5)
    tried = split = 0
    for _ in range(600):
        n = rng.randint(6, 16)
        g = ig.Graph.Erdos_Renyi(n=n, m=rng.randint(n, 2 * n), loops=False)
        g.vs["victim"] = [rng.random() < 0.4 for _ in range(n)]
        g.vs["associate"] = [rng.random() < 0.1 for _ in range(n)]
        sus = {v for v in range(n) if not g.vs[v]["victim"] and rng.random() < 0.7}
        got, want = _cut_parts(g, sus), _cut_parts_every_combination(g, sus)
        assert got == want
        tried += 1
        split += got is not None
    assert split >= 5  # the graphs did hold cuts to find
