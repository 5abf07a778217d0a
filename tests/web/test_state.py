"""Accounts and the audit log's hash chain, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from joinedup.errors import UserError
from joinedup.state import audit, open_state
from joinedup.state.accounts import add_user, check_password, check_totp, find_user
from joinedup.state.url import state_url

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "joinedup.cli", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def _tamper(engine, sql: str) -> None:
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            # the table refuses UPDATE/DELETE by trigger; a superuser can switch it off, and verify must still see it
            c.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        c.execute(text(sql))
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_users_add_hashes_with_argon2_and_gives_identified_roles_totp(state):
    import pyotp

    eng = open_state(state_url(state))
    inv = add_user(eng, "inv1", "investigator", "F01", "correct horse battery")
    ana = add_user(eng, "ana1", "analyst", "NAT", "correct horse battery")
    assert inv.password_hash.startswith("$argon2id$") and "correct horse" not in inv.password_hash
    assert check_password(find_user(eng, "inv1"), "correct horse battery")
    assert not check_password(find_user(eng, "inv1"), "correct horse batterY")
    assert inv.totp_secret and ana.totp_secret is None
    assert check_totp(inv, pyotp.TOTP(inv.totp_secret).now()) and not check_totp(inv, "000000x")
    with pytest.raises(UserError, match="already taken"):
        add_user(eng, "inv1", "investigator", "F01", "correct horse battery")


@pytest.mark.parametrize("name,role,org,pw,msg", [
    ("x", "analyst", "NAT", "long-enough-password", "name"),
    ("bob", "superuser", "NAT", "long-enough-password", "role"),
    ("bob", "analyst", "F01", "long-enough-password", "national"),
    ("bob", "investigator", "NAT", "long-enough-password", "force or local authority"),
    ("bob", "analyst", "nat!", "long-enough-password", "org"),
    ("bob", "analyst", "NAT", "short", "at least 12"),
])
def test_users_add_refuses_bad_input(tmp_path, name, role, org, pw, msg):
    eng = open_state(state_url(str(tmp_path / "s.sqlite")))
    with pytest.raises(UserError, match=msg):
        add_user(eng, name, role, org, pw)


def test_audit_chain_detects_edit_delete_and_swap(state):
    eng = open_state(state_url(state))
    for i in range(6):
        audit.append(eng, actor=f"user{i}", role="analyst", org="NAT", action="search", detail={"i": i})
    v = audit.verify(eng)
    assert v.ok and v.entries == 6

    _tamper(eng, "UPDATE audit_log SET action = 'tampered' WHERE id = 3")
    v = audit.verify(eng)
    assert not v.ok and v.first_bad_id == 3 and "changed" in v.problem
    _tamper(eng, "UPDATE audit_log SET action = 'search' WHERE id = 3")
    assert audit.verify(eng).ok  # restoring the content restores the chain: the hash covers exactly the content

    # swap the contents of entries 4 and 5 (keeping ids): entry 4 no longer follows entry 3
    _tamper(eng, "UPDATE audit_log SET id = -4 WHERE id = 4")
    _tamper(eng, "UPDATE audit_log SET id = 4 WHERE id = 5")
    _tamper(eng, "UPDATE audit_log SET id = 5 WHERE id = -4")
    v = audit.verify(eng)
    assert not v.ok and v.first_bad_id == 4

    _tamper(eng, "UPDATE audit_log SET id = -4 WHERE id = 4")
    _tamper(eng, "UPDATE audit_log SET id = 4 WHERE id = 5")
    _tamper(eng, "UPDATE audit_log SET id = 5 WHERE id = -4")
    assert audit.verify(eng).ok
    _tamper(eng, "DELETE FROM audit_log WHERE id = 2")
    v = audit.verify(eng)
    assert not v.ok and v.first_bad_id == 3 and "missing" in v.problem


def test_audit_delete_and_renumber_is_still_caught(state):
    eng = open_state(state_url(state))
    for i in range(4):
        audit.append(eng, actor="a", role="analyst", org="NAT", action="search", detail={"i": i})
    _tamper(eng, "DELETE FROM audit_log WHERE id = 2")
    _tamper(eng, "UPDATE audit_log SET id = id - 1 WHERE id > 2")  # hide the gap
    v = audit.verify(eng)
    assert not v.ok and v.first_bad_id == 2 and "does not follow" in v.problem


def test_postgresql_refuses_update_and_delete(state):
    eng = open_state(state_url(state))
    if eng.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    audit.append(eng, actor="a", role="analyst", org="NAT", action="search")
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as c:
            c.execute(text("UPDATE audit_log SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"):
        with eng.begin() as c:
            c.execute(text("DELETE FROM audit_log"))


def test_cli_users_add_and_audit_verify(state):
    r = _cli("users", "add", "aud1", "--role", "auditor", "--org", "NAT", "--password-stdin", "--state", state, "--json",
             stdin="a-long-passphrase-123\n")
    assert r.returncode == 0, r.stderr
    assert '"totp_uri": null' in r.stdout
    r = _cli("users", "add", "inv1", "--role", "investigator", "--org", "F01", "--password-stdin", "--state", state,
             stdin="a-long-passphrase-123\n")
    assert r.returncode == 0 and "otpauth://totp/" in r.stdout
    r = _cli("users", "add", "inv2", "--role", "investigator", "--org", "F01", "--password-stdin", "--state", state,
             stdin="short\n")
    assert r.returncode == 2 and "at least 12" in r.stderr and "Traceback" not in r.stderr
    r = _cli("users", "add", "inv3", "--role", "investigator", "--org", "F01", "--state", state)
    assert r.returncode == 2 and "--password-stdin" in r.stderr
    r = _cli("audit", "verify", "--state", state, "--json")
    assert r.returncode == 0 and '"ok": true' in r.stdout and '"entries": 2' in r.stdout
    _tamper(open_state(state_url(state)), "UPDATE audit_log SET target = 'user:someone-else' WHERE id = 1")
    r = _cli("audit", "verify", "--state", state, "--json")
    assert r.returncode == 1 and '"ok": false' in r.stdout and '"first_bad_id": 1' in r.stdout
    r = _cli("audit", "verify", "--state", state)
    assert r.returncode == 1 and "entry 1 was changed" in r.stderr


def test_cli_state_errors_are_one_line(tmp_path):
    r = _cli("audit", "verify", "--state", str(tmp_path / "no" / "such" / "dir" / "s.sqlite"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = _cli("audit", "verify", "--state", "mysql://localhost/x")
    assert r.returncode == 2 and "unsupported database" in r.stderr
    r = _cli("audit", "verify", "--state", "postgresql://127.0.0.1:1/none")
    assert r.returncode == 2 and "cannot open the state database" in r.stderr and "Traceback" not in r.stderr


def test_an_anchor_kept_outside_catches_entries_cut_from_the_end(state):
    eng = open_state(state_url(state))
    for i in range(5):
        audit.append(eng, actor="a", role="analyst", org="NAT", action="search", detail={"i": i})
    v = audit.verify(eng)
    anchor = (v.entries, v.head)
    audit.append(eng, actor="a", role="analyst", org="NAT", action="search")
    assert audit.verify(eng, anchor).ok  # later entries are fine
    _tamper(eng, "DELETE FROM audit_log WHERE id >= 5")
    assert audit.verify(eng).ok  # the chain alone cannot see a cut tail
    v = audit.verify(eng, anchor)
    assert not v.ok and v.first_bad_id == 5 and "deleted from the end" in v.problem
    r = _cli("audit", "verify", "--state", state, "--expect", f"{anchor[0]}:{anchor[1]}")
    assert r.returncode == 1 and "deleted from the end" in r.stderr
    r = _cli("audit", "verify", "--state", state, "--expect", "4:nothex")
    assert r.returncode == 2 and "ENTRIES:HEAD" in r.stderr
    r = _cli("audit", "verify", "--state", state)
    assert r.returncode == 0 and "anchor 4:" in r.stdout
