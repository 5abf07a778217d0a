"""Fixtures for the web tests: state databases (SQLite and PostgreSQL), one user per role, signed-in clients."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from web_support import Web, make_web  # noqa: E402

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
