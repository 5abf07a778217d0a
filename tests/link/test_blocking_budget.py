"""Blocking rules are held to a pair budget: counted exactly, narrowed when over, dropped when they cannot fit."""

from __future__ import annotations

import duckdb
import pytest

from joinedup.link import budget
from joinedup.link.blocking import blocking_rules


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    # 600 records: 6 dates of birth x 2 sexes x 50 surnames with 5 initials, forename and surname swapped on some
    c.execute("""CREATE TABLE f AS SELECT i AS rid, ('198' || (i % 6) || '-01-01') AS dob, (i % 6 + 1980)::VARCHAR AS dob_year,
        CASE WHEN (i // 7) % 2 = 0 THEN 'F' ELSE 'M' END AS sex, chr((65 + i % 5)::INTEGER) || 'SUR' || (i % 50) AS surname,
        CASE WHEN i % 7 = 0 THEN 'SUR' ELSE 'FOR' END || (i % 3) AS fore_dm1, CASE WHEN i % 7 = 0 THEN 'FOR' ELSE 'SUR' END || (i % 4) AS sur_dm1,
        NULL::VARCHAR AS postcode_district
        FROM range(600) t(i)""")
    return c


def _join_count(con: duckdb.DuckDBPyConnection, rule: str) -> int:
    return con.sql(f"SELECT count(*) FROM f l JOIN f r ON {rule} AND l.rid < r.rid").fetchall()[0][0]


@pytest.mark.parametrize("rule", [
    'l."dob" = r."dob" AND substr(l."surname",1,1) = substr(r."surname",1,1)',
    'l."dob" = r."dob" AND l."sex" = r."sex"',
    'l."fore_dm1" = r."fore_dm1" AND l."sur_dm1" = r."sur_dm1" AND l."dob_year" = r."dob_year"',
])
def test_rule_pairs_is_the_join_count(con: duckdb.DuckDBPyConnection, rule: str) -> None:
    assert budget.rule_pairs(con, "f", rule) == _join_count(con, rule)


def test_swapped_rule_counted_exactly(con: duckdb.DuckDBPyConnection) -> None:
    rule = 'l."fore_dm1" = r."sur_dm1" AND l."sur_dm1" = r."fore_dm1" AND l."dob_year" = r."dob_year"'
    exact = _join_count(con, rule)
    assert exact > 0
    assert budget.rule_pairs(con, "f", rule) == exact


def test_rules_under_budget_are_kept_as_they_are(con: duckdb.DuckDBPyConnection) -> None:
    rules = ['l."dob" = r."dob" AND substr(l."surname",1,1) = substr(r."surname",1,1)']
    out, report = budget.fit_blocking(con, "f", rules, ["forename", "surname", "dob", "sex"], 600)
    assert out == rules  # 600 records: the floor of the budget is far above this rule's pairs
    assert report[0]["pairs"] == _join_count(con, rules[0]) and "used" not in report[0]


def test_rule_over_budget_is_narrowed_until_it_fits(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "RULE_PAIRS_FLOOR", 0)
    monkeypatch.setattr(budget, "RULE_PAIRS_PER_RECORD", 3000 / 600)  # budget 3,000 pairs
    rule = 'l."dob" = r."dob" AND substr(l."surname",1,1) = substr(r."surname",1,1)'
    assert _join_count(con, rule) > 3000
    out, report = budget.fit_blocking(con, "f", [rule], ["forename", "surname", "dob", "sex"], 600)
    assert len(out) == 1 and out[0].startswith(rule) and 'l."sex" = r."sex"' in out[0]
    assert report[0]["used"] == out[0]
    assert report[0]["used_pairs"] == _join_count(con, out[0]) <= 3000
    # every pair the narrowed rule makes, the original made too (it only ever adds conditions)
    assert con.sql(f"SELECT count(*) FROM f l JOIN f r ON {out[0]} AND l.rid < r.rid AND NOT ({rule})").fetchall()[0][0] == 0


def test_rule_that_cannot_fit_is_dropped_and_reported(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "RULE_PAIRS_FLOOR", 0)
    monkeypatch.setattr(budget, "RULE_PAIRS_PER_RECORD", 1 / 600)  # budget: one pair
    keep = 'l."rid" = r."rid"'  # no pairs at all: always fits
    big = 'l."dob" = r."dob"'
    out, report = budget.fit_blocking(con, "f", [keep, big], ["forename", "surname", "dob", "sex"], 600)
    assert out == [keep]
    assert report[1]["rule"] == big and report[1]["used"] is None


def test_shipped_rules_can_all_be_counted() -> None:
    # every rule the model can generate parses into key equalities (fit_blocking would raise otherwise)
    c = duckdb.connect()
    cols = ["nhs_number", "fore_dm1", "sur_dm1", "dob_year", "fore_key", "sur_key", "postcode_sector", "postcode_district",
            "dob_swap_key", "dob", "surname", "forename", "dob_ym", "postcode", "phone1", "address_key", "address", "sex"]
    c.execute(f"CREATE TABLE f AS SELECT {', '.join(repr('x') + ' AS ' + x for x in cols)} FROM range(3)")
    avail = ["forename", "surname", "dob", "location", "phone", "nhs_number", "sex"]
    for names_alone in (False, True):
        for rule in blocking_rules(avail, names_alone):
            assert budget.rule_pairs(c, "f", rule) == 3


def test_big_tables_are_counted_from_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # 40,000 records, counted from a 1-in-4 sample (scaled by 16): close to the exact count, and the same every run
    c = duckdb.connect()
    c.execute("""CREATE TABLE f AS SELECT 'r' || i AS unique_id, (i % 300)::VARCHAR AS dob, chr((65 + i % 7)::INTEGER) AS surname,
        CASE WHEN i % 2 = 0 THEN 'F' ELSE 'M' END AS sex, NULL::VARCHAR AS fore_dm1, NULL::VARCHAR AS sur_dm1,
        NULL::VARCHAR AS dob_year, NULL::VARCHAR AS postcode_district FROM range(40000) t(i)""")
    rule = 'l."dob" = r."dob" AND substr(l."surname",1,1) = substr(r."surname",1,1)'
    exact = budget.rule_pairs(c, "f", rule)
    monkeypatch.setattr(budget, "COUNT_EXACT_UP_TO", 10_000)
    monkeypatch.setattr(budget, "RULE_PAIRS_FLOOR", 0)
    monkeypatch.setattr(budget, "RULE_PAIRS_PER_RECORD", 1e9)  # nothing narrowed: the report holds the estimate
    _, rep = budget.fit_blocking(c, "f", [rule], ["surname", "dob", "sex"], 40_000)
    _, again = budget.fit_blocking(c, "f", [rule], ["surname", "dob", "sex"], 40_000)
    assert rep == again
    assert rep[0]["pairs"] != exact and abs(rep[0]["pairs"] - exact) / exact < 0.15
    assert c.sql("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE '%pair_sample%'").fetchall()[0][0] == 0
