"""Warehouse linkage, judgements, incremental, match and the CLI's errors."""

import json
import shutil
import sys

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from joinedup.cli import app  # the whole CLI: bad input must leave with exit code 2 through its one error path

runner = CliRunner()


def _persons(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT source, source_record_id, person_id FROM link_person").df()
    finally:
        con.close()


def test_link_gives_every_record_a_person_with_explained_links(linked_warehouse, people):
    db, summary = linked_warehouse
    assert summary["records"] == len(people)
    p = _persons(db)
    assert len(p) == len(people) and p["person_id"].notna().all()
    con = duckdb.connect(str(db), read_only=True)
    expl = con.execute("SELECT explanation FROM link_pair WHERE linked LIMIT 20").fetchall()
    con.close()
    assert expl and all("forename" in json.loads(e[0]) for e in expl)


def test_cli_link_export_and_stable_ids(linked_warehouse, tmp_path):
    db0, _ = linked_warehouse
    db = tmp_path / "w.duckdb"
    shutil.copy(db0, db)
    before = _persons(db).set_index(["source", "source_record_id"])["person_id"]
    r = runner.invoke(app, ["link", "--db", str(db), "--export", str(tmp_path / "c.csv"), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert {"records", "persons", "links", "run_time_seconds"} <= set(summary)
    out = pd.read_csv(tmp_path / "c.csv", dtype=str)
    assert list(out.columns) == ["source", "source_record_id", "person_id"]
    after = out.set_index(["source", "source_record_id"])["person_id"]
    assert (after.sort_index() == before.sort_index()).all()  # same evidence -> same person_ids


def test_judgements_override_the_model(linked_warehouse, tmp_path):
    db0, _ = linked_warehouse
    db = tmp_path / "w.duckdb"
    shutil.copy(db0, db)
    p = _persons(db)
    big = p.groupby("person_id").filter(lambda g: len(g) >= 2).groupby("person_id").head(2)
    a, b = big.iloc[0], big.iloc[1]
    assert a["person_id"] == b["person_id"]
    other = p[p["person_id"] != a["person_id"]].iloc[0]
    ra, rb, ro = (f"{x['source']}:{x['source_record_id']}" for x in (a, b, other))
    assert runner.invoke(app, ["judge", "--db", str(db), "--a", ra, "--b", rb, "--decision", "not-same", "--by", "t"]).exit_code == 0
    assert runner.invoke(app, ["judge", "--db", str(db), "--a", ra, "--b", ro, "--decision", "same", "--by", "t"]).exit_code == 0
    assert runner.invoke(app, ["link", "--db", str(db)]).exit_code == 0
    q = _persons(db).set_index(["source", "source_record_id"])["person_id"]
    pa, pb, po = (q[(x["source"], x["source_record_id"])] for x in (a, b, other))
    assert pa != pb      # "not the same" splits them
    assert pa == po      # "same" forces the link
    # not-same beats same: judging a~b same as well leaves them apart
    r = runner.invoke(app, ["judge", "--db", str(db), "--a", rb, "--b", ro, "--decision", "same"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["link", "--db", str(db)])
    assert r.exit_code == 0, r.output
    q = _persons(db).set_index(["source", "source_record_id"])["person_id"]
    assert q[(a["source"], a["source_record_id"])] != q[(b["source"], b["source_record_id"])]
    r = runner.invoke(app, ["judge", "--db", str(db), "--a", "nocolon", "--b", rb, "--decision", "same"])
    assert r.exit_code == 2 and "expected SOURCE:ID" in r.output


def test_incremental_attaches_new_records_to_known_persons(linked_warehouse, people, tmp_path):
    db0, _ = linked_warehouse
    db = tmp_path / "w.duckdb"
    shutil.copy(db0, db)
    known = people.iloc[0]
    con = duckdb.connect(str(db))
    con.execute("""INSERT INTO person_record (source, source_record_id, agency_type, org_code, forename, surname, dob,
                   dob_precision, sex, postcode, role, load_id, file, row_number, loaded_at)
                   SELECT 'NEW-school', 'n1', 'education', 'X', ?, ?, ?::DATE, 'day', ?, ?, 'victim', 'L2', 'n.csv', 1,
                   now()::TIMESTAMP""",
                [known["forename"], known["surname"], known["dob"], known["sex"], known["postcode"]])
    base_rows = con.execute("SELECT count(*) FROM link_pair").fetchall()[0][0]
    con.close()
    r = runner.invoke(app, ["link", "--db", str(db), "--incremental", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["mode"] == "incremental" and s["new_records"] == 1
    q = _persons(db).set_index(["source", "source_record_id"])["person_id"]
    assert q[("NEW-school", "n1")] == q[(known["source"], known["source_record_id"])]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM link_pair").fetchall()[0][0] > base_rows
    con.close()


def test_match_record_ranks_the_known_child_first(linked_warehouse, people):
    from joinedup.link import match_record

    db, _ = linked_warehouse
    rec = people.iloc[5]
    y, m, d = rec["dob"].split("-")
    found = match_record(str(db), forename=rec["forename"], surname=rec["surname"], dob=f"{d}/{m}/{y}")
    assert found, "the child should be known"
    pid = _persons(db).set_index(["source", "source_record_id"])["person_id"][(rec["source"], rec["source_record_id"])]
    assert found[0]["person_id"] == pid and found[0]["match_probability"] > 0.5
    assert found[0]["explanation"]["dob"]["level"] == "exact"
    r = runner.invoke(app, ["match", "--db", str(db), "--forename", rec["forename"], "--surname", rec["surname"], "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["candidates"]
    r = runner.invoke(app, ["match", "--db", str(db), "--dob", "31/02/2010"])
    assert r.exit_code == 2 and "dob" in r.output


@pytest.fixture()
def csv_in(tmp_path, people):
    p = tmp_path / "in.csv"
    people.rename(columns={"source_record_id": "id", "forename": "first", "surname": "last", "dob": "birth"}).to_csv(p, index=False)
    return p


def _lf(csv, out, *maps):
    args = ["link-file", str(csv), "--out", str(out)]
    for m in maps:
        args += ["--map", m]
    return runner.invoke(app, args)


def test_link_file_multi_source_one_row_per_input(csv_in, tmp_path, people):
    r = _lf(csv_in, tmp_path / "o.csv", "record_id=id", "source=source", "forename=first", "surname=last", "dob=birth", "postcode=postcode")
    assert r.exit_code == 0, r.output
    out = pd.read_csv(tmp_path / "o.csv", dtype=str)
    assert list(out.columns) == ["record_id", "person_id", "match_probability"] and len(out) == len(people)


@pytest.mark.parametrize("maps,expect", [
    (["forename=first", "shoesize=x"], "shoesize"),
    (["forename=nope"], "nope"),
    (["forename=first", "nhs_number=nhs"], "nhs_number"),
])
def test_link_file_errors_name_the_field(csv_in, tmp_path, maps, expect):
    df = pd.read_csv(csv_in, dtype=str)
    df["nhs"] = ""
    df.to_csv(csv_in, index=False)
    r = _lf(csv_in, tmp_path / "o.csv", *maps)
    assert r.exit_code == 2 and expect in r.output and "Traceback" not in r.output


def test_link_file_empty_and_bad_dates(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_text("")
    r = _lf(empty, tmp_path / "o.csv", "forename=a")
    assert r.exit_code == 2 and "empty" in r.output
    f = tmp_path / "d.csv"
    pd.DataFrame({"a": ["ANN", "ANN", "BOB"], "b": ["LEE", "LEE", "RAY"], "d": ["2010-01-02", "not a date", "02/01/2010"]}).to_csv(f, index=False)
    r = _lf(f, tmp_path / "o.csv", "forename=a", "surname=b", "dob=d")
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(tmp_path / "o.csv")) == 3  # the bad date is treated as missing, the record kept
    pd.DataFrame({"a": ["ANN"], "d": ["x"]}).to_csv(f, index=False)
    r = _lf(f, tmp_path / "o.csv", "forename=a", "dob=d")
    assert r.exit_code == 2 and "dob" in r.output


def test_spark_engine_missing_gives_clean_error(csv_in, tmp_path, monkeypatch):
    # as on a machine without pyspark (a None entry makes `import pyspark` raise ImportError)
    for m in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, m)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    r = runner.invoke(app, ["link-file", str(csv_in), "--map", "forename=first", "--out", str(tmp_path / "o.csv"), "--engine", "spark"])
    assert r.exit_code == 2 and "pyspark" in r.output
