"""The standardising SQL takes cheap fast paths for the common clean values (a plain name, a postcode
already written the standard way, one clean phone number, a value with nothing to trim). Each must
give exactly what the general path gives, on clean and awkward values alike."""

from __future__ import annotations

import duckdb
import pytest

from joinedup.ingest.standardise import _blank_to_null_sql, _item_sql
from joinedup.standard.names import name_sql
from joinedup.standard.postcode import UK_POSTCODE as _UK_POSTCODE

# The general paths, as they were before the fast paths were added.
GENERAL = {
    "name": name_sql("x", fast_path=False),
    "postcode": (
        "CASE WHEN regexp_full_match(upper(replace(x, ' ', '')), '" + _UK_POSTCODE + "') THEN "
        "substr(upper(replace(x, ' ', '')), 1, length(upper(replace(x, ' ', ''))) - 3) || ' ' || "
        "right(upper(replace(x, ' ', '')), 3) END"
    ),
}

NAMES = ["Mohammed", "mohammed", "Mary Ann", "Mary  Ann", "O'Brien", "O’Brien", "Smith-Jones", "Zoë", "José María",
         "ÆSA", "Ng", "x", " Lead", "Trail ", "A1", "Anne-", "-", "''", "Van der Berg", "d'Souza", "İpek", "Straße"]
POSTCODES = ["LS1 4AB", "ls1 4ab", "LS14AB", "M1 1AA", "M11AA", "EC1A 1BB", "W1A 0AX", "SW1A 2AA", "B33 8TH",
             "LS1  4AB", " LS1 4AB", "NOTAPOSTCODE", "LS1 4A", "1LS 4AB", "LS1 4ABC", "GIR 0AA", "ls1\t4ab", "LS1 4AÉ"]


def _eval(con: duckdb.DuckDBPyConnection, expr: str, values: list[str | None]) -> list:
    con.execute("CREATE OR REPLACE TEMP TABLE v AS SELECT unnest(?::VARCHAR[]) AS x, generate_subscripts(?::VARCHAR[], 1) AS i",
                [values, values])
    return [r[0] for r in con.execute(f"SELECT {expr} FROM v ORDER BY i").fetchall()]


@pytest.mark.parametrize("item, values", [("name", NAMES), ("postcode", POSTCODES)])
def test_fast_path_gives_what_the_general_path_gives(item: str, values: list[str]) -> None:
    con = duckdb.connect()
    fast = _eval(con, _item_sql(item, "x"), values)
    general = _eval(con, GENERAL[item], values)
    assert fast == general
    assert fast[:2] == (["MOHAMMED", "MOHAMMED"] if item == "name" else ["LS1 4AB", "LS1 4AB"])


def test_blank_and_null_markers_are_null_whatever_their_case_and_spaces() -> None:
    con = duckdb.connect()
    nulls = ("", "null", "n/k", "unk")
    values = ["Smith", " Smith", "Smith ", "  Smith  ", "", "   ", "NULL", "null", "Null", " NULL ", "N/K", "n/k", "UNK",
              "unknown", "nullify", "NUL", "N/ K", None, "Ünk", "O'Neil"]
    got = _eval(con, _blank_to_null_sql("x", nulls), values)
    general = _eval(con, "CASE WHEN lower(nullif(trim(x), '')) IN ('null', 'n/k', 'unk') THEN NULL ELSE nullif(trim(x), '') END", values)
    assert got == general
    assert got[:4] == ["Smith"] * 4 and got[4:13] == [None] * 9 and got[13:16] == ["unknown", "nullify", "NUL"]


def test_a_non_ascii_null_marker_is_still_found() -> None:
    con = duckdb.connect()
    assert _eval(con, _blank_to_null_sql("x", ("", "néant")), ["NÉANT", " néant", "neant", "Néanttt"]) == [
        None, None, "neant", "Néanttt"]


def test_phones_and_vehicles_one_clean_value_or_many(tiny, tmp_path) -> None:
    """Through the whole ingest: one clean number is kept as is; anything else goes the general way."""
    from joinedup.ingest import ingest

    ext, maps = tiny
    (ext / "F01-testforce" / "nominals.csv").write_text(
        "NominalRef,Forename,Surname,AKA,DOB,Gender,Postcode,Phones,VRM,NHSNo,SDE,IC,Nat,Role\n"
        "P1,Ann,Lee,,1999,Female,LS1 4AB,07700900123,AB12CDE,,,,,V\n"
        "P2,Ann,Lee,,1999,Female,ls14ab,07700 900123;+447700900456,ab12 cde;XY99ZZZ,,,,,V\n"
        "P3,Ann,Lee,,1999,Female,,0770090012;12345,-,,,,,V\n"
        "P4,Ann,Lee,,1999,Female,,+44 7700 900123,AB12CDE;,,,,,V\n",
        encoding="utf-8",
    )
    db = tmp_path / "w.duckdb"
    assert ingest(ext, db, mappings_dir=maps).balanced
    con = duckdb.connect(str(db), read_only=True)
    got = {r[0]: r[1:] for r in con.execute(
        "SELECT source_record_id, postcode, phones, vehicles FROM person_record WHERE source_record_id LIKE 'P%'").fetchall()}
    issues = {r[0] for r in con.execute("SELECT source_record_id FROM field_issue WHERE field = 'phones'").fetchall()}
    con.close()
    assert got["P1"] == ("LS1 4AB", ["07700900123"], ["AB12CDE"])
    assert got["P2"] == ("LS1 4AB", ["07700900123", "07700900456"], ["AB12CDE", "XY99ZZZ"])
    assert got["P3"] == (None, ["0770090012"], None)
    assert got["P4"] == (None, ["07700900123"], ["AB12CDE"])
    assert issues == {"P3"}  # 12345 dropped, and said so


def test_csv_reader_gives_null_for_empty_cells_so_the_check_can_skip_them(tmp_path) -> None:
    """FileSQL(empty_cells=False) for CSV relies on this: an empty field, quoted or not, reads as NULL."""
    f = tmp_path / "e.csv"
    f.write_text('a,b,c,d\nx,"", ,\n')
    con = duckdb.connect()
    got = con.execute(
        f"SELECT b, c, d FROM read_csv('{f}', all_varchar=true, header=true, auto_detect=false, "
        "columns={'a': 'VARCHAR', 'b': 'VARCHAR', 'c': 'VARCHAR', 'd': 'VARCHAR'}, quote='\"', escape='\"', strict_mode=true)"
    ).fetchall()
    assert got == [(None, " ", None)]
    assert _eval(con, _blank_to_null_sql("x", ("", "null"), empty=False), [" ", "NULL", "a "]) == [None, None, "a"]
