"""Key people in each group: degree, betweenness and brokers between groups, each said in words."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def key_people(found: Any, gid: dict[int, str]) -> list[tuple[str, int, float, int, str | None]]:
    """(person_id, degree, betweenness, other_groups, key_role) for every group member."""
    g = found.graph
    index = {n: i for i, n in enumerate(g.vs["name"])} if g is not None and g.vcount() else {}
    by_group: dict[int, list[str]] = defaultdict(list)
    for p, k in found.members.items():
        by_group[k].append(p)
    out = []
    for k, people in sorted(by_group.items()):
        people = sorted(people)
        sub = g.induced_subgraph([index[p] for p in people])
        names = sub.vs["name"]
        n = len(names)
        deg = sub.degree()
        # unweighted betweenness, as a share of the pairs of other members (0..1)
        pairs = (n - 1) * (n - 2) / 2 if n > 2 else 1
        btw = [b / pairs for b in sub.betweenness(directed=False)]
        top_deg = max(deg) if deg else 0
        top_btw = max(btw) if btw else 0.0
        for i, p in enumerate(names):
            others = {found.members.get(g.vs[j]["name"]) for j in g.neighbors(index[p])} - {k, None}
            words = []
            if deg[i] == top_deg and top_deg >= 2:
                words.append(f"most connected: tied directly to {deg[i]} of the group's {n - 1} other members")
            if btw[i] == top_btw and top_btw > 0:
                words.append(f"broker: on {btw[i]:.0%} of the shortest paths between other members")
            if others:
                words.append(f"bridge: also tied to members of {len(others)} other group(s) "
                             f"({', '.join(sorted(gid[o] for o in others))})")
            out.append((p, int(deg[i]), round(float(btw[i]), 4), len(others), "; ".join(words) or None))
    return out
