"""Groups list and group pages (network stage), with their JSON twins and the network drawing's data route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from joinedup.errors import UserError
from joinedup.web import data_groups as dg
from joinedup.web.routes_pages import REASON_MAX, REASON_MIN, check_reason, reason_form, reason_given

SORT = r"^(" + "|".join(dg.SORTS) + r")$"


def add_groups_routes(app: FastAPI, guard, page, record, wh, *, sessions, csrf_form) -> None:
    """/groups, /groups/{id} (with a reason for identified roles), /api/groups, /api/groups/{id}[/network]."""

    def check_id(group_id: str) -> None:
        if not dg.GROUP_ID.match(group_id or ""):
            raise UserError("group id: G- and 6 to 40 hexadecimal digits, as listed on the groups page")

    def listing(request: Request, sort: str) -> tuple[Any, dict[str, Any]]:
        p, _ = guard(request, "groups")
        data = dg.list_groups(wh, p, sort)
        record(p, "groups.view", target="groups", shown=len(data["groups"]))
        return p, data

    @app.get("/groups", include_in_schema=False)
    def groups_page(request: Request, sort: str = Query("priority", pattern=SORT)):
        _, data = listing(request, sort)
        return page(request, "groups.html", {"d": data})

    @app.get("/api/groups", tags=["groups"])
    def groups_api(request: Request, sort: str = Query("priority", pattern=SORT,
                                                         description="priority, victims, suspects, last-seen, "
                                                                     "first-detectable or gap")) -> dict[str, Any]:
        """Groups found by the network stage with priority and its reasons, counts, forces, span, first detectable
        against first charged (no person-level data)."""
        return listing(request, sort)[1]

    def open_group(request: Request, group_id: str, given: str | None):
        p, info = guard(request, "groups")
        check_id(group_id)
        return p, info, reason_given(info, p, f"group:{group_id}", given)

    def load(p, group_id: str) -> dict[str, Any] | None:
        try:
            return dg.group(wh, p, group_id)
        except dg.NoSuchGroup:
            return None

    def missing(request: Request):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "no such group in the latest network run"}, status_code=404)
        return page(request, "error.html", {"title": "Page not found",
                                            "message": "There is no such group in the latest network run."}, 404)

    @app.get("/groups/{group_id}", include_in_schema=False)
    def group_page(request: Request, group_id: str):
        p, info, reason = open_group(request, group_id, None)
        if dg.network_run(wh) is None:  # nothing identified to show: say the stage has not run, no reason asked
            return page(request, "group.html", {"d": dg.not_landed(wh, group_id=group_id), "chart": _chart([])})
        if reason is None:
            return reason_form(page, request, f"/groups/{group_id}/reason")
        data = load(p, group_id)
        if data is None:
            return missing(request)
        record(p, "group.view", target=f"group:{group_id}", reason=reason or None, members=len(data.get("members", [])))
        return page(request, "group.html", {"d": data, "chart": _chart(data.get("timeline", []))})

    @app.post("/groups/{group_id}/reason", include_in_schema=False)
    async def group_reason(request: Request, group_id: str):
        form = await request.form()
        info = csrf_form(request, form)
        guard(request, "groups")
        check_id(group_id)
        reason = str(form.get("reason", "")).strip()
        err = check_reason(reason)
        if err:
            return reason_form(page, request, f"/groups/{group_id}/reason", reason[:REASON_MAX], {"reason": err}, 422)
        sessions.add_reason(info, f"group:{group_id}", reason)
        return RedirectResponse(f"/groups/{group_id}", status_code=303)

    def api_reason_missing() -> JSONResponse:
        return JSONResponse({"detail": [{"loc": ["query", "reason"], "msg": "give a reason to view identified data"}]},
                            status_code=422)

    @app.get("/api/groups/{group_id}", tags=["groups"])
    def group_api(request: Request, group_id: str,
                  reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX,
                                             description="why you need identified data (identified roles)")) -> dict[str, Any]:
        """One group: members with roles and why each is in (ties and source records), victims, timeline, crimes and
        outcomes, key people; people and records as your role may see them."""
        p, _, r = open_group(request, group_id, reason)
        if dg.network_run(wh) is None:
            return dg.not_landed(wh, group_id=group_id)
        if r is None:
            return api_reason_missing()
        data = load(p, group_id)
        if data is None:
            return missing(request)
        record(p, "group.view", target=f"group:{group_id}", reason=r or None, members=len(data.get("members", [])))
        return data

    @app.get("/api/groups/{group_id}/network", tags=["groups"])
    def group_network_api(request: Request, group_id: str,
                          reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX)) -> dict[str, Any]:
        """The group's network as Cytoscape.js elements (the group page draws it from here)."""
        p, _, r = open_group(request, group_id, reason)
        if dg.network_run(wh) is None:
            return dg.not_landed(wh, group_id=group_id, nodes=[], edges=[])
        if r is None:
            return api_reason_missing()
        data = load(p, group_id)
        if data is None:
            return missing(request)
        record(p, "group.network", target=f"group:{group_id}", reason=r or None, members=len(data["members"]))
        return dg.graph(data, p) | {"landed": True}


def _chart(timeline: list[dict[str, int]]) -> dict[str, Any]:
    """Bars for an inline SVG chart of activity by year (drawn on the server: no script, no inline style)."""
    if not timeline:
        return {"bars": [], "width": 0, "height": 0}
    top = max(max(t["committed"], t["reported"], t["ties_recorded"]) for t in timeline) or 1
    step, bar, h = 30, 8, 120
    bars = []
    for i, t in enumerate(timeline):
        x = 40 + i * step
        for j, (k, colour) in enumerate((("committed", "#d4351c"), ("reported", "#1d70b8"), ("ties_recorded", "#505a5f"))):
            height = round(h * t[k] / top)
            bars.append({"x": x + j * bar, "y": 10 + h - height, "w": bar - 1, "h": height, "fill": colour,
                         "title": f"{t['year']}: {t[k]} {k.replace('_', ' ')}"})
    labels = [{"x": 40 + i * step + 12, "y": h + 28, "text": str(t["year"])} for i, t in enumerate(timeline)
              if i % max(1, len(timeline) // 10) == 0]
    return {"bars": bars, "labels": labels, "width": 60 + len(timeline) * step, "height": h + 40, "top": top}
