"""Groups, justice and statistics pages: access per role, shaping per role, reasons, audit, CSV, publication files."""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pytest

from pages_support import staged_db
from web_support import USERS, csrf, make_web

REASON = "operation review 2291: checking the group"
CASE = ("analyst", "investigator", "practitioner", "inquiry")
ALL = tuple(r for r, _ in USERS.values())
FULL_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b(?! \d\d:\d\d)")  # a day; the stages' run times (with hh:mm) are no one's


@pytest.fixture(scope="module")
def staged(linked_world, tmp_path_factory):
    """An app over a warehouse where the network and justice stages have run."""
    d = tmp_path_factory.mktemp("pages")
    db = staged_db(linked_world, d)
    return make_web(db, str(d / "state.sqlite"))


@pytest.fixture(scope="module")
def tables(staged):
    con = duckdb.connect(str(staged.db), read_only=True)
    out = {
        "groups": con.execute("SELECT group_id, priority FROM network_group").fetchall(),
        "members": con.execute("SELECT group_id, person_id, role FROM network_member").fetchall(),
        "downgrades": con.execute("SELECT force, victim_person_id FROM justice_downgrade").fetchall(),
        "disregards": con.execute("SELECT person_id FROM justice_disregard").fetchall(),
        "reopen": con.execute("SELECT force, suspect_person_id FROM justice_reopen").fetchall(),
        "phones": {x for (x,) in con.execute("SELECT DISTINCT unnest(phones) FROM person_record").fetchall() if x},
        "vehicles": {x for (x,) in con.execute("SELECT DISTINCT unnest(vehicles) FROM person_record").fetchall() if x},
    }
    con.close()
    return out


@pytest.fixture(scope="module")
def biggest(tables) -> str:
    """The group with the most members."""
    sizes: dict[str, int] = {}
    for g, _, _ in tables["members"]:
        sizes[g] = sizes.get(g, 0) + 1
    return max(sorted(sizes), key=lambda g: sizes[g])


@pytest.fixture(scope="module")
def clients(staged, biggest):
    """One signed-in client per role; identified roles have given their reasons for the group and the justice lists."""
    cs = {}
    for name, (role, _) in USERS.items():
        c = staged.login(name)
        if role in ("investigator", "practitioner", "inquiry"):
            page = c.get(f"/groups/{biggest}")
            assert page.status_code == 200 and "Why do you need to see these records?" in page.text
            assert c.post(f"/groups/{biggest}/reason", data={"csrf_token": csrf(page.text), "reason": REASON}).status_code == 303
            page = c.get("/justice/downgrades")
            assert "Why do you need to see these records?" in page.text
            r = c.post("/justice/reason", data={"csrf_token": csrf(page.text), "reason": REASON, "next": "downgrades"})
            assert r.status_code == 303 and r.headers["location"] == "/justice/downgrades"
        cs[role] = c
    return cs


ROUTES = ["/groups", "/groups?sort=gap", "/api/groups", "/groups/{gid}", "/api/groups/{gid}?reason=" + REASON,
          "/api/groups/{gid}/network?reason=" + REASON, "/justice", "/api/justice",
          *[f"/justice/{k}" for k in ("downgrades", "disregards", "reopen")],
          *[f"/api/justice/{k}?reason={REASON}" for k in ("downgrades", "disregards", "reopen")],
          *[f"/justice/{k}.csv" for k in ("downgrades", "disregards", "reopen")],
          *[f"/api/justice/{k}.csv?reason={REASON}" for k in ("downgrades", "disregards", "reopen")],
          "/statistics", "/api/statistics", "/statistics/download/statistics.ods", "/statistics/download/table_1.csv",
          "/statistics/download/report.html"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ALL)
def test_every_role_on_every_page_with_the_stages_run(clients, biggest, route, role):
    r = clients[role].get(route.format(gid=biggest))
    assert r.status_code == (200 if role in CASE else 403), (role, route, r.status_code, r.text[:300])


def test_groups_list_sorted_by_priority_with_reasons(clients, tables):
    d = clients["analyst"].get("/api/groups").json()
    assert d["landed"] and len(d["groups"]) == len(tables["groups"]) > 0
    prios = [g["priority"] for g in d["groups"]]
    assert prios == sorted(prios, reverse=True) and prios[0] == max(p for _, p in tables["groups"])
    assert all(g["priority_reasons"] and "(+" in g["priority_reasons"] for g in d["groups"])
    by_victims = [g["n_victims"] for g in clients["analyst"].get("/api/groups?sort=victims").json()["groups"]]
    assert by_victims == sorted(by_victims, reverse=True)
    page = clients["analyst"].get("/groups").text
    assert page.index(d["groups"][0]["group_id"]) < page.index(d["groups"][-1]["group_id"])
    assert clients["analyst"].get("/api/groups?sort=name").status_code == 422
    assert clients["analyst"].get("/groups?sort=<script>").status_code == 422


def test_group_page_members_edges_crimes_and_timeline(clients, tables, biggest):
    d = clients["inquiry"].get(f"/api/groups/{biggest}").json()
    want = {(p, r) for g, p, r in tables["members"] if g == biggest}
    assert {(m["person_id"], m["role"]) for m in d["members"]} == want
    assert all(m["why"] and m["sources"] for m in d["members"]), "every member says why it is in, with its records"
    assert {m["person_id"] for m in d["victims"]} == {p for p, r in want if r == "victim"}
    assert d["edges"] and all(e["sources"] for e in d["edges"])
    members = {m["person_id"] for m in d["members"]}
    assert all(e["a"] in members and e["b"] in members for e in d["edges"])
    assert d["timeline"] and sum(t["ties_recorded"] for t in d["timeline"]) == sum(1 for e in d["edges"] if e["known_date"])
    assert d["key_people"]
    g = clients["inquiry"].get(f"/api/groups/{biggest}/network").json()
    assert {n["data"]["id"] for n in g["nodes"]} == members and len(g["edges"]) == len(d["edges"])
    page = clients["inquiry"].get(f"/groups/{biggest}").text
    assert 'id="network"' in page and "/static/groups.js" in page and "<script>" not in page


def _names(people, pids, orgs_allowed=None):
    out = set()
    for pid in pids:
        for org, agency, fore, sur, dob, addr in people[pid]:
            if orgs_allowed is None or org in orgs_allowed:
                out |= {x for x in (fore, sur) if x and len(x) >= 3}
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z][A-Z'-]{2,}\b", text))


def test_analyst_views_hold_no_name_date_phone_or_vehicle(clients, people, tables, biggest):
    c = clients["analyst"]
    pids = {p for g, p, _ in tables["members"]} | {p for _, p in tables["downgrades"]} | {p for (p,) in tables["disregards"]}
    names = _names(people, [p for p in pids if p in people])
    shown = [c.get(u.format(gid=biggest)) for u in ROUTES if not u.startswith("/statistics/download")]
    assert all(r.status_code == 200 for r in shown)
    for r in shown:
        assert not (_words(r.text) & names), f"a name in a pseudonymised view: {sorted(_words(r.text) & names)[:5]}"
        assert not FULL_DATE.search(r.text), f"a full date in a pseudonymised view: {FULL_DATE.search(r.text).group(0)}"
        assert not any(x in r.text for x in tables["phones"] | tables["vehicles"]), "a phone number or vehicle shown"
        assert not re.search(r"\b[A-Z]{1,4}\d{1,3}-[a-z]+:[A-Za-z0-9-]+", r.text), "an agency record id shown"


def test_investigator_sees_own_force_identified_and_pointers_elsewhere(clients, people, tables, biggest):
    d = clients["investigator"].get(f"/api/groups/{biggest}").json()
    for m in d["members"]:
        f01 = _names(people, [m["person_id"]], {"F01"})
        if m["name"]:
            assert set(m["name"].split()) <= f01, "a name shown from another organisation's record"
        elif "F01" in m["orgs"]:
            assert not f01, "an own-force name was not shown"
        assert set(m["known_to"]) == set(m["orgs"]) - {"F01"}
        for s in m["sources"]:
            assert s.startswith("F01-") or s.startswith("a record held by "), s
    rows = clients["investigator"].get("/api/justice/reopen").json()["rows"]
    assert {r["force"] for r in rows} == {f for f, _ in tables["reopen"]}
    for r in rows:
        if r["force"] != "F01":
            assert r["view"] == "pointer" and "closing_record" not in r and "reasons" not in r
        else:
            assert r["view"] == "identified" and r["closing_record"].startswith("F01-")


def test_practitioner_sees_children_of_own_authority_only(clients, people, tables, biggest):
    d = clients["practitioner"].get(f"/api/groups/{biggest}").json()
    for m in d["members"]:
        known = "LA01" in {r[0] for r in people[m["person_id"]]}
        assert bool(m["name"]) <= known and m["openable"] == known
        if not known:
            assert m["dob"] is None and m["age_band"] is None
    for key, col in (("downgrades", 1), ("disregards", 0)):
        rows = clients["practitioner"].get(f"/api/justice/{key}").json()["rows"]
        expect = {t[col] for t in tables[key] if "LA01" in {r[0] for r in people.get(t[col], [])}}
        got = {r["victim_person_id" if key == "downgrades" else "person_id"] for r in rows}
        assert got == expect


def test_identified_roles_give_a_reason_and_views_are_audited(staged, biggest):
    from joinedup.state import audit

    c = staged.login("inq")
    assert c.get(f"/api/groups/{biggest}").status_code == 422
    assert c.get(f"/api/groups/{biggest}/network").status_code == 422
    assert c.get("/api/justice/reopen").status_code == 422
    assert c.get("/justice/reopen.csv").status_code == 422
    page = c.get(f"/groups/{biggest}")
    assert "Why do you need to see these records?" in page.text and "/static/groups.js" not in page.text
    r = c.post(f"/groups/{biggest}/reason", data={"csrf_token": csrf(page.text), "reason": "short"})
    assert r.status_code == 422 and "10 to 500 characters" in r.text
    c.post(f"/groups/{biggest}/reason", data={"csrf_token": csrf(page.text), "reason": REASON})
    assert c.get(f"/groups/{biggest}").status_code == 200
    assert c.get(f"/api/groups/{biggest}/network").status_code == 200
    assert c.get(f"/api/justice/reopen?reason={REASON}").status_code == 200
    assert c.get(f"/api/justice/reopen.csv?reason={REASON}").status_code == 200
    entries = [e for e in audit.recent(staged.engine, limit=50, actor="inq")]
    acts = {(e["action"], e["target"], e["reason"]) for e in entries}
    for a in (("group.view", f"group:{biggest}", REASON), ("group.network", f"group:{biggest}", REASON),
              ("justice.list", "justice:reopen", REASON), ("justice.export", "justice:reopen", REASON)):
        assert a in acts, a
    assert audit.verify(staged.engine).ok


def test_justice_lists_come_in_pages_and_the_csv_has_every_row(clients, tables, monkeypatch):
    from joinedup.web import data_justice

    monkeypatch.setattr(data_justice, "PER_PAGE", 10)
    c = clients["analyst"]
    first = c.get("/api/justice/reopen").json()
    assert first["total"] == len(tables["reopen"]) and first["pages"] == -(-len(tables["reopen"]) // 10) > 1
    ranks = [r["rank"] for n in range(1, first["pages"] + 1) for r in c.get(f"/api/justice/reopen?page={n}").json()["rows"]]
    assert ranks == sorted(ranks) and len(ranks) == len(set(ranks)) == len(tables["reopen"])
    assert c.get("/api/justice/reopen?page=999").json()["page"] == first["pages"]
    assert c.get("/api/justice/reopen?page=0").status_code == 422
    page = c.get("/justice/reopen?page=2").text
    assert "page 2 of" in page and 'href="/justice/reopen?page=3"' in page
    assert len(list(csv.DictReader(io.StringIO(c.get("/justice/reopen.csv").text)))) == len(tables["reopen"])


def test_justice_csv_neutralises_formulae(clients):
    text = clients["inquiry"].get("/justice/reopen.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    first = next(r for r in rows if r["rank"] == "1")
    assert first["closed_as"].startswith("'=HYPERLINK"), first["closed_as"]
    assert all(not v.startswith(("=", "+", "@")) for r in rows for v in r.values() if v)


def test_bad_group_ids(clients):
    c = clients["analyst"]
    assert c.get("/api/groups/G-0000000000").status_code == 404
    assert c.get("/groups/G-0000000000").status_code == 404
    for bad in ("x", "G-<script>", "G-' OR 1=1", "G-" + "a" * 60):
        assert c.get(f"/api/groups/{bad}").status_code == 422
        r = c.get(f"/groups/{bad}")
        assert r.status_code == 422 and "<script>" not in r.text.split("</header>")[-1]


def test_statistics_publication_made_once_cached_under_the_state_folder_and_downloads_audited(staged, clients):
    from pathlib import Path

    from joinedup.state import audit

    d = clients["practitioner"].get("/api/statistics").json()
    names = {f["name"] for f in d["files"]}
    assert {"statistics.ods", "report.html", "table_1.csv", "table_15.csv"} <= names
    assert d["headline"] and d["settings"]["threshold"] == 5
    root = Path(staged.state).parent / "publication"
    folders = [p for p in root.iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and (folders[0] / "statistics.ods").is_file()
    r = clients["practitioner"].get("/statistics/download/table_1.csv")
    assert r.status_code == 200 and r.content == (folders[0] / "csv" / "table_1.csv").read_bytes()
    assert "attachment" in r.headers["content-disposition"]
    for f in d["files"]:
        if f["name"].endswith(".csv"):
            body = clients["practitioner"].get(f["url"]).text
            assert not re.search(r"\bP[0-9a-f]{15}\b", body), "a person id in the publication"
    for bad in ("summary.json", "state.sqlite", "..%2Fstate.sqlite", "table_1.csv.bak"):
        assert clients["analyst"].get(f"/statistics/download/{bad}").status_code == 404
    assert any(e["action"] == "statistics.download" and e["target"] == "statistics:table_1.csv"
               for e in audit.recent(staged.engine, limit=100, actor="pra"))
    mtime = (folders[0] / "summary.json").stat().st_mtime
    again = make_web(staged.db, staged.state, staged.secret)  # a restart reuses the folder
    c = again.login("ana")
    assert c.get("/api/statistics").status_code == 200
    assert (folders[0] / "summary.json").stat().st_mtime == mtime


def test_pages_say_plainly_when_the_stages_have_not_run(web):
    c = web.login("ana")
    for path in ("/groups", "/groups/G-0123456789", "/justice", "/justice/downgrades", "/justice/reopen"):
        r = c.get(path)
        assert r.status_code == 200 and "has not been run on this warehouse" in r.text, path
    assert c.get("/api/groups").json() == {"landed": False, "run": None, "sort": "priority",
                                          "sorts": ["priority", "victims", "suspects", "last-seen", "first-detectable", "gap"],
                                          "groups": []}
    assert c.get("/api/groups/G-0123456789/network").json()["landed"] is False
    assert c.get("/api/justice/disregards").json()["rows"] == []
    i = web.login("inq")  # no reason asked where there is nothing to show
    assert i.get("/api/groups/G-0123456789").json() == {"landed": False, "group_id": "G-0123456789"}
    assert "has not been run" in i.get("/justice/reopen").text


def test_protected_characteristics_change_nothing_on_these_pages(staged, biggest, tmp_path):
    """Ethnicity and nationality rewritten on every record: every groups and justice view is byte-identical."""
    import shutil

    db = tmp_path / "w.duckdb"
    shutil.copy(staged.db, db)
    con = duckdb.connect(str(db))
    con.execute("""UPDATE person_record SET ethnicity_self = 'W1', ethnicity_ons21 = 'WBRI', ethnicity_observed = 'IC1',
                                           nationality = 'GBR'""")
    con.close()
    other = make_web(db, str(tmp_path / "state.sqlite"), staged.secret)
    paths = ["/api/groups", f"/api/groups/{biggest}?reason={REASON}", f"/api/groups/{biggest}/network?reason={REASON}",
             *[f"/api/justice/{k}?reason={REASON}" for k in ("downgrades", "disregards", "reopen")]]
    for name in ("ana", "inv", "pra", "inq"):
        a, b = staged.login(name), other.login(name)
        for path in paths:
            ra, rb = a.get(path), b.get(path)
            assert ra.status_code == rb.status_code == 200
            assert ra.content == rb.content, (name, path)


def test_justice_page_shows_the_median_days_between_stages_with_their_counts(clients, staged):
    import duckdb

    d = clients["analyst"].get("/api/justice").json()
    national = next(a for a in d["attrition"] if a["year"] is None)
    with duckdb.connect(str(staged.db), read_only=True) as con:
        m, n = con.execute("""SELECT median_days_suspect_to_charge, crimes_suspect_to_charge FROM justice_attrition
                              WHERE force = 'ALL' AND year IS NULL""").fetchone()
    assert n > 0 and national["crimes_suspect_to_charge"] == n and national["median_days_suspect_to_charge"] == m
    page = clients["analyst"].get("/justice").text
    assert "Median days between stages" in page and "Suspect identified to charge" in page
    assert f"{m:.0f} ({n})" in page
