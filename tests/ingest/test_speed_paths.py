"""The fast path reads each file once; rows found bad only after standardising (repeated or
already-loaded keys) must still carry their raw values and spreadsheet row numbers in quarantine."""

from __future__ import annotations

import json

import duckdb

from joinedup.ingest import ingest


def _quarantine(db, file: str) -> dict[int, tuple[str, dict]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT row_number, reason, raw FROM quarantine WHERE file = ?", [file]).fetchall()
    finally:
        con.close()
    return {r: (why, json.loads(raw) if raw.startswith("{") else raw) for r, why, raw in rows}


def test_repeated_key_after_a_malformed_line_keeps_raw_values_and_row(tiny, tmp_path) -> None:
    ext, maps = tiny
    (ext / "F01-testforce" / "crimes.csv").write_text(
        "CrimeRef,HOCode,CSE,Committed,Reported\n"
        "C1,19/4,Y,01/06/1999,02/03/2015\n"
        "C2,22/1,N\n"  # row 3 does not parse
        "C3,22/1,N,,05/05/2020\n"
        "C1,22/1,N,,06/06/2020\n"  # row 5 repeats C1
        "C4,ABC,Y,01/01/2020,01/01/2020\n"  # row 6: bad code
    )
    db = tmp_path / "w.duckdb"
    s = ingest(ext, db, mappings_dir=maps)
    assert s.balanced
    q = _quarantine(db, "F01-testforce/crimes.csv")
    assert sorted(q) == [3, 5, 6]
    assert q[3][0].startswith("the row has fewer fields") and q[3][1] == {
        "CrimeRef": "C2", "HOCode": "22/1", "CSE": "N", "Committed": None, "Reported": None}
    assert q[5][0] == "source record id 'C1' appears more than once in this file (first at row 2)"
    assert q[5][1] == {"CrimeRef": "C1", "HOCode": "22/1", "CSE": "N", "Committed": "", "Reported": "06/06/2020"}
    assert q[6][1]["HOCode"] == "ABC"


def test_already_loaded_keys_keep_raw_values(tiny, tmp_path) -> None:
    ext, maps = tiny
    db = tmp_path / "w.duckdb"
    # Two files of one delivery share a key: the second file's row is a repeat (a later delivery would version it).
    (ext / "F01-testforce" / "crimes_2.csv").write_text(
        "CrimeRef,HOCode,CSE,Committed,Reported\nC1,19/4,N,01/06/1999,02/03/2015\nC9,19/4,Y,01/06/1999,02/03/2015\n"
    )
    s = ingest(ext, db, mappings_dir=maps)
    crimes_2 = next(f for f in s.files if f.file.endswith("crimes_2.csv"))
    assert (crimes_2.rows_read, crimes_2.rows_loaded, crimes_2.rows_quarantined) == (2, 1, 1)
    q = _quarantine(db, "F01-testforce/crimes_2.csv")
    assert q[2][0] == "source record id 'C1' is already loaded (from F01-testforce/crimes.csv row 2)"
    assert q[2][1]["CSE"] == "N" and q[2][1]["CrimeRef"] == "C1"


def test_parquet_and_xlsx_repeats_keep_raw_values(tiny, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ext, maps = tiny
    pq.write_table(
        pa.table({"AssessID": ["A1", "A2", "A1"], "ChildID": ["K1", "K2", "K3"], "Date": ["2021-03-04", "2022-01-01", "2023-01-01"],
                  "Factors": ["11A", "11A", "10A"]}),
        ext / "LA1-testcsc" / "assessments.parquet",
    )
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    q = _quarantine(db, "LA1-testcsc/assessments.parquet")
    assert q == {4: ("source record id 'A1' appears more than once in this file (first at row 2)",
                     {"AssessID": "A1", "ChildID": "K3", "Date": "2023-01-01", "Factors": "10A"})}
