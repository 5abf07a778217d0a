"""Bad input to the linkage commands: refused with one line and exit code 2, nothing created or changed."""

from __future__ import annotations

import shutil

import pytest
from conftest import make_warehouse
from typer.testing import CliRunner

from joinedup.cli import app

runner = CliRunner()


@pytest.fixture()
def unlinked(tmp_path, people):
    db = tmp_path / "u.duckdb"
    make_warehouse(db, people.head(20))
    return db


def _one_line_exit_2(r) -> str:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "Error:" not in r.output.replace("error:", "")
    return r.output


@pytest.mark.parametrize("args", [
    ["match", "--forename", "ANN"],
    ["link", "--incremental"],
    ["judge", "--a", "H1-health:r0-0", "--b", "H1-health:r1-0", "--decision", "same"],
])
def test_never_linked_warehouse_is_named(unlinked, args):
    out = _one_line_exit_2(runner.invoke(app, [args[0], "--db", str(unlinked), *args[1:]]))
    assert "has not been linked yet" in out and "joinedup link" in out


def test_judge_refuses_unknown_sources_records_and_warehouses(linked_warehouse, people, tmp_path):
    db0, _ = linked_warehouse
    db = tmp_path / "w.duckdb"
    shutil.copy(db0, db)
    real = f"{people.iloc[0]['source']}:{people.iloc[0]['source_record_id']}"
    out = _one_line_exit_2(runner.invoke(app, ["judge", "--db", str(db), "--a", real, "--b", "NOPE:1", "--decision", "same"]))
    assert "no source 'NOPE'" in out
    src = people.iloc[0]["source"]
    out = _one_line_exit_2(runner.invoke(app, ["judge", "--db", str(db), "--a", real, "--b", f"{src}:zzz", "--decision", "same"]))
    assert f"no record {src}:zzz" in out
    assert not (tmp_path / "w.duckdb.state.sqlite").exists()  # nothing was recorded
    typo = tmp_path / "w2.duckdb"
    out = _one_line_exit_2(runner.invoke(app, ["judge", "--db", str(typo), "--a", real, "--b", real, "--decision", "same"]))
    assert "no such warehouse" in out
    assert not typo.exists() and not (tmp_path / "w2.duckdb.state.sqlite").exists()


@pytest.mark.parametrize("args,flag", [
    (["link", "--threshold", "1.5"], "--threshold"),
    (["link", "--threshold", "-0.1"], "--threshold"),
    (["match", "--forename", "ANN", "--limit", "0"], "--limit"),
    (["match", "--forename", "ANN", "--limit", "-3"], "--limit"),
])
def test_out_of_range_values_are_rejected(linked_warehouse, args, flag):
    db, _ = linked_warehouse
    r = runner.invoke(app, [args[0], "--db", str(db), *args[1:]])
    assert r.exit_code == 2 and flag in r.output


def test_missing_warehouse_is_not_created(tmp_path):
    for cmd in (["link"], ["match", "--forename", "ANN"]):
        out = _one_line_exit_2(runner.invoke(app, [*cmd, "--db", str(tmp_path / "typo.duckdb")]))
        assert "no such warehouse" in out
    assert list(tmp_path.iterdir()) == []


def test_version():
    from joinedup import __version__

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"joinedup {__version__}"


def test_database_messages_never_reach_users(tmp_path):
    import duckdb

    db = tmp_path / "other.duckdb"  # a DuckDB file, but not a joinedup warehouse
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE something_else (x INTEGER)")
    con.close()
    for args in (["quarantine", "--db", str(db)], ["match", "--db", str(db), "--forename", "ANN"],
                 ["judge", "--db", str(db), "--a", "A:1", "--b", "B:2", "--decision", "same"]):
        r = runner.invoke(app, args)
        out = _one_line_exit_2(r)
        assert "Catalog Error" not in out and "Binder Error" not in out and len(out.strip().splitlines()) == 1, out
