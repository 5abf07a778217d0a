"""Inquiry scoping: an inquiry account bound to areas (organisation codes) sees persons known there, identified only
in the records those areas hold, and nobody else: search, person page, API, exports and lists alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from joinedup.errors import UserError
from joinedup.state import open_state
from joinedup.state.accounts import add_user, check_password, find_user, set_areas, set_disabled, set_password
from joinedup.state.url import state_url
from joinedup.web.access import Principal, org_scope, person_visible, record_view
from web_support import PASSWORD, csrf

REASON = "inquiry terms of reference, area review 2026"
AREAS = ("LA01",)
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def cases(people) -> dict[str, str]:
    """An LA01 child also known to other organisations, and a person unknown to LA01."""
    inside = next(pid for pid, recs in sorted(people.items())
                  if "LA01" in {r[0] for r in recs} and len({r[0] for r in recs}) >= 3
                  and _values(people, pid, False) - _values(people, pid, True))
    outside = next(pid for pid, recs in sorted(people.items())
                   if "LA01" not in {r[0] for r in recs} and any(r[2] and r[3] for r in recs))
    return {"inside": inside, "outside": outside}


@pytest.fixture(scope="module")
def inq_scoped(web, cases):
    """A signed-in inquiry investigator scoped to LA01, who has given a reason for both cases."""
    if find_user(web.engine, "inq-la01") is None:
        add_user(web.engine, "inq-la01", "inquiry", "NAT", PASSWORD, areas=AREAS)
    c = web.login("inq-la01")
    page = c.get(f"/persons/{cases['inside']}")
    assert page.status_code == 200
    assert c.post(f"/persons/{cases['inside']}/reason",
                  data={"csrf_token": csrf(page.text), "reason": REASON}).status_code == 303
    return c


def _values(people, pid, orgs_in: bool) -> set[str]:
    """Names, dates of birth and addresses in the person's records held inside (or outside) the areas."""
    return {str(x) for o, a, f, s, dob, ad in people[pid] if (o in AREAS) == orgs_in
            for x in (f, s, dob, ad) if x and len(str(x)) >= 3}


def test_access_rules_for_areas():
    p = Principal(1, "q", "inquiry", "NAT", ("LA01", "F02"))
    assert person_visible(p, {"LA01", "F09"}).allowed
    assert not person_visible(p, {"LA02", "F01"}).allowed
    assert record_view(p, "LA01", {"LA01", "F09"}) == "identified"
    assert record_view(p, "F09", {"LA01", "F09"}) == "pointer"
    assert org_scope(p) == {"LA01", "F02"}
    national = Principal(2, "n", "inquiry", "NAT")
    assert person_visible(national, {"LA02"}).allowed and record_view(national, "LA02", {"LA02"}) == "identified"
    assert org_scope(national) is None
    assert org_scope(Principal(3, "a", "admin", "NAT")) == frozenset()


# the scoped matrix: every record-level route, the in-area person allowed, the outsider refused
ROUTES = {
    "page": "/persons/{pid}",
    "api": "/api/persons/{pid}?reason=" + REASON,
    "export page": "/persons/{pid}/records.csv",
    "export api": "/api/persons/{pid}/records.csv?reason=" + REASON,
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_scoped_inquiry_matrix(inq_scoped, cases, route):
    ok = inq_scoped.get(ROUTES[route].format(pid=cases["inside"]))
    assert ok.status_code == 200, (route, ok.status_code, ok.text[:300])
    refused = inq_scoped.get(ROUTES[route].format(pid=cases["outside"]))
    assert refused.status_code == 403, (route, refused.status_code)
    assert "areas under inquiry" in refused.text


def test_records_outside_the_areas_are_pointers(inq_scoped, cases, people):
    d = inq_scoped.get(f"/api/persons/{cases['inside']}").json()
    views = {(r["org_code"], r["view"]) for r in d["records"]}
    assert ("LA01", "identified") in views
    assert {v for o, v in views if o not in AREAS} == {"pointer"}
    only_outside = _values(people, cases["inside"], False) - _values(people, cases["inside"], True)
    assert only_outside
    for body in (inq_scoped.get(f"/persons/{cases['inside']}").text,
                 inq_scoped.get(f"/persons/{cases['inside']}/records.csv").text,
                 inq_scoped.get(f"/api/persons/{cases['inside']}").text):
        assert not any(n in body for n in only_outside)


def test_search_lists_only_persons_in_the_areas(web, inq_scoped, cases, people):
    fore, sur = next((r[2], r[3]) for r in people[cases["outside"]] if r[2] and r[3])
    national = web.login("inq")  # the unscoped inquiry account finds the outsider: the search itself works
    assert cases["outside"] in {h["person_id"] for h in national.get(
        "/api/persons", params={"forename": fore, "surname": sur}).json()["results"]}
    res = inq_scoped.get("/api/persons", params={"forename": fore, "surname": sur}).json()["results"]
    assert cases["outside"] not in {h["person_id"] for h in res}
    assert all(set(AREAS) & {x["org_code"] for x in h["records"]} for h in res)
    page = inq_scoped.get("/search", params={"forename": fore, "surname": sur})
    assert page.status_code == 200 and cases["outside"] not in page.text
    fore, sur = next((r[2], r[3]) for r in people[cases["inside"]] if r[0] in AREAS and r[2] and r[3])
    res = inq_scoped.get("/api/persons", params={"forename": fore, "surname": sur}).json()["results"]
    assert cases["inside"] in {h["person_id"] for h in res}


def test_scoped_inquiry_is_still_read_only(inq_scoped):
    token = inq_scoped.get("/api/me").json()["csrf_token"]
    assert inq_scoped.post("/api/review", json={"token": "0" * 32, "decision": "same"},
                           headers={"x-csrf-token": token}).status_code == 403
    assert inq_scoped.get("/api/review").status_code == 403


def test_disabling_ends_open_sessions(web):
    if find_user(web.engine, "inq-gone") is None:
        add_user(web.engine, "inq-gone", "inquiry", "NAT", PASSWORD, areas=("F01",))
    c = web.login("inq-gone")
    assert c.get("/api/me").status_code == 200
    set_disabled(web.engine, "inq-gone")
    assert c.get("/api/me").status_code == 401
    fresh = web.client()
    r = fresh.post("/login", data={"csrf_token": csrf(fresh.get("/login").text), "name": "inq-gone",
                                   "password": PASSWORD, "next": "/"})
    assert r.status_code == 422
    set_disabled(web.engine, "inq-gone", False)
    assert web.login("inq-gone").get("/api/me").json()["name"] == "inq-gone"


def test_areas_password_and_disable_are_stored(state):
    """The new columns on SQLite and PostgreSQL (Alembic 0004)."""
    eng = open_state(state_url(state))
    add_user(eng, "inq9", "inquiry", "NAT", "correct horse battery", areas="la02, F01,LA02")
    assert find_user(eng, "inq9").area_list == ("F01", "LA02")
    set_areas(eng, "inq9", "")
    assert find_user(eng, "inq9").area_list == ()
    set_password(eng, "inq9", "another long passphrase")
    assert check_password(find_user(eng, "inq9"), "another long passphrase")
    assert not check_password(find_user(eng, "inq9"), "correct horse battery")
    set_disabled(eng, "inq9")
    assert find_user(eng, "inq9").disabled_at is not None
    with pytest.raises(UserError, match="only an inquiry"):
        add_user(eng, "ana9", "analyst", "NAT", "correct horse battery", areas=("F01",))
    with pytest.raises(UserError, match="organisation codes"):
        add_user(eng, "inq8", "inquiry", "NAT", "correct horse battery", areas="E06000001;DROP")
    with pytest.raises(UserError, match="at least 12"):
        set_password(eng, "inq9", "short")
    with pytest.raises(UserError, match="no user"):
        set_disabled(eng, "nobody")


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "joinedup.cli", *args], input=stdin, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": SRC}, timeout=120)


def test_cli_areas_disable_password(tmp_path):
    st = str(tmp_path / "s.sqlite")
    r = _cli("users", "add", "iq", "--role", "inquiry", "--org", "NAT", "--areas", "F01,LA01", "--password-stdin",
             "--state", st, stdin="a-long-passphrase-123\n")
    assert r.returncode == 0 and "areas F01,LA01" in r.stdout, r.stderr
    r = _cli("users", "add", "an", "--role", "analyst", "--org", "NAT", "--areas", "F01", "--password-stdin",
             "--state", st, stdin="a-long-passphrase-123\n")
    assert r.returncode == 2 and "only an inquiry" in r.stderr and "Traceback" not in r.stderr
    assert _cli("users", "disable", "iq", "--state", st).returncode == 0
    assert _cli("users", "disable", "nobody", "--state", st).returncode == 2
    r = _cli("users", "password", "iq", "--password-stdin", "--state", st, stdin="short\n")
    assert r.returncode == 2 and "at least 12" in r.stderr
    assert _cli("users", "password", "iq", "--password-stdin", "--state", st, stdin="a-newer-passphrase-456\n").returncode == 0
    rows = __import__("json").loads(_cli("users", "list", "--json", "--state", st).stdout)
    assert rows == [{"name": "iq", "role": "inquiry", "org": "NAT", "areas": ["F01", "LA01"], "second_factor": True,
                     "disabled": True}]
    assert check_password(find_user(open_state(state_url(st)), "iq"), "a-newer-passphrase-456")
