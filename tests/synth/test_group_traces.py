"""Every planted group leaves a trace of its own (docs/synthetic-world.md, "Every member leaves a trace").

Checked on the records the generator plants (before record-level noise): a member of a group that shares a man or two
with another group must be tied to the group's OWN people - a crime, a missing episode "found with" one of its own
men, a car they use - not only to the shared man, or no record could tell the second group from the first one's
offending."""

from __future__ import annotations

from collections import defaultdict

import pytest

from joinedup.synth.profiles import DEFAULT, ENRICHED
from joinedup.synth.world import Chunk


def _build(seed: int, profile=ENRICHED) -> Chunk:
    ch = Chunk(seed, 0, 0, 20_000, 3, {}, profile)
    ch.build()
    return ch


@pytest.fixture(scope="module")
def chunks() -> list[Chunk]:
    # seeds 99 and 3: the enriched worlds where a second group used to be tied to its children only through the
    # man it shares with a first (about 4 s each)
    return [_build(99), _build(3)]


def _groups(ch: Chunk) -> tuple[dict[str, dict[int, set[str]]], dict[int, set[str]]]:
    """group id -> {person idx: roles}, and man idx -> the groups he is an offender in (cse groups only). A young
    member can be both offender and victim of one group, and a victim of one group can offend in a later one."""
    idx = {t: i for i, t in enumerate(ch.tpid)}
    members: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    of: dict[int, set[str]] = defaultdict(set)
    for gid, tp, role, kind, _j, _l in ch.groups:
        if kind == "cse":
            members[gid][idx[tp]].add(role)
            if role == "offender":
                of[idx[tp]].add(gid)
    return members, of


def _ties(ch: Chunk) -> tuple[list[tuple[int, int]], dict[int, set[str]]]:
    """Pairs tied by a crime (victim-suspect, co-suspects) or a missing episode naming a man, and each person's cars."""
    names: dict[str, set[int]] = defaultdict(set)
    for i in set(ch.nick) | {i for r in ch.recs.values() for i in r.persons}:
        names[f"{ch.forename[i]} {ch.surname[i]}"].add(i)
        if i in ch.nick:
            names[ch.nick[i]].add(i)
    pairs: list[tuple[int, int]] = []
    for r in ch.recs.values():
        by_crime: dict[str, list[int]] = defaultdict(list)
        for key, i, role in r.links:
            if role in ("VICTIM", "SUSPECT"):
                by_crime[key].append(i)
        for ids in by_crime.values():
            pairs += [(a, b) for a in ids for b in ids if a != b]
        for ev in r.events:
            if ev[1] == "MISSING" and ev[6]:
                pairs += [(ev[0], o) for o in names.get(ev[6], ()) if o != ev[0]]
    cars = {i: set(v) for i, v in ch.vehicles.items()}
    return pairs, cars


def _parts(nodes: set[int], pairs: list[tuple[int, int]], cars: dict[int, set[str]]) -> list[set[int]]:
    adj: dict[int, set[int]] = defaultdict(set)
    for a, b in pairs:
        if a in nodes and b in nodes:
            adj[a].add(b)
    by_car: dict[str, list[int]] = defaultdict(list)
    for i in nodes:
        for c in cars.get(i, ()):
            by_car[c].append(i)
    for held in by_car.values():
        for a in held:
            adj[a] |= set(held) - {a}
    seen: set[int] = set()
    out = []
    for s in sorted(nodes):
        if s in seen:
            continue
        part, stack = {s}, [s]
        while stack:
            for y in adj[stack.pop()] - part:
                part.add(y)
                stack.append(y)
        seen |= part
        out.append(part)
    return out


def test_every_member_is_tied_to_the_groups_own_people(chunks: list[Chunk]) -> None:
    shared_groups = 0
    for ch in chunks:
        members, of = _groups(ch)
        pairs, cars = _ties(ch)
        for gid, mem in members.items():
            shared = {i for i in mem if len(of[i]) > 1}
            shared_groups += bool(shared)
            own = set(mem) - shared
            parts = _parts(own, pairs, cars)
            assert len(parts) == 1, (gid, [sorted(p) for p in parts])  # one whole without the shared men
            own_men = {i for i in own if "offender" in mem[i]}
            assert own_men, gid  # a group shares at most all but two of its men
            for s in shared:  # a shared man rides with the group's own men too
                assert any(cars.get(s, set()) & cars.get(o, set()) for o in own_men) or \
                    any((s, o) in set(pairs) for o in own_men), (gid, s)
    assert shared_groups >= 4  # the worlds do have groups that share men (else this tested nothing)


def test_every_victim_shares_a_crime_or_episode_with_one_of_the_groups_own_men(chunks: list[Chunk]) -> None:
    for ch in chunks:
        members, of = _groups(ch)
        pairs, cars = _ties(ch)
        tied = defaultdict(set)
        for a, b in pairs:
            tied[a].add(b)
        for gid, mem in members.items():
            own_men = {i for i, r in mem.items() if "offender" in r and len(of[i]) == 1}
            for v, roles in mem.items():
                if "victim" in roles and v not in own_men:
                    assert tied[v] & own_men, (gid, v)


def test_a_child_found_with_a_man_was_found_in_his_own_car(chunks: list[Chunk]) -> None:
    # the car is the man's own, not one the group shares: a child on a group car would weaken the men's tie
    for ch in chunks:
        members, _of = _groups(ch)
        for (o, _group_car), car in ch.own_car.items():
            holders = [i for i, v in ch.vehicles.items() if car in v]
            assert o in holders and all(i == o or ch.child[i] for i in holders), (o, car, holders)
        assert ch.own_car  # some children were found with a man


def test_no_car_ties_two_groups_own_people(chunks: list[Chunk]) -> None:
    # overlapping groups are tied only through the men they share: no car is driven by (or noted for) the own people
    # of two groups
    for ch in chunks:
        members, _of = _groups(ch)
        of: dict[int, set[str]] = defaultdict(set)
        for gid, mem in members.items():
            for i in mem:
                of[i].add(gid)
        by_car: dict[str, set[str]] = defaultdict(set)
        for i, cars in ch.vehicles.items():
            if len(of.get(i, ())) == 1:  # not a man in two groups, nor a victim of one who offends in another
                for c in cars:
                    by_car[c] |= of[i]
        assert all(len(gs) == 1 for gs in by_car.values()), {c: gs for c, gs in by_car.items() if len(gs) > 1}


def test_default_world_keeps_its_old_rules() -> None:
    ch = Chunk(1, 0, 0, 3_000, 3, {}, DEFAULT)
    ch.build()
    assert ch.last_trace is None and not ch.own_car
