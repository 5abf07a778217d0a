"""The justice command: bad input gets one line and exit 2; --as-of; the network reason; protected fields never matter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from joinedup.warehouse import connect

SRC = str(Path(__file__).parents[2] / "src")


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "joinedup.cli", "justice", *args], capture_output=True, text=True, env=env)


def _one_line_error(p: subprocess.CompletedProcess, *words: str) -> None:
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in p.stderr and "Error:" not in p.stderr.replace("error:", ""), p.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_never_linked_warehouse(tmp_path) -> None:
    db = tmp_path / "empty.duckdb"
    connect(db).close()
    _one_line_error(_cli("--db", str(db), "--export-dir", str(tmp_path / "o")), "never been linked")


def test_export_dir_not_writable(linked_world, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    db = linked_world.copy_db(tmp_path)
    _one_line_error(_cli("--db", str(db), "--export-dir", str(blocker / "sub")), "--export-dir", "cannot write")


def test_as_of_before_any_record(linked_world, tmp_path) -> None:
    db = linked_world.copy_db(tmp_path)
    _one_line_error(_cli("--db", str(db), "--export-dir", str(tmp_path / "o"), "--as-of", "1900-01-01"), "before any record")
    _one_line_error(_cli("--db", str(db), "--export-dir", str(tmp_path / "o"), "--as-of", "yesterday"), "not a date")


def test_json_summary_and_charts(linked_world, tmp_path) -> None:
    db = linked_world.copy_db(tmp_path)
    p = _cli("--db", str(db), "--export-dir", str(tmp_path / "o"), "--json")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["downgrades"] > 0 and s["disregards"] > 0 and s["crimes_in_scope"] > 0
    assert sum(s["disregards_by_corroboration"].values()) == s["disregards"]
    assert sum(s["downgrades_by_age_certainty"].values()) == s["downgrades"]
    n = s["attrition_national"]
    assert n["reported"] >= n["suspect_identified"] >= n["charged"] >= n["prosecuted"] >= n["convicted"] > 0
    assert (tmp_path / "o" / "attrition_ALL.png").stat().st_size > 1000
    assert "absent" in s["network"]


def test_as_of_reads_the_past(justice_run, linked_world, tmp_path) -> None:
    from joinedup.justice import run_justice

    db = linked_world.copy_db(tmp_path)
    # an as-of date halfway through the downgraded crimes' reports, so some are known by then and some are not
    con = duckdb.connect(str(justice_run.db), read_only=True)
    reported = sorted(r[0] for r in con.execute("SELECT date_reported FROM crime WHERE source_record_id IN "
                                                "(SELECT crime_record_id FROM justice_downgrade)").fetchall())
    con.close()
    as_of = reported[len(reported) // 2]
    s = run_justice(db, tmp_path / "o", as_of=as_of.isoformat(), charts=False)
    assert s["crimes_in_scope"] < justice_run.summary["crimes_in_scope"]
    assert 0 < s["downgrades"] < justice_run.summary["downgrades"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT max(date_reported) FROM crime WHERE source_record_id IN "
                           "(SELECT crime_record_id FROM justice_downgrade)").fetchall()[0][0] <= as_of
        assert {r[0] for r in con.execute("SELECT DISTINCT as_of FROM justice_attrition").fetchall()} == {as_of}
    finally:
        con.close()


def test_network_groups_add_a_reason(justice_run, linked_world, tmp_path) -> None:
    """With network_member rows, suspects in a detected group get that reason (and more cases may rank higher)."""
    from joinedup.justice import run_justice

    db = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db))
    try:
        # the network stage's table (migration 0004), filled as a run of it would
        con.execute("""INSERT INTO network_member (run_id, group_id, person_id, role)
            SELECT 'N1' AS run_id, 'G1' AS group_id, l.person_id, 'suspect' AS role
            FROM outcome o JOIN link_person l ON l.source = o.source AND l.source_record_id = o.person_record_id
            WHERE o.outcome_type IN ('15', '16') GROUP BY l.person_id ORDER BY l.person_id LIMIT 5""")
    finally:
        con.close()
    s = run_justice(db, tmp_path / "o", charts=False)
    assert s["network"].startswith("used")
    from joinedup.synth.truth import read_csv

    rows = read_csv(tmp_path / "o" / "reopen.csv")
    grouped = [r for r in rows if "detected group G1" in r["reasons"]]
    assert grouped and all("group:G1" in r["evidence_records"] for r in grouped)
    assert s["reopen"] >= justice_run.summary["reopen"]


def test_protected_characteristics_change_nothing(justice_run, linked_world, tmp_path) -> None:
    """Ethnicity and nationality rewritten on every record: every list is byte-for-byte the same."""
    from joinedup.justice import run_justice
    from joinedup.standard import PROTECTED_FIELDS

    db = linked_world.copy_db(tmp_path)
    con = duckdb.connect(str(db))
    try:
        sets = ", ".join(f"{f} = CASE WHEN hash(source_record_id) % 2 = 0 THEN 'A2' ELSE 'W1' END" for f in sorted(PROTECTED_FIELDS))
        con.execute(f"UPDATE person_record SET {sets}")
        assert con.execute("SELECT count(DISTINCT nationality) FROM person_record").fetchall()[0][0] == 2
    finally:
        con.close()
    run_justice(db, tmp_path / "o", charts=False)
    for name in ("attrition.csv", "attrition_outcomes.csv", "downgrades.csv", "disregards.csv", "reopen.csv"):
        assert (tmp_path / "o" / name).read_bytes() == (justice_run.out / name).read_bytes(), name


def test_justice_code_never_names_a_protected_field() -> None:
    """Belt and braces beside the test above: the stage's SQL never mentions ethnicity, nationality or religion."""
    from joinedup.standard import PROTECTED_FIELDS

    code = "\n".join(p.read_text(encoding="utf-8") for p in (Path(SRC) / "joinedup" / "justice").glob("*.py"))
    for word in (*PROTECTED_FIELDS, "religion", "ethnic"):
        assert word not in code, word
