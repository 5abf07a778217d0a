"""The one name normaliser: the SQL ingest runs and the Python linkage runs give the same name, letter by letter."""

from __future__ import annotations

import duckdb
import pytest

from joinedup.standard.names import TRANSLITERATIONS, fold_name, name_sql

CASES = [
    ("SØRENSEN", "SORENSEN"), ("Łukasz", "LUKASZ"), ("O'Brien", "OBRIEN"), ("O’Brien", "OBRIEN"), ("D`Arcy", "DARCY"),
    ("Straße", "STRASSE"), ("Ægir", "AEGIR"), ("Đorđe", "DORDE"), ("Þór", "THOR"), ("Ħal", "HAL"), ("Œuvre", "OEUVRE"),
    ("Olahová-Smith", "OLAHOVA SMITH"), ("  anne   marie ", "ANNE MARIE"), ("José", "JOSE"), ("smith", "SMITH"),
    ("Kowalski 2", "KOWALSKI"), ("", None), ("--", None), (None, None),
]


def _sql(values: list) -> dict:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    return dict(con.execute(f"SELECT x, {name_sql('x')} FROM t").fetchall())


@pytest.mark.parametrize("raw,want", CASES)
def test_named_cases_in_python_and_sql(raw, want):
    assert fold_name(raw) == want
    assert _sql([raw])[raw] == want


def test_every_latin_letter_folds_the_same_in_sql_and_python():
    # every character of Latin-1 to Latin Extended-B and the combining marks, inside a name
    vals = [f"a{chr(i)}b" for i in range(0x20, 0x370)]
    got = _sql(vals)
    assert [v for v in vals if fold_name(v) != got[v]] == []
    # and no letter the table transliterates is left out or deleted by SQL
    assert all(got[f"a{c}b"] == ("A" + t.upper() + "B").replace("'", "") for c, t in TRANSLITERATIONS.items())


def test_ingest_and_linkage_share_it():
    from joinedup.ingest import standardise
    from joinedup.link import features

    assert standardise.name_sql is name_sql
    assert features.fold_name is fold_name
