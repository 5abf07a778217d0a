"""Times between the justice stages (issue 12): the medians on a hand-built warehouse, missing dates counted, and the
standard 1.1.0 dates on ingest (validated; an extract from before 1.1.0 without them still loads)."""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from joinedup.ingest import ingest
from joinedup.justice import run_justice
from joinedup.synth.generate import generate
from joinedup.warehouse import connect

META = ("L1", "f.csv", 1)
D = timedelta


def _person(con, src: str, rid: str, role: str) -> None:
    con.execute("""INSERT INTO person_record (source, source_record_id, agency_type, org_code, forename, surname, dob,
                   dob_precision, sex, role, load_id, file, row_number, loaded_at)
                   VALUES (?, ?, 'police', 'X', 'A', 'B', ?, 'day', 'F', ?, ?, ?, ?, now())""",
                [src, rid, date(2002, 5, 5) if role == "VICTIM" else date(1970, 1, 1), role, *META])


def _crime(con, src: str, cid: str, reported: date, suspects: list[tuple[str, date | None]],
           outcome: str = "1", charge: date | None = None, court: str | None = None, hearing: date | None = None,
           verdict: date | None = None) -> None:
    """One crime in scope (HO 22B, CSE flag) with its victim, suspects (record, date identified) and one outcome."""
    con.execute("""INSERT INTO crime (source, source_record_id, org_code, offence_code, cse_flag, date_committed, date_reported,
                   load_id, file, row_number, loaded_at) VALUES (?, ?, ?, '22B', true, ?, ?, ?, ?, ?, now())""",
                [src, cid, src[:3], reported - D(30), reported, *META])
    links = [(f"V-{cid}", "VICTIM", reported)] + [(rid, "SUSPECT", when) for rid, when in suspects]
    for rid, role, when in links:
        con.execute("""INSERT INTO crime_person (source, source_record_id, crime_record_id, person_record_id, role, date_identified,
                       load_id, file, row_number, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now())""",
                    [src, f"L-{cid}-{rid}", cid, rid, role, when, *META])
    con.execute("""INSERT INTO outcome (source, source_record_id, crime_record_id, person_record_id, outcome_type, outcome_date,
                   charged_offence, court_result, first_hearing_date, court_result_date, load_id, file, row_number, loaded_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())""",
                [src, f"O-{cid}", cid, suspects[0][0], outcome, charge or reported + D(100), "22B" if outcome == "1" else None,
                 court, hearing, verdict, *META])


@pytest.fixture(scope="module")
def timed(tmp_path_factory) -> dict:
    """Five crimes with known intervals (two forces); returns the attrition rows by (force, year)."""
    d = tmp_path_factory.mktemp("times")
    db = d / "w.duckdb"
    con = connect(db)
    f1, f2 = "F01-niche", "F02-athena"
    r1, r2, r3, r4, r5 = date(2015, 1, 1), date(2015, 2, 1), date(2015, 3, 1), date(2015, 4, 1), date(2016, 1, 1)
    # C1: report -> suspect 10 -> charge 50 -> first hearing 10 -> conviction 180 (report -> conviction 250);
    #     a second suspect identified later does not move the stage's date
    _crime(con, f1, "C1", r1, [("S1", r1 + D(10)), ("S1b", r1 + D(40))], charge=r1 + D(60), court="CONVICTED",
           hearing=r1 + D(70), verdict=r1 + D(250))
    # C2: 20, 60, 20, 200 (report -> conviction 300)
    _crime(con, f1, "C2", r2, [("S2", r2 + D(20))], charge=r2 + D(80), court="CONVICTED", hearing=r2 + D(100),
           verdict=r2 + D(300))
    # C3: no date identified and no hearing date (an older extract's rows): counted at every stage, timed at none
    _crime(con, f1, "C3", r3, [("S3", None)], charge=r3 + D(90), court="ACQUITTED", verdict=r3 + D(400))
    # C4: suspect named at the report, no further action
    _crime(con, f1, "C4", r4, [("S4", r4)], outcome="16")
    # C5 (another force, 2016): 30, 30, 1; convicted but the verdict date is missing
    _crime(con, f2, "C5", r5, [("S5", r5 + D(30))], charge=r5 + D(60), court="CONVICTED", hearing=r5 + D(61))
    people = [(s, rid, role) for s in (f1, f2) for rid, role in (
        ("S1", "SUSPECT"), ("S1b", "SUSPECT"), ("S2", "SUSPECT"), ("S3", "SUSPECT"), ("S4", "SUSPECT"), ("S5", "SUSPECT"),
        ("V-C1", "VICTIM"), ("V-C2", "VICTIM"), ("V-C3", "VICTIM"), ("V-C4", "VICTIM"), ("V-C5", "VICTIM"))]
    for src, rid, role in people:
        _person(con, src, rid, role)
    con.executemany("INSERT INTO link_person (source, source_record_id, person_id, cluster_size, match_probability, run_id) "
                    "VALUES (?, ?, ?, 1, 0.97, 'R1')", [(s, rid, f"{s}:{rid}") for s, rid, _ in people])
    con.close()
    out = d / "out"
    summary = run_justice(db, out, charts=False)
    with open(out / "attrition.csv", newline="", encoding="utf-8") as f:
        rows = {(r["force"], r["year"]): r for r in csv.DictReader(f)}
    return {"summary": summary, "rows": rows}


def _times(row: dict) -> dict:
    names = ("report_to_suspect", "suspect_to_charge", "charge_to_prosecution", "prosecution_to_conviction",
             "report_to_conviction")
    return {n: (float(row[f"median_days_{n}"]) if row[f"median_days_{n}"] else None, int(row[f"crimes_{n}"])) for n in names}


def test_medians_between_stages_per_force_and_year(timed) -> None:
    row = timed["rows"][("F01", "2015")]
    assert [int(row[s]) for s in ("reported", "suspect_identified", "charged", "prosecuted", "convicted")] == [4, 4, 3, 3, 2]
    assert _times(row) == {"report_to_suspect": (10.0, 3), "suspect_to_charge": (55.0, 2), "charge_to_prosecution": (15.0, 2),
                           "prosecution_to_conviction": (190.0, 2), "report_to_conviction": (275.0, 2)}


def test_missing_dates_are_counted_not_guessed(timed) -> None:
    row = timed["rows"][("F02", "2016")]
    assert int(row["convicted"]) == 1
    # convicted without a verdict date: no time to conviction, and the count says so
    assert _times(row) == {"report_to_suspect": (30.0, 1), "suspect_to_charge": (30.0, 1), "charge_to_prosecution": (1.0, 1),
                           "prosecution_to_conviction": (None, 0), "report_to_conviction": (None, 0)}


def test_national_medians(timed) -> None:
    row = timed["rows"][("ALL", "")]
    assert _times(row) == {"report_to_suspect": (15.0, 4), "suspect_to_charge": (50.0, 3), "charge_to_prosecution": (10.0, 3),
                           "prosecution_to_conviction": (190.0, 2), "report_to_conviction": (275.0, 2)}
    national = timed["summary"]["attrition_national"]
    assert national["median_days_report_to_conviction"] == 275.0 and national["crimes_report_to_conviction"] == 2


# -- ingest: the 1.1.0 dates in the shipped layouts --------------------------------------------------------------------
NEW_COLUMNS = {"occurrence_links.csv": ["LinkedDate"], "outcomes.csv": ["FirstHearingDate", "CourtResultDate"],
               "crime_persons.csv": ["date_linked"], "disposals.csv": ["first_hearing_date", "court_result_date"]}


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "w"
    generate(out, people=1500, seed=7)
    return out / "extracts"


def _rewrite(path: Path, fn) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows = fn(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_generated_dates_load_and_follow_the_stages(tiny_world, tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest(tiny_world, db)
    con = duckdb.connect(str(db), read_only=True)
    n, dated = con.execute("SELECT count(*), count(date_identified) FROM crime_person WHERE source NOT LIKE '%connect'").fetchall()[0]
    assert dated > 0.7 * n and dated < n  # mostly dated, some blank as in real extracts
    # the legacy layout has no such columns
    assert con.execute("SELECT count(date_identified) FROM crime_person WHERE source LIKE '%connect'").fetchall()[0][0] == 0
    bad = con.execute("""SELECT count(*) FROM outcome o JOIN crime c ON c.source = o.source AND c.source_record_id = o.crime_record_id
        WHERE o.outcome_date < c.date_reported OR o.first_hearing_date < o.outcome_date OR o.court_result_date < o.first_hearing_date
           OR o.court_result_date < o.outcome_date""").fetchall()[0][0]
    assert bad == 0
    assert con.execute("SELECT count(*) FROM outcome WHERE court_result = 'PENDING' AND court_result_date IS NOT NULL").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM outcome WHERE outcome_type <> '1' AND (first_hearing_date IS NOT NULL "
                       "OR court_result_date IS NOT NULL)").fetchall()[0][0] == 0
    # a suspect is never identified after the first outcome for them on that crime
    late = con.execute("""SELECT count(*) FROM crime_person p JOIN outcome o ON o.source = p.source AND o.crime_record_id = p.crime_record_id
        AND o.person_record_id = p.person_record_id WHERE p.role = 'SUSPECT' AND p.date_identified > o.outcome_date""").fetchall()[0][0]
    assert late == 0


def test_a_bad_new_date_is_quarantined_naming_file_row_and_field(tiny_world, tmp_path) -> None:
    ex = tmp_path / "extracts"
    shutil.copytree(tiny_world, ex)
    marked = {}

    def spoil(column: str, value: str):
        def fn(rows):
            i = rows[0].index(column)
            j = next(k for k in range(1, len(rows)) if rows[k][i])
            rows[j][i] = value
            marked[column] = (j + 1, rows[j][0])  # row number as a spreadsheet shows it (header = row 1), record id
            return rows
        return fn

    _rewrite(ex / "F01-niche" / "outcomes.csv", spoil("CourtResultDate", "31/02/2015"))
    _rewrite(ex / "F01-niche" / "occurrence_links.csv", spoil("LinkedDate", "2015-13-01"))
    db = tmp_path / "w.duckdb"
    ingest(ex, db)
    con = duckdb.connect(str(db), read_only=True)
    q = con.execute("SELECT file, row_number, source_record_id, field, reason FROM quarantine WHERE source = 'F01-niche' "
                    "AND field IN ('court_result_date', 'date_identified') ORDER BY field").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in q] == [
        ("F01-niche/outcomes.csv", *marked["CourtResultDate"], "court_result_date"),
        ("F01-niche/occurrence_links.csv", *marked["LinkedDate"], "date_identified")]
    assert all("date" in r[4] for r in q)


def test_an_extract_from_before_the_new_fields_still_loads(tiny_world, tmp_path) -> None:
    ex = tmp_path / "extracts"
    shutil.copytree(tiny_world, ex)
    for name, cols in NEW_COLUMNS.items():
        for path in ex.glob(f"*/{name}"):
            _rewrite(path, lambda rows: [[v for h, v in zip(rows[0], r) if h not in cols] for r in rows])
    db = tmp_path / "w.duckdb"
    summary = ingest(ex, db)
    assert summary.files_loaded == summary.files_total
    con = duckdb.connect(str(db), read_only=True)
    n, dated = con.execute("SELECT count(*), count(date_identified) FROM crime_person").fetchall()[0]
    assert n > 0 and dated == 0
    assert con.execute("SELECT count(first_hearing_date) + count(court_result_date) FROM outcome").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM quarantine WHERE field IN ('date_identified', 'first_hearing_date', "
                       "'court_result_date')").fetchall()[0][0] == 0
