"""Network accuracy against truth (linkage on and off) and speed at 1M and 10M person records.

Usage: python benchmarks/bench_network.py [--accuracy-people 20000] [--profiles default,enriched]
       [--realistic-people 200000] [--records 1000000] [--records-10m 10000000]
       [--phases acc,realistic,1m,10m] [--build-only] [--work DIR] [--keep] [--reuse]

Phases (each one's figures are saved as JSON in --work, so phases run in separate invocations with the same
--work --keep are written to one page; --phases "" only writes the page from what is saved):
- acc: a world of --accuracy-people (seed 99, as the acceptance check) per synth profile, ingested and linked;
  `run_network` with linkage on and off. Membership pairwise P/R/F1 and adjusted Rand index against
  truth/groups.csv, overall and for suspects and victims separately; cross-force groups found as one; first
  detectable against first charged; the oracle ceiling.
- realistic: the realistic profile at --realistic-people (seed 99; about one group per 6,000 people, so 20k
  would hold only ~3 groups), linkage on.
- 1m: a world of about --records person records (default profile, seed 11), ingested and linked (not timed);
  `run_network` in its own process: seconds, peak RSS, accuracy.
- 10m: a world of about --records-10m person records (seed 11) synthesised, ingested and linked, each step in
  its own process (timed, not counted; ~25 GB of disk in --work; --build-only stops here, and --reuse resumes
  from the last finished step), then `run_network` in its own process: seconds and peak RSS (target at most 10
  minutes and under 16 GB), and accuracy scored in DuckDB (which spills to disk).

The machine is shared, so every timed step is preceded by a fixed CPU baseline (a Python loop and a DuckDB
aggregate) and the page gives each time as a ratio to it, with the load average before and after.
The oracle ceiling: each true group split into the pieces joined by network_edge rows between its own members,
everyone else alone: the best any method could do with these edges.

Writes benchmarks/results/network.md (collected into docs/benchmarks.md by benchmarks/run.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import forces_for, run_child, write_result

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
PEOPLE_PER_RECORD = 0.74
TARGET_F1, TARGET_SECONDS, TARGET_SECONDS_10M, TARGET_MIB_10M = 0.95, 60.0, 600.0, 16 * 1024

WORLD = """
from pathlib import Path
from joinedup.synth import generate
from joinedup.ingest import ingest
from joinedup.link import link_warehouse
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=int(sys.argv[3]), forces=int(sys.argv[5]),
             profile=sys.argv[6] if len(sys.argv) > 6 else 'default')
ingest(Path(sys.argv[1]) / 'extracts', Path(sys.argv[4]))
link_warehouse(sys.argv[4])
result = {'person_records': s['person_records']}
"""

NETWORK = """
from joinedup.network.core import run_network
result = run_network(sys.argv[1], linkage=sys.argv[2] == '1')
result.pop('top_groups', None)
"""

SCORE = """
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import duckdb
from joinedup.network.evaluate import adjusted_rand, pairwise_prf
world, db, python_too = Path(sys.argv[1]), sys.argv[2], sys.argv[4] == '1'
result = {}
if python_too:  # the tests' scorer (tests/network/truth.py): Python dicts, fine up to ~1M records
    from tests.network.truth import cross_force, score
    result['py_score'] = score(world, Path(db))
    result['py_cross_force'] = cross_force(world, Path(db))
# The same measures in DuckDB, which spills to disk rather than holding 10M truth rows in Python dicts.
con = duckdb.connect()
con.execute("SET memory_limit = '6GB'")
con.execute(f"SET temp_directory = '{db}.score_tmp'")
con.execute(f"ATTACH '{db}' AS w (READ_ONLY)")
q = lambda sql: con.execute(sql).fetchall()
con.execute(f"CREATE TEMP TABLE rec AS SELECT * FROM read_csv('{world}/truth/records.csv', all_varchar = true)")
# groups.csv in file order: a person in two true groups counts in the last one (as the Python scorer's dict does)
con.execute(f'''CREATE TEMP TABLE tg AS SELECT *, row_number() OVER () AS rn
    FROM read_csv('{world}/truth/groups.csv', all_varchar = true)''')
linkage = q("SELECT linkage FROM w.network_run ORDER BY finished_at DESC LIMIT 1")[0][0]
pairs = ("SELECT source, source_record_id, person_id FROM w.link_person" if linkage else
         "SELECT source, source_record_id, 'R:' || source || ':' || source_record_id AS person_id FROM w.person_record")
# each found person stands for the true person most of its records belong to
con.execute(f'''CREATE TEMP TABLE ptrue AS SELECT person_id, arg_max(true_person_id, n) AS t FROM (
    SELECT p.person_id, r.true_person_id, count(*) AS n FROM ({pairs}) p
    JOIN rec r USING (source, source_record_id) GROUP BY ALL) GROUP BY person_id''')
con.execute('''CREATE TEMP TABLE truth AS SELECT true_person_id AS t, arg_max(true_group_id, rn) AS g,
    arg_max(role, rn) AS role FROM tg WHERE true_person_id IN (SELECT true_person_id FROM rec) GROUP BY 1''')
# a person in two found groups counts in the last in export order (MEMBER_ORDER); unfound members are alone
con.execute('''CREATE TEMP TABLE pred AS SELECT t.t, coalesce(f.g, '__alone__' || t.t) AS g FROM truth t LEFT JOIN (
    SELECT pt.t, arg_max(m.group_id, m.o) AS g FROM (SELECT m.person_id, m.group_id, row_number() OVER (ORDER BY
    g.last_seen NULLS FIRST, g.first_seen NULLS FIRST, m.group_id, m.role, m.person_id) AS o
    FROM w.network_member m JOIN w.network_group g USING (group_id)) m JOIN ptrue pt USING (person_id) GROUP BY 1
    ) f USING (t)''')
def prf_ari(where):
    a, b, ab, n = q(f'''WITH x AS (SELECT p.g AS pg, t.g AS tg FROM pred p JOIN truth t USING (t) WHERE {where})
        SELECT (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM x GROUP BY pg)),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM x GROUP BY tg)),
               (SELECT coalesce(sum(c * (c - 1) / 2), 0) FROM (SELECT count(*) c FROM x GROUP BY pg, tg)),
               (SELECT count(*) FROM x)''')[0]
    a, b, ab = float(a), float(b), float(ab)
    p = ab / a if a else 1.0
    r = ab / b if b else 1.0
    pairs_n = n * (n - 1) / 2
    exp = a * b / pairs_n if pairs_n else 0.0
    top = (a + b) / 2
    ari = 1.0 if top == exp else (ab - exp) / (top - exp)
    return {'precision': p, 'recall': r, 'f1': 2 * p * r / (p + r) if p + r else 0.0, 'ari': ari, 'members': n}
sc = {'true_groups': q('SELECT count(DISTINCT g) FROM truth')[0][0],
      'found_groups': q('SELECT count(DISTINCT group_id) FROM w.network_member')[0][0]}
for name, where in (('all', 'true'), ('suspects', "t.role = 'offender'"), ('victims', "t.role = 'victim'")):
    sc[name] = prf_ari(where)
result['score'] = sc
# cross-force: true groups with members on two or more forces' sexual-offence police records; found as one when
# one found group holds a member recorded by each of those forces
cf = q('''WITH seen AS (SELECT DISTINCT g.true_group_id AS tgid, c.org_code AS org, m.group_id AS fg
        FROM w.person_record p
        JOIN w.crime_person x ON x.source = p.source AND x.person_record_id = p.source_record_id
        JOIN w.crime c ON c.source = x.source AND c.source_record_id = x.crime_record_id
        JOIN rec r ON r.source = p.source AND r.source_record_id = p.source_record_id
        JOIN (SELECT true_person_id, arg_max(true_group_id, rn) AS true_group_id FROM tg GROUP BY 1) g
          ON g.true_person_id = r.true_person_id
        LEFT JOIN w.link_person lp ON lp.source = p.source AND lp.source_record_id = p.source_record_id
        LEFT JOIN (SELECT person_id, max(group_id) AS group_id FROM w.network_member GROUP BY 1) m
          ON m.person_id = lp.person_id
        WHERE c.offence_code NOT IN ('OTHER', 'SOA59-S1')),
    span AS (SELECT tgid, count(DISTINCT org) AS n FROM seen GROUP BY 1 HAVING n >= 2),
    one AS (SELECT DISTINCT s.tgid FROM seen s JOIN span USING (tgid) WHERE s.fg IS NOT NULL
        GROUP BY s.tgid, s.fg, span.n HAVING count(DISTINCT s.org) = span.n)
    SELECT (SELECT count(*) FROM span), (SELECT count(*) FROM one)''')[0]
result['cross_force'] = {'true_cross_force': cf[0], 'found_as_one': cf[1]}
# oracle ceiling: each true group split into the pieces joined by network_edge rows between its own members
# (a pair counts for every true group both belong to), everyone else alone
edges = q('''WITH allg AS (SELECT DISTINCT true_person_id AS t, true_group_id AS g FROM tg)
    SELECT DISTINCT pa.t, pb.t, ga.g FROM w.network_edge e JOIN ptrue pa ON pa.person_id = e.person_a
    JOIN ptrue pb ON pb.person_id = e.person_b JOIN allg ga ON ga.t = pa.t JOIN allg gb ON gb.t = pb.t AND gb.g = ga.g
    WHERE pa.t <> pb.t AND pa.t IN (SELECT t FROM truth) AND pb.t IN (SELECT t FROM truth)''')
par = {}
def find(x):
    while par.setdefault(x, x) != x:
        par[x] = par[par[x]]
        x = par[x]
    return x
for ta, tb, g in edges:
    par[find((ta, g))] = find((tb, g))
truth = dict(q('SELECT t, g FROM truth'))
oracle = {t: find((t, g)) for t, g in truth.items()}
result['oracle'] = list(pairwise_prf(oracle, truth)) + [adjusted_rand(oracle, truth)]
# record ceiling: every true member with any record tying them to anyone (a part in a sexual-offence crime, or a
# missing episode naming someone) placed perfectly, the rest alone
tied = {t for (t,) in q('''SELECT DISTINCT r.true_person_id FROM (SELECT x.source, x.person_record_id AS rid
    FROM w.crime_person x JOIN w.crime c ON c.source = x.source AND c.source_record_id = x.crime_record_id
    WHERE c.offence_code NOT IN ('OTHER', 'SOA59-S1')
    UNION SELECT source, person_record_id FROM w.event WHERE with_whom IS NOT NULL) y
    JOIN rec r ON r.source = y.source AND r.source_record_id = y.rid JOIN truth ON truth.t = r.true_person_id''')}
result['ceiling'] = list(pairwise_prf({t: (g if t in tied else 'alone' + t) for t, g in truth.items()}, truth))
result['lead'] = q('''SELECT count(*), count(first_charged), count(*) - count(first_charged),
    quantile_cont(datediff('day', first_detectable, first_charged) / 365.25, [0.25, 0.5, 0.75]),
    count(*) FILTER (WHERE first_detectable < first_charged) FROM w.network_group''')[0]
con.close()
import shutil
shutil.rmtree(db + '.score_tmp', ignore_errors=True)
"""

# a fixed CPU workload (a Python loop, then a DuckDB aggregate on both cores) timed just before each timed step,
# so a figure taken on the busy shared machine can be read against work measured under the same load
BASELINE = """
import duckdb
t = time.perf_counter()
x = 0
for i in range(3_000_000):
    x += i * i % 7
py = time.perf_counter() - t
t = time.perf_counter()
duckdb.connect().execute('SELECT sum(hash(i) % 1000) FROM range(60000000) r(i)').fetchall()
result = {'python_s': py, 'duckdb_s': time.perf_counter() - t}
"""

N_RECORDS = ("import duckdb; result = duckdb.connect(sys.argv[1], read_only=True).execute("
             "'SELECT count(*) FROM person_record').fetchall()[0][0]")

SYNTH10 = """
from pathlib import Path
from joinedup.synth import generate
s = generate(Path(sys.argv[1]), people=int(sys.argv[2]), seed=11, forces=int(sys.argv[3]))
result = {'person_records': s['person_records'], 'total_rows': s['total_rows']}
"""

INGEST10 = """
from pathlib import Path
from joinedup.ingest import ingest
i = ingest(Path(sys.argv[1]) / 'extracts', Path(sys.argv[2]))
result = {'rows_read': i.rows_read, 'person_records': i.tables.get('person_record', 0)}
"""

LINK10 = """
from joinedup.link import link_warehouse
r = link_warehouse(sys.argv[1])
result = {k: v for k, v in r.items() if isinstance(v, (int, float, str))}
"""


def build_10m(work: Path, records: int, reuse: bool) -> dict:
    """Synth, ingest and link a world of about `records` person records (seed 11), one child process a step;
    each step's seconds, peak MiB and load average go to built.json as it ends, so a rerun with --reuse resumes."""
    d = work / "m10"
    d.mkdir(parents=True, exist_ok=True)
    world, db, log = d / "world", d / "wh.duckdb", d / "built.json"
    people = math.ceil(records / PEOPLE_PER_RECORD)
    forces = forces_for(people)
    done = json.loads(log.read_text()) if (reuse and log.exists()) else {}
    steps = [("synth", SYNTH10, (str(world), str(people), str(forces))),
             ("ingest", INGEST10, (str(world), str(db))),
             ("link", LINK10, (str(db),))]
    for name, code, args in steps:
        if name in done:
            continue
        if name == "synth":
            shutil.rmtree(world, ignore_errors=True)
        if name in ("synth", "ingest"):
            db.unlink(missing_ok=True)
        load = os.getloadavg()[0]
        print(f"10M {name}: started (load {load:.1f})", flush=True)
        r = run_child(code, *args)
        r.update(load_before=load, load_after=os.getloadavg()[0], people=people, forces=forces)
        done[name] = r
        log.write_text(json.dumps(done, indent=1, default=str))
        print(f"10M {name}: {r['seconds']:.0f} s, {r['peak_mib']:,.0f} MiB, load {load:.1f} -> "
              f"{r['load_after']:.1f}", flush=True)
    return done


def timed_network(db: Path, linkage: bool = True) -> dict:
    """run_network in its own process, with the CPU baseline and the load average just before and after."""
    base = run_child(BASELINE)
    load = os.getloadavg()
    r = run_child(NETWORK, str(db), "1" if linkage else "0")
    r.update(load_before=list(load), load_after=list(os.getloadavg()),
             baseline_s=base["result"]["python_s"] + base["result"]["duckdb_s"], baseline=base["result"])
    print(f"network {db.name} linkage {linkage}: {r['seconds']:.1f} s, {r['peak_mib']:,.0f} MiB, "
          f"load {load[0]:.1f} -> {r['load_after'][0]:.1f}, baseline {r['baseline_s']:.1f} s", flush=True)
    return r


def scored(world: Path, db: Path, python_too: bool) -> dict:
    """Score the stored groups (DuckDB scorer; with python_too also the tests' scorer, to check they agree)."""
    s = run_child(SCORE, str(world), str(db), str(BENCH.parent), "1" if python_too else "0")
    out = s["result"]
    out["score_seconds"], out["score_peak_mib"] = s["seconds"], s["peak_mib"]
    return out


def _save(work: Path, name: str, data: dict) -> None:
    data["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (work / f"res-{name}.json").write_text(json.dumps(data, indent=1, default=str))


def _fmt(s: dict) -> str:
    return f"{s['precision']:.3f} / {s['recall']:.3f} / {s['f1']:.3f} / {s['ari']:.3f}"


def _agree(s: dict) -> str:
    """How far the DuckDB scorer is from the tests' Python scorer (largest difference over P/R/F1/ARI)."""
    if "py_score" not in s:
        return ""
    d = max(abs(s["score"][k][m] - s["py_score"][k][m]) for k in ("all", "suspects", "victims")
            for m in ("precision", "recall", "f1", "ari"))
    cf = s["cross_force"] == s["py_cross_force"]
    return f"{d:.4f}{'' if cf else ' (cross-force differs)'}"


def _ld(r: dict) -> str:
    return f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}"


def phase_acc(work: Path, a: argparse.Namespace) -> None:
    """20k worlds (seed 99) per profile, linkage on and off."""
    for prof in [p for p in a.profiles.split(",") if p]:
        w, db = work / f"acc-{prof}", work / f"acc-{prof}.duckdb"
        if not (a.reuse and db.exists()):
            run_child(WORLD, str(w), str(a.accuracy_people), "99", str(db), "3", prof)
        runs = []
        for on in (True, False):
            r = timed_network(db, on)
            runs.append({"linkage": on, "network": r, "score": scored(w, db, True)})
        _save(work, f"acc-{prof}", {"people": a.accuracy_people, "profile": prof, "seed": 99, "runs": runs})


def phase_realistic(work: Path, a: argparse.Namespace) -> None:
    """The realistic profile at 200k people (seed 99), linkage on."""
    w, db = work / "acc-realistic", work / "acc-realistic.duckdb"
    if not (a.reuse and db.exists()):
        run_child(WORLD, str(w), str(a.realistic_people), "99", str(db), str(forces_for(a.realistic_people)),
                  "realistic")
    r = timed_network(db, True)
    _save(work, "realistic", {"people": a.realistic_people, "profile": "realistic", "seed": 99,
                              "runs": [{"linkage": True, "network": r, "score": scored(w, db, True)}]})


def phase_1m(work: Path, a: argparse.Namespace) -> None:
    """About 1M person records (default, seed 11): time, peak memory, accuracy."""
    people = math.ceil(a.records / PEOPLE_PER_RECORD)
    w, db = work / "big", work / "big.duckdb"
    if not (a.reuse and db.exists()):
        run_child(WORLD, str(w), str(people), "11", str(db), str(forces_for(people)))
    n = run_child(N_RECORDS, str(db))["result"]
    r = timed_network(db, True)
    _save(work, "1m", {"people": people, "records": n, "network": r, "score": scored(w, db, True)})


def phase_10m(work: Path, a: argparse.Namespace) -> None:
    """10M person records: build (not counted), then run_network in its own process, then score in DuckDB."""
    built = build_10m(work, a.records_10m, a.reuse)
    d = work / "m10"
    n = run_child(N_RECORDS, str(d / "wh.duckdb"))["result"]
    # saved first, so that a page written while the network is still running says how far it got
    _save(work, "10m-started", {"records": n, "built": built, "load": os.getloadavg()[0]})
    r = timed_network(d / "wh.duckdb", True)
    out = {"people": built["synth"]["people"], "records": n, "built": built, "network": r}
    _save(work, "10m", out)
    try:
        out["score"] = scored(d / "world", d / "wh.duckdb", False)
    except RuntimeError as e:  # say so on the page rather than lose the timing
        out["score_error"] = str(e)[-400:]
    _save(work, "10m", out)


def render(work: Path) -> str:
    """The markdown page from every phase's saved figures in `work`."""
    res = {p.stem[4:]: json.loads(p.read_text()) for p in sorted(work.glob("res-*.json"))}
    lines = ["## Network (`joinedup network`)", "",
             "How it was run (one --work DIR throughout): `python3 benchmarks/bench_network.py "
             "--records-10m 10000000 --build-only --work DIR --keep` builds the 10M world (synth, ingest, link, each "
             "in its own process); `--phases 10m --records-10m 10000000 --work DIR --keep --reuse` times the network "
             "on it; `--phases acc,realistic,1m --work DIR --keep --reuse` builds (once) and runs the rest. The "
             "machine may be shared with other jobs (2 cores, 24 GiB): each timed `run_network` runs in its own process "
             "after a fixed CPU baseline (a 3M-step Python loop and a 60M-row DuckDB aggregate), and the tables give "
             "its time as a multiple of that baseline (the same-run ratio) and the 1-minute load average before and "
             "after. Accuracy is scored against truth/groups.csv (members with a record in some extract; pairwise "
             "precision / recall / F1 / adjusted Rand index) in DuckDB; at up to 1M records the tests' scorer "
             "(`tests/network/truth.py`) is run too and the column *Δ tests* gives the largest difference between "
             "the two. **Oracle**: each true group split into the pieces joined by `network_edge` rows between its "
             "own members, everyone else alone: the best any grouping of these edges could do. Target F1 ≥ 0.95 "
             "with linkage on.", ""]
    acc = [res[k] for k in sorted(res) if k.startswith("acc-")] + ([res["realistic"]] if "realistic" in res else [])
    extra = []
    if acc:
        lines += ["| world | linkage | groups true / found | all P / R / F1 / ARI | suspects | victims | "
                  "oracle P / R / F1 | network s | × baseline | load before → after | Δ tests |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for x in acc:
            for run in x["runs"]:
                s, r, o = run["score"], run["network"], run["score"]["oracle"]
                sc = s["score"]
                lines.append(f"| {x['people']:,} people, {x['profile']} | {'on' if run['linkage'] else 'off'} | "
                             f"{sc['true_groups']} / {sc['found_groups']} | {_fmt(sc['all'])} | {_fmt(sc['suspects'])} "
                             f"| {_fmt(sc['victims'])} | {o[0]:.3f} / {o[1]:.3f} / {o[2]:.3f} | {r['seconds']:.1f} | "
                             f"{r['seconds'] / r['baseline_s']:.2f} | {_ld(r)} | {_agree(s)} |")
                if run["linkage"]:
                    n, charged, never, q, before = s["lead"]
                    cf = s["cross_force"]
                    extra += [f"**{x['profile']} ({x['people']:,})**: cross-force: {cf['true_cross_force']} true "
                              f"groups have members on two or more forces' sexual-offence records; {cf['found_as_one']} "
                              f"of them are found as one group. First detectable against first charged ({n} groups "
                              f"found): {charged} had a member charged, {never} never; first detectable came before "
                              f"the first charge in {before}; years from first detectable to first charge: quartiles "
                              + ", ".join(f"{v:.1f}" for v in (q or [])) + ". Crime-or-missing tie (every true member with "
                              "a part in a sexual-offence crime or a missing episode naming someone placed perfectly, the "
                              "rest alone; the earlier pages' \"ceiling\", no longer a bound now that groups also join "
                              "through shared phones, vehicles, addresses and recorded associates): P / R / F1 "
                              + " / ".join(f"{v:.3f}" for v in s["ceiling"]) + ".", ""]
        lines += ["", *extra]
    big = [(k, res[k]) for k in ("1m", "10m") if k in res]
    if big:
        lines += ["### Speed and accuracy at 1M and 10M person records (default profile, seed 11, linkage on)", "",
                  "| person records | persons | edges | groups true / found | all P / R / F1 / ARI | suspects | "
                  "victims | oracle F1 | network s (own process) | peak MiB | × baseline | load before → after | "
                  "target |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        notes = []
        for k, x in big:
            r = x["network"]
            rr = r["result"]
            if k == "1m":
                ok = "met (≤ 60 s)" if r["seconds"] <= TARGET_SECONDS else "**not met** (≤ 60 s)"
            else:
                ok = ("met" if r["seconds"] <= TARGET_SECONDS_10M and r["peak_mib"] < TARGET_MIB_10M
                      else "**not met**") + " (≤ 600 s, < 16 GB)"
            s = x.get("score")
            if s:
                sc = s["score"]
                acc_cells = (f"{sc['true_groups']:,} / {sc['found_groups']:,} | {_fmt(sc['all'])} | "
                             f"{_fmt(sc['suspects'])} | {_fmt(sc['victims'])} | {s['oracle'][2]:.3f}")
            else:
                acc_cells = f"? / {rr['groups']:,} | not scored | | | "
            lines.append(f"| {x['records']:,} | {rr['persons']:,} | {rr['edges']:,} | {acc_cells} | "
                         f"{r['seconds']:.1f} | {r['peak_mib']:,.0f} | {r['seconds'] / r['baseline_s']:.2f} | "
                         f"{_ld(r)} | {ok} |")
            notes.append(f"{k.upper()} network steps (s): " + ", ".join(f"{n} {v}" for n, v in rr["timings"].items())
                         + f"; baseline {r['baseline_s']:.1f} s (Python {r['baseline']['python_s']:.1f}, DuckDB "
                         f"{r['baseline']['duckdb_s']:.1f}); run finished {x['finished']}.")
            if s:
                notes.append(f"{k.upper()} membership F1 to four places: {s['score']['all']['f1']:.4f} "
                             f"(P {s['score']['all']['precision']:.4f}, R {s['score']['all']['recall']:.4f}).")
                cf = s["cross_force"]
                notes.append(f"{k.upper()} cross-force: {cf['true_cross_force']:,} true groups span two or more forces;"
                             f" {cf['found_as_one']:,} found as one. Scoring took {s['score_seconds']:.0f} s, "
                             f"{s['score_peak_mib']:,.0f} MiB" + (f"; Δ tests {_agree(s)}." if "py_score" in s else "."))
            elif "score_error" in x:
                notes.append(f"{k.upper()} accuracy was not scored: {x['score_error'].splitlines()[-1]}")
        if len(big) == 2:
            (_, m1), (_, m10) = big
            t1 = m1["network"]["seconds"] / m1["records"]
            t10 = m10["network"]["seconds"] / m10["records"]
            b1 = m1["network"]["seconds"] / m1["network"]["baseline_s"]
            b10 = m10["network"]["seconds"] / m10["network"]["baseline_s"]
            notes.append(f"Scaling, same run: {m10['records'] / m1['records']:.1f}× the records took "
                         f"{m10['network']['seconds'] / m1['network']['seconds']:.1f}× the time "
                         f"({t10 / t1:.2f}× the seconds per record; against each one's own baseline, "
                         f"{b10 / b1:.1f}× as many baselines).")
        if "10m" in res:
            b = res["10m"]["built"]
            nw = res["10m"]["network"]
            link_s = b["link"]["result"].get("run_time_seconds", b["link"]["seconds"]) if "link" in b else None
            notes.append("10M world build (not counted): " + "; ".join(
                f"{n} {v['seconds']:.0f} s, {v['peak_mib']:,.0f} MiB, load {v['load_before']:.1f} → {v['load_after']:.1f}"
                for n, v in b.items()) + f" ({b['synth']['people']:,} people, {b['synth']['forces']} force areas)."
                + (f" Network / link seconds on the same warehouse: {nw['seconds'] / link_s:.2f}." if link_s else ""))
        lines += ["", *[n + "\n" for n in notes]]
    if "10m" not in res and "10m-started" in res:
        x = res["10m-started"]
        b = x["built"]
        lines += ["### 10M person records: not finished", "",
                  f"World of {b['synth']['people']:,} people ({b['synth']['forces']} force areas, seed 11), "
                  f"{x['records']:,} person records, built (not counted): " + "; ".join(
                      f"{n} {v['seconds']:.0f} s, {v['peak_mib']:,.0f} MiB, load {v['load_before']:.1f} → "
                      f"{v['load_after']:.1f}" for n, v in b.items()) + f". `run_network` started {x['finished']} "
                  f"(load {x['load']:.1f}) and had given no result when this page was written "
                  f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).", ""]
        if x.get("progress"):  # how far it got, from samples of the running process (py-spy dump), added by hand
            lines += [x["progress"], ""]
    return "\n".join(lines)


def main() -> None:
    """Run the chosen phases, save their figures and write the markdown page."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--accuracy-people", type=int, default=20000)
    ap.add_argument("--profiles", default="default,enriched", help="synth profiles of the accuracy worlds")
    ap.add_argument("--realistic-people", type=int, default=200_000)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--records-10m", type=int, default=0, help="person records of the 10M world (0: skip)")
    ap.add_argument("--phases", default=None, help="comma list of acc,realistic,1m,10m (default: all asked for)")
    ap.add_argument("--build-only", action="store_true", help="only build (synth, ingest, link) the 10M world")
    ap.add_argument("--work", default=None)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="Use worlds already built in --work (from a --keep run).")
    a = ap.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="bench_network_"))
    work.mkdir(parents=True, exist_ok=True)
    if a.build_only:
        build_10m(work, a.records_10m, a.reuse)
        return
    default = ["acc"] + (["realistic"] if a.realistic_people else []) + (["1m"] if a.records else []) \
        + (["10m"] if a.records_10m else [])
    phases = default if a.phases is None else [p for p in a.phases.split(",") if p]
    run = {"acc": phase_acc, "realistic": phase_realistic, "1m": phase_1m, "10m": phase_10m}
    try:
        for p in phases:
            run[p](work, a)
        text = render(work)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    write_result("network", text)


if __name__ == "__main__":
    main()
