"""Ground truth for cases to reopen (truth/reopen.csv): each closing outcome row of a crime in scope whose true
suspect has new intelligence, worked out from what the generator planted and wrote, with true identities."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from collections import defaultdict
from functools import lru_cache
from importlib import resources
from typing import Any

from joinedup.synth.layouts import TO_PRE2004
from joinedup.synth.world import Chunk

EPOCH = date(1970, 1, 1)

# A phone or vehicle on more people than this is not a lead (the justice rule's PIVOT_MAX_PEOPLE).
PIVOT_MAX_PEOPLE = 25


@lru_cache(maxsize=None)
def _groups(name: str, column: str) -> dict[str, frozenset[str]]:
    """A grouping code list of the data standard: group -> its codes."""
    text = resources.files("joinedup.standard").joinpath("codes", name).read_text(encoding="utf-8")
    out: dict[str, set[str]] = defaultdict(set)
    for row in csv.DictReader(io.StringIO(text)):
        out[row[column]].add(row["code"])
    return {k: frozenset(v) for k, v in out.items()}


@lru_cache(maxsize=None)
def _legacy_offence() -> dict[str, str]:
    """The pre-2004 offence codes a legacy police system writes, read back as the standard's codes (lossy: XX)."""
    text = resources.files("joinedup.standard").joinpath("codes", "legacy", "offence.csv").read_text(encoding="utf-8")
    back = {r["legacy_code"]: r["code"] for r in csv.DictReader(io.StringIO(text)) if r["scheme"] == "ho_pre2004"}
    return {code: back.get(old, old) for code, old in TO_PRE2004.items()}


class Ledger:
    """What one chunk wrote to the police and person extracts that ingest will load (rows made invalid on purpose
    are left out: ingest quarantines them, and truth/invalid.csv measures that)."""

    def __init__(self) -> None:
        self.invalid: set[tuple[str, str]] = set()
        self.held: dict[int, set[tuple[str, str]]] = defaultdict(set)     # person idx -> (phone|vehicle, value)
        self.crime: dict[str, tuple] = {}                                 # key -> (source, srid, offence, cse, committed, reported)
        self.link: list[tuple[str, int, str]] = []                        # (crime key, person idx, role)
        self.out: list[tuple] = []                                        # (source, srid, key, idx, type, date, court)

    def persons(self, src: str, sr: list[str], idx: list[int], phones: list, vehicles: list, bad: list[int]) -> None:
        """Person records of one source as written (phones and vehicles after noise)."""
        badset = set(bad)
        for j, (s, i, ph, ve) in enumerate(zip(sr, idx, phones, vehicles)):
            if j in badset:
                self.invalid.add((src, s))
                continue
            self.held[i].update(("phone", v) for v in ph if v)
            self.held[i].update(("vehicle", v) for v in ve if v)

    def crimes(self, src: str, csr: list[str], crimes: list[tuple], bad: list[int], system: str) -> None:
        """Crime rows of one police source, with the offence as the source recorded it (a legacy system's
        pre-2004 code cannot say 19C, 19F or 73: it writes XX, read as OTHER)."""
        badset = set(bad)
        legacy = _legacy_offence() if system == "connect" else {}
        for j, (cr, s) in enumerate(zip(crimes, csr)):
            if j not in badset:
                self.crime[cr[0]] = (src, s, legacy.get(cr[1], cr[1]), cr[2], cr[3], cr[4])

    def links(self, src: str, links: list[tuple], person_srids: list[str]) -> None:
        """Crime-person links of one police source (to the person record each was written with)."""
        self.link += [x for x, p in zip(links, person_srids) if (src, p) not in self.invalid and x[0] in self.crime]

    def outcomes(self, src: str, osr: list[str], outs: list[tuple], person_srids: list[str]) -> None:
        """Outcome rows of one police source."""
        self.out += [(src, s, x[0], x[1], x[2], x[3], x[5]) for x, s, p in zip(outs, osr, person_srids)
                     if (src, p) not in self.invalid and x[0] in self.crime]


def _iso(day: int) -> str:
    return (EPOCH + timedelta(days=int(day))).isoformat()


def reopen_rows(led: Ledger, ch: Chunk) -> list[list[Any]]:
    """truth/reopen.csv rows of one chunk: closing outcomes (no further action, or charged and not prosecuted) of crimes
    in scope, whose true suspect is an offender in a planted group, has another true victim on a crime recorded after
    the closure or by another agency, was charged later for another crime, or shares a phone or vehicle with someone
    in a crime reported after the closure."""
    off, outg, court = _groups("offence_group.csv", "group"), _groups("outcome_group.csv", "group"), _groups("court_stage.csv", "stage")
    victims: dict[str, set[int]] = defaultdict(set)
    as_suspect: dict[int, set[str]] = defaultdict(set)
    any_role: dict[int, set[str]] = defaultdict(set)
    for k, i, role in led.link:
        any_role[i].add(k)
        if role == "VICTIM":
            victims[k].add(i)
        elif role == "SUSPECT":
            as_suspect[i].add(k)
    charges: dict[int, list[tuple[int, str]]] = defaultdict(list)
    prosecuted: set[tuple[str, int]] = set()
    for _src, _s, k, i, t, d, cr in led.out:
        if t in outg["charge"] and d is not None:
            charges[i].append((d, k))
        if t in outg["charge"] and cr in court["prosecuted"]:
            prosecuted.add((k, i))
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, vals in led.held.items():
        for v in vals:
            holders[v].add(i)
    offenders = {g[1] for g in ch.groups if g[2] == "offender"}

    def in_scope(k: str) -> bool:
        _src, _s, code, cse, com, rep = led.crime[k]
        when = com if com is not None else rep
        return bool(cse) or code in off["child_sexual"] or (
            code in off["sexual_any_age"] and any(ch.age_days(v, when) < 18 for v in victims[k]))

    rows = []
    for src, srid, k, s, t, d, cr in led.out:
        if not (t in outg["closed_nfa"] or (t in outg["charge"] and cr in court["not_prosecuted"])):
            continue
        if (k, s) in prosecuted or not in_scope(k):
            continue
        closed = d if d is not None else led.crime[k][5]
        reasons = []
        if ch.tpid[s] in offenders:
            reasons.append("group")
        if any(dd > closed and kk != k for dd, kk in charges[s]):
            reasons.append("charge")
        if any(v != s and v not in victims[k] for k2 in as_suspect[s] if k2 != k
               and (led.crime[k2][5] > closed or led.crime[k2][0] != src) for v in victims[k2]):
            reasons.append("victim")
        if any(b != s and any(k2 != k and led.crime[k2][5] > closed for k2 in any_role[b])
               for v in led.held.get(s, ()) if len(holders[v]) <= PIVOT_MAX_PEOPLE for b in holders[v]):
            reasons.append("pivot")
        if reasons:
            rows.append([src, srid, led.crime[k][1], ch.tpid[s], _iso(closed),
                         "charged, discontinued" if t in outg["charge"] else t, ";".join(reasons)])
    return rows


def write_reopen_truth(writer: Any, led: Ledger, ch: Chunk) -> None:
    """Append one chunk's truth/reopen.csv rows."""
    writer.writerows(reopen_rows(led, ch))
