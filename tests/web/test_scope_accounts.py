"""Account upkeep in the web application: an administrator disables, enables, re-scopes and resets accounts on the
Users page; every signed-in user changes their own password. Each change is audited."""

from __future__ import annotations

import pytest

from joinedup.state import audit
from web_support import PASSWORD, csrf, make_web


@pytest.fixture(scope="module")
def aw(linked_world, tmp_path_factory):
    """A private app: these tests change accounts."""
    from joinedup.state.accounts import add_user

    w = make_web(linked_world.db, str(tmp_path_factory.mktemp("acctstate") / "state.sqlite"))
    add_user(w.engine, "inq2", "inquiry", "NAT", PASSWORD)
    add_user(w.engine, "ana2", "analyst", "NAT", PASSWORD)
    return w


def _change(adm, **fields):
    token = csrf(adm.get("/users").text)
    return adm.post("/users/change", data={"csrf_token": token} | fields)


def test_admin_disables_and_enables_an_account(aw):
    adm, victim = aw.login("adm"), aw.login("ana2")
    assert victim.get("/api/me").status_code == 200
    r = _change(adm, user="ana2", action="disable")
    assert r.status_code == 200 and "Disable: done for ana2" in r.text
    assert victim.get("/api/me").status_code == 401  # at once, in the open session
    assert "disabled" in adm.get("/users").text
    assert _change(adm, user="ana2", action="enable").status_code == 200
    assert aw.login("ana2").get("/api/me").status_code == 200
    acts = [e["action"] for e in audit.recent(aw.engine, actor="adm", limit=20)]
    assert "user.disable" in acts and "user.enable" in acts


def test_admin_sets_areas_and_a_new_password(aw):
    adm = aw.login("adm")
    assert _change(adm, user="inq2", action="areas", areas="la01, F01").status_code == 200
    assert aw.login("inq2").get("/api/me").json()["areas"] == ["F01", "LA01"]
    r = _change(adm, user="ana2", action="areas", areas="F01")
    assert r.status_code == 422 and "only an inquiry" in r.text
    r = _change(adm, user="ana2", action="password", new_password="short")
    assert r.status_code == 422 and "at least 12" in r.text
    assert _change(adm, user="ana2", action="password", new_password="brand-new-passphrase-9").status_code == 200
    c = aw.client()
    r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": "ana2", "password": PASSWORD})
    assert r.status_code == 422
    r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": "ana2",
                               "password": "brand-new-passphrase-9", "next": "/"})
    assert r.status_code == 303


@pytest.mark.parametrize("fields,msg", [
    ({"user": "nobody", "action": "disable"}, "Choose an account"),
    ({"user": "ana", "action": "explode"}, "Choose what to change"),
    ({"user": "adm", "action": "disable"}, "cannot disable your own account"),
    ({}, "Choose an account"),
])
def test_admin_change_form_validates(aw, fields, msg):
    r = _change(aw.login("adm"), **fields)
    assert r.status_code == 422 and msg in r.text


def test_only_admins_change_accounts(aw):
    c = aw.login("ana")
    r = c.post("/users/change", data={"csrf_token": c.get("/api/me").json()["csrf_token"], "user": "adm",
                                      "action": "disable"})
    assert r.status_code == 403
    from joinedup.state.accounts import find_user

    assert find_user(aw.engine, "adm").disabled_at is None


def test_users_change_their_own_password(aw):
    from joinedup.state.accounts import add_user

    add_user(aw.engine, "aud2", "auditor", "NAT", PASSWORD)
    c = aw.login("aud2")
    page = c.get("/account/password")
    assert page.status_code == 200 and "Change your password" in page.text
    t = csrf(page.text)
    for fields, msg in (({"current": "wrong-password-123", "new": "x" * 14, "confirm": "x" * 14}, "current password"),
                        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "at least 12"),
                        ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, "differ"),
                        ({"current": PASSWORD, "new": "y" * 14, "confirm": "z" * 14}, "same new password")):
        r = c.post("/account/password", data={"csrf_token": t} | fields)
        assert r.status_code == 422 and msg in r.text, (fields, r.status_code)
    r = c.post("/account/password", data={"csrf_token": t, "current": PASSWORD, "new": "my-own-new-pass-77",
                                          "confirm": "my-own-new-pass-77"})
    assert r.status_code == 303 and "changed" in c.get(r.headers["location"]).text
    assert [e["action"] for e in audit.recent(aw.engine, actor="aud2", limit=5)][0] == "user.password"
    fresh = aw.client()
    r = fresh.post("/login", data={"csrf_token": csrf(fresh.get("/login").text), "name": "aud2",
                                   "password": "my-own-new-pass-77", "next": "/"})
    assert r.status_code == 303


def test_admin_adds_an_inquiry_account_with_areas(aw):
    from joinedup.state.accounts import find_user

    adm = aw.login("adm")
    form = {"csrf_token": csrf(adm.get("/users").text), "name": "inq3", "role": "inquiry", "org": "NAT",
            "password": "a-long-passphrase-456"}
    r = adm.post("/users", data=form | {"areas": "LA01;F01"})
    assert r.status_code == 422 and "organisation codes" in r.text and find_user(aw.engine, "inq3") is None
    r = adm.post("/users", data=form | {"areas": "la01,F01"})
    assert r.status_code == 200 and find_user(aw.engine, "inq3").area_list == ("F01", "LA01")
    assert "F01, LA01" in adm.get("/users").text
    e = audit.recent(aw.engine, actor="adm", limit=1)[0]
    assert e["action"] == "user.add" and '"areas_given": ["F01", "LA01"]' in e["detail"]
