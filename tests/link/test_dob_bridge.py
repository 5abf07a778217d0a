"""A record with an approximate date of birth (year or month only, 1 January, none) must not bridge people whose
full dates of birth conflict (issue 12: three namesakes born in 1995 chained by a police record dated 1995-01-01)."""

import duckdb
import pyarrow as pa

from joinedup.link import cluster as clu
from joinedup.link.cluster import cluster_table


def _run(recs, edges, same=(), not_same=()):
    """recs: (id, dob feature or None); edges: (a, b, p). The clusters cluster_table writes, as sets."""
    con = duckdb.connect()
    con.register("f", pa.table({"unique_id": [u for u, _ in recs], "source": ["S"] * len(recs),
                                "source_record_id": [u for u, _ in recs],
                                "dob": pa.array([d for _, d in recs], pa.string())}))
    con.execute("CREATE TABLE feat AS SELECT * FROM f")
    con.register("e", pa.table({"uid_l": [a for a, _, _ in edges], "uid_r": [b for _, b, _ in edges],
                                "match_probability": [p for _, _, p in edges]}))
    con.execute("CREATE TABLE pairs AS SELECT * FROM e")
    cluster_table(con, "feat", "pairs", "out", 0.8, list(same), list(not_same))
    got: dict[str, set[str]] = {}
    for u, pid, n in con.execute("SELECT unique_id, person_id, cluster_size FROM out").fetchall():
        got.setdefault(pid, set()).add(u)
    for pid, m in got.items():
        assert pid == clu.person_id(("S", u) for u in m)
    return sorted(sorted(m) for m in got.values())


# three women, same name, born 1995; X is a police record of the second dated 1 January 1995, no postcode
NAMESAKES = [("a1", "1995-04-04"), ("a2", "1995-04-04"), ("b1", "1995-09-08"), ("b2", "1995-09-08"),
             ("c1", "1995-11-18"), ("c2", "1995-11-18")]
EDGES = [("a1", "a2", 0.999), ("b1", "b2", 0.999), ("c1", "c2", 0.999),
         ("a1", "x", 0.90), ("b1", "x", 0.95), ("c1", "x", 0.85), ("a2", "x", 0.90)]


def test_approximate_dob_does_not_chain_namesakes():
    # without the guard (plain components) the one record chains the three women into one person
    assert [sorted(c) for c in clu.cluster([u for u, _ in NAMESAKES] + ["x"], EDGES, 0.8)] == [
        ["a1", "a2", "b1", "b2", "c1", "c2", "x"]]
    for x_dob in ("1995-01-01", None):  # 1 January stand-in; year-only (the dob feature is NULL)
        got = _run(NAMESAKES + [("x", x_dob)], EDGES)
        # x joins its best-scoring woman only (b, 0.95)
        assert got == [["a1", "a2"], ["b1", "b2", "x"], ["c1", "c2"]], x_dob


def test_two_approximate_records_do_not_bridge_either():
    recs = NAMESAKES[:4] + [("x", None), ("y", "1995-01-01")]
    edges = [("a1", "a2", 0.999), ("b1", "b2", 0.999), ("a1", "x", 0.9), ("x", "y", 0.97), ("y", "b1", 0.92)]
    assert _run(recs, edges) == [["a1", "a2"], ["b1", "b2", "x", "y"]]


def test_true_person_with_approximate_and_varied_dobs_still_links():
    # one person: a typo, a day/month swap and a year off by one are not conflicts; the approximate record links
    recs = [("p1", "1980-03-12"), ("p2", "1980-03-12"), ("p3", "1980-12-03"), ("p4", "1980-03-13"),
            ("p5", "1981-03-12"), ("q", "1980-01-01"), ("r", None)]
    edges = [("p1", "p2", 0.99), ("p1", "q", 0.9), ("q", "p3", 0.9), ("r", "p4", 0.85), ("r", "p2", 0.88),
             ("q", "p5", 0.86)]
    assert _run(recs, edges) == [["p1", "p2", "p3", "p4", "p5", "q", "r"]]


def test_direct_links_and_judgements_are_not_undone():
    # full dates that conflict but are linked directly stay linked (the guard is about bridges only), and a
    # person's "same" judgement is kept: y is d's, so c (whose date conflicts with d's) does not join through y
    recs = [("a", "1970-05-06"), ("b", "1972-08-09"), ("x", None), ("c", "1990-02-03"), ("d", "1991-07-08"), ("y", None)]
    edges = [("a", "b", 0.95), ("a", "x", 0.9), ("x", "b", 0.9), ("c", "y", 0.9)]
    assert _run(recs, edges, same=[("y", "d")]) == [["a", "b", "x"], ["c"], ["d", "y"]]


def test_dob_conflict_rule():
    assert not clu.dobs_conflict("1995-04-04", "1995-04-04")
    assert not clu.dobs_conflict("1995-04-08", "1995-08-04")  # day and month swapped
    assert not clu.dobs_conflict("1995-04-08", "1995-04-09")  # one digit
    assert not clu.dobs_conflict("1995-04-18", "1995-04-81")  # neighbours swapped
    assert not clu.dobs_conflict("1995-04-08", "1996-04-08")  # year off by one
    assert clu.dobs_conflict("1995-04-04", "1995-09-08")
    assert clu.dobs_conflict("1995-04-08", "1985-04-09")
    assert clu.full_dob("1995-01-01") is None and clu.full_dob(None) is None and clu.full_dob("1995-02-01") == "1995-02-01"


def test_cluster_table_matches_union_find_with_dates():
    # random namesake-like components, dates from a small pool (some conflicting, some typos, some approximate):
    # cluster_table (which sends only components where the guard can act to the union-find) gives what the
    # union-find gives on the whole graph
    import random

    rng = random.Random(5)
    pool = ["1995-04-04", "1995-09-08", "1995-04-05", "1995-11-18", "1995-01-01", None, None]
    recs, edges = [], []
    ps = iter(rng.sample(range(1, 10**6), 4000))
    for g in range(60):
        ids = [f"g{g:02d}r{i}" for i in range(rng.randint(2, 7))]
        recs += [(u, rng.choice(pool)) for u in ids]
        for i, u in enumerate(ids):
            for v in ids[i + 1:]:
                if rng.random() < 0.5:
                    edges.append((u, v, 0.8 + next(ps) / 1e7))
    got = _run(recs, edges)
    dobs = {u: d for u, d in recs if clu.full_dob(d)}
    want = sorted(sorted(c) for c in clu.cluster([u for u, _ in recs], edges, 0.8, dobs=dobs))
    assert got == want
    assert len(want) > len(clu.cluster([u for u, _ in recs], edges, 0.8))  # the guard acted somewhere


def test_an_incremental_runs_nodes_hold_the_dates_of_their_records():
    # an incremental run clusters new records with existing persons as single nodes: a person holds every full date
    # his records do (here a typo of one another), a new record its own; x, new and without a full date, joins its
    # best-scoring side only, not both
    nodes = ["person::P", "a", "b", "x"]
    edges = [("person::P", "a", 0.99), ("a", "x", 0.9), ("x", "b", 0.95)]
    assert [sorted(c) for c in clu.cluster(nodes, edges, 0.8)] == [["a", "b", "person::P", "x"]]
    dobs = {"person::P": {"1995-04-04", "1995-04-05"}, "a": "1995-04-04", "b": "1995-09-08"}
    assert sorted(sorted(c) for c in clu.cluster(nodes, edges, 0.8, dobs=dobs)) == [["a", "person::P"], ["b", "x"]]
    assert clu.has_dob_bridge(nodes, dobs) and not clu.has_dob_bridge(["person::P", "a", "x"], dobs)


def test_an_incremental_run_takes_full_dates_from_new_records_and_from_persons_records():
    # the dates incremental.link_new gives the guard: a new record's own full date, and every full date of an existing
    # person's records (1 January is approximate, so not one)
    from joinedup.link import incremental

    con = duckdb.connect()
    con.execute("CREATE TABLE link_person (source VARCHAR, source_record_id VARCHAR, person_id VARCHAR)")
    con.execute("CREATE TABLE link_record (source VARCHAR, source_record_id VARCHAR, dob VARCHAR)")
    con.execute("INSERT INTO link_person VALUES ('S', 'old1', 'P1'), ('S', 'old2', 'P1')")
    con.execute("INSERT INTO link_record VALUES ('S', 'old1', '1980-02-03'), ('S', 'old2', '1980-01-01')")
    import pandas as pd

    feat = pd.DataFrame({"unique_id": ["S::a", "S::b", "S::x"], "dob": ["1995-04-04", "1995-09-08", None]})
    got = incremental._full_dobs(con, feat, ["S::a", "S::b", "S::x", "person::P1"])
    assert got == {"S::a": "1995-04-04", "S::b": "1995-09-08", "person::P1": {"1980-02-03"}}
