"""network/runs.py: which stored network run a stage run --as-of D may use (fast, on a bare DuckDB)."""

from __future__ import annotations

import datetime as dt

import duckdb

from joinedup.network.runs import network_for


def _con(run_row: tuple | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE network_member (run_id VARCHAR, group_id VARCHAR, person_id VARCHAR, role VARCHAR)")
    con.execute("CREATE TABLE network_run (run_id VARCHAR, as_of DATE, started_at TIMESTAMP, finished_at TIMESTAMP)")
    if run_row is not None:
        con.execute("INSERT INTO network_member VALUES ('N2', 'G1', 'P1', 'suspect')")
        con.execute("INSERT INTO network_run VALUES ('N1', DATE '2001-01-01', NULL, TIMESTAMP '2001-01-02 10:00')")
        if run_row:
            con.execute("INSERT INTO network_run VALUES (?, ?, ?, ?)", list(run_row))
    return con


def test_never_ran_gives_nothing_and_no_reason() -> None:
    c = network_for(_con(None), dt.date(2020, 1, 1))
    assert not c.used and c.reason is None and c.member_sql() is None


def test_run_on_current_data_counts_as_of_the_day_it_ran() -> None:
    con = _con(("N2", None, dt.datetime(2023, 5, 1, 23, 0), dt.datetime(2023, 5, 2, 1, 0)))
    assert network_for(con, None).run_id == "N2"  # no as-of: used whatever its date
    assert network_for(con, dt.date(2023, 5, 2)).used
    late = network_for(con, dt.date(2023, 5, 1), db="w.duckdb")
    assert not late.used and late.member_sql() is None
    assert late.summary() == {"network_used": False, "network_skipped_reason": late.reason}
    assert "as of 2023-05-02, after 2023-05-01" in late.reason
    assert "joinedup network --db w.duckdb --as-of 2023-05-01" in late.reason


def test_run_as_of_a_date_uses_that_date_not_the_day_it_ran() -> None:
    con = _con(("N2", dt.date(2010, 1, 1), dt.datetime(2023, 5, 1), dt.datetime(2023, 5, 1, 1)))
    assert network_for(con, dt.date(2010, 1, 1)).member_sql() == \
        "(SELECT * FROM network_member WHERE run_id = 'N2')"
    assert not network_for(con, dt.date(2009, 12, 31)).used


def test_undated_output_is_not_used_as_of_a_date() -> None:
    con = _con(())  # members of run N2, but no network_run row for it
    assert network_for(con, None).used
    c = network_for(con, dt.date(2030, 1, 1))
    assert not c.used and "does not record the date" in c.reason
