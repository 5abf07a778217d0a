"""The warehouse schema matches the standard and migrations are versioned and repeatable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from joinedup.standard import standard
from joinedup.warehouse import WarehouseError, connect, migrations, schema_version, transpile

PROVENANCE = ["load_id", "file", "row_number", "loaded_at"]


def test_schema_columns_follow_the_standard(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    for t in standard().values():
        cols = [r[0] for r in con.execute(f"DESCRIBE {t.name}").fetchall()]
        expected = []
        for f in t.fields:
            expected.append(f.name)
            if f.type == "partial_date":
                expected.append(f.name + "_precision")
        assert cols == expected + PROVENANCE, t.name


def test_migrate_is_idempotent_and_versioned(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    connect(db).close()
    con = connect(db)
    assert schema_version(con) == migrations()[-1][0]
    assert con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] == len(migrations())


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now())")
    con.close()
    with pytest.raises(WarehouseError, match="newer"):
        connect(db)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        connect(tmp_path / "nope" / "w.duckdb")


def test_sql_transpiles_to_spark() -> None:
    sql = "SELECT list_filter(phones, lambda x: x IS NOT NULL) FROM person_record"
    assert "person_record" in transpile(sql, "spark")
    assert transpile(sql, "duckdb") == sql
    with pytest.raises(WarehouseError):
        transpile(sql, "oracle")


@pytest.mark.parametrize("content,kind", [(b"hello, not a database\n", "not a DuckDB file"),
                                          (b"SQLite format 3\x00" + b"\x00" * 100, "a SQLite database")])
def test_a_file_that_is_not_a_warehouse_is_refused_without_downloading(tmp_path: Path, monkeypatch, content, kind) -> None:
    """DuckDB would try to download its sqlite extension to open a SQLite file; we refuse first, offline."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # where DuckDB would install an extension
    f = tmp_path / "x.duckdb"
    f.write_bytes(content)
    for read_only in (True, False):
        with pytest.raises(WarehouseError, match=f"is not a joinedup warehouse \\({kind}\\)"):
            connect(f, read_only=read_only)
    r = subprocess.run([sys.executable, "-m", "joinedup.cli", "match", "--db", str(f), "--forename", "ANN"],
                       capture_output=True, text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    assert r.returncode == 2 and "is not a joinedup warehouse" in r.stderr and "Error:" not in r.stderr
    assert f.read_bytes() == content  # untouched
    assert not (tmp_path / "home" / ".duckdb").exists()  # no extension was installed


def test_even_duckdb_would_not_download_an_extension(tmp_path: Path) -> None:
    """Past our own check, the connection itself refuses to install extensions."""
    con = connect(tmp_path / "w.duckdb")
    assert con.execute("SELECT current_setting('autoinstall_known_extensions')").fetchall()[0][0] is False


def test_linkage_tables_come_from_the_migrations(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    assert (2, "link") in [(v, n) for v, n, _ in migrations()] and schema_version(con) >= 2
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"link_run", "link_model", "link_person", "link_pair", "link_record", "link_tf_forename",
            "link_tf_surname"} <= tables
    cols = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = "
                                      "'link_person' ORDER BY ordinal_position").fetchall()]
    assert cols == ["source", "source_record_id", "person_id", "cluster_size", "match_probability", "run_id"]


def test_a_process_holding_a_plain_connection_can_still_open_the_warehouse(tmp_path: Path) -> None:
    """Another stage or a notebook may already hold duckdb.connect(file): connect must share its configuration."""
    import duckdb

    db = tmp_path / "w.duckdb"
    connect(db).close()
    plain = duckdb.connect(str(db), read_only=True)
    try:
        con = connect(db, read_only=True)
        assert schema_version(con) >= 1
        con.close()
    finally:
        plain.close()
