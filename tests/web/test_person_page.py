"""The person page's chronology, risk flags and network sections, and the chronology page, for every role.

Built on a copy of the shared linked world with the network and risk stages run on it (the `staged` fixture,
shared with test_risk_queue.py and test_person_browser.py).
"""

from __future__ import annotations

import re

import pytest

from web_support import USERS, Web, csrf, make_web

REASON = "checking referral REF-5678 before a strategy meeting"


@pytest.fixture(scope="session")
def staged(linked_world, tmp_path_factory) -> Web:
    """The web app over a copy of the linked world on which `joinedup network` and `joinedup risk` have run."""
    from joinedup.network.core import run_network
    from joinedup.risk.queue import run_queue

    d = tmp_path_factory.mktemp("staged")
    db = linked_world.copy_db(d)
    run_network(str(db))
    run_queue(str(db))
    return make_web(db, str(d / "state.sqlite"))


def sql(web: Web, query: str, params=()) -> list[tuple]:
    """Rows from the served warehouse (through the app's own read-only connection)."""
    return web.app.state.warehouse.cur().execute(query, list(params)).fetchall()


def orgs_of(web: Web, pid: str) -> set[str]:
    return {r[0] for r in sql(web, """SELECT pr.org_code FROM link_person lp JOIN person_record pr USING (source, source_record_id)
                                     WHERE lp.person_id = ?""", [pid])}


@pytest.fixture(scope="session")
def child(staged) -> str:
    """A child in the risk queue known to LA01 and F01 and a third organisation, with a network tie: the richest page."""
    rows = sql(staged, """SELECT q.person_id FROM risk_queue q WHERE EXISTS (SELECT 1 FROM network_edge e
                          WHERE e.person_a = q.person_id OR e.person_b = q.person_id) ORDER BY q.rank""")
    for (pid,) in rows:
        o = orgs_of(staged, pid)
        if {"LA01", "F01"} <= o and len(o) >= 3:
            return pid
    pytest.fail("no child in the queue known to LA01, F01 and a third organisation with a network tie")


def signed_in(web: Web, name: str, pid: str):
    """A client for this user who has given a reason for this person (identified roles)."""
    c = web.login(name)
    if USERS[name][0] in ("investigator", "practitioner", "inquiry"):
        page = c.get(f"/persons/{pid}")
        assert page.status_code == 200 and "Why do you need to see this record?" in page.text
        assert c.post(f"/persons/{pid}/reason", data={"csrf_token": csrf(page.text), "reason": REASON}).status_code == 303
    return c


@pytest.fixture(scope="session")
def clients(staged, child):
    return {name: signed_in(staged, name, child) for name in ("ana", "inv", "pra", "inq")}


def expected_chronology(web: Web, pid: str) -> list[dict]:
    from joinedup.chronology.build import chronology

    return chronology(web.app.state.warehouse.cur(), pid)["entries"]


def test_inquiry_sees_the_whole_chronology_identified(staged, clients, child):
    want = expected_chronology(staged, child)
    assert want, "the child has no chronology: the test would prove nothing"
    d = clients["inq"].get(f"/api/persons/{child}/chronology").json()["chronology"]
    assert d["total"] == len(want) and {e["view"] for e in d["entries"]} == {"identified"}
    assert [e["record"] for e in d["entries"]] == [f"{e['source']}:{e['record_id']}" for e in want]
    assert [e["happened"] for e in d["entries"]] == [e["happened"].isoformat() if e["happened"] else None for e in want]
    # the person page shows the latest entries and links to the rest
    p = clients["inq"].get(f"/api/persons/{child}").json()["chronology"]
    assert p["total"] == len(want) and p["entries"] == d["entries"][-p["shown"]:]
    page = clients["inq"].get(f"/persons/{child}").text
    assert f'href="/persons/{child}/chronology"' in page and "Chronology: what was known, when" in page
    full = clients["inq"].get(f"/persons/{child}/chronology")
    assert full.status_code == 200 and all(e["summary"].split(" (")[0] in full.text.replace("&#39;", "'") for e in d["entries"][:5])


def test_investigator_sees_own_force_entries_and_pointers_elsewhere(staged, clients, child):
    want = expected_chronology(staged, child)
    d = clients["inv"].get(f"/api/persons/{child}/chronology").json()["chronology"]
    own = [e for e in want if e["org_code"] == "F01"]
    assert d["total"] == len(own) and all(e["org_code"] == "F01" and e["view"] == "identified" for e in d["entries"])
    assert {x["org_code"] for x in d["elsewhere"]} == {e["org_code"] for e in want} - {"F01"}
    text = clients["inv"].get(f"/persons/{child}/chronology").text
    for e in want:
        if e["org_code"] != "F01":
            assert e["record_id"] not in text, "another organisation's record id shown to an investigator"
    for m in d["missed_chances"]:
        assert "F01" in (m["org_a"], m["org_b"])
        assert all(x["view"] == "pointer" for x in m["held_a"] + m["held_b"] if x["org_code"] != "F01")
    # risk: indicators resting only on other organisations' records show as "known to" pointers, no label
    risk = clients["inv"].get(f"/api/persons/{child}").json()["risk"]["child"]
    for ind in risk["indicators"]:
        views = {e["view"] for e in ind["evidence"]}
        if views == {"pointer"}:
            assert ind["label"] is None and ind["first_date"] is None
        for e in ind["evidence"]:
            if e["view"] == "pointer":
                assert set(e) == {"view", "org_code", "pointer"} and e["org_code"] != "F01"


def test_practitioner_sees_own_authoritys_child_in_full_and_no_one_else(staged, clients, child):
    d = clients["pra"].get(f"/api/persons/{child}/chronology").json()["chronology"]
    assert d["total"] == len(expected_chronology(staged, child)) and not d["elsewhere"]
    outsider = next(pid for (pid,) in sql(staged, "SELECT DISTINCT person_id FROM risk_queue ORDER BY 1")
                    if "LA01" not in orgs_of(staged, pid))
    assert clients["pra"].get(f"/api/persons/{outsider}/chronology?reason={REASON}").status_code == 403
    assert clients["pra"].get(f"/persons/{outsider}/chronology").status_code == 403
    # network: a tie to someone the practitioner may not open shows no person id and no pivot
    for t in clients["pra"].get(f"/api/persons/{child}").json()["network"]["ties"]:
        if not t["visible"]:
            assert t["person_id"] is None and t["pivot"] is None


def test_network_section_lists_the_persons_groups_and_ties(staged, clients, child):
    edges = sql(staged, "SELECT person_a, person_b, edge_type FROM network_edge WHERE person_a = ? OR person_b = ?", [child, child])
    groups = sql(staged, "SELECT group_id, role FROM network_member WHERE person_id = ?", [child])
    n = clients["inq"].get(f"/api/persons/{child}").json()["network"]
    assert n["landed"] and len(n["ties"]) == min(len(edges), 100)
    assert sorted((t["person_id"], t["edge_type"]) for t in n["ties"]) == \
        sorted((b if a == child else a, e) for a, b, e in edges)[:100]
    assert sorted((g["group_id"], g["role"]) for g in n["groups"]) == sorted(groups)
    assert all(t["evidence"] for t in n["ties"]), "a tie without the records behind it"
    page = clients["inq"].get(f"/persons/{child}").text
    assert 'id="network"' in page and "Direct ties" in page


def test_risk_section_shows_score_reasons_and_evidence(staged, clients, child):
    q = sql(staged, "SELECT score, reasons FROM risk_queue WHERE person_id = ?", [child])[0]
    n_ind = sql(staged, "SELECT count(*) FROM risk_indicator WHERE person_id = ?", [child])[0][0]
    for name in ("ana", "pra", "inq"):
        r = clients[name].get(f"/api/persons/{child}").json()["risk"]
        assert r["landed"] and r["child"]["score"] == q[0] and len(r["child"]["indicators"]) == n_ind
        assert all(i["evidence"] for i in r["child"]["indicators"]), "a reason without its source records"
        assert sorted(r["child"]["reasons"]) == sorted(q[1].split("; "))
    page = clients["pra"].get(f"/persons/{child}").text
    assert 'id="risk"' in page and "Reasons, with the records behind each" in page


def test_analyst_views_hold_no_name_dob_date_or_place(staged, clients, child, people):
    c = clients["ana"]
    shown = [c.get(f"/persons/{child}"), c.get(f"/api/persons/{child}"), c.get(f"/persons/{child}/chronology"),
             c.get(f"/api/persons/{child}/chronology"), c.get("/risk"), c.get("/api/risk")]
    assert all(r.status_code == 200 for r in shown)
    assert shown[1].json()["chronology"]["entries"] and shown[1].json()["risk"]["child"]
    as_of = shown[5].json()["run"]["as_of"]
    names = {x for recs in people.values() for r in recs for x in (r[2], r[3]) if x and len(x) >= 4}
    found_with = {w for (w,) in sql(staged, "SELECT DISTINCT with_whom FROM event WHERE with_whom IS NOT NULL")}
    found_with |= {x for w in found_with for x in w.split() if len(x) >= 4}
    places = {p for (p,) in sql(staged, "SELECT DISTINCT location FROM event WHERE location IS NOT NULL")}
    for r in shown:
        body = re.sub(r"<[^>]*>", " ", r.text.replace(as_of, ""))  # the text, not the markup's tag names
        words = set(re.findall(r"\b[A-Z][A-Z'-]{2,}\b", body))  # names are upper case in the standard
        assert not words & names, f"a name in a pseudonymised view: {sorted(words & names)[:5]}"
        assert not {w for w in found_with if re.search(rf"\b{re.escape(w)}\b", body)}, "a 'found with' name shown to an analyst"
        assert not {p for p in places if len(p) >= 6 and p in body}, "a place shown to an analyst"
        assert not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", body), "a full date in a pseudonymised view"


def test_chronology_needs_a_reason_and_is_audited(staged, child):
    from joinedup.state import audit

    c = staged.login("inq")
    assert c.get(f"/api/persons/{child}/chronology").status_code == 422
    assert "Why do you need to see this record?" in c.get(f"/persons/{child}/chronology").text
    assert c.get(f"/api/persons/{child}/chronology", params={"reason": REASON}).status_code == 200
    e = next(e for e in audit.recent(staged.engine) if e["action"] == "chronology.view" and e["actor"] == "inq")
    assert e["target"] == f"person:{child}" and e["reason"] == REASON


def test_sections_say_plainly_when_the_stages_have_not_run(web, people):
    """Over the plain linked world (no network or risk run): no made-up flags, ties or groups."""
    pid = next(p for p, recs in sorted(people.items()) if len(recs) >= 2)
    d = web.login("ana").get(f"/api/persons/{pid}").json()
    assert d["risk"] == {"landed": False, "run": None, "child": None}
    assert d["network"] == {"landed": False, "groups": [], "ties": []}
    text = web.login("ana").get(f"/persons/{pid}").text
    assert "The risk stage has not been run" in text and "The network stage has not been run" in text


def test_review_decisions_on_the_page_are_the_stored_ones_in_order(staged):
    from joinedup.state.review import DECISIONS, add_decision, decisions_of

    pid = sql(staged, "SELECT person_id FROM risk_queue ORDER BY rank DESC LIMIT 1")[0][0]
    for d, note in ((DECISIONS[0], "first look"), (DECISIONS[-1], None)):
        add_decision(staged.engine, pid, d, "someone-outside-the-web", note, None)
    want = decisions_of(staged.engine, [pid])[pid]
    got = staged.login("inq").get(f"/api/persons/{pid}", params={"reason": REASON}).json()["review_decisions"]
    assert [(d["id"], d["decision"], d["note"]) for d in got] == [(d["id"], d["decision"], d["note"]) for d in want]
    assert len(got) >= 2 and all(d["decided_at"] for d in got)
