"""The access matrix: every role against every page and API route; scoping of records; no names where pseudonymised."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from web_support import USERS, csrf

REASON = "checking referral REF-1234 for a strategy meeting"
CASE = ("analyst", "investigator", "practitioner", "inquiry")
ALL = tuple(r for r, _ in USERS.values())
# route template -> (concrete path, roles allowed)
MATRIX = {
    "/": ("/", ALL),
    "/search": ("/search?surname=SMITH", CASE),
    "/persons/{person_id}": ("/persons/{pid}", CASE),
    "/persons/{person_id}/records.csv": ("/persons/{pid}/records.csv", CASE),
    "/persons/{person_id}/chronology": ("/persons/{pid}/chronology", CASE),
    "/api/persons/{person_id}/chronology": ("/api/persons/{pid}/chronology?reason=" + REASON, CASE),
    "/review": ("/review", ("analyst", "investigator")),
    "/groups": ("/groups", CASE), "/risk": ("/risk", CASE), "/justice": ("/justice", CASE),
    "/statistics": ("/statistics", CASE),
    # the groups, justice and statistics pages (tests/web/test_pages_data.py runs them with the stages run too)
    "/groups/{group_id}": ("/groups/G-0123456789", CASE),
    "/api/groups/{group_id}": ("/api/groups/G-0123456789?reason=" + REASON, CASE),
    "/api/groups/{group_id}/network": ("/api/groups/G-0123456789/network?reason=" + REASON, CASE),
    **{f"/justice/{k}": (f"/justice/{k}", CASE) for k in ("downgrades", "disregards", "reopen")},
    **{f"/justice/{k}.csv": (f"/justice/{k}.csv", CASE) for k in ("downgrades", "disregards", "reopen")},
    **{f"/api/justice/{k}": (f"/api/justice/{k}?reason=" + REASON, CASE) for k in ("downgrades", "disregards", "reopen")},
    **{f"/api/justice/{k}.csv": (f"/api/justice/{k}.csv?reason=" + REASON, CASE) for k in ("downgrades", "disregards", "reopen")},
    "/statistics/download/{name}": ("/statistics/download/table_1.csv", CASE),
    "/audit": ("/audit", ("auditor",)),
    "/users": ("/users", ("admin",)),
    "/account/password": ("/account/password", ALL),
    "/api/dashboard": ("/api/dashboard", ALL),
    "/api/me": ("/api/me", ALL),
    "/api/persons": ("/api/persons?surname=SMITH", CASE),
    "/api/persons/{person_id}": ("/api/persons/{pid}?reason=" + REASON, CASE),
    "/api/persons/{person_id}/records.csv": ("/api/persons/{pid}/records.csv?reason=" + REASON, CASE),
    "/api/review": ("/api/review", ("analyst", "investigator")),
    "/api/groups": ("/api/groups", CASE), "/api/risk": ("/api/risk", CASE), "/api/justice": ("/api/justice", CASE),
    "/api/statistics": ("/api/statistics", CASE),
    "/api/audit": ("/api/audit", ("auditor",)),
    "/api/users": ("/api/users", ("admin",)),
}
PUBLIC = {"/login", "/login/code", "/api/health", "/openapi.json"}


@pytest.fixture(scope="module")
def la01_child(people) -> str:
    """A person known to LA01 (the practitioner's authority) and to force F01 and one other organisation."""
    for pid, recs in sorted(people.items()):
        orgs = {r[0] for r in recs}
        if "LA01" in orgs and "F01" in orgs and len(orgs) >= 3:
            return pid
    pytest.fail("the world has no person known to LA01, F01 and a third organisation")


@pytest.fixture(scope="module")
def clients(web, la01_child):
    cs = {}
    for name, (role, _) in USERS.items():
        c = web.login(name)
        if role in ("investigator", "practitioner", "inquiry"):  # identified roles give a reason first
            page = c.get(f"/persons/{la01_child}")
            assert page.status_code == 200 and "Why do you need to see this record?" in page.text
            r = c.post(f"/persons/{la01_child}/reason", data={"csrf_token": csrf(page.text), "reason": REASON})
            assert r.status_code == 303
        cs[role] = c
    return cs


def test_matrix_covers_every_route(web):
    routes = {r.path for r in web.app.routes if isinstance(r, APIRoute) and "GET" in r.methods}
    assert routes - set(MATRIX) - PUBLIC == set(), "a GET route is missing from the access matrix"


@pytest.mark.parametrize("route", sorted(MATRIX))
@pytest.mark.parametrize("role", ALL)
def test_access_matrix(web, clients, la01_child, route, role):
    path, allowed = MATRIX[route]
    r = clients[role].get(path.format(pid=la01_child))
    if role in allowed:
        assert r.status_code == 200, (role, path, r.status_code, r.text[:300])
    else:
        assert r.status_code == 403, (role, path, r.status_code)


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_anonymous_is_refused(web, la01_child, route):
    path, _ = MATRIX[route]
    r = web.client().get(path.format(pid=la01_child))
    if route.startswith("/api/"):
        assert r.status_code == 401
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def _names_and_dobs(people, pids) -> tuple[set[str], set[str]]:
    names, dobs = set(), set()
    for pid in pids:
        for org, agency, fore, sur, dob, addr in people[pid]:
            names |= {x for x in (fore, sur) if x and len(x) >= 3}
            if dob:
                dobs.add(dob.isoformat())
    return names, dobs


def test_pseudonymised_views_hold_no_name_or_dob(web, clients, people, la01_child):
    c = clients["analyst"]
    fore, sur, *_ = next(r[2:] for r in people[la01_child] if r[2] and r[3])
    shown = [c.get("/search", params={"forename": fore, "surname": sur}),
             c.get("/api/persons", params={"forename": fore, "surname": sur}),
             c.get(f"/persons/{la01_child}"), c.get(f"/api/persons/{la01_child}"),
             c.get(f"/persons/{la01_child}/records.csv"), c.get("/review"), c.get("/api/review"),
             c.get(f"/persons/{la01_child}/chronology"), c.get(f"/api/persons/{la01_child}/chronology")]
    assert all(r.status_code == 200 for r in shown)
    assert c.get("/api/persons", params={"forename": fore, "surname": sur}).json()["results"], "search found no one"
    pids = {la01_child} | {h["person_id"] for h in shown[1].json()["results"]}
    names, dobs = _names_and_dobs(people, pids)
    all_names = {x for recs in people.values() for r in recs for x in (r[2], r[3]) if x and len(x) >= 4}
    for i, r in enumerate(shown):
        words = set(re.findall(r"\b[A-Z][A-Z'-]{2,}\b", r.text)) - ({fore, sur} if i < 2 else set())  # the query typed
        assert not (words & names), f"a name in a pseudonymised view: {sorted(words & names)[:5]}"
        body = r.text.replace("For example, 2009-04-17", "")  # the search form's hint
        assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", body), "a date (of birth) in a pseudonymised view"
        assert not any(d in body for d in dobs)
        assert not (words & all_names), f"a name in a pseudonymised view: {sorted(words & all_names)[:5]}"


def test_investigator_sees_own_force_identified_and_pointers_elsewhere(web, clients, people, la01_child):
    d = clients["investigator"].get(f"/api/persons/{la01_child}").json()
    views = {(r["org_code"], r["view"]) for r in d["records"]}
    assert ("F01", "identified") in views
    assert {v for o, v in views if o != "F01"} == {"pointer"}
    for r in d["records"]:
        if r["view"] == "pointer":
            assert set(r) == {"view", "agency_type", "org_code", "pointer"}
            assert r["pointer"].startswith("Known to ")
    other_names = {x for o, a, f, s, dob, ad in people[la01_child] if o != "F01" for x in (f, s) if x} - \
                  {x for o, a, f, s, dob, ad in people[la01_child] if o == "F01" for x in (f, s) if x}
    text = clients["investigator"].get(f"/persons/{la01_child}").text
    assert not any(re.search(rf"\b{re.escape(n)}\b", text) for n in other_names)


def test_practitioner_sees_own_authoritys_children_only(web, clients, people, la01_child):
    d = clients["practitioner"].get(f"/api/persons/{la01_child}").json()
    assert {r["view"] for r in d["records"]} == {"identified"}
    outsider = next(pid for pid, recs in sorted(people.items()) if "LA01" not in {r[0] for r in recs})
    assert clients["practitioner"].get(f"/api/persons/{outsider}?reason={REASON}").status_code == 403
    assert clients["practitioner"].get(f"/persons/{outsider}").status_code == 403
    assert clients["investigator"].get(f"/api/persons/{outsider}?reason={REASON}").status_code == 200
    # search never lists a person the practitioner may not open
    fore, sur, *_ = next(r[2:] for r in people[outsider] if r[2] and r[3])
    res = clients["practitioner"].get("/api/persons", params={"forename": fore, "surname": sur}).json()["results"]
    assert outsider not in {h["person_id"] for h in res}
    assert all("LA01" in {x["org_code"] for x in h["records"]} for h in res)


def test_inquiry_is_read_only_and_identified(web, clients, la01_child):
    d = clients["inquiry"].get(f"/api/persons/{la01_child}").json()
    assert {r["view"] for r in d["records"]} == {"identified"}
    page = clients["inquiry"].get("/")
    r = clients["inquiry"].post("/review", data={"csrf_token": csrf(page.text), "token": "0" * 32, "decision": "same"})
    assert r.status_code == 403


def test_identified_roles_must_give_a_reason(web, people, la01_child):
    c = web.login("inq")
    r = c.get(f"/api/persons/{la01_child}")
    assert r.status_code == 422 and "reason" in r.text
    page = c.get(f"/persons/{la01_child}")
    assert "Why do you need to see this record?" in page.text
    assert not any(n in page.text for n in _names_and_dobs(people, [la01_child])[0])
    assert c.get(f"/persons/{la01_child}/records.csv").status_code == 422


def test_unknown_person_is_404_not_500(clients):
    assert clients["analyst"].get("/api/persons/Pnosuchperson0").status_code == 404
    assert clients["analyst"].get("/persons/Pnosuchperson0").status_code == 404


POSTS = {"/review": ("analyst", "investigator"), "/api/review": ("analyst", "investigator"), "/users": ("admin",),
         "/groups/G-0123456789/reason": CASE, "/justice/reason": CASE,
         "/risk": ("investigator", "practitioner"), "/api/risk": ("investigator", "practitioner"),
         "/users/change": ("admin",), "/account/password": ALL}



@pytest.mark.parametrize("path", sorted(POSTS))
@pytest.mark.parametrize("role", ALL)
def test_every_post_route_is_guarded(web, clients, path, role):
    c = clients[role]
    token = c.get("/api/me").json()["csrf_token"]
    if path.startswith("/api/"):
        r = c.post(path, json={"token": "0" * 32, "decision": "same"}, headers={"x-csrf-token": token})
    else:
        r = c.post(path, data={"csrf_token": token, "token": "0" * 32, "decision": "same", "name": "zz", "role": "x",
                               "org": "NAT", "password": "x"})
    # allowed roles get as far as validating what they sent (an unknown pair, a bad role): never 403, never 200
    assert r.status_code == (422 if role in POSTS[path] else 403), (role, path, r.status_code)
    assert web.client().post(path, json={}).status_code in (401, 403)
