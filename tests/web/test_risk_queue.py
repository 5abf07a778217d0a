"""The risk review queue (/risk, /api/risk): ranking, scoping per role, reasons with evidence, and review decisions."""

from __future__ import annotations

import json

import pytest

from test_person_page import child, orgs_of, signed_in, sql, staged  # noqa: F401 - shared session fixtures
from web_support import csrf, make_web


def all_pages(c) -> list[dict]:
    out, page = [], 1
    while True:
        d = c.get("/api/risk", params={"page": page}).json()
        out += d["children"]
        if page >= d["pages"]:
            return out
        page += 1


def scoped_ids(web, org: str | None) -> list[str]:
    """The queue's person ids in rank order, kept to children with a record from org (independently, in SQL)."""
    rows = sql(web, "SELECT person_id FROM risk_queue ORDER BY rank")
    if org is None:
        return [r[0] for r in rows]
    return [pid for (pid,) in rows if org in orgs_of(web, pid)]


@pytest.mark.parametrize("name,org", [("ana", None), ("inq", None), ("pra", "LA01"), ("inv", "F01")])
def test_queue_is_ranked_and_scoped(staged, name, org):
    got = all_pages(staged.login(name))
    assert [c["person_id"] for c in got] == scoped_ids(staged, org)
    assert got, "an empty queue proves nothing"
    assert [c["rank"] for c in got] == sorted(c["rank"] for c in got)
    for c in got:
        assert c["reasons"] and all(i["evidence"] for i in c["indicators"]), "a row without reasons or records"


def test_queue_page_lists_children_with_reasons(staged):
    c = staged.login("pra")
    page = c.get("/risk")
    assert page.status_code == 200 and "Risk review queue" in page.text
    first = c.get("/api/risk").json()["children"][0]
    assert f'href="/persons/{first["person_id"]}"' in page.text
    assert first["reasons"][0].split(" (x")[0].replace("'", "&#39;") in page.text


def decide_form(c, pid: str, **data):
    page = c.get(f"/persons/{pid}")
    return c.post("/risk", data={"csrf_token": csrf(page.text), "person_id": pid, **data})


def test_practitioner_records_a_decision_shown_on_queue_and_person_page(staged, child):
    from joinedup.state import audit
    from joinedup.state.review import decisions_of

    c = signed_in(staged, "pra", child)
    assert 'action="/risk"' in c.get(f"/persons/{child}").text, "no decision form for a child in the queue"
    bad = decide_form(c, child, decision="maybe")
    assert bad.status_code == 422 and "Choose no concern, referred or action taken" in bad.text
    r = decide_form(c, child, decision="referred", note="strategy meeting held")
    assert r.status_code == 303 and r.headers["location"].startswith(f"/persons/{child}")
    stored = decisions_of(staged.engine, [child])[child][-1]
    q = sql(staged, "SELECT run_id, score, reasons FROM risk_queue WHERE person_id = ?", [child])[0]
    assert (stored["decision"], stored["decided_by"], stored["note"]) == ("referred", "pra", "strategy meeting held")
    assert (stored["queue_run_id"], stored["score"], stored["reasons"]) == q
    assert "Decision recorded" in c.get(r.headers["location"]).text
    row = next(x for x in c.get("/api/risk").json()["children"] if x["person_id"] == child)
    assert row["decisions"][-1]["decision"] == "referred" and row["decisions"][-1]["note"] == "strategy meeting held"
    # the analyst sees the decision but not its free-text note
    ana = staged.login("ana").get(f"/api/persons/{child}").json()["review_decisions"]
    assert ana[-1]["decision"] == "referred" and ana[-1]["note"] is None and ana[-1]["note_withheld"]
    e = next(e for e in audit.recent(staged.engine) if e["action"] == "risk.decision")
    assert e["actor"] == "pra" and e["target"] == f"person:{child}" and json.loads(e["detail"])["decision"] == "referred"


def test_api_decision_needs_csrf_header_and_a_child_in_scope(staged, child):
    inv = signed_in(staged, "inv", child)
    token = inv.get("/api/me").json()["csrf_token"]
    body = {"person_id": child, "decision": "no-concern", "note": "known, already acted on"}
    assert inv.post("/api/risk", json=body).status_code == 403
    r = inv.post("/api/risk", json=body, headers={"x-csrf-token": token})
    assert r.status_code == 200 and r.json()["decision"] == "no-concern"
    assert inv.post("/api/risk", json=body | {"decision": "monitor"}, headers={"x-csrf-token": token}).status_code == 422
    assert inv.post("/api/risk", json=body | {"note": "x" * 501}, headers={"x-csrf-token": token}).status_code == 422
    # a child F01 holds no record of is not in the investigator's queue
    outside = next(pid for pid in scoped_ids(staged, None) if "F01" not in orgs_of(staged, pid))
    r = inv.post("/api/risk", json=body | {"person_id": outside}, headers={"x-csrf-token": token})
    assert r.status_code == 422 and "not in your risk review queue" in r.text
    # a child outside LA01 is refused to the practitioner (403), and no decision is stored for it
    pra = staged.login("pra")
    outsider = next(pid for pid in scoped_ids(staged, None) if "LA01" not in orgs_of(staged, pid))
    r = pra.post("/api/risk", json=body | {"person_id": outsider}, headers={"x-csrf-token": pra.get("/api/me").json()["csrf_token"]})
    assert r.status_code == 403
    from joinedup.state.review import decisions_of

    assert outsider not in decisions_of(staged.engine, [outsider])
    for name in ("ana", "inq"):
        c = staged.login(name)
        assert c.post("/api/risk", json=body, headers={"x-csrf-token": c.get("/api/me").json()["csrf_token"]}).status_code == 403


def test_queue_says_plainly_when_risk_has_not_run(web):
    c = web.login("pra")
    assert "The risk stage has not been run" in c.get("/risk").text
    assert c.get("/api/risk").json()["landed"] is False


def test_protected_characteristics_change_nothing_in_the_queue(staged, linked_world, tmp_path):
    """Ethnicity, nationality and religion changed on every record: the same children, scores and reasons."""
    import duckdb

    from joinedup.network.core import run_network
    from joinedup.risk.queue import run_queue

    db = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db))
    cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'person_record'").fetchall()}
    changed = [c for c in ("ethnicity", "nationality", "religion") if c in cols]
    assert changed, "the standard has none of the protected columns: the test would prove nothing"
    con.execute("UPDATE person_record SET " + ", ".join(f"{c} = CASE WHEN {c} = 'ZZ' THEN 'YY' ELSE 'ZZ' END" for c in changed))
    con.close()
    run_network(str(db))  # as on the staged world: the risk stage reads the network's groups
    run_queue(str(db))
    other = make_web(db, str(tmp_path / "state.sqlite"), secret=staged.secret)

    def view(web) -> list[tuple]:
        return [(c["person_id"], c["score"], tuple(c["reasons"])) for c in all_pages(web.login("ana"))]

    assert view(other) == view(staged)


def test_decisions_are_kept_on_sqlite_and_postgresql(state):
    """add_decision / decisions_of on both state backends: every decision kept in order, with its queue entry."""
    import datetime as dt

    from joinedup.state import open_state
    from joinedup.state.review import add_decision, decisions_of
    from joinedup.state.url import state_url

    engine = open_state(state_url(state))
    q = {"run_id": "R1", "as_of": dt.date(2024, 1, 1), "score": 9, "reasons": "a reason +9"}
    first = add_decision(engine, "Pchild", "referred", "pra", "strategy meeting", q)
    add_decision(engine, "Pchild", "no-concern", "inv", None, None)
    add_decision(engine, "Pother", "action-taken", "pra", None, q)
    got = decisions_of(engine, ["Pchild", "Pnobody"])
    assert set(got) == {"Pchild"} and [d["decision"] for d in got["Pchild"]] == ["referred", "no-concern"]
    d = got["Pchild"][0]
    assert (d["id"], d["queue_run_id"], d["queue_as_of"], d["score"], d["reasons"]) == (first["id"], "R1", dt.date(2024, 1, 1), 9, "a reason +9")
    assert d["decided_at"].tzinfo is not None
    with pytest.raises(ValueError):
        add_decision(engine, "Pchild", "monitor", "pra", None, None)


def test_an_inquiry_account_with_areas_sees_only_their_children(staged):
    """An inquiry investigator bound to LA01 gets the queue's children known to LA01, no others."""
    from joinedup.state.accounts import add_user, find_user
    from web_support import PASSWORD

    if find_user(staged.engine, "inq-q-la01") is None:
        add_user(staged.engine, "inq-q-la01", "inquiry", "NAT", PASSWORD, areas=("LA01",))
    got = [c["person_id"] for c in all_pages(staged.login("inq-q-la01"))]
    assert got and got == scoped_ids(staged, "LA01")
    assert len(got) < len(scoped_ids(staged, None))
