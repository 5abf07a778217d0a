"""The synthetic world's truth for scoring groups (tests only: src/ never reads truth)."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import duckdb

from joinedup.network.evaluate import adjusted_rand, pairwise_prf
from joinedup.network.exports import MEMBER_ORDER


def _read(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def score(world: Path, db: Path) -> dict:
    """Membership P/R/F1 and ARI of the stored groups against truth/groups.csv, overall and by role.

    As the acceptance check does: only true members with a record in some extract count; a found
    person stands for the true person most of its records belong to; a member found in no group is
    alone (against recall)."""
    rec = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in _read(world / "truth" / "records.csv")}
    con = duckdb.connect(str(db), read_only=True)
    try:
        linkage = con.execute("SELECT linkage FROM network_run ORDER BY finished_at DESC LIMIT 1").fetchall()[0][0]
        if linkage:
            pairs = con.execute("SELECT source, source_record_id, person_id FROM link_person").fetchall()
        else:
            pairs = [(s, r, f"R:{s}:{r}") for s, r in con.execute("SELECT source, source_record_id FROM person_record").fetchall()]
        # in the order groups.csv lists them: the last row of a person in two groups is his most recent group
        members = con.execute(f"""SELECT m.person_id, m.group_id FROM network_member m JOIN network_group g USING (group_id)
            ORDER BY {MEMBER_ORDER}""").fetchall()
    finally:
        con.close()
    votes: dict[str, Counter] = defaultdict(Counter)
    for s, r, p in pairs:
        if (s, r) in rec:
            votes[p][rec[(s, r)]] += 1
    ptrue = {p: c.most_common(1)[0][0] for p, c in votes.items()}
    present = set(rec.values())
    rows = [r for r in _read(world / "truth" / "groups.csv") if r["true_person_id"] in present]
    truth = {r["true_person_id"]: r["true_group_id"] for r in rows}
    role = {r["true_person_id"]: r["role"] for r in rows}
    pred: dict[str, str] = {}
    for p, g in members:
        t = ptrue.get(p)
        if t is not None:
            pred[t] = g
    for t in truth:
        pred.setdefault(t, f"__alone__{t}")
    out = {"true_groups": len(set(truth.values())), "found_groups": len({g for _, g in members})}
    for name, keep in (("all", None), ("suspects", "offender"), ("victims", "victim")):
        t = {k: v for k, v in truth.items() if keep is None or role[k] == keep}
        p = {k: pred[k] for k in t}
        prec, rec_, f1 = pairwise_prf(p, t)
        out[name] = {"precision": prec, "recall": rec_, "f1": f1, "ari": adjusted_rand(p, t), "members": len(t)}
    return out


def cross_force(world: Path, db: Path) -> dict:
    """True groups whose members are on two or more forces' police records, and how many are found as one group.

    Found as one: one found group holds members recorded by each of those forces."""
    rec = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in _read(world / "truth" / "records.csv")}
    groups = _read(world / "truth" / "groups.csv")
    con = duckdb.connect(str(db), read_only=True)
    try:
        # police records of people in sexual-offence crimes (a witness to a burglary elsewhere does not count)
        police = con.execute("""SELECT DISTINCT p.source, p.source_record_id, c.org_code FROM person_record p
            JOIN crime_person x ON x.source = p.source AND x.person_record_id = p.source_record_id
            JOIN crime c ON c.source = x.source AND c.source_record_id = x.crime_record_id
            WHERE c.offence_code NOT IN ('OTHER', 'SOA59-S1')""").fetchall()
        linked = {(s, r): p for s, r, p in con.execute("SELECT source, source_record_id, person_id FROM link_person").fetchall()}
        member = dict(con.execute("SELECT person_id, group_id FROM network_member").fetchall())
    finally:
        con.close()
    tgroup = {r["true_person_id"]: r["true_group_id"] for r in groups}
    # true group -> force -> found groups of its members' records there
    seen: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for s, r, org in police:
        t = rec.get((s, r))
        if t in tgroup:
            seen[tgroup[t]][org].add(member.get(linked.get((s, r))))
    spanning = {g: f for g, f in seen.items() if len(f) >= 2}
    found = sum(1 for f in spanning.values() if set.intersection(*[v - {None} for v in f.values()]))
    return {"true_cross_force": len(spanning), "found_as_one": found}
