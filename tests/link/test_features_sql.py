"""Identifiers derived in SQL (phones, NHS number) give exactly what the Python feature functions give."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from joinedup.link import features as F

VALUES = ["07700 900123", "07700900123;0161 496 0000", "", None, "123", "01234|567890,99", "a1b2c3d4e5f6",
          "4010232137", "401 023 2137", " 401-023-2137 ", "40102321370", "+44 (0)7700 900123"]


def _table(con: duckdb.DuckDBPyConnection, cols: dict[str, pa.Array]) -> list[tuple]:
    n = len(next(iter(cols.values())))
    ids = [f"{i:03d}" for i in range(n)]
    con.register("src", pa.table({"unique_id": ids, "source": ["s"] * n, "source_record_id": ids, **cols}))
    F.feature_table(con, "src", "f")
    return con.sql("SELECT phones, phone1, nhs_number FROM f ORDER BY unique_id").fetchall()


def test_text_identifiers_match_python() -> None:
    got = _table(duckdb.connect(), {"phones": pa.array(VALUES), "nhs_number": pa.array(VALUES)})
    for v, (phones, phone1, nhs) in zip(VALUES, got):
        assert (list(phones), phone1) == F._phones(v), v
        assert (nhs,) == F._nhs(v), v


@pytest.mark.parametrize("lists", [[["07700 900123", "0161"], None, [], ["0161 496 0000", "07700-900-123", "07700900123"]]])
def test_list_phones_match_python(lists: list) -> None:
    got = _table(duckdb.connect(), {"phones": pa.array(lists, pa.list_(pa.string()))})
    assert [(list(p), p1) for p, p1, _ in got] == [F._phones(v) for v in lists]


def test_feature_row_agrees_with_the_table() -> None:
    rec = {"unique_id": "000", "source": "s", "source_record_id": "000", "phones": "0161 496 0000; 07700 900123",
           "nhs_number": "401 023 2137"}
    row = F.feature_row(rec)
    (phones, phone1, nhs), = _table(duckdb.connect(), {"phones": pa.array([rec["phones"]]), "nhs_number": pa.array([rec["nhs_number"]])})
    assert (list(phones), phone1, nhs) == (row["phones"], row["phone1"], row["nhs_number"])
