"""The justice lists' data (docs/justice.md: justice_downgrade, justice_disregard, justice_reopen), shaped per role.

Each row is about one person (the victim of a downgraded charge, the person with a conviction to disregard, the
suspect of a closed case) and held by one organisation (the force whose record it is): access.record_view of that
organisation and that person's organisations decides how the row shows, as it does for a person's records.
Identified rows show every field; pseudonymised rows show pseudonyms for record references, months for dates and no
date of birth, phone number or vehicle; pointer rows (another force's case, for an investigator) show only what the
case is and who holds it; rows a practitioner may not see (a person not known to their authority) are left out.
"""

from __future__ import annotations

from typing import Any

from joinedup.justice.attrition import TIME_COLUMNS, TIME_LABELS, TIMES
from joinedup.web.access import Principal
from joinedup.web.data import Warehouse
from joinedup.web.data_pages import REF, Shaper, org_of
from joinedup.web.stage_runs import explain, stage_run

LISTS = {
    "downgrades": {"table": "justice_downgrade", "title": "Downgraded charges",
                   "what": "rape of a child under 16 recorded at report, charged as a lesser offence that is not rape",
                   "order": "force, year, source, source_record_id"},
    "disregards": {"table": "justice_disregard", "title": "Convictions to disregard",
                   "what": "people charged, cautioned or convicted as children of prostitution-related offences who are "
                           "recorded as victims of sexual exploitation",
                   "order": "person_id"},
    "reopen": {"table": "justice_reopen", "title": "Cases to reopen",
               "what": "closed cases (no further action, or charged but not prosecuted) with new linked intelligence "
                       "about the same suspect, ranked",
               "order": "rank"},
}
# CSV columns per list (the fields a row may carry; a row shows only those its view allows)
CSV_COLUMNS = {
    "downgrades": ["view", "force", "year", "charge_record", "crime_record", "suspect_record", "victim_records",
                   "victim_person_id", "offence_recorded", "offence_charged", "court_result", "date_committed",
                   "victim_dob_estimate", "dob_basis", "age_at_offence", "age_certainty", "reason", "pointer"],
    "disregards": ["view", "force", "person_id", "convictions", "conviction_records", "corroboration",
                   "victim_records", "victim_evidence", "match_probability", "min_age_at_offence", "reason", "pointer"],
    "reopen": ["view", "rank", "score", "force", "closing_record", "crime_record", "suspect_record",
               "suspect_person_id", "offence", "closed_on", "closed_as", "reasons", "evidence_records", "pointer"],
}


def justice_run(wh: Warehouse) -> dict[str, Any] | None:
    """The justice run this server may show (stage_runs.stage_run: under --as-of, one on data as of that date or
    before), or None."""
    return stage_run(wh, "justice")


def overview(wh: Warehouse, p: Principal) -> dict[str, Any]:
    """The justice stage at a glance: the run, the three lists' sizes, national attrition by year (aggregates)."""
    run = justice_run(wh)
    if run is None:
        return {"landed": False, "run": None, "lists": _list_meta(), "attrition": [],
                **explain(wh, "justice")}
    cols = ("year", "reported", "suspect_identified", "charged", "prosecuted", "convicted",
            "median_days_report_to_outcome", *TIME_COLUMNS)
    rows = wh.cur().execute(f"""SELECT {', '.join(cols)} FROM justice_attrition
                               WHERE force = 'ALL' ORDER BY year NULLS LAST""").fetchall()
    times = [{"name": name, "label": TIME_LABELS[name]} for name, *_ in TIMES]
    return {"landed": True, "run": run, "lists": _list_meta(), "attrition": [dict(zip(cols, r)) for r in rows],
            "times": times}


def _list_meta() -> list[dict[str, str]]:
    return [{"key": k, "title": v["title"], "what": v["what"]} for k, v in LISTS.items()]


PER_PAGE = 100


def rows(wh: Warehouse, p: Principal, key: str, page: int | None = 1) -> dict[str, Any]:
    """One list's rows as this principal may see them (100 a page; page=None: all), each with its reasons and records."""
    spec = LISTS[key]
    run = justice_run(wh)
    if run is None:
        return {"landed": False, "key": key, "title": spec["title"], "what": spec["what"], "run": None, "rows": [],
                "total": 0, "page": 1, "pages": 1, **explain(wh, "justice")}
    cur = wh.cur().execute(f"SELECT * FROM {spec['table']} ORDER BY {spec['order']}")
    cols = [c[0] for c in cur.description]
    raw = [dict(zip(cols, r)) for r in cur.fetchall()]
    person_col = {"downgrades": "victim_person_id", "disregards": "person_id", "reopen": "suspect_person_id"}[key]
    sh = Shaper(wh, p)
    orgs_of = _orgs_of(wh, spec["table"], person_col)
    visible = []
    for r in raw:
        orgs = orgs_of.get(r[person_col], set())
        force = _force(key, r)
        view = sh.view(force, orgs)
        if view is not None:  # None: a practitioner, and the person is not known to their authority
            visible.append((r, view, force, orgs))
    total, pages = len(visible), max(1, -(-len(visible) // PER_PAGE))
    if page is not None:
        page = min(max(1, page), pages)
        visible = visible[(page - 1) * PER_PAGE: page * PER_PAGE]
    shape = {"downgrades": _downgrade, "disregards": _disregard, "reopen": _reopen}[key]
    out = [shape(sh, r, view, force, orgs) for r, view, force, orgs in visible]
    return {"landed": True, "key": key, "title": spec["title"], "what": spec["what"], "run": run, "rows": out,
            "total": total, "page": page or 1, "pages": pages if page is not None else 1,
            "views": sorted({r["view"] for r in out})}


def _orgs_of(wh: Warehouse, table: str, person_col: str) -> dict[str, set[str]]:
    """The organisations holding records of each person a list names (one join in the warehouse)."""
    rows = wh.cur().execute(f"""SELECT lp.person_id, list(DISTINCT pr.org_code)
                                FROM link_person lp JOIN person_record pr USING (source, source_record_id)
                                WHERE lp.person_id IN (SELECT {person_col} FROM {table}) GROUP BY 1""").fetchall()
    return {pid: set(orgs) for pid, orgs in rows}


def _force(key: str, r: dict[str, Any]) -> str:
    if key == "disregards":
        m = REF.search(r["conviction_records"] or "")
        return org_of(m.group(1)) if m else "unknown"
    return r["force"] or org_of(r["source"])


def _ref(sh: Shaper, source: str, rid: str | None, orgs: set[str]) -> str | None:
    return sh.ref(source, rid, orgs)["text"] if rid else None


def _pointer(force: str, **fields: Any) -> dict[str, Any]:
    return {"view": "pointer", "force": force, **fields,
            "pointer": f"Held by {force}: ask {force} for the records behind this case"}


def _downgrade(sh: Shaper, r: dict[str, Any], view: str, force: str, orgs: set[str]) -> dict[str, Any]:
    if view == "pointer":
        return _pointer(force, year=r["year"], offence_recorded=r["offence_recorded"],
                        offence_charged=r["offence_charged"], court_result=r["court_result"])
    ident = view == "identified"
    reason = r["reason"] if ident else (r["reason"] or "").replace(r["dob_basis"] or "\x00", "date of birth basis withheld")
    row = {"view": view, "force": force, "year": r["year"],
           "charge_record": _ref(sh, r["source"], r["source_record_id"], orgs),
           "crime_record": _ref(sh, r["source"], r["crime_record_id"], orgs),
           "suspect_record": _ref(sh, r["source"], r["suspect_record_id"], orgs),
           "victim_records": sh.ref_texts((r["victim_records"] or "").split(";") if r["victim_records"] else [], orgs),
           "victim_person_id": r["victim_person_id"], "offence_recorded": r["offence_recorded"],
           "offence_charged": r["offence_charged"], "court_result": r["court_result"],
           "date_committed": sh.date(r["date_committed"]), "age_at_offence": r["age_at_offence"],
           "age_certainty": r["age_certainty"], "reason": sh.text(reason, orgs, ident)}
    if ident:
        row |= {"victim_dob_estimate": r["victim_dob_estimate"].isoformat() if r["victim_dob_estimate"] else None,
                "dob_basis": r["dob_basis"]}
    return row


def _disregard(sh: Shaper, r: dict[str, Any], view: str, force: str, orgs: set[str]) -> dict[str, Any]:
    if view == "pointer":
        return _pointer(force, corroboration=r["corroboration"], min_age_at_offence=r["min_age_at_offence"])
    ident = view == "identified"
    return {"view": view, "force": force, "person_id": r["person_id"],
            "convictions": sh.text(r["convictions"], orgs, ident),
            "conviction_records": sh.ref_texts((r["conviction_records"] or "").split(";"), orgs),
            "corroboration": r["corroboration"], "victim_records": sh.text(r["victim_records"], orgs, ident),
            "victim_evidence": sh.text(r["victim_evidence"], orgs, ident),
            "match_probability": round(float(r["match_probability"]), 4) if r["match_probability"] is not None else None,
            "min_age_at_offence": r["min_age_at_offence"], "reason": sh.text(r["reason"], orgs, ident)}


def _reopen(sh: Shaper, r: dict[str, Any], view: str, force: str, orgs: set[str]) -> dict[str, Any]:
    if view == "pointer":
        return _pointer(force, rank=r["rank"], score=r["score"], offence=r["offence"])
    ident = view == "identified"
    return {"view": view, "rank": r["rank"], "score": r["score"], "force": force,
            "closing_record": _ref(sh, r["source"], r["source_record_id"], orgs),
            "crime_record": _ref(sh, r["source"], r["crime_record_id"], orgs),
            "suspect_record": _ref(sh, r["source"], r["suspect_record_id"], orgs),
            "suspect_person_id": r["suspect_person_id"], "offence": r["offence"],
            "closed_on": sh.date(r["closed_on"]), "closed_as": r["closed_as"],
            "reasons": sh.text(r["reasons"], orgs, ident),
            "evidence_records": sh.ref_texts((r["evidence_records"] or "").split(";"), orgs)}


def csv_rows(data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """A list's shaped rows flattened for CSV (lists joined with ';'), and its columns."""
    cols = CSV_COLUMNS[data["key"]]
    flat = [{k: (";".join(v) if isinstance(v, list) else v) for k, v in r.items()} for r in data["rows"]]
    return flat, [c for c in cols if any(c in r for r in flat)] or ["view"]
