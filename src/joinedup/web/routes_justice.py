"""Justice pages: the stage at a glance, and the downgrades, disregards and cases-to-reopen lists (+ API and CSV)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from joinedup.errors import UserError
from joinedup.web import data_justice as dj
from joinedup.web.csvsafe import to_csv
from joinedup.web.routes_pages import REASON_MAX, REASON_MIN, check_reason, reason_form, reason_given

REASON_KEY = "justice"  # one reason covers the three lists for the rest of the session


def add_justice_routes(app: FastAPI, guard, page, record, wh, *, sessions, csrf_form) -> None:
    """/justice, /justice/{list}, /justice/{list}.csv, their /api twins, and the reason form's POST."""

    def overview(request: Request) -> dict[str, Any]:
        p, _ = guard(request, "justice")
        data = dj.overview(wh, p)
        record(p, "justice.view", target="justice")
        return data

    @app.get("/justice", include_in_schema=False)
    def justice_page(request: Request):
        return page(request, "justice.html", {"d": overview(request)})

    @app.get("/api/justice", tags=["justice"])
    def justice_api(request: Request) -> dict[str, Any]:
        """The justice stage's latest run, the size of each list and national attrition by year (aggregates)."""
        return overview(request)

    @app.post("/justice/reason", include_in_schema=False)
    async def justice_reason(request: Request):
        form = await request.form()
        info = csrf_form(request, form)
        guard(request, "justice")
        nxt = str(form.get("next", ""))
        if nxt not in dj.LISTS:
            raise UserError("unknown list: downgrades, disregards or reopen")
        reason = str(form.get("reason", "")).strip()
        err = check_reason(reason)
        if err:
            return reason_form(page, request, "/justice/reason", reason[:REASON_MAX], {"reason": err}, 422, nxt)
        sessions.add_reason(info, REASON_KEY, reason)
        return RedirectResponse(f"/justice/{nxt}", status_code=303)

    def make(key: str) -> None:
        def open_list(request: Request, given: str | None):
            p, info = guard(request, "justice")
            return p, reason_given(info, p, REASON_KEY, given)

        def data_for(p, reason: str, page_no: int) -> dict[str, Any]:
            data = dj.rows(wh, p, key, page_no)
            record(p, "justice.list", target=f"justice:{key}", reason=reason or None, page=data["page"],
                   rows=len(data["rows"]), views=data.get("views", []))
            return data

        def list_page(request: Request, page_no: int = Query(1, ge=1, le=100000, alias="page")):
            p, reason = open_list(request, None)
            if dj.justice_run(wh) is None:
                return page(request, "justice_list.html", {"d": dj.rows(wh, p, key)})
            if reason is None:
                return reason_form(page, request, "/justice/reason", next_path=key)
            return page(request, "justice_list.html", {"d": data_for(p, reason, page_no)})

        def list_api(request: Request, reason: str | None = Query(
                None, min_length=REASON_MIN, max_length=REASON_MAX,
                description="why you need identified data (identified roles)"),
                page_no: int = Query(1, ge=1, le=100000, alias="page", description="100 rows a page")) -> dict[str, Any]:
            p, r = open_list(request, reason)
            if dj.justice_run(wh) is None:
                return dj.rows(wh, p, key)
            if r is None:
                return JSONResponse({"detail": [{"loc": ["query", "reason"], "msg": "give a reason to view identified data"}]},
                                    status_code=422)
            return data_for(p, r, page_no)

        def export(request: Request, reason: str | None) -> Response:
            p, r = open_list(request, reason)
            if r is None and dj.justice_run(wh) is not None:
                raise UserError("give a reason to export identified data (open the list first)")
            data = dj.rows(wh, p, key, page=None)  # every row the role may see
            rows, cols = dj.csv_rows(data)
            record(p, "justice.export", target=f"justice:{key}", reason=r or None, rows=len(rows))
            return Response(to_csv(rows, cols), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="justice-{key}.csv"'})

        def csv_page(request: Request):
            return export(request, None)

        def csv_api(request: Request, reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX)):
            return export(request, reason)

        title = dj.LISTS[key]["title"]
        list_api.__doc__ = f"{title}: {dj.LISTS[key]['what']}; each row with its reasons and source records, as your role may see it."
        csv_api.__doc__ = f"{title} as CSV (spreadsheet formulae neutralised), as your role may see them."
        app.add_api_route(f"/justice/{key}", list_page, methods=["GET"], include_in_schema=False)
        app.add_api_route(f"/justice/{key}.csv", csv_page, methods=["GET"], include_in_schema=False)
        app.add_api_route(f"/api/justice/{key}", list_api, methods=["GET"], tags=["justice"], name=f"justice_{key}_api")
        app.add_api_route(f"/api/justice/{key}.csv", csv_api, methods=["GET"], tags=["justice"], name=f"justice_{key}_csv")

    for k in dj.LISTS:
        make(k)
