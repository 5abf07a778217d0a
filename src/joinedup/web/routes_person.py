"""The person page's chronology, risk and network sections, and the full chronology page (/persons/{id}/chronology)."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from joinedup.state.review import DECISION_LABELS, ReviewDecision, decision_dict
from joinedup.web.access import Principal
from joinedup.web.data import Warehouse
from joinedup.web.data_person import CHRONOLOGY_ON_PAGE, PersonIndex, chronology, decisions, network
from joinedup.web.data_risk import RiskData
from joinedup.web.routes_pages import reason_form
from joinedup.web.routes_risk import user_orgs

REASON_MIN, REASON_MAX = 10, 500
REPLACED_SECTIONS = ("risk", "groups")  # the seams in Warehouse.person these sections fill


def add_person_routes(app: FastAPI, guard: Callable, page: Callable, record: Callable, wh: Warehouse, *,
                      engine, risk: RiskData, open_person: Callable, reason_for: Callable) -> Callable:
    """Add the chronology page and API; return `sections(request, p, person_id, data)` for the person page."""
    index = PersonIndex(wh)
    from sqlalchemy import bindparam, select

    t = ReviewDecision.__table__
    # state.review.decisions_of's query for one child, without the ORM (a third of a millisecond each person page)
    decisions_sql = select(t).where(t.c.person_id == bindparam("pid")).order_by(t.c.decided_at, t.c.id)

    def decisions_of_one(person_id: str) -> list[dict[str, Any]]:
        with engine.connect() as con:
            return [decision_dict(r) for r in con.execute(decisions_sql, {"pid": person_id})]

    def sections(request: Request | None, p: Principal, person_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Add chronology (latest entries), risk flags with reasons, network and review decisions to a person's data."""
        orgs = set(data["organisations"])
        data["sections"] = {k: v for k, v in data["sections"].items() if k not in REPLACED_SECTIONS}
        data["chronology"] = chronology(wh, p, person_id, orgs, limit=CHRONOLOGY_ON_PAGE, index=index)
        data["risk"] = risk.for_person(p, person_id)
        data["network"] = network(wh, p, person_id, orgs, index=index)
        rows = decisions_of_one(person_id)
        data["review_decisions"] = decisions(p, rows, user_orgs(engine) if rows else {})
        data["can_decide"] = (p.role in ("practitioner", "investigator") and data["risk"].get("child") is not None
                              and risk.queue_entry(p, person_id) is not None)
        if request is not None and not request.url.path.startswith("/api/"):
            data["decision_labels"] = DECISION_LABELS
            data["decided"] = request.query_params.get("decided") == "1"
        return data

    def chronology_data(p: Principal, person_id: str, orgs: set[str], reason: str | None) -> dict[str, Any]:
        c = chronology(wh, p, person_id, orgs, index=index)
        record(p, "chronology.view", target=f"person:{person_id}", reason=reason or None, entries=c["total"])
        return {"person_id": person_id, "organisations": sorted(orgs), "chronology": c}

    @app.get("/persons/{person_id}/chronology", include_in_schema=False)
    def chronology_page(request: Request, person_id: str):
        p, info, orgs = open_person(request, "person", person_id)
        reason = reason_for(info, p, person_id, None)
        if reason is None:
            return reason_form(page, request, f"/persons/{person_id}/reason", one=True)
        return page(request, "chronology.html", {"d": chronology_data(p, person_id, orgs, reason)})

    @app.get("/api/persons/{person_id}/chronology", tags=["persons"])
    def chronology_api(request: Request, person_id: str,
                       reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX,
                                                  description="why you need identified data (identified roles)")) -> dict[str, Any]:
        """Everything recorded about a person by every agency, in date order, and who knew what when, as your role may see it."""
        p, info, orgs = open_person(request, "person", person_id)
        r = reason_for(info, p, person_id, reason)
        if r is None:
            return JSONResponse({"detail": [{"loc": ["query", "reason"], "msg": "give a reason to view identified data"}]},
                                status_code=422)
        return chronology_data(p, person_id, orgs, r)

    return sections
