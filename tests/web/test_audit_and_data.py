"""Audit entries per access; exports neutralise formulae; review decisions feed the next link run;
ethnicity, nationality and religion change nothing the application shows."""

from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest

from joinedup.state import audit
from joinedup.web.csvsafe import neutralise, to_csv
from web_support import csrf, make_web

REASON = "section 47 enquiry ref 2024-118, checking history"


def _entries(web, **match):
    return [e for e in audit.recent(web.engine, limit=10000) if all(e.get(k) == v for k, v in match.items())]


def test_every_access_is_audited_with_who_role_what_reason(linked_world, tmp_path, people):
    w = make_web(linked_world.db, str(tmp_path / "s.sqlite"))
    pid = next(p for p, recs in sorted(people.items()) if "F01" in {r[0] for r in recs})
    inv = w.login("inv")
    assert _entries(w, actor="inv", action="login.ok")
    fore, sur = next((r[2], r[3]) for r in people[pid] if r[0] == "F01")
    assert inv.get("/search", params={"forename": fore, "surname": sur}).status_code == 200
    s = _entries(w, actor="inv", action="search")
    assert len(s) == 1 and s[0]["role"] == "investigator" and s[0]["org"] == "F01"
    assert json.loads(s[0]["detail"])["fields"] == {"forename": fore, "surname": sur}
    assert pid in json.loads(s[0]["detail"])["results"]
    page = inv.get(f"/persons/{pid}")
    assert not _entries(w, actor="inv", action="person.view")  # no view before a reason is given
    inv.post(f"/persons/{pid}/reason", data={"csrf_token": csrf(page.text), "reason": REASON})
    assert inv.get(f"/persons/{pid}").status_code == 200
    v = _entries(w, actor="inv", action="person.view")
    assert len(v) == 1 and v[0]["target"] == f"person:{pid}" and v[0]["reason"] == REASON and v[0]["at"]
    assert inv.get(f"/persons/{pid}/records.csv").status_code == 200
    assert _entries(w, actor="inv", action="person.export")[0]["reason"] == REASON
    assert inv.get("/audit").status_code == 403
    denied = _entries(w, actor="inv", action="access.denied")
    assert denied and denied[0]["target"] == "/audit"
    w.client().get("/api/dashboard")
    assert _entries(w, actor="anonymous", action="access.denied")
    ana = w.login("ana")
    ana.get(f"/api/persons/{pid}")
    assert _entries(w, actor="ana", action="person.view")[0]["reason"] is None  # pseudonymised: no reason asked

    aud = w.login("aud")
    body = aud.get("/api/audit").json()
    assert body["verdict"]["ok"] and body["entries"][0]["action"] == "audit.view"
    assert audit.verify(w.engine).ok
    from sqlalchemy import text

    with w.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET reason = 'nothing to see' WHERE action = 'person.view' AND actor = 'inv'"))
    verdict = aud.get("/api/audit").json()["verdict"]
    assert not verdict["ok"] and verdict["first_bad_id"] == v[0]["id"]
    assert "tampered" in aud.get("/audit").text


def test_csv_cells_neutralise_formulae():
    for bad in ("=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"):
        assert neutralise(bad).startswith("'")
    assert neutralise("O'BRIEN") == "O'BRIEN" and neutralise(None) == "" and neutralise(5) == "5"
    rows = list(csv.reader(io.StringIO(to_csv([{"a": "=HYPERLINK(\"http://x\",\"y\")", "b": "ok"}], ["a", "b"]))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\",\"y\")", "ok"]


def test_record_export_neutralises_a_formula_in_the_data(linked_world, tmp_path, people):
    db = linked_world.copy_db(tmp_path)
    pid = next(p for p, recs in sorted(people.items()) if "F01" in {r[0] for r in recs})
    con = duckdb.connect(str(db))
    con.execute("""UPDATE person_record SET forename = '=HYPERLINK("http://evil","click")', address = '@SUM(1)'
                   WHERE org_code = 'F01' AND (source, source_record_id) IN
                     (SELECT (source, source_record_id) FROM link_person WHERE person_id = ?)""", [pid])
    con.close()
    w = make_web(db, str(tmp_path / "s.sqlite"))
    r = w.login("inv").get(f"/api/persons/{pid}/records.csv", params={"reason": REASON})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    f01 = [x for x in rows if x["org_code"] == "F01"]
    assert f01 and all(x["forename"].startswith("'=HYPERLINK") and x["address"] == "'@SUM(1)" for x in f01)
    assert not any(v.startswith(("=", "+", "@")) for x in rows for v in x.values() if v)


def test_review_decision_becomes_a_judgement_the_next_link_run_applies(linked_world, tmp_path):
    from joinedup.link import link_warehouse
    from joinedup.link.judgements import live_judgements

    db = linked_world.copy_db(tmp_path)
    state = str(tmp_path / "s.sqlite")
    w = make_web(db, state)
    a = w.login("ana")
    pairs = a.get("/api/review").json()["pairs"]
    linked = next(p for p in pairs if p["linked"])
    assert all(set(p["record_a"]) >= {"ref", "view"} and p["record_a"]["view"] == "pseudonymised" for p in pairs)
    page = a.get("/review")
    r = a.post("/review", data={"csrf_token": csrf(page.text), "token": linked["token"], "decision": "not-same"})
    assert r.status_code == 303 and "Decision recorded" in a.get(r.headers["location"]).text
    assert linked["token"] not in {p["token"] for p in a.get("/api/review").json()["pairs"]}  # judged pairs leave the queue
    same, not_same = live_judgements(w.engine.url.render_as_string(hide_password=False))
    assert len(not_same) == 1 and not same
    (sa, ra), (sb, rb) = not_same[0]
    entry = [e for e in audit.recent(w.engine) if e["action"] == "review.decision"][0]
    assert entry["actor"] == "ana" and json.loads(entry["detail"])["decision"] == "not-same"

    from joinedup.state.url import state_url

    w.app.state.warehouse.close()  # DuckDB: one process, one configuration per file
    link_warehouse(str(db), state_url=state_url(state))  # the next run reads the judgement
    con = duckdb.connect(str(db), read_only=True)
    pa = con.execute("SELECT person_id FROM link_person WHERE source = ? AND source_record_id = ?", [sa, ra]).fetchone()[0]
    pb = con.execute("SELECT person_id FROM link_person WHERE source = ? AND source_record_id = ?", [sb, rb]).fetchone()[0]
    con.close()
    assert pa != pb, "the run linked a pair a person judged not the same"


def test_protected_characteristics_change_nothing_shown(linked_world, tmp_path, people):
    db2 = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db2))
    cols = {r[0] for r in con.execute("DESCRIBE person_record").fetchall()}
    sets = [f"{c} = 'ZZ'" for c in ("ethnicity_self", "ethnicity_ons21", "ethnicity_observed", "nationality", "religion") if c in cols]
    con.execute(f"UPDATE person_record SET {', '.join(sets)}")
    con.close()
    secret = b"s" * 32
    w1 = make_web(linked_world.db, str(tmp_path / "a.sqlite"), secret=secret)
    w2 = make_web(db2, str(tmp_path / "b.sqlite"), secret=secret)
    probes = [pid for pid in sorted(people)[:40]]
    for role_user in ("ana", "inv", "inq"):
        c1, c2 = w1.login(role_user), w2.login(role_user)
        for pid in probes[:15]:
            fore, sur = next(((r[2], r[3]) for r in people[pid] if r[2] and r[3]), ("A", "B"))
            q = {"forename": fore, "surname": sur}
            assert c1.get("/api/persons", params=q).json() == c2.get("/api/persons", params=q).json()
            p = {"reason": REASON}
            assert c1.get(f"/api/persons/{pid}", params=p).json() == c2.get(f"/api/persons/{pid}", params=p).json()
    assert w1.login("ana").get("/api/review").json() == w2.login("ana").get("/api/review").json()
    d1, d2 = w1.login("ana").get("/api/dashboard").json(), w2.login("ana").get("/api/dashboard").json()
    assert d1 == d2
