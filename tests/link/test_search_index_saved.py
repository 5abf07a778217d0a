"""A saved copy of the matching index (beside the warehouse) answers as the index built from the warehouse."""

from __future__ import annotations

import json

import duckdb

from joinedup.link import match_record
from joinedup.link.search_index import SAVED_SUFFIX, SearchIndex


def _queries(con, n: int) -> list[dict]:
    rows = con.execute(f"""SELECT forename, surname, strftime(dob, '%Y-%m-%d'), postcode FROM person_record
                           USING SAMPLE {n} ROWS (reservoir, 11)""").fetchall()
    return [{k: v for k, v in zip(("forename", "surname", "dob", "postcode"), r) if v} for r in rows]


def test_saved_index_is_read_back_and_answers_the_same(linked_world, tmp_path):
    db = str(linked_world.db)
    saved = tmp_path / ("w.duckdb" + SAVED_SUFFIX)
    con = duckdb.connect(db, read_only=True)
    try:
        built = SearchIndex.for_warehouse(con, saved=saved)
        (copy,) = [d for d in saved.iterdir()]
        assert json.loads((copy / "meta.json").read_text())["run_id"] == built.run_id
        (copy / "block0.npy").touch()  # read back below, not rebuilt: the file's mtime stays
        mtime = (copy / "block0.npy").stat().st_mtime_ns
        again = SearchIndex.for_warehouse(con, saved=saved)
        assert (copy / "block0.npy").stat().st_mtime_ns == mtime and [d.name for d in saved.iterdir()] == [copy.name]
        assert again.table.equals(built.table) and all((a == b).all() for a, b in zip(again.blocks, built.blocks))
        for q in _queries(con, 40):
            assert match_record(db, index=again, limit=60, min_probability=0.05, **q) == \
                match_record(db, index=built, limit=60, min_probability=0.05, **q)
    finally:
        con.close()


def test_a_copy_for_another_run_or_a_broken_copy_is_not_used(linked_world, tmp_path):
    db = str(linked_world.db)
    saved = tmp_path / "idx"
    con = duckdb.connect(db, read_only=True)
    try:
        built = SearchIndex.for_warehouse(con, saved=saved)
        (copy,) = list(saved.iterdir())
        stale = saved / "0123456789abcdef01234567"  # another link run's copy: dropped when this one is saved
        copy.rename(stale)
        (stale / "table.arrow").write_bytes(b"not arrow")
        rebuilt = SearchIndex.for_warehouse(con, saved=saved)
        assert rebuilt.table.equals(built.table)
        assert [d.name for d in saved.iterdir()] == [copy.name]
        (copy / "table.arrow").write_bytes(b"broken")  # a damaged copy for this run: built again, not trusted
        assert SearchIndex.for_warehouse(con, saved=saved).table.equals(built.table)
        from joinedup.link.search_index import _load_arrays

        assert _load_arrays(copy) is not None, "the damaged copy should have been replaced"
        unwritable = tmp_path / "file"
        unwritable.write_text("a file where the folder would go")
        assert SearchIndex.for_warehouse(con, saved=unwritable).table.equals(built.table)
    finally:
        con.close()
