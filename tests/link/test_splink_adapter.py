"""link/engine.py is the only module that reaches into Splink's private internals; these fail when Splink changes them."""

from __future__ import annotations

import duckdb

from joinedup.link.engine import db_api, duckdb_connection, is_duckdb


def test_duckdb_api_is_recognised_and_runs_on_the_connection_given():
    con = duckdb.connect()
    api = db_api("duckdb", connection=con)
    assert is_duckdb(api), f"Splink's DuckDB API is now called {type(api).__name__}"
    assert duckdb_connection(api) is con, "Splink no longer keeps its DuckDB connection in DuckDBAPI._con"
    # and it really runs its SQL there: a table Splink registers is visible on our connection
    con.execute("CREATE TABLE t AS SELECT 1 AS unique_id")
    sdf = api.register("t", dataset_display_name="t")
    assert con.execute(f"SELECT count(*) FROM {sdf.physical_name}").fetchall()[0][0] == 1


def test_another_object_is_not_taken_for_duckdb():
    assert not is_duckdb(object()) and duckdb_connection(object()) is None
