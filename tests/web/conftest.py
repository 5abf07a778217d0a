"""Fixtures for the web tests: state databases (SQLite and PostgreSQL), one user per role, signed-in clients."""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "a-long-passphrase-123"
USERS = {  # name -> (role, org)
    "ana": ("analyst", "NAT"), "inv": ("investigator", "F01"), "pra": ("practitioner", "LA01"),
    "inq": ("inquiry", "NAT"), "aud": ("auditor", "NAT"), "adm": ("admin", "NAT"),
}
PG = "postgresql://127.0.0.1:5432/test"


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 - any failure means no PostgreSQL here
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request, tmp_path) -> str:
    """A fresh state database: a SQLite file, or a private schema in PostgreSQL's test database."""
    if request.param == "sqlite":
        yield str(tmp_path / "state.sqlite")
        return
    if not _pg_available():
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    import psycopg

    schema = f"jdu_web_{uuid.uuid4().hex[:12]}"  # other engineers share the database: never touch public
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test", autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    # no %-escapes in the URL: Alembic's config would read them as interpolation
    yield f"{PG}?options=-csearch_path={schema}"
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test", autocommit=True) as c:
        c.execute(f"DROP SCHEMA {schema} CASCADE")


@dataclass
class Web:
    """An application over the shared linked world, with one user per role."""

    app: object
    state: str
    engine: object
    db: Path
    secret: bytes

    def client(self):
        """A fresh anonymous client (https, so Secure cookies are sent)."""
        from fastapi.testclient import TestClient

        return TestClient(self.app, base_url="https://testserver", follow_redirects=False)

    def login(self, name: str):
        """A client signed in as this user (with the TOTP step for identified roles)."""
        import pyotp

        from joinedup.state.accounts import find_user

        c = self.client()
        r = c.post("/login", data={"csrf_token": csrf(c.get("/login").text), "name": name, "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text[:500]
        if r.headers["location"].startswith("/login/code"):
            u = find_user(self.engine, name)
            r = c.post("/login/code", data={"csrf_token": csrf(c.get(r.headers["location"]).text),
                                            "code": pyotp.TOTP(u.totp_secret).now(), "next": "/"})
            assert r.status_code == 303, r.text[:500]
        return c


def csrf(html: str) -> str:
    """The CSRF token in a page's form."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def make_web(db: Path, state: str, secret: bytes | None = None) -> Web:
    """An app with the six users added."""
    from joinedup.state import open_state
    from joinedup.state.accounts import add_user, find_user
    from joinedup.state.url import state_url
    from joinedup.web.app import create_app

    engine = open_state(state_url(state))
    for name, (role, org) in USERS.items():
        if find_user(engine, name) is None:
            add_user(engine, name, role, org, PASSWORD)
    secret = secret or secrets.token_bytes(32)
    return Web(create_app(str(db), state, secret=secret), state, engine, db, secret)


@pytest.fixture(scope="session")
def web(linked_world, tmp_path_factory) -> Web:
    """One app (SQLite state) over the shared linked world, for tests that only read."""
    return make_web(linked_world.db, str(tmp_path_factory.mktemp("webstate") / "state.sqlite"))


@pytest.fixture(scope="session")
def people(linked_world):
    """Persons with their records' names and dates of birth, read from the warehouse (for leak checks)."""
    import duckdb

    con = duckdb.connect(str(linked_world.db), read_only=True)
    rows = con.execute("""SELECT lp.person_id, pr.org_code, pr.agency_type, pr.forename, pr.surname, pr.dob, pr.address
                          FROM link_person lp JOIN person_record pr USING (source, source_record_id)""").fetchall()
    con.close()
    out: dict[str, list[tuple]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(r[1:])
    return out
