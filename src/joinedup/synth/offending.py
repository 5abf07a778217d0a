"""Offending in the structured profiles (realistic, enriched): groups with long-tailed sizes, persistent groups
with changing membership, offenders in two groups, young and female offenders, familial groups, lone CSE
offenders and other child sexual abuse, with charge, downgrade and out-of-court outcomes at published rates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from joinedup.synth import world as W

if TYPE_CHECKING:
    from joinedup.synth.world import Chunk, Rec

YEAR = 365.25
PERSISTENT_P = 0.3       # groups active for 8-20 years, members joining and leaving
SHARED_OFFENDER_P = 0.25  # groups followed by a second group that shares one or two of their offenders
YOUNG_P = 0.35           # offender slots (after the first) filled by someone aged 14-17 (facilitators, peers)
FEMALE_P = 0.03          # offender slots filled by a woman
CHARGE_P = 0.13          # charge or summons per suspect outcome, before force and non-recent adjustments
COURT_P = {"CONVICTED": 0.72, "ACQUITTED": 0.22, "DISCONTINUED": 0.06}
DOWNGRADE_13_15_P = 0.5  # a charged 19D/19G with a victim aged 13-15 charged as 22B
DOWNGRADE_U13_P = 0.3    # a charged 19E/19H (under 13) charged as a non-rape under-13 offence
NOT_CHARGED = {"2": 0.01, "3": 0.003, "8": 0.005, "14": 0.07, "15": 0.25, "16": 0.33, "20": 0.1, "21": 0.1}


def force_charge_factor(force: int) -> float:
    """How a force's charge rate compares with the national rate: graded 0.6-1.4, the same for every seed."""
    return 0.6 + 0.8 * ((0.5 + force * 0.618034) % 1.0)


def _day(year: int) -> int:
    return int(W.days_of_year(np.array([year]))[0])


def _end() -> int:
    return W.END_ORD - W.EPOCH.toordinal()


def _ages(ch: Chunk, day: int) -> np.ndarray:
    return (day - ch.dob) / YEAR


def _pick_offenders(ch: Chunk, f: int, day: int, k: int, young_p: float, female_p: float, min_age: float = 18) -> list[int]:
    """k offenders in force f, alive and of age on day: the first an adult, the rest sometimes young or women."""
    rng = ch.rng
    age = _ages(ch, day)
    base = (ch.force == f) & ~ch.offender
    offs: list[int] = []
    for j in range(k):
        young = j > 0 and rng.random() < young_p
        # women fill female_p of the slots, stratified (every 1/female_p-th slot, from a random start) rather than
        # drawn one by one, so that a world of a hundred suspects still has its few women; one draw is still made
        # per slot, so the rest of the world's random stream is unchanged
        rng.random()
        acc = ch.ids.setdefault(f"women {female_p}", int(rng.integers(0, 1000)) / 1000)
        ch.ids[f"women {female_p}"] = acc + female_p
        sex = "F" if int(acc + female_p) > int(acc) else "M"
        lo, hi = (14.0, 18.0) if young else (min_age, 65.0)
        cand = np.flatnonzero(base & (ch.sex == sex) & (age >= lo) & (age < hi))
        if offs and len(cand) and rng.random() < 0.6:
            # offenders in a group often know each other: same origin as the first, when there is one
            same = cand[ch.origin[cand] == ch.origin[offs[0]]]
            cand = same if len(same) else cand
        cand = np.setdiff1d(cand, offs)
        if len(cand):
            offs.append(int(rng.choice(cand)))
    return offs


def _pick_victims(ch: Chunk, f: int, lo_day: int, hi_day: int, k: int, girl_p: float, age_lo: float, age_hi: float,
                  used: np.ndarray) -> list[tuple[int, int]]:
    """Up to k (victim, first harm day) pairs: children of force f of the right age on a day in the window."""
    rng = ch.rng
    out: list[tuple[int, int]] = []
    for _ in range(k):
        d = ch.rand_day(lo_day, hi_day)
        age = _ages(ch, d)
        cand = np.flatnonzero(~used & ch.child & (ch.force == f) & (age >= age_lo) & (age < age_hi))
        if not len(cand):
            continue
        sex = "F" if rng.random() < girl_p else "M"
        pref = cand[ch.sex[cand] == sex]
        v = int(rng.choice(pref if len(pref) else cand))
        used[v] = True
        out.append((v, d))
    return out


def _pivots(ch: Chunk, offs: list[int], sy: int) -> tuple[list[str], list[str]]:
    """The group's cars and phones, given to its men; returns them. A big network runs more cars and phones (about
    one car per six men, one phone per eight), so no car or phone of a group is shared by a crowd."""
    rng = ch.rng
    vrms = [ch._vrm(sy) for _ in range(max(int(rng.integers(1, 4)), -(-len(offs) // 6)))]
    bizs = [f"07{int(rng.integers(10**8, 10**9)):09d}" for _ in range(-(-len(offs) // 8))]
    prem = int(ch.hh[offs[0]])
    for j, o in enumerate(offs):
        biz = bizs[j % len(bizs)]
        ch.vehicles.setdefault(o, [])
        if rng.random() < 0.6:
            ch.vehicles[o] = ch.vehicles[o] + [vrms[int(rng.integers(0, len(vrms)))]]
        if rng.random() < 0.4:
            ch.extra_phones.setdefault(o, []).append(biz)
        if rng.random() < 0.3 and o not in ch.premises:
            ch.premises[o] = prem
        if rng.random() < 0.7 and o not in ch.nick:
            ch.nick[o] = W.STREET_NAMES[int(rng.integers(0, len(W.STREET_NAMES)))]
        use_a_group_pivot(ch, o, vrms, biz)
    return vrms, bizs


def use_a_group_pivot(ch: Chunk, o: int, vrms: list[str], biz: str) -> None:
    """Give man o one of the group's cars or its phone, unless he already uses one: every member does, which is what
    ties a network together across the years, and apart from another group that shares one or two of its men."""
    rng = ch.rng
    if set(vrms) & set(ch.vehicles.get(o, [])) or biz in ch.extra_phones.get(o, []):
        return
    if rng.random() < 0.5:
        ch.vehicles[o] = ch.vehicles.get(o, []) + [vrms[int(rng.integers(0, len(vrms)))]]
    else:
        ch.extra_phones.setdefault(o, []).append(biz)


def _iso(day: int) -> str:
    return W.to_date(day).isoformat()


def _group(ch: Chunk, used: np.ndarray, carry: list[int] | None = None, force: int | None = None,
           year: int | None = None) -> list[int]:
    """A group-based CSE network: long-tailed sizes, some persisting across decades with changing membership.
    `carry`: offenders of an earlier group who are also members of this one. Returns the offenders."""
    rng, end = ch.rng, _end()
    f = int(rng.integers(0, ch.K)) if force is None else force
    sy = int(rng.integers(1997, 2024)) if year is None else year
    start = _day(sy) + int(rng.integers(0, 365))
    persistent = rng.random() < PERSISTENT_P and start < end - 12 * 365
    stop = min(end, start + int(rng.integers(10 * 365, 25 * 365) if persistent else rng.integers(180, 5 * 365)))
    n_off = 1 + min(24, int(rng.zipf(2.0)))
    n_vic = min(50, max(1, int(round(rng.lognormal(np.log(3.5), 0.8)))))
    # members: in a persistent group the founders leave after some years and others join over the decades
    n_found = max(2, n_off // 2) if persistent else n_off
    joins = [start if j < n_found else ch.rand_day(start, stop - 2 * 365) for j in range(max(n_off, 3 if persistent else 0))]
    offs: list[int] = []
    kept: list[int] = []
    for j, d in enumerate(joins):
        got = [o for o in _pick_offenders(ch, f, d, 1 + (j > 0), YOUNG_P, FEMALE_P)[j > 0:] if o not in offs]
        if got:
            offs.append(got[0])
            kept.append(d)
    joins = kept
    if carry and len(offs) < 2:
        # a second group has men of its own besides the one or two it shares: the same men with new victims
        # are the first group still offending, not a second group
        return []
    for o in carry or []:
        if o not in offs and _ages(ch, start)[o] >= 16:
            offs.append(o)
            joins.append(start)
    if len(offs) < 2:
        return []
    if persistent:
        leaves = [min(stop, j + int(rng.integers(3 * 365, 12 * 365))) if j == start else
                  (stop if rng.random() < 0.6 else min(stop, j + int(rng.integers(2 * 365, 8 * 365)))) for j in joins]
        leaves[int(np.argmax(joins))] = stop  # someone is still there at the end
    else:
        leaves = [stop] * len(offs)
    vics = _pick_victims(ch, f, start, stop, n_vic, 0.85, 10.0, 17.0, used)
    if not vics:
        return []
    gid = f"G{ch.ids.setdefault('group', 0) + 1:06d}"
    ch.ids["group"] += 1
    ch.offender[offs] = True
    ch.groups += [(gid, ch.tpid[o], "offender", "cse", _iso(j), _iso(lv)) for o, j, lv in zip(offs, joins, leaves)]
    ch.groups += [(gid, ch.tpid[v], "victim", "cse", _iso(d), "") for v, d in vics]
    vrms, bizs = _pivots(ch, offs, sy)
    f2 = (f + 1) % ch.K if (ch.K > 1 and rng.random() < 0.4) else None
    pol = ch.rec("police", f)
    recs = [pol] + ([ch.rec("police", f2)] if f2 is not None else [])
    before = [len(r.links) for r in recs]
    for v, harm in vics:
        ch.exploited[v] = True
        ch.first_harm[v] = harm
        ch.abuse_kind[v] = "cse_group"
        active = [o for o, j, lv in zip(offs, joins, leaves) if j <= harm <= lv] or offs[:1]
        hi = min(stop, int(ch.dob[v]) + int(17.9 * YEAR))
        ch._victim_signals(v, harm, active)
        if rng.random() < 0.62:
            ch._crimes(pol, f, v, active, harm, max(harm, hi), cross=False, kind="cse_group", gid=gid, cse_p=0.3, now_p=0.45, max_crimes=5)
        if f2 is not None and rng.random() < 0.25:
            ch._crimes(ch.rec("police", f2), f2, v, active[: int(rng.integers(1, min(3, len(active)) + 1))], harm,
                       max(harm, hi), cross=True, kind="cse_group", gid=gid, cse_p=0.3, now_p=0.45, max_crimes=5)
        if harm < _day(2013) and rng.random() < 0.12 and ch.age_days(v, harm) >= 12.5:
            ch._disregard(pol, f, v, harm)
    ch.last_trace = leave_traces(ch, f, recs, before, offs, [(v, harm, [o for o, j, lv in zip(offs, joins, leaves)
                                                                         if j <= harm <= lv] or offs[:1])
                                                             for v, harm in vics], vrms, bizs, shared=carry)
    return offs


def leave_traces(ch: Chunk, f: int, recs: list[Rec], before: list[int], offs: list[int],
                 vics: list[tuple[int, int, list[int]]], vrms: list[str], bizs: list[str],
                 shared: list[int] | None = None) -> Trace | None:
    """Members of a group whom none of its crimes name still leave a trace in what the agencies hold.

    A child never named as a victim was reported missing and found with one of the men active then (by full name,
    sometimes his street name); a man never named as a suspect is on police intelligence as an associate, with the
    car or phone of one of the men the crimes or those missing episodes do name. `recs`/`before`: the police
    records the group's crimes went to and how many crime links each held before them; `vics`: (child, first harm
    day, men active then).

    In the structured profiles a child found with a man was found in his car, which the missing-person record notes
    (a trace that a misspelt name on his record does not lose), and `own_traces` then ties every member to the
    group's own people; `shared`: men this group shares with an earlier group. Returns what `own_traces` needs to
    run again once a later group takes some of these men (structured profiles only)."""
    rng = ch.rng
    named = {i for r, b in zip(recs, before) for _k, i, _role in r.links[b:]}
    found_with: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for v, harm, active in vics:
        if v not in named:
            o = active[int(rng.integers(0, len(active)))]
            who = ch.nick[o] if o in ch.nick and rng.random() < 0.3 else f"{ch.forename[o]} {ch.surname[o]}"
            ch._missing(v, min(_end(), harm + int(rng.integers(0, 200))), who, "police", f)
            found_with.add(o)
            pairs.append((v, o))
            if ch.P.structured:
                with trace_draws(ch):
                    _found_in_car(ch, v, o, _first_year(vics), vrms[0])
    known = [o for o in offs if o in named or o in found_with] or offs[:1]
    pol = recs[0]
    for o in offs:
        if o not in named and o not in known:
            m = known[int(rng.integers(0, len(known)))]
            if ch.P.structured:
                # the car of his that the fewest already drive (a new one of the group's when all are on many
                # records: the network ignores a car shared by a crowd, as it would a taxi firm's)
                if not any(x in vrms for x in ch.vehicles.get(m, [])) and not any(x in bizs for x in ch.extra_phones.get(m, [])):
                    rng.integers(0, len(bizs))  # the draw the rule before 2026-12-05 made here: the world stays the same
                with trace_draws(ch):
                    _share_a_car(ch, m, o, vrms, _first_year(vics))
                if o not in named or rng.random() < 0.3:
                    pol.person(o, "ASSOCIATE")
                continue
            car = [x for x in ch.vehicles.get(m, []) if x in vrms]
            phone = [x for x in ch.extra_phones.get(m, []) if x in bizs]
            if car:
                ch.vehicles[o] = ch.vehicles.get(o, []) + [car[0]]
            elif phone:
                ch.extra_phones.setdefault(o, []).append(phone[0])
            else:
                biz = bizs[int(rng.integers(0, len(bizs)))]
                for x in (m, o):
                    ch.extra_phones.setdefault(x, []).append(biz)
        if o not in named or rng.random() < 0.3:
            pol.person(o, "ASSOCIATE")
    if not ch.P.structured:
        return None
    t = Trace(f, recs, before, offs, vics, vrms, bizs, pairs)
    own_traces(ch, t, shared or [])
    return t


@dataclass
class Trace:
    """A group's records as planted: where its crimes went, its members, cars and phones, and who was found with whom."""

    f: int
    recs: list[Rec]
    before: list[int]
    offs: list[int]
    vics: list[tuple[int, int, list[int]]]
    vrms: list[str]
    bizs: list[str]
    found: list[tuple[int, int]] = field(default_factory=list)  # (child, man she was found with)


CAR_MAX_HOLDERS = 9  # a car of the group's is noted on at most this many people's records (the network ignores a
#                      pivot shared by more than 12 people, as a taxi firm's or a hire company's car would be)


def _holders(ch: Chunk, car: str) -> int:
    return sum(car in cars for cars in ch.vehicles.values())


def _found_in_car(ch: Chunk, v: int, o: int, year: int, key: str) -> None:
    """Child v was found in man o's own car (not one the group shares: a child's record on a group car would weaken
    the tie the car makes between the men), and the missing-person record notes its registration. A man in two
    groups drove another car in the other's years (`key`: the group's first car), so no car ties two groups' children."""
    car = ch.own_car.get((o, key))
    if car is None or _holders(ch, car) >= CAR_MAX_HOLDERS:
        car = ch.own_car[(o, key)] = ch._vrm(year)
        ch.vehicles[o] = ch.vehicles.get(o, []) + [car]
    if car not in ch.vehicles.get(v, []):
        ch.vehicles[v] = ch.vehicles.get(v, []) + [car]


@contextmanager
def trace_draws(ch: Chunk) -> Iterator[None]:
    """Draw from the chunk's own stream for traces (`Chunk.trace_rng`) meanwhile: the traces added on 2026-12-05 leave
    every other draw, and so every group, child and crime of a world, as they were."""
    main = ch.rng
    ch.rng = ch.trace_rng
    try:
        yield
    finally:
        ch.rng = main


def own_traces(ch: Chunk, t: Trace, shared: list[int]) -> None:
    """Tie every member of a group to the group's OWN people in the records, not only through a man it shares
    with another group (structured profiles).

    A second group that shares one or two men with a first one is a group of its own only if its own men and
    children leave traces together: a child whose crimes and missing episodes name only the shared man would be,
    in every record, the first group's victim. So a child tied to none of the group's own men was also found with
    one of them (active then, if any; found in his car), the group's own men and children form one connected whole
    (a part apart from the rest takes a car the rest uses: the men ride together), and a shared man drives one of
    its own men's cars too. `shared`: the men this group shares with another one (none for most groups)."""
    with trace_draws(ch):
        _own_traces(ch, t, shared)


def _own_traces(ch: Chunk, t: Trace, shared: list[int]) -> None:
    rng = ch.rng
    sh = set(shared)
    own = [o for o in t.offs if o not in sh]
    if not own:
        return
    kids = [v for v, _h, _a in t.vics]
    nodes = own + kids
    parent = {x: x for x in nodes}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int) -> None:
        if a in parent and b in parent:
            parent[root(a)] = root(b)

    crimes: dict[str, list[int]] = {}
    for r, b in zip(t.recs, t.before):
        for k, i, role in r.links[b:]:
            if role in ("VICTIM", "SUSPECT") and i in parent:
                crimes.setdefault(k, []).append(i)
    for ids in crimes.values():
        for x in ids[1:]:
            join(ids[0], x)
    for v, o in t.found:
        join(v, o)
    first_holder: dict[str, int] = {}
    for x in nodes:
        # cars only: a phone is left off a record one time in five, a car never
        for pv in [c for c in ch.vehicles.get(x, []) if c in t.vrms]:
            if pv in first_holder:
                join(x, first_holder[pv])
            else:
                first_holder[pv] = x
    own_set = set(own)
    for v, harm, active in t.vics:
        if not any(root(v) == root(o) for o in own):
            pool = [o for o in active if o in own_set] or own
            o = pool[int(rng.integers(0, len(pool)))]
            day = min(_end(), harm + int(rng.integers(0, 200)))
            who = ch.nick[o] if o in ch.nick and rng.random() < 0.3 else f"{ch.forename[o]} {ch.surname[o]}"
            ch._missing(v, day, who, "police", t.f)
            t.recs[0].person(o, "ASSOCIATE")
            t.found.append((v, o))
            _found_in_car(ch, v, o, _first_year(t.vics), t.vrms[0])
            join(v, o)
    parts: dict[int, list[int]] = {}
    for o in own:
        parts.setdefault(root(o), []).append(o)
    if len(parts) > 1:
        main = max(parts.values(), key=len)
        for part in parts.values():
            if part is not main:
                _share_a_car(ch, main[int(rng.integers(0, len(main)))], part[0], t.vrms, _first_year(t.vics))
                join(part[0], main[0])
    own_cars = {c for o in own for c in ch.vehicles.get(o, []) if c in t.vrms}
    for s in shared:
        if s in t.offs and not own_cars & set(ch.vehicles.get(s, [])):
            _share_a_car(ch, own[int(rng.integers(0, len(own)))], s, t.vrms, _first_year(t.vics))


def _first_year(vics: list[tuple[int, int, list[int]]]) -> int:
    return W.to_date(min(h for _v, h, _a in vics)).year if vics else 2010


def _share_a_car(ch: Chunk, m: int, o: int, vrms: list[str], year: int) -> None:
    """Man o drives one of man m's cars of the group, the one on the fewest records (a new one of the group's, added to
    `vrms`, when m has none or all of his are on many records already)."""
    cars = sorted((_holders(ch, c), c) for c in dict.fromkeys(ch.vehicles.get(m, [])) if c in vrms)
    if cars and cars[0][0] < CAR_MAX_HOLDERS:
        car = cars[0][1]
    else:
        car = ch._vrm(year)
        vrms.append(car)
        ch.vehicles[m] = ch.vehicles.get(m, []) + [car]
    if car not in ch.vehicles.get(o, []):
        ch.vehicles[o] = ch.vehicles.get(o, []) + [car]


def _familial(ch: Chunk, used: np.ndarray, year: int | None = None) -> None:
    """A familial group: adults of one household (and relatives sharing its surname) abusing its children."""
    rng = ch.rng
    d = _day(int(rng.integers(1997, 2024)) if year is None else year) + int(rng.integers(0, 365))
    age = _ages(ch, d)
    kids = np.flatnonzero(ch.child & ~used & (age >= 4) & (age < 16))
    if not len(kids):
        return
    v0 = int(rng.choice(kids))
    f, h = int(ch.force[v0]), int(ch.hh[v0])
    home = np.flatnonzero(ch.hh == h)
    vics = [int(x) for x in home if ch.child[x] and not used[x] and 4 <= age[x] < 17][:3]
    men = [int(x) for x in home if not ch.child_member[x] and ch.sex[x] == "M" and 18 <= age[x] < 75 and not ch.offender[x]]
    rel = np.flatnonzero((ch.surname == ch.surname[v0]) & (ch.force == f) & (ch.hh != h) & (age >= 16) & (age < 75) & ~ch.offender)
    offs = men[:1] + [int(x) for x in rng.choice(rel, size=min(len(rel), int(rng.integers(1, 3))), replace=False)]
    if len(offs) < 2:
        offs += _pick_offenders(ch, f, d, 2 - len(offs), 0.0, 0.1)
    offs = list(dict.fromkeys(offs))
    if len(offs) < 2 or not vics:
        return
    gid = f"G{ch.ids.setdefault('group', 0) + 1:06d}"
    ch.ids["group"] += 1
    ch.offender[offs] = True
    used[vics] = True
    stop = min(_end(), d + int(rng.integers(365, 6 * 365)))
    ch.groups += [(gid, ch.tpid[o], "offender", "familial", _iso(d), _iso(stop)) for o in offs]
    ch.groups += [(gid, ch.tpid[v], "victim", "familial", _iso(d), "") for v in vics]
    pol = ch.rec("police", f)
    before, crimes_before = len(pol.links), len(pol.crimes)
    for v in vics:
        ch.abuse_kind[v] = "familial_group"
        if rng.random() < 0.6:
            ch._signals(v, d, [], intensity=0.6, exploited=False)
        # every child abused in a family is named on a crime in the end: reported at the time (0.4 of reports)
        # or years later as an adult; a child nobody ever named would leave no trace of the group to find. One or
        # two offences a report keep familial offending near a quarter of group-based offences (calibration)
        hi = min(stop, int(ch.dob[v]) + int(17.9 * YEAR))
        # (abuse in the world's last years is reported at the time: a later report would fall after its end)
        n = len(pol.links)
        ch._crimes(pol, f, v, offs, d, max(d, hi), cross=False, kind="familial_group", gid=gid, cse_p=0.0,
                   now_p=1.0 if d > _end() - 6 * 365 else 0.4 if rng.random() < 0.7 else 0.0, max_crimes=2)
        if len(pol.links) == n:  # a report years later would fall after the world's end: it came at the time
            ch._crimes(pol, f, v, offs, d, max(d, hi), cross=False, kind="familial_group", gid=gid, cse_p=0.0,
                       now_p=1.0, max_crimes=2)
    links = pol.links[before:]
    named = {i for _k, i, _role in links}
    crimes = {k for k, _i, role in links if role == "VICTIM"}
    first = next((c for c in pol.crimes[crimes_before:] if c[0] in crimes), None)
    for o in offs:
        if first is not None and o not in named:
            # the report names all the family's abusers: each man is a suspect of at least one of its crimes
            key, off, _cse, committed, reported, _pc = first
            v = next(i for k, i, role in links if k == key and role == "VICTIM")
            pol.person(o, "SUSPECT")
            pol.links.append((key, o, "SUSPECT"))
            ch._outcome(pol, key, o, off, v, committed, reported)


def _lone(ch: Chunk, used: np.ndarray, cse: bool) -> None:
    """A lone offender: CSE (some of them peers aged 14-17), or other child sexual abuse."""
    rng = ch.rng
    f = int(rng.integers(0, ch.K))
    d = _day(int(rng.integers(1997, 2024))) + int(rng.integers(0, 365))
    young = rng.random() < (0.35 if cse else 0.25)
    offs = _pick_offenders(ch, f, d, 1, 0.0, 0.03 if cse else 0.08, min_age=18)
    if young:
        offs = _pick_offenders(ch, f, d, 2, 1.0, 0.03, min_age=18)[1:] or offs
    if not offs:
        return
    k = 1 + int(rng.poisson(0.4 if cse else 0.3))
    vics = _pick_victims(ch, f, d, min(_end(), d + 2 * 365), k, 0.75 if cse else 0.7, 8.0 if cse else 4.0, 17.0, used)
    if not vics:
        return
    ch.offender[offs] = True
    kind = "cse_lone" if cse else "csa"
    pol = ch.rec("police", f)
    for v, harm in vics:
        ch.abuse_kind[v] = kind
        hi = int(ch.dob[v]) + int(17.9 * YEAR)
        if cse:
            ch.exploited[v] = True
            ch.first_harm[v] = harm
            ch._victim_signals(v, harm, offs)
        elif rng.random() < 0.5:
            ch._signals(v, harm, [], intensity=0.5, exploited=False)
        if rng.random() < (0.62 if cse else 0.5):
            ch._crimes(pol, f, v, offs, harm, max(harm, hi), cross=False, kind=kind, cse_p=0.3 if cse else 0.0,
                       now_p=0.45 if cse else 0.4, max_crimes=5)
        if cse and harm < _day(2013) and rng.random() < 0.12 and ch.age_days(v, harm) >= 12.5:
            ch._disregard(pol, f, v, harm)
    if cse and rng.random() < 0.5:
        _pivots(ch, offs, W.to_date(d).year)


def build_structured(ch: Chunk) -> None:
    """Plant this chunk's offending for a structured profile."""
    rng, n, P = ch.rng, ch.n, ch.P
    used = np.zeros(n, dtype=bool)
    k = int(rng.poisson(n * P.group_rate))
    # stratified, not independent: start years spread evenly over 1997-2023 and familial groups every so many,
    # so that a world of a few dozen groups still has the planted shares
    u1, u2 = rng.random(), rng.random()
    for i in range(k):
        year = 1997 + int((i + u1) / k * 27)
        if int((i + 1 + u2) * P.familial_share) > int((i + u2) * P.familial_share):
            _familial(ch, used, year)
            continue
        offs = _group(ch, used, year=year)
        if offs and rng.random() < SHARED_OFFENDER_P:
            # a second group in the same area shares one or two of these offenders
            # one or two of its men, leaving it two of its own (else the two would be one group)
            carry = [int(x) for x in rng.choice(offs, size=max(0, min(len(offs) - 2, int(rng.integers(1, 3)))),
                                                replace=False)]
            if carry:
                # the first group without the men it shares is still tied together in the records, and so is the
                # second without them
                own_traces(ch, ch.last_trace, carry)
                _group(ch, used, carry=carry, force=int(ch.force[carry[0]]))
    for _ in range(int(rng.poisson(n * P.lone_rate))):
        _lone(ch, used, cse=True)
    for _ in range(int(rng.poisson(n * P.csa_rate))):
        _lone(ch, used, cse=False)


def outcome_structured(ch: Chunk, pol: Rec, key: str, o: int, off: str, v: int, committed: int, reported: int) -> None:
    """One suspect's outcome: charge rates graded by force and lower for non-recent reports, downgrades of
    rape of children under 16 (13-15 and under 13), out-of-court disposals and diversion for young suspects."""
    rng, end = ch.rng, _end()
    odate = min(end, reported + int(rng.integers(30, 900)))
    if reported > end - 400 and rng.random() < 0.5:
        pol.outcomes.append((key, o, "PEND", None, "", "", False))
        return
    p = CHARGE_P * force_charge_factor(int(ch.force[o])) * (0.6 if ch.age_days(v, reported) >= 18 else 1.0)
    if rng.random() < p:
        charged, down = off, False
        age = ch.age_days(v, committed)
        if off in ("19D", "19G") and 13 <= age < 16 and rng.random() < DOWNGRADE_13_15_P:
            charged, down = "22B", True
        elif off in ("19E", "19H") and age < 13 and rng.random() < DOWNGRADE_U13_P:
            charged, down = ("21" if rng.random() < 0.5 else ("17B" if off == "19H" else "20B")), True
        court = "PENDING" if odate > end - 200 else list(COURT_P)[int(rng.choice(3, p=list(COURT_P.values())))]
        pol.outcomes.append((key, o, "1", odate, charged, court, down))
        return
    if ch.age_days(o, committed) < 18 and rng.random() < 0.06:
        pol.outcomes.append((key, o, "22", odate, "", "", False))  # diversionary activity for a young suspect
        return
    t = list(NOT_CHARGED)[int(rng.choice(len(NOT_CHARGED), p=np.array(list(NOT_CHARGED.values())) / sum(NOT_CHARGED.values())))]
    pol.outcomes.append((key, o, t, odate, "", "", False))


def missing_in_care(ch: Chunk, v: int, start: int, stop: int, offs: list[int], exploited: bool, la: int) -> int:
    """Missing episodes of a looked-after child during the placement; returns how many."""
    rng = ch.rng
    if rng.random() >= (0.55 if exploited else 0.1) or stop <= start:
        return 0
    k = 1 + int(rng.poisson(6.0 if exploited else 3.0))
    f = int(ch.force[v])
    for _ in range(k):
        d = ch.rand_day(start, stop)
        ch._missing(v, d, ch._who(offs) if exploited else "", "csc", la)
        if rng.random() < 0.6:
            ch._missing(v, d, ch._who(offs) if exploited else "", "police", f)
    return k
