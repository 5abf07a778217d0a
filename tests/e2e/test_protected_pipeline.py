"""Ethnicity and nationality are never inputs to linkage: the warehouse path gives identical persons
and probabilities when those columns are shuffled between records or blanked."""

from __future__ import annotations

from pathlib import Path

import duckdb

from joinedup.ingest import ingest
from joinedup.link import link_warehouse
from joinedup.standard import PROTECTED_FIELDS
from joinedup.synth import generate


def _persons(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT source, source_record_id, person_id, round(match_probability, 9) FROM link_person ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.close()


def test_link_ignores_protected_columns(tmp_path: Path) -> None:
    generate(tmp_path / "w", people=900, seed=77, forces=2)
    db = tmp_path / "w.duckdb"
    ingest(tmp_path / "w" / "extracts", db)
    link_warehouse(str(db))
    base = _persons(db)
    con = duckdb.connect(str(db))
    recorded = con.execute("SELECT count(*) FROM person_record WHERE ethnicity_self NOT IN ('NR', 'NS', 'REFU')").fetchall()[0][0]
    assert recorded > 50  # the world has real values to shuffle
    cols = sorted(PROTECTED_FIELDS)
    # every protected column gets another record's value (a reversed ordering), then all are blanked
    con.execute(
        "CREATE TABLE shuffled AS SELECT source, source_record_id, "
        + ", ".join(f"lead({c}, 7) OVER (ORDER BY source_record_id DESC) AS {c}" for c in cols)
        + " FROM person_record"
    )
    moved = con.execute(
        "SELECT count(*) FROM person_record p JOIN shuffled s USING (source, source_record_id) "
        "WHERE p.ethnicity_self IS DISTINCT FROM s.ethnicity_self"
    ).fetchall()[0][0]
    assert moved > 50  # the shuffle really changes what the records say
    con.execute(
        "UPDATE person_record p SET "
        + ", ".join(f"{c} = s.{c}" for c in cols)
        + " FROM shuffled s WHERE s.source = p.source AND s.source_record_id = p.source_record_id"
    )
    con.close()
    link_warehouse(str(db))
    assert _persons(db) == base
    con = duckdb.connect(str(db))
    con.execute("UPDATE person_record SET " + ", ".join(f"{c} = NULL" for c in cols))
    con.close()
    link_warehouse(str(db))
    assert _persons(db) == base
