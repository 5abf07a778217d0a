"""serve refuses a missing or never-linked warehouse in one line; demo accounts for every role."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _serve(db: str, state: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "joinedup.cli", "serve", "--db", db, "--state", state, "--port", "1"],
                          capture_output=True, text=True, env=os.environ | {"PYTHONPATH": SRC}, timeout=120)


def test_serve_refuses_a_missing_or_unlinked_warehouse(tmp_path):
    r = _serve(str(tmp_path / "none.duckdb"), str(tmp_path / "s.sqlite"))
    assert r.returncode == 2 and "cannot open the warehouse" in r.stderr and "Traceback" not in r.stderr
    con = duckdb.connect(str(tmp_path / "raw.duckdb"))
    con.execute("CREATE TABLE person_record (source VARCHAR)")
    con.close()
    r = _serve(str(tmp_path / "raw.duckdb"), str(tmp_path / "s.sqlite"))
    assert r.returncode == 2 and "never linked" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_demo_accounts_cover_every_role_and_sign_in(linked_world, tmp_path):
    from joinedup.state import open_state
    from joinedup.state.accounts import check_password, list_users
    from joinedup.state.url import state_url
    from joinedup.web import DEMO_ROLES, demo_accounts
    from joinedup.web.access import ROLES

    state = str(tmp_path / "demo.sqlite")
    lines = demo_accounts(str(linked_world.db), state)
    assert any(f"joinedup serve --db {linked_world.db} --state {state}" in ln for ln in lines)
    users = {u.name: u for u in list_users(open_state(state_url(state)))}
    assert {u.role for u in users.values()} == set(ROLES) == {r for r, _ in DEMO_ROLES}
    assert all(check_password(u, "demo-password-only") for u in users.values())
    assert demo_accounts(str(linked_world.db), state) == lines  # idempotent: a second call adds nobody
    assert len(list_users(open_state(state_url(state)))) == len(ROLES)


def test_stage_pages_say_not_run_until_the_stage_writes_its_tables(linked_world, tmp_path):
    from web_support import make_web

    w = make_web(linked_world.db, str(tmp_path / "a.sqlite"))
    c = w.login("ana")
    for key in ("groups", "risk", "justice"):  # statistics: made from any linked warehouse (test_pages_data.py)
        assert c.get(f"/api/{key}").json()["landed"] is False
        assert "has not been run on this warehouse" in c.get(f"/{key}").text
    w.app.state.warehouse.close()
    db = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db))
    # the migrations create every stage's tables empty; rows are what a run of the stage leaves
    con.execute("INSERT INTO network_group (run_id, group_id) VALUES ('N1', 'G1'), ('N1', 'G2')")
    con.execute("INSERT INTO network_run (run_id, finished_at) VALUES ('N1', now())")
    con.close()
    c = make_web(db, str(tmp_path / "b.sqlite")).login("ana")
    g = c.get("/api/groups").json()
    assert g["landed"] is True and {x["group_id"] for x in g["groups"]} == {"G1", "G2"}
    assert "has not been run" not in c.get("/groups").text and c.get("/api/risk").json()["landed"] is False
