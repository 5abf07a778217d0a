"""How well network grouping does on a synthetic world, and the best any grouping could do with the same edges.

    python3 scripts/network_oracle.py WORLD_DIR WAREHOUSE.duckdb CLUSTERS_CSV GROUPS_CSV

WORLD_DIR is a `joinedup synth` output; the warehouse has been linked and `joinedup network` run on it (its
network_edge table is read); CLUSTERS_CSV is `joinedup link --export`, GROUPS_CSV `joinedup network --export-groups`.

Prints the method's membership precision, recall and F1 against truth/groups.csv (scored as the acceptance check
does: a member found in no group counts against recall), then the oracle's: for each true group, the subgraph of
the network's edges among its members without the men it shares with another group; each connected part holding one
of the group's own suspects is one group, a shared man joins the part he has most edges to, everyone else is alone.
A member the oracle leaves alone has no record tying him or her to the group's own people: no method can place them
(docs/synthetic-world.md, "Every member leaves a trace"). Members lost that way are listed with the reason.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict

import duckdb

csv.field_size_limit(sys.maxsize)


def _read(path: str) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pairwise_prf(pred: dict, truth: dict) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of clustering `pred` against `truth` (item -> label)."""
    items = set(pred) & set(truth)
    by_p, by_t, by_pt = Counter(), Counter(), Counter()
    for i in items:
        by_p[pred[i]] += 1
        by_t[truth[i]] += 1
        by_pt[(pred[i], truth[i])] += 1
    tp, pp, tt = (sum(n * (n - 1) // 2 for n in c.values()) for c in (by_pt, by_p, by_t))
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(world: str, db: str, clusters: str, groups_csv: str) -> dict:
    rec = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in _read(f"{world}/truth/records.csv")}
    votes: dict[str, Counter] = defaultdict(Counter)
    for r in _read(clusters):
        t = rec.get((r["source"], r["source_record_id"]))
        if t is not None:
            votes[r["person_id"]][t] += 1
    ptrue = {p: c.most_common(1)[0][0] for p, c in votes.items()}
    present = set(rec.values())
    rows = _read(f"{world}/truth/groups.csv")
    truth = {r["true_person_id"]: r["true_group_id"] for r in rows if r["true_person_id"] in present}
    # the method, as the acceptance check scores it
    pred = {}
    for r in _read(groups_csv):
        t = ptrue.get(r["person_id"])
        if t is not None:
            pred[t] = r["group_id"]
    method = pairwise_prf({t: pred.get(t, f"__alone__{t}") for t in truth}, truth)
    # the oracle
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    off_groups: dict[str, set[str]] = defaultdict(set)
    members: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        roles[(r["true_group_id"], r["true_person_id"])].add(r["role"])
        if r["role"] == "offender":
            off_groups[r["true_person_id"]].add(r["true_group_id"])
        if r["true_person_id"] in present:
            members[r["true_group_id"]].add(r["true_person_id"])
    shared = {t for t, gs in off_groups.items() if len(gs) > 1}
    adj: dict[str, Counter] = defaultdict(Counter)
    con = duckdb.connect(db, read_only=True)
    try:
        for a, b in con.execute("SELECT person_a, person_b FROM network_edge").fetchall():
            ta, tb = ptrue.get(a), ptrue.get(b)
            if ta and tb and ta != tb:
                adj[ta][tb] += 1
                adj[tb][ta] += 1
    finally:
        con.close()
    best: dict[str, str] = {}
    lost: list[tuple[str, str, str, str]] = []
    for g, mem in sorted(members.items()):
        own = mem - shared
        comp: dict[str, int] = {}
        parts: list[set[str]] = []
        for s in sorted(own):
            if s in comp:
                continue
            comp[s] = len(parts)
            part, stack = {s}, [s]
            while stack:
                for y in adj[stack.pop()]:
                    if y in own and y not in comp:
                        comp[y] = len(parts)
                        part.add(y)
                        stack.append(y)
            parts.append(part)
        good = {i for i, p in enumerate(parts) if any("offender" in roles[(g, x)] for x in p)}
        for x in own:
            if comp[x] in good:
                best[x] = f"{g}#{comp[x]}"
        for x in mem & shared:
            near = Counter(comp[y] for y in adj[x] if y in comp and comp[y] in good)
            if truth.get(x) == g and near:
                best[x] = f"{g}#{near.most_common(1)[0][0]}"
        for x in sorted(mem):
            if truth.get(x) == g and x not in best:
                why = ("no edge at all" if not adj[x] else
                       "tied only through a shared man" if any(y in shared and y in mem for y in adj[x]) else
                       "no edge to the group")
                lost.append((g, x, "/".join(sorted(roles[(g, x)])), why))
        if len(good) > 1:
            lost.append((g, "-", "-", f"{len(good)} parts with a suspect each, sizes "
                                      f"{sorted((len(parts[i]) for i in good), reverse=True)}"))
    oracle = pairwise_prf({t: best.get(t, f"__alone__{t}") for t in truth}, truth)
    return {"groups": len(members), "groups_sharing_men": sum(1 for m in members.values() if m & shared),
            "method": method, "oracle": oracle, "lost": lost}


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__)
        return 2
    out = evaluate(*argv)
    (p, r, f), (op, orr, of) = out["method"], out["oracle"]
    print(f"groups: true={out['groups']} (sharing men: {out['groups_sharing_men']})")
    print(f"method: P={p:.3f} R={r:.3f} F1={f:.3f}")
    print(f"oracle: P={op:.3f} R={orr:.3f} F1={of:.3f}  (lost: {sum(1 for x in out['lost'] if x[1] != '-')})")
    for x in out["lost"]:
        print("  ", *x)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
