"""Under `serve --as-of`, the person page's chronology is the chronology stage's as of that date (fast path included)."""

from __future__ import annotations

import duckdb

from joinedup.chronology.build import chronology as stage_chronology
from joinedup.web.access import Principal
from joinedup.web.data import Warehouse
from joinedup.web.data_person import PersonIndex, chronology


def test_chronology_as_of_a_date_is_the_stages_own(linked_world):
    con = duckdb.connect(str(linked_world.db), read_only=True)
    try:
        # halfway through the longest event: that event is on file, its end is not yet
        as_of, pid = con.execute("""SELECT e.start_date + CAST((e.end_date - e.start_date) // 2 AS INTEGER), lp.person_id
            FROM event e JOIN link_person lp ON lp.source = e.source AND lp.source_record_id = e.person_record_id
            WHERE e.end_date IS NOT NULL ORDER BY e.end_date - e.start_date DESC, e.source_record_id LIMIT 1""").fetchall()[0]
        want = stage_chronology(con, pid, as_of)["entries"]
        now = stage_chronology(con, pid)["entries"]
    finally:
        con.close()
    assert len(want) < len(now) or any(a["end_date"] != b["end_date"] for a, b in zip(want, now)), \
        "the date should hide something of this person's chronology"
    wh = Warehouse(str(linked_world.db), b"k" * 32, as_of)
    try:
        inq = Principal(1, "inq", "inquiry", "NAT")
        orgs = wh.person_orgs(pid)
        got = chronology(wh, inq, pid, orgs, index=PersonIndex(wh))
    finally:
        wh.close()
    assert [e["record"] for e in got["entries"]] == [f"{e['source']}:{e['record_id']}" for e in want]
    assert [e["happened"] for e in got["entries"]] == [e["happened"].isoformat() if e["happened"] else None for e in want]
    assert [e["summary"] for e in got["entries"]] == [e["summary"] for e in want]
