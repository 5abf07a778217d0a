"""Deliveries over time: full snapshots and deltas applied in date order, with every version kept."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from helpers import rows

from joinedup.cli import app
from joinedup.errors import UserError
from joinedup.ingest import IngestError, ingest
from joinedup.warehouse.asof import as_of_sql

HEADER = "NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role\n"
ROWS = {
    "N1": "N1,Amy,Bell,,01/01/1990,Female,LS1 4AB,,,,,,,V\n",
    "N2": "N2,Ben,Cole,,02/02/1991,Male,,,,,,,,S\n",
    "N3": "N3,Cat,Dunn,,03/03/1992,Female,,,,,,,,V\n",
    "N4": "N4,Dan,Eyre,,31/02/1993,Male,,,,,,,,S\n",  # impossible date: quarantined
}


def refused(res, text: str) -> bool:
    """A CLI result that refused bad input with this message (raised as a UserError, or mapped to exit code 2)."""
    if isinstance(res.exception, UserError):
        return text in str(res.exception)
    return res.exit_code == 2 and text in res.output


def deliver(root: Path, name: str, lines: list[str], files: dict[str, str] | None = None) -> Path:
    """A one-source extract folder holding one nominals file (and any other files given)."""
    ext = root / name
    (ext / "F01-testforce").mkdir(parents=True)
    (ext / "F01-testforce" / f"{name}.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    for fname, text in (files or {}).items():
        (ext / "F01-testforce" / fname).write_text(text, encoding="utf-8")
    return ext


@pytest.fixture
def two_deliveries(tiny, tmp_path):
    _, maps = tiny
    db = tmp_path / "h.duckdb"
    d1 = deliver(tmp_path, "nominals_20261101", [ROWS["N1"], ROWS["N2"], ROWS["N3"], ROWS["N4"]])
    s1 = ingest(d1, db, mappings_dir=maps)
    # Month two: N1 moved house, N2 unchanged, N3 withdrawn, N4's date corrected, N5 new.
    d2 = deliver(tmp_path, "nominals_20261201", [
        ROWS["N1"].replace("LS1 4AB", "M1 1AA"), ROWS["N2"], ROWS["N4"].replace("31/02", "28/02"),
        "N5,Eve,Ford,,05/05/1995,Female,,,,,,,,V\n"])
    s2 = ingest(d2, db, mappings_dir=maps)
    return db, maps, s1, s2


def test_a_later_full_snapshot_versions_changes_and_withdraws_what_it_lacks(two_deliveries) -> None:
    db, _, s1, s2 = two_deliveries
    assert s1.extract_date == dt.date(2026, 11, 1) and (s1.rows_new, s1.rows_quarantined) == (3, 1)
    assert s2.extract_date == dt.date(2026, 12, 1)
    assert (s2.rows_read, s2.rows_new, s2.rows_changed, s2.rows_unchanged, s2.rows_quarantined) == (4, 2, 1, 1, 0)
    assert s2.records_withdrawn == 1 and s2.balanced
    cur = dict(rows(db, "SELECT source_record_id, postcode FROM person_record WHERE source = 'F01-testforce'"))
    assert cur == {"N1": "M1 1AA", "N2": None, "N4": None, "N5": None}  # N3 withdrawn; N4's correction loads
    hist = rows(db, "SELECT source_record_id, postcode, valid_from, valid_to FROM person_record_version "
                    "WHERE source = 'F01-testforce' ORDER BY 1, 3")
    d1, d2 = dt.date(2026, 11, 1), dt.date(2026, 12, 1)
    assert hist == [("N1", "LS1 4AB", d1, d2), ("N1", "M1 1AA", d2, None), ("N2", None, d1, None),
                    ("N3", None, d1, d2), ("N4", None, d2, None), ("N5", None, d2, None)]
    # The unchanged record was not rewritten: it keeps the load that first delivered it.
    assert rows(db, "SELECT load_id FROM person_record WHERE source_record_id = 'N2'")[0][0] == s1.load_id
    lb = rows(db, "SELECT extract_date, records_withdrawn FROM load_batch ORDER BY started_at")
    assert lb == [(d1, 0), (d2, 1)]


def test_as_of_reads_the_version_known_then(two_deliveries) -> None:
    db, *_ = two_deliveries
    con = duckdb.connect(str(db), read_only=True)

    def state(d: dt.date | None) -> dict[str, str | None]:
        return dict(con.execute(f"SELECT source_record_id, postcode FROM {as_of_sql(con, 'person_record', d)} "
                                "WHERE source = 'F01-testforce'").fetchall())

    assert state(dt.date(2026, 11, 15)) == {"N1": "LS1 4AB", "N2": None, "N3": None}  # N4, N5 came later
    assert state(dt.date(2020, 1, 1)) == {"N1": "LS1 4AB", "N2": None, "N3": None}  # the first delivery back-fills
    assert state(dt.date(2026, 12, 1)) == state(None) == {"N1": "M1 1AA", "N2": None, "N4": None, "N5": None}
    con.close()


def test_an_older_delivery_is_refused_and_nothing_changes(two_deliveries, tmp_path) -> None:
    db, maps, *_ = two_deliveries
    before = rows(db, "SELECT count(*), (SELECT count(*) FROM person_record_history), (SELECT count(*) FROM load_batch) "
                      "FROM person_record")
    old = deliver(tmp_path, "nominals_20261015", [ROWS["N1"]])
    with pytest.raises(IngestError, match=r"dated 2026-10-15, older than one already applied for F01-testforce \(2026-12-01\)"):
        ingest(old, db, mappings_dir=maps)
    assert rows(db, "SELECT count(*), (SELECT count(*) FROM person_record_history), (SELECT count(*) FROM load_batch) "
                    "FROM person_record") == before


def test_two_deliveries_in_one_folder_apply_in_date_order(tiny, tmp_path) -> None:
    _, maps = tiny
    ext = deliver(tmp_path, "nominals_20261201", [ROWS["N1"].replace("Amy", "Amie")])
    (ext / "F01-testforce" / "nominals_20261101.csv").write_text(HEADER + ROWS["N1"] + ROWS["N2"], encoding="utf-8")
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert (s.rows_new, s.rows_changed, s.records_withdrawn) == (2, 1, 1) and s.balanced
    assert rows(db, "SELECT forename FROM person_record WHERE source = 'F01-testforce'") == [("AMIE",)]
    assert rows(db, "SELECT source_record_id, forename, valid_to FROM person_record_history ORDER BY 1") == [
        ("N1", "AMY", dt.date(2026, 12, 1)), ("N2", "BEN", dt.date(2026, 12, 1))]


DELTA_MAPPING = """
system: deltaforce
agency_type: police
folders: "*-deltaforce"
org_code: {const: F09}
delivery: delta
files:
  - file: "people*.csv"
    table: person_record
    deleted: {column: Action, values: [D]}
    fields:
      source_record_id: Ref
      forename: Name
      role: {const: VICTIM}
"""


def test_a_delta_changes_only_what_it_holds_and_deletes_what_it_marks(tmp_path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "delta.yaml").write_text(DELTA_MAPPING, encoding="utf-8")

    def delta(name: str, text: str) -> Path:
        (tmp_path / name / "F09-deltaforce").mkdir(parents=True)
        (tmp_path / name / "F09-deltaforce" / "people.csv").write_text("Ref,Name,Action\n" + text, encoding="utf-8")
        return tmp_path / name

    db = tmp_path / "w.duckdb"
    ingest(delta("d1", "P1,Ann,\nP2,Bob,\nP3,Col,\n"), db, mappings_dir=maps, extract_date=dt.date(2026, 1, 1))
    s = ingest(delta("d2", "P2,Bobby,\nP3,,D\nP4,Dee,\n"), db, mappings_dir=maps, extract_date=dt.date(2026, 2, 1))
    assert (s.rows_read, s.rows_new, s.rows_changed, s.rows_deleted, s.records_withdrawn) == (3, 1, 1, 1, 1)
    assert s.balanced and s.rows_loaded == 3
    assert dict(rows(db, "SELECT source_record_id, forename FROM person_record")) == {"P1": "ANN", "P2": "BOBBY", "P4": "DEE"}
    assert rows(db, "SELECT valid_to FROM person_record_version WHERE source_record_id = 'P3'") == [(dt.date(2026, 2, 1),)]


def test_cli_takes_the_extract_date_and_reports_each_count(two_deliveries, tmp_path) -> None:
    db, maps, *_ = two_deliveries
    d3 = deliver(tmp_path, "nominals", [ROWS["N1"].replace("LS1 4AB", "M1 1AA"), ROWS["N2"]])
    res = CliRunner().invoke(app, ["ingest", str(d3), "--db", str(db), "--mappings", str(maps),
                                   "--extract-date", "2027-01-05", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["extract_date"] == "2027-01-05" and out["balanced"]
    assert {k: out[k] for k in ("rows_read", "rows_new", "rows_changed", "rows_unchanged", "records_withdrawn")} == {
        "rows_read": 2, "rows_new": 0, "rows_changed": 0, "rows_unchanged": 2, "records_withdrawn": 2}
    bad = CliRunner().invoke(app, ["ingest", str(d3), "--db", str(db), "--mappings", str(maps), "--extract-date", "05/01/2027"])
    assert refused(bad, "--extract-date '05/01/2027' is not a date")


def test_shipped_layouts_accept_dated_and_sequenced_names() -> None:
    from joinedup.ingest.mapping import extract_date_from_name, load_mappings

    maps = {m.system: m for m in load_mappings()}
    assert maps["niche"].file_spec("nominals_20261201.csv").table == "person_record"
    assert maps["niche"].file_spec("nominals_2026-12.csv").table == "person_record"
    assert maps["connect"].file_spec("NOMINAL_0007.txt").table == "person_record"
    assert maps["niche"].file_spec("nominals_links.csv") is None
    assert extract_date_from_name("nominals_2026-12.csv") == dt.date(2026, 12, 1)
    assert extract_date_from_name("NOMINAL_0007.txt") is None


def test_quarantine_command_checks_its_values(two_deliveries) -> None:
    db, *_ = two_deliveries
    ok = CliRunner().invoke(app, ["quarantine", "--db", str(db), "--json", "--as-of", "2026-12-01"])
    assert ok.exit_code == 0 and json.loads(ok.output)["rows"] == []  # quarantined today, not by then
    assert len(json.loads(CliRunner().invoke(app, ["quarantine", "--db", str(db), "--json"]).output)["rows"]) == 1
    bad = CliRunner().invoke(app, ["quarantine", "--db", str(db), "--limit", "0"])
    assert refused(bad, "--limit 0")


def test_events_pointing_at_a_withdrawn_person_are_noted(tmp_path) -> None:
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "m.yaml").write_text("""
system: ev
agency_type: csc
folders: "*-ev"
org_code: {const: LA9}
files:
  - file: "people*.csv"
    table: person_record
    fields: {source_record_id: Ref, forename: Name, role: {const: CHILD}}
  - file: "events*.csv"
    table: event
    fields: {source_record_id: E, person_record_id: Ref, event_type: {const: REFERRAL}, start_date: {column: D, format: '%Y-%m-%d'}}
""", encoding="utf-8")

    def delivery(name: str, people: str, events: str | None) -> Path:
        (tmp_path / name / "LA9-ev").mkdir(parents=True)
        (tmp_path / name / "LA9-ev" / "people.csv").write_text("Ref,Name\n" + people, encoding="utf-8")
        if events is not None:
            (tmp_path / name / "LA9-ev" / "events.csv").write_text("E,Ref,D\n" + events, encoding="utf-8")
        return tmp_path / name

    db = tmp_path / "w.duckdb"
    ingest(delivery("d1", "P1,Ann\nP2,Bob\n", "E1,P1,2020-01-01\nE2,P2,2020-02-02\n"), db, mappings_dir=maps,
           extract_date=dt.date(2026, 1, 1))
    s = ingest(delivery("d2", "P1,Ann\n", None), db, mappings_dir=maps, extract_date=dt.date(2026, 2, 1))
    assert s.records_withdrawn == 1
    assert rows(db, "SELECT source_record_id, reason FROM field_issue WHERE table_name = 'event'") == [
        ("E2", "refers to person record 'P2', which was withdrawn by the delivery of 2026-02-01")]


def test_an_undated_file_beside_dated_ones_of_its_source_shares_their_date(tiny, tmp_path) -> None:
    from joinedup.ingest.mapping import discover, load_mappings

    _, maps = tiny
    ext = deliver(tmp_path, "nominals_20261101", [ROWS["N1"]],
                  {"crimes.csv": "CrimeRef,HOCode,CSE,Committed,Reported\nC1,22/1,N,,05/05/2020\n"})
    files = discover(ext, load_mappings(maps))
    assert {ef.path.name: ef.extract_date for ef in files} == {
        "nominals_20261101.csv": dt.date(2026, 11, 1), "crimes.csv": dt.date(2026, 11, 1)}
