"""The standardising SQL for every shipped mapping binds in DuckDB, and SQLGlot can read and rewrite it as Spark SQL.

This does not run it on Spark, and it would not run there: it calls DuckDB-only functions (regexp_full_match,
strip_accents, try_strptime, ...). Ingest is DuckDB-only; linkage's SQL is the part proven on Spark
(tests/link/test_spark_sql.py; docs/architecture.md)."""

from __future__ import annotations

from datetime import date

import duckdb
import sqlglot
from sqlglot.errors import ErrorLevel

from joinedup.ingest.mapping import load_mappings
from joinedup.ingest.standardise import FileSQL


def test_every_shipped_mapping_transpiles_to_spark() -> None:
    con = duckdb.connect()
    checked = 0
    for m in load_mappings():
        for spec in m.files:
            # a column split by a regex (`columns:`) is read from its source column
            split = {d[0]: d[1] for d in spec.derived}
            cols = sorted({split.get(c, c) for fs in spec.fields.values() for c in fs.columns})
            folder = "X01-" + m.system
            fsql = FileSQL(m, spec, folder, "raw", cols, date(2026, 1, 1))
            sql = fsql.sql()
            # valid for DuckDB: it binds against a table with the mapped columns
            con.execute("CREATE OR REPLACE TABLE raw (_row BIGINT, " + ", ".join(f'"{c}" VARCHAR' for c in cols) + ")")
            con.execute(f"SELECT * FROM ({sql}) LIMIT 0")
            spark = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)[0]
            assert "s1" in spark and "_errors" in spark
            checked += 1
    assert checked >= 20
