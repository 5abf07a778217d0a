"""Deliveries over time at scale: a full snapshot with 1% of person records changed, and a delta touching 1%.

Usage: python benchmarks/bench_deliveries.py [--people 1351352] [--work DIR]
A world is made and ingested as the first delivery (2026-11-01). Person files that are CSV, TXT or
Parquet then get 1% of all person records changed (a forename) and 0.1% withdrawn: delivered as a
full snapshot (2026-12-01; every other file is the same bytes, skipped as already loaded), and,
for the same share of records, as a delta (2027-01-01) whose rows are only the changed records
plus deletion markers. XLSX person files are delivered unchanged. Targets at 1M person records:
the full snapshot compared and applied in <= 10 s, the delta applied and re-linked in <= 15 s
(`joinedup link` after each later delivery re-links only what changed; it is timed in its own process).
Writes benchmarks/results/deliveries.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

from common import forces_for, run_child, write_result

SYNTH = """
from pathlib import Path
from joinedup.synth import generate
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=11, forces=int(sys.argv[3]))
result = {k: v for k, v in s.items() if isinstance(v, (int, float, str))}
"""

INGEST = """
import datetime as dt
from pathlib import Path
from joinedup.ingest import ingest
maps = Path(sys.argv[4]) if sys.argv[4] else None
s = ingest(Path(sys.argv[1]), Path(sys.argv[2]), mappings_dir=maps, extract_date=dt.date.fromisoformat(sys.argv[3]))
result = {k: getattr(s, k) for k in ("rows_read", "rows_loaded", "rows_new", "rows_changed", "rows_unchanged",
          "rows_deleted", "rows_quarantined", "records_withdrawn", "files_loaded", "files_skipped", "balanced")}
import duckdb
c = duckdb.connect(sys.argv[2], read_only=True)
result["person_records"] = c.execute("select count(*) from person_record").fetchall()[0][0]
result["history"] = c.execute("select count(*) from person_record_history").fetchall()[0][0]
import resource as _r
_u = _r.getrusage(_r.RUSAGE_SELF)
result["cpu"] = _u.ru_utime + _u.ru_stime
"""

LINK = """
from joinedup.link import link_warehouse
r = link_warehouse(sys.argv[1], incremental=None if sys.argv[2] == "auto" else False)
result = {k: r.get(k) for k in ("mode", "why", "records", "new_records", "changed_records", "withdrawn_records", "persons")}
"""

# Build the second (full) and third (delta) deliveries from the first. Runs in a child so the
# parent stays light; not timed.
BUILD = """
import codecs, csv, io, random, shutil, yaml
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from joinedup.ingest.mapping import load_mappings, discover
from joinedup.ingest.readers import detect_encoding, csv_delimiter
src, full, delta, maps = (Path(a) for a in sys.argv[1:5])
files = discover(src, load_mappings())
people = [ef for ef in files if ef.spec.table == "person_record"]
total = 0
editable = []
for ef in people:
    if ef.path.suffix.lower() == ".parquet":
        t = pq.read_table(ef.path)
        n = t.num_rows
    elif ef.path.suffix.lower() == ".xlsx":
        from python_calamine import CalamineWorkbook
        n = len(CalamineWorkbook.from_path(str(ef.path)).get_sheet_by_index(0).to_python()) - 1
    else:
        enc = detect_encoding(ef.path, ef.mapping.encoding)
        enc = "utf-8" if enc.startswith("utf-8+") else enc
        n = sum(1 for _ in csv.reader(io.open(ef.path, encoding=enc, newline=""), delimiter=csv_delimiter(ef))) - 1
    total += n
    if ef.path.suffix.lower() != ".xlsx":
        editable.append((ef, n))
rng = random.Random(11)
slots = [(i, r) for i, (ef, n) in enumerate(editable) for r in range(n)]
pick = rng.sample(slots, min(len(slots), total // 100 + 2 * (total // 1000)))
change = {(i, r) for i, r in pick[: total // 100]}
drop = {(i, r) for i, r in pick[total // 100: total // 100 + total // 1000]}  # withdrawn by the full snapshot
gone = {(i, r) for i, r in pick[total // 100 + total // 1000:]}  # deleted by the delta
shutil.copytree(src, full)
for i, (ef, n) in enumerate(editable):
    col = ef.spec.fields["forename"].column
    key = ef.spec.fields["source_record_id"].column
    out_full = full / ef.source / ef.path.name
    out_delta = delta / ef.source / ef.path.name
    out_delta.parent.mkdir(parents=True, exist_ok=True)
    if ef.path.suffix.lower() == ".parquet":
        t = pq.read_table(ef.path).to_pylist()
        rows = [dict(r, **{col: (r[col] or "") + "X"}) if (i, j) in change else r for j, r in enumerate(t) if (i, j) not in drop]
        pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(ef.path)), out_full)
        d = [dict(r, **{col: (r[col] or "") + "Y", "Deleted": ""}) for j, r in enumerate(t) if (i, j) in change]
        d += [dict(r, Deleted="Y") for j, r in enumerate(t) if (i, j) in gone]
        pq.write_table(pa.Table.from_pylist(d), out_delta)
        continue
    enc = detect_encoding(ef.path, ef.mapping.encoding)
    enc = "utf-8" if enc.startswith("utf-8+") else enc
    if enc == "utf-8" and ef.path.read_bytes()[:3] == codecs.BOM_UTF8:
        enc = "utf-8-sig"
    delim = csv_delimiter(ef)
    table = list(csv.reader(io.open(ef.path, encoding=enc, newline=""), delimiter=delim))
    h, body = table[0], table[1:]
    c, k = h.index(col), h.index(key)
    keep, d = [h], [h + ["Deleted"]]
    for j, r in enumerate(body):
        if (i, j) in gone:
            d.append(r + ["Y"])
        if (i, j) in drop:
            continue
        if (i, j) in change:
            r = list(r); r[c] = r[c] + "X"
            d.append(r[:c] + [r[c] + "Y"] + r[c + 1:] + [""])
        keep.append(r)
    for path, rows in ((out_full, keep), (out_delta, d)):
        with io.open(path, "w", encoding=enc, newline="") as f:
            csv.writer(f, delimiter=delim, lineterminator="\\n").writerows(rows)
maps.mkdir(parents=True, exist_ok=True)
for m in {ef.mapping.path: ef.mapping for ef, _ in editable}.values():
    from importlib import resources
    doc = yaml.safe_load(resources.files("joinedup.ingest").joinpath(m.path).read_text(encoding="utf-8"))
    doc["delivery"] = "delta"
    doc["files"] = [dict(f, deleted={"column": "Deleted", "values": ["Y"]}) for f in doc["files"] if f["table"] == "person_record"]
    (maps / Path(m.path).name).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
result = {"person_records": total, "editable": len(slots), "changed": len(change), "withdrawn": len(drop), "deleted": len(gone)}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_351_352, help="people in the world (1,351,352 gives about 1M person records)")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--reuse", action="store_true", help="reuse the world and deliveries already built in --work")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="bench-deliveries-"))
    built = work / "built.json"
    if a.reuse and built.exists():
        s, b = json.loads(built.read_text())
        (work / "w.duckdb").unlink(missing_ok=True)
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        s = run_child(SYNTH, str(work / "world"), str(a.people), str(forces_for(a.people)))
        b = run_child(BUILD, str(work / "world" / "extracts"), str(work / "full"), str(work / "delta"), str(work / "maps"))
        built.write_text(json.dumps([s, b]))
    db = str(work / "w.duckdb")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    first = run_child(INGEST, str(work / "world" / "extracts"), db, "2026-11-01", "")
    run_child(LINK, db, "full")  # the first link (not timed): later deliveries re-link what changed
    full = run_child(INGEST, str(work / "full"), db, "2026-12-01", "")
    full_link = run_child(LINK, db, "auto")
    delta = run_child(INGEST, str(work / "delta"), db, "2027-01-01", str(work / "maps"))
    delta_link = run_child(LINK, db, "auto")
    n = first["result"]["person_records"]
    lines = [
        "## Deliveries over time",
        "",
        f"A world of {a.people:,} people (seed 11; {b['result']['person_records']:,} person records in its files, "
        f"{n:,} loaded) ingested as the first delivery; then {b['result']['changed']:,} person records changed "
        f"(1%) and {b['result']['withdrawn']:,} withdrawn (0.1%) in the CSV, TXT and Parquet person files, delivered "
        f"as a full snapshot; then the same records changed again and {b['result']['deleted']:,} others deleted, as a delta "
        "with a deletion marker. Wall seconds of one "
        "`ingest()` in a fresh process (start-up included); CPU seconds of that process (all threads). "
        f"Load average on the 2-core machine when the run began: {load:.1f} (shared with other work).",
        "",
        "| delivery | rows read | new | changed | unchanged | deletions | withdrawn | files skipped | seconds | CPU s | peak MiB | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, r, target in (("first (2026-11-01)", first, None), ("full snapshot, 1% changed (2026-12-01)", full, 10),
                             ("delta, 1% touched (2027-01-01)", delta, 15)):
        x = r["result"]
        met = "—" if target is None else (f"≤ {target} s: " + ("met" if r["seconds"] <= target else "NOT met"))
        if target is not None and n < 900_000:
            met = f"— (≤ {target} s at 1M)"
        lines.append(f"| {label} | {x['rows_read']:,} | {x['rows_new']:,} | {x['rows_changed']:,} | {x['rows_unchanged']:,} | "
                     f"{x['rows_deleted']:,} | {x['records_withdrawn']:,} | {x['files_skipped']} | {r['seconds']:.1f} | {x['cpu']:.1f} | "
                     f"{r['peak_mib']:,.0f} | {met} |")
    lines.append("")
    for label, r, apply, target in (("full snapshot", full_link, full, None), ("delta", delta_link, delta, 15)):
        x = r["result"]
        total = apply["seconds"] + r["seconds"]
        met = "" if target is None else f" (target ≤ {target} s applied and re-linked: {'met' if total <= target else 'NOT met'})"
        lines.append(f"`joinedup link` after the {label}: {x['mode']} ({x['why']}), {x['changed_records'] or 0:,} changed, "
                     f"{x['new_records'] or 0:,} new and {x['withdrawn_records'] or 0:,} withdrawn records, {r['seconds']:.1f} s, "
                     f"peak {r['peak_mib']:,.0f} MiB; applied and re-linked {total:.1f} s{met}.")
    lines.append("")
    lines.append(f"After the three deliveries: {delta['result']['person_records']:,} current person records, "
                 f"{delta['result']['history']:,} earlier versions in `person_record_history`; every delivery balanced: "
                 f"{all(r['result']['balanced'] for r in (first, full, delta))}. Synth {s['seconds']:.0f} s (not counted).")
    print(write_result("deliveries", "\n".join(lines)))
    if a.work is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        (work / "w.duckdb").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
