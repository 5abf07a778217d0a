"""The risk review queue and a child's risk flags for the web application, shaped by joinedup.web.access.

A flag asks a practitioner to look; every row carries its reasons and the records behind them (provenance),
shown as the principal may see them: pseudonymised for analysts, identified for practitioners (own authority's
children) and the inquiry, and for investigators identified only where their own force holds the evidence.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from joinedup.web.access import org_scope, Principal, person_visible, record_view
from joinedup.web.data import Warehouse
from joinedup.web.stage_runs import explain, stage_run

DEFAULT_PAGE_SIZE = 25


def day(p: Principal, d: dt.date | dt.datetime | None) -> str | None:
    """A date as this principal may see it: to the day, or to the month in pseudonymised views."""
    if d is None:
        return None
    if isinstance(d, dt.datetime):
        return d.strftime("%Y-%m") if p.role == "analyst" else d.strftime("%Y-%m-%d %H:%M UTC")
    return d.strftime("%Y-%m") if p.role == "analyst" else d.isoformat()


def shape_item(wh: Warehouse, p: Principal, item: str, orgs: set[str]) -> dict[str, Any] | None:
    """One 'source:source_record_id' evidence record as this principal may see it (None: not at all)."""
    source, _, rid = item.partition(":")
    if source == "network":  # derived by the network stage (a group id), not an agency's record
        return {"view": "derived", "org_code": None, "record": item}
    org = source.split("-")[0]
    view = record_view(p, org, orgs)
    if view == "identified":
        return {"view": view, "org_code": org, "record": item}
    if view == "pseudonymised":
        return {"view": view, "org_code": org, "ref": wh.pseudonym(source, rid)}
    if view == "pointer":
        return {"view": view, "org_code": org, "pointer": f"Known to {org}"}
    return None


def _labels() -> dict[str, str]:
    from joinedup.risk.indicators import published_indicators

    return {i.indicator: i.label for i in published_indicators()}


def shape_indicator(wh: Warehouse, p: Principal, row: dict[str, Any], orgs: set[str],
                    labels: dict[str, str]) -> dict[str, Any]:
    """One indicator that fired: its label, points and evidence (with details only where the record is visible)."""
    details = list(row["details"] or [])
    details += [None] * (len(row["evidence"]) - len(details))
    evidence, seen = [], set()
    for item, detail in zip(row["evidence"], details):
        s = shape_item(wh, p, item, orgs)
        if s is None:
            continue
        if s["view"] in ("identified", "derived"):
            s = s | {"detail": detail}
        key = tuple(sorted((k, str(v)) for k, v in s.items()))
        if key not in seen:
            seen.add(key)
            evidence.append(s)
    out = {"indicator": row["indicator"], "kind": row["kind"], "points": row["points"], "n_evidence": row["n_evidence"]}
    if evidence and all(e["view"] == "pointer" for e in evidence):
        # an investigator: every record behind it is another organisation's, so only "known to" pointers show
        held = sorted({e["org_code"] for e in evidence})
        return out | {"label": None, "held_by": held, "first_date": None, "last_date": None, "evidence": evidence,
                      "reason": f"an indicator from records held by {', '.join(held)} (ask them) +{row['points']}"}
    label = labels.get(row["indicator"], row["indicator"])
    reason = ("HARM: " if row["kind"] == "harm" else "") + label + \
        (f" (x{row['n_evidence']})" if row["n_evidence"] > 1 else "") + f" +{row['points']}"
    return out | {"label": label, "held_by": None, "first_date": day(p, row["first_date"]),
                  "last_date": day(p, row["last_date"]), "evidence": evidence, "reason": reason}


class RiskData:
    """Reads the risk stage's tables (risk_run, risk_queue, risk_indicator) through the web Warehouse."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh
        # read-only while served: whether the stage ran, and the copies below, cannot go stale
        self._landed = wh.has_table("risk_run") and wh.count("risk_run") > 0
        self.queue_table = "w.main.risk_queue"
        if self._landed:  # a child's rows by an indexed lookup, not a scan of every run's rows
            c = wh.cur()
            for t in ("risk_queue", "risk_indicator"):
                c.execute(f"CREATE TABLE memory.main.jr_{t} AS SELECT * FROM w.main.{t}")
                c.execute(f"CREATE INDEX ix_jr_{t} ON memory.main.jr_{t}(person_id)")
            self.queue_table = "memory.main.jr_risk_queue"
            # and one child's rows for the person page by a binary search in memory (no query: web/search_index.py)
            from joinedup.warehouse.sorted_rows import SortedRows

            self._by_person = {t: SortedRows(c.sql(f"SELECT * FROM memory.main.jr_{t} ORDER BY person_id").to_arrow_table(),
                                             "person_id") for t in ("risk_queue", "risk_indicator")}

    def landed(self) -> bool:
        """True once `joinedup risk` has stored a queue in this warehouse."""
        return self._landed

    def run_for(self, p: Principal) -> dict[str, Any] | None:
        """The queue run this principal works from: their organisation's own run if any, else the national one; under
        --as-of, the newest computed on data as of that date or before (stage_runs.stage_run)."""
        if not self.landed():
            return None
        return stage_run(self.wh, "risk", p.org)

    def _scope_sql(self, p: Principal) -> tuple[str, list[Any]]:
        # practitioners: children known to their authority; investigators: children their force holds a record of
        # an inquiry account limited to areas under inquiry: children known to an organisation in those areas
        orgs = [p.org] if p.role in ("practitioner", "investigator") else sorted(org_scope(p) or ())
        if orgs:
            marks = ", ".join("?" for _ in orgs)
            return (f"""AND q.person_id IN (SELECT wp.person_id FROM memory.main.web_person wp
                       JOIN memory.main.web_record wr ON wr.source = wp.source AND wr.source_record_id = wp.source_record_id
                       WHERE wr.org_code IN ({marks}))""", orgs)
        return "", []

    def queue(self, p: Principal, page_no: int = 1, size: int = DEFAULT_PAGE_SIZE) -> dict[str, Any]:
        """One page of the ranked queue in this principal's scope, each child with reasons and evidence."""
        from joinedup.risk.indicators import model

        run = self.run_for(p)
        if run is None:
            return {"landed": False, "run": None, "total": 0, "page": page_no, "pages": 0, "children": [],
                    **explain(self.wh, "risk")}
        scope, args = self._scope_sql(p)
        cur = self.wh.cur()
        total = cur.execute(f"SELECT count(*) FROM {self.queue_table} q WHERE q.run_id = ? {scope}", [run["run_id"], *args]).fetchone()[0]
        rows = cur.execute(
            f"""SELECT q.rank, q.person_id, q.score, q.harm_points, q.reasons FROM {self.queue_table} q WHERE q.run_id = ? {scope}
                ORDER BY q.rank LIMIT ? OFFSET ?""", [run["run_id"], *args, size, (page_no - 1) * size]).fetchall()
        pids = [r[1] for r in rows]
        orgs: dict[str, set[str]] = {}
        for rec in self.wh._records_of(pids):  # one batch of indexed lookups for the page, not one per child
            orgs.setdefault(rec["person_id"], set()).add(rec["org_code"])
        inds = self._indicators(pids, run["run_id"])
        children = [self._child(p, run, r[0], r[1], r[2], r[3], r[4], model(), orgs.get(r[1], set()), inds.get(r[1], []))
                    for r in rows]
        children = [c for c in children if c is not None]
        return {"landed": True, "run": self._run_out(p, run), "total": total, "page": page_no,
                "pages": max(1, math.ceil(total / size)), "flag_score": model()["flag_score"], "children": children}

    def _run_out(self, p: Principal, run: dict[str, Any]) -> dict[str, Any]:
        return {"run_id": run["run_id"], "as_of": run["as_of"].isoformat(), "org": run["org"],
                "children_10_17": run["children"], "with_any_indicator": run["flagged"],
                **({"label": run["label"]} if run.get("label") else {})}

    def _indicators(self, pids: list[str], run_id: str) -> dict[str, list[dict[str, Any]]]:
        """The indicators that fired for these children in this run, by person id (indexed lookups)."""
        if not pids:
            return {}
        cols = ("person_id", "indicator", "kind", "points", "n_evidence", "first_date", "last_date", "evidence", "details")
        rows = [tuple(r[k] for k in ("run_id", *cols)) for r in self._by_person["risk_indicator"].rows_for(pids)]
        out: dict[str, list[dict[str, Any]]] = {}
        for r in sorted((r for r in rows if r[0] == run_id), key=lambda r: (r[3], -r[4], r[2])):  # kind, points, name
            out.setdefault(r[1], []).append(dict(zip(cols, r[1:])))
        return out

    def _child(self, p: Principal, run: dict[str, Any], rank: int, person_id: str, score: int, harm: int,
               reasons: str, m: dict[str, Any], orgs: set[str], inds: list[dict[str, Any]]) -> dict[str, Any] | None:
        if not person_visible(p, orgs).allowed:
            return None
        labels = _labels()
        shaped = [shape_indicator(self.wh, p, r, orgs, labels) for r in inds]
        prob = 1 / (1 + math.exp(-(m["intercept_log_odds"] + score / m["points_per_log_odds"])))
        return {"person_id": person_id, "rank": rank, "score": score, "harm_points": harm,
                "probability_12m": round(prob, 4), "flagged": score >= m["flag_score"],
                "reasons": [i["reason"] for i in shaped], "indicators": shaped,
                # the stored line, for the roles that see every indicator (the same words the CLI prints)
                "reasons_line": reasons if p.role != "investigator" else None}

    def for_person(self, p: Principal, person_id: str) -> dict[str, Any]:
        """This child's entry in the principal's queue run: score, reasons, evidence (or why there is none)."""
        from joinedup.risk.indicators import model

        run = self.run_for(p)
        if run is None:
            return {"landed": False, "run": None, "child": None, **explain(self.wh, "risk")}
        row = self._queue_row(person_id, run["run_id"], ("rank", "score", "harm_points", "reasons"))
        child = self._child(p, run, row[0], person_id, row[1], row[2], row[3], model(), self.wh.person_orgs(person_id),
                            self._indicators([person_id], run["run_id"]).get(person_id, [])) if row else None
        return {"landed": True, "run": self._run_out(p, run), "flag_score": model()["flag_score"], "child": child}

    def _queue_row(self, person_id: str, run_id: str, cols: tuple[str, ...]) -> tuple | None:
        """These columns of the child's queue row in this run (None when not in it), from memory."""
        rows = [r for r in self._by_person["risk_queue"].rows_for([person_id]) if r["run_id"] == run_id]
        return tuple(rows[0][c] for c in cols) if rows else None

    def queue_entry(self, p: Principal, person_id: str) -> dict[str, Any] | None:
        """The raw queue row a decision is made on, if the child is in this principal's scoped queue (else None)."""
        run = self.run_for(p)
        if run is None:
            return None
        if p.role in ("practitioner", "investigator") and p.org not in self.wh.person_orgs(person_id):
            return None  # the same scope as the queue's: children with a record from their organisation
        row = self._queue_row(person_id, run["run_id"], ("score", "reasons"))
        if row is None:
            return None
        return {"run_id": run["run_id"], "as_of": run["as_of"], "score": row[0], "reasons": row[1]}
