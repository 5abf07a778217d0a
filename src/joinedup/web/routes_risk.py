"""The risk review queue (/risk, /api/risk) and review decisions on children in it (POST, CSRF-protected)."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from joinedup.errors import UserError
from joinedup.state.review import DECISION_LABELS, DECISIONS, add_decision, decisions_of
from joinedup.web.access import Principal, person_visible
from joinedup.web.auth import csrf_ok
from joinedup.web.data import Warehouse, valid_person_id
from joinedup.web.data_person import decisions as shape_decisions
from joinedup.web.data_risk import RiskData

NOTE_MAX = 500


class RiskDecisionIn(BaseModel):
    """A review decision on a child in the risk queue, posted to the API."""

    person_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    decision: str = Field(pattern=r"^(no-concern|referred|action-taken)$",
                          description="no-concern (no further action) | referred | action-taken")
    note: str | None = Field(default=None, max_length=NOTE_MAX)


def user_orgs(engine) -> dict[str, str]:
    """Web users' names -> organisation (to say whose decision it was, and whose notes an investigator may read)."""
    from joinedup.state.accounts import list_users

    return {u.name: u.org for u in list_users(engine)}


def add_risk_routes(app: FastAPI, guard: Callable, page: Callable, record: Callable, wh: Warehouse, *,
                    engine, csrf_form: Callable, denied: type[Exception]) -> RiskData:
    """Add the queue page and API and the decision routes; return the RiskData the person page uses too."""
    risk = RiskData(wh)

    def queue_data(p: Principal, page_no: int) -> dict[str, Any]:
        q = risk.queue(p, page_no)
        ds = decisions_of(engine, [c["person_id"] for c in q["children"]])
        orgs = user_orgs(engine) if ds else {}
        for c in q["children"]:
            c["decisions"] = shape_decisions(p, ds.get(c["person_id"], []), orgs)
        q["can_decide"] = p.role in ("practitioner", "investigator")
        q["decisions"] = dict(DECISION_LABELS)
        record(p, "risk.view", page=page_no, shown=[c["person_id"] for c in q["children"]],
               run_id=(q["run"] or {}).get("run_id"))
        return q

    @app.get("/risk", include_in_schema=False)
    def risk_page(request: Request, page_no: int = Query(1, ge=1, le=100000, alias="page")):
        p, _ = guard(request, "risk")
        return page(request, "risk.html", {"q": queue_data(p, page_no)})

    @app.get("/api/risk", tags=["risk"])
    def risk_api(request: Request, page_no: int = Query(1, ge=1, le=100000, alias="page")) -> dict[str, Any]:
        """Children ranked by the risk stage in your scope (25 a page), with reasons, evidence and decisions so far."""
        p, _ = guard(request, "risk")
        return queue_data(p, page_no)

    def decide_child(p: Principal, person_id: str, decision: str, note: str | None) -> dict[str, Any]:
        orgs = wh.person_orgs(person_id)
        if not orgs:
            raise UserError("there is no such child")
        v = person_visible(p, orgs)
        if not v.allowed:
            record(p, "access.denied", target=f"person:{person_id}", status=403, why=v.reason)
            raise denied(403, v.reason)
        entry = risk.queue_entry(p, person_id)
        if entry is None:
            raise UserError("that child is not in your risk review queue")
        row = add_decision(engine, person_id, decision, p.name, note, entry)
        record(p, "risk.decision", target=f"person:{person_id}", decision=decision, decision_id=row["id"],
               run_id=entry["run_id"], score=entry["score"])
        return {"decision_id": row["id"], "person_id": person_id, "decision": decision,
                "decided_at": row["decided_at"].isoformat()}

    @app.post("/risk", include_in_schema=False)
    async def risk_post(request: Request):
        form = await request.form()
        csrf_form(request, form)
        p, _ = guard(request, "risk_decide")
        person_id = str(form.get("person_id", ""))[:64]
        decision = str(form.get("decision", ""))
        note = str(form.get("note", "")).strip()
        errors = {}
        if not valid_person_id(person_id):
            errors["person_id"] = "Open the child's page from the risk review queue and record the decision there"
        if decision not in DECISIONS:
            errors["decision"] = "Choose no concern, referred or action taken"
        if len(note) > NOTE_MAX:
            errors["note"] = f"The note must be {NOTE_MAX} characters or fewer"
        if not errors:
            try:
                decide_child(p, person_id, decision, note or None)
            except UserError as e:
                errors["decision"] = str(e)
        if errors:
            return page(request, "risk_decide.html", {"person_id": person_id if valid_person_id(person_id) else "",
                                                      "errors": errors, "note": note[:NOTE_MAX], "decision": decision,
                                                      "decisions": DECISION_LABELS}, 422)
        return RedirectResponse(f"/persons/{person_id}?decided=1#risk", status_code=303)

    def decide_gate(request: Request):
        # a dependency, so the gate runs before FastAPI validates the body: the anonymous get 401, not a schema
        return guard(request, "risk_decide")

    @app.post("/api/risk", tags=["risk"])
    def risk_api_post(request: Request, body: RiskDecisionIn, gate=Depends(decide_gate)) -> dict[str, Any]:
        """Record a review decision on a child in your queue (needs the X-CSRF-Token header from /api/me)."""
        p, info = gate
        if not csrf_ok(info, request.headers.get("x-csrf-token")):
            raise denied(403, "missing or wrong X-CSRF-Token header")
        return decide_child(p, body.person_id, body.decision, body.note)

    return risk
