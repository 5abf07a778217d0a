"""The warehouse schema matches the standard and migrations are versioned and repeatable."""

from __future__ import annotations

from pathlib import Path

import duckdb
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
    assert isinstance(duckdb.__version__, str)
