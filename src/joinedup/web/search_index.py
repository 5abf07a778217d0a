"""The web server's in-memory lookups by key: a person's records and the linked pairs between them.

A page asks for a few keys at a time; through DuckDB each lookup is a query (~2 ms of planning and an index probe,
more for an IN list or a UNION of probes) and a search result page asked for up to 60 persons' records in one UNION
of 60 probes. Here the rows sit in Arrow tables sorted by key, so a lookup is a binary search in a sorted array
and a slice: microseconds, no query, no lock, and nothing for 20 concurrent users to queue behind.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pyarrow as pa


class SortedRows:
    """Rows of an Arrow table sorted by one text key; rows_for(keys) finds every row with one of the keys."""

    def __init__(self, table: pa.Table, key: str) -> None:
        """table must already be sorted by key (DuckDB's ORDER BY; same byte order as Python's for our ids)."""
        self.table = table.combine_chunks()
        self.keys = np.asarray(self.table.column(key).to_numpy(zero_copy_only=False), dtype=object)

    def rows_for(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        """The rows whose key is one of keys, as dicts, grouped by key in sorted key order."""
        ids: list[np.ndarray] = []
        for k in sorted(set(keys)):
            lo = int(np.searchsorted(self.keys, k, "left"))
            hi = int(np.searchsorted(self.keys, k, "right"))
            if hi > lo:
                ids.append(np.arange(lo, hi))
        if not ids:
            return []
        return self.table.take(pa.array(np.concatenate(ids))).to_pylist()


def person_records(con: Any, columns: tuple[str, ...]) -> SortedRows:
    """Every linked record (these columns of person_record, with its person_id), by person_id."""
    cols = ", ".join(f"pr.{c}" for c in columns)
    return SortedRows(con.sql(f"""SELECT lp.person_id, {cols} FROM person_record pr
                                  JOIN link_person lp USING (source, source_record_id)
                                  ORDER BY lp.person_id""").to_arrow_table(), "person_id")


def linked_pairs(con: Any) -> SortedRows:
    """The pairs the last run linked, with why, by the first record's source_record_id."""
    return SortedRows(con.sql("""SELECT source_l, source_record_id_l, source_r, source_record_id_r, match_probability,
                                        explanation FROM link_pair WHERE linked
                                 ORDER BY source_record_id_l""").to_arrow_table(), "source_record_id_l")
