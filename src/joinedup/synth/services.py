"""Contacts with youth justice and sexual health services (profiles with `extra_layouts`): who each service
knows, and what it records about them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from joinedup.synth import world as W

if TYPE_CHECKING:
    from joinedup.synth.world import Chunk

YEAR = 365.25


def _yjs(ch: Chunk, i: int) -> None:
    rec = ch.rec("yjs", int(ch.force[i]))
    rec.person(i, "CHILD")
    rec.flags.setdefault(i, {}).setdefault("looked_after", False)


def youth_justice_signals(ch: Chunk, v: int, offs: list[int], exploited: bool, when: Callable[[], int]) -> None:
    """A child with signals may be known to youth justice: exploited children are often criminalised, and the
    service records an exploitation concern or a missing episode when it sees one."""
    rng = ch.rng
    if rng.random() >= (0.15 if exploited else 0.04):
        return
    _yjs(ch, v)
    rec = ch.rec("yjs", int(ch.force[v]))
    if exploited and rng.random() < 0.6:
        rec.events.append((v, "INTEL", when(), None, "CSE", "", "", "", "Concerns of sexual exploitation noted at assessment"))
    if rng.random() < 0.4:
        rec.events.append((v, "MISSING", when(), None, "M", "", "", "", ""))


def youth_offending(ch: Chunk) -> None:
    """Young people aged 10-17 suspected of crimes: the police record them, youth justice supervises most."""
    rng, end = ch.rng, W.END_ORD - W.EPOCH.toordinal()
    lo = int(W.days_of_year(np.array([2000]))[0])
    for _ in range(int(rng.poisson(ch.n * 0.01))):
        d = int(rng.integers(lo, end))
        age = (d - ch.dob) / YEAR
        cand = np.flatnonzero((age >= 10) & (age < 18))
        if not len(cand):
            continue
        s = int(rng.choice(cand))
        pol = ch.rec("police", int(ch.force[s]))
        key = ch._id("crime")
        pol.crimes.append((key, "OTHER", False, d - int(rng.integers(0, 30)), d, ""))
        pol.person(s, "SUSPECT")
        pol.links.append((key, s, "SUSPECT"))
        if rng.random() < 0.7:
            t = "22" if rng.random() < 0.5 else "1"  # diversion or a charge
            pol.outcomes.append((key, s, t, min(end, d + 60), "OTHER" if t == "1" else "", "CONVICTED" if t == "1" else "", False))
        if rng.random() < 0.6:
            _yjs(ch, s)
    # young suspects of sexual offences are known to youth justice too
    for o in np.flatnonzero(ch.offender).tolist():
        if ch.dob_y[o] >= 1985 and rng.random() < 0.6:
            age_now = (end - int(ch.dob[o])) / YEAR
            if age_now < 30:
                _yjs(ch, o)


def sexual_health_background(ch: Chunk) -> None:
    """Everyday sexual health attendances of young people and young adults (the clinics' bulk)."""
    rng, end = ch.rng, W.END_ORD - W.EPOCH.toordinal()
    pick = np.flatnonzero((ch.dob_y >= 1975) & (rng.random(ch.n) < 0.08))
    for i in pick.tolist():
        lo = max(int(ch.dob[i]) + int(15 * YEAR), int(W.days_of_year(np.array([2000]))[0]))
        hi = min(end, int(ch.dob[i]) + int(30 * YEAR))
        if hi <= lo:
            continue
        rec = ch.rec("sexual_health", int(ch.force[i]))
        rec.person(i, "PATIENT")
        for _ in range(1 + int(rng.poisson(0.5))):
            code = ["SH", "SH", "STI", "EC" if ch.sex[i] == "F" else "SH"][int(rng.integers(0, 4))]
            rec.events.append((i, "HEALTH", int(rng.integers(lo, hi + 1)), None, code, "", "", "", ""))
