"""The FastAPI application: GOV.UK Frontend pages and a JSON API over the same scoped data."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import time
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from pydantic import BaseModel, Field

from joinedup.errors import UserError
from joinedup.state import audit
from joinedup.web.access import PERMISSIONS, ROLE_LABELS, Principal, decide, person_visible
from joinedup.web.auth import Sessions, SessionInfo, csrf_ok
from joinedup.web.csvsafe import to_csv
from joinedup.web.oidc import OidcConfig
from joinedup.web.data import STAGES, SearchInputError, Warehouse, valid_person_id
from joinedup.web.routes_pages import REPLACED as PAGES_REPLACED, add_pages_routes, check_reason, reason_form
from joinedup.web.routes_person import add_person_routes
from joinedup.web.routes_risk import add_risk_routes

log = logging.getLogger("joinedup.web")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "connect-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NAV = (("dashboard", "Dashboard", "/"), ("search", "Search", "/search"), ("review", "Linkage review", "/review"),
       ("groups", "Groups", "/groups"), ("risk", "Risk review", "/risk"), ("justice", "Justice", "/justice"),
       ("statistics", "Statistics", "/statistics"), ("audit", "Audit log", "/audit"), ("users", "Users", "/users"))
REASON_MIN, REASON_MAX = 10, 500
REPLACED = {"risk"} | PAGES_REPLACED  # stage keys whose page has its own routes module (the rest keep the "has it landed?" page)


class Denied(Exception):
    """A request refused: 401 (not signed in) or 403 (signed in, not allowed), with the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class ReviewIn(BaseModel):
    """A linkage review decision posted to the API."""

    token: str = Field(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")
    decision: str = Field(pattern=r"^(same|not-same|unsure)$")
    note: str | None = Field(default=None, max_length=500)


def _templates() -> Jinja2Templates:
    import jinja2

    loader = jinja2.ChoiceLoader([
        jinja2.PackageLoader("joinedup.web", "templates"),
        jinja2.PrefixLoader({"govuk_frontend_jinja": jinja2.PackageLoader("govuk_frontend_jinja")}),
    ])
    # auto_reload off: the templates ship with the package, and checking each imported macro file's mtime on every
    # render was a third of a page's CPU under load (py-spy, benchmarks/bench_web.py)
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.ChainableUndefined, auto_reload=False)
    # govukTable in Python and the page frame rendered once: half a person page's CPU went on those macros (cProfile)
    from joinedup.web.fast_templates import install

    install(env)
    return Jinja2Templates(env=env)


def create_app(db: str, state: str, *, secure_cookies: bool = True, secret: bytes | None = None,
               as_of: "dt.date | None" = None, oidc: "OidcConfig | None" = None) -> FastAPI:
    """The application over a linked warehouse (as known on `as_of`, default now) and a state database."""
    from joinedup.link import DEFAULT_THRESHOLD
    from joinedup.state import open_state
    from joinedup.state.url import state_url

    url = state_url(state)
    engine = open_state(url)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    # the key behind pseudonyms and review tokens: set JOINEDUP_WEB_SECRET to keep them stable across restarts
    secret = secret or (os.environ.get("JOINEDUP_WEB_SECRET", "").encode() or secrets.token_bytes(32))
    wh = Warehouse(db, secret, as_of)
    sessions = Sessions(engine)
    templates = _templates()
    cookie = "__Host-joinedup" if secure_cookies else "joinedup"
    static = resources.files("joinedup.web").joinpath("static")

    app = FastAPI(title="joinedup", version="0.1.0", docs_url=None, redoc_url=None,
                  description="Scoped, audited access to the joined-up picture (synthetic data only). "
                              "Every /api route but /api/health needs a signed-in session.")
    app.state.warehouse = wh  # closed by whoever needs the file back (a link run in the same process)
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.mount("/assets", StaticFiles(directory=str(static.joinpath("govuk", "assets"))), name="assets")

    # --- plumbing -------------------------------------------------------------------------------------------
    async def headers_and_log(scope, receive, send, inner) -> None:
        """Security headers on every response, errors as pages, and our access log line (a pure ASGI middleware:
        Starlette's BaseHTTPMiddleware ran each request in a task group with a memory stream, a cost on every request)."""
        t0 = time.perf_counter()
        request = Request(scope, receive)
        state = {"status": 500, "started": False}

        async def send_headers(message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    headers.setdefault(k, v)
                if secure_cookies:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                if not scope["path"].startswith(("/static/", "/assets/")):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await inner(scope, receive, send_headers)
        except Exception as exc:  # noqa: BLE001 - an error's message can quote SQL holding a name: log its type only
            log.error("error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            if state["started"]:
                raise
            response = (JSONResponse({"detail": "internal error"}, status_code=500) if is_api(request) else
                        page(request, "error.html", {"title": "Sorry, there is a problem", "message": "Try again later."}, 500))
            await response(scope, receive, send_headers)
        # the route's template only (/persons/{person_id}): query strings and path segments can carry names and
        # dates of birth typed by a user, which never reach the server's log (the audit log says who saw whom)
        log.info("%s %s %d %.0fms", request.method, _log_path(request), state["status"], 1000 * (time.perf_counter() - t0))

    app.add_middleware(_PureMiddleware, handler=headers_and_log)

    def session_of(request: Request) -> SessionInfo | None:
        try:
            return request.state.session
        except AttributeError:
            request.state.session = sessions.load(request.cookies.get(cookie))
            return request.state.session

    def set_cookie(resp: Response, info: SessionInfo) -> None:
        resp.set_cookie(cookie, info.token, httponly=True, secure=secure_cookies, samesite="strict", path="/")

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def guard(request: Request, permission: str) -> tuple[Principal, SessionInfo]:
        """The one gate for pages and API: signed in, and the role holds the permission."""
        info = session_of(request)
        p = info.principal if info else None
        if p is None:
            if is_api(request):
                audit.append(engine, actor="anonymous", role="-", org="-", action="access.denied",
                             target=request.url.path, detail={"status": 401})
            raise Denied(401, "Sign in first.")
        d = decide(p, permission)
        if not d.allowed:
            audit.append(engine, actor=p.name, role=p.role, org=p.org, action="access.denied", target=request.url.path,
                         detail={"status": 403, "why": d.reason})
            raise Denied(403, d.reason)
        return p, info

    def record(p: Principal, action: str, target: str | None = None, reason: str | None = None, **detail: Any) -> None:
        audit.append(engine, actor=p.name, role=p.role, org=p.org, action=action, target=target, reason=reason,
                     detail=detail or None)

    def page(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
        info = session_of(request)
        p = info.principal if info else None
        nav = [{"text": t, "href": h, "active": request.url.path == h or (h != "/" and request.url.path.startswith(h))}
               for perm, t, h in NAV if p and decide(p, perm).allowed]
        base = {"principal": p, "role_label": ROLE_LABELS.get(p.role) if p else None, "nav": nav,
                "csrf": info.row.csrf if info else "", "as_of": wh.as_of, "sso": oidc is not None}
        return templates.TemplateResponse(request, name, base | ctx, status_code=status)

    @app.exception_handler(Denied)
    async def on_denied(request: Request, exc: Denied):
        if is_api(request):
            return JSONResponse({"detail": exc.reason}, status_code=exc.status)
        if exc.status == 401:
            nxt = request.url.path if request.url.path.startswith("/") and not request.url.path.startswith("//") else "/"
            return RedirectResponse(f"/login?next={nxt}", status_code=303)
        return page(request, "error.html", {"title": "You cannot see this page", "message": exc.reason}, 403)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid")} for e in exc.errors()]
        if is_api(request):
            return JSONResponse({"detail": errors}, status_code=422)
        msg = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:]) or 'input'}: {e['msg']}" for e in errors)
        return page(request, "error.html", {"title": "Check what you entered", "message": msg}, 422)

    @app.exception_handler(UserError)
    async def on_user_error(request: Request, exc: UserError):
        if is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return page(request, "error.html", {"title": "Check what you entered", "message": str(exc)}, 422)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        log.error("error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        if is_api(request):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return page(request, "error.html", {"title": "Sorry, there is a problem", "message": "Try again later."}, 500)

    def csrf_form(request: Request, form) -> SessionInfo:
        info = session_of(request)
        if not csrf_ok(info, form.get("csrf_token")):
            raise Denied(403, "This form has expired or did not come from this service. Go back and try again.")
        return info

    def reason_for(info: SessionInfo, p: Principal, person_id: str, given: str | None) -> str | None:
        """The reason behind viewing identified data: given now or earlier this session (None when missing)."""
        if not p.identified:
            return ""
        return given or info.reasons().get(person_id)

    # --- sign in --------------------------------------------------------------------------------------------
    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = Query("/", max_length=200)):
        info = session_of(request)
        if info is None or info.row.stage != "anon":
            info = sessions.new()
        request.state.session = info
        resp = page(request, "login.html", {"next": _safe_next(next), "errors": {}})
        set_cookie(resp, info)
        return resp

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        form = await request.form()
        info = csrf_form(request, form)
        name, password = str(form.get("name", ""))[:200], str(form.get("password", ""))[:500]
        nxt = _safe_next(str(form.get("next", "/")))
        errors = {}
        if not name:
            errors["name"] = "Enter your name"
        if not password:
            errors["password"] = "Enter your password"
        user = None
        if not errors:
            user, msg = sessions.password_step(name, password, request.client.host if request.client else "-")
            if msg:
                errors["name"] = msg
        if errors:
            return page(request, "login.html", {"next": nxt, "errors": errors, "name": name[:64]}, 422)
        sessions.end(info)
        new = sessions.new(user.id, "totp" if user.totp_secret else "active")
        request.state.session = new
        if not user.totp_secret:
            audit.append(engine, actor=user.name, role=user.role, org=user.org, action="login.ok")
            resp = RedirectResponse(nxt, status_code=303)
        else:
            resp = RedirectResponse(f"/login/code?next={nxt}", status_code=303)
        set_cookie(resp, new)
        return resp

    @app.get("/login/code", include_in_schema=False)
    def code_form(request: Request, next: str = Query("/", max_length=200)):
        info = session_of(request)
        if info is None or info.row.stage != "totp":
            return RedirectResponse("/login", status_code=303)
        return page(request, "totp.html", {"next": _safe_next(next), "errors": {}})

    @app.post("/login/code", include_in_schema=False)
    async def code(request: Request):
        form = await request.form()
        info = csrf_form(request, form)
        if info.row.stage != "totp" or info.user is None:
            return RedirectResponse("/login", status_code=303)
        nxt = _safe_next(str(form.get("next", "/")))
        msg = sessions.totp_step(info.user, str(form.get("code", "")).strip()[:20],
                                 request.client.host if request.client else "-")
        if msg:
            return page(request, "totp.html", {"next": nxt, "errors": {"code": msg}}, 422)
        sessions.end(info)
        new = sessions.new(info.user.id, "active")
        audit.append(engine, actor=info.user.name, role=info.user.role, org=info.user.org, action="login.ok")
        resp = RedirectResponse(nxt, status_code=303)
        set_cookie(resp, new)
        return resp

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request):
        form = await request.form()
        info = csrf_form(request, form)
        if info.principal:
            record(info.principal, "logout")
        sessions.end(info)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(cookie, path="/", secure=secure_cookies, httponly=True, samesite="strict")
        return resp

    if oidc is not None:  # single sign-on (optional): /login/sso and its callback, in web/oidc.py
        from joinedup.web.oidc import add_oidc_routes

        add_oidc_routes(app, oidc, sessions=sessions, engine=engine, secret=secret, page=page, set_cookie=set_cookie,
                        secure_cookies=secure_cookies, safe_next=_safe_next)

    # --- dashboard --------------------------------------------------------------------------------------------
    def dashboard_data(p: Principal) -> dict[str, Any]:
        if p.role in ("auditor", "admin"):
            return {"national": None, "own_organisation": None, "completeness": [], "stages": {},
                    "as_of": wh.as_of.isoformat() if wh.as_of else None}
        return wh.dashboard(p)

    @app.get("/", include_in_schema=False)
    def dashboard_page(request: Request):
        p, _ = guard(request, "dashboard")
        return page(request, "dashboard.html", {"d": dashboard_data(p)})

    @app.get("/api/dashboard", tags=["dashboard"])
    def dashboard_api(request: Request) -> dict[str, Any]:
        """National and own-organisation figures and data completeness (no case data for auditors and admins)."""
        p, _ = guard(request, "dashboard")
        return dashboard_data(p)

    @app.get("/api/me", tags=["account"])
    def me(request: Request) -> dict[str, Any]:
        """Who is signed in, and which permissions their role holds."""
        p, info = guard(request, "dashboard")
        return {"name": p.name, "role": p.role, "org": p.org, "areas": list(p.areas), "csrf_token": info.row.csrf,
                "permissions": sorted(k for k in PERMISSIONS if decide(p, k).allowed)}

    @app.get("/api/health", tags=["service"])
    def health() -> dict[str, str]:
        """Liveness (no data)."""
        return {"status": "ok"}

    # --- search ---------------------------------------------------------------------------------------------
    _q = dict(default=None, max_length=100)

    def do_search(p: Principal, forename, surname, dob, postcode) -> dict[str, Any]:
        res = wh.search(p, forename=forename, surname=surname, dob=dob, postcode=postcode)
        record(p, "search", fields={k: v for k, v in (("forename", forename), ("surname", surname),
                                                       ("dob", dob), ("postcode", postcode)) if v},
               results=[r["person_id"] for r in res["results"]])
        return res

    @app.get("/search", include_in_schema=False)
    def search_page(request: Request, forename: str | None = Query(**_q), surname: str | None = Query(**_q),
                    dob: str | None = Query(**_q), postcode: str | None = Query(**_q)):
        p, _ = guard(request, "search")
        q = {"forename": forename or "", "surname": surname or "", "dob": dob or "", "postcode": postcode or ""}
        if not any(q.values()):
            return page(request, "search.html", {"q": q, "errors": {}, "res": None})
        try:
            res = do_search(p, forename, surname, dob, postcode)
        except SearchInputError as e:
            return page(request, "search.html", {"q": q, "errors": e.errors, "res": None}, 422)
        return page(request, "search.html", {"q": q, "errors": {}, "res": res})

    @app.get("/api/persons", tags=["persons"])
    def search_api(request: Request, forename: str | None = Query(**_q), surname: str | None = Query(**_q),
                   dob: str | None = Query(**_q), postcode: str | None = Query(**_q)) -> dict[str, Any]:
        """Persons who may match (the linkage model's scoring), best first, as your role may see them."""
        p, _ = guard(request, "search")
        try:
            return do_search(p, forename, surname, dob, postcode)
        except SearchInputError as e:
            return JSONResponse({"detail": e.errors}, status_code=422)

    # --- person -----------------------------------------------------------------------------------------------
    def open_person(request: Request, permission: str, person_id: str) -> tuple[Principal, SessionInfo, set[str]]:
        p, info = guard(request, permission)
        if not valid_person_id(person_id):
            raise UserError("person id: letters, digits, '-' and '_' only")
        orgs = wh.person_orgs(person_id)
        if not orgs:
            raise _NotFound()
        d = person_visible(p, orgs)
        if not d.allowed:
            record(p, "access.denied", target=f"person:{person_id}", status=403, why=d.reason)
            raise Denied(403, d.reason)
        return p, info, orgs

    @app.exception_handler(_NotFound)
    async def on_404(request: Request, exc: Exception):
        if is_api(request):
            return JSONResponse({"detail": "no such person"}, status_code=404)
        return page(request, "error.html", {"title": "Page not found", "message": "There is no such person."}, 404)

    @app.get("/persons/{person_id}", include_in_schema=False)
    def person_page(request: Request, person_id: str):
        p, info, _ = open_person(request, "person", person_id)
        reason = reason_for(info, p, person_id, None)
        if reason is None:
            return reason_form(page, request, f"/persons/{person_id}/reason", one=True)
        data = person_sections(request, p, person_id, wh.person(p, person_id))
        record(p, "person.view", target=f"person:{person_id}", reason=reason or None, view=_view_kind(data))
        return page(request, "person.html", {"d": data})

    @app.post("/persons/{person_id}/reason", include_in_schema=False)
    async def give_reason(request: Request, person_id: str):
        form = await request.form()
        csrf_form(request, form)
        p, info, _ = open_person(request, "person", person_id)
        reason = str(form.get("reason", "")).strip()
        err = check_reason(reason, one=True)
        if err:
            return reason_form(page, request, f"/persons/{person_id}/reason", reason[:REASON_MAX], {"reason": err}, 422,
                               one=True)
        sessions.add_reason(info, person_id, reason)
        return RedirectResponse(f"/persons/{person_id}", status_code=303)

    @app.get("/api/persons/{person_id}", tags=["persons"])
    def person_api(request: Request, person_id: str,
                   reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX,
                                              description="why you need identified data (identified roles)")) -> dict[str, Any]:
        """A person's linked records and why they were linked, as your role may see them."""
        p, info, _ = open_person(request, "person", person_id)
        r = reason_for(info, p, person_id, reason)
        if r is None:
            return JSONResponse({"detail": [{"loc": ["query", "reason"], "msg": "give a reason to view identified data"}]},
                                status_code=422)
        data = person_sections(request, p, person_id, wh.person(p, person_id))
        record(p, "person.view", target=f"person:{person_id}", reason=r or None, view=_view_kind(data))
        return data

    def export(request: Request, person_id: str, reason: str | None) -> Response:
        p, info, _ = open_person(request, "export", person_id)
        r = reason_for(info, p, person_id, reason)
        if r is None:
            raise UserError("give a reason to export identified data (open the person page first)")
        rows = wh.export_rows(p, person_id)
        cols = ["view", "org_code", "agency_type", "ref", "source", "source_record_id", "role", "sex", "age_band",
                "forename", "middle_names", "surname", "dob", "address", "postcode", "pointer"]
        cols = [c for c in cols if any(c in row for row in rows)]
        record(p, "person.export", target=f"person:{person_id}", reason=r or None, rows=len(rows))
        return Response(to_csv(rows, cols), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="person-{person_id}.csv"'})

    @app.get("/persons/{person_id}/records.csv", include_in_schema=False)
    def export_page(request: Request, person_id: str):
        return export(request, person_id, None)

    @app.get("/api/persons/{person_id}/records.csv", tags=["persons"])
    def export_api(request: Request, person_id: str,
                   reason: str | None = Query(None, min_length=REASON_MIN, max_length=REASON_MAX)):
        """The person's records as CSV (spreadsheet formulae neutralised), as your role may see them."""
        return export(request, person_id, reason)

    # --- linkage review -------------------------------------------------------------------------------------
    def judged() -> set:
        from joinedup.link.judgements import live_judgements

        same, not_same = live_judgements(url)
        return {tuple(sorted(pair)) for pair in same + not_same}

    def review_items(p: Principal) -> list[dict[str, Any]]:
        return wh.review_queue(p, DEFAULT_THRESHOLD, judged=judged())

    def decide_pair(p: Principal, token: str, decision: str, note: str | None) -> dict[str, Any]:
        from joinedup.link import record_judgement

        pair = wh.resolve_pair(p, token, DEFAULT_THRESHOLD)
        if pair is None:
            raise UserError("that pair is not in your review queue")
        jid = record_judgement(url, pair[0], pair[1], decision, by=p.name, note=note)
        record(p, "review.decision", target=f"pair:{token}", decision=decision, judgement_id=jid)
        return {"judgement_id": jid, "decision": decision}

    @app.get("/review", include_in_schema=False)
    def review_page(request: Request):
        p, _ = guard(request, "review")
        items = review_items(p)
        record(p, "review.view", shown=len(items))
        return page(request, "review.html", {"items": items[:20], "errors": {}, "done": request.query_params.get("done")})

    @app.post("/review", include_in_schema=False)
    async def review_post(request: Request):
        form = await request.form()
        csrf_form(request, form)
        p, _ = guard(request, "review")
        try:
            body = ReviewIn(token=str(form.get("token", "")), decision=str(form.get("decision", "")),
                            note=(str(form.get("note", "")).strip() or None))
        except Exception:  # noqa: BLE001 - pydantic's message is for developers; the page says what to do
            items = review_items(p)
            return page(request, "review.html", {"items": items[:20], "done": None,
                                                 "errors": {"decision": "Choose same person, not the same person or unsure"}}, 422)
        decide_pair(p, body.token, body.decision, body.note)
        return RedirectResponse("/review?done=1", status_code=303)

    @app.get("/api/review", tags=["review"])
    def review_api(request: Request) -> dict[str, Any]:
        """Record pairs the model was least sure of, not yet judged, as your role may see them."""
        p, _ = guard(request, "review")
        items = review_items(p)
        record(p, "review.view", shown=len(items))
        return {"threshold": DEFAULT_THRESHOLD, "pairs": items}

    def review_gate(request: Request) -> tuple[Principal, SessionInfo]:
        # a dependency, so the gate runs before FastAPI validates the body: the anonymous get 401, not a schema
        return guard(request, "review")

    @app.post("/api/review", tags=["review"])
    def review_api_post(request: Request, body: ReviewIn, gate=Depends(review_gate)) -> dict[str, Any]:
        """Record a judgement on a pair (needs the X-CSRF-Token header from /api/me); it feeds the next link run."""
        p, info = gate
        if not csrf_ok(info, request.headers.get("x-csrf-token")):
            raise Denied(403, "missing or wrong X-CSRF-Token header")
        return decide_pair(p, body.token, body.decision, body.note)

    # --- the other stages' pages ------------------------------------------------------------------------------
    risk = add_risk_routes(app, guard, page, record, wh, engine=engine, csrf_form=csrf_form, denied=Denied)
    person_sections = add_person_routes(app, guard, page, record, wh, engine=engine, risk=risk,
                                        open_person=open_person, reason_for=reason_for)
    for key in STAGES:
        if key not in REPLACED:
            _stage_routes(app, key, guard, page, wh)
    add_pages_routes(app, guard, page, record, wh, sessions=sessions, csrf_form=csrf_form, state=state)

    # --- audit log and users ----------------------------------------------------------------------------------
    @app.get("/audit", include_in_schema=False)
    def audit_page(request: Request, page_no: int = Query(1, ge=1, le=100000, alias="page")):
        p, _ = guard(request, "audit")
        v = audit.verify(engine)
        rows = audit.recent(engine, limit=50, offset=(page_no - 1) * 50)
        record(p, "audit.view", page=page_no)
        return page(request, "audit.html", {"rows": rows, "verdict": v.as_dict(), "page_no": page_no})

    @app.get("/api/audit", tags=["audit"])
    def audit_api(request: Request, page_no: int = Query(1, ge=1, le=100000, alias="page")) -> dict[str, Any]:
        """The audit log, newest first, 50 a page, and whether its hash chain is intact."""
        p, _ = guard(request, "audit")
        v = audit.verify(engine)
        record(p, "audit.view", page=page_no)
        return {"verdict": v.as_dict(), "entries": audit.recent(engine, limit=50, offset=(page_no - 1) * 50)}

    def users_data() -> list[dict[str, Any]]:
        from joinedup.state.accounts import list_users

        return [{"name": u.name, "role": u.role, "org": u.org, "second_factor": bool(u.totp_secret),
                 "disabled": u.disabled_at is not None, "areas": list(u.area_list)} for u in list_users(engine)]

    @app.get("/users", include_in_schema=False)
    def users_page(request: Request):
        guard(request, "users")
        return page(request, "users.html", {"users": users_data(), "errors": {}, "form": {}, "added": None})

    @app.post("/users", include_in_schema=False)
    async def users_post(request: Request):
        from joinedup.state.accounts import add_user, totp_uri

        form = await request.form()
        csrf_form(request, form)
        p, _ = guard(request, "users")
        f = {k: str(form.get(k, ""))[:2000] for k in ("name", "role", "org", "password", "areas")}
        try:
            u = add_user(engine, f["name"], f["role"], f["org"].upper(), f["password"], f["areas"] or None)
        except UserError as e:
            field = next((k for k in ("name", "role", "org", "password", "areas") if str(e).startswith(k)), "name")
            return page(request, "users.html", {"users": users_data(), "errors": {field: str(e)},
                                                "form": f | {"password": ""}, "added": None}, 422)
        record(p, "user.add", target=f"user:{u.name}", role_given=u.role, org_given=u.org, areas_given=list(u.area_list))
        return page(request, "users.html", {"users": users_data(), "errors": {}, "form": {},
                                            "added": {"name": u.name, "totp_uri": totp_uri(u), "secret": u.totp_secret}})

    from joinedup.web.routes_secure import add_secure_routes  # account upkeep: disable, re-scope, passwords

    add_secure_routes(app, guard, page, record, engine=engine, csrf_form=csrf_form, users_data=users_data)

    @app.get("/api/users", tags=["users"])
    def users_api(request: Request) -> list[dict[str, Any]]:
        """Every user with role and organisation (admins only)."""
        guard(request, "users")
        return users_data()

    return app


def _tune_sqlite(engine) -> None:
    """WAL and a busy timeout: readers never wait for the audit writer, and a commit costs no full fsync."""
    from sqlalchemy import event

    def pragmas(dbapi_con, _record) -> None:
        cur = dbapi_con.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()

    if not getattr(engine, "_joinedup_tuned", False):
        event.listen(engine, "connect", pragmas)
        engine._joinedup_tuned = True
        engine.dispose()  # pooled connections made before the listener get the pragmas too


class _PureMiddleware:
    """An ASGI middleware calling handler(scope, receive, send, app) for HTTP requests (others pass straight on)."""

    def __init__(self, app, handler) -> None:
        self.app, self.handler = app, handler

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handler(scope, receive, send, self.app)


class _NotFound(Exception):
    """No such person (404)."""


def _view_kind(data: dict[str, Any]) -> str:
    kinds = sorted({r["view"] for r in data["records"]})
    return "+".join(kinds) or "none"


def _log_path(request: Request) -> str:
    """What the server's log says of a request's path: the matched route's template, never what was typed."""
    route = request.scope.get("route")
    if getattr(route, "path", None):
        return route.path
    for prefix in ("/static/", "/assets/"):
        if request.url.path.startswith(prefix):
            return prefix + "..."
    return "(no such route)"


def _safe_next(nxt: str) -> str:
    # only a path on this site: no scheme, no //host (open redirect)
    return nxt if nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt else "/"


def _stage_routes(app: FastAPI, key: str, guard, page, wh: Warehouse) -> None:
    """A page and an API route for a stage that may not have landed: say so plainly, or show its table counts."""

    def page_route(request: Request):
        guard(request, "stages")
        return page(request, "stage.html", {"s": wh.stage(key)})

    def api_route(request: Request) -> dict[str, Any]:
        guard(request, "stages")
        return wh.stage(key)

    api_route.__doc__ = f"{STAGES[key]['title']}: whether the {STAGES[key]['stage']} stage has landed in this warehouse."
    app.add_api_route(f"/{key}", page_route, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"/api/{key}", api_route, methods=["GET"], tags=["stages"], name=f"{key}_api")
