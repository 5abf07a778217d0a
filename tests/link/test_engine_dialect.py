"""The comparisons and rules, written for DuckDB, are handed to Spark transpiled; the saved model keeps DuckDB's SQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import sqlglot

from joinedup.link import model
from joinedup.link.dialect import in_dialect

AVAIL = ["forename", "surname", "dob", "location", "phone", "nhs_number", "sex"]


def test_spark_sql_uses_spark_functions_and_parses() -> None:
    s = model.settings_dict(AVAIL)
    sp = in_dialect(s, s, "spark")
    sqls = [lv["sql_condition"] for c in sp["comparisons"] for lv in c["comparison_levels"]] + sp["blocking_rules_to_generate_predictions"]
    text = " ".join(sqls).lower()
    for duck_only in ("list_filter", "list_contains", "jaro_winkler_similarity", "lambda t:", 'l."'):
        assert duck_only not in text, duck_only
    assert "size(filter(" in text and "jaro_winkler(" in text and "array_contains(" in text
    for q in sqls:
        if q != "ELSE":
            sqlglot.parse_one(q, read="spark")  # raises if Spark's dialect cannot read it


def test_duckdb_settings_round_trip_unchanged() -> None:
    s = model.settings_dict(AVAIL)
    trained = in_dialect(s, s, "spark")
    for comp in trained["comparisons"]:  # as if EM had trained them
        for lv in comp["comparison_levels"]:
            lv["m_probability"] = 0.5
    back = in_dialect(trained, s, "duckdb")
    assert [lv["sql_condition"] for c in back["comparisons"] for lv in c["comparison_levels"]] == \
        [lv["sql_condition"] for c in s["comparisons"] for lv in c["comparison_levels"]]
    assert back["blocking_rules_to_generate_predictions"] == s["blocking_rules_to_generate_predictions"]
    assert all(lv["m_probability"] == 0.5 for c in back["comparisons"] for lv in c["comparison_levels"])


@pytest.mark.slow
def test_spark_engine_links_as_duckdb_does(tmp_path: Path) -> None:
    # needs pyspark and Java 17 (pip install -e ".[spark]"); about a minute, most of it Spark's start-up
    pytest.importorskip("pyspark")
    if not shutil.which("java"):
        pytest.skip("no Java")
    from joinedup.link.linkfile import link_file

    rows = []
    for i in range(60):  # 60 people, each twice, the second with a typo in the surname
        rows.append({"record_id": f"a{i}", "forename": f"NAME{i % 7}", "surname": f"SURNAME{i}", "dob": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}"})
        rows.append({"record_id": f"b{i}", "forename": f"NAME{i % 7}", "surname": f"SURNAMX{i}", "dob": f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}"})
    src = tmp_path / "in.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    out = {}
    for engine in ("duckdb", "spark"):
        link_file(str(src), {"record_id": "record_id", "forename": "forename", "surname": "surname", "dob": "dob"},
                  str(tmp_path / f"{engine}.csv"), engine=engine)
        o = pd.read_csv(tmp_path / f"{engine}.csv", dtype=str)
        out[engine] = {frozenset(g["record_id"]) for _, g in o.groupby("person_id")}
    assert out["spark"] == out["duckdb"]
