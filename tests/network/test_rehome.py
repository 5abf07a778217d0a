"""A core man tied to another group's men, and not to his own community's men, moves to that group
(groups._rehome_men); a man tied to both stays. Hand-made graphs."""

from __future__ import annotations

import igraph as ig

from joinedup.network.groups import _rehome_men


def _graph(edges: list[tuple[str, str, float, bool]]) -> tuple[ig.Graph, dict[str, int]]:
    names = sorted({p for a, b, _, _ in edges for p in (a, b)})
    ix = {p: i for i, p in enumerate(names)}
    g = ig.Graph(n=len(names), edges=[(ix[a], ix[b]) for a, b, _, _ in edges])
    g.vs["name"] = names
    g.es["weight"] = [w for _, _, w, _ in edges]
    g.es["firm"] = [f for _, _, _, f in edges]
    return g, ix


def test_a_man_in_a_community_through_a_child_alone_moves_to_the_men_he_shares_a_car_and_phone_with():
    # M is in group 2's community only through child V (whom group 2's man S2 abuses too); his car and phone are
    # shared with group 1's men A and B
    g, ix = _graph([("A", "B", 1.0, True), ("M", "A", 0.5, True), ("M", "B", 0.33, True),
                    ("M", "V", 1.7, True), ("S2", "V", 2.0, True), ("S2", "T2", 1.0, True)])
    group_of = {ix["A"]: 1, ix["B"]: 1, ix["M"]: 2, ix["S2"]: 2, ix["T2"]: 2}
    roles = {i: "suspect" for i in group_of}
    _rehome_men(g, group_of, roles)
    assert group_of[ix["M"]] == 1 and group_of[ix["S2"]] == 2


def test_a_man_well_tied_to_the_men_of_both_groups_stays():
    # a man the two groups share: the cut test deals with him, not this rule
    g, ix = _graph([("A", "B", 1.0, True), ("M", "A", 1.0, True), ("M", "B", 1.0, True),
                    ("M", "S2", 1.0, True), ("S2", "T2", 1.0, True)])
    group_of = {ix["A"]: 1, ix["B"]: 1, ix["M"]: 2, ix["S2"]: 2, ix["T2"]: 2}
    _rehome_men(g, group_of, {i: "suspect" for i in group_of})
    assert group_of[ix["M"]] == 2


def test_vague_ties_do_not_move_a_man_and_a_group_keeps_a_suspect():
    # a street name in common (not firm) is no reason to move; and the last suspect of a group stays with it
    g, ix = _graph([("A", "B", 1.0, True), ("M", "A", 0.5, False), ("M", "B", 0.5, False), ("L", "A", 1.0, True),
                    ("L", "P", 0.2, True)])
    group_of = {ix["A"]: 1, ix["B"]: 1, ix["M"]: 2, ix["L"]: 3, ix["P"]: 3}
    roles = {ix["A"]: "suspect", ix["B"]: "suspect", ix["M"]: "suspect", ix["L"]: "suspect", ix["P"]: "associate"}
    _rehome_men(g, group_of, roles)
    assert group_of[ix["M"]] == 2 and group_of[ix["L"]] == 3


def test_a_man_tied_to_the_men_of_two_groups_is_reported_as_shared():
    g, ix = _graph([("A", "B", 1.0, True), ("M", "A", 0.5, True), ("M", "B", 0.33, True), ("M", "S2", 1.0, True),
                    ("S2", "T2", 1.0, True)])
    group_of = {ix["A"]: 1, ix["B"]: 1, ix["M"]: 2, ix["S2"]: 2, ix["T2"]: 2}
    shared = _rehome_men(g, group_of, {i: "suspect" for i in group_of})
    assert group_of[ix["M"]] == 2 and shared == {ix["M"]: {1}}


def test_a_child_tied_to_a_shared_man_joins_the_group_of_her_other_abuser():
    from joinedup.network.groups import _join_round

    names = ["A", "M", "S2", "V", "X"]
    ix = {p: i for i, p in enumerate(names)}
    # V: 2.0 to M (group 2, shared with group 1), 1.7 to A (group 1); X (a man) is tied the same way
    edges = [((ix["M"], ix["V"]), 2.0), ((ix["A"], ix["V"]), 1.7), ((ix["M"], ix["X"]), 2.0), ((ix["A"], ix["X"]), 1.7)]
    anchors = {ix["A"]: 1, ix["M"]: 2, ix["S2"]: 2}
    joined = _join_round(edges, names, anchors, {"A", "M", "S2"}, {"V"}, {ix["M"]: {1}})
    assert joined[ix["V"]] == (1, "victim")
    assert joined[ix["X"]] == (1, "associate")  # anyone's ties to a shared man count for both his groups
    assert _join_round(edges, names, anchors, {"A", "M", "S2"}, {"V"})[ix["V"]] == (2, "victim")


def test_a_child_tied_only_to_a_shared_man_stays_in_his_own_group():
    from joinedup.network.groups import _join_round

    names = ["A", "M", "V"]
    ix = {p: i for i, p in enumerate(names)}
    anchors = {ix["A"]: 1, ix["M"]: 2}
    # V's only tie is to M: it counts for both his groups, and the one he is a man of wins the tie
    for shared_with in (1, 3):
        joined = _join_round([((ix["M"], ix["V"]), 2.0)], names, anchors, {"A", "M"}, {"V"}, {ix["M"]: {shared_with}})
        assert joined[ix["V"]] == (2, "victim")
