"""National statistics at 1M person records: every table and file of `joinedup stats`, beside a bare DuckDB count.

Usage: python benchmarks/bench_stats.py [--records 1000000] [--work DIR] [--keep] [--reuse DIR]
Builds a synthetic world of about that many person records (synth + ingest + link, not counted), then
times `run_stats` in a fresh process. --reuse DIR takes a world built before (DIR/w.duckdb and DIR/built.json
with records, persons, crimes, people and build_seconds) instead of building one. The baseline is one bare GROUP BY over person_record (the least
any completeness table can cost). Writes benchmarks/results/stats.md (see benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from common import forces_for, run_child, write_result

BUILD = """
from pathlib import Path
from joinedup.synth import generate
from joinedup.ingest import ingest
from joinedup.link import link_warehouse
w = Path(sys.argv[1])
generate(w / "w", people=int(sys.argv[2]), seed=11, forces=int(sys.argv[3]))
ingest(w / "w" / "extracts", w / "w.duckdb")
link_warehouse(str(w / "w.duckdb"))
import duckdb
con = duckdb.connect(str(w / "w.duckdb"), read_only=True)
result = {"records": con.execute("SELECT count(*) FROM person_record").fetchone()[0],
          "persons": con.execute("SELECT count(DISTINCT person_id) FROM link_person").fetchone()[0],
          "crimes": con.execute("SELECT count(*) FROM crime").fetchone()[0]}
"""

STATS = """
from joinedup.stats import run_stats
s = run_stats(sys.argv[1], sys.argv[2], pdf=sys.argv[3] == "1")
result = {"run": s["run_time_seconds"], "steps": s["step_seconds"], "tables": len(s["tables"]),
          "suppressed": s["suppressed_cells"], "rounds": s.get("suppression_rounds", 1)}
"""

BASELINE = """
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT org_code, ethnicity_self IS NULL, ethnicity_self, count(*) FROM person_record GROUP BY ALL").fetchall()
result = {}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", default=None)
    a = ap.parse_args()
    work = Path(a.reuse or a.work or tempfile.mkdtemp(prefix="bench_stats_"))
    work.mkdir(parents=True, exist_ok=True)
    people = math.ceil(a.records / 0.745)  # about 0.745 person records per person (synth)
    load = [os.getloadavg()[0]]
    try:
        if a.reuse:
            b = json.loads((work / "built.json").read_text())
            built, people = {"result": b, "seconds": b["build_seconds"]}, b["people"]
        else:
            built = run_child(BUILD, str(work), str(people), str(forces_for(people)))
        db = str(work / "w.duckdb")
        base = run_child(BASELINE, db)
        full = run_child(STATS, db, str(work / "pub"), "1")
        nopdf = run_child(STATS, db, str(work / "pub2"), "0")
        load.append(os.getloadavg()[0])
    finally:
        if not a.keep and not a.reuse:
            shutil.rmtree(work, ignore_errors=True)
    b = built["result"]
    target = "met" if full["seconds"] <= 60 else "NOT met"
    st = full["result"]["steps"]
    md = f"""## National statistics (`joinedup stats`)

Synthetic world of {people:,} people (seed 11) built, ingested and linked first (not counted:
{built['seconds']:.0f} s). Timed: `run_stats` in a fresh process, every table and every file (ODS, {full['result']['tables']} CSVs,
HTML with 3 PNG charts, PDF). Target: all tables and files for 1M person records in at most 60 s.

| person records | persons | crimes | step | wall s | peak MiB | target |
|---:|---:|---:|---|---:|---:|---|
| {b['records']:,} | {b['persons']:,} | {b['crimes']:,} | `joinedup stats` (all files) | {full['seconds']:.1f} | {full['peak_mib']:,.0f} | {target} |
| {b['records']:,} | | | `joinedup stats --no-pdf` | {nopdf['seconds']:.1f} | {nopdf['peak_mib']:,.0f} | |
| {b['records']:,} | | | baseline: one bare GROUP BY of person_record | {base['seconds']:.1f} | {base['peak_mib']:,.0f} | |

Steps (s): prepare {st.get('prepare', 0):.1f}, tables and suppression {st.get('tables', 0):.1f}, ODS and CSV
{st.get('ods_csv', 0):.1f}, charts and HTML {st.get('charts_html', 0):.1f}, PDF {st.get('pdf', 0):.1f};
{full['result']['suppressed']:,} cells suppressed (symbols `[c]` in every column) after
{full['result'].get('rounds', 1)} rounds of joint suppression. Ratio to the bare GROUP BY baseline in the same run:
{full['seconds'] / max(base['seconds'], 1e-9):.0f}x. Load average (1 min) on 2 cores: {load[0]:.1f} before,
{load[-1]:.1f} after.
"""
    print(md)
    write_result("stats", md)


if __name__ == "__main__":
    main()
