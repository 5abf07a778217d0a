"""Latency of the groups, justice and statistics pages' API routes, one request at a time, in process.

Usage: python benchmarks/bench_web_pages.py --db WAREHOUSE.duckdb [--requests 20] [--note "load ..."]
The warehouse must be linked with `joinedup network` and `joinedup justice` run on it. The app is built with
`create_app` and driven by FastAPI's TestClient (no sockets), signed in as an inquiry investigator (identified
rows: the most shaping work); `/api/health` is the baseline measured in the same run, so the ratio holds on a busy
machine. The first /api/statistics request makes the publication (joinedup.stats), timed on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

PASSWORD = "bench-password-123"
REASON = "?reason=benchmark of the web pages"


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    """Time each route and print (and save) a markdown section."""
    import duckdb
    import pyotp
    from fastapi.testclient import TestClient

    from joinedup.state import open_state
    from joinedup.state.accounts import add_user
    from joinedup.state.url import state_url
    from joinedup.web.app import create_app

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--note", default="", help="machine load to note beside the result")
    a = ap.parse_args()
    con = duckdb.connect(a.db, read_only=True)
    records = con.execute("SELECT count(*) FROM person_record").fetchone()[0]
    sizes = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
             for t in ("network_group", "network_member", "justice_downgrade", "justice_disregard", "justice_reopen")}
    con.close()

    state = str(Path(tempfile.mkdtemp(prefix="bench_pages_")) / "state.sqlite")
    user = add_user(open_state(state_url(state)), "bench", "inquiry", "NAT", PASSWORD)
    t0 = time.perf_counter()
    app = create_app(a.db, state, secret=os.urandom(32))
    start = time.perf_counter() - t0
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    import re

    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"csrf_token": tok, "name": "bench", "password": PASSWORD, "next": "/"})
    tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get(r.headers["location"]).text).group(1)
    c.post("/login/code", data={"csrf_token": tok, "code": pyotp.TOTP(user.totp_secret).now(), "next": "/"})

    t0 = time.perf_counter()
    assert c.get("/api/statistics").status_code == 200
    first_stats = time.perf_counter() - t0
    groups = c.get("/api/groups").json()["groups"]
    big = max(groups, key=lambda g: g["n_suspects"] + g["n_victims"] + g["n_associates"])["group_id"]
    routes = ["/api/health", "/api/groups", f"/api/groups/{big}{REASON}", f"/api/groups/{big}/network{REASON}",
              f"/api/justice/downgrades{REASON}", f"/api/justice/disregards{REASON}", f"/api/justice/reopen{REASON}",
              f"/api/justice/reopen.csv{REASON}", "/api/statistics", "/statistics/download/statistics.ods"]
    rows = []
    base = None
    for route in routes:
        xs = []
        for _ in range(a.requests):
            t0 = time.perf_counter()
            resp = c.get(route)
            xs.append(1000 * (time.perf_counter() - t0))
            assert resp.status_code == 200, (route, resp.status_code)
        p50, p95 = statistics.median(xs), _pct(xs, 95)
        base = base or p50
        rows.append(f"| `{route.split('?')[0]}` | {a.requests} | {p50:.1f} | {p95:.1f} | {p50 / base:.1f} |")
    md = f"""## Groups, justice and statistics pages (`benchmarks/bench_web_pages.py`)

One request at a time, in process (TestClient), signed in as an inquiry investigator (every row identified: the
most shaping work); `/api/health` is the baseline measured in the same run. Warehouse: {records:,} person records;
{sizes['network_group']} groups ({sizes['network_member']} memberships), {sizes['justice_downgrade']} downgrades,
{sizes['justice_disregard']} disregards, {sizes['justice_reopen']} cases to reopen (100 a page; the CSV has all).
App start {start:.1f} s; the first `/api/statistics` (makes the publication with joinedup.stats, no PDF)
{first_stats:.1f} s. {a.note}

| route | requests | p50 ms | p95 ms | p50 / health |
|---|---:|---:|---:|---:|
""" + "\n".join(rows)
    print(md)
    write_result("web_pages", md)


if __name__ == "__main__":
    main()
