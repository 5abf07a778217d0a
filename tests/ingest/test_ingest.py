"""Ingest on a tiny hand-made world: validation, quarantine reasons, conservation, idempotency, atomicity."""

from __future__ import annotations

import json
import random
import shutil

import duckdb
import pytest
from stdnum.gb import nhs
from typer.testing import CliRunner

from helpers import rows

from joinedup.cli import app
from joinedup.ingest import IngestError, MappingError, ingest
from joinedup.ingest.standardise import _item_sql, nhs_valid_sql


def test_every_row_is_loaded_or_quarantined(tiny, tmp_path) -> None:
    ext, maps = tiny
    s = ingest(ext, tmp_path / "w.duckdb", mappings_dir=maps)
    assert s.rows_read == 17 and s.balanced
    assert (s.rows_loaded, s.rows_quarantined) == (9, 8)
    db = tmp_path / "w.duckdb"
    loaded = rows(db, "SELECT (SELECT count(*) FROM person_record) + (SELECT count(*) FROM crime) + (SELECT count(*) FROM event)")
    assert loaded[0][0] == s.rows_loaded
    assert rows(db, "SELECT count(*) FROM quarantine")[0][0] == s.rows_quarantined


def test_quarantine_names_file_row_field_and_reason(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    q = {(f, r): (fld, why) for f, r, fld, why in rows(db, "SELECT file, row_number, field, reason FROM quarantine")}
    nominals = "F01-testforce/nominals.csv"
    assert q[(nominals, 4)] == ("dob", "dob: '31/02/2009' is not a real date in the form dd/mm/yyyy or mm/yyyy or yyyy")
    assert q[(nominals, 6)][0] == "nhs_number"
    assert (nominals, 7) not in q  # an unknown ethnicity code costs no record (test_standardisation)
    assert q[(nominals, 8)][1] == "source record id 'N1' appears more than once in this file (first at row 2)"
    assert q[(nominals, 9)] == ("dob", "dob: 2091-01-01 is in the future")
    assert q[(nominals, 10)] == ("role", "role is missing (required)")
    assert q[("F01-testforce/crimes.csv", 4)][0] == "offence_code"
    assert q[("LA1-testcsc/assessments.parquet", 3)][1] == "codes: code '99Z' is not in code list event_code"
    assert q[("LA1-testcsc/children.xlsx", 4)][0] == "dob"
    raw = json.loads(rows(db, f"SELECT raw FROM quarantine WHERE file = '{nominals}' AND row_number = 6")[0][0])
    assert raw["NHSNo"] == "9434765918" and raw["Forename"] == "Sam"


def test_standardisation(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    rec = {r[0]: r[1:] for r in rows(db, "SELECT source_record_id, forename, surname, aliases, dob, dob_precision, sex, postcode, "
                                         "phones, vehicles, ethnicity_self, ethnicity_ons21, ethnicity_observed, nationality, "
                                         "looked_after, role, org_code, agency_type FROM person_record")}
    n1 = rec["N1"]
    assert n1[:3] == ("MOHAMMED", "KHAN", ["MO", "MOE"])
    assert str(n1[3]) == "1985-04-03" and n1[4] == "day" and n1[5] == "M"
    assert n1[6] == "LS1 4AB" and n1[7] == ["07700900123", "07700900456"] and n1[8] == ["AB12CDE"]
    assert n1[9:13] == ("A2", "AP", "IC4", "GBR") and n1[14:] == ("SUSPECT", "F01", "police")
    n2 = rec["N2"]
    assert n2[:2] == ("ZOE", "OBRIEN SMITH") and n2[4] == "year" and n2[6] is None  # cp1252 file read; bad postcode cleared
    assert n2[9:13] == ("NR", "NR", "NR", "NR")  # blank in a column the source has = not recorded
    assert rec["N4"][4] == "month" and rec["N4"][9] == "NS"  # not stated stays not stated
    assert rec["K1"][9:11] == ("A2", "AP") and rec["K1"][13] is True and rec["K1"][12] is None  # no nationality column: null
    assert rec["K2"][9:11] == ("W9", "WR")  # DfE Roma keeps its ONS 2021 category
    issue = rows(db, "SELECT source_record_id, field, value, reason FROM field_issue ORDER BY 1")
    assert [i[:3] for i in issue] == [("N2", "postcode", "NOTAPOSTCODE"), ("N6", "ethnicity_self", "Z7")]
    assert issue[1][3] == ("ethnicity self: code 'Z7' is not in code list ethnicity (after mapping scheme police_16plus1); "
                           "recorded as not recorded")
    assert rec["N6"][9:11] == ("NR", "NR")  # protected fields: an unknown code is not recorded, the row loads


def test_reingest_loads_nothing_and_a_later_file_versions_loaded_keys(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    first = ingest(ext, db, mappings_dir=maps)
    again = ingest(ext, db, mappings_dir=maps)
    assert again.rows_loaded == 0 and again.rows_read == 0 and again.files_skipped == first.files_loaded
    assert rows(db, "SELECT count(*) FROM person_record")[0][0] == 6
    # A later file that repeats a loaded key with new content: a new version (the old one kept as
    # history), never quarantined as already loaded; the new row loads.
    extra = ext / "F01-testforce" / "nominals_2.csv"
    extra.write_text("NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role\n"
                     "N1,Mo,Khan,,03/04/1985,Male,,,,,,,,S\nN20,New,Person,,01/01/1990,Male,,,,,,,,S\n", encoding="utf-8")
    third = ingest(ext, db, mappings_dir=maps)
    assert (third.rows_read, third.rows_loaded, third.rows_quarantined) == (2, 2, 0)
    assert (third.rows_new, third.rows_changed, third.rows_unchanged) == (1, 1, 0)
    assert rows(db, "SELECT forename FROM person_record WHERE source_record_id = 'N1'") == [("MO",)]
    assert rows(db, "SELECT forename, valid_to IS NOT NULL FROM person_record_version WHERE source_record_id = 'N1' "
                    "ORDER BY valid_to NULLS LAST") == [("MOHAMMED", True), ("MO", False)]
    # Within one delivery, a key two files share is still a repeat: quarantined.
    (ext / "F01-testforce" / "nominals_3.csv").write_text(extra.read_text().replace("N20,New", "N30,New"))
    (ext / "F01-testforce" / "nominals_4.csv").write_text(extra.read_text().replace("N20,New", "N30,Newer"))
    fourth = ingest(ext, db, mappings_dir=maps)
    assert fourth.rows_quarantined == 1 and fourth.balanced  # N1 is the same in both: unchanged
    reason = rows(db, "SELECT reason FROM quarantine WHERE file LIKE '%nominals_4.csv' AND source_record_id = 'N30'")[0][0]
    assert "already loaded (from F01-testforce/nominals_3.csv row 3)" in reason


def test_failure_half_way_leaves_the_warehouse_as_before(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    before = rows(db, "SELECT (SELECT count(*) FROM person_record), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM load_batch)")
    # New batch: a good file sorts first and loads, then a later file lacks a mapped column.
    (ext / "F01-testforce" / "crimes_2.csv").write_text("CrimeRef,HOCode,CSE,Committed,Reported\nC9,19/4,Y,01/06/1999,02/03/2015\n")
    (ext / "LA1-testcsc" / "children_2.xlsx").write_bytes((ext / "LA1-testcsc" / "children.xlsx").read_bytes())
    shutil.copy(ext / "F01-testforce" / "nominals.csv", ext / "F01-testforce" / "nominals_3.csv")
    (ext / "F01-testforce" / "nominals_3.csv").write_text("NominalRef,Forename\nX1,Y\n")
    with pytest.raises(MappingError, match="nominals_3.csv: column 'AKA'"):
        ingest(ext, db, mappings_dir=maps)
    after = rows(db, "SELECT (SELECT count(*) FROM person_record), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM load_batch)")
    assert after == before
    assert rows(db, "SELECT count(*) FROM crime WHERE source_record_id = 'C9'")[0][0] == 0


def test_unknown_layout_is_refused_before_loading(tiny, tmp_path) -> None:
    ext, maps = tiny
    (ext / "ZZ-unknown").mkdir()
    (ext / "ZZ-unknown" / "things.csv").write_text("a,b\n1,2\n")
    with pytest.raises(MappingError, match="ZZ-unknown/things.csv: unknown source layout"):
        ingest(ext, tmp_path / "w.duckdb", mappings_dir=maps)
    assert not (tmp_path / "w.duckdb").exists()


def test_malformed_csv_lines_are_quarantined_with_their_row(tiny, tmp_path) -> None:
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_text(
        "CrimeRef,HOCode,CSE,Committed,Reported\nC1,19/4,Y,01/06/1999,02/03/2015\nC2,22/1,N\nC3,22/1,N,,05/05/2020\n"
    )
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert s.balanced
    assert rows(db, "SELECT row_number FROM crime WHERE source_record_id = 'C3'") == [(4,)]
    bad = rows(db, "SELECT row_number, reason FROM quarantine WHERE file = 'F01-testforce/crimes.csv'")
    assert bad[0][0] == 3 and bad[0][1].startswith("the row has fewer fields than the header's 5")


def test_nhs_check_digit_sql_agrees_with_stdnum() -> None:
    rng = random.Random(7)
    values = [f"{rng.randrange(10**9, 10**10)}" for _ in range(400)] + ["9434765919", "943476591", "94347659190"]
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS x", [values])
    got = dict(con.execute(f"SELECT x, coalesce({nhs_valid_sql('x')}, false) FROM v").fetchall())
    for v in values:
        assert got[v] == nhs.is_valid(v), v
    assert sum(got.values()) > 20  # the sample contains valid numbers, so both branches are tested


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        ("postcode", "sw1a1aa", "SW1A 1AA"), ("postcode", " M1  1AE ", "M1 1AE"), ("postcode", "12345", None),
        ("phone", "+44 (0)7700 900123", "07700900123"), ("phone", "12345", None), ("phone", "+44 7700 900123", "07700900123"), ("phone", "0161 496 0000", "01614960000"),
        ("name", "  José-María  d'Souza ", "JOSE MARIA DSOUZA"), ("vrm", "ab12 cde", "AB12CDE"),
    ],
)
def test_item_standardisers(kind: str, value: str, expected: str | None) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT ?::VARCHAR AS x", [value])
    assert con.execute(f"SELECT {_item_sql(kind, 'x')} FROM v").fetchall()[0][0] == expected


def test_cli_json_and_one_line_errors(tiny, tmp_path) -> None:
    ext, maps = tiny
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(ext), "--db", str(tmp_path / "w.duckdb"), "--mappings", str(maps), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["rows_read"] == out["rows_loaded"] + out["rows_quarantined"] and out["balanced"]
    bad = runner.invoke(app, ["ingest", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb")])
    assert bad.exit_code != 0


def test_cli_process_has_no_traceback(tmp_path) -> None:
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "joinedup.cli", "ingest", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb")],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "does not exist" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1252", "utf-8"])
def test_common_encodings_read_the_same(tiny, tmp_path, encoding) -> None:
    ext, maps = tiny
    text = (ext / "F01-testforce" / "nominals.csv").read_bytes().decode("cp1252")
    (ext / "F01-testforce" / "nominals.csv").write_bytes(text.encode(encoding))
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    assert rows(db, "SELECT forename, surname FROM person_record WHERE source_record_id = 'N2'") == [("ZOE", "OBRIEN SMITH")]
