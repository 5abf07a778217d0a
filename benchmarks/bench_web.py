"""Web latency: p50/p95 of the search page and the person page with N concurrent signed-in users on loopback.

Usage: python benchmarks/bench_web.py [--db LINKED.duckdb | --people 1351352 --work DIR] [--users 20] [--per-user 30]
                                      [--seconds 300] [--think 0] [--baseline-users 1]
                                      [--workers 1] [--client httpx|asyncio] [--client-processes 1]
Without --db, a synthetic world of --people people (seed 11, as bench_link's 1M world: ~1M person records) is
generated, ingested and linked into --work once, and reused by later runs (DIR/DONE marks it complete).
The server runs as `joinedup serve` in a child process; clients are threads (httpx), or with --client asyncio
coroutines on raw asyncio streams in --client-processes forked processes (lighter: the clients then take less of
the cores the server shares), each signed in as a national analyst, alternating a search (forename, surname, date of
birth of a random record) and a random person's page; latency is a request written to its response read in full.
Each run first measures --baseline-users users (default 1) against the same server, then --users users, so the
ratio of the two is measured under the same machine load. Loops are bounded by count and by time; traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, forces_for, run_child, write_result  # noqa: E402

PASSWORD = "bench-password-123"
BUILD = """
import time
from pathlib import Path
from joinedup.synth import generate
from joinedup.ingest import ingest
from joinedup.link import link_warehouse
d, people = Path(sys.argv[1]), int(sys.argv[2])
t = time.perf_counter()
s = generate(d / 'world', people=people, seed=11, forces=int(sys.argv[3]))
ingest(d / 'world' / 'extracts', d / 'linked.duckdb')
link_warehouse(str(d / 'linked.duckdb'))
(d / 'DONE').write_text('ok')
result = {'seconds': time.perf_counter() - t}
"""


def linked_world(work: Path, people: int) -> Path:
    """The linked warehouse of a seed-11 world of this many people in work/, built once and reused."""
    if not (work / "DONE").exists():
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"building a {people:,}-person world in {work} (generate, ingest, link) ...", flush=True)
        run_child(BUILD, str(work), str(people), str(forces_for(people)))
    return work / "linked.duckdb"


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the server process and its worker processes (Linux /proc)."""
    def own(p: str) -> tuple[int, float]:
        f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return int(f[1]), (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    total = own(str(pid))[1]
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid, cpu = own(d.name)
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                total += cpu
    return total


def load() -> str:
    """The load averages (1, 5, 15 minutes) now."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


async def _exchange(conn: list, port: int, method: str, target: str, cookies: dict[str, str],
                    body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request on the user's kept-alive connection (conn: [reader, writer] or empty, reopened when the
    server closes it); Set-Cookie headers update cookies. Returns the status and the body."""
    import asyncio

    head = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/html"]
    if cookies:
        head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if method == "POST":
        head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    for fresh in (False, True):  # a kept-alive connection the server closed while idle is opened again, once
        if not conn:
            conn.extend(await asyncio.open_connection("127.0.0.1", port))
            fresh = True
        reader, writer = conn
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await writer.drain()
            first = await reader.readline()
        except ConnectionError:
            first = b""
        if first or fresh:
            break
        writer.close()
        conn.clear()
    status = int(first.split()[1])
    length, chunked, close = 0, False, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        k, _, v = line.decode("latin-1").partition(":")
        k, v = k.strip().lower(), v.strip()
        if k == "content-length":
            length = int(v)
        elif k == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
        elif k == "connection" and v.lower() == "close":
            close = True
        elif k == "set-cookie":
            name, _, val = v.split(";", 1)[0].partition("=")
            cookies[name.strip()] = val.strip()
    if chunked:
        parts = []
        while (size := int((await reader.readline()).split(b";")[0], 16)):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        data = b"".join(parts)
    else:
        data = await reader.readexactly(length) if length else b""
    if close:
        writer.close()
        conn.clear()
    return status, data


async def _async_users(port: int, ids: list[int], barrier, a, queries: list, pids: list, deadline: float) -> tuple:
    """This process's users as coroutines: sign in, wait for every process, then the same alternation of pages as
    the httpx clients (same per-user random streams)."""
    import asyncio
    from urllib.parse import urlencode

    lat: dict[str, list[float]] = {"search": [], "person": []}
    errors: list[str] = []
    sessions = {}

    async def sign_in(i: int) -> None:
        conn: list = []
        cookies: dict[str, str] = {}
        _, page = await _exchange(conn, port, "GET", "/login", cookies)
        tok = re.search(r'name="csrf_token" value="([^"]+)"', page.decode()).group(1)
        await _exchange(conn, port, "POST", "/login", cookies, urlencode(
            {"csrf_token": tok, "name": f"bench{i}", "password": PASSWORD, "next": "/"}).encode())
        sessions[i] = (conn, cookies)

    async def user(i: int) -> None:
        r = random.Random(i)
        conn, cookies = sessions[i]
        for n in range(a.per_user):
            if time.monotonic() > deadline:
                break
            if n % 2 == 0:
                f, s_, d = r.choice(queries)
                kind, url = "search", "/search?" + urlencode({"forename": f, "surname": s_, "dob": d})
            else:
                kind, url = "person", f"/persons/{r.choice(pids)}"
            if a.think:
                await asyncio.sleep(r.uniform(0.5, 1.5) * a.think)
            t = time.perf_counter()
            status, _ = await _exchange(conn, port, "GET", url, cookies)
            ms = 1000 * (time.perf_counter() - t)
            if status == 200:
                lat[kind].append(ms)
            else:
                errors.append(f"{kind} {status}")
        if conn:
            conn[1].close()

    await asyncio.gather(*(sign_in(i) for i in ids))
    await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
    await asyncio.gather(*(user(i) for i in ids))
    return lat, errors


def main() -> None:
    """Run the benchmark and print (and save) a markdown section."""
    import duckdb
    import httpx

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="a linked warehouse (default: build or reuse one with --people in --work)")
    ap.add_argument("--people", type=int, default=1_351_352, help="people in the world to build (~1M person records)")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "joinedup-bench-web")
    ap.add_argument("--baseline-users", type=int, default=1, help="users in the baseline pass (0: none)")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--per-user", type=int, default=30, help="requests per user (half search, half person page)")
    ap.add_argument("--seconds", type=float, default=300, help="stop every loop after this long in any case")
    ap.add_argument("--think", type=float, default=0.0, help="mean seconds a user waits between requests (0: none)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--note", default="", help="machine load to note beside the result")
    ap.add_argument("--client-processes", type=int, default=1,
                    help="client processes the users' threads are spread over (1: all in this process; one process's "
                         "lock then serialises 20 clients' own work, which the latencies include)")
    ap.add_argument("--client", choices=("httpx", "asyncio"), default="httpx",
                    help="httpx: a thread per user with an httpx client; asyncio: each client process (--client-processes) "
                         "runs its users as coroutines on raw asyncio streams (HTTP/1.1 keep-alive, the session's "
                         "cookies), far less client CPU on a machine whose cores the server shares")
    a = ap.parse_args()
    a.db = a.db or str(linked_world(a.work, a.people))

    con = duckdb.connect(a.db, read_only=True)
    records = con.execute("SELECT count(*) FROM person_record").fetchone()[0]
    persons = con.execute("SELECT count(DISTINCT person_id) FROM link_person").fetchone()[0]
    rng = random.Random(15)
    queries = con.execute("""SELECT forename, surname, strftime(dob, '%Y-%m-%d') FROM person_record
                             WHERE forename IS NOT NULL AND surname IS NOT NULL AND dob IS NOT NULL
                             USING SAMPLE 2000 ROWS""").fetchall()
    pids = [r[0] for r in con.execute("SELECT DISTINCT person_id FROM link_person USING SAMPLE 2000 ROWS").fetchall()]
    con.close()

    tmp = Path(tempfile.mkdtemp(prefix="bench_web_"))
    state = str(tmp / "state.sqlite")
    env = os.environ | {"PYTHONPATH": str(ROOT / "src")}
    for i in range(a.users):
        subprocess.run([sys.executable, "-m", "joinedup.cli", "users", "add", f"bench{i}", "--role", "analyst", "--org", "NAT",
                        "--password-stdin", "--state", state], input=PASSWORD + "\n", text=True, check=True, env=env,
                       capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    srv = subprocess.Popen([sys.executable, "-m", "joinedup.cli", "serve", "--db", a.db, "--state", state, "--port", str(port),
                            "--workers", str(a.workers), "--insecure-cookies"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    lock = threading.Lock()

    def phase(users: int) -> dict:
        """users signed-in clients at once, each a loop of requests; latencies by page, errors, wall time, load."""
        lat: dict[str, list[float]] = {"search": [], "person": []}
        errors: list[str] = []
        deadline = time.monotonic() + a.seconds
        cpu0: list[float] = []
        # the server's CPU counted from when every user has signed in (Argon2 is meant to be slow)
        barrier = threading.Barrier(users, action=lambda: cpu0.append(server_cpu(srv.pid)))

        def user(i: int) -> None:
            r = random.Random(i)
            with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as c:
                page = c.get("/login")
                tok = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
                c.post("/login", data={"csrf_token": tok, "name": f"bench{i}", "password": PASSWORD, "next": "/"})
                barrier.wait()
                for n in range(a.per_user):
                    if time.monotonic() > deadline:
                        break
                    if n % 2 == 0:
                        f, s_, d = r.choice(queries)
                        kind, url, params = "search", "/search", {"forename": f, "surname": s_, "dob": d}
                    else:
                        kind, url, params = "person", f"/persons/{r.choice(pids)}", None
                    if a.think:
                        time.sleep(r.uniform(0.5, 1.5) * a.think)
                    t = time.perf_counter()
                    resp = c.get(url, params=params)
                    ms = 1000 * (time.perf_counter() - t)
                    with lock:
                        if resp.status_code == 200:
                            lat[kind].append(ms)
                        else:
                            errors.append(f"{kind} {resp.status_code}")

        load0 = load()
        t1 = time.perf_counter()
        procs = max(1, min(a.client_processes, users))
        def forked(parties: int, work) -> None:  # noqa: ANN001 - work(ids, gate) -> (latencies, errors)
            """Run work for each forked client process's share of the users; gather what they measured. The server's
            CPU is counted from when `parties` have passed the gate (every user signed in)."""
            import multiprocessing as mp

            ctx = mp.get_context("fork")
            cpu_at = ctx.Value("d", -1.0)
            gate = ctx.Barrier(parties, action=lambda: setattr(cpu_at, "value", server_cpu(srv.pid)))
            out = ctx.Queue()
            ps = [ctx.Process(target=lambda ids: out.put(work(ids, gate)),
                              args=([i for i in range(users) if i % procs == k],)) for k in range(procs)]
            for pr in ps:
                pr.start()
            for _ in ps:
                got_lat, got_err = out.get()
                for k in lat:
                    lat[k].extend(got_lat[k])
                errors.extend(got_err)
            for pr in ps:
                pr.join()
            cpu0.append(cpu_at.value)

        def threads(ids: list[int]) -> None:
            ts = [threading.Thread(target=user, args=(i,)) for i in ids]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        def threads_in_child(ids: list[int], gate) -> tuple:  # noqa: ANN001 - a multiprocessing barrier
            nonlocal barrier
            barrier = gate  # every user of every process waits at the same gate
            threads(ids)
            return lat, errors

        if a.client == "asyncio":  # forked processes, each an event loop with its share of the users
            import asyncio

            forked(procs, lambda ids, gate: asyncio.run(_async_users(port, ids, gate, a, queries, pids, deadline)))
        elif procs == 1:
            threads(list(range(users)))
        else:  # forked client processes, each with threads for its share of the users; results come back by queue
            forked(users, threads_in_child)
        n = len(lat["search"]) + len(lat["person"]) + len(errors)
        return {"users": users, "lat": lat, "errors": errors, "wall": time.perf_counter() - t1,
                "load": f"{load0} before, {load()} after",
                "cpu_ms": 1000 * (server_cpu(srv.pid) - cpu0[0]) / max(n, 1)}

    try:
        for _ in range(1200):
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.25)
        start_s = time.perf_counter() - t0
        phase(min(a.users, 2))  # warm-up: first requests pay for imports and template compilation
        runs = ([phase(a.baseline_users)] if a.baseline_users else []) + [phase(a.users)]
    finally:
        srv.terminate()
        srv.wait(30)

    rows, notes = [], []
    p95s: dict[tuple[int, str], float] = {}
    for run in runs:
        for kind in ("search", "person"):
            xs = run["lat"][kind]
            p95 = _pct(xs, 95)
            p95s[(run["users"], kind)] = p95
            rows.append(f"| {records:,} | {persons:,} | {run['users']} | {a.think:g} | {a.workers} | {kind} | {len(xs)} | "
                        f"{statistics.median(xs):.0f} | {p95:.0f} | {max(xs):.0f} | {'met' if p95 < 200 else 'not met'} |")
        done = len(run["lat"]["search"]) + len(run["lat"]["person"])
        notes.append(f"{run['users']} user(s): {done / run['wall']:.1f} requests/s, server CPU {run['cpu_ms']:.1f} ms a request, "
                     f"{len(run['errors'])} non-200 answers, load average (1, 5, 15 min) {run['load']}")
    ratio = ""
    if a.baseline_users:
        b_, n_ = a.baseline_users, a.users
        ratio = (f" Same-run ratio of p95 at {n_} users to p95 at {b_}: search "
                 f"{p95s[(n_, 'search')] / p95s[(b_, 'search')]:.1f}x, person page {p95s[(n_, 'person')] / p95s[(b_, 'person')]:.1f}x.")
    md = "\n".join([
        "### Web application latency (`benchmarks/bench_web.py`)",
        "",
        f"Signed-in national analysts on loopback, each alternating the search page (forename, "
        "surname and date of birth of a random record, scored by the linkage model) and a random person's page "
        f"(linked records and why they were linked); {a.per_user} requests per user, bounded by {a.seconds:.0f} s; "
        "*think*: mean pause between a user's requests (0 = back to back). `joinedup serve` (uvicorn) runs on the same "
        "2 cores as the clients. Target: p95 < 200 ms at 1M persons with 20 users.",
        "",
        "| person records | persons | users | think s | workers | page | requests | p50 ms | p95 ms | max ms | p95 < 200 ms |",
        "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|",
        *rows,
        "",
        f"Server start {start_s:.1f} s (the in-memory search index and lookups built). Clients: "
        + (f"asyncio streams (coroutines) in {a.client_processes} forked process(es). " if a.client == "asyncio" else
           f"httpx, threads in {a.client_processes} process(es). ") + "; ".join(notes) + "." + ratio
        + (f" {a.note}." if a.note else ""),
    ])
    print(md)
    write_result(f"web-runs-{records}-{a.users}u-{a.think:g}s-{a.workers}w"
                 + (f"-{a.client_processes}c" if a.client_processes > 1 else "")
                 + ("-asyncio" if a.client == "asyncio" else ""), md)  # after web.md, the summary


if __name__ == "__main__":
    main()
