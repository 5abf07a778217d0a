"""The one place that chooses the Splink backend: DuckDB by default, Spark on request (imported lazily)."""

from __future__ import annotations

from typing import Any

ENGINES = ("duckdb", "spark")


class EngineError(RuntimeError):
    """The requested engine is unknown or its packages are not installed."""


def db_api(engine: str = "duckdb") -> Any:
    """A fresh Splink database API for the engine (its own connection, never the warehouse's)."""
    if engine == "duckdb":
        import duckdb
        from splink import DuckDBAPI

        # a private in-memory connection: Splink's intermediate tables never touch the warehouse file,
        # and the fetchone() trap on a shared connection (docs) cannot happen
        return DuckDBAPI(connection=duckdb.connect())
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
