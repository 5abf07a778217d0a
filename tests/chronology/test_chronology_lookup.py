"""The in-memory chronology (chronology/lookup.py, the web application's fast path) gives the stage's own chronology."""

from __future__ import annotations

import random

import duckdb
import pytest

from joinedup.chronology.build import chronology
from joinedup.chronology.lookup import ChronologyLookup


def _order(entries: list[dict]) -> list[tuple]:
    return [(e["happened"], e["recorded"], e["source"], e["record_id"]) for e in entries]


def _bag(entries: list[dict]) -> list[tuple]:
    return sorted(tuple(sorted((k, repr(v)) for k, v in e.items())) for e in entries)


def _same(want: dict, got: dict) -> None:
    # the same entries (every key, in the same key order) in the same date order; ties of the SQL's ORDER BY
    # (one crime on two of the person's records) may come either way, so those compare as a bag
    assert _order(got["entries"]) == _order(want["entries"])
    assert _bag(got["entries"]) == _bag(want["entries"])
    assert [list(e) for e in got["entries"]] == [list(e) for e in want["entries"]]
    assert [e["summary"] for e in got["entries"]] == [e["summary"] for e in want["entries"]]
    assert got["knowledge"] == want["knowledge"] and got["missed_chances"] == want["missed_chances"]


def _persons(con: duckdb.DuckDBPyConnection, n: int) -> list[str]:
    """Persons with the harder cases (outcomes for another person, ended events, crimes) and some at random."""
    hard = [r[0] for r in con.execute("""
        SELECT DISTINCT lp.person_id FROM link_person lp JOIN crime_person c ON c.person_record_id = lp.source_record_id
        JOIN outcome o ON o.crime_record_id = c.crime_record_id AND o.person_record_id <> c.person_record_id
        UNION SELECT DISTINCT lp.person_id FROM link_person lp JOIN event e ON e.person_record_id = lp.source_record_id
        WHERE e.end_date IS NOT NULL ORDER BY 1""").fetchall()]
    every = [r[0] for r in con.execute("SELECT DISTINCT person_id FROM link_person ORDER BY 1").fetchall()]
    rnd = random.Random(3)
    return sorted(set(rnd.sample(hard, min(n, len(hard))) + rnd.sample(every, min(n, len(every)))))


def test_lookup_gives_the_stages_own_chronology(linked_world):
    con = duckdb.connect(str(linked_world.db), read_only=True)
    try:
        lookup = ChronologyLookup(con)
        pids = _persons(con, 60)
        assert len(pids) > 80
        n = 0
        for pid in pids:
            want = chronology(con, pid)
            _same(want, lookup.chronology(pid))
            n += len(want["entries"])
        assert n > 150, "too few entries for the comparison to prove anything"
        assert lookup.entries("no-such-person") == []
    finally:
        con.close()


def test_lookup_on_a_warehouse_as_known_on_a_date(linked_world):
    from joinedup.warehouse.snapshot import open_as_of

    con = duckdb.connect(str(linked_world.db), read_only=True)
    # halfway through the longest event (a care episode): that event, at least, ended after the date
    as_of = con.execute("""SELECT start_date + CAST((end_date - start_date) // 2 AS INTEGER) FROM event WHERE end_date IS NOT NULL
                           ORDER BY end_date - start_date DESC, source_record_id LIMIT 1""").fetchall()[0][0]
    snap = open_as_of(str(linked_world.db), as_of)
    try:
        lookup = ChronologyLookup(snap, None, as_of)
        ended_later = {r[0] for r in con.execute("SELECT source_record_id FROM event WHERE end_date > ?", [as_of]).fetchall()}
        capped = 0
        straddle = [r[0] for r in con.execute(
            """SELECT DISTINCT lp.person_id FROM link_person lp JOIN event e ON e.person_record_id = lp.source_record_id
               WHERE e.start_date <= ? AND e.end_date > ? ORDER BY 1""", [as_of, as_of]).fetchall()]
        for pid in sorted(set(random.Random(4).sample(straddle, min(8, len(straddle))) + _persons(con, 4))):
            want = chronology(con, pid, as_of)
            _same(want, lookup.chronology(pid))
            capped += sum(1 for e in want["entries"] if e["kind"] == "event" and e["record_id"] in ended_later)
        assert capped, "no event's end fell after the date: the end-date cap went untested"
    finally:
        snap.close()
        con.close()


@pytest.mark.parametrize("catalog", ["w"])
def test_lookup_reads_a_named_catalog(linked_world, catalog):
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{linked_world.db}' AS {catalog} (READ_ONLY)")
    con.execute("CREATE TABLE memory.main.event AS SELECT * FROM w.main.event WHERE false")  # a decoy in memory
    try:
        lookup = ChronologyLookup(con, catalog)
        pid = con.execute("""SELECT lp.person_id FROM w.main.link_person lp JOIN w.main.event e
                             ON e.person_record_id = lp.source_record_id LIMIT 1""").fetchall()[0][0]
        assert any(e["kind"] == "event" for e in lookup.entries(pid))
    finally:
        con.close()
