"""Chronology: every record of a linked person, in date order, with provenance; as of a date; HTML; errors."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date

import duckdb
import pytest
from typer.testing import CliRunner

from joinedup.chronology.build import chronology
from joinedup.chronology.bulk import write_all
from joinedup.chronology.render import to_html
from joinedup.cli import app


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def victim(linked_world):
    """The person_id holding most records of an exploited child (truth), and that child's true records."""
    kids = {r["true_person_id"] for r in _read(linked_world.world / "truth" / "children.csv") if r["exploited"] == "1"}
    recs = [r for r in _read(linked_world.world / "truth" / "records.csv") if r["true_person_id"] in kids]
    by_child = Counter(r["true_person_id"] for r in recs)
    pid_of = {(r["source"], r["source_record_id"]): r["person_id"] for r in _read(linked_world.clusters)}
    for child, _ in by_child.most_common():
        mine = [(r["source"], r["source_record_id"]) for r in recs if r["true_person_id"] == child]
        pids = Counter(pid_of[k] for k in mine if k in pid_of)
        if pids:
            return pids.most_common(1)[0][0], mine
    pytest.skip("no exploited child in the world")


def test_every_record_in_date_order_with_provenance(linked_world, victim):
    """All events, crimes and outcomes of the person's linked records appear, dated, ordered, with their source."""
    pid, _ = victim
    con = duckdb.connect(str(linked_world.db), read_only=True)
    c = chronology(con, pid)
    mine = con.execute("SELECT source, source_record_id FROM link_person WHERE person_id = ?", [pid]).fetchall()
    n_ev = sum(con.execute("SELECT count(*) FROM event WHERE source = ? AND person_record_id = ?", list(k)).fetchall()[0][0]
               for k in mine)
    n_cr = sum(con.execute("SELECT count(*) FROM crime_person WHERE source = ? AND person_record_id = ?", list(k)).fetchall()[0][0]
               for k in mine)
    con.close()
    kinds = Counter(e["kind"] for e in c["entries"])
    assert kinds["event"] == n_ev and kinds["crime"] == n_cr and n_ev + n_cr > 0
    dates = [e["happened"] for e in c["entries"] if e["happened"]]
    assert dates == sorted(dates)
    for e in c["entries"]:
        assert e["source"] and e["record_id"] and e["agency_type"] and e["org_code"] and e["delivered"]
        assert 0.0 <= e["match_probability"] <= 1.0
    assert {(r["source"], r["source_record_id"]) for r in c["records"]} == set(mine)


def test_an_exploited_child_is_seen_across_agencies(linked_world):
    """Over the world's exploited children, most chronologies join two or more agencies and show missed chances."""
    kids = {r["true_person_id"] for r in _read(linked_world.world / "truth" / "children.csv") if r["exploited"] == "1"}
    truth = {(r["source"], r["source_record_id"]): r["true_person_id"] for r in _read(linked_world.world / "truth" / "records.csv")}
    pids = Counter()
    for r in _read(linked_world.clusters):
        if truth.get((r["source"], r["source_record_id"])) in kids:
            pids[r["person_id"]] += 1
    con = duckdb.connect(str(linked_world.db), read_only=True)
    multi = missed = 0
    top = [p for p, n in pids.most_common(20)]
    for p in top:
        c = chronology(con, p)
        multi += len({e["agency_type"] for e in c["entries"]}) >= 2
        missed += bool(c["missed_chances"])
    con.close()
    assert multi >= 0.7 * len(top) and missed >= 0.5 * len(top)


def test_as_of_shows_only_what_was_known(linked_world, victim):
    """As of a date: nothing recorded after it, and end dates after it are not yet known."""
    pid, _ = victim
    con = duckdb.connect(str(linked_world.db), read_only=True)
    full = chronology(con, pid)
    dated = sorted(e["recorded"] for e in full["entries"] if e["recorded"])
    mid = dated[len(dated) // 2]
    c = chronology(con, pid, mid)
    con.close()
    assert c["entries"] and len(c["entries"]) < len(full["entries"])
    assert all(e["recorded"] is None or e["recorded"] <= mid for e in c["entries"])
    assert all(e["end_date"] is None or e["end_date"] <= mid for e in c["entries"])


def test_html_is_printable_with_a_timeline(linked_world, victim):
    """The HTML carries an SVG timeline, every source record, and print styles."""
    pid, _ = victim
    con = duckdb.connect(str(linked_world.db), read_only=True)
    c = chronology(con, pid)
    con.close()
    page = to_html(c)
    assert "<svg" in page and "@media print" in page
    assert all(f"{e['source']}:{e['record_id']}" in page for e in c["entries"])


def test_cli_json_unknown_person_and_all(linked_world, victim, tmp_path):
    """--json parses; an unknown id exits 2 with a hint to `joinedup match`; --all writes one page per child."""
    pid, _ = victim
    runner = CliRunner()
    r = runner.invoke(app, ["chronology", pid, "--db", str(linked_world.db), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["person_id"] == pid
    r = runner.invoke(app, ["chronology", "Pnobody", "--db", str(linked_world.db)])
    assert r.exit_code == 2  # bad input: one line on stderr, with the hint
    assert "joinedup match" in r.stderr and "Traceback" not in r.output
    s = write_all(linked_world.db, tmp_path / "all", date(2015, 1, 1))
    files = list((tmp_path / "all").glob("*.html"))
    assert s["children"] > 0 and len(files) == s["children"] + 1
    assert (tmp_path / "all" / "index.html").read_text().count("<tr>") == s["children"] + 1
