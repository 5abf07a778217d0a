"""Risk queue measured prospectively against the synthetic world's truth, and the speed of queue and chronology.

  python3 benchmarks/bench_risk.py --world W --db W.duckdb --clusters clusters.csv     # accuracy on a built world
  python3 benchmarks/bench_risk.py --speed-db M1.duckdb                                # speed at 1M person records
  python3 benchmarks/bench_risk.py --fit --world T --db T.duckdb --clusters c.csv       # refit the points (seed 7)

Accuracy: for as-of dates (1 January of each year), every child aged 10-17 (truth) not yet harmed is scored with
only what was known on that date; the label is first harm (truth/children.csv) within the following 12 months.
Reported: ROC AUC; precision and recall when each local authority reviews its top K children a week; calibration;
lead time (days before first harm a child entered the queue) with linkage on and with each agency alone; flag
rates by ethnic group and sex (read from truth here, for oversight only: src never reads them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import run_child, write_result  # noqa: E402

from joinedup.synth.truth import person_truth, read_csv  # noqa: E402

AGENCIES = ("police", "csc", "health", "education")


def auc(scores: list[float], labels: list[int]) -> float:
    """ROC AUC by ranks, ties averaged."""
    pairs = sorted(zip(scores, labels))
    ranks, i = [0.0] * len(pairs), 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(lab for _, lab in pairs)
    neg = len(pairs) - pos
    return (sum(r for r, (_, lab) in zip(ranks, pairs) if lab) - pos * (pos + 1) / 2) / (pos * neg) if pos and neg else 0.0


def scores_on(con, d: date, agencies: tuple[str, ...] | None = None) -> dict[str, tuple[int, float]]:
    """person_id -> (score, probability) of the queue as known on d."""
    from joinedup.risk.queue import score_children

    score_children(con, d, agencies=agencies)
    return {p: (s, pr) for p, s, pr in con.execute("SELECT person_id, score, probability FROM __rk_queue").fetchall()}


def evaluate(world: Path, db: Path, clusters: Path, years: range, capacity: int, flag: int) -> dict:
    """Prospective accuracy, calibration, capacity-limited precision/recall, lead time and oversight rates."""
    from joinedup.risk.indicators import model
    from joinedup.warehouse import connect

    ptrue = person_truth(world, clusters)
    people = {r["true_person_id"]: r for r in read_csv(world / "truth" / "people.csv")}
    kids = {r["true_person_id"]: r["first_harm_date"] for r in read_csv(world / "truth" / "children.csv")}
    m = model()
    base_p = 1 / (1 + 2.718281828 ** (-m["intercept_log_odds"]))
    con = connect(db)
    rows = []  # (date, true id, score, probability, label)
    for y in years:
        d = date(y, 1, 1)
        best: dict[str, tuple[int, float]] = {}
        for pid, sp in scores_on(con, d).items():
            t = ptrue.get(pid)
            if t in kids and sp[0] > best.get(t, (-1, 0.0))[0]:
                best[t] = sp
        for t, h in kids.items():
            harm = date.fromisoformat(h) if h else None
            age = (d - date.fromisoformat(people[t]["dob"])).days / 365.25
            if 10 <= age < 18 and not (harm and harm <= d):
                s, p = best.get(t, (0, base_p))
                rows.append((d, t, s, p, int(bool(harm and harm <= d + timedelta(days=365)))))
    labels = [r[4] for r in rows]
    out: dict = {"child_dates": len(rows), "harmed": sum(labels), "auc": auc([r[2] for r in rows], labels),
                 "dates": f"1 January {years.start}-{years.stop - 1}", "capacity": capacity, "flag_score": flag}
    # each LA reviews its top `capacity` children with any indicator, in the week of the as-of date
    reviewed = tp = 0
    for d in sorted({r[0] for r in rows}):
        by_la: dict[str, list] = defaultdict(list)
        for r in rows:
            if r[0] == d and r[2] > 0:
                by_la[people[r[1]]["la"]].append(r)
        for la_rows in by_la.values():
            top = sorted(la_rows, key=lambda r: -r[2])[:capacity]
            reviewed += len(top)
            tp += sum(r[4] for r in top)
    out["review"] = {"reviewed": reviewed, "harmed_reviewed": tp, "precision": tp / max(1, reviewed),
                     "recall": tp / max(1, sum(labels)), "las": len({p["la"] for p in people.values()})}
    flagged = [r for r in rows if r[2] >= flag]
    ftp = sum(r[4] for r in flagged)
    out["flag"] = {"flagged": len(flagged), "harmed_flagged": ftp, "precision": ftp / max(1, len(flagged)),
                   "recall": ftp / max(1, sum(labels))}
    bands = [(0, 0.01), (0.01, 0.05), (0.05, 0.15), (0.15, 0.5), (0.5, 1.01)]
    out["calibration"] = []
    for lo, hi in bands:
        b = [r for r in rows if lo <= r[3] < hi]
        if b:
            out["calibration"].append({"band": f"{lo:.0%}-{min(hi, 1):.0%}", "n": len(b),
                                       "predicted": statistics.fmean(r[3] for r in b),
                                       "observed": sum(r[4] for r in b) / len(b)})
    # oversight only: flag rates by ethnic group (broad, from the truth's self-defined code) and sex
    groups: dict[str, dict] = defaultdict(lambda: {"n": 0, "flagged": 0, "harmed": 0, "harmed_flagged": 0, "fp": 0})
    broad = {"W": "White", "M": "Mixed", "A": "Asian", "B": "Black", "O": "Other"}
    for r in rows:
        p = people[r[1]]
        for key in (f"ethnic group: {broad.get(p['ethnicity'][:1], 'Not stated')}", f"sex: {p['sex']}"):
            g = groups[key]
            g["n"] += 1
            g["flagged"] += r[2] >= flag
            g["harmed"] += r[4]
            g["harmed_flagged"] += r[4] and r[2] >= flag
            g["fp"] += (not r[4]) and r[2] >= flag
    out["oversight"] = dict(sorted(groups.items()))
    out["lead_time"] = lead_times(con, ptrue, kids, flag)
    con.close()
    return out


def lead_times(con, ptrue: dict[str, str], kids: dict[str, str], flag: int) -> dict:
    """Days before first harm each exploited child first scored >= flag (quarterly as-of dates), per data view."""
    harm = {t: date.fromisoformat(h) for t, h in kids.items() if h}
    quarters = [date(y, mth, 1) for y in range(1998, 2026) for mth in (1, 4, 7, 10)]
    res = {}
    for view in (None, *((a,) for a in AGENCIES)):
        first: dict[str, date] = {}
        for d in quarters:
            for pid, (s, _) in scores_on(con, d, view).items():
                t = ptrue.get(pid)
                if t in harm and s >= flag and t not in first and d <= harm[t] < d + timedelta(days=3 * 365):
                    first[t] = d
        leads = sorted((harm[t] - d).days for t, d in first.items())
        q = statistics.quantiles(leads, n=4) if len(leads) >= 2 else [float("nan")] * 3
        res["linked (all agencies)" if view is None else f"{view[0]} alone"] = {
            "exploited": len(harm), "flagged_before_harm": len(leads), "median": statistics.median(leads) if leads else None,
            "q1": q[0], "q3": q[2]}
    return res


def fit(world: Path, db: Path, clusters: Path, years: range) -> str:
    """Refit the points: L2 logistic regression of harm within 12 months on the indicators fired (a CSV to review)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from joinedup.risk.indicators import published_indicators
    from joinedup.risk.queue import score_children
    from joinedup.warehouse import connect

    ptrue = person_truth(world, clusters)
    dob = {r["true_person_id"]: date.fromisoformat(r["dob"]) for r in read_csv(world / "truth" / "people.csv")}
    kids = {r["true_person_id"]: r["first_harm_date"] for r in read_csv(world / "truth" / "children.csv")}
    inds = published_indicators()
    con = connect(db)
    X, y = [], []
    for yr in years:
        d = date(yr, 1, 1)
        score_children(con, d)
        fired: dict[str, set] = defaultdict(set)
        for pid, ind in con.execute("SELECT person_id, indicator FROM __rk_fired").fetchall():
            if ptrue.get(pid):
                fired[ptrue[pid]].add(ind)
        for t, h in kids.items():
            harm = date.fromisoformat(h) if h else None
            if 10 <= (d - dob[t]).days / 365.25 < 18 and not (harm and harm <= d):
                X.append([int(i.indicator in fired[t]) for i in inds])
                y.append(int(bool(harm and harm <= d + timedelta(days=365))))
    con.close()
    Xa, ya = np.array(X), np.array(y)
    m = LogisticRegression(C=1.0, max_iter=5000).fit(Xa, ya)
    lines = [f"# {len(ya)} child-dates, {int(ya.sum())} harmed within 12 months; intercept {m.intercept_[0]:.2f}",
             "indicator,n,harmed,coefficient,points_fit,points_published"]
    for k, (i, c) in enumerate(zip(inds, m.coef_[0])):
        n = int(Xa[:, k].sum())
        lines.append(f"{i.indicator},{n},{int(Xa[ya == 1, k].sum())},{c:.2f},"
                     f"{max(0, round(2 * c)) if n else 'practice'},{i.points}")
    return "\n".join(lines)


def speed(db: Path, runs: int) -> dict:
    """Seconds for the queue (current, and as of a date) and per chronology at this warehouse's size."""
    code = (
        "import sys, time, statistics\nfrom datetime import date\n"
        "from joinedup.risk.queue import run_queue\nfrom joinedup.warehouse import connect\n"
        "from joinedup.chronology.build import chronology\n"
        "db = sys.argv[1]\nt = time.perf_counter(); r1 = run_queue(db); q1 = time.perf_counter() - t\n"
        "t = time.perf_counter(); r2 = run_queue(db, date(2020, 1, 1)); q2 = time.perf_counter() - t\n"
        "con = connect(db, read_only=True)\n"
        "n = con.execute('SELECT count(*) FROM person_record').fetchall()[0][0]\n"
        f"pids = [p for p, in con.execute('SELECT person_id FROM link_person USING SAMPLE {runs} ROWS (reservoir, 7)').fetchall()]\n"
        "pids = [r['person_id'] for r in r1.rows[:5]] + pids\n"
        "ts, cs = [], []\nfor p in pids:\n    t = time.perf_counter(); c0 = time.process_time(); chronology(con, p)\n"
        "    ts.append(time.perf_counter() - t); cs.append(time.process_time() - c0)\n"
        "ts.sort(); cs.sort()\n"
        "result = dict(person_records=n, queue_s=q1, queue_asof_s=q2, flagged=r1.flagged, chron_n=len(ts),"
        " chron_p50_ms=1000 * statistics.median(ts), chron_p95_ms=1000 * ts[int(0.95 * (len(ts) - 1))],"
        " chron_cpu_p50_ms=1000 * statistics.median(cs), chron_cpu_p95_ms=1000 * cs[int(0.95 * (len(cs) - 1))])\n")
    return run_child(code, str(db))


def markdown(acc: dict | None, sp: dict | None, world_note: str) -> str:
    """The results as the risk section of docs/benchmarks.md."""
    lines = ["## Risk: the review queue, prospectively", ""] if acc else ["### Risk: queue and chronology speed", ""]
    if acc:
        rv, fl = acc["review"], acc["flag"]
        lines += [f"World: {world_note}. As-of dates {acc['dates']}; {acc['child_dates']:,} child-dates (children aged "
                  f"10-17, not harmed before the date), {acc['harmed']} first harmed within 12 months.", "",
                  "| measure | value |", "|---|---|",
                  f"| ROC AUC | {acc['auc']:.3f} |",
                  f"| review capacity {acc['capacity']} children per LA per week ({rv['las']} LAs): precision | "
                  f"{rv['precision']:.3f} ({rv['harmed_reviewed']} of {rv['reviewed']} reviewed) |",
                  f"| same: recall | {rv['recall']:.3f} |",
                  f"| flag (score >= {acc['flag_score']}): precision | {fl['precision']:.3f} ({fl['harmed_flagged']} of "
                  f"{fl['flagged']}) |", f"| flag: recall | {fl['recall']:.3f} |", "",
                  "Calibration (predicted 12-month probability from `risk/data/model.json` against what happened):", "",
                  "| band | child-dates | mean predicted | observed |", "|---|---|---|---|"]
        lines += [f"| {c['band']} | {c['n']:,} | {c['predicted']:.3f} | {c['observed']:.3f} |" for c in acc["calibration"]]
        lines += ["", f"Lead time: days before first harm (truth) that an exploited child first scored >= "
                  f"{acc['flag_score']}, on quarterly as-of dates, within 3 years before the harm:", "",
                  "| data | exploited | flagged before harm | median days | quartiles |", "|---|---|---|---|---|"]
        for k, v in acc["lead_time"].items():
            med = f"{v['median']:.0f}" if v["median"] is not None else "-"
            qs = f"{v['q1']:.0f}-{v['q3']:.0f}" if v["flagged_before_harm"] >= 2 else "-"
            lines.append(f"| {k} | {v['exploited']} | {v['flagged_before_harm']} | {med} | {qs} |")
        lines += ["", f"Oversight only (ethnic group and sex read from the truth afterwards; never inputs): flag "
                  f"(score >= {acc['flag_score']}) rates per child-date. Groups under 10 harmed child-dates show [low].", "",
                  "| group | child-dates | flagged | flag rate | harmed | recall | false-positive rate |", "|---|---|---|---|---|---|---|"]
        for k, g in acc["oversight"].items():
            neg = g["n"] - g["harmed"]
            rec = f"{g['harmed_flagged'] / g['harmed']:.2f}" if g["harmed"] >= 10 else "[low]"
            lines.append(f"| {k} | {g['n']:,} | {g['flagged']} | {g['flagged'] / max(1, g['n']):.3f} | {g['harmed']} | "
                         f"{rec} | {g['fp'] / max(1, neg):.4f} |")
    if sp:
        lines += [f"Speed at {sp['result']['person_records']:,} person records (one child process; peak "
                  f"{sp['peak_mib']:.0f} MiB): queue (current) {sp['result']['queue_s']:.1f} s, queue as of 2020-01-01 "
                  f"{sp['result']['queue_asof_s']:.1f} s (target <= 60 s); one chronology p50 "
                  f"{sp['result']['chron_p50_ms']:.0f} ms, p95 {sp['result']['chron_p95_ms']:.0f} ms over "
                  f"{sp['result']['chron_n']} persons (target <= 200 ms); CPU time per chronology p50 "
                  f"{sp['result']['chron_cpu_p50_ms']:.0f} ms, p95 {sp['result']['chron_cpu_p95_ms']:.0f} ms."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", type=Path)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--clusters", type=Path)
    ap.add_argument("--note", default="synthetic world")
    ap.add_argument("--capacity", type=int, default=5)
    ap.add_argument("--flag", type=int, default=None, help="flag score (default: model.json flag_score)")
    ap.add_argument("--speed-db", type=Path)
    ap.add_argument("--chronologies", type=int, default=40)
    ap.add_argument("--json", type=Path, help="also save the raw figures here")
    ap.add_argument("--name", default="risk", help="results file name (benchmarks/results/NAME.md)")
    ap.add_argument("--title", default="Risk: the review queue, prospectively", help="section title")
    ap.add_argument("--fit", action="store_true", help="refit the points on --world (a training world) and print them")
    a = ap.parse_args()
    if a.fit:
        print(fit(a.world, a.db, a.clusters, range(2002, 2023)))
        return
    from joinedup.risk.indicators import model

    flag = a.flag if a.flag is not None else int(model()["flag_score"])
    acc = evaluate(a.world, a.db, a.clusters, range(2003, 2023), a.capacity, flag) if a.world else None
    sp = speed(a.speed_db, a.chronologies) if a.speed_db else None
    if a.json:
        a.json.write_text(json.dumps({"accuracy": acc, "speed": sp}, indent=2, default=str), encoding="utf-8")
    if acc:
        md = markdown(acc, None, a.note).replace("Risk: the review queue, prospectively", a.title, 1)
        if a.name != "risk":
            md = md.replace("## ", "### ", 1)
        print(md)
        write_result(a.name, md)
    if sp:
        md = markdown(None, sp, a.note)
        print(md)
        write_result("risk_speed", md)


if __name__ == "__main__":
    main()
