"""10 million person records linked end to end (issue #3: at most 10 minutes), with accuracy against the truth.

Usage: python benchmarks/bench_link_10m.py [--records 10000000] [--work DIR] [--keep]
Builds a world of ⌈records / 0.74⌉ people (seed 11, one force area per ~850k people), ingests it, then runs
`link_warehouse` in its own process (time inside the call, process time and peak RSS) and scores the clusters.
Writes benchmarks/results/link-10m.md (collected into docs/benchmarks.md by benchmarks/run.py). Needs ~25 GB
of disk in --work and takes about 20 minutes in all.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from pathlib import Path

from bench_link import LINK, PEOPLE_PER_RECORD, code_version, joinedup_clusters, score, truth_frame
from common import forces_for, run_child, write_result

TARGET_SECONDS = 600.0

SYNTH = """
from pathlib import Path
from joinedup.synth import generate
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=11, forces=int(sys.argv[3]))
result = {'person_records': s['person_records'], 'total_rows': s['total_rows']}
"""

INGEST = """
from pathlib import Path
from joinedup.ingest import ingest
i = ingest(Path(sys.argv[1]) / 'extracts', Path(sys.argv[2]))
result = {'rows_read': i.rows_read, 'person_records': i.tables.get('person_record', 0), 'balanced': i.balanced}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="link the world and warehouse an earlier run left in --work")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="jd-bench-10m-"))
    work.mkdir(parents=True, exist_ok=True)
    people = math.ceil(a.records / PEOPLE_PER_RECORD)
    forces = forces_for(people)
    world, db = work / "world", work / "wh.duckdb"
    built = work / "built.json"
    if a.reuse and built.exists() and db.exists():
        s, i = json.loads(built.read_text())
    else:
        shutil.rmtree(world, ignore_errors=True)
        db.unlink(missing_ok=True)
        s = run_child(SYNTH, str(world), str(people), str(forces))
        i = run_child(INGEST, str(world), str(db))
        built.write_text(json.dumps([s, i]))
    n = i["result"]["person_records"]
    print(f"synth {people:,} people, {forces} forces: {s['seconds']:.0f} s, {s['peak_mib']:,.0f} MiB", flush=True)
    print(f"ingest {i['result']['rows_read']:,} rows ({n:,} person records): {i['seconds']:.0f} s, {i['peak_mib']:,.0f} MiB", flush=True)
    j = run_child(LINK, str(db), "0")
    secs = j["result"]["run_time_seconds"]
    m, _ = score(truth_frame(world, db), joinedup_clusters(db))
    print(f"link: {secs:.0f} s (process {j['seconds']:.0f} s), {j['peak_mib']:,.0f} MiB, F1 {m['F1']:.4f}", flush=True)
    t = j["result"]["timings"]
    split = ", ".join(f"{k} {t[k]:.0f}" for k in ("features", "model_inputs", "train", "predict", "explain", "cluster", "write")
                      if isinstance(t.get(k), (int, float)))
    reused = "; built by an earlier run of this script" if a.reuse else ""
    md = "\n".join([
        "## Linkage at 10 million person records", "",
        f"Code: joinedup at commit {code_version()}. One world of {people:,} people (seed 11, {forces} force areas: "
        "about 850k people a force, so postcodes are as crowded as at 1M), ingested, then `link_warehouse` in its own "
        "process. Target: at most 10 minutes, F1 ≥ 0.98 (no memory target is set at this size). The benchmark "
        "scripts run each step alone on the machine.", "",
        "| person records | step | seconds | peak MiB | F1 | P | R | B³ F1 | target |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
        f"| {n:,} | synth ({s['result']['total_rows']:,} rows, not counted{reused}) | {s['seconds']:.0f} | {s['peak_mib']:,.0f} | | | | | |",
        f"| {n:,} | ingest ({i['result']['rows_read']:,} rows, not counted{reused}) | {i['seconds']:.0f} | {i['peak_mib']:,.0f} | | | | | |",
        f"| {n:,} | **link** (`run_time_seconds`; process {j['seconds']:.0f} s) | **{secs:.0f}** | {j['peak_mib']:,.0f} | "
        f"{m['F1']:.4f} | {m['P']:.4f} | {m['R']:.4f} | {m['bF1']:.4f} | "
        f"{'met' if secs <= TARGET_SECONDS and m['F1'] >= 0.98 else '**not met**'} |",
        "", f"Time split (seconds): {split}; predict chunks {t.get('predict_chunks', 1):.0f}.",
    ])
    print(md)
    print(write_result("link-10m", md))
    if not a.keep and not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
