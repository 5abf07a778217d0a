"""Groups from the association graph: components, Leiden within large ones, roles, key people.

A group (docs/network.md) is a community of the graph holding two or more suspects of sexual
offences against children and at least one child victim. Associates join a group only on enough
weight of their own to its suspects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import duckdb
import igraph as ig
import leidenalg

LEIDEN_MIN_SIZE = 12        # components at least this big are split by Leiden; smaller ones stay whole
LEIDEN_RESOLUTION = 0.05    # CPM resolution: a community's internal density must beat this (weights ~0.1-3)
ASSOCIATE_MIN_WEIGHT = 0.75  # an associate needs this much edge weight to the group's suspects (one home address is 0.5)
VICTIM_MIN_WEIGHT = 0.3      # a victim joins on this much tie to the suspects (a forename that could be two men, 0.25, is not enough)
SEED = 20260101             # Leiden is randomised; a fixed seed makes runs repeatable


def group_settings() -> dict:
    """The community-detection and membership settings in use (stored with each run)."""
    return {"leiden_min_size": LEIDEN_MIN_SIZE, "leiden_resolution": LEIDEN_RESOLUTION,
            "associate_min_weight": ASSOCIATE_MIN_WEIGHT, "victim_min_weight": VICTIM_MIN_WEIGHT, "seed": SEED}


@dataclass
class Found:
    """Groups found: person_id -> group number, role per person, and the graph used."""

    members: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    graph: ig.Graph | None = None


def _communities(g: ig.Graph) -> list[list[int]]:
    """Vertex index lists: whole small components, Leiden (CPM, weighted) communities of large ones."""
    out: list[list[int]] = []
    big: list[int] = []
    for comp in g.connected_components():
        if len(comp) < LEIDEN_MIN_SIZE:
            out.append(list(comp))
        else:
            big += comp
    if big:
        # CPM's quality is a sum over communities, so one run over all large components gives the same
        # communities as one run per component (a community never spans two components), at a fraction of the cost
        sub = g.induced_subgraph(sorted(big), implementation="create_from_scratch")
        order = sorted(big)
        part = leidenalg.find_partition(sub, leidenalg.CPMVertexPartition, weights="weight",
                                        resolution_parameter=LEIDEN_RESOLUTION, seed=SEED, n_iterations=-1)
        out += [[order[i] for i in c] for c in part]
    return out


def find_groups(con: duckdb.DuckDBPyConnection, max_candidates: int = 4) -> Found:
    """Group numbers and roles for persons, from temp tables nw_edge and nw_cp (edges.build_edges)."""
    # suspects: of a sexual offence against a child, or named with a child in a missing episode
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_sus AS
        SELECT DISTINCT person_id FROM nw_cp WHERE role = 'SUSPECT'
        UNION SELECT DISTINCT suspect FROM nw_named WHERE n_candidates <= ?""", [max_candidates])
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_vic AS
        (SELECT DISTINCT person_id FROM nw_cp WHERE role = 'VICTIM' UNION SELECT DISTINCT child FROM nw_named)
        EXCEPT SELECT person_id FROM nw_sus""")
    # only suspects, victims and people tied to a suspect can be members: the rest (households sharing an
    # address, say) are left out before community detection, which they would only slow down
    con.execute("""CREATE OR REPLACE TEMP TABLE nw_near AS
        SELECT person_id FROM nw_sus UNION SELECT person_id FROM nw_vic
        UNION SELECT e.person_b FROM nw_edge e JOIN nw_sus s ON s.person_id = e.person_a
        UNION SELECT e.person_a FROM nw_edge e JOIN nw_sus s ON s.person_id = e.person_b""")
    pairs = con.execute("""SELECT person_a, person_b, sum(weight ORDER BY edge_type) FROM nw_edge
        WHERE person_a IN (SELECT person_id FROM nw_near) AND person_b IN (SELECT person_id FROM nw_near)
        GROUP BY ALL ORDER BY 1, 2""").fetchall()
    suspects = {r[0] for r in con.execute("SELECT person_id FROM nw_sus").fetchall()}
    victims = {r[0] for r in con.execute("SELECT person_id FROM nw_vic").fetchall()}
    names = sorted({p for a, b, _ in pairs for p in (a, b)})
    index = {p: i for i, p in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b, _ in pairs])
    g.vs["name"] = names
    g.es["weight"] = [float(wt) for _, _, wt in pairs]
    found = Found(graph=g)
    comms = [c for c in _communities(g)]
    group_of: dict[int, int] = {}
    n = 0
    for comm in comms:
        sus = [i for i in comm if names[i] in suspects]
        if len(sus) < 2 or not any(names[i] in victims for i in comm):
            continue
        n += 1
        for i in sus:
            group_of[i] = n
    # everyone else joins the group whose suspects they are most tied to: a victim on any tie, others
    # on ASSOCIATE_MIN_WEIGHT (a relative sharing one home address with one suspect does not)
    ties: dict[tuple[int, int], float] = defaultdict(float)
    for (a, b), wt in zip(g.get_edgelist(), g.es["weight"]):
        for i, j in ((a, b), (b, a)):
            if i not in group_of and j in group_of:
                ties[(i, group_of[j])] += wt
    best: dict[int, tuple[float, int]] = {}
    for (i, k), wt in sorted(ties.items()):
        if i not in best or wt > best[i][0]:
            best[i] = (wt, k)
    for i, (wt, k) in sorted(best.items()):
        p = names[i]
        role = "suspect" if p in suspects else "victim" if p in victims else "associate"
        if wt < (VICTIM_MIN_WEIGHT if role == "victim" else ASSOCIATE_MIN_WEIGHT):
            continue
        found.members[p] = k
        found.roles[p] = role
    for i, k in group_of.items():
        found.members[names[i]] = k
        found.roles[names[i]] = "suspect"
    return found
