"""Justice stage: recall/precision of downgrades and disregards against the truth, reopen against the same rules on
true identities, and speed at 1M person records. A baseline run with no linkage (each record its own person) shows
what linkage adds. Writes benchmarks/results/justice.md.

    python3 benchmarks/bench_justice.py                 # 20,000 people and 1M person records
    python3 benchmarks/bench_justice.py --people 20000  # one size only
"""

from __future__ import annotations

import argparse
import csv
import math
import shutil
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import forces_for, run_child, write_result  # noqa: E402

from joinedup.synth.truth import person_truth  # noqa: E402

WORLD = """
import sys
from joinedup.synth import generate
from joinedup.ingest import ingest
from joinedup.link import link_warehouse, export_clusters
out, people, seed, db, forces = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
generate(out, people=people, seed=seed, forces=forces, profile=sys.argv[7])
ingest(out + '/extracts', db)
link_warehouse(db)
export_clusters(db, sys.argv[6])
import duckdb
con = duckdb.connect(db, read_only=True)
result = {'person_records': con.execute('SELECT count(*) FROM person_record').fetchall()[0][0]}
"""
JUSTICE = """
import sys
from joinedup.justice import run_justice
result = run_justice(sys.argv[1], sys.argv[2], charts=True)
"""
RELINK = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
mode, truth = sys.argv[2], sys.argv[3]
if mode == 'truth':
    con.execute("CREATE TEMP TABLE t AS SELECT * FROM read_csv(?, all_varchar=true)", [truth])
    pid = "coalesce(t.true_person_id, l.person_id)"
    src = "link_person l LEFT JOIN t USING (source, source_record_id)"
else:
    pid, src = "l.source || ':' || l.source_record_id", "link_person l"
con.execute(f"CREATE OR REPLACE TABLE link_person AS SELECT l.source, l.source_record_id, {pid} AS person_id, 1 AS cluster_size, "
            "1.0::DOUBLE AS match_probability, 'bench-' || ? AS run_id FROM " + src, [mode])
con.execute("DELETE FROM link_pair")
result = mode
"""


def read(p: Path) -> list[dict]:
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def pr(found: set, truth: set) -> tuple[float, float]:
    tp = len(found & truth)
    return (tp / len(found) if found else 0.0), (tp / len(truth) if truth else 1.0)


def score(world: Path, out: Path, ptrue: dict[str, str]) -> dict:
    t_down = {(r["source"], r["source_record_id"]) for r in read(world / "truth" / "downgrades.csv")}
    t_dis = {r["true_person_id"] for r in read(world / "truth" / "disregards.csv")}
    f_down = {(r["source"], r["source_record_id"]) for r in read(out / "downgrades.csv")}
    dis = read(out / "disregards.csv")
    f_dis = {ptrue.get(r["person_id"], r["person_id"]) for r in dis}
    (p1, r1), (p2, r2) = pr(f_down, t_down), pr(f_dis, t_dis)
    corr = Counter(r["corroboration"] for r in dis)
    return dict(t_down=len(t_down), p_down=p1, r_down=r1, t_dis=len(t_dis), p_dis=p2, r_dis=r2, corr=dict(corr),
                reopen={(r["source"], r["source_record_id"]) for r in read(out / "reopen.csv")})


def one(work: Path, people: int, seed: int, reuse: bool, profile: str = "default") -> dict:
    d = work / f"p{people}{'' if profile == 'default' else '-' + profile}"
    world, db, clusters = d / "world", d / "w.duckdb", d / "clusters.csv"
    if reuse and clusters.exists():  # the linked world of an earlier run (justice rewrites only its own tables)
        w = run_child("import sys, duckdb\nresult = {'person_records': duckdb.connect(sys.argv[1], read_only=True)"
                      ".execute('SELECT count(*) FROM person_record').fetchall()[0][0]}", str(db))
        w["seconds"] = float("nan")
    else:
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        w = run_child(WORLD, str(world), str(people), str(seed), str(db), str(forces_for(people)), str(clusters), profile)
    j = run_child(JUSTICE, str(db), str(d / "out"))
    ptrue = person_truth(world, clusters)
    s = score(world, d / "out", ptrue)
    # what perfect linkage would give (reopen's expected set) and what no linkage gives (baseline)
    res = dict(people=people, profile=profile, records=w["result"]["person_records"], build_s=w["seconds"], justice_s=j["seconds"],
               peak=j["peak_mib"], summary=j["result"], **s)
    for mode in ("truth", "none"):
        db2 = d / f"{mode}.duckdb"
        shutil.copy(db, db2)
        run_child(RELINK, str(db2), mode, str(world / "truth" / "records.csv"))
        jm = run_child(JUSTICE, str(db2), str(d / f"out_{mode}"))
        ids = {} if mode == "truth" else {f"{r['source']}:{r['source_record_id']}": r["true_person_id"]
                                          for r in read(world / "truth" / "records.csv")}
        res[mode] = dict(score(world, d / f"out_{mode}", ids), seconds=jm["seconds"])
    exp = res["truth"]["reopen"]
    res["p_reopen"], res["r_reopen"] = pr(s["reopen"], exp)
    res["n_reopen_expected"] = len(exp)
    return res


def report(rows: list[dict], load: str, notes: str = "") -> str:
    lines = ["## Justice outcomes (issue 12)", "",
             "Synthetic worlds (seed 11; the 1M row is ⌈1,000,000 / 0.74⌉ people), built, ingested and linked first "
             "(not counted). *justice s* is `run_justice` in a fresh process (attrition, downgrades, disregards, reopen, "
             "tables written, CSVs and PNG charts). Downgrades and disregards are scored against `truth/downgrades.csv` "
             "and `truth/disregards.csv` (disregard person_ids mapped to the true person most of their records belong to). "
             "*Reopen* has no truth file yet: its expected set is the same rules run with every record given its true "
             "person (perfect linkage), so its P/R measure what linkage errors cost. *No linkage* is the baseline: each "
             "record its own person. Targets: downgrades and disregards R = 1.0 and P ≥ 0.95; 1M person records ≤ 60 s.", "",
             "| people | profile | person records | justice s | peak MiB | downgrades true | P | R | disregards true | P | R | "
             "disregard corroboration | reopen (expected) | P | R | no linkage: disregards with an exploitation record | no linkage: reopen found | targets |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        ok = r["r_down"] == 1.0 and r["r_dis"] == 1.0 and r["p_down"] >= 0.95 and r["p_dis"] >= 0.95
        speed = "" if r["records"] < 900_000 else (", time met" if r["justice_s"] <= 60 else ", **time not met**")
        corr = ", ".join(f"{k} {v}" for k, v in sorted(r["corr"].items()))
        lines.append(f"| {r['people']:,} | {r.get('profile', 'default')} | {r['records']:,} | {r['justice_s']:.1f} | {r['peak']:,.0f} | {r['t_down']} | "
                     f"{r['p_down']:.3f} | {r['r_down']:.3f} | {r['t_dis']} | {r['p_dis']:.3f} | {r['r_dis']:.3f} | {corr} | "
                     f"{len(r['reopen'])} ({r['n_reopen_expected']}) | {r['p_reopen']:.3f} | {r['r_reopen']:.3f} | "
                     f"{r['none']['corr'].get('exploitation_record', 0)} | {len(r['none']['reopen'])} | "
                     f"{'accuracy met' if ok else '**accuracy not met**'}{speed} |")
    lines += ["", f"Load: {load}"] + (["", notes] if notes else [])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, nargs="*", default=[20_000, math.ceil(1_000_000 / 0.74)])
    ap.add_argument("--work", default="/tmp/bench_justice")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--load", default="shared machine; other engineers' jobs running")
    ap.add_argument("--notes", default="", help="a paragraph explaining any miss, added under the table")
    ap.add_argument("--reuse", action="store_true", help="reuse linked worlds already in --work (skip synth, ingest, link)")
    ap.add_argument("--enriched-people", type=int, nargs="*", default=[20_000],
                    help="also measure `synth --profile enriched` worlds of these sizes")
    a = ap.parse_args()
    rows = []
    for n, profile in [(n, "default") for n in a.people] + [(n, "enriched") for n in a.enriched_people]:
        r = one(Path(a.work), n, a.seed, a.reuse, profile)
        print({k: v for k, v in r.items() if k not in ("reopen", "truth", "none", "summary")}, flush=True)
        rows.append(r)
    print(write_result("justice", report(rows, a.load, a.notes)))


if __name__ == "__main__":
    main()
