"""Clusters from scored pairs: threshold links, people's judgements, and a guard against chaining."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

# A component this big must also be dense, else it is re-clustered at stricter thresholds: a chain
# A~B~C~D of single weak links is how two different children get merged.
BIG_CLUSTER = 8
MIN_DENSITY = 0.3
STRICTER = (0.99, 0.999, 0.9999, 0.99999)


def person_id(members: Iterable[tuple[str, str]]) -> str:
    """Deterministic person id: a hash of the smallest (source, source_record_id) in the cluster."""
    s, r = min(members)
    return "P" + hashlib.sha1(f"{s}\x1f{r}".encode()).hexdigest()[:15]


class _UF:
    def __init__(self, forbidden: dict[str, set[str]]):
        self.parent: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        self.forbidden = forbidden

    def find(self, x: str) -> str:
        p = self.parent.setdefault(x, x)
        if p != x:
            root = x
            while self.parent[root] != root:
                root = self.parent[root]
            while self.parent[x] != root:  # path compression
                self.parent[x], x = root, self.parent[x]
            return root
        self.members.setdefault(x, [x])
        return x

    def union(self, a: str, b: str) -> bool:
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
        self.parent[rb] = ra
        ma.extend(mb)
        del self.members[rb]
        return True


def _components(nodes: Iterable[str], edges: list[tuple[str, str, float]], threshold: float,
                forbidden: dict[str, set[str]]) -> list[list[str]]:
    uf = _UF(forbidden)
    for n in nodes:
        uf.find(n)
    for a, b, p in sorted(edges, key=lambda e: -e[2]):  # strongest evidence first
        if p >= threshold:
            uf.union(a, b)
    return list(uf.members.values())


def cluster(nodes: list[str], edges: list[tuple[str, str, float]], threshold: float,
            same: Iterable[tuple[str, str]] = (), not_same: Iterable[tuple[str, str]] = ()) -> list[list[str]]:
    """Group node ids: links at >= threshold, 'same' judgements forced, 'not-same' never joined, sparse big groups split."""
    forbidden: dict[str, set[str]] = defaultdict(set)
    for a, b in not_same:
        forbidden[a].add(b)
        forbidden[b].add(a)
    all_edges = list(edges) + [(a, b, 2.0) for a, b in same]  # 2.0: above every threshold
    comps = _components(nodes, all_edges, threshold, forbidden)
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
        out.extend(_split_if_chained(c, inside[i], forbidden))
    return out


def _dense(c: list[str], edges: list[tuple[str, str, float]], threshold: float) -> bool:
    n = len(c)
    if n < BIG_CLUSTER:
        return True
    pairs = {(a, b) if a < b else (b, a) for a, b, p in edges if p >= threshold}
    return len(pairs) / (n * (n - 1) / 2) >= MIN_DENSITY


def _split_if_chained(c: list[str], edges: list[tuple[str, str, float]], forbidden: dict[str, set[str]],
                      level: int = 0) -> list[list[str]]:
    thr = STRICTER[level - 1] if level else 0.0
    if _dense(c, edges, thr) or level >= len(STRICTER):
        return [c]
    nxt = STRICTER[level]
    parts = _components(c, edges, nxt, forbidden)
    if len(parts) == 1:
        return _split_if_chained(c, edges, forbidden, level + 1) if level + 1 < len(STRICTER) else [c]
    out = []
    for part in parts:
        s = set(part)
        out.extend(_split_if_chained(part, [e for e in edges if e[0] in s and e[1] in s], forbidden, level + 1))
    return out
