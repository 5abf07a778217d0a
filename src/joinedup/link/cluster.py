"""Clusters from scored pairs: threshold links, people's judgements, and guards against chaining."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# A component this big must also be dense, else it is re-clustered at stricter thresholds: a chain
# A~B~C~D of single weak links is how two different children get merged.
BIG_CLUSTER = 8
MIN_DENSITY = 0.3
STRICTER = (0.99, 0.999, 0.9999, 0.99999)


def full_dob(d: str | None) -> str | None:
    """The date of birth a record holds to the day, or None: a year- or month-only date has no day (its feature is
    NULL), and 1 January is how an unknown day and month is commonly recorded, so it counts as approximate."""
    return d if d and len(d) == 10 and d[5:] != "01-01" else None


def _one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 for two strings of equal length (one substitution or one swap of neighbours)."""
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) <= 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


def dobs_conflict(a: str, b: str) -> bool:
    """Two full dates of birth that cannot be one person's: not equal, not day and month swapped, not a one-digit
    typo or swap, not the year off by one (the dob comparison's agreeing levels)."""
    if a == b:
        return False
    if len(a) != 10 or len(b) != 10:
        return a != b
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return False
    if _one_edit(a, b):
        return False
    if a[5:] == b[5:] and a[:4].isdigit() and b[:4].isdigit() and abs(int(a[:4]) - int(b[:4])) == 1:
        return False
    return True


def _groups_conflict(xs: Iterable[str], ys: Iterable[str]) -> bool:
    """Two groups' full dates of birth conflict when none of one agrees with any of the other (so a person whose
    records hold a typo on one and a day/month swap on another is still one person)."""
    ys = list(ys)
    return all(dobs_conflict(x, y) for x in xs for y in ys)


def person_id(members: Iterable[tuple[str, str]]) -> str:
    """Deterministic person id: a hash of the smallest (source, source_record_id) in the cluster."""
    s, r = min(members)
    return "P" + hashlib.sha1(f"{s}\x1f{r}".encode()).hexdigest()[:15]


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of n nodes joined by edges a[i]-b[i]: each node's label is the smallest node in its
    component (so labels do not depend on the library's numbering)."""
    if len(a) == 0:
        return np.arange(n, dtype=np.int64)
    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    smallest = np.full(lab.max() + 1, n, dtype=np.int64)
    np.minimum.at(smallest, lab, np.arange(n, dtype=np.int64))
    return smallest[lab]


def component_groups(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """The connected components of string nodes joined by edges (every node of an edge is a node too)."""
    index: dict[str, int] = {}
    for x in nodes:
        index.setdefault(x, len(index))
    ea, eb = [], []
    for x, y in edges:
        ea.append(index.setdefault(x, len(index)))
        eb.append(index.setdefault(y, len(index)))
    lab = components(len(index), np.asarray(ea, dtype=np.int64), np.asarray(eb, dtype=np.int64))
    groups: dict[int, list[str]] = defaultdict(list)
    for x, i in index.items():
        groups[int(lab[i])].append(x)
    return list(groups.values())


def _held(v: str | Iterable[str]) -> set[str]:
    # a record holds one full date; an existing person (an incremental run's node) may hold several that agree
    return {v} if isinstance(v, str) else set(v)


class _UF:
    def __init__(self, forbidden: dict[str, set[str]], dobs: dict[str, Any] | None = None):
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.forbidden = forbidden
        self.dobs = dobs or {}
        self.held: dict[str, set[str]] = {}  # root -> the distinct full dates of birth its records hold

    def find(self, x: str) -> str:
        p = self.parent.setdefault(x, x)
        if p != x:
            root = x
            while self.parent[root] != root:
                root = self.parent[root]
            while self.parent[x] != root:  # path compression
                self.parent[x], x = root, self.parent[x]
            return root
        if x not in self.members:
            self.members[x] = [x]
            if x in self.dobs:
                self.held[x] = _held(self.dobs[x])
        return x

    def union(self, a: str, b: str, guard_dob: bool = False) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ma, mb = self.members[ra], self.members[rb]
        if len(ma) < len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        # "not the same" from a person beats every link, including "same" judgements
        if self.forbidden:
            for x in mb:
                for y in self.forbidden.get(x, ()):
                    if self.find(y) == ra:
                        return False
        ha, hb = self.held.get(ra), self.held.get(rb)
        if guard_dob and ha and hb and _groups_conflict(ha, hb):
            return False
        self.parent[rb] = ra
        ma.extend(mb)
        del self.members[rb]
        if hb:
            self.held[ra] = (ha or set()) | hb
            del self.held[rb]
        return True


def _constrained_components(nodes: Iterable[str], edges: list[tuple[str, str, float]], threshold: float,
                forbidden: dict[str, set[str]], dobs: dict[str, Any] | None = None) -> list[list[str]]:
    uf = _UF(forbidden, dobs)
    for n in nodes:
        uf.find(n)
    if dobs is None:
        for a, b, p in sorted(edges, key=lambda e: -e[2]):  # strongest evidence first
            if p >= threshold:
                uf.union(a, b)
        return list(uf.members.values())
    # A record without a full date of birth (year or month only, 1 January, none) must not bridge records whose
    # full dates conflict: first the links between records that both hold a full date (and people's "same"
    # judgements), then the others, strongest first, each refused if it would join conflicting full dates. So a
    # bridging record joins its best-scoring group only.
    first = [e for e in edges if e[2] >= 2.0 or (e[0] in dobs and e[1] in dobs)]
    then = [e for e in edges if not (e[2] >= 2.0 or (e[0] in dobs and e[1] in dobs))]
    for a, b, p in sorted(first, key=lambda e: -e[2]):
        if p >= threshold:
            uf.union(a, b)
    for a, b, p in sorted(then, key=lambda e: -e[2]):
        if p >= threshold:
            uf.union(a, b, guard_dob=True)
    return list(uf.members.values())


def has_dob_bridge(nodes: Iterable[str], dobs: dict[str, Any]) -> bool:
    """True when some nodes lack a full date of birth and the others' full dates conflict (the dob guard can act)."""
    nodes = list(nodes)
    held = sorted({d for n in nodes if n in dobs for d in _held(dobs[n])})
    if len(held) < 2 or all(n in dobs for n in nodes):
        return False
    return any(dobs_conflict(x, y) for i, x in enumerate(held) for y in held[i + 1:])


def cluster(nodes: list[str], edges: list[tuple[str, str, float]], threshold: float,
            same: Iterable[tuple[str, str]] = (), not_same: Iterable[tuple[str, str]] = (),
            dobs: dict[str, Any] | None = None) -> list[list[str]]:
    """Group node ids: links at >= threshold, 'same' judgements forced, 'not-same' never joined, sparse big groups split.

    dobs (node -> full date of birth, see full_dob, or a set of them for a node that stands for a person) turns on the date-of-birth guard: a node with no full date
    never joins two groups none of whose full dates agree (dobs_conflict). Without it, or unless the nodes hold
    two conflicting full dates and a node without one, the result is what it would be without the guard."""
    forbidden: dict[str, set[str]] = defaultdict(set)
    for a, b in not_same:
        forbidden[a].add(b)
        forbidden[b].add(a)
    all_edges = list(edges) + [(a, b, 2.0) for a, b in same]  # 2.0: above every threshold
    if dobs is not None and not has_dob_bridge(nodes, dobs):
        dobs = None
    comps = _constrained_components(nodes, all_edges, threshold, forbidden, dobs)
    out: list[list[str]] = []
    by_node: dict[str, int] = {}
    for i, c in enumerate(comps):
        for n in c:
            by_node[n] = i
    inside: dict[int, list[tuple[str, str, float]]] = defaultdict(list)
    for a, b, p in all_edges:
        if p >= threshold and by_node.get(a) == by_node.get(b) and a in by_node:
            inside[by_node[a]].append((a, b, p))
    for i, c in enumerate(comps):
        out.extend(_split_if_chained(c, inside[i], forbidden, dobs=dobs))
    return out


def _dense(c: list[str], edges: list[tuple[str, str, float]], threshold: float) -> bool:
    n = len(c)
    if n < BIG_CLUSTER:
        return True
    pairs = {(a, b) if a < b else (b, a) for a, b, p in edges if p >= threshold}
    return len(pairs) / (n * (n - 1) / 2) >= MIN_DENSITY


def _split_if_chained(c: list[str], edges: list[tuple[str, str, float]], forbidden: dict[str, set[str]],
                      level: int = 0, dobs: dict[str, Any] | None = None) -> list[list[str]]:
    thr = STRICTER[level - 1] if level else 0.0
    if _dense(c, edges, thr) or level >= len(STRICTER):
        return [c]
    nxt = STRICTER[level]
    parts = _constrained_components(c, edges, nxt, forbidden, dobs)
    if len(parts) == 1:
        return _split_if_chained(c, edges, forbidden, level + 1, dobs) if level + 1 < len(STRICTER) else [c]
    out = []
    for part in parts:
        s = set(part)
        out.extend(_split_if_chained(part, [e for e in edges if e[0] in s and e[1] in s], forbidden, level + 1, dobs))
    return out


def _judged_in(con: Any, feat: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # judgements about records that are not in this run (deleted, or another file) have nothing to act on
    if not pairs:
        return []
    con.register("__jl_j", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}))
    try:
        return [tuple(r) for r in con.sql(f"""SELECT j.a, j.b FROM __jl_j j JOIN {feat} fa ON fa.unique_id = j.a
            JOIN {feat} fb ON fb.unique_id = j.b""").fetchall()]
    finally:
        con.unregister("__jl_j")


# a full date of birth as YYYYMMDD (NULL for none, year or month only, 1 January): see full_dob
_FULL_DOB_SQL = ("CASE WHEN length(dob) = 10 AND substr(dob, 6) <> '01-01' "
                 "THEN TRY_CAST(replace(dob, '-', '') AS INTEGER) END")


def _dob_bridges(con: Any, n: int, lab: np.ndarray, size: np.ndarray) -> dict[int, str]:
    """Record number -> full date of birth for the records of every component where the date-of-birth guard can
    act: it holds a record without a full date and two full dates that conflict (has_dob_bridge). Found in numpy
    (the smallest and largest full date per component) with only the candidate components' dates compared in
    Python. Reads __jl_ix's column d (_FULL_DOB_SQL)."""
    d = con.execute("SELECT i, d FROM __jl_ix WHERE d IS NOT NULL").fetchnumpy()
    di, dd = np.asarray(d["i"], dtype=np.int64), np.asarray(d["d"], dtype=np.int64)
    keep = size[lab[di]] >= 3  # two full dates and a record without one
    di, dd = di[keep], dd[keep]
    if len(di) == 0:
        return {}
    c = lab[di]
    n_full = np.bincount(c, minlength=n)
    lo = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, c, dd)
    np.maximum.at(hi, c, dd)
    cand = (hi > lo) & (size > n_full)
    pick = cand[c]
    if not pick.any():
        return {}
    ci, cd = di[pick], dd[pick]
    iso = [f"{v // 10000:04d}-{v // 100 % 100:02d}-{v % 100:02d}" for v in cd.tolist()]
    by_comp: dict[int, set[str]] = {}
    for i, v in zip(ci.tolist(), iso):
        by_comp.setdefault(int(lab[i]), set()).add(v)
    bad = set()
    for comp, held in by_comp.items():
        h = sorted(held)
        if any(dobs_conflict(x, y) for j, x in enumerate(h) for y in h[j + 1:]):
            bad.add(comp)
    return {i: v for i, v in zip(ci.tolist(), iso) if int(lab[i]) in bad}


def cluster_table(con: Any, feat: str, pairs: str, out: str, threshold: float,
                  same: list[tuple[str, str]], not_same: list[tuple[str, str]]) -> None:
    """Cluster the scored pairs and write `out`: every record of `feat` with person_id, cluster_size, match_probability.

    The links (pairs at >= threshold, and "same" judgements) are joined into connected components (scipy)
    over integer record numbers. Only the components that need cluster()'s checks go through its Python
    union-find: those of BIG_CLUSTER records or more (the chaining guard) and those holding a "not the same"
    judgement. Every other component is exactly what the union-find would give. person_id (P + sha1 of the
    smallest source, record id) is computed in DuckDB for every cluster, as cluster.person_id does.
    """
    same, not_same = _judged_in(con, feat, same), _judged_in(con, feat, not_same)
    con.register("__jl_same", pa.table({"a": pa.array([a for a, _ in same], pa.string()),
                                        "b": pa.array([b for _, b in same], pa.string())}))
    con.register("__jl_nots", pa.table({"a": pa.array([a for a, _ in not_same], pa.string()),
                                        "b": pa.array([b for _, b in not_same], pa.string())}))
    try:
        has_dob = "dob" in {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {feat}").fetchall()}
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __jl_ix AS SELECT unique_id, (row_number() OVER () - 1)::BIGINT AS i,
            {_FULL_DOB_SQL if has_dob else 'NULL::INTEGER'} AS d FROM {feat}""")
        n = con.execute("SELECT count(*) FROM __jl_ix").fetchall()[0][0]
        # the links, strongest first as the union-find takes them ("same" judgements above every threshold)
        e = con.execute(f"""SELECT x.i AS a, y.i AS b, l.p FROM (
                SELECT uid_l AS ua, uid_r AS ub, match_probability AS p FROM {pairs} WHERE match_probability >= $thr
                UNION ALL SELECT a, b, 2.0 FROM __jl_same) l
            JOIN __jl_ix x ON x.unique_id = l.ua JOIN __jl_ix y ON y.unique_id = l.ub""", {"thr": threshold}).fetchnumpy()
        ea, eb, ep = (np.asarray(e[c]) for c in ("a", "b", "p"))
        nots = con.execute("""SELECT x.i, y.i FROM __jl_nots j JOIN __jl_ix x ON x.unique_id = j.a
            JOIN __jl_ix y ON y.unique_id = j.b""").fetchall()
        lab = components(n, ea.astype(np.int64), eb.astype(np.int64))
        size = np.bincount(lab, minlength=n)
        special = size[lab] >= BIG_CLUSTER
        for x, y in nots:
            if lab[x] == lab[y]:  # a "not the same" inside one component: the union-find decides
                special[lab == lab[x]] = True
        dob_of = _dob_bridges(con, n, lab, size)
        if dob_of:
            bridged = np.zeros(n, dtype=bool)
            bridged[lab[np.fromiter(dob_of, dtype=np.int64, count=len(dob_of))]] = True
            special |= bridged[lab]
        if special.any():
            sp = np.flatnonzero(special)
            ids = con.execute("SELECT unique_id, i FROM __jl_ix WHERE i IN (SELECT unnest($ix))",
                              {"ix": sp.tolist()}).fetchall()
            name = {i: u for u, i in ids}
            keep = special[ea] & special[eb]
            # strongest first; equal strengths in record order, so a "not the same" that blocks one of two
            # equal links always blocks the same one (the table's scan order is not fixed)
            ka, kb, kp = ea[keep], eb[keep], ep[keep]
            order = np.lexsort((np.maximum(ka, kb), np.minimum(ka, kb), -kp))
            sa, sb, spp = ka[order], kb[order], kp[order]
            by_comp: dict[int, list[int]] = {}
            for i in sp.tolist():
                by_comp.setdefault(int(lab[i]), []).append(i)
            edges_of: dict[int, list[tuple[str, str, float]]] = {}
            for x, y, p in zip(sa.tolist(), sb.tolist(), spp.tolist()):
                edges_of.setdefault(int(lab[x]), []).append((name[x], name[y], p))
            ns = [(name[x], name[y]) for x, y in nots if special[x] and special[y] and lab[x] == lab[y]]
            idx_of = {u: i for i, u in name.items()}
            fresh = n  # a new label per resulting cluster, above every record number
            for root, members in by_comp.items():
                nodes = [name[i] for i in members]
                mset = set(nodes)
                comp_ns = [(u, v) for u, v in ns if u in mset and v in mset]
                dobs = {name[i]: dob_of[i] for i in members if i in dob_of} if dob_of else None
                for c in cluster(nodes, edges_of.get(root, []), threshold, (), comp_ns, dobs):
                    lab[[idx_of[u] for u in c]] = fresh
                    fresh += 1
        linked = np.flatnonzero(np.bincount(lab, minlength=int(lab.max()) + 1)[lab] > 1)
        con.register("__jl_lab", pa.table({"i": pa.array(linked, pa.int64()), "lab": pa.array(lab[linked], pa.int64())}))
        con.execute(f"""CREATE OR REPLACE TEMP TABLE __jl_cl AS
            WITH m AS (SELECT x.unique_id, l.lab, coalesce(f.source, '') AS s, coalesce(f.source_record_id, '') AS r
                       FROM __jl_lab l JOIN __jl_ix x USING (i) JOIN {feat} f ON f.unique_id = x.unique_id),
            g AS (SELECT lab, min({{'s': s, 'r': r}}) AS k, count(*) AS n FROM m GROUP BY lab)
            SELECT m.unique_id, 'P' || substr(sha1(g.k.s || chr(31) || g.k.r), 1, 15) AS person_id, g.n::BIGINT AS cluster_size
            FROM m JOIN g USING (lab)""")
        con.unregister("__jl_lab")
        con.execute(f"""CREATE OR REPLACE TABLE {out} AS
            WITH cl AS (SELECT * FROM __jl_cl),
            inside AS (  -- the best link inside the record's own cluster
                SELECT e.uid_l AS a, e.uid_r AS b, e.match_probability AS p FROM {pairs} e
                JOIN cl x ON x.unique_id = e.uid_l JOIN cl y ON y.unique_id = e.uid_r WHERE x.person_id = y.person_id
                UNION ALL  -- a person said so
                SELECT s.a, s.b, 1.0 FROM __jl_same s JOIN cl x ON x.unique_id = s.a JOIN cl y ON y.unique_id = s.b
                WHERE x.person_id = y.person_id),
            best AS (SELECT u, max(p) AS p FROM (SELECT a AS u, p FROM inside UNION ALL SELECT b, p FROM inside) GROUP BY u)
            SELECT f.unique_id, f.source, f.source_record_id,
              coalesce(cl.person_id, 'P' || substr(sha1(coalesce(f.source, '') || chr(31) || coalesce(f.source_record_id, '')), 1, 15)) AS person_id,
              coalesce(cl.cluster_size, 1)::BIGINT AS cluster_size,
              -- a singleton has no link: report 1.0 for "this record is this person" rather than a blank
              round(coalesce(best.p, CASE WHEN coalesce(cl.cluster_size, 1) = 1 THEN 1.0 ELSE {threshold!r} END), 6)::DOUBLE
                AS match_probability
            FROM {feat} f LEFT JOIN cl USING (unique_id) LEFT JOIN best ON best.u = f.unique_id""")
    finally:
        con.unregister("__jl_same")
        con.unregister("__jl_nots")
        con.execute("DROP TABLE IF EXISTS __jl_ix")
        con.execute("DROP TABLE IF EXISTS __jl_cl")
