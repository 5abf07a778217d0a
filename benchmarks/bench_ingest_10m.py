"""Ingest at scale: the 10M-person-record world (about 30M rows of CSV, TXT and XLSX) in one run.

Usage: python benchmarks/bench_ingest_10m.py [--records 10000000] [--work DIR] [--reuse]
Builds the same world as bench_link_10m.py (seed 11, one force area per ~850k people; about 6 minutes),
then ingests it in a fresh process. --reuse ingests the world an earlier run left in --work.
Writes benchmarks/results/ingest-10m.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from bench_link import PEOPLE_PER_RECORD
from bench_link_10m import INGEST, SYNTH
from common import forces_for, run_child, write_result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true", help="ingest the world an earlier run left in --work")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="jd-bench-ingest-10m-"))
    work.mkdir(parents=True, exist_ok=True)
    people = math.ceil(a.records / PEOPLE_PER_RECORD)
    forces = forces_for(people)
    world, db, built = work / "world", work / "wh.duckdb", work / "synth.json"
    if a.reuse and built.exists():
        s = json.loads(built.read_text())
    else:
        shutil.rmtree(world, ignore_errors=True)
        s = run_child(SYNTH, str(world), str(people), str(forces))
        built.write_text(json.dumps(s))
    for f in work.glob("wh.duckdb*"):
        f.unlink()
    os.sync()  # the extracts just written are not flushed during the timed run
    i = run_child(INGEST, str(world), str(db))
    rows = i["result"]["rows_read"]
    print(f"ingest {rows:,} rows: {i['seconds']:.0f} s, {i['peak_mib']:,.0f} MiB", flush=True)
    lines = [
        "## Ingest at 10M person records",
        "",
        f"The world of bench_link_10m.py ({people:,} people, {forces} force areas, built in {s['seconds']:.0f} s with "
        f"{s['peak_mib']:,.0f} MiB peak), ingested in one run (one transaction) in a fresh process.",
        "",
        "| person records | rows | seconds | rows/s | peak MiB | balanced |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {i['result']['person_records']:,} | {rows:,} | {i['seconds']:.1f} | {rows / i['seconds']:,.0f} | "
        f"{i['peak_mib']:,.0f} | {i['result']['balanced']} |",
        "",
        "Peak memory grows with the batch: each file's standardised copy lives until the transaction ends.",
    ]
    print(write_result("ingest-10m", "\n".join(lines)))


if __name__ == "__main__":
    main()
