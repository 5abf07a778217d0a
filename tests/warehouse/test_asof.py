"""as_of_sql: a table as known on a date, by recorded date and (once history exists) by version."""

import datetime as dt

import duckdb
import pytest

from joinedup.errors import UserError
from joinedup.warehouse.asof import as_of_sql, check_as_of, parse_as_of


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE crime(source VARCHAR, source_record_id VARCHAR, date_reported DATE, date_committed DATE)")
    c.execute("CREATE TABLE crime_person(source VARCHAR, source_record_id VARCHAR, crime_record_id VARCHAR)")
    c.execute("CREATE TABLE outcome(source VARCHAR, source_record_id VARCHAR, crime_record_id VARCHAR, outcome_date DATE)")
    c.execute("INSERT INTO crime VALUES ('a','c1','2010-01-01',NULL), ('a','c2','2015-01-01',NULL)")
    c.execute("INSERT INTO crime_person VALUES ('a','l1','c1'), ('a','l2','c2')")
    c.execute("INSERT INTO outcome VALUES ('a','o1','c1','2011-01-01'), ('a','o3','c1','2013-01-01')")
    return c


def ids(con, table, d):
    return sorted(r[0] for r in con.execute(f"SELECT source_record_id FROM {as_of_sql(con, table, d)}").fetchall())


def test_recorded_date_filters_and_links_follow_their_crime(con):
    d = dt.date(2012, 1, 1)
    assert ids(con, "crime", d) == ["c1"]
    assert ids(con, "crime_person", d) == ["l1"]
    assert ids(con, "outcome", d) == ["o1"]
    assert ids(con, "crime", None) == ["c1", "c2"]


def test_versions_valid_on_the_date_and_first_version_backfills(con):
    con.execute("CREATE TABLE crime_version AS SELECT *, DATE '2020-01-01' AS valid_from, NULL::DATE AS valid_to, "
                "'l1' AS load_id FROM crime")
    con.execute("UPDATE crime_version SET valid_to = '2021-01-01' WHERE source_record_id = 'c1'")
    con.execute("INSERT INTO crime_version VALUES ('a','c1','2010-02-02',NULL,'2021-01-01',NULL,'l2')")
    con.execute("UPDATE crime_version SET valid_to = '2021-01-01' WHERE source_record_id = 'c2'")  # withdrawn
    q = lambda d: con.execute(f"SELECT source_record_id, date_reported FROM {as_of_sql(con, 'crime', d)} ORDER BY 1").fetchall()
    assert q(dt.date(2012, 1, 1)) == [("c1", dt.date(2010, 1, 1))]           # before any delivery: first version
    assert [r[0] for r in q(dt.date(2020, 6, 1))] == ["c1", "c2"]
    assert q(dt.date(2022, 1, 1)) == [("c1", dt.date(2010, 2, 2))]           # corrected; c2 withdrawn


def test_bad_dates_are_user_errors(con):
    with pytest.raises(UserError):
        parse_as_of("2012-13-01")
    with pytest.raises(UserError, match="before any record"):
        check_as_of(con, dt.date(1990, 1, 1))
    check_as_of(con, dt.date(2012, 1, 1))
