"""Files are standardised on worker threads ahead of the loader; the result must be as if they were
loaded one by one in order: first file wins a shared key, errors name the first bad file, nothing
is left behind when a later file fails."""

from __future__ import annotations

import duckdb
import pytest

from helpers import rows

from joinedup.ingest import MappingError, ingest
from joinedup.ingest import load as load_module

HEADER = "CrimeRef,HOCode,CSE,Committed,Reported\n"


def test_many_files_load_in_order_whatever_the_workers_finish_first(tiny, tmp_path) -> None:
    ext, maps = tiny
    force = ext / "F01-testforce"
    n = load_module._WORKERS + load_module._AHEAD_MIN + 3
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


def test_a_short_line_is_quarantined_as_short(tiny, tmp_path) -> None:
    """A row with fewer fields than the header is quarantined with one reason that says so."""
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_text(HEADER + "C1,19/4,Y,01/06/1999,02/03/2015\nC2,22/1\n")
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    (reason,) = rows(db, "SELECT reason FROM quarantine WHERE file = 'F01-testforce/crimes.csv' AND row_number = 3")[0]
    assert reason.startswith("the row has fewer fields than the header's 5")


class _Spec:
    def __init__(self, table: str) -> None:
        self.table = table


class _File:
    """Enough of an ExtractFile for the dispatcher."""

    def __init__(self, tmp_path, name: str, table: str, source: str = "S1") -> None:
        self.path = tmp_path / name
        self.path.write_text(name)
        self.spec = _Spec(table)
        self.source = source


def _dispatch(tmp_path, files, task):
    con = duckdb.connect()
    return load_module._Dispatcher(files, task, [con.cursor(), con.cursor()]), con


def test_a_file_of_another_table_loads_while_an_earlier_one_is_still_being_read(tmp_path) -> None:
    """The loader does not wait behind a slow file of another table, but files of one table keep their order."""
    import threading

    files = [_File(tmp_path, "a.csv", "crime"), _File(tmp_path, "b.csv", "crime"), _File(tmp_path, "c.csv", "event")]
    release = threading.Event()

    def task(cur, k):
        if k == 0:
            release.wait(10)  # the first file is slow
        return load_module._Staged(sha256=f"h{k}")

    d, con = _dispatch(tmp_path, files, task)
    try:
        assert d.next_ready() == 2  # event: nothing earlier of its table
        d.loaded(2)
        release.set()
        assert d.next_ready() == 0  # crime: b waits for a, whichever finished first
        d.loaded(0)
        assert d.next_ready() == 1
    finally:
        d.stop()
        con.close()


def test_the_first_bad_file_in_order_is_named_even_when_a_later_one_fails_first(tmp_path) -> None:
    import threading

    files = [_File(tmp_path, "a.csv", "crime"), _File(tmp_path, "b.csv", "event"), _File(tmp_path, "c.csv", "event")]
    release = threading.Event()

    def task(cur, k):
        if k == 0:
            release.wait(10)
            return load_module._Staged(sha256="h0", error=MappingError("a.csv is bad"))
        return load_module._Staged(sha256=f"h{k}", error=MappingError("c.csv is bad") if k == 2 else None)

    d, con = _dispatch(tmp_path, files, task)
    try:
        assert d.next_ready() == 1
        d.loaded(1)
        assert d.next_ready() == 2  # failed, and is ready before a.csv
        threading.Timer(0.2, release.set).start()
        err = d.first_error(2, set())  # waits for a.csv, which comes first
        assert str(err) == "a.csv is bad"
        # A failing file that would have been skipped (same bytes as one loaded before) is not the one named.
        assert str(d.first_error(2, {("h0", "crime")})) == "c.csv is bad"
    finally:
        d.stop()
        con.close()


def test_ingest_writes_row_groups_of_the_chosen_size(tmp_path) -> None:
    from joinedup.warehouse import connect

    db = tmp_path / "w.duckdb"
    con = connect(db, row_group_size=2048)
    con.execute("CREATE TABLE t AS SELECT range AS i, 'x' || range AS s FROM range(10000)")
    con.close()
    got = rows(db, "SELECT count(DISTINCT row_group_id), max(count) FROM pragma_storage_info('t') WHERE column_name = 'i'")
    assert got == [(5, 2048)]


def test_ingest_itself_writes_its_smaller_row_groups(tiny, tmp_path) -> None:
    """Not DuckDB's default of 122,880 rows: a file of more rows than ingest's row group lands in groups of that size."""
    ext, maps = tiny
    n = load_module._ROW_GROUP_SIZE + 1000
    lines = "".join(f"C{i},19/4,Y,01/06/1999,02/03/2015\n" for i in range(n))
    (ext / "F01-testforce" / "crimes.csv").write_text(HEADER + lines)
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    got = rows(db, "SELECT count(DISTINCT row_group_id), max(count), sum(count) FROM pragma_storage_info('crime') "
                   "WHERE column_name = 'source_record_id' AND segment_type <> 'VALIDITY'")
    groups, biggest, total = got[0]
    assert total == n and groups >= 2 and biggest <= load_module._ROW_GROUP_SIZE < 122_880
