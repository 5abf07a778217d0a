"""`serve --as-of` and `match --as-of`: the warehouse as known on a date. A copy of the shared world gets a second,
later delivery of some F01 records (their person_record versions start in 2024, the rest in 2020); as of 2022 those
records are not there, on every page, in search and in `match`."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers import move_to_late_delivery
from web_support import PASSWORD, USERS

SRC = str(Path(__file__).resolve().parents[2] / "src")
BEFORE, LATE, AS_OF = dt.date(2020, 1, 1), dt.date(2024, 1, 1), dt.date(2022, 1, 1)


@pytest.fixture(scope="module")
def late_world(linked_world, tmp_path_factory):
    """The copy, and the two kinds of person the late delivery touches: known only from it, and known elsewhere too."""
    db = linked_world.copy_db(tmp_path_factory.mktemp("asof"))
    con = duckdb.connect(str(db))
    persons = con.execute("""SELECT lp.person_id, list(pr.source_record_id ORDER BY pr.source_record_id),
                                    list(pr.source ORDER BY pr.source_record_id), any_value(pr.forename), any_value(pr.surname)
                             FROM link_person lp JOIN person_record pr USING (source, source_record_id)
                             GROUP BY 1 HAVING bool_or(pr.source = 'F01-niche') ORDER BY 1""").fetchall()
    only = [p for p in persons if set(p[2]) == {"F01-niche"} and len(p[1]) == 1 and p[3] and p[4]][:5]
    mixed = [p for p in persons if len(set(p[2])) >= 2][:5]
    late_ids = [rid for p in only for rid in p[1]] + [rid for p in mixed for rid, s in zip(p[1], p[2]) if s == "F01-niche"]
    move_to_late_delivery(con, late_ids, BEFORE, LATE)
    records = con.execute("SELECT count(*) FROM person_record").fetchone()[0]
    con.close()
    return {"db": db, "only": only, "mixed": mixed, "late": set(late_ids), "records": records}


def _wh(db, as_of=None):
    from joinedup.web.data import Warehouse

    return Warehouse(str(db), secrets.token_bytes(16), as_of)


def test_pages_read_the_warehouse_as_of_the_date(late_world):
    from joinedup.web.access import Principal

    inq = Principal(1, "q", "inquiry", "NAT")
    now, then = _wh(late_world["db"]), _wh(late_world["db"], AS_OF)
    try:
        assert then.dashboard(inq)["national"]["records"] == late_world["records"] - len(late_world["late"])
        assert now.dashboard(inq)["national"]["records"] == late_world["records"]
        assert then.dashboard(inq)["as_of"] == AS_OF.isoformat()
        for pid, *_ in late_world["only"]:  # known only from the later delivery: nobody, as of 2022
            assert now.person_orgs(pid) == {"F01"} and then.person_orgs(pid) == set()
        for pid, rids, *_ in late_world["mixed"]:  # the record delivered later is not on the page; the rest are
            shown = {r["source_record_id"] for r in then.person(inq, pid)["records"]}
            assert shown and not (shown & late_world["late"])
            assert {r["source_record_id"] for r in now.person(inq, pid)["records"]} & late_world["late"]
            assert all(w["record_a"] and w["record_b"] for w in then.person(inq, pid)["why_linked"])
        # dated tables too: events recorded after the date are gone
        n_now = now.cur().execute("SELECT count(*) FROM event").fetchone()[0]
        n_then = then.cur().execute("SELECT count(*) FROM event WHERE start_date > ?", [AS_OF]).fetchone()[0]
        assert n_then == 0 and n_now > then.cur().execute("SELECT count(*) FROM event").fetchone()[0]
    finally:
        now.close()
        then.close()


def test_search_and_the_app_as_of_the_date(late_world, tmp_path):
    from fastapi.testclient import TestClient

    from joinedup.state import open_state
    from joinedup.state.accounts import add_user
    from joinedup.state.url import state_url
    from joinedup.web.app import create_app

    state = str(tmp_path / "s.sqlite")
    eng = open_state(state_url(state))
    add_user(eng, "ana", *USERS["ana"], PASSWORD)
    app = create_app(str(late_world["db"]), state, as_of=AS_OF)
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    from web_support import csrf

    r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": "ana", "password": PASSWORD, "next": "/"})
    assert r.status_code == 303
    assert "As known on 2022-01-01" in c.get("/").text
    assert c.get("/api/dashboard").json()["as_of"] == "2022-01-01"
    for pid, rids, srcs, fore, sur in late_world["only"]:
        assert c.get(f"/api/persons/{pid}").status_code == 404
        hits = c.get("/api/persons", params={"forename": fore, "surname": sur}).json()["results"]
        assert pid not in {h["person_id"] for h in hits}
    # the same search on today's warehouse finds them (the test can fail)
    now = _wh(late_world["db"])
    from joinedup.web.access import Principal

    found = [pid for pid, rids, srcs, fore, sur in late_world["only"]
             if pid in {h["person_id"] for h in now.search(Principal(1, "a", "analyst", "NAT"), forename=fore, surname=sur,
                                                              dob=None, postcode=None)["results"]}]
    now.close()
    assert found, "today's search found none of the late persons: the as-of check would prove nothing"


def _match(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "joinedup.cli", "match", *args], capture_output=True, text=True,
                          timeout=180, env=os.environ | {"PYTHONPATH": SRC})


def test_match_as_of(late_world):
    pid, rids, srcs, fore, sur = late_world["only"][0]
    base = ["--db", str(late_world["db"]), "--forename", fore, "--surname", sur, "--json"]
    now = _match(*base)
    assert now.returncode == 0, now.stderr
    assert pid in {c["person_id"] for c in json.loads(now.stdout)["candidates"]}
    then = _match(*base, "--as-of", AS_OF.isoformat())
    assert then.returncode == 0, then.stderr
    cands = json.loads(then.stdout)["candidates"]
    assert pid not in {c["person_id"] for c in cands}
    assert not {r["source_record_id"] for c in cands for r in c["records"]} & late_world["late"]


@pytest.mark.parametrize("value,msg", [("2022-02-30", "is not a date"), ("yesterday", "is not a date"),
                                       ("2999-01-01", "in the future"), ("1901-01-01", "before any record")])
def test_match_refuses_bad_dates(late_world, value, msg):
    r = _match("--db", str(late_world["db"]), "--surname", "SMITH", "--as-of", value)
    assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, r.stderr[-400:]
