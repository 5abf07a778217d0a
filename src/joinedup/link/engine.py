"""The one place that chooses the Splink backend (DuckDB by default, Spark on request, imported lazily), and the
only module that touches Splink's private internals (tests/link/test_splink_adapter.py fails when they change)."""

from __future__ import annotations

from typing import Any

from joinedup.link.errors import LinkError
from joinedup.warehouse.engine import ENGINES


class EngineError(LinkError):
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
            from pyspark.sql import SparkSession
        except ImportError as e:
            raise EngineError("engine 'spark' needs pyspark: pip install 'pyspark>=3.5' (and Java 17)") from e
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        spark = (SparkSession.builder.appName("joinedup-link")
                 .config("spark.jars", similarity_jar_location()).getOrCreate())
        spark.sparkContext.setCheckpointDir("/tmp/joinedup-spark-checkpoints")
        return SparkAPI(spark_session=spark)
    raise EngineError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")


def is_duckdb(api: Any) -> bool:
    """True when the Splink database API runs on DuckDB."""
    return type(api).__name__ == "DuckDBAPI"


def duckdb_connection(api: Any) -> Any:
    """The DuckDB connection a DuckDB Splink API runs its SQL on (None for another engine).

    Splink 5 keeps it in the private attribute `_con`; there is no public accessor."""
    return api._con if is_duckdb(api) else None


def load_table(api: Any, name: str, table: Any) -> Any:
    """Put a pyarrow table into the engine as `name` and return it registered with Splink."""
    if is_duckdb(api):
        con = duckdb_connection(api)
        con.register("__jlink_tmp", table)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM __jlink_tmp')
        con.unregister("__jlink_tmp")
    else:  # Spark: via pandas keeps list columns as arrays; the schema is explicit, so an all-empty list column
        # stays array<string> (inferred, it is array<null>, which array_contains refuses)
        from pyspark.sql.types import ArrayType, BooleanType, StringType, StructField, StructType

        import pyarrow as pa

        def st(t: Any) -> Any:
            return ArrayType(StringType()) if pa.types.is_list(t) else BooleanType() if pa.types.is_boolean(t) else StringType()

        schema = StructType([StructField(f.name, st(f.type), True) for f in table.schema])
        df = table.to_pandas()
        for f in table.schema:  # Spark wants lists, not numpy arrays, in array columns
            if pa.types.is_list(f.type):
                df[f.name] = [None if v is None else list(v) for v in df[f.name]]
        api.spark.createDataFrame(df, schema=schema).createOrReplaceTempView(name)
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
