"""Synth and ingest throughput and peak memory at 100k and 1M people, beside a bare DuckDB read.

Usage: python benchmarks/bench_ingest.py [--sizes 100000 1000000] [--work DIR]
Writes benchmarks/results/ingest.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from common import run_child, write_result

SYNTH = """
from pathlib import Path
from joinedup.synth import generate
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=11, forces=int(sys.argv[3]))
result = {k: v for k, v in s.items() if isinstance(v, (int, float, str))}
"""

# CPU seconds (all threads, user + system) of the child process: on a shared machine wall time
# depends on what else runs, CPU time much less so.
CPU = """
import resource as _r
_u = _r.getrusage(_r.RUSAGE_SELF)
result["cpu"] = _u.ru_utime + _u.ru_stime
"""

INGEST = """
from pathlib import Path
from joinedup.ingest import ingest
maps = Path(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
s = ingest(Path(sys.argv[1]), Path(sys.argv[2]), mappings_dir=maps)
result = {"rows_read": s.rows_read, "rows_loaded": s.rows_loaded, "rows_quarantined": s.rows_quarantined,
          "balanced": s.balanced, "files": s.files_loaded}
""" + CPU

BARE = """
import duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[2])
n = 0
for i, p in enumerate(sorted(Path(sys.argv[1]).rglob('*'))):
    if p.suffix in ('.csv', '.txt'):
        src = f"read_csv('{p}', all_varchar=true, header=true, delim='{'|' if p.suffix == '.txt' else ','}', encoding='{'latin-1' if p.suffix == '.txt' else 'utf-8'}')"
    elif p.suffix == '.parquet':
        src = f"read_parquet('{p}')"
    else:
        continue
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM {src}")
    n += con.execute(f"SELECT count(*) FROM t{i}").fetchall()[0][0]
result = {"rows": n}
""" + CPU

TO_PARQUET = """
import duckdb, re
from importlib import resources
from pathlib import Path
from joinedup.ingest.mapping import discover, load_mappings
src, dst, maps = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
con = duckdb.connect()
n = 0
for ef in discover(src, load_mappings()):
    out = dst / ef.source / (ef.path.stem + '.parquet')
    out.parent.mkdir(parents=True, exist_ok=True)
    enc = 'latin-1' if ef.mapping.encoding.lower() in ('cp1252', 'latin-1', 'latin1') else 'utf-8'
    delim = ef.spec.delimiter
    con.execute(f"COPY (SELECT * FROM read_csv('{ef.path}', all_varchar=true, header=true, delim='{delim}', "
                f"encoding='{enc}')) TO '{out}' (FORMAT parquet)")
    n += 1
# the same mappings, claiming .parquet instead of .csv/.txt
maps.mkdir(parents=True, exist_ok=True)
for e in resources.files('joinedup.ingest').joinpath('mappings').iterdir():
    if e.name.endswith('.yaml'):
        (maps / e.name).write_text(re.sub(r"\\.(csv|txt)\\b", ".parquet", e.read_text()))
result = {"files": n}
"""


def only(ext_dir: Path, dst: Path, suffixes: tuple[str, ...]) -> Path:
    """A copy (hard links) of the extracts holding only files with these suffixes."""
    for p in ext_dir.rglob("*"):
        if p.is_file() and p.suffix in suffixes:
            out = dst / p.parent.name / p.name
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                out.hardlink_to(p)
            except OSError:
                shutil.copy(p, out)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--forces", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=5, help="bare/ingest pairs per format; the median ratio is reported")
    a = ap.parse_args()
    load = os.getloadavg()[0]
    work = a.work or Path(tempfile.mkdtemp(prefix="jd-bench-"))
    lines = [
        "## Synth and ingest",
        "",
        "Each step runs in its own process (peak memory = that process's maximum RSS). *Bare DuckDB* reads the "
        "same files into tables with every column as text and no standardisation: the engine's floor. "
        "Ratio = joinedup seconds / bare seconds for the same files in the same run. Ingest and bare run "
        f"as {a.repeats} alternating pairs per format: seconds and rows/s are the median ingest run (CPU "
        "seconds, all threads, of that run; peak memory the largest of all runs), the ratio is that of the pair "
        "with the median ratio. Every run starts after `sync`, so no run pays for writing back the last one's files.",
        "",
        "| people | step | rows | seconds | rows/s | CPU s | peak MiB | vs bare DuckDB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n in a.sizes:
        d = work / f"p{n}"
        shutil.rmtree(d, ignore_errors=True)
        s = run_child(SYNTH, str(d / "world"), str(n), str(a.forces))
        recs = s["result"].get("total_rows", 0)
        persons = s["result"].get("person_records", 0)
        lines.append(f"| {n:,} | synth (all extracts; {persons:,} person records) | {recs:,} | {s['seconds']:.1f} | "
                     f"{recs / s['seconds']:,.0f} | | {s['peak_mib']:,.0f} | |")
        ext = d / "world" / "extracts"
        csv_dir = only(ext, d / "csv", (".csv", ".txt"))
        xlsx_dir = only(ext, d / "xlsx", (".xlsx",))
        pq = run_child(TO_PARQUET, str(csv_dir), str(d / "parquet"), str(d / "pqmaps"))
        # Every timed step starts with nothing left for the kernel to write back (synth has just
        # written the extracts, each run a warehouse): that flushing would land in the next timing.
        os.sync()
        for label, folder, maps in (("CSV", csv_dir, ""), ("Parquet", d / "parquet", str(d / "pqmaps"))):
            pairs = []
            for _ in range(max(1, a.repeats)):
                for f in d.glob(f"*{label}.duckdb*"):
                    f.unlink()
                bare = run_child(BARE, str(folder), str(d / f"bare-{label}.duckdb"))
                os.sync()
                r = run_child(INGEST, str(folder), str(d / f"{label}.duckdb"), maps)
                os.sync()
                pairs.append((r["seconds"] / bare["seconds"], r, bare))
                print(f"{label}: ingest {r['seconds']:.2f} s, bare {bare['seconds']:.2f} s", flush=True)
            ratio, _, bare = sorted(pairs, key=lambda p: p[0])[len(pairs) // 2]
            r = sorted((p[1] for p in pairs), key=lambda x: x["seconds"])[len(pairs) // 2]  # median ingest run
            rows = r["result"]["rows_read"]
            lines.append(
                f"| {n:,} | ingest {label} | {rows:,} | {r['seconds']:.2f} | {rows / r['seconds']:,.0f} | "
                f"{r['result']['cpu']:.1f} | {max(p[1]['peak_mib'] for p in pairs):,.0f} | "
                f"{ratio:.2f}x (bare {bare['seconds']:.2f} s = {bare['result']['rows'] / bare['seconds']:,.0f} rows/s, "
                f"CPU {bare['result']['cpu']:.1f} s; ratios {', '.join(f'{p[0]:.2f}' for p in pairs)}; "
                f"ingest runs {', '.join(format(p[1]['seconds'], '.2f') for p in pairs)} s) |"
            )
        if any(xlsx_dir.rglob("*.xlsx")):
            r = run_child(INGEST, str(xlsx_dir), str(d / "xlsx.duckdb"), "")
            rows = r["result"]["rows_read"]
            lines.append(
                f"| {n:,} | ingest XLSX | {rows:,} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | "
                f"{r['result']['cpu']:.1f} | {r['peak_mib']:,.0f} | |"
            )
        assert pq["result"]["files"] > 0
        print("\n".join(lines), flush=True)
        shutil.rmtree(d, ignore_errors=True)
    lines += ["", f"_Load average when the run began: {load:.1f} (other work on the machine; 0 = quiet)._"]
    print(write_result("ingest", "\n".join(lines)))


if __name__ == "__main__":
    main()
