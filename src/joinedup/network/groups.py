"""Groups from the association graph: components, Leiden within large ones, roles, key people.

A group (docs/network.md) is a community of the graph holding two or more suspects of sexual
offences against children (or one, and a man who uses his car or phone) and at least one child victim.
Associates join a group only on enough weight of their own to its suspects; groups joined only through one
or two men they share are split, the shared men belonging to each.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

import duckdb
import igraph as ig

from joinedup.network.tables import temp_table
from joinedup.warehouse.engine import has_table

LEIDEN_MIN_SIZE = 12        # components at least this big are split by Leiden; smaller ones stay whole
LEIDEN_ITERATIONS = 2        # Leiden passes (until no vertex moves gave the same groups on five 20,000-person worlds
                            # and took 56 s instead of under 20 at 1M)
LEIDEN_RESOLUTION = 0.02    # CPM resolution: a community's internal density must beat this (weights ~0.1-3); 0.05 split big
                            # groups whose children each name one to three of the men (docs/network.md)
ASSOCIATE_MIN_WEIGHT = 0.75  # an associate needs this much edge weight to the group's suspects (one home address is 0.5)
VICTIM_MIN_WEIGHT = 0.3      # a victim joins on this much tie to the suspects (a forename that could be two men, 0.25, is not enough)
SEED = 20260101             # Leiden is randomised; a fixed seed makes runs repeatable
NAMED_SUSPECT_MAX_CANDIDATES = 4  # named in a missing episode makes a suspect when the name could be at most this many men
JOIN_ROUNDS = 3             # rounds of joining: suspects who joined anchor the next round
VAGUE_ADDRESS_WEIGHT = 0.25  # an address shared by more than three people (a hostel, a children's home) is vague too
VAGUE_NAME_WEIGHT = 0.5     # a missing-episode name weighing less (it could be several men) is vague
CUT_MAX = 2                 # groups joined through at most this many shared suspects are split apart
CORROBORATE_EPISODES = 2    # a child in no group joins one whose men her missing episodes name this many times
NAMED_CORROBORATE_MAX_CANDIDATES = 12  # ... counting names that could be at most this many men (an edge needs 4)
REHOME_MIN_WEIGHT = 0.75   # a core man moves to another group on this much firm tie to its men (more than to his own)
CUT_OWN_MEN = 2             # each side of such a cut must hold this many men of its own (suspects or associates)


def group_settings() -> dict:
    """The community-detection and membership settings in use (stored with each run)."""
    return {"leiden_min_size": LEIDEN_MIN_SIZE, "leiden_resolution": LEIDEN_RESOLUTION, "leiden_iterations": LEIDEN_ITERATIONS,
            "associate_min_weight": ASSOCIATE_MIN_WEIGHT, "victim_min_weight": VICTIM_MIN_WEIGHT, "seed": SEED,
            "cut_max": CUT_MAX, "cut_own_men": CUT_OWN_MEN, "rehome_min_weight": REHOME_MIN_WEIGHT, "join_rounds": JOIN_ROUNDS,
            "named_suspect_max_candidates": NAMED_SUSPECT_MAX_CANDIDATES, "corroborate_episodes": CORROBORATE_EPISODES,
            "named_corroborate_max_candidates": NAMED_CORROBORATE_MAX_CANDIDATES, "leiden": "igraph community_leiden"}


@dataclass
class Found:
    """Groups found: person_id -> group number (his latest), role per person, other groups, and the graph used."""

    members: dict[str, int] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    also: dict[str, list[int]] = field(default_factory=dict)  # the other groups of a man two groups share
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
        # communities as one run per component (a community never spans two components), at a fraction of the cost.
        # igraph's own Leiden (the same algorithm as leidenalg's, in C) took a third of leidenalg's time at 1M, with
        # groups as good or better on every world measured (docs/network.md)
        order = sorted(big)
        sub = g.induced_subgraph(order, implementation="create_from_scratch")
        ig.set_random_number_generator(random.Random(SEED))
        try:
            part = sub.community_leiden(objective_function="CPM", weights="weight", resolution=LEIDEN_RESOLUTION,
                                        n_iterations=LEIDEN_ITERATIONS)
        finally:
            ig.set_random_number_generator(random)
        out += [[order[i] for i in c] for c in part]
    return out


def find_groups(con: duckdb.DuckDBPyConnection, max_candidates: int | None = None) -> Found:
    """Group numbers and roles for persons, from temp tables nw_edge and nw_cp (edges.build_edges)."""
    # suspects: of a sexual offence against a child, or named with a child in a missing episode by a name that
    # could be at most max_candidates men (1, only him, was tried: it helped one world and cost another)
    max_candidates = NAMED_SUSPECT_MAX_CANDIDATES if max_candidates is None else max_candidates
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
    # two kinds of pair, found in one pass over the edges:
    # - vague: ties too vague to hold two groups together (a name in a missing episode that could be several men, a
    #   street name in common, an address that more than three people share); the cut test (below) looks past them
    # - car and phone ties: two people who use the same car or phone (the weight of such ties) and do not live
    #   together; a suspect's partners are built from them below
    vague: set[tuple[str, str]] = set()
    carphone: dict[str, dict[str, float]] = defaultdict(dict)
    for a, b, is_vague, cp_weight in con.execute("""
        SELECT person_a, person_b, bool_and(edge_type = 'alias' OR (edge_type = 'missing_with' AND weight < ?)
                                            OR (edge_type = 'shared_address' AND weight < ?)),
               CASE WHEN count(*) FILTER (WHERE edge_type = 'shared_address') = 0 THEN
                 coalesce(sum(weight) FILTER (WHERE edge_type IN ('shared_phone', 'shared_vehicle')), 0) ELSE 0 END
        FROM nw_edge GROUP BY ALL""", [VAGUE_NAME_WEIGHT, VAGUE_ADDRESS_WEIGHT]).fetchall():
        if is_vague:
            vague.add((a, b))
        if cp_weight > 0:
            carphone[a][b] = carphone[b][a] = float(cp_weight)
    g.es["firm"] = [(a, b) not in vague for a, b, _ in pairs]
    found = Found(graph=g)
    comms = _communities(g)
    group_of: dict[int, int] = {}
    core_role: dict[int, str] = {}
    n = 0
    for comm in comms:
        sus = [i for i in comm if names[i] in suspects]
        if not sus or not any(names[i] in victims for i in comm):
            continue
        men = {i: "suspect" for i in sus}
        if len(sus) == 1:
            men |= {i: "associate" for i in _partners(comm, names, sus[0], carphone, victims)}
        if len(men) < 2:
            continue
        n += 1
        for i, role in men.items():
            group_of[i] = n
            core_role[i] = role
    shared = _rehome_men(g, group_of, core_role)
    # everyone else joins the group whose suspects they are most tied to: a victim on VICTIM_MIN_WEIGHT, others on
    # ASSOCIATE_MIN_WEIGHT (a relative sharing one home address with one suspect does not). Suspects who join this
    # way anchor the next round, so that the men around them can join too (a few rounds reach everyone)
    anchors = dict(group_of)
    edges = list(zip(g.get_edgelist(), g.es["weight"]))
    for _round in range(JOIN_ROUNDS):
        joined = _join_round(edges, names, anchors, suspects, victims, shared)
        for i, (k, role) in joined.items():
            found.members[names[i]] = k
            found.roles[names[i]] = role
        grew = {i: k for i, (k, role) in joined.items() if role == "suspect" and i not in anchors}
        if not grew:
            break
        anchors.update(grew)
    # children are seated last by their ties to all the men of each group, associates too
    men_all = dict(anchors)
    men_all.update({index[p]: k for p, k in found.members.items() if found.roles[p] == "associate"})
    for i, (k, role) in _join_round(edges, names, men_all, suspects, victims, shared).items():
        if role == "victim":
            found.members[names[i]] = k
            found.roles[names[i]] = role
    for i, k in group_of.items():
        found.members[names[i]] = k
        found.roles[names[i]] = core_role[i]
    _split_at_cuts(con, found)
    _join_by_named(con, found, suspects)
    _join_by_car(con, found, suspects, carphone)
    _drop_broken(found)
    return found


def _drop_broken(found: Found) -> None:
    """Groups left without a victim or with fewer than two men, once every child has gone to the group she is most
    tied to, are groups no longer (docs/network.md, the definition): their people are in no group."""
    people: dict[int, list[str]] = defaultdict(list)
    for p, k in found.members.items():
        people[k].append(p)
    for p, ks in found.also.items():
        for k in ks:
            people[k].append(p)
    for k, ps in people.items():
        men = sum(found.roles[p] in ("suspect", "associate") for p in ps)
        if men >= 2 and any(found.roles[p] == "victim" for p in ps):
            continue
        for p in ps:
            if found.members.get(p) == k and not found.also.get(p):
                del found.members[p]
                del found.roles[p]


def _join_by_car(con: duckdb.DuckDBPyConnection, found: Found, suspects: set[str],
                 carphone: dict[str, dict[str, float]]) -> None:
    """A child in no group, reported missing and found with someone (whoever the name could be), who shares a car
    or phone with men of a group (VICTIM_MIN_WEIGHT of such ties, more than to any other group's men) joins it as a
    victim. The man she was found with is often known only by a name no record holds; the car she was found in is
    on the group's records."""
    if not has_table(con, "nw_found_with"):
        return
    men = {p: k for p, k in found.members.items() if found.roles.get(p) in ("suspect", "associate")}
    for (child,) in con.execute("SELECT person_id FROM nw_found_with ORDER BY 1").fetchall():
        if child in found.members or child in suspects or child not in carphone:
            continue
        ties: dict[int, float] = defaultdict(float)
        for other, wt in carphone[child].items():
            if other in men:
                ties[men[other]] += wt
        ranked = sorted(((wt, k) for k, wt in ties.items()), reverse=True)
        if ranked and ranked[0][0] >= VICTIM_MIN_WEIGHT and (len(ranked) == 1 or ranked[1][0] < ranked[0][0]):
            found.members[child] = ranked[0][1]
            found.roles[child] = "victim"


def _rehome_men(g: ig.Graph, group_of: dict[int, int], core_role: dict[int, str]) -> dict[int, set[int]]:
    """A man of one group's core who is tied more to the men of another group than to the men of his own moves to it.

    Community detection weighs every tie alike, so a man named with one child whom another group's man also
    abuses can land in that group through the child alone, though his car and phone are shared with the men of
    his own. He moves when his firm ties to the men of his community fall short of REHOME_MIN_WEIGHT (too little
    to join it as an associate) and his ties to another group's men reach it. A man well tied to both (a man two
    groups share) stays: the cut test splits such groups later. Only ties between men count: a child tied to men
    of two groups says nothing about which group each man is in.

    Returns the men (after the moves) with REHOME_MIN_WEIGHT of firm ties to the men of another group as well as
    to their own: men two groups seem to share. Ties to such a man count for each of his groups when others join
    one."""
    men_ties: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for e in g.es:
        if not e["firm"]:
            continue
        a, b = e.tuple
        if a in group_of and b in group_of:
            men_ties[a][group_of[b]] += e["weight"]
            men_ties[b][group_of[a]] += e["weight"]
    moves = {}
    for i, k in sorted(group_of.items()):
        ties = men_ties.get(i, {})
        own = ties.get(k, 0.0)
        best = max(((wt, kk) for kk, wt in ties.items() if kk != k), default=None)
        if best is not None and own < REHOME_MIN_WEIGHT <= best[0]:
            moves[i] = best[1]
    # a group keeps at least one suspect: moves that would leave it none are dropped
    for i, kk in moves.items():
        k = group_of[i]
        left = [j for j, kj in group_of.items() if kj == k and j != i and j not in moves and core_role[j] == "suspect"]
        if left:
            group_of[i] = kk
    ties_now: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for e in g.es:
        a, b = e.tuple
        if e["firm"] and a in group_of and b in group_of:
            ties_now[a][group_of[b]] += e["weight"]
            ties_now[b][group_of[a]] += e["weight"]
    shared: dict[int, set[int]] = {}
    for i, k in sorted(group_of.items()):
        other = {kk for kk, wt in ties_now.get(i, {}).items() if kk != k and wt >= REHOME_MIN_WEIGHT}
        if other and ties_now[i].get(k, 0.0) >= REHOME_MIN_WEIGHT:
            shared[i] = other
    return shared


def _join_by_named(con: duckdb.DuckDBPyConnection, found: Found, suspects: set[str]) -> None:
    """A child in no group, whose missing episodes name men of one group in CORROBORATE_EPISODES or more separate
    episodes (more than name men of any other group), joins it as a victim, however many men each name could be.

    One episode naming "Ali", who could be any of eight men, says little; three episodes naming "Ali", "Tariq" and
    "Big T", each ambiguous but each matching a man of the same group, say which group found the child."""
    men = {p: k for p, k in found.members.items() if found.roles.get(p) in ("suspect", "associate")}
    if not men:
        return
    hits: dict[str, dict[int, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for child, source, eid, man in con.execute("""SELECT DISTINCT child, source, eid, suspect FROM nw_named
            WHERE n_candidates <= ? AND child <> suspect""", [NAMED_CORROBORATE_MAX_CANDIDATES]).fetchall():
        if child in found.members or child in suspects:
            continue
        for k in {men[man]} if man in men else ():
            hits[child][k].add((source, eid))
    placed: list[tuple[str, str]] = []
    for child, by_k in sorted(hits.items()):
        ranked = sorted(((len(e), k) for k, e in by_k.items()), reverse=True)
        n, k = ranked[0]
        if n >= CORROBORATE_EPISODES and (len(ranked) == 1 or ranked[1][0] < n):
            found.members[child] = k
            found.roles[child] = "victim"
            placed += [(child, man) for man, kk in men.items() if kk == k]
    # her tie to the group's men is the evidence that placed her: names too vague to make an edge by themselves
    # (edges.nw_edge_vague) become edges for the men of the group they placed her in, so she is stored with it
    if placed and has_table(con, "nw_edge_vague"):
        temp_table(con, "nw_placed", {"child": "VARCHAR", "man": "VARCHAR"}, placed)
        con.execute("""INSERT INTO nw_edge SELECT v.* FROM nw_edge_vague v JOIN nw_placed p
            ON v.person_a = least(p.child, p.man) AND v.person_b = greatest(p.child, p.man)
            WHERE NOT EXISTS (SELECT 1 FROM nw_edge e WHERE e.person_a = v.person_a AND e.person_b = v.person_b
                              AND e.edge_type = 'missing_with')""")


def _partners(comm: list[int], names: list[str], s: int, carphone: dict[str, dict[str, float]],
              victims: set[str]) -> list[int]:
    """The partners of suspect `s` in a community: men who use his car or phone and do not live with him, on
    ASSOCIATE_MIN_WEIGHT of car and phone ties to him and to the other men who use them (as in joining: three men
    sharing one car are 0.5 to each other, and each is 0.5 + 0.5 to the suspect and the other man)."""
    ties = carphone.get(names[s], {})
    near = {i for i in comm if i != s and names[i] in ties and names[i] not in victims}
    out = []
    for i in sorted(near):
        own = carphone.get(names[i], {})
        if ties[names[i]] + sum(own.get(names[j], 0.0) for j in near if j != i) >= ASSOCIATE_MIN_WEIGHT:
            out.append(i)
    return out


def _join_round(edges: list[tuple[tuple[int, int], float]], names: list[str], anchors: dict[int, int],
                suspects: set[str], victims: set[str],
                shared: dict[int, set[int]] | None = None) -> dict[int, tuple[int, str]]:
    """Who joins which group this round, and as what: each person's ties to the anchors (suspects) of each group.
    `edges`: the graph's ((a, b), weight) pairs; `shared`: anchors who seem to be men of other groups too (ties to
    them count for each of their groups; equal ties go to the group with more tie to its own men)."""
    shared = shared or {}
    ties: dict[tuple[int, int], float] = defaultdict(float)
    direct: dict[tuple[int, int], float] = defaultdict(float)  # ties to the group's own men (breaks equal ties)
    for (a, b), wt in edges:
        for i, j in ((a, b), (b, a)):
            if i not in anchors and j in anchors:
                ties[(i, anchors[j])] += wt
                direct[(i, anchors[j])] += wt
                for kk in shared.get(j, ()):
                    ties[(i, kk)] += wt
    best: dict[int, tuple[float, int]] = {}
    rank: dict[int, tuple[float, float]] = {}
    for (i, k), wt in sorted(ties.items()):
        if i not in best or (wt, direct[(i, k)]) > rank[i]:
            best[i] = (wt, k)
            rank[i] = (wt, direct[(i, k)])
    # men who share the group's phone or car with its suspects are tied to each other as well: an associate's
    # ties to others tied to the same group's suspects count too (a suspect's relatives, who share only his home
    # address, still fall short), but never ties through a victim
    near = {i: k for i, (wt, k) in best.items() if names[i] not in victims}
    extra: dict[tuple[int, int], float] = defaultdict(float)
    for (a, b), wt in edges:
        for i, j in ((a, b), (b, a)):
            if i in near and j in near and near[i] == near[j]:
                extra[(i, near[i])] += wt
    out: dict[int, tuple[int, str]] = {}
    for i, (wt, k) in sorted(best.items()):
        p = names[i]
        role = "suspect" if p in suspects else "victim" if p in victims else "associate"
        if role != "victim":
            wt += extra.get((i, k), 0.0)
        if wt >= (VICTIM_MIN_WEIGHT if role == "victim" else ASSOCIATE_MIN_WEIGHT):
            out[i] = (k, role)
    return out


def _active_spans(con: duckdb.DuckDBPyConnection, people: list[str]) -> dict[str, tuple[object, object]]:
    """Each person's first and latest dated tie (crime committed, missing episode): for ordering a suspect's
    groups, and for seating a child tied only to the men two groups share."""
    temp_table(con, "nw_people", {"person_id": "VARCHAR"}, [(p,) for p in people])
    rows = con.execute("""SELECT person_id, min(d), max(d) FROM (
            SELECT e.person_a AS person_id, e.d FROM nw_edge_raw e WHERE e.d IS NOT NULL
            UNION ALL SELECT e.person_b, e.d FROM nw_edge_raw e WHERE e.d IS NOT NULL) t
        WHERE person_id IN (SELECT person_id FROM nw_people) GROUP BY 1""").fetchall()
    return {p: (lo, hi) for p, lo, hi in rows}


def _gap_days(a: tuple[object, object] | None, b: tuple[object, object] | None) -> float:
    """Days between two (first, last) periods: 0 when they overlap, infinite when either is unknown."""
    if a is None or b is None:
        return float("inf")
    return float(max(0, (b[0] - a[1]).days, (a[0] - b[1]).days))


def _own_group(sub: ig.Graph, sus: set[int], part: list[int]) -> bool:
    """A part left by a cut is a group of its own: a victim and CUT_OWN_MEN men besides the cut (suspects, or
    associates tied to the group by its phone or car). No suspect of its own is needed: a second group whose own
    men no crime names, known through the car they share and the child found in one of them, is still a group,
    the shared man its suspect."""
    men = sum(v in sus or sub.vs[v]["associate"] for v in part)
    return men >= CUT_OWN_MEN and any(sub.vs[v]["victim"] for v in part)


def _separating(red: ig.Graph, ordered: list[int], rsus: set[int], size: int):
    """The sets of `size` people (sorted tuples, in the order itertools.combinations gives) whose removal can
    leave two or more parts: only those can be cuts, so only those are tried. One person (a suspect, or a child
    whom men of two groups abused) must be an articulation point; pairs are of suspects, and a pair {u, w} must
    have w an articulation point of the graph without u; triples are all tried. The same cuts as trying every
    combination, found without building a subgraph for each. A group already in pieces (its vague ties set aside)
    is searched in full."""
    from itertools import combinations

    if size == 1:
        # one person: a suspect, or a child whom men of two groups abused (she does not make them one group)
        one = sorted(set(ordered) | {v for v in range(red.vcount()) if red.vs[v]["child"]})
        if not red.is_connected():
            return [(v,) for v in one]  # pieces already apart: anyone may leave two groups
        arts = set(red.articulation_points())
        return [(v,) for v in one if v in arts]
    if size > 2 or not red.is_connected():
        return combinations(ordered, size)  # pieces already apart: any suspect may leave two groups
    # (if u alone leaves pieces, a w that is no articulation point of what is left only shrinks a piece, which
    # makes no part a group that was not one already, and u alone was tried first)
    out = set()
    for u in ordered:
        keep = [v for v in range(red.vcount()) if v != u]
        without = red.induced_subgraph(keep)
        for a in without.articulation_points():
            w = keep[a]
            if w in rsus:
                out.add((min(u, w), max(u, w)))
    return sorted(out)


def _cut_parts(sub: ig.Graph, sus: set[int]) -> tuple[tuple[int, ...], list[list[int]]] | None:
    """The smallest set of suspects (at most CUT_MAX; or one child whom men of both abused) whose removal leaves two
    or more parts that are each a group of their own (see _own_group), and those parts."""
    # people tied to one person only, who are not men (a child named in one man's crimes), follow that person: they
    # are left out of the search and carried by him, so the search runs on the group's core
    n = sub.vcount()
    is_man = [v in sus or sub.vs[v]["associate"] for v in range(n)]
    deg = sub.degree()
    hang = {v: sub.neighbors(v)[0] for v in range(n) if not is_man[v] and deg[v] == 1}
    core = [v for v in range(n) if v not in hang]
    pos = {v: i for i, v in enumerate(core)}
    red = sub.induced_subgraph(core)
    carries_victim = {a for u, a in hang.items() if sub.vs[u]["victim"]}
    red.vs["victim"] = [sub.vs[v]["victim"] or v in carries_victim for v in core]
    red.vs["child"] = [sub.vs[v]["victim"] for v in core]  # a victim herself (not a man carrying one)
    red.vs["associate"] = [sub.vs[v]["associate"] for v in core]
    rsus = {pos[v] for v in sus if v in pos}
    if sum(i in rsus or red.vs[i]["associate"] for i in range(red.vcount())) < 2 * CUT_OWN_MEN + 1:
        return None
    if red.is_connected() and red.vertex_connectivity() > CUT_MAX:
        return None  # no set of three or fewer people separates anything here
    ordered = sorted(rsus)
    for size in range(1, CUT_MAX + 1):
        if (size == 2 and len(ordered) > 40) or (size == 3 and len(ordered) > 20):
            break  # pairs and triples of suspects to try grow fast; big groups are tried with fewer
        best = None
        for cut in _separating(red, ordered, rsus, size):
            keep = [v for v in range(red.vcount()) if v not in cut]
            parts = red.induced_subgraph(keep).connected_components()
            whole = [[keep[i] for i in c] for c in parts]
            good = [c for c in whole if _own_group(red, rsus, c)]
            if len(good) >= 2 and (best is None or min(map(len, good)) > min(map(len, best[1]))):
                best = (cut, whole)
        if best is not None:
            cut, whole = best
            # back to the group's own numbering, each part with the people who hang on its members; those who hang
            # on a shared man are parts of their own (they join a side by their ties later)
            out = [[core[i] for i in c] for c in whole]
            members = {v: k for k, c in enumerate(out) for v in c}
            for v, a in hang.items():
                if a in members:
                    out[members[a]].append(v)
                else:
                    out.append([v])
            return tuple(core[i] for i in cut), out
    return None


def _split_at_cuts(con: duckdb.DuckDBPyConnection, found: Found) -> None:
    """Split groups that are joined only through one or two shared suspects: each side is a group of its own
    (two suspects and a victim besides the shared ones), and the shared suspects are members of each."""
    g = found.graph
    if g is None or not found.members:
        return
    index = {p: i for i, p in enumerate(g.vs["name"])}
    next_k = max(found.members.values(), default=0) + 1
    queue = sorted(set(found.members.values()))
    spans = _active_spans(con, sorted(found.members))
    last = {p: hi for p, (_lo, hi) in spans.items() if found.roles.get(p) == "suspect"}
    by_group: dict[int, list[str]] = defaultdict(list)
    for p, kk in found.members.items():
        if p in index:
            by_group[kk].append(p)
    while queue:
        k = queue.pop(0)
        members = sorted(p for p in by_group.get(k, ()) if found.members.get(p) == k)
        if len(members) < 5:
            continue
        full = g.induced_subgraph([index[p] for p in members])
        sub = full.copy()
        sub.delete_edges([e.index for e in sub.es if not e["firm"]])
        sub.vs["victim"] = [found.roles[p] == "victim" for p in members]
        sub.vs["associate"] = [found.roles[p] == "associate" for p in members]
        sus = {i for i, p in enumerate(members) if found.roles[p] == "suspect"}
        got = _cut_parts(sub, sus)
        if got is None:
            continue
        cut, whole = got
        good = [c for c in whole if _own_group(sub, sus, c)]
        rest = [c for c in whole if c not in good]
        ks = [k] + [next_k + i for i in range(len(good) - 1)]
        next_k += len(good) - 1
        for kk, c in zip(ks, good):
            for v in c:
                found.members[members[v]] = kk
        # the leftovers (a victim tied only to the shared suspects, say) join the part they are most tied to
        for c in rest:
            tie = [0.0] * len(good)
            for v in c:
                for u in full.neighbors(v):
                    for n, part in enumerate(good):
                        if u in part:
                            tie[n] += full.es[full.get_eid(v, u)]["weight"]
            pick = max(range(len(good)), key=lambda n: tie[n])
            if not any(tie):
                # tied only to the shared men (a child they abused, none of either side's own men): she goes to
                # the side whose own members were active nearest her time (in a group whose members changed over
                # the years, the men of her years), not to whichever side happens to come first
                mine = [spans[members[v]] for v in c if members[v] in spans]
                own = [[spans[members[u]] for u in part if members[u] in spans] for part in good]
                if mine:
                    span = (min(x[0] for x in mine), max(x[1] for x in mine))
                    gaps = [min((_gap_days(span, x) for x in o), default=float("inf")) for o in own]
                    if min(gaps) < float("inf") and gaps.count(min(gaps)) == 1:
                        pick = gaps.index(min(gaps))
            for v in c:
                found.members[members[v]] = ks[pick]
        # the shared suspects belong to every part: listed last in the part active latest
        def recency(n: int) -> object:
            return max((last.get(members[v]) for v in good[n] if v in sus and last.get(members[v]) is not None),
                       default=None) or 0
        order = sorted(range(len(good)), key=lambda n: (str(recency(n)), n))
        for v in cut:
            p = members[v]
            if found.roles[p] == "victim":
                # a child both groups' men abused: a victim of the group she is most tied to (the other's records
                # still show her, through its men's edges to her)
                tie = [sum(full.es[full.get_eid(v, u)]["weight"] for u in full.neighbors(v) if u in good[n])
                       for n in range(len(good))]
                found.members[p] = ks[max(range(len(good)), key=lambda n: tie[n])]
                continue
            found.members[p] = ks[order[-1]]
            found.also[p] = sorted(set(found.also.get(p, [])) | {ks[n] for n in order[:-1]})
        for p in members:
            by_group[found.members[p]].append(p)
        queue += ks
