"""Key people in each group: degree, betweenness and brokers between groups, each said in words."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import igraph as ig


def key_people(found: Any, gid: dict[int, str]) -> list[tuple[str, int, float, int, str | None]]:
    """(person_id, degree, betweenness, other_groups, key_role) for every group member."""
    g = found.graph
    vnames = g.vs["name"] if g is not None and g.vcount() else []
    by_group: dict[int, list[str]] = defaultdict(list)
    for p, k in found.members.items():
        by_group[k].append(p)
    # each group's own edges, collected in one pass (an induced subgraph per group costs the whole graph each time)
    local: dict[int, dict[str, int]] = {k: {p: i for i, p in enumerate(sorted(ps))} for k, ps in by_group.items()}
    group_edges: dict[int, list[tuple[int, int]]] = defaultdict(list)
    others: dict[str, set] = defaultdict(set)
    for a, b in (g.get_edgelist() if vnames else []):
        pa, pb = vnames[a], vnames[b]
        ka, kb = found.members.get(pa), found.members.get(pb)
        if ka is not None and ka == kb:
            group_edges[ka].append((local[ka][pa], local[ka][pb]))
        elif ka is not None and kb is not None:
            others[pa].add(kb)
            others[pb].add(ka)
    out = []
    for k in sorted(by_group):
        names = sorted(by_group[k])
        n = len(names)
        sub = ig.Graph(n=n, edges=group_edges[k])
        deg = sub.degree()
        # unweighted betweenness, as a share of the pairs of other members (0..1)
        pairs = (n - 1) * (n - 2) / 2 if n > 2 else 1
        btw = [b / pairs for b in sub.betweenness(directed=False)]
        top_deg = max(deg) if deg else 0
        top_btw = max(btw) if btw else 0.0
        for i, p in enumerate(names):
            words = []
            if deg[i] == top_deg and top_deg >= 2:
                words.append(f"most connected: tied directly to {deg[i]} of the group's {n - 1} other members")
            if btw[i] == top_btw and top_btw > 0:
                words.append(f"broker: on {btw[i]:.0%} of the shortest paths between other members")
            if others[p]:
                words.append(f"bridge: also tied to members of {len(others[p])} other group(s) "
                             f"({', '.join(sorted(gid[o] for o in others[p]))})")
            out.append((p, int(deg[i]), round(float(btw[i]), 4), len(others[p]), "; ".join(words) or None))
    return out
