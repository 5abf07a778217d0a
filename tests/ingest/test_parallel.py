"""Files are standardised on worker threads ahead of the loader; the result must be as if they were
loaded one by one in order: first file wins a shared key, errors name the first bad file, nothing
is left behind when a later file fails."""

from __future__ import annotations

import duckdb
import pytest

from joinedup.ingest import MappingError, ingest
from joinedup.ingest import load as load_module

HEADER = "CrimeRef,HOCode,CSE,Committed,Reported\n"


def rows(db, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_many_files_load_in_order_whatever_the_workers_finish_first(tiny, tmp_path) -> None:
    ext, maps = tiny
    force = ext / "F01-testforce"
    n = load_module._WORKERS + load_module._AHEAD + 3
    for i in range(1, n + 1):
        # Early files are the big ones, so later, smaller files are ready first.
        body = "".join(f"K{i}-{j},19/4,Y,01/06/1999,02/03/2015\n" for j in range(2000 if i < 3 else 5))
        (force / f"crimes_{i:02d}.csv").write_text(HEADER + body + "SHARED,19/4,Y,01/06/1999,02/03/2015\n")
    (force / f"crimes_{n + 1:02d}.csv").write_bytes((force / "crimes_01.csv").read_bytes())  # same bytes: skipped
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert s.balanced and s.files_skipped == 1
    assert rows(db, "SELECT file, row_number FROM crime WHERE source_record_id = 'SHARED'") == [
        ("F01-testforce/crimes_01.csv", 2002)
    ]
    repeats = rows(db, "SELECT file, reason FROM quarantine WHERE source_record_id = 'SHARED' ORDER BY file")
    assert len(repeats) == n - 1
    assert all("already loaded (from F01-testforce/crimes_01.csv row 2002)" in why for _, why in repeats)
    files = [f for (f,) in rows(db, "SELECT file FROM load_file WHERE starts_with(file, 'F01-testforce/crimes_') ORDER BY 1")]
    assert files == [f"F01-testforce/crimes_{i:02d}.csv" for i in range(1, n + 1)]


def test_the_first_bad_file_is_named_and_nothing_is_left_behind(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    ingest(ext, db, mappings_dir=maps)
    before = rows(db, "SELECT (SELECT count(*) FROM crime), (SELECT count(*) FROM load_batch), (SELECT count(*) FROM quarantine)")
    force = ext / "F01-testforce"
    (force / "crimes_1.csv").write_text(HEADER + "C10,19/4,Y,01/06/1999,02/03/2015\n")
    (force / "crimes_2.csv").write_text("CrimeRef,HOCode\nC11,19/4\n")  # lacks mapped columns
    (force / "crimes_3.csv").write_text("CrimeRef\nC12\n")  # also bad, but later
    for _ in range(2):  # the same process again: private database names must not clash
        with pytest.raises(MappingError, match="crimes_2.csv: column"):
            ingest(ext, db, mappings_dir=maps)
    after = rows(db, "SELECT (SELECT count(*) FROM crime), (SELECT count(*) FROM load_batch), (SELECT count(*) FROM quarantine)")
    assert after == before
    tables = {t for (t,) in rows(db, "SELECT table_name FROM duckdb_tables()")}
    assert not any(t.startswith(("staged", "dup", "raw_")) for t in tables)
    (force / "crimes_2.csv").unlink()
    (force / "crimes_3.csv").unlink()
    s = ingest(ext, db, mappings_dir=maps)
    assert (s.files_loaded, s.rows_loaded) == (1, 1)


def test_same_named_files_in_other_encodings_do_not_meet(tiny, tmp_path) -> None:
    """Transcoded copies of two sources' cp1252 files of the same name are kept apart."""
    ext, maps = tiny
    other = ext / "F02-testforce"
    other.mkdir()
    text = (ext / "F01-testforce" / "nominals.csv").read_bytes().decode("cp1252")
    (other / "nominals.csv").write_bytes(text.replace("Zoë", "Chloë").replace("N1,", "M1,").encode("cp1252"))
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    got = rows(db, "SELECT source, forename FROM person_record WHERE forename IN ('ZOE', 'CHLOE') ORDER BY 1")
    assert got == [("F01-testforce", "ZOE"), ("F02-testforce", "CHLOE")]


def test_a_short_lines_reasons_come_in_column_order(tiny, tmp_path) -> None:
    """The reader reports one reject per missing column; the reason lists them the same way every run."""
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_text(HEADER + "C1,19/4,Y,01/06/1999,02/03/2015\nC2,22/1\n")
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    (reason,) = rows(db, "SELECT reason FROM quarantine WHERE file = 'F01-testforce/crimes.csv' AND row_number = 3")[0]
    assert reason == (
        "the line does not parse as CSV: Expected Number of Columns: 5 Found: 2; "
        "Expected Number of Columns: 5 Found: 3; Expected Number of Columns: 5 Found: 4"
    )
