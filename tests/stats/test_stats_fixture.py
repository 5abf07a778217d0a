"""Completeness counted by hand on a tiny warehouse: records, linked persons, statuses."""

from __future__ import annotations

from datetime import datetime

import pytest

from joinedup.stats import warehouse as wh
from joinedup.stats.build import build
from joinedup.stats.tables import Settings
from joinedup.warehouse import connect

COLS = ("source, source_record_id, agency_type, org_code, dob, sex, ethnicity_self, ethnicity_observed, nationality, "
        "role, load_id, file, row_number, loaded_at")
# (source, id, agency, org, dob, sex, eth_self, eth_observed, nationality, role, person)
RECORDS = [
    ("F01-x", "a", "police", "F01", "1980-01-01", "M", "W1", "IC1", "GBR", "SUSPECT", "P1"),
    ("F01-x", "b", "police", "F01", "1981-01-01", "M", "NR", "NR", "NR", "SUSPECT", "P2"),
    ("F01-x", "c", "police", "F01", None, "U", "NS", "IC9", "NS", "SUSPECT", "P3"),
    ("F01-x", "d", "police", "F01", "1990-01-01", "F", "A2", "IC4", "PAK", "VICTIM", "P4"),
    ("TR01-y", "e", "health", "TR01", "1981-01-01", "M", "B2", None, None, "PATIENT", "P2"),
    ("TR01-y", "f", "health", "TR01", "1999-01-01", "F", "REFU", None, None, "PATIENT", "P5"),
]


@pytest.fixture()
def con(tmp_path):
    c = connect(tmp_path / "w.duckdb")
    now = datetime(2024, 1, 1)
    for i, r in enumerate(RECORDS):
        c.execute(f"INSERT INTO person_record ({COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'L1', 'f.csv', ?, ?)",
                  [*r[:10], i + 1, now])
    # link_person comes from the warehouse migrations; fill it as a link run would
    c.executemany("INSERT INTO link_person (source, source_record_id, person_id, cluster_size, match_probability, run_id) "
                  "VALUES (?, ?, ?, 1, 1.0, 'r1')", [(r[0], r[1], r[10]) for r in RECORDS])
    wh.prepare(c, None)
    yield c
    c.close()


def _counts(df):
    return {(k, s): int(n) for k, s, n in df[["k", "status", "n"]].itertuples(index=False)}


def test_record_completeness_by_agency(con):
    eth = _counts(wh.completeness_records(con, "ethnicity_self", "agency_type"))
    assert eth == {("police", "Recorded"): 2, ("police", "Not recorded"): 1, ("police", "Not stated"): 2 - 1,
                   ("health", "Recorded"): 1, ("health", "Not stated"): 1}
    obs = _counts(wh.completeness_records(con, "ethnicity_observed", "agency_type"))
    assert obs[("health", "Not collected")] == 2 and obs[("police", "Not stated")] == 1  # IC9
    nat = _counts(wh.completeness_records(con, "nationality", "agency_type"))
    assert nat[("police", "Recorded")] == 2 and nat[("health", "Not collected")] == 2
    dob = _counts(wh.completeness_records(con, "dob", "agency_type"))
    assert dob[("police", "Not recorded")] == 1 and dob[("police", "Recorded")] == 3
    sex = _counts(wh.completeness_records(con, "sex", "agency_type"))
    assert sex[("police", "Not stated")] == 1


def test_linked_person_takes_the_best_status_of_their_records(con):
    # P2's police record has no ethnicity but their health record does: recorded as a person
    sus = _counts(wh.completeness_persons(con, "ethnicity_self", "SUSPECT"))
    assert sus == {("Suspect", "Recorded"): 2, ("Suspect", "Not stated"): 1}
    prof = _counts(wh.profile(con, "SUSPECT", False))
    assert prof == {("England and Wales", "White"): 1, ("England and Wales", "Black"): 1,
                    ("England and Wales", "Not stated"): 1}


def test_tiny_publication_is_all_suppressed_where_small(con):
    pub = build(con, Settings(), None)
    t1 = next(t for t in pub.tables if t.key == "Table_1")
    nums = [v for r in t1.rows for c, v in zip(t1.columns, r) if c.endswith("(number)")]
    assert not [v for v in nums if isinstance(v, int) and 0 < v < 5]
    assert "[c]" in nums


def test_profile_by_sex_counts_people_whose_sex_is_recorded(con):
    # P1 (M, White) and P2 (M, Black from the health record); P3's sex is not known: left out
    assert _counts(wh.profile_by_sex(con, "SUSPECT")) == {("Male", "White"): 1, ("Male", "Black"): 1}
