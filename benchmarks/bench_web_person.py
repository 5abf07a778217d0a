"""The person page's later-stage sections and the risk queue, timed in process, one request at a time.

Usage: python benchmarks/bench_web_person.py --db W.duckdb [--persons 80] [--note "load 10"]
W.duckdb: a linked warehouse on which `joinedup network` and `joinedup risk` have run (a copy: nothing is written).
The baseline, measured in the same run, is the person page's data before these sections (`Warehouse.person`).
Writes benchmarks/results/web-person.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))
from common import RESULTS, machine  # noqa: E402


def _row(name: str, xs: list[float]) -> str:
    xs = sorted(xs)
    return f"| {name} | {len(xs)} | {1000 * statistics.median(xs):.0f} | {1000 * xs[int(0.95 * (len(xs) - 1))]:.0f} |"


def main() -> None:
    """Time the sections and pages; write the results table."""
    from web_support import make_web

    from joinedup.web.access import Principal

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--persons", type=int, default=80)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        web = make_web(Path(a.db), str(Path(d) / "state.sqlite"))
        start = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        wh = web.app.state.warehouse
        n_rec = wh.count("person_record")
        half = a.persons // 2
        pids = [r[0] for r in wh.cur().execute(f"SELECT person_id FROM risk_queue USING SAMPLE {half} ROWS (reservoir, 7)").fetchall()]
        pids += [r[0] for r in wh.cur().execute(f"SELECT person_a FROM network_edge USING SAMPLE {a.persons - half} ROWS (reservoir, 7)").fetchall()]
        p = Principal(1, "ana", "analyst", "NAT")
        c = web.login("ana")
        c.get(f"/persons/{pids[0]}")  # warm the templates
        t: dict[str, list[float]] = {}

        def tm(name: str, f) -> None:
            s = time.perf_counter()
            f()
            t.setdefault(name, []).append(time.perf_counter() - s)

        for pid in pids:
            tm("baseline: the person's records and why linked (`Warehouse.person`, before this work)", lambda: wh.person(p, pid))
            tm("person page `/persons/{id}` with chronology, risk, network, decisions", lambda: c.get(f"/persons/{pid}"))
            tm("`/api/persons/{id}` (the same data as JSON)", lambda: c.get(f"/api/persons/{pid}"))
            tm("`/api/persons/{id}/chronology` (every entry)", lambda: c.get(f"/api/persons/{pid}/chronology"))
        for _ in range(10):
            tm("risk queue `/risk`, first page of 25", lambda: c.get("/risk"))
            tm("`/api/risk`, first page of 25", lambda: c.get("/api/risk"))
        load = os.getloadavg()
    base = statistics.median(t[next(iter(t))])
    page = statistics.median(t["person page `/persons/{id}` with chronology, risk, network, decisions"])
    lines = [
        "## Person page sections and risk queue (`benchmarks/bench_web_person.py`)", "",
        f"In process (FastAPI TestClient), one request at a time, as a national analyst; {len(pids)} persons (half from the",
        f"risk queue, half with a network tie) of a warehouse of {n_rec:,} person records on which the network and risk",
        f"stages had run. Server start-up {start:.1f} s, peak resident memory {rss:,} MiB (the in-memory indexed copies).",
        f"Load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {machine()}. {a.note}", "",
        "| step | n | p50 ms | p95 ms |", "|---|---:|---:|---:|",
        *[_row(k, v) for k, v in t.items()], "",
        f"Ratio of the person page (p50) to the baseline measured in the same run: {page / base:.1f}x.", ""]
    out = RESULTS / "web-person.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
