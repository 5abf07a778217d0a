"""cluster_table (scipy components, Python union-find only where needed) gives the clusters cluster.cluster gives."""

import random

import duckdb
import pyarrow as pa

from joinedup.link import cluster as clu
from joinedup.link.cluster import cluster_table


def _run(nodes, edges, same, not_same):
    con = duckdb.connect()
    con.register("f", pa.table({"unique_id": nodes, "source": ["S"] * len(nodes), "source_record_id": nodes}))
    con.execute("CREATE TABLE feat AS SELECT * FROM f")
    con.register("e", pa.table({"uid_l": [a for a, _, _ in edges], "uid_r": [b for _, b, _ in edges],
                                "match_probability": [p for _, _, p in edges]}))
    con.execute("CREATE TABLE pairs AS SELECT * FROM e")
    cluster_table(con, "feat", "pairs", "out", 0.8, same, not_same)
    got = {}
    for u, pid, n in con.execute("SELECT unique_id, person_id, cluster_size FROM out").fetchall():
        got.setdefault(pid, set()).add(u)
        assert n >= 1
    return got


def test_same_clusters_as_python_union_find():
    rng = random.Random(3)
    nodes = [f"r{i:04d}" for i in range(600)]
    edges = []
    # small groups, some big sparse chains (split by the chaining guard), distinct strengths (no ties)
    ps = iter(rng.sample(range(1, 10**6), 5000))
    for g in range(0, 400, 4):
        for i in range(g, g + 3):
            edges.append((nodes[i], nodes[i + 1], 0.5 + next(ps) / 2e6))
    for i in range(400, 440):
        edges.append((nodes[i], nodes[i + 1], 0.8 + next(ps) / 1e7))
    for i in range(450, 470):
        for j in range(i + 1, 470):
            if rng.random() < 0.5:
                edges.append((nodes[i], nodes[j], 0.9 + next(ps) / 1e7))
    same = [(nodes[500], nodes[501]), (nodes[1], nodes[2])]
    not_same = [(nodes[455], nodes[460]), (nodes[0], nodes[3])]
    got = _run(nodes, edges, same, not_same)
    want = clu.cluster(nodes, edges, 0.8, same, not_same)
    assert sorted(sorted(c) for c in got.values()) == sorted(sorted(c) for c in want)
    for pid, members in got.items():
        assert pid == clu.person_id(("S", u) for u in members)
