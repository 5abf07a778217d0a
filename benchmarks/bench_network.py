"""Network accuracy against truth (linkage on and off) and speed at 1M person records.

Usage: python benchmarks/bench_network.py [--accuracy-people 20000] [--profiles default,enriched] [--records 1000000]
       [--work DIR] [--keep] [--reuse]

1. Accuracy: a world of --accuracy-people (seed 99, as the acceptance check) per synth profile, ingested and linked; then
   `run_network` with linkage on and off. Membership pairwise P/R/F1 and adjusted Rand index against
   truth/groups.csv, overall and for suspects and victims separately; cross-force groups found as one;
   first detectable against first charged.
2. Speed: a world of about --records person records (seed 11), ingested and linked (not timed), then
   `run_network` in its own process: seconds and peak memory.

Writes benchmarks/results/network.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

from common import forces_for, run_child, write_result

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
PEOPLE_PER_RECORD = 0.74
TARGET_F1, TARGET_SECONDS = 0.95, 60.0

WORLD = """
from pathlib import Path
from joinedup.synth import generate
from joinedup.ingest import ingest
from joinedup.link import link_warehouse
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=int(sys.argv[3]), forces=int(sys.argv[5]),
             profile=sys.argv[6] if len(sys.argv) > 6 else 'default')
ingest(Path(sys.argv[1]) / 'extracts', Path(sys.argv[4]))
link_warehouse(sys.argv[4])
result = {'person_records': s['person_records']}
"""

NETWORK = """
from joinedup.network.core import run_network
result = run_network(sys.argv[1], linkage=sys.argv[2] == '1')
result.pop('top_groups', None)
"""

SCORE = """
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from tests.network.truth import cross_force, score
import duckdb
result = {'score': score(Path(sys.argv[1]), Path(sys.argv[2]))}
if sys.argv[4] == '1':
    result['cross_force'] = cross_force(Path(sys.argv[1]), Path(sys.argv[2]))
con = duckdb.connect(sys.argv[2], read_only=True)
# the ceiling: every true member with any record tying them to anyone (a part in a sexual-offence crime, or a
# missing episode naming someone) placed perfectly, everyone else alone
import csv
from joinedup.network.evaluate import pairwise_prf
rec = {(r['source'], r['source_record_id']): r['true_person_id'] for r in csv.DictReader(open(Path(sys.argv[1]) / 'truth' / 'records.csv'))}
tied = {rec.get((s, r)) for s, r in con.execute('''SELECT x.source, x.person_record_id FROM crime_person x JOIN crime c
    ON c.source = x.source AND c.source_record_id = x.crime_record_id WHERE c.offence_code NOT IN ('OTHER', 'SOA59-S1')
    UNION SELECT source, person_record_id FROM event WHERE with_whom IS NOT NULL''').fetchall()}
present = set(rec.values())
truth = {r['true_person_id']: r['true_group_id'] for r in csv.DictReader(open(Path(sys.argv[1]) / 'truth' / 'groups.csv')) if r['true_person_id'] in present}
result['ceiling'] = pairwise_prf({t: (g if t in tied else 'alone' + t) for t, g in truth.items()}, truth)
result['lead'] = con.execute('''SELECT count(*), count(first_charged), count(*) - count(first_charged),
    quantile_cont(datediff('day', first_detectable, first_charged) / 365.25, [0.25, 0.5, 0.75]),
    count(*) FILTER (WHERE first_detectable < first_charged)
    FROM network_group''').fetchall()[0]
"""


def _fmt(s: dict) -> str:
    return f"{s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f} / {s['ari']:.3f}"


def main() -> None:
    """Run the benchmark and write its markdown section."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--accuracy-people", type=int, default=20000)
    ap.add_argument("--profiles", default="default,enriched", help="synth profiles of the accuracy worlds")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="Use worlds already built in --work (from a --keep run).")
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="bench_network_"))
    work.mkdir(parents=True, exist_ok=True)
    lines = ["## Network (`joinedup network`)", ""]
    try:
        rows, extra = [], []
        for prof in a.profiles.split(","):
            w, db = work / f"acc-{prof}", work / f"acc-{prof}.duckdb"
            if not (a.reuse and db.exists()):
                run_child(WORLD, str(w), str(a.accuracy_people), "99", str(db), "3", prof)
            for on in (True, False):
                r = run_child(NETWORK, str(db), "1" if on else "0")
                s = run_child(SCORE, str(w), str(db), str(BENCH.parent), "1" if on else "0")["result"]
                sc = s["score"]
                rows.append(f"| {a.accuracy_people:,} people, {prof} | {'on' if on else 'off'} | {sc['true_groups']} / "
                            f"{sc['found_groups']} | {_fmt(sc['all'])} | {_fmt(sc['suspects'])} | {_fmt(sc['victims'])} | "
                            f"{r['seconds']:.1f} |")
                if on:
                    n, charged, never, q, before = s["lead"]
                    cf = s["cross_force"]
                    extra += [f"**{prof}**: cross-force: {cf['true_cross_force']} true groups have members on two or "
                              f"more forces' sexual-offence records; {cf['found_as_one']} of them are found as one group. "
                              f"First detectable against first charged ({n} groups found): {charged} had a member "
                              f"charged, {never} never; first detectable came before the first charge in {before}; "
                              f"years from first detectable to first charge: quartiles "
                              + ", ".join(f"{x:.1f}" for x in (q or [])) + ". "
                              f"Ceiling: placing perfectly every true member with any record that ties them to "
                              f"anyone (a part in a sexual-offence crime, or a missing episode naming someone) and leaving "
                              f"the rest alone gives P / R / F1 {s['ceiling'][0]:.3f} / {s['ceiling'][1]:.3f} / "
                              f"{s['ceiling'][2]:.3f}: the rest are in the extracts only through unrelated contacts.", ""]
        lines += ["Membership against truth/groups.csv (members with a record in some extract; pairwise "
                  "precision / recall / F1 / adjusted Rand index). Target F1 ≥ 0.95 with linkage on.", "",
                  "| world | linkage | groups true / found | all P / R / F1 / ARI | suspects | victims | network s |",
                  "|---|---|---|---|---|---|---|", *rows, "", *extra, ""]
        if a.records:
            people = math.ceil(a.records / PEOPLE_PER_RECORD)
            w2, db2 = work / "big", work / "big.duckdb"
            if not (a.reuse and db2.exists()):
                run_child(WORLD, str(w2), str(people), "11", str(db2), str(forces_for(people)))
            n_records = run_child("import duckdb; result = duckdb.connect(sys.argv[1], read_only=True).execute("
                                  "'SELECT count(*) FROM person_record').fetchall()[0][0]", str(db2))["result"]
            load = os.getloadavg()
            r = run_child(NETWORK, str(db2), "1")
            load_after = os.getloadavg()
            sc = run_child(SCORE, str(w2), str(db2), str(BENCH.parent), "1")["result"]
            ok = "yes" if r["seconds"] <= TARGET_SECONDS else "no"
            lines += ["| person records | persons | edges | groups true / found | all P / R / F1 / ARI | suspects | victims | "
                      "ceiling F1 | network s (own process) | peak MiB | ≤ 60 s |",
                      "|---|---|---|---|---|---|---|---|---|---|---|",
                      f"| {n_records:,} | {r['result']['persons']:,} | {r['result']['edges']:,} | "
                      f"{sc['score']['true_groups']} / {r['result']['groups']:,} | {_fmt(sc['score']['all'])} | "
                      f"{_fmt(sc['score']['suspects'])} | {_fmt(sc['score']['victims'])} | {sc['ceiling'][2]:.3f} | "
                      f"{r['seconds']:.1f} | {r['peak_mib']:.0f} | {ok} |", "",
                      f"Cross-force at this size: {sc['cross_force']['true_cross_force']} true groups span two or more "
                      f"forces; {sc['cross_force']['found_as_one']} found as one.",
                      "Network steps (s): " + ", ".join(f"{k} {v}" for k, v in r['result']['timings'].items())
                      + f". Load average (1 min) on the 2-core machine {load[0]:.1f} before, {load_after[0]:.1f} after "
                      "(other engineers' jobs were running).", ""]
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines)
    print(text)
    write_result("network", text)


if __name__ == "__main__":
    main()
