"""Every route validates its input: each route of the OpenAPI description (and every form route beside it) gets bad
values in each of its parameters and bodies, signed in as every role; nothing answers 5xx or shows a traceback, and
an API route answers JSON."""

from __future__ import annotations

import json

import pytest
from fastapi.routing import APIRoute

from web_support import USERS, make_web

BAD = ["", " ", "'", '"', "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "${7*7}", "\x00", "%00", "\u202e",
       "😀", "a" * 5000, "-1", "0", "99999999999999999999999", "1e309", "NaN", "2009-13-45", "../../etc/passwd",
       "null", "[]", "{}", "%", "\\", "\r\nX-Injected: 1"]
# every role gets these; the analyst (the widest case role) gets all of BAD (keeps the sweep to about a minute)
CORE = ["", "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}", "\x00", "\u202e", "😀", "a" * 5000, "-1",
        "99999999999999999999999", "2009-13-45", "../../etc/passwd", "\r\nX-Injected: 1"]
BAD_BODIES = [b"", b"not json", b"[]", b"{}", b"null", b'{"token": 1, "decision": []}',
              json.dumps({"token": "a" * 5000, "decision": "x" * 5000, "note": "n" * 50000}).encode(),
              b'{"token": "' + b"\\ud800" + b'"}', b"{" * 5000]
ROLES = sorted({r for r, _ in USERS.values()})
SKIP = {"/logout"}  # would end the session the rest of the sweep runs in (it is fuzzed last, on its own)


@pytest.fixture(scope="module")
def fz(linked_world, tmp_path_factory):
    """A private app: failed sign-ins fuzzed here must not throttle the shared app's test clients."""
    return make_web(linked_world.db, str(tmp_path_factory.mktemp("fuzzstate") / "state.sqlite"))


@pytest.fixture(scope="module")
def signed_in(fz):
    return {role: fz.login(name) for name, (role, _) in USERS.items()}


def _spec_routes(fz) -> list[tuple[str, str, list[dict], bool]]:
    """(method, path template, parameters, has a JSON body) for every operation in the OpenAPI description."""
    spec = fz.client().get("/openapi.json").json()
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            out.append((method.upper(), path, op.get("parameters", []), "requestBody" in op))
    return out


def _form_routes(fz) -> list[tuple[str, str, list[str]]]:
    """(method, path, query parameter names) of the routes kept out of the description (pages and forms)."""
    out = []
    for r in fz.app.routes:
        if isinstance(r, APIRoute) and not r.include_in_schema and r.path not in SKIP:
            for m in sorted(r.methods):
                out.append((m, r.path, [q.alias for q in r.dependant.query_params]))
    return out


def _check(r, path: str, what: str) -> None:
    assert r.status_code < 500, f"{r.status_code} on {path} with {what!r}: {r.text[:300]}"
    assert "Traceback" not in r.text and 'File "' not in r.text, f"a traceback on {path} with {what!r}"
    if path.startswith("/api/") and r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/json"), (path, what, r.headers["content-type"])


def _fill(path: str, value: str) -> str:
    import re
    from urllib.parse import quote

    return re.sub(r"\{[^}]+\}", lambda m: quote(value, safe=""), path)


def test_the_description_has_routes_to_fuzz(fz):
    routes = _spec_routes(fz)
    assert any("{" in p for _, p, _, _ in routes) and any(b for *_, b in routes) and any(q for _, _, q, _ in routes)
    assert _form_routes(fz), "no form routes found"


@pytest.mark.parametrize("role", ROLES + ["anonymous"])
def test_every_api_route_refuses_bad_values_without_500(fz, signed_in, role):
    c = signed_in.get(role) or fz.client()
    token = c.get("/api/me").json()["csrf_token"] if role != "anonymous" else ""
    values = BAD if role == "analyst" else CORE
    for method, path, params, has_body in _spec_routes(fz):
        path_params = [p["name"] for p in params if p["in"] == "path"]
        queries = [p["name"] for p in params if p["in"] == "query"]
        for v in values:
            concrete = _fill(path, v) if path_params else path
            if not path_params and not queries and not has_body and v != values[0]:
                continue  # nothing to vary: one request is enough
            for q in queries or [None]:
                r = c.request(method, concrete, params={q: v} if q else None, headers={"x-csrf-token": token},
                              **({"json": {"token": v, "decision": v, "note": v}} if has_body else {}))
                _check(r, path, v)
        if has_body:
            for body in BAD_BODIES:
                r = c.request(method, path, content=body, headers={"content-type": "application/json", "x-csrf-token": token})
                _check(r, path, body[:40])


@pytest.mark.parametrize("role", ROLES + ["anonymous"])
def test_every_page_and_form_refuses_bad_values_without_500(fz, signed_in, role):
    c = signed_in.get(role) or fz.client()
    token = c.get("/api/me").json()["csrf_token"] if role != "anonymous" else "x"
    fields = ("name", "password", "role", "org", "areas", "code", "next", "reason", "token", "decision", "note",
              "csrf_token")
    values = BAD if role == "analyst" else CORE
    for method, path, queries in _form_routes(fz):
        if path.startswith("/login") and role != "anonymous":
            continue  # signing in again would replace this role's session
        for v in values:
            concrete = _fill(path, v)
            if method == "GET":
                r = c.get(concrete, params={q: v for q in queries} or None)
            else:
                r = c.post(concrete, data={f: v for f in fields} | {"csrf_token": token})
            _check(r, path, v)
        if method == "POST":  # bodies that are not forms at all
            for body in BAD_BODIES:
                _check(c.post(path.replace("{person_id}", "P1"), content=body,
                              headers={"content-type": "application/x-www-form-urlencoded"}), path, body[:40])
            _check(c.post(path.replace("{person_id}", "P1"), content=b"--x\r\n",
                          headers={"content-type": "multipart/form-data; boundary=x"}), path, "broken multipart")


def test_logout_with_bad_values_never_500(fz):
    c = fz.login("ana")
    for v in BAD:
        _check(c.post("/logout", data={"csrf_token": v}), "/logout", v)
