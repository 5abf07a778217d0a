"""The review queue: published points over the indicators, each child's reasons and evidence, ranked for review.

A flag is a prompt for a practitioner to look, never a decision: nothing here triggers any action.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from joinedup.errors import UserError
from joinedup.risk.indicators import build_evidence, model, published_indicators
from joinedup.warehouse import connect
from joinedup.warehouse.asof import check_as_of


@dataclass
class QueueResult:
    """A queue run: its id, date, scope, and the ranked children with their reasons."""

    run_id: str
    as_of: date
    org: str | None
    children: int
    flagged: int
    rows: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-able summary (counts, indicator totals, the top of the queue)."""
        by_ind: dict[str, int] = {}
        for r in self.rows:
            for ind in r["indicators"]:
                by_ind[ind] = by_ind.get(ind, 0) + 1
        return {"run_id": self.run_id, "as_of": self.as_of.isoformat(), "org": self.org,
                "children_10_17": self.children, "with_any_indicator": self.flagged,
                "with_harm_indicator": sum(1 for r in self.rows if r["harm_points"] > 0),
                "flagged_for_review": sum(1 for r in self.rows if r["score"] >= model()["flag_score"]),
                "flag_score": model()["flag_score"],
                "indicators": dict(sorted(by_ind.items(), key=lambda kv: -kv[1])),
                "top": [{k: r[k] for k in ("rank", "person_id", "score", "probability", "reasons")} for r in self.rows[:10]],
                "note": "a flag asks a practitioner to look; it never triggers action by itself"}


def ensure_linked(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a warehouse that was never linked, in one line."""
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'link_person'").fetchall()[0][0]
    if not n or not con.execute("SELECT count(*) FROM (SELECT 1 FROM link_person LIMIT 1)").fetchall()[0][0]:
        raise UserError("the warehouse has not been linked yet: run `joinedup link --db FILE` first")


def score_children(con: duckdb.DuckDBPyConnection, as_of: date, org: str | None = None,
                   agencies: tuple[str, ...] | None = None) -> None:
    """Fill temp tables __rk_fired (indicator per child, with evidence) and __rk_queue (score, reasons, rank)."""
    build_evidence(con, as_of, org, agencies)
    inds = published_indicators()
    con.execute("CREATE OR REPLACE TEMP TABLE __rk_ind (indicator VARCHAR, evidence VARCHAR, min_count INT, "
                "window_days INT, kind VARCHAR, points INT, label VARCHAR, ord INT)")
    con.executemany("INSERT INTO __rk_ind VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i.indicator, i.evidence, i.min_count, i.window_days, i.kind, i.points, i.label, n)
                     for n, i in enumerate(inds)])
    D = f"DATE '{as_of.isoformat()}'"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE __rk_fired AS
        SELECT v.person_id, i.indicator, i.kind, i.points, i.label, i.ord, count(*) AS n,
               min(v.evidence_date) AS first_date, max(v.evidence_date) AS last_date,
               list(v.source || ':' || v.source_record_id ORDER BY v.evidence_date, v.source, v.source_record_id) AS evidence,
               list(v.detail ORDER BY v.evidence_date, v.source, v.source_record_id) AS details
        FROM (SELECT DISTINCT * FROM __rk_evidence) v JOIN __rk_ind i ON i.evidence = v.evidence
        WHERE v.evidence_date <= {D} AND (i.window_days IS NULL OR v.evidence_date > {D} - i.window_days)
        GROUP BY ALL HAVING count(*) >= any_value(i.min_count)""")
    # ties broken by the most recent evidence (a sign last month matters more than one two years ago), then id
    con.execute("""CREATE OR REPLACE TEMP TABLE __rk_queue AS
        SELECT row_number() OVER (ORDER BY score DESC, last_date DESC, person_id) AS rank, * FROM (
            SELECT f.person_id, sum(f.points) AS score, sum(f.points) FILTER (WHERE f.kind = 'harm') AS harm_points,
                   max(f.last_date) AS last_date,
                   string_agg(CASE WHEN f.kind = 'harm' THEN 'HARM: ' ELSE '' END || f.label
                              || CASE WHEN f.n > 1 THEN ' (x' || f.n || ')' ELSE '' END || ' +' || f.points,
                              '; ' ORDER BY f.kind, f.points DESC, f.ord) AS reasons,
                   list(f.indicator ORDER BY f.ord) AS indicators,
                   list_distinct(flatten(list(f.evidence))) AS evidence,
                   any_value(c.age) AS age
            FROM __rk_fired f JOIN __rk_child c USING (person_id) GROUP BY f.person_id)""")
    m = model()
    # the calibrated 12-month probability the fitted model gives this score (see risk/data/model.json)
    con.execute(f"""ALTER TABLE __rk_queue ADD COLUMN probability DOUBLE;
        UPDATE __rk_queue SET probability = round(1 / (1 + exp(-({m['intercept_log_odds']} + score / {m['points_per_log_odds']}))), 4)""")


def run_queue(db: str | Path, as_of: date | None = None, org: str | None = None,
              export: str | Path | None = None) -> QueueResult:
    """Compute the review queue as known on as_of (today when None), store it, and optionally write queue.csv."""
    if not Path(db).exists():
        raise UserError(f"--db {db}: no such warehouse file")
    con = connect(db)
    try:
        ensure_linked(con)
        check_as_of(con, as_of)
        day = as_of or date.today()
        if org and not con.execute("SELECT count(*) FROM (SELECT 1 FROM person_record WHERE org_code = ? LIMIT 1)",
                                   [org]).fetchall()[0][0]:
            codes = [r[0] for r in con.execute("SELECT DISTINCT org_code FROM person_record ORDER BY 1 LIMIT 12").fetchall()]
            raise UserError(f"--org {org}: no records from that organisation (known: {', '.join(codes)})")
        score_children(con, day, org)
        run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        _store(con, run_id, day, org)
        children = con.execute("SELECT count(*) FROM __rk_child").fetchall()[0][0]
        rows = [dict(zip(("rank", "person_id", "score", "harm_points", "probability", "reasons", "indicators", "evidence",
                          "age"), r))
                for r in con.execute("SELECT rank, person_id, score, coalesce(harm_points, 0), probability, reasons, "
                                     "indicators, evidence, age FROM __rk_queue ORDER BY rank").fetchall()]
    finally:
        con.close()
    if export:
        write_csv(rows, export)
    return QueueResult(run_id, day, org, children, len(rows), rows)


def _store(con: duckdb.DuckDBPyConnection, run_id: str, as_of: date, org: str | None) -> None:
    """Replace the stored queue for this (as_of, org) with this run's, keeping every indicator's evidence."""
    con.execute("BEGIN")
    try:
        for t in ("risk_queue", "risk_indicator", "risk_run"):
            con.execute(f"DELETE FROM {t} WHERE as_of = ? AND coalesce(org, '') = ?", [as_of, org or ""])
        con.execute("INSERT INTO risk_run SELECT ?, ?, ?, now()::TIMESTAMP, (SELECT count(*) FROM __rk_child), "
                    "(SELECT count(*) FROM __rk_queue)", [run_id, as_of, org])
        con.execute("INSERT INTO risk_indicator SELECT ?, ?, ?, person_id, indicator, kind, points, n, first_date, "
                    "last_date, evidence, details FROM __rk_fired", [run_id, as_of, org])
        con.execute("INSERT INTO risk_queue SELECT ?, ?, ?, rank, person_id, score, coalesce(harm_points, 0), reasons, "
                    "evidence FROM __rk_queue", [run_id, as_of, org])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def write_csv(rows: list[dict], path: str | Path) -> None:
    """Write person_id,score,reasons (ranked), with the harm points and the evidence records behind each row."""
    p = Path(path)
    if p.parent and not p.parent.exists():
        raise UserError(f"--export {path}: folder {p.parent} does not exist")
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["person_id", "score", "reasons", "rank", "harm_points", "probability_12m", "evidence"])
        for r in rows:
            w.writerow([r["person_id"], r["score"], r["reasons"], r["rank"], r["harm_points"], r["probability"],
                        ";".join(r["evidence"])])
