"""Bad input gets one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(__import__("joinedup").__path__[0].rsplit("/joinedup", 1)[0]),
                                         env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "joinedup.cli", "stats", *args], capture_output=True, text=True,
                          env=env, timeout=600)


def _one_line_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_never_linked(linked_world, tmp_path):
    db = linked_world.copy_db(tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM link_person")
    _one_line_error(_run("--db", str(db), "--out", str(tmp_path / "o")), "never been linked")


def test_unwritable_out(linked_world, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    _one_line_error(_run("--db", str(linked_world.db), "--out", str(f / "sub")), "--out")


@pytest.mark.parametrize("args,word", [(["--threshold", "1"], "--threshold"), (["--threshold", "500"], "--threshold"),
                                       (["--round", "-5"], "--round"), (["--min-completeness", "2"], "--min-completeness"),
                                       (["--as-of", "1900-01-01"], "before any record"),
                                       (["--as-of", "yesterday"], "not a date")])
def test_bad_settings(linked_world, tmp_path, args, word):
    _one_line_error(_run("--db", str(linked_world.db), "--out", str(tmp_path / "o"), *args), word)


def test_missing_db(tmp_path):
    _one_line_error(_run("--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "o")), "no such warehouse")


def test_json_as_of_and_rounding(linked_world, tmp_path):
    r = _run("--db", str(linked_world.db), "--out", str(tmp_path / "o"), "--json", "--as-of", "2015-01-01",
             "--round", "5", "--no-pdf")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["as_of"] == "2015-01-01" and s["round"] == 5 and s["suppressed_cells"] > 0
    import csv
    with open(tmp_path / "o" / "csv" / "table_1.csv", newline="") as f:
        vals = [v for row in csv.DictReader(f) for k, v in row.items() if k.endswith("(number)") and v != "[c]"]
    assert vals and all(int(v) % 5 == 0 for v in vals)
    # as of 2015 fewer crimes are known than today
    with open(tmp_path / "o" / "csv" / "table_9.csv", newline="") as f:
        then = int([r for r in csv.DictReader(f)][-1]["Total (number)"])
    with duckdb.connect(str(linked_world.db), read_only=True) as con:
        now = con.execute("SELECT count(*) FROM crime").fetchone()[0]
    assert 0 < then < now


def test_area_baseline_is_used_and_bad_baseline_refused(linked_world, tmp_path):
    good = tmp_path / "base.csv"
    good.write_text("area_code,area_name,age_band,sex,group,percent\n"
                    + "".join(f"F01,Force one (test figures),all ages,all,{g},{p}\n"
                              for g, p in [("White", 70), ("Mixed", 5), ("Asian", 15), ("Black", 6), ("Other", 4)]))
    r = _run("--db", str(linked_world.db), "--out", str(tmp_path / "o"), "--baseline", str(good), "--no-pdf")
    assert r.returncode == 0, r.stderr
    import csv
    with open(tmp_path / "o" / "csv" / "table_11.csv", newline="") as f:
        rows = [x for x in csv.DictReader(f) if x["Group"] == "Asian"]
    used = {x["Area"]: (x["Population baseline used"], x["Population share (percentage)"]) for x in rows}
    assert used["F01"] == ("Force one (test figures)", "15.0")
    assert used["F02"] == ("England and Wales", "9.3")
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code,area_name,age_band,sex,group,percent\nF01,x,all ages,all,Martian,5\n")
    _one_line_error(_run("--db", str(linked_world.db), "--out", str(tmp_path / "o"), "--baseline", str(bad)),
                    "row 2", "Martian")
    _one_line_error(_run("--db", str(linked_world.db), "--out", str(tmp_path / "o"), "--baseline",
                         str(tmp_path / "none.csv")), "--baseline")
