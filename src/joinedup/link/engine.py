"""The one place that chooses the Splink backend: DuckDB by default, Spark on request (imported lazily)."""

from __future__ import annotations

from typing import Any

ENGINES = ("duckdb", "spark")


class EngineError(RuntimeError):
    """The requested engine is unknown or its packages are not installed."""


def db_api(engine: str = "duckdb", connection: Any = None) -> Any:
    """A Splink database API for the engine: on `connection` if given (a DuckDB cursor whose default catalog is
    in memory, see work_connection), else on a fresh private in-memory connection."""
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # Splink's intermediate tables never touch the warehouse file, and the fetchone() trap on a
        # shared connection (docs) cannot happen: Splink gets a cursor of its own
        return DuckDBAPI(connection=connection if connection is not None else duckdb.connect())
    if engine == "spark":
        try:
            import pyspark  # noqa: F401 - only whether it is installed
        except ImportError as e:
            raise EngineError("engine 'spark' needs pyspark: pip install 'pyspark>=3.5' (and Java 17)") from e
        # Measured 30 Nov 2026 with pyspark 4.3: Splink starts on Spark, then fails on the first comparison,
        # because model.COMPARISONS are written in DuckDB's SQL (list lambdas, jaro_winkler_similarity,
        # damerau_levenshtein). Fail here, before a JVM starts, with what is missing (docs/linkage.md).
        # The session set-up it needs (SparkAPI with Splink's similarity jar) is in git history before this line.
        raise EngineError("engine 'spark' is not usable yet: the comparisons are written in DuckDB's SQL and have no "
                          "Spark translation; use --engine duckdb (it links 10M records in about 6 minutes)")
    raise EngineError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


def load_table(api: Any, name: str, table: Any) -> Any:
    """Put a pyarrow table into the engine as `name` and return it registered with Splink."""
    if type(api).__name__ == "DuckDBAPI":
        con = api._con
        con.register("__jlink_tmp", table)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __jlink_tmp')
        con.unregister("__jlink_tmp")
    else:  # Spark: via pandas keeps list columns as arrays
        api.spark.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)
    return api.register(name, dataset_display_name=name)


def work_connection(con: Any) -> tuple[Any, str, str]:
    """A cursor of the warehouse connection whose default catalog is a fresh in-memory database.

    Splink's tables (features, pairs, its own intermediates) go to memory, while the warehouse's tables stay
    reachable by qualified name, so reading person_record and writing link_* need no copy through Python.
    Returns (cursor, in-memory catalog name, warehouse catalog name); release_work_connection undoes it.
    """
    import uuid

    wh = con.execute("SELECT current_database()").fetchall()[0][0]
    mem = f"jl_work_{uuid.uuid4().hex[:8]}"
    con.execute(f"ATTACH ':memory:' AS {mem}")
    cur = con.cursor()
    cur.execute(f"USE {mem}")
    return cur, mem, wh


def release_work_connection(con: Any, cur: Any, mem: str) -> None:
    """Close the work cursor and drop its in-memory catalog."""
    cur.close()
    con.execute(f"DETACH DATABASE IF EXISTS {mem}")
