"""Statistical disclosure control for count tables: primary and secondary suppression, rounding.

Every published count takes part in at most two additive constraints: an interior cell of a two-way
table belongs to its row and its column; a total belongs to its own row (as the sum) and to the
total row. So the cells are the edges of a graph whose nodes are the constraints (plus one free node
"outside" for a cell in only one constraint), and a hidden cell can be worked out exactly from the
published figures when, and only when, its edge is a bridge among the hidden edges (it lies on no
cycle of hidden cells). Secondary suppression adds the least informative cells until no hidden cell
is a bridge; `determined` checks a two-way table independently by linear algebra.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

OUTSIDE = ("outside",)
Edge = tuple[Hashable, Hashable]


def _bridges(ends: Sequence[Edge], unknown: np.ndarray) -> set[int]:
    """Indexes of unknown edges that are bridges of the graph of unknown edges."""
    by_pair: dict[frozenset, list[int]] = {}
    for k in np.nonzero(unknown)[0]:
        u, v = ends[k]
        by_pair.setdefault(frozenset((u, v)), []).append(int(k))
    g = nx.Graph()
    for pair, ks in by_pair.items():
        if len(pair) == 2:
            # two hidden cells between the same pair of constraints already form a cycle: never bridges
            g.add_edge(*pair, k=ks[0] if len(ks) == 1 else None)
    return {g.edges[u, v]["k"] for u, v in nx.bridges(g)} - {None}


def suppress(values: Sequence[int], ends: Sequence[Edge], published: Sequence[bool], threshold: int,
             is_total: Sequence[bool] | None = None,
             forced: Sequence[bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary suppression on any table given as cells joining two constraints; returns the two masks.

    forced: cells to hide from the start whatever their value (hidden in another table showing the same figure).
    """
    v = np.asarray(values, dtype=np.int64)
    pub = np.asarray(published, dtype=bool)
    tot = np.zeros(len(v), bool) if is_total is None else np.asarray(is_total, dtype=bool)
    primary = pub & (v > 0) & (v < threshold)
    if forced is not None:
        primary |= pub & np.asarray(forced, dtype=bool)
    secondary = np.zeros(len(v), bool)
    # what a reader loses when a cell is hidden: small counts first, zeros and totals last
    cost = v.astype(float) + np.where(v == 0, 1e9, 0) + np.where(tot, 1e6, 0)

    def unsafe() -> list[int]:
        hidden = primary | secondary
        return sorted(k for k in _bridges(ends, hidden | ~pub) if hidden[k])

    while bad := unsafe():
        k = bad[0]
        # the cheapest cycle through the exposed cell: a least-cost path between its two ends over the
        # other cells (hidden ones cost nothing, unpublished ones are unknown anyway); hide that path
        hidden = primary | secondary | ~pub
        g = nx.Graph()
        for j, (u, w) in enumerate(ends):
            if j == k or u == w:
                continue
            cj = 0.0 if hidden[j] else cost[j]
            if not g.has_edge(u, w) or g.edges[u, w]["w"] > cj:
                g.add_edge(u, w, w=cj, k=j)
        try:
            path = nx.dijkstra_path(g, ends[k][0], ends[k][1], weight="w")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            raise RuntimeError("secondary suppression found no way to protect a cell") from None
        added = [g.edges[u, w]["k"] for u, w in zip(path, path[1:]) if not hidden[g.edges[u, w]["k"]]]
        if not added:  # the cell already lies on a hidden cycle: the bridge test and the graph disagree
            raise RuntimeError("secondary suppression made no progress")
        secondary[added] = True
    # greedy choices can overshoot: give back any secondary cell the others already protect
    for k in sorted(np.nonzero(secondary)[0], key=lambda j: -cost[j]):
        secondary[k] = False
        if unsafe():
            secondary[k] = True
    return primary, secondary


@dataclass
class Protected:
    """A two-way count table after disclosure control: which cells of the extended table are hidden."""

    values: np.ndarray      # extended table (R+1, C+1): counts, row totals, column totals, grand total
    published: np.ndarray   # bool: the cell appears in the publication at all
    primary: np.ndarray     # bool: hidden because it is a small count
    secondary: np.ndarray   # bool: hidden so that no hidden cell can be recovered

    @property
    def hidden(self) -> np.ndarray:
        """Cells shown as [c]."""
        return self.primary | self.secondary


def extend(counts: np.ndarray) -> np.ndarray:
    """The extended table: counts with row totals, column totals and the grand total appended."""
    a = np.asarray(counts, dtype=np.int64)
    if a.ndim != 2:
        raise ValueError("counts must be a 2-D table")
    e = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.int64)
    e[:-1, :-1] = a
    e[:-1, -1] = a.sum(axis=1)
    e[-1, :-1] = a.sum(axis=0)
    e[-1, -1] = a.sum()
    return e


def protect(counts: np.ndarray, threshold: int = 5, row_totals: bool = True, col_totals: bool = True,
            forced: np.ndarray | None = None) -> Protected:
    """Suppress counts from 1 to threshold-1 (and any forced cell of the extended table) and enough others that
    no hidden count can be recovered."""
    e = extend(counts)
    r, c = e.shape
    published = np.ones_like(e, dtype=bool)
    if not row_totals:
        published[:, -1] = False
    if not col_totals:
        published[-1, :] = False
    published[-1, -1] = row_totals or col_totals
    # cell (i, j) joins row constraint i and column constraint j (the total row and column included)
    ends = [(("r", i), ("c", j)) for i in range(r) for j in range(c)]
    is_total = [i == r - 1 or j == c - 1 for i in range(r) for j in range(c)]
    p, s = suppress(e.ravel(), ends, published.ravel(), threshold, is_total,
                    None if forced is None else np.asarray(forced, dtype=bool).ravel())
    return Protected(e, published, p.reshape(e.shape), s.reshape(e.shape))


def determined(values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Which unknown cells of an extended two-way table the published cells fix exactly (linear algebra)."""
    r, c = values.shape
    idx = [(int(i), int(j)) for i, j in zip(*np.nonzero(unknown))]
    out = np.zeros_like(unknown, dtype=bool)
    if not idx:
        return out
    a = np.zeros((r + c, len(idx)))
    # row i: its parts minus its total; column j likewise (the total row and column included)
    for k, (i, j) in enumerate(idx):
        a[i, k] += -1.0 if j == c - 1 else 1.0
        a[r + j, k] += -1.0 if i == r - 1 else 1.0
    # x_k is fixed iff e_k lies in the row space of a, i.e. no null-space vector moves it
    _, s, vt = np.linalg.svd(a)
    null = vt[int((s > 1e-9).sum()):]
    for k, (i, j) in enumerate(idx):
        out[i, j] = null.shape[0] == 0 or bool(np.all(np.abs(null[:, k]) < 1e-9))
    return out


def round_to(values: np.ndarray, base: int) -> np.ndarray:
    """Round counts to the nearest multiple of base, each cell on its own (totals may then not add up)."""
    v = np.asarray(values)
    if base <= 1:
        return v
    return (np.floor(v / base + 0.5) * base).astype(np.int64)
