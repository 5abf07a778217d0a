"""The command line: exports, `group`, and one clear line (exit 2) for each kind of bad input."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import igraph as ig

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-m", "joinedup.cli", *args], capture_output=True, text=True, env=env)


def one_line_error(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 2, p.stderr
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr and "Error:" not in p.stderr.replace("error:", "")
    for w in words:
        assert w in lines[0], lines[0]


def test_network_exports_and_group(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    p = cli("network", "--db", str(db), "--json", "--export-groups", str(tmp_path / "g.csv"), "--graphml",
            str(tmp_path / "n.graphml"), "--i2", str(tmp_path / "i2"), "--export-priority", str(tmp_path / "p.csv"))
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["groups"] >= 1 and s["edges"] > 0
    rows = list(csv.DictReader(open(tmp_path / "g.csv", encoding="utf-8")))
    assert list(rows[0])[:6] == ["group_id", "person_id", "role", "first_seen", "last_seen", "evidence"]
    assert {r["role"] for r in rows} <= {"suspect", "victim", "associate"}
    assert all(int(r["evidence"]) >= 1 for r in rows)
    g = ig.Graph.Read_GraphML(str(tmp_path / "n.graphml"))
    people = [v for v in g.vs if v["role"] in ("suspect", "victim", "associate")]
    assert len(people) == len(rows) and g.ecount() > 0 and "edge_type" in g.es.attributes()
    pivots = [v for v in g.vs if v["role"] not in ("suspect", "victim", "associate")]
    assert pivots and {v["role"] for v in pivots} <= {"phone", "vehicle", "address", "alias"}
    assert all(g.degree(v) >= 2 for v in pivots)  # a pivot is drawn only when two members share it
    ents = list(csv.DictReader(open(tmp_path / "i2" / "entities.csv", encoding="utf-8")))
    links = list(csv.DictReader(open(tmp_path / "i2" / "links.csv", encoding="utf-8")))
    ids = {e["Entity ID"] for e in ents}
    assert links and all(x["From ID"] in ids and x["To ID"] in ids for x in links)
    spec = json.loads((tmp_path / "i2" / "import_specification.json").read_text())
    assert spec["link"]["from"]["identity"] == "From ID"
    pri = list(csv.DictReader(open(tmp_path / "p.csv", encoding="utf-8")))
    assert [float(r["priority"]) for r in pri] == sorted((float(r["priority"]) for r in pri), reverse=True)

    top = pri[0]["group_id"]
    p = cli("group", top, "--db", str(db), "--json", "--png", str(tmp_path / "g.png"))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["group"]["group_id"] == top and d["crimes"]
    assert {m["role"] for m in d["members"]} >= {"suspect", "victim"}
    assert all(m["reason"] and m["provenance"] for m in d["members"])
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_never_linked(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM link_person")
    con.close()
    one_line_error(cli("network", "--db", str(db)), "never linked")


def test_unknown_group(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    assert cli("network", "--db", str(db)).returncode == 0
    one_line_error(cli("group", "G-nosuchgroup", "--db", str(db)), "G-nosuchgroup")


def test_unwritable_export(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    one_line_error(cli("network", "--db", str(db), "--export-groups", str(tmp_path / "no" / "such" / "g.csv")), "cannot write")
    one_line_error(cli("network", "--db", str(db), "--graphml", str(tmp_path)), "cannot write")


def test_as_of_before_any_record(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    one_line_error(cli("network", "--db", str(db), "--as-of", "1900-01-01"), "before any record")
    one_line_error(cli("network", "--db", str(db), "--as-of", "yesterday"), "not a date")


def test_as_of_uses_only_what_was_known(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    p = cli("network", "--db", str(db), "--as-of", "2012-01-01", "--json")
    assert p.returncode == 0, p.stderr
    early = json.loads(p.stdout)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT max(known_date) FROM network_edge").fetchall()[0][0].isoformat() <= "2012-01-01"
    assert {str(r[0]) for r in con.execute("SELECT DISTINCT as_of FROM network_group").fetchall()} <= {"2012-01-01"}
    top = con.execute("SELECT group_id FROM network_group ORDER BY priority DESC LIMIT 1").fetchall()[0][0]
    con.close()
    shown = json.loads(cli("group", top, "--db", str(db), "--json").stdout)
    assert shown["crimes"] and all(c["reported"] <= "2012-01-01" for c in shown["crimes"])
    outcome_days = [d for c in shown["crimes"] for d in re.findall(r"on (\d{4}-\d{2}-\d{2})", c["outcomes"] or "")]
    assert all(d <= "2012-01-01" for d in outcome_days)
    late = json.loads(cli("network", "--db", str(db), "--json").stdout)
    assert early["edges"] < late["edges"] and early["groups"] <= late["groups"]
