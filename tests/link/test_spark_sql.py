"""Linkage's comparison SQL really runs on Spark: every level, transpiled, picks the same level as DuckDB on real pairs.

This is the project's one claim of Spark portability (docs/architecture.md), so CI runs it: pyspark is a test
dependency and .ci/run installs Java 17. Spark's start-up makes it the slowest test (about half a minute).
"""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest

from joinedup.link import model
from joinedup.link.dialect import in_dialect
from joinedup.link.features import LIST_COLUMNS, features

AVAIL = ["forename", "surname", "dob", "location", "phone", "nhs_number", "sex"]

PEOPLE = [  # pairs among these reach most levels: variants, swaps, typos, partial dates, shared homes
    ("WILLIAM", "SMITH", "2010-04-03", "M", "HD1 2AB", "12 MILL ROAD", "07700900123", "9434765919"),
    ("BILL", "SMITH", "2010-03-04", "M", "HD1 2AB", "12 MILL RD", "07700900123", None),
    ("WILIAM", "SMYTH", "2011-04-03", "M", "HD1 2AD", "12 MILL ROAD FELLSIDE", None, "9434765919"),
    ("SMITH", "WILLIAM", "2010-04-03", None, None, None, None, None),
    ("MOHAMMED", "HUSSAIN", "2009-12-01", "M", "BD3 9XY", "4 HIGH STREET", "07700900456", None),
    ("MUHAMMAD", "HUSSEIN", "2009-12", "M", "BD3 9XZ", "4 HIGH ST", None, None),
    ("AISHA", "KHAN AHMED", "2012-01-01", "F", "BD3 1AA", "9 PARK AVENUE", None, None),
    ("AYESHA", "AHMED", "2012-07-19", "F", "BD4 1AA", None, "07700900789", None),
    ("KATE", "JONES", "1980", "F", "LS9 8ZZ", "1 THE GROVE", None, None),
    ("KATHERINE", "JONES", "1981-05-05", "F", "LS9 8ZZ", "1 THE GROVE", None, None),
]


def _pairs() -> pd.DataFrame:
    recs = pd.DataFrame([{"unique_id": f"S::{i}", "source": "S", "source_record_id": str(i), "forename": f, "surname": s,
                          "dob": d, "dob_precision": None, "sex": x, "postcode": p, "address": a, "phones": ph,
                          "nhs_number": n} for i, (f, s, d, x, p, a, ph, n) in enumerate(PEOPLE)])
    feat = features(recs)
    left = feat.add_suffix("_l").assign(k=1)
    right = feat.add_suffix("_r").assign(k=1)
    pairs = left.merge(right, on="k").drop(columns="k")
    return pairs[pairs["unique_id_l"] < pairs["unique_id_r"]].reset_index(drop=True)


def _level_sql(settings: dict) -> str:
    cases = []
    for comp in settings["comparisons"]:
        whens = [f"WHEN {lv['sql_condition']} THEN {i}" for i, lv in enumerate(comp["comparison_levels"])
                 if lv["sql_condition"].strip().upper() != "ELSE"]
        cases.append(f"CASE {' '.join(whens)} ELSE -1 END AS {comp['output_column_name']}")
    return f"SELECT unique_id_l, unique_id_r, {', '.join(cases)} FROM pairs ORDER BY unique_id_l, unique_id_r"


def test_every_comparison_level_picks_the_same_level_on_spark_as_on_duckdb():
    pytest.importorskip("pyspark", reason="pyspark is a test dependency: pip install -e '.[test]'")
    assert shutil.which("java"), "Spark needs Java 17 (.ci/run installs openjdk-17-jre-headless)"
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    from joinedup.link.engine import db_api

    duck = model.settings_dict(AVAIL)
    spark_settings = in_dialect(duck, duck, "spark")
    pairs = _pairs()
    assert len(pairs) == 45
    con = duckdb.connect()
    con.register("pairs", pairs)
    want = con.execute(_level_sql(duck)).df()

    api = db_api("spark")  # the session the engine builds, with Splink's similarity functions registered
    lists = {f"{c}_{s}" for c in LIST_COLUMNS for s in "lr"}
    schema = StructType([StructField(c, ArrayType(StringType()) if c in lists else StringType(), True)
                         for c in pairs.columns])
    rows = [[(list(v) if v is not None else []) if c in lists else (None if v is None or v != v else str(v))
             for c, v in zip(pairs.columns, r)] for r in pairs.itertuples(index=False)]
    api.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView("pairs")
    got = api.spark.sql(_level_sql(spark_settings)).toPandas()

    assert list(got.columns) == list(want.columns)
    for c in want.columns[2:]:
        assert got[c].astype(int).tolist() == want[c].astype(int).tolist(), c
    # the pairs really exercise the comparisons: several levels of each name comparison are reached
    assert want["forename"].nunique() >= 4 and want["surname"].nunique() >= 3 and want["dob"].nunique() >= 4
